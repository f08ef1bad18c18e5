/* test_eg.c — the Eschenauer–Gligor protocol and its q-composite variant
 * (sim/proto/eg.c): option checks, ring sampling, the measured sharing
 * probability against the closed forms of analysis/eg_theory.c, path keys
 * through an intermediate node, revocation of a captured ring, data sealed
 * hop by hop (taps), routes over secured links, and whole runs.  State is read through the
 * inspection API of proto/eg.h, packets through taps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tworld.h"
#include "proto.h"
#include "cry.h"
#include "eg_theory.h"
#include "proto/eg.h"

#define RING_MAX 128

static int grid_world(tworld *t, uint64_t seed, unsigned sources,
                      unsigned cols, unsigned sos, unsigned subs,
                      const char *duration, const char *proto)
{
    char yaml[2048];
    int n = snprintf(yaml, sizeof yaml,
        "name: eg-test\nseed: 1\nduration: %s\n"
        "protocol: {name: eg, %s}\n"
        "topology:\n  generator: grid\n  sources: %u\n"
        "  smart_objects: %u\n  subscribers: %u\n  columns: %u\n"
        "  spacing: 10m\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps, queue: 1MiB}\n"
        "traffic: {interval: 'exp(5s)', size: 64B, "
        "register_at: 'uniform(0s, 1s)'}\n"
        "smart_object: {service: 'exp(5ms)'}\n",
        duration, proto, sources, sos, subs, cols);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof yaml);
    return tw_new(t, yaml, seed);
}

/* An explicit world: roles 'O' SO, 'U' subscriber, else a source; node i
 * has id i; links "{a: 0, b: 1}, ...". */
static int explicit_world(tworld *t, uint64_t seed, const char *duration,
                          const char *proto, const char *roles,
                          const char *links, const char *traffic)
{
    char nodes[1024], yaml[4096];
    size_t len = 0;
    int n;

    nodes[0] = '\0';
    for (size_t i = 0; roles[i]; i++) {
        n = snprintf(nodes + len, sizeof nodes - len, "%s{id: %zu, role: %s}",
                     i ? ", " : "", i,
                     roles[i] == 'O' ? "smart_object"
                     : roles[i] == 'U' ? "subscriber" : "source");
        CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof nodes - len);
        len += (size_t)n;
    }
    n = snprintf(yaml, sizeof yaml,
        "name: eg-test\nseed: 1\nduration: %s\n"
        "protocol: {name: eg, %s}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
        "  nodes: [%s]\n  links: [%s]\n"
        "traffic: {%s}\n"
        "smart_object: {service: 'exp(5ms)'}\n",
        duration, proto, nodes, links, traffic);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof yaml);
    return tw_new(t, yaml, seed);
}

static uint32_t shared_count(const sim_world *w, uint32_t a, uint32_t b)
{
    uint32_t ra[RING_MAX], rb[RING_MAX], na, nb, i = 0, j = 0, k = 0;
    na = eg_ring(w, a, ra, RING_MAX);
    nb = eg_ring(w, b, rb, RING_MAX);
    while (i < na && j < nb) {
        if (ra[i] < rb[j])
            i++;
        else if (ra[i] > rb[j])
            j++;
        else
            k++, i++, j++;
    }
    return k;
}

/* ------------------------------------------------------------------------
 * Options and closed forms
 * ---------------------------------------------------------------------- */

static int parse(const char *text, char *err, size_t errlen)
{
    void *o = NULL;
    int rc = scn_proto_parse_opts_buffer(&sim_proto_eg, "opts.yaml", text, &o,
                                         err, errlen);
    scn_proto_free_opts(&sim_proto_eg, o);
    return rc;
}

