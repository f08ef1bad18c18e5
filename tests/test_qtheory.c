/* test_qtheory.c — analytic queues against hand-checked values: seed 000's
 * smart-object example, M/G/1 reducing to M/M/1 and M/D/1, Erlang C
 * against textbook M/M/2 and M/M/3 and an independent log-space sum. */
#include <math.h>
#include "cutest.h"
#include "qtheory.h"

#define REL(a, b, tol) CU_ASSERT(fabs((a) - (b)) <= (tol) * fabs(b))

static void check_nan(const ana_queue *q)
{
    CU_ASSERT(isnan(q->L));
    CU_ASSERT(isnan(q->Lq));
    CU_ASSERT(isnan(q->W));
    CU_ASSERT(isnan(q->Wq));
}

/* Little's law and W = Wq + E[S] hold for every stable result. */
static void check_laws(const ana_queue *q, double lambda, double es)
{
    REL(q->L, lambda * q->W, 1e-12);
    REL(q->Lq, lambda * q->Wq, 1e-12);
    REL(q->W, q->Wq + es, 1e-12);
}

/* Seed 000: one publication per minute, service rate 0.4/s. */
static void test_mm1_seed000(void)
{
    ana_queue q;
    double lambda = 1.0 / 60.0, mu = 0.4;

    CU_ASSERT_EQUAL(ana_mm1(lambda, mu, &q), 0);
    REL(q.W, 1.0 / (0.4 - 1.0 / 60.0), 1e-14);
    CU_ASSERT(fabs(q.W - 2.6087) < 5e-5);
    REL(q.rho, 1.0 / 24.0, 1e-14);
    REL(q.L, (1.0 / 24.0) / (23.0 / 24.0), 1e-14);
    REL(q.Wq, q.W - 2.5, 1e-12);
    check_laws(&q, lambda, 1.0 / mu);
}

static void test_mm1_rho09(void)
{
    ana_queue q;

    CU_ASSERT_EQUAL(ana_mm1(0.9, 1.0, &q), 0);
    REL(q.rho, 0.9, 1e-15);
    REL(q.L, 9.0, 1e-13);
    REL(q.Lq, 8.1, 1e-13);
    REL(q.W, 10.0, 1e-13);
    REL(q.Wq, 9.0, 1e-13);
    check_laws(&q, 0.9, 1.0);
}

static void test_mm1_invalid(void)
{
    ana_queue q;

    CU_ASSERT_EQUAL(ana_mm1(1.0, 1.0, &q), -1);      /* rho == 1 */
    CU_ASSERT_EQUAL(q.rho, 1.0);
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mm1(3.0, 2.0, &q), -1);      /* rho > 1 */
    CU_ASSERT_EQUAL(q.rho, 1.5);
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mm1(0.0, 2.0, &q), -1);
    CU_ASSERT_EQUAL(q.rho, 0.0);
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mm1(-1.0, 2.0, &q), -1);
    CU_ASSERT(isnan(q.rho));
    CU_ASSERT_EQUAL(ana_mm1(1.0, 0.0, &q), -1);
    CU_ASSERT(isnan(q.rho));
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mm1(1.0, -2.0, &q), -1);
    CU_ASSERT(isnan(q.rho));
    CU_ASSERT_EQUAL(ana_mm1(NAN, 2.0, &q), -1);
    CU_ASSERT(isnan(q.rho));
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mm1(1.0, NAN, &q), -1);
    CU_ASSERT_EQUAL(ana_mm1(INFINITY, 2.0, &q), -1);
    CU_ASSERT_EQUAL(ana_mm1(1.0, INFINITY, &q), -1);
    check_nan(&q);
}

