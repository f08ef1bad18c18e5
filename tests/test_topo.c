/* test_topo.c — topology generators (star, tree, grid, random geometric),
 * explicit copies, CSR adjacency invariants, connectivity reporting and
 * limits.  Random geometric output is checked against a brute-force
 * O(n^2) pair scan. */
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "cutest.h"
#include "topo.h"

/* Distinct latencies tell the three link classes apart. */
#define LAT_LINK     (5 * SIM_MS)
#define LAT_BACKBONE (1 * SIM_MS)
#define LAT_ACCESS   (2 * SIM_MS)

static scn_topology base_topology(scn_topo_kind kind, uint32_t so,
                                  uint32_t src, uint32_t sub)
{
    scn_topology t;

    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.smart_objects = so;
    t.sources = src;
    t.subscribers = sub;
    t.link.latency = LAT_LINK;
    t.link.bandwidth = 250e3;
    t.backbone.latency = LAT_BACKBONE;
    t.backbone.bandwidth = 1e9;
    t.access.latency = LAT_ACCESS;
    t.access.bandwidth = 1e8;
    t.fanout = 2;
    t.columns = 4;
    t.spacing = 10;
    t.area[0] = t.area[1] = 1000;
    t.range = 100;
    return t;
}

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

    gsl_rng_set(r, seed);
    return r;
}

/* Whether some link with latency `lat` joins a and b (either order). */
static int has_link(const sim_topo *t, uint32_t a, uint32_t b, sim_time lat)
{
    uint32_t l;

    for (l = 0; l < t->n_links; l++)
        if (((t->links[l].a == a && t->links[l].b == b) ||
             (t->links[l].a == b && t->links[l].b == a)) &&
            sim_topo_link_params(t, l)->latency == lat)
            return 1;
    return 0;
}

static uint32_t count_lat(const sim_topo *t, sim_time lat)
{
    uint32_t l, n = 0;

    for (l = 0; l < t->n_links; l++)
        n += sim_topo_link_params(t, l)->latency == lat;
    return n;
}

/* CSR invariants: offsets monotone, 2m entries, each row sorted by
 * (neighbour, link), every entry names a link joining the row's node and
 * the neighbour, and every link appears once in each endpoint's row. */
static int csr_ok(const sim_topo *t)
{
    uint32_t i, k, l;
    uint32_t *seen;
    int ok = 1;

    if (t->adj_off[0] != 0 || t->adj_off[t->n_nodes] != 2 * t->n_links)
        return 0;
    seen = calloc(t->n_links + 1, sizeof *seen);
    for (i = 0; i < t->n_nodes && ok; i++) {
        if (t->adj_off[i] > t->adj_off[i + 1])
            ok = 0;
        for (k = t->adj_off[i]; ok && k < t->adj_off[i + 1]; k++) {
            const sim_link *ln;

            if (t->adj_link[k] >= t->n_links || t->adj[k] >= t->n_nodes) {
                ok = 0;
                break;
            }
            ln = &t->links[t->adj_link[k]];
            if (!((ln->a == i && ln->b == t->adj[k]) ||
                  (ln->b == i && ln->a == t->adj[k])))
                ok = 0;
            if (k > t->adj_off[i] &&
                (t->adj[k - 1] > t->adj[k] ||
                 (t->adj[k - 1] == t->adj[k] &&
                  t->adj_link[k - 1] >= t->adj_link[k])))
                ok = 0;
            seen[t->adj_link[k]]++;
        }
    }
    for (l = 0; ok && l < t->n_links; l++)
        if (seen[l] != 2)
            ok = 0;
    free(seen);
    return ok;
}

