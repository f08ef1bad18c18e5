/* pk.c — the protocol kit shared by the key-management protocols (see
 * pk.h): keys by (holder, name), simulated CPU, control messages, held
 * data, replay window, common metrics. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk.h"
#include "kb.h"
#include "util.h"
#include "wire.h"
#include "proto.h"
#include "scn_map.h"
#include "cry.h"

/* kmsim metrics (mlist.h): the meaning of each metric of
 * every keyed protocol (pk_init and the crypto counters),
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_pk[] = {
    {"crypto.*.per_node",
     "per node: crypto operations of this kind (seal, open, hash, kdf, xor, concat)"},
    {"crypto.*",
     "crypto operations of this kind (seal, open, hash, kdf, xor, concat), all nodes"},
    {"key.rekey.completed_fraction",
     "replacement rounds completed (every ack) / started"},
    {"key.rekey",
     "re-key delay: replacement round start to last ack (all protocols)"},
    {"key.setup",
     "key set-up delay: a source's first key or channel ready (all protocols)"},
    {NULL, NULL},
};

int pk_init(pk *b, sim_world *w, char *err, size_t errlen)
{
    const sim_topo *t = sim_world_topo(w);

    (void)err;        /* no input can make it fail (resources: xfail) */
    (void)errlen;
    ana_metrics *m = sim_world_metrics(w);

    memset(b, 0, sizeof *b);
    b->w = w;
    b->t = t;
    b->n_nodes = t->n_nodes;
    b->nparts = (unsigned)sim_world_nparts(w);
    assert(b->nparts >= 1 && b->nparts <= CRY_PARTS_MAX);
    if (b->nparts > 1) {
        b->part = xmalloc(t->n_nodes ? t->n_nodes : 1);
        for (uint32_t v = 0; v < t->n_nodes; v++)
            b->part[v] = (uint8_t)sim_world_part_of(w, v);
    }
    b->ks = cry_keystore_new_parts(sim_rng_seed(sim_world_rng(w)),
                                   (cry_aead)sim_world_scenario(w)->aead,
                                   b->nparts);
    if (!b->ks)   /* libsodium's secure memory refused: not an input error */
        xfail("cannot allocate the key store (libsodium secure memory)");
    sim_world_note_keystore(w, b->ks);   /* --keylog (kmsim extension) */
    for (unsigned i = 0; i < CRY_PARTS_MAX; i++) {
        kmap_init(&b->keys[i]);
        kmap_init(&b->rt[i].rtxmap);
        b->rt[i].rtx_free = UINT32_MAX;
        sim_world_own(w, &b->rt[i].rtxmap, "pk.rtx"); /* (sender, seq) */
    }
    b->ops = xcalloc(t->n_nodes, sizeof *b->ops);
    b->node = xcalloc(t->n_nodes, sizeof *b->node);
    b->so_ord = xmalloc(sizeof *b->so_ord * (t->n_nodes ? t->n_nodes : 1));
    b->so_node = xmalloc(sizeof *b->so_node * (t->n_nodes ? t->n_nodes : 1));
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        b->so_ord[v] = UINT32_MAX;
        if (t->nodes[v].role == SCN_ROLE_SO) {
            b->so_node[b->n_so] = v;
            b->so_ord[v] = b->n_so++;
            b->node[v].so = 1;
        }
    }
    b->m_rtx = b->m_gaveup = -1;
    b->m_setup = ana_metric_reg(m, "key.setup", "", "s", ANA_SAMPLES);
    b->m_rekey = ana_metric_reg(m, "key.rekey", "", "s", ANA_SAMPLES);
    return 0;
}

void pk_deinit(pk *b)
{
    cry_keystore_free(b->ks);            /* wipes every key value */
    for (unsigned p = 0; p < CRY_PARTS_MAX; p++) {
        pk_rtxs *rt = &b->rt[p];
        kmap_deinit(&b->keys[p]);
        for (size_t i = 0; i < rt->n_rtx; i++)
            sim_pkt_free(b->w, rt->rtx[i].copy);
        free(rt->rtx);
        kmap_deinit(&rt->rtxmap);
    }
    free(b->part);
    free(b->ops);
    free(b->node);
    free(b->so_ord);
    free(b->so_node);
    memset(b, 0, sizeof *b);
}

