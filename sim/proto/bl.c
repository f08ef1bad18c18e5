/* bl.c — retransmission and replay windows shared by the naive baselines
 * (see bl.h). */
#include <stdlib.h>
#include <string.h>
#include "baseline.h"
#include "bl.h"
#include "proto.h"
#include "util.h"
#include "wire.h"

/* ---- retransmission ------------------------------------------------------ */

void bl_rtx_init(bl_rtx *r, pk *b, sim_time after, uint32_t max,
                 bl_gaveup_fn gaveup, void *ctx, int m_resent, int m_type)
{
    memset(r, 0, sizeof *r);
    r->b = b;
    r->after = after;
    r->max = max;
    r->free_head = UINT32_MAX;
    kmap_init(&r->map);
    r->gaveup = gaveup;
    r->ctx = ctx;
    r->m_resent = m_resent;
    r->m_type = m_type;
}

void bl_rtx_deinit(bl_rtx *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->slot[i].copy)
            sim_pkt_free(r->b->w, r->slot[i].copy);
    free(r->slot);
    kmap_deinit(&r->map);
    memset(r, 0, sizeof *r);
}

static void release(bl_rtx *r, uint32_t i)
{
    bl_rtx_slot *s = &r->slot[i];
    kmap_del(&r->map, s->from, s->seq);
    sim_pkt_free(r->b->w, s->copy);
    s->copy = NULL;
    s->next_free = r->free_head;
    r->free_head = i;
}

static void ev_rtx(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                   void *arg, uint64_t u64)
{
    bl_rtx *r = arg;
    uint32_t i = (uint32_t)u64, seq = (uint32_t)(u64 >> 32), ref;
    bl_rtx_slot *sl;
    (void)ctx; (void)kind;

    if (i >= r->n || !r->slot[i].copy || r->slot[i].seq != seq ||
        r->slot[i].from != node)
        return;                               /* answered meanwhile */
    sl = &r->slot[i];
    if (sl->tries < r->max) {
        sl->tries++;
        pk_count(r->b, r->m_resent, 1);
        pk_count(r->b, r->m_type, 1);
        pk_send(r->b, node, sim_pkt_clone(r->b->w, sl->copy));
        sim_sched_at(s, r->b->node[node].cpu_free + (r->after << sl->tries),
                     ev_rtx, SIM_EV_PROTO + 2, node, r, u64);
        return;
    }
    ref = sl->ref;
    release(r, i);
    r->gaveup(r->ctx, node, ref);
}

void bl_rtx_send(bl_rtx *r, uint32_t from, sim_pkt *p, uint32_t ref)
{
    uint32_t i;
    bl_rtx_slot *s;

    if (r->after == 0) {
        pk_send(r->b, from, p);
        return;
    }
    if (r->free_head != UINT32_MAX) {
        i = r->free_head;
        r->free_head = r->slot[i].next_free;
    } else {
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 64;
            r->slot = xreallocarray(r->slot, r->cap, sizeof *r->slot);
        }
        i = (uint32_t)r->n++;
    }
    s = &r->slot[i];
    s->copy = sim_pkt_clone(r->b->w, p);
    s->from = from;
    s->seq = sim_pkt_seq(p);
    s->ref = ref;
    s->tries = 0;
    kmap_put(&r->map, from, s->seq, i);
    pk_send(r->b, from, p);
    sim_sched_at(sim_world_sched(r->b->w), r->b->node[from].cpu_free + r->after,
                 ev_rtx, SIM_EV_PROTO + 2, from, r, i | (uint64_t)s->seq << 32);
}

int bl_rtx_done(bl_rtx *r, uint32_t from, uint32_t seq, uint32_t *ref)
{
    uint64_t *v = kmap_get(&r->map, from, seq);
    if (!v)
        return r->after == 0;
    if (ref)
        *ref = r->slot[*v].ref;
    release(r, (uint32_t)*v);
    return 1;
}

/* ---- replay windows ---------------------------------------------------------- */

void bl_replay_init(bl_replay *r)
{
    memset(r, 0, sizeof *r);
    kmap_init(&r->idx);
}