/* Hop distance from the nearest SO (breadth-first over the CSR). */
static uint32_t *so_depths(const sim_topo *t)
{
    uint32_t *d = malloc(t->n_nodes * sizeof *d), *q, head = 0, tail = 0;
    uint32_t i, k;

    q = malloc(t->n_nodes * sizeof *q);
    for (i = 0; i < t->n_nodes; i++) {
        d[i] = UINT32_MAX;
        if (t->nodes[i].role == SCN_ROLE_SO) {
            d[i] = 0;
            q[tail++] = i;
        }
    }
    while (head < tail) {
        uint32_t u = q[head++];

        for (k = t->adj_off[u]; k < t->adj_off[u + 1]; k++)
            if (d[t->adj[k]] == UINT32_MAX) {
                d[t->adj[k]] = d[u] + 1;
                q[tail++] = t->adj[k];
            }
    }
    free(q);
    return d;
}

static void check_roles(const sim_topo *t, uint32_t so, uint32_t src,
                        uint32_t sub)
{
    uint32_t i;

    CU_ASSERT_EQUAL_FATAL(t->n_nodes, so + src + sub);
    for (i = 0; i < t->n_nodes; i++) {
        scn_role want = i < so ? SCN_ROLE_SO
                      : i < so + src ? SCN_ROLE_SOURCE : SCN_ROLE_SUBSCRIBER;

        CU_ASSERT_EQUAL(t->nodes[i].role, want);
        CU_ASSERT_EQUAL(t->nodes[i].id, i);
    }
}

/* ---- Generators -------------------------------------------------------- */

static void test_star(void)
{
    scn_topology st = base_topology(SCN_TOPO_STAR, 2, 5, 3);
    sim_topo t;
    char err[256];
    uint32_t j;

    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    check_roles(&t, 2, 5, 3);
    CU_ASSERT_EQUAL(t.n_links, 5 + 1 + 3);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_LINK), 5);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_BACKBONE), 1);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_ACCESS), 3);
    for (j = 0; j < 5; j++)
        CU_ASSERT_TRUE(has_link(&t, j % 2, 2 + j, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 0, 1, LAT_BACKBONE));
    CU_ASSERT_TRUE(has_link(&t, 0, 7, LAT_ACCESS));
    CU_ASSERT_TRUE(has_link(&t, 1, 8, LAT_ACCESS));
    CU_ASSERT_TRUE(has_link(&t, 0, 9, LAT_ACCESS));
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 0), 3 + 1 + 2);
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 1), 2 + 1 + 1);
    CU_ASSERT_EQUAL(t.n_components, 1);
    CU_ASSERT_EQUAL(t.n_isolated_sources, 0);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);

    /* One SO: no backbone at all. */
    st = base_topology(SCN_TOPO_STAR, 1, 4, 0);
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_links, 4);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_BACKBONE), 0);
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 0), 4);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);
}

static void test_ring(void)
{
    scn_topology st = base_topology(SCN_TOPO_STAR, 3, 0, 0);
    sim_topo t;
    char err[256];

    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_links, 3);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_BACKBONE), 3);
    CU_ASSERT_TRUE(has_link(&t, 0, 1, LAT_BACKBONE));
    CU_ASSERT_TRUE(has_link(&t, 1, 2, LAT_BACKBONE));
    CU_ASSERT_TRUE(has_link(&t, 2, 0, LAT_BACKBONE));
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);

    st.smart_objects = 2;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_links, 1);
    CU_ASSERT_TRUE(has_link(&t, 0, 1, LAT_BACKBONE));
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);

    /* The ring is the same for every generator. */
    st = base_topology(SCN_TOPO_GRID, 5, 0, 0);
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_links, 5);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_BACKBONE), 5);
    CU_ASSERT_TRUE(has_link(&t, 4, 0, LAT_BACKBONE));
    CU_ASSERT_EQUAL(t.n_components, 1);
    sim_topo_deinit(&t);
}

