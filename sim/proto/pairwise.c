/* pairwise.c — the second naive option of seed 000 §1: every pair of nodes
 * (i, j) shares a distinct predistributed key K_ij.  Capturing a node
 * yields only its own pairs, but every node stores n - 1 keys: full
 * pairwise keys are the O(n)-per-node exception among the protocols, and
 * storage() reports that full predistributed cost, (n - 1) * (key_id_bytes
 * + key_value_bytes) per node (plus replaced values still kept).
 *
 * The simulator does not allocate n^2 keys: K_ij = KDF(run-wide master,
 * id (min(i,j), max(i,j)), "pairwise"), materialised into the (holder,
 * name) table the first time a node uses it (no operation is counted: the
 * node had it from deployment).  pairwise.keys.live counts the values in
 * memory.  Each holder has its own handle and seals only as itself, so
 * (sender, counter) never repeats under one value.  Data go source -> SO
 * under K(source, SO), publishes SO -> subscriber under K(SO, subscriber),
 * sealed end to end with the pair's key version in the header session
 * field, relayed as they are.  With per_hop_mac (kmsim extension, pk.h)
 * the header is MACed hop by hop under the pair key of each link: the
 * sender under K(sender, next hop), each relay verifies under K(hop
 * sender, relay) and MACs again under K(relay, next hop), the next hop on
 * the world's shortest path (the routing layer).  During a replacement an
 * SO MACs under the previous value until the source has acked (the source
 * may not hold the new one yet), and a receiver tries its current value
 * then the kept previous one.  A source that moves just uses K(source,
 * new SO).
 *
 * Replacement.  At each round an SO replaces the key it shares with each
 * source it serves (registered there or moved to it): a REKEY with a fresh
 * value sealed under the current pair key, acked under the new one.  The
 * SO is the only receiver under that key, so it installs the new value at
 * once and keeps the old one until the ack, then previous_key_for more;
 * the source keeps its old value previous_key_for after installing.
 * key.rekey is one SO's round, start to its last ack.  Unacked REKEYs are
 * sent again as in netkey.
 *
 * The adversary (atk_hooks.h).  Messages of the pair (a, b) carry
 * the header key name PAIR(a, b) and the version as session: the
 * attacker's keys are labelled so, aux = version.  A capture yields the
 * node's n - 1 current pair keys and its kept previous values; keys not
 * materialised in the protocol's table are derived for the attacker in its
 * own store (as if read from the node's memory: not counted as its work),
 * so the capture changes nothing on the protocol side.  There is no
 * network- or group-wide key, hence no leak (atk_leak returns -1).  The
 * reaction to a capture is revocation, not re-keying: replacing the keys
 * of the captured node's pairs would send the new values to that node
 * itself, sealed under keys the attacker holds.  Every other node is told
 * out of band (the baseline has no authority to send a notice): each
 * wipes its keys with the captured node and never uses or accepts one
 * again, and the SOs stop serving it.  Its other pairs were never
 * exposed: a capture exposes only the captured node's own links. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include "baseline.h"
#include "bl.h"
#include "pk.h"
#include "proto.h"
#include "util.h"
#include "wire.h"

/* Key material: the master is draw (PW_STREAM, 0); SO s's k-th
 * replacement value is (PW_REKEY_STREAM | s, k). */
#define PW_STREAM       (1ull << 44)
#define PW_REKEY_STREAM (1ull << 45)
#define PW_CTX          "pairwise"     /* KDF context, 8 bytes */
#define PW_BODY         (4u + CRY_KEY_BYTES)

/* Table name of holder's key with `peer` at version `ver`. */
#define NAME(peer, ver) ((uint64_t)(ver) << 32 | (uint64_t)(peer))
/* The pair's id (KDF subkey id and header key name). */
#define PAIR(a, b) ((a) < (b) ? (uint64_t)(a) << 32 | (b) \
                              : (uint64_t)(b) << 32 | (a))

enum { PW_REKEY = 1, PW_REKEY_ACK };

typedef struct pwnode {
    uint32_t n_prev;         /* replaced values it still keeps             */
    uint32_t n_revoked;      /* peers it was told were captured (revk      */
                             /*   entries (it, x)): their keys are wiped   */
} pwnode;

/* A smart object's sources and its replacement round (one at a time). */
typedef struct pwso {
    uint32_t *src;           /* the sources it serves                      */
    uint32_t n, cap;
    uint64_t draws;          /* replacement values drawn                   */
    int busy, lost;
    uint32_t pending;        /* acks awaited                               */
    sim_time start;
} pwso;

/* Invariants: holder h holds its key with peer p at version ver(h, p)
 * (absent: 0, and the handle may not be materialised yet) and, exactly
 * when prevexp(h, p) exists, the previous version ver(h, p) - 1 too;
 * prevexp is SIM_TIME_MAX at an SO until the source acks. */
typedef struct pairwise {
    pk b;                    /* first (pk.h, baseline_keystore)            */
    const bl_opts *o;
    /* Tables keyed by holder are one per partition (pk.h "Partitions";
     * PM picks the holder's): only its partition's events write them. */
    cry_key master[CRY_PARTS_MAX]; /* predistribution secret, one copy in  */
                             /*   each partition's store; no node holds it */
    kmap ver[CRY_PARTS_MAX]; /* (holder, peer) -> current version          */
    kmap prevexp[CRY_PARTS_MAX]; /* (holder, peer) -> previous value kept  */
                             /*   till                                     */
    kmap member[CRY_PARTS_MAX]; /* (SO, source) -> index in its pwso.src   */
    kmap revk[CRY_PARTS_MAX]; /* (holder, x) -> 1: holder was told that x  */
                             /*   was captured; no key with x is used or   */
                             /*   accepted by holder any more              */
    uint32_t n_revk[CRY_PARTS_MAX]; /* entries of revk (0: no look-up)     */
    uint8_t *gone;           /* per node: its capture was detected and     */
                             /*   every node told (ground truth, for the   */
                             /*   reaction and the exposure count)         */
    pwso *so;                /* per SO ordinal                             */
    pk_replays rp;
    int rtx_msgs[PW_REKEY_ACK + 1]; /* resends counted as messages  */
    /* metric ids */
    int m_opened, m_pub_opened, m_rejected, m_replays, m_unprot;
    int m_msg_rekey, m_msg_ack, m_rk_rej, m_missing, m_skipped, m_rtx, m_dup;
} pairwise;

