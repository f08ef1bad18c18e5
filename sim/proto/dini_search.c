/* dini_search.c — Dini et al., discovery: Algorithm 1's search of
 * adjacent nodes by messages (seed 001 §4.1; message formats are
 * interpretation): candidate paths, pairing start and the SEARCH requests
 * with their answers. */

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "proto.h"
#include "world.h"
#include "wire.h"
#include "kmap.h"
#include "cry_key.h"
#include "metrics.h"
#include "util.h"
#include "dini.h"
#include "estimate.h"
#include "pk.h"
#include "kb.h"
#include "cry.h"
#include "dini_int.h"

/* ------------------------------------------------------------------------
 * Discovery (Algorithm 1's search of adjacent nodes, by messages)
 *
 * Labels: the branches (first, (M,N)_K, findGlobalKey, adjacent nodes,
 * search, disconnected) are the paper's; the two findGlobalKey readings,
 * the SEARCH format, its TTL, time-outs, candidates and PFAIL are
 * interpretation (the paper names the search, not its messages).
 *
 * A source S without a channel to its SO N first tries the direct branch
 * when findGlobalKey(N, S) can run: always under findglobalkey: network
 * (the NOS reading of seed 001: a registered source reaches its NOS over
 * the routed network; interpretation), only when N is a radio neighbour
 * under findglobalkey: radio.  The direct path [S, N] is then the first
 * candidate, and the findGlobalKey exchange of its propagation is the
 * test.  Otherwise (or when that exchange names no key) S searches:
 * SEARCH(id, N, TTL, path, names) to each radio neighbour, naming the
 * local key in S's CT for it and S's valid global keys.  A receiver
 * answers from its own tables only: it can pair with the sender if it
 * holds one of those local keys in its CT for the sender, or one of those
 * global keys (an SO: of its pool; a source: of its ring).  N answers
 * FOUND with the path; another node that can pair forwards with TTL - 1
 * (at most search_hops intermediate nodes) and sends back the first FOUND
 * from below, or NO when all its neighbours said NO or their time-out
 * ((TTL + 2) x search_timeout) passed; a node that already relays a
 * search (same id) answers NO at once.  Source-to-source pairing on a
 * global key stays radio-adjacent under both readings: the search only
 * runs over radio links.  S keeps up to CAND_MAX FOUND paths as
 * candidates and sets up the first; when a hop of that propagation gets
 * an empty findGlobalKey answer (PFAIL back to S) it tries the next, then
 * a search, then (all answers in, nothing found) it is disconnected.
 * SEARCH, its answers and PFAIL travel in clear like findGlobalKey (they
 * carry key names, never values): an insider can lie in them, which costs
 * at most a failed set-up (every key still travels sealed under a key the
 * sender picked from its own state); receivers check lengths, node ids,
 * TTL and paths.  Counted apart: dini.msgs.search, .search_reply, .pfail,
 * dini.bytes.search (wire bytes of SEARCH and its answers).
 * ---------------------------------------------------------------------- */

static void prop_begin(dini *D, uint32_t s, const uint32_t *path,
                       uint32_t len);
static void search_begin(dini *D, uint32_t s);

/* Candidate `slot` of source s: [len, nodes...], malloc'd, freed when the
 * next set-up starts (cand_clear) or with the protocol state. */
static void cand_push(dini *D, uint32_t s, const uint32_t *path, uint32_t len)
{
    dpart *P = di_dp_of(D, s);
    dnode *n = di_dn(D, s);
    uint32_t *c;

    if (n->n_cand >= CAND_MAX)
        return;
    c = xmalloc(sizeof *c * (len + 1));
    c[0] = len;
    memcpy(c + 1, path, sizeof *path * len);
    kmap_put(&P->cands, s, n->n_cand++, (uint64_t)(uintptr_t)c);
}

/* s's candidates are forgotten (a new set-up). */
static void cand_clear(dini *D, uint32_t s)
{
    dpart *P = di_dp_of(D, s);
    dnode *n = di_dn(D, s);

    for (uint32_t i = 0; i < n->n_cand; i++) {
        uint64_t *c = kmap_get(&P->cands, s, i);
        if (c)
            free((void *)(uintptr_t)*c);
        kmap_del(&P->cands, s, i);
    }
    n->n_cand = n->cand_next = 0;
    n->cur = NULL;
}

