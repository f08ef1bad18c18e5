/* dipietro.c — KeEs, the session-key scheme of Di Pietro et al. as
 * integrated in smart objects (seed 001 §4.2, Algorithms 2–3; DESIGN.md
 * §2.2).
 *
 * Groups.  A group is the set of nodes that share one session key: in the
 * distributed variant (seed 001's choice, the default) each SO owns a group
 * of the sources registered with it; in the central variant the first SO
 * owns one group of every source and every other SO.  The owner draws two
 * seeds a_0 = S1, b_0 = S2 of q bits.  Session i (from 1) has the chain
 * positions a_i = H(a_{i-1}), b_i = G(b_{i-1}) (H and G: BLAKE2b with two
 * personalisations, truncated to q bits) and the key k_i = a_i XOR b_i, so
 * k_i = H^i(S1) XOR G^i(S2): the chains advance at every update (the seed's
 * pseudocode recomputes H(S1) each time; that slip is not copied).  Every
 * member keeps a_i, b_i, k_i and k_{i-1} (2 seeds + 2 keys, seed 001 §5.1);
 * an SO also keeps a_{i-1}, b_{i-1} to enrol newcomers.
 *
 * Enrolment (registration).  The owner sends SEEDS = (group, i, a_{i-1},
 * b_{i-1}) — in clear by default, as published, or sealed under the
 * member's device key (option seeds: sealed).  At session 1 these are S1,
 * S2 themselves, so the member runs Algorithm 2's initialisation (2 hashes
 * and 1 XOR); it acknowledges under k_i.  In the central variant an SO
 * that is not the owner asks the owner to enrol (JOIN, sealed under their
 * backbone key).  Publishes to a subscriber wait until the subscriber has
 * been enrolled in the publishing SO's group.
 *
 * Re-keying.  Only owners start it (sources never do): every rekey_every
 * and at each rekey_at the owner moves to session i+1 and sends every
 * member an updateSession command sealed under k_i; the member opens it,
 * keeps k_i as the previous key, advances the chains (Algorithm 3) and
 * acknowledges under k_{i+1}.  A member that missed an update (its acks
 * never came) is enrolled again with the current positions.
 *
 * Data.  A source seals its data under its current key, tagged with the
 * session number; the receiver opens a message of its current session with
 * k, of the previous session with the previous key (Algorithm 2), and
 * refuses older ones; a replay window per sender and session refuses a
 * message accepted before.  Relays pass data on as they are; with
 * per_hop_mac (kmsim extension, pk.h) the header is also MACed under the
 * session key, and every relay that holds that group's key of that
 * session verifies and re-MACs it (others, e.g. members of another group,
 * pass it on: the next holder checks it).
 *
 * Execution time (seed 001 eq. 1, T(s, z) = Tseq + Tc(z)/s + T0(s)): the
 * owner's work per round is sequential (dipietro.round.seq: its update and
 * the sealing of one command per member), each member's update runs in
 * parallel with the others (dipietro.update.cpu: open, 2 hashes, 1 XOR,
 * seal of the ack), and no message is exchanged between sources.
 *
 * The adversary (atk_hooks.h).  Group g's data, commands and
 * acks carry the header key name GNAME(g) and the session of their key:
 * the attacker's keys are labelled so, aux = session.  Chain positions are
 * material labelled AMAT(g) / BMAT(g) with aux = their position i (the
 * session whose key they give unhashed: k_i = a_i XOR b_i; a SEEDS
 * message of session i carries positions i - 1).  atk_learn takes the
 * positions out of every SEEDS it reads — all of them when the seeds
 * cross in clear (the published weakness), none when they are sealed
 * under a device key the attacker lacks; atk_derive computes k_j =
 * H^{j-i}(a_i) XOR G^{j-i}(b_i) from every pair it holds with i <= j.  A
 * leak of a group's session key is answered by an update round (the
 * command is sealed under the leaked key but carries no key material, and
 * k_{i+1} needs the chain positions).  A capture is answered by
 * re-seeding every group the node belongs to without it: it is revoked
 * (never enrolled, served or answered again), its group's owner draws
 * fresh seeds and enrols every other member again at session i + 2 with
 * them, so no one keeps the compromised k_i as a previous key (data still
 * sealed under it, in flight or forged, are refused as stale) and the
 * captured chain positions give nothing for the sessions that follow.
 * With seeds in clear the re-seeding crosses the links in clear too: an
 * eavesdropper of it learns the new seeds as well — the reaction only
 * helps against an attacker who does not listen to enrolments.  A
 * captured owner cannot be re-seeded around (it draws the seeds): no
 * reaction then. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include "proto.h"
#include "scn_map.h"
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
 * Options
 * ---------------------------------------------------------------------- */

static int dp_opts_parse(scn_map *m, void **out)
{
    static const char *const seeds_names[] = {"clear", "sealed", NULL};
    static const char *const sync_names[] = {"distributed", "central", NULL};
    /* q in bits: the seed and key length (seed 001 uses 8-byte keys). */
    static const char *const q_names[] = {"64", "96", "128", "160", "192",
                                          "224", "256", NULL};
    dp_opts *o = xcalloc(1, sizeof *o);
    int64_t rmax;
    int qi;

    scn_map_mark(m, "rekey_every", 0, &o->rekey_mark);
    if (scn_map_enum(m, "q", q_names, 0, 6, &qi) ||
        /* defences: as_published -> clear (Algorithm 2), hardened ->
         * sealed under the device key (kmsim extension) */
        scn_map_enum(m, "seeds", seeds_names, 0,
                     scn_map_defences(m) == SCN_DEF_HARDENED, &o->sealed) ||
        scn_map_defence(m, "replay_window", 0, 1, &o->replay_window) ||
        scn_map_defence(m, "capture_reaction", 0, 1,
                        &o->capture_reaction) ||
        scn_map_enum(m, "sync", sync_names, 0, 0, &o->central) ||
        scn_map_time(m, "rekey_every", 0, 0, 0, SCN_MAX_DURATION,
                     &o->rekey_every) ||
        scn_map_times(m, "rekey_at", 1024, SIM_NS, SCN_MAX_DURATION,
                      &o->rekey_at, &o->n_rekey_at) ||
        scn_map_rekey_rounds(m, o->rekey_every, o->rekey_at, o->n_rekey_at) ||
        scn_map_time(m, "retransmit_after", 0, SIM_S, 0, 3600 * SIM_S,
                     &o->rtx_after) ||
        scn_map_int(m, "retransmit_max", 0, 4, 0, 16, &rmax) ||
        pk_per_hop_mac_parse(m, &o->per_hop_mac) ||
        scn_map_done(m))
        goto fail;
    o->qbytes = (uint32_t)(8 + 4 * qi);
    o->rtx_max = (uint32_t)rmax;
    *out = o;
    return 0;
fail:
    free(o->rekey_at);
    free(o);
    return -1;
}

