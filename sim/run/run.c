/* run.c — replications of one scenario, their CSV files and the summary
 * table.  Results are written to temporary files and renamed into place
 * only when every replication has finished, so an interrupted or failed
 * run never leaves a CSV that looks complete. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "run.h"
#include "prov.h"
#include "db.h"
#include "world.h"
#include "attack.h"
#include "proto.h"
#include "metrics.h"
#include "health.h"
#include "stats.h"
#include "csv.h"
#include "cry.h"
#include "table.h"
#include "units.h"
#include "util.h"
#include "guard.h"
#include "mlist.h"

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif

/* Events between two looks at the progress line and the resident size
 * (a few milliseconds; the interrupt flag is read after every event). */
#define RUN_CHUNK (1u << 12)

/* Removes the directory p[0..n) and its parents down to the one p[0..made)
 * while they are empty (rmdir), deepest first.  p is scratch. */
static void rmdir_up(char *p, size_t n, size_t made)
{
    p[n] = '\0';
    while (n >= made && rmdir(p) == 0) {
        while (n > 0 && p[n - 1] != '/')
            n--;
        while (n > 0 && p[n - 1] == '/')
            n--;
        p[n] = '\0';
    }
}

/* Directories are made with mode 0777 & umask.  A failure part way (a path
 * deeper than PATH_MAX: mkdir says ENAMETOOLONG after 2,048 levels of
 * "a/"; a full disk; a regular file in the way) removes again the
 * directories this call made, deepest first, so nothing is left. */
int sim_run_mkdir(const char *dir, size_t *made)
{
    char *p;
    size_t last = 0;          /* end of the deepest directory made */
    int rc = 0, e;

    *made = 0;
    if (*dir == '\0') {
        errno = ENOENT;
        return -1;
    }
    p = xstrdup(dir);
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) == 0) {
                if (*made == 0)
                    *made = (size_t)(s - p);
                last = (size_t)(s - p);
            } else if (errno != EEXIST) {
                rc = -1;
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    if (rc == 0) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = -1;
        }
    }
    if (rc != 0 && *made) {
        e = errno;
        strcpy(p, dir);
        rmdir_up(p, last, *made);
        *made = 0;
        errno = e;
    }
    free(p);
    return rc;
}

/* The lock is flock(2) on the directory itself, as sweep's on its journal
 * (kmsim extension): it leaves no file behind and is released when the
 * process ends, however it ends. */
int sim_run_lock(const char *dir, int *busy, char *err, size_t errlen)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;
    char q[512];

    *busy = 0;
    if (fd < 0) {
        e = errno;
        sim_units_quote_path(q, sizeof q, dir);
        snprintf(err, errlen, "--out %s: cannot open directory: %s", q,
                 strerror(e));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        e = errno;
        *busy = e == EWOULDBLOCK;
        sim_units_quote_path(q, sizeof q, dir);
        snprintf(err, errlen, "--out %s: %s", q, *busy
                 ? "another kmsim is writing results into this directory "
                   "(wait for it, or choose another --out)"
                 : strerror(e));
        close(fd);
        return -1;
    }
    return fd;
}

void sim_run_mkdir_error(const char *dir, char *err, size_t errlen)
{
    int e = errno;
    char q[512];

    sim_units_quote_path(q, sizeof q, dir);
    snprintf(err, errlen, "--out %s: cannot create directory: %s", q,
             strerror(e));
}

/* Deepest first: a run that fails (e.g. a bad move found when a
 * replication's world is built) leaves nothing behind. */
void sim_run_rmdir(const char *dir, size_t made)
{
    char *p;

    if (made == 0)
        return;
    p = xstrdup(dir);
    rmdir_up(p, strlen(p), made);
    free(p);
}

/* Every fixed column of runs.csv, summary.csv and replications.csv (the
 * union, so a --set path gets the same name in the three files). */
static const char *const fixed_cols[] = {
    "kmsim_version", "scenario", "scenario_hash", "protocol", "replication",
    "seed", "metric", "entity", "unit", "value", "base_seed", "n", "mean",
    "sd", "ci95_lo", "ci95_hi", "min", "max", "replications", "complete",
    "events", "end_time_s", "fingerprint", "bucket_lo", "bucket_hi",
    "count"};

static int col_taken(const scenario *sc, size_t upto, const char *name,
                     char (*names)[SIM_RUN_COL_MAX])
{
    for (size_t k = 0; k < ARRAY_LEN(fixed_cols); k++)
        if (strcmp(fixed_cols[k], name) == 0)
            return 1;
    for (size_t k = 0; k < upto && k < sc->n_overrides; k++)
        if (strcmp(names[k], name) == 0)
            return 1;
    return 0;
}

/* kmsim extension (issue 21): the column of --set path i is the path
 * itself unless a fixed column or an earlier --set path already has that
 * name (sweeping `seed`, --set protocol=X, a path set twice): then
 * "param.<path>", then "param.<path>.<i+1>".  No CSV has a duplicate
 * column; the one check is here, where every header is built. */
void sim_run_param_col(const scenario *sc, size_t i, char *buf, size_t len)
{
    char(*names)[SIM_RUN_COL_MAX] =
        xmalloc((sc->n_overrides ? sc->n_overrides : 1) * sizeof *names);

    for (size_t k = 0; k <= i && k < sc->n_overrides; k++) {
        const char *p = sc->overrides[k].path;

        snprintf(names[k], sizeof names[k], "%s", p);
        if (col_taken(sc, k, names[k], names))
            snprintf(names[k], sizeof names[k], "param.%s", p);
        if (col_taken(sc, k, names[k], names))
            snprintf(names[k], sizeof names[k], "param.%s.%zu", p, k + 1);
        if (col_taken(sc, k, names[k], names)) {
            fprintf(stderr, "kmsim: internal error: CSV column '%s' twice\n",
                    names[k]);
            abort();
        }
    }
    snprintf(buf, len, "%s", i < sc->n_overrides ? names[i] : "");
    free(names);
}

/* Columns shared by every CSV row: provenance, then one column per --set
 * path (the parameters that vary between runs of this scenario), named by
 * sim_run_param_col, each followed by "<column>.si" when the override's
 * si_col says so (kmsim extension, issue 21: the value in SI base units as
 * a plain number, sim_units_si; a path whose values are all unit-free gets
 * none).  A sweep sets si_col from every value of the axis, so all its
 * configurations have the same columns; a value with no SI form (exp(5s)
 * beside 5s) leaves its cell empty. */