/* Holder h's table f (one of the per-partition kmaps above). */
#define PM(P, f, h) (&(P)->f[pk_part(&(P)->b, (h))])
/* The same, about to be written (the test build checks the partition). */
#define PMW(P, f, h) (pk_part_write(&(P)->b, pk_part(&(P)->b, (h)),        \
                                    "pairwise." #f), PM(P, f, h))

static pwnode *pn(pairwise *P, uint32_t v)
{
    return sim_world_node_state(P->b.w, v);
}

/* 1 if h was told that peer was captured (h's own revocation list). */
static int revoked_by(const pairwise *P, uint32_t h, uint32_t peer)
{
    return P->n_revk[pk_part(&P->b, h)] && kmap_get(PM(P, revk, h), h, peer);
}

static uint32_t cur_ver(const pairwise *P, uint32_t h, uint32_t peer)
{
    const uint64_t *v = kmap_get(PM(P, ver, h), h, peer);
    return v ? (uint32_t)*v : 0;
}

/* h's handle of its key with peer at version ver: the current one
 * (materialised now if it is the predistributed one and `create`) or the
 * kept previous one; 0 if it holds no such value. */
static cry_key pw_get(pairwise *P, uint32_t h, uint32_t peer, uint32_t ver,
                      int create)
{
    uint32_t c = cur_ver(P, h, peer);
    cry_key k;

    if (revoked_by(P, h, peer))
        return 0;
    if (ver == c) {
        k = pk_key(&P->b, h, NAME(peer, c));
        if (!k && c == 0 && create) {
            k = pk_key_derive(&P->b, h, P->master[pk_part(&P->b, h)],
                              PAIR(h, peer), PW_CTX, NULL);
            pk_key_put(&P->b, h, NAME(peer, 0), k);
        }
        return k;
    }
    if (ver + 1 == c && kmap_get(PM(P, prevexp, h), h, peer))
        return pk_key(&P->b, h, NAME(peer, ver));
    return 0;
}

/* ---- previous values ------------------------------------------------------------ */

static void drop_prev(pairwise *P, uint32_t h, uint32_t peer)
{
    if (!kmap_get(PM(P, prevexp, h), h, peer))
        return;
    pk_key_del(&P->b, h, NAME(peer, cur_ver(P, h, peer) - 1));
    kmap_del(PMW(P, prevexp, h), h, peer);
    pn(P, h)->n_prev--;
}

static void ev_drop_prev(sim_sched *s, void *ctx, uint32_t kind, uint32_t h,
                         void *arg, uint64_t peer)
{
    pairwise *P = sim_world_proto_state(ctx);
    uint64_t *until = kmap_get(PM(P, prevexp, h), h, peer);
    (void)kind; (void)arg;
    if (until && *until <= (uint64_t)sim_sched_now(s))
        drop_prev(P, h, (uint32_t)peer);  /* else replaced again: later */
}

/* h keeps its previous value with peer until `until` (SIM_TIME_MAX: until
 * told). */
static void keep_prev(pairwise *P, uint32_t h, uint32_t peer, sim_time until)
{
    if (!kmap_get(PM(P, prevexp, h), h, peer))
        return;
    kmap_put(PMW(P, prevexp, h), h, peer, (uint64_t)until);
    if (until == SIM_TIME_MAX)
        return;
    if (until <= sim_world_now(P->b.w))
        drop_prev(P, h, peer);
    else
        sim_sched_at(sim_world_sched(P->b.w), until, ev_drop_prev,
                     SIM_EV_PROTO + 3, h, NULL, peer);
}

/* h installs k as version ver (= current + 1) of its key with peer; the
 * current value becomes the kept previous one (an older one is wiped). */
static void install(pairwise *P, uint32_t h, uint32_t peer, uint32_t ver,
                    cry_key k)
{
    drop_prev(P, h, peer);
    kmap_put(PMW(P, ver, h), h, peer, ver);
    pk_key_put(&P->b, h, NAME(peer, ver), k);
    kmap_put(PMW(P, prevexp, h), h, peer, (uint64_t)SIM_TIME_MAX);
    pn(P, h)->n_prev++;
}

/* ---- the sources an SO serves ----------------------------------------------------- */

static void member_add(pairwise *P, uint32_t so, uint32_t src)
{
    pwso *S = &P->so[P->b.so_ord[so]];
    if (kmap_get(PM(P, member, so), so, src) || revoked_by(P, so, src))
        return;
    if (S->n == S->cap) {
        S->cap = S->cap ? 2 * S->cap : 8;
        S->src = xreallocarray(S->src, S->cap, sizeof *S->src);
    }
    kmap_put(PMW(P, member, so), so, src, S->n);
    S->src[S->n++] = src;
}

static void member_del(pairwise *P, uint32_t so, uint32_t src)
{
    pwso *S = &P->so[P->b.so_ord[so]];
    uint64_t *ix = kmap_get(PM(P, member, so), so, src);
    uint32_t i, last;

    if (!ix)
        return;
    i = (uint32_t)*ix;
    kmap_del(PMW(P, member, so), so, src);
    last = S->src[--S->n];
    if (i < S->n) {
        S->src[i] = last;
        kmap_put(PMW(P, member, so), so, last, i);
    }
}

