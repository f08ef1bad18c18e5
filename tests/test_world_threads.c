/* test_world_threads.c — test_world's partitions-and-threads seam
 * (sim/THREADS.md): loopback partitions (their runs identical to one
 * partition, with and without protocols), two schedulers in turn, worlds
 * built split or with --threads 2 (real threads, the protocol refusals,
 * the moves refusal), the samples replayed across partitions, and the
 * lookahead of a cut.  One program with tests/test_world.c (main and the
 * registration); shared helpers in tests/world_t.h. */
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

/* ---- Partitions (THREADS.md step 4.2) ---------------------------------- */


/* Dini as dini-adjacent (2% loss, ties between nodes' events at one
 * time), for the split runs. */
static const char split_dini_yaml[] =
    "name: t\nseed: 4\nduration: 6min\nwarmup: 1min\n"
    "protocol: {name: dini, d: 8, local_keys_from: so, pool: 8,\n"
    "  ring: 4, search_hops: 3, findglobalkey: radio,\n"
    "  rekey_every: 2min}\n"
    "topology: {generator: tree, sources: 30, smart_objects: 1,\n"
    "  fanout: 2, link: {latency: 5ms, bandwidth: 250kbps,\n"
    "  loss: 0.02}}\n"
    "traffic: {interval: exp(20s), size: 64B,\n"
    "  register_at: 'uniform(0s, 30s)'}\n"
    "smart_object: {service: exp(50ms)}\n";

/* A world of sc with seed and its split by node number (*part: v % 2,
 * the caller's to pass to split_done). */
static sim_world *split_world(const scenario *sc, uint64_t seed,
                              uint8_t **part)
{
    char err[256];
    sim_world *w = sim_world_new(sc, seed, err, sizeof err);
    uint32_t n;

    if (!w)
        fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_FATAL(w != NULL);
    n = sim_world_topo(w)->n_nodes;
    *part = calloc(n, 1);
    CU_ASSERT_FATAL(*part != NULL);
    for (uint32_t v = 0; v < n; v++)
        (*part)[v] = (uint8_t)(v % 2);
    return w;
}

/* Ends a split_world run: fp, *crossed, the rows' hash; frees w, part. */
static uint64_t split_done(sim_world *w, uint8_t *part, unsigned char fp[32],
                          uint64_t *crossed)
{
    uint64_t h = 1469598103934665603ull;

    sim_world_finish(w);
    sim_world_fingerprint(w, fp);
    ana_metrics_rows(sim_world_metrics(w), tw_rows_hash, &h);
    *crossed = sim_world_crossed(w);
    sim_world_free(w);
    free(part);
    return h;
}

/* Runs sc with seed; split: nodes in partition v % 2 (every other link
 * cut), run in windows of one lookahead, the outbox delivered after each.
 * Returns the rows' hash; fp: the fingerprint; crossed: arrivals that
 * went through the outbox; cross: events scheduled directly (not through
 * the outbox) for a node of the other partition (the scheduler's census
 * with the same split). */
static uint64_t run_split(const scenario *sc, uint64_t seed, int split,
                          sim_time la_want, unsigned char fp[32],
                          uint64_t *crossed, uint64_t *cross)
{
    uint8_t *part;
    sim_world *w = split_world(sc, seed, &part);
    uint32_t n = sim_world_topo(w)->n_nodes;
    sim_sched_census cen;

    sim_sched_set_census(sim_world_sched(w), part, n, 5000000);
    if (split) {
        sim_time la = 0, t;

        CU_ASSERT_EQUAL_FATAL(sim_world_partition(w, part, &la), 0);
        CU_ASSERT_EQUAL(la, la_want);
        for (t = 0; t < sc->duration; t += la) {
            sim_time end = t + la - 1 < sc->duration ? t + la - 1
                                                      : sc->duration;
            sim_world_run(w, end, 0);
            sim_world_outbox_deliver(w);
        }
        sim_world_run(w, sc->duration, 0);
        /* Both partitions' logs made the fingerprint (merged by key);
         * split from the start, every executed event was logged. */
        CU_ASSERT(sim_world_fp_logged(w, 0) > 0);
        CU_ASSERT(sim_world_fp_logged(w, 1) > 0);
        CU_ASSERT_EQUAL(sim_world_fp_logged(w, 0) + sim_world_fp_logged(w, 1),
                        sim_sched_executed(sim_world_sched(w)));
    } else {
        sim_world_run(w, sc->duration, 0);
        CU_ASSERT_EQUAL(sim_world_fp_logged(w, 0) + sim_world_fp_logged(w, 1),
                        0);
    }
    sim_sched_census_get(sim_world_sched(w), &cen);
    *cross = cen.cross;
    sim_sched_set_census(sim_world_sched(w), NULL, 0, 0);
    return split_done(w, part, fp, crossed);
}

/* Both partitions on the world's one scheduler ("loopback"): every link
 * arrival between them goes through the outbox and comes back at the
 * window's end with its sender-side key.  Results and fingerprint must
 * equal the unsplit run's, on a protocol run with ties between nodes'
 * events (dini, as dini-adjacent) and a lossy grid with moves. */
