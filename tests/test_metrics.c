/* test_metrics.c — the metric registry (dense ids, re-registration,
 * counters/values/samples, emitted rows) and the results table (first-seen
 * key order, sparse and out-of-order replications), including a 10^6-key
 * registration that would time out with a linear lookup. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "metrics.h"

/* Rows captured from ana_metrics_rows. */
typedef struct row {
    char name[64], entity[32], unit[16];
    double value;
} row;

typedef struct rows {
    row r[64];
    size_t n;
} rows;

static void collect(void *ctx, const char *name, const char *entity,
                    const char *unit, double value)
{
    rows *rs = ctx;

    if (rs->n >= sizeof rs->r / sizeof rs->r[0])
        return;
    snprintf(rs->r[rs->n].name, sizeof rs->r[0].name, "%s", name);
    snprintf(rs->r[rs->n].entity, sizeof rs->r[0].entity, "%s", entity);
    snprintf(rs->r[rs->n].unit, sizeof rs->r[0].unit, "%s", unit);
    rs->r[rs->n].value = value;
    rs->n++;
}

static void check_row(const rows *rs, size_t i, const char *name,
                      const char *entity, const char *unit, double value)
{
    CU_ASSERT_FATAL(i < rs->n);
    CU_ASSERT_STRING_EQUAL(rs->r[i].name, name);
    CU_ASSERT_STRING_EQUAL(rs->r[i].entity, entity);
    CU_ASSERT_STRING_EQUAL(rs->r[i].unit, unit);
    if (isnan(value)) {
        CU_ASSERT(isnan(rs->r[i].value));
    } else {
        CU_ASSERT(fabs(rs->r[i].value - value) <= 1e-12 * fabs(value));
    }
}

static void test_register(void)
{
    ana_metrics *m = ana_metrics_new();
    int a, b, c;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    a = ana_metric_reg(m, "msgs", "", "1", ANA_COUNTER);
    b = ana_metric_reg(m, "msgs", "so:3", "1", ANA_COUNTER);
    c = ana_metric_reg(m, "delay", "", "s", ANA_SAMPLES);
    CU_ASSERT_EQUAL(a, 0);
    CU_ASSERT_EQUAL(b, 1);
    CU_ASSERT_EQUAL(c, 2);
    CU_ASSERT_EQUAL(ana_metric_reg(m, "msgs", "so:3", "1", ANA_COUNTER), 1);
    CU_ASSERT_EQUAL(ana_metric_reg(m, "msgs", "", "1", ANA_COUNTER), 0);
    CU_ASSERT_EQUAL(ana_metric_reg(m, "delay", "", "s", ANA_SAMPLES), 2);
    /* The separator matters: ("ab","c") is not ("a","bc"). */
    CU_ASSERT_EQUAL(ana_metric_reg(m, "ab", "c", "1", ANA_COUNTER), 3);
    CU_ASSERT_EQUAL(ana_metric_reg(m, "a", "bc", "1", ANA_COUNTER), 4);
    ana_metrics_free(m);
    ana_metrics_free(NULL);
}

