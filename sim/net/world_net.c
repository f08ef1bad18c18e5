/* world_net.c — the world's network: routing (the SO forest, the 2-core
 * with its cycles and pendant trees, the per-partition cache of core BFS
 * trees: the one shared service), links with their per-direction FIFO
 * transmit queues, losses and attacker taps, sending and forwarding, and
 * a packet's arrival at a node (relayed, or handed to world_deliver in
 * world_so.c).  The seam: a packet's life between its sender and its
 * destination.  Private header: world_int.h. */
#include <assert.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <gsl/gsl_rng.h>
#include "world_int.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * Packet header fields (here, beside the relays that read them on every
 * hop, so that they stay inlined there)
 * ---------------------------------------------------------------------- */

sim_pkt_type sim_pkt_type_of(const sim_pkt *p) { return p->buf[0]; }
uint32_t sim_pkt_src(const sim_pkt *p) { return sim_get32(p->buf + 4); }
uint32_t sim_pkt_dst(const sim_pkt *p) { return sim_get32(p->buf + 8); }
uint32_t sim_pkt_seq(const sim_pkt *p) { return sim_get32(p->buf + 12); }

uint16_t sim_pkt_hops(const sim_pkt *p)
{
    return (uint16_t)(p->buf[2] | p->buf[3] << 8);
}

/* ------------------------------------------------------------------------
 * Routing
 * ---------------------------------------------------------------------- */

/* Link between `at` and neighbour `nb`, by binary search in the sorted
 * CSR row, or SIM_NONE. */
static uint32_t link_to(const sim_topo *t, uint32_t at, uint32_t nb)
{
    uint32_t lo = t->adj_off[at], hi = t->adj_off[at + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->adj[mid] < nb)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < t->adj_off[at + 1] && t->adj[lo] == nb) ? t->adj_link[lo]
                                                          : SIM_NONE;
}

/* The link between `at` and neighbour `nb` that link_to gives, or
 * SIM_NONE: O(1) when they are parent and child in the SO forest (the
 * forest link is the lowest-numbered one between them, as link_to's is),
 * else link_to. */
static uint32_t link_between(const sim_world *w, uint32_t at, uint32_t nb)
{
    if (nb < w->topo.n_nodes) {
        if (w->fwd[at].up == nb)
            return w->fwd[at].to_so_link;
        if (w->fwd[nb].up == at)
            return w->fwd[nb].to_so_link;
    }
    return link_to(&w->topo, at, nb);
}

static uint32_t link_other(const sim_world *w, uint32_t link, uint32_t end)
{
    const wlink *L = &w->wl[link];
    return L->a == end ? L->b : L->a;
}

/* Multi-source BFS from every SO (in index order): near_so (= home_so
 * until a move) and the link towards it for every node that can reach
 * one.  Also returns the BFS order in WP(w)->bfs_queue[0..*n_reached). */
void world_route_forest(sim_world *w, uint32_t *n_reached)
{
    const sim_topo *t = &w->topo;
    uint32_t head = 0, tail = 0;

    for (uint32_t v = 0; v < t->n_nodes; v++) {
        w->fwd[v].near_so = SIM_NONE;
        w->fwd[v].to_so_link = SIM_NONE;
        w->fwd[v].up = SIM_NONE;
        w->fwd[v].depth = 0;
    }
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role == SCN_ROLE_SO) {
            w->fwd[v].near_so = v;
            WP(w)->bfs_queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t u = WP(w)->bfs_queue[head++];
        if (sim_world_setup_poll(w))
            break;                  /* the set-up unwinds (setup_stop) */
        for (uint32_t e = t->adj_off[u]; e < t->adj_off[u + 1]; e++) {
            uint32_t v = t->adj[e];
            if (w->fwd[v].near_so != SIM_NONE)
                continue;
            w->fwd[v].near_so = w->fwd[u].near_so;
            w->fwd[v].to_so_link = t->adj_link[e];
            w->fwd[v].up = u;
            w->fwd[v].depth = w->fwd[u].depth + 1;
            WP(w)->bfs_queue[tail++] = v;
        }
    }
    for (uint32_t v = 0; v < t->n_nodes; v++)
        w->nodes[v].home_so = w->fwd[v].near_so;
    *n_reached = tail;
}

/* ---- Routing beyond the forest: pendant trees and the 2-core -------------
 * Every query that the SO forest and the neighbour test do not answer is
 * answered as a full BFS from dst over neighbours sorted by index would
 * (fewest hops; a node's next hop is the link by which that BFS first
 * discovers it), without running one over the whole graph:
 *  - The 2-core (what is left after peeling nodes of degree <= 1, links
 *    counted with multiplicity) is computed once.  Every other node lies in
 *    a tree hanging by exactly one link from one core node (two links would
 *    make a cycle, which the core would hold), or in a component with no
 *    core at all, rooted at its lowest index.  A core node is the root of
 *    its own rooted tree (itself plus what hangs from it).
 *  - Inside one rooted tree the path is the tree path: the only path that
 *    does not leave and re-enter through the root.  Each of its links is
 *    unique (a non-core node keeps exactly one link to its parent), so the
 *    BFS from dst must take it.  Euler intervals [tin, tout] tell whether
 *    dst lies below `at` (then the child whose interval holds it, by binary
 *    search over the children in tin order) or not (then the parent).
 *  - Otherwise every path from `at` leaves its tree through its root and
 *    enters dst's tree through dst's root D: a non-root goes to its parent;
 *    a core root routes in the core towards D.  Core nodes are discovered
 *    only from core nodes (a pendant node is reached only through its own
 *    root), so the core nodes of the BFS from dst appear in the same order,
 *    each found first by the same core neighbour over the same link, as in
 *    a BFS from D over the core alone with the same adjacency order: the
 *    lazy core trees below give the BFS's own answer.
 * tests/test_world_route.c (test_route_reference_explicit, _generators) checks
 * every (at, dst) pair of about 300 graphs against a plain BFS. */

/* The core neighbours of core node c: up to two, in adjacency order, with
 * their links; returns how many there are (3 meaning "more than two"). */
