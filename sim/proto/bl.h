/* bl.h — what the two naive baselines (netkey.c, pairwise.c) share beyond
 * the protocol kit (pk.h: retransmission, replay windows): their options
 * and the schedule of replacement rounds.  Internal to sim/proto/; tests
 * use baseline.h. */
#ifndef KMSIM_BL_H
#define KMSIM_BL_H

#include <stddef.h>
#include <stdint.h>
#include "kmap.h"
#include "pk.h"

/* ---- Options -------------------------------------------------------------
 * Under `protocol:` (both baselines):
 *   rekey_every       time, 0 = never: periodic replacement rounds
 *   rekey_at          time or list of times: further rounds
 *   previous_key_for  time (10 s): a replaced value is kept this long
 *   retransmit_after  time (1 s), 0 = off: first REKEY timeout (doubling)
 *   retransmit_max    0..16 (4): retransmissions before giving up
 *   key_value_bytes   1..64 (8): stored bytes of a key value
 *   key_id_bytes      1..8 (2), pairwise only: stored bytes of a key id
 *   per_hop_mac       bool (false): relays verify and re-MAC data headers
 *                     (kmsim extension, pk.h) */
typedef struct bl_opts {
    sim_time rekey_every;    /* 0 = never                                  */
    scn_mark rekey_mark;     /* where it was written (estimates)           */
    sim_time *rekey_at;      /* malloc'd, n_rekey_at of them               */
    size_t n_rekey_at;
    sim_time prev_for;       /* previous_key_for                           */
    sim_time rtx_after;      /* retransmit_after; 0 = no retransmission    */
    uint32_t rtx_max;        /* retransmit_max                             */
    uint32_t value_bytes;    /* key_value_bytes                            */
    uint32_t id_bytes;       /* key_id_bytes (pairwise)                    */
    int per_hop_mac;         /* per_hop_mac (pk.h)                         */
    int replay_window;       /* replay windows on data (kmsim extension;   */
                             /*   defences: hardened; as_published: off)  */
    int capture_reaction;    /* atk_react: replacement / revocation after  */
                             /*   a detected compromise (kmsim extension; */
                             /*   hardened on, as_published off)          */
} bl_opts;

/* Parses the options above (key_id_bytes only when with_id); 0 with *out
 * owned by the caller (bl_opts_free), or -1 with the error recorded. */
int bl_opts_parse(scn_map *m, int with_id, void **out);
void bl_opts_free(void *o);                     /* NULL is a no-op */
/* Schedules fn at every rekey_every (u64 = 0; fn reschedules itself with
 * bl_rekey_next) and at every rekey_at time (u64 = 1), each staggered by
 * node's offset as the so_ord-th of n_so SOs (smart_object.rekey_spread,
 * scn_rekey_offset; 0 without it), for `node`: the rounds that then start
 * before the end of the run. */
void bl_rekey_schedule(sim_world *w, const bl_opts *o, sim_event_fn fn,
                       uint32_t node, uint32_t so_ord, uint32_t n_so);
/* Called by fn for a periodic round (u64 = 0): the next one. */
void bl_rekey_next(sim_world *w, const bl_opts *o, sim_event_fn fn,
                   uint32_t node);

/* Estimate hook body (estimate.h): per_node bytes beyond `none`, and a
 * replacement exchange with every source every rekey_every. */
struct sim_estimate;
void bl_estimate(const scenario *sc, struct sim_estimate *e, double per_node);

#endif
