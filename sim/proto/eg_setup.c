/* eg_setup.c — Eschenauer–Gligor: set-up and search.  Key discovery
 * (HELLO, the shared ids, the direct link key and its LINK_OK proof),
 * link keys and their directional keys, secured links and the data
 * they held (key.setup), the split run's deferred accounting (eg_sync),
 * each node's path-key phase and the path-key search and transport
 * (PK_SEARCH, PK_FOUND, PATH_KEY, PATH_ACK), and the control-message
 * dispatcher.  Paper: E–G (CCS 2002) §2 shared-key discovery and
 * path-key establishment, Chan–Perrig–Song's q-composite key; the
 * search is kmsim's interpretation (see "Path keys" below).  The design
 * is in eg.c's opening comment; shared state in eg_int.h. */
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
 * Link records: the secured graph, path-key room, message counts
 * ---------------------------------------------------------------------- */

/* Sets up[] of every slot x of the pair of slot l in the same direction
 * (rev[x] == m: parallel links of an explicit topology too). */
static void up_fill(eg *E, uint32_t c, uint32_t m, uint8_t now)
{
    const sim_topo *t = E->b.t;
    uint32_t u = t->adj[c], end = t->adj_off[E->n];

    for (uint32_t x = c; x < end && t->adj[x] == u && E->rev[x] == m; x++)
        E->up[x] = now;
}

/* After the state of slot l (either end, any slot of the pair) changed:
 * up[] of the pair from its canonical slots' states, and a new
 * secured-graph generation if that changed (routes are rebuilt). */
static void cut_op(eg *E, uint32_t v, uint32_t s, uint8_t op, uint8_t a,
                   uint32_t r);

static void sec_note(eg *E, const eg_link *l)
{
    uint32_t m = E->rev[l - E->lk];
    uint32_t c = E->parallel ? E->rev[m] : (uint32_t)(l - E->lk);
    uint8_t now;

    if (E->pof) {
        uint32_t s = (uint32_t)(l - E->lk), v = E->b.t->adj[m];
        if (is_cut(E, v, E->b.t->adj[s])) {     /* the far end's state: */
            cut_op(E, v, s, CUT_STATE,           /*   replayed by key    */
                   l->state == EG_LINK_OK, 0);
            return;
        }
    }
    now = E->lk[c].state == EG_LINK_OK && E->lk[m].state == EG_LINK_OK;
    if (E->up[c] == now)
        return;
    up_fill(E, c, m, now);
    up_fill(E, m, c, now);
    ep(E, E->b.t->adj[m])->sec_gen++;
}

/* Room for l's via list (path_hops ids; l is v's), taken from v's
 * partition the first time l needs one and kept. */
static uint32_t *via_of(eg *E, uint32_t v, eg_link *l)
{
    if (!l->via_off) {
        eg_part *P = ep(E, v);
        if (P->n_via + E->o->path_hops > P->cap_via) {
            P->cap_via = 2 * (P->n_via + E->o->path_hops);
            P->via = xreallocarray(P->via, P->cap_via, sizeof *P->via);
        }
        if (P->n_via + E->o->path_hops > OFF_PART)   /* as out of memory */
            xfail("eg: too many path-key nodes to track (more than 2^31)");
        l->via_off = (uint32_t)P->n_via | (P == &E->part[1] ? OFF_PART : 0);
        P->n_via += E->o->path_hops;
    }
    return via_at(E, l);
}

static void count_msg(eg *E, int type, const sim_pkt *p)
{
    pk_count(&E->b, E->m_msgs[type], 1);
    pk_count(&E->b, E->m_bytes[type], p->len);
}

/* ------------------------------------------------------------------------
 * Link keys
 * ---------------------------------------------------------------------- */

/* Wipes the path key sent over slot l's link and awaiting its ack, if
 * any. */
void eg_pend_drop(eg *E, eg_link *l)
{
    eg_link *c = canon(E, l);
    cry_key_free(E->b.ks, c->pend);
    c->pend = 0;
}

/* Sets the kind of slot l and keeps its node's key bytes (E->stor: a
 * value per slot with a key) in step, and marks the node for the
 * world's storage sample (storage_marks): the only writer of eg_link.kind. */
static void kind_set(eg *E, eg_link *l, uint8_t kind)
{
    if ((l->kind != EG_KIND_NONE) != (kind != EG_KIND_NONE)) {
        uint32_t v = E->b.t->adj[E->rev[l - E->lk]];   /* l's node */
        sim_world_storage_changed(E->b.w, v);        /* storage_marks */
        if (kind != EG_KIND_NONE)
            E->stor[v] += E->o->value_bytes;
        else {
            assert(E->stor[v] >= E->o->value_bytes);
            E->stor[v] -= E->o->value_bytes;
        }
    }
    l->kind = kind;
}

/* Wipes v's keys for u (in the canonical slot; l, v's slot of u, may be
 * a parallel link's) and clears l. */
void eg_link_drop_keys(eg *E, eg_link *l)
{
    eg_link *c = canon(E, l);
    int was_ok = l->state == EG_LINK_OK;

    if (!c->link_pool)
        cry_key_free(E->b.ks, c->link);           /* wiped */
    cry_key_free(E->b.ks, c->tx);
    cry_key_free(E->b.ks, c->rx);
    c->link = c->tx = c->rx = 0;
    c->link_pool = 0;
    kind_set(E, l, EG_KIND_NONE);
    l->state = EG_LINK_NONE;
    l->n_shared = 0;
    l->n_via = 0;
    /* up[] follows the canonical states (sec_note after every change to
     * or from OK): if l was not OK, its pair's edge is what it was, and
     * sec_note, which would read the far end's record, has nothing to
     * do (link_install calls this on links that mostly had no key). */
    if (was_ok)
        sec_note(E, l);
}

/* v now holds `master` (taken, unless `pool`: the pool's handle) as its
 * link key to u: derives the directional keys (charged), state KEYED. */
static void link_install(eg *E, uint32_t v, uint32_t u, eg_link *l,
                         cry_key master, int pool, int kind)
{
    pk *b = &E->b;
    eg_link *c;

    eg_link_drop_keys(E, l);
    c = canon(E, l);
    c->link = master;
    c->link_pool = (uint8_t)pool;
    c->tx = key_derive(E, v, master, DIR_ID(v, u));
    c->rx = key_derive(E, v, master, DIR_ID(u, v));
    pk_charge(b, v, SCN_OP_KDF, CRY_KEY_BYTES);
    pk_charge(b, v, SCN_OP_KDF, CRY_KEY_BYTES);
    kind_set(E, l, (uint8_t)kind);
    l->state = EG_LINK_KEYED;             /* not OK before: no edge change */
    memset(&l->rxw, 0, sizeof l->rxw);    /* a new key, new counters */
}

