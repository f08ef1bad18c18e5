-- kmsim.lua -- Wireshark dissector for kmsim's packet traces (`kmsim run
-- --pcap FILE`, kmsim extension, issue 23): link type DLT_USER0 (147),
-- a 20-byte pseudo-header (sim/net/pcap.h) then the message as on the link
-- (sim/net/wire.h: 56-byte header, control part, data part, sealed parts with
-- their 16-byte tags).  With a key log (`kmsim run --keylog KEYS`, the
-- preference kmsim.keylog: `tshark -o kmsim.keylog:KEYS`) it opens the
-- sealed parts: ChaCha20 (RFC 8439 2.4) and the Poly1305 tag (2.5, 2.8)
-- are implemented here, in Lua 5.2 with bit32, since Wireshark 4.0's Lua
-- API has no AEAD.  AES-256-GCM runs (scenario `aead: aes256gcm`) are
-- decoded but not opened.
--
-- Use: wireshark -X lua_script:kmsim.lua trace.pcap, or copy this file to
-- ~/.local/lib/wireshark/plugins/.  Filter fields: kmsim.event, kmsim.src,
-- kmsim.type, kmsim.msg_name, ... (the list below).
-- Run outside Wireshark (lua5.2 kmsim.lua) or with KMSIM_LUA_SELFTEST=1 in
-- the environment, it checks its ChaCha20 and Poly1305 against RFC 8439's
-- test vectors 2.4.2 and 2.5.2 and prints one line.

local bit = bit32

---------------------------------------------------------------------------
-- ChaCha20 (RFC 8439 2.3, 2.4): 32-bit words in Lua numbers.
---------------------------------------------------------------------------

local function u32le(s, i)
    local a, b, c, d = s:byte(i, i + 3)
    return a + b * 256 + c * 65536 + d * 16777216
end

local function qr(x, a, b, c, d)
    x[a] = (x[a] + x[b]) % 4294967296; x[d] = bit.lrotate(bit.bxor(x[d], x[a]), 16)
    x[c] = (x[c] + x[d]) % 4294967296; x[b] = bit.lrotate(bit.bxor(x[b], x[c]), 12)
    x[a] = (x[a] + x[b]) % 4294967296; x[d] = bit.lrotate(bit.bxor(x[d], x[a]), 8)
    x[c] = (x[c] + x[d]) % 4294967296; x[b] = bit.lrotate(bit.bxor(x[b], x[c]), 7)
end

-- One 64-byte block of key stream (key 32 bytes, nonce 12, counter).
local function chacha20_block(key, counter, nonce)
    local s = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574}
    for i = 0, 7 do s[5 + i] = u32le(key, 1 + 4 * i) end
    s[13] = counter
    for i = 0, 2 do s[14 + i] = u32le(nonce, 1 + 4 * i) end
    local x = {}
    for i = 1, 16 do x[i] = s[i] end
    for _ = 1, 10 do
        qr(x, 1, 5, 9, 13); qr(x, 2, 6, 10, 14)
        qr(x, 3, 7, 11, 15); qr(x, 4, 8, 12, 16)
        qr(x, 1, 6, 11, 16); qr(x, 2, 7, 12, 13)
        qr(x, 3, 8, 9, 14); qr(x, 4, 5, 10, 15)
    end
    local out = {}
    for i = 1, 16 do
        local v = (x[i] + s[i]) % 4294967296
        out[#out + 1] = string.char(v % 256, math.floor(v / 256) % 256,
                                    math.floor(v / 65536) % 256,
                                    math.floor(v / 16777216))
    end
    return table.concat(out)
end

-- ChaCha20 encryption = decryption of `data` from block `counter` on.
local function chacha20_xor(key, counter, nonce, data)
    local out = {}
    for off = 1, #data, 64 do
        local ks = chacha20_block(key, counter, nonce)
        counter = counter + 1
        local chunk = data:sub(off, off + 63)
        local o = {}
        for i = 1, #chunk do
            o[i] = string.char(bit.bxor(chunk:byte(i), ks:byte(i)))
        end
        out[#out + 1] = table.concat(o)
    end
    return table.concat(out)
end

---------------------------------------------------------------------------
-- Poly1305 (RFC 8439 2.5): 130-bit numbers as ten 13-bit limbs, so every
-- product sum stays far below 2^53 (exact in Lua 5.2's doubles).
---------------------------------------------------------------------------

local L = 8192   -- 2^13

-- Limbs of the little-endian bytes of s (at most 17 bytes).
local function limbs(s)
    local b = {s:byte(1, #s)}
    local h = {}
    for i = 0, 9 do
        local bitpos = 13 * i
        local k = math.floor(bitpos / 8)
        local v = (b[k + 1] or 0) + (b[k + 2] or 0) * 256 + (b[k + 3] or 0) * 65536
        h[i + 1] = math.floor(v / 2 ^ (bitpos % 8)) % L
    end
    return h
end

local function carry(h)
    local c = 0
    for i = 1, 10 do
        local v = h[i] + c
        c = math.floor(v / L)
        h[i] = v % L
    end
    return c
end

local function poly1305(key, msg)
    local rb = {key:byte(1, 16)}
    for _, i in ipairs({4, 8, 12, 16}) do rb[i] = rb[i] % 16 end
    for _, i in ipairs({5, 9, 13}) do rb[i] = rb[i] - rb[i] % 4 end
    local r = limbs(string.char(table.unpack(rb)))
    local h = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
    for off = 1, #msg, 16 do
        local m = limbs(msg:sub(off, off + 15) .. "\1")
        for i = 1, 10 do h[i] = h[i] + m[i] end
        local d = {}
        for i = 0, 9 do
            local acc = 0
            for j = 0, 9 do
                local k = i - j
                if k >= 0 then acc = acc + h[j + 1] * r[k + 1]
                else acc = acc + h[j + 1] * 5 * r[k + 11] end
            end
            d[i + 1] = acc
        end
        h = d
        local c = carry(h)
        h[1] = h[1] + 5 * c
        c = carry(h)
        h[1] = h[1] + 5 * c
    end
    -- fully reduce mod p = 2^130 - 5
    local c = carry(h)
    h[1] = h[1] + 5 * c
    carry(h)
    local g = {}
    for i = 1, 10 do g[i] = h[i] end
    g[1] = g[1] + 5
    if carry(g) > 0 then h = g end          -- h >= p: h - p = g - 2^130
    -- h mod 2^128 as bytes, + s
    local bytes, acc, nbits = {}, 0, 0
    for i = 1, 10 do
        acc = acc + h[i] * 2 ^ nbits
        nbits = nbits + 13
        while nbits >= 8 and #bytes < 16 do
            bytes[#bytes + 1] = acc % 256
            acc = math.floor(acc / 256)
            nbits = nbits - 8
        end
    end
    while #bytes < 16 do bytes[#bytes + 1] = acc % 256; acc = math.floor(acc / 256) end
    local sb, cy, out = {key:byte(17, 32)}, 0, {}
    for i = 1, 16 do
        local v = bytes[i] + sb[i] + cy
        out[i] = string.char(v % 256)
        cy = math.floor(v / 256)
    end
    return table.concat(out)
end

local function le64(n)
    local o = {}
    for i = 1, 8 do o[i] = string.char(n % 256); n = math.floor(n / 256) end
    return table.concat(o)
end

local function pad16(s)
    local r = #s % 16
    return r == 0 and "" or string.rep("\0", 16 - r)
end

-- AEAD_CHACHA20_POLY1305 open (RFC 8439 2.8): plaintext and whether the
-- tag verified.
local function aead_open(key, nonce, ad, ct, tag)
    local otk = chacha20_block(key, 0, nonce):sub(1, 32)
    local mac = poly1305(otk, ad .. pad16(ad) .. ct .. pad16(ct) ..
                         le64(#ad) .. le64(#ct))
    return chacha20_xor(key, 1, nonce, ct), mac == tag
end

local function tohex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function fromhex(h)
    return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end

local function selftest()
    local key = ""
    for i = 0, 31 do key = key .. string.char(i) end
    local nonce = fromhex("000000000000004a00000000")
    local pt = "Ladies and Gentlemen of the class of '99: If I could offer " ..
               "you only one tip for the future, sunscreen would be it."
    local want = "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9f" ..
                 "ae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c35" ..
                 "9f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818c" ..
                 "e91ab77937365af90bbf74a35be6b40b8eedf2785e42874d"
    local c_ok = tohex(chacha20_xor(key, 1, nonce, pt)) == want
    local pkey = fromhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4a" ..
                         "bff6af4149f51b")
    local p_ok = tohex(poly1305(pkey, "Cryptographic Forum Research Group")) ==
                 "a8061dc1305136c6c22b8baf0c0127a9"
    return string.format("kmsim.lua selftest: chacha20 rfc8439-2.4.2 %s, " ..
                         "poly1305 rfc8439-2.5.2 %s",
                         c_ok and "ok" or "FAIL", p_ok and "ok" or "FAIL")
end

if os.getenv("KMSIM_LUA_SELFTEST") or not Proto then
    print(selftest())
end
if not Proto then      -- plain Lua: the self-test was all
    return {chacha20_xor = chacha20_xor, poly1305 = poly1305,
            aead_open = aead_open}
end

---------------------------------------------------------------------------
-- The dissector.
---------------------------------------------------------------------------

local kmsim = Proto("kmsim", "kmsim simulated link (kmsim extension)")

local PHDR, HDR, TAG = 20, 56, 16

local events = {[1] = "tx", [2] = "rx"}
local protos = {[0] = "none", [1] = "netkey", [2] = "pairwise",
                [3] = "dipietro", [4] = "dini", [5] = "eg", [255] = "other"}
local aeads = {[0] = "chacha20poly1305", [1] = "aes256gcm"}
local types = {[1] = "register", [2] = "register_ack", [3] = "data",
               [4] = "publish", [5] = "control"}
-- Protocol message types (first byte of a control message's control
-- part), from each protocol's enum in sim/proto/*.c.
local msgs = {
    [1] = {"rekey", "rekey_ack"},                                  -- netkey
    [2] = {"rekey", "rekey_ack"},                                  -- pairwise
    [3] = {"seeds", "seeds_ack", "update", "update_ack", "join",   -- dipietro
           "join_ack"},
    [4] = {"keys", "findg", "findg_ack", "pairreq", "offer", "kack", -- dini
           "ready", "rekey", "rekey_ack", "inval", "ack", "move", "ktreq",
           "ktkey", "move_ok", "renew", "search", "search_reply", "pfail"},
    [5] = {"hello", "link_ok", "path_key", "path_ack", "revoke",   -- eg
           "pk_search", "pk_found"},
}

local f = {
    version   = ProtoField.uint8("kmsim.version", "Pseudo-header version"),
    event     = ProtoField.uint8("kmsim.event", "Event", base.DEC, events),
    proto     = ProtoField.uint8("kmsim.proto", "Protocol", base.DEC, protos),
    aead      = ProtoField.uint8("kmsim.aead", "AEAD", base.DEC, aeads),
    from      = ProtoField.uint32("kmsim.link.from", "Link from (node)"),
    to        = ProtoField.uint32("kmsim.link.to", "Link to (node)"),
    link      = ProtoField.uint32("kmsim.link.index", "Link index"),
    rep       = ProtoField.uint32("kmsim.replication", "Replication"),
    type      = ProtoField.uint8("kmsim.type", "Type", base.DEC, types),
    flags     = ProtoField.uint8("kmsim.flags", "Flags", base.HEX),
    f_ctl     = ProtoField.bool("kmsim.flags.ctl_sealed", "Control part sealed", 8, nil, 0x01),
    f_data    = ProtoField.bool("kmsim.flags.data_sealed", "Data part sealed", 8, nil, 0x02),
    hops      = ProtoField.uint16("kmsim.hops", "Hops"),
    src       = ProtoField.uint32("kmsim.src", "Source node"),
    dst       = ProtoField.uint32("kmsim.dst", "Destination node"),
    seq       = ProtoField.uint32("kmsim.seq", "Sequence"),
    key_name  = ProtoField.uint64("kmsim.key_name", "Key name", base.HEX),
    session   = ProtoField.uint32("kmsim.session", "Session"),
    hop_from  = ProtoField.uint32("kmsim.hop_from", "Hop sender"),
    ctl_ctr   = ProtoField.uint64("kmsim.ctl_ctr", "Control nonce counter"),
    data_ctr  = ProtoField.uint64("kmsim.data_ctr", "Data nonce counter"),
    ctl_len   = ProtoField.uint32("kmsim.ctl_len", "Control length"),
    data_len  = ProtoField.uint32("kmsim.data_len", "Data length"),
    msg       = ProtoField.uint8("kmsim.msg", "Protocol message type"),
    msg_name  = ProtoField.string("kmsim.msg_name", "Protocol message"),
    ctl       = ProtoField.bytes("kmsim.ctl", "Control part"),
    data      = ProtoField.bytes("kmsim.data", "Data part"),
    ctl_state = ProtoField.string("kmsim.ctl.state", "Control part state"),
    data_state = ProtoField.string("kmsim.data.state", "Data part state"),
    ctl_tag   = ProtoField.bytes("kmsim.ctl.tag", "Control tag"),
    data_tag  = ProtoField.bytes("kmsim.data.tag", "Data tag"),
    ctl_plain = ProtoField.bytes("kmsim.ctl.plain", "Control plaintext"),
    data_plain = ProtoField.bytes("kmsim.data.plain", "Data plaintext"),
}
local flist = {}
for _, v in pairs(f) do flist[#flist + 1] = v end
kmsim.fields = flist

local ex = {
    short = ProtoExpert.new("kmsim.short", "Record shorter than the headers",
                            expert.group.MALFORMED, expert.severity.ERROR),
    lengths = ProtoExpert.new("kmsim.lengths",
                              "Part lengths do not add up to the message",
                              expert.group.MALFORMED, expert.severity.ERROR),
    tagless = ProtoExpert.new("kmsim.tagless",
                              "Sealed part shorter than its tag",
                              expert.group.MALFORMED, expert.severity.ERROR),
    badtag = ProtoExpert.new("kmsim.badtag",
                             "Tag does not verify under the logged key",
                             expert.group.SECURITY, expert.severity.WARN),
    opened = ProtoExpert.new("kmsim.opened", "Sealed part opened with the key log",
                             expert.group.SECURITY, expert.severity.CHAT),
}
kmsim.experts = {ex.short, ex.lengths, ex.tagless, ex.badtag, ex.opened}

kmsim.prefs.keylog = Pref.string("Key log file", "",
    "kmsim run --keylog file: opens the sealed parts (SECRET keys)")

-- The key log: tag hex -> key bytes, loaded when the preference changes.
local keys, keys_path = {}, nil

local function load_keylog()
    local path = kmsim.prefs.keylog
    if path == keys_path then return end
    keys, keys_path = {}, path
    if path == nil or path == "" then return end
    local fh = io.open(path, "r")
    if not fh then return end
    for line in fh:lines() do
        local tag, key = line:match("^SEAL %d+ %d+ (%x+) (%x+)$")
        if tag and #tag == 32 and #key == 64 then keys[tag] = fromhex(key) end
    end
    fh:close()
end

function kmsim.prefs_changed() keys_path = nil end

-- Opens part `which` (tvb range r of n bytes, sealed) if the key log has
-- its tag; adds the state and the plaintext under tree t.
local function open_part(tvb, pinfo, t, which, r, n, raw, nonce, ad, aead)
    local tag = raw:sub(n - TAG + 1, n)
    t:add(which == "ctl" and f.ctl_tag or f.data_tag, r:range(n - TAG, TAG))
    local state = string.format("sealed (%d bytes + 16-byte tag)", n - TAG)
    local key = keys[tohex(tag)]
    local pt, ok
    if key and aead ~= 0 then
        state = state .. "; cannot open: aes256gcm (this dissector opens chacha20poly1305)"
    elseif key then
        pt, ok = aead_open(key, nonce, ad, raw:sub(1, n - TAG), tag)
        if #pt > 0 then
            local ptvb = ByteArray.new(pt, true):tvb(which == "ctl"
                and "Opened control part" or "Opened data part")
            t:add(which == "ctl" and f.ctl_plain or f.data_plain, ptvb:range(0, #pt))
        end
        if ok then
            state = state .. "; opened, tag verified"
            t:add_proto_expert_info(ex.opened)
        else
            state = state .. "; decrypted, TAG MISMATCH"
            t:add_proto_expert_info(ex.badtag)
        end
    elseif keys_path and keys_path ~= "" then
        state = state .. "; key not in the key log"
    end
    t:add(which == "ctl" and f.ctl_state or f.data_state, state)
    return ok, pt
end

function kmsim.dissector(tvb, pinfo, tree)
    load_keylog()
    pinfo.cols.protocol = "kmsim"
    local len = tvb:len()
    local t = tree:add(kmsim, tvb())
    if len < PHDR + HDR then
        t:add_proto_expert_info(ex.short)
        return
    end
    local ph = t:add(tvb(0, PHDR), "Pseudo-header (kmsim --pcap)")
    ph:add(f.version, tvb(0, 1))
    ph:add(f.event, tvb(1, 1))
    ph:add(f.proto, tvb(2, 1))
    ph:add(f.aead, tvb(3, 1))
    ph:add_le(f.from, tvb(4, 4))
    ph:add_le(f.to, tvb(8, 4))
    ph:add_le(f.link, tvb(12, 4))
    ph:add_le(f.rep, tvb(16, 4))
    local ev, proto, aead = tvb(1, 1):uint(), tvb(2, 1):uint(), tvb(3, 1):uint()
    local from, to = tvb(4, 4):le_uint(), tvb(8, 4):le_uint()

    local o = PHDR
    local h = t:add(tvb(o, HDR), "Header")
    h:add(f.type, tvb(o, 1))
    local fl = h:add(f.flags, tvb(o + 1, 1))
    fl:add(f.f_ctl, tvb(o + 1, 1))
    fl:add(f.f_data, tvb(o + 1, 1))
    h:add_le(f.hops, tvb(o + 2, 2))
    h:add_le(f.src, tvb(o + 4, 4))
    h:add_le(f.dst, tvb(o + 8, 4))
    h:add_le(f.seq, tvb(o + 12, 4))
    h:add_le(f.key_name, tvb(o + 16, 8))
    h:add_le(f.session, tvb(o + 24, 4))
    h:add_le(f.hop_from, tvb(o + 28, 4))
    h:add_le(f.ctl_ctr, tvb(o + 32, 8))
    h:add_le(f.data_ctr, tvb(o + 40, 8))
    local cl_item = h:add_le(f.ctl_len, tvb(o + 48, 4))
    h:add_le(f.data_len, tvb(o + 52, 4))
    local typ, flags = tvb(o, 1):uint(), tvb(o + 1, 1):uint()
    local clen, dlen = tvb(o + 48, 4):le_uint(), tvb(o + 52, 4):le_uint()
    local info = string.format("%s %u>%u %s src=%u dst=%u seq=%u",
        events[ev] or "?", from, to, types[typ] or ("type " .. typ),
        tvb(o + 4, 4):le_uint(), tvb(o + 8, 4):le_uint(), tvb(o + 12, 4):le_uint())
    pinfo.cols.src = tostring(from)
    pinfo.cols.dst = tostring(to)

    local body = len - PHDR - HDR
    if clen + dlen ~= body then
        cl_item:add_proto_expert_info(ex.lengths, string.format(
            "control %u + data %u bytes, but the message has %u after its header",
            clen, dlen, body))
        pinfo.cols.info = info .. " [malformed lengths]"
        return
    end
    local hdr_raw = tvb:raw(o, HDR)
    -- Control part: the protocol's message type is its first byte (clear).
    local co = o + HDR
    local name
    if clen > 0 then
        local ct = t:add(f.ctl, tvb(co, clen))
        if bit.band(flags, 1) ~= 0 then
            if clen < TAG then
                ct:add_proto_expert_info(ex.tagless)
            else
                -- AD: the header with hops 0; nonce: hop sender || counter
                local ad = hdr_raw:sub(1, 2) .. "\0\0" .. hdr_raw:sub(5)
                local nonce = hdr_raw:sub(29, 32) .. hdr_raw:sub(33, 40)
                local _, pt = open_part(tvb, pinfo, ct, "ctl", tvb(co, clen), clen,
                                        tvb:raw(co, clen), nonce, ad, aead)
                if pt and #pt > 0 and typ == 5 then
                    name = (msgs[proto] or {})[pt:byte(1)]
                end
            end
        else
            ct:add(f.ctl_state, "clear")
            if typ == 5 then
                local m = tvb(co, 1):uint()
                ct:add(f.msg, tvb(co, 1))
                name = (msgs[proto] or {})[m] or ("message " .. m)
            end
        end
    end
    if name then
        t:add(f.msg_name, (protos[proto] or "?") .. "." .. name)
        info = info .. " " .. (protos[proto] or "?") .. "." .. name
    end
    local dof = co + clen
    if dlen > 0 then
        local dt = t:add(f.data, tvb(dof, dlen))
        if bit.band(flags, 2) ~= 0 then
            if dlen < TAG then
                dt:add_proto_expert_info(ex.tagless)
            else
                -- AD: type, src dst seq, name session, data counter, length
                local ad = hdr_raw:sub(1, 1) .. hdr_raw:sub(5, 16) ..
                           hdr_raw:sub(17, 28) .. hdr_raw:sub(41, 48) ..
                           hdr_raw:sub(53, 56)
                local nonce = hdr_raw:sub(5, 8) .. hdr_raw:sub(41, 48)
                local ok = open_part(tvb, pinfo, dt, "data", tvb(dof, dlen), dlen,
                                     tvb:raw(dof, dlen), nonce, ad, aead)
                info = info .. (ok and " data opened" or
                                string.format(" data sealed %u+16", dlen - TAG))
            end
        else
            dt:add(f.data_state, "clear")
        end
    end
    pinfo.cols.info = info
end

DissectorTable.get("wtap_encap"):add((wtap_encaps or wtap).USER0, kmsim)
