/* eg_atk.c — Eschenauer–Gligor: the adversary's hooks (atk_hooks.h):
 * what capture, derive, learn, leak, react, exposure and forge give an
 * attacker model (the knowledge-base labels are in eg.h).  Shared state
 * in eg_int.h. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto.h"
#include "world.h"
#include "wire.h"
#include "cry.h"
#include "cry_key.h"
#include "util.h"
#include "eg.h"
#include "pk.h"
#include "kb.h"
#include "eg_int.h"

/* ------------------------------------------------------------------------
 * The adversary (atk_hooks.h; the kb labels are in eg.h)
 *
 * What each attacker model gets from eg:
 *   capture   the node's ring (pool keys, material), its link keys
 *             (masters, material), its directional keys (keys, named as
 *             the headers name them), path keys awaiting their ack, its
 *             device key (an SO: the device keys it made for its nodes);
 *   derive    the directional key of a link from the pool keys it was
 *             built from (the shared ids are public: see eg_atk_derive),
 *             or from a link key held (a captured end's, a path key read
 *             in transit);
 *   learn     a path key read in a PATH_KEY message (the E–G weakness:
 *             whoever reads one hop of the path reads the key);
 *   leak      one pool key;
 *   react     eg_revoke (capture) or eg_revoke_key (leak), i.e. the real
 *             REVOKE messages and re-keying.  What the reaction sends is
 *             readable where the attacker still holds keys: REVOKE is
 *             sealed under the told node's device key (a captured SO
 *             holds those; its content is ids only, public anyway); a
 *             link set up again from its remaining shared ids is exposed
 *             iff the attacker holds those pool keys too; a link set up
 *             again by a path key is exposed as soon as one hop of the
 *             path is (the new key crosses each hop sealed under that
 *             hop's key).
 * ---------------------------------------------------------------------- */

/* The entry of (kind, label) whose value is key k of the protocol's store,
 * or ATK_NONE. */
static size_t kb_same(atk_kb *kb, atk_kind kind, uint64_t label,
                      const cry_keystore *ks, cry_key k)
{
    if (!k)
        return ATK_NONE;
    for (size_t i = atk_kb_find(kb, kind, label); i != ATK_NONE;
         i = atk_kb_next(kb, i))
        if (cry_key_equal_in(atk_kb_store(kb), atk_kb_key(kb, i), ks, k))
            return i;
    return ATK_NONE;
}

/* Adds key k of the protocol's store (if not 0) under (kind, label,
 * aux). */
static void kb_take(eg *E, atk_kb *kb, cry_key k, atk_kind kind,
                    uint64_t label, uint64_t aux)
{
    if (k)
        atk_kb_add(kb, kind, label, aux, E->b.ks, k);
}

void eg_atk_capture(sim_world *w, void *ps, uint32_t v, atk_kb *kb)
{
    eg *E = ps;
    const sim_topo *t = E->b.t;
    const uint32_t *ring;
    (void)w;

    if (v >= E->n)
        return;
    ring = ring_of(E, v);
    for (uint32_t i = 0; i < en(E, v)->ring_n; i++)
        kb_take(E, kb, E->pool[ring[i]], ATK_MATERIAL, ring[i], ring[i]);
    kb_take(E, kb, pk_key(&E->b, v, N_DEV | v), ATK_KEY, EG_ATK_DEV(v), v);
    if (pk_is_so(&E->b, v))             /* copies made for REVOKE */
        for (uint32_t u = 0; u < E->n; u++)
            if (u != v)
                kb_take(E, kb, pk_key(&E->b, v, N_DEV | u), ATK_KEY,
                        EG_ATK_DEV(u), u);
    for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++) {
        uint32_t u = t->adj[s];
        const eg_link *c = &E->lk[E->rev[E->rev[s]]];  /* v's keys for u */
        kb_take(E, kb, c->link, ATK_MATERIAL, EG_ATK_LINK(v, u),
                E->lk[s].kind);
        kb_take(E, kb, c->pend, ATK_MATERIAL, EG_ATK_LINK(v, u),
                EG_KIND_PATH);
        kb_take(E, kb, c->tx, ATK_KEY, EG_ATK_DIR(v, u), 0);
        kb_take(E, kb, c->rx, ATK_KEY, EG_ATK_DIR(u, v), 0);
    }
}