/* The link key of shared ids s[0..n) at v: the pool's key of the smallest
 * (q = 1; *pool set) or a new key H over the concatenation of all of
 * them (q >= 2). */
static cry_key direct_key(eg *E, uint32_t v, const uint32_t *s, uint32_t n,
                          int *pool)
{
    pk *b = &E->b;
    unsigned char *buf = ep(E, v)->keybuf, h[CRY_HG_BYTES];
    size_t len = (size_t)n * CRY_KEY_BYTES;
    cry_key k;

    *pool = E->o->q == 1;
    if (*pool)
        return *pool_key(E, v, s[0]);
    for (uint32_t i = 0; i < n; i++)
        cry_key_export(b->ks, *pool_key(E, v, s[i]),
                       buf + (size_t)i * CRY_KEY_BYTES);
    cry_count_concat(&b->ops[v], len);
    pk_charge(b, v, SCN_OP_CONCAT, len);
    cry_H(h, buf, len, &b->ops[v]);
    pk_charge(b, v, SCN_OP_HASH, len);
    k = key_import(E, v, h);
    cry_wipe(buf, len);
    cry_wipe(h, sizeof h);
    return k;
}

/* 1 if the key built from s[0..n) is the one l holds now. */
static int same_direct(const eg *E, const eg_link *l, const uint32_t *s,
                       uint32_t n)
{
    if (l->kind != EG_KIND_DIRECT || n < E->o->q || l->n_shared < E->o->q)
        return 0;
    if (E->o->q == 1)
        return s[0] == shared_of(E, l)[0];
    return n == l->n_shared &&
           memcmp(s, shared_of(E, l), n * sizeof *s) == 0;
}

static void set_shared(eg *E, eg_link *l, const uint32_t *s, uint32_t n)
{
    assert(n <= l->ids_cap);
    if (n)                          /* ids may still be NULL */
        memcpy(shared_of(E, l), s, n * sizeof *s);
    l->n_shared = (uint16_t)n;
}

/* ------------------------------------------------------------------------
 * Messages
 * ---------------------------------------------------------------------- */

static void ev_settle(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64);

/* When v's open window lets its path-key phase run: path_settle after
 * its last discovery message, at the latest at the window's bound. */
static sim_time settle_due(const eg *E, const egnode *n)
{
    sim_time due = n->disc_last + E->o->path_settle;
    return due < n->win_end ? due : n->win_end;
}

/* v sent or took a discovery message (HELLO, LINK_OK; `revoke`: a
 * REVOKE) now: its window opens if none is open (bound SETTLE_MAX for
 * its first, REVOKE_MAX for a later one; a REVOKE extends an open
 * window's to REVOKE_MAX), and its settle timer is armed if it is not
 * (one pending event per node: ev_settle re-arms it while messages keep
 * coming).  Its own state only. */
void eg_note_disc(eg *E, uint32_t v, int revoke)
{
    egnode *n = en(E, v);
    sim_time now = sim_world_now(E->b.w);

    n->disc_last = now;
    if (!n->win) {
        n->win = 1;
        n->win_end = now + (n->ran ? REVOKE_MAX : SETTLE_MAX);
    } else if (revoke && n->win_end < now + REVOKE_MAX)
        n->win_end = now + REVOKE_MAX;
    if (!n->timer_on) {
        n->timer_on = 1;
        sim_sched_in(sim_world_sched(E->b.w), settle_due(E, n) - now,
                     ev_settle, SIM_EV_PROTO + 2, v, NULL, 0);
    }
}

void eg_send_msg(eg *E, uint32_t from, uint32_t to, int type,
                 const unsigned char *body, size_t len, cry_key k,
                 uint64_t name)
{
    sim_pkt *p = pk_msg(&E->b, from, to, type, body, len, k, name, 0);
    count_msg(E, type, p);
    if (type == M_HELLO)
        eg_note_disc(E, from, 0);
    pk_send(&E->b, from, p);
}

/* v's HELLO body (u32 n, its ring's n ids) into its partition's msg;
 * its length. */
size_t eg_hello_body(eg *E, uint32_t v)
{
    uint32_t n = en(E, v)->ring_n;
    unsigned char *body = ep(E, v)->msg;
    const uint32_t *r = ring_of(E, v);

    sim_put32(body, n);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(body + 4 + 4 * (size_t)i, r[i]);
    return 4 + 4 * (size_t)n;
}

/* v sends u the HELLO body of eg_hello_body (still in its msg).  The bytes
 * are pk_msg's for an unsealed message; the packet has no room for tags
 * (sim_pkt_new_clear: nothing seals a HELLO), which is what one in flight
 * of the discovery burst costs (issue 22). */
void eg_send_hello_body(eg *E, uint32_t v, uint32_t u, size_t len)
{
    pk *b = &E->b;
    sim_pkt *p;

    sim_world_local(b->w, v, "eg", "send_hello");   /* v's sequence */
    p = sim_pkt_new_clear(b->w, SIM_PKT_CONTROL, v, u, ++b->node[v].seq, 1,
                          (uint32_t)(1 + len));
    sim_pkt_ctl(p)[0] = M_HELLO;
    sim_pkt_data(p)[0] = M_HELLO;
    memcpy(sim_pkt_data(p) + 1, ep(E, v)->msg, len);
    sim_pkt_set_key(p, 0, 0);
    count_msg(E, M_HELLO, p);
    eg_note_disc(E, v, 0);
    pk_send(b, v, p);
}

static void send_hello(eg *E, uint32_t v, uint32_t u)
{
    eg_send_hello_body(E, v, u, eg_hello_body(E, v));
}

/* v proves to u that it holds the key of slot l (v's of u). */
static void send_link_ok(eg *E, uint32_t v, uint32_t u, eg_link *l)
{
    unsigned char ok = 1;
    /* The proof of a direct key is discovery; a path key's ends the
     * path-key exchange (it opens no window). */
    if (canon(E, l)->kind == EG_KIND_DIRECT)
        eg_note_disc(E, v, 0);
    eg_send_msg(E, v, u, M_LINK_OK, &ok, 1, canon(E, l)->tx,
                N_TX | DIR_ID(v, u));
}

/* ------------------------------------------------------------------------
 * Secured links, held data, key.setup and key.rekey
 * ---------------------------------------------------------------------- */

static void flush(eg *E, uint32_t v, int final);

/* The lower end's canonical slot carries the link's `lost` mark (l: v's
 * slot of u). */
static eg_link *low_slot(eg *E, uint32_t v, uint32_t u, eg_link *l)
{
    return v < u ? canon(E, l) : mirror(E, l);
}

/* The link of v's slot l to u lost its key in revocation round r
 * (counted once); `back`: it is expected to be secured again. */
