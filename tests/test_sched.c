/* test_sched.c — unit tests for the event engine (sim/engine/sched.c): ordering,
 * ties, cancellation, run limits, stop, observer, two engines at once, and a
 * randomised run checked against a sorted reference, and one model on two
 * schedulers (in turn, and on two threads) against one scheduler.  Every
 * test keeps its state in a local struct handed to the engine as ctx: no
 * globals. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cutest.h"
#include "sched.h"
#include "util.h"

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

static void tlog_init(tlog *l)
{
    memset(l, 0, sizeof(*l));
    l->stop_at = UINT64_MAX;
    l->victim_rc = 99;
    l->self_rc = 99;
}

static void tlog_add(tlog *l, sim_time t, uint32_t kind, uint32_t node,
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

static void tlog_deinit(tlog *l)
{
    free(l->rec);
}

/* kind 0: record; 1: record and schedule a kind-0 event at now with u64
 * + 1000; 2: record and cancel l->victim; 3: record and cancel itself.
 * Any kind stops the run when u64 == stop_at. */
static void h_log(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
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

static void obs_log(void *octx, sim_time t, uint32_t kind, uint32_t node)
{
    tlog_add(octx, t, kind, node, 0);
}

/* splitmix64: a deterministic stream for the randomised tests. */
static uint64_t rnd_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t *st, uint64_t n)
{
    return rnd_next(st) % n;
}

/* ===================================================================
 * Basic behaviour
 * =================================================================== */

static void test_new_free(void)
{
    sim_sched *s = sim_sched_new(NULL, 0);

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sim_sched_now(s), 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(sim_sched_executed(s), 0);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 0);
    CU_ASSERT_EQUAL(sim_sched_now(s), 0);
    sim_sched_free(s);
    sim_sched_free(NULL);
    s = sim_sched_new(NULL, 100000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    sim_sched_free(s);
}

static void test_order_by_time(void)
{
    static const sim_time times[] = { 50, 10, 40, 30, 20, 0, 70, 60, 15, 5 };
    tlog l;
    sim_sched *s;
    size_t i;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    for (i = 0; i < ARRAY_LEN(times); i++)
        sim_sched_at(s, times[i], h_log, 0, (uint32_t)i, NULL, i);
    CU_ASSERT_EQUAL(sim_sched_pending(s), ARRAY_LEN(times));
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), ARRAY_LEN(times));
    CU_ASSERT_EQUAL_FATAL(l.n, ARRAY_LEN(times));
    for (i = 1; i < l.n; i++)
        CU_ASSERT(l.rec[i - 1].t < l.rec[i].t);
    for (i = 0; i < l.n; i++)
        CU_ASSERT_EQUAL(l.rec[i].t, times[l.rec[i].u64]);
    CU_ASSERT_EQUAL(sim_sched_now(s), 70);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(sim_sched_executed(s), ARRAY_LEN(times));
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* Many events at one time, interleaved with others, run in insertion
 * order; sim_sched_in is relative to now. */
static void test_ties_insertion_order(void)
{
    enum { N = 5000 };
    tlog l;
    sim_sched *s;
    size_t i, k;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    for (i = 0; i < N; i++)
        sim_sched_at(s, (i % 3 == 0) ? 100 : 200, h_log, 0, 0, NULL, i);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), N);
    CU_ASSERT_EQUAL_FATAL(l.n, N);
    k = 0;
    for (i = 0; i < N; i += 3)          /* all the t = 100 ones first */
        CU_ASSERT_EQUAL(l.rec[k++].u64, i);
    for (i = 0; i < N; i++)
        if (i % 3 != 0)
            CU_ASSERT_EQUAL(l.rec[k++].u64, i);
    CU_ASSERT_EQUAL(k, N);

    l.n = 0;                            /* now = 200 */
    sim_sched_in(s, 5, h_log, 0, 0, NULL, 1);
    sim_sched_in(s, 0, h_log, 0, 0, NULL, 2);
    sim_sched_at(s, 200, h_log, 0, 0, NULL, 3);
    sim_sched_run(s, SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 3);
    CU_ASSERT_EQUAL(l.rec[0].u64, 2);
    CU_ASSERT_EQUAL(l.rec[0].t, 200);
    CU_ASSERT_EQUAL(l.rec[1].u64, 3);
    CU_ASSERT_EQUAL(l.rec[2].u64, 1);
    CU_ASSERT_EQUAL(l.rec[2].t, 205);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* Events a handler schedules at now run after the same-time events that
 * were already queued. */
static void test_schedule_at_now_from_handler(void)
{
    tlog l;
    sim_sched *s;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    sim_sched_at(s, 10, h_log, 1, 0, NULL, 1);  /* schedules u64 1001 */
    sim_sched_at(s, 10, h_log, 0, 0, NULL, 2);
    sim_sched_at(s, 10, h_log, 1, 0, NULL, 3);  /* schedules u64 1003 */
    sim_sched_at(s, 11, h_log, 0, 0, NULL, 4);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 6);
    CU_ASSERT_EQUAL_FATAL(l.n, 6);
    CU_ASSERT_EQUAL(l.rec[0].u64, 1);
    CU_ASSERT_EQUAL(l.rec[1].u64, 2);
    CU_ASSERT_EQUAL(l.rec[2].u64, 3);
    CU_ASSERT_EQUAL(l.rec[3].u64, 1001);
    CU_ASSERT_EQUAL(l.rec[4].u64, 1003);
    CU_ASSERT_EQUAL(l.rec[3].t, 10);
    CU_ASSERT_EQUAL(l.rec[4].t, 10);
    CU_ASSERT_EQUAL(l.rec[5].u64, 4);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* The handler gets the engine, its ctx and the values it was scheduled
 * with. */
static void h_args(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                   void *arg, uint64_t u64)
{
    int *ok = ctx;

    (void)s;
    *ok = kind == 7 && node == 42 && arg == (void *)ok &&
          u64 == 0xdeadbeefcafeULL;
}

static void test_handler_arguments(void)
{
    int ok = 0;
    sim_sched *s = sim_sched_new(&ok, 0);

    sim_sched_at(s, 3, h_args, 7, 42, &ok, 0xdeadbeefcafeULL);
    sim_sched_run(s, SIM_TIME_MAX, 0);
    CU_ASSERT(ok);
    sim_sched_free(s);
}

/* ===================================================================
 * Cancellation
 * =================================================================== */

static void test_cancel(void)
{
    tlog l;
    sim_sched *s;
    sim_event_id a, b, c, bad;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    a = sim_sched_at(s, 10, h_log, 0, 0, NULL, 1);
    b = sim_sched_at(s, 20, h_log, 0, 0, NULL, 2);
    c = sim_sched_at(s, 30, h_log, 0, 0, NULL, 3);
    CU_ASSERT_NOT_EQUAL(a.slot, 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 3);
    CU_ASSERT_EQUAL(sim_sched_cancel(s, b), 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 2);
    CU_ASSERT_EQUAL(sim_sched_cancel(s, b), -1);        /* twice */
    CU_ASSERT_EQUAL(sim_sched_pending(s), 2);

    bad.slot = 0;                                       /* no event */
    bad.gen = 0;
    CU_ASSERT_EQUAL(sim_sched_cancel(s, bad), -1);
    bad.slot = 1000000;                                 /* out of range */
    CU_ASSERT_EQUAL(sim_sched_cancel(s, bad), -1);
    bad = c;                                            /* wrong gen */
    bad.gen++;
    CU_ASSERT_EQUAL(sim_sched_cancel(s, bad), -1);

    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 2);
    CU_ASSERT_EQUAL_FATAL(l.n, 2);
    CU_ASSERT_EQUAL(l.rec[0].u64, 1);
    CU_ASSERT_EQUAL(l.rec[1].u64, 3);
    CU_ASSERT_EQUAL(sim_sched_cancel(s, a), -1);        /* after run */
    CU_ASSERT_EQUAL(sim_sched_cancel(s, c), -1);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(sim_sched_executed(s), 2);

    /* A recycled slot gets a new generation: old handles stay stale. */
    a = sim_sched_at(s, 40, h_log, 0, 0, NULL, 4);
    CU_ASSERT_EQUAL(sim_sched_cancel(s, b), -1);
    CU_ASSERT_EQUAL(sim_sched_cancel(s, c), -1);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 1);
    CU_ASSERT_EQUAL(sim_sched_cancel(s, a), 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 0);
    CU_ASSERT_EQUAL(l.n, 2);
    sim_sched_free(s);
    tlog_deinit(&l);
}

