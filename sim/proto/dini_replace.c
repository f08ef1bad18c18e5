/* dini_replace.c — Dini et al., maintenance (seed 001 §4.1, its delay
 * §5.2): key replacement rounds at the SOs, invalidation of global keys
 * and their renewal (renew_global, kmsim extension). */

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
 * Replacement and invalidation
 * ---------------------------------------------------------------------- */


/* The previous value of a replaced key, kept by `node` under
 * name | NAME_PREV (an SO until every holder has acked, a holder for
 * previous_key_for) so messages sealed before the switch still open. */
static void prev_set(dini *D, uint32_t node, uint64_t name, cry_key k)
{
    cry_key old = di_key_of(D, node, name | NAME_PREV);
    if (old)
        cry_key_free(di_ks_of(D, node), old);
    else
        di_kc_mut(D, node)->prev++;
    di_kt_set(D, node, name | NAME_PREV, k);
}

void di_prev_drop(dini *D, uint32_t node, uint64_t name)
{
    cry_key old = di_key_of(D, node, name | NAME_PREV);
    if (!old)
        return;
    cry_key_free(di_ks_of(D, node), old);
    di_kt_unset(D, node, name | NAME_PREV);
    di_kc_mut(D, node)->prev--;
}

static void ev_drop_prev(sim_sched *s, void *ctx, uint32_t kind,
                         uint32_t node, void *arg, uint64_t name)
{
    dini *D = sim_world_proto_state(ctx);
    uint64_t *exp = kmap_get(&di_dp_of(D, node)->prevexp, node, name);
    (void)kind; (void)arg;

    if (!exp || *exp > (uint64_t)sim_sched_now(s))
        return;                       /* replaced again since: later */
    kmap_del(&di_dp_of(D, node)->prevexp, node, name);
    di_prev_drop(D, node, name);
}

/* The change message of channel ci to path[holder] is given up (never
 * acked after its retransmissions) or abandoned by a newer replacement. */
void di_rekey_lost(dini *D, dpart *P, uint32_t ci, uint32_t holder)
{
    chan *c = &P->chan[ci];
    uint32_t o = D->so_ord[c->so];

    if (ci >= P->n_chan || holder + 1 >= c->n || !c->rseq[holder])
        return;
    c->rseq[holder] = 0;
    c->lost = 1;
    if (c->acks_wanted)
        c->acks_wanted--;
    ana_metric_add(sim_world_metrics(D->w), D->m_rekey_missing, 1);
    if (c->round && c->round == D->round_id[o] && D->round_wait[o]) {
        D->round_wait[o]--;
        D->round_lost[o] = 1;
    }
}

/* Replaces the key of channel ci: a fresh value, one change message per
 * holder sealed under the current value or, when `dev`, under the
 * holder's device key if the SO has it (inval_replace_local).  `round` is
 * the SO's round it belongs to (0: a replacement of this key alone, on
 * demand). */
static void rekey_channel_how(dini *D, dpart *P, size_t ci, uint32_t round,
                              int dev)
{
    chan *c = &P->chan[ci];
    uint32_t so = c->so;
    cry_key cur = di_key_of(D, so, c->name);
    unsigned char body[8 + 4 + CRY_KEY_BYTES];
    cry_key fresh;

    if (!cur || !c->live)
        return;
    /* Change messages of the previous replacement still unanswered are
     * abandoned (counted): this one replaces every copy again. */
    for (uint32_t i = 0; i + 1 < c->n; i++)
        if (c->rseq[i]) {
            di_rtx_done(D, so, c->rseq[i], NULL);
            di_rekey_lost(D, P, (uint32_t)ci, i);
        }
    c->acks_wanted = 0;
    c->lost = 0;
    c->round = round;
    /* Fresh material from the SO's own draws (stream, its counter): the
     * value never depends on other nodes' events. */
    fresh = cry_key_generate(P->ks, REKEY_STREAM | so,
                             D->keygen[D->so_ord[so]]++, &D->ops[so]);
    D->ops[so].n[CRY_OP_KDF]++;                   /* generation = one KDF */
    di_charge(D, so, SCN_OP_KDF, CRY_KEY_BYTES);
    c->version++;
    c->rekey_start = sim_world_now(D->w);
    memcpy(body, &c->name, 8);
    memcpy(body + 8, &c->version, 4);
    cry_key_export(P->ks, fresh, body + 12);
    /* One change message per holder, sealed under the current K (or the
     * holder's device key). */
    c->dev_round = (uint8_t)(dev != 0);
    for (uint32_t i = 0; i + 1 < c->n; i++) {
        cry_key dk = dev ? di_key_of(D, so, DNAME(c->path[i])) : 0;
        sim_pkt *p = dk ? di_dmsg(D, so, c->path[i], D_REKEY, body,
                                  sizeof body,
                                  dk, DNAME(c->path[i]))
                        : di_dmsg(D, so, c->path[i], D_REKEY, body,
                                  sizeof body,
                                  cur, c->name);
        if (!dk)
            c->dev_round = 0;
        c->rseq[i] = sim_pkt_seq(p);
        c->acks_wanted++;
        if (round)
            D->round_wait[D->so_ord[so]]++;
        di_rel_send(D, so, p, (uint32_t)ci << 8 | i);
    }
    cry_wipe(body, sizeof body);
    /* The SO keeps the previous value until every holder has acked, so
     * data sealed before a holder switched still open. */
    prev_set(D, so, c->name, cur);
    di_kt_set(D, so, c->name, fresh);
}