void eg_mark_lost(eg *E, uint32_t v, uint32_t u, eg_link *vl, uint32_t r,
                  int back)
{
    eg_link *l;

    if (is_cut(E, v, u)) {                /* the lower end's mark: */
        cut_op(E, v, (uint32_t)(vl - E->lk), CUT_LOST, (uint8_t)back, r);
        return;                           /*   replayed by key      */
    }
    l = low_slot(E, v, u, vl);
    if (l->lost)
        return;
    pk_count(&E->b, E->m_lost, 1);
    if (!back)
        return;                  /* to a captured node: never comes back */
    l->lost = r + 1;
}

/* The link of v's slot l to u is up (secured at both ends) now, at t:
 * if a revocation round lost it, it is back (P: where t is kept). */
static void resecure(eg *E, uint32_t v, uint32_t u, eg_link *l, sim_time t,
                     eg_part *P)
{
    eg_link *lo = low_slot(E, v, u, l);

    if (lo->lost) {
        sim_time *up = &P->last_up[lo->lost - 1];
        lo->lost = 0;
        pk_count(&E->b, E->m_resecured, 1);
        if (*up < t)
            *up = t;
    }
}

/* One step of a cut link's accounting (eg_cut) at its place in the key
 * order; run-wide (cut_sync, or a run-wide step itself): both ends'
 * states as replayed (cok), the lower end's lost mark, part[0]'s
 * last_up.  The steps are those of sec_note, eg_mark_lost and set_ok. */
static void cut_apply(eg *E, const eg_cut *c)
{
    const sim_topo *t = E->b.t;
    uint32_t s = c->slot, m = E->rev[s], v = t->adj[m], u = t->adj[s];
    uint32_t cs = E->parallel ? E->rev[m] : s;
    uint8_t now;

    switch (c->op) {
    case CUT_STATE:
        E->cok[s] = c->a;
        now = E->cok[cs] && E->cok[m];
        if (E->up[cs] != now) {
            up_fill(E, cs, m, now);
            up_fill(E, m, cs, now);
            E->part[0].sec_gen++;
        }
        break;
    case CUT_LOST: {
        eg_link *lo = low_slot(E, v, u, &E->lk[s]);
        if (lo->lost)
            break;
        pk_count(&E->b, E->m_lost, 1);
        if (c->a)
            lo->lost = c->r + 1;
        break;
    }
    case CUT_OKCHECK:
        if (E->up[s])
            resecure(E, v, u, &E->lk[s], c->k.t, &E->part[0]);
        break;
    }
}

/* Node v's step of cut link slot s: applied now in a run-wide step (its
 * place in the order: every partition stopped, the logs replayed), else
 * logged in v's partition with the key of the event running. */
static void cut_op(eg *E, uint32_t v, uint32_t s, uint8_t op, uint8_t a,
                   uint32_t r)
{
    eg_part *P;
    eg_cut *c;

    if (E->glob) {
        eg_cut now = {.slot = s, .r = r, .op = op, .a = a};
        now.k.t = sim_world_now(E->b.w);
        cut_apply(E, &now);
        return;
    }
    P = ep(E, v);
    if (P->n_cut == P->cap_cut) {
        P->cap_cut = P->cap_cut ? 2 * P->cap_cut : 64;
        P->cut = xreallocarray(P->cut, P->cap_cut, sizeof *P->cut);
    }
    c = &P->cut[P->n_cut++];
    sim_sched_key_now(sim_world_sched(E->b.w), &c->k);
    c->slot = s;
    c->r = r;
    c->op = op;
    c->a = a;
}

/* Replays both partitions' logged cut-link steps merged by key (each log
 * is in its partition's key order; no key is in both: an event runs in
 * one partition) and empties them.  Run-wide: call with every partition
 * stopped (a run-wide step, the report). */
static void cut_sync(eg *E)
{
    eg_part *a = &E->part[0], *b = &E->part[1];
    size_t i = 0, j = 0;

    if (!E->pof)
        return;
    while (i < a->n_cut || j < b->n_cut) {
        if (j == b->n_cut ||
            (i < a->n_cut && sim_event_key_cmp(&a->cut[i].k, &b->cut[j].k) < 0))
            cut_apply(E, &a->cut[i++]);
        else
            cut_apply(E, &b->cut[j++]);
    }
    a->n_cut = b->n_cut = 0;
}

/* Sample v of SAMPLES metric `metric`, taken by node `at`'s event: added
 * now with one partition (or in a run-wide step), else kept in at's
 * partition with the event's key (eg_smp). */
static void sample(eg *E, uint32_t at, int metric, double v)
{
    eg_part *P;
    eg_smp *x;

    if (!E->pof || E->glob) {
        pk_count(&E->b, metric, v);
        return;
    }
    P = ep(E, at);
    if (P->n_smp == P->cap_smp) {
        P->cap_smp = P->cap_smp ? 2 * P->cap_smp : 64;
        P->smp = xreallocarray(P->smp, P->cap_smp, sizeof *P->smp);
    }
    x = &P->smp[P->n_smp++];
    sim_sched_key_now(sim_world_sched(E->b.w), &x->k);
    x->metric = metric;
    x->v = v;
}

/* Run-wide (every partition stopped: a run-wide step, the report): the
 * cut links' steps replayed and the samples added, each merged by key. */
void eg_sync(eg *E)
{
    eg_part *a = &E->part[0], *b = &E->part[1];
    size_t i = 0, j = 0;

    if (!E->pof)
        return;
    cut_sync(E);
    while (i < a->n_smp || j < b->n_smp) {
        const eg_smp *x;
        if (j == b->n_smp ||
            (i < a->n_smp && sim_event_key_cmp(&a->smp[i].k, &b->smp[j].k) < 0))
            x = &a->smp[i++];
        else
            x = &b->smp[j++];
        pk_count(&E->b, x->metric, x->v);
    }
    a->n_smp = b->n_smp = 0;
}

static void set_ok(eg *E, uint32_t v, uint32_t u, eg_link *l)
{
    egnode *n = en(E, v);

    l->state = EG_LINK_OK;
    sec_note(E, l);
    if (is_cut(E, v, u))
        cut_op(E, v, (uint32_t)(l - E->lk), CUT_OKCHECK, 0, 0);
    else if (l_up(E, l))
        resecure(E, v, u, l, sim_world_now(E->b.w), ep(E, v));
    if (pk_role(&E->b, v) == SCN_ROLE_SOURCE && !n->setup_done) {
        uint32_t so = sim_world_home_so(E->b.w, v);
        if (so != SIM_NONE &&
            sim_world_next_hop(E->b.w, v, so, NULL) == u) {
            n->setup_done = 1;
            sample(E, v, E->b.m_setup, sim_time_to_s(sim_world_now(E->b.w)));
        }
    }
    if (n->pend.n)
        flush(E, v, 0);
}

