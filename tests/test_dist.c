/* test_dist.c — distributions: parsing of every kind and of each error
 * class, canonical formatting, exact moments against 10^6 fixed-seed draws
 * (within 4 standard errors), and nanosecond rounding of time samples. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "cutest.h"
#include "dist.h"

#define DRAWS 1000000

static sim_dist parse_ok(const char *text, sim_dim dim)
{
    char err[256] = "";
    sim_dist d;
    int rc;

    memset(&d, 0, sizeof d);
    rc = sim_dist_parse(&d, text, dim, err, sizeof err, NULL);
    if (rc != 0)
        fprintf(stderr, "\n  unexpected error for '%s': %s\n", text, err);
    CU_ASSERT_EQUAL(rc, 0);
    return d;
}

static void parse_err(const char *text, sim_dim dim, const char *msg,
                      size_t col)
{
    char err[256] = "";
    size_t c = 9999;
    sim_dist d = {.kind = SIM_DIST_PARETO, .dim = SIM_DIM_RATE,
                  .p = {7, 7}};
    int rc = sim_dist_parse(&d, text, dim, err, sizeof err, &c);

    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(d.kind, SIM_DIST_PARETO);  /* untouched on error */
    CU_ASSERT_EQUAL(d.p[0], 7);
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n  '%s': got \"%s\"\n  expected \"%s\"\n", text,
                err, msg);
    CU_ASSERT_STRING_EQUAL(err, msg);
    if (c != col)
        fprintf(stderr, "\n  '%s': offset %zu, expected %zu\n", text, c, col);
    CU_ASSERT_EQUAL(c, col);
}

