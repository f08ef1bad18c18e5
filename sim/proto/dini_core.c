/* dini_core.c — Dini et al., the machinery every phase uses: node state
 * accessors (keys, tables, costs), packet accounting, sending and
 * retransmission, connection tables (CT), and the data path of an
 * established channel (seed 001 §4.1 "no hop-by-hop encryption"). */

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
 * Helpers: keys, tables, costs
 * ---------------------------------------------------------------------- */

dnode *di_dn(dini *D, uint32_t v)
{
    return sim_world_node_state(D->w, v);
}

/* The dpart of node v's partition (v < n_nodes).  In the locality test
 * build (KMSIM_LOCALITY) a split run aborts when an event reaches the
 * dpart, or a per-node table, of a partition other than the one running
 * it (the set-up and the report, outside events, reach any): no piece of
 * protocol state is written or read by the events of two partitions. */
#ifdef KMSIM_LOCALITY
static void dp_check(const dini *D, int p, uint32_t v)
{
    uint32_t actor = sim_world_actor(D->w);

    if (D->nparts > 1 && actor != SIM_NONE &&
        sim_world_cur_part(D->w) != p) {
        fprintf(stderr, "kmsim: dini: state of node %u (partition %d) "
                "touched by an event of node %u in partition %d\n", v, p,
                actor, sim_world_cur_part(D->w));
        abort();
    }
}
#endif

dpart *di_dp_of(const dini *D, uint32_t v)
{
    int p = D->npart ? D->npart[v] : 0;

    assert(v < D->n_nodes);
#ifdef KMSIM_LOCALITY
    dp_check(D, p, v);
#endif
    return (dpart *)&D->dp[p];
}

/* The key store holding node v's keys. */
cry_keystore *di_ks_of(const dini *D, uint32_t v)
{
    return di_dp_of(D, v)->ks;
}

/* Node v's ring of global key names (o->ring slots, 0: empty), checked as
 * v's own state in the locality build. */
uint64_t *di_ring_of(const dini *D, uint32_t v)
{
    sim_world_local(D->w, v, "dini", "ring");
    return &D->ring[(size_t)v * D->o->ring];
}


/* Node v's key counts, checked as v's own state in the locality build. */
kcount *di_kc_of(const dini *D, uint32_t v)
{
    sim_world_local(D->w, v, "dini", "counts");
    return &D->kc[v];
}

/* v's counts, to change: what dini_storage and dini_keys return for v may
 * change, so the world's next storage sample reads it (storage_marks). */
kcount *di_kc_mut(const dini *D, uint32_t v)
{
    sim_world_storage_changed(D->w, v);
    return di_kc_of(D, v);
}

cry_key di_key_of(const dini *D, uint32_t holder, uint64_t name)
{
    uint64_t *v;

    sim_world_local(D->w, holder, NULL, "dini.keys");
    nt_touch(D, holder);
    v = kmapn_get(&D->keys, holder, name);
    return v ? (cry_key)*v : 0;
}

/* holder's kept previous value of `name` (name | NAME_PREV), 0 if none.
 * kcount.prev counts every NAME_PREV entry (prev_set and di_prev_drop are
 * their only writers; dini_check_counts recounts them): while it is 0 the
 * answer is known from the counts line alone, without the probe of
 * holder's key table (at an SO, a miss in a block of hundreds of keys on
 * every data message it opens). */
cry_key di_prev_of(const dini *D, uint32_t holder, uint64_t name)
{
    return di_kc_of(D, holder)->prev ? di_key_of(D, holder,
                                                 name | NAME_PREV) : 0;
}

/* holder's keys sorted by name (so no order of the hashing shows):
 * *out malloc'd (NULL when none; the caller frees it), returns the
 * count. */
size_t di_kt_list(const dini *D, uint32_t holder, kmapn_slot **out)
{
    sim_world_local(D->w, holder, NULL, "dini.keys");
    nt_touch(D, holder);
    return kmapn_list(&D->keys, holder, out);
}

/* A global key of holder's own pool (holder an SO): what
 * storage.so counts as its global keys. */
int di_own_pool(const dini *D, uint32_t holder, uint64_t name)
{
    return di_is_so(D, holder) &&
           (name & ~(uint64_t)0xffffff) == GNAME(D->so_ord[holder], 0);
}

/* The key table's only writers: every entry set or removed goes through
 * di_kt_set / di_kt_unset, so that the counter kept beside it
 * (kcount.pool, read by the storage and keys hooks) never needs a scan.
 * Wiping a value replaced or removed is the caller's (di_key_put, di_key_del,
 * prev_set, ... do it). */
void di_kt_set(dini *D, uint32_t holder, uint64_t name, cry_key k)
{
    sim_world_local(D->w, holder, NULL, "dini.keys");
    nt_touch(D, holder);
    if (kmapn_put(&D->keys, holder, name, k) && di_own_pool(D, holder, name))
        di_kc_mut(D, holder)->pool++;
}

void di_kt_unset(dini *D, uint32_t holder, uint64_t name)
{
    sim_world_local(D->w, holder, NULL, "dini.keys");
    nt_touch(D, holder);
    if (kmapn_del(&D->keys, holder, name) && di_own_pool(D, holder, name))
        di_kc_mut(D, holder)->pool--;
}

void di_key_del(dini *D, uint32_t holder, uint64_t name)
{
    cry_key old = di_key_of(D, holder, name);
    if (!old)
        return;
    cry_key_free(di_ks_of(D, holder), old);           /* wiped */
    di_kt_unset(D, holder, name);
    if (IS_LOCAL(name))
        di_kc_mut(D, holder)->local--;
}

