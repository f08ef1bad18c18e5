#!/bin/sh
# kmsim-valgrind.sh — kmsim under valgrind memcheck, for the shell tests
# when KMSIM_VALGRIND is set (make check-valgrind).
exec sh "${top_srcdir:-.}/tests/valgrind.sh" --kmsim "$@"
