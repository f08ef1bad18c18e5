/* world_thr.c — a world in two partitions (kmsim extension, --threads 2,
 * sim/THREADS.md): partition 1's thread, the conservative windows of one
 * lookahead, the barrier that merges the partitions' logs (fingerprint,
 * metrics, pcap) in key order and hands over the outboxes, the joint
 * renumbering of the schedulers, run-wide events, and the split itself
 * (sim_world_partition, sim_world_two_scheds).  The seam: everything that
 * exists only because a world may run as two.  Private header:
 * world_int.h. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "world_int.h"
#include "par.h"
#include "util.h"

/* The partition the calling thread runs (world_int.h). */
_Thread_local int world_tl;

typedef struct world_thr world_thr;

/* ------------------------------------------------------------------------
 * Running
 * ---------------------------------------------------------------------- */

/* ---- Two partitions (kmsim extension, issue 22 lever 6, THREADS.md) -----
 * A world made by sim_world_new_threads(.., 2, ..) (or, for tests,
 * sim_world_new_alternating) runs in conservative windows of at most one
 * lookahead (plus a header's transmission time).  Each window writes the
 * outbox, fingerprint log, metric log and return list of its parity
 * (window k: k & 1), so that what one window left can be read while the
 * next runs.  Three ways to end a window:
 *  - fast (two threads, both sides have events, no loss draw across the
 *    cut, no run-wide event): one barrier round; then each thread inserts
 *    the other's crossings into its own scheduler and takes back its
 *    packets the other freed (cross_in), the calling thread merges the
 *    two logs by key into the fingerprint and the run's metrics
 *    (world_barrier_p, merge only), and both compute the same next window
 *    from what each published before the barrier (win_next);
 *  - full (a loss draw across the cut or a run-wide event in the window):
 *    the second thread waits at a second round while the calling thread
 *    does everything (world_barrier_p: the loss draws of links between the
 *    halves in the key order of the sending events, both outboxes, both
 *    return lists, the merge; world_global: the event for no node, with
 *    both partitions stopped just before its key) and hands it the next
 *    window;
 *  - solo (one side has events, or no second thread): the calling thread
 *    runs the side(s) as their partition, then the full barrier; the
 *    second thread stays parked.
 * Windows with nothing to do are skipped: the next starts at the
 * earliest pending event. */

/* One window: run to `end` inclusive, or (lim) only the events below
 * the key `lim` (a run-wide event at time end); par: its parity; act[k]:
 * partition k may have an event in it (from lower bounds). */
typedef struct world_win {
    sim_time end;
    int has_lim;
    sim_event_key lim;
    int par;
    int act[2];
} world_win;

/* Partition 1's thread, created at the first windowed sim_world_run and
 * joined at sim_world_finish / sim_world_free.  Parked at `start` until
 * the calling thread hands it `win` (with until/max/base); `sync` ends a
 * window; `x` is the second round (full windows, and leaving the fast
 * loop).  pk_h, pk_t, stopf, ran: what each thread publishes before
 * `sync`. */
struct world_thr {
    sim_world *w;
    sim_par_thread *t;
    sim_par_bar *start, *sync, *x;
    world_win win;          /* the window handed over (start, x)          */
    int go;                 /* after x: 1 run `win`, 0 park               */
    int quit;
    sim_time until;
    uint64_t max, base;     /* max_events of the call, events before the  */
                            /*   handover                                 */
    /* Published by side k after its window of parity p, in pub[p][k]
     * (by parity: the other thread may still read parity p while this one
     * writes 1 - p after the next window). */
    struct {
        sim_time t;         /* its earliest pending event (a lower bound), */
                            /*   SIM_TIME_MAX: none                        */
        uint64_t ran;       /* events it ran since the handover           */
        int stopf;          /* an interrupt seen                          */
        int draw;           /* a loss draw waits in its outbox            */
        int due;            /* its scheduler is due to renumber           */
    } pub[2][2];
};

static uint64_t part_run(sim_world *w, int k, const world_win *win)
{
    sim_sched *s = w->parts[k].sched;

    uint64_t n = win->has_lim ? sim_sched_run_before(s, &win->lim, 0)
                              : sim_sched_run(s, win->end, 0);

    /* --series: the last event's storage sample goes into this window's
     * log now, in that event's range, where one thread makes it (before
     * the next event of either partition): the series' storage levels
     * are replayed in one thread's order.  The level is the same as at
     * the partition's next event (no other event touches its node). */
    if (w->ser)
        world_stor_flush_part(w, &w->parts[k]);
    return n;
}

