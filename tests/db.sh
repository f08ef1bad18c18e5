#!/bin/sh
# db.sh — the SQLite results database (--db, kmsim db import; issue 23).
# 1. The README's "Results database" section: its sh fence runs in a
#    scratch folder, then each ```sql fence (marked <!-- db: NAME -->) with
#    the sqlite3 CLI and the python one with python3 (skipped, saying so,
#    without pandas); their answers are checked against the CSV files.
# 2. Every row of a run (with --set columns, one with a .si twin) equals its
#    CSV row (numbers compared as doubles, from 17 significant digits).
# 3. Two kmsim processes storing into one file at once; a sweep with
#    --jobs 2; a sweep interrupted by SIGINT (only complete directories
#    stored, PRAGMA integrity_check ok; the resumed sweep stores it all);
#    re-import skipped; --threads 2 stores the rows of one thread.
# 4. Refusals: not an SQLite file, another application's database, another
#    schema version, a directory, a path that cannot be created, a
#    malformed CSV (file:line, nothing stored), kmsim db usage.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
top_builddir=$(cd "$top_builddir" && pwd) || exit 99
kmsim="$top_builddir/kmsim"
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
readme="$top_srcdir/README.md"
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 CLI is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/kmsim-db.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
q() { sqlite3 "$@" 2>&1; }

# ---- 1. the README -------------------------------------------------------
# fence KIND NAME: the body of the fence of the Results database section
# whose language is KIND and (NAME non-empty) whose marker is <!-- db: NAME -->
fence() {
    awk -v kind="$1" -v name="$2" '
        /^## / { insec = ($0 ~ /^## Results database/) }
        !insec { prev = $0; next }
        infence && /^```/ { infence = 0; if (want) exit; next }
        infence { if (want) print; next }
        /^```/ {
            infence = 1
            want = ($0 == "```" kind) &&
                   (name == "" || prev == "<!-- db: " name " -->")
            next
        }
        { prev = $0 }' "$readme"
}
w="$tmp/readme"
mkdir "$w"
ln -s "$kmsim" "$w/kmsim"
ln -s "$top_srcdir/scenarios" "$w/scenarios"
fence sh "" >"$tmp/fence.sh"
if [ "$(grep -c -- '--db results.db' "$tmp/fence.sh")" -ge 3 ] &&
   (cd "$w" && sh -e "$tmp/fence.sh") >"$tmp/fence.out" 2>&1; then
    ok "the README's database commands run ($(wc -l <"$tmp/fence.sh") lines)"
else
    fail "README fence: $(cat "$tmp/fence.sh" "$tmp/fence.out")"
fi
grep -q "already stored" "$tmp/fence.out" &&
    [ "$(q "$w/results.db" 'SELECT count(*) FROM invocation')" = 7 ] &&
    ok "re-importing the stored directories skips them (7 invocations)" ||
    fail "re-import: $(cat "$tmp/fence.out"; q "$w/results.db" 'SELECT id, directory FROM invocation')"

# summary_rows FILE... METRIC: "protocol,<params...>,n,mean,ci95_lo,ci95_hi"
# of METRIC (entity empty) in summary.csv files, by the header's names
summary_rows() {
    metric=$1
    shift
    awk -F, -v metric="$metric" '
        { sub(/\r$/, "") }
        FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["metric"] == metric && $col["entity"] == "" {
            p = ""
            for (i = col["protocol"] + 1; i < col["base_seed"]; i++) p = p "," $i
            print $col["protocol"] p "," $col["n"] "," $col["mean"] "," \
                  $col["ci95_lo"] "," $col["ci95_hi"]
        }' "$@"
}
# same_rows A B: the same CSV lines, numbers equal to 1e-12 (relative;
# the sqlite3 CLI prints 15 significant digits)
same_rows() {
    awk -F, '
        NR == FNR { a[FNR] = $0; na = FNR; next }
        {
            if (!(FNR in a)) { bad = 1; exit }
            m = split(a[FNR], x, ",")
            if (m != NF) { bad = 1; exit }
            for (i = 1; i <= NF; i++) {
                if (x[i] == $i) continue
                if (x[i] ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ &&
                    $i ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) {
                    d = x[i] - $i; if (d < 0) d = -d
                    s = x[i] < 0 ? -x[i] : x[i]
                    if (d <= 1e-12 * s) continue
                }
                bad = 1; exit
            }
            nb = FNR
        }
        END { exit bad || na != nb }' "$1" "$2"
}

