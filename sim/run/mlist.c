/* mlist.c — kmsim metrics (see mlist.h).  kmsim extension. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "mlist.h"
#include "attack.h"
#include "baseline.h"
#include "dini.h"
#include "dipietro.h"
#include "eg.h"
#include "health.h"
#include "pk.h"
#include "metrics.h"
#include "proto.h"
#include "run.h"
#include "scenario.h"
#include "util.h"
#include "world.h"


/* The probe: a small tree with one SO, every protocol option that adds
 * metrics (re-keying) and every attacker type, a few simulated minutes. */
static const char probe[] =
    "name: metrics-probe\n"
    "seed: 19\n"
    "duration: 8min\n"
    "warmup: 30s\n"
    "replications: 1\n"
    "protocol: {name: none}\n"
    "protocols:\n"
    "  dini: {d: 8, local_keys_from: so, pool: 8, ring: 4, search_hops: 3,\n"
    "         findglobalkey: radio, rekey_every: 2min, invalidate_at: 4min,\n"
    "         invalidate_key: 0}\n"
    "  dipietro: {rekey_every: 2min}\n"
    "  eg: {pool: 200, ring: 30}\n"
    "  netkey: {rekey_every: 2min}\n"
    "  pairwise: {rekey_every: 2min}\n"
    "topology:\n"
    "  generator: tree\n"
    "  sources: 14\n"
    "  smart_objects: 1\n"
    "  subscribers: 1\n"
    "  fanout: 2\n"
    "  link: {latency: 5ms, bandwidth: 250kbps, loss: 0.01}\n"
    "traffic:\n"
    "  interval: exp(20s)\n"
    "  size: 64B\n"
    "  register_at: 'uniform(0s, 20s)'\n"
    "smart_object:\n"
    "  service: exp(100ms)\n"
    "subscribers:\n"
    "  filters: ['#']\n"
    "attackers:\n"
    "  - {type: eavesdropper, links: all, knowledge: coalition}\n"
    "  - {type: seed_sniffing, nodes: random, count: 3}\n"
    "  - {type: global_key_leak, at: 1min, detection: 1min}\n"
    "  - {type: node_capture, nodes: random, count: 1, at: 3min, "
    "detection: 1min, knowledge: coalition}\n"
    "  - {type: insider, nodes: random, count: 1, at: 2min, rate: 0.2/s}\n"
    "  - {type: replay, at: 1min, count: 40, rate: 1/s}\n"
    "  - {type: forgery, at: 1min, count: 40, rate: 1/s}\n"
    "  - {type: forgery, at: 5min, count: 40, rate: 1/s, "
    "knowledge: coalition}\n"
    "  - {type: tampering, at: 4min, count: 40}\n"
    "  - {type: flooding, at: 0s, rate: 2/s}\n";

/* The second probe: sources that move between two SOs (hand-over). */
static const char probe_moves[] =
    "name: metrics-probe-moves\n"
    "seed: 19\n"
    "duration: 20min\n"
    "warmup: 1min\n"
    "replications: 1\n"
    "protocol: {name: none}\n"
    "protocols:\n"
    "  dini: {d: 8, local_keys_from: so, pool: 8, ring: 4, search_hops: 3}\n"
    "  dipietro: {q: 64}\n"
    "topology:\n"
    "  generator: explicit\n"
    "  link: {latency: 5ms, bandwidth: 250kbps}\n"
    "  nodes:\n"
    "    - {id: 1, role: smart_object, pos: [0m, 0m]}\n"
    "    - {id: 2, role: smart_object, pos: [160m, 0m]}\n"
    "    - {id: 10, role: source, pos: [40m, 0m]}\n"
    "    - {id: 11, role: source, pos: [80m, 0m]}\n"
    "    - {id: 12, role: source, pos: [120m, 0m]}\n"
    "    - {id: 13, role: source, pos: [40m, 30m]}\n"
    "    - {id: 14, role: source, pos: [120m, 30m]}\n"
    "  links:\n"
    "    - {a: 1, b: 10}\n"
    "    - {a: 10, b: 11}\n"
    "    - {a: 11, b: 12}\n"
    "    - {a: 12, b: 2}\n"
    "    - {a: 10, b: 13}\n"
    "    - {a: 12, b: 14}\n"
    "moves:\n"
    "  - {node: 10, at: 3min, to: 2}\n"
    "  - {node: 10, at: 9min, to: 1}\n"
    "  - {node: 11, at: 4min, to: 2}\n"
    "  - {node: 13, at: 5min, to: 2}\n"
    "  - {node: 14, at: 6min, to: 1}\n"
    "traffic:\n"
    "  interval: exp(20s)\n"
    "  size: 32B\n"
    "  register_at: 'uniform(0s, 30s)'\n"
    "smart_object:\n"
    "  service: exp(50ms)\n";

static const char *const probes[] = {probe, probe_moves};

typedef struct mentry {
    char *name, *unit;
    char entity[64];     /* "network", "so:N", ... comma-separated    */
    char protos[128];    /* the protocols that emit it                */
} mentry;

