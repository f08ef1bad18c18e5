/* topo.c — topology construction: the star, tree, grid and random
 * geometric generators, explicit copies, the CSR adjacency and the
 * connectivity count.  Everything is iterative and O(nodes + links)
 * (random geometric: expected), so 10^6-node topologies build in seconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "topo.h"
#include "util.h"

/* ---- Helpers ----------------------------------------------------------- */

static const char *topo_role_name(scn_role r)
{
    switch (r) {
    case SCN_ROLE_SOURCE:     return "source";
    case SCN_ROLE_SO:         return "smart object";
    case SCN_ROLE_SUBSCRIBER: return "subscriber";
    }
    return "unknown role";
}

/* Backbone links needed to join k SOs: a ring (k links, one for k = 2)
 * or a binary-heap tree (k - 1). */
static uint64_t topo_ring_links(const scn_topology *t)
{
    uint32_t k = t->smart_objects;

    if (t->backbone_shape == SCN_BACKBONE_TREE)
        return k ? k - 1 : 0;
    return k < 2 ? 0 : k == 2 ? 1 : k;
}

/* Distinct parameter sets compared before a new one is added: generators
 * have three; an explicit list with more distinct sets than this may hold
 * duplicates (correct, a little larger), never a quadratic search. */
#define TOPO_PARAM_SCAN 64

/* Index of parameters equal to *p in o->params (bit for bit), added if
 * none of the last TOPO_PARAM_SCAN is. */
static uint32_t topo_param_ix(sim_topo *o, const scn_link_params *p)
{
    uint32_t n = o->n_params, k;

    for (k = n; k > 0 && n - k < TOPO_PARAM_SCAN; k--)
        if (memcmp(&o->params[k - 1], p, sizeof *p) == 0)
            return k - 1;
    if ((n & (n - 1)) == 0)            /* 0, 1, 2, 4, ...: full, grow */
        o->params = xreallocarray(o->params, n ? 2 * (size_t)n : 4,
                                  sizeof *o->params);
    o->params[n] = *p;
    return o->n_params++;
}

/* Appends a link; the caller sized out->links exactly beforehand. */
static void topo_add_link(sim_topo *o, uint32_t a, uint32_t b,
                          const scn_link_params *p)
{
    sim_link *l = &o->links[o->n_links++];

    l->a = a;
    l->b = b;
    l->par = topo_param_ix(o, p);
}

/* Checks the generator's node count and the links it will create beside
 * `base_links` (generator-specific), then allocates nodes (ids = index,
 * roles SOs, sources, subscribers, positions 0) and exactly enough links. */
static int topo_gen_alloc(sim_topo *o, const scn_topology *t,
                          uint64_t base_links, char *err, size_t errlen)
{
    uint64_t n = (uint64_t)t->smart_objects + t->sources + t->subscribers;
    uint64_t m = base_links + topo_ring_links(t) +
                 t->subscribers;
    uint32_t i;

    if (n > SCN_MAX_NODES) {
        xmsg(err, errlen, "topology has %llu nodes (limit %u)",
                 (unsigned long long)n, SCN_MAX_NODES);
        return -1;
    }
    if (m > SCN_MAX_LINKS) {
        xmsg(err, errlen, "topology has %llu links (limit %u)",
                 (unsigned long long)m, SCN_MAX_LINKS);
        return -1;
    }
    if (t->subscribers > 0 && t->smart_objects == 0) {
        xmsg(err, errlen, "%u subscribers but no smart object to "
                 "attach them to", t->subscribers);
        return -1;
    }
    o->n_nodes = (uint32_t)n;
    o->nodes = xcalloc(n, sizeof *o->nodes);
    o->links = xcalloc(m, sizeof *o->links);
    for (i = 0; i < o->n_nodes; i++) {
        o->nodes[i].id = i;
        o->nodes[i].role = i < t->smart_objects ? SCN_ROLE_SO
                         : i < t->smart_objects + t->sources
                               ? SCN_ROLE_SOURCE : SCN_ROLE_SUBSCRIBER;
    }
    return 0;
}