static void test_update(void)
{
    ana_metrics *m = ana_metrics_new();
    int cnt, val, smp;
    const ana_welford *w;
    char name[16];

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    snprintf(name, sizeof name, "bytes");
    cnt = ana_metric_reg(m, name, "", "B", ANA_COUNTER);
    strcpy(name, "XXXXX");              /* strings were copied */
    val = ana_metric_reg(m, "W.mm1", "so:0", "s", ANA_VALUE);
    smp = ana_metric_reg(m, "delay", "", "s", ANA_SAMPLES);

    CU_ASSERT_EQUAL(ana_metric_get(m, cnt), 0.0);
    CU_ASSERT(isnan(ana_metric_get(m, val)));      /* not set yet */
    CU_ASSERT(isnan(ana_metric_get(m, smp)));      /* no samples  */
    CU_ASSERT_PTR_NULL(ana_metric_samples(m, cnt));
    w = ana_metric_samples(m, smp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(w->n, 0);

    ana_metric_add(m, cnt, 100);
    ana_metric_add(m, cnt, 28);
    ana_metric_set(m, val, 2.5);
    ana_metric_set(m, val, 2.6087);
    ana_metric_add(m, smp, 1.0);
    ana_metric_add(m, smp, 2.0);
    ana_metric_add(m, smp, 6.0);
    CU_ASSERT_EQUAL(ana_metric_get(m, cnt), 128.0);
    CU_ASSERT_EQUAL(ana_metric_get(m, val), 2.6087);
    CU_ASSERT_EQUAL(ana_metric_get(m, smp), 3.0);
    CU_ASSERT_EQUAL(w->n, 3);
    CU_ASSERT_EQUAL(w->min, 1.0);
    CU_ASSERT_EQUAL(w->max, 6.0);
    ana_metrics_free(m);
}

static void test_rows(void)
{
    ana_metrics *m = ana_metrics_new();
    rows rs = {.n = 0};
    int s0, s1, s2, c, v;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    s0 = ana_metric_reg(m, "empty", "", "s", ANA_SAMPLES);
    c = ana_metric_reg(m, "msgs", "so:1", "1", ANA_COUNTER);
    s1 = ana_metric_reg(m, "one", "so:1", "s", ANA_SAMPLES);
    v = ana_metric_reg(m, "unset", "", "s", ANA_VALUE);
    s2 = ana_metric_reg(m, "a_rather_long_metric_name", "", "B", ANA_SAMPLES);
    (void)s0;
    (void)v;
    ana_metric_add(m, c, 3);
    ana_metric_add(m, s1, 4.5);
    ana_metric_add(m, s2, 10);
    ana_metric_add(m, s2, 20);

    ana_metrics_rows(m, collect, &rs);
    /* "one" is a time: its quantile rows follow its ".max"; "empty" (no
     * sample) and the bytes metric have none. */
    CU_ASSERT_EQUAL_FATAL(rs.n, 2 + 1 + 4 + 3 + 1 + 5);
    check_row(&rs, 0, "empty.n", "", "1", 0);
    check_row(&rs, 1, "empty.mean", "", "s", NAN);
    check_row(&rs, 2, "msgs", "so:1", "1", 3);
    check_row(&rs, 3, "one.n", "so:1", "1", 1);
    check_row(&rs, 4, "one.mean", "so:1", "s", 4.5);
    check_row(&rs, 5, "one.min", "so:1", "s", 4.5);
    check_row(&rs, 6, "one.max", "so:1", "s", 4.5);
    check_row(&rs, 7, "one.p50", "so:1", "s", 4.5);
    check_row(&rs, 8, "one.p95", "so:1", "s", 4.5);
    check_row(&rs, 9, "one.p99", "so:1", "s", 4.5);
    check_row(&rs, 10, "unset", "", "s", NAN);
    check_row(&rs, 11, "a_rather_long_metric_name.n", "", "1", 2);
    check_row(&rs, 12, "a_rather_long_metric_name.mean", "", "B", 15);
    check_row(&rs, 13, "a_rather_long_metric_name.sd", "", "B", sqrt(50.0));
    check_row(&rs, 14, "a_rather_long_metric_name.min", "", "B", 10);
    check_row(&rs, 15, "a_rather_long_metric_name.max", "", "B", 20);

    /* An empty registry emits nothing. */
    ana_metrics_free(m);
    m = ana_metrics_new();
    rs.n = 0;
    ana_metrics_rows(m, collect, &rs);
    CU_ASSERT_EQUAL(rs.n, 0);
    ana_metrics_free(m);
}

/* 10^6 per-node metrics: registration and re-registration stay O(1). */
static void test_many(void)
{
    enum { N = 1000000 };
    ana_metrics *m = ana_metrics_new();
    char ent[32];
    int ok = 1;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (int i = 0; i < N; i++) {
        snprintf(ent, sizeof ent, "node:%d", i);
        ok &= ana_metric_reg(m, "tx", ent, "1", ANA_COUNTER) == i;
    }
    CU_ASSERT(ok);
    for (int i = N - 1; i >= 0; i--) {
        snprintf(ent, sizeof ent, "node:%d", i);
        ok &= ana_metric_reg(m, "tx", ent, "1", ANA_COUNTER) == i;
        ana_metric_add(m, i, i);
    }
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(ana_metric_get(m, 123456), 123456.0);
    CU_ASSERT_EQUAL(ana_metric_reg(m, "rx", "node:0", "1", ANA_COUNTER), N);
    ana_metrics_free(m);
}

static void test_results(void)
{
    ana_results *r = ana_results_new();
    const char *name, *entity, *unit;
    const double *v;
    size_t n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(ana_results_nkeys(r), 0);
    /* Replication 2 first, 0 later, 1 never for "b"; 4 only for "c". */
    CU_ASSERT_EQUAL(ana_results_add(r, 2, "delay", "", "s", 1.5), 0);
    CU_ASSERT_EQUAL(ana_results_add(r, 2, "msgs", "so:1", "1", 7), 0);
    CU_ASSERT_EQUAL(ana_results_add(r, 0, "delay", "", "s", 0.5), 0);
    CU_ASSERT_EQUAL(ana_results_add(r, 1, "delay", "", "s", 1.0), 0);
    CU_ASSERT_EQUAL(ana_results_add(r, 0, "msgs", "so:1", "1", 5), 0);
    CU_ASSERT_EQUAL(ana_results_add(r, 4, "late", "", "1", 9), 0);
    /* Same name and entity, another unit: another key. */
    CU_ASSERT_EQUAL(ana_results_add(r, 0, "delay", "", "ms", 500), 0);

    CU_ASSERT_EQUAL_FATAL(ana_results_nkeys(r), 4);

    ana_results_key(r, 0, &name, &entity, &unit, &v, &n);
    CU_ASSERT_STRING_EQUAL(name, "delay");
    CU_ASSERT_STRING_EQUAL(entity, "");
    CU_ASSERT_STRING_EQUAL(unit, "s");
    CU_ASSERT_EQUAL_FATAL(n, 5);
    CU_ASSERT_EQUAL(v[0], 0.5);
    CU_ASSERT_EQUAL(v[1], 1.0);
    CU_ASSERT_EQUAL(v[2], 1.5);
    CU_ASSERT(isnan(v[3]) && isnan(v[4]));

    ana_results_key(r, 1, &name, &entity, &unit, &v, &n);
    CU_ASSERT_STRING_EQUAL(name, "msgs");
    CU_ASSERT_STRING_EQUAL(entity, "so:1");
    CU_ASSERT_STRING_EQUAL(unit, "1");
    CU_ASSERT_EQUAL_FATAL(n, 5);
    CU_ASSERT_EQUAL(v[0], 5.0);
    CU_ASSERT(isnan(v[1]));
    CU_ASSERT_EQUAL(v[2], 7.0);
    CU_ASSERT(isnan(v[3]) && isnan(v[4]));

    ana_results_key(r, 2, &name, &entity, &unit, &v, &n);
    CU_ASSERT_STRING_EQUAL(name, "late");
    CU_ASSERT_EQUAL_FATAL(n, 5);
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT(isnan(v[i]));
    CU_ASSERT_EQUAL(v[4], 9.0);

    ana_results_key(r, 3, &name, &entity, &unit, &v, &n);
    CU_ASSERT_STRING_EQUAL(name, "delay");
    CU_ASSERT_STRING_EQUAL(unit, "ms");
    CU_ASSERT_EQUAL(v[0], 500.0);

    /* Growth past the current capacity keeps earlier values. */
    CU_ASSERT_EQUAL(ana_results_add(r, 100, "msgs", "so:1", "1", 11), 0);
    ana_results_key(r, 1, &name, &entity, &unit, &v, &n);
    CU_ASSERT_EQUAL_FATAL(n, 101);
    CU_ASSERT_EQUAL(v[0], 5.0);
    CU_ASSERT_EQUAL(v[2], 7.0);
    CU_ASSERT(isnan(v[99]));
    CU_ASSERT_EQUAL(v[100], 11.0);
    ana_results_key(r, 2, &name, &entity, &unit, &v, &n);
    CU_ASSERT_EQUAL(n, 101);
    CU_ASSERT_EQUAL(v[4], 9.0);
    CU_ASSERT(isnan(v[100]));

    /* Re-adding a replication overwrites. */
    CU_ASSERT_EQUAL(ana_results_add(r, 0, "delay", "", "s", 0.25), 0);
    ana_results_key(r, 0, &name, &entity, &unit, &v, &n);
    CU_ASSERT_EQUAL(v[0], 0.25);
    CU_ASSERT_EQUAL(ana_results_nkeys(r), 4);

    ana_results_free(r);
    ana_results_free(NULL);
}

/* ana_results_summary: the key's summary and unit; -1 when the name or
 * the entity differs, or every value is NaN. */
static void test_results_summary(void)
{
    ana_results *r = ana_results_new();
    ana_summary s;
    const char *unit = NULL;

    ana_results_add(r, 0, "delay", "so:0", "s", 1.0);
    ana_results_add(r, 1, "delay", "so:0", "s", 3.0);
    ana_results_add(r, 0, "gone", "", "1", NAN);
    CU_ASSERT_EQUAL(ana_results_summary(r, "delay", "so:0", 0.95, &s, &unit),
                    0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_DOUBLE_EQUAL(s.mean, 2.0, 1e-12);
    CU_ASSERT_STRING_EQUAL(unit, "s");
    CU_ASSERT_EQUAL(ana_results_summary(r, "delay", "", 0.95, &s, NULL), -1);
    CU_ASSERT_EQUAL(ana_results_summary(r, "delays", "so:0", 0.95, &s, NULL),
                    -1);
    CU_ASSERT_EQUAL(ana_results_summary(r, "gone", "", 0.95, &s, NULL), -1);
    ana_results_free(r);
}

static void test_results_many(void)
{
    enum { K = 200000, R = 10 };
    ana_results *r = ana_results_new();
    const char *name, *entity, *unit;
    const double *v;
    size_t n;
    char ent[32];
    int ok = 1;

    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (uint32_t rep = 0; rep < R; rep++)
        for (int i = 0; i < K; i++) {
            snprintf(ent, sizeof ent, "node:%d", i);
            ana_results_add(r, R - 1 - rep, "tx", ent, "1", i + rep);
        }
    CU_ASSERT_EQUAL_FATAL(ana_results_nkeys(r), K);
    for (int i = 0; i < K; i += 997) {
        ana_results_key(r, (size_t)i, &name, &entity, &unit, &v, &n);
        snprintf(ent, sizeof ent, "node:%d", i);
        ok &= strcmp(entity, ent) == 0 && n == R &&
              v[0] == i + R - 1 && v[R - 1] == i;
    }
    CU_ASSERT(ok);
    ana_results_free(r);
}

/* ---- Time series (--series, kmsim extension) ---- */

#define SEC 1000000000LL

/* One row of a series, as ana_series_opts.row hands it over. */
typedef struct srow {
    int64_t t0, t1;
    char name[32], entity[16], unit[16], stat[8];
    double value;
} srow;

typedef struct srows {
    srow r[256];
    size_t n;
} srows;

static void scollect(void *ctx, int64_t t0, int64_t t1, const char *name,
                     const char *entity, const char *unit, const char *stat,
                     double value)
{
    srows *rs = ctx;
    srow *r;

    if (rs->n >= sizeof rs->r / sizeof rs->r[0])
        return;
    r = &rs->r[rs->n++];
    r->t0 = t0;
    r->t1 = t1;
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->entity, sizeof r->entity, "%s", entity);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    snprintf(r->stat, sizeof r->stat, "%s", stat);
    r->value = value;
}

static int64_t fake_clock(const void *ctx)
{
    return *(const int64_t *)ctx;
}

/* The value of (name, stat) in interval [t0, ...), or NaN; *found (if
 * given) counts the matching rows. */
static double sget(const srows *rs, const char *name, const char *entity,
                   const char *stat, int64_t t0, int *found)
{
    double v = NAN;

    if (found)
        *found = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->r[i].name, name) &&
            !strcmp(rs->r[i].entity, entity) &&
            !strcmp(rs->r[i].stat, stat) && rs->r[i].t0 == t0) {
            v = rs->r[i].value;
            if (found)
                (*found)++;
        }
    return v;
}

