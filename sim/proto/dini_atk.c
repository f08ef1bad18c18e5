/* dini_atk.c — Dini et al., the adversary hooks (atk_hooks.h,
 * sim/attack/kb.h): capture, leak, the SOs' reaction (kmsim extension),
 * learning, derivation with a master secret, exposure and forgery. */

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "proto.h"
#include "world.h"
#include "wire.h"
#include "kmap.h"
#include "cry_key.h"
#include "metrics.h"
#include "util.h"
#include "dini.h"
#include "estimate.h"
#include "pk.h"
#include "kb.h"
#include "cry.h"
#include "dini_int.h"

/* ------------------------------------------------------------------------
 * The adversary (atk_hooks.h; sim/attack/kb.h)
 *
 * Labels.  A key goes into the knowledge base under the name message
 * headers carry when sealed under it: a local key under K = <K_node,
 * K_incr>, a global key under GNAME(SO ordinal, order), a device key under
 * DNAME(source), a backbone key under SOKEY(a, b); a kept previous value
 * under the name of the key it was (aux AUX_PREVIOUS).  A node's master
 * secret of f() is material, MAT_MASTER(node): with it the attacker
 * computes f(K) for every local name K that node generated (atk_derive) —
 * seed 001 §5.3: the value of a local key needs "the encryption
 * algorithm, by compromising NOS itself".  A replaced key's new value is
 * fresh (not f(K)): the master does not give it; the change message,
 * sealed under the current value, does (atk_learn).
 *
 * Reaction.  A leaked global key is invalidated by its SO (the existing
 * invalidation message, to every registered source).  After a capture
 * the SOs invalidate the node's global keys the same way, and stop
 * trusting every live channel whose key the node holds: a channel of the
 * node itself is dropped at its SO (nothing to tell: the node is the
 * attacker's); a channel through it is dropped too, and its honest holders
 * are told (the invalidation message lists its local name), so its source
 * sets up a new channel with its next data, avoiding the node if it can
 * (the node no longer shares a valid global key with anyone); a channel
 * whose key the node holds without being on its path (an SO that handed
 * it over through KT) is replaced.  A replacement (this one, and every
 * periodic one) is sealed under the current value: an eavesdropper that
 * holds that value reads the new one (atk_learn), so replacement does not
 * recover a channel whose key leaked while the attacker listens.  Dini has
 * no reaction to a captured SO: its pool, its master secret, its sources'
 * device keys and every channel ending at it stay exposed (the scheme
 * trusts the SO layer); only channels elsewhere whose key it holds are
 * replaced.
 * ---------------------------------------------------------------------- */

#define MAT_MASTER(node) (NAME_MASTER | (uint64_t)(node))
enum { AUX_CURRENT, AUX_PREVIOUS, AUX_DERIVED };

void dini_atk_capture(sim_world *w, void *ps, uint32_t node,
                             atk_kb *kb)
{
    dini *D = ps;
    const cry_keystore *ks;
    kmapn_slot *h;
    size_t n;
    (void)w;

    if (node >= D->n_nodes)
        return;
    n = di_kt_list(D, node, &h);            /* sorted: no hash order */
    ks = di_ks_of(D, node);
    for (size_t i = 0; i < n; i++) {
        uint64_t name = h[i].k;
        if (name == NAME_MASTER)
            atk_kb_add(kb, ATK_MATERIAL, MAT_MASTER(node), node, ks,
                       (cry_key)h[i].v);
        else if (IS_LOCAL(name) && (name & NAME_PREV))
            atk_kb_add(kb, ATK_KEY, name & ~NAME_PREV, AUX_PREVIOUS, ks,
                       (cry_key)h[i].v);
        else
            atk_kb_add(kb, ATK_KEY, name, AUX_CURRENT, ks,
                       (cry_key)h[i].v);
    }
    free(h);
}

/* With the master secret of the node that generated p's local key, f(K)
 * for the name in p's header (clear: what an eavesdropper sees).  Only
 * the scheme's public parameter d is consulted.  Skipped when the base
 * already has a value for that name (derived before, captured, learned):
 * f(K) is only the first value of K, and deriving again for every
 * message would count the attacker's work many times over. */