/* The next step of s's set-up after a start or a failed candidate: the
 * next candidate path, else a search (once per set-up), else wait for the
 * search's last answers, else disconnected. */
void di_setup_next(dini *D, uint32_t s)
{
    dpart *P = di_dp_of(D, s);
    dnode *n = di_dn(D, s);

    n->cur = NULL;
    if (n->cand_next < n->n_cand) {
        uint64_t *c = kmap_get(&P->cands, s, n->cand_next++);
        uint32_t *path = (uint32_t *)(uintptr_t)*c;
        prop_begin(D, s, path + 1, path[0]);
        n->cur = path;
        return;
    }
    if (!n->searched) {
        search_begin(D, s);
        return;
    }
    n->state = CH_SEARCHING;
    if (!n->search_live)
        di_disconnect(D, s);
}

/* Algorithm 1's (M,N)_K branch, from S's own tables: S holds a local key
 * K that it shares with a radio neighbour M (CT(S, M)) and its route entry
 * for K says K's channel goes up through M to S's SO: S uses that channel
 * as (S, M, ..., N)K, with no new key and no message (data carry it). */
static int chain_branch(dini *D, uint32_t s, uint32_t so)
{
    const dpart *P = di_dp_of(D, s);
    const sim_topo *t = sim_world_topo(D->w);
    dnode *n = di_dn(D, s);

    for (uint32_t e = t->adj_off[s]; e < t->adj_off[s + 1]; e++) {
        uint32_t m = t->adj[e];
        const uint64_t *hd = di_nt_get(D, &D->ct, "dini.ct", s, m);
        for (uint32_t j = hd ? (uint32_t)*hd : 0; j; j = P->cte[j - 1].next) {
            uint64_t k = P->cte[j - 1].name;
            const uint64_t *r = di_nt_get(D, &D->route, "dini.route", s, k);
            const uint64_t *h;
            if (!di_key_of(D, s, k) || !r || (uint32_t)*r != m ||
                (uint32_t)(*r >> 32) != so)
                continue;
            h = di_nt_get(D, &D->rhops, "dini.rhops", s, k);
            n->ch_name = k;
            n->hops = (uint16_t)(h ? *h : 2);
            return 1;
        }
    }
    return 0;
}

/* Starts (or restarts) the channel of source s towards its home SO. */
void di_pair_start(dini *D, uint32_t s)
{
    dnode *n = di_dn(D, s);
    uint32_t so = sim_world_home_so(D->w, s);
    uint64_t k;

    if (so == SIM_NONE) {
        n->state = CH_DISCONNECTED;
        return;
    }
    if (n->state == CH_READY || n->state == CH_PAIRING ||
        n->state == CH_SEARCHING)
        return;
    if (!n->restart)
        n->pair_start = sim_world_now(D->w);
    n->restart = 0;
    n->prop_start = sim_world_now(D->w);
    /* Algorithm 1, first branch: a local key with N in S's own CT. */
    if ((k = di_ct_get(D, s, so)) != DINI_NO_KEY) {
        n->ch_name = k;
        n->hops = 1;
        di_channel_ready(D, s);
        return;
    }
    if (chain_branch(D, s, so)) {
        di_channel_ready(D, s);
        return;
    }
    /* A new set-up: candidates from scratch; answers to an older search
     * are stale from now on (its id changes). */
    n->search_ctr++;
    n->searched = n->search_live = 0;
    cand_clear(D, s);
    if (n->keyed && (D->o->findg_network || di_adjacent(D, s, so))) {
        uint32_t direct[2] = {s, so};
        cand_push(D, s, direct, 2);
    }
    di_setup_next(D, s);
}

/* A new propagation of s's channel key along `path` (s first, its SO
 * last): the discovery is over. */
