/* eg_int.h — private to sim/proto/eg*.c; not for other modules.
 * The Eschenauer–Gligor protocol's limits, key names, message types and
 * state (eg_opts, eg_link, egnode, eg_part, eg...), the O(1) accessors
 * its files share (static inline: they sit on every message's path, and
 * slot_up must be inlined into its caller), and the functions its files
 * call across (prefix eg_; their contracts are at their definitions).
 * Files: eg.c options, life cycle, report, inspection (eg.h), ops table;
 * eg_setup.c key discovery, link keys, path keys, control messages;
 * eg_route.c data routes and sealing; eg_revoke.c revocation; eg_atk.c
 * the adversary's hooks.  The design is in eg.c's opening comment. */
#ifndef KMSIM_EG_INT_H
#define KMSIM_EG_INT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "proto.h"
#include "world.h"
#include "wire.h"
#include "cry_key.h"
#include "util.h"
#include "eg.h"
#include "pk.h"
#include "kb.h"

#define EG_MAX_HOPS 16u          /* path_hops limit                        */
#define EG_MAX_RING 4096u        /* ring limit (HELLO fits in a packet)    */
#define SETTLE_MAX (5 * SIM_S)   /* a node's first path keys start at the  */
                                 /*   latest then (after its first HELLO)  */
#define REVOKE_MAX (30 * SIM_S)  /* a later window's: after its opening    */
#define EG_PATH_SETTLE (50 * SIM_MS) /* path_settle's default              */
#define EG_PATH_TIMEOUT (200 * SIM_MS) /* path_timeout's default           */
#define EG_SEEN_MIN 8u           /* smallest table of seen search ids      */

/* data_routing: how data find their next hop. */
enum { EG_ROUTE_SECURED_GRAPH, EG_ROUTE_GREEDY };

/* ------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------- */

typedef struct eg_opts {
    uint32_t pool;           /* P: keys in the pool                        */
    uint32_t ring;           /* m: keys per node                           */
    scn_mark pool_mark;      /* where pool was written (estimates)         */
    uint32_t q;              /* shared keys needed for a link              */
    uint32_t path_hops;      /* max intermediate nodes of a path key       */
    int path_keys;           /* establish path keys                        */
    sim_time path_timeout;   /* path search: wait per hop of a ring's TTL  */
    sim_time path_settle;    /* a node's quiet time before its path keys   */
    int data_routing;        /* EG_ROUTE_*                                 */
    scn_mark route_mark;     /* where data_routing was written (a split   */
                             /*   world refuses secured_graph there)      */
    sim_time *revoke_at;     /* one time, or one per revoke_nodes entry    */
    size_t n_revoke_at;
    int64_t *revoke_nodes;   /* node ids                                   */
    size_t n_revoke_nodes;
    scn_mark *revoke_marks;  /* per revoke_nodes entry: where written      */
    uint32_t id_bytes;       /* storage accounting: a key id               */
    uint32_t value_bytes;    /*   and a key value                          */
    int replay_window;       /* replay windows on data (kmsim extension;   */
                             /*   control messages keep theirs)           */
    int capture_reaction;    /* revocation on detection (paper: on in both */
                             /*   defence profiles)                       */
} eg_opts;

/* ------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------- */

/* Key names.  pk's (holder, name) table holds only the device keys;
 * ring keys are E->pool (a node holds an id iff its ring lists it) and
 * link keys live in the link (eg_link), so that the tables grow with
 * what a node really holds and are found without hashing.  N_TX names a
 * sending key in message headers. */
#define N_DEV  (2ull << 60)      /* | node: device key (node and its SO)   */
#define N_TX   (4ull << 60)      /* | DIR_ID(from, to): a sending key      */
#define DIR_ID(from, to) ((uint64_t)(from) << 32 | (to))
/* Key material streams (cry_key_generate). */
#define POOL_STREAM (1ull << 62)
#define DEV_STREAM  (1ull << 61)
#define PATH_STREAM (1ull << 60)
static const char KDF_CTX[8] = "eg-link";
/* The kb labels of eg.h are the header names. */
_Static_assert(EG_ATK_DIR(7, 9) == (N_TX | DIR_ID(7, 9)), "EG_ATK_DIR");
_Static_assert(EG_ATK_DEV(7) == (N_DEV | 7), "EG_ATK_DEV");