sql=$(fence sql rekey)
summary_rows key.rekey.mean "$w/results/fig1/summary.csv" |
    sort -t, -k1,1 -k2,2n >"$tmp/rekey.want"
(cd "$w" && sqlite3 -csv results.db "$sql") >"$tmp/rekey.got" 2>&1
if [ -n "$sql" ] && [ "$(wc -l <"$tmp/rekey.want")" -ge 10 ] &&
   same_rows "$tmp/rekey.want" "$tmp/rekey.got"; then
    ok "README SQL: re-key delay by protocol and sources = summary.csv ($(wc -l <"$tmp/rekey.got") rows)"
else
    fail "README SQL rekey: want"; cat "$tmp/rekey.want"; echo got; cat "$tmp/rekey.got"
fi

sql=$(fence sql incomplete)
awk -F, '{ sub(/\r$/, "") } FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["complete"] == 0 { print "results/fig1-part," $col["protocol"] ",topology.sources=" $col["topology.sources"] "," $col["replications"] }' \
    "$w/results/fig1-part/summary.csv" | sort -u >"$tmp/inc.want"
for f in "$w/results/fig1/summary.csv" "$w"/results/cmp/*/summary.csv; do
    awk -F, 'FNR > 1 { sub(/\r$/, ""); if ($NF != 1) bad = 1 } END { exit bad }' "$f" ||
        fail "$f: a configuration incomplete"
done
(cd "$w" && sqlite3 -csv results.db "$sql") | sort >"$tmp/inc.got" 2>&1
if [ -n "$sql" ] && [ -s "$tmp/inc.want" ] && cmp -s "$tmp/inc.want" "$tmp/inc.got"; then
    ok "README SQL: incomplete configurations = summary.csv's complete = 0 ($(cat "$tmp/inc.got"))"
else
    fail "README SQL incomplete: want $(cat "$tmp/inc.want"), got $(cat "$tmp/inc.got")"
fi

sql=$(fence sql storage)
for f in "$w"/results/cmp/*/summary.csv; do
    summary_rows storage.bytes_per_node.mean "$f"
done | awk -F, '{ print $1 "," $3 "," $4 "," $5 }' | sort >"$tmp/st.want"
(cd "$w" && sqlite3 -csv results.db "$sql") >"$tmp/st.got" 2>&1
if [ -n "$sql" ] && [ "$(wc -l <"$tmp/st.want")" -eq 5 ] &&
   same_rows "$tmp/st.want" "$tmp/st.got"; then
    ok "README SQL: bytes per node by protocol = the compare's summary.csv files"
else
    fail "README SQL storage: want"; cat "$tmp/st.want"; echo got; cat "$tmp/st.got"
fi

# the pandas snippet: its pivot (sources x protocol means) = summary.csv
py=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import pandas' 2>/dev/null; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "SKIP (not a failure): pandas is not installed (python3-pandas); the README's pandas snippet is not run"
else
    fence python pandas >"$tmp/snippet.py"
    awk -F, '{ print $2 "," $1 "," $4 }' "$tmp/rekey.want" | sort -t, -k1,1n -k2,2 |
        awk -F, '$1 != s { if (NR > 1) print line; s = $1; line = $1 } { line = line "," $3 }
                 END { print line }' >"$tmp/pd.want"
    sed -i '1i sources,dini,dipietro' "$tmp/pd.want"
    if (cd "$w" && "$py" "$tmp/snippet.py") >"$tmp/pd.out" 2>&1 &&
       grep -v '^$' "$tmp/pd.out" >"$tmp/pd.got" &&
       grep -q read_sql_query "$tmp/snippet.py" &&
       same_rows "$tmp/pd.want" "$tmp/pd.got"; then
        ok "README pandas snippet ($py): the pivot = summary.csv"
    else
        fail "pandas snippet: want"; cat "$tmp/pd.want"; echo got; cat "$tmp/pd.out"
    fi
fi

# ---- 2. every row of a run equals its CSV row ----------------------------
r="$tmp/exact"
"$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" --replications 2 --until 10min \
    --set topology.sources=12 --set traffic.size=64B -q --out "$r/out" --db "$r.db" \
    >"$tmp/out" 2>&1 || fail "run --db: $(cat "$tmp/out")"
