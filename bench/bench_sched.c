/* bench_sched.c — HOLD-model benchmark of the event queue (`make bench`).
 * N events pending; each step pops the earliest and schedules one new event
 * at now + Exp(mean).  Measures the real sim_sched API and, for comparison,
 * self-contained queue variants that sched.c does not ship.  Prints the
 * median of 3 repetitions (1 with BENCH_QUICK set) in million events per
 * second, and for the 1 s mean workload sched-api against the published
 * ns-3 figures.
 *     bench_sched [VARIANT]   the table (only variants whose name has VARIANT)
 *     bench_sched --hold N    one number: sim_sched's HOLD rate (M events/s)
 *                             at N pending, 1 s mean, median of 3 (1 with
 *                             BENCH_QUICK) — the engine part of a scale
 *                             run's floor (bench/scale.sh) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "sched.h"
#include "util.h"

#define BENCH_REPS  3
#define BENCH_SEED  20240611UL
#define BENCH_LINE  64
#define BENCH_AIM   2.0                 /* times ns-3's best, the aim */
/* The d-ary code is generic in d; forcing inlining specialises it per
 * arity (a run-time divide by d would dominate the sift). */
#define BENCH_INLINE static inline __attribute__((always_inline))

/* One workload: N initial times and `ops` delays, all drawn up front from
 * a fixed-seed taus2 stream (so the clock only sees the queue), rounded to
 * whole nanoseconds.  Every variant processes the identical event sequence;
 * the final clock must agree, which checks the variants against each other. */
typedef struct bench_work {
    const sim_time *init;               /* initial absolute times */
    size_t n;                           /* pending events (N) */
    const sim_time *delay;              /* delay drawn for step i */
    size_t ops;                         /* HOLD steps timed */
} bench_work;

typedef struct bench_result {
    double secs;                        /* time for the `ops` steps */
    sim_time last;                      /* clock after the last step */
} bench_result;

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ===================================================================
 * The shipped engine, through its public API
 * =================================================================== */

typedef struct api_ctx {
    const sim_time *delay;              /* the workload's delays */
    size_t next;                        /* next delay to use */
} api_ctx;

static void api_handler(sim_sched *s, void *ctx, uint32_t kind,
                        uint32_t node, void *arg, uint64_t u64)
{
    api_ctx *c = ctx;

    sim_sched_in(s, c->delay[c->next++], api_handler, kind, node, arg, u64);
}

static bench_result bench_api(const bench_work *w)
{
    api_ctx c = { w->delay, 0 };
    sim_sched *s = sim_sched_new(&c, w->n);
    bench_result r;
    double t0;
    size_t i;

    for (i = 0; i < w->n; i++)
        sim_sched_at(s, w->init[i], api_handler, 0, (uint32_t)i, NULL, i);
    t0 = bench_now();
    sim_sched_run(s, SIM_TIME_MAX, w->ops);
    r.secs = bench_now() - t0;
    r.last = sim_sched_now(s);
    sim_sched_free(s);
    return r;
}

/* ===================================================================
 * Keys and helpers shared by the array heaps
 * =================================================================== */

/* Same layout as sched.c: time, then seq << 32 | slot. */
typedef struct bkey {
    uint64_t t;                         /* event time */
    uint64_t sk;                        /* seq << 32 | slot */
} bkey;

__extension__ typedef unsigned __int128 bench_u128;

BENCH_INLINE int bkey_lt(bkey a, bkey b)
{
    return (((bench_u128)a.t << 64) | a.sk) < (((bench_u128)b.t << 64) | b.sk);
}

/* Room for `cap` keys such that &h[first] is cache-line aligned: with
 * first = 1 the four children 4i+1..4i+4 of a 4-ary node share a line. */
typedef struct bheap {
    bkey *h;                            /* aligned view */
    void *mem;                          /* allocation */
    size_t n;                           /* entries */
} bheap;

static void bheap_init(bheap *b, size_t cap, size_t first)
{
    uintptr_t a;

    b->mem = xreallocarray(NULL, cap + 2 * BENCH_LINE / sizeof(bkey),
                           sizeof(bkey));
    a = ((uintptr_t)b->mem + first * sizeof(bkey) + BENCH_LINE - 1) &
        ~(uintptr_t)(BENCH_LINE - 1);
    b->h = (bkey *)a - first;
    b->n = 0;
}

