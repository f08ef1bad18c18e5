/* fuzz_wire.c — libFuzzer harness for the wire format: bytes -> message.
 *
 * Input: b[0] picks a small shipped scenario (and the mode, its top bit),
 * b[1] a node, b[2] one of its neighbours, b[3..4] a time or a
 * transmission number, the rest are bytes.
 *  - Every input: the rest is parsed as a header (sim_hdr_read); a header
 *    that parses must write back to the same bytes.
 *  - Injection (top bit clear): the world runs to the chosen time, then
 *    the rest arrives at the node from its neighbour as a packet, exactly
 *    those bytes, and the world runs on.  No protocol may crash, leak or
 *    hang on it; it is a message anyone in radio range can send.
 *  - Alteration (top bit set): the rest is XORed over the bytes of the
 *    k-th transmission of the run (k = b[3..4]), as an attacker on the air
 *    would alter a real message, and cut to b[1] bytes shorter.
 *  - Insider (bit 6 set, top bit clear): the rest is XORed over the
 *    plaintext of the k-th part opened in the run, right after it opened
 *    (sim_wire_set_open_hook): an authentic message with any content, as
 *    a captured node holding the key could seal.  This reaches every
 *    protocol's parsing of its opened control parts.
 *
 * KMSIM_FUZZ_DUMP=DIR: LLVMFuzzerInitialize writes the first messages of
 * each type of every scenario to DIR as injection inputs (the seed corpus
 * of real messages), then exits. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"
#include "scenario.h"
#include "proto.h"
#include "wire.h"
#include "world.h"
#include "attack.h"
#include "topo.h"

#ifndef FUZZ_SCENARIO_DIR
#define FUZZ_SCENARIO_DIR "scenarios"
#endif

#define FUZZ_MAX_EVENTS 200000u
#define FUZZ_AFTER (5 * SIM_S)      /* run on this long after the message */
#define FUZZ_TIME_UNIT (10 * SIM_MS)

/* The worlds: shipped regression scenarios, some under another
 * protocol (kmsim run --protocol). */
