/* test_queue.c — the smart object's FCFS queue measured by simulation
 * against queueing theory: M/M/1 (seed 000's numbers, a utilisation of
 * 0.9, a superposition of Poisson sources), M/D/1 and M/G/1
 * (Pollaczek–Khinchine).  Each case runs independent replications and
 * checks that the analytic value lies in the confidence interval of the
 * measured mean, and that the interval is narrow enough to mean
 * something.  Seed 000's case uses the 95% interval the summary prints;
 * the others, about twenty interval checks together, use 99.9% intervals
 * so that the family of checks is wrong by chance about 2% of the time,
 * not 64% (1 - 0.95^20). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "run.h"
#include "scenario.h"
#include "stats.h"
#include "qtheory.h"
#include "cry.h"
#include "proto.h"

#define LEVEL 0.999

typedef struct qcase {
    ana_summary W, Wq, L, rho;      /* measured, over replications */
    double W_th, Wq_th, L_th, rho_th;
} qcase;

static double get(sim_world *w, const char *name)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, "so:all");
    CU_ASSERT_FATAL(id >= 0);
    return ana_metric_get(m, id);
}

/* Runs `reps` replications of sc and summarises the pooled SO metrics
 * with confidence intervals at `level`. */
static void run_case(scenario *sc, unsigned reps, double level, qcase *q)
{
    double W[64], Wq[64], L[64], rho[64];
    char err[256];

    CU_ASSERT_FATAL(reps <= 64);
    for (unsigned r = 0; r < reps; r++) {
        sim_world *w = sim_world_new(sc, sim_run_seed(sc->seed, r), err,
                                     sizeof err);
        CU_ASSERT_FATAL(w != NULL);
        sim_world_run(w, sc->duration, 0);
        sim_world_finish(w);
        W[r] = get(w, "queue.W");
        Wq[r] = get(w, "queue.Wq");
        L[r] = get(w, "queue.L");
        rho[r] = get(w, "queue.utilisation");
        q->W_th = get(w, "queue.W.theory");
        q->Wq_th = get(w, "queue.Wq.theory");
        q->L_th = get(w, "queue.L.theory");
        q->rho_th = get(w, "queue.utilisation.theory");
        sim_world_free(w);
    }
    ana_summarize(W, reps, level, &q->W);
    ana_summarize(Wq, reps, level, &q->Wq);
    ana_summarize(L, reps, level, &q->L);
    ana_summarize(rho, reps, level, &q->rho);
}

static void assert_in_ci(const char *what, const ana_summary *s, double th,
                         double max_rel_halfwidth)
{
    double half = (s->ci_hi - s->ci_lo) / 2;
    int ok = th >= s->ci_lo && th <= s->ci_hi && half <= max_rel_halfwidth * th;
    fprintf(stderr, "  %-4s theory %-9.5g measured %-9.5g [%.5g, %.5g]%s\n",
            what, th, s->mean, s->ci_lo, s->ci_hi, ok ? "" : "  FAIL");
    CU_ASSERT(ok);
}

static scenario *load_case(const char *interval, const char *service,
                           unsigned sources, const char *duration)
{
    char yaml[1024], err[512];
    scenario *sc;

    snprintf(yaml, sizeof yaml,
             "name: q\nseed: 1000\nduration: %s\nwarmup: 1000s\n"
             "protocol: none\n"
             "topology:\n  generator: star\n  sources: %u\n"
             "  link: {latency: 1ms, bandwidth: 100Mbps}\n"
             "traffic: {interval: '%s', size: 16B}\n"
             "smart_object: {service: '%s'}\n",
             duration, sources, interval, service);
    sc = scn_load_buffer("q.yaml", yaml, strlen(yaml), NULL, 0, err,
                         sizeof err);
    if (!sc)
        fprintf(stderr, "%s\n", err);
    return sc;
}