/* Exponential service: E[S] = 1/mu, E[S^2] = 2/mu^2 gives M/M/1. */
static void test_mg1_exponential(void)
{
    static const double rho[] = {0.1, 0.5, 0.9, 0.99};
    ana_queue g, m;
    double mu = 0.4;

    for (size_t i = 0; i < sizeof rho / sizeof rho[0]; i++) {
        double lambda = rho[i] * mu;
        CU_ASSERT_EQUAL(ana_mg1(lambda, 1.0 / mu, 2.0 / (mu * mu), &g), 0);
        CU_ASSERT_EQUAL(ana_mm1(lambda, mu, &m), 0);
        REL(g.rho, m.rho, 1e-14);
        REL(g.L, m.L, 1e-12);
        REL(g.Lq, m.Lq, 1e-12);
        REL(g.W, m.W, 1e-12);
        REL(g.Wq, m.Wq, 1e-12);
        check_laws(&g, lambda, 1.0 / mu);
    }
}

/* Deterministic service: Wq = rho / (2 mu (1 - rho)), half of M/M/1's. */
static void test_md1(void)
{
    ana_queue q;
    double lambda = 0.8, mu = 1.0, s = 1.0 / mu;

    CU_ASSERT_EQUAL(ana_mg1(lambda, s, s * s, &q), 0);
    REL(q.rho, 0.8, 1e-15);
    REL(q.Wq, 0.8 / (2.0 * 1.0 * 0.2), 1e-13);  /* = 2 */
    REL(q.W, 3.0, 1e-13);
    REL(q.Lq, 1.6, 1e-13);
    REL(q.L, 2.4, 1e-13);
    check_laws(&q, lambda, s);

    /* Seed 000's numbers with a constant 2.5 s service. */
    CU_ASSERT_EQUAL(ana_mg1(1.0 / 60.0, 2.5, 6.25, &q), 0);
    REL(q.Wq, (1.0 / 24.0) / (2.0 * 0.4 * (23.0 / 24.0)), 1e-13);
}

static void test_mg1_invalid(void)
{
    ana_queue q;

    CU_ASSERT_EQUAL(ana_mg1(0.5, 2.0, 4.0, &q), -1);         /* rho = 1 */
    CU_ASSERT_EQUAL(q.rho, 1.0);
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mg1(0.5, 1.0, 0.5, &q), -1);  /* E[S^2] < E[S]^2 */
    CU_ASSERT_EQUAL(q.rho, 0.5);
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mg1(0.5, 0.0, 1.0, &q), -1);
    CU_ASSERT_EQUAL(ana_mg1(0.0, 1.0, 1.0, &q), -1);
    CU_ASSERT_EQUAL(ana_mg1(0.5, 1.0, NAN, &q), -1);
    CU_ASSERT_EQUAL(ana_mg1(NAN, 1.0, 1.0, &q), -1);
    CU_ASSERT(isnan(q.rho));
    check_nan(&q);
}

static void test_mmc_one_is_mm1(void)
{
    ana_queue c, m;

    CU_ASSERT_EQUAL(ana_mmc(0.3, 0.4, 1, &c), 0);
    CU_ASSERT_EQUAL(ana_mm1(0.3, 0.4, &m), 0);
    REL(c.rho, m.rho, 1e-15);
    REL(c.L, m.L, 1e-13);
    REL(c.Lq, m.Lq, 1e-13);
    REL(c.W, m.W, 1e-13);
    REL(c.Wq, m.Wq, 1e-13);
}

/* M/M/2, lambda = mu = 1: a = 1, rho = 1/2, P(wait) = 1/3,
 * L = 2 rho / (1 - rho^2) = 4/3.  M/M/3, lambda = 2, mu = 1: P0 = 1/9,
 * P(wait) = 4/9, Lq = 8/9, Wq = 4/9, W = 13/9, L = 26/9. */