void dini_atk_derive(sim_world *w, void *ps, atk_kb *kb,
                            const sim_pkt *p, uint32_t from, uint32_t to)
{
    dini *D = ps;
    uint64_t name = sim_pkt_key_name(p), gen;
    size_t i;
    (void)w; (void)from; (void)to;

    if (!IS_LOCAL(name) || (name >> D->o->d) >> D->o->d)
        return;
    gen = name >> D->o->d;
    if (gen >= D->n_nodes ||
        (i = atk_kb_find(kb, ATK_MATERIAL, MAT_MASTER(gen))) == ATK_NONE ||
        atk_kb_find(kb, ATK_KEY, name) != ATK_NONE)
        return;
    atk_kb_add_own(kb, ATK_KEY, name, AUX_DERIVED,
                   cry_key_derive(atk_kb_store(kb), atk_kb_key(kb, i), name,
                                  "kmsimloc", atk_kb_ops(kb)));
}

/* The SO of ordinal `ord`, or SIM_NONE. */
static uint32_t so_of_ord(const dini *D, uint32_t ord)
{
    for (uint32_t v = 0; v < D->n_nodes; v++)
        if (D->so_ord[v] == ord)
            return v;
    return SIM_NONE;
}

int64_t dini_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                             uint64_t (*draw)(void *ctx, uint64_t n),
                             void *ctx)
{
    dini *D = ps;
    uint32_t n_so = 0, ord, so, valid = 0, order = 0;
    uint64_t j;
    (void)w;

    for (uint32_t v = 0; v < D->n_nodes; v++)
        n_so += di_is_so(D, v);
    if (n_so == 0)
        return -1;
    ord = (uint32_t)draw(ctx, n_so);
    so = so_of_ord(D, ord);
    if (so == SIM_NONE)
        return -1;
    /* An order number among the keys still valid in its pool (all of
     * them unless some were invalidated already). */
    for (uint32_t g = 0; g < D->pool_end[ord]; g++)
        valid += di_key_of(D, so, GNAME(ord, g)) != 0;
    if (valid == 0)
        return -1;
    j = draw(ctx, valid);
    for (uint32_t g = 0; g < D->pool_end[ord]; g++)
        if (di_key_of(D, so, GNAME(ord, g)) && j-- == 0) {
            order = g;
            break;
        }
    atk_kb_add(kb, ATK_KEY, GNAME(ord, order), AUX_CURRENT, di_ks_of(D, so),
               di_key_of(D, so, GNAME(ord, order)));
    return (int64_t)((uint64_t)ord << 32 | order);
}

/* Nodes told by a reaction, each counted once. */
typedef struct told {
    kmap set;
    long n;
} told;

static void told_add(told *t, uint32_t v)
{
    if (!kmap_get(&t->set, v, 0)) {
        kmap_put(&t->set, v, 0, 1);
        t->n++;
    }
}

/* SO `so` tells node v to drop the keys names[0..n), sealed under v's
 * device key (at most INVAL_MAX names a message).  Returns 1 if sent, 0
 * if the SO does not know v's device key (v never registered there). */
static int inval_send(dini *D, uint32_t so, uint32_t v, const uint64_t *names,
                      size_t n)
{
    cry_key dev = di_key_of(D, so, DNAME(v));

    if (!dev || n == 0)
        return 0;
    for (size_t i = 0; i < n; i += INVAL_MAX) {
        size_t m = n - i < INVAL_MAX ? n - i : INVAL_MAX;
        di_rel_send(D, so, di_dmsg(D, so, v, D_INVAL,
                                   (const unsigned char *)(names + i),
                                   8 * m, dev, DNAME(v)), 0);
    }
    return 1;
}

/* Global key g of so's pool is invalid: wiped at the SO (never handed
 * out again), and the RENEWs that deliver g and are still unacked are
 * given up (their retransmissions would bring g back to a holder that has
 * wiped it since; review M5): counted as missing acks, the renewal gets no
 * delay sample.  Returns 1 if it was still valid. */
