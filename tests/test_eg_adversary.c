/* test_eg_adversary.c — test_eg's adversary seam: the attacker hooks of
 * sim/proto/eg.c against E-G's rings (capture, derive, learn, leak,
 * react), the resilience to node capture against its closed forms,
 * derived keys opening real traffic, path keys learned, revocation as
 * the reaction to a capture or a leak, any bytes given to atk_learn,
 * forged control messages, replays and forged discovery, and the
 * wiping of keys when the world is freed.  One program with
 * tests/test_eg.c (main and the registration) and tests/test_eg_search.c;
 * shared helpers in tests/eg_t.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tworld.h"
#include "wipelog.h"
#include "proto.h"
#include "cry.h"
#include "eg_theory.h"
#include "kb.h"
#include "eg.h"
#include "pk.h"
#include "eg_t.h"

/* ------------------------------------------------------------------------
 * The adversary: resilience to node capture
 * ---------------------------------------------------------------------- */

/* splitmix64: the test's own deterministic draws. */
static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform below n (rejection: no modulo bias). */
static uint64_t draw_below(void *ctx, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, r;
    do
        r = sm64(ctx);
    while (r >= lim);
    return r % n;
}

static void *eg_ps(tworld *t)
{
    return sim_world_proto_state(t->w);
}

/* Captures x distinct random nodes into kb, as the node_capture model
 * does: the protocol's hook, then the mark. */
static void capture_random(tworld *t, atk_kb *kb, unsigned x, uint64_t *rng)
{
    uint32_t n = sim_world_topo(t->w)->n_nodes, *perm = malloc(n * sizeof *perm);
    CU_ASSERT_FATAL(perm != NULL && x <= n);
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t j = 0; j < x; j++) {
        uint32_t r = j + (uint32_t)draw_below(rng, n - j), v = perm[r];
        perm[r] = perm[j];
        perm[j] = v;
        sim_atk_eg.atk_capture(t->w, eg_ps(t), v, kb);
        atk_kb_mark_captured(kb, v);
    }
    free(perm);
}

/* Per capture set: the fraction of clean links exposed. */
typedef struct resil {
    uint64_t links, exposed;     /* clean links, pooled over the sets     */
    double sum, sumsq;           /* per-set fractions                     */
    unsigned sets;
} resil;

static void capture_sets(tworld *t, unsigned x, unsigned sets, uint64_t seed,
                         resil *r)
{
    uint64_t rng = seed;
    for (unsigned k = 0; k < sets; k++) {
        atk_kb *kb = atk_kb_new(seed + k, sim_world_topo(t->w)->n_nodes);
        atk_exposure e;
        double f;
        CU_ASSERT_FATAL(kb != NULL);
        capture_random(t, kb, x, &rng);
        sim_atk_eg.atk_exposure(t->w, eg_ps(t), kb, &e);
        CU_ASSERT(e.links_clean > 0 && e.links_clean <= e.links);
        CU_ASSERT(e.exposed_clean <= e.exposed && e.exposed <= e.links);
        CU_ASSERT(e.exposed - e.exposed_clean <= e.links - e.links_clean);
        f = e.links_clean ? (double)e.exposed_clean / e.links_clean : 0;
        r->links += e.links_clean;
        r->exposed += e.exposed_clean;
        r->sum += f;
        r->sumsq += f * f;
        r->sets++;
        atk_kb_free(kb);
    }
}

/* Resilience to node capture against the closed forms: on two 40 x 40
 * grids (3120 neighbour pairs each, no path keys: every secured link is
 * a direct one, the formulas' case), SETS independent sets of x random
 * captured nodes each (the node_capture model's two steps: the
 * protocol's atk_capture hook, then atk_kb_mark_captured); atk_exposure
 * counts the secured links between uncaptured nodes (clean) and those of
 * them whose key the attacker holds or can derive.  The pooled fraction
 * must be within 4 sd of 1 - (1 - m/P)^x (q = 1) or of Chan–Perrig–
 * Song's sum (q >= 2).  The sd: the binomial one over the pooled clean
 * links, sqrt(th (1 - th) / links), understates the spread, since the
 * links built on one pool key (about links/P of them) fall together; so
 * the bound uses the larger of it and the empirical sd of the mean of
 * the per-set fractions (the sets are independent, and with q = 1 each
 * set's expected fraction is the formula whatever the world, so they are
 * exchangeable).  Both are printed; with these seeds the larger is the
 * empirical one, 1.0 to 3.3 times the binomial. */
void test_resilience(void)
{
    static const struct { unsigned P, m, q, x; } cases[] = {
        {1000, 50, 1, 5}, {1000, 50, 1, 20}, {2000, 40, 1, 10},
        {10000, 100, 1, 30}, {1000, 75, 2, 10}, {1000, 75, 2, 30},
        {500, 40, 3, 8},
    };
    enum { WORLDS = 2, SETS = 100 };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        resil r = {0};
        double th, p, mean, sd_b, sd_e;
        char opts[128];
        snprintf(opts, sizeof opts, "pool: %u, ring: %u, q: %u, "
                 "path_keys: false", cases[c].P, cases[c].m, cases[c].q);
        for (unsigned wi = 0; wi < WORLDS; wi++) {
            tworld t;
            CU_ASSERT_FATAL(grid_world(&t, 300 + 10 * c + wi, 1600, 40, 1, 0,
                                       "2s", opts) == 0);
            sim_world_run(t.w, SIM_S, 0);
            capture_sets(&t, cases[c].x, SETS, 1000 * c + 100 * wi, &r);
            tw_free(&t);
        }
        th = cases[c].q == 1
                 ? ana_eg_resilience(cases[c].P, cases[c].m, cases[c].x)
                 : ana_eg_resilience_q(cases[c].P, cases[c].m, cases[c].q,
                                       cases[c].x);
        p = (double)r.exposed / r.links;
        mean = r.sum / r.sets;
        sd_b = sqrt(th * (1 - th) / r.links);
        sd_e = sqrt((r.sumsq - r.sets * mean * mean) / (r.sets - 1) / r.sets);
        printf("\n  P=%u m=%u q=%u x=%u: measured %.4f (%llu/%llu clean "
               "links, %u capture sets), formula %.4f; |diff| %.2f binomial "
               "sd (%.4f), %.2f empirical sd (%.4f)", cases[c].P, cases[c].m,
               cases[c].q, cases[c].x, p, (unsigned long long)r.exposed,
               (unsigned long long)r.links, r.sets, th, fabs(p - th) / sd_b,
               sd_b, fabs(mean - th) / sd_e, sd_e);
        CU_ASSERT(fabs(p - th) <= 4 * (sd_e > sd_b ? sd_e : sd_b));
        CU_ASSERT(fabs(mean - p) < 0.01);     /* pooled vs mean of sets */
    }
    printf("\n");
}

