/* health.c — health checks of a run (see health.h).  kmsim extension. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "mlist.h"
#include "util.h"

/* The value of (name, entity) in m, or NaN when the run never
 * registered it. */
static double get(const ana_metrics *m, const char *name, const char *entity)
{
    int id = ana_metric_find(m, name, entity);
    return id < 0 ? NAN : ana_metric_get(m, id);
}

static void set(ana_metrics *m, const char *name, const char *unit, double v)
{
    ana_metric_set(m, ana_metric_reg(m, name, "", unit, ANA_VALUE), v);
}

/* Protocols' counters of data messages dropped before the SO. */
static const char *const dropped[] = {
    "dini.data.dropped", "eg.data.dropped", "dipietro.data.dropped",
    "data.held_drops", "so.queue_drops",
};

/* The SO entities of a run's queue rows, each once. */
typedef struct so_list {
    char **ents;
    size_t n;
} so_list;

static void find_sos(void *ctx, const char *name, const char *entity,
                     const char *unit, double value)
{
    so_list *l = ctx;

    (void)unit;
    (void)value;
    if (strcmp(name, "queue.arrivals") != 0 ||
        strncmp(entity, "so:", 3) != 0 || strcmp(entity, "so:all") == 0)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->ents[i], entity) == 0)
            return;
    l->ents = xrealloc(l->ents, (l->n + 1) * sizeof *l->ents);
    l->ents[l->n++] = xstrdup(entity);
}

/* Row callback: sets *ctx when a row belongs to an attacker. */
static void find_attacker(void *ctx, const char *name, const char *entity,
                          const char *unit, double value)
{
    (void)name;
    (void)unit;
    (void)value;
    if (strncmp(entity, "attack:", 7) == 0)
        *(int *)ctx = 1;
}

void sim_health_measure(ana_metrics *m, uint32_t anonymous)
{
    int attacked = 0;

    double src = get(m, "topology.sources", "");
    double reg = get(m, "sources.registered", "");
    double gen = get(m, "data.generated", "");
    double at = get(m, "data.at_so", "");
    double disc = get(m, "dini.sources.disconnected", "");
    double drop = 0, rho = NAN, unreach = 0;
    double lam = get(m, "queue.arrival_rate", "so:all");
    double off = get(m, "queue.arrival_rate.theory", "so:all");
    int have_drop = 0;
    so_list sl = {NULL, 0};

    if (!isnan(src) && !isnan(reg))
        set(m, "health.sources_unregistered", "node",
            fmax(0.0, src - anonymous - reg));
    if (!isnan(disc))
        set(m, "health.sources_without_channel", "node", disc);
    if (!isnan(gen) && !isnan(at) && gen > 0)
        set(m, "health.data_at_so_fraction", "1", at / gen);
    for (size_t i = 0; i < ARRAY_LEN(dropped); i++) {
        double d = get(m, dropped[i], "");
        if (!isnan(d)) {
            drop += d;
            have_drop = 1;
        }
    }
    if (have_drop && !isnan(gen) && gen > 0)
        set(m, "health.data_dropped_fraction", "1", drop / gen);
    /* Per SO (entities "so:<id>"): no arrival at all (no source reaches
     * it), and the largest utilisation offered (rho of the run's own
     * theory) or measured (measured arrival rate / measured service
     * rate). */
    ana_metrics_rows(m, find_sos, &sl);
    for (size_t k = 0; k < sl.n; k++) {
        const char *ent = sl.ents[k];
        double a = get(m, "queue.arrivals", ent);
        double r1 = get(m, "queue.utilisation.theory", ent);
        double la = get(m, "queue.arrival_rate", ent);
        double mu = get(m, "queue.service_rate", ent);
        double r2 = mu > 0 ? la / mu : NAN;

        unreach += a == 0;
        if (!isnan(r1) && (isnan(rho) || r1 > rho))
            rho = r1;
        if (!isnan(r2) && (isnan(rho) || r2 > rho))
            rho = r2;
    }
    if (sl.n) {
        set(m, "health.so_unreachable", "node", unreach);
        if (!isnan(rho))
            set(m, "health.so_rho_max", "1", rho);
    }
    for (size_t k = 0; k < sl.n; k++)
        free(sl.ents[k]);
    free(sl.ents);
    /* An attacker's injected messages (floods, replays, forgeries) reach
     * the SO queues too: the measured rate is then not the sources'. */
    ana_metrics_rows(m, find_attacker, &attacked);
    if (!attacked && !isnan(lam) && !isnan(off) && off > 0)
        set(m, "health.arrival_rate_error", "1", lam / off - 1.0);
}

/* The checks: the health metric, when its mean is a problem, what to say
 * and the option that usually causes it. */
typedef struct check {
    const char *metric;
    int (*bad)(double mean);
    const char *what, *cause;
    int poisson;       /* also beyond SIM_HEALTH_RATE_Z standard errors */
} check;

