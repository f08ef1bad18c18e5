/* metrics.c — the metric registry of one run (dense integer ids, O(1)
 * updates with no allocation, rows in registration order) and the table
 * of results across replications.  Both find keys through a small
 * open-addressing hash map so 10^6 per-node metrics register in O(1) each. */
#include <assert.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_histogram.h>
#include "metrics.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Index map: string keys -> dense indices                             */
/* ------------------------------------------------------------------ */

/* Linear probing over a power-of-two table, load factor <= 1/2.  A slot
 * holds the key's 32-bit hash and its index + 1 (0 = empty); the keys
 * themselves live in the owner's array, compared through a callback.
 * Nothing is ever deleted, so there are no tombstones. */
typedef struct map_slot {
    uint32_t hash;      /* hash of the key (for cheap mismatches, rehash) */
    uint32_t idx1;      /* owner's index + 1; 0 = empty                   */
} map_slot;

typedef struct index_map {
    map_slot *slot;     /* cap slots, or NULL while cap == 0            */
    size_t cap;         /* 0 or a power of two                           */
    size_t used;        /* occupied slots; 2 * used <= cap               */
} index_map;

/* Does owner's entry `idx` have key `keys`? */
typedef int (*map_eq_fn)(const void *owner, size_t idx,
                         const char *const *keys);

/* FNV-1a over the key strings, each with its terminating NUL (so
 * ("ab","c") and ("a","bc") differ), then the murmur3 finaliser to spread
 * FNV's weak low bits.  Fixed constants: the map's iteration never
 * reaches the output anyway, but runs stay byte-identical regardless. */