enum {
    M_HELLO = 1,     /* a -> neighbour: u32 n, n key ids (clear)           */
    M_LINK_OK,       /* a -> neighbour: proof, sealed under a's sending key */
    M_PATH_KEY,      /* hop by hop: u32 n, u32 pos, n path nodes, the key  */
    M_PATH_ACK,      /* far end -> initiator, under the new sending key    */
    M_REVOKE,        /* SO -> node: u32 captured, u32 n, ids (device key)  */
    M_PK_SEARCH,     /* hop by hop: u32 a, z, sid, ttl, n, n path nodes    */
    M_PK_FOUND,      /* back along it: u32 a, sid, n, pos, n path nodes    */
    M_COUNT
};

/* One end's view of a link, per CSR slot s = adj_off[v] + j: v's link to
 * u = adj[s].  Invariants:
 *  - the key table of the pair (v, u) is in v's canonical slot of u (the
 *    first, link_of; a second slot exists only for a parallel link of an
 *    explicit topology, whose key fields stay 0): kind != NONE in the
 *    canonical slot iff link, tx and rx are held there; state OK or KEYED
 *    implies kind != NONE;
 *  - link is the pool's handle (not v's own: never freed) iff
 *    link_pool; otherwise v owns it;
 *  - rx covers only what opened under the tx/rx pair held now (reset when
 *    it is replaced, whose counters restart);
 *  - heard == 0 implies ids_cap == 0 and n_common == 0; once heard,
 *    common (common_of: v's partition's ids at ids_off, ids_cap room) is
 *    v's ring intersected
 *    with the neighbour's announced ids, ascending, and only shrinks, so
 *    the room taken at the first HELLO always suffices; shared (room
 *    ids_cap after it) is a subset of what common was when the key was
 *    built;
 *  - n_via > 0 implies via_off != 0 (path_hops room in v's partition's
 *    via, via_at);
 *  - srch != 0 implies pathing, and srch - 1 is a live search of v's
 *    partition (srch_at)
 *    whose slot is l's. */
typedef struct eg_link {
    uint8_t state;           /* EG_LINK_*                                  */
    uint8_t kind;            /* EG_KIND_*                                  */
    uint8_t pathing;         /* v initiated a path key not yet acked       */
    uint8_t heard;           /* the neighbour's HELLO arrived              */
    uint8_t link_pool;       /* link is the pool's handle (q = 1 direct)   */
    uint8_t n_via;           /* path key: intermediate nodes               */
    uint16_t ids_cap;        /* room for common and for shared             */
    uint16_t n_common;       /* ring ids the neighbour announced too       */
    uint16_t n_shared;       /* ids the direct key was built from          */
    uint32_t ids_off;        /* common at ids_off of v's partition's ids   */
                             /*   (bit 31: partition 1), shared after      */
    uint32_t via_off;        /* via at via_off of its via (bit 31 as      */
                             /*   ids_off); 0: none yet                    */
    uint32_t lost;           /* lower end only: revocation round + 1 that  */
                             /*   dropped the link, 0: not lost (a cut     */
                             /*   link's: cut_apply only, run-wide)        */
    uint32_t srch;           /* initiator: its path search (srch index     */
                             /*   + 1) while pathing, 0: none              */
    cry_key link;            /* link key (master), 0: none                 */
    cry_key tx, rx;          /* sending / receiving key, 0: none           */
    cry_key pend;            /* path key sent, awaiting its ack; 0: none   */
    pk_replay rxw;           /* counters accepted under rx (replays)       */
} eg_link;
/* One cache line a link end: a message's handler touches one line of
 * E->lk, not two (E->lk is 64-byte aligned, see lk_mem). */
_Static_assert(sizeof(eg_link) == 64, "eg_link is one cache line");

/* A path-search id a node took, in its own set (open addressing, linear
 * probing): the id is remembered until exp, then forgettable. */
typedef struct eg_seen {
    uint64_t id;             /* initiator << 32 | sid                      */
    sim_time exp;            /* the search's time-out has passed by then;  */
                             /*   0: a free slot                           */
} eg_seen;

