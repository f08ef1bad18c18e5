/* test_eg_search.c — test_eg's path-key discovery seam (PK_SEARCH /
 * PK_FOUND): detours of one and two hops, a dead end per path_hops, an
 * insider's malformed search and answer, duplicates suppressed while a
 * ring is live and forgotten after its time-out.  One program with
 * tests/test_eg.c (main and the registration) and
 * tests/test_eg_adversary.c; shared helpers in tests/eg_t.h. */
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
 * Path-key discovery by messages (PK_SEARCH / PK_FOUND)
 * ---------------------------------------------------------------------- */

enum { T_PK_SEARCH = 6, T_PK_FOUND = 7 };

/* Counts PK_SEARCH crossing from -> to. */
typedef struct hop_count {
    uint32_t from, to;
    uint64_t n;
} hop_count;

static sim_tap_verdict search_tap(void *ctx, sim_world *w, uint32_t link,
                                  uint32_t from, uint32_t to, sim_pkt *p)
{
    hop_count *h = ctx;
    (void)w; (void)link;
    if (from == h->from && to == h->to && tw_is_ctl(p, T_PK_SEARCH))
        h->n++;
    return SIM_TAP_PASS;
}

/* The triangle of path_seed: 0 and 2 share no key, 1 shares one with
 * both.  The path key is found by messages: one PK_SEARCH of TTL 1 from
 * 0 to its only secured neighbour 1, which has a secured link to 2 and
 * answers with one PK_FOUND; then the key travels 0-1-2 (two PATH_KEY)
 * and comes back acked.  Found in the first ring: before its time-out. */
void test_path_search_messages(void)
{
    uint64_t seed = path_seed();
    tworld t;
    double sb, fb;

    CU_ASSERT_FATAL(seed != 0);
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s", "pool: 20, ring: 4",
                                   "SSSO",
                                   "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, "
                                   "{a: 1, b: 3}", "interval: 'exp(1s)'") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(eg_link_kind(t.w, 0, 2), EG_KIND_PATH);
    CU_ASSERT(eg_link_same_key(t.w, 0, 2));
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.path_key"), 2);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.path_ack"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.pk_search.duplicates"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_key.failed"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 0);
    /* Wire bytes: a PK_SEARCH carries 5 words and a path of 1 node, a
     * PK_FOUND 4 words and a path of 3: the answer is 4 bytes longer. */
    sb = tw_met(t.w, "eg.bytes.pk_search");
    fb = tw_met(t.w, "eg.bytes.pk_found");
    CU_ASSERT(sb > 24 + CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(fb - sb, 4);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "eg.path_key.search_delay"), 1);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "eg.path_key.delay"), 1);
    CU_ASSERT(tw_met(t.w, "eg.path_key.search_delay") > 0);
    CU_ASSERT(tw_met(t.w, "eg.path_key.delay") >
              tw_met(t.w, "eg.path_key.search_delay"));
    CU_ASSERT(tw_met(t.w, "eg.path_key.delay") < 0.2);  /* ring 1 */
    CU_ASSERT_EQUAL(tw_met_n(t.w, "eg.path_key.fail_delay"), 0);
    tw_free(&t);
}

/* 0 - 1 share no key; the detour 0 - 2 - 3 - 1 is secured (and 1 - SO).
 * Ring 1 (TTL 1) reaches 2, which has no link to 1: no answer, time-out;
 * ring 2 reaches 3 through 2, and 3's secured link to 1 answers back
 * 3 - 2 - 0.  With path_hops 1 the search gives up after ring 1. */
#define SQ_ROLES "SSSSO"
#define SQ_LINKS "{a: 0, b: 1}, {a: 0, b: 2}, {a: 2, b: 3}, {a: 3, b: 1}, " \
                 "{a: 1, b: 4}"