/* Seed 000 section 4.2: lambda = 1/60, mu = 0.4: E[T] = 2.61 s. */
static void test_mm1_seed000(void)
{
    char err[512];
    scenario *sc = scn_load(TEST_SRCDIR "/scenarios/mm1-seed000.yaml", NULL,
                            0, err, sizeof err);
    qcase q;

    if (!sc)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_FATAL(sc != NULL);
    run_case(sc, sc->replications, 0.95, &q);
    CU_ASSERT_DOUBLE_EQUAL(q.W_th, 1.0 / (0.4 - 1.0 / 60), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(q.W_th, 2.61, 0.005);
    assert_in_ci("W", &q.W, q.W_th, 0.1);
    assert_in_ci("rho", &q.rho, q.rho_th, 0.2);
    scn_free(sc);
}

static void test_mm1_half(void)
{
    scenario *sc = load_case("exp(2s)", "exp(1s)", 1, "20000s");
    qcase q;
    CU_ASSERT_FATAL(sc != NULL);
    run_case(sc, 20, LEVEL, &q);
    CU_ASSERT_DOUBLE_EQUAL(q.W_th, 2.0, 1e-9);
    assert_in_ci("W", &q.W, q.W_th, 0.05);
    assert_in_ci("Wq", &q.Wq, q.Wq_th, 0.1);
    assert_in_ci("L", &q.L, q.L_th, 0.05);
    assert_in_ci("rho", &q.rho, q.rho_th, 0.05);
    scn_free(sc);
}

/* Utilisation 0.9: long relaxation time, so long replications. */
static void test_mm1_rho09(void)
{
    scenario *sc = load_case("exp(1s)", "exp(0.9s)", 1, "100000s");
    qcase q;
    CU_ASSERT_FATAL(sc != NULL);
    run_case(sc, 20, LEVEL, &q);
    CU_ASSERT_DOUBLE_EQUAL(q.W_th, 9.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(q.rho_th, 0.9, 1e-12);
    assert_in_ci("W", &q.W, q.W_th, 0.15);
    assert_in_ci("L", &q.L, q.L_th, 0.15);
    assert_in_ci("rho", &q.rho, q.rho_th, 0.02);
    scn_free(sc);
}

/* Five Poisson sources of rate 0.1 merge into one of rate 0.5. */
static void test_mm1_superposition(void)
{
    scenario *sc = load_case("exp(10s)", "exp(1s)", 5, "20000s");
    qcase q;
    CU_ASSERT_FATAL(sc != NULL);
    run_case(sc, 20, LEVEL, &q);
    CU_ASSERT_DOUBLE_EQUAL(q.W_th, 2.0, 1e-9);
    assert_in_ci("W", &q.W, q.W_th, 0.05);
    scn_free(sc);
}

/* M/D/1: Wq = rho / (2 mu (1 - rho)) = 0.5 s at rho = 0.5, mu = 1. */
static void test_md1(void)
{
    scenario *sc = load_case("exp(2s)", "const(1s)", 1, "20000s");
    qcase q;
    CU_ASSERT_FATAL(sc != NULL);
    run_case(sc, 20, LEVEL, &q);
    CU_ASSERT_DOUBLE_EQUAL(q.Wq_th, 0.5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(q.W_th, 1.5, 1e-9);
    assert_in_ci("W", &q.W, q.W_th, 0.05);
    assert_in_ci("Wq", &q.Wq, q.Wq_th, 0.1);
    scn_free(sc);
}

/* M/G/1 with uniform(1s, 3s) service: E[S] = 2, E[S^2] = 13/3;
 * lambda = 1/4: Wq = lambda E[S^2] / (2 (1 - rho)) = 13/12 s. */
static void test_mg1_uniform(void)
{
    scenario *sc = load_case("exp(4s)", "uniform(1s, 3s)", 1, "40000s");
    qcase q;
    CU_ASSERT_FATAL(sc != NULL);
    run_case(sc, 20, LEVEL, &q);
    CU_ASSERT_DOUBLE_EQUAL(q.Wq_th, 13.0 / 12, 1e-9);
    assert_in_ci("W", &q.W, q.W_th, 0.05);
    assert_in_ci("Wq", &q.Wq, q.Wq_th, 0.1);
    scn_free(sc);
}

/* Without Poisson arrivals there is no closed form: theory is NaN. */
static void test_no_theory_for_non_poisson(void)
{
    scenario *sc = load_case("const(2s)", "exp(1s)", 1, "2000s");
    qcase q;
    CU_ASSERT_FATAL(sc != NULL);
    run_case(sc, 2, LEVEL, &q);
    CU_ASSERT(isnan(q.W_th));
    CU_ASSERT(q.W.mean > 1.0);
    scn_free(sc);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("queue", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_mm1_seed000);
    CUTEST_ADD(s, test_mm1_half);
    CUTEST_ADD(s, test_mm1_rho09);
    CUTEST_ADD(s, test_mm1_superposition);
    CUTEST_ADD(s, test_md1);
    CUTEST_ADD(s, test_mg1_uniform);
    CUTEST_ADD(s, test_no_theory_for_non_poisson);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