void test_partition_loopback(void)
{
    static const char *yaml[2] = {
        split_dini_yaml,
        "name: t\nseed: 5\nduration: 300s\nprotocol: none\n"
        "topology: {generator: grid, sources: 16, columns: 4, spacing: 1m,\n"
        "           smart_objects: 2, link: {loss: 0.05, latency: 5ms}}\n"
        "traffic: {interval: exp(5s), size: exp(50B)}\n"
        "smart_object: {service: exp(100ms)}\n"
        "moves: [{node: 2, at: 100s, to: 1}, {node: 17, at: 100s, to: 0},\n"
        "        {node: 9, at: 0s, to: 1}]\n",
    };

    for (int k = 0; k < 2; k++) {
        scenario *sc = load(yaml[k]);
        unsigned char fp0[32], fp1[32];
        uint64_t h0, h1, c0, c1, x0, x1;

        CU_ASSERT_FATAL(sc != NULL);
        h0 = run_split(sc, 7, 0, 5000000, fp0, &c0, &x0);
        h1 = run_split(sc, 7, 1, 5000000, fp1, &c1, &x1);
        CU_ASSERT_EQUAL(c0, 0);
        CU_ASSERT(c1 > 100);              /* the outbox really carried */
        /* Unsplit, the census sees exactly the arrivals the split run
         * sends through the outbox; split, nothing else crosses: these
         * protocols schedule only for their own node or by link. */
        CU_ASSERT_EQUAL(x0, c1);
        CU_ASSERT_EQUAL(x1, 0);
        CU_ASSERT_EQUAL(h0, h1);
        CU_ASSERT_EQUAL(memcmp(fp0, fp1, 32), 0);
        scn_free(sc);
    }
}

/* The loopback on shipped scenarios of the other protocols (E-G with a
 * revocation, netkey, pairwise, Di Pietro with anonymous sources and a
 * subscriber).  Every crossing the census sees unsplit either goes
 * through the outbox split or is scheduled directly for the other
 * partition; only E-G does the latter (its run-wide events: ev_start,
 * revoke_round, THREADS.md "global events"). */
void test_partition_loopback_protocols(void)
{
    static const struct {
        const char *file;
        sim_time la;            /* the lookahead of the v % 2 split      */
        int direct;             /* events scheduled across directly      */
    } f[] = {
        { "eg-grid", 2000000, 1 }, { "netkey-tree", 3000000, 0 },
        { "pairwise-tree", 3000000, 0 }, { "dipietro-seed001-s1", 2000000, 0 },
    };

    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        scenario *sc;
        unsigned char fp0[32], fp1[32];
        uint64_t h0, h1, c0, c1, x0, x1;

        sc = tw_load_shipped(f[k].file, NULL, 0);
        CU_ASSERT_FATAL(sc != NULL);
        h0 = run_split(sc, sc->seed, 0, f[k].la, fp0, &c0, &x0);
        h1 = run_split(sc, sc->seed, 1, f[k].la, fp1, &c1, &x1);
        CU_ASSERT(c1 > 100);
        CU_ASSERT_EQUAL(x0, c1 + x1);
        CU_ASSERT_EQUAL(x1 > 0, f[k].direct);
        CU_ASSERT_EQUAL(h0, h1);
        CU_ASSERT_EQUAL(memcmp(fp0, fp1, 32), 0);
        scn_free(sc);
    }
}

/* Runs sc with seed split as run_split does (v % 2), but partition 1 on
 * a scheduler of its own (sim_world_two_scheds), the two run in turn a
 * window of one lookahead each, then the barrier.  Returns the rows'
 * hash; fp, crossed as run_split; *moved: set-up events moved to
 * partition 1's scheduler; *ran: events run by each. */
static uint64_t run_two(const scenario *sc, uint64_t seed, sim_time la_want,
                        unsigned char fp[32], uint64_t *crossed,
                        size_t *moved, uint64_t ran[2])
{
    uint8_t *part;
    sim_world *w = split_world(sc, seed, &part);
    sim_time la = 0, t;

    CU_ASSERT_EQUAL(sim_world_two_scheds(w, moved), -1);   /* not split */
    CU_ASSERT_EQUAL_FATAL(sim_world_partition(w, part, &la), 0);
    CU_ASSERT_EQUAL(la, la_want);
    CU_ASSERT_EQUAL_FATAL(sim_world_two_scheds(w, moved), 0);
    CU_ASSERT_EQUAL(sim_world_two_scheds(w, moved + 1), -1); /* already */
    CU_ASSERT_EQUAL(sim_world_partition(w, NULL, &t), -1);   /* fixed */
    /* sim_world_run runs the windows (and the warm-up's end, an event
     * for no node, with both partitions stopped before it). */
    while (sim_world_run(w, sc->duration, 1000) >= 1000)
        ;
    ran[0] = sim_world_fp_logged(w, 0);
    ran[1] = sim_world_fp_logged(w, 1);
    CU_ASSERT_EQUAL(sim_world_now(w), sc->duration);
    return split_done(w, part, fp, crossed);
}

/* sim_world_new_split: the split is in place before the protocol's init
 * (nparts, part_of), the partition running now follows the alternating
 * windows, and the run equals the one-partition run (netkey-tree). */