static void expect(const char *text, sim_dim dim, sim_dist_kind kind,
                   double p0, double p1)
{
    sim_dist d = parse_ok(text, dim);
    CU_ASSERT_EQUAL(d.kind, kind);
    CU_ASSERT_EQUAL(d.dim, dim);
    CU_ASSERT_DOUBLE_EQUAL(d.p[0], p0, fabs(p0) * 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(d.p[1], p1, fabs(p1) * 1e-15);
}

static void test_parse_kinds(void)
{
    expect("const(1KiB)", SIM_DIM_SIZE, SIM_DIST_CONST, 1024, 0);
    expect("64B", SIM_DIM_SIZE, SIM_DIST_CONST, 64, 0);
    expect("  2.5s ", SIM_DIM_TIME, SIM_DIST_CONST, 2.5, 0);
    expect("0", SIM_DIM_TIME, SIM_DIST_CONST, 0, 0);
    expect("exp(60s)", SIM_DIM_TIME, SIM_DIST_EXP, 60, 0);
    expect("exp ( 1min )", SIM_DIM_TIME, SIM_DIST_EXP, 60, 0);
    expect("uniform(1ms, 5ms)", SIM_DIM_TIME, SIM_DIST_UNIFORM, 0.001, 0.005);
    expect("uniform(2ms,2ms)", SIM_DIM_TIME, SIM_DIST_UNIFORM, 0.002, 0.002);
    expect("normal(10ms, 2ms)", SIM_DIM_TIME, SIM_DIST_NORMAL, 0.01, 0.002);
    expect("normal(-1s, 0s)", SIM_DIM_TIME, SIM_DIST_NORMAL, -1, 0);
    expect("lognormal(1KiB, 256B)", SIM_DIM_SIZE, SIM_DIST_LOGNORMAL, 1024,
           256);
    expect("gamma(2.5, 1s)", SIM_DIM_TIME, SIM_DIST_GAMMA, 2.5, 1);
    expect("weibull(2s, 1.5)", SIM_DIM_TIME, SIM_DIST_WEIBULL, 2, 1.5);
    expect("pareto(3, 100ms)", SIM_DIM_TIME, SIM_DIST_PARETO, 3, 0.1);
    expect("erlang(4, 2s)", SIM_DIM_TIME, SIM_DIST_ERLANG, 4, 2);
    expect("exp(2/s)", SIM_DIM_FREQ, SIM_DIST_EXP, 2, 0);
    expect("uniform(0.1, 0.9)", SIM_DIM_NONE, SIM_DIST_UNIFORM, 0.1, 0.9);
}

static void test_parse_errors(void)
{
    parse_err("foo(1s)", SIM_DIM_TIME,
              "unknown distribution 'foo' (use const, exp, uniform, normal, "
              "lognormal, gamma, weibull, pareto, erlang)", 0);
    parse_err("exp(1s, 2s)", SIM_DIM_TIME,
              "exp takes 1 argument (mean), got 2", 3);
    parse_err("exp()", SIM_DIM_TIME, "exp takes 1 argument (mean), got 0", 3);
    parse_err("uniform(1s)", SIM_DIM_TIME,
              "uniform takes 2 arguments (a, b), got 1", 7);
    parse_err("normal(1s,2s,3s)", SIM_DIM_TIME,
              "normal takes 2 arguments (mu, sigma), got 3", 6);
    parse_err("exp(5KiB)", SIM_DIM_TIME,
              "exp mean: '5KiB' is a size, expected a time", 5);
    parse_err("uniform(1ms, 5)", SIM_DIM_TIME,
              "uniform b: missing time unit in '5' (use ns, us, ms, s, min, "
              "h)", 14);
    parse_err("gamma(2s, 1s)", SIM_DIM_TIME,
              "gamma shape: '2s' is a time, expected a plain number", 7);
    parse_err("uniform(5ms, 1ms)", SIM_DIM_TIME, "uniform needs a <= b", 13);
    parse_err("uniform(-1ms, 1ms)", SIM_DIM_TIME, "uniform a must be >= 0", 8);
    parse_err("exp(-5s)", SIM_DIM_TIME, "exp mean must be > 0", 4);
    parse_err("exp(0s)", SIM_DIM_TIME, "exp mean must be > 0", 4);
    parse_err("lognormal(0s, 1s)", SIM_DIM_TIME,
              "lognormal mean must be > 0", 10);
    parse_err("lognormal(1s, -1s)", SIM_DIM_TIME,
              "lognormal sd must be >= 0", 14);
    parse_err("normal(1s, -1s)", SIM_DIM_TIME, "normal sigma must be >= 0",
              11);
    /* issue 20: sd so large that every draw would be 0 */
    parse_err("lognormal(1s, 1e300s)", SIM_DIM_TIME,
              "lognormal sd is too large for its mean (every draw would be "
              "0)", 14);
    parse_err("gamma(0, 1s)", SIM_DIM_TIME, "gamma shape must be > 0", 6);
    parse_err("weibull(1s, 0)", SIM_DIM_TIME, "weibull shape must be > 0", 12);
    parse_err("pareto(2, -1s)", SIM_DIM_TIME, "pareto scale must be > 0", 10);
    parse_err("erlang(2.5, 1s)", SIM_DIM_TIME,
              "erlang k must be a whole number from 1 to 1000000", 7);
    parse_err("erlang(0, 1s)", SIM_DIM_TIME,
              "erlang k must be a whole number from 1 to 1000000", 7);
    parse_err("-5ms", SIM_DIM_TIME, "const value must be >= 0", 0);
    parse_err("const(-1B)", SIM_DIM_SIZE, "const value must be >= 0", 6);
    parse_err("exp(5s", SIM_DIM_TIME, "missing ')' in 'exp(5s'", 6);
    parse_err("exp 5s", SIM_DIM_TIME, "expected '(' after 'exp'", 4);
    parse_err("exp", SIM_DIM_TIME, "expected '(' after 'exp'", 3);
    parse_err("exp(5s) x", SIM_DIM_TIME,
              "trailing characters after ')' in 'exp(5s) x'", 8);
    parse_err("exp(5s))", SIM_DIM_TIME,
              "trailing characters after ')' in 'exp(5s))'", 7);
    parse_err("", SIM_DIM_TIME, "empty distribution", 0);
    parse_err("   ", SIM_DIM_TIME, "empty distribution", 3);
    parse_err("5", SIM_DIM_TIME,
              "missing time unit in '5' (use ns, us, ms, s, min, h)", 1);
    parse_err("inf", SIM_DIM_TIME, "'inf' is not a finite number", 0);
    parse_err("exp(nan)", SIM_DIM_TIME,
              "exp mean: 'nan' is not a finite number", 4);
}

static void check_format(const char *text, sim_dim dim, const char *want)
{
    char buf[128];
    sim_dist d = parse_ok(text, dim), back;

    sim_dist_format(&d, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "\n  format('%s') = '%s', expected '%s'\n", text, buf,
                want);
    CU_ASSERT_STRING_EQUAL(buf, want);
    back = parse_ok(buf, dim);
    CU_ASSERT_EQUAL(back.kind, d.kind);
    CU_ASSERT_EQUAL(back.p[0], d.p[0]);
    CU_ASSERT_EQUAL(back.p[1], d.p[1]);
}

static void test_format(void)
{
    char small[6];
    sim_dist d;

    check_format("exp(60s)", SIM_DIM_TIME, "exp(60s)");
    check_format("exp(1min)", SIM_DIM_TIME, "exp(60s)");
    check_format("uniform(1ms, 5ms)", SIM_DIM_TIME, "uniform(1ms,5ms)");
    check_format("64B", SIM_DIM_SIZE, "const(64B)");
    check_format("const(65536B)", SIM_DIM_SIZE, "const(64KiB)");
    check_format("exp(2.5s)", SIM_DIM_TIME, "exp(2.5s)");
    check_format("normal(10ms,2ms)", SIM_DIM_TIME, "normal(10ms,2ms)");
    check_format("lognormal(1KiB,256B)", SIM_DIM_SIZE,
                 "lognormal(1KiB,256B)");
    check_format("gamma(2.5,1s)", SIM_DIM_TIME, "gamma(2.5,1s)");
    check_format("weibull(2s,1.5)", SIM_DIM_TIME, "weibull(2s,1.5)");
    check_format("pareto(3,100ms)", SIM_DIM_TIME, "pareto(3,100ms)");
    check_format("erlang(4,2h)", SIM_DIM_TIME, "erlang(4,2h)");
    check_format("exp(333.3333333333ms)", SIM_DIM_TIME,
                 "exp(333.3333333333ms)");
    d = parse_ok("exp(60s)", SIM_DIM_TIME);
    sim_dist_format(&d, small, sizeof small);
    CU_ASSERT_STRING_EQUAL(small, "exp(6");
}

/* Sample mean of `draws` draws against sim_dist_mean (and optionally the
 * second moment), each within 4 standard errors. */
static void check_moments(const char *text, sim_dim dim, int check_m2)
{
    sim_dist d = parse_ok(text, dim);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    double s1 = 0, s2 = 0, s4 = 0, mean, m2, var, se, m2hat, v2, se2;
    int nonneg = 1;

    gsl_rng_set(r, 12345);
    for (int i = 0; i < DRAWS; i++) {
        double x = sim_dist_sample(&d, r);
        nonneg &= x >= 0;
        s1 += x;
        s2 += x * x;
        s4 += x * x * x * x;
    }
    gsl_rng_free(r);
    CU_ASSERT(nonneg);
    mean = sim_dist_mean(&d);
    m2 = sim_dist_m2(&d);
    var = m2 - mean * mean;
    se = sqrt((var > 0 ? var : 0) / DRAWS);
    if (!(fabs(s1 / DRAWS - mean) <= 4 * se + 1e-9 * fabs(mean)))
        fprintf(stderr, "\n  %s: sample mean %.9g, exact %.9g, se %.3g\n",
                text, s1 / DRAWS, mean, se);
    CU_ASSERT(fabs(s1 / DRAWS - mean) <= 4 * se + 1e-9 * fabs(mean));
    if (check_m2) {
        m2hat = s2 / DRAWS;
        v2 = s4 / DRAWS - m2hat * m2hat;
        se2 = sqrt((v2 > 0 ? v2 : 0) / DRAWS);
        if (!(fabs(m2hat - m2) <= 4 * se2 + 1e-9 * m2))
            fprintf(stderr, "\n  %s: sample m2 %.9g, exact %.9g, se %.3g\n",
                    text, m2hat, m2, se2);
        CU_ASSERT(fabs(m2hat - m2) <= 4 * se2 + 1e-9 * m2);
    }
}

static void test_sample_moments(void)
{
    check_moments("const(3ms)", SIM_DIM_TIME, 1);
    check_moments("exp(2.5s)", SIM_DIM_TIME, 1);
    check_moments("uniform(1ms, 5ms)", SIM_DIM_TIME, 1);
    check_moments("normal(10ms, 2ms)", SIM_DIM_TIME, 0);
    check_moments("normal(1s, 1s)", SIM_DIM_TIME, 1);   /* 16% clipped */
    check_moments("normal(-1s, 2s)", SIM_DIM_TIME, 1);  /* 69% clipped */
    check_moments("lognormal(1KiB, 512B)", SIM_DIM_SIZE, 1);
    check_moments("gamma(0.5, 2s)", SIM_DIM_TIME, 1);
    check_moments("weibull(2s, 1.5)", SIM_DIM_TIME, 1);
    check_moments("pareto(4.5, 100ms)", SIM_DIM_TIME, 0);
    check_moments("erlang(3, 1s)", SIM_DIM_TIME, 1);
}

static void test_exact_moments(void)
{
    sim_dist d;

    d = parse_ok("pareto(2, 1s)", SIM_DIM_TIME);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_mean(&d), 2.0, 1e-15);
    CU_ASSERT(isinf(sim_dist_m2(&d)));
    d = parse_ok("pareto(1, 1s)", SIM_DIM_TIME);
    CU_ASSERT(isinf(sim_dist_mean(&d)));
    d = parse_ok("pareto(3, 1s)", SIM_DIM_TIME);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_m2(&d), 3.0, 1e-15);
    /* E[max(0, Z)] = 1/sqrt(2 pi), E[max(0, Z)^2] = 1/2 */
    d = parse_ok("normal(0s, 1s)", SIM_DIM_TIME);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_mean(&d), 1 / sqrt(2 * M_PI), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_m2(&d), 0.5, 1e-15);
    d = parse_ok("normal(-1s, 0s)", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_mean(&d), 0);
    CU_ASSERT_EQUAL(sim_dist_m2(&d), 0);
    d = parse_ok("exp(2s)", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_m2(&d), 8);
    CU_ASSERT(sim_dist_is_exp(&d));
    d = parse_ok("erlang(1, 2s)", SIM_DIM_TIME);
    CU_ASSERT(sim_dist_is_exp(&d));
    d = parse_ok("erlang(2, 2s)", SIM_DIM_TIME);
    CU_ASSERT(!sim_dist_is_exp(&d));
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_m2(&d), 6, 1e-15);
    d = parse_ok("weibull(2s, 1)", SIM_DIM_TIME);  /* = exp(2s) */
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_mean(&d), 2, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_m2(&d), 8, 1e-13);
    d = parse_ok("uniform(1s, 3s)", SIM_DIM_TIME);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_m2(&d), 13.0 / 3, 1e-15);
}

