/* test_dini_search.c — part of the test_dini program (main in
 * test_dini.c): discovery by messages (sim/proto/dini_search.c): the
 * network and radio readings of findGlobalKey, dead ends, (M,N)_K, and
 * the review findings on search and propagation (garbled and blanked
 * answers, bounded state, retries that reuse a key, PFAIL, options).
 * Suite dini. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dini_t.h"

/* ------------------------------------------------------------------------
 * Discovery by messages, findGlobalKey readings, (M,N)_K
 * ---------------------------------------------------------------------- */

/* Counts the SEARCH transmissions of the searches started by `origin`
 * (the id's high half, read from the clear body) and every SEARCH and
 * answer. */
typedef struct search_log {
    uint32_t origin;
    int of_origin, search, reply;
} search_log;

static sim_tap_verdict search_tap(void *ctx, sim_world *w, uint32_t link,
                                  uint32_t from, uint32_t to, sim_pkt *p)
{
    search_log *l = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (is_ctl_type(p, DT_SEARCH_REPLY))
        l->reply++;
    if (!is_ctl_type(p, DT_SEARCH) || sim_pkt_data_len(p) < 9)
        return SIM_TAP_PASS;
    l->search++;
    if ((uint32_t)(get64(sim_pkt_data(p) + 1) >> 32) == l->origin)
        l->of_origin++;
    return SIM_TAP_PASS;
}

/* Chain SO - 1 - 2 - 3 (source 3 is 3 hops from its SO), every pair
 * sharing the global keys.  network: each source pairs directly with the
 * SO over the routed network (one hop, no search, relays are not channel
 * members); radio: source 3 needs the search and a channel through 1 and
 * 2 (search_hops 2), and stays disconnected without it (search_hops 0). */
#define CHAIN3_LINKS "{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}"

