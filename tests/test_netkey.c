/* test_netkey.c — the network-wide key baseline (sim/proto/netkey.c) in
 * tiny explicit worlds: every node holds the same preloaded key, data and
 * publishes are sealed on the wire and open at their destination, tampered
 * and replayed data are refused, a replacement round reaches every node in
 * role order and loses no data, lost REKEYs and acks are recovered, the
 * storage accounting, capture, and determinism.  The attacker hooks: one
 * capture exposes every link; the reaction (revocation and a new round)
 * helps only against an attacker who does not read the REKEYs, since K'
 * travels sealed under the compromised K; refusals; garbage.  Keys are
 * read through baseline.h, packets through taps (baseline_tw.h). */
#include "baseline_tw.h"
#include "wipelog.h"
#include "cry.h"
#include "proto.h"
#include "baseline.h"

/* Message types of netkey.c (first byte of the clear control part). */
enum { NT_REKEY = 1, NT_REKEY_ACK };

/* SO 0; source 1 next to it, source 2 behind 1; subscriber 3 on SO 0. */
#define ROLES4 "OSSU"
#define LINKS4 "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 3}"
/* The same with a second SO (4) beside SO 0. */
#define ROLES5 "OSSUO"
#define LINKS5 LINKS4 ", {a: 0, b: 4}"

static int nk_build(tworld *t, const char *opts, uint64_t seed,
                    const char *duration, const char *roles,
                    const char *links, const char *interval)
{
    return bl_build(t, "netkey", opts, seed, duration, roles, links, interval,
                    NULL);
}

/* Every node holds version `ver` of the key, all with the same value. */
static void assert_all_on(sim_world *w, uint32_t n, uint32_t ver)
{
    for (uint32_t v = 0; v < n; v++) {
        CU_ASSERT_EQUAL(netkey_version(w, v), ver);
        CU_ASSERT(netkey_key_of(w, v, ver) != 0);
        CU_ASSERT(baseline_key_equal(w, netkey_key_of(w, 0, ver),
                                     netkey_key_of(w, v, ver)));
    }
}

/* ---- the preloaded key ---- */

/* Every node holds K from the start (its own handle, one value); the
 * sources never wait for it (key.setup 0 each); every message is sealed
 * on the wire and opens at the SO, every publish at the subscriber. */
static void test_preloaded_key(void)
{
    tworld t;
    wire_log l = {0};

    CU_ASSERT_FATAL(nk_build(&t, "", 1, "30s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    for (uint32_t v = 1; v < 4; v++) {
        CU_ASSERT(netkey_key_of(t.w, v, 0) != netkey_key_of(t.w, 0, 0));
        CU_ASSERT(baseline_key_equal(t.w, netkey_key_of(t.w, 0, 0),
                                     netkey_key_of(t.w, v, 0)));
    }
    sim_world_add_tap(t.w, wire_tap, &l);
    tw_run_all(&t);
    assert_all_on(t.w, 4, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.setup"), 2);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "key.setup"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "data.generated"), 2 * 29, 0);
    assert_all_opened(t.w, "netkey");
    CU_ASSERT(l.data >= 3 * 29);               /* source 2's data: 2 hops */
    CU_ASSERT_EQUAL(l.pub, 2 * 29);
    CU_ASSERT_EQUAL(l.unsealed, 0);
    CU_ASSERT_EQUAL(l.clear, 0);
    CU_ASSERT_EQUAL(l.by_session[0], l.data + l.pub);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "msgs.rekey"), 0, 0);
    CU_ASSERT(met(t.w, NULL, "crypto.seal") >= 4 * 29);
    tw_free(&t);
}

/* pk_charge (pk.c, every baseline's CPU model): an SO's work costs its
 * smart-object profile, a source's the sensor profile (which differ in
 * the default profiles, so that a swap would show). */