void di_rekey_channel(dini *D, dpart *P, size_t ci, uint32_t round)
{
    rekey_channel_how(D, P, ci, round, 0);
}

/* A replacement round at SO `so`: every live channel ending at it. */
void di_rekey_round(dini *D, uint32_t so)
{
    dpart *P = di_dp_of(D, so);
    uint32_t o = D->so_ord[so];
    dnode *n = di_dn(D, so);
    sim_time now = sim_world_now(D->w);
    sim_time start = n->cpu_free > now ? n->cpu_free : now;

    D->round_id[o]++;
    D->round_wait[o] = 0;
    D->round_lost[o] = 0;
    D->round_start[o] = now;
    for (uint32_t i = D->chan_head[o]; i != UINT32_MAX;
         i = P->chan[i].so_next)
        di_rekey_channel(D, P, i, D->round_id[o]);
    /* Tseq: the SO's sequential part, a new value (KDF) and one sealed
     * change message per holder, until the last one leaves. */
    D->round_seq[o] = n->cpu_free > start ? n->cpu_free - start : 0;
    if (D->round_wait[o])
        ana_metric_add(sim_world_metrics(D->w), D->m_round_seq,
                       sim_time_to_s(D->round_seq[o]));
}

/* A round: periodic (u64 = 0, every rekey_every) or on demand (u64 = 1,
 * at the times of rekey_at). */
void di_ev_rekey(sim_sched *s, void *ctx, uint32_t kind, uint32_t so,
                     void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    dini *D = sim_world_proto_state(w);
    (void)kind; (void)arg;

    if (u64)
        ana_metric_add(sim_world_metrics(w), D->m_rekey_demand, 1);
    di_rekey_round(D, so);
    if (!u64 && sim_sched_now(s) + D->o->rekey_every <
                    sim_world_scenario(w)->duration)
        sim_sched_in(s, D->o->rekey_every, di_ev_rekey, SIM_EV_PROTO + 1, so,
                     NULL, 0);
}


/* A holder installs replacement value k (version `version`) of local key
 * `name` in place of cur: cur is kept as the previous value for
 * previous_key_for (data in flight still open), or wiped at once; the
 * version is recorded (on_rekey_dev with inval_replace_local and the
 * replay window read it). */
static void install_value(dini *D, uint32_t node, uint64_t name, cry_key cur,
                          cry_key k, uint32_t version)
{
    dpart *P = di_dp_of(D, node);
    di_kt_unset(D, node, name);
    if (D->o->prev_for > 0) {
        prev_set(D, node, name, cur);
        kmap_put(&P->prevexp, node, name,
                 (uint64_t)(sim_world_now(D->w) + D->o->prev_for));
        sim_sched_in(sim_world_sched(D->w), D->o->prev_for, ev_drop_prev,
                     SIM_EV_PROTO + 5, node, NULL, name);
    } else {
        cry_key_free(P->ks, cur);           /* wiped */
    }
    di_kt_set(D, node, name, k);
    kmap_put(&P->kver, node, name, version);
}

/* A change message at a holder: opened with the current value it is a new
 * replacement (the old value is kept for previous_key_for); opened only
 * with the kept previous value and carrying the value already installed,
 * it is a retransmission (our ack was lost): acked again.  Anything else
 * is discarded (seed 000 §2.3). */