/* Sends what v holds whose first hop is now secured; `final` (v's own
 * phase ran, node_final): drops what waits for a hop that will not be
 * (heard from, no key, no path key under way at v).  A hop not heard
 * from yet keeps its data (the queue's bound applies). */
static void flush(eg *E, uint32_t v, int final)
{
    egnode *n = en(E, v);
    pk_queue keep = {0};
    sim_pkt *p;

    while ((p = pk_queue_pop(&n->pend)) != NULL) {
        eg_link *l;
        uint32_t nh = eg_next_hop(E, v, sim_pkt_dst(p), &l);
        if (l && l->state == EG_LINK_OK)
            eg_sealed_send(E, v, nh, l, p);
        else if (!l || l->state == EG_LINK_DEAD ||
                 (final && l->state == EG_LINK_NONE && !l->pathing &&
                  l->heard)) {
            pk_count(&E->b, E->m_dropped, 1);
            sim_pkt_free(E->b.w, p);
        } else
            pk_queue_push(&keep, p);      /* never full: it came from pend */
    }
    n->pend = keep;
}

/* ------------------------------------------------------------------------
 * Path keys
 * ---------------------------------------------------------------------- */

/* Path-key discovery is by messages (the locality rule, DESIGN.md §2):
 * the initiator knows only its own links, every other node only its own.
 * (E–G leave the discovery of the path open; the search below is
 * kmsim's interpretation, an expanding-ring search as in AODV.)
 *
 *   PK_SEARCH(a, z, sid, ttl, path a .. sender) goes out from a over its
 *   own secured links (state OK at a, not the link to z) with ttl = the
 *   ring's TTL.  A receiver v is one more intermediate node: if its own
 *   link to z is secured (OK in v's table) it answers PK_FOUND with the
 *   path a .. v, z; otherwise, if ttl > 1, it passes the search on over
 *   its own secured links to nodes not on the path, with ttl - 1.  A
 *   search id (a, sid) v has taken before is dropped (eg.pk_search.
 *   duplicates): v keeps the ids it took in a set of its own (also
 *   interpretation), each for (n - 1 + ttl) * path_timeout after it took
 *   it: the ring's TTL, known from the message, times path_timeout, the
 *   initiator's wait from when it sent the ring, before v took it.  So v
 *   passes each ring on at most once while it can be answered, and its
 *   memory holds only live rings; a copy arriving later still (a queue
 *   held it past the time-out, when no answer counts any more) is taken
 *   again.
 *   PK_FOUND travels the path back, each node passing it to its
 *   predecessor over its own secured link.
 *   a tries rings of TTL 1, 2, .. path_hops, each with a new sid, and
 *   waits ttl * path_timeout for an answer to each; the first answer of
 *   the current ring starts the transport (PATH_KEY along the path, the
 *   far end's PATH_ACK), which must end within (path nodes) *
 *   path_timeout.  No answer after the last ring, no secured link to
 *   start from, or a transport that does not end: the path key failed
 *   (eg.path_key.failed, eg.path_key.fail_delay).
 *
 * Both messages are sealed hop by hop under the hop's sending key, like
 * every E–G control message after HELLO (the path reveals which links are
 * secured, and a forger must not steer a path key), and checked against
 * the receiving key's replay window.  Their fields are checked before use
 * (lengths, node ids, ttl + path within path_hops, path nodes distinct,
 * the sender where the path says it is): an insider may send anything.
 * An insider on a path can still answer for a path beyond it that does
 * not exist: the transport then fails at the first node that has no
 * secured link to the next, and a's time-out reports the failure. */

/* Search id (a, sid) as v remembers it. */
static uint64_t srch_id(uint32_t a, uint32_t sid)
{
    return (uint64_t)a << 32 | sid;
}

/* Slot of id in a table of cap slots where it is, or the free slot where
 * it would go (the table is never full). */
static uint32_t seen_slot(const eg_seen *t, uint32_t cap, uint64_t id)
{
    uint64_t h = id;
    uint32_t i;

    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;   /* splitmix64's mix */
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    for (i = (uint32_t)h & (cap - 1); t[i].exp && t[i].id != id;
         i = (i + 1) & (cap - 1))
        ;
    return i;
}

/* Rebuilds n's table without the ids expired by now, at least half free
 * (cap a power of two >= EG_SEEN_MIN, at most twice what that needs:
 * shrinks after a burst).  Reallocates only when the size changes; the
 * live ids go through E's scratch. */
static void seen_rebuild(eg *E, uint32_t v, egnode *n, sim_time now)
{
    eg_part *P = ep(E, v);
    uint32_t live = 0, cap = EG_SEEN_MIN;

    if (P->cap_seen_tmp < n->seen_cap) {
        P->cap_seen_tmp = n->seen_cap;
        P->seen_tmp = xreallocarray(P->seen_tmp, P->cap_seen_tmp,
                                    sizeof *P->seen_tmp);
    }
    for (uint32_t i = 0; i < n->seen_cap; i++)
        if (n->seen[i].exp > now)
            P->seen_tmp[live++] = n->seen[i];
    while (cap < 2 * (live + 1))
        cap *= 2;
    if (cap != n->seen_cap) {
        free(n->seen);
        n->seen = xcalloc(cap, sizeof *n->seen);
        n->seen_cap = cap;
    } else {
        memset(n->seen, 0, cap * sizeof *n->seen);
    }
    for (uint32_t i = 0; i < live; i++)
        n->seen[seen_slot(n->seen, cap, P->seen_tmp[i].id)] = P->seen_tmp[i];
    n->seen_n = live;
}

/* 1 if v took search id before and still remembers it (until exp, set
 * when it took it), else records it, remembered until exp, and returns 0.
 * v's own set (see "Path keys"): amortised O(1), memory proportional to
 * the ids it took within the last search time-out (expired ones are
 * dropped when the table fills up). */
static int seen_before(eg *E, uint32_t v, uint64_t id, sim_time exp)
{
    egnode *n = en(E, v);
    sim_time now = sim_world_now(E->b.w);
    uint32_t i;

    assert(exp > now);
    if (n->seen_cap) {
        i = seen_slot(n->seen, n->seen_cap, id);
        if (n->seen[i].exp) {             /* taken before */
            if (n->seen[i].exp > now)
                return 1;
            n->seen[i].exp = exp;         /* forgotten: a new take */
            return 0;
        }
    }
    if (4 * ((uint64_t)n->seen_n + 1) > 3 * (uint64_t)n->seen_cap)
        seen_rebuild(E, v, n, now);
    i = seen_slot(n->seen, n->seen_cap, id);
    n->seen[i].id = id;
    n->seen[i].exp = exp;
    n->seen_n++;
    return 0;
}