static uint32_t keys_hash(const char *const *keys, int nkeys)
{
    uint64_t h = 0xcbf29ce484222325u;

    for (int i = 0; i < nkeys; i++) {
        const unsigned char *p = (const unsigned char *)keys[i];
        do {
            h ^= *p;
            h *= 0x100000001b3u;
        } while (*p++);
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return (uint32_t)h;
}

static void map_deinit(index_map *m)
{
    free(m->slot);
    m->slot = NULL;
    m->cap = m->used = 0;
}

/* Returns the slot holding the key, or the empty slot where it belongs. */
static map_slot *map_find(const index_map *m, uint32_t hash,
                          const char *const *keys, map_eq_fn eq,
                          const void *owner)
{
    size_t mask = m->cap - 1, i = hash & mask;

    assert(m->cap > 0);
    for (;;) {
        map_slot *s = &m->slot[i];
        if (s->idx1 == 0)
            return s;
        if (s->hash == hash && eq(owner, s->idx1 - 1, keys))
            return s;
        i = (i + 1) & mask;
    }
}

/* Makes room for one more entry (doubling, rehash from stored hashes). */
static void map_reserve(index_map *m)
{
    map_slot *old = m->slot;
    size_t oldcap = m->cap, cap;

    if (2 * (m->used + 1) <= m->cap)
        return;
    cap = oldcap ? 2 * oldcap : 16;
    m->slot = xcalloc(cap, sizeof *m->slot);
    m->cap = cap;
    for (size_t j = 0; j < oldcap; j++) {
        size_t i;
        if (old[j].idx1 == 0)
            continue;
        for (i = old[j].hash & (cap - 1); m->slot[i].idx1;
             i = (i + 1) & (cap - 1))
            ;
        m->slot[i] = old[j];
    }
    free(old);
}

/* Copies the strings into one allocation, back to back with their NULs;
 * off[i] is where string i starts. */
static char *strings_pack(const char *const *s, int n, uint32_t *off)
{
    size_t len[3], total = 0;
    char *blob;

    assert(n <= 3);
    for (int i = 0; i < n; i++) {
        len[i] = strlen(s[i]) + 1;
        total += len[i];
    }
    assert(total <= UINT32_MAX);
    blob = xmalloc(total);
    total = 0;
    for (int i = 0; i < n; i++) {
        off[i] = (uint32_t)total;
        memcpy(blob + total, s[i], len[i]);
        total += len[i];
    }
    return blob;
}

/* ------------------------------------------------------------------ */
/* Registry of one run                                                 */
/* ------------------------------------------------------------------ */

/* One metric.  Its strings live in one allocation: name at 0, entity at
 * off_entity, unit at off_unit. */
typedef struct metric {
    char *str;              /* "name\0entity\0unit\0", owned              */
    uint32_t off_entity;    /* offset of entity in str                    */
    uint32_t off_unit;      /* offset of unit in str                      */
    ana_kind kind;
    double value;           /* COUNTER: sum (0 at start); VALUE: last set */
                            /* (NaN until set); unused for SAMPLES        */
    ana_welford w;          /* SAMPLES only                               */
    int timed;              /* SAMPLES with unit "s": keeps a histogram   */
    struct mhist *h;        /* SAMPLES in "s" only: the histogram, made at */
                            /* the first sample (NULL before, and always  */
                            /* for other units)                           */
} metric;

/* Invariants: ids are indices into v[0..n); map holds exactly one slot
 * per metric, keyed by (name, entity); name_max >= strlen of every name. */
struct ana_metrics {
    metric *v;              /* metrics in registration (= id) order       */
    size_t n, cap;          /* used / allocated entries of v              */
    index_map map;          /* (name, entity) -> id                       */
    size_t name_max;        /* longest name, sizes the row-name buffer    */
    /* Log mode (ana_metrics_new_log): the registry `of` whose ids this one
     * takes, and every add and set made here since the last clear, in
     * order; nothing else is kept (n stays 0). */
    const ana_metrics *of;  /* NULL: an ordinary registry                 */
    ana_metric_op *log;
    size_t n_log, cap_log;
    struct ana_series *ser; /* --series accumulators, NULL: off (below)   */
    double *edges;          /* ANA_HIST_BINS + 1 bin edges (hist_edges),  */
                            /* made with the first histogram, or NULL     */
};

/* The time-series section (its own banner below) as the registry's ops
 * call it: only behind `if (m->ser)`, one predictable branch when off. */
static void ser_metric_op(ana_metrics *m, int id, int op, double x,
                          int64_t t);
static void ser_select(ana_metrics *m, int id);
static int64_t ser_now(const ana_metrics *m);
static void ser_free(struct ana_series *s);


/* ------------------------------------------------------------------ */
/* Histograms of time samples (kmsim extension, issue 23)              */
/* ------------------------------------------------------------------ */

/* The histogram of one SAMPLES metric whose unit is "s", beside its
 * Welford: GSL bins (gsl_histogram_increment: one binary search per
 * sample) on the fixed layout of hist_edges, plus the samples below the
 * first edge (negative) and at or above the last (10^6 s or +inf).  NaN
 * samples are not binned (they would poison the Welford anyway).
 * Invariant: under + over + the sum of h's bins = the samples binned. */
static void log_misuse(const char *what);

typedef struct mhist {
    gsl_histogram *h;       /* ANA_HIST_BINS bins on hist_edges, owned    */
    double under, over;     /* samples < 0, samples >= ANA_HIST_MAX       */
} mhist;

static void mhist_free(mhist *x)
{
    if (!x)
        return;
    gsl_histogram_free(x->h);
    free(x);
}

/* The bin layout: edge 0 is 0, edge k (1 <= k <= ANA_HIST_BINS) is
 * 1 ns * 10^((k - 1) / ANA_HIST_PER_DECADE).  Bin 0 is [0, 1 ns) (a zero
 * delay: the clock counts integer ns), every other bin is 1/232 of a
 * decade: hi / lo = 10^(1/232) = 1.00997, under 1% of its lower edge. */
static void hist_edges(double *e)
{
    e[0] = 0.0;
    for (size_t k = 1; k <= ANA_HIST_BINS; k++)
        e[k] = ANA_HIST_MIN *
               pow(10.0, (double)(k - 1) / ANA_HIST_PER_DECADE);
    e[ANA_HIST_BINS] = ANA_HIST_MAX;   /* exactly, whatever pow rounds */
}

double ana_hist_lo(size_t bucket)
{
    assert(bucket < ANA_HIST_BUCKETS);
    if (bucket == 0)
        return -INFINITY;
    if (bucket == 1)
        return 0.0;
    if (bucket == ANA_HIST_BUCKETS - 1)
        return ANA_HIST_MAX;
    return ANA_HIST_MIN *
           pow(10.0, (double)(bucket - 2) / ANA_HIST_PER_DECADE);
}

double ana_hist_hi(size_t bucket)
{
    assert(bucket < ANA_HIST_BUCKETS);
    if (bucket == 0)
        return 0.0;
    if (bucket == ANA_HIST_BUCKETS - 1)
        return INFINITY;
    return bucket + 1 == ANA_HIST_BUCKETS - 1 ? ANA_HIST_MAX
                                              : ana_hist_lo(bucket + 1);
}

/* Count of bucket b of x (0 under, 1..ANA_HIST_BINS bins, then over). */
static double mhist_count(const mhist *x, size_t b)
{
    if (b == 0)
        return x->under;
    if (b == ANA_HIST_BUCKETS - 1)
        return x->over;
    return gsl_histogram_get(x->h, b - 1);
}

/* The histogram of metric e of registry m, made at its first sample. */
static mhist *mhist_of(ana_metrics *m, metric *e)
{
    if (e->h)
        return e->h;
    if (!m->edges) {
        m->edges = xreallocarray(NULL, ANA_HIST_BINS + 1, sizeof(double));
        hist_edges(m->edges);
    }
    e->h = xcalloc(1, sizeof *e->h);
    e->h->h = gsl_histogram_alloc(ANA_HIST_BINS);
    if (!e->h->h)
        xoom(ANA_HIST_BINS * 2 * sizeof(double));
    gsl_histogram_set_ranges(e->h->h, m->edges, ANA_HIST_BINS + 1);
    return e->h;
}

static void mhist_add(ana_metrics *m, metric *e, double x)
{
    mhist *h;

    if (isnan(x))
        return;
    h = mhist_of(m, e);
    if (x < 0)
        h->under += 1;
    else if (x >= ANA_HIST_MAX)
        h->over += 1;
    else
        gsl_histogram_increment(h->h, x);
}

/* Quantile p of the buckets count(ctx, b) (b < ANA_HIST_BUCKETS), whose
 * samples lie in [min, max]: the inverse of the piecewise-linear CDF
 * through the buckets' edges (linear interpolation inside the bucket
 * where the cumulative count reaches p * total), the outer buckets taken
 * as [min, 0) and [10^6 s, max], then clamped to [min, max].  The sample
 * quantile lies in that same bucket, so the error is at most its width
 * (under 1% of the value above 1 ns).  NaN when there is no sample. */
static double hist_quantile(double (*count)(const void *, size_t),
                            const void *ctx, double min, double max,
                            double p)
{
    double total = 0, r, cum = 0, x = NAN;

    for (size_t b = 0; b < ANA_HIST_BUCKETS; b++)
        total += count(ctx, b);
    if (!(total > 0))
        return NAN;
    r = p * total;
    for (size_t b = 0; b < ANA_HIST_BUCKETS; b++) {
        double c = count(ctx, b), lo, hi;

        if (c <= 0)
            continue;
        if (cum + c < r && b + 1 < ANA_HIST_BUCKETS) {
            cum += c;
            continue;
        }
        lo = b == 0 ? min : ana_hist_lo(b);
        hi = b == ANA_HIST_BUCKETS - 1 ? max : ana_hist_hi(b);
        x = lo + (r - cum) / c * (hi - lo);
        break;
    }
    if (x < min)
        x = min;
    if (x > max)
        x = max;
    return x;
}

static double mhist_count_cb(const void *ctx, size_t b)
{
    return mhist_count(ctx, b);
}

int ana_metric_quantile(const ana_metrics *m, int id, double p, double *out)
{
    const metric *e;

    if (m->of)
        log_misuse("a metric read");
    assert(id >= 0 && (size_t)id < m->n && p >= 0 && p <= 1);
    e = &m->v[id];
    if (!e->h || e->w.n == 0)
        return -1;
    *out = hist_quantile(mhist_count_cb, e->h, e->w.min, e->w.max, p);
    return isnan(*out) ? -1 : 0;
}

void ana_metrics_hist_rows(const ana_metrics *m, ana_hist_fn fn, void *ctx)
{
    if (m->of)
        log_misuse("a metric read");
    for (size_t i = 0; i < m->n; i++) {
        const metric *e = &m->v[i];

        if (!e->h)
            continue;
        for (size_t b = 0; b < ANA_HIST_BUCKETS; b++) {
            double c = mhist_count(e->h, b);
            if (c > 0)
                fn(ctx, e->str, e->str + e->off_entity, e->str + e->off_unit,
                   b, c);
        }
    }
}

ana_metrics *ana_metrics_new(void)
{
    return calloc(1, sizeof(ana_metrics));
}

void ana_metrics_free(ana_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].str);
        mhist_free(m->v[i].h);
    }
    free(m->v);
    free(m->log);
    ser_free(m->ser);
    free(m->edges);
    map_deinit(&m->map);
    free(m);
}

