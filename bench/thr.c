/* thr.c — one replication of a scenario with --threads 1 or 2 (issue 22
 * lever 6, THREADS.md), until the command line's --threads exists in
 * kmsim: prints the events, the fingerprint, a hash of every metric row,
 * the windows' arrivals across the cut and the wall time of the run.  A
 * measurement, never a test.
 *     thr 1|2|alt SCENARIO.yaml [path=value ...]      (--set overrides) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "scenario.h"
#include "proto.h"
#include "util.h"
#include "world.h"
#include "attack.h"

static void thr_rows(void *ctx, const char *name, const char *entity,
                     const char *unit, double value)
{
    uint64_t *h = ctx;
    const char *f[3] = {name, entity, unit};
    const unsigned char *b = (const unsigned char *)&value;

    for (int i = 0; i < 3; i++)
        for (const char *c = f[i]; *c; c++)
            *h = (*h ^ (unsigned char)*c) * 1099511628211ull;
    for (size_t i = 0; i < sizeof value; i++)
        *h = (*h ^ b[i]) * 1099511628211ull;
}

int main(int argc, char **argv)
{
    char err[512];
    scenario *sc;
    sim_world *w;
    struct timespec t0, t1;
    unsigned char fp[32];
    uint64_t h = 1469598103934665603ull;
    int threads;

    if (argc < 3) {
        fprintf(stderr, "usage: thr 1|2 SCENARIO.yaml [path=value ...]\n");
        return 2;
    }
    threads = atoi(argv[1]);
    sim_proto_use();    /* the loader's protocol registry */
    sc = scn_load(argv[2], (const char *const *)argv + 3,
                  (size_t)(argc - 3), err, sizeof err);
    if (!sc) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* "alt": the two partitions in turn on this thread (no sync). */
    w = strcmp(argv[1], "alt") == 0
            ? sim_world_new_alternating(sc, sc->seed, NULL, err, sizeof err)
            : sim_world_new_threads(sc, sc->seed, NULL, threads, err,
                                    sizeof err);
    if (w && atk_attach(w, sim_proto_atk(sc->proto), err,
                        sizeof err) != 0) {                /* as the runner */
        sim_world_free(w);
        w = NULL;
    }
    if (!w) {
        fprintf(stderr, "%s\n", err);
        scn_free(sc);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sim_world_run(w, sc->duration, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sim_world_finish(w);
    sim_world_fingerprint(w, fp);
    ana_metrics_rows(sim_world_metrics(w), thr_rows, &h);
    printf("threads %d events %" PRIu64 " crossed %" PRIu64
           " rows %016" PRIx64 " run %.2f s fp ", threads,
           sim_world_events(w), sim_world_crossed(w), h,
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    for (int i = 0; i < 8; i++)
        printf("%02x", fp[i]);
    printf("\n");
    sim_world_free(w);
    scn_free(sc);
    return 0;
}