static void test_charge_by_profile(void)
{
    tworld t;
    pk *b;
    sim_time so_cost, src_cost;

    CU_ASSERT_FATAL(nk_build(&t, "", 1, "1s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    b = sim_world_proto_state(t.w);        /* the pk comes first */
    so_cost = scn_profile_cost(&t.sc->profiles[SCN_DEV_SO], SCN_OP_SEAL, 64);
    src_cost = scn_profile_cost(&t.sc->profiles[SCN_DEV_SENSOR], SCN_OP_SEAL,
                                64);
    CU_ASSERT(so_cost != src_cost);
    for (uint32_t v = 0; v < 3; v++) {
        sim_time before = b->node[v].cpu_due;
        pk_charge(b, v, SCN_OP_SEAL, 64);
        CU_ASSERT_EQUAL(b->node[v].cpu_due - before,
                        v == 0 ? so_cost : src_cost);
        CU_ASSERT_EQUAL(b->node[v].so, pk_is_so(b, v));
    }
    tw_free(&t);
}

/* A byte flipped in one message's data part: refused at the SO, counted,
 * never delivered; the rest open. */
static void test_tampered_rejected(void)
{
    tworld t;
    flip f = {.nth = 5};

    CU_ASSERT_FATAL(nk_build(&t, "", 1, "20s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    sim_world_add_tap(t.w, flip_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(f.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "data.rejected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "data.at_so"),
                           met(t.w, NULL, "data.generated") - 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "data.opened"),
                           met(t.w, NULL, "data.generated") - 1, 0);
    tw_free(&t);
}

/* A recorded message sent again (in place of a later one) is authentic
 * but refused by the replay window; nothing else is lost. */
static void test_replay_refused(void)
{
    tworld t;
    replay *r = calloc(1, sizeof *r);

    CU_ASSERT_FATAL(r != NULL);
    r->src = 1;
    r->at = 4;
    CU_ASSERT_FATAL(nk_build(&t, "replay_window: true", 1, "20s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    sim_world_add_tap(t.w, replay_tap, r);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(r->replayed, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "data.replays"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "data.rejected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "data.opened"),
                           met(t.w, NULL, "data.generated") - 1, 0);
    tw_free(&t);
    free(r);
}

/* ---- replacement ---- */

/* First transmission time of the authority's REKEY to each node. */
typedef struct rk_times {
    sim_time first[8];
} rk_times;

static sim_tap_verdict rk_tap(void *ctx, sim_world *w, uint32_t link,
                              uint32_t from, uint32_t to, sim_pkt *p)
{
    rk_times *r = ctx;
    uint32_t dst = sim_pkt_dst(p);
    (void)link; (void)to;
    if (tw_is_ctl(p, NT_REKEY) && from == 0 && dst < 8 && !r->first[dst])
        r->first[dst] = sim_world_now(w);
    return SIM_TAP_PASS;
}

/* A round at 10 s with data every 20 ms: every node ends on version 1
 * with one value, the old one is wiped after previous_key_for, the
 * authority reaches the subscriber, then the other SO, then the sources;
 * data sealed under the old key while the round runs still open, and
 * none is lost. */
static void test_rekey_round(void)
{
    tworld t;
    wire_log l = {.after = 10 * SIM_S};
    rk_times r = {{0}};
    cry_key old;
    wipelog wl;

    CU_ASSERT_FATAL(nk_build(&t, "rekey_at: 10s, previous_key_for: 2s", 1,
                             "15s", ROLES5, LINKS5, "const(20ms)") == 0);
    sim_world_add_tap(t.w, wire_tap, &l);
    sim_world_add_tap(t.w, rk_tap, &r);
    sim_world_run(t.w, 10 * SIM_S + 5 * SIM_MS, 0);
    /* Mid-round: the authority holds both values, a source only K. */
    CU_ASSERT_EQUAL(netkey_version(t.w, 0), 1);
    CU_ASSERT(netkey_key_of(t.w, 0, 0) != 0);
    CU_ASSERT_EQUAL(netkey_version(t.w, 2), 0);
    old = netkey_key_of(t.w, 2, 0);
    CU_ASSERT(old != 0);
    wipelog_start(&wl);
    tw_run_all(&t);
    wipelog_stop();
    /* wiped by cry_key_free, whatever the slot holds now */
    CU_ASSERT(wipelog_has_key(&wl, baseline_keystore(t.w), old));
    CU_ASSERT_EQUAL(wl.nonzero, 0);
    assert_all_on(t.w, 5, 1);
    for (uint32_t v = 0; v < 5; v++)
        CU_ASSERT_EQUAL(netkey_key_of(t.w, v, 0), 0);     /* wiped */
    {
        /* Its slot reads as zeros: wiped (nothing allocated since). */
        const unsigned char *z =
            cry_key_peek_for_tests(baseline_keystore(t.w), old);
        unsigned char zero[CRY_KEY_BYTES] = {0};
        CU_ASSERT(memcmp(z, zero, sizeof zero) == 0);
    }
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 1);
    CU_ASSERT(met(t.w, NULL, "key.rekey") > 0);
    CU_ASSERT(met(t.w, NULL, "key.rekey") < 0.5);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "msgs.rekey"), 4, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "msgs.rekey_ack"), 4, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "rekey.rejected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "version"), 1, 0);
    /* Receivers first: subscriber, then the other SO, then sources. */
    CU_ASSERT(r.first[3] > 0);
    CU_ASSERT(r.first[3] < r.first[4]);
    CU_ASSERT(r.first[4] < r.first[1]);
    CU_ASSERT(r.first[4] < r.first[2]);
    /* Old-key data after the round began, new-key data after it. */
    CU_ASSERT(l.old_after > 0);
    CU_ASSERT(l.by_session[1] > 0);
    CU_ASSERT_EQUAL(l.unsealed, 0);
    assert_all_opened(t.w, "netkey");
    tw_free(&t);
}

