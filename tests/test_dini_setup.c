/* test_dini_setup.c — part of the test_dini program (main in test_dini.c):
 * the set-up of channels (sim/proto/dini_setup.c): the branches of
 * Algorithm 1 (direct, adjacent node with a global or a local key), the
 * bounded search and disconnection, channels through three intermediate
 * nodes (end-to-end and per-hop MAC) and attacks on the key messages of
 * the set-up (tampered headers, offers, types).  Suite dini. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dini_t.h"

/* ------------------------------------------------------------------------
 * Taps of this file (the shared ones are in dini_t.h)
 * ---------------------------------------------------------------------- */

/* Rewrites the clear type byte of the first control message of type
 * `from_type` into `to_type`. */
typedef struct retype {
    int from_type, to_type, done;
} retype;

static sim_tap_verdict retype_tap(void *ctx, sim_world *w, uint32_t link,
                                  uint32_t from, uint32_t to, sim_pkt *p)
{
    retype *r = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (!r->done && is_ctl_type(p, r->from_type)) {
        sim_pkt_ctl(p)[0] = (unsigned char)r->to_type;
        r->done = 1;
    }
    return SIM_TAP_PASS;
}

/* Every transmission of a DATA message: who sent it on the link, the
 * header's hop sender, and a hash of the data part. */
#define HOP_MAX 512
typedef struct hop_log {
    int n;
    uint32_t src[HOP_MAX], seq[HOP_MAX], from[HOP_MAX], hop_from[HOP_MAX];
    uint8_t flags[HOP_MAX];
    unsigned char data[HOP_MAX][CRY_HASH_BYTES];
} hop_log;

static sim_tap_verdict hop_tap(void *ctx, sim_world *w, uint32_t link,
                               uint32_t from, uint32_t to, sim_pkt *p)
{
    hop_log *l = ctx;
    const unsigned char *b = p->buf;
    (void)w; (void)link; (void)to;

    if (sim_pkt_type_of(p) != SIM_PKT_DATA)
        return SIM_TAP_PASS;
    CU_ASSERT_FATAL(l->n < HOP_MAX);
    l->src[l->n] = sim_pkt_src(p);
    l->seq[l->n] = sim_pkt_seq(p);
    l->from[l->n] = from;
    l->hop_from[l->n] = (uint32_t)b[28] | (uint32_t)b[29] << 8 |
                        (uint32_t)b[30] << 16 | (uint32_t)b[31] << 24;
    l->flags[l->n] = sim_pkt_flags(p);
    cry_hash(l->data[l->n], sim_pkt_data(p), sim_pkt_data_len(p));
    l->n++;
    return SIM_TAP_PASS;
}

/* ------------------------------------------------------------------------
 * Algorithm 1: direct branch
 * ---------------------------------------------------------------------- */

/* SO and one source linked directly, sharing the global keys of the ring:
 * one findGlobalKey exchange, one offer, one ack; the channel is READY
 * with one hop and both connection tables hold its key.  K is generated
 * by the SO (so) or by the source (source): its K_node says which.  The
 * generating node has index 1 so that the name cannot be 0. */