/* Searches live in their initiator's partition (eg_part.srch): P's
 * entry i. */
static eg_search *srch_at(eg_part *P, uint32_t i)
{
    return &P->srch[i];
}

/* A free search entry for initiator a (its partition's srch may move). */
static uint32_t srch_new(eg *E, uint32_t a)
{
    eg_part *P = ep(E, a);
    uint32_t i;

    if (P->srch_free != UINT32_MAX) {
        i = P->srch_free;
        P->srch_free = P->srch[i].next_free;
    } else {
        if (P->n_srch == P->cap_srch) {
            P->cap_srch = P->cap_srch ? 2 * P->cap_srch : 64;
            P->srch = xreallocarray(P->srch, P->cap_srch, sizeof *P->srch);
        }
        i = P->n_srch++;
    }
    memset(&P->srch[i], 0, sizeof P->srch[i]);
    return i;
}

/* Ends a's search i (its link no longer points at it, its time-out is
 * cancelled) without a verdict.  The time-out is one of a's events, in
 * the scheduler of a's partition (a run-wide step may end it: a
 * revocation round applied at an SO). */
void eg_srch_end(eg *E, uint32_t a, uint32_t i)
{
    eg_part *P = ep(E, a);
    eg_search *S = srch_at(P, i);

    E->lk[S->slot].srch = 0;
    sim_sched_cancel(sim_world_sched_of(E->b.w, a), S->timer);
    S->phase = 0;
    S->next_free = P->srch_free;
    P->srch_free = i;
}

static void ev_srch(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64);

/* a's search i waits `after` (an event of a's, in a's own event: never
 * from a run-wide step, whose events for other partitions move). */
static void srch_timer(eg *E, uint32_t a, uint32_t i, sim_time after)
{
    srch_at(ep(E, a), i)->timer =
        sim_sched_in(sim_world_sched(E->b.w), after, ev_srch,
                     SIM_EV_PROTO + 3, a, NULL, i);
}

/* The path key of a's search i failed: counted, held data that cannot
 * leave dropped. */
static void path_fail(eg *E, uint32_t a, uint32_t i)
{
    eg_search *S = srch_at(ep(E, a), i);
    eg_link *l = &E->lk[S->slot];

    pk_count(&E->b, E->m_path_fail, 1);
    sample(E, a, E->m_pk_fail_delay,
           sim_time_to_s(sim_world_now(E->b.w) - S->start));
    eg_pend_drop(E, l);
    l->pathing = 0;
    eg_srch_end(E, a, i);
    if (en(E, a)->pend.n)
        flush(E, a, node_final(E, a));
}

/* Body of PK_SEARCH: u32 a, z, sid, ttl, n, then n path nodes (a first,
 * the sender last). */
static void send_search(eg *E, uint32_t from, uint32_t to, uint32_t a,
                        uint32_t z, uint32_t sid, uint32_t ttl,
                        const uint32_t *path, uint32_t n)
{
    unsigned char *body = ep(E, from)->msg;

    sim_put32(body, a);
    sim_put32(body + 4, z);
    sim_put32(body + 8, sid);
    sim_put32(body + 12, ttl);
    sim_put32(body + 16, n);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(body + 20 + 4 * (size_t)i, path[i]);
    eg_send_msg(E, from, to, M_PK_SEARCH, body, 20 + 4 * (size_t)n,
                link_of(E, from, to)->tx, N_TX | DIR_ID(from, to));
}

/* Body of PK_FOUND: u32 a, sid, n, pos (index of the receiver), then n
 * path nodes (a first, z last). */
static void send_found(eg *E, uint32_t from, uint32_t to, uint32_t sid,
                       const uint32_t *path, uint32_t n, uint32_t pos)
{
    unsigned char *body = ep(E, from)->msg;

    sim_put32(body, path[0]);
    sim_put32(body + 4, sid);
    sim_put32(body + 8, n);
    sim_put32(body + 12, pos);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(body + 16 + 4 * (size_t)i, path[i]);
    eg_send_msg(E, from, to, M_PK_FOUND, body, 16 + 4 * (size_t)n,
                link_of(E, from, to)->tx, N_TX | DIR_ID(from, to));
}

/* Search i's next ring (ttl already set): a new sid, PK_SEARCH to each
 * of a's own secured neighbours but z, and the ring's time-out.  Returns
 * the number sent; 0: the search fails now (no answer can come). */
static uint32_t ring_send(eg *E, uint32_t a, uint32_t i)
{
    const sim_topo *t = E->b.t;
    eg_search *S = srch_at(ep(E, a), i);
    uint32_t sent = 0;

    /* a's own count: (a, sid) names the ring everywhere (srch_id). */
    assert(en(E, a)->sid_ctr < UINT32_MAX);
    S->sid = ++en(E, a)->sid_ctr;
    for (uint32_t s = t->adj_off[a]; s < t->adj_off[a + 1]; s++) {
        uint32_t y = t->adj[s];
        if (y == S->z || !is_canon(E, s) || E->lk[s].state != EG_LINK_OK)
            continue;
        send_search(E, a, y, a, S->z, S->sid, S->ttl, &a, 1);
        sent++;
    }
    if (sent)
        srch_timer(E, a, i, (sim_time)S->ttl * E->o->path_timeout);
    else
        path_fail(E, a, i);
    return sent;
}

static void ev_srch(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    eg *E = sim_world_proto_state(w);
    uint32_t i = (uint32_t)u64;
    eg_part *P = ep(E, node);             /* node: the initiator */
    eg_search *S;
    (void)s; (void)kind; (void)arg;

    if (i >= P->n_srch || !(S = srch_at(P, i))->phase)
        return;                           /* ended (its timer cancelled) */
    if (S->phase == SRCH_RING && S->ttl < E->o->path_hops) {
        S->ttl++;
        ring_send(E, node, i);
    } else
        path_fail(E, node, i);            /* no answer, or no PATH_ACK */
}

/* Body of PATH_KEY: u32 n, u32 pos (index of the receiver), n nodes, the
 * key value. */
static void send_path_key(eg *E, uint32_t from, const uint32_t *path,
                          uint32_t n, uint32_t pos,
                          const unsigned char val[CRY_KEY_BYTES])
{
    size_t len = 8 + 4 * (size_t)n + CRY_KEY_BYTES;
    unsigned char *body = ep(E, from)->msg;
    uint32_t to = path[pos];

    sim_put32(body, n);
    sim_put32(body + 4, pos);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(body + 8 + 4 * (size_t)i, path[i]);
    memcpy(body + 8 + 4 * (size_t)n, val, CRY_KEY_BYTES);
    eg_send_msg(E, from, to, M_PATH_KEY, body, len, link_of(E, from, to)->tx,
                N_TX | DIR_ID(from, to));
    cry_wipe(body, len);
}

