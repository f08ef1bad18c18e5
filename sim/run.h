/* run.h — running a scenario's replications and writing its results:
 * runs.csv (long form, one row per replication and metric), summary.csv
 * (per metric: n, mean, sd, 95% CI, min, max over replications) and
 * replications.csv (seed, events, fingerprint per replication), on
 * request nodes.csv (per node and replication), plus a readable summary
 * table. */
#ifndef KMSIM_RUN_H
#define KMSIM_RUN_H

#include <signal.h>
#include <stdio.h>
#include "scenario.h"

typedef struct sim_run_opts {
    const char *out_dir;      /* NULL: "results/<scenario name>"          */
    int quiet;                /* no summary table, no progress            */
    int progress;             /* progress line on stderr (a terminal)     */
    int per_node;             /* also write nodes.csv (one row per node   */
                              /*   and replication)                       */
    sim_time until;           /* 0: the scenario's duration               */
    uint64_t max_events;      /* 0: the scenario's max_events             */
    volatile sig_atomic_t *stop; /* set asynchronously to interrupt       */
} sim_run_opts;

/* Exit statuses of kmsim, documented in the README. */
enum { SIM_EXIT_OK = 0, SIM_EXIT_FAIL = 1, SIM_EXIT_INPUT = 2 };

/* Seed of replication r: the base seed itself for r = 0, otherwise 64 bits
 * of BLAKE2b(base, "replication", r).  Replication r of base B is rerun
 * alone with --seed <its seed> --replications 1, and the replications of
 * neighbouring base seeds do not overlap. */
uint64_t sim_run_seed(uint64_t base, uint32_t replication);

/* Runs every replication (seeds from sim_run_seed) and writes the
 * CSVs; prints the summary on `out` unless quiet.  Returns a
 * SIM_EXIT_* status.  Every file is complete (flushed and fsynced) before
 * any is renamed over its target; on failure err holds one line and no
 * result file is left behind (or replaced). */
int sim_run(const scenario *sc, const sim_run_opts *o, FILE *out, char *err,
            size_t errlen);

/* Builds the topology of replication 0 to check it (connectivity where
 * required).  Returns SIM_EXIT_OK or SIM_EXIT_INPUT with a message. */
int sim_run_check(const scenario *sc, char *err, size_t errlen);

#endif
