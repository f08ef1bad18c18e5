/* dipietro_int.h — private to dipietro*.c; not for other modules.
 * What the two halves of the Di Pietro module share: the options record,
 * the key names, message types and per-node/per-group state (the top of
 * dipietro.c explains the scheme), and the functions one half defines and
 * the other calls.  dipietro.c: options, state tables, chains, enrolment,
 * update rounds, life cycle; dipietro_msg.c: received control messages,
 * the data path, moves and the adversary hooks. */
#ifndef KMSIM_DIPIETRO_INT_H
#define KMSIM_DIPIETRO_INT_H

#include <stddef.h>
#include <stdint.h>
#include "proto.h"
#include "world.h"
#include "wire.h"
#include "kmap.h"
#include "cry_key.h"
#include "pk.h"

/* Options (dp_opts_parse, dipietro.c). */
typedef struct dp_opts {
    uint32_t qbytes;         /* q / 8: bytes of each seed and key          */
    int sealed;              /* seeds sealed under the device key          */
    int central;             /* sync: one central SO (1) or every SO (0)   */
    sim_time rekey_every;    /* 0: never                                   */
    scn_mark rekey_mark;     /* where it was written (estimates)           */
    sim_time *rekey_at;      /* on-demand rounds                           */
    size_t n_rekey_at;
    sim_time rtx_after;      /* first retransmission timeout; 0: none      */
    uint32_t rtx_max;
    int per_hop_mac;         /* kmsim extension (pk.h)                     */
    int replay_window;       /* kmsim extension: data replay windows       */
    int capture_reaction;    /* kmsim extension: atk_react (001 §5.3: the  */
                             /*   paper has no revocation of an insider)  */
} dp_opts;

/* ------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------- */

/* Key names (the holder's table): the kind in the top byte, the group or
 * node below. */
#define KN(kind, x) ((uint64_t)(kind) << 56 | (uint64_t)(x))
enum {
    KIND_A = 1,              /* a_i: chain of H at the current session     */
    KIND_B,                  /* b_i: chain of G                            */
    KIND_K,                  /* k_i                                        */
    KIND_OLD,                /* k_{i-1}                                    */
    KIND_APREV,              /* a_{i-1} (SOs: to enrol newcomers)          */
    KIND_BPREV,              /* b_{i-1}                                    */
    KIND_DEV,                /* device key of node x (factory credential)  */
    KIND_PAIR                /* backbone key of the owner and SO x         */
};
#define GNAME(g) KN(0x10, g) /* header key name of group g's data          */
#define AMAT(g) KN(KIND_A, g) /* attacker's material label: a_i of group g  */
#define BMAT(g) KN(KIND_B, g) /*                              b_i           */

/* Key material streams. */
#define STREAM_SEED   (1ull << 44)   /* | group: S1 (counter 0), S2 (1);   */
                                     /*   r-th re-seeding: 2r, 2r + 1     */
#define STREAM_DEV    (1ull << 45)   /* counter = node                     */
#define STREAM_PAIR   (1ull << 46)   /* counter = SO node                  */

enum {
    M_SEEDS = 1,             /* owner -> member: g, i, a_{i-1}, b_{i-1}     */
    M_SEEDS_ACK,             /* member -> owner: g, echo (under k_i)        */
    M_UPDATE,                /* owner -> member: g, i+1 (under k_i)         */
    M_UPDATE_ACK,            /* member -> owner: g, echo (under k_{i+1})    */
    M_JOIN,                  /* SO -> owner: g, node (backbone key)         */
    M_JOIN_ACK,              /* owner -> SO: echo, node (backbone key)      */
    M_COUNT
};

/* The q-bit values a membership holds, by kind (KIND_A + index): the
 * membership's own slots, not entries of pk's (holder, name) table, so a
 * node reaches its key without a global hash probe. */
enum { V_A, V_B, V_K, V_OLD, V_APREV, V_BPREV, V_COUNT };
#define V_KIND(i) (KIND_A + (i))

#define HG_FREE UINT32_MAX   /* hg.g of a node slot no membership took     */

