#!/bin/sh
# sweep.sh — kmsim sweep on the real binary: killed with SIGKILL (its
# workers die with it) or interrupted with SIGINT (status 130, "interrupted",
# no CSV in a fresh directory), then rerun: the three CSVs equal an
# uninterrupted run's (cmp).  Also --list, exit 2 for a bad --vary, and
# exit 1 naming the point and signal when a worker dies
# (KMSIM_TEST_CRASH_POINT), and two sweeps at once in one directory.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
# make check-valgrind: kmsim under valgrind memcheck
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
tmp=$(mktemp -d /tmp/kmsim-sweep.XXXXXX) || exit 99
bg=
cleanup() {
    [ -n "$bg" ] && kill -9 "$bg" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' INT TERM
unset KMSIM_TEST_CRASH_POINT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# records FILE: the number of records in a journal (0 if none yet).
records() {
    r=$(grep -c '^@' "$1" 2>/dev/null)
    echo "${r:-0}"
}

# wait_records FILE N PID: waits until FILE holds N records while PID
# runs.  0 when it does; 1 if PID ended (or wrote its CSVs) first, or
# after 120 s.
wait_records() {
    i=0
    while [ "$(records "$1")" -lt "$2" ]; do
        kill -0 "$3" 2>/dev/null || return 1
        [ -e "${1%/*}/runs.csv" ] && return 1
        i=$((i + 1))
        [ $i -gt 2400 ] && return 1
        sleep 0.05
    done
    return 0
}

# children PID: the processes whose parent is PID (Linux /proc).
children() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$1" '$4 == p {print $1}'
}