static void prop_begin(dini *D, uint32_t s, const uint32_t *path,
                       uint32_t len)
{
    dnode *n = di_dn(D, s);
    uint32_t so = path[len - 1];

    n->state = CH_PAIRING;
    n->hops = (uint16_t)(len - 1);
    n->prop_start = sim_world_now(D->w);
    di_attempt_begin(D, s);
    if (D->o->so_generates) {
        /* Seed 001: N generates K; S asks for it along the path found,
         * naming its attempt (the OFFERs and a PFAIL carry it back). */
        unsigned char body[1 + 4 + 4 * MAX_PATH];
        body[0] = (unsigned char)len;
        memcpy(body + 1, &n->attempt, 4);
        memcpy(body + 5, path, 4 * (size_t)len);
        di_rel_send(D, s, di_dmsg(D, s, so, D_PAIRREQ, body,
                                  5 + 4 * (size_t)len, 0, 0), 0);
    } else {
        /* Seed 000: S generates K and hands it towards N (a key of an
         * earlier attempt that never left S is used again). */
        dpart *P = di_dp_of(D, s);
        uint64_t kname = 0;
        cry_key k = 0;
        uint32_t pi;
        prop *pr;
        if (n->has_spare && (k = di_key_of(D, s, n->spare_name))) {
            kname = n->spare_name;
            for (uint32_t i = 0; i < P->n_prop; i++)   /* rare: O(live) */
                if (P->prop[i].live && P->prop[i].name == kname &&
                    di_prop_from(&P->prop[i]) == s)
                    di_prop_free(D, P, i); /* its old hop: not offered now */
        } else {
            k = di_new_local(D, s, &kname);
            if (!k) {
                ana_metric_add(sim_world_metrics(D->w), D->m_kincr_out, 1);
                n->has_spare = 0;
                di_disconnect(D, s);         /* K_incr space exhausted */
                return;
            }
            di_key_put(D, s, kname, k);
        }
        n->has_spare = 1;
        n->spare_name = kname;
        n->ch_name = kname;
        di_route_set(D, kname, path, len, 0);
        pi = di_prop_new(D, s, n->attempt);
        pr = &P->prop[pi];
        pr->name = kname;
        di_prop_set_path(pr, path, len);
        pr->pos = 0;
        pr->dir = +1;
        di_prop_step(D, P, pi);
    }
}

/* ---- Search requests ---- */

static void ev_search(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64);

/* A new search record at `node` for search `id` (marked seen there: the
 * origin's counter in slast); returns its index (valid until the next
 * sreq_new: the array grows). */
static uint32_t sreq_new(dini *D, uint32_t node, uint64_t id)
{
    dpart *P = di_dp_of(D, node);
    uint32_t i;
    sreq *r;

    if (P->sreq_free != UINT32_MAX) {
        i = P->sreq_free;
        P->sreq_free = P->sreq[i].next_free;
    } else {
        if (P->n_sreq == P->cap_sreq) {
            P->cap_sreq = P->cap_sreq ? 2 * P->cap_sreq : 16;
            P->sreq = xreallocarray(P->sreq, P->cap_sreq, sizeof *P->sreq);
        }
        i = (uint32_t)P->n_sreq++;
    }
    r = &P->sreq[i];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->node = node;
    r->live = 1;
    r->gen = ++P->sreq_gen;
    di_nt_put(D, &D->sseen, "dini.sseen", node, id, (uint64_t)i + 1);
    di_nt_put(D, &D->slast, "dini.slast", node, id >> 32, (uint32_t)id);
    return i;
}

/* 1 if `node` has seen search `id` (running there, or over: the origin's
 * counters only grow, so a copy of it or of an older search of the same
 * origin is a duplicate). */
static int sreq_seen(const dini *D, uint32_t node, uint64_t id)
{
    const uint64_t *last = di_nt_get(D, &D->slast, "dini.slast", node,
                                     id >> 32);
    return last && *last >= (uint32_t)id;
}

/* Search record i is over: its slot is free, the answers it still
 * awaited are no longer expected, and only slast remembers its id at its
 * holder (later copies of the same search are answered NO). */
static void sreq_release(dini *D, dpart *P, uint32_t i)
{
    sreq *r = &P->sreq[i];
    const sim_topo *t = sim_world_topo(D->w);

    if (r->wait)
        for (uint32_t e = t->adj_off[r->node]; e < t->adj_off[r->node + 1];
             e++)
            di_nt_del(D, &D->sasked, "dini.sasked", r->node,
                      (uint64_t)i << 32 | t->adj[e]);
    di_nt_del(D, &D->sseen, "dini.sseen", r->node, r->id);
    r->live = 0;
    r->next_free = P->sreq_free;
    P->sreq_free = i;
}