static void test_sample_ns(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    sim_dist d;

    gsl_rng_set(r, 1);
    d = parse_ok("1.4ns", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), 1);
    d = parse_ok("1.6ns", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), 2);
    d = parse_ok("0.4ns", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), 0);
    d = parse_ok("1.5ms", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), 1500000);
    d = parse_ok("0.1s", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), 100000000);
    d = parse_ok("1h", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), 3600 * SIM_S);
    d = parse_ok("1e10s", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), SIM_TIME_MAX / 4);
    d = parse_ok("normal(-5s, 1ms)", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_sample_ns(&d, r), 0);
    d = parse_ok("uniform(1ms, 2ms)", SIM_DIM_TIME);
    for (int i = 0; i < 1000; i++) {
        sim_time t = sim_dist_sample_ns(&d, r);
        CU_ASSERT(t >= SIM_MS && t <= 2 * SIM_MS);
    }
    gsl_rng_free(r);
}

/* Same seed, same draws: the sampler is a pure function of the stream. */
/* issue 20: minimum draws and tail probabilities, used to refuse time
 * distributions whose draws round to 0 ns and times after 'duration'. */
static void test_min_and_tail(void)
{
    const double half_ns = 0.5e-9;
    sim_dist d;

    d = parse_ok("const(0.4ns)", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_p_at_least(&d, half_ns), 0);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_min(&d), 0.4e-9, 1e-18);
    d = parse_ok("const(2ns)", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_p_at_least(&d, half_ns), 1);
    d = parse_ok("exp(1e-20s)", SIM_DIM_TIME);
    CU_ASSERT(sim_dist_p_at_least(&d, half_ns) < 1e-300);
    d = parse_ok("exp(1s)", SIM_DIM_TIME);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_p_at_least(&d, 1), exp(-1), 1e-12);
    CU_ASSERT_EQUAL(sim_dist_min(&d), 0);
    d = parse_ok("normal(0.3ns, 0)", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_p_at_least(&d, half_ns), 0);
    d = parse_ok("normal(1s, 1s)", SIM_DIM_TIME);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_p_at_least(&d, 1), 0.5, 1e-12);
    d = parse_ok("lognormal(1s, 1e150s)", SIM_DIM_TIME);
    CU_ASSERT(sim_dist_p_at_least(&d, half_ns) < 1e-6);
    d = parse_ok("lognormal(1s, 1s)", SIM_DIM_TIME);
    CU_ASSERT(sim_dist_p_at_least(&d, half_ns) > 0.999);
    d = parse_ok("uniform(1s, 3s)", SIM_DIM_TIME);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_p_at_least(&d, 2), 0.5, 1e-12);
    CU_ASSERT_EQUAL(sim_dist_min(&d), 1);
    d = parse_ok("pareto(2, 3s)", SIM_DIM_TIME);
    CU_ASSERT_EQUAL(sim_dist_min(&d), 3);
    CU_ASSERT_DOUBLE_EQUAL(sim_dist_p_at_least(&d, 6), 0.25, 1e-12);
    CU_ASSERT_EQUAL(sim_dist_p_at_least(&d, 0), 1);
}

static void test_determinism(void)
{
    gsl_rng *r1 = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng *r2 = gsl_rng_alloc(gsl_rng_taus2);
    sim_dist d = parse_ok("lognormal(2s, 1s)", SIM_DIM_TIME);
    int same = 1;

    gsl_rng_set(r1, 99);
    gsl_rng_set(r2, 99);
    for (int i = 0; i < 1000; i++)
        same &= sim_dist_sample_ns(&d, r1) == sim_dist_sample_ns(&d, r2);
    CU_ASSERT(same);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("dist", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_parse_kinds);
    CUTEST_ADD(s, test_parse_errors);
    CUTEST_ADD(s, test_format);
    CUTEST_ADD(s, test_sample_moments);
    CUTEST_ADD(s, test_exact_moments);
    CUTEST_ADD(s, test_sample_ns);
    CUTEST_ADD(s, test_determinism);
    CUTEST_ADD(s, test_min_and_tail);
    return 0;
}

CUTEST_MAIN(register_tests)
