/* baseline_tw.h — test worlds, metric look-ups and taps shared by the
 * tests of the two naive baselines (test_netkey.c, test_pairwise.c): tiny
 * explicit topologies, every node id = its index.  Its attacker helpers
 * (an eavesdropper tap driving a protocol's atk_* hooks, a refusal probe)
 * serve test_dipietro.c too. */
#ifndef KMSIM_BASELINE_TW_H
#define KMSIM_BASELINE_TW_H

#include <stdlib.h>
#include "tworld.h"
#include "proto.h"
#include "kb.h"
#include "wipelog.h"
#include "wire.h"
#include "pk.h"

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

/* ---- attackers ---- */

/* An eavesdropper on every link (first hop of each message), as the
 * attack core's would be: before trying a message it lets the protocol
 * derive what it can (atk_derive); it reads a clear data part as is and
 * tries every key of its base on a sealed one (on a copy); what it reads
 * of a control message it gives to atk_learn when `learn`.  DATA messages
 * are counted per session (bit s of the masks, s < 64). */
typedef struct eve {
    atk_kb *kb;
    int learn;               /* give control plaintexts to atk_learn       */
    sim_time ctl_from;       /* listens to control messages from then      */
    sim_time data_from;      /* ... and to DATA from then                  */
    uint32_t skip;           /* DATA of this source ignored (SIM_NONE)     */
    int ctl_seen, ctl_read;
    int data_seen, data_read;
    uint64_t sessions_seen, sessions_read;
} eve;

/* The adversary interface of a world's protocol (proto.h sim_proto_atk;
 * NULL: none). */
static inline const atk_proto_hooks *tw_atk(sim_world *w)
{
    return sim_proto_atk(sim_world_scenario(w)->proto);
}

static inline void eve_init(eve *e, atk_kb *kb, int learn, sim_time from)
{
    memset(e, 0, sizeof *e);
    e->kb = kb;
    e->learn = learn;
    e->ctl_from = e->data_from = from;
    e->skip = SIM_NONE;
}

/* 1 if e reads p's data part (learning from it when asked), else 0. */
static inline int eve_read(eve *e, sim_world *w, sim_pkt *p, int learn)
{
    const atk_proto_hooks *atk = tw_atk(w);
    void *ps = sim_world_proto_state(w);
    int read = 0;

    if (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED)) {
        if (learn && atk && atk->atk_learn)
            atk->atk_learn(w, ps, e->kb, p, 1, sim_pkt_data(p),
                           sim_pkt_data_len(p));
        return 1;
    }
    for (size_t i = 0; i < atk_kb_count(e->kb) && !read; i++) {
        sim_pkt *c;
        if (atk_kb_kind(e->kb, i) != ATK_KEY)
            continue;
        c = sim_pkt_clone(w, p);
        if (sim_pkt_open_data(c, atk_kb_store(e->kb), atk_kb_key(e->kb, i),
                              NULL) == 0) {
            read = 1;
            if (learn && atk && atk->atk_learn)
                atk->atk_learn(w, ps, e->kb, c, 1, sim_pkt_data(c),
                               sim_pkt_data_len(c));
        }
        sim_pkt_free(w, c);
    }
    return read;
}

static inline sim_tap_verdict eve_tap(void *ctx, sim_world *w,
                                      uint32_t link, uint32_t from,
                                      uint32_t to, sim_pkt *p)
{
    eve *e = ctx;
    const atk_proto_hooks *atk = tw_atk(w);
    sim_pkt_type type = sim_pkt_type_of(p);
    sim_time now = sim_world_now(w);
    uint32_t s = sim_pkt_session(p);
    (void)link;

    if (sim_pkt_hops(p) != 0)
        return SIM_TAP_PASS;
    if (type == SIM_PKT_CONTROL && now >= e->ctl_from) {
        if (atk && atk->atk_derive)
            atk->atk_derive(w, sim_world_proto_state(w), e->kb, p, from, to);
        e->ctl_seen++;
        e->ctl_read += eve_read(e, w, p, e->learn);
    } else if (type == SIM_PKT_DATA && now >= e->data_from &&
               sim_pkt_src(p) != e->skip) {
        if (atk && atk->atk_derive)
            atk->atk_derive(w, sim_world_proto_state(w), e->kb, p, from, to);
        e->data_seen++;
        if (s < 64)
            e->sessions_seen |= 1ull << s;
        if (eve_read(e, w, p, 0)) {
            e->data_read++;
            if (s < 64)
                e->sessions_read |= 1ull << s;
        }
    }
    return SIM_TAP_PASS;
}

