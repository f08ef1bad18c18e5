/* sweep.c — kmsim sweep: expansion and the journal (the worker
 * processes, MPI ranks, the coordinator and the result files are in
 * sweep_run.c; both share sweep_int.h).
 *
 * The coordinator (the parent process; rank 0 under MPI) is the only
 * writer: workers run points and send back a record, the coordinator
 * appends it to the journal (one write, then fdatasync) and, once no
 * point is left, assembles the CSVs from the journal in expansion order.
 * A record is self-checking ("@<len> <hash>\n" + payload): a torn tail
 * left by a SIGKILL is found and cut off when the sweep resumes. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef KMSIM_MPI
#include <mpi.h>
#endif
#include "sweep.h"
#include "db.h"
#include "estimate.h"
#include "run.h"
#include "health.h"
#include "prov.h"
#include "scenario.h"
#include "proto.h"
#include "world.h"
#include "metrics.h"
#include "csv.h"
#include "cry.h"
#include "units.h"
#include "util.h"
#include "sweep_int.h"

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif


/* ---- small helpers ------------------------------------------------------ */

/* A metric field in a record: tab, newline and backslash escaped. */
static void b_field(xbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\t')
            xbuf_put(b, "\\t", 2);
        else if (*s == '\n')
            xbuf_put(b, "\\n", 2);
        else if (*s == '\\')
            xbuf_put(b, "\\\\", 2);
        else
            xbuf_put(b, s, 1);
    }
}

/* Unescapes s in place up to the next tab or newline; returns the
 * character after the field's end (NULL at the end of the text). */
char *sweep_field_end(char *s)
{
    char *w = s;

    for (; *s && *s != '\t' && *s != '\n'; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        } else {
            *w++ = *s;
        }
    }
    if (!*s) {
        *w = '\0';
        return NULL;
    }
    *w = '\0';
    return s + 1;
}

double sweep_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sweep_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK)
            w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 read all, 0 end of file before the first byte, -1 error or a short
 * read (the peer died mid-message). */
