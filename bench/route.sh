#!/bin/sh
# route.sh — the routing curve of `make bench` (issue 20 #5): runs
# `kmsim run scenarios/netkey-tree.yaml --replications 1` with K smart
# objects (the key authority sends to every SO at each re-key) for each K,
# each backbone shape (topology.backbone_shape ring | tree) and each binary,
# interleaved, and prints wall time, peak RSS, events and time per event.
# A timing, not a pass/fail test; a run longer than the bound is cut
# (timeout) and shown as such.
#
# Environment: KMSIM (kmsim binary; default: kmsim on PATH), KMSIM_BEFORE
# (a second binary to interleave with it, e.g. one built from an older
# commit; default: none), BENCH_ROUTE_K (default "64 256 1024 4096 16384";
# BENCH_QUICK: "64 256 1024"), BENCH_ROUTE_TIMEOUT (seconds per run,
# default 300), BENCH_ROUTE_SHAPES (default "ring tree"), top_srcdir, RSS
# (bench/rss, used when /usr/bin/time is missing).
set -eu

me=route.sh
die() { echo "$me: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/..}
KMSIM=${KMSIM:-kmsim}
RSS=${RSS:-$here/rss}
quick=0
case ${BENCH_QUICK:-0} in ''|0) ;; *) quick=1 ;; esac
if [ "$quick" = 1 ]; then
    ks=${BENCH_ROUTE_K:-64 256 1024}
else
    ks=${BENCH_ROUTE_K:-64 256 1024 4096 16384}
fi
limit=${BENCH_ROUTE_TIMEOUT:-300}
shapes=${BENCH_ROUTE_SHAPES:-ring tree}
file=$top_srcdir/scenarios/netkey-tree.yaml

case $limit in ''|*[!0-9]*|0) die "BENCH_ROUTE_TIMEOUT must be a positive integer, not '$limit'" ;; esac
for k in $ks; do
    case $k in ''|*[!0-9]*|0) die "BENCH_ROUTE_K: not a positive integer: '$k'" ;; esac
done
[ -r "$file" ] || die "no scenario file $file"
command -v "$KMSIM" >/dev/null 2>&1 || die "kmsim not found: '$KMSIM' (set KMSIM)"
bins="after=$KMSIM"
if [ -n "${KMSIM_BEFORE:-}" ]; then
    command -v "$KMSIM_BEFORE" >/dev/null 2>&1 ||
        die "KMSIM_BEFORE not found: '$KMSIM_BEFORE'"
    bins="before=$KMSIM_BEFORE $bins"
fi
if [ -x /usr/bin/time ]; then
    timer=gnu
else
    [ -x "$RSS" ] || die "neither /usr/bin/time nor the rss wrapper ('$RSS')"
    timer=rss
fi
command -v timeout >/dev/null 2>&1 || die "timeout(1) not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kmsim-route.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "# kmsim run scenarios/netkey-tree.yaml -q --replications 1"
echo "#   --set topology.smart_objects=K --set topology.backbone_shape=SHAPE"
echo "# one run each, interleaved; cut after $limit s (timeout); peak RSS:"
echo "# $timer ($( [ $timer = gnu ] && echo "/usr/bin/time -f '%e %M'" || echo "wait4 ru_maxrss"))"
printf '%7s %-5s %-7s %9s %9s %12s %9s\n' \
    K shape binary 'wall s' 'peak MiB' events 'ns/event'
for k in $ks; do
    for shape in $shapes; do
        for b in $bins; do
            name=${b%%=*}
            bin=${b#*=}
            out=$tmp/out
            rm -rf "$out"
            set +e
            if [ $timer = gnu ]; then
                /usr/bin/time -f '%e %M' -o "$tmp/t.txt" \
                    timeout "$limit" "$bin" run "$file" -q --out "$out" \
                    --replications 1 --set "topology.smart_objects=$k" \
                    --set "topology.backbone_shape=$shape" >"$tmp/log" 2>&1
            else
                "$RSS" "$tmp/t.txt" timeout "$limit" "$bin" run "$file" -q \
                    --out "$out" --replications 1 \
                    --set "topology.smart_objects=$k" \
                    --set "topology.backbone_shape=$shape" >"$tmp/log" 2>&1
            fi
            rc=$?
            set -e
            # GNU time prefixes "Command exited with non-zero status N".
            read -r wall kib _ <<EOT
$(tail -n 1 "$tmp/t.txt")
EOT
            if [ $rc -eq 124 ]; then
                printf '%7s %-5s %-7s %9s %9.1f %12s %9s\n' "$k" "$shape" \
                    "$name" ">$limit" "$(echo "$kib" | awk '{print $1/1024}')" \
                    '-' 'timeout'
                continue
            fi
            if [ $rc -ne 0 ]; then
                printf '%7s %-5s %-7s %s\n' "$k" "$shape" "$name" \
                    "failed (exit $rc): $(head -n 1 "$tmp/log")"
                continue
            fi
            # Columns by name: each --set adds one before `metric`.
            ev=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                          $c["metric"] == "run.events" && $c["entity"] == "" {
                              print $c["mean"]; n++ }
                          END { if (n != 1) exit 1 }' "$out/summary.csv") ||
                die "$out/summary.csv: no run.events row"
            awk -v k="$k" -v s="$shape" -v b="$name" -v wall="$wall" \
                -v kib="$kib" -v ev="$ev" 'BEGIN {
                printf "%7d %-5s %-7s %9.2f %9.1f %12.0f %9.0f\n", k, s, b,
                       wall, kib / 1024, ev, (ev > 0 ? wall * 1e9 / ev : 0)
            }'
        done
    done
done
