/* test_dini_move.c — part of the test_dini program (main in test_dini.c):
 * several SOs (sim/proto/dini_move.c): a source moves and pairs through
 * KT, moves away and back, forged moves, and the SO's publishes to a
 * subscriber under their own key (via the SO).  tw_moves, the world with
 * a moves: section, is used by test_dini_atk.c too.  Suite dini. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dini_t.h"

/* ------------------------------------------------------------------------
 * Several SOs: a source moves and pairs through KT
 * ---------------------------------------------------------------------- */

/* A scenario with two SOs and `moves` (the world's moves: section). */
int tw_moves(tworld *t, const char *proto, const char *roles,
             const char *links, const char *moves)
{
    char nodes[1024], yaml[4096], body[1024];
    int k;
    yaml_fmt(yaml, sizeof yaml, "60s", proto,
             nodes_of(nodes, sizeof nodes, roles), links,
             "interval: 'const(5s)', size: 32B");
    k = snprintf(body, sizeof body, "moves: [%s]\n", moves);
    CU_ASSERT_FATAL(k > 0 && strlen(yaml) + (size_t)k < sizeof yaml);
    strcat(yaml, body);
    return tw_new(t, yaml, 1);
}

/* S (1) is with SO 0, moves to SO 2 (adjacent to both) at 20 s: it keeps
 * its channel key K, which SO 2 fetches from SO 0 into its KT; SO 0 stops
 * replacing K, SO 2 replaces it at 30 s.  Every message opens. */
static void moved_source(int so_mode)
{
    tworld t;
    uint64_t k;
    char proto[128];

    snprintf(proto, sizeof proto, "local_keys_from: %s, pool: 4, ring: 4, "
             "rekey_every: 30s", so_mode ? "so" : "source");
    CU_ASSERT_FATAL(tw_moves(&t, proto, "OSO", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "{node: 1, at: 20s, to: 2}") == 0);
    sim_world_run(t.w, 19 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 1) == DINI_CH_READY);
    k = dini_channel_key(t.w, 1);
    CU_ASSERT_EQUAL(dini_ct(t.w, 1, 0), k);
    CU_ASSERT_FALSE(dini_holds(t.w, 2, k));
    tw_run_all(&t);
    CU_ASSERT_EQUAL(sim_world_home_so(t.w, 1), 2);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), k);          /* kept */
    CU_ASSERT_EQUAL(dini_ct(t.w, 1, 2), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, 2, 1), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, 1, 0), DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_ct(t.w, 0, 1), DINI_NO_KEY);
    CU_ASSERT(dini_same_key(t.w, 1, 2, k));
    /* K's name says who generated it: in SO 2's KT when SO 0 did. */
    CU_ASSERT_EQUAL(k >> 16, so_mode ? 0u : 1u);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.handover"), 1);
    CU_ASSERT(met(t.w, "dini.handover") < 0.1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.move"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.ktreq"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.ktkey"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.move_ok"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup"), 1);  /* not again */
    /* One replacement (SO 2's, at 30 s; SO 0 has no channel left). */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 1);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

void test_move_so_keys(void) { moved_source(1); }
void test_move_source_keys(void) { moved_source(0); }

/* The new SO is two hops away (through source 3, which has no part in
 * the channel: it relays without the key), and S moves back at 40 s: the
 * old SO fetches the key, replaced meanwhile, from the new one. */
void test_move_away_and_back(void)
{
    tworld t;
    uint64_t k;

    CU_ASSERT_FATAL(tw_moves(&t, "pool: 4, ring: 4, rekey_every: 30s",
                             "OSOS", "{a: 0, b: 1}, {a: 1, b: 3}, {a: 3, b: 2}",
                             "{node: 1, at: 20s, to: 2}, "
                             "{node: 1, at: 40s, to: 0}") == 0);
    sim_world_run(t.w, 39 * SIM_S, 0);
    k = dini_channel_key(t.w, 1);
    CU_ASSERT_EQUAL(dini_ct(t.w, 2, 1), k);
    CU_ASSERT(dini_same_key(t.w, 1, 2, k));
    CU_ASSERT_FALSE(dini_holds(t.w, 3, k));          /* relay only */
    tw_run_all(&t);
    CU_ASSERT_EQUAL(sim_world_home_so(t.w, 1), 0);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, 0, 1), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, 2, 1), DINI_NO_KEY);
    CU_ASSERT(dini_same_key(t.w, 1, 0, k));    /* the replaced value */
    CU_ASSERT_EQUAL(met_n(t.w, "dini.handover"), 2);
    CU_ASSERT_FALSE(dini_holds(t.w, 3, k));
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* Every seal of every store (cry_set_seal_hook_for_tests): the (key value,
 * sender, counter) triples, by BLAKE2b of key || nonce.  `reused` counts
 * seals of a triple sealed before: a nonce used twice under one value. */