/* Periodic rounds: every 5 s over 22 s, four rounds, version 4. */
static void test_rekey_every(void)
{
    tworld t;

    CU_ASSERT_FATAL(nk_build(&t, "rekey_every: 5s", 1, "22s", ROLES4,
                             LINKS4, "const(500ms)") == 0);
    tw_run_all(&t);
    assert_all_on(t.w, 4, 4);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 4);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "msgs.rekey"), 12, 0);
    assert_all_opened(t.w, "netkey");
    tw_free(&t);
}

/* The first REKEY to source 2 is lost: sent again (the same bytes) after
 * retransmit_after; the round completes. */
static void test_rekey_lost(void)
{
    tworld t;
    dropper d = {.type = NT_REKEY, .max = 1, .dst = 2};

    CU_ASSERT_FATAL(nk_build(&t, "rekey_at: 5s", 1, "15s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(d.dropped, 1);
    assert_all_on(t.w, 4, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "retransmissions"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "msgs.rekey"), 4, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 1);
    CU_ASSERT(met(t.w, NULL, "key.rekey") > 1.0);     /* waited for it */
    assert_all_opened(t.w, "netkey");
    tw_free(&t);
}

/* Source 1's ack is lost: the REKEY comes again, source 1 answers it
 * without installing anything twice (a duplicate), the round completes. */
static void test_rekey_ack_lost(void)
{
    tworld t;
    dropper d = {.type = NT_REKEY_ACK, .max = 1, .dst = SIM_NONE};
    cry_key k;

    CU_ASSERT_FATAL(nk_build(&t, "rekey_at: 5s", 1, "15s", "OSU",
                             "{a: 0, b: 1}, {a: 0, b: 2}",
                             "const(1s)") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    sim_world_run(t.w, 5 * SIM_S + 500 * SIM_MS, 0);
    k = netkey_key_of(t.w, 2, 1);           /* the subscriber's ack lost */
    CU_ASSERT(k != 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(d.dropped, 1);
    CU_ASSERT_EQUAL(netkey_key_of(t.w, 2, 1), k);   /* not replaced again */
    assert_all_on(t.w, 3, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "retransmissions"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "duplicates"), 1, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 1);
    assert_all_opened(t.w, "netkey");
    tw_free(&t);
}

/* A REKEY tampered on the way does not open: refused, the copy sent
 * again installs the key. */
typedef struct rk_flip {
    int done;
} rk_flip;

static sim_tap_verdict rk_flip_tap(void *ctx, sim_world *w, uint32_t link,
                                   uint32_t from, uint32_t to, sim_pkt *p)
{
    rk_flip *f = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (!f->done && tw_is_ctl(p, NT_REKEY) && sim_pkt_dst(p) == 1) {
        CU_ASSERT(sim_pkt_flags(p) & SIM_F_DATA_SEALED);
        sim_pkt_data(p)[sim_pkt_data_len(p) / 2] ^= 0x10;
        f->done = 1;
    }
    return SIM_TAP_PASS;
}

static void test_tampered_rekey(void)
{
    tworld t;
    rk_flip f = {0};

    CU_ASSERT_FATAL(nk_build(&t, "rekey_at: 5s", 1, "15s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    sim_world_add_tap(t.w, rk_flip_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(f.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "rekey.rejected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "retransmissions"), 1, 0);
    assert_all_on(t.w, 4, 1);
    assert_all_opened(t.w, "netkey");
    tw_free(&t);
}

/* ---- storage, capture, determinism ---- */

static void test_storage(void)
{
    tworld t;

    CU_ASSERT_FATAL(nk_build(&t, "", 1, "10s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    tw_run_all(&t);
    /* One network key per node: 1 key of key_value_bytes (8). */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"), 1, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "storage.keys_per_node"), 4);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.bytes_per_node"), 8, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.source.keys"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.so.keys"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "keys.stored"), 1, 0);
    tw_free(&t);
    /* While a replaced value is kept, it counts too: 2 keys, 32 bytes. */
    CU_ASSERT_FATAL(nk_build(&t, "key_value_bytes: 16, rekey_at: 8s, "
                             "previous_key_for: 60s", 1, "10s", ROLES4,
                             LINKS4, "const(1s)") == 0);
    tw_run_all(&t);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.bytes_per_node"), 32, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.source.end"), 32, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.source.keys"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "keys.stored"), 2, 0);
    tw_free(&t);
    /* ... and is gone previous_key_for after the replacement: 1 again. */
    CU_ASSERT_FATAL(nk_build(&t, "key_value_bytes: 16, rekey_at: 2s, "
                             "previous_key_for: 1s", 1, "10s", ROLES4,
                             LINKS4, "const(1s)") == 0);
    tw_run_all(&t);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.bytes_per_node"), 16, 0);
    tw_free(&t);
}

