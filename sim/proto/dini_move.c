/* dini_move.c — Dini et al., mobility with several SOs (seed 001 §4.1:
 * KT is the paper's; the exchange and the backbone keys interpretation):
 * a source that moves pairs with its new SO through KT (MOVE, KTREQ,
 * KTKEY, MOVE_OK), and the dispatch of received control messages. */

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
 * Several SOs: a source that moves pairs with its new SO through KT
 *
 * S, with channel key K towards its old SO N1, starts sending to N2.  If
 * CT(S, N2) already holds a key both have, that is used (Algorithm 1's
 * first branch).  Otherwise S proves it holds K: MOVE sealed under K, N1
 * named in the header.  N2 cannot open it yet; it asks N1 for K over the
 * backbone key the two SOs share (KTREQ), N1 answers with K's value
 * (KTKEY) and stops replacing K: N2 owns the channel now.  N2 stores K in
 * its KT, opens the MOVE with it (S really holds K), sets CT(N2, S) = K
 * and confirms (MOVE_OK, under K).  The channel is <S, N2>_K: if S is not
 * adjacent to N2 the nodes between relay its messages without the key.
 * A refusal or a lost exchange ends in S's set-up timeout, after which S
 * runs Algorithm 1 towards N2 from scratch.
 * ---------------------------------------------------------------------- */

/* The backbone key of SOs a and b, called by a (the actor).  The SO layer
 * is trusted middleware whose pairwise keys are provisioned out of band
 * (not counted as key storage, not a protocol message): the simulator
 * makes a's copy when a first needs it, from the pair's deterministic
 * key stream, and b's when b first needs it (the same value).  Each SO
 * reads and writes only its own copy: no locality exception, nothing
 * written across partitions (a's first use once wrote both copies). */
static cry_key so_key(dini *D, uint32_t a, uint32_t b)
{
    uint64_t name = SOKEY(a, b);
    cry_key k = di_key_of(D, a, name);
    if (!k) {
        uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
        k = cry_key_generate(di_ks_of(D, a), 1ull << 62 | lo, hi, NULL);
        di_kt_set(D, a, name, k);
    }
    return k;
}

void dini_on_move(sim_world *w, void *ps, uint32_t s, uint32_t old_so,
                         uint32_t new_so)
{
    dini *D = ps;
    dnode *n = di_dn(D, s);
    int ct = di_ct_has(D, s, old_so, n->ch_name);
    sim_pkt *p;
    (void)w;

    if (!n->keyed || new_so == SIM_NONE || !di_is_so(D, new_so))
        return;
    n->moving = 0;
    if (n->state != CH_READY || !ct ||
        !di_key_of(D, s, n->ch_name) || old_so == SIM_NONE) {
        /* No channel to take along: Algorithm 1 towards the new SO with
         * the next data. */
        if (n->state != CH_PAIRING && n->state != CH_SEARCHING)
            n->state = CH_NONE;
        if (n->state == CH_NONE && n->pend)
            di_pair_start(D, s);
        return;
    }
    n->state = CH_NONE;
    n->pair_start = sim_world_now(D->w);
    {
        if (di_ct_get(D, s, new_so) != DINI_NO_KEY) {
            di_pair_start(D, s);             /* a key with N2 already: used */
            return;
        }
    }
    n->state = CH_PAIRING;
    n->moving = 1;
    n->move_from = old_so;
    di_attempt_begin(D, s);
    p = di_dmsg(D, s, new_so, D_MOVE, (const unsigned char *)&n->ch_name, 8,
                0, 0);
    /* The old SO goes in the header's session field, associated data of
     * the seal: set before sealing. */
    sim_pkt_set_key(p, n->ch_name, old_so);
    if (sim_pkt_seal_data(p, di_ks_of(D, s), di_key_of(D, s, n->ch_name),
                          &D->ops[s]) != 0)
        abort();                 /* fresh counters never repeat: a bug */
    di_charge(D, s, SCN_OP_SEAL, 9);
    di_rel_send(D, s, p, 0);
}