/* ------------------------------------------------------------------------
 * The adversary: derived keys open real traffic
 * ---------------------------------------------------------------------- */

/* Opens a copy of p's data part with the base's key labelled by p's
 * header name (after the protocol's derive hook for the hop from -> to);
 * returns 0 and the plaintext length, or -1 if no key of the base opens
 * it.  The copy's plaintext goes to pt (room for len). */
static int kb_open(tworld *t, atk_kb *kb, const sim_pkt *p, uint32_t from,
                   uint32_t to, unsigned char *pt, size_t room, size_t *len)
{
    sim_atk_eg.atk_derive(t->w, eg_ps(t), kb, p, from, to);
    for (size_t i = atk_kb_find(kb, ATK_KEY, sim_pkt_key_name(p));
         i != ATK_NONE; i = atk_kb_next(kb, i)) {
        sim_pkt *c = sim_pkt_clone(t->w, p);
        int ok = sim_pkt_open_data(c, atk_kb_store(kb), atk_kb_key(kb, i),
                                   atk_kb_ops(kb)) == 0;
        if (ok) {
            *len = sim_pkt_data_len(c);
            memcpy(pt, sim_pkt_data(c), *len < room ? *len : room);
        }
        sim_pkt_free(t->w, c);
        if (ok)
            return 0;
    }
    return -1;
}

/* Links secured at both ends now (as eg.links.secured counts them). */
static uint64_t secured_links(const sim_world *w)
{
    const sim_topo *tp = sim_world_topo(w);
    uint64_t n = 0;
    for (uint32_t l = 0; l < tp->n_links; l++)
        n += eg_link_state(w, tp->links[l].a, tp->links[l].b) == EG_LINK_OK &&
             eg_link_state(w, tp->links[l].b, tp->links[l].a) == EG_LINK_OK;
    return n;
}

/* Captures (and marks) a node other than a and b holding pool key id;
 * returns it, or SIM_NONE. */
static uint32_t capture_holder(tworld *t, atk_kb *kb, uint32_t id,
                               uint32_t a, uint32_t b)
{
    uint32_t n = sim_world_topo(t->w)->n_nodes;
    for (uint32_t v = 0; v < n; v++)
        if (v != a && v != b && eg_holds(t->w, v, id)) {
            sim_atk_eg.atk_capture(t->w, eg_ps(t), v, kb);
            atk_kb_mark_captured(kb, v);
            return v;
        }
    return SIM_NONE;
}

/* A data hop and a LINK_OK seen on the air; capturing nodes that are
 * not the link's ends but hold the pool keys its key was built from
 * (q = 1: the smallest shared id; q = 2: all of them, and one short of
 * that is not enough) lets the derive hook make the directional key
 * that opens both with real crypto. */