void test_network_vs_radio(void)
{
    tworld t;
    search_log l = {.origin = 3};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "findglobalkey: network, pool: 4, ring: 4, "
                             "search_hops: 0", "OSSS", CHAIN3_LINKS,
                             "interval: 'const(5s)', size: 32B") == 0);
    tw_run_all(&t);
    for (uint32_t v = 1; v <= 3; v++) {
        CU_ASSERT_EQUAL(dini_channel_state(t.w, v), DINI_CH_READY);
        CU_ASSERT_EQUAL(dini_channel_hops(t.w, v), 1);
        CU_ASSERT_EQUAL(dini_ct(t.w, v, 0), dini_channel_key(t.w, v));
        CU_ASSERT(dini_same_key(t.w, v, 0, dini_channel_key(t.w, v)));
    }
    /* Relays do not hold 3's key. */
    CU_ASSERT_FALSE(dini_holds(t.w, 2, dini_channel_key(t.w, 3)));
    CU_ASSERT_FALSE(dini_holds(t.w, 1, dini_channel_key(t.w, 3)));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.search"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 3, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup.hops1"), 3);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channel_setup.discovery"), 0, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);

    /* radio, search_hops 0: 3 (and 2) cannot be reached. */
    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "findglobalkey: radio, pool: 4, ring: 4, "
                             "search_hops: 0, retry_after: 0",
                             "OSSS", CHAIN3_LINKS,
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, search_tap, &l);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_DISCONNECTED);
    CU_ASSERT(l.of_origin > 0);
    CU_ASSERT(met(t.w, "dini.msgs.search") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.search"), l.search, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.search_reply"), l.reply, 0);
    CU_ASSERT(met(t.w, "dini.bytes.search") > 0);
    tw_free(&t);

    /* radio, search_hops 2: 3 goes through 2 and 1. */
    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "findglobalkey: radio, pool: 4, ring: 4, "
                             "search_hops: 2", "OSSS", CHAIN3_LINKS,
                             "interval: 'const(5s)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 3);
    CU_ASSERT(dini_holds(t.w, 2, dini_channel_key(t.w, 3)));
    CU_ASSERT(met(t.w, "dini.msgs.search") > 0);
    CU_ASSERT(met(t.w, "dini.channel_setup.discovery") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 0, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* Source 5 sits 5 hops from the SO on a chain that goes on into a
 * dead-end branch (6 - 7 - 8 - 9): SO - 1 - 2 - 3 - 4 - 5 - 6 - 7 - 8 - 9,
 * radio reading.  With search_hops 0..3 it cannot be reached (4 relays
 * needed); its search explores both ways up to the TTL, so its SEARCH
 * messages and the time to the verdict grow with search_hops; the verdict
 * comes from the answers (no time-out, no setup_timeout). */
void test_dead_end_detection_grows(void)
{
    double prev_det = 0;
    int prev_msgs = 0;

    for (int h = 0; h <= 3; h++) {
        tworld t;
        search_log l = {.origin = 5};
        char proto[128];
        double det;

        snprintf(proto, sizeof proto,
                 "pool: 4, ring: 4, search_hops: %d, retry_after: 0", h);
        CU_ASSERT_FATAL(tw_build(&t, 1, "20s", proto, "OSSSSSSSSS",
                                 "{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}, "
                                 "{a: 3, b: 4}, {a: 4, b: 5}, {a: 5, b: 6}, "
                                 "{a: 6, b: 7}, {a: 7, b: 8}, {a: 8, b: 9}",
                                 "interval: 'const(5s)', size: 32B") == 0);
        sim_world_add_tap(t.w, search_tap, &l);
        tw_run_all(&t);
        CU_ASSERT_EQUAL(dini_channel_state(t.w, 5), DINI_CH_DISCONNECTED);
        CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.setup_timeouts"), 0, 0);
        det = met(t.w, "dini.unreachable_detection");
        /* 5 asks its two neighbours; each forwards while TTL lasts. */
        CU_ASSERT_EQUAL(l.of_origin, 2 + 2 * h);
        CU_ASSERT(det < 1.0);            /* answers, not time-outs (1 s) */
        if (h > 0) {
            CU_ASSERT(det > prev_det);
            CU_ASSERT(l.of_origin > prev_msgs);
        }
        prev_det = det;
        prev_msgs = l.of_origin;
        tw_free(&t);
    }
}

/* A 3 x 3 grid (node 0, the SO, at a corner; source 8 at the opposite
 * corner, 4 hops away), radio reading, search_hops 3: 8 gets a 4-hop
 * channel, but its search also explored the other branches of the mesh:
 * more SEARCH messages than the 4 hops of the path it found. */
void test_mesh_pays_dead_ends(void)
{
    tworld t;
    search_log l = {.origin = 8};

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "pool: 4, ring: 4, search_hops: 3",
                             "OSSSSSSSS",
                             "{a: 0, b: 1}, {a: 1, b: 2}, {a: 3, b: 4}, "
                             "{a: 4, b: 5}, {a: 6, b: 7}, {a: 7, b: 8}, "
                             "{a: 0, b: 3}, {a: 3, b: 6}, {a: 1, b: 4}, "
                             "{a: 4, b: 7}, {a: 2, b: 5}, {a: 5, b: 8}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, search_tap, &l);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 8), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 8), 4);
    CU_ASSERT(l.of_origin > 4);
    CU_ASSERT(met(t.w, "dini.msgs.search_reply") >= l.of_origin);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* Zeroes the key named in the first findGlobalKey answer sent by `from`
 * (a clear message: [type][tag][name][seq]); remembers its receiver. */
typedef struct findg_blank {
    uint32_t from, to;
    int done;
} findg_blank;

static sim_tap_verdict findg_blank_tap(void *ctx, sim_world *w, uint32_t link,
                                       uint32_t from, uint32_t to, sim_pkt *p)
{
    findg_blank *f = ctx;
    (void)w; (void)link; (void)to;
    if (f->done || !is_ctl_type(p, DT_FINDG_ACK) || from != f->from ||
        sim_pkt_data_len(p) != 17)
        return SIM_TAP_PASS;
    memset(sim_pkt_data(p) + 5, 0, 8);
    f->to = sim_pkt_dst(p);
    f->done = 1;
    return SIM_TAP_PASS;
}

/* Diamond SO(0) - 1 - S(3), SO - 2 - S, radio reading: S's search finds
 * two paths.  The findGlobalKey answer of the first propagation's hop to
 * S comes back empty: that node tells S (PFAIL) and S sets up the other
 * candidate at once, not after setup_timeout (10 s here).  Nothing of the
 * failed path stays: the SO drops the key it had handed along it when S
 * asks along the next one, and the relay that failed wipes its copy
 * setup_timeout after it got it (no data under it passed there). */
void test_empty_findg_next_candidate(void)
{
    tworld t;
    findg_blank f = {.from = 3};
    uint32_t other;
    uint64_t k;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: so, pool: 4, ring: 4, "
                             "setup_timeout: 10s",
                             "OSSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}, {a: 1, b: 3}, "
                             "{a: 2, b: 3}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, findg_blank_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_FATAL(f.done);
    CU_ASSERT_FATAL(f.to == 1 || f.to == 2);
    other = f.to == 1 ? 2 : 1;
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 2);
    k = dini_channel_key(t.w, 3);
    CU_ASSERT_EQUAL(dini_ct(t.w, 3, other), k);
    CU_ASSERT(dini_same_key(t.w, 3, 0, k));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.pfail"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.setup_timeouts"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.searches"), 1, 0);
    CU_ASSERT(met(t.w, "dini.channel_setup") < 1.0);
    /* The SO holds the 3 live keys only; the relay that failed only its
     * own channel's key, the other one its own and S's. */
    CU_ASSERT_EQUAL(dini_n_local(t.w, 0), 3);
    CU_ASSERT_EQUAL(dini_n_local(t.w, f.to), 1);
    CU_ASSERT_EQUAL(dini_n_local(t.w, other), 2);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.pending.expired"), 1, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* Chain SO(0) - M(1) - S(2) - X(3), radio reading: X's channel K goes
 * through S and M.  S's own set-up afterwards is Algorithm 1's (M,N)_K
 * branch: S holds K, shares it with M (CT) and its route entry says K's
 * channel goes up through M to its SO: channel (S, M, SO)K with no new
 * key and no message at all.  The seed is the first for which X is ready
 * before S starts (uniform first messages). */
void test_mn_k_branch(void)
{
    static const char *const counted[] = {
        "dini.msgs.pairreq", "dini.msgs.offer", "dini.msgs.kack",
        "dini.msgs.findg", "dini.msgs.ready", "dini.msgs.search",
        "dini.msgs.pfail", "dini.msgs.ack"};
    double before[8];
    tworld t;
    uint64_t k;
    int found = 0;

    for (uint64_t seed = 1; seed <= 40 && !found; seed++) {
        CU_ASSERT_FATAL(tw_build(&t, seed, "60s",
                                 "pool: 4, ring: 4, search_hops: 2",
                                 "OSSS", CHAIN3_LINKS,
                                 "interval: 'uniform(1s, 9s)', "
                                 "size: 32B") == 0);
        if (run_until_state(&t, 3, DINI_CH_READY) &&
            dini_channel_state(t.w, 2) == DINI_CH_NONE &&
            dini_channel_state(t.w, 1) != DINI_CH_PAIRING &&
            dini_channel_state(t.w, 1) != DINI_CH_SEARCHING) {
            found = 1;
            break;
        }
        tw_free(&t);
    }
    CU_ASSERT_FATAL(found);
    k = dini_channel_key(t.w, 3);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 3);
    CU_ASSERT_EQUAL(dini_ct(t.w, 2, 1), k);
    for (int i = 0; i < 8; i++)
        before[i] = met(t.w, counted[i]);
    CU_ASSERT_FATAL(run_until_state(&t, 2, DINI_CH_READY));
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 2), k);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 2), 2);
    /* Zero key messages (and zero discovery) for S's channel. */
    for (int i = 0; i < 8; i++)
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, counted[i]), before[i], 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 2), k);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup.hops2"), 1);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* An insider's SEARCH and answers: field by field out of range (TTL above
 * search_hops, empty path, unknown node id, an id that is not the path's
 * origin, a target that is no SO; an answer with a bad flag or a FOUND
 * without a path).  Each is refused (no answer, no change), and
 * once the garbling stops the source gets its channel (retry_after). */
