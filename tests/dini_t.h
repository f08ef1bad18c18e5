/* dini_t.h — private to test_dini*.c, the files of the test_dini program:
 * the message types of dini*.c, the tworld fixture (defined once in
 * test_dini.c, where the worlds are made), the metric helpers and the
 * taps more than one file uses (static inline, one copy per file), the
 * CHAIN4 world, and the test functions test_dini.c registers from the
 * other files. */
#ifndef KMSIM_DINI_T_H
#define KMSIM_DINI_T_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "scenario.h"
#include "cry.h"
#include "dini.h"
#include "proto.h"
#include "kb.h"
#include "wipelog.h"

/* Message types of dini*.c (their private enum, dini_int.h): the first byte of the clear
 * control part of a SIM_PKT_CONTROL message. */
enum { DT_KEYS = 1, DT_FINDG, DT_FINDG_ACK, DT_PAIRREQ, DT_OFFER, DT_KACK,
       DT_READY, DT_REKEY, DT_REKEY_ACK, DT_INVAL, DT_ACK, DT_MOVE,
       DT_KTREQ, DT_KTKEY, DT_MOVE_OK, DT_RENEW, DT_SEARCH, DT_SEARCH_REPLY,
       DT_PFAIL };

/* ------------------------------------------------------------------------
 * Worlds and metrics
 * ---------------------------------------------------------------------- */

#define DRAIN (5 * SIM_S)   /* run past the end so nothing is in flight */

typedef struct tworld {
    scenario *sc;
    sim_world *w;
} tworld;

/* A scenario text: explicit topology (node id = index), 1 Mbit/s links of
 * 1 ms, exp(10 ms) service; `proto` follows "name: dini, ".  Unless
 * `proto` names findglobalkey, the radio reading (only radio neighbours
 * pair on a global key): the tests of the adjacent-node branches, the
 * search and the channels through intermediate nodes are written for it;
 * the network reading has its own tests. */
static inline void yaml_fmt(char *buf, size_t n, const char *duration,
                            const char *proto, const char *nodes,
                            const char *links, const char *traffic)
{
    int len = snprintf(buf, n,
        "name: dini-test\nseed: 1\nduration: %s\n"
        "protocol: {name: dini, %s%s}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
        "  nodes: [%s]\n  links: [%s]\n"
        "traffic: {%s}\n"
        "smart_object: {service: 'exp(10ms)'}\n",
        duration, strstr(proto, "findglobalkey") ? "" : "findglobalkey: radio, ",
        proto, nodes, links, traffic);
    CU_ASSERT_FATAL(len > 0 && (size_t)len < n);
}

/* The nodes list of a roles string: 'O' smart object, anything else a
 * source; node i has id i. */
static inline const char *nodes_of(char *buf, size_t n, const char *roles)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; roles[i]; i++) {
        int k = snprintf(buf + len, n - len, "%s{id: %zu, role: %s}",
                         i ? ", " : "", i,
                         roles[i] == 'O' ? "smart_object" : "source");
        CU_ASSERT_FATAL(k > 0 && (size_t)k < n - len);
        len += (size_t)k;
    }
    return buf;
}

/* The tworld fixture, in test_dini.c: tw_new builds the world of `yaml`
 * with `seed` (0, or -1 with a message printed), tw_build from the parts
 * of yaml_fmt; tw_run_all runs to the end plus DRAIN and writes the
 * metrics; tw_free frees both. */
int tw_new(tworld *t, const char *yaml, uint64_t seed);
int tw_build(tworld *t, uint64_t seed, const char *duration,
             const char *proto, const char *roles, const char *links,
             const char *traffic);
void tw_run_all(tworld *t);
void tw_free(tworld *t);

/* Counter sum, value, or samples mean of metric `name` (entity ""). */
static inline double met(sim_world *w, const char *name)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, "");
    if (id < 0) {
        fprintf(stderr, "no metric %s\n", name);
        CU_FAIL("metric missing");
        return NAN;
    }
    return ana_metric_get(m, id);
}