int sweep_read_all(int fd, void *p, size_t n)
{
    char *c = p;
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

/* ---- expansion ---------------------------------------------------------- */

/* The journal record format: raised whenever a record gains or changes a
 * line (2: quantile rows .p50/.p95/.p99 and H lines, issue 23). */
#define REC_FORMAT "records-2"
#define POINT_TAG "kmsim-sweep-point\0" KMSIM_VERSION "\0" REC_FORMAT

static void point_key(const sim_sweep *s, const unsigned char hash[32],
                      uint64_t seed, uint32_t rep, unsigned char *key)
{
    cry_hash_state st;
    unsigned char h[CRY_HASH_BYTES];
    uint64_t v[4] = {seed, rep, (uint64_t)s->o->until, s->o->max_events};

    cry_hash_init(&st);
    /* The record format is part of the key: a journal written by a
     * kmsim whose records lack lines this one writes (issue 23's
     * quantile rows and H lines) is not reused, but rerun. */
    cry_hash_update(&st, POINT_TAG, sizeof POINT_TAG);
    cry_hash_update(&st, hash, 32);
    cry_hash_update(&st, v, sizeof v);   /* one machine: its byte order */
    if (s->o->series > 0) {   /* a record with series rows is another's */
        const char *pat = s->o->series_metrics ? s->o->series_metrics
                                               : SIM_SERIES_DEFAULT;
        int64_t iv = s->o->series;
        cry_hash_update(&st, "series", sizeof "series");
        cry_hash_update(&st, &iv, sizeof iv);
        cry_hash_update(&st, pat, strlen(pat) + 1);
    }
    cry_hash_final(&st, h);
    memcpy(key, h, KEY_BYTES);
}

/* The axes: the file's, then each --vary (replacing the file's axis of
 * the same path in place), then --protocols as a protocol.name axis. */
static int gather_axes(sim_sweep *s, const scenario *base, char *err,
                       size_t errlen)
{
    const sim_sweep_opts *o = s->o;
    size_t cap = base->n_axes + o->n_varies + 1;

    s->axes = xcalloc(cap, sizeof *s->axes);
    for (size_t i = 0; i < base->n_axes; i++)
        scn_axis_copy(&s->axes[s->n_axes++], &base->axes[i]);
    for (size_t k = 0; k < o->n_varies + (o->protocols != NULL); k++) {
        scn_axis ax;
        size_t j;

        if (k < o->n_varies) {
            if (scn_axis_parse(o->varies[k], &ax, err, errlen) != 0)
                return -1;
        } else {
            char *arg = xmalloc(strlen(o->protocols) + 16);
            int rc;
            sprintf(arg, "protocol.name=%s", o->protocols);
            rc = scn_axis_parse(arg, &ax, err, errlen);
            free(arg);
            if (rc != 0) {
                /* name the flag the user wrote */
                char tmp[1024];
                const char *m = strstr(err, ": ");
                snprintf(tmp, sizeof tmp, "--protocols %s%s", o->protocols,
                         m ? m : "");
                snprintf(err, errlen, "%s", tmp);
                return -1;
            }
        }
        for (j = 0; j < s->n_axes; j++)
            if (strcmp(s->axes[j].path, ax.path) == 0)
                break;
        if (j < s->n_axes) {
            scn_axis_free(&s->axes[j]);
            s->axes[j] = ax;
        } else {
            s->axes[s->n_axes++] = ax;
        }
    }
    for (size_t j = 0; j < s->n_axes; j++) {
        if ((o->have_seed && strcmp(s->axes[j].path, "seed") == 0) ||
            (o->replications &&
             strcmp(s->axes[j].path, "replications") == 0)) {
            snprintf(err, errlen, "--%s: the path is swept; drop the flag "
                     "or the axis", s->axes[j].path);
            return -1;
        }
        if (s->axes[j].is_protocol && o->protocol) {
            snprintf(err, errlen, "--protocol: the protocol is swept "
                     "(protocol.name); drop one of them");
            return -1;
        }
        for (size_t k = 0; k < o->n_sets; k++) {
            size_t n = strlen(s->axes[j].path);
            if (strncmp(o->sets[k], s->axes[j].path, n) == 0 &&
                o->sets[k][n] == '=') {
                snprintf(err, errlen, "--set %s: the path is swept; drop "
                         "the --set or the axis", o->sets[k]);
                return -1;
            }
        }
    }
    return 0;
}

static void config_free(config *c)
{
    for (size_t i = 0; i < c->n_ovr; i++) {
        free(c->ovr[i]);
        free(c->labels[i]);
    }
    free(c->ovr);
    free(c->labels);
    free(c->vi);
}

scenario *sweep_config_load(const sim_sweep *s, const config *c, char *err,
                            size_t errlen)
{
    scn_load_args a;
    scenario *sc;

    a.overrides = (const char *const *)c->ovr;
    a.labels = (const char *const *)c->labels;
    a.n = c->n_ovr;
    a.protocol = c->protocol;
    sc = scn_load_args_file(s->o->file, &a, err, errlen);
    if (sc) {
        /* An axis's "<column>.si" column exists when any of its values
         * has an SI form, in every configuration (run.c). */
        size_t k = s->o->n_sets;
        for (size_t j = 0; j < s->n_axes; j++) {
            const scn_axis *ax = &s->axes[j];
            int any = 0;
            if (ax->is_protocol)
                continue;
            for (size_t v = 0; v < ax->n && !any; v++) {
                double si;
                any = sim_units_si(ax->values[v], &si) == 0;
            }
            if (k < sc->n_overrides)
                sc->overrides[k].si_col = any;
            k++;
        }
    }
    if (sc && s->o->have_seed)
        sc->seed = s->o->seed;
    if (sc && s->o->replications)
        sc->replications = s->o->replications;
    return sc;
}

/* Builds configuration ci from the value indices vi. */
static int config_make(sim_sweep *s, size_t ci, const size_t *vi,
                       const char *file, char *err, size_t errlen)
{
    const sim_sweep_opts *o = s->o;
    config *c = &s->cfgs[ci];
    scenario *sc;
    size_t n = o->n_sets + s->n_axes;

    c->ovr = xcalloc(n ? n : 1, sizeof *c->ovr);
    c->labels = xcalloc(n ? n : 1, sizeof *c->labels);
    c->vi = xcalloc(s->n_axes ? s->n_axes : 1, sizeof *c->vi);
    memcpy(c->vi, vi, s->n_axes * sizeof *vi);
    for (size_t k = 0; k < o->n_sets; k++)
        c->ovr[c->n_ovr++] = xstrdup(o->sets[k]);
    c->protocol = o->protocol;
    for (size_t j = 0; j < s->n_axes; j++) {
        const scn_axis *ax = &s->axes[j];
        const char *v = ax->values[vi[j]];
        const scn_mark *m = &ax->marks[vi[j]];
        size_t len = strlen(ax->path) + strlen(v) + 2;
        char *ov, lab[512];

        if (ax->is_protocol) {
            c->protocol = v;
            continue;
        }
        ov = xmalloc(len);
        snprintf(ov, len, "%s=%s", ax->path, v);
        if (m->ovr == -2)
            snprintf(lab, sizeof lab, "--vary %s", ov);
        else
            snprintf(lab, sizeof lab, "%s:%u:%u: sweep value %s", file,
                     m->line, m->col, ov);
        c->labels[c->n_ovr] = xstrdup(lab);
        c->ovr[c->n_ovr++] = ov;
    }
    sc = sweep_config_load(s, c, err, errlen);
    if (!sc)
        return -1;
    if (o->until > sc->duration) {
        snprintf(err, errlen, "--until: beyond the duration of "
                 "configuration %zu (use --set duration=...)", ci);
        scn_free(sc);
        return -1;
    }
    if (o->until && o->until <= sc->warmup) {
        snprintf(err, errlen, "--until: not after the warm-up (%gs) of "
                 "configuration %zu: nothing would be measured (use a later "
                 "--until or --set warmup=...)", sim_time_to_s(sc->warmup),
                 ci);
        scn_free(sc);
        return -1;
    }
    {
        /* As kmsim run: a configuration whose estimate is absurd is
         * refused before any point runs (issue 20; warnings are for run
         * and validate, not repeated per configuration). */
        sim_estimate e;
        sim_est_compute(sc, o->until, &e);
        if (sim_est_check(sc, &e, o->max_memory, o->max_events, NULL, err,
                          errlen) != 0) {
            scn_free(sc);
            return -1;
        }
    }
    if (sim_run_threads_check(sc, o->threads, err, errlen) != SIM_EXIT_OK) {
        /* --threads 2: refused before any point runs, as kmsim run */
        char m[512];
        snprintf(m, sizeof m, "%s", err);
        snprintf(err, errlen, "configuration %zu: %s", ci, m);
        scn_free(sc);
        return -1;
    }
    c->seed = sc->seed;
    c->reps = sc->replications;
    c->proto_name = sc->proto->name;  /* static storage (the registry) */
    c->first = s->n_points;
    s->keys = xreallocarray(s->keys, s->n_points + c->reps, KEY_BYTES);
    for (uint32_t r = 0; r < c->reps; r++)
        point_key(s, sc->hash, sim_run_seed(c->seed, r), r,
                  s->keys + (s->n_points + r) * KEY_BYTES);
    s->n_points += c->reps;
    scn_free(sc);
    return 0;
}

/* "3,5-9": marks those points; -1 with a message if malformed. */
static int select_only(sim_sweep *s, const char *only, char *err,
                       size_t errlen)
{
    const char *p = only;

    memset(s->sel, 0, s->n_points);
    for (;;) {
        char *end;
        unsigned long long a, b;

        if (*p < '0' || *p > '9')
            goto bad;
        a = strtoull(p, &end, 10);
        b = a;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9')
                goto bad;
            b = strtoull(p, &end, 10);
            p = end;
        }
        if (b < a) {
            snprintf(err, errlen, "--only %s: range %llu-%llu is empty",
                     only, a, b);
            return -1;
        }
        if (b >= s->n_points) {
            snprintf(err, errlen, "--only %s: points are 0 to %zu", only,
                     s->n_points - 1);
            return -1;
        }
        for (unsigned long long i = a; i <= b; i++)
            s->sel[i] = 1;
        if (*p == '\0')
            return 0;
        if (*p++ != ',')
            goto bad;
    }
bad:
    snprintf(err, errlen, "--only %s: expected indices and ranges like "
             "3,5-9", only);
    return -1;
}