void di_key_put(dini *D, uint32_t holder, uint64_t name, cry_key k)
{
    cry_key old = di_key_of(D, holder, name);
    if (old)
        cry_key_free(di_ks_of(D, holder), old);       /* wiped */
    else if (IS_LOCAL(name))
        di_kc_mut(D, holder)->local++;
    di_kt_set(D, holder, name, k);
}

/* SO so's copy of node v's factory credential (its device key),
 * provisioned out of band: drawn from v's own deterministic key stream as
 * v's was (dini_init), into so's store.  The same value, made without
 * reading v's tables (no locality exception, nothing shared between
 * partitions). */
cry_key di_device_key(dini *D, uint32_t so, uint32_t v)
{
    return cry_key_generate(di_ks_of(D, so), v, 1ull << 40, NULL);
}

/* A per-node table (route, rhops, ct, sseen, slast, sasked) of node,
 * checked as node's own state in the locality build; the pointer di_nt_get
 * returns is valid until the next put or del on that table. */
uint64_t *di_nt_get(const dini *D, const kmapn *m, const char *what,
                        uint32_t node, uint64_t name)
{
    (void)D; (void)what;                /* checked in the test build only */
    sim_world_local(D->w, node, NULL, what);
    nt_touch(D, node);
    return kmapn_get(m, node, name);
}

void di_nt_put(dini *D, kmapn *m, const char *what, uint32_t node,
                   uint64_t name, uint64_t v)
{
    (void)D; (void)what;
    sim_world_local(D->w, node, NULL, what);
    nt_touch(D, node);
    kmapn_put(m, node, name, v);
}

void di_nt_del(dini *D, kmapn *m, const char *what, uint32_t node,
                   uint64_t name)
{
    (void)D; (void)what;
    sim_world_local(D->w, node, NULL, what);
    nt_touch(D, node);
    kmapn_del(m, node, name);
}

uint64_t di_local_name(const dini *D, uint32_t node, uint32_t incr)
{
    return (uint64_t)node << D->o->d | incr;
}

int di_is_so(const dini *D, uint32_t v)
{
    return D->so_ord[v] != UINT32_MAX;
}

/* A path read from a message names only nodes of this network, and no
 * node twice in a row (an authentic message from an insider may say
 * anything). */
int di_path_valid(const dini *D, const uint32_t *path, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (path[i] >= D->n_nodes || (i > 0 && path[i] == path[i - 1]))
            return 0;
    return 1;
}

int di_is_sub(const dini *D, uint32_t v)
{
    return sim_world_topo(D->w)->nodes[v].role == SCN_ROLE_SUBSCRIBER;
}

/* Simulated CPU time of `op` on `bytes` at node v (device profile). */
void di_charge(dini *D, uint32_t v, scn_op op, size_t bytes)
{
    const scenario *sc = sim_world_scenario(D->w);
    const scn_profile *p =
        &sc->profiles[di_is_so(D, v) ? SCN_DEV_SO : SCN_DEV_SENSOR];
    di_dn(D, v)->cpu_due = sim_time_add_sat(di_dn(D, v)->cpu_due,
                                            scn_profile_cost(p, op, bytes));
}

/* The CPU time a holder spends on a change message it installs (di_on_rekey:
 * opening the REKEY [type][K][version][value] sealed, sealing its
 * REKEY_ACK [type][version][seq]): its device profile's cost of the two
 * fixed-size operations, as di_charge() adds them at the holder.  The SO
 * computes it for seed 001's T(s, z) (di_on_rekey_ack) instead of reading
 * the holder's state. */
sim_time di_holder_update_cpu(const dini *D, uint32_t holder)
{
    const scenario *sc = sim_world_scenario(D->w);
    const scn_profile *p =
        &sc->profiles[di_is_so(D, holder) ? SCN_DEV_SO : SCN_DEV_SENSOR];

    return sim_time_add_sat(
        scn_profile_cost(p, SCN_OP_OPEN,
                         1 + 8 + 4 + CRY_KEY_BYTES + CRY_TAG_BYTES),
        scn_profile_cost(p, SCN_OP_SEAL, 1 + 8));
}

/* ------------------------------------------------------------------------
 * Packet sizes, measured.  Seed 001 §5.1 gives sizes in its own field
 * widths: an initial local-key packet of K_node + K_incr + value bytes, a
 * re-key packet of K_node + K_incr + 2 values, a 1-byte response.  Here
 * every message body actually built is counted field by field: key names
 * and values at the scenario's key_format widths (a local name K_node +
 * K_incr, a global name global_name_bytes, a value key_value_bytes), a
 * node named in a path at K_node bytes, everything else (the type byte,
 * counts, sequence numbers, tags, versions) at the bytes it takes here.
 * That is the accounting view; its key fields alone are the part the
 * paper counts.  The wire view is every transmission's real bytes
 * (header, control part, sealed data part with its tag).
 * ---------------------------------------------------------------------- */

/* Accounting size of the body of a message of `type` (b, len: after the
 * type byte) into *acc (type byte included) and *key (names and values
 * only).  Returns 0, or -1 for a layout it does not know (then *acc is
 * the raw size and *key 0). */