void test_path_search_two_hops(void)
{
    static const uint32_t share[] = {0, 2, 2, 3, 3, 1, 1, 4};
    uint64_t seed = seed_where("pool: 20, ring: 4", SQ_ROLES, SQ_LINKS,
                               share, 4, 0, 1);
    uint32_t via[4];
    tworld t;
    double sd;

    CU_ASSERT_FATAL(seed != 0);
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s", "pool: 20, ring: 4",
                                   SQ_ROLES, SQ_LINKS,
                                   "interval: 'exp(5s)'") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(eg_link_kind(t.w, 0, 1), EG_KIND_PATH);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 0, 1), EG_LINK_OK);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 1, 0), EG_LINK_OK);
    CU_ASSERT(eg_link_same_key(t.w, 0, 1));
    CU_ASSERT_EQUAL(eg_link_via(t.w, 0, 1, via, 4), 2);
    CU_ASSERT(via[0] == 2 && via[1] == 3);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), 1 + 2);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), 2);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.path_key"), 3);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.path_ack"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_key.failed"), 0);
    sd = tw_met(t.w, "eg.path_key.search_delay");
    CU_ASSERT(sd > 0.2 && sd < 0.3);      /* ring 1's time-out, then 4 hops */
    CU_ASSERT(tw_met(t.w, "eg.path_key.delay") > sd);
    tw_free(&t);

    /* One intermediate node at most: ring 1 only, then the verdict. */
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s",
                                   "pool: 20, ring: 4, path_hops: 1, "
                                   "path_timeout: 50ms", SQ_ROLES, SQ_LINKS,
                                   "interval: 'exp(5s)'") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 0, 1), EG_LINK_NONE);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.path_key"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_key.failed"), 1);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "eg.path_key.fail_delay"), 1);
    CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "eg.path_key.fail_delay"), 0.05,
                           1e-9);
    tw_free(&t);
}

/* 0 - 1 share no key; 0's secured links lead into a dead end, a diamond
 * 0 - {2, 3} - 4 with a tail 4 - 5, none of which is linked to 1.  No
 * path exists: every ring runs and times out, and the search costs more
 * with path_hops.  Per ring of TTL r (0 sends first to 2, so 4 hears 2
 * first): r = 1: 0->2, 0->3; r = 2: also 2->4, 3->4 (4's second copy is
 * a duplicate); r >= 3: also 4->3 and 4->5 (3's copy from 4 is a
 * duplicate too), 5 has nowhere to go.  4 passes each search on once, so
 * 5 hears one per ring of TTL >= 3. */
#define DE_ROLES "SSSSSSO"
#define DE_LINKS "{a: 0, b: 1}, {a: 0, b: 2}, {a: 0, b: 3}, {a: 2, b: 4}, " \
                 "{a: 3, b: 4}, {a: 4, b: 5}, {a: 1, b: 6}"
void test_path_search_dead_end(void)
{
    static const uint32_t share[] = {0, 2, 0, 3, 2, 4, 3, 4, 4, 5, 1, 6};
    static const double msgs[] = {0, 2, 6, 12, 18};
    static const double dups[] = {0, 0, 1, 3, 5};
    uint64_t seed = seed_where("pool: 20, ring: 4", DE_ROLES, DE_LINKS,
                               share, 6, 0, 1);

    CU_ASSERT_FATAL(seed != 0);
    for (unsigned h = 0; h <= 4; h++) {
        char opts[64];
        hop_count tail = {4, 5, 0};
        tworld t;
        snprintf(opts, sizeof opts, "pool: 20, ring: 4, path_hops: %u", h);
        CU_ASSERT_FATAL(explicit_world(&t, seed, "20s", opts, DE_ROLES,
                                       DE_LINKS, "interval: 'exp(5s)'") == 0);
        sim_world_add_tap(t.w, search_tap, &tail);
        tw_run_all(&t);
        CU_ASSERT_EQUAL(eg_link_state(t.w, 0, 1), EG_LINK_NONE);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), msgs[h]);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.pk_search.duplicates"), dups[h]);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), 0);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 0);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_key.failed"), 1);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 0);
        CU_ASSERT_EQUAL(tail.n, h >= 3 ? h - 2 : 0);
        /* The verdict: after the time-outs of rings 1 .. h (0.2 s per
         * TTL each); none at all with path_hops 0. */
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "eg.path_key.fail_delay"),
                               0.2 * h * (h + 1) / 2, 1e-9);
        tw_free(&t);
    }
}

/* An insider's PK_SEARCH or PK_FOUND, sealed under the right link key
 * (the wire's open hook changes the plaintext that opened, as a sender
 * holding the key could have sealed it): the first message of type
 * `type` opened gets variant `variant`. */
typedef struct mutate {
    int type, variant, done;
} mutate;

