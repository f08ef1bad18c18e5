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
#include "db.h"
#include "csv.h"
#include "prov.h"
#include "metrics.h"
#include "stats.h"
#include "table.h"
#include "util.h"

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif

#define CELL 64     /* bytes of one table cell: "mean ± half-width" */

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
            ops = sim_proto_find(name);
        }
        if (!ops) {
            snprintf(err, errlen, "--protocols %s: unknown protocol '%.*s' "
                     "(known: %s)", arg, (int)(len < 64 ? len : 64), p,
                     sim_proto_names());
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

/* Adds to t the row `label` of metric (name, entity) over the n
 * protocols' results: its unit (chosen from all the protocols' means and
 * CIs; that of the first protocol with the metric, scaled) and one
 * "mean ± half-width" per protocol (the half-width when n >= 2), "-"
 * where a protocol has no such metric.  When no protocol has it, the row
 * is all "-" with no unit if `always`, else not added.  Returns 0, or -1
 * when no protocol has it. */
static int add_row(sim_table *t, const char *label, const char *name,
                   const char *entity, size_t n, ana_results *const *res,
                   int always)
{
    sim_table_val *v = xcalloc(n, sizeof *v);
    char (*cell)[CELL] = xcalloc(n, sizeof *cell);
    const char **cells = xcalloc(n + 2, sizeof *cells);
    const char *unit = NULL;
    sim_table_fmt f;

    for (size_t i = 0; i < n; i++) {
        ana_summary s;
        const char *u = NULL;

        v[i].mean = v[i].hw = NAN;
        if (ana_results_summary(res[i], name, entity, 0.95, &s, &u) != 0)
            continue;
        if (!unit)
            unit = u;
        v[i].mean = s.mean;
        if (s.n >= 2 && isfinite(s.ci_lo) && isfinite(s.ci_hi))
            v[i].hw = (s.ci_hi - s.ci_lo) / 2;
    }
    if (!unit && !always)
        goto out;
    sim_table_fmt_init(&f, unit ? unit : "1", v, n);
    cells[0] = label;
    cells[1] = f.unit;
    for (size_t i = 0; i < n; i++) {
        sim_table_value(&f, &v[i], cell[i], CELL);
        cells[i + 2] = cell[i];
    }
    sim_table_row(t, cells);
out:
    free(cells);
    free(cell);
    free(v);
    return unit ? 0 : -1;
}

/* A table with a metric column (heading `head`), a unit column and one
 * column per protocol, the protocols wrapped into blocks of as many
 * columns as fit in 100. */
static sim_table *table_new(const char *head, const scenario *const *scs,
                            size_t n)
{
    sim_table_col *cols = xcalloc(n + 2, sizeof *cols);
    const char **cells = xcalloc(n + 2, sizeof *cells);
    char (*b)[64] = xcalloc(n, sizeof *b);
    sim_table *t;

    cols[0] = (sim_table_col){0, 0, SIM_TABLE_LEFT, SIM_TABLE_WIDEN};
    cols[1] = (sim_table_col){2, 0, SIM_TABLE_LEFT, SIM_TABLE_WIDEN};
    cells[0] = head;
    cells[1] = "unit";
    for (size_t i = 0; i < n; i++) {
        cols[i + 2] = (sim_table_col){2, 0, SIM_TABLE_RIGHT, SIM_TABLE_WIDEN};
        cells[i + 2] = col_name(scs, n, i, b[i]);
    }
    t = sim_table_new(cols, n + 2, 2);
    sim_table_head(t, cells);
    free(b);
    free(cells);
    free(cols);
    return t;
}

/* The same layout for the attackers' metrics, when the scenario has
 * attackers: one row per (metric, attacker) of the first protocol's
 * results, in their order. */
static void print_security(FILE *out, const scenario *const *scs, size_t n,
                           ana_results *const *res)
{
    sim_table *t;

    if (scs[0]->n_attackers == 0)
        return;
    t = table_new("attack metric (attacker)", scs, n);
    for (size_t k = 0; k < ana_results_nkeys(res[0]); k++) {
        const char *nm, *e, *u;
        const double *v;
        size_t cnt;
        char label[256];

        ana_results_key(res[0], k, &nm, &e, &u, &v, &cnt);
        if (!security_row(nm))
            continue;
        /* "attack.replay.accepted" of "attack:3": "replay.accepted (3)" */
        snprintf(label, sizeof label, "%s (%s)", nm + 7,
                 strncmp(e, "attack:", 7) == 0 ? e + 7 : e);
        add_row(t, label, nm, e, n, res, 0);
    }
    fputc('\n', out);
    sim_table_print(t, out);
    sim_table_free(t);
}

/* One column per protocol, one row per metric: the mean over the
 * replications, "± the 95% CI half-width" when n >= 2; "-" where a
 * protocol has no such metric. */
static void print_table(FILE *out, const scenario *const *scs, size_t n,
                        ana_results *const *res)
{
    sim_table *t = table_new("metric", scs, n);

    for (size_t r = 0; r < ARRAY_LEN(rows); r++)
        add_row(t, rows[r], rows[r], "", n, res, 1);
    fprintf(out, "\nkmsim %s  scenario '%s'  seed %llu  replications %u\n"
                 "mean \u00b1 95%% CI half-width over the replications, "
                 "3 significant digits\n\n",
            KMSIM_VERSION, scs[0]->name, (unsigned long long)scs[0]->seed,
            scs[0]->replications);
    sim_table_print(t, out);
    sim_table_free(t);
}

int sim_compare(const scenario *const *scs, size_t n, const sim_run_opts *o,
                FILE *out, char *err, size_t errlen)
{
    sim_run_files **files = xcalloc(n, sizeof *files);
    ana_results **res = xcalloc(n, sizeof *res);
    ana_csv *summ = NULL, *runs = NULL, *prov = NULL, *hist = NULL;
    char *dir, *p_summ, *p_runs, *p_hist, e[1024];
    size_t made = 0, nrows = 0;
    xcleanup cl = {NULL, NULL, NULL, 0, 0, 0};
    int rc = SIM_EXIT_FAIL, failed, lock = -1, busy;

    assert(n >= 1);
    assert(!o->per_node && !o->keep && !o->defer && !o->runs_tee &&
           !o->summary_tee && !o->hist_tee);
    if (o->out_dir) {
        dir = xstrdup(o->out_dir);
    } else {
        size_t len = strlen(scs[0]->name) + 32;
        dir = xmalloc(len);
        snprintf(dir, len, "results/%s-compare", scs[0]->name);
    }
    p_summ = join(dir, "compare.csv");
    p_runs = join(dir, "compare-runs.csv");
    p_hist = join(dir, "compare-histograms.csv");

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
    hist = runs ? ana_csv_open(p_hist, err, errlen) : NULL;
    if (!summ || !runs || !hist)
        goto out;
    /* the same columns for every protocol: the same --set paths */
    sim_run_csv_header(summ, scs[0], SIM_RUN_CSV_SUMMARY);
    sim_run_csv_header(runs, scs[0], SIM_RUN_CSV_RUNS);
    sim_run_csv_header(hist, scs[0], SIM_RUN_CSV_HISTOGRAMS);

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
        ro.hist_tee = hist;
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
        ana_csv_seal(runs, err, errlen) != 0 ||
        ana_csv_seal(hist, err, errlen) != 0)
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
    failed |= ana_csv_commit(hist, err, errlen);
    hist = NULL;
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
    /* --db (kmsim extension, issue 23): each protocol's directory is one
     * invocation, stored in its own transaction, under this compare's
     * lock of dir */
    for (size_t i = 0; o->db && i < n; i++) {
        char b[64];
        char *sub = join(dir, col_name(scs, n, i, b));
        int r = sim_db_store(o->db, sub, o->stop, o->quiet ? NULL : out, e,
                             sizeof e);
        free(sub);
        if (r != SIM_EXIT_OK) {
            snprintf(err, errlen, "%s (the results are in place; kmsim db "
                     "import stores them)", e);
            rc = r;
            made = 0;              /* the files stay: they are complete */
            goto out;
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
    ana_csv_abort(hist);
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
    free(p_hist);
    free(dir);
    return rc;
}