static int on_rekey_dev(dini *D, uint32_t node, sim_pkt *p);

int di_on_rekey(dini *D, uint32_t node, sim_pkt *p)
{
    uint64_t name = sim_pkt_key_name(p);
    cry_key cur = di_key_of(D, node, name), prev = di_prev_of(D, node, name);
    const unsigned char *b = NULL;
    size_t len = 0;
    sim_pkt *q = NULL;
    int dup = 0;
    uint32_t version, seq = sim_pkt_seq(p);
    unsigned char ack[8];
    cry_key k;
    int rc = -1;
    sim_time due0 = di_dn(D, node)->cpu_due;

    if (name == DNAME(node))
        return on_rekey_dev(D, node, p);      /* inval_replace_local */
    if (cur && IS_LOCAL(name)) {
        q = prev ? sim_pkt_clone(D->w, p) : p;
        b = di_dopen_key(D, node, q, D_REKEY, cur, !prev, &len);
        if (!b && prev) {
            b = di_dopen_key(D, node, p, D_REKEY, prev, 1, &len);
            dup = 1;
        }
    }
    if (!b || len != 8 + 4 + CRY_KEY_BYTES) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rekey_rej, 1);
        goto out;
    }
    memcpy(&version, b + 8, 4);
    if (memcmp(b, &name, 8) != 0) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rekey_rej, 1);
        goto out;
    }
    k = cry_key_import(di_ks_of(D, node), b + 12);
    if (dup) {
        int same = cry_key_equal(di_ks_of(D, node), k, cur);
        cry_key_free(di_ks_of(D, node), k);
        if (!same) {
            ana_metric_add(sim_world_metrics(D->w), D->m_rekey_rej, 1);
            goto out;
        }
        di_count_dup(D);                 /* answered again: refused */
        k = cur;
    } else {
        rc = 0;
        install_value(D, node, name, cur, k, version);
    }
    memcpy(ack, &version, 4);
    memcpy(ack + 4, &seq, 4);
    {
        sim_pkt *a = di_dmsg(D, node, sim_pkt_src(p), D_REKEY_ACK, ack,
                             sizeof ack, k, name);
        if (!dup) {
            /* Tc(z)/s: this holder's part, open + seal of the ack, in
             * parallel with the other holders (di_holder_update_cpu). */
            sim_time cpu = di_dn(D, node)->cpu_due - due0;
            assert(cpu == di_holder_update_cpu(D, node));
            ana_metric_add(sim_world_metrics(D->w), D->m_update_cpu,
                           sim_time_to_s(cpu));
        }
        di_dsend(D, node, a);
    }
out:
    if (q) {
        cry_wipe(sim_pkt_data(q), sim_pkt_data_len(q));
        if (q != p)
            sim_pkt_free(D->w, q);
    }
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    return rc;
}

/* A change message sealed under this holder's own device key by an SO
 * (inval_replace_local, kmsim extension): [K][version u32][new value] for
 * a key of a channel ending at that SO (the holder's route entry says so,
 * or it is its own channel).  Not sealed under K, so the holder keeps the
 * version it installed last (kver, by every change message when the
 * option is on, never otherwise): a newer one is installed (the old value
 * kept for previous_key_for), the one installed last with the same value
 * is acknowledged again (our ack was lost), anything else is refused, and
 * so is every such message when the option is off. */