static void csv_prefix_header(ana_csv *c, const scenario *sc)
{
    ana_csv_str(c, "kmsim_version");
    ana_csv_str(c, "scenario");
    ana_csv_str(c, "scenario_hash");
    ana_csv_str(c, "protocol");
    for (size_t i = 0; i < sc->n_overrides; i++) {
        char name[SIM_RUN_COL_MAX];

        sim_run_param_col(sc, i, name, sizeof name);
        ana_csv_str(c, name);
        if (sc->overrides[i].si_col) {
            char col[SIM_RUN_COL_MAX + 8];

            snprintf(col, sizeof col, "%s.si", name);
            ana_csv_str(c, col);
        }
    }
}

static void csv_prefix(ana_csv *c, const scenario *sc, const char *hash)
{
    ana_csv_str(c, KMSIM_VERSION);
    ana_csv_str(c, sc->name);
    ana_csv_str(c, hash);
    ana_csv_str(c, sc->proto->name);
    for (size_t i = 0; i < sc->n_overrides; i++) {
        double si;

        ana_csv_str(c, sc->overrides[i].value);
        if (!sc->overrides[i].si_col)
            continue;
        if (sim_units_si(sc->overrides[i].value, &si) == 0)
            ana_csv_double(c, si);
        else
            ana_csv_str(c, "");
    }
}

void sim_run_csv_header(ana_csv *c, const scenario *sc, sim_run_csv which)
{
    static const char *const runs[] = {"replication", "seed", "metric",
                                       "entity", "unit", "value"};
    static const char *const summary[] = {
        "base_seed", "metric", "entity", "unit", "n", "mean", "sd",
        "ci95_lo", "ci95_hi", "min", "max", "replications", "complete"};
    static const char *const reps[] = {"replication", "seed", "events",
                                       "end_time_s", "fingerprint"};
    static const char *const hist[] = {"metric", "entity", "unit",
                                       "bucket_lo", "bucket_hi", "count"};
    const char *const *cols = which == SIM_RUN_CSV_RUNS ? runs
                              : which == SIM_RUN_CSV_SUMMARY ? summary
                              : which == SIM_RUN_CSV_HISTOGRAMS ? hist : reps;
    size_t n = which == SIM_RUN_CSV_RUNS ? ARRAY_LEN(runs)
               : which == SIM_RUN_CSV_SUMMARY ? ARRAY_LEN(summary)
               : which == SIM_RUN_CSV_HISTOGRAMS ? ARRAY_LEN(hist)
                                                 : ARRAY_LEN(reps);

    csv_prefix_header(c, sc);
    for (size_t i = 0; i < n; i++)
        ana_csv_str(c, cols[i]);
    ana_csv_endrow(c);
}

typedef struct row_ctx {
    const scenario *sc;
    const char *hash;
    ana_csv *runs;
    ana_csv *tee;        /* a copy of every row, or NULL */
    ana_results *res;
    uint32_t rep;
    uint64_t seed;
    size_t rows;
} row_ctx;

void sim_run_runs_row(ana_csv *c, const scenario *sc, const char *hash,
                      uint32_t rep, uint64_t seed, const char *name,
                      const char *entity, const char *unit, double value)
{
    csv_prefix(c, sc, hash);
    ana_csv_u64(c, rep);
    ana_csv_u64(c, seed);
    ana_csv_str(c, name);
    ana_csv_str(c, entity);
    ana_csv_str(c, unit);
    ana_csv_double(c, value);
    ana_csv_endrow(c);
}

static void runs_row(ana_csv *c, const row_ctx *x, const char *name,
                     const char *entity, const char *unit, double value)
{
    sim_run_runs_row(c, x->sc, x->hash, x->rep, x->seed, name, entity, unit,
                     value);
}

static void on_row(void *vctx, const char *name, const char *entity,
                   const char *unit, double value)
{
    row_ctx *x = vctx;

    runs_row(x->runs, x, name, entity, unit, value);
    if (x->tee)
        runs_row(x->tee, x, name, entity, unit, value);
    ana_results_add(x->res, x->rep, name, entity, unit, value);
    x->rows++;
}

/* kmsim metrics (mlist.h): the meaning of each metric of
 * the topology (topo_metrics),
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_run[] = {
    {"topology.components",
     "connected components of the topology"},
    {"topology.connected",
     "1 if the topology is connected"},
    {"topology.isolated_sources",
     "sources with no path to an SO"},
    {"topology.links",
     "links"},
    {"topology.mean_degree",
     "mean node degree"},
    {"topology.smart_objects",
     "smart objects"},
    {"topology.sources",
     "sources"},
    {"topology.subscribers",
     "subscribers"},
    {NULL, NULL},
};

static void topo_metrics(sim_world *w)
{
    const sim_topo *t = sim_world_topo(w);
    ana_metrics *m = sim_world_metrics(w);
    uint32_t counts[3] = {0, 0, 0};

    for (uint32_t v = 0; v < t->n_nodes; v++)
        counts[t->nodes[v].role]++;
#define SET(name, unit, v)                                                   \
    ana_metric_set(m, ana_metric_reg(m, name, "", unit, ANA_VALUE), (v))
    SET("topology.sources", "node", counts[SCN_ROLE_SOURCE]);
    SET("topology.smart_objects", "node", counts[SCN_ROLE_SO]);
    SET("topology.subscribers", "node", counts[SCN_ROLE_SUBSCRIBER]);
    SET("topology.links", "link", t->n_links);
    SET("topology.mean_degree", "link",
        t->n_nodes ? 2.0 * t->n_links / t->n_nodes : NAN);
    SET("topology.components", "1", t->n_components);
    SET("topology.connected", "1", t->n_components == 1 ? 1 : 0);
    SET("topology.isolated_sources", "node", t->n_isolated_sources);
#undef SET
}

static const char *role_name(scn_role r)
{
    return r == SCN_ROLE_SO ? "smart_object"
           : r == SCN_ROLE_SUBSCRIBER ? "subscriber" : "source";
}

static void nodes_header(ana_csv *c, const scenario *sc)
{
    static const char *const cols[] = {
        "replication", "seed", "node", "role", "x_m", "y_m", "degree",
        "home_so", "hops_to_so", "registered", "registration_delay_s",
        "originated", "tx_pkts", "tx_bytes", "moves",
    };
    csv_prefix_header(c, sc);
    for (size_t i = 0; i < ARRAY_LEN(cols); i++)
        ana_csv_str(c, cols[i]);
    ana_csv_endrow(c);
}

static void nodes_rows(ana_csv *c, const scenario *sc, const char *hash,
                       sim_world *w, uint32_t rep, uint64_t seed)
{
    const sim_topo *t = sim_world_topo(w);

    for (uint32_t v = 0; v < t->n_nodes; v++) {
        sim_node_info ni;
        sim_world_node_info(w, v, &ni);
        csv_prefix(c, sc, hash);
        ana_csv_u64(c, rep);
        ana_csv_u64(c, seed);
        ana_csv_u64(c, t->nodes[v].id);
        ana_csv_str(c, role_name(t->nodes[v].role));
        ana_csv_double(c, t->nodes[v].x);
        ana_csv_double(c, t->nodes[v].y);
        ana_csv_u64(c, sim_topo_degree(t, v));
        if (ni.home_so == SIM_NONE) {
            ana_csv_str(c, "");
            ana_csv_str(c, "");
        } else {
            ana_csv_u64(c, t->nodes[ni.home_so].id);
            ana_csv_u64(c, ni.hops_to_so);
        }
        ana_csv_u64(c, (uint64_t)ni.registered);
        ana_csv_double(c, ni.registration_delay >= 0
                              ? sim_time_to_s(ni.registration_delay) : NAN);
        ana_csv_u64(c, ni.originated);
        ana_csv_u64(c, ni.tx_pkts);
        ana_csv_u64(c, ni.tx_bytes);
        ana_csv_u64(c, ni.moves);
        ana_csv_endrow(c);
    }
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* How run_world ended. */
enum { RUN_DONE = 0, RUN_STOPPED = -1, RUN_MAX_EVENTS = -2, RUN_MEMORY = -3 };