int di_so_drop_global(dini *D, uint32_t so, uint64_t g)
{
    dpart *P = di_dp_of(D, so);
    cry_key k = di_key_of(D, so, g);
    kmap_slot *out = NULL;
    size_t n;

    if (!k)
        return 0;
    cry_key_free(P->ks, k);
    di_kt_unset(D, so, g);
    kmap_put(&P->ginval, g, 0, 1);          /* ground truth (report) */
    /* A scan of the SO's outstanding RENEWs (an invalidation is rare). */
    n = P->renewseq.n ? kmap_list(&P->renewseq, so, &out) : 0;
    for (size_t i = 0; i < n; i++) {
        const renewal *r = &P->renew[(uint32_t)out[i].v];
        if (r->so == so && GNAME(D->so_ord[so], r->order) == g) {
            di_rtx_done(D, so, (uint32_t)out[i].b, NULL);
            di_renew_lost(D, so, (uint32_t)out[i].b);
        }
    }
    free(out);
    return 1;
}

/* The SO of channel ci stops trusting its key: replacement messages still
 * unanswered are abandoned, its value wiped there, the channel no longer
 * live (never replaced again; data under it no longer open). */
void di_chan_drop(dini *D, dpart *P, size_t ci)
{
    chan *c = &P->chan[ci];
    uint32_t so = c->so;

    for (uint32_t i = 0; i + 1 < c->n; i++)
        if (c->rseq[i]) {
            di_rtx_done(D, so, c->rseq[i], NULL);
            di_rekey_lost(D, P, (uint32_t)ci, i);
        }
    c->acks_wanted = 0;
    c->live = 0;
    di_key_del(D, so, c->name);
    di_prev_drop(D, so, c->name);
    di_nt_del(D, &D->route, "dini.route", so, c->name);
    if (c->n >= 2)
        di_ct_del(D, so, c->path[c->n - 2], c->name);
}

/* A name to tell node v (a reaction's local keys). */
typedef struct tell {
    uint32_t v, seq;
    uint64_t name;
} tell;

