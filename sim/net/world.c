/* world.c — the simulated world: links with FIFO transmit queues,
 * shortest-path forwarding, smart objects with an FCFS request queue and
 * MQTT publish to subscribers, source traffic, protocol hooks and
 * attacker taps.  Everything a run does happens in event handlers of the
 * world or in the protocol; the engine (sched.c) only orders them.
 * This file: the world's state from allocation to free (large arrays,
 * set-up, teardown), its accessors and the locality check of the test
 * build.  The other parts (world_pool.c, world_net.c, world_so.c,
 * world_metrics.c, world_thr.c) and what they share: world_int.h. */
#ifdef KMSIM_LOCALITY
#define _GNU_SOURCE          /* dladdr: the locality check's code address */
#include <dlfcn.h>
#endif
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <gsl/gsl_rng.h>
#include "world_int.h"
#include "util.h"
#include "kmap.h"

/* ------------------------------------------------------------------------
 * Large arrays
 * ---------------------------------------------------------------------- */

/* Zeroed n * size bytes, freed with free().  The per-node and per-link
 * arrays of a large world are read at random, a record per event or hop;
 * on 4 KiB pages nearly every such read also walks the page table (issue
 * 22).  From HUGE_MIN bytes on, the array is aligned to HUGE_PAGE and
 * marked MADV_HUGEPAGE: the kernel backs it with 2 MiB pages where
 * transparent huge pages are enabled (`madvise` or `always`), and ignores
 * the hint otherwise.  Contents and results do not depend on it. */
void *world_calloc(size_t n, size_t size)
{
    size_t bytes;
    void *p;

    if (size && n > SIZE_MAX / size)
        xoom(SIZE_MAX);
    bytes = n * size;
    if (bytes < HUGE_MIN)
        return xcalloc(n, size);
    bytes = (bytes + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    if (posix_memalign(&p, HUGE_PAGE, bytes))
        xoom(bytes);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);   /* a hint: may fail */
#endif
    memset(p, 0, bytes);
    return p;
}

/* world_calloc, aligned to a cache line (LINK_DIR_ALIGN) whatever the
 * size: for arrays of records that must not straddle two lines. */
static void *world_calloc_line(size_t n, size_t size)
{
    size_t bytes;
    void *p;

    if (size && n > SIZE_MAX / size)
        xoom(SIZE_MAX);
    bytes = n * size;
    if (bytes >= HUGE_MIN)
        return world_calloc(n, size);         /* HUGE_PAGE-aligned */
    if (posix_memalign(&p, LINK_DIR_ALIGN, bytes ? bytes : 1))
        xoom(bytes);
    memset(p, 0, bytes);
    return p;
}

/* ------------------------------------------------------------------------
 * Construction
 * ---------------------------------------------------------------------- */

static const char *role_text(scn_role r)
{
    return r == SCN_ROLE_SO ? "smart object"
           : r == SCN_ROLE_SUBSCRIBER ? "subscriber" : "source";
}

typedef struct mv_key {
    uint32_t to;            /* the move's SO                              */
    uint32_t i;             /* the move (index in sc->moves)              */
} mv_key;

static int mv_key_cmp(const void *a, const void *b)
{
    const mv_key *x = a, *y = b;

    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Checks the scenario's moves against the built topology and measures
 * the path each one's data will take (sim_world_next_hop from the source
 * to the new SO): w->mv_hops[i] and mv_pdel[i], the probability that a
 * message crosses every link of it.  A move must take a source to a
 * smart object it can reach and does not already send to at that time.
 * Reports the first bad move in run order ("file:line:col: message" at
 * the entry or the offending value) and returns -1; 0 if all are good. */
