/* scn_sections.c — the schema's sections after the topology: traffic,
 * smart_object, subscribers, profiles, attackers, moves, and the protocol
 * blocks (whose options the protocol registry reads through scn_map). */
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

/* ---- traffic, smart objects, subscribers -------------------------------- */

/* name with every "{id}" replaced by "0", for validation. */
static char *expand_id(const char *name)
{
    size_t n = strlen(name), o = 0;
    char *out = xmalloc(n + 1);

    for (size_t i = 0; i < n;) {
        if (strncmp(name + i, "{id}", 4) == 0) {
            out[o++] = '0';
            i += 4;
        } else {
            out[o++] = name[i++];
        }
    }
    out[o] = '\0';
    return out;
}

/* A list of MQTT topic names (filter = 0) or filters (filter = 1). */
static int topic_list(scn_map *m, const char *key, const char *def,
                      int filter, size_t *n_out, char ***out)
{
    yaml_node_t *seq;
    size_t n;

    if (scni_get_seq(m, key, 0, &seq))
        return -1;
    if (!seq) {
        *out = xmalloc(sizeof **out);
        (*out)[0] = xstrdup(def);
        *n_out = 1;
        return 0;
    }
    n = scni_seq_len(seq);
    if (n == 0 || n > SCN_MAX_LIST)
        return scni_nerr(m->L, m->d, seq, "'%s' must have 1 to %u entries",
                         key, SCN_MAX_LIST);
    *out = xcalloc(n, sizeof **out);
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = scni_seq_item(m->d, seq, i);
        char q[128];
        int ok;

        if (item->type != YAML_SCALAR_NODE || scni_is_null(item))
            return scni_type_err(m, item, filter ? "an MQTT topic filter"
                                                 : "an MQTT topic name", key);
        if (filter) {
            ok = sim_topic_filter_valid(scni_stext(item));
        } else {
            char *x = expand_id(scni_stext(item));
            ok = sim_topic_name_valid(x);
            free(x);
        }
        if (!ok) {
            sim_units_quote(q, sizeof q, scni_stext(item));
            return scni_nerr(m->L, m->d, item, "invalid MQTT topic %s '%s'",
                             filter ? "filter" : "name", q);
        }
        (*out)[i] = xstrdup(scni_stext(item));
    }
    return 0;
}

int scni_parse_traffic(scn_map *top)
{
    static const char *const keys[] = {"interval", "size", "start",
                                       "register_at", "register_retry",
                                       "anonymous", "topics", NULL};
    scn_traffic *tr = &top->L->s->traffic;
    int64_t anon = 0;
    yaml_node_t *n, *in, *sn, *rn, *an;
    scn_map c;
    int rc = -1;

    if (scni_get_map(top, "traffic", 0, &n))
        return -1;
    if (scni_sub_open(&c, top, n, "traffic") ||
        scni_map_check_keys(&c, keys, NULL, NULL) ||
        scni_get_dist(&c, "interval", SIM_DIM_TIME, 0, "exp(60s)",
                      &tr->interval, &in))
        goto out;
    /* Issue 20: checked after rounding to the clock's resolution (1 ns):
     * an interval that rounds to 0 ns never advances the clock. */
    if (in && isfinite(sim_dist_mean(&tr->interval)) &&
        !(sim_dist_mean(&tr->interval) * 1e9 >= 0.5)) {
        scni_nerr(c.L, c.d, in, "'interval' must have a mean of at least 1ns "
                  "(the clock's resolution)");
        goto out;
    }
    if (in && sim_dist_p_at_least(&tr->interval, 0.5e-9) < 1e-6) {
        scni_nerr(c.L, c.d, in, "'interval' draws almost all round to 0ns "
                  "(the clock's resolution)");
        goto out;
    }
    if (scni_get_dist(&c, "size", SIM_DIM_SIZE, 0, "64B", &tr->size, &sn))
        goto out;
    if (sn) {
        const sim_dist *d = &tr->size;
        double lo = d->p[0], hi = d->kind == SIM_DIST_UNIFORM ? d->p[1]
                                                              : d->p[0];
        if (d->kind == SIM_DIST_CONST || d->kind == SIM_DIST_UNIFORM) {
            if (lo < 1) {
                scni_nerr(c.L, c.d, sn, "payload size must be >= 1B");
                goto out;
            }
            if (hi > MAX_PAYLOAD) {
                scni_nerr(c.L, c.d, sn, "payload size must be <= 64KiB");
                goto out;
            }
        } else {
            double mean = sim_dist_mean(d);
            if (!(mean >= 1 && mean <= MAX_PAYLOAD)) {
                scni_nerr(c.L, c.d, sn,
                          "payload size must have a mean between "
                          "1B and 64KiB");
                goto out;
            }
        }
    }
    if (scni_get_time(&c, "start", 0, 0, 0, 0, SCN_MAX_DURATION, &tr->start,
                      &sn) ||
        (sn && scni_before_duration(&c, sn, "start", tr->start)) ||
        scni_get_dist(&c, "register_at", SIM_DIM_TIME, 0, "0s",
                      &tr->register_at, &rn) ||
        scni_get_time(&c, "register_retry", 0, 30 * SIM_S, 0, 0,
                      SCN_MAX_DURATION, &tr->register_retry, NULL) ||
        scni_get_int(&c, "anonymous", 0, 0, 0, SCN_MAX_NODES, &anon, &an) ||
        topic_list(&c, "topics", "kmsim/{id}/data", 0, &tr->n_topics,
                   &tr->topics))
        goto out;
    scn_map_mark(&c, "interval", 0, &c.L->s->mk_interval);
    scn_map_mark(&c, "register_retry", 0, &c.L->s->mk_register_retry);
    /* Issue 20 (kmsim extension): values that can never take effect are
     * refused.  A register_at whose smallest draw is at or after the
     * duration (const, uniform entirely after it; an unbounded
     * distribution's minimum is 0) registers no source ever. */
    if (rn && c.L->s->duration > 0 &&
        scni_dist_min_ns(&tr->register_at) >= c.L->s->duration) {
        char du[64];
        sim_units_format((double)c.L->s->duration / 1e9, SIM_DIM_TIME, du,
                         sizeof du);
        scni_nerr(c.L, c.d, rn, "'register_at' never draws a time before "
                  "'duration' (%s): no source would ever register", du);
        goto out;
    }
    /* More anonymous sources than sources: the topology has been read. */
    if (an && (uint64_t)anon > c.L->s->topo.sources) {
        scni_nerr(c.L, c.d, an,
                  "'anonymous' (%lld) must be at most the number "
                  "of sources (%u)", (long long)anon, c.L->s->topo.sources);
        goto out;
    }
    tr->anonymous = (uint32_t)anon;
    rc = 0;
out:
    scni_map_close(&c);
    return rc;
}