/* ---- replacement rounds ------------------------------------------------------------ */

static void round_end(pairwise *P, pwso *S)
{
    S->busy = 0;
    if (!S->lost)
        pk_count(&P->b, P->b.m_rekey,
                 sim_time_to_s(sim_world_now(P->b.w) - S->start));
}

/* SO so's round: REKEYs sent, 0 if one is under way (skipped, counted). */
static int round_start(pairwise *P, uint32_t so)
{
    pk *b = &P->b;
    pwso *S = &P->so[b->so_ord[so]];
    unsigned char body[PW_BODY];

    if (S->busy) {
        pk_count(b, P->m_skipped, 1);
        return 0;
    }
    S->busy = 1;
    S->lost = 0;
    S->pending = 0;
    S->start = sim_world_now(b->w);
    for (uint32_t i = 0; i < S->n; i++) {
        uint32_t src = S->src[i], c = cur_ver(P, so, src);
        cry_key cur = pw_get(P, so, src, c, 1);
        cry_key fresh = pk_key_generate(b, so, PW_REKEY_STREAM | so,
                                        S->draws++, &b->ops[so]);
        sim_pkt *p;

        b->ops[so].n[CRY_OP_KDF]++;             /* generation = one KDF */
        pk_charge(b, so, SCN_OP_KDF, CRY_KEY_BYTES);
        sim_put32(body, c + 1);
        cry_key_export(b->ks, fresh, body + 4);
        p = pk_msg(b, so, src, PW_REKEY, body, sizeof body, cur,
                   PAIR(so, src), c + 1);
        cry_wipe(body, sizeof body);
        install(P, so, src, c + 1, fresh);    /* old kept until the ack */
        pk_count(b, P->m_msg_rekey, 1);
        S->pending++;
        pk_rtx_send(&P->b, so, p, src);
    }
    if (S->pending == 0) {
        S->busy = 0;                          /* nothing to replace */
        return 0;
    }
    return (int)S->pending;
}

static void ev_rekey(sim_sched *s, void *ctx, uint32_t kind, uint32_t so,
                     void *arg, uint64_t u64)
{
    pairwise *P = sim_world_proto_state(ctx);
    (void)s; (void)kind; (void)arg;
    round_start(P, so);
    if (u64 == 0)
        bl_rekey_next(ctx, P->o, ev_rekey, so);
}

static void rekey_gaveup(pk *b, uint32_t so, uint32_t to, int type,
                         uint32_t src)
{
    pairwise *P = (pairwise *)b;       /* the state begins with its pk */
    (void)to; (void)type;
    pwso *S = &P->so[P->b.so_ord[so]];

    pk_count(&P->b, P->m_missing, 1);
    keep_prev(P, so, src, sim_world_now(P->b.w) + P->o->prev_for);
    S->lost = 1;
    if (S->busy && S->pending && --S->pending == 0)
        round_end(P, S);
}

/* ---- control messages ---------------------------------------------------------------- */

/* A REKEY at source x from SO s: version = ours + 1, opened under our
 * current value, is installed and acked; version = ours, opened under the
 * kept previous value and carrying the value we hold, is a repeat (our
 * ack was lost): acked again.  Anything else is refused. */
static void on_rekey(pairwise *P, uint32_t x, sim_pkt *p)
{
    pk *b = &P->b;
    uint32_t s = sim_pkt_src(p), ver = sim_pkt_session(p), c;
    const unsigned char *body = NULL;
    unsigned char ack[8];
    size_t len = 0;
    cry_key k = 0, nk;
    int dup = 0;

    if (s < b->n_nodes && pk_is_so(b, s) && s != x &&
        sim_pkt_key_name(p) == PAIR(s, x)) {
        c = cur_ver(P, x, s);
        if (ver == c + 1) {
            k = pw_get(P, x, s, c, 1);
        } else if (ver == c && c > 0) {
            k = pw_get(P, x, s, c - 1, 0);
            dup = 1;
        }
    }
    if (k)
        body = pk_msg_open(b, x, p, k, &len);
    if (!body || len != PW_BODY || sim_get32(body) != ver) {
        pk_count(b, P->m_rk_rej, 1);
        pk_refuse(b, x, p);
        return;
    }
    nk = pk_key_import(b, x, body + 4);
    if (dup) {
        int same = cry_key_equal(b->ks, nk, pw_get(P, x, s, ver, 0));
        cry_key_free(b->ks, nk);
        pk_refuse(b, x, p);      /* nothing changes, even when answered */
        if (!same) {
            pk_count(b, P->m_rk_rej, 1);
            return;
        }
        pk_count(b, P->m_dup, 1);
    } else {
        install(P, x, s, ver, nk);
        keep_prev(P, x, s, sim_world_now(b->w) + P->o->prev_for);
    }
    sim_put32(ack, ver);
    sim_put32(ack + 4, sim_pkt_seq(p));
    pk_count(b, P->m_msg_ack, 1);
    pk_send(b, x, pk_msg(b, x, s, PW_REKEY_ACK, ack, sizeof ack,
                         pw_get(P, x, s, ver, 0), PAIR(s, x), ver));
}