static int moves_prepare(sim_world *w, double *mv_pdel, char *err,
                         size_t errlen)
{
    const scenario *sc = w->sc;
    const sim_topo *t = &w->topo;
    size_t n = sc->n_moves, bad = n, unreach = n, nk = 0;
    const scn_move *mv;
    mv_key *key;
    int why = 0;

    w->mv_hops = xcalloc(n ? n : 1, sizeof *w->mv_hops);
    /* Roles, and where each source sends at each move (home_so is the
     * scratch, restored below). */
    for (size_t i = 0; i < n && !why; i++) {
        mv = &sc->moves[i];
        assert(mv->node < t->n_nodes && mv->to < t->n_nodes);
        if (t->nodes[mv->node].role != SCN_ROLE_SOURCE)
            why = 1;
        else if (t->nodes[mv->to].role != SCN_ROLE_SO)
            why = 2;
        else if (w->nodes[mv->node].home_so == mv->to)
            why = 3;
        if (why)
            bad = i;
        else
            w->nodes[mv->node].home_so = mv->to;
    }
    for (size_t i = 0; i < n; i++)
        w->nodes[sc->moves[i].node].home_so =
            w->fwd[sc->moves[i].node].near_so;
    /* Paths, grouped by SO so that the route cache builds each SO's BFS
     * tree once however the moves interleave. */
    key = xmalloc((bad ? bad : 1) * sizeof *key);
    for (size_t i = 0; i < bad; i++) {
        key[nk].to = sc->moves[i].to;
        key[nk++].i = (uint32_t)i;
    }
    qsort(key, nk, sizeof *key, mv_key_cmp);
    for (size_t k = 0; k < nk; k++) {
        uint32_t i = key[k].i, v, hops = 0, l;
        double pd = 1.0;

        mv = &sc->moves[i];
        for (v = mv->node; v != SIM_NONE && v != mv->to; hops++) {
            v = sim_world_next_hop(w, v, mv->to, &l);
            if (v != SIM_NONE)
                pd *= 1.0 - sim_topo_link_params(t, l)->loss;
            assert(hops < t->n_nodes);
        }
        if (v == SIM_NONE) {
            if (i < unreach)
                unreach = i;
            continue;
        }
        w->mv_hops[i] = hops;
        mv_pdel[i] = pd;
    }
    free(key);
    if (unreach < bad) {
        mv = &sc->moves[unreach];
        scn_error_at(sc, &mv->entry, err, errlen,
                     "smart object %u is not reachable from source %u",
                     t->nodes[mv->to].id, t->nodes[mv->node].id);
        return -1;
    }
    if (bad == n)
        return 0;
    mv = &sc->moves[bad];
    if (why == 1) {
        scn_error_at(sc, &mv->node_mark, err, errlen,
                     "node %u is a %s, not a source", t->nodes[mv->node].id,
                     role_text(t->nodes[mv->node].role));
    } else if (why == 2) {
        scn_error_at(sc, &mv->to_mark, err, errlen,
                     "node %u is a %s, not a smart object",
                     t->nodes[mv->to].id, role_text(t->nodes[mv->to].role));
    } else {
        char at[64];
        sim_units_format((double)mv->at / 1e9, SIM_DIM_TIME, at, sizeof at);
        scn_error_at(sc, &mv->to_mark, err, errlen,
                     "source %u already sends to smart object %u at %s",
                     t->nodes[mv->node].id, t->nodes[mv->to].id, at);
    }
    return -1;
}

static void build_subscribers(sim_world *w)
{
    const sim_topo *t = &w->topo;
    uint32_t *count = xcalloc(w->n_so + 1, sizeof *count);
    uint32_t nsub = 0;

    w->sub_filter = xcalloc(t->n_nodes, sizeof *w->sub_filter);
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role != SCN_ROLE_SUBSCRIBER)
            continue;
        w->sub_filter[v] = nsub++;
        if (w->fwd[v].near_so != SIM_NONE)
            count[w->so_of_node[w->fwd[v].near_so]]++;
    }
    w->so_subs = xcalloc(nsub + 1, sizeof *w->so_subs);
    for (uint32_t i = 0, off = 0; i < w->n_so; i++) {
        w->sos[i].sub_off = w->sos[i].sub_end = off;
        off += count[i];
    }
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role != SCN_ROLE_SUBSCRIBER ||
            w->fwd[v].near_so == SIM_NONE)
            continue;
        so_rt *so = &w->sos[w->so_of_node[w->fwd[v].near_so]];
        w->so_subs[so->sub_end++] = v;
    }
    free(count);
}

/* Reports msg at the topology mapping (scenario.topo_line/col): where
 * errors of the built topology and of the protocol's set-up point; or at
 * the --set that changed the node count, when one did (the cause). */
static void topo_error(const scenario *sc, const char *msg, char *err,
                       size_t errlen)
{
    scn_mark m = {sc->topo_line, sc->topo_col, -1};
    scn_error_at(sc, scn_mark_cause(&m, &sc->nodes_mark), err, errlen, "%s",
                 msg);
}

/* Set-up loops poll every SETUP_POLL iterations: a few microseconds of
 * work, so an interrupt is seen well within 100 ms (issue 20). */