/* dini.bytes.search += p's wire bytes (header, control and data parts). */
static void search_count_bytes(dini *D, sim_pkt *p)
{
    ana_metric_add(sim_world_metrics(D->w), D->m_search_bytes,
                   (double)(SIM_HDR_BYTES + sim_pkt_ctl_len(p) +
                            sim_pkt_data_len(p)));
}

/* SEARCH from u = r's holder to v: [id u64][target u32][ttl u8][plen u8]
 * [path u32 x plen][nl u8][local names u64 x nl][ng u8][global names]. */
static void search_send(dini *D, const sreq *r, uint32_t v, uint32_t ttl)
{
    unsigned char body[8 + 4 + 2 + 4 * MAX_PATH + 1 + 8 + 1 + 8 * 255];
    uint32_t u = r->node, ng = 0;
    uint64_t lk = di_ct_get(D, u, v);
    size_t len = 0, ngat;
    sim_pkt *p;

    memcpy(body, &r->id, 8);
    memcpy(body + 8, &r->target, 4);
    body[12] = (unsigned char)ttl;
    body[13] = r->plen;
    len = 14;
    memcpy(body + len, r->path, 4 * (size_t)r->plen);
    len += 4 * (size_t)r->plen;
    body[len++] = lk != DINI_NO_KEY;
    if (lk != DINI_NO_KEY) {
        memcpy(body + len, &lk, 8);
        len += 8;
    }
    ngat = len++;
    assert(D->o->ring <= 255);           /* the option's bound: one byte */
    for (uint32_t i = 0; i < D->o->ring; i++) {
        uint64_t g = di_ring_of(D, u)[i];
        if (g && di_key_of(D, u, g)) {
            memcpy(body + len, &g, 8);
            len += 8;
            ng++;
        }
    }
    body[ngat] = (unsigned char)ng;
    p = di_dmsg(D, u, v, D_SEARCH, body, len, 0, 0);
    search_count_bytes(D, p);
    di_dsend(D, u, p);
}

/* SEARCH_REPLY: [id u64][found u8][plen u8][path u32 x plen]. */
static void search_reply(dini *D, uint32_t from, uint32_t to, uint64_t id,
                         const uint32_t *path, uint32_t plen)
{
    unsigned char body[8 + 2 + 4 * MAX_PATH];
    size_t len = 10;
    sim_pkt *p;

    memcpy(body, &id, 8);
    body[8] = path != NULL;
    body[9] = (unsigned char)(path ? plen : 0);
    if (path) {
        memcpy(body + len, path, 4 * (size_t)plen);
        len += 4 * (size_t)plen;
    }
    p = di_dmsg(D, from, to, D_SEARCH_REPLY, body, len, 0, 0);
    search_count_bytes(D, p);
    di_dsend(D, from, p);
}

/* r's holder asks its radio neighbours (not the one that asked, no node
 * of the path, no subscriber, no SO but the target) with `ttl`; returns
 * how many it asked and arms the time-out. */
static uint32_t search_fanout(dini *D, dpart *P, uint32_t ri, uint32_t ttl)
{
    const sim_topo *t = sim_world_topo(D->w);
    sreq *r = &P->sreq[ri];
    uint32_t u = r->node;

    for (uint32_t e = t->adj_off[u]; e < t->adj_off[u + 1]; e++) {
        uint32_t v = t->adj[e], on_path = 0;
        if (di_is_sub(D, v) || (di_is_so(D, v) && v != r->target))
            continue;
        for (uint32_t i = 0; i < r->plen && !on_path; i++)
            on_path = r->path[i] == v;
        if (on_path)
            continue;
        search_send(D, r, v, ttl);
        di_nt_put(D, &D->sasked, "dini.sasked", u, (uint64_t)ri << 32 | v,
                  r->gen);
        r->wait++;
    }
    if (r->wait)
        sim_sched_at(sim_world_sched(D->w),
                     sim_time_add_sat(di_dn(D, u)->cpu_free,
                                      (sim_time)(ttl + 2) *
                                          D->o->search_timeout),
                     ev_search, SIM_EV_PROTO + 5, u, NULL,
                     (uint64_t)ri << 32 | r->gen);
    return r->wait;
}

