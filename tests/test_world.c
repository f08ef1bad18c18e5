/* test_world.c — the network model: link timing (transmission + FIFO
 * queue + latency), byte-limited drop-tail queues, losses, multi-hop
 * forwarding along shortest paths, registration with the SO, publish to
 * subscribers by MQTT topic filter, and the attacker tap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "scenario.h"
#include "cry.h"

static scenario *load(const char *yaml)
{
    char err[512];
    scenario *sc = scn_load_buffer("test.yaml", yaml, strlen(yaml), NULL, 0,
                                   err, sizeof err);
    if (!sc)
        fprintf(stderr, "load failed: %s\n", err);
    return sc;
}

static double metric(sim_world *w, const char *name, const char *entity,
                     const char *unit, ana_kind kind)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, entity);
    (void)unit; (void)kind;
    CU_ASSERT_FATAL(id >= 0);
    return ana_metric_get(m, id);
}

/* Records transmissions seen by the tap. */
typedef struct tap_log {
    int n;
    sim_time t[64];
    uint32_t from[64], to[64], len[64];
    int type[64];
    int drop_type;           /* drop packets of this type (0 = none) */
} tap_log;

static sim_tap_verdict log_tap(void *ctx, sim_world *w, uint32_t link,
                               uint32_t from, uint32_t to, sim_pkt *p)
{
    tap_log *l = ctx;
    (void)link;
    if (l->n < 64) {
        l->t[l->n] = sim_world_now(w);
        l->from[l->n] = from;
        l->to[l->n] = to;
        l->len[l->n] = p->len;
        l->type[l->n] = sim_pkt_type_of(p);
        l->n++;
    }
    return (int)sim_pkt_type_of(p) == l->drop_type ? SIM_TAP_DROP
                                                   : SIM_TAP_PASS;
}

/* One SO and one source on a 8 kbit/s link (1 byte per ms) with 5 ms of
 * latency; constant 1 s service.  REGISTER (56 B header) leaves at 0,
 * takes 56 ms to transmit and 5 ms to propagate; served 61 ms..1.061 s;
 * the ack (56 + 8 B) takes 64 + 5 ms: registered at 1.130 s. */
static const char *two_nodes =
    "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
    "topology:\n  generator: explicit\n"
    "  link: {latency: 5ms, bandwidth: 8kbps}\n"
    "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source}]\n"
    "  links: [{a: 1, b: 2}]\n"
    "traffic: {interval: const(100s), size: 100B}\n"
    "smart_object: {service: const(1s)}\n";

static void test_link_timing_registration(void)
{
    scenario *sc = load(two_nodes);
    char err[256];
    sim_world *w;
    tap_log log = {0};
    ana_metrics *m;
    const ana_welford *reg;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, sc->seed, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    sim_world_add_tap(w, log_tap, &log);
    sim_world_run(w, sc->duration, 0);
    sim_world_finish(w);
    CU_ASSERT_EQUAL(log.n, 2);
    CU_ASSERT_EQUAL(log.t[0], 0);
    CU_ASSERT_EQUAL(log.type[0], SIM_PKT_REGISTER);
    CU_ASSERT_EQUAL(log.len[0], SIM_HDR_BYTES);
    CU_ASSERT_EQUAL(log.t[1], 1061 * SIM_MS);
    CU_ASSERT_EQUAL(log.type[1], SIM_PKT_REGISTER_ACK);
    CU_ASSERT_EQUAL(log.len[1], SIM_HDR_BYTES + 8);
    m = sim_world_metrics(w);
    reg = ana_metric_samples(m, ana_metric_find(m, "delay.registration",
                                                ""));
    CU_ASSERT_EQUAL(reg->n, 1);
    CU_ASSERT_DOUBLE_EQUAL(reg->mean, 1.130, 1e-12);
    CU_ASSERT(sim_world_is_registered(w, 1));
    sim_world_free(w);
    scn_free(sc);
}