#define SETUP_POLL 1024u

int sim_world_setup_poll(sim_world *w)
{
    if (!w->guard || ++w->guard_tick < SETUP_POLL)
        return w->guard ? w->guard->tripped : 0;
    w->guard_tick = 0;
    return sim_guard_poll(w->guard);
}

int sim_world_setup_check(sim_world *w)
{
    return w->guard ? sim_guard_poll(w->guard) : 0;
}

/* Between the phases of the set-up: 1 when it must unwind. */
static int setup_stop(sim_world *w)
{
    return sim_world_setup_check(w) != SIM_GUARD_OK;
}

sim_world *sim_world_new(const scenario *sc, uint64_t seed, char *err,
                         size_t errlen)
{
    return sim_world_new_guarded(sc, seed, NULL, err, errlen);
}

/* A set-up stopped by its guard: the message is the caller's (it knows
 * the flag, the budget and the replication). */
static sim_world *setup_abandon(sim_world *w, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", w->guard->tripped == SIM_GUARD_MEMORY
                                        ? "memory budget exceeded"
                                        : "interrupted");
    sim_world_free(w);
    return NULL;
}

sim_world *sim_world_new_guarded(const scenario *sc, uint64_t seed,
                                 sim_guard *g, char *err, size_t errlen)
{
    return sim_world_new_split(sc, seed, g, NULL, err, errlen);
}

/* The split of --threads 2: nodes ordered by x (ties by index; star and
 * tree topologies place every node at 0, so they split by index), the
 * first half in partition 0.  Returns part_of (n bytes, malloc'd). */
typedef struct world_rank {
    double x;
    uint32_t v;
} world_rank;

static int world_rank_cmp(const void *a, const void *b)
{
    const world_rank *p = a, *q = b;

    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return p->v < q->v ? -1 : p->v > q->v;
}

uint8_t *sim_world_median_split(const sim_topo *t)
{
    uint32_t n = t->n_nodes;
    world_rank *r = xreallocarray(NULL, n ? n : 1, sizeof *r);
    uint8_t *part = xcalloc(n ? n : 1, 1);

    for (uint32_t v = 0; v < n; v++) {
        r[v].x = t->nodes[v].x;
        r[v].v = v;
    }
    qsort(r, n, sizeof *r, world_rank_cmp);
    for (uint32_t i = n / 2; i < n; i++)
        part[r[i].v] = 1;
    free(r);
    return part;
}

static sim_world *world_new(const scenario *sc, uint64_t seed, sim_guard *g,
                            const uint8_t *part_of, int threads, char *err,
                            size_t errlen);

/* --threads 2 refuses (kmsim extension, THREADS.md "registry") a scenario
 * in which a source moves between smart objects of different halves: the
 * SOs' shared registry entry of a source (nodes[src].known/.ident,
 * sim_world_so_knows) is written by the first SO that completes its
 * registration and read by every SO it sends to; with its homes in both
 * halves, that write and the other half's read or write can fall in one
 * window, where the two partitions run unordered (a race on two threads,
 * the partitions' order on one) -- whenever its registration is still
 * unanswered at the move, which the set-up cannot rule out (retries,
 * queues).  Returns 1 (message in msg) for such a scenario, else 0.
 * Only --threads 2 refuses: sim_world_new_alternating (tests) keeps the
 * partitions' turn on one thread, where such a scenario gives the
 * one-thread results as long as no registration is open at a move. */
static int world_moves_cross(const sim_world *w, const uint8_t *part,
                             char *msg, size_t len)
{
    const scenario *sc = w->sc;

    for (size_t i = 0; i < sc->n_moves; i++) {
        const scn_move *mv = &sc->moves[i];
        uint32_t home = w->fwd[mv->node].near_so;

        if (part[mv->to] != part[home]) {
            snprintf(msg, len, "--threads 2: source %u moves between "
                     "smart objects %u and %u of different halves (their "
                     "shared registry of sources is not partition-safe: "
                     "see sim/THREADS.md)",
                     w->topo.nodes[mv->node].id, w->topo.nodes[home].id,
                     w->topo.nodes[mv->to].id);
            return 1;
        }
    }
    return 0;
}

sim_world *sim_world_new_split(const scenario *sc, uint64_t seed,
                               sim_guard *g, const uint8_t *part_of,
                               char *err, size_t errlen)
{
    return world_new(sc, seed, g, part_of, 1, err, errlen);
}