static int where_match(const sim_sweep *s, size_t idx, const char *w)
{
    const char *eq = strchr(w, '=');
    size_t n = (size_t)(eq - w);
    sim_sweep_point pt;
    char num[32];

    sim_sweep_point_info(s, idx, &pt);
    if ((n == 8 && strncmp(w, "protocol", 8) == 0) ||
        (n == 13 && strncmp(w, "protocol.name", 13) == 0))
        return strcmp(eq + 1, pt.protocol) == 0;
    if (n == 11 && strncmp(w, "replication", 11) == 0) {
        snprintf(num, sizeof num, "%u", pt.replication);
        return strcmp(eq + 1, num) == 0;
    }
    for (size_t j = 0; j < s->n_axes; j++)
        if (strlen(s->axes[j].path) == n &&
            strncmp(s->axes[j].path, w, n) == 0)
            return sim_units_same(
                eq + 1, s->axes[j].values[s->cfgs[pt.config].vi[j]]);
    return 0;
}

static int select_points(sim_sweep *s, char *err, size_t errlen)
{
    const sim_sweep_opts *o = s->o;

    s->sel = xmalloc(s->n_points ? s->n_points : 1);
    memset(s->sel, 1, s->n_points);
    if (o->only && select_only(s, o->only, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < o->n_wheres; k++) {
        const char *w = o->wheres[k], *eq = strchr(w, '=');
        size_t n = eq ? (size_t)(eq - w) : 0;
        int known = n == 8 && strncmp(w, "protocol", 8) == 0;

        known |= n == 13 && strncmp(w, "protocol.name", 13) == 0;
        known |= n == 11 && strncmp(w, "replication", 11) == 0;
        for (size_t j = 0; j < s->n_axes && !known; j++)
            known = strlen(s->axes[j].path) == n &&
                    strncmp(s->axes[j].path, w, n) == 0;
        if (!eq || !known) {
            /* did you mean (kmsim extension): the closest swept path */
            const char **cand = xcalloc(s->n_axes + 3, sizeof *cand);
            const char *near;
            char path[256];
            size_t nc = 0;
            cand[nc++] = "protocol";
            cand[nc++] = "replication";
            for (size_t j = 0; j < s->n_axes; j++)
                cand[nc++] = s->axes[j].path;
            snprintf(path, sizeof path, "%.*s", eq ? (int)n : 255, w);
            near = sim_util_closest(path, cand);
            snprintf(err, errlen, "--where %s: expected PATH=VALUE with a "
                     "swept PATH, protocol or replication%s%s%s", w,
                     near ? " (did you mean '" : "", near ? near : "",
                     near ? "'?)" : "");
            free(cand);
            return -1;
        }
        {
            size_t any = 0;
            for (size_t i = 0; i < s->n_points && !any; i++)
                any = where_match(s, i, w);
            if (!any) {
                snprintf(err, errlen, "--where %s: no point has this value "
                         "(see --list)", w);
                return -1;
            }
        }
        for (size_t i = 0; i < s->n_points; i++)
            if (s->sel[i] && !where_match(s, i, w))
                s->sel[i] = 0;
    }
    for (size_t i = 0; i < s->n_points; i++)
        s->n_sel += s->sel[i];
    return 0;
}

sim_sweep *sim_sweep_expand(const sim_sweep_opts *o, char *err,
                            size_t errlen)
{
    sim_sweep *s = xcalloc(1, sizeof *s);
    scn_load_args a = {o->sets, NULL, o->n_sets, o->protocol};
    scenario *base;
    size_t *vi = NULL, total = 1;

    s->o = o;
    s->lfd = -1;
    s->jfd = -1;
    s->cached = SIZE_MAX;
    base = scn_load_args_file(o->file, &a, err, errlen);
    if (!base)
        goto fail;
    s->name = xstrdup(base->name);
    if (gather_axes(s, base, err, errlen) != 0) {
        scn_free(base);
        goto fail;
    }
    scn_free(base);
    for (size_t j = 0; j < s->n_axes; j++) {
        if (s->axes[j].n > SIM_SWEEP_MAX_POINTS / total) {
            const scn_mark *m = &s->axes[j].marks[0];
            if (m->ovr == -2)
                snprintf(err, errlen, "--vary %s=...: the sweep has more "
                         "than %u configurations", s->axes[j].path,
                         SIM_SWEEP_MAX_POINTS);
            else
                snprintf(err, errlen, "%s:%u:%u: sweep '%s': the sweep has "
                         "more than %u configurations", o->file, m->line,
                         m->col, s->axes[j].path, SIM_SWEEP_MAX_POINTS);
            goto fail;
        }
        total *= s->axes[j].n;
    }
    s->n_configs = total;
    s->cfgs = xcalloc(total, sizeof *s->cfgs);
    vi = xcalloc(s->n_axes ? s->n_axes : 1, sizeof *vi);
    for (size_t ci = 0; ci < total; ci++) {
        if (config_make(s, ci, vi, o->file, err, errlen) != 0)
            goto fail;
        if (s->n_points > SIM_SWEEP_MAX_POINTS) {
            snprintf(err, errlen, "%s: the sweep has more than %u points "
                     "(configurations x replications)", o->file,
                     SIM_SWEEP_MAX_POINTS);
            goto fail;
        }
        for (size_t j = s->n_axes; j-- > 0;) {   /* the odometer */
            if (++vi[j] < s->axes[j].n)
                break;
            vi[j] = 0;
        }
    }
    free(vi);
    vi = NULL;
    if (select_points(s, err, errlen) != 0)
        goto fail;
    s->done = xcalloc(s->n_points ? s->n_points : 1, sizeof *s->done);
    return s;
fail:
    free(vi);
    sim_sweep_free(s);
    return NULL;
}

void sim_sweep_free(sim_sweep *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_configs; i++)
        config_free(&s->cfgs[i]);
    free(s->cfgs);
    for (size_t j = 0; j < s->n_axes; j++)
        scn_axis_free(&s->axes[j]);
    free(s->axes);
    free(s->keys);
    free(s->sel);
    free(s->done);
    free(s->dir);
    free(s->name);
    scn_free(s->csc);
    if (s->jfd >= 0)
        close(s->jfd);
    if (s->lfd >= 0)
        close(s->lfd);        /* after the journal and the renames */
    free(s);
}

