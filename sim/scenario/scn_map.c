/* scn_map.c — mapping cursors (scn_map) and the typed getters on them:
 * integers, quantities, times, distributions, enums, strings, the public
 * scn_map_* API that protocol options are read with (proto.c).  The seam
 * between the YAML reader (scn_yaml.c) and the schema (scenario.c,
 * scn_topo.c, scn_sections.c, scn_sweep.c). */
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

/* ======================================================================
 * Mapping cursors (scn_map) and typed getters
 * ====================================================================== */

typedef struct key_pos {
    const char *key;
    size_t pos;
} key_pos;

static int key_pos_cmp(const void *a, const void *b)
{
    const key_pos *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Opens a cursor on `map` (a mapping node or NULL).  Reports non-string
 * keys and duplicate keys (at the second occurrence), whichever comes
 * first in the file.  Returns 0 or -1; the cursor must be closed either
 * way. */
int scni_map_open(scn_map *m, ldr *L, ydoc *d, yaml_node_t *map,
                  yaml_node_t *at, const char *section, const char *skip)
{
    yaml_node_pair_t *pairs;
    key_pos *order;
    size_t bad = SIZE_MAX;

    memset(m, 0, sizeof *m);
    m->L = L;
    m->d = d;
    m->map = map;
    m->at = at;
    m->skip = skip;
    snprintf(m->section, sizeof m->section, "%s", section);
    if (!map)
        return 0;
    /* A mapping used through an alias: until scni_map_close, errors about it
     * and its contents point at the alias (its shallow copy's children
     * are the anchor's nodes, whose positions are the anchor's). */
    m->alias_prev = L->alias_doc;
    m->alias_prev_mark = L->alias_mark;
    m->alias_set = 1;
    if (!L->alias_doc &&
        scni_is_alias_clone(d, (int)(map - d->doc.nodes.start) + 1)) {
        L->alias_doc = d;
        L->alias_mark = map->start_mark;
    }
    pairs = map->data.mapping.pairs.start;
    m->n = (size_t)(map->data.mapping.pairs.top - pairs);
    m->used = xcalloc(m->n ? m->n : 1, 1);
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = scni_node_at(d, pairs[i].key);
        if (k->type != YAML_SCALAR_NODE) {
            char b[160];
            return scni_nerr(L, d, k, "expected a string key in %s, got %s",
                             m->section, scni_describe(k, b, sizeof b));
        }
    }
    if (m->n < 2)
        return 0;
    if (m->n <= 16) {
        /* small (the usual case): pairwise, no allocation */
        for (size_t j = 1; j < m->n && bad == SIZE_MAX; j++)
            for (size_t i = 0; i < j; i++)
                if (strcmp(scni_stext(scni_node_at(d, pairs[i].key)),
                           scni_stext(scni_node_at(d, pairs[j].key))) == 0) {
                    bad = j;
                    break;
                }
        goto report_dup;
    }
    /* Sort by (key, position): equal keys become neighbours, and the first
     * repeated pair in document order is the one to report.  O(n log n),
     * so a hostile mapping with 10^6 keys is no worry. */
    order = xmalloc(m->n * sizeof *order);
    for (size_t i = 0; i < m->n; i++) {
        order[i].key = scni_stext(scni_node_at(d, pairs[i].key));
        order[i].pos = i;
    }
    qsort(order, m->n, sizeof *order, key_pos_cmp);
    for (size_t i = 1; i < m->n; i++)
        if (strcmp(order[i - 1].key, order[i].key) == 0 && order[i].pos < bad)
            bad = order[i].pos;
    free(order);
report_dup:
    if (bad != SIZE_MAX) {
        char q[128];
        yaml_node_t *k = scni_node_at(d, pairs[bad].key);
        sim_units_quote(q, sizeof q, scni_stext(k));
        return scni_nerr(L, d, k, "duplicate key '%s'", q);
    }
    return 0;
}

void scni_map_close(scn_map *m)
{
    if (m->alias_set) {
        m->L->alias_doc = m->alias_prev;
        m->L->alias_mark = m->alias_prev_mark;
        m->alias_set = 0;
    }
    free(m->used);
    m->used = NULL;
}

/* A key like "60s)" is the tail of "uniform(0s, 60s)" written unquoted
 * inside a flow mapping, where YAML splits it at the comma: say so. */
static const char *flow_hint(const char *key)
{
    size_t n = strlen(key);
    if (n > 0 && (key[n - 1] == ')' || key[n - 1] == '}'))
        return " (inside {...} or [...], quote values that contain commas "
               "or braces, e.g. 'uniform(1s, 2s)')";
    return "";
}

/* " (did you mean 'x'?)" for the closest of `cand` to `key`
 * (sim_util_closest), "" when none is close; in buf (kmsim extension). */
