#!/bin/sh
# cli.sh — the kmsim command line: exit statuses (0 ok, 1 failure, 2 bad
# input), messages naming file:line:column or the flag, nothing written
# on error, data on stdout and messages on stderr.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
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
expect 2 'usage' "$kmsim"
expect 2 "unknown command 'frobnicate'" "$kmsim" frobnicate "$sc"
expect 2 'exactly one scenario' "$kmsim" run
expect 2 '--seed abc: expected an integer' "$kmsim" run "$sc" --seed abc
expect 2 '--until 5parsecs' "$kmsim" run "$sc" --until 5parsecs
expect 2 '--replications 0' "$kmsim" run "$sc" --replications 0
expect 2 '--seed  -1: expected an integer' "$kmsim" run "$sc" --seed ' -1'
expect 2 '--until abc: ' "$kmsim" run "$sc" --until abc
expect 2 '--until 0s: must be > 0' "$kmsim" run "$sc" --until 0s
expect 2 "--until: beyond the scenario's duration" "$kmsim" run "$sc" --until 3h
expect 2 '--out: empty directory name' "$kmsim" run "$sc" --out ''
expect 2 'unrecognized option' "$kmsim" run "$sc" --bogus
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
expect 0 '' "$kmsim" run "$sc" --out "$tmp/quiet" --quiet --max-events 500
[ -s "$tmp/out" ] && { echo "FAIL: --quiet printed on stdout"; fails=$((fails + 1)); }
grep -q ',run.events,,event,500' "$tmp/quiet/runs.csv" || { echo "FAIL: --max-events not honoured"; fails=$((fails + 1)); }

# The output directory cannot be created: run-time failure, exit 1.
: >"$tmp/afile"
expect 1 "$tmp/afile/x" "$kmsim" run "$sc" --out "$tmp/afile/x"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