size_t sim_sweep_npoints(const sim_sweep *s)
{
    return s->n_points;
}

size_t sim_sweep_nconfigs(const sim_sweep *s)
{
    return s->n_configs;
}

static size_t config_of(const sim_sweep *s, size_t idx)
{
    size_t lo = 0, hi = s->n_configs;   /* the last config with first <= idx */

    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->cfgs[mid].first <= idx)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void sim_sweep_point_info(const sim_sweep *s, size_t idx,
                          sim_sweep_point *out)
{
    size_t ci = config_of(s, idx);
    const config *c = &s->cfgs[ci];

    out->config = ci;
    out->replication = (uint32_t)(idx - c->first);
    out->seed = sim_run_seed(c->seed, out->replication);
    out->protocol = c->proto_name;
}

const char *sim_sweep_value(const sim_sweep *s, size_t idx, const char *path)
{
    const config *c = &s->cfgs[config_of(s, idx)];

    for (size_t j = 0; j < s->n_axes; j++)
        if (strcmp(s->axes[j].path, path) == 0)
            return s->axes[j].values[c->vi[j]];
    return NULL;
}

/* ---- running one point (in a worker) ------------------------------------ */

/* The record of point idx: "K <key>\nR rep seed events end_s fp\n", a
 * line "M name\tentity\tunit\tvalue" per metric, then per histogram a
 * line "H name\tentity\tunit\tbucket count[ bucket count]..." of its
 * non-empty buckets (kmsim extension, issue 23; a record of an older
 * kmsim has none); or "F <message>\n". */