ana_metrics *ana_metrics_new_log(const ana_metrics *of)
{
    ana_metrics *m = ana_metrics_new();

    if (m)
        m->of = of;
    return m;
}

/* A log registry used where only an ordinary one may be. */
static void log_misuse(const char *what)
{
    fprintf(stderr, "kmsim: %s on a metric log (a two-thread run "
            "registers metrics only in init and reads them after the "
            "run: sim/THREADS.md)\n", what);
    abort();
}

/* Appends (id, op, x) to log registry m: no allocation once grown. */
static void log_put(ana_metrics *m, int id, int op, double x)
{
    ana_metric_op *o;

    assert(id >= 0 && (op == 2 || (size_t)id < m->of->n));
    if (m->n_log == m->cap_log) {
        m->cap_log = m->cap_log ? 2 * m->cap_log : 1024;
        m->log = xreallocarray(m->log, m->cap_log, sizeof *m->log);
    }
    o = &m->log[m->n_log++];
    o->id = id;
    o->op = op;
    o->x = x;
    o->t = m->of->ser ? ser_now(m->of) : 0;
}

static void metric_add(ana_metrics *m, int id, double x);
static void metric_set(ana_metrics *m, int id, double x);

size_t ana_metrics_log_len(const ana_metrics *m)
{
    return m->n_log;
}

void ana_metrics_log_apply(ana_metrics *dst, const ana_metrics *log,
                           size_t from, size_t to)
{
    assert(!dst->of && log->of == dst && from <= to && to <= log->n_log);
    for (size_t i = from; i < to; i++) {
        const ana_metric_op *o = &log->log[i];
        if (o->op == 2) {
            ana_series_add_at(dst, o->id, o->x, o->t);
            continue;
        }
        if (o->op)
            metric_set(dst, o->id, o->x);
        else
            metric_add(dst, o->id, o->x);
        if (dst->ser)
            ser_metric_op(dst, o->id, o->op, o->x, o->t);
    }
}

void ana_metrics_log_clear(ana_metrics *m)
{
    m->n_log = 0;
}