void test_new_split(void)
{
    char path[1024], err[256];
    scenario *sc;
    sim_world *w;
    uint8_t *part;
    uint32_t n;
    size_t moved;
    sim_time la = 3000000, t;
    unsigned char fp0[32], fp1[32];
    uint64_t h0, h1, c0, c1, x0;

    snprintf(path, sizeof path, "%s/scenarios/netkey-tree.yaml",
             TEST_SRCDIR);
    sc = scn_load(path, NULL, 0, err, sizeof err);
    CU_ASSERT_FATAL(sc != NULL);
    h0 = run_split(sc, sc->seed, 0, la, fp0, &c0, &x0);
    w = split_world(sc, sc->seed, &part);     /* for n and part only */
    n = sim_world_topo(w)->n_nodes;
    CU_ASSERT_EQUAL(sim_world_nparts(w), 1);
    CU_ASSERT_EQUAL(sim_world_part_of(w, 1), 0);
    sim_world_free(w);
    w = sim_world_new_split(sc, sc->seed, NULL, part, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(sim_world_nparts(w), 2);
    for (uint32_t v = 0; v < n; v++)
        CU_ASSERT_EQUAL(sim_world_part_of(w, v), (int)(v % 2));
    CU_ASSERT_EQUAL(sim_world_part_of(w, n), 0);   /* no node */
    CU_ASSERT_EQUAL(sim_world_cur_part(w), 0);
    CU_ASSERT_EQUAL_FATAL(sim_world_two_scheds(w, &moved), 0);
    CU_ASSERT(moved > 0);
    /* Outside a run no partition runs: 0 (inside, the running one's:
     * test_cur_part_threads). */
    sim_world_run(w, sc->duration, 0);
    CU_ASSERT_EQUAL(sim_world_cur_part(w), 0);
    (void)la;
    (void)t;
    h1 = split_done(w, part, fp1, &c1);
    CU_ASSERT(c1 > 100);
    CU_ASSERT_EQUAL(h0, h1);
    CU_ASSERT_EQUAL(memcmp(fp0, fp1, 32), 0);
    scn_free(sc);
}

/* E-G with revocation rounds (run-wide events) at three times and no
 * path keys: links lost and re-secured directly, some of them cut by the
 * median-x split with both ends re-secured within one window.  Without
 * E-G's replay of the cut links' accounting by key (eg_setup.c cut_sync),
 * key.rekey differs between one and two partitions (checked).
 * eg_lossy_yaml: the same with path keys and 3% loss on every link (the
 * loss draws of cut links made at the barrier, THREADS.md). */
static const char eg_revoke_yaml[] = TW_EG_REVOKE_YAML;
static const char eg_lossy_yaml[] =
    "name: t\nseed: 9\nduration: 4min\n"
    "protocol: {name: eg, pool: 200, ring: 16, q: 2, path_keys: true,\n"
    "  path_hops: 3, revoke_at: [50s, 90s, 91s],\n"
    "  revoke_nodes: [5, 14, 30]}\n"
    "topology: {generator: grid, sources: 36, columns: 6, spacing: 10m,\n"
    "  smart_objects: 2, link: {latency: 5ms, loss: 0.03}}\n"
    "traffic: {interval: exp(10s), size: 64B,\n"
    "  register_at: 'uniform(0s, 5s)'}\n"
    "smart_object: {service: exp(50ms)}\n";

/* sim_world_new_threads(2): the world splits itself at the median x and
 * sim_world_run runs the windows; run in chunks of 1,000 events (as
 * run.c does) the fingerprint and every metric equal one thread's, both
 * in turn on this thread (sim_world_new_alternating) and on two real
 * threads.  E-G (eg-grid: two revocations at one time, in both halves;
 * eg_revoke_yaml) runs its start-up and revocation rounds as run-wide
 * events (world_node_global). */
void test_new_threads(void)
{
    static const struct {
        const char *file;       /* shipped scenario, or NULL: yaml       */
        const char *yaml;
    } f[] = {
        { "netkey-tree", NULL }, { "dipietro-seed001-s1", NULL },
        { "pairwise-tree", NULL }, { "eg-grid", NULL },
        { NULL, eg_revoke_yaml }, { NULL, eg_lossy_yaml },
    };

    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        char err[256];
        scenario *sc;
        unsigned char fp[3][32];
        uint64_t h[3] = { 1469598103934665603ull, 1469598103934665603ull,
                          1469598103934665603ull };
        uint64_t ev[3];

        if (f[k].file) {
            sc = tw_load_shipped(f[k].file, NULL, 0);
        } else {
            sc = load(f[k].yaml);
        }
        CU_ASSERT_FATAL(sc != NULL);
        /* th 1: one thread; 2: two partitions in turn on this thread;
         * 3: two partitions on two threads. */
        for (int th = 1; th <= 3; th++) {
            sim_world *w = th == 2 ? sim_world_new_alternating(sc, sc->seed,
                                                               NULL, err,
                                                               sizeof err)
                                   : sim_world_new_threads(sc, sc->seed, NULL,
                                                           th == 1 ? 1 : 2,
                                                           err, sizeof err);

            if (!w)
                fprintf(stderr, "\n  %s\n", err);
            CU_ASSERT_FATAL(w != NULL);
            CU_ASSERT_EQUAL(sim_world_nparts(w), th == 1 ? 1 : 2);
            while (sim_world_run(w, sc->duration, 1000) >= 1000)
                ;
            CU_ASSERT_EQUAL(sim_world_now(w), sc->duration);
            sim_world_finish(w);
            sim_world_fingerprint(w, fp[th - 1]);
            ana_metrics_rows(sim_world_metrics(w), tw_rows_hash, &h[th - 1]);
            ev[th - 1] = sim_world_events(w);
            if (th >= 2) {
                CU_ASSERT(sim_world_crossed(w) > 0);
                CU_ASSERT(sim_world_fp_logged(w, 0) > 0 &&
                          sim_world_fp_logged(w, 1) > 0);
            }
            sim_world_free(w);
        }
        for (int th = 2; th <= 3; th++) {
            CU_ASSERT_EQUAL(ev[0], ev[th - 1]);
            CU_ASSERT_EQUAL(h[0], h[th - 1]);
            CU_ASSERT_EQUAL(memcmp(fp[0], fp[th - 1], 32), 0);
        }
        scn_free(sc);
    }
}

