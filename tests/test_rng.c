/* test_rng.c — random streams: reproducible, independent of creation
 * order and of each other, unaffected by the environment, uniform. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "cutest.h"
#include "rng.h"
#include "cry.h"

static void draws(gsl_rng *g, unsigned long *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = gsl_rng_get(g);
}

static void test_reproducible_any_order(void)
{
    unsigned long a[64], b[64], c[64], d[64];
    sim_rng *r1 = sim_rng_new(99), *r2 = sim_rng_new(99);

    /* r1 creates traffic/5 first, r2 creates many others first. */
    draws(sim_rng_get(r1, SIM_RNG_TRAFFIC, 5), a, 64);
    draws(sim_rng_get(r1, SIM_RNG_NODE, 5), c, 64);
    for (unsigned i = 0; i < 100; i++)
        (void)gsl_rng_get(sim_rng_get(r2, SIM_RNG_TRAFFIC, i));
    (void)gsl_rng_get(sim_rng_get(r2, SIM_RNG_PROTOCOL, 5));
    draws(sim_rng_get(r2, SIM_RNG_NODE, 5), d, 64);
    CU_ASSERT_EQUAL(memcmp(c, d, sizeof c), 0);
    /* traffic/5 of r2 was used once above: skip that draw. */
    {
        sim_rng *r3 = sim_rng_new(99);
        gsl_rng *g = sim_rng_get(r3, SIM_RNG_TRAFFIC, 5);
        draws(g, b, 64);
        CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
        sim_rng_free(r3);
    }
    sim_rng_free(r1);
    sim_rng_free(r2);
}

static void test_streams_differ(void)
{
    unsigned long a[32], b[32], c[32], d[32];
    sim_rng *r = sim_rng_new(1), *r2 = sim_rng_new(2);

    draws(sim_rng_get(r, SIM_RNG_TRAFFIC, 0), a, 32);
    draws(sim_rng_get(r, SIM_RNG_TRAFFIC, 1), b, 32);
    draws(sim_rng_get(r, SIM_RNG_TOPOLOGY, 0), c, 32);
    draws(sim_rng_get(r2, SIM_RNG_TRAFFIC, 0), d, 32);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, d, sizeof a), 0);
    sim_rng_free(r);
    sim_rng_free(r2);
}

/* Neighbouring streams are uncorrelated: |Pearson r| < 4/sqrt(n). */
static void test_streams_uncorrelated(void)
{
    enum { N = 100000 };
    sim_rng *r = sim_rng_new(12345);

    for (unsigned k = 0; k < 8; k++) {
        gsl_rng *x = sim_rng_get(r, SIM_RNG_NODE, k);
        gsl_rng *y = sim_rng_get(r, SIM_RNG_NODE, k + 1);
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, corr;
        for (int i = 0; i < N; i++) {
            double u = gsl_rng_uniform(x), v = gsl_rng_uniform(y);
            sx += u; sy += v; sxx += u * u; syy += v * v; sxy += u * v;
        }
        corr = (N * sxy - sx * sy) /
               sqrt((N * sxx - sx * sx) * (N * syy - sy * sy));
        CU_ASSERT(fabs(corr) < 4.0 / sqrt(N));
    }
    sim_rng_free(r);
}

/* Chi-square test of uniformity over 64 bins, 640k draws: the 99.99%
 * quantile of chi2(63) is about 116. */
static void test_uniformity(void)
{
    enum { BINS = 64, N = 640000 };
    unsigned long count[BINS] = {0};
    sim_rng *r = sim_rng_new(7);
    gsl_rng *g = sim_rng_get(r, SIM_RNG_LINK, 3);
    double chi2 = 0, e = (double)N / BINS, mean = 0;

    for (int i = 0; i < N; i++) {
        double u = gsl_rng_uniform(g);
        mean += u;
        count[(int)(u * BINS)]++;
    }
    for (int b = 0; b < BINS; b++)
        chi2 += (count[b] - e) * (count[b] - e) / e;
    CU_ASSERT(chi2 < 116.0);
    mean /= N;
    CU_ASSERT(fabs(mean - 0.5) < 4 * sqrt(1.0 / 12 / N));
    sim_rng_free(r);
}

/* GSL_RNG_SEED / GSL_RNG_TYPE in the environment change nothing. */
static void test_environment_ignored(void)
{
    unsigned long a[16], b[16];
    sim_rng *r = sim_rng_new(5);

    draws(sim_rng_get(r, SIM_RNG_ATTACKER, 0), a, 16);
    sim_rng_free(r);
    setenv("GSL_RNG_SEED", "123", 1);
    setenv("GSL_RNG_TYPE", "mt19937", 1);
    r = sim_rng_new(5);
    draws(sim_rng_get(r, SIM_RNG_ATTACKER, 0), b, 16);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    CU_ASSERT_STRING_EQUAL(gsl_rng_name(sim_rng_get(r, SIM_RNG_ATTACKER, 0)),
                           "taus2");
    sim_rng_free(r);
    unsetenv("GSL_RNG_SEED");
    unsetenv("GSL_RNG_TYPE");
}

static void test_large_index(void)
{
    sim_rng *r = sim_rng_new(3);
    gsl_rng *g = sim_rng_get(r, SIM_RNG_NODE, 999999);
    CU_ASSERT_PTR_NOT_NULL(g);
    CU_ASSERT_PTR_EQUAL(g, sim_rng_get(r, SIM_RNG_NODE, 999999));
    CU_ASSERT_EQUAL(sim_rng_seed(r), 3);
    sim_rng_free(r);
    sim_rng_free(NULL);
}