static unsigned core_nbrs(const sim_world *w, uint32_t c, uint32_t nb[2],
                          uint32_t lk[2])
{
    const sim_topo *t = &w->topo;
    uint32_t v = w->core_node[c];
    unsigned k = 0;

    for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
        uint32_t x = w->core_ix[t->adj[e]];
        if (x == SIM_NONE)
            continue;
        if (k == 2)
            return 3;
        nb[k] = x;
        lk[k++] = t->adj_link[e];
    }
    return k;
}

/* Finds the core components that are one plain cycle of at least three
 * nodes (every node with exactly two distinct core neighbours) and numbers
 * each along the cycle from its lowest core index, towards that node's
 * first core neighbour.  O(core), once per world. */
static void route_cycles(sim_world *w)
{
    uint32_t nc = w->n_core;

    w->cyc_pos = xreallocarray(NULL, nc + 1, sizeof *w->cyc_pos);
    w->cyc_succ = xreallocarray(NULL, nc + 1, sizeof *w->cyc_succ);
    w->cyc_pred = xreallocarray(NULL, nc + 1, sizeof *w->cyc_pred);
    w->cyc_len = xreallocarray(NULL, nc + 1, sizeof *w->cyc_len);
    w->cyc_first_succ = xcalloc(nc + 1, 1);
    for (uint32_t c = 0; c < nc; c++)
        w->cyc_pos[c] = SIM_NONE;
    for (uint32_t c0 = 0; c0 < nc; c0++) {
        uint32_t nb[2], lk[2], prev = SIM_NONE, c = c0, len = 0, ok = 1;

        if (w->core_comp[c0] != c0)
            continue;                       /* one walk per component */
        /* Walk from c0 towards its first core neighbour until back. */
        do {
            uint32_t next, nlk, plk;
            if (core_nbrs(w, c, nb, lk) != 2 || nb[0] == nb[1]) {
                ok = 0;
                break;
            }
            if (prev == SIM_NONE || nb[1] == prev) {
                next = nb[0], nlk = lk[0], plk = lk[1];
            } else {
                next = nb[1], nlk = lk[1], plk = lk[0];
            }
            w->cyc_pos[c] = len++;
            w->cyc_succ[c] = nlk;
            w->cyc_pred[c] = plk;
            w->cyc_first_succ[c] = next == nb[0];
            prev = c;
            c = next;
        } while (c != c0 && len < nc);
        /* A plain cycle: the walk came back to c0 having numbered every
         * node of the component (a figure eight would not). */
        if (ok && c == c0) {
            uint32_t members = 0;
            for (uint32_t x = c0; x < nc; x++)
                members += w->core_comp[x] == c0;
            ok = members == len && len >= 3;
        } else {
            ok = 0;
        }
        if (ok) {
            w->cyc_len[c0] = len;
        } else {
            for (uint32_t x = c0; x < nc; x++)
                if (w->core_comp[x] == c0)
                    w->cyc_pos[x] = SIM_NONE;
        }
    }
}

/* On a plain cycle the fewest hops go the shorter way round.  At the
 * antipode (an even cycle, both ways equally long) a BFS from D finds it
 * first from D's first core neighbour's side: level by level the queue
 * holds that side's node before the other's (pendant nodes never discover
 * core nodes), so the path ends through that neighbour. */
static uint32_t route_cycle(const sim_world *w, uint32_t x, uint32_t d)
{
    uint32_t len = w->cyc_len[w->core_comp[x]];
    uint32_t f = (w->cyc_pos[d] + len - w->cyc_pos[x]) % len, b = len - f;

    if (f != b)
        return f < b ? w->cyc_succ[x] : w->cyc_pred[x];
    /* ends through D's succ when that is D's first core neighbour:
     * arriving from D + 1 means walking down the positions */
    return w->cyc_first_succ[d] ? w->cyc_pred[x] : w->cyc_succ[x];
}

/* Peels the graph to its 2-core, numbers the core (core_ix, core_node, a
 * CSR over core neighbours only when worth it, core_comp) and roots
 * the rest: plink, attach, Euler intervals and the children of every node
 * in tin order.  O(nodes + links), once per world. */