/* Runs one world to its end: RUN_DONE, or why it was stopped (a signal,
 * --max-events reached, the resident size over --max-memory). */
static int run_world(sim_world *w, const scenario *sc, const sim_run_opts *o,
                     uint32_t rep, sim_guard *g)
{
    sim_time until = o->until ? o->until : sc->duration;
    uint64_t limit = o->max_events;
    double t0 = wall_now(), last = t0;
    int rc = RUN_DONE;

    for (;;) {
        uint64_t done = sim_world_events(w);
        uint64_t chunk = RUN_CHUNK;
        uint64_t n;

        if (limit && limit - done < chunk)
            chunk = limit - done;
        n = sim_world_run(w, until, chunk);
        if (o->stop && *o->stop) {
            rc = RUN_STOPPED;
            break;
        }
        if (g->max_memory && sim_guard_rss(g) > g->max_memory) {
            rc = RUN_MEMORY;
            break;
        }
        if (o->progress) {
            double now = wall_now();
            if (now - last >= 0.5) {
                fprintf(stderr,
                        "\r\033[Krep %u/%u  t = %.1f / %.1f s  %.2f M events/s",
                        rep + 1, sc->replications,
                        sim_time_to_s(sim_world_now(w)), sim_time_to_s(until),
                        sim_world_events(w) / (now - t0) / 1e6);
                last = now;
            }
        }
        if (n < chunk)
            break;               /* reached `until` or drained */
        if (limit && sim_world_events(w) >= limit) {
            rc = RUN_MAX_EVENTS;
            break;
        }
    }
    if (o->progress)
        fprintf(stderr, "\r\033[K");
    return rc;
}

/* Looks a key up in the aggregated results (95% CI). */
static int find_key(const ana_results *r, const char *name,
                    const char *entity, ana_summary *out, const char **unit)
{
    return ana_results_summary(r, name, entity, 0.95, out, unit);
}

typedef struct sum_row {
    const char *label;      /* what it is, for a reader */
    const char *name;       /* the metric; "%p" = the protocol's name */
    const char *entity;
} sum_row;

/* The columns of the terminal summary: label (cut), metric, mean, unit,
 * 95% CI, theory at the offered and at the measured rate.  Fixed widths
 * (a line of 100 columns); a longer cell shifts the rest of its line,
 * the one space before every column keeps cells apart. */
static const sim_table_col sum_cols[] = {
    {2, 18, SIM_TABLE_LEFT, SIM_TABLE_CUT},
    {1, 37, SIM_TABLE_LEFT, SIM_TABLE_OVERFLOW},
    {1, 7, SIM_TABLE_RIGHT, SIM_TABLE_OVERFLOW},
    {1, 5, SIM_TABLE_LEFT, SIM_TABLE_OVERFLOW},
    {1, 10, SIM_TABLE_LEFT, SIM_TABLE_OVERFLOW},
    {1, 7, SIM_TABLE_RIGHT, SIM_TABLE_OVERFLOW},
    {1, 8, SIM_TABLE_RIGHT, SIM_TABLE_OVERFLOW},
};

/* Adds one row to t: label, metric name, mean, unit, 95% CI half-width,
 * theory at the offered and at the measured rate, all in the row's unit
 * (chosen from the mean and the half-width).  0 when added, -1 when the
 * run has no such metric. */
static int add_row(sim_table *t, const scenario *sc, const ana_results *res,
                   const sum_row *r)
{
    ana_summary s, th, tm;
    const char *unit = "";
    char key[96], label[128], tk[128], m[32], h[48], t1[32], t2[32];
    sim_table_val v;
    sim_table_fmt f;

    if (strncmp(r->name, "%p", 2) == 0)
        snprintf(key, sizeof key, "%s%s", sc->proto->name, r->name + 2);
    else
        snprintf(key, sizeof key, "%s", r->name);
    if (find_key(res, key, r->entity, &s, &unit) != 0 || s.n == 0 ||
        isnan(s.mean))
        return -1;
    v.mean = s.mean;
    v.hw = s.n >= 2 && isfinite(s.ci_lo) && isfinite(s.ci_hi)
               ? (s.ci_hi - s.ci_lo) / 2 : NAN;
    snprintf(label, sizeof label, "%s%s%s%s", key, *r->entity ? " (" : "",
             r->entity, *r->entity ? ")" : "");
    sim_table_fmt_init(&f, unit, &v, 1);
    sim_table_num(&f, v.mean, m, sizeof m);
    if (isnan(v.hw))
        snprintf(h, sizeof h, "(n=%zu)", s.n);
    else
        sim_table_ci(&f, &v, h, sizeof h);
    *t1 = *t2 = '\0';
    snprintf(tk, sizeof tk, "%s.theory", key);
    if (find_key(res, tk, r->entity, &th, NULL) == 0 && !isnan(th.mean))
        sim_table_num(&f, th.mean, t1, sizeof t1);
    snprintf(tk, sizeof tk, "%s.theory_measured", key);
    if (find_key(res, tk, r->entity, &tm, NULL) == 0 && !isnan(tm.mean))
        sim_table_num(&f, tm.mean, t2, sizeof t2);
    sim_table_row(t, (const char *const[]){r->label, label, m, f.unit, h,
                                           t1, t2});
    return 0;
}

