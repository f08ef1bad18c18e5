#!/bin/sh
# plot.sh — analysis/kmsim-plot on the small summary.csv of tests/data/plot
# (and --cdf on its histograms.csv):
# the extracted table (--data) against expected files, a PNG really written
# (magic bytes), errors (exit 2 for bad input, 1 for a failing gnuplot) that
# leave no file behind.  Skips (77) when gnuplot is missing, after the checks
# that do not need it.
set -u
top_srcdir=${top_srcdir:-.}
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
plot="$top_srcdir/analysis/kmsim-plot"
data="$top_srcdir/tests/data/plot"
tmp=$(mktemp -d /tmp/kmsim-plot-test.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n: $1"; }
fail() { n=$((n + 1)); echo "FAIL $n: $1"; fails=$((fails + 1)); }

# data NAME ARGS...: `kmsim-plot summary.csv ARGS... --data` run in the data
# folder (the table names the file as given) equals expected-NAME.tsv
data() {
    name=$1
    shift
    if (cd "$data" && sh "$plot" summary.csv "$@" --data) >"$tmp/$name.tsv" \
        2>"$tmp/err"; then
        if cmp -s "$tmp/$name.tsv" "$data/expected-$name.tsv"; then
            ok "--data $name"
        else
            fail "--data $name differs from expected-$name.tsv:"
            diff "$data/expected-$name.tsv" "$tmp/$name.tsv"
        fi
    else
        fail "--data $name: exit $?"; cat "$tmp/err"
    fi
}

# expect STATUS PATTERN ARGS...: kmsim-plot ARGS exits STATUS with stderr
# matching the extended regex PATTERN
expect() {
    want=$1 pat=$2
    shift 2
    sh "$plot" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "kmsim-plot $* -> exit $got, expected $want"; cat "$tmp/err"
    elif ! grep -Eq -- "$pat" "$tmp/err"; then
        fail "kmsim-plot $* -> stderr does not match '$pat':"; cat "$tmp/err"
    else
        ok "kmsim-plot $* -> $want"
    fi
}

# Sorting by x, a row with n < 2 (no bar), a row with n = 0 (left out),
# --scale, a --where on a quoted value with a comma.
data rekey --x topology.sources --metric key.rekey.mean --scale 1000 \
    --where 'topology.area=[100m, 100m]'
# Units of one kind converted (500ms, 2s, 10s, 1min -> s), --by a column.
data units --x traffic.interval --metric queue.W --where topology.sources=2 \
    --by topology.area
# Two metrics on one plot; the entity chosen per metric (queue.W: the
# whole network among so:0 and ""; dini.keygen.global: its only one, so:0).
data multi --x topology.sources --metric queue.W --metric dini.keygen.global \
    --where traffic.interval=10s
# A categorical x (values that are not numbers), in file order.
data categorical --x topology.area --metric queue.W \
    --where topology.sources=2 --by traffic.interval
# A protocol value with a doubled quote and a comma, renamed by --label.
data quoted --x topology.sources --metric queue.W --where traffic.interval=1min \
    --label 'dini "v2", test=quoted, renamed'

s="$data/summary.csv"
out="$tmp/o"
mkdir "$out" || exit 99
if sh "$plot" --help 2>&1 | grep -q '^usage: kmsim-plot SUMMARY.csv'; then
    ok "--help"
else
    fail "--help prints no usage"
fi
expect 2 "no column 'nosuch' \(--x\)" "$s" --x nosuch --metric queue.W --out "$out/a.png"
expect 2 "no column 'nope' \(--by\)" "$s" --x topology.sources --metric queue.W --by nope --out "$out/a.png"
expect 2 "no column 'nope' \(--where\)" "$s" --x topology.sources --metric queue.W --where nope=1 --out "$out/a.png"
expect 2 "no metric 'queue' .*queue.W" "$s" --x topology.sources --metric queue --out "$out/a.png"
# a mistyped metric: the closest one (issue 21 #4)
expect 2 "no metric 'qeueu.W' .*\(did you mean 'queue.W'\?\)" "$s" --x topology.sources --metric qeueu.W --out "$out/a.png"
expect 2 "passes the --where" "$s" --x topology.sources --metric queue.W --where protocol=nope --out "$out/a.png"
expect 2 "no rows of entity 'so:9'" "$s" --x topology.sources --metric queue.W --entity so:9 --out "$out/a.png"
expect 2 "two rows for topology.sources = '2'.*traffic.interval" "$s" --x topology.sources --metric queue.W --out "$out/a.png"
expect 2 "unknown option '--bogus'" "$s" --x topology.sources --metric queue.W --bogus
expect 2 "unknown option '--metrc' \(did you mean '--metric'\?\)" "$s" --x topology.sources --metrc queue.W
expect 2 "--x COL is required" "$s" --metric queue.W
expect 2 "--metric NAME is required" "$s" --x topology.sources
expect 2 "option --x needs a value" "$s" --metric queue.W --x
expect 2 "--scale abc: expected a number" "$s" --x topology.sources --metric queue.W --scale abc
expect 2 "--where x: expected COL=VALUE" "$s" --x topology.sources --metric queue.W --where x
expect 2 "--hline abc: expected Y or Y=TEXT" "$s" --x topology.sources --metric queue.W --hline abc
expect 2 "--yrange 0: expected LO:HI" "$s" --x topology.sources --metric queue.W --yrange 0
expect 2 "--size 800: expected WxH" "$s" --x topology.sources --metric queue.W --size 800
expect 2 "--key top;left: expected gnuplot position words" "$s" --x topology.sources --metric queue.W --key 'top;left'
expect 2 "--metric key.rekey.mean given twice" "$s" --x topology.sources --metric key.rekey.mean --metric key.rekey.mean --out "$out/a.png"
expect 2 "--logx: .* not numbers" "$s" --x topology.area --metric queue.W --logx --where traffic.interval=10s --out "$out/a.png"
expect 2 "cannot read" "$tmp/missing.csv" --x topology.sources --metric queue.W
expect 2 "--out .*a.jpg: unknown extension \(use .png, .pdf or .svg\)" "$s" --x topology.sources --metric queue.W --where traffic.interval=10s --out "$out/a.jpg"
expect 2 "--out .*/plot: unknown extension" "$s" --x topology.sources --metric queue.W --where traffic.interval=10s --out "$out/plot"
printf 'protocol,x,metric,entity,unit,n,mean,sd,ci95_lo,ci95_hi\n"a,1,m,,s,2,1,0,0.5,1.5\n' >"$tmp/open.csv"
expect 2 "open.csv:2: unterminated quoted field" "$tmp/open.csv" --x x --metric m --out "$out/a.png"
printf 'protocol,x,metric,entity,unit,n,mean,sd,ci95_lo,ci95_hi\na,1,m,,s,2,1,0,0.5\n' >"$tmp/short.csv"
expect 2 "short.csv:2: 9 fields, the header has 10" "$tmp/short.csv" --x x --metric m --out "$out/a.png"
printf 'a,b\n1,2\n' >"$tmp/other.csv"
expect 2 "not a kmsim summary.csv" "$tmp/other.csv" --x a --metric m --out "$out/a.png"
# --cdf (issue 23): the empirical CDF of a histograms.csv, p50/p95/p99 by
# linear interpolation inside a bucket (a: 2 zeros, 4 in [1, 2), 4 in
# [2, 4): p50 1.75, p95 3.75, p99 3.95; b: an underflow, 2 in [0.5, 1), an
# overflow: p50 0.75, p95 at the overflow's edge 1e6); --logx leaves the
# points at 0 out.
cdf() {
    name=$1
    shift
    if (cd "$data" && sh "$plot" histograms.csv --cdf "$@" --data) >"$tmp/$name.tsv" \
        2>"$tmp/err" && cmp -s "$tmp/$name.tsv" "$data/expected-$name.tsv"; then
        ok "--cdf --data $name"
    else
        fail "--cdf --data $name differs from expected-$name.tsv:"
        diff "$data/expected-$name.tsv" "$tmp/$name.tsv"; cat "$tmp/err"
    fi
}
cdf cdf --metric delay.x --where scenario=t
cdf cdf-logx --metric delay.x --logx --where protocol=a --where scenario=t
if grep -q '^# line 1: a  n 10  p50 1.75  p95 3.75  p99 3.95$' "$data/expected-cdf.tsv" &&
   grep -q '^# line 2: b  n 4  p50 0.75  p95 1e+06  p99 1e+06$' "$data/expected-cdf.tsv"; then
    ok "--cdf: the expected quantiles are the hand-computed ones"
else
    fail "--cdf: expected-cdf.tsv lost its hand-computed quantiles"
fi
h="$data/histograms.csv"
expect 2 "--metric NAME is required" "$h" --cdf
expect 2 "no metric 'delay.z'" "$h" --cdf --metric delay.z --out "$out/c.png"
expect 2 "no row of metric 'delay.x' \(entity 'so:9'\)" "$h" --cdf --metric delay.x --entity so:9 --out "$out/c.png"
expect 2 "two rows for bucket 1 on the line 'a'" "$h" --cdf --metric delay.x --out "$out/c.png"
expect 2 "not a kmsim histograms.csv \(no column 'bucket_lo'\)" "$s" --cdf --metric queue.W --out "$out/c.png"
expect 2 "--cdf: unknown option '--x'" "$h" --cdf --metric delay.x --x a
if sh "$plot" --cdf --help 2>&1 | grep -q '^usage: kmsim-plot HISTOGRAMS.csv --cdf'; then
    ok "--cdf --help"
else
    fail "--cdf --help prints no usage"
fi
if [ -n "$(ls -A "$out")" ]; then
    fail "files left behind by failed runs: $(ls -A "$out")"
else
    ok "no file left behind by the failed runs"
fi

# --series (issue 23): tests/data/plot/series.csv over time, mean over
# replications per protocol, x sorted; the default statistic; errors.
ser="$data/series.csv"
(cd "$data" && sh "$plot" series.csv --series --metric queue.length --entity so:0 --data) \
    >"$tmp/ser.tsv" 2>"$tmp/err"
cat >"$tmp/ser-exp.tsv" <<'TSV'
# kmsim-plot --series series.csv: metric queue.length, entity 'so:0', stat mean, unit req
# x	y	replications
# line 1: dini
10	1.5	2
20	3.5	2


# line 2: netkey
10	0.5	1
20	0.25	1
TSV
cmp -s "$tmp/ser.tsv" "$tmp/ser-exp.tsv" && ok "--series --data: mean over replications, one line per protocol" ||
    { fail "--series --data:"; diff "$tmp/ser-exp.tsv" "$tmp/ser.tsv"; cat "$tmp/err"; }
got=$(sh "$plot" "$ser" --series --metric msgs.data --where replication=0 --data 2>&1 | sed -n '1p;/^1/p' | tr '\t\n' ' ')
[ "$got" = "# kmsim-plot --series $ser: metric msgs.data, entity '', stat sum, unit msg 10 7 1 10 9 1 " ] &&
    ok "--series: sum by default for a counter, nan left out, a quoted protocol" || fail "--series counter: $got"
expect 2 "several entities \('so:0', 'so:all'\): choose one with --entity" "$ser" --series --metric queue.length --data
expect 2 "no statistic 'p99' \(its statistics: mean, end\)" "$ser" --series --metric queue.length --entity so:0 --stat p99 --data
expect 2 "no rows of metric 'nope'" "$ser" --series --metric nope --data
expect 2 "not a kmsim series.csv \(no column 't_end_s'\)" "$s" --series --metric queue.W --data
expect 2 "--vline x: expected a number" "$ser" --series --metric msgs.data --vline x
expect 2 "unknown option '--x' in --series mode" "$ser" --series --x t --metric msgs.data

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "gnuplot not found: the PNG checks are skipped"
    [ "$fails" -eq 0 ] && exit 77
    echo "$fails of $n checks failed"
    exit 1
fi

# --cdf draws a PNG (default name METRIC.cdf.png beside the file).
cp "$data/histograms.csv" "$tmp/hist.csv"
if sh "$plot" "$tmp/hist.csv" --cdf --metric delay.x --logx --where scenario=t 2>"$tmp/err" &&
   [ "$(od -An -c -N4 "$tmp/delay.x.cdf.png" | tr -d ' ')" = '211PNG' ]; then
    ok "--cdf writes a PNG beside the file"
else
    fail "--cdf: no PNG: $(cat "$tmp/err")"
fi

# A PNG is written, with the PNG signature; then one at the default place.
png_magic() {
    [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ]
}
if sh "$plot" "$s" --x topology.sources --metric key.rekey.mean --scale 1000 \
    --where 'topology.area=[100m, 100m]' --logx --title "a \"title\" it's" \
    --hline "30=a paper's 30 ms" --hline 50 --yrange 0:* --size 640x400 \
    --out "$out/rekey.png" 2>"$tmp/err" && png_magic "$out/rekey.png"; then
    ok "PNG written (--logx, --scale, --hline, quotes in texts)"
else
    fail "no PNG written"; cat "$tmp/err"
fi
# PDF and SVG by the extension (any case), each its own format
for f in pdf svg PDF; do
    rm -f "$out/rekey.$f"
    sh "$plot" "$s" --x topology.sources --metric key.rekey.mean \
        --where 'topology.area=[100m, 100m]' --out "$out/rekey.$f" 2>"$tmp/err"
    st=$?
    case $f in
    [pP][dD][fF]) magic=$(head -c 5 "$out/rekey.$f" 2>/dev/null); want=%PDF- ;;
    svg) magic=$(grep -c '<svg' "$out/rekey.$f" 2>/dev/null); want=1 ;;
    esac
    if [ $st -eq 0 ] && [ "$magic" = "$want" ] && ! png_magic "$out/rekey.$f"; then
        ok "--out rekey.$f: $f written"
    else
        fail "--out rekey.$f: exit $st, '$magic'"; cat "$tmp/err"
    fi
