/* compare.c — kmsim compare: runs one scenario under several protocols
 * (each with sim_run, its files deferred), puts every file in place only
 * when all have run, and prints the protocols' key metrics side by side.
 * The rows of that table are the one list below. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compare.h"
#include "csv.h"
#include "prov.h"
#include "metrics.h"
#include "stats.h"
#include "units.h"
#include "util.h"

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif

#define CELL 64     /* bytes of one table cell: "mean (half-width)" */

/* The rows of the table: network-wide metrics (entity ""), as they are
 * named in runs.csv and summary.csv (a SAMPLES metric's mean is
 * "<name>.mean"); the protocols' key management first.  Each row is
 * printed in the unit its metric is registered with (s and B scaled per
 * row to a readable one).  Extend here. */
static const char *const rows[] = {
    "key.setup.mean",               /* a source: until it can send        */
                                    /*   protected data to its SO         */
    "key.rekey.mean",               /* a key replacement round: start to  */
                                    /*   the last holder updated          */
    "storage.keys_per_node.mean",   /* keys (secret values) a node holds  */
    "storage.keys_per_node.max",
    "storage.bytes_per_node.mean",  /* their bytes in the scenario's key  */
    "storage.bytes_per_node.max",   /*   field sizes (differ per protocol) */
    "storage.source.time_avg.mean", /* over [warm-up, end]                */
    "storage.source.peak.max",
    "crypto.seal.per_node.mean",
    "crypto.open.per_node.mean",
    "crypto.hash.per_node.mean",
    "crypto.xor.per_node.mean",
    "crypto.kdf.per_node.mean",
    "crypto.concat.per_node.mean",
    "msgs.control",
    "link.bytes.control",
    "link.bytes.publish",
    "link.bytes.data",
    "delay.source_to_so.mean",
    "delay.source_to_so.delivered_fraction", /* what the mean is over */
    "delay.end_to_end.mean",
    "delay.end_to_end.delivered_fraction",
    "data.generated",
    "data.delivered",
    "net.rejected",
};

int sim_compare_list(const char *arg, const scn_proto_ops ***out, size_t *n,
                     char *err, size_t errlen)
{
    const scn_proto_ops **list;
    size_t cap = 1, k = 0;
    const char *p = arg;

    for (const char *c = arg; *c; c++)
        cap += *c == ',';
    list = xcalloc(cap, sizeof *list);
    for (;;) {
        size_t len = strcspn(p, ",");
        char name[64];
        const scn_proto_ops *ops = NULL;

        if (len == 0) {
            snprintf(err, errlen, "--protocols %s: empty protocol name",
                     arg);
            goto fail;
        }
        if (len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            ops = scn_proto_find(name);
        }
        if (!ops) {
            snprintf(err, errlen, "--protocols %s: unknown protocol '%.*s' "
                     "(known: %s)", arg, (int)(len < 64 ? len : 64), p,
                     scn_proto_names());
            goto fail;
        }
        for (size_t i = 0; i < k; i++)
            if (list[i] == ops) {
                snprintf(err, errlen, "--protocols %s: '%s' is listed "
                         "twice", arg, ops->name);
                goto fail;
            }
        list[k++] = ops;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *out = list;
    *n = k;
    return 0;
fail:
    free(list);
    *out = NULL;
    *n = 0;
    return -1;
}

/* "dir/name", malloc'd. */
static char *join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(len);

    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

/* Summary over the replications of network-wide metric `name`: 0, or -1
 * when absent or never finite. */
static int find_metric_in(const ana_results *r, const char *name,
                          const char *entity, ana_summary *out,
                          const char **unit)
{
    for (size_t i = 0; i < ana_results_nkeys(r); i++) {
        const char *n, *e, *u;
        const double *v;
        size_t cnt;

        ana_results_key(r, i, &n, &e, &u, &v, &cnt);
        if (strcmp(n, name) == 0 && strcmp(e, entity) == 0) {
            if (unit)
                *unit = u;
            return ana_summarize(v, cnt, 0.95, out);
        }
    }
    return -1;
}



/* The column and directory name of scs[i]: its protocol's name, followed
 * by "-as_published" or "-hardened" when the scenarios do not all run
 * the same defence profile (kmsim compare --defences both). */
static const char *col_name(const scenario *const *scs, size_t n, size_t i,
                            char buf[64])
{
    int mixed = 0;

    for (size_t j = 1; j < n; j++)
        mixed |= scs[j]->defences != scs[0]->defences;
    if (!mixed)
        return scs[i]->proto->name;
    snprintf(buf, 64, "%s-%s", scs[i]->proto->name,
             scs[i]->defences == SCN_DEF_HARDENED ? "hardened"
                                                  : "as_published");
    return buf;
}

/* The attackers' rows of the security table: "attack.<kind>.<what>" with
 * <what> one of these (per attacker, entity "attack:<i>"). */
static int security_row(const char *name)
{
    static const char *const what[] = {
        "payload.read", "ctl.read", "keys.learned", "links.exposed.at_capture",
        "links.exposed_clean.at_capture", "links.exposed.end",
        "traffic.readable.before", "traffic.readable.after",
        "exposure_window", "injected", "accepted", "rejected",
        "accepted.stolen_key", "accepted.made_up_key"};
    const char *p;

    if (strncmp(name, "attack.", 7) != 0 || !(p = strchr(name + 7, '.')))
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(what); i++)
        if (strcmp(p + 1, what[i]) == 0)
            return 1;
    return 0;
}

