/* test_sched_part.c — the scheduler's tests of one model on one scheduler
 * and on two (sched.h, keys across schedulers; THREADS.md): the model of
 * two partitions run in turn and on two threads against one scheduler,
 * sim_sched_move, held keys renumbered through a loopback, and coordinated
 * renumbering (sim_sched_renumber_all, and the abort of a coordinated
 * scheduler that reaches the limit alone).  Part of the one program
 * test_sched (and test_sched_renumber); main and registration are in
 * test_sched.c, the shared helpers in sched_t.h. */
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
#include "sched_t.h"

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
    if (W->loop)                        /* one scheduler only: two  */
        W->cur_part = pm_part(node);    /*   threads must not share */
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
void test_sched_move(void)
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

void test_two_partitions(void)
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
void test_held_keys_renumbered(void)
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
void test_renumber_all_pm(void)
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
void test_renumber_all_api(void)
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
void test_coordinated_limit_aborts(void)
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

void test_two_threads(void)
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