/* Partition k is about to run a window of parity p (its own thread). */
static void part_prep(sim_world *w, int k, int p)
{
    world_part *pt = &w->parts[k];

    pt->cur = p;
    pt->n_out[p] = 0;               /* read by everyone before the last */
    pt->m = w->mlog[p][k];          /*   barrier round: free again      */
}

/* What partition k publishes after its window of parity p (its own
 * thread): ran = its events since the handover. */
static void part_publish(sim_world *w, world_thr *th, int k, int p,
                         uint64_t ran)
{
    sim_event_key ek;
    const volatile sig_atomic_t *stop = w->guard ? w->guard->stop : NULL;

    th->pub[p][k].t = sim_sched_peek(w->parts[k].sched, &ek) == 0
                          ? ek.t : SIM_TIME_MAX;
    th->pub[p][k].ran = ran;
    th->pub[p][k].stopf =
        __atomic_load_n(&w->interrupted, __ATOMIC_RELAXED) || (stop && *stop);
    th->pub[p][k].due = sim_sched_renumber_due(w->parts[k].sched);
    th->pub[p][k].draw = 0;
    for (uint32_t i = 0; i < w->parts[k].n_out[p]; i++)
        if (w->parts[k].out[p][i].draw) {
            th->pub[p][k].draw = 1;
            break;
        }
}

/* The window after `prev` (next.par = 1 - prev's), from the earliest
 * possible event of each side e[0], e[1] and the next event for no node,
 * starting no earlier than `from`; 0 when nothing is left up to until. */
static int win_make(sim_world *w, const sim_time e[2], sim_time from,
                    sim_time until, int par, world_win *next)
{
    sim_event_key kg;
    int hg = sim_sched_peek(w->gsched, &kg) == 0;

    /* The earlier of the next event for no node and the next run-wide
     * event of a node (sim_world_at_global): both end a window. */
    if (w->glob_next < w->n_glob &&
        (!hg || sim_event_key_cmp(&w->glob[w->glob_next].k, &kg) < 0)) {
        kg = w->glob[w->glob_next].k;
        hg = 1;
    }
    sim_time start = e[0] < e[1] ? e[0] : e[1];

    if (hg && kg.t < start)
        start = kg.t;
    if (start == SIM_TIME_MAX || start > until)
        return 0;
    if (start < from)
        start = from;
    if (start > until)
        return 0;
    next->end = until - start < w->win_la ? until : start + w->win_la - 1;
    next->has_lim = hg && kg.t <= next->end;
    if (next->has_lim) {
        next->lim = kg;
        next->end = kg.t;
    }
    next->par = par;
    next->act[0] = e[0] <= next->end;
    next->act[1] = e[1] <= next->end;
    return 1;
}

/* The window after a fast one, from what both threads published and the
 * crossings of window `win` (both outboxes, not yet consumed by anyone's
 * next window): the same on both threads. */
static int win_next(sim_world *w, const world_thr *th, const world_win *win,
                    sim_time until, world_win *next)
{
    int p = win->par;
    sim_time e[2] = {th->pub[p][0].t, th->pub[p][1].t};

    for (int k = 0; k < 2; k++) {
        const world_part *pt = &w->parts[k];
        for (uint32_t i = 0; i < pt->n_out[p]; i++)
            if (pt->out[p][i].k.t < e[1 - k])
                e[1 - k] = pt->out[p][i].k.t;
    }
    return win_make(w, e, win->end + 1, until, 1 - p, next);
}

/* The window from the schedulers themselves (both stopped). */
static int win_first(sim_world *w, sim_time from, sim_time until, int par,
                     world_win *next)
{
    sim_time e[2];

    for (int k = 0; k < 2; k++) {
        sim_event_key ek;
        e[k] = sim_sched_peek(w->parts[k].sched, &ek) == 0 ? ek.t
                                                           : SIM_TIME_MAX;
    }
    return win_make(w, e, from, until, par, next);
}

/* Whether window `win` may end with one barrier round: no run-wide event
 * in it, no loss draw waiting in either outbox and no scheduler due to
 * renumber (the same answer on both threads: from what both published
 * before the round, never from the outboxes, which a full barrier
 * empties). */
static int win_fast(const world_thr *th, const world_win *win)
{
    int p = win->par;

    return !win->has_lim && !th->pub[p][0].draw && !th->pub[p][1].draw &&
           !th->pub[p][0].due && !th->pub[p][1].due;
}

/* Events run since the call began, after window parity p. */
static uint64_t win_ran(const world_thr *th, int p)
{
    return th->base + th->pub[p][0].ran + th->pub[p][1].ran;
}