/* The terminal summary of a run (not the CSV): the protocol's own
 * key-management metrics first, then the network, delays and queue. */
static void print_summary(FILE *out, const scenario *sc,
                          const ana_results *res, const char *fp_all)
{
    static const sum_row keys[] = {
        {"set-up delay", "key.setup.mean", ""},
        {"re-key delay", "key.rekey.mean", ""},
        {"re-key rounds", "key.rekey.n", ""},
        {"re-keys completed", "key.rekey.completed_fraction", ""},
        {"control overhead", "msgs.control", ""},
        {"", "link.bytes.control", ""},
        {"data traffic", "msgs.data", ""},
        {"", "link.bytes.data", ""},
        {"storage per node", "storage.keys_per_node.mean", ""},
        {"", "storage.bytes_per_node.mean", ""},
        {"storage per source", "storage.source.peak.mean", ""},
        {"storage per SO", "storage.so.peak.mean", ""},
        {"crypto operations", "crypto.seal", ""},
        {"", "crypto.open", ""},
        {"", "crypto.kdf", ""},
        {"", "crypto.hash", ""},
        {"channels formed", "%p.channels", ""},
        {"channels needed", "topology.sources", ""},
        {"without a channel", "health.sources_without_channel", ""},
        {"SO sojourn (M/M/1)", "queue.W", "so:all"},
        {"SO utilisation", "queue.utilisation", "so:all"},
    };
    static const sum_row rest[] = {
        {"registered", "sources.registered", ""},
        {"", "dini.sources.connected", ""},  /* a channel at the end */
        {"", "dini.sources.disconnected", ""},
        {"data", "data.generated", ""},
        {"", "data.at_so", ""},
        {"", "data.delivered", ""},
        {"registration delay", "delay.registration.mean", ""},
        {"", "delay.registration.answered_fraction", ""},
        {"source to SO delay", "delay.source_to_so.mean", ""},
        {"", "delay.source_to_so.delivered_fraction", ""},
        {"end-to-end delay", "delay.end_to_end.mean", ""},
        {"", "delay.end_to_end.delivered_fraction", ""},
        {"  key access", "delay.key_access.mean", ""}, /* seed 000 */
        {"  transfer", "delay.transfer.mean", ""},
        {"  SO", "delay.so.mean", ""},
        {"  publish", "delay.publish.mean", ""},
        {"SO queue", "queue.arrival_rate", "so:all"},
        {"", "queue.service_rate", "so:all"},
        {"", "queue.L", "so:all"},
        {"", "queue.Wq", "so:all"},
        {"", "queue.drops", "so:all"},
        {"losses", "link.lost", ""},
        {"", "net.unroutable", ""},
        {"events", "run.events", ""},
    };
    ana_summary s, top;
    sim_table *t;
    char group[96];

    fprintf(out, "\nkmsim %s  scenario '%s'  protocol %s  seed %llu  "
                 "replications %u\n",
            KMSIM_VERSION, sc->name, sc->proto->name,
            (unsigned long long)sc->seed, sc->replications);
    if (find_key(res, "topology.sources", "", &top, NULL) == 0) {
        ana_summary so, sub, links, conn;
        find_key(res, "topology.smart_objects", "", &so, NULL);
        find_key(res, "topology.subscribers", "", &sub, NULL);
        find_key(res, "topology.links", "", &links, NULL);
        find_key(res, "topology.connected", "", &conn, NULL);
        fprintf(out, "topology: %.0f sources, %.0f smart objects, %.0f "
                     "subscribers, %.1f links (mean),\n          connected "
                     "in %.0f of %zu replications\n",
                top.mean, so.mean, sub.mean, links.mean, conn.mean * conn.n,
                conn.n);
    }
    /* Two theory columns: at the offered arrival rate (what the sources
     * create) and at the measured one (what reached the queue). */
    t = sim_table_new(sum_cols, ARRAY_LEN(sum_cols), ARRAY_LEN(sum_cols));
    sim_table_head(t, (const char *const[]){"", "metric", "mean", "unit",
                                            "95% CI", "theory at the", NULL});
    sim_table_head(t, (const char *const[]){"", "", "", "", "", "offered",
                                            "measured"});
    snprintf(group, sizeof group, "key management (%s)", sc->proto->name);
    sim_table_group(t, group);
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        add_row(t, sc, res, &keys[i]);
    sim_table_group(t, "network, delays and queue");
    for (size_t i = 0; i < ARRAY_LEN(rest); i++)
        add_row(t, sc, res, &rest[i]);
    fputc('\n', out);
    sim_table_print(t, out);
    sim_table_free(t);
    /* A set-up that leaves registered sources without a channel is a
     * result to be told, not a silent loss of data. */
    if (find_key(res, "dini.sources.disconnected", "", &s, NULL) == 0 &&
        s.mean > 0 && find_key(res, "sources.registered", "", &top, NULL) == 0)
        fprintf(out, "\nnote: %.3g of %.3g registered sources (mean over "
                     "the replications) ended without a channel to their SO\n"
                     "      (dini.sources.disconnected); their data were "
                     "dropped (dini.data.dropped)\n", s.mean, top.mean);
    fprintf(out, "\nfingerprint: %s\n", fp_all);
}

static void summary_row(ana_csv *c, const scenario *sc, const char *hash,
                        const char *name, const char *entity,
                        const char *unit, const ana_summary *sm,
                        uint32_t ran)
{
    csv_prefix(c, sc, hash);
    ana_csv_u64(c, sc->seed);
    ana_csv_str(c, name);
    ana_csv_str(c, entity);
    ana_csv_str(c, unit);
    if (!sm) {
        ana_csv_u64(c, 0);
        for (int k = 0; k < 6; k++)
            ana_csv_double(c, NAN);
    } else {
        ana_csv_u64(c, sm->n);
        ana_csv_double(c, sm->mean);
        ana_csv_double(c, sm->sd);
        ana_csv_double(c, sm->ci_lo);
        ana_csv_double(c, sm->ci_hi);
        ana_csv_double(c, sm->min);
        ana_csv_double(c, sm->max);
    }
    /* kmsim extension (issue 21): the replications asked, and whether all
     * of them ran (a sweep's --only or a failed point leaves fewer; n can
     * be smaller still where a metric is undefined in a replication) */
    ana_csv_u64(c, sc->replications);
    ana_csv_u64(c, ran >= sc->replications ? 1 : 0);
    ana_csv_endrow(c);
}

/* Writes summary.csv to its temporary file (and each row to tee unless
 * NULL); returns the writer (not yet committed) or NULL with a message. */