void world_route_decompose(sim_world *w)
{
    const sim_topo *t = &w->topo;
    uint32_t n = t->n_nodes, head = 0, tail = 0, clock = 0, nc = 0;
    uint32_t *deg = xcalloc(n + 1, sizeof *deg);
    uint32_t *stack = WP(w)->bfs_queue;          /* scratch, n + 1 entries */
    uint32_t *cursor = xcalloc(n + 1, sizeof *cursor);
    unsigned char *gone = xcalloc(n + 1, 1);

    /* Peel: a node is queued once, when its remaining degree is <= 1. */
    for (uint32_t v = 0; v < n; v++) {
        deg[v] = sim_topo_degree(t, v);
        if (deg[v] <= 1) {
            stack[tail++] = v;
            gone[v] = 1;
        }
    }
    while (head < tail) {
        uint32_t v = stack[head++];
        for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
            uint32_t u = t->adj[e];
            if (!gone[u] && --deg[u] <= 1) {
                gone[u] = 1;
                stack[tail++] = u;
            }
        }
    }
    w->core_ix = xreallocarray(NULL, n + 1, sizeof *w->core_ix);
    for (uint32_t v = 0; v < n; v++)
        w->core_ix[v] = gone[v] ? SIM_NONE : nc++;
    w->n_core = nc;
    w->core_node = xcalloc(nc + 1, sizeof *w->core_node);
    {
        /* A CSR of its own over core neighbours (8 bytes per entry) only
         * when it saves the core BFS much scanning: when the core holds
         * less than 3/4 of the adjacency (a ring of SOs with their trees).
         * A mostly cyclic graph (random geometric) scans the full
         * adjacency and skips the few non-core entries instead. */
        uint64_t m = 0;
        for (uint32_t v = 0; v < n; v++)
            if (w->core_ix[v] != SIM_NONE) {
                w->core_node[w->core_ix[v]] = v;
                for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++)
                    m += w->core_ix[t->adj[e]] != SIM_NONE;
            }
        if (4 * m < 3 * (uint64_t)t->adj_off[n]) {
            w->core_off = xcalloc(nc + 1, sizeof *w->core_off);
            w->core_adj = xcalloc(m + 1, sizeof *w->core_adj);
            w->core_link = xcalloc(m + 1, sizeof *w->core_link);
            m = 0;
            for (uint32_t c = 0; c < nc; c++) {
                uint32_t v = w->core_node[c];
                w->core_off[c] = (uint32_t)m;
                for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++)
                    if (w->core_ix[t->adj[e]] != SIM_NONE) {
                        w->core_adj[m] = w->core_ix[t->adj[e]];
                        w->core_link[m++] = t->adj_link[e];
                    }
            }
            w->core_off[nc] = (uint32_t)m;
        }
    }

    /* Components of the core (BFS over the core). */
    w->core_comp = xreallocarray(NULL, nc + 1, sizeof *w->core_comp);
    for (uint32_t c = 0; c < nc; c++)
        w->core_comp[c] = SIM_NONE;
    for (uint32_t c0 = 0; c0 < nc; c0++) {
        if (w->core_comp[c0] != SIM_NONE)
            continue;
        head = tail = 0;
        w->core_comp[c0] = c0;
        stack[tail++] = w->core_node[c0];
        while (head < tail) {
            uint32_t v = stack[head++];
            for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
                uint32_t x = w->core_ix[t->adj[e]];
                if (x != SIM_NONE && w->core_comp[x] == SIM_NONE) {
                    w->core_comp[x] = c0;
                    stack[tail++] = t->adj[e];
                }
            }
        }
    }

    route_cycles(w);

    /* Root the trees (core nodes first, then the rest in index order, so a
     * coreless component is rooted at its lowest index) by an iterative DFS
     * that visits children in adjacency order and never enters the core. */
    w->rt_attach = xreallocarray(NULL, n + 1, sizeof *w->rt_attach);
    w->rt_plink = xreallocarray(NULL, n + 1, sizeof *w->rt_plink);
    w->rt_tin = xreallocarray(NULL, n + 1, sizeof *w->rt_tin);
    w->rt_tout = xreallocarray(NULL, n + 1, sizeof *w->rt_tout);
    for (uint32_t v = 0; v < n; v++) {
        w->rt_attach[v] = SIM_NONE;
        w->rt_plink[v] = SIM_NONE;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t r = 0; r < n; r++) {
            uint32_t top = 0;
            if (w->rt_attach[r] != SIM_NONE ||
                (pass == 0) != (w->core_ix[r] != SIM_NONE))
                continue;
            w->rt_attach[r] = r;
            w->rt_tin[r] = clock++;
            cursor[r] = t->adj_off[r];
            stack[top++] = r;
            while (top) {
                uint32_t v = stack[top - 1];
                if (cursor[v] == t->adj_off[v + 1]) {
                    w->rt_tout[v] = clock - 1;
                    top--;
                    continue;
                }
                uint32_t e = cursor[v]++, u = t->adj[e];
                if (w->rt_attach[u] != SIM_NONE ||
                    w->core_ix[u] != SIM_NONE)
                    continue;
                w->rt_attach[u] = r;
                w->rt_plink[u] = t->adj_link[e];
                w->rt_tin[u] = clock++;
                cursor[u] = t->adj_off[u];
                stack[top++] = u;
            }
        }
    }
    /* Children of each node, in adjacency order = tin order. */
    w->rt_child_off = xcalloc(n + 1, sizeof *w->rt_child_off);
    w->rt_child = xcalloc(n + 1, sizeof *w->rt_child);
    for (uint32_t v = 0, k = 0; v < n; v++) {
        w->rt_child_off[v] = k;
        for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
            uint32_t u = t->adj[e];
            if (w->rt_plink[u] == t->adj_link[e])   /* u's parent is v */
                w->rt_child[k++] = u;
        }
        w->rt_child_off[v + 1] = k;
    }
    free(gone);
    free(cursor);
    free(deg);
}

/* Start D's core BFS tree in rt (c = D's core index; via[x] = link from
 * core node x one hop closer to D), reusing rt's arrays: only the entries
 * set by the previous tree (those in its queue) are cleared.  The BFS runs
 * lazily in route_grow, in the same order as a full one. */
static void route_tree_build(sim_world *w, route_tree *rt, uint32_t c)
{
    if (!rt->via) {
        rt->via = xreallocarray(NULL, w->n_core, sizeof *rt->via);
        rt->queue = xreallocarray(NULL, w->n_core, sizeof *rt->queue);
        for (uint32_t x = 0; x < w->n_core; x++)
            rt->via[x] = SIM_NONE;
    } else {
        for (uint32_t i = 0; i < rt->tail; i++)
            rt->via[rt->queue[i]] = SIM_NONE;
    }
    WP(w)->route_builds++;
    rt->dst = c;
    rt->queue[0] = c;
    rt->head = 0;
    rt->tail = 1;
}

/* Continue rt's core BFS until core node `x` is discovered or the queue is
 * empty; whole nodes are expanded in BFS order, so via[x] is exactly what a
 * full core BFS gives (a node's via never changes once set).  Cost: the
 * core ball around D of radius dist(x, D), paid once per tree. */
static uint32_t route_grow(sim_world *w, route_tree *rt, uint32_t x)
{
    while (rt->via[x] == SIM_NONE && rt->head < rt->tail) {
        uint32_t u = rt->queue[rt->head++];
        WP(w)->route_visits++;
        if (w->core_off) {                    /* the core's own CSR      */
            for (uint32_t e = w->core_off[u]; e < w->core_off[u + 1]; e++) {
                uint32_t v = w->core_adj[e];
                if (v == rt->dst || rt->via[v] != SIM_NONE)
                    continue;
                rt->via[v] = w->core_link[e];
                rt->queue[rt->tail++] = v;
            }
        } else {                              /* the full adjacency      */
            const sim_topo *t = &w->topo;
            uint32_t nu = w->core_node[u];
            for (uint32_t e = t->adj_off[nu]; e < t->adj_off[nu + 1]; e++) {
                uint32_t v = w->core_ix[t->adj[e]];
                if (v == SIM_NONE || v == rt->dst || rt->via[v] != SIM_NONE)
                    continue;
                rt->via[v] = t->adj_link[e];
                rt->queue[rt->tail++] = v;
            }
        }
    }
    return rt->via[x];
}

