#!/bin/sh
# fuzz-replay.sh — replays, through the fuzz harnesses built with the
# normal compiler (fuzz/replay.c), every crashing input the fuzzers ever
# found (fuzz/regress/<harness>/) and their seeds: the shipped scenarios
# for the loader, real messages for the wire format (written by the wire
# harness itself).  A crash, a sanitizer report or a broken invariant
# fails the test.  The wire inputs run a second time on the test build's
# library (fuzz/replay_wire_ledger: locality check and nonce ledger).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
tmp=$(mktemp -d /tmp/kmsim-fuzz.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
# make check-valgrind: the replays under valgrind memcheck
vg=
[ -n "${KMSIM_VALGRIND:-}" ] && vg="sh $top_srcdir/tests/valgrind.sh"
run() {
    if "$@"; then :; else echo "FAIL: $*"; fails=$((fails + 1)); fi
}
reg=$top_srcdir/fuzz/regress
run $vg "$top_builddir/fuzz/replay_scenario" "$reg/scenario" "$top_srcdir"/scenarios/*.yaml
KMSIM_FUZZ_DUMP=$tmp/wire "$top_builddir/fuzz/replay_wire" 2>/dev/null
run $vg "$top_builddir/fuzz/replay_wire" "$reg/wire" "$tmp/wire"
# the same wire inputs on the test build (locality check, nonce ledger:
# a nonce sealed twice in any fuzzed world aborts the replay)
run $vg "$top_builddir/fuzz/replay_wire_ledger" "$reg/wire" "$tmp/wire"
run $vg "$top_builddir/fuzz/replay_args" "$reg/args"
[ "$fails" -eq 0 ]