typedef struct garble {
    int search, reply;       /* garbled so far                            */
} garble;

static sim_tap_verdict garble_tap(void *ctx, sim_world *w, uint32_t link,
                                  uint32_t from, uint32_t to, sim_pkt *p)
{
    garble *g = ctx;
    unsigned char *d = sim_pkt_data(p);
    uint32_t bad = 0xffffffffu;
    (void)w; (void)link; (void)from; (void)to;

    if (is_ctl_type(p, DT_SEARCH) && g->search < 5 &&
        sim_pkt_data_len(p) >= 1 + 14 + 4) {
        switch (g->search++) {
        case 0: d[1 + 12] = 255; break;                 /* TTL */
        case 1: d[1 + 13] = 0; break;                   /* path length */
        case 2: memcpy(d + 1 + 14, &bad, 4); break;     /* path[0] */
        case 3: d[1 + 4] ^= 1; break;                   /* id's origin */
        default: memcpy(d + 1 + 8, &bad, 4); break;     /* target */
        }
    } else if (is_ctl_type(p, DT_SEARCH_REPLY) && g->reply < 2 &&
               sim_pkt_data_len(p) >= 1 + 10) {
        if (g->reply++) {
            d[1 + 8] = 7;                  /* a flag that is neither */
        } else {
            d[1 + 8] = 1;                  /* FOUND without a path */
            d[1 + 9] = 0;
        }
    }
    return SIM_TAP_PASS;
}