static void mutate_hook(void *ctx, int part, unsigned char *pt, uint32_t len)
{
    mutate *m = ctx;
    unsigned char *b = pt + 1;            /* after the type byte */

    if (part != 1 || len < 1 || pt[0] != m->type || m->done)
        return;
    m->done = 1;
    if (m->type == T_PK_SEARCH) {         /* a, z, sid, ttl, n, path */
        CU_ASSERT_FATAL(len == 1 + 20 + 4);
        switch (m->variant) {
        case 0: sim_put32(b + 12, 9); break;          /* ttl > path_hops */
        case 1: sim_put32(b + 12, 0); break;          /* ttl 0 */
        case 2: sim_put32(b + 16, 2); break;          /* n: length */
        case 3: sim_put32(b + 16, 0); break;          /* n: empty path */
        case 4: sim_put32(b + 20, 77); break;         /* not a node */
        case 5: sim_put32(b + 4, 0); break;           /* z = a */
        case 6: sim_put32(b + 4, 1000); break;        /* z not a node */
        case 7: sim_put32(b, 1); sim_put32(b + 20, 1); break; /* a = v */
        default: break;
        }
    } else {                              /* a, sid, n, pos, path */
        CU_ASSERT_FATAL(len == 1 + 16 + 12);
        switch (m->variant) {
        case 0: sim_put32(b + 12, 1); break;          /* pos: not x */
        case 1: sim_put32(b + 8, 4); break;           /* n: length */
        case 2: sim_put32(b + 24, 0); break;          /* z = a repeats */
        case 3: sim_put32(b + 20, 3); break;          /* not the sender */
        case 4: sim_put32(b + 16, 2); break;          /* path[0] != a */
        case 5: sim_put32(b + 12, 7); break;          /* pos out of path */
        case 6: sim_put32(b + 4, sim_get32(b + 4) ^ 0x1000); break; /* sid */
        default: break;
        }
    }
}

/* In the triangle of path_seed, 1 (an insider, or a forger holding a
 * link key) changes one field of ring 1's PK_SEARCH it received (or of
 * the PK_FOUND it sent): the receiver refuses it (eg.rejected), nothing
 * follows from it, and ring 2 finds the path.  An outsider's forged or
 * clear PK_SEARCH / PK_FOUND: test_forged_control_refused (types 6, 7).
 * A replayed PK_SEARCH is refused by the link's replay window; a PK_FOUND
 * naming another search is ignored. */
void test_path_search_malformed(void)
{
    uint64_t seed = path_seed();
    static const int n_var[2] = {8, 6};
    grab g;
    tworld t;

    CU_ASSERT_FATAL(seed != 0);
    for (int ty = 0; ty < 2; ty++)
        for (int v = 0; v < n_var[ty]; v++) {
            mutate m = {ty ? T_PK_FOUND : T_PK_SEARCH, v, 0};
            CU_ASSERT_FATAL(explicit_world(&t, seed, "10s",
                                           "pool: 20, ring: 4", "SSSO",
                                           "{a: 0, b: 1}, {a: 1, b: 2}, "
                                           "{a: 0, b: 2}, {a: 1, b: 3}",
                                           "interval: 'exp(1s)'") == 0);
            sim_wire_set_open_hook(mutate_hook, &m);
            tw_run_all(&t);
            sim_wire_set_open_hook(NULL, NULL);
            CU_ASSERT(m.done);
            CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 1);
            CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), 2);
            CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), ty ? 2 : 1);
            CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.path_key"), 2);
            CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 1);
            CU_ASSERT(tw_met(t.w, "eg.path_key.search_delay") > 0.2);
            CU_ASSERT(eg_link_same_key(t.w, 0, 2));
            tw_free(&t);
        }

    /* A PK_FOUND naming another search id: not followed, not refused
     * (a late answer to an earlier ring looks the same); ring 2 finds. */
    {
        mutate m = {T_PK_FOUND, 6, 0};
        CU_ASSERT_FATAL(explicit_world(&t, seed, "10s", "pool: 20, ring: 4",
                                       "SSSO",
                                       "{a: 0, b: 1}, {a: 1, b: 2}, "
                                       "{a: 0, b: 2}, {a: 1, b: 3}",
                                       "interval: 'exp(1s)'") == 0);
        sim_wire_set_open_hook(mutate_hook, &m);
        tw_run_all(&t);
        sim_wire_set_open_hook(NULL, NULL);
        CU_ASSERT(m.done);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 0);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), 2);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), 2);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 1);
        CU_ASSERT(tw_met(t.w, "eg.path_key.search_delay") > 0.2);
        tw_free(&t);
    }

    /* A copy of ring 1's PK_SEARCH sent again to 1. */
    memset(&g, 0, sizeof g);
    g.want_a = 0;
    g.want_b = 1;
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s", "pool: 20, ring: 4",
                                   "SSSO",
                                   "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, "
                                   "{a: 1, b: 3}", "interval: 'exp(1s)'") == 0);
    sim_world_add_tap(t.w, grab_tap, &g);
    sim_world_run(t.w, 3 * SIM_S, 0);
    CU_ASSERT_FATAL(g.ctl[T_PK_SEARCH] != NULL);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), 1);
    replay(&t, g.ctl[T_PK_SEARCH], 0, 1);
    sim_world_run(t.w, 4 * SIM_S, 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_found"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 1);
    grab_free(t.w, &g);
    tw_free(&t);
}