static int on_rekey_dev(dini *D, uint32_t node, sim_pkt *p)
{
    dpart *P = di_dp_of(D, node);
    uint32_t so = sim_pkt_src(p), version, seq = sim_pkt_seq(p);
    const unsigned char *b = NULL;
    const uint64_t *r, *ver;
    dnode *n = di_dn(D, node);
    unsigned char ack[8];
    uint64_t name;
    size_t len = 0;
    cry_key cur, k;
    int rc = -1;

    if (D->o->inval_replace_local && so < D->n_nodes && di_is_so(D, so))
        b = di_dopen_key(D, node, p, D_REKEY, 0, 0, &len);
    if (!b || len != 8 + 4 + CRY_KEY_BYTES) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rekey_rej, 1);
        goto out;
    }
    memcpy(&name, b, 8);
    memcpy(&version, b + 8, 4);
    r = IS_LOCAL(name) ? di_nt_get(D, &D->route, "dini.route", node, name)
                       : NULL;
    cur = IS_LOCAL(name) ? di_key_of(D, node, name) : 0;
    if (!cur || !((r && (uint32_t)(*r >> 32) == so) ||
                  (n->ch_name == name && sim_world_home_so(D->w,
                                                           node) == so))) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rekey_rej, 1);
        goto out;
    }
    ver = kmap_get(&P->kver, node, name);
    k = cry_key_import(P->ks, b + 12);
    if (ver && *ver >= version) {
        int same = *ver == version && cry_key_equal(P->ks, k, cur);
        cry_key_free(P->ks, k);
        if (!same) {
            ana_metric_add(sim_world_metrics(D->w), D->m_rekey_rej, 1);
            goto out;
        }
        di_count_dup(D);
        k = cur;
    } else {
        rc = 0;
        install_value(D, node, name, cur, k, version);
    }
    memcpy(ack, &version, 4);
    memcpy(ack + 4, &seq, 4);
    di_dsend(D, node, di_dmsg(D, node, so, D_REKEY_ACK, ack, sizeof ack, k,
                              name));
out:
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    return rc;
}

int di_on_rekey_ack(dini *D, uint32_t so, sim_pkt *p)
{
    dpart *P = di_dp_of(D, so);
    size_t len;
    const unsigned char *b = di_dopen(D, so, p, D_REKEY_ACK, &len);
    uint64_t *ci = kmap_get(&P->chans, so, sim_pkt_key_name(p));
    uint32_t version, seq, o = D->so_ord[so], i;
    chan *c;

    if (!b || len != 8 || !ci)
        return -1;
    c = &P->chan[*ci];
    memcpy(&version, b, 4);
    memcpy(&seq, b + 4, 4);
    for (i = 0; i + 1 < c->n && c->rseq[i] != seq; i++)
        ;
    if (version != c->version || seq == 0 || i + 1 >= c->n) {
        di_count_dup(D);                  /* a repeat, or an older version */
        return -1;
    }
    di_rtx_done(D, so, seq, NULL);
    c->rseq[i] = 0;
    if (c->acks_wanted && --c->acks_wanted == 0 && !c->lost) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rekey_key,
                       sim_time_to_s(sim_world_now(D->w) - c->rekey_start));
        di_prev_drop(D, so, c->name);       /* every holder has the new one */
        c->clean |= c->dev_round;        /* ground truth (report) */
    }
    /* Key replacement delay of the SO: start to the last ack of all its
     * channels (seed 001 Figure 4); a round with a lost ack has none. */
    if (c->round && c->round == D->round_id[o] && D->round_wait[o] &&
        --D->round_wait[o] == 0 && !D->round_lost[o]) {
        sim_time span = sim_world_now(D->w) - D->round_start[o];
        double dt = sim_time_to_s(span);
        /* T0(s): the rest of the round, what its last change message
         * and ack spent between the nodes (links, queues, waiting for a
         * CPU): the round = Tseq + the last holder's part + T0.  The
         * holder's part is what its device spends on the change message
         * and the ack (di_holder_update_cpu: computed here from the device
         * profile and the messages' sizes, not read from the holder). */
        sim_time comm = span - D->round_seq[o] -
                        di_holder_update_cpu(D, sim_pkt_src(p));
        ana_metric_add(sim_world_metrics(D->w), D->m_rekey_round, dt);
        ana_metric_add(sim_world_metrics(D->w), D->m_key_rekey, dt);
        ana_metric_add(sim_world_metrics(D->w), D->m_round_comm,
                       sim_time_to_s(comm > 0 ? comm : 0));
    }
    return 0;
}


/* The slot of a record (gaveset: [source, slots]) that says its SO gave
 * the source global key number `order`, or NULL. */
static uint32_t *rec_slot(const dini *D, uint32_t *rec, uint32_t order)
{
    for (uint32_t i = 0; rec && i < D->o->ring; i++)
        if (rec[1 + i] == order + 1)
            return &rec[1 + i];
    return NULL;
}

/* SO so's record that it gave source v global key number `order` (its
 * slot), or NULL. */
static uint32_t *gave_slot(dini *D, uint32_t so, uint32_t v, uint32_t order)
{
    return rec_slot(D, di_gave_find(D, so, v), order);
}

