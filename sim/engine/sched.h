/* sched.h — the event engine: a pool of events and a priority queue ordered
 * by (time, depth, creator, sequence number), see "Order" below, so a run
 * is a pure function of its inputs.  No allocation per event once the pool
 * has grown to the peak number of pending events. */
#ifndef KMSIM_SCHED_H
#define KMSIM_SCHED_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "sim_time.h"

typedef struct sim_sched sim_sched;     /* opaque */

/* A handler runs when its event fires.  `kind` and `node` are the values
 * given to sim_sched_at(); `arg` is the caller's pointer, `u64` a small
 * payload carried inline so most events need no side allocation. */
typedef void (*sim_event_fn)(sim_sched *s, void *ctx, uint32_t kind,
                             uint32_t node, void *arg, uint64_t u64);

/* Handle to a scheduled event, for cancellation.  Stale handles (event
 * already fired or cancelled) are detected by a generation count. */
typedef struct sim_event_id {
    uint32_t slot;                      /* pool index + 1; 0 = no event */
    uint32_t gen;                       /* generation of that slot */
} sim_event_id;

/* Observer called for every event actually executed (not cancelled ones),
 * before its handler: used for the run fingerprint and traces. */
typedef void (*sim_observe_fn)(void *octx, sim_time t, uint32_t kind,
                               uint32_t node);

/* Creates an engine whose handlers receive `ctx`.  `hint` pre-sizes the
 * pool (0 = small default).  Returns NULL on allocation failure. */
sim_sched *sim_sched_new(void *ctx, size_t hint);
void sim_sched_free(sim_sched *s);      /* NULL is a no-op */

sim_time sim_sched_now(const sim_sched *s);

/* Schedules fn at absolute time t >= now.  Returns the handle; aborts
 * (xmalloc) only when memory is exhausted.  t < now is a programming error
 * (assert). */
sim_event_id sim_sched_at(sim_sched *s, sim_time t, sim_event_fn fn,
                          uint32_t kind, uint32_t node, void *arg,
                          uint64_t u64);
/* Same, relative to now (delay >= 0). */
sim_event_id sim_sched_in(sim_sched *s, sim_time delay, sim_event_fn fn,
                          uint32_t kind, uint32_t node, void *arg,
                          uint64_t u64);

/* Cancels a pending event.  Returns 0 if it was pending and is now
 * cancelled, -1 if the handle is stale (already run or cancelled). */
int sim_sched_cancel(sim_sched *s, sim_event_id id);

/* Order (kmsim extension, issue 22 lever 6).  Events run by time; ties by
 *   depth    0 for an event later than the one that scheduled it (its
 *            parent: the event running when it was scheduled, none for
 *            one scheduled outside handlers), the parent's depth + 1 for
 *            one at the parent's own time (outside handlers: the last
 *            removed event stands for the parent);
 *   creator  no parent first, then by the parent's node index (a node id
 *            above every node's, e.g. an attacker's, sorts last);
 *   seq      insertion order.
 * So an event scheduled "now" still runs after its parent and everything
 * already due at that depth; what the set-up scheduled for a time (a
 * move, the warm-up's end, a protocol's timers) runs before what nodes
 * scheduled for that time; two events of one creator at one time and
 * depth run in insertion order, as before.  Unlike a plain insertion
 * order it never compares when two *different* nodes scheduled their
 * events: each component is known to the node that schedules, which is
 * what one simulation over several threads needs to reproduce the order
 * of one thread (THREADS.md).  Was (time, seq) until issue 22.
 *
 * Runs events in that order while the next event's time <= until
 * and fewer than max_events have run in this call (0 = no limit) and
 * sim_sched_stop() has not been called.  On return now = time of the last
 * executed event, or `until` if the queue drained before it (and until is
 * not SIM_TIME_MAX).  Returns the number of events executed. */
uint64_t sim_sched_run(sim_sched *s, sim_time until, uint64_t max_events);

/* Asks sim_sched_run to return after the current handler. */
void sim_sched_stop(sim_sched *s);
/* While *flag (e.g. a signal handler's) is non-zero, sim_sched_run returns
 * after the current handler: it is read after every event, so an
 * interrupt is seen within one event (kmsim extension, issue 20).  NULL:
 * none. */