static const char *suggest(char *buf, size_t len, const char *key,
                           const char *const *cand)
{
    const char *c = sim_util_closest(key, cand);

    buf[0] = '\0';
    if (c)
        snprintf(buf, len, " (did you mean '%s'?)", c);
    return buf;
}

static int in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Every key must be in `known`; with `applicable` non-NULL, a known key
 * outside it "does not apply to generator 'gen'". */
int scni_map_check_keys(scn_map *m, const char *const *known,
                        const char *const *applicable, const char *gen)
{
    yaml_node_pair_t *pairs;
    char q[128];

    if (m->L->failed)
        return -1;
    if (!m->map)
        return 0;
    pairs = m->map->data.mapping.pairs.start;
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = scni_node_at(m->d, pairs[i].key);
        const char *key = scni_stext(k);
        sim_units_quote(q, sizeof q, key);
        if (!in_list(key, known)) {
            char dym[96];
            return scni_nerr(m->L, m->d, k, "unknown key '%s' in %s%s%s", q,
                             m->section, flow_hint(key),
                             suggest(dym, sizeof dym, key, known));
        }
        if (applicable && !in_list(key, applicable))
            return scni_nerr(m->L, m->d, k,
                             "key '%s' does not apply to generator '%s'", q,
                             gen);
    }
    return 0;
}

/* The value of `key`, marking it read; NULL when absent.  *keynode gets
 * the key's node when non-NULL. */
yaml_node_t *scni_map_find(scn_map *m, const char *key,
                           yaml_node_t **keynode)
{
    yaml_node_pair_t *pairs;

    if (!m->map)
        return NULL;
    if (m->n_asked < ARRAY_LEN(m->asked) && strlen(key) < sizeof m->asked[0])
        snprintf(m->asked[m->n_asked++], sizeof m->asked[0], "%s", key);
    pairs = m->map->data.mapping.pairs.start;
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = scni_node_at(m->d, pairs[i].key);
        if (strcmp(scni_stext(k), key) == 0) {
            m->used[i] = 1;
            if (keynode)
                *keynode = k;
            return scni_node_at(m->d, pairs[i].value);
        }
    }
    return NULL;
}

static int missing(scn_map *m, const char *key)
{
    if (m->at)
        return scni_nerr(m->L, m->d, m->at, "missing required key '%s' in %s",
                         key, m->section);
    scni_report(m->L, m->d->file, -1, NULL, "missing required key '%s' in %s",
                key, m->section);
    return -1;
}

/* Looks `key` up: 1 with *v set, 0 absent (take the default), -1 error
 * (absent but required).  A null value counts as absent unless required,
 * in which case the caller's type check reports "got null". */
int scni_lookup(scn_map *m, const char *key, int required, yaml_node_t **v)
{
    if (m->L->failed)
        return -1;
    *v = scni_map_find(m, key, NULL);
    if (*v && scni_is_null(*v) && !required)
        *v = NULL;
    if (*v)
        return 1;
    if (required)
        return missing(m, key);
    return 0;
}

int scni_type_err(scn_map *m, yaml_node_t *v, const char *what,
                  const char *key)
{
    char b[160];
    return scni_nerr(m->L, m->d, v, "expected %s for '%s', got %s", what, key,
                     scni_describe(v, b, sizeof b));
}

/* ---- integers ----------------------------------------------------------- */

/* Decimal or 0x hex with an optional sign, nothing else.  0 ok, -1 not an
 * integer, -2 magnitude above UINT64_MAX. */
int scni_parse_integer(const char *t, int *neg, uint64_t *mag)
{
    size_t i = 0;
    unsigned base = 10;
    uint64_t v = 0;
    int big = 0;

    *neg = 0;
    if (t[i] == '+' || t[i] == '-')
        *neg = t[i++] == '-';
    if (t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    if (!t[i])
        return -1;
    for (; t[i]; i++) {
        unsigned dg;
        char c = t[i];
        if (c >= '0' && c <= '9')
            dg = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            dg = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            dg = (unsigned)(c - 'A' + 10);
        else
            return -1;
        if (v > (UINT64_MAX - dg) / base)
            big = 1;
        else
            v = v * base + dg;
    }
    *mag = v;
    return big ? -2 : 0;
}

static int int_range_err(scn_map *m, yaml_node_t *v, const char *key,
                         int64_t lo, int64_t hi)
{
    char q[128];
    sim_units_quote(q, sizeof q, scni_stext(v));
    if (hi == INT64_MAX)
        return scni_nerr(m->L, m->d, v, "'%s' must be >= %lld, got '%s'", key,
                         (long long)lo, q);
    if (lo == INT64_MIN)
        return scni_nerr(m->L, m->d, v, "'%s' must be <= %lld, got '%s'", key,
                         (long long)hi, q);
    return scni_nerr(m->L, m->d, v,
                     "'%s' must be between %lld and %lld, got '%s'", key,
                     (long long)lo, (long long)hi, q);
}

static int int_of(scn_map *m, yaml_node_t *v, const char *key, int64_t lo,
                  int64_t hi, int64_t *out);

/* scn_map_int with the value node returned (NULL when defaulted). */
int scni_get_int(scn_map *m, const char *key, int required, int64_t def,
                 int64_t lo, int64_t hi, int64_t *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = scni_lookup(m, key, required, &v);

    if (vn)
        *vn = NULL;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        *out = def;
        return 0;
    }
    if (int_of(m, v, key, lo, hi, out))
        return -1;
    if (vn)
        *vn = v;
    return 0;
}