static const struct {
    const char *file, *proto;
} cases[] = {
    {"dini-seed001-s1.yaml", NULL},
    {"dini-seed000-via-so.yaml", NULL},
    {"dini-adjacent.yaml", NULL},
    {"dipietro-seed001-s1.yaml", NULL},
    {"dini-seed001-s1.yaml", "eg"},
    {"netkey-tree.yaml", NULL},
    {"pairwise-tree.yaml", NULL},
    {"attack-compare.yaml", NULL},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static scenario *scs[N_CASES];

static scenario *case_scenario(size_t i)
{
    if (!scs[i]) {
        char path[4096], err[1024];

        snprintf(path, sizeof path, "%s/%s", FUZZ_SCENARIO_DIR,
                 cases[i].file);
        sim_proto_use();    /* the loader's registry, before its first load */
        scs[i] = scn_load_as(path, NULL, 0, cases[i].proto, err, sizeof err);
        if (!scs[i])
            fuzz_fail("shipped scenario does not load", err);
    }
    return scs[i];
}

/* Alteration tap state. */
typedef struct alter {
    uint32_t k, seen;
    const uint8_t *x;
    size_t n;
    uint32_t cut;
} alter;

static sim_tap_verdict alter_tap(void *ctx, sim_world *w, uint32_t link,
                                 uint32_t from, uint32_t to, sim_pkt *p)
{
    alter *a = ctx;
    (void)w; (void)link; (void)from; (void)to;

    if (a->seen++ != a->k)
        return SIM_TAP_PASS;
    for (size_t i = 0; i < a->n && i < p->len; i++)
        p->buf[i] ^= a->x[i];
    p->len = a->cut < p->len ? p->len - a->cut : 0;
    return SIM_TAP_PASS;
}

static void insider_hook(void *ctx, int part, unsigned char *pt,
                         uint32_t len)
{
    alter *a = ctx;
    (void)part;

    if (a->seen++ != a->k)
        return;
    for (size_t i = 0; i < a->n && i < len; i++)
        pt[i] ^= a->x[i];
}

/* Runs w until the alteration a has happened, then FUZZ_AFTER more (or
 * to the end, or FUZZ_MAX_EVENTS in all). */
static void run_past(sim_world *w, const scenario *sc, const alter *a)
{
    uint64_t ev = 0, step;
    sim_time end;

    while (a->seen <= a->k && ev < FUZZ_MAX_EVENTS &&
           sim_world_now(w) < sc->duration) {
        if ((step = sim_world_run(w, sc->duration, 256)) == 0)
            return;                         /* nothing left to run */
        ev += step;
    }
    end = sim_world_now(w) + FUZZ_AFTER;
    if (ev < FUZZ_MAX_EVENTS)
        sim_world_run(w, end < sc->duration ? end : sc->duration,
                      FUZZ_MAX_EVENTS - ev);
}

static void check_header(const uint8_t *b, size_t n)
{
    sim_hdr h;
    unsigned char back[SIM_HDR_BYTES];

    if (sim_hdr_read(&h, b, n) != 0)
        return;
    if ((uint64_t)SIM_HDR_BYTES + h.ctl_len + h.data_len != n)
        fuzz_fail("header accepted with lengths that do not add up", NULL);
    sim_hdr_write(back, &h);
    if (memcmp(back, b, SIM_HDR_BYTES) != 0)
        fuzz_fail("header does not write back to its bytes", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    size_t ci;
    const sim_topo *t;
    scenario *sc;
    sim_world *w;
    uint32_t at, nb, deg, k;
    const uint8_t *rest;
    size_t n;

    if (size < 5)
        return 0;
    rest = data + 5;
    n = size - 5;
    check_header(rest, n);
    if (n > SIM_PKT_MAX - SIM_HDR_BYTES - 2 * 16)
        return 0;
    ci = (data[0] & 0x3f) % N_CASES;
    sc = case_scenario(ci);
    w = sim_world_new(sc, sc->seed, err, sizeof err);
    if (!w || atk_attach(w, sim_proto_atk(sc->proto), err,
                         sizeof err) != 0)                 /* as the runner */
        fuzz_fail("shipped scenario does not build", err);
    t = sim_world_topo(w);
    k = (uint32_t)data[3] | (uint32_t)data[4] << 8;
    if (data[0] & 0x80) {
        alter a = {k, 0, rest, n, data[1]};

        sim_world_add_tap(w, alter_tap, &a);
        run_past(w, sc, &a);
    } else if (data[0] & 0x40) {
        alter a = {k, 0, rest, n, 0};

        sim_wire_set_open_hook(insider_hook, &a);
        run_past(w, sc, &a);
        sim_wire_set_open_hook(NULL, NULL);
    } else {
        sim_time when = (sim_time)k * FUZZ_TIME_UNIT;
        sim_pkt *p;

        at = data[1] % t->n_nodes;
        deg = t->adj_off[at + 1] - t->adj_off[at];
        if (when > sc->duration)
            when = sc->duration;
        sim_world_run(w, when, FUZZ_MAX_EVENTS);
        if (deg) {
            nb = t->adj[t->adj_off[at] + data[2] % deg];
            p = sim_pkt_new(w, 0, 0, 0, 0, (uint32_t)(n > SIM_HDR_BYTES ?
                                                      n - SIM_HDR_BYTES : 0),
                            0);
            memcpy(p->buf, rest, n);
            p->len = (uint32_t)n;
            sim_world_inject(w, nb, at, p);
            sim_world_run(w, when + FUZZ_AFTER, FUZZ_MAX_EVENTS);
        }
    }
    sim_world_finish(w);
    sim_world_free(w);
    return 0;
}

/* ---- Seed corpus: real messages ---------------------------------------- */

typedef struct dump {
    const char *dir;
    size_t ci;
    unsigned per_type[256];
    unsigned files;
} dump;

static sim_tap_verdict dump_tap(void *ctx, sim_world *w, uint32_t link,
                                uint32_t from, uint32_t to, sim_pkt *p)
{
    dump *d = ctx;
    uint8_t type = p->buf[0];
    sim_time now = sim_world_now(w);
    uint32_t k = (uint32_t)(now / FUZZ_TIME_UNIT);
    const sim_topo *t = sim_world_topo(w);
    uint8_t hdr[5];
    char path[4096];
    FILE *f;
    (void)link;

    if (d->per_type[type] >= 3 || to > 255 || k > 0xffff)
        return SIM_TAP_PASS;
    d->per_type[type]++;
    /* The same message, sent again by the same neighbour at the time it
     * was really sent. */
    hdr[0] = (uint8_t)d->ci;
    hdr[1] = (uint8_t)to;
    hdr[2] = 0;
    for (uint32_t s = t->adj_off[to]; s < t->adj_off[to + 1]; s++)
        if (t->adj[s] == from)
            hdr[2] = (uint8_t)(s - t->adj_off[to]);
    hdr[3] = (uint8_t)k;
    hdr[4] = (uint8_t)(k >> 8);
    snprintf(path, sizeof path, "%s/real-%zu-%u-%u", d->dir, d->ci, type,
             d->per_type[type]);
    if ((f = fopen(path, "wb")) != NULL) {
        fwrite(hdr, 1, sizeof hdr, f);
        fwrite(p->buf, 1, p->len, f);
        if (fclose(f) == 0)
            d->files++;
    }
    return SIM_TAP_PASS;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("KMSIM_FUZZ_DUMP");
    char err[1024];
    unsigned total = 0;
    (void)argc; (void)argv;

    if (!dir)
        return 0;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        perror(dir);
        exit(1);
    }
    for (size_t i = 0; i < N_CASES; i++) {
        scenario *sc = case_scenario(i);
        sim_world *w = sim_world_new(sc, sc->seed, err, sizeof err);
        dump d;

        if (!w || atk_attach(w, sim_proto_atk(sc->proto), err,
                             sizeof err) != 0)
            fuzz_fail("shipped scenario does not build", err);
        memset(&d, 0, sizeof d);
        d.dir = dir;
        d.ci = i;
        sim_world_add_tap(w, dump_tap, &d);
        sim_world_run(w, sc->duration, FUZZ_MAX_EVENTS);
        sim_world_finish(w);
        sim_world_free(w);
        total += d.files;
    }
    fprintf(stderr, "wrote %u real messages to %s\n", total, dir);
    exit(0);
}