static int tell_cmp(const void *a, const void *b)
{
    const tell *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One SO's reaction to the capture of x (see the section comment). */
static void react_capture_at(dini *D, uint32_t so, uint32_t x, told *tl)
{
    dpart *P = di_dp_of(D, so);    /* the channels ending at so are there */
    const dini_opts *o = D->o;
    uint64_t *names;
    tell *tells = NULL;
    size_t n_gl = 0, n_tell = 0, cap_tell = 0, cap_names;

    cap_names = (size_t)o->ring + 16;
    names = xmalloc(sizeof *names * cap_names);
    /* Locality exception (kmsim shortcut): what x held -- its ring, the
     * channel keys in its store -- is read from x's own tables, not from
     * records the SO would keep of what it handed out. */
    sim_world_exempt(D->w, "capture detected: the captured node's tables");
    /* x's global keys from this SO's pool. */
    if (!di_is_so(D, x))
        for (uint32_t i = 0; i < o->ring; i++) {
            uint64_t g = di_ring_of(D, x)[i];
            if (g && ((g & ~NAME_GLOBAL) >> 24) == D->so_ord[so] &&
                di_so_drop_global(D, so, g))
                names[n_gl++] = g;
        }
    sim_world_exempt_end(D->w);
    /* Live channels ending here whose key x holds. */
    for (size_t ci = 0; ci < P->n_chan; ci++) {
        chan *c = &P->chan[ci];
        int on_path = 0, held;
        if (c->so != so || !c->live)
            continue;
        sim_world_exempt(D->w, "capture detected: the captured node's tables");
        held = di_key_of(D, x, c->name) || di_key_of(D, x,
                                                     c->name | NAME_PREV);
        sim_world_exempt_end(D->w);
        if (!held)
            continue;
        for (uint32_t i = 0; i + 1 < c->n; i++)
            on_path |= c->path[i] == x;
        if (!on_path) {
            di_rekey_channel(D, P, ci, 0);
            for (uint32_t i = 0; i + 1 < P->chan[ci].n; i++)
                told_add(tl, P->chan[ci].path[i]);
            continue;
        }
        di_chan_drop(D, P, ci);
        c = &P->chan[ci];
        for (uint32_t i = 0; i + 1 < c->n; i++) {
            if (c->path[i] == x)
                continue;
            if (n_tell == cap_tell) {
                cap_tell = cap_tell ? 2 * cap_tell : 16;
                tells = xreallocarray(tells, cap_tell, sizeof *tells);
            }
            tells[n_tell].v = c->path[i];
            tells[n_tell].seq = (uint32_t)n_tell;
            tells[n_tell++].name = c->name;
        }
    }
    if (n_tell)
        qsort(tells, n_tell, sizeof *tells, tell_cmp);
    /* One invalidation per node told: the global names to every
     * registered source, the local names to their holders (a pass over
     * every node, as the scheduled invalidation does, only at an SO with
     * something to say). */
    for (uint32_t v = 0, t = 0; (n_gl || n_tell) && v < D->n_nodes; v++) {
        size_t n = n_gl;              /* names[0..n_gl): the globals */
        if (v == x || di_is_sub(D, v) || di_is_so(D, v) ||
            !di_key_of(D, so, DNAME(v))) {
            while (t < n_tell && tells[t].v == v)
                t++;                  /* not registered here: no way to */
            continue;                 /*   tell it                      */
        }
        for (; t < n_tell && tells[t].v == v; t++) {
            if (n == cap_names) {
                cap_names *= 2;
                names = xreallocarray(names, cap_names, sizeof *names);
            }
            names[n++] = tells[t].name;
        }
        if (n && inval_send(D, so, v, names, n))
            told_add(tl, v);
    }
    for (size_t i = 0; i < n_gl; i++)
        di_global_renew(D, so, names[i], x);   /* x is the attacker's now */
    free(tells);
    free(names);
}

long dini_atk_react(sim_world *w, void *ps, int what, uint64_t id)
{
    dini *D = ps;
    told tl = {.n = 0};
    (void)w;

    if (!D->o->capture_reaction)   /* as published (001 §5.3): none */
        return 0;
    kmap_init(&tl.set);
    /* The detection is noticed by every SO, each of which acts from its
     * own state (locality check: it is the actor). */
    if (what == ATK_REACT_CAPTURE && id < D->n_nodes) {
        for (uint32_t so = 0; so < D->n_nodes; so++)
            if (di_is_so(D, so) && so != (uint32_t)id) {
                sim_world_act_as(w, so, "capture detected");
                react_capture_at(D, so, (uint32_t)id, &tl);
                sim_world_act_end(w);
            }
    } else if (what == ATK_REACT_LEAK) {
        uint32_t ord = (uint32_t)(id >> 32), order = (uint32_t)id;
        uint32_t so = so_of_ord(D, ord);
        uint64_t g = GNAME(ord, order);
        if (so != SIM_NONE && order < D->pool_end[ord]) {
            sim_world_act_as(w, so, "leak detected");
            if (di_so_drop_global(D, so, g)) {
                for (uint32_t v = 0; v < D->n_nodes; v++)
                    if (!di_is_sub(D, v) && !di_is_so(D, v) &&
                        inval_send(D, so, v, &g, 1))
                        told_add(&tl, v);
                di_global_renew(D, so, g, SIM_NONE);
            }
            sim_world_act_end(w);
        }
    }
    kmap_deinit(&tl.set);
    return tl.n;
}

/* The keys a message carries, from its plaintext (the sealed data part of
 * a control message: type byte, body), checked as strictly as its
 * receiver checks it: anything else adds nothing. */
void dini_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                           const sim_pkt *p, int part,
                           const unsigned char *pt, size_t len)
{
    dini *D = ps;
    uint32_t src = sim_pkt_src(p);
    uint64_t name;
    (void)w;

    if (part != 1 || !pt || len < 1 ||
        sim_pkt_type_of(p) != SIM_PKT_CONTROL)
        return;
    switch (pt[0]) {
    case D_KEYS: {
        /* [m] m x ([order u32][value]): a ring from SO src. */
        uint32_t m = len >= 2 ? pt[1] : 0;
        if (m == 0 || m > D->o->ring ||
            len != 2 + (size_t)m * (4 + CRY_KEY_BYTES) ||
            src >= D->n_nodes || !di_is_so(D, src))
            return;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t order;
            memcpy(&order, pt + 2 + (size_t)i * (4 + CRY_KEY_BYTES), 4);
            if (order >= ORDER_LIMIT)
                return;
        }
        for (uint32_t i = 0; i < m; i++) {
            const unsigned char *e = pt + 2 + (size_t)i * (4 + CRY_KEY_BYTES);
            uint32_t order;
            memcpy(&order, e, 4);
            atk_kb_add_bytes(kb, ATK_KEY, GNAME(D->so_ord[src], order),
                             AUX_CURRENT, e + 4, CRY_KEY_BYTES);
        }
        return;
    }
    case D_OFFER: {
        /* [K][value][n][pos][up][attempt][path]: K handed over on one
         * hop. */
        const size_t hd = 1 + 8 + CRY_KEY_BYTES;
        uint32_t n;
        if (len < hd + 7)
            return;
        memcpy(&name, pt + 1, 8);
        n = pt[hd];
        if (!IS_LOCAL(name) || n < 2 || n > MAX_PATH || pt[hd + 1] >= n ||
            pt[hd + 2] > 1 || len != hd + 7 + 4 * (size_t)n)
            return;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, pt + hd + 7 + 4 * (size_t)i, 4);
            if (v >= D->n_nodes)
                return;
        }
        atk_kb_add_bytes(kb, ATK_KEY, name, AUX_CURRENT, pt + 9,
                         CRY_KEY_BYTES);
        return;
    }
    case D_REKEY: {
        /* [K][version u32][new value], K also in the header. */
        uint32_t version;
        if (len != 1 + 8 + 4 + CRY_KEY_BYTES)
            return;
        memcpy(&name, pt + 1, 8);
        memcpy(&version, pt + 9, 4);
        if (!IS_LOCAL(name) || (name != sim_pkt_key_name(p) &&
                                sim_pkt_key_name(p) != DNAME(sim_pkt_dst(p))))
            return;                   /* under K, or the holder's device key */
        atk_kb_add_bytes(kb, ATK_KEY, name, version, pt + 13, CRY_KEY_BYTES);
        return;
    }
    case D_RENEW: {
        /* [g][order u32][value]: the replacement of g from SO src. */
        uint32_t order;
        uint64_t g;
        if (len != 1 + 12 + CRY_KEY_BYTES || src >= D->n_nodes ||
            !di_is_so(D, src))
            return;
        memcpy(&g, pt + 1, 8);
        memcpy(&order, pt + 9, 4);
        if ((g & (NAME_GLOBAL | NAME_DEVICE)) != NAME_GLOBAL ||
            order >= ORDER_LIMIT)
            return;
        atk_kb_add_bytes(kb, ATK_KEY, GNAME(D->so_ord[src], order),
                         AUX_CURRENT, pt + 13, CRY_KEY_BYTES);
        return;
    }
    case D_KTKEY: {
        /* [S u32][K][seq u32][value]: K handed from SO to SO. */
        uint32_t s;
        if (len != 1 + 16 + CRY_KEY_BYTES)
            return;
        memcpy(&s, pt + 1, 4);
        memcpy(&name, pt + 5, 8);
        if (!IS_LOCAL(name) || s >= D->n_nodes)
            return;
        atk_kb_add_bytes(kb, ATK_KEY, name, AUX_CURRENT, pt + 17,
                         CRY_KEY_BYTES);
        return;
    }
    default:
        return;                   /* no key value in any other message */
    }
}

