#!/bin/sh
# scale.sh — the scale benchmarks of `make bench`: runs `kmsim run` on the
# scenarios/scale-*.yaml files and prints per scenario the wall time and
# CPU time (user + sys; medians of the repetitions), the simulated events
# (run.events in summary.csv), events per second, the peak resident memory
# (bench/rss: wait4 ru_maxrss) and bytes per node (peak RSS / (sources +
# smart objects)); then its floor (issue 22):
#   floor = AEAD pairs x raw seal+open cost + events / bare HOLD rate
# with AEAD pairs = (crypto.seal + crypto.open) / 2 from summary.csv, the
# raw cost of one seal + open of the scenario's traffic.size with its
# `aead:` (bench_crypto --raw) and the HOLD rate of sim_sched at as many
# pending events as the scenario has nodes (bench_sched --hold), both
# measured here, in this run; wall / floor (aim <= 2); CPU per event and
# its ratio to dini-1e4's, B/node against dini-1e4's; and PASS/MISS
# against every target of issues 7 and 22.
#
# Environment: KMSIM (kmsim binary; default: kmsim on PATH), RSS (the
# bench/rss wrapper; default: beside this script), BENCH_SCHED and
# BENCH_CRYPTO (bench/bench_sched and bench/bench_crypto; default: beside
# this script), top_srcdir (default: the
# parent of this script's folder), BENCH_REPS (repetitions, default 3),
# BENCH_REPS_LARGE (repetitions of the 10^6 scenario, default 1),
# BENCH_ONLY (comma-separated short names, e.g. dini-1e4,eg-1e5),
# BENCH_QUICK (set and not 0: one repetition, and no 10^6 scenario unless
# BENCH_ONLY names it), BENCH_THREADS (kmsim run's --threads, default 1;
# the floor stays the one-thread floor, so x floor < 1 is possible).
set -eu

me=scale.sh
die() { echo "$me: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/..}
KMSIM=${KMSIM:-kmsim}
RSS=${RSS:-$here/rss}
BENCH_SCHED=${BENCH_SCHED:-$here/bench_sched}
BENCH_CRYPTO=${BENCH_CRYPTO:-$here/bench_crypto}
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
threads=${BENCH_THREADS:-1}
case $threads in 1|2) ;; *) die "BENCH_THREADS must be 1 or 2, not '$threads'" ;; esac
all="dini-1e4 dini-1e5 dini-1e6 dipietro-1e5 eg-1e5"

case $reps in ''|*[!0-9]*|0) die "BENCH_REPS must be a positive integer, not '$reps'" ;; esac
case $reps_large in ''|*[!0-9]*|0)
    die "BENCH_REPS_LARGE must be a positive integer, not '$reps_large'" ;;
esac
command -v "$KMSIM" >/dev/null 2>&1 || die "kmsim not found: '$KMSIM' (set KMSIM)"
[ -x "$RSS" ] || die "the rss wrapper is missing: '$RSS' (make bench builds it; or set RSS)"
[ -x "$BENCH_SCHED" ] ||
    die "bench_sched is missing: '$BENCH_SCHED' (make bench builds it; or set BENCH_SCHED)"
[ -x "$BENCH_CRYPTO" ] ||
    die "bench_crypto is missing: '$BENCH_CRYPTO' (make bench builds it; or set BENCH_CRYPTO)"
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

# summary VALUE OUT: the mean of metric VALUE (no entity) in OUT/summary.csv.
summary() {
    awk -F, -v m="$1" '$6 == m && $7 == "" { print $10; n++ }
                       END { if (n != 1) exit 1 }' "$2/summary.csv" ||
        die "$2/summary.csv: no $1 row"
}