/* The links every generator adds after its own: the SO backbone and one
 * access link per subscriber, which also sits at its SO's position (it has
 * no radio of its own).  The backbone is a ring (paper: the seeds say only
 * that SOs share their registry, interpretation) or, with backbone_shape
 * tree (kmsim extension), SO i linked to SO (i - 1) / 2: SO-to-SO paths of
 * O(log K) hops instead of ~K/4, so a round from one SO to all the others
 * costs O(K log K) hops, not O(K^2). */
static void topo_gen_finish(sim_topo *o, const scn_topology *t)
{
    uint32_t k = t->smart_objects, i;
    uint32_t sub0 = t->smart_objects + t->sources;

    if (t->backbone_shape == SCN_BACKBONE_TREE)
        for (i = 1; i < k; i++)
            topo_add_link(o, (i - 1) / 2, i, &t->backbone);
    else if (k == 2)
        topo_add_link(o, 0, 1, &t->backbone);
    else if (k > 2)
        for (i = 0; i < k; i++)
            topo_add_link(o, i, (i + 1) % k, &t->backbone);
    for (i = 0; i < t->subscribers; i++) {
        uint32_t so = i % k;

        o->nodes[sub0 + i].x = o->nodes[so].x;
        o->nodes[sub0 + i].y = o->nodes[so].y;
        topo_add_link(o, so, sub0 + i, &t->access);
    }
}

/* ---- Generators -------------------------------------------------------- */

/* Source j hangs off SO j % K. */
static int topo_gen_star(sim_topo *o, const scn_topology *t,
                         char *err, size_t errlen)
{
    uint32_t k = t->smart_objects, j;

    if (t->sources > 0 && k == 0) {
        xmsg(err, errlen, "star topology needs at least one smart "
                 "object");
        return -1;
    }
    if (topo_gen_alloc(o, t, t->sources, err, errlen) < 0)
        return -1;
    for (j = 0; j < t->sources; j++)
        topo_add_link(o, j % k, k + j, &t->link);
    topo_gen_finish(o, t);
    return 0;
}

/* Source j belongs to the tree of SO j % K at local position m = j / K
 * (breadth-first, 0 = first child of the root).  Tree positions are
 * p = m + 1 with the root at 0, so the parent of local m is position
 * m / fanout: the SO itself when 0, else local m / fanout - 1. */
static int topo_gen_tree(sim_topo *o, const scn_topology *t,
                         char *err, size_t errlen)
{
    uint32_t k = t->smart_objects, j;

    if (t->sources > 0 && k == 0) {
        xmsg(err, errlen, "tree topology needs at least one smart "
                 "object");
        return -1;
    }
    if (t->sources > 0 && t->fanout == 0) {
        xmsg(err, errlen, "tree topology needs fanout >= 1");
        return -1;
    }
    if (topo_gen_alloc(o, t, t->sources, err, errlen) < 0)
        return -1;
    for (j = 0; j < t->sources; j++) {
        uint32_t so = j % k, m = j / k, q = m / t->fanout;
        uint32_t parent = q == 0 ? so : k + (q - 1) * k + so;

        topo_add_link(o, parent, k + j, &t->link);
    }
    topo_gen_finish(o, t);
    return 0;
}

/* Source j at ((j % c) * spacing, (j / c) * spacing), links to the right
 * and next-row neighbours (created in source order, right first).  SO k
 * sits at (x, y - spacing/2) of source floor((k+0.5)*S/K) and links to
 * it. */
static int topo_gen_grid(sim_topo *o, const scn_topology *t,
                         char *err, size_t errlen)
{
    uint32_t k = t->smart_objects, s = t->sources, c = t->columns, j;
    uint64_t horiz, vert, m;

    if (s > 0 && c == 0) {
        xmsg(err, errlen, "grid topology needs columns >= 1");
        return -1;
    }
    if (s > 0) {
        horiz = (uint64_t)(s / c) * (c - 1) + (s % c ? s % c - 1 : 0);
        vert = s > c ? s - c : 0;
        m = horiz + vert + k;
    } else {
        m = 0;
    }
    if (topo_gen_alloc(o, t, m, err, errlen) < 0)
        return -1;
    for (j = 0; j < s; j++) {
        o->nodes[k + j].x = (double)(j % c) * t->spacing;
        o->nodes[k + j].y = (double)(j / c) * t->spacing;
    }
    for (j = 0; j < s; j++) {
        if (j % c + 1 < c && j + 1 < s)
            topo_add_link(o, k + j, k + j + 1, &t->link);
        if ((uint64_t)j + c < s)
            topo_add_link(o, k + j, k + j + c, &t->link);
    }
    for (j = 0; s > 0 && j < k; j++) {
        uint32_t cell = (uint32_t)(((2 * (uint64_t)j + 1) * s) /
                                   (2 * (uint64_t)k));

        o->nodes[j].x = o->nodes[k + cell].x;
        o->nodes[j].y = o->nodes[k + cell].y - t->spacing / 2;
        topo_add_link(o, j, k + cell, &t->link);
    }
    topo_gen_finish(o, t);
    return 0;
}