/* What test_new_threads_pk compares between runs. */
typedef struct thr_out {
    unsigned char fp[32];     /* fingerprint                               */
    uint64_t h;               /* hash of every metric row (tw_rows_hash)   */
    uint64_t ev, crossed;     /* events run, arrivals through the outbox   */
    uint64_t rekeys;          /* key.rekey samples (rounds completed)      */
    double rtx;               /* <protocol>.retransmissions                */
} thr_out;

/* One run of sc (seed) with `th` threads (1 or 2, on one thread). */
static void threads_run(const scenario *sc, uint64_t seed, int th,
                        thr_out *out)
{
    char err[256], name[64];
    sim_world *w = sim_world_new_threads(sc, seed, NULL, th, err, sizeof err);
    ana_metrics *m;
    int id;

    if (!w)
        fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(sim_world_nparts(w), th);
    while (sim_world_run(w, sc->duration, 1000) >= 1000)
        ;
    sim_world_finish(w);
    m = sim_world_metrics(w);
    sim_world_fingerprint(w, out->fp);
    out->h = 1469598103934665603ull;
    ana_metrics_rows(m, tw_rows_hash, &out->h);
    out->ev = sim_world_events(w);
    out->crossed = sim_world_crossed(w);
    id = ana_metric_find(m, "key.rekey", "");
    out->rekeys = id >= 0 ? ana_metric_samples(m, id)->n : 0;
    snprintf(name, sizeof name, "%s.retransmissions", sc->proto->name);
    id = ana_metric_find(m, name, "");
    out->rtx = id >= 0 ? ana_metric_get(m, id) : 0;
    sim_world_free(w);
}

/* netkey, pairwise and Di Pietro set threads_ok (issue 22, r26pk): on the
 * tree of seed 001's comparison and on a small random geometric network
 * of six SOs (scale-dipietro-1e5 cut to 306 nodes: SOs on both sides of
 * the split, so SO-owned state -- retransmission copies, member tables,
 * publish queues, fresh keys -- lives in both partitions), as each
 * protocol (scn_load_as), with variants -- Di Pietro's central sync and
 * sealed seeds, per-hop MACs, retransmissions (a timeout shorter than an
 * answer's round trip: copies, resends, duplicates) -- two seeds each:
 * two partitions give the one-partition run's fingerprint, metric rows
 * and event count, arrivals crossed, and the runs did re-key and
 * retransmit (the paths are not idle). */
#define RG "scale-dipietro-1e5", { "topology.sources=300", \
    "topology.smart_objects=6", "topology.area=[175m, 175m]"
