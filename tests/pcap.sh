#!/bin/sh
# pcap.sh — `kmsim run --pcap` (kmsim extension, issue 23) end to end:
# analysis/kmsim.lua's ChaCha20 and Poly1305 against RFC 8439's vectors
# (and a planted error caught); a trace of the shipped dini-seed001-s1
# read by `tshark -X lua_script:analysis/kmsim.lua` field for field
# against tests/pcapcheck (libpcap + sim_hdr_read + kmsim's own cry_open);
# protocol message names; the key log opening every sealed data part (tag
# verified, DATA plaintexts the payload the source made; every protocol,
# sealed control parts too) and nothing
# opened without it; --threads 2 writing the same trace and key log; the
# CSVs unchanged by tracing; --pcap-filter; malformed lengths flagged;
# bad values and refusals (exit 2, one line, nothing written); an
# interrupted run leaving no trace.  Skips (77) without tshark.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
kmsim="$top_builddir/kmsim"
[ -n "${KMSIM_VALGRIND:-}" ] && kmsim="$top_srcdir/tests/kmsim-valgrind.sh"
check="$top_builddir/tests/pcapcheck"
lua="$top_srcdir/analysis/kmsim.lua"
sc="$top_srcdir/scenarios/dini-seed001-s1.yaml"
if ! command -v tshark >/dev/null 2>&1; then
    echo "SKIP: tshark not installed (apt-get install tshark)"
    exit 77
