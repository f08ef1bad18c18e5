/* dipietro_msg.c — Di Pietro et al. (KeEs), the receiving side: the
 * control messages a node receives (SEEDS, updateSession, JOIN and their
 * acks; seed 001 §4.2, Algorithms 2–3), the data path (protect, unprotect,
 * forward), moves, and the adversary hooks (atk_hooks.h).  The scheme,
 * the state and the sending side are in dipietro.c (see its top comment);
 * both share dipietro_int.h. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include "proto.h"
#include "estimate.h"
#include "world.h"
#include "wire.h"
#include "kmap.h"
#include "cry_key.h"
#include "metrics.h"
#include "util.h"
#include "pk.h"
#include "dipietro.h"
#include "dipietro_int.h"

/* ------------------------------------------------------------------------
 * Control messages
 * ---------------------------------------------------------------------- */

/* Node v drops p: counted, and refused (sim_world_refuse). */
static void reject(dp *D, uint32_t v, sim_pkt *p)
{
    pk_count(&D->b, D->m_rejected, 1);
    pk_refuse(&D->b, v, p);
}

/* p repeats a message already applied: answered again if the protocol
 * says so, but refused as a message (nothing changes). */
static void duplicate(dp *D, uint32_t v, sim_pkt *p)
{
    pk_count(&D->b, D->m_dup, 1);
    pk_refuse(&D->b, v, p);
}

static void on_seeds(dp *D, uint32_t v, sim_pkt *p)
{
    uint32_t q = D->o->qbytes, from = sim_pkt_src(p);
    uint64_t name = sim_pkt_key_name(p);
    const unsigned char *body;
    unsigned char a[CRY_KEY_BYTES], b[CRY_KEY_BYTES], ack[8];
    cry_key k = 0;
    size_t len;
    uint32_t g, session;
    hg *h;
    sim_pkt *ap;

    if (pk_is_so(&D->b, from) && pk_is_so(&D->b, v))
        k = dp_pair_key(D, v, v);
    else if (D->o->sealed)
        k = pk_key(&D->b, v, KN(KIND_DEV, v));
    if (name != (k ? (pk_is_so(&D->b, v) ? KN(KIND_PAIR, v)
                                          : KN(KIND_DEV, v)) : 0) ||
        !(body = pk_msg_open(&D->b, v, p, k, &len)) || len != 8 + 2 * q) {
        reject(D, v, p);
        return;
    }
    g = sim_get32(body);
    session = sim_get32(body + 4);
    if (g >= D->n_grp || D->grp[g].owner != from || session == 0) {
        reject(D, v, p);
        return;
    }
    h = dp_hg_get(D, v, g);
    if (session < h->session) {
        /* Older than what it holds: a late retransmission or a replay,
         * which would roll the member back onto an old (after a re-seed,
         * compromised) chain. */
        reject(D, v, p);
        return;
    }
    if (h->session == session) {
        duplicate(D, v, p);              /* a repeat: answer again */
    } else {
        memset(a, 0, sizeof a);
        memset(b, 0, sizeof b);
        memcpy(a, body + 8, q);
        memcpy(b, body + 8 + q, q);
        dp_chain_advance(D, v, g, a, b, h->session + 1 == session);
        cry_wipe(a, sizeof a);
        cry_wipe(b, sizeof b);
        h->has_old = h->session + 1 == session;
        h->session = session;
    }
    cry_wipe((unsigned char *)body, len);
    dp_put32(ack, g);
    dp_put32(ack + 4, sim_pkt_seq(p));
    dp_count_msg(D, M_SEEDS_ACK);
    ap = pk_msg(&D->b, v, from, M_SEEDS_ACK, ack, sizeof ack, h->val[V_K],
                GNAME(g), session);
    ap->mark = dp_ack_mark(h, session);
    pk_send(&D->b, v, ap);
    if (!h->setup_done && pk_role(&D->b, v) == SCN_ROLE_SOURCE) {
        h->setup_done = 1;     /* timed from the owner's first SEEDS */
        pk_count(&D->b, D->b.m_setup,
                 sim_time_to_s(sim_world_now(D->b.w) - p->mark));
    }
    dp_flush_member(D, v, g);
}