/* Search i found path[0..n) (a first, z last; its first hop secured at
 * a): a fresh key goes along it hop by hop. */
static void path_transport(eg *E, uint32_t a, uint32_t i,
                           const uint32_t *path, uint32_t n)
{
    eg_search *S = srch_at(ep(E, a), i);
    eg_link *l = &E->lk[S->slot];
    unsigned char val[CRY_KEY_BYTES];
    cry_key k;

    /* Fresh material named by a and the ring (a, sid): a ring transports
     * at most one key (the phase leaves SRCH_RING), and a's sids never
     * repeat, so no two path keys share a counter (kmsim: a's own
     * count, whatever other nodes' searches do, THREADS.md). */
    k = key_generate(E, a, PATH_STREAM, (uint64_t)a << 32 | S->sid,
                     &E->b.ops[a]);
    pk_charge(&E->b, a, SCN_OP_KDF, CRY_KEY_BYTES);
    cry_key_free(E->b.ks, l->pend);       /* wipes one still unacked */
    l->pend = k;
    l->n_via = (uint8_t)(n - 2);
    memcpy(via_of(E, a, l), path + 1, (n - 2) * sizeof *path);
    cry_key_export(E->b.ks, k, val);
    send_path_key(E, a, path, n, 1, val);
    cry_wipe(val, sizeof val);
    sim_sched_cancel(sim_world_sched_of(E->b.w, a), S->timer);
    S->phase = SRCH_TRANSPORT;
    sample(E, a, E->m_pk_search_delay,
           sim_time_to_s(sim_world_now(E->b.w) - S->start));
    srch_timer(E, a, i, (sim_time)n * E->o->path_timeout);
}

/* a (the lower-index end) starts a search for a path key to z (l: a's
 * canonical slot of z). */
static void path_start(eg *E, uint32_t a, uint32_t z, eg_link *l)
{
    uint32_t i = srch_new(E, a);
    eg_search *S = srch_at(ep(E, a), i);

    S->a = a;
    S->z = z;
    S->slot = (uint32_t)(l - E->lk);
    S->ttl = 1;
    S->phase = SRCH_RING;
    S->start = sim_world_now(E->b.w);
    l->srch = i + 1;
    l->pathing = 1;
    if (E->o->path_hops == 0)
        path_fail(E, a, i);               /* no intermediate node allowed */
    else
        ring_send(E, a, i);
}


/* v's own path-key phase (interpretation, "Phase timing" in the README):
 * its window closes, it tries a path key for each of its links to a
 * higher-index neighbour that has no key in its own table (OK or KEYED)
 * and is not known revoked (DEAD), unless it is already trying; then
 * drops held data that cannot leave.  Run by v's settle timer
 * (ev_settle), from v's own state. */
static void node_phase(eg *E, uint32_t v)
{
    const sim_topo *t = E->b.t;
    egnode *n = en(E, v);

    n->win = 0;
    n->ran = 1;
    for (uint32_t s = t->adj_off[v];
         E->o->path_keys && !n->captured && s < t->adj_off[v + 1]; s++) {
        uint32_t z = t->adj[s];
        eg_link *l = &E->lk[s];
        if (z < v || !is_canon(E, s) || l->pathing || !l->heard ||
            l->state != EG_LINK_NONE)
            continue;                     /* unheard: not known keyless */
        path_start(E, v, z, l);
    }
    if (n->pend.n)
        flush(E, v, 1);
}

/* v's settle timer: its phase runs once path_settle has passed since
 * its last discovery message, or its window's bound; otherwise the
 * timer waits again. */
static void ev_settle(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    eg *E = sim_world_proto_state(w);
    egnode *n = en(E, node);
    sim_time now = sim_world_now(w), due;
    (void)kind; (void)arg; (void)u64;

    n->timer_on = 0;
    if (!n->win)
        return;
    due = settle_due(E, n);
    if (now < due) {
        n->timer_on = 1;
        sim_sched_in(s, due - now, ev_settle, SIM_EV_PROTO + 2, node, NULL,
                     0);
        return;
    }
    node_phase(E, node);
}

/* ------------------------------------------------------------------------
 * Control messages
 * ---------------------------------------------------------------------- */

/* (Re)computes v's direct key to u from its ring and u's known ids;
 * `announce`: also tell u the ring (HELLO) before the proof.  Returns 1
 * if the key changed. */
int eg_rediscover(eg *E, uint32_t v, uint32_t u, eg_link *l,
                  int announce)
{
    uint32_t *s = ep(E, v)->isect;
    uint32_t ns = intersect(ring_of(E, v), en(E, v)->ring_n,
                            common_of(E, l), l->n_common, s);
    int changed = 0, pool;

    if (l->kind == EG_KIND_PATH && ns < E->o->q) {
        ;                                 /* a path key stands           */
    } else if (ns >= E->o->q) {
        if (!same_direct(E, l, s, ns)) {
            cry_key k = direct_key(E, v, s, ns, &pool);
            link_install(E, v, u, l, k, pool, EG_KIND_DIRECT);
            set_shared(E, l, s, ns);
            changed = 1;
        }
    } else if (l->kind == EG_KIND_DIRECT) {
        eg_link_drop_keys(E, l);          /* too few left: path keys     */
        changed = 1;
    }
    if (announce)
        send_hello(E, v, u);
    if (changed && l->kind != EG_KIND_NONE)
        send_link_ok(E, v, u, l);
    return changed;
}

/* Room for l's common and shared id sets, cap ids each, from the ids
 * of v's partition (l is v's; taken once, at the first HELLO: the sets
 * only shrink after). */
static void ids_take(eg *E, uint32_t v, eg_link *l, uint32_t cap)
{
    eg_part *P = ep(E, v);
    size_t need = 2 * (size_t)cap;

    if (P->n_ids + need > OFF_PART)       /* as out of memory */
        xfail("eg: too many shared key ids to track (more than 2^31)");
    if (P->n_ids + need > P->cap_ids) {
        P->cap_ids = 2 * (P->n_ids + need);
        P->ids = xreallocarray(P->ids, P->cap_ids, sizeof *P->ids);
    }
    l->ids_off = (uint32_t)P->n_ids | (P == &E->part[1] ? OFF_PART : 0);
    l->ids_cap = (uint16_t)cap;
    P->n_ids += need;
}

/* The control handlers return 0 when the message was taken, -1 when v
 * refuses it (counted in eg.rejected; eg_control tells the world). */