/* The origin's search is over (every answer in, or timed out). */
static void search_origin_end(dini *D, uint32_t s, uint64_t id)
{
    dnode *n = di_dn(D, s);

    if (id != ((uint64_t)s << 32 | n->search_ctr))
        return;                                    /* an older search */
    n->search_live = 0;
    if (n->state == CH_SEARCHING)
        di_setup_next(D, s);                          /* nothing found */
}

/* Search ri is over at its holder: a relay answers NO unless it sent a
 * FOUND already; the origin concludes. */
static void search_end(dini *D, dpart *P, uint32_t ri)
{
    sreq *r = &P->sreq[ri];
    uint32_t node = r->node, parent = r->parent;
    uint64_t id = r->id;
    int found = r->found;

    sreq_release(D, P, ri);
    if (parent != SIM_NONE) {
        if (!found)
            search_reply(D, node, parent, id, NULL, 0);
    } else {
        search_origin_end(D, node, id);
    }
}

static void ev_search(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    dini *D = sim_world_proto_state(ctx);
    dpart *P = di_dp_of(D, node);
    uint32_t ri = (uint32_t)(u64 >> 32);
    (void)s; (void)kind; (void)arg;

    if (ri >= P->n_sreq || !P->sreq[ri].live ||
        P->sreq[ri].gen != (uint32_t)u64 || P->sreq[ri].node != node)
        return;                                    /* answered meanwhile */
    search_end(D, P, ri);                          /* the missing: NO */
}

/* S starts a search for its home SO over its radio neighbours. */
static void search_begin(dini *D, uint32_t s)
{
    dnode *n = di_dn(D, s);
    dpart *P;
    uint32_t ri;
    sreq *r;

    n->state = CH_SEARCHING;
    n->searched = 1;
    n->search_live = 1;
    n->search_ctr++;
    di_attempt_begin(D, s);            /* a search that never ends: timeout */
    ana_metric_add(sim_world_metrics(D->w), D->m_searches, 1);
    ri = sreq_new(D, s, (uint64_t)s << 32 | n->search_ctr);
    P = di_dp_of(D, s);
    r = &P->sreq[ri];
    r->parent = SIM_NONE;
    r->target = sim_world_home_so(D->w, s);
    r->plen = 1;
    r->path[0] = s;
    if (search_fanout(D, P, ri, D->o->search_hops) == 0)
        search_end(D, P, ri);                     /* nobody to ask */
}

/* Can `v` pair with the sender of a SEARCH, from v's own tables: a local
 * key named by the sender in v's CT for it, or a global key named by the
 * sender that v holds (an SO: of its pool; a source: of its ring). */
static int search_can_pair(const dini *D, uint32_t v, uint32_t u,
                           const unsigned char *loc, uint32_t nl,
                           const unsigned char *glob, uint32_t ng)
{
    for (uint32_t i = 0; i < nl; i++) {
        uint64_t k;
        memcpy(&k, loc + 8 * i, 8);
        if (IS_LOCAL(k) && di_ct_has(D, v, u, k) && di_key_of(D, v, k))
            return 1;
    }
    for (uint32_t i = 0; i < ng; i++) {
        uint64_t g;
        memcpy(&g, glob + 8 * i, 8);
        if ((g & (NAME_GLOBAL | NAME_DEVICE)) == NAME_GLOBAL &&
            di_key_of(D, v, g))
            return 1;
    }
    return 0;
}

/* SEARCH at v: answered (NO, or FOUND when v is the target and can pair
 * with the sender) or relayed with TTL - 1.  0, or -1 if malformed. */