static void check_derive_opens(const char *opts, unsigned q)
{
    grab g;
    tworld t;
    atk_kb *kb;
    unsigned char pt[SIM_PAYLOAD_MAX];
    uint32_t s[RING_MAX], ns, n_nodes;
    size_t len;
    atk_exposure e;

    memset(&g, 0, sizeof g);
    g.want_a = g.want_b = SIM_NONE;
    CU_ASSERT_FATAL(grid_world(&t, 5, 100, 10, 1, 0, "10s", opts) == 0);
    sim_world_add_tap(t.w, grab_tap, &g);
    sim_world_run(t.w, 5 * SIM_S, 0);
    CU_ASSERT_FATAL(g.data != NULL && g.ctl[T_LINK_OK] != NULL);
    n_nodes = sim_world_topo(t.w)->n_nodes;
    kb = atk_kb_new(7, n_nodes);
    CU_ASSERT_FATAL(kb != NULL);

    /* Nothing held: nothing derived, nothing opened. */
    CU_ASSERT_EQUAL(kb_open(&t, kb, g.data, g.dfrom, g.dto, pt, sizeof pt,
                            &len), -1);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 0);

    ns = eg_link_shared(t.w, g.dfrom, g.dto, s, RING_MAX);
    CU_ASSERT_FATAL(ns >= q);
    if (q >= 2) {
        for (uint32_t i = 0; i + 1 < ns; i++)
            if (atk_kb_find(kb, ATK_MATERIAL, s[i]) == ATK_NONE)
                CU_ASSERT(capture_holder(&t, kb, s[i], g.dfrom, g.dto) !=
                          SIM_NONE);
        if (atk_kb_find(kb, ATK_MATERIAL, s[ns - 1]) == ATK_NONE) {
            CU_ASSERT_EQUAL(kb_open(&t, kb, g.data, g.dfrom, g.dto, pt,
                                    sizeof pt, &len), -1);
            CU_ASSERT_EQUAL(atk_kb_find(kb, ATK_KEY,
                                        EG_ATK_DIR(g.dfrom, g.dto)),
                            ATK_NONE);
        }
    }
    for (uint32_t i = 0; i < (q == 1 ? 1 : ns); i++)
        if (atk_kb_find(kb, ATK_MATERIAL, s[i]) == ATK_NONE)
            CU_ASSERT(capture_holder(&t, kb, s[i], g.dfrom, g.dto) !=
                      SIM_NONE);
    CU_ASSERT(!atk_kb_captured(kb, g.dfrom) && !atk_kb_captured(kb, g.dto));
    CU_ASSERT_EQUAL(kb_open(&t, kb, g.data, g.dfrom, g.dto, pt, sizeof pt,
                            &len), 0);
    CU_ASSERT(atk_kb_ops(kb)->n[CRY_OP_KDF] >= 1);
    if (q >= 2)
        CU_ASSERT(atk_kb_ops(kb)->n[CRY_OP_HASH] >= 1);
    /* The derived key is the one the header names, not any other. */
    CU_ASSERT(atk_kb_find(kb, ATK_KEY, EG_ATK_DIR(g.dfrom, g.dto)) !=
              ATK_NONE);

    /* A LINK_OK (possibly on another link): same story. */
    {
        uint32_t a = g.cfrom[T_LINK_OK], b = g.cto[T_LINK_OK];
        atk_kb *k2 = atk_kb_new(8, n_nodes);
        CU_ASSERT_FATAL(k2 != NULL);
        ns = eg_link_shared(t.w, a, b, s, RING_MAX);
        CU_ASSERT_FATAL(ns >= q);
        for (uint32_t i = 0; i < (q == 1 ? 1 : ns); i++)
            if (atk_kb_find(k2, ATK_MATERIAL, s[i]) == ATK_NONE)
                CU_ASSERT(capture_holder(&t, k2, s[i], a, b) != SIM_NONE);
        CU_ASSERT_EQUAL(kb_open(&t, k2, g.ctl[T_LINK_OK], a, b, pt,
                                sizeof pt, &len), 0);
        CU_ASSERT_EQUAL(len, 2);                 /* [type] [1] */
        CU_ASSERT_EQUAL(pt[0], T_LINK_OK);
        /* That link is exposed and clean. */
        sim_atk_eg.atk_exposure(t.w, eg_ps(&t), k2, &e);
        CU_ASSERT(e.exposed_clean >= 1);
        atk_kb_free(k2);
    }
    sim_atk_eg.atk_exposure(t.w, eg_ps(&t), kb, &e);
    CU_ASSERT(e.exposed_clean >= 1);
    CU_ASSERT_EQUAL(e.links, secured_links(t.w));
    atk_kb_free(kb);
    grab_free(t.w, &g);
    tw_free(&t);
}

void test_derive_opens_traffic(void)
{
    check_derive_opens("pool: 200, ring: 20, path_keys: false", 1);
    check_derive_opens("pool: 200, ring: 30, q: 2, path_keys: false", 2);
}

/* The path-key weakness: the triangle of path_seed, where 0 and 2 share
 * no key and secure their link by a path key through 1.  Capturing 1
 * gives the key of hop 0 -> 1; with it the PATH_KEY message read on that
 * hop yields the path key (atk_learn), and from it the derive hook makes
 * the keys that open what 0 and 2 send each other, a link between two
 * uncaptured nodes. */
void test_path_key_learned(void)
{
    uint64_t seed = path_seed();
    grab g;
    tworld t;
    atk_kb *kb;
    atk_exposure e;
    unsigned char pt[256];
    size_t len, before;

    CU_ASSERT_FATAL(seed != 0);
    memset(&g, 0, sizeof g);
    g.want_a = SIM_NONE;
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s", "pool: 20, ring: 4",
                                   "SSSO",
                                   "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, "
                                   "{a: 1, b: 3}", "interval: 'exp(1s)'") == 0);
    sim_world_add_tap(t.w, grab_tap, &g);
    sim_world_run(t.w, 2 * SIM_S, 0);
    CU_ASSERT_FATAL(eg_link_kind(t.w, 0, 2) == EG_KIND_PATH);
    CU_ASSERT_FATAL(g.ctl[T_PATH_KEY] && g.ctl[T_PATH_ACK]);
    CU_ASSERT_EQUAL(g.cfrom[T_PATH_KEY], 0);
    CU_ASSERT_EQUAL(g.cto[T_PATH_KEY], 1);
    CU_ASSERT_EQUAL(g.cfrom[T_PATH_ACK], 2);
    CU_ASSERT_EQUAL(g.cto[T_PATH_ACK], 0);
    kb = atk_kb_new(3, 4);
    CU_ASSERT_FATAL(kb != NULL);
    sim_atk_eg.atk_capture(t.w, eg_ps(&t), 1, kb);
    atk_kb_mark_captured(kb, 1);
    sim_atk_eg.atk_exposure(t.w, eg_ps(&t), kb, &e);
    CU_ASSERT_EQUAL(e.links, 4);
    CU_ASSERT_EQUAL(e.links_clean, 1);                /* 0 - 2 */
    CU_ASSERT_EQUAL(e.exposed, 3);                    /* 1's links */
    CU_ASSERT_EQUAL(e.exposed_clean, 0);
    /* Not yet: the ack 2 -> 0 does not open. */
    CU_ASSERT_EQUAL(kb_open(&t, kb, g.ctl[T_PATH_ACK], 2, 0, pt, sizeof pt,
                            &len), -1);
    /* The path key, read on hop 0 -> 1 with the captured 1's key. */
    CU_ASSERT_EQUAL(kb_open(&t, kb, g.ctl[T_PATH_KEY], 0, 1, pt, sizeof pt,
                            &len), 0);
    CU_ASSERT_EQUAL(pt[0], T_PATH_KEY);
    before = atk_kb_count_kind(kb, ATK_MATERIAL);
    sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, g.ctl[T_PATH_KEY], 1, pt,
                         len);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), before + 1);
    CU_ASSERT(atk_kb_find(kb, ATK_MATERIAL, EG_ATK_LINK(2, 0)) != ATK_NONE);
    sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, g.ctl[T_PATH_KEY], 1, pt,
                         len);                      /* once is enough */
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), before + 1);
    sim_atk_eg.atk_exposure(t.w, eg_ps(&t), kb, &e);
    CU_ASSERT_EQUAL(e.exposed_clean, 1);
    CU_ASSERT_EQUAL(kb_open(&t, kb, g.ctl[T_PATH_ACK], 2, 0, pt, sizeof pt,
                            &len), 0);
    CU_ASSERT_EQUAL(pt[0], T_PATH_ACK);
    if (g.ctl[T_LINK_OK] && g.cfrom[T_LINK_OK] == 0 && g.cto[T_LINK_OK] == 2)
        CU_ASSERT_EQUAL(kb_open(&t, kb, g.ctl[T_LINK_OK], 0, 2, pt,
                                sizeof pt, &len), 0);
    atk_kb_free(kb);
    grab_free(t.w, &g);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * The adversary: reactions
 * ---------------------------------------------------------------------- */

