/* eg_t.h — private to tests/test_eg*.c (one CUnit program, tests/test_eg):
 * the worlds, seeds, taps and replays its files share, and the tests that
 * tests/test_eg.c registers from the other files. */
#ifndef KMSIM_EG_T_H
#define KMSIM_EG_T_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tworld.h"
#include "wipelog.h"
#include "proto.h"
#include "cry.h"
#include "eg_theory.h"
#include "kb.h"
#include "eg.h"
#include "pk.h"

#define RING_MAX 128

/* A grid world of E-G with options proto: sources, SOs and subscribers on
 * `cols` columns, 10 m apart. */
static inline int grid_world(tworld *t, uint64_t seed, unsigned sources,
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
static inline int explicit_world(tworld *t, uint64_t seed,
                                 const char *duration, const char *proto,
                                 const char *roles, const char *links,
                                 const char *traffic)
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

/* How many key ids the rings of a and b share. */
static inline uint32_t shared_count(const sim_world *w, uint32_t a, uint32_t b)
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

/* A (0) - M (1) - B (2) in a triangle with A - B, and an SO (3) beside M;
 * the first seed in which A and B share no key but A-M, M-B (and M-SO)
 * do. */
static inline uint64_t path_seed(void)
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

/* S (0) - 1 - 2 - SO (3) - subscriber (4); pool 10, ring 8: every pair
 * shares keys. */
#define LINE_ROLES "SSSOU"
#define LINE_LINKS "{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}, {a: 3, b: 4}"

/* The first seed below 3000 in which, on the explicit topology (roles,
 * links) with options opts, every pair of share[0..2ns) shares a key and
 * the pair (apart_a, apart_b) shares none; 0 if there is none. */
static inline uint64_t seed_where(const char *opts, const char *roles,
                                  const char *links, const uint32_t *share,
                                  unsigned ns, uint32_t apart_a,
                                  uint32_t apart_b)
{
    for (uint64_t seed = 1; seed < 3000; seed++) {
        tworld t;
        int hit;
        if (explicit_world(&t, seed, "10s", opts, roles, links,
                           "interval: 'exp(5s)'") != 0)
            return 0;
        hit = shared_count(t.w, apart_a, apart_b) == 0;
        for (unsigned i = 0; i < ns && hit; i++)
            hit = shared_count(t.w, share[2 * i], share[2 * i + 1]) > 0;
        tw_free(&t);
        if (hit)
            return seed;
    }
    return 0;
}

/* eg_int.h's control message types (the clear control part's byte). */
enum { T_HELLO = 1, T_LINK_OK, T_PATH_KEY, T_PATH_ACK, T_REVOKE };

/* Copies of the first packets of interest crossing the links. */
typedef struct grab {
    sim_pkt *data;           /* a sealed data hop                          */
    uint32_t dfrom, dto;
    sim_pkt *ctl[8];         /* per type: the first one whose key name is  */
    uint32_t cfrom[8], cto[8]; /*   its hop's, on a wanted link (or any);  */
                             /*   REVOKE: on its last hop                  */
    uint32_t want_a, want_b; /* the link wanted, SIM_NONE: any             */
} grab;

static inline sim_tap_verdict grab_tap(void *ctx, sim_world *w, uint32_t link,
                                       uint32_t from, uint32_t to, sim_pkt *p)
{
    grab *g = ctx;
    sim_pkt_type ty = sim_pkt_type_of(p);
    int want = g->want_a == SIM_NONE ||
               (from == g->want_a && to == g->want_b) ||
               (from == g->want_b && to == g->want_a);
    (void)link;

    if ((ty == SIM_PKT_DATA || ty == SIM_PKT_PUBLISH) && !g->data &&
        (sim_pkt_flags(p) & SIM_F_DATA_SEALED)) {
        g->data = sim_pkt_clone(w, p);
        g->dfrom = from;
        g->dto = to;
    }
    if (ty == SIM_PKT_CONTROL && sim_pkt_ctl_len(p) == 1 &&
        sim_pkt_ctl(p)[0] < 8 && !g->ctl[sim_pkt_ctl(p)[0]] &&
        (sim_pkt_ctl(p)[0] == T_REVOKE
             ? to == sim_pkt_dst(p)
             : sim_pkt_key_name(p) == EG_ATK_DIR(from, to) && want)) {
        unsigned t = sim_pkt_ctl(p)[0];
        g->ctl[t] = sim_pkt_clone(w, p);
        g->cfrom[t] = from;
        g->cto[t] = to;
    }
    return SIM_TAP_PASS;
}

static inline void grab_free(sim_world *w, grab *g)
{
    sim_pkt_free(w, g->data);
    for (int i = 0; i < 8; i++)
        sim_pkt_free(w, g->ctl[i]);
}

/* A copy of p sent again by an attacker from `from` to `to`. */
static inline void replay(tworld *t, const sim_pkt *p, uint32_t from,
                          uint32_t to)
{
    sim_pkt *c = sim_pkt_clone(t->w, p);
    c->atk = 1;
    CU_ASSERT_EQUAL(sim_world_inject(t->w, from, to, c), 0);
}

/* tests/test_eg_adversary.c */
void test_resilience(void);
void test_derive_opens_traffic(void);
void test_path_key_learned(void);
void test_react_capture(void);
void test_leak_revocation(void);
void test_learn_garbage(void);
void test_forged_control_refused(void);
void test_revoke_nodes_checked(void);
void test_replays_refused(void);
void test_path_key_replay_refused(void);
void test_forged_hello(void);
void test_wipe_on_world_free(void);

/* tests/test_eg_search.c */
void test_path_search_messages(void);
void test_path_search_two_hops(void);
void test_path_search_dead_end(void);
void test_path_search_malformed(void);
void test_path_search_suppression(void);
void test_path_search_expiry(void);

#endif
