#!/bin/sh
# figure-queue.sh — the README figure "Queue length under flooding" (issue
# 23): runs scenarios/flood-series.yaml with `kmsim run --series 30s` and
# draws the SO's time-weighted mean queue length per interval (mean over
# the 20 replications) with analysis/kmsim-plot --series, against the
# M/M/1 mean L = rho / (1 - rho) before and during the flood, both taken
# from the run's own rows (queue.L.theory; attack.flooding.lambda.flooded
# over queue.service_rate.theory), and the flood's start
# (attack.flooding.start) marked.
#
#   analysis/figure-queue.sh [--kmsim PATH] [--results DIR] [--out PNG]
#
# Defaults: kmsim as --kmsim, $KMSIM, ./kmsim or the PATH; results in
# results/flood-series; the figure analysis/figures/queue-flood.png.
# Exit status: 0 ok, 1 the run or the plot failed, 2 bad usage.
set -u
me=figure-queue.sh
here=$(cd "$(dirname "$0")" && pwd) || exit 1
top=$(cd "$here/.." && pwd) || exit 1
kmsim=${KMSIM:-}
results=results/flood-series
out="$here/figures/queue-flood.png"
bad() { echo "$me: $1" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --kmsim) [ $# -ge 2 ] || bad "--kmsim needs a value"; kmsim=$2; shift 2 ;;
    --results) [ $# -ge 2 ] || bad "--results needs a value"; results=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || bad "--out needs a value"; out=$2; shift 2 ;;
    *) bad "unknown argument '$1'" ;;
    esac
done
if [ -z "$kmsim" ]; then
    if [ -x ./kmsim ]; then kmsim=./kmsim; else kmsim=kmsim; fi
fi
"$kmsim" run "$top/scenarios/flood-series.yaml" -q --series 30s \
    --series-metrics 'queue.length@so:0' --out "$results" || exit 1
# mean over the replications of runs.csv's (metric, entity)
rv() {
    awk -F, -v m="$1" -v e="$2" '$7 == m && $8 == e { s += $10; n++ }
        END { if (n) printf "%.17g\n", s / n }' "$results/runs.csv"
}
l0=$(rv queue.L.theory so:0)
lf=$(rv attack.flooding.lambda.flooded attack:0:so:0)
mu=$(rv queue.service_rate.theory so:0)
t0=$(rv attack.flooding.start attack:0)
[ -n "$l0" ] && [ -n "$lf" ] && [ -n "$mu" ] && [ -n "$t0" ] ||
    { echo "$me: $results/runs.csv lacks the theory rows" >&2; exit 1; }
mkdir -p "$(dirname "$out")" || exit 1
l1=$(awk -v l="$lf" -v m="$mu" 'BEGIN { r = l / m; printf "%.17g\n", r / (1 - r) }')
r3() { awk -v v="$1" 'BEGIN { printf "%.3g\n", v }'; }
sh "$here/kmsim-plot" "$results/series.csv" --series --metric queue.length \
    --entity so:0 --stat mean --out "$out" --size 800x450 \
    --key 'top right' --yrange 0:6 --label 'none=measured (kmsim --series 30s)' \
    --title "Queue length at the SO under flooding (flood-series.yaml, mean of 20 replications)" \
    --ylabel 'requests in system (time-weighted mean per 30 s)' \
    --hline "$l0=M/M/1 L = rho/(1-rho) before the flood ($(r3 "$l0"))" \
    --hline "$l1=M/M/1 L = rho/(1-rho) during the flood ($(r3 "$l1"))" \
    --vline "$t0=flood starts" || exit 1
echo "wrote $out"
