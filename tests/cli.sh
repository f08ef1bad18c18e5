#!/bin/sh
# cli.sh — the kmsim command line: exit statuses (0 ok, 1 failure, 2 bad
# input), messages naming file:line:column or the flag, nothing written
# on error, data on stdout and messages on stderr.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
# make check-valgrind: kmsim under valgrind memcheck
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
tmp=$(mktemp -d /tmp/kmsim-cli.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

# expect STATUS PATTERN CMD... : runs CMD, checks its exit status and that
# stderr matches the extended regex PATTERN (empty = anything).
expect() {
    want=$1 pat=$2
    shift 2
    n=$((n + 1))
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $* -> exit $got, expected $want"; cat "$tmp/err"
        fails=$((fails + 1))
    elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$tmp/err"; then
        echo "FAIL: $* -> stderr does not match '$pat':"; cat "$tmp/err"
        fails=$((fails + 1))
    else
        echo "ok $n: $*"
    fi
}

sc="$top_srcdir/scenarios/explicit-small.yaml"
expect 0 '' "$kmsim" --version
expect 0 '' "$kmsim" --help
expect 2 '^usage: kmsim run\|compare\|sweep\|validate FILE .*kmsim --help' "$kmsim"
if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
    echo "FAIL: kmsim with no arguments prints $(wc -l <"$tmp/err") lines, not one"
    fails=$((fails + 1))
fi
# a topology error caused by a --set of the node count names the --set
expect 2 '^--set topology\.sources=16777000: random geometric topology would have about' \
    "$kmsim" validate "$top_srcdir/scenarios/default.yaml" --set topology.sources=16777000
expect 2 "unknown command 'frobnicate'" "$kmsim" frobnicate "$sc"
expect 2 'exactly one scenario' "$kmsim" run
expect 2 '--seed abc: expected an integer' "$kmsim" run "$sc" --seed abc
expect 2 '--until 5parsecs' "$kmsim" run "$sc" --until 5parsecs
expect 2 '--replications 0' "$kmsim" run "$sc" --replications 0
# a protocol set-up error caused by --set names the flag (issue 20 #7)
expect 2 '^--set protocol\.d=4: protocol\.d = 4: 2\^d = 16 is smaller' "$kmsim" validate "$top_srcdir/scenarios/dini-adjacent.yaml" --set protocol.d=4
# ... and when a --set of the topology is the cause, at that flag: the
# topology key that made 2^d too small, the one that removed a node that
# E-G's revoke_nodes names (issue 20 #7); a --set of the option itself
# wins (both changed: the option is named)
for s in topology.sources=300 topology.smart_objects=300 topology.subscribers=300; do
    expect 2 "^--set $s: protocol\\.d = 8: 2\\^d = 256 is smaller than the 3[0-9]+ nodes" \
        "$kmsim" validate "$top_srcdir/scenarios/dini-adjacent.yaml" --set $s
done
expect 2 '^--set protocol\.d=4: protocol\.d = 4: 2\^d = 16 is smaller than the 301 nodes' \
    "$kmsim" validate "$top_srcdir/scenarios/dini-adjacent.yaml" --set topology.sources=300 --set protocol.d=4
expect 2 '^--set topology\.sources=30: protocol\.revoke_nodes: no node with id 57$' \
    "$kmsim" validate "$top_srcdir/scenarios/eg-grid.yaml" --set topology.sources=30
expect 2 '^--set protocol\.revoke_nodes=\[23, 5700\]: protocol\.revoke_nodes: no node with id 5700$' \
    "$kmsim" validate "$top_srcdir/scenarios/eg-grid.yaml" --set 'protocol.revoke_nodes=[23, 5700]'
expect 2 '--seed  -1: expected an integer' "$kmsim" run "$sc" --seed ' -1'
expect 2 '--until abc: ' "$kmsim" run "$sc" --until abc
expect 2 '--until 0s: must be > 0' "$kmsim" run "$sc" --until 0s
expect 2 "--until: beyond the scenario's duration" "$kmsim" run "$sc" --until 3h
# --until within the warm-up: nothing would be measured (was: a run of
# empty queues that warned every SO unreachable); nothing written
dflt="$top_srcdir/scenarios/default.yaml"
for c in run compare; do
    expect 2 "^kmsim: --until: not after the warm-up \(600s\): nothing would be measured" "$kmsim" $c "$dflt" --until 10min --out "$tmp/uw"
done
expect 2 "^kmsim: --until: not after the warm-up \(600s\): nothing would be measured" "$kmsim" validate "$dflt" --until 10min
expect 2 "^--until: not after the warm-up \(600s\) of configuration 0" "$kmsim" sweep "$dflt" --vary seed=1,2 --until 5min --out "$tmp/uw"
[ -e "$tmp/uw" ] && fail "--until within the warm-up: $tmp/uw written"
expect 2 '--out: empty directory name' "$kmsim" run "$sc" --out ''
expect 2 "^kmsim run: unknown option '--bogus' \(kmsim run --help\)$" "$kmsim" run "$sc" --bogus
expect 2 'cannot open' "$kmsim" run "$tmp/missing.yaml"
expect 0 'ok' "$kmsim" validate "$sc"

printf 'name: bad\nseed: 1\nduration: 5 parsecs\nprotocol: none\n' >"$tmp/bad.yaml"
expect 2 "^$tmp/bad.yaml:3:11: " "$kmsim" validate "$tmp/bad.yaml"
expect 2 "^$tmp/bad.yaml:3:11: " "$kmsim" run "$tmp/bad.yaml" --out "$tmp/bad"
[ -e "$tmp/bad" ] && { echo "FAIL: output written for a bad scenario"; fails=$((fails + 1)); }

expect 2 "^--set topology.nope=3: " "$kmsim" run "$sc" --set topology.nope=3 --out "$tmp/nope"
[ -e "$tmp/nope" ] && { echo "FAIL: output written for a bad --set"; fails=$((fails + 1)); }

# A disconnected explicit topology is an input error at the topology.
cat >"$tmp/disc.yaml" <<'YAML'
name: disc
duration: 1min
protocol: none
topology:
  generator: explicit
  nodes: [{id: 1, role: smart_object}, {id: 2, role: source}, {id: 3, role: source}]
  links: [{a: 1, b: 2}]
YAML
expect 2 "^$tmp/disc.yaml:5:3: .*disconnected" "$kmsim" validate "$tmp/disc.yaml"

# Every file of the bad corpus: exit 2 and exactly its message from
# tests/data/bad/EXPECTED on stderr, whether the loader finds the error or
# the world being built does (a bad move).
bad="$top_srcdir/tests/data/bad"
nbad=0
while IFS= read -r line; do
    case $line in '#'*|'') continue ;; esac
    f=${line%% *} msg=${line#* }
    case $msg in
        [0-9]*) want="$bad/$f:$msg" ;;
        *) want="$bad/$msg" ;;
    esac
    nbad=$((nbad + 1))
    "$kmsim" validate "$bad/$f" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne 2 ] || [ "$(cat "$tmp/err")" != "$want" ]; then
        echo "FAIL: validate $f -> exit $got:"; cat "$tmp/err"
        echo "  expected exit 2: $want"
        fails=$((fails + 1))
    fi
done <"$bad/EXPECTED"
n=$((n + 1))
echo "ok $n: $nbad bad files checked"

# A bad move is found when the world is built: exit 2 and nothing written.
expect 2 "^$bad/move_same_so.yaml:12:29: " "$kmsim" run "$bad/move_same_so.yaml" --out "$tmp/mv/x"
[ -e "$tmp/mv" ] && { echo "FAIL: output written for a bad move"; fails=$((fails + 1)); }