static void test_options(void)
{
    char err[512];

    CU_ASSERT_EQUAL(parse("{}", err, sizeof err), 0);
    CU_ASSERT_EQUAL(parse("{pool: 100, ring: 100, q: 2, path_keys: false, "
                          "path_hops: 1, revoke_at: [1s, 2s], "
                          "revoke_nodes: [3, 4], key_id_bytes: 4, "
                          "key_value_bytes: 16}", err, sizeof err), 0);
    CU_ASSERT_EQUAL(parse("{pool: 10, ring: 11}", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "opts.yaml:1:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "'ring' (11) must be <= 'pool'"));
    CU_ASSERT_EQUAL(parse("{ring: 5, q: 6}", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "'q'"));
    CU_ASSERT_EQUAL(parse("{revoke_at: [1s, 2s], revoke_nodes: [1, 2, 3]}",
                          err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "revoke_at"));
    CU_ASSERT_EQUAL(parse("{revoke_at: 1s}", err, sizeof err), -1);
    CU_ASSERT_EQUAL(parse("{revoke_nodes: [x]}", err, sizeof err), -1);
    CU_ASSERT_EQUAL(parse("{pools: 10}", err, sizeof err), -1);
    CU_ASSERT_EQUAL(parse("{path_keys: 3}", err, sizeof err), -1);
}

static void test_closed_forms(void)
{
    /* p1 by the product form 1 - prod_{i<m} (P-m-i)/(P-i). */
    double prod = 1;
    for (unsigned i = 0; i < 50; i++)
        prod *= (1000.0 - 50 - i) / (1000.0 - i);
    CU_ASSERT_DOUBLE_EQUAL(ana_eg_p1(1000, 50), 1 - prod, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(ana_eg_pq(1000, 50, 1), ana_eg_p1(1000, 50), 1e-12);
    /* p(i) is a distribution over i = 0..m. */
    {
        double s = 0;
        for (unsigned i = 0; i <= 40; i++)
            s += ana_eg_p_exact(500, 40, i);
        CU_ASSERT_DOUBLE_EQUAL(s, 1, 1e-9);
    }
    CU_ASSERT_DOUBLE_EQUAL(ana_eg_p1(10, 6), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(ana_eg_pq(1000, 75, 0), 1, 0);
    CU_ASSERT(ana_eg_pq(1000, 75, 2) < ana_eg_pq(1000, 75, 1));
    CU_ASSERT(isnan(ana_eg_p1(10, 11)));
}

/* ------------------------------------------------------------------------
 * Rings and the sharing probability
 * ---------------------------------------------------------------------- */

static void test_ring_sampling(void)
{
    enum { P = 200, M = 20 };
    tworld a, b, c;
    uint32_t ra[RING_MAX], rb[RING_MAX], cnt[P] = {0}, n_nodes, differ = 0;
    double chi2 = 0, expect;

    CU_ASSERT_FATAL(grid_world(&a, 3, 1000, 40, 1, 0, "1s",
                               "pool: 200, ring: 20") == 0);
    CU_ASSERT_FATAL(grid_world(&b, 3, 1000, 40, 1, 0, "1s",
                               "pool: 200, ring: 20") == 0);
    CU_ASSERT_FATAL(grid_world(&c, 4, 1000, 40, 1, 0, "1s",
                               "pool: 200, ring: 20") == 0);
    n_nodes = sim_world_topo(a.w)->n_nodes;
    for (uint32_t v = 0; v < n_nodes; v++) {
        uint32_t n = eg_ring(a.w, v, ra, RING_MAX);
        CU_ASSERT_EQUAL(n, M);
        for (uint32_t i = 0; i < n; i++) {
            CU_ASSERT(ra[i] < P);
            CU_ASSERT(i == 0 || ra[i] > ra[i - 1]);   /* distinct */
            CU_ASSERT(eg_holds(a.w, v, ra[i]));
            cnt[ra[i] < P ? ra[i] : 0]++;
        }
        CU_ASSERT_EQUAL(eg_ring(b.w, v, rb, RING_MAX), M);
        CU_ASSERT(memcmp(ra, rb, M * sizeof *ra) == 0);   /* same seed */
        eg_ring(c.w, v, rb, RING_MAX);
        differ += memcmp(ra, rb, M * sizeof *ra) != 0;
    }
    CU_ASSERT(differ > n_nodes * 9 / 10);
    /* Each id is held by ~ n m / P nodes: chi-square with P - 1 = 199
     * degrees of freedom (mean 199, sd 20). */
    expect = (double)n_nodes * M / P;
    for (uint32_t i = 0; i < P; i++)
        chi2 += (cnt[i] - expect) * (cnt[i] - expect) / expect;
    CU_ASSERT(chi2 < 199 + 5 * 20);
    CU_ASSERT(chi2 > 199 - 5 * 20);
    tw_free(&a);
    tw_free(&b);
    tw_free(&c);
}

/* Over the ~3100 neighbour pairs of a 40 x 40 grid the fraction sharing
 * >= q keys is within 4 binomial standard deviations of the closed form
 * (pairs are pairwise independent: P(share | one ring) does not depend on
 * that ring), and the protocol's eg.share_prob reports the same count. */
static void test_share_probability(void)
{
    static const struct { unsigned P, m, q; } cases[] = {
        {1000, 50, 1}, {1000, 75, 2}, {500, 40, 3}, {2000, 40, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char opts[128];
        tworld t;
        const sim_topo *tp;
        uint64_t ok = 0;
        double p, th, sd;

        snprintf(opts, sizeof opts, "pool: %u, ring: %u, q: %u",
                 cases[c].P, cases[c].m, cases[c].q);
        CU_ASSERT_FATAL(grid_world(&t, 100 + c, 1600, 40, 1, 0, "1s",
                                   opts) == 0);
        tp = sim_world_topo(t.w);
        for (uint32_t l = 0; l < tp->n_links; l++)
            ok += shared_count(t.w, tp->links[l].a, tp->links[l].b) >=
                  cases[c].q;
        p = (double)ok / tp->n_links;
        th = ana_eg_pq(cases[c].P, cases[c].m, cases[c].q);
        sd = sqrt(th * (1 - th) / tp->n_links);
        printf("\n  P=%u m=%u q=%u: measured %.4f (%llu/%u pairs), "
               "closed form %.4f, |diff| %.2f sd", cases[c].P, cases[c].m,
               cases[c].q, p, (unsigned long long)ok, tp->n_links, th,
               fabs(p - th) / sd);
        CU_ASSERT(fabs(p - th) <= 4 * sd);
        sim_world_finish(t.w);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "eg.share_prob"), p, 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(tw_met(t.w, "eg.share_prob.theory"), th, 1e-12);
        tw_free(&t);
    }
    printf("\n");
}

/* ------------------------------------------------------------------------
 * Path keys
 * ---------------------------------------------------------------------- */

/* A (0) - M (1) - B (2) in a triangle with A - B, and an SO (3) beside M;
 * the first seed in which A and B share no key but A-M, M-B (and M-SO)
 * do. */
static uint64_t path_seed(void)
{
    for (uint64_t seed = 1; seed < 2000; seed++) {
        tworld t;
        int hit;
        if (explicit_world(&t, seed, "10s", "pool: 20, ring: 4", "SSSO",
                           "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, "
                           "{a: 1, b: 3}", "interval: 'exp(1s)'") != 0)
            return 0;
        hit = shared_count(t.w, 0, 2) == 0 && shared_count(t.w, 0, 1) > 0 &&
              shared_count(t.w, 1, 2) > 0 && shared_count(t.w, 1, 3) > 0;
        tw_free(&t);
        if (hit)
            return seed;
    }
    return 0;
}

static void test_path_key_through_intermediate(void)
{
    uint64_t seed = path_seed();
    uint32_t via[4];
    tworld t;

    CU_ASSERT_FATAL(seed != 0);
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s", "pool: 20, ring: 4",
                                   "SSSO",
                                   "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, "
                                   "{a: 1, b: 3}", "interval: 'exp(1s)'") == 0);
    sim_world_run(t.w, 2 * SIM_S, 0);
    CU_ASSERT_EQUAL(eg_link_kind(t.w, 0, 1), EG_KIND_DIRECT);
    CU_ASSERT_EQUAL(eg_link_kind(t.w, 1, 2), EG_KIND_DIRECT);
    CU_ASSERT_EQUAL(eg_link_kind(t.w, 0, 2), EG_KIND_PATH);
    CU_ASSERT_EQUAL(eg_link_kind(t.w, 2, 0), EG_KIND_PATH);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 0, 2), EG_LINK_OK);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 2, 0), EG_LINK_OK);
    CU_ASSERT(eg_link_same_key(t.w, 0, 2));
    CU_ASSERT(eg_link_same_key(t.w, 0, 1));
    CU_ASSERT_EQUAL(eg_link_via(t.w, 0, 2, via, 4), 1);
    CU_ASSERT_EQUAL(via[0], 1);
    CU_ASSERT_EQUAL(eg_link_via(t.w, 2, 0, via, 4), 1);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_key.failed"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.connectivity"), 1);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.links.secured"), 4);
    CU_ASSERT(tw_met(t.w, "data.at_so") == tw_met(t.w, "data.generated"));
    tw_free(&t);

    /* Without path keys the pair stays unsecured. */
    CU_ASSERT_FATAL(explicit_world(&t, seed, "10s",
                                   "pool: 20, ring: 4, path_keys: false",
                                   "SSSO",
                                   "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, "
                                   "{a: 1, b: 3}", "interval: 'exp(1s)'") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 0, 2), EG_LINK_NONE);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.path_keys"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.links.secured"), 3);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Revocation
 * ---------------------------------------------------------------------- */