static int on_move_req(dini *D, uint32_t so, sim_pkt *p)
{
    dpart *P = di_dp_of(D, so);
    uint32_t s = sim_pkt_src(p), old = sim_pkt_session(p);
    uint64_t name = sim_pkt_key_name(p);
    int ct = di_ct_has(D, so, s, name);
    unsigned char body[12];

    if (!di_is_so(D, so) || !IS_LOCAL(name) || old >= D->n_nodes ||
        !di_is_so(D, old) || old == so) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
        return -1;
    }
    if (ct && di_key_of(D, so, name)) {
        /* Done already (our MOVE_OK was lost): confirmed again. */
        size_t len;
        const unsigned char *b = di_dopen(D, so, p, D_MOVE, &len);
        if (b && len == 8) {
            memcpy(body, &name, 8);
            uint32_t seq = sim_pkt_seq(p);
            memcpy(body + 8, &seq, 4);
            di_count_dup(D);
            di_dsend(D, so, di_dmsg(D, so, s, D_MOVE_OK, body, 12,
                                    di_key_of(D, so, name), name));
        }
        return -1;                        /* a repeat (or not authentic) */
    }
    if (kmap_get(&P->movewait, so, s)) {
        di_count_dup(D);                     /* asked N1 already */
        return -1;
    }
    {
        /* The MOVE is kept until K arrives; an attacker's MOVE stays the
         * attacker's (clones are nobody's): refused later if it does not
         * open with K, its acceptance then moves to a refusal. */
        sim_pkt *q = sim_pkt_clone(D->w, p);
        q->atk = p->atk;
        q->atk_class = p->atk_class;
        q->atk_state = p->atk_state;
        kmap_put(&P->movewait, so, s, (uint64_t)(uintptr_t)q);
    }
    memcpy(body, &s, 4);
    memcpy(body + 4, &name, 8);
    di_rel_send(D, so, di_dmsg(D, so, old, D_KTREQ, body, 12, so_key(D, so,
                                                                     old),
                               SOKEY(so, old)), 0);
    return 0;
}

static int on_ktreq(dini *D, uint32_t so, sim_pkt *p)
{
    dpart *P = di_dp_of(D, so);
    size_t len;
    uint32_t from = sim_pkt_src(p), s, seq = sim_pkt_seq(p);
    const unsigned char *b;
    unsigned char body[4 + 8 + 4 + CRY_KEY_BYTES];
    uint64_t name, *ci;
    cry_key k;
    size_t blen = 16;

    int rc = 0;

    if (!di_is_so(D, so) || from >= D->n_nodes || !di_is_so(D, from) ||
        sim_pkt_key_name(p) != SOKEY(so, from))
        return -1;
    so_key(D, so, from);
    b = di_dopen(D, so, p, D_KTREQ, &len);
    if (!b || len != 12)
        return -1;
    memcpy(&s, b, 4);
    memcpy(&name, b + 4, 8);
    memcpy(body, &s, 4);
    memcpy(body + 4, &name, 8);
    memcpy(body + 12, &seq, 4);
    k = IS_LOCAL(name) ? di_key_of(D, so, name) : 0;
    ci = kmap_get(&P->chans, so, name);
    if (k && ci && P->chan[*ci].path[0] == s) {
        /* S's channel ends here: its key goes to the new SO, which
         * replaces it from now on (any replacement of ours is dropped). */
        chan *c = &P->chan[*ci];
        for (uint32_t i = 0; i + 1 < c->n; i++)
            if (c->rseq[i]) {
                di_rtx_done(D, so, c->rseq[i], NULL);
                c->rseq[i] = 0;
            }
        c->acks_wanted = 0;
        c->live = 0;
        di_prev_drop(D, so, name);
        di_ct_del(D, so, s, name);
        cry_key_export(P->ks, k, body + 16);
        blen += CRY_KEY_BYTES;
    } else if (!(k && ci && !P->chan[*ci].live)) {
        /* Not ours (or not S's): refused.  A repeated request after the
         * hand-over (our answer was lost) is answered again. */
        blen = 16;
        rc = -1;
    } else {
        cry_key_export(P->ks, k, body + 16);
        blen += CRY_KEY_BYTES;
        rc = -1;                         /* a repeat: answered again */
    }
    di_dsend(D, so, di_dmsg(D, so, from, D_KTKEY, body, blen, so_key(D, so,
                                                                     from),
                            SOKEY(so, from)));
    cry_wipe(body, sizeof body);
    return rc;
}