# A good run: summary on stdout, three CSVs, quiet means no stdout.
expect 0 '' "$kmsim" run "$sc" --out "$tmp/good" --replications 2
grep -q 'queue.W (so:all)' "$tmp/out" || { echo "FAIL: no summary table"; fails=$((fails + 1)); }
grep -q "$tmp/good/runs.csv" "$tmp/out" || { echo "FAIL: CSV path not printed"; fails=$((fails + 1)); }
for f in runs summary replications; do
    [ -s "$tmp/good/$f.csv" ] || { echo "FAIL: $f.csv missing or empty"; fails=$((fails + 1)); }
done
expect 0 '' "$kmsim" run "$sc" --out "$tmp/quiet" --quiet
[ -s "$tmp/out" ] && { echo "FAIL: --quiet printed on stdout"; fails=$((fails + 1)); }

# --max-events: a replication that reaches N events stops the run, exit 1,
# one line, nothing written, the directories it made removed (issue 20).
expect 1 '^kmsim: run stopped: 500 events reached \(--max-events 500\); no results written$' \
    "$kmsim" run "$sc" --out "$tmp/maxev/d" --quiet --max-events 500
[ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: --max-events: more than one line"; fails=$((fails + 1)); }
[ -e "$tmp/maxev" ] && { echo "FAIL: --max-events left $tmp/maxev"; fails=$((fails + 1)); }
expect 1 '^kmsim: protocol none: run stopped: 300 events reached \(--max-events 300\); no results written$' \
    "$kmsim" compare "$sc" --protocols none,dini --out "$tmp/maxev/c" --max-events 300
[ -e "$tmp/maxev" ] && { echo "FAIL: compare --max-events left $tmp/maxev"; fails=$((fails + 1)); }
expect 1 'failed: run stopped: 300 events reached \(--max-events 300\)' \
    "$kmsim" sweep "$sc" --jobs 1 -q --out "$tmp/maxev/s" --max-events 300
# a limit the run does not reach changes nothing
expect 0 '' "$kmsim" run "$sc" --out "$tmp/maxev2" --quiet --max-events 100000000
cmp -s "$tmp/maxev2/runs.csv" "$tmp/quiet/runs.csv" || { echo "FAIL: an unreached --max-events changed the results"; fails=$((fails + 1)); }
# the scenario may not set it: a guard belongs to one invocation
printf 'max_events: 10\n' | cat "$sc" - >"$tmp/maxev.yaml"
expect 2 "maxev.yaml:[0-9]+:13: 'max_events' cannot be set in a scenario" \
    "$kmsim" validate "$tmp/maxev.yaml"
# --max-memory: a scenario estimated over the budget is refused (exit 2,
# at the option that dominates the estimate); a run whose resident size
# passes the budget is stopped (exit 1): the estimate of this one is about
# 3 MiB, its resident size over 4 MiB
expect 2 "explicit-small.yaml:[0-9]+:[0-9]+: expected peak memory .* over the budget of 1 MiB \\(--max-memory" \
    "$kmsim" run "$sc" --out "$tmp/maxmem/d" --quiet --max-memory 1MiB
[ -e "$tmp/maxmem" ] && { echo "FAIL: a refused run left $tmp/maxmem"; fails=$((fails + 1)); }
expect 1 '^kmsim: run stopped: resident memory .* over the budget of 3.5 MiB \(--max-memory\) in replication 0; no results written$' \
    "$kmsim" run "$sc" --out "$tmp/maxmem/d" --quiet --max-memory 3.5MiB
[ -e "$tmp/maxmem" ] && { echo "FAIL: --max-memory left $tmp/maxmem"; fails=$((fails + 1)); }
# Estimates before a run (issue 20 #4): every run-away case of the issue
# gets an outcome before anything is built or written.
scd="$top_srcdir/scenarios"
expect 0 '^--set traffic.interval=exp\(1ms\): warning: traffic.interval offers more than the links or smart objects carry' \
    "$kmsim" validate "$scd/default.yaml" --set duration=20min --set 'traffic.interval=exp(1ms)'
grep -q ': ok (protocol none); estimate: [0-9.e+]* events per simulated second' "$tmp/err" ||
    { echo "FAIL: validate prints no estimate"; fails=$((fails + 1)); }
expect 2 '^--set traffic.register_retry=1ns: traffic.register_retry: 1e\+09 times per simulated second per node \(estimate\) is faster than kmsim runs' \
    "$kmsim" run "$sc" --set traffic.register_retry=1ns --out "$tmp/est/d"
[ -e "$tmp/est" ] && { echo "FAIL: a refused run left $tmp/est"; fails=$((fails + 1)); }
expect 2 '^--set traffic.register_retry=1ns: traffic.register_retry: 1e\+09' \
    "$kmsim" compare "$sc" --set traffic.register_retry=1ns --out "$tmp/est/c"
[ -e "$tmp/est" ] && { echo "FAIL: a refused compare left $tmp/est"; fails=$((fails + 1)); }
expect 2 '^--vary traffic.register_retry=1ns: traffic.register_retry: 1e\+09' \
    "$kmsim" sweep "$sc" --vary 'traffic.register_retry=1s,1ns' --out "$tmp/est/s" -q
[ -e "$tmp/est" ] && { echo "FAIL: a refused sweep left $tmp/est"; fails=$((fails + 1)); }
expect 2 '^--set protocol.rekey_every=1ns: protocol.rekey_every: 1e\+09 times per simulated second' \
    "$kmsim" validate "$scd/dipietro-seed001-s1.yaml" --set protocol.rekey_every=1ns
expect 0 'warning: protocol.rekey_every offers more than the links or smart objects carry' \
    "$kmsim" validate "$scd/dipietro-seed001-s1.yaml" --set protocol.rekey_every=1ms
expect 2 "attack-all.yaml:59:5: a flooding attacker's rate: 1e\\+12 times per simulated second" \
    "$kmsim" validate "$scd/attack-all.yaml" --set 'attackers.8.rate=1e12/s'
# 16,777,000 sources under a 6 GB address-space limit: a fast refusal
# (the budget is 75% of the limit), not an abort after minutes
if [ -z "${KMSIM_VALGRIND:-}" ] && ! grep -q __asan_init "$kmsim" 2>/dev/null; then
    expect 2 '^--set topology.sources=16777000: expected peak memory .* over the budget of 4.29[0-9]* GiB \(--max-memory' \
        sh -c 'ulimit -v 6000000 && exec "$0" validate "$1" --set topology.sources=16777000' \
        "$kmsim" "$scd/tree.yaml"
fi
expect 2 '^kmsim: --max-memory 12parsecs: ' "$kmsim" run "$sc" --max-memory 12parsecs
expect 2 '^kmsim: --max-memory 10B: expected a size from 1MiB' "$kmsim" run "$sc" --max-memory 10B
expect 2 '^kmsim: --max-memory given more than once$' "$kmsim" run "$sc" --max-memory 1GiB --max-memory 2GiB

# The output directory cannot be created: run-time failure, exit 1.
: >"$tmp/afile"
expect 1 "$tmp/afile/x" "$kmsim" run "$sc" --out "$tmp/afile/x"

# kmsim compare: each protocol's files exactly as kmsim run writes them,
# compare.csv and compare-runs.csv their rows under one header, a table
# with one column per protocol.
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
s1="$top_srcdir/scenarios/dini-seed001-s1.yaml"
expect 0 '' "$kmsim" compare "$s1" --protocols none,dini --replications 2 --out "$tmp/cmp"
cp "$tmp/out" "$tmp/cmp.out"
head -n 1 "$tmp/cmp/compare.csv" | grep -q '^kmsim_version,scenario,.*,metric,.*,mean,' || fail "compare.csv: no header"
head -n 1 "$tmp/cmp/compare-runs.csv" | grep -q '^kmsim_version,scenario,.*,metric,.*,value' || fail "compare-runs.csv: no header"
rows=1 runrows=1
for p in none dini; do
    for f in summary runs; do
        c=compare.csv
        [ $f = runs ] && c=compare-runs.csv
        tail -n +2 "$tmp/cmp/$p/$f.csv" >"$tmp/want"
        awk -F, -v p=$p 'NR > 1 && $4 == p' "$tmp/cmp/$c" >"$tmp/got"
        [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got" || fail "$c: the $p rows are not those of $p/$f.csv"
    done
    rows=$((rows + $(tail -n +2 "$tmp/cmp/$p/summary.csv" | wc -l)))
    runrows=$((runrows + $(tail -n +2 "$tmp/cmp/$p/runs.csv" | wc -l)))
    "$kmsim" run "$s1" --protocol $p --replications 2 --quiet --out "$tmp/run-$p" || fail "run --protocol $p"
    for f in runs summary replications; do
        cmp -s "$tmp/run-$p/$f.csv" "$tmp/cmp/$p/$f.csv" || fail "compare's $p/$f.csv differs from kmsim run's"
    done
done
[ "$(wc -l <"$tmp/cmp/compare.csv")" -eq $rows ] || fail "compare.csv: rows beyond the summaries"
[ "$(wc -l <"$tmp/cmp/compare-runs.csv")" -eq $runrows ] || fail "compare-runs.csv: rows beyond the runs"
grep -Eq '^metric +unit +none +dini$' "$tmp/cmp.out" || fail "table: no column per protocol"
grep -Eq '^data\.generated +msg +[0-9.]+ ± [0-9.]+ +[0-9.]+ ± [0-9.]+$' "$tmp/cmp.out" || fail "table: no data.generated row with two cells"
grep -Eq '^storage\.keys_per_node\.mean +key +- +[0-9]' "$tmp/cmp.out" || fail "table: an absent metric is not '-'"
grep -Eq '^storage\.bytes_per_node\.mean +B +- +[0-9]' "$tmp/cmp.out" || fail "table: no storage.bytes_per_node row ('-' for none)"
grep -q "$tmp/cmp/compare.csv" "$tmp/cmp.out" || fail "compare.csv path not printed"
# issue 21 #2: key management first, a human unit per row, 3 significant
# digits, no exponents (rounding noise is 0), <= 100 columns
grep -A1 '^metric ' "$tmp/cmp.out" | tail -n 1 | grep -q '^key\.setup\.mean ' || fail "table: key set-up is not the first row"
grep -Eq '^key\.setup\.mean +(s|ms|µs|ns) +- +[0-9]+(\.[0-9]+)? ± [0-9.]+$' "$tmp/cmp.out" || fail "table: key.setup.mean not in s/ms/µs/ns with a CI"
grep -Eq '^link\.bytes\.data +(B|KiB|MiB) ' "$tmp/cmp.out" || fail "table: link.bytes.data not in B/KiB/MiB"
grep -Eq '^storage\.bytes_per_node\.max +(B|KiB|MiB) ' "$tmp/cmp.out" || fail "table: storage bytes not in their registered unit (bytes)"
grep -Eq '^storage\.keys_per_node\.max +key +- +[0-9]+(\.[0-9]+)? ' "$tmp/cmp.out" || fail "table: keys per node not counted in keys"
grep -Eq '^delay\.end_to_end\.mean +(s|ms|µs|ns) +[0-9]' "$tmp/cmp.out" || fail "table: delay not in a time unit"
grep -Eiq '[0-9]e[-+][0-9]' "$tmp/cmp.out" && fail "table: a number with an exponent"
[ "$(awk '{ n = length($0); if (n > m) m = n } END { print m + 0 }' "$tmp/cmp.out")" -le 100 ] || fail "table: a line over 100 columns"
# five protocols and the attackers: wrapped to 100 columns, attacker rows
# with units and CIs
expect 0 '' "$kmsim" compare "$top_srcdir/scenarios/attack-compare.yaml" --replications 2 --out "$tmp/cmpatk"
cp "$tmp/out" "$tmp/cmpatk.out"
[ "$(awk '{ n = length($0); if (n > m) m = length($0) } END { print m + 0 }' "$tmp/cmpatk.out")" -le 100 ] || fail "attack table: a line over 100 columns"
for p in dini dipietro eg netkey pairwise; do
    grep -Eq "^metric .* $p( |\$)" "$tmp/cmpatk.out" || fail "wrapped table: no column $p"
done
grep -Eq '^attack metric \(attacker\) +unit ' "$tmp/cmpatk.out" || fail "attack table: no unit column"
grep -Eq '^replay\.injected \(3\) +msg +[0-9.]+ ± [0-9.]+' "$tmp/cmpatk.out" || fail "attack table: no 'replay.injected (3) msg mean ± hw' row"
grep -Eq '^eavesdropper\.exposure_window \(0\) +s +' "$tmp/cmpatk.out" || fail "attack table: no time unit"
grep -Eiq '[0-9]e[-+][0-9]' "$tmp/cmpatk.out" && fail "attack table: a number with an exponent"
# issue 21 #6: a --set quantity with a unit gets "<col>.si" (SI base
# units, plain number) in runs, replications and summary; unit-free none
expect 0 '' "$kmsim" run "$s1" --set traffic.interval=5ms --set traffic.size=1KiB --set seed=3 --replications 1 --quiet --out "$tmp/si"
for f in runs replications summary; do
    head -n 1 "$tmp/si/$f.csv" | grep -q '^kmsim_version,scenario,scenario_hash,protocol,traffic\.interval,traffic\.interval\.si,traffic\.size,traffic\.size\.si,param\.seed,[a-z_]*,' || fail "$f.csv: no .si columns beside the unit quantities (or one for seed)"
    sed -n 2p "$tmp/si/$f.csv" | grep -q '^[^,]*,[^,]*,[^,]*,dini,5ms,0\.005,1KiB,1024,3,' || fail "$f.csv: .si values not 0.005 and 1024"
done
# a sweep whose values mix an SI form and none (5s, exp(5s)): one .si
# column for every configuration (the one without an SI form leaves its
# cell empty), whichever value comes first
for v in '5s,exp(5s)' 'exp(5s),5s'; do
    expect 0 '' "$kmsim" sweep "$sc" --vary "traffic.interval=$v" --replications 1 --until 20min --jobs 1 -q --out "$tmp/simix"
    for f in runs replications summary; do
        head -n 1 "$tmp/simix/$f.csv" | grep -q '^kmsim_version,scenario,scenario_hash,protocol,traffic\.interval,traffic\.interval\.si,[a-z]' ||
            fail "sweep $v: $f.csv has no traffic.interval.si column"
        [ "$(awk -F, '{print NF}' "$tmp/simix/$f.csv" | sort -u | wc -l)" -eq 1 ] ||
            fail "sweep $v: $f.csv rows of different widths"
    done
    grep -q '^[^,]*,[^,]*,[^,]*,none,5s,5,' "$tmp/simix/summary.csv" &&
        grep -q '^[^,]*,[^,]*,[^,]*,none,exp(5s),,' "$tmp/simix/summary.csv" ||
        fail "sweep $v: .si cells not 5 and empty"
    rm -rf "$tmp/simix"
done
# default list: protocol.name, then the protocols: section (here made by --set)
expect 0 '' "$kmsim" compare "$s1" --set 'protocols.none={}' --replications 1 --quiet --out "$tmp/cmpd"
[ -s "$tmp/out" ] && fail "compare --quiet printed on stdout"
[ -s "$tmp/cmpd/dini/summary.csv" ] && [ -s "$tmp/cmpd/none/summary.csv" ] || fail "default --protocols"
[ "$(awk -F, 'NR > 1 {print $4}' "$tmp/cmpd/compare.csv" | uniq | tr '\n' ' ')" = "dini none " ] || fail "compare.csv: not in list order"
# bad input: exit 2 naming the flag, nothing written
expect 2 '^kmsim: --protocols none,kerberos: unknown protocol .kerberos. \(known: ' "$kmsim" compare "$s1" --protocols none,kerberos --out "$tmp/cmpbad"
expect 2 '^kmsim: --protocols dini,dini: ' "$kmsim" compare "$s1" --protocols dini,dini --out "$tmp/cmpbad"
expect 2 '--protocols is for kmsim compare' "$kmsim" run "$s1" --protocols none
expect 2 '^kmsim: --protocol kerberos: unknown protocol' "$kmsim" run "$s1" --protocol kerberos
[ -e "$tmp/cmpbad" ] && fail "output written for a bad --protocols"
# cannot write: exit 1 and no compare.csv, whether it fails at once or
# after a protocol has run (the first one's files are not left either)
expect 1 "$tmp/afile/x" "$kmsim" compare "$s1" --protocols none,dini --out "$tmp/afile/x"
mkdir "$tmp/half" && : >"$tmp/half/dini"
expect 1 "protocol dini: --out $tmp/half/dini: " "$kmsim" compare "$s1" --protocols none,dini --replications 1 --out "$tmp/half"
[ "$(ls -A "$tmp/half")" = dini ] || fail "a failed compare left files: $(ls -A "$tmp/half")"
# interrupted compare (SIGTERM, SIGINT): tests/faults.sh, which signals
# once the run is under way (a fixed sleep raced kmsim's start-up
# under valgrind)

# The shipped comparison of seed 001 §5, all five protocols: one row per
# protocol and metric in compare.csv, and Dini against Di Pietro in the
# paper's direction (Di Pietro: faster set-up and replacement, fewer
# control messages, less storage at the most loaded node).
expect 0 '' "$kmsim" compare "$top_srcdir/scenarios/compare-seed001.yaml" --replications 2 --quiet --out "$tmp/s001"
n=$((n + 1))
[ "$(awk -F, 'NR > 1 {print $4}' "$tmp/s001/compare.csv" | uniq | tr '\n' ' ')" = "dini dipietro eg netkey pairwise " ] || fail "compare-seed001: not one block per protocol"
[ -z "$(awk -F, 'NR > 1 {print $4 "," $6 "," $7}' "$tmp/s001/compare.csv" | sort | uniq -d)" ] || fail "compare-seed001: a metric twice for one protocol"
mean_of() { awk -F, -v p="$1" -v m="$2" '$4 == p && $6 == m {print $10}' "$tmp/s001/compare.csv"; }
for m in key.setup.mean key.rekey.mean msgs.control storage.bytes_per_node.max storage.keys_per_node.max; do
    d=$(mean_of dini $m) k=$(mean_of dipietro $m)
    n=$((n + 1))
    if awk -v d="$d" -v k="$k" 'BEGIN {exit !(d > k && k >= 0)}'; then
        echo "ok $n: seed 001 §5: $m dini $d > dipietro $k"
    else
        fail "seed 001 §5: $m dini '$d' not above dipietro '$k'"
    fi
done

# The run says how many sources have a channel: default.yaml under Dini
# connects all 40 under the network reading of findGlobalKey and says so;
# under the radio reading with its SOs scattered (so_placement: random)
# the sources it cannot connect are reported on
# the terminal, not only in the CSV.
dsc="$top_srcdir/scenarios/default.yaml"
"$kmsim" run "$dsc" --protocol dini --replications 1 --until 20min \
    --out "$tmp/dnet" >"$tmp/dnet.txt" 2>&1
n=$((n + 1))
if grep -Eq ' dini\.sources\.connected +40 node ' "$tmp/dnet.txt" &&
   ! grep -q '^note: .*without a channel' "$tmp/dnet.txt"; then
    echo "ok $n: default.yaml --protocol dini: 40 sources connected, no note"
else
    fail "default.yaml --protocol dini: connected row or note wrong"; cat "$tmp/dnet.txt"
fi
"$kmsim" run "$dsc" --protocol dini --replications 1 --until 20min \
    --set protocols.dini.findglobalkey=radio --set topology.so_placement=random --out "$tmp/drad" >"$tmp/drad.txt" 2>&1
n=$((n + 1))
if grep -Eq ' dini\.sources\.disconnected +[1-9][0-9.]* node ' "$tmp/drad.txt" &&
   grep -q '^note: .* registered sources .*without a channel to their SO' "$tmp/drad.txt"; then
    echo "ok $n: default.yaml, radio reading: the disconnected sources are told"
else
    fail "default.yaml, radio reading: no disconnected row or note"; cat "$tmp/drad.txt"
fi

# The shipped scenario with all nine attacker models (issue 19) runs under
# every protocol, each model's row present for each.  Knowledge is separate
# by default: under netkey the eavesdropper reads no payload while the
# leaked network key makes all traffic readable to the leak's own base; in
# one coalition with the leak the eavesdropper reads everything.  Under Di
# Pietro (seeds in clear) the seed sniffer reads data.
asc="$top_srcdir/scenarios/attack-all.yaml"
expect 0 '' "$kmsim" compare "$asc" --quiet --out "$tmp/aall"
acsv="$tmp/aall/compare.csv"
for p in dini dipietro eg netkey pairwise; do
    i=0
    for k in eavesdropper seed_sniffing global_key_leak node_capture insider \
             replay forgery tampering flooding; do
        n=$((n + 1))
        if awk -F, -v p="$p" -v m="attack.$k.start" -v e="attack:$i" \
               '$4 == p && $6 == m && $7 == e {f = 1} END {exit !f}' "$acsv"; then
            echo "ok $n: attack-all --protocol $p: $k (attack:$i)"
        else
            fail "attack-all --protocol $p: no row for $k (attack:$i)"
        fi
        i=$((i + 1))
    done
done
amean() { awk -F, -v p="$1" -v m="$2" '$4 == p && $6 == m {print $10}' "$acsv"; }
n=$((n + 1))
if [ "$(amean netkey attack.eavesdropper.payload.read)" = 0 ] &&
   [ "$(amean netkey attack.global_key_leak.traffic.readable.before)" = 1 ] &&
   awk -v s="$(amean dipietro attack.seed_sniffing.payload.read)" \
       'BEGIN {exit !(s > 0)}'; then
    echo "ok $n: attack-all: separate knowledge (netkey), seed sniffing (dipietro)"
else
    fail "attack-all: netkey eavesdropper '$(amean netkey attack.eavesdropper.payload.read)'," \
         "leak '$(amean netkey attack.global_key_leak.traffic.readable.before)'," \
         "dipietro sniffer '$(amean dipietro attack.seed_sniffing.payload.read)'"
fi
coal='{type: eavesdropper, knowledge: coalition}, {type: global_key_leak, at: 1min, knowledge: coalition}'
expect 0 '' "$kmsim" run "$asc" --protocol netkey --quiet --out "$tmp/acoal" \
    --set "attackers=[$coal]"
n=$((n + 1))
# (the override is a quoted CSV column: fields counted from the end;
#  summary.csv ends in ...,n,mean,sd,ci95_lo,ci95_hi,min,max,replications,complete)
if awk -F, '$(NF-11) == "attack.eavesdropper.payload.read" {r = $(NF-7)}
            $(NF-11) == "attack.eavesdropper.payload.seen" {s = $(NF-7)}
            END {exit !(s > 0 && r == s)}' "$tmp/acoal/summary.csv"; then
    echo "ok $n: attack-all, eavesdropper in the leak's coalition reads all"
else
    fail "attack-all coalition: the eavesdropper does not read everything"
fi

# ---- issue 20: repeated flags, terminal-unsafe characters, files that are
# not regular, profiles outside the scenario's folder ----------------------
for f in "--seed 1" "--out $tmp/r1" "--until 1s" "--replications 1" \
         "--protocol none" "--max-events 10"; do
    # shellcheck disable=SC2086
    expect 2 "^kmsim: ${f%% *} given more than once\$" "$kmsim" run "$sc" $f $f
done
[ -e "$tmp/r1" ] && fail "output written for a repeated --out"
expect 2 '^kmsim: --protocols given more than once$' "$kmsim" compare "$sc" \
    --protocols none --protocols dini
expect 2 '^kmsim: --jobs given more than once$' "$kmsim" sweep "$sc" \
    --jobs 1 --jobs 2
# C1 controls, bidi overrides and zero-width characters are escaped
rlo=$(printf '\342\200\256') zw=$(printf '\342\200\213') c1=$(printf '\302\233')
expect 2 '^kmsim: --until 1\\u202es: ' "$kmsim" run "$sc" --until "1${rlo}s"
expect 2 "^kmsim: unknown command 'r\\\\u009bun'" "$kmsim" "r${c1}un" "$sc"
expect 2 "^--set na\\\\u200bme=x: unknown key 'na\\\\u200bme' in scenario\$" \
    "$kmsim" validate "$sc" --set "na${zw}me=x"
n=$((n + 1))
"$kmsim" validate "$sc" --set "na${rlo}me=x" 2>"$tmp/err"
if LC_ALL=C grep -q "$rlo\|$zw\|$c1" "$tmp/err"; then
    fail "a bidi override printed raw: $(cat "$tmp/err")"
else
    echo "ok $n: no raw bidi override in an error"
fi
mkdir "$tmp/pf" && cp "$sc" "$tmp/pf/s.yaml" &&
    cp -R "$top_srcdir/scenarios/profiles" "$tmp/pf/" &&
    cp /etc/passwd "$tmp/pf/pw.yaml" && mkfifo "$tmp/pf/ff.yaml" || exit 99
pfs="$tmp/pf/s.yaml"
expect 2 "^--set profiles.smart_object=/etc/passwd: not a profile: /etc/passwd: must be a path relative to the scenario's folder, without '..'\$" \
    "$kmsim" validate "$pfs" --set profiles.smart_object=/etc/passwd
expect 2 "^--set profiles.sensor=../../etc/passwd: not a profile: ../../etc/passwd: must be a path relative" \
    "$kmsim" validate "$pfs" --set profiles.sensor=../../etc/passwd
expect 2 '^--set profiles.smart_object=pw.yaml: not a profile: pw.yaml: not a mapping of operations \(its top level is a scalar\)$' \
    "$kmsim" validate "$pfs" --set profiles.smart_object=pw.yaml
n=$((n + 1))
"$kmsim" validate "$pfs" --set profiles.smart_object=pw.yaml 2>"$tmp/err"
if grep -q 'root' "$tmp/err"; then
    fail "a profile's content quoted: $(cat "$tmp/err")"
else
    echo "ok $n: a file that is not a profile is not quoted"
fi
# a FIFO (scenario or profile), a directory, a device: refused at once
expect 2 '^--set profiles.smart_object=ff.yaml: not a profile: ff.yaml: a FIFO$' \
    timeout 20 "$kmsim" validate "$pfs" --set profiles.smart_object=ff.yaml
expect 2 "^$tmp/pf/ff.yaml: not a regular file \\(a FIFO\\)\$" \
    timeout 20 "$kmsim" run "$tmp/pf/ff.yaml" --out "$tmp/ff"
[ -e "$tmp/ff" ] && fail "output written for a FIFO scenario"
expect 2 "^$tmp/pf: not a regular file \\(a directory\\)\$" \
    "$kmsim" validate "$tmp/pf"
expect 2 '^/dev/zero: not a regular file \(a character device\)$' \
    timeout 20 "$kmsim" validate /dev/zero
expect 2 '^--set profiles.gateway=.: not a profile: .: a directory$' \
    "$kmsim" validate "$pfs" --set profiles.gateway=.
# line/paragraph separators, soft hyphen, Arabic letter mark, a tag
# character, an encoded surrogate: escaped in a quoted value; in a file
# name (file:line:column) each becomes '?' (issue 20 #9)
ls_=$(printf '\342\200\250') ps_=$(printf '\342\200\251') shy=$(printf '\302\255')
alm=$(printf '\330\234') tag=$(printf '\363\240\200\201') sur=$(printf '\355\240\200')
expect 2 "^--set n\\\\u2028a\\\\u2029m\\\\u00ade\\\\u061c\\\\U000e0001x\\\\xed\\\\xa0\\\\x80=x: unknown key" \
    "$kmsim" validate "$sc" --set "n${ls_}a${ps_}m${shy}e${alm}${tag}x${sur}=x"
printf 'name: x\nduration: 1min\nprotocol: none\ntopology: {generator: star, sources: 1}\nbogus: 1\n' \
    >"$tmp/a${ls_}b${sur}c.yaml"
expect 2 "^$tmp/a\\?b\\?\\?\\?c\\.yaml:5:1: unknown key 'bogus' in scenario\$" \
    "$kmsim" validate "$tmp/a${ls_}b${sur}c.yaml"
# a long scenario path is cut in its middle, the reason kept; its control
# characters escaped (issue 20 #9)
long=$(awk 'BEGIN { s = "d"; for (i = 1; i < 1500; i++) s = s "/d"; print s }')
expect 2 '^d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/\.\.\.d/d/.*/d/missing\.yaml: cannot open: No such file or directory$' \
    "$kmsim" validate "$long/missing.yaml"
expect 2 '^x\\x1b\[31m\.yaml: cannot open: ' "$kmsim" validate "$(printf 'x\033[31m.yaml')"
# symbolic links: out of the folder refused (the file, or a folder on the
# way; a valid profile outside is refused all the same), inside accepted
mkdir "$tmp/pfout" && cp "$top_srcdir/scenarios/profiles/rpi3.yaml" "$tmp/pfout/" &&
    ln -s ../../pfout/rpi3.yaml "$tmp/pf/profiles/out.yaml" &&
    ln -s ../pfout "$tmp/pf/linked" && ln -s /etc/passwd "$tmp/pf/pwlink.yaml" &&
    ln -s rpi3.yaml "$tmp/pf/profiles/in.yaml" || exit 99
for p in profiles/out.yaml linked/rpi3.yaml pwlink.yaml; do
    expect 2 "^--set profiles.smart_object=$p: not a profile: $p: a symbolic link to a file outside the scenario's folder\$" \
        "$kmsim" validate "$pfs" --set profiles.smart_object=$p
done
expect 0 '' "$kmsim" validate "$pfs" --set profiles.smart_object=profiles/in.yaml
expect 0 '' "$kmsim" validate "$pfs" --set profiles.smart_object=profiles/rpi3.yaml

# Health checks (issue 21 item 3): one warning line per problem on stderr,
# naming the health.* metric and its usual cause; results written all the
# same; --strict turns any warning into exit 1.
scs="$top_srcdir/scenarios"
nowarn() {   # the last command printed no warning
    if grep -q 'warning' "$tmp/err"; then
        echo "FAIL: unexpected warning:"; cat "$tmp/err"; fails=$((fails + 1))
    fi
}
# the issue's first case: default.yaml under Dini with its SOs scattered
# at random (as it shipped then) leaves an SO that no source reaches (in
# 4 of 5 replications); the baseline itself (SOs on a grid) warns of
# nothing, with or without Dini
rnd="--set topology.so_placement=random"
expect 0 '^kmsim: warning: smart objects that no source reached \(health\.so_unreachable = 0\.8; usually .*topology\.smart_objects' \
    "$kmsim" run "$scs/default.yaml" --protocol dini $rnd -q --out "$tmp/h1"
expect 1 '^kmsim: --strict: 1 health warning \(results written\)$' \
    "$kmsim" run "$scs/default.yaml" --protocol dini $rnd -q --strict --out "$tmp/h1"
grep -q '^.*,health\.so_unreachable,,node,' "$tmp/h1/runs.csv" &&
    grep -q ',health\.so_unreachable,,node,5,0\.8,' "$tmp/h1/summary.csv" ||
    fail "--strict: health.so_unreachable not in the CSVs written"
expect 0 '' "$kmsim" run "$scs/default.yaml" -q --strict --out "$tmp/h0"
nowarn
expect 0 '' "$kmsim" run "$scs/default.yaml" --protocol dini -q --strict --out "$tmp/h0d"
nowarn
# --protocol P with the file protocol's section: the message says where
# P's options go
expect 2 "^--set protocol\.findglobalkey=radio: unknown key 'findglobalkey' in protocol \(the options of 'none', the scenario's protocol\); options for --protocol dini go under protocols\.dini$" \
    "$kmsim" run "$scs/default.yaml" --protocol dini --set protocol.findglobalkey=radio -q --out "$tmp/h0e"
expect 0 '' "$kmsim" validate "$scs/default.yaml" --protocol dini --set protocols.dini.findglobalkey=radio
# the issue's second case is healthy on this version: no warning, exit 0
# under --strict (every protocol of the comparison checked)
expect 0 '' "$kmsim" compare "$scs/compare-seed001.yaml" --set topology.sources=62 \
    -q --strict --out "$tmp/h2"
nowarn
grep -q ',health\.sources_without_channel,,node,5,0,' "$tmp/h2/dini/summary.csv" ||
    fail "compare: dini's health.sources_without_channel not 0 in summary.csv"
expect 0 '' "$kmsim" run "$sc" -q --strict --out "$tmp/h3"
nowarn
# sources without a channel (dini-adjacent: beyond search_hops by design)
expect 1 '^kmsim: warning: registered sources ended without a channel to their SO \(health\.sources_without_channel = 0\.4; usually .*protocol\.search_hops' \
    "$kmsim" run "$scs/dini-adjacent.yaml" -q --strict --out "$tmp/h4"
# data lost before the SO (E-G with links no shared key secures)
expect 0 '^kmsim: warning: less than 95% of the data generated reached an SO \(health\.data_at_so_fraction = 0\.82' \
    "$kmsim" run "$scs/eg-grid.yaml" -q --out "$tmp/h5"
grep -q '^kmsim: warning: more than 5% of the data generated were dropped before the SO (health\.data_dropped_fraction = ' "$tmp/err" ||
    fail "eg-grid: no warning for the dropped data"
# an unstable SO, in a sweep: the configuration is named
expect 1 '^kmsim: warning: configuration 1 \(smart_object\.service=exp\(20s\)\): an SO is unstable \(utilisation rho >= 1\) \(health\.so_rho_max = 1\.9' \
    "$kmsim" sweep "$sc" --vary 'smart_object.service=exp(1s),exp(20s)' --jobs 1 -q --strict --out "$tmp/h6"
[ -s "$tmp/h6/summary.csv" ] || fail "sweep --strict: summary.csv not written"
if grep -q 'configuration 0' "$tmp/err"; then
    fail "sweep: the healthy configuration 0 warned"
fi
# ---- Help, kmsim metrics, did you mean (issue 21 #4) ----
# each command's help lists its own options, not the others'
# has_help CMD YES NO: `kmsim CMD --help` shows option YES and not NO
has_help() {
    n=$((n + 1))
    if ! "$kmsim" "$1" --help >"$tmp/help" 2>&1 ||
       ! grep -q -- "^usage: kmsim $1 " "$tmp/help" ||
       ! grep -q -- "^  $2 " "$tmp/help" || grep -q -- "^  $3 " "$tmp/help"; then
        echo "FAIL: kmsim $1 --help: not its own page (want $2, not $3)"
        cat "$tmp/help"; fails=$((fails + 1))
    else
        echo "ok $n: kmsim $1 --help"
    fi
}
has_help run --per-node --vary
has_help compare --defences --per-node
has_help sweep --vary --per-node
has_help validate --protocol --out
has_help metrics '-h, --help' --seed
"$kmsim" --help >"$tmp/help" 2>&1
for o in --per-node --vary --defences --protocols --jobs 'kmsim metrics'; do
    n=$((n + 1))
    if grep -q -- "$o" "$tmp/help"; then echo "ok $n: kmsim --help has $o"
    else echo "FAIL: kmsim --help lacks $o"; fails=$((fails + 1)); fi
done
# validate prints what its help says it prints
"$kmsim" validate --help >"$tmp/help"
n=$((n + 1))
if grep -q "'FILE: ok" "$tmp/help" &&
   "$kmsim" validate "$sc" 2>&1 >/dev/null | grep -q "^$sc: ok (protocol [a-z]*); estimate: "; then
    echo "ok $n: validate prints what its help says"
else
    echo "FAIL: validate's help and output disagree"; fails=$((fails + 1))
fi
# validate runs nothing: options about the run or its output are refused
# (were accepted and ignored)
for o in "--out $tmp/vo" "--max-events 5" --quiet --strict --per-node; do
    set -- $o
    expect 2 "^kmsim validate: $1 does not apply \(validate runs nothing; kmsim validate --help\)$" "$kmsim" validate "$sc" $o
done
# did you mean: command, option, scenario key (two kinds of check), metric
expect 2 "^kmsim: unknown command 'rnu' \(did you mean 'run'\?" "$kmsim" rnu "$sc"
expect 2 "^kmsim run: unknown option '--seeed' \(did you mean '--seed'\?\)$" "$kmsim" run "$sc" --seeed 3
expect 2 "^kmsim sweep: unknown option '--wehre=a' \(did you mean '--where'\?\)$" "$kmsim" sweep "$sc" --wehre=a
expect 2 "^kmsim run: --seed needs a value" "$kmsim" run "$sc" --seed
sed 's/^topology:/topolgy:/' "$top_srcdir/scenarios/default.yaml" >"$tmp/typo1.yaml"
expect 2 ":[0-9]+:1: unknown key 'topolgy' in scenario \(did you mean 'topology'\?\)$" "$kmsim" validate "$tmp/typo1.yaml"
sed 's/^  sources:/  sourcs:/' "$top_srcdir/scenarios/default.yaml" >"$tmp/typo2.yaml"
expect 2 ":[0-9]+:3: unknown key 'sourcs' in topology \(did you mean 'sources'\?\)$" "$kmsim" validate "$tmp/typo2.yaml"
expect 2 "^--set traffic\.intervl=5s: unknown key 'intervl' in traffic \(did you mean 'interval'\?\)$" \
    "$kmsim" validate "$sc" --set traffic.intervl=5s
expect 2 "^kmsim metrics: no metric matches 'dely\.\*' \(did you mean 'delay\.\*'\?\)$" "$kmsim" metrics 'dely.*'
expect 2 "^kmsim metrics: no metric matches 'queue\.W\.theroy' \(did you mean 'queue\.W\.theory'\?\)$" "$kmsim" metrics queue.W.theroy
expect 2 "^kmsim metrics: no metric matches 'zzzz'" "$kmsim" metrics zzzz
# kmsim metrics: a pattern selects, every row has a meaning, and every
# metric the shipped scenarios write (the regression CSVs and one run of
# each small shipped scenario) is listed; numbered families as <N>
expect 0 '' "$kmsim" metrics 'delay.end_to_end.*'
n=$((n + 1))
# n, mean, sd, min, max, delivered_fraction and (a time: issue 23) p50,
# p95, p99
if [ "$(awk 'NR > 1' "$tmp/out" | wc -l)" -eq 9 ] &&
   grep -q '^delay.end_to_end.mean  *s  *network  *all  *mean of: ' "$tmp/out" &&
   grep -q '^delay.end_to_end.p95  *s  *network  *all  *95th percentile' "$tmp/out"; then
    echo "ok $n: kmsim metrics 'delay.end_to_end.*'"
else
    echo "FAIL: kmsim metrics 'delay.end_to_end.*':"; cat "$tmp/out"; fails=$((fails + 1))
fi
"$kmsim" metrics >"$tmp/metrics" || { echo "FAIL: kmsim metrics"; fails=$((fails + 1)); }
n=$((n + 1))
if grep -q '(undocumented)' "$tmp/metrics"; then
    echo "FAIL: metrics without a meaning (add them to the ana_metric_doc table beside their registration):"
    grep '(undocumented)' "$tmp/metrics"; fails=$((fails + 1))
else
    echo "ok $n: every metric has a meaning"
fi
awk 'NR > 1 { print $1 }' "$tmp/metrics" | sort -u >"$tmp/listed"
for s in attack-all attack-compare default dini-invalidation eg-grid \
         mm1-seed000 moves-away-back; do
    "$kmsim" run "$top_srcdir/scenarios/$s.yaml" -q --replications 1 \
        --out "$tmp/m-$s" >/dev/null 2>&1 ||
        { echo "FAIL: kmsim run $s.yaml"; fails=$((fails + 1)); }
done
for f in "$top_srcdir"/tests/expected/*/summary.csv "$tmp"/m-*/summary.csv; do
    n=$((n + 1))
    awk -F, 'NR > 1 { print $6 }' "$f" |
        sed -E 's/\.[0-9]+(\.|$)/.<N>\1/g' | sort -u >"$tmp/written"
    missing=$(comm -13 "$tmp/listed" "$tmp/written")
    if [ -n "$missing" ]; then
        echo "FAIL: $f: metrics not listed by kmsim metrics:"; echo "$missing"
        fails=$((fails + 1))
    else
        echo "ok $n: kmsim metrics lists every metric of $f"
    fi
done
# issue 21: --set protocol=X (a fixed column's name) and a path set twice
# get their own columns (param.protocol, param.seed, param.seed.3); no CSV
# header has a column twice; summary.csv ends in replications,complete.
n=$((n + 1))
d="$tmp/ovcols"
if "$kmsim" run "$sc" --quiet --set protocol=dini --set seed=3 --set seed=4 \
        --out "$d" 2>"$tmp/err"; then
    bad=
    for f in runs summary replications; do
        h=$(head -n 1 "$d/$f.csv" | tr -d '\r')
        [ -z "$(echo "$h" | tr ',' '\n' | sort | uniq -d)" ] || bad="$bad $f:dup"
        case $h in
        kmsim_version,scenario,scenario_hash,protocol,param.protocol,param.seed,param.seed.3,*) ;;
        *) bad="$bad $f:'$h'" ;;
        esac
    done
    case $(head -n 1 "$d/summary.csv" | tr -d '\r') in
    *,n,mean,sd,ci95_lo,ci95_hi,min,max,replications,complete) ;;
    *) bad="$bad summary-tail" ;;
    esac
    [ "$(sed -n 2p "$d/summary.csv" | cut -d, -f5-7)" = "dini,3,4" ] || bad="$bad values"
    # a plain run: every configuration complete
    [ "$(tr -d '\r' <"$d/summary.csv" | cut -d, -f"$(head -n 1 "$d/summary.csv" | tr -d '\r' | tr ',' '\n' | grep -nx complete | cut -d: -f1)" | sed 1d | sort -u)" = 1 ] ||
        bad="$bad complete"
    if [ -z "$bad" ]; then echo "ok $n: --set protocol/seed twice: own columns"
    else echo "FAIL: --set columns:$bad"; fails=$((fails + 1)); fi
