/* tworld.h — tiny test worlds for the protocol test programs: a scenario
 * text with an explicit topology, built, run and freed, and the run's
 * metrics read by name.  Node i of a roles string has id i: 'O' a smart
 * object, 'U' a subscriber, anything else a source. */
#ifndef KMSIM_TWORLD_H
#define KMSIM_TWORLD_H

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "attack.h"
#include "proto.h"
#include "scenario.h"

#define TW_DRAIN (5 * SIM_S)  /* run past the end: nothing left in flight */

/* scenarios/<file>.yaml of the source tree with `set` (n --set
 * overrides, may be NULL), or NULL with the loader's message on stderr. */
static inline scenario *tw_load_shipped(const char *file,
                                        const char *const *set, size_t n)
{
    char path[1024], err[256];
    scenario *sc;

    snprintf(path, sizeof path, "%s/scenarios/%s.yaml", TEST_SRCDIR, file);
    sc = scn_load(path, set, n, err, sizeof err);
    if (!sc)
        fprintf(stderr, "\n  %s\n", err);
    return sc;
}

/* FNV-1a over every metric row (name, entity, unit, value's bits): an
 * ana_metrics_rows callback, ctx a uint64_t seeded 1469598103934665603. */
static inline void tw_rows_hash(void *ctx, const char *name,
                                const char *entity, const char *unit,
                                double value)
{
    uint64_t *h = ctx;
    const char *f[3] = { name, entity, unit };
    unsigned char b[sizeof value];

    memcpy(b, &value, sizeof b);
    for (int i = 0; i < 3; i++)
        for (const char *c = f[i]; *c; c++)
            *h = (*h ^ (unsigned char)*c) * 1099511628211ull;
    for (size_t i = 0; i < sizeof b; i++)
        *h = (*h ^ b[i]) * 1099511628211ull;
}

/* w, fresh from sim_world_new*, with its scenario's attackers wired in
 * as the runner does (atk_attach; a no-op without attackers), or NULL
 * (w freed) with the message in err.  NULL w: NULL. */
static inline sim_world *tw_attach(sim_world *w, char *err, size_t errlen)
{
    if (w && atk_attach(w, sim_proto_atk(sim_world_scenario(w)->proto), err,
                        errlen) != 0) {
        sim_world_free(w);
        return NULL;
    }
    return w;
}

/* A world of sc with seed on `threads` threads (1 or 2), or -2: its two
 * partitions in turn on this thread (sim_world_new_alternating); the
 * message on stderr and NULL when refused. */
static inline sim_world *tw_new_threads(const scenario *sc, uint64_t seed,
                                        int threads)
{
    char err[256];
    sim_world *w = threads == -2
                       ? sim_world_new_alternating(sc, seed, NULL, err,
                                                   sizeof err)
                       : sim_world_new_threads(sc, seed, NULL, threads, err,
                                               sizeof err);

    w = tw_attach(w, err, sizeof err);
    if (!w)
        fprintf(stderr, "\n  %s\n", err);
    return w;
}

/* E-G on a 36-node grid split in two (--threads 2 tests of test_world and
 * test_local): revocation rounds at three times, cut links re-keyed
 * directly (eg_setup.c cut_sync). */
#define TW_EG_REVOKE_YAML \
    "name: t\nseed: 9\nduration: 4min\n" \
    "protocol: {name: eg, pool: 200, ring: 16, q: 2, path_keys: false,\n" \
    "  path_hops: 3, revoke_at: [50s, 90s, 91s],\n" \
    "  revoke_nodes: [5, 14, 30]}\n" \
    "topology: {generator: grid, sources: 36, columns: 6, spacing: 10m,\n" \
    "  smart_objects: 2, link: {latency: 5ms}}\n" \
    "traffic: {interval: exp(10s), size: 64B,\n" \
    "  register_at: 'uniform(0s, 5s)'}\n" \
    "smart_object: {service: exp(50ms)}\n"

