/* dini_setup.c — Dini et al., channel set-up (seed 001 Algorithm 1,
 * §4.1): key propagation along a path, failed propagation and set-up
 * time-outs, channels made ready, then the SO registration and the control
 * messages of pairing (KEYS, FINDG, PAIRREQ, OFFER, KACK, READY, ACK). */

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
 * Channel set-up
 * ---------------------------------------------------------------------- */

static void send_offer(dini *D, dpart *P, uint32_t pi, uint64_t pk);

/* Generates a new local key at node g: f(<g, incr>) under g's master. */
cry_key di_new_local(dini *D, uint32_t g, uint64_t *name)
{
    dnode *n = di_dn(D, g);
    cry_key master = di_key_of(D, g, NAME_MASTER);
    cry_key k;

    sim_time before = n->cpu_due;

    if (n->next_incr >> D->o->d)
        return 0;                       /* K_incr space exhausted */
    *name = di_local_name(D, g, n->next_incr++);
    cry_count_concat(&D->ops[g], D->o->knode_bytes);
    cry_count_concat(&D->ops[g], D->o->kincr_bytes);
    di_charge(D, g, SCN_OP_CONCAT, D->o->knode_bytes);
    di_charge(D, g, SCN_OP_CONCAT, D->o->kincr_bytes);
    k = cry_key_derive(di_ks_of(D, g), master, *name, "kmsimloc", &D->ops[g]);
    di_charge(D, g, SCN_OP_KDF, CRY_KEY_BYTES);
    ana_metric_add(sim_world_metrics(D->w), D->m_keygen_local,
                   sim_time_to_s(n->cpu_due - before));
    return k;
}

/* The propagation's path: a copy of path[0..n-1] (n <= MAX_PATH). */
void di_prop_set_path(prop *pr, const uint32_t *path, uint32_t n)
{
    assert(n <= MAX_PATH);
    pr->n = n;
    memcpy(pr->path, path, sizeof *path * n);
}

static void ev_prop_expire(sim_sched *s, void *ctx, uint32_t kind,
                           uint32_t node, void *arg, uint64_t u64);

/* A new propagation record held by `holder` for the source's `attempt`:
 * its index (valid until the next di_prop_new: the array grows).  It ends at
 * the offer or failure of its hop (di_prop_free), at the latest after
 * setup_timeout (an answer lost with retransmission off). */
uint32_t di_prop_new(dini *D, uint32_t holder, uint32_t attempt)
{
    dpart *P = di_dp_of(D, holder);
    uint32_t i;
    prop *pr;

    if (P->prop_free != UINT32_MAX) {
        i = P->prop_free;
        P->prop_free = P->prop[i].next_free;
    } else {
        if (P->n_prop == P->cap_prop) {
            P->cap_prop = P->cap_prop ? 2 * P->cap_prop : 16;
            P->prop = xreallocarray(P->prop, P->cap_prop, sizeof *P->prop);
        }
        i = (uint32_t)P->n_prop++;
    }
    pr = &P->prop[i];
    memset(pr, 0, offsetof(prop, path));
    pr->live = 1;
    pr->attempt = attempt;
    if (++P->prop_gen == 0)
        P->prop_gen = 1;
    pr->gen = P->prop_gen;
    sim_sched_in(sim_world_sched(D->w), D->o->setup_timeout, ev_prop_expire,
                 SIM_EV_PROTO + 6, holder, NULL, (uint64_t)i << 32 | pr->gen);
    return i;
}

/* Propagation pi is over at its holder: its FINDG tag forgotten, its slot
 * free. */
void di_prop_free(dini *D, dpart *P, uint32_t pi)
{
    prop *pr = &P->prop[pi];

    (void)D;
    if (!pr->live)
        return;
    if (pr->tag)
        kmap_del(&P->ptag, pr->path[pr->pos], pr->tag);
    pr->live = 0;
    pr->next_free = P->prop_free;
    P->prop_free = pi;
}

static void ev_prop_expire(sim_sched *s, void *ctx, uint32_t kind,
                           uint32_t node, void *arg, uint64_t u64)
{
    dini *D = sim_world_proto_state(ctx);
    dpart *P = di_dp_of(D, node);
    uint32_t pi = (uint32_t)(u64 >> 32);
    (void)s; (void)kind; (void)arg;

    if (pi < P->n_prop && P->prop[pi].live &&
        P->prop[pi].gen == (uint32_t)u64)
        di_prop_free(D, P, pi);
}

/* The next hop of a propagation: sender path[pos], receiver path[pos+dir]. */
uint32_t di_prop_from(const prop *pr) { return pr->path[pr->pos]; }
static uint32_t prop_to(const prop *pr)
{
    return pr->path[(int)pr->pos + pr->dir];
}

/* Sends findGlobalKey(a, b): [tag u32][a's global key names]. */
static void send_findg(dini *D, uint32_t a, uint32_t b, uint32_t tag,
                       uint32_t ref)
{
    unsigned char body[4 + 8 * 1024];
    size_t len = 4;

    memcpy(body, &tag, 4);
    if (!di_is_so(D, a))
        for (uint32_t i = 0; i < D->o->ring && len + 8 <= sizeof body; i++) {
            uint64_t g = di_ring_of(D, a)[i];
            if (g && di_key_of(D, a, g)) {
                memcpy(body + len, &g, 8);
                len += 8;
            }
        }
    di_rel_send(D, a, di_dmsg(D, a, b, D_FINDG, body, len, 0, 0), ref);
}

/* Hands K from path[pos] to the next node, with a key the sender picks
 * from its own state: the local key in its CT for the receiver (Algorithm
 * 1's (M,N)_K' branch), an SO's device key of a subscriber, or else the
 * global key named by the answer to a findGlobalKey exchange. */