static inline int eve_popcount(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

/* The protocol's hooks and state of a world. */
static inline const scn_proto_ops *tw_ops(sim_world *w)
{
    return sim_world_scenario(w)->proto;
}

/* An attacker's message p handed to `node`'s on_control as if it had just
 * arrived; returns 1 if the protocol refused it (sim_world_refuse), else
 * 0.  Reads the packet's attack bookkeeping after on_control has freed
 * it: the world's pool keeps a freed packet (only its free-list link
 * changes) until it is handed out again, and nothing is allocated in
 * between.  TW_REFUSED mirrors world_int.h's PS_REFUSED. */
#define TW_REFUSED 2
static inline int tw_refused(sim_world *w, uint32_t node, sim_pkt *p)
{
    p->atk = 1;
    p->atk_state = 0;
    tw_ops(w)->on_control(w, sim_world_proto_state(w), node, p);
    return p->atk_state == TW_REFUSED;
}

/* A deterministic draw for atk_leak: always the lowest. */
static inline uint64_t draw_first(void *ctx, uint64_t n)
{
    (void)ctx; (void)n;
    return 0;
}

/* Bytes of a deterministic garbage stream (xorshift). */
static inline void garbage(uint64_t *st, unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *st ^= *st << 13;
        *st ^= *st >> 7;
        *st ^= *st << 17;
        b[i] = (unsigned char)*st;
    }
}

/* The run fingerprint of a world after a full run. */
static inline void tw_fingerprint(tworld *t, unsigned char fp[32])
{
    tw_run_all(t);
    sim_world_fingerprint(t->w, fp);
}

/* Records the first transmissions of protocol messages of one type
 * (clones, up to 8), for replaying them. */
typedef struct rk_rec {
    int type;
    sim_pkt *p[8];
    int n;
} rk_rec;

static inline sim_tap_verdict rk_rec_fn(void *ctx, sim_world *w,
                                        uint32_t link, uint32_t from,
                                        uint32_t to, sim_pkt *p)
{
    rk_rec *r = ctx;
    (void)link; (void)from; (void)to;
    if (tw_is_ctl(p, r->type) && sim_pkt_hops(p) == 0 && r->n < 8)
        r->p[r->n++] = sim_pkt_clone(w, p);
    return SIM_TAP_PASS;
}

/* Key hygiene (wipelog.h): a capture (its keys go to the attackers'
 * knowledge base, the reaction replaces or wipes the captured keys) in a
 * 4-node world of `proto`, then freeing the world at the end of the run
 * wipes every key store's regions before they are unmapped: the
 * protocol's and the knowledge base's.  roles, links: the world. */
static inline void bl_check_wipe_on_world_free(const char *proto,
                                               const char *roles,
                                               const char *links)
{
    tworld t;
    wipelog l;

    CU_ASSERT_FATAL(bl_build(&t, proto, "capture_reaction: true", 1, "20s", roles, links,
                             "const(1s)", "attackers:\n  - {type: "
                             "node_capture, nodes: [1], at: 5s, detection: "
                             "1s}\n") == 0);
    wipelog_start(&l);
    tw_run_all(&t);
    CU_ASSERT(l.n_keys >= 1);
    l.n_regions = 0;
    l.n_store = 0;
    tw_free(&t);
    wipelog_stop();
    CU_ASSERT(l.n_store >= 2);       /* the protocol's and the base's */
    CU_ASSERT(l.n_regions >= 2);
    CU_ASSERT_EQUAL(l.nonzero, 0);
}

/* ---- per_hop_mac (pk.h): what relays do to data ---- */

#define HOP_BAD_SEQ 0x7eadbeefu

/* DATA transmissions after `after` by each relay: its own and those it
 * relayed; when `tamper`, the first DATA message of `tsrc` on its first
 * link after `after` gets header seq HOP_BAD_SEQ, and `crossed` counts the
 * links the altered message crossed. */
typedef struct hop_count {
    uint32_t relay[2], tsrc;
    sim_time after;
    uint64_t own[2], relayed[2];
    int tamper, done, crossed;
} hop_count;