static void series_opts(ana_series_opts *o, const char *pat, int64_t *clk,
                        srows *rs)
{
    memset(o, 0, sizeof *o);
    o->interval = 10 * SEC;
    o->end = 35 * SEC;
    o->metrics = pat;
    o->now = fake_clock;
    o->now_ctx = clk;
    o->row = scollect;
    o->row_ctx = rs;
}

/* Counters: intervals [0,10) [10,20) [20,30) [30,35); an op exactly at
 * 10 s belongs to the second; an interval is written once an op passes
 * its end (not before); an interval with no op writes sum 0; the value
 * before the start counts in the first interval; finish cuts at 35 s. */
static void test_series_counter(void)
{
    ana_metrics *m = ana_metrics_new();
    ana_series_opts o;
    srows rs = {.n = 0};
    int64_t clk = 0;
    int c, other, f;

    c = ana_metric_reg(m, "c", "", "msg", ANA_COUNTER);
    other = ana_metric_reg(m, "d", "", "msg", ANA_COUNTER);
    ana_metric_add(m, c, 2);              /* before the series began */
    series_opts(&o, "c", &clk, &rs);
    CU_ASSERT_EQUAL(ana_series_start(m, &o), 0);
    CU_ASSERT_EQUAL(ana_series_entries(m), 1);   /* d not selected */
    ana_metric_add(m, c, 1);
    clk = 9 * SEC;
    ana_metric_add(m, c, 1);
    ana_metric_add(m, other, 7);
    CU_ASSERT_EQUAL(rs.n, 0);             /* nothing before 10 s passes */
    clk = 10 * SEC;                       /* exactly at the boundary */
    ana_metric_add(m, c, 5);
    CU_ASSERT_EQUAL(rs.n, 2);             /* [0,10): sum and rate */
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "c", "", "sum", 0, &f), 4, 1e-12);
    CU_ASSERT_EQUAL(f, 1);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "c", "", "rate", 0, NULL), 0.4, 1e-12);
    CU_ASSERT_EQUAL(sget(&rs, "c", "", "sum", 10 * SEC, &f) == 5, 0);
    CU_ASSERT_EQUAL(f, 0);                /* [10,20) still open */
    clk = 25 * SEC;
    ana_metric_add(m, c, 1);
    ana_series_finish(m, 35 * SEC);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "c", "", "sum", 10 * SEC, NULL), 5,
                           1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "c", "", "sum", 20 * SEC, NULL), 1,
                           1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "c", "", "sum", 30 * SEC, &f), 0,
                           1e-12);                /* no op: still a row */
    CU_ASSERT_EQUAL(f, 1);
    CU_ASSERT_EQUAL(rs.r[rs.n - 1].t1, 35 * SEC); /* the last one cut */
    CU_ASSERT_DOUBLE_EQUAL(rs.r[rs.n - 1].value, 0, 1e-12);
    CU_ASSERT_STRING_EQUAL(rs.r[rs.n - 1].unit, "msg/s");
    CU_ASSERT_EQUAL(rs.n, 8);
    CU_ASSERT_EQUAL(ana_series_rows(m), 8);
    /* the registry itself is untouched: 2 + 1 + 1 + 5 + 1 */
    CU_ASSERT_DOUBLE_EQUAL(ana_metric_get(m, c), 10, 1e-12);
    clk = 34 * SEC;                       /* after finish: nothing */
    ana_metric_add(m, c, 1);
    CU_ASSERT_EQUAL(rs.n, 8);
    ana_metrics_free(m);
}

