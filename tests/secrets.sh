#!/bin/sh
# secrets.sh — no key value appears in anything kmsim writes or prints.
# tests/kmsim-keylog (kmsim built with -DKMSIM_TEST_KEYLOG) appends every
# key value its key stores take in (generated, derived, received, copied
# into the attackers' knowledge base) to $KMSIM_TEST_KEYLOG.  Each protocol
# (dini, dipietro, eg, netkey, pairwise) runs with every attacker (an
# eavesdropper, a capture, a leak, seed sniffing, replays, forgeries,
# tampering, an insider, a flood), at kmsim's most verbose: the summary
# table, --per-node (nodes.csv), --series with every metric selected
# (series.csv); then a compare of all five and a sweep
# (its journal).  tests/keyscan then looks for every 8-byte window of
# every key, raw, in hex (either case) and in base64, in every CSV, the
# sweep journal, stdout and stderr, and in the packet trace each protocol's
# run writes (--pcap, issue 23), histograms.csv and compare-histograms.csv.  The one file allowed to hold keys is the
# --keylog file a user asks for: a run with it must put keys there (the
# scan finds them) and nowhere else, and --keylog is refused without
# --pcap.  Checked too: keyscan finds a key planted in each
# encoding (so a silent scan means something), kmsim-keylog writes the
# same CSVs as kmsim, and kmsim itself ignores KMSIM_TEST_KEYLOG.  The
# compare and the sweep also store into a results database (--db, issue
# 23): the database file and its text dump (sqlite3 FILE .dump) are
# scanned too, and a key planted in a copy of it is found in its dump.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
# make check-valgrind: kmsim under valgrind memcheck
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
keyscan="$top_builddir/tests/keyscan"
# kmsim-keylog ARGS: the key-logging kmsim (under valgrind too when asked)
kmsim_keylog() {
    if [ -n "${KMSIM_VALGRIND:-}" ]; then
        sh "$top_srcdir/tests/valgrind.sh" "$top_builddir/tests/kmsim-keylog" "$@"
    else
        "$top_builddir/tests/kmsim-keylog" "$@"
    fi
}
tmp=$(mktemp -d /tmp/kmsim-secrets.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
unset KMSIM_TEST_CRASH_POINT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

if [ -n "${KMSIM_VALGRIND:-}" ]; then dur=4min; else dur=10min; fi

# attack-compare.yaml's world, shorter, with seed sniffing added.
cat >"$tmp/sc.yaml" <<YAML
name: secrets
seed: 5
duration: $dur
warmup: 30s
replications: 2
protocol: {name: dini, pool: 4, ring: 2, search_hops: 3, rekey_every: 1min}
protocols:
  dipietro: {rekey_every: 1min}
  eg: {pool: 200, ring: 30}
  netkey: {rekey_every: 1min}
  pairwise: {rekey_every: 1min}
topology:
  generator: tree
  sources: 14
  smart_objects: 1
  subscribers: 1
  fanout: 2
  link: {latency: 5ms, bandwidth: 250kbps}
traffic:
  interval: exp(20s)
  size: 64B
  register_at: 'uniform(0s, 20s)'
smart_object:
  service: exp(100ms)
attackers:
  - {type: eavesdropper, links: all}
  - {type: node_capture, nodes: random, count: 1, at: 2min, detection: 30s}
  - {type: global_key_leak, at: 1min, detection: 30s}
  - {type: seed_sniffing, links: all}
  - {type: replay, at: 40s, count: 20, rate: 1/s}
  - {type: forgery, at: 40s, count: 20, rate: 1/s}
  - {type: tampering, at: 3min, count: 20}
  - {type: insider, nodes: random, count: 1, at: 90s, rate: 0.2/s}
  - {type: flooding, at: 0s, rate: 1/s}
YAML
sc="$tmp/sc.yaml"

# The scanner finds a planted key in every encoding, in the middle of
# other text, at each base64 alignment; and finds nothing in a clean file.
printf '%s\n' 00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978 >"$tmp/plant.keys"
printf 'x,\210\231\252\273\314\335\356\377,y\n' >"$tmp/plant.raw"
printf 'metric,8899AABBCCDDEEFF,1\n' >"$tmp/plant.HEX"
printf 'metric,8899aabbccddeeff01,1\n' >"$tmp/plant.hex"
for pre in '' 'A' 'AB'; do
    printf '%s\063\104\125\146\167\210\231\252\273\314\335\356\377\001\043\105\147\211\253\315\357\017\036\055\074\113\132\151\170' "$pre" | base64 >"$tmp/plant.b64-${#pre}"
done
printf 'kmsim,summary,0.5,1e-9\n' >"$tmp/plant.clean"
planted=0
for f in raw HEX hex b64-0 b64-1 b64-2; do
    "$keyscan" "$tmp/plant.keys" "$tmp/plant.$f" >"$tmp/scan.out" 2>&1
    [ $? -eq 1 ] && planted=$((planted + 1)) || fail "keyscan misses a key planted as $f: $(cat "$tmp/scan.out")"
done
"$keyscan" "$tmp/plant.keys" "$tmp/plant.clean" >"$tmp/scan.out" 2>&1 &&
    [ $planted -eq 6 ] && ok "keyscan finds a planted key raw, in hex, in HEX and in base64 (3 alignments), not in a clean file" ||
    fail "keyscan: $planted of 6 plants found; clean file: $(cat "$tmp/scan.out")"

# kmsim itself has no key log.
KMSIM_TEST_KEYLOG="$tmp/kmsim.keys" "$kmsim" run "$sc" --replications 1 --until 1min -q --out "$tmp/plain" 2>"$tmp/err" &&
    [ ! -e "$tmp/kmsim.keys" ] && ok "kmsim ignores KMSIM_TEST_KEYLOG" ||
    fail "kmsim and KMSIM_TEST_KEYLOG: $(ls "$tmp"; cat "$tmp/err")"

# scan_all WHAT KEYS DIR...: every file under DIR... (CSVs, journal,
# captured stdout and stderr) against the keys of KEYS.
scan_all() {
    what=$1 keys=$2
    shift 2
    nk=$(wc -l <"$keys")
    files=$(find "$@" -type f | sort)
    nf=$(echo "$files" | wc -l)
    # shellcheck disable=SC2086
    if [ "$nk" -lt 10 ]; then
        fail "$what: only $nk keys logged"
    elif "$keyscan" "$keys" $files >"$tmp/scan.out" 2>&1; then
        ok "$what: $nk keys, none in its $nf files ($(tail -n 1 "$tmp/scan.out"))"
    else
        fail "$what: keys found: $(head -n 20 "$tmp/scan.out")"
    fi
}

for p in dini dipietro eg netkey pairwise; do
    d="$tmp/run-$p"
    mkdir "$d"
    KMSIM_TEST_KEYLOG="$tmp/$p.keys" kmsim_keylog run "$sc" --protocol $p \
        --per-node --series 10s --series-metrics '*' --out "$d/out" \
        --pcap "$d/trace.pcap" >"$d/stdout" 2>"$d/stderr"
    st=$?
    if [ $st -ne 0 ] || [ ! -s "$d/out/nodes.csv" ] ||
       [ "$(wc -l <"$d/out/series.csv")" -lt 1000 ] || [ ! -s "$d/out/histograms.csv" ] ||
       ! grep -q fingerprint "$d/stdout" || [ ! -s "$d/trace.pcap" ]; then
        fail "run --protocol $p: exit $st: $(cat "$d/stderr")"
        continue
    fi
    # The trace is what the links carry: as published, Dini's key ring and
    # Di Pietro's seeds travel in clear (the eavesdropper reads them), so
    # those parts are zeroed before the scan; every header and sealed part
    # is scanned.  Hardened (below), the whole trace is scanned.
    "$top_builddir/tests/pcapcheck" --sealed-only "$d/trace.pcap" "$d/trace.sealed" &&
        rm "$d/trace.pcap" || fail "pcapcheck --sealed-only $p"
    scan_all "run --protocol $p" "$tmp/$p.keys" "$d"
    d="$tmp/hard-$p"
    mkdir "$d"
    KMSIM_TEST_KEYLOG="$tmp/hard-$p.keys" kmsim_keylog run "$sc" --protocol $p \
        --set defences=hardened --replications 1 --out "$d/out" \
        --pcap "$d/trace.pcap" >"$d/stdout" 2>"$d/stderr"
    st=$?
    if [ $st -ne 0 ] || [ ! -s "$d/trace.pcap" ]; then
        fail "run --protocol $p hardened --pcap: exit $st: $(cat "$d/stderr")"
        continue
    fi
    scan_all "run --protocol $p hardened, whole trace" "$tmp/hard-$p.keys" "$d"
done
# The clear parts are really where the as-published keys are (so zeroing
# them is what made the scan silent): Dini's whole trace holds keys.
KMSIM_TEST_KEYLOG="$tmp/clear.keys" kmsim_keylog run "$sc" --protocol dini \
    --replications 1 --out "$tmp/clear" --pcap "$tmp/clear.pcap" -q 2>/dev/null
if "$keyscan" "$tmp/clear.keys" "$tmp/clear.pcap" >"$tmp/scan.out" 2>&1; then
    fail "dini as published: no key in the whole trace (KEYS in clear expected)"
else
    ok "dini as published: the whole trace holds the keys its KEYS messages send in clear"
fi

# --keylog (issue 23): the keys of the trace's seals go to that file, and
# only there (the trace, CSVs, stdout, stderr scanned whole: hardened, no
# key travels in clear); without --pcap it is refused, nothing written.
d="$tmp/keylog"
mkdir "$d" "$d/out"
KMSIM_TEST_KEYLOG="$tmp/kl.keys" kmsim_keylog run "$sc" --protocol dini --replications 1 \
    --set defences=hardened --out "$d/out" --pcap "$d/out/trace.pcap" --keylog "$tmp/asked.keylog" \
    >"$d/stdout" 2>"$d/stderr"
st=$?
if [ $st -eq 0 ] && [ -s "$d/out/trace.pcap" ] && [ -s "$tmp/asked.keylog" ]; then
    scan_all "run --pcap --keylog (all but the key log)" "$tmp/kl.keys" "$d"
    if "$keyscan" "$tmp/kl.keys" "$tmp/asked.keylog" >"$tmp/scan.out" 2>&1; then
        fail "--keylog: the scan finds no key in the key log (a silent scan?)"
    else
        ok "--keylog: the key log holds the run's keys ($(grep -c '^SEAL' "$tmp/asked.keylog") seals)"
    fi
else
    fail "run --pcap --keylog: exit $st: $(cat "$d/stderr")"
fi
"$kmsim" run "$sc" --replications 1 --out "$tmp/refused" --keylog "$tmp/refused.keylog" \
    >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] && [ ! -e "$tmp/refused.keylog" ] && [ ! -e "$tmp/refused" ] &&
    grep -q -- '--keylog needs --pcap' "$tmp/err" &&
    ok "--keylog without --pcap: refused, nothing written" ||
    fail "--keylog without --pcap: exit $st: $(cat "$tmp/err")"