/* A captured node hands over the network key: the one every node uses. */
static void test_capture(void)
{
    tworld t;
    baseline_key k[4];

    CU_ASSERT_FATAL(nk_build(&t, "", 1, "5s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(netkey_capture(t.w, 2, k, 4), 1);
    CU_ASSERT_EQUAL(k[0].peer, BASELINE_NET);
    CU_ASSERT_EQUAL(k[0].version, 0);
    CU_ASSERT_EQUAL(k[0].previous, 0);
    CU_ASSERT(baseline_key_equal(t.w, k[0].handle, netkey_key_of(t.w, 0, 0)));
    CU_ASSERT_EQUAL(netkey_capture(t.w, 2, NULL, 0), 1);
    CU_ASSERT_EQUAL(pairwise_capture(t.w, 2, k, 4), 0);  /* not pairwise */
    tw_free(&t);
}

static void run_fp(uint64_t seed, unsigned char fp[32])
{
    tworld t;
    CU_ASSERT_FATAL(nk_build(&t, "rekey_every: 4s", seed, "15s", ROLES5,
                             LINKS5, "exp(300ms)") == 0);
    tw_fingerprint(&t, fp);
    tw_free(&t);
}

static void test_deterministic(void)
{
    unsigned char a[32], b[32], c[32];
    run_fp(7, a);
    run_fp(7, b);
    run_fp(8, c);
    CU_ASSERT(memcmp(a, b, 32) == 0);
    CU_ASSERT(memcmp(a, c, 32) != 0);
}

static void test_bad_options(void)
{
    void *o = NULL;
    char err[256];
    CU_ASSERT_EQUAL(sim_proto_parse_opts_buffer(&sim_proto_netkey, "t",
                                                "{key_id_bytes: 2}", &o, err,
                                                sizeof err), -1);
    CU_ASSERT(strstr(err, "key_id_bytes") != NULL);
    CU_ASSERT_EQUAL(sim_proto_parse_opts_buffer(&sim_proto_netkey, "t",
                                                "{retransmit_max: 17}", &o,
                                                err, sizeof err), -1);
    CU_ASSERT_EQUAL(sim_proto_parse_opts_buffer(&sim_proto_netkey, "t",
                                                "{rekey_at: [1s, 2s]}", &o,
                                                err, sizeof err), 0);
    sim_proto_free_opts(&sim_proto_netkey, o);
}


/* ---- the adversary ---- */

#define PS(t) sim_world_proto_state((t).w)

/* One capture hands over the key of every link: exposed fraction 1, the
 * clean links too.  A second capture adds nothing new. */
static void test_atk_capture_all(void)
{
    tworld t;
    atk_exposure x;
    atk_kb *kb = atk_kb_new(3, 5);

    CU_ASSERT_FATAL(nk_build(&t, "", 1, "10s", ROLES5, LINKS5,
                             "const(1s)") == 0);
    sim_world_run(t.w, 5 * SIM_S, 0);
    sim_atk_netkey.atk_exposure(t.w, PS(t), kb, &x);
    CU_ASSERT_EQUAL(x.links, 3);                 /* sources 1, 2, sub 3 */
    CU_ASSERT_EQUAL(x.exposed, 0);
    sim_atk_netkey.atk_capture(t.w, PS(t), 2, kb);
    atk_kb_mark_captured(kb, 2);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 1);
    CU_ASSERT_EQUAL(atk_kb_label(kb, 0), 0);     /* header key name */
    CU_ASSERT_EQUAL(atk_kb_aux(kb, 0), 0);       /* version */
    sim_atk_netkey.atk_exposure(t.w, PS(t), kb, &x);
    CU_ASSERT_EQUAL(x.links, 3);
    CU_ASSERT_EQUAL(x.exposed, 3);
    CU_ASSERT_EQUAL(x.links_clean, 2);
    CU_ASSERT_EQUAL(x.exposed_clean, 2);
    sim_atk_netkey.atk_capture(t.w, PS(t), 4, kb);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 1);
    tw_run_all(&t);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Capture of source 2 (or a leak of K) detected at 5 s: source 2 is
 * revoked and a round replaces K.  An attacker who does not listen holds
 * nothing current afterwards; one who reads the REKEYs opens them with
 * the compromised K and learns K' (atk_learn): everything stays exposed. */
static void react_mode(int leak, int listen)
{
    tworld t;
    eve e;
    atk_exposure x;
    atk_kb *kb = atk_kb_new(3, 5);

    CU_ASSERT_FATAL(nk_build(&t, "previous_key_for: 1s, capture_reaction: "
                             "true", 1, "20s", ROLES5, LINKS5,
                             "const(500ms)") == 0);
    sim_world_run(t.w, 5100 * SIM_MS, 0);
    if (leak) {
        CU_ASSERT_EQUAL(sim_atk_netkey.atk_leak(t.w, PS(t), kb, draw_first,
                                                NULL), 0);
        CU_ASSERT_EQUAL(sim_atk_netkey.atk_react(t.w, PS(t), ATK_REACT_LEAK,
                                                 0), 4);
    } else {
        sim_atk_netkey.atk_capture(t.w, PS(t), 2, kb);
        atk_kb_mark_captured(kb, 2);
        CU_ASSERT_EQUAL(sim_atk_netkey.atk_react(t.w, PS(t),
                                                 ATK_REACT_CAPTURE, 2), 3);
        /* The authority's capture has no reaction. */
        CU_ASSERT_EQUAL(sim_atk_netkey.atk_react(t.w, PS(t),
                                                 ATK_REACT_CAPTURE, 0), 0);
    }
    eve_init(&e, kb, listen, listen ? sim_world_now(t.w) : SIM_TIME_MAX);
    e.data_from = sim_world_now(t.w) + 3 * SIM_S;
    e.skip = 2;
    sim_world_add_tap(t.w, eve_tap, &e);
    tw_run_all(&t);

    for (uint32_t v = 0; v < 5; v++)
        CU_ASSERT_EQUAL(netkey_version(t.w, v), v == 2 && !leak ? 0 : 1);
    CU_ASSERT(e.data_seen >= 20);               /* source 1's */
    sim_atk_netkey.atk_exposure(t.w, PS(t), kb, &x);
    CU_ASSERT_EQUAL(x.links, leak ? 3 : 2);
    if (listen) {
        CU_ASSERT(e.ctl_read >= 3);              /* REKEYs under K */
        CU_ASSERT(atk_kb_count(kb) == 2);        /* K and K' */
        CU_ASSERT_EQUAL(e.data_read, e.data_seen);
        CU_ASSERT_EQUAL(x.exposed, x.links);
    } else {
        CU_ASSERT_EQUAL(e.data_read, 0);
        CU_ASSERT_EQUAL(x.exposed, 0);
    }
    if (!leak) { /* the revoked source's data, after previous_key_for */
        CU_ASSERT(met(t.w, "netkey", "data.rejected") >= 20);
    } else {
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "data.rejected"), 0, 0);
    }
    atk_kb_free(kb);
    tw_free(&t);
}