void test_search_garbled_refused(void)
{
    tworld t;
    garble g = {0, 0};

    CU_ASSERT_FATAL(tw_build(&t, 1, "120s",
                             "pool: 4, ring: 4, search_hops: 1, "
                             "retry_after: 5s, search_timeout: 100ms",
                             "OSS", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(2s)', size: 32B") == 0);
    sim_world_add_tap(t.w, garble_tap, &g);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(g.search, 5);
    CU_ASSERT_EQUAL(g.reply, 2);
    /* A refused SEARCH gets no answer (its sender's time-out says NO). */
    CU_ASSERT(met(t.w, "dini.msgs.search_reply") + 5 <=
              met(t.w, "dini.msgs.search"));
    CU_ASSERT(met(t.w, "dini.disconnected") >= 1);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 2), 2);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 0, 0);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Review findings on search and propagation (each test failed before its
 * fix)
 * ---------------------------------------------------------------------- */

/* Blanks (names no key in) the findGlobalKey answers sent by `from`, the
 * first `max` of them; keeps a copy of the first one blanked. */
typedef struct findg_blank_n {
    uint32_t from;
    int max, done;
    uint32_t to;
    sim_pkt *copy;
} findg_blank_n;

static sim_tap_verdict findg_blank_n_tap(void *ctx, sim_world *w,
                                         uint32_t link, uint32_t from,
                                         uint32_t to, sim_pkt *p)
{
    findg_blank_n *f = ctx;
    (void)link; (void)to;
    if (f->done >= f->max || !is_ctl_type(p, DT_FINDG_ACK) ||
        from != f->from || sim_pkt_data_len(p) != 17)
        return SIM_TAP_PASS;
    memset(sim_pkt_data(p) + 5, 0, 8);
    if (!f->copy) {
        f->copy = sim_pkt_clone(w, p);
        f->to = sim_pkt_dst(p);
    }
    f->done++;
    return SIM_TAP_PASS;
}

/* H1: a source that cannot reach its SO searches again every retry_after
 * (here 1 s, ~300 searches); the state kept for searches, propagations,
 * candidates and channels stays that of the work under way, not one
 * entry per search.  Chain SO(0) - 1 - 2, radio, search_hops 0: 2 is
 * disconnected for the whole run. */