/* smart_object.rekey_spread, read before the protocol blocks (which check
 * their re-key rounds against it, scn_map_rekey_rounds) without opening
 * the section: its other keys and its shape are scni_parse_smart_object's to
 * report.  0 or -1 (recorded). */
int scni_pre_rekey_spread(scn_map *top)
{
    ldr *L = top->L;
    yaml_node_t *so = scni_map_find(top, "smart_object", NULL), *v = NULL;
    yaml_node_pair_t *pair;
    scn_map c;
    int rc;

    if (!so || so->type != YAML_MAPPING_NODE)
        return 0;
    for (pair = so->data.mapping.pairs.start;
         pair < so->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = scni_node_at(top->d, pair->key);
        if (k->type == YAML_SCALAR_NODE &&
            strcmp(scni_stext(k), "rekey_spread") == 0) {
            v = scni_node_at(top->d, pair->value);
            break;            /* a repeat: scni_parse_smart_object's */
        }
    }
    if (!v)
        return 0;
    if (scni_map_open(&c, L, top->d, NULL, so, "smart_object", NULL))
        return -1;
    rc = scni_time_of(&c, v, "rekey_spread", 0, 0, SCN_MAX_DURATION,
                      &L->s->so.rekey_spread) ||
         scni_before_duration(&c, v, "rekey_spread", L->s->so.rekey_spread);
    scni_map_close(&c);
    if (rc)
        return -1;
    L->spread_doc = top->d;
    L->spread_node = v;
    return 0;
}

int scni_parse_smart_object(scn_map *top)
{
    static const char *const keys[] = {"service", "queue_capacity", "publish",
                                       "rekey_spread", NULL};
    scn_smart_object *so = &top->L->s->so;
    yaml_node_t *n;
    scn_map c;
    int rc;

    if (scni_get_map(top, "smart_object", 0, &n))
        return -1;
    rc = scni_sub_open(&c, top, n, "smart_object") ||
         scni_map_check_keys(&c, keys, NULL, NULL) ||
         scni_get_dist(&c, "service", SIM_DIM_TIME, 0, "exp(2.5s)",
                       &so->service, NULL) ||
         scni_get_u32(&c, "queue_capacity", 0, 0, 0, UINT32_MAX,
                      &so->queue_capacity, NULL) ||
         scni_get_dist(&c, "publish", SIM_DIM_TIME, 0, "0s", &so->publish,
                       NULL) ||
         /* read first by scni_pre_rekey_spread: the same value */
         scni_get_time(&c, "rekey_spread", 0, 0, 0, 0, SCN_MAX_DURATION,
                       &so->rekey_spread, NULL);
    if (!rc)
        scn_map_mark(&c, "rekey_spread", 0, &so->rekey_spread_mark);
    scni_map_close(&c);
    return rc ? -1 : 0;
}