/* Number of samples of a SAMPLES metric. */
static inline uint64_t met_n(sim_world *w, const char *name)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, "");
    const ana_welford *s = id >= 0 ? ana_metric_samples(m, id) : NULL;
    if (!s) {
        fprintf(stderr, "no samples metric %s\n", name);
        CU_FAIL("metric missing");
        return 0;
    }
    return s->n;
}

/* Every message generated reached the SO and was opened there: nothing
 * rejected, dropped or left pending. */
static inline void assert_all_data_opened(sim_world *w)
{
    double gen = met(w, "data.generated");
    CU_ASSERT(gen > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, "data.at_so"), gen, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, "dini.data.opened"), gen, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, "dini.rejected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, "dini.data.dropped"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, "net.rejected"), 0, 0);
}

/* Runs in 50 ms steps until `node`'s channel state is `state` or the
 * scenario ends; returns 1 if it got there. */
static inline int run_until_state(tworld *t, uint32_t node, int state)
{
    for (sim_time now = 50 * SIM_MS; now < t->sc->duration;
         now += 50 * SIM_MS) {
        sim_world_run(t->w, now, 0);
        if (dini_channel_state(t->w, node) == state)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Taps
 * ---------------------------------------------------------------------- */

static inline int is_ctl_type(sim_pkt *p, int type)
{
    return sim_pkt_type_of(p) == SIM_PKT_CONTROL &&
           sim_pkt_ctl_len(p) >= 1 && sim_pkt_ctl(p)[0] == type;
}

/* Drops the REGISTER requests of one source before a given time: with
 * register_retry the source registers later than the others. */
typedef struct late_reg {
    uint32_t node;
    sim_time until;
    int dropped;
} late_reg;

static inline sim_tap_verdict late_reg_tap(void *ctx, sim_world *w,
                                           uint32_t link, uint32_t from,
                                           uint32_t to, sim_pkt *p)
{
    late_reg *l = ctx;
    (void)link; (void)from; (void)to;
    if (sim_pkt_type_of(p) == SIM_PKT_REGISTER && sim_pkt_src(p) == l->node &&
        sim_world_now(w) < l->until) {
        l->dropped++;
        return SIM_TAP_DROP;
    }
    return SIM_TAP_PASS;
}

/* Alters the sealed data part of control messages of one type: flips one
 * byte, or overwrites it all with pseudo-random bytes. */
typedef struct tamper {
    int type;                /* DT_*                                      */
    uint32_t dst;            /* only messages to this node (SIM_NONE: all) */
    int random;              /* 1: replace the whole part                 */
    int max;                 /* at most this many (0: no limit)           */
    int done;
    uint64_t x;              /* xorshift state                            */
} tamper;

static inline sim_tap_verdict tamper_tap(void *ctx, sim_world *w,
                                         uint32_t link, uint32_t from,
                                         uint32_t to, sim_pkt *p)
{
    tamper *t = ctx;
    unsigned char *d;
    uint32_t len;
    (void)w; (void)link; (void)from; (void)to;

    if (!is_ctl_type(p, t->type) || (t->max && t->done >= t->max) ||
        (t->dst != SIM_NONE && sim_pkt_dst(p) != t->dst))
        return SIM_TAP_PASS;
    CU_ASSERT(sim_pkt_flags(p) & SIM_F_DATA_SEALED);
    d = sim_pkt_data(p);
    len = sim_pkt_data_len(p);
    if (t->random) {
        for (uint32_t i = 0; i < len; i++) {
            t->x ^= t->x << 13;
            t->x ^= t->x >> 7;
            t->x ^= t->x << 17;
            d[i] = (unsigned char)t->x;
        }
    } else {
        d[len / 2] ^= 0x01;
    }
    t->done++;
    return SIM_TAP_PASS;
}

/* Drops control messages of one type (to dst, or all when SIM_NONE):
 * skips the first `skip`, then drops at most `max` (0: all). */
typedef struct dropper {
    int type;
    uint32_t dst;
    int skip, max, seen, dropped;
} dropper;

static inline sim_tap_verdict drop_tap(void *ctx, sim_world *w, uint32_t link,
                                       uint32_t from, uint32_t to, sim_pkt *p)
{
    dropper *d = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (!is_ctl_type(p, d->type) ||
        (d->dst != SIM_NONE && sim_pkt_dst(p) != d->dst))
        return SIM_TAP_PASS;
    if (d->seen++ < d->skip || (d->max && d->dropped >= d->max))
        return SIM_TAP_PASS;
    d->dropped++;
    return SIM_TAP_DROP;
}

static inline uint64_t get64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* Every sealed part seen on the links by (part, key name, nonce sender,
 * nonce counter) with a hash of its ciphertext: the same nonce under the
 * same key name with another ciphertext is a reused nonce.  (Only for
 * worlds without replacement, where a name always has the same value.) */
#define NONCE_MAX 2048
typedef struct nonce_log {
    int n, reused, full;
    struct {
        uint64_t name, ctr;
        uint32_t sender;
        int part;
        unsigned char h[CRY_HASH_BYTES];
    } r[NONCE_MAX];
} nonce_log;

static inline void nonce_note(nonce_log *l, int part, uint64_t name,
                              uint32_t sender, uint64_t ctr,
                              const unsigned char *c, size_t len)
{
    unsigned char h[CRY_HASH_BYTES];

    cry_hash(h, c, len);
    for (int i = 0; i < l->n; i++)
        if (l->r[i].part == part && l->r[i].name == name &&
            l->r[i].sender == sender && l->r[i].ctr == ctr) {
            if (memcmp(l->r[i].h, h, sizeof h) != 0)
                l->reused++;
            return;
        }
    if (l->n == NONCE_MAX) {
        l->full = 1;
        return;
    }
    l->r[l->n].part = part;
    l->r[l->n].name = name;
    l->r[l->n].sender = sender;
    l->r[l->n].ctr = ctr;
    memcpy(l->r[l->n].h, h, sizeof h);
    l->n++;
}

static inline sim_tap_verdict nonce_tap(void *ctx, sim_world *w, uint32_t link,
                                        uint32_t from, uint32_t to, sim_pkt *p)
{
    nonce_log *l = ctx;
    const unsigned char *b = p->buf;
    uint64_t name = sim_pkt_key_name(p);
    (void)w; (void)link; (void)from; (void)to;

    if (sim_pkt_flags(p) & SIM_F_CTL_SEALED)          /* hop sender */
        nonce_note(l, 0, name, (uint32_t)get64(b + 28), get64(b + 32),
                   sim_pkt_ctl(p), sim_pkt_ctl_len(p));
    if (sim_pkt_flags(p) & SIM_F_DATA_SEALED)         /* src */
        nonce_note(l, 1, name, sim_pkt_src(p), get64(b + 40),
                   sim_pkt_data(p), sim_pkt_data_len(p));
    return SIM_TAP_PASS;
}

/* ------------------------------------------------------------------------
 * A world, a tap and an accessor more than one file uses
 * ---------------------------------------------------------------------- */

/* Chain SO - a - b - c - d: nodes a(0), SO(1), b(2), c(3), d(4).  First
 * messages spread over uniform(1s, 9s), so that the channels are set up
 * one after another (with every first message at 5 s, c never gets its
 * channel: see test_bug_findg_answer_after_local_key). */
#define CHAIN4_ROLES "SOSSS"
#define CHAIN4_LINKS "{a: 1, b: 0}, {a: 0, b: 2}, {a: 2, b: 3}, {a: 3, b: 4}"
#define CHAIN4_SEED 1

/* Any control message sealed under key `name` after `from`. */
typedef struct key_watch {
    uint64_t name;
    sim_time from;
    int seen;
} key_watch;

static inline sim_tap_verdict key_watch_tap(void *ctx, sim_world *w,
                                            uint32_t link, uint32_t from,
                                            uint32_t to, sim_pkt *p)
{
    key_watch *k = ctx;
    (void)link; (void)from; (void)to;
    if (sim_world_now(w) >= k->from && (sim_pkt_flags(p) & SIM_F_DATA_SEALED)
        && sim_pkt_key_name(p) == k->name)
        k->seen++;
    return SIM_TAP_PASS;
}

/* The protocol's ops table (hooks.h). */
static inline const scn_proto_ops *ops_of(tworld *t)
{
    return t->sc->proto;
}

/* ------------------------------------------------------------------------
 * Defined in the other files, registered by test_dini.c
 * ---------------------------------------------------------------------- */

/* test_dini_setup.c */
void test_direct_so(void);
void test_direct_source(void);
void test_channel_reused(void);
void test_setup_seq_so(void);
void test_setup_seq_source(void);
void test_adjacent_global_so(void);
void test_adjacent_global_source(void);
void test_adjacent_local_so(void);
void test_adjacent_local_source(void);
void test_local_key_named_zero(void);
void test_concurrent_propagations(void);
void test_search_three_intermediates(void);
void test_search_bounded(void);
void test_disconnected_no_shared_key(void);
void test_retry_after_disconnection(void);
void test_channel_end_to_end(void);
void test_channel_per_hop_mac(void);
void test_tampered_header_both_ways(void);
void test_tampered_rekey_rejected(void);
void test_forged_offer_rejected(void);
void test_tampered_type_rejected(void);

/* test_dini_search.c */
void test_network_vs_radio(void);
void test_dead_end_detection_grows(void);
void test_mesh_pays_dead_ends(void);
void test_empty_findg_next_candidate(void);
void test_mn_k_branch(void);
void test_findglobalkey_option(void);
void test_search_garbled_refused(void);
void test_search_state_bounded(void);
void test_pairreq_retry_reuses_key(void);
void test_source_retry_reuses_key(void);
void test_kincr_exhaustion_counted(void);
void test_relays_keep_confirmed_key(void);
void test_late_pfail_ignored(void);
void test_search_reply_once_per_child(void);
void test_findg_ack_repeat_fails_once(void);
void test_findg_master_not_named(void);
void test_search_bounds(void);

/* test_dini_replace.c */
int register_review_tests(CU_pSuite r);   /* suite dini_review */
void test_rekey_rounds(void);
void test_invalidation_no_renewal(void);
void test_invalidation_renewal(void);
void test_key_counters_renew(void);
void test_key_counters_no_renew(void);
void test_inval_residual(void);
void test_renew_without_inval(void);
void test_renew_tampered_and_lost(void);
void test_wipe_on_rekey(void);
void test_wipe_on_invalidation(void);
void test_wipe_on_world_free(void);
void test_rekey_completed_fraction(void);
void test_lossy_links_recover(void);
void test_setup_timeout_restarts(void);
void test_search_timeout(void);
void test_rekey_ack_lost(void);
void test_rekey_on_demand(void);
void test_rekey_on_reject(void);

/* test_dini_move.c */
int tw_moves(tworld *t, const char *proto, const char *roles,
             const char *links, const char *moves);
void test_move_so_keys(void);
void test_move_source_keys(void);
void test_move_away_and_back(void);
void test_move_away_and_back_so(void);
void test_move_away_and_back_source(void);
void test_move_forged_refused(void);
void test_via_so_publish(void);
void test_via_so_tampered_publish(void);

/* test_dini_atk.c */
void test_atk_capture_source(void);
void test_atk_capture_so(void);
void test_atk_leak_react(void);
void test_renew_forged_refused(void);
void test_inval_replace_local(void);
void test_replace_local_replay(void);
void test_inval_rekey_under_old(void);
void test_atk_react_capture(void);
void test_atk_react_captured_old_so(void);
void test_atk_learn_rekey(void);
void test_atk_learn_offer_keys(void);
void test_atk_learn_garbage(void);
void test_atk_replay_refused(void);

#endif
