#!/bin/sh
# fuzz.sh — builds the libFuzzer harnesses and runs each for FUZZ_TIME
# seconds (called by `make fuzz`, which passes the compiler, flags and
# sources).  Run from the build tree: binaries in fuzz/, working corpora
# in fuzz/work/<harness>/ (kept between runs, so fuzzing resumes), new
# crashing inputs in fuzz/artifacts/.  Exit status 1 if any harness
# found a crash, leak, timeout or broken invariant.
set -u
: "${FUZZ_CC:?}" "${FUZZ_TIME:?}" "${FUZZ_TARGETS:?}" "${top_srcdir:?}"
mkdir -p fuzz/work fuzz/artifacts || exit 99

srcs=
for f in $FUZZ_SRCS; do
    case $f in *.c) srcs="$srcs $top_srcdir/$f" ;; esac
done

build() {   # build NAME: fuzz/fuzz_NAME, unless it is newer than its sources
    bin=fuzz/fuzz_$1
    if [ -x "$bin" ] && [ -z "$(find $srcs "$top_srcdir/fuzz/fuzz_$1.c" \
            "$top_srcdir"/sim "$top_srcdir"/crypto "$top_srcdir"/analysis \
            -name '*.[ch]' -newer "$bin" 2>/dev/null | head -n 1)" ]; then
        return 0
    fi
    echo "building $bin"
    # shellcheck disable=SC2086
    $FUZZ_CC $FUZZ_CFLAGS $FUZZ_CPPFLAGS -o "$bin" \
        "$top_srcdir/fuzz/fuzz_$1.c" $srcs $FUZZ_LIBS -lm
}

seed() {    # seed NAME DIR: the seed inputs of harness NAME into DIR
    mkdir -p "$2"
    case $1 in
    scenario)
        cp "$top_srcdir"/scenarios/*.yaml "$2"/
        [ -d "$top_srcdir/tests/malformed" ] &&
            find "$top_srcdir/tests/malformed" -type f \
                -exec cp {} "$2"/ \; ;;
    wire)   # real messages; and insider alterations of the k-th opened part
        KMSIM_FUZZ_DUMP="$2" ./fuzz/fuzz_wire >/dev/null 2>&1
        for c in 0 1 2 3 4 5 6 7; do
            for k in 3 17 60; do
                printf "\\$(printf %o $((64 + c)))\\000\\000\\$(printf %o $k)\\000\\001\\377\\020\\000\\001" \
                    > "$2/insider-$c-$k"
            done
        done ;;
    args)
        i=0
        for a in 'topology.sources=500' 'traffic.interval=exp(5s)' \
                 'protocol.ring=[1, 2]' 'topology.link={latency: 2ms}' \
                 'duration=90s' 'protocols.eg.ring=20'; do
            printf '\000%s' "$a" > "$2/set-$i"; i=$((i + 1))
        done
        for a in 'traffic.size=16B,32B,64B' 'protocol.ring=[1, 2, 4]' \
                 'topology.sources={from: 10, to: 1000, step: 10, scale: log}' \
                 "traffic.interval=exp(1s),'exp(2s)'"; do
            printf '\001%s' "$a" > "$2/vary-$i"; i=$((i + 1))
        done ;;
    esac
    [ -d "$top_srcdir/fuzz/regress/$1" ] &&
        cp "$top_srcdir/fuzz/regress/$1"/* "$2"/ 2>/dev/null
    return 0
}

status=0
for t in $FUZZ_TARGETS; do
    build "$t" || { echo "fuzz: cannot build fuzz_$t (clang with" \
        "libclang-rt-14-dev?)" >&2; exit 99; }
    work=fuzz/work/$t
    if [ ! -d "$work" ]; then
        seed "$t" "$work.seed" && mkdir -p "$work" || exit 99
        set -- "$work" "$work.seed"
    else
        set -- "$work"
    fi
    echo "== fuzz_$t: $FUZZ_TIME s"
    ./fuzz/fuzz_"$t" -max_total_time="$FUZZ_TIME" -timeout=20 \
        -rss_limit_mb=3072 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$t-" "$@" > "fuzz/$t.log" 2>&1
    rc=$?
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)|^#[0-9]+ *DONE' \
        "fuzz/$t.log"
    if [ $rc -ne 0 ]; then
        echo "fuzz_$t FAILED (status $rc): see fuzz/$t.log, fuzz/artifacts/"
        tail -n 30 "fuzz/$t.log"
        status=1
    fi
    rm -rf "$work.seed"
done
exit $status