static void check_revocation(const char *opts, uint32_t c)
{
    uint32_t ring[RING_MAX], n, went_down = 0, up_c = 0;
    tworld t;
    const sim_topo *tp;
    uint8_t *up_before;

    CU_ASSERT_FATAL(grid_world(&t, 9, 100, 10, 2, 2, "40s", opts) == 0);
    tp = sim_world_topo(t.w);
    sim_world_run(t.w, 5 * SIM_S, 0);
    up_before = calloc(tp->n_links, 1);
    CU_ASSERT_FATAL(up_before != NULL);
    for (uint32_t l = 0; l < tp->n_links; l++)
        up_before[l] =
            eg_link_state(t.w, tp->links[l].a, tp->links[l].b) == EG_LINK_OK &&
            eg_link_state(t.w, tp->links[l].b, tp->links[l].a) == EG_LINK_OK;
    n = eg_ring(t.w, c, ring, RING_MAX);
    CU_ASSERT_FATAL(n > 0);
    CU_ASSERT(eg_revoke(t.w, c) > 0);
    CU_ASSERT_EQUAL(eg_revoke(t.w, c), -1);          /* already revoked */
    CU_ASSERT(eg_captured(t.w, c));
    tw_run_all(&t);
    /* No other node holds any of the captured ring's keys. */
    for (uint32_t v = 0; v < tp->n_nodes; v++) {
        if (v == c)
            continue;
        for (uint32_t i = 0; i < n; i++)
            CU_ASSERT(!eg_holds(t.w, v, ring[i]));
    }
    /* Links to c are dead; no direct link key uses a revoked id; the
     * links that went down (to c, or not secured again) are the ones
     * counted lost and not resecured. */
    for (uint32_t l = 0; l < tp->n_links; l++) {
        uint32_t a = tp->links[l].a, b = tp->links[l].b, s[RING_MAX], ns;
        if (a == c || b == c) {
            up_c += up_before[l];
            CU_ASSERT_EQUAL(eg_link_state(t.w, a == c ? b : a, c),
                            EG_LINK_DEAD);
            continue;
        }
        ns = eg_link_shared(t.w, a, b, s, RING_MAX);
        for (uint32_t i = 0; i < ns; i++)
            for (uint32_t j = 0; j < n; j++)
                CU_ASSERT(s[i] != ring[j]);
        if (eg_link_state(t.w, a, b) != EG_LINK_OK ||
            eg_link_state(t.w, b, a) != EG_LINK_OK)
            went_down += up_before[l];
        else
            CU_ASSERT(eg_link_same_key(t.w, a, b));
    }
    CU_ASSERT(tw_met(t.w, "eg.revoked_keys") > 0);
    CU_ASSERT(up_c > 0);
    CU_ASSERT(tw_met(t.w, "eg.links.lost") >= up_c);
    CU_ASSERT(tw_met(t.w, "eg.links.resecured") > 0);
    CU_ASSERT_EQUAL(went_down + up_c, tw_met(t.w, "eg.links.lost") -
                                          tw_met(t.w, "eg.links.resecured"));
    free(up_before);
    CU_ASSERT(tw_met_n(t.w, "key.rekey") == 1);
    CU_ASSERT(tw_met(t.w, "key.rekey") > 0);
    CU_ASSERT(tw_met(t.w, "data.delivered") > 0);
    printf("\n  %s: lost %g resecured %g revoked keys %g rekey %.3f s",
           opts, tw_met(t.w, "eg.links.lost"), tw_met(t.w, "eg.links.resecured"),
           tw_met(t.w, "eg.revoked_keys"), tw_met(t.w, "key.rekey"));
    tw_free(&t);
}