/* The widest table line (columns): protocol columns that do not fit go
 * to a further block of the same rows. */
#define TABLE_COLS 100

/* One row of a table: its label, its unit and its cells. */
typedef struct {
    char label[256];
    char unit[16];
    char (*cell)[CELL];          /* one per protocol */
} trow;

/* s left-aligned in w display columns. */
static void put_left(FILE *out, const char *s, size_t w)
{
    size_t c = sim_units_cols(s);

    fputs(s, out);
    for (; c < w; c++)
        fputc(' ', out);
}

/* x to 3 significant digits, without an exponent ("0.0565", "56.5",
 * "12300", "0"). */
static void sig3(char *buf, size_t len, double x)
{
    int d, dec;
    double q;

    if (!isfinite(x)) {
        snprintf(buf, len, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
        return;
    }
    if (x == 0) {
        snprintf(buf, len, "0");
        return;
    }
    d = (int)floor(log10(fabs(x)));
    q = pow(10, d - 2);
    x = round(x / q) * q;                    /* 3 significant digits */
    if (fabs(x) >= pow(10, d + 1))           /* 999.6 -> 1000        */
        d++;
    dec = d >= 2 ? 0 : 2 - d;
    if (dec > 20)
        dec = 20;
    snprintf(buf, len, "%.*f", dec, x);
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, len, "0");
}

/* The scale of a row whose largest |value| is a, in the registered unit
 * `unit`: its factor (value in SI / factor = shown) and shown unit.  Time
 * (s) becomes s, ms, µs or ns; size (B) B, KiB or MiB; others stay. */
static double row_scale(const char *unit, double a, const char **shown)
{
    *shown = unit;
    if (strcmp(unit, "s") == 0) {
        if (a == 0 || a >= 1)
            return 1;
        if (a >= 1e-3) {
            *shown = "ms";
            return 1e-3;
        }
        if (a >= 1e-6) {
            *shown = "\u00b5s";
            return 1e-6;
        }
        *shown = "ns";
        return 1e-9;
    }
    if (strcmp(unit, "B") == 0) {
        if (a >= 1024.0 * 1024) {
            *shown = "MiB";
            return 1024.0 * 1024;
        }
        if (a >= 1024) {
            *shown = "KiB";
            return 1024;
        }
    }
    return 1;
}

/* Fills row t for metric (name, entity) over the n protocols' results:
 * "mean (half-width)" in one unit chosen for the row, each to 3
 * significant digits; the half-width shown when n >= 2 and 0 when it is
 * rounding noise (below 1e-9 of the mean); "-" where a protocol has no
 * such metric.  Returns 0, or -1 when no protocol has it. */