# prefix: the CSV's leading and parameter cells of config c (in order)
pre="c.kmsim_version || ',' || c.scenario || ',' || c.scenario_hash || ',' || c.protocol
     || (SELECT group_concat(x, '') FROM (SELECT ',' || p.value ||
          CASE WHEN p.si IS NULL THEN '' ELSE ',' || printf('%!.17g', p.si) END AS x
          FROM param p WHERE p.config = c.id ORDER BY p.ordinal))"
num() { echo "CASE WHEN $1 IS NULL THEN '' ELSE printf('%!.17g', $1) END"; }
q -list "$r.db" "SELECT $pre || ',' || v.replication || ',' || v.seed || ',' || v.metric
    || ',' || v.entity || ',' || v.unit || ',' || $(num v.value)
    FROM value v JOIN config c ON c.id = v.config ORDER BY v.rowid" >"$tmp/runs.got"
q -list "$r.db" "SELECT $pre || ',' || c.base_seed || ',' || s.metric || ',' || s.entity
    || ',' || s.unit || ',' || s.n || ',' || $(num s.mean) || ',' || $(num s.sd) || ','
    || $(num s.ci95_lo) || ',' || $(num s.ci95_hi) || ',' || $(num s.min) || ','
    || $(num s.max) || ',' || c.replications || ',' || c.complete
    FROM summary s JOIN config c ON c.id = s.config ORDER BY s.rowid" >"$tmp/summary.got"
q -list "$r.db" "SELECT $pre || ',' || r.replication || ',' || r.seed || ',' || r.events
    || ',' || $(num r.end_time_s) || ',' || r.fingerprint
    FROM replication r JOIN config c ON c.id = r.config ORDER BY r.rowid" >"$tmp/replications.got"
# exact: every cell equal as text, or as doubles (awk's strtod) where both
# are numbers
exact() {
    tail -n +2 "$1" | tr -d '\r' | awk -F, '
        NR == FNR { a[FNR] = $0; na = FNR; next }
        {
            m = split(a[FNR], x, ",")
            if (m != NF) { print "line " FNR ": " NF " cells, CSV " m; bad = 1; exit }
            for (i = 1; i <= NF; i++)
                if (x[i] != $i && !(x[i] ~ /^[-0-9.eE+]+$/ && x[i] + 0 == $i + 0)) {
                    print "line " FNR " cell " i ": CSV " x[i] ", db " $i; bad = 1; exit
                }
            nb = FNR
        }
        END { if (!bad && na != nb) { print na " CSV rows, " nb " db rows"; bad = 1 } exit bad }' \
        - "$2"
}
for f in runs summary replications; do
    if grep -q traffic.size.si "$r/out/$f.csv" && exact "$r/out/$f.csv" "$tmp/$f.got" >"$tmp/exact.out"; then
        ok "every $f.csv row of a run is in the database ($(wc -l <"$tmp/$f.got") rows, exact)"
    else
        fail "$f.csv against the database: $(cat "$tmp/exact.out")"
    fi
done
[ "$(q "$r.db" "SELECT path || '=' || value || ':' || ifnull(si, '') FROM param ORDER BY ordinal" | tr '\n' ' ')" = \
  "topology.sources=12: traffic.size=64B:64.0 " ] &&
    ok "param: the --set paths, values and SI values" ||
    fail "param: $(q "$r.db" 'SELECT * FROM param')"