/* The stop decision after a fast window of parity p, the same on both
 * threads. */
static int win_stop(const world_thr *th, int p)
{
    return th->pub[p][0].stopf || th->pub[p][1].stopf ||
           (th->max && win_ran(th, p) >= th->max);
}

/* After a fast window of parity p, on partition j's thread: the other
 * partition's crossings into j's scheduler, and j's packets it freed back
 * into j's pool.  Reads the other's outbox and return list of parity p,
 * which it does not touch again before the next barrier round. */
static void cross_in(sim_world *w, int j, int p)
{
    world_part *o = &w->parts[1 - j];
    sim_sched *s = w->parts[j].sched;

    for (uint32_t i = 0; i < o->n_out[p]; i++) {
        const world_cross *c = &o->out[p][i];
        sim_sched_at_key(s, &c->k, world_ev_arrive, SIM_EV_ARRIVE, c->to, c->p,
                         c->link);
    }
    while (o->ret[p]) {
        sim_pkt *q = o->ret[p];
        o->ret[p] = q->next;
        world_pkt_release(&w->parts[j], q);  /* a slabbed packet of j's pool */
    }
}

static void *world_thread(void *arg)
{
    world_thr *th = arg;
    sim_world *w = th->w;
    uint64_t ran;

    world_tl = 1;
    for (;;) {
        world_win win;

        sim_par_bar_wait(th->start);
        if (th->quit)
            break;
        win = th->win;
        ran = 0;
        for (;;) {
            world_win next;
            int have;

            part_prep(w, 1, win.par);
            ran += part_run(w, 1, &win);
            part_publish(w, th, 1, win.par, ran);
            sim_par_bar_wait(th->sync);
            if (win_fast(th, &win)) {
                /* The last window's outbox was read by both before this
                 * round (cross_in); nobody reads it now.  (After a full
                 * round the caller empties it: it reads every outbox
                 * before this thread leaves x.) */
                w->parts[1].n_out[1 - win.par] = 0;
                cross_in(w, 1, win.par);
                have = win_next(w, th, &win, th->until, &next);
                if (!have || win_stop(th, win.par) || !next.act[0] ||
                    !next.act[1]) {
                    sim_par_bar_wait(th->x);     /* leave together */
                    break;
                }
                win = next;
                continue;
            }
            sim_par_bar_wait(th->x);             /* full: the caller's */
            if (!th->go)
                break;
            win = th->win;
            ran = 0;
        }
    }
    world_tl = 0;
    return NULL;
}

/* Ends partition 1's thread, if any. */
void world_thread_stop(sim_world *w)
{
    world_thr *th = w->thr;

    if (!th)
        return;
    th->quit = 1;
    sim_par_bar_wait(th->start);
    sim_par_thread_join(th->t);
    sim_par_bar_free(th->start);
    sim_par_bar_free(th->sync);
    sim_par_bar_free(th->x);
    free(th);
    w->thr = NULL;
}

/* Partition 1's thread, started once; NULL if it cannot be (then the
 * partitions run in turn on the calling thread: the same results). */
static world_thr *world_thread_get(sim_world *w)
{
    world_thr *th;

    if (w->thr || !w->threaded)
        return w->thr;
    th = xcalloc(1, sizeof *th);
    th->w = w;
    th->start = sim_par_bar_new();
    th->sync = sim_par_bar_new();
    th->x = sim_par_bar_new();
    if (!th->start || !th->sync || !th->x ||
        (th->t = sim_par_thread_start(world_thread, th)) == NULL) {
        sim_par_bar_free(th->start);
        sim_par_bar_free(th->sync);
        sim_par_bar_free(th->x);
        free(th);
        w->threaded = 0;
        return NULL;
    }
    w->thr = th;
    return th;
}

/* The barrier of window parity p, on the calling thread: walks both
 * partitions' executed events in key order, hashing each into the
 * fingerprint and replaying its metric adds and sets into the run's
 * registry; with `full` (both partitions stopped) also makes the
 * deferred loss draws in that order, hands each outbox to the other
 * partition's scheduler and returns packets to their pools.  Returns the
 * arrivals handed over. */