static void test_revocation(void)
{
    check_revocation("pool: 1000, ring: 50", 15);
    check_revocation("pool: 1000, ring: 75, q: 2", 44);
    printf("\n");
}

/* revoke_at / revoke_nodes schedule the same thing from the scenario. */
static void test_revoke_option(void)
{
    tworld t;
    CU_ASSERT_FATAL(grid_world(&t, 9, 100, 10, 2, 2, "30s",
                               "revoke_at: 5s, revoke_nodes: [15, 40]") == 0);
    tw_run_all(&t);
    CU_ASSERT(eg_captured(t.w, 15));
    CU_ASSERT(eg_captured(t.w, 40));
    CU_ASSERT(!eg_captured(t.w, 16));
    CU_ASSERT(tw_met(t.w, "eg.msgs.revoke") > 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 2);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Data sealed hop by hop
 * ---------------------------------------------------------------------- */

/* S (0) - 1 - 2 - SO (3) - subscriber (4); pool 10, ring 8: every pair
 * shares keys. */
#define LINE_ROLES "SSSOU"
#define LINE_LINKS "{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}, {a: 3, b: 4}"

typedef struct seen {
    uint64_t sealed[8], clear;
    int tamper_link;         /* link whose data parts get a flipped byte */
    uint64_t tampered;
} seen;

static sim_tap_verdict data_tap(void *ctx, sim_world *w, uint32_t link,
                                uint32_t from, uint32_t to, sim_pkt *p)
{
    seen *s = ctx;
    sim_pkt_type ty = sim_pkt_type_of(p);
    (void)w; (void)from; (void)to;

    if (ty != SIM_PKT_DATA && ty != SIM_PKT_PUBLISH)
        return SIM_TAP_PASS;
    if (sim_pkt_flags(p) & SIM_F_DATA_SEALED)
        s->sealed[link < 8 ? link : 7]++;
    else
        s->clear++;
    if ((int)link == s->tamper_link && sim_pkt_data_len(p) > 0) {
        sim_pkt_data(p)[0] ^= 0x40;
        s->tampered++;
    }
    return SIM_TAP_PASS;
}

static void test_data_sealed_hop_by_hop(void)
{
    seen s;
    tworld t;

    memset(&s, 0, sizeof s);
    s.tamper_link = -1;
    CU_ASSERT_FATAL(explicit_world(&t, 1, "30s", "pool: 10, ring: 8",
                                   LINE_ROLES, LINE_LINKS,
                                   "interval: 'exp(2s)'") == 0);
    sim_world_add_tap(t.w, data_tap, &s);
    tw_run_all(&t);
    CU_ASSERT(tw_met(t.w, "data.generated") > 0);
    CU_ASSERT_EQUAL(s.clear, 0);
    for (int l = 0; l < 4; l++)
        CU_ASSERT(s.sealed[l] > 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "data.at_so"), tw_met(t.w, "data.generated"));
    CU_ASSERT(tw_met(t.w, "data.delivered") > 0);
    /* Opened at every destination (forwarders open and re-seal too). */
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.data.opened"),
                    tw_met(t.w, "data.at_so") + tw_met(t.w, "data.delivered"));
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 0);
    tw_free(&t);

    /* A byte flipped on the SO's link (2 - 3, which all data crosses):
     * every data packet is rejected at the SO, none is accepted. */
    memset(&s, 0, sizeof s);
    s.tamper_link = 2;
    CU_ASSERT_FATAL(explicit_world(&t, 1, "30s", "pool: 10, ring: 8",
                                   LINE_ROLES, LINE_LINKS,
                                   "interval: 'exp(2s)'") == 0);
    sim_world_add_tap(t.w, data_tap, &s);
    tw_run_all(&t);
    CU_ASSERT(s.tampered > 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "data.at_so"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), s.tampered);
    CU_ASSERT(tw_met(t.w, "net.rejected") >= s.tampered);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Routing over secured links
 * ---------------------------------------------------------------------- */

