#!/bin/sh
# series.sh — `--series INTERVAL` (kmsim extension, issue 23; README "Time
# series").  On attack-all.yaml (one SO, a flood, an eavesdropper, 30 s
# warm-up): series.csv has the columns and rows of every quantity the
# README lists; sums over the intervals cross-check runs.csv (messages,
# the eavesdropper's reads, delays, SO arrivals after the warm-up, keys
# held at the end); the warm-up column marks the intervals before 30 s;
# runs/summary/replications are byte-identical to a run without --series;
# --threads 2 writes the same series.csv as one thread; compare and sweep
# write it too; a later run without --series removes a stale one; bad
# values are refused (exit 2, the flag named, nothing written).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
tmp=$(mktemp -d /tmp/kmsim-series.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

aa="$top_srcdir/scenarios/attack-all.yaml"
"$kmsim" run "$aa" -q --out "$tmp/plain" 2>"$tmp/err" ||
    { fail "attack-all without --series: $(cat "$tmp/err")"; exit 1; }
"$kmsim" run "$aa" -q --series 10s --out "$tmp/ser" 2>"$tmp/err" ||
    { fail "attack-all --series 10s: $(cat "$tmp/err")"; exit 1; }
S="$tmp/ser/series.csv"
R="$tmp/ser/runs.csv"

hdr='kmsim_version,scenario,scenario_hash,protocol,replication,seed,t_start_s,t_end_s,warmup,metric,entity,unit,stat,value'
[ "$(head -n 1 "$S" | tr -d '\r')" = "$hdr" ] && ok "series.csv header" ||
    fail "series.csv header: $(head -n 1 "$S")"

# Every required quantity has rows in each of the 48 intervals (8 min / 10 s).
for q in queue.length,so:0,req,end queue.length,so:0,req,mean \
         queue.length,so:0,req,max queue.arrivals,so:0,req,sum \
         queue.arrivals,so:0,req/s,rate queue.length,so:all,req,mean \
         delay.end_to_end,,1,n delay.source_to_so,,1,n msgs.data,,msg,sum \
         link.bytes.data,,B,sum msgs.control,,msg/s,rate storage.keys,,key,end \
         storage.bytes,,B,mean attack.eavesdropper.data.read,attack:0,msg,sum \
         attack.eavesdropper.payload.read,attack:0,msg,sum; do
    c=$(cut -d, -f10-13 "$S" | grep -c -x -F "$q")
    [ "$c" -eq 48 ] && ok "$q: a row in each of the 48 intervals" ||
        fail "$q: $c rows, expected 48"
done
# A mean of delays only where there were some.
awk -F, '$10 == "delay.end_to_end" && $13 == "mean"' "$S" | grep -q . &&
    ok "delay.end_to_end has per-interval means" || fail "no delay means"

# The intervals: [0,10) ... [470,480], warmup = 1 exactly for t_start < 30.
bad=$(awk -F, 'NR > 1 && (($9 == 1) != ($7 < 30) || $8 - $7 != 10 || $8 > 480)' "$S" | head -n 3)
[ -z "$bad" ] && ok "intervals of 10 s up to 480 s, warm-up marked before 30 s" ||
    fail "interval or warm-up column wrong: $bad"

# runs value of (metric, entity)
rv() { awk -F, -v m="$1" -v e="$2" '$7 == m && $8 == e { print $10 }' "$R"; }
# sum of a series stat over intervals (warmup: all, or 0 = after the warm-up)
ss() { awk -F, -v m="$1" -v e="$2" -v s="$3" -v w="${4:-all}" \
       '$10 == m && $11 == e && $13 == s && (w == "all" || $9 == w) { t += $14 }
        END { printf "%.10g\n", t }' "$S"; }
check() {  # what series-sum runs-value
    if [ -n "$3" ] && awk -v a="$2" -v b="$3" 'BEGIN { exit !(a == b && a > 0) }'; then
        ok "$1: $2 over the intervals = runs.csv's $3"
    else
        fail "$1: intervals sum to $2, runs.csv says '$3'"
    fi
}
check "msgs.data" "$(ss msgs.data '' sum)" "$(rv msgs.data '')"
check "link.bytes.control" "$(ss link.bytes.control '' sum)" "$(rv link.bytes.control '')"
check "eavesdropper data.read" "$(ss attack.eavesdropper.data.read attack:0 sum)" \
      "$(rv attack.eavesdropper.data.read attack:0)"
check "delay.end_to_end samples" "$(ss delay.end_to_end '' n)" "$(rv delay.end_to_end.n '')"
check "SO arrivals after the warm-up" "$(ss queue.arrivals so:0 sum 0)" \
      "$(rv queue.arrivals so:0)"
keys_end=$(awk -F, '$10 == "storage.keys" && $13 == "end" { v = $14 } END { print v }' "$S")
keys_run=$(awk -v a="$(rv storage.keys_per_node.mean '')" -v b="$(rv storage.keys_per_node.n '')" \
           'BEGIN { printf "%.10g\n", a * b }')
check "keys held at the end" "$keys_end" "$keys_run"
# The flood shows in the queue: a time-weighted mean above 0 somewhere.
awk -F, '$10 == "queue.length" && $11 == "so:0" && $13 == "mean" && $14 > 0.1 { f = 1 } END { exit !f }' "$S" &&
    ok "queue.length mean > 0.1 in some interval" || fail "queue never above 0.1"

# Observing changes nothing: the other CSVs are byte-identical.
same=
for f in runs summary replications; do
    cmp -s "$tmp/plain/$f.csv" "$tmp/ser/$f.csv" || same="$same $f.csv"
done
[ -z "$same" ] && ok "runs, summary, replications identical with and without --series" ||
    fail "--series changed:$same"

# Not quiet: the summary names the file.
"$kmsim" run "$aa" --series 1min --out "$tmp/loud" >"$tmp/out" 2>"$tmp/err" &&
    grep -q "^      $tmp/loud/series.csv\$" "$tmp/out" &&
    ok "the summary lists series.csv" || fail "summary: $(tail -n 5 "$tmp/out") $(cat "$tmp/err")"

# Deterministic: the same command, the same bytes.
"$kmsim" run "$aa" -q --series 10s --out "$tmp/ser2" 2>"$tmp/err" &&
    cmp -s "$S" "$tmp/ser2/series.csv" && ok "series.csv reproduces byte for byte" ||
    fail "series.csv differs between two identical runs"

# --series-metrics: only what is asked.
"$kmsim" run "$aa" -q --series 1min --series-metrics 'queue.length@so:all,msgs.data' \
    --out "$tmp/sel" 2>"$tmp/err"
got=$(cut -d, -f10,11 "$tmp/sel/series.csv" | sed 1d | sort -u | tr '\n' ' ')
[ "$got" = "msgs.data, queue.length,so:all " ] && ok "--series-metrics selects: $got" ||
    fail "--series-metrics gave: $got $(cat "$tmp/err")"

# A stale series.csv goes when the directory is reused without --series.
"$kmsim" run "$aa" -q --out "$tmp/sel" 2>"$tmp/err" && [ ! -e "$tmp/sel/series.csv" ] &&
    ok "a run without --series removes a stale series.csv" || fail "stale series.csv kept"

# Two threads: the same series.csv (and CSVs) as one.
tr_="$top_srcdir/scenarios/tree.yaml"
"$kmsim" run "$tr_" -q --replications 2 --series 5s --out "$tmp/t1" 2>"$tmp/err" &&
"$kmsim" run "$tr_" -q --replications 2 --series 5s --threads 2 --out "$tmp/t2" 2>>"$tmp/err"
same=
for f in series runs summary replications; do
    cmp -s "$tmp/t1/$f.csv" "$tmp/t2/$f.csv" || same="$same $f.csv"
done
[ -z "$same" ] && [ "$(wc -l <"$tmp/t1/series.csv")" -gt 1000 ] &&
    ok "--threads 2 writes the same series.csv as --threads 1 ($(wc -l <"$tmp/t1/series.csv") lines)" ||
    fail "--threads 2 differs:$same $(cat "$tmp/err")"

# compare: series.csv in each protocol's directory; sweep: one series.csv.
"$kmsim" compare "$aa" -q --protocols dini,netkey --series 1min --out "$tmp/cmp" 2>"$tmp/err" &&
    [ -s "$tmp/cmp/dini/series.csv" ] && [ -s "$tmp/cmp/netkey/series.csv" ] &&
    ok "compare writes series.csv per protocol" || fail "compare --series: $(cat "$tmp/err")"
"$kmsim" sweep "$tr_" -q --vary topology.sources=10,20 --replications 1 --jobs 2 \
    --series 30s --out "$tmp/sw" 2>"$tmp/err" &&
"$kmsim" run "$tr_" -q --set topology.sources=20 --replications 1 --series 30s \
    --out "$tmp/sw20" 2>>"$tmp/err"
a=$(awk -F, 'NR > 1 && $5 == 20' "$tmp/sw/series.csv" | cut -d, -f6- | cksum)
b=$(sed 1d "$tmp/sw20/series.csv" | cut -d, -f6- | cksum)
[ -s "$tmp/sw/series.csv" ] && [ "$a" = "$b" ] &&
    ok "sweep's series.csv rows of a point = run's" || fail "sweep --series: $a vs $b $(cat "$tmp/err")"

# Bad values: exit 2, one line naming the flag, nothing written.
for v in 0 5 -1s 0s abc '' 1ns 0.5ns; do
    "$kmsim" run "$aa" -q --series "$v" --out "$tmp/bad" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
       grep -q -- '--series' "$tmp/err" && [ ! -e "$tmp/bad" ]; then
        ok "--series '$v' refused: $(cat "$tmp/err")"
    else
        fail "--series '$v': exit $rc: $(cat "$tmp/err")"
    fi
done
for v in ',' 'a,,b' 'queue@'; do
    "$kmsim" run "$aa" -q --series 1s --series-metrics "$v" --out "$tmp/bad" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && grep -q -- '--series-metrics' "$tmp/err" && [ ! -e "$tmp/bad" ] &&
        ok "--series-metrics '$v' refused" || fail "--series-metrics '$v': exit $rc: $(cat "$tmp/err")"
done
"$kmsim" run "$aa" -q --series 10s --series-metrics 'nomatch*' --out "$tmp/nm" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q "warning: --series: no metric matched nomatch" "$tmp/err" &&
    [ "$(wc -l <"$tmp/nm/series.csv")" -eq 1 ] &&
    ok "--series-metrics matching nothing: a warning, a header-only series.csv" ||
    fail "--series-metrics nomatch*: exit $rc: $(cat "$tmp/err")"
"$kmsim" run "$aa" -q --series-metrics 'msgs.*' --out "$tmp/bad" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- '--series-metrics needs --series' "$tmp/err" && [ ! -e "$tmp/bad" ] &&
    ok "--series-metrics without --series refused" || fail "--series-metrics alone: exit $rc"
"$kmsim" validate "$aa" --series 1s 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- '--series does not apply' "$tmp/err" &&
    ok "validate refuses --series" || fail "validate --series: $(cat "$tmp/err")"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