/* Bucket grid over the radio nodes (SOs and sources): slot k of the
 * cell-sorted order holds node idx[k] at (px[k], py[k]); the nodes of cell
 * c occupy slots start[c] .. start[c + 1] - 1 in increasing node index.
 * Cells are at least `range` wide, so every pair within range lies in
 * the same or an adjacent cell. */
typedef struct topo_cells {
    uint32_t cw, ch;       /* cells per row, rows                        */
    uint32_t *start;       /* cw * ch + 1 slot offsets                   */
    uint32_t *idx;         /* node index per slot                        */
    double *px, *py;       /* position per slot (locality in the scan)   */
    const volatile sig_atomic_t *stop; /* read once per row of cells      */
} topo_cells;

/* The set-up guard: 1 when the build must stop (issue 20). */
static int topo_stopped(const volatile sig_atomic_t *stop)
{
    return stop && *stop;
}

static void topo_cells_build(topo_cells *g, const scn_node *nodes,
                             uint32_t n, double w, double h, double range)
{
    /* Cap the number of cells near 4n so a tiny range over a huge area
     * cannot allocate absurd memory; larger cells stay correct. */
    double limit = 4.0 * n + 16, cell = range, cwd, chd;
    uint32_t *cell_of, *cur, i, nc;

    if (!(cell > 0))
        cell = sqrt(w * h / limit);
    for (;;) {
        cwd = ceil(w / cell);
        chd = ceil(h / cell);
        if (cwd < 1)
            cwd = 1;
        if (chd < 1)
            chd = 1;
        if (cwd * chd <= limit)
            break;
        cell *= 2;
    }
    g->cw = (uint32_t)cwd;
    g->ch = (uint32_t)chd;
    nc = g->cw * g->ch;
    g->start = xcalloc((size_t)nc + 1, sizeof *g->start);
    g->idx = xmalloc((size_t)n * sizeof *g->idx);
    g->px = xmalloc((size_t)n * sizeof *g->px);
    g->py = xmalloc((size_t)n * sizeof *g->py);
    cell_of = xmalloc((size_t)n * sizeof *cell_of);
    for (i = 0; i < n; i++) {
        double fx = nodes[i].x / cell, fy = nodes[i].y / cell;
        uint32_t cx = fx > 0 ? (fx < g->cw ? (uint32_t)fx : g->cw - 1) : 0;
        uint32_t cy = fy > 0 ? (fy < g->ch ? (uint32_t)fy : g->ch - 1) : 0;

        cell_of[i] = cy * g->cw + cx;
        g->start[cell_of[i] + 1]++;
    }
    for (i = 0; i < nc; i++)
        g->start[i + 1] += g->start[i];
    cur = xmalloc((size_t)nc * sizeof *cur);
    memcpy(cur, g->start, (size_t)nc * sizeof *cur);
    for (i = 0; i < n; i++) {
        uint32_t k = cur[cell_of[i]]++;

        g->idx[k] = i;
        g->px[k] = nodes[i].x;
        g->py[k] = nodes[i].y;
    }
    free(cur);
    free(cell_of);
}

static void topo_cells_free(topo_cells *g)
{
    free(g->start);
    free(g->idx);
    free(g->px);
    free(g->py);
    memset(g, 0, sizeof *g);
}

/* Visits every unordered pair within range exactly once, scanning each
 * cell against itself and its four "forward" neighbours (E, SW, S, SE).
 * With out == NULL it counts, per lower endpoint, into cnt[]; otherwise
 * it writes the higher endpoint into out[cnt[lo]++]. */