/* Capture of node c, then the protocol's reaction (atk_react CAPTURE ->
 * eg_revoke): before it, the attacker reads c's links and the clean links
 * whose key is in c's ring; once the revocation has run, c has no link
 * and no secured link is exposed (every id of c's ring is wiped, the
 * links built on them were set up again from other ids or path keys). */
void test_react_capture(void)
{
    const uint32_t c = 15;
    tworld t;
    atk_kb *kb;
    atk_exposure e0, e1;
    long told;

    CU_ASSERT_FATAL(grid_world(&t, 9, 100, 10, 2, 2, "40s",
                               "pool: 1000, ring: 50") == 0);
    sim_world_run(t.w, 5 * SIM_S, 0);
    kb = atk_kb_new(11, sim_world_topo(t.w)->n_nodes);
    CU_ASSERT_FATAL(kb != NULL);
    sim_atk_eg.atk_capture(t.w, eg_ps(&t), c, kb);
    atk_kb_mark_captured(kb, c);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL) > 50, 1);
    CU_ASSERT(atk_kb_find(kb, ATK_KEY, EG_ATK_DEV(c)) != ATK_NONE);
    sim_atk_eg.atk_exposure(t.w, eg_ps(&t), kb, &e0);
    CU_ASSERT(e0.links - e0.links_clean >= 2);        /* c's links */
    CU_ASSERT_EQUAL(e0.exposed - e0.exposed_clean,
                    e0.links - e0.links_clean);       /* all read */
    CU_ASSERT(e0.exposed_clean > 0);
    told = sim_atk_eg.atk_react(t.w, eg_ps(&t), ATK_REACT_CAPTURE, c);
    CU_ASSERT(told > 0);
    CU_ASSERT(eg_captured(t.w, c));
    CU_ASSERT_EQUAL(sim_atk_eg.atk_react(t.w, eg_ps(&t), ATK_REACT_CAPTURE,
                                         c), 0);    /* already done */
    tw_run_all(&t);
    sim_atk_eg.atk_exposure(t.w, eg_ps(&t), kb, &e1);
    CU_ASSERT_EQUAL(e1.links, e1.links_clean);        /* none to c */
    CU_ASSERT_EQUAL(e1.exposed, 0);
    CU_ASSERT(e1.links >= e0.links_clean - e0.exposed_clean);
    printf("\n  capture of %u: %llu of %llu links exposed (%llu of %llu "
           "clean); after the revocation (%ld told) %llu of %llu",
           c, (unsigned long long)e0.exposed, (unsigned long long)e0.links,
           (unsigned long long)e0.exposed_clean,
           (unsigned long long)e0.links_clean, told,
           (unsigned long long)e1.exposed, (unsigned long long)e1.links);
    atk_kb_free(kb);
    tw_free(&t);
}

static uint64_t draw_fixed(void *ctx, uint64_t n)
{
    uint64_t k = *(uint64_t *)ctx;
    CU_ASSERT(k < n);
    return k;
}

/* The ids some node holds, ascending (a bitmap over the pool). */
static uint32_t held_ids(const sim_world *w, uint32_t pool, uint32_t *out)
{
    uint8_t *held = calloc(pool, 1);
    uint32_t r[RING_MAX], n = sim_world_topo(w)->n_nodes, k = 0;
    CU_ASSERT_FATAL(held != NULL);
    for (uint32_t v = 0; v < n; v++) {
        uint32_t m = eg_ring(w, v, r, RING_MAX);
        for (uint32_t i = 0; i < m && i < RING_MAX; i++)
            held[r[i]] = 1;
    }
    for (uint32_t i = 0; i < pool; i++)
        if (held[i])
            out[k++] = i;
    free(held);
    return k;
}

/* Leak of one pool key then its revocation (atk_react LEAK ->
 * eg_revoke_key).  q = 1: the leaked key is the one the links built on it
 * use, and exactly those are exposed; its holders, and only they, are
 * told; afterwards no node holds it, no link key uses it and nothing is
 * exposed.  q = 2: one key alone exposes no link; the revocation still
 * takes it out of every link. */