#define SEAL_MAX 8192
typedef struct seal_log {
    int n, reused, full;
    unsigned char h[SEAL_MAX][CRY_HASH_BYTES];
} seal_log;

static void seal_note(void *ctx, const cry_keystore *ks,
                      const unsigned char *key, uint32_t sender,
                      uint64_t counter)
{
    seal_log *l = ctx;
    unsigned char in[CRY_KEY_BYTES + 12], h[CRY_HASH_BYTES];
    (void)ks;

    memcpy(in, key, CRY_KEY_BYTES);
    for (int i = 0; i < 4; i++)
        in[CRY_KEY_BYTES + i] = (unsigned char)(sender >> (8 * i));
    for (int i = 0; i < 8; i++)
        in[CRY_KEY_BYTES + 4 + i] = (unsigned char)(counter >> (8 * i));
    cry_hash(h, in, sizeof in);
    cry_wipe(in, sizeof in);
    for (int i = 0; i < l->n; i++)
        if (memcmp(l->h[i], h, sizeof h) == 0) {
            l->reused++;
            return;
        }
    if (l->n == SEAL_MAX) {
        l->full = 1;
        return;
    }
    memcpy(l->h[l->n++], h, sizeof h);
}

/* Issue 19: S (1) moves from SO 0 to SO 2 at 20 s and back at 40 s with
 * no replacement of its channel key K in between (SO0 - S - S3 - SO2).
 * SO 0 kept K; on the way back it takes K again (a new key-store handle)
 * and must not seal from counter 0 again: no (key value, sender, counter)
 * is ever sealed twice, in either local_keys_from mode. */
static void moved_away_and_back(int so_mode)
{
    tworld t;
    uint64_t k;
    char proto[128];
    seal_log *l = calloc(1, sizeof *l);

    CU_ASSERT_FATAL(l != NULL);
    snprintf(proto, sizeof proto, "local_keys_from: %s, pool: 4, ring: 4",
             so_mode ? "so" : "source");
    CU_ASSERT_FATAL(tw_moves(&t, proto, "OSOS",
                             "{a: 0, b: 1}, {a: 1, b: 3}, {a: 3, b: 2}",
                             "{node: 1, at: 20s, to: 2}, "
                             "{node: 1, at: 40s, to: 0}") == 0);
    cry_set_seal_hook_for_tests(seal_note, l);
    sim_world_run(t.w, 19 * SIM_S, 0);
    k = dini_channel_key(t.w, 1);
    tw_run_all(&t);
    cry_set_seal_hook_for_tests(NULL, NULL);
    CU_ASSERT_EQUAL(sim_world_home_so(t.w, 1), 0);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), k);      /* never replaced */
    CU_ASSERT_EQUAL(dini_ct(t.w, 0, 1), k);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.handover"), 2);
    assert_all_data_opened(t.w);
    CU_ASSERT_FALSE(l->full);
    CU_ASSERT(l->n > 20);
    CU_ASSERT_EQUAL(l->reused, 0);
    tw_free(&t);
    free(l);
}

void test_move_away_and_back_so(void) { moved_away_and_back(1); }
void test_move_away_and_back_source(void) { moved_away_and_back(0); }

/* The MOVE is forged (sealed under a made-up key value): the new SO gets
 * K from the old one but the MOVE does not open with it — refused, and
 * the source, after its set-up timeout, is back to Algorithm 1 (no path to
 * the new SO: disconnected). */
