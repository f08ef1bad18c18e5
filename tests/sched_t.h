/* sched_t.h — private to test_sched*.c: test_sched.c (main, registration,
 * the engine's basic behaviour, randomised workloads, pool reuse, census
 * and order) and test_sched_part.c (one model on one scheduler and on two),
 * also compiled together as test_sched_renumber.  It holds the event log the
 * handlers write (tlog, h_log, obs_log), a splitmix64 stream, and the tests
 * test_sched_part.c defines for register_tests. */
#ifndef KMSIM_TEST_SCHED_T_H
#define KMSIM_TEST_SCHED_T_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "sched.h"

/* ===================================================================
 * Helpers
 * =================================================================== */

/* One executed event as seen by a handler or by the observer. */
typedef struct trec {
    sim_time t;                         /* now when it ran */
    uint32_t kind;                      /* as scheduled */
    uint32_t node;                      /* as scheduled */
    uint64_t u64;                       /* as scheduled (0 for observer) */
} trec;

/* A growable log of executed events plus knobs for the handlers. */
typedef struct tlog {
    trec *rec;                          /* executed events, in order */
    size_t n;                           /* used */
    size_t cap;                         /* allocated */
    uint64_t stop_at;                   /* call stop when u64 == this */
    sim_event_id victim;                /* cancelled by kind 2 handlers */
    int victim_rc;                      /* what that cancel returned */
    sim_event_id self;                  /* handle of a kind 3 event */
    int self_rc;                        /* cancel of itself from handler */
} tlog;

static inline void tlog_init(tlog *l)
{
    memset(l, 0, sizeof(*l));
    l->stop_at = UINT64_MAX;
    l->victim_rc = 99;
    l->self_rc = 99;
}

static inline void tlog_add(tlog *l, sim_time t, uint32_t kind, uint32_t node,
                            uint64_t u64)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->rec = realloc(l->rec, l->cap * sizeof(*l->rec));
        if (!l->rec)
            abort();
    }
    l->rec[l->n].t = t;
    l->rec[l->n].kind = kind;
    l->rec[l->n].node = node;
    l->rec[l->n].u64 = u64;
    l->n++;
}

static inline void tlog_deinit(tlog *l)
{
    free(l->rec);
}

/* kind 0: record; 1: record and schedule a kind-0 event at now with u64
 * + 1000; 2: record and cancel l->victim; 3: record and cancel itself.
 * Any kind stops the run when u64 == stop_at. */
static inline void h_log(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                         void *arg, uint64_t u64)
{
    tlog *l = ctx;

    (void)arg;
    tlog_add(l, sim_sched_now(s), kind, node, u64);
    if (kind == 1)
        sim_sched_at(s, sim_sched_now(s), h_log, 0, node, NULL, u64 + 1000);
    else if (kind == 2)
        l->victim_rc = sim_sched_cancel(s, l->victim);
    else if (kind == 3)
        l->self_rc = sim_sched_cancel(s, l->self);
    if (u64 == l->stop_at)
        sim_sched_stop(s);
}

static inline void obs_log(void *octx, sim_time t, uint32_t kind,
                           uint32_t node)
{
    tlog_add(octx, t, kind, node, 0);
}

/* splitmix64: a deterministic stream for the randomised tests. */
static inline uint64_t rnd_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rnd_below(uint64_t *st, uint64_t n)
{
    return rnd_next(st) % n;
}

/* test_sched_part.c: one model on one scheduler and on two. */
void test_two_partitions(void);
void test_sched_move(void);
void test_held_keys_renumbered(void);
void test_renumber_all_api(void);
void test_renumber_all_pm(void);
void test_coordinated_limit_aborts(void);
void test_two_threads(void);

#endif