typedef struct egnode {
    uint32_t ring_n;         /* ids held                                   */
    uint8_t captured;        /* ring revoked                               */
    uint8_t setup_done;      /* source: key.setup recorded                 */
    pk_queue pend;           /* data waiting for its first hop             */
    pk_replay rv;            /* REVOKE counters accepted (device key)      */
    eg_seen *seen;           /* the path-search ids it took (see          */
                             /*   seen_before), NULL while seen_cap == 0   */
    uint32_t seen_cap;       /* slots of seen: 0 or a power of two         */
    uint32_t seen_n;         /* slots taken (remembered or expired)        */
    /* Its own path-key phase (see "Phase timing" at node_phase). */
    sim_time disc_last;      /* it last sent or took a discovery message   */
    sim_time win_end;        /* the open window's upper bound              */
    uint8_t win;             /* a window is open: discovery seen since its */
                             /*   last phase (or none ran yet)             */
    uint8_t ran;             /* its phase ran at least once                */
    uint8_t timer_on;        /* its settle timer is pending                */
    uint32_t sid_ctr;        /* its PK_SEARCH ids handed out (its own      */
                             /*   count: ids and path keys never depend on */
                             /*   other nodes' searches, THREADS.md)       */
} egnode;

/* A path search and the path key that follows it, at its initiator a
 * (the lower-index end of a neighbour pair with no secured link): rings
 * of growing TTL 1 .. path_hops, then the transport of the key along the
 * first path an answer names.  Live iff a's link (slot) has srch pointing
 * at it; free entries are chained through next_free. */
enum { SRCH_RING = 1, SRCH_TRANSPORT };
typedef struct eg_search {
    uint32_t a, z;           /* initiator, target (a < z)                  */
    uint32_t slot;           /* a's canonical CSR slot of z                */
    uint32_t sid;            /* id of the current ring's PK_SEARCH         */
    uint32_t next_free;      /* free list, UINT32_MAX: end                 */
    uint8_t ttl;             /* the current ring's TTL                     */
    uint8_t phase;           /* SRCH_RING or SRCH_TRANSPORT; 0: free       */
    sim_time start;          /* the search began                           */
    sim_event_id timer;      /* the ring's or the transport's time-out     */
} eg_search;

/* A revocation round, written by the run-wide event that starts it
 * (revoke_round) only; when its last lost link came back is kept per
 * partition (eg_part.last_up) and combined in the report. */
typedef struct eg_round {
    sim_time start;
} eg_round;

/* A deferred step of the accounting of a cut link (its ends in two
 * partitions, THREADS.md): `up` (secured at both ends), the lost mark
 * and the re-secured count read both ends' states, which the two
 * partitions write in their own order.  So an end logs the step with the
 * key of the event that made it, and cut_sync replays both partitions'
 * logs merged by key -- the order one scheduler runs them in -- before
 * anything reads them (a run-wide event, the report). */
enum { CUT_STATE, CUT_LOST, CUT_OKCHECK };
typedef struct eg_cut {
    sim_event_key k;         /* the event that made it                     */
    uint32_t slot;           /* the end's CSR slot (v's of u)              */
    uint32_t r;              /* CUT_LOST: the round                        */
    uint8_t op;              /* CUT_*                                      */
    uint8_t a;               /* CUT_STATE: OK now; CUT_LOST: back          */
} eg_cut;

/* A sample of a SAMPLES metric (its statistics depend on the order
 * samples come in) that a node's event took while split: added to the
 * registry at the next run-wide step or the report, both partitions'
 * merged by key (eg_sync), as one scheduler adds them. */
typedef struct eg_smp {
    sim_event_key k;         /* the event that took it                     */
    int metric;
    double v;
} eg_smp;

/* A node a route tree knows. */
typedef struct rt_ent {
    uint32_t node;           /* RT_FREE: an empty entry                    */
    uint32_t depth;          /* hops to dst; RT_UNREACH: not connected     */
    uint32_t nh;             /* CSR slot of node's link to its next hop,   */
                             /*   RT_NH_UNSET until asked                  */
    uint32_t nh_node;        /* that next hop                              */
} rt_ent;

#define RT_FREE UINT32_MAX
#define RT_UNREACH UINT32_MAX
#define RT_NH_UNSET UINT32_MAX

/* A secured route tree, grown on demand: a breadth-first search from dst
 * over the secured graph, expanded only as far as the queries made since
 * the graph last changed needed (the nodes near dst that send to it, not
 * the whole network).  Invariants:
 *  - q[0 .. n_q) are the nodes discovered, in BFS order (depths
 *    non-decreasing, q[0] = dst), q[head ..] not expanded yet; head ==
 *    n_q: dst's whole component is known;
 *  - tab (open addressing, linear probing, cap a power of two, at most
 *    3/4 full) has an entry for each node of q and each of unr (nodes
 *    found not connected to dst), and no other: its own small table keeps
 *    a search local in memory;
 *  - it describes the secured graph of generation gen; a query in
 *    another empties it first. */