void sim_run_summary_rows(ana_csv *c, const scenario *sc, const char *hash,
                          const ana_results *res, uint32_t ran, ana_csv *tee)
{
    for (size_t i = 0; i < ana_results_nkeys(res); i++) {
        const char *n, *e, *u;
        const double *v;
        size_t cnt;
        ana_summary sm;
        int ok;

        ana_results_key(res, i, &n, &e, &u, &v, &cnt);
        ok = ana_summarize(v, cnt, 0.95, &sm) == 0;
        summary_row(c, sc, hash, n, e, u, ok ? &sm : NULL, ran);
        if (tee)
            summary_row(tee, sc, hash, n, e, u, ok ? &sm : NULL, ran);
    }
}

static ana_csv *write_summary(const char *path, const scenario *sc,
                              const char *hash, const ana_results *res,
                              ana_csv *tee, char *err, size_t errlen)
{
    ana_csv *c = ana_csv_open(path, err, errlen);
    if (!c)
        return NULL;
    sim_run_csv_header(c, sc, SIM_RUN_CSV_SUMMARY);
    /* every replication ran: a failed one ends the run without results */
    sim_run_summary_rows(c, sc, hash, res, sc->replications, tee);
    return c;
}

void sim_run_reps_row(ana_csv *c, const scenario *sc, const char *hash,
                      uint32_t rep, uint64_t seed, uint64_t events,
                      double end_s, const char *fingerprint)
{
    csv_prefix(c, sc, hash);
    ana_csv_u64(c, rep);
    ana_csv_u64(c, seed);
    ana_csv_u64(c, events);
    ana_csv_double(c, end_s);
    ana_csv_str(c, fingerprint);
    ana_csv_endrow(c);
}

/* ---- --series (kmsim extension, issue 23) ---- */

void sim_run_series_header(ana_csv *c, const scenario *sc)
{
    static const char *const cols[] = {
        "replication", "seed", "t_start_s", "t_end_s", "warmup", "metric",
        "entity", "unit", "stat", "value"};

    csv_prefix_header(c, sc);
    for (size_t i = 0; i < ARRAY_LEN(cols); i++)
        ana_csv_str(c, cols[i]);
    ana_csv_endrow(c);
}

void sim_run_series_row(ana_csv *c, const scenario *sc, const char *hash,
                        uint32_t rep, uint64_t seed, int64_t t_start,
                        int64_t t_end, const char *name, const char *entity,
                        const char *unit, const char *stat, double value)
{
    csv_prefix(c, sc, hash);
    ana_csv_u64(c, rep);
    ana_csv_u64(c, seed);
    ana_csv_double(c, sim_time_to_s(t_start));
    ana_csv_double(c, sim_time_to_s(t_end));
    ana_csv_u64(c, t_start < sc->warmup ? 1 : 0);
    ana_csv_str(c, name);
    ana_csv_str(c, entity);
    ana_csv_str(c, unit);
    ana_csv_str(c, stat);
    ana_csv_double(c, value);
    ana_csv_endrow(c);
}

/* sim_run's sink: the rows of the replication running now. */
typedef struct series_ctx {
    ana_csv *c;
    const scenario *sc;
    const char *hash;
    uint32_t rep;
    uint64_t seed;
    uint64_t rows;          /* written so far                             */
} series_ctx;

static void series_row(void *vctx, int64_t t_start, int64_t t_end,
                       const char *name, const char *entity,
                       const char *unit, const char *stat, double value)
{
    series_ctx *x = vctx;

    sim_run_series_row(x->c, x->sc, x->hash, x->rep, x->seed, t_start, t_end,
                       name, entity, unit, stat, value);
    x->rows++;
}

/* histograms.csv (kmsim extension, issue 23): one row per non-empty
 * bucket of the histograms pooled over the replications. */
typedef struct hist_ctx {
    ana_csv *c;
    const scenario *sc;
    const char *hash;
} hist_ctx;

static void hist_row(void *vctx, const char *name, const char *entity,
                     const char *unit, size_t bucket, double count)
{
    const hist_ctx *x = vctx;

    csv_prefix(x->c, x->sc, x->hash);
    ana_csv_str(x->c, name);
    ana_csv_str(x->c, entity);
    ana_csv_str(x->c, unit);
    ana_csv_double(x->c, ana_hist_lo(bucket));
    ana_csv_double(x->c, ana_hist_hi(bucket));
    ana_csv_double(x->c, count);
    ana_csv_endrow(x->c);
}

void sim_run_hist_rows(ana_csv *c, const scenario *sc, const char *hash,
                       const ana_hists *h, ana_csv *tee)
{
    hist_ctx x = {c, sc, hash};

    ana_hists_rows(h, hist_row, &x);
    if (tee) {
        x.c = tee;
        ana_hists_rows(h, hist_row, &x);
    }
}

/* The one line of a run stopped by a guard ("run stopped: ...; no
 * results written"). */
static void guard_message(const sim_run_opts *o, const sim_guard *g,
                          int why, uint32_t r, char *err, size_t errlen)
{
    char m[32], b[32];

    if (why == RUN_MAX_EVENTS) {
        snprintf(err, errlen, "run stopped: %llu events reached "
                 "(--max-events %llu); no results written",
                 (unsigned long long)o->max_events,
                 (unsigned long long)o->max_events);
    } else if (why == RUN_MEMORY) {
        sim_guard_fmt_bytes(m, sizeof m, (double)g->peak);
        sim_guard_fmt_bytes(b, sizeof b, (double)o->max_memory);
        snprintf(err, errlen, "run stopped: resident memory %s over the "
                 "budget of %s (--max-memory) in replication %u; no results "
                 "written", m, b, r);
    } else {
        snprintf(err, errlen, "interrupted in replication %u; no results "
                              "written", r);
    }
}

/* ---- --threads (kmsim extension, sim/THREADS.md) ---- */

int sim_run_threads_check(const scenario *sc, int threads, char *err,
                          size_t errlen)
{
    if (threads <= 1)
        return SIM_EXIT_OK;
    if (sc->n_attackers) {             /* the world's words (world.c) */
        snprintf(err, errlen, "--threads %d: scenarios with attackers run "
                 "on one thread only", threads);
        return SIM_EXIT_INPUT;
    }
    if (!sc->proto->threads_ok) {
        snprintf(err, errlen, "--threads %d: protocol %s does not run on "
                 "two threads yet (see sim/THREADS.md)", threads,
                 sc->proto->name);
        return SIM_EXIT_INPUT;
    }
    return SIM_EXIT_OK;
}