static void on_rekey_ack(pairwise *P, uint32_t so, sim_pkt *p)
{
    pk *b = &P->b;
    uint32_t src = sim_pkt_src(p), ver = sim_pkt_session(p), ref = src;
    const unsigned char *body = NULL;
    uint64_t *until;
    size_t len = 0;
    cry_key k = 0;
    pwso *S;

    if (pk_is_so(b, so) && src < b->n_nodes && src != so &&
        ver == cur_ver(P, so, src) && ver > 0)
        k = pw_get(P, so, src, ver, 0);
    if (k)
        body = pk_msg_open(b, so, p, k, &len);
    if (!body || len != 8 || sim_get32(body) != ver) {
        pk_count(b, P->m_rk_rej, 1);
        pk_refuse(b, so, p);
        return;
    }
    S = &P->so[b->so_ord[so]];
    until = kmap_get(PM(P, prevexp, so), so, src);
    /* Awaited: the old value is kept "until the ack" (SIM_TIME_MAX). */
    if (!until || *until != (uint64_t)SIM_TIME_MAX ||
        !pk_rtx_done(&P->b, so, sim_get32(body + 4), &ref) || ref != src) {
        pk_count(b, P->m_dup, 1);
        pk_refuse(b, so, p);
        return;
    }
    keep_prev(P, so, src, sim_world_now(b->w) + P->o->prev_for);
    if (S->busy && S->pending && --S->pending == 0)
        round_end(P, S);
}

static void pairwise_control(sim_world *w, void *ps, uint32_t node,
                             sim_pkt *p)
{
    pairwise *P = ps;
    switch (pk_msg_type(p)) {
    case PW_REKEY: on_rekey(P, node, p); break;
    case PW_REKEY_ACK: on_rekey_ack(P, node, p); break;
    default:
        pk_count(&P->b, P->m_rk_rej, 1);
        pk_refuse(&P->b, node, p);
        break;
    }
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    sim_pkt_free(w, p);
}

/* ---- data -------------------------------------------------------------------------- */

/* per_hop_mac: v's key for MACing a header to its neighbour nb, the
 * version nb is sure to hold (an SO's previous value while the source has
 * not acked the new one), or 0 (nb revoked). */
static cry_key hop_tx_key(pairwise *P, uint32_t v, uint32_t nb)
{
    uint32_t c = cur_ver(P, v, nb);
    const uint64_t *until = kmap_get(PM(P, prevexp, v), v, nb);

    if (c > 0 && until && *until == (uint64_t)SIM_TIME_MAX)
        return pw_get(P, v, nb, c - 1, 0);
    return pw_get(P, v, nb, c, 1);
}

/* per_hop_mac: the values v tries on a MAC from its neighbour nb (current,
 * kept previous). */
static cry_key hop_rx_key(pairwise *P, uint32_t v, uint32_t nb, cry_key *prev)
{
    uint32_t c = cur_ver(P, v, nb);

    *prev = c > 0 && kmap_get(PM(P, prevexp, v), v, nb)
                ? pw_get(P, v, nb, c - 1, 0) : 0;
    return pw_get(P, v, nb, c, 1);
}

/* per_hop_mac: the next hop of p at v on the world's shortest path. */
static uint32_t hop_next(pairwise *P, uint32_t v, const sim_pkt *p)
{
    uint32_t link;
    return sim_world_next_hop(P->b.w, v, sim_pkt_dst(p), &link);
}

static int pairwise_protect(sim_world *w, void *ps, uint32_t src,
                            uint32_t dst, sim_pkt *p)
{
    pairwise *P = ps;
    uint32_t ver = cur_ver(P, src, dst), nh;
    cry_key k = dst < P->b.n_nodes && dst != src ? pw_get(P, src, dst, ver, 1)
                                                 : 0;
    (void)w;

    if (!k || pk_seal_data(&P->b, src, p, k, PAIR(src, dst), ver) != 0)
        return -1;
    if (P->o->per_hop_mac &&
        ((nh = hop_next(P, src, p)) == SIM_NONE ||
         pk_hop_seal(&P->b, src, p, hop_tx_key(P, src, nh)) != 0)) {
        P->b.node[src].cpu_due = 0;
        return -1;
    }
    pk_send(&P->b, src, p);
    return 1;
}

/* per_hop_mac: a relay verifies the MAC of the hop it came over and MACs
 * the header again for the next one. */
static int pairwise_forward(sim_world *w, void *ps, uint32_t node,
                            sim_pkt *p)
{
    pairwise *P = ps;
    uint32_t from = sim_pkt_hop_from(p), nh;
    cry_key in, prev;
    (void)w;

    if (!P->o->per_hop_mac || !pk_hop_covered(p))
        return 0;
    if (from >= P->b.n_nodes || from == node ||
        (nh = hop_next(P, node, p)) == SIM_NONE)
        return -1;
    in = hop_rx_key(P, node, from, &prev);
    return pk_hop_relay(&P->b, node, p, in, prev, hop_tx_key(P, node, nh));
}

static int pairwise_unprotect(sim_world *w, void *ps, uint32_t node,
                              sim_pkt *p)
{
    pairwise *P = ps;
    pk *b = &P->b;
    uint32_t src = sim_pkt_src(p), ver = sim_pkt_session(p);
    cry_key k = 0;
    int rc = -1;

    if (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED)) {
        /* Only a source that never registered sends in clear (scenario
         * `anonymous`): accepted, counted apart. */
        if (sim_pkt_type_of(p) == SIM_PKT_DATA && src < b->n_nodes &&
            pk_role(b, src) == SCN_ROLE_SOURCE &&
            !sim_world_so_knows(w, node, src)) {
            pk_count(b, P->m_unprot, 1);
            return 0;
        }
        pk_count(b, P->m_rejected, 1);
        return -1;
    }
    if (src < b->n_nodes && src != node &&
        sim_pkt_key_name(p) == PAIR(src, node))
        k = pw_get(P, node, src, ver, 1);
    if (k && P->o->per_hop_mac) {
        /* The last hop's MAC first, under the key of that link. */
        uint32_t from = sim_pkt_hop_from(p);
        cry_key in = 0, prev = 0;
        if (from < b->n_nodes && from != node)
            in = hop_rx_key(P, node, from, &prev);
        if (!pk_hop_open(b, node, p, in, prev))
            k = 0;
    }
    if (!k || pk_open_data(b, node, p, k) != 0)
        pk_count(b, P->m_rejected, 1);
    else if (P->o->replay_window &&   /* kmsim extension: defences */
             pk_replays_check_pkt(b, &P->rp, node, p, ver) != 0)
        pk_count(b, P->m_replays, 1);
    else {
        pk_count(b, pk_role(b, node) == SCN_ROLE_SUBSCRIBER ? P->m_pub_opened
                                                            : P->m_opened, 1);
        rc = 0;
    }
    b->node[node].cpu_due = 0;   /* the SO's service time covers processing */
    return rc;
}