static void test_tree(void)
{
    /* One SO, 7 sources, fanout 2: a complete binary tree of depth 3
     * below the root, filled breadth-first. */
    scn_topology st = base_topology(SCN_TOPO_TREE, 1, 7, 0);
    static const uint32_t parent[8] = { 0, 0, 0, 1, 1, 2, 2, 3 };
    static const uint32_t depth[8] = { 0, 1, 1, 2, 2, 2, 2, 3 };
    sim_topo t;
    char err[256];
    uint32_t i, *d;

    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    check_roles(&t, 1, 7, 0);
    CU_ASSERT_EQUAL_FATAL(t.n_links, 7);
    for (i = 1; i < 8; i++) {
        CU_ASSERT_EQUAL(t.links[i - 1].a, parent[i]);
        CU_ASSERT_EQUAL(t.links[i - 1].b, i);
    }
    d = so_depths(&t);
    for (i = 0; i < 8; i++)
        CU_ASSERT_EQUAL(d[i], depth[i]);
    free(d);
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 1), 3);   /* parent + 2 children */
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 3), 2);
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 7), 1);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);

    /* Two SOs, 8 sources split round-robin: SO 0 gets sources 0,2,4,6
     * (nodes 2,4,6,8), SO 1 gets nodes 3,5,7,9; each its own tree. */
    st = base_topology(SCN_TOPO_TREE, 2, 8, 2);
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    check_roles(&t, 2, 8, 2);
    CU_ASSERT_EQUAL(t.n_links, 8 + 1 + 2);
    CU_ASSERT_TRUE(has_link(&t, 0, 2, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 0, 4, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 2, 6, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 2, 8, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 1, 3, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 1, 5, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 3, 7, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 3, 9, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 0, 1, LAT_BACKBONE));
    CU_ASSERT_TRUE(has_link(&t, 0, 10, LAT_ACCESS));
    CU_ASSERT_TRUE(has_link(&t, 1, 11, LAT_ACCESS));
    d = so_depths(&t);
    CU_ASSERT_EQUAL(d[8], 2);
    CU_ASSERT_EQUAL(d[9], 2);
    free(d);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);

    /* Fanout 1 is a chain. */
    st = base_topology(SCN_TOPO_TREE, 1, 5, 0);
    st.fanout = 1;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    d = so_depths(&t);
    for (i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(d[i], i);
    free(d);
    sim_topo_deinit(&t);
}

static void test_grid(void)
{
    /* 12 sources, 4 columns: 3 rows x 4 columns, 9 + 8 = 17 grid links. */
    scn_topology st = base_topology(SCN_TOPO_GRID, 1, 12, 0);
    sim_topo t;
    char err[256];
    uint32_t j;

    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    check_roles(&t, 1, 12, 0);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_LINK), 17 + 1);
    CU_ASSERT_EQUAL(t.n_links, 18);
    for (j = 0; j < 12; j++) {
        CU_ASSERT_DOUBLE_EQUAL(t.nodes[1 + j].x, (j % 4) * 10.0, 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(t.nodes[1 + j].y, (j / 4) * 10.0, 1e-12);
    }
    CU_ASSERT_TRUE(has_link(&t, 1, 2, LAT_LINK));    /* (0,0)-(1,0) */
    CU_ASSERT_TRUE(has_link(&t, 1, 5, LAT_LINK));    /* (0,0)-(0,1) */
    CU_ASSERT_FALSE(has_link(&t, 4, 5, LAT_LINK));   /* no row wrap */
    /* The SO links to source floor(0.5 * 12 / 1) = 6, node 7. */
    CU_ASSERT_TRUE(has_link(&t, 0, 7, LAT_LINK));
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 1), 2);      /* corner */
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 6), 4 + 0);  /* inner (1,1) */
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 7), 4 + 1);  /* inner + SO */
    CU_ASSERT_EQUAL(t.n_components, 1);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);

    /* Same shape transposed (3 columns x 4 rows) also has 17 links;
     * a ragged last row loses its missing links. */
    st = base_topology(SCN_TOPO_GRID, 2, 12, 4);
    st.columns = 3;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_LINK), 17 + 2);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_BACKBONE), 1);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_ACCESS), 4);
    /* SO k -> source floor((k + 0.5) * 12 / 2): 3 and 9. */
    CU_ASSERT_TRUE(has_link(&t, 0, 2 + 3, LAT_LINK));
    CU_ASSERT_TRUE(has_link(&t, 1, 2 + 9, LAT_LINK));
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);

    st = base_topology(SCN_TOPO_GRID, 1, 10, 0);    /* rows 4,4,2 */
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_LINK), (3 + 3 + 1) + 6 + 1);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);
}