typedef struct eg_rt {
    uint64_t gen;            /* secured-graph generation it describes      */
    uint32_t dst;            /* the destination (an SO or a subscriber)    */
    rt_ent *tab;             /* node -> entry                              */
    uint32_t cap, used;      /* entries in tab, taken                      */
    uint32_t *q;             /* discovered nodes, BFS order                */
    uint32_t n_q, cap_q;
    uint32_t head;           /* next node to expand                        */
    uint32_t *unr;           /* nodes found unreachable                    */
    uint32_t n_unr, cap_unr;
} eg_rt;

/* What one partition owns (kmsim, THREADS.md; hooks.h threads_ok): the
 * growing arrays, tables and scratch that its nodes' events write.  With
 * one partition only part[0] exists.  Written only by events of nodes of
 * that partition (ep: eg.pof), by a run-wide event (ev_start, a
 * revocation round: every partition stopped) or outside events (set-up,
 * report).  ids_off / via_off of a link carry the partition in bit 31
 * (OFF_PART), srch indices are the initiator's partition's. */
typedef struct eg_part {
    uint32_t *ids;           /* common/shared id sets of the links         */
    size_t n_ids, cap_ids;
    uint32_t *via;           /* path-key intermediate nodes of the links   */
    size_t n_via, cap_via;
    eg_search *srch;         /* path searches (eg_search)                  */
    uint32_t n_srch, cap_srch, srch_free;
    kmap told;               /* (v, c): v was told (REVOKE) that c was     */
                             /*   captured: its own list                   */
    uint64_t sec_gen;        /* bumped whenever a link comes up or goes    */
                             /*   down (secured at both ends or not)       */
    sim_time *last_up;       /* per round: its last lost link came back    */
                             /*   (this partition's; 0: none)              */
    eg_cut *cut;             /* deferred cut-link steps, in key order      */
    size_t n_cut, cap_cut;
    eg_smp *smp;             /* deferred samples, in key order             */
    size_t n_smp, cap_smp;
    uint32_t *isect;         /* ring-sized scratch: id intersections       */
    uint32_t *rvids;         /* ring-sized scratch: a REVOKE's ids         */
    unsigned char *msg;      /* message bodies being built                 */
    unsigned char *keybuf;   /* q >= 2: shared key values to hash (wiped)  */
    uint64_t *mark;          /* a bit per pool id, all 0 between uses      */
    eg_seen *seen_tmp;       /* scratch of seen_rebuild: a node's live ids */
    uint32_t cap_seen_tmp;
} eg_part;

#define OFF_PART (1u << 31)      /* ids_off / via_off: partition 1's       */

