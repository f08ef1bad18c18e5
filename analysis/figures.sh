#!/bin/sh
# figures.sh — the papers' figures: runs the sweep of each
# scenarios/fig-*.yaml with `kmsim sweep` into results/fig-*/ and draws
# analysis/figures/fig-*.png from its summary.csv with analysis/kmsim-plot.
#
#   analysis/figures.sh [--kmsim PATH] [--jobs N] [--results DIR]
#                       [--figures DIR] [--plot-only] [FIGURE...]
#
# FIGURE: fig-seed001-1 ... fig-seed001-4, fig-seed000-6 (default: all).
# --plot-only draws from the summary.csv files already in the results
# directory (default results/); --jobs goes to kmsim sweep (default: its
# own, the number of processors).  kmsim is found as --kmsim, $KMSIM,
# ./kmsim, or on the PATH.  Installed as kmsim-figures (make install), it
# sweeps the installed scenarios (kmsim's data search path) and draws into
# ./figures.  A sweep interrupted or run before resumes from
# its journal (results/FIG/sweep.journal).
# Exit status: 0 ok, 1 a sweep or a plot failed, 2 bad usage.
set -u

me=figures.sh
here=$(cd "$(dirname "$0")" && pwd) || exit 1
top=$(cd "$here/.." && pwd) || exit 1
plot="$here/kmsim-plot"
kmsim=${KMSIM:-}
jobs=
results=results
figdir="$here/figures"
scn="$top/scenarios/"
if [ ! -d "$top/scenarios" ]; then
    # installed as kmsim-figures: kmsim finds fig-*.yaml in its data path
    scn=
    figdir=figures
fi
plot_only=0
all="fig-seed001-1 fig-seed001-2 fig-seed001-3 fig-seed001-4 fig-seed000-6"
figs=

usage() {
    sed -n '2,15s/^# \{0,1\}//p' "$0"
}
bad() {
    echo "$me: $1" >&2
    echo "Try '$me --help'." >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    --kmsim) [ $# -ge 2 ] || bad "--kmsim needs a value"; kmsim=$2; shift 2 ;;
    --jobs) [ $# -ge 2 ] || bad "--jobs needs a value"; jobs=$2; shift 2 ;;
    --results) [ $# -ge 2 ] || bad "--results needs a value"; results=$2; shift 2 ;;
    --figures) [ $# -ge 2 ] || bad "--figures needs a value"; figdir=$2; shift 2 ;;
    --plot-only) plot_only=1; shift ;;
    -*) bad "unknown option '$1'" ;;
    *)
        case " $all " in
        *" $1 "*) figs="$figs $1" ;;
        *) bad "unknown figure '$1' (one of: $all)" ;;
        esac
        shift ;;
    esac
done
[ -n "$figs" ] || figs=$all
case $jobs in
'') ;;
*[!0-9]*|0) bad "--jobs $jobs: expected a positive integer" ;;
esac

if [ "$plot_only" = 0 ]; then
    if [ -z "$kmsim" ]; then
        if [ -x ./kmsim ]; then kmsim=./kmsim
        elif command -v kmsim >/dev/null 2>&1; then kmsim=kmsim
        else
            echo "$me: kmsim not found (build it, or give --kmsim PATH)" >&2
            exit 1
        fi
    fi
fi
mkdir -p "$figdir" || exit 1

# sweep FIG: results/FIG/summary.csv from scenarios/FIG.yaml
sweep() {
    echo "$me: kmsim sweep scenarios/$1.yaml --out $results/$1" >&2
    "$kmsim" sweep "$scn$1.yaml" ${jobs:+--jobs "$jobs"} \
        --out "$results/$1" >/dev/null
}

# draw FIG ARGS...: the PNG of FIG from its summary.csv
draw() {
    f=$1
    shift
    "$plot" "$results/$f/summary.csv" --out "$figdir/$f.png" "$@" &&
        echo "$me: wrote $figdir/$f.png" >&2
}