int scni_parse_subscribers(scn_map *top)
{
    static const char *const keys[] = {"filters", NULL};
    scn_subscribers *sub = &top->L->s->subs;
    yaml_node_t *n;
    scn_map c;
    int rc;

    if (scni_get_map(top, "subscribers", 0, &n))
        return -1;
    rc = scni_sub_open(&c, top, n, "subscribers") ||
         scni_map_check_keys(&c, keys, NULL, NULL) ||
         topic_list(&c, "filters", "#", 1, &sub->n_filters, &sub->filters);
    scni_map_close(&c);
    return rc ? -1 : 0;
}

/* ---- profiles ----------------------------------------------------------- */

static const char *const op_names[] = {"seal", "open", "hash", "kdf", "xor",
                                       "concat", NULL};
static const char *const dev_names[] = {"sensor", "smart_object", "gateway",
                                        NULL};

/* The shipped cost profiles: fixed numbers, so runs are reproducible on
 * any host.  {fixed ns, ns per byte} per operation. */
static const struct {
    sim_time fixed;
    double per_byte;
} default_costs[SCN_DEV_COUNT][SCN_OP_COUNT] = {
    [SCN_DEV_SENSOR] = {
        [SCN_OP_SEAL] = {60000, 500}, [SCN_OP_OPEN] = {60000, 500},
        [SCN_OP_HASH] = {25000, 300}, [SCN_OP_KDF] = {40000, 0},
        [SCN_OP_XOR] = {1000, 10},    [SCN_OP_CONCAT] = {1000, 10}},
    [SCN_DEV_SO] = {
        [SCN_OP_SEAL] = {4000, 15},   [SCN_OP_OPEN] = {4000, 15},
        [SCN_OP_HASH] = {2000, 8},    [SCN_OP_KDF] = {3000, 0},
        [SCN_OP_XOR] = {100, 1},      [SCN_OP_CONCAT] = {100, 1}},
    [SCN_DEV_GATEWAY] = {
        [SCN_OP_SEAL] = {2000, 6},    [SCN_OP_OPEN] = {2000, 6},
        [SCN_OP_HASH] = {1000, 4},    [SCN_OP_KDF] = {1500, 0},
        [SCN_OP_XOR] = {50, 0.5},     [SCN_OP_CONCAT] = {50, 0.5}},
};

/* Keys of one profile mapping (in the scenario or in its own file) over
 * the defaults already in *p. */
static int profile_map(ldr *L, ydoc *d, yaml_node_t *map, const char *section,
                       scn_profile *p)
{
    static const char *const cost_keys[] = {"fixed", "per_byte", NULL};
    scn_map c;
    int rc = -1;

    if (scni_map_open(&c, L, d, map, map, section, NULL) ||
        scni_map_check_keys(&c, op_names, NULL, NULL))
        goto out;
    for (int op = 0; op < SCN_OP_COUNT; op++) {
        char sub[SECTION_LEN];
        yaml_node_t *on, *pbn;
        scn_map oc;
        double sec;
        int r;

        if (scni_get_map(&c, op_names[op], 0, &on))
            goto out;
        if (!on)
            continue;
        snprintf(sub, sizeof sub, "%s.%s", section, op_names[op]);
        r = scni_map_open(&oc, L, d, on, on, sub, NULL) ||
            scni_map_check_keys(&oc, cost_keys, NULL, NULL) ||
            scni_get_time(&oc, "fixed", 0, p->op_fixed[op], 0, 0,
                          SCN_MAX_OP_FIXED, &p->op_fixed[op], NULL) ||
            scni_get_qty(&oc, "per_byte", SIM_DIM_TIME, 0, 0,
                         &scni_b_op_per_byte, &sec, &pbn);
        if (!r && pbn)
            p->op_per_byte[op] = sec * 1e9;
        scni_map_close(&oc);
        if (r)
            goto out;
    }
    rc = 0;
out:
    scni_map_close(&c);
    return rc;
}

/* 1 if `rel` stays inside the folder it is resolved against: not empty,
 * not absolute, no ".." component. */
static int path_inside(const char *rel)
{
    const char *c = rel;

    if (!rel[0] || rel[0] == '/')
        return 0;
    while (*c) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return 0;
        c += n;
        while (*c == '/')
            c++;
    }
    return 1;
}

/* `path` (under folder `dir`, NULL: the working directory) with every
 * symbolic link resolved (realpath), if the file it names is inside the
 * folder, itself resolved the same way: a link in the folder (the file,
 * or a folder on the way) may lead anywhere, e.g. profiles/x.yaml ->
 * /etc/passwd (kmsim extension).  0 with *real the resolved path (the
 * caller frees it; messages keep naming `path`), -1 with errno set (no
 * such file ...), -3 outside.  What is checked is what is then opened; a
 * link changed in between is not guarded against (the scenario's folder
 * is the user's own). */