static void direct_branch(int so_mode)
{
    tworld t;
    uint32_t s = so_mode ? 0 : 1, so = so_mode ? 1 : 0;
    uint64_t k;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             so_mode ? "local_keys_from: so, pool: 4, ring: 4"
                                     : "local_keys_from: source, pool: 4, "
                                       "ring: 4",
                             so_mode ? "SO" : "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, s), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, s), 1);
    k = dini_channel_key(t.w, s);
    CU_ASSERT(k != DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_ct(t.w, s, so), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, so, s), k);
    CU_ASSERT(dini_same_key(t.w, s, so, k));
    CU_ASSERT_EQUAL(k, dini_local_name(t.w, so_mode ? so : s, 0));
    CU_ASSERT_EQUAL(k >> 16, so_mode ? so : s);     /* d = 16 by default */
    CU_ASSERT_EQUAL(dini_n_global(t.w, s), 4);
    CU_ASSERT_EQUAL(dini_n_local(t.w, s), 1);
    CU_ASSERT_EQUAL(dini_n_local(t.w, so), 1);
    /* Global keys are shared (same value), local only with the peer. */
    CU_ASSERT(dini_same_key(t.w, s, so, dini_global_name(0, 2)));
    CU_ASSERT_FALSE(dini_same_key(t.w, s, so, k + 1));
    /* 11 messages (5 s .. 55 s), all opened at the SO. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.generated"), 11, 0);
    assert_all_data_opened(t.w);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup.hops1"), 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.keys"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.findg"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.offer"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.kack"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.pairreq"), so_mode ? 1 : 0, 0);
    /* The far end confirms (S -> N when N generated K, N -> S when S
     * did), and the registration, PAIRREQ and READY are acknowledged. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.ready"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.ack"), so_mode ? 3 : 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.retransmissions"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.duplicates"), 0, 0);
    tw_free(&t);
}

void test_direct_so(void) { direct_branch(1); }
void test_direct_source(void) { direct_branch(0); }

/* Once the channel exists, data travel on it: over 10 minutes (119
 * messages) there is still exactly one request, one findGlobalKey, one
 * offer. */
void test_channel_reused(void)
{
    tworld t;

    CU_ASSERT_FATAL(tw_build(&t, 1, "600s", "pool: 4, ring: 4", "SO",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.generated"), 119, 0);
    assert_all_data_opened(t.w);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.pairreq"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.findg"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.offer"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 1, 0);
    tw_free(&t);
}

/* Seed 001's T(s, 0) of a set-up: dini.channel_setup.so_seq, the NOS's
 * sequential part (request in, first message of the propagation out),
 * one sample per request in so mode, none in source mode; three sources
 * asking at the same instant queue at the NOS's CPU, so the last waits
 * for the work of the others (its part is larger than the first's), and
 * every part is a share of its set-up. */
static void setup_seq(int so_mode)
{
    tworld t;
    ana_metrics *m;
    const ana_welford *q, *su;

    CU_ASSERT_FATAL(tw_build(&t, 1, "20s",
                             so_mode ? "pool: 4, ring: 4, "
                                       "local_keys_from: so"
                                     : "pool: 4, ring: 4, "
                                       "local_keys_from: source",
                             "OSSS", "{a: 0, b: 1}, {a: 0, b: 2}, {a: 0, b: 3}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_at: 'const(0s)'") == 0);
    tw_run_all(&t);
    m = sim_world_metrics(t.w);
    q = ana_metric_samples(m, ana_metric_find(m, "dini.channel_setup.so_seq",
                                              ""));
    su = ana_metric_samples(m, ana_metric_find(m, "dini.channel_setup", ""));
    CU_ASSERT_FATAL(q != NULL && su != NULL);
    CU_ASSERT_EQUAL(su->n, 3);
    if (!so_mode) {
        CU_ASSERT_EQUAL(q->n, 0);
    } else {
        CU_ASSERT_EQUAL(q->n, 3);
        CU_ASSERT(q->min > 0);
        CU_ASSERT(q->max > q->min);              /* the queue at the NOS */
        CU_ASSERT(q->max < su->min);             /* a part of a set-up */
    }
    tw_free(&t);
}

void test_setup_seq_so(void) { setup_seq(1); }
void test_setup_seq_source(void) { setup_seq(0); }

/* ------------------------------------------------------------------------
 * Adjacent node M
 * ---------------------------------------------------------------------- */

/* Chain SO - M - S (S not adjacent to the SO), ring = pool: every pair
 * shares a global key.  so mode: nodes M(0), SO(1), S(2); source mode:
 * SO(0), M(1), S(2) (the generators of local keys are never node 0).
 * Uniform first messages: the seeds are chosen so that S's channel is set
 * up before M sends anything (checked), hence through M with global keys
 * on both hops; M's own first message then finds K in CT(M, SO) and uses
 * it without any new message (Algorithm 1's first branch). */
static void adjacent_global(int so_mode)
{
    tworld t;
    uint32_t m = so_mode ? 0 : 1, so = so_mode ? 1 : 0, s = 2;
    uint64_t k;
    double offers, findg, pairreq;

    CU_ASSERT_FATAL(tw_build(&t, so_mode ? 4 : 5, "60s",
                             so_mode ? "local_keys_from: so, pool: 4, ring: 4"
                                     : "local_keys_from: source, pool: 4, "
                                       "ring: 4",
                             so_mode ? "SOS" : "OSS",
                             so_mode ? "{a: 1, b: 0}, {a: 0, b: 2}"
                                     : "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    /* Precondition: S ready while M has not started pairing. */
    CU_ASSERT_FATAL(run_until_state(&t, s, DINI_CH_READY));
    CU_ASSERT_FATAL(dini_channel_state(t.w, m) == DINI_CH_NONE);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, s), 2);
    k = dini_channel_key(t.w, s);
    CU_ASSERT(k != DINI_NO_KEY);
    CU_ASSERT_EQUAL(k >> 16, so_mode ? so : s);
    CU_ASSERT(dini_holds(t.w, m, k));
    CU_ASSERT(dini_same_key(t.w, s, m, k));
    CU_ASSERT(dini_same_key(t.w, m, so, k));
    CU_ASSERT_EQUAL(dini_ct(t.w, s, m), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, m, s), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, m, so), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, so, m), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, s, so), DINI_NO_KEY);   /* not adjacent */
    /* Both hops used a global key: two findGlobalKey, two offers. */
    findg = met(t.w, "dini.msgs.findg");
    offers = met(t.w, "dini.msgs.offer");
    pairreq = met(t.w, "dini.msgs.pairreq");
    CU_ASSERT_DOUBLE_EQUAL(findg, 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(offers, 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(pairreq, so_mode ? 1 : 0, 0);

    tw_run_all(&t);
    /* M: existing local key with the SO, no new message at all. */
    CU_ASSERT_EQUAL(dini_channel_state(t.w, m), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, m), 1);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, m), k);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.findg"), findg, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.offer"), offers, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.pairreq"), pairreq, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 2, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup.hops2"), 1);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup.hops1"), 1);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