/* Keyed links: pairs of nodes next to each other on a live channel that
 * both hold its key (a hop; after a hand-over through KT, a source and its
 * new SO), each unordered pair counted once however many channels cross
 * it.  Exposed: the base holds the value either end uses now, of at least
 * one key on that pair (some of its traffic reads). */
void dini_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                              atk_exposure *out)
{
    dini *D = ps;
    kmap seen;                   /* (lo, hi) -> exposed                    */
    (void)w;

    memset(out, 0, sizeof *out);
    kmap_init(&seen);
    for (int q = 0; q < D->nparts; q++)
    for (size_t ci = 0; ci < D->dp[q].n_chan; ci++) {
        const chan *c = &D->dp[q].chan[ci];
        if (!c->live || !di_key_of(D, c->so, c->name))
            continue;
        for (uint32_t i = 0; i + 1 < c->n; i++) {
            uint32_t a = c->path[i], b = c->path[i + 1];
            uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
            cry_key ka = di_key_of(D, a, c->name), kb_ = di_key_of(D, b,
                                                                   c->name);
            int exp, clean;
            uint64_t *v;
            if (!ka || !kb_)
                continue;
            exp = atk_kb_holds(kb, c->name, di_ks_of(D, a), ka) ||
                  atk_kb_holds(kb, c->name, di_ks_of(D, b), kb_);
            clean = !atk_kb_captured(kb, a) && !atk_kb_captured(kb, b);
            v = kmap_get(&seen, lo, hi);
            if (!v) {
                kmap_put(&seen, lo, hi, (uint64_t)exp);
                out->links++;
                out->links_clean += (uint64_t)clean;
            } else if (*v || !exp) {
                continue;
            } else {
                *v = 1;
            }
            if (exp) {
                out->exposed++;
                out->exposed_clean += (uint64_t)clean;
            }
        }
    }
    kmap_deinit(&seen);
}