/* A node's membership of a group.  Hot fields first (data path: g,
 * session, has_old, val[V_K], val[V_OLD]). */
typedef struct hg {
    uint32_t g;              /* the group; HG_FREE: a free node slot       */
    uint32_t session;        /* current session, 0: not enrolled           */
    cry_key val[V_COUNT];    /* a_i, b_i, k_i, k_{i-1}, a_{i-1}, b_{i-1}   */
                             /*   (0: not held; the last two: owner only)  */
    uint8_t has_old;         /* holds k_{i-1}                              */
    uint8_t setup_done;      /* key.setup recorded                         */
    uint8_t role;            /* node slots (hg1) only: the node's own role */
                             /*   (scn_role; kept when a membership takes */
                             /*   the slot)                               */
    uint32_t upd_session;    /*   (metric: dipietro.round.comm)            */
    sim_time upd_cpu;        /* its CPU for the update to upd_session      */
    pk_queue pend;           /* data waiting for the key                   */
} hg;

enum { MEM_NONE, MEM_ENROLLING, MEM_READY };

/* The owner's view of a member. */
typedef struct mem {
    uint32_t node;
    uint8_t state;           /* MEM_*                                      */
    uint32_t acked;          /* session it acknowledged                    */
    uint32_t round;          /* owner's round it still counts in (0: none) */
    uint32_t join_so, join_seq; /* central: SO awaiting a JOIN answer       */
    sim_time enrol_t;        /* first SEEDS to it (key.setup's start, sent */
                             /*   along in each SEEDS' mark; 0: none yet)  */
} mem;

typedef struct grp {
    uint32_t owner;          /* SO node                                    */
    uint32_t session;
    uint32_t *members;       /* indices into dp.mem                        */
    size_t n_members, cap_members;
    uint32_t round, round_wait;
    sim_time round_start;
    sim_time round_seq;      /* Tseq of the round (metric), 0: a re-seed   */
    uint32_t reseeds;        /* re-seedings after captures (atk_react)     */
} grp;

/* Publishes from an SO to a subscriber waiting for its enrolment. */
typedef struct pubq {
    uint8_t ready, asked;
    pk_queue q;
} pubq;

/* What one partition's events write (pk.h "Partitions"; --threads 2):
 * the tables of its nodes, its SOs' member tables and publish queues.
 * Indexes into these arrays stay in the simulator (retransmission refs),
 * never in a message. */
typedef struct dp_part {
    hg *hgx;                 /* further memberships (moves, central SOs)   */
    size_t n_hgx, cap_hgx;
    kmap hgmap;              /* (node, group) -> index in hgx              */
    mem *mem;                /* members of groups owned by its SOs         */
    size_t n_mem, cap_mem;
    kmap memmap;             /* (group, node) -> index in mem              */
    pubq *pubq;
    size_t n_pubq, cap_pubq;
    kmap pubqmap;            /* (SO, subscriber) -> index in pubq          */
} dp_part;

typedef struct dp {
    pk b;                    /* first: pk's timers find it                 */
    const dp_opts *o;
    grp *grp;
    uint32_t n_grp;
    hg *hg1;                 /* per node: its first membership (a source */
                             /*   is in one group unless it moved; an SO  */
                             /*   in its own), inline: no hash probe      */
    dp_part pt[CRY_PARTS_MAX]; /* per partition (pt_of)                    */
    pk_replays rp;           /* data windows per (receiver, sender) and    */
                             /*   session                                  */
    pk_tally nvals;          /* per node: q-bit values held (storage: read */
                             /*   at every event, one byte a node)        */
    uint8_t *revoked;        /* per node, NULL until a capture is detected */
                             /*   (atk_react): never enrolled, served or   */
                             /*   answered again                           */
    kmap atk_memo;           /* (group, session) -> material entries the   */
                             /*   attacker held when it last derived it    */
    const void *atk_memo_kb; /* the base atk_memo is about                 */
    /* metric ids */
    int m_enrolled, m_rounds, m_update_cpu, m_round_seq, m_rejected;
    int m_round_comm;
    int m_opened, m_prev, m_stale, m_replayed, m_dropped, m_reenrol;
    int m_rtx, m_gaveup, m_dup, m_unprotected, m_pub_opened;
    int m_msgs[M_COUNT];
} dp;