/* The key of node v's group g for a message tagged `session`: the
 * current key, or the previous one for the session before (Algorithm 2);
 * 0 for any other session. */
static cry_key session_key(const dp *D, uint32_t v, uint32_t g,
                           uint32_t session, int *previous)
{
    hg *h = dp_hg_find(D, v, g);
    *previous = 0;
    if (!h || !h->session)
        return 0;
    if (session == h->session)
        return h->val[V_K];
    if (h->has_old && session + 1 == h->session) {
        *previous = 1;
        return h->val[V_OLD];
    }
    return 0;
}

/* Opens an answer (SEEDS_ACK, UPDATE_ACK) at the owner; returns its
 * member, or NULL. */
static mem *open_ack(dp *D, uint32_t o, sim_pkt *p)
{
    uint64_t name = sim_pkt_key_name(p);
    uint32_t g = (uint32_t)(name & 0xffffffffu), from = sim_pkt_src(p);
    const unsigned char *body;
    cry_key k;
    size_t len;
    int prev;
    mem *m;

    if (name != GNAME(g) || g >= D->n_grp || D->grp[g].owner != o ||
        !(m = dp_mem_find(D, g, from)) || dp_revoked(D, from) ||
        !(k = session_key(D, o, g, sim_pkt_session(p), &prev)) ||
        !(body = pk_msg_open(&D->b, o, p, k, &len)) || len != 8 ||
        sim_get32(body) != g) {
        reject(D, o, p);
        return NULL;
    }
    if (!pk_rtx_done(&D->b, o, sim_get32(body + 4), NULL)) {
        duplicate(D, o, p);
        return NULL;
    }
    m->acked = sim_pkt_session(p);
    return m;
}

static void on_seeds_ack(dp *D, uint32_t o, sim_pkt *p)
{
    uint32_t g = (uint32_t)(sim_pkt_key_name(p) & 0xffffffffu);
    mem *m = open_ack(D, o, p);

    if (!m)
        return;
    if (m->acked != D->grp[g].session) {
        /* Enrolled at a session that has passed meanwhile. */
        pk_count(&D->b, D->m_reenrol, 1);
        dp_enrol(D, g, m->node);
        return;
    }
    if (m->state != MEM_READY)
        pk_count(&D->b, D->m_enrolled, 1);
    m->state = MEM_READY;
    if (pk_role(&D->b, m->node) == SCN_ROLE_SUBSCRIBER)
        dp_flush_pubq(D, o, m->node);
    dp_answer_join(D, g, m);
    dp_round_ack(D, g, m, p);
}

static void on_update(dp *D, uint32_t v, sim_pkt *p)
{
    uint32_t g = (uint32_t)(sim_pkt_key_name(p) & 0xffffffffu);
    uint32_t from = sim_pkt_src(p), session = sim_pkt_session(p);
    const unsigned char *body;
    unsigned char ack[8];
    size_t len;
    int prev;
    cry_key k;
    pk_node *n = &D->b.node[v];
    sim_time due0 = n->cpu_due;
    hg *h;

    if (sim_pkt_key_name(p) != GNAME(g) || g >= D->n_grp ||
        D->grp[g].owner != from ||
        !(k = session_key(D, v, g, session, &prev)) ||
        !(body = pk_msg_open(&D->b, v, p, k, &len)) || len != 8 ||
        sim_get32(body) != g || sim_get32(body + 4) != session + 1) {
        reject(D, v, p);
        return;
    }
    h = dp_hg_find(D, v, g);
    if (prev)
        duplicate(D, v, p);              /* applied already: ack again */
    else
        dp_update_key(D, v, g);
    dp_put32(ack, g);
    dp_put32(ack + 4, sim_pkt_seq(p));
    dp_count_msg(D, M_UPDATE_ACK);
    p = pk_msg(&D->b, v, from, M_UPDATE_ACK, ack, sizeof ack,
               h->val[V_K], GNAME(g), h->session);
    if (!prev) {    /* open + 2 hashes + XOR + seal: the parallel part */
        h->upd_cpu = n->cpu_due - due0;
        h->upd_session = h->session;
        pk_count(&D->b, D->m_update_cpu, sim_time_to_s(h->upd_cpu));
    }
    p->mark = dp_ack_mark(h, h->session);
    pk_send(&D->b, v, p);
}