/* A well-formed forgery (atk_hooks.h): data as seal_send makes it —
 * the header names the key (session 0), the data part sealed end to end
 * under it and, with per_hop_mac, the empty control part MACed under the
 * same key as sent by the transmitting node.  Any key the attacker holds
 * serves: the SO opens data under whichever key of its own the header
 * names, and nothing binds a channel key to its source (seed 001 gives
 * none), so a source's own channel key carries another source's identity
 * (see README "Attackers"). */
sim_pkt *dini_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                               const atk_forge_req *rq)
{
    dini *D = ps;
    uint64_t name;
    atk_forge_req r = *rq;
    unsigned char body[8 + 4 + CRY_KEY_BYTES];
    sim_pkt *p;

    if (rq->key >= atk_kb_count(kb) || atk_kb_kind(kb, rq->key) != ATK_KEY)
        return NULL;
    name = atk_kb_label(kb, rq->key);
    switch (rq->what) {
    case ATK_FORGE_DATA:
        return atk_kb_forge_data(w, kb, rq, name, 0,
                                 D->o->per_hop_mac ? rq->key : ATK_NONE,
                                 D->o->per_hop_mac ? rq->sender : rq->src);
    case ATK_FORGE_REKEY: {
        /* rekey_channel_how's change message, [K][version][new value]
         * sealed under K, "from" the channel's SO to its source (the node
         * the attacker saw send under K); the value is the attacker's */
        const uint64_t *ci;
        uint32_t ver;
        if (!IS_LOCAL(name) || rq->src >= D->n_nodes || !di_is_so(D,
                                                                  rq->src) ||
            !(ci = kmap_get(&di_dp_of(D, rq->src)->chans, rq->src, name)) ||
            !di_dp_of(D, rq->src)->chan[*ci].live ||
            di_dp_of(D, rq->src)->chan[*ci].n < 2)
            return NULL;
        r.dst = di_dp_of(D, rq->src)->chan[*ci].path[0];
        ver = di_dp_of(D, rq->src)->chan[*ci].version + 1;
        memcpy(body, &name, 8);
        memcpy(body + 8, &ver, 4);
        {
            /* a value of the attacker's own, which it then knows */
            cry_keystore *aks = atk_kb_store(kb);
            cry_key fresh = cry_key_generate(aks, (uint64_t)3 << 48 | r.dst,
                                             rq->seq, atk_kb_ops(kb));
            cry_key_export(aks, fresh, body + 12);
            p = atk_kb_forge_ctl(w, kb, &r, D_REKEY, body, sizeof body, name,
                                 0);
            cry_wipe(body, sizeof body);
            if (p)
                atk_kb_add_own(kb, ATK_KEY, name, 0, fresh);
            else
                cry_key_free(aks, fresh);
        }
        return p;
    }
    case ATK_FORGE_INVAL:
        /* di_on_inval's message under dst's device key "from" its SO: it
         * invalidates dst's channel key (a name dst's data carry) */
        if (rq->dst >= D->n_nodes || name != DNAME(rq->dst) ||
            rq->src >= D->n_nodes || !di_is_so(D, rq->src) ||
            di_dn(D, rq->dst)->state != CH_READY)
            return NULL;
        memcpy(body, &di_dn(D, rq->dst)->ch_name, 8);
        return atk_kb_forge_ctl(w, kb, rq, D_INVAL, body, 8, name, 0);
    default:
        return NULL;
    }
}
