/* bench_crypto.c — crypto-bound throughput through the engine (`make bench`).
 * BC_PAIRS sender/receiver pairs each keep one message in flight on a
 * sim_sched: "send" takes a packet from a world's pool, seals its data part
 * (sim_pkt_seal_data) and schedules "arrive" a fixed latency later; "arrive"
 * opens it (sim_pkt_open_data), checks it, frees it and schedules the pair's
 * next send.  Beside it, the raw libsodium seal + open loop of the same
 * payload sizes in the same process, and the same raw loop with AES-256-GCM
 * (scenario `aead: aes256gcm`) where the CPU has AES-NI.  Prints
 * messages/s of each, median of BC_REPS repetitions, and the engine/raw
 * ratio.
 *     bench_crypto                          the table
 *     bench_crypto --raw SIZE [AEAD]        one number: ns per raw seal +
 *         open of SIZE bytes with AEAD (chacha20poly1305, the default, or
 *         aes256gcm), median of BC_REPS (also with BENCH_QUICK) — the
 *         crypto part of a scale run's floor (bench/scale.sh) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "cry.h"
#include "cry_key.h"
#include "scenario.h"
#include "proto.h"
#include "sched.h"
#include "util.h"
#include "wire.h"
#include "world.h"

#define BC_PAIRS     1000u              /* sender/receiver pairs */
#define BC_REPS      5                  /* repetitions; the median counts */
#define BC_LATENCY   (1 * SIM_MS)       /* send -> arrive */
#define BC_GAPS      100u               /* pair i waits (i % BC_GAPS) us */
#define BC_TARGET    0.60               /* engine/raw aim at 64 B */
#define BC_KEY_SEED  20240611u          /* key store seed */

enum { BC_EV_SEND = 1, BC_EV_ARRIVE };

/* The world is only a packet pool here: protocol none, two nodes, its own
 * events never run (the benchmark drives a sim_sched of its own). */
static const char bc_world_yaml[] =
    "name: bench-crypto\nseed: 1\nduration: 10s\nprotocol: none\n"
    "topology:\n  generator: explicit\n"
    "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
    "  nodes: [{id: 0, role: smart_object}, {id: 1, role: source}]\n"
    "  links: [{a: 0, b: 1}]\n"
    "traffic: {interval: const(100s), size: 64B}\n";

/* One pair: node 2i sends to node 2i + 1 under a key both hold (two
 * handles of one value, as after a key exchange). */
typedef struct bc_pair {
    cry_key tx;                         /* sender's copy */
    cry_key rx;                         /* receiver's copy */
    uint32_t seq;                       /* sender's next message number */
    cry_ops ops_tx, ops_rx;             /* per-node counters, as a world */
} bc_pair;

typedef struct bc_ctx {
    sim_world *w;                       /* packet pool */
    cry_keystore *ks;                   /* every pair's keys */
    bc_pair *pair;                      /* BC_PAIRS pairs */
    uint32_t payload;                   /* data part plaintext bytes */
    uint64_t opened;                    /* messages opened and checked */
    uint64_t failed;                    /* seal, open or check failures */
    uint64_t target;                    /* stop once opened + failed ... */
    int draining;                       /* ... then only free packets */
} bc_ctx;

static double bc_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static sim_time bc_gap(uint32_t pi)
{
    return (sim_time)(pi % BC_GAPS) * SIM_US;
}

static void bc_arrive(sim_sched *s, void *vctx, uint32_t kind, uint32_t pi,
                      void *arg, uint64_t u64);

/* Builds message pr->seq in a pooled packet, seals its data part and puts
 * it on the "wire". */
static void bc_send(sim_sched *s, void *vctx, uint32_t kind, uint32_t pi,
                    void *arg, uint64_t u64)
{
    bc_ctx *c = vctx;
    bc_pair *pr = &c->pair[pi];
    sim_pkt *p;

    (void)kind;
    (void)arg;
    (void)u64;
    if (c->draining)
        return;
    p = sim_pkt_new(c->w, SIM_PKT_DATA, 2 * pi, 2 * pi + 1, pr->seq,
                    0, c->payload);
    /* The reading: the message number, checked after opening. */
    sim_put32(sim_pkt_data(p), pr->seq);
    pr->seq++;
    if (sim_pkt_seal_data(p, c->ks, pr->tx, &pr->ops_tx) != 0) {
        c->failed++;
        sim_pkt_free(c->w, p);
        if (c->opened + c->failed >= c->target)
            sim_sched_stop(s);
        else
            sim_sched_in(s, bc_gap(pi) + SIM_US, bc_send, BC_EV_SEND, pi,
                         NULL, 0);
        return;
    }
    sim_sched_in(s, BC_LATENCY, bc_arrive, BC_EV_ARRIVE, pi, p, 0);
}