static void dp_opts_free(void *o)
{
    if (o)
        free(((dp_opts *)o)->rekey_at);
    free(o);
}

/* ------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------- */

/* The per-partition tables of node v's partition. */
dp_part *dp_pt_of(const dp *D, uint32_t v)
{
    return (dp_part *)&D->pt[pk_part(&D->b, v)];
}

/* The same, about to be written by an event (test build: checked). */
static dp_part *pt_w(dp *D, uint32_t v, const char *what)
{
    (void)what;                 /* the normal build checks nothing */
    pk_part_write(&D->b, pk_part(&D->b, v), what);
    return &D->pt[pk_part(&D->b, v)];
}

/* The member table of group g: its owner's partition's. */
mem *dp_mems(const dp *D, uint32_t g)
{
    return dp_pt_of(D, D->grp[g].owner)->mem;
}

uint32_t dp_group_of(const dp *D, uint32_t so)
{
    return D->o->central ? 0 : D->b.so_ord[so];
}

/* The revocation list every SO and subscriber was told at a detection
 * (one copy: they are equal); sources never read it (locality check,
 * test build). */
int dp_revoked(const dp *D, uint32_t node)
{
#ifdef KMSIM_LOCALITY
    uint32_t a = sim_world_actor(D->b.w);
    sim_world_local(D->b.w,
                    a < D->b.n_nodes && pk_role(&D->b, a) != SCN_ROLE_SOURCE
                        ? a : SIM_HOLDER_ALL,
                    "dipietro", "revocation list");
#endif
    return D->revoked && node < D->b.n_nodes && D->revoked[node];
}

/* node's membership of g, or NULL.  Its node slot first; the table of
 * further memberships only when the slot holds another group (a pointer
 * into hgx is valid until the next hg_get that adds one). */
hg *dp_hg_find(const dp *D, uint32_t node, uint32_t g)
{
    const dp_part *P;
    hg *h;
    uint64_t *v;

    if (node >= D->b.n_nodes || g == HG_FREE)
        return NULL;
    sim_world_local(D->b.w, node, NULL, "dipietro.hg");
    h = &D->hg1[node];
    if (h->g == g)
        return h;
    P = dp_pt_of(D, node);
    if (h->g == HG_FREE || P->hgmap.n == 0)
        return NULL;
    v = kmap_get(&P->hgmap, node, g);
    return v ? &P->hgx[*v] : NULL;
}

/* node's membership of g, made (not enrolled: session 0) if missing, in
 * its node slot when free.  node < n_nodes, g != HG_FREE. */
hg *dp_hg_get(dp *D, uint32_t node, uint32_t g)
{
    hg *h = dp_hg_find(D, node, g);
    uint8_t role;

    if (h)
        return h;
    h = &D->hg1[node];
    role = h->role;
    if (h->g != HG_FREE) {
        dp_part *P = pt_w(D, node, "dipietro.hg");
        if (P->n_hgx == P->cap_hgx) {
            P->cap_hgx = P->cap_hgx ? 2 * P->cap_hgx : 16;
            P->hgx = xreallocarray(P->hgx, P->cap_hgx, sizeof *P->hgx);
        }
        h = &P->hgx[P->n_hgx];
        kmap_put(&P->hgmap, node, g, P->n_hgx++);
    }
    memset(h, 0, sizeof *h);
    h->g = g;
    if (h == &D->hg1[node])
        h->role = role;
    return h;
}

/* A group's member table is its owner SO's (locality check). */
mem *dp_mem_find(const dp *D, uint32_t g, uint32_t node)
{
    uint64_t *v;

    const dp_part *P = dp_pt_of(D, D->grp[g].owner);

    sim_world_local(D->b.w, D->grp[g].owner, "dipietro", "mem_find");
    v = kmap_get(&P->memmap, g, node);
    return v ? &P->mem[*v] : NULL;
}

mem *dp_mem_get(dp *D, uint32_t g, uint32_t node)
{
    mem *m = dp_mem_find(D, g, node);
    grp *G = &D->grp[g];
    dp_part *P;
    if (m)
        return m;
    P = pt_w(D, G->owner, "dipietro.mem");
    if (P->n_mem == P->cap_mem) {
        P->cap_mem = P->cap_mem ? 2 * P->cap_mem : 64;
        P->mem = xreallocarray(P->mem, P->cap_mem, sizeof *P->mem);
    }
    if (G->n_members == G->cap_members) {
        G->cap_members = G->cap_members ? 2 * G->cap_members : 16;
        G->members = xreallocarray(G->members, G->cap_members,
                                   sizeof *G->members);
    }
    G->members[G->n_members++] = (uint32_t)P->n_mem;
    m = &P->mem[P->n_mem];
    memset(m, 0, sizeof *m);
    m->node = node;
    m->join_so = UINT32_MAX;
    kmap_put(&P->memmap, g, node, P->n_mem++);
    return m;
}

pubq *dp_pubq_get(dp *D, uint32_t so, uint32_t sub)
{
    dp_part *P = pt_w(D, so, "dipietro.pubq");
    uint64_t *v = kmap_get(&P->pubqmap, so, sub);
    pubq *q;
    if (v)
        return &P->pubq[*v];
    if (P->n_pubq == P->cap_pubq) {
        P->cap_pubq = P->cap_pubq ? 2 * P->cap_pubq : 16;
        P->pubq = xreallocarray(P->pubq, P->cap_pubq, sizeof *P->pubq);
    }
    q = &P->pubq[P->n_pubq];
    memset(q, 0, sizeof *q);
    kmap_put(&P->pubqmap, so, sub, P->n_pubq++);
    return q;
}

