/* eg_route.c — Eschenauer–Gligor: data.  Routes (data_routing: greedy
 * over a node's own secured links, or secured_graph's route trees, the
 * named locality exception) and the data hooks: hop-by-hop sealing under
 * link keys (protect, forward, unprotect, route).  The design is in
 * eg.c's opening comment ("Data"); shared state in eg_int.h. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto.h"
#include "world.h"
#include "wire.h"
#include "cry.h"
#include "cry_key.h"
#include "util.h"
#include "eg.h"
#include "pk.h"
#include "kb.h"
#include "eg_int.h"

static int is_data(const sim_pkt *p);

/* ------------------------------------------------------------------------
 * Secured routes
 * ---------------------------------------------------------------------- */

/* A node's home in a tree's table (murmur3's finaliser). */
static uint32_t rt_hash(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

/* Tree R's entry of node, or NULL. */
static rt_ent *rt_find(const eg_rt *R, uint32_t node)
{
    uint32_t mask = R->cap - 1, i = rt_hash(node) & mask;

    for (;; i = (i + 1) & mask) {
        if (R->tab[i].node == node)
            return &R->tab[i];
        if (R->tab[i].node == RT_FREE)
            return NULL;
    }
}

/* Adds node (not in R) at `depth`; returns its entry (valid until the
 * next add). */
static rt_ent *rt_add(eg_rt *R, uint32_t node, uint32_t depth)
{
    uint32_t mask, i;

    if (4 * ((uint64_t)R->used + 1) > 3 * (uint64_t)R->cap) {
        rt_ent *old = R->tab;
        uint32_t oldcap = R->cap;
        R->cap = oldcap ? 2 * oldcap : 64;
        R->tab = xreallocarray(NULL, R->cap, sizeof *R->tab);
        for (uint32_t k = 0; k < R->cap; k++)
            R->tab[k].node = RT_FREE;
        R->used = 0;
        for (uint32_t k = 0; k < oldcap; k++)
            if (old[k].node != RT_FREE)
                *rt_add(R, old[k].node, 0) = old[k];
        free(old);
    }
    mask = R->cap - 1;
    for (i = rt_hash(node) & mask; R->tab[i].node != RT_FREE;
         i = (i + 1) & mask)
        ;
    R->tab[i].node = node;
    R->tab[i].depth = depth;
    R->tab[i].nh = RT_NH_UNSET;
    R->tab[i].nh_node = SIM_NONE;
    R->used++;
    return &R->tab[i];
}

/* Empties tree R for the current generation: only dst is discovered.
 * O(its table), no more than a few times what it had discovered. */
static void rt_reset(eg *E, eg_rt *R)
{
    for (uint32_t k = 0; k < R->cap; k++)
        R->tab[k].node = RT_FREE;
    R->used = R->n_q = R->head = R->n_unr = 0;
    R->q[R->n_q++] = R->dst;
    rt_add(R, R->dst, 0);
    R->gen = E->part[0].sec_gen;       /* secured_graph: one partition */
}
/* Expands the next node of tree R: discovers its secured neighbours not
 * seen yet, one level deeper.  Returns 1 if `at` was among them. */
static int rt_expand(eg *E, eg_rt *R, uint32_t at)
{
    const sim_topo *t = E->b.t;
    uint32_t x = R->q[R->head++], d = rt_find(R, x)->depth + 1;
    int found = 0;

    for (uint32_t s = t->adj_off[x]; s < t->adj_off[x + 1]; s++) {
        uint32_t y = t->adj[s];
        if (!slot_up(E, s) || rt_find(R, y))
            continue;
        rt_add(R, y, d);
        if (R->n_q == R->cap_q) {
            R->cap_q *= 2;
            R->q = xreallocarray(R->q, R->cap_q, sizeof *R->q);
        }
        R->q[R->n_q++] = y;
        found |= y == at;
    }
    return found;
}

/* Expands tree R until it discovers `at` (not discovered yet, not its
 * dst): 1 then, 0 if at is not connected to dst over the secured graph.
 * A second search from `at` (bfs_* scratch) advances one node per node
 * the tree expands, and stops as soon as it meets the tree: so a node cut
 * off in a small component is told so after a few steps instead of after
 * the tree has explored the whole of dst's component, and a connected
 * node costs at most twice the tree's growth.  (The tree always holds
 * dst: a search from at that ends without meeting it never reached dst.) */
static int rt_reach(eg *E, eg_rt *R, uint32_t at)
{
    const sim_topo *t = E->b.t;
    uint32_t head = 0, tail = 0, stamp = new_stamp(E);
    int met = 0;

    E->bfs_seen[at] = stamp;
    E->bfs_q[tail++] = at;
    for (;;) {
        if (R->head == R->n_q)
            return 0;                     /* dst's component: not there */
        if (rt_expand(E, R, at))
            return 1;
        if (met)
            continue;
        if (head == tail)
            return 0;                     /* at's component: no dst */
        for (uint32_t x = E->bfs_q[head++], s = t->adj_off[x];
             s < t->adj_off[x + 1] && !met; s++) {
            uint32_t y = t->adj[s];
            const rt_ent *e;
            if (!slot_up(E, s) || E->bfs_seen[y] == stamp)
                continue;
            if ((e = rt_find(R, y)) != NULL) {
                if (e->depth == RT_UNREACH)
                    return 0;             /* known cut off from dst */
                met = 1;                  /* connected: the tree gets there */
            }
            E->bfs_seen[y] = stamp;
            E->bfs_q[tail++] = y;
        }
    }
}

/* at's next hop in tree R (at != its dst): its lowest-index secured
 * neighbour one step closer to dst (adjacency is sorted by index), or
 * SIM_NONE if at is not connected to dst; *slot gets the CSR slot of
 * at's link to it.  Answers are kept until the secured graph changes. */
static uint32_t rt_next_hop(eg *E, eg_rt *R, uint32_t at, uint32_t *slot)
{
    const sim_topo *t = E->b.t;
    rt_ent *e;
    uint32_t nh = UINT32_MAX;

    if (R->gen != E->part[0].sec_gen)
        rt_reset(E, R);
    if (!(e = rt_find(R, at))) {
        if (!rt_reach(E, R, at)) {
            rt_add(R, at, RT_UNREACH);
            if (R->n_unr == R->cap_unr) {
                R->cap_unr = R->cap_unr ? 2 * R->cap_unr : 16;
                R->unr = xreallocarray(R->unr, R->cap_unr, sizeof *R->unr);
            }
            R->unr[R->n_unr++] = at;
            return SIM_NONE;
        }
        e = rt_find(R, at);
    }
    if (e->depth == RT_UNREACH)
        return SIM_NONE;
    if (e->nh != RT_NH_UNSET) {
        *slot = e->nh;
        return e->nh_node;
    }
    /* Every node of depth d - 1 is discovered once at (depth d) is; the
     * first slot of a neighbour is its canonical one. */
    for (uint32_t s = t->adj_off[at]; s < t->adj_off[at + 1]; s++) {
        const rt_ent *y;
        if (slot_up(E, s) && (y = rt_find(R, t->adj[s])) != NULL &&
            y->depth + 1 == e->depth) {
            nh = s;
            break;
        }
    }
    assert(nh != UINT32_MAX);
    e->nh = nh;
    e->nh_node = t->adj[nh];
    *slot = nh;
    return e->nh_node;
}

/* The next hop of data at `at` towards dst: greedy_next_hop's under
 * data_routing: greedy; under secured_graph on a shortest secured path if
 * there is one (dst an SO or a subscriber), else the world's shortest
 * path (whose hop, not secured, makes the caller hold or drop it).
 * LOCALITY EXCEPTION of secured_graph (named in the README): the secured
 * route trees read up[], i.e. every node's link states, not only at's;
 * they stand in for a routing protocol over secured links whose messages
 * kmsim does not simulate.  The world's fewest-hop routing alone is the
 * shared service.
 * *lp gets at's (canonical) slot of it, NULL when there is none. */
/* Hops from u to dst on the world's fewest-hop routes (the shared
 * network-layer service), counted up to `limit` (returned when farther or
 * unreachable).  O(result) world look-ups. */
static uint32_t world_hops(eg *E, uint32_t u, uint32_t dst, uint32_t limit)
{
    uint32_t h = 0;

    while (u != dst && h < limit) {
        if ((u = sim_world_next_hop(E->b.w, u, dst, NULL)) == SIM_NONE)
            return limit;
        h++;
    }
    return h;
}

/* data_routing: greedy (kmsim extension, local): at's next hop towards
 * dst is the world's if at's own link to it is secured (OK in at's
 * table), else at's secured neighbour nearest to dst by the world's hop
 * count, if strictly nearer than at (ties to the lowest index); else the
 * world's, unsecured (the caller holds or drops the data).  Every hop
 * brings the packet strictly nearer to dst: no loops.  It reads only at's
 * own links and the world's routes, and cannot take a detour that first
 * leads away from dst. */
static uint32_t greedy_next_hop(eg *E, uint32_t at, uint32_t dst,
                                eg_link **lp)
{
    const sim_topo *t = E->b.t;
    uint32_t nh = sim_world_next_hop(E->b.w, at, dst, NULL), d, best_d;
    uint32_t best = SIM_NONE;
    eg_link *l;

    if (nh == SIM_NONE) {
        *lp = NULL;
        return SIM_NONE;
    }
    l = link_of(E, at, nh);
    if (l && l->state == EG_LINK_OK) {
        *lp = l;
        return nh;
    }
    d = 1 + world_hops(E, nh, dst, UINT32_MAX - 1);   /* at's distance */
    best_d = d;
    for (uint32_t s = t->adj_off[at]; s < t->adj_off[at + 1]; s++) {
        uint32_t u = t->adj[s], du;
        if (u == nh || !is_canon(E, s) || E->lk[s].state != EG_LINK_OK)
            continue;
        if ((du = world_hops(E, u, dst, best_d)) < best_d) {
            best_d = du;
            best = s;
        }
    }
    if (best != SIM_NONE) {
        *lp = &E->lk[best];
        return t->adj[best];
    }
    *lp = l;
    return nh;
}

uint32_t eg_next_hop(eg *E, uint32_t at, uint32_t dst, eg_link **lp)
{
    uint32_t i, s, nh;
    scn_role r;

    if (E->o->data_routing == EG_ROUTE_GREEDY && at < E->n && dst < E->n &&
        at != dst)
        return greedy_next_hop(E, at, dst, lp);
    if (at < E->n && dst < E->n && at != dst) {
        i = E->rt_slot[dst];
        if (i == SIM_NONE &&
            ((r = pk_role(&E->b, dst)) == SCN_ROLE_SO ||
             r == SCN_ROLE_SUBSCRIBER)) {
            i = E->n_rt++;                     /* a new destination */
            E->rt_slot[dst] = i;
            E->rt = xreallocarray(E->rt, E->n_rt, sizeof *E->rt);
            memset(&E->rt[i], 0, sizeof E->rt[i]);
            E->rt[i].dst = dst;
            E->rt[i].cap_q = 16;
            E->rt[i].q = xmalloc(E->rt[i].cap_q * sizeof *E->rt[i].q);
            E->rt[i].gen = 0;                  /* stale: sec_gen >= 1 */
        }
        if (i != SIM_NONE &&
            (nh = rt_next_hop(E, &E->rt[i], at, &s)) != SIM_NONE) {
            *lp = &E->lk[s];
            return nh;
        }
    }
    nh = sim_world_next_hop(E->b.w, at, dst, NULL);
    *lp = nh == SIM_NONE ? NULL : link_of(E, at, nh);
    return nh;
}

/* The route hook: a data packet sealed by `at` goes to the hop it was
 * sealed for (the receiver in its key name N_TX | DIR_ID(at, hop)), which
 * protect/forward/flush chose with eg_next_hop; anything else takes the
 * world's shortest path. */
uint32_t eg_route(sim_world *w, void *ps, uint32_t at,
                  const sim_pkt *p)
{
    uint64_t name;
    (void)w; (void)ps;

    if (!is_data(p) || !(sim_pkt_flags(p) & SIM_F_DATA_SEALED))
        return SIM_NONE;
    name = sim_pkt_key_name(p);
    if ((name & (0xfull << 60)) != N_TX ||
        ((name >> 32) & 0x0fffffffull) != at)
        return SIM_NONE;
    return (uint32_t)name;
}

/* ------------------------------------------------------------------------
 * Data
 * ---------------------------------------------------------------------- */

/* Seals data p at v for its next hop nh (l: v's link to nh, OK) and
 * sends it. */
void eg_sealed_send(eg *E, uint32_t v, uint32_t nh, const eg_link *l,
                    sim_pkt *p)
{
    if (pk_seal_data(&E->b, v, p, l->tx, N_TX | DIR_ID(v, nh), 0) != 0) {
        pk_count(&E->b, E->m_dropped, 1);
        sim_pkt_free(E->b.w, p);
        return;
    }
    sim_put32(p->buf + 28, v);            /* hop sender (see eg.c's top) */
    pk_send(&E->b, v, p);
}

static int is_data(const sim_pkt *p)
{
    sim_pkt_type t = sim_pkt_type_of(p);
    return t == SIM_PKT_DATA || t == SIM_PKT_PUBLISH;
}

int eg_protect(sim_world *w, void *ps, uint32_t src, uint32_t dst,
               sim_pkt *p)
{
    eg *E = ps;
    eg_link *l;
    uint32_t nh = eg_next_hop(E, src, dst, &l);

    (void)w;
    if (!l)
        return 0;                         /* unroutable: the world counts */
    if (l->state == EG_LINK_OK) {
        eg_sealed_send(E, src, nh, l, p);
        return 1;
    }
    if ((node_final(E, src) && l->state == EG_LINK_NONE && !l->pathing &&
         l->heard) ||
        l->state == EG_LINK_DEAD || pk_queue_push(&en(E, src)->pend, p)) {
        pk_count(&E->b, E->m_dropped, 1);
        return -1;
    }
    return 1;
}

/* Opens p's data part at v with the receiving key of the hop it came
 * from; 0 or -1. */
static int open_hop(eg *E, uint32_t v, sim_pkt *p)
{
    uint32_t from = sim_get32(p->buf + 28);
    eg_link *l = from < E->n ? link_of(E, v, from) : NULL;
    cry_key k = l && l->state != EG_LINK_DEAD ? l->rx : 0;

    if (!k || !(sim_pkt_flags(p) & SIM_F_DATA_SEALED) ||
        pk_open_data(&E->b, v, p, k) != 0 ||
        (E->o->replay_window && !hop_fresh(l, p))) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    return 0;
}

int eg_forward(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    eg *E = ps;
    uint32_t nh;
    eg_link *l;

    if (!is_data(p))
        return 0;                         /* control: relayed as is */
    stor_prefetch(E, node);
    if (open_hop(E, node, p) != 0)
        return -1;
    (void)w;
    nh = eg_next_hop(E, node, sim_pkt_dst(p), &l);
    if (!l || l->state != EG_LINK_OK) {
        pk_count(&E->b, E->m_dropped, 1);
        return -1;
    }
    eg_sealed_send(E, node, nh, l, p);
    return 1;
}

int eg_unprotect(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    eg *E = ps;
    (void)w;
    stor_prefetch(E, node);
    if (open_hop(E, node, p) != 0)
        return -1;
    E->b.node[node].cpu_due = 0;   /* the SO's service time covers it */
    pk_count(&E->b, E->m_opened, 1);
    return 0;
}