static int fill_row(trow *t, const char *name, const char *entity, size_t n,
                    ana_results *const *res)
{
    ana_summary *s = xcalloc(n, sizeof *s);
    int *ok = xcalloc(n, sizeof *ok), any = 0;
    const char *unit = "", *shown;
    double a = 0, f;

    for (size_t i = 0; i < n; i++) {
        const char *u = NULL;

        ok[i] = find_metric_in(res[i], name, entity, &s[i], &u) == 0;
        if (!ok[i])
            continue;
        if (!any)
            unit = u;
        any = 1;
        if (isfinite(s[i].mean) && fabs(s[i].mean) > a)
            a = fabs(s[i].mean);
    }
    f = row_scale(unit, a, &shown);
    snprintf(t->unit, sizeof t->unit, "%s", strcmp(shown, "1") ? shown : "");
    for (size_t i = 0; i < n; i++) {
        char m[24], h[24];
        const char *dot;
        double hw;
        int dec;

        if (!ok[i]) {
            snprintf(t->cell[i], CELL, "-");
            continue;
        }
        sig3(m, sizeof m, s[i].mean / f);
        dot = strchr(m, '.');
        dec = dot ? (int)strlen(dot + 1) : 0;
        if (s[i].n < 2 || !isfinite(s[i].ci_lo) || !isfinite(s[i].ci_hi)) {
            snprintf(t->cell[i], CELL, "%s", m);
            continue;
        }
        hw = (s[i].ci_hi - s[i].ci_lo) / 2;
        if (hw <= 1e-9 * fabs(s[i].mean) || hw < 1e-15)
            hw = 0;                          /* rounding noise */
        sig3(h, sizeof h, hw / f);
        /* at most one decimal beyond the mean's: 0.0720 (0.0001) */
        dot = strchr(h, '.');
        if (dot && (int)strlen(dot + 1) > dec + 1) {
            snprintf(h, sizeof h, "%.*f", dec + 1, hw / f);
            if (strtod(h, NULL) == 0)
                snprintf(h, sizeof h, "0");
        }
        snprintf(t->cell[i], CELL, "%s (%s)", m, h);
    }
    free(s);
    free(ok);
    return any ? 0 : -1;
}

/* Prints rows t[0..nr) under `head` with one column per protocol, in
 * blocks of as many protocol columns as fit in TABLE_COLS. */
static void print_rows(FILE *out, const char *head, const trow *t, size_t nr,
                       const scenario *const *scs, size_t n)
{
    size_t wm = sim_units_cols(head), wu = strlen("unit");
    size_t *w = xcalloc(n, sizeof *w);

    for (size_t r = 0; r < nr; r++) {
        if (sim_units_cols(t[r].label) > wm)
            wm = sim_units_cols(t[r].label);
        if (sim_units_cols(t[r].unit) > wu)
            wu = sim_units_cols(t[r].unit);
    }
    for (size_t i = 0; i < n; i++) {
        char b[64];

        w[i] = strlen(col_name(scs, n, i, b));
        for (size_t r = 0; r < nr; r++)
            if (strlen(t[r].cell[i]) > w[i])
                w[i] = strlen(t[r].cell[i]);
    }
    for (size_t i0 = 0; i0 < n;) {
        size_t used = wm + 2 + wu, i1 = i0;

        do                                    /* at least one column */
            used += 2 + w[i1++];
        while (i1 < n && used + 2 + w[i1] <= TABLE_COLS);
        if (i0 > 0)
            fputc('\n', out);
        put_left(out, head, wm);
        fputs("  ", out);
        put_left(out, "unit", wu);
        for (size_t i = i0; i < i1; i++) {
            char b[64];
            fprintf(out, "  %*s", (int)w[i], col_name(scs, n, i, b));
        }
        fputc('\n', out);
        for (size_t r = 0; r < nr; r++) {
            put_left(out, t[r].label, wm);
            fputs("  ", out);
            put_left(out, t[r].unit, wu);
            for (size_t i = i0; i < i1; i++)
                fprintf(out, "  %*s", (int)w[i], t[r].cell[i]);
            fputc('\n', out);
        }
        i0 = i1;
    }
    free(w);
}