int pk_is_so(const pk *b, uint32_t v)
{
    return b->so_ord[v] != UINT32_MAX;
}

scn_role pk_role(const pk *b, uint32_t v)
{
    return b->t->nodes[v].role;
}

/* ---- partitions ---------------------------------------------------------- */

#ifdef KMSIM_LOCALITY
void pk_part_write(const pk *b, unsigned part, const char *what)
{
    uint32_t actor;
    int cur;

    if (b->nparts < 2)
        return;
    actor = sim_world_actor(b->w);
    if (actor == SIM_NONE || sim_world_run_wide(b->w))
        return;                  /* set-up, reports, run-wide: one thread */
    cur = sim_world_cur_part(b->w);
    if ((unsigned)cur == part)
        return;
    fprintf(stderr, "kmsim: partition ownership: %s of partition %u "
            "written while partition %d runs (actor %u, time %llu ns)\n",
            what, part, cur, (unsigned)actor,
            (unsigned long long)sim_world_now(b->w));
    abort();
}
#endif

cry_key pk_key_generate(pk *b, uint32_t v, uint64_t stream, uint64_t counter,
                        cry_ops *ops)
{
    unsigned part = pk_part(b, v);

    pk_part_write(b, part, "key store");
    return cry_key_generate_part(b->ks, part, stream, counter, ops);
}

cry_key pk_key_import(pk *b, uint32_t v,
                      const unsigned char val[CRY_KEY_BYTES])
{
    unsigned part = pk_part(b, v);

    pk_part_write(b, part, "key store");
    return cry_key_import_part(b->ks, part, val);
}

cry_key pk_key_derive(pk *b, uint32_t v, cry_key master, uint64_t id,
                      const char ctx[8], cry_ops *ops)
{
    unsigned part = pk_part(b, v);

    pk_part_write(b, part, "key store");
    return cry_key_derive_part(b->ks, part, master, id, ctx, ops);
}

/* ---- keys ---------------------------------------------------------------- */

/* Every (holder, name) access is the holder's own (locality check of the
 * test build, world.h; a no-op otherwise), reported at the caller. */
#define PK_LOCAL(b, holder, acc)                                             \
    sim_world_local_at((b)->w, (holder), NULL, (acc),                        \
                       __builtin_return_address(0))
cry_key pk_key(const pk *b, uint32_t holder, uint64_t name)
{
    uint64_t *v;

    PK_LOCAL(b, holder, "pk_key");
    v = kmap_get(&b->keys[pk_part(b, holder)], holder, name);
    return v ? (cry_key)*v : 0;
}

void pk_key_put(pk *b, uint32_t holder, uint64_t name, cry_key k)
{
    cry_key old;

    PK_LOCAL(b, holder, "pk_key_put");
    pk_part_write(b, pk_part(b, holder), "pk.keys");
    /* A partition-safe protocol allocates a node's keys in its own part
     * (pk_key_generate ...). */
    assert(cry_key_part(k) == pk_part(b, holder) ||
           !sim_world_scenario(b->w)->proto->threads_ok);
    old = pk_key(b, holder, name);
    if (old)
        cry_key_free(b->ks, old);        /* wiped */
    kmap_put(&b->keys[pk_part(b, holder)], holder, name, k);
}

int pk_key_del(pk *b, uint32_t holder, uint64_t name)
{
    cry_key old;

    PK_LOCAL(b, holder, "pk_key_del");
    old = pk_key(b, holder, name);
    if (!old)
        return 0;
    pk_part_write(b, pk_part(b, holder), "pk.keys");
    cry_key_free(b->ks, old);            /* wiped */
    kmap_del(&b->keys[pk_part(b, holder)], holder, name);
    return 1;
}