void test_search_state_bounded(void)
{
    tworld t;

    CU_ASSERT_FATAL(tw_build(&t, 1, "300s",
                             "pool: 4, ring: 4, search_hops: 0, "
                             "retry_after: 1s",
                             "OSS", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(500ms)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_DISCONNECTED);
    CU_ASSERT(met(t.w, "dini.searches") >= 200);
    CU_ASSERT(dini_state_size(t.w, "search") <= 8);
    CU_ASSERT_EQUAL(dini_check_counts(t.w), 0);   /* per-node tables */
    CU_ASSERT(dini_state_size(t.w, "prop") <= 4);
    CU_ASSERT(dini_state_size(t.w, "chan") <= 2);
    CU_ASSERT(dini_state_size(t.w, "cand") <= 4);
    tw_free(&t);
}

/* H2: the findGlobalKey exchange between S(1) and its SO(0) fails four
 * times (the answers of the key's generator's peer blanked), and each
 * time S asks again.  The generator reuses the key it made first, since
 * it never left it: S's channel key at last is <generator, 0> and no
 * K_incr was burnt.  so mode: the SO's hop to S fails (its PAIRREQs are
 * answered with the same channel record); source mode: S's hop to the SO. */
static void retry_reuses_key(int so_mode)
{
    tworld t;
    uint32_t gen = so_mode ? 0 : 1;
    findg_blank_n f = {.from = so_mode ? 1 : 0, .max = 4};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             so_mode ? "local_keys_from: so, pool: 4, "
                                       "ring: 4, retry_after: 2s"
                                     : "local_keys_from: source, pool: 4, "
                                       "ring: 4, retry_after: 2s",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(1s)', size: 32B") == 0);
    sim_world_add_tap(t.w, findg_blank_n_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(f.done, 4);
    if (so_mode) {
        CU_ASSERT(met(t.w, "dini.msgs.pairreq") >= 5);
        CU_ASSERT_EQUAL(dini_state_size(t.w, "chan"), 1);
    }
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), dini_local_name(t.w, gen, 0));
    CU_ASSERT_EQUAL(dini_n_local(t.w, gen), 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.keys.exhausted"), 0, 0);
    if (f.copy)
        sim_pkt_free(t.w, f.copy);
    tw_free(&t);
}

void test_pairreq_retry_reuses_key(void) { retry_reuses_key(1); }
void test_source_retry_reuses_key(void) { retry_reuses_key(0); }

/* Blanks every findGlobalKey answer from `from` to `to`. */
typedef struct findg_blank_to {
    uint32_t from, to;
    int done;
} findg_blank_to;

static sim_tap_verdict findg_blank_to_tap(void *ctx, sim_world *w,
                                          uint32_t link, uint32_t from,
                                          uint32_t to, sim_pkt *p)
{
    findg_blank_to *f = ctx;
    (void)w; (void)link;
    if (!is_ctl_type(p, DT_FINDG_ACK) || from != f->from || to != f->to ||
        sim_pkt_data_len(p) != 17)
        return SIM_TAP_PASS;
    memset(sim_pkt_data(p) + 5, 0, 8);
    f->done++;
    return SIM_TAP_PASS;
}

/* H2: K_incr exhaustion is counted, not silent.  d = 2 (four local keys
 * per node), local_keys_from: source, chain SO(0) - 1 - S(2): every
 * answer of the SO to 1 is blanked, so each attempt of S fails at hop
 * 1 -> SO after S handed its key to 1 (a fresh key each time); the fifth
 * finds no K_incr left. */
void test_kincr_exhaustion_counted(void)
{
    tworld t;
    findg_blank_to f = {.from = 0, .to = 1};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "d: 2, local_keys_from: source, pool: 4, "
                             "ring: 4, search_hops: 1, retry_after: 2s",
                             "OSS", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(1s)', size: 32B") == 0);
    sim_world_add_tap(t.w, findg_blank_to_tap, &f);
    tw_run_all(&t);
    CU_ASSERT(f.done >= 5);
    CU_ASSERT(met(t.w, "dini.keys.exhausted") >= 1);
    CU_ASSERT_NOT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    tw_free(&t);
}

/* Drops the first data packet sent by `from`. */
static sim_tap_verdict drop_first_data_tap(void *ctx, sim_world *w,
                                           uint32_t link, uint32_t from,
                                           uint32_t to, sim_pkt *p)
{
    int *dropped = ctx;
    (void)w; (void)link; (void)to;
    if (*dropped || sim_pkt_type_of(p) != SIM_PKT_DATA || from != 3 ||
        sim_pkt_src(p) != 3)
        return SIM_TAP_PASS;
    *dropped = 1;
    return SIM_TAP_DROP;
}

/* M1, the other side: relays keep the key of a channel that was set up.
 * Chain SO(0) - 1 - 2 - S(3), local_keys_from: so, setup_timeout 10 s,
 * data every 100 s: S's first data are lost, its next come long after
 * setup_timeout; S's READY went up the channel, so 2 and 1 keep K (and
 * their route entries: S's next data follow the channel). */
void test_relays_keep_confirmed_key(void)
{
    tworld t;
    int dropped = 0;
    uint64_t k;

    CU_ASSERT_FATAL(tw_build(&t, 1, "150s",
                             "local_keys_from: so, pool: 4, ring: 4, "
                             "search_hops: 2, setup_timeout: 10s",
                             "OSSS", CHAIN3_LINKS,
                             "interval: 'const(100s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_first_data_tap, &dropped);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dropped, 1);
    CU_ASSERT_EQUAL_FATAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 3);
    k = dini_channel_key(t.w, 3);
    CU_ASSERT(dini_same_key(t.w, 3, 2, k));
    CU_ASSERT(dini_same_key(t.w, 3, 1, k));
    CU_ASSERT(dini_same_key(t.w, 3, 0, k));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.pending.expired"), 0, 0);
    tw_free(&t);
}

/* Keeps a copy of the first control message of `type` sent by `from`. */
typedef struct first_copy {
    int type;
    uint32_t from, to;
    sim_pkt *copy;
} first_copy;

static sim_tap_verdict first_copy_tap(void *ctx, sim_world *w, uint32_t link,
                                      uint32_t from, uint32_t to, sim_pkt *p)
{
    first_copy *c = ctx;
    (void)link;
    if (!c->copy && is_ctl_type(p, c->type) && from == c->from) {
        c->copy = sim_pkt_clone(w, p);
        c->to = to;
    }
    return SIM_TAP_PASS;
}

/* M2: a late PFAIL of an earlier attempt over a hop the current attempt
 * shares is stale.  Chain SO(0) - 1 - 2 - S(3), radio, search_hops 2:
 * S's first attempt fails at hop 2 -> 3 (its answer blanked), 2 sends
 * PFAIL, S is disconnected and tries again after retry_after along the
 * same path; a copy of the first PFAIL arrives during the second
 * attempt: refused (it names the first attempt), S gets its channel. */
void test_late_pfail_ignored(void)
{
    tworld t;
    findg_blank_n f = {.from = 3, .max = 1};
    first_copy c = {.type = DT_PFAIL, .from = 2};
    sim_time now = 0;
    int injected = 0;

    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             "local_keys_from: so, pool: 4, ring: 4, "
                             "search_hops: 2, retry_after: 1s",
                             "OSSS", CHAIN3_LINKS,
                             "interval: 'const(500ms)', size: 32B") == 0);
    sim_world_add_tap(t.w, findg_blank_n_tap, &f);
    sim_world_add_tap(t.w, first_copy_tap, &c);
    while (now < 40 * SIM_S && !injected) {
        now += 100 * SIM_US;
        sim_world_run(t.w, now, 0);
        if (c.copy && met(t.w, "dini.disconnected") >= 1 &&
            dini_channel_state(t.w, 3) == DINI_CH_PAIRING &&
            met(t.w, "dini.msgs.pairreq") >= 2 + (c.copy ? 0 : 0)) {
            sim_pkt *q = c.copy;
            c.copy = NULL;
            c.type = -1;                   /* no further copies */
            q->atk = 1;
            CU_ASSERT_FATAL(sim_world_inject(t.w, 2, 3, q) == 0);
            injected = 1;
        }
    }
    CU_ASSERT_FATAL(injected);
    CU_ASSERT_EQUAL(f.done, 1);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 3);
    /* one disconnection (the first attempt), none from the stale PFAIL */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.setup_timeouts"), 0, 0);
    tw_free(&t);
}