# ---- 3. concurrency, sweeps, interruption, threads -----------------------
c="$tmp/conc"
mkdir "$c"
"$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" --seed 1 -q --out "$c/a" --db "$c/x.db" >"$c/a.log" 2>&1 &
pa=$!
"$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" --seed 2 -q --out "$c/b" --db "$c/x.db" >"$c/b.log" 2>&1 &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
rows() { echo $(($(wc -l <"$1/runs.csv") + $(wc -l <"$1/summary.csv") + $(wc -l <"$1/replications.csv") - 3)); }
got_a=$(q "$c/x.db" "SELECT (SELECT count(*) FROM value v JOIN config c ON c.id = v.config JOIN invocation i ON i.id = c.invocation WHERE i.directory = '$c/a')
    + (SELECT count(*) FROM summary v JOIN config c ON c.id = v.config JOIN invocation i ON i.id = c.invocation WHERE i.directory = '$c/a')
    + (SELECT count(*) FROM replication v JOIN config c ON c.id = v.config JOIN invocation i ON i.id = c.invocation WHERE i.directory = '$c/a')")
got_b=$(q "$c/x.db" "SELECT (SELECT count(*) FROM value v JOIN config c ON c.id = v.config JOIN invocation i ON i.id = c.invocation WHERE i.directory = '$c/b')
    + (SELECT count(*) FROM summary v JOIN config c ON c.id = v.config JOIN invocation i ON i.id = c.invocation WHERE i.directory = '$c/b')
    + (SELECT count(*) FROM replication v JOIN config c ON c.id = v.config JOIN invocation i ON i.id = c.invocation WHERE i.directory = '$c/b')")
if [ $sa -eq 0 ] && [ $sb -eq 0 ] && [ "$got_a" = "$(rows "$c/a")" ] &&
   [ "$got_b" = "$(rows "$c/b")" ] && [ "$(q "$c/x.db" 'PRAGMA integrity_check')" = ok ]; then
    ok "two kmsim run --db on one file at once: both stored whole ($got_a, $got_b rows)"
else
    fail "concurrent --db: exit $sa $sb, rows $got_a/$(rows "$c/a") $got_b/$(rows "$c/b"): $(cat "$c/a.log" "$c/b.log")"
fi

# Two processes creating one new file at once (the schema is made under
# the write lock, the file's kind read in the same snapshot): 10 rounds of
# two concurrent imports into a fresh file, both must store.
cr=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    rm -f "$c/new.db" "$c/new.db-wal" "$c/new.db-shm"
    "$kmsim" db import --db "$c/new.db" "$c/a" >"$c/ia.log" 2>&1 &
    pa=$!
    "$kmsim" db import --db "$c/new.db" "$c/b" >"$c/ib.log" 2>&1 &
    pb=$!
    wait $pa; sa=$?
    wait $pb; sb=$?
    if [ $sa -ne 0 ] || [ $sb -ne 0 ] ||
       [ "$(q "$c/new.db" 'SELECT count(*) FROM invocation')" != 2 ]; then
        cr=$((cr + 1))
        cat "$c/ia.log" "$c/ib.log"
    fi
done
[ $cr -eq 0 ] && ok "two processes creating one new database at once: both stored, 10 rounds" ||
    fail "creating one new database at once: $cr of 10 rounds failed"

s="$tmp/sweep"
"$kmsim" sweep "$top_srcdir/scenarios/fig-seed001-1.yaml" --jobs 2 --replications 2 \
    --vary topology.sources=2,4,8 -q --out "$s/out" --db "$s.db" >"$tmp/out" 2>&1
st=$?
if [ $st -eq 0 ] && [ "$(q "$s.db" 'SELECT count(*) || "," || sum(complete) FROM config')" = 6,6 ] &&
   [ "$(q "$s.db" 'SELECT count(*) FROM value')" = $(($(wc -l <"$s/out/runs.csv") - 1)) ]; then
    ok "sweep --jobs 2 --db: 6 complete configurations, every runs.csv row"
else
    fail "sweep --jobs 2 --db: exit $st: $(cat "$tmp/out"; q "$s.db" 'SELECT * FROM config_v')"
fi

i="$tmp/intr"
"$kmsim" sweep "$top_srcdir/scenarios/quickstart.yaml" --jobs 2 --replications 2 \
    --vary topology.sources=30,40,50,60,70,80 -q --out "$i/out" --db "$i.db" >"$tmp/intr.log" 2>&1 &
pid=$!
k=0
while [ ! -s "$i/out/sweep.journal" ] && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
kill -INT $pid
wait $pid
st=$?
inv=$(q "$i.db" 'SELECT count(*) FROM invocation')
incomplete=$(q "$i.db" "SELECT count(*) FROM config WHERE complete IS NOT 1")
if [ $st -ne 0 ] && [ "$(q "$i.db" 'PRAGMA integrity_check')" = ok ] &&
   [ "$incomplete" = 0 ] && { [ "$inv" = 0 ] || [ -s "$i/out/runs.csv" ]; }; then
    ok "sweep --db interrupted by SIGINT (exit $st): $inv directories stored, none incomplete, integrity ok"
else
    fail "interrupted sweep: exit $st, $inv invocations, $incomplete incomplete: $(cat "$tmp/intr.log")"
fi
"$kmsim" sweep "$top_srcdir/scenarios/quickstart.yaml" --jobs 2 --replications 2 \
    --vary topology.sources=30,40,50,60,70,80 -q --out "$i/out" --db "$i.db" >"$tmp/intr.log" 2>&1 &&
    [ "$(q "$i.db" 'SELECT count(*) || "," || sum(complete) FROM config')" = 6,6 ] &&
    [ "$(q "$i.db" 'SELECT count(*) FROM value')" = $(($(wc -l <"$i/out/runs.csv") - 1)) ] &&
    ok "the resumed sweep stores all 6 configurations" ||
    fail "resumed sweep: $(cat "$tmp/intr.log"; q "$i.db" 'SELECT * FROM config_v')"

t="$tmp/thr"
for th in 1 2; do
    "$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" --replications 2 --threads $th -q \
        --out "$t$th/out" --db "$t$th.db" >"$tmp/out" 2>&1 || fail "--threads $th --db: $(cat "$tmp/out")"
    for tab in config param value summary replication; do
        q "$t$th.db" "SELECT * FROM $tab" | sed "s|$t$th|DIR|g"
    done >"$t$th.rows"
done
if [ "$(wc -l <"${t}1.rows")" -gt 1000 ] && cmp -s "${t}1.rows" "${t}2.rows"; then
    ok "--threads 2 --db stores the rows of --threads 1 ($(wc -l <"${t}2.rows") rows)"
else
    fail "--threads 2 --db: rows differ from --threads 1"
fi

# ---- 4. refusals ----------------------------------------------------------
b="$tmp/bad"
mkdir "$b"
printf 'not a database, just text\n' >"$b/text.db"
sqlite3 "$b/other.db" 'CREATE TABLE t(x)'
sqlite3 "$b/v7.db" "PRAGMA application_id = $((0x6b6d7364)); PRAGMA user_version = 7; CREATE TABLE t(x)"
printf 'x\n' >"$b/file"
mkdir "$b/dir.db"
# ---- series.csv (--series) goes to the series table, row for row --------
e="$tmp/series"
"$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" --until 300s --series 30s -q \
    --out "$e/out" --db "$e.db" >"$tmp/out" 2>&1 || fail "run --series --db: $(cat "$tmp/out")"
want=$(($(wc -l <"$e/out/series.csv") - 1))
got=$(q "$e.db" "SELECT count(*) FROM series")
sum_csv=$(awk -F, 'NR > 1 && $10 == "msgs.register" && $13 == "sum" { s += $14 } END { print s + 0 }' "$e/out/series.csv")
sum_db=$(q "$e.db" "SELECT total(value) FROM series WHERE metric = 'msgs.register' AND stat = 'sum'")
if [ "$want" -gt 100 ] && [ "$got" = "$want" ] && [ "$sum_csv" -gt 0 ] &&
   awk -v a="$sum_csv" -v b="$sum_db" 'BEGIN { exit !(a == b) }'; then
    ok "--series --db: all $got series.csv rows in table series (msgs.register sum $sum_db)"
else
    fail "--series --db: $got rows in series, $want in series.csv; sums $sum_db / $sum_csv"
fi

# refused FILE STATUS PATTERN: run --db FILE exits STATUS, one line matching
# PATTERN and naming the file, no --out written, FILE unchanged
refused() {
    before=$(cat "$1" 2>/dev/null | cksum)
    "$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" -q --out "$b/out" --db "$1" >"$b/out.log" 2>&1
    st=$?
    if [ $st -eq "$2" ] && [ "$(wc -l <"$b/out.log")" -eq 1 ] && grep -q -- "--db $1: $3" "$b/out.log" &&
       [ ! -e "$b/out" ] && [ "$(cat "$1" 2>/dev/null | cksum)" = "$before" ]; then
        ok "--db $(basename "$1"): exit $st, $(cat "$b/out.log")"
    else
        fail "--db $1: exit $st (want $2): $(cat "$b/out.log"); out: $(ls "$b")"
    fi
    rm -rf "$b/out"
}
refused "$b/text.db" 2 "not a kmsim results database (not an SQLite file)"
refused "$b/other.db" 2 "not a kmsim results database (another application"
refused "$b/v7.db" 2 "a kmsim database of schema version 7"
refused "$b/dir.db" 2 "is a directory"
refused "$b/file/x.db" 1 "cannot open"
[ ! -e "$b/file/x.db" ] || fail "a database left under a file"
# a FIFO (never opened: refused() would block reading it)
if mkfifo "$b/fifo.db" 2>/dev/null; then
    "$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" -q --out "$b/out" --db "$b/fifo.db" \
        >"$b/out.log" 2>&1
    st=$?
    [ $st -eq 2 ] && grep -q -- "--db $b/fifo.db: not a regular file" "$b/out.log" &&
        [ ! -e "$b/out" ] && ok "--db naming a FIFO: exit 2, $(cat "$b/out.log")" ||
        fail "--db FIFO: exit $st: $(cat "$b/out.log")"
    rm -f "$b/fifo.db"
fi
# --pcap or --keylog naming the database (another spelling of it too)
"$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" -q --out "$b/out" --db "$r.db" \
    --pcap "$(dirname "$r")/./$(basename "$r").db" >"$b/out.log" 2>&1
st=$?
[ $st -eq 2 ] && grep -q -- "--pcap and --db name the same file" "$b/out.log" && [ ! -e "$b/out" ] &&
    ok "--pcap naming the database: exit 2, $(cat "$b/out.log")" ||
    fail "--pcap = --db: exit $st: $(cat "$b/out.log")"
# A database this user cannot write: refused before the run (exit 1),
# as root through runuser when there is a user nobody
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
    ro="$tmp/ro"
    mkdir "$ro" && cp "$r.db" "$ro/r.db" && chmod 444 "$ro/r.db" && chmod 777 "$ro" &&
        chmod o+x "$tmp"
    runuser -u nobody -- "$kmsim" run "$top_srcdir/scenarios/quickstart.yaml" -q \
        --out "$ro/out" --db "$ro/r.db" >"$ro/log" 2>&1
    st=$?
    [ $st -eq 1 ] && grep -q "r.db: cannot write: the file is read-only" "$ro/log" &&
        [ ! -e "$ro/out" ] && ok "a read-only database: exit 1 before the run, $(cat "$ro/log")" ||
        fail "read-only database: exit $st: $(cat "$ro/log"); $(ls "$ro")"
fi

# a malformed CSV: file:line, exit 2, nothing of the directory stored
cp -r "$r/out" "$b/mal"
awk 'NR == 5 { sub(/,[^,]*\r$/, "\r") } { print }' "$r/out/runs.csv" >"$b/mal/runs.csv"
"$kmsim" db import --db "$b/m.db" "$b/mal" >"$b/m.log" 2>&1
st=$?
if [ $st -eq 2 ] && grep -q "runs.csv:5: 12 fields, the header has 13" "$b/m.log" &&
   [ "$(q "$b/m.db" 'SELECT count(*) FROM invocation') $(q "$b/m.db" 'SELECT count(*) FROM summary')" = "0 0" ]; then
    ok "a malformed runs.csv: exit 2, $(cat "$b/m.log"); nothing stored"
else
    fail "malformed CSV: exit $st: $(cat "$b/m.log")"
fi
printf '0.1.0,x' >>"$b/mal/summary.csv"
cp "$r/out/runs.csv" "$b/mal/runs.csv"
"$kmsim" db import --db "$b/m.db" "$b/mal" >"$b/m.log" 2>&1
[ $? -eq 2 ] && grep -q "summary.csv:[0-9]*: the last row has no line end" "$b/m.log" &&
    ok "a truncated summary.csv: $(cat "$b/m.log")" || fail "truncated CSV: $(cat "$b/m.log")"
"$kmsim" db import --db "$b/m.db" "$b/nowhere" >"$b/m.log" 2>&1
[ $? -eq 2 ] && grep -q "nowhere: cannot open" "$b/m.log" &&
    ok "kmsim db import of a missing directory: exit 2" || fail "missing dir: $(cat "$b/m.log")"
"$kmsim" db import "$r/out" >"$b/m.log" 2>&1
[ $? -eq 2 ] && grep -q "expected --db FILE" "$b/m.log" &&
    ok "kmsim db import without --db: exit 2" || fail "no --db: $(cat "$b/m.log")"
"$kmsim" db --help | grep -q "kmsim db import --db FILE DIR" &&
    ok "kmsim db --help" || fail "kmsim db --help"
"$kmsim" validate "$top_srcdir/scenarios/quickstart.yaml" --db "$b/v.db" >"$b/m.log" 2>&1
[ $? -eq 2 ] && [ ! -e "$b/v.db" ] && ok "validate --db: refused" || fail "validate --db: $(cat "$b/m.log")"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
