/* test_world.c — the network model: link timing (transmission + FIFO
 * queue + latency), the packet pool, byte-limited drop-tail queues,
 * losses, multi-hop forwarding along shortest paths, registration with the
 * SO, publish to subscribers by MQTT topic filter, the attacker tap, the
 * delay split and queue theory measured by hand, and the per-direction
 * link records.  This file has main() and registers every test of the
 * program; its other seams are in tests/test_world_moves.c (sources that
 * move to another SO: when, where their data go, the analytic arrival
 * rates, the protocol hook, determinism, errors), tests/test_world_threads.c
 * (partitions and --threads 2) and tests/test_world_route.c (routing
 * against a reference BFS); tests/world_t.h holds what they share. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "proto.h"
#include "scenario.h"
#include "cry.h"
#include "tworld.h"
#include "world_t.h"

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
/* Packet pool size classes: room for the header, both parts and both
 * tags; within 16 bytes of that up to 1 KiB (not a power of two), at most
 * twice it above; a freed packet is reused for the same class. */
static void test_pkt_pool_classes(void)
{
    scenario *sc = load(two_nodes);
    char err[256];
    sim_world *w;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    for (uint32_t data = 0; data < 70000; data += data < 2000 ? 1 : 997) {
        uint32_t need = SIM_HDR_BYTES + data + 2 * CRY_TAG_BYTES;
        sim_pkt *p = sim_pkt_new(w, SIM_PKT_DATA, 1, 0, 1, 0, data), *q;

        CU_ASSERT_FATAL(p != NULL);
        CU_ASSERT(p->cap >= need);
        if (need <= 1024) {
            CU_ASSERT(p->cap - need < 16);
        } else {
            CU_ASSERT(p->cap < 2 * need);
        }
        CU_ASSERT_EQUAL(p->len, SIM_HDR_BYTES + data);
        sim_pkt_free(w, p);
        q = sim_pkt_new(w, SIM_PKT_DATA, 1, 0, 2, data, 0);
        CU_ASSERT_PTR_EQUAL(q, p);              /* same class: reused */
        sim_pkt_free(w, q);
        /* In clear: the same bytes, no room for tags. */
        p = sim_pkt_new(w, SIM_PKT_CONTROL, 1, 0, 3, 1, data);
        q = sim_pkt_new_clear(w, SIM_PKT_CONTROL, 1, 0, 3, 1, data);
        CU_ASSERT_EQUAL(q->len, p->len);
        CU_ASSERT(q->cap >= q->len);
        if (q->len <= 1024) {
            CU_ASSERT(q->cap - q->len < 16);
        }
        CU_ASSERT_EQUAL(memcmp(q->buf, p->buf, p->len), 0);
        sim_pkt_free(w, p);
        sim_pkt_free(w, q);
    }
    CU_ASSERT_EQUAL(sim_world_pool_check(w), 0);
    sim_world_free(w);
    scn_free(sc);
}

/* The pool's red zone per slot (world_pool.c: AddressSanitizer builds). */
#ifdef __SANITIZE_ADDRESS__
#define POOL_REDZONE_TEST 32u
#else
#define POOL_REDZONE_TEST 0u
#endif

/* Resident bytes of this process (Linux /proc), 0 if unknown. */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size, res = 0;

    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
        res = 0;
    fclose(f);
    return (size_t)res * 4096u;
}

/* The pool's chunks: a burst of 100,000 packets of one class (38 MB),
 * freed in a shuffled order, leaves one reserve chunk in its class, keeps
 * max(64, chunks used) empty chunks resident and gives the rest back to
 * the kernel (resident memory falls); a second burst of another class
 * reuses those chunks (no new region); the packets keep their bytes
 * while held; large packets (beyond 8 KiB) come and go one by one. */