static void on_update_ack(dp *D, uint32_t o, sim_pkt *p)
{
    uint32_t g = (uint32_t)(sim_pkt_key_name(p) & 0xffffffffu);
    mem *m = open_ack(D, o, p);
    if (m)
        dp_round_ack(D, g, m, p);
}

static void on_join(dp *D, uint32_t o, sim_pkt *p)
{
    uint32_t so = sim_pkt_src(p), g, node;
    const unsigned char *body;
    size_t len;
    mem *m;

    if (!pk_is_so(&D->b, so) || sim_pkt_key_name(p) != KN(KIND_PAIR, so) ||
        !(body = pk_msg_open(&D->b, o, p, dp_pair_key(D, o, so), &len)) ||
        len != 8 || (g = sim_get32(body)) >= D->n_grp ||
        D->grp[g].owner != o || (node = sim_get32(body + 4)) >= D->b.n_nodes ||
        dp_revoked(D, so) || dp_revoked(D, node)) {
        reject(D, o, p);
        return;
    }
    m = dp_mem_get(D, g, node);
    m->join_so = so;
    m->join_seq = sim_pkt_seq(p);
    if (m->state == MEM_READY)
        dp_answer_join(D, g, m);
    else if (m->state == MEM_NONE)
        dp_enrol(D, g, node);
}

static void on_join_ack(dp *D, uint32_t so, sim_pkt *p)
{
    uint32_t o = sim_pkt_src(p), node;
    const unsigned char *body;
    size_t len;

    if (sim_pkt_key_name(p) != KN(KIND_PAIR, so) ||
        o != D->grp[dp_group_of(D, so)].owner ||
        !(body = pk_msg_open(&D->b, so, p, dp_pair_key(D, so, so), &len)) ||
        len != 8) {
        reject(D, so, p);
        return;
    }
    node = sim_get32(body + 4);
    if (!pk_rtx_done(&D->b, so, sim_get32(body), NULL)) {
        duplicate(D, so, p);
        return;
    }
    if (node < D->b.n_nodes && pk_role(&D->b, node) == SCN_ROLE_SUBSCRIBER)
        dp_flush_pubq(D, so, node);
}

void dp_control(sim_world *w, void *ps, uint32_t v, sim_pkt *p)
{
    dp *D = ps;

    switch (pk_msg_type(p)) {
    case M_SEEDS: on_seeds(D, v, p); break;
    case M_SEEDS_ACK: on_seeds_ack(D, v, p); break;
    case M_UPDATE: on_update(D, v, p); break;
    case M_UPDATE_ACK: on_update_ack(D, v, p); break;
    case M_JOIN: on_join(D, v, p); break;
    case M_JOIN_ACK: on_join_ack(D, v, p); break;
    default: reject(D, v, p); break;
    }
    sim_pkt_free(w, p);
}

/* ------------------------------------------------------------------------
 * Data
 * ---------------------------------------------------------------------- */

int dp_protect(sim_world *w, void *ps, uint32_t src, uint32_t dst,
               sim_pkt *p)
{
    dp *D = ps;
    uint32_t g;
    hg *h;
    (void)w;

    /* src's own role, from its node slot (hg_get below reads the same
     * line): a publish when it is an SO. */
    if (D->hg1[src].role == SCN_ROLE_SO) {   /* a publish */
        pubq *q;
        if (dp_revoked(D, dst)) {               /* never to a revoked node */
            pk_count(&D->b, D->m_dropped, 1);
            return -1;
        }
        q = dp_pubq_get(D, src, dst);
        g = dp_group_of(D, src);
        if (q->ready) {
            dp_send_sealed(D, src, g, p);
            return 1;
        }
        if (pk_queue_push(&q->q, p) != 0) {
            pk_count(&D->b, D->m_dropped, 1);
            return -1;
        }
        if (!q->asked) {
            q->asked = 1;
            dp_need_member(D, src, dst);
        }
        return 1;
    }
    g = dp_group_of(D, dst);
    h = dp_hg_get(D, src, g);
    if (h->session) {
        dp_send_sealed(D, src, g, p);
        return 1;
    }
    if (pk_queue_push(&h->pend, p) != 0) {
        pk_count(&D->b, D->m_dropped, 1);
        return -1;
    }
    return 1;
}