/* ---- registration and moves ---------------------------------------------------------- */

static void pairwise_register_so(sim_world *w, void *ps, uint32_t so,
                                 uint32_t src)
{
    (void)w;
    member_add(ps, so, src);
}

static void pairwise_register_source(sim_world *w, void *ps, uint32_t src,
                                     uint32_t so)
{
    pairwise *P = ps;
    (void)w; (void)src; (void)so;
    pk_count(&P->b, P->b.m_setup, 0);   /* it has held K(src, SO) all along */
}

static void pairwise_on_move(sim_world *w, void *ps, uint32_t src,
                             uint32_t old_so, uint32_t new_so)
{
    pairwise *P = ps;
    int member;
    (void)w;
    /* Keys: nothing to do, it already holds K(src, new SO).  Rounds: the
     * new SO replaces that key from now on, the old one no longer.  Both
     * SOs are told of the move (the middleware's registration moving) and
     * update their own member lists: named hand-overs (locality check,
     * test build). */
    sim_world_act_as(w, old_so, "pairwise: the old SO told of a move");
    member = kmap_get(PM(P, member, old_so), old_so, src) != NULL;
    if (member)
        member_del(P, old_so, src);
    sim_world_act_end(w);
    if (member) {
        sim_world_act_as(w, new_so, "pairwise: the new SO told of a move");
        member_add(P, new_so, src);
        sim_world_act_end(w);
    }
}

/* ---- life cycle ---------------------------------------------------------------------- */

static int pairwise_opts_parse(scn_map *m, void **out)
{
    return bl_opts_parse(m, 1, out);
}

#define M_(field) offsetof(pairwise, field)
static const pk_metric pairwise_metrics[] = {
    {M_(m_opened), "pairwise.data.opened", "msg", ANA_COUNTER},
    {M_(m_pub_opened), "pairwise.publish.opened", "msg", ANA_COUNTER},
    {M_(m_rejected), "pairwise.data.rejected", "msg", ANA_COUNTER},
    {M_(m_replays), "pairwise.data.replays", "msg", ANA_COUNTER},
    {M_(m_unprot), "pairwise.data.unprotected", "msg", ANA_COUNTER},
    {M_(m_msg_rekey), "pairwise.msgs.rekey", "msg", ANA_COUNTER},
    {M_(m_msg_ack), "pairwise.msgs.rekey_ack", "msg", ANA_COUNTER},
    {M_(m_rk_rej), "pairwise.rekey.rejected", "msg", ANA_COUNTER},
    {M_(m_missing), "pairwise.rekey.missing_acks", "msg", ANA_COUNTER},
    {M_(m_skipped), "pairwise.rekey.skipped", "1", ANA_COUNTER},
    {M_(m_rtx), "pairwise.retransmissions", "msg", ANA_COUNTER},
    {M_(m_dup), "pairwise.duplicates", "msg", ANA_COUNTER},
};
#undef M_

static int pairwise_init(sim_world *w, void **ps, char *err, size_t errlen)
{
    pairwise *P = xcalloc(1, sizeof *P);
    pk *b = &P->b;

    if (pk_init(b, w, err, errlen) != 0) {
        free(P);
        return -1;
    }
    P->o = sim_world_scenario(w)->proto_opts;
    pk_metrics_reg(sim_world_metrics(w), P, pairwise_metrics,
                   ARRAY_LEN(pairwise_metrics));
    pk_rtx_setup(b, P->o->rtx_after, P->o->rtx_max, rekey_gaveup, P->m_rtx, -1);
    P->rtx_msgs[0] = P->rtx_msgs[PW_REKEY_ACK] = -1;
    P->rtx_msgs[PW_REKEY] = P->m_msg_rekey;
    pk_rtx_msg_metrics(b, P->rtx_msgs, ARRAY_LEN(P->rtx_msgs));
    pk_replays_init(&P->rp);
    for (unsigned i = 0; i < CRY_PARTS_MAX; i++) {
        kmap_init(&P->ver[i]);
        kmap_init(&P->prevexp[i]);
        kmap_init(&P->member[i]);
        kmap_init(&P->revk[i]);
        sim_world_own(w, &P->ver[i], "pairwise.ver");
        sim_world_own(w, &P->prevexp[i], "pairwise.prevexp");
        sim_world_own(w, &P->member[i], "pairwise.member");
        sim_world_own(w, &P->revk[i], "pairwise.revoked");
    }
    P->gone = xcalloc(b->n_nodes ? b->n_nodes : 1, sizeof *P->gone);
    /* Locality check (test build): keyed by holder first. */
    pk_replays_own(w, &P->rp, "pairwise.replay");
    P->so = xcalloc(b->n_so ? b->n_so : 1, sizeof *P->so);
    for (unsigned i = 0; i < b->nparts; i++)   /* one value, a copy each */
        P->master[i] = cry_key_generate_part(b->ks, i, PW_STREAM, 0, NULL);
    for (uint32_t i = 0; i < b->n_so; i++)
        bl_rekey_schedule(w, P->o, ev_rekey, b->so_node[i], i, b->n_so);
    *ps = P;
    return 0;
}