/* Unlink slot i from the LRU list and put it at the head (most recent). */
static void route_touch(sim_world *w, uint32_t i)
{
    route_tree *rt = &WP(w)->routes[i];

    if (WP(w)->lru_head == i)
        return;
    /* Unlink: i is not the head, so it has a predecessor. */
    WP(w)->routes[rt->prev].next = rt->next;
    if (rt->next != SIM_NONE)
        WP(w)->routes[rt->next].prev = rt->prev;
    else
        WP(w)->lru_tail = rt->prev;
    rt->prev = SIM_NONE;
    rt->next = WP(w)->lru_head;
    WP(w)->routes[WP(w)->lru_head].prev = i;
    WP(w)->lru_head = i;
}

/* The core BFS tree of core node c, built on a miss into the least
 * recently used slot.  O(1) on a hit (route_slot index + LRU list); the
 * tree itself does not depend on the slot, so routes are those of a BFS
 * from c. */
static route_tree *route_lookup(sim_world *w, uint32_t c)
{
    uint32_t i = WP(w)->route_slot[c];
    route_tree *rt;

    if (i == SIM_NONE) {
        i = WP(w)->lru_tail;
        rt = &WP(w)->routes[i];
        if (rt->dst != SIM_NONE)
            WP(w)->route_slot[rt->dst] = SIM_NONE;
        route_tree_build(w, rt, c);
        WP(w)->route_slot[c] = i;
    }
    route_touch(w, i);
    return &WP(w)->routes[i];
}

/* If `at` lies on dst's forest path to their common SO (SO -> source
 * answers, the common case), the link from `at` to its child on that
 * path, and that child in *child; else SIM_NONE.  The forest path between
 * a node and its nearest SO is a shortest path, and so is every part of
 * it.  Cost: dst's depth. */
static uint32_t forest_down(const sim_world *w, uint32_t at, uint32_t dst,
                            uint32_t *child)
{
    const node_fwd *fa = &w->fwd[at], *fv = &w->fwd[dst];

    if (fv->near_so != fa->near_so || fv->near_so == SIM_NONE ||
        fv->depth <= fa->depth)
        return SIM_NONE;
    /* Only the forest ancestor of dst at depth(at) + 1 can be at's child
     * on the path: one dense record per step, none above it. */
    while (fv->depth > fa->depth + 1)
        fv = &w->fwd[fv->up];
    if (fv->up != at)
        return SIM_NONE;
    *child = (uint32_t)(fv - w->fwd);
    /* The hop's transmitter record (dir_get), fetched while the caller
     * returns (a hint only). */
    __builtin_prefetch(&w->fdir[2 * (size_t)*child + FD_DOWN], 1);
    return fv->to_so_link;
}

/* The link from `at` towards dst that a full BFS from dst picks (see
 * "Routing beyond the forest"), or SIM_NONE if dst cannot be reached.
 * Cost: O(log children) inside one tree, O(1) going up, a core tree
 * lookup (and its lazy growth) from a core node. */
static uint32_t route_next(sim_world *w, uint32_t at, uint32_t dst)
{
    uint32_t a = w->rt_attach[at], d = w->rt_attach[dst];

    if (a == d) {
        if (w->rt_tin[at] <= w->rt_tin[dst] &&
            w->rt_tin[dst] <= w->rt_tout[at]) {
            /* dst lies below at: the last child with tin <= tin[dst]. */
            uint32_t lo = w->rt_child_off[at], hi = w->rt_child_off[at + 1];
            while (hi - lo > 1) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (w->rt_tin[w->rt_child[mid]] <= w->rt_tin[dst])
                    lo = mid;
                else
                    hi = mid;
            }
            assert(lo < w->rt_child_off[at + 1]);
            return w->rt_plink[w->rt_child[lo]];
        }
        return w->rt_plink[at];               /* at is not the root      */
    }
    /* Two rooted trees are connected only through the core, and two core
     * nodes of one component through the core alone. */
    if (w->core_ix[a] == SIM_NONE || w->core_ix[d] == SIM_NONE ||
        w->core_comp[w->core_ix[a]] != w->core_comp[w->core_ix[d]])
        return SIM_NONE;
    if (w->rt_plink[at] != SIM_NONE)
        return w->rt_plink[at];               /* up to the root          */
    if (w->cyc_pos[w->core_ix[at]] != SIM_NONE)
        return route_cycle(w, w->core_ix[at], w->core_ix[d]);
    return route_grow(w, route_lookup(w, w->core_ix[d]), w->core_ix[at]);
}

uint32_t sim_world_next_hop(sim_world *w, uint32_t at, uint32_t dst,
                            uint32_t *link)
{
    const sim_topo *t = &w->topo;
    uint32_t l, nb;

    if (at >= t->n_nodes || dst >= t->n_nodes || at == dst)
        return SIM_NONE;
    if (w->fwd[at].near_so == dst && w->fwd[at].to_so_link != SIM_NONE) {
        if (link)                             /* up the forest to the SO */
            *link = w->fwd[at].to_so_link;
        return w->fwd[at].up;
    }
    /* Down the forest before the neighbour test: same answer, no CSR
     * search.  When forest_down finds at's child c on dst's path and dst
     * is a neighbour of at, c is dst (forest depths of neighbours differ
     * by at most one) and c's to_so_link is the lowest-numbered link
     * between them, as link_to's is (rows sorted by (neighbour, link)). */
    if ((l = forest_down(w, at, dst, &nb)) != SIM_NONE) {
        ;                                     /* down the forest         */
    } else if ((l = link_to(t, at, dst)) != SIM_NONE) {
        nb = dst;                             /* a neighbour             */
    } else {
        l = route_next(w, at, dst);           /* anything else           */
        if (l == SIM_NONE)
            return SIM_NONE;
        nb = link_other(w, l, at);
    }
    if (link)
        *link = l;
    return nb;
}