int dp_unprotect(sim_world *w, void *ps, uint32_t v, sim_pkt *p)
{
    dp *D = ps;
    uint64_t name = sim_pkt_key_name(p);
    uint32_t g = (uint32_t)(name & 0xffffffffu), session = sim_pkt_session(p);
    uint32_t from = sim_pkt_src(p);
    int prev;
    cry_key k;

    if (!(sim_pkt_flags(p) & (SIM_F_CTL_SEALED | SIM_F_DATA_SEALED)) &&
        !sim_world_so_knows(w, v, from) &&
        pk_role(&D->b, from) == SCN_ROLE_SOURCE) {
        /* Data of a source that never registers (traffic.anonymous):
         * accepted, unprotected, counted apart (as Dini does). */
        pk_count(&D->b, D->m_unprotected, 1);
        return 0;
    }
    if (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED) || name != GNAME(g) ||
        g >= D->n_grp || dp_revoked(D, from)) {
        reject(D, v, p);
        return -1;
    }
    k = session_key(D, v, g, session, &prev);
    if (!k) {
        pk_count(&D->b, D->m_stale, 1);      /* older than the previous */
        return -1;
    }
    if ((D->o->per_hop_mac && !pk_hop_open(&D->b, v, p, k, 0)) ||
        pk_open_data(&D->b, v, p, k) != 0) {
        reject(D, v, p);
        return -1;
    }
    D->b.node[v].cpu_due = 0;  /* the SO's service time covers it */
    if (D->o->replay_window &&        /* kmsim extension: defences */
        pk_replays_check_pkt(&D->b, &D->rp, v, p, session) != 0) {
        pk_count(&D->b, D->m_replayed, 1);
        return -1;
    }
    pk_count(&D->b, prev ? D->m_prev
                         : D->hg1[v].role == SCN_ROLE_SUBSCRIBER
                               ? D->m_pub_opened : D->m_opened, 1);
    return 0;
}

/* per_hop_mac: a relay holding group g's key of the header's session
 * verifies the header's MAC under it and MACs it again; others pass the
 * message on as it is. */
int dp_forward(sim_world *w, void *ps, uint32_t v, sim_pkt *p)
{
    dp *D = ps;
    uint64_t name = sim_pkt_key_name(p);
    uint32_t g = (uint32_t)(name & 0xffffffffu);
    cry_key k;
    int prev;
    (void)w;

    if (!D->o->per_hop_mac || !pk_hop_covered(p) || name != GNAME(g) ||
        g >= D->n_grp ||
        !(k = session_key(D, v, g, sim_pkt_session(p), &prev)))
        return 0;
    return pk_hop_relay(&D->b, v, p, k, 0, 0);
}

/* ------------------------------------------------------------------------
 * Registration, moves
 * ---------------------------------------------------------------------- */

void dp_register_so(sim_world *w, void *ps, uint32_t so, uint32_t src)
{
    (void)w;
    dp_need_member(ps, so, src);
}

void dp_on_move(sim_world *w, void *ps, uint32_t s, uint32_t old_so,
                uint32_t new_so)
{
    dp *D = ps;
    (void)old_so;
    /* Distributed: the new SO's group has other seeds; it enrols the
     * source (data wait for them).  Central: one group, nothing to do.
     * The move is told to the new SO (the middleware's registration of
     * the source there), which then acts from its own tables: a named
     * hand-over (locality check, test build). */
    if (!D->o->central && sim_world_is_registered(w, s)) {
        sim_world_act_as(w, new_so, "dipietro: the new SO told of a move");
        dp_need_member(D, new_so, s);
        sim_world_act_end(w);
    }
}

/* ------------------------------------------------------------------------
 * The adversary (atk_hooks.h; see the top of the file)
 * ---------------------------------------------------------------------- */