struct sim_mlist {
    mentry *e;
    size_t n, cap;
    const char *proto;   /* while collecting */
    char all[128];       /* every protocol, as protos lists them      */
};

/* "so:3" -> "so:N"; "" -> "network". */
static void entity_kind(char *out, size_t len, const char *entity)
{
    size_t i = 0;

    if (!*entity) {
        snprintf(out, len, "network");
        return;
    }
    for (; entity[i] && entity[i] != ':' && i + 3 < len; i++)
        out[i] = entity[i];
    if (entity[i] == ':' && i + 3 < len) {
        out[i++] = ':';
        out[i++] = 'N';
    }
    out[i] = '\0';
}

/* Appends `item` to the comma-separated list `list` unless present. */
static void list_add(char *list, size_t len, const char *item)
{
    size_t n = strlen(item);

    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, item, n))
            return;
        p += k;
        if (*p == ',')
            p++;
    }
    if (strlen(list) + n + 2 > len)
        return;
    if (*list)
        strcat(list, ",");
    strcat(list, item);
}

/* `name` with every all-digit component (a message type number, e.g.
 * "attack.tampering.control.3.accepted") as "<N>": one entry per family,
 * whichever types a run happened to see. */
static void family(char *out, size_t len, const char *name)
{
    size_t o = 0;

    while (*name && o + 4 < len) {
        size_t k = strcspn(name, ".");
        int digits = k > 0 && strspn(name, "0123456789") == k;
        if (digits) {
            memcpy(out + o, "<N>", 3);
            o += 3;
        } else {
            if (o + k + 1 >= len)
                break;
            memcpy(out + o, name, k);
            o += k;
        }
        name += k;
        if (*name == '.') {
            out[o++] = '.';
            name++;
        }
    }
    out[o] = '\0';
}

static void on_row(void *ctx, const char *raw, const char *entity,
                   const char *unit, double value)
{
    sim_mlist *l = ctx;
    mentry *e = NULL;
    char kind[32], name[256];

    (void)value;
    family(name, sizeof name, raw);
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].name, name)) {
            e = &l->e[i];
            break;
        }
    if (!e) {
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 256;
            l->e = xreallocarray(l->e, l->cap, sizeof *l->e);
        }
        e = &l->e[l->n++];
        memset(e, 0, sizeof *e);
        e->name = xstrdup(name);
        e->unit = xstrdup(unit);
    }
    entity_kind(kind, sizeof kind, entity);
    list_add(e->entity, sizeof e->entity, kind);
    list_add(e->protos, sizeof e->protos, l->proto);
    {
        /* Samples with no sample emit only ".n" and ".mean" (metrics.h):
         * list the ".sd", ".min" and ".max" a run with samples writes,
         * and for a time (unit "s") its ".p50", ".p95" and ".p99". */
        size_t n = strlen(name);
        char sib[256];
        static const char *const more[] = {"sd", "min", "max", "p50", "p95",
                                           "p99"};
        size_t n_more = strcmp(unit, "s") == 0 ? ARRAY_LEN(more) : 3;
        if (n > 5 && n < sizeof sib - 8 && !strcmp(name + n - 5, ".mean")) {
            int has_n = 0;
            memcpy(sib, name, n - 4);
            strcpy(sib + n - 4, "n");
            for (size_t i = 0; i < l->n && !has_n; i++)
                has_n = !strcmp(l->e[i].name, sib);
            for (size_t k = 0; has_n && k < n_more; k++) {
                strcpy(sib + n - 4, more[k]);
                on_row(l, sib, entity, unit, value);
            }
        }
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const mentry *)a)->name, ((const mentry *)b)->name);
}

sim_mlist *sim_mlist_collect(char *err, size_t errlen)
{
    sim_mlist *l = xcalloc(1, sizeof *l);
    char names[512], *save = NULL;
    sim_run_opts ro;

    memset(&ro, 0, sizeof ro);
    ro.quiet = 1;
    snprintf(names, sizeof names, "%s", sim_proto_names());
    for (char *p = strtok_r(names, ", ", &save); p;
         p = strtok_r(NULL, ", ", &save)) {
        list_add(l->all, sizeof l->all, p);
        for (size_t k = 0; k < ARRAY_LEN(probes); k++) {
            int rc = 0;
            scenario *sc = scn_load_buffer_as("metrics-probe", probes[k],
                                              strlen(probes[k]), NULL, 0, p,
                                              err, errlen);
            sim_world *w;
            if (!sc) {
                sim_mlist_free(l);
                return NULL;
            }
            w = sim_run_replication(sc, &ro, 0, &rc, err, errlen);
            if (!w) {
                scn_free(sc);
                sim_mlist_free(l);
                return NULL;
            }
            l->proto = p;
            ana_metrics_rows(sim_world_metrics(w), on_row, l);
            l->proto = NULL;
            sim_world_free(w);
            scn_free(sc);
        }
    }
    if (l->n)
        qsort(l->e, l->n, sizeof *l->e, by_name);
    return l;
}