/* Levels: a series-only level moved by deltas and a registry VALUE set
 * once: end value, time-weighted mean over the time it was known, max;
 * an interval with no op carries the level. */
static void test_series_level(void)
{
    ana_metrics *m = ana_metrics_new();
    ana_series_opts o;
    srows rs = {.n = 0};
    int64_t clk = 0;
    int q, v;

    v = ana_metric_reg(m, "v", "", "B", ANA_VALUE);
    series_opts(&o, "q@so:*,v", &clk, &rs);
    CU_ASSERT_EQUAL(ana_series_start(m, &o), 0);
    q = ana_series_reg(m, "q", "so:0", "req", ANA_VALUE);
    CU_ASSERT(q >= 0);
    CU_ASSERT_EQUAL(ana_series_reg(m, "q", "", "req", ANA_VALUE), -1);
    CU_ASSERT_EQUAL(ana_series_reg(m, "x", "so:0", "req", ANA_COUNTER), -1);
    ana_series_add(m, -1, 3);             /* unselected: nothing */
    clk = 2 * SEC;
    ana_series_add(m, q, 1);
    clk = 5 * SEC;
    ana_metric_set(m, v, 4);
    clk = 6 * SEC;
    ana_series_add(m, q, 1);
    ana_series_add_at(m, q, -2, 8 * SEC); /* at its own time */
    clk = 21 * SEC;
    ana_series_add(m, q, 3);
    ana_series_finish(m, 35 * SEC);
    /* [0,10): 1 x 4 s + 2 x 2 s + 0 x 4 s = 8 over 10 s */
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "so:0", "mean", 0, NULL), 0.8,
                           1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "so:0", "max", 0, NULL), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "so:0", "end", 0, NULL), 0, 0);
    /* v known from 5 s: its mean over [5,10) */
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "v", "", "mean", 0, NULL), 4, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "v", "", "end", 10 * SEC, NULL), 4, 0);
    /* [10,20): no op, level 0 throughout */
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "so:0", "mean", 10 * SEC, NULL), 0,
                           0);
    /* [20,30): 0 for 1 s, then 3 for 9 s */
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "so:0", "mean", 20 * SEC, NULL),
                           2.7, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "so:0", "max", 20 * SEC, NULL), 3,
                           0);
    /* [30,35): the level carried, the interval cut at the end */
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "so:0", "mean", 30 * SEC, NULL), 3,
                           1e-12);
    ana_metrics_free(m);
}