static void test_cancel_from_handler(void)
{
    tlog l;
    sim_sched *s;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    sim_sched_at(s, 10, h_log, 2, 0, NULL, 1);          /* cancels victim */
    l.victim = sim_sched_at(s, 10, h_log, 0, 0, NULL, 2);
    sim_sched_at(s, 20, h_log, 0, 0, NULL, 3);
    l.self = sim_sched_at(s, 30, h_log, 3, 0, NULL, 4); /* cancels itself */
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 3);
    CU_ASSERT_EQUAL(l.victim_rc, 0);
    CU_ASSERT_EQUAL(l.self_rc, -1);     /* a running event is not pending */
    CU_ASSERT_EQUAL_FATAL(l.n, 3);
    CU_ASSERT_EQUAL(l.rec[0].u64, 1);
    CU_ASSERT_EQUAL(l.rec[1].u64, 3);
    CU_ASSERT_EQUAL(l.rec[2].u64, 4);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* A cancelled event later than the last executed one is discarded when
 * the run reaches it; events scheduled afterwards between the two times
 * must still come out in order. */
static void test_cancel_beyond_last(void)
{
    tlog l;
    sim_sched *s;
    sim_event_id b;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    sim_sched_at(s, 10, h_log, 0, 0, NULL, 1);
    b = sim_sched_at(s, 20, h_log, 0, 0, NULL, 2);
    CU_ASSERT_EQUAL(sim_sched_cancel(s, b), 0);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 1);
    CU_ASSERT_EQUAL(sim_sched_now(s), 10);
    sim_sched_at(s, 21, h_log, 0, 0, NULL, 3);
    sim_sched_at(s, 19, h_log, 0, 0, NULL, 4);
    sim_sched_at(s, 11, h_log, 0, 0, NULL, 5);
    b = sim_sched_at(s, 30, h_log, 0, 0, NULL, 6);
    sim_sched_cancel(s, b);
    sim_sched_at(s, 40, h_log, 0, 0, NULL, 7);
    /* The cancelled one at 30 is passed, then the run stops by time. */
    CU_ASSERT_EQUAL(sim_sched_run(s, 35, 0), 3);
    CU_ASSERT_EQUAL(sim_sched_now(s), 35);
    sim_sched_at(s, 36, h_log, 0, 0, NULL, 8);
    sim_sched_at(s, 35, h_log, 0, 0, NULL, 9);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 3);
    CU_ASSERT_EQUAL_FATAL(l.n, 7);
    CU_ASSERT_EQUAL(l.rec[0].u64, 1);
    CU_ASSERT_EQUAL(l.rec[1].u64, 5);
    CU_ASSERT_EQUAL(l.rec[2].u64, 4);
    CU_ASSERT_EQUAL(l.rec[3].u64, 3);
    CU_ASSERT_EQUAL(l.rec[4].u64, 9);
    CU_ASSERT_EQUAL(l.rec[5].u64, 8);
    CU_ASSERT_EQUAL(l.rec[6].u64, 7);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* Cancelling the earliest events, with some left, exercises the discard
 * at the top of the heap; cancelling most of a large queue exercises the
 * compaction. */
static void test_cancel_many(void)
{
    enum { N = 10000 };
    tlog l;
    sim_sched *s;
    sim_event_id *ids = malloc(N * sizeof(*ids));
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    for (i = 0; i < N; i++)
        ids[i] = sim_sched_at(s, (sim_time)(N - i), h_log, 0, 0, NULL, i);
    for (i = 0; i < N; i++)
        if (i % 10 != 0)
            CU_ASSERT_EQUAL(sim_sched_cancel(s, ids[i]), 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), N / 10);
    for (i = 0; i < N; i++)
        CU_ASSERT_EQUAL(sim_sched_cancel(s, ids[i]), i % 10 ? -1 : 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 0);
    CU_ASSERT_EQUAL(l.n, 0);
    sim_sched_free(s);
    tlog_deinit(&l);
    free(ids);
}

/* ===================================================================
 * Run limits
 * =================================================================== */

static void test_run_until(void)
{
    tlog l;
    sim_sched *s;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    sim_sched_at(s, 10, h_log, 0, 0, NULL, 1);
    sim_sched_at(s, 20, h_log, 0, 0, NULL, 2);
    sim_sched_at(s, 30, h_log, 0, 0, NULL, 3);
    CU_ASSERT_EQUAL(sim_sched_run(s, 20, 0), 2);       /* inclusive */
    CU_ASSERT_EQUAL(sim_sched_now(s), 20);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 1);
    /* Nothing left <= until: the clock moves up to until. */
    CU_ASSERT_EQUAL(sim_sched_run(s, 25, 0), 0);
    CU_ASSERT_EQUAL(sim_sched_now(s), 25);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 1);
    /* Never backwards. */
    CU_ASSERT_EQUAL(sim_sched_run(s, 5, 0), 0);
    CU_ASSERT_EQUAL(sim_sched_now(s), 25);
    /* Drained before until. */
    CU_ASSERT_EQUAL(sim_sched_run(s, 100, 0), 1);
    CU_ASSERT_EQUAL(sim_sched_now(s), 100);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    /* Drained with until = SIM_TIME_MAX: the clock stays at the last event. */
    sim_sched_at(s, 150, h_log, 0, 0, NULL, 4);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 1);
    CU_ASSERT_EQUAL(sim_sched_now(s), 150);
    /* An event at SIM_TIME_MAX still runs; a saturating delay lands there. */
    sim_sched_in(s, SIM_TIME_MAX, h_log, 0, 0, NULL, 5);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 1);
    CU_ASSERT_EQUAL(sim_sched_now(s), SIM_TIME_MAX);
    CU_ASSERT_EQUAL_FATAL(l.n, 5);
    CU_ASSERT_EQUAL(l.rec[4].t, SIM_TIME_MAX);
    sim_sched_free(s);
    tlog_deinit(&l);
}

static void test_max_events(void)
{
    tlog l;
    sim_sched *s;
    uint64_t i;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    for (i = 1; i <= 10; i++)
        sim_sched_at(s, (sim_time)(10 * i), h_log, 0, 0, NULL, i);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 3), 3);
    CU_ASSERT_EQUAL(sim_sched_now(s), 30);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 7);
    /* The limit wins over until: now stays at the last event. */
    CU_ASSERT_EQUAL(sim_sched_run(s, 1000, 2), 2);
    CU_ASSERT_EQUAL(sim_sched_now(s), 50);
    /* A limit equal to what is left: stopped by the limit, not drained. */
    CU_ASSERT_EQUAL(sim_sched_run(s, 1000, 5), 5);
    CU_ASSERT_EQUAL(sim_sched_now(s), 100);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(sim_sched_executed(s), 10);
    CU_ASSERT_EQUAL(l.n, 10);
    sim_sched_free(s);
    tlog_deinit(&l);
}

static void test_stop_from_handler(void)
{
    tlog l;
    sim_sched *s;
    uint64_t i;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    for (i = 1; i <= 10; i++)
        sim_sched_at(s, (sim_time)(10 * i), h_log, 0, 0, NULL, i);
    l.stop_at = 4;
    CU_ASSERT_EQUAL(sim_sched_run(s, 1000, 0), 4);
    CU_ASSERT_EQUAL(sim_sched_now(s), 40);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 6);
    /* The request does not carry over into the next run. */
    l.stop_at = UINT64_MAX;
    CU_ASSERT_EQUAL(sim_sched_run(s, 1000, 0), 6);
    CU_ASSERT_EQUAL(sim_sched_now(s), 1000);
    /* Outside a run, stop has no effect. */
    sim_sched_stop(s);
    sim_sched_at(s, 1001, h_log, 0, 0, NULL, 11);
    sim_sched_at(s, 1002, h_log, 0, 0, NULL, 12);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 2);
    CU_ASSERT_EQUAL(l.n, 12);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* ===================================================================
 * Observer, two engines
 * =================================================================== */

static void test_observer(void)
{
    tlog l, o;
    sim_sched *s;
    sim_event_id id;
    size_t i;

    tlog_init(&l);
    tlog_init(&o);
    s = sim_sched_new(&l, 0);
    sim_sched_set_observer(s, obs_log, &o);
    sim_sched_at(s, 30, h_log, 0, 3, NULL, 1);
    id = sim_sched_at(s, 20, h_log, 0, 2, NULL, 2);
    sim_sched_at(s, 10, h_log, 1, 1, NULL, 3);          /* adds one at 10 */
    sim_sched_at(s, 10, h_log, 0, 4, NULL, 4);
    sim_sched_cancel(s, id);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 4);
    CU_ASSERT_EQUAL_FATAL(o.n, 4);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    for (i = 0; i < o.n; i++) {
        CU_ASSERT_EQUAL(o.rec[i].t, l.rec[i].t);
        CU_ASSERT_EQUAL(o.rec[i].kind, l.rec[i].kind);
        CU_ASSERT_EQUAL(o.rec[i].node, l.rec[i].node);
    }
    CU_ASSERT_EQUAL(o.rec[0].node, 1);
    CU_ASSERT_EQUAL(o.rec[1].node, 4);
    CU_ASSERT_EQUAL(o.rec[2].node, 1);
    CU_ASSERT_EQUAL(o.rec[3].node, 3);
    /* Removing the observer. */
    sim_sched_set_observer(s, NULL, NULL);
    sim_sched_at(s, 40, h_log, 0, 5, NULL, 5);
    sim_sched_run(s, SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL(o.n, 4);
    CU_ASSERT_EQUAL(l.n, 5);
    sim_sched_free(s);
    tlog_deinit(&l);
    tlog_deinit(&o);
}