static int metric_eq(const void *owner, size_t idx, const char *const *keys)
{
    const metric *e = &((const ana_metrics *)owner)->v[idx];

    return strcmp(e->str, keys[0]) == 0 &&
           strcmp(e->str + e->off_entity, keys[1]) == 0;
}

int ana_metric_reg(ana_metrics *m, const char *name, const char *entity,
                   const char *unit, ana_kind kind)
{
    const char *keys[3] = {name, entity, unit};
    uint32_t hash = keys_hash(keys, 2), off[3];
    map_slot *s;
    metric *e;
    size_t len;

    assert(kind == ANA_COUNTER || kind == ANA_VALUE || kind == ANA_SAMPLES);
    if (m->of) {                /* the same id, or a misuse */
        int id = ana_metric_find(m->of, name, entity);
        if (id < 0)
            log_misuse("a new metric registered");
        return id;
    }
    map_reserve(&m->map);
    s = map_find(&m->map, hash, keys, metric_eq, m);
    if (s->idx1) {
        /* Same key, different meaning: a programming error. */
        assert(m->v[s->idx1 - 1].kind == kind);
        assert(strcmp(m->v[s->idx1 - 1].str + m->v[s->idx1 - 1].off_unit,
                      unit) == 0);
        return (int)(s->idx1 - 1);
    }
    if (m->n >= (size_t)INT_MAX)
        abort();            /* ids are int; 2^31 metrics is out of memory */
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->v = xreallocarray(m->v, m->cap, sizeof *m->v);
    }
    e = &m->v[m->n];
    e->str = strings_pack(keys, 3, off);
    e->off_entity = off[1];
    e->off_unit = off[2];
    e->kind = kind;
    e->value = kind == ANA_VALUE ? NAN : 0.0;
    ana_welford_init(&e->w);
    e->timed = kind == ANA_SAMPLES && strcmp(unit, "s") == 0;
    e->h = NULL;
    s->hash = hash;
    s->idx1 = (uint32_t)(m->n + 1);
    m->map.used++;
    len = strlen(name);
    if (len > m->name_max)
        m->name_max = len;
    m->n++;
    if (m->ser)
        ser_select(m, (int)(m->n - 1));
    return (int)(m->n - 1);
}

int ana_metric_find(const ana_metrics *m, const char *name,
                    const char *entity)
{
    const char *keys[2] = {name, entity};
    const map_slot *s;

    if (m->map.cap == 0)
        return -1;
    s = map_find(&m->map, keys_hash(keys, 2), keys, metric_eq, m);
    return s->idx1 ? (int)(s->idx1 - 1) : -1;
}

void ana_metric_add(ana_metrics *m, int id, double x)
{
    if (m->of) {
        log_put(m, id, 0, x);
        return;
    }
    metric_add(m, id, x);
    if (m->ser)
        ser_metric_op(m, id, 0, x, ser_now(m));
}

static void metric_add(ana_metrics *m, int id, double x)
{
    metric *e;

    assert(id >= 0 && (size_t)id < m->n);
    e = &m->v[id];
    assert(e->kind != ANA_VALUE);
    if (e->kind == ANA_SAMPLES) {
        ana_welford_add(&e->w, x);
        if (e->timed)
            mhist_add(m, e, x);
    } else
        e->value += x;
}

void ana_metric_set(ana_metrics *m, int id, double x)
{
    if (m->of) {
        log_put(m, id, 1, x);
        return;
    }
    metric_set(m, id, x);
    if (m->ser)
        ser_metric_op(m, id, 1, x, ser_now(m));
}

static void metric_set(ana_metrics *m, int id, double x)
{
    assert(id >= 0 && (size_t)id < m->n);
    assert(m->v[id].kind != ANA_SAMPLES);
    m->v[id].value = x;
}

double ana_metric_get(const ana_metrics *m, int id)
{
    const metric *e;

    if (m->of)
        log_misuse("a metric read");
    assert(id >= 0 && (size_t)id < m->n);
    e = &m->v[id];
    if (e->kind == ANA_SAMPLES)
        return e->w.n ? e->w.mean : NAN;
    return e->value;
}

const ana_welford *ana_metric_samples(const ana_metrics *m, int id)
{
    if (m->of)
        log_misuse("a metric read");
    assert(id >= 0 && (size_t)id < m->n);
    return m->v[id].kind == ANA_SAMPLES ? &m->v[id].w : NULL;
}

/* "<name><suffix>" into buf (sized name_max + 6 by the caller). */
static const char *row_name(char *buf, const char *name, const char *suffix)
{
    size_t a = strlen(name), b = strlen(suffix);

    memcpy(buf, name, a);
    memcpy(buf + a, suffix, b + 1);
    return buf;
}

/* The rows "<name>.p50", ".p95", ".p99" of a metric with a histogram
 * (kmsim extension, issue 23), after its ".max". */
static void quantile_rows(const metric *e, char *buf, ana_row_fn fn,
                          void *ctx)
{
    static const struct {
        const char *suffix;
        double p;
    } q[] = {{".p50", 0.50}, {".p95", 0.95}, {".p99", 0.99}};

    for (size_t k = 0; k < sizeof q / sizeof *q; k++)
        fn(ctx, row_name(buf, e->str, q[k].suffix), e->str + e->off_entity,
           e->str + e->off_unit,
           hist_quantile(mhist_count_cb, e->h, e->w.min, e->w.max, q[k].p));
}