/* The integer of scalar v within [lo, hi]; 0, or -1 (error recorded). */
static int int_of(scn_map *m, yaml_node_t *v, const char *key, int64_t lo,
                  int64_t hi, int64_t *out)
{
    uint64_t mag;
    int neg, rc;
    int64_t x;

    if (v->type != YAML_SCALAR_NODE || scni_is_null(v))
        return scni_type_err(m, v, "an integer", key);
    rc = scni_parse_integer(scni_stext(v), &neg, &mag);
    if (rc == -1)
        return scni_type_err(m, v, "an integer", key);
    if (rc == -2 || (neg && mag > (uint64_t)INT64_MAX + 1) ||
        (!neg && mag > (uint64_t)INT64_MAX))
        return int_range_err(m, v, key, lo, hi);
    x = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
            : (int64_t)mag;
    if (x < lo || x > hi)
        return int_range_err(m, v, key, lo, hi);
    *out = x;
    return 0;
}

int scni_get_u64(scn_map *m, const char *key, uint64_t def, uint64_t *out)
{
    yaml_node_t *v;
    uint64_t mag;
    int neg, rc = scni_lookup(m, key, 0, &v);
    char q[128];

    if (rc < 0)
        return -1;
    if (rc == 0) {
        *out = def;
        return 0;
    }
    if (v->type != YAML_SCALAR_NODE)
        return scni_type_err(m, v, "an integer", key);
    rc = scni_parse_integer(scni_stext(v), &neg, &mag);
    if (rc == -1)
        return scni_type_err(m, v, "an integer", key);
    if (rc == -2 || (neg && mag != 0)) {
        sim_units_quote(q, sizeof q, scni_stext(v));
        return scni_nerr(m->L, m->d, v,
                         "'%s' must be between 0 and %llu, got '%s'", key,
                         (unsigned long long)UINT64_MAX, q);
    }
    *out = mag;
    return 0;
}

int scni_get_u32(scn_map *m, const char *key, int required, uint32_t def,
                 uint32_t lo, uint32_t hi, uint32_t *out, yaml_node_t **vn)
{
    int64_t x;
    if (scni_get_int(m, key, required, def, lo, hi, &x, vn))
        return -1;
    *out = (uint32_t)x;
    return 0;
}

/* ---- quantities --------------------------------------------------------- */

static int in_bounds(double x, const bounds *b)
{
    if (b->lo_open ? !(x > b->lo) : !(x >= b->lo))
        return 0;
    if (b->hi_open ? !(x < b->hi) : !(x <= b->hi))
        return 0;
    return 1;
}

/* "> 0s", ">= 0 and < 1", "between 1B and 64KiB" */
static void bounds_text(const bounds *b, sim_dim dim, char *buf, size_t len)
{
    char lo[64], hi[64];

    sim_units_format(b->lo, dim, lo, sizeof lo);
    sim_units_format(b->hi, dim, hi, sizeof hi);
    if (isinf(b->hi))
        snprintf(buf, len, "%s %s", b->lo_open ? ">" : ">=", lo);
    else if (isinf(b->lo))
        snprintf(buf, len, "%s %s", b->hi_open ? "<" : "<=", hi);
    else
        snprintf(buf, len, "%s %s and %s %s", b->lo_open ? ">" : ">=", lo,
                 b->hi_open ? "<" : "<=", hi);
}

static const char *dim_what(sim_dim dim)
{
    switch (dim) {
    case SIM_DIM_NONE: return "a number";
    case SIM_DIM_TIME: return "a time";
    case SIM_DIM_SIZE: return "a size";
    case SIM_DIM_RATE: return "a rate";
    case SIM_DIM_LENGTH: return "a length";
    case SIM_DIM_FREQ: return "a frequency";
    }
    return "a value";
}