static trow *rows_new(size_t nr, size_t n)
{
    trow *t = xcalloc(nr ? nr : 1, sizeof *t);

    for (size_t r = 0; r < nr; r++)
        t[r].cell = xcalloc(n, CELL);
    return t;
}

static void rows_free(trow *t, size_t nr)
{
    for (size_t r = 0; r < nr; r++)
        free(t[r].cell);
    free(t);
}

/* The same layout for the attackers' metrics, when the scenario has
 * attackers: one row per (metric, attacker) of the first protocol's
 * results, in their order. */
static void print_security(FILE *out, const scenario *const *scs, size_t n,
                           ana_results *const *res)
{
    size_t nk = ana_results_nkeys(res[0]), nr = 0;
    trow *t;

    if (scs[0]->n_attackers == 0)
        return;
    t = rows_new(nk, n);
    for (size_t k = 0; k < nk; k++) {
        const char *nm, *e, *u;
        const double *v;
        size_t cnt;

        ana_results_key(res[0], k, &nm, &e, &u, &v, &cnt);
        if (!security_row(nm) || fill_row(&t[nr], nm, e, n, res) != 0)
            continue;
        /* "attack.replay.accepted" of "attack:3": "replay.accepted (3)" */
        snprintf(t[nr].label, sizeof t[nr].label, "%s (%s)", nm + 7,
                 strncmp(e, "attack:", 7) == 0 ? e + 7 : e);
        nr++;
    }
    fputc('\n', out);
    print_rows(out, "attack metric (attacker)", t, nr, scs, n);
    rows_free(t, nk);
}

/* One column per protocol, one row per metric: the mean over the
 * replications, with the 95% CI half-width in parentheses when n >= 2;
 * "-" where a protocol has no such metric. */
static void print_table(FILE *out, const scenario *const *scs, size_t n,
                        ana_results *const *res)
{
    size_t nr = ARRAY_LEN(rows);
    trow *t = rows_new(nr, n);

    for (size_t r = 0; r < nr; r++) {
        snprintf(t[r].label, sizeof t[r].label, "%s", rows[r]);
        fill_row(&t[r], rows[r], "", n, res);
    }
    fprintf(out, "\nkmsim %s  scenario '%s'  seed %llu  replications %u\n"
                 "mean over the replications (95%% CI half-width), "
                 "3 significant digits\n\n",
            KMSIM_VERSION, scs[0]->name, (unsigned long long)scs[0]->seed,
            scs[0]->replications);
    print_rows(out, "metric", t, nr, scs, n);
    rows_free(t, nr);
}