static void pairwise_deinit(sim_world *w, void *ps)
{
    pairwise *P = ps;
    (void)w;
    for (uint32_t i = 0; i < P->b.n_so; i++)
        free(P->so[i].src);
    free(P->so);
    for (unsigned i = 0; i < CRY_PARTS_MAX; i++) {
        kmap_deinit(&P->ver[i]);
        kmap_deinit(&P->prevexp[i]);
        kmap_deinit(&P->member[i]);
        kmap_deinit(&P->revk[i]);
    }
    free(P->gone);
    pk_replays_deinit(&P->rp);
    pk_deinit(&P->b);                    /* wipes the master too */
    free(P);
}

/* The full predistributed cost, materialised or not. */
static uint64_t pairwise_storage(sim_world *w, void *ps, uint32_t v)
{
    pairwise *P = ps;
    const bl_opts *o = P->o;
    (void)w;
    return (uint64_t)(P->b.n_nodes - 1) * (o->id_bytes + o->value_bytes) +
           (uint64_t)pn(P, v)->n_prev * o->value_bytes;
}

/* Keys held by v (storage.keys_per_node): its predistributed key with
 * every other node (materialised in the table or not: it had them all
 * from deployment) except those with peers it was told were captured
 * (wiped, n_revoked), plus the replaced values it still keeps (n_prev) —
 * n - 1 in a run without capture or replacement.  The byte count keeps
 * charging a revoked peer's slot (the full predistributed cost). */
static uint64_t pairwise_keys(sim_world *w, void *ps, uint32_t v)
{
    pairwise *P = ps;
    const pwnode *n = pn(P, v);
    (void)w;
    return (uint64_t)(P->b.n_nodes - 1) - n->n_revoked + n->n_prev;
}

/* kmsim metrics (mlist.h): the meaning of each metric of
 * the pairwise baseline,
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_pairwise[] = {
    {"pairwise.data.opened",
     "data messages opened at the SO"},
    {"pairwise.data.rejected",
     "data messages refused"},
    {"pairwise.data.replays",
     "data refused as replays"},
    {"pairwise.data.unprotected",
     "data sent without protection"},
    {"pairwise.duplicates",
     "duplicate messages received and ignored"},
    {"pairwise.keys.live",
     "pairwise keys held by live nodes"},
    {"pairwise.keys.stored",
     "pairwise keys stored over all nodes"},
    {"pairwise.msgs.*",
     "pairwise baseline messages of this type sent"},
    {"pairwise.publish.opened",
     "publish messages opened by subscribers"},
    {"pairwise.rekey.missing_acks",
     "acks missing when a re-key round ended"},
    {"pairwise.rekey.rejected",
     "re-key messages refused"},
    {"pairwise.rekey.skipped",
     "re-key rounds skipped (previous one still running)"},
    {"pairwise.retransmissions",
     "messages retransmitted after a timeout"},
    {NULL, NULL},
};

static void pairwise_report(sim_world *w, void *ps, ana_metrics *m)
{
    pairwise *P = ps;
    int stored = ana_metric_reg(m, "pairwise.keys.stored", "", "key",
                                ANA_SAMPLES);
    for (uint32_t v = 0; v < P->b.n_nodes; v++)
        ana_metric_add(m, stored, (double)pairwise_keys(w, ps, v));
    ana_metric_set(m, ana_metric_reg(m, "pairwise.keys.live", "", "key",
                                     ANA_VALUE),
                   (double)(cry_keystore_live(P->b.ks) - P->b.nparts));
    pk_report_crypto(sim_world_topo(w), P->b.ops, m);
}

/* ---- inspection (baseline.h) ------------------------------------------------------- */

static pairwise *P_of(const sim_world *w)
{
    if (sim_world_scenario(w)->proto != &sim_proto_pairwise)
        return NULL;
    return sim_world_proto_state((sim_world *)w);
}

cry_key pairwise_key(const sim_world *w, uint32_t a, uint32_t b)
{
    pairwise *P = P_of(w);
    if (!P || a >= P->b.n_nodes || b >= P->b.n_nodes || a == b)
        return 0;
    return pk_key(&P->b, a, NAME(b, cur_ver(P, a, b)));
}

uint32_t pairwise_version(const sim_world *w, uint32_t a, uint32_t b)
{
    pairwise *P = P_of(w);
    return P ? cur_ver(P, a, b) : UINT32_MAX;
}

int pairwise_same_key(const sim_world *w, uint32_t a, uint32_t b)
{
    pairwise *P = P_of(w);
    cry_key ka = pairwise_key(w, a, b), kb = pairwise_key(w, b, a);
    return P && ka && kb && cry_key_equal(P->b.ks, ka, kb);
}

size_t pairwise_live(const sim_world *w)
{
    pairwise *P = P_of(w);
    return P ? cry_keystore_live(P->b.ks) - P->b.nparts : 0;
}

int pairwise_rekey(sim_world *w, uint32_t so)
{
    pairwise *P = P_of(w);
    if (!P || so >= P->b.n_nodes || !pk_is_so(&P->b, so))
        return -1;
    return round_start(P, so);
}

size_t pairwise_capture(const sim_world *w, uint32_t node, baseline_key *out,
                        size_t max)
{
    pairwise *P = P_of(w);
    size_t k = 0;

    if (!P || node >= P->b.n_nodes)
        return 0;
    for (uint32_t peer = 0; peer < P->b.n_nodes; peer++) {
        uint32_t c;
        if (peer == node)
            continue;
        c = cur_ver(P, node, peer);
        if (k < max)
            out[k] = (baseline_key){peer, c, 0,
                                    pk_key(&P->b, node, NAME(peer, c))};
        k++;
        if (kmap_get(PM(P, prevexp, node), node, peer)) {
            if (k < max)
                out[k] = (baseline_key){peer, c - 1, 1,
                                        pk_key(&P->b, node, NAME(peer, c - 1))};
            k++;
        }
    }
    return k;
}

/* ---- the adversary (atk_hooks.h) ---------------------------------------------------- */