sim_world *sim_world_new_threads(const scenario *sc, uint64_t seed,
                                 sim_guard *g, int threads, char *err,
                                 size_t errlen)
{
    if (threads == 2 && !sc->proto->threads_ok) {
        if (err && errlen)
            snprintf(err, errlen, "--threads 2: protocol %s does not run "
                     "on two threads yet (see sim/THREADS.md)",
                     sc->proto->name);
        return NULL;
    }
    if (threads < 1 || threads > 2) {
        if (err && errlen)
            snprintf(err, errlen, "--threads %d: 1 or 2", threads);
        return NULL;
    }
    return world_new(sc, seed, g, NULL, threads, err, errlen);
}

sim_world *sim_world_new_alternating(const scenario *sc, uint64_t seed,
                                     sim_guard *g, char *err, size_t errlen)
{
    return world_new(sc, seed, g, NULL, -2, err, errlen);
}

static sim_world *world_new(const scenario *sc, uint64_t seed, sim_guard *g,
                            const uint8_t *part_of, int threads, char *err,
                            size_t errlen)
{
    sim_world *w = xcalloc(1, sizeof *w);
    uint8_t *auto_part = NULL;
    const sim_topo *t;
    uint32_t n_reached, src_ord = 0;
    unsigned char *moved = NULL;
    double *pdel, *mv_pdel;
    char msg[1024];

    w->sc = sc;
    w->guard = g;
    w->rng = sim_rng_new(seed);
    if (g && sim_guard_poll(g) != SIM_GUARD_OK) {
        sim_rng_free(w->rng);
        free(w);
        if (err && errlen)
            snprintf(err, errlen, "interrupted");
        return NULL;
    }
    if (sim_topo_build_guarded(&w->topo, &sc->topo,
                               sim_rng_get(w->rng, SIM_RNG_TOPOLOGY, 0),
                               g ? g->stop : NULL, msg, sizeof msg) != 0) {
        if (g && sim_guard_poll(g) != SIM_GUARD_OK)
            snprintf(msg, sizeof msg, "interrupted");
        else
            topo_error(sc, msg, err, errlen);
        sim_rng_free(w->rng);
        free(w);
        if (g && g->tripped && err && errlen)
            snprintf(err, errlen, "interrupted");
        return NULL;
    }
    t = &w->topo;
    assert(world_tl == 0);          /* not inside another world's window */
    w->parts[1].idx = 1;
    WP(w)->sched = sim_sched_new(w, 4u * t->n_nodes + sc->n_moves + 64);
    w->m = WP(w)->m = ana_metrics_new();
    if (!WP(w)->sched || !WP(w)->m)
        xoom(sizeof *w);
    if (g)
        sim_sched_set_interrupt(WP(w)->sched, g->stop);
    world_register_metrics(w);
    w->proto = sc->proto;
    assert(!w->proto->storage == !w->proto->keys); /* hooks.h: both or none */
#ifdef KMSIM_LOCALITY
    w->actor = SIM_NONE;
    {
        const char *mode = getenv("KMSIM_LOCALITY");
        w->loc_count = mode && strcmp(mode, "count") == 0;
    }
#endif
    cry_hash_init(&WP(w)->fp);
    sim_sched_set_observer(WP(w)->sched, world_fp_observe, w);
    sim_sched_set_lookahead(WP(w)->sched, world_lookahead, w);

    w->nodes = world_calloc(t->n_nodes, sizeof *w->nodes);
    w->fwd = world_calloc(t->n_nodes + 1, sizeof *w->fwd);
    w->wl = world_calloc((size_t)t->n_links + 1, sizeof *w->wl);
    for (uint32_t l = 0; l < t->n_links; l++) {
        w->wl[l].a = t->links[l].a;
        w->wl[l].b = t->links[l].b;
    }
    w->so_of_node = xcalloc(t->n_nodes, sizeof *w->so_of_node);
    WP(w)->bfs_queue = xcalloc(t->n_nodes + 1, sizeof *WP(w)->bfs_queue);
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (sim_world_setup_poll(w))
            return setup_abandon(w, err, errlen);
        w->nodes[v].role = (uint8_t)t->nodes[v].role;
        w->nodes[v].reg_done = -1;
        w->nodes[v].want = -1;
        w->so_of_node[v] = SIM_NONE;
        if (t->nodes[v].role == SCN_ROLE_SO)
            w->n_so++;
        if (t->nodes[v].role == SCN_ROLE_SOURCE)
            w->nodes[v].src_ord = src_ord++;
    }
    /* The last `anonymous` sources (by ordinal) never register. */
    for (uint32_t v = 0; v < t->n_nodes; v++)
        if (t->nodes[v].role == SCN_ROLE_SOURCE &&
            (uint64_t)w->nodes[v].src_ord + sc->traffic.anonymous >= src_ord)
            w->nodes[v].anonymous = 1;
    w->sos = xcalloc(w->n_so + 1, sizeof *w->sos);
    for (uint32_t v = 0, k = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role != SCN_ROLE_SO)
            continue;
        w->so_of_node[v] = k;
        w->sos[k].node = v;
        w->sos[k].st.node = v;
        ana_welford_init(&w->sos[k].st.sojourn);
        ana_welford_init(&w->sos[k].st.wait);
        ana_twa_init(&w->sos[k].nsys, 0, 0);
        k++;
    }
    if (setup_stop(w))
        return setup_abandon(w, err, errlen);
    world_route_forest(w, &n_reached);
    if (setup_stop(w))
        return setup_abandon(w, err, errlen);
    /* The forest links' directions (link_dir), zero but for parameters. */
    w->fdir = world_calloc_line(2 * (size_t)t->n_nodes, sizeof *w->fdir);
    for (uint32_t v = 0; v < t->n_nodes; v++)
        if (w->fwd[v].to_so_link != SIM_NONE)
            w->fdir[2 * (size_t)v + FD_UP].par =
                w->fdir[2 * (size_t)v + FD_DOWN].par =
                    t->links[w->fwd[v].to_so_link].par;
    pdel = xcalloc(t->n_nodes + 1, sizeof *pdel);
    if (sc->n_moves) {
        moved = xcalloc(t->n_nodes, 1);
        for (size_t i = 0; i < sc->n_moves; i++) {
            assert(sc->moves[i].node < t->n_nodes);   /* the loader's */
            moved[sc->moves[i].node] = 1;
        }
    }
    world_so_theory(w, n_reached, pdel, moved);   /* reads bfs_queue: first */
    free(moved);
    build_subscribers(w);
    world_route_decompose(w);
    /* Core BFS trees (via + queue, 8 bytes per core node each): as many as
     * fit in ROUTE_BUDGET, at least 4, never more than there are core
     * nodes. */
    world_route_cache_init(w, &w->parts[0]);
    mv_pdel = xcalloc(sc->n_moves + 1, sizeof *mv_pdel);
    if (moves_prepare(w, mv_pdel, err, errlen) != 0) {
        free(mv_pdel);
        free(pdel);
        sim_world_free(w);
        return NULL;
    }
    world_so_theory_moves(w, pdel, mv_pdel);
    free(mv_pdel);
    free(pdel);
    if (setup_stop(w))
        return setup_abandon(w, err, errlen);

    if (threads > 1 || threads == -2) {
        part_of = auto_part = sim_world_median_split(t);
        if (threads == 2 && world_moves_cross(w, part_of, msg, sizeof msg)) {
            if (err && errlen)
                snprintf(err, errlen, "%s", msg);
            free(auto_part);
            sim_world_free(w);
            return NULL;
        }
    }
    if (part_of) {                 /* before the protocol's set-up */
        sim_time la;
        int rc = sim_world_partition(w, part_of, &la);

        free(auto_part);
        if (rc != 0) {
            if (err && errlen)
                snprintf(err, errlen, "cannot split the network: a link "
                         "between the two halves has zero latency");
            sim_world_free(w);
            return NULL;
        }
    }
    if (w->proto->node_state_size)
        w->node_state = world_calloc(t->n_nodes, w->proto->node_state_size);
    if (w->proto->init) {
        int rc;
        /* Locality exception: the protocol's state is built (keys
         * predistributed, tables sized) before the first event. */
        sim_world_exempt(w, "world set-up");
        rc = w->proto->init(w, &w->proto_state, msg, sizeof msg);
        sim_world_exempt_end(w);
        if (setup_stop(w))
            return setup_abandon(w, err, errlen);
        if (rc == -2 && err && errlen) {
            snprintf(err, errlen, "%s", msg);  /* located by the protocol */
            sim_world_free(w);
            return NULL;
        }
        if (rc != 0) {
            topo_error(sc, msg, err, errlen);
            sim_world_free(w);
            return NULL;
        }
    }
    /* Key storage over time: the level the protocol set up before the
     * first event. */
    w->parts[0].stor_node = w->parts[1].stor_node = SIM_NONE;
    if (w->proto->storage) {
        w->stor = world_calloc(t->n_nodes, sizeof *w->stor);
        if (w->proto->storage_marks)          /* all clean: read below */
            w->parts[0].stor_dirty = xcalloc(((size_t)t->n_nodes + 63) / 64,
                                             sizeof(uint64_t));
        sim_world_exempt(w, "storage accounting (metric)");
        for (uint32_t v = 0; v < t->n_nodes; v++) {
            ana_twa_init(&w->stor[v].twa, 0,
                         (double)w->proto->storage(w, w->proto_state, v));
            w->stor[v].peak = w->stor[v].twa.value;
            if (sim_world_setup_poll(w))
                break;
        }
        sim_world_exempt_end(w);
        if (setup_stop(w))
            return setup_abandon(w, err, errlen);
    }

    /* Moves first: a move at t runs before every other event at t, so
     * data created at the move's time already go to the new SO. */
    for (size_t i = 0; i < sc->n_moves; i++)
        sim_sched_at(WP(w)->sched, sc->moves[i].at, world_ev_move, SIM_EV_MOVE,
                     sc->moves[i].node, NULL, i);

    /* Initial events, in node order: registration, then first message. */
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (sim_world_setup_poll(w))
            return setup_abandon(w, err, errlen);
        if (t->nodes[v].role != SCN_ROLE_SOURCE)
            continue;
        gsl_rng *r = sim_rng_get(w->rng, SIM_RNG_NODE, v);
        gsl_rng *tr = sim_rng_get(w->rng, SIM_RNG_TRAFFIC, v);
        sim_time first = sc->traffic.start +
                         sim_dist_sample_ns(&sc->traffic.interval, tr);
        if (w->nodes[v].home_so != SIM_NONE && !w->nodes[v].anonymous)
            sim_sched_at(WP(w)->sched,
                         sim_dist_sample_ns(&sc->traffic.register_at, r),
                         world_ev_register, SIM_EV_REGISTER, v, NULL, 0);
        if (first < sc->duration)
            sim_sched_at(WP(w)->sched, first, world_ev_traffic,
                         SIM_EV_TRAFFIC, v, NULL, 0);
    }
    if (sc->warmup > 0)
        sim_sched_at(WP(w)->sched, sc->warmup, world_ev_warmup, SIM_EV_WARMUP,
                     SIM_NONE, NULL, 0);
    /* The attackers come next, wired in by the caller right after this
     * returns (sim_world_observe): their events follow the world's own.
     * A world split for --threads refuses them here, before the split
     * (their taps see every transmission). */
    if (threads > 1 || threads == -2) {
        size_t nmoved;

        if (sc->n_attackers || w->n_taps) {
            if (err && errlen)
                snprintf(err, errlen, "--threads 2: scenarios with "
                         "attackers run on one thread only");
            sim_world_free(w);
            return NULL;
        }
        if (sim_world_two_scheds(w, &nmoved) != 0) {
            if (err && errlen)
                snprintf(err, errlen, "--threads 2: cannot split the "
                         "network in two");
            sim_world_free(w);
            return NULL;
        }
        w->windowed = 1;
        w->threaded = threads == 2;
    }
    return w;
}