/* The split of a world built by sim_world_new_threads: nodes per half,
 * links between the halves and the smallest latency among them (the
 * lookahead of the world's windows, SIM_TIME_MAX: no such link). */
typedef struct split_info {
    uint32_t nodes[2];
    uint32_t cut;
    sim_time lookahead;
} split_info;

static void split_describe(sim_world *w, split_info *si)
{
    const sim_topo *t = sim_world_topo(w);

    memset(si, 0, sizeof *si);
    si->lookahead = SIM_TIME_MAX;
    for (uint32_t v = 0; v < t->n_nodes; v++)
        si->nodes[sim_world_part_of(w, v) != 0]++;
    for (uint32_t l = 0; l < t->n_links; l++) {
        const sim_link *k = &t->links[l];
        if (sim_world_part_of(w, k->a) == sim_world_part_of(w, k->b))
            continue;
        si->cut++;
        if (t->params[k->par].latency < si->lookahead)
            si->lookahead = t->params[k->par].latency;
    }
}

/* w, fresh from sim_world_new*, with the scenario's attackers wired in
 * (atk_attach: their events follow the world's own, as when the world
 * built them), then the guard polled as between the world's set-up
 * phases.  Returns w, or NULL with err set and w freed: the attackers'
 * error (file:line:column), or "interrupted" / "memory budget exceeded"
 * (the caller words those: it knows the flag, budget and replication). */
static sim_world *run_attach(sim_world *w, char *err, size_t errlen)
{
    int rc = atk_attach(w, sim_proto_atk(sim_world_scenario(w)->proto), err,
                        errlen);
    int why = sim_world_setup_check(w);

    if (why != SIM_GUARD_OK) {
        snprintf(err, errlen, "%s", why == SIM_GUARD_MEMORY
                                        ? "memory budget exceeded"
                                        : "interrupted");
        rc = -1;
    }
    if (rc != 0) {
        sim_world_free(w);
        return NULL;
    }
    return w;
}

/* The world of replication seed `seed` for o->threads: refused (NULL,
 * err set, *input 1) as sim_run_threads_check says, or when one half of
 * the split has no node (a network too small to split). */
static sim_world *threads_world(const scenario *sc, int threads,
                                uint64_t seed, sim_guard *g, int *input,
                                char *err, size_t errlen)
{
    sim_world *w;
    split_info si;

    *input = 0;
    if (threads <= 1) {
        w = sim_world_new_guarded(sc, seed, g, err, errlen);
        return w ? run_attach(w, err, errlen) : NULL;
    }
    if (sim_run_threads_check(sc, threads, err, errlen) != SIM_EXIT_OK) {
        *input = 1;
        return NULL;
    }
    w = sim_world_new_threads(sc, seed, g, threads, err, errlen);
    if (w)                          /* no attackers here: a no-op */
        w = run_attach(w, err, errlen);
    if (!w)
        return NULL;
    split_describe(w, &si);
    if (sim_world_nparts(w) < 2 || !si.nodes[0] || !si.nodes[1]) {
        snprintf(err, errlen, "--threads %d: cannot split the network in "
                 "two: it has %u node%s", threads, si.nodes[0] + si.nodes[1],
                 si.nodes[0] + si.nodes[1] == 1 ? "" : "s");
        sim_world_free(w);
        *input = 1;
        return NULL;
    }
    return w;
}

int sim_run_check_split(const scenario *sc, int threads, char *info,
                        size_t infolen, char *err, size_t errlen)
{
    sim_world *w;
    split_info si;
    char la[64];
    int input;

    if (threads <= 1) {
        snprintf(info, infolen, "threads 1");
        return sim_run_check(sc, err, errlen);
    }
    w = threads_world(sc, threads, sc->seed, NULL, &input, err, errlen);
    if (!w)
        return SIM_EXIT_INPUT;
    split_describe(w, &si);
    if (si.lookahead == SIM_TIME_MAX)
        snprintf(la, sizeof la, "none");
    else
        sim_units_format(sim_time_to_s(si.lookahead), SIM_DIM_TIME, la,
                         sizeof la);
    snprintf(info, infolen, "threads %d: halves of %u + %u nodes, %u "
             "link%s cut, lookahead %s", threads, si.nodes[0], si.nodes[1],
             si.cut, si.cut == 1 ? "" : "s", la);
    sim_world_free(w);
    return SIM_EXIT_OK;
}

sim_world *sim_run_replication(const scenario *sc, const sim_run_opts *o,
                               uint32_t r, int *rc, char *err, size_t errlen)
{
    sim_guard g;
    sim_world *w;
    int why, input;

    if (o->series > 0) {
        /* --series: every interval is written, empty ones too (a
         * 1 ns interval over an hour would be 3.6e12 of them) */
        sim_time end = o->until ? o->until : sc->duration;
        uint64_t k = (uint64_t)(end / o->series) + (end % o->series != 0);

        if (k > SIM_SERIES_MAX_INTERVALS) {
            snprintf(err, errlen, "--series: %.9g s intervals over %.9g s "
                     "are %llu intervals per replication; at most %d (a "
                     "longer INTERVAL, or --until)", sim_time_to_s(o->series),
                     sim_time_to_s(end), (unsigned long long)k,
                     SIM_SERIES_MAX_INTERVALS);
            *rc = SIM_EXIT_INPUT;
            return NULL;
        }
    }
    sim_guard_init(&g, o->stop, o->max_memory);
    w = threads_world(sc, o->threads, sim_run_seed(sc->seed, r), &g, &input,
                      err, errlen);
    if (!w && input) {
        *rc = SIM_EXIT_INPUT;
        sim_guard_deinit(&g);
        return NULL;
    }
    if (!w) {
        if (g.tripped) {
            guard_message(o, &g, g.tripped == SIM_GUARD_MEMORY ? RUN_MEMORY
                                                               : RUN_STOPPED,
                          r, err, errlen);
            if (g.tripped == SIM_GUARD_STOP)   /* while building the world */
                snprintf(err, errlen, "interrupted while building the world "
                         "of replication %u; no results written", r);
            *rc = SIM_EXIT_FAIL;
        } else {
            *rc = SIM_EXIT_INPUT;   /* err names file:line:column */
        }
        sim_guard_deinit(&g);
        return NULL;
    }
    if (o->series > 0 && o->series_row) {
        ana_series_opts so;

        memset(&so, 0, sizeof so);
        so.interval = o->series;
        so.end = o->until ? o->until : sc->duration;
        so.metrics = o->series_metrics ? o->series_metrics
                                       : SIM_SERIES_DEFAULT;
        so.row = o->series_row;
        so.row_ctx = o->series_ctx;
        if (sim_world_series(w, &so, err, errlen) != 0) {
            sim_world_free(w);
            sim_guard_deinit(&g);
            *rc = SIM_EXIT_INPUT;
            return NULL;
        }
    }
    if (o->pcap && r == 0 &&
        sim_world_set_pcap(w, o->pcap, r, err, errlen) != 0) {
        char m[512];
        snprintf(m, sizeof m, "kmsim run: %s", err);
        snprintf(err, errlen, "%s", m);
        sim_world_free(w);
        sim_guard_deinit(&g);
        *rc = SIM_EXIT_INPUT;
        return NULL;
    }
    why = run_world(w, sc, o, r, &g);
    if (why != RUN_DONE) {
        sim_world_free(w);
        guard_message(o, &g, why, r, err, errlen);
        sim_guard_deinit(&g);
        *rc = SIM_EXIT_FAIL;
        return NULL;
    }
    sim_guard_deinit(&g);
    topo_metrics(w);
    sim_world_finish(w);
    sim_health_measure(sim_world_metrics(w), sc->traffic.anonymous);
    return w;
}

