/* test_sched.c — unit tests for the event engine (sim/engine/sched.c): ordering,
 * ties, cancellation, run limits, stop, observer, two engines at once, and a
 * randomised run checked against a sorted reference, and one model on two
 * schedulers (in turn, and on two threads) against one scheduler (in
 * test_sched_part.c; helpers shared by both in sched_t.h).  Every
 * test keeps its state in a local struct handed to the engine as ctx: no
 * globals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "sched.h"
#include "util.h"
#include "sched_t.h"

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