static void test_mmc_textbook(void)
{
    ana_queue q;

    CU_ASSERT_EQUAL(ana_mmc(1.0, 1.0, 2, &q), 0);
    REL(q.rho, 0.5, 1e-15);
    REL(q.Lq, 1.0 / 3.0, 1e-14);
    REL(q.Wq, 1.0 / 3.0, 1e-14);
    REL(q.W, 4.0 / 3.0, 1e-14);
    REL(q.L, 4.0 / 3.0, 1e-14);

    CU_ASSERT_EQUAL(ana_mmc(2.0, 1.0, 3, &q), 0);
    REL(q.rho, 2.0 / 3.0, 1e-15);
    REL(q.Lq, 8.0 / 9.0, 1e-14);
    REL(q.Wq, 4.0 / 9.0, 1e-14);
    REL(q.W, 13.0 / 9.0, 1e-14);
    REL(q.L, 26.0 / 9.0, 1e-14);
    check_laws(&q, 2.0, 1.0);
}

/* Erlang C by its definition, summed in log space so nothing overflows:
 * C = T / (sum_{k<c} a^k/k! + T), T = a^c/c! * c/(c-a). */
static double erlang_c_ref(unsigned c, double a)
{
    double lt = c * log(a) - lgamma(c + 1.0) + log(c / (c - a));
    double lmax = lt, s = 0.0;

    for (unsigned k = 0; k < c; k++) {
        double lk = k * log(a) - lgamma(k + 1.0);
        if (lk > lmax)
            lmax = lk;
    }
    for (unsigned k = 0; k < c; k++)
        s += exp(k * log(a) - lgamma(k + 1.0) - lmax);
    s += exp(lt - lmax);
    return exp(lt - lmax) / s;
}

static void test_mmc_large(void)
{
    static const struct { unsigned c; double a; } cases[] = {
        {10, 8.0}, {170, 160.0}, {200, 150.0}, {1000, 950.0},
        {1000, 999.0}, {5000, 4900.0}, {1000, 10.0},
    };
    ana_queue q;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned c = cases[i].c;
        double a = cases[i].a, mu = 2.0, lambda = a * mu;
        double pw = erlang_c_ref(c, a);

        CU_ASSERT_EQUAL_FATAL(ana_mmc(lambda, mu, c, &q), 0);
        CU_ASSERT(isfinite(q.L) && isfinite(q.W));
        REL(q.rho, a / c, 1e-14);
        REL(q.Wq, pw / (c * mu - lambda), 1e-9);
        REL(q.L, q.Lq + a, 1e-12);
        check_laws(&q, lambda, 1.0 / mu);
    }
}

static void test_mmc_invalid(void)
{
    ana_queue q;

    CU_ASSERT_EQUAL(ana_mmc(4.0, 1.0, 4, &q), -1);        /* rho = 1 */
    CU_ASSERT_EQUAL(q.rho, 1.0);
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mmc(5.0, 1.0, 4, &q), -1);
    CU_ASSERT_EQUAL(q.rho, 1.25);
    CU_ASSERT_EQUAL(ana_mmc(1.0, 1.0, 0, &q), -1);
    CU_ASSERT(isnan(q.rho));
    check_nan(&q);
    CU_ASSERT_EQUAL(ana_mmc(0.0, 1.0, 2, &q), -1);
    CU_ASSERT_EQUAL(ana_mmc(1.0, 0.0, 2, &q), -1);
    CU_ASSERT(isnan(q.rho));
    CU_ASSERT_EQUAL(ana_mmc(NAN, 1.0, 2, &q), -1);
    CU_ASSERT(isnan(q.rho));
    check_nan(&q);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("qtheory", NULL, NULL);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_mm1_seed000);
    CUTEST_ADD(s, test_mm1_rho09);
    CUTEST_ADD(s, test_mm1_invalid);
    CUTEST_ADD(s, test_mg1_exponential);
    CUTEST_ADD(s, test_md1);
    CUTEST_ADD(s, test_mg1_invalid);
    CUTEST_ADD(s, test_mmc_one_is_mm1);
    CUTEST_ADD(s, test_mmc_textbook);
    CUTEST_ADD(s, test_mmc_large);
    CUTEST_ADD(s, test_mmc_invalid);
    return 0;
}

CUTEST_MAIN(register_tests)