typedef struct rec_ctx {
    xbuf *b;
    const char *h_name;      /* the histogram of the open "H" line, or NULL */
    const char *h_entity;
} rec_ctx;

static void rec_row(void *vctx, const char *name, const char *entity,
                    const char *unit, double value)
{
    rec_ctx *x = vctx;

    xbuf_put(x->b, "M ", 2);
    b_field(x->b, name);
    xbuf_put(x->b, "\t", 1);
    b_field(x->b, entity);
    xbuf_put(x->b, "\t", 1);
    b_field(x->b, unit);
    xbuf_printf(x->b, "\t%.17g\n", value);
}

/* --series: a line "S t0 t1 name\tentity\tunit\tstat\tvalue" per row
 * (times in ns), gathered apart and put after the M lines. */
static void rec_series(void *vctx, int64_t t0, int64_t t1, const char *name,
                       const char *entity, const char *unit,
                       const char *stat, double value)
{
    xbuf *b = vctx;

    xbuf_printf(b, "S %lld %lld ", (long long)t0, (long long)t1);
    b_field(b, name);
    xbuf_put(b, "\t", 1);
    b_field(b, entity);
    xbuf_put(b, "\t", 1);
    b_field(b, unit);
    xbuf_put(b, "\t", 1);
    b_field(b, stat);
    xbuf_printf(b, "\t%.17g\n", value);
}

