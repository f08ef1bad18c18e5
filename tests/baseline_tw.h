/* baseline_tw.h — test worlds, metric look-ups and taps shared by the
 * tests of the two naive baselines (test_netkey.c, test_pairwise.c): tiny
 * explicit topologies, every node id = its index. */
#ifndef KMSIM_BASELINE_TW_H
#define KMSIM_BASELINE_TW_H

#include <stdlib.h>
#include "tworld.h"

/* Builds a world: protocol `proto` with options `opts` ("" for none),
 * roles one letter per node ('O' smart object, 'U' subscriber, else a
 * source), links as YAML mappings, data every `interval` (32 B), and
 * `extra` YAML lines appended (moves, ...).  1 ms, 1 Mbit/s links. */
static inline int bl_build(tworld *t, const char *proto, const char *opts,
                           uint64_t seed, const char *duration,
                           const char *roles, const char *links,
                           const char *interval, const char *extra)
{
    char nodes[2048], yaml[8192];
    int k = snprintf(yaml, sizeof yaml,
        "name: baseline-test\nseed: 1\nduration: %s\n"
        "protocol: {name: %s%s%s}\n"
        "topology:\n  generator: explicit\n"
        "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
        "  nodes: [%s]\n  links: [%s]\n"
        "traffic: {interval: '%s', size: 32B}\n"
        "smart_object: {service: 'exp(5ms)'}\n"
        "subscribers: {filters: ['#']}\n%s",
        duration, proto, *opts ? ", " : "", opts,
        tw_nodes(nodes, sizeof nodes, roles), links, interval,
        extra ? extra : "");
    CU_ASSERT_FATAL(k > 0 && (size_t)k < sizeof yaml);
    return tw_new(t, yaml, seed);
}

/* Counter sum, value or samples mean of `pfx`.`name` (pfx NULL: name). */
static inline double met(sim_world *w, const char *pfx, const char *name)
{
    char full[128];
    snprintf(full, sizeof full, "%s%s%s", pfx ? pfx : "", pfx ? "." : "",
             name);
    return tw_met(w, full);
}

/* Every message generated reached its SO and opened there, and every
 * publication delivered opened at its subscriber (all_pub: and every SO
 * has a subscriber that takes every publication). */
static inline void assert_all_opened_(sim_world *w, const char *pfx,
                                      int all_pub)
{
    double gen = met(w, NULL, "data.generated");
    CU_ASSERT(gen > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, NULL, "data.at_so"), gen, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, pfx, "data.opened"), gen, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, pfx, "data.rejected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, pfx, "data.replays"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, NULL, "net.rejected"), 0, 0);
    if (all_pub)
        CU_ASSERT_DOUBLE_EQUAL(met(w, NULL, "data.delivered"),
                               met(w, NULL, "data.published"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(w, pfx, "publish.opened"),
                           met(w, NULL, "data.delivered"), 0);
}

#define assert_all_opened(w, pfx) assert_all_opened_((w), (pfx), 1)

/* ---- taps ---- */

/* Every DATA and PUBLISH transmission: sealed, with a tag, and not the
 * source's clear payload (the world fills it with one repeated byte);
 * counts them, and those sealed under each key version (session). */
typedef struct wire_log {
    int data, pub, unsealed, clear;
    int by_session[4];
    int old_after;           /* session 0 data sent at or after `after`    */
    sim_time after;
} wire_log;

static inline sim_tap_verdict wire_tap(void *ctx, sim_world *w,
                                       uint32_t link, uint32_t from,
                                       uint32_t to, sim_pkt *p)
{
    wire_log *l = ctx;
    sim_pkt_type type = sim_pkt_type_of(p);
    const unsigned char *d;
    uint32_t len, same = 0;
    (void)link; (void)from; (void)to;

    if (type != SIM_PKT_DATA && type != SIM_PKT_PUBLISH)
        return SIM_TAP_PASS;
    if (type == SIM_PKT_DATA)
        l->data++;
    else
        l->pub++;
    if (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED) ||
        sim_pkt_data_len(p) < p->payload + CRY_TAG_BYTES)
        l->unsealed++;
    d = sim_pkt_data(p);
    len = sim_pkt_data_len(p);
    for (uint32_t i = 1; i < len; i++)
        same += d[i] == d[0];
    if (type == SIM_PKT_DATA && len > 1 && same == len - 1)
        l->clear++;
    if (sim_pkt_session(p) < 4)
        l->by_session[sim_pkt_session(p)]++;
    if (type == SIM_PKT_DATA && sim_pkt_session(p) == 0 &&
        sim_world_now(w) >= l->after && l->after > 0)
        l->old_after++;
    return SIM_TAP_PASS;
}

/* Flips one byte of the data part of the `nth` DATA transmission. */
typedef struct flip {
    int nth, seen, done;
} flip;

static inline sim_tap_verdict flip_tap(void *ctx, sim_world *w,
                                       uint32_t link, uint32_t from,
                                       uint32_t to, sim_pkt *p)
{
    flip *f = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (sim_pkt_type_of(p) == SIM_PKT_DATA && ++f->seen == f->nth) {
        sim_pkt_data(p)[sim_pkt_data_len(p) / 2] ^= 0x01;
        f->done = 1;
    }
    return SIM_TAP_PASS;
}

/* Records the first DATA that `src` sends (on its first hop) and puts
 * its bytes in place of the `at`-th one, as an attacker replaying a
 * recorded message would. */
typedef struct replay {
    unsigned char rec[SIM_PKT_MAX];
    uint32_t len, src;
    int at, seen, recorded, replayed;
} replay;

static inline sim_tap_verdict replay_tap(void *ctx, sim_world *w,
                                         uint32_t link, uint32_t from,
                                         uint32_t to, sim_pkt *p)
{
    replay *r = ctx;
    (void)w; (void)link; (void)to;
    if (sim_pkt_type_of(p) != SIM_PKT_DATA || from != r->src ||
        sim_pkt_src(p) != r->src)
        return SIM_TAP_PASS;
    r->seen++;
    if (!r->recorded) {
        memcpy(r->rec, p->buf, p->len);
        r->len = p->len;
        r->recorded = 1;
    } else if (!r->replayed && r->seen == r->at && p->cap >= r->len) {
        memcpy(p->buf, r->rec, r->len);
        p->len = r->len;
        r->replayed = 1;
    }
    return SIM_TAP_PASS;
}

/* Drops control messages of `type` to dst (SIM_NONE: any): at most
 * `max`. */
typedef struct dropper {
    int type, max, dropped;
    uint32_t dst;
} dropper;

static inline sim_tap_verdict drop_tap(void *ctx, sim_world *w,
                                       uint32_t link, uint32_t from,
                                       uint32_t to, sim_pkt *p)
{
    dropper *d = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (!tw_is_ctl(p, d->type) || d->dropped >= d->max ||
        (d->dst != SIM_NONE && sim_pkt_dst(p) != d->dst))
        return SIM_TAP_PASS;
    d->dropped++;
    return SIM_TAP_DROP;
}

/* The run fingerprint of a world after a full run. */
static inline void tw_fingerprint(tworld *t, unsigned char fp[32])
{
    tw_run_all(t);
    sim_world_fingerprint(t->w, fp);
}

#endif