static void topo_cells_pairs(const topo_cells *g, double r2, uint32_t *cnt,
                             uint32_t *out)
{
    static const int nb[4][2] = { { 1, 0 }, { -1, 1 }, { 0, 1 }, { 1, 1 } };
    uint32_t cx, cy;

    for (cy = 0; cy < g->ch && !topo_stopped(g->stop); cy++) {
        for (cx = 0; cx < g->cw; cx++) {
            uint32_t c = cy * g->cw + cx, k, l, e;

            for (k = g->start[c]; k < g->start[c + 1]; k++) {
                double x = g->px[k], y = g->py[k];
                uint32_t i = g->idx[k];

                for (l = k + 1; l < g->start[c + 1]; l++) {
                    double dx = g->px[l] - x, dy = g->py[l] - y;

                    if (dx * dx + dy * dy <= r2) {
                        /* idx is increasing within a cell: i < idx[l] */
                        if (out)
                            out[cnt[i]++] = g->idx[l];
                        else
                            cnt[i]++;
                    }
                }
                for (e = 0; e < 4; e++) {
                    int64_t nx = (int64_t)cx + nb[e][0];
                    int64_t ny = (int64_t)cy + nb[e][1];
                    uint32_t d;

                    if (nx < 0 || nx >= g->cw || ny >= g->ch)
                        continue;
                    d = (uint32_t)ny * g->cw + (uint32_t)nx;
                    for (l = g->start[d]; l < g->start[d + 1]; l++) {
                        double dx = g->px[l] - x, dy = g->py[l] - y;
                        uint32_t j = g->idx[l], lo, hi;

                        if (dx * dx + dy * dy > r2)
                            continue;
                        lo = i < j ? i : j;
                        hi = i < j ? j : i;
                        if (out)
                            out[cnt[lo]++] = hi;
                        else
                            cnt[lo]++;
                    }
                }
            }
        }
    }
}