static void test_pkt_pool_chunks(void)
{
    enum { N = 100000 };
    scenario *sc = load(two_nodes);
    char err[256];
    sim_world *w;
    sim_pkt **held = calloc(N, sizeof *held), *big[3];
    sim_pool_stats st, st1;
    size_t rss0, rss1, rss2;
    uint32_t x = 12345, per;

    CU_ASSERT_FATAL(sc != NULL && held != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    rss0 = rss_bytes();
    for (uint32_t i = 0; i < N; i++) {
        held[i] = sim_pkt_new(w, SIM_PKT_CONTROL, 1, 0, i, 1, 205);
        memcpy(held[i]->buf + SIM_HDR_BYTES, &i, sizeof i);
    }
    CU_ASSERT_EQUAL(sim_world_pool_check(w), 0);
    sim_world_pool_stats(w, &st);
    per = (64u * 1024 - 64) / (uint32_t)(sizeof(sim_pkt) + held[0]->cap +
                                         POOL_REDZONE_TEST);
    CU_ASSERT_EQUAL(held[0]->cap, 304);         /* 262 + 2 tags, 16-B step */
    CU_ASSERT_EQUAL(st.chunks_used, (N + per - 1) / per);
    CU_ASSERT_EQUAL(st.chunks_warm + st.chunks_cold, 0);
    CU_ASSERT_EQUAL(st.chunks_given, 0);
    rss1 = rss_bytes();
    for (uint32_t i = 0; i < N; i++) {         /* bytes intact */
        uint32_t v;
        memcpy(&v, held[i]->buf + SIM_HDR_BYTES, sizeof v);
        if (v != i || sim_pkt_seq(held[i]) != i) {
            CU_FAIL("packet bytes changed while held");
            break;
        }
    }
    for (uint32_t i = N - 1; i > 0; i--) {      /* Fisher-Yates, xorshift */
        uint32_t j;
        sim_pkt *t;
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        j = x % (i + 1);
        t = held[i], held[i] = held[j], held[j] = t;
    }
    for (uint32_t i = 0; i < N; i++) {
        sim_pkt_free(w, held[i]);
        if (i % 10007 == 0)
            CU_ASSERT_EQUAL(sim_world_pool_check(w), 0);
    }
    CU_ASSERT_EQUAL(sim_world_pool_check(w), 0);
    sim_world_pool_stats(w, &st1);
    CU_ASSERT_EQUAL(st1.chunks_used, 1);        /* the class's reserve */
    CU_ASSERT_EQUAL(st1.chunks_warm, 64);
    CU_ASSERT_EQUAL(st1.chunks_cold, st.chunks_used - 65);
    CU_ASSERT_EQUAL(st1.chunks_given, st.chunks_used - 65);
    rss2 = rss_bytes();
    if (rss0 && rss1 && rss2) {
        CU_ASSERT(rss1 > rss0 + ((size_t)30 << 20));
        CU_ASSERT(rss2 + ((size_t)20 << 20) < rss1);  /* given back */
    }
    /* Another class (a 160-byte slot): the empty chunks are reused. */
    for (uint32_t i = 0; i < N; i++)
        held[i] = sim_pkt_new(w, SIM_PKT_CONTROL, 1, 0, i, 1, 8);
    sim_world_pool_stats(w, &st);
    CU_ASSERT_EQUAL(st.regions, st1.regions);
    CU_ASSERT_EQUAL(sim_world_pool_check(w), 0);
    for (uint32_t i = 0; i < N; i++)
        sim_pkt_free(w, held[i]);
    /* Large packets, and a clone keeps the class and the bytes. */
    for (int k = 0; k < 3; k++) {
        big[k] = sim_pkt_new(w, SIM_PKT_DATA, 1, 0, 7, 0, 20000u << k);
        CU_ASSERT(big[k]->cap >= SIM_HDR_BYTES + (20000u << k));
    }
    held[0] = sim_pkt_clone(w, big[1]);
    CU_ASSERT_EQUAL(held[0]->cap, big[1]->cap);
    CU_ASSERT_EQUAL(held[0]->len, big[1]->len);
    CU_ASSERT_EQUAL(memcmp(held[0]->buf, big[1]->buf, big[1]->len), 0);
    sim_pkt_free(w, held[0]);
    for (int k = 0; k < 3; k++)
        sim_pkt_free(w, big[k]);
    CU_ASSERT_EQUAL(sim_world_pool_check(w), 0);
    sim_world_pool_stats(w, &st);
    CU_ASSERT_EQUAL(st.regions, st1.regions);   /* large ones: no chunks */
    free(held);
    sim_world_free(w);
    scn_free(sc);
}

static void test_fifo_and_queue_drop(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 5ms, bandwidth: 8kbps, queue: 350B}\n"
        "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source}]\n"
        "  links: [{a: 1, b: 2}]\n"
        "traffic: {interval: const(100s), size: 100B, start: 1s}\n";
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

/* Where a direction's state lives (world_net.c: the SO forest's links by
 * node, the others created on first use) does not show: SO (0), s1 (1),
 * s2 (2), links l0 = 0-1 and l1 = 0-2 (the forest, l1 never used) and
 * l2 = 1-2 (off the forest; explicit topologies have no parallel
 * links).  At 1 byte/ms and a 350-byte queue: s1 -> SO once (up l0), SO -> s1 three
 * times (down l0: the third dropped), s1 -> s2 three times (l2 a->b: the
 * third dropped), s2 -> s1 once (l2 b->a).  Per-direction stats and the
 * per-node sums see exactly those transmissions. */
static void test_link_state_forest_and_off(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 5ms, bandwidth: 8kbps, queue: 350B}\n"
        "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source},\n"
        "          {id: 3, role: source}]\n"
        "  links: [{a: 1, b: 2}, {a: 1, b: 3}, {a: 2, b: 3}]\n"
        "traffic: {interval: const(100s), size: 100B, start: 1s}\n";
    static const struct { uint32_t from, to; } sends[] = {
        {1, 0}, {0, 1}, {0, 1}, {0, 1}, {1, 2}, {1, 2}, {1, 2}, {2, 1},
    };
    /* Expected per (link, dir): tx_pkts, queue_drops. */
    static const uint64_t want[3][2][2] = {
        {{2, 1}, {1, 0}},      /* l0: SO -> s1 (down), s1 -> SO (up) */
        {{0, 0}, {0, 0}},      /* l1 */
        {{2, 1}, {1, 0}},      /* l2: s1 -> s2, s2 -> s1 */
    };
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    sim_link_stats st;
    sim_node_info ni;
    uint32_t link;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 1, 0, &link), 0);
    CU_ASSERT_EQUAL(link, 0);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 0, 1, &link), 1);
    CU_ASSERT_EQUAL(link, 0);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 1, 2, &link), 2);
    CU_ASSERT_EQUAL(link, 2);
    CU_ASSERT_EQUAL(sim_world_next_hop(w, 2, 1, &link), 1);
    CU_ASSERT_EQUAL(link, 2);
    for (size_t i = 0; i < sizeof sends / sizeof sends[0]; i++) {
        sim_pkt *p = sim_pkt_new(w, SIM_PKT_DATA, sends[i].from,
                                 sends[i].to, 100 + (uint32_t)i, 0, 100);
        sim_world_send(w, sends[i].from, p);
    }
    for (uint32_t l = 0; l < 3; l++)
        for (int d = 0; d < 2; d++) {
            sim_world_link_stats(w, l, d, &st);
            CU_ASSERT_EQUAL(st.tx_pkts, want[l][d][0]);
            CU_ASSERT_EQUAL(st.tx_bytes, want[l][d][0] * 156);
            CU_ASSERT_EQUAL(st.queue_drops, want[l][d][1]);
            CU_ASSERT_EQUAL(st.lost, 0);
            CU_ASSERT_EQUAL(st.busy_until,
                            (sim_time)want[l][d][0] * 156 * SIM_MS);
        }
    sim_world_node_info(w, 0, &ni);
    CU_ASSERT_EQUAL(ni.tx_pkts, 2);
    sim_world_node_info(w, 1, &ni);
    CU_ASSERT_EQUAL(ni.tx_pkts, 3);
    CU_ASSERT_EQUAL(ni.tx_bytes, 3 * 156);
    sim_world_node_info(w, 2, &ni);
    CU_ASSERT_EQUAL(ni.tx_pkts, 1);
    sim_world_free(w);
    scn_free(sc);
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
        "traffic: {interval: const(100s), size: 100B, start: 1s}\n"
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