uint64_t sim_world_route_visits(const sim_world *w)
{
    return w->parts[0].route_visits + w->parts[1].route_visits;
}

uint64_t sim_world_route_builds(const sim_world *w)
{
    return w->parts[0].route_builds + w->parts[1].route_builds;
}

/* Core BFS trees of partition pt's route cache (via + queue, 8 bytes
 * per core node each): as many as fit in ROUTE_BUDGET, at least 4, never
 * more than there are core nodes; built lazily (route_lookup). */
void world_route_cache_init(sim_world *w, world_part *pt)
{
    pt->n_routes = (uint32_t)(ROUTE_BUDGET / (8ull * w->n_core + 8 +
                                             sizeof(route_tree)));
    if (pt->n_routes > w->n_core)
        pt->n_routes = w->n_core;
    if (pt->n_routes < 4)
        pt->n_routes = 4;
    pt->routes = xcalloc(pt->n_routes, sizeof *pt->routes);
    for (uint32_t i = 0; i < pt->n_routes; i++) {
        pt->routes[i].dst = SIM_NONE;
        pt->routes[i].prev = i ? i - 1 : SIM_NONE;
        pt->routes[i].next = i + 1 < pt->n_routes ? i + 1 : SIM_NONE;
    }
    pt->lru_head = 0;
    pt->lru_tail = pt->n_routes - 1;
    pt->route_slot = xreallocarray(NULL, w->n_core + 1,
                                   sizeof *pt->route_slot);
    for (uint32_t c = 0; c < w->n_core; c++)
        pt->route_slot[c] = SIM_NONE;
}

/* The node's own (locality check: a node knows its SO and whether its
 * registration was answered). */
uint32_t sim_world_home_so(const sim_world *w, uint32_t node)
{
    sim_world_local_at((sim_world *)w, node, NULL, "home_so",
                       __builtin_return_address(0));
    return node < w->topo.n_nodes ? w->nodes[node].home_so : SIM_NONE;
}

int sim_world_is_registered(const sim_world *w, uint32_t source)
{
    sim_world_local_at((sim_world *)w, source, NULL, "is_registered",
                       __builtin_return_address(0));
    return source < w->topo.n_nodes && w->nodes[source].registered;
}

int sim_world_so_knows(const sim_world *w, uint32_t so, uint32_t source)
{
    sim_world_local_at((sim_world *)w, so, NULL, "so_knows",
                       __builtin_return_address(0));
    (void)so;                    /* the locality check's only (test build) */
    return source < w->topo.n_nodes && w->nodes[source].known;
}

/* ------------------------------------------------------------------------
 * Links
 * ---------------------------------------------------------------------- */

sim_time sim_link_tx_time(const scn_link_params *p, uint32_t bytes)
{
    return (sim_time)ceil((double)bytes * 8.0 * 1e9 / p->bandwidth);
}

void sim_world_add_tap(sim_world *w, sim_tap_fn fn, void *ctx)
{
    w->taps = xreallocarray(w->taps, w->n_taps + 1, sizeof *w->taps);
    w->taps[w->n_taps].fn = fn;
    w->taps[w->n_taps].ctx = ctx;
    w->n_taps++;
}

/* Where the state of `link` from `from` to its other end `to` lives (see
 * link_dir): the index of its record in fdir when the link is the forest
 * link of one of its ends, else SIM_NONE (then it is in dirs, through
 * wl[link].dix).  Reads fwd[from] and, unless that decides, fwd[to]. */
static uint32_t fdir_ix(const sim_world *w, uint32_t from, uint32_t to,
                        uint32_t link)
{
    if (w->fwd[from].to_so_link == link)
        return 2 * from + FD_UP;
    if (w->fwd[to].to_so_link == link)
        return 2 * to + FD_DOWN;
    return SIM_NONE;
}

/* The state of `link` from `from` to `to` and its drop counters, or
 * NULL for both when it never carried a packet (nothing is created). */
static const link_dir *dir_find(const sim_world *w, uint32_t from,
                                uint32_t to, uint32_t link,
                                const link_dir_cold **cold)
{
    uint32_t f = fdir_ix(w, from, to, link), ix;
    static const link_dir_cold none;

    if (f != SIM_NONE) {
        *cold = w->fdir_cold ? &w->fdir_cold[f] : &none;
        return &w->fdir[f];
    }
    ix = w->wl[link].dix[w->wl[link].a == from ? 0 : 1];
    if (!ix) {
        *cold = NULL;
        return NULL;
    }
    *cold = &w->dirs_cold[ix - 1];
    return &w->dirs[ix - 1];
}

void sim_world_link_stats(const sim_world *w, uint32_t link, int dir,
                          sim_link_stats *out)
{
    const wlink *L = &w->wl[link];
    const link_dir_cold *c;
    const link_dir *d = dir ? dir_find(w, L->b, L->a, link, &c)
                            : dir_find(w, L->a, L->b, link, &c);

    if (!d) {
        memset(out, 0, sizeof *out);
        return;
    }
    out->tx_pkts = d->tx_pkts;
    out->tx_bytes = d->tx_bytes;
    out->busy_until = d->busy_until;
    out->lost = c->lost;
    out->queue_drops = c->queue_drops;
}

void sim_world_node_info(const sim_world *w, uint32_t v, sim_node_info *out)
{
    const node_rt *n = &w->nodes[v];
    const sim_topo *t = &w->topo;

    out->home_so = n->home_so;
    out->hops_to_so = n->home_so == SIM_NONE ? SIM_NONE
                      : n->home_so == w->fwd[v].near_so ? w->fwd[v].depth
                                                        : n->so_hops;
    out->moves = n->moves;
    out->registered = n->registered;
    out->registration_delay = n->reg_done >= 0 ? n->reg_done - n->reg_sent
                                               : -1;
    out->originated = n->originated;
    /* What it transmitted: the directions leaving it of its links (each
     * link once per end in the adjacency, parallel links included). */
    out->tx_pkts = out->tx_bytes = 0;
    for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
        const link_dir_cold *c;
        const link_dir *d = dir_find(w, v, t->adj[e], t->adj_link[e], &c);
        if (d) {
            out->tx_pkts += d->tx_pkts;
            out->tx_bytes += d->tx_bytes;
        }
    }
}

