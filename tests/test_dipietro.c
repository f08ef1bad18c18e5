/* test_dipietro.c — the Di Pietro et al. (KeEs) protocol (sim/proto/
 * dipietro.c) in tiny explicit worlds: both ends derive the same keys over
 * a thousand sessions and they equal H^i(S1) XOR G^i(S2); H and G differ;
 * a message of the previous session opens once and an older one never;
 * seeds in clear give every key away, sealed seeds do not; the central and
 * distributed synchronisations; forged updates; losses; moves; storage;
 * publishes to a subscriber; determinism.  The attacker hooks: seed
 * sniffing breaks every later session with clear seeds and nothing with
 * sealed ones; a capture exposes the whole group and, through the chain
 * positions, its later sessions; the re-seeding that answers it makes the
 * captured material useless (unless the eavesdropper also reads clear
 * re-seeding); a leak is cured by one update; refusals; garbage.  State
 * is read through proto/dipietro.h, packets through taps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tworld.h"
#include "baseline_tw.h"
#include "cry.h"
#include "cry_key.h"
#include "wire.h"
#include "dipietro.h"
#include "pk.h"
#include "wipelog.h"
#include "proto.h"

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
    cry_wipe(k, sizeof k);
    tw_run_all(&t);
    CU_ASSERT(tw_met(t.w, "dipietro.rounds") >= 1000);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.rejected"), 0, 0);
    /* 2 hashes + 1 XOR per session at each end (Algorithm 2's
     * initialisation, then Algorithm 3 at every update), nothing else
     * hashed or XORed; the source opens one command per update. */
    CU_ASSERT(tw_met_n(t.w, "dipietro.update.cpu") >= 1000);
    /* T(s, z) of each round: the owner's sequential part, the member's
     * part and the rest (T0) add up to the round (one member: its part
     * is the last one's). */
    CU_ASSERT_EQUAL(tw_met_n(t.w, "dipietro.round.comm"),
                    tw_met_n(t.w, "key.rekey"));
    CU_ASSERT(tw_met(t.w, "dipietro.round.comm") > 0);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.round.seq") +
                               tw_met(t.w, "dipietro.update.cpu") +
                               tw_met(t.w, "dipietro.round.comm"),
                           tw_met(t.w, "key.rekey"), 1e-9);
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
                             "name: dipietro, rekey_at: [20s, 40s], "
                             "replay_window: true", "OS",
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
    cry_wipe(k, sizeof k);
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
        /* Keys: a source 4 (a_i, b_i, k_i, k_{i-1}), the SO 6 (also
         * a_{i-1}, b_{i-1}); bytes the same values of q / 8 = 8 B. */
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.source.keys"), 4, 0);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.so.keys"), 6, 0);
        CU_ASSERT_EQUAL(tw_met_n(t.w, "storage.keys_per_node"),
                        (uint64_t)n + 1);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.keys_per_node"),
                               (4.0 * n + 6) / (n + 1), 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.bytes_per_node"),
                               (32.0 * n + 48) / (n + 1), 1e-12);
        tw_free(&t);
    }
    /* Before the first update (no re-key): k_0 was never a key, so a
     * source holds a_1, b_1, k_1 (3) and the SO also S1, S2 (5), with
     * q = 128: 16 B each. */
    {
        tworld t;
        CU_ASSERT_FATAL(tw_build(&t, 1, "15s", "name: dipietro, q: 128",
                                 "OSS", "{a: 0, b: 1}, {a: 0, b: 2}",
                                 TRAFFIC, NULL) == 0);
        tw_run_all(&t);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.source.keys"), 3, 0);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.so.keys"), 5, 0);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.source.end"), 48, 0);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "storage.bytes_per_node"),
                               16 * 11 / 3.0, 1e-12);
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
/* Key hygiene (wipelog.h).  SO(0) - S(1), a round every 10 s: session 1
 * from registration, 2 at 10 s, 3 at 20 s.  Session 1's key is kept as
 * the previous one during session 2 and wiped at both ends when session 3
 * begins; the chain positions a_1, b_1 are wiped as soon as the chains
 * advance (10 s).  Freeing the world wipes the store's regions. */