# gone PID: the process no longer runs (absent, or a zombie).
gone() {
    [ ! -r "/proc/$1/stat" ] && return 0
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# same_csvs A B WHAT: the three CSVs of directories A and B are identical.
same_csvs() {
    bad=
    for f in runs summary replications; do
        [ -s "$1/$f.csv" ] && cmp -s "$1/$f.csv" "$2/$f.csv" || bad="$bad $f.csv"
    done
    if [ -z "$bad" ]; then ok "$3: CSVs identical to an uninterrupted run"
    else fail "$3: differ from an uninterrupted run:$bad"; fi
}

# 4 source counts x 2 protocols x 25 replications = 200 points, a few
# seconds with two jobs.
cat >"$tmp/big.yaml" <<'YAML'
name: big
seed: 11
duration: 10min
replications: 25
protocol: {name: dini, rekey_every: 60s}
protocols:
  dipietro: {rekey_every: 60s}
topology:
  generator: star
  sources: 10
  smart_objects: 1
  subscribers: 1
  link: {latency: 2ms, bandwidth: 1Mbps}
traffic:
  interval: exp(5s)
  size: 32B
smart_object:
  service: exp(10ms)
sweep:
  topology.sources: [5, 10, 20, 40]
YAML
big="$tmp/big.yaml"

# The uninterrupted run.
if "$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$tmp/full" \
        >"$tmp/full.out" 2>"$tmp/full.err" &&
   grep -q "200 selected: 200 done, 0 skipped" "$tmp/full.out"; then
    ok "uninterrupted sweep: 200 points"
else
    fail "uninterrupted sweep: $(cat "$tmp/full.out" "$tmp/full.err")"
fi

# --list: the points, nothing run or written.
"$kmsim" sweep "$big" --protocols dini,dipietro --list --out "$tmp/list" \
    >"$tmp/list.out" 2>"$tmp/list.err"
st=$?
if [ $st -eq 0 ] && [ "$(wc -l <"$tmp/list.out")" -eq 201 ] &&
   [ "$(head -n 1 "$tmp/list.out")" = "$(printf 'point\tconfig\treplication\tseed\tprotocol\ttopology.sources')" ] &&
   [ "$(sed -n 2p "$tmp/list.out")" = "$(printf '0\t0\t0\t11\tdini\t5')" ] &&
   [ "$(sed -n 27p "$tmp/list.out" | cut -f1-3,5-6)" = "$(printf '25\t1\t0\tdipietro\t5')" ] &&
   [ ! -s "$tmp/list.err" ] && [ ! -e "$tmp/list" ]; then
    ok "--list: exit 0, 200 points, nothing written"
else
    fail "--list: exit $st, $(wc -l <"$tmp/list.out") lines: $(head -n 3 "$tmp/list.out") $(cat "$tmp/list.err")"
fi
"$kmsim" sweep "$big" --protocols dini,dipietro --list --where protocol=dipietro \
    --where topology.sources=40 --only 0-180 >"$tmp/list.out" 2>&1
[ $? -eq 0 ] && [ "$(cut -f1 "$tmp/list.out" | tr '\n' ' ')" = "point 175 176 177 178 179 180 " ] &&
    ok "--list with --where and --only" || fail "--list --where --only: $(cat "$tmp/list.out")"
# a mistyped --where path names the closest swept one (issue 21 #4)
"$kmsim" sweep "$big" --list --where topology.sourcs=40 >"$tmp/list.out" 2>&1
[ $? -eq 2 ] && grep -q "^--where topology.sourcs=40: .* (did you mean 'topology.sources'?)\$" "$tmp/list.out" &&
    ok "--where: did you mean" || fail "--where typo: $(cat "$tmp/list.out")"

# SIGKILL while running, then the same command again.
"$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$tmp/k9" \
    >/dev/null 2>"$tmp/k9.err" &
bg=$!
if wait_records "$tmp/k9/sweep.journal" 3 $bg; then
    kids=$(children $bg)
    kill -9 $bg
    wait $bg
    st=$?
    bg=
    had=$(records "$tmp/k9/sweep.journal")
    [ $st -eq 137 ] && [ -n "$kids" ] && [ ! -e "$tmp/k9/runs.csv" ] &&
        ok "killed by SIGKILL with $had points in the journal, workers $(echo $kids)" ||
        fail "SIGKILL: exit $st, workers '$kids', $(ls "$tmp/k9")"
    # the workers die with it (PR_SET_PDEATHSIG)
    i=0 alive=
    for c in $kids; do
        while ! gone $c && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
        gone $c || alive="$alive $c"
    done
    if [ -z "$alive" ]; then ok "the workers died with the sweep"
    else fail "workers still running after SIGKILL:$alive"; kill -9 $alive 2>/dev/null; fi
    "$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$tmp/k9" \
        >"$tmp/k9.out" 2>"$tmp/k9.err"
    st=$?
    skipped=$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' "$tmp/k9.out")
    [ $st -eq 0 ] && [ "${skipped:-0}" -ge 3 ] &&
        ok "rerun after SIGKILL: exit 0, $skipped points skipped" ||
        fail "rerun after SIGKILL: exit $st: $(cat "$tmp/k9.out" "$tmp/k9.err")"
    same_csvs "$tmp/full" "$tmp/k9" "after SIGKILL"
else
    bg=
    fail "SIGKILL: the sweep ended before 3 points were in its journal: $(cat "$tmp/k9.err")"
fi

# SIGINT: status 130 (kmsim cleans up, then ends by the signal),
# "interrupted", no CSV in the fresh directory; then resume.
"$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$tmp/int" \
    >"$tmp/int.out" 2>"$tmp/int.err" &
bg=$!
if wait_records "$tmp/int/sweep.journal" 3 $bg; then
    kill -INT $bg
    wait $bg
    st=$?
    bg=
    if [ $st -eq 130 ] && grep -q '^kmsim: interrupted: [0-9]* of 200 points are in ' "$tmp/int.err" &&
       [ ! -e "$tmp/int/runs.csv" ] && [ ! -e "$tmp/int/summary.csv" ] &&
       [ ! -e "$tmp/int/replications.csv" ] && [ "$(records "$tmp/int/sweep.journal")" -ge 3 ]; then
        ok "SIGINT: status 130, interrupted, no CSV written, the journal kept"
    else
        fail "SIGINT: exit $st: $(cat "$tmp/int.err"); $(ls "$tmp/int")"
    fi
    "$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$tmp/int" \
        >"$tmp/int.out" 2>"$tmp/int.err"
    st=$?
    [ $st -eq 0 ] && ! grep -q '200 selected: 200 done' "$tmp/int.out" &&
        ok "rerun after SIGINT: exit 0, resumed" ||
        fail "rerun after SIGINT: exit $st: $(cat "$tmp/int.out" "$tmp/int.err")"
    same_csvs "$tmp/full" "$tmp/int" "after SIGINT"
else
    bg=
    fail "SIGINT: the sweep ended before 3 points were in its journal: $(cat "$tmp/int.err")"
fi

# A bad --vary: exit 2, the flag named, nothing written.
"$kmsim" sweep "$big" --vary 'topology.sources=2,' --out "$tmp/badvary" \
    >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] &&
    [ "$(cat "$tmp/err")" = "--vary topology.sources=2,: empty value, or unbalanced brackets or quotes" ] &&
    [ ! -e "$tmp/badvary" ] && [ ! -s "$tmp/out" ] &&
    ok "bad --vary: exit 2 and its message" ||
    fail "bad --vary: exit $st: $(cat "$tmp/err")"