void sim_world_free(sim_world *w)
{
    if (!w)
        return;
    world_thread_stop(w);
#ifdef KMSIM_LOCALITY
    world_loc_fail_if_any(w);
    w->actor = SIM_NONE;
#endif
    /* Locality exception: everything is wiped and freed at the end. */
    sim_world_exempt(w, "world teardown");
    if (w->obs)
        w->obs->free(w->obs_ctx);
    if (w->proto && w->proto->deinit && w->proto_state)
        w->proto->deinit(w, w->proto_state);
    sim_world_exempt_end(w);
    sim_sched_free(w->gsched);
    free(w->glob);
    free(w->node_part);
    for (int q = 0; q < 4; q++) {
        free(w->fplog[q >> 1][q & 1].e);
        ana_metrics_free(w->mlog[q >> 1][q & 1]);
    }
    for (int k = 0; k < 2; k++) {
        world_part *pt = &w->parts[k];
        sim_sched_free(pt->sched);
        free(pt->out[0]);         /* its packets go with the pools */
        free(pt->out[1]);
        world_pool_release(pt);
        for (uint32_t i = 0; pt->routes && i < pt->n_routes; i++) {
            free(pt->routes[i].via);
            free(pt->routes[i].queue);
        }
        free(pt->routes);
        free(pt->route_slot);
        free(pt->bfs_queue);
        free(pt->stor_dirty);
    }
    free(w->core_ix);
    free(w->core_node);
    free(w->core_off);
    free(w->core_adj);
    free(w->core_link);
    free(w->core_comp);
    free(w->cyc_pos);
    free(w->cyc_succ);
    free(w->cyc_pred);
    free(w->cyc_len);
    free(w->cyc_first_succ);
    free(w->rt_attach);
    free(w->rt_plink);
    free(w->rt_tin);
    free(w->rt_tout);
    free(w->rt_child_off);
    free(w->rt_child);
    free(w->mv_hops);
    free(w->so_subs);
    free(w->sub_filter);
    free(w->so_of_node);
    free(w->sos);
    free(w->ser_q);
    free(w->ser_arr);
    free(w->ser_keys);
    free(w->dirs);
    free(w->dirs_cold);
    free(w->fdir);
    free(w->fdir_cold);
    free(w->wl);
    free(w->fwd);
    free(w->nodes);
    free(w->node_state);
    free(w->taps);
    for (int q = 0; q < 4; q++)
        sim_pcap_buf_free(w->pcbuf[q >> 1][q & 1]);
    free(w->ks_noted);
    free(w->stor);
    ana_metrics_free(w->m);
    sim_topo_deinit(&w->topo);
    sim_rng_free(w->rng);
    free(w);
}