int di_pk_account(const dini_opts *o, int type, const unsigned char *b,
                      size_t len, uint32_t *acc, uint32_t *key)
{
    const uint32_t ln = o->knode_bytes + o->kincr_bytes;  /* local name */
    const uint32_t gn = o->gname_bytes, val = o->value_bytes;
    const uint32_t node = o->knode_bytes;
    uint32_t k = 0, other = 0;
    size_t n;

    switch (type) {
    case D_KEYS:      /* [m] m x ([order number][value])             */
        if (len < 1 || len != 1 + (size_t)b[0] * (4 + CRY_KEY_BYTES))
            goto unknown;
        k = b[0] * (gn + val);
        other = 1;
        break;
    case D_FINDG:     /* [tag 4] names of its ring                   */
        if (len < 4 || (len - 4) % 8)
            goto unknown;
        k = (uint32_t)((len - 4) / 8) * gn;
        other = 4;
        break;
    case D_FINDG_ACK: /* [tag 4][name or 0][seq 4]                   */
        if (len != 16)
            goto unknown;
        k = gn;
        other = 8;
        break;
    case D_PAIRREQ:   /* [n][attempt 4] path of n nodes              */
        if (len < 5 || len != 5 + 4 * (size_t)b[0])
            goto unknown;
        other = 1 + 4 + b[0] * node;
        break;
    case D_OFFER:     /* [K][value][n][pos][dir][attempt 4] path     */
        if (len < 8 + CRY_KEY_BYTES + 7)
            goto unknown;
        n = b[8 + CRY_KEY_BYTES];
        if (len != 8 + CRY_KEY_BYTES + 7 + 4 * n)
            goto unknown;
        k = ln + val;
        other = 3 + 4 + (uint32_t)n * node;
        break;
    case D_KACK:      /* [K][seq 4]                                   */
    case D_MOVE_OK:
        if (len != 12)
            goto unknown;
        k = ln;
        other = 4;
        break;
    case D_READY:     /* [K]                                          */
    case D_MOVE:
        if (len != 8)
            goto unknown;
        k = ln;
        break;
    case D_REKEY:     /* [K][version 4][new value]                    */
        if (len != 8 + 4 + CRY_KEY_BYTES)
            goto unknown;
        k = ln + val;
        other = 4;
        break;
    case D_REKEY_ACK: /* [version 4][seq 4]                           */
        if (len != 8)
            goto unknown;
        other = 8;
        break;
    case D_INVAL:     /* names, global or local                       */
        if (len == 0 || len % 8)
            goto unknown;
        for (size_t i = 0; i < len; i += 8) {
            uint64_t name;
            memcpy(&name, b + i, 8);
            k += IS_LOCAL(name) ? ln : gn;
        }
        break;
    case D_ACK:       /* [type][seq 4]                                */
        if (len != 5)
            goto unknown;
        other = 5;
        break;
    case D_KTREQ:     /* [source 4][K]                                */
        if (len != 12)
            goto unknown;
        k = ln;
        other = node;
        break;
    case D_KTKEY:     /* [source 4][K][seq 4], [value] if handed over */
        if (len != 16 && len != 16 + CRY_KEY_BYTES)
            goto unknown;
        k = ln + (len > 16 ? val : 0);
        other = node + 4;
        break;
    case D_RENEW:     /* [old name][new order number 4][value]        */
        if (len != 12 + CRY_KEY_BYTES)
            goto unknown;
        k = 2 * gn + val;
        break;
    case D_SEARCH:    /* [id][target 4][ttl][n] path of n nodes [nl] local
                       * names [ng] global names (id: origin + counter) */
        if (len < 14 || len < 14 + 4 * (size_t)b[13] + 2)
            goto unknown;
        n = b[13];
        {
            size_t at = 14 + 4 * n, nl, ng;
            nl = b[at];
            if (len < at + 1 + 8 * nl + 1)
                goto unknown;
            ng = b[at + 1 + 8 * nl];
            if (len != at + 2 + 8 * (nl + ng))
                goto unknown;
            k = (uint32_t)(nl * ln + ng * gn);
            other = node + 4 + node + 2 + (uint32_t)n * node + 2;
        }
        break;
    case D_SEARCH_REPLY: /* [id][found][n] path of n nodes             */
        if (len < 10 || len != 10 + 4 * (size_t)b[9])
            goto unknown;
        other = node + 4 + 2 + b[9] * node;
        break;
    case D_PFAIL:     /* [K][a 4][b 4][attempt 4]                     */
        if (len != 20)
            goto unknown;
        k = ln;
        other = 2 * node + 4;
        break;
    default:
        goto unknown;
    }
    *acc = 1 + k + other;
    *key = k;
    return 0;
unknown:
    *acc = (uint32_t)(1 + len);
    *key = 0;
    return -1;
}

/* A message of `type` with body (b, len) was built. */
static void pk_note(dini *D, uint32_t from, int type,
                    const unsigned char *b, size_t len)
{
    dpart *P = di_dp_of(D, from);
    uint32_t acc, key;

    if (di_pk_account(D->o, type, b, len, &acc, &key) != 0)
        P->pk_unknown++;
    P->pk_n[type]++;
    P->pk_acc[type] += acc;
    P->pk_key[type] += key;
}

static void ev_send(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    (void)s; (void)kind; (void)u64;
    if (sim_pkt_type_of(arg) == SIM_PKT_CONTROL) {
        dini *D = sim_world_proto_state(w);
        sim_pkt *p = arg;
        int type = sim_pkt_ctl_len(p) ? sim_pkt_ctl(p)[0] : 0;
        if (type > 0 && type < D_MSG_COUNT) {
            dpart *P = di_dp_of(D, node);
            P->pk_tx[type]++;
            P->pk_wire[type] += p->len;
        }
    }
    if (sim_pkt_type_of(arg) == SIM_PKT_CONTROL ||
        sim_pkt_hops(arg) == 0)
        sim_world_originate(w, node, arg);
    else
        sim_world_send(w, node, arg);
}

