/* xpart.c — how a two-way spatial split would cut a run's event graph
 * (issue 22 lever 6, THREADS.md): builds the world of a scenario, splits
 * its nodes at the median x (ties by index; nodes without a position all
 * sit at x = 0, so an unpositioned topology splits by index), sets the
 * scheduler's partition census (sched.h) with the lookahead of that split
 * (the smallest latency of a link between the two halves), runs the
 * scenario once and prints the census.  A measurement, never a test.
 *     xpart SCENARIO.yaml [path=value ...]      (--set overrides) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "scenario.h"
#include "proto.h"
#include "sched.h"
#include "util.h"
#include "world.h"
#include "attack.h"

static double xp_pct(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

int main(int argc, char **argv)
{
    char err[512];
    scenario *sc;
    sim_world *w;
    const sim_topo *t;
    uint8_t *part;
    sim_time look = SIM_TIME_MAX;
    uint32_t cut = 0, v, l, n_part1 = 0;
    sim_sched_census c;
    uint64_t ev;

    if (argc < 2) {
        fprintf(stderr, "usage: xpart SCENARIO.yaml [path=value ...]\n");
        return 2;
    }
    sim_proto_use();    /* the loader's protocol registry */
    sc = scn_load(argv[1], (const char *const *)argv + 2,
                  (size_t)(argc - 2), err, sizeof err);
    if (!sc) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    w = sim_world_new(sc, sc->seed, err, sizeof err);
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
    t = sim_world_topo(w);
    part = sim_world_median_split(t);       /* --threads 2's split */
    for (v = 0; v < t->n_nodes; v++)
        n_part1 += part[v];
    for (l = 0; l < t->n_links; l++)
        if (part[t->links[l].a] != part[t->links[l].b]) {
            sim_time lat = t->params[t->links[l].par].latency;

            cut++;
            if (lat < look)
                look = lat;
        }
    sim_sched_set_census(sim_world_sched(w), part, t->n_nodes, look);
    sim_world_run(w, sc->duration, 0);
    sim_sched_census_get(sim_world_sched(w), &c);
    ev = sim_world_events(w);
    printf("scenario %s: %" PRIu32 " nodes, %" PRIu32 " in part 1, "
           "%" PRIu32 " of %" PRIu32 " links cut, lookahead %.3f ms\n",
           sc->name, t->n_nodes, n_part1, cut, t->n_links,
           look == SIM_TIME_MAX ? -1.0 : (double)look / 1e6);
    printf("events executed %" PRIu64 ", scheduled %" PRIu64 "\n", ev,
           c.scheduled);
    printf("  for part 0 / part 1 %12" PRIu64 " / %" PRIu64 " (balance "
           "%.3f)\n", c.for_part[0], c.for_part[1],
           c.for_part[0] ? (double)c.for_part[1] / (double)c.for_part[0]
                         : 0.0);
    printf("  crossing the split  %12" PRIu64 " (%.3f%%), below the "
           "lookahead %" PRIu64 ", smallest delay %.3f ms\n", c.cross,
           xp_pct(c.cross, c.scheduled), c.cross_short,
           c.cross_min == SIM_TIME_MAX ? -1.0 : (double)c.cross_min / 1e6);
    printf("  by no node (global) %12" PRIu64 " (%.3f%%)\n", c.global_by,
           xp_pct(c.global_by, c.scheduled));
    printf("  for no node         %12" PRIu64 " (%.3f%%)\n", c.global_for,
           xp_pct(c.global_for, c.scheduled));
    printf("  to itself           %12" PRIu64 " (%.3f%%)\n", c.self,
           xp_pct(c.self, c.scheduled));
    sim_world_free(w);
    scn_free(sc);
    free(part);
    return 0;
}