void di_prop_step(dini *D, dpart *P, uint32_t pi)
{
    prop *pr = &P->prop[pi];
    uint32_t a = di_prop_from(pr), b = prop_to(pr);
    uint64_t pkey = di_ct_get(D, a, b);

    if (pkey == DINI_NO_KEY && di_is_so(D, a) && di_is_sub(D, b) &&
        di_key_of(D, a, DNAME(b)))
        pkey = DNAME(b);
    if (pkey != DINI_NO_KEY) {
        send_offer(D, P, pi, pkey);   /* a local pair key, or a device key */
        return;
    }
    /* findGlobalKey(a, b): a lists its global key names in clear (an SO
     * lists none: the peer names a key of its ring from the SO's pool).
     * The tag (a fresh number a maps to the propagation, from a's own
     * counter: a value that travels depends on a's events only) comes
     * back in the answer. */
    if (++di_dn(D, a)->findg_tag == 0)
        di_dn(D, a)->findg_tag = 1;
    pr->tag = di_dn(D, a)->findg_tag;
    kmap_put(&P->ptag, a, pr->tag, pi);
    send_findg(D, a, b, pr->tag, pr->tag);
}


/* Sends the OFFER of propagation pi's hop under pkey; the propagation is
 * then over at its sender (the OFFER's retransmission is di_rel_send's). */
static void send_offer(dini *D, dpart *P, uint32_t pi, uint64_t pkey)
{
    prop *pr = &P->prop[pi];
    uint32_t a = di_prop_from(pr), b = prop_to(pr);
    unsigned char body[8 + CRY_KEY_BYTES + 3 + 4 + 4 * MAX_PATH];
    cry_key kk = di_key_of(D, a, pr->name), pkk = di_key_of(D, a, pkey);
    size_t len = 0;
    sim_pkt *p;

    if (!kk || !pkk) {
        di_prop_free(D, P, pi);
        return;          /* wiped meanwhile (set-up abandoned, invalidated) */
    }
    if (pr->dir > 0 && pr->pos == 0 && di_dn(D, a)->has_spare &&
        di_dn(D, a)->spare_name == pr->name)
        di_dn(D, a)->has_spare = 0;         /* K leaves the source */
    if (pr->dir < 0 && pr->pos == pr->n - 1 && di_is_so(D, a)) {
        const uint64_t *ci = kmap_get(&P->chans, a, pr->name);
        if (ci && !P->chan[*ci].live)
            P->chan[*ci].handed = 1;     /* K leaves the SO: not reused */
    }
    if ((pkey & (NAME_GLOBAL | NAME_DEVICE)) == NAME_GLOBAL)
        di_offered_note(P, pkey, pr->name);             /* ground truth only */
    memcpy(body, &pr->name, 8);
    cry_key_export(P->ks, kk, body + 8);
    len = 8 + CRY_KEY_BYTES;
    body[len++] = (unsigned char)pr->n;
    body[len++] = (unsigned char)((int)pr->pos + pr->dir);
    body[len++] = (unsigned char)(pr->dir > 0);
    memcpy(body + len, &pr->attempt, 4);
    len += 4;
    memcpy(body + len, pr->path, 4 * (size_t)pr->n);
    len += 4 * (size_t)pr->n;
    p = di_dmsg(D, a, b, D_OFFER, body, len, pkk, pkey);
    cry_wipe(body, sizeof body);
    di_prop_free(D, P, pi);
    di_rel_send(D, a, p, 0);
}

/* The source found no channel (no path, or no K_incr left): reported
 * disconnected once its search is over, detection time counted, its
 * waiting data dropped; it searches again after retry_after. */
void di_disconnect(dini *D, uint32_t s)
{
    dnode *n = di_dn(D, s);
    ana_metrics *m = sim_world_metrics(D->w);

    n->state = CH_DISCONNECTED;
    ana_metric_add(m, D->m_disconnected, 1);
    ana_metric_add(m, D->m_detect,
                   sim_time_to_s(sim_world_now(D->w) - n->pair_start));
    while (n->pend) {
        sim_pkt *q = n->pend;
        n->pend = q->next;
        ana_metric_add(m, D->m_pend_drop, 1);
        sim_pkt_free(D->w, q);
    }
    n->pend_tail = NULL;
    n->n_pend = 0;
}

/* Starts (or restarts) the channel of source s towards its home SO. */
static void ev_setup(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64);

/* A new set-up attempt of source s, with its timeout. */
void di_attempt_begin(dini *D, uint32_t s)
{
    dnode *n = di_dn(D, s);
    n->attempt++;
    sim_sched_in(sim_world_sched(D->w), D->o->setup_timeout, ev_setup,
                 SIM_EV_PROTO + 4, s, NULL, n->attempt);
}


/* ---- Failed propagation ---- */

/* The candidate being set up by s failed at hop a -> b (no key named):
 * a key s generated for it is wiped, and s goes on with the next. */
static void pfail_at_source(dini *D, uint32_t s)
{
    dnode *n = di_dn(D, s);

    if (!D->o->so_generates &&
        !(n->has_spare && n->spare_name == n->ch_name))
        di_key_del(D, s, n->ch_name);          /* others may hold it */
    di_setup_next(D, s);
}

/* Hop a -> b of propagation pi got an empty findGlobalKey answer (or none
 * at all), handled once: the propagation is over at a; the SO that
 * generated K for it keeps K for the source's next request (its offer
 * never left the SO: pairpend, so_pair), and the source is told (PFAIL:
 * [K u64][a u32][b u32][attempt u32], clear, retransmitted until acked)
 * unless it is a itself. */
