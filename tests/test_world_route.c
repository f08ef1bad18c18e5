/* test_world_route.c — test_world's routing seam: sim_world_next_hop
 * against a reference BFS written here (explicit graphs and every
 * generator), the routing work bounded, and the backbone shapes.  One
 * program with tests/test_world.c (main and the registration); shared
 * helpers in tests/world_t.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "proto.h"
#include "scenario.h"
#include "cry.h"
#include "tworld.h"
#include "world_t.h"

/* ---- Routing: reference BFS ---------------------------------------------
 * sim_world_next_hop against the rule it documents, computed here from
 * scratch for every (at, dst) pair: the nearest-SO forest (multi-source BFS
 * from the SOs in index order) up to at's own SO and down from it, a
 * direct link, else a plain full BFS from dst over neighbours in adjacency
 * order (the link by which it first discovers at).  The world answers the
 * last case from its pendant trees and its core BFS trees; any change of
 * path or of tie-breaking fails here.  rt_ties counts the pairs of that
 * last case where at has more than one neighbour one hop closer to dst, so
 * the tie-breaking is really exercised. */
typedef struct rt_ref {
    const sim_topo *t;
    uint32_t *near, *tolink;  /* forest                                  */
    uint32_t *via, *dist, *queue;  /* BFS from one dst                   */
    uint64_t pairs, ties, fallback;
} rt_ref;

static uint32_t rt_other(const sim_topo *t, uint32_t l, uint32_t v)
{
    return t->links[l].a == v ? t->links[l].b : t->links[l].a;
}

