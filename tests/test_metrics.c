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
    CU_ASSERT_EQUAL_FATAL(rs.n, 2 + 1 + 4 + 1 + 5);
    check_row(&rs, 0, "empty.n", "", "1", 0);
    check_row(&rs, 1, "empty.mean", "", "s", NAN);
    check_row(&rs, 2, "msgs", "so:1", "1", 3);
    check_row(&rs, 3, "one.n", "so:1", "1", 1);
    check_row(&rs, 4, "one.mean", "so:1", "s", 4.5);
    check_row(&rs, 5, "one.min", "so:1", "s", 4.5);
    check_row(&rs, 6, "one.max", "so:1", "s", 4.5);
    check_row(&rs, 7, "unset", "", "s", NAN);
    check_row(&rs, 8, "a_rather_long_metric_name.n", "", "1", 2);
    check_row(&rs, 9, "a_rather_long_metric_name.mean", "", "B", 15);
    check_row(&rs, 10, "a_rather_long_metric_name.sd", "", "B", sqrt(50.0));
    check_row(&rs, 11, "a_rather_long_metric_name.min", "", "B", 10);
    check_row(&rs, 12, "a_rather_long_metric_name.max", "", "B", 20);

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
    return 0;
}

CUTEST_MAIN(register_tests)