static int dp_atk_map(void *ps, uint32_t holder, uint64_t name,
                      atk_kind *kind, uint64_t *label, uint64_t *aux)
{
    dp *D = ps;
    uint32_t x = (uint32_t)(name & 0xffffffffu), s;
    int kn = (int)(name >> 56);
    hg *h;

    if (kn == KIND_DEV || kn == KIND_PAIR) {   /* header name = table name */
        *kind = ATK_KEY;
        *label = name;
        *aux = 0;
        return 0;
    }
    h = dp_hg_find(D, holder, x);
    if (!h || (s = h->session) == 0)
        return -1;
    switch (kn) {
    case KIND_A: *kind = ATK_MATERIAL; *label = AMAT(x); *aux = s; break;
    case KIND_B: *kind = ATK_MATERIAL; *label = BMAT(x); *aux = s; break;
    case KIND_K: *kind = ATK_KEY; *label = GNAME(x); *aux = s; break;
    case KIND_OLD: *kind = ATK_KEY; *label = GNAME(x); *aux = s - 1; break;
    case KIND_APREV: *kind = ATK_MATERIAL; *label = AMAT(x); *aux = s - 1;
        break;
    case KIND_BPREV: *kind = ATK_MATERIAL; *label = BMAT(x); *aux = s - 1;
        break;
    default: return -1;
    }
    return 0;
}

/* Everything node holds: per group its current and previous key, its
 * chain positions (an owner's previous ones too), its device key (an
 * owner with sealed seeds: its members' too), backbone keys. */
static int held_cmp(const void *x, const void *y)
{
    uint64_t a = ((const pk_held *)x)->name, b = ((const pk_held *)y)->name;
    return a < b ? -1 : a > b;
}

/* Adds to l[*n] every value h (node's membership) holds, named as the
 * (holder, name) table would: KN(kind, group). */
static void held_vals(const hg *h, uint32_t node, pk_held *l, size_t *n)
{
    for (int i = 0; i < V_COUNT; i++)
        if (h->val[i]) {
            l[*n].holder = node;
            l[*n].name = KN(V_KIND(i), h->g);
            l[*n].key = h->val[i];
            (*n)++;
        }
}

/* As pk_atk_capture over the node's whole holding: its table keys
 * (device, backbone) and the values of its memberships, in name order. */
void dp_atk_capture(sim_world *w, void *ps, uint32_t node,
                    atk_kb *kb)
{
    dp *D = ps;
    pk_held *t, *l;
    kmap_slot *x = NULL;
    size_t nt, nx = 0, n;
    (void)w;

    if (node >= D->b.n_nodes)
        return;
    nt = pk_keys_held(&D->b, node, &t);
    if (D->hg1[node].g != HG_FREE)
        nx = kmap_list(&dp_pt_of(D, node)->hgmap, node, &x);
    l = xcalloc(nt + (1 + nx) * V_COUNT, sizeof *l);
    n = nt;
    if (nt)
        memcpy(l, t, nt * sizeof *l);
    if (D->hg1[node].g != HG_FREE)
        held_vals(&D->hg1[node], node, l, &n);
    for (size_t i = 0; i < nx; i++)
        held_vals(&dp_pt_of(D, node)->hgx[x[i].v], node, l, &n);
    qsort(l, n, sizeof *l, held_cmp);
    for (size_t i = 0; i < n; i++) {
        atk_kind kind;
        uint64_t label, aux;
        if (dp_atk_map(D, node, l[i].name, &kind, &label, &aux) == 0)
            atk_kb_add(kb, kind, label, aux, D->b.ks, l[i].key);
    }
    free(l);
    free(x);
    free(t);
}

/* A group's current session key, as its owner holds it. */
int64_t dp_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                    uint64_t (*draw)(void *ctx, uint64_t n), void *ctx)
{
    dp *D = ps;
    uint32_t g;
    cry_key k;
    (void)w;

    if (D->n_grp == 0)
        return -1;
    g = (uint32_t)draw(ctx, D->n_grp);
    if (g >= D->n_grp ||
        !(k = dp_val_get(D, D->grp[g].owner, g, V_K)))
        return -1;
    atk_kb_add(kb, ATK_KEY, GNAME(g), D->grp[g].session, D->b.ks, k);
    return g;
}

/* A leak: group id's owner starts an update round now (the leaked key is
 * of one session).  A capture: node id is revoked and every group it
 * belongs to re-seeded without it (reseed()); nothing when it owns a
 * group.  Returns the members told. */