"$kmsim" sweep "$big" --vary 'topology.sources' --list >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] && grep -q '^--vary topology.sources: expected path=v1,v2' "$tmp/err" &&
    ok "--vary without '=': exit 2" || fail "--vary without '=': exit $st: $(cat "$tmp/err")"
"$kmsim" sweep "$big" --vary 'topology.sources=[5, 10' --list >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] && grep -q '^--vary topology.sources=\[5, 10: ' "$tmp/err" &&
    ok "--vary with an unclosed bracket: exit 2" || fail "--vary '[5, 10': exit $st: $(cat "$tmp/err")"
"$kmsim" run "$big" --vary 'topology.sources=1,2' >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] && grep -q -- '--vary is for kmsim sweep' "$tmp/err" &&
    ok "kmsim run --vary: exit 2" || fail "kmsim run --vary: exit $st: $(cat "$tmp/err")"

# A small sweep: 2 x 2 configurations x 2 replications = 8 points.
cat >"$tmp/tiny.yaml" <<'YAML'
name: tiny
seed: 5
duration: 1min
replications: 2
protocol: {name: dini, rekey_every: 20s}
topology:
  generator: star
  sources: 2
  smart_objects: 1
  subscribers: 1
  link: {latency: 2ms, bandwidth: 1Mbps}
traffic:
  interval: exp(10s)
  size: 32B
sweep:
  topology.sources: [2, 3]
  traffic.size: [32B, 64B]
YAML
"$kmsim" sweep "$tmp/tiny.yaml" --jobs 2 --out "$tmp/tfull" -q >/dev/null 2>&1 ||
    fail "tiny sweep"
# a sweep value the loader refuses: its file:line:column
sed 's/\[2, 3\]/[2, abc]/' "$tmp/tiny.yaml" >"$tmp/bad.yaml"
"$kmsim" sweep "$tmp/bad.yaml" --out "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] && grep -q "^$tmp/bad.yaml:16:25: sweep value topology.sources=abc: " "$tmp/err" &&
    [ ! -e "$tmp/bad" ] && ok "bad sweep value: exit 2 at file:line:column" ||
    fail "bad sweep value: exit $st: $(cat "$tmp/err")"

# A worker killed on one point: exit 1, the point and the signal named,
# the others written; a rerun completes it.
KMSIM_TEST_CRASH_POINT=3 "$kmsim" sweep "$tmp/tiny.yaml" --jobs 2 --out "$tmp/crash" \
    >"$tmp/out" 2>"$tmp/err"
st=$?
if [ $st -eq 1 ] &&
   grep -q '^kmsim: point 3 (protocol=dini topology.sources=2 traffic.size=64B, replication 1) failed: worker killed by signal 9' "$tmp/err" &&
   grep -q '^kmsim: 1 of 8 points failed' "$tmp/err" &&
   grep -q '7 done, 0 skipped (already in the journal), 1 failed' "$tmp/out" &&
   [ "$(wc -l <"$tmp/crash/replications.csv")" -eq 8 ]; then
    ok "a crashed worker: exit 1, point 3 and signal 9 named, 7 points written"
else
    fail "a crashed worker: exit $st: $(cat "$tmp/out" "$tmp/err")"
