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
#include "util.h"

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif

#define CELL 64     /* bytes of one table cell: "mean (half-width)" */

/* The rows of the table: network-wide metrics (entity ""), as they are
 * named in runs.csv and summary.csv (a SAMPLES metric's mean is
 * "<name>.mean").  Extend here. */
static const struct {
    const char *name;
    const char *unit;
} rows[] = {
    {"key.setup.mean", "s"},          /* a source: until it can send     */
                                      /*   protected data to its SO      */
    {"key.rekey.mean", "s"},          /* a key replacement round: start  */
                                      /*   to the last holder updated    */
    {"delay.source_to_so.mean", "s"},
    {"delay.source_to_so.delivered_fraction", "1"},  /* what the mean is */
    {"delay.end_to_end.mean", "s"},                  /*   over           */
    {"delay.end_to_end.delivered_fraction", "1"},
    {"msgs.control", "msg"},
    {"link.bytes.control", "B"},
    {"link.bytes.data", "B"},
    {"link.bytes.publish", "B"},
    {"storage.keys_per_node.mean", "B"},
    {"storage.keys_per_node.max", "B"},
    {"storage.source.time_avg.mean", "B"},    /* over [warm-up, end]      */
    {"storage.source.peak.max", "B"},
    {"crypto.seal.per_node.mean", "op"},
    {"crypto.open.per_node.mean", "op"},
    {"crypto.hash.per_node.mean", "op"},
    {"crypto.xor.per_node.mean", "op"},
    {"crypto.kdf.per_node.mean", "op"},
    {"crypto.concat.per_node.mean", "op"},
    {"data.generated", "msg"},
    {"data.delivered", "msg"},
    {"net.rejected", "msg"},
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
                          const char *entity, ana_summary *out)
{
    for (size_t i = 0; i < ana_results_nkeys(r); i++) {
        const char *n, *e, *u;
        const double *v;
        size_t cnt;

        ana_results_key(r, i, &n, &e, &u, &v, &cnt);
        if (strcmp(n, name) == 0 && strcmp(e, entity) == 0)
            return ana_summarize(v, cnt, 0.95, out);
    }
    return -1;
}

static int find_metric(const ana_results *r, const char *name,
                       ana_summary *out)
{
    return find_metric_in(r, name, "", out);
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

/* The same layout for the attackers' metrics, when the scenario has
 * attackers: one row per (metric, attacker) of the first protocol's
 * results, in their order. */
static void print_security(FILE *out, const scenario *const *scs, size_t n,
                           ana_results *const *res)
{
    size_t nk = ana_results_nkeys(res[0]), wm = strlen("attack metric");

    if (scs[0]->n_attackers == 0)
        return;
    for (size_t k = 0; k < nk; k++) {
        const char *nm, *e, *u;
        const double *v;
        size_t cnt;
        ana_results_key(res[0], k, &nm, &e, &u, &v, &cnt);
        if (security_row(nm) && strlen(nm) + strlen(e) + 3 > wm)
            wm = strlen(nm) + strlen(e) + 3;
    }
    fprintf(out, "\n%-*s", (int)wm, "attack metric (attacker)");
    for (size_t i = 0; i < n; i++) {
        char b[64];
        fprintf(out, "  %16s", col_name(scs, n, i, b));
    }
    fputc('\n', out);
    for (size_t k = 0; k < nk; k++) {
        const char *nm, *e, *u;
        const double *v;
        size_t cnt;
        char label[256];

        ana_results_key(res[0], k, &nm, &e, &u, &v, &cnt);
        if (!security_row(nm))
            continue;
        snprintf(label, sizeof label, "%s (%s)", nm, e);
        fprintf(out, "%-*s", (int)wm, label);
        for (size_t i = 0; i < n; i++) {
            ana_summary s;
            if (find_metric_in(res[i], nm, e, &s) != 0)
                fprintf(out, "  %16s", "-");
            else
                fprintf(out, "  %16.6g", s.mean);
        }
        fputc('\n', out);
    }
}

/* "mean (half-width)": the half-width to 3 significant digits, but whole
 * when it is large (3810, not 3.81e+03). */
static void cell_ci(char c[CELL], double mean, double hw)
{
    if (hw >= 1000 && hw < 1e12)
        snprintf(c, CELL, "%.6g (%.0f)", mean, hw);
    else
        snprintf(c, CELL, "%.6g (%.3g)", mean, hw);
}

/* One column per protocol, one row per metric: the mean over the
 * replications, with the 95% CI half-width in parentheses when n >= 2;
 * "-" where a protocol has no such metric. */
static void print_table(FILE *out, const scenario *const *scs, size_t n,
                        ana_results *const *res)
{
    size_t nr = ARRAY_LEN(rows), wm = strlen("metric");
    char (*cell)[CELL] = xcalloc(nr * n, CELL);
    size_t *w = xcalloc(n, sizeof *w);

    for (size_t r = 0; r < nr; r++)
        if (strlen(rows[r].name) > wm)
            wm = strlen(rows[r].name);
    for (size_t i = 0; i < n; i++) {
        char b[64];

        w[i] = strlen(col_name(scs, n, i, b));
        for (size_t r = 0; r < nr; r++) {
            char *c = cell[r * n + i];
            ana_summary s;

            if (find_metric(res[i], rows[r].name, &s) != 0)
                snprintf(c, CELL, "-");
            else if (s.n >= 2 && isfinite(s.ci_lo) && isfinite(s.ci_hi))
                cell_ci(c, s.mean, (s.ci_hi - s.ci_lo) / 2);
            else
                snprintf(c, CELL, "%.6g", s.mean);
            if (strlen(c) > w[i])
                w[i] = strlen(c);
        }
    }
    fprintf(out, "\nkmsim %s  scenario '%s'  seed %llu  replications %u\n"
                 "mean over the replications (95%% CI half-width)\n\n",
            KMSIM_VERSION, scs[0]->name, (unsigned long long)scs[0]->seed,
            scs[0]->replications);
    fprintf(out, "%-*s  %-4s", (int)wm, "metric", "unit");
    for (size_t i = 0; i < n; i++) {
        char b[64];
        fprintf(out, "  %*s", (int)w[i], col_name(scs, n, i, b));
    }
    fputc('\n', out);
    for (size_t r = 0; r < nr; r++) {
        fprintf(out, "%-*s  %-4s", (int)wm, rows[r].name, rows[r].unit);
        for (size_t i = 0; i < n; i++)
            fprintf(out, "  %*s", (int)w[i], cell[r * n + i]);
        fputc('\n', out);
    }
    free(w);
    free(cell);
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