static int held_cmp(const void *x, const void *y)
{
    const pk_held *a = x, *c = y;

    if (a->holder != c->holder)
        return a->holder < c->holder ? -1 : 1;
    return a->name < c->name ? -1 : a->name > c->name;
}

size_t pk_keys_held(const pk *b, uint32_t holder, pk_held **out)
{
    size_t n = 0, cap = 0;
    pk_held *h = NULL;

    PK_LOCAL(b, holder == SIM_NONE ? SIM_HOLDER_ALL : holder, "pk_keys_held");
    /* Every holder's: both partitions' tables, merged back into (holder,
     * name) order (kmap_list sorts each). */
    for (unsigned p = 0; p < b->nparts; p++) {
        kmap_slot *l;
        size_t m;

        if (holder != SIM_NONE && p != pk_part(b, holder))
            continue;
        m = kmap_list(&b->keys[p], holder == SIM_NONE ? KMAP_ANY : holder,
                      &l);
        if (n + m > cap) {
            cap = n + m;
            h = xreallocarray(h, cap, sizeof *h);
        }
        for (size_t i = 0; i < m; i++) {
            h[n + i].holder = (uint32_t)l[i].a;
            h[n + i].name = l[i].b;
            h[n + i].key = (cry_key)l[i].v;
        }
        n += m;
        free(l);
    }
    if (b->nparts > 1 && holder == SIM_NONE && n > 1)
        qsort(h, n, sizeof *h, held_cmp);
    *out = h;
    return n;
}

/* ---- simulated CPU --------------------------------------------------------- */

/* One record read: the SO flag sits in the pk_node the charge updates
 * (pk_is_so's so_ord would be a second miss per charge at 10^5 nodes). */
void pk_charge(pk *b, uint32_t v, scn_op op, size_t bytes)
{
    const scenario *sc = sim_world_scenario(b->w);
    pk_node *n = &b->node[v];
    const scn_profile *p =
        &sc->profiles[n->so ? SCN_DEV_SO : SCN_DEV_SENSOR];

    PK_LOCAL(b, v, "pk_charge");   /* v's CPU */
    n->cpu_due = sim_time_add_sat(n->cpu_due, scn_profile_cost(p, op, bytes));
}

static void ev_send(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    (void)s; (void)kind; (void)u64;
    if (sim_pkt_type_of(arg) == SIM_PKT_CONTROL || sim_pkt_hops(arg) == 0)
        sim_world_originate(w, node, arg);
    else
        sim_world_send(w, node, arg);
}

void pk_send(pk *b, uint32_t v, sim_pkt *p)
{
    pk_node *n = &b->node[v];
    sim_time now = sim_world_now(b->w);
    sim_time start = n->cpu_free > now ? n->cpu_free : now;

    PK_LOCAL(b, v, "pk_send");     /* v's CPU and radio */
    n->cpu_free = sim_time_add_sat(start, n->cpu_due);
    n->cpu_due = 0;
    sim_sched_at(sim_world_sched(b->w), n->cpu_free, ev_send, SIM_EV_PROTO,
                 v, p, 0);
}

/* ---- messages -------------------------------------------------------------- */

sim_pkt *pk_msg(pk *b, uint32_t from, uint32_t to, int type,
                const unsigned char *body, size_t len, cry_key k,
                uint64_t name, uint32_t session)
{
    sim_pkt *p;

    PK_LOCAL(b, from, "pk_msg");   /* from's sequence */
    p = sim_pkt_new(b->w, SIM_PKT_CONTROL, from, to,
                    ++b->node[from].seq, 1, (uint32_t)(1 + len));
    sim_pkt_ctl(p)[0] = (unsigned char)type;
    sim_pkt_data(p)[0] = (unsigned char)type;
    if (len)
        memcpy(sim_pkt_data(p) + 1, body, len);
    sim_pkt_set_key(p, name, session);
    if (k) {
        if (sim_pkt_seal_data(p, b->ks, k, &b->ops[from]) != 0)
            abort();         /* a fresh counter never repeats: a bug */
        pk_charge(b, from, SCN_OP_SEAL, 1 + len);
    }
    return p;
}