static void test_wipe_on_new_session(void)
{
    tworld t;
    wipelog l;
    const cry_keystore *ks;
    cry_key k_s, k_so, a_s, b_s;

    CU_ASSERT_FATAL(tw_build(&t, 1, "28s",
                             "name: dipietro, rekey_every: 10s", "OS",
                             "{a: 0, b: 1}", TRAFFIC, NULL) == 0);
    ks = dipietro_keystore(t.w);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    sim_world_run(t.w, 5 * SIM_S, 0);
    CU_ASSERT_EQUAL_FATAL(dipietro_session(t.w, 1, 0), 1);
    k_s = dipietro_key(t.w, 1, 0, 0);
    k_so = dipietro_key(t.w, 0, 0, 0);
    a_s = dipietro_key(t.w, 1, 0, 2);
    b_s = dipietro_key(t.w, 1, 0, 3);
    CU_ASSERT_FATAL(k_s && k_so && a_s && b_s);
    CU_ASSERT(dipietro_same_key(t.w, 0, 1, 0));
    wipelog_start(&l);
    sim_world_run(t.w, 15 * SIM_S, 0);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 1, 0), 2);
    CU_ASSERT_EQUAL(dipietro_key(t.w, 1, 0, 1), k_s);  /* the previous */
    CU_ASSERT_FALSE(wipelog_has_key(&l, ks, k_s));
    CU_ASSERT(wipelog_has_key(&l, ks, a_s));
    CU_ASSERT(wipelog_has_key(&l, ks, b_s));
    sim_world_run(t.w, 25 * SIM_S, 0);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 1, 0), 3);
    CU_ASSERT(dipietro_key(t.w, 1, 0, 1) != k_s);
    CU_ASSERT(wipelog_has_key(&l, ks, k_s));
    CU_ASSERT(wipelog_has_key(&l, ks, k_so));
    CU_ASSERT_EQUAL(l.nonzero, 0);
    tw_run_all(&t);
    CU_ASSERT(cry_keystore_live(ks) > 0);
    l.n_regions = 0;
    tw_free(&t);
    wipelog_stop();
    CU_ASSERT(wipelog_has_store(&l, ks));
    CU_ASSERT(l.n_regions >= 1);
    CU_ASSERT_EQUAL(l.nonzero, 0);
}

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


/* ------------------------------------------------------------------------
 * The adversary
 * ---------------------------------------------------------------------- */

#define STAR3 "{a: 0, b: 1}, {a: 0, b: 2}, {a: 0, b: 3}"
static const char *const TRAFFIC1 = "interval: 'const(1s)', size: 32B";

/* Seed sniffing: an eavesdropper of every link hands the SEEDS it reads
 * to atk_learn.  Clear seeds: atk_derive then gives the key of every later
 * session and every data message opens (sim_pkt_open_data under the
 * attacker's own keys), over 5+ sessions, at the attacker's cost of 2
 * hashes per session and pair.  Sealed seeds: nothing learned, nothing
 * read. */
static void sniff_mode(int sealed)
{
    tworld t;
    eve e;
    atk_kb *kb = atk_kb_new(5, 4);

    CU_ASSERT_FATAL(kb != NULL);
    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             sealed ? "name: dipietro, q: 64, seeds: sealed, "
                                      "rekey_every: 5s"
                                    : "name: dipietro, q: 64, rekey_every: 5s",
                             "OSSS", STAR3, TRAFFIC1, NULL) == 0);
    eve_init(&e, kb, 1, 0);
    sim_world_add_tap(t.w, eve_tap, &e);
    tw_run_all(&t);
    CU_ASSERT(e.data_seen >= 90);
    CU_ASSERT(eve_popcount(e.sessions_seen) >= 7);
    if (!sealed) {
        CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 2);
        CU_ASSERT_EQUAL(e.data_read, e.data_seen);
        CU_ASSERT_EQUAL(e.sessions_read, e.sessions_seen);
        CU_ASSERT(eve_popcount(e.sessions_read) >= 5);
        CU_ASSERT(atk_kb_count_kind(kb, ATK_KEY) >= 7);
        CU_ASSERT(atk_kb_ops(kb)->n[CRY_OP_HASH] > 0);
    } else {
        CU_ASSERT_EQUAL(atk_kb_count(kb), 0);
        CU_ASSERT_EQUAL(e.ctl_read, 0);
        CU_ASSERT_EQUAL(e.data_read, 0);
    }
    /* The protocol itself is untouched by the eavesdropper. */
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.opened") +
                           tw_met(t.w, "dipietro.data.previous_session"),
                           tw_met(t.w, "data.generated"), 0);
    atk_kb_free(kb);
    tw_free(&t);
}

static void test_atk_sniff_clear(void) { sniff_mode(0); }
static void test_atk_sniff_sealed(void) { sniff_mode(1); }

/* Capture of one source: the group's current and previous keys, its
 * chain positions and its device key.  Every member's link with the SO is
 * exposed (the clean ones too: one group key), and the chain positions
 * give every later session's key: all data of the other sources read. */