fig_seed001_1() {
    draw fig-seed001-1 --x topology.sources --logx --logy --scale 1e6 \
        --metric dini.keygen.global --metric dini.keygen.local.mean \
        --metric dipietro.update.cpu.mean --metric dipietro.round.seq.mean \
        --label 'dini.keygen.global=Dini: the NOS generates its 16 global keys' \
        --label 'dini.keygen.local.mean=Dini: the NOS generates one local key' \
        --label "dipietro.update.cpu.mean=Di Pietro: a member's key update" \
        --label "dipietro.round.seq.mean=Di Pietro: the NOS's sequential part of a round" \
        --title 'Seed 001 Fig. 1: delay of key generation' --key below \
        --xlabel 'registered sources' \
        --ylabel 'simulated CPU time (us, Raspberry Pi 3 profile)'
}

fig_seed001_2() {
    draw fig-seed001-2 --x topology.sources --logx --scale 1000 --yrange 0:* \
        --metric dini.channel_setup.hops1.mean --metric dini.rekey.delay.mean \
        --label 'dini.channel_setup.hops1.mean=new channel: local key sent under the shared global key' \
        --label 'dini.rekey.delay.mean=replacement: new value sent under the shared local key' \
        --title 'Seed 001 Fig. 2: key propagation in Dini et al., direct connections (star)' \
        --xlabel 'registered sources' --ylabel 'delay (ms)' --key 'bottom right'
}

fig_seed001_3() {
    draw fig-seed001-3 --x protocol.search_hops --scale 1000 --yrange 0:* \
        --metric dini.channel_setup.max --metric dini.channel_setup.mean \
        --metric dini.unreachable_detection.mean \
        --label 'dini.channel_setup.max=set-up of the farthest reachable source (search_hops + 1 hops)' \
        --label 'dini.channel_setup.mean=set-up, mean over all channels' \
        --label 'dini.unreachable_detection.mean=unreachable source: search to "disconnected"' \
        --title 'Seed 001 Fig. 3: key propagation in Dini et al. through adjacent nodes (chain of 6)' \
        --xlabel 'adjacent nodes a channel may go through (search_hops)' \
        --ylabel 'delay (ms)' --key below
}

fig_seed001_4() {
    draw fig-seed001-4 --x topology.sources --logx --logy --scale 1000 \
        --metric key.rekey.mean \
        --label 'dini=Dini et al. (dini.rekey.round)' \
        --label 'dipietro=Di Pietro et al.' \
        --title 'Seed 001 Fig. 4: delay of key replacement (binary tree of sources)' \
        --xlabel 'registered sources' \
        --ylabel 'replacement round, start to last ack (ms)'
}

fig_seed000_6() {
    draw fig-seed000-6 --x param.seed --scale 1000 \
        --metric dini.channel_setup.hops1.mean \
        --metric dini.channel_setup.hops1.max \
        --metric dini.subscriber_setup.mean \
        --label 'dini.channel_setup.hops1.mean=sensor to SO, mean of the 5 sensors' \
        --label 'dini.channel_setup.hops1.max=sensor to SO, the slowest sensor' \
        --label 'dini.subscriber_setup.mean=SO to the other node (the extra leg via the SO)' \
        --title 'Seed 000 Fig. 6: key generation and distribution time' \
        --hline '21=seed 000: about 21 ms' \
        --xlabel 'run (seed)' --ylabel 'delay (ms)' --key 'bottom right' --yrange 0:30
}

failed=0
for f in $figs; do
    if [ "$plot_only" = 0 ] && ! sweep "$f"; then
        echo "$me: the sweep of $f failed" >&2
        failed=1
        continue
    fi
    fn=$(echo "$f" | tr - _)
    "$fn" || { echo "$me: the plot of $f failed" >&2; failed=1; }
done
exit $failed