static int resolve_inside(const char *path, const char *dir, char **real_out)
{
    char *real = realpath(path, NULL), *top;
    size_t n;
    int e, in;

    *real_out = NULL;
    if (!real)
        return -1;
    top = realpath(dir ? dir : ".", NULL);
    if (!top) {
        e = errno;
        free(real);
        errno = e;
        return -1;
    }
    n = strlen(top);
    in = strcmp(top, "/") == 0 ||         /* the folder itself: "." */
         (strncmp(real, top, n) == 0 && (real[n] == '/' || !real[n]));
    free(top);
    if (!in) {
        free(real);
        return -3;
    }
    *real_out = real;
    return 0;
}

/* profiles.<dev>: "file.yaml" -> path relative to the scenario's folder
 * (paper: none; interpretation of where a profile lives).  Only a relative
 * path without ".." is accepted, it must not lead out of the folder through
 * a symbolic link (resolve_inside), and only a regular file is read (a
 * FIFO, device or directory is refused without waiting); a file that is not a
 * YAML mapping is "not a profile: <path>: <reason>" at the value, and its
 * content is never quoted.  Errors inside a profile mapping (an unknown
 * key, a bad cost) point into the profile file as usual. */
static int profile_file(scn_map *pm, yaml_node_t *v, const char *section,
                        scn_profile *p)
{
    ldr *L = pm->L;
    const char *rel = scni_stext(v);
    size_t n = strlen(rel);
    char *path, *real = NULL, q[128];
    unsigned char *buf;
    size_t len;
    const char *kind;
    ydoc pd;
    yaml_node_t *root;
    int rc, e;

    sim_units_quote(q, sizeof q, rel);   /* as written: the file's folder
                                            is documented */
    if (!path_inside(rel))
        return scni_nerr(L, pm->d, v, "not a profile: %s: must be a path "
                         "relative to the scenario's folder, without '..'", q);
    if (L->dir) {
        path = xmalloc(L->dirlen + n + 1);
        memcpy(path, L->dir, L->dirlen);
        memcpy(path + L->dirlen, rel, n + 1);
    } else {
        path = xstrdup(rel);
    }
    rc = resolve_inside(path, L->dir, &real);
    if (rc == -1 && errno == ENOENT) {
        /* not in the scenario's folder: the data search path, so that a
         * shipped scenario copied alone still finds its shipped profile
         * (kmsim extension, issue 21); inside that folder, same rules */
        char *ddir, *alt = sim_util_find_data(rel, getenv("KMSIM_PATH"),
                                              sim_util_datadir(), &ddir);
        if (alt) {
            rc = resolve_inside(alt, ddir, &real);
            free(alt);
            free(ddir);
        }
        if (rc != 0)
            errno = ENOENT;
        if (rc == -3)
            rc = -1;
    }
    if (rc == -3) {
        scni_nerr(L, pm->d, v, "not a profile: %s: a symbolic link to a file "
                  "outside the scenario's folder", q);
        free(path);
        return -1;
    }
    if (rc == 0)
        rc = scni_read_file(real, &buf, &len, &kind);
    e = errno;
    free(real);
    if (rc == -3) {
        scni_nerr(L, pm->d, v, "not a profile: %s: %s", q, kind);
        free(path);
        return -1;
    }
    if (rc == -2) {
        scni_nerr(L, pm->d, v, "profile '%s' is larger than 64 MiB", q);
        free(path);
        return -1;
    }
    if (rc) {
        scni_nerr(L, pm->d, v, "cannot open profile '%s': %s", q, strerror(e));
        free(path);
        return -1;
    }
    cry_hash_update(&L->hash, "\0profile:", 9);
    cry_hash_update(&L->hash, section, strlen(section) + 1);
    cry_hash_update(&L->hash, buf, len);
    memset(&pd, 0, sizeof pd);
    rc = scni_load_doc(L, &pd, path, -1, buf, len);
    if (rc) {
        /* the reader's message may quote the file: keep its place only */
        size_t pl = strlen(path), line = 0, col = 0;
        int got = L->err && L->errlen &&
                  strncmp(L->err, path, pl) == 0 &&
                  sscanf(L->err + pl, ":%zu:%zu:", &line, &col) == 2;
        L->failed = 0;           /* replace the reader's message */
        if (got)
            scni_nerr(L, pm->d, v,
                      "not a profile: %s: not valid YAML (line %zu, "
                      "column %zu)", q, line, col);
        else
            scni_nerr(L, pm->d, v, "not a profile: %s: not valid YAML", q);
    } else {
        root = yaml_document_get_root_node(&pd.doc);
        if (!root || scni_is_null(root)) {
            rc = scni_nerr(L, pm->d, v, "not a profile: %s: empty", q);
        } else if (root->type != YAML_MAPPING_NODE) {
            rc = scni_nerr(L, pm->d, v, "not a profile: %s: not a mapping of "
                           "operations (its top level is a %s)", q,
                           root->type == YAML_SCALAR_NODE ? "scalar"
                                                          : "sequence");
        } else {
            rc = profile_map(L, &pd, root, section, p);
        }
    }
    scni_ydoc_free(&pd);
    free(buf);
    free(path);
    return rc;
}

