/* test_dipietro.c — the Di Pietro et al. (KeEs) protocol (sim/proto/
 * dipietro.c) in tiny explicit worlds: both ends derive the same keys over
 * a thousand sessions and they equal H^i(S1) XOR G^i(S2); H and G differ;
 * a message of the previous session opens once and an older one never;
 * seeds in clear give every key away, sealed seeds do not; the central and
 * distributed synchronisations; forged updates; losses; moves; storage;
 * publishes to a subscriber; determinism.  State is read through
 * proto/dipietro.h, packets through taps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "tworld.h"
#include "cry.h"
#include "cry_key.h"
#include "wire.h"
#include "proto/dipietro.h"

/* Message types of dipietro.c (its private enum). */
enum { MT_SEEDS = 1, MT_SEEDS_ACK, MT_UPDATE, MT_UPDATE_ACK, MT_JOIN,
       MT_JOIN_ACK };
#define GNAME(g) ((uint64_t)0x10 << 56 | (g))

static const char *const TRAFFIC = "interval: 'const(5s)', size: 32B";

/* ------------------------------------------------------------------------
 * Taps
 * ---------------------------------------------------------------------- */

/* Records the first SEEDS message to `node`: its flags and data part. */
typedef struct seeds_tap {
    uint32_t node;
    int seen;
    uint8_t flags;
    unsigned char data[128];
    uint32_t len;
} seeds_tap;

static sim_tap_verdict seeds_fn(void *ctx, sim_world *w, uint32_t link,
                                uint32_t from, uint32_t to, sim_pkt *p)
{
    seeds_tap *s = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (!s->seen && tw_is_ctl(p, MT_SEEDS) && sim_pkt_dst(p) == s->node &&
        sim_pkt_data_len(p) <= sizeof s->data) {
        s->seen = 1;
        s->flags = sim_pkt_flags(p);
        s->len = sim_pkt_data_len(p);
        memcpy(s->data, sim_pkt_data(p), s->len);
    }
    return SIM_TAP_PASS;
}

/* Counts updateSession commands, and those sent by a source. */
typedef struct upd_tap {
    const sim_topo *t;
    int updates, from_sources;
    int between_sources;     /* control messages from a source to a source */
} upd_tap;

static sim_tap_verdict upd_fn(void *ctx, sim_world *w, uint32_t link,
                              uint32_t from, uint32_t to, sim_pkt *p)
{
    upd_tap *u = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (sim_pkt_type_of(p) == SIM_PKT_CONTROL &&
        u->t->nodes[sim_pkt_src(p)].role == SCN_ROLE_SOURCE &&
        u->t->nodes[sim_pkt_dst(p)].role == SCN_ROLE_SOURCE)
        u->between_sources++;
    if (tw_is_ctl(p, MT_UPDATE) && sim_pkt_hops(p) == 0) {
        u->updates++;
        if (u->t->nodes[sim_pkt_src(p)].role == SCN_ROLE_SOURCE)
            u->from_sources++;
    }
    return SIM_TAP_PASS;
}

/* Takes the source's data messages sent in [from, until) off the link
 * (the SO never sees them) and keeps copies, up to 4. */
typedef struct grab_tap {
    sim_time from, until;
    sim_pkt *kept[4];
    int n;
} grab_tap;

static sim_tap_verdict grab_fn(void *ctx, sim_world *w, uint32_t link,
                               uint32_t from, uint32_t to, sim_pkt *p)
{
    grab_tap *g = ctx;
    sim_time now = sim_world_now(w);
    (void)link; (void)from; (void)to;
    if (sim_pkt_type_of(p) != SIM_PKT_DATA || now < g->from ||
        now >= g->until || g->n >= 4)
        return SIM_TAP_PASS;
    g->kept[g->n++] = sim_pkt_clone(w, p);
    return SIM_TAP_DROP;
}

/* ------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------- */

/* The chains advance at every update: after 1000 rounds the source and
 * its SO hold the same key, and it is H^1001(S1) XOR G^1001(S2) computed
 * from the seeds seen in clear at registration (session 1 is
 * Algorithm 2's initialisation, each round one more). */