/* Every key node holds: per other node its current pair key (read from the
 * table, or derived in the attacker's store from the predistribution
 * secret when not materialised yet — the node had it all along) and a
 * kept previous value.  Peers in index order. */
static void pairwise_atk_capture(sim_world *w, void *ps, uint32_t node,
                                 atk_kb *kb)
{
    pairwise *P = ps;
    pk *b = &P->b;
    cry_keystore *aks = atk_kb_store(kb);
    cry_key m = 0;
    (void)w;

    if (node >= b->n_nodes)
        return;
    for (uint32_t peer = 0; peer < b->n_nodes; peer++) {
        uint32_t c;
        cry_key k;
        if (peer == node)
            continue;
        c = cur_ver(P, node, peer);
        k = pk_key(b, node, NAME(peer, c));
        if (k) {
            atk_kb_add(kb, ATK_KEY, PAIR(node, peer), c, b->ks, k);
        } else if (c == 0) {
            if (!m)          /* a temporary copy, never an entry */
                m = cry_key_transfer(aks, b->ks, P->master[0]);
            atk_kb_add_own(kb, ATK_KEY, PAIR(node, peer), 0,
                           cry_key_derive(aks, m, PAIR(node, peer), PW_CTX,
                                          NULL));
        }
        if (c > 0 && kmap_get(PM(P, prevexp, node), node, peer) &&
            (k = pk_key(b, node, NAME(peer, c - 1))) != 0)
            atk_kb_add(kb, ATK_KEY, PAIR(node, peer), c - 1, b->ks, k);
    }
    cry_key_free(aks, m);                /* wiped */
}

/* No network- or group-wide key to leak. */
static int64_t pairwise_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                                 uint64_t (*draw)(void *ctx, uint64_t n),
                                 void *ctx)
{
    (void)w; (void)ps; (void)kb; (void)draw; (void)ctx;
    return -1;
}

/* Revocation of a captured node (see the top of the file): every other
 * node wipes its keys with it, the SOs stop serving it and retransmitting
 * to it.  Returns the nodes told (all others); 0 for a leak (none). */
static long pairwise_atk_react(sim_world *w, void *ps, int what, uint64_t id)
{
    pairwise *P = ps;
    pk *b = &P->b;
    uint32_t x = (uint32_t)id;
    (void)w;

    if (what != ATK_REACT_CAPTURE || id >= b->n_nodes ||
        !P->o->capture_reaction)  /* off: as published (no reaction) */
        return 0;
    if (P->gone[x])
        return 0;                        /* told already */
    /* Every node is told at once, out of band (kmsim's model of the
     * revocation notice: no messages); each acts on its own state
     * (locality check: it is the actor). */
    for (uint32_t i = 0; i < b->n_so; i++) {
        uint32_t so = b->so_node[i];
        pwso *S = &P->so[i];
        uint64_t *until;
        int awaited;
        if (so == x)
            continue;
        sim_world_act_as(w, so, "capture detected: revocation notice");
        until = kmap_get(PM(P, prevexp, so), so, x);
        /* Its ack of this round's REKEY still awaited (the old value is
         * kept "until the ack"): the round no longer waits for it. */
        awaited = S->busy && until && *until == (uint64_t)SIM_TIME_MAX;
        member_del(P, so, x);
        pk_rtx_cancel(b, so, x);
        if (awaited) {
            S->lost = 1;
            if (S->pending && --S->pending == 0)
                round_end(P, S);
        }
        sim_world_act_end(w);
    }
    for (uint32_t h = 0; h < b->n_nodes; h++) {
        if (h == x)
            continue;
        sim_world_act_as(w, h, "capture detected: revocation notice");
        drop_prev(P, h, x);
        pk_key_del(b, h, NAME(x, cur_ver(P, h, x)));
        kmap_put(PMW(P, revk, h), h, x, 1);     /* pw_get refuses it from now */
        P->n_revk[pk_part(b, h)]++;
        pn(P, h)->n_revoked++;
        sim_world_act_end(w);
    }
    P->gone[x] = 1;
    return (long)b->n_nodes - 1;
}

/* A REKEY read (opened under a pair key the attacker holds): the pair's
 * new value.  Any bytes: everything is bounds-checked. */
static void pairwise_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                               const sim_pkt *p, int part,
                               const unsigned char *pt, size_t len)
{
    pairwise *P = ps;
    uint32_t s = sim_pkt_src(p), d = sim_pkt_dst(p);
    (void)w;

    if (part != 1 || !pt || sim_pkt_type_of(p) != SIM_PKT_CONTROL ||
        len != 1 + PW_BODY || pt[0] != PW_REKEY || s >= P->b.n_nodes ||
        d >= P->b.n_nodes || s == d)
        return;
    atk_kb_add_bytes(kb, ATK_KEY, PAIR(s, d), sim_get32(pt + 1), pt + 5,
                     CRY_KEY_BYTES);
}

/* Links: the pairs in use, i.e. (SO, peer) with the SO's current key
 * materialised (it materialises on the first message either way); exposed
 * when the attacker holds that value. */
static void pairwise_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                                  atk_exposure *out)
{
    pairwise *P = ps;
    pk *b = &P->b;
    pk_held *h;
    size_t n = pk_keys_held(b, SIM_NONE, &h);
    (void)w;

    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        uint32_t so = h[i].holder, peer = (uint32_t)h[i].name;
        uint32_t ver = (uint32_t)(h[i].name >> 32);
        int clean, held;
        if (!pk_is_so(b, so) || peer >= b->n_nodes ||
            ver != cur_ver(P, so, peer) || P->gone[peer] || P->gone[so])
            continue;
        clean = !atk_kb_captured(kb, so) && !atk_kb_captured(kb, peer);
        held = atk_kb_holds(kb, PAIR(so, peer), b->ks, h[i].key);
        out->links++;
        out->exposed += held;
        out->links_clean += clean;
        out->exposed_clean += clean && held;
    }
    free(h);
}