/* Sends p from v once v's CPU has done the work charged so far. */
void di_dsend(dini *D, uint32_t v, sim_pkt *p)
{
    dnode *n = di_dn(D, v);
    sim_time now = sim_world_now(D->w);
    sim_time start = n->cpu_free > now ? n->cpu_free : now;

    n->cpu_free = sim_time_add_sat(start, n->cpu_due);
    n->cpu_due = 0;
    sim_sched_at(sim_world_sched(D->w), n->cpu_free, ev_send,
                 SIM_EV_PROTO, v, p, 0);
}

static void count_msg(dini *D, int type)
{
    ana_metric_add(sim_world_metrics(D->w), D->m_msgs[type], 1);
}

/* A control message: ctl = [type] (clear), data = [type] + body, sealed
 * end to end under `k` (name `name`) when k != 0.  Every message carries
 * the sender's next seq in its header (authenticated as associated data
 * when sealed); answers echo it. */
sim_pkt *di_dmsg(dini *D, uint32_t from, uint32_t to, int type,
                     const unsigned char *body, size_t len, cry_key k,
                     uint64_t name)
{
    sim_pkt *p = sim_pkt_new(D->w, SIM_PKT_CONTROL, from, to,
                             ++di_dn(D,
                                     from)->ctl_seq, 1, (uint32_t)(1 + len));
    sim_pkt_ctl(p)[0] = (unsigned char)type;
    sim_pkt_data(p)[0] = (unsigned char)type;
    if (len)
        memcpy(sim_pkt_data(p) + 1, body, len);
    if (k) {
        sim_pkt_set_key(p, name, 0);
        if (sim_pkt_seal_data(p, di_ks_of(D, from), k, &D->ops[from]) != 0)
            abort();         /* fresh counters never repeat: a bug */
        di_charge(D, from, SCN_OP_SEAL, 1 + len);
    }
    count_msg(D, type);
    pk_note(D, from, type, body, len);
    return p;
}

/* ------------------------------------------------------------------------
 * Retransmission.  A message that expects an answer (KEYS, FINDG,
 * PAIRREQ, OFFER, READY, REKEY, INVAL, RENEW) is kept, as the very bytes
 * sent, until the answer echoing its seq arrives; unanswered, it is sent again
 * after retransmit_after, doubling, at most retransmit_max times, then
 * given up (counted; the source's set-up timeout or the next replacement
 * takes over).  Receivers treat a repeat idempotently: they answer again
 * and change nothing.
 * ---------------------------------------------------------------------- */

static void ev_rtx(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                   void *arg, uint64_t u64);

static void rtx_release(dini *D, dpart *P, uint32_t i)
{
    rtx *r = &P->rtx[i];
    kmap_del(&P->rtxmap, r->from, r->seq);
    sim_pkt_free(D->w, r->copy);
    r->copy = NULL;
    r->next_free = P->rtx_free;
    P->rtx_free = i;
}

/* Sends p from `from` and keeps a copy for retransmission. */
void di_rel_send(dini *D, uint32_t from, sim_pkt *p, uint32_t ref)
{
    dpart *P;
    uint32_t i;
    rtx *r;

    if (D->o->rtx_after == 0) {
        di_dsend(D, from, p);
        return;
    }
    P = di_dp_of(D, from);
    if (P->rtx_free != UINT32_MAX) {
        i = P->rtx_free;
        P->rtx_free = P->rtx[i].next_free;
    } else {
        if (P->n_rtx == P->cap_rtx) {
            P->cap_rtx = P->cap_rtx ? 2 * P->cap_rtx : 64;
            P->rtx = xreallocarray(P->rtx, P->cap_rtx, sizeof *P->rtx);
        }
        i = (uint32_t)P->n_rtx++;
    }
    r = &P->rtx[i];
    r->copy = sim_pkt_clone(D->w, p);
    r->from = from;
    r->seq = sim_pkt_seq(p);
    r->ref = ref;
    r->type = sim_pkt_ctl(p)[0];
    r->tries = 0;
    kmap_put(&P->rtxmap, from, r->seq, i);
    di_dsend(D, from, p);
    sim_sched_at(sim_world_sched(D->w), sim_time_add_sat(di_dn(D,
                                                               from)->cpu_free,
                                  D->o->rtx_after),
                 ev_rtx, SIM_EV_PROTO + 3, from, NULL,
                 i | (uint64_t)r->seq << 32);
}

/* The answer to node's message `seq` arrived: 1 if it was awaited (the
 * copy is dropped; *ref, when given, gets its ref) or nothing is kept
 * (retransmission off: no repeats exist), 0 for a repeated or unexpected
 * answer. */
int di_rtx_done(dini *D, uint32_t node, uint32_t seq, uint32_t *ref)
{
    dpart *P = di_dp_of(D, node);
    uint64_t *v = kmap_get(&P->rtxmap, node, seq);
    if (!v)
        return D->o->rtx_after == 0;
    if (ref)
        *ref = P->rtx[*v].ref;
    rtx_release(D, P, (uint32_t)*v);
    return 1;
}