/* Every PK_SEARCH opened (the wire's open hook sees each one that reached
 * its receiver), as its sender passed it on: the sender is the path's
 * last node, and one pass of a search by a node sends the same path to
 * each of its neighbours. */
typedef struct fwd {
    uint32_t sender, a, sid, n;
    uint32_t path[16 + 1];
} fwd;

typedef struct fwd_log {
    fwd *f;
    size_t n, cap;
} fwd_log;

static void fwd_hook(void *ctx, int part, unsigned char *pt, uint32_t len)
{
    fwd_log *g = ctx;
    const unsigned char *b = pt + 1;      /* after the type byte */
    fwd *f;

    /* Data parts open through the hook too (hop by hop): only a part
     * that reads as a PK_SEARCH of path_hops 6 counts, and the total is
     * checked against eg.msgs.pk_search. */
    if (part != 1 || len < 21 || pt[0] != T_PK_SEARCH ||
        sim_get32(b + 16) < 1 || sim_get32(b + 16) > 6 ||
        len != 21 + 4 * sim_get32(b + 16))
        return;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 1024;
        g->f = realloc(g->f, g->cap * sizeof *g->f);
        CU_ASSERT_FATAL(g->f != NULL);
    }
    f = &g->f[g->n++];
    memset(f, 0, sizeof *f);
    f->a = sim_get32(b);
    f->sid = sim_get32(b + 8);
    f->n = sim_get32(b + 16);
    for (uint32_t i = 0; i < f->n; i++)
        f->path[i] = sim_get32(b + 20 + 4 * i);
    f->sender = f->path[f->n - 1];
}

static int fwd_cmp(const void *x, const void *y)
{
    const fwd *p = x, *q = y;
    if (p->sender != q->sender)
        return p->sender < q->sender ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->sid != q->sid)
        return p->sid < q->sid ? -1 : 1;
    if (p->n != q->n)
        return p->n < q->n ? -1 : 1;
    return memcmp(p->path, q->path, sizeof p->path);
}

/* Duplicate suppression on a mesh: the 10 x 10 grid with rings of
 * 25 keys out of 1000 (about half the neighbour pairs share none) and
 * path_hops 6, where some 200 searches run in step (a node holds up to
 * 21 live ids at once; 3961 PK_SEARCH in all).  Every node passes each
 * search id (one ring of one search) on at most once (full suppression:
 * each (sender, id) sends one path), so PK_SEARCH = the copies of those
 * passes; with a memory of the last 8 ids (before the fix) some late
 * copies were passed on again and this test failed.  The ids are remembered only while their ring can
 * still be answered: some mid-run, none once every search ended, and a
 * node's table never larger than twice (plus one) what it remembered
 * at its fullest (sampled every 10 ms), rounded up to a power of two. */