static int topo_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static void topo_sort_u32(uint32_t *v, size_t n)
{
    size_t i, j;

    if (n > 32) {
        qsort(v, n, sizeof *v, topo_cmp_u32);
        return;
    }
    for (i = 1; i < n; i++) {
        uint32_t x = v[i];

        for (j = i; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* SOs then sources uniform in [0,w) x [0,h) (x then y per node, index
 * order), a radio link per pair within range.  Radio links come out
 * sorted by (a, b) with a < b, which makes them independent of the
 * bucket scan order.  Two passes over the buckets (count, then fill)
 * allocate the links exactly once. */
static int topo_gen_rgg(sim_topo *o, const scn_topology *t, gsl_rng *rng,
                        char *err, size_t errlen)
{
    uint32_t n = t->smart_objects + t->sources, i;
    double w = t->area[0], h = t->area[1], r = t->range;
    double expected, pairs;
    uint64_t m = 0, fixed;
    uint32_t *cnt, *hi, pos;
    topo_cells g;

    if ((uint64_t)t->smart_objects + t->sources + t->subscribers >
        SCN_MAX_NODES) {
        xmsg(err, errlen, "topology has %llu nodes (limit %u)",
                 (unsigned long long)t->smart_objects + t->sources +
                     t->subscribers, SCN_MAX_NODES);
        return -1;
    }
    if (!(isfinite(w) && isfinite(h) && w > 0 && h > 0)) {
        xmsg(err, errlen, "random geometric topology needs a positive "
                 "area (got %g m x %g m)", w, h);
        return -1;
    }
    if (!(isfinite(r) && r >= 0)) {
        xmsg(err, errlen, "random geometric topology needs a range "
                 ">= 0 (got %g m)", r);
        return -1;
    }
    if (!rng) {
        xmsg(err, errlen, "random geometric topology needs an RNG");
        return -1;
    }
    /* Mean links ignoring the border, capped by the number of pairs. */
    fixed = topo_ring_links(t) + t->subscribers;
    pairs = (double)n * ((double)n - 1) / 2;
    expected = (double)n * n * M_PI * r * r / (2 * w * h);
    if (expected > pairs)
        expected = pairs;
    if (expected + (double)fixed > SCN_MAX_LINKS) {
        xmsg(err, errlen, "random geometric topology would have about "
                 "%.3g links (limit %u): reduce range or node count, or "
                 "enlarge the area", expected + (double)fixed,
                 SCN_MAX_LINKS);
        return -1;
    }

    /* Positions go into a scratch array first so nothing is left in *o
     * if the exact count below still exceeds the limit. */
    {
        scn_node *pos_nodes = xmalloc((size_t)(n ? n : 1) * sizeof *pos_nodes);

        i = 0;
        if (t->so_placement == SCN_SO_GRID && t->smart_objects) {
            /* kmsim extension (topology.so_placement: grid): a deployment
             * places its gateways, it does not scatter them.  SO i sits at
             * the centre of cell i (row-major) of a cols x rows grid, with
             * cols ~ sqrt(K w / h) so cells are near-square; no draws, so
             * the sources' positions are the stream's first draws. */
            uint32_t k = t->smart_objects;
            uint32_t cols = (uint32_t)ceil(sqrt((double)k * w / h));
            uint32_t rows;

            if (cols < 1)
                cols = 1;
            if (cols > k)
                cols = k;
            rows = (k + cols - 1) / cols;
            for (; i < k; i++) {
                pos_nodes[i].x = w * ((double)(i % cols) + 0.5) / cols;
                pos_nodes[i].y = h * ((double)(i / cols) + 0.5) / rows;
            }
        }
        for (; i < n; i++) {
            pos_nodes[i].x = w * gsl_rng_uniform(rng);
            pos_nodes[i].y = h * gsl_rng_uniform(rng);
        }
        topo_cells_build(&g, pos_nodes, n, w, h, r);
        g.stop = o->stop;
        cnt = xcalloc((size_t)n + 1, sizeof *cnt);
        topo_cells_pairs(&g, r * r, cnt, NULL);
        if (topo_stopped(o->stop)) {
            xmsg(err, errlen, "interrupted");
            free(cnt);
            free(pos_nodes);
            topo_cells_free(&g);
            return -1;
        }
        for (i = 0; i < n; i++)
            m += cnt[i];
        if (topo_gen_alloc(o, t, m, err, errlen) < 0) {
            free(cnt);
            free(pos_nodes);
            topo_cells_free(&g);
            return -1;
        }
        for (i = 0; i < n; i++) {
            o->nodes[i].x = pos_nodes[i].x;
            o->nodes[i].y = pos_nodes[i].y;
        }
        free(pos_nodes);
    }

    /* cnt[i] -> start offset of node i's higher neighbours in hi[]. */
    for (i = 0, pos = 0; i < n; i++) {
        uint32_t c = cnt[i];

        cnt[i] = pos;
        pos += c;
    }
    cnt[n] = pos;
    hi = xmalloc((size_t)(m ? m : 1) * sizeof *hi);
    topo_cells_pairs(&g, r * r, cnt, hi);
    topo_cells_free(&g);
    if (topo_stopped(o->stop)) {
        xmsg(err, errlen, "interrupted");
        free(hi);
        free(cnt);
        return -1;
    }
    /* After the fill cnt[i] is the end of node i's run, i.e. the start
     * of node i+1's; the run of node i begins at cnt[i-1] (0 for i=0). */
    for (i = 0, pos = 0; i < n; i++) {
        uint32_t k;

        if ((i & 4095) == 0 && topo_stopped(o->stop))
            break;                  /* sim_topo_build_guarded unwinds */
        topo_sort_u32(hi + pos, cnt[i] - pos);
        for (k = pos; k < cnt[i]; k++)
            topo_add_link(o, i, hi[k], &t->link);
        pos = cnt[i];
    }
    free(hi);
    free(cnt);
    topo_gen_finish(o, t);
    return 0;
}

/* Copies the loader's nodes and links.  The loader validates ids and
 * endpoints; this still refuses bad indices and self-loops rather than
 * trusting them. */
static int topo_copy_explicit(sim_topo *o, const scn_topology *t,
                              char *err, size_t errlen)
{
    size_t i;

    if (t->n_nodes > SCN_MAX_NODES) {
        xmsg(err, errlen, "topology has %zu nodes (limit %u)",
                 t->n_nodes, SCN_MAX_NODES);
        return -1;
    }
    if (t->n_links > SCN_MAX_LINKS) {
        xmsg(err, errlen, "topology has %zu links (limit %u)",
                 t->n_links, SCN_MAX_LINKS);
        return -1;
    }
    if ((t->n_nodes && !t->nodes) || (t->n_links && !t->links)) {
        xmsg(err, errlen, "explicit topology without node or link "
                 "list");
        return -1;
    }
    for (i = 0; i < t->n_links; i++) {
        const scn_link *l = &t->links[i];

        if (l->a >= t->n_nodes || l->b >= t->n_nodes) {
            xmsg(err, errlen, "link %zu: endpoint %u out of range "
                     "(%zu nodes)", i, l->a >= t->n_nodes ? l->a : l->b,
                     t->n_nodes);
            return -1;
        }
        if (l->a == l->b) {
            xmsg(err, errlen, "link %zu: node %u linked to itself",
                     i, t->nodes[l->a].id);
            return -1;
        }
    }
    o->n_nodes = (uint32_t)t->n_nodes;
    o->nodes = xmalloc((t->n_nodes ? t->n_nodes : 1) * sizeof *o->nodes);
    if (t->n_nodes)
        memcpy(o->nodes, t->nodes, t->n_nodes * sizeof *o->nodes);
    o->links = xmalloc((t->n_links ? t->n_links : 1) * sizeof *o->links);
    for (i = 0; i < t->n_links; i++)
        topo_add_link(o, t->links[i].a, t->links[i].b, &t->links[i].p);
    return 0;
}

/* ---- Adjacency and connectivity ----------------------------------------- */

static int topo_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* CSR rows filled in link order, then each row sorted by (neighbour,
 * link).  Rows are usually already sorted (generators emit links in
 * order), so the sort is mostly a linear check. */
static void topo_build_csr(sim_topo *o)
{
    uint32_t n = o->n_nodes, i, l, *cur;
    uint64_t *buf = NULL;
    size_t buf_cap = 0;

    o->adj_off = xcalloc((size_t)n + 1, sizeof *o->adj_off);
    for (l = 0; l < o->n_links; l++) {
        o->adj_off[o->links[l].a + 1]++;
        o->adj_off[o->links[l].b + 1]++;
    }
    for (i = 0; i < n; i++)
        o->adj_off[i + 1] += o->adj_off[i];
    o->adj = xmalloc(((size_t)o->adj_off[n] + 1) * sizeof *o->adj);
    o->adj_link = xmalloc(((size_t)o->adj_off[n] + 1) * sizeof *o->adj_link);
    cur = xmalloc(((size_t)n + 1) * sizeof *cur);
    memcpy(cur, o->adj_off, (size_t)n * sizeof *cur);
    for (l = 0; l < o->n_links; l++) {
        uint32_t a = o->links[l].a, b = o->links[l].b;

        if ((l & 65535) == 0 && topo_stopped(o->stop))
            break;                  /* sim_topo_build_guarded unwinds */
        o->adj[cur[a]] = b;
        o->adj_link[cur[a]++] = l;
        o->adj[cur[b]] = a;
        o->adj_link[cur[b]++] = l;
    }
    free(cur);

    for (i = 0; i < n && !topo_stopped(o->stop); i++) {
        uint32_t s = o->adj_off[i], e = o->adj_off[i + 1], k;

        for (k = s + 1; k < e; k++)
            if (o->adj[k - 1] > o->adj[k] ||
                (o->adj[k - 1] == o->adj[k] &&
                 o->adj_link[k - 1] > o->adj_link[k]))
                break;
        if (k >= e)
            continue;
        if (e - s > buf_cap) {
            buf_cap = e - s;
            buf = xreallocarray(buf, buf_cap, sizeof *buf);
        }
        for (k = s; k < e; k++)
            buf[k - s] = (uint64_t)o->adj[k] << 32 | o->adj_link[k];
        qsort(buf, e - s, sizeof *buf, topo_cmp_u64);
        for (k = s; k < e; k++) {
            o->adj[k] = (uint32_t)(buf[k - s] >> 32);
            o->adj_link[k] = (uint32_t)buf[k - s];
        }
    }
    free(buf);
}

/* Labels components by breadth-first search from each unlabelled node in
 * index order (iterative; one queue of n).  Fills n_components and
 * n_isolated_sources (sources whose component holds no SO).  When
 * require_connected and there are several components, names the
 * lowest-index node outside node 0's component and returns -1. */
static int topo_connectivity(sim_topo *o, int require_connected,
                             char *err, size_t errlen)
{
    uint32_t n = o->n_nodes, i, nc = 0, *comp, *queue;
    unsigned char *has_so;
    int rc = 0;

    comp = xmalloc(((size_t)n + 1) * sizeof *comp);
    queue = xmalloc(((size_t)n + 1) * sizeof *queue);
    for (i = 0; i < n; i++)
        comp[i] = UINT32_MAX;
    for (i = 0; i < n && !topo_stopped(o->stop); i++) {
        uint32_t head = 0, tail = 0;

        if (comp[i] != UINT32_MAX)
            continue;
        comp[i] = nc;
        queue[tail++] = i;
        while (head < tail) {
            uint32_t u = queue[head++], k;

            if ((head & 4095) == 0 && topo_stopped(o->stop))
                break;              /* sim_topo_build_guarded unwinds */

            for (k = o->adj_off[u]; k < o->adj_off[u + 1]; k++) {
                uint32_t v = o->adj[k];

                if (comp[v] == UINT32_MAX) {
                    comp[v] = nc;
                    queue[tail++] = v;
                }
            }
        }
        nc++;
    }
    free(queue);
    if (topo_stopped(o->stop)) {    /* labels incomplete: the caller */
        free(comp);                 /*   unwinds                      */
        return 0;
    }
    o->n_components = nc;

    has_so = xcalloc((size_t)nc + 1, 1);
    for (i = 0; i < n; i++)
        if (o->nodes[i].role == SCN_ROLE_SO)
            has_so[comp[i]] = 1;
    o->n_isolated_sources = 0;
    for (i = 0; i < n; i++)
        if (o->nodes[i].role == SCN_ROLE_SOURCE && !has_so[comp[i]])
            o->n_isolated_sources++;
    free(has_so);

    if (require_connected && nc > 1) {
        for (i = 1; i < n && comp[i] == comp[0]; i++)
            ;
        xmsg(err, errlen, "topology is disconnected: node %u (%s) "
                 "cannot reach node %u (%s); %u components",
                 o->nodes[i].id, topo_role_name(o->nodes[i].role),
                 o->nodes[0].id, topo_role_name(o->nodes[0].role), nc);
        rc = -1;
    }
    free(comp);
    return rc;
}

/* ---- Public API --------------------------------------------------------- */

int sim_topo_build(sim_topo *out, const scn_topology *t, gsl_rng *rng,
                   char *err, size_t errlen)
{
    return sim_topo_build_guarded(out, t, rng, NULL, err, errlen);
}

int sim_topo_build_guarded(sim_topo *out, const scn_topology *t,
                           gsl_rng *rng, const volatile sig_atomic_t *stop,
                           char *err, size_t errlen)
{
    int rc;

    memset(out, 0, sizeof *out);
    out->stop = stop;
    switch (t->kind) {
    case SCN_TOPO_EXPLICIT:
        rc = topo_copy_explicit(out, t, err, errlen);
        break;
    case SCN_TOPO_STAR:
        rc = topo_gen_star(out, t, err, errlen);
        break;
    case SCN_TOPO_TREE:
        rc = topo_gen_tree(out, t, err, errlen);
        break;
    case SCN_TOPO_GRID:
        rc = topo_gen_grid(out, t, err, errlen);
        break;
    case SCN_TOPO_RANDOM_GEOMETRIC:
        rc = topo_gen_rgg(out, t, rng, err, errlen);
        break;
    default:
        xmsg(err, errlen, "unknown topology kind %d", (int)t->kind);
        rc = -1;
        break;
    }
    if (rc < 0)
        goto err;
    if (topo_stopped(stop))
        goto stopped;
    topo_build_csr(out);
    if (topo_stopped(stop))
        goto stopped;
    if (topo_connectivity(out, t->require_connected, err, errlen) < 0)
        goto err;
    if (topo_stopped(stop))
        goto stopped;
    out->stop = NULL;        /* only while building */
    return 0;

stopped:
    xmsg(err, errlen, "interrupted");

err:
    sim_topo_deinit(out);
    return -1;
}

void sim_topo_deinit(sim_topo *t)
{
    if (!t)
        return;
    free(t->nodes);
    free(t->links);
    free(t->params);
    free(t->adj_off);
    free(t->adj);
    free(t->adj_link);
    memset(t, 0, sizeof *t);
}