/* M3: only a neighbour the search asked may answer, once.  SO(0) - 1 -
 * 2 - S(3) - 4 (a dead end), radio, search_hops 2: 4 answers NO fast; a
 * second copy of its NO arrives before the FOUND through 2.  Counted as
 * a second answer it would end S's search (disconnected until after the
 * run: retry_after 60 s); refused, S gets its 3-hop channel. */
void test_search_reply_once_per_child(void)
{
    tworld t;
    first_copy c = {.type = DT_SEARCH_REPLY, .from = 4};
    sim_time now = 0;
    int injected = 0;

    CU_ASSERT_FATAL(tw_build(&t, 1, "20s",
                             "pool: 4, ring: 4, search_hops: 2, "
                             "retry_after: 60s",
                             "OSSSS", CHAIN3_LINKS ", {a: 3, b: 4}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, first_copy_tap, &c);
    while (now < 20 * SIM_S && !injected) {
        now += 100 * SIM_US;
        sim_world_run(t.w, now, 0);
        if (c.copy && c.to == 3) {
            sim_pkt *q = c.copy;
            c.copy = NULL;
            c.type = -1;
            q->atk = 1;
            CU_ASSERT_FATAL(sim_world_inject(t.w, 4, 3, q) == 0);
            injected = 1;
        } else if (c.copy) {
            sim_pkt_free(t.w, c.copy);     /* 4's answer to another node */
            c.copy = NULL;
        }
    }
    CU_ASSERT_FATAL(injected);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 3);
    /* (4 itself is out of reach: its own search ends disconnected) */
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 4), DINI_CH_DISCONNECTED);
    tw_free(&t);
}