static void ev_rtx(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                   void *arg, uint64_t u64)
{
    dini *D = sim_world_proto_state(ctx);
    dpart *P = di_dp_of(D, node);
    uint32_t i = (uint32_t)u64, seq = (uint32_t)(u64 >> 32), ref;
    ana_metrics *m = sim_world_metrics(D->w);
    rtx *r;
    int type;
    (void)s; (void)kind; (void)arg;

    if (i >= P->n_rtx || !P->rtx[i].copy || P->rtx[i].seq != seq ||
        P->rtx[i].from != node)
        return;                               /* answered meanwhile */
    r = &P->rtx[i];
    if (r->tries < D->o->rtx_max) {
        r->tries++;
        ana_metric_add(m, D->m_rtx, 1);
        count_msg(D, r->type);
        di_dsend(D, node, sim_pkt_clone(D->w, r->copy));
        sim_sched_at(sim_world_sched(D->w),
                     sim_time_add_sat(di_dn(D, node)->cpu_free,
                                      D->o->rtx_after << r->tries),
                     ev_rtx, SIM_EV_PROTO + 3, node, NULL, u64);
        return;
    }
    ana_metric_add(m, D->m_rtx_gaveup, 1);
    type = r->type;
    ref = r->ref;
    rtx_release(D, P, i);
    if (type == D_REKEY)
        di_rekey_lost(D, P, ref >> 8, ref & 0xff);
    else if (type == D_RENEW)
        di_renew_lost(D, node, seq);
    else if (type == D_FINDG) {
        const uint64_t *pi = kmap_get(&P->ptag, node, ref);
        if (pi)
            di_prop_fail(D, P, (uint32_t)*pi); /* counts as "no shared key" */
    }
}

/* CT(a, b) += name (newest first; already listed: unchanged); route
 * entries along a channel are separate. */
void di_ct_add(dini *D, uint32_t a, uint32_t b, uint64_t name)
{
    dpart *P = di_dp_of(D, a);
    uint64_t *h = di_nt_get(D, &D->ct, "dini.ct", a, b);
    uint32_t head = h ? (uint32_t)*h : 0, i;

    for (uint32_t j = head; j; j = P->cte[j - 1].next)
        if (P->cte[j - 1].name == name)
            return;
    if (P->cte_free) {
        i = P->cte_free - 1;
        P->cte_free = P->cte[i].next;
    } else {
        if (P->n_cte == P->cap_cte) {
            P->cap_cte = P->cap_cte ? 2 * P->cap_cte : 64;
            P->cte = xreallocarray(P->cte, P->cap_cte, sizeof *P->cte);
        }
        i = (uint32_t)P->n_cte++;
    }
    P->cte[i].name = name;
    P->cte[i].next = head;
    di_nt_put(D, &D->ct, "dini.ct", a, b, (uint64_t)i + 1);
}

/* CT(a, b) -= name (every entry when name is DINI_NO_KEY). */
void di_ct_del(dini *D, uint32_t a, uint32_t b, uint64_t name)
{
    dpart *P = di_dp_of(D, a);
    uint64_t *h = di_nt_get(D, &D->ct, "dini.ct", a, b);
    uint32_t head, prev = 0;

    if (!h)
        return;
    head = (uint32_t)*h;
    for (uint32_t j = head; j;) {
        uint32_t next = P->cte[j - 1].next;
        if (name == DINI_NO_KEY || P->cte[j - 1].name == name) {
            if (prev)
                P->cte[prev - 1].next = next;
            else
                head = next;
            P->cte[j - 1].next = P->cte_free;
            P->cte_free = j;
        } else {
            prev = j;
        }
        j = next;
    }
    if (head)
        *h = head;                 /* no put or del since di_nt_get: valid */
    else
        di_nt_del(D, &D->ct, "dini.ct", a, b);
}

/* 1 if CT(a, b) lists `name`. */
int di_ct_has(const dini *D, uint32_t a, uint32_t b, uint64_t name)
{
    const dpart *P = di_dp_of(D, a);
    const uint64_t *h = di_nt_get(D, &D->ct, "dini.ct", a, b);
    for (uint32_t j = h ? (uint32_t)*h : 0; j; j = P->cte[j - 1].next)
        if (P->cte[j - 1].name == name)
            return 1;
    return 0;
}

/* a's local key with b, from a's own tables: the newest name in CT(a, b)
 * that a still holds, else DINI_NO_KEY (0 is a valid local name). */
uint64_t di_ct_get(const dini *D, uint32_t a, uint32_t b)
{
    const dpart *P = di_dp_of(D, a);
    const uint64_t *h = di_nt_get(D, &D->ct, "dini.ct", a, b);
    for (uint32_t j = h ? (uint32_t)*h : 0; j; j = P->cte[j - 1].next)
        if (di_key_of(D, a, P->cte[j - 1].name))
            return P->cte[j - 1].name;
    return DINI_NO_KEY;
}

/* 1 if a and b are radio neighbours (a node knows its own neighbours). */
int di_adjacent(const dini *D, uint32_t a, uint32_t b)
{
    const sim_topo *t = sim_world_topo(D->w);
    for (uint32_t e = t->adj_off[a]; e < t->adj_off[a + 1]; e++)
        if (t->adj[e] == b)
            return 1;
    return 0;
}


/* ------------------------------------------------------------------------
 * Data
 * ---------------------------------------------------------------------- */

/* Seals a data packet under the channel key, end to end (data part), and
 * sends it along the channel; with per_hop_mac the header is MACed too
 * (control part, re-MACed at every channel node). */
static void seal_send(dini *D, uint32_t s, uint64_t name, sim_pkt *p)
{
    cry_key k = di_key_of(D, s, name);
    uint32_t plen = sim_pkt_data_len(p), clen = sim_pkt_ctl_len(p);

    sim_pkt_set_key(p, name, 0);
    if (!k || sim_pkt_seal_data(p, di_ks_of(D, s), k, &D->ops[s]) != 0 ||
        (D->o->per_hop_mac &&
         sim_pkt_seal_ctl(p, di_ks_of(D, s), k, s, &D->ops[s]) != 0)) {
        ana_metric_add(sim_world_metrics(D->w), D->m_rejected, 1);
        sim_pkt_free(D->w, p);
        return;
    }
    di_charge(D, s, SCN_OP_SEAL, plen);
    if (D->o->per_hop_mac)
        di_charge(D, s, SCN_OP_SEAL, clen);
    di_dsend(D, s, p);
}