/* A well-formed forgery (atk_hooks.h atk_forge): data as pairwise_protect
 * makes it — the pair's name and version (the entry's label and aux), the
 * data part under that pair key and, with per_hop_mac, the control part
 * MACed under the newest key the base holds for the pair (transmitting
 * node, its next hop).  A pair key of src and dst is needed for the
 * receiver to open it: the entry is refused otherwise. */
static sim_pkt *forge_rekey(pairwise *P, sim_world *w, atk_kb *kb,
                            const atk_forge_req *rq);

static sim_pkt *pairwise_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                                   const atk_forge_req *rq)
{
    pairwise *P = ps;
    size_t hop = ATK_NONE;

    if (rq->what == ATK_FORGE_REKEY)
        return forge_rekey(P, w, kb, rq);
    if (rq->what != ATK_FORGE_DATA || rq->key >= atk_kb_count(kb) ||
        atk_kb_kind(kb, rq->key) != ATK_KEY ||
        atk_kb_label(kb, rq->key) != PAIR(rq->src, rq->dst))
        return NULL;
    if (P->o->per_hop_mac) {
        uint32_t link, nh = sim_world_next_hop(w, rq->sender, rq->dst, &link);
        if (nh == SIM_NONE)
            return NULL;
        for (size_t i = atk_kb_find(kb, ATK_KEY, PAIR(rq->sender, nh));
             i != ATK_NONE; i = atk_kb_next(kb, i))
            hop = i;
        if (hop == ATK_NONE)
            return NULL;
    }
    return atk_kb_forge_data(w, kb, rq, PAIR(rq->src, rq->dst),
                             (uint32_t)atk_kb_aux(kb, rq->key), hop,
                             P->o->per_hop_mac ? rq->sender : rq->src);
}

/* ATK_FORGE_REKEY: round_start's REKEY, [c + 1][a value of the attacker's
 * own] sealed under version c of the pair key (the entry: label PAIR(s,
 * x), aux c), header version c + 1, "from" the pair's SO s to its other
 * end x (the only node that takes a REKEY under that key).  on_rekey
 * installs it when c is x's current version: x then seals its data to s
 * under a value s does not hold (and the attacker does), until s's next
 * round replaces it.  A REKEY under x's previous version is a repeat
 * whose value must equal the one x installed: refused.  Only keys of a
 * pair the attacker holds (a captured node's own) serve, so a capture
 * reaches nothing beyond its own pairs. */
static sim_pkt *forge_rekey(pairwise *P, sim_world *w, atk_kb *kb,
                            const atk_forge_req *rq)
{
    pk *b = &P->b;
    atk_forge_req r = *rq;
    unsigned char body[PW_BODY];
    cry_keystore *aks = atk_kb_store(kb);
    uint64_t name;
    uint32_t lo, hi, c;
    cry_key fresh;
    sim_pkt *p;

    if (rq->key >= atk_kb_count(kb) || atk_kb_kind(kb, rq->key) != ATK_KEY)
        return NULL;
    name = atk_kb_label(kb, rq->key);
    lo = (uint32_t)(name >> 32);
    hi = (uint32_t)name;
    if (lo >= hi || hi >= b->n_nodes || pk_is_so(b, lo) == pk_is_so(b, hi))
        return NULL;
    r.src = pk_is_so(b, lo) ? lo : hi;
    r.dst = r.src == lo ? hi : lo;
    if (rq->dst != SIM_NONE && rq->dst != r.dst)
        return NULL;
    c = (uint32_t)atk_kb_aux(kb, rq->key);
    fresh = cry_key_generate(aks, (uint64_t)3 << 48 | r.dst, rq->seq,
                             atk_kb_ops(kb));
    sim_put32(body, c + 1);
    cry_key_export(aks, fresh, body + 4);
    p = atk_kb_forge_ctl(w, kb, &r, PW_REKEY, body, sizeof body, name,
                         c + 1);
    cry_wipe(body, sizeof body);
    if (p)
        atk_kb_add_own(kb, ATK_KEY, name, c + 1, fresh);
    else
        cry_key_free(aks, fresh);
    return p;
}

/* Estimate hook: 44 B per node beyond `none` (measured, estimate.c). */
static void pairwise_estimate(const scenario *sc, struct sim_estimate *e)
{
    bl_estimate(sc, e, 44.0);
}

const scn_proto_ops sim_proto_pairwise = {
    .name = "pairwise",
    .summary = "baseline: a distinct predistributed key for every pair",
    .opts_parse = pairwise_opts_parse,
    .opts_free = bl_opts_free,
    .node_state_size = sizeof(pwnode),
    .threads_ok = 1,         /* pk.h "Partitions", sim/THREADS.md */
    .init = pairwise_init,
    .estimate = pairwise_estimate,
    .deinit = pairwise_deinit,
    .on_register_so = pairwise_register_so,
    .on_register_source = pairwise_register_source,
    .on_move = pairwise_on_move,
    .protect = pairwise_protect,
    .unprotect = pairwise_unprotect,
    .forward = pairwise_forward,
    .on_control = pairwise_control,
    .storage = pairwise_storage,
    .keys = pairwise_keys,
    .report = pairwise_report,
};

/* Its adversary interface (atk_hooks.h): what the attackers ask of its
 * state; the registry hands it over (proto.h sim_proto_atk). */
const atk_proto_hooks sim_atk_pairwise = {
    .atk_capture = pairwise_atk_capture,
    .atk_leak = pairwise_atk_leak,
    .atk_react = pairwise_atk_react,
    .atk_learn = pairwise_atk_learn,
    .atk_exposure = pairwise_atk_exposure,
    .atk_forge = pairwise_atk_forge,
};