void test_path_search_suppression(void)
{
    fwd_log g;
    tworld t;
    uint32_t passes = 0, twice = 0, peak[104], slots;
    uint64_t live_max = 0;

    memset(&g, 0, sizeof g);
    memset(peak, 0, sizeof peak);
    CU_ASSERT_FATAL(grid_world(&t, 1, 100, 10, 2, 2, "20s",
                               "pool: 1000, ring: 25, path_hops: 6") == 0);
    CU_ASSERT_FATAL(sim_world_topo(t.w)->n_nodes == 104);
    sim_wire_set_open_hook(fwd_hook, &g);
    for (sim_time at = 0; at < 10 * SIM_S; at += 10 * SIM_MS) {
        uint64_t live = 0;
        sim_world_run(t.w, at, 0);
        for (uint32_t v = 0; v < 104; v++) {
            uint32_t k = eg_pk_seen(t.w, v, NULL);
            live += k;
            if (k > peak[v])
                peak[v] = k;
        }
        if (live > live_max)
            live_max = live;
    }
    tw_run_all(&t);
    sim_wire_set_open_hook(NULL, NULL);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 0);
    /* Every PK_SEARCH sent was opened (no loss on these links). */
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), (double)g.n);
    CU_ASSERT(g.n > 2000);
    CU_ASSERT(tw_met(t.w, "eg.pk_search.duplicates") > 500);
    CU_ASSERT(tw_met(t.w, "eg.path_keys") > 10);
    qsort(g.f, g.n, sizeof *g.f, fwd_cmp);
    for (size_t i = 0; i < g.n; i++) {
        if (i && g.f[i].sender == g.f[i - 1].sender &&
            g.f[i].a == g.f[i - 1].a && g.f[i].sid == g.f[i - 1].sid) {
            if (fwd_cmp(&g.f[i], &g.f[i - 1]) != 0)
                twice++;                  /* the same id, another pass */
            continue;
        }
        passes++;
    }
    CU_ASSERT_EQUAL(twice, 0);
    CU_ASSERT(passes > 500);
    /* Memory: remembered only while live, the table bounded by that. */
    CU_ASSERT(live_max > 100);
    for (uint32_t v = 0; v < 104; v++) {
        uint32_t cap = 8;
        while (cap < 2 * (peak[v] + 1))
            cap *= 2;
        CU_ASSERT_EQUAL(eg_pk_seen(t.w, v, &slots), 0);
        CU_ASSERT(slots <= cap);
    }
    free(g.f);
    tw_free(&t);
}

/* An id is forgotten once its ring's time-out has passed.  On the dead
 * end of test_path_search_dead_end with path_hops 3, the insider hook
 * gives ring 3's PK_SEARCH from 0 the id of ring 1 (which 2 and 3 took
 * 0.4 s earlier, remembered for ring 1's TTL 1 x 200 ms): 2 and 3 take it
 * again and the ring runs as any other (12 PK_SEARCH, 3 duplicates, one
 * copy 4 -> 5), where a node that still held the id would have dropped
 * both copies (8 PK_SEARCH, nothing past 2 and 3). */
typedef struct reuse {
    uint32_t sid1;                        /* ring 1's id, 0: not seen yet */
    unsigned changed;
} reuse;

static void reuse_hook(void *ctx, int part, unsigned char *pt, uint32_t len)
{
    reuse *r = ctx;
    unsigned char *b = pt + 1;

    if (part != 1 || len != 1 + 20 + 4 || pt[0] != T_PK_SEARCH)
        return;                           /* only 0's own: path of 1 */
    if (sim_get32(b + 12) == 1 && !r->sid1)
        r->sid1 = sim_get32(b + 8);
    else if (sim_get32(b + 12) == 3 && r->sid1) {
        sim_put32(b + 8, r->sid1);
        r->changed++;
    }
}

void test_path_search_expiry(void)
{
    static const uint32_t share[] = {0, 2, 0, 3, 2, 4, 3, 4, 4, 5, 1, 6};
    uint64_t seed = seed_where("pool: 20, ring: 4", DE_ROLES, DE_LINKS,
                               share, 6, 0, 1);
    hop_count tail = {4, 5, 0};
    reuse r = {0, 0};
    tworld t;

    CU_ASSERT_FATAL(seed != 0);
    CU_ASSERT_FATAL(explicit_world(&t, seed, "20s",
                                   "pool: 20, ring: 4, path_hops: 3",
                                   DE_ROLES, DE_LINKS,
                                   "interval: 'exp(5s)'") == 0);
    sim_world_add_tap(t.w, search_tap, &tail);
    sim_wire_set_open_hook(reuse_hook, &r);
    tw_run_all(&t);
    sim_wire_set_open_hook(NULL, NULL);
    CU_ASSERT(r.sid1 != 0);
    CU_ASSERT_EQUAL(r.changed, 2);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.msgs.pk_search"), 12);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.pk_search.duplicates"), 3);
    CU_ASSERT_EQUAL(tail.n, 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_key.failed"), 1);
    for (uint32_t v = 0; v < 7; v++)
        CU_ASSERT_EQUAL(eg_pk_seen(t.w, v, NULL), 0);
    tw_free(&t);
}