static void test_tx_time(void)
{
    scn_link_params p = {.latency = 0, .bandwidth = 250e3, .loss = 0};
    CU_ASSERT_EQUAL(sim_link_tx_time(&p, 1), 32000);       /* 8 bit */
    CU_ASSERT_EQUAL(sim_link_tx_time(&p, 1024), 32768000);
    p.bandwidth = 3;                                       /* ceil */
    CU_ASSERT_EQUAL(sim_link_tx_time(&p, 1), 2666666667LL);
}

/* Back-to-back packets queue FIFO behind each other on one direction;
 * with a 250-byte queue limit the third one is dropped. */
static void test_fifo_and_queue_drop(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 5ms, bandwidth: 8kbps, queue: 350B}\n"
        "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source}]\n"
        "  links: [{a: 1, b: 2}]\n"
        "traffic: {interval: const(100s), size: 100B, start: 100s}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    sim_link_stats st;
    tap_log log = {0};

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    sim_world_add_tap(w, log_tap, &log);
    /* Three 100-byte DATA packets (156 B on the wire) at t = 0 from the
     * source (node 1) to the SO (node 0). */
    for (int i = 0; i < 3; i++) {
        sim_pkt *p = sim_pkt_new(w, SIM_PKT_DATA, 1, 0, 100 + i, 0, 100);
        sim_world_send(w, 1, p);
    }
    sim_world_link_stats(w, 0, 1, &st);    /* b -> a: source -> SO */
    /* Nothing has run yet (the REGISTER event is pending): two DATA of
     * 156 ms each keep the transmitter busy until 312 ms; the third would
     * need 312 + 156 B of queue > 350 B and is dropped. */
    CU_ASSERT_EQUAL(st.tx_pkts, 2);
    CU_ASSERT_EQUAL(st.queue_drops, 1);
    CU_ASSERT_EQUAL(st.busy_until, 312 * SIM_MS);
    sim_world_free(w);
    scn_free(sc);
    (void)log;
}

/* A chain SO - s1 - s2 - s3: data from s3 takes 3 hops; the tap sees the
 * hops in order; the per-hop time is tx + latency. */
static void test_multihop_chain(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 5s\nprotocol: none\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 8Mbps}\n"
        "  nodes: [{id: 0, role: smart_object}, {id: 1, role: source},\n"
        "          {id: 2, role: source}, {id: 3, role: source}]\n"
        "  links: [{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}]\n"
        "traffic: {interval: const(100s), size: 100B, start: 100s}\n"
        "smart_object: {service: const(10ms)}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    uint32_t link;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(sim_world_home_so(w, 3), 0);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 3, 0, &link), 2);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 2, 0, NULL), 1);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 0, 3, NULL), 1);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 1, 3, NULL), 2);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 3, 3, NULL), SIM_NONE);
    sim_world_run(w, sc->duration, 0);
    sim_world_finish(w);
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "sources.registered", "", "node",
                                  ANA_COUNTER), 3, 0);
    /* 3 REGISTER need 1+2+3 hops, 3 ACKs the same. */
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "link.tx.register", "", "pkt",
                                  ANA_COUNTER), 6, 0);
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "link.tx.register_ack", "", "pkt",
                                  ANA_COUNTER), 6, 0);
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "msgs.register", "", "msg",
                                  ANA_COUNTER), 3, 0);
    sim_world_free(w);
    scn_free(sc);
}

/* Shortest paths on a grid: hop count to the SO equals the BFS distance. */
static void test_grid_shortest_paths(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 1s\nprotocol: none\n"
        "topology: {generator: grid, sources: 25, columns: 5, spacing: 1m,\n"
        "           smart_objects: 1}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    const sim_topo *t;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    t = sim_world_topo(w);
    /* SO (node 0) links to the middle source: index 1 + 12 = (2,2). */
    for (uint32_t k = 0; k < 25; k++) {
        uint32_t v = 1 + k, hops = 0;
        int gx = (int)(k % 5), gy = (int)(k / 5);
        while (v != 0 && hops < 100) {
            v = sim_world_next_hop(w, v, 0, NULL);
            hops++;
        }
        CU_ASSERT_EQUAL(hops, (uint32_t)(abs(gx - 2) + abs(gy - 2) + 1));
    }
    CU_ASSERT_EQUAL(t->n_nodes, 26);
    sim_world_free(w);
    scn_free(sc);
}