fi
tmp=$(mktemp -d /tmp/kmsim-pcap.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n: $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# tsk ARGS...: tshark with the dissector, no root warning, no profile.
tsk() {
    tshark -X lua_script:"$lua" "$@" 2>"$tmp/tshark.err"
}
FIELDS="-e frame.time_epoch -e kmsim.event -e kmsim.proto -e kmsim.aead
 -e kmsim.link.from -e kmsim.link.to -e kmsim.link.index -e kmsim.replication
 -e kmsim.type -e kmsim.flags -e kmsim.hops -e kmsim.src -e kmsim.dst
 -e kmsim.seq -e kmsim.key_name -e kmsim.session -e kmsim.hop_from
 -e kmsim.ctl_ctr -e kmsim.data_ctr -e kmsim.ctl_len -e kmsim.data_len
 -e kmsim.data.plain"

# --- the Lua crypto against RFC 8439 (and a planted error) -------------
"$kmsim" run "$sc" --replications 1 --until 5min -q --out "$tmp/o0" \
    --pcap "$tmp/t0.pcap" 2>"$tmp/err" || fail "run --pcap: $(cat "$tmp/err")"
KMSIM_LUA_SELFTEST=1 tsk -r "$tmp/t0.pcap" -c 1 >"$tmp/self" 
grep -q 'kmsim.lua selftest: chacha20 rfc8439-2.4.2 ok, poly1305 rfc8439-2.5.2 ok' "$tmp/self" &&
    ok "kmsim.lua: ChaCha20 (RFC 8439 2.4.2) and Poly1305 (2.5.2) vectors" ||
    fail "kmsim.lua selftest: $(cat "$tmp/self" "$tmp/tshark.err")"
sed 's/x\[c\] + x\[d\]) % 4294967296; x\[b\] = bit.lrotate(bit.bxor(x\[b\], x\[c\]), 12)/x[c] + x[d]) % 4294967296; x[b] = bit.lrotate(bit.bxor(x[b], x[c]), 11)/' \
    "$lua" >"$tmp/broken.lua"
KMSIM_LUA_SELFTEST=1 tshark -X lua_script:"$tmp/broken.lua" -r "$tmp/t0.pcap" -c 1 \
    2>/dev/null | grep -q 'chacha20 rfc8439-2.4.2 FAIL' &&
    ok "the selftest catches a planted rotation error" ||
    fail "a broken ChaCha20 passes the selftest"

# --- a shipped scenario, traced, with the key log ----------------------
"$kmsim" run "$sc" --replications 2 --until 10min -q --out "$tmp/plain" 2>"$tmp/err" &&
"$kmsim" run "$sc" --replications 2 --until 10min -q --out "$tmp/o1" \
    --pcap "$tmp/t1.pcap" --keylog "$tmp/t1.keys" 2>"$tmp/err" &&
"$kmsim" run "$sc" --replications 2 --until 10min -q --out "$tmp/o2" --threads 2 \
    --pcap "$tmp/t2.pcap" --keylog "$tmp/t2.keys" 2>>"$tmp/err" ||
    fail "runs: $(cat "$tmp/err")"
same=
for f in summary runs replications; do
    cmp -s "$tmp/plain/$f.csv" "$tmp/o1/$f.csv" && cmp -s "$tmp/plain/$f.csv" "$tmp/o2/$f.csv" ||
        same="$same $f.csv"
done
[ -z "$same" ] && ok "the CSVs (fingerprints included) do not change with --pcap --keylog, threads 1 or 2" ||
    fail "CSVs changed by tracing:$same"
cmp -s "$tmp/t1.pcap" "$tmp/t2.pcap" && cmp -s "$tmp/t1.keys" "$tmp/t2.keys" &&
    ok "--threads 2 writes the same trace and key log ($(wc -c <"$tmp/t1.pcap") B, $(grep -c '^SEAL' "$tmp/t1.keys") seals)" ||
    fail "--threads 2 trace or key log differs"
[ "$(stat -c %a "$tmp/t1.keys")" = 600 ] && ok "the key log is mode 0600" ||
    fail "key log mode $(stat -c %a "$tmp/t1.keys")"
ls "$tmp" | grep -q '\.tmp\.' && fail "temporary files left: $(ls "$tmp")" ||
    ok "no temporary file left"

# every field, as kmsim wrote it (pcapcheck) and as the dissector reads it
"$check" "$tmp/t1.pcap" >"$tmp/ref" 2>"$tmp/err" || fail "pcapcheck: $(cat "$tmp/err")"
# shellcheck disable=SC2086
tsk -r "$tmp/t1.pcap" -T fields -E separator=/t $FIELDS >"$tmp/dis"
nrec=$(wc -l <"$tmp/ref")
if [ "$nrec" -gt 100 ] && cmp -s "$tmp/ref" "$tmp/dis"; then
    ok "tshark decodes every field of all $nrec records as kmsim wrote them"
else
    fail "decoded fields differ ($nrec records): $(diff "$tmp/ref" "$tmp/dis" | head -5) $(head -3 "$tmp/tshark.err")"
fi
awk -F'\t' '$22 != "" { x++ } END { exit x > 0 }' "$tmp/dis" &&
    ok "without the key log no part is opened" || fail "a part opened without the key log"
tsk -r "$tmp/t1.pcap" -T fields -e kmsim.data.state | grep -c '^sealed ([0-9]* bytes + 16-byte tag)$' >"$tmp/nsealed"
[ "$(cat "$tmp/nsealed")" -gt 50 ] && ok "sealed data parts shown as sealed: $(cat "$tmp/nsealed")" ||
    fail "sealed parts: $(cat "$tmp/nsealed")"

# protocol message type names (Dini's enum), on every clear control message
tsk -r "$tmp/t1.pcap" -T fields -e kmsim.type -e kmsim.flags.ctl_sealed -e kmsim.msg_name >"$tmp/names"
names=$(awk -F'\t' '$1 == 5 { print $3 }' "$tmp/names" | sort -u | tr '\n' ' ')
case "$names" in
*dini.keys*dini.offer*) ok "message names: $names" ;;
*) fail "message names: '$names'" ;;
esac
awk -F'\t' '$1 == 5 && $3 == "" { x++ } END { exit x > 0 }' "$tmp/names" &&
    ok "every control message is named" || fail "an unnamed control message"

# with the key log: every sealed data part opens, tag verified, to the
# bytes the reference opens with cry_open
"$check" "$tmp/t1.pcap" "$tmp/t1.keys" >"$tmp/ref-k" 2>"$tmp/err" || fail "pcapcheck keys: $(cat "$tmp/err")"
# shellcheck disable=SC2086
tsk -o kmsim.keylog:"$tmp/t1.keys" -r "$tmp/t1.pcap" -T fields -E separator=/t $FIELDS >"$tmp/dis-k"
nopen=$(awk -F'\t' '$22 != ""' "$tmp/dis-k" | wc -l)
if [ "$nopen" -gt 50 ] && cmp -s "$tmp/ref-k" "$tmp/dis-k"; then
    ok "the key log opens $nopen data parts to what cry_open gives"
else
    fail "opened parts differ ($nopen): $(diff "$tmp/ref-k" "$tmp/dis-k" | head -3)"