/* Parses scalar v as a quantity and checks its bounds. */
static int qty_of(scn_map *m, yaml_node_t *v, const char *key, sim_dim dim,
                  const bounds *b, double *out)
{
    char why[256], q[128], range[160];
    double x;

    if (v->type != YAML_SCALAR_NODE || scni_is_null(v))
        return scni_type_err(m, v, dim_what(dim), key);
    if (sim_units_parse(scni_stext(v), dim, &x, why, sizeof why, NULL))
        return scni_nerr(m->L, m->d, v, "invalid '%s': %s", key, why);
    if (b && !in_bounds(x, b)) {
        sim_units_quote(q, sizeof q, scni_stext(v));
        bounds_text(b, dim, range, sizeof range);
        return scni_nerr(m->L, m->d, v, "'%s' must be %s, got '%s'", key,
                         range, q);
    }
    *out = x;
    return 0;
}

/* scni_lookup() that also reports the value node through vn (NULL when
 * absent): -1 error, 0 absent (the caller takes its default), 1 found. */
static int lookup_vn(scn_map *m, const char *key, int required,
                     yaml_node_t **v, yaml_node_t **vn)
{
    int rc = scni_lookup(m, key, required, v);
    if (vn)
        *vn = rc > 0 ? *v : NULL;
    return rc;
}

int scni_get_qty(scn_map *m, const char *key, sim_dim dim, int required,
                 double def, const bounds *b, double *out,
                 yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = lookup_vn(m, key, required, &v, vn);

    if (rc <= 0) {
        if (rc == 0)
            *out = def;
        return rc;
    }
    return qty_of(m, v, key, dim, b, out);
}

/* Seconds -> ns, rounded to the nearest; -1 if out of int64 range. */
static int to_ns(double sec, sim_time *out)
{
    double ns = sec * 1e9;
    if (!(fabs(ns) < 9.2e18))
        return -1;
    *out = (sim_time)llround(ns);
    return 0;
}

/* Time in ns within [lo, hi] (open ends by flag), checked after rounding
 * so "0.1ns" is not a positive duration. */
int scni_get_time(scn_map *m, const char *key, int required, sim_time def,
                  sim_time lo, int lo_open, sim_time hi,
                  sim_time *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = lookup_vn(m, key, required, &v, vn);

    if (rc <= 0) {
        if (rc == 0)
            *out = def;
        return rc;
    }
    return scni_time_of(m, v, key, lo, lo_open, hi, out);
}

/* The time in node v (the value of `key`) within [lo, hi]. */
int scni_time_of(scn_map *m, yaml_node_t *v, const char *key, sim_time lo,
                 int lo_open, sim_time hi, sim_time *out)
{
    double sec;
    sim_time t;
    bounds b = {(double)lo / 1e9, (double)hi / 1e9, lo_open, 0};

    if (qty_of(m, v, key, SIM_DIM_TIME, NULL, &sec))
        return -1;
    /* Issue 20 (kmsim extension): '-0s' and a positive time that rounds
     * to 0 ns are not 0 (for a period, 0 means "off"): refused. */
    if (sec == 0 && signbit(sec)) {
        char q[128];
        sim_units_quote(q, sizeof q, scni_stext(v));
        return scni_nerr(m->L, m->d, v,
                         "'%s' is a negative zero ('%s'): write "
                         "0s, or a positive time", key, q);
    }
    if (sec > 0 && !to_ns(sec, &t) && t == 0) {
        char q[128];
        sim_units_quote(q, sizeof q, scni_stext(v));
        return scni_nerr(m->L, m->d, v,
                         "'%s' ('%s') rounds to 0ns (the clock's "
                         "resolution): write 0s, or at least 1ns", key, q);
    }
    if (to_ns(sec, &t) || (lo_open ? t <= lo : t < lo) || t > hi) {
        char q[128], range[160];
        sim_units_quote(q, sizeof q, scni_stext(v));
        bounds_text(&b, SIM_DIM_TIME, range, sizeof range);
        return scni_nerr(m->L, m->d, v, "'%s' must be %s, got '%s'", key,
                         range, q);
    }
    *out = t;
    return 0;
}

/* Issue 20: a time at or after the scenario's 'duration' can never take
 * effect (kmsim extension: refused, not silently dropped).  --until may
 * shorten a run further; times between --until and 'duration' are fine. */