static uint32_t world_barrier_p(sim_world *w, int p, int full)
{
    fp_log *L[2] = {&w->fplog[p][0], &w->fplog[p][1]};
    uint32_t i[2] = {0, 0}, n = 0;

    assert(w->two && world_tl == 0);
    while (i[0] < L[0]->n || i[1] < L[1]->n) {
        int k = i[1] == L[1]->n ||
                (i[0] < L[0]->n &&
                 sim_event_key_cmp(&L[0]->e[i[0]].k, &L[1]->e[i[1]].k) < 0)
                    ? 0 : 1;
        const fp_ent *e = &L[k]->e[i[k]++];
        int last = i[k] == L[k]->n;
        size_t mend = last ? ana_metrics_log_len(w->mlog[p][k])
                           : L[k]->e[i[k]].mlo;
        uint32_t xend = last ? w->parts[k].n_out[p] : L[k]->e[i[k]].xlo;

        world_fp_put(w, e->k.t, e->kind, e->node);
        w->last_t = e->k.t;
        if (mend > e->mlo)
            ana_metrics_log_apply(w->m, w->mlog[p][k], e->mlo, mend);
        for (uint32_t x = e->xlo; full && x < xend; x++)
            if (w->parts[k].out[p][x].draw)
                world_cross_draw(w, k, &w->parts[k].out[p][x]);
    }
    for (int k = 0; k < 2; k++) {
        L[k]->n = 0;
        ana_metrics_log_clear(w->mlog[p][k]);
    }
    if (w->pcbuf[p][0])              /* --pcap: the trace in key order */
        sim_pcap_merge(w->pcap, w->pcbuf[p][0], w->pcbuf[p][1]);
    if (!full)
        return 0;
    for (int k = 0; k < 2; k++) {
        world_part *pt = &w->parts[k];
        sim_sched *to = w->parts[1 - k].sched;

        for (uint32_t x = 0; x < pt->n_out[p]; x++) {
            const world_cross *c = &pt->out[p][x];
            if (!c->p)
                continue;                   /* lost (world_cross_draw) */
            sim_sched_at_key(to, &c->k, world_ev_arrive, SIM_EV_ARRIVE, c->to,
                             c->p, c->link);
            n++;
        }
        pt->n_out[p] = 0;
    }
    for (int q = 0; q < 4; q++)
        while (w->parts[q >> 1].ret[q & 1]) {
            sim_pkt *x = w->parts[q >> 1].ret[q & 1];
            w->parts[q >> 1].ret[q & 1] = x->next;
            world_pkt_return(w, x);
        }
    return n;
}

uint32_t world_barrier(sim_world *w)
{
    return world_barrier_p(w, w->parts[0].cur, 1);
}

/* After a full barrier (both partitions stopped, run-wide event run):
 * when any of the three schedulers has drawn half of its sequence
 * numbers, all three are renumbered together in one merged key order
 * (sim_sched_renumber_all), since each holds keys the others drew; none
 * renumbers alone (sim_sched_set_coordinated, sim_world_two_scheds).
 * The outboxes are empty here (the barrier handed them over), so no key
 * waits outside a queue.  kmsim extension: THREADS.md 4.5. */
static void world_renumber(sim_world *w)
{
    sim_sched *s[3] = {w->parts[0].sched, w->parts[1].sched, w->gsched};

    if (!sim_sched_renumber_due(s[0]) && !sim_sched_renumber_due(s[1]) &&
        !sim_sched_renumber_due(s[2]))
        return;
    for (int k = 0; k < 2; k++)
        if (w->parts[k].n_out[0] || w->parts[k].n_out[1]) {
            fprintf(stderr, "kmsim: --threads 2: renumbering with "
                    "arrivals in an outbox (THREADS.md 4.5)\n");
            abort();
        }
    sim_sched_renumber_all(s, 3);
}

/* Runs the first event for no node (key *g) with both partitions
 * stopped just before it, on the calling thread as partition 0 (its
 * scheduler stands in for partition 0's meanwhile, so what it logs,
 * adds and schedules goes where one scheduler would take it), after the
 * barrier of window parity p, and merges what it logged right away
 * (before anything of the next window).  Such an event (the warm-up's
 * end) may change state of every node; it may schedule only events for
 * no node, and send nothing.  Returns the events run (0 or 1). */
static uint64_t world_node_global(sim_world *w, int p);

static uint64_t world_global(sim_world *w, const sim_event_key *g, int p)
{
    sim_sched *s0 = w->parts[0].sched;
    size_t p0 = sim_sched_pending(s0);
    size_t p1 = sim_sched_pending(w->parts[1].sched);
    uint64_t n;

    assert(world_tl == 0);
    if (w->glob_next < w->n_glob &&
        sim_event_key_cmp(&w->glob[w->glob_next].k, g) == 0)
        return world_node_global(w, p);
    part_prep(w, 0, p);
    /* The node of each partition's last event is sampled now, as one
     * scheduler would have before this event. */
    world_stor_flush_part(w, &w->parts[0]);
    world_stor_flush_part(w, &w->parts[1]);
    w->parts[0].sched = w->gsched;
    n = sim_sched_run(w->gsched, g->t, 1);
    w->parts[0].sched = s0;
    if (sim_sched_pending(s0) != p0 ||
        sim_sched_pending(w->parts[1].sched) != p1 ||
        w->parts[0].n_out[p] != 0) {
        fprintf(stderr, "kmsim: --threads 2: an event for no node "
                "scheduled or sent for a node (not supported: "
                "THREADS.md)\n");
        abort();
    }
    world_barrier_p(w, p, 0);
    return n;
}