fi
tsk -o kmsim.keylog:"$tmp/t1.keys" -r "$tmp/t1.pcap" -T fields -e kmsim.flags.data_sealed \
    -e kmsim.data.state | awk -F'\t' '$1 == "True" && $2 !~ /opened, tag verified$/ { x++ } END { exit x > 0 }' &&
    ok "every sealed data part: opened, tag verified" || fail "a sealed part not verified"
# DATA (type 3): the plaintext is the payload the source made, every
# byte (seq + 1) mod 256 (world_so.c world_ev_traffic)
awk -F'\t' '$9 == 3 && $22 != "" {
        b = sprintf("%02x", ($14 + 1) % 256); want = ""
        for (i = 0; i < length($22) / 2; i++) want = want b
        if ($22 != want) bad++; else good++
    } END { if (bad || good < 10) exit 1; print good }' "$tmp/dis-k" >"$tmp/ndata" &&
    ok "DATA parts open to the payload the run sent ($(cat "$tmp/ndata"))" ||
    fail "DATA plaintexts: $(cat "$tmp/ndata")"
# a wrong key: tag mismatch flagged
sed '/^SEAL/s/ \([0-9a-f]\)\([0-9a-f]*\)$/ f\2/' "$tmp/t1.keys" >"$tmp/bad.keys"
cmp -s "$tmp/bad.keys" "$tmp/t1.keys" && sed -i '/^SEAL/s/ \([0-9a-f]\)\([0-9a-f]*\)$/ 0\2/' "$tmp/bad.keys"
tsk -o kmsim.keylog:"$tmp/bad.keys" -r "$tmp/t1.pcap" -Y kmsim.badtag -T fields -e frame.number | wc -l >"$tmp/nbad"
[ "$(cat "$tmp/nbad")" -gt 0 ] && ok "wrong keys: TAG MISMATCH flagged ($(cat "$tmp/nbad") records)" ||
    fail "wrong keys not flagged"

# every protocol, and sealed control parts (per_hop_mac): every sealed
# part of the trace opens with the key log, tag verified
for p in dini dipietro eg netkey pairwise; do
    set -- --protocol $p
    [ $p = dini ] && set -- --protocol dini --set protocol.per_hop_mac=true
    "$kmsim" run "$top_srcdir/scenarios/compare-seed001.yaml" "$@" --replications 1 \
        --until 5min -q --out "$tmp/p-$p" --pcap "$tmp/p-$p.pcap" --keylog "$tmp/p-$p.keys" \
        2>"$tmp/err" || { fail "run --protocol $p: $(cat "$tmp/err")"; continue; }
    tsk -o kmsim.keylog:"$tmp/p-$p.keys" -r "$tmp/p-$p.pcap" -T fields -E separator=/t \
        -e kmsim.ctl.state -e kmsim.data.state | tr '\t' '\n' | grep '^sealed' >"$tmp/st"
    nv=$(grep -c 'opened, tag verified$' "$tmp/st")
    nc=$(tsk -o kmsim.keylog:"$tmp/p-$p.keys" -r "$tmp/p-$p.pcap" -Y 'kmsim.flags.ctl_sealed == 1' \
        -T fields -e kmsim.ctl.state | grep -c 'opened, tag verified$')
    if [ "$nv" -gt 10 ] && [ "$nv" -eq "$(wc -l <"$tmp/st")" ] && { [ $p != dini ] || [ "$nc" -gt 10 ]; }; then
        ok "$p$( [ $p = dini ] && echo ' (per_hop_mac)'): all $nv sealed parts open, tag verified ($nc control parts)"
    else
        fail "$p: $nv of $(wc -l <"$tmp/st") sealed parts verified, $nc control"
    fi
done

# malformed lengths: the first record's data length changed
cp "$tmp/t1.pcap" "$tmp/bad.pcap"
printf '\377' | dd of="$tmp/bad.pcap" bs=1 seek=112 conv=notrunc 2>/dev/null
tsk -r "$tmp/bad.pcap" -Y kmsim.lengths -T fields -e frame.number >"$tmp/mal"
[ "$(cat "$tmp/mal")" = 1 ] && ok "malformed lengths flagged (expert info kmsim.lengths)" ||
    fail "malformed lengths: '$(cat "$tmp/mal")'"

# --- filters -------------------------------------------------------------
"$kmsim" run "$sc" --replications 1 --until 10min -q --out "$tmp/o3" \
    --pcap "$tmp/f.pcap" --pcap-filter node=3 2>"$tmp/err" || fail "filter run: $(cat "$tmp/err")"