static int on_ktkey(dini *D, uint32_t so, sim_pkt *p)
{
    dpart *P = di_dp_of(D, so);
    size_t len;
    uint32_t from = sim_pkt_src(p), s, seq;
    const unsigned char *b;
    uint64_t name, *mw;
    sim_pkt *mv;
    cry_key k;
    int rc = -1;

    if (!di_is_so(D, so) || from >= D->n_nodes || !di_is_so(D, from) ||
        sim_pkt_key_name(p) != SOKEY(so, from))
        return -1;
    b = di_dopen(D, so, p, D_KTKEY, &len);
    if (!b || (len != 16 && len != 16 + CRY_KEY_BYTES))
        goto out;
    memcpy(&s, b, 4);
    memcpy(&name, b + 4, 8);
    memcpy(&seq, b + 12, 4);
    if (!di_rtx_done(D, so, seq, NULL)) {
        di_count_dup(D);
        goto out;
    }
    if (s >= D->n_nodes || !(mw = kmap_get(&P->movewait, so, s)))
        goto out;
    mv = (sim_pkt *)(uintptr_t)*mw;
    kmap_del(&P->movewait, so, s);
    rc = 0;                    /* the old SO's answer, taken into account */
    if (len == 16 || sim_pkt_key_name(mv) != name) {
        ana_metric_add(sim_world_metrics(D->w), D->m_handover_fail, 1);
        sim_world_refuse(D->w, so, mv);          /* the MOVE, finally */
        sim_pkt_free(D->w, mv);
        goto out;
    }
    /* K goes into our KT; the MOVE must open with it. */
    k = cry_key_import(P->ks, b + 16);
    {
        size_t ml;
        const unsigned char *mb = di_dopen_key(D, so, mv, D_MOVE, k, 1, &ml);
        if (!mb || ml != 8 || memcmp(mb, &name, 8) != 0) {
            cry_key_free(P->ks, k);
            ana_metric_add(sim_world_metrics(D->w), D->m_handover_fail, 1);
            sim_world_refuse(D->w, so, mv);      /* S does not hold K */
            sim_pkt_free(D->w, mv);
            goto out;
        }
    }
    di_key_put(D, so, name, k);
    di_ct_add(D, so, s, name);
    {
        uint32_t path[2] = {s, so};
        uint64_t *ci = kmap_get(&P->chans, so, name);
        if (ci) {                        /* ours before: current again */
            chan *c = &P->chan[*ci];
            c->n = 2;
            memcpy(c->path, path, sizeof path);
            c->live = 1;
        } else {
            di_chan_add(D, name, path, 2, 1);
        }
        di_route_set(D, name, path, 2, 1);
    }
    {
        unsigned char ok[12];
        uint32_t mseq = sim_pkt_seq(mv);
        memcpy(ok, &name, 8);
        memcpy(ok + 8, &mseq, 4);
        di_dsend(D, so, di_dmsg(D, so, s, D_MOVE_OK, ok, 12, k, name));
    }
    sim_pkt_free(D->w, mv);
out:
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    return rc;
}