/* ---- Random geometric --------------------------------------------------- */

static int same_topo(const sim_topo *a, const sim_topo *b)
{
    uint32_t i;

    if (a->n_nodes != b->n_nodes || a->n_links != b->n_links)
        return 0;
    for (i = 0; i < a->n_nodes; i++)
        if (a->nodes[i].x != b->nodes[i].x || a->nodes[i].y != b->nodes[i].y)
            return 0;
    for (i = 0; i < a->n_links; i++)
        if (a->links[i].a != b->links[i].a || a->links[i].b != b->links[i].b)
            return 0;
    return 1;
}

static void test_rgg_determinism(void)
{
    scn_topology st = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 4, 2000, 10);
    gsl_rng *r1 = rng_new(42), *r2 = rng_new(42), *r3 = rng_new(43);
    sim_topo a, b, c;
    char err[256];

    st.range = 40;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&a, &st, r1, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&b, &st, r2, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&c, &st, r3, err, sizeof err), 0);
    CU_ASSERT_TRUE(a.n_links > 1000);
    CU_ASSERT_TRUE(same_topo(&a, &b));
    CU_ASSERT_FALSE(same_topo(&a, &c));
    CU_ASSERT_TRUE(csr_ok(&a));
    CU_ASSERT_TRUE(csr_ok(&c));
    check_roles(&a, 4, 2000, 10);
    CU_ASSERT_EQUAL(count_lat(&a, LAT_BACKBONE), 4);
    CU_ASSERT_EQUAL(count_lat(&a, LAT_ACCESS), 10);
    /* Subscribers sit at their SO. */
    CU_ASSERT_EQUAL(a.nodes[2004 + 5].x, a.nodes[1].x);
    sim_topo_deinit(&a);
    sim_topo_deinit(&b);
    sim_topo_deinit(&c);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(r3);
}

/* so_placement grid: SO i at the centre of cell i of a near-square grid
 * (3 SOs in 1000 m x 500 m: 3 columns, 1 row).  No SO position is drawn,
 * so the first source takes the stream's first draws, the ones a random
 * placement gives SO 0. */
