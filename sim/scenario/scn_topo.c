/* scn_topo.c — the schema's topology section: generators (star, tree,
 * grid, random geometric), explicit nodes and links, link parameters,
 * and the id -> index map of an explicit topology. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "cry.h"
#include "cry_key.h"
#include "scenario.h"
#include "topic.h"
#include "util.h"
#include "scn_int.h"

/* ---- node ids of an explicit topology ----------------------------------- */

static void idmap_init(idmap *m, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    m->keys = xmalloc(cap * sizeof *m->keys);
    m->vals = xcalloc(cap, sizeof *m->vals);
    m->mask = cap - 1;
}

void scni_idmap_free(idmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = m->vals = NULL;
}

static size_t idmap_slot(const idmap *m, uint32_t id)
{
    size_t h = (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) &
               m->mask;
    while (m->vals[h] && m->keys[h] != id)
        h = (h + 1) & m->mask;
    return h;
}

/* Index of node `id`, or -1. */
int64_t scni_idmap_get(const idmap *m, uint32_t id)
{
    size_t h;
    if (!m->vals)
        return -1;
    h = idmap_slot(m, id);
    return m->vals[h] ? (int64_t)m->vals[h] - 1 : -1;
}

/* ---- topology ----------------------------------------------------------- */

static const char *const gen_names[] = {"explicit", "star", "tree", "grid",
                                        "random_geometric", NULL};
static const char *const backbone_shapes[] = {"ring", "tree", NULL};
static const char *const so_placements[] = {"random", "grid", NULL};
static const char *const topo_keys[] = {
    "generator", "require_connected", "link", "nodes", "links", "sources",
    "smart_objects", "subscribers", "backbone", "backbone_shape", "access",
    "fanout", "columns", "spacing", "area", "range", "so_placement", NULL};
static const char *const topo_explicit[] = {
    "generator", "require_connected", "link", "nodes", "links", NULL};