static void test_atk_capture_group(void)
{
    tworld t;
    eve e;
    atk_exposure x;
    atk_kb *kb = atk_kb_new(5, 4);
    unsigned char k[32];

    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             "name: dipietro, seeds: sealed, rekey_every: 5s",
                             "OSSS", STAR3, TRAFFIC1, NULL) == 0);
    sim_world_run(t.w, 12 * SIM_S, 0);
    CU_ASSERT_EQUAL_FATAL(dipietro_session(t.w, 1, 0), 3);
    sim_atk_dipietro.atk_capture(t.w, sim_world_proto_state(t.w), 1, kb);
    atk_kb_mark_captured(kb, 1);
    /* k_3, k_2, the device key; a_3, b_3. */
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 3);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 2);
    CU_ASSERT(atk_kb_find(kb, ATK_KEY, GNAME(0)) != ATK_NONE);
    sim_atk_dipietro.atk_exposure(t.w, sim_world_proto_state(t.w), kb, &x);
    CU_ASSERT_EQUAL(x.links, 3);
    CU_ASSERT_EQUAL(x.exposed, 3);
    CU_ASSERT_EQUAL(x.links_clean, 2);
    CU_ASSERT_EQUAL(x.exposed_clean, 2);

    eve_init(&e, kb, 0, sim_world_now(t.w));
    e.skip = 1;
    sim_world_add_tap(t.w, eve_tap, &e);
    tw_run_all(&t);
    CU_ASSERT(dipietro_session(t.w, 2, 0) >= 8);
    CU_ASSERT(e.data_seen >= 50);
    CU_ASSERT_EQUAL(e.data_read, e.data_seen);
    CU_ASSERT(eve_popcount(e.sessions_read) >= 5);
    sim_atk_dipietro.atk_exposure(t.w, sim_world_proto_state(t.w), kb, &x);
    CU_ASSERT_EQUAL(x.exposed, 3);
    CU_ASSERT_EQUAL(x.exposed_clean, 2);
    /* What the attacker derived for the last session is the real key. */
    CU_ASSERT_EQUAL(dipietro_export(t.w, 2, 0, 0, k), 32);
    {
        size_t i;
        int found = 0;
        unsigned char v[32];
        for (i = atk_kb_find(kb, ATK_KEY, GNAME(0)); i != ATK_NONE;
             i = atk_kb_next(kb, i)) {
            atk_kb_export(kb, i, v);
            found |= atk_kb_aux(kb, i) == dipietro_session(t.w, 2, 0) &&
                     cry_equal(v, k, 32);
        }
        cry_wipe(v, sizeof v);
        CU_ASSERT(found);
    }
    cry_wipe(k, sizeof k);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Capture of source 1 detected at 12 s: the group is re-seeded without it.
 * The others get fresh seeds and the protocol goes on; source 1 is
 * refused.  With an eavesdropper that does not read the re-seeding (no
 * listening, or sealed seeds) the captured material opens nothing of the
 * others' later data and exposes none of their links; with clear seeds
 * and listening it reads the new seeds and everything (documented). */
static void reseed_mode(int sealed, int listen)
{
    tworld t;
    eve e;
    atk_exposure x;
    atk_kb *kb = atk_kb_new(5, 4);
    double gen, at_so;
    long told;

    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             sealed ? "name: dipietro, seeds: sealed, "
                                      "rekey_every: 5s, capture_reaction: true"
                                    : "name: dipietro, seeds: clear, "
                                      "rekey_every: 5s, capture_reaction: true",
                             "OSSS", STAR3, TRAFFIC1, NULL) == 0);
    sim_world_run(t.w, 12500 * SIM_MS, 0);
    sim_atk_dipietro.atk_capture(t.w, sim_world_proto_state(t.w), 1, kb);
    atk_kb_mark_captured(kb, 1);
    told = sim_atk_dipietro.atk_react(t.w, sim_world_proto_state(t.w),
                                      ATK_REACT_CAPTURE, 1);
    CU_ASSERT_EQUAL(told, 2);
    /* Again: already revoked, nothing more. */
    CU_ASSERT_EQUAL(sim_atk_dipietro.atk_react(t.w, sim_world_proto_state(t.w),
                                               ATK_REACT_CAPTURE, 1), 0);
    eve_init(&e, kb, listen, listen ? sim_world_now(t.w) : SIM_TIME_MAX);
    e.data_from = sim_world_now(t.w) + SIM_S;
    e.skip = 1;
    sim_world_add_tap(t.w, eve_tap, &e);
    tw_run_all(&t);

    /* The group goes on without source 1. */
    CU_ASSERT_EQUAL(dipietro_session(t.w, 0, 0), dipietro_session(t.w, 2, 0));
    CU_ASSERT(dipietro_session(t.w, 0, 0) >= 9);
    CU_ASSERT(dipietro_same_key(t.w, 0, 2, 0));
    CU_ASSERT(dipietro_same_key(t.w, 0, 3, 0));
    CU_ASSERT_FALSE(dipietro_same_key(t.w, 0, 1, 0));
    CU_ASSERT(tw_met(t.w, "dipietro.rejected") >= 25);   /* source 1's */
    gen = tw_met(t.w, "data.generated");
    at_so = tw_met(t.w, "data.at_so");
    CU_ASSERT(at_so >= gen - tw_met(t.w, "dipietro.rejected") -
                           tw_met(t.w, "dipietro.data.stale") - 0.5);
    CU_ASSERT(tw_met(t.w, "dipietro.data.stale") <= 2);  /* in flight */

    CU_ASSERT(e.data_seen >= 50);
    sim_atk_dipietro.atk_exposure(t.w, sim_world_proto_state(t.w), kb, &x);
    CU_ASSERT_EQUAL(x.links, 2);
    CU_ASSERT_EQUAL(x.links_clean, 2);
    if (listen && !sealed) {
        CU_ASSERT_EQUAL(e.data_read, e.data_seen);
        CU_ASSERT_EQUAL(x.exposed, 2);
    } else {
        CU_ASSERT_EQUAL(e.data_read, 0);
        CU_ASSERT_EQUAL(x.exposed, 0);
        CU_ASSERT_EQUAL(x.exposed_clean, 0);
    }
    atk_kb_free(kb);
    tw_free(&t);
}