fi
"$kmsim" sweep "$tmp/tiny.yaml" --jobs 2 --out "$tmp/crash" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 0 ] && grep -q '1 done, 7 skipped' "$tmp/out" &&
    ok "rerun after the crash: exit 0, the failed point run" ||
    fail "rerun after the crash: exit $st: $(cat "$tmp/out" "$tmp/err")"
same_csvs "$tmp/tfull" "$tmp/crash" "after a crashed worker"

# ---- two sweeps at once in one --out directory ---------------------------
# The directory is locked (as run and compare lock it): the second sweep
# refuses (exit 1, a message) and the first writes the right files; a
# rerun finds the journal whole.
d="$tmp/cc"
"$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$d" -q 2>"$d.err1" &
p1=$!
"$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$d" -q 2>"$d.err2" &
p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
wrong=
for f in runs summary replications; do
    cmp -s "$tmp/full/$f.csv" "$d/$f.csv" || wrong="$wrong $f.csv"
done
"$kmsim" sweep "$big" --protocols dini,dipietro --jobs 2 --out "$d" -q 2>"$d.err3"
if { [ $s1 -eq 0 ] || [ $s2 -eq 0 ]; } && [ -z "$wrong" ] &&
   ! grep -q dropping "$d.err3" &&
   { [ $s1 -eq 0 ] || grep -q "another kmsim is writing results into this directory" "$d.err1"; } &&
   { [ $s2 -eq 0 ] || grep -q "another kmsim is writing results into this directory" "$d.err2"; }; then
    ok "concurrent sweeps: exits $s1 $s2, the second refused, journal whole"
else
    fail "concurrent sweeps: exits $s1 $s2, wrong:${wrong:- none}; $(cat "$d.err1" "$d.err2" "$d.err3")"
fi

# ---- issue 21: CSV columns ------------------------------------------------
# dups FILE: the columns of FILE's header that occur twice (empty if none).
dups() { head -n 1 "$1" | tr -d '\r' | tr ',' '\n' | sort | uniq -d | tr '\n' ' '; }
# col FILE NAME: the 1-based index of column NAME in FILE's header.
col() { head -n 1 "$1" | tr -d '\r' | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }
# Sweeping seed (the shipped fig-seed000-6): the swept value in param.seed,
# the run's own seed in seed; no column twice in any file.  Two of ten
# configurations with 2 of 2 replications, one with 1 of 2 (--only):
# complete 1, 1 and 0, n 2, 2 and 1.
fig6="$top_srcdir/scenarios/fig-seed000-6.yaml"
d="$tmp/cols"
if "$kmsim" sweep "$fig6" --replications 2 --only 0-1,2,10-11 --out "$d" -q \
        >"$d.out" 2>&1; then
    bad=
    for f in runs summary replications; do
        [ -z "$(dups "$d/$f.csv")" ] || bad="$bad $f.csv:$(dups "$d/$f.csv")"
        [ -n "$(col "$d/$f.csv" param.seed)" ] || bad="$bad $f.csv:no-param.seed"
    done
    cs=$(col "$d/summary.csv" param.seed)
    cn=$(col "$d/summary.csv" n)
    cr=$(col "$d/summary.csv" replications)
    cc=$(col "$d/summary.csv" complete)
    got=$(tr -d '\r' <"$d/summary.csv" | grep ',msgs.register,' |
          cut -d, -f"$cs,$cn,$cr,$cc" | tr '\n' ' ')
    [ "$got" = "1,2,2,1 2,1,2,0 6,2,2,1 " ] || bad="$bad summary:'$got'"
    # runs.csv: param.seed is the swept value, seed the replication's own
    rs=$(col "$d/runs.csv" seed)
    rp=$(col "$d/runs.csv" param.seed)
    [ "$(sed -n 2p "$d/runs.csv" | cut -d, -f"$rp")" = 1 ] &&
        [ -n "$(sed -n 2p "$d/runs.csv" | cut -d, -f"$rs")" ] ||
        bad="$bad runs:seed"
    [ -z "$bad" ] && ok "swept seed: param.seed column, no duplicates, complete/n flagged" ||
        fail "swept seed columns:$bad"
else
    fail "swept seed: $(cat "$d.out")"