/* Values of q bits held by node v in its membership h (kinds A..BPREV,
 * slot i = V_*): h holds k there now (a value it held there is wiped).
 * nvals counts v's slots in use (storage). */
static void val_put(dp *D, uint32_t v, hg *h, int i, cry_key k)
{
    if (h->val[i])
        cry_key_free(D->b.ks, h->val[i]);    /* wiped */
    else
        pk_tally_add(&D->nvals, v, 1);
    h->val[i] = k;
}

static void val_del(dp *D, uint32_t v, hg *h, int i)
{
    if (!h->val[i])
        return;
    cry_key_free(D->b.ks, h->val[i]);        /* wiped */
    h->val[i] = 0;
    pk_tally_add(&D->nvals, v, -1);
}

/* Moves h's value in slot `from` to slot `to` (no copy of the value). */
static void val_rename(dp *D, uint32_t v, hg *h, int from, int to)
{
    cry_key k = h->val[from];
    if (!k)
        return;
    h->val[from] = 0;
    pk_tally_add(&D->nvals, v, -1);
    val_put(D, v, h, to, k);
}

/* The value of kind i node v holds for group g, or 0. */
cry_key dp_val_get(const dp *D, uint32_t v, uint32_t g, int i)
{
    const hg *h = dp_hg_find(D, v, g);
    return h ? h->val[i] : 0;
}

static cry_key dev_key(dp *D, uint32_t holder, uint32_t node)
{
    cry_key k = pk_key(&D->b, holder, KN(KIND_DEV, node));
    if (!k) {
        k = pk_key_generate(&D->b, holder, STREAM_DEV, node, NULL);
        pk_key_put(&D->b, holder, KN(KIND_DEV, node), k);
    }
    return k;
}

/* The backbone key of the central owner and SO x, held by `holder` (one
 * of the two; each seals as itself). */
cry_key dp_pair_key(dp *D, uint32_t holder, uint32_t x)
{
    cry_key k = pk_key(&D->b, holder, KN(KIND_PAIR, x));
    if (!k) {
        k = pk_key_generate(&D->b, holder, STREAM_PAIR, x, NULL);
        pk_key_put(&D->b, holder, KN(KIND_PAIR, x), k);
    }
    return k;
}

void dp_count_msg(dp *D, int type)
{
    pk_count(&D->b, D->m_msgs[type], 1);
}

/* ------------------------------------------------------------------------
 * The chains (Algorithms 2 and 3)
 * ---------------------------------------------------------------------- */

/* out = H(in) or G(in) truncated to q bits (zero-padded to 32 bytes). */
static void chain_step(unsigned char out[CRY_KEY_BYTES],
                       const unsigned char *in, size_t qbytes, int g,
                       cry_ops *ops)
{
    unsigned char h[CRY_HG_BYTES];
    if (g)
        cry_G(h, in, qbytes, ops);
    else
        cry_H(h, in, qbytes, ops);
    memset(out, 0, CRY_KEY_BYTES);
    memcpy(out, h, qbytes);
    cry_wipe(h, sizeof h);
}

/* k = H^i(a0) XOR G^i(b0), operations counted in ops (may be NULL). */
void dp_chain_key(unsigned char *k, const unsigned char *a0,
                  const unsigned char *b0, size_t qbytes, uint32_t i,
                  cry_ops *ops)
{
    unsigned char a[CRY_KEY_BYTES], b[CRY_KEY_BYTES];

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memcpy(a, a0, qbytes);
    memcpy(b, b0, qbytes);
    for (uint32_t s = 0; s < i; s++) {
        chain_step(a, a, qbytes, 0, ops);
        chain_step(b, b, qbytes, 1, ops);
    }
    cry_xor(k, a, b, qbytes, ops);
    cry_wipe(a, sizeof a);
    cry_wipe(b, sizeof b);
}

void dipietro_chain_key(unsigned char *k, const unsigned char *a0,
                        const unsigned char *b0, size_t qbytes, uint32_t i)
{
    dp_chain_key(k, a0, b0, qbytes, i, NULL);
}

/* Node v moves its group-g state one session on from the positions
 * (a, b) of the session before: a' = H(a), b' = G(b), k = a' XOR b'
 * (2 hashes, 1 XOR, charged).  The key it held becomes the previous key
 * when `keep_old`, else is wiped.  An SO also keeps (a, b) to enrol
 * newcomers.  Wipes nothing of the caller's (a, b). */
void dp_chain_advance(dp *D, uint32_t v, uint32_t g,
                      const unsigned char *a, const unsigned char *b,
                      int keep_old)
{
    size_t q = D->o->qbytes;
    unsigned char na[CRY_KEY_BYTES], nb[CRY_KEY_BYTES], k[CRY_KEY_BYTES];
    cry_ops *ops = &D->b.ops[v];
    hg *h = dp_hg_get(D, v, g);   /* made here only at an owner's set-up */

    chain_step(na, a, q, 0, ops);
    chain_step(nb, b, q, 1, ops);
    memset(k, 0, sizeof k);
    cry_xor(k, na, nb, q, ops);
    pk_charge(&D->b, v, SCN_OP_HASH, q);
    pk_charge(&D->b, v, SCN_OP_HASH, q);
    pk_charge(&D->b, v, SCN_OP_XOR, q);
    if (D->grp[g].owner == v) {
        val_put(D, v, h, V_APREV, pk_key_import(&D->b, v, a));
        val_put(D, v, h, V_BPREV, pk_key_import(&D->b, v, b));
    }
    if (keep_old && h->val[V_K])
        val_rename(D, v, h, V_K, V_OLD);
    else
        val_del(D, v, h, V_OLD);
    val_put(D, v, h, V_A, pk_key_import(&D->b, v, na));
    val_put(D, v, h, V_B, pk_key_import(&D->b, v, nb));
    val_put(D, v, h, V_K, pk_key_import(&D->b, v, k));
    cry_wipe(na, sizeof na);
    cry_wipe(nb, sizeof nb);
    cry_wipe(k, sizeof k);
}

/* Algorithm 3 at node v: the next session from its own positions. */
void dp_update_key(dp *D, uint32_t v, uint32_t g)
{
    unsigned char a[CRY_KEY_BYTES], b[CRY_KEY_BYTES];
    hg *h = dp_hg_find(D, v, g);

    cry_key_export(D->b.ks, h->val[V_A], a);
    cry_key_export(D->b.ks, h->val[V_B], b);
    dp_chain_advance(D, v, g, a, b, 1);
    cry_wipe(a, sizeof a);
    cry_wipe(b, sizeof b);
    h->session++;
    h->has_old = 1;
}