static void test_atk_react_capture(void) { react_mode(0, 0); }
static void test_atk_react_capture_listened(void) { react_mode(0, 1); }
static void test_atk_react_leak(void) { react_mode(1, 0); }
static void test_atk_react_leak_listened(void) { react_mode(1, 1); }

/* A reaction during a round waits for it, then runs its own. */
static void test_atk_react_queued(void)
{
    tworld t;
    atk_kb *kb = atk_kb_new(3, 5);

    CU_ASSERT_FATAL(nk_build(&t, "rekey_at: 5s, capture_reaction: true", 1,
                             "20s", ROLES5, LINKS5, "const(1s)") == 0);
    sim_world_run(t.w, 5 * SIM_S + 1, 0);
    sim_atk_netkey.atk_capture(t.w, PS(t), 2, kb);
    CU_ASSERT_EQUAL(sim_atk_netkey.atk_react(t.w, PS(t), ATK_REACT_CAPTURE, 2),
                    3);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(netkey_version(t.w, 0), 2);
    CU_ASSERT_EQUAL(netkey_version(t.w, 1), 2);
    CU_ASSERT(netkey_version(t.w, 2) < 2);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "netkey", "rekey.skipped"), 0, 0);
    atk_kb_free(kb);
    tw_free(&t);
}