/* The state of direction `dir` of link `link` (L = &w->wl[link]) in
 * dirs, zeroed on its first use: a link off the forest. */
/* Room for `cap` directions in dirs and dirs_cold (aligned: realloc
 * keeps only malloc's 16 bytes). */
static void dirs_reserve(sim_world *w, uint32_t cap)
{
    void *nd;
    size_t bytes = (size_t)cap * sizeof(link_dir);
    int huge = bytes >= HUGE_MIN;              /* as world_calloc */

    if (cap <= w->cap_dirs)
        return;
    assert(!w->two);         /* two threads: sized up front (world_presize) */
    if (posix_memalign(&nd, huge ? HUGE_PAGE : LINK_DIR_ALIGN, bytes))
        xoom(bytes);
#ifdef MADV_HUGEPAGE
    if (huge)
        (void)madvise(nd, bytes, MADV_HUGEPAGE);  /* a hint */
#endif
    if (w->n_dirs)
        memcpy(nd, w->dirs, (size_t)w->n_dirs * sizeof(link_dir));
    free(w->dirs);
    w->dirs = nd;
    w->dirs_cold = xreallocarray(w->dirs_cold, cap, sizeof *w->dirs_cold);
    w->cap_dirs = cap;
}

static link_dir *link_dir_of(sim_world *w, wlink *L, uint32_t link, int dir)
{
    uint32_t ix = L->dix[dir];

    if (!ix) {
        link_dir *d;
        if (w->n_dirs == w->cap_dirs) {
            uint32_t cap = w->cap_dirs ? 2 * w->cap_dirs : 256;
            if (cap <= w->cap_dirs)
                xoom((size_t)cap * sizeof *d);
            dirs_reserve(w, cap);
        }
        d = &w->dirs[w->n_dirs];
        memset(d, 0, sizeof *d);
        memset(&w->dirs_cold[w->n_dirs], 0, sizeof *w->dirs_cold);
        d->par = w->topo.links[link].par;
        ix = L->dix[dir] = ++w->n_dirs;
    }
    return &w->dirs[ix - 1];
}

/* The state of `link` from `from` to its other end `to`, created on first
 * use, and in *f its fdir index or SIM_NONE (link_dir_cold_of).  A hop
 * along the forest reads fwd[from] (and fwd[to] going down) and the fdir
 * record, all indexed by nodes the caller knows: no link record. */
static inline link_dir *dir_get(sim_world *w, uint32_t from, uint32_t to,
                                uint32_t link, uint32_t *f)
{
    wlink *L;

    *f = fdir_ix(w, from, to, link);
    if (*f != SIM_NONE)
        return &w->fdir[*f];
    L = &w->wl[link];
    return link_dir_of(w, L, link, L->a == from ? 0 : 1);
}

/* The drop counters of d, which dir_get returned with f. */
static link_dir_cold *link_dir_cold_of(sim_world *w, const link_dir *d,
                                       uint32_t f)
{
    if (f == SIM_NONE)
        return &w->dirs_cold[d - w->dirs];
    if (!w->fdir_cold)                 /* the first drop on the forest */
        w->fdir_cold = world_calloc(2 * (size_t)w->topo.n_nodes,
                                    sizeof *w->fdir_cold);
    return &w->fdir_cold[f];
}

/* Sizes the arrays that grow on first use (link directions off the
 * forest, the forest's drop counters) for every link up front: with two
 * threads nothing shared may be reallocated during the events. */
void world_presize(sim_world *w)
{
    const sim_topo *t = &w->topo;
    uint32_t need = w->n_dirs;

    for (uint32_t l = 0; l < t->n_links; l++)
        if (fdir_ix(w, w->wl[l].a, w->wl[l].b, l) == SIM_NONE)
            need += !w->wl[l].dix[0] + !w->wl[l].dix[1];
    dirs_reserve(w, need);
    for (uint32_t l = 0; l < t->n_links; l++)
        if (fdir_ix(w, w->wl[l].a, w->wl[l].b, l) == SIM_NONE) {
            (void)link_dir_of(w, &w->wl[l], l, 0);
            (void)link_dir_of(w, &w->wl[l], l, 1);
        }
    assert(w->n_dirs == need);
    if (!w->fdir_cold)
        w->fdir_cold = world_calloc(2 * (size_t)t->n_nodes,
                                    sizeof *w->fdir_cold);
}

/* --pcap (kmsim extension, issue 23): a record of p (event SIM_PCAP_TX
 * or _RX) on `link` from `from` to `to`, if the filter selects it: written
 * now with one scheduler, else logged with the running event's key in
 * this partition's log of this window (merged at the barrier). */
static void world_pcap_pkt(sim_world *w, int event, uint32_t from,
                           uint32_t to, uint32_t link, const sim_pkt *p)
{
    if (!sim_pcap_wants(w->pcap, from, to, link))
        return;
    if (w->two) {
        sim_event_key k;
        sim_sched_key_now(WP(w)->sched, &k);
        sim_pcap_buf_packet(w->pcbuf[WP(w)->cur][world_tl], w->pcap, &k,
                            event, from, to, link, p->buf, p->len);
    } else {
        sim_pcap_packet(w->pcap, sim_sched_now(WP(w)->sched), event, from,
                        to, link, p->buf, p->len);
    }
}

/* --keylog: a protocol store sealed (cry_keystore_set_seal_log); logged
 * like world_pcap_pkt's records, so the key log is in run order too. */