void sim_sched_set_interrupt(sim_sched *s, const volatile sig_atomic_t *flag);

size_t sim_sched_pending(const sim_sched *s);   /* excludes cancelled */
uint64_t sim_sched_executed(const sim_sched *s);/* total since creation */
void sim_sched_set_observer(sim_sched *s, sim_observe_fn fn, void *octx);

/* Look-ahead hint: called before each handler runs with the kind, node
 * and arg of the event then first in the queue (most likely the next to
 * run), so that the caller can prefetch what that event will read while
 * this one runs.  It must only prefetch: it may not change anything,
 * schedule or cancel (the event it names may still be cancelled or
 * preceded by one scheduled meanwhile).  NULL: none. */
typedef void (*sim_lookahead_fn)(void *lctx, uint32_t kind, uint32_t node,
                                 void *arg);
void sim_sched_set_lookahead(sim_sched *s, sim_lookahead_fn fn, void *lctx);

/* ---- Keys across schedulers (issue 22 lever 6, towards --threads 2) ------
 * The order key of an event (see "Order" above).  One simulation split
 * over two schedulers (one per partition of the nodes) runs every event in
 * the order one scheduler would when an event for the other partition
 * takes its key from the scheduler of the partition that schedules it
 * (sim_sched_key_for) and is inserted with that key in the other one
 * (sim_sched_at_key) before the other reaches its time; set-up events of
 * both partitions take their keys from one scheduler.  Merging the two
 * partitions' executed events by key (sim_event_key_cmp, keys from
 * sim_sched_key_now) gives the one scheduler's sequence
 * (tests/test_sched_part.c: test_two_partitions).  A scheduler's renumbering
 * (once per ~4e9 schedules) covers the keys it gave out that still wait
 * (sim_sched_set_held); with several schedulers exchanging keys it must
 * be coordinated (sim_sched_renumber_all below). */
typedef struct sim_event_key {
    sim_time t;             /* event time                                */
    uint32_t depth;         /* 0, or its parent's + 1 at the parent's t  */
    uint32_t creator;       /* parent's node + 1, 0: no parent           */
    uint32_t seq;           /* the creating scheduler's counter (>= 1)   */
} sim_event_key;
/* Makes the key an event for time t (>= now) scheduled now would get,
 * drawing the seq from s, without scheduling anything. */
void sim_sched_key_for(sim_sched *s, sim_time t, sim_event_key *out);
/* Schedules fn with key *k from sim_sched_key_for of this or another
 * scheduler.  k->t >= now and *k must be above every event this scheduler
 * already removed (assert): true when k->t is at or beyond the end of the
 * window the scheduler ran last. */
sim_event_id sim_sched_at_key(sim_sched *s, const sim_event_key *k,
                              sim_event_fn fn, uint32_t kind, uint32_t node,
                              void *arg, uint64_t u64);
/* Keys this scheduler gave out (sim_sched_key_for) that wait outside its
 * queue (an outbox): fn(hctx, i) returns the i-th of them (i = 0, 1, ...)
 * or NULL after the last; when the scheduler renumbers its sequence
 * numbers (once per ~4e9 schedules) it renumbers these too, in one order
 * with its queue, so they keep their place among later keys.  NULL: none.
 * Keys of another scheduler must not be listed. */
typedef sim_event_key *(*sim_held_fn)(void *hctx, size_t i);
void sim_sched_set_held(sim_sched *s, sim_held_fn fn, void *hctx);
/* Moves every pending event of src for a node v < n with part[v] == want
 * into dst with its key (sim_sched_at_key's conditions hold for dst: its
 * clock and last event are not above the events moved; true for a fresh
 * dst and src not yet run).  For placing the set-up events by node when
 * a run is split over two schedulers (THREADS.md step 4).  The moved
 * events' ids become invalid (cancelling one is a no-op returning -1):
 * call it before any id was kept for a cancel, or on a run whose
 * protocol cancels nothing.  Neither scheduler may be running.  Returns
 * how many moved. */
size_t sim_sched_move(sim_sched *src, sim_sched *dst, const uint8_t *part,
                      uint32_t n, uint8_t want);