else
    echo "FAIL: --set protocol=dini run: $(cat "$tmp/err")"; fails=$((fails + 1))
fi

# issue 21: validate checks the `sweep:` section as kmsim sweep does (a bad
# sweep value: exit 2, file:line:column, nothing else); a good one passes.
mkdir -p "$tmp/vs" && cp -r "$top_srcdir/scenarios/profiles" "$tmp/vs/" || exit 99
sed 's/^  seed: {from: 1, to: 10, step: 1}$/  traffic.size: [1KiB, 2zz]/' \
    "$top_srcdir/scenarios/fig-seed000-6.yaml" >"$tmp/vs/bad.yaml" || exit 99
grep -q '2zz' "$tmp/vs/bad.yaml" || exit 99
expect 2 "^$tmp/vs/bad.yaml:[0-9]+:[0-9]+: sweep value traffic.size=2zz: .*unknown size unit 'zz'" \
    "$kmsim" validate "$tmp/vs/bad.yaml"
expect 0 '' "$kmsim" validate "$top_srcdir/scenarios/fig-seed000-6.yaml"
expect 2 "sweep value traffic.size=2zz" "$kmsim" validate "$tmp/vs/bad.yaml" --set seed=2

# issue 21: run.yaml beside the CSVs: the command line as typed (quoted),
# the version, the source revision, the file's text exactly (a block
# scalar) and the overrides; the CSVs stay the same whatever the command.
d="$tmp/prov"
n=$((n + 1))
if "$kmsim" run "$sc" --quiet --set 'traffic.interval=exp(20s)' --seed 9 \
        --out "$d" 2>"$tmp/err" &&
   "$kmsim" run "$sc" --seed 9 --set 'traffic.interval=exp(20s)' --quiet \
        --out "$d.2" 2>>"$tmp/err"; then
    y="$d/run.yaml" bad=
    grep -qx "command_line: \"[^ ]* run $sc --quiet --set 'traffic.interval=exp(20s)' --seed 9 --out $d\"" "$y" ||
        bad="$bad command_line"
    grep -qx 'kmsim_version: "[0-9][^"]*"' "$y" || bad="$bad version"
    grep -qx 'source_revision: "[^"][^"]*"' "$y" || bad="$bad revision"
    grep -qx '  - "traffic.interval=exp(20s)"' "$y" || bad="$bad overrides"
    grep -qx '  seed: 9' "$y" || bad="$bad seed"
    grep -qx '  protocol: "none"' "$y" || bad="$bad protocol"
    sed -n '/^scenario_text: |2$/,$p' "$y" | sed '1d; s/^  //' >"$tmp/text"
    cmp -s "$tmp/text" "$sc" || bad="$bad scenario_text"
    for f in runs summary replications; do
        cmp -s "$d/$f.csv" "$d.2/$f.csv" || bad="$bad $f.csv-differs"
    done
    cmp -s "$y" "$d.2/run.yaml" && bad="$bad run.yaml-same"
    if [ -z "$bad" ]; then echo "ok $n: run.yaml: command, version, revision, text, overrides"
    else echo "FAIL: run.yaml:$bad"; cat "$y"; fails=$((fails + 1)); fi