/* A stream is exactly a gsl_rng_alloc'd taus2 generator whose state is
 * set from cry_derive(seed, purpose name, index) and warmed up by six
 * draws (what rng.c did before its streams moved into a slab): the same
 * draws, for streams on either side of a slab chunk boundary. */
static void test_same_as_gsl_alloc(void)
{
    static const struct { sim_stream p; const char *name; uint64_t ix; }
        cases[] = {
            {SIM_RNG_TRAFFIC, "traffic", 0}, {SIM_RNG_NODE, "node", 255},
            {SIM_RNG_LINK, "link", 256}, {SIM_RNG_PROTOCOL, "protocol", 7},
            {SIM_RNG_ATTACKER, "attacker", 100000},
        };
    sim_rng *r = sim_rng_new(4242);

    /* Fill past the first slab chunk so that the cases straddle it. */
    for (unsigned i = 0; i < 300; i++)
        (void)sim_rng_get(r, SIM_RNG_SERVICE, i);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        unsigned char b[12];
        unsigned long *st, want[40], got[40];
        gsl_rng *ref = gsl_rng_alloc(gsl_rng_taus2);

        CU_ASSERT_FATAL(ref != NULL);
        cry_derive(b, sizeof b, 4242, cases[c].name, cases[c].ix);
        st = gsl_rng_state(ref);
        for (int k = 0; k < 3; k++)
            st[k] = (unsigned long)b[4 * k] |
                    (unsigned long)b[4 * k + 1] << 8 |
                    (unsigned long)b[4 * k + 2] << 16 |
                    (unsigned long)b[4 * k + 3] << 24;
        if (st[0] < 2) st[0] += 2;
        if (st[1] < 8) st[1] += 8;
        if (st[2] < 16) st[2] += 16;
        for (int k = 0; k < 6; k++)
            (void)gsl_rng_get(ref);
        draws(ref, want, 40);
        draws(sim_rng_get(r, cases[c].p, cases[c].ix), got, 40);
        CU_ASSERT_EQUAL(memcmp(want, got, sizeof want), 0);
        gsl_rng_free(ref);
    }
    sim_rng_free(r);
}

/* Handles stay valid, keep their state and sit on one cache line each
 * while thousands of other streams are created after them. */
static void test_handles_stable(void)
{
    enum { N = 1000 };
    sim_rng *r = sim_rng_new(8), *q = sim_rng_new(8);
    gsl_rng *h[N];
    unsigned long a[N], b[N];

    for (unsigned i = 0; i < N; i++) {
        h[i] = sim_rng_get(r, SIM_RNG_NODE, 3u * i);
        CU_ASSERT_EQUAL((uintptr_t)h[i] % 64, 0);
        CU_ASSERT((const char *)h[i]->state > (const char *)h[i] &&
                  (const char *)h[i]->state < (const char *)h[i] + 64);
        CU_ASSERT_STRING_EQUAL(gsl_rng_name(h[i]), "taus2");
        a[i] = gsl_rng_get(h[i]);
    }
    for (unsigned i = 0; i < 5 * N; i++)
        (void)gsl_rng_get(sim_rng_get(r, SIM_RNG_LINK, i));
    for (unsigned i = 0; i < N; i++) {
        CU_ASSERT_PTR_EQUAL(sim_rng_get(r, SIM_RNG_NODE, 3u * i), h[i]);
        a[i] = gsl_rng_get(h[i]);           /* the second draw */
        (void)gsl_rng_get(sim_rng_get(q, SIM_RNG_NODE, 3u * i));
        b[i] = gsl_rng_get(sim_rng_get(q, SIM_RNG_NODE, 3u * i));
    }
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    /* The traffic streams (laid out by index): the same, sparse indices
     * far apart included. */
    for (unsigned i = 0; i < N; i++) {
        h[i] = sim_rng_get(r, SIM_RNG_TRAFFIC, 977u * i);
        CU_ASSERT_EQUAL((uintptr_t)h[i] % 64, 0);
        sim_rng_prefetch(r, SIM_RNG_TRAFFIC, 977u * i + 1);   /* a hint */
        a[i] = gsl_rng_get(h[i]);
    }
    for (unsigned i = 0; i < N; i++) {
        CU_ASSERT_PTR_EQUAL(sim_rng_get(r, SIM_RNG_TRAFFIC, 977u * i), h[i]);
        b[i] = gsl_rng_get(sim_rng_get(q, SIM_RNG_TRAFFIC, 977u * i));
    }
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    sim_rng_prefetch(r, SIM_RNG_COUNT, 0);                    /* ignored */
    sim_rng_prefetch(r, SIM_RNG_LINK, 1u << 30);              /* ignored */
    sim_rng_free(r);
    sim_rng_free(q);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("rng", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_reproducible_any_order);
    CUTEST_ADD(s, test_streams_differ);
    CUTEST_ADD(s, test_streams_uncorrelated);
    CUTEST_ADD(s, test_uniformity);
    CUTEST_ADD(s, test_environment_ignored);
    CUTEST_ADD(s, test_large_index);
    CUTEST_ADD(s, test_same_as_gsl_alloc);
    CUTEST_ADD(s, test_handles_stable);
    return 0;
}

CUTEST_MAIN(register_tests)