int pk_msg_type(const sim_pkt *p)
{
    if (sim_pkt_ctl_len(p) != 1 || (sim_pkt_flags(p) & SIM_F_CTL_SEALED))
        return -1;
    return sim_pkt_ctl((sim_pkt *)p)[0];
}

const unsigned char *pk_msg_open(pk *b, uint32_t node, sim_pkt *p, cry_key k,
                                 size_t *len)
{
    int type = pk_msg_type(p);
    int sealed = (sim_pkt_flags(p) & SIM_F_DATA_SEALED) != 0;
    const unsigned char *d;

    if (type < 0 || sealed != (k != 0))
        goto refused;
    if (sealed) {
        pk_charge(b, node, SCN_OP_OPEN, sim_pkt_data_len(p));
        if (sim_pkt_open_data(p, b->ks, k, &b->ops[node]) != 0)
            goto refused;
    }
    d = sim_pkt_data(p);
    if (sim_pkt_data_len(p) < 1 || d[0] != (unsigned char)type)
        goto refused;
    *len = sim_pkt_data_len(p) - 1;
    return d + 1;
refused:
    sim_world_refuse(b->w, node, p);
    return NULL;
}

int pk_seal_data(pk *b, uint32_t src, sim_pkt *p, cry_key k, uint64_t name,
                 uint32_t session)
{
    if (sim_pkt_flags(p) & SIM_F_DATA_SEALED)
        return -1;
    sim_pkt_set_key(p, name, session);
    pk_charge(b, src, SCN_OP_SEAL, sim_pkt_data_len(p));
    return sim_pkt_seal_data(p, b->ks, k, &b->ops[src]);
}

int pk_open_data(pk *b, uint32_t node, sim_pkt *p, cry_key k)
{
    pk_charge(b, node, SCN_OP_OPEN, sim_pkt_data_len(p));
    if (sim_pkt_open_data(p, b->ks, k, &b->ops[node]) != 0) {
        sim_world_refuse(b->w, node, p);
        return -1;
    }
    return 0;
}

/* ---- per-hop MAC (kmsim extension) ------------------------------------------------ */

int pk_per_hop_mac_parse(scn_map *m, int *out)
{
    return scn_map_bool(m, "per_hop_mac", 0, 0, out);
}

int pk_hop_covered(const sim_pkt *p)
{
    sim_pkt_type t = sim_pkt_type_of(p);
    return (t == SIM_PKT_DATA || t == SIM_PKT_PUBLISH) &&
           (sim_pkt_flags(p) & SIM_F_DATA_SEALED);
}

int pk_hop_seal(pk *b, uint32_t v, sim_pkt *p, cry_key k)
{
    uint32_t clen = sim_pkt_ctl_len(p);

    if (!k || sim_pkt_seal_ctl(p, b->ks, k, v, &b->ops[v]) != 0)
        return -1;
    pk_charge(b, v, SCN_OP_SEAL, clen);
    return 0;
}

cry_key pk_hop_open(pk *b, uint32_t v, sim_pkt *p, cry_key k, cry_key prev)
{
    uint32_t clen = sim_pkt_ctl_len(p);

    if (!(sim_pkt_flags(p) & SIM_F_CTL_SEALED) || (!k && !prev))
        return 0;
    if (k && prev) {
        /* k on a copy first (a failed open wipes what it tried); when it
         * opens, the copy is the result. */
        sim_pkt *q = sim_pkt_clone(b->w, p);
        int ok;
        pk_charge(b, v, SCN_OP_OPEN, clen);
        ok = sim_pkt_open_ctl(q, b->ks, k, &b->ops[v]) == 0;
        if (ok) {
            memcpy(p->buf, q->buf, q->len);
            p->len = q->len;
        }
        cry_wipe(q->buf, q->len);
        sim_pkt_free(b->w, q);
        if (ok)
            return k;
        k = 0;
    }
    if (!k)
        k = prev;
    pk_charge(b, v, SCN_OP_OPEN, clen);
    return sim_pkt_open_ctl(p, b->ks, k, &b->ops[v]) == 0 ? k : 0;
}