static void test_rgg_so_grid(void)
{
    scn_topology st = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 3, 50, 3);
    scn_topology sq = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 4, 50, 0);
    gsl_rng *r1 = rng_new(7), *r2 = rng_new(7), *r3 = rng_new(7);
    sim_topo a, b, c;
    char err[256];

    st.area[1] = 500;
    st.so_placement = SCN_SO_GRID;
    sq.so_placement = SCN_SO_GRID;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&a, &st, r1, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&c, &sq, r3, err, sizeof err), 0);
    st.so_placement = SCN_SO_RANDOM;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&b, &st, r2, err, sizeof err), 0);
    for (uint32_t i = 0; i < 3; i++) {
        CU_ASSERT_DOUBLE_EQUAL(a.nodes[i].x, 1000.0 * (i + 0.5) / 3, 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(a.nodes[i].y, 250.0, 1e-9);
    }
    /* 4 SOs in a square: 2 x 2 cells. */
    CU_ASSERT_DOUBLE_EQUAL(c.nodes[0].x, 250.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(c.nodes[0].y, 250.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(c.nodes[3].x, 750.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(c.nodes[3].y, 750.0, 1e-9);
    /* Sources: the random placement drew 3 SO positions (6 draws) first. */
    CU_ASSERT_DOUBLE_EQUAL(a.nodes[3].x, b.nodes[0].x, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(a.nodes[3].y, b.nodes[0].y, 1e-9);
    CU_ASSERT_NOT_EQUAL(a.nodes[0].x, b.nodes[0].x);
    check_roles(&a, 3, 50, 3);
    CU_ASSERT_TRUE(csr_ok(&a));
    sim_topo_deinit(&a);
    sim_topo_deinit(&b);
    sim_topo_deinit(&c);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(r3);
}

/* Every pair within range and no other, in (a, b) order, against an
 * O(n^2) scan; positions inside the area. */
static void check_rgg_bruteforce(const scn_topology *st, unsigned long seed)
{
    gsl_rng *r = rng_new(seed);
    uint32_t n = st->smart_objects + st->sources, i, j, l = 0;
    double r2 = st->range * st->range;
    sim_topo t;
    char err[256];
    int missed = 0, extra = 0;

    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, st, r, err, sizeof err), 0);
    for (i = 0; i < n; i++) {
        CU_ASSERT_TRUE(t.nodes[i].x >= 0 && t.nodes[i].x <= st->area[0]);
        CU_ASSERT_TRUE(t.nodes[i].y >= 0 && t.nodes[i].y <= st->area[1]);
    }
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            double dx = t.nodes[i].x - t.nodes[j].x;
            double dy = t.nodes[i].y - t.nodes[j].y;

            if (dx * dx + dy * dy > r2)
                continue;
            if (l < t.n_links && t.links[l].a == i && t.links[l].b == j &&
                sim_topo_link_params(&t, l)->latency == LAT_LINK)
                l++;
            else
                missed++;
        }
    }
    /* The rest are exactly the backbone and access links. */
    extra = (int)(t.n_links - l) -
            (int)(count_lat(&t, LAT_BACKBONE) + count_lat(&t, LAT_ACCESS));
    CU_ASSERT_EQUAL(missed, 0);
    CU_ASSERT_EQUAL(extra, 0);
    CU_ASSERT_EQUAL(count_lat(&t, LAT_LINK), l);
    for (i = 0; i < t.n_links; i++)
        CU_ASSERT_NOT_EQUAL(t.links[i].a, t.links[i].b);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);
    gsl_rng_free(r);
}

static void test_rgg_bruteforce(void)
{
    /* n = 500 with mean degree about 10: pi r^2 n / A = 10. */
    scn_topology st = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 5, 495, 3);

    st.range = 79.8;
    check_rgg_bruteforce(&st, 1);
    check_rgg_bruteforce(&st, 2);
    /* Non-square area, range not dividing it, dense. */
    st.area[0] = 300;
    st.area[1] = 70;
    st.range = 33.3;
    check_rgg_bruteforce(&st, 3);
    /* Range larger than the area: complete graph. */
    st.area[0] = st.area[1] = 10;
    st.range = 50;
    st.sources = 95;
    check_rgg_bruteforce(&st, 4);
    /* Tiny range over a big area: cell count capped, still exact. */
    st.area[0] = st.area[1] = 1e7;
    st.range = 1e-3;
    st.sources = 495;
    check_rgg_bruteforce(&st, 5);
    /* Range zero is legal (coincident points only). */
    st.area[0] = st.area[1] = 100;
    st.range = 0;
    check_rgg_bruteforce(&st, 6);
}

static void test_rgg_connectivity(void)
{
    scn_topology st = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 2, 200, 0);
    gsl_rng *r = rng_new(7);
    sim_topo t;
    char err[256] = "";

    /* Very small range: almost everything isolated. */
    st.range = 1;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, r, err, sizeof err), 0);
    CU_ASSERT_TRUE(t.n_components > 150);
    CU_ASSERT_TRUE(t.n_isolated_sources > 150);
    sim_topo_deinit(&t);

    st.require_connected = 1;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, r, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "topology is disconnected"));
    CU_ASSERT_PTR_NULL(t.nodes);
    CU_ASSERT_PTR_NULL(t.adj_off);
    CU_ASSERT_EQUAL(t.n_nodes, 0);

    /* Huge range: one component. */
    st.range = 2000;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_components, 1);
    CU_ASSERT_EQUAL(t.n_links, 202 * 201 / 2 + 1);
    sim_topo_deinit(&t);
    gsl_rng_free(r);
}

/* ---- Explicit and connectivity ------------------------------------------ */