# The key-logging build writes what kmsim writes.
"$kmsim" run "$sc" --protocol dipietro --per-node --out "$tmp/same" -q 2>"$tmp/err"
same=
for f in runs summary replications nodes histograms; do
    cmp -s "$tmp/same/$f.csv" "$tmp/run-dipietro/out/$f.csv" || same="$same $f.csv"
done
[ -z "$same" ] && ok "kmsim-keylog's CSVs are kmsim's" || fail "kmsim-keylog's CSVs differ from kmsim's:$same"

# histograms.csv (issue 23) is scanned with the other files; a key written
# into one (a bucket row whose metric is a key in hex) would be found.
if [ -s "$tmp/same/histograms.csv" ]; then
    cp "$tmp/same/histograms.csv" "$tmp/plant-hist.csv"
    k=$(head -n 1 "$tmp/dipietro.keys" 2>/dev/null)
    printf 'x,x,x,x,%s,,s,1,1.01,1\r\n' "$k" >>"$tmp/plant-hist.csv"
    printf '%s\n' "$k" >"$tmp/one.keys"
    "$keyscan" "$tmp/one.keys" "$tmp/plant-hist.csv" >"$tmp/scan.out" 2>&1
    [ $? -eq 1 ] && [ -n "$k" ] && ok "keyscan finds a key planted in a histograms.csv" ||
        fail "keyscan misses a key planted in histograms.csv: $(cat "$tmp/scan.out")"
