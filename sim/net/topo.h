/* topo.h — topology construction: turns a scn_topology (explicit lists or
 * a generator: star, tree, grid, random geometric) into flat arrays of
 * nodes and links plus a CSR adjacency, and answers connectivity.
 * Generators draw only from the `topology` RNG stream they are given, so
 * the topology never depends on the protocol or the traffic. */
#ifndef KMSIM_TOPO_H
#define KMSIM_TOPO_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>
#include "scenario.h"

/* A link of a built topology: its ends and its parameters by reference,
 * 12 bytes where a copy of the parameters made it 40 (issue 22: 6 million
 * links at 10^6 nodes).  A generated topology has at most three distinct
 * parameter sets (link, backbone, access). */
typedef struct sim_link {
    uint32_t a, b;            /* node indices, a != b                      */
    uint32_t par;             /* index into sim_topo.params                */
} sim_link;

typedef struct sim_topo {
    uint32_t n_nodes;
    scn_node *nodes;          /* index order: SOs, sources, subscribers    */
                              /* for generators; file order for explicit  */
    uint32_t n_links;
    sim_link *links;          /* undirected; a < b never required          */
    uint32_t n_params;
    scn_link_params *params;  /* the distinct link parameters (links[].par) */
    /* CSR adjacency, neighbours sorted by node index (deterministic):     */
    uint32_t *adj_off;        /* n_nodes + 1 offsets into adj / adj_link   */
    uint32_t *adj;            /* neighbour node index                      */
    uint32_t *adj_link;       /* link index of that edge                   */
    uint32_t n_components;    /* connected components (all roles)          */
    uint32_t n_isolated_sources; /* sources with no path to any SO         */
    const volatile sig_atomic_t *stop; /* building: stop when non-zero     */
} sim_topo;

/* Builds the topology.  Generators:
 *  - star: each SO is a hub; sources are attached round-robin to SOs.
 *  - tree: per SO a tree rooted at it, `fanout` children per node, sources
 *    filled in breadth-first order, sources split round-robin over SOs.
 *  - grid: sources on a grid `columns` wide with `spacing`; 4-neighbour
 *    links; SO k sits beside the grid cell at index floor((k+0.5)*S/K)
 *    and links to that source.
 *  - random_geometric: sources and SOs uniform in area; a radio link
 *    between every pair within `range` (bucket grid, O(n) expected).
 * For every generator with more than one SO, SOs are chained in a ring by
 * `backbone` links (just one link when there are two; backbone_shape tree:
 * SO i linked to SO (i - 1) / 2 instead), and subscriber i
 * is attached to SO (i % smart_objects) by an `access` link.
 * Explicit: copies nodes and links as loaded (an endpoint out of range or
 * a self-loop is refused with -1, though the loader already rejects them).
 * Generated nodes have id = index.  Positions: random geometric draws
 * x then y per node, SOs then sources, from `rng`; grid sources at
 * ((k % columns) * spacing, (k / columns) * spacing), SO k at (x,
 * y - spacing/2) of the source it links to; star and tree at (0, 0);
 * subscribers share their SO's position.  Link order: generator links
 * (random geometric: sorted by (a, b), a < b), backbone ring, access.
 * When require_connected and some node cannot reach all others, returns -1
 * with a message naming a node that is cut off.  Other failures (limits)
 * also return -1 with a message (random geometric: checked against the
 * expected link count before generating); no partial result is left in
 * *out, which is overwritten (zeroed first, never freed) either way. */
int sim_topo_build(sim_topo *out, const scn_topology *t, gsl_rng *rng,
                   char *err, size_t errlen);
/* Same, interruptible (issue 20, kmsim extension): *stop (NULL: never) is
 * read between the phases and inside the long loops; when it is set the
 * build stops, returns -1 with "interrupted" in err and leaves *out empty. */
int sim_topo_build_guarded(sim_topo *out, const scn_topology *t,
                           gsl_rng *rng, const volatile sig_atomic_t *stop,
                           char *err, size_t errlen);
void sim_topo_deinit(sim_topo *t);   /* safe on a zeroed or built topo */

/* The parameters of link l (valid as long as t). */
static inline const scn_link_params *sim_topo_link_params(const sim_topo *t,
                                                          uint32_t l)
{
    return &t->params[t->links[l].par];
}

/* Degree of node i. */
static inline uint32_t sim_topo_degree(const sim_topo *t, uint32_t i)
{
    return t->adj_off[i + 1] - t->adj_off[i];
}

#endif