/* Derives from link key `master` (in the base's store) the directional
 * key from -> to, as link_install does, and adds it under its header
 * name. */
static void kb_add_dir(atk_kb *kb, cry_key master, uint32_t from,
                       uint32_t to)
{
    cry_key k = cry_key_derive(atk_kb_store(kb), master, DIR_ID(from, to),
                               KDF_CTX, atk_kb_ops(kb));
    atk_kb_add_own(kb, ATK_KEY, EG_ATK_DIR(from, to), 0, k);
}

/* 1 if the base holds, as material, every pool key the direct link key
 * with shared ids l->shared is built from (q = 1: the smallest; q >= 2:
 * all of them). */
static int kb_has_pool_keys(const eg *E, const atk_kb *kb, const eg_link *l)
{
    uint32_t need = E->o->q == 1 ? 1 : l->n_shared;

    if (l->kind != EG_KIND_DIRECT || l->n_shared < E->o->q || need == 0)
        return 0;
    for (uint32_t i = 0; i < need; i++)
        if (atk_kb_find(kb, ATK_MATERIAL, shared_of(E, l)[i]) == ATK_NONE)
            return 0;
    return 1;
}

/* The link key of direct link (a, b) made from the base's pool keys
 * exactly as direct_key makes it (kb_has_pool_keys must hold): q = 1 the
 * entry of the smallest shared id itself, q >= 2 H over all shared keys
 * in id order, hashed with the base's counters and kept as material
 * EG_ATK_LINK(a, b).  Returns the entry. */
static size_t kb_direct_master(eg *E, atk_kb *kb, uint32_t a, uint32_t b,
                               const eg_link *l)
{
    unsigned char *buf, h[CRY_HG_BYTES];
    size_t len = (size_t)l->n_shared * CRY_KEY_BYTES;
    cry_key k;

    if (E->o->q == 1)
        return atk_kb_find(kb, ATK_MATERIAL, shared_of(E, l)[0]);
    buf = xmalloc(len);
    for (uint32_t i = 0; i < l->n_shared; i++)
        atk_kb_export(kb, atk_kb_find(kb, ATK_MATERIAL, shared_of(E, l)[i]),
                      buf + (size_t)i * CRY_KEY_BYTES);
    cry_count_concat(atk_kb_ops(kb), len);
    cry_H(h, buf, len, atk_kb_ops(kb));
    k = cry_key_import(atk_kb_store(kb), h);
    cry_wipe(buf, len);
    cry_wipe(h, sizeof h);
    free(buf);
    return atk_kb_add_own(kb, ATK_MATERIAL, EG_ATK_LINK(a, b),
                          EG_KIND_DIRECT, k);
}

/* Every message crossing link from -> to under a link key is sealed
 * under from's sending key to `to`, header name EG_ATK_DIR(from, to):
 * data hops, LINK_OK, PATH_KEY, PATH_ACK.  (REVOKE, under a device key,
 * travels several hops and is derivable from nothing.) */
void eg_atk_derive(sim_world *w, void *ps, atk_kb *kb,
                   const sim_pkt *p, uint32_t from, uint32_t to)
{
    eg *E = ps;
    uint64_t name = EG_ATK_DIR(from, to);
    eg_link *l;
    (void)w;

    if (from >= E->n || to >= E->n || sim_pkt_key_name(p) != name ||
        !(l = link_of(E, from, to)))
        return;
    /* The base holds the key `from` seals with now: deriving again would
     * add nothing (the protocol's key is read only to skip that work). */
    if (atk_kb_holds(kb, name, E->b.ks, l->tx))
        return;
    /* What the link key was built from is public: both ends sent their
     * ring's ids in clear (HELLO), so an eavesdropper of discovery knows
     * their intersection, l->shared, and that fewer than q shared ids
     * means a path key.  It is read here from from's view of the link
     * instead of from recorded HELLOs. */
    if (kb_has_pool_keys(E, kb, l)) {
        kb_add_dir(kb, atk_kb_key(kb, kb_direct_master(E, kb, from, to, l)),
                   from, to);
        return;
    }
    /* Link keys the base holds: a captured end's, path keys read in
     * transit (a stale one derives a key that opens nothing). */
    for (size_t m = atk_kb_find(kb, ATK_MATERIAL, EG_ATK_LINK(from, to));
         m != ATK_NONE; m = atk_kb_next(kb, m))
        kb_add_dir(kb, atk_kb_key(kb, m), from, to);
}