static void send_on_channel(dini *D, uint32_t s, sim_pkt *p)
{
    seal_send(D, s, di_dn(D, s)->ch_name, p);
}

void di_flush_pending(dini *D, uint32_t s)
{
    dnode *n = di_dn(D, s);
    while (n->pend) {
        sim_pkt *p = n->pend;
        n->pend = p->next;
        p->next = NULL;
        send_on_channel(D, s, p);
    }
    n->pend_tail = NULL;
    n->n_pend = 0;
}

/* Queues p for later (at most PEND_MAX; beyond, dropped and counted).
 * Returns 1 if queued. */
static int pend_push(dini *D, sim_pkt **head, sim_pkt **tail, uint32_t *n,
                     sim_pkt *p)
{
    if (*n >= PEND_MAX) {
        ana_metric_add(sim_world_metrics(D->w), D->m_pend_drop, 1);
        sim_pkt_free(D->w, p);
        return 0;
    }
    p->next = NULL;
    if (*tail)
        (*tail)->next = p;
    else
        *head = p;
    *tail = p;
    (*n)++;
    return 1;
}

/* Seals an SO's publish under its key with the subscriber and sends it
 * (control part and data part, as a one-hop channel). */
static void subleg_send(dini *D, subleg *l, sim_pkt *p)
{
    seal_send(D, l->so, l->name, p);
}

/* The subscriber acknowledged the SO's key: the publishes waiting go. */
void di_subleg_ready(dini *D, uint32_t so, uint32_t sub, uint64_t name)
{
    dpart *P = di_dp_of(D, so);
    uint64_t *li = kmap_get(&P->sublegs, so, sub);
    subleg *l;

    if (!li || P->subleg[*li].ready || P->subleg[*li].name != name)
        return;
    l = &P->subleg[*li];
    l->ready = 1;
    ana_metric_add(sim_world_metrics(D->w), D->m_sub_setup,
                   sim_time_to_s(sim_world_now(D->w) - l->start));
    while (l->pend) {
        sim_pkt *q = l->pend;
        l->pend = q->next;
        q->next = NULL;
        subleg_send(D, l, q);
        l = &P->subleg[*li];
    }
    l->pend_tail = NULL;
    l->n_pend = 0;
}

/* An SO's publish to subscriber `sub`: under the local key the SO shares
 * with it, made on first use (handed over under the subscriber's device
 * key, acknowledged under the new key); publishes wait meanwhile. */
static int protect_publish(dini *D, uint32_t so, uint32_t sub, sim_pkt *p)
{
    dpart *P = di_dp_of(D, so);
    uint64_t *li = kmap_get(&P->sublegs, so, sub);
    subleg *l;

    if (!li) {
        uint32_t path[2] = {sub, so}, pi;
        prop *pr;
        uint64_t kname;
        cry_key k;
        if (P->n_subleg == P->cap_subleg) {
            P->cap_subleg = P->cap_subleg ? 2 * P->cap_subleg : 16;
            P->subleg = xreallocarray(P->subleg, P->cap_subleg,
                                      sizeof *P->subleg);
        }
        l = &P->subleg[P->n_subleg];
        memset(l, 0, sizeof *l);
        l->so = so;
        l->sub = sub;
        l->start = sim_world_now(D->w);
        kmap_put(&P->sublegs, so, sub, P->n_subleg++);
        k = di_new_local(D, so, &kname);
        if (!k) {
            sim_pkt_free(D->w, p);
            ana_metric_add(sim_world_metrics(D->w), D->m_pend_drop, 1);
            return 1;
        }
        di_key_put(D, so, kname, k);
        l->name = kname;
        /* The SO knows the subscriber's factory credential. */
        if (!di_key_of(D, so, DNAME(sub)))
            di_kt_set(D, so, DNAME(sub), di_device_key(D, so, sub));
        di_chan_add(D, kname, path, 2, 1);
        di_route_set(D, kname, path, 2, 1);
        pi = di_prop_new(D, so, 0);
        pr = &P->prop[pi];
        pr->name = kname;
        di_prop_set_path(pr, path, 2);
        pr->pos = 1;
        pr->dir = -1;
        di_prop_step(D, P, pi);
        li = kmap_get(&P->sublegs, so, sub);
    }
    l = &P->subleg[*li];
    if (l->ready) {
        subleg_send(D, l, p);
        return 1;
    }
    pend_push(D, &l->pend, &l->pend_tail, &l->n_pend, p);
    return 1;
}

int dini_protect(sim_world *w, void *ps, uint32_t src, uint32_t dst,
                        sim_pkt *p)
{
    dini *D = ps;
    dnode *n = di_dn(D, src);

    if (di_is_so(D, src))
        return sim_pkt_type_of(p) == SIM_PKT_PUBLISH && di_is_sub(D, dst)
                   ? protect_publish(D, src, dst, p) : 0;

    if (n->state == CH_READY) {
        send_on_channel(D, src, p);
        return 1;
    }
    if (n->state == CH_DISCONNECTED) {
        /* Neighbours may have received their keys since: search again
         * after retry_after (0: never). */
        if (D->o->retry_after > 0 &&
            sim_world_now(w) - n->pair_start >= D->o->retry_after) {
            n->state = CH_NONE;
        } else {
            ana_metric_add(sim_world_metrics(w), D->m_pend_drop, 1);
            sim_pkt_free(w, p);
            return 1;
        }
    }
    if (!pend_push(D, &n->pend, &n->pend_tail, &n->n_pend, p))
        return 1;
    if (n->keyed)
        di_pair_start(D, src);
    return 1;
}

