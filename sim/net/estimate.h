/* estimate.h — what a scenario will cost before it runs (issue 20, kmsim
 * extension): events per simulated second, summed over its periodic
 * activities (traffic, registration retries, protocol re-keying, attacker
 * floods), events per replication, and peak memory (bytes per node per
 * protocol, links, and the queues that grow when an activity offers more
 * than a link or a smart object can carry).  These are estimates, from the
 * parsed values only: no world is built.  sim_est_check turns an absurd
 * one into an error at the option that dominates it (exit 2) or a warning. */
#ifndef KMSIM_ESTIMATE_H
#define KMSIM_ESTIMATE_H

#include <stddef.h>
#include <stdio.h>
#include "scenario.h"

#define SIM_EST_MAX_ITEMS 32

/* One periodic activity of the scenario. */
typedef struct sim_est_item {
    const char *what;        /* the option, e.g. "traffic.interval"      */
    scn_mark mark;           /* where it was written                     */
    double per_node;         /* activities per simulated second, per     */
                             /*   node doing it                          */
    double nodes;            /* how many nodes do it                     */
    double events;           /* events one activity causes (estimate)    */
    double grow_bytes;       /* bytes of queued packets it adds per      */
                             /*   simulated second beyond what links and */
                             /*   smart objects carry (0: bounded)       */
} sim_est_item;

typedef struct sim_estimate {
    double events_per_s;     /* sum over items of per_node*nodes*events  */
    double run_s;            /* simulated seconds per replication        */
    double events;           /* events_per_s * run_s                     */
    double memory;           /* expected peak bytes of one replication   */
    double base_memory;      /* the part that does not grow (world)      */
    double links;            /* links the topology will have             */
    const char *mem_what;    /* the option that dominates memory         */
    double mem_top;          /*   and its share (bytes)                  */
    scn_mark mem_mark;
    size_t n;
    sim_est_item item[SIM_EST_MAX_ITEMS];
} sim_estimate;

/* Adds an activity (ignored when per_node or nodes is 0, or past
 * SIM_EST_MAX_ITEMS).  For protocols' estimate hooks (hooks.h). */
void sim_est_add(sim_estimate *e, const char *what, const scn_mark *mark,
                 double per_node, double nodes, double events,
                 double pkt_bytes);
/* Adds bytes of set-up state (key pools, rings) the protocol holds beyond
 * its per-node share, attributed to option `what` at mark. */
void sim_est_state(sim_estimate *e, const char *what, const scn_mark *mark,
                   double bytes);

/* For protocols' hooks: a control exchange (message and answer) every
 * `period` between each of `nodes` nodes and its SO, e.g. re-keying;
 * period 0 adds nothing. */
void sim_est_periodic(const scenario *sc, sim_estimate *e, const char *what,
                      const scn_mark *mark, sim_time period, double nodes);
/* For protocols with one key authority (the first SO): the backbone part
 * of its exchange every `period` with every node not under its own SO
 * (the SO-to-SO hops, from the backbone's shape). */
void sim_est_central(const scenario *sc, sim_estimate *e, const char *what,
                     const scn_mark *mark, sim_time period);
/* For protocols' hooks: the re-key burst (issue 22).  When the first of
 * a protocol's rounds (every `every`, 0: none, and at the n_at times
 * `at`) falls inside the estimated run, `members` nodes are re-keyed
 * with `bytes` each alive at once (the change message, its kept copy,
 * the ack, key values kept until acked: measured per protocol) — all of
 * them when every SO starts at the same time (the paper), about
 * EST_ROUND_S / rekey_spread + 1 / SOs of them when smart_object.
 * rekey_spread staggers the rounds (at most all).  Added as state at
 * `what` / mark: the pool keeps the packets once the round is over. */
void sim_est_burst(const scenario *sc, sim_estimate *e, const char *what,
                   const scn_mark *mark, sim_time every, const sim_time *at,
                   size_t n_at, double bytes, double members);
/* The number of sources, smart objects and nodes the topology will have. */
void sim_est_counts(const scenario *sc, double *src, double *so,
                    double *nodes);

/* Estimates scenario sc run until `until` (0: its duration). */
void sim_est_compute(const scenario *sc, sim_time until, sim_estimate *e);

/* Thresholds (documented in the README). */
#define SIM_EST_MAX_PER_NODE 1e6   /* activities per node per second     */
#define SIM_EST_WARN_EVENTS  1e9   /* events per replication: a warning  */
#define SIM_EST_MAX_EVENTS   1e12  /* ... refused unless --max-events    */

/* Checks the estimate: returns 0 (after printing warnings, each one line
 * "file:line:column: warning: ...", on `warn` unless NULL) or -1 with one
 * line "file:line:column: ..." in err — an activity faster than
 * SIM_EST_MAX_PER_NODE per node, more than SIM_EST_MAX_EVENTS events per
 * replication unless bounded (max_events non-zero), or memory beyond
 * budget (bytes, 0: none). */
int sim_est_check(const scenario *sc, const sim_estimate *e, uint64_t budget,
                  uint64_t max_events, FILE *warn, char *err, size_t errlen);

/* One line describing e ("estimate: ... events per simulated second, ...
 * events per replication, peak memory ..."), for kmsim validate. */
void sim_est_format(const sim_estimate *e, char *buf, size_t len);

#endif