# bytes SIZE: a traffic.size such as 64B, 1KiB, 2kB as bytes (B kB KiB).
bytes() {
    awk -v s="$1" 'BEGIN {
        if (match(s, /^[0-9.]+/) == 0) exit 1
        v = substr(s, 1, RLENGTH); u = substr(s, RLENGTH + 1)
        if (u == "B") f = 1; else if (u == "kB") f = 1000
        else if (u == "KiB") f = 1024; else exit 1
        printf "%d\n", v * f + 0.5 }'
}

echo "# kmsim run --threads $threads on scenarios/scale-*.yaml; wall, CPU (user + sys) and events/s: median of"
echo "# $reps repetition(s) ($reps_large for the 10^6 scenario); peak RSS: the largest"
echo "# of them (wait4 ru_maxrss); B/node = peak RSS / (sources + smart objects)."
echo "# Floor (issue 22) = AEAD pairs x raw seal+open + events / HOLD rate:"
echo "#   pairs = (crypto.seal + crypto.open) / 2; raw = bench_crypto --raw SIZE AEAD"
echo "#   (traffic.size, the scenario's aead; median of 5, ns); HOLD = bench_sched"
echo "#   --hold NODES (sim_sched at as many pending events as nodes, 1 s mean;"
echo "#   M ev/s); both measured now, beside the runs.  x floor = wall / floor (aim <= 2)."
echo "# us/ev = CPU / events; x1e4 = that / dini-1e4's (target <= 1.5 at 10^6);"
echo "# B/node x1e4 = B/node / dini-1e4's (flat: <= 1.25)."
echo "# Targets: dini 10^5 < 5 s; dini 10^6 < 60 s, < 2 GiB, CPU/ev x1e4 <= 1.5,"
echo "# B/node flat; dipietro and eg 10^5 < 5 s; eg < 4 KiB/node."
printf '%-13s %8s %4s %8s %8s %11s %7s %8s %7s %9s %7s %6s %7s %6s %7s %6s %6s\n' \
    scenario nodes reps 'wall s' 'CPU s' events 'Mev/s' 'peak MiB' 'B/node' \
    'AEAD prs' 'raw ns' 'HOLD' 'floor s' 'xfloor' 'us/ev' 'x1e4' 'B x1e4'