static void rec_hist(void *vctx, const char *name, const char *entity,
                     const char *unit, size_t bucket, double count)
{
    rec_ctx *x = vctx;

    /* the strings are the registry's: the same pointers while one
     * metric's buckets come */
    if (x->h_name == name && x->h_entity == entity) {
        xbuf_printf(x->b, " %zu %.17g", bucket, count);
        return;
    }
    if (x->h_name)
        xbuf_put(x->b, "\n", 1);
    x->h_name = name;
    x->h_entity = entity;
    xbuf_put(x->b, "H ", 2);
    b_field(x->b, name);
    xbuf_put(x->b, "\t", 1);
    b_field(x->b, entity);
    xbuf_put(x->b, "\t", 1);
    b_field(x->b, unit);
    xbuf_printf(x->b, "\t%zu %.17g", bucket, count);
}

void sweep_point_record(sim_sweep *s, size_t idx, xbuf *b)
{
    sim_sweep_point pt;
    sim_run_opts ro;
    char err[1024], kh[2 * KEY_BYTES + 1], fp_hex[2 * CRY_HASH_BYTES + 1];
    unsigned char fp[CRY_HASH_BYTES];
    const char *crash = getenv("KMSIM_TEST_CRASH_POINT");
    sim_world *w;
    rec_ctx x;
    xbuf sb = {NULL, 0, 0};
    int rc;

    b->n = 0;
    sim_sweep_point_info(s, idx, &pt);
    if (crash && strtoull(crash, NULL, 10) == idx)  /* tests/sweep.sh */
        kill(getpid(), SIGKILL);
    if (s->cached != pt.config) {
        scn_free(s->csc);
        s->csc = sweep_config_load(s, &s->cfgs[pt.config], err, sizeof err);
        s->cached = s->csc ? pt.config : SIZE_MAX;
        if (!s->csc) {
            xbuf_printf(b, "F %s\n", err);
            return;
        }
    }
    memset(&ro, 0, sizeof ro);
    ro.quiet = 1;
    ro.until = s->o->until;
    ro.max_events = s->o->max_events;
    ro.max_memory = s->o->max_memory;
    ro.threads = s->o->threads;
    ro.stop = s->o->stop;
    ro.series = s->o->series;
    ro.series_metrics = s->o->series_metrics;
    ro.series_row = rec_series;
    ro.series_ctx = &sb;
    w = sim_run_replication(s->csc, &ro, pt.replication, &rc, err,
                            sizeof err);
    if (!w) {
        free(sb.p);
        xbuf_printf(b, "F %s\n", err);
        return;
    }
    sim_world_fingerprint(w, fp);
    cry_hex(fp_hex, fp, sizeof fp);
    cry_hex(kh, s->keys + idx * KEY_BYTES, KEY_BYTES);
    xbuf_printf(b, "K %s\nR %u %llu %llu %.17g %s\n", kh, pt.replication,
             (unsigned long long)pt.seed,
             (unsigned long long)sim_world_events(w),
             sim_time_to_s(sim_world_now(w)), fp_hex);
    x.b = b;
    x.h_name = x.h_entity = NULL;
    ana_metrics_rows(sim_world_metrics(w), rec_row, &x);
    if (sb.n)
        xbuf_put(b, sb.p, sb.n);
    free(sb.p);
    ana_metrics_hist_rows(sim_world_metrics(w), rec_hist, &x);
    if (x.h_name)
        xbuf_put(b, "\n", 1);
    sim_world_free(w);
}
/* ---- the journal -------------------------------------------------------- */