/* kmsim extension (inval_replace_local, off by default): right after
 * invalidating global key number `order`, SO `so` replaces the key of
 * every live channel ending at it that the key may have carried: by its
 * own records, a channel with a hop whose two ends both had the key from
 * it (the SO cannot see which key a hop elsewhere used, so this is a
 * superset).  Each holder's change message is sealed under that holder's
 * device key, not under the current value (which whoever had the global
 * key may have read); a holder whose device key the SO lacks (registered
 * elsewhere) gets it under the current value, as in a periodic round. */
static void replace_exposed(dini *D, uint32_t so, uint32_t order)
{
    dpart *P = di_dp_of(D, so);
    for (uint32_t ci = D->chan_head[D->so_ord[so]]; ci != UINT32_MAX;
         ci = P->chan[ci].so_next) {
        const chan *c = &P->chan[ci];
        int hit = 0;
        if (!c->live || !di_key_of(D, so, c->name))
            continue;
        for (uint32_t i = 0; i + 1 < c->n && !hit; i++) {
            uint32_t a = c->path[i], b = c->path[i + 1];
            hit = gave_slot(D, so, a, order) &&
                  (b == so || gave_slot(D, so, b, order));
        }
        if (hit)
            rekey_channel_how(D, P, ci, 0, 1);
    }
}

/* Global key renewal (seed 001 §4.1: a compromised global key "should be
 * discarded from the network and further updated" -- paper; how it is
 * updated is our interpretation).  Right after SO `so` invalidated g it
 * draws a fresh global key under the next order number of its pool, from
 * its own deterministic key stream as its first keys were, and sends
 * RENEW [g][new order u32][value] to every source its own records say it
 * gave g (except `except`, a captured node the SO reacts to), sealed
 * under that source's device key, kept for retransmission until acked
 * (ACK under the device key).  The records of g are dropped (g is never
 * handed out or renewed again); registrations from now on draw from the
 * renewed pool.  With renew_global off only the records go.  With
 * inval_replace_local the channel keys g may have carried are replaced
 * first (replace_exposed), while the records still say who had g. */
void di_global_renew(dini *D, uint32_t so, uint64_t g, uint32_t except)
{
    dpart *P = di_dp_of(D, so);
    uint32_t ord = D->so_ord[so], order = (uint32_t)(g & (ORDER_LIMIT - 1));
    uint32_t fresh = D->pool_end[ord];
    int renew = D->o->renew_global && fresh < ORDER_LIMIT;
    unsigned char body[8 + 4 + CRY_KEY_BYTES];
    renewal *r = NULL;
    size_t ri = 0, n_rec, stride;
    uint32_t *rec;
    cry_key k = 0;

    if (D->o->inval_replace_local)
        replace_exposed(D, so, order);      /* before the records go */
    if (renew) {
        k = cry_key_generate(P->ks, so, fresh, &D->ops[so]);
        D->ops[so].n[CRY_OP_KDF]++;               /* generation = one KDF */
        di_charge(D, so, SCN_OP_KDF, CRY_KEY_BYTES);
        di_kt_set(D, so, GNAME(ord, fresh), k);
        D->pool_end[ord]++;
        ana_metric_add(sim_world_metrics(D->w), D->m_renewed, 1);
        if (P->n_renew == P->cap_renew) {
            P->cap_renew = P->cap_renew ? 2 * P->cap_renew : 8;
            P->renew = xreallocarray(P->renew, P->cap_renew,
                                     sizeof *P->renew);
        }
        ri = P->n_renew++;
        r = &P->renew[ri];
        memset(r, 0, sizeof *r);
        r->so = so;
        r->order = fresh;
        r->start = sim_world_now(D->w);
        memcpy(body, &g, 8);
        memcpy(body + 8, &fresh, 4);
        cry_key_export(P->ks, k, body + 12);
    }
    rec = di_gave_sorted(D, so, &n_rec, &stride);
    for (size_t i = 0; i < n_rec; i++) {
        uint32_t v = rec[i * stride];
        uint32_t *slot = rec_slot(D, &rec[i * stride], order);
        cry_key dev;
        sim_pkt *p;
        if (!slot)
            continue;
        *slot = 0;                                   /* g: never again */
        if (!renew || v == except || !(dev = di_key_of(D, so, DNAME(v))))
            continue;
        p = di_dmsg(D, so, v, D_RENEW, body, sizeof body, dev, DNAME(v));
        kmap_put(&P->renewseq, so, sim_pkt_seq(p), ri | (uint64_t)v << 32);
        *slot = fresh + 1;
        r->wait++;
        di_rel_send(D, so, p, (uint32_t)ri);
    }
    if (renew)
        cry_wipe(body, sizeof body);
}

