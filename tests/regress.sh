#!/bin/sh
# regress.sh — scenario regression: runs shipped scenarios with their
# fixed seeds and compares every CSV byte for byte with the expected files
# checked in under tests/expected/<scenario>/.  After an intended change,
# regenerate with:  tests/regress.sh --update
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
# make check-valgrind: kmsim under valgrind memcheck
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
tmp=$(mktemp -d /tmp/kmsim-regress.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
update=0
[ "${1:-}" = "--update" ] && update=1
fails=0

for name in explicit-small tree grid dini-seed001-s1 dini-adjacent dini-seed000-via-so \
        dipietro-seed001-s1 netkey-tree pairwise-tree; do
    out="$tmp/$name"
    if ! "$kmsim" run "$top_srcdir/scenarios/$name.yaml" --quiet --out "$out"; then
        echo "FAIL: $name did not run"; fails=$((fails + 1)); continue
    fi
    for f in runs.csv summary.csv replications.csv; do
        exp="$top_srcdir/tests/expected/$name/$f"
        if [ $update -eq 1 ]; then
            mkdir -p "$(dirname "$exp")" && cp "$out/$f" "$exp"
        elif cmp -s "$out/$f" "$exp"; then
            echo "ok: $name/$f"
        else
            echo "FAIL: $name/$f differs from $exp"
            diff "$exp" "$out/$f" | head -n 10
            fails=$((fails + 1))
        fi
    done
done
[ $update -eq 1 ] && echo "expected files updated"
[ "$fails" -eq 0 ]