/* Loss 0.3 on the only link: the fraction of lost transmissions is within
 * 4 standard errors of 0.3. */
static void test_loss_fraction(void)
{
    static const char *yaml =
        "name: t\nseed: 3\nduration: 2000s\nprotocol: none\n"
        "topology:\n  generator: star\n  sources: 1\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps, loss: 0.3}\n"
        "traffic: {interval: const(100ms), size: 10B}\n"
        "smart_object: {service: const(1ms)}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    sim_link_stats st;
    double frac, n;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 9, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    sim_world_run(w, sc->duration, 0);
    sim_world_link_stats(w, 0, 0, &st);
    n = (double)st.tx_pkts;
    sim_world_link_stats(w, 0, 1, &st);
    n += (double)st.tx_pkts;
    frac = metric(w, "link.lost", "", "pkt", ANA_COUNTER) / n;
    CU_ASSERT(n > 5000);
    CU_ASSERT(fabs(frac - 0.3) < 4 * sqrt(0.3 * 0.7 / n));
    sim_world_free(w);
    scn_free(sc);
}

/* Publish: subscriber 0 filters "a/+/t", subscriber 1 "b/#"; sources
 * publish "a/<id>/t" and "b/<id>": each subscriber gets only its topics. */
static void test_publish_by_topic(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 100s\nprotocol: none\n"
        "topology: {generator: star, sources: 2, smart_objects: 1,\n"
        "           subscribers: 2}\n"
        "traffic: {interval: const(10s), size: 10B,\n"
        "          topics: ['a/{id}/t', 'b/{id}']}\n"
        "smart_object: {service: const(1ms)}\n"
        "subscribers: {filters: ['a/+/t', 'x/#']}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    tap_log log = {0};
    double pub, del;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    sim_world_add_tap(w, log_tap, &log);
    sim_world_run(w, sc->duration, 0);
    sim_world_finish(w);
    pub = metric(w, "data.published", "", "msg", ANA_COUNTER);
    del = metric(w, "data.delivered", "", "msg", ANA_COUNTER);
    /* Source 0 (topic a/1/t) matches subscriber 0 only; source 1 (b/2)
     * matches nobody: deliveries = half the publications. */
    CU_ASSERT(pub >= 16);
    CU_ASSERT_DOUBLE_EQUAL(del, pub / 2, 0);
    sim_world_free(w);
    scn_free(sc);
}

/* A tap that drops every ack: nobody registers, data is held back. */
static void test_tap_drop(void)
{
    scenario *sc = load(two_nodes);
    char err[256];
    sim_world *w;
    tap_log log = {.drop_type = SIM_PKT_REGISTER_ACK};

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    sim_world_add_tap(w, log_tap, &log);
    sim_world_run(w, sc->duration, 0);
    CU_ASSERT_FALSE(sim_world_is_registered(w, 1));
    sim_world_free(w);
    scn_free(sc);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("world", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_tx_time);
    CUTEST_ADD(s, test_link_timing_registration);
    CUTEST_ADD(s, test_fifo_and_queue_drop);
    CUTEST_ADD(s, test_multihop_chain);
    CUTEST_ADD(s, test_grid_shortest_paths);
    CUTEST_ADD(s, test_loss_fraction);
    CUTEST_ADD(s, test_publish_by_topic);
    CUTEST_ADD(s, test_tap_drop);
    return 0;
}

CUTEST_MAIN(register_tests)