int pk_hop_relay(pk *b, uint32_t v, sim_pkt *p, cry_key in, cry_key in_prev,
                 cry_key out)
{
    cry_key k = pk_hop_open(b, v, p, in, in_prev);

    if (!k || pk_hop_seal(b, v, p, out ? out : k) != 0) {
        /* Counted in crypto.*, but nothing leaves to be delayed by it
         * (as for a refused message at its destination). */
        b->node[v].cpu_due = 0;
        return -1;
    }
    pk_send(b, v, p);
    return 1;
}

const cry_ops *pk_node_ops(const sim_world *w, uint32_t node)
{
    const scn_proto_ops *p = sim_world_scenario(w)->proto;
    const pk *b;

    if (p != &sim_proto_netkey && p != &sim_proto_pairwise &&
        p != &sim_proto_dipietro && p != &sim_proto_eg)
        return NULL;
    b = sim_world_proto_state((sim_world *)w);
    return node < b->n_nodes ? &b->ops[node] : NULL;
}

/* ---- the adversary ------------------------------------------------------------ */

size_t pk_atk_capture(pk *b, uint32_t holder, atk_kb *kb, pk_atk_map_fn map,
                      void *ps)
{
    pk_held *h;
    size_t n = pk_keys_held(b, holder, &h), added = 0;

    for (size_t i = 0; i < n; i++) {
        atk_kind kind;
        uint64_t label, aux;
        if (map(ps, holder, h[i].name, &kind, &label, &aux) != 0)
            continue;
        atk_kb_add(kb, kind, label, aux, b->ks, h[i].key);
        added++;
    }
    free(h);
    return added;
}

void pk_refuse(pk *b, uint32_t node, sim_pkt *p)
{
    sim_world_refuse(b->w, node, p);
}

/* ---- retransmission --------------------------------------------------------- */

void pk_rtx_setup(pk *b, sim_time after, uint32_t max, pk_giveup_fn giveup,
                  int m_rtx, int m_gaveup)
{
    b->rtx_after = after;
    b->rtx_max = max;
    b->giveup = giveup;
    b->m_rtx = m_rtx;
    b->m_gaveup = m_gaveup;
}

/* Slot i of partition rt's table is answered or given up. */
static void rtx_release(pk *b, pk_rtxs *rt, uint32_t i)
{
    pk_rtx *r = &rt->rtx[i];

    kmap_del(&rt->rtxmap, r->from, r->seq);
    sim_pkt_free(b->w, r->copy);
    r->copy = NULL;
    r->next_free = rt->rtx_free;
    rt->rtx_free = i;
}

/* The retransmission state of node v's partition, about to be written. */
static pk_rtxs *rtx_of(pk *b, uint32_t v)
{
    unsigned part = pk_part(b, v);

    pk_part_write(b, part, "pk.rtx");
    return &b->rt[part];
}