void test_move_forged_refused(void)
{
    tworld t;
    tamper tp = {.type = 0, .dst = SIM_NONE, .max = 0};

    tp.type = DT_ACK + 1;                         /* MOVE */
    CU_ASSERT_FATAL(tw_moves(&t, "pool: 4, ring: 4, retransmit_max: 0, "
                             "setup_timeout: 5s, retry_after: 0s",
                             "OSO", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "{node: 1, at: 20s, to: 2}") == 0);
    sim_world_add_tap(t.w, tamper_tap, &tp);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(tp.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.handover.refused"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.handover"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.setup_timeouts"), 1, 0);
    CU_ASSERT_EQUAL(dini_ct(t.w, 2, 1), DINI_NO_KEY);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Via the SO: the SO's publishes to a subscriber under their own key
 * ---------------------------------------------------------------------- */

/* SO 0 with source 1 and subscriber 2 (filter '#'), each on a link of
 * its own; `proto` adds options after "pool: 4, ring: 4". */
static int tw_via(tworld *t, const char *duration, const char *proto)
{
    char yaml[4096];
    int n = snprintf(yaml, sizeof yaml,
        "name: via\nseed: 1\nduration: %s\n"
        "protocol: {name: dini, findglobalkey: radio, pool: 4, ring: 4%s%s}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
        "  nodes: [{id: 0, role: smart_object}, {id: 1, role: source},"
        " {id: 2, role: subscriber}]\n"
        "  links: [{a: 0, b: 1}, {a: 0, b: 2}]\n"
        "traffic: {interval: 'const(5s)', size: 32B}\n"
        "smart_object: {service: 'exp(10ms)'}\n"
        "subscribers: {filters: ['#']}\n",
        duration, *proto ? ", " : "", proto);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof yaml);
    return tw_new(t, yaml, 1);
}

/* Source 1 sends to SO 0, which publishes every message to subscriber 2:
 * the SO generates a local key for the subscriber, hands it over under the
 * subscriber's device key, and seals every publish under it; the
 * subscriber opens each one.  The key is replaced with the others. */
void test_via_so_publish(void)
{
    tworld t;
    uint64_t k;

    CU_ASSERT_FATAL(tw_via(&t, "60s", "rekey_every: 30s") == 0);
    tw_run_all(&t);
    k = dini_ct(t.w, 2, 0);
    CU_ASSERT_FATAL(k != DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_ct(t.w, 0, 2), k);
    CU_ASSERT_EQUAL(k >> 16, 0u);                 /* the SO generated it */
    CU_ASSERT(dini_same_key(t.w, 0, 2, k));
    CU_ASSERT(k != dini_channel_key(t.w, 1));     /* not the source's */
    CU_ASSERT_FALSE(dini_holds(t.w, 1, k));
    CU_ASSERT_EQUAL(met_n(t.w, "dini.subscriber_setup"), 1);
    CU_ASSERT(met(t.w, "data.delivered") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.publish.opened"),
                           met(t.w, "data.delivered"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.delivered"),
                           met(t.w, "data.published"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 0, 0);
    /* Replaced at 30 s: two holders (source, subscriber), two acks. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey"), 2, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 2);
    tw_free(&t);
}

/* A publish tampered on the way fails to open at the subscriber: dropped
 * and counted, never delivered. */
typedef struct pub_flip {
    int done;
} pub_flip;

static sim_tap_verdict pub_flip_tap(void *ctx, sim_world *w, uint32_t link,
                                    uint32_t from, uint32_t to, sim_pkt *p)
{
    pub_flip *f = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (sim_pkt_type_of(p) == SIM_PKT_PUBLISH && !f->done) {
        CU_ASSERT(sim_pkt_flags(p) & SIM_F_DATA_SEALED);
        sim_pkt_data(p)[sim_pkt_data_len(p) / 2] ^= 1;
        f->done = 1;
    }
    return SIM_TAP_PASS;
}

void test_via_so_tampered_publish(void)
{
    tworld t;
    pub_flip f = {0};

    CU_ASSERT_FATAL(tw_via(&t, "30s", "") == 0);
    sim_world_add_tap(t.w, pub_flip_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(f.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.delivered"),
                           met(t.w, "data.published") - 1, 0);
    tw_free(&t);
}