int scni_parse_profiles(scn_map *top)
{
    scenario *s = top->L->s;
    yaml_node_t *n;
    scn_map c;
    int rc = -1;

    for (int dev = 0; dev < SCN_DEV_COUNT; dev++)
        for (int op = 0; op < SCN_OP_COUNT; op++) {
            s->profiles[dev].op_fixed[op] = default_costs[dev][op].fixed;
            s->profiles[dev].op_per_byte[op] = default_costs[dev][op].per_byte;
        }
    if (scni_get_map(top, "profiles", 0, &n))
        return -1;
    if (scni_sub_open(&c, top, n, "profiles") ||
        scni_map_check_keys(&c, dev_names, NULL, NULL))
        goto out;
    for (int dev = 0; dev < SCN_DEV_COUNT; dev++) {
        char section[SECTION_LEN];
        yaml_node_t *v;

        if (scni_lookup(&c, dev_names[dev], 0, &v) < 0)
            goto out;
        if (!v)
            continue;
        snprintf(section, sizeof section, "profiles.%s", dev_names[dev]);
        if (v->type == YAML_MAPPING_NODE) {
            if (profile_map(c.L, c.d, v, section, &s->profiles[dev]))
                goto out;
        } else if (v->type == YAML_SCALAR_NODE) {
            if (profile_file(&c, v, section, &s->profiles[dev]))
                goto out;
        } else {
            scni_type_err(&c, v, "a mapping or a file name", dev_names[dev]);
            goto out;
        }
    }
    rc = 0;
out:
    scni_map_close(&c);
    return rc;
}

/* ---- node ids ----------------------------------------------------------- */

/* Index of the node with user-visible id `id` (explicit topologies: the
 * ids of the file; generators: id = index), or an error at v. */
static int node_index(ldr *L, ydoc *d, yaml_node_t *v, uint32_t id,
                      uint32_t *out)
{
    if (L->s->topo.kind == SCN_TOPO_EXPLICIT) {
        int64_t idx = scni_idmap_get(&L->ids, id);
        if (idx < 0)
            return scni_nerr(L, d, v, "no node with id %u", id);
        *out = (uint32_t)idx;
    } else {
        if (id >= L->total_nodes)
            return scni_nerr(L, d, v, "no node %u (node indices are 0 to %u)",
                             id, L->total_nodes - 1);
        *out = id;
    }
    return 0;
}

/* ---- attackers ---------------------------------------------------------- */

static const char *const atk_names[] = {
    "eavesdropper", "node_capture", "global_key_leak", "seed_sniffing",
    "replay", "forgery", "tampering", "insider", "flooding", NULL};
static const char *const atk_keys[] = {"type", "links", "nodes", "region",
                                       "at", "count", "rate", "detection",
                                       "knowledge", NULL};
/* knowledge: separate (default: the attacker's rows show what it alone
 * learned and read) | coalition (kmsim extension: one base shared by every
 * coalition attacker of the run). */
static const char *const atk_knowledge[] = {"separate", "coalition", NULL};

/* nodes: [ids] -> node indices. */
static int attack_targets(scn_map *c, yaml_node_t *seq, scn_attacker *a)
{
    ldr *L = c->L;
    size_t n = scni_seq_len(seq);

    if (n == 0 || n > SCN_MAX_NODES)
        return scni_nerr(L, c->d, seq, "'nodes' must list 1 to %u node ids",
                         SCN_MAX_NODES);
    a->targets = xcalloc(n, sizeof *a->targets);
    a->n_targets = n;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = scni_seq_item(c->d, seq, i);
        uint64_t mag;
        int neg;

        if (item->type != YAML_SCALAR_NODE ||
            scni_parse_integer(scni_stext(item), &neg,
                               &mag) || neg || mag > UINT32_MAX)
            return scni_type_err(c, item, "a node id", "nodes");
        if (node_index(L, c->d, item, (uint32_t)mag, &a->targets[i]))
            return -1;
    }
    return 0;
}