static void check_leak(const char *opts, unsigned q)
{
    enum { P = 200 };
    tworld t;
    atk_kb *kb;
    atk_exposure e0, e1;
    const sim_topo *tp;
    uint32_t ids[P], n_ids, best = 0, best_links = 0, holders = 0, s[RING_MAX];
    uint64_t k = 0;
    int64_t id;
    long told;

    CU_ASSERT_FATAL(grid_world(&t, 12, 100, 10, 2, 2, "40s", opts) == 0);
    tp = sim_world_topo(t.w);
    sim_world_run(t.w, 5 * SIM_S, 0);
    /* The id most secured links are built on (q = 1: their smallest
     * shared id; q = 2: any shared id). */
    n_ids = held_ids(t.w, P, ids);
    CU_ASSERT_FATAL(n_ids > 0);
    for (uint32_t i = 0; i < n_ids; i++) {
        uint32_t cnt = 0;
        for (uint32_t l = 0; l < tp->n_links; l++) {
            uint32_t a = tp->links[l].a, b = tp->links[l].b, ns;
            if (eg_link_state(t.w, a, b) != EG_LINK_OK ||
                eg_link_state(t.w, b, a) != EG_LINK_OK)
                continue;
            ns = eg_link_shared(t.w, a, b, s, RING_MAX);
            for (uint32_t j = 0; j < (q == 1 ? (ns > 0) : ns); j++)
                cnt += s[j] == ids[i];
        }
        if (cnt > best_links) {
            best_links = cnt;
            best = i;
        }
    }
    CU_ASSERT_FATAL(best_links > 0);
    k = best;
    kb = atk_kb_new(13, tp->n_nodes);
    CU_ASSERT_FATAL(kb != NULL);
    id = sim_atk_eg.atk_leak(t.w, eg_ps(&t), kb, draw_fixed, &k);
    CU_ASSERT_EQUAL(id, ids[best]);
    CU_ASSERT(atk_kb_find(kb, ATK_MATERIAL, (uint64_t)id) != ATK_NONE);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 1);
    sim_atk_eg.atk_exposure(t.w, eg_ps(&t), kb, &e0);
    CU_ASSERT_EQUAL(e0.exposed, q == 1 ? best_links : 0);
    CU_ASSERT_EQUAL(e0.exposed_clean, e0.exposed);
    for (uint32_t v = 0; v < tp->n_nodes; v++)
        holders += (uint32_t)eg_holds(t.w, v, (uint32_t)id);
    told = sim_atk_eg.atk_react(t.w, eg_ps(&t), ATK_REACT_LEAK,
                                (uint64_t)id);
    CU_ASSERT_EQUAL(told, holders);
    tw_run_all(&t);
    for (uint32_t v = 0; v < tp->n_nodes; v++)
        CU_ASSERT(!eg_holds(t.w, v, (uint32_t)id));
    for (uint32_t l = 0; l < tp->n_links; l++) {
        uint32_t ns = eg_link_shared(t.w, tp->links[l].a, tp->links[l].b, s,
                                     RING_MAX);
        for (uint32_t j = 0; j < ns; j++)
            CU_ASSERT(s[j] != (uint32_t)id);
    }
    sim_atk_eg.atk_exposure(t.w, eg_ps(&t), kb, &e1);
    CU_ASSERT_EQUAL(e1.exposed, 0);
    CU_ASSERT(tw_met(t.w, "eg.links.lost") >= best_links);
    CU_ASSERT(tw_met(t.w, "eg.links.resecured") > 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.revoked_keys"), holders);
    /* Nobody holds it any more: nothing to revoke. */
    CU_ASSERT_EQUAL(eg_revoke_key(t.w, (uint32_t)id), 0);
    CU_ASSERT_EQUAL(eg_revoke_key(t.w, P), -1);
    printf("\n  %s: leaked id %lld, %u secured links built on it, %llu "
           "exposed; %ld holders told; after: %llu of %llu exposed, lost %g "
           "resecured %g", opts, (long long)id, best_links,
           (unsigned long long)e0.exposed, told,
           (unsigned long long)e1.exposed, (unsigned long long)e1.links,
           tw_met(t.w, "eg.links.lost"), tw_met(t.w, "eg.links.resecured"));
    atk_kb_free(kb);
    tw_free(&t);
}

void test_leak_revocation(void)
{
    check_leak("pool: 200, ring: 20", 1);
    check_leak("pool: 200, ring: 30, q: 2", 2);
    printf("\n");
}

/* ------------------------------------------------------------------------
 * The adversary: any bytes
 * ---------------------------------------------------------------------- */

/* atk_learn on random and crafted bytes: never crashes (run it under
 * ASan), adds nothing unless the bytes are a well-formed PATH_KEY body
 * between two neighbours, then exactly that key; atk_derive on made-up
 * links and names adds nothing. */