done
cp "$s" "$tmp/summary.csv"
if sh "$plot" "$tmp/summary.csv" --x topology.area --metric queue.W \
    --where topology.sources=2 --by traffic.interval --key below 2>"$tmp/err" &&
    png_magic "$tmp/queue.W.png"; then
    ok "PNG at the default place (categorical x, --key below)"
else
    fail "no PNG at $tmp/queue.W.png"; cat "$tmp/err"
fi

# A gnuplot that writes half a file and fails: nothing at --out, an older
# PNG there kept as it was, no temporary file left.
mkdir "$tmp/bin" "$tmp/h" || exit 99
cat >"$tmp/bin/gnuplot" <<'EOF'
#!/bin/sh
[ "$1" = -e ] && exit 0
o=$(sed -n "s/^set output '\(.*\)'\$/\1/p" "$1")
printf 'half a PNG' >"$o"
echo "simulated failure" >&2
exit 1
EOF
chmod +x "$tmp/bin/gnuplot"
printf 'old' >"$tmp/h/keep.png"
PATH="$tmp/bin:$PATH" sh "$plot" "$s" --x topology.sources \
    --metric key.rekey.mean --where 'topology.area=[100m, 100m]' \
    --out "$tmp/h/new.png" >/dev/null 2>"$tmp/err"