static inline sim_tap_verdict hop_count_tap(void *ctx, sim_world *w,
                                            uint32_t link, uint32_t from,
                                            uint32_t to, sim_pkt *p)
{
    hop_count *h = ctx;
    (void)link; (void)to;
    if (sim_pkt_type_of(p) != SIM_PKT_DATA ||
        sim_world_now(w) < h->after)
        return SIM_TAP_PASS;
    if (h->tamper && !h->done && sim_pkt_src(p) == h->tsrc &&
        from == h->tsrc) {
        sim_put32(p->buf + 12, HOP_BAD_SEQ);
        h->done = 1;
    }
    h->crossed += sim_pkt_src(p) == h->tsrc &&
                  sim_pkt_seq(p) == HOP_BAD_SEQ;
    for (int i = 0; i < 2; i++)
        if (from == h->relay[i]) {
            h->own[i] += sim_pkt_src(p) == from;
            h->relayed[i] += sim_pkt_src(p) != from;
        }
    return SIM_TAP_PASS;
}

/* Protocol `proto` (options `opts`, "" for none; pfx its metric prefix) on
 * the chain SO 0 - 1 - 2 - 3 (subscriber 4 on the SO), data every second,
 * without then with per_hop_mac.  From 5.5 s on (keys in place; the
 * counters are read between two data instants): without,
 * the relays 1 and 2 do no AEAD operation on the data they relay (their
 * seals are their own data, one each; no open) and every datum opens at
 * the SO; with, one open (the MAC of the hop it came over) and one seal
 * (its own MAC) per relayed transmission, two seals per own datum, and
 * every datum still opens.  Then a header field covered end to end (seq)
 * altered on 3 -> 2: without per_hop_mac the message crosses all 3 links
 * and the SO refuses it; with, relay 2 refuses it (1 link crossed). */
static inline void bl_hop_check(const char *proto, const char *opts,
                                const char *pfx)
{
    static const char links[] =
        "{a: 0, b: 1}, {a: 1, b: 2}, {a: 2, b: 3}, {a: 0, b: 4}";

    for (int per_hop = 0; per_hop < 2; per_hop++) {
        char o[512];
        tworld t;
        hop_count h = {.relay = {1, 2}, .tsrc = 3,
                       .after = 5 * SIM_S + 500 * SIM_MS};
        cry_ops before[2];
        double gen;

        snprintf(o, sizeof o, "%s%sper_hop_mac: %s", opts, *opts ? ", " : "",
                 per_hop ? "true" : "false");
        CU_ASSERT_FATAL(bl_build(&t, proto, o, 1, "20s", "OSSSU", links,
                                 "const(1s)", NULL) == 0);
        sim_world_add_tap(t.w, hop_count_tap, &h);
        sim_world_run(t.w, h.after, 0);
        for (int i = 0; i < 2; i++)
            before[i] = *pk_node_ops(t.w, h.relay[i]);
        tw_run_all(&t);
        gen = met(t.w, NULL, "data.generated");
        CU_ASSERT(gen >= 3 * 19);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "data.at_so"), gen, 0);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, pfx, "data.opened"), gen, 0);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "net.rejected"), 0, 0);
        for (int i = 0; i < 2; i++) {
            const cry_ops *now = pk_node_ops(t.w, h.relay[i]);
            uint64_t own = h.own[i], rel = h.relayed[i];
            CU_ASSERT(own >= 10 && rel >= 10);
            CU_ASSERT_EQUAL(now->n[CRY_OP_OPEN] - before[i].n[CRY_OP_OPEN],
                            per_hop ? rel : 0);
            CU_ASSERT_EQUAL(now->n[CRY_OP_SEAL] - before[i].n[CRY_OP_SEAL],
                            per_hop ? 2 * own + rel : own);
        }
        tw_free(&t);

        memset(&h, 0, sizeof h);
        h.relay[0] = 1;
        h.relay[1] = 2;
        h.tsrc = 3;
        h.after = 5 * SIM_S + 500 * SIM_MS;
        h.tamper = 1;
        CU_ASSERT_FATAL(bl_build(&t, proto, o, 1, "20s", "OSSSU", links,
                                 "const(1s)", NULL) == 0);
        sim_world_add_tap(t.w, hop_count_tap, &h);
        tw_run_all(&t);
        CU_ASSERT_EQUAL(h.done, 1);
        CU_ASSERT_EQUAL(h.crossed, per_hop ? 1 : 3);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "net.rejected"), 1, 0);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "data.at_so"),
                               met(t.w, NULL, "data.generated") - 1, 0);
        tw_free(&t);
    }
}

#endif