/* ---- Measured, not constructed: seed 000's T split, the delivered
 * fraction, theory at the measured rate --------------------------------- */

static const ana_welford *samples(sim_world *w, const char *name)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, "");
    CU_ASSERT_FATAL(id >= 0);
    return ana_metric_samples(m, id);
}

/* SO 1 - source 2 on two_nodes' 8 kbit/s link (1 B per ms, 5 ms), and
 * subscriber 3 on a link to the SO.  The source registers at 2.5 s: the
 * REGISTER arrives at 2.561, is served until 3.561, the ack (64 B) is
 * there at 3.630.  Data (100 B + 56 B header: 161 ms on the link) are
 * created at 3, 6 and 9 s.  The first waits for registration (key access
 * 0.630 s), the second leaves at once; both reach the SO 161 ms after
 * leaving, are served 1 s, and published 244 ms later; the third is
 * served from 9.161 to 10.161, after the end (10 s): 2 of the 3 wanted
 * deliveries are made. */
static void test_t_split_by_hand(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 5ms, bandwidth: 8kbps}\n"
        "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source},\n"
        "          {id: 3, role: subscriber}]\n"
        "  links: [{a: 1, b: 2}, {a: 1, b: 3}]\n"
        "traffic: {interval: const(3s), size: 100B, "
        "register_at: const(2.5s), topics: ['t/{id}']}\n"
        "smart_object: {service: const(1s), publish: const(244ms)}\n"
        "subscribers: {filters: ['#']}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    tap_log log = {0};
    const ana_welford *e2e, *key, *xfer, *so, *pub;
    double pub_link = -1;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    sim_world_add_tap(w, log_tap, &log);
    sim_world_run(w, sc->duration, 0);
    sim_world_finish(w);
    for (int i = 0; i < log.n; i++)
        if (log.type[i] == SIM_PKT_PUBLISH)   /* its time on the SO's link */
            pub_link = log.len[i] * 1e-3 + 0.005;
    CU_ASSERT_FATAL(pub_link > 0);
    e2e = samples(w, "delay.end_to_end");
    key = samples(w, "delay.key_access");
    xfer = samples(w, "delay.transfer");
    so = samples(w, "delay.so");
    pub = samples(w, "delay.publish");
    CU_ASSERT_EQUAL(e2e->n, 2);
    CU_ASSERT_EQUAL(key->n, 2);
    CU_ASSERT_EQUAL(xfer->n, 2);
    CU_ASSERT_EQUAL(so->n, 2);
    CU_ASSERT_EQUAL(pub->n, 2);
    CU_ASSERT_DOUBLE_EQUAL(key->max, 0.630, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(key->min, 0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(xfer->mean, 0.161, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(so->mean, 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pub->mean, 0.244 + pub_link, 1e-12);
    /* The parts add up to the end-to-end delay, message by message (both
     * messages: the means and the extremes). */
    CU_ASSERT_DOUBLE_EQUAL(key->mean + xfer->mean + so->mean + pub->mean,
                           e2e->mean, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(key->max + xfer->max + so->max + pub->max,
                           e2e->max, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "delay.end_to_end.delivered_fraction",
                                  "", "1", ANA_VALUE), 2.0 / 3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "delay.source_to_so.delivered_fraction",
                                  "", "1", ANA_VALUE), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "delay.registration.answered_fraction",
                                  "", "1", ANA_VALUE), 1.0, 1e-12);
    sim_world_free(w);
    scn_free(sc);
}