static int on_hello(eg *E, uint32_t v, uint32_t u, sim_pkt *p)
{
    eg_link *l = link_of(E, v, u);
    size_t len;
    const unsigned char *d = pk_msg_open(&E->b, v, p, 0, &len);
    uint32_t n, k = 0, j = 0;

    if (!l || !d || len < 4 || l->state == EG_LINK_DEAD ||
        (n = sim_get32(d)) > E->o->ring || len != 4 + 4 * (size_t)n) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    if (!l->heard) {
        /* Only the announced ids v holds matter (v's ring never grows):
         * common = ring ∩ announced, found with v's ring marked in the
         * pool's bitmap (its partition's mark: all zeros between calls). */
        eg_part *P = ep(E, v);
        const uint32_t *r = ring_of(E, v);
        uint32_t nr = en(E, v)->ring_n, prev = 0;
        int bad = 0;
        for (uint32_t i = 0; i < nr; i++)
            P->mark[r[i] >> 6] |= 1ull << (r[i] & 63);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id = sim_get32(d + 4 + 4 * (size_t)i);
            bad |= i > 0 && id <= prev;           /* must ascend */
            prev = id;
            if (id < E->o->pool && (P->mark[id >> 6] >> (id & 63) & 1))
                P->isect[k++] = id;
        }
        for (uint32_t i = 0; i < nr; i++)
            P->mark[r[i] >> 6] = 0;
        if (bad) {
            pk_count(&E->b, E->m_rejected, 1);
            return -1;
        }
        ids_take(E, v, l, k);
        if (k)                      /* ids may still be NULL */
            memcpy(common_of(E, l), P->isect, k * sizeof *P->isect);
        l->n_common = (uint16_t)k;
    } else {
        for (uint32_t i = 1; i < n; i++)        /* must ascend */
            if (sim_get32(d + 4 + 4 * (size_t)i) <=
                sim_get32(d + 4 * (size_t)i)) {
                pk_count(&E->b, E->m_rejected, 1);
                return -1;
            }
        /* HELLO is not authenticated (E–G discovery is in clear).  Rings
         * never grow, so only the ids announced before that it repeats
         * count: a replayed older HELLO changes nothing, and since the
         * shared ids only ever shrink, a link key once replaced never
         * comes back (installed again, its value would restart its nonce
         * counters).  A forged HELLO can still remove ids: the link is
         * set up again from fewer (or by a path key): denial of service,
         * inherent to discovery in clear. */
        uint32_t *c = common_of(E, l);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id = sim_get32(d + 4 + 4 * (size_t)i);
            while (j < l->n_common && c[j] < id)
                j++;
            if (j < l->n_common && c[j] == id)
                c[k++] = id;            /* k <= j: in place */
        }
        l->n_common = (uint16_t)k;
    }
    l->heard = 1;
    eg_note_disc(E, v, 0);
    if (eg_rediscover(E, v, u, l, 0) && l->kind == EG_KIND_NONE &&
        E->n_round)
        eg_mark_lost(E, v, u, l, E->n_round - 1, 1);
    return 0;
}

static int on_link_ok(eg *E, uint32_t v, uint32_t u, sim_pkt *p)
{
    eg_link *l = link_of(E, v, u);
    cry_key k = l ? l->rx : 0;
    size_t len;

    if (!k || l->state == EG_LINK_DEAD ||
        !pk_msg_open(&E->b, v, p, k, &len) || !hop_fresh(l, p)) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    if (l->kind == EG_KIND_DIRECT)       /* discovery (send_link_ok) */
        eg_note_disc(E, v, 0);
    set_ok(E, v, u, l);
    return 0;
}

static int on_path_key(eg *E, uint32_t v, uint32_t from, sim_pkt *p)
{
    eg_link *in = link_of(E, v, from);
    cry_key k = in ? in->rx : 0;
    uint32_t n, pos, path[EG_MAX_HOPS + 2];
    const unsigned char *d;
    unsigned char val[CRY_KEY_BYTES];
    size_t len;
    int rc = 0;

    /* A replayed PATH_KEY must not reach the far end: installing the
     * same path key again would restart its nonce counters. */
    if (!k || !(d = pk_msg_open(&E->b, v, p, k, &len)) ||
        !hop_fresh(in, p) || len < 8 ||
        (n = sim_get32(d)) < 3 || n > EG_MAX_HOPS + 2 ||
        len != 8 + 4 * (size_t)n + CRY_KEY_BYTES ||
        (pos = sim_get32(d + 4)) == 0 || pos >= n) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        path[i] = sim_get32(d + 8 + 4 * (size_t)i);
    if (path[pos] != v || path[pos - 1] != from) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    memcpy(val, d + 8 + 4 * (size_t)n, CRY_KEY_BYTES);
    if (pos + 1 < n) {                    /* an intermediate node */
        eg_link *out = link_of(E, v, path[pos + 1]);
        if (!out || out->state != EG_LINK_OK || en(E, v)->captured)
            rc = -1;                      /* cannot pass it on: the */
                                          /* initiator's time-out counts */
        else
            send_path_key(E, v, path, n, pos + 1, val);
    } else {                              /* the far end */
        uint32_t a = path[0];
        eg_link *l = link_of(E, v, a);
        if (!l || l->state == EG_LINK_DEAD) {
            pk_count(&E->b, E->m_rejected, 1);
            rc = -1;
        } else {
            unsigned char ok = 1;
            link_install(E, v, a, l, key_import(E, v, val), 0,
                         EG_KIND_PATH);
            l->n_via = (uint8_t)(n - 2);
            memcpy(via_of(E, v, l), path + 1, (n - 2) * sizeof *path);
            eg_send_msg(E, v, a, M_PATH_ACK, &ok, 1, l->tx,
                        N_TX | DIR_ID(v, a));
        }
    }
    cry_wipe(val, sizeof val);
    return rc;
}