static const char *const topo_star[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", NULL};
static const char *const topo_tree[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", "fanout", NULL};
static const char *const topo_grid[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", "columns",
    "spacing", NULL};
static const char *const topo_rg[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", "area", "range",
    "so_placement", NULL};
static const char *const *const topo_applicable[] = {
    topo_explicit, topo_star, topo_tree, topo_grid, topo_rg};

static const char *const link_keys[] = {"latency", "bandwidth", "loss",
                                        "queue", NULL};
static const char *const node_keys[] = {"id", "role", "pos", NULL};
static const char *const elink_keys[] = {"a", "b", "latency", "bandwidth",
                                         "loss", "queue", NULL};
static const char *const role_names[] = {"source", "smart_object",
                                         "subscriber", NULL};

static const bounds b_positive = {0, INFINITY, 1, 0};
const bounds scni_b_nonneg = {0, INFINITY, 0, 0};
/* A profile's cost per byte: at most SCN_MAX_OP_PER_BYTE (1 s). */
const bounds scni_b_op_per_byte = {0, (double)SCN_MAX_OP_PER_BYTE / 1e9,
                                   0, 0};
/* At least 1 bit/s: slower links would only overflow the clock. */
static const bounds b_bandwidth = {1, INFINITY, 0, 0};

/* latency, bandwidth, loss, queue on cursor c, defaults from def. */
static int link_params(scn_map *c, const scn_link_params *def,
                       scn_link_params *out)
{
    const bounds loss = {0, 1, 0, 1};
    yaml_node_t *qn;
    double q;

    *out = *def;
    if (scni_get_time(c, "latency", 0, def->latency, 0, 0, SCN_MAX_DURATION,
                      &out->latency, NULL) ||
        scni_get_qty(c, "bandwidth", SIM_DIM_RATE, 0, def->bandwidth,
                     &b_bandwidth, &out->bandwidth, NULL) ||
        scni_get_qty(c, "loss", SIM_DIM_NONE, 0, def->loss, &loss, &out->loss,
                     NULL) ||
        scni_get_qty(c, "queue", SIM_DIM_SIZE, 0, (double)def->queue,
                     &scni_b_nonneg, &q, &qn))
        return -1;
    if (qn && (q != floor(q) || q > 9007199254740992.0))
        return scni_nerr(c->L, c->d, qn,
                         "'queue' must be a whole number of bytes "
                         "up to 2^53");
    out->queue = (uint64_t)q;
    return 0;
}

static int link_section(scn_map *t, const char *key,
                        const scn_link_params *def, scn_link_params *out)
{
    scn_map c;
    yaml_node_t *n;
    char section[SECTION_LEN];
    int rc;

    if (scni_get_map(t, key, 0, &n))
        return -1;
    snprintf(section, sizeof section, "topology.%s", key);
    rc = scni_sub_open(&c, t, n, section) || scni_map_check_keys(&c, link_keys,
                                                                 NULL, NULL) ||
         link_params(&c, def, out);
    scni_map_close(&c);
    return rc ? -1 : 0;
}

/* "first defined at line L" (or "by --set ...") for node v. */
static void def_where(ldr *L, ydoc *d, const yaml_node_t *v, char *buf,
                      size_t len)
{
    int o = scni_origin_of(d, v);
    char q[128];

    if (o >= 0 && L->labels && L->labels[o]) {
        snprintf(buf, len, "first defined by %s", L->labels[o]);
    } else if (o >= 0) {
        sim_units_quote(q, sizeof q, L->args[o]);
        snprintf(buf, len, "first defined by --set %s", q);
    } else {
        snprintf(buf, len, "first defined at line %zu",
                 v->start_mark.line + 1);
    }
}

/* Where the `id` value of nodes[j] was written. */
static void first_def(ldr *L, ydoc *d, yaml_node_t *seq, size_t j,
                      char *buf, size_t len)
{
    yaml_node_t *item = scni_seq_item(d, seq, j);
    yaml_node_pair_t *p;

    def_where(L, d, item, buf, len);
    for (p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = scni_node_at(d, p->key), *v = scni_node_at(d,
                                                                    p->value);
        if (strcmp(scni_stext(k), "id") == 0) {
            def_where(L, d, v, buf, len);
            return;
        }
    }
}

static int explicit_nodes(scn_map *t, scn_topology *topo)
{
    ldr *L = t->L;
    yaml_node_t *seq;
    size_t n;

    if (scni_get_seq(t, "nodes", 1, &seq))
        return -1;
    n = scni_seq_len(seq);
    if (n == 0 || n > SCN_MAX_NODES)
        return scni_nerr(L, t->d, seq, "'nodes' must have 1 to %u entries",
                         SCN_MAX_NODES);
    topo->nodes = xcalloc(n, sizeof *topo->nodes);
    topo->n_nodes = n;
    idmap_init(&L->ids, n);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = scni_seq_item(t->d, seq, i), *idn;
        scn_node *nd = &topo->nodes[i];
        char section[SECTION_LEN], what[64];
        double xy[2] = {0, 0};
        scn_map c;
        uint32_t id;
        int role, rc;
        size_t h;

        snprintf(section, sizeof section, "topology.nodes[%zu]", i);
        if (item->type != YAML_MAPPING_NODE) {
            snprintf(what, sizeof what, "nodes[%zu]", i);
            return scni_type_err(t, item, "a mapping", what);
        }
        rc = scni_sub_open(&c, t, item, section) ||
             scni_map_check_keys(&c, node_keys, NULL, NULL) ||
             scni_get_u32(&c, "id", 1, 0, 0, UINT32_MAX, &id, &idn) ||
             scni_get_enum(&c, "role", role_names, 1, 0, &role, NULL) ||
             scni_get_qty_list(&c, "pos", SIM_DIM_LENGTH, 2, 0, NULL, xy,
                               NULL) < 0;
        scni_map_close(&c);
        if (rc)
            return -1;
        h = idmap_slot(&L->ids, id);
        if (L->ids.vals[h]) {
            char first[256];
            first_def(L, t->d, seq, L->ids.vals[h] - 1, first, sizeof first);
            return scni_nerr(L, t->d, idn, "duplicate node id %u (%s)", id,
                             first);
        }
        L->ids.keys[h] = id;
        L->ids.vals[h] = (uint32_t)i + 1;
        nd->id = id;
        nd->role = (scn_role)role;
        nd->x = xy[0];
        nd->y = xy[1];
        if (nd->role == SCN_ROLE_SOURCE)
            topo->sources++;
        else if (nd->role == SCN_ROLE_SO)
            topo->smart_objects++;
        else
            topo->subscribers++;
    }
    if (topo->smart_objects == 0)
        return scni_nerr(L, t->d, seq, "topology has no smart object");
    if (topo->sources == 0)
        return scni_nerr(L, t->d, seq, "topology has no source");
    L->total_nodes = (uint32_t)n;
    return 0;
}

static int explicit_links(scn_map *t, scn_topology *topo)
{
    ldr *L = t->L;
    yaml_node_t *seq;
    size_t n;

    if (scni_get_seq(t, "links", 0, &seq))
        return -1;
    if (!seq)
        return 0;
    n = scni_seq_len(seq);
    if (n > SCN_MAX_LINKS)
        return scni_nerr(L, t->d, seq, "'links' must have at most %u entries",
                         SCN_MAX_LINKS);
    topo->links = xcalloc(n ? n : 1, sizeof *topo->links);
    topo->n_links = n;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = scni_seq_item(t->d, seq, i), *an, *bn;
        scn_link *l = &topo->links[i];
        char section[SECTION_LEN], what[64];
        uint32_t a, b;
        int64_t ia = -1, ib = -1;
        scn_map c;
        int rc;

        snprintf(section, sizeof section, "topology.links[%zu]", i);
        if (item->type != YAML_MAPPING_NODE) {
            snprintf(what, sizeof what, "links[%zu]", i);
            return scni_type_err(t, item, "a mapping", what);
        }
        rc = scni_sub_open(&c, t, item, section) ||
             scni_map_check_keys(&c, elink_keys, NULL, NULL) ||
             scni_get_u32(&c, "a", 1, 0, 0, UINT32_MAX, &a, &an) ||
             scni_get_u32(&c, "b", 1, 0, 0, UINT32_MAX, &b, &bn);
        if (!rc && (ia = scni_idmap_get(&L->ids, a)) < 0)
            rc = scni_nerr(L, t->d, an, "link to missing node %u", a);
        if (!rc && (ib = scni_idmap_get(&L->ids, b)) < 0)
            rc = scni_nerr(L, t->d, bn, "link to missing node %u", b);
        if (!rc && a == b)
            rc = scni_nerr(L, t->d, item, "self-loop on node %u", a);
        if (!rc)
            rc = link_params(&c, &topo->link, &l->p);
        scni_map_close(&c);
        if (rc)
            return -1;
        l->a = (uint32_t)ia;
        l->b = (uint32_t)ib;
    }
    return 0;
}