/* Look-ahead log: (kind, node) of each hint, and its arg. */
typedef struct lalog {
    tlog l;
    void *arg[64];
} lalog;

static void la_log(void *lctx, uint32_t kind, uint32_t node, void *arg)
{
    lalog *a = lctx;

    if (a->l.n < 64)
        a->arg[a->l.n] = arg;
    tlog_add(&a->l, 0, kind, node, 0);
}

/* The hint names the event first in the queue when a handler starts (the
 * one scheduled by the previous handler included, a cancelled one and an
 * empty queue never), and changes nothing: with no handler scheduling,
 * the hints are the executed events shifted by one. */
static void test_lookahead(void)
{
    tlog l, r;
    lalog a;
    sim_sched *s;
    sim_event_id id;
    int tag[4];
    uint64_t st = 99;
    size_t i;

    tlog_init(&l);
    memset(&a, 0, sizeof a);
    tlog_init(&a.l);
    s = sim_sched_new(&l, 0);
    sim_sched_set_lookahead(s, la_log, &a);
    sim_sched_at(s, 30, h_log, 0, 3, &tag[3], 1);
    id = sim_sched_at(s, 20, h_log, 0, 2, &tag[2], 2);
    sim_sched_at(s, 10, h_log, 1, 1, &tag[1], 3);       /* adds one at 10 */
    sim_sched_at(s, 10, h_log, 0, 4, &tag[0], 4);
    sim_sched_cancel(s, id);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 4);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT_EQUAL(l.rec[0].node, 1);          /* as without the hint */
    CU_ASSERT_EQUAL(l.rec[1].node, 4);
    CU_ASSERT_EQUAL(l.rec[2].node, 1);
    CU_ASSERT_EQUAL(l.rec[3].node, 3);
    /* Before node 1: node 4 first; before node 4: the event node 1's
     * handler added; before that one: the cancelled node 2 (no hint);
     * before node 3: nothing left (no hint). */
    CU_ASSERT_EQUAL_FATAL(a.l.n, 2);
    CU_ASSERT_EQUAL(a.l.rec[0].node, 4);
    CU_ASSERT_PTR_EQUAL(a.arg[0], &tag[0]);
    CU_ASSERT_EQUAL(a.l.rec[1].node, 1);
    CU_ASSERT_EQUAL(a.l.rec[1].kind, 0);
    CU_ASSERT_PTR_NULL(a.arg[1]);
    sim_sched_free(s);
    tlog_deinit(&l);
    tlog_deinit(&a.l);

    /* 500 events at random times, ties included. */
    tlog_init(&r);
    tlog_init(&a.l);
    s = sim_sched_new(&r, 0);
    sim_sched_set_lookahead(s, la_log, &a);
    for (i = 0; i < 500; i++)
        sim_sched_at(s, (sim_time)rnd_below(&st, 200), h_log,
                     (uint32_t)(4 + i % 7), (uint32_t)i, NULL, 0);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 500);
    CU_ASSERT_EQUAL_FATAL(a.l.n, 499);
    for (i = 0; i < 499; i++) {
        CU_ASSERT_EQUAL(a.l.rec[i].node, r.rec[i + 1].node);
        CU_ASSERT_EQUAL(a.l.rec[i].kind, r.rec[i + 1].kind);
    }
    sim_sched_free(s);
    tlog_deinit(&r);
    tlog_deinit(&a.l);
}

static void test_two_engines(void)
{
    tlog la, lb;
    sim_sched *a, *b;
    uint64_t i, early = 0;

    tlog_init(&la);
    tlog_init(&lb);
    a = sim_sched_new(&la, 0);
    b = sim_sched_new(&lb, 0);
    for (i = 0; i < 1000; i++) {
        sim_sched_at(a, (sim_time)(i * 7 % 101), h_log, 0, 0, NULL, i);
        sim_sched_at(b, (sim_time)(i * 3 % 17), h_log, 0, 1, NULL, i);
        early += i * 7 % 101 <= 50;
    }
    CU_ASSERT_EQUAL(sim_sched_run(a, 50, 0), early);
    CU_ASSERT_EQUAL(sim_sched_pending(b), 1000);
    CU_ASSERT_EQUAL(sim_sched_now(b), 0);
    CU_ASSERT_EQUAL(sim_sched_run(b, SIM_TIME_MAX, 0), 1000);
    CU_ASSERT_EQUAL(sim_sched_run(a, SIM_TIME_MAX, 0), 1000 - early);
    CU_ASSERT_EQUAL(sim_sched_now(a), 100);
    CU_ASSERT_EQUAL(sim_sched_now(b), 16);
    CU_ASSERT_EQUAL(la.n, 1000);
    CU_ASSERT_EQUAL(lb.n, 1000);
    for (i = 0; i < la.n; i++)
        CU_ASSERT_EQUAL(la.rec[i].node, 0);
    for (i = 0; i < lb.n; i++)
        CU_ASSERT_EQUAL(lb.rec[i].node, 1);
    sim_sched_free(a);
    sim_sched_free(b);
    tlog_deinit(&la);
    tlog_deinit(&lb);
}

/* ===================================================================
 * Randomised workloads
 * =================================================================== */

enum { EV_PENDING, EV_RAN, EV_CANCELLED };

/* Every event ever scheduled in a randomised test, indexed by the order
 * it was scheduled in (its seq): the reference model. */
typedef struct rmodel {
    sim_sched *s;                       /* engine under test */
    uint64_t rng;                       /* splitmix64 state */
    sim_time *t;                        /* scheduled time, by seq */
    uint32_t *depth;                    /* its depth (order, sched.h) */
    uint32_t *creator;                  /* node of its parent, by seq */
    uint32_t *node;                     /* its own node (random 0..3) */
    sim_time cur_t;                     /* the running event's time, */
    uint32_t cur_depth;                 /*   depth (both (0, 0) before */
    uint32_t cur_node;                  /*   the run) and node (or none) */
    sim_event_id *id;                   /* handle, by seq */
    unsigned char *state;               /* EV_*, by seq */
    uint64_t n;                         /* events scheduled */
    uint64_t cap;                       /* capacity of the arrays */
    uint64_t *ran;                      /* seqs in execution order */
    uint64_t nran;                      /* used */
    uint64_t spawn_left;                /* events handlers may still add */
    sim_time spread;                    /* range of random delays */
    int cancels;                        /* handlers cancel at random */
    int bad;                            /* model mismatches seen */
    uint32_t max_slot;                  /* largest handle slot seen */
} rmodel;

static void r_handler(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64);

static void r_schedule(rmodel *m, sim_time t)
{
    uint64_t q = m->n++;

    if (q >= m->cap)
        abort();                        /* test sized its arrays wrongly */
    m->t[q] = t;
    m->depth[q] = t == m->cur_t ? m->cur_depth + 1 : 0;
    m->creator[q] = m->cur_node + 1;     /* none (UINT32_MAX) -> 0 */
    m->node[q] = (uint32_t)rnd_below(&m->rng, 4);
    m->state[q] = EV_PENDING;
    m->id[q] = sim_sched_at(m->s, t, r_handler, 0, m->node[q], NULL, q);
    if (m->id[q].slot > m->max_slot)
        m->max_slot = m->id[q].slot;
}

/* Cancels a random earlier event and checks the engine's answer against
 * the model: 0 exactly when the event was still pending. */
static void r_cancel_random(rmodel *m)
{
    uint64_t q = rnd_below(&m->rng, m->n);
    int rc = sim_sched_cancel(m->s, m->id[q]);

    if (rc != (m->state[q] == EV_PENDING ? 0 : -1))
        m->bad++;
    if (rc == 0)
        m->state[q] = EV_CANCELLED;
}