/* Source 0, source 1, SO 2, subscriber 3 on the links 0-1, 1-2, 0-2, 2-3,
 * 0-3 (indices 0..4); the first seed in which 0-2 and 2-3 (the shortest
 * paths' links) share no key and 0-1, 1-2, 0-3 do. */
#define CYCLE_LINKS "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 2}, " \
                    "{a: 2, b: 3}, {a: 0, b: 3}"
#define CYCLE_OPTS "pool: 20, ring: 4, path_keys: false"

static uint64_t cycle_seed(void)
{
    for (uint64_t seed = 1; seed < 2000; seed++) {
        tworld t;
        int hit;
        if (explicit_world(&t, seed, "10s", CYCLE_OPTS, "SSOU", CYCLE_LINKS,
                           "interval: 'exp(1s)'") != 0)
            return 0;
        hit = shared_count(t.w, 0, 2) == 0 && shared_count(t.w, 2, 3) == 0 &&
              shared_count(t.w, 0, 1) > 0 && shared_count(t.w, 1, 2) > 0 &&
              shared_count(t.w, 0, 3) > 0;
        tw_free(&t);
        if (hit)
            return seed;
    }
    return 0;
}

/* Without path keys 0-2 and 2-3 stay unsecured: source 0's data goes
 * 0-1-2 and the publishes 2-1-0-3 instead of being dropped. */
