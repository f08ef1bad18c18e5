/* sweep.h — kmsim sweep: the cross product of a scenario's `sweep:` axes
 * (and the command line's --vary and --protocols), times the
 * replications, run in parallel worker processes (and, in an MPI build,
 * over MPI ranks), with every finished point appended durably to a
 * journal so an interrupted sweep resumes where it stopped.
 *
 * A point is one (configuration, replication).  Its seed is
 * sim_run_seed(configuration's seed, replication): the same whatever else
 * is swept, and the same `kmsim run --set ...` gives it, so a point is
 * rerun alone with the overrides `--list` shows.  Configurations share
 * seeds (common random numbers), as in kmsim compare.
 *
 * Results (DIR: --out, default results/<name>-sweep): runs.csv,
 * summary.csv and replications.csv, in exactly kmsim run's formats (one
 * column per --set path and swept path), points in expansion order, so
 * the files are byte-identical whatever the number of jobs or ranks and
 * however often the sweep was interrupted.  DIR/sweep.journal holds the
 * finished points (keyed by configuration hash, seed, replication and
 * limits, so a changed sweep reuses the points it still contains). */
#ifndef KMSIM_SWEEP_H
#define KMSIM_SWEEP_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "sim_time.h"

#define SIM_SWEEP_MAX_POINTS 1000000u

typedef struct sim_sweep_opts {
    const char *file;
    const char *const *sets;  /* --set: the base of every point          */
    size_t n_sets;
    const char *protocol;     /* --protocol: the protocol when no axis   */
                              /*   varies it (NULL: protocol.name)       */
    const char *protocols;    /* --protocols a,b: a protocol.name axis   */
    const char *const *varies;/* --vary path=v1,v2,...                    */
    size_t n_varies;
    int have_seed;            /* --seed                                   */
    uint64_t seed;
    uint32_t replications;    /* 0: the scenario's                        */
    sim_time until;           /* 0: the scenario's duration               */
    uint64_t max_events;      /* 0: no limit (sim_run_opts)             */
    uint64_t max_memory;      /* bytes, 0: none (sim_run_opts)            */
    const char *out_dir;      /* NULL: results/<name>-sweep               */
    unsigned jobs;            /* worker processes (>= 1)                  */
    sim_time series;          /* --series (kmsim extension, issue 23):   */
                              /*   > 0 writes series.csv (sim_run_opts);  */
                              /*   part of each point's journal key       */
    const char *series_metrics; /* --series-metrics, NULL: the default   */
    int threads;              /* --threads: each point's world on 1 (0   */
                              /*   too) or 2 threads (sim_run_opts; not  */
                              /*   in the CSVs nor the point keys: the   */
                              /*   results do not depend on it)          */
    const char *only;         /* "3,5-9": these point indices; NULL: all  */
    const char *const *wheres;/* path=value: points with that value       */
    size_t n_wheres;          /*   (also replication=N, protocol=NAME)    */
    int list;                 /* print the points, run nothing            */
    int fail_fast;            /* no new point after a failure (default:   */
                              /*   keep going)                            */
    int quiet;                /* no summary                               */
    int progress;             /* progress line on stderr                  */
    volatile sig_atomic_t *stop; /* set asynchronously to interrupt       */
    int *warnings;            /* NULL, or += the health warnings printed  */
                              /*   per configuration (health.h)            */
    int argc;                 /* the command line for run.yaml (prov.h), */
    const char *const *argv;  /*   written with the CSVs; NULL: none     */
    const char *db;           /* --db FILE: the written directory is     */
                              /*   stored there by this (the parent)      */
                              /*   process, in one transaction (db.h)     */
} sim_sweep_opts;

/* The expanded sweep. */
typedef struct sim_sweep sim_sweep;

/* Expands o (loading and validating every configuration).  NULL with one
 * line in err (file:line:column, or the flag) on bad input. */
sim_sweep *sim_sweep_expand(const sim_sweep_opts *o, char *err,
                            size_t errlen);
void sim_sweep_free(sim_sweep *s);    /* NULL is a no-op */

/* Points in expansion order: configurations odometer-style (the last
 * axis fastest), replications innermost. */
size_t sim_sweep_npoints(const sim_sweep *s);
size_t sim_sweep_nconfigs(const sim_sweep *s);
typedef struct sim_sweep_point {
    size_t config;
    uint32_t replication;
    uint64_t seed;
    const char *protocol;     /* the protocol run                         */
} sim_sweep_point;
void sim_sweep_point_info(const sim_sweep *s, size_t idx,
                          sim_sweep_point *out);
/* The value of axis path `path` at point idx; NULL if not swept. */
const char *sim_sweep_value(const sim_sweep *s, size_t idx,
                            const char *path);

/* Runs the selected points not yet in the journal and writes the CSVs.
 * Returns SIM_EXIT_OK, SIM_EXIT_FAIL (a point failed: the others are
 * written; interrupted: the journal keeps what finished) or
 * SIM_EXIT_INPUT.  Prints the summary (or, with o->list, the points) on
 * `out`; failures and progress on stderr. */
int sim_sweep_run(sim_sweep *s, FILE *out, char *err, size_t errlen);

/* Expand + run (kmsim sweep). */
int sim_sweep_main(const sim_sweep_opts *o, FILE *out, char *err, size_t errlen);

#endif