/* Only PATH_KEY carries a key value; its data part (part 1) is [type]
 * u32 n, u32 pos, n path nodes (initiator first), the key.  HELLO and
 * REVOKE carry ids, LINK_OK and PATH_ACK one byte, data the
 * application's payload.  Any bytes are checked before use. */
void eg_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                  const sim_pkt *p, int part, const unsigned char *pt,
                  size_t len)
{
    eg *E = ps;
    uint32_t n, a, z;
    (void)w;

    if (!p || !pt || part != 1 || sim_pkt_type_of(p) != SIM_PKT_CONTROL ||
        len < 9 || pt[0] != M_PATH_KEY)
        return;
    n = sim_get32(pt + 1);
    if (n < 3 || n > EG_MAX_HOPS + 2 ||
        len != 9 + 4 * (size_t)n + CRY_KEY_BYTES)
        return;
    a = sim_get32(pt + 9);
    z = sim_get32(pt + 9 + 4 * (size_t)(n - 1));
    if (a >= E->n || z >= E->n || !link_of(E, a, z))
        return;
    atk_kb_add_bytes(kb, ATK_MATERIAL, EG_ATK_LINK(a, z), EG_KIND_PATH,
                     pt + 9 + 4 * (size_t)n, CRY_KEY_BYTES);
}

/* One pool key, drawn uniformly among the ids some node still in the
 * network holds now (a revoked node's keys are revoked everywhere else:
 * leaking one reads nothing). */
int64_t eg_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                    uint64_t (*draw)(void *ctx, uint64_t n),
                    void *ctx)
{
    eg *E = ps;
    uint32_t *holder = xmalloc(sizeof *holder * E->o->pool);
    uint64_t n = 0, k;
    uint32_t id = 0;
    (void)w;

    for (uint32_t i = 0; i < E->o->pool; i++)
        holder[i] = SIM_NONE;
    for (uint32_t v = 0; v < E->n; v++) {
        const uint32_t *ring = ring_of(E, v);
        for (uint32_t i = 0; i < en(E, v)->ring_n && !en(E, v)->captured;
             i++)
            if (holder[ring[i]] == SIM_NONE) {
                holder[ring[i]] = v;
                n++;
            }
    }
    if (n == 0) {
        free(holder);
        return -1;
    }
    k = draw(ctx, n);
    if (k >= n)
        k = n - 1;
    for (id = 0; id < E->o->pool; id++)   /* the k-th held id */
        if (holder[id] != SIM_NONE && k-- == 0)
            break;
    kb_take(E, kb, E->pool[id], ATK_MATERIAL, id, id);
    free(holder);
    return id;
}

long eg_atk_react(sim_world *w, void *ps, int what, uint64_t id)
{
    int told = -1;
    const eg *E = ps;

    if (!E->o->capture_reaction)
        return 0;
    if (id < UINT32_MAX && what == ATK_REACT_CAPTURE)
        told = eg_revoke(w, (uint32_t)id);
    else if (id < UINT32_MAX && what == ATK_REACT_LEAK)
        told = eg_revoke_key(w, (uint32_t)id);
    return told < 0 ? 0 : told;
}

/* 1 if the base holds or can derive the current key of secured link
 * (a, b): a direct key from pool keys it holds, or the link key itself,
 * or both directional keys. */
