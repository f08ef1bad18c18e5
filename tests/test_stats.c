/* test_stats.c — Welford against hand-computed moments, Chan's merge
 * against one pass, time-weighted averages on the ns clock, and
 * replication summaries against published Student-t quantiles. */
#include <math.h>
#include <stdio.h>
#include "cutest.h"
#include "stats.h"

#define CLOSE(a, b, tol) CU_ASSERT(fabs((a) - (b)) <= (tol))

static void test_welford_basic(void)
{
    static const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    ana_welford w;

    ana_welford_init(&w);
    CU_ASSERT_EQUAL(w.n, 0);
    CU_ASSERT(isnan(ana_welford_var(&w)));
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        ana_welford_add(&w, x[i]);
    CU_ASSERT_EQUAL(w.n, 8);
    CLOSE(w.mean, 5.0, 1e-15);
    CLOSE(ana_welford_var(&w), 32.0 / 7.0, 1e-14);
    CLOSE(ana_welford_sd(&w), sqrt(32.0 / 7.0), 1e-14);
    CU_ASSERT_EQUAL(w.min, 2.0);
    CU_ASSERT_EQUAL(w.max, 9.0);
}

static void test_welford_one(void)
{
    ana_welford w;

    ana_welford_init(&w);
    ana_welford_add(&w, -3.5);
    CU_ASSERT_EQUAL(w.n, 1);
    CU_ASSERT_EQUAL(w.mean, -3.5);
    CU_ASSERT_EQUAL(w.min, -3.5);
    CU_ASSERT_EQUAL(w.max, -3.5);
    CU_ASSERT(isnan(ana_welford_var(&w)));
    CU_ASSERT(isnan(ana_welford_sd(&w)));
}

/* The classic catastrophic-cancellation case: a large offset. */
static void test_welford_stable(void)
{
    static const double d[] = {4, 7, 13, 16};
    ana_welford w;

    ana_welford_init(&w);
    for (int i = 0; i < 4; i++)
        ana_welford_add(&w, 1e9 + d[i]);
    CLOSE(w.mean, 1e9 + 10, 1e-6);
    CLOSE(ana_welford_var(&w), 30.0, 1e-6);
}

static void test_welford_merge(void)
{
    ana_welford all, a, b, e;
    double x;

    ana_welford_init(&all);
    ana_welford_init(&a);
    ana_welford_init(&b);
    ana_welford_init(&e);
    for (int i = 0; i < 1000; i++) {
        x = sin(i) * 100.0 + (i % 7);
        ana_welford_add(&all, x);
        ana_welford_add(i < 300 ? &a : &b, x);
    }
    ana_welford_merge(&a, &b);
    CU_ASSERT_EQUAL(a.n, all.n);
    CLOSE(a.mean, all.mean, 1e-12);
    CLOSE(ana_welford_var(&a), ana_welford_var(&all), 1e-9);
    CU_ASSERT_EQUAL(a.min, all.min);
    CU_ASSERT_EQUAL(a.max, all.max);

    /* Empty on either side. */
    ana_welford_merge(&a, &e);
    CU_ASSERT_EQUAL(a.n, all.n);
    CLOSE(a.mean, all.mean, 1e-12);
    ana_welford_merge(&e, &all);
    CU_ASSERT_EQUAL(e.n, all.n);
    CU_ASSERT_EQUAL(e.mean, all.mean);
    CU_ASSERT_EQUAL(e.m2, all.m2);

    /* Self-merge doubles every sample. */
    ana_welford_init(&a);
    ana_welford_add(&a, 1.0);
    ana_welford_add(&a, 3.0);
    ana_welford_merge(&a, &a);
    CU_ASSERT_EQUAL(a.n, 4);
    CLOSE(a.mean, 2.0, 1e-15);
    CLOSE(ana_welford_var(&a), 4.0 / 3.0, 1e-15);
}

static void test_twa_basic(void)
{
    ana_twa a;

    ana_twa_init(&a, 0, 0.0);
    CU_ASSERT(isnan(ana_twa_mean(&a, 0)));
    ana_twa_set(&a, 1 * SIM_S, 2.0);
    ana_twa_set(&a, 3 * SIM_S, 1.0);
    /* (0*1 + 2*2 + 1*1) / 4 */
    CLOSE(ana_twa_mean(&a, 4 * SIM_S), 1.25, 1e-15);
    /* Several changes at one instant: only the last level counts. */
    ana_twa_set(&a, 4 * SIM_S, 100.0);
    ana_twa_set(&a, 4 * SIM_S, 3.0);
    CLOSE(ana_twa_mean(&a, 8 * SIM_S), (5.0 + 12.0) / 8.0, 1e-15);

    /* End of warm-up: the level is kept, the past forgotten. */
    ana_twa_reset(&a, 8 * SIM_S);
    CU_ASSERT(isnan(ana_twa_mean(&a, 8 * SIM_S)));
    CLOSE(ana_twa_mean(&a, 10 * SIM_S), 3.0, 1e-15);
    ana_twa_set(&a, 9 * SIM_S + 500 * SIM_MS, 0.0);
    CLOSE(ana_twa_mean(&a, 10 * SIM_S), 4.5 / 2.0, 1e-15);

    /* A start other than 0. */
    ana_twa_init(&a, 5 * SIM_MS, 7.0);
    CLOSE(ana_twa_mean(&a, 6 * SIM_MS), 7.0, 1e-15);
}