static int cmp_key(const void *a, const void *b)
{
    return memcmp(*(const unsigned char *const *)a,
                  *(const unsigned char *const *)b, KEY_BYTES);
}

static void rec_hash(const char *p, size_t n, char hex[33])
{
    unsigned char h[CRY_HASH_BYTES];
    cry_hash(h, p, n);
    cry_hex(hex, h, 16);
}

/* Parses "K <hex>" at the start of a payload. */
int sweep_payload_key(const char *p, size_t n, unsigned char *key)
{
    if (n < 2 + 2 * KEY_BYTES + 1 || p[0] != 'K' || p[1] != ' ')
        return -1;
    /* by hand: sscanf would measure the whole rest of the journal */
    for (size_t i = 0; i < 2 * KEY_BYTES; i++) {
        char c = p[2 + i];
        int v = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            key[i / 2] = (unsigned char)(v << 4);
        else
            key[i / 2] |= (unsigned char)v;
    }
    return 0;
}

/* The record at pos of a journal's bytes: 0 with the payload's offset,
 * length and key, or -1 if there is none or it is damaged. */
static int journal_rec(const char *data, size_t len, size_t pos,
                       size_t *off, size_t *n, unsigned char *key)
{
    const char *nl = memchr(data + pos, '\n', len - pos);
    char *end, hex[33];
    unsigned long long v;

    if (!nl || data[pos] != '@' || data[pos + 1] < '0' ||
        data[pos + 1] > '9')
        return -1;
    v = strtoull(data + pos + 1, &end, 10);
    if (*end != ' ' || nl - end != 33 || v > MAX_RECORD ||
        v > len - (size_t)(nl + 1 - data))
        return -1;
    rec_hash(nl + 1, (size_t)v, hex);
    if (memcmp(hex, end + 1, 32) != 0 ||
        sweep_payload_key(nl + 1, (size_t)v, key) != 0)
        return -1;
    *off = (size_t)(nl + 1 - data);
    *n = (size_t)v;
    return 0;
}

/* Opens (creating) DIR/sweep.journal, indexes its records against the
 * points, and cuts a torn tail.  0, or -1 with a message; *locked says
 * whether this call holds the journal's lock (if not, the journal may be
 * another sweep's and is not to be touched). */
