#!/bin/sh
# threads.sh — `--threads 2` (kmsim extension, sim/THREADS.md) against
# `--threads 1` on every shipped scenario.  Each scenarios/*.yaml runs
# with both (two replications; the scale-* ones with 2000 or 5000 sources
# at the same density, as tests/locality.sh): when --threads 2 is
# accepted, summary.csv, replications.csv (fingerprints), runs.csv and
# histograms.csv (issue 23) must be byte-identical to one thread's; when it is refused, the exit
# status must be 2, standard error exactly one of the documented refusals
# (README "--threads") and no output directory left behind.  At least one
# scenario must really run on two threads.  Then: a refusal made on
# purpose (a zero-latency link between the halves), bad values of the
# flag, validate's description of the split, and kmsim compare and kmsim
# sweep once each with --threads 2 against 1 (the protocols that run on
# two threads; a compare naming one that does not is refused whole).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
tmp=$(mktemp -d /tmp/kmsim-threads.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
ran=0
refused=0
reasons=

ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# refusal FILE: the documented reason of the one-line refusal in FILE
# (printed), or nothing (status 1) when FILE is not exactly one of them.
refusal() {
    [ "$(wc -l <"$1")" -eq 1 ] || return 1
    sed -n -e 's/^kmsim[a-z ]*: //' \
        -e 's/^configuration [0-9]*: //' \
        -e 's/^--threads 2: scenarios with attackers run on one thread only$/attackers/p' \
        -e 's/^--threads 2: protocol \([a-z_]*\) does not run on two threads yet (see sim\/THREADS.md)$/protocol \1/p' \
        -e 's/^cannot split the network: a link between the two halves has zero latency$/zero-latency link/p' \
        -e 's/^--threads 2: source [0-9]* moves between smart objects [0-9]* and [0-9]* of different halves (their shared registry of sources is not partition-safe: see sim\/THREADS.md)$/move across halves/p' \
        -e 's/^--threads 2: cannot split the network in two.*$/too small/p' \
        "$1" | grep .
}

# same DIR1 DIR2: the CSVs of two result directories are byte-identical
same() {
    for f in summary.csv replications.csv runs.csv histograms.csv; do
        [ -s "$1/$f" ] || return 1
        cmp -s "$1/$f" "$2/$f" || { echo "  $f differs"; return 1; }
    done
}

for sc in "$top_srcdir"/scenarios/*.yaml; do
    name=$(basename "$sc" .yaml)
    set -- --replications 2 --quiet
    case "$name" in
    scale-*-1e4) set -- "$@" --set topology.sources=2000 \
                     --set topology.smart_objects=40 \
                     --set 'topology.area=[447m, 447m]' ;;
    scale-*) set -- "$@" --set topology.sources=5000 \
                 --set topology.smart_objects=100 \
                 --set 'topology.area=[707m, 707m]' ;;
    esac
    if ! "$kmsim" run "$sc" "$@" --out "$tmp/$name-1" 2>"$tmp/$name-1.err"
    then
        fail "$name: --threads 1 did not run"; cat "$tmp/$name-1.err"
        continue
    fi
    "$kmsim" run "$sc" "$@" --threads 2 --out "$tmp/$name-2" \
        2>"$tmp/$name-2.err"
    rc=$?
    if [ $rc -eq 0 ]; then
        if same "$tmp/$name-1" "$tmp/$name-2"; then
            ran=$((ran + 1))
            ok "$name: --threads 2 ran, every CSV byte-identical"
        else
            fail "$name: --threads 2 gave other results than --threads 1"
        fi
    elif why=$(refusal "$tmp/$name-2.err") && [ $rc -eq 2 ] &&
         [ ! -e "$tmp/$name-2" ]; then
        refused=$((refused + 1))
        reasons="$reasons$why
"
        ok "$name: --threads 2 refused ($why), nothing written"
    else
        fail "$name: --threads 2 exit $rc, not a documented refusal" \
             "(or output left):"
        cat "$tmp/$name-2.err"
    fi
    rm -rf "$tmp/$name-1" "$tmp/$name-2"
done
[ $ran -gt 0 ] || fail "no shipped scenario ran on two threads"

# A refusal on purpose: every link 0 s (tree.yaml, protocol none).
"$kmsim" run "$top_srcdir/scenarios/tree.yaml" --threads 2 -q \
    --set topology.link.latency=0s --out "$tmp/zero" 2>"$tmp/zero.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(refusal "$tmp/zero.err")" = "zero-latency link" ] &&
   [ ! -e "$tmp/zero" ]; then
    ok "a zero-latency link between the halves is refused, nothing written"
else
    fail "zero-latency link: exit $rc"; cat "$tmp/zero.err"
fi

# The flag's values: 1 or 2, anything else refused naming the flag.
for v in 0 3 two -1 ''; do
    "$kmsim" run "$top_srcdir/scenarios/tree.yaml" --threads "$v" -q \
        --out "$tmp/bad" 2>"$tmp/bad.err"
    rc=$?
    if [ $rc -eq 2 ] && grep -q -- '--threads' "$tmp/bad.err" &&
       [ ! -e "$tmp/bad" ]; then
        ok "--threads '$v' refused (exit 2, names the flag)"
    else
        fail "--threads '$v': exit $rc"; cat "$tmp/bad.err"
    fi
done

# validate: the split as a run makes it.
if "$kmsim" validate "$top_srcdir/scenarios/grid.yaml" --threads 2 \
       2>"$tmp/val.err" &&
   grep -q 'threads 2: halves of 204 + 204 nodes, [0-9]* links cut, lookahead 2ms$' \
       "$tmp/val.err"; then
    ok "validate --threads 2 describes the split: $(sed 's/.*; threads/threads/' "$tmp/val.err")"
else
    fail "validate --threads 2:"; cat "$tmp/val.err"
fi

# The protocols that run on two threads (validate says), and the others.
cmp_sc="$top_srcdir/scenarios/compare-seed001.yaml"
yes_p=
no_p=
for p in none dini dipietro eg netkey pairwise; do
    if "$kmsim" validate "$cmp_sc" --protocol "$p" --threads 2 \
           2>"$tmp/p.err"; then
        yes_p="$yes_p${yes_p:+,}$p"
    elif [ "$(refusal "$tmp/p.err")" = "protocol $p" ]; then
        no_p="$no_p $p"
    else
        fail "validate --protocol $p --threads 2:"; cat "$tmp/p.err"
    fi
done
echo "protocols on two threads: $yes_p; not yet:${no_p:- (no protocol)}"

# compare: --threads 2 against 1 on those protocols.
for t in 1 2; do
    "$kmsim" compare "$cmp_sc" --protocols "$yes_p" --replications 2 -q \
        --threads $t --out "$tmp/cmp-$t" 2>"$tmp/cmp-$t.err" ||
        { fail "compare --threads $t"; cat "$tmp/cmp-$t.err"; }
done
if [ -s "$tmp/cmp-1/compare.csv" ] &&
   diff -r -x run.yaml "$tmp/cmp-1" "$tmp/cmp-2" >"$tmp/cmp.diff"; then
    ok "compare --protocols $yes_p: --threads 2 wrote the files of --threads 1"
else
    fail "compare --threads 2 differs from --threads 1:"
    head -n 20 "$tmp/cmp.diff"
fi
# ... and refused whole, before anything runs, when one protocol is not
# partition-safe.
set -- $no_p
if [ $# -gt 0 ]; then
    "$kmsim" compare "$cmp_sc" --protocols "$yes_p,$1" -q --threads 2 \
        --out "$tmp/cmp-no" 2>"$tmp/cmp-no.err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(refusal "$tmp/cmp-no.err")" = "protocol $1" ] &&
       [ ! -e "$tmp/cmp-no" ]; then
        ok "compare with protocol $1 refused whole, nothing written"
    else
        fail "compare --protocols $yes_p,$1 --threads 2: exit $rc"
        cat "$tmp/cmp-no.err"
    fi
fi

# sweep: two points per protocol, --threads 2 against 1 (one worker each).
for t in 1 2; do
    "$kmsim" sweep "$top_srcdir/scenarios/netkey-tree.yaml" \
        --protocols "$yes_p" --vary 'traffic.interval=exp(20s),exp(60s)' \
        --replications 1 --jobs 1 --threads $t -q --out "$tmp/sw-$t" \
        2>"$tmp/sw-$t.err" ||
        { fail "sweep --threads $t"; cat "$tmp/sw-$t.err"; }
done
if same "$tmp/sw-1" "$tmp/sw-2"; then
    ok "sweep --protocols $yes_p: --threads 2 wrote the CSVs of --threads 1"
else
    fail "sweep --threads 2 differs from --threads 1"
fi

echo "threads.sh: $ran scenarios ran on two threads (every CSV identical)," \
     "$refused refused:"
printf '%s' "$reasons" | sort | uniq -c | sed 's/^/  /'
[ "$fails" -eq 0 ]