/* ------------------------------------------------------------------------
 * Data waiting for a key
 * ---------------------------------------------------------------------- */

static int seal_for(dp *D, uint32_t src, uint32_t g, sim_pkt *p)
{
    hg *h = dp_hg_find(D, src, g);
    cry_key k = h->val[V_K];
    return pk_seal_data(&D->b, src, p, k, GNAME(g), h->session) != 0 ||
                   (D->o->per_hop_mac && pk_hop_seal(&D->b, src, p, k) != 0)
               ? -1 : 0;
}

/* Seals p under v's current key of g and sends it after v's CPU work. */
void dp_send_sealed(dp *D, uint32_t v, uint32_t g, sim_pkt *p)
{
    if (seal_for(D, v, g, p) != 0) {
        pk_count(&D->b, D->m_dropped, 1);
        sim_pkt_free(D->b.w, p);
        return;
    }
    pk_send(&D->b, v, p);
}

void dp_flush_member(dp *D, uint32_t v, uint32_t g)
{
    hg *h = dp_hg_find(D, v, g);
    sim_pkt *p;

    while ((p = pk_queue_pop(&h->pend)) != NULL)
        dp_send_sealed(D, v, g, p);
}

void dp_flush_pubq(dp *D, uint32_t so, uint32_t sub)
{
    pubq *q = dp_pubq_get(D, so, sub);
    sim_pkt *p;

    q->ready = 1;
    while ((p = pk_queue_pop(&q->q)) != NULL)
        dp_send_sealed(D, so, dp_group_of(D, so), p);
}

/* ------------------------------------------------------------------------
 * Enrolment
 * ---------------------------------------------------------------------- */

void dp_put32(unsigned char *b, uint32_t v) { sim_put32(b, v); }

/* The owner of g sends `node` its SEEDS: the positions before the current
 * session, in clear or sealed under node's device key (always sealed
 * between SOs: the backbone key). */
void dp_enrol(dp *D, uint32_t g, uint32_t node)
{
    grp *G = &D->grp[g];
    uint32_t o = G->owner, q = D->o->qbytes;
    mem *m;
    unsigned char body[8 + 2 * CRY_KEY_BYTES], v[CRY_KEY_BYTES];
    cry_key k = 0;
    uint64_t name = 0;
    sim_pkt *p;

    if (dp_revoked(D, node))
        return;
    m = dp_mem_get(D, g, node);
    dp_put32(body, g);
    dp_put32(body + 4, G->session);
    cry_key_export(D->b.ks, dp_val_get(D, o, g, V_APREV), v);
    memcpy(body + 8, v, q);
    cry_key_export(D->b.ks, dp_val_get(D, o, g, V_BPREV), v);
    memcpy(body + 8 + q, v, q);
    cry_wipe(v, sizeof v);
    if (pk_is_so(&D->b, node)) {
        k = dp_pair_key(D, o, node);
        name = KN(KIND_PAIR, node);
    } else if (D->o->sealed) {
        k = dev_key(D, o, node);
        name = KN(KIND_DEV, node);
    }
    p = pk_msg(&D->b, o, node, M_SEEDS, body, 8 + 2 * q, k, name,
               G->session);
    cry_wipe(body, sizeof body);
    m->state = MEM_ENROLLING;
    /* The member's key.setup is timed from the first SEEDS the owner sent
     * it: the time travels with every SEEDS as the packet's mark (a
     * metric; the member reads no state of the owner's). */
    if (!m->enrol_t)
        m->enrol_t = sim_world_now(D->b.w);
    p->mark = m->enrol_t;
    dp_count_msg(D, M_SEEDS);
    pk_rtx_send(&D->b, o, p, (uint32_t)(m - dp_mems(D, g)));
}

/* SO `so` needs `node` enrolled in its group: directly if it owns the
 * group, else through a JOIN to the owner (central variant). */
void dp_need_member(dp *D, uint32_t so, uint32_t node)
{
    uint32_t g = dp_group_of(D, so);
    grp *G = &D->grp[g];
    unsigned char body[8];
    sim_pkt *p;

    if (dp_revoked(D, node))
        return;
    if (G->owner == so) {
        mem *m = dp_mem_find(D, g, node);
        if (!m || m->state == MEM_NONE)
            dp_enrol(D, g, node);
        return;
    }
    dp_put32(body, g);
    dp_put32(body + 4, node);
    p = pk_msg(&D->b, so, G->owner, M_JOIN, body, sizeof body,
               dp_pair_key(D, so, so), KN(KIND_PAIR, so), 0);
    dp_count_msg(D, M_JOIN);
    pk_rtx_send(&D->b, so, p, node);
}

void dp_answer_join(dp *D, uint32_t g, mem *m)
{
    unsigned char body[8];
    uint32_t o = D->grp[g].owner, so = m->join_so;
    sim_pkt *p;

    if (so == UINT32_MAX)
        return;
    dp_put32(body, m->join_seq);
    dp_put32(body + 4, m->node);
    p = pk_msg(&D->b, o, so, M_JOIN_ACK, body, sizeof body,
               dp_pair_key(D, o, so), KN(KIND_PAIR, so), 0);
    dp_count_msg(D, M_JOIN_ACK);
    pk_send(&D->b, o, p);
    m->join_so = UINT32_MAX;
}

/* ------------------------------------------------------------------------
 * Re-keying rounds
 * ---------------------------------------------------------------------- */

/* The mark of a member's ack of `session` (SEEDS_ACK, UPDATE_ACK): its
 * CPU for its update to that session (the parallel part of T(s, z)), 0
 * if it made none; the owner's round_ack reads it. */
sim_time dp_ack_mark(const hg *h, uint32_t session)
{
    return h->upd_session == session ? h->upd_cpu : 0;
}

/* The member's ack p counts towards the owner's round: the last one
 * closes it.  p's mark is the member's CPU for its update of the session
 * it acknowledges (ack_mark), 0 if it made none. */