int sweep_journal_open(sim_sweep *s, int *locked, char *err, size_t errlen)
{
    char *path = xmalloc(strlen(s->dir) + 32), q[512];
    unsigned char **order = NULL;
    char *data = NULL;
    struct stat st;
    size_t len = 0, pos, good;
    int rc = -1;

    *locked = 0;
    sprintf(path, "%s/sweep.journal", s->dir);
    sim_units_quote_path(q, sizeof q, path);   /* for messages */
    s->jfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (s->jfd < 0 || fstat(s->jfd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open: %s", q, strerror(errno));
        goto out;
    }
    if (flock(s->jfd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "%s: %s", q, errno == EWOULDBLOCK
                 ? "another kmsim sweep is using this directory (wait for "
                   "it, or choose another --out)"
                 : strerror(errno));
        goto out;
    }
    *locked = 1;
    len = (size_t)st.st_size;
    data = xmalloc(len + 1);
    if (len && (pread(s->jfd, data, len, 0) != (ssize_t)len)) {
        snprintf(err, errlen, "%s: cannot read: %s", q, strerror(errno));
        goto out;
    }
    data[len] = '\0';
    /* A journal cut short inside its first line (the disk filled while it
     * was being created) holds no record: start it again. */
    if (len > 0 && len < strlen(JOURNAL_MAGIC) &&
        memcmp(data, JOURNAL_MAGIC, len) == 0) {
        if (ftruncate(s->jfd, 0) != 0) {
            snprintf(err, errlen, "%s: cannot truncate: %s", q,
                     strerror(errno));
            goto out;
        }
        len = 0;
    }
    if (len == 0) {
        if (pwrite(s->jfd, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC), 0) !=
                (ssize_t)strlen(JOURNAL_MAGIC) ||
            fdatasync(s->jfd) != 0) {
            snprintf(err, errlen, "%s: cannot write: %s", q,
                     strerror(errno));
            /* a torn first line is started again by the next run */
            (void)!ftruncate(s->jfd, 0);
            goto out;
        }
        rc = 0;
        goto out;
    }
    if (len < strlen(JOURNAL_MAGIC) ||
        memcmp(data, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0) {
        snprintf(err, errlen, "%s: not a kmsim sweep journal (remove it or "
                 "choose another --out)", q);
        goto out;
    }
    /* the points sorted by key, to find each record's point */
    order = xmalloc((s->n_points ? s->n_points : 1) * sizeof *order);
    for (size_t i = 0; i < s->n_points; i++)
        order[i] = s->keys + i * KEY_BYTES;
    qsort(order, s->n_points, sizeof *order, cmp_key);
    good = pos = strlen(JOURNAL_MAGIC);
    while (pos < len) {
        size_t off, n, at;
        unsigned char key[KEY_BYTES], *kp = key, **hit;

        if (journal_rec(data, len, pos, &off, &n, key) != 0) {
            /* damaged here: the next valid record after it, if any (a
             * torn tail has none and is cut below) */
            for (at = pos + 1; at < len; at++) {
                char *c = memchr(data + at, '@', len - at);
                if (!c) {
                    at = len;
                    break;
                }
                at = (size_t)(c - data);
                if (data[at - 1] == '\n' &&
                    journal_rec(data, len, at, &off, &n, key) == 0)
                    break;
            }
            if (at >= len)
                break;
            fprintf(stderr, "kmsim: %s: skipping %zu damaged bytes at "
                    "offset %zu\n", q, at - pos, pos);
            pos = at;
        }
        hit = bsearch(&kp, order, s->n_points, sizeof *order, cmp_key);
        if (hit) {
            size_t idx = (size_t)(*hit - s->keys) / KEY_BYTES;
            if (s->done[idx].len == 0) {
                s->done[idx].off = (off_t)off;
                s->done[idx].len = n;
            }
        }
        pos = off + n;
        good = pos;
    }
    if (good < len) {
        fprintf(stderr, "kmsim: %s: dropping an incomplete record at its "
                "end (%zu bytes; the sweep was interrupted while writing)\n",
                q, len - good);
        if (ftruncate(s->jfd, (off_t)good) != 0) {
            snprintf(err, errlen, "%s: cannot truncate: %s", q,
                     strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    if (rc == 0 && lseek(s->jfd, 0, SEEK_END) < 0) {
        snprintf(err, errlen, "%s: cannot seek: %s", q, strerror(errno));
        rc = -1;
    }
    free(order);
    free(data);
    free(path);
    return rc;
}

/* Appends point idx's record durably. */
int sweep_journal_append(sim_sweep *s, size_t idx, const char *p, size_t n,
                         char *err, size_t errlen)
{
    char head[64], hex[33];
    off_t at = lseek(s->jfd, 0, SEEK_END);
    xbuf b = {NULL, 0, 0};
    int hl;

    rec_hash(p, n, hex);
    hl = snprintf(head, sizeof head, "@%zu %s\n", n, hex);
    xbuf_put(&b, head, (size_t)hl);
    xbuf_put(&b, p, n);
    if (at < 0 || sweep_write_all(s->jfd, b.p, b.n) != 0 ||
        fdatasync(s->jfd) != 0) {
        int e = errno;
        /* Cut what part of the record went in (a full disk, a file size
         * limit): the journal stays a sequence of whole records. */
        if (at >= 0 && ftruncate(s->jfd, at) == 0)
            (void)fdatasync(s->jfd);
        snprintf(err, errlen, "%s/sweep.journal: cannot write: %s (%zu of "
                 "%zu points are in the journal; run the same command again "
                 "to resume)", s->qdir, strerror(e), s->n_skipped + s->n_done,
                 s->n_sel);
        free(b.p);
        return -1;
    }
    free(b.p);
    s->done[idx].off = at + hl;
    s->done[idx].len = n;
    return 0;
}