typedef struct link_key {
    uint64_t pair;       /* lower node index << 32 | higher            */
    size_t i;            /* position in links                          */
} link_key;

static int link_key_cmp(const void *a, const void *b)
{
    const link_key *x = a, *y = b;

    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static uint32_t uf_find(uint32_t *up, uint32_t x)
{
    while (up[x] != x) {
        up[x] = up[up[x]];
        x = up[x];
    }
    return x;
}

/* An explicit topology as a whole: no link listed twice (either way
 * round: the first repeat in file order is reported), and every smart
 * object reachable from some source, whether or not require_connected
 * asks for the rest to be connected: an SO that no source can reach would
 * never see a request.  O(links log links + nodes). */
static int explicit_check(scn_map *t, const scn_topology *topo)
{
    ldr *L = t->L;
    yaml_node_t *nseq = scni_map_find(t, "nodes", NULL);
    yaml_node_t *lseq = scni_map_find(t, "links", NULL);
    size_t n = topo->n_links, dup = SIZE_MAX, first = 0;
    uint32_t *up;
    unsigned char *src;
    int rc = 0;

    if (n > 1) {
        link_key *k = xmalloc(n * sizeof *k);
        for (size_t i = 0; i < n; i++) {
            uint32_t a = topo->links[i].a, b = topo->links[i].b;
            k[i].pair = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
            k[i].i = i;
        }
        qsort(k, n, sizeof *k, link_key_cmp);
        for (size_t i = 1; i < n; i++)
            if (k[i].pair == k[i - 1].pair &&
                (i < 2 || k[i - 1].pair != k[i - 2].pair) && k[i].i < dup) {
                dup = k[i].i;
                first = k[i - 1].i;
            }
        free(k);
    }
    if (dup != SIZE_MAX) {
        const scn_link *l = &topo->links[dup];
        char where[256];
        def_where(L, t->d, scni_seq_item(t->d, lseq, first), where,
                  sizeof where);
        return scni_nerr(L, t->d, scni_seq_item(t->d, lseq, dup),
                         "duplicate link "
                         "between nodes %u and %u (%s)", topo->nodes[l->a].id,
                         topo->nodes[l->b].id, where);
    }
    up = xmalloc(topo->n_nodes * sizeof *up);
    src = xcalloc(topo->n_nodes, 1);
    for (size_t i = 0; i < topo->n_nodes; i++)
        up[i] = (uint32_t)i;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = uf_find(up, topo->links[i].a);
        uint32_t b = uf_find(up, topo->links[i].b);
        up[a] = b;
    }
    for (size_t i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].role == SCN_ROLE_SOURCE)
            src[uf_find(up, (uint32_t)i)] = 1;
    for (size_t i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].role == SCN_ROLE_SO &&
            !src[uf_find(up, (uint32_t)i)]) {
            rc = scni_nerr(L, t->d, scni_seq_item(t->d, nseq, i),
                           "smart object %u "
                           "cannot be reached from any source",
                           topo->nodes[i].id);
            break;
        }
    free(up);
    free(src);
    return rc;
}