static void r_handler(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    rmodel *m = ctx;
    uint64_t i, k;

    (void)kind;
    (void)node;
    (void)arg;
    if (u64 >= m->n || m->state[u64] != EV_PENDING ||
        m->t[u64] != sim_sched_now(s) || m->node[u64] != node)
        m->bad++;
    else
        m->state[u64] = EV_RAN;
    m->ran[m->nran++] = u64;
    m->cur_t = m->t[u64];
    m->cur_depth = m->depth[u64];
    m->cur_node = node;
    /* Spawn 0..2 events (at now or later), cancel 0..1 at random. */
    k = rnd_below(&m->rng, 3);
    for (i = 0; i < k && m->spawn_left > 0; i++, m->spawn_left--) {
        sim_time d = rnd_below(&m->rng, 4) == 0 ? 0 :
                     (sim_time)rnd_below(&m->rng, (uint64_t)m->spread);
        r_schedule(m, sim_sched_now(s) + d);
    }
    if (m->cancels && rnd_below(&m->rng, 3) == 0)
        r_cancel_random(m);
    m->cur_node = UINT32_MAX;
}

static void rmodel_init(rmodel *m, sim_sched *s, uint64_t cap, uint64_t seed)
{
    memset(m, 0, sizeof(*m));
    m->s = s;
    m->rng = seed;
    m->cap = cap;
    m->cur_node = UINT32_MAX;
    m->t = malloc(cap * sizeof(*m->t));
    m->depth = malloc(cap * sizeof(*m->depth));
    m->creator = malloc(cap * sizeof(*m->creator));
    m->node = malloc(cap * sizeof(*m->node));
    m->id = malloc(cap * sizeof(*m->id));
    m->state = malloc(cap);
    m->ran = malloc(cap * sizeof(*m->ran));
    if (!m->t || !m->id || !m->state || !m->ran || !m->depth ||
        !m->creator || !m->node)
        abort();
}

static void rmodel_deinit(rmodel *m)
{
    free(m->t);
    free(m->depth);
    free(m->creator);
    free(m->node);
    free(m->id);
    free(m->state);
    free(m->ran);
}

/* A reference entry: an event's order key (sched.h), sorted by (time,
 * depth, creator, seq). */
typedef struct rref {
    sim_time t;                         /* scheduled time */
    uint32_t depth;                     /* 0, or parent's + 1 at its time */
    uint32_t creator;                   /* parent's node + 1, 0: none */
    uint64_t q;                         /* seq: order of scheduling */
} rref;

static int rref_cmp(const void *a, const void *b)
{
    const rref *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    if (x->creator != y->creator)
        return x->creator < y->creator ? -1 : 1;
    return x->q < y->q ? -1 : x->q > y->q;
}

static rref rref_of(const rmodel *m, uint64_t q)
{
    rref r;

    r.t = m->t[q];
    r.depth = m->depth[q];
    r.creator = m->creator[q];
    r.q = q;
    return r;
}

/* The executed sequence must be exactly the non-cancelled events sorted
 * by (time, depth, creator, seq): the events added during the run have
 * time >= now and, at now, a depth above their parent's, so the sort
 * covers them too. */
static void rmodel_check(rmodel *m)
{
    rref *ref = malloc((m->n ? m->n : 1) * sizeof(*ref));
    uint64_t i, nref = 0, mism = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_EQUAL(m->bad, 0);
    for (i = 0; i < m->n; i++) {
        if (m->state[i] == EV_RAN) {
            ref[nref++] = rref_of(m, i);
        } else if (m->state[i] != EV_CANCELLED) {
            mism++;                     /* neither ran nor cancelled */
        }
    }
    CU_ASSERT_EQUAL(mism, 0);
    CU_ASSERT_EQUAL_FATAL(nref, m->nran);
    qsort(ref, nref, sizeof(*ref), rref_cmp);
    for (i = 0; i < nref; i++)
        if (ref[i].q != m->ran[i])
            mism++;
    CU_ASSERT_EQUAL(mism, 0);
    for (i = 1; i < m->nran; i++) {
        rref a = rref_of(m, m->ran[i - 1]), b = rref_of(m, m->ran[i]);

        if (rref_cmp(&a, &b) >= 0)
            mism++;
    }
    CU_ASSERT_EQUAL(mism, 0);
    free(ref);
}

static size_t rmodel_pending(const rmodel *m)
{
    size_t n = 0;
    uint64_t i;

    for (i = 0; i < m->n; i++)
        n += m->state[i] == EV_PENDING;
    return n;
}

/* 100k events at random times (many ties), ~30% cancelled up front, then
 * handlers that add and cancel events while running. */