void sim_mlist_free(sim_mlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].name);
        free(l->e[i].unit);
    }
    free(l->e);
    free(l);
}

static const ana_metric_doc *const docs[] = {
    sim_mdoc_world, sim_mdoc_run, sim_mdoc_attack, sim_mdoc_pk,
    sim_mdoc_dini, sim_mdoc_dipietro, sim_mdoc_eg, sim_mdoc_netkey,
    sim_mdoc_pairwise, sim_mdoc_health};

/* The first meaning of the tables whose pattern matches `name`, or NULL. */
static const char *lookup(const char *name)
{
    for (size_t t = 0; t < ARRAY_LEN(docs); t++)
        for (const ana_metric_doc *d = docs[t]; d->pattern; d++)
            if (!fnmatch(d->pattern, name, 0))
                return d->meaning;
    return NULL;
}

/* The meaning of `name`: the first matching pattern of the table; for a
 * sample statistic ("x.mean") without its own entry, x's meaning. */
static const char *meaning(const char *name, const char **stat)
{
    static const char *const stats[] = {"n", "mean", "sd", "min", "max",
                                        "p50", "p95", "p99"};
    char base[256];
    const char *dot, *m;

    *stat = NULL;
    dot = strrchr(name, '.');
    for (size_t s = 0; dot && (size_t)(dot - name) < sizeof base &&
                       s < ARRAY_LEN(stats); s++)
        if (!strcmp(dot + 1, stats[s])) {
            memcpy(base, name, (size_t)(dot - name));
            base[dot - name] = '\0';
            if ((m = lookup(base)) != NULL) {
                *stat = stats[s];
                return m;
            }
        }
    return lookup(name);
}

size_t sim_mlist_print(const sim_mlist *l, const char *pattern, FILE *out)
{
    static const char *const stat_text[][2] = {
        {"n", "number of samples of: "}, {"mean", "mean of: "},
        {"sd", "standard deviation of: "}, {"min", "smallest of: "},
        {"max", "largest of: "},
        {"p50", "median (from its histogram, +-1%) of: "},
        {"p95", "95th percentile (from its histogram, +-1%) of: "},
        {"p99", "99th percentile (from its histogram, +-1%) of: "}};
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++) {
        const mentry *e = &l->e[i];
        const char *stat, *m;
        const char *pre = "";
        if (pattern && fnmatch(pattern, e->name, 0))
            continue;
        m = meaning(e->name, &stat);
        for (size_t s = 0; stat && s < ARRAY_LEN(stat_text); s++)
            if (!strcmp(stat, stat_text[s][0]))
                pre = stat_text[s][1];
        if (k == 0)
            fprintf(out, "%-44s %-6s %-10s %-12s %s\n", "metric", "unit",
                    "entity", "protocols", "meaning");
        fprintf(out, "%-44s %-6s %-10s %-12s %s%s\n", e->name, e->unit,
                e->entity, strcmp(e->protos, l->all) ? e->protos : "all",
                pre, m ? m : "(undocumented)");
        k++;
    }
    return k;
}

int sim_mlist_suggest(const sim_mlist *l, const char *pattern, char *out,
                      size_t len)
{
    size_t k = strcspn(pattern, "*?["), nc = 0;
    char lit[256];
    const char **cand;
    const char *c;
    int found = 0;

    if (k >= sizeof lit)
        return 0;
    memcpy(lit, pattern, k);
    lit[k] = '\0';
    while (k > 0 && lit[k - 1] == '.')      /* "dely." + "*" */
        lit[--k] = '\0';
    /* the names and every prefix of them that ends before a dot */
    cand = xcalloc(l->n * 8 + 1, sizeof *cand);
    for (size_t i = 0; i < l->n; i++) {
        const char *name = l->e[i].name;
        cand[nc++] = xstrdup(name);
        for (const char *d = strchr(name, '.'); d && nc < l->n * 8;
             d = strchr(d + 1, '.')) {
            char *p = xmalloc((size_t)(d - name) + 1);
            memcpy(p, name, (size_t)(d - name));
            p[d - name] = '\0';
            cand[nc++] = p;
        }
    }
    cand[nc] = NULL;
    c = sim_util_closest(lit, cand);
    if (c) {
        int is_name = 0;
        for (size_t i = 0; i < l->n && !is_name; i++)
            is_name = !strcmp(l->e[i].name, c);
        snprintf(out, len, "%s%s%s", c, pattern + k,
                 !is_name && !pattern[k] ? ".*" : "");
        found = 1;
    }
    for (size_t i = 0; i < nc; i++)
        free((void *)cand[i]);
    free(cand);
    return found;
}

size_t sim_mlist_undocumented(const sim_mlist *l, FILE *report)
{
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++) {
        const char *stat;
        if (!meaning(l->e[i].name, &stat)) {
            if (report)
                fprintf(report, "undocumented metric: %s\n", l->e[i].name);
            k++;
        }
    }
    return k;
}