static void test_route_over_secured_links(void)
{
    uint64_t seed = cycle_seed();
    seen s;
    tworld t;

    CU_ASSERT_FATAL(seed != 0);
    memset(&s, 0, sizeof s);
    s.tamper_link = -1;
    CU_ASSERT_FATAL(explicit_world(&t, seed, "30s", CYCLE_OPTS, "SSOU",
                                   CYCLE_LINKS, "interval: 'exp(1s)'") == 0);
    sim_world_add_tap(t.w, data_tap, &s);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 0, 2), EG_LINK_NONE);
    CU_ASSERT_EQUAL(eg_link_state(t.w, 2, 3), EG_LINK_NONE);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.links.secured"), 3);
    CU_ASSERT(tw_met(t.w, "data.generated") > 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.data.dropped"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "eg.rejected"), 0);
    CU_ASSERT_EQUAL(tw_met(t.w, "data.at_so"), tw_met(t.w, "data.generated"));
    CU_ASSERT_EQUAL(tw_met(t.w, "data.delivered"), tw_met(t.w, "data.at_so"));
    CU_ASSERT_EQUAL(s.clear, 0);
    CU_ASSERT_EQUAL(s.sealed[2], 0);          /* never on 0-2 or 2-3 */
    CU_ASSERT_EQUAL(s.sealed[3], 0);
    CU_ASSERT(s.sealed[0] > 0 && s.sealed[1] > 0 && s.sealed[4] > 0);
    tw_free(&t);
}

/* eg-grid (scenarios/eg-grid.yaml) with the seeds of its replications 1-3:
 * with shortest-path routing 95, 102 and 86 messages were dropped (about
 * 9% of the data), mostly after the revocation at 2 min; routed over
 * secured links, none.  (Replication 0, seed 17, still drops: there the
 * revocation leaves SO 0 with no secured link but its subscriber's, and
 * subscriber 103's only link never has a key: no secured path exists.) */