static void test_atk_reseed(void) { reseed_mode(0, 0); }
static void test_atk_reseed_clear_sniffed(void) { reseed_mode(0, 1); }
static void test_atk_reseed_sealed_sniffed(void) { reseed_mode(1, 1); }

/* After the re-seeding nobody keeps the captured session key, not even as
 * the previous one: data forged under it in another source's name are
 * refused as stale (without the capture's detection they open). */
static void cut_mode(int react)
{
    tworld t;
    atk_kb *kb = atk_kb_new(5, 4);
    uint32_t s = 0;
    size_t i, k = ATK_NONE;
    double stale, at_so, opened;
    sim_pkt *p;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "name: dipietro, capture_reaction: true", "OSSS", STAR3,
                             TRAFFIC1, NULL) == 0);
    sim_world_run(t.w, 10500 * SIM_MS, 0);
    sim_atk_dipietro.atk_capture(t.w, sim_world_proto_state(t.w), 1, kb);
    if (react)
        sim_atk_dipietro.atk_react(t.w, sim_world_proto_state(t.w),
                                   ATK_REACT_CAPTURE, 1);
    sim_world_run(t.w, 11200 * SIM_MS, 0);
    for (i = atk_kb_find(kb, ATK_KEY, GNAME(0)); i != ATK_NONE;
         i = atk_kb_next(kb, i))
        if (atk_kb_aux(kb, i) >= s) {
            s = (uint32_t)atk_kb_aux(kb, i);
            k = i;
        }
    CU_ASSERT_FATAL(k != ATK_NONE && s == 1);
    stale = tw_met(t.w, "dipietro.data.stale");
    at_so = tw_met(t.w, "data.at_so");
    opened = tw_met(t.w, "dipietro.data.opened");
    /* The attacker's copy of the key starts its nonce counter at 0: move
     * it far ahead of source 2's own, so no replay window is hit. */
    for (int n = 0; n < 1000; n++) {
        p = sim_pkt_new(t.w, SIM_PKT_DATA, 2, 0, 999, 0, 1);
        CU_ASSERT(sim_pkt_seal_data(p, atk_kb_store(kb), atk_kb_key(kb, k),
                                    NULL) == 0);
        sim_pkt_free(t.w, p);
    }
    p = sim_pkt_new(t.w, SIM_PKT_DATA, 2, 0, 999, 0, 16);
    sim_pkt_set_key(p, GNAME(0), s);
    CU_ASSERT_FATAL(sim_pkt_seal_data(p, atk_kb_store(kb), atk_kb_key(kb, k),
                                      NULL) == 0);
    p->atk = 1;
    CU_ASSERT_FATAL(sim_world_inject(t.w, 2, 0, p) == 0);
    sim_world_run(t.w, 11400 * SIM_MS, 0);
    if (react) {
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.stale"), stale + 1,
                               0);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "data.at_so"), at_so, 0);
    } else {
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.data.opened"),
                               opened + 1, 0);
    }
    tw_run_all(&t);
    atk_kb_free(kb);
    tw_free(&t);
}

static void test_atk_reseed_cuts(void) { cut_mode(1); }
static void test_atk_forged_without_reaction(void) { cut_mode(0); }