static void ev_rtx(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                   void *arg, uint64_t u64)
{
    pk *b = sim_world_proto_state(ctx);   /* the protocol state begins
                                           * with its pk */
    uint32_t i = (uint32_t)u64, seq = (uint32_t)(u64 >> 32);
    pk_rtxs *rt = rtx_of(b, node);        /* slot i is in node's part */
    pk_rtx *r;

    (void)s; (void)kind; (void)arg;
    if (i >= rt->n_rtx || !rt->rtx[i].copy || rt->rtx[i].seq != seq ||
        rt->rtx[i].from != node)
        return;                              /* answered meanwhile */
    r = &rt->rtx[i];
    if (r->tries < b->rtx_max) {
        r->tries++;
        if (b->m_rtx >= 0)
            pk_count(b, b->m_rtx, 1);
        if (r->type < b->rtx_n_msgs && b->rtx_msgs[r->type] >= 0)
            pk_count(b, b->rtx_msgs[r->type], 1);
        pk_send(b, node, sim_pkt_clone(b->w, r->copy));
        sim_sched_at(sim_world_sched(b->w),
                     sim_time_add_sat(b->node[node].cpu_free,
                                      b->rtx_after << r->tries),
                     ev_rtx, SIM_EV_PROTO + 63, node, NULL, u64);
        return;
    }
    {
        uint32_t to = r->to, ref = r->ref;
        int type = r->type;

        if (b->m_gaveup >= 0)
            pk_count(b, b->m_gaveup, 1);
        rtx_release(b, rt, i);
        if (b->giveup)
            b->giveup(b, node, to, type, ref);
    }
}

void pk_rtx_msg_metrics(pk *b, const int *m_msgs, size_t n)
{
    b->rtx_msgs = m_msgs;
    b->rtx_n_msgs = n;
}

/* The slot index i lives in the sender's partition table: slots are
 * handed out per partition (its own free list), so an index never depends
 * on the other partition's messages -- and indexes stay inside the
 * simulator (the event's u64), never in a message. */
void pk_rtx_send(pk *b, uint32_t from, sim_pkt *p, uint32_t ref)
{
    pk_rtxs *rt;
    uint32_t i;
    pk_rtx *r;

    if (b->rtx_after == 0) {
        pk_send(b, from, p);
        return;
    }
    rt = rtx_of(b, from);
    if (rt->rtx_free != UINT32_MAX) {
        i = rt->rtx_free;
        rt->rtx_free = rt->rtx[i].next_free;
    } else {
        if (rt->n_rtx == rt->cap_rtx) {
            rt->cap_rtx = rt->cap_rtx ? 2 * rt->cap_rtx : 64;
            rt->rtx = xreallocarray(rt->rtx, rt->cap_rtx, sizeof *rt->rtx);
        }
        i = (uint32_t)rt->n_rtx++;
    }
    r = &rt->rtx[i];
    r->copy = sim_pkt_clone(b->w, p);
    r->from = from;
    r->to = sim_pkt_dst(p);
    r->seq = sim_pkt_seq(p);
    r->ref = ref;
    r->type = (uint8_t)pk_msg_type(p);
    r->tries = 0;
    kmap_put(&rt->rtxmap, from, r->seq, i);
    pk_send(b, from, p);
    sim_sched_at(sim_world_sched(b->w), sim_time_add_sat(b->node[from].cpu_free, b->rtx_after),
                 ev_rtx, SIM_EV_PROTO + 63, from, NULL,
                 i | (uint64_t)r->seq << 32);
}

int pk_rtx_done(pk *b, uint32_t from, uint32_t seq, uint32_t *ref)
{
    pk_rtxs *rt = rtx_of(b, from);
    uint64_t *v = kmap_get(&rt->rtxmap, from, seq);

    if (!v)
        return b->rtx_after == 0;
    if (ref)
        *ref = rt->rtx[*v].ref;
    rtx_release(b, rt, (uint32_t)*v);
    return 1;
}

uint32_t pk_rtx_cancel(pk *b, uint32_t from, uint32_t to)
{
    pk_rtxs *rt = rtx_of(b, from);   /* from's messages are in its part */
    uint32_t n = 0;

    for (size_t i = 0; i < rt->n_rtx; i++)
        if (rt->rtx[i].copy && rt->rtx[i].from == from &&
            (to == SIM_NONE || rt->rtx[i].to == to)) {
            rtx_release(b, rt, (uint32_t)i);
            n++;
        }
    return n;
}

/* ---- held data ----------------------------------------------------------- */

int pk_queue_push(pk_queue *q, sim_pkt *p)
{
    if (q->n >= PK_PEND_MAX)
        return -1;
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->n++;
    return 0;
}