void test_adjacent_global_so(void) { adjacent_global(1); }
void test_adjacent_global_source(void) { adjacent_global(0); }

/* Chain SO - M - S where S registers 15 s late (its first two REGISTER
 * are dropped), so M's own channel K' exists when S looks for a path:
 * the M-SO hop of S's channel uses K' (no findGlobalKey), only the S-M
 * hop needs one.  Total: M's findGlobalKey + S-M's = 2 (3 without K'). */
static void adjacent_local(int so_mode)
{
    tworld t;
    uint32_t m = so_mode ? 0 : 1, so = so_mode ? 1 : 0, s = 2;
    late_reg late = {.node = 2, .until = 12 * SIM_S};
    uint64_t k, k1;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             so_mode ? "local_keys_from: so, pool: 4, ring: 4"
                                     : "local_keys_from: source, pool: 4, "
                                       "ring: 4",
                             so_mode ? "SOS" : "OSS",
                             so_mode ? "{a: 1, b: 0}, {a: 0, b: 2}"
                                     : "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    /* Precondition: M's channel ready before S is registered. */
    CU_ASSERT_FATAL(run_until_state(&t, m, DINI_CH_READY));
    CU_ASSERT_FATAL(!sim_world_is_registered(t.w, s));
    k1 = dini_channel_key(t.w, m);
    CU_ASSERT(k1 != DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_ct(t.w, m, so), k1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.findg"), 1, 0);

    tw_run_all(&t);
    CU_ASSERT_EQUAL(late.dropped, 2);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, s), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, s), 2);
    k = dini_channel_key(t.w, s);
    CU_ASSERT(k != DINI_NO_KEY && k != k1);
    CU_ASSERT_EQUAL(dini_ct(t.w, s, m), k);
    CU_ASSERT_EQUAL(dini_ct(t.w, m, s), k);
    CU_ASSERT(dini_same_key(t.w, s, so, k));
    CU_ASSERT(dini_same_key(t.w, m, so, k));
    CU_ASSERT(dini_same_key(t.w, m, so, k1));       /* K' still in use */
    CU_ASSERT_EQUAL(dini_channel_key(t.w, m), k1);
    /* CT is a list (seed 001's CT_{N,S}): M and the SO share both keys,
     * newest first; a lookup picks the newest held. */
    {
        uint64_t l[4];
        CU_ASSERT_EQUAL(dini_ct_list(t.w, m, so, l, 4), 2);
        CU_ASSERT_EQUAL(l[0], k);
        CU_ASSERT_EQUAL(l[1], k1);
        CU_ASSERT_EQUAL(dini_ct_list(t.w, so, m, l, 4), 2);
        CU_ASSERT_EQUAL(l[0], k);
        CU_ASSERT_EQUAL(l[1], k1);
        CU_ASSERT_EQUAL(dini_ct(t.w, m, so), k);
        CU_ASSERT_EQUAL(dini_ct_list(t.w, s, m, l, 4), 1);
    }
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.findg"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.offer"), 3, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 2, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