static int positive(double v) { return v > 0; }
static int low_at_so(double v) { return v < SIM_HEALTH_AT_SO_MIN; }
static int high_drop(double v) { return v > 1.0 - SIM_HEALTH_AT_SO_MIN; }
static int unstable(double v) { return v >= SIM_HEALTH_RHO_MAX; }
static int off_rate(double v) { return fabs(v) > SIM_HEALTH_RATE_TOL; }

static const check checks[] = {
    {"health.sources_unregistered", positive,
     "sources never registered (mean per replication)",
     "traffic.register_at too late for duration, or sources cut off from "
     "their SO (topology.*)", 0},
    {"health.sources_without_channel", positive,
     "registered sources ended without a channel to their SO",
     "a key pool or radio range too small for the sources (protocol.pool, "
     "protocol.search_hops, topology.sources)", 0},
    {"health.data_at_so_fraction", low_at_so,
     "less than 95% of the data generated reached an SO",
     "sources without a channel, link loss (topology.link) or a full SO "
     "queue (smart_object.queue_capacity)", 0},
    {"health.data_dropped_fraction", high_drop,
     "more than 5% of the data generated were dropped before the SO",
     "sources without a key or channel, or a full SO queue "
     "(smart_object.queue_capacity)", 0},
    {"health.so_unreachable", positive,
     "smart objects that no source reached",
     "more smart objects than the topology feeds (topology.smart_objects)", 0},
    {"health.so_rho_max", unstable,
     "an SO is unstable (utilisation rho >= 1)",
     "traffic.interval too short for smart_object.service", 0},
    {"health.arrival_rate_error", off_rate,
     "the measured SO arrival rate is more than 20% from the offered one",
     "losses before the SO, or a duration/warmup too short for "
     "traffic.interval", 1},
};

/* The mean (sum: *sum unless NULL) of the non-NaN values of key (name,
 * entity) in res; NaN if none. */
static double stat_of(const ana_results *res, const char *name,
                      const char *entity, double *sum)
{
    for (size_t i = 0; i < ana_results_nkeys(res); i++) {
        const char *n, *e, *u;
        const double *v;
        size_t cnt, k = 0;
        double s = 0;
        ana_results_key(res, i, &n, &e, &u, &v, &cnt);
        if (strcmp(n, name) != 0 || strcmp(e, entity) != 0)
            continue;
        for (size_t j = 0; j < cnt; j++)
            if (!isnan(v[j])) {
                s += v[j];
                k++;
            }
        if (sum)
            *sum = k ? s : NAN;
        return k ? s / k : NAN;
    }
    if (sum)
        *sum = NAN;
    return NAN;
}

/* Is a relative arrival-rate error e beyond SIM_HEALTH_RATE_Z Poisson
 * standard errors (1/sqrt(N) of the N arrivals expected at the offered
 * rate, N = counted / (1 + e))?  Short runs with a few dozen arrivals
 * miss the offered rate by 20% by chance alone. */
static int significant(const ana_results *res, double e)
{
    double n;

    stat_of(res, "queue.arrivals", "so:all", &n);
    if (isnan(n) || e <= -1.0)
        return 1;
    n /= 1.0 + e;
    return n <= 0 || fabs(e) > SIM_HEALTH_RATE_Z / sqrt(n);
}

int sim_health_warn(const ana_results *res, const char *what, FILE *err)
{
    int n = 0;

    for (size_t i = 0; i < ARRAY_LEN(checks); i++) {
        double m = stat_of(res, checks[i].metric, "", NULL);
        if (isnan(m) || !checks[i].bad(m) ||
            (checks[i].poisson && !significant(res, m)))
            continue;
        n++;
        if (err)
            fprintf(err, "kmsim: warning: %s%s%s (%s = %.4g; usually %s)\n",
                    what && *what ? what : "", what && *what ? ": " : "",
                    checks[i].what, checks[i].metric, m, checks[i].cause);
    }
    return n;
}

/* Meanings for `kmsim metrics` (mlist.c), beside the checks above. */
const ana_metric_doc sim_mdoc_health[] = {
    {"health.sources_unregistered",
     "health check: sources (not anonymous) never registered"},
    {"health.sources_without_channel",
     "health check: sources left with no channel (Dini)"},
    {"health.data_at_so_fraction",
     "health check: data messages at an SO / data generated (warns < 0.95)"},
    {"health.data_dropped_fraction",
     "health check: data dropped before the SO / generated (warns > 0.05)"},
    {"health.so_unreachable",
     "health check: smart objects no data reached"},
    {"health.so_rho_max",
     "health check: largest SO utilisation, offered or measured (warns >= 1)"},
    {"health.arrival_rate_error",
     "health check: |measured - offered| / offered SO arrival rate "
     "(warns > 0.2 beyond 3 Poisson standard errors)"},
    {NULL, NULL}};