uint64_t sim_run_seed(uint64_t base, uint32_t replication)
{
    unsigned char b[8];
    uint64_t s = 0;

    if (replication == 0)
        return base;
    cry_derive(b, sizeof b, base, "replication", replication);
    for (int i = 0; i < 8; i++)
        s |= (uint64_t)b[i] << (8 * i);
    return s;
}

int sim_run_check(const scenario *sc, char *err, size_t errlen)
{
    sim_world *w = sim_world_new(sc, sc->seed, err, errlen);

    if (w)
        w = run_attach(w, err, errlen);
    if (!w)
        return SIM_EXIT_INPUT;      /* err names file:line:column */
    sim_world_free(w);
    return SIM_EXIT_OK;
}

/* A run's result files, sealed; `made` says which directories the run
 * created (sim_run_mkdir).  nodes NULL: p_nodes is a stale file to remove
 * when the others go in place. */
struct sim_run_files {
    char *dir;
    size_t made;
    int lock;              /* fd holding --out's lock (sim_run_lock), -1 */
    xcleanup cl;           /* dir while made > 0, for xoom              */
    char *p_nodes;
    char *p_series;        /* series.csv: written (series) or stale     */
    ana_csv *summ, *runs, *reps, *nodes;
    ana_csv *series;       /* --series, or NULL                          */
    ana_csv *hist;         /* histograms.csv                            */
    ana_csv *prov;         /* run.yaml, or NULL (no argv)               */
};

static void files_free(sim_run_files *f)
{
    xcleanup_del(&f->cl);
    if (f->lock >= 0)
        close(f->lock);     /* after the renames: releases the lock */
    free(f->dir);
    free(f->p_nodes);
    free(f->p_series);
    free(f);
}

void sim_run_files_abort(sim_run_files *f)
{
    if (!f)
        return;
    ana_csv_abort(f->summ);
    ana_csv_abort(f->runs);
    ana_csv_abort(f->reps);
    ana_csv_abort(f->nodes);
    ana_csv_abort(f->series);
    ana_csv_abort(f->hist);
    ana_csv_abort(f->prov);
    sim_run_rmdir(f->dir, f->made);
    files_free(f);
}

int sim_run_files_commit(sim_run_files *f, char *err, size_t errlen)
{
    int rc;

    /* A stale nodes.csv of an earlier --per-node run would not belong to
     * these results: it goes first. */
    if (!f->nodes && remove(f->p_nodes) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove stale file: %s", f->p_nodes,
                 strerror(errno));
        sim_run_files_abort(f);
        return -1;
    }
    if (!f->series && remove(f->p_series) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove stale file: %s",
                 f->p_series, strerror(errno));
        sim_run_files_abort(f);
        return -1;
    }
    rc = ana_csv_commit(f->summ, err, errlen);
    rc |= ana_csv_commit(f->runs, err, errlen);
    rc |= ana_csv_commit(f->reps, err, errlen);
    rc |= ana_csv_commit(f->hist, err, errlen);
    if (f->nodes)
        rc |= ana_csv_commit(f->nodes, err, errlen);
    if (f->series)
        rc |= ana_csv_commit(f->series, err, errlen);
    if (f->prov)
        rc |= ana_csv_commit(f->prov, err, errlen);
    if (rc)
        sim_run_rmdir(f->dir, f->made);   /* if nothing went in place */
    files_free(f);
    return rc ? -1 : 0;
}