static void test_route_avoids_revoked(void)
{
    static const uint64_t seeds[] = {15248202702463867259ull,
                                     5110726699337793211ull,
                                     10612074318959175850ull};
    static const char yaml[] =
        "name: eg-grid\nseed: 17\nduration: 5min\nwarmup: 30s\n"
        "protocol: {name: eg, pool: 1000, ring: 50, q: 1, path_keys: true,\n"
        "  path_hops: 3, revoke_at: 2min, revoke_nodes: [23, 57],\n"
        "  key_id_bytes: 2, key_value_bytes: 8}\n"
        "topology: {generator: grid, sources: 100, smart_objects: 2,\n"
        "  subscribers: 2, columns: 10, spacing: 10m,\n"
        "  link: {latency: 2ms, bandwidth: 250kbps, queue: 64KiB}}\n"
        "traffic: {interval: 'exp(30s)', size: 64B,\n"
        "  register_at: 'uniform(0s, 10s)'}\n"
        "smart_object: {service: 'exp(50ms)'}\n";

    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        tworld t;
        double before, after, gen;
        CU_ASSERT_FATAL(tw_new(&t, yaml, seeds[i]) == 0);
        sim_world_run(t.w, 2 * 60 * SIM_S, 0);
        before = tw_met(t.w, "eg.data.dropped");
        tw_run_all(&t);
        CU_ASSERT(eg_captured(t.w, 23) && eg_captured(t.w, 57));
        CU_ASSERT(tw_met(t.w, "eg.links.lost") > 0);
        gen = tw_met(t.w, "data.generated");
        after = tw_met(t.w, "eg.data.dropped") - before;
        printf("\n  seed %llu: generated %g, dropped %g before and %g after "
               "the revocation", (unsigned long long)seeds[i], gen, before,
               after);
        CU_ASSERT(gen > 900);
        CU_ASSERT(after < 0.01 * gen);        /* measured: 0 */
        CU_ASSERT(before < 0.01 * gen);
        tw_free(&t);
    }
    printf("\n");
}

/* ------------------------------------------------------------------------
 * Whole runs
 * ---------------------------------------------------------------------- */

static void test_whole_run_deterministic(void)
{
    unsigned char fp[2][32];
    double opened[2];

    for (int k = 0; k < 2; k++) {
        tworld t;
        CU_ASSERT_FATAL(grid_world(&t, 21, 64, 8, 2, 2, "60s",
                                   "pool: 500, ring: 60") == 0);
        tw_run_all(&t);
        CU_ASSERT(tw_met(t.w, "data.generated") > 0);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.connectivity"), 1);
        CU_ASSERT_EQUAL(tw_met(t.w, "data.at_so"), tw_met(t.w, "data.generated"));
        CU_ASSERT(tw_met(t.w, "data.delivered") > 0);
        CU_ASSERT_EQUAL(tw_met(t.w, "eg.data.dropped"), 0);
        CU_ASSERT_EQUAL(tw_met_n(t.w, "key.setup"), 64);
        CU_ASSERT(tw_met(t.w, "crypto.seal") > 0);
        opened[k] = tw_met(t.w, "eg.data.opened");
        sim_world_fingerprint(t.w, fp[k]);
        tw_free(&t);
    }
    CU_ASSERT(memcmp(fp[0], fp[1], 32) == 0);
    CU_ASSERT_EQUAL(opened[0], opened[1]);
}

/* Storage: ring ids and values plus one value per link key. */
static void test_storage(void)
{
    tworld t;
    ana_metrics *m;
    int id;

    CU_ASSERT_FATAL(explicit_world(&t, 1, "5s",
                                   "pool: 10, ring: 8, key_id_bytes: 3, "
                                   "key_value_bytes: 10",
                                   LINE_ROLES, LINE_LINKS,
                                   "interval: 'exp(2s)'") == 0);
    tw_run_all(&t);
    m = sim_world_metrics(t.w);
    id = ana_metric_find(m, "storage.keys_per_node", "");
    CU_ASSERT_FATAL(id >= 0);
    /* 5 nodes: 8 ring keys of 13 B each; 8 link ends of 10 B. */
    CU_ASSERT_DOUBLE_EQUAL(ana_metric_get(m, id),
                           (5 * 8 * 13.0 + 8 * 10) / 5, 1e-9);
    tw_free(&t);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("eg", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_options);
    CUTEST_ADD(s, test_closed_forms);
    CUTEST_ADD(s, test_ring_sampling);
    CUTEST_ADD(s, test_share_probability);
    CUTEST_ADD(s, test_path_key_through_intermediate);
    CUTEST_ADD(s, test_revocation);
    CUTEST_ADD(s, test_revoke_option);
    CUTEST_ADD(s, test_data_sealed_hop_by_hop);
    CUTEST_ADD(s, test_route_over_secured_links);
    CUTEST_ADD(s, test_route_avoids_revoked);
    CUTEST_ADD(s, test_whole_run_deterministic);
    CUTEST_ADD(s, test_storage);
    return 0;
}

CUTEST_MAIN(register_tests)