/* Twenty years of hourly changes late in int64 time: the
 * clock differences are exact integers, the average stays exact-ish. */
static void test_twa_long(void)
{
    ana_twa a;
    sim_time t0 = INT64_MAX / 2, t = t0;
    const sim_time step = SIM_HOUR + 1;     /* not a round number */
    const int steps = 8760 * 20;            /* twenty years */

    ana_twa_init(&a, t0, 0.0);
    for (int i = 0; i < steps; i++) {
        t += step;
        ana_twa_set(&a, t, (double)((i + 1) % 2));
    }
    CLOSE(ana_twa_mean(&a, t), 0.5, 1e-12);
    CU_ASSERT_EQUAL(a.last, t);
    CLOSE(a.area / (0.5 * sim_time_to_s(t - t0)), 1.0, 1e-12);
}

static void test_t_quantile(void)
{
    /* Values from standard t tables (two-sided). */
    CLOSE(ana_t_quantile(0.95, 1), 12.706204736174698, 1e-9);
    CLOSE(ana_t_quantile(0.95, 4), 2.7764451051977934, 1e-9);
    CLOSE(ana_t_quantile(0.95, 10), 2.2281388519649385, 1e-9);
    CLOSE(ana_t_quantile(0.99, 5), 4.032142983557536, 1e-9);
    CLOSE(ana_t_quantile(0.90, 29), 1.6991270265334977, 1e-9);
    CLOSE(ana_t_quantile(0.95, 1000000), 1.959963984540054, 1e-5);
    CU_ASSERT(isnan(ana_t_quantile(0.95, 0)));
    CU_ASSERT(isnan(ana_t_quantile(1.0, 5)));
    CU_ASSERT(isnan(ana_t_quantile(0.0, 5)));
    CU_ASSERT(isnan(ana_t_quantile(NAN, 5)));
}

static void test_summarize(void)
{
    static const double x[] = {1, 2, 3, 4, 5};
    ana_summary s;
    double half = 2.7764451051977934 * sqrt(2.5) / sqrt(5.0);

    CU_ASSERT_EQUAL(ana_summarize(x, 5, 0.95, &s), 0);
    CU_ASSERT_EQUAL(s.n, 5);
    CLOSE(s.mean, 3.0, 1e-15);
    CLOSE(s.sd, sqrt(2.5), 1e-15);
    CLOSE(s.ci_lo, 3.0 - half, 1e-9);
    CLOSE(s.ci_hi, 3.0 + half, 1e-9);
    CU_ASSERT_EQUAL(s.min, 1.0);
    CU_ASSERT_EQUAL(s.max, 5.0);
}

static void test_summarize_nan(void)
{
    static const double x[] = {NAN, 1.0, NAN, 3.0, NAN};
    static const double one[] = {NAN, 7.25};
    static const double none[] = {NAN, NAN};
    static const double same[] = {4.0, 4.0, 4.0};
    ana_summary s;

    CU_ASSERT_EQUAL(ana_summarize(x, 5, 0.95, &s), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CLOSE(s.mean, 2.0, 1e-15);
    CLOSE(s.sd, sqrt(2.0), 1e-15);
    CU_ASSERT_EQUAL(s.min, 1.0);
    CU_ASSERT_EQUAL(s.max, 3.0);
    CLOSE(s.ci_hi - s.mean, 12.706204736174698 * 1.0, 1e-9);

    /* n == 1: mean/min/max, no spread. */
    CU_ASSERT_EQUAL(ana_summarize(one, 2, 0.95, &s), 0);
    CU_ASSERT_EQUAL(s.n, 1);
    CU_ASSERT_EQUAL(s.mean, 7.25);
    CU_ASSERT_EQUAL(s.min, 7.25);
    CU_ASSERT_EQUAL(s.max, 7.25);
    CU_ASSERT(isnan(s.sd));
    CU_ASSERT(isnan(s.ci_lo));
    CU_ASSERT(isnan(s.ci_hi));

    /* Nothing to summarise. */
    CU_ASSERT_EQUAL(ana_summarize(none, 2, 0.95, &s), -1);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT(isnan(s.mean));
    CU_ASSERT_EQUAL(ana_summarize(NULL, 0, 0.95, &s), -1);
    CU_ASSERT_EQUAL(s.n, 0);

    /* Zero spread: a degenerate but exact interval. */
    CU_ASSERT_EQUAL(ana_summarize(same, 3, 0.95, &s), 0);
    CU_ASSERT_EQUAL(s.sd, 0.0);
    CU_ASSERT_EQUAL(s.ci_lo, 4.0);
    CU_ASSERT_EQUAL(s.ci_hi, 4.0);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("stats", NULL, NULL);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_welford_basic);
    CUTEST_ADD(s, test_welford_one);
    CUTEST_ADD(s, test_welford_stable);
    CUTEST_ADD(s, test_welford_merge);
    CUTEST_ADD(s, test_twa_basic);
    CUTEST_ADD(s, test_twa_long);
    CUTEST_ADD(s, test_t_quantile);
    CUTEST_ADD(s, test_summarize);
    CUTEST_ADD(s, test_summarize_nan);
    return 0;
}

CUTEST_MAIN(register_tests)