void di_prop_fail(dini *D, dpart *P, uint32_t pi)
{
    prop *pr = &P->prop[pi];
    uint32_t a = di_prop_from(pr), b = prop_to(pr), s = pr->path[0];
    uint32_t attempt = pr->attempt;
    unsigned char body[20];
    uint64_t name = pr->name;

    if (!pr->live || pr->failed)
        return;                          /* failed already: once */
    pr->failed = 1;
    di_prop_free(D, P, pi);
    if (di_is_sub(D, s))
        return;                          /* an SO's leg to a subscriber */
    if (a == s) {
        dnode *n = di_dn(D, s);
        if (n->state == CH_PAIRING && !n->moving && n->ch_name == name &&
            n->attempt == attempt)
            pfail_at_source(D, s);
        return;
    }
    memcpy(body, &name, 8);
    memcpy(body + 8, &a, 4);
    memcpy(body + 12, &b, 4);
    memcpy(body + 16, &attempt, 4);
    di_rel_send(D, a, di_dmsg(D, a, s, D_PFAIL, body, sizeof body, 0, 0), 0);
}

/* PFAIL at source s: acknowledged (clear), and accepted only from a node
 * of the hop named, on the candidate s is setting up now, for its current
 * attempt (a late PFAIL of an earlier attempt over a shared hop is
 * stale).  0, or -1. */
int di_on_pfail(dini *D, uint32_t s, sim_pkt *p)
{
    const unsigned char *b = sim_pkt_data(p) + 1;
    dnode *n = di_dn(D, s);
    uint32_t a, bb, attempt, *c = n->cur;
    uint64_t name;
    int on = 0;

    if (sim_pkt_data_len(p) != 21)
        return -1;
    memcpy(&name, b, 8);
    memcpy(&a, b + 8, 4);
    memcpy(&bb, b + 12, 4);
    memcpy(&attempt, b + 16, 4);
    if (a != sim_pkt_src(p))
        return -1;
    di_send_ack(D, s, a, D_PFAIL, sim_pkt_seq(p), 0, 0);
    if (n->state != CH_PAIRING || n->moving || !c || attempt != n->attempt ||
        (!D->o->so_generates && name != n->ch_name))
        return -1;
    for (uint32_t i = 1; i < c[0] && !on; i++)
        on = (c[i] == a && c[i + 1] == bb) || (c[i] == bb && c[i + 1] == a);
    if (!on)
        return -1;                           /* not our current path */
    pfail_at_source(D, s);
    return 0;
}

/* The set-up of attempt u64 is not finished after setup_timeout (a
 * message lost beyond its retransmissions, a node on the path gone): a
 * search is concluded as disconnected, a pairing abandoned (a key the
 * source generated for it is wiped) and started again from scratch; the
 * set-up delay keeps counting from the first attempt. */
static void ev_setup(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64)
{
    dini *D = sim_world_proto_state(ctx);
    dnode *n = di_dn(D, node);
    (void)s; (void)kind; (void)arg;

    if (n->attempt != (uint32_t)u64 ||
        (n->state != CH_PAIRING && n->state != CH_SEARCHING))
        return;
    ana_metric_add(sim_world_metrics(D->w), D->m_setup_timeout, 1);
    if (n->state == CH_SEARCHING) {
        di_disconnect(D, node);
        return;
    }
    if (!D->o->so_generates && !n->moving &&
        !(n->has_spare && n->spare_name == n->ch_name))
        di_key_del(D, node, n->ch_name);
    n->moving = 0;
    n->state = CH_NONE;
    n->restart = 1;
    if (n->pend)
        di_pair_start(D, node);
}

/* Remembers the channel of `name` ending at so (for replacement). */
void di_chan_add(dini *D, uint64_t name, const uint32_t *path, uint32_t n,
                     int live)
{
    chan *c;
    uint32_t so = path[n - 1];
    dpart *P = di_dp_of(D, so);

    if (kmap_get(&P->chans, so, name))
        return;
    if (P->n_chan == P->cap_chan) {
        P->cap_chan = P->cap_chan ? 2 * P->cap_chan : 16;
        P->chan = xreallocarray(P->chan, P->cap_chan, sizeof *P->chan);
    }
    c = &P->chan[P->n_chan];
    memset(c, 0, sizeof *c);
    c->name = name;
    c->so = so;
    c->n = n;
    c->live = (uint8_t)live;
    c->path = xcalloc(2 * (size_t)n, sizeof *c->path);
    c->rseq = c->path + n;
    memcpy(c->path, path, sizeof *path * n);
    /* Appended to its SO's list: rounds visit channels in creation order. */
    c->so_next = UINT32_MAX;
    if (D->chan_head[D->so_ord[so]] == UINT32_MAX)
        D->chan_head[D->so_ord[so]] = (uint32_t)P->n_chan;
    else
        P->chan[D->chan_tail[D->so_ord[so]]].so_next = (uint32_t)P->n_chan;
    D->chan_tail[D->so_ord[so]] = (uint32_t)P->n_chan;
    kmap_put(&P->chans, so, name, P->n_chan++);
}

/* The record of an unconfirmed channel ci at its SO is used again for
 * the same source's next request (H2: records bounded by the sources, not
 * by their attempts): key `name`, path[0..n-1], nothing confirmed; its
 * place in the SO's list stays. */
static void chan_reset(dini *D, uint32_t ci, uint64_t name,
                       const uint32_t *path, uint32_t n)
{
    dpart *P = di_dp_of(D, path[n - 1]);
    chan *c = &P->chan[ci];
    uint32_t so_next = c->so_next;

    assert(!c->live && c->so == path[n - 1]);
    kmap_del(&P->chans, c->so, c->name);
    free(c->path);
    memset((char *)c + offsetof(chan, so_next), 0,
           sizeof *c - offsetof(chan, so_next));
    c->so_next = so_next;
    c->name = name;
    c->n = n;
    c->path = xcalloc(2 * (size_t)n, sizeof *c->path);
    c->rseq = c->path + n;
    memcpy(c->path, path, sizeof *path * n);
    kmap_put(&P->chans, c->so, name, ci);
}

/* Route entry of node path[i] of a channel: the next node up (towards the
 * SO) and the SO it ends at (a packet under the same key addressed
 * elsewhere, after a handover, is not the channel's). */