else
    echo "FAIL: run.yaml runs: $(cat "$tmp/err")"; fails=$((fails + 1))
fi
# compare: run.yaml in the directory and in each protocol's
n=$((n + 1))
if "$kmsim" compare "$sc" --protocols none,dini --quiet --out "$tmp/provc" 2>"$tmp/err" &&
   [ -f "$tmp/provc/run.yaml" ] && [ -f "$tmp/provc/none/run.yaml" ] &&
   grep -qx '  protocol: "dini"' "$tmp/provc/dini/run.yaml"; then
    echo "ok $n: compare: run.yaml at the top and per protocol"
else
    echo "FAIL: compare run.yaml: $(ls -R "$tmp/provc") $(cat "$tmp/err")"; fails=$((fails + 1))
fi

# The quickstart (the README's first command, issue 21 #1, #2): healthy
# (nothing on stderr), Dini re-keys at least 3 times, the key-management
# rows come first, each with a human unit and a 95% CI half-width, the SO
# queue beside its theory, no floating noise, lines <= 100 columns, and
# the table ends with where the CSV went; -q prints nothing.
qs="$top_srcdir/scenarios/quickstart.yaml"
"$kmsim" run "$qs" --out "$tmp/qs" >"$tmp/qs.txt" 2>"$tmp/qs.err"
st=$?
qrow() {  # qrow REGEX WHAT: a row of the table matches REGEX
    n=$((n + 1))
    if grep -Eq -- "$1" "$tmp/qs.txt"; then
        echo "ok $n: quickstart: $2"
    else
        fail "quickstart: $2 ('$1')"; cat "$tmp/qs.txt"
    fi
}
n=$((n + 1))
if [ $st -eq 0 ] && [ ! -s "$tmp/qs.err" ]; then
    echo "ok $n: quickstart runs healthy (exit 0, no warning)"