/* ------------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------- */

uint32_t sim_world_n_so(const sim_world *w) { return w->n_so; }
sim_sched *sim_world_sched(sim_world *w) { return WP(w)->sched; }
sim_rng *sim_world_rng(sim_world *w) { return w->rng; }
const scenario *sim_world_scenario(const sim_world *w) { return w->sc; }
const sim_topo *sim_world_topo(const sim_world *w) { return &w->topo; }
/* In a two-partition run's windows the running partition's log (THREADS.md);
 * else the run's registry. */
ana_metrics *sim_world_metrics(sim_world *w)
{
    return w->in_windows ? WP(w)->m : w->m;
}

int sim_world_observable(const sim_world *w, char *err, size_t errlen)
{
    const char *why = NULL;

    if (w->obs)
        why = "the world already has an observer";
    else if (w->two || w->windowed)   /* split by sim_world_new (--threads) */
        why = "--threads 2: scenarios with attackers run on one thread only";
    else if (w->finished || sim_world_events(w) > 0)
        why = "an observer must be attached before the world runs";
    if (!why)
        return 0;
    if (err && errlen)
        snprintf(err, errlen, "%s", why);
    return -1;
}

int sim_world_observe(sim_world *w, const sim_world_obs *ops, void *ctx,
                      char *err, size_t errlen)
{
    assert(ops && ops->free);
    if (sim_world_observable(w, err, errlen) != 0)
        return -1;
    w->obs = ops;
    w->obs_ctx = ctx;
    return 0;
}