/* Opens and checks the message, frees the packet, and has the sender send
 * the next one. */
static void bc_arrive(sim_sched *s, void *vctx, uint32_t kind, uint32_t pi,
                      void *arg, uint64_t u64)
{
    bc_ctx *c = vctx;
    bc_pair *pr = &c->pair[pi];
    sim_pkt *p = arg;

    (void)kind;
    (void)u64;
    if (c->draining) {
        sim_pkt_free(c->w, p);
        return;
    }
    if (sim_pkt_open_data(p, c->ks, pr->rx, &pr->ops_rx) == 0 &&
        sim_pkt_data_len(p) == c->payload &&
        sim_get32(sim_pkt_data(p)) == sim_pkt_seq(p))
        c->opened++;
    else
        c->failed++;
    sim_pkt_free(c->w, p);
    if (c->opened + c->failed >= c->target) {
        sim_sched_stop(s);
        return;
    }
    sim_sched_in(s, bc_gap(pi), bc_send, BC_EV_SEND, pi, NULL, 0);
}

/* One timed run of `msgs` messages through a fresh engine; returns
 * messages opened per second (failures are added to c->failed). */
static double bc_engine(bc_ctx *c, uint64_t msgs)
{
    sim_sched *s = sim_sched_new(c, 4 * BC_PAIRS);
    uint64_t failed0 = c->failed;
    double t0, secs;
    uint32_t i;

    if (!s) {
        fprintf(stderr, "bench_crypto: cannot create the engine\n");
        exit(99);
    }
    c->opened = 0;
    c->target = msgs;
    c->draining = 0;
    for (i = 0; i < BC_PAIRS; i++)      /* first sends 1 us apart */
        sim_sched_at(s, (sim_time)i * SIM_US, bc_send, BC_EV_SEND, i, NULL,
                     0);
    t0 = bc_now();
    sim_sched_run(s, SIM_TIME_MAX, 0);
    secs = bc_now() - t0;
    /* Untimed: return the packets still in flight to the pool. */
    c->draining = 1;
    sim_sched_run(s, SIM_TIME_MAX, 0);
    sim_sched_free(s);
    if (c->opened + (c->failed - failed0) < msgs) {
        fprintf(stderr, "bench_crypto: engine stopped early\n");
        exit(99);
    }
    return (double)c->opened / secs;
}

/* The raw loop: libsodium's ChaCha20-Poly1305-IETF (aes: AES-256-GCM,
 * AES-NI; the caller checks crypto_aead_aes256gcm_is_available() first)
 * encrypt then decrypt of `len` bytes, nonce = sender id || counter, no
 * associated data.  Returns seal+open pairs per second; failures are added
 * to *failed. */
static double bc_raw(const unsigned char key[CRY_KEY_BYTES], size_t len,
                     uint64_t msgs, uint64_t *ctr, uint64_t *failed, int aes)
{
    unsigned char npub[CRY_NONCE_BYTES];
    unsigned char *m = xcalloc(1, len), *out = xmalloc(len + 1);
    unsigned char *ct = xmalloc(len + CRY_TAG_BYTES);
    double t0, secs;
    uint64_t i;

    sim_put32(npub, 1);
    t0 = bc_now();
    for (i = 0; i < msgs; i++) {
        int bad;

        sim_put64(npub + 4, (*ctr)++);
        sim_put32(m, (uint32_t)i);
        if (aes) {
            crypto_aead_aes256gcm_encrypt(ct, NULL, m, len, NULL, 0, NULL,
                                          npub, key);
            bad = crypto_aead_aes256gcm_decrypt(out, NULL, NULL, ct,
                                                len + CRY_TAG_BYTES, NULL, 0,
                                                npub, key) != 0;
        } else {
            crypto_aead_chacha20poly1305_ietf_encrypt(ct, NULL, m, len, NULL,
                                                      0, NULL, npub, key);
            bad = crypto_aead_chacha20poly1305_ietf_decrypt(
                      out, NULL, NULL, ct, len + CRY_TAG_BYTES, NULL, 0, npub,
                      key) != 0;
        }
        if (bad || sim_get32(out) != (uint32_t)i)
            (*failed)++;
    }
    secs = bc_now() - t0;
    free(m);
    free(out);
    free(ct);
    return (double)msgs / secs;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(v[0]), cmp_double);
    return v[n / 2];
}