void di_route_set(dini *D, uint64_t name, const uint32_t *path,
                      uint32_t n, uint32_t i)
{
    uint64_t up = i + 1 < n ? path[i + 1] : UINT32_MAX;
    /* A hop over the routed network (findglobalkey: network, a source
     * paired with its SO directly): no next node of the channel, the
     * world's routing carries the data. */
    if (up != UINT32_MAX && !di_adjacent(D, path[i], (uint32_t)up))
        up = SIM_NONE;
    di_nt_put(D, &D->route, "dini.route", path[i], name,
              up | (uint64_t)path[n - 1] << 32);
    di_nt_put(D, &D->rhops, "dini.rhops", path[i], name, n - 1 - i);
}

/* The route entry of `node` for p's key if p is on that channel. */
const uint64_t *di_route_of(const dini *D, uint32_t node, const sim_pkt *p)
{
    const uint64_t *r = di_nt_get(D, &D->route, "dini.route", node,
                                  sim_pkt_key_name(p));
    return r && (uint32_t)(*r >> 32) == sim_pkt_dst(p) ? r : NULL;
}


void di_channel_ready(dini *D, uint32_t s)
{
    dnode *n = di_dn(D, s);
    ana_metrics *m = sim_world_metrics(D->w);
    double dt = sim_time_to_s(sim_world_now(D->w) - n->pair_start);

    n->state = CH_READY;
    if (n->has_spare && n->spare_name != n->ch_name)
        di_key_del(D, s, n->spare_name);    /* ready another way: not needed */
    n->has_spare = 0;
    ana_metric_add(m, D->m_channels, 1);
    ana_metric_add(m, D->m_setup, dt);
    /* set-up = discovery (start to the propagation of the path taken) +
     * propagation (to ready) */
    ana_metric_add(m, D->m_disc,
                   sim_time_to_s(n->prop_start - n->pair_start));
    ana_metric_add(m, D->m_prop,
                   sim_time_to_s(sim_world_now(D->w) - n->prop_start));
    ana_metric_add(m, D->m_key_setup, dt);
    if (n->hops < MAX_PATH)
        ana_metric_add(m, D->m_setup_hops[n->hops], dt);
    di_flush_pending(D, s);
}


/* ------------------------------------------------------------------------
 * Registration and control messages
 * ---------------------------------------------------------------------- */

/* SO so's records (gaveset), checked as its own in the test build. */
static gaveset *gave_of(dini *D, uint32_t so)
{
    sim_world_local(D->w, so, NULL, "dini.gave");
    assert(di_is_so(D, so));
    return &D->gave[D->so_ord[so]];
}

/* A new record of SO so for source src (slots to be filled by the
 * caller); src has none there yet. */
static uint32_t *gave_add(dini *D, uint32_t so, uint32_t src)
{
    gaveset *g = gave_of(D, so);
    size_t stride = 1 + (size_t)D->o->ring;
    uint32_t *r;

    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        g->rec = xreallocarray(g->rec, g->cap, stride * sizeof *g->rec);
    }
    if (g->n > 0 && g->rec[(g->n - 1) * stride] > src)
        g->sorted = 0;
    else if (g->n == 0)
        g->sorted = 1;
    r = &g->rec[g->n++ * stride];
    r[0] = src;
    return r;
}

static int gave_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* SO so's records, sorted by source; *n gets their number, *stride the
 * words per record. */
uint32_t *di_gave_sorted(dini *D, uint32_t so, size_t *n, size_t *stride)
{
    gaveset *g = gave_of(D, so);

    *stride = 1 + (size_t)D->o->ring;
    if (!g->sorted) {
        qsort(g->rec, g->n, *stride * sizeof *g->rec, gave_cmp);
        g->sorted = 1;
    }
    *n = g->n;
    return g->rec;
}