long dp_atk_react(sim_world *w, void *ps, int what, uint64_t id)
{
    dp *D = ps;
    long told = 0;
    (void)w;                     /* the locality check's only (test build) */

    if (!D->o->capture_reaction)     /* as published: no reaction */
        return 0;
    /* The detection is noticed by the SOs, each of which acts from its
     * own state (locality check: the group's owner is the actor). */
    if (what == ATK_REACT_LEAK) {
        if (id >= D->n_grp)
            return 0;
        sim_world_act_as(w, D->grp[id].owner, "leak detected");
        told = (long)D->grp[id].n_members;
        dp_rekey_round(D, (uint32_t)id);
        sim_world_act_end(w);
        return told;
    }
    if (what != ATK_REACT_CAPTURE || id >= D->b.n_nodes ||
        (D->revoked && D->revoked[id]))  /* told already */
        return 0;
    for (uint32_t g = 0; g < D->n_grp; g++)
        if (D->grp[g].owner == id)
            return 0;                    /* the seeds' origin itself */
    if (!D->revoked)
        D->revoked = xcalloc(D->b.n_nodes, 1);
    D->revoked[id] = 1;
    /* Every group x was ever enrolled in (its owner's member table; a
     * node holds a session of g only after the owner's SEEDS). */
    for (uint32_t g = 0; g < D->n_grp; g++) {
        sim_world_act_as(w, D->grp[g].owner, "capture detected");
        if (dp_mem_find(D, g, (uint32_t)id))
            told += dp_reseed(D, g, (uint32_t)id);
        sim_world_act_end(w);
    }
    return told;
}

/* The chain positions a SEEDS message carries (it was read: in clear, or
 * opened under a device or backbone key the attacker holds).  No other
 * message carries key material (UPDATE: a session number; JOIN and the
 * acks: identifiers).  Any bytes: everything is bounds-checked. */
void dp_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                  const sim_pkt *p, int part, const unsigned char *pt,
                  size_t len)
{
    dp *D = ps;
    uint32_t q = D->o->qbytes, g, i;
    (void)w;

    if (part != 1 || !pt || sim_pkt_type_of(p) != SIM_PKT_CONTROL ||
        len != 1 + 8 + 2 * (size_t)q || pt[0] != M_SEEDS)
        return;
    g = sim_get32(pt + 1);
    i = sim_get32(pt + 5);
    if (g >= D->n_grp || i == 0)
        return;
    atk_kb_add_bytes(kb, ATK_MATERIAL, AMAT(g), i - 1, pt + 9, q);
    atk_kb_add_bytes(kb, ATK_MATERIAL, BMAT(g), i - 1, pt + 9 + q, q);
}

/* Adds k_j of group g from every pair of chain positions (a_i, b_i) of
 * equal position i <= j the attacker holds: H^{j-i}(a_i) XOR G^{j-i}(b_i)
 * in its own store (operations in ops, NULL: not counted).  A pair from
 * two different chains (after a re-seeding) gives a useless key, tried
 * in vain.  Done again for (g, j) only when material was learned since. */
static void derive_session(dp *D, atk_kb *kb, uint32_t g, uint32_t j,
                           cry_ops *ops)
{
    uint32_t q = D->o->qbytes;
    uint64_t nmat = atk_kb_count_kind(kb, ATK_MATERIAL), *done;
    unsigned char a[CRY_KEY_BYTES], b[CRY_KEY_BYTES], k[CRY_KEY_BYTES];

    if (D->atk_memo_kb != kb) {
        kmap_deinit(&D->atk_memo);
        kmap_init(&D->atk_memo);
        D->atk_memo_kb = kb;
    }
    done = kmap_get(&D->atk_memo, g, j);
    if (done && *done == nmat)
        return;
    for (size_t ia = atk_kb_find(kb, ATK_MATERIAL, AMAT(g)); ia != ATK_NONE;
         ia = atk_kb_next(kb, ia)) {
        uint64_t i = atk_kb_aux(kb, ia);
        if (i > j)
            continue;
        for (size_t ib = atk_kb_find(kb, ATK_MATERIAL, BMAT(g));
             ib != ATK_NONE; ib = atk_kb_next(kb, ib)) {
            if (atk_kb_aux(kb, ib) != i)
                continue;
            atk_kb_export(kb, ia, a);
            atk_kb_export(kb, ib, b);
            dp_chain_key(k, a, b, q, (uint32_t)(j - i), ops);
            atk_kb_add_bytes(kb, ATK_KEY, GNAME(g), j, k, q);
        }
    }
    cry_wipe(a, sizeof a);
    cry_wipe(b, sizeof b);
    cry_wipe(k, sizeof k);
    kmap_put(&D->atk_memo, g, j, nmat);
}