/* Samples: n and mean per interval; an interval with none has n 0 and no
 * mean row; a run that stops early (finish before o.end) cuts there. */
static void test_series_samples(void)
{
    ana_metrics *m = ana_metrics_new();
    ana_series_opts o;
    srows rs = {.n = 0};
    int64_t clk = 0;
    int d, f;

    series_opts(&o, "d*", &clk, &rs);
    CU_ASSERT_EQUAL(ana_series_start(m, &o), 0);
    d = ana_metric_reg(m, "delay", "", "s", ANA_SAMPLES);  /* after start */
    clk = 1 * SEC;
    ana_metric_add(m, d, 1);
    clk = 3 * SEC;
    ana_metric_add(m, d, 3);
    ana_series_finish(m, 25 * SEC);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "delay", "", "n", 0, NULL), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "delay", "", "mean", 0, NULL), 2,
                           1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "delay", "", "n", 10 * SEC, NULL), 0,
                           0);
    sget(&rs, "delay", "", "mean", 10 * SEC, &f);
    CU_ASSERT_EQUAL(f, 0);
    CU_ASSERT_EQUAL(rs.r[rs.n - 1].t0, 20 * SEC);
    CU_ASSERT_EQUAL(rs.r[rs.n - 1].t1, 25 * SEC);
    ana_metrics_free(m);
}

/* A log registry stores each op's time: replayed later, with the clock
 * elsewhere, the op lands in the interval it was made in. */
static void test_series_log(void)
{
    ana_metrics *m = ana_metrics_new(), *log;
    ana_series_opts o;
    srows rs = {.n = 0};
    int64_t clk = 0;
    int c, q;

    c = ana_metric_reg(m, "c", "", "msg", ANA_COUNTER);
    series_opts(&o, "c,q", &clk, &rs);
    CU_ASSERT_EQUAL(ana_series_start(m, &o), 0);
    q = ana_series_reg(m, "q", "", "req", ANA_VALUE);
    log = ana_metrics_new_log(m);
    CU_ASSERT(ana_series_on(log));
    clk = 12 * SEC;
    ana_metric_add(log, c, 1);
    ana_series_add(log, q, 2);
    clk = 0;                              /* the replay's clock differs */
    CU_ASSERT_EQUAL(rs.n, 0);
    ana_metrics_log_apply(m, log, 0, ana_metrics_log_len(log));
    ana_series_finish(m, 35 * SEC);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "c", "", "sum", 0, NULL), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "c", "", "sum", 10 * SEC, NULL), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(sget(&rs, "q", "", "mean", 10 * SEC, NULL), 1.6,
                           1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ana_metric_get(m, c), 1, 0);
    ana_metrics_free(log);
    ana_metrics_free(m);
}