void test_learn_garbage(void)
{
    tworld t;
    atk_kb *kb;
    sim_pkt *ctl, *data;
    unsigned char buf[512];
    uint64_t rng = 42;
    size_t len;

    CU_ASSERT_FATAL(explicit_world(&t, 1, "5s", "pool: 10, ring: 8",
                                   LINE_ROLES, LINE_LINKS,
                                   "interval: 'exp(2s)'") == 0);
    sim_world_run(t.w, SIM_S, 0);
    kb = atk_kb_new(5, 5);
    CU_ASSERT_FATAL(kb != NULL);
    ctl = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 1, 1, 64);
    data = sim_pkt_new(t.w, SIM_PKT_DATA, 0, 3, 1, 0, 64);
    for (int it = 0; it < 50000; it++) {
        int part = (int)(sm64(&rng) % 4) - 1;
        len = sm64(&rng) % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)sm64(&rng);
        if (len && sm64(&rng) % 2)
            buf[0] = T_PATH_KEY;
        if (len >= 9 && sm64(&rng) % 2) {
            /* A plausible count, sometimes with the matching length,
             * nodes out of range or not neighbours (0 and 4). */
            uint32_t n = (uint32_t)(sm64(&rng) % 22);
            sim_put32(buf + 1, n);
            if (sm64(&rng) % 2 && 9 + 4 * (size_t)n + 32 <= sizeof buf)
                len = 9 + 4 * (size_t)n + 32;
            if (n >= 2 && 9 + 4 * (size_t)n <= len) {
                sim_put32(buf + 9, sm64(&rng) % 2 ? 0 : 0x7fffffffu);
                sim_put32(buf + 9 + 4 * (size_t)(n - 1),
                          sm64(&rng) % 2 ? 4 : UINT32_MAX);
            }
        }
        sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, sm64(&rng) % 2 ? ctl : data,
                             part, len ? buf : NULL, len);
        sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, ctl, 1, buf, len);
    }
    CU_ASSERT_EQUAL(atk_kb_count(kb), 0);
    /* Well formed: a path key for the neighbours 2 and 3 (path 2, 0, 3;
     * the hook reads only its ends), refused where it does not belong. */
    memset(buf, 0, sizeof buf);
    buf[0] = T_PATH_KEY;
    sim_put32(buf + 1, 3);
    sim_put32(buf + 5, 1);
    sim_put32(buf + 9, 2);
    sim_put32(buf + 13, 0);
    sim_put32(buf + 17, 3);
    memset(buf + 21, 0xab, 32);
    sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, data, 1, buf, 53); /* data */
    sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, ctl, 0, buf, 53);  /* part */
    sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, ctl, 1, buf, 52);  /* short */
    CU_ASSERT_EQUAL(atk_kb_count(kb), 0);
    sim_atk_eg.atk_learn(t.w, eg_ps(&t), kb, ctl, 1, buf, 53);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 1);
    CU_ASSERT(atk_kb_find(kb, ATK_MATERIAL, EG_ATK_LINK(3, 2)) != ATK_NONE);
    /* derive: unknown nodes, non-neighbours, a name that is not the
     * hop's; the one material entry is a made-up key, so deriving from it
     * on its link adds a key that opens nothing, and nothing elsewhere. */
    sim_atk_eg.atk_derive(t.w, eg_ps(&t), kb, ctl, UINT32_MAX, 1);
    sim_atk_eg.atk_derive(t.w, eg_ps(&t), kb, ctl, 0, 5);
    sim_atk_eg.atk_derive(t.w, eg_ps(&t), kb, ctl, 0, 4);
    sim_atk_eg.atk_derive(t.w, eg_ps(&t), kb, ctl, 0, 1);   /* name 0 */
    CU_ASSERT_EQUAL(atk_kb_count(kb), 1);
    sim_pkt_free(t.w, ctl);
    sim_pkt_free(t.w, data);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Forged control messages of every type, injected by an attacker from a
 * neighbour (sealed under a made-up key, or malformed): all refused and
 * counted (the refusal paths call sim_world_refuse), no link changes. */
void test_forged_control_refused(void)
{
    tworld t;
    cry_keystore *fake = cry_keystore_new(99);
    cry_key fk;
    int states[5][5];
    double rej0;
    int n_inj = 0;

    CU_ASSERT_FATAL(fake != NULL);
    fk = cry_key_generate(fake, 1, 1, NULL);
    CU_ASSERT_FATAL(explicit_world(&t, 1, "10s", "pool: 10, ring: 8",
                                   LINE_ROLES, LINE_LINKS,
                                   "interval: 'exp(2s)'") == 0);
    sim_world_run(t.w, 2 * SIM_S, 0);
    for (uint32_t a = 0; a < 5; a++)
        for (uint32_t b = 0; b < 5; b++)
            states[a][b] = eg_link_state(t.w, a, b);
    rej0 = tw_met(t.w, "eg.rejected");
    for (int type = 0; type <= 7; type++)
        for (int sealed = 0; sealed < 2; sealed++) {
            sim_pkt *p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 1, 2, 1000, 1, 9);
            sim_pkt_ctl(p)[0] = (unsigned char)type;
            sim_pkt_data(p)[0] = (unsigned char)type;
            memset(sim_pkt_data(p) + 1, 0x11, 8);
            if (type == T_HELLO && !sealed)
                sim_put32(sim_pkt_data(p) + 1, 5);  /* n = 5, 4 bytes: bad */
            sim_pkt_set_key(p, EG_ATK_DIR(1, 2), 0);
            if (sealed)
                CU_ASSERT_FATAL(sim_pkt_seal_data(p, fake, fk, NULL) == 0);
            p->atk = 1;
            CU_ASSERT_EQUAL(sim_world_inject(t.w, 1, 2, p), 0);
            n_inj++;
        }
    sim_world_run(t.w, 3 * SIM_S, 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected") - rej0, n_inj);
    for (uint32_t a = 0; a < 5; a++)
        for (uint32_t b = 0; b < 5; b++)
            CU_ASSERT_EQUAL(eg_link_state(t.w, a, b), states[a][b]);
    tw_free(&t);
    cry_keystore_free(fake);
}

/* ------------------------------------------------------------------------
 * Replays and forged discovery
 * ---------------------------------------------------------------------- */

/* Issue 20: revoke_nodes takes sources only, each once; the error names
 * the entry.  And a subscriber on the only path of a source relays its
 * data like any node of an explicit graph (valid, see the README). */