int scni_before_duration(scn_map *m, yaml_node_t *v, const char *key,
                         sim_time t)
{
    char at[64], du[64];

    /* Options parsed on their own (scn_opts_parse_buffer) have no
     * scenario, hence no duration to check against. */
    if (!m->L->s || m->L->s->duration == 0 || t < m->L->s->duration)
        return 0;
    sim_units_format((double)t / 1e9, SIM_DIM_TIME, at, sizeof at);
    sim_units_format((double)m->L->s->duration / 1e9, SIM_DIM_TIME, du,
                     sizeof du);
    if (v)
        return scni_nerr(m->L, m->d, v,
                         "'%s' (%s) must be less than 'duration' "
                         "(%s)", key, at, du);
    return scn_map_error(m, key, "'%s' (%s) must be less than 'duration' "
                         "(%s)", key, at, du);
}

/* The smallest draw of a time distribution, in ns after rounding. */
sim_time scni_dist_min_ns(const sim_dist *d)
{
    double ns = sim_dist_min(d) * 1e9;

    if (!(ns < (double)(SIM_TIME_MAX / 4)))
        return SIM_TIME_MAX / 4;
    return (sim_time)llround(ns);
}

int scni_get_dist(scn_map *m, const char *key, sim_dim dim, int required,
                  const char *def, sim_dist *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    char why[256];
    int rc = scni_lookup(m, key, required, &v);

    if (vn)
        *vn = NULL;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        rc = sim_dist_parse(out, def, dim, NULL, 0, NULL);
        assert(rc == 0);  /* defaults are ours, not user input */
        return rc;
    }
    if (vn)
        *vn = v;
    if (v->type != YAML_SCALAR_NODE || scni_is_null(v)) {
        char what[64];
        snprintf(what, sizeof what, "a %s distribution", sim_dim_name(dim));
        return scni_type_err(m, v, what, key);
    }
    if (sim_dist_parse(out, scni_stext(v), dim, why, sizeof why, NULL))
        return scni_nerr(m->L, m->d, v, "invalid '%s': %s", key, why);
    /* Issue 20: a time distribution whose mean (or, with no finite mean,
     * whose smallest draw) lies beyond the longest time kmsim runs is a
     * typo, not a scenario: refused, as a time option past the limit. */
    if (dim == SIM_DIM_TIME) {
        double mean = sim_dist_mean(out), lim = SCN_MAX_DURATION / 1e9;
        double at = isfinite(mean) ? mean : sim_dist_min(out);
        if (!(at <= lim)) {
            char q[128], l[64];
            sim_units_quote(q, sizeof q, scni_stext(v));
            sim_units_format(lim, SIM_DIM_TIME, l, sizeof l);
            return scni_nerr(m->L, m->d, v,
                             "'%s' ('%s') has a %s beyond %s, the "
                             "longest time kmsim simulates", key, q,
                             isfinite(mean) ? "mean" : "smallest draw", l);
        }
    }
    return 0;
}

static void names_list(const char *const *names, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
                              names[i]);
}

int scni_get_enum(scn_map *m, const char *key, const char *const *names,
                  int required, int def, int *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    char list[512], q[128];
    int rc = lookup_vn(m, key, required, &v, vn);

    if (rc <= 0) {
        if (rc == 0)
            *out = def;
        return rc;
    }
    names_list(names, list, sizeof list);
    if (v->type != YAML_SCALAR_NODE || scni_is_null(v)) {
        char what[600];
        snprintf(what, sizeof what, "one of %s", list);
        return scni_type_err(m, v, what, key);
    }
    for (int i = 0; names[i]; i++)
        if (strcmp(scni_stext(v), names[i]) == 0) {
            *out = i;
            return 0;
        }
    sim_units_quote(q, sizeof q, scni_stext(v));
    return scni_nerr(m->L, m->d, v, "invalid value '%s' for '%s' (use %s)", q,
                     key, list);
}

static int ci_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

int scni_get_bool(scn_map *m, const char *key, int required, int def,
                  int *out)
{
    yaml_node_t *v;
    int rc = scni_lookup(m, key, required, &v);

    if (rc < 0)
        return -1;
    /* Issue 20: a boolean given as null ('per_hop_mac: ~') is an error,
     * not the default (lookup reads a null value as absent). */
    if (rc == 0 && (v = scni_map_find(m, key, NULL)) != NULL)
        return scni_type_err(m, v, "a boolean (true or false)", key);
    if (rc == 0) {
        *out = def;
        return 0;
    }
    if (v->type == YAML_SCALAR_NODE) {
        const char *t = scni_stext(v);
        if (ci_eq(t, "true") || ci_eq(t, "yes")) {
            *out = 1;
            return 0;
        }
        if (ci_eq(t, "false") || ci_eq(t, "no")) {
            *out = 0;
            return 0;
        }
    }
    return scni_type_err(m, v, "a boolean (true or false)", key);
}