/* Runs the next run-wide event of a node (sim_world_at_global) with both
 * partitions stopped just before its key, after the (full) barrier of
 * window parity p: alone on the calling thread as the partition that
 * holds it (world_tl; its scheduler, logs, outbox and pool), so the keys
 * it gives new events come from that scheduler, as one scheduler would
 * give them.  Both partitions' last event nodes are sampled first (as
 * one scheduler would have before it).  After it: a full barrier (its
 * fingerprint entry and metric ops merged, its crossings' loss draws
 * and outbox handed over, packets returned), then the events it
 * scheduled for nodes of the other partition move there with their keys
 * (sim_sched_move; their ids no longer cancel them).  Returns the events
 * run (1). */
static uint64_t world_node_global(sim_world *w, int p)
{
    uint32_t gi = w->glob_next;
    int gp = w->glob[gi].part;
    sim_sched *s = w->parts[gp].sched;
    uint64_t n;

    assert(world_tl == 0);
    world_stor_flush_part(w, &w->parts[0]);
    world_stor_flush_part(w, &w->parts[1]);
    part_prep(w, gp, p);
    world_tl = gp;
    w->glob_run = 1;
    n = sim_sched_run(s, w->glob[gi].k.t, 1);
    w->glob_run = 0;
    world_tl = 0;
    if (n != 1 || w->glob_next != gi + 1) {
        fprintf(stderr, "kmsim: --threads 2: a run-wide event did not run "
                "at its key (THREADS.md)\n");
        abort();
    }
#ifdef KMSIM_LOCALITY
    w->actor = SIM_NONE;
#endif
    world_barrier_p(w, p, 1);
    (void)sim_sched_move(s, w->parts[1 - gp].sched, w->node_part,
                         w->topo.n_nodes, (uint8_t)(1 - gp));
    return n;
}

/* sim_world_run of a world with two schedulers: windows as above until
 * `until` (its events run) or nothing is left, or, at a barrier, once
 * max_events (0: no limit) have run in this call or the run was
 * interrupted (its guard's flag or sim_world_interrupt). */