static void test_thousand_sessions(void)
{
    tworld t;
    seeds_tap st = {.node = 1};
    unsigned char k[32], want[32];
    uint32_t s0, s1;

    CU_ASSERT_FATAL(tw_build(&t, 1, "101s",
                             "name: dipietro, rekey_every: 100ms", "OS",
                             "{a: 0, b: 1}", TRAFFIC, NULL) == 0);
    sim_world_add_tap(t.w, seeds_fn, &st);
    for (int step = 1; step <= 10; step++) {
        /* Between rounds (every 100 ms, each over in a few ms). */
        sim_world_run(t.w, step * 10 * SIM_S + 50 * SIM_MS, 0);
        s0 = dipietro_session(t.w, 0, 0);
        s1 = dipietro_session(t.w, 1, 0);
        CU_ASSERT_EQUAL(s0, s1);
        CU_ASSERT(dipietro_same_key(t.w, 0, 1, 0));
    }
    CU_ASSERT_FATAL(st.seen);
    CU_ASSERT_EQUAL(st.flags & SIM_F_DATA_SEALED, 0);   /* in clear */
    CU_ASSERT_EQUAL_FATAL(st.len, 1 + 8 + 64);           /* q = 256 */
    CU_ASSERT_EQUAL(sim_get32(st.data + 5), 1);         /* session 1 */
    s1 = dipietro_session(t.w, 1, 0);
    CU_ASSERT(s1 >= 1001);
    CU_ASSERT_EQUAL(dipietro_export(t.w, 1, 0, 0, k), 32);
    dipietro_chain_key(want, st.data + 9, st.data + 9 + 32, 32, s1);
    CU_ASSERT(cry_equal(k, want, 32));
    /* The previous key is k_{i-1}. */
    CU_ASSERT_EQUAL(dipietro_export(t.w, 1, 0, 1, k), 32);
    dipietro_chain_key(want, st.data + 9, st.data + 9 + 32, 32, s1 - 1);
    CU_ASSERT(cry_equal(k, want, 32));
    /* Not the slip of the seed's pseudocode (H(S1) XOR G(S2) again). */
    dipietro_chain_key(want, st.data + 9, st.data + 9 + 32, 32, 1);
    CU_ASSERT_FALSE(cry_equal(k, want, 32));
    sodium_memzero(k, sizeof k);
    tw_run_all(&t);
    CU_ASSERT(tw_met(t.w, "dipietro.rounds") >= 1000);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.rejected"), 0, 0);
    /* 2 hashes + 1 XOR per session at each end (Algorithm 2's
     * initialisation, then Algorithm 3 at every update), nothing else
     * hashed or XORed; the source opens one command per update. */
    CU_ASSERT(tw_met_n(t.w, "dipietro.update.cpu") >= 1000);
    s1 = dipietro_session(t.w, 1, 0);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 0, 0), s1);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "crypto.hash"), 4.0 * s1, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "crypto.xor"), 2.0 * s1, 0);
    tw_free(&t);
}

/* H and G are two different one-way functions: they never agree, and the
 * key of equal seeds is not zero (with H = G it would be). */
static void test_h_differs_from_g(void)
{
    unsigned char x[32], h[32], g[32], k[32], zero[32] = {0};

    for (int i = 0; i < 100; i++) {
        memset(x, 0, sizeof x);
        x[0] = (unsigned char)i;
        x[1] = (unsigned char)(i * 7);
        cry_H(h, x, sizeof x, NULL);
        cry_G(g, x, sizeof x, NULL);
        CU_ASSERT_FALSE(cry_equal(h, g, 32));
        dipietro_chain_key(k, x, x, 8, 1 + (uint32_t)(i % 5));
        CU_ASSERT_FALSE(cry_equal(k, zero, 8));
    }
}

/* A data message sealed in session 1 and held back opens once in session
 * 2 (with the previous key), its replay is refused, and another session-1
 * message is refused in session 3. */
