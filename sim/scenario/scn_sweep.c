/* scn_sweep.c — the schema's sweep section and --vary axes: axis values
 * (lists and ranges), their text as an override reads it back, and the
 * axis helpers (scn_axis_free, scn_axis_copy). */
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

/* ---- sweep -------------------------------------------------------------- */

/* Appends the YAML text of v, as an override value reads it back: block
 * collections become flow ones; a scalar that would not read back the
 * same plain (quoted in the file, or holding flow indicators inside a
 * collection) is double-quoted. */
static void flow_text(ydoc *d, yaml_node_t *v, int nested, xbuf *b)
{
    if (v->type == YAML_SEQUENCE_NODE || v->type == YAML_MAPPING_NODE) {
        int seq = v->type == YAML_SEQUENCE_NODE;
        size_t n = seq ? scni_seq_len(v)
                       : (size_t)(v->data.mapping.pairs.top -
                                  v->data.mapping.pairs.start);
        xbuf_str(b, seq ? "[" : "{");
        for (size_t i = 0; i < n; i++) {
            if (i)
                xbuf_str(b, ", ");
            if (seq) {
                flow_text(d, scni_seq_item(d, v, i), 1, b);
            } else {
                yaml_node_pair_t *pr = v->data.mapping.pairs.start + i;
                flow_text(d, scni_node_at(d, pr->key), 1, b);
                xbuf_str(b, ": ");
                flow_text(d, scni_node_at(d, pr->value), 1, b);
            }
        }
        xbuf_str(b, seq ? "]" : "}");
        return;
    }
    {
        const char *t = scni_stext(v);
        int plain = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                    (!nested || !strpbrk(t, ",[]{}#\"'"));
        if (plain) {
            xbuf_str(b, t);
            return;
        }
        xbuf_str(b, "\"");
        for (; *t; t++) {
            char e[8];
            unsigned char c = (unsigned char)*t;
            if (c == '"' || c == '\\') {
                e[0] = '\\';
                e[1] = (char)c;
                xbuf_put(b, e, 2);
            } else if (c < 0x20 || c == 0x7f) {
                snprintf(e, sizeof e, "\\x%02x", c);
                xbuf_str(b, e);
            } else {
                xbuf_put(b, t, 1);
            }
        }
        xbuf_str(b, "\"");
    }
}

static void axis_add(scn_axis *ax, char *value, const scn_mark *m)
{
    ax->values = xreallocarray(ax->values, ax->n + 1, sizeof *ax->values);
    ax->marks = xreallocarray(ax->marks, ax->n + 1, sizeof *ax->marks);
    ax->values[ax->n] = value;
    ax->marks[ax->n] = *m;
    ax->n++;
}

/* A range bound or step: a number and its unit suffix ("10", "64B",
 * "2.5s").  Returns 0, or -1 when t is not a finite number. */
static int range_num(const char *t, double *x, const char **unit)
{
    char *end;

    errno = 0;
    *x = strtod(t, &end);
    if (end == t || errno == ERANGE || !isfinite(*x))
        return -1;
    while (*end == ' ')
        end++;
    *unit = end;
    return 0;
}

static const char *const range_keys[] = {"from", "to", "step", "points",
                                         "scale", NULL};
static const char *const scale_names[] = {"linear", "log", NULL};