/* A tap that drops every DATA packet source `victim` sends. */
static sim_tap_verdict drop_victim(void *ctx, sim_world *w, uint32_t link,
                                   uint32_t from, uint32_t to, sim_pkt *p)
{
    const uint32_t *victim = ctx;
    (void)w; (void)link; (void)to;
    return sim_pkt_type_of(p) == SIM_PKT_DATA && from == *victim
               ? SIM_TAP_DROP : SIM_TAP_PASS;
}

/* Two sources offer 0.4/s each to an exp(1 s) server, but one source's
 * data never arrive: the M/M/1 at the offered rate (0.8/s: W = 5 s) is
 * not the queue that ran; at the measured rate (about 0.4/s: W = 1/(1 -
 * lambda)) it is, and it is computed from that rate. */
static void test_theory_at_measured_rate(void)
{
    static const char *yaml =
        "name: t\nseed: 7\nduration: 20000s\nwarmup: 100s\nprotocol: none\n"
        "topology: {generator: star, sources: 2, smart_objects: 1}\n"
        "traffic: {interval: exp(2.5s), size: 16B}\n"
        "smart_object: {service: exp(1s)}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    uint32_t victim = SIM_NONE;
    double lam, W, W_off, W_m, rho_m, L_m;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    for (uint32_t v = 0; v < sim_world_topo(w)->n_nodes; v++)
        if (sim_world_topo(w)->nodes[v].role == SCN_ROLE_SOURCE)
            victim = v;                     /* the last source */
    sim_world_add_tap(w, drop_victim, &victim);
    sim_world_run(w, sc->duration, 0);
    sim_world_finish(w);
    lam = metric(w, "queue.arrival_rate", "so:all", "1/s", ANA_VALUE);
    W = metric(w, "queue.W", "so:all", "s", ANA_VALUE);
    W_off = metric(w, "queue.W.theory", "so:all", "s", ANA_VALUE);
    W_m = metric(w, "queue.W.theory_measured", "so:all", "s", ANA_VALUE);
    rho_m = metric(w, "queue.utilisation.theory_measured", "so:all", "1",
                   ANA_VALUE);
    L_m = metric(w, "queue.L.theory_measured", "so:all", "req", ANA_VALUE);
    CU_ASSERT_DOUBLE_EQUAL(metric(w, "queue.arrival_rate.theory", "so:all",
                                  "1/s", ANA_VALUE), 0.8, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(W_off, 5.0, 1e-9);
    CU_ASSERT(lam > 0.35 && lam < 0.45);
    CU_ASSERT_DOUBLE_EQUAL(W_m, 1.0 / (1.0 - lam), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(rho_m, lam, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(L_m, lam / (1.0 - lam), 1e-9);
    /* The queue that ran is the one at the measured rate. */
    CU_ASSERT(fabs(W - W_m) < 0.1 * W_m);
    CU_ASSERT(fabs(W - W_off) > 2.0);
    /* Half the data reached the SO. */
    CU_ASSERT(metric(w, "delay.source_to_so.delivered_fraction", "", "1",
                     ANA_VALUE) > 0.45);
    CU_ASSERT(metric(w, "delay.source_to_so.delivered_fraction", "", "1",
                     ANA_VALUE) < 0.55);
    sim_world_free(w);
    scn_free(sc);
}

/* ---- Link and forwarding state (issue 22: compact records) ---------------
 * A tap counts every transmission by (link, direction) and by sender on
 * its own; the world's per-direction records (grown well past their first
 * 256 directions), the per-node sums, the drop counters and the forest
 * depths must agree with it and with a BFS done here. */
typedef struct dir_log {
    uint64_t *pkts, *bytes;  /* per link * 2 + dir (0: a -> b)           */
    uint64_t *node_pkts;     /* per sender                               */
} dir_log;

static sim_tap_verdict dir_tap(void *ctx, sim_world *w, uint32_t link,
                               uint32_t from, uint32_t to, sim_pkt *p)
{
    dir_log *log = ctx;
    const sim_topo *t = sim_world_topo(w);
    size_t k = 2 * (size_t)link + (t->links[link].a == from ? 0 : 1);

    CU_ASSERT(to == (k & 1 ? t->links[link].a : t->links[link].b));
    log->pkts[k]++;
    log->bytes[k] += p->len;
    log->node_pkts[from]++;
    return SIM_TAP_PASS;
}

static void test_link_state_counts(void)
{
    static const char *yaml =
        "name: t\nseed: 5\nduration: 30s\nprotocol: none\n"
        "topology:\n  generator: grid\n  sources: 600\n"
        "  smart_objects: 3\n  columns: 30\n  spacing: 10m\n"
        "  link: {latency: 2ms, bandwidth: 50kbps, loss: 0.1, queue: 300B}\n"
        "traffic: {interval: exp(2s), size: 40B}\n"
        "smart_object: {service: const(1ms)}\n";
    scenario *sc = load(yaml);
    char err[256];
    sim_world *w;
    const sim_topo *t;
    dir_log log;
    uint64_t used = 0, lost = 0, qd = 0, *dist, *queue, head = 0, tail = 0;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 2, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    t = sim_world_topo(w);
    log.pkts = calloc(2 * (size_t)t->n_links, sizeof *log.pkts);
    log.bytes = calloc(2 * (size_t)t->n_links, sizeof *log.bytes);
    log.node_pkts = calloc(t->n_nodes, sizeof *log.node_pkts);
    dist = calloc(t->n_nodes, sizeof *dist);
    queue = calloc(t->n_nodes, sizeof *queue);
    CU_ASSERT_FATAL(log.pkts && log.bytes && log.node_pkts && dist && queue);
    sim_world_add_tap(w, dir_tap, &log);
    sim_world_run(w, sc->duration, 0);
    sim_world_finish(w);

    for (uint32_t l = 0; l < t->n_links; l++)
        for (int d = 0; d < 2; d++) {
            sim_link_stats st;
            size_t k = 2 * (size_t)l + (size_t)d;
            sim_world_link_stats(w, l, d, &st);
            CU_ASSERT_EQUAL(st.tx_pkts, log.pkts[k]);
            CU_ASSERT_EQUAL(st.tx_bytes, log.bytes[k]);
            used += st.tx_pkts + st.lost + st.queue_drops > 0;
            lost += st.lost;
            qd += st.queue_drops;
            if (!st.tx_pkts && !st.queue_drops)
                CU_ASSERT_EQUAL(st.busy_until, 0);
        }
    CU_ASSERT(used > 512);           /* the direction table grew twice */
    CU_ASSERT(lost > 0 && qd > 0);
    CU_ASSERT_EQUAL(lost, (uint64_t)metric(w, "link.lost", "", "pkt",
                                           ANA_COUNTER));
    CU_ASSERT_EQUAL(qd, (uint64_t)metric(w, "link.queue_drops", "", "pkt",
                                         ANA_COUNTER));

    /* Hops to the SO: a multi-source BFS from the SOs. */
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        dist[v] = UINT64_MAX;
        if (t->nodes[v].role == SCN_ROLE_SO) {
            dist[v] = 0;
            queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint64_t u = queue[head++];
        for (uint32_t e = t->adj_off[u]; e < t->adj_off[u + 1]; e++)
            if (dist[t->adj[e]] == UINT64_MAX) {
                dist[t->adj[e]] = dist[u] + 1;
                queue[tail++] = t->adj[e];
            }
    }
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        sim_node_info ni;
        sim_world_node_info(w, v, &ni);
        CU_ASSERT_EQUAL(ni.tx_pkts, log.node_pkts[v]);
        CU_ASSERT_EQUAL(ni.hops_to_so, (uint32_t)dist[v]);
    }
    free(log.pkts);
    free(log.bytes);
    free(log.node_pkts);
    free(dist);
    free(queue);
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
    CUTEST_ADD(s, test_pkt_pool_classes);
    CUTEST_ADD(s, test_pkt_pool_chunks);
    CUTEST_ADD(s, test_fifo_and_queue_drop);
    CUTEST_ADD(s, test_link_state_forest_and_off);
    CUTEST_ADD(s, test_storage_marks);
    CUTEST_ADD(s, test_multihop_chain);
    CUTEST_ADD(s, test_link_state_counts);
    CUTEST_ADD(s, test_grid_shortest_paths);
    CUTEST_ADD(s, test_loss_fraction);
    CUTEST_ADD(s, test_publish_by_topic);
    CUTEST_ADD(s, test_tap_drop);
    CUTEST_ADD(s, test_move_switches_so);
    CUTEST_ADD(s, test_move_away_and_back);
    CUTEST_ADD(s, test_move_while_unregistered);
    CUTEST_ADD(s, test_move_hook);
    CUTEST_ADD(s, test_move_lambda_theory);
    CUTEST_ADD(s, test_move_determinism);
    CUTEST_ADD(s, test_partition_loopback);
    CUTEST_ADD(s, test_two_scheds_alternating);
    CUTEST_ADD(s, test_new_split);
    CUTEST_ADD(s, test_new_threads);
    CUTEST_ADD(s, test_new_threads_pk);
    CUTEST_ADD(s, test_threads_real);
    CUTEST_ADD(s, test_threads_refused);
    CUTEST_ADD(s, test_threads_moves_refused);
    CUTEST_ADD(s, test_samples_replay);
    CUTEST_ADD(s, test_eg_threads_refusal);
    CUTEST_ADD(s, test_partition_loopback_protocols);
    CUTEST_ADD(s, test_partition_lookahead);
    CUTEST_ADD(s, test_move_errors);
    CUTEST_ADD(s, test_t_split_by_hand);
    CUTEST_ADD(s, test_theory_at_measured_rate);
    CUTEST_ADD(s, test_route_reference_explicit);
    CUTEST_ADD(s, test_route_reference_generators);
    CUTEST_ADD(s, test_route_work_bounded);
    CUTEST_ADD(s, test_backbone_shape);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