else
    fail "quickstart: exit $st, stderr: $(cat "$tmp/qs.err")"
fi
qrow '^  set-up delay +key\.setup\.mean +[0-9.]+ (ns|µs|ms|s) +± [0-9.]+$' "set-up delay in a time unit with its CI"
qrow '^  re-key delay +key\.rekey\.mean +[0-9.]+ (ns|µs|ms|s) +± [0-9.]+$' "re-key delay in a time unit with its CI"
qrow '^  re-key rounds +key\.rekey\.n +([3-9]|[1-9][0-9]+) +± ' "at least 3 re-key rounds"
qrow '^  control overhead +msgs\.control +[0-9.]+k? msg +± ' "control messages"
qrow '^ +link\.bytes\.control +[0-9.]+ (B|KiB|MiB) +± ' "control bytes in B/KiB/MiB"
qrow '^ +link\.bytes\.data +[0-9.]+ (B|KiB|MiB) +± ' "data bytes"
qrow '^  [a-z ]*storage per node +storage\.keys_per_node\.mean +[0-9.]+ key +± ' "storage per node in keys"
qrow '^ +storage\.bytes_per_node\.mean +[0-9.]+ (B|KiB) +± ' "storage per node in bytes"
qrow '^  crypto operations +crypto\.seal +[0-9.]+k? op +± ' "crypto operations"
qrow '^  channels formed +dini\.channels +20 +± 0$' "20 channels formed"
qrow '^  channels needed +topology\.sources +20 node +± 0$' "20 channels needed"
qrow '^  SO sojourn \(M/M/1\) +queue\.W \(so:all\) +[0-9.]+ (µs|ms|s) +± [0-9.]+ +[0-9.]+ +[0-9.]+$' "SO sojourn beside its M/M/1 values"
# headings over their values (sim/run/table.c): "mean" ends where the means
# end, "unit" starts where the units start
n=$((n + 1))
hd=$(awk '/^ +metric +mean +unit / { print index($0, "mean") + 3, index($0, "unit"); exit }' "$tmp/qs.txt")
vl=$(awk 'match($0, /^  set-up delay +key\.setup\.mean +[0-9.]+/) { print RLENGTH, RLENGTH + 2; exit }' "$tmp/qs.txt")
if [ -n "$hd" ] && [ "$hd" = "$vl" ]; then
    echo "ok $n: quickstart: headings aligned with the values"