/* SO so's record of source v, or NULL. */
uint32_t *di_gave_find(dini *D, uint32_t so, uint32_t v)
{
    size_t n, stride, lo = 0, hi;
    uint32_t *rec = di_gave_sorted(D, so, &n, &stride);

    for (hi = n; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec[mid * stride] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && rec[lo * stride] == v ? &rec[lo * stride] : NULL;
}

void dini_register_so(sim_world *w, void *ps, uint32_t so,
                             uint32_t src)
{
    dini *D = ps;
    const dini_opts *o = D->o;
    gsl_rng *r = sim_rng_get(sim_world_rng(w), SIM_RNG_PROTOCOL, so);
    unsigned char *body = xmalloc(1 + (size_t)o->ring * (4 + CRY_KEY_BYTES));
    uint32_t *pick = xmalloc(sizeof *pick * o->ring);
    uint32_t so_ord = D->so_ord[so], m = 0, *rec;
    uint32_t *all = xmalloc(sizeof *all * D->pool_end[so_ord]);
    size_t len = 1;
    cry_key dev;

    /* A ring of `ring` distinct valid keys drawn from the SO's pool (the
     * renewed keys in place of the invalidated ones). */
    for (uint32_t g = 0; g < D->pool_end[so_ord]; g++)
        if (di_key_of(D, so, GNAME(so_ord, g)))
            all[m++] = g;
    if (m > o->ring) {
        gsl_ran_choose(r, pick, o->ring, all, m, sizeof *all);
        m = o->ring;
    } else {
        memcpy(pick, all, sizeof *pick * m);
    }
    body[0] = (unsigned char)m;
    rec = gave_add(D, so, src);              /* the SO's own records */
    for (uint32_t i = 0; i < o->ring; i++)
        rec[1 + i] = i < m ? pick[i] + 1 : 0;
    for (uint32_t i = 0; i < m; i++) {
        memcpy(body + len, &pick[i], 4);
        cry_key_export(di_ks_of(D, so), di_key_of(D, so, GNAME(so_ord,
                                                               pick[i])),
                       body + len + 4);
        len += 4 + CRY_KEY_BYTES;
    }
    /* The SO knows each source's device key (its factory credential). */
    dev = di_key_of(D, so, DNAME(src));
    if (!dev) {
        /* Provisioned at the factory, out of band: the SO's own copy. */
        dev = di_device_key(D, so, src);
        di_kt_set(D, so, DNAME(src), dev);
    }
    /* device_keys off (as published): the ring goes in clear. */
    di_rel_send(D, so, di_dmsg(D, so, src, D_KEYS, body, len,
                               o->device_keys ? dev : 0, DNAME(src)), 0);
    cry_wipe(body, len);
    free(body);
    free(pick);
    free(all);
}

/* Opens the sealed data part of a control message addressed to `node`
 * with its copy of the key named in the header; checks the inner type.
 * Returns the body (after the type byte) and its length, or NULL. */
/* Opens the sealed data part of a control message addressed to `node`
 * with key k (its copy of the key named in the header when k is 0);
 * checks the inner type.  Returns the body (after the type byte) and its
 * length, or NULL (counted as rejected when `count`). */
const unsigned char *di_dopen_key(dini *D, uint32_t node, sim_pkt *p,
                                      int type, cry_key k, int count,
                                      size_t *len)
{
    uint32_t dlen = sim_pkt_data_len(p);

    if (!k)
        k = di_key_of(D, node, sim_pkt_key_name(p));
    if (!k || !(sim_pkt_flags(p) & SIM_F_DATA_SEALED) ||
        sim_pkt_open_data(p, di_ks_of(D, node), k, &D->ops[node]) != 0 ||
        sim_pkt_data_len(p) < 1 || sim_pkt_data(p)[0] != type) {
        if (count)
            ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
        return NULL;
    }
    di_charge(D, node, SCN_OP_OPEN, dlen);
    *len = sim_pkt_data_len(p) - 1;
    return sim_pkt_data(p) + 1;
}

const unsigned char *di_dopen(dini *D, uint32_t node, sim_pkt *p,
                                  int type, size_t *len)
{
    return di_dopen_key(D, node, p, type, 0, 1, len);
}

/* Acknowledges message `seq` of type `type` to `to`: [type][seq], sealed
 * under k (name) when k != 0. */
void di_send_ack(dini *D, uint32_t node, uint32_t to, int type,
                     uint32_t seq, cry_key k, uint64_t name)
{
    unsigned char body[5];
    body[0] = (unsigned char)type;
    memcpy(body + 1, &seq, 4);
    di_dsend(D, node, di_dmsg(D, node, to, D_ACK, body, sizeof body, k, name));
}

void di_count_dup(dini *D)
{
    ana_metric_add(sim_world_metrics(D->w), D->m_dup, 1);
}


/* The ring: sealed under the source's device key (device_keys), or in
 * clear (as published; then so is its ACK, and anyone can send one). */
int di_on_keys(dini *D, uint32_t node, sim_pkt *p)
{
    size_t len = 0;
    const unsigned char *b;
    dnode *n = di_dn(D, node);
    uint32_t so = sim_pkt_src(p);
    cry_key dev = D->o->device_keys ? di_key_of(D, node, DNAME(node)) : 0;

    if (D->o->device_keys) {
        b = di_dopen(D, node, p, D_KEYS, &len);
    } else if (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED) &&
               sim_pkt_data_len(p) >= 1 && sim_pkt_data(p)[0] == D_KEYS) {
        b = sim_pkt_data(p) + 1;
        len = sim_pkt_data_len(p) - 1;
    } else {
        ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
        b = NULL;
    }
    if (!b || !di_is_so(D, so))
        return -1;
    if (n->keyed) {                         /* a retransmission */
        di_count_dup(D);
        cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
        di_send_ack(D, node, so, D_KEYS, sim_pkt_seq(p), dev, DNAME(node));
        return -1;
    }
    if (len < 1 || len != 1 + (size_t)b[0] * (4 + CRY_KEY_BYTES) ||
        b[0] > D->o->ring) {
        cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
        return -1;
    }
    for (uint32_t i = 0; i < b[0]; i++) {
        uint32_t order;
        memcpy(&order, b + 1 + i * (4 + CRY_KEY_BYTES), 4);
        if (order >= ORDER_LIMIT) {
            cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
            return -1;
        }
    }
    /* The ring and the local keys of its channel (current and kept
     * previous value) fit the node's key table at once: its block is
     * made at its final size, not grown through ones left unused. */
    sim_world_local(D->w, node, NULL, "dini.keys");
    nt_touch(D, node);
    kmapn_reserve(&D->keys, node, kmapn_count(&D->keys, node) + b[0] + 2);
    for (uint32_t i = 0; i < b[0]; i++) {
        uint32_t order;
        uint64_t name;
        memcpy(&order, b + 1 + i * (4 + CRY_KEY_BYTES), 4);
        name = GNAME(D->so_ord[so], order);
        if (di_tomb_has(D, node, name))
            continue;                 /* invalidated before it came */
        di_key_put(D, node, name,
                   cry_key_import(di_ks_of(D, node),
                                  b + 1 + i * (4 + CRY_KEY_BYTES) + 4));
        di_ring_of(D, node)[i] = name;
        di_kc_mut(D, node)->global++;
    }
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    n->keyed = 1;
    di_send_ack(D, node, so, D_KEYS, sim_pkt_seq(p), dev, DNAME(node));
    if (n->pend)
        di_pair_start(D, node);
    return 0;
}