st1=$?
PATH="$tmp/bin:$PATH" sh "$plot" "$s" --x topology.sources \
    --metric key.rekey.mean --where 'topology.area=[100m, 100m]' \
    --out "$tmp/h/keep.png" >/dev/null 2>>"$tmp/err"
st2=$?
if [ "$st1" -eq 1 ] && [ "$st2" -eq 1 ] && grep -q 'gnuplot failed' "$tmp/err" &&
    [ "$(ls -A "$tmp/h")" = keep.png ] && [ "$(cat "$tmp/h/keep.png")" = old ]; then
    ok "a failing gnuplot leaves no PNG and keeps the old one"
else
    fail "failing gnuplot: exit $st1/$st2, left: $(ls -A "$tmp/h")"; cat "$tmp/err"
fi

# --series: a PNG over time with a horizontal and a vertical line.
if sh "$plot" "$ser" --series --metric queue.length --entity so:0 \
    --hline "2=M/M/1 L" --vline "10=flood starts" --label dini=measured \
    --out "$out/series.png" 2>"$tmp/err" && png_magic "$out/series.png"; then
    ok "--series PNG written (--hline, --vline, --label)"
else
    fail "--series: no PNG written"; cat "$tmp/err"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails of $n checks failed"
    exit 1
fi
echo "all $n checks passed"
exit 0