static void test_explicit_disconnected(void)
{
    /* SO 100 - src 101 - src 102; src 103 - src 104 cut off; subscriber
     * 105 on the SO; src 106 alone. */
    scn_node nodes[7];
    scn_link links[4];
    scn_topology st = base_topology(SCN_TOPO_EXPLICIT, 0, 0, 0);
    sim_topo t;
    char err[256] = "";
    uint32_t i;

    for (i = 0; i < 7; i++) {
        nodes[i].id = 100 + i;
        nodes[i].role = SCN_ROLE_SOURCE;
        nodes[i].x = nodes[i].y = 0;
    }
    nodes[0].role = SCN_ROLE_SO;
    nodes[5].role = SCN_ROLE_SUBSCRIBER;
    memset(links, 0, sizeof links);
    links[0].a = 0; links[0].b = 1;
    links[1].a = 2; links[1].b = 1;
    links[2].a = 3; links[2].b = 4;
    links[3].a = 5; links[3].b = 0;
    st.nodes = nodes;
    st.n_nodes = 7;
    st.links = links;
    st.n_links = 4;
    st.require_connected = 1;

    memset(&t, 0xab, sizeof t);
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "node 103 (source)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "node 100 (smart object)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "3 components"));
    CU_ASSERT_EQUAL(t.n_nodes, 0);
    CU_ASSERT_EQUAL(t.n_links, 0);
    CU_ASSERT_PTR_NULL(t.nodes);
    CU_ASSERT_PTR_NULL(t.links);
    CU_ASSERT_PTR_NULL(t.adj_off);
    CU_ASSERT_PTR_NULL(t.adj);
    CU_ASSERT_PTR_NULL(t.adj_link);
    sim_topo_deinit(&t);            /* zeroed: a no-op */

    st.require_connected = 0;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_nodes, 7);
    CU_ASSERT_EQUAL(t.n_links, 4);
    CU_ASSERT_EQUAL(t.n_components, 3);
    CU_ASSERT_EQUAL(t.n_isolated_sources, 3);
    CU_ASSERT_EQUAL(t.nodes[3].id, 103);
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 6), 0);
    CU_ASSERT_EQUAL(sim_topo_degree(&t, 1), 2);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);
}

static void test_explicit_duplicates(void)
{
    scn_node nodes[3];
    scn_link links[4];
    scn_topology st = base_topology(SCN_TOPO_EXPLICIT, 0, 0, 0);
    sim_topo t;
    char err[256];
    uint32_t i;

    for (i = 0; i < 3; i++) {
        nodes[i].id = i;
        nodes[i].role = i ? SCN_ROLE_SOURCE : SCN_ROLE_SO;
        nodes[i].x = nodes[i].y = 0;
    }
    memset(links, 0, sizeof links);
    links[0].a = 2; links[0].b = 0;
    links[1].a = 0; links[1].b = 1;
    links[2].a = 0; links[2].b = 2;     /* duplicate of link 0 */
    links[3].a = 1; links[3].b = 2;
    st.nodes = nodes;
    st.n_nodes = 3;
    st.links = links;
    st.n_links = 4;
    st.require_connected = 1;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_links, 4);
    CU_ASSERT_EQUAL_FATAL(sim_topo_degree(&t, 0), 3);
    /* Row of node 0: 1 (link 1), 2 (link 0), 2 (link 2). */
    CU_ASSERT_EQUAL(t.adj[t.adj_off[0] + 0], 1);
    CU_ASSERT_EQUAL(t.adj_link[t.adj_off[0] + 0], 1);
    CU_ASSERT_EQUAL(t.adj[t.adj_off[0] + 1], 2);
    CU_ASSERT_EQUAL(t.adj_link[t.adj_off[0] + 1], 0);
    CU_ASSERT_EQUAL(t.adj[t.adj_off[0] + 2], 2);
    CU_ASSERT_EQUAL(t.adj_link[t.adj_off[0] + 2], 2);
    CU_ASSERT_EQUAL(t.n_components, 1);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);
}

