/* sweep.c — kmsim sweep: expansion, the journal, worker processes (and
 * MPI ranks), and the result files.
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

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif

#define KEY_BYTES 16
#define JOURNAL_MAGIC "kmsim-sweep-journal 1\n"
#define MAX_RECORD ((size_t)1 << 30)

typedef struct config {
    char **ovr;              /* "path=value": the --sets, then the axes  */
    char **labels;           /* per override: NULL (--set) or its label  */
    size_t n_ovr;
    const char *protocol;    /* NULL: protocol.name                       */
    const char *proto_name;  /* the protocol run (for --list, --where)    */
    size_t *vi;              /* per axis: index of its value              */
    uint64_t seed;
    uint32_t reps;
    size_t first;            /* its first point                           */
} config;

typedef struct rec_loc {     /* a record of the journal */
    off_t off;               /* of the payload                            */
    size_t len;
} rec_loc;

struct sim_sweep {
    const sim_sweep_opts *o;
    char *name;
    size_t n_axes;
    scn_axis *axes;
    size_t n_configs;
    config *cfgs;
    size_t n_points;
    unsigned char *keys;     /* KEY_BYTES per point                       */
    unsigned char *sel;      /* per point: selected                       */
    rec_loc *done;           /* per point: its record (len 0: none)       */
    char *dir;
    char qdir[512];          /* dir for messages (sim_units_quote_path)   */
    /* run state */
    int lfd;                 /* holds --out's lock (sim_run_lock), or -1 */
    int jfd;
    size_t n_sel, n_skipped, n_done, n_failed;
    size_t n_ranks, n_remote;  /* MPI: ranks; points run on ranks > 0    */
    int interrupted;
    /* the worker's cache: the configuration last loaded */
    size_t cached;
    scenario *csc;
};

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
static char *field_end(char *s)
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

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *p, size_t n)
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
static int read_all(int fd, void *p, size_t n)
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