/* ------------------------------------------------------------------------
 * Defined in dipietro.c, called from dipietro_msg.c: tables, chains,
 * sending, enrolment, rounds
 * ---------------------------------------------------------------------- */

dp_part *dp_pt_of(const dp *D, uint32_t v);
mem *dp_mems(const dp *D, uint32_t g);
uint32_t dp_group_of(const dp *D, uint32_t so);
int dp_revoked(const dp *D, uint32_t node);
hg *dp_hg_find(const dp *D, uint32_t node, uint32_t g);
hg *dp_hg_get(dp *D, uint32_t node, uint32_t g);
mem *dp_mem_find(const dp *D, uint32_t g, uint32_t node);
mem *dp_mem_get(dp *D, uint32_t g, uint32_t node);
pubq *dp_pubq_get(dp *D, uint32_t so, uint32_t sub);
cry_key dp_val_get(const dp *D, uint32_t v, uint32_t g, int i);
cry_key dp_pair_key(dp *D, uint32_t holder, uint32_t x);
void dp_count_msg(dp *D, int type);
void dp_chain_key(unsigned char *k, const unsigned char *a0,
                  const unsigned char *b0, size_t qbytes, uint32_t i,
                  cry_ops *ops);
void dp_chain_advance(dp *D, uint32_t v, uint32_t g,
                      const unsigned char *a, const unsigned char *b,
                      int keep_old);
void dp_update_key(dp *D, uint32_t v, uint32_t g);
void dp_send_sealed(dp *D, uint32_t v, uint32_t g, sim_pkt *p);
void dp_flush_member(dp *D, uint32_t v, uint32_t g);
void dp_flush_pubq(dp *D, uint32_t so, uint32_t sub);
void dp_put32(unsigned char *b, uint32_t v);
void dp_enrol(dp *D, uint32_t g, uint32_t node);
void dp_need_member(dp *D, uint32_t so, uint32_t node);
void dp_answer_join(dp *D, uint32_t g, mem *m);
sim_time dp_ack_mark(const hg *h, uint32_t session);
void dp_round_ack(dp *D, uint32_t g, mem *m, const sim_pkt *p);
void dp_rekey_round(dp *D, uint32_t g);
long dp_reseed(dp *D, uint32_t g, uint32_t x);

/* ------------------------------------------------------------------------
 * Defined in dipietro_msg.c, named by sim_proto_dipietro (dipietro.c):
 * received messages, data path, moves, adversary hooks (atk_hooks.h)
 * ---------------------------------------------------------------------- */

void dp_control(sim_world *w, void *ps, uint32_t v, sim_pkt *p);
int dp_protect(sim_world *w, void *ps, uint32_t src, uint32_t dst,
               sim_pkt *p);
int dp_unprotect(sim_world *w, void *ps, uint32_t v, sim_pkt *p);
int dp_forward(sim_world *w, void *ps, uint32_t v, sim_pkt *p);
void dp_register_so(sim_world *w, void *ps, uint32_t so, uint32_t src);
void dp_on_move(sim_world *w, void *ps, uint32_t s, uint32_t old_so,
                uint32_t new_so);
void dp_atk_capture(sim_world *w, void *ps, uint32_t node,
                    atk_kb *kb);
int64_t dp_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                    uint64_t (*draw)(void *ctx, uint64_t n), void *ctx);
long dp_atk_react(sim_world *w, void *ps, int what, uint64_t id);
void dp_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                  const sim_pkt *p, int part, const unsigned char *pt,
                  size_t len);
void dp_atk_derive(sim_world *w, void *ps, atk_kb *kb,
                   const sim_pkt *p, uint32_t from, uint32_t to);
void dp_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                     atk_exposure *out);
sim_pkt *dp_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                      const atk_forge_req *rq);

#endif