static void test_random_100k(void)
{
    enum { N = 100000, SPAWN = 100000 };
    rmodel m;
    sim_sched *s;
    uint64_t i, ran;

    rmodel_init(&m, NULL, N + SPAWN, 12345);
    s = sim_sched_new(&m, 0);
    m.s = s;
    m.spread = 1000;
    for (i = 0; i < N; i++)
        r_schedule(&m, (sim_time)rnd_below(&m.rng, 50000));
    for (i = 0; i < N * 3 / 10; i++)
        r_cancel_random(&m);
    CU_ASSERT_EQUAL(sim_sched_pending(s), rmodel_pending(&m));
    CU_ASSERT(sim_sched_pending(s) < N * 8 / 10);
    m.spawn_left = SPAWN;
    m.cancels = 1;
    /* Run in slices, by time and by count, to cross run boundaries. */
    ran = sim_sched_run(s, 10000, 0);
    CU_ASSERT_EQUAL(sim_sched_now(s), 10000);
    ran += sim_sched_run(s, SIM_TIME_MAX, 12345);
    ran += sim_sched_run(s, 30000, 0);
    ran += sim_sched_run(s, SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL(ran, m.nran);
    CU_ASSERT_EQUAL(sim_sched_executed(s), m.nran);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(m.spawn_left, 0);
    rmodel_check(&m);
    sim_sched_free(s);
    rmodel_deinit(&m);
}

/* Same-time storms: delays of 0..3 ns so almost everything ties. */
static void test_random_ties(void)
{
    enum { N = 20000, SPAWN = 100000 };
    rmodel m;
    sim_sched *s;
    uint64_t i;

    rmodel_init(&m, NULL, N + SPAWN, 777);
    s = sim_sched_new(&m, 0);
    m.s = s;
    m.spread = 4;
    for (i = 0; i < N; i++)
        r_schedule(&m, (sim_time)rnd_below(&m.rng, 10));
    m.spawn_left = SPAWN;
    m.cancels = 1;
    sim_sched_run(s, SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    rmodel_check(&m);
    sim_sched_free(s);
    rmodel_deinit(&m);
}

/* Times over the whole clock range (up to 2^62 ns, with ties and small
 * values mixed in) so that every digit level of the queue is used. */
static void test_random_wide(void)
{
    enum { N = 30000, SPAWN = 60000 };
    rmodel m;
    sim_sched *s;
    uint64_t i;

    rmodel_init(&m, NULL, N + SPAWN, 4242);
    s = sim_sched_new(&m, 0);
    m.s = s;
    m.spread = (sim_time)1 << 40;
    for (i = 0; i < N; i++) {
        uint64_t r = rnd_next(&m.rng);
        sim_time t = (sim_time)(r >> (2 + r % 61));

        r_schedule(&m, i % 7 == 0 ? (sim_time)(i % 3) : t);
    }
    m.spawn_left = SPAWN;
    m.cancels = 1;
    sim_sched_run(s, (sim_time)1 << 50, 0);
    sim_sched_run(s, SIM_TIME_MAX, 1000);
    sim_sched_run(s, SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    rmodel_check(&m);
    sim_sched_free(s);
    rmodel_deinit(&m);
}

/* ===================================================================
 * Pool reuse
 * =================================================================== */

/* A long run with about P events pending, where every handler schedules a
 * far-future timer and cancels the previous one (the timeout pattern):
 * cancelled entries never reach the top of the heap, so only compaction
 * reclaims them.  Handle slots (pool index + 1) must stay bounded by a
 * small multiple of the peak pending count. */
typedef struct churn {
    sim_event_id *timer;                /* live timer per chain */
    uint64_t steps;                     /* handler calls left */
    uint32_t max_slot;                  /* largest handle slot seen */
    int bad;                            /* a cancel that should not fail */
} churn;

static void h_timeout(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    churn *c = ctx;

    (void)s;
    (void)kind;
    (void)node;
    (void)arg;
    (void)u64;
    c->bad++;                           /* timers are always cancelled */
}

static void h_churn(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    churn *c = ctx;
    sim_event_id id;

    (void)kind;
    (void)arg;
    if (sim_sched_cancel(s, c->timer[node]) != 0)
        c->bad++;
    if (c->steps == 0)
        return;
    c->steps--;
    c->timer[node] = sim_sched_in(s, 1000 * SIM_S, h_timeout, 0, node,
                                  NULL, 0);
    id = sim_sched_in(s, (sim_time)(1 + u64 % 97), h_churn, 0, node, NULL,
                      u64 * 31 + 7);
    if (c->timer[node].slot > c->max_slot)
        c->max_slot = c->timer[node].slot;
    if (id.slot > c->max_slot)
        c->max_slot = id.slot;
}

static void test_pool_bounded(void)
{
    enum { P = 500 };                   /* chains: 2 pending events each */
    churn c;
    sim_sched *s;
    uint32_t i;

    memset(&c, 0, sizeof(c));
    c.timer = malloc(P * sizeof(*c.timer));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c.timer);
    c.steps = 1000000;
    s = sim_sched_new(&c, 0);
    for (i = 0; i < P; i++) {
        c.timer[i] = sim_sched_in(s, 1000 * SIM_S, h_timeout, 0, i, NULL, 0);
        sim_sched_in(s, i, h_churn, 0, i, NULL, i);
    }
    CU_ASSERT_EQUAL(sim_sched_pending(s), 2 * P);
    sim_sched_run(s, SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL(c.bad, 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s), 0);
    CU_ASSERT_EQUAL(sim_sched_executed(s), 1000000 + P);
    /* Peak pending is 2P + 1; lazy cancel may at most double that. */
    CU_ASSERT(c.max_slot <= 2 * (2 * P + 1) + 256);
    sim_sched_free(s);
    free(c.timer);
}

/* Many schedule/run cycles through an empty queue reuse the same slots. */
static void test_pool_reuse_cycles(void)
{
    tlog l;
    sim_sched *s;
    sim_event_id id;
    uint32_t max_slot = 0;
    int round, i;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    for (round = 0; round < 1000; round++) {
        for (i = 0; i < 100; i++) {
            id = sim_sched_in(s, i % 7, h_log, 0, 0, NULL, 0);
            if (id.slot > max_slot)
                max_slot = id.slot;
        }
        sim_sched_run(s, SIM_TIME_MAX, 0);
        l.n = 0;
    }
    CU_ASSERT(max_slot <= 100);
    CU_ASSERT_EQUAL(sim_sched_executed(s), 100000);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* Census (sched.h): a kind-9 handler of node `node` schedules five events:
 * for node 1 3 ms ahead, node 3 7 ms ahead, itself, node 2 1 ms ahead and
 * node 77 (no node of the census). */
static void h_census(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64)
{
    (void)ctx; (void)arg; (void)u64;
    if (kind != 9)
        return;
    sim_sched_in(s, 3 * SIM_MS, h_census, 0, 1, NULL, 0);      /* cross */
    sim_sched_in(s, 7 * SIM_MS, h_census, 0, 3, NULL, 0);      /* cross */
    sim_sched_in(s, 0, h_census, 0, node, NULL, 0);            /* self  */
    sim_sched_in(s, SIM_MS, h_census, 0, 2, NULL, 0);          /* same  */
    sim_sched_in(s, SIM_MS, h_census, 0, 77, NULL, 0);         /* no node */
}

static void test_census(void)
{
    static const uint8_t part[4] = { 0, 1, 0, 1 };
    sim_sched *s = sim_sched_new(NULL, 0);
    sim_sched_census c;
    tlog l;

    tlog_init(&l);
    sim_sched_set_observer(s, obs_log, &l);
    sim_sched_at(s, 0, h_census, 9, 0, NULL, 0);    /* not counted: unset */
    sim_sched_set_census(s, part, 4, 5 * SIM_MS);
    sim_sched_at(s, 10, h_census, 9, 2, NULL, 0);   /* outside: global_by */
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 12);
    sim_sched_census_get(s, &c);
    CU_ASSERT_EQUAL(c.scheduled, 11);
    CU_ASSERT_EQUAL(c.global_by, 1);
    CU_ASSERT_EQUAL(c.global_for, 2);
    CU_ASSERT_EQUAL(c.self, 3);         /* node 2 -> 2 twice, 0 -> 0 */
    CU_ASSERT_EQUAL(c.cross, 4);
    CU_ASSERT_EQUAL(c.cross_short, 2);
    CU_ASSERT_EQUAL(c.cross_min, 3 * SIM_MS);
    CU_ASSERT_EQUAL(c.for_part[0], 5);  /* 2 at 10 ns; 0, 2; 2, 2 */
    CU_ASSERT_EQUAL(c.for_part[1], 4);  /* 1, 3 from each of them */
    /* The census never changes the order: same log as without it. */
    CU_ASSERT_EQUAL(l.n, 12);
    sim_sched_set_census(s, NULL, 0, 0);
    sim_sched_census_get(s, &c);
    CU_ASSERT_EQUAL(c.scheduled, 0);
    CU_ASSERT_EQUAL(c.cross_min, SIM_TIME_MAX);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* The order (sched.h) between creators.  u64 < 10: the event of node u64
 * schedules u64 + 10 ten ns later and u64 + 20 at its own time; events
 * >= 10 only record. */
static void h_ord(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                  void *arg, uint64_t u64)
{
    tlog *l = ctx;

    (void)kind; (void)arg;
    tlog_add(l, sim_sched_now(s), 0, node, u64);
    if (u64 >= 10)
        return;
    sim_sched_in(s, 10, h_ord, 0, 9, NULL, u64 + 10);
    sim_sched_in(s, 0, h_ord, 0, 9, NULL, u64 + 20);
}

static void test_order_creators(void)
{
    /* Nodes 5 then 1 run at t = 10 (set-up, insertion order); node 5
     * schedules first, but node 1's children run first at t = 10 (depth
     * 1) and at t = 20, except the set-up's own event for 20 (u64 99),
     * which runs before every event a node scheduled for that time.  The
     * old (time, seq) order gave 5 1 25 21 99 15 11. */
    static const uint64_t want[] = { 5, 1, 21, 25, 99, 11, 15 };
    tlog l;
    sim_sched *s;
    size_t i;

    tlog_init(&l);
    s = sim_sched_new(&l, 0);
    sim_sched_at(s, 10, h_ord, 0, 5, NULL, 5);
    sim_sched_at(s, 10, h_ord, 0, 1, NULL, 1);
    sim_sched_at(s, 20, h_ord, 0, 7, NULL, 99);
    CU_ASSERT_EQUAL(sim_sched_run(s, SIM_TIME_MAX, 0), 7);
    CU_ASSERT_EQUAL_FATAL(l.n, 7);
    for (i = 0; i < 7; i++)
        CU_ASSERT_EQUAL(l.rec[i].u64, want[i]);
    CU_ASSERT_EQUAL(l.rec[2].t, 10);
    CU_ASSERT_EQUAL(l.rec[4].t, 20);

    /* A zero-delay chain goes one level deeper each time, and a sibling
     * already queued at the parent's depth + 1 by a lower node still runs
     * before a deeper one. */
    l.n = 0;
    sim_sched_at(s, 30, h_ord, 0, 3, NULL, 3);
    sim_sched_at(s, 30, h_ord, 0, 2, NULL, 2);
    sim_sched_run(s, 30, 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT_EQUAL(l.rec[0].u64, 3);
    CU_ASSERT_EQUAL(l.rec[1].u64, 2);
    CU_ASSERT_EQUAL(l.rec[2].u64, 22);  /* node 2's child: creator 2 < 3 */
    CU_ASSERT_EQUAL(l.rec[3].u64, 23);
    sim_sched_free(s);
    tlog_deinit(&l);
}

/* ---- One model on one scheduler and on two (sched.h, keys across
 * schedulers).  PM_NODES nodes, the first half in partition 0; node v's
 * event spawns 0..2 children from v's own random stream: at v itself
 * (0..3 ns later, so many ties), at a node of its own partition (0..10 ns)
 * or of the other (PM_LOOK + 0..10 ns: the lookahead).  Children of one
 * event get ids from the parent's id. */
enum { PM_NODES = 40, PM_LOOK = 5, PM_END = 4000 };

typedef struct pm_rec {
    sim_time t;
    uint32_t node;
    uint64_t id;
    sim_event_key key;                  /* two-scheduler runs only */
} pm_rec;

typedef struct pm_out {
    sim_event_key key;
    uint32_t node;
    uint64_t id;
} pm_out;

typedef struct pm_world {
    uint64_t rng[PM_NODES];             /* per node: splitmix64 state */
    uint32_t left[PM_NODES];            /* per node: children it may add */
    sim_sched *s[2];                    /* s[1] NULL: one scheduler */
    pm_rec *log[2];                     /* executed, per scheduler */
    size_t n_log[2], cap_log[2];
    pm_out *out[2];                     /* cross events made by p, for 1-p */
    size_t n_out[2], cap_out[2];
    int loop;                           /* one scheduler, cross events  */
                                        /*   via out[0] (loopback)       */
    int cur_part;                       /* loop: partition of the event  */
                                        /*   running now                 */
} pm_world;

static int pm_part(uint32_t v)
{
    return v >= PM_NODES / 2;
}

static void h_pm(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                 void *arg, uint64_t u64);

static void pm_push(void **a, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        *a = realloc(*a, *cap * size);
        if (!*a)
            abort();
    }
}

/* Schedules event `id` for node u at t, from scheduler p (-1: set-up). */
static void pm_sched(pm_world *W, int p, sim_time t, uint32_t u, uint64_t id)
{
    int q = W->s[1] ? pm_part(u) : 0;
    sim_sched *from = W->s[p < 0 ? 0 : p];

    if (!W->s[1] && W->loop && p >= 0 && pm_part(u) != W->cur_part) {
        pm_push((void **)&W->out[0], &W->n_out[0], &W->cap_out[0],
                sizeof(pm_out));
        sim_sched_key_for(W->s[0], t, &W->out[0][W->n_out[0]].key);
        W->out[0][W->n_out[0]].node = u;
        W->out[0][W->n_out[0]++].id = id;
    } else if (!W->s[1]) {
        sim_sched_at(W->s[0], t, h_pm, 0, u, NULL, id);
    } else if (p >= 0 && q == p) {
        sim_sched_at(W->s[p], t, h_pm, 0, u, NULL, id);
    } else {
        sim_event_key k;

        sim_sched_key_for(from, t, &k);
        if (p < 0) {                    /* set-up: straight in */
            sim_sched_at_key(W->s[q], &k, h_pm, 0, u, NULL, id);
        } else {                        /* at the next barrier */
            pm_push((void **)&W->out[p], &W->n_out[p], &W->cap_out[p],
                    sizeof(pm_out));
            W->out[p][W->n_out[p]].key = k;
            W->out[p][W->n_out[p]].node = u;
            W->out[p][W->n_out[p]++].id = id;
        }
    }
}

static void h_pm(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                 void *arg, uint64_t u64)
{
    pm_world *W = ctx;
    int p = W->s[1] && s == W->s[1];
    uint64_t *r = &W->rng[node], i, n;
    pm_rec *rec;

    (void)kind; (void)arg;
    pm_push((void **)&W->log[p], &W->n_log[p], &W->cap_log[p],
            sizeof(pm_rec));
    rec = &W->log[p][W->n_log[p]++];
    rec->t = sim_sched_now(s);
    rec->node = node;
    rec->id = u64;
    sim_sched_key_now(s, &rec->key);
    W->cur_part = pm_part(node);
    n = 1 + rnd_below(r, 2);
    for (i = 0; i < n && W->left[node] > 0; i++, W->left[node]--) {
        uint64_t c = rnd_below(r, 3);
        uint32_t u = node;
        sim_time d = (sim_time)rnd_below(r, 4);

        if (c == 1) {                   /* own partition */
            u = (uint32_t)(pm_part(node) * (PM_NODES / 2) +
                           rnd_below(r, PM_NODES / 2));
            d = (sim_time)rnd_below(r, 11);
        } else if (c == 2) {            /* the other one */
            u = (uint32_t)((1 - pm_part(node)) * (PM_NODES / 2) +
                           rnd_below(r, PM_NODES / 2));
            d = PM_LOOK + (sim_time)rnd_below(r, 11);
        }
        if (sim_sched_now(s) + d < PM_END)
            pm_sched(W, W->s[1] ? p : 0, sim_sched_now(s) + d, u,
                     u64 * 0x9e3779b97f4a7c15ULL + i + 1);
    }
}

static void pm_init(pm_world *W, int two, uint32_t left)
{
    uint32_t v;

    memset(W, 0, sizeof *W);
    for (v = 0; v < PM_NODES; v++) {
        W->rng[v] = 1000 + v;
        W->left[v] = left;
    }
    W->s[0] = sim_sched_new(W, 0);
    W->s[1] = two ? sim_sched_new(W, 0) : NULL;
    for (v = 0; v < PM_NODES; v++)      /* set-up: ties at 0, 1, 2 */
        pm_sched(W, -1, v % 3, v, v + 1);
}

static void pm_deinit(pm_world *W)
{
    int p;

    for (p = 0; p < 2; p++) {
        sim_sched_free(W->s[p]);
        free(W->log[p]);
        free(W->out[p]);
    }
}

/* The two-scheduler run `two` against the one-scheduler run `one`. */
static void pm_check(pm_world *one, pm_world *two, size_t cross)
{
    size_t i, a = 0, b = 0, ties = 0, bad = 0;
    int p;

    CU_ASSERT(one->n_log[0] > 10000);
    CU_ASSERT(cross > 1000);
    CU_ASSERT_EQUAL_FATAL(two->n_log[0] + two->n_log[1], one->n_log[0]);
    for (p = 0; p < 2; p++)             /* each partition in key order */
        for (i = 1; i < two->n_log[p]; i++)
            bad += sim_event_key_cmp(&two->log[p][i - 1].key,
                                     &two->log[p][i].key) >= 0;
    CU_ASSERT_EQUAL(bad, 0);
    /* The merge by key is the one scheduler's sequence. */
    for (i = 0; i < one->n_log[0]; i++) {
        const pm_rec *x, *y = &one->log[0][i];

        if (b == two->n_log[1] ||
            (a < two->n_log[0] && sim_event_key_cmp(&two->log[0][a].key,
                                                    &two->log[1][b].key) < 0))
            x = &two->log[0][a++];
        else
            x = &two->log[1][b++];
        /* seq values are each counter's own: only their order within
         * one creator counts, and the merge compared those already. */
        bad += x->t != y->t || x->node != y->node || x->id != y->id ||
               x->key.depth != y->key.depth ||
               x->key.creator != y->key.creator;
        if (i && y->t == one->log[0][i - 1].t &&
            y->key.creator != one->log[0][i - 1].key.creator)
            ties++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(ties > 1000);             /* the order had work to do */
}

/* Records (key, node) of every event run, for test_sched_move. */
typedef struct move_log {
    sim_event_key k[64];
    uint32_t node[64];
    int n;
} move_log;

static void move_ev(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    move_log *l = ctx;

    (void)kind;
    (void)arg;
    (void)u64;
    CU_ASSERT_FATAL(l->n < 64);
    sim_sched_key_now(s, &l->k[l->n]);
    l->node[l->n++] = node;
}

/* sim_sched_move: the pending events of part 1's nodes go to the other
 * scheduler with their keys, cancelled ones and nodes >= n (no part)
 * stay; the two logs merged by key give the one scheduler's order; a
 * moved event's id no longer cancels; nothing to move moves nothing. */
static void test_sched_move(void)
{
    static const uint8_t part[6] = { 0, 1, 0, 1, 1, 0 };
    move_log one = {0}, a = {0}, b = {0};
    sim_sched *s1 = sim_sched_new(&one, 0);
    sim_sched *s0 = sim_sched_new(&a, 0);
    sim_sched *t = sim_sched_new(&b, 0);
    sim_event_id id[2][24];
    int i = 0, j = 0, m = 0;

    for (int r = 0; r < 2; r++) {
        sim_sched *s = r ? s0 : s1;

        for (uint32_t e = 0; e < 24; e++)     /* ties at t = 0, 5, 10 */
            id[r][e] = sim_sched_at(s, (sim_time)(5 * (e % 3)), move_ev,
                                    0, e % 7 == 6 ? UINT32_MAX : e % 6,
                                    NULL, 0);
        sim_sched_cancel(s, id[r][2]);        /* node 2: part 0 */
        sim_sched_cancel(s, id[r][3]);        /* node 3: part 1 */
    }
    CU_ASSERT_EQUAL(sim_sched_move(s0, t, part, 6, 1), 10);
    CU_ASSERT_EQUAL(sim_sched_move(s0, t, part, 6, 1), 0);
    CU_ASSERT_EQUAL(sim_sched_pending(s0), 12);
    CU_ASSERT_EQUAL(sim_sched_pending(t), 10);
    CU_ASSERT_EQUAL(sim_sched_cancel(s0, id[1][1]), -1);  /* moved */
    CU_ASSERT_EQUAL(sim_sched_cancel(s1, id[0][1]), 0);   /* same in one */
    CU_ASSERT_EQUAL(sim_sched_run(s1, SIM_TIME_MAX, 0), 21);
    sim_sched_run(s0, SIM_TIME_MAX, 0);
    sim_sched_run(t, SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL(a.n, 12);
    CU_ASSERT_EQUAL(b.n, 10);                 /* node 1 survived in t */
    for (int k = 0; k < b.n; k++)
        CU_ASSERT(b.node[k] < 6 && part[b.node[k]] == 1);
    /* one.n = 21 (id[0][1] cancelled there) vs 22 split: drop the
     * moved twin of id[0][1] from b when merging. */
    while (i < a.n || j < b.n) {
        int fa = j == b.n ||
                 (i < a.n && sim_event_key_cmp(&a.k[i], &b.k[j]) < 0);
        uint32_t node = fa ? a.node[i] : b.node[j];
        sim_event_key *k = fa ? &a.k[i++] : &b.k[j++];

        if (!fa && k->seq == 2)               /* id[1][1]: seq 2 */
            continue;
        CU_ASSERT_FATAL(m < one.n);
        CU_ASSERT_EQUAL(sim_event_key_cmp(k, &one.k[m]), 0);
        CU_ASSERT_EQUAL(node, one.node[m]);
        m++;
    }
    CU_ASSERT_EQUAL(m, one.n);
    sim_sched_free(s1);
    sim_sched_free(s0);
    sim_sched_free(t);
}

/* Inserts the events partition 1 - p made for p in the last window. */
static size_t pm_take(pm_world *W, int p)
{
    size_t i, n = W->n_out[1 - p];

    for (i = 0; i < n; i++)
        sim_sched_at_key(W->s[p], &W->out[1 - p][i].key, h_pm, 0,
                         W->out[1 - p][i].node, NULL, W->out[1 - p][i].id);
    W->n_out[1 - p] = 0;
    return n;
}

static void test_two_partitions(void)
{
    pm_world one, two;
    sim_time T;
    size_t cross = 0;
    int p;

    pm_init(&one, 0, 500);
    sim_sched_run(one.s[0], PM_END, 0);
    pm_init(&two, 1, 500);
    /* Conservative windows of one lookahead: an event made for the other
     * partition in [T, T + look) is due at T + look or later. */
    for (T = 0; T < PM_END; T += PM_LOOK) {
        for (p = 0; p < 2; p++)
            sim_sched_run(two.s[p], T + PM_LOOK - 1, 0);
        for (p = 0; p < 2; p++)
            cross += pm_take(&two, p);
    }
    pm_check(&one, &two, cross);
    pm_deinit(&one);
    pm_deinit(&two);
}

/* The loopback's outbox as the scheduler's held keys. */
static sim_event_key *pm_held(void *ctx, size_t i)
{
    pm_world *W = ctx;

    return i < W->n_out[0] ? &W->out[0][i].key : NULL;
}

/* Loopback (as the world's outbox, THREADS.md step 4.2): one scheduler;
 * an event for the other half waits in an outbox, with the key drawn when
 * it was made, until the window ends.  200,000 events: in the renumbering
 * build (SIM_SCHED_SEQ_LIMIT=110000, tests/local.mk) the scheduler
 * renumbers while keys wait; listed with sim_sched_set_held they keep
 * their place (without it this test fails there: checked).  The run must
 * be the one without an outbox, event for event. */
static void test_held_keys_renumbered(void)
{
    pm_world one, lb;
    sim_time T;
    size_t i, bad = 0, cross = 0;

    pm_init(&one, 0, 5000);
    sim_sched_run(one.s[0], PM_END, 0);
    pm_init(&lb, 0, 5000);
    lb.loop = 1;
    sim_sched_set_held(lb.s[0], pm_held, &lb);
    for (T = 0; T < PM_END; T += PM_LOOK) {
        sim_sched_run(lb.s[0], T + PM_LOOK - 1, 0);
        for (i = 0; i < lb.n_out[0]; i++)
            sim_sched_at_key(lb.s[0], &lb.out[0][i].key, h_pm, 0,
                             lb.out[0][i].node, NULL, lb.out[0][i].id);
        cross += lb.n_out[0];
        lb.n_out[0] = 0;
    }
    CU_ASSERT(one.n_log[0] > 150000);
    CU_ASSERT(cross > 30000);
    CU_ASSERT_EQUAL_FATAL(lb.n_log[0], one.n_log[0]);
    for (i = 0; i < one.n_log[0]; i++)
        bad += lb.log[0][i].t != one.log[0][i].t ||
               lb.log[0][i].node != one.log[0][i].node ||
               lb.log[0][i].id != one.log[0][i].id;
    CU_ASSERT_EQUAL(bad, 0);
    pm_deinit(&one);
    pm_deinit(&lb);
}

/* Events of the merged two-scheduler run `two` that differ from the
 * one-scheduler run `one` (time, node, id), position by position; the
 * length difference counts too.  No assertion: test_renumber_all_pm
 * expects a difference from the uncoordinated run. */
static size_t pm_mismatch(const pm_world *one, const pm_world *two)
{
    size_t i, a = 0, b = 0, bad = 0, n = two->n_log[0] + two->n_log[1];

    for (i = 0; i < one->n_log[0] && i < n; i++) {
        const pm_rec *x, *y = &one->log[0][i];

        if (b == two->n_log[1] ||
            (a < two->n_log[0] && sim_event_key_cmp(&two->log[0][a].key,
                                                    &two->log[1][b].key) < 0))
            x = &two->log[0][a++];
        else
            x = &two->log[1][b++];
        bad += x->t != y->t || x->node != y->node || x->id != y->id;
    }
    return bad + (n > one->n_log[0] ? n - one->n_log[0]
                                    : one->n_log[0] - n);
}

enum { PM_RN_LEFT = 7000 };    /* children per node: ~280,000 events */

/* The model of test_two_partitions with ~280,000 events on two
 * schedulers; coord: both coordinated (sim_sched_set_coordinated), and
 * after each window's barrier sim_sched_renumber_all when one is due;
 * else each renumbers alone.  Returns the renumberings of scheduler 0. */
static uint64_t pm_run_two(pm_world *two, int coord, size_t *cross)
{
    sim_time T;
    int p;

    pm_init(two, 1, PM_RN_LEFT);
    for (p = 0; p < 2; p++)
        sim_sched_set_coordinated(two->s[p], coord);
    *cross = 0;
    for (T = 0; T < PM_END; T += PM_LOOK) {
        for (p = 0; p < 2; p++)
            sim_sched_run(two->s[p], T + PM_LOOK - 1, 0);
        for (p = 0; p < 2; p++)
            *cross += pm_take(two, p);
        if (coord && (sim_sched_renumber_due(two->s[0]) ||
                      sim_sched_renumber_due(two->s[1])))
            sim_sched_renumber_all(two->s, 2);
    }
    return sim_sched_renumbers(two->s[0]);
}

/* Coordinated renumbering (THREADS.md 4.5) on the two-partition model:
 * the keys each scheduler drew wait in the other's queue.  Renumbered
 * together at barriers, the run is the one scheduler's event for event;
 * in the renumbering build (SIM_SCHED_SEQ_LIMIT=110000) this happens
 * several times, and the same run with each scheduler renumbering alone
 * differs from it (a foreign creator's keys renumbered into the wrong
 * numbering).  In the normal build nothing is renumbered and both agree. */
static void test_renumber_all_pm(void)
{
    pm_world one, two, alone;
    size_t cross, cross_alone;
    uint64_t rn;

    pm_init(&one, 0, PM_RN_LEFT);
    sim_sched_run(one.s[0], PM_END, 0);
    CU_ASSERT(one.n_log[0] > 250000);
    rn = pm_run_two(&two, 1, &cross);
    pm_check(&one, &two, cross);
    CU_ASSERT_EQUAL(pm_mismatch(&one, &two), 0);
    CU_ASSERT_EQUAL(sim_sched_renumbers(two.s[1]), rn);  /* together */
    (void)pm_run_two(&alone, 0, &cross_alone);
#ifdef SIM_SCHED_SEQ_LIMIT
    CU_ASSERT(rn >= 3);
    CU_ASSERT(sim_sched_renumbers(one.s[0]) >= 1);
    CU_ASSERT(sim_sched_renumbers(alone.s[0]) >= 1);
    CU_ASSERT(pm_mismatch(&one, &alone) > 0);
#else
    CU_ASSERT_EQUAL(rn, 0);
    CU_ASSERT_EQUAL(pm_mismatch(&one, &alone), 0);
#endif
    pm_deinit(&one);
    pm_deinit(&two);
    pm_deinit(&alone);
}

/* Records the u64 of every event run (test_renumber_all_api). */
static void rn_ev(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                  void *arg, uint64_t u64)
{
    tlog *l = ctx;

    (void)kind; (void)arg;
    tlog_add(l, sim_sched_now(s), kind, node, u64);
}

/* Two held keys for scheduler 0 (test_renumber_all_api). */
static sim_event_key rn_held_k[2];
static sim_event_key *rn_held(void *ctx, size_t i)
{
    (void)ctx;
    return i < 2 ? &rn_held_k[i] : NULL;
}

/* sim_sched_renumber_all on three schedulers by hand: keys of a and b in
 * each other's queue and in c's, a cancelled one, two held keys of a.
 * Afterwards the queued keys and the held ones are numbered 1..N in one
 * merged order (cancelled dropped), every counter is N + 1, and each
 * scheduler still runs its events in the order from before. */
static void test_renumber_all_api(void)
{
    tlog la, lb, lc;
    sim_sched *s[3];
    sim_event_key k[8], pk;
    sim_event_id dead;
    int i;

    tlog_init(&la);
    tlog_init(&lb);
    tlog_init(&lc);
    s[0] = sim_sched_new(&la, 0);
    s[1] = sim_sched_new(&lb, 0);
    s[2] = sim_sched_new(&lc, 0);
    /* a draws seqs 1..4 for t = 10, 12, 14, 15; b 1..3 for 11, 13, 16:
     * the two numberings interleave in key order. */
    static const sim_time ta[4] = {10, 12, 14, 15}, tb[3] = {11, 13, 16};
    for (i = 0; i < 4; i++)
        sim_sched_key_for(s[0], ta[i], &k[i]);
    for (i = 0; i < 3; i++)
        sim_sched_key_for(s[1], tb[i], &k[4 + i]);
    /* a's keys 0, 2 into b; b's 4 into a, 5 into c; 1, 3 held by a; 6 in
     * b, cancelled. */
    sim_sched_at_key(s[1], &k[0], rn_ev, 0, 0, NULL, 100);
    sim_sched_at_key(s[1], &k[2], rn_ev, 0, 0, NULL, 102);
    sim_sched_at_key(s[0], &k[4], rn_ev, 0, 0, NULL, 104);
    sim_sched_at_key(s[2], &k[5], rn_ev, 0, 0, NULL, 105);
    dead = sim_sched_at_key(s[1], &k[6], rn_ev, 0, 0, NULL, 106);
    CU_ASSERT_EQUAL(sim_sched_cancel(s[1], dead), 0);
    sim_sched_at(s[0], 20, rn_ev, 0, 0, NULL, 200);
    rn_held_k[0] = k[1];
    rn_held_k[1] = k[3];
    sim_sched_set_held(s[0], rn_held, NULL);
    /* Merged order: k0 (1), k4 (2), k1 (3, held), k5 (4), k2 (5), k3 (6,
     * held), k6 dropped, a's t = 20 (7). */
    sim_sched_renumber_all(s, 3);
    CU_ASSERT_EQUAL(sim_sched_renumbers(s[2]), 1);
    CU_ASSERT_EQUAL(rn_held_k[0].seq, 3);
    CU_ASSERT_EQUAL(rn_held_k[1].seq, 6);
    CU_ASSERT_EQUAL_FATAL(sim_sched_peek(s[0], &pk), 0);
    CU_ASSERT_EQUAL(pk.seq, 2);                      /* k4 */
    CU_ASSERT_EQUAL_FATAL(sim_sched_peek(s[1], &pk), 0);
    CU_ASSERT_EQUAL(pk.seq, 1);                      /* k0 */
    CU_ASSERT_EQUAL_FATAL(sim_sched_peek(s[2], &pk), 0);
    CU_ASSERT_EQUAL(pk.seq, 4);                      /* k5 */
    for (i = 0; i < 3; i++) {                        /* counters N + 1 */
        sim_sched_key_for(s[i], 30, &pk);
        CU_ASSERT_EQUAL(pk.seq, 8);
    }
    sim_sched_set_held(s[0], NULL, NULL);
    for (i = 0; i < 3; i++)
        sim_sched_run(s[i], SIM_TIME_MAX, 0);
    CU_ASSERT_EQUAL_FATAL(la.n, 2);
    CU_ASSERT_EQUAL(la.rec[0].u64, 104);
    CU_ASSERT_EQUAL(la.rec[1].u64, 200);
    CU_ASSERT_EQUAL_FATAL(lb.n, 2);
    CU_ASSERT_EQUAL(lb.rec[0].u64, 100);
    CU_ASSERT_EQUAL(lb.rec[1].u64, 102);
    CU_ASSERT_EQUAL_FATAL(lc.n, 1);
    for (i = 0; i < 3; i++)
        sim_sched_free(s[i]);
    tlog_deinit(&la);
    tlog_deinit(&lb);
    tlog_deinit(&lc);
}

/* A coordinated scheduler never renumbers alone: reaching the limit
 * aborts (renumbering build only: 110,000 schedules; in a child). */
static void test_coordinated_limit_aborts(void)
{
#ifdef SIM_SCHED_SEQ_LIMIT
    int st = 0;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        tlog l;
        sim_sched *s;

        tlog_init(&l);
        s = sim_sched_new(&l, 0);
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        sim_sched_set_coordinated(s, 1);
        for (uint64_t i = 0; i < SIM_SCHED_SEQ_LIMIT + 10; i++) {
            sim_sched_at(s, 1, rn_ev, 0, 0, NULL, i);
            if (i % 1000 == 0)
                sim_sched_run(s, SIM_TIME_MAX, 0);
        }
        _exit(0);
    }
    CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
#endif
}

/* The same on two threads, one scheduler each, a barrier per window:
 * after the first wait both outboxes are complete, after the second both
 * were taken (and emptied by their taker), so the next window may fill
 * them again.  Nothing else is shared.  (A TSan build of this program
 * checks that: THREADS.md.) */
typedef struct pm_thr {
    pm_world *W;
    int p;
    pthread_barrier_t *bar;
    size_t cross;                       /* events taken from the other */
} pm_thr;

static void *pm_thread(void *arg)
{
    pm_thr *a = arg;
    sim_time T;

    for (T = 0; T < PM_END; T += PM_LOOK) {
        sim_sched_run(a->W->s[a->p], T + PM_LOOK - 1, 0);
        pthread_barrier_wait(a->bar);
        a->cross += pm_take(a->W, a->p);
        pthread_barrier_wait(a->bar);
    }
    return NULL;
}

static void test_two_threads(void)
{
    pm_world one, two;
    pthread_barrier_t bar;
    pthread_t th[2];
    pm_thr arg[2];
    int p;

    pm_init(&one, 0, 500);
    sim_sched_run(one.s[0], PM_END, 0);
    pm_init(&two, 1, 500);
    CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&bar, NULL, 2), 0);
    for (p = 0; p < 2; p++) {
        arg[p].W = &two;
        arg[p].p = p;
        arg[p].bar = &bar;
        arg[p].cross = 0;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[p], NULL, pm_thread,
                                             &arg[p]), 0);
    }
    for (p = 0; p < 2; p++)
        pthread_join(th[p], NULL);
    pthread_barrier_destroy(&bar);
    pm_check(&one, &two, arg[0].cross + arg[1].cross);
    pm_deinit(&one);
    pm_deinit(&two);
}