static scenario *config_load(const sim_sweep *s, const config *c, char *err,
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
    sc = config_load(s, c, err, errlen);
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

static void point_record(sim_sweep *s, size_t idx, xbuf *b)
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
        s->csc = config_load(s, &s->cfgs[pt.config], err, sizeof err);
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

/* ---- local worker processes --------------------------------------------- */

typedef struct slot {
    pid_t pid;               /* 0: none                                   */
    int fd;
    size_t point;            /* SIZE_MAX: idle                            */
#ifdef KMSIM_MPI
    int rank;                /* > 0: a remote rank, not a process         */
#endif
} slot;

static void worker_loop(sim_sweep *s, int fd)
{
    xbuf b = {NULL, 0, 0};

    for (;;) {
        uint64_t idx, len;
        if (read_all(fd, &idx, sizeof idx) != 1 || idx >= s->n_points)
            break;
        point_record(s, (size_t)idx, &b);
        len = b.n;
        if (write_all(fd, &len, sizeof len) != 0 ||
            write_all(fd, b.p, b.n) != 0)
            break;
    }
    free(b.p);
}

/* Starts a worker in slot k (closing, in the child, every other slot's
 * descriptor so a worker sees the end of its own socket).  0 or -1. */
static int slot_spawn(sim_sweep *s, slot *slots, size_t n, size_t k)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        close(sv[0]);
        for (size_t i = 0; i < n; i++)
            if (slots[i].pid > 0)
                close(slots[i].fd);
        if (s->jfd >= 0)
            close(s->jfd);
        if (s->lfd >= 0)
            close(s->lfd);
        worker_loop(s, sv[1]);
        close(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    slots[k].pid = pid;
    slots[k].fd = sv[0];
    slots[k].point = SIZE_MAX;
    return 0;
}

static void slot_stop(slot *sl, int sig)
{
    if (sl->pid <= 0)
        return;
    close(sl->fd);
    if (sig)
        kill(sl->pid, sig);
    while (waitpid(sl->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    sl->pid = 0;
    sl->fd = -1;
}

/* Why a worker ended, as one phrase. */
static void death_text(pid_t pid, char *out, size_t len)
{
    int st = 0;
    pid_t r;

    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        snprintf(out, len, "worker lost");
    else if (WIFSIGNALED(st))
        snprintf(out, len, "worker killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else
        snprintf(out, len, "worker exited with status %d",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
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
static int payload_key(const char *p, size_t n, unsigned char *key)
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
        payload_key(nl + 1, (size_t)v, key) != 0)
        return -1;
    *off = (size_t)(nl + 1 - data);
    *n = (size_t)v;
    return 0;
}

/* Opens (creating) DIR/sweep.journal, indexes its records against the
 * points, and cuts a torn tail.  0, or -1 with a message; *locked says
 * whether this call holds the journal's lock (if not, the journal may be
 * another sweep's and is not to be touched). */
static int journal_open(sim_sweep *s, int *locked, char *err, size_t errlen)
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
static int journal_append(sim_sweep *s, size_t idx, const char *p, size_t n,
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
    if (at < 0 || write_all(s->jfd, b.p, b.n) != 0 ||
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

/* ---- the coordinator ---------------------------------------------------- */

static void point_label(const sim_sweep *s, size_t idx, char *out,
                        size_t len)
{
    sim_sweep_point pt;
    size_t used;

    sim_sweep_point_info(s, idx, &pt);
    used = (size_t)snprintf(out, len, "point %zu (protocol=%s", idx,
                            pt.protocol);
    for (size_t j = 0; j < s->n_axes && used < len; j++)
        if (!s->axes[j].is_protocol)
            used += (size_t)snprintf(out + used, len - used, " %s=%s",
                                     s->axes[j].path,
                                     s->axes[j].values[s->cfgs[pt.config]
                                                           .vi[j]]);
    if (used < len)
        snprintf(out + used, len - used, ", replication %u)", pt.replication);
}

static void progress(const sim_sweep *s, double t0, int final)
{
    size_t fin = s->n_done + s->n_failed, left = s->n_sel - s->n_skipped - fin;
    double dt = wall_now() - t0, rate = dt > 0 ? fin / dt : 0;

    if (final) {
        fprintf(stderr, "\r\033[K");
        return;
    }
    fprintf(stderr, "\r\033[Ksweep %zu/%zu points  %.2f points/s", 
            s->n_skipped + fin, s->n_sel, rate);
    if (rate > 0)
        fprintf(stderr, "  ETA %.0f s", left / rate);
    if (s->n_failed)
        fprintf(stderr, "  %zu failed", s->n_failed);
}

/* 1 once SIGINT/SIGTERM asked the sweep to stop. */
static int stopping(const sim_sweep *s)
{
    return s->o->stop && *s->o->stop;
}

/* A record arrived for point idx. */
static int on_record(sim_sweep *s, size_t idx, const char *p, size_t n,
                     char *err, size_t errlen)
{
    char label[512];

    if (n >= 2 && p[0] == 'F' && p[1] == ' ') {
        /* A worker that got the same SIGINT/SIGTERM (the terminal's
         * process group) reports its point interrupted: not a failure,
         * the point just is not done. */
        if (stopping(s))
            return 0;
        point_label(s, idx, label, sizeof label);
        fprintf(stderr, "kmsim: %s failed: %.*s", label, (int)(n - 2), p + 2);
        if (p[n - 1] != '\n')
            fputc('\n', stderr);
        s->n_failed++;
        return 0;
    }
    if (journal_append(s, idx, p, n, err, errlen) != 0)
        return -1;
    s->n_done++;
    return 0;
}

static void on_death(sim_sweep *s, slot *sl)
{
    char why[128], label[512];

    death_text(sl->pid, why, sizeof why);
    close(sl->fd);
    sl->pid = 0;
    sl->fd = -1;
    if (sl->point != SIZE_MAX && stopping(s)) {
        sl->point = SIZE_MAX;    /* killed by the same signal: not done */
    } else if (sl->point != SIZE_MAX) {
        point_label(s, sl->point, label, sizeof label);
        fprintf(stderr, "kmsim: %s failed: %s\n", label, why);
        s->n_failed++;
        sl->point = SIZE_MAX;
    }
}

#ifdef KMSIM_MPI
enum { TAG_POINT = 1, TAG_RECORD = 2 };

static int mpi_size(void)
{
    int init = 0, n = 1;
    MPI_Initialized(&init);
    if (init)
        MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}
#endif

/* Runs the selected points not yet done.  0, or -1 on an I/O error. */
static int coordinate(sim_sweep *s, char *err, size_t errlen)
{
    const sim_sweep_opts *o = s->o;
    size_t n_local = o->jobs ? o->jobs : 1, n_slots = n_local, next = 0;
    size_t todo = 0;
    slot *slots;
    xbuf b = {NULL, 0, 0};
    double t0 = wall_now(), last = 0;
    int rc = 0, remote = 0;

    for (size_t i = 0; i < s->n_points; i++)
        todo += s->sel[i] && s->done[i].len == 0;
    if (todo < n_local)
        n_local = n_slots = todo;
#ifdef KMSIM_MPI
    remote = mpi_size() - 1;
    n_slots += (size_t)remote;
    s->n_ranks = (size_t)remote + 1;
#endif
    slots = xcalloc(n_slots ? n_slots : 1, sizeof *slots);
    for (size_t k = 0; k < n_slots; k++) {
        slots[k].point = SIZE_MAX;
        slots[k].fd = -1;
#ifdef KMSIM_MPI
        if (k >= n_local)
            slots[k].rank = (int)(k - n_local) + 1;
#endif
    }
    for (;;) {
        struct pollfd *pf;
        size_t busy = 0, np = 0;

        if (o->stop && *o->stop) {
            s->interrupted = 1;
            break;
        }
        /* hand out points to idle slots */
        for (size_t k = 0; k < n_slots; k++) {
            uint64_t idx;
            if (slots[k].point != SIZE_MAX) {
                busy++;
                continue;
            }
            while (next < s->n_points &&
                   (!s->sel[next] || s->done[next].len))
                next++;
            if (next == s->n_points || (o->fail_fast && s->n_failed))
                continue;
            idx = next;
#ifdef KMSIM_MPI
            if (slots[k].rank > 0) {
                MPI_Send(&idx, 1, MPI_UINT64_T, slots[k].rank, TAG_POINT,
                         MPI_COMM_WORLD);
                slots[k].point = next++;
                busy++;
                continue;
            }
#endif
            if (slots[k].pid <= 0 && slot_spawn(s, slots, n_slots, k) != 0) {
                snprintf(err, errlen, "cannot start a worker: %s",
                         strerror(errno));
                rc = -1;
                goto out;
            }
            if (write_all(slots[k].fd, &idx, sizeof idx) != 0) {
                on_death(s, &slots[k]);
                continue;         /* the point is retried by a new worker */
            }
            slots[k].point = next++;
            busy++;
        }
        if (busy == 0)
            break;
        pf = xcalloc(n_slots, sizeof *pf);
        for (size_t k = 0; k < n_local; k++)
            if (slots[k].point != SIZE_MAX) {
                pf[np].fd = slots[k].fd;
                pf[np].events = POLLIN;
                np++;
            }
        /* Bounded even without a progress line: a signal that lands
         * between the stop check above and poll() is seen within 250 ms
         * instead of when the next point ends. */
        if (poll(pf, np, remote ? 2 : 250) < 0 &&
            errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            free(pf);
            rc = -1;
            goto out;
        }
        free(pf);
        for (size_t k = 0; k < n_local; k++) {
            struct pollfd q = {slots[k].fd, POLLIN, 0};
            uint64_t len;
            int r;

            if (slots[k].point == SIZE_MAX || poll(&q, 1, 0) <= 0)
                continue;
            r = read_all(slots[k].fd, &len, sizeof len);
            if (r == 1 && len <= MAX_RECORD) {
                if (len + 1 > b.cap) {
                    b.cap = len + 1;
                    b.p = xrealloc(b.p, b.cap);
                }
                r = len ? read_all(slots[k].fd, b.p, len) : 1;
            } else {
                r = -1;
            }
            if (r != 1) {
                on_death(s, &slots[k]);
                continue;
            }
            if (on_record(s, slots[k].point, b.p, len, err, errlen) != 0) {
                rc = -1;
                goto out;
            }
            slots[k].point = SIZE_MAX;
        }
#ifdef KMSIM_MPI
        for (;;) {
            int flag = 0, count;
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_RECORD, MPI_COMM_WORLD, &flag,
                       &st);
            if (!flag)
                break;
            MPI_Get_count(&st, MPI_CHAR, &count);
            if ((size_t)count + 1 > b.cap) {
                b.cap = (size_t)count + 1;
                b.p = xrealloc(b.p, b.cap);
            }
            MPI_Recv(b.p, count, MPI_CHAR, st.MPI_SOURCE, TAG_RECORD,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            for (size_t k = n_local; k < n_slots; k++)
                if (slots[k].rank == st.MPI_SOURCE &&
                    slots[k].point != SIZE_MAX) {
                    if (on_record(s, slots[k].point, b.p, (size_t)count, err,
                                  errlen) != 0) {
                        rc = -1;
                        goto out;
                    }
                    s->n_remote++;
                    slots[k].point = SIZE_MAX;
                }
        }
#endif
        if (o->progress && wall_now() - last >= 0.25) {
            progress(s, t0, 0);
            last = wall_now();
        }
    }
out:
    if (o->progress)
        progress(s, t0, 1);
    for (size_t k = 0; k < n_local; k++)
        slot_stop(&slots[k], s->interrupted || rc ? SIGKILL : 0);
#ifdef KMSIM_MPI
    /* every remote rank: finish its point (dropped if interrupted), then
     * the stop message */
    for (size_t k = n_local; k < n_slots; k++) {
        uint64_t stop = UINT64_MAX;
        if (slots[k].point != SIZE_MAX) {
            MPI_Status st;
            int count;
            MPI_Probe(slots[k].rank, TAG_RECORD, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_CHAR, &count);
            if ((size_t)count + 1 > b.cap) {
                b.cap = (size_t)count + 1;
                b.p = xrealloc(b.p, b.cap);
            }
            MPI_Recv(b.p, count, MPI_CHAR, slots[k].rank, TAG_RECORD,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (rc == 0 && !s->interrupted) {
                if (on_record(s, slots[k].point, b.p, (size_t)count, err,
                              errlen) != 0)
                    rc = -1;
                s->n_remote++;
            }
        }
        MPI_Send(&stop, 1, MPI_UINT64_T, slots[k].rank, TAG_POINT,
                 MPI_COMM_WORLD);
    }
#endif
    free(slots);
    free(b.p);
    return rc;
}

#ifdef KMSIM_MPI
/* A rank other than 0: runs the points it is sent in a local worker
 * process and sends each record back, until the stop message. */
static void serve(sim_sweep *s)
{
    slot sl = {0, -1, SIZE_MAX, 0};
    xbuf b = {NULL, 0, 0};

    for (;;) {
        uint64_t idx, len;
        int r;
        MPI_Recv(&idx, 1, MPI_UINT64_T, 0, TAG_POINT, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (idx >= s->n_points)
            break;
        b.n = 0;
        if (sl.pid <= 0 && slot_spawn(s, &sl, 1, 0) != 0) {
            xbuf_printf(&b, "F cannot start a worker: %s\n", strerror(errno));
        } else if (write_all(sl.fd, &idx, sizeof idx) != 0 ||
                   (r = read_all(sl.fd, &len, sizeof len)) != 1 ||
                   len > MAX_RECORD) {
            char why[128];
            death_text(sl.pid, why, sizeof why);
            close(sl.fd);
            sl.pid = 0;
            xbuf_printf(&b, "F %s\n", why);
        } else {
            if (len + 1 > b.cap) {
                b.cap = len + 1;
                b.p = xrealloc(b.p, b.cap);
            }
            if (len && read_all(sl.fd, b.p, len) != 1) {
                char why[128];
                death_text(sl.pid, why, sizeof why);
                close(sl.fd);
                sl.pid = 0;
                b.n = 0;
                xbuf_printf(&b, "F %s\n", why);
            } else {
                b.n = len;
            }
        }
        MPI_Send(b.p ? b.p : "", (int)b.n, MPI_CHAR, 0, TAG_RECORD,
                 MPI_COMM_WORLD);
    }
    slot_stop(&sl, 0);
    free(b.p);
}
#endif

/* ---- the result files --------------------------------------------------- */

/* Parses a record and writes its rows; adds its values to res and its
 * histogram buckets to hists. */
static int emit_point(const sim_sweep *s, size_t idx, const scenario *sc,
                      const char *hash, char *p, ana_csv *runs,
                      ana_csv *reps, ana_csv *series, ana_results *res,
                      ana_hists *hists, size_t *rows)
{
    char *line = strchr(p, '\n'), *q, fp[2 * CRY_HASH_BYTES + 1];
    unsigned char key[KEY_BYTES];
    unsigned rep;
    unsigned long long seed, events;
    double end_s;

    if (!line || payload_key(p, (size_t)(line + 1 - p), key) != 0 ||
        memcmp(key, s->keys + idx * KEY_BYTES, KEY_BYTES) != 0 ||
        sscanf(line + 1, "R %u %llu %llu %lf %64s", &rep, &seed, &events,
               &end_s, fp) != 5)
        return -1;
    sim_run_reps_row(reps, sc, hash, rep, seed, events, end_s, fp);
    q = strchr(line + 1, '\n');
    while (q && q[1] == 'M' && q[2] == ' ') {
        char *name = q + 3, *entity, *unit, *val, *next;
        double v;
        entity = field_end(name);
        unit = entity ? field_end(entity) : NULL;
        val = unit ? field_end(unit) : NULL;
        if (!val)
            return -1;
        v = strtod(val, &next);
        if (next == val || (*next != '\n' && *next != '\0'))
            return -1;
        sim_run_runs_row(runs, sc, hash, rep, seed, name, entity, unit, v);
        ana_results_add(res, rep, name, entity, unit, v);
        (*rows)++;
        q = *next ? next : NULL;
    }
    while (q && q[1] == 'S' && q[2] == ' ') {   /* --series */
        char *f = q + 3, *name, *entity, *unit, *stat, *val, *next;
        long long t0, t1;
        double v;

        t0 = strtoll(f, &next, 10);
        if (next == f || *next != ' ')
            return -1;
        f = next + 1;
        t1 = strtoll(f, &next, 10);
        if (next == f || *next != ' ')
            return -1;
        name = next + 1;
        entity = field_end(name);
        unit = entity ? field_end(entity) : NULL;
        stat = unit ? field_end(unit) : NULL;
        val = stat ? field_end(stat) : NULL;
        if (!val)
            return -1;
        v = strtod(val, &next);
        if (next == val || (*next != '\n' && *next != '\0'))
            return -1;
        if (series)
            sim_run_series_row(series, sc, hash, rep, seed, t0, t1, name,
                               entity, unit, stat, v);
        q = *next ? next : NULL;
    }
    while (q && q[1] == 'H' && q[2] == ' ') {
        char *name = q + 3, *entity, *unit, *val, *next;
        unsigned long long bucket;
        double c;
        entity = field_end(name);
        unit = entity ? field_end(entity) : NULL;
        val = unit ? field_end(unit) : NULL;
        if (!val)
            return -1;
        for (;;) {                  /* "bucket count" pairs */
            if (*val < '0' || *val > '9')
                return -1;
            bucket = strtoull(val, &next, 10);
            if (*next != ' ')
                return -1;
            val = next + 1;
            c = strtod(val, &next);
            if (next == val || bucket >= ANA_HIST_BUCKETS ||
                ana_hists_add(hists, name, entity, unit, (size_t)bucket,
                              c) != 0)
                return -1;
            if (*next != ' ')
                break;
            val = next + 1;
        }
        if (*next != '\n' && *next != '\0')
            return -1;
        q = *next ? next : NULL;
    }
    return 0;
}

/* The health warnings (health.h) of configuration ci, over the
 * replications in res, prefixed by its swept values (kmsim extension). */
static void config_health(sim_sweep *s, size_t ci, const ana_results *res)
{
    const config *c = &s->cfgs[ci];
    char what[512];
    size_t n;
    int nw;

    n = (size_t)snprintf(what, sizeof what, "configuration %zu", ci);
    for (size_t i = 0, k = 0; i < c->n_ovr && n < sizeof what; i++)
        if (c->labels[i])
            n += (size_t)snprintf(what + n, sizeof what - n, "%s%s",
                                  k++ ? ", " : " (", c->ovr[i]);
    if (strchr(what, '(') && n < sizeof what - 1)
        snprintf(what + n, sizeof what - n, ")");
    nw = sim_health_warn(res, what, stderr);
    if (s->o->warnings)
        *s->o->warnings += nw;
}

/* Writes runs.csv, summary.csv and replications.csv of every point of the
 * expansion found in the journal, in point order. */
static int write_results(sim_sweep *s, size_t *rows_out, char *err,
                         size_t errlen)
{
    char *p_runs, *p_sum, *p_reps, *p_ser, *p_hist;
    ana_csv *runs = NULL, *sum = NULL, *reps = NULL, *prov = NULL;
    ana_csv *ser = NULL;      /* --series */
    ana_csv *hist = NULL;
    size_t dlen = strlen(s->dir) + 32, rows = 0;
    int rc = -1;

    p_runs = xmalloc(dlen);
    p_sum = xmalloc(dlen);
    p_reps = xmalloc(dlen);
    p_hist = xmalloc(dlen);
    snprintf(p_hist, dlen, "%s/histograms.csv", s->dir);
    snprintf(p_runs, dlen, "%s/runs.csv", s->dir);
    snprintf(p_sum, dlen, "%s/summary.csv", s->dir);
    snprintf(p_reps, dlen, "%s/replications.csv", s->dir);
    p_ser = xmalloc(dlen);
    snprintf(p_ser, dlen, "%s/series.csv", s->dir);
    runs = ana_csv_open(p_runs, err, errlen);
    sum = runs ? ana_csv_open(p_sum, err, errlen) : NULL;
    reps = sum ? ana_csv_open(p_reps, err, errlen) : NULL;
    hist = reps ? ana_csv_open(p_hist, err, errlen) : NULL;
    if (!hist)
        goto out;
    if (s->o->series > 0 && !(ser = ana_csv_open(p_ser, err, errlen)))
        goto out;
    if (s->o->argv) {      /* run.yaml: the command line, file, --set, --vary */
        const sim_sweep_opts *o = s->o;
        sim_prov p = {o->argc, o->argv, o->file, o->sets, o->n_sets,
                      o->varies, o->n_varies, 0, NULL, 0, 0, NULL};
        static const char *const none[1] = {NULL};

        if (!p.varies)
            p.varies = none;  /* an empty `vary:` list: this is a sweep */
        prov = sim_prov_open(s->dir, &p, err, errlen);
        if (!prov)
            goto out;
    }
    for (size_t ci = 0; ci < s->n_configs; ci++) {
        const config *c = &s->cfgs[ci];
        char hash[2 * CRY_HASH_BYTES + 1];
        ana_results *res;
        ana_hists *hists;
        scenario *sc;
        size_t have = 0;

        for (uint32_t r = 0; r < c->reps; r++)
            have += s->done[c->first + r].len != 0;
        if (have == 0 && ci != 0)
            continue;
        sc = config_load(s, c, err, errlen);
        if (!sc)
            goto out;
        if (ci == 0) {     /* every configuration has the same columns */
            sim_run_csv_header(runs, sc, SIM_RUN_CSV_RUNS);
            sim_run_csv_header(sum, sc, SIM_RUN_CSV_SUMMARY);
            sim_run_csv_header(reps, sc, SIM_RUN_CSV_REPLICATIONS);
            if (ser)
                sim_run_series_header(ser, sc);
            sim_run_csv_header(hist, sc, SIM_RUN_CSV_HISTOGRAMS);
        }
        cry_hex(hash, sc->hash, CRY_HASH_BYTES);
        res = ana_results_new();
        hists = ana_hists_new();
        for (uint32_t r = 0; r < c->reps; r++) {
            const rec_loc *l = &s->done[c->first + r];
            char *p;
            if (l->len == 0)
                continue;
            p = xmalloc(l->len + 1);
            if (pread(s->jfd, p, l->len, l->off) != (ssize_t)l->len) {
                snprintf(err, errlen, "%s/sweep.journal: cannot read: %s",
                         s->qdir, strerror(errno));
                free(p);
                ana_results_free(res);
                ana_hists_free(hists);
                scn_free(sc);
                goto out;
            }
            p[l->len] = '\0';
            if (emit_point(s, c->first + r, sc, hash, p, runs, reps, ser,
                           res, hists, &rows) != 0) {
                snprintf(err, errlen, "%s/sweep.journal: a damaged record "
                         "(point %zu); remove the journal and rerun",
                         s->qdir, (size_t)(c->first + r));
                free(p);
                ana_results_free(res);
                ana_hists_free(hists);
                scn_free(sc);
                goto out;
            }
            free(p);
        }
        sim_run_hist_rows(hist, sc, hash, hists, NULL);
        ana_hists_free(hists);
        if (have) {
            sim_run_summary_rows(sum, sc, hash, res, (uint32_t)have, NULL);
            config_health(s, ci, res);
        }
        ana_results_free(res);
        scn_free(sc);
    }
    if (ana_csv_seal(runs, err, errlen) != 0 ||
        ana_csv_seal(sum, err, errlen) != 0 ||
        ana_csv_seal(reps, err, errlen) != 0 ||
        (ser && ana_csv_seal(ser, err, errlen) != 0) ||
        ana_csv_seal(hist, err, errlen) != 0 ||
        (prov && ana_csv_seal(prov, err, errlen) != 0))
        goto out;
    if (stopping(s)) {
        snprintf(err, errlen, "interrupted while writing the results; the "
                 "points are in %s/sweep.journal: run the same command again "
                 "to write them", s->qdir);
        goto out;
    }
    rc = ana_csv_commit(runs, err, errlen);
    runs = NULL;
    rc |= ana_csv_commit(sum, err, errlen);
    sum = NULL;
    rc |= ana_csv_commit(reps, err, errlen);
    reps = NULL;
    if (ser) {
        rc |= ana_csv_commit(ser, err, errlen);
        ser = NULL;
    } else if (remove(p_ser) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove stale file: %s", p_ser,
                 strerror(errno));   /* of an earlier --series sweep */
        rc = -1;
    }
    rc |= ana_csv_commit(hist, err, errlen);
    hist = NULL;
    if (prov)
        rc |= ana_csv_commit(prov, err, errlen);
    prov = NULL;
    *rows_out = rows;
out:
    ana_csv_abort(runs);
    ana_csv_abort(sum);
    ana_csv_abort(reps);
    ana_csv_abort(ser);
    ana_csv_abort(hist);
    ana_csv_abort(prov);
    free(p_runs);
    free(p_sum);
    free(p_reps);
    free(p_ser);
    free(p_hist);
    return rc ? -1 : 0;
}

static void list_points(const sim_sweep *s, FILE *out)
{
    static const char *const fixed[] = {"point", "config", "replication",
                                        "seed", "protocol"};

    fprintf(out, "point\tconfig\treplication\tseed\tprotocol");
    for (size_t j = 0; j < s->n_axes; j++) {
        int taken = 0;
        if (s->axes[j].is_protocol)
            continue;
        for (size_t k = 0; k < ARRAY_LEN(fixed); k++)
            taken |= strcmp(fixed[k], s->axes[j].path) == 0;
        /* as in the CSVs (sim_run_param_col): no column twice */
        fprintf(out, "\t%s%s", taken ? "param." : "", s->axes[j].path);
    }
    fputc('\n', out);
    for (size_t i = 0; i < s->n_points; i++) {
        sim_sweep_point pt;
        if (!s->sel[i])
            continue;
        sim_sweep_point_info(s, i, &pt);
        fprintf(out, "%zu\t%zu\t%u\t%llu\t%s", i, pt.config, pt.replication,
                (unsigned long long)pt.seed, pt.protocol);
        for (size_t j = 0; j < s->n_axes; j++)
            if (!s->axes[j].is_protocol)
                fprintf(out, "\t%s",
                        s->axes[j].values[s->cfgs[pt.config].vi[j]]);
        fputc('\n', out);
    }
}

#ifdef KMSIM_MPI
/* Tells every other rank to stop (rank 0 failed before coordinating). */
static void release_ranks(void)
{
    uint64_t stop = UINT64_MAX;
    int n = mpi_size();

    for (int r = 1; r < n; r++)
        MPI_Send(&stop, 1, MPI_UINT64_T, r, TAG_POINT, MPI_COMM_WORLD);
}
#endif

int sim_sweep_run(sim_sweep *s, FILE *out, char *err, size_t errlen)
{
    const sim_sweep_opts *o = s->o;
    size_t made = 0, rows = 0;
    int locked = 0, busy;
    int rank = 0, coordinated = 0;

#ifdef KMSIM_MPI
    {
        int init = 0;
        MPI_Initialized(&init);
        if (init)
            MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    if (rank > 0) {
        if (!o->list)
            serve(s);
        return SIM_EXIT_OK;
    }
#endif
    if (o->list) {
        list_points(s, out);
        return SIM_EXIT_OK;
    }
    coordinated = 0;
    if (o->out_dir) {
        s->dir = xstrdup(o->out_dir);
    } else {
        s->dir = xmalloc(strlen(s->name) + 32);
        sprintf(s->dir, "results/%s-sweep", s->name);
    }
    sim_units_quote_path(s->qdir, sizeof s->qdir, s->dir);
    if (sim_run_mkdir(s->dir, &made) != 0) {
        sim_run_mkdir_error(s->dir, err, errlen);
        goto fail;
    }
    /* The lock run and compare take (kmsim extension): flock(2) on the
     * directory, so a run, a compare and a sweep exclude one another on
     * one --out.  Busy: the directory (even if this call made it) is the
     * other process's, and is left alone.  The journal is locked too (a
     * sweep of an older kmsim locks only the journal). */
    s->lfd = sim_run_lock(s->dir, &busy, err, errlen);
    if (s->lfd < 0) {
        if (!busy)
            sim_run_rmdir(s->dir, made);
        goto fail;
    }
    if (journal_open(s, &locked, err, errlen) != 0) {
        if (made) {
            /* The directory is this call's (it holds its lock), and so is
             * a journal it locked: it holds no record.  A journal this call
             * could not open (a path too long, no space) was never made;
             * one it could not lock is an older kmsim's, and stays. */
            if (locked) {
                char *jp = xmalloc(strlen(s->dir) + 32);
                sprintf(jp, "%s/sweep.journal", s->dir);
                unlink(jp);
                free(jp);
            }
            sim_run_rmdir(s->dir, made);
        }
        goto fail;
    }
    for (size_t i = 0; i < s->n_points; i++)
        s->n_skipped += s->sel[i] && s->done[i].len;
    if (s->n_skipped)
        fprintf(stderr, "kmsim: resuming %s/sweep.journal: %zu of %zu "
                "points already done\n", s->qdir, s->n_skipped, s->n_sel);
    coordinated = 1;
    if (coordinate(s, err, errlen) != 0)
        goto fail;
    if (stopping(s))              /* even after the last point: nothing */
        s->interrupted = 1;       /*   is put in place once stopped     */
    if (s->interrupted) {
        snprintf(err, errlen, "interrupted: %zu of %zu points are in %s/"
                 "sweep.journal; run the same command again to resume",
                 s->n_skipped + s->n_done, s->n_sel, s->qdir);
        goto fail;
    }
    if (write_results(s, &rows, err, errlen) != 0) {
        size_t n = strlen(err);
        if (!stopping(s) && n < errlen)
            snprintf(err + n, errlen - n, " (the points are kept in "
                     "%s/sweep.journal: run the same command again to write "
                     "them)", s->qdir);
        goto fail;
    }
    if (!o->quiet) {
        size_t notrun = s->n_sel - s->n_skipped - s->n_done - s->n_failed;
        fprintf(out, "sweep '%s': %zu configurations, %zu points; %zu "
                "selected: %zu done, %zu skipped (already in the journal), "
                "%zu failed", s->name, s->n_configs, s->n_points, s->n_sel,
                s->n_done, s->n_skipped, s->n_failed);
        if (notrun)
            fprintf(out, ", %zu not run (--fail-fast)", notrun);
        fputc('\n', out);
        if (s->n_ranks > 1)
            fprintf(out, "MPI: %zu ranks; %zu points run on ranks other than "
                    "0\n", s->n_ranks, s->n_remote);
        fprintf(out, "wrote %s/runs.csv (%zu rows)\n      %s/summary.csv\n"
                "      %s/replications.csv\n", s->dir, rows, s->dir, s->dir);
    }
    if (o->db) {
        /* --db (kmsim extension, issue 23): only this process writes the
         * database, once the files are in place and still under the
         * directory's lock; workers never open it */
        char e[1024];
        int r = sim_db_store(o->db, s->dir, o->stop, o->quiet ? NULL : out,
                             e, sizeof e);
        if (r != SIM_EXIT_OK) {
            snprintf(err, errlen, "%s (the results are in place; kmsim db "
                     "import stores them)", e);
            return r;
        }
    }
    if (s->n_failed) {
        snprintf(err, errlen, "%zu of %zu points failed (see above); every "
                 "finished point is written; rerunning runs the rest",
                 s->n_failed, s->n_sel);
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
fail:
#ifdef KMSIM_MPI
    if (!coordinated)
        release_ranks();
#endif
    (void)rank;
    (void)coordinated;
    return SIM_EXIT_FAIL;
}

int sim_sweep_main(const sim_sweep_opts *o, FILE *out, char *err, size_t errlen)
{
    sim_sweep *s = sim_sweep_expand(o, err, errlen);
    int rc;

    if (!s)
        return SIM_EXIT_INPUT;
    rc = sim_sweep_run(s, out, err, errlen);
    sim_sweep_free(s);
    return rc;
}