/* An ACK of RENEW `seq` at SO `so`, opened under the device key of the
 * holder it went to (di_on_ack checked the seal): one ack fewer awaited; the
 * last one gives the renewal's delay.  A repeat, or an ack from another
 * node, changes nothing. */
int di_renew_acked(dini *D, uint32_t so, sim_pkt *p, uint32_t seq)
{
    dpart *P = di_dp_of(D, so);
    uint64_t *v = kmap_get(&P->renewseq, so, seq), e;
    renewal *r;

    if (!v || (uint32_t)(*v >> 32) != sim_pkt_src(p) ||
        sim_pkt_key_name(p) != DNAME(sim_pkt_src(p))) {
        di_count_dup(D);                 /* answered already, or not ours */
        return -1;
    }
    e = *v;
    kmap_del(&P->renewseq, so, seq);
    di_rtx_done(D, so, seq, NULL);
    r = &P->renew[(uint32_t)e];
    if (r->wait && --r->wait == 0 && !r->lost)
        ana_metric_add(sim_world_metrics(D->w), D->m_renewal,
                       sim_time_to_s(sim_world_now(D->w) - r->start));
    return 0;
}

/* RENEW `seq` of SO `so` was given up after its retransmissions: that
 * renewal gets no delay sample (counted as a missing ack). */
void di_renew_lost(dini *D, uint32_t so, uint32_t seq)
{
    dpart *P = di_dp_of(D, so);
    uint64_t *v = kmap_get(&P->renewseq, so, seq);
    renewal *r;

    if (!v)
        return;
    r = &P->renew[(uint32_t)*v];
    kmap_del(&P->renewseq, so, seq);
    r->lost = 1;
    if (r->wait)
        r->wait--;
    ana_metric_add(sim_world_metrics(D->w), D->m_renew_missing, 1);
}

void di_ev_invalidate(sim_sched *s, void *ctx, uint32_t kind,
                          uint32_t so, void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    dini *D = sim_world_proto_state(w);
    const sim_topo *t = sim_world_topo(w);
    uint64_t g = GNAME(D->so_ord[so], D->o->invalidate_key);
    (void)s; (void)kind; (void)arg; (void)u64;

    if (!di_so_drop_global(D, so, g))
        return;
    /* Broadcast the name to every registered source of this SO. */
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        cry_key dev = di_key_of(D, so, DNAME(v));
        if (!dev)
            continue;
        di_rel_send(D, so, di_dmsg(D, so, v, D_INVAL,
                                   (const unsigned char *)&g, 8,
                                   dev, DNAME(v)), 0);
    }
    di_global_renew(D, so, g, SIM_NONE);
}

/* Tombstones (review M5; kmsim interpretation: the paper only says an
 * invalidated key is discarded).  Global key g is invalid at `node` (an
 * authentic INVAL or RENEW from g's SO said so): node remembers it so
 * that a late or replayed message never installs g again.  Only the
 * names some message could still bring are kept, so that the common
 * case costs nothing: a renewed key (order >= pool: a RENEW delivers
 * it), or any name while node has no ring yet (the KEYS of its
 * registration may still come). */
static void tomb_note(dini *D, uint32_t node, uint64_t g)
{
    if ((g & (ORDER_LIMIT - 1)) >= D->o->pool || !di_dn(D, node)->keyed)
        kmap_put(&di_dp_of(D, node)->tomb, node, g, 1);
}

int di_tomb_has(const dini *D, uint32_t node, uint64_t g)
{
    const dpart *P = di_dp_of(D, node);
    return P->tomb.n && kmap_get(&P->tomb, node, g) != NULL;
}

/* Global key g is invalid at `node`: wiped, out of its ring.  Returns 1
 * if it held it. */
static int inval_global(dini *D, uint32_t node, uint64_t g)
{
    cry_key k = di_key_of(D, node, g);

    if (!k)
        return 0;
    cry_key_free(di_ks_of(D, node), k);
    di_kt_unset(D, node, g);
    for (uint32_t i = 0; i < D->o->ring; i++)
        if (di_ring_of(D, node)[i] == g)
            di_ring_of(D, node)[i] = 0;
    di_kc_mut(D, node)->global--;
    ana_metric_add(sim_world_metrics(D->w), D->m_inval, 1);
    return 1;
}