/* M4: with retransmission off, a repeated empty findGlobalKey answer
 * fails the hop once: the diamond of test_empty_findg_next_candidate,
 * the blanked answer delivered twice -> one PFAIL, not two. */
void test_findg_ack_repeat_fails_once(void)
{
    tworld t;
    findg_blank_n f = {.from = 3, .max = 1};
    sim_time now = 0;
    int injected = 0;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: so, pool: 4, ring: 4, "
                             "retransmit_after: 0",
                             "OSSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}, {a: 1, b: 3}, "
                             "{a: 2, b: 3}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, findg_blank_n_tap, &f);
    while (now < 30 * SIM_S && !injected) {
        now += 100 * SIM_US;
        sim_world_run(t.w, now, 0);
        if (f.copy) {
            sim_pkt *q = f.copy;
            f.copy = NULL;
            q->atk = 1;
            CU_ASSERT_FATAL(sim_world_inject(t.w, 3, f.to, q) == 0);
            injected = 1;
        }
    }
    CU_ASSERT_FATAL(injected);
    tw_run_all(&t);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.pfail"), 1, 0);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    tw_free(&t);
}

/* Rewrites every name in the findGlobalKey requests of `from` into the
 * name of a master secret (global and device bits); records the names
 * answered to it. */
typedef struct findg_master {
    uint32_t from;
    int asked, answered;
    uint64_t answer;
} findg_master;

static sim_tap_verdict findg_master_tap(void *ctx, sim_world *w,
                                        uint32_t link, uint32_t from,
                                        uint32_t to, sim_pkt *p)
{
    findg_master *f = ctx;
    const uint64_t master = 3ull << 62;
    (void)w; (void)link;
    if (is_ctl_type(p, DT_FINDG) && from == f->from &&
        sim_pkt_data_len(p) > 5) {
        for (uint32_t i = 5; i + 8 <= sim_pkt_data_len(p); i += 8)
            memcpy(sim_pkt_data(p) + i, &master, 8);
        f->asked++;
    } else if (is_ctl_type(p, DT_FINDG_ACK) && to == f->from &&
               sim_pkt_data_len(p) == 17 && !f->answered) {
        memcpy(&f->answer, sim_pkt_data(p) + 5, 8);
        f->answered = 1;
    }
    return SIM_TAP_PASS;
}