/* BENCH_QUICK set (and not "0"): one repetition. */
static int bc_reps(void)
{
    const char *q = getenv("BENCH_QUICK");

    return q && *q && strcmp(q, "0") != 0 ? 1 : BC_REPS;
}

/* bench_crypto --raw SIZE [AEAD]: prints the median raw cost of one seal +
 * open of SIZE (1..65536) bytes in ns.  Returns the exit status. */
static int raw_only(int argc, char **argv)
{
    unsigned char key[CRY_KEY_BYTES];
    double rate[BC_REPS], secs;
    uint64_t ctr = 0, failed = 0, msgs;
    unsigned long n;
    char *end;
    int aes = 0, k;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: bench_crypto --raw SIZE "
                "[chacha20poly1305|aes256gcm]\n");
        return 2;
    }
    n = strtoul(argv[2], &end, 10);
    if (argv[2][0] < '0' || argv[2][0] > '9' || *end || n < 1 ||
        n > 65536) {
        fprintf(stderr, "bench_crypto: --raw SIZE: 1..65536 bytes, not "
                "'%s'\n", argv[2]);
        return 2;
    }
    if (argc == 4 && strcmp(argv[3], "aes256gcm") == 0)
        aes = 1;
    else if (argc == 4 && strcmp(argv[3], "chacha20poly1305") != 0) {
        fprintf(stderr, "bench_crypto: unknown AEAD '%s' (use "
                "chacha20poly1305, aes256gcm)\n", argv[3]);
        return 2;
    }
    if (cry_init() != 0)
        return 99;
    if (aes && !crypto_aead_aes256gcm_is_available()) {
        fprintf(stderr, "bench_crypto: aes256gcm is not available on this "
                "CPU (no AES-NI/PCLMUL)\n");
        return 1;
    }
    randombytes_buf(key, sizeof key);
    /* About 30 MB per repetition: ~0.05-0.2 s, enough to time. */
    msgs = 30000000 / (n + 64);
    if (msgs < 1000)
        msgs = 1000;
    bc_raw(key, n, msgs / 10, &ctr, &failed, aes); /* warm */
    for (k = 0; k < BC_REPS; k++)
        rate[k] = bc_raw(key, n, msgs, &ctr, &failed, aes);
    sodium_memzero(key, sizeof key);
    if (failed) {
        fprintf(stderr, "bench_crypto: %llu raw messages failed to open\n",
                (unsigned long long)failed);
        return 1;
    }
    secs = 1.0 / median(rate, BC_REPS);
    printf("%.1f\n", secs * 1e9);
    return 0;
}

