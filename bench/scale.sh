#!/bin/sh
# scale.sh — the scale benchmarks of `make bench`: runs `kmsim run` on the
# scenarios/scale-*.yaml files and prints per scenario the wall time (median
# of the repetitions), the simulated events (run.events in summary.csv),
# events per second, the peak resident memory (bench/rss: wait4 ru_maxrss)
# and bytes per node (peak RSS / (sources + smart objects)), with the
# targets of issue 7 and PASS/MISS.
#
# Environment: KMSIM (kmsim binary; default: kmsim on PATH), RSS (the
# bench/rss wrapper; default: beside this script), top_srcdir (default: the
# parent of this script's folder), BENCH_REPS (repetitions, default 3),
# BENCH_REPS_LARGE (repetitions of the 10^6 scenario, default 1),
# BENCH_ONLY (comma-separated short names, e.g. dini-1e4,eg-1e5),
# BENCH_QUICK (set and not 0: one repetition, and no 10^6 scenario unless
# BENCH_ONLY names it).
set -eu

me=scale.sh
die() { echo "$me: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/..}
KMSIM=${KMSIM:-kmsim}
RSS=${RSS:-$here/rss}
quick=0
case ${BENCH_QUICK:-0} in ''|0) ;; *) quick=1 ;; esac
if [ "$quick" = 1 ]; then
    reps=${BENCH_REPS:-1}
    reps_large=${BENCH_REPS_LARGE:-1}
else
    reps=${BENCH_REPS:-3}
    reps_large=${BENCH_REPS_LARGE:-1}
fi
only=${BENCH_ONLY:-}
all="dini-1e4 dini-1e5 dini-1e6 dipietro-1e5 eg-1e5"

case $reps in ''|*[!0-9]*|0) die "BENCH_REPS must be a positive integer, not '$reps'" ;; esac
case $reps_large in ''|*[!0-9]*|0)
    die "BENCH_REPS_LARGE must be a positive integer, not '$reps_large'" ;;
esac
command -v "$KMSIM" >/dev/null 2>&1 || die "kmsim not found: '$KMSIM' (set KMSIM)"
[ -x "$RSS" ] || die "the rss wrapper is missing: '$RSS' (make bench builds it; or set RSS)"
if [ -n "$only" ]; then
    for n in $(echo "$only" | tr ',' ' '); do
        case " $all " in *" $n "*) ;;
            *) die "BENCH_ONLY: unknown scenario '$n' (known: $(echo $all | tr ' ' ','))" ;;
        esac
    done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kmsim-scale.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# selected NAME: 0 if the scenario is to run.
selected() {
    if [ -n "$only" ]; then
        case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac
    fi
    [ "$quick" = 1 ] && [ "$1" = dini-1e6 ] && return 1
    return 0
}

# median of the numbers on stdin (the lower middle one for an even count).
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

echo "# kmsim run on scenarios/scale-*.yaml; wall and events/s: median of"
echo "# $reps repetition(s) ($reps_large for the 10^6 scenario); peak RSS: the largest"
echo "# of them (wait4 ru_maxrss); B/node = peak RSS / (sources + smart objects)."
echo "# Targets: 10^5 sources < 5 s; 10^6 sources < 60 s and < 2 GiB."
printf '%-13s %8s %4s %9s %11s %9s %9s %7s  %s\n' \
    scenario nodes reps 'wall s' events 'Mev/s' 'peak MiB' 'B/node' targets

misses=0
for name in $all; do
    selected "$name" || continue
    file=$top_srcdir/scenarios/scale-$name.yaml
    [ -r "$file" ] || die "no scenario file $file"
    nodes=$(awk '/^[ \t]+sources:/ { s = $2 } /^[ \t]+smart_objects:/ { o = $2 }
                 END { if (s == "" || o == "") exit 1; print s + o }' "$file") ||
        die "$file: cannot read topology.sources and smart_objects"
    n=$reps
    [ "$name" = dini-1e6 ] && n=$reps_large
    : > "$tmp/walls"
    : > "$tmp/rsss"
    events=
    r=1
    while [ "$r" -le "$n" ]; do
        out=$tmp/$name.$r
        if ! "$RSS" "$tmp/rss.txt" "$KMSIM" run "$file" --out "$out" --quiet \
                >"$tmp/log" 2>&1; then
            cat "$tmp/log" >&2
            die "kmsim run $file failed (repetition $r)"
        fi
        read -r wall kib < "$tmp/rss.txt"
        ev=$(awk -F, '$6 == "run.events" && $7 == "" { print $10; n++ }
                      END { if (n != 1) exit 1 }' "$out/summary.csv") ||
            die "$out/summary.csv: no run.events row"
        if [ -n "$events" ] && [ "$ev" != "$events" ]; then
            die "$name: run.events differs between repetitions ($events, $ev)"
        fi
        events=$ev
        echo "$wall" >> "$tmp/walls"
        echo "$kib" >> "$tmp/rsss"
        rm -rf "$out"
        r=$((r + 1))
    done
    wall=$(median < "$tmp/walls")
    kib=$(sort -g "$tmp/rsss" | tail -n 1)
    targets=$(awk -v name="$name" -v wall="$wall" -v kib="$kib" 'BEGIN {
        mib = kib / 1024
        if (name ~ /-1e6$/)
            t = sprintf("wall < 60 s %s, RSS < 2 GiB %s",
                        wall < 60 ? "PASS" : "MISS",
                        mib < 2048 ? "PASS" : "MISS")
        else if (name ~ /-1e5$/)
            t = sprintf("wall < 5 s %s", wall < 5 ? "PASS" : "MISS")
        else
            t = "-"
        print t
    }')
    case $targets in *MISS*) misses=$((misses + 1)) ;; esac
    awk -v name="$name" -v nodes="$nodes" -v n="$n" -v wall="$wall" \
        -v ev="$events" -v kib="$kib" -v t="$targets" 'BEGIN {
        printf "%-13s %8d %4d %9.2f %11.0f %9.3f %9.1f %7.0f  %s\n",
               name, nodes, n, wall, ev, ev / wall / 1e6, kib / 1024,
               kib * 1024 / nodes, t
    }'
done
echo "# scale targets missed: $misses"