else
    fail "run wrote no histograms.csv"
fi

# compare (compare.csv, compare-runs.csv, the per-protocol files and the
# side-by-side tables) and a sweep with two workers (its journal).
d="$tmp/compare"
mkdir "$d"
KMSIM_TEST_KEYLOG="$tmp/compare.keys" kmsim_keylog compare "$sc" --replications 1 \
    --series 30s --out "$d/out" --db "$d/results.db" >"$d/stdout" 2>"$d/stderr"
st=$?
# db_dump DIR: DIR/results.db as SQL text beside it (scanned with the rest)
db_dump() {
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 "$1/results.db" .dump >"$1/results.sql" &&
            [ "$(grep -c '^INSERT INTO value' "$1/results.sql")" -gt 100 ] ||
            fail "$1/results.db: no dump, or no rows in it"
    fi
}
if [ $st -eq 0 ] && [ -s "$d/out/compare.csv" ] && [ -s "$d/out/compare-histograms.csv" ]; then
    db_dump "$d"
    if command -v sqlite3 >/dev/null 2>&1; then
        # a key in the database would be found: plant one in a copy
        cp "$d/results.db" "$tmp/plant.db"
        k=$(head -n 1 "$tmp/compare.keys")
        sqlite3 "$tmp/plant.db" "UPDATE invocation SET command_line = command_line || ' $k'" &&
            sqlite3 "$tmp/plant.db" .dump >"$tmp/plant.sql"
        "$keyscan" "$tmp/compare.keys" "$tmp/plant.sql" >"$tmp/scan.out" 2>&1
        [ $? -eq 1 ] && ok "keyscan finds a key planted in a database dump" ||
            fail "keyscan misses a key planted in a database dump: $(cat "$tmp/scan.out")"
        rm -f "$tmp/plant.db" "$tmp/plant.sql"
    fi
    scan_all "compare (5 protocols)" "$tmp/compare.keys" "$d"
else
    fail "compare: exit $st: $(cat "$d/stderr")"
fi
d="$tmp/sweep"
mkdir "$d"
KMSIM_TEST_KEYLOG="$tmp/sweep.keys" kmsim_keylog sweep "$sc" --protocols dini,dipietro \
    --replications 1 --jobs 2 --until 3min --series 10s --series-metrics '*' \
    --out "$d/out" --db "$d/results.db" >"$d/stdout" 2>"$d/stderr"
st=$?
if [ $st -eq 0 ] && [ -s "$d/out/sweep.journal" ] && [ -s "$d/out/runs.csv" ] &&
   [ -s "$d/out/series.csv" ] && [ -s "$d/out/histograms.csv" ]; then
    db_dump "$d"
    scan_all "sweep (2 points, 2 workers)" "$tmp/sweep.keys" "$d"
else
    fail "sweep: exit $st: $(cat "$d/stderr")"
fi

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