/* SO `so` no longer trusts the channel key `name` (the channel went
 * through a captured node): `node`, one of its honest holders, wipes it
 * (current and previous value, route entry, connection-table entries); a
 * source whose channel it was sets up a new one with its next data.  Only
 * for a key of a channel ending at `so` (its route entry says so, or it is
 * the channel of a source that moved there).  Returns 1 if it held it. */
static int inval_local(dini *D, uint32_t node, uint32_t so, uint64_t name)
{
    const uint64_t *r = di_nt_get(D, &D->route, "dini.route", node, name);
    const sim_topo *t = sim_world_topo(D->w);
    dnode *n = di_dn(D, node);
    int own = n->ch_name == name && n->state != CH_NONE &&
              sim_world_home_so(D->w, node) == so;

    if (!di_key_of(D, node, name) ||
        !((r && (uint32_t)(*r >> 32) == so) || own))
        return 0;
    di_key_del(D, node, name);
    di_prev_drop(D, node, name);
    di_nt_del(D, &D->route, "dini.route", node, name);
    for (uint32_t e = t->adj_off[node]; e < t->adj_off[node + 1]; e++)
        di_ct_del(D, node, t->adj[e], name);
    di_ct_del(D, node, so, name);                 /* KT, or over the network */
    if (own && (n->state == CH_READY || n->state == CH_PAIRING)) {
        n->state = CH_NONE;
        n->moving = 0;
        n->attempt++;                  /* a pending set-up timeout is stale */
        if (n->pend)
            di_pair_start(D, node);
    }
    return 1;
}

/* An SO's invalidation: a list of key names (8 bytes each).  Global keys
 * of the SO's pool (compromised: seed 001 §4.1), and, after a node
 * capture, local keys of channels through the captured node (at most
 * INVAL_MAX, dini_int.h). */
int di_on_inval(dini *D, uint32_t node, sim_pkt *p)
{
    size_t len;
    const unsigned char *b;
    uint32_t so = sim_pkt_src(p);
    int changed = 0;

    /* Sealed under our own device key, by an SO: a message sealed under
     * another key we hold (a global key an insider shares) is not the
     * SO's. */
    if (sim_pkt_key_name(p) != DNAME(node) || so >= D->n_nodes ||
        !di_is_so(D, so)) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
        return -1;
    }
    b = di_dopen(D, node, p, D_INVAL, &len);
    if (!b || len < 8 || len % 8 || len > 8 * INVAL_MAX)
        return -1;
    di_send_ack(D, node, so, D_INVAL, sim_pkt_seq(p),
                di_key_of(D, node, DNAME(node)), DNAME(node));
    for (size_t i = 0; i < len; i += 8) {
        uint64_t name;
        memcpy(&name, b + i, 8);
        if ((name & (NAME_GLOBAL | NAME_DEVICE)) == NAME_GLOBAL) {
            if (((name & ~NAME_GLOBAL) >> 24) == D->so_ord[so])
                tomb_note(D, node, name);
            changed |= inval_global(D, node, name);
        } else if (IS_LOCAL(name))
            changed |= inval_local(D, node, so, name);
    }
    if (!changed) {
        di_count_dup(D);                   /* already gone: a repeat */
        return -1;
    }
    return 0;
}

/* A RENEW at a source, [g][order u32][value] from its SO, sealed under
 * the source's own device key (only that one: see di_on_inval).  g is
 * invalid from now on (wiped if still held: the RENEW may overtake the
 * INVAL), the new key GNAME(SO, order) takes a free place in the ring;
 * acked under the device key.  A repeat with the value already installed
 * is acked again and changes nothing; another value for a name held is
 * refused (a replay or a forgery), and so is a RENEW that arrives before
 * the ring itself (its retransmission will come after). */