"$check" "$tmp/f.pcap" >"$tmp/f.txt"
nf=$(wc -l <"$tmp/f.txt")
awk -F'\t' '$5 != 3 && $6 != 3 { x++ } END { exit x > 0 }' "$tmp/f.txt" && [ "$nf" -gt 0 ] &&
    [ "$nf" -lt "$nrec" ] && ok "--pcap-filter node=3: $nf of $nrec records, each to or from node 3" ||
    fail "node filter: $nf records"
"$kmsim" run "$sc" --replications 1 --until 10min -q --out "$tmp/o4" \
    --pcap "$tmp/l.pcap" --pcap-filter link=0-3 --pcap-filter node=7 2>"$tmp/err" || fail "link filter run: $(cat "$tmp/err")"
"$check" "$tmp/l.pcap" >"$tmp/l.txt"
nl=$(wc -l <"$tmp/l.txt")
awk -F'\t' '!(($5 == 0 && $6 == 3) || ($5 == 3 && $6 == 0) || $5 == 7 || $6 == 7) { x++ } END { exit x > 0 }' "$tmp/l.txt" &&
    [ "$nl" -gt 0 ] && ok "--pcap-filter link=0-3 --pcap-filter node=7: $nl records, each selected" ||
    fail "link filter: $nl records"

# --- refusals -------------------------------------------------------------
# expect STATUS PATTERN ARGS...: exit STATUS, one line matching PATTERN,
# nothing written in $tmp/x
expect() {
    st=$1 pat=$2
    shift 2
    rm -rf "$tmp/x"
    "$kmsim" "$@" >/dev/null 2>"$tmp/err"
    got=$?
    if [ $got -eq "$st" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$pat" "$tmp/err" &&
        [ ! -e "$tmp/x" ] && ! ls "$tmp" | grep -q '^x\.'; then
        ok "$*: exit $st, $(cat "$tmp/err")"
    else
        fail "$*: exit $got: $(cat "$tmp/err")"
    fi
}
expect 2 'kmsim run: --keylog needs --pcap FILE' run "$sc" --out "$tmp/x" --keylog "$tmp/x.keys"
expect 2 'kmsim run: --pcap-filter needs --pcap FILE' run "$sc" --out "$tmp/x" --pcap-filter node=1
expect 2 'kmsim run: --pcap-filter node=x: expected node=ID' run "$sc" --out "$tmp/x" --pcap "$tmp/x.pcap" --pcap-filter node=x
expect 2 'kmsim run: --pcap-filter node=999: no such node' run "$sc" --out "$tmp/x" --pcap "$tmp/x.pcap" --pcap-filter node=999
expect 2 'kmsim run: --pcap-filter link=1-2: no link between' run "$sc" --out "$tmp/x" --pcap "$tmp/x.pcap" --pcap-filter link=1-2
expect 2 'kmsim compare: --pcap is for kmsim run' compare "$sc" --out "$tmp/x" --pcap "$tmp/x.pcap"
expect 2 'kmsim sweep: --keylog is for kmsim run' sweep "$sc" --out "$tmp/x" --keylog "$tmp/x.keys"
expect 2 'kmsim: --pcap given more than once' run "$sc" --out "$tmp/x" --pcap "$tmp/x.pcap" --pcap "$tmp/x.pcap"
expect 2 'kmsim run: --pcap and --keylog name the same file' run "$sc" --out "$tmp/x" --pcap "$tmp/x.pcap" --keylog "$tmp/x.pcap"
expect 1 'kmsim run: --pcap .*/no/dir/t.pcap: cannot create' run "$sc" --out "$tmp/x" --pcap "$tmp/no/dir/t.pcap"

# --- an interrupted run leaves no trace ---------------------------------
"$kmsim" run "$top_srcdir/scenarios/scale-dini-1e4.yaml" --replications 1 -q --out "$tmp/int" \
    --set duration=10h \
    --pcap "$tmp/int.pcap" --keylog "$tmp/int.keys" 2>"$tmp/err" &
pid=$!
sleep 2
kill -INT $pid 2>/dev/null
wait $pid
st=$?
if [ $st -ne 0 ] && ! ls "$tmp" | grep -q '^int\.'; then
    ok "interrupted (status $st): no trace, key log or temporary left"
else
    fail "interrupted run: status $st, left: $(ls "$tmp" | grep '^int')"
fi

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