static uint64_t world_run_windows(sim_world *w, sim_time until,
                                  uint64_t max_events)
{
    world_thr *th = world_thread_get(w);
    const volatile sig_atomic_t *stop = w->guard ? w->guard->stop : NULL;
    uint64_t n = 0, ran = 0;
    int stopped = 0, parked = 1, have;
    world_win win;

    w->t_end_set = 0;
    w->in_windows = 1;
    have = win_first(w, w->win_t, until, 1 - w->parts[0].cur, &win);
    while (have) {
        int p = win.par;
        world_win next;

        if (th && win.act[0] && win.act[1]) {
            if (parked) {                /* hand it over */
                th->win = win;
                th->until = until;
                th->max = max_events;
                th->base = n;
                ran = 0;
                sim_par_bar_wait(th->start);
                parked = 0;
            }
            part_prep(w, 0, p);
            ran += part_run(w, 0, &win);
            part_publish(w, th, 0, p, ran);
            sim_par_bar_wait(th->sync);
            w->parts[0].n_out[1 - p] = 0;       /* as on the other thread */
            if (win_fast(th, &win)) {
                cross_in(w, 0, p);
                world_barrier_p(w, p, 0);  /* merge only */
                have = win_next(w, th, &win, until, &next);
                stopped = win_stop(th, p);
                if (!have || stopped || !next.act[0] || !next.act[1]) {
                    sim_par_bar_wait(th->x);    /* leave together */
                    parked = 1;
                    /* both inserted what they read: consumed */
                    w->parts[0].n_out[p] = w->parts[1].n_out[p] = 0;
                    n = win_ran(th, p);
                    w->win_t = win.end + 1;
                }
                win = next;
                if (stopped)
                    break;
                continue;
            }
            /* Full: partition 1's thread waits at x and touches no
             * outbox; its last window's one (read by both before this
             * round) is emptied here, before world_renumber checks them
             * all (emptied on that thread, it raced with the check). */
            w->parts[1].n_out[1 - p] = 0;
            world_barrier_p(w, p, 1);
            n = win_ran(th, p);
            if (win.has_lim)
                n += world_global(w, &win.lim, p);
            world_renumber(w);
            w->win_t = win.has_lim ? win.end : win.end + 1;
            stopped = __atomic_load_n(&w->interrupted, __ATOMIC_RELAXED) ||
                      (stop && *stop) || (max_events && n >= max_events);
            have = !stopped && win_first(w, w->win_t, until, 1 - p, &next);
            th->go = have && next.act[0] && next.act[1];
            if (th->go) {
                th->win = next;
                th->base = n;
                ran = 0;
            }
            sim_par_bar_wait(th->x);
            parked = !th->go;
            win = next;
            continue;
        }
        /* Solo: one side has events, or no second thread. */
        if (!th) {
            part_prep(w, 1, p);
            world_tl = 1;
            n += part_run(w, 1, &win);
            world_tl = 0;
            part_prep(w, 0, p);
            n += part_run(w, 0, &win);
        } else if (win.act[1]) {
            part_prep(w, 1, p);
            world_tl = 1;
            n += part_run(w, 1, &win);
            world_tl = 0;
        } else {
            part_prep(w, 0, p);
            n += part_run(w, 0, &win);
        }
        world_barrier_p(w, p, 1);
        if (win.has_lim)
            n += world_global(w, &win.lim, p);
        world_renumber(w);
        w->win_t = win.has_lim ? win.end : win.end + 1;
        if (__atomic_load_n(&w->interrupted, __ATOMIC_RELAXED) ||
            (stop && *stop) || (max_events && n >= max_events)) {
            stopped = 1;
            break;
        }
        have = win_first(w, w->win_t, until, 1 - p, &win);
    }
    w->in_windows = 0;
    /* The clock one scheduler would show now (sim_sched_run). */
    w->t_end = !stopped && until != SIM_TIME_MAX && until > w->last_t
                   ? until : w->last_t;
    w->t_end_set = 1;
    return n;
}

/* The safety net of sim_world_observe (world.h): a scenario's attackers
 * are wired in by whoever builds the world; a world that runs without
 * them would give results without attacks, silently. */
static void world_obs_check(const sim_world *w)
{
    if (w->sc->n_attackers && !w->obs) {
        fprintf(stderr, "kmsim: internal error: the world of a scenario "
                "with %zu attacker%s runs without them (no observer "
                "attached after sim_world_new)\n", w->sc->n_attackers,
                w->sc->n_attackers == 1 ? "" : "s");
        abort();
    }
}

uint64_t sim_world_run(sim_world *w, sim_time until, uint64_t max_events)
{
    uint64_t n;

    world_obs_check(w);
    __atomic_store_n(&w->interrupted, 0, __ATOMIC_RELAXED);
    if (w->windowed)
        n = world_run_windows(w, until, max_events);
    else
        n = sim_sched_run(WP(w)->sched, until, max_events);
#ifdef KMSIM_LOCALITY
    w->actor = SIM_NONE;                 /* between runs: no event runs */
#endif
    return n;
}

/* The outbox's keys, for the scheduler's renumbering (sim_held_fn). */
static sim_event_key *part_held(void *ctx, size_t i)
{
    world_part *pt = ctx;

    if (i < pt->n_out[0])
        return &pt->out[0][i].k;
    i -= pt->n_out[0];
    return i < pt->n_out[1] ? &pt->out[1][i].k : NULL;
}

int sim_world_partition(sim_world *w, const uint8_t *part_of,
                        sim_time *lookahead)
{
    const sim_topo *t = &w->topo;
    sim_time la = SIM_TIME_MAX, win = SIM_TIME_MAX;

    assert(w->parts[0].n_out[0] == 0);
    if (w->two)
        return -1;                 /* two schedulers: the split is fixed */
    world_fp_merge(w);
    if (!part_of) {
        free(w->node_part);
        w->node_part = NULL;
        sim_sched_set_held(w->parts[0].sched, NULL, NULL);
        *lookahead = SIM_TIME_MAX;
        return 0;
    }
    if (w->n_taps)
        return -1;                 /* taps see every transmission */
    for (uint32_t l = 0; l < t->n_links; l++) {
        const sim_link *k = &t->links[l];
        const scn_link_params *par = &t->params[k->par];
        sim_time lt;

        if (part_of[k->a] == part_of[k->b])
            continue;
        if (par->latency < la)
            la = par->latency;
        /* The windows: an arrival over this link comes at least one
         * header's transmission time plus the latency after it was sent
         * (every packet holds a header; attackers' injections, which
         * skip the transmitter, are refused with a split). */
        lt = par->latency + sim_link_tx_time(par, SIM_HDR_BYTES);
        if (lt < win)
            win = lt;
    }
    if (la <= 0)
        return -1;
    if (!w->node_part)
        w->node_part = xmalloc(t->n_nodes ? t->n_nodes : 1);
    memcpy(w->node_part, part_of, t->n_nodes);
    sim_sched_set_held(w->parts[0].sched, part_held, &w->parts[0]);
    *lookahead = la;
    w->win_la = win;
    return 0;
}