/* Every control message dropped is refused: a REKEY under a made-up key,
 * an unknown type, a replayed REKEY (a repeat: answered, nothing
 * changes), a replayed ack. */
static void test_atk_refusals(void)
{
    tworld t;
    rk_rec r = {.type = NT_REKEY, .n = 0};
    cry_keystore *ks = cry_keystore_new(99);
    cry_key fake = cry_key_generate(ks, 1, 1, NULL);
    sim_pkt *p;
    int i;

    CU_ASSERT_FATAL(nk_build(&t, "rekey_at: 2s", 1, "10s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    sim_world_add_tap(t.w, rk_rec_fn, &r);
    sim_world_run(t.w, 5 * SIM_S, 0);
    CU_ASSERT_FATAL(r.n >= 1);
    CU_ASSERT_EQUAL(netkey_version(t.w, 1), 1);
    p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 999, 1, 1 + 36);
    sim_pkt_ctl(p)[0] = NT_REKEY;
    sim_pkt_data(p)[0] = NT_REKEY;
    sim_put32(sim_pkt_data(p) + 1, 2);
    sim_pkt_set_key(p, 0, 2);
    CU_ASSERT_FATAL(sim_pkt_seal_data(p, ks, fake, NULL) == 0);
    CU_ASSERT(tw_refused(t.w, 1, p));
    p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 999, 1, 1);
    sim_pkt_ctl(p)[0] = 9;
    sim_pkt_data(p)[0] = 9;
    CU_ASSERT(tw_refused(t.w, 1, p));
    for (i = 0; i < r.n && sim_pkt_dst(r.p[i]) != 1; i++)
        ;
    CU_ASSERT_FATAL(i < r.n);
    CU_ASSERT(tw_refused(t.w, 1, sim_pkt_clone(t.w, r.p[i])));
    CU_ASSERT_EQUAL(met(t.w, "netkey", "duplicates"), 1);
    CU_ASSERT_EQUAL(netkey_version(t.w, 1), 1);
    tw_run_all(&t);
    for (i = 0; i < r.n; i++)
        sim_pkt_free(t.w, r.p[i]);
    cry_keystore_free(ks);
    tw_free(&t);
}