static int link_exposed(eg *E, atk_kb *kb, uint32_t a, uint32_t b)
{
    eg_link *l = link_of(E, a, b);
    const cry_keystore *ks = E->b.ks;

    if (!l || l->kind == EG_KIND_NONE)
        return 0;
    if (kb_has_pool_keys(E, kb, l))
        return 1;
    if (kb_same(kb, ATK_MATERIAL, EG_ATK_LINK(a, b), ks,
                l->link) != ATK_NONE)
        return 1;
    return atk_kb_holds(kb, EG_ATK_DIR(a, b), ks,
                        l->tx) &&
           atk_kb_holds(kb, EG_ATK_DIR(b, a), ks,
                        l->rx);
}

/* The links: those secured at both ends (eg.links.secured), each pair
 * once, judged from the lower end's view. */
void eg_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                     atk_exposure *out)
{
    eg *E = ps;
    const sim_topo *t = E->b.t;
    (void)w;

    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < t->n_links; i++) {
        uint32_t a = t->links[i].a, b = t->links[i].b, lo, hi;
        int x, clean;
        if (!link_up(E, a, b))
            continue;
        lo = a < b ? a : b;
        hi = a < b ? b : a;
        x = link_exposed(E, kb, lo, hi);
        clean = !atk_kb_captured(kb, a) && !atk_kb_captured(kb, b);
        out->links++;
        out->exposed += (uint64_t)x;
        out->links_clean += (uint64_t)clean;
        out->exposed_clean += (uint64_t)(clean && x);
    }
}

/* A well-formed forgery (atk_hooks.h): data as eg_sealed_send makes it
 * at the transmitting node — sealed for one hop under the node's sending
 * key to a neighbour (the entry's label names both: EG_ATK_DIR(sender,
 * nh), eg_route sends it there), the hop sender set to the transmitting
 * node.  The next hop opens it with its receiving key from that node and
 * re-seals it towards the SO: E–G keys links, not sources, so whoever
 * holds a link key may claim any source. */
sim_pkt *eg_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                      const atk_forge_req *rq)
{
    eg *E = ps;
    uint64_t name;

    if (rq->key >= atk_kb_count(kb) || atk_kb_kind(kb, rq->key) != ATK_KEY)
        return NULL;
    name = atk_kb_label(kb, rq->key);
    if (rq->what == ATK_FORGE_INVAL) {
        /* revoke_round's REVOKE, [c][r][n][ids] sealed under a device key
         * (the entry, N_DEV | x: a captured node's own) "from" dst's home
         * SO to dst, header name N_DEV | x.  The attacker's claim: a pool-
         * key revocation (c = SIM_NONE, as eg_revoke_key's) of round 0
         * (the first, any round the node knows of passes) revoking the
         * smallest pool id the attacker holds, or none.  eg_on_revoke opens
         * it with dst's own device key: only x == dst takes it (the
         * captured node revokes keys of its own ring: harm to itself);
         * sent to any other node it fails to open and is refused. */
        unsigned char body[16];
        uint32_t n = 0, id = UINT32_MAX;
        atk_forge_req r = *rq;
        if ((name & (0xfull << 60)) != N_DEV || rq->dst == SIM_NONE ||
            rq->dst >= E->n)
            return NULL;
        for (size_t i = 0; i < atk_kb_count(kb); i++) {
            uint64_t l = atk_kb_label(kb, i);
            if (atk_kb_kind(kb, i) == ATK_MATERIAL && (l >> 60) == 0 &&
                l < E->o->pool && (uint32_t)l < id)
                id = (uint32_t)l;
        }
        n = id != UINT32_MAX;
        r.src = sim_world_home_so(w, rq->dst);
        if (r.src == SIM_NONE || r.src == rq->dst)
            return NULL;
        sim_put32(body, SIM_NONE);
        sim_put32(body + 4, 0);
        sim_put32(body + 8, n);
        sim_put32(body + 12, id);
        return atk_kb_forge_ctl(w, kb, &r, M_REVOKE, body, 12 + 4 * n, name,
                                0);
    }
    if (rq->what != ATK_FORGE_DATA)
        return NULL;
    if ((name & (0xfull << 60)) != N_TX ||
        ((name >> 32) & 0x0fffffffull) != rq->sender)
        return NULL;
    return atk_kb_forge_data(w, kb, rq, name, 0, ATK_NONE, rq->sender);
}