void *sim_world_observer(sim_world *w, const sim_world_obs *ops)
{
    return w->obs && w->obs == ops ? w->obs_ctx : NULL;
}

void *sim_world_proto_state(sim_world *w) { return w->proto_state; }

sim_time sim_world_now(const sim_world *w)
{
    return world_now(w);
}

uint64_t sim_world_events(const sim_world *w)
{
    if (!w->two)
        return sim_sched_executed(w->parts[0].sched);
    return sim_sched_executed(w->parts[0].sched) +
           sim_sched_executed(w->parts[1].sched) +
           sim_sched_executed(w->gsched);
}

void *sim_world_node_state(sim_world *w, uint32_t node)
{
    if (!w->node_state)
        return NULL;
    sim_world_local_at(w, node, NULL, "node_state",
                       __builtin_return_address(0));
    return w->node_state + (size_t)node * w->proto->node_state_size;
}

/* ------------------------------------------------------------------------
 * Locality check (test build only, world.h)
 * ---------------------------------------------------------------------- */

#ifdef KMSIM_LOCALITY
/* The address of code that called the accessor, relative to the start of
 * the object it is in (what addr2line -f -i -e FILE takes). */
static uintptr_t loc_pc(const void *ret, const char **file)
{
    Dl_info di;

    *file = "?";
    if (dladdr(ret, &di) && di.dli_fbase) {
        if (di.dli_fname)
            *file = di.dli_fname;
        return (uintptr_t)ret - (uintptr_t)di.dli_fbase;
    }
    return (uintptr_t)ret;
}