typedef struct eg {
    pk b;                    /* first (see pk.h)                           */
    const eg_opts *o;
    uint32_t n;              /* nodes                                      */
    egnode *nodes;           /* the world's node states (en)               */
    uint32_t *ring;          /* n * m ids, node v's first ring_n ascending */
    uint32_t *orig;          /* n * m: the rings as drawn                  */
    cry_key *pool;           /* per pool id: its key (one value for every  */
                             /*   holder; v holds id iff it is in v's ring)*/
    eg_link *lk;             /* per CSR slot, 64-byte aligned in lk_mem    */
    void *lk_mem;            /* the allocation lk lives in                 */
    uint32_t *rev;           /* per CSR slot (v, u): u's canonical slot of */
                             /*   v, so rev[rev[s]] is v's of u            */
    uint8_t parallel;        /* some pair has parallel links: not every    */
                             /*   slot is canonical (the loader refuses    */
                             /*   duplicate links today: 0)                */
    uint64_t *stor;          /* per node: its key bytes, as eg_storage     */
                             /*   reports them (ring_n ids and values, a   */
                             /*   value per slot with kind != NONE), kept  */
                             /*   by kind_set and revoke_apply: 8 bytes a  */
                             /*   node, so the world's sample after every  */
                             /*   event mostly hits the cache              */
    uint8_t *up;             /* per CSR slot: the link is OK at both ends  */
                             /*   (canonical states; sec_note keeps it)    */
    eg_part part[2];         /* per partition (eg_part); [1]: split only   */
    uint8_t *pof;            /* per node: its partition (the world's       */
                             /*   split, copied); NULL: one partition      */
    uint8_t *cok;            /* split, per CSR slot of a cut link: OK at   */
                             /*   that end as cut_sync replays it          */
    uint8_t glob;            /* a run-wide step runs (ev_start, eg_revoke, */
                             /*   eg_revoke_key): acts for any node        */
    /* BFS scratch of the secured routes (one partition only) and of the
     * connectivity metric (run-wide event, report). */
    uint32_t *bfs_seen;      /* BFS scratch: stamp per node                */
    uint32_t *bfs_q;
    uint32_t stamp;
    uint8_t conn_direct_set; /* conn_direct measured (metric only: before */
                             /*   the first revocation round)              */
    eg_round *round;
    uint32_t n_round;
    double conn_direct;      /* after discovery; NaN until measured        */
    double share_meas;
    uint64_t links_shared;   /* neighbour pairs with >= q shared ids       */
    /* Secured routes: one eg_rt per destination in use. */
    uint32_t *rt_slot;       /* per node: its tree, or SIM_NONE            */
    eg_rt *rt;
    uint32_t n_rt;           /* trees in use                               */
    /* metric ids (pk_metrics_reg) */
    int m_share, m_share_th, m_conn_direct, m_conn, m_links, m_secured;
    int m_path, m_path_fail, m_revoked, m_lost, m_resecured, m_dropped;
    int m_opened, m_rejected;
    int m_pk_delay, m_pk_search_delay, m_pk_fail_delay, m_pk_dup;
    int m_msgs[M_COUNT];
    int m_bytes[M_COUNT];    /* wire bytes per message type                */
} eg;

static inline egnode *en(eg *E, uint32_t v)
{
#ifdef KMSIM_LOCALITY
    return sim_world_node_state(E->b.w, v);     /* checked: v's state */
#else
    return E->nodes + v;          /* sim_world_node_state's, inline */
#endif
}

/* The partition state of node v's partition (eg_part), for v's events,
 * a run-wide step, the set-up or the report.  The test build checks that
 * a node's event touches only its own partition's. */
static inline eg_part *ep(eg *E, uint32_t v)
{
    eg_part *P = E->pof ? &E->part[E->pof[v]] : &E->part[0];
#ifdef KMSIM_LOCALITY
    assert(E->glob || sim_world_actor(E->b.w) == SIM_NONE ||
           P == &E->part[sim_world_cur_part(E->b.w)]);
#endif
    return P;
}

/* 1 if v and u lie in different partitions (a cut link). */
static inline int is_cut(const eg *E, uint32_t v, uint32_t u)
{
    return E->pof && E->pof[v] != E->pof[u];
}

/* Key material that node v makes (kmsim, THREADS.md): in the key store's
 * part of v's partition (pk_key_derive / _import / _generate, pk.h
 * "Partitions"), so the two threads never allocate in one part.  Every
 * E-G key of a node is made through them; the pool's keys have one copy
 * per part (pool_key). */
static inline cry_key key_derive(eg *E, uint32_t v, cry_key master,
                                 uint64_t id)
{
    return pk_key_derive(&E->b, v, master, id, KDF_CTX, &E->b.ops[v]);
}

static inline cry_key key_import(eg *E, uint32_t v,
                                 const unsigned char val[CRY_KEY_BYTES])
{
    return pk_key_import(&E->b, v, val);
}

static inline cry_key key_generate(eg *E, uint32_t v, uint64_t stream,
                                   uint64_t counter, cry_ops *ops)
{
    return pk_key_generate(&E->b, v, stream, counter, ops);
}

/* Pool key `id` as node v reads it: the copy in v's partition's store
 * part (kmsim, THREADS.md: the same value in every part; a handle of
 * the other part would be read while that part grows).  One partition:
 * the one copy, as before. */
static inline cry_key *pool_key(eg *E, uint32_t v, uint32_t id)
{
    return &E->pool[(size_t)(E->pof ? E->pof[v] : 0) * E->o->pool + id];
}

static inline uint32_t *ring_of(eg *E, uint32_t v)
{
    sim_world_local(E->b.w, v, "eg", "ring_of");
    return E->ring + (size_t)v * E->o->ring;
}