/* atk_learn on any bytes: a key only from a well-formed REKEY. */
static void test_atk_garbage(void)
{
    tworld t;
    atk_kb *kb = atk_kb_new(3, 4);
    unsigned char buf[200];
    uint64_t st = 12345;
    size_t valid = 0;
    sim_pkt *ctl, *data;

    CU_ASSERT_FATAL(nk_build(&t, "", 1, "2s", ROLES4, LINKS4,
                             "const(1s)") == 0);
    ctl = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 1, 1, 8);
    data = sim_pkt_new(t.w, SIM_PKT_DATA, 1, 0, 1, 0, 8);
    sim_atk_netkey.atk_learn(t.w, PS(t), kb, ctl, 1, NULL, 0);
    for (int it = 0; it < 20000; it++) {
        size_t len;
        garbage(&st, buf, sizeof buf);
        len = it % 3 == 0 ? 37 : buf[1] % sizeof buf;
        if (it % 2 == 0)
            buf[0] = NT_REKEY;
        if (it % 7 && it % 4 && buf[0] == NT_REKEY && len == 37)
            valid++;
        sim_atk_netkey.atk_learn(t.w, PS(t), kb, it % 7 ? ctl : data,
                                 it % 4 ? 1 : 0, buf, len);
    }
    CU_ASSERT(valid > 1000);
    CU_ASSERT_EQUAL(atk_kb_count(kb), valid);
    sim_pkt_free(t.w, ctl);
    sim_pkt_free(t.w, data);
    tw_run_all(&t);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Key hygiene: the world freed at the end of a run wipes every key
 * store, the protocol's and the attackers' (baseline_tw.h); the reaction
 * to the capture replaces the network key and wipes the old value. */
static void test_wipe_on_world_free(void)
{
    bl_check_wipe_on_world_free("netkey", ROLES4, LINKS4);
}

/* per_hop_mac (kmsim extension, pk.h): off, relays do no AEAD operation
 * on the data they relay and a tampered header is refused at the SO; on,
 * each relay verifies and re-MACs the header and refuses a tampered one
 * (bl_hop_check). */
static void test_per_hop_mac(void)
{
    bl_hop_check("netkey", "", "netkey");
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("netkey", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_preloaded_key);
    CUTEST_ADD(s, test_per_hop_mac);
    CUTEST_ADD(s, test_tampered_rejected);
    CUTEST_ADD(s, test_replay_refused);
    CUTEST_ADD(s, test_rekey_round);
    CUTEST_ADD(s, test_wipe_on_world_free);
    CUTEST_ADD(s, test_rekey_every);
    CUTEST_ADD(s, test_rekey_lost);
    CUTEST_ADD(s, test_rekey_ack_lost);
    CUTEST_ADD(s, test_tampered_rekey);
    CUTEST_ADD(s, test_storage);
    CUTEST_ADD(s, test_capture);
    CUTEST_ADD(s, test_deterministic);
    CUTEST_ADD(s, test_bad_options);
    CUTEST_ADD(s, test_atk_capture_all);
    CUTEST_ADD(s, test_atk_react_capture);
    CUTEST_ADD(s, test_atk_react_capture_listened);
    CUTEST_ADD(s, test_atk_react_leak);
    CUTEST_ADD(s, test_atk_react_leak_listened);
    CUTEST_ADD(s, test_atk_react_queued);
    CUTEST_ADD(s, test_atk_refusals);
    CUTEST_ADD(s, test_atk_garbage);
    CUTEST_ADD(s, test_charge_by_profile);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