/* sim_sched_move's `want` that moves the events for no node (node >= n,
 * e.g. the warm-up's end) instead: part is not read. */
#define SIM_SCHED_NO_NODE 255
/* As sim_sched_run, but runs only the events whose key is below *lim
 * (sim_event_key_cmp; until = lim->t): --threads 2 stops both partitions
 * just before a run-wide event (THREADS.md).  When the queue has nothing
 * left before lim->t, now becomes lim->t. */
uint64_t sim_sched_run_before(sim_sched *s, const sim_event_key *lim,
                              uint64_t max_events);
/* The key of the first event in the queue (a cancelled one may stand
 * first: a lower bound of the next to run): 0, or -1 when empty. */
int sim_sched_peek(const sim_sched *s, sim_event_key *out);
/* The key of the event running now (in a handler or the observer; outside
 * them the last one removed). */
void sim_sched_key_now(const sim_sched *s, sim_event_key *out);
/* <0, 0, >0 as a runs before, with, after b. */
int sim_event_key_cmp(const sim_event_key *a, const sim_event_key *b);

/* ---- Coordinated renumbering (kmsim extension, issue 22 lever 6) -------
 * Keys of one scheduler wait in the queues (and outboxes) of others, so a
 * scheduler renumbering alone would reorder them against its later keys
 * of the same creator.  A coordinated scheduler never renumbers alone:
 * reaching the sequence limit aborts with a message (sim/THREADS.md 4.5;
 * cannot happen below ~2e9 schedules between two renumberings).  Its
 * owner calls sim_sched_renumber_all, with every scheduler stopped,
 * whenever one of them is due. */
void sim_sched_set_coordinated(sim_sched *s, int on);
/* Whether s has drawn half of its sequence numbers since it last
 * renumbered (>= limit / 2): time for sim_sched_renumber_all. */
int sim_sched_renumber_due(const sim_sched *s);
/* Renumbers every queued key and every held key (sim_sched_set_held) of
 * the n schedulers s[0..n-1] (none running) 1..N in one merged key order
 * (sim_event_key_cmp), and sets every counter to N + 1: the order of any
 * two of these keys is unchanged, wherever they wait, and keys drawn
 * later by any of them sort after those of the same creator.  The
 * caller's copies of keys that are neither queued nor held (a peek, a
 * window's limit) are stale afterwards. */
void sim_sched_renumber_all(sim_sched *const *s, size_t n);
/* Renumberings of s so far (alone or with others). */
uint64_t sim_sched_renumbers(const sim_sched *s);

/* ---- Partition census (issue 22 lever 6, towards --threads 2) -----------
 * Measures how a split of the nodes into parts would cut the event graph:
 * every event scheduled while a census is set is classified by the node
 * of the event that schedules it (its *creator*: the node of the event
 * running now; none outside sim_sched_run) and the node it is for.  A node
 * id >= n (SIM_NONE, an attacker's or a run-wide event) belongs to no
 * part: such an event is counted as global, never as crossing.  Costs one
 * predictable branch per schedule when no census is set.  Never changes
 * what the queue does. */
typedef struct sim_sched_census {
    uint64_t scheduled;     /* events scheduled with the census set     */
    uint64_t cross;         /* creator and target in different parts    */
    uint64_t cross_short;   /* ... of them with delay < lookahead       */
    sim_time cross_min;     /* smallest delay of a crossing event,      */
                            /*   SIM_TIME_MAX: none                     */
    uint64_t global_by;     /* creator is no node (>= n, or outside)    */
    uint64_t global_for;    /* target is no node (>= n)                 */
    uint64_t self;          /* creator == target                        */
    uint64_t for_part[2];   /* for a node of part 0, of part 1 (balance) */
} sim_sched_census;
/* Sets the census: part[v] (v < n) is node v's part; the array is the
 * caller's and must outlive the census (NULL: stop counting).  Crossing
 * events scheduled less than `lookahead` ahead are counted apart.  Resets
 * the counts. */
void sim_sched_set_census(sim_sched *s, const uint8_t *part, uint32_t n,
                          sim_time lookahead);
void sim_sched_census_get(const sim_sched *s, sim_sched_census *out);

#endif