int di_on_renew(dini *D, uint32_t node, sim_pkt *p)
{
    uint32_t so = sim_pkt_src(p), order, slot, ring = D->o->ring;
    uint64_t *rg = di_ring_of(D, node);
    const unsigned char *b;
    size_t len;
    uint64_t g, g2;
    cry_key k, held;
    int rc = -1;

    if (sim_pkt_key_name(p) != DNAME(node) || so >= D->n_nodes ||
        !di_is_so(D, so) || di_is_so(D, node)) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
        return -1;
    }
    if (!(b = di_dopen(D, node, p, D_RENEW, &len)))
        return -1;
    if (len != 8 + 4 + CRY_KEY_BYTES)
        goto out;
    memcpy(&g, b, 8);
    memcpy(&order, b + 8, 4);
    if ((g & (NAME_GLOBAL | NAME_DEVICE)) != NAME_GLOBAL ||
        ((g & ~NAME_GLOBAL) >> 24) != D->so_ord[so] || order >= ORDER_LIMIT ||
        (g2 = GNAME(D->so_ord[so], order)) == g)
        goto out;
    tomb_note(D, node, g);
    if (!di_dn(D, node)->keyed)
        goto out;
    if (di_tomb_has(D, node, g2)) {
        di_count_dup(D);                 /* g2 invalidated since: stale */
        goto out;
    }
    k = cry_key_import(di_ks_of(D, node), b + 12);
    if ((held = di_key_of(D, node, g2))) {
        int same = cry_key_equal(di_ks_of(D, node), k, held);
        cry_key_free(di_ks_of(D, node), k);
        if (!same) {
            ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
            goto out;
        }
        di_count_dup(D);                 /* our ack was lost: acked again */
        di_send_ack(D, node, so, D_RENEW, sim_pkt_seq(p),
                    di_key_of(D, node, DNAME(node)), DNAME(node));
        goto out;
    }
    inval_global(D, node, g);
    for (slot = 0; slot < ring && rg[slot]; slot++)
        ;
    if (slot == ring) {
        cry_key_free(di_ks_of(D, node), k); /* no place: not a key we had */
        goto out;
    }
    di_kt_set(D, node, g2, k);
    rg[slot] = g2;
    di_kc_mut(D, node)->global++;
    di_send_ack(D, node, so, D_RENEW, sim_pkt_seq(p),
                di_key_of(D, node, DNAME(node)), DNAME(node));
    rc = 0;
out:
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    return rc;
}

/* Ground truth: local key `name` handed over under global key g. */
void di_offered_note(dpart *P, uint64_t g, uint64_t name)
{
    if (P->n_offered == P->cap_offered) {
        P->cap_offered = P->cap_offered ? 2 * P->cap_offered : 64;
        P->offered = xreallocarray(P->offered, P->cap_offered,
                                   sizeof *P->offered);
    }
    P->offered[P->n_offered][0] = g;
    P->offered[P->n_offered++][1] = name;
}

/* Ground truth for the report (reads every node's state; no node decides
 * from it): local keys still in use -- the key of a live channel that its
 * SO still holds -- that were handed over on some hop under a global key
 * invalidated since.  Whoever had that global key and recorded the offer
 * knows them; a replacement since does not help, since each change
 * message is sealed under the value it replaces -- unless it was sealed
 * under the holders' device keys (inval_replace_local) and completed.
 * Each name counted once. */
double di_residual_local_keys(dini *D)
{
    kmap bad, counted;
    double res = 0;
    size_t inval = 0;

    for (int q = 0; q < D->nparts; q++)
        inval += D->dp[q].ginval.n;
    if (inval == 0)
        return 0;                     /* no global key invalidated */
    kmap_init(&bad);
    kmap_init(&counted);
    /* Sets, so the partitions' order does not matter: the hand-overs
     * under a global key invalidated at any SO, then the channels. */
    for (int q = 0; q < D->nparts; q++)
        for (size_t i = 0; i < D->dp[q].n_offered; i++)
            for (int r = 0; r < D->nparts; r++)
                if (kmap_get(&D->dp[r].ginval, D->dp[q].offered[i][0], 0))
                    kmap_put(&bad, D->dp[q].offered[i][1], 0, 1);
    for (int q = 0; q < D->nparts; q++) {
        const dpart *P = &D->dp[q];
        for (size_t ci = 0; ci < P->n_chan && bad.n; ci++) {
            const chan *c = &P->chan[ci];
            if (c->live && !c->clean && di_key_of(D, c->so, c->name) &&
                kmap_get(&bad, c->name, 0) &&
                !kmap_get(&counted, c->name, 0)) {
                kmap_put(&counted, c->name, 0, 1);
                res++;
            }
        }
    }
    kmap_deinit(&bad);
    kmap_deinit(&counted);
    return res;
}