static void world_pcap_seal(void *ctx, const unsigned char *key,
                            uint32_t sender, uint64_t counter,
                            const unsigned char *tag)
{
    sim_world *w = ctx;

    if (w->two) {
        sim_event_key k;
        sim_sched_key_now(WP(w)->sched, &k);
        sim_pcap_buf_seal(w->pcbuf[WP(w)->cur][world_tl], &k, key, sender,
                          counter, tag);
    } else {
        sim_pcap_seal(w->pcap, key, sender, counter, tag);
    }
}

void sim_world_note_keystore(sim_world *w, cry_keystore *ks)
{
    w->ks_noted = xreallocarray(w->ks_noted, w->n_ks_noted + 1,
                                sizeof *w->ks_noted);
    w->ks_noted[w->n_ks_noted++] = ks;
}

int sim_world_set_pcap(sim_world *w, sim_pcap *pc, uint32_t rep, char *err,
                       size_t errlen)
{
    assert(!w->pcap && sim_world_events(w) == 0);
    if (sim_pcap_bind(pc, &w->topo, sim_pcap_proto_code(w->proto->name),
                      (cry_aead)w->sc->aead, rep, err, errlen) != 0)
        return -1;
    w->pcap = pc;
    if (w->two)
        for (int q = 0; q < 4; q++)
            w->pcbuf[q >> 1][q & 1] = sim_pcap_buf_new();
    if (sim_pcap_keylog_on(pc))
        for (uint32_t i = 0; i < w->n_ks_noted; i++)
            cry_keystore_set_seal_log(w->ks_noted[i], world_pcap_seal, w);
    return 0;
}

/* Keeps the arrival of p at `to` at time t in the outbox with the key this
 * partition's scheduler gives it now (kmsim extension, THREADS.md step
 * 4.2).  Not on the path of a one-partition run. */
static void part_cross(sim_world *w, sim_time t, uint32_t from, uint32_t to,
                       uint32_t link, sim_pkt *p, uint32_t draw)
{
    world_part *pt = WP(w);
    world_cross *c;

    int q = pt->cur;

    if (pt->n_out[q] == pt->cap_out[q]) {
        pt->cap_out[q] = pt->cap_out[q] ? 2 * pt->cap_out[q] : 64;
        pt->out[q] = xreallocarray(pt->out[q], pt->cap_out[q],
                                   sizeof *pt->out[q]);
    }
    c = &pt->out[q][pt->n_out[q]++];
    sim_sched_key_for(pt->sched, t, &c->k);
    c->to = to;
    c->link = link;
    c->p = p;
    c->from = from;
    c->draw = draw;
    pt->crossed++;
}

/* The loss draw of crossing arrival c (partition k's outbox), deferred
 * to the barrier: SIM_RNG_LINK is one stream per link, drawn by the
 * senders at both ends, so the draws are made here in the key order of
 * the events that sent (one scheduler's order).  A loss is counted as
 * link_xmit counts it and the arrival dropped (c->p NULL). */
void world_cross_draw(sim_world *w, int k, world_cross *c)
{
    const scn_link_params *par = sim_topo_link_params(&w->topo, c->link);
    uint32_t f;
    link_dir *d;

    if (gsl_rng_uniform(sim_rng_get(w->rng, SIM_RNG_LINK, c->link)) >=
        par->loss)
        return;
    d = dir_get(w, c->from, c->to, c->link, &f);
    link_dir_cold_of(w, d, f)->lost++;
    ana_metric_add(w->m, w->id.lost, 1);
    w->parts[k].pkt_live--;
    w->parts[k].crossed--;          /* it never arrives */
    world_pkt_return(w, c->p);
    c->p = NULL;
}

/* Puts p on `link` from `from` to its other end `to`: FIFO transmit queue
 * per direction (the transmitter is busy until busy_until; the bytes
 * still queued are (busy_until - now) * bandwidth, exactly, so a
 * byte-limited drop-tail queue needs no per-packet state), then the
 * attacker taps, the loss draw and propagation. */
static void link_xmit(sim_world *w, uint32_t from, uint32_t to,
                      uint32_t link, sim_pkt *p)
{
    uint32_t f;
    link_dir *d = dir_get(w, from, to, link, &f);
    const scn_link_params *par = &w->topo.params[d->par];
    sim_time now = sim_sched_now(WP(w)->sched);
    sim_time start = d->busy_until > now ? d->busy_until : now;
    sim_time tx = sim_link_tx_time(par, p->len);
    sim_pkt_type type = sim_pkt_type_of(p);
    int cut;

    /* Drop-tail: the bytes queued ahead must leave room for this packet.
     * A backlog reaching past SIM_LINK_HORIZON (beyond any run) is full
     * too, which also keeps every time below int64 overflow. */
    if ((par->queue > 0 &&
         (double)(start - now) * par->bandwidth / 8e9 + p->len >
             (double)par->queue) ||
        start > SIM_LINK_HORIZON - tx - par->latency) {
        link_dir_cold_of(w, d, f)->queue_drops++;
        ana_metric_add(WP(w)->m, w->id.qdrop, 1);
        sim_pkt_free(w, p);
        return;
    }
    d->busy_until = start + tx;
    d->tx_pkts++;
    d->tx_bytes += p->len;
    if (type >= SIM_PKT_REGISTER && type < SIM_PKT_TYPE_COUNT) {
        ana_metric_add(WP(w)->m, w->id.tx[type], 1);
        ana_metric_add(WP(w)->m, w->id.txb[type], p->len);
    }
    if (w->pcap)                     /* --pcap: what the sender sends */
        world_pcap_pkt(w, SIM_PCAP_TX, from, to, link, p);
    /* On the air: attackers see (and may alter or remove) it.  While a
     * tap runs the attacker is the actor (locality check), not `from`. */
    for (size_t i = 0; i < w->n_taps; i++) {
        sim_tap_verdict vd;
#ifdef KMSIM_LOCALITY
        uint32_t actor = w->actor;
        w->actor = SIM_ACTOR_ATTACKER;
#endif
        vd = w->taps[i].fn(w->taps[i].ctx, w, link, from, to, p);
#ifdef KMSIM_LOCALITY
        w->actor = actor;
#endif
        if (vd == SIM_TAP_DROP) {
            sim_pkt_free(w, p);
            return;
        }
    }
    /* Across the cut of two schedulers the loss draw waits for the
     * barrier (world_cross_draw): both ends draw from the link's one stream. */
    cut = w->node_part && w->node_part[from] != w->node_part[to];
    if (par->loss > 0 && !(cut && w->two) &&
        gsl_rng_uniform(sim_rng_get(w->rng, SIM_RNG_LINK, link)) < par->loss) {
        link_dir_cold_of(w, d, f)->lost++;
        ana_metric_add(WP(w)->m, w->id.lost, 1);
        sim_pkt_free(w, p);
        return;
    }
    if (cut) {
        part_cross(w, d->busy_until + par->latency, from, to, link, p,
                   w->two && par->loss > 0);
        return;
    }
    sim_sched_at(WP(w)->sched, d->busy_until + par->latency, world_ev_arrive,
                 SIM_EV_ARRIVE, to, p, link);
}