int scni_get_string(scn_map *m, const char *key, int required,
                    const char **out, yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = scni_lookup(m, key, required, &v);

    *out = NULL;
    if (vn)
        *vn = NULL;
    if (rc <= 0)
        return rc;
    if (vn)
        *vn = v;
    if (v->type != YAML_SCALAR_NODE || scni_is_null(v))
        return scni_type_err(m, v, "a string", key);
    *out = scni_stext(v);
    return 0;
}

/* A value of YAML node type `type` ("a mapping", "a list"): 0 with *out
 * (NULL when absent), or -1. */
static int get_typed(scn_map *m, const char *key, int required,
                     yaml_node_type_t type, const char *what,
                     yaml_node_t **out)
{
    yaml_node_t *v;
    int rc = scni_lookup(m, key, required, &v);

    *out = NULL;
    if (rc <= 0)
        return rc;
    if (v->type != type)
        return scni_type_err(m, v, what, key);
    *out = v;
    return 0;
}

int scni_get_map(scn_map *m, const char *key, int required,
                 yaml_node_t **out)
{
    return get_typed(m, key, required, YAML_MAPPING_NODE, "a mapping", out);
}

int scni_get_seq(scn_map *m, const char *key, int required,
                 yaml_node_t **out)
{
    return get_typed(m, key, required, YAML_SEQUENCE_NODE, "a list", out);
}

/* A list of exactly `count` quantities, e.g. area: [1km, 500m]. */
int scni_get_qty_list(scn_map *m, const char *key, sim_dim dim, size_t count,
                      int required, const bounds *b, double *out,
                      yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = scni_lookup(m, key, required, &v);
    char what[64];

    if (vn)
        *vn = NULL;
    if (rc <= 0)
        return rc;
    if (vn)
        *vn = v;
    snprintf(what, sizeof what, "a list of %zu %ss", count,
             sim_dim_name(dim));
    if (v->type == YAML_SEQUENCE_NODE && scni_seq_len(v) != count)
        return scni_nerr(m->L, m->d, v,
                         "expected %s for '%s', got a list of %zu", what, key,
                         scni_seq_len(v));
    if (v->type != YAML_SEQUENCE_NODE)
        return scni_type_err(m, v, what, key);
    for (size_t i = 0; i < count; i++)
        if (qty_of(m, scni_seq_item(m->d, v, i), key, dim, b, &out[i]))
            return -1;
    return 1;
}

/* ---- the public reader API (protocol options) --------------------------- */

int scn_map_int(scn_map *m, const char *key, int required, int64_t def,
                int64_t min, int64_t max, int64_t *out)
{
    return scni_get_int(m, key, required, def, min, max, out, NULL);
}

int scn_map_double(scn_map *m, const char *key, int required, double def,
                   double min, double max, double *out)
{
    bounds b = {min, max, 0, 0};
    return scni_get_qty(m, key, SIM_DIM_NONE, required, def, &b, out, NULL);
}

int scn_map_quantity(scn_map *m, const char *key, sim_dim dim, int required,
                     double def, double min, double max, double *out)
{
    bounds b = {min, max, 0, 0};
    return scni_get_qty(m, key, dim, required, def, &b, out, NULL);
}

int scn_map_time(scn_map *m, const char *key, int required, sim_time def,
                 sim_time min, sim_time max, sim_time *out)
{
    return scni_get_time(m, key, required, def, min, 0, max, out, NULL);
}