static int parse_attacker(scn_map *top, yaml_node_t *item, size_t i,
                          scn_attacker *a)
{
    static const char *const where_keys[] = {"links", "nodes", "region"};
    ldr *L = top->L;
    char section[SECTION_LEN];
    yaml_node_t *wv[3] = {NULL, NULL, NULL}, *cn, *atn;
    const char *given = NULL;
    scn_map c;
    int kind, rc = -1;

    snprintf(section, sizeof section, "attackers[%zu]", i);
    if (item->type != YAML_MAPPING_NODE)
        return scni_type_err(top, item, "a mapping", section);
    if (scni_sub_open(&c, top, item, section) ||
        scni_map_check_keys(&c, atk_keys, NULL, NULL) ||
        scni_get_enum(&c, "type", atk_names, 1, 0, &kind, NULL))
        goto out;
    a->kind = (scn_attack_kind)kind;
    a->where = SCN_WHERE_ALL;
    scni_mark_of(c.d, item, &a->entry);
    for (int k = 0; k < 3; k++) {
        yaml_node_t *kn = NULL, *v = scni_map_find(&c, where_keys[k], &kn);
        if (!v || scni_is_null(v))
            continue;
        if (given) {
            scni_nerr(L, c.d, kn,
                      "at most one of 'links', 'nodes' and 'region' "
                      "may be given");
            goto out;
        }
        given = where_keys[k];
        wv[k] = v;
    }
    if (wv[0]) {
        if (wv[0]->type != YAML_SCALAR_NODE || strcmp(scni_stext(wv[0]),
                                                      "all")) {
            char b[160];
            scni_nerr(L, c.d, wv[0], "invalid value %s for 'links' (use all)",
                      scni_describe(wv[0], b, sizeof b));
            goto out;
        }
    } else if (wv[1]) {
        if (wv[1]->type == YAML_SCALAR_NODE &&
            strcmp(scni_stext(wv[1]), "random") == 0) {
            a->where = SCN_WHERE_RANDOM;
        } else if (wv[1]->type == YAML_SEQUENCE_NODE) {
            a->where = SCN_WHERE_LIST;
            if (attack_targets(&c, wv[1], a))
                goto out;
        } else {
            char b[160];
            scni_nerr(L, c.d, wv[1],
                      "invalid value %s for 'nodes' (use random or "
                      "a list of node ids)", scni_describe(wv[1], b,
                                                           sizeof b));
            goto out;
        }
    } else if (wv[2]) {
        yaml_node_t *rn;
        if (scni_get_qty_list(&c, "region", SIM_DIM_LENGTH, 4, 0, NULL,
                              a->region, &rn) < 0)
            goto out;
        if (!(a->region[0] < a->region[2] && a->region[1] < a->region[3])) {
            scni_nerr(L, c.d, rn, "region needs x0 < x1 and y0 < y1");
            goto out;
        }
        a->where = SCN_WHERE_REGION;
    }
    if (scni_get_dist(&c, "at", SIM_DIM_TIME, 0, "0s", &a->at, &atn) ||
        (atn && scni_before_duration(&c, atn, "at",
                                     scni_dist_min_ns(&a->at))) ||
        scni_get_u32(&c, "count", 0, 1, 1, UINT32_MAX, &a->count, &cn) ||
        scni_get_qty(&c, "rate", SIM_DIM_FREQ, 0, 0, &scni_b_nonneg, &a->rate,
                     NULL) ||
        scni_get_time(&c, "detection", 0, 0, 0, 0, SCN_MAX_DURATION,
                      &a->detection, NULL) ||
        scni_get_enum(&c, "knowledge", atk_knowledge, 0, 0, &a->coalition,
                      NULL))
        goto out;
    if (a->where == SCN_WHERE_RANDOM && a->count > L->total_nodes) {
        scni_nerr(L, c.d, cn ? cn : wv[1],
                  "'count' (%u) exceeds the number of "
                  "nodes (%u)", a->count, L->total_nodes);
        goto out;
    }
    rc = 0;
out:
    scni_map_close(&c);
    return rc;
}

int scni_parse_attackers(scn_map *top)
{
    scenario *s = top->L->s;
    yaml_node_t *seq;
    size_t n;

    if (scni_get_seq(top, "attackers", 0, &seq))
        return -1;
    if (!seq)
        return 0;
    n = scni_seq_len(seq);
    if (n > SCN_MAX_LIST)
        return scni_nerr(top->L, top->d, seq,
                         "'attackers' must have at most %u "
                         "entries", SCN_MAX_LIST);
    s->attackers = xcalloc(n ? n : 1, sizeof *s->attackers);
    s->n_attackers = n;
    for (size_t i = 0; i < n; i++)
        if (parse_attacker(top, scni_seq_item(top->d, seq, i), i,
                           &s->attackers[i]))
            return -1;
    return 0;
}