void ana_metrics_rows(const ana_metrics *m, ana_row_fn fn, void *ctx)
{
    char *buf = xmalloc(m->name_max + sizeof ".mean");

    for (size_t i = 0; i < m->n; i++) {
        const metric *e = &m->v[i];
        const char *name = e->str, *entity = e->str + e->off_entity;
        const char *unit = e->str + e->off_unit;

        if (e->kind != ANA_SAMPLES) {
            fn(ctx, name, entity, unit, e->value);
            continue;
        }
        fn(ctx, row_name(buf, name, ".n"), entity, "1", (double)e->w.n);
        fn(ctx, row_name(buf, name, ".mean"), entity, unit,
           e->w.n ? e->w.mean : NAN);
        if (e->w.n >= 2)
            fn(ctx, row_name(buf, name, ".sd"), entity, unit,
               ana_welford_sd(&e->w));
        if (e->w.n >= 1) {
            fn(ctx, row_name(buf, name, ".min"), entity, unit, e->w.min);
            fn(ctx, row_name(buf, name, ".max"), entity, unit, e->w.max);
        }
        if (e->w.n >= 1 && e->h)
            quantile_rows(e, buf, fn, ctx);
    }
    free(buf);
}

/* ------------------------------------------------------------------ */
/* Results across replications                                         */
/* ------------------------------------------------------------------ */

/* A table of (name, entity, unit) keys in first-seen order, each with an
 * owned array of doubles: the results across replications (a value per
 * replication) and the pooled histograms (a count per bucket).  The unit
 * is part of the key, so differently measured quantities never mix.
 * Invariant: map holds one slot per key. */
typedef struct key_row {
    char *str;              /* "name\0entity\0unit\0", owned              */
    uint32_t off_entity;    /* offset of entity in str                    */
    uint32_t off_unit;      /* offset of unit in str                      */
    double *v;              /* the key's values, owned                    */
} key_row;

typedef struct key_table {
    key_row *k;             /* keys in first-seen order                   */
    size_t n, cap;          /* used / allocated entries of k              */
    index_map map;          /* (name, entity, unit) -> key index          */
} key_table;

static void ktab_deinit(key_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->k[i].str);
        free(t->k[i].v);
    }
    free(t->k);
    map_deinit(&t->map);
}

static int ktab_eq(const void *owner, size_t idx, const char *const *keys)
{
    const key_row *e = &((const key_table *)owner)->k[idx];

    return strcmp(e->str, keys[0]) == 0 &&
           strcmp(e->str + e->off_entity, keys[1]) == 0 &&
           strcmp(e->str + e->off_unit, keys[2]) == 0;
}

/* The row of (name, entity, unit); a new one gets nv values, each
 * `fill`. */
static key_row *ktab_get(key_table *t, const char *name, const char *entity,
                         const char *unit, size_t nv, double fill)
{
    const char *keys[3] = {name, entity, unit};
    uint32_t hash = keys_hash(keys, 3), off[3];
    map_slot *s;
    key_row *e;

    map_reserve(&t->map);
    s = map_find(&t->map, hash, keys, ktab_eq, t);
    if (s->idx1)
        return &t->k[s->idx1 - 1];
    if (t->n >= UINT32_MAX - 1)
        abort();            /* slot indices are 32-bit */
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->k = xreallocarray(t->k, t->cap, sizeof *t->k);
    }
    e = &t->k[t->n];
    e->str = strings_pack(keys, 3, off);
    e->off_entity = off[1];
    e->off_unit = off[2];
    e->v = xreallocarray(NULL, nv, sizeof(double));
    for (size_t j = 0; j < nv; j++)
        e->v[j] = fill;
    s->hash = hash;
    s->idx1 = (uint32_t)(t->n + 1);
    t->map.used++;
    t->n++;
    return e;
}

/* Invariants: every key's v has exactly vcap entries, vcap >= nrep;
 * v[j] for j >= nrep is NaN; nrep = 1 + the largest replication index
 * added (0 before any add). */
struct ana_results {
    key_table t;            /* the keys and their values                  */
    size_t nrep;            /* values per key reported by ana_results_key */
    size_t vcap;            /* allocated values per key                   */
};

ana_results *ana_results_new(void)
{
    return xcalloc(1, sizeof(ana_results));
}

void ana_results_free(ana_results *r)
{
    if (!r)
        return;
    ktab_deinit(&r->t);
    free(r);
}

/* Grows every key's value array to hold replication `rep`.  Doubling
 * keeps the total work linear in the final table size. */
static void results_grow(ana_results *r, size_t rep)
{
    size_t vcap = r->vcap ? r->vcap : 4;

    while (vcap <= rep)
        vcap *= 2;
    for (size_t i = 0; i < r->t.n; i++) {
        r->t.k[i].v = xreallocarray(r->t.k[i].v, vcap, sizeof(double));
        for (size_t j = r->vcap; j < vcap; j++)
            r->t.k[i].v[j] = NAN;
    }
    r->vcap = vcap;
}