static int on_path_ack(eg *E, uint32_t a, uint32_t z, sim_pkt *p)
{
    eg_link *l = link_of(E, a, z);
    cry_key k = l ? l->pend : 0;
    cry_key rx;
    size_t len;

    if (!k || l->state == EG_LINK_DEAD) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    rx = key_derive(E, a, k, DIR_ID(z, a));
    pk_charge(&E->b, a, SCN_OP_KDF, CRY_KEY_BYTES);
    if (!pk_msg_open(&E->b, a, p, rx, &len)) {
        cry_key_free(E->b.ks, rx);
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    cry_key_free(E->b.ks, rx);
    {
        uint8_t nv = l->n_via;            /* the via list itself stays */
        l->pend = 0;                      /* the handle moves */
        link_install(E, a, z, l, k, 0, EG_KIND_PATH);
        l->n_via = nv;
    }
    l->pathing = 0;
    pk_count(&E->b, E->m_path, 1);
    if (l->srch) {                        /* discovery + transport */
        sample(E, a, E->m_pk_delay,
               sim_time_to_s(sim_world_now(E->b.w) -
                             srch_at(ep(E, a), l->srch - 1)->start));
        eg_srch_end(E, a, l->srch - 1);
    }
    send_link_ok(E, a, z, l);
    set_ok(E, a, z, l);                   /* z proved it holds the key */
    return 0;
}

/* n path nodes at d (u32 each) into path: 0, or -1 if one is not a node
 * or one repeats.  O(n^2), n <= EG_MAX_HOPS + 2. */
static int path_read(const eg *E, const unsigned char *d, uint32_t n,
                     uint32_t *path)
{
    for (uint32_t i = 0; i < n; i++) {
        path[i] = sim_get32(d + 4 * (size_t)i);
        if (path[i] >= E->n)
            return -1;
        for (uint32_t j = 0; j < i; j++)
            if (path[j] == path[i])
                return -1;
    }
    return 0;
}

/* v, an intermediate node of a's search for z: answers from its own link
 * to z, or passes the search on over its own secured links (see "Path
 * keys" above). */
static int on_pk_search(eg *E, uint32_t v, uint32_t from, sim_pkt *p)
{
    const sim_topo *t = E->b.t;
    eg_link *in = link_of(E, v, from), *lz;
    cry_key k = in && in->state != EG_LINK_DEAD ? in->rx : 0;
    uint32_t a, z, sid, ttl, n, path[EG_MAX_HOPS + 2];
    const unsigned char *d;
    size_t len;

    if (!k || !(d = pk_msg_open(&E->b, v, p, k, &len)) ||
        !hop_fresh(in, p) || len < 20 ||
        (n = sim_get32(d + 16)) < 1 || n > E->o->path_hops ||
        len != 20 + 4 * (size_t)n ||
        (a = sim_get32(d)) >= (z = sim_get32(d + 4)) || z >= E->n ||
        (ttl = sim_get32(d + 12)) < 1 || ttl > E->o->path_hops ||
        n - 1 + ttl > E->o->path_hops ||
        path_read(E, d + 20, n, path) != 0 || path[0] != a ||
        path[n - 1] != from) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        if (path[i] == v || path[i] == z) {
            pk_count(&E->b, E->m_rejected, 1);
            return -1;
        }
    if (v == z) {                         /* never sent to the target */
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    sid = sim_get32(d + 8);
    if (en(E, v)->captured)
        return 0;                         /* takes no part any more */
    /* The ring's TTL is n - 1 + ttl; its initiator waits that many
     * path_timeout from when it sent the search, before now. */
    if (seen_before(E, v, srch_id(a, sid),
                    sim_world_now(E->b.w) +
                    (sim_time)(n - 1 + ttl) * E->o->path_timeout)) {
        pk_count(&E->b, E->m_pk_dup, 1);
        return 0;
    }
    path[n] = v;
    if ((lz = link_of(E, v, z)) != NULL && lz->state == EG_LINK_OK) {
        path[n + 1] = z;                  /* found: back to the sender */
        send_found(E, v, from, sid, path, n + 2, n - 1);
        return 0;
    }
    if (ttl == 1)
        return 0;                         /* the ring ends here */
    for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++) {
        uint32_t y = t->adj[s];
        int on_path = 0;
        if (y == z || !is_canon(E, s) || E->lk[s].state != EG_LINK_OK)
            continue;
        for (uint32_t i = 0; i < n; i++)
            on_path |= path[i] == y;
        if (!on_path)
            send_search(E, v, y, a, z, sid, ttl - 1, path, n + 1);
    }
    return 0;
}

/* x, on the path of an answer: passes it back towards a, or (x == a)
 * starts the path key's transport along the first path of the current
 * ring. */
static int on_pk_found(eg *E, uint32_t x, uint32_t from, sim_pkt *p)
{
    eg_link *in = link_of(E, x, from), *l, *first;
    cry_key k = in && in->state != EG_LINK_DEAD ? in->rx : 0;
    uint32_t sid, n, pos, z, path[EG_MAX_HOPS + 2];
    const unsigned char *d;
    eg_search *S;
    size_t len;

    if (!k || !(d = pk_msg_open(&E->b, x, p, k, &len)) ||
        !hop_fresh(in, p) || len < 16 ||
        (n = sim_get32(d + 8)) < 3 || n > E->o->path_hops + 2 ||
        len != 16 + 4 * (size_t)n || (pos = sim_get32(d + 12)) > n - 3 ||
        path_read(E, d + 16, n, path) != 0 || path[0] != sim_get32(d) ||
        path[0] >= path[n - 1] || path[pos] != x || path[pos + 1] != from) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    sid = sim_get32(d + 4);
    if (en(E, x)->captured)
        return 0;
    if (pos > 0) {                        /* pass it back, if x still can */
        eg_link *out = link_of(E, x, path[pos - 1]);
        if (out && out->state == EG_LINK_OK)
            send_found(E, x, path[pos - 1], sid, path, n, pos - 1);
        return 0;
    }
    z = path[n - 1];
    if (!(l = link_of(E, x, z)) || !l->srch)
        return 0;                         /* over, or never asked: late */
    S = srch_at(ep(E, x), l->srch - 1);
    if (S->phase != SRCH_RING || S->sid != sid)
        return 0;                         /* a later answer, or a ring's */
                                          /*   that timed out: late */
    if (n - 2 > S->ttl) {                 /* longer than asked for */
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    if (l->state != EG_LINK_NONE) {       /* secured meanwhile */
        l->pathing = 0;
        eg_srch_end(E, x, l->srch - 1);
        return 0;
    }
    if (!(first = link_of(E, x, path[1])) || first->state != EG_LINK_OK)
        return 0;                         /* its first hop went down */
    path_transport(E, x, l->srch - 1, path, n);
    return 0;
}

/* The on_control hook: p to its handler by type; a refused message is
 * told to the world.  Frees p. */
void eg_control(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    eg *E = ps;
    int type = pk_msg_type(p), rc;
    uint32_t from = sim_pkt_src(p);

    stor_prefetch(E, node);

    switch (type) {
    case M_HELLO: rc = on_hello(E, node, from, p); break;
    case M_LINK_OK: rc = on_link_ok(E, node, from, p); break;
    case M_PATH_KEY: rc = on_path_key(E, node, from, p); break;
    case M_PATH_ACK: rc = on_path_ack(E, node, from, p); break;
    case M_REVOKE: rc = eg_on_revoke(E, node, p); break;
    case M_PK_SEARCH: rc = on_pk_search(E, node, from, p); break;
    case M_PK_FOUND: rc = on_pk_found(E, node, from, p); break;
    default: pk_count(&E->b, E->m_rejected, 1); rc = -1; break;
    }
    if (rc != 0)
        sim_world_refuse(w, node, p);
    sim_pkt_free(w, p);
}