int sim_run(const scenario *sc, const sim_run_opts *o, FILE *out, char *err,
            size_t errlen)
{
    char hash[2 * CRY_HASH_BYTES + 1], fp_hex[2 * CRY_HASH_BYTES + 1];
    char *p_runs, *p_sum, *p_reps, *p_nodes, *p_ser, *p_hist;
    ana_results *res = ana_results_new();
    ana_hists *hists = ana_hists_new();
    cry_hash_state fp_all;
    unsigned char fp[CRY_HASH_BYTES];
    sim_run_files *f = xcalloc(1, sizeof *f);
    row_ctx x;
    series_ctx sx;
    sim_run_opts ro = *o;
    int busy;
    int rc = SIM_EXIT_FAIL;
    size_t dlen;

    if (o->keep)
        *o->keep = NULL;
    if (o->defer)
        *o->defer = NULL;
    f->lock = -1;
    cry_hex(hash, sc->hash, CRY_HASH_BYTES);
    if (o->out_dir) {
        f->dir = xstrdup(o->out_dir);
    } else {
        dlen = strlen(sc->name) + 16;
        f->dir = xmalloc(dlen);
        snprintf(f->dir, dlen, "results/%s", sc->name);
    }
    dlen = strlen(f->dir) + 32;
    p_runs = xmalloc(dlen);
    p_sum = xmalloc(dlen);
    p_reps = xmalloc(dlen);
    p_nodes = xmalloc(dlen);
    p_hist = xmalloc(dlen);
    snprintf(p_hist, dlen, "%s/histograms.csv", f->dir);
    snprintf(p_nodes, dlen, "%s/nodes.csv", f->dir);
    f->p_nodes = xstrdup(p_nodes);
    snprintf(p_runs, dlen, "%s/runs.csv", f->dir);
    snprintf(p_sum, dlen, "%s/summary.csv", f->dir);
    snprintf(p_reps, dlen, "%s/replications.csv", f->dir);
    p_ser = xmalloc(dlen);
    snprintf(p_ser, dlen, "%s/series.csv", f->dir);
    f->p_series = xstrdup(p_ser);

    if (sim_run_mkdir(f->dir, &f->made) != 0) {
        sim_run_mkdir_error(f->dir, err, errlen);
        goto out;
    }
    /* One process at a time writes into a directory, so the files put in
     * place are one run's set.  Busy: the directory (even if this call
     * made it) is now the other process's, and is left alone. */
    f->lock = sim_run_lock(f->dir, &busy, err, errlen);
    if (f->lock < 0) {
        if (busy)
            f->made = 0;
        goto out;
    }
    if (f->made) {            /* out of memory removes what we made */
        f->cl.path = f->dir;
        f->cl.made = f->made;
        xcleanup_add(&f->cl);
    }
    f->runs = ana_csv_open(p_runs, err, errlen);
    f->reps = f->runs ? ana_csv_open(p_reps, err, errlen) : NULL;
    f->hist = f->reps ? ana_csv_open(p_hist, err, errlen) : NULL;
    if (!f->runs || !f->reps || !f->hist)
        goto out;
    if (o->per_node) {
        f->nodes = ana_csv_open(f->p_nodes, err, errlen);
        if (!f->nodes)
            goto out;
        nodes_header(f->nodes, sc);
    }
    sim_run_csv_header(f->runs, sc, SIM_RUN_CSV_RUNS);
    sim_run_csv_header(f->reps, sc, SIM_RUN_CSV_REPLICATIONS);
    sim_run_csv_header(f->hist, sc, SIM_RUN_CSV_HISTOGRAMS);
    memset(&sx, 0, sizeof sx);
    if (o->series > 0) {
        f->series = ana_csv_open(f->p_series, err, errlen);
        if (!f->series)
            goto out;
        sim_run_series_header(f->series, sc);
        sx.c = f->series;
        sx.sc = sc;
        sx.hash = hash;
        ro.series_row = series_row;
        ro.series_ctx = &sx;
    }

    memset(&x, 0, sizeof x);
    x.sc = sc;
    x.hash = hash;
    x.runs = f->runs;
    x.tee = o->runs_tee;
    x.res = res;
    cry_hash_init(&fp_all);
    for (uint32_t r = 0; r < sc->replications; r++) {
        uint64_t seed = sim_run_seed(sc->seed, r);
        sim_world *w;

        sx.rep = r;
        sx.seed = seed;
        w = sim_run_replication(sc, &ro, r, &rc, err, errlen);

        if (!w)
            goto out;
        sim_world_fingerprint(w, fp);
        cry_hash_update(&fp_all, fp, sizeof fp);
        cry_hex(fp_hex, fp, sizeof fp);
        x.rep = r;
        x.seed = seed;
        ana_metrics_rows(sim_world_metrics(w), on_row, &x);
        ana_hists_add_metrics(hists, sim_world_metrics(w));
        sim_run_reps_row(f->reps, sc, hash, r, seed, sim_world_events(w),
                         sim_time_to_s(sim_world_now(w)), fp_hex);
        if (f->nodes)
            nodes_rows(f->nodes, sc, hash, w, r, seed);
        sim_world_free(w);
    }
    cry_hash_final(&fp_all, fp);
    cry_hex(fp_hex, fp, sizeof fp);
    if (f->series && sx.rows == 0)   /* e.g. a mistyped --series-metrics */
        fprintf(stderr, "kmsim: warning: --series: no metric matched %s; "
                "series.csv has its header only\n",
                o->series_metrics ? o->series_metrics : "the default set");

    /* All files are complete (sealed) before any replaces its target;
     * then they are renamed together. */
    f->summ = write_summary(p_sum, sc, hash, res, o->summary_tee, err,
                            errlen);
    sim_run_hist_rows(f->hist, sc, hash, hists, o->hist_tee);
    if (!f->summ || ana_csv_seal(f->summ, err, errlen) != 0 ||
        ana_csv_seal(f->runs, err, errlen) != 0 ||
        ana_csv_seal(f->hist, err, errlen) != 0 ||
        ana_csv_seal(f->reps, err, errlen) != 0 ||
        (f->nodes && ana_csv_seal(f->nodes, err, errlen) != 0) ||
        (f->series && ana_csv_seal(f->series, err, errlen) != 0))
        goto out;
    if (o->argv && (!(f->prov = sim_prov_open_scn(f->dir, o->argc, o->argv,
                                                  sc, hash, err, errlen)) ||
                    ana_csv_seal(f->prov, err, errlen) != 0))
        goto out;
    if (o->stop && *o->stop) {   /* a signal after the last replication */
        snprintf(err, errlen, "interrupted; no results written");
        goto out;
    }
    if (o->defer) {
        *o->defer = f;
        f = NULL;
    } else {
        /* --db: stored while this process still holds the directory's
         * lock (a duplicate of its descriptor keeps the flock), so the
         * files read back are the ones just put in place */
        int dblock = o->db ? dup(f->lock) : -1;
        char *dir = xstrdup(f->dir);
        int failed = sim_run_files_commit(f, err, errlen);
        f = NULL;
        if (failed) {
            if (dblock >= 0)
                close(dblock);
            free(dir);
            goto out;
        }
        if (!o->quiet) {
            print_summary(out, sc, res, fp_hex);
            fprintf(out, "\nwrote %s (%zu rows)\n      %s\n      %s\n",
                    p_runs, x.rows, p_sum, p_reps);
            if (o->per_node)
                fprintf(out, "      %s\n", p_nodes);
            if (o->series > 0)
                fprintf(out, "      %s\n", p_ser);
        }
        if (o->db) {
            char e[1024];
            int dbrc = sim_db_store(o->db, dir, o->stop,
                                    o->quiet ? NULL : out, e, sizeof e);
            if (dblock >= 0)
                close(dblock);
            free(dir);
            dir = NULL;
            if (dbrc != SIM_EXIT_OK) {
                snprintf(err, errlen, "%s (the results are in place; kmsim "
                         "db import stores them)", e);
                rc = dbrc;
                goto out;
            }
        }
        free(dir);
    }
    rc = SIM_EXIT_OK;
    {
        /* After the summary: on a terminal (stdout line-buffered) they
         * come last.  No fflush(out) here: its error is main's to report
         * (check_stdout). */
        int nw = sim_health_warn(res, o->health_what, stderr);
        if (o->warnings)
            *o->warnings += nw;
    }
    if (o->keep) {
        *o->keep = res;
        res = NULL;
    }
out:
    sim_run_files_abort(f);
    ana_results_free(res);
    ana_hists_free(hists);
    free(p_runs);
    free(p_sum);
    free(p_reps);
    free(p_nodes);
    free(p_ser);
    free(p_hist);
    return rc;
}