/* 1 if v holds pool key `id` now (binary search in its ring). */
static inline int holds(eg *E, uint32_t v, uint32_t id)
{
    const uint32_t *r = ring_of(E, v);
    uint32_t lo = 0, hi = en(E, v)->ring_n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < en(E, v)->ring_n && r[lo] == id;
}

/* The canonical CSR slot of v's link to u (the first, if an explicit
 * topology links them twice), or UINT32_MAX if not neighbours. */
static inline uint32_t slot_of(const eg *E, uint32_t v, uint32_t u)
{
    const sim_topo *t = E->b.t;
    uint32_t lo = t->adj_off[v], n = t->adj_off[v + 1] - lo;
    const uint32_t *b = t->adj + lo;

    if (n == 0)
        return UINT32_MAX;
    /* Lower bound over v's neighbours (sorted by index), without
     * branches to mispredict: the first of b[0 .. n] that is >= u lies in
     * [b, b + n] throughout. */
    while (n > 1) {
        uint32_t half = n / 2;
        b = b[half] < u ? b + half : b;
        n -= half;
    }
    b += *b < u;
    lo = (uint32_t)(b - t->adj);
    return lo < t->adj_off[v + 1] && *b == u ? lo : UINT32_MAX;
}

/* v's record of its link to u (v's state: locality check). */
static inline eg_link *link_of(eg *E, uint32_t v, uint32_t u)
{
    uint32_t s = slot_of(E, v, u);

    sim_world_local(E->b.w, v, "eg", "link_of");
    return s == UINT32_MAX ? NULL : &E->lk[s];
}

/* 1 if the link of CSR slot s (v's to adj[s]) is OK at both ends: an
 * edge of the secured graph.  O(1), one byte, for the searches over
 * adjacency. */
static inline __attribute__((always_inline)) int slot_up(const eg *E,
                                                         uint32_t s)
{
    /* The slot's node (adj[rev[s]]) reads it: it learnt the far end's
     * state by LINK_OK (locality check; inlined, so that the code address
     * it reports is its caller's). */
    sim_world_local(E->b.w, E->b.t->adj[E->rev[s]], "eg", "slot_up");
    return E->up[s];
}

/* 1 if both ends of link (a, b) have it OK. */
static inline int link_up(eg *E, uint32_t a, uint32_t b)
{
    eg_link *x = link_of(E, a, b), *y = link_of(E, b, a);
    return x && y && x->state == EG_LINK_OK && y->state == EG_LINK_OK;
}

/* For a slot l of v's link to u: its canonical slot (v's keys for u), the
 * neighbour's (u's of v), and whether the link is up.  O(1). */
static inline eg_link *canon(eg *E, const eg_link *l)
{
    if (!E->parallel)                   /* every slot is its own canonical */
        return (eg_link *)l;            /*   one: no read of the far end  */
    return &E->lk[E->rev[E->rev[l - E->lk]]];
}

static inline eg_link *mirror(eg *E, const eg_link *l)
{
    return &E->lk[E->rev[l - E->lk]];
}

/* 1 if slot s is the canonical slot of its pair (parallel links of an
 * explicit topology share the first one's keys). */
static inline int is_canon(const eg *E, uint32_t s)
{
    return !E->parallel || E->rev[E->rev[s]] == s;
}

static inline int l_up(const eg *E, const eg_link *l)
{
    return slot_up(E, (uint32_t)(l - E->lk));
}

/* The id sets of l: common (ring ids the neighbour announced) and shared
 * (those the direct key was built from). */
static inline uint32_t *common_of(const eg *E, const eg_link *l)
{
    return E->part[l->ids_off >> 31].ids + (l->ids_off & ~OFF_PART);
}

static inline uint32_t *shared_of(const eg *E, const eg_link *l)
{
    return common_of(E, l) + l->ids_cap;
}

/* l's via list (n_via ids; via_off != 0). */
static inline uint32_t *via_at(const eg *E, const eg_link *l)
{
    return E->part[l->via_off >> 31].via + (l->via_off & ~OFF_PART);
}

/* Ascending intersection of a and b into out (room for min(na, nb)). */
static inline uint32_t intersect(const uint32_t *a, uint32_t na,
                                 const uint32_t *b, uint32_t nb,
                                 uint32_t *out)
{
    uint32_t i = 0, j = 0, k = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            if (out)
                out[k] = a[i];
            k++, i++, j++;
        }
    }
    return k;
}