static void test_explicit_bad_input(void)
{
    scn_node nodes[2];
    scn_link links[1];
    scn_topology st = base_topology(SCN_TOPO_EXPLICIT, 0, 0, 0);
    sim_topo t;
    char err[256] = "";

    memset(nodes, 0, sizeof nodes);
    memset(links, 0, sizeof links);
    nodes[1].id = 1;
    st.nodes = nodes;
    st.n_nodes = 2;
    st.links = links;
    st.n_links = 1;

    links[0].a = 0;
    links[0].b = 7;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of range"));
    CU_ASSERT_PTR_NULL(t.nodes);

    links[0].b = 1;
    links[0].a = UINT32_MAX;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);

    links[0].a = 1;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "itself"));

    st.links = NULL;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, NULL, 0), -1);

    /* Empty explicit topology: valid, nothing in it. */
    st.n_nodes = 0;
    st.n_links = 0;
    st.nodes = NULL;
    st.require_connected = 1;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_nodes, 0);
    CU_ASSERT_EQUAL(t.n_components, 0);
    CU_ASSERT_TRUE(csr_ok(&t));
    sim_topo_deinit(&t);
}

/* ---- Limits and misuse --------------------------------------------------- */

static void test_limits(void)
{
    scn_topology st = base_topology(SCN_TOPO_STAR, 1, SCN_MAX_NODES, 0);
    gsl_rng *r = rng_new(1);
    sim_topo t;
    char err[256] = "";

    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "limit"));
    CU_ASSERT_PTR_NULL(t.nodes);

    st = base_topology(SCN_TOPO_GRID, 1, UINT32_MAX - 1, 0);
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);

    /* 10^6 nodes with the range covering the area: ~5e11 links. */
    st = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 1, 1000000, 0);
    st.range = 1000;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, r, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "links"));
    CU_ASSERT_PTR_NULL(t.links);

    st = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 1, 10, 0);
    st.area[0] = 0;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, r, err, sizeof err), -1);
    st.area[0] = 10;
    st.range = -1;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, r, err, sizeof err), -1);
    st.range = 1;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);

    st = base_topology(SCN_TOPO_GRID, 1, 10, 0);
    st.columns = 0;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);
    st = base_topology(SCN_TOPO_TREE, 1, 10, 0);
    st.fanout = 0;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);
    st = base_topology(SCN_TOPO_STAR, 0, 10, 0);
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, NULL, err, sizeof err), -1);
    st = base_topology(SCN_TOPO_RANDOM_GEOMETRIC, 0, 10, 2);
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, r, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "subscribers"));
    CU_ASSERT_PTR_NULL(t.nodes);
    st.kind = (scn_topo_kind)99;
    CU_ASSERT_EQUAL(sim_topo_build(&t, &st, r, err, sizeof err), -1);
    gsl_rng_free(r);
}

static void test_deinit_zeroed(void)
{
    sim_topo t;

    memset(&t, 0, sizeof t);
    sim_topo_deinit(&t);
    sim_topo_deinit(&t);
    sim_topo_deinit(NULL);
    CU_ASSERT_EQUAL(t.n_nodes, 0);
    CU_ASSERT_PTR_NULL(t.nodes);
}

/* ---- Link parameters by reference (issue 22) ----------------------------- */

static int params_eq(const scn_link_params *x, const scn_link_params *y)
{
    return x->latency == y->latency && x->bandwidth == y->bandwidth &&
           x->loss == y->loss && x->queue == y->queue;
}

/* A generated topology shares its three parameter sets: every link
 * refers to one of them, each in use, each the scenario's. */