static cry_key open_ctl_any(dini *D, uint32_t node, sim_pkt *p);
static cry_key open_data_any(dini *D, uint32_t node, sim_pkt *p);

/* replay_window (kmsim extension, defences: hardened): 1 if data p,
 * just opened at `node` under its value k of the header's key K, was
 * accepted before (or is older than the window), else records it and
 * returns 0.  One window per (node, K, sender) following the sender's two
 * newest values of K.  A value's version: at the SO that owns K's channel
 * the channel's version; at another holder (a subscriber of the SO's leg)
 * the version of the last change message it installed (kver), 0 before
 * any; the kept previous value one less.  From node's own tables only. */
static int replay_seen(dini *D, uint32_t node, const sim_pkt *p, cry_key k)
{
    dpart *P = di_dp_of(D, node);
    uint64_t name = sim_pkt_key_name(p), *ci, *kv, *ix;
    uint32_t src = sim_pkt_src(p), ver, i;
    int cur = k == di_key_of(D, node, name);

    if ((ci = kmap_get(&P->chans, node, name)))
        ver = P->chan[*ci].version;            /* the SO: its channel's  */
    else if ((kv = kmap_get(&P->kver, node, name)))
        ver = (uint32_t)*kv;                   /* a holder: last change  */
    else
        ver = 0;                               /* never replaced here    */
    if (!cur)
        ver--;                                 /* the kept previous value */
    ix = kmap_get(&P->rwidx, node, name);
    for (i = ix ? (uint32_t)*ix : UINT32_MAX; i != UINT32_MAX;
         i = P->rwin[i].next)
        if (P->rwin[i].src == src)
            break;
    if (i == UINT32_MAX) {
        if (P->n_rwin == P->cap_rwin) {
            P->cap_rwin = P->cap_rwin ? 2 * P->cap_rwin : 64;
            P->rwin = xreallocarray(P->rwin, P->cap_rwin, sizeof *P->rwin);
        }
        i = (uint32_t)P->n_rwin++;
        memset(&P->rwin[i], 0, sizeof P->rwin[i]);
        P->rwin[i].src = src;
        P->rwin[i].next = ix ? (uint32_t)*ix : UINT32_MAX;
        kmap_put(&P->rwidx, node, name, i);
    }
    return pk_replays_win_check(&P->rwin[i].w, ver, pk_data_counter(p)) != 0;
}

/* source_binding: 1 if the channel of key `name` that SO so recorded
 * (its own table) runs through node src, the source the data claim (a
 * source using another's channel, Algorithm 1's (M,N)_K branch, is on
 * that channel's path). */
static int bound_to(const dini *D, uint32_t so, uint64_t name, uint32_t src)
{
    const dpart *P = di_dp_of(D, so);
    const uint64_t *ci = kmap_get(&P->chans, so, name);
    if (!ci)
        return 0;
    for (uint32_t i = 0; i < P->chan[*ci].n; i++)
        if (P->chan[*ci].path[i] == src)
            return 1;
    return 0;
}

int dini_unprotect(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    dini *D = ps;
    dpart *P = di_dp_of(D, node);
    uint64_t name = sim_pkt_key_name(p);
    cry_key k;
    uint32_t clen, dlen;

    if (!(sim_pkt_flags(p) & (SIM_F_CTL_SEALED | SIM_F_DATA_SEALED))) {
        /* Anonymous data: accepted, unprotected, counted apart. */
        ana_metric_add(sim_world_metrics(w), D->m_unprotected, 1);
        return 0;
    }
    clen = sim_pkt_ctl_len(p);
    dlen = sim_pkt_data_len(p);
    /* During a replacement: sealed under the new value or, by a holder
     * that has not switched yet, the previous one.  With per_hop_mac the
     * last hop's MAC first (a message without one is refused), then the
     * data part under the value that verified it; without, the data part
     * alone (a control part, which no sender of ours adds, is ignored). */
    if (D->o->per_hop_mac
            ? !(k = open_ctl_any(D, node, p)) ||
                  sim_pkt_open_data(p, P->ks, k, &D->ops[node]) != 0
            : !(k = open_data_any(D, node, p))) {
        ana_metric_add(sim_world_metrics(w), D->m_rejected, 1);
        if (D->o->rekey_on_reject && di_is_so(D, node) && IS_LOCAL(name)) {
            /* Detection: a message under one of our channel keys that
             * does not open.  The key is replaced unless a replacement of
             * it is already under way. */
            uint64_t *ci = kmap_get(&P->chans, node, name);
            if (ci && P->chan[*ci].live && !P->chan[*ci].acks_wanted) {
                ana_metric_add(sim_world_metrics(w), D->m_rekey_demand, 1);
                di_rekey_channel(D, P, (size_t)*ci, 0);
                di_dn(D, node)->cpu_due = 0;
            }
        }
        return -1;
    }
    if (D->o->per_hop_mac)
        di_charge(D, node, SCN_OP_OPEN, clen);
    di_charge(D, node, SCN_OP_OPEN, dlen);
    di_dn(D, node)->cpu_due = 0;  /* the SO's service time covers processing */
    if (D->o->replay_window && replay_seen(D, node, p, k)) {
        sim_world_refuse(w, node, p);
        ana_metric_add(sim_world_metrics(w), D->m_replayed, 1);
        return -1;
    }
    if (D->o->source_binding && di_is_so(D, node) && IS_LOCAL(name) &&
        !bound_to(D, node, name, sim_pkt_src(p))) {
        sim_world_refuse(w, node, p);
        ana_metric_add(sim_world_metrics(w), D->m_unbound, 1);
        return -1;
    }
    ana_metric_add(sim_world_metrics(w),
                   di_is_sub(D, node) ? D->m_pub_opened : D->m_opened, 1);
    return 0;
}