/* A leaked session key exposes every member until the owner's update
 * round: the command is sealed under the leaked key (read) but carries no
 * key material, so the next key stays out of reach. */
static void test_atk_leak(void)
{
    tworld t;
    eve e;
    atk_exposure x;
    atk_kb *kb = atk_kb_new(5, 4);

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "name: dipietro, capture_reaction: true", "OSSS", STAR3,
                             TRAFFIC1, NULL) == 0);
    sim_world_run(t.w, 10500 * SIM_MS, 0);
    CU_ASSERT_EQUAL(sim_atk_dipietro.atk_leak(t.w, sim_world_proto_state(t.w),
                                              kb, draw_first, NULL), 0);
    sim_atk_dipietro.atk_exposure(t.w, sim_world_proto_state(t.w), kb, &x);
    CU_ASSERT_EQUAL(x.links, 3);
    CU_ASSERT_EQUAL(x.exposed, 3);
    eve_init(&e, kb, 1, sim_world_now(t.w));
    e.data_from = sim_world_now(t.w) + SIM_S;
    sim_world_add_tap(t.w, eve_tap, &e);
    CU_ASSERT_EQUAL(sim_atk_dipietro.atk_react(t.w, sim_world_proto_state(t.w),
                                               ATK_REACT_LEAK, 0), 3);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 1, 0), 2);
    CU_ASSERT(e.ctl_read >= 3);                 /* the updateSessions */
    CU_ASSERT(e.data_seen >= 50);
    CU_ASSERT_EQUAL(e.data_read, 0);
    sim_atk_dipietro.atk_exposure(t.w, sim_world_proto_state(t.w), kb, &x);
    CU_ASSERT_EQUAL(x.links, 3);
    CU_ASSERT_EQUAL(x.exposed, 0);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Records every SEEDS sent (clones, up to 4). */
typedef struct seeds_rec {
    sim_pkt *p[4];
    int n;
} seeds_rec;

static sim_tap_verdict seeds_rec_fn(void *ctx, sim_world *w, uint32_t link,
                                    uint32_t from, uint32_t to, sim_pkt *p)
{
    seeds_rec *r = ctx;
    (void)link; (void)from; (void)to;
    if (tw_is_ctl(p, MT_SEEDS) && r->n < 4)
        r->p[r->n++] = sim_pkt_clone(w, p);
    return SIM_TAP_PASS;
}

/* Every control message the protocol drops is refused (the attack
 * bookkeeping sees a rejection): made-up keys, clear commands, unknown
 * types, a replayed SEEDS of the current session (answered again but
 * changing nothing), a captured node's acks once revoked. */
static void test_atk_refusals(void)
{
    tworld t;
    seeds_rec r = {.n = 0};
    cry_keystore *ks = cry_keystore_new(99);
    cry_key fake = cry_key_generate(ks, 1, 1, NULL);
    sim_pkt *p;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "name: dipietro", "OSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}", TRAFFIC, NULL) == 0);
    sim_world_add_tap(t.w, seeds_rec_fn, &r);
    sim_world_run(t.w, 10 * SIM_S, 0);
    CU_ASSERT_FATAL(r.n >= 1);
    for (int sealed = 0; sealed < 2; sealed++) {
        p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 999, 1, 9);
        sim_pkt_ctl(p)[0] = MT_UPDATE;
        sim_pkt_data(p)[0] = MT_UPDATE;
        sim_put32(sim_pkt_data(p) + 1, 0);
        sim_put32(sim_pkt_data(p) + 5, 2);
        sim_pkt_set_key(p, GNAME(0), 1);
        if (sealed)
            CU_ASSERT_FATAL(sim_pkt_seal_data(p, ks, fake, NULL) == 0);
        CU_ASSERT(tw_refused(t.w, 1, p));
    }
    p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 1, 0, 999, 1, 1);
    sim_pkt_ctl(p)[0] = 77;
    sim_pkt_data(p)[0] = 77;
    CU_ASSERT(tw_refused(t.w, 0, p));
    /* The SEEDS replayed: a duplicate. */
    CU_ASSERT(tw_refused(t.w, sim_pkt_dst(r.p[0]),
                         sim_pkt_clone(t.w, r.p[0])));
    CU_ASSERT(tw_met(t.w, "dipietro.duplicates") >= 1);
    CU_ASSERT_EQUAL(dipietro_session(t.w, 1, 0), 1);
    tw_run_all(&t);
    CU_ASSERT(dipietro_same_key(t.w, 0, 1, 0));
    for (int i = 0; i < r.n; i++)
        sim_pkt_free(t.w, r.p[i]);
    cry_keystore_free(ks);
    tw_free(&t);
}

