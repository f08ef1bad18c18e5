#!/bin/sh
# Runs the whole test suite (`make check`) and prints the CUnit run summary
# of every test program plus the automake result lines.  Configures the
# tree first if that has not been done.  Exit status: that of make check.
set -u
cd "$(dirname "$0")/.." || exit 99
if [ ! -f Makefile ]; then
    { [ -x configure ] || autoreconf -fi; } && ./configure || exit 99
fi
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" check
status=$?
for log in tests/test_*.log; do
    [ -f "$log" ] || continue
    echo "== ${log%.log}"
    sed -n '/Run Summary/,/Elapsed/p' "$log"
done
for log in tests/*.log; do
    case $log in tests/test_*) continue ;; esac   # CUnit programs: above
    [ -f "$log" ] && { echo "== ${log%.log}"; tail -n 3 "$log"; }
done
[ -f test-suite.log ] && sed -n '1,12p' test-suite.log
exit $status