void test_adjacent_local_so(void) { adjacent_local(1); }
void test_adjacent_local_source(void) { adjacent_local(0); }

/* The first key of node 0 is named <0, 0> = 0, a valid name (an earlier
 * pair_key() took it for "no key", and S, whose only path goes through M,
 * was declared disconnected).  The world of test_adjacent_local_so with
 * the SO at index 0: M's channel key K' is 0, and S's channel goes over
 * it. */
void test_local_key_named_zero(void)
{
    tworld t;
    late_reg late = {.node = 2, .until = 12 * SIM_S};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: so, pool: 4, ring: 4", "OSS",
                             "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    CU_ASSERT_FATAL(run_until_state(&t, 1, DINI_CH_READY));
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), 0);    /* named 0 */
    CU_ASSERT_EQUAL(dini_ct(t.w, 1, 0), 0);
    CU_ASSERT_EQUAL(dini_ct(t.w, 0, 1), 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 2), 2);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), 0);
    CU_ASSERT(dini_same_key(t.w, 1, 0, 0));
    /* M - SO went over K' (no findGlobalKey): 1 for M + 1 for S - M. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.findg"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 0, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* Two keys handed over the same pair at once: SO - M - S (M(0), SO(1),
 * S(2)), so mode, both sources send their first message at 5 s; the SO
 * starts M's key towards M, and M's first findGlobalKey answer is lost
 * (retransmitted after 1 s), so S's request (after its search) arrives
 * while that findGlobalKey is unanswered, and S's key takes the same
 * first hop.  Each answer must go on with its own hand-over (an earlier
 * version kept one pending hand-over per pair: M's key was lost and M
 * stayed PAIRING). */