static int on_move_ok(dini *D, uint32_t s, sim_pkt *p)
{
    size_t len;
    const unsigned char *b = di_dopen(D, s, p, D_MOVE_OK, &len);
    dnode *n = di_dn(D, s);
    uint32_t so = sim_pkt_src(p), seq;
    uint64_t name;

    if (!b || len != 12)
        return -1;
    memcpy(&name, b, 8);
    memcpy(&seq, b + 8, 4);
    if (!di_rtx_done(D, s, seq, NULL)) {
        di_count_dup(D);
        return -1;
    }
    if (!n->moving || n->state != CH_PAIRING || name != n->ch_name ||
        so != sim_world_home_so(D->w, s))
        return -1;
    /* CT: the key now connects S with its new SO. */
    {
        uint32_t path[2] = {s, so};
        di_ct_del(D, s, n->move_from, name);
        di_ct_add(D, s, so, name);
        if (di_adjacent(D, s, so))
            di_route_set(D, name, path, 2, 0);
        else
            di_nt_del(D, &D->route, "dini.route", s, name);
    }
    n->moving = 0;
    n->hops = 1;
    n->state = CH_READY;
    ana_metric_add(sim_world_metrics(D->w), D->m_handover,
                   sim_time_to_s(sim_world_now(D->w) - n->pair_start));
    di_flush_pending(D, s);
    return 0;
}

void dini_control(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    dini *D = ps;
    int type = sim_pkt_ctl_len(p) >= 1 ? sim_pkt_ctl(p)[0] : 0;

    /* The clear type byte must match the sealed or clear inner one. */
    int rc = -1;

    /* The clear type byte must match the sealed or clear inner one; the
     * messages that travel in clear (findGlobalKey and its answer, the
     * channel request) are never sealed. */
    if (sim_pkt_data_len(p) < 1 ||
        (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED) &&
         sim_pkt_data(p)[0] != type) ||
        ((sim_pkt_flags(p) & SIM_F_DATA_SEALED) &&
         (type == D_FINDG || type == D_FINDG_ACK || type == D_PAIRREQ ||
          type == D_SEARCH || type == D_SEARCH_REPLY || type == D_PFAIL))) {
        ana_metric_add(sim_world_metrics(w), D->m_rejected, 1);
        sim_world_refuse(w, node, p);
        sim_pkt_free(w, p);
        return;
    }
    switch (type) {
    case D_KEYS: rc = di_on_keys(D, node, p); break;
    case D_FINDG: rc = di_on_findg(D, node, p); break;
    case D_FINDG_ACK: rc = di_on_findg_ack(D, node, p); break;
    case D_PAIRREQ: rc = di_on_pairreq(D, node, p); break;
    case D_OFFER: rc = di_on_offer(D, node, p); break;
    case D_KACK: rc = di_on_kack(D, node, p); break;
    case D_READY: rc = di_on_ready(D, node, p); break;
    case D_REKEY: rc = di_on_rekey(D, node, p); break;
    case D_REKEY_ACK: rc = di_on_rekey_ack(D, node, p); break;
    case D_INVAL: rc = di_on_inval(D, node, p); break;
    case D_RENEW: rc = di_on_renew(D, node, p); break;
    case D_ACK: rc = di_on_ack(D, node, p); break;
    case D_MOVE: rc = on_move_req(D, node, p); break;
    case D_KTREQ: rc = on_ktreq(D, node, p); break;
    case D_KTKEY: rc = on_ktkey(D, node, p); break;
    case D_MOVE_OK: rc = on_move_ok(D, node, p); break;
    case D_SEARCH: rc = di_on_search(D, node, p); break;
    case D_SEARCH_REPLY: rc = di_on_search_reply(D, node, p); break;
    case D_PFAIL: rc = di_on_pfail(D, node, p); break;
    default:
        ana_metric_add(sim_world_metrics(w), D->m_rejected, 1);
        break;
    }
    /* Refused: not authentic, malformed, a repeat (answered again but
     * changing nothing), stale or unexpected here. */
    if (rc != 0)
        sim_world_refuse(w, node, p);
    sim_pkt_free(w, p);
}