sim_pkt *pk_queue_pop(pk_queue *q)
{
    sim_pkt *p = q->head;
    if (!p)
        return NULL;
    q->head = p->next;
    if (!q->head)
        q->tail = NULL;
    q->n--;
    p->next = NULL;
    return p;
}

void pk_queue_clear(pk *b, pk_queue *q)
{
    sim_pkt *p;
    while ((p = pk_queue_pop(q)) != NULL)
        sim_pkt_free(b->w, p);
}

/* ---- replay window ----------------------------------------------------------- */

int pk_replay_check(pk_replay *r, uint64_t ctr)
{
    int any = r->mask != 0;         /* bit 0 stays set once accepted */

    if (!any || ctr > r->top) {
        uint64_t shift = any ? ctr - r->top : 64;
        r->mask = shift >= 64 ? 0 : r->mask << shift;
        r->mask |= 1;
        r->top = ctr;
        return 0;
    }
    if (r->top - ctr >= 64 || (r->mask >> (r->top - ctr) & 1))
        return -1;
    r->mask |= 1ull << (r->top - ctr);
    return 0;
}

/* ---- replay windows per (receiver, sender) and key version ----------------- */

void pk_replays_init(pk_replays *r)
{
    memset(r, 0, sizeof *r);
    for (unsigned p = 0; p < CRY_PARTS_MAX; p++)
        kmap_init(&r->p[p].idx);
}

void pk_replays_own(sim_world *w, pk_replays *r, const char *name)
{
    for (unsigned p = 0; p < CRY_PARTS_MAX; p++)
        sim_world_own(w, &r->p[p].idx, name);
#ifndef KMSIM_LOCALITY
    (void)w; (void)r; (void)name;
#endif
}

void pk_replays_deinit(pk_replays *r)
{
    for (unsigned p = 0; p < CRY_PARTS_MAX; p++) {
        kmap_deinit(&r->p[p].idx);
        free(r->p[p].win);
    }
    memset(r, 0, sizeof *r);
}

int pk_replays_check(pk_replays *r, unsigned part, uint32_t receiver,
                     uint32_t sender, uint32_t ver, uint64_t ctr)
{
    pk_replays_part *rp = &r->p[part];
    uint64_t *ix = kmap_get(&rp->idx, receiver, sender);
    pk_replays_win *w;

    assert(part < CRY_PARTS_MAX);
    if (!ix) {
        if (rp->n == rp->cap) {
            rp->cap = rp->cap ? 2 * rp->cap : 64;
            rp->win = xreallocarray(rp->win, rp->cap, sizeof *rp->win);
        }
        memset(&rp->win[rp->n], 0, sizeof *rp->win);
        kmap_put(&rp->idx, receiver, sender, rp->n);
        w = &rp->win[rp->n++];
    } else {
        w = &rp->win[*ix];
    }
    return pk_replays_win_check(w, ver, ctr);
}

int pk_replays_win_check(pk_replays_win *w, uint32_t ver, uint64_t ctr)
{
    int j;

    for (j = 0; j < 2; j++)
        if (w->used[j] && w->ver[j] == ver)
            return pk_replay_check(&w->r[j], ctr);
    /* A version not tracked yet: it takes a free window, else the one of
     * the older version, unless it is older than both (refused). */
    if (!w->used[0])
        j = 0;
    else if (!w->used[1])
        j = 1;
    else {
        j = w->ver[0] < w->ver[1] ? 0 : 1;
        if (ver < w->ver[j])
            return -1;
    }
    memset(&w->r[j], 0, sizeof w->r[j]);
    w->used[j] = 1;
    w->ver[j] = ver;
    return pk_replay_check(&w->r[j], ctr);
}

uint64_t pk_data_counter(const sim_pkt *p)
{
    sim_hdr h;
    if (sim_hdr_read(&h, p->buf, p->len) != 0)
        return UINT64_MAX;
    return h.data_ctr;
}