int di_on_findg(dini *D, uint32_t node, sim_pkt *p)
{
    uint32_t from = sim_pkt_src(p), seq = sim_pkt_seq(p);
    size_t len = sim_pkt_data_len(p) - 1;
    const unsigned char *b = sim_pkt_data(p) + 1;
    unsigned char ack[16];
    uint64_t found = 0;

    if (len < 4 || (len - 4) % 8)
        return -1;
    if (di_is_so(D, from)) {
        /* An SO asks: a valid global key of our ring from its pool (the
         * pool is in the name; not our local keys with it: the question
         * is about global keys). */
        uint64_t pool = GNAME(D->so_ord[from], 0);
        for (uint32_t i = 0; i < D->o->ring && !found; i++) {
            uint64_t g = di_ring_of(D, node)[i];
            if (g && (g & ~(uint64_t)0xffffff) == pool && di_key_of(D, node,
                                                                    g))
                found = g;
        }
    }
    /* Look the asker's names up among the keys this node holds. */
    for (size_t i = 4; i + 8 <= len && !found; i += 8) {
        uint64_t g;
        memcpy(&g, b + i, 8);
        if ((g & (NAME_GLOBAL | NAME_DEVICE)) == NAME_GLOBAL &&
            di_key_of(D, node, g))
            found = g;          /* a global key: never a master or device */
    }
    memcpy(ack, b, 4);                          /* the asker's tag */
    memcpy(ack + 4, &found, 8);
    memcpy(ack + 12, &seq, 4);
    di_dsend(D, node, di_dmsg(D, node, from, D_FINDG_ACK, ack, sizeof ack, 0,
                              0));
    return 0;
}

int di_on_findg_ack(dini *D, uint32_t node, sim_pkt *p)
{
    dpart *P = di_dp_of(D, node);
    uint32_t from = sim_pkt_src(p), tag, seq, ref;
    const uint64_t *pi, *rx;
    uint64_t g;

    if (sim_pkt_data_len(p) != 17)
        return -1;
    memcpy(&tag, sim_pkt_data(p) + 1, 4);
    memcpy(&g, sim_pkt_data(p) + 5, 8);
    memcpy(&seq, sim_pkt_data(p) + 13, 4);
    /* The tag names one of node's propagations still waiting for this
     * answer (the map forgets it at the offer or the failure: a repeated
     * answer finds nothing). */
    pi = kmap_get(&P->ptag, node, tag);
    if (tag == 0 || !pi || prop_to(&P->prop[*pi]) != from) {
        di_count_dup(D);
        return -1;
    }
    /* The seq echoed must be that of the FINDG sent under this tag (not
     * of another message node keeps for retransmission). */
    rx = kmap_get(&P->rtxmap, node, seq);
    if (rx && (P->rtx[*rx].type != D_FINDG || P->rtx[*rx].ref != tag))
        return -1;
    if (!di_rtx_done(D, node, seq, &ref)) {
        di_count_dup(D);                  /* answer to a retransmission */
        return -1;
    }
    /* A hop of a key propagation: hand K over under the key the answer
     * names, if we hold it; none named: this candidate path fails. */
    if (g == 0) {
        di_prop_fail(D, P, (uint32_t)*pi);
        return 0;
    }
    if ((g & (NAME_GLOBAL | NAME_DEVICE)) != NAME_GLOBAL ||
        !di_key_of(D, node, g))
        return -1;                     /* a key we do not hold */
    send_offer(D, P, (uint32_t)*pi, g);
    return 0;
}

static void ev_pend_expire(sim_sched *s, void *ctx, uint32_t kind,
                           uint32_t so, void *arg, uint64_t u64);

/* PAIRREQ at SO so: [n][attempt u32][path u32 x n].  The SO keys the
 * source's channel along the path.  One unconfirmed channel per source
 * (pairpend): a new request from the source replaces it, reusing its
 * record, and its key too if the SO never offered that key onwards (no
 * other node holds it): honest retries burn neither K_incr nor records
 * (kmsim interpretation; the paper has no retries).  An unconfirmed
 * channel is dropped setup_timeout after its request (ev_pend_expire).
 * K_incr exhausted: counted (dini.keys.exhausted), the source times out. */
int di_on_pairreq(dini *D, uint32_t so, sim_pkt *p)
{
    dpart *P;
    const unsigned char *b = sim_pkt_data(p) + 1;
    size_t len = sim_pkt_data_len(p) - 1;
    uint32_t src = sim_pkt_src(p), seq = sim_pkt_seq(p);
    uint32_t path[MAX_PATH], attempt, n, pi, ci = UINT32_MAX;
    const uint64_t *last, *pend;
    uint64_t name = 0;
    prop *pr;
    cry_key k = 0;

    if (!di_is_so(D, so) || len < 5 || b[0] < 2 || b[0] > MAX_PATH ||
        len != 5 + 4 * (size_t)b[0])
        return -1;
    di_send_ack(D, so, src, D_PAIRREQ, seq, 0, 0);
    P = di_dp_of(D, so);
    last = kmap_get(&P->pairseen, so, src);
    if (last && *last >= seq) {
        di_count_dup(D);                  /* a retransmission: answered */
        return -1;
    }
    kmap_put(&P->pairseen, so, src, seq);
    n = b[0];
    memcpy(&attempt, b + 1, 4);
    memcpy(path, b + 5, 4 * (size_t)n);
    if (path[n - 1] != so || path[0] != src || !di_path_valid(D, path, n))
        return -1;
    pend = kmap_get(&P->pairpend, so, src);
    if (pend) {
        chan *c = &P->chan[*pend];
        ci = (uint32_t)*pend;
        if (!c->live && !c->handed && (k = di_key_of(D, so, c->name))) {
            name = c->name;            /* never left the SO: reused */
            for (uint32_t i = 0; i < P->n_prop; i++)   /* rare: O(live) */
                if (P->prop[i].live && P->prop[i].name == name &&
                    di_prop_from(&P->prop[i]) == so)
                    di_prop_free(D, P, i);   /* its old hop: not offered now */
        }
        else if (!c->live)
            di_chan_drop(D, P, ci);          /* others may hold it: a new K */
        else
            ci = UINT32_MAX;           /* confirmed meanwhile: kept */
    }
    if (!k) {
        k = di_new_local(D, so, &name);
        if (!k) {
            ana_metric_add(sim_world_metrics(D->w), D->m_kincr_out, 1);
            return 0;                  /* ours: no K_incr left */
        }
        di_key_put(D, so, name, k);
    }
    if (ci != UINT32_MAX) {
        chan_reset(D, ci, name, path, n);
    } else {
        ci = (uint32_t)P->n_chan;
        di_chan_add(D, name, path, n, 0);           /* live once S confirms */
        kmap_put(&P->pairpend, so, src, ci);
    }
    di_route_set(D, name, path, n, n - 1);
    P->chan[ci].req = ++P->chan_req;
    sim_sched_in(sim_world_sched(D->w), D->o->setup_timeout, ev_pend_expire,
                 SIM_EV_PROTO + 7, so, NULL,
                 (uint64_t)ci << 32 | P->chan[ci].req);
    pi = di_prop_new(D, so, attempt);
    pr = &P->prop[pi];
    pr->name = name;
    di_prop_set_path(pr, path, n);
    pr->pos = n - 1;
    pr->dir = -1;
    di_prop_step(D, P, pi);
    /* Seed 001's Tseq of a set-up (z = 0 for Dini: nothing parallel):
     * the NOS's own sequential part, from the request's arrival to its
     * first message of the propagation leaving its CPU (key generation,
     * sealing, and the wait behind the work of other requests); the rest
     * of dini.channel_setup is communication, T0. */
    ana_metric_add(sim_world_metrics(D->w), D->m_so_seq,
                   sim_time_to_s(di_dn(D,
                                       so)->cpu_free - sim_world_now(D->w)));
    return 0;
}