/* ---- moves -------------------------------------------------------------- */

static const char *const move_keys[] = {"node", "at", "to", NULL};

void scni_mark_of(const ydoc *d, const yaml_node_t *n, scn_mark *m)
{
    m->line = (unsigned)n->start_mark.line + 1;
    m->col = (unsigned)n->start_mark.column + 1;
    m->ovr = scni_origin_of(d, n);
}

/* moves[i]: {node: <source id>, at: <time>, to: <SO id>}.  Roles and
 * reachability need the built topology: the world checks them. */
static int parse_move(scn_map *top, yaml_node_t *item, size_t i, scn_move *mv)
{
    ldr *L = top->L;
    char section[SECTION_LEN];
    yaml_node_t *nn, *an, *tn;
    uint32_t id;
    scn_map c;
    int rc = -1;

    snprintf(section, sizeof section, "moves[%zu]", i);
    if (item->type != YAML_MAPPING_NODE)
        return scni_type_err(top, item, "a mapping", section);
    if (scni_sub_open(&c, top, item, section) ||
        scni_map_check_keys(&c, move_keys, NULL, NULL) ||
        scni_get_u32(&c, "node", 1, 0, 0, UINT32_MAX, &id, &nn) ||
        node_index(L, c.d, nn, id, &mv->node) ||
        scni_get_time(&c, "at", 1, 0, 0, 0, SCN_MAX_DURATION, &mv->at, &an))
        goto out;
    if (mv->at >= L->s->duration) {
        char at[64], du[64];
        sim_units_format((double)mv->at / 1e9, SIM_DIM_TIME, at, sizeof at);
        sim_units_format((double)L->s->duration / 1e9, SIM_DIM_TIME, du,
                         sizeof du);
        scni_nerr(L, c.d, an, "'at' (%s) must be less than 'duration' (%s)",
                  at, du);
        goto out;
    }
    if (scni_get_u32(&c, "to", 1, 0, 0, UINT32_MAX, &id, &tn) ||
        node_index(L, c.d, tn, id, &mv->to))
        goto out;
    mv->ord = (uint32_t)i;
    scni_mark_of(c.d, item, &mv->entry);
    scni_mark_of(c.d, nn, &mv->node_mark);
    scni_mark_of(c.d, tn, &mv->to_mark);
    rc = 0;
out:
    scni_map_close(&c);
    return rc;
}