int main(int argc, char **argv)
{
    static const uint32_t sizes[] = { 64, 1024 };
    static const uint64_t counts[] = { 500000, 125000 };
    unsigned char key[CRY_KEY_BYTES];
    char err[512];
    scenario *sc = NULL;
    bc_ctx c;
    uint64_t raw_ctr = 0, raw_failed = 0;
    int reps = bc_reps(), rc = 0;
    size_t si;
    uint32_t i;

    if (argc > 1 && strcmp(argv[1], "--raw") == 0)
        return raw_only(argc, argv);
    if (argc > 1) {
        fprintf(stderr, "usage: bench_crypto [--raw SIZE [AEAD]]\n");
        return 2;
    }
    memset(&c, 0, sizeof c);
    if (cry_init() != 0) {
        fprintf(stderr, "bench_crypto: libsodium cannot be initialised\n");
        return 99;
    }
    sim_proto_use();    /* the loader's protocol registry */
    sc = scn_load_buffer("bench-crypto.yaml", bc_world_yaml,
                         strlen(bc_world_yaml), NULL, 0, err, sizeof err);
    if (!sc || !(c.w = sim_world_new(sc, sc->seed, err, sizeof err)) ||
        !(c.ks = cry_keystore_new(BC_KEY_SEED))) {
        fprintf(stderr, "bench_crypto: %s\n", sc && c.w ? "key store" : err);
        rc = 99;
        goto out;
    }
    c.pair = xcalloc(BC_PAIRS, sizeof(*c.pair));
    for (i = 0; i < BC_PAIRS; i++) {
        c.pair[i].tx = cry_key_generate(c.ks, 2 * i, 0, NULL);
        c.pair[i].rx = cry_key_copy(c.ks, c.pair[i].tx);
    }
    randombytes_buf(key, sizeof key);

    printf("# Crypto-bound throughput: %u sender/receiver pairs on one "
           "sim_sched, %.0f ms latency, one message in flight per pair.\n"
           "# engine: pooled sim_pkt, data part sealed (sim_pkt_seal_data) "
           "at send, opened (sim_pkt_open_data) and checked at arrive.\n"
           "# raw: crypto_aead_chacha20poly1305_ietf encrypt + decrypt, "
           "counter nonce, no associated data (the wire adds 37 B).\n"
           "# msg/s = messages opened per second; median of %d "
           "repetition(s); target at 64 B: engine >= %.0f%% of raw.\n",
           BC_PAIRS, sim_time_to_s(BC_LATENCY) * 1e3, reps,
           BC_TARGET * 100);
    printf("# aes: the raw loop with crypto_aead_aes256gcm (scenario "
           "`aead: aes256gcm`; n/a without AES-NI).\n");
    printf("%-7s %8s %12s %12s %12s %7s %8s %12s\n", "payload", "msgs",
           "raw Mmsg/s", "eng Mmsg/s", "eng Mev/s", "ratio", "failures",
           "aes Mmsg/s");
    fflush(stdout);
    for (si = 0; si < ARRAY_LEN(sizes); si++) {
        double raw[BC_REPS], eng[BC_REPS], aes[BC_REPS], r_med, e_med, ratio;
        double a_med = 0;
        int have_aes = crypto_aead_aes256gcm_is_available();
        uint64_t failed0 = c.failed + raw_failed;
        int k;

        c.payload = sizes[si];
        bc_engine(&c, counts[si] / 10);         /* warm the packet pool */
        for (k = 0; k < reps; k++) {            /* interleaved: same drift */
            raw[k] = bc_raw(key, sizes[si], counts[si], &raw_ctr,
                            &raw_failed, 0);
            eng[k] = bc_engine(&c, counts[si]);
            if (have_aes)
                aes[k] = bc_raw(key, sizes[si], counts[si], &raw_ctr,
                                &raw_failed, 1);
        }
        if (have_aes)
            a_med = median(aes, (size_t)reps);
        r_med = median(raw, (size_t)reps);
        e_med = median(eng, (size_t)reps);
        ratio = e_med / r_med;
        printf("%5u B %8llu %12.3f %12.3f %12.3f %6.0f%% %8llu",
               sizes[si], (unsigned long long)counts[si], r_med / 1e6,
               e_med / 1e6, 2 * e_med / 1e6, ratio * 100,
               (unsigned long long)(c.failed + raw_failed - failed0));
        if (have_aes)
            printf(" %12.3f", a_med / 1e6);
        else
            printf(" %12s", "n/a");
        if (sizes[si] == 64)
            printf("  target >= %.0f%%: %s", BC_TARGET * 100,
                   ratio >= BC_TARGET ? "PASS" : "MISS");
        printf("\n");
        fflush(stdout);
    }
    if (c.failed || raw_failed) {
        fprintf(stderr, "bench_crypto: %llu engine and %llu raw messages "
                "failed to seal, open or check\n",
                (unsigned long long)c.failed,
                (unsigned long long)raw_failed);
        rc = 1;
    }
out:
    sodium_memzero(key, sizeof key);
    free(c.pair);
    cry_keystore_free(c.ks);
    sim_world_free(c.w);
    scn_free(sc);
    return rc;
}