void test_new_threads_pk(void)
{
    static const struct {
        const char *proto, *file;
        const char *set[6];
    } v[] = {
        { "netkey", "compare-seed001", { NULL } },
        { "pairwise", "compare-seed001",
          { "protocols.pairwise.retransmit_after=15ms",
            "protocols.pairwise.per_hop_mac=true", NULL } },
        { "dipietro", "compare-seed001",
          { "protocols.dipietro.sync=central",
            "protocols.dipietro.seeds=sealed", NULL } },
        { "netkey", RG, "protocols.netkey.retransmit_after=15ms",
          "protocols.netkey.per_hop_mac=true", NULL } },
        { "pairwise", RG, NULL } },
        { "pairwise", RG, "protocols.pairwise.retransmit_after=15ms",
          NULL } },
        /* Di Pietro is the file's protocol: its options under protocol: */
        { "dipietro", RG, NULL } },
        { "dipietro", RG, "protocol.sync=central", "protocol.seeds=sealed",
          NULL } },
        { "dipietro", RG, "protocol.retransmit_after=15ms",
          "protocol.per_hop_mac=true", NULL } },
    };
    double rtx_seen = 0;

    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        uint64_t rekeys = 0;
        const char *o[10];
        size_t n = 0;
        char path[1024], err[512], rekey[64];
        scenario *sc;

        if (strcmp(v[k].file, "scale-dipietro-1e5") == 0 &&
            strcmp(v[k].proto, "dipietro") == 0)
            snprintf(rekey, sizeof rekey, "protocol.rekey_every=2min");
        else
            snprintf(rekey, sizeof rekey, "protocols.%s.rekey_every=2min",
                     v[k].proto);
        o[n++] = "duration=8min";
        o[n++] = rekey;
        for (size_t i = 0; v[k].set[i]; i++)
            o[n++] = v[k].set[i];
        snprintf(path, sizeof path, "%s/scenarios/%s.yaml", TEST_SRCDIR,
                 v[k].file);
        sc = scn_load_as(path, o, n, v[k].proto, err, sizeof err);
        if (!sc)
            fprintf(stderr, "\n  %s\n", err);
        CU_ASSERT_FATAL(sc != NULL);
        CU_ASSERT(sc->proto->threads_ok);
        for (uint64_t seed = sc->seed; seed < sc->seed + 2; seed++) {
            thr_out r[2];

            threads_run(sc, seed, 1, &r[0]);
            threads_run(sc, seed, 2, &r[1]);
            if (memcmp(r[0].fp, r[1].fp, 32) != 0 || r[0].h != r[1].h ||
                r[0].ev != r[1].ev)
                fprintf(stderr, "\n  %s variant %zu seed %llu: threads 2 "
                        "differs\n", v[k].proto, k,
                        (unsigned long long)seed);
            CU_ASSERT_EQUAL(r[0].ev, r[1].ev);
            CU_ASSERT_EQUAL(r[0].h, r[1].h);
            CU_ASSERT_EQUAL(memcmp(r[0].fp, r[1].fp, 32), 0);
            CU_ASSERT_EQUAL(r[0].crossed, 0);
            CU_ASSERT(r[1].crossed > 0);
            rekeys += r[0].rekeys;
            rtx_seen += r[0].rtx;
        }
        CU_ASSERT(rekeys > 0);
        scn_free(sc);
    }
    CU_ASSERT(rtx_seen > 0);
}
#undef RG

/* One run of scenario file f (shipped) with `threads` (1, 2, or -2: two
 * partitions in turn on this thread) and seed: fingerprint, hash of the
 * metric rows, events, and for two partitions the arrivals that crossed
 * and the events each partition ran; the pool's invariants hold at the
 * end and *live holds the packets still handed out. */
typedef struct thr_result {
    unsigned char fp[32];
    uint64_t rows, events, crossed, logged[2], live;
    int pool_ok;
} thr_result;

static void thr_run(const scenario *sc, uint64_t seed, int threads,
                    thr_result *r)
{
    sim_world *w = tw_new_threads(sc, seed, threads);

    CU_ASSERT_FATAL(w != NULL);
    r->rows = 1469598103934665603ull;
    while (sim_world_run(w, sc->duration, 1000) >= 1000)   /* as run.c */
        ;
    CU_ASSERT_EQUAL(sim_world_now(w), sc->duration);
    CU_ASSERT_EQUAL(sim_world_cur_part(w), 0);
    sim_world_finish(w);
    sim_world_fingerprint(w, r->fp);
    ana_metrics_rows(sim_world_metrics(w), tw_rows_hash, &r->rows);
    r->events = sim_world_events(w);
    r->crossed = sim_world_crossed(w);
    r->logged[0] = sim_world_fp_logged(w, 0);
    r->logged[1] = sim_world_fp_logged(w, 1);
    r->pool_ok = sim_world_pool_check(w) == 0;
    r->live = sim_world_pkt_live(w);
    sim_world_free(w);
}

/* --threads 2 on real threads (protocol none, threads_ok): a lossy grid
 * with a warm-up (grid.yaml: loss on every link, so the loss draws of
 * the cut links are made at the barriers; the warm-up's end runs with
 * both partitions stopped), a tree with a warm-up and the default
 * scenario, every replication seed: fingerprint, every metric row and
 * the event count equal one thread's, and equal the two partitions run
 * in turn on one thread; both partitions ran, arrivals crossed, every
 * event was logged by one of them, the pools are sane (packets freed
 * across the cut went home) and as many packets are live as with one. */
void test_threads_real(void)
{
    static const char *const f[] = { "grid", "tree", "default" };

    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        scenario *sc;

        sc = tw_load_shipped(f[k], NULL, 0);
        CU_ASSERT_FATAL(sc != NULL);
        CU_ASSERT(sc->warmup > 0);
        for (uint32_t rep = 0; rep < sc->replications; rep++) {
            thr_result r1, r2, ra;
            uint64_t seed = sc->seed + rep;

            thr_run(sc, seed, 1, &r1);
            thr_run(sc, seed, 2, &r2);
            thr_run(sc, seed, -2, &ra);
            CU_ASSERT_EQUAL(memcmp(r1.fp, r2.fp, 32), 0);
            CU_ASSERT_EQUAL(r1.rows, r2.rows);
            CU_ASSERT_EQUAL(r1.events, r2.events);
            CU_ASSERT_EQUAL(memcmp(r1.fp, ra.fp, 32), 0);
            CU_ASSERT_EQUAL(r1.rows, ra.rows);
            CU_ASSERT(r2.crossed > 0);
            CU_ASSERT(r2.logged[0] > 0 && r2.logged[1] > 0);
            CU_ASSERT_EQUAL(r2.logged[0] + r2.logged[1], r2.events);
            CU_ASSERT(r1.pool_ok && r2.pool_ok && ra.pool_ok);
            CU_ASSERT_EQUAL(r1.live, r2.live);
        }
        scn_free(sc);
    }
}