/* The unconfirmed channel of key `name` at SO so was not confirmed within
 * setup_timeout of its request: dropped at the SO (key, route, CT; its
 * record stays for the source's next request), counted
 * (dini.pending.expired). */
static void ev_pend_expire(sim_sched *s, void *ctx, uint32_t kind,
                           uint32_t so, void *arg, uint64_t u64)
{
    dini *D = sim_world_proto_state(ctx);
    dpart *P = di_dp_of(D, so);
    uint32_t ci = (uint32_t)(u64 >> 32);
    chan *c;
    (void)s; (void)kind; (void)arg;

    if (ci >= P->n_chan)
        return;
    c = &P->chan[ci];
    if (c->so != so || c->req != (uint32_t)u64 || c->live ||
        !di_key_of(D, so, c->name))
        return;                        /* confirmed, replaced or dropped */
    ana_metric_add(sim_world_metrics(D->w), D->m_pend_expired, 1);
    di_chan_drop(D, P, ci);
}

static void ev_relay_expire(sim_sched *s, void *ctx, uint32_t kind,
                            uint32_t node, void *arg, uint64_t u64);

int di_on_offer(dini *D, uint32_t node, sim_pkt *p)
{
    dpart *P = di_dp_of(D, node);
    size_t len;
    const unsigned char *b = di_dopen(D, node, p, D_OFFER, &len);
    uint32_t from = sim_pkt_src(p), seq = sim_pkt_seq(p);
    unsigned char ack[12];
    uint64_t name;
    uint32_t n, pos, attempt, path[MAX_PATH], pi;
    int up;
    cry_key k, held;

    if (!b || len < 8 + CRY_KEY_BYTES + 7) {
        if (b)
            cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
        return -1;
    }
    memcpy(&name, b, 8);
    n = b[8 + CRY_KEY_BYTES];
    pos = b[8 + CRY_KEY_BYTES + 1];
    up = b[8 + CRY_KEY_BYTES + 2];
    if (n < 2 || n > MAX_PATH || pos >= n ||
        len != 8 + CRY_KEY_BYTES + 7 + 4 * (size_t)n || !IS_LOCAL(name)) {
        cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
        return -1;
    }
    memcpy(&attempt, b + 8 + CRY_KEY_BYTES + 3, 4);
    memcpy(path, b + 8 + CRY_KEY_BYTES + 7, 4 * (size_t)n);
    if (!di_path_valid(D, path, n) ||
        (up ? pos == 0 : pos == n - 1) || path[pos] != node ||
        path[(int)pos - (up ? 1 : -1)] != from) {
        cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
        return -1;
    }
    memcpy(ack, &name, 8);
    memcpy(ack + 8, &seq, 4);
    if ((held = di_key_of(D, node, name))) {
        /* The same offer again (our ack was lost): acknowledged again,
         * nothing else.  Any other value is refused: importing it would
         * restart the nonce counter of a key in use, or bring an old value
         * back after a replacement (a replay). */
        cry_key cand = cry_key_import(P->ks, b + 8);
        int same = cry_key_equal(P->ks, cand, held);
        cry_key_free(P->ks, cand);
        cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
        if (same) {
            di_count_dup(D);
            di_dsend(D, node, di_dmsg(D, node, from, D_KACK, ack, sizeof ack,
                                      held,
                                      name));
        } else {
            ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
        }
        return -1;
    }
    k = cry_key_import(P->ks, b + 8);
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    di_key_put(D, node, name, k);
    di_ct_add(D, node, from, name);
    di_route_set(D, name, path, n, pos);
    /* Acknowledge under K (the 1-byte response of seed 001). */
    di_dsend(D, node, di_dmsg(D, node, from, D_KACK, ack, sizeof ack, k,
                              name));
    if (up && pos == n - 1) {
        /* Source-generated K reached N: the channel is complete. */
        di_chan_add(D, name, path, n, 1);
        di_rel_send(D, node, di_dmsg(D, node, path[0], D_READY,
                                     (const unsigned char *)&name, 8, k,
                                     name), 0);
    } else if (!up && pos == 0 && di_is_sub(D, node)) {
        /* The SO's key for its publishes reached the subscriber: the
         * ack above completes it. */
    } else if (!up && pos == 0) {
        /* SO-generated K reached the source: complete; N is told. */
        dnode *s = di_dn(D, node);
        if (s->state == CH_PAIRING) {
            s->ch_name = name;
            di_channel_ready(D, node);
        }
        di_rel_send(D, node, di_dmsg(D, node, path[n - 1], D_READY,
                                     (const unsigned char *)&name, 8, k,
                                     name), 0);
    } else {
        /* A relay: K expires here unless the channel shows a sign of
         * life (data under K routed by this node) within setup_timeout. */
        prop *pr;
        kmap_put(&P->relpend, node, name, 1);
        sim_sched_in(sim_world_sched(D->w), D->o->setup_timeout,
                     ev_relay_expire, SIM_EV_PROTO + 8, node, NULL, name);
        pi = di_prop_new(D, node, attempt);
        pr = &P->prop[pi];
        pr->name = name;
        di_prop_set_path(pr, path, n);
        pr->pos = pos;
        pr->dir = up ? +1 : -1;
        di_prop_step(D, P, pi);
    }
    return 0;
}