/* A stamp for a search over bfs_seen, none of whose entries holds it. */
static inline uint32_t new_stamp(eg *E)
{
    if (++E->stamp == 0) {                /* wrapped: forget every mark */
        memset(E->bfs_seen, 0, (E->n + 1) * sizeof *E->bfs_seen);
        E->stamp = 1;
    }
    return E->stamp;
}

/* 1 if p, just opened by v under its receiving key of link l, was not
 * accepted before under that key (and records it), 0 for a replay.
 * Honest messages of one hop arrive in the order sealed (one CPU queue,
 * one FIFO link), so only a copy is ever refused. */
static inline int hop_fresh(eg_link *l, const sim_pkt *p)
{
    return pk_replay_check(&l->rxw, pk_data_counter(p)) == 0;
}

/* 1 once v's own path-key phase has run and no discovery message came
 * or went since: a link of v's with no key and no path key under way at
 * v will not be secured (v's own state). */
static inline int node_final(eg *E, uint32_t v)
{
    const egnode *n = en(E, v);
    return n->ran && !n->win;
}

/* The world samples the storage of the node whose event runs (eg_storage)
 * when the next event starts: fetch its word now, behind the handler's
 * own misses (a DRAM miss per event at 10^5 nodes, issue 22). */
static inline void stor_prefetch(const eg *E, uint32_t v)
{
    if (v < E->n)
        __builtin_prefetch(&E->stor[v]);
}

static inline eg *E_of(const sim_world *w)
{
    if (sim_world_scenario(w)->proto != &sim_proto_eg)
        return NULL;
    return sim_world_proto_state((sim_world *)w);
}


/* ------------------------------------------------------------------------
 * Functions the files share
 * ---------------------------------------------------------------------- */

/* eg_setup.c (set-up and search) */
void eg_pend_drop(eg *E, eg_link *l);
void eg_link_drop_keys(eg *E, eg_link *l);
void eg_note_disc(eg *E, uint32_t v, int revoke);
void eg_send_msg(eg *E, uint32_t from, uint32_t to, int type,
                 const unsigned char *body, size_t len, cry_key k,
                 uint64_t name);
size_t eg_hello_body(eg *E, uint32_t v);
void eg_send_hello_body(eg *E, uint32_t v, uint32_t u, size_t len);
void eg_mark_lost(eg *E, uint32_t v, uint32_t u, eg_link *vl, uint32_t r,
                  int back);
void eg_sync(eg *E);
void eg_srch_end(eg *E, uint32_t a, uint32_t i);
int eg_rediscover(eg *E, uint32_t v, uint32_t u, eg_link *l,
                  int announce);
void eg_control(sim_world *w, void *ps, uint32_t node, sim_pkt *p);

/* eg_route.c (data) */
uint32_t eg_next_hop(eg *E, uint32_t at, uint32_t dst, eg_link **lp);
uint32_t eg_route(sim_world *w, void *ps, uint32_t at,
                  const sim_pkt *p);
void eg_sealed_send(eg *E, uint32_t v, uint32_t nh, const eg_link *l,
                    sim_pkt *p);
int eg_protect(sim_world *w, void *ps, uint32_t src, uint32_t dst,
               sim_pkt *p);
int eg_forward(sim_world *w, void *ps, uint32_t node, sim_pkt *p);
int eg_unprotect(sim_world *w, void *ps, uint32_t node, sim_pkt *p);

/* eg_revoke.c (revocation) */
int eg_on_revoke(eg *E, uint32_t v, sim_pkt *p);

/* eg.c (life cycle) */
double eg_connectivity(eg *E, int direct_only);

/* eg_atk.c (the adversary's hooks) */
void eg_atk_capture(sim_world *w, void *ps, uint32_t v, atk_kb *kb);
void eg_atk_derive(sim_world *w, void *ps, atk_kb *kb,
                   const sim_pkt *p, uint32_t from, uint32_t to);
void eg_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                  const sim_pkt *p, int part, const unsigned char *pt,
                  size_t len);
int64_t eg_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                    uint64_t (*draw)(void *ctx, uint64_t n),
                    void *ctx);
long eg_atk_react(sim_world *w, void *ps, int what, uint64_t id);
void eg_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                     atk_exposure *out);
sim_pkt *eg_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                      const atk_forge_req *rq);

#endif
