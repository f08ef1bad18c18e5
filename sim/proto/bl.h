/* bl.h — what the two naive baselines (netkey.c, pairwise.c) share beyond
 * the protocol kit: key-replacement messages kept for retransmission until
 * their ack, and anti-replay windows per (receiver, sender) that follow the
 * sender's key version (a replaced key restarts its nonce counter at 0).
 * Internal to sim/proto/; tests use baseline.h. */
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
 *   key_id_bytes      1..8 (2), pairwise only: stored bytes of a key id */
typedef struct bl_opts {
    sim_time rekey_every;    /* 0 = never                                  */
    sim_time *rekey_at;      /* malloc'd, n_rekey_at of them               */
    size_t n_rekey_at;
    sim_time prev_for;       /* previous_key_for                           */
    sim_time rtx_after;      /* retransmit_after; 0 = no retransmission    */
    uint32_t rtx_max;        /* retransmit_max                             */
    uint32_t value_bytes;    /* key_value_bytes                            */
    uint32_t id_bytes;       /* key_id_bytes (pairwise)                    */
} bl_opts;

/* Parses the options above (key_id_bytes only when with_id); 0 with *out
 * owned by the caller (bl_opts_free), or -1 with the error recorded. */
int bl_opts_parse(scn_map *m, int with_id, void **out);
void bl_opts_free(void *o);                     /* NULL is a no-op */
/* Schedules fn at every rekey_every (u64 = 0; fn reschedules itself with
 * bl_rekey_next) and at every rekey_at time (u64 = 1) before the end of
 * the run, for `node`. */
void bl_rekey_schedule(sim_world *w, const bl_opts *o, sim_event_fn fn,
                       uint32_t node);
/* Called by fn for a periodic round (u64 = 0): the next one. */
void bl_rekey_next(sim_world *w, const bl_opts *o, sim_event_fn fn,
                   uint32_t node);

/* ---- Retransmission ------------------------------------------------------
 * A message sent with bl_rtx_send is kept, as the very bytes sent, until
 * bl_rtx_done() sees its answer; unanswered it is sent again after
 * `after`, doubling, at most `max` times, then given up: `gaveup(ctx,
 * from, ref)` is called.  after == 0 turns retransmission off (nothing kept). */
typedef void (*bl_gaveup_fn)(void *ctx, uint32_t from, uint32_t ref);

typedef struct bl_rtx_slot {
    sim_pkt *copy;           /* NULL: free slot                            */
    uint32_t from, seq;      /* sender and header seq of the message       */
    uint32_t ref;            /* the caller's reference (e.g. the target)   */
    uint32_t next_free;      /* free list link                             */
    uint32_t tries;          /* retransmissions so far                     */
} bl_rtx_slot;

typedef struct bl_rtx {
    pk *b;
    sim_time after;          /* first timeout; 0 = no retransmission       */
    uint32_t max;            /* retransmissions before giving up           */
    bl_rtx_slot *slot;
    size_t n, cap;
    uint32_t free_head;      /* UINT32_MAX: none                           */
    kmap map;                /* (from, seq) -> slot                        */
    bl_gaveup_fn gaveup;
    void *ctx;
    int m_resent;            /* metric: retransmissions                    */
    int m_type;              /* metric: messages of the kept type (resends */
                             /*   count as messages too)                   */
} bl_rtx;

/* r lives inside the protocol's state: its address must not change while
 * events refer to it. */
void bl_rtx_init(bl_rtx *r, pk *b, sim_time after, uint32_t max,
                 bl_gaveup_fn gaveup, void *ctx, int m_resent, int m_type);
/* Frees the kept copies (the world still owns the pool). */
void bl_rtx_deinit(bl_rtx *r);
/* Sends p from `from` (pk_send) and keeps a copy. */
void bl_rtx_send(bl_rtx *r, uint32_t from, sim_pkt *p, uint32_t ref);
/* The answer to from's message seq arrived: 1 if it was awaited (the copy
 * is dropped, *ref gets its reference), 0 for a repeat or an unexpected
 * answer.  With retransmission off every answer is the first: 1, and
 * *ref is left alone. */
int bl_rtx_done(bl_rtx *r, uint32_t from, uint32_t seq, uint32_t *ref);

/* ---- Replay windows ------------------------------------------------------
 * One per (receiver, sender), each tracking the sender's two most recent
 * key versions: the data nonce counter restarts with every new value. */
typedef struct bl_win {
    uint32_t ver[2];
    uint8_t used[2];
    pk_replay r[2];
} bl_win;

typedef struct bl_replay {
    kmap idx;                /* (receiver, sender) -> index in win         */
    bl_win *win;
    size_t n, cap;
} bl_replay;

void bl_replay_init(bl_replay *r);
void bl_replay_deinit(bl_replay *r);
/* 0 and records counter ctr of key version ver from sender at receiver;
 * -1 if it was accepted before, is too old for the window, or belongs to
 * a version older than the two tracked. */
int bl_replay_check(bl_replay *r, uint32_t receiver, uint32_t sender,
                    uint32_t ver, uint64_t ctr);

/* The data nonce counter of a packet (wire header), or UINT64_MAX if the
 * header does not parse. */
uint64_t bl_data_counter(const sim_pkt *p);

#endif
