#!/bin/sh
# locality.sh — the locality rule (README "Locality") on every shipped
# scenario.  tests/kmsim-local is kmsim built with -DKMSIM_LOCALITY: the
# world records whose event runs (the actor) and every protocol's key-store
# and table accessor fails the run when it touches another node's state
# outside a named exception (world.h).  Each scenarios/*.yaml runs once
# under its protocol.name, under every protocol of its protocols: section
# and under every other protocol with its defaults (--protocol), for one
# replication of its whole duration (every
# attacker and re-keying round of it happens), the scale-* ones with
# 2000 or 5000 sources (1/5 .. 1/200 of theirs) at the same density.  With KMSIM_LOCALITY=count a run prints
# each distinct violating call site once (protocol, accessor, actor,
# holder, time, code address) and aborts at its end.
#
# The same test build carries the nonce ledger (-DKMSIM_NONCE_LEDGER,
# crypto/cry_key.h): a (key value, nonce) sealed twice aborts the run with
# a line 'kmsim: nonce ledger: ...', reported here as a reuse.  Every
# protocol that implements moves runs scenarios/moves-away-back.yaml
# (dini in both local_keys_from modes).
#
# Every run must pass: since issue 18's discovery by messages landed (Dini's
# SEARCH, E-G's PK_SEARCH) no protocol reads another node's tables outside
# a named exception.  E-G's data_routing: secured_graph, an option that is
# itself a named exception (README "Locality"), is not run here.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/tests/kmsim-local"
tmp=$(mktemp -d /tmp/kmsim-locality.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# protocols FILE: protocol.name, then the keys of the protocols: section.
protocols() {
    awk '
        /^protocol: *[a-z_]+ *$/ { s = $2; print s; next }
        /^protocol:/ {
            if (match($0, /name: *[a-z_]+/)) {
                s = substr($0, RSTART, RLENGTH); sub(/name: */, "", s)
                print s
            } else inproto = 1
            next
        }
        inproto && /^  name:/ { s = $0; sub(/^  name: */, "", s); print s }
        /^protocols:/ { inlist = 1; inproto = 0; next }
        /^[^ #]/ { inproto = 0; inlist = 0 }
        inlist && /^  [a-z_]+:/ { s = $1; sub(/:$/, "", s); print s }
        END { if (!NR) print "none" }
    ' "$1" | awk '!seen[$0]++'
}

for sc in "$top_srcdir"/scenarios/*.yaml; do
    name=$(basename "$sc" .yaml)
    set -- --replications 1 --quiet
    case "$name" in
    scale-*-1e4) set -- "$@" --set topology.sources=2000 \
                     --set topology.smart_objects=40 \
                     --set 'topology.area=[447m, 447m]' ;;
    scale-*) set -- "$@" --set topology.sources=5000 \
                 --set topology.smart_objects=100 \
                 --set 'topology.area=[707m, 707m]' ;;
    esac
    # moves-away-back: Dini in its other local_keys_from mode too.
    # Its own protocols first, then every other one (--protocol runs it
    # with its defaults): the rule and the ledger hold for any protocol.
    variants=$( { protocols "$sc"; printf '%s\n' dini dipietro eg netkey \
                  pairwise; } | awk '!seen[$0]++')
    [ "$name" = moves-away-back ] && variants="$variants dini:source"
    for p in $variants; do
        case "$p" in
        dini:source) p=dini; v="--set protocol.local_keys_from=source" ;;
        *) v= ;;
        esac
        log="$tmp/$name-$p.log"
        # shellcheck disable=SC2086
        KMSIM_LOCALITY=count "$kmsim" run "$sc" --protocol "$p" "$@" $v \
            --out "$tmp/out" >"$log" 2>&1
        rc=$?
        rm -rf "$tmp/out"
        nv=$(grep -c '^locality violation' "$log")
        if grep -q '^kmsim: nonce ledger' "$log"; then
            fail "$name --protocol $p $v: nonce reused"
            grep '^kmsim: nonce ledger' "$log"
        elif [ $rc -eq 0 ] && [ "$nv" -eq 0 ]; then
            ok "$name --protocol $p $v"
        elif [ "$nv" -eq 0 ]; then
            fail "$name --protocol $p $v did not run (exit $rc)"
            tail -n 5 "$log"
        else
            fail "$name --protocol $p: $nv locality violation site(s)"
            grep '^locality' "$log" | head -n 10
        fi
    done
done

# (tests/test_local shows the check fails a run on planted violations.)
[ $n -ge 100 ] || fail "only $n scenario runs"
echo "$n runs, $fails failed"
[ $fails -eq 0 ]