void test_concurrent_propagations(void)
{
    tworld t;
    dropper d = {.type = DT_FINDG_ACK, .dst = 1, .max = 1};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: so, pool: 4, ring: 4", "SOS",
                             "{a: 1, b: 0}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(d.dropped, 1);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 0), 1);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 2), 2);
    CU_ASSERT(dini_channel_key(t.w, 0) != dini_channel_key(t.w, 2));
    CU_ASSERT(dini_same_key(t.w, 0, 1, dini_channel_key(t.w, 0)));
    CU_ASSERT(dini_same_key(t.w, 2, 1, dini_channel_key(t.w, 2)));
    CU_ASSERT(dini_same_key(t.w, 0, 1, dini_channel_key(t.w, 2)));
    /* Three findGlobalKey: SO-M twice (one per key), M-S once; plus the
     * retransmission of the first. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.retransmissions"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.findg"), 3 + 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.offer"), 3, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Bounded search, disconnection
 * ---------------------------------------------------------------------- */

void test_search_three_intermediates(void)
{
    tworld t;
    static const uint32_t node[4] = {0, 2, 3, 4};   /* a, b, c, d */

    CU_ASSERT_FATAL(tw_build(&t, CHAIN4_SEED, "60s",
                             "pool: 4, ring: 4, search_hops: 3",
                             CHAIN4_ROLES, CHAIN4_LINKS,
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    tw_run_all(&t);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(dini_channel_state(t.w, node[i]), DINI_CH_READY);
        CU_ASSERT_EQUAL(dini_channel_hops(t.w, node[i]), (uint32_t)i + 1);
    }
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup.hops4"), 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 0, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

void test_search_bounded(void)
{
    tworld t;

    CU_ASSERT_FATAL(tw_build(&t, CHAIN4_SEED, "60s",
                             "pool: 4, ring: 4, search_hops: 2, "
                             "retry_after: 0",
                             CHAIN4_ROLES, CHAIN4_LINKS,
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 3);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 4), DINI_CH_DISCONNECTED);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.unreachable_detection"), 1);
    CU_ASSERT(met(t.w, "dini.unreachable_detection") > 0);
    /* d's messages are all dropped, the others all opened. */
    CU_ASSERT(met(t.w, "dini.data.dropped") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.at_so") +
                               met(t.w, "dini.data.dropped"),
                           met(t.w, "data.generated"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"),
                           met(t.w, "data.at_so"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 0, 0);
    tw_free(&t);
}

/* SO - M - S with rings of one key out of 64: M shares one with the SO
 * (it comes from its pool), S and M share none for this seed (checked). */
void test_disconnected_no_shared_key(void)
{
    tworld t;
    uint64_t rm[2], rs[2];

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "pool: 64, ring: 1, retry_after: 0", "SOS",
                             "{a: 1, b: 0}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT_FATAL(dini_ring(t.w, 0, rm, 2) == 1);
    CU_ASSERT_FATAL(dini_ring(t.w, 2, rs, 2) == 1);
    CU_ASSERT_FATAL(rm[0] != rs[0]);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_DISCONNECTED);
    CU_ASSERT_EQUAL(dini_ct(t.w, 2, 0), DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_n_local(t.w, 2), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.unreachable_detection"), 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.dropped"), 11, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.at_so"), 11, 0);
    tw_free(&t);
}

/* A source disconnected because its only neighbour had no keys yet
 * searches again with its first message after retry_after.  SO - M - S
 * (M(0), SO(1), S(2)); M registers at 15 s (its first two REGISTER are
 * dropped); S finds no path at 5 s, drops its messages of 5 (pending),
 * 10, 15 and 20 s, and at 25 s goes through M. */
void test_retry_after_disconnection(void)
{
    tworld t;
    late_reg late = {.node = 0, .until = 12 * SIM_S};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "pool: 4, ring: 4, retry_after: 20s", "SOS",
                             "{a: 1, b: 0}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    sim_world_run(t.w, 24 * SIM_S, 0);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_DISCONNECTED);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.dropped"), 4, 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(late.dropped, 2);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 2), 2);
    CU_ASSERT(dini_same_key(t.w, 2, 1, dini_channel_key(t.w, 2)));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.unreachable_detection"), 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.dropped"), 4, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.generated"), 22, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.at_so"), 18, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"), 18, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 0, 0);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Data on a channel through three intermediate nodes
 * ---------------------------------------------------------------------- */

/* The relays of source d's channel in CHAIN4 (d = 4, c = 3, b = 2, a = 0;
 * the SO is 1). */
static const uint32_t chain4_relay[3] = {3, 2, 0};

/* Runs CHAIN4 with protocol options `proto`: to 15 s (every channel set
 * up), snapshot of the relays' crypto counters, then to the end; checks
 * what every relay of d's channel did for the data it relayed since:
 * with per_hop_mac one open (the MAC of the hop it came over) and one
 * seal (its own MAC) per relayed transmission, without nothing at all:
 * its seals are its own data, one each, and it opens nothing.  Every
 * datum opens at the SO, and no nonce is used twice under one key. */