static int register_tests(void)
{
    CU_pSuite su = CU_add_suite("sched", NULL, NULL);

    if (!su)
        return -1;
    CUTEST_ADD(su, test_new_free);
    CUTEST_ADD(su, test_order_by_time);
    CUTEST_ADD(su, test_ties_insertion_order);
    CUTEST_ADD(su, test_order_creators);
    CUTEST_ADD(su, test_two_partitions);
    CUTEST_ADD(su, test_sched_move);
    CUTEST_ADD(su, test_held_keys_renumbered);
    CUTEST_ADD(su, test_renumber_all_api);
    CUTEST_ADD(su, test_renumber_all_pm);
    CUTEST_ADD(su, test_coordinated_limit_aborts);
    CUTEST_ADD(su, test_two_threads);
    CUTEST_ADD(su, test_schedule_at_now_from_handler);
    CUTEST_ADD(su, test_handler_arguments);
    CUTEST_ADD(su, test_cancel);
    CUTEST_ADD(su, test_cancel_from_handler);
    CUTEST_ADD(su, test_cancel_beyond_last);
    CUTEST_ADD(su, test_cancel_many);
    CUTEST_ADD(su, test_run_until);
    CUTEST_ADD(su, test_max_events);
    CUTEST_ADD(su, test_stop_from_handler);
    CUTEST_ADD(su, test_observer);
    CUTEST_ADD(su, test_lookahead);
    CUTEST_ADD(su, test_two_engines);
    CUTEST_ADD(su, test_random_100k);
    CUTEST_ADD(su, test_random_ties);
    CUTEST_ADD(su, test_random_wide);
    CUTEST_ADD(su, test_pool_bounded);
    CUTEST_ADD(su, test_pool_reuse_cycles);
    CUTEST_ADD(su, test_census);
    return 0;
}

CUTEST_MAIN(register_tests)