/* Di Pietro marks its storage changes (ops.storage_marks, through
 * pk_tally_marks on the table dp_storage reads): the storage over time,
 * end and peak of every node, with re-key rounds and a warm-up, equal bit
 * for bit those of the same run where the world reads the hook after
 * every event (a copy of the ops without the flag). */
static void test_storage_marks_equal(void)
{
    static const char *yaml =
        "name: marks\nseed: 1\nduration: 30s\nwarmup: 4s\n"
        "protocol: {name: dipietro, rekey_every: 3s}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
        "  nodes: [{id: 0, role: smart_object}, {id: 1, role: source},\n"
        "          {id: 2, role: source}, {id: 3, role: source}]\n"
        "  links: [{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}]\n"
        "traffic: {interval: 'exp(1s)', size: 16B,"
        " register_at: 'uniform(0s, 9s)'}\n"
        "smart_object: {service: 'exp(10ms)'}\n";
    sim_storage_stats st[2][4];
    scn_proto_ops every;
    int moved = 0;

    for (int k = 0; k < 2; k++) {
        char err[512];
        scenario *sc = scn_load_buffer("marks.yaml", yaml, strlen(yaml),
                                       NULL, 0, err, sizeof err);
        const scn_proto_ops *orig;
        sim_world *w;

        CU_ASSERT_FATAL(sc != NULL);
        orig = sc->proto;
        CU_ASSERT(orig->storage_marks == 1);
        every = *orig;
        every.storage_marks = 0;
        if (k == 1)
            sc->proto = &every;
        w = sim_world_new(sc, 5, err, sizeof err);
        CU_ASSERT_FATAL(w != NULL);
        sim_world_run(w, sc->duration, 0);
        for (uint32_t v = 0; v < 4; v++)
            CU_ASSERT_EQUAL(sim_world_storage_stats(w, v, &st[k][v]), 0);
        sim_world_free(w);
        sc->proto = orig;
        scn_free(sc);
    }
    for (uint32_t v = 0; v < 4; v++) {
        CU_ASSERT_EQUAL(memcmp(&st[0][v], &st[1][v], sizeof st[0][v]), 0);
        moved += st[0][v].time_avg != st[0][v].end;
    }
    CU_ASSERT(moved >= 3);          /* levels changed over the window */
}

/* atk_learn on any bytes never misbehaves and adds material only from a
 * well-formed SEEDS of an existing group; atk_derive on a forged header
 * with a huge session returns at once. */
static void test_atk_garbage(void)
{
    tworld t;
    atk_kb *kb = atk_kb_new(5, 3);
    const atk_proto_hooks *atk;
    void *ps;
    unsigned char buf[300];
    uint64_t st = 0x9e3779b97f4a7c15ull;
    size_t valid = 0;
    sim_pkt *ctl, *data;

    CU_ASSERT_FATAL(tw_build(&t, 1, "10s", "name: dipietro, q: 64", "OSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}", TRAFFIC, NULL) == 0);
    sim_world_run(t.w, 5 * SIM_S, 0);
    atk = &sim_atk_dipietro;
    ps = sim_world_proto_state(t.w);
    ctl = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 1, 1, 8);
    data = sim_pkt_new(t.w, SIM_PKT_DATA, 1, 0, 1, 0, 8);
    atk->atk_learn(t.w, ps, kb, ctl, 1, NULL, 0);
    atk->atk_learn(t.w, ps, kb, ctl, 0, buf, 0);
    for (int it = 0; it < 20000; it++) {
        size_t len;
        garbage(&st, buf, sizeof buf);
        len = it % 3 == 0 ? 1 + 8 + 16 : buf[0] % sizeof buf;
        if (it % 2 == 0)
            buf[0] = MT_SEEDS;
        if (it % 5 == 0)
            buf[1] = buf[2] = buf[3] = buf[4] = 0;     /* group 0 */
        if (buf[0] == MT_SEEDS && len == 1 + 8 + 16 &&
            sim_get32(buf + 1) == 0 && sim_get32(buf + 5) != 0)
            valid++;
        atk->atk_learn(t.w, ps, kb, it % 7 ? ctl : data, it % 4 ? 1 : 0,
                       buf, len);
    }
    CU_ASSERT(valid > 100);
    /* Only part 1 of control messages counts. */
    CU_ASSERT(atk_kb_count_kind(kb, ATK_MATERIAL) <= 2 * valid);
    CU_ASSERT(atk_kb_count_kind(kb, ATK_MATERIAL) > 0);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 0);
    /* Forged headers: a session far ahead, another group, another name. */
    sim_pkt_set_key(data, GNAME(0), UINT32_MAX);
    atk->atk_derive(t.w, ps, kb, data, 1, 0);
    sim_pkt_set_key(data, GNAME(7), 1);
    atk->atk_derive(t.w, ps, kb, data, 1, 0);
    sim_pkt_set_key(data, 12345, 1);
    atk->atk_derive(t.w, ps, kb, data, 1, 0);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 0);
    /* A real header: a key from a well-formed (made-up) SEEDS of session
     * 1, useless but harmless. */
    buf[0] = MT_SEEDS;
    sim_put32(buf + 1, 0);
    sim_put32(buf + 5, 1);
    atk->atk_learn(t.w, ps, kb, ctl, 1, buf, 1 + 8 + 16);
    sim_pkt_set_key(data, GNAME(0), 1);
    atk->atk_derive(t.w, ps, kb, data, 1, 0);
    CU_ASSERT(atk_kb_count_kind(kb, ATK_KEY) > 0);
    sim_pkt_free(t.w, ctl);
    sim_pkt_free(t.w, data);
    tw_run_all(&t);
    atk_kb_free(kb);
    tw_free(&t);
}