void dp_round_ack(dp *D, uint32_t g, mem *m, const sim_pkt *p)
{
    grp *G = &D->grp[g];
    if (m->round && m->round == G->round && G->round_wait &&
        m->acked == G->session) {
        m->round = 0;
        if (--G->round_wait == 0) {
            sim_time span = sim_world_now(D->b.w) - G->round_start;
            /* T0(s): the rest of the round after the owner's sequential
             * part and the last member's own part (the member's figure,
             * carried by its ack: a metric, not a decision). */
            sim_time cpu = p->mark, comm;

            comm = span - G->round_seq - cpu;
            pk_count(&D->b, D->b.m_rekey, sim_time_to_s(span));
            if (G->round_seq > 0)
                pk_count(&D->b, D->m_round_comm,
                         sim_time_to_s(comm > 0 ? comm : 0));
        }
    }
}

static void send_update(dp *D, uint32_t g, mem *m)
{
    grp *G = &D->grp[g];
    unsigned char body[8];
    uint32_t o = G->owner;
    sim_pkt *p;

    dp_put32(body, g);
    dp_put32(body + 4, G->session);
    /* Sealed under the key of the session the member is in: the owner's
     * previous key now. */
    p = pk_msg(&D->b, o, m->node, M_UPDATE, body, sizeof body,
               dp_val_get(D, o, g, V_OLD), GNAME(g), G->session - 1);
    dp_count_msg(D, M_UPDATE);
    pk_rtx_send(&D->b, o, p, (uint32_t)(m - dp_mems(D, g)));
}

void dp_rekey_round(dp *D, uint32_t g)
{
    grp *G = &D->grp[g];
    uint32_t o = G->owner;
    pk_node *n = &D->b.node[o];
    sim_time now = sim_world_now(D->b.w);
    sim_time start = n->cpu_free > now ? n->cpu_free : now;

    if (G->n_members == 0)
        return;
    dp_update_key(D, o, g);
    G->session++;
    G->round++;
    G->round_start = now;
    G->round_wait = 0;
    pk_count(&D->b, D->m_rounds, 1);
    for (size_t i = 0; i < G->n_members; i++) {
        mem *m = &dp_mems(D, g)[G->members[i]];
        m->round = G->round;
        G->round_wait++;
        if (m->state == MEM_READY && m->acked == G->session - 1) {
            send_update(D, g, m);
        } else {
            /* Behind, or never confirmed: enrol it again at the new
             * session (its SEEDS in flight, if any, are outdated). */
            pk_count(&D->b, D->m_reenrol, 1);
            dp_enrol(D, g, m->node);
        }
    }
    /* The owner's sequential part: its update and one sealed command per
     * member, before the last command leaves. */
    G->round_seq = n->cpu_free - start;
    pk_count(&D->b, D->m_round_seq, sim_time_to_s(G->round_seq));
}

/* Re-seeding of group g without node x, after x's capture was detected
 * (x is revoked already): x leaves the member list, the owner stops
 * retransmitting to it, draws fresh seeds (S1', S2') and moves to session
 * i + 2 from them without keeping k_i, and enrols every other member
 * again with them (SEEDS in clear or sealed, as configured), as a round
 * (key.rekey on its last ack).  Returns the members told. */
long dp_reseed(dp *D, uint32_t g, uint32_t x)
{
    grp *G = &D->grp[g];
    uint32_t o = G->owner, q = D->o->qbytes;
    mem *mx = dp_mem_find(D, g, x);
    unsigned char s1[CRY_KEY_BYTES], s2[CRY_KEY_BYTES];
    pk *b = &D->b;
    cry_key k1, k2;
    long told = 0;
    hg *h;

    if (mx) {
        for (size_t i = 0; i < G->n_members; i++)
            if (&dp_mems(D, g)[G->members[i]] == mx) {
                G->members[i] = G->members[--G->n_members];
                break;
            }
        mx->state = MEM_NONE;
        mx->round = 0;
        mx->join_so = UINT32_MAX;
    }
    /* The owner's commands in flight (SEEDS, updates: it sends nothing
     * else that waits for an answer) are outdated, x's among them. */
    pk_rtx_cancel(b, o, SIM_NONE);
    G->reseeds++;
    k1 = pk_key_generate(b, o, STREAM_SEED | g, 2 * (uint64_t)G->reseeds,
                         &b->ops[o]);
    k2 = pk_key_generate(b, o, STREAM_SEED | g,
                         2 * (uint64_t)G->reseeds + 1, &b->ops[o]);
    b->ops[o].n[CRY_OP_KDF] += 2;              /* generation = one KDF */
    pk_charge(b, o, SCN_OP_KDF, CRY_KEY_BYTES);
    pk_charge(b, o, SCN_OP_KDF, CRY_KEY_BYTES);
    cry_key_export(b->ks, k1, s1);
    cry_key_export(b->ks, k2, s2);
    cry_key_free(b->ks, k1);
    cry_key_free(b->ks, k2);
    memset(s1 + q, 0, CRY_KEY_BYTES - q);
    memset(s2 + q, 0, CRY_KEY_BYTES - q);
    dp_chain_advance(D, o, g, s1, s2, 0);     /* k_i wiped, not kept */
    cry_wipe(s1, sizeof s1);
    cry_wipe(s2, sizeof s2);
    /* Session i + 2: a member at i (or i + 1) that receives the new
     * seeds does not keep its k_i as the previous key either. */
    G->session += 2;
    h = dp_hg_find(D, o, g);
    h->session = G->session;
    h->has_old = 0;
    G->round++;
    G->round_start = sim_world_now(b->w);
    G->round_seq = 0;                /* a re-seeding: no T(s, z) split */
    G->round_wait = 0;
    pk_count(b, D->m_rounds, 1);
    for (size_t i = 0; i < G->n_members; i++) {
        mem *m = &dp_mems(D, g)[G->members[i]];
        m->round = G->round;
        G->round_wait++;
        dp_enrol(D, g, m->node);
        told++;
    }
    return told;
}

static void ev_rekey(sim_sched *s, void *ctx, uint32_t kind, uint32_t so,
                     void *arg, uint64_t periodic)
{
    dp *D = sim_world_proto_state(ctx);
    (void)s; (void)kind; (void)arg;

    dp_rekey_round(D, dp_group_of(D, so));
    if (periodic && D->o->rekey_every > 0 &&
        sim_world_now(D->b.w) + D->o->rekey_every <
            sim_world_scenario(D->b.w)->duration)
        sim_sched_in(sim_world_sched(D->b.w), D->o->rekey_every, ev_rekey,
                     SIM_EV_PROTO + 1, so, NULL, 1);
}