/* A run-wide event's handler (sim_world_at_global on a split world): the
 * caller's, with its arg and u64, in key order. */
static void ev_global(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    world_glob g;
    (void)arg; (void)u64;

    assert(w->glob_next < w->n_glob);
    /* Two schedulers: only alone, with both partitions stopped. */
    if (w->two && !w->glob_run) {
        fprintf(stderr, "kmsim: --threads 2: a run-wide event ran inside "
                "a window (THREADS.md)\n");
        abort();
    }
    g = w->glob[w->glob_next++];
    w->glob_run = 1;       /* one scheduler: while it runs; two: already */
#ifndef NDEBUG
    {
        sim_event_key k;
        sim_sched_key_now(s, &k);
        assert(sim_event_key_cmp(&k, &g.k) == 0 && g.node == node);
    }
#else
    (void)s;
#endif
    g.fn(s, ctx, kind, node, g.arg, g.u64);
    w->glob_run = w->two;  /* two: world_node_global clears it */
}

int sim_world_run_wide(const sim_world *w)
{
    return w->glob_run;
}

sim_event_id sim_world_at_global(sim_world *w, sim_time t, sim_event_fn fn,
                                 uint32_t kind, uint32_t node, void *arg,
                                 uint64_t u64)
{
    world_glob g;
    sim_sched *s;
    uint32_t i;

    if (!w->node_part)
        return sim_sched_at(sim_world_sched(w), t, fn, kind, node, arg, u64);
    if (w->in_windows) {
        /* Not needed yet (E-G schedules its rounds at set-up): the other
         * thread may be reading glob (win_make). */
        fprintf(stderr, "kmsim: --threads 2: sim_world_at_global from an "
                "event of a split run (not supported: THREADS.md)\n");
        abort();
    }
    /* Split: the key one scheduler would give it, kept (by key) for
     * world_run_windows.  Before the second scheduler exists (the
     * set-up) it goes to partition 0's and moves with its node's events
     * (sim_world_two_scheds); after, straight into its node's. */
    g.part = sim_world_part_of(w, node);
    s = w->two ? w->parts[g.part].sched : WP(w)->sched;
    sim_sched_key_for(s, t, &g.k);
    g.fn = fn;
    g.arg = arg;
    g.u64 = u64;
    g.node = node;
    if (w->n_glob == w->cap_glob) {
        w->cap_glob = w->cap_glob ? 2 * w->cap_glob : 8;
        w->glob = xreallocarray(w->glob, w->cap_glob, sizeof *w->glob);
    }
    for (i = w->n_glob; i > w->glob_next &&
                        sim_event_key_cmp(&w->glob[i - 1].k, &g.k) > 0; i--)
        w->glob[i] = w->glob[i - 1];
    w->glob[i] = g;
    w->n_glob++;
    return sim_sched_at_key(s, &g.k, ev_global, kind, node, NULL, 0);
}

sim_sched *sim_world_sched_of(sim_world *w, uint32_t v)
{
    return w->two ? w->parts[sim_world_part_of(w, v)].sched : WP(w)->sched;
}

int sim_world_nparts(const sim_world *w)
{
    return w->node_part ? 2 : 1;
}

int sim_world_part_of(const sim_world *w, uint32_t v)
{
    return w->node_part && v < w->topo.n_nodes ? w->node_part[v] : 0;
}

int sim_world_cur_part(const sim_world *w)
{
    (void)w;
    return world_tl;
}

uint64_t sim_world_fp_logged(const sim_world *w, int part)
{
    return w->fp_logged[part != 0];
}

/* Creates every random stream the events draw from (draws do not depend
 * on when a stream is created) and freezes the table: with two threads
 * sim_rng_get then only reads it, each stream drawn by one partition (a
 * link's between the halves by the barrier). */