static void revoke_err(const char *nodes, const char *want)
{
    char yaml[1024], err[512];
    scenario *sc;
    sim_world *w;

    snprintf(yaml, sizeof yaml,
             "name: eg-test\nseed: 1\nduration: 10s\n"
             "protocol: {name: eg, pool: 10, ring: 8, revoke_at: 3s, "
             "revoke_nodes: %s}\n"
             "topology:\n  generator: explicit\n"
             "  nodes: [{id: 0, role: source}, {id: 1, role: source}, "
             "{id: 2, role: smart_object}, {id: 3, role: subscriber}]\n"
             "  links: [{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}]\n",
             nodes);
    sc = scn_load_buffer("rv.yaml", yaml, strlen(yaml), NULL, 0, err,
                         sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    err[0] = '\0';
    w = sim_world_new(sc, 1, err, sizeof err);
    if (want) {
        CU_ASSERT_PTR_NULL(w);
        if (strcmp(err, want) != 0)
            fprintf(stderr, "\n  got:      %s\n  expected: %s\n", err, want);
        CU_ASSERT_STRING_EQUAL(err, want);
    } else {
        CU_ASSERT_PTR_NOT_NULL(w);
    }
    if (w)
        sim_world_free(w);
    scn_free(sc);
}

void test_revoke_nodes_checked(void)
{
    tworld t;

    revoke_err("[2]", "rv.yaml:4:71: protocol.revoke_nodes: node 2 is a "
               "smart object; only a source can be revoked");
    revoke_err("[0, 3]", "rv.yaml:4:74: protocol.revoke_nodes: node 3 is "
               "a subscriber; only a source can be revoked");
    revoke_err("[1, 0, 1]", "rv.yaml:4:77: protocol.revoke_nodes: node 1 is "
               "already entry 0");
    revoke_err("[1, 0]", NULL);
    /* source 0 - subscriber 1 - SO 2: the subscriber relays */
    CU_ASSERT_FATAL(explicit_world(&t, 1, "20s", "pool: 10, ring: 8", "SUO",
                                   "{a: 0, b: 1}, {a: 1, b: 2}",
                                   "interval: 'exp(2s)'") == 0);
    sim_world_run(t.w, 20 * SIM_S, 0);
    CU_ASSERT(tw_met(t.w, "data.at_so") > 0);
    tw_free(&t);
}

/* Copies of a data hop, a LINK_OK and a REVOKE (its last hop), recorded
 * and sent again to the node that received them: each is refused (the
 * replay windows: per link under its current receiving key, per node
 * under its device key), where an identical world without the copies
 * refuses nothing. */
void test_replays_refused(void)
{
    /* node 4, the subscriber at the end of the line, revoked at 3 s from
     * code (eg_revoke): it sends no data, so the twin refuses nothing.
     * The scenario's revoke_nodes takes sources only (issue 20). */
    static const char opts[] = "pool: 10, ring: 8";
    grab g;
    tworld t, twin;
    double rej, rej_twin;

    memset(&g, 0, sizeof g);
    g.want_a = g.want_b = SIM_NONE;
    CU_ASSERT_FATAL(explicit_world(&t, 1, "30s", opts, LINE_ROLES,
                                   LINE_LINKS, "interval: 'exp(2s)'") == 0);
    CU_ASSERT_FATAL(explicit_world(&twin, 1, "30s", opts, LINE_ROLES,
                                   LINE_LINKS, "interval: 'exp(2s)'") == 0);
    sim_world_add_tap(t.w, grab_tap, &g);
    sim_world_run(t.w, 3 * SIM_S, 0);
    sim_world_run(twin.w, 3 * SIM_S, 0);
    CU_ASSERT(eg_revoke(t.w, 4) > 0);
    CU_ASSERT(eg_revoke(twin.w, 4) > 0);
    sim_world_run(t.w, 6 * SIM_S, 0);
    sim_world_run(twin.w, 6 * SIM_S, 0);
    CU_ASSERT_FATAL(g.data && g.ctl[T_LINK_OK] && g.ctl[T_REVOKE]);
    rej = tw_met(t.w, "eg.rejected");
    rej_twin = tw_met(twin.w, "eg.rejected");
    CU_ASSERT_EQUAL(rej, rej_twin);
    replay(&t, g.data, g.dfrom, g.dto);
    replay(&t, g.ctl[T_LINK_OK], g.cfrom[T_LINK_OK], g.cto[T_LINK_OK]);
    replay(&t, g.ctl[T_REVOKE], g.cfrom[T_REVOKE], g.cto[T_REVOKE]);
    sim_world_run(t.w, 8 * SIM_S, 0);
    sim_world_run(twin.w, 8 * SIM_S, 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected") - rej, 3);
    CU_ASSERT_EQUAL(tw_met(twin.w, "eg.rejected") - rej_twin, 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "data.at_so"), tw_met(twin.w, "data.at_so"));
    grab_free(t.w, &g);
    tw_free(&t);
    tw_free(&twin);
}

/* A replayed PATH_KEY at the far end would install the same path key
 * again, restarting its nonce counters under a value already used: it
 * is refused, and the link keeps its key. */
void test_path_key_replay_refused(void)
{
    uint64_t seed = path_seed();
    grab g;
    tworld t;
    double rej, paths;

    CU_ASSERT_FATAL(seed != 0);
    memset(&g, 0, sizeof g);
    g.want_a = 1;
    g.want_b = 2;
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s", "pool: 20, ring: 4",
                                   "SSSO",
                                   "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, "
                                   "{a: 1, b: 3}", "interval: 'exp(1s)'") == 0);
    sim_world_add_tap(t.w, grab_tap, &g);
    sim_world_run(t.w, 2 * SIM_S, 0);
    CU_ASSERT_FATAL(g.ctl[T_PATH_KEY] != NULL);
    CU_ASSERT_EQUAL(g.cfrom[T_PATH_KEY], 1);          /* the last hop */
    CU_ASSERT_EQUAL(g.cto[T_PATH_KEY], 2);
    CU_ASSERT(eg_link_state(t.w, 2, 0) == EG_LINK_OK && eg_link_same_key(t.w, 0, 2));
    rej = tw_met(t.w, "eg.rejected");
    paths = tw_met(t.w, "eg.path_keys");
    replay(&t, g.ctl[T_PATH_KEY], 1, 2);
    sim_world_run(t.w, 3 * SIM_S, 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected") - rej, 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), paths);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 2, 0), EG_LINK_OK);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 0, 2), EG_LINK_OK);
    CU_ASSERT(eg_link_same_key(t.w, 0, 2));
    grab_free(t.w, &g);
    tw_free(&t);
}