static void rt_ref_forest(rt_ref *r)
{
    const sim_topo *t = r->t;
    uint32_t head = 0, tail = 0;

    for (uint32_t v = 0; v < t->n_nodes; v++) {
        r->near[v] = r->tolink[v] = SIM_NONE;
        if (t->nodes[v].role == SCN_ROLE_SO) {
            r->near[v] = v;
            r->queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t u = r->queue[head++];
        for (uint32_t e = t->adj_off[u]; e < t->adj_off[u + 1]; e++) {
            uint32_t v = t->adj[e];
            if (r->near[v] != SIM_NONE)
                continue;
            r->near[v] = r->near[u];
            r->tolink[v] = t->adj_link[e];
            r->queue[tail++] = v;
        }
    }
}

static void rt_ref_bfs(rt_ref *r, uint32_t dst)
{
    const sim_topo *t = r->t;
    uint32_t head = 0, tail = 0;

    for (uint32_t v = 0; v < t->n_nodes; v++) {
        r->via[v] = SIM_NONE;
        r->dist[v] = SIM_NONE;
    }
    r->dist[dst] = 0;
    r->queue[tail++] = dst;
    while (head < tail) {
        uint32_t u = r->queue[head++];
        for (uint32_t e = t->adj_off[u]; e < t->adj_off[u + 1]; e++) {
            uint32_t v = t->adj[e];
            if (r->dist[v] != SIM_NONE)
                continue;
            r->dist[v] = r->dist[u] + 1;
            r->via[v] = t->adj_link[e];
            r->queue[tail++] = v;
        }
    }
}

/* The link the documented rule picks from at towards dst (BFS from dst
 * already in r), or SIM_NONE. */
static uint32_t rt_ref_link(rt_ref *r, uint32_t at, uint32_t dst)
{
    const sim_topo *t = r->t;

    if (at == dst)
        return SIM_NONE;
    if (r->near[at] == dst && r->tolink[at] != SIM_NONE)
        return r->tolink[at];
    for (uint32_t e = t->adj_off[at]; e < t->adj_off[at + 1]; e++)
        if (t->adj[e] == dst)
            return t->adj_link[e];
    if (r->near[dst] == r->near[at] && r->near[dst] != SIM_NONE)
        for (uint32_t v = dst; r->tolink[v] != SIM_NONE;) {
            uint32_t p = rt_other(t, r->tolink[v], v);
            if (p == at)
                return r->tolink[v];
            v = p;
        }
    r->fallback++;
    if (r->dist[at] != SIM_NONE) {
        uint32_t closer = 0;
        for (uint32_t e = t->adj_off[at]; e < t->adj_off[at + 1]; e++)
            closer += r->dist[t->adj[e]] + 1 == r->dist[at];
        r->ties += closer > 1;
    }
    return r->via[at];
}

/* Checks every pair of the world built from yaml; adds to the counters of
 * *tot.  Returns the mismatches. */
static uint64_t rt_check_world(const char *yaml, rt_ref *tot)
{
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    rt_ref r = {0};
    uint64_t bad = 0;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    if (!w)
        fprintf(stderr, "world failed: %s\n", err);
    CU_ASSERT_FATAL(w != NULL);
    r.t = sim_world_topo(w);
    r.near = calloc(r.t->n_nodes, sizeof *r.near);
    r.tolink = calloc(r.t->n_nodes, sizeof *r.tolink);
    r.via = calloc(r.t->n_nodes, sizeof *r.via);
    r.dist = calloc(r.t->n_nodes, sizeof *r.dist);
    r.queue = calloc(r.t->n_nodes, sizeof *r.queue);
    CU_ASSERT_FATAL(r.near && r.tolink && r.via && r.dist && r.queue);
    rt_ref_forest(&r);
    /* Destinations in two passes, the second in reverse order, so that the
     * world's cached trees are also reused after other queries. */
    for (uint32_t pass = 0; pass < 2; pass++)
        for (uint32_t k = 0; k < r.t->n_nodes; k++) {
            uint32_t dst = pass ? r.t->n_nodes - 1 - k : k;
            rt_ref_bfs(&r, dst);
            for (uint32_t at = 0; at < r.t->n_nodes; at++) {
                uint32_t want = rt_ref_link(&r, at, dst), l = SIM_NONE;
                uint32_t nb = sim_world_next_hop(w, at, dst, &l);
                r.pairs++;
                if (want == SIM_NONE ? nb != SIM_NONE
                                     : nb != rt_other(r.t, want, at) ||
                                       l != want) {
                    if (bad++ < 5)
                        fprintf(stderr, "next_hop(%u, %u) = %u link %u, "
                                "reference link %u\n", at, dst, nb, l, want);
                }
            }
        }
    tot->pairs += r.pairs;
    tot->ties += r.ties;
    tot->fallback += r.fallback;
    free(r.near);
    free(r.tolink);
    free(r.via);
    free(r.dist);
    free(r.queue);
    sim_world_free(w);
    scn_free(sc);
    return bad;
}

static uint64_t rt_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define RT_NMAX 96
static unsigned char rt_has[RT_NMAX][RT_NMAX];  /* links so far (a, b) */

/* Appends ", {a: x, b: y}" (or the first) to a links list, unless a == b
 * or the link is already there (the loader refuses both). */
static void rt_link(char *buf, size_t cap, size_t *len, uint32_t a,
                    uint32_t b)
{
    int k;

    if (a == b || rt_has[a][b])
        return;
    rt_has[a][b] = rt_has[b][a] = 1;
    k = snprintf(buf + *len, cap - *len, "%s{a: %u, b: %u}",
                 *len ? ", " : "", a, b);
    CU_ASSERT_FATAL(k > 0 && (size_t)k < cap - *len);
    *len += (size_t)k;
}

/* Random explicit graphs of every shape: trees, trees with a ring, grids
 * with holes and pendant chains, random graphs with cycles, several
 * components (some with no SO, some with no cycle). */
void test_route_reference_explicit(void)
{
    static char links[32768], nodes[16384], yaml[65536];
    rt_ref tot = {0};
    uint64_t seed = 0x9e3779b97f4a7c15ull, bad = 0;

    for (int g = 0; g < 240; g++) {
        uint32_t n = 2 + (uint32_t)(rt_rand(&seed) % 46), shape = g % 6;
        size_t len = 0, nl = 0;

        memset(rt_has, 0, sizeof rt_has);
        uint32_t n_so = 0, so_of[RT_NMAX];

        for (uint32_t i = 0; i < n; i++) {
            /* about one SO in six; graph 5k has just one */
            int so = i == 0 || (shape != 5 && rt_rand(&seed) % 6 == 0);
            int k = snprintf(nodes + nl, sizeof nodes - nl,
                             "%s{id: %u, role: %s}", i ? ", " : "", i,
                             so ? "smart_object" : "source");
            CU_ASSERT_FATAL(k > 0 && (size_t)k < sizeof nodes - nl);
            nl += (size_t)k;
            if (so)
                so_of[n_so++] = i;
        }
        /* Every SO gets a source of its own (the loader wants each SO
         * reachable from a source), appended after the n nodes. */
        for (uint32_t j = 0; j < n_so; j++) {
            int k = snprintf(nodes + nl, sizeof nodes - nl,
                             ", {id: %u, role: source}", n + j);
            CU_ASSERT_FATAL(k > 0 && (size_t)k < sizeof nodes - nl);
            nl += (size_t)k;
            rt_link(links, sizeof links, &len, so_of[j], n + j);
        }
        if (shape == 0 || shape == 1 || shape == 5) {
            /* random tree (1: plus a ring over a random subset) */
            for (uint32_t i = 1; i < n; i++)
                rt_link(links, sizeof links, &len,
                        (uint32_t)(rt_rand(&seed) % i), i);
            if (shape == 1 && n >= 3) {
                uint32_t m = 3 + (uint32_t)(rt_rand(&seed) % (n - 2));
                uint32_t first = (uint32_t)(rt_rand(&seed) % n), prev = first;
                for (uint32_t j = 1; j < m; j++) {
                    uint32_t v = (uint32_t)(rt_rand(&seed) % n);
                    rt_link(links, sizeof links, &len, prev, v);
                    prev = v;
                }
                rt_link(links, sizeof links, &len, prev, first);
            }
        } else if (shape == 2) {
            /* grid with holes, then pendant chains on the last nodes */
            uint32_t cols = 2 + (uint32_t)(rt_rand(&seed) % 5);
            uint32_t cells = n * 2 / 3 + 1;
            for (uint32_t i = 0; i < cells && i < n; i++) {
                if (i % cols && rt_rand(&seed) % 5)
                    rt_link(links, sizeof links, &len, i - 1, i);
                if (i >= cols && rt_rand(&seed) % 5)
                    rt_link(links, sizeof links, &len, i - cols, i);
            }
            for (uint32_t i = cells; i < n; i++)
                rt_link(links, sizeof links, &len,
                        (uint32_t)(rt_rand(&seed) % i), i);
        } else if (shape == 3) {
            /* random graph with cycles */
            uint32_t m = n + (uint32_t)(rt_rand(&seed) % (2 * n));
            for (uint32_t j = 0; j < m; j++) {
                uint32_t a = (uint32_t)(rt_rand(&seed) % n);
                uint32_t b = (uint32_t)(rt_rand(&seed) % n);
                rt_link(links, sizeof links, &len, a, b);
            }
        } else {
            /* several components: a cycle, a tree, a cycle with trees */
            uint32_t c1 = n / 3, c2 = 2 * n / 3;
            for (uint32_t i = 1; i < c1; i++)
                rt_link(links, sizeof links, &len, i - 1, i);
            if (c1 >= 3)
                rt_link(links, sizeof links, &len, c1 - 1, 0);
            for (uint32_t i = c1 + 1; i < c2; i++)
                rt_link(links, sizeof links, &len,
                        c1 + (uint32_t)(rt_rand(&seed) % (i - c1)), i);
            for (uint32_t i = c2 + 1; i < n; i++)
                rt_link(links, sizeof links, &len,
                        c2 + (uint32_t)(rt_rand(&seed) % (i - c2)), i);
            if (n - c2 >= 4)
                rt_link(links, sizeof links, &len, n - 1, c2);
        }
        snprintf(yaml, sizeof yaml,
                 "name: t\nseed: 1\nduration: 1s\nprotocol: none\n"
                 "topology:\n  generator: explicit\n"
                 "  require_connected: false\n"
                 "  nodes: [%s]\n  links: [%s]\n", nodes, links);
        bad += rt_check_world(yaml, &tot);
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* The comparison reached the BFS case, with ties, many times. */
    CU_ASSERT(tot.fallback > 10000);
    CU_ASSERT(tot.ties > 1000);
}

/* Every generator, K up to 64 SOs, both backbone shapes. */
void test_route_reference_generators(void)
{
    static const char *const gen[] = {
        "{generator: star, sources: %u, smart_objects: %u, subscribers: %u,"
        " backbone_shape: %s}",
        "{generator: tree, sources: %u, smart_objects: %u, subscribers: %u,"
        " backbone_shape: %s, fanout: 3}",
        "{generator: grid, sources: %u, smart_objects: %u, subscribers: %u,"
        " backbone_shape: %s, columns: 7, spacing: 1m}",
        "{generator: random_geometric, sources: %u, smart_objects: %u,"
        " subscribers: %u, backbone_shape: %s, area: [100m, 100m],"
        " range: 22m, require_connected: false}",
    };
    static const uint32_t ks[] = {1, 2, 3, 5, 8, 17, 64};
    static const char *const shapes[] = {"ring", "tree"};
    char topo[512], yaml[1024];
    rt_ref tot = {0};
    uint64_t bad = 0;

    for (size_t g = 0; g < 4; g++)
        for (size_t k = 0; k < sizeof ks / sizeof ks[0]; k++)
            for (size_t s = 0; s < 2; s++) {
                uint32_t src = ks[k] < 8 ? 40 : 70;
                snprintf(topo, sizeof topo, gen[g], src, ks[k],
                         ks[k] > 3 ? 5u : 2u, shapes[s]);
                snprintf(yaml, sizeof yaml,
                         "name: t\nseed: 1\nduration: 1s\nprotocol: none\n"
                         "topology: %s\n", topo);
                bad += rt_check_world(yaml, &tot);
            }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(tot.fallback > 10000);
    CU_ASSERT(tot.ties > 1000);
}

/* Routing work is bounded by the core, not the graph: a tree generator
 * with a tree backbone has no core, so no query ever runs a BFS; with a
 * ring backbone of 64 SOs the core is one plain cycle, routed by position
 * (a BFS over all 1,000 nodes per destination, as before the 2-core
 * decomposition, would expand ~10^6 nodes). */
void test_route_work_bounded(void)
{
    static const char *fmt =
        "name: t\nseed: 1\nduration: 1s\nprotocol: none\n"
        "topology: {generator: tree, sources: 936, smart_objects: 64,"
        " fanout: 2, backbone_shape: %s}\n";
    char yaml[512], err[256];

    for (int ring = 0; ring < 2; ring++) {
        scenario *sc;
        sim_world *w;
        uint32_t n, unreachable = 0;

        snprintf(yaml, sizeof yaml, fmt, ring ? "ring" : "tree");
        sc = load(yaml);
        CU_ASSERT_FATAL(sc != NULL);
        w = sim_world_new(sc, 1, err, sizeof err);
        CU_ASSERT_FATAL(w != NULL);
        n = sim_world_topo(w)->n_nodes;
        CU_ASSERT_EQUAL(n, 1000);
        for (uint32_t dst = 0; dst < n; dst++)
            for (uint32_t at = 0; at < n; at++)
                unreachable += at != dst &&
                               sim_world_next_hop(w, at, dst, NULL) ==
                                   SIM_NONE;
        CU_ASSERT_EQUAL(unreachable, 0);
        /* the ring is a core that is one plain cycle: routed by position
         * (route_cycle), no BFS tree at all, like the tree backbone */
        CU_ASSERT_EQUAL(sim_world_route_builds(w), 0);
        CU_ASSERT_EQUAL(sim_world_route_visits(w), 0);
        sim_world_free(w);
        scn_free(sc);
    }
}

/* backbone_shape tree joins SO i to SO (i - 1) / 2 (K - 1 links); ring
 * joins SO i to SO (i + 1) % K (K links). */
void test_backbone_shape(void)
{
    static const char *fmt =
        "name: t\nseed: 1\nduration: 1s\nprotocol: none\n"
        "topology: {generator: star, sources: 20, smart_objects: 9%s}\n";
    static const char *const opt[] = {"", ", backbone_shape: ring",
                                      ", backbone_shape: tree"};
    char yaml[512], err[256];

    for (int i = 0; i < 3; i++) {
        scenario *sc;
        sim_world *w;
        const sim_topo *t;
        uint32_t bb = 0, ok = 0;

        snprintf(yaml, sizeof yaml, fmt, opt[i]);
        sc = load(yaml);
        CU_ASSERT_FATAL(sc != NULL);
        w = sim_world_new(sc, 1, err, sizeof err);
        CU_ASSERT_FATAL(w != NULL);
        t = sim_world_topo(w);
        for (uint32_t l = 0; l < t->n_links; l++) {
            uint32_t a = t->links[l].a, b = t->links[l].b;
            if (a >= 9 || b >= 9)
                continue;
            bb++;
            if (a > b) {
                uint32_t x = a;
                a = b;
                b = x;
            }
            ok += i == 2 ? a == (b - 1) / 2
                         : b == a + 1 || (a == 0 && b == 8);
        }
        CU_ASSERT_EQUAL(bb, i == 2 ? 8u : 9u);
        CU_ASSERT_EQUAL(ok, bb);
        /* SO 8 to SO 4: ring 8-7-6-5-4, tree 8-3-1-4 (every source hangs
         * from one SO, so no path is shorter). */
        {
            uint32_t v = 8, hops = 0;
            while (v != 4 && hops < 20) {
                v = sim_world_next_hop(w, v, 4, NULL);
                hops++;
            }
            CU_ASSERT_EQUAL(hops, i == 2 ? 3u : 4u);
        }
        sim_world_free(w);
        scn_free(sc);
    }
    {
        /* A bad shape: one line at the value's line:column. */
        static const char *bad =
            "name: t\nseed: 1\nduration: 1s\nprotocol: none\n"
            "topology:\n  generator: star\n  sources: 2\n"
            "  smart_objects: 2\n  backbone_shape: star\n";
        scenario *sc = scn_load_buffer("bb.yaml", bad, strlen(bad), NULL, 0,
                                       err, sizeof err);
        CU_ASSERT_PTR_NULL(sc);
        CU_ASSERT_STRING_EQUAL(err, "bb.yaml:9:19: invalid value 'star' for "
                               "'backbone_shape' (use ring, tree)");
        scn_free(sc);
    }
    CU_ASSERT_PTR_NULL(load("name: t\nseed: 1\nduration: 1s\nprotocol: none\n"
                            "topology: {generator: explicit, nodes: "
                            "[{id: 1, role: smart_object}], links: [],"
                            " backbone_shape: tree}\n"));
}