static void on_giveup(pk *b, uint32_t from, uint32_t to, int type,
                      uint32_t ref)
{
    dp *D = (dp *)b;
    (void)to;

    if (type == M_SEEDS || type == M_UPDATE) {
        /* The member never confirmed: enrol it again with the current
         * positions (a round still waits for it). */
        /* ref indexes the member table of from's partition; only a group
         * `from` owns can hold it (another group's entry for the node is
         * another record). */
        mem *m = &dp_pt_of(D, from)->mem[ref];
        uint32_t g = UINT32_MAX;
        for (uint32_t i = 0; i < D->n_grp; i++)
            if (D->grp[i].owner == from && dp_mem_find(D, i, m->node) == m)
                g = i;
        m->state = MEM_NONE;
        if (g != UINT32_MAX && D->grp[g].round &&
            m->round == D->grp[g].round) {
            pk_count(&D->b, D->m_reenrol, 1);
            dp_enrol(D, g, m->node);
        }
    }
}

/* ------------------------------------------------------------------------
 * Life cycle, storage, report
 * ---------------------------------------------------------------------- */

#define M_(field) offsetof(dp, field)
/* kmsim metrics (mlist.h): the meaning of each metric of
 * Di Pietro et al.,
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_dipietro[] = {
    {"dipietro.data.dropped",
     "data dropped (no key in time)"},
    {"dipietro.data.opened",
     "data messages opened at the SO"},
    {"dipietro.data.previous_session",
     "data accepted under the previous session's key"},
    {"dipietro.data.replayed",
     "data refused as replays"},
    {"dipietro.data.stale",
     "data refused: from an older session"},
    {"dipietro.data.unprotected",
     "data sent without protection (not enrolled yet)"},
    {"dipietro.duplicates",
     "duplicate messages received and ignored"},
    {"dipietro.enrolled",
     "sources enrolled"},
    {"dipietro.keys.live",
     "keys held by live nodes"},
    {"dipietro.msgs.*",
     "Di Pietro messages of this type sent"},
    {"dipietro.publish.opened",
     "publish messages opened by subscribers"},
    {"dipietro.reenrolled",
     "sources enrolled again"},
    {"dipietro.rejected",
     "messages refused (bad seal, unknown key, wrong state)"},
    {"dipietro.retransmissions",
     "messages retransmitted after a timeout"},
    {"dipietro.retransmit_gave_up",
     "retransmissions abandoned after the last attempt"},
    {"dipietro.round.comm",
     "update round: the communication part"},
    {"dipietro.round.seq",
     "update round: the sequential part"},
    {"dipietro.rounds",
     "update rounds run"},
    {"dipietro.storage.so",
     "key storage of an SO at the end"},
    {"dipietro.storage.source",
     "key storage of a source at the end"},
    {"dipietro.update.cpu",
     "update round: CPU time of a key update"},
    {NULL, NULL},
};

static const pk_metric dp_metrics[] = {
    {M_(m_enrolled), "dipietro.enrolled", "node", ANA_COUNTER},
    {M_(m_rounds), "dipietro.rounds", "1", ANA_COUNTER},
    {M_(m_update_cpu), "dipietro.update.cpu", "s", ANA_SAMPLES},
    {M_(m_round_seq), "dipietro.round.seq", "s", ANA_SAMPLES},
    {M_(m_round_comm), "dipietro.round.comm", "s", ANA_SAMPLES},
    {M_(m_rejected), "dipietro.rejected", "msg", ANA_COUNTER},
    {M_(m_opened), "dipietro.data.opened", "msg", ANA_COUNTER},
    {M_(m_pub_opened), "dipietro.publish.opened", "msg", ANA_COUNTER},
    {M_(m_unprotected), "dipietro.data.unprotected", "msg", ANA_COUNTER},
    {M_(m_prev), "dipietro.data.previous_session", "msg", ANA_COUNTER},
    {M_(m_stale), "dipietro.data.stale", "msg", ANA_COUNTER},
    {M_(m_replayed), "dipietro.data.replayed", "msg", ANA_COUNTER},
    {M_(m_dropped), "dipietro.data.dropped", "msg", ANA_COUNTER},
    {M_(m_reenrol), "dipietro.reenrolled", "1", ANA_COUNTER},
    {M_(m_rtx), "dipietro.retransmissions", "msg", ANA_COUNTER},
    {M_(m_gaveup), "dipietro.retransmit_gave_up", "msg", ANA_COUNTER},
    {M_(m_dup), "dipietro.duplicates", "msg", ANA_COUNTER},
};
#undef M_

static int dp_init(sim_world *w, void **ps, char *err, size_t errlen)
{
    const scenario *sc = sim_world_scenario(w);
    const dp_opts *o = sc->proto_opts;
    ana_metrics *m = sim_world_metrics(w);
    dp *D = xcalloc(1, sizeof *D);
    static const char *const mt[M_COUNT] = {
        "", "seeds", "seeds_ack", "update", "update_ack", "join", "join_ack",
    };
    char name[64];

    if (pk_init(&D->b, w, err, errlen) != 0) {
        free(D);
        return -1;
    }
    D->o = o;
    pk_replays_init(&D->rp);
    for (unsigned i = 0; i < CRY_PARTS_MAX; i++) {
        kmap_init(&D->pt[i].hgmap);
        kmap_init(&D->pt[i].memmap);
        kmap_init(&D->pt[i].pubqmap);
        /* Locality check (test build): tables keyed by their holder first
         * (memmap, keyed by group, is checked in mem_find/mem_get). */
        sim_world_own(w, &D->pt[i].hgmap, "dipietro.hg");
        sim_world_own(w, &D->pt[i].pubqmap, "dipietro.pubq");
    }
    pk_replays_own(w, &D->rp, "dipietro.replay");
    pk_tally_init(&D->nvals, D->b.n_nodes);
    pk_tally_parts(&D->nvals, D->b.part);
    pk_tally_marks(&D->nvals, w);       /* dp_storage reads nvals alone */
    D->hg1 = xcalloc(D->b.n_nodes ? D->b.n_nodes : 1, sizeof *D->hg1);
    for (uint32_t v = 0; v < D->b.n_nodes; v++) {
        D->hg1[v].g = HG_FREE;
        D->hg1[v].role = (uint8_t)pk_role(&D->b, v);
    }
    D->n_grp = D->b.n_so == 0 ? 0 : o->central ? 1 : D->b.n_so;
    D->grp = xcalloc(D->n_grp ? D->n_grp : 1, sizeof *D->grp);
    *ps = D;

    pk_metrics_reg(m, D, dp_metrics, ARRAY_LEN(dp_metrics));
    for (int i = 1; i < M_COUNT; i++) {
        snprintf(name, sizeof name, "dipietro.msgs.%s", mt[i]);
        D->m_msgs[i] = ana_metric_reg(m, name, "", "msg", ANA_COUNTER);
    }
    pk_rtx_setup(&D->b, o->rtx_after, o->rtx_max, on_giveup, D->m_rtx,
                 D->m_gaveup);

    /* Every sensor and subscriber holds its device key (factory
     * credential, shared with the middleware). */
    for (uint32_t v = 0; v < D->b.n_nodes; v++) {
        if (sim_world_setup_poll(w)) {  /* *ps is set: deinit frees D */
            snprintf(err, errlen, "interrupted");
            return -1;
        }
        if (!pk_is_so(&D->b, v))
            dev_key(D, v, v);
    }
    /* Each owner draws its seeds S1, S2 and runs Algorithm 2's
     * initialisation: session 1. */
    for (uint32_t g = 0; g < D->n_grp; g++) {
        grp *G = &D->grp[g];
        unsigned char s1[CRY_KEY_BYTES], s2[CRY_KEY_BYTES];
        cry_key k1, k2;
        sim_time off;
        hg *h;

        G->owner = D->b.so_node[g];
        k1 = pk_key_generate(&D->b, G->owner, STREAM_SEED | g, 0, NULL);
        k2 = pk_key_generate(&D->b, G->owner, STREAM_SEED | g, 1, NULL);
        cry_key_export(D->b.ks, k1, s1);
        cry_key_export(D->b.ks, k2, s2);
        cry_key_free(D->b.ks, k1);
        cry_key_free(D->b.ks, k2);
        memset(s1 + o->qbytes, 0, CRY_KEY_BYTES - o->qbytes);
        memset(s2 + o->qbytes, 0, CRY_KEY_BYTES - o->qbytes);
        dp_chain_advance(D, G->owner, g, s1, s2, 0);
        cry_wipe(s1, sizeof s1);
        cry_wipe(s2, sizeof s2);
        h = dp_hg_get(D, G->owner, g);
        h->session = G->session = 1;
        h->setup_done = 1;
        /* Staggered by smart_object.rekey_spread (kmsim extension;
         * 0, the paper: every owner at the same time) by the owner's rank
         * among the SOs; a periodic round keeps its offset. */
        off = scn_rekey_offset(sc->so.rekey_spread, D->b.so_ord[G->owner],
                               D->b.n_so);
        if (o->rekey_every > 0 && o->rekey_every + off < sc->duration)
            sim_sched_at(sim_world_sched(w), o->rekey_every + off, ev_rekey,
                         SIM_EV_PROTO + 1, G->owner, NULL, 1);
        for (size_t i = 0; i < o->n_rekey_at; i++)
            if (o->rekey_at[i] + off < sc->duration)
                sim_sched_at(sim_world_sched(w), o->rekey_at[i] + off,
                             ev_rekey, SIM_EV_PROTO + 1, G->owner, NULL, 0);
    }
    /* Central: the owner enrols every other SO over the backbone. */
    if (o->central)
        for (uint32_t i = 1; i < D->b.n_so; i++)
            dp_enrol(D, 0, D->b.so_node[i]);
    return 0;
}