/* A clear HELLO sent by an attacker in a neighbour's name. */
static void inject_hello(tworld *t, uint32_t from, uint32_t to,
                         const uint32_t *ids, uint32_t n)
{
    sim_pkt *p = sim_pkt_new(t->w, SIM_PKT_CONTROL, from, to, 5000, 1,
                             1 + 4 + 4 * n);
    sim_pkt_ctl(p)[0] = T_HELLO;
    sim_pkt_data(p)[0] = T_HELLO;
    sim_put32(sim_pkt_data(p) + 1, n);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(sim_pkt_data(p) + 5 + 4 * i, ids[i]);
    p->atk = 1;
    CU_ASSERT_EQUAL(sim_world_inject(t->w, from, to, p), 0);
}

/* Discovery is in clear (E–G), so a forged HELLO that leaves out the id
 * a link key is built on moves that end to the next shared id (a denial
 * of service: the other end still uses the old key).  The neighbour's
 * real ring sent again (a replayed HELLO) does not bring the old key
 * back: its value, installed again, would restart its nonce counters.
 * Ids never announced before are ignored; a malformed HELLO is refused
 * and leaves the known ring as it was. */
void test_forged_hello(void)
{
    tworld t;
    uint32_t r1[RING_MAX], n1, s0[RING_MAX], ns0, s[RING_MAX], ns, fake[RING_MAX];
    uint32_t k = 0;
    double rej;

    CU_ASSERT_FATAL(explicit_world(&t, 1, "10s", "pool: 10, ring: 8",
                                   LINE_ROLES, LINE_LINKS,
                                   "interval: 'exp(2s)'") == 0);
    sim_world_run(t.w, SIM_S, 0);
    n1 = eg_ring(t.w, 1, r1, RING_MAX);
    ns0 = eg_link_shared(t.w, 2, 1, s0, RING_MAX);
    CU_ASSERT_FATAL(ns0 >= 2 && eg_link_same_key(t.w, 1, 2));
    /* Malformed (not ascending): refused, nothing changes. */
    rej = tw_met(t.w, "eg.rejected");
    fake[0] = r1[1];
    fake[1] = r1[0];
    inject_hello(&t, 1, 2, fake, 2);
    sim_world_run(t.w, 2 * SIM_S, 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected") - rej, 1);
    CU_ASSERT(eg_link_same_key(t.w, 1, 2));
    /* Node 1's ring without the link's key id s0[0], plus ids 1 never
     * announced. */
    for (uint32_t i = 0; i < n1; i++)
        if (r1[i] != s0[0])
            fake[k++] = r1[i];
    inject_hello(&t, 1, 2, fake, k);
    sim_world_run(t.w, 3 * SIM_S, 0);
    ns = eg_link_shared(t.w, 2, 1, s, RING_MAX);
    CU_ASSERT_EQUAL(ns, ns0 - 1);
    CU_ASSERT(ns >= 1 && s[0] == s0[1]);
    CU_ASSERT(!eg_link_same_key(t.w, 1, 2));          /* DoS */
    /* The real ring again, and a superset: the old key stays gone. */
    inject_hello(&t, 1, 2, r1, n1);
    {
        uint32_t all[10];
        for (uint32_t i = 0; i < 10; i++)
            all[i] = i;
        inject_hello(&t, 1, 2, all, 10);
    }
    sim_world_run(t.w, 4 * SIM_S, 0);
    ns = eg_link_shared(t.w, 2, 1, s, RING_MAX);
    CU_ASSERT_EQUAL(ns, ns0 - 1);
    CU_ASSERT(ns >= 1 && s[0] == s0[1]);
    tw_free(&t);
}

/* Key hygiene (wipelog.h): a capture detected at 6 s makes E-G revoke the
 * captured rings' keys (every holder's copy is wiped by cry_key_free),
 * and freeing the world wipes the regions of every key store (the
 * protocol's and the attackers' knowledge base) before they are
 * unmapped. */
void test_wipe_on_world_free(void)
{
    tworld t;
    wipelog l;
    char yaml[2048];
    int n = snprintf(yaml, sizeof yaml,
        "name: eg-test\nseed: 1\nduration: 20s\n"
        "protocol: {name: eg, pool: 200, ring: 30}\n"
        "topology:\n  generator: grid\n  sources: 15\n"
        "  smart_objects: 1\n  subscribers: 0\n  columns: 4\n"
        "  spacing: 10m\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
        "traffic: {interval: 'exp(2s)', size: 64B}\n"
        "smart_object: {service: 'exp(5ms)'}\n"
        "attackers:\n"
        "  - {type: node_capture, count: 2, at: 5s, detection: 1s}\n");

    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof yaml);
    CU_ASSERT_FATAL(tw_new(&t, yaml, 1) == 0);
    wipelog_start(&l);
    tw_run_all(&t);
    CU_ASSERT(l.n_keys >= 1);          /* the revoked keys */
    l.n_regions = 0;
    l.n_store = 0;
    tw_free(&t);
    wipelog_stop();
    CU_ASSERT(l.n_store >= 2);
    CU_ASSERT(l.n_regions >= 2);
    CU_ASSERT_EQUAL(l.nonzero, 0);
}
