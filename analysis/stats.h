/* stats.h — running statistics (Welford), time-weighted averages on the
 * integer-ns clock, and summaries across replications with Student-t
 * confidence intervals (GSL).  All state is caller-owned plain structs. */
#ifndef KMSIM_STATS_H
#define KMSIM_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "sim_time.h"

/* Mean / variance / min / max of a stream of samples (Welford, stable). */
typedef struct ana_welford {
    uint64_t n;
    double mean;
    double m2;           /* sum of squared deviations from the mean      */
    double min, max;
} ana_welford;

void ana_welford_init(ana_welford *w);
void ana_welford_add(ana_welford *w, double x);
double ana_welford_var(const ana_welford *w);   /* sample var, NaN if n<2 */
double ana_welford_sd(const ana_welford *w);
/* Merges b into a (Chan et al. parallel formula). */
void ana_welford_merge(ana_welford *a, const ana_welford *b);

/* Time-weighted average of a piecewise-constant signal (e.g. number in
 * system) between `start` and the last update. */
typedef struct ana_twa {
    sim_time start;      /* observation began                            */
    sim_time last;       /* time of the last change                      */
    double value;        /* current level                                */
    double area;         /* integral of level dt, in level * seconds     */
} ana_twa;

void ana_twa_init(ana_twa *a, sim_time start, double value);
/* The level changes to `value` at time t >= last. */
void ana_twa_set(ana_twa *a, sim_time t, double value);
/* Restarts observation at t keeping the current level (end of warm-up). */
void ana_twa_reset(ana_twa *a, sim_time t);
/* Average level over [start, t]; NaN if t == start. */
double ana_twa_mean(const ana_twa *a, sim_time t);

/* Summary of n independent values (one per replication). */
typedef struct ana_summary {
    size_t n;
    double mean, sd;     /* sd NaN when n < 2                            */
    double ci_lo, ci_hi; /* two-sided CI at `level` (Student t, n-1 dof); */
                         /* NaN when n < 2                               */
    double min, max;
} ana_summary;

/* Summarises x[0..n) at confidence `level` (e.g. 0.95).  NaN inputs are
 * skipped (not counted in n).  Returns 0, or -1 if no value is finite. */
int ana_summarize(const double *x, size_t n, double level, ana_summary *out);

/* Two-sided Student t critical value t_{(1+level)/2, dof}. */
double ana_t_quantile(double level, unsigned dof);

#endif