else
    fail "quickstart: headings at '$hd', values at '$vl'"; cat "$tmp/qs.txt"
fi
n=$((n + 1))
km=$(grep -n '^key management (dini)$' "$tmp/qs.txt" | cut -d: -f1)
rest=$(grep -n '^network, delays and queue$' "$tmp/qs.txt" | cut -d: -f1)
setup=$(grep -n 'key\.setup\.mean' "$tmp/qs.txt" | cut -d: -f1)
reg=$(grep -n 'delay\.registration\.mean' "$tmp/qs.txt" | cut -d: -f1)
if [ -n "$km" ] && [ -n "$rest" ] && [ -n "$setup" ] && [ -n "$reg" ] &&
   [ "$km" -lt "$setup" ] && [ "$setup" -lt "$rest" ] && [ "$rest" -lt "$reg" ]; then
    echo "ok $n: quickstart: key-management rows before the rest"
else
    fail "quickstart: order of the sections"; cat "$tmp/qs.txt"
fi
n=$((n + 1))
wide=$(sed 's/±/+/g; s/µ/u/g' "$tmp/qs.txt" | LC_ALL=C awk 'length($0) > 100')
# a decimal number in the table with more than 3 significant digits
long=$(sed -n '/^key management/,/^fingerprint/p' "$tmp/qs.txt" |
    tr ' ' '\n' | grep -E '^[0-9]*\.[0-9]+$' |
    awk '{ d = $0; gsub(/\./, "", d); sub(/^0+/, "", d);
           if (length(d) > 3) print }')