void sim_world_send(sim_world *w, uint32_t from, sim_pkt *p)
{
    uint32_t link, nb, dst = sim_pkt_dst(p);

    if (p->sent < 0)
        p->sent = sim_sched_now(WP(w)->sched);   /* leaves its first node */
    /* A node transmits only from its own radio (locality check). */
    sim_world_local_at(w, from, NULL, "send", __builtin_return_address(0));

    if (from == dst) {
        sim_sched_in(WP(w)->sched, 0, world_ev_arrive, SIM_EV_ARRIVE, dst, p,
                     SIM_NONE);
        return;
    }
    if (w->proto->route) {
        nb = w->proto->route(w, w->proto_state, from, p);
        if (nb != SIM_NONE) {
            link = link_between(w, from, nb);
            if (link == SIM_NONE) {          /* not a neighbour */
                ana_metric_add(WP(w)->m, w->id.unroutable, 1);
                sim_pkt_free(w, p);
                return;
            }
            link_xmit(w, from, nb, link, p);
            return;
        }
    }
    if ((nb = sim_world_next_hop(w, from, dst, &link)) == SIM_NONE) {
        ana_metric_add(WP(w)->m, w->id.unroutable, 1);
        sim_pkt_free(w, p);
        return;
    }
    link_xmit(w, from, nb, link, p);
}

int sim_world_inject(sim_world *w, uint32_t from, uint32_t to, sim_pkt *p)
{
    uint32_t link = link_to(&w->topo, from, to);
    const scn_link_params *par;

    if (link == SIM_NONE) {
        sim_pkt_free(w, p);
        return -1;
    }
    par = sim_topo_link_params(&w->topo, link);
    sim_sched_in(WP(w)->sched, sim_link_tx_time(par, p->len) + par->latency,
                 world_ev_arrive, SIM_EV_ARRIVE, to, p, link);
    return 0;
}

void sim_world_originate(sim_world *w, uint32_t from, sim_pkt *p)
{
    sim_pkt_type type = sim_pkt_type_of(p);
    if (type >= SIM_PKT_REGISTER && type < SIM_PKT_TYPE_COUNT)
        ana_metric_add(WP(w)->m, w->id.sent[type], 1);
    w->nodes[from].originated++;
    sim_world_send(w, from, p);
}

/* ------------------------------------------------------------------------
 * Arrival
 * ---------------------------------------------------------------------- */

/* A message is what its bytes say.  One that does not parse (shorter
 * than a header, part lengths that do not add up to its length, an
 * unknown type, a node that does not exist) is rejected where it
 * arrives, before anything reads it.  Only an attacker's message (sent,
 * or altered on the air) can be malformed. */
static int well_formed(const sim_world *w, const sim_pkt *p)
{
    sim_hdr h;

    return sim_hdr_read(&h, p->buf, p->len) == 0 &&
           h.type >= SIM_PKT_REGISTER && h.type < SIM_PKT_TYPE_COUNT &&
           h.src < w->topo.n_nodes &&
           h.dst < w->topo.n_nodes;
}

void world_ev_arrive(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    sim_pkt *p = arg;
    (void)s; (void)kind;

    if (w->pcap && u64 < w->topo.n_links)  /* --pcap: as it arrives */
        world_pcap_pkt(w, SIM_PCAP_RX, w->wl[u64].a == node
                                           ? w->wl[u64].b : w->wl[u64].a,
                       node, (uint32_t)u64, p);
    if (!well_formed(w, p)) {
        world_reject(w, node, p);
        return;
    }
    sim_put16(p->buf + 2, (uint16_t)(sim_pkt_hops(p) + 1));
    if (sim_pkt_dst(p) != node) {
        /* A relay: the forwarding records the next hop will read, and
         * the transmitter of its forest link (the hop up, the common
         * case), fetched while the protocol's forward hook works (a hint
         * only). */
        __builtin_prefetch(&w->fwd[node]);
        __builtin_prefetch(&w->fwd[sim_pkt_dst(p)]);
        __builtin_prefetch(&w->fdir[2 * (size_t)node + FD_UP], 1);
    }
    if (sim_pkt_dst(p) == node && p->atk) {
        /* An attacker's packet at its destination: accepted unless
         * something refuses it while it is handled (the handler may free
         * it: only the pointer is compared afterwards). */
        uint32_t a = (uint32_t)p->atk - 1, cls = p->atk_class;
        w->inj_cur = p;
        w->inj_cur_refused = 0;
        p->atk_state = PS_ACCEPTED;     /* provisional, see refuse */
        world_deliver(w, node, p);
        if (!w->inj_cur_refused && w->obs && w->obs->outcome)
            w->obs->outcome(w->obs_ctx, a, cls, 1, 0);
        w->inj_cur = NULL;
    } else if (sim_pkt_dst(p) == node) {
        world_deliver(w, node, p);
    } else if (!w->proto->forward) {
        sim_world_send(w, node, p);
    } else {
        int rc = w->proto->forward(w, w->proto_state, node, p);
        if (rc < 0) {
            world_reject(w, node, p);
        } else if (rc == 0) {
            sim_world_send(w, node, p);
        }                        /* rc > 0: the protocol sends it later */
    }
}