fi
"$kmsim" sweep "$fig6" --list --only 0 >"$tmp/l6.out" 2>&1
[ "$(head -n 1 "$tmp/l6.out")" = "$(printf 'point\tconfig\treplication\tseed\tprotocol\tparam.seed')" ] &&
    ok "--list of a seed sweep: param.seed" || fail "--list seed sweep: $(head -n 2 "$tmp/l6.out")"

# issue 21 #6: a swept quantity with a unit (the tiny sweep's traffic.size)
# also as "<col>.si" in bytes, a plain number; unit-free topology.sources
# gets none; in runs, replications and summary
bad=
for f in runs replications summary; do
    ci=$(col "$tmp/tfull/$f.csv" traffic.size)
    cj=$(col "$tmp/tfull/$f.csv" traffic.size.si)
    [ -n "$ci" ] && [ -n "$cj" ] && [ "$cj" -eq $((ci + 1)) ] || { bad="$bad $f:no-column"; continue; }
    [ -z "$(col "$tmp/tfull/$f.csv" topology.sources.si)" ] || bad="$bad $f:sources.si"
    got=$(tr -d '\r' <"$tmp/tfull/$f.csv" | sed 1d | cut -d, -f"$ci,$cj" | sort -u | tr '\n' ' ')
    [ "$got" = "32B,32 64B,64 " ] || bad="$bad $f:'$got'"
done
[ -z "$bad" ] && ok "swept unit quantity: traffic.size.si in bytes" || fail "traffic.size.si:$bad"

# --where compares quantities by value: 0.005s selects the 5ms point,
# 2048B the 2KiB one; 2000B matches nothing (exit 2, a message).
"$kmsim" sweep "$fig6" --vary 'topology.link.latency=5ms,10ms' --vary seed=1 \
    --list --where topology.link.latency=0.005s >"$tmp/w1.out" 2>&1
st1=$?
"$kmsim" sweep "$fig6" --vary 'traffic.size=1KiB,2KiB' --vary seed=1 \
    --list --where traffic.size=2048B >"$tmp/w2.out" 2>&1
st2=$?
"$kmsim" sweep "$fig6" --vary 'traffic.size=1KiB,2KiB' --vary seed=1 \
    --list --where traffic.size=2000B >"$tmp/w3.out" 2>"$tmp/w3.err"
st3=$?
if [ $st1 -eq 0 ] && [ "$(cut -f1,7 "$tmp/w1.out" | tr '\n\t' ' :')" = "point:topology.link.latency 0:5ms " ] &&
   [ $st2 -eq 0 ] && [ "$(cut -f1,7 "$tmp/w2.out" | tr '\n\t' ' :')" = "point:traffic.size 1:2KiB " ] &&
   [ $st3 -eq 2 ] && [ ! -s "$tmp/w3.out" ] &&
   grep -q "^--where traffic.size=2000B: no point has this value" "$tmp/w3.err"; then
    ok "--where by value: 0.005s = 5ms, 2048B = 2KiB, 2000B none"
else
    fail "--where by value: $st1 $st2 $st3 $(cat "$tmp/w1.out" "$tmp/w2.out" "$tmp/w3.err")"
fi

# run.yaml beside a sweep's CSVs: the command line, --vary, the file's text
d="$tmp/provs"
if "$kmsim" sweep "$fig6" --only 0-1 --vary 'traffic.size=1KiB,2KiB' \
        --set 'traffic.interval=exp(30s)' --out "$d" -q >"$d.out" 2>&1 &&
   grep -qx "command_line: \"[^ ]* sweep $fig6 --only 0-1 --vary traffic.size=1KiB,2KiB --set 'traffic.interval=exp(30s)' --out $d -q\"" "$d/run.yaml" &&
   grep -qx '  - "traffic.size=1KiB,2KiB"' "$d/run.yaml" &&
   grep -qx '  - "traffic.interval=exp(30s)"' "$d/run.yaml" &&
   ! grep -q '^resolved:' "$d/run.yaml" &&
   sed -n '/^scenario_text: |2$/,$p' "$d/run.yaml" | sed '1d; s/^  //' | cmp -s - "$fig6"; then
    ok "sweep run.yaml: command, --vary, --set, scenario text"
else
    fail "sweep run.yaml: $(cat "$d.out" "$d/run.yaml")"
fi

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