static void dp_deinit(sim_world *w, void *ps)
{
    dp *D = ps;
    (void)w;

    for (uint32_t v = 0; D->hg1 && v < D->b.n_nodes; v++)
        pk_queue_clear(&D->b, &D->hg1[v].pend);
    for (unsigned p = 0; p < CRY_PARTS_MAX; p++) {
        dp_part *P = &D->pt[p];
        for (size_t i = 0; i < P->n_hgx; i++)
            pk_queue_clear(&D->b, &P->hgx[i].pend);
        for (size_t i = 0; i < P->n_pubq; i++)
            pk_queue_clear(&D->b, &P->pubq[i].q);
        free(P->hgx);
        free(P->mem);
        free(P->pubq);
        kmap_deinit(&P->hgmap);
        kmap_deinit(&P->memmap);
        kmap_deinit(&P->pubqmap);
    }
    for (uint32_t g = 0; g < D->n_grp; g++)
        free(D->grp[g].members);
    free(D->grp);
    free(D->hg1);
    pk_tally_deinit(&D->nvals);
    free(D->revoked);
    kmap_deinit(&D->atk_memo);
    pk_replays_deinit(&D->rp);
    pk_deinit(&D->b);                   /* wipes every key */
    free(D);
}

/* Storage: every q-bit value held (per group: a_i, b_i, k_i, k_{i-1};
 * an SO also a_{i-1}, b_{i-1}); device keys are factory credentials and
 * are not counted.  With q = 64 a source stores 2 seeds + 2 keys of 8
 * bytes = 32 bytes (seed 001 §5.1). */
static uint64_t dp_storage(sim_world *w, void *ps, uint32_t v)
{
    dp *D = ps;
    (void)w;
    return (uint64_t)pk_tally_get(&D->nvals, v) * D->o->qbytes;
}

/* Keys held by v (storage.keys_per_node): the q-bit values dp_storage
 * charges, one per entry of v's table (nvals follows val_put / val_del):
 * per group a member holds a_i, b_i (the two chain positions: the seeds
 * at session 0), k_i and, once a session has passed, k_{i-1} — 2 seeds +
 * 2 keys = 4 (seed 001 §5.1); an owner SO also a_{i-1}, b_{i-1} = 6.
 * Device and backbone keys are factory credentials, left out as in the
 * byte count. */
