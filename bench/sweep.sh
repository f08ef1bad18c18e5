#!/bin/sh
# sweep.sh — the sweep throughput benchmark of `make bench`: `kmsim sweep`
# of bench/sweep.yaml (1,000 tiny runs: 100 configurations x 10
# replications) with --jobs 2 and --jobs 1, each into a fresh output folder
# (so the journal skips nothing); prints runs per second, median of the
# repetitions.
#
# Environment: KMSIM (kmsim binary; default: kmsim on PATH), RSS (the
# bench/rss wrapper, used as a timer; default: beside this script),
# top_srcdir (default: the parent of this script's folder), BENCH_REPS
# (repetitions, default 3), BENCH_QUICK (set and not 0: one repetition).
set -eu

me=sweep.sh
die() { echo "$me: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/..}
KMSIM=${KMSIM:-kmsim}
RSS=${RSS:-$here/rss}
case ${BENCH_QUICK:-0} in ''|0) reps=${BENCH_REPS:-3} ;; *) reps=${BENCH_REPS:-1} ;; esac
case $reps in ''|*[!0-9]*|0) die "BENCH_REPS must be a positive integer, not '$reps'" ;; esac
file=$top_srcdir/bench/sweep.yaml
runs=1000

[ -r "$file" ] || die "no scenario file $file"
command -v "$KMSIM" >/dev/null 2>&1 || die "kmsim not found: '$KMSIM' (set KMSIM)"
[ -x "$RSS" ] || die "the rss wrapper is missing: '$RSS' (make bench builds it; or set RSS)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kmsim-sweep.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "# kmsim sweep bench/sweep.yaml: $runs runs (star, 2 sources, 1 simulated"
echo "# minute; 100 service times x 10 replications); median of $reps repetition(s)."
printf '%-7s %4s %9s %9s\n' jobs reps 'wall s' 'runs/s'
for jobs in 2 1; do
    : > "$tmp/walls"
    r=1
    while [ "$r" -le "$reps" ]; do
        out=$tmp/out.$jobs.$r
        if ! "$RSS" "$tmp/rss.txt" "$KMSIM" sweep "$file" --jobs "$jobs" \
                --out "$out" --quiet >"$tmp/log" 2>&1; then
            cat "$tmp/log" >&2
            die "kmsim sweep --jobs $jobs failed (repetition $r)"
        fi
        rows=$(($(wc -l < "$out/replications.csv") - 1))
        [ "$rows" -eq "$runs" ] ||
            die "kmsim sweep --jobs $jobs wrote $rows runs, not $runs"
        read -r wall kib _ < "$tmp/rss.txt"
        echo "$wall" >> "$tmp/walls"
        rm -rf "$out"
        r=$((r + 1))
    done
    wall=$(sort -g "$tmp/walls" |
           awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    awk -v j="$jobs" -v n="$reps" -v w="$wall" -v runs="$runs" 'BEGIN {
        printf "%-7s %4d %9.2f %9.0f\n", "--jobs " j, n, w, runs / w
    }'
done