static void loc_actor_text(uint32_t a, char *buf, size_t len)
{
    if (a == SIM_NONE)
        snprintf(buf, len, "none");
    else if (a == SIM_ACTOR_ATTACKER)
        snprintf(buf, len, "attacker");
    else if (a == SIM_HOLDER_ALL)
        snprintf(buf, len, "all nodes");
    else
        snprintf(buf, len, "%u", a);
}

/* In count mode: the run fails once it has ended with violations. */
void world_loc_fail_if_any(sim_world *w)
{
    if (w->violations > w->loc_reported) {
        fprintf(stderr, "locality: %llu violation(s) in this run\n",
                (unsigned long long)w->violations);
        w->loc_reported = w->violations;
        fflush(stderr);
        abort();
    }
}

/* Called at every violation, before it is reported: `break
 * sim_world_locality_violation` in gdb shows the whole call chain. */
__attribute__((noinline)) void sim_world_locality_violation(sim_world *w)
{
    __asm__ volatile("" : : "r"(w) : "memory");
}

/* The check: `ret` is the address the accessor returns to. */
static void loc_check(sim_world *w, uint32_t holder, const char *proto,
                      const char *accessor, const void *ret)
{
    const char *file;
    uintptr_t pc;
    char a[24], h[24];

    if (w->n_exempt || holder == w->actor)
        return;
    w->violations++;
    sim_world_locality_violation(w);    /* a breakpoint for debuggers */
    pc = loc_pc(ret, &file);
    if (w->loc_count) {
        for (uint32_t i = 0; i < w->n_loc_seen; i++)
            if (w->loc_seen[i] == pc)
                return;
        if (w->n_loc_seen < LOC_SEEN_MAX)
            w->loc_seen[w->n_loc_seen++] = pc;
    }
    loc_actor_text(w->actor, a, sizeof a);
    loc_actor_text(holder, h, sizeof h);
    fprintf(stderr,
            "locality violation: protocol %s, accessor %s, actor %s, "
            "holder %s, time %lld ns (at %s+0x%llx)\n",
            proto ? proto : w->proto->name, accessor, a, h,
            (long long)sim_sched_now(WP(w)->sched), file,
            (unsigned long long)pc);
    fflush(stderr);
    if (!w->loc_count)
        abort();
}

/* Not inlined: its return address is the accessor's call site. */
__attribute__((noinline)) void sim_world_local(sim_world *w, uint32_t holder,
                                               const char *proto,
                                               const char *accessor)
{
    loc_check(w, holder, proto, accessor, __builtin_return_address(0));
}

void sim_world_local_at(sim_world *w, uint32_t holder, const char *proto,
                        const char *accessor, const void *ret)
{
    loc_check(w, holder, proto, accessor, ret);
}

static void loc_kmap(void *ctx, uint64_t a, const char *name, const void *ret)
{
    loc_check(ctx, a == KMAP_ANY ? SIM_HOLDER_ALL : (uint32_t)a, NULL, name,
              ret);
}

void sim_world_own(sim_world *w, kmap *m, const char *name)
{
    kmap_set_owner(m, loc_kmap, w, name);
}

void sim_world_exempt(sim_world *w, const char *why)
{
    assert(why && w->n_exempt < LOC_EXEMPT_MAX);
    w->exempt_why[w->n_exempt++] = why;
}

void sim_world_exempt_end(sim_world *w)
{
    assert(w->n_exempt > 0);
    w->n_exempt--;
}

void sim_world_act_as(sim_world *w, uint32_t node, const char *why)
{
    assert(why && w->n_act < LOC_EXEMPT_MAX);
    w->act_prev[w->n_act++] = w->actor;
    w->actor = node;
}

void sim_world_act_end(sim_world *w)
{
    assert(w->n_act > 0);
    w->actor = w->act_prev[--w->n_act];
}

uint32_t sim_world_actor(const sim_world *w) { return w->actor; }
uint64_t sim_world_violations(const sim_world *w) { return w->violations; }
#endif