static void chain4_relays(const char *proto, int per_hop, hop_log *log)
{
    tworld t;
    nonce_log *nl = calloc(1, sizeof *nl);
    cry_ops before[3];
    int mark;

    CU_ASSERT_FATAL(nl != NULL);
    CU_ASSERT_FATAL(tw_build(&t, CHAIN4_SEED, "40s", proto,
                             CHAIN4_ROLES, CHAIN4_LINKS,
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    sim_world_add_tap(t.w, hop_tap, log);
    sim_world_add_tap(t.w, nonce_tap, nl);
    sim_world_run(t.w, 15 * SIM_S, 0);
    for (uint32_t s = 0; s <= 4; s++)
        if (s != 1)
            CU_ASSERT_EQUAL(dini_channel_state(t.w, s), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 4), 4);
    for (int i = 0; i < 3; i++)
        before[i] = *dini_node_ops(t.w, chain4_relay[i]);
    mark = log->n;
    tw_run_all(&t);
    assert_all_data_opened(t.w);
    CU_ASSERT(nl->n > 50);
    CU_ASSERT_FALSE(nl->full);
    CU_ASSERT_EQUAL(nl->reused, 0);
    for (int i = 0; i < 3; i++) {
        uint32_t v = chain4_relay[i];
        const cry_ops *now = dini_node_ops(t.w, v);
        uint64_t own = 0, relayed = 0;
        for (int j = mark; j < log->n; j++)
            if (log->from[j] == v) {
                own += log->src[j] == v;
                relayed += log->src[j] != v;
            }
        CU_ASSERT(own > 0);
        CU_ASSERT(relayed > 0);
        CU_ASSERT_EQUAL(now->n[CRY_OP_OPEN] - before[i].n[CRY_OP_OPEN],
                        per_hop ? relayed : 0);
        CU_ASSERT_EQUAL(now->n[CRY_OP_SEAL] - before[i].n[CRY_OP_SEAL],
                        per_hop ? 2 * own + relayed : own);
    }
    tw_free(&t);
    free(nl);
}

/* Default (seed 001: no hop-by-hop encryption on an established channel):
 * d's data cross c, b and a exactly as d sealed them: hop sender d on
 * every link, only the data part sealed, the same bytes on every hop, and
 * the relays do no AEAD operation on them (chain4_relays). */
void test_channel_end_to_end(void)
{
    hop_log *log = calloc(1, sizeof *log);
    int far_tx = 0, pairs = 0;

    CU_ASSERT_FATAL(log != NULL);
    chain4_relays("pool: 4, ring: 4, search_hops: 3", 0, log);
    for (int i = 0; i < log->n; i++) {
        CU_ASSERT_EQUAL(log->hop_from[i], log->src[i]);
        CU_ASSERT_EQUAL(log->flags[i], SIM_F_DATA_SEALED);
        if (log->src[i] == 4)
            far_tx++;
        for (int j = 0; j < i; j++)
            if (log->src[j] == log->src[i] && log->seq[j] == log->seq[i]) {
                CU_ASSERT(memcmp(log->data[j], log->data[i],
                                 CRY_HASH_BYTES) == 0);
                CU_ASSERT(log->from[j] != log->from[i]);
                pairs++;
            }
    }
    /* d's messages crossed 4 links each, through c, b and a. */
    CU_ASSERT(far_tx >= 8);
    CU_ASSERT_EQUAL(far_tx % 4, 0);
    CU_ASSERT(pairs > 0);
    free(log);
}

/* per_hop_mac (kmsim extension): every transmission carries the
 * transmitting node as hop sender (the header was MACed again there),
 * both parts sealed, the same data part on every hop; each relay opened
 * and sealed one MAC per relayed transmission (chain4_relays). */
void test_channel_per_hop_mac(void)
{
    hop_log *log = calloc(1, sizeof *log);
    int far_tx = 0;

    CU_ASSERT_FATAL(log != NULL);
    chain4_relays("pool: 4, ring: 4, search_hops: 3, per_hop_mac: true", 1,
                  log);
    for (int i = 0; i < log->n; i++) {
        CU_ASSERT_EQUAL(log->hop_from[i], log->from[i]);
        CU_ASSERT_EQUAL(log->flags[i],
                        SIM_F_CTL_SEALED | SIM_F_DATA_SEALED);
        far_tx += log->src[i] == 4;
        for (int j = 0; j < i; j++)
            if (log->src[j] == log->src[i] && log->seq[j] == log->seq[i])
                CU_ASSERT(memcmp(log->data[j], log->data[i],
                                 CRY_HASH_BYTES) == 0);
    }
    CU_ASSERT(far_tx >= 8);
    CU_ASSERT_EQUAL(far_tx % 4, 0);
    free(log);
}

/* Alters one header field of the first DATA message of `src` on its
 * first link, after `after`: `off` is the byte offset, the field is
 * overwritten with `val` (4 bytes). */
typedef struct hdr_tamper {
    uint32_t src, off, val;
    sim_time after;
    int done;
} hdr_tamper;

static sim_tap_verdict hdr_tamper_tap(void *ctx, sim_world *w, uint32_t link,
                                      uint32_t from, uint32_t to, sim_pkt *p)
{
    hdr_tamper *h = ctx;
    (void)link; (void)to;
    if (h->done || sim_pkt_type_of(p) != SIM_PKT_DATA ||
        sim_pkt_src(p) != h->src || from != h->src ||
        sim_world_now(w) < h->after)
        return SIM_TAP_PASS;
    p->buf[h->off] = (unsigned char)h->val;
    p->buf[h->off + 1] = (unsigned char)(h->val >> 8);
    p->buf[h->off + 2] = (unsigned char)(h->val >> 16);
    p->buf[h->off + 3] = (unsigned char)(h->val >> 24);
    h->done = 1;
    return SIM_TAP_PASS;
}

/* CHAIN4, d's message altered on d -> c at 15 s: header field at `off`
 * set to `val`.  Returns how many links the altered message crossed
 * (those with val at off: seq is logged; for hop_from the first link)
 * through *crossed, and leaves the world's counters in *rejected (world:
 * net.rejected) and *so_rejected (dini.rejected). */
static void chain4_tamper(const char *proto, uint32_t off, uint32_t val,
                          int *crossed, double *rejected, double *so_rej,
                          double *lost)
{
    tworld t;
    hop_log *log = calloc(1, sizeof *log);
    hdr_tamper h = {.src = 4, .off = off, .val = val, .after = 15 * SIM_S};

    CU_ASSERT_FATAL(log != NULL);
    CU_ASSERT_FATAL(tw_build(&t, CHAIN4_SEED, "40s", proto,
                             CHAIN4_ROLES, CHAIN4_LINKS,
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    sim_world_add_tap(t.w, hdr_tamper_tap, &h);
    sim_world_add_tap(t.w, hop_tap, log);
    tw_run_all(&t);
    CU_ASSERT_FATAL(h.done);
    *crossed = 0;
    for (int i = 0; i < log->n; i++)
        *crossed += log->src[i] == 4 && log->seq[i] == val;
    *rejected = met(t.w, "net.rejected");
    *so_rej = met(t.w, "dini.rejected");
    *lost = met(t.w, "data.generated") - met(t.w, "dini.data.opened");
    tw_free(&t);
    free(log);
}

/* Tampering with the clear header of data on a channel, both ways.
 * seq (associated data of the end-to-end seal): by default the altered
 * message crosses all 4 links and the SO refuses it; with per_hop_mac the
 * first relay refuses it, it crosses 1 link.  hop_from (not covered end
 * to end, the nonce of the per-hop MAC): by default nobody notices (the
 * SO opens the message); with per_hop_mac the first relay refuses it. */
void test_tampered_header_both_ways(void)
{
    const uint32_t seq_off = 12, hop_off = 28, bad = 0x7eadbeefu;
    int crossed;
    double rej, so_rej, lost;

    chain4_tamper("pool: 4, ring: 4, search_hops: 3", seq_off, bad,
                  &crossed, &rej, &so_rej, &lost);
    CU_ASSERT_EQUAL(crossed, 4);
    CU_ASSERT_DOUBLE_EQUAL(so_rej, 1, 0);     /* at the SO, end to end */
    CU_ASSERT_DOUBLE_EQUAL(rej, 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(lost, 1, 0);

    chain4_tamper("pool: 4, ring: 4, search_hops: 3, per_hop_mac: true",
                  seq_off, bad, &crossed, &rej, &so_rej, &lost);
    CU_ASSERT_EQUAL(crossed, 1);              /* d -> c, refused at c */
    CU_ASSERT_DOUBLE_EQUAL(so_rej, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(rej, 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(lost, 1, 0);

    chain4_tamper("pool: 4, ring: 4, search_hops: 3", hop_off, 2,
                  &crossed, &rej, &so_rej, &lost);
    CU_ASSERT_DOUBLE_EQUAL(rej, 0, 0);        /* not covered: accepted */
    CU_ASSERT_DOUBLE_EQUAL(lost, 0, 0);

    chain4_tamper("pool: 4, ring: 4, search_hops: 3, per_hop_mac: true",
                  hop_off, 2, &crossed, &rej, &so_rej, &lost);
    CU_ASSERT_DOUBLE_EQUAL(so_rej, 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(rej, 1, 0);        /* at c, the next hop */
    CU_ASSERT_DOUBLE_EQUAL(lost, 1, 0);
}

/* ------------------------------------------------------------------------
 * Attacks on key messages
 * ---------------------------------------------------------------------- */

/* One replacement round at 22 s whose change message is altered on the
 * air: the holder rejects it and keeps the old key.  The SO has switched
 * but keeps the previous value until every holder acks (none does), so
 * the holder's later data (25, 30, 35 s) still open under it. */
void test_tampered_rekey_rejected(void)
{
    tworld t;
    tamper tp = {.type = DT_REKEY, .dst = SIM_NONE, .max = 0};
    uint64_t k;

    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             "pool: 4, ring: 4, rekey_every: 22s", "SO",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, tamper_tap, &tp);
    tw_run_all(&t);
    k = dini_channel_key(t.w, 0);
    CU_ASSERT(tp.done >= 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey"), tp.done, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.rejected"), tp.done, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey_ack"), 0, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 0);
    CU_ASSERT(dini_holds(t.w, 0, k) && dini_holds(t.w, 1, k));
    CU_ASSERT_FALSE(dini_same_key(t.w, 0, 1, k));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.generated"), 7, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.at_so"), 7, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "net.rejected"), 0, 0);
    /* Only the altered change message(s) failed to open. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), tp.done, 0);
    tw_free(&t);
}

/* Offers replaced by random bytes on the air: the source rejects every
 * one, never acknowledges, no connection table entry and no channel. */
void test_forged_offer_rejected(void)
{
    tworld t;
    tamper tp = {.type = DT_OFFER, .dst = SIM_NONE, .random = 1,
                 .x = 0x9e3779b97f4a7c15ull};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s", "pool: 4, ring: 4", "SO",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, tamper_tap, &tp);
    tw_run_all(&t);
    CU_ASSERT(tp.done >= 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), tp.done, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.kack"), 0, 0);
    CU_ASSERT(dini_channel_state(t.w, 0) != DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_ct(t.w, 0, 1), DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_ct(t.w, 1, 0), DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_n_local(t.w, 0), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "data.at_so"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"), 0, 0);
    tw_free(&t);
}

/* The type byte in clear is repeated inside the sealed part: an offer
 * relabelled as an acknowledgement on the air is refused as such (and
 * the channel is not made from it); the offer's retransmission, untouched,
 * then sets the channel up. */
void test_tampered_type_rejected(void)
{
    tworld t;
    retype rt = {.from_type = DT_OFFER, .to_type = DT_KACK};

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "pool: 4, ring: 4", "SO",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, retype_tap, &rt);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(rt.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.retransmissions"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.kack"), 1, 0);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_ct(t.w, 1, 0), dini_ct(t.w, 0, 1));
    CU_ASSERT(met(t.w, "data.generated") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"),
                           met(t.w, "data.generated"), 0);
    tw_free(&t);
}