int scn_map_times(scn_map *m, const char *key, size_t max_n, sim_time min,
                  sim_time max, sim_time **out, size_t *n)
{
    yaml_node_t *v;
    int rc = scni_lookup(m, key, 0, &v);
    size_t k;

    *out = NULL;
    *n = 0;
    if (rc <= 0)
        return rc;
    if (v->type == YAML_SCALAR_NODE) {
        *out = xmalloc(sizeof **out);
        if (scni_time_of(m, v, key, min, 0, max, *out) ||
            scni_before_duration(m, v, key, **out)) {
            free(*out);
            *out = NULL;
            return -1;
        }
        *n = 1;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return scni_type_err(m, v, "a time or a list of times", key);
    k = scni_seq_len(v);
    if (k > max_n)
        return scni_nerr(m->L, m->d, v,
                         "'%s' must have at most %zu times, got "
                         "%zu", key, max_n, k);
    *out = xmalloc(sizeof **out * (k ? k : 1));
    for (size_t i = 0; i < k; i++) {
        yaml_node_t *it = scni_seq_item(m->d, v, i);
        int bad = scni_time_of(m, it, key, min, 0, max, &(*out)[i]) ||
                  scni_before_duration(m, it, key, (*out)[i]);

        /* Issue 20 (kmsim extension): strictly increasing after rounding
         * to ns; an unsorted list or a repeated instant is a mistake. */
        if (!bad && i > 0 && (*out)[i] <= (*out)[i - 1]) {
            char a[64], b[64];
            sim_units_format((double)(*out)[i] / 1e9, SIM_DIM_TIME, a,
                             sizeof a);
            sim_units_format((double)(*out)[i - 1] / 1e9, SIM_DIM_TIME, b,
                             sizeof b);
            bad = scni_nerr(m->L, m->d, it,
                            "'%s' must be in increasing order: "
                            "entry %zu (%s) is not after entry %zu (%s)", key,
                            i, a, i - 1, b) != 0;
        }
        if (bad) {
            free(*out);
            *out = NULL;
            return -1;
        }
    }
    *n = k;
    return 0;
}

int scn_map_ints(scn_map *m, const char *key, size_t max_n, int64_t min,
                 int64_t max, int64_t **out, size_t *n)
{
    yaml_node_t *v;
    int rc = scni_lookup(m, key, 0, &v);
    size_t k;

    *out = NULL;
    *n = 0;
    if (rc <= 0)
        return rc;
    if (v->type == YAML_SCALAR_NODE) {
        *out = xmalloc(sizeof **out);
        if (int_of(m, v, key, min, max, *out)) {
            free(*out);
            *out = NULL;
            return -1;
        }
        *n = 1;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return scni_type_err(m, v, "an integer or a list of integers", key);
    k = scni_seq_len(v);
    if (k > max_n)
        return scni_nerr(m->L, m->d, v, "'%s' must have at most %zu integers, "
                         "got %zu", key, max_n, k);
    *out = xmalloc(sizeof **out * (k ? k : 1));
    for (size_t i = 0; i < k; i++)
        if (int_of(m, scni_seq_item(m->d, v, i), key, min, max, &(*out)[i])) {
            free(*out);
            *out = NULL;
            return -1;
        }
    *n = k;
    return 0;
}

int scn_map_before_duration(scn_map *m, const char *key, sim_time t)
{
    return scni_before_duration(m, NULL, key, t);
}

/* ---- Re-key round stagger (smart_object.rekey_spread) ------------------- */

sim_time scn_rekey_offset(sim_time spread, uint32_t so_ord, uint32_t n_so)
{
    /* floor(k * spread / n) without overflow: spread = q n + r, r < n */
    uint64_t q, r;

    if (spread <= 0 || n_so == 0)
        return 0;
    q = (uint64_t)spread / n_so;
    r = (uint64_t)spread % n_so;
    return (sim_time)(q * so_ord + r * so_ord / n_so);
}

static int time_cmp(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;
    return (x > y) - (x < y);
}

sim_time scn_rekey_min_gap(sim_time every, const sim_time *at, size_t n_at)
{
    sim_time gap = SIM_TIME_MAX, *t = NULL;
    size_t distinct = 0;

    if (n_at) {
        t = xmalloc(n_at * sizeof *t);
        memcpy(t, at, n_at * sizeof *t);
        qsort(t, n_at, sizeof *t, time_cmp);
        for (size_t i = 0; i < n_at; i++) {
            if (i && t[i] == t[i - 1])
                continue;
            distinct++;
            if (i && t[i] - t[i - 1] < gap)
                gap = t[i] - t[i - 1];
        }
    }
    if (every > 0) {
        /* The periodic rounds are every apart; a round of `at` lies
         * between two of them (or before the first, at `every`). */
        if (every < gap)
            gap = every;
        for (size_t i = 0; i < distinct && t; i++) {
            sim_time x = t[i], r = x % every;
            sim_time d = x < every ? every - x
                         : r == 0 ? 0 : (r < every - r ? r : every - r);
            if (d > 0 && d < gap)
                gap = d;
        }
        distinct += 2;            /* every > 0: at least two rounds */
    }
    free(t);
    return distinct < 2 ? SIM_TIME_MAX : gap;
}

int scn_map_rekey_rounds(scn_map *m, sim_time every, const sim_time *at,
                         size_t n_at)
{
    ldr *L = m->L;
    sim_time spread, gap;
    char a[64], g[64];

    if (!L->s || !L->spread_node || L->s->so.rekey_spread <= 0)
        return 0;
    spread = L->s->so.rekey_spread;
    gap = scn_rekey_min_gap(every, at, n_at);
    if (spread < gap)
        return 0;
    sim_units_format((double)spread / 1e9, SIM_DIM_TIME, a, sizeof a);
    sim_units_format((double)gap / 1e9, SIM_DIM_TIME, g, sizeof g);
    return scni_nerr(L, L->spread_doc, L->spread_node,
                     "'rekey_spread' (%s) must be less than the shortest "
                     "time between two re-key rounds of %s (%s, from its "
                     "rekey_every and rekey_at): every smart object's round "
                     "must start before any one's next round", a,
                     m->section, g);
}

void scn_map_mark(scn_map *m, const char *key, size_t idx, scn_mark *out)
{
    yaml_node_t *v = scni_map_find(m, key, NULL);

    if (v && v->type == YAML_SEQUENCE_NODE && idx < scni_seq_len(v))
        v = scni_seq_item(m->d, v, idx);
    if (!v)
        v = m->at;
    if (v) {
        scni_mark_of(m->d, v, out);
    } else {
        out->line = 1;
        out->col = 1;
        out->ovr = -1;
    }
}

const scn_mark *scn_mark_cause(const scn_mark *opt, const scn_mark *topo)
{
    return opt->ovr < 0 && topo->ovr >= 0 ? topo : opt;
}

int scn_map_error(scn_map *m, const char *key, const char *fmt, ...)
{
    yaml_node_t *v = scni_map_find(m, key, NULL);
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!v)
        v = m->at;
    if (v)
        return scni_nerr(m->L, m->d, v, "%s", msg);
    scni_report(m->L, m->d->file, -1, NULL, "%s", msg);
    return -1;
}

int scn_map_dist(scn_map *m, const char *key, sim_dim dim, int required,
                 const char *def, sim_dist *out)
{
    return scni_get_dist(m, key, dim, required, def, out, NULL);
}

int scn_map_enum(scn_map *m, const char *key, const char *const *names,
                 int required, int def, int *out)
{
    return scni_get_enum(m, key, names, required, def, out, NULL);
}

int scn_map_bool(scn_map *m, const char *key, int required, int def,
                 int *out)
{
    return scni_get_bool(m, key, required, def, out);
}

int scn_map_defences(const scn_map *m)
{
    return m && m->L && m->L->s ? m->L->s->defences : SCN_DEF_AS_PUBLISHED;
}

int scn_map_defence(scn_map *m, const char *key, int published,
                    int hardened, int *out)
{
    return scni_get_bool(m, key, 0,
                         scn_map_defences(m) == SCN_DEF_HARDENED ? hardened
                                                                  : published,
                         out);
}

scn_map *scn_map_sub(scn_map *m, const char *key, int required)
{
    yaml_node_t *v;
    scn_map *c;
    char section[2 * SECTION_LEN + 2];  /* scni_map_open truncates it */

    if (m->L->failed || scni_get_map(m, key, required, &v) != 0)
        return NULL;
    c = xcalloc(1, sizeof *c);
    snprintf(section, sizeof section, "%s.%s", m->section, key);
    if (scni_map_open(c, m->L, m->d, v, v ? v : m->at, section, NULL) != 0) {
        scn_map_close(c);
        return NULL;
    }
    return c;
}

void scn_map_close(scn_map *c)
{
    if (!c)
        return;
    scni_map_close(c);
    free(c);
}

int scn_map_done(scn_map *m)
{
    yaml_node_pair_t *pairs;
    char q[128];

    if (m->L->failed)
        return -1;
    if (m->done || !m->map)
        return 0;
    m->done = 1;
    pairs = m->map->data.mapping.pairs.start;
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = scni_node_at(m->d, pairs[i].key);
        if (m->used[i] || (m->skip && strcmp(scni_stext(k), m->skip) == 0))
            continue;
        const char *cand[ARRAY_LEN(m->asked) + 1];
        char dym[96];
        for (size_t j = 0; j < m->n_asked; j++)
            cand[j] = m->asked[j];
        cand[m->n_asked] = NULL;
        sim_units_quote(q, sizeof q, scni_stext(k));
        if (m->L->as && m->L->s->proto && m->L->as != m->L->s->proto &&
            strcmp(m->section, "protocol") == 0)
            /* `--protocol dini --set protocol.x=...`: protocol: holds the
             * file's protocol's options, not those of the one asked for */
            return scni_nerr(m->L, m->d, k,
                             "unknown key '%s' in protocol (the options of "
                             "'%s', the scenario's protocol); options for "
                             "--protocol %s go under protocols.%s", q,
                             m->L->reg->name(m->L->s->proto),
                             m->L->reg->name(m->L->as),
                             m->L->reg->name(m->L->as));
        return scni_nerr(m->L, m->d, k, "unknown key '%s' in %s%s%s", q,
                         m->section, flow_hint(scni_stext(k)),
                         suggest(dym, sizeof dym, scni_stext(k), cand));
    }
    return 0;
}

/* ---- a cursor on a child mapping, for the schema files ---------------- */

int scni_sub_open(scn_map *c, scn_map *parent, yaml_node_t *n,
                  const char *section)
{
    return scni_map_open(c, parent->L, parent->d, n, n ? n : parent->at,
                         section, NULL);
}