static uint64_t dp_keys(sim_world *w, void *ps, uint32_t v)
{
    dp *D = ps;
    (void)w;
    return pk_tally_get(&D->nvals, v);
}

static void dp_report(sim_world *w, void *ps, ana_metrics *m)
{
    dp *D = ps;
    int ss = ana_metric_reg(m, "dipietro.storage.source", "", "B",
                            ANA_SAMPLES);
    int so = ana_metric_reg(m, "dipietro.storage.so", "", "B", ANA_SAMPLES);
    const ana_welford *done = ana_metric_samples(m, D->b.m_rekey);
    double rounds = ana_metric_get(m, D->m_rounds);

    /* What key.rekey's mean is over: rounds (updates and re-seedings)
     * whose every member acknowledged, of the rounds started. */
    ana_metric_set(m, ana_metric_reg(m, "key.rekey.completed_fraction", "",
                                     "1", ANA_VALUE),
                   rounds > 0 ? (double)done->n / rounds : NAN);

    for (uint32_t v = 0; v < D->b.n_nodes; v++) {
        if (pk_role(&D->b, v) == SCN_ROLE_SOURCE &&
            pk_tally_get(&D->nvals, v))
            ana_metric_add(m, ss, (double)dp_storage(w, D, v));
        else if (pk_is_so(&D->b, v))
            ana_metric_add(m, so, (double)dp_storage(w, D, v));
    }
    ana_metric_set(m, ana_metric_reg(m, "dipietro.keys.live", "", "key",
                                     ANA_VALUE),
                   (double)cry_keystore_live(D->b.ks));
    pk_report_crypto(D->b.t, D->b.ops, m);
}

/* Estimate hook (estimate.h): 249 B per node beyond `none` (measured,
 * see estimate.c; issue 22: `kmsim validate` of scale-dipietro-1e5.yaml
 * at 50,000 and 100,000 sources; 161 before the memberships' node slots,
 * 80 B, were made at set-up); the owners send updateSession to every
 * source every rekey_every. */
static void dp_estimate(const scenario *sc, sim_estimate *e)
{
    const dp_opts *o = sc->proto_opts;
    double src, so, nodes;

    sim_est_counts(sc, &src, &so, &nodes);
    /* + 620 B per node as the run enrols the sources, 520 B per source
     * in a round's burst (issue 22, estimate.c) */
    sim_est_state(e, "topology.sources", &sc->mk_nodes,
                  (249.0 + 620.0) * nodes);
    sim_est_burst(sc, e, o->n_rekey_at ? "protocol.rekey_at"
                                       : "protocol.rekey_every",
                  &o->rekey_mark, o->rekey_every, o->rekey_at, o->n_rekey_at,
                  520.0, src);
    sim_est_periodic(sc, e, "protocol.rekey_every", &o->rekey_mark,
                     o->rekey_every, src);
}

const scn_proto_ops sim_proto_dipietro = {
    .name = "dipietro",
    .summary = "Di Pietro et al. (KeEs): two hash chains XORed, session "
               "counter, SO-driven re-keying",
    .opts_parse = dp_opts_parse,
    .opts_free = dp_opts_free,
    .node_state_size = 0,
    .threads_ok = 1,         /* sim/THREADS.md: per-partition state */
    .init = dp_init,
    .estimate = dp_estimate,
    .deinit = dp_deinit,
    .on_register_so = dp_register_so,
    .on_move = dp_on_move,
    .protect = dp_protect,
    .unprotect = dp_unprotect,
    .forward = dp_forward,
    .on_control = dp_control,
    .storage = dp_storage,
    .keys = dp_keys,
    .storage_marks = 1,                 /* nvals: pk_tally_marks */
    .report = dp_report,
};

/* Its adversary interface (atk_hooks.h): what the attackers ask of its
 * state; the registry hands it over (proto.h sim_proto_atk). */
const atk_proto_hooks sim_atk_dipietro = {
    .atk_capture = dp_atk_capture,
    .atk_leak = dp_atk_leak,
    .atk_react = dp_atk_react,
    .atk_learn = dp_atk_learn,
    .atk_derive = dp_atk_derive,
    .atk_exposure = dp_atk_exposure,
    .atk_forge = dp_atk_forge,
};

/* ------------------------------------------------------------------------
 * Inspection (dipietro.h)
 * ---------------------------------------------------------------------- */

static dp *D_of(const sim_world *w)
{
    if (sim_world_scenario(w)->proto != &sim_proto_dipietro)
        return NULL;
    return sim_world_proto_state((sim_world *)w);
}

uint32_t dipietro_group_of(const sim_world *w, uint32_t so)
{
    dp *D = D_of(w);
    return D && so < D->b.n_nodes && pk_is_so(&D->b, so) ? dp_group_of(D, so)
                                                          : 0;
}

uint32_t dipietro_session(const sim_world *w, uint32_t node, uint32_t g)
{
    dp *D = D_of(w);
    hg *h = D ? dp_hg_find(D, node, g) : NULL;
    return h ? h->session : 0;
}

int dipietro_same_key(const sim_world *w, uint32_t a, uint32_t b, uint32_t g)
{
    dp *D = D_of(w);
    cry_key ka, kb;
    if (!D)
        return 0;
    ka = dp_val_get(D, a, g, V_K);
    kb = dp_val_get(D, b, g, V_K);
    return ka && kb && cry_key_equal(D->b.ks, ka, kb);
}

const cry_keystore *dipietro_keystore(const sim_world *w)
{
    dp *D = D_of(w);
    return D ? D->b.ks : NULL;
}

cry_key dipietro_key(const sim_world *w, uint32_t node, uint32_t g,
                     int which)
{
    static const int slots[4] = {V_K, V_OLD, V_A, V_B};
    dp *D = D_of(w);
    if (!D || which < 0 || which > 3)
        return 0;
    return dp_val_get(D, node, g, slots[which]);
}

size_t dipietro_export(const sim_world *w, uint32_t node, uint32_t g,
                       int which, unsigned char out[32])
{
    static const int slots[4] = {V_K, V_OLD, V_A, V_B};
    dp *D = D_of(w);
    cry_key k;
    if (!D || which < 0 || which > 3)
        return 0;
    k = dp_val_get(D, node, g, slots[which]);
    if (!k)
        return 0;
    cry_key_export(D->b.ks, k, out);
    return D->o->qbytes;
}