static void test_params_generated(void)
{
    scn_topology st = base_topology(SCN_TOPO_STAR, 3, 9, 4);
    sim_topo t;
    char err[256];
    uint32_t l, used[3] = {0, 0, 0};

    st.link.loss = 0.25;
    st.backbone.queue = 4096;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_params, 3);
    for (l = 0; l < t.n_links; l++) {
        const scn_link_params *p = sim_topo_link_params(&t, l);
        int both_so = t.nodes[t.links[l].a].role == SCN_ROLE_SO &&
                      t.nodes[t.links[l].b].role == SCN_ROLE_SO;
        int sub = t.nodes[t.links[l].a].role == SCN_ROLE_SUBSCRIBER ||
                  t.nodes[t.links[l].b].role == SCN_ROLE_SUBSCRIBER;

        CU_ASSERT_FATAL(t.links[l].par < t.n_params);
        used[t.links[l].par]++;
        CU_ASSERT_TRUE(params_eq(p, both_so ? &st.backbone
                                    : sub ? &st.access : &st.link));
    }
    CU_ASSERT_TRUE(used[0] && used[1] && used[2]);
    CU_ASSERT_EQUAL(used[0] + used[1] + used[2], t.n_links);
    sim_topo_deinit(&t);
    CU_ASSERT_PTR_NULL(t.params);
    CU_ASSERT_EQUAL(t.n_params, 0);
}

/* Explicit links: equal parameters share a record, however far apart;
 * more distinct sets than the interning scan looks at still give every
 * link exactly its own parameters. */
static void test_params_explicit(void)
{
    enum { N = 202 };                 /* a path of N nodes, N - 1 links */
    scn_node *nodes = calloc(N, sizeof *nodes);
    scn_link *links = calloc(N - 1, sizeof *links);
    scn_topology st = base_topology(SCN_TOPO_EXPLICIT, 0, 0, 0);
    sim_topo t;
    char err[256];
    uint32_t i;

    CU_ASSERT_FATAL(nodes && links);
    for (i = 0; i < N; i++) {
        nodes[i].id = i;
        nodes[i].role = i ? SCN_ROLE_SOURCE : SCN_ROLE_SO;
    }
    for (i = 0; i < N - 1; i++) {
        links[i].a = i;
        links[i].b = i + 1;
        links[i].p.bandwidth = 1e6;
        /* Links 0..99 alternate two sets; 100.. are all distinct. */
        links[i].p.latency = i < 100 ? (sim_time)(i % 2) + 1
                                     : (sim_time)i * SIM_MS;
        links[i].p.loss = i < 100 ? 0.0 : 0.001 * (i - 99);
        links[i].p.queue = i;
        if (i < 100)
            links[i].p.queue = 64;
    }
    st.nodes = nodes;
    st.n_nodes = N;
    st.links = links;
    st.n_links = N - 1;
    st.require_connected = 1;
    CU_ASSERT_EQUAL_FATAL(sim_topo_build(&t, &st, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(t.n_links, N - 1);
    for (i = 0; i < N - 1; i++) {
        CU_ASSERT_FATAL(t.links[i].par < t.n_params);
        CU_ASSERT_TRUE(params_eq(sim_topo_link_params(&t, i),
                                 &links[i].p));
    }
    CU_ASSERT_EQUAL(t.links[0].par, t.links[98].par);
    CU_ASSERT_EQUAL(t.links[1].par, t.links[99].par);
    CU_ASSERT_NOT_EQUAL(t.links[0].par, t.links[1].par);
    CU_ASSERT_EQUAL(t.n_params, 2 + (N - 1 - 100));
    sim_topo_deinit(&t);
    free(nodes);
    free(links);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("topo", NULL, NULL);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_star);
    CUTEST_ADD(s, test_ring);
    CUTEST_ADD(s, test_tree);
    CUTEST_ADD(s, test_grid);
    CUTEST_ADD(s, test_rgg_determinism);
    CUTEST_ADD(s, test_rgg_so_grid);
    CUTEST_ADD(s, test_rgg_bruteforce);
    CUTEST_ADD(s, test_rgg_connectivity);
    CUTEST_ADD(s, test_explicit_disconnected);
    CUTEST_ADD(s, test_explicit_duplicates);
    CUTEST_ADD(s, test_explicit_bad_input);
    CUTEST_ADD(s, test_limits);
    CUTEST_ADD(s, test_deinit_zeroed);
    CUTEST_ADD(s, test_params_generated);
    CUTEST_ADD(s, test_params_explicit);
    return 0;
}

CUTEST_MAIN(register_tests)