int pk_replays_check_pkt(pk *b, pk_replays *r, uint32_t receiver,
                         sim_pkt *p, uint32_t ver)
{
    unsigned part = pk_part(b, receiver);

    pk_part_write(b, part, "pk.replays");
    if (pk_replays_check(r, part, receiver, sim_pkt_src(p), ver,
                         pk_data_counter(p)) != 0) {
        sim_world_refuse(b->w, receiver, p);
        return -1;
    }
    return 0;
}

/* ---- metrics --------------------------------------------------------------- */

void pk_metrics_reg(ana_metrics *m, void *state, const pk_metric *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        *(int *)((char *)state + t[i].off) =
            ana_metric_reg(m, t[i].name, "", t[i].unit, t[i].kind);
}

/* ---- per-node byte counts ------------------------------------------------- */

void pk_tally_init(pk_tally *t, uint32_t n)
{
    t->c = xcalloc(n ? n : 1, sizeof *t->c);
    t->n = n;
    t->marks = NULL;
    t->part = NULL;
    for (unsigned p = 0; p < CRY_PARTS_MAX; p++)
        kmap_init(&t->big[p]);
}

void pk_tally_parts(pk_tally *t, const uint8_t *part)
{
    t->part = part;
}

void pk_tally_deinit(pk_tally *t)
{
    free(t->c);
    for (unsigned p = 0; p < CRY_PARTS_MAX; p++)
        kmap_deinit(&t->big[p]);
    memset(t, 0, sizeof *t);
}

static const kmap *tally_big(const pk_tally *t, uint32_t v)
{
    return &t->big[t->part ? t->part[v] : 0];
}

uint32_t pk_tally_get(const pk_tally *t, uint32_t v)
{
    const uint64_t *x;

    assert(v < t->n);
    if (t->c[v] != PK_TALLY_BIG)
        return t->c[v];
    x = kmap_get(tally_big(t, v), v, 0);
    assert(x);
    return (uint32_t)*x;
}

void pk_tally_add(pk_tally *t, uint32_t v, int32_t d)
{
    int64_t c = (int64_t)pk_tally_get(t, v) + d;
    kmap *big = (kmap *)tally_big(t, v);

    assert(c >= 0 && c <= (int64_t)UINT32_MAX);
    if (t->marks && d)
        sim_world_storage_changed(t->marks, v);
    if (c < (int64_t)PK_TALLY_BIG) {
        if (t->c[v] == PK_TALLY_BIG)
            kmap_del(big, v, 0);
        t->c[v] = (uint8_t)c;
    } else {
        t->c[v] = PK_TALLY_BIG;
        kmap_put(big, v, 0, (uint64_t)c);
    }
}

void pk_tally_marks(pk_tally *t, sim_world *w)
{
    t->marks = w;
}

void pk_count(pk *b, int metric, double v)
{
    ana_metric_add(sim_world_metrics(b->w), metric, v);
}

void pk_report_crypto(const sim_topo *t, const cry_ops *ops, ana_metrics *m)
{
    static const char *const opn[CRY_OP_COUNT] = {
        "seal", "open", "hash", "kdf", "xor", "concat",
    };
    char name[64];

    for (int k = 0; k < CRY_OP_COUNT; k++) {
        int tot, per;
        snprintf(name, sizeof name, "crypto.%s", opn[k]);
        tot = ana_metric_reg(m, name, "", "op", ANA_COUNTER);
        snprintf(name, sizeof name, "crypto.%s.per_node", opn[k]);
        per = ana_metric_reg(m, name, "", "op", ANA_SAMPLES);
        for (uint32_t v = 0; v < t->n_nodes; v++) {
            if (t->nodes[v].role == SCN_ROLE_SUBSCRIBER)
                continue;
            ana_metric_add(m, tot, (double)ops[v].n[k]);
            ana_metric_add(m, per, (double)ops[v].n[k]);
        }
    }
}