int di_on_search(dini *D, uint32_t v, sim_pkt *p)
{
    const unsigned char *b = sim_pkt_data(p) + 1;
    size_t len = sim_pkt_data_len(p) - 1, at;
    uint32_t u = sim_pkt_src(p), target, ttl, plen, nl, ng, ri;
    uint32_t path[MAX_PATH];
    const unsigned char *loc, *glob;
    int seen;
    uint64_t id;
    dpart *P;
    sreq *r;

    if (len < 14)
        return -1;
    memcpy(&id, b, 8);
    memcpy(&target, b + 8, 4);
    ttl = b[12];
    plen = b[13];
    if (plen < 1 || plen + 1 > MAX_PATH || ttl > D->o->search_hops ||
        len < 14 + 4 * (size_t)plen + 1)
        return -1;
    memcpy(path, b + 14, 4 * (size_t)plen);
    at = 14 + 4 * (size_t)plen;
    nl = b[at++];
    if (nl > 1 || len < at + 8 * (size_t)nl + 1)
        return -1;
    loc = b + at;
    at += 8 * (size_t)nl;
    ng = b[at++];
    glob = b + at;
    if (len != at + 8 * (size_t)ng || !di_path_valid(D, path, plen) ||
        path[plen - 1] != u || (uint32_t)(id >> 32) != path[0] ||
        target >= D->n_nodes || !di_is_so(D, target) || u == v)
        return -1;
    seen = sreq_seen(D, v, id);
    for (uint32_t i = 0; i < plen && !seen; i++)
        seen = path[i] == v;                /* a loop: as a duplicate */
    if (seen || !search_can_pair(D, v, u, loc, nl, glob, ng) ||
        (di_is_so(D, v) && v != target) || di_is_sub(D, v)) {
        search_reply(D, v, u, id, NULL, 0);
        return 0;
    }
    path[plen++] = v;
    if (v == target) {
        search_reply(D, v, u, id, path, plen);
        return 0;
    }
    if (ttl == 0 || plen + 1 > MAX_PATH) {
        search_reply(D, v, u, id, NULL, 0);
        return 0;
    }
    ri = sreq_new(D, v, id);
    P = di_dp_of(D, v);
    r = &P->sreq[ri];
    r->parent = u;
    r->target = target;
    r->plen = (uint8_t)plen;
    memcpy(r->path, path, 4 * (size_t)plen);
    if (search_fanout(D, P, ri, ttl - 1) == 0)
        search_end(D, P, ri);
    return 0;
}

/* An answer to a search v holds: a FOUND goes up (relay) or becomes a
 * candidate (origin); the last answer ends the search.  Only a neighbour
 * v asked for this search may answer, once (sasked).  0, or -1 if
 * malformed, stale, unasked, repeated or not consistent with v's path. */
int di_on_search_reply(dini *D, uint32_t v, sim_pkt *p)
{
    const unsigned char *b = sim_pkt_data(p) + 1;
    size_t len = sim_pkt_data_len(p) - 1;
    uint32_t u = sim_pkt_src(p), plen, path[MAX_PATH];
    const uint64_t *ix, *asked;
    dpart *P = di_dp_of(D, v);
    uint64_t id;
    sreq *r;
    uint32_t ri;

    if (len < 10)
        return -1;
    memcpy(&id, b, 8);
    ix = di_nt_get(D, &D->sseen, "dini.sseen", v, id);
    if (!ix)
        return -1;                          /* over here: stale */
    ri = (uint32_t)(*ix - 1);
    r = &P->sreq[ri];
    asked = di_nt_get(D, &D->sasked, "dini.sasked", v, (uint64_t)ri << 32 | u);
    if (!asked || *asked != r->gen)
        return -1;                   /* not asked, or answered already */
    plen = b[9];
    if (b[8] > 1 || (b[8] == 0 && (plen != 0 || len != 10)))
        return -1;
    if (b[8]) {
        if (plen < r->plen + 1u || plen > MAX_PATH ||
            len != 10 + 4 * (size_t)plen)
            return -1;
        memcpy(path, b + 10, 4 * (size_t)plen);
        if (!di_path_valid(D, path, plen) || path[plen - 1] != r->target ||
            path[r->plen] != u ||
            memcmp(path, r->path, 4 * (size_t)r->plen) != 0)
            return -1;
        if (r->parent == SIM_NONE) {
            dnode *n = di_dn(D, v);
            if (id == ((uint64_t)v << 32 | n->search_ctr) &&
                (n->state == CH_SEARCHING || n->state == CH_PAIRING)) {
                cand_push(D, v, path, plen);
                if (n->state == CH_SEARCHING)
                    di_setup_next(D, v);
                r = &P->sreq[ri];
            }
        } else if (!r->found) {
            r->found = 1;                   /* the first FOUND goes back */
            search_reply(D, v, r->parent, id, path, plen);
        }
    }
    di_nt_del(D, &D->sasked, "dini.sasked", v,
              (uint64_t)ri << 32 | u);                    /* u answered */
    if (r->wait && --r->wait == 0)
        search_end(D, P, ri);
    return 0;
}