/* L2: a findGlobalKey request naming a master secret (global and device
 * bits) is not answered with it: the SO (which holds its master) names
 * no key. */
void test_findg_master_not_named(void)
{
    tworld t;
    findg_master f = {.from = 1};

    CU_ASSERT_FATAL(tw_build(&t, 1, "10s",
                             "local_keys_from: source, pool: 4, ring: 4",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, findg_master_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_FATAL(f.asked >= 1);
    CU_ASSERT_FATAL(f.answered);
    CU_ASSERT_EQUAL(f.answer, 0);
    tw_free(&t);
}

/* L3: a search must end before the set-up it serves times out:
 * (search_hops + 2) x search_timeout > setup_timeout is refused at load
 * time, and so is a ring of more than 255 names (SEARCH cut it). */
void test_search_bounds(void)
{
    tworld t;
    char nodes[256], yaml[4096];

    yaml_fmt(yaml, sizeof yaml, "10s", "search_hops: 59",
             nodes_of(nodes, sizeof nodes, "OS"), "{a: 0, b: 1}",
             "interval: 'const(5s)', size: 32B");
    CU_ASSERT_NOT_EQUAL(tw_new(&t, yaml, 1), 0);
    yaml_fmt(yaml, sizeof yaml, "10s", "search_hops: 3, "
             "search_timeout: 20s", nodes_of(nodes, sizeof nodes, "OS"),
             "{a: 0, b: 1}", "interval: 'const(5s)', size: 32B");
    CU_ASSERT_NOT_EQUAL(tw_new(&t, yaml, 1), 0);
    yaml_fmt(yaml, sizeof yaml, "10s", "search_hops: 58",
             nodes_of(nodes, sizeof nodes, "OS"), "{a: 0, b: 1}",
             "interval: 'const(5s)', size: 32B");
    CU_ASSERT_FATAL(tw_new(&t, yaml, 1) == 0);
    tw_free(&t);
    /* A ring's count is one byte in KEYS and SEARCH: more is refused
     * (it was cut silently). */
    yaml_fmt(yaml, sizeof yaml, "10s", "pool: 300, ring: 256",
             nodes_of(nodes, sizeof nodes, "OS"), "{a: 0, b: 1}",
             "interval: 'const(5s)', size: 32B");
    CU_ASSERT_NOT_EQUAL(tw_new(&t, yaml, 1), 0);
    /* SO(0) - 1 - 2: 2 searches with a ring of 255 names. */
    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             "pool: 300, ring: 255, search_hops: 1",
                             "OSS", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT(met(t.w, "dini.msgs.search") >= 1);
    CU_ASSERT_EQUAL(dini_n_global(t.w, 2), 255);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    tw_free(&t);
}

/* The options are parsed and checked: findglobalkey names a reading. */
void test_findglobalkey_option(void)
{
    tworld t;
    char nodes[256], yaml[4096];

    yaml_fmt(yaml, sizeof yaml, "10s", "findglobalkey: both",
             nodes_of(nodes, sizeof nodes, "OS"), "{a: 0, b: 1}",
             "interval: 'const(5s)', size: 32B");
    CU_ASSERT_NOT_EQUAL(tw_new(&t, yaml, 1), 0);
    yaml_fmt(yaml, sizeof yaml, "10s", "findglobalkey: network, "
             "search_timeout: 0s", nodes_of(nodes, sizeof nodes, "OS"),
             "{a: 0, b: 1}", "interval: 'const(5s)', size: 32B");
    CU_ASSERT_NOT_EQUAL(tw_new(&t, yaml, 1), 0);
}