static void test_previous_session_once(void)
{
    tworld t;
    grab_tap g = {.from = 10 * SIM_S, .until = 20 * SIM_S};
    double at_so, prev;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "name: dipietro, rekey_at: [20s, 40s]", "OS",
                             "{a: 0, b: 1}", TRAFFIC, NULL) == 0);
    sim_world_add_tap(t.w, grab_fn, &g);
    /* Between data messages (every 5 s): nothing else in flight. */
    sim_world_run(t.w, 25500 * SIM_MS, 0);
    CU_ASSERT_FATAL(g.n >= 2);
    CU_ASSERT_EQUAL(sim_pkt_session(g.kept[0]), 1);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 0, 0), 2);
    at_so = tw_met(t.w, "data.at_so");
    prev = tw_met(t.w, "dipietro.data.previous_session");

    sim_world_send(t.w, 1, sim_pkt_clone(t.w, g.kept[0]));
    sim_world_run(t.w, 26500 * SIM_MS, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.previous_session"),
                           prev + 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "data.at_so"), at_so + 1, 0);

    sim_world_send(t.w, 1, sim_pkt_clone(t.w, g.kept[0]));  /* replay */
    sim_world_run(t.w, 27500 * SIM_MS, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.replayed"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "data.at_so"), at_so + 1, 0);

    sim_world_run(t.w, 45500 * SIM_MS, 0);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 0, 0), 3);
    at_so = tw_met(t.w, "data.at_so");
    sim_world_send(t.w, 1, g.kept[1]);           /* two sessions old */
    g.kept[1] = NULL;
    sim_world_run(t.w, 46500 * SIM_MS, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.stale"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "data.at_so"), at_so, 0);
    tw_run_all(&t);
    for (int i = 0; i < g.n; i++)
        sim_pkt_free(t.w, g.kept[i]);
    tw_free(&t);
}

/* Seeds in clear (as published): whoever sees the registration computes
 * the session key.  Sealed under the device key: the same seeds never
 * cross the link in clear, and the source still gets the key. */
static void seeds_mode(int sealed)
{
    tworld t;
    seeds_tap st = {.node = 1};
    unsigned char k[32], want[32];

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             sealed ? "name: dipietro, q: 64, seeds: sealed"
                                    : "name: dipietro, q: 64",
                             "OS", "{a: 0, b: 1}", TRAFFIC, NULL) == 0);
    sim_world_add_tap(t.w, seeds_fn, &st);
    tw_run_all(&t);
    CU_ASSERT_FATAL(st.seen);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 1, 0), 1);
    CU_ASSERT(dipietro_same_key(t.w, 0, 1, 0));
    CU_ASSERT_EQUAL(dipietro_export(t.w, 1, 0, 0, k), 8);
    if (!sealed) {
        CU_ASSERT_EQUAL(st.flags & SIM_F_DATA_SEALED, 0);
        CU_ASSERT_EQUAL(st.len, 1 + 8 + 16);
        dipietro_chain_key(want, st.data + 9, st.data + 17, 8, 1);
        CU_ASSERT(cry_equal(k, want, 8));
    } else {
        CU_ASSERT(st.flags & SIM_F_DATA_SEALED);
        CU_ASSERT_EQUAL(st.len, 1 + 8 + 16 + CRY_TAG_BYTES);
        dipietro_chain_key(want, st.data + 9, st.data + 17, 8, 1);
        CU_ASSERT_FALSE(cry_equal(k, want, 8));
    }
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.opened"),
                           tw_met(t.w, "data.generated"), 0);
    sodium_memzero(k, sizeof k);
    tw_free(&t);
}

static void test_seeds_clear(void) { seeds_mode(0); }
static void test_seeds_sealed(void) { seeds_mode(1); }

/* SO 0 - S1 - S2 - SO 3.  Distributed: each SO has its own seeds, so S1
 * and S2 hold different keys.  Central: SO 0 enrols SO 3 and, through
 * JOIN, S2; one key everywhere, replaced everywhere. */
