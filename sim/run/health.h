/* health.h — health checks of a run (issue 21 item 3, kmsim extension):
 * after each replication the run's own measured metrics are condensed
 * into health.* metrics (rows of runs.csv and summary.csv like any
 * other); after the run their means over the replications are compared
 * with fixed thresholds and each problem is one warning line on stderr,
 * "kmsim: warning: <what> (<metric> = <value>; usually <cause>)".
 * Nothing is recomputed from the scenario except the anonymous sources
 * (which never register by design); the offered arrival rate is the
 * run's own queue.arrival_rate.theory. */
#ifndef KMSIM_HEALTH_H
#define KMSIM_HEALTH_H

#include <stdint.h>
#include <stdio.h>
#include "metrics.h"

/* Thresholds (documented in the README, "Health checks"). */
#define SIM_HEALTH_AT_SO_MIN   0.95  /* data.at_so / data.generated        */
#define SIM_HEALTH_RHO_MAX     1.0   /* an SO with rho >= this is unstable */
#define SIM_HEALTH_RATE_TOL    0.20  /* |measured/offered - 1| above this  */
#define SIM_HEALTH_RATE_Z      3.0   /*   and above this many Poisson      */
                                     /*   standard errors (1/sqrt(N))      */

/* Registers and sets the health.* metrics of one finished replication
 * from the metrics in m (which it reads; `anonymous` is the number of
 * sources configured never to register).  A check whose inputs the run
 * did not measure gets no row (e.g. health.sources_without_channel for a
 * protocol that forms no channel). */
void sim_health_measure(ana_metrics *m, uint32_t anonymous);

/* Prints one warning line on err (unless NULL) per health.* mean in res
 * beyond its threshold; `what` (NULL or "") prefixes each problem, e.g. a
 * protocol of kmsim compare or a sweep point.  Returns the number of
 * warnings. */
int sim_health_warn(const ana_results *res, const char *what, FILE *err);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_health[];

#endif