if [ -z "$wide" ] && [ -z "$long" ] && grep -q '^  set-up' "$tmp/qs.txt" &&
   ! sed -n '/^key management/,/^fingerprint/p' "$tmp/qs.txt" |
     grep -Eq '[0-9]e[-+][0-9]'; then
    echo "ok $n: quickstart: lines <= 100 columns, 3 significant digits, no noise"
else
    fail "quickstart: wide or noisy lines: $wide $long"; cat "$tmp/qs.txt"
fi
n=$((n + 1))
if tail -3 "$tmp/qs.txt" | grep -q "^wrote $tmp/qs/runs.csv" &&
   tail -2 "$tmp/qs.txt" | grep -q "$tmp/qs/summary.csv"; then
    echo "ok $n: quickstart: ends with where the CSV went"
else
    fail "quickstart: does not end with the CSV paths"; tail -5 "$tmp/qs.txt"
fi
n=$((n + 1))
if "$kmsim" run "$qs" -q --out "$tmp/qsq" >"$tmp/qsq.txt" 2>&1 &&
   [ ! -s "$tmp/qsq.txt" ] && cmp -s "$tmp/qs/summary.csv" "$tmp/qsq/summary.csv"; then
    echo "ok $n: quickstart -q: quiet, same CSV"
else
    fail "quickstart -q: output or CSV differs"; cat "$tmp/qsq.txt"
fi

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