typedef struct tworld {
    scenario *sc;
    sim_world *w;
} tworld;

/* The nodes list of a roles string. */
static inline const char *tw_nodes(char *buf, size_t n, const char *roles)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; roles[i]; i++) {
        int k = snprintf(buf + len, n - len, "%s{id: %zu, role: %s}",
                         i ? ", " : "", i,
                         roles[i] == 'O' ? "smart_object" :
                         roles[i] == 'U' ? "subscriber" : "source");
        CU_ASSERT_FATAL(k > 0 && (size_t)k < n - len);
        len += (size_t)k;
    }
    return buf;
}

/* Builds the world of scenario text `yaml` with `seed`; 0, or -1 (the
 * message printed). */
static inline int tw_new(tworld *t, const char *yaml, uint64_t seed)
{
    char err[512];

    t->w = NULL;
    t->sc = scn_load_buffer("tworld.yaml", yaml, strlen(yaml), NULL, 0,
                            err, sizeof err);
    if (!t->sc) {
        fprintf(stderr, "load failed: %s\n", err);
        return -1;
    }
    t->w = tw_attach(sim_world_new(t->sc, seed, err, sizeof err), err,
                     sizeof err);
    if (!t->w) {
        fprintf(stderr, "world failed: %s\n", err);
        scn_free(t->sc);
        t->sc = NULL;
        return -1;
    }
    return 0;
}

/* A world: `proto` is the protocol mapping's content ("name: x, ..."),
 * 1 Mbit/s links of 1 ms, exp(10 ms) service, `extra` appended (top-level
 * sections such as "subscribers: {...}\n", "moves: [...]\n"). */
static inline int tw_build(tworld *t, uint64_t seed, const char *duration,
                           const char *proto, const char *roles,
                           const char *links, const char *traffic,
                           const char *extra)
{
    char nodes[2048], yaml[8192];
    int n = snprintf(yaml, sizeof yaml,
        "name: tworld\nseed: 1\nduration: %s\n"
        "protocol: {%s}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
        "  nodes: [%s]\n  links: [%s]\n"
        "traffic: {%s}\n"
        "smart_object: {service: 'exp(10ms)'}\n%s",
        duration, proto, tw_nodes(nodes, sizeof nodes, roles), links,
        traffic, extra ? extra : "");
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof yaml);
    return tw_new(t, yaml, seed);
}

/* Runs to the scenario's end plus TW_DRAIN, then writes the metrics. */
static inline void tw_run_all(tworld *t)
{
    sim_world_run(t->w, t->sc->duration + TW_DRAIN, 0);
    sim_world_finish(t->w);
}

static inline void tw_free(tworld *t)
{
    sim_world_free(t->w);
    scn_free(t->sc);
    t->w = NULL;
    t->sc = NULL;
}

/* Counter sum, value, or samples mean of metric `name` (entity ""). */
static inline double tw_met(sim_world *w, const char *name)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, "");
    if (id < 0) {
        fprintf(stderr, "no metric %s\n", name);
        CU_FAIL("metric missing");
        return NAN;
    }
    return ana_metric_get(m, id);
}

/* Number of samples of a SAMPLES metric. */
static inline uint64_t tw_met_n(sim_world *w, const char *name)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, "");
    const ana_welford *s = id >= 0 ? ana_metric_samples(m, id) : NULL;
    if (!s) {
        fprintf(stderr, "no samples metric %s\n", name);
        CU_FAIL("metric missing");
        return 0;
    }
    return s->n;
}

/* 1 if p is a protocol message of `type` (its clear first control byte). */
static inline int tw_is_ctl(const sim_pkt *p, int type)
{
    return sim_pkt_type_of(p) == SIM_PKT_CONTROL &&
           sim_pkt_ctl_len(p) >= 1 &&
           !(sim_pkt_flags(p) & SIM_F_CTL_SEALED) &&
           sim_pkt_ctl((sim_pkt *)p)[0] == type;
}

#endif