static void sync_mode(int central)
{
    tworld t;
    unsigned char k1[32], k2[32];
    upd_tap u;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             central ? "name: dipietro, sync: central, "
                                       "rekey_every: 20s"
                                     : "name: dipietro, rekey_every: 20s",
                             "OSSO", "{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}",
                             TRAFFIC, NULL) == 0);
    u.t = sim_world_topo(t.w);
    u.updates = u.from_sources = u.between_sources = 0;
    sim_world_add_tap(t.w, upd_fn, &u);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(sim_world_home_so(t.w, 2), 3);
    if (central) {
        CU_ASSERT_EQUAL(dipietro_group_of(t.w, 3), 0);
        CU_ASSERT(dipietro_session(t.w, 3, 0) >= 3);
        CU_ASSERT(dipietro_same_key(t.w, 0, 3, 0));
        CU_ASSERT(dipietro_same_key(t.w, 1, 2, 0));
        CU_ASSERT(tw_met(t.w, "dipietro.msgs.join") >= 1);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.rounds"), 2, 0);
    } else {
        CU_ASSERT_EQUAL(dipietro_group_of(t.w, 3), 1);
        CU_ASSERT(dipietro_same_key(t.w, 0, 1, 0));
        CU_ASSERT(dipietro_same_key(t.w, 3, 2, 1));
        CU_ASSERT_EQUAL(dipietro_export(t.w, 1, 0, 0, k1), 32);
        CU_ASSERT_EQUAL(dipietro_export(t.w, 2, 1, 0, k2), 32);
        CU_ASSERT_FALSE(cry_equal(k1, k2, 32));
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.msgs.join"), 0, 0);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.rounds"), 4, 0);
    }
    /* Only SOs start re-keying. */
    CU_ASSERT(u.updates > 0);
    CU_ASSERT_EQUAL(u.from_sources, 0);
    CU_ASSERT_EQUAL(u.between_sources, 0);   /* T0(s) = 0 */
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"),
                    (uint64_t)tw_met(t.w, "dipietro.rounds"));
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.opened") +
                           tw_met(t.w, "dipietro.data.previous_session"),
                           tw_met(t.w, "data.generated"), 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "net.rejected"), 0, 0);
    tw_free(&t);
}

static void test_sync_distributed(void) { sync_mode(0); }
static void test_sync_central(void) { sync_mode(1); }

/* An updateSession sealed under a made-up key, and one in clear, are
 * refused: the session does not move. */
static void test_forged_update(void)
{
    tworld t;
    cry_keystore *ks = cry_keystore_new(99);
    cry_key fake = cry_key_generate(ks, 1, 1, NULL);

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "name: dipietro", "OS",
                             "{a: 0, b: 1}", TRAFFIC, NULL) == 0);
    sim_world_run(t.w, 10 * SIM_S, 0);
    CU_ASSERT_EQUAL_FATAL(dipietro_session(t.w, 1, 0), 1);
    for (int sealed = 0; sealed < 2; sealed++) {
        sim_pkt *p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 999, 1, 9);
        sim_pkt_ctl(p)[0] = MT_UPDATE;
        sim_pkt_data(p)[0] = MT_UPDATE;
        sim_put32(sim_pkt_data(p) + 1, 0);
        sim_put32(sim_pkt_data(p) + 5, 2);
        sim_pkt_set_key(p, GNAME(0), 1);
        if (sealed)
            CU_ASSERT_FATAL(sim_pkt_seal_data(p, ks, fake, NULL) == 0);
        sim_world_send(t.w, 0, p);
    }
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 1, 0), 1);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.rejected"), 2, 0);
    CU_ASSERT(dipietro_same_key(t.w, 0, 1, 0));
    cry_keystore_free(ks);
    tw_free(&t);
}

/* 20% loss on every link of a star of four sources: retransmissions and
 * re-enrolments bring every source to the SO's session and key. */
static void test_losses(void)
{
    tworld t;
    char yaml[2048];

    snprintf(yaml, sizeof yaml,
        "name: loss\nseed: 1\nduration: 120s\n"
        "protocol: {name: dipietro, rekey_every: 10s}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps, loss: 0.2}\n"
        "  nodes: [{id: 0, role: smart_object}, {id: 1, role: source},"
        " {id: 2, role: source}, {id: 3, role: source},"
        " {id: 4, role: source}]\n"
        "  links: [{a: 0, b: 1}, {a: 0, b: 2}, {a: 0, b: 3}, {a: 0, b: 4}]\n"
        "traffic: {interval: 'const(5s)', size: 32B, "
        "register_retry: 1s}\n"
        "smart_object: {service: 'exp(10ms)'}\n");
    CU_ASSERT_FATAL(tw_new(&t, yaml, 3) == 0);
    sim_world_run(t.w, 120 * SIM_S + 20 * SIM_S, 0);
    sim_world_finish(t.w);
    CU_ASSERT(tw_met(t.w, "link.lost") > 0);
    CU_ASSERT(tw_met(t.w, "dipietro.retransmissions") > 0);
    for (uint32_t s = 1; s <= 4; s++) {
        CU_ASSERT_EQUAL(dipietro_session(t.w, s, 0),
                        dipietro_session(t.w, 0, 0));
        CU_ASSERT(dipietro_same_key(t.w, 0, s, 0));
    }
    CU_ASSERT(tw_met_n(t.w, "key.rekey") >= 10);
    tw_free(&t);
}