static void world_rng_prepare(sim_world *w)
{
    const sim_topo *t = &w->topo;

    for (uint32_t v = 0; v < t->n_nodes; v++)
        if (t->nodes[v].role == SCN_ROLE_SOURCE)
            (void)sim_rng_get(w->rng, SIM_RNG_TRAFFIC, v);
    sim_rng_prepare(w->rng, SIM_RNG_NODE, t->n_nodes);
    sim_rng_prepare(w->rng, SIM_RNG_PROTOCOL, t->n_nodes);
    sim_rng_prepare(w->rng, SIM_RNG_SERVICE, w->n_so);
    sim_rng_prepare(w->rng, SIM_RNG_PUBLISH, w->n_so);
    for (uint32_t l = 0; l < t->n_links; l++)
        if (sim_topo_link_params(t, l)->loss > 0)
            (void)sim_rng_get(w->rng, SIM_RNG_LINK, l);
    sim_rng_freeze(w->rng, 1);
}

int sim_world_two_scheds(sim_world *w, size_t *moved)
{
    world_part *p1 = &w->parts[1];
    uint32_t n = w->topo.n_nodes;
    sim_sched *s;

    if (!w->node_part || w->two || sim_sched_executed(w->parts[0].sched))
        return -1;
    s = sim_sched_new(w, 4u * n + 64);
    w->gsched = sim_sched_new(w, 64);
    if (!s || !w->gsched)
        xoom(sizeof *w);
    sim_sched_set_observer(s, world_fp_observe, w);
    sim_sched_set_lookahead(s, world_lookahead, w);
    sim_sched_set_held(s, part_held, p1);
    sim_sched_set_observer(w->gsched, world_fp_observe, w);
    if (w->guard) {
        sim_sched_set_interrupt(s, w->guard->stop);
        sim_sched_set_interrupt(w->gsched, w->guard->stop);
    }
    /* Keys cross between the three: they renumber only together, at a
     * barrier (world_renumber). */
    sim_sched_set_coordinated(w->parts[0].sched, 1);
    sim_sched_set_coordinated(s, 1);
    sim_sched_set_coordinated(w->gsched, 1);
    *moved = sim_sched_move(w->parts[0].sched, s, w->node_part, n, 1);
    (void)sim_sched_move(w->parts[0].sched, w->gsched, w->node_part, n,
                         SIM_SCHED_NO_NODE);
    p1->sched = s;
    p1->bfs_queue = xcalloc(n + 1, sizeof *p1->bfs_queue);
    world_route_cache_init(w, p1);
    p1->stor_node = SIM_NONE;
    if (w->parts[0].stor_dirty)
        p1->stor_dirty = xcalloc(((size_t)n + 63) / 64, sizeof(uint64_t));
    for (int k = 0; k < 2; k++) {
        w->mlog[0][k] = ana_metrics_new_log(w->m);
        w->mlog[1][k] = ana_metrics_new_log(w->m);
        if (!w->mlog[0][k] || !w->mlog[1][k])
            xoom(sizeof *w);
        w->parts[k].m = w->mlog[0][k];
    }
    world_presize(w);
    world_rng_prepare(w);
    w->two = 1;
    w->windowed = 1;               /* sim_world_run: windows of win_la */
    return 0;
}

uint64_t sim_world_run_part(sim_world *w, int part, sim_time until)
{
    world_win win = {.end = until};
    uint64_t n;

    assert(w->two && (part == 0 || part == 1) && world_tl == 0);
    world_obs_check(w);
    w->in_windows = 1;
    world_tl = part;
    n = part_run(w, part, &win);
    world_tl = 0;
    w->in_windows = 0;
    return n;
}

sim_sched *sim_world_part_sched(sim_world *w, int part)
{
    assert(part == 0 || (part == 1 && w->two));
    return w->parts[part != 0].sched;
}

uint32_t sim_world_barrier(sim_world *w)
{
    return world_barrier(w);
}

uint32_t sim_world_outbox_deliver(sim_world *w)
{
    world_part *pt = &w->parts[0];
    uint32_t n = pt->n_out[0];

    assert(!w->two);               /* two: sim_world_barrier */
    world_fp_merge(w);             /* both partitions stopped: a barrier */
    for (uint32_t i = 0; i < n; i++) {
        const world_cross *c = &pt->out[0][i];
        sim_sched_at_key(pt->sched, &c->k, world_ev_arrive, SIM_EV_ARRIVE,
                         c->to, c->p, c->link);
    }
    pt->n_out[0] = 0;
    return n;
}

uint64_t sim_world_crossed(const sim_world *w)
{
    return w->parts[0].crossed + w->parts[1].crossed;
}

void sim_world_interrupt(sim_world *w)
{
    __atomic_store_n(&w->interrupted, 1, __ATOMIC_RELAXED);
    sim_sched_stop(WP(w)->sched);
}