/* A range mapping {from, to, step | points, scale} -> values of ax. */
static int axis_range(ldr *L, ydoc *d, yaml_node_t *v, const char *path,
                      scn_axis *ax)
{
    yaml_node_t *fn, *tn, *sn, *pn;
    const char *ft, *tt, *st = NULL, *fu, *tu, *su = "";
    double from, to, step = 0;
    int64_t points = 0;
    int scale = 0, rc = -1;
    char section[SECTION_LEN];
    scn_map m;
    scn_mark mk;

    snprintf(section, sizeof section, "sweep.%s", path);
    scni_mark_of(d, v, &mk);
    if (scni_map_open(&m, L, d, v, v, section, NULL) ||
        scni_map_check_keys(&m, range_keys, NULL, NULL) ||
        scni_get_string(&m, "from", 1, &ft, &fn) ||
        scni_get_string(&m, "to", 1, &tt, &tn) ||
        scni_get_string(&m, "step", 0, &st, &sn) ||
        scni_get_int(&m, "points", 0, 0, 1, SCN_MAX_AXIS_VALUES, &points,
                     &pn) ||
        scni_get_enum(&m, "scale", scale_names, 0, 0, &scale, NULL))
        goto out;
    if ((st != NULL) == (points != 0)) {
        scni_nerr(L, d, v, "a range in sweep needs exactly one of 'step' and "
                  "'points'");
        goto out;
    }
    if (range_num(ft, &from, &fu)) {
        scni_nerr(L, d, fn, "'from' must be a number with an optional unit");
        goto out;
    }
    if (range_num(tt, &to, &tu)) {
        scni_nerr(L, d, tn, "'to' must be a number with an optional unit");
        goto out;
    }
    if (strcmp(fu, tu) != 0) {
        scni_nerr(L, d, tn, "'to' must have the unit of 'from' ('%s')", fu);
        goto out;
    }
    if (to < from) {
        scni_nerr(L, d, tn, "'to' must not be less than 'from'");
        goto out;
    }
    if (scale == 1 && !(from > 0)) {
        scni_nerr(L, d, fn, "a log range needs 'from' > 0");
        goto out;
    }
    if (st) {
        if (range_num(st, &step, &su) ||
            strcmp(su, scale == 1 ? "" : fu) != 0) {
            scni_nerr(L, d, sn,
                      scale == 1 ? "'step' of a log range is a factor "
                                   "(a number > 1, no unit)"
                                 : "'step' must be a number with "
                                   "the unit of 'from'");
            goto out;
        }
        if (scale == 1 ? !(step > 1) : !(step > 0)) {
            scni_nerr(L, d, sn, "'step' must be %s",
                      scale == 1 ? "> 1" : "> 0");
            goto out;
        }
        /* the count first, as a double: a tiny step must not make
         * 10^12 values, nor a count past int64 (undefined to convert) */
        double count = 1 + floor(scale == 1
                                 ? log(to / from) / log(step) + 1e-9
                                 : (to - from) / step + 1e-9);
        if (!(count <= (double)SCN_MAX_AXIS_VALUES)) {
            scni_nerr(L, d, sn, "the range has more than %u values",
                      SCN_MAX_AXIS_VALUES);
            goto out;
        }
        points = (int64_t)count;
    } else if (points == 1 && to != from) {
        scni_nerr(L, d, pn, "one point needs 'from' equal to 'to'");
        goto out;
    }
    for (int64_t i = 0; i < points; i++) {
        double x, f = points > 1 ? (double)i / (double)(points - 1) : 0;
        char buf[64];
        if (st)
            x = scale == 1 ? from * pow(step, (double)i)
                           : from + (double)i * step;
        else
            x = scale == 1 ? from * pow(to / from, f)
                           : from + (to - from) * f;
        snprintf(buf, sizeof buf, "%.12g%s", x, fu);
        axis_add(ax, xstrdup(buf), &mk);
    }
    rc = 0;
out:
    scni_map_close(&m);
    return rc;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A value that appears twice in ax (two points would be one), or NULL.
 * O(n log n). */
static const char *axis_dup(const scn_axis *ax)
{
    const char **v, *dup = NULL;

    if (ax->n < 2)
        return NULL;
    v = xmalloc(ax->n * sizeof *v);
    memcpy(v, ax->values, ax->n * sizeof *v);
    qsort(v, ax->n, sizeof *v, cmp_str_ptr);
    for (size_t i = 1; i < ax->n && !dup; i++)
        if (strcmp(v[i - 1], v[i]) == 0)
            dup = v[i];
    free(v);
    return dup;
}

/* 1 if v is one bracketed YAML collection: the bracket it opens with
 * closes at its last non-blank character ("[1, 2]", not "[1],[2]"). */
static int one_collection(const char *v)
{
    int depth = 0;
    char quote = 0;
    const char *c;

    for (c = v; *c; c++) {
        if (quote) {
            if (*c == quote)
                quote = 0;
            else if (*c == '\\' && quote == '"' && c[1])
                c++;
        } else if (*c == '"' || *c == '\'') {
            quote = *c;
        } else if (*c == '[' || *c == '{') {
            depth++;
        } else if ((*c == ']' || *c == '}') && --depth == 0) {
            break;
        }
    }
    if (!*c)
        return 0;
    for (c++; *c == ' ' || *c == '\t'; c++)
        ;
    return *c == '\0';
}

/* The values of one axis from node v: a list, a range, or one value. */
static int axis_values(ldr *L, ydoc *d, yaml_node_t *v, const char *path,
                       scn_axis *ax)
{
    ax->path = xstrdup(path);
    ax->is_protocol = strcmp(path, "protocol.name") == 0;
    if (v->type == YAML_MAPPING_NODE && !ax->is_protocol) {
        if (axis_range(L, d, v, path, ax))
            return -1;
    } else {
        size_t n = v->type == YAML_SEQUENCE_NODE ? scni_seq_len(v) : 1;
        if (n == 0)
            return scni_nerr(L, d, v,
                             "sweep '%s': expected at least one value", path);
        if (n > SCN_MAX_AXIS_VALUES)
            return scni_nerr(L, d, v, "sweep '%s': more than %u values", path,
                             SCN_MAX_AXIS_VALUES);
        for (size_t i = 0; i < n; i++) {
            yaml_node_t *it = v->type == YAML_SEQUENCE_NODE
                                  ? scni_seq_item(d, v, i) : v;
            xbuf b = {NULL, 0, 0};
            scn_mark mk;
            flow_text(d, it, 0, &b);
            scni_mark_of(d, it, &mk);
            axis_add(ax, b.p ? b.p : xstrdup(""), &mk);
        }
    }
    for (size_t i = 0; ax->is_protocol && i < ax->n; i++)
        if (!L->reg->find(ax->values[i])) {
            char q[128];
            yaml_node_t *it = v->type == YAML_SEQUENCE_NODE
                                  ? scni_seq_item(d, v, i) : v;
            sim_units_quote(q, sizeof q, ax->values[i]);
            return scni_nerr(L, d, it, "unknown protocol '%s' (known: %s)", q,
                             L->reg->names());
        }
    {
        const char *dup = axis_dup(ax);
        if (dup) {
            char q[128];
            sim_units_quote(q, sizeof q, dup);
            return scni_nerr(L, d, v, "sweep '%s': value '%s' appears twice",
                             path, q);
        }
    }
    return 0;
}

void scn_axis_free(scn_axis *ax)
{
    if (!ax)
        return;
    for (size_t i = 0; i < ax->n; i++)
        free(ax->values[i]);
    free(ax->values);
    free(ax->marks);
    free(ax->path);
    memset(ax, 0, sizeof *ax);
}

void scn_axis_copy(scn_axis *dst, const scn_axis *src)
{
    memset(dst, 0, sizeof *dst);
    dst->path = xstrdup(src->path);
    dst->is_protocol = src->is_protocol;
    dst->n = src->n;
    dst->values = xcalloc(src->n ? src->n : 1, sizeof *dst->values);
    dst->marks = xcalloc(src->n ? src->n : 1, sizeof *dst->marks);
    for (size_t i = 0; i < src->n; i++) {
        dst->values[i] = xstrdup(src->values[i]);
        dst->marks[i] = src->marks[i];
    }
}

/* A path as --set accepts it: dot-separated, no empty segment. */
static int path_ok(const char *p, size_t n)
{
    if (n == 0 || p[0] == '.' || p[n - 1] == '.')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (p[i] == '.' && p[i - 1] == '.')
            return 0;
    return 1;
}

int scni_parse_sweep(scn_map *top)
{
    ldr *L = top->L;
    scenario *s = L->s;
    yaml_node_t *sw;
    yaml_node_pair_t *pairs;
    scn_map c;
    int rc = -1;

    if (scni_get_map(top, "sweep", 0, &sw))
        return -1;
    if (!sw)
        return 0;
    if (scni_map_open(&c, L, top->d, sw, sw, "sweep", NULL))
        goto out;
    if (c.n > SCN_MAX_AXES) {
        scni_nerr(L, top->d, sw, "'sweep' must have at most %u paths",
                  SCN_MAX_AXES);
        goto out;
    }
    pairs = sw->data.mapping.pairs.start;
    s->axes = xcalloc(c.n ? c.n : 1, sizeof *s->axes);
    for (size_t i = 0; i < c.n; i++) {
        yaml_node_t *k = scni_node_at(top->d, pairs[i].key);
        yaml_node_t *v = scni_node_at(top->d, pairs[i].value);
        const char *path = scni_stext(k);

        if (!path_ok(path, strlen(path))) {
            char q[128];
            sim_units_quote(q, sizeof q, path);
            scni_nerr(L, top->d, k, "sweep: '%s' is not a path like "
                      "topology.sources", q);
            goto out;
        }
        s->n_axes = i + 1;
        if (axis_values(L, top->d, v, path, &s->axes[i]))
            goto out;
    }
    rc = 0;
out:
    scni_map_close(&c);
    return rc;
}

/* Splits a --vary list at commas outside (), [], {} and quotes. */
static int vary_split(const char *v, scn_axis *ax)
{
    const scn_mark cli = {0, 0, -2};
    int depth = 0;
    char quote = 0;
    const char *start = v;

    for (const char *c = v;; c++) {
        if (quote) {
            if (*c == '\0')
                return -1;
            if (*c == quote)
                quote = 0;
            else if (*c == '\\' && quote == '"' && c[1])
                c++;
            continue;
        }
        if (*c == '"' || *c == '\'')
            quote = *c;
        else if (*c == '(' || *c == '[' || *c == '{')
            depth++;
        else if ((*c == ')' || *c == ']' || *c == '}') && --depth < 0)
            return -1;
        else if ((*c == ',' && depth == 0) || *c == '\0') {
            const char *a = start, *b = c;
            char *val;
            if (*c == '\0' && depth)
                return -1;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if (a == b)
                return -1;
            val = xmalloc((size_t)(b - a) + 1);
            memcpy(val, a, (size_t)(b - a));
            val[b - a] = '\0';
            axis_add(ax, val, &cli);
            if (*c == '\0')
                return 0;
            start = c + 1;
        }
    }
}

/* Parses a --vary argument (scn_axis_parse) with the protocols of reg. */
int scni_axis_parse(const scn_registry *reg, const char *arg, scn_axis *ax,
                    char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    const char *labels[1];
    char q[128], label[160];
    ldr L;
    ydoc d;
    int rc = -1;

    memset(ax, 0, sizeof *ax);
    memset(&L, 0, sizeof L);
    memset(&d, 0, sizeof d);
    sim_units_quote(q, sizeof q, arg);
    snprintf(label, sizeof label, "--vary %s", q);
    labels[0] = label;
    L.err = err;
    L.errlen = errlen;
    L.args = &arg;
    L.labels = labels;
    L.vary = 1;
    L.reg = reg;
    if (err && errlen)
        err[0] = '\0';
    if (!reg) {
        scni_report(&L, "--vary", 0, NULL, SCNI_NO_REGISTRY);
        return -1;
    }
    if (!eq || !path_ok(arg, (size_t)(eq - arg))) {
        scni_report(&L, "--vary", 0, NULL, "expected path=v1,v2,... (or "
                    "path=[...] or path={from: .., to: .., step: ..})");
        return -1;
    }
    {
        char *path = xmalloc((size_t)(eq - arg) + 1);
        const char *v = eq + 1;
        memcpy(path, arg, (size_t)(eq - arg));
        path[eq - arg] = '\0';
        while (*v == ' ')
            v++;
        if ((*v == '[' || *v == '{') && one_collection(v)) {
            yaml_node_t *root;
            if (scni_load_doc(&L, &d, "--vary", 0, (const unsigned char *)v,
                              strlen(v)) == 0 &&
                (root = yaml_document_get_root_node(&d.doc)) != NULL)
                rc = axis_values(&L, &d, root, path, ax);
            else if (!L.failed)
                scni_report(&L, "--vary", 0, NULL, "no value");
            for (size_t i = 0; rc == 0 && i < ax->n; i++)
                ax->marks[i] = (scn_mark){0, 0, -2};
        } else {
            ax->path = xstrdup(path);
            ax->is_protocol = strcmp(path, "protocol.name") == 0;
            if (vary_split(v, ax))
                scni_report(&L, "--vary", 0, NULL,
                            "empty value, or unbalanced "
                            "brackets or quotes");
            else
                rc = 0;
            for (size_t i = 0; rc == 0 && ax->is_protocol && i < ax->n; i++)
                if (!L.reg->find(ax->values[i])) {
                    sim_units_quote(q, sizeof q, ax->values[i]);
                    scni_report(&L, "--vary", 0, NULL, "unknown protocol '%s' "
                                "(known: %s)", q, L.reg->names());
                    rc = -1;
                }
            if (rc == 0 && ax->n > SCN_MAX_AXIS_VALUES) {
                scni_report(&L, "--vary", 0, NULL, "more than %u values",
                            SCN_MAX_AXIS_VALUES);
                rc = -1;
            }
            if (rc == 0 && axis_dup(ax)) {
                sim_units_quote(q, sizeof q, axis_dup(ax));
                scni_report(&L, "--vary", 0, NULL, "sweep '%s': value '%s' "
                            "appears twice", ax->path, q);
                rc = -1;
            }
        }
        free(path);
    }
    scni_ydoc_free(&d);
    if (rc)
        scn_axis_free(ax);
    return rc;
}