/* per_hop_mac (kmsim extension, pk.h): off, relays do no AEAD operation
 * on the data they relay and a tampered header is refused at the SO; on,
 * each relay verifies and re-MACs the header and refuses a tampered one
 * (bl_hop_check). */
static void test_per_hop_mac(void)
{
    bl_hop_check("dipietro", "", "dipietro");
}

/* pk_tally (sim/proto/pk.c), dipietro's per-node count of values held
 * (its storage hook reads it at every event): one byte a node, counts of
 * 255 and more exact in the side table, across the boundary both ways,
 * nodes independent, jumps of any size. */
static void test_tally(void)
{
    pk_tally t, z;

    pk_tally_init(&z, 0);               /* no node */
    pk_tally_deinit(&z);
    CU_ASSERT_PTR_NULL(z.c);
    pk_tally_init(&t, 3);
    for (uint32_t v = 0; v < 3; v++)
        CU_ASSERT_EQUAL(pk_tally_get(&t, v), 0);
    for (int i = 0; i < 254; i++)
        pk_tally_add(&t, 1, 1);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 1), 254);
    CU_ASSERT_EQUAL(t.c[1], 254);
    CU_ASSERT_EQUAL(t.big[0].n, 0);
    pk_tally_add(&t, 1, 1);             /* 255: into the side table */
    CU_ASSERT_EQUAL(pk_tally_get(&t, 1), 255);
    CU_ASSERT_EQUAL(t.c[1], PK_TALLY_BIG);
    CU_ASSERT_EQUAL(t.big[0].n, 1);
    pk_tally_add(&t, 1, 1);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 1), 256);
    pk_tally_add(&t, 1, -2);            /* 254: back in its byte */
    CU_ASSERT_EQUAL(pk_tally_get(&t, 1), 254);
    CU_ASSERT_EQUAL(t.c[1], 254);
    CU_ASSERT_EQUAL(t.big[0].n, 0);
    pk_tally_add(&t, 1, 1);
    pk_tally_add(&t, 1, -1);            /* 255 -> 254 exactly */
    CU_ASSERT_EQUAL(pk_tally_get(&t, 1), 254);
    CU_ASSERT_EQUAL(t.big[0].n, 0);
    pk_tally_add(&t, 0, 100000);        /* one jump far above */
    pk_tally_add(&t, 2, 6);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 0), 100000);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 1), 254);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 2), 6);
    pk_tally_add(&t, 0, -99999);        /* one jump down below */
    CU_ASSERT_EQUAL(pk_tally_get(&t, 0), 1);
    CU_ASSERT_EQUAL(t.c[0], 1);
    pk_tally_add(&t, 1, -254);
    pk_tally_add(&t, 0, -1);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 0), 0);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 1), 0);
    CU_ASSERT_EQUAL(pk_tally_get(&t, 2), 6);
    CU_ASSERT_EQUAL(t.big[0].n, 0);
    pk_tally_deinit(&t);
    CU_ASSERT_PTR_NULL(t.c);
    CU_ASSERT_EQUAL(t.n, 0);
}

/* A source's memberships after a move: the first in its node slot, the
 * second in the table of further ones.  Both stay held (storage counts
 * both: 4 + 4 values of q = 64 bits), their keys differ, and a capture
 * hands over the values of both in name order (a_i of group 0, of group
 * 1, then b_i, ...), as one (holder, name) table listed them. */