/* Bad starts and patterns. */
static void test_series_bad(void)
{
    ana_metrics *m = ana_metrics_new();
    ana_series_opts o;
    srows rs = {.n = 0};
    int64_t clk = 0;
    char err[128];

    series_opts(&o, "a", &clk, &rs);
    o.interval = 0;
    CU_ASSERT_EQUAL(ana_series_start(m, &o), -1);
    o.interval = 10;
    o.metrics = "a,,b";
    CU_ASSERT_EQUAL(ana_series_start(m, &o), -1);
    CU_ASSERT_FALSE(ana_series_on(m));
    CU_ASSERT_EQUAL(ana_series_check_patterns("a,,b", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ana_series_check_patterns("a@", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ana_series_check_patterns("", err, sizeof err), -1);
    CU_ASSERT_EQUAL(ana_series_check_patterns("a.*@so:1,b", err, sizeof err),
                    0);
    CU_ASSERT_EQUAL(ana_series_reg(m, "a", "", "1", ANA_COUNTER), -1);
    ana_series_finish(m, 10);             /* off: a no-op */
    ana_metrics_free(m);
}

/* ---- quantiles from the histograms (kmsim extension, issue 23) ---- */

/* Quantile p of metric id, asserting it exists. */
static double q_of(const ana_metrics *m, int id, double p)
{
    double x = NAN;

    CU_ASSERT_EQUAL(ana_metric_quantile(m, id, p, &x), 0);
    return x;
}

/* The bin layout: bucket edges meet, ~1% wide, 1 ns .. 10^6 s. */
static void test_hist_layout(void)
{
    int ok = 1;

    CU_ASSERT(isinf(ana_hist_lo(0)) && ana_hist_lo(0) < 0);
    CU_ASSERT_EQUAL(ana_hist_hi(0), 0.0);
    CU_ASSERT_EQUAL(ana_hist_lo(1), 0.0);
    CU_ASSERT_EQUAL(ana_hist_hi(1), 1e-9);
    CU_ASSERT_EQUAL(ana_hist_lo(ANA_HIST_BUCKETS - 2) < 1e6, 1);
    CU_ASSERT_EQUAL(ana_hist_hi(ANA_HIST_BUCKETS - 2), 1e6);
    CU_ASSERT_EQUAL(ana_hist_lo(ANA_HIST_BUCKETS - 1), 1e6);
    CU_ASSERT(isinf(ana_hist_hi(ANA_HIST_BUCKETS - 1)));
    for (size_t b = 2; b + 1 < ANA_HIST_BUCKETS; b++) {
        double lo = ana_hist_lo(b), hi = ana_hist_hi(b);
        ok &= hi > lo && hi / lo < 1.01 && hi / lo > 1.0099 &&
              ana_hist_lo(b + 1) == hi;
    }
    CU_ASSERT(ok);
}

/* Uniform samples on [0, 10 s) (a fine grid): quantiles within 2e-4
 * relative.  Interpolation inside the bin matters here: the bin's lower
 * (or middle) edge would be off by up to 1% (0.5%). */
static void test_quantile_uniform(void)
{
    enum { N = 100000 };
    ana_metrics *m = ana_metrics_new();
    int id = ana_metric_reg(m, "u", "", "s", ANA_SAMPLES);
    static const double p[] = {0.05, 0.5, 0.95, 0.99};

    for (int i = 0; i < N; i++)
        ana_metric_add(m, id, 10.0 * (i + 0.5) / N);
    for (size_t k = 0; k < sizeof p / sizeof *p; k++) {
        double x = q_of(m, id, p[k]);
        CU_ASSERT(fabs(x - 10 * p[k]) <= 2e-4 * 10 * p[k]);
    }
    ana_metrics_free(m);
}

/* Exponential (rate 2/s) samples at its quantiles (i + 0.5) / N: p95 is
 * ln(20) / 2 within one bin width (1%); p50 ln(2) / 2, p99 ln(100) / 2. */
static void test_quantile_exp(void)
{
    enum { N = 100000 };
    ana_metrics *m = ana_metrics_new();
    int id = ana_metric_reg(m, "e", "", "s", ANA_SAMPLES);

    for (int i = 0; i < N; i++)
        ana_metric_add(m, id, -log1p(-(i + 0.5) / N) / 2.0);
    CU_ASSERT(fabs(q_of(m, id, 0.50) - log(2.0) / 2) <= 0.01 * log(2.0) / 2);
    CU_ASSERT(fabs(q_of(m, id, 0.95) - log(20.0) / 2) <= 0.01 * log(20.0) / 2);
    CU_ASSERT(fabs(q_of(m, id, 0.99) - log(100.0) / 2) <=
              0.01 * log(100.0) / 2);
    /* In fact far closer: dense samples, linear interpolation. */
    CU_ASSERT(fabs(q_of(m, id, 0.95) - log(20.0) / 2) <= 1e-3 * log(20.0) / 2);
    ana_metrics_free(m);
}

/* One value, or many values in one bin: the quantiles stay inside the
 * samples' [min, max] (a single value exactly); zero delays are 0. */
static void test_quantile_one_bin(void)
{
    ana_metrics *m = ana_metrics_new();
    int one = ana_metric_reg(m, "one", "", "s", ANA_SAMPLES);
    int bin = ana_metric_reg(m, "bin", "", "s", ANA_SAMPLES);
    int zero = ana_metric_reg(m, "zero", "", "s", ANA_SAMPLES);
    int none = ana_metric_reg(m, "none", "", "s", ANA_SAMPLES);
    int bytes = ana_metric_reg(m, "bytes", "", "B", ANA_SAMPLES);
    double x;

    ana_metric_add(m, one, 3.7);
    CU_ASSERT_EQUAL(q_of(m, one, 0.5), 3.7);
    CU_ASSERT_EQUAL(q_of(m, one, 0.99), 3.7);
    /* 1.0000 .. 1.0049 s: one bin [0.99.., 1.00..) or two at most */
    for (int i = 0; i < 50; i++)
        ana_metric_add(m, bin, 1.0 + i * 1e-4);
    x = q_of(m, bin, 0.5);
    CU_ASSERT(x >= 1.0 && x <= 1.0049 + 1e-12);
    CU_ASSERT(fabs(x - 1.00245) <= 0.01);
    CU_ASSERT(q_of(m, bin, 0.0) >= 1.0);
    CU_ASSERT(q_of(m, bin, 1.0) <= 1.0049 + 1e-12);
    for (int i = 0; i < 10; i++)
        ana_metric_add(m, zero, 0.0);
    CU_ASSERT_EQUAL(q_of(m, zero, 0.5), 0.0);
    CU_ASSERT_EQUAL(q_of(m, zero, 0.99), 0.0);
    CU_ASSERT_EQUAL(ana_metric_quantile(m, none, 0.5, &x), -1);
    ana_metric_add(m, bytes, 10);
    CU_ASSERT_EQUAL(ana_metric_quantile(m, bytes, 0.5, &x), -1);
    ana_metrics_free(m);
}

typedef struct buckets {
    size_t b[16];
    double c[16];
    char name[16][16];
    size_t n;
} buckets;

static void collect_bucket(void *ctx, const char *name, const char *entity,
                           const char *unit, size_t bucket, double count)
{
    buckets *bs = ctx;

    (void)entity;
    CU_ASSERT_STRING_EQUAL(unit, "s");
    if (bs->n >= 16)
        return;
    snprintf(bs->name[bs->n], sizeof bs->name[0], "%s", name);
    bs->b[bs->n] = bucket;
    bs->c[bs->n++] = count;
}

/* Below 0 and at or above 10^6 s: counted in the outer buckets, which the
 * quantiles span as [min, 0) and [10^6 s, max]. */
static void test_quantile_outside(void)
{
    ana_metrics *m = ana_metrics_new();
    int id = ana_metric_reg(m, "o", "", "s", ANA_SAMPLES);
    buckets bs = {.n = 0};
    double x;

    ana_metric_add(m, id, -2.0);
    for (int i = 0; i < 8; i++)
        ana_metric_add(m, id, 1.0);
    ana_metric_add(m, id, 3e6);
    ana_metric_add(m, id, NAN);       /* not binned */
    ana_metrics_hist_rows(m, collect_bucket, &bs);
    CU_ASSERT_EQUAL_FATAL(bs.n, 3);
    CU_ASSERT_EQUAL(bs.b[0], 0);
    CU_ASSERT_EQUAL(bs.c[0], 1);
    CU_ASSERT(ana_hist_lo(bs.b[1]) <= 1.0 && 1.0 < ana_hist_hi(bs.b[1]));
    CU_ASSERT_EQUAL(bs.c[1], 8);
    CU_ASSERT_EQUAL(bs.b[2], ANA_HIST_BUCKETS - 1);
    CU_ASSERT_EQUAL(bs.c[2], 1);
    x = q_of(m, id, 0.05);            /* rank 0.5 of 10: in [-2, 0) */
    CU_ASSERT(x >= -2.0 && x < 0.0);
    CU_ASSERT_DOUBLE_EQUAL(x, -1.0, 1e-12);
    x = q_of(m, id, 0.5);
    CU_ASSERT(fabs(x - 1.0) <= 0.01);
    x = q_of(m, id, 0.95);            /* rank 9.5 of 10: in [1e6, 3e6] */
    CU_ASSERT_DOUBLE_EQUAL(x, 2e6, 1e-3);
    ana_metrics_free(m);
}

/* The exact interpolation: 4 samples in one bin, min and max far away, so
 * the clamp does not hide a wrong formula. */
static void test_quantile_interp(void)
{
    ana_metrics *m = ana_metrics_new();
    int id = ana_metric_reg(m, "i", "", "s", ANA_SAMPLES);
    size_t b = 0;
    double lo, hi, x;
    buckets bs = {.n = 0};

    ana_metric_add(m, id, 1e-3);
    for (int i = 0; i < 4; i++)
        ana_metric_add(m, id, 2.0);
    ana_metric_add(m, id, 100.0);
    ana_metrics_hist_rows(m, collect_bucket, &bs);
    CU_ASSERT_EQUAL_FATAL(bs.n, 3);
    b = bs.b[1];
    lo = ana_hist_lo(b);
    hi = ana_hist_hi(b);
    /* p = 0.5 of 6: rank 3, 1 before the bin: (3 - 1) / 4 of the way */
    x = q_of(m, id, 0.5);
    CU_ASSERT_DOUBLE_EQUAL(x, lo + 0.5 * (hi - lo), 1e-12);
    x = q_of(m, id, 0.25);            /* rank 1.5: 1/8 of the way */
    CU_ASSERT_DOUBLE_EQUAL(x, lo + 0.125 * (hi - lo), 1e-12);
    ana_metrics_free(m);
}

/* A two-thread run's log registry, replayed, gives the same histogram
 * (the log carries the samples; the histogram is fed on replay). */
static void test_quantile_log(void)
{
    ana_metrics *a = ana_metrics_new(), *b = ana_metrics_new(), *log;
    int ia = ana_metric_reg(a, "d", "", "s", ANA_SAMPLES);
    int ib = ana_metric_reg(b, "d", "", "s", ANA_SAMPLES);
    double xa, xb;

    log = ana_metrics_new_log(b);
    for (int i = 1; i <= 1000; i++) {
        ana_metric_add(a, ia, 0.001 * i * i);
        ana_metric_add(log, ib, 0.001 * i * i);
    }
    ana_metrics_log_apply(b, log, 0, ana_metrics_log_len(log));
    CU_ASSERT_EQUAL(ana_metric_quantile(a, ia, 0.95, &xa), 0);
    CU_ASSERT_EQUAL(ana_metric_quantile(b, ib, 0.95, &xb), 0);
    CU_ASSERT_EQUAL(xa, xb);
    ana_metrics_free(log);
    ana_metrics_free(a);
    ana_metrics_free(b);
}

/* Pooling over replications: counts add per (name, entity, unit). */
static void test_hists_pool(void)
{
    ana_hists *h = ana_hists_new();
    ana_metrics *m = ana_metrics_new();
    int id = ana_metric_reg(m, "d", "", "s", ANA_SAMPLES);
    buckets bs = {.n = 0};

    ana_metric_add(m, id, 1.0);
    ana_metric_add(m, id, 2.0);
    ana_hists_add_metrics(h, m);
    ana_hists_add_metrics(h, m);
    CU_ASSERT_EQUAL(ana_hists_add(h, "x", "", "s", ANA_HIST_BUCKETS, 1), -1);
    CU_ASSERT_EQUAL(ana_hists_add(h, "x", "", "s", 5, -1), -1);
    CU_ASSERT_EQUAL(ana_hists_add(h, "x", "", "s", 5, NAN), -1);
    CU_ASSERT_EQUAL(ana_hists_add(h, "x", "", "s", 5, 3), 0);
    ana_hists_rows(h, collect_bucket, &bs);
    CU_ASSERT_EQUAL_FATAL(bs.n, 3);
    CU_ASSERT_STRING_EQUAL(bs.name[0], "d");
    CU_ASSERT_EQUAL(bs.c[0], 2);
    CU_ASSERT_EQUAL(bs.c[1], 2);
    CU_ASSERT(bs.b[0] < bs.b[1]);
    CU_ASSERT_STRING_EQUAL(bs.name[2], "x");
    CU_ASSERT_EQUAL(bs.b[2], 5);
    CU_ASSERT_EQUAL(bs.c[2], 3);
    ana_hists_free(h);
    ana_hists_free(NULL);
    ana_metrics_free(m);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("metrics", NULL, NULL);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_register);
    CUTEST_ADD(s, test_update);
    CUTEST_ADD(s, test_rows);
    CUTEST_ADD(s, test_many);
    CUTEST_ADD(s, test_results);
    CUTEST_ADD(s, test_results_summary);
    CUTEST_ADD(s, test_results_many);
    CUTEST_ADD(s, test_series_counter);
    CUTEST_ADD(s, test_series_level);
    CUTEST_ADD(s, test_series_samples);
    CUTEST_ADD(s, test_series_log);
    CUTEST_ADD(s, test_series_bad);
    CUTEST_ADD(s, test_hist_layout);
    CUTEST_ADD(s, test_quantile_uniform);
    CUTEST_ADD(s, test_quantile_exp);
    CUTEST_ADD(s, test_quantile_one_bin);
    CUTEST_ADD(s, test_quantile_outside);
    CUTEST_ADD(s, test_quantile_interp);
    CUTEST_ADD(s, test_quantile_log);
    CUTEST_ADD(s, test_hists_pool);
    return 0;
}

CUTEST_MAIN(register_tests)