/* Distributed: a source that moves from SO 0 to SO 2 is enrolled in SO
 * 2's group; its data open there. */
static void test_move(void)
{
    tworld t;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "name: dipietro, rekey_every: 15s", "OSO",
                             "{a: 0, b: 1}, {a: 1, b: 2}", TRAFFIC,
                             "moves: [{node: 1, at: 20s, to: 2}]\n") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(sim_world_home_so(t.w, 1), 2);
    CU_ASSERT(dipietro_session(t.w, 1, 1) >= 1);
    CU_ASSERT(dipietro_same_key(t.w, 1, 2, 1));
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.enrolled"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "data.at_so"),
                           tw_met(t.w, "data.generated"), 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "net.rejected"), 0, 0);
    tw_free(&t);
}

/* Seed 001 §5.1: with q = 64 a source stores 2 seeds and 2 keys of 8
 * bytes (32 B), independently of the number of sources; the SO 48 B. */
static void test_storage(void)
{
    for (int n = 2; n <= 4; n++) {
        tworld t;
        char roles[8] = "O", links[256] = "";
        for (int i = 1; i <= n; i++) {
            size_t l = strlen(links);
            roles[i] = 'S';
            snprintf(links + l, sizeof links - l, "%s{a: 0, b: %d}",
                     i > 1 ? ", " : "", i);
        }
        roles[n + 1] = '\0';
        CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                                 "name: dipietro, q: 64, rekey_at: 20s",
                                 roles, links, TRAFFIC, NULL) == 0);
        tw_run_all(&t);
        CU_ASSERT_EQUAL(tw_met_n(t.w, "dipietro.storage.source"),
                        (uint64_t)n);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.storage.source"), 32,
                               0);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.storage.so"), 48, 0);
        tw_free(&t);
    }
}

/* Publishes to a subscriber wait for its enrolment and open there, also
 * across replacements. */
static void test_publish(void)
{
    tworld t;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "name: dipietro, rekey_every: 10s", "OSU",
                             "{a: 0, b: 1}, {a: 0, b: 2}", TRAFFIC,
                             "subscribers: {filters: ['#']}\n") == 0);
    tw_run_all(&t);
    CU_ASSERT(tw_met(t.w, "data.published") > 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "data.delivered"),
                           tw_met(t.w, "data.published"), 0);
    CU_ASSERT(dipietro_same_key(t.w, 0, 2, 0));
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.publish.opened") +
                           tw_met(t.w, "dipietro.data.previous_session"),
                           tw_met(t.w, "data.delivered") +
                           tw_met(t.w, "data.at_so") -
                           tw_met(t.w, "dipietro.data.opened"), 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.rejected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "net.rejected"), 0, 0);
    tw_free(&t);
}

/* Same scenario and seed: same events, same ciphertexts. */
static void test_deterministic(void)
{
    unsigned char fp[2][32];

    for (int i = 0; i < 2; i++) {
        tworld t;
        CU_ASSERT_FATAL(tw_build(&t, 7, "60s",
                                 "name: dipietro, rekey_every: 10s", "OSSU",
                                 "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 3}",
                                 "interval: 'exp(3s)', size: 32B",
                                 "subscribers: {filters: ['#']}\n") == 0);
        tw_run_all(&t);
        sim_world_fingerprint(t.w, fp[i]);
        tw_free(&t);
    }
    CU_ASSERT_EQUAL(memcmp(fp[0], fp[1], 32), 0);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("dipietro", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_thousand_sessions);
    CUTEST_ADD(s, test_h_differs_from_g);
    CUTEST_ADD(s, test_previous_session_once);
    CUTEST_ADD(s, test_seeds_clear);
    CUTEST_ADD(s, test_seeds_sealed);
    CUTEST_ADD(s, test_sync_distributed);
    CUTEST_ADD(s, test_sync_central);
    CUTEST_ADD(s, test_forged_update);
    CUTEST_ADD(s, test_losses);
    CUTEST_ADD(s, test_move);
    CUTEST_ADD(s, test_storage);
    CUTEST_ADD(s, test_publish);
    CUTEST_ADD(s, test_deterministic);
    return 0;
}

CUTEST_MAIN(register_tests)