static uint32_t ceil_sqrt(uint32_t n)
{
    uint64_t c = (uint64_t)sqrt((double)n);
    while (c * c < n)
        c++;
    while (c > 1 && (c - 1) * (c - 1) >= n)
        c--;
    return (uint32_t)(c ? c : 1);
}

int scni_parse_topology(scn_map *top)
{
    static const scn_link_params def_link = {1 * SIM_MS, 250e3, 0, 0};
    static const scn_link_params def_backbone = {10 * SIM_MS, 100e6, 0, 0};
    static const scn_link_params def_access = {20 * SIM_MS, 10e6, 0, 0};
    scn_topology *topo = &top->L->s->topo;
    yaml_node_t *tn, *srcn;
    scn_map t;
    int gen, rc = -1;

    if (scni_get_map(top, "topology", 1, &tn))
        return -1;
    {
        /* Where errors found later, when the topology is built, point: the
         * topology mapping (as "missing required key" errors do), or the
         * top level when an override made it. */
        const yaml_node_t *at = scni_origin_of(top->d,
                                               tn) >= 0 ? top->map : tn;
        top->L->s->topo_line = (unsigned)at->start_mark.line + 1;
        top->L->s->topo_col = (unsigned)at->start_mark.column + 1;
    }
    if (scni_sub_open(&t, top, tn, "topology") ||
        scni_get_enum(&t, "generator", gen_names, 1, 0, &gen, NULL) ||
        scni_map_check_keys(&t, topo_keys, topo_applicable[gen],
                            gen_names[gen]))
        goto out;
    topo->kind = (scn_topo_kind)gen;
    topo->backbone = def_backbone;
    topo->access = def_access;
    if (scni_get_bool(&t, "require_connected", 0, gen == SCN_TOPO_EXPLICIT,
                      &topo->require_connected) ||
        link_section(&t, "link", &def_link, &topo->link))
        goto out;

    if (gen == SCN_TOPO_EXPLICIT) {
        scn_map_mark(&t, "nodes", SIZE_MAX, &top->L->s->nodes_mark);
        if (explicit_nodes(&t, topo) || explicit_links(&t, topo) ||
            explicit_check(&t, topo))
            goto out;
        scn_map_mark(&t, "nodes", 0, &top->L->s->mk_nodes);
        rc = 0;
        goto out;
    }
    {
        /* The node count's mark, for protocol set-up errors that compare
         * an option with it (Dini's d, E-G's revoke_nodes). */
        static const char *const size_keys[] = {"smart_objects",
                                                "subscribers"};
        scn_mark *nm = &top->L->s->nodes_mark;
        scn_map_mark(&t, "sources", SIZE_MAX, nm);
        for (size_t i = 0; i < 2 && nm->ovr < 0; i++)
            if (scni_map_find(&t, size_keys[i], NULL))
                scn_map_mark(&t, size_keys[i], SIZE_MAX, nm);
        if (nm->ovr < 0)             /* none from --set: `sources` */
            scn_map_mark(&t, "sources", SIZE_MAX, nm);
    }

    if (scni_get_u32(&t, "sources", 1, 0, 1, SCN_MAX_NODES, &topo->sources,
                     &srcn) ||
        scni_get_u32(&t, "smart_objects", 0, 1, 1, SCN_MAX_NODES,
                     &topo->smart_objects, NULL) ||
        scni_get_u32(&t, "subscribers", 0, 0, 0, SCN_MAX_NODES,
                     &topo->subscribers, NULL) ||
        link_section(&t, "backbone", &def_backbone, &topo->backbone) ||
        link_section(&t, "access", &def_access, &topo->access))
        goto out;
    {
        int shape;
        if (scni_get_enum(&t, "backbone_shape", backbone_shapes, 0,
                          SCN_BACKBONE_RING, &shape, NULL))
            goto out;
        topo->backbone_shape = (scn_backbone_shape)shape;
    }
    {
        uint64_t total = (uint64_t)topo->sources + topo->smart_objects +
                         topo->subscribers;
        if (total > SCN_MAX_NODES) {
            scni_nerr(t.L, t.d, srcn,
                      "total number of nodes (%llu) exceeds the "
                      "limit of %u", (unsigned long long)total, SCN_MAX_NODES);
            goto out;
        }
        t.L->total_nodes = (uint32_t)total;
        scn_map_mark(&t, "sources", 0, &t.L->s->mk_nodes);
    }
    switch (gen) {
    case SCN_TOPO_TREE:
        if (scni_get_u32(&t, "fanout", 0, 2, 1, 1024, &topo->fanout, NULL))
            goto out;
        break;
    case SCN_TOPO_GRID:
        if (scni_get_u32(&t, "columns", 0, ceil_sqrt(topo->sources), 1,
                         SCN_MAX_NODES, &topo->columns, NULL) ||
            scni_get_qty(&t, "spacing", SIM_DIM_LENGTH, 0, 10.0, &b_positive,
                         &topo->spacing, NULL))
            goto out;
        break;
    case SCN_TOPO_RANDOM_GEOMETRIC:
        if (scni_get_qty_list(&t, "area", SIM_DIM_LENGTH, 2, 1, &b_positive,
                              topo->area, NULL) < 0 ||
            scni_get_qty(&t, "range", SIM_DIM_LENGTH, 1, 0, &b_positive,
                         &topo->range, NULL))
            goto out;
        {
            int pl;
            if (scni_get_enum(&t, "so_placement", so_placements, 0,
                              SCN_SO_RANDOM, &pl, NULL))
                goto out;
            topo->so_placement = (scn_so_placement)pl;
        }
        break;
    default:
        break;
    }
    rc = 0;
out:
    scni_map_close(&t);
    return rc;
}