/* A message of group g with session j: its key from the chain positions
 * held.  Sessions above the group's current one have no key (the session
 * number crosses in clear in every header, so an eavesdropper knows how
 * far the chain has gone; the bound keeps a forged header from costing
 * 2^32 hashes). */
void dp_atk_derive(sim_world *w, void *ps, atk_kb *kb,
                   const sim_pkt *p, uint32_t from, uint32_t to)
{
    dp *D = ps;
    uint64_t name = sim_pkt_key_name(p);
    uint32_t g = (uint32_t)(name & 0xffffffffu), j = sim_pkt_session(p);
    (void)w; (void)from; (void)to;

    if (name != GNAME(g) || g >= D->n_grp || j == 0 ||
        j > D->grp[g].session)
        return;
    derive_session(D, kb, g, j, atk_kb_ops(kb));
}

/* Links: every member of a group with a current key, with the group's
 * owner; exposed when the attacker holds or can derive that key (the
 * derivation for this count is not counted as the attacker's work). */
void dp_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                     atk_exposure *out)
{
    dp *D = ps;
    (void)w;

    memset(out, 0, sizeof *out);
    for (uint32_t g = 0; g < D->n_grp; g++) {
        grp *G = &D->grp[g];
        for (size_t i = 0; i < G->n_members; i++) {
            uint32_t v = dp_mems(D, g)[G->members[i]].node;
            hg *h = dp_hg_find(D, v, g);
            cry_key k = h ? h->val[V_K] : 0;
            int clean, held;
            if (!h || !h->session || !k)
                continue;
            held = atk_kb_holds(kb, GNAME(g), D->b.ks, k);
            if (!held) {
                derive_session(D, kb, g, h->session, NULL);
                held = atk_kb_holds(kb, GNAME(g), D->b.ks, k);
            }
            clean = !atk_kb_captured(kb, v) && !atk_kb_captured(kb, G->owner);
            out->links++;
            out->exposed += held;
            out->links_clean += clean;
            out->exposed_clean += clean && held;
        }
    }
}

/* A well-formed forgery (atk_hooks.h atk_forge): data as seal_for makes it —
 * the group's header name and session (the entry's label and aux), the
 * data part under the group key and, with per_hop_mac, the control part
 * MACed under the same key as sent by the transmitting node.  Only group
 * keys (GNAME) carry data.
 *
 * ATK_FORGE_REKEY: send_update's updateSession, [g][j + 1] sealed under
 * k_j (the entry, session j) "from" the group's owner to a member (dst, or
 * the first member holding session j as its current one, else one holding
 * it as its previous one).  The paper's command carries no key material
 * and on_update demands exactly the next session: a holder of k_j can only
 * push a member one chain step ahead of its owner (it then refuses the
 * group's data of session j + 1 from sources the owner has not moved yet
 * and its ack is refused by the owner, until the owner's own next round
 * catches up), never pick the session nor a key.  A member one session
 * past j takes it as a repeat (refused, acked again).
 *
 * ATK_FORGE_INVAL: the paper has no revocation (seed 001 §5.3); its
 * re-seed is enrol's SEEDS, [g][i][a_{i-1}][b_{i-1}], in clear as
 * published (forgeable with no key at all: nothing to build here) or,
 * with seeds: sealed, under the member's device key (the entry, name
 * KN(KIND_DEV, x): a captured node's own, or an owner's copies), "from"
 * the owner of dst's SO's group to dst.  The attacker's positions are
 * random and its session ATK_DP_SESSION: on_seeds takes any session above
 * the member's (no bound), so the member x == dst jumps onto a chain of
 * the attacker's choice; at that session again it is a repeat, and sent
 * to any other node it does not open: refused. */