int ana_results_add(ana_results *r, uint32_t replication, const char *name,
                    const char *entity, const char *unit, double value)
{
    if (replication >= r->vcap)
        results_grow(r, replication);
    if (replication >= r->nrep)
        r->nrep = (size_t)replication + 1;
    /* last add wins */
    ktab_get(&r->t, name, entity, unit, r->vcap, NAN)->v[replication] = value;
    return 0;
}

size_t ana_results_nkeys(const ana_results *r)
{
    return r->t.n;
}

void ana_results_key(const ana_results *r, size_t i, const char **name,
                     const char **entity, const char **unit,
                     const double **values, size_t *n)
{
    const key_row *e;

    assert(i < r->t.n);
    e = &r->t.k[i];
    *name = e->str;
    *entity = e->str + e->off_entity;
    *unit = e->str + e->off_unit;
    *values = e->v;
    *n = r->nrep;
}

int ana_results_summary(const ana_results *r, const char *name,
                        const char *entity, double level, ana_summary *out,
                        const char **unit)
{
    for (size_t i = 0; i < ana_results_nkeys(r); i++) {
        const char *n, *e, *u;
        const double *v;
        size_t cnt;

        ana_results_key(r, i, &n, &e, &u, &v, &cnt);
        if (strcmp(n, name) == 0 && strcmp(e, entity) == 0) {
            if (unit)
                *unit = u;
            return ana_summarize(v, cnt, level, out);
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Time series (kmsim extension, --series; issue 23)                   */
/* ------------------------------------------------------------------ */

/* One selected metric or series-only entry and its accumulator for the
 * current interval.  Invariants: for a level (kind VALUE), `area` is the
 * integral of the level over [cov, last_t) and last_t <= the interval's
 * end; a level is NaN until first set (a registry VALUE never set writes
 * no rows). */
typedef struct ser_ent {
    const char *name, *entity, *unit; /* the metric's strings or str's    */
    char *str;              /* series-only: "name\0entity\0unit\0", owned */
    ana_kind kind;          /* COUNTER, VALUE (a level), SAMPLES          */
    int delta;              /* 1: series-only level moved by deltas       */
    double sum;             /* COUNTER: in the interval; SAMPLES: their sum */
    uint64_t n;             /* SAMPLES: samples in the interval           */
    double level;           /* VALUE: now (NaN until set)                 */
    double area;            /* VALUE: level x ns since cov                */
    double max;             /* VALUE: largest level in the interval       */
    int64_t last_t;         /* VALUE: time of the last change or cov      */
    int64_t cov;            /* VALUE: start of the interval's coverage    */
} ser_ent;

/* Invariants: k_start < k_end <= end while on; of_metric[id] is the entry
 * of registry metric id or -1 (ids >= n_of: not selected). */
typedef struct ana_series {
    ana_series_opts o;      /* a copy; o.metrics points into pat          */
    char *pat;              /* the patterns, split at ',' and '@'         */
    const char **gl, **eg;  /* per pattern: name glob, entity glob / NULL */
    size_t n_pat;
    ser_ent *e;
    size_t n, cap;
    int32_t *of_metric;
    size_t n_of;
    int64_t k_start, k_end; /* the current interval [k_start, k_end)      */
    int on;                 /* 1 from start to finish                     */
    uint64_t rows;
} ana_series;

static void ser_free(ana_series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->e[i].str);
    free(s->e);
    free(s->of_metric);
    free(s->gl);
    free(s->eg);
    free(s->pat);
    free(s);
}

static int64_t ser_now(const ana_metrics *m)
{
    return m->ser->o.now ? m->ser->o.now(m->ser->o.now_ctx) : 0;
}

/* Splits a copy of `metrics` into (name glob, entity glob) pairs: 0, or
 * -1 on an empty pattern or glob. */
static int ser_parse(const char *metrics, char **pat, const char ***gl,
                     const char ***eg, size_t *n)
{
    char *p = xstrdup(metrics), *q;
    size_t cnt = 1;

    for (q = p; *q; q++)
        cnt += *q == ',';
    *gl = xcalloc(cnt, sizeof **gl);
    *eg = xcalloc(cnt, sizeof **eg);
    *pat = p;
    *n = 0;
    for (q = p;;) {
        char *c = strchr(q, ','), *at;
        if (c)
            *c = '\0';
        at = strchr(q, '@');
        if (at)
            *at++ = '\0';
        if (!*q || (at && !*at))
            return -1;
        (*gl)[*n] = q;
        (*eg)[*n] = at;
        (*n)++;
        if (!c)
            return 0;
        q = c + 1;
    }
}

int ana_series_check_patterns(const char *metrics, char *err, size_t errlen)
{
    char *pat;
    const char **gl, **eg;
    size_t n;
    int rc = ser_parse(metrics, &pat, &gl, &eg, &n);

    if (rc)
        snprintf(err, errlen, "an empty pattern (give GLOB or GLOB@ENTITY, "
                 "comma-separated, no spaces)");
    free(pat);
    free(gl);
    free(eg);
    return rc;
}

static int ser_match(const ana_series *s, const char *name,
                     const char *entity)
{
    for (size_t i = 0; i < s->n_pat; i++)
        if (!fnmatch(s->gl[i], name, 0) &&
            (!s->eg[i] || !fnmatch(s->eg[i], entity, 0)))
            return 1;
    return 0;
}

static int ser_new_ent(ana_series *s, const char *name, const char *entity,
                       const char *unit, ana_kind kind)
{
    ser_ent *e;

    if (s->n >= (size_t)INT32_MAX)
        abort();
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->e = xreallocarray(s->e, s->cap, sizeof *s->e);
    }
    e = &s->e[s->n];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->entity = entity;
    e->unit = unit;
    e->kind = kind;
    e->level = NAN;
    e->max = NAN;
    e->last_t = e->cov = s->k_start;
    return (int)s->n++;
}

/* Registry metric id was registered: selects it if it matches. */
static void ser_select(ana_metrics *m, int id)
{
    ana_series *s = m->ser;
    const metric *v = &m->v[id];
    size_t want = (size_t)id + 1;

    if (!s->on)
        return;
    if (want > s->n_of) {
        size_t cap = s->n_of ? s->n_of : 64;
        while (cap < want)
            cap *= 2;
        s->of_metric = xreallocarray(s->of_metric, cap,
                                     sizeof *s->of_metric);
        for (size_t i = s->n_of; i < cap; i++)
            s->of_metric[i] = -1;
        s->n_of = cap;
    }
    if (s->of_metric[id] >= 0 ||
        !ser_match(s, v->str, v->str + v->off_entity))
        return;
    s->of_metric[id] = ser_new_ent(s, v->str, v->str + v->off_entity,
                                   v->str + v->off_unit, v->kind);
}

static void ser_emit(ana_series *s, const ser_ent *e, const char *stat,
                     const char *unit, double v)
{
    s->o.row(s->o.row_ctx, s->k_start, s->k_end, e->name, e->entity, unit,
             stat, v);
    s->rows++;
}

/* Writes the current interval's rows and starts the next one. */
static void ser_flush(ana_series *s)
{
    double secs = (double)(s->k_end - s->k_start) / 1e9;
    char ru[64];

    for (size_t i = 0; i < s->n; i++) {
        ser_ent *e = &s->e[i];

        switch (e->kind) {
        case ANA_COUNTER:
            snprintf(ru, sizeof ru, "%s/s", e->unit);
            ser_emit(s, e, "sum", e->unit, e->sum);
            ser_emit(s, e, "rate", ru, e->sum / secs);
            e->sum = 0;
            break;
        case ANA_SAMPLES:
            ser_emit(s, e, "n", "1", (double)e->n);
            if (e->n)
                ser_emit(s, e, "mean", e->unit, e->sum / (double)e->n);
            e->sum = 0;
            e->n = 0;
            break;
        case ANA_VALUE:
            if (!isnan(e->level)) {
                double span = (double)(s->k_end - e->cov);
                e->area += e->level * (double)(s->k_end - e->last_t);
                ser_emit(s, e, "end", e->unit, e->level);
                ser_emit(s, e, "mean", e->unit,
                         span > 0 ? e->area / span : e->level);
                ser_emit(s, e, "max", e->unit, e->max);
            }
            e->area = 0;
            e->max = e->level;
            e->last_t = e->cov = s->k_end;
            break;
        }
    }
    s->k_start = s->k_end;
    s->k_end = s->k_start + s->o.interval;
    if (s->k_end > s->o.end || s->k_end < s->k_start)  /* cut, overflow */
        s->k_end = s->o.end;
}

/* Moves the series to the interval holding time t (ops at or after the
 * run's end count in the last interval).  0, or -1 when off. */
static int ser_at(ana_series *s, int64_t *t)
{
    if (!s->on || s->k_end <= s->k_start)
        return -1;
    if (*t >= s->o.end)
        *t = s->o.end - 1;
    if (*t < s->k_start)        /* never in one replayed order: kept safe */
        *t = s->k_start;
    while (*t >= s->k_end)
        ser_flush(s);
    return 0;
}

static void ser_level(ser_ent *e, double level, int64_t t)
{
    if (isnan(e->level)) {
        e->cov = t;
        e->area = 0;
        e->max = level;
    } else {
        e->area += e->level * (double)(t - e->last_t);
    }
    e->last_t = t;
    e->level = level;
    if (level > e->max)
        e->max = level;
}

static void ser_metric_op(ana_metrics *m, int id, int op, double x,
                          int64_t t)
{
    ana_series *s = m->ser;
    ser_ent *e;

    if ((size_t)id >= s->n_of || s->of_metric[id] < 0 || ser_at(s, &t))
        return;
    e = &s->e[s->of_metric[id]];
    if (op == 1)
        ser_level(e, x, t);
    else if (e->kind == ANA_SAMPLES) {
        e->sum += x;
        e->n++;
    } else {
        e->sum += x;
    }
}

int ana_series_start(ana_metrics *m, const ana_series_opts *o)
{
    ana_series *s;

    if (m->of || m->ser || o->interval <= 0 || o->end <= 0 || !o->row ||
        !o->metrics)
        return -1;
    s = xcalloc(1, sizeof *s);
    if (ser_parse(o->metrics, &s->pat, &s->gl, &s->eg, &s->n_pat) != 0) {
        ser_free(s);
        return -1;
    }
    s->o = *o;
    s->o.metrics = s->pat;
    s->k_start = 0;
    s->k_end = o->interval < o->end ? o->interval : o->end;
    s->on = 1;
    m->ser = s;
    for (size_t i = 0; i < m->n; i++) {
        ser_select(m, (int)i);
        /* ops made before the series began (set-up, at time 0) */
        if (s->of_metric[i] >= 0) {
            ser_ent *e = &s->e[s->of_metric[i]];
            if (m->v[i].kind == ANA_COUNTER)
                e->sum = m->v[i].value;
            else if (m->v[i].kind == ANA_VALUE && !isnan(m->v[i].value))
                ser_level(e, m->v[i].value, 0);
        }
    }
    return 0;
}

int ana_series_on(const ana_metrics *m)
{
    const ana_series *s = m->of ? m->of->ser : m->ser;

    return s && s->on;
}

int ana_series_reg(ana_metrics *m, const char *name, const char *entity,
                   const char *unit, ana_kind kind)
{
    ana_series *s = m->ser;
    const char *keys[3] = {name, entity, unit};
    uint32_t off[3];
    char *str;
    int id;

    assert(kind == ANA_COUNTER || kind == ANA_VALUE);
    if (m->of)
        log_misuse("a series registered");
    if (!s || !s->on || !ser_match(s, name, entity))
        return -1;
    str = strings_pack(keys, 3, off);
    id = ser_new_ent(s, str, str + off[1], str + off[2], kind);
    s->e[id].str = str;
    s->e[id].delta = kind == ANA_VALUE;
    if (kind == ANA_VALUE)
        ser_level(&s->e[id], 0, s->k_start);
    return id;
}

void ana_series_add_at(ana_metrics *m, int sid, double x, int64_t t)
{
    ana_series *s;
    ser_ent *e;

    if (sid < 0)
        return;
    if (m->of) {
        ana_metric_op *o;
        log_put(m, sid, 2, x);
        o = &m->log[m->n_log - 1];
        o->t = t;
        return;
    }
    s = m->ser;
    if (!s || ser_at(s, &t))
        return;
    assert((size_t)sid < s->n && s->e[sid].str);
    e = &s->e[sid];
    if (e->delta)
        ser_level(e, e->level + x, t);
    else
        e->sum += x;
}

void ana_series_add(ana_metrics *m, int sid, double x)
{
    const ana_metrics *r = m->of ? m->of : m;

    if (sid < 0 || !r->ser)
        return;
    ana_series_add_at(m, sid, x, ser_now(r));
}

void ana_series_finish(ana_metrics *m, int64_t end)
{
    ana_series *s = m->ser;

    if (!s || !s->on)
        return;
    if (end > 0 && end < s->o.end) {    /* the run stopped early */
        s->o.end = end;
        if (s->k_end > end)
            s->k_end = end > s->k_start ? end : s->k_start;
    }
    while (s->k_start < s->o.end && s->k_end > s->k_start)
        ser_flush(s);
    s->on = 0;
}

size_t ana_series_entries(const ana_metrics *m)
{
    return m->ser ? m->ser->n : 0;
}

uint64_t ana_series_rows(const ana_metrics *m)
{
    return m->ser ? m->ser->rows : 0;
}

/* ------------------------------------------------------------------ */
/* Histograms pooled over replications                                 */
/* ------------------------------------------------------------------ */

/* The pooled histograms: a key table of ANA_HIST_BUCKETS counts each. */
struct ana_hists {
    key_table t;
};

ana_hists *ana_hists_new(void)
{
    return xcalloc(1, sizeof(ana_hists));
}

void ana_hists_free(ana_hists *h)
{
    if (!h)
        return;
    ktab_deinit(&h->t);
    free(h);
}

int ana_hists_add(ana_hists *h, const char *name, const char *entity,
                  const char *unit, size_t bucket, double count)
{
    if (bucket >= ANA_HIST_BUCKETS || !isfinite(count) || count < 0)
        return -1;
    ktab_get(&h->t, name, entity, unit, ANA_HIST_BUCKETS, 0.0)->v[bucket] +=
        count;
    return 0;
}

static void pool_bucket(void *ctx, const char *name, const char *entity,
                        const char *unit, size_t bucket, double count)
{
    (void)ana_hists_add(ctx, name, entity, unit, bucket, count);
}

void ana_hists_add_metrics(ana_hists *h, const ana_metrics *m)
{
    ana_metrics_hist_rows(m, pool_bucket, h);
}

void ana_hists_rows(const ana_hists *h, ana_hist_fn fn, void *ctx)
{
    for (size_t i = 0; i < h->t.n; i++) {
        const key_row *e = &h->t.k[i];

        for (size_t b = 0; b < ANA_HIST_BUCKETS; b++)
            if (e->v[b] > 0)
                fn(ctx, e->str, e->str + e->off_entity, e->str + e->off_unit,
                   b, e->v[b]);
    }
}
