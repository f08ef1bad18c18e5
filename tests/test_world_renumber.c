/* test_world_renumber.c — --threads 2 across sequence-number renumbering
 * (sim/THREADS.md 4.5).  Built with the world and the protocols from the
 * library and sim/engine/sched.c compiled again with a tiny SIM_SCHED_SEQ_LIMIT
 * (tests/local.mk), so that the schedulers renumber their keys many times
 * in a short run: one scheduler alone (threads 1), the three schedulers of
 * a split run together at barriers (threads 2, on two threads and in turn
 * on one).  Every run must give the one-thread fingerprint, metric rows
 * and event count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "sched.h"
#include "scenario.h"
#include "metrics.h"
#include "tworld.h"
#include "proto.h"


typedef struct rn_result {
    unsigned char fp[32];
    uint64_t rows, events, crossed, renumbers[2];
} rn_result;

/* One run of sc (seed) with threads 1, 2, or -2 (two partitions in turn
 * on this thread). */
static void rn_run(const scenario *sc, uint64_t seed, int threads,
                   rn_result *r)
{
    sim_world *w = tw_new_threads(sc, seed, threads);

    CU_ASSERT_FATAL(w != NULL);
    while (sim_world_run(w, sc->duration, 1000) >= 1000)   /* as run.c */
        ;
    r->renumbers[0] = sim_sched_renumbers(sim_world_part_sched(w, 0));
    r->renumbers[1] = threads == 1 ? 0 : sim_sched_renumbers(
                                             sim_world_part_sched(w, 1));
    sim_world_finish(w);
    sim_world_fingerprint(w, r->fp);
    r->rows = 1469598103934665603ull;
    ana_metrics_rows(sim_world_metrics(w), tw_rows_hash, &r->rows);
    r->events = sim_world_events(w);
    r->crossed = sim_world_crossed(w);
    sim_world_free(w);
}

/* Shipped scenarios whose protocols are threads_ok (none on the lossy
 * grid with a warm-up, Dini with 2% loss, Di Pietro, netkey, pairwise),
 * two seeds each: threads 2 (real and alternating) == threads 1, and the
 * split runs renumbered several times, both partitions together.  Fails
 * when each scheduler renumbers alone (checked: THREADS.md 4.5). */
static void test_threads_renumber(void)
{
    static const char *const f[] = { "grid", "dini-adjacent",
                                     "dipietro-seed001-s1", "netkey-tree",
                                     "pairwise-tree" };
    uint64_t most = 0;

    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        scenario *sc;

        sc = tw_load_shipped(f[k], NULL, 0);
        CU_ASSERT_FATAL(sc != NULL);
        for (uint64_t seed = sc->seed; seed < sc->seed + 2; seed++) {
            rn_result r1, r2, ra;

            rn_run(sc, seed, 1, &r1);
            rn_run(sc, seed, 2, &r2);
            rn_run(sc, seed, -2, &ra);
            if (memcmp(r1.fp, r2.fp, 32) || r1.rows != r2.rows ||
                memcmp(r1.fp, ra.fp, 32) || r1.rows != ra.rows ||
                r1.events != r2.events)
                fprintf(stderr, "\n  %s seed %llu: threads 2 differs\n",
                        f[k], (unsigned long long)seed);
            CU_ASSERT_EQUAL(memcmp(r1.fp, r2.fp, 32), 0);
            CU_ASSERT_EQUAL(r1.rows, r2.rows);
            CU_ASSERT_EQUAL(r1.events, r2.events);
            CU_ASSERT_EQUAL(memcmp(r1.fp, ra.fp, 32), 0);
            CU_ASSERT_EQUAL(r1.rows, ra.rows);
            CU_ASSERT_EQUAL(r1.events, ra.events);
            CU_ASSERT(r2.crossed > 0);
            CU_ASSERT(r1.renumbers[0] >= 1);
            CU_ASSERT(r2.renumbers[0] >= 2);
            CU_ASSERT_EQUAL(r2.renumbers[0], r2.renumbers[1]);
            CU_ASSERT_EQUAL(ra.renumbers[0], r2.renumbers[0]);
            if (r2.renumbers[0] > most)
                most = r2.renumbers[0];
        }
        scn_free(sc);
    }
    CU_ASSERT(most >= 5);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("world_renumber", NULL, NULL);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_threads_renumber);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