misses=0
aim_misses=0
ref_cpu_ev=
ref_bpn=
for name in $all; do
    selected "$name" || continue
    file=$top_srcdir/scenarios/scale-$name.yaml
    [ -r "$file" ] || die "no scenario file $file"
    nodes=$(awk '/^[ \t]+sources:/ { s = $2 } /^[ \t]+smart_objects:/ { o = $2 }
                 END { if (s == "" || o == "") exit 1; print s + o }' "$file") ||
        die "$file: cannot read topology.sources and smart_objects"
    size=$(awk '/^traffic:/ { t = 1; next } /^[^ \t#]/ { t = 0 }
                t && /^[ \t]+size:/ { print $2; exit }' "$file")
    size=$(bytes "${size:-}") || die "$file: cannot read traffic.size (B, kB or KiB)"
    aead=$(awk '/^aead:/ { print $2; exit }' "$file")
    aead=${aead:-chacha20poly1305}
    n=$reps
    [ "$name" = dini-1e6 ] && n=$reps_large
    : > "$tmp/walls"
    : > "$tmp/cpus"
    : > "$tmp/rsss"
    events=
    r=1
    while [ "$r" -le "$n" ]; do
        out=$tmp/$name.$r
        if ! "$RSS" "$tmp/rss.txt" "$KMSIM" run "$file" --out "$out" --quiet \
                --threads "$threads" \
                >"$tmp/log" 2>&1; then
            cat "$tmp/log" >&2
            die "kmsim run $file failed (repetition $r)"
        fi
        read -r wall kib cpu < "$tmp/rss.txt"
        ev=$(summary run.events "$out")
        if [ -n "$events" ] && [ "$ev" != "$events" ]; then
            die "$name: run.events differs between repetitions ($events, $ev)"
        fi
        events=$ev
        seals=$(summary crypto.seal "$out")
        opens=$(summary crypto.open "$out")
        echo "$wall" >> "$tmp/walls"
        echo "$cpu" >> "$tmp/cpus"
        echo "$kib" >> "$tmp/rsss"
        rm -rf "$out"
        r=$((r + 1))
    done
    wall=$(median < "$tmp/walls")
    cpu=$(median < "$tmp/cpus")
    kib=$(sort -g "$tmp/rsss" | tail -n 1)
    raw_ns=$("$BENCH_CRYPTO" --raw "$size" "$aead") ||
        die "bench_crypto --raw $size $aead failed"
    hold=$("$BENCH_SCHED" --hold "$nodes") ||
        die "bench_sched --hold $nodes failed"
    if [ "$name" = dini-1e4 ]; then
        ref_cpu_ev=$(awk -v c="$cpu" -v e="$events" 'BEGIN { print c / e }')
        ref_bpn=$(awk -v k="$kib" -v n="$nodes" 'BEGIN { print k * 1024 / n }')
    fi
    line=$(awk -v name="$name" -v nodes="$nodes" -v n="$n" -v wall="$wall" \
        -v cpu="$cpu" -v ev="$events" -v kib="$kib" -v seals="$seals" \
        -v opens="$opens" -v raw="$raw_ns" -v hold="$hold" \
        -v rce="${ref_cpu_ev:-}" -v rbpn="${ref_bpn:-}" 'BEGIN {
        mib = kib / 1024
        bpn = kib * 1024 / nodes
        pairs = (seals + opens) / 2
        floor = pairs * raw * 1e-9 + ev / (hold * 1e6)
        xf = wall / floor
        cpe = cpu / ev
        xc = (rce != "") ? cpe / rce : -1
        xb = (rbpn != "") ? bpn / rbpn : -1
        printf "%-13s %8d %4d %8.2f %8.2f %11.0f %7.3f %8.1f %7.0f %9.0f %7.0f %6.2f %7.2f %6.2f %7.3f %6s %6s\n",
               name, nodes, n, wall, cpu, ev, ev / wall / 1e6, mib, bpn,
               pairs, raw, hold, floor, xf, cpe * 1e6,
               (xc < 0) ? "-" : sprintf("%.2f", xc),
               (xb < 0) ? "-" : sprintf("%.2f", xb)
        t = ""
        if (name ~ /-1e6$/) {
            t = sprintf("wall < 60 s %s, RSS < 2 GiB %s",
                        (wall < 60) ? "PASS" : "MISS",
                        (mib < 2048) ? "PASS" : "MISS")
            na = "n/a (dini-1e4 not run)"
            t = t sprintf(", CPU/ev <= 1.5x 10^4 %s",
                          (xc < 0) ? na : ((xc <= 1.5) ? "PASS" : "MISS"))
            t = t sprintf(", B/node flat %s",
                          (xb < 0) ? na : ((xb <= 1.25) ? "PASS" : "MISS"))
        } else if (name ~ /-1e5$/) {
            t = sprintf("wall < 5 s %s", (wall < 5) ? "PASS" : "MISS")
            if (name ~ /^eg-/)
                t = t sprintf(", < 4 KiB/node %s",
                              (bpn < 4096) ? "PASS" : "MISS")
            if (name ~ /^dini-/ && xb >= 0)
                t = t sprintf(", B/node x1e4 %.2f", xb)
        }
        aim = sprintf("wall/floor %.2f <= 2 %s (CPU/floor %.2f)", xf,
                      (xf <= 2) ? "PASS" : "MISS", cpu / floor)
        printf "  %s: targets: %s; aim: %s\n", name, t == "" ? "-" : t, aim
    }')
    echo "$line"
    case $line in *"targets: "*MISS*"; aim:"*) misses=$((misses + 1)) ;; esac
    case $line in *"aim: "*MISS*) aim_misses=$((aim_misses + 1)) ;; esac
done
echo "# scenarios missing a scale target: $misses; missing the floor aim (2x): $aim_misses"