void bl_replay_deinit(bl_replay *r)
{
    kmap_deinit(&r->idx);
    free(r->win);
    memset(r, 0, sizeof *r);
}

int bl_replay_check(bl_replay *r, uint32_t receiver, uint32_t sender,
                    uint32_t ver, uint64_t ctr)
{
    uint64_t *ix = kmap_get(&r->idx, receiver, sender);
    bl_win *w;
    int j;

    if (!ix) {
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 64;
            r->win = xreallocarray(r->win, r->cap, sizeof *r->win);
        }
        memset(&r->win[r->n], 0, sizeof *r->win);
        kmap_put(&r->idx, receiver, sender, r->n);
        w = &r->win[r->n++];
    } else {
        w = &r->win[*ix];
    }
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

uint64_t bl_data_counter(const sim_pkt *p)
{
    sim_hdr h;
    if (sim_hdr_read(&h, p->buf, p->len) != 0)
        return UINT64_MAX;
    return h.data_ctr;
}

/* ---- baseline.h: what both baselines answer alike ---------------------------
 * Both keep a pk first in their state (pk.h). */

const cry_keystore *baseline_keystore(const sim_world *w)
{
    const scn_proto_ops *p = sim_world_scenario(w)->proto;
    if (p != &sim_proto_netkey && p != &sim_proto_pairwise)
        return NULL;
    return ((const pk *)sim_world_proto_state((sim_world *)w))->ks;
}

int baseline_key_equal(const sim_world *w, cry_key a, cry_key b)
{
    const cry_keystore *ks = baseline_keystore(w);
    return ks && a && b && cry_key_equal(ks, a, b);
}

/* ---- options ------------------------------------------------------------------ */

int bl_opts_parse(scn_map *m, int with_id, void **out)
{
    bl_opts *o = xcalloc(1, sizeof *o);
    int64_t rmax, kv, kid = 2;

    if (scn_map_time(m, "rekey_every", 0, 0, 0, SCN_MAX_DURATION,
                     &o->rekey_every) ||
        scn_map_times(m, "rekey_at", 1024, SIM_NS, SCN_MAX_DURATION,
                      &o->rekey_at, &o->n_rekey_at) ||
        scn_map_time(m, "previous_key_for", 0, 10 * SIM_S, 0,
                     SCN_MAX_DURATION, &o->prev_for) ||
        scn_map_time(m, "retransmit_after", 0, SIM_S, 0, 3600 * SIM_S,
                     &o->rtx_after) ||
        scn_map_int(m, "retransmit_max", 0, 4, 0, 16, &rmax) ||
        scn_map_int(m, "key_value_bytes", 0, 8, 1, 64, &kv) ||
        (with_id && scn_map_int(m, "key_id_bytes", 0, 2, 1, 8, &kid)) ||
        scn_map_done(m)) {
        bl_opts_free(o);
        return -1;
    }
    o->rtx_max = (uint32_t)rmax;
    o->value_bytes = (uint32_t)kv;
    o->id_bytes = (uint32_t)kid;
    *out = o;
    return 0;
}

void bl_opts_free(void *o)
{
    if (o)
        free(((bl_opts *)o)->rekey_at);
    free(o);
}

void bl_rekey_schedule(sim_world *w, const bl_opts *o, sim_event_fn fn,
                       uint32_t node)
{
    sim_time end = sim_world_scenario(w)->duration;

    if (o->rekey_every > 0 && o->rekey_every < end)
        sim_sched_at(sim_world_sched(w), o->rekey_every, fn, SIM_EV_PROTO + 1,
                     node, NULL, 0);
    for (size_t i = 0; i < o->n_rekey_at; i++)
        if (o->rekey_at[i] < end)
            sim_sched_at(sim_world_sched(w), o->rekey_at[i], fn,
                         SIM_EV_PROTO + 1, node, NULL, 1);
}

void bl_rekey_next(sim_world *w, const bl_opts *o, sim_event_fn fn,
                   uint32_t node)
{
    if (sim_world_now(w) + o->rekey_every < sim_world_scenario(w)->duration)
        sim_sched_in(sim_world_sched(w), o->rekey_every, fn, SIM_EV_PROTO + 1,
                     node, NULL, 0);
}