#define AMAT_(g) ((uint64_t)1 << 56 | (g))
#define BMAT_(g) ((uint64_t)2 << 56 | (g))
static void test_two_memberships(void)
{
    tworld t;
    atk_kb *kb = atk_kb_new(5, 3);
    unsigned char k0[32], k1[32];
    size_t a0, a1, b0, b1, g0, g1;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "name: dipietro, q: 64, rekey_every: 15s",
                             "OSO", "{a: 0, b: 1}, {a: 1, b: 2}", TRAFFIC,
                             "moves: [{node: 1, at: 20s, to: 2}]\n") == 0);
    tw_run_all(&t);
    CU_ASSERT(dipietro_session(t.w, 1, 0) >= 2);   /* kept, not wiped */
    CU_ASSERT(dipietro_session(t.w, 1, 1) >= 2);
    CU_ASSERT_EQUAL(dipietro_export(t.w, 1, 0, 0, k0), 8);
    CU_ASSERT_EQUAL(dipietro_export(t.w, 1, 1, 0, k1), 8);
    CU_ASSERT(memcmp(k0, k1, 8) != 0);
    CU_ASSERT(dipietro_same_key(t.w, 1, 0, 0));
    CU_ASSERT(dipietro_same_key(t.w, 1, 2, 1));
    CU_ASSERT(!dipietro_same_key(t.w, 1, 2, 0));   /* SO 2 not in 0 */
    CU_ASSERT_EQUAL(dipietro_session(t.w, 2, 0), 0);
    CU_ASSERT_EQUAL(dipietro_key(t.w, 1, 5, 0), 0); /* no such group */
    CU_ASSERT_EQUAL(dipietro_key(t.w, 99, 0, 0), 0); /* no such node */
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "dipietro.storage.source"), 64, 0);
    sim_atk_dipietro.atk_capture(t.w, sim_world_proto_state(t.w), 1, kb);
    /* k_i and k_{i-1} of each group and the device key; a_i, b_i of
     * each. */
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 5);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 4);
    a0 = atk_kb_find(kb, ATK_MATERIAL, AMAT_(0));
    a1 = atk_kb_find(kb, ATK_MATERIAL, AMAT_(1));
    b0 = atk_kb_find(kb, ATK_MATERIAL, BMAT_(0));
    b1 = atk_kb_find(kb, ATK_MATERIAL, BMAT_(1));
    g0 = atk_kb_find(kb, ATK_KEY, GNAME(0));
    g1 = atk_kb_find(kb, ATK_KEY, GNAME(1));
    CU_ASSERT(a0 != ATK_NONE && a1 != ATK_NONE && b0 != ATK_NONE &&
              b1 != ATK_NONE && g0 != ATK_NONE && g1 != ATK_NONE);
    CU_ASSERT(a0 < a1 && a1 < b0 && b0 < b1 && b1 < g0 && g0 < g1);
    CU_ASSERT_EQUAL(atk_kb_aux(kb, a1), dipietro_session(t.w, 1, 1));
    CU_ASSERT(atk_kb_holds(kb, GNAME(1), dipietro_keystore(t.w),
                           dipietro_key(t.w, 1, 1, 0)));
    cry_wipe(k0, sizeof k0);
    cry_wipe(k1, sizeof k1);
    atk_kb_free(kb);
    tw_free(&t);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("dipietro", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_thousand_sessions);
    CUTEST_ADD(s, test_per_hop_mac);
    CUTEST_ADD(s, test_wipe_on_new_session);
    CUTEST_ADD(s, test_h_differs_from_g);
    CUTEST_ADD(s, test_previous_session_once);
    CUTEST_ADD(s, test_seeds_clear);
    CUTEST_ADD(s, test_seeds_sealed);
    CUTEST_ADD(s, test_sync_distributed);
    CUTEST_ADD(s, test_sync_central);
    CUTEST_ADD(s, test_forged_update);
    CUTEST_ADD(s, test_losses);
    CUTEST_ADD(s, test_move);
    CUTEST_ADD(s, test_tally);
    CUTEST_ADD(s, test_two_memberships);
    CUTEST_ADD(s, test_storage);
    CUTEST_ADD(s, test_publish);
    CUTEST_ADD(s, test_deterministic);
    CUTEST_ADD(s, test_atk_sniff_clear);
    CUTEST_ADD(s, test_atk_sniff_sealed);
    CUTEST_ADD(s, test_atk_capture_group);
    CUTEST_ADD(s, test_atk_reseed);
    CUTEST_ADD(s, test_atk_reseed_clear_sniffed);
    CUTEST_ADD(s, test_atk_reseed_sealed_sniffed);
    CUTEST_ADD(s, test_atk_reseed_cuts);
    CUTEST_ADD(s, test_atk_forged_without_reaction);
    CUTEST_ADD(s, test_atk_leak);
    CUTEST_ADD(s, test_atk_refusals);
    CUTEST_ADD(s, test_atk_garbage);
    CUTEST_ADD(s, test_storage_marks_equal);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
