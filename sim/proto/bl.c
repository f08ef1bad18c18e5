/* bl.c — options, replacement schedule and inspection shared by the naive
 * baselines (see bl.h). */
#include <stdlib.h>
#include <string.h>
#include "baseline.h"
#include "bl.h"
#include "estimate.h"
#include "proto.h"
#include "scn_map.h"
#include "util.h"
#include "wire.h"

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

    scn_map_mark(m, "rekey_every", 0, &o->rekey_mark);
    if (scn_map_time(m, "rekey_every", 0, 0, 0, SCN_MAX_DURATION,
                     &o->rekey_every) ||
        scn_map_times(m, "rekey_at", 1024, SIM_NS, SCN_MAX_DURATION,
                      &o->rekey_at, &o->n_rekey_at) ||
        scn_map_rekey_rounds(m, o->rekey_every, o->rekey_at, o->n_rekey_at) ||
        scn_map_time(m, "previous_key_for", 0, 10 * SIM_S, 0,
                     SCN_MAX_DURATION, &o->prev_for) ||
        scn_map_time(m, "retransmit_after", 0, SIM_S, 0, 3600 * SIM_S,
                     &o->rtx_after) ||
        scn_map_int(m, "retransmit_max", 0, 4, 0, 16, &rmax) ||
        scn_map_int(m, "key_value_bytes", 0, 8, 1, 64, &kv) ||
        (with_id && scn_map_int(m, "key_id_bytes", 0, 2, 1, 8, &kid)) ||
        pk_per_hop_mac_parse(m, &o->per_hop_mac) ||
        scn_map_defence(m, "replay_window", 0, 1, &o->replay_window) ||
        scn_map_defence(m, "capture_reaction", 0, 1,
                        &o->capture_reaction) ||
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
                       uint32_t node, uint32_t so_ord, uint32_t n_so)
{
    const scenario *sc = sim_world_scenario(w);
    sim_time end = sc->duration;
    /* smart_object.rekey_spread (kmsim extension; 0: the paper) */
    sim_time off = scn_rekey_offset(sc->so.rekey_spread, so_ord, n_so);

    if (o->rekey_every > 0 && o->rekey_every + off < end)
        sim_sched_at(sim_world_sched(w), o->rekey_every + off, fn,
                     SIM_EV_PROTO + 1, node, NULL, 0);
    for (size_t i = 0; i < o->n_rekey_at; i++)
        if (o->rekey_at[i] + off < end)
            sim_sched_at(sim_world_sched(w), o->rekey_at[i] + off, fn,
                         SIM_EV_PROTO + 1, node, NULL, 1);
}

void bl_rekey_next(sim_world *w, const bl_opts *o, sim_event_fn fn,
                   uint32_t node)
{
    if (sim_world_now(w) + o->rekey_every < sim_world_scenario(w)->duration)
        sim_sched_in(sim_world_sched(w), o->rekey_every, fn, SIM_EV_PROTO + 1,
                     node, NULL, 0);
}

void bl_estimate(const scenario *sc, struct sim_estimate *e, double per_node)
{
    const bl_opts *o = sc->proto_opts;
    double src, so, nodes;

    sim_est_counts(sc, &src, &so, &nodes);
    sim_est_state(e, "topology.sources", &sc->mk_nodes, per_node * nodes);
    sim_est_periodic(sc, e, "protocol.rekey_every", &o->rekey_mark,
                     o->rekey_every, src);
    /* not measured at scale: a burst as Di Pietro's (estimate.c) */
    sim_est_burst(sc, e, o->n_rekey_at ? "protocol.rekey_at"
                                       : "protocol.rekey_every",
                  &o->rekey_mark, o->rekey_every, o->rekey_at, o->n_rekey_at,
                  520.0, nodes);
}