int sim_compare(const scenario *const *scs, size_t n, const sim_run_opts *o,
                FILE *out, char *err, size_t errlen)
{
    sim_run_files **files = xcalloc(n, sizeof *files);
    ana_results **res = xcalloc(n, sizeof *res);
    ana_csv *summ = NULL, *runs = NULL, *prov = NULL;
    char *dir, *p_summ, *p_runs, e[1024];
    size_t made = 0, nrows = 0;
    xcleanup cl = {NULL, NULL, NULL, 0, 0, 0};
    int rc = SIM_EXIT_FAIL, failed, lock = -1, busy;

    assert(n >= 1);
    assert(!o->per_node && !o->keep && !o->defer && !o->runs_tee &&
           !o->summary_tee);
    if (o->out_dir) {
        dir = xstrdup(o->out_dir);
    } else {
        size_t len = strlen(scs[0]->name) + 32;
        dir = xmalloc(len);
        snprintf(dir, len, "results/%s-compare", scs[0]->name);
    }
    p_summ = join(dir, "compare.csv");
    p_runs = join(dir, "compare-runs.csv");

    if (sim_run_mkdir(dir, &made) != 0) {
        sim_run_mkdir_error(dir, err, errlen);
        goto out;
    }
    /* One process at a time (as sim_run); busy: the directory is the
     * other process's, even if this call made it. */
    lock = sim_run_lock(dir, &busy, err, errlen);
    if (lock < 0) {
        if (busy)
            made = 0;
        goto out;
    }
    if (made) {               /* out of memory removes what we made */
        cl.path = dir;
        cl.made = made;
        xcleanup_add(&cl);
    }
    summ = ana_csv_open(p_summ, err, errlen);
    runs = summ ? ana_csv_open(p_runs, err, errlen) : NULL;
    if (!summ || !runs)
        goto out;
    /* the same columns for every protocol: the same --set paths */
    sim_run_csv_header(summ, scs[0], SIM_RUN_CSV_SUMMARY);
    sim_run_csv_header(runs, scs[0], SIM_RUN_CSV_RUNS);

    for (size_t i = 0; i < n; i++) {
        char b[64];
        const char *name = col_name(scs, n, i, b);
        sim_run_opts ro = *o;
        char *sub = join(dir, name);
        int r;

        assert(scs[i]->n_overrides == scs[0]->n_overrides);
        if (o->stop && *o->stop) {
            snprintf(err, errlen, "interrupted before protocol %s; no "
                     "results written", name);
            free(sub);
            goto out;
        }
        if (o->progress)
            fprintf(stderr, "protocol %s (%zu of %zu)\n", name, i + 1, n);
        ro.out_dir = sub;
        ro.quiet = 1;
        ro.keep = &res[i];
        ro.defer = &files[i];
        ro.runs_tee = runs;
        ro.summary_tee = summ;
        ro.health_what = name;
        r = sim_run(scs[i], &ro, out, e, sizeof e);
        free(sub);
        if (r != SIM_EXIT_OK) {
            /* input errors keep their file:line:column form */
            if (r == SIM_EXIT_INPUT)
                snprintf(err, errlen, "%s", e);
            else
                snprintf(err, errlen, "protocol %s: %s", name, e);
            rc = r;
            goto out;
        }
        nrows += ana_results_nkeys(res[i]);
    }

    /* Every file is complete before any goes in place. */
    if (ana_csv_seal(summ, err, errlen) != 0 ||
        ana_csv_seal(runs, err, errlen) != 0)
        goto out;
    /* run.yaml: the command line and the file with its overrides (each
     * protocol's directory has its resolved values) */
    if (o->argv && (!(prov = sim_prov_open_scn(dir, o->argc, o->argv, scs[0],
                                               NULL, err, errlen)) ||
                    ana_csv_seal(prov, err, errlen) != 0))
        goto out;
    if (o->stop && *o->stop) {
        snprintf(err, errlen, "interrupted; no results written");
        goto out;
    }
    failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed |= sim_run_files_commit(files[i], err, errlen);
        files[i] = NULL;
    }
    failed |= ana_csv_commit(summ, err, errlen);
    summ = NULL;
    failed |= ana_csv_commit(runs, err, errlen);
    runs = NULL;
    if (prov)
        failed |= ana_csv_commit(prov, err, errlen);
    prov = NULL;
    if (failed)
        goto out;

    if (!o->quiet) {
        print_table(out, scs, n, res);
        print_security(out, scs, n, res);
        fprintf(out, "\nwrote %s (%zu rows)\n      %s\n", p_summ, nrows,
                p_runs);
        for (size_t i = 0; i < n; i++) {
            char b[64];
            fprintf(out, "      %s/%s/ (runs.csv, summary.csv, "
                         "replications.csv)\n", dir, col_name(scs, n, i, b));
        }
    }
    rc = SIM_EXIT_OK;
out:
    for (size_t i = 0; i < n; i++) {
        sim_run_files_abort(files[i]);
        ana_results_free(res[i]);
    }
    ana_csv_abort(summ);
    ana_csv_abort(runs);
    ana_csv_abort(prov);
    xcleanup_del(&cl);
    if (rc != SIM_EXIT_OK)
        sim_run_rmdir(dir, made);
    if (lock >= 0)
        close(lock);
    free(files);
    free(res);
    free(p_summ);
    free(p_runs);
    free(dir);
    return rc;
}
