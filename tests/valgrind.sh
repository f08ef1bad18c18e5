#!/bin/sh
# valgrind.sh — runs a test program under valgrind memcheck (make
# check-valgrind): any memory error, or memory definitely or indirectly
# lost at exit, makes it fail with status 99.  With --kmsim first, runs
# the built kmsim (the shell tests call it so when KMSIM_VALGRIND is set).
if [ "${1:-}" = --kmsim ]; then
    shift
    set -- "${top_builddir:-.}/kmsim" "$@"
fi
exec ${VALGRIND:-valgrind} --quiet --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect "$@"