/* A protocol without threads_ok is refused by --threads 2 with a message
 * that names it (every shipped protocol has it now: E-G's ops with the
 * flag cleared stand in); threads 3 is refused too. */
void test_threads_refused(void)
{
    char path[1024], err[256] = "";
    scenario *sc;
    scn_proto_ops off;
    const scn_proto_ops *ops;
    sim_world *w;

    snprintf(path, sizeof path, "%s/scenarios/eg-grid.yaml", TEST_SRCDIR);
    sc = scn_load(path, NULL, 0, err, sizeof err);
    CU_ASSERT_FATAL(sc != NULL);
    ops = sc->proto;
    off = *ops;
    off.threads_ok = 0;
    sc->proto = &off;
    CU_ASSERT(sim_world_new_threads(sc, sc->seed, NULL, 2, err,
                                    sizeof err) == NULL);
    CU_ASSERT(strstr(err, "--threads 2: protocol eg does not run on two "
                          "threads yet (see sim/THREADS.md)") != NULL);
    sc->proto = ops;
    w = sim_world_new_threads(sc, sc->seed, NULL, 2, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(w);               /* E-G itself: threads_ok */
    sim_world_free(w);
    err[0] = 0;
    CU_ASSERT(sim_world_new_threads(sc, sc->seed, NULL, 3, err,
                                    sizeof err) == NULL);
    CU_ASSERT(err[0] != 0);
    scn_free(sc);
}

/* A source moving between smart objects of different halves (THREADS.md,
 * the SOs' shared registry): refused by --threads 2, naming the source
 * and the SOs; one thread runs it.  Moves between two SOs of one
 * half are accepted and give the one-thread run. */
void test_threads_moves_refused(void)
{
    char path[1024], err[512] = "";
    scenario *sc;
    sim_world *w;

    snprintf(path, sizeof path, "%s/scenarios/moves-away-back.yaml",
             TEST_SRCDIR);
    sc = scn_load(path, NULL, 0, err, sizeof err);
    CU_ASSERT_FATAL(sc != NULL);
    CU_ASSERT(sc->proto->threads_ok);
    CU_ASSERT(sim_world_new_threads(sc, sc->seed, NULL, 2, err,
                                    sizeof err) == NULL);
    CU_ASSERT(strstr(err, "--threads 2: source 10 moves between smart "
                          "objects 1 and 2 of different halves") != NULL);
    w = sim_world_new_threads(sc, sc->seed, NULL, 1, err, sizeof err);
    CU_ASSERT(w != NULL);
    sim_world_free(w);
    scn_free(sc);
    /* Moves between SOs 1 and 3, both in the left half (x 0..10 m). */
    sc = load(
        "name: t\nseed: 3\nduration: 4min\nwarmup: 10s\n"
        "protocol: {name: none}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 5ms, bandwidth: 250kbps}\n  nodes:\n"
        "    - {id: 1, role: smart_object, pos: [0m, 0m]}\n"
        "    - {id: 10, role: source, pos: [5m, 0m]}\n"
        "    - {id: 3, role: smart_object, pos: [10m, 0m]}\n"
        "    - {id: 11, role: source, pos: [100m, 0m]}\n"
        "    - {id: 12, role: source, pos: [110m, 0m]}\n"
        "    - {id: 2, role: smart_object, pos: [200m, 0m]}\n"
        "  links:\n    - {a: 1, b: 10}\n    - {a: 10, b: 3}\n"
        "    - {a: 3, b: 11}\n    - {a: 11, b: 12}\n    - {a: 12, b: 2}\n"
        "moves:\n  - {node: 10, at: 1min, to: 3}\n"
        "  - {node: 10, at: 2min, to: 1}\n"
        "traffic:\n  interval: exp(5s)\n  size: 32B\n");
    CU_ASSERT_FATAL(sc != NULL);
    {
        thr_result r1, r2;

        thr_run(sc, sc->seed, 1, &r1);
        thr_run(sc, sc->seed, 2, &r2);
        CU_ASSERT_EQUAL(memcmp(r1.fp, r2.fp, 32), 0);
        CU_ASSERT_EQUAL(r1.rows, r2.rows);
        CU_ASSERT_EQUAL(r1.events, r2.events);
        CU_ASSERT(r2.crossed > 0);
    }
    scn_free(sc);
}

/* The SAMPLES replay and the pools across the cut, on hand-made events in
 * the two partitions of a split none world (test_samples_replay). */
static int thr_sample_id;
static sim_pkt *thr_pkt;

static void thr_ev_sample(sim_sched *s, void *ctx, uint32_t kind,
                          uint32_t node, void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    double x;
    (void)s; (void)kind; (void)node; (void)arg;

    memcpy(&x, &u64, sizeof x);
    ana_metric_add(sim_world_metrics(w), thr_sample_id, x);
}

static void thr_ev_alloc(sim_sched *s, void *ctx, uint32_t kind,
                         uint32_t node, void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    (void)s; (void)kind; (void)arg; (void)u64;

    thr_pkt = sim_pkt_new(w, SIM_PKT_CONTROL, node, node, 0, 16, 0);
}

static void thr_ev_free(sim_sched *s, void *ctx, uint32_t kind,
                        uint32_t node, void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    (void)s; (void)kind; (void)node; (void)arg; (void)u64;

    sim_pkt_free(w, thr_pkt);
    thr_pkt = NULL;
}

/* Partition 0 adds samples at time t with keys *after* partition 1's
 * (creator 9 vs 3) and runs first, so the two logs are filled in the
 * opposite order to the key order: the registry must get the samples in
 * key order, the one-thread bits (checked against Welford in both
 * orders, which differ).  Then a packet made by a partition-0 event and
 * freed by a partition-1 event waits for the barrier (the pool check
 * fails before it) and goes back to partition 0's pool there. */
void test_samples_replay(void)
{
    static const double xa[3] = { 1e8, 0.1, 3.7 };   /* partition 0 */
    static const double xb[3] = { 0.3, 2e-3, 1e9 };  /* partition 1 */
    char err[256];
    scenario *sc;
    sim_world *w;
    uint8_t *part;
    uint32_t a = SIM_NONE, b = SIM_NONE, n;
    size_t moved;
    ana_welford key, rev;
    const ana_welford *got;
    uint64_t live;

    sc = load("name: t\nseed: 3\nduration: 10s\nprotocol: none\n"
              "topology: {generator: tree, sources: 6, smart_objects: 1,\n"
              "  fanout: 2,\n"
              "  link: {latency: 5ms, bandwidth: 250kbps}}\n"
              "traffic: {interval: exp(100s), size: 16B,\n"
              "  register_at: 'uniform(5s, 6s)'}\n"
              "smart_object: {service: exp(10ms)}\n");
    CU_ASSERT_FATAL(sc != NULL);
    w = split_world(sc, 1, &part);
    n = sim_world_topo(w)->n_nodes;
    thr_sample_id = ana_metric_reg(sim_world_metrics(w), "test.samples", "",
                                   "1", ANA_SAMPLES);
    sim_world_free(w);
    w = sim_world_new_split(sc, 1, NULL, part, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(ana_metric_reg(sim_world_metrics(w), "test.samples",
                                   "", "1", ANA_SAMPLES), thr_sample_id);
    CU_ASSERT_EQUAL_FATAL(sim_world_two_scheds(w, &moved), 0);
    for (uint32_t v = 0; v < n; v++) {
        if (sim_world_part_of(w, v) == 0 && a == SIM_NONE)
            a = v;
        if (sim_world_part_of(w, v) == 1 && b == SIM_NONE)
            b = v;
    }
    CU_ASSERT_FATAL(a != SIM_NONE && b != SIM_NONE);
    for (int i = 0; i < 3; i++) {
        sim_event_key ka = {1000, 0, 9, (uint32_t)(10 + i)};
        sim_event_key kb = {1000, 0, 3, (uint32_t)(10 + i)};
        uint64_t ua, ub;

        memcpy(&ua, &xa[i], sizeof ua);
        memcpy(&ub, &xb[i], sizeof ub);
        (void)sim_sched_at_key(sim_world_part_sched(w, 0), &ka,
                               thr_ev_sample, SIM_EV_PROTO, a, NULL, ua);
        (void)sim_sched_at_key(sim_world_part_sched(w, 1), &kb,
                               thr_ev_sample, SIM_EV_PROTO, b, NULL, ub);
    }
    {
        sim_event_key k0 = {2000, 0, a + 1, 20}, k1 = {3000, 0, b + 1, 21};
        (void)sim_sched_at_key(sim_world_part_sched(w, 0), &k0,
                               thr_ev_alloc, SIM_EV_PROTO, a, NULL, 0);
        (void)sim_sched_at_key(sim_world_part_sched(w, 1), &k1,
                               thr_ev_free, SIM_EV_PROTO, b, NULL, 0);
    }
    live = sim_world_pkt_live(w);
    /* Partition 0 first: its samples go to its log before partition 1's,
     * though partition 1's come first in key order. */
    sim_world_run_part(w, 0, 3000);
    sim_world_run_part(w, 1, 3000);
    CU_ASSERT(thr_pkt == NULL);                  /* made in 0, freed in 1 */
    CU_ASSERT_EQUAL(sim_world_pkt_live(w), live);
    CU_ASSERT_EQUAL(sim_world_pool_check(w), -1);  /* waits for the barrier */
    sim_world_barrier(w);
    CU_ASSERT_EQUAL(sim_world_pool_check(w), 0);   /* back in 0's pool */
    sim_world_finish(w);
    got = ana_metric_samples(sim_world_metrics(w), thr_sample_id);
    CU_ASSERT_FATAL(got != NULL);
    ana_welford_init(&key);
    ana_welford_init(&rev);
    for (int i = 0; i < 3; i++) {
        ana_welford_add(&key, xb[i]);
        ana_welford_add(&rev, xa[i]);
    }
    for (int i = 0; i < 3; i++) {
        ana_welford_add(&key, xa[i]);
        ana_welford_add(&rev, xb[i]);
    }
    CU_ASSERT_NOT_EQUAL(memcmp(&key, &rev, sizeof key), 0); /* can fail */
    CU_ASSERT_EQUAL(got->n, 6);
    CU_ASSERT_EQUAL(memcmp(got, &key, sizeof key), 0);
    sim_world_free(w);
    free(part);
    scn_free(sc);
}

/* E-G's secured_graph routes read every node's links: a split world
 * refuses it at the option; greedy (the default) runs. */
void test_eg_threads_refusal(void)
{
    char err[256];
    scenario *sc = load(
        "name: t\nseed: 3\nduration: 10s\n"
        "protocol: {name: eg, pool: 100, ring: 10,\n"
        "  data_routing: secured_graph}\n"
        "topology: {generator: grid, sources: 16, columns: 4, spacing: 10m,\n"
        "  smart_objects: 1, link: {latency: 2ms}}\n");
    sim_world *w;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new_threads(sc, 1, NULL, 2, err, sizeof err);
    CU_ASSERT_PTR_NULL(w);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "secured_graph"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":5:17:"));   /* at the option */
    sim_world_free(w);
    w = sim_world_new_threads(sc, 1, NULL, 1, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(w);
    sim_world_free(w);
    scn_free(sc);
}

/* Two schedulers in turn on one thread (THREADS.md step 4): on netkey, Di
 * Pietro and Dini (none cancels an event, nothing but arrivals crosses)
 * the fingerprint and every metric equal the one-scheduler run's; both
 * schedulers ran events and the outbox carried. */
void test_two_scheds_alternating(void)
{
    static const struct {
        const char *file;       /* shipped scenario, or NULL: yaml       */
        const char *yaml;
        sim_time la;
    } f[] = {
        { "netkey-tree", NULL, 3000000 },
        { "dipietro-seed001-s1", NULL, 2000000 },
        /* Dini as dini-adjacent (2% loss, ties between nodes' events):
         * fails when the barrier inserts with a plain sim_sched_at. */
        { NULL,
          split_dini_yaml, 5000000 },
    };

    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        scenario *sc;
        unsigned char fp0[32], fp1[32];
        uint64_t h0, h1, c0, c1, x0, ran[2];
        size_t moved[2] = {0, 0};

        if (f[k].file) {
            sc = tw_load_shipped(f[k].file, NULL, 0);
        } else {
            sc = load(f[k].yaml);
        }
        CU_ASSERT_FATAL(sc != NULL);
        h0 = run_split(sc, f[k].file ? sc->seed : 7, 0, f[k].la, fp0, &c0,
                       &x0);
        h1 = run_two(sc, f[k].file ? sc->seed : 7, f[k].la, fp1, &c1, moved,
                     ran);
        CU_ASSERT(moved[0] > 0);
        CU_ASSERT(ran[0] > 0 && ran[1] > 0);
        CU_ASSERT(c1 > 100);
        CU_ASSERT_EQUAL(x0, c1);      /* every crossing went by outbox */
        CU_ASSERT_EQUAL(memcmp(fp0, fp1, 32), 0);
        CU_ASSERT_EQUAL(h0, h1);
        scn_free(sc);
    }
}