static int move_cmp(const void *a, const void *b)
{
    const scn_move *x = a, *y = b;

    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

int scni_parse_moves(scn_map *top)
{
    scenario *s = top->L->s;
    yaml_node_t *seq;
    size_t n;

    if (scni_get_seq(top, "moves", 0, &seq))
        return -1;
    if (!seq)
        return 0;
    n = scni_seq_len(seq);
    if (n > SCN_MAX_MOVES)
        return scni_nerr(top->L, top->d, seq, "'moves' must have at most %u "
                         "entries", SCN_MAX_MOVES);
    s->moves = xcalloc(n ? n : 1, sizeof *s->moves);
    s->n_moves = n;
    for (size_t i = 0; i < n; i++)
        if (parse_move(top, scni_seq_item(top->d, seq, i), i, &s->moves[i]))
            return -1;
    /* The order they run in: by time, ties in file order (ord makes the
     * key unique, so qsort's instability cannot show). */
    qsort(s->moves, n, sizeof *s->moves, move_cmp);
    return 0;
}

/* ---- protocol ----------------------------------------------------------- */

/* Parses the options of `ops` on the open cursor pm (which must be
 * closed by the caller), through the loader's registry.  Returns 0 with
 * *opts (the caller's, free with L->reg->free_opts), or -1 with the error
 * recorded and *opts NULL. */
static int proto_opts(scn_map *pm, const scn_proto_ops *ops, void **opts)
{
    const scn_registry *r = pm->L->reg;
    int rc = r->parse_opts(ops, pm, opts);

    if (rc == 0)
        rc = scn_map_done(pm);
    if (rc == 0)
        return 0;
    if (!pm->L->failed)
        scni_nerr(pm->L, pm->d, pm->at, "invalid options for protocol '%s'",
                  r->name(ops));
    r->free_opts(ops, *opts);
    *opts = NULL;
    return -1;
}

/* `protocols:`: validates every block (the options of one protocol other
 * than protocol.name) and appends its protocol to s->protos.  When L->as
 * has a block, *as_found is 1 and its options go to *as_opts (the
 * caller's; NULL for a protocol without options); all others are freed.
 * Returns 0 or -1 (recorded). */
static int parse_protocol_blocks(scn_map *top, void **as_opts, int *as_found)
{
    ldr *L = top->L;
    scenario *s = L->s;
    yaml_node_t *bn;
    yaml_node_pair_t *pairs;
    scn_map c;
    char q[128];
    int rc = -1;

    *as_opts = NULL;
    *as_found = 0;
    if (scni_get_map(top, "protocols", 0, &bn))
        return -1;
    if (scni_sub_open(&c, top, bn, "protocols"))  /* string keys, no repeats */
        goto out;
    pairs = bn ? bn->data.mapping.pairs.start : NULL;
    s->protos = xreallocarray(s->protos, 1 + c.n, sizeof *s->protos);
    for (size_t i = 0; i < c.n; i++) {
        yaml_node_t *k = scni_node_at(c.d, pairs[i].key);
        yaml_node_t *v = scni_node_at(c.d, pairs[i].value);
        const scn_proto_ops *ops = L->reg->find(scni_stext(k));
        char section[SECTION_LEN];
        void *opts = NULL;
        scn_map pm;
        int bad;

        sim_units_quote(q, sizeof q, scni_stext(k));
        if (!ops) {
            scni_nerr(L, c.d, k,
                      "unknown protocol '%s' in protocols (known: %s)", q,
                      L->reg->names());
            goto out;
        }
        if (ops == s->protos[0]) {
            scni_nerr(L, c.d, k, "options for '%s' are given under protocol:",
                      q);
            goto out;
        }
        if (scni_is_null(v)) {
            v = NULL;          /* "eg:" alone: every option its default */
        } else if (v->type != YAML_MAPPING_NODE) {
            scni_type_err(&c, v, "a mapping of protocol options",
                          scni_stext(k));
            goto out;
        }
        snprintf(section, sizeof section, "protocols.%s",
                 L->reg->name(ops));
        bad = scni_map_open(&pm, L, c.d, v, v ? v : k, section, NULL) ||
              proto_opts(&pm, ops, &opts);
        scni_map_close(&pm);
        if (bad)
            goto out;
        if (ops == L->as) {
            *as_opts = opts;
            *as_found = 1;
        } else {
            L->reg->free_opts(ops, opts);
        }
        s->protos[s->n_protos++] = ops;
    }
    rc = 0;
out:
    scni_map_close(&c);
    return rc;
}

/* `protocol:` (a name, or a mapping of `name` and options) and
 * `protocols:`; then the protocol to run (L->as) takes the place of
 * protocol.name when it is another one. */
int scni_parse_protocol(scn_map *top)
{
    ldr *L = top->L;
    scenario *s = L->s;
    yaml_node_t *v, *namen = NULL, *mapn = NULL, *bn;
    const char *name = "none";
    void *opts = NULL;
    scn_map pm;
    char q[128];
    int rc = -1, found;

    if (scni_lookup(top, "protocol", 0, &v) < 0)
        return -1;
    if (v && v->type == YAML_SCALAR_NODE) {
        name = scni_stext(v);
        namen = v;
    } else if (v && v->type == YAML_MAPPING_NODE) {
        mapn = v;
    } else if (v) {
        return scni_type_err(top, v, "a mapping or a protocol name",
                             "protocol");
    }
    if (scni_map_open(&pm, L, top->d, mapn, v ? v : top->at, "protocol",
                      "name"))
        goto out;
    if (mapn && scni_get_string(&pm, "name", 1, &name, &namen))
        goto out;
    s->proto = L->reg->find(name);
    if (!s->proto) {
        sim_units_quote(q, sizeof q, name);
        scni_nerr(L, top->d, namen ? namen : pm.at,
                  "unknown protocol '%s' (known: %s)", q, L->reg->names());
        goto out;
    }
    if (proto_opts(&pm, s->proto, &s->proto_opts))
        goto out;
    s->protos = xmalloc(sizeof *s->protos);
    s->protos[0] = s->proto;
    s->n_protos = 1;
    if (parse_protocol_blocks(top, &opts, &found))
        goto out;
    if (L->as && L->as != s->proto) {
        if (!found) {
            /* no block: the defaults, as from an empty one; a missing
             * required option points at protocols: (or protocol:) */
            scn_map dm;
            char section[SECTION_LEN];
            int bad;

            bn = scni_map_find(top, "protocols", NULL);
            snprintf(section, sizeof section, "protocols.%s",
                     L->reg->name(L->as));
            bad = scni_map_open(&dm, L, top->d, NULL,
                                bn ? bn : v ? v : top->at, section, NULL) ||
                  proto_opts(&dm, L->as, &opts);
            scni_map_close(&dm);
            if (bad)
                goto out;
        }
        L->reg->free_opts(s->proto, s->proto_opts);
        s->proto = L->as;
        s->proto_opts = opts;
        opts = NULL;
    }
    rc = 0;
out:
    L->reg->free_opts(L->as, opts);
    scni_map_close(&pm);
    return rc;
}