/* ===================================================================
 * d-ary heaps: push = sift up; pop = move last to root, sift down.  The
 * "hole" variant replaces the root directly (pop + push in one sift),
 * which an engine can do by deferring the root's refill to the next push.
 * (Also measured and dropped: bottom-up "Wegener" sift-down, no better
 * than 4ary-hole; 8-ary, slower than 4-ary.)
 * =================================================================== */

BENCH_INLINE size_t dary_min_child(const bkey *h, size_t c, size_t n,
                                    size_t d)
{
    size_t m = c, j, e = c + d < n ? c + d : n;

    if (d == 2)
        return c + 1 < n && bkey_lt(h[c + 1], h[c]) ? c + 1 : c;
    if (d == 4 && c + 3 < n) {
        size_t m2;

        m = bkey_lt(h[c + 1], h[c]) ? c + 1 : c;
        m2 = bkey_lt(h[c + 3], h[c + 2]) ? c + 3 : c + 2;
        return bkey_lt(h[m2], h[m]) ? m2 : m;
    }
    for (j = c + 1; j < e; j++)
        if (bkey_lt(h[j], h[m]))
            m = j;
    return m;
}

BENCH_INLINE void dary_sift_down(bkey *h, size_t n, size_t i, bkey e,
                                  size_t d)
{
    size_t c, m;

    while ((c = d * i + 1) < n) {
        m = dary_min_child(h, c, n, d);
        if (!bkey_lt(h[m], e))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
}

BENCH_INLINE void dary_sift_up(bkey *h, size_t i, bkey e, size_t d)
{
    size_t p;

    while (i > 0) {
        p = (i - 1) / d;
        if (!bkey_lt(e, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

enum { HOLD_POPPUSH, HOLD_REPLACE };

/* HOLD loop over a d-ary heap; `mode` picks how a step updates it. */
BENCH_INLINE bench_result dary_hold(const bench_work *w, size_t d, int mode)
{
    bheap b;
    bench_result r;
    uint64_t seq = 0;
    double t0;
    size_t i;
    bkey top = { 0, 0 }, e;

    bheap_init(&b, w->n + 1, 1);
    for (i = 0; i < w->n; i++) {
        e.t = (uint64_t)w->init[i];
        e.sk = (seq++ << 32) | i;
        dary_sift_up(b.h, b.n++, e, d);
    }
    t0 = bench_now();
    for (i = 0; i < w->ops; i++) {
        top = b.h[0];
        e.t = top.t + (uint64_t)w->delay[i];
        e.sk = (seq++ << 32) | (uint32_t)top.sk;
        if (mode == HOLD_REPLACE) {
            dary_sift_down(b.h, b.n, 0, e, d);
        } else {
            b.n--;
            dary_sift_down(b.h, b.n, 0, b.h[b.n], d);
            dary_sift_up(b.h, b.n++, e, d);
        }
    }
    r.secs = bench_now() - t0;
    r.last = (sim_time)top.t;
    free(b.mem);
    return r;
}

static bench_result bench_bin(const bench_work *w)
{
    return dary_hold(w, 2, HOLD_POPPUSH);
}

static bench_result bench_4ary(const bench_work *w)
{
    return dary_hold(w, 4, HOLD_POPPUSH);
}

static bench_result bench_4ary_hole(const bench_work *w)
{
    return dary_hold(w, 4, HOLD_REPLACE);
}

/* ===================================================================
 * Binary heap of pointers into an event pool (the textbook layout, where
 * every comparison dereferences two events)
 * =================================================================== */

typedef struct pev {
    uint64_t t;                         /* event time */
    uint64_t seq;                       /* insertion order */
    void *fn, *arg;                     /* stand-ins for the record's */
    uint64_t u64;                       /* payload, as in sched.c */
} pev;

static inline int pev_lt(const pev *a, const pev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static bench_result bench_bin_ptr(const bench_work *w)
{
    pev *pool = xreallocarray(NULL, w->n, sizeof(*pool));
    pev **h = xreallocarray(NULL, w->n, sizeof(*h));
    bench_result r;
    uint64_t seq = 0;
    size_t i, j, c, n = 0;
    double t0;
    pev *top, *e;

    for (i = 0; i < w->n; i++) {
        e = &pool[i];
        e->t = (uint64_t)w->init[i];
        e->seq = seq++;
        for (j = n++; j > 0 && pev_lt(e, h[(j - 1) / 2]); j = (j - 1) / 2)
            h[j] = h[(j - 1) / 2];
        h[j] = e;
    }
    r.last = 0;
    t0 = bench_now();
    for (i = 0; i < w->ops; i++) {
        top = h[0];
        r.last = (sim_time)top->t;
        e = h[--n];                     /* pop */
        for (j = 0; (c = 2 * j + 1) < n; j = c) {
            if (c + 1 < n && pev_lt(h[c + 1], h[c]))
                c++;
            if (!pev_lt(h[c], e))
                break;
            h[j] = h[c];
        }
        h[j] = e;
        top->t += (uint64_t)w->delay[i];        /* reuse the record */
        top->seq = seq++;
        for (j = n++; j > 0 && pev_lt(top, h[(j - 1) / 2]); j = (j - 1) / 2)
            h[j] = h[(j - 1) / 2];
        h[j] = top;
    }
    r.secs = bench_now() - t0;
    free(h);
    free(pool);
    return r;
}

/* ===================================================================
 * Pairing heap (two-pass), nodes in an array linked by index
 * =================================================================== */

#define PH_NIL UINT32_MAX

typedef struct phnode {
    bkey k;                             /* key, as above */
    uint32_t child;                     /* first child */
    uint32_t sib;                       /* next sibling */
} phnode;

static inline uint32_t ph_meld(phnode *p, uint32_t a, uint32_t b)
{
    uint32_t t;

    if (a == PH_NIL)
        return b;
    if (b == PH_NIL)
        return a;
    if (bkey_lt(p[b].k, p[a].k)) {
        t = a;
        a = b;
        b = t;
    }
    p[b].sib = p[a].child;
    p[a].child = b;
    return a;
}

/* Two-pass merge of a sibling list; the first pass links pairs left to
 * right onto a stack threaded through sib, the second melds right to left. */
static inline uint32_t ph_merge_pairs(phnode *p, uint32_t first)
{
    uint32_t stack = PH_NIL, a, b, next, r;

    while (first != PH_NIL) {
        a = first;
        b = p[a].sib;
        if (b == PH_NIL) {
            next = PH_NIL;
        } else {
            next = p[b].sib;
            p[b].sib = PH_NIL;
        }
        p[a].sib = PH_NIL;
        a = ph_meld(p, a, b);
        p[a].sib = stack;
        stack = a;
        first = next;
    }
    r = PH_NIL;
    while (stack != PH_NIL) {
        next = p[stack].sib;
        p[stack].sib = PH_NIL;
        r = ph_meld(p, r, stack);
        stack = next;
    }
    return r;
}

static bench_result bench_pairing(const bench_work *w)
{
    phnode *p = xreallocarray(NULL, w->n, sizeof(*p));
    bench_result r;
    uint64_t seq = 0;
    uint32_t root = PH_NIL, top;
    double t0;
    size_t i;

    for (i = 0; i < w->n; i++) {
        p[i].k.t = (uint64_t)w->init[i];
        p[i].k.sk = (seq++ << 32) | i;
        p[i].child = p[i].sib = PH_NIL;
        root = ph_meld(p, root, (uint32_t)i);
    }
    r.last = 0;
    t0 = bench_now();
    for (i = 0; i < w->ops; i++) {
        top = root;
        root = ph_merge_pairs(p, p[top].child);
        r.last = (sim_time)p[top].k.t;
        p[top].k.t += (uint64_t)w->delay[i];
        p[top].k.sk = (seq++ << 32) | top;
        p[top].child = p[top].sib = PH_NIL;
        root = ph_meld(p, root, top);
    }
    r.secs = bench_now() - t0;
    free(p);
    return r;
}

/* ===================================================================
 * Monotone radix heaps with blocked buckets.  "radix16" is the queue
 * sched.c ships (16-way digits), reproduced bare — no pool, no handler
 * call, no prefetch — to show what the API costs on top; "radix2" is the
 * classic binary radix heap (one bucket per bit), which moves each key
 * about twice as often.
 * =================================================================== */

#define RX_BLOCK   64
#define RX_MAXB    (96 * 2)             /* buckets for 1-bit digits */
#define RX_NIL     UINT32_MAX

typedef struct rx_bucket {
    uint32_t head;                      /* newest block, RX_NIL = empty */
    uint32_t fill;                      /* keys in head; RX_BLOCK if empty */
    bkey min;                           /* smallest key in the bucket */
} rx_bucket;

typedef struct rx_heap {
    rx_bucket b[24 * 16 > RX_MAXB ? 24 * 16 : RX_MAXB]; /* (level, digit) */
    uint64_t mask[6];                   /* non-empty buckets */
    bkey last;                          /* last key removed */
    bkey (*blk)[RX_BLOCK];              /* block store */
    uint32_t *next;                     /* block chain / free list */
    uint32_t used, cap, free;           /* block store bookkeeping */
} rx_heap;

/* (level, digit) of k against last, digits of `bits` bits: see sched.c. */
BENCH_INLINE unsigned rx_bucket_of(bkey k, bkey last, unsigned bits)
{
    uint64_t x = k.t ^ last.t;
    unsigned lv, nd = 1u << bits;
    uint32_t q;

    if (x) {
        lv = (63 - (unsigned)__builtin_clzll(x)) / bits;
        return (32 / bits + lv) * nd + (unsigned)(k.t >> (lv * bits)) % nd;
    }
    q = (uint32_t)(k.sk >> 32);
    lv = (31 - (unsigned)__builtin_clz(q ^ (uint32_t)(last.sk >> 32))) /
         bits;
    return lv * nd + (q >> (lv * bits)) % nd;
}

static void rx_clear(rx_heap *h, unsigned b)
{
    h->b[b].head = RX_NIL;
    h->b[b].fill = RX_BLOCK;
    h->b[b].min.t = h->b[b].min.sk = UINT64_MAX;
    h->mask[b >> 6] &= ~((uint64_t)1 << (b & 63));
}

BENCH_INLINE void rx_append(rx_heap *h, unsigned b, bkey k)
{
    rx_bucket *q = &h->b[b];

    if (q->fill == RX_BLOCK) {
        uint32_t nb = h->free;

        if (nb != RX_NIL) {
            h->free = h->next[nb];
        } else {
            if (h->used == h->cap) {
                h->cap *= 2;
                h->blk = xreallocarray(h->blk, h->cap, sizeof(*h->blk));
                h->next = xreallocarray(h->next, h->cap, sizeof(*h->next));
            }
            nb = h->used++;
        }
        h->next[nb] = q->head;
        q->head = nb;
        q->fill = 0;
    }
    h->blk[q->head][q->fill++] = k;
    if (bkey_lt(k, q->min))
        q->min = k;
    h->mask[b >> 6] |= (uint64_t)1 << (b & 63);
}

BENCH_INLINE bkey rx_pop(rx_heap *h, unsigned bits)
{
    unsigned w = 0, b;
    bkey last;
    uint32_t blk, fill, i, nx;

    while (!h->mask[w])
        w++;
    b = w * 64 + (unsigned)__builtin_ctzll(h->mask[w]);
    last = h->b[b].min;
    blk = h->b[b].head;
    fill = h->b[b].fill;
    rx_clear(h, b);
    h->last = last;
    while (blk != RX_NIL) {
        for (i = 0; i < fill; i++) {
            bkey k = h->blk[blk][i];

            if (k.sk != last.sk)
                rx_append(h, rx_bucket_of(k, last, bits), k);
        }
        nx = h->next[blk];
        h->next[blk] = h->free;
        h->free = blk;
        blk = nx;
        fill = RX_BLOCK;
    }
    return last;
}

BENCH_INLINE bench_result rx_hold(const bench_work *w, unsigned bits)
{
    rx_heap *h = xcalloc(1, sizeof(*h));
    bench_result r;
    uint64_t seq = 1;
    double t0;
    size_t i;
    unsigned b;
    bkey top, e;

    for (b = 0; b < ARRAY_LEN(h->b); b++)
        rx_clear(h, b);
    h->cap = (uint32_t)(w->n / RX_BLOCK * 5 / 4 + 16);
    h->blk = xreallocarray(NULL, h->cap, sizeof(*h->blk));
    h->next = xreallocarray(NULL, h->cap, sizeof(*h->next));
    h->free = RX_NIL;
    for (i = 0; i < w->n; i++) {
        e.t = (uint64_t)w->init[i];
        e.sk = (seq++ << 32) | i;
        rx_append(h, rx_bucket_of(e, h->last, bits), e);
    }
    r.last = 0;
    t0 = bench_now();
    for (i = 0; i < w->ops; i++) {
        top = rx_pop(h, bits);
        r.last = (sim_time)top.t;
        e.t = top.t + (uint64_t)w->delay[i];
        e.sk = (seq++ << 32) | (uint32_t)top.sk;
        rx_append(h, rx_bucket_of(e, h->last, bits), e);
    }
    r.secs = bench_now() - t0;
    free(h->blk);
    free(h->next);
    free(h);
    return r;
}

static bench_result bench_radix16(const bench_work *w)
{
    return rx_hold(w, 4);
}

static bench_result bench_radix2(const bench_work *w)
{
    return rx_hold(w, 1);
}

/* ===================================================================
 * Driver
 * =================================================================== */

typedef struct bench_variant {
    const char *name;                   /* printed, and matched by argv[1] */
    bench_result (*run)(const bench_work *w);
} bench_variant;

static const bench_variant bench_variants[] = {
    { "sched-api", bench_api },          /* what sched.c ships */
    { "radix16", bench_radix16 },        /* the same queue, bare */
    { "radix2", bench_radix2 },
    { "bin", bench_bin },
    { "bin-ptr", bench_bin_ptr },
    { "4ary", bench_4ary },
    { "4ary-hole", bench_4ary_hole },
    { "pairing", bench_pairing },
};

/* ns-3's best scheduler on the HOLD model with a 1 s mean, M events/s,
 * at N = 1e3, 1e5, 1e6 (the references issue 7 names). */
static const double bench_ns3[] = { 8.6, 3.6, 3.4 };

/* BENCH_QUICK set (and not "0"): one repetition. */
static int bench_reps(void)
{
    const char *q = getenv("BENCH_QUICK");

    return q && *q && strcmp(q, "0") != 0 ? 1 : BENCH_REPS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* n draws of Exp(mean), rounded to the nearest ns (so 0 happens). */
static void draw(gsl_rng *r, double mean, sim_time *out, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = (sim_time)(gsl_ran_exponential(r, mean) + 0.5);
}

/* bench_sched --hold N: prints sim_sched's median HOLD rate at N pending
 * events (1 s mean; 2e6 steps for N <= 1e3, else 1e6) as a bare number of
 * M events/s.  Returns the exit status. */
static int hold_only(const char *arg)
{
    char *end;
    unsigned long long n = strtoull(arg, &end, 10);
    size_t ops, k;
    int reps = bench_reps();
    double rate[BENCH_REPS];
    bench_work w;
    sim_time *init, *delay;
    gsl_rng *rng;

    if (*arg < '1' || *arg > '9' || *end || n > 100000000ULL) {
        fprintf(stderr, "bench_sched: --hold wants 1..1e8 pending events, "
                "not '%s'\n", arg);
        return 2;
    }
    ops = n <= 1000 ? 2000000 : 1000000;
    init = xreallocarray(NULL, (size_t)n, sizeof(*init));
    delay = xreallocarray(NULL, ops, sizeof(*delay));
    if (!(rng = gsl_rng_alloc(gsl_rng_taus2)))
        return 1;
    gsl_rng_set(rng, BENCH_SEED);
    draw(rng, 1e9, init, (size_t)n);
    draw(rng, 1e9, delay, ops);
    w.init = init;
    w.n = (size_t)n;
    w.delay = delay;
    w.ops = ops;
    for (k = 0; k < (size_t)reps; k++)
        rate[k] = (double)ops / bench_api(&w).secs / 1e6;
    qsort(rate, (size_t)reps, sizeof(rate[0]), cmp_double);
    printf("%.3f\n", rate[reps / 2]);
    gsl_rng_free(rng);
    free(init);
    free(delay);
    return 0;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = { 1000, 100000, 1000000 };
    static const double means[] = { 1e9, 100.0 };
    static const char *const mean_names[] = { "1s", "100ns" };
    const char *filter = argc > 1 ? argv[1] : NULL;
    size_t max_n = 1000000, max_ops = 2000000;
    sim_time *init = xreallocarray(NULL, max_n, sizeof(*init));
    sim_time *delay = xreallocarray(NULL, max_ops, sizeof(*delay));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    double api_1s[ARRAY_LEN(sizes)];    /* sched-api, 1 s mean; 0: not run */
    int reps = bench_reps();
    size_t vi, si, mi, k;
    int bad = 0;

    if (argc > 1 && strcmp(argv[1], "--hold") == 0) {
        gsl_rng_free(rng);
        free(init);
        free(delay);
        if (argc != 3) {
            fprintf(stderr, "usage: bench_sched --hold N\n");
            return 2;
        }
        return hold_only(argv[2]);
    }
    if (!rng)
        return 1;
    _Static_assert(ARRAY_LEN(bench_ns3) == ARRAY_LEN(sizes),
                   "one ns-3 figure per N");
    for (si = 0; si < ARRAY_LEN(sizes); si++)
        api_1s[si] = 0;
    printf("# HOLD model: N pending; each step pops the earliest event and "
           "schedules one at now + Exp(mean), integer ns.\n"
           "# Draws precomputed (gsl taus2, seed %lu); median of %d "
           "repetition(s); M events/s = steps / s.\n"
           "# ops = 2e6 for N = 1e3, else 1e6.  sched-api is the shipped "
           "sim_sched; the rest are bare queues.\n",
           BENCH_SEED, reps);
    printf("%-14s %8s %6s %8s %9s\n", "variant", "N", "mean", "ops",
           "Mev/s");
    fflush(stdout);
    for (mi = 0; mi < ARRAY_LEN(means); mi++) {
        for (si = 0; si < ARRAY_LEN(sizes); si++) {
            bench_work w;
            sim_time ref_last = -1;

            w.n = sizes[si];
            w.ops = w.n <= 1000 ? 2000000 : 1000000;
            gsl_rng_set(rng, BENCH_SEED);
            draw(rng, means[mi], init, w.n);
            draw(rng, means[mi], delay, w.ops);
            w.init = init;
            w.delay = delay;
            for (vi = 0; vi < ARRAY_LEN(bench_variants); vi++) {
                const bench_variant *v = &bench_variants[vi];
                double rate[BENCH_REPS];

                if (filter && !strstr(v->name, filter))
                    continue;
                for (k = 0; k < (size_t)reps; k++) {
                    bench_result r = v->run(&w);

                    rate[k] = (double)w.ops / r.secs / 1e6;
                    if (ref_last < 0)
                        ref_last = r.last;
                    else if (r.last != ref_last) {
                        fprintf(stderr, "%s: final clock %lld != %lld\n",
                                v->name, (long long)r.last,
                                (long long)ref_last);
                        bad = 1;
                    }
                }
                qsort(rate, (size_t)reps, sizeof(rate[0]), cmp_double);
                printf("%-14s %8zu %6s %8zu %9.2f\n", v->name, w.n,
                       mean_names[mi], w.ops, rate[reps / 2]);
                if (mi == 0 && v->run == bench_api)
                    api_1s[si] = rate[reps / 2];
                fflush(stdout);
            }
        }
    }
    if (api_1s[0] > 0 || api_1s[1] > 0 || api_1s[2] > 0)
        printf("# sched-api, 1 s mean, against ns-3's best scheduler "
               "(%.1f, %.1f, %.1f M events/s at N = 1e3, 1e5, 1e6); "
               "the aim is %.0fx:\n", bench_ns3[0], bench_ns3[1],
               bench_ns3[2], BENCH_AIM);
    for (si = 0; si < ARRAY_LEN(sizes); si++)
        if (api_1s[si] > 0)
            printf("N = %7zu: %5.2f M events/s = %.2f times ns-3's best "
                   "(aim %.2f: %s)\n", sizes[si], api_1s[si],
                   api_1s[si] / bench_ns3[si], BENCH_AIM,
                   api_1s[si] / bench_ns3[si] >= BENCH_AIM ? "PASS" :
                                                             "MISS");
    gsl_rng_free(rng);
    free(init);
    free(delay);
    return bad;
}