#define ATK_DP_SESSION (1u << 20)
static sim_pkt *dp_forge_seeds(sim_world *w, dp *D, atk_kb *kb,
                               const atk_forge_req *rq);
sim_pkt *dp_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                      const atk_forge_req *rq)
{
    dp *D = ps;
    uint64_t name;
    uint32_t g, j;

    if (rq->key >= atk_kb_count(kb) || atk_kb_kind(kb, rq->key) != ATK_KEY)
        return NULL;
    if (rq->what == ATK_FORGE_INVAL)
        return dp_forge_seeds(w, D, kb, rq);
    name = atk_kb_label(kb, rq->key);
    g = (uint32_t)(name & 0xffffffffu);
    if (name != GNAME(g) || g >= D->n_grp)
        return NULL;
    j = (uint32_t)atk_kb_aux(kb, rq->key);
    if (rq->what == ATK_FORGE_DATA)
        return atk_kb_forge_data(w, kb, rq, name, j,
                                 D->o->per_hop_mac ? rq->key : ATK_NONE,
                                 D->o->per_hop_mac ? rq->sender : rq->src);
    if (rq->what == ATK_FORGE_REKEY && j > 0) {
        grp *G = &D->grp[g];
        atk_forge_req r = *rq;
        unsigned char body[8];
        if (r.dst == SIM_NONE)         /* a holder of k_j (as netkey's) */
            for (int pass = 0; pass < 2 && r.dst == SIM_NONE; pass++)
                for (size_t i = 0; i < G->n_members && r.dst == SIM_NONE;
                     i++) {
                    uint32_t v = dp_mems(D, g)[G->members[i]].node;
                    const hg *h = dp_hg_find(D, v, g);
                    if (v != G->owner && h &&
                        h->session == (pass ? j + 1 : j))
                        r.dst = v;
                }
        if (r.dst == SIM_NONE || r.dst >= D->b.n_nodes || r.dst == G->owner)
            return NULL;
        r.src = G->owner;
        dp_put32(body, g);
        dp_put32(body + 4, j + 1);
        return atk_kb_forge_ctl(w, kb, &r, M_UPDATE, body, sizeof body,
                                name, j);
    }
    return NULL;
}

static sim_pkt *dp_forge_seeds(sim_world *w, dp *D, atk_kb *kb,
                               const atk_forge_req *rq)
{
    uint64_t name = atk_kb_label(kb, rq->key);
    uint32_t q = D->o->qbytes, g;
    unsigned char body[8 + 2 * CRY_KEY_BYTES];
    atk_forge_req r = *rq;
    sim_pkt *p;

    if (rq->key >= atk_kb_count(kb) || atk_kb_kind(kb, rq->key) != ATK_KEY ||
        !D->o->sealed || name >> 56 != KIND_DEV || rq->dst == SIM_NONE ||
        rq->dst >= D->b.n_nodes || rq->src >= D->b.n_nodes ||
        !pk_is_so(&D->b, rq->src) || pk_is_so(&D->b, rq->dst))
        return NULL;
    g = dp_group_of(D, rq->src);
    if (g >= D->n_grp)
        return NULL;
    r.src = D->grp[g].owner;
    dp_put32(body, g);
    dp_put32(body + 4, ATK_DP_SESSION);
    for (int i = 0; i < 2; i++) {   /* positions of the attacker's own */
        cry_keystore *aks = atk_kb_store(kb);
        cry_key k = cry_key_generate(aks, (uint64_t)(4 + i) << 48 | r.dst,
                                     rq->seq, atk_kb_ops(kb));
        unsigned char v[CRY_KEY_BYTES];
        cry_key_export(aks, k, v);
        memcpy(body + 8 + (size_t)i * q, v, q);
        cry_wipe(v, sizeof v);
        cry_key_free(aks, k);
    }
    p = atk_kb_forge_ctl(w, kb, &r, M_SEEDS, body, 8 + 2 * q, name,
                         ATK_DP_SESSION);
    cry_wipe(body, sizeof body);
    return p;
}