/* sim_world_partition: the lookahead is the smallest latency of a cut
 * link; no cut: SIM_TIME_MAX and nothing crosses; a cut link of zero
 * latency is refused; NULL goes back to one partition. */
void test_partition_lookahead(void)
{
    static const char *yaml =
        "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 5ms, bandwidth: 8kbps}\n"
        "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source},\n"
        "          {id: 3, role: source}, {id: 4, role: source}]\n"
        "  links: [{a: 1, b: 2, latency: 3ms}, {a: 2, b: 3},\n"
        "          {a: 3, b: 4, latency: 0s}]\n"
        "traffic: {interval: const(1s), size: 10B}\n"
        "smart_object: {service: const(1ms)}\n";
    scenario *sc = load(yaml);
    sim_world *w;
    sim_time la = 0;
    char err[256];
    uint8_t one[4] = { 0, 0, 0, 0 }, cut12[4] = { 0, 1, 1, 1 },
            cut23[4] = { 0, 0, 1, 1 }, cut34[4] = { 0, 0, 0, 1 };

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    if (!w)
        fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(sim_world_partition(w, cut12, &la), 0);
    CU_ASSERT_EQUAL(la, 3000000);
    CU_ASSERT_EQUAL(sim_world_partition(w, cut23, &la), 0);
    CU_ASSERT_EQUAL(la, 5000000);
    la = 7;
    CU_ASSERT_EQUAL(sim_world_partition(w, cut34, &la), -1);
    CU_ASSERT_EQUAL(la, 7);               /* unchanged on refusal */
    CU_ASSERT_EQUAL(sim_world_partition(w, one, &la), 0);
    CU_ASSERT_EQUAL(la, SIM_TIME_MAX);
    sim_world_run(w, sc->duration, 0);
    CU_ASSERT_EQUAL(sim_world_outbox_deliver(w), 0);
    CU_ASSERT_EQUAL(sim_world_crossed(w), 0);
    CU_ASSERT(sim_world_events(w) > 10);
    CU_ASSERT_EQUAL(sim_world_partition(w, NULL, &la), 0);
    CU_ASSERT_EQUAL(la, SIM_TIME_MAX);
    sim_world_free(w);
    scn_free(sc);
}