uint32_t dini_route(sim_world *w, void *ps, uint32_t at,
                           const sim_pkt *p)
{
    dini *D = ps;
    const uint64_t *r;
    (void)w;

    if (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED))
        return SIM_NONE;
    /* Data, and the READY by which a source confirms an SO-generated
     * channel: that goes up the channel itself, so that its relays see
     * that the set-up through them succeeded (ev_relay_expire). */
    if (sim_pkt_type_of(p) == SIM_PKT_CONTROL
            ? sim_pkt_ctl_len(p) < 1 ||
                  sim_pkt_ctl((sim_pkt *)p)[0] != D_READY  /* read only */
            : sim_pkt_type_of(p) != SIM_PKT_DATA)
        return SIM_NONE;
    r = di_route_of(D, at, p);
    if (!r)
        return SIM_NONE;
    if (di_dp_of(D, at)->relpend.n)
        kmap_del(&di_dp_of(D, at)->relpend, at,
                 sim_pkt_key_name(p));                     /* used */
    return (uint32_t)*r;                       /* up, towards the SO */
}

/* Where the sealed part of p that open_any tries (part 0 control, 1
 * data) starts, and its bytes on the wire (tag included); -1 when the
 * header's lengths do not fit the packet (every open refuses it then). */
static int part_of(const sim_pkt *p, int part, size_t *off, uint32_t *len)
{
    uint64_t clen = sim_pkt_ctl_len(p), dlen = sim_pkt_data_len(p);

    *off = SIM_HDR_BYTES + (part ? (size_t)clen : 0);
    *len = (uint32_t)(part ? dlen : clen);
    return p->len < SIM_HDR_BYTES || clen + dlen != p->len - SIM_HDR_BYTES
               ? -1 : 0;
}

/* Opens part `part` of p at `node` with its value of the key named in the
 * header or, during a replacement, the kept previous value; returns the
 * one that opened it, or 0.  A failed open wipes the bytes it tried, so
 * before the first of two tries the sealed part (ciphertext and tag, no
 * secret) is saved in P->scratch, a buffer of the protocol state that
 * only grows: no packet is cloned or allocated per message (review L4). */
static cry_key open_any(dini *D, uint32_t node, sim_pkt *p, int part)
{
    dpart *P = di_dp_of(D, node);
    uint64_t name = sim_pkt_key_name(p);
    cry_key k = di_key_of(D, node, name);
    cry_key prev = IS_LOCAL(name) ? di_prev_of(D, node, name) : 0;
    int (*open)(sim_pkt *, const cry_keystore *, cry_key, cry_ops *) =
        part ? sim_pkt_open_data : sim_pkt_open_ctl;
    size_t off;
    uint32_t len;

    if (!k)
        return 0;
    if (prev) {
        if (part_of(p, part, &off, &len) != 0)
            return 0;                   /* lengths lie: every open refuses */
        if (len > P->cap_scratch) {
            P->cap_scratch = len;
            P->scratch = xrealloc(P->scratch, len);
        }
        memcpy(P->scratch, p->buf + off, len);
        if (open(p, P->ks, k, &D->ops[node]) == 0)
            return k;
        memcpy(p->buf + off, P->scratch, len);   /* the ciphertext again */
        k = prev;
    }
    return open(p, P->ks, k, &D->ops[node]) == 0 ? k : 0;
}

/* Control part (a channel node's per-hop MAC) and data part (end to end,
 * at the far end of a channel) of p. */
static cry_key open_ctl_any(dini *D, uint32_t node, sim_pkt *p)
{
    return open_any(D, node, p, 0);
}

static cry_key open_data_any(dini *D, uint32_t node, sim_pkt *p)
{
    return open_any(D, node, p, 1);
}

/* Data on an established channel pass its nodes as they are (paper: no
 * hop-by-hop encryption; dini_route keeps them on the channel).  With
 * per_hop_mac (kmsim extension) a channel node verifies the header's MAC
 * and re-MACs it with the value that verified it (during a replacement the
 * next node may not have switched yet); a data message of its channel
 * without one is refused. */
int dini_forward(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    dini *D = ps;
    cry_key k;
    uint32_t clen;

    if (!D->o->per_hop_mac || !di_route_of(D, node, p))
        return 0;         /* not a node of this channel: relayed as is */
    if (!(sim_pkt_flags(p) & SIM_F_CTL_SEALED))
        return sim_pkt_type_of(p) == SIM_PKT_DATA &&
                       (sim_pkt_flags(p) & SIM_F_DATA_SEALED) ? -1 : 0;
    clen = sim_pkt_ctl_len(p);
    if (!(k = open_ctl_any(D, node, p)) ||
        sim_pkt_seal_ctl(p, di_ks_of(D, node), k, node, &D->ops[node]) != 0)
        return -1;
    di_charge(D, node, SCN_OP_OPEN, clen);
    di_charge(D, node, SCN_OP_SEAL, clen - CRY_TAG_BYTES);
    (void)w;
    di_dsend(D, node, p);
    return 1;
}