/* Relay `node` got K = u64 for a channel setup_timeout ago and has seen
 * no sign of life under it since (the source's READY of an SO-generated
 * channel going up through it, or data): the set-up failed beyond it, so
 * node wipes K with its route and CT entries (dini.pending.expired).
 * kmsim interpretation: the paper's relays keep keys; nothing tells a
 * relay that a set-up through it failed.  Known limit: with
 * local_keys_from: source the READY goes down and does not pass the
 * relays (they have no route down), so a channel whose first data are
 * lost and whose next come later than setup_timeout loses its relays'
 * route entries (data still reach the SO by the routed network). */
static void ev_relay_expire(sim_sched *s, void *ctx, uint32_t kind,
                            uint32_t node, void *arg, uint64_t u64)
{
    dini *D = sim_world_proto_state(ctx);
    dpart *P = di_dp_of(D, node);
    (void)s; (void)kind; (void)arg;

    if (!kmap_get(&P->relpend, node, u64))
        return;                               /* used, or gone already */
    kmap_del(&P->relpend, node, u64);
    if (!di_key_of(D, node, u64))
        return;
    ana_metric_add(sim_world_metrics(D->w), D->m_pend_expired, 1);
    di_key_del(D, node, u64);
    di_prev_drop(D, node, u64);
    {
        const sim_topo *t = sim_world_topo(D->w);
        for (uint32_t e = t->adj_off[node]; e < t->adj_off[node + 1]; e++)
            di_ct_del(D, node, t->adj[e], u64);
    }
    di_nt_del(D, &D->route, "dini.route", node, u64);
    di_nt_del(D, &D->rhops, "dini.rhops", node, u64);
}

int di_on_kack(dini *D, uint32_t node, sim_pkt *p)
{
    size_t len;
    const unsigned char *b = di_dopen(D, node, p, D_KACK, &len);
    uint64_t name;
    uint32_t seq;

    if (!b || len != 12)
        return -1;
    memcpy(&name, b, 8);
    memcpy(&seq, b + 8, 4);
    if (!di_rtx_done(D, node, seq, NULL)) {
        di_count_dup(D);
        return -1;
    }
    if (name != sim_pkt_key_name(p))
        return -1;
    di_ct_add(D, node, sim_pkt_src(p), name);
    if (di_is_so(D, node) && di_is_sub(D, sim_pkt_src(p)))
        di_subleg_ready(D, node, sim_pkt_src(p), name);
    return 0;
}

/* The far end of a new channel confirms it: at the source, the channel is
 * ready (source-generated K); at the SO, the channel becomes live (its key
 * is replaced with the others from now on). */
int di_on_ready(dini *D, uint32_t node, sim_pkt *p)
{
    dpart *P = di_dp_of(D, node);
    size_t len;
    const unsigned char *b = di_dopen(D, node, p, D_READY, &len);
    uint64_t name;
    dnode *n = di_dn(D, node);

    if (!b || len != 8)
        return -1;
    memcpy(&name, b, 8);
    if (name != sim_pkt_key_name(p))
        return -1;
    di_send_ack(D, node, sim_pkt_src(p), D_READY, sim_pkt_seq(p),
                di_key_of(D, node, name), name);
    if (di_is_so(D, node)) {
        uint64_t *ci = kmap_get(&P->chans, node, name);
        if (ci && !P->chan[*ci].live) {
            const uint64_t *pend;
            P->chan[*ci].live = 1;
            pend = kmap_get(&P->pairpend, node, P->chan[*ci].path[0]);
            if (pend && *pend == *ci)
                kmap_del(&P->pairpend, node, P->chan[*ci].path[0]);
            return 0;
        }
        di_count_dup(D);
        return -1;
    }
    if (n->state == CH_PAIRING && name == n->ch_name) {
        di_channel_ready(D, node);
        return 0;
    }
    di_count_dup(D);
    return -1;
}


/* The receipt of KEYS, PAIRREQ, READY, INVAL or RENEW. */
int di_on_ack(dini *D, uint32_t node, sim_pkt *p)
{
    size_t len;
    const unsigned char *b;
    uint32_t seq;

    if (sim_pkt_flags(p) & SIM_F_DATA_SEALED) {
        b = di_dopen(D, node, p, D_ACK, &len);
    } else {
        b = sim_pkt_data(p) + 1;
        len = sim_pkt_data_len(p) - 1;
        /* In clear only the answer to a PAIRREQ or a PFAIL (no shared
         * key yet), and to a KEYS sent in clear (device_keys off). */
        if (len == 5 && b[0] != D_PAIRREQ && b[0] != D_PFAIL &&
            !(b[0] == D_KEYS && !D->o->device_keys))
            b = NULL;
    }
    if (!b || len != 5)
        return -1;
    memcpy(&seq, b + 1, 4);
    if (b[0] == D_RENEW)
        return di_renew_acked(D, node, p, seq);
    if (!di_rtx_done(D, node, seq, NULL)) {
        di_count_dup(D);
        return -1;
    }
    return 0;
}
