/* eg.c — Eschenauer–Gligor random key predistribution (CCS 2002) and the
 * q-composite variant of Chan, Perrig and Song (S&P 2003), DESIGN.md §2.3.
 *
 * Predistribution.  Before the run every node gets a ring of `ring` key
 * ids drawn without replacement from [0, pool) with its own GSL stream
 * (SIM_RNG_PROTOCOL, index = node); pool key i has the same value for
 * every holder (cry_key_generate(POOL_STREAM, i)).  Every node also
 * shares a device key with its home SO, for revocation messages.
 *
 * Discovery (t = 0).  Every node sends its ring's ids, in clear, to each
 * neighbour (HELLO).  A receiver intersects them with its own ring: with
 * at least q shared keys the link key is the shared key of smallest id
 * (q = 1) or H(k_1 || ... || k_s) over all shared keys in id order
 * (q >= 2).  Each end then proves it holds the key with a LINK_OK sealed
 * under it; a link is secured at an end once the other end's proof opens.
 * HELLO is not authenticated; once a neighbour has been heard, a later
 * HELLO only removes ids (rings never grow): see on_hello.
 *
 * Directional keys.  The data part's nonce is (header src || the sealing
 * key's counter) and both ends hold the link key's value, so the link key
 * is never used to seal: each end derives from it a sending key for
 * (itself -> neighbour) and a receiving key for (neighbour -> itself),
 * cry_key_derive(link key, id = sender << 32 | receiver).  The receiver
 * is part of the id because with q = 1 one pool key can be the link key
 * of several links of the same node: with id = sender alone two of its
 * sending handles would hold one value and restart the same counters.
 * Only one handle ever seals with a given value, and a link key that
 * does not change keeps its handles (and counters) across rediscovery.
 *
 * Path keys (paper: E–G's path-key establishment).  When a node's own
 * discovery has settled (interpretation, node_phase: it has sent and
 * taken no HELLO, direct-key LINK_OK or REVOKE for path_settle, or its
 * window's bound SETTLE_MAX / REVOKE_MAX passed: its own settle timer,
 * no network-wide signal), for each neighbour pair it has heard from
 * with no key in its own table the lower-index end searches for a path of
 * secured links to the other end by messages (interpretation: an
 * expanding-ring search, PK_SEARCH / PK_FOUND, at most path_hops
 * intermediate nodes; see "Path-key discovery" below: no node reads
 * another's links), draws a fresh key and sends it hop by hop along the
 * first path found, each hop sealed under that hop's sending key; the far
 * end acks under the new key over their own link and the initiator
 * confirms with a LINK_OK.
 *
 * Replays.  Everything sealed under a link key is checked against a
 * 64-wide window of the receiving key's counters (eg_link.rx, reset when
 * that key is replaced), REVOKE against one per node (device key): a
 * copy is refused.  No link key value is ever installed twice at an end
 * (path keys are fresh, shared ids only shrink), so a new handle never
 * restarts the counters of a value already used.
 *
 * Data.  Hop by hop: the origin seals the data part under its sending key
 * of the first hop, each forwarder opens it with its receiving key of the
 * hop it came from and re-seals it under its sending key of the next hop,
 * the destination opens it.  Routes (eg_next_hop), option data_routing:
 *  - greedy (the default; kmsim extension, local): the world's next hop
 *    if the forwarder's own link to it is secured, else its own secured
 *    neighbour strictly nearer to the destination by the world's hop
 *    count (greedy_next_hop);
 *  - secured_graph (a named exception to the locality rule: it reads
 *    every node's link states, standing in for a routing protocol over
 *    secured links whose messages are not simulated): a shortest path
 *    over the secured graph (links OK at both ends, as eg.links.secured;
 *    links to a captured node are dead once its neighbours learn of the
 *    revocation), ties to the lowest-index neighbour; when no secured
 *    path exists, the world's shortest path.
 * The route hook returns the hop the
 * packet was sealed for (the receiver in its key name), so the world
 * sends it where protect/forward chose even if the graph changed during
 * the sender's CPU time.  The hop sender travels
 * in the header's hop-sender field (offset 28; data packets have no
 * control part, so the world never writes it); it is not authenticated,
 * but a wrong one picks a key that does not open the data part.  Data
 * whose first hop is not secured yet waits (pk_queue); once the holder's
 * own phase has run (node_final), data for a hop it has heard from that
 * has no key and no path key under way at the holder is dropped, as is
 * data reaching a forwarder whose next hop is not secured.
 *
 * Revocation.  eg_revoke() / revoke_at: each node's home SO sends it the
 * captured ring's ids under their device key.  Holders wipe those keys,
 * drop their links to the captured node, drop links whose key used a
 * revoked id (q = 1: the smallest shared id; q >= 2: any shared id) or
 * whose path key travelled through the captured node, and rebuild them:
 * from the remaining shared ids (a fresh HELLO tells the neighbour the
 * new ring) or, once each node's own window of the round has settled
 * (a REVOKE opens one), by path keys that avoid captured nodes.  eg_revoke_key() revokes one pool key (a leak)
 * the same way: its holders are told, no node is captured.
 *
 * Two partitions (kmsim extension, --threads 2, sim/THREADS.md; threads_ok).
 * The start-up (ev_start) and the revocation rounds act for every node:
 * run-wide events (sim_world_at_global), run alone.  Every other event
 * writes its node's records and its partition's eg_part; search ids and
 * path-key material are the initiator's own count; what reads both ends
 * of a link between the partitions (up, the lost mark, re-secured) and
 * the sample metrics are logged with event keys and replayed merged by
 * key (eg_sync) at run-wide events and in the report.
 *
 * The adversary's hooks (capture, derive, learn, leak, react, exposure)
 * are at the end, with what each gives an attacker. */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "proto.h"
#include "estimate.h"
#include "world.h"
#include "wire.h"
#include "cry_key.h"
#include "eg_theory.h"
#include "util.h"
#include "eg.h"
#include "pk.h"
#include "kb.h"
#include "mlist.h"

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
static const char *const route_names[] = {"secured_graph", "greedy", NULL};

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

static void eg_opts_free(void *p)
{
    eg_opts *o = p;
    if (!o)
        return;
    free(o->revoke_at);
    free(o->revoke_nodes);
    free(o->revoke_marks);
    free(o);
}

static int eg_opts_parse(scn_map *m, void **out)
{
    eg_opts *o = xcalloc(1, sizeof *o);
    int64_t pool, ring, q, hops, idb, vb;
    int hop_mac;

    scn_map_mark(m, "pool", 0, &o->pool_mark);
    scn_map_mark(m, "data_routing", 0, &o->route_mark);
    if (scn_map_int(m, "pool", 0, 1000, 1, 1 << 24, &pool) ||
        scn_map_int(m, "ring", 0, 50, 1, EG_MAX_RING, &ring) ||
        scn_map_int(m, "q", 0, 1, 1, EG_MAX_RING, &q) ||
        scn_map_bool(m, "path_keys", 0, 1, &o->path_keys) ||
        scn_map_int(m, "path_hops", 0, 3, 0, EG_MAX_HOPS, &hops) ||
        scn_map_time(m, "path_timeout", 0, EG_PATH_TIMEOUT, SIM_MS,
                     60 * SIM_S, &o->path_timeout) ||
        scn_map_time(m, "path_settle", 0, EG_PATH_SETTLE, SIM_MS, 60 * SIM_S,
                     &o->path_settle) ||
        scn_map_enum(m, "data_routing", route_names, 0,
                     EG_ROUTE_GREEDY, &o->data_routing) ||
        scn_map_times(m, "revoke_at", 1024, 0, SCN_MAX_DURATION,
                      &o->revoke_at, &o->n_revoke_at) ||
        scn_map_ints(m, "revoke_nodes", 1024, 0, UINT32_MAX - 1,
                     &o->revoke_nodes, &o->n_revoke_nodes) ||
        scn_map_int(m, "key_id_bytes", 0, 2, 1, 8, &idb) ||
        scn_map_int(m, "key_value_bytes", 0, 8, 1, 64, &vb) ||
        scn_map_bool(m, "per_hop_mac", 0, 1, &hop_mac) ||
        scn_map_defence(m, "replay_window", 0, 1, &o->replay_window) ||
        scn_map_defence(m, "capture_reaction", 1, 1, &o->capture_reaction))
        goto fail;
    /* per_hop_mac, the option of the protocols that relay data under an
     * end-to-end key (pk.h), is always on here: E-G seals data hop by hop
     * under link keys by design, which authenticates every hop. */
    if (!hop_mac) {
        scn_map_error(m, "per_hop_mac", "'per_hop_mac' cannot be false for "
                      "eg: it seals data hop by hop under link keys");
        goto fail;
    }
    if (ring > pool) {
        scn_map_error(m, "ring", "'ring' (%lld) must be <= 'pool' (%lld)",
                      (long long)ring, (long long)pool);
        goto fail;
    }
    if (q > ring) {
        scn_map_error(m, "q", "'q' (%lld) must be <= 'ring' (%lld)",
                      (long long)q, (long long)ring);
        goto fail;
    }
    if (o->n_revoke_at && !o->n_revoke_nodes) {
        scn_map_error(m, "revoke_at", "'revoke_at' needs 'revoke_nodes'");
        goto fail;
    }
    if (o->n_revoke_nodes && o->n_revoke_at != 1 &&
        o->n_revoke_at != o->n_revoke_nodes) {
        scn_map_error(m, o->n_revoke_at ? "revoke_at" : "revoke_nodes",
                      "'revoke_at' must be one time or one per "
                      "'revoke_nodes' entry (%zu), got %zu",
                      o->n_revoke_nodes, o->n_revoke_at);
        goto fail;
    }
    o->revoke_marks = xcalloc(o->n_revoke_nodes + 1, sizeof *o->revoke_marks);
    for (size_t i = 0; i < o->n_revoke_nodes; i++)
        scn_map_mark(m, "revoke_nodes", i, &o->revoke_marks[i]);
    if (scn_map_done(m))
        goto fail;
    o->pool = (uint32_t)pool;
    o->ring = (uint32_t)ring;
    o->q = (uint32_t)q;
    o->path_hops = (uint32_t)hops;
    o->id_bytes = (uint32_t)idb;
    o->value_bytes = (uint32_t)vb;
    *out = o;
    return 0;
fail:
    eg_opts_free(o);
    return -1;
}

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
static const char *const msg_names[M_COUNT] = {
    "", "hello", "link_ok", "path_key", "path_ack", "revoke", "pk_search",
    "pk_found",
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

/* What one partition owns (kmsim, THREADS.md; proto.h threads_ok): the
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

static egnode *en(eg *E, uint32_t v)
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
static eg_part *ep(eg *E, uint32_t v)
{
    eg_part *P = E->pof ? &E->part[E->pof[v]] : &E->part[0];
#ifdef KMSIM_LOCALITY
    assert(E->glob || sim_world_actor(E->b.w) == SIM_NONE ||
           P == &E->part[sim_world_cur_part(E->b.w)]);
#endif
    return P;
}

/* 1 if v and u lie in different partitions (a cut link). */
static int is_cut(const eg *E, uint32_t v, uint32_t u)
{
    return E->pof && E->pof[v] != E->pof[u];
}

/* Key material that node v makes (kmsim, THREADS.md): in the key store's
 * part of v's partition (pk_key_derive / _import / _generate, pk.h
 * "Partitions"), so the two threads never allocate in one part.  Every
 * E-G key of a node is made through them; the pool's keys have one copy
 * per part (pool_key). */
static cry_key key_derive(eg *E, uint32_t v, cry_key master, uint64_t id)
{
    return pk_key_derive(&E->b, v, master, id, KDF_CTX, &E->b.ops[v]);
}

static cry_key key_import(eg *E, uint32_t v,
                          const unsigned char val[CRY_KEY_BYTES])
{
    return pk_key_import(&E->b, v, val);
}

static cry_key key_generate(eg *E, uint32_t v, uint64_t stream,
                            uint64_t counter, cry_ops *ops)
{
    return pk_key_generate(&E->b, v, stream, counter, ops);
}

/* Pool key `id` as node v reads it: the copy in v's partition's store
 * part (kmsim, THREADS.md: the same value in every part; a handle of
 * the other part would be read while that part grows).  One partition:
 * the one copy, as before. */
static cry_key *pool_key(eg *E, uint32_t v, uint32_t id)
{
    return &E->pool[(size_t)(E->pof ? E->pof[v] : 0) * E->o->pool + id];
}

static uint32_t *ring_of(eg *E, uint32_t v)
{
    sim_world_local(E->b.w, v, "eg", "ring_of");
    return E->ring + (size_t)v * E->o->ring;
}

/* 1 if v holds pool key `id` now (binary search in its ring). */
static int holds(eg *E, uint32_t v, uint32_t id)
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
static uint32_t slot_of(const eg *E, uint32_t v, uint32_t u)
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
static eg_link *link_of(eg *E, uint32_t v, uint32_t u)
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
static int link_up(eg *E, uint32_t a, uint32_t b)
{
    eg_link *x = link_of(E, a, b), *y = link_of(E, b, a);
    return x && y && x->state == EG_LINK_OK && y->state == EG_LINK_OK;
}

/* For a slot l of v's link to u: its canonical slot (v's keys for u), the
 * neighbour's (u's of v), and whether the link is up.  O(1). */
static eg_link *canon(eg *E, const eg_link *l)
{
    if (!E->parallel)                   /* every slot is its own canonical */
        return (eg_link *)l;            /*   one: no read of the far end  */
    return &E->lk[E->rev[E->rev[l - E->lk]]];
}

static eg_link *mirror(eg *E, const eg_link *l)
{
    return &E->lk[E->rev[l - E->lk]];
}

/* 1 if slot s is the canonical slot of its pair (parallel links of an
 * explicit topology share the first one's keys). */
static int is_canon(const eg *E, uint32_t s)
{
    return !E->parallel || E->rev[E->rev[s]] == s;
}

static int l_up(const eg *E, const eg_link *l)
{
    return slot_up(E, (uint32_t)(l - E->lk));
}

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

/* The id sets of l: common (ring ids the neighbour announced) and shared
 * (those the direct key was built from). */
static uint32_t *common_of(const eg *E, const eg_link *l)
{
    return E->part[l->ids_off >> 31].ids + (l->ids_off & ~OFF_PART);
}

static uint32_t *shared_of(const eg *E, const eg_link *l)
{
    return common_of(E, l) + l->ids_cap;
}

/* l's via list (n_via ids; via_off != 0). */
static uint32_t *via_at(const eg *E, const eg_link *l)
{
    return E->part[l->via_off >> 31].via + (l->via_off & ~OFF_PART);
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

/* Ascending intersection of a and b into out (room for min(na, nb)). */
static uint32_t intersect(const uint32_t *a, uint32_t na, const uint32_t *b,
                          uint32_t nb, uint32_t *out)
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
static uint32_t new_stamp(eg *E)
{
    if (++E->stamp == 0) {                /* wrapped: forget every mark */
        memset(E->bfs_seen, 0, (E->n + 1) * sizeof *E->bfs_seen);
        E->stamp = 1;
    }
    return E->stamp;
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
static void pend_drop(eg *E, eg_link *l)
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
static void link_drop_keys(eg *E, eg_link *l)
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

    link_drop_keys(E, l);
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

/* 1 if p, just opened by v under its receiving key of link l, was not
 * accepted before under that key (and records it), 0 for a replay.
 * Honest messages of one hop arrive in the order sealed (one CPU queue,
 * one FIFO link), so only a copy is ever refused. */
static int hop_fresh(eg_link *l, const sim_pkt *p)
{
    return pk_replay_check(&l->rxw, pk_data_counter(p)) == 0;
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
    sodium_memzero(buf, len);
    sodium_memzero(h, sizeof h);
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
static void note_disc(eg *E, uint32_t v, int revoke)
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

static void send_msg(eg *E, uint32_t from, uint32_t to, int type,
                     const unsigned char *body, size_t len, cry_key k,
                     uint64_t name)
{
    sim_pkt *p = pk_msg(&E->b, from, to, type, body, len, k, name, 0);
    count_msg(E, type, p);
    if (type == M_HELLO)
        note_disc(E, from, 0);
    pk_send(&E->b, from, p);
}

/* v's HELLO body (u32 n, its ring's n ids) into its partition's msg;
 * its length. */
static size_t hello_body(eg *E, uint32_t v)
{
    uint32_t n = en(E, v)->ring_n;
    unsigned char *body = ep(E, v)->msg;
    const uint32_t *r = ring_of(E, v);

    sim_put32(body, n);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(body + 4 + 4 * (size_t)i, r[i]);
    return 4 + 4 * (size_t)n;
}

/* v sends u the HELLO body of hello_body (still in its msg).  The bytes
 * are pk_msg's for an unsealed message; the packet has no room for tags
 * (sim_pkt_new_clear: nothing seals a HELLO), which is what one in flight
 * of the discovery burst costs (issue 22). */
static void send_hello_body(eg *E, uint32_t v, uint32_t u, size_t len)
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
    note_disc(E, v, 0);
    pk_send(b, v, p);
}

static void send_hello(eg *E, uint32_t v, uint32_t u)
{
    send_hello_body(E, v, u, hello_body(E, v));
}

/* v proves to u that it holds the key of slot l (v's of u). */
static void send_link_ok(eg *E, uint32_t v, uint32_t u, eg_link *l)
{
    unsigned char ok = 1;
    /* The proof of a direct key is discovery; a path key's ends the
     * path-key exchange (it opens no window). */
    if (canon(E, l)->kind == EG_KIND_DIRECT)
        note_disc(E, v, 0);
    send_msg(E, v, u, M_LINK_OK, &ok, 1, canon(E, l)->tx,
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
static void mark_lost(eg *E, uint32_t v, uint32_t u, eg_link *vl, uint32_t r,
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
 * last_up.  The steps are those of sec_note, mark_lost and set_ok. */
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
static void eg_sync(eg *E)
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

static void sealed_send(eg *E, uint32_t v, uint32_t nh, const eg_link *l,
                        sim_pkt *p);
static uint32_t eg_next_hop(eg *E, uint32_t at, uint32_t dst, eg_link **lp);
static int is_data(const sim_pkt *p);

/* 1 once v's own path-key phase has run and no discovery message came
 * or went since: a link of v's with no key and no path key under way at
 * v will not be secured (v's own state). */
static int node_final(eg *E, uint32_t v)
{
    const egnode *n = en(E, v);
    return n->ran && !n->win;
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
            sealed_send(E, v, nh, l, p);
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
 * Secured routes
 * ---------------------------------------------------------------------- */

/* A node's home in a tree's table (murmur3's finaliser). */
static uint32_t rt_hash(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

/* Tree R's entry of node, or NULL. */
static rt_ent *rt_find(const eg_rt *R, uint32_t node)
{
    uint32_t mask = R->cap - 1, i = rt_hash(node) & mask;

    for (;; i = (i + 1) & mask) {
        if (R->tab[i].node == node)
            return &R->tab[i];
        if (R->tab[i].node == RT_FREE)
            return NULL;
    }
}

/* Adds node (not in R) at `depth`; returns its entry (valid until the
 * next add). */
static rt_ent *rt_add(eg_rt *R, uint32_t node, uint32_t depth)
{
    uint32_t mask, i;

    if (4 * ((uint64_t)R->used + 1) > 3 * (uint64_t)R->cap) {
        rt_ent *old = R->tab;
        uint32_t oldcap = R->cap;
        R->cap = oldcap ? 2 * oldcap : 64;
        R->tab = xreallocarray(NULL, R->cap, sizeof *R->tab);
        for (uint32_t k = 0; k < R->cap; k++)
            R->tab[k].node = RT_FREE;
        R->used = 0;
        for (uint32_t k = 0; k < oldcap; k++)
            if (old[k].node != RT_FREE)
                *rt_add(R, old[k].node, 0) = old[k];
        free(old);
    }
    mask = R->cap - 1;
    for (i = rt_hash(node) & mask; R->tab[i].node != RT_FREE;
         i = (i + 1) & mask)
        ;
    R->tab[i].node = node;
    R->tab[i].depth = depth;
    R->tab[i].nh = RT_NH_UNSET;
    R->tab[i].nh_node = SIM_NONE;
    R->used++;
    return &R->tab[i];
}

/* Empties tree R for the current generation: only dst is discovered.
 * O(its table), no more than a few times what it had discovered. */
static void rt_reset(eg *E, eg_rt *R)
{
    for (uint32_t k = 0; k < R->cap; k++)
        R->tab[k].node = RT_FREE;
    R->used = R->n_q = R->head = R->n_unr = 0;
    R->q[R->n_q++] = R->dst;
    rt_add(R, R->dst, 0);
    R->gen = E->part[0].sec_gen;       /* secured_graph: one partition */
}
/* Expands the next node of tree R: discovers its secured neighbours not
 * seen yet, one level deeper.  Returns 1 if `at` was among them. */
static int rt_expand(eg *E, eg_rt *R, uint32_t at)
{
    const sim_topo *t = E->b.t;
    uint32_t x = R->q[R->head++], d = rt_find(R, x)->depth + 1;
    int found = 0;

    for (uint32_t s = t->adj_off[x]; s < t->adj_off[x + 1]; s++) {
        uint32_t y = t->adj[s];
        if (!slot_up(E, s) || rt_find(R, y))
            continue;
        rt_add(R, y, d);
        if (R->n_q == R->cap_q) {
            R->cap_q *= 2;
            R->q = xreallocarray(R->q, R->cap_q, sizeof *R->q);
        }
        R->q[R->n_q++] = y;
        found |= y == at;
    }
    return found;
}

/* Expands tree R until it discovers `at` (not discovered yet, not its
 * dst): 1 then, 0 if at is not connected to dst over the secured graph.
 * A second search from `at` (bfs_* scratch) advances one node per node
 * the tree expands, and stops as soon as it meets the tree: so a node cut
 * off in a small component is told so after a few steps instead of after
 * the tree has explored the whole of dst's component, and a connected
 * node costs at most twice the tree's growth.  (The tree always holds
 * dst: a search from at that ends without meeting it never reached dst.) */
static int rt_reach(eg *E, eg_rt *R, uint32_t at)
{
    const sim_topo *t = E->b.t;
    uint32_t head = 0, tail = 0, stamp = new_stamp(E);
    int met = 0;

    E->bfs_seen[at] = stamp;
    E->bfs_q[tail++] = at;
    for (;;) {
        if (R->head == R->n_q)
            return 0;                     /* dst's component: not there */
        if (rt_expand(E, R, at))
            return 1;
        if (met)
            continue;
        if (head == tail)
            return 0;                     /* at's component: no dst */
        for (uint32_t x = E->bfs_q[head++], s = t->adj_off[x];
             s < t->adj_off[x + 1] && !met; s++) {
            uint32_t y = t->adj[s];
            const rt_ent *e;
            if (!slot_up(E, s) || E->bfs_seen[y] == stamp)
                continue;
            if ((e = rt_find(R, y)) != NULL) {
                if (e->depth == RT_UNREACH)
                    return 0;             /* known cut off from dst */
                met = 1;                  /* connected: the tree gets there */
            }
            E->bfs_seen[y] = stamp;
            E->bfs_q[tail++] = y;
        }
    }
}

/* at's next hop in tree R (at != its dst): its lowest-index secured
 * neighbour one step closer to dst (adjacency is sorted by index), or
 * SIM_NONE if at is not connected to dst; *slot gets the CSR slot of
 * at's link to it.  Answers are kept until the secured graph changes. */
static uint32_t rt_next_hop(eg *E, eg_rt *R, uint32_t at, uint32_t *slot)
{
    const sim_topo *t = E->b.t;
    rt_ent *e;
    uint32_t nh = UINT32_MAX;

    if (R->gen != E->part[0].sec_gen)
        rt_reset(E, R);
    if (!(e = rt_find(R, at))) {
        if (!rt_reach(E, R, at)) {
            rt_add(R, at, RT_UNREACH);
            if (R->n_unr == R->cap_unr) {
                R->cap_unr = R->cap_unr ? 2 * R->cap_unr : 16;
                R->unr = xreallocarray(R->unr, R->cap_unr, sizeof *R->unr);
            }
            R->unr[R->n_unr++] = at;
            return SIM_NONE;
        }
        e = rt_find(R, at);
    }
    if (e->depth == RT_UNREACH)
        return SIM_NONE;
    if (e->nh != RT_NH_UNSET) {
        *slot = e->nh;
        return e->nh_node;
    }
    /* Every node of depth d - 1 is discovered once at (depth d) is; the
     * first slot of a neighbour is its canonical one. */
    for (uint32_t s = t->adj_off[at]; s < t->adj_off[at + 1]; s++) {
        const rt_ent *y;
        if (slot_up(E, s) && (y = rt_find(R, t->adj[s])) != NULL &&
            y->depth + 1 == e->depth) {
            nh = s;
            break;
        }
    }
    assert(nh != UINT32_MAX);
    e->nh = nh;
    e->nh_node = t->adj[nh];
    *slot = nh;
    return e->nh_node;
}

/* The next hop of data at `at` towards dst: greedy_next_hop's under
 * data_routing: greedy; under secured_graph on a shortest secured path if
 * there is one (dst an SO or a subscriber), else the world's shortest
 * path (whose hop, not secured, makes the caller hold or drop it).
 * LOCALITY EXCEPTION of secured_graph (named in the README): the secured
 * route trees read up[], i.e. every node's link states, not only at's;
 * they stand in for a routing protocol over secured links whose messages
 * kmsim does not simulate.  The world's fewest-hop routing alone is the
 * shared service.
 * *lp gets at's (canonical) slot of it, NULL when there is none. */
/* Hops from u to dst on the world's fewest-hop routes (the shared
 * network-layer service), counted up to `limit` (returned when farther or
 * unreachable).  O(result) world look-ups. */
static uint32_t world_hops(eg *E, uint32_t u, uint32_t dst, uint32_t limit)
{
    uint32_t h = 0;

    while (u != dst && h < limit) {
        if ((u = sim_world_next_hop(E->b.w, u, dst, NULL)) == SIM_NONE)
            return limit;
        h++;
    }
    return h;
}

/* data_routing: greedy (kmsim extension, local): at's next hop towards
 * dst is the world's if at's own link to it is secured (OK in at's
 * table), else at's secured neighbour nearest to dst by the world's hop
 * count, if strictly nearer than at (ties to the lowest index); else the
 * world's, unsecured (the caller holds or drops the data).  Every hop
 * brings the packet strictly nearer to dst: no loops.  It reads only at's
 * own links and the world's routes, and cannot take a detour that first
 * leads away from dst. */
static uint32_t greedy_next_hop(eg *E, uint32_t at, uint32_t dst,
                                eg_link **lp)
{
    const sim_topo *t = E->b.t;
    uint32_t nh = sim_world_next_hop(E->b.w, at, dst, NULL), d, best_d;
    uint32_t best = SIM_NONE;
    eg_link *l;

    if (nh == SIM_NONE) {
        *lp = NULL;
        return SIM_NONE;
    }
    l = link_of(E, at, nh);
    if (l && l->state == EG_LINK_OK) {
        *lp = l;
        return nh;
    }
    d = 1 + world_hops(E, nh, dst, UINT32_MAX - 1);   /* at's distance */
    best_d = d;
    for (uint32_t s = t->adj_off[at]; s < t->adj_off[at + 1]; s++) {
        uint32_t u = t->adj[s], du;
        if (u == nh || !is_canon(E, s) || E->lk[s].state != EG_LINK_OK)
            continue;
        if ((du = world_hops(E, u, dst, best_d)) < best_d) {
            best_d = du;
            best = s;
        }
    }
    if (best != SIM_NONE) {
        *lp = &E->lk[best];
        return t->adj[best];
    }
    *lp = l;
    return nh;
}

static uint32_t eg_next_hop(eg *E, uint32_t at, uint32_t dst, eg_link **lp)
{
    uint32_t i, s, nh;
    scn_role r;

    if (E->o->data_routing == EG_ROUTE_GREEDY && at < E->n && dst < E->n &&
        at != dst)
        return greedy_next_hop(E, at, dst, lp);
    if (at < E->n && dst < E->n && at != dst) {
        i = E->rt_slot[dst];
        if (i == SIM_NONE &&
            ((r = pk_role(&E->b, dst)) == SCN_ROLE_SO ||
             r == SCN_ROLE_SUBSCRIBER)) {
            i = E->n_rt++;                     /* a new destination */
            E->rt_slot[dst] = i;
            E->rt = xreallocarray(E->rt, E->n_rt, sizeof *E->rt);
            memset(&E->rt[i], 0, sizeof E->rt[i]);
            E->rt[i].dst = dst;
            E->rt[i].cap_q = 16;
            E->rt[i].q = xmalloc(E->rt[i].cap_q * sizeof *E->rt[i].q);
            E->rt[i].gen = 0;                  /* stale: sec_gen >= 1 */
        }
        if (i != SIM_NONE &&
            (nh = rt_next_hop(E, &E->rt[i], at, &s)) != SIM_NONE) {
            *lp = &E->lk[s];
            return nh;
        }
    }
    nh = sim_world_next_hop(E->b.w, at, dst, NULL);
    *lp = nh == SIM_NONE ? NULL : link_of(E, at, nh);
    return nh;
}

/* The route hook: a data packet sealed by `at` goes to the hop it was
 * sealed for (the receiver in its key name N_TX | DIR_ID(at, hop)), which
 * protect/forward/flush chose with eg_next_hop; anything else takes the
 * world's shortest path. */
static uint32_t eg_route(sim_world *w, void *ps, uint32_t at,
                         const sim_pkt *p)
{
    uint64_t name;
    (void)w; (void)ps;

    if (!is_data(p) || !(sim_pkt_flags(p) & SIM_F_DATA_SEALED))
        return SIM_NONE;
    name = sim_pkt_key_name(p);
    if ((name & (0xfull << 60)) != N_TX ||
        ((name >> 32) & 0x0fffffffull) != at)
        return SIM_NONE;
    return (uint32_t)name;
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
static void srch_end(eg *E, uint32_t a, uint32_t i)
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
    pend_drop(E, l);
    l->pathing = 0;
    srch_end(E, a, i);
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
    send_msg(E, from, to, M_PK_SEARCH, body, 20 + 4 * (size_t)n,
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
    send_msg(E, from, to, M_PK_FOUND, body, 16 + 4 * (size_t)n,
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
    send_msg(E, from, to, M_PATH_KEY, body, len, link_of(E, from, to)->tx,
             N_TX | DIR_ID(from, to));
    sodium_memzero(body, len);
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
    sodium_memzero(val, sizeof val);
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

/* Fraction of the nodes in the largest component of the secured graph
 * (`direct_only`: of its links keyed directly, from shared ring keys, at
 * both ends). */
static double connectivity(eg *E, int direct_only)
{
    const sim_topo *t = E->b.t;
    uint32_t stamp = new_stamp(E), best = 0;

    /* Locality exception: a ground-truth metric over every node's links
     * (it decides nothing). */
    sim_world_exempt(E->b.w, "ground-truth metric: eg.connectivity");
    for (uint32_t r = 0; r < E->n; r++) {
        uint32_t head = 0, tail = 0;
        if (E->bfs_seen[r] == stamp)
            continue;
        E->bfs_seen[r] = stamp;
        E->bfs_q[tail++] = r;
        while (head < tail) {
            uint32_t x = E->bfs_q[head++];
            for (uint32_t s = t->adj_off[x]; s < t->adj_off[x + 1]; s++) {
                uint32_t y = t->adj[s];
                if (E->bfs_seen[y] != stamp && slot_up(E, s) &&
                    (!direct_only ||
                     (canon(E, &E->lk[s])->kind == EG_KIND_DIRECT &&
                      mirror(E, canon(E, &E->lk[s]))->kind ==
                          EG_KIND_DIRECT))) {
                    E->bfs_seen[y] = stamp;
                    E->bfs_q[tail++] = y;
                }
            }
        }
        if (tail > best)
            best = tail;
    }
    sim_world_exempt_end(E->b.w);
    return E->n ? (double)best / E->n : 0;
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
static int rediscover(eg *E, uint32_t v, uint32_t u, eg_link *l,
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
        link_drop_keys(E, l);             /* too few left: path keys     */
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
    note_disc(E, v, 0);
    if (rediscover(E, v, u, l, 0) && l->kind == EG_KIND_NONE &&
        E->n_round)
        mark_lost(E, v, u, l, E->n_round - 1, 1);
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
        note_disc(E, v, 0);
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
            send_msg(E, v, a, M_PATH_ACK, &ok, 1, l->tx,
                     N_TX | DIR_ID(v, a));
        }
    }
    sodium_memzero(val, sizeof val);
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
        srch_end(E, a, l->srch - 1);
    }
    send_link_ok(E, a, z, l);
    set_ok(E, a, z, l);                   /* z proved it holds the key */
    return 0;
}

static void revoke_apply(eg *E, uint32_t v, uint32_t c, const uint32_t *ids,
                         uint32_t n, uint32_t r);

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
        srch_end(E, x, l->srch - 1);
        return 0;
    }
    if (!(first = link_of(E, x, path[1])) || first->state != EG_LINK_OK)
        return 0;                         /* its first hop went down */
    path_transport(E, x, l->srch - 1, path, n);
    return 0;
}

static int on_revoke(eg *E, uint32_t v, sim_pkt *p)
{
    uint32_t so = sim_pkt_src(p), c, n, r;
    cry_key k = pk_key(&E->b, v, N_DEV | v);
    const unsigned char *d;
    uint32_t *ids;
    size_t len;

    if (!k || so != sim_world_home_so(E->b.w, v) ||
        !(d = pk_msg_open(&E->b, v, p, k, &len)) ||
        pk_replay_check(&en(E, v)->rv, pk_data_counter(p)) != 0 || len < 12 ||
        (n = sim_get32(d + 8)) > E->o->ring || len != 12 + 4 * (size_t)n ||
        ((c = sim_get32(d)) >= E->n && c != SIM_NONE) ||
        (r = sim_get32(d + 4)) >= E->n_round) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    ids = ep(E, v)->rvids;
    for (uint32_t i = 0; i < n; i++)
        ids[i] = sim_get32(d + 12 + 4 * (size_t)i);
    revoke_apply(E, v, c, ids, n, r);
    return 0;
}

/* The world samples the storage of the node whose event runs (eg_storage)
 * when the next event starts: fetch its word now, behind the handler's
 * own misses (a DRAM miss per event at 10^5 nodes, issue 22). */
static void stor_prefetch(const eg *E, uint32_t v)
{
    if (v < E->n)
        __builtin_prefetch(&E->stor[v]);
}

static void eg_control(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
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
    case M_REVOKE: rc = on_revoke(E, node, p); break;
    case M_PK_SEARCH: rc = on_pk_search(E, node, from, p); break;
    case M_PK_FOUND: rc = on_pk_found(E, node, from, p); break;
    default: pk_count(&E->b, E->m_rejected, 1); rc = -1; break;
    }
    if (rc != 0)
        sim_world_refuse(w, node, p);
    sim_pkt_free(w, p);
}

/* ------------------------------------------------------------------------
 * Revocation
 * ---------------------------------------------------------------------- */

/* v learns that ids (ascending) are revoked in round r, c's ring (c the
 * captured node) or a leaked key (c = SIM_NONE). */
static void revoke_apply(eg *E, uint32_t v, uint32_t c, const uint32_t *ids,
                         uint32_t n, uint32_t r)
{
    const sim_topo *t = E->b.t;
    egnode *vn = en(E, v);
    uint32_t *ring = ring_of(E, v), k = 0;
    kmap *told = &ep(E, v)->told;

    note_disc(E, v, 1);                   /* its window for the round */
    if (c != SIM_NONE)
        kmap_put(told, v, c, 1);
    /* Wipe the revoked keys: ring and ids are both ascending. */
    for (uint32_t i = 0, j = 0; i < vn->ring_n; i++) {
        while (j < n && ids[j] < ring[i])
            j++;
        if (j < n && ids[j] == ring[i]) {
            pk_count(&E->b, E->m_revoked, 1);   /* dropped from the ring */
        } else {
            ring[k++] = ring[i];
        }
    }
    sim_world_storage_changed(E->b.w, v);            /* storage_marks */
    E->stor[v] -= (uint64_t)(vn->ring_n - k) *
                  (E->o->id_bytes + E->o->value_bytes);
    vn->ring_n = k;
    for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++) {
        uint32_t u = t->adj[s];
        eg_link *l = &E->lk[s];
        int affected = 0;

        if (l->state == EG_LINK_DEAD)
            continue;
        if (u == c || kmap_get(told, v, u)) {   /* v's own list */
            if (l->kind != EG_KIND_NONE)
                mark_lost(E, v, u, l, r, 0);
            link_drop_keys(E, l);
            pend_drop(E, l);
            l->pathing = 0;
            if (l->srch)
                srch_end(E, v, l->srch - 1);
            l->state = EG_LINK_DEAD;      /* from NONE: no edge change */
            continue;
        }
        /* The ids both hold minus the revoked ones. */
        k = 0;
        for (uint32_t i = 0, j = 0, *cm = common_of(E, l); i < l->n_common;
             i++) {
            while (j < n && ids[j] < cm[i])
                j++;
            if (!(j < n && ids[j] == cm[i]))
                cm[k++] = cm[i];
        }
        l->n_common = (uint16_t)k;
        if (l->kind == EG_KIND_PATH) {
            for (uint32_t i = 0; i < l->n_via; i++)
                affected |= via_at(E, l)[i] == c;
            if (affected) {
                mark_lost(E, v, u, l, r, 1);
                link_drop_keys(E, l);
            }
        } else if (l->kind == EG_KIND_DIRECT) {
            const uint32_t *sh = shared_of(E, l);
            for (uint32_t i = 0; i < (E->o->q == 1 ? 1u : l->n_shared); i++)
                for (uint32_t j = 0; j < n; j++)
                    affected |= sh[i] == ids[j];
            if (affected) {
                mark_lost(E, v, u, l, r, 1);
                rediscover(E, v, u, l, 1);
            } else {
                /* q = 1: the key stands (its id is not revoked); the
                 * record of shared ids loses the revoked ones. */
                uint32_t *shw = shared_of(E, l);
                k = 0;
                for (uint32_t i = 0, j = 0; i < l->n_shared; i++) {
                    while (j < n && ids[j] < shw[i])
                        j++;
                    if (!(j < n && ids[j] == shw[i]))
                        shw[k++] = shw[i];
                }
                l->n_shared = (uint16_t)k;
            }
        }
        if (l->pathing) {
            /* A path key under way through c never arrives. */
            int via_c = 0;
            for (uint32_t i = 0; i < l->n_via; i++)
                via_c |= via_at(E, l)[i] == c;
            if (via_c) {
                pend_drop(E, l);
                l->pathing = 0;
                if (l->srch)
                    srch_end(E, v, l->srch - 1);
            }
        }
    }
}

static void ev_revoke(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    (void)s; (void)kind; (void)arg; (void)u64;
    eg_revoke(ctx, node);
}

/* ------------------------------------------------------------------------
 * Data
 * ---------------------------------------------------------------------- */

/* Seals data p at v for its next hop nh (l: v's link to nh, OK) and
 * sends it. */
static void sealed_send(eg *E, uint32_t v, uint32_t nh, const eg_link *l,
                        sim_pkt *p)
{
    if (pk_seal_data(&E->b, v, p, l->tx, N_TX | DIR_ID(v, nh), 0) != 0) {
        pk_count(&E->b, E->m_dropped, 1);
        sim_pkt_free(E->b.w, p);
        return;
    }
    sim_put32(p->buf + 28, v);            /* hop sender (see the top) */
    pk_send(&E->b, v, p);
}

static int is_data(const sim_pkt *p)
{
    sim_pkt_type t = sim_pkt_type_of(p);
    return t == SIM_PKT_DATA || t == SIM_PKT_PUBLISH;
}

static int eg_protect(sim_world *w, void *ps, uint32_t src, uint32_t dst,
                      sim_pkt *p)
{
    eg *E = ps;
    eg_link *l;
    uint32_t nh = eg_next_hop(E, src, dst, &l);

    (void)w;
    if (!l)
        return 0;                         /* unroutable: the world counts */
    if (l->state == EG_LINK_OK) {
        sealed_send(E, src, nh, l, p);
        return 1;
    }
    if ((node_final(E, src) && l->state == EG_LINK_NONE && !l->pathing &&
         l->heard) ||
        l->state == EG_LINK_DEAD || pk_queue_push(&en(E, src)->pend, p)) {
        pk_count(&E->b, E->m_dropped, 1);
        return -1;
    }
    return 1;
}

/* Opens p's data part at v with the receiving key of the hop it came
 * from; 0 or -1. */
static int open_hop(eg *E, uint32_t v, sim_pkt *p)
{
    uint32_t from = sim_get32(p->buf + 28);
    eg_link *l = from < E->n ? link_of(E, v, from) : NULL;
    cry_key k = l && l->state != EG_LINK_DEAD ? l->rx : 0;

    if (!k || !(sim_pkt_flags(p) & SIM_F_DATA_SEALED) ||
        pk_open_data(&E->b, v, p, k) != 0 ||
        (E->o->replay_window && !hop_fresh(l, p))) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    return 0;
}

static int eg_forward(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    eg *E = ps;
    uint32_t nh;
    eg_link *l;

    if (!is_data(p))
        return 0;                         /* control: relayed as is */
    stor_prefetch(E, node);
    if (open_hop(E, node, p) != 0)
        return -1;
    (void)w;
    nh = eg_next_hop(E, node, sim_pkt_dst(p), &l);
    if (!l || l->state != EG_LINK_OK) {
        pk_count(&E->b, E->m_dropped, 1);
        return -1;
    }
    sealed_send(E, node, nh, l, p);
    return 1;
}

static int eg_unprotect(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    eg *E = ps;
    (void)w;
    stor_prefetch(E, node);
    if (open_hop(E, node, p) != 0)
        return -1;
    E->b.node[node].cpu_due = 0;   /* the SO's service time covers it */
    pk_count(&E->b, E->m_opened, 1);
    return 0;
}

/* ------------------------------------------------------------------------
 * Life cycle, storage, report
 * ---------------------------------------------------------------------- */

#define M_(field) offsetof(eg, field)
/* kmsim metrics (mlist.h): the meaning of each metric of
 * Eschenauer-Gligor,
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_eg[] = {
    {"eg.bytes.*",
     "bytes of E-G messages of this type sent"},
    {"eg.msgs.*",
     "E-G messages of this type sent"},
    {"eg.connectivity.direct",
     "largest component of the graph of links keyed directly (ground truth)"},
    {"eg.connectivity",
     "largest component of the secured graph (direct and path keys), fraction of nodes"},
    {"eg.data.dropped",
     "data dropped (no secured path)"},
    {"eg.data.opened",
     "data messages opened at the SO"},
    {"eg.links.lost",
     "secured links lost to revocation"},
    {"eg.links.resecured",
     "links secured again after a revocation"},
    {"eg.links.secured",
     "neighbour links secured (shared key or path key)"},
    {"eg.links",
     "neighbour links"},
    {"eg.path_key.delay",
     "path-key establishment delay"},
    {"eg.path_key.fail_delay",
     "delay until a path-key establishment failed"},
    {"eg.path_key.failed",
     "path-key establishments that failed"},
    {"eg.path_key.search_delay",
     "path-key search delay"},
    {"eg.path_keys",
     "path keys established"},
    {"eg.pk_search.duplicates",
     "duplicate path-key searches ignored"},
    {"eg.rejected",
     "messages refused"},
    {"eg.revoked_keys",
     "key ring ids revoked"},
    {"eg.share_prob.theory",
     "probability two rings share enough ids (E-G formula, p1 or q-composite)"},
    {"eg.share_prob",
     "fraction of neighbour pairs whose rings share enough ids"},
    {NULL, NULL},
};

static const pk_metric eg_metrics[] = {
    {M_(m_share), "eg.share_prob", "1", ANA_VALUE},
    {M_(m_share_th), "eg.share_prob.theory", "1", ANA_VALUE},
    {M_(m_conn_direct), "eg.connectivity.direct", "1", ANA_VALUE},
    {M_(m_conn), "eg.connectivity", "1", ANA_VALUE},
    {M_(m_links), "eg.links", "link", ANA_VALUE},
    {M_(m_secured), "eg.links.secured", "link", ANA_VALUE},
    {M_(m_path), "eg.path_keys", "link", ANA_COUNTER},
    {M_(m_path_fail), "eg.path_key.failed", "link", ANA_COUNTER},
    {M_(m_pk_delay), "eg.path_key.delay", "s", ANA_SAMPLES},
    {M_(m_pk_search_delay), "eg.path_key.search_delay", "s", ANA_SAMPLES},
    {M_(m_pk_fail_delay), "eg.path_key.fail_delay", "s", ANA_SAMPLES},
    {M_(m_pk_dup), "eg.pk_search.duplicates", "msg", ANA_COUNTER},
    {M_(m_revoked), "eg.revoked_keys", "key", ANA_COUNTER},
    {M_(m_lost), "eg.links.lost", "link", ANA_COUNTER},
    {M_(m_resecured), "eg.links.resecured", "link", ANA_COUNTER},
    {M_(m_dropped), "eg.data.dropped", "msg", ANA_COUNTER},
    {M_(m_opened), "eg.data.opened", "msg", ANA_COUNTER},
    {M_(m_rejected), "eg.rejected", "msg", ANA_COUNTER},
};
#undef M_

static void ev_start(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    eg *E = sim_world_proto_state(w);
    const sim_topo *t = E->b.t;
    (void)s; (void)kind; (void)node; (void)arg; (void)u64;

    /* One event starts every node: each sends its HELLOs as itself
     * (locality check: it is the actor).  Run-wide (sim_world_at_global):
     * it writes every partition's state. */
    E->glob = 1;
    eg_sync(E);
    for (uint32_t v = 0; v < E->n; v++) {
        size_t len;
        sim_world_act_as(w, v, "start-up at time 0");
        len = hello_body(E, v);           /* one body for every neighbour */
        for (uint32_t j = t->adj_off[v]; j < t->adj_off[v + 1]; j++)
            send_hello_body(E, v, t->adj[j], len);
        sim_world_act_end(w);
    }
    E->glob = 0;
}

static void eg_deinit(sim_world *w, void *ps);

/* Partition state P, empty (scratch sized for the options). */
static void part_init(eg *E, eg_part *P, sim_world *w, const eg_opts *o)
{
    (void)E; (void)w;
    P->n_via = 1;                         /* via_off 0 means none */
    P->isect = xmalloc(((size_t)o->ring + 1) * sizeof *P->isect);
    P->rvids = xmalloc(((size_t)o->ring + 1) * sizeof *P->rvids);
    P->msg = xmalloc(16 + 4 * (size_t)o->ring + 4 * (EG_MAX_HOPS + 2) +
                     CRY_KEY_BYTES);
    P->keybuf = xmalloc(((size_t)o->ring + 1) * CRY_KEY_BYTES);
    P->mark = xcalloc((size_t)o->pool / 64 + 1, sizeof *P->mark);
    kmap_init(&P->told);
    sim_world_own(w, &P->told, "eg.told");   /* locality check */
    P->sec_gen = 1;
    P->srch_free = UINT32_MAX;
}

/* Frees what part_init made (safe on a zeroed P). */
static void part_deinit(const eg *E, eg_part *P)
{
    free(P->seen_tmp);
    kmap_deinit(&P->told);
    free(P->ids);
    free(P->via);
    free(P->isect);
    free(P->rvids);
    free(P->msg);
    free(P->mark);
    if (P->keybuf)
        sodium_memzero(P->keybuf, ((size_t)E->o->ring + 1) * CRY_KEY_BYTES);
    free(P->keybuf);
    free(P->srch);
    free(P->last_up);
    free(P->cut);
    free(P->smp);
}

static int eg_init(sim_world *w, void **ps, char *err, size_t errlen)
{
    const scenario *sc = sim_world_scenario(w);
    const eg_opts *o = sc->proto_opts;
    const sim_topo *t = sim_world_topo(w);
    ana_metrics *m = sim_world_metrics(w);
    uint32_t *all, m_ring = o->ring;
    eg *E = xcalloc(1, sizeof *E);
    char name[64];

    if (pk_init(&E->b, w, err, errlen) != 0) {
        free(E);
        return -1;
    }
    E->o = o;
    E->n = t->n_nodes;
#ifndef KMSIM_LOCALITY
    E->nodes = sim_world_node_state(w, 0);  /* per node, contiguous */
#endif
    *ps = E;
    if (sim_world_nparts(w) > 1 && o->data_routing == EG_ROUTE_SECURED_GRAPH) {
        /* Its routes read every node's links (the named locality
         * exception): nothing a partition owns. */
        scn_error_at(sc, &o->route_mark, err, errlen,
                     "protocol.data_routing: secured_graph reads every "
                     "node's links and runs on one thread only (--threads "
                     "1, or data_routing: greedy)");
        eg_deinit(w, E);
        *ps = NULL;
        return -2;
    }
    for (int k = 0; k < sim_world_nparts(w); k++)
        part_init(E, &E->part[k], w, o);
    if (sim_world_nparts(w) > 1) {
        E->pof = xmalloc((size_t)E->n + 1);
        for (uint32_t v = 0; v < E->n; v++)
            E->pof[v] = (uint8_t)sim_world_part_of(w, v);
        E->cok = xcalloc((size_t)t->adj_off[E->n] + 1, 1);
    }
    for (size_t i = 0; i < o->n_revoke_nodes; i++) {
        uint32_t v;
        for (v = 0; v < t->n_nodes; v++)
            if ((int64_t)t->nodes[v].id == o->revoke_nodes[i])
                break;
        if (v == t->n_nodes) {
            /* at the entry (issue 20), not the list or the topology;
             * at the --set that changed the topology, if that did */
            scn_error_at(sc, scn_mark_cause(&o->revoke_marks[i],
                                            &sc->nodes_mark), err, errlen,
                         "protocol.revoke_nodes: no node with id %lld",
                         (long long)o->revoke_nodes[i]);
            eg_deinit(w, E);
            *ps = NULL;
            return -2;
        }
        /* Issue 20 (kmsim extension): contradictory entries are refused
         * at the entry.  A smart object is the controller's messenger of
         * a revocation (interpretation: SOs send REVOKE) and a subscriber
         * is an MQTT client, not a sensor of the network: only a source
         * is revoked.  The same node twice would revoke it once. */
        for (size_t j = 0; j < i; j++)
            if (o->revoke_nodes[j] == o->revoke_nodes[i]) {
                scn_error_at(sc, &o->revoke_marks[i], err, errlen,
                             "protocol.revoke_nodes: node %lld is already "
                             "entry %zu", (long long)o->revoke_nodes[i], j);
                eg_deinit(w, E);
                *ps = NULL;
                return -2;
            }
        if (t->nodes[v].role != SCN_ROLE_SOURCE) {
            scn_error_at(sc, &o->revoke_marks[i], err, errlen,
                         "protocol.revoke_nodes: node %lld is a %s; only a "
                         "source can be revoked",
                         (long long)o->revoke_nodes[i],
                         t->nodes[v].role == SCN_ROLE_SO ? "smart object"
                                                         : "subscriber");
            eg_deinit(w, E);
            *ps = NULL;
            return -2;
        }
        /* A revocation round acts for every node: run-wide. */
        sim_world_at_global(w, o->revoke_at[o->n_revoke_at == 1 ? 0 : i],
                            ev_revoke, SIM_EV_PROTO + 1, v, NULL, 0);
    }
    E->ring = xmalloc(sizeof *E->ring * ((size_t)E->n * m_ring + 1));
    E->orig = xmalloc(sizeof *E->orig * ((size_t)E->n * m_ring + 1));
    E->pool = xcalloc((size_t)sim_world_nparts(w) * o->pool,
                      sizeof *E->pool);   /* a copy per part (pool_key) */
    E->lk_mem = xcalloc((size_t)t->adj_off[E->n] + 2, sizeof *E->lk);
    E->lk = (eg_link *)(((uintptr_t)E->lk_mem + 63) & ~(uintptr_t)63);
    E->rev = xmalloc(((size_t)t->adj_off[E->n] + 1) * sizeof *E->rev);
    E->up = xcalloc((size_t)t->adj_off[E->n] + 1, sizeof *E->up);
    E->stor = xcalloc((size_t)E->n + 1, sizeof *E->stor);
    for (uint32_t v = 0; v < E->n; v++)
        for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++)
            E->rev[s] = slot_of(E, t->adj[s], v);
    for (uint32_t s = 0; s < t->adj_off[E->n]; s++)
        E->parallel |= E->rev[E->rev[s]] != s;
    E->bfs_seen = xcalloc(E->n + 1, sizeof *E->bfs_seen);
    E->bfs_q = xcalloc(E->n + 1, sizeof *E->bfs_q);
    E->conn_direct = NAN;
    E->rt_slot = xmalloc((E->n + 1) * sizeof *E->rt_slot);
    for (uint32_t v = 0; v <= E->n; v++)
        E->rt_slot[v] = SIM_NONE;
    pk_metrics_reg(m, E, eg_metrics, sizeof eg_metrics / sizeof *eg_metrics);
    for (int i = 1; i < M_COUNT; i++) {
        snprintf(name, sizeof name, "eg.msgs.%s", msg_names[i]);
        E->m_msgs[i] = ana_metric_reg(m, name, "", "msg", ANA_COUNTER);
    }
    for (int i = 1; i < M_COUNT; i++) {
        snprintf(name, sizeof name, "eg.bytes.%s", msg_names[i]);
        E->m_bytes[i] = ana_metric_reg(m, name, "", "B", ANA_COUNTER);
    }

    /* Predistribution: rings (ascending: gsl_ran_choose keeps the source
     * order), their key values, device keys. */
    all = xmalloc(sizeof *all * o->pool);
    for (uint32_t i = 0; i < o->pool; i++)
        all[i] = i;
    for (uint32_t v = 0; v < E->n; v++) {
        gsl_rng *r = sim_rng_get(sim_world_rng(w), SIM_RNG_PROTOCOL, v);
        uint32_t *ring = ring_of(E, v);
        /* an interrupt or the memory budget: *ps is set, deinit frees */
        if (sim_world_setup_check(w)) {
            free(all);
            snprintf(err, errlen, "interrupted");
            return -1;
        }
        gsl_ran_choose(r, ring, m_ring, all, o->pool, sizeof *all);
        memcpy(E->orig + (size_t)v * m_ring, ring, m_ring * sizeof *ring);
        en(E, v)->ring_n = m_ring;
        E->stor[v] = (uint64_t)m_ring * (o->id_bytes + o->value_bytes);
        for (uint32_t i = 0; i < m_ring; i++)
            if (!*pool_key(E, v, ring[i]))  /* its value, once a part */
                *pool_key(E, v, ring[i]) = key_generate(E, v, POOL_STREAM,
                                                        ring[i], NULL);
        if (!pk_is_so(&E->b, v))
            pk_key_put(&E->b, v, N_DEV | v,
                       key_generate(E, v, DEV_STREAM, v, NULL));
    }
    free(all);
    /* The sharing probability over the neighbour pairs, from the rings. */
    for (uint32_t l = 0; l < t->n_links; l++)
        E->links_shared += intersect(ring_of(E, t->links[l].a), m_ring,
                                     ring_of(E, t->links[l].b), m_ring,
                                     NULL) >= o->q;
    E->share_meas = t->n_links ? (double)E->links_shared / t->n_links : NAN;
    /* The start-up sends every node's HELLOs: run-wide. */
    sim_world_at_global(w, 0, ev_start, SIM_EV_PROTO, 0, NULL, 0);
    return 0;
}

static void eg_deinit(sim_world *w, void *ps)
{
    eg *E = ps;
    (void)w;

    if (!E)
        return;
    for (uint32_t v = 0; v < E->n; v++) {
        pk_queue_clear(&E->b, &en(E, v)->pend);
        free(en(E, v)->seen);
    }
    for (int k = 0; k < 2; k++)
        part_deinit(E, &E->part[k]);
    free(E->pof);
    free(E->cok);
    free(E->pool);                        /* values: wiped by pk_deinit */
    free(E->lk_mem);
    free(E->rev);
    free(E->up);
    free(E->stor);
    free(E->ring);
    free(E->orig);
    free(E->bfs_seen);
    free(E->bfs_q);
    free(E->rt_slot);
    for (uint32_t i = 0; i < E->n_rt; i++) {
        free(E->rt[i].tab);
        free(E->rt[i].q);
        free(E->rt[i].unr);
    }
    free(E->rt);
    free(E->round);
    pk_deinit(&E->b);
    free(E);
}

/* Key material at v in the scenario's sizes: each ring key its id and
 * value, each link key (direct or path) a value.  O(1): the world calls
 * it after an event of v that changed it (storage over time; E->stor[v]
 * is kept by kind_set and revoke_apply, which mark v: storage_marks); the
 * test build (KMSIM_LOCALITY) checks it against the count over v's ring
 * and slots, and the world's check there reads it after every event. */
static uint64_t eg_storage(sim_world *w, void *ps, uint32_t v)
{
    eg *E = ps;

#ifdef KMSIM_LOCALITY
    {
        const sim_topo *t = sim_world_topo(w);
        uint64_t links = 0;
        for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++)
            links += E->lk[s].kind != EG_KIND_NONE;
        assert(E->stor[v] ==
               (uint64_t)en(E, v)->ring_n *
                       (E->o->id_bytes + E->o->value_bytes) +
                   links * E->o->value_bytes);
    }
#else
    (void)w;
#endif
    return E->stor[v];
}

/* Keys held by v (storage.keys_per_node), each value once: its ring
 * keys (ring_n: m at the start, fewer after a revocation) and each link
 * key of its own — a q-composite hash or a path key (kind != NONE,
 * !link_pool).  A q = 1 direct link key is the pool's handle of a ring
 * key v holds already: counted once, as that ring key (eg_storage charges
 * the link's table entry a value too).  Not counted, as in the byte
 * count: the sending / receiving keys derived from a link key (kmsim's
 * nonce discipline, not the scheme's), a path key sent and not yet acked
 * (pend) and the device key shared with the home SO (a credential of the
 * deployment). */
static uint64_t eg_keys(sim_world *w, void *ps, uint32_t v)
{
    eg *E = ps;
    const sim_topo *t = sim_world_topo(w);
    uint64_t own = 0;

    for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++)
        own += E->lk[s].kind != EG_KIND_NONE &&
               !canon(E, &E->lk[s])->link_pool;
    return (uint64_t)en(E, v)->ring_n + own;
}

static void eg_report(sim_world *w, void *ps, ana_metrics *m)
{
    eg *E = ps;
    const sim_topo *t = sim_world_topo(w);
    uint32_t secured = 0;

    eg_sync(E);                           /* cut links, samples */
    for (uint32_t l = 0; l < t->n_links; l++)
        secured += link_up(E, t->links[l].a, t->links[l].b);
    for (uint32_t v = 0; v < E->n; v++)
        pk_count(&E->b, E->m_dropped, en(E, v)->pend.n); /* never sent */
    /* key.rekey: a round from the revocation until its last lost link
     * was secured again (links lost for good, e.g. without a path, are
     * in eg.links.lost - eg.links.resecured). */
    for (uint32_t r = 0; r < E->n_round; r++) {
        sim_time up = E->part[0].last_up[r];       /* the later of the */
        if (E->pof && E->part[1].last_up[r] > up)  /*   partitions'    */
            up = E->part[1].last_up[r];
        if (up)
            pk_count(&E->b, E->b.m_rekey,
                     sim_time_to_s(up - E->round[r].start));
    }
    ana_metric_set(m, E->m_share, E->share_meas);
    ana_metric_set(m, E->m_share_th,
                   ana_eg_pq(E->o->pool, E->o->ring, E->o->q));
    ana_metric_set(m, E->m_conn_direct,
                   E->conn_direct_set ? E->conn_direct : connectivity(E, 1));
    ana_metric_set(m, E->m_conn, connectivity(E, 0));
    ana_metric_set(m, E->m_links, t->n_links);
    ana_metric_set(m, E->m_secured, secured);
    pk_report_crypto(t, E->b.ops, m);
}

/* ------------------------------------------------------------------------
 * Inspection and revocation (eg.h)
 * ---------------------------------------------------------------------- */

static eg *E_of(const sim_world *w)
{
    if (sim_world_scenario(w)->proto != &sim_proto_eg)
        return NULL;
    return sim_world_proto_state((sim_world *)w);
}

/* A revocation round: the home SO of every node to tell (all nodes but c
 * when `holder` is SIM_NONE, else the holders of pool key `holder`;
 * never a captured node or one whose SO is captured) sends it the ids
 * (ascending) and c, the captured node or SIM_NONE.  Returns the nodes
 * told. */
static uint32_t revoke_round(eg *E, uint32_t c, const uint32_t *ids,
                             uint32_t n, uint32_t holder)
{
    sim_world *w = E->b.w;
    uint32_t r, told = 0;
    unsigned char *body;
    size_t len;

    assert(E->glob);                      /* run-wide (eg_revoke*) */
    eg_sync(E);                           /* before reading links */
    if (!E->conn_direct_set) {            /* metric: "after discovery" */
        E->conn_direct = connectivity(E, 1);
        E->conn_direct_set = 1;
    }
    r = E->n_round++;
    E->round = xrealloc(E->round, E->n_round * sizeof *E->round);
    memset(&E->round[r], 0, sizeof E->round[r]);
    E->round[r].start = sim_world_now(w);
    for (int k = 0; k < (E->pof ? 2 : 1); k++) {
        eg_part *P = &E->part[k];
        P->last_up = xrealloc(P->last_up, E->n_round * sizeof *P->last_up);
        P->last_up[r] = 0;
    }
    len = 12 + 4 * (size_t)n;
    body = xmalloc(len);
    sim_put32(body, c);
    sim_put32(body + 4, r);
    sim_put32(body + 8, n);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(body + 12 + 4 * (size_t)i, ids[i]);
    for (uint32_t v = 0; v < E->n; v++) {
        uint32_t so = sim_world_home_so(w, v);
        if (v == c || en(E, v)->captured || so == SIM_NONE ||
            en(E, so)->captured ||
            (holder != SIM_NONE && !holds(E, v, holder)))
            continue;
        told++;
        if (so == v) {
            revoke_apply(E, v, c, ids, n, r);
            continue;
        }
        if (!pk_key(&E->b, so, N_DEV | v))  /* the SO's copy, on demand */
            pk_key_put(&E->b, so, N_DEV | v,
                       key_generate(E, so, DEV_STREAM, v, NULL));
        send_msg(E, so, v, M_REVOKE, body, len, pk_key(&E->b, so, N_DEV | v),
                 N_DEV | v);
    }
    free(body);
    return told;
}

int eg_revoke(sim_world *w, uint32_t c)
{
    eg *E = E_of(w);

    int told;

    if (!E || c >= E->n)
        return -1;
    /* Locality exception: the revocation controller (the scenario's
     * revoke_at, or a detection) knows the rings it predistributed and the
     * nodes it revoked; the SOs then tell their nodes by REVOKE. */
    sim_world_exempt(w, "E-G revocation controller");
    E->glob = 1;                  /* run-wide (sim_world_at_global) */
    told = en(E, c)->captured ? -1 : 0;
    if (told == 0) {
        en(E, c)->captured = 1;
        told = (int)revoke_round(E, c, E->orig + (size_t)c * E->o->ring,
                                 E->o->ring, SIM_NONE);
    }
    E->glob = 0;
    sim_world_exempt_end(w);
    return told;
}

int eg_revoke_key(sim_world *w, uint32_t id)
{
    eg *E = E_of(w);
    uint32_t v;

    int told = 0;

    if (!E || id >= E->o->pool)
        return -1;
    sim_world_exempt(w, "E-G revocation controller");  /* as eg_revoke */
    E->glob = 1;                  /* run-wide, as eg_revoke */
    for (v = 0; v < E->n; v++)        /* a round only if someone holds it */
        if (!en(E, v)->captured && holds(E, v, id))
            break;
    if (v < E->n)
        told = (int)revoke_round(E, SIM_NONE, &id, 1, id);
    E->glob = 0;
    sim_world_exempt_end(w);
    return told;
}

uint32_t eg_pk_seen(const sim_world *w, uint32_t node, uint32_t *slots)
{
    eg *E = E_of(w);
    const egnode *n;
    sim_time now;
    uint32_t live = 0;

    if (slots)
        *slots = 0;
    if (!E || node >= E->n)
        return 0;
    n = en(E, node);
    now = sim_world_now(E->b.w);
    for (uint32_t i = 0; i < n->seen_cap; i++)
        live += n->seen[i].exp > now;
    if (slots)
        *slots = n->seen_cap;
    return live;
}

int eg_captured(const sim_world *w, uint32_t node)
{
    eg *E = E_of(w);
    return E && node < E->n && en(E, node)->captured;
}

uint32_t eg_ring(const sim_world *w, uint32_t node, uint32_t *out,
                 uint32_t n)
{
    eg *E = E_of(w);
    uint32_t k;
    if (!E || node >= E->n)
        return 0;
    k = en(E, node)->ring_n;
    memcpy(out, ring_of(E, node), (k < n ? k : n) * sizeof *out);
    return k;
}

int eg_holds(const sim_world *w, uint32_t node, uint32_t id)
{
    eg *E = E_of(w);
    return E && node < E->n && holds(E, node, id);
}

int eg_link_state(const sim_world *w, uint32_t a, uint32_t b)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    return l ? l->state : EG_LINK_NONE;
}

int eg_link_kind(const sim_world *w, uint32_t a, uint32_t b)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    return l ? l->kind : EG_KIND_NONE;
}

int eg_link_same_key(const sim_world *w, uint32_t a, uint32_t b)
{
    eg *E = E_of(w);
    eg_link *la, *lb;
    cry_key at, ar, bt, br;
    if (!E || a >= E->n || b >= E->n || !(la = link_of(E, a, b)) ||
        !(lb = link_of(E, b, a)))
        return 0;
    at = la->tx;
    ar = la->rx;
    bt = lb->tx;
    br = lb->rx;
    return at && ar && bt && br && cry_key_equal(E->b.ks, at, br) &&
           cry_key_equal(E->b.ks, bt, ar) && !cry_key_equal(E->b.ks, at, ar);
}

uint32_t eg_link_shared(const sim_world *w, uint32_t a, uint32_t b,
                        uint32_t *out, uint32_t n)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    if (!l || l->kind != EG_KIND_DIRECT)
        return 0;
    memcpy(out, shared_of(E, l),
           (l->n_shared < n ? l->n_shared : n) * sizeof *out);
    return l->n_shared;
}

uint32_t eg_link_via(const sim_world *w, uint32_t a, uint32_t b,
                     uint32_t *out, uint32_t n)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    if (!l || l->kind != EG_KIND_PATH)
        return 0;
    if (l->n_via)
        memcpy(out, via_at(E, l),
               (l->n_via < n ? l->n_via : n) * sizeof *out);
    return l->n_via;
}

/* ------------------------------------------------------------------------
 * The adversary (proto.h's atk_* hooks; the kb labels are in eg.h)
 *
 * What each attacker model gets from eg:
 *   capture   the node's ring (pool keys, material), its link keys
 *             (masters, material), its directional keys (keys, named as
 *             the headers name them), path keys awaiting their ack, its
 *             device key (an SO: the device keys it made for its nodes);
 *   derive    the directional key of a link from the pool keys it was
 *             built from (the shared ids are public: see eg_atk_derive),
 *             or from a link key held (a captured end's, a path key read
 *             in transit);
 *   learn     a path key read in a PATH_KEY message (the E–G weakness:
 *             whoever reads one hop of the path reads the key);
 *   leak      one pool key;
 *   react     eg_revoke (capture) or eg_revoke_key (leak), i.e. the real
 *             REVOKE messages and re-keying.  What the reaction sends is
 *             readable where the attacker still holds keys: REVOKE is
 *             sealed under the told node's device key (a captured SO
 *             holds those; its content is ids only, public anyway); a
 *             link set up again from its remaining shared ids is exposed
 *             iff the attacker holds those pool keys too; a link set up
 *             again by a path key is exposed as soon as one hop of the
 *             path is (the new key crosses each hop sealed under that
 *             hop's key).
 * ---------------------------------------------------------------------- */

/* The entry of (kind, label) whose value is key k of the protocol's store,
 * or ATK_NONE. */
static size_t kb_same(atk_kb *kb, atk_kind kind, uint64_t label,
                      const cry_keystore *ks, cry_key k)
{
    if (!k)
        return ATK_NONE;
    for (size_t i = atk_kb_find(kb, kind, label); i != ATK_NONE;
         i = atk_kb_next(kb, i))
        if (cry_key_equal_in(atk_kb_store(kb), atk_kb_key(kb, i), ks, k))
            return i;
    return ATK_NONE;
}

/* Adds key k of the protocol's store (if not 0) under (kind, label,
 * aux). */
static void kb_take(eg *E, atk_kb *kb, cry_key k, atk_kind kind,
                    uint64_t label, uint64_t aux)
{
    if (k)
        atk_kb_add(kb, kind, label, aux, E->b.ks, k);
}

static void eg_atk_capture(sim_world *w, void *ps, uint32_t v, atk_kb *kb)
{
    eg *E = ps;
    const sim_topo *t = E->b.t;
    const uint32_t *ring;
    (void)w;

    if (v >= E->n)
        return;
    ring = ring_of(E, v);
    for (uint32_t i = 0; i < en(E, v)->ring_n; i++)
        kb_take(E, kb, E->pool[ring[i]], ATK_MATERIAL, ring[i], ring[i]);
    kb_take(E, kb, pk_key(&E->b, v, N_DEV | v), ATK_KEY, EG_ATK_DEV(v), v);
    if (pk_is_so(&E->b, v))             /* copies made for REVOKE */
        for (uint32_t u = 0; u < E->n; u++)
            if (u != v)
                kb_take(E, kb, pk_key(&E->b, v, N_DEV | u), ATK_KEY,
                        EG_ATK_DEV(u), u);
    for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++) {
        uint32_t u = t->adj[s];
        const eg_link *c = &E->lk[E->rev[E->rev[s]]];  /* v's keys for u */
        kb_take(E, kb, c->link, ATK_MATERIAL, EG_ATK_LINK(v, u),
                E->lk[s].kind);
        kb_take(E, kb, c->pend, ATK_MATERIAL, EG_ATK_LINK(v, u),
                EG_KIND_PATH);
        kb_take(E, kb, c->tx, ATK_KEY, EG_ATK_DIR(v, u), 0);
        kb_take(E, kb, c->rx, ATK_KEY, EG_ATK_DIR(u, v), 0);
    }
}

/* Derives from link key `master` (in the base's store) the directional
 * key from -> to, as link_install does, and adds it under its header
 * name. */
static void kb_add_dir(atk_kb *kb, cry_key master, uint32_t from,
                       uint32_t to)
{
    cry_key k = cry_key_derive(atk_kb_store(kb), master, DIR_ID(from, to),
                               KDF_CTX, atk_kb_ops(kb));
    atk_kb_add_own(kb, ATK_KEY, EG_ATK_DIR(from, to), 0, k);
}

/* 1 if the base holds, as material, every pool key the direct link key
 * with shared ids l->shared is built from (q = 1: the smallest; q >= 2:
 * all of them). */
static int kb_has_pool_keys(const eg *E, const atk_kb *kb, const eg_link *l)
{
    uint32_t need = E->o->q == 1 ? 1 : l->n_shared;

    if (l->kind != EG_KIND_DIRECT || l->n_shared < E->o->q || need == 0)
        return 0;
    for (uint32_t i = 0; i < need; i++)
        if (atk_kb_find(kb, ATK_MATERIAL, shared_of(E, l)[i]) == ATK_NONE)
            return 0;
    return 1;
}

/* The link key of direct link (a, b) made from the base's pool keys
 * exactly as direct_key makes it (kb_has_pool_keys must hold): q = 1 the
 * entry of the smallest shared id itself, q >= 2 H over all shared keys
 * in id order, hashed with the base's counters and kept as material
 * EG_ATK_LINK(a, b).  Returns the entry. */
static size_t kb_direct_master(eg *E, atk_kb *kb, uint32_t a, uint32_t b,
                               const eg_link *l)
{
    unsigned char *buf, h[CRY_HG_BYTES];
    size_t len = (size_t)l->n_shared * CRY_KEY_BYTES;
    cry_key k;

    if (E->o->q == 1)
        return atk_kb_find(kb, ATK_MATERIAL, shared_of(E, l)[0]);
    buf = xmalloc(len);
    for (uint32_t i = 0; i < l->n_shared; i++)
        atk_kb_export(kb, atk_kb_find(kb, ATK_MATERIAL, shared_of(E, l)[i]),
                      buf + (size_t)i * CRY_KEY_BYTES);
    cry_count_concat(atk_kb_ops(kb), len);
    cry_H(h, buf, len, atk_kb_ops(kb));
    k = cry_key_import(atk_kb_store(kb), h);
    sodium_memzero(buf, len);
    sodium_memzero(h, sizeof h);
    free(buf);
    return atk_kb_add_own(kb, ATK_MATERIAL, EG_ATK_LINK(a, b),
                          EG_KIND_DIRECT, k);
}

/* Every message crossing link from -> to under a link key is sealed
 * under from's sending key to `to`, header name EG_ATK_DIR(from, to):
 * data hops, LINK_OK, PATH_KEY, PATH_ACK.  (REVOKE, under a device key,
 * travels several hops and is derivable from nothing.) */
static void eg_atk_derive(sim_world *w, void *ps, atk_kb *kb,
                          const sim_pkt *p, uint32_t from, uint32_t to)
{
    eg *E = ps;
    uint64_t name = EG_ATK_DIR(from, to);
    eg_link *l;
    (void)w;

    if (from >= E->n || to >= E->n || sim_pkt_key_name(p) != name ||
        !(l = link_of(E, from, to)))
        return;
    /* The base holds the key `from` seals with now: deriving again would
     * add nothing (the protocol's key is read only to skip that work). */
    if (atk_kb_holds(kb, name, E->b.ks, l->tx))
        return;
    /* What the link key was built from is public: both ends sent their
     * ring's ids in clear (HELLO), so an eavesdropper of discovery knows
     * their intersection, l->shared, and that fewer than q shared ids
     * means a path key.  It is read here from from's view of the link
     * instead of from recorded HELLOs. */
    if (kb_has_pool_keys(E, kb, l)) {
        kb_add_dir(kb, atk_kb_key(kb, kb_direct_master(E, kb, from, to, l)),
                   from, to);
        return;
    }
    /* Link keys the base holds: a captured end's, path keys read in
     * transit (a stale one derives a key that opens nothing). */
    for (size_t m = atk_kb_find(kb, ATK_MATERIAL, EG_ATK_LINK(from, to));
         m != ATK_NONE; m = atk_kb_next(kb, m))
        kb_add_dir(kb, atk_kb_key(kb, m), from, to);
}

/* Only PATH_KEY carries a key value; its data part (part 1) is [type]
 * u32 n, u32 pos, n path nodes (initiator first), the key.  HELLO and
 * REVOKE carry ids, LINK_OK and PATH_ACK one byte, data the
 * application's payload.  Any bytes are checked before use. */
static void eg_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                         const sim_pkt *p, int part, const unsigned char *pt,
                         size_t len)
{
    eg *E = ps;
    uint32_t n, a, z;
    (void)w;

    if (!p || !pt || part != 1 || sim_pkt_type_of(p) != SIM_PKT_CONTROL ||
        len < 9 || pt[0] != M_PATH_KEY)
        return;
    n = sim_get32(pt + 1);
    if (n < 3 || n > EG_MAX_HOPS + 2 ||
        len != 9 + 4 * (size_t)n + CRY_KEY_BYTES)
        return;
    a = sim_get32(pt + 9);
    z = sim_get32(pt + 9 + 4 * (size_t)(n - 1));
    if (a >= E->n || z >= E->n || !link_of(E, a, z))
        return;
    atk_kb_add_bytes(kb, ATK_MATERIAL, EG_ATK_LINK(a, z), EG_KIND_PATH,
                     pt + 9 + 4 * (size_t)n, CRY_KEY_BYTES);
}

/* One pool key, drawn uniformly among the ids some node still in the
 * network holds now (a revoked node's keys are revoked everywhere else:
 * leaking one reads nothing). */
static int64_t eg_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                           uint64_t (*draw)(void *ctx, uint64_t n),
                           void *ctx)
{
    eg *E = ps;
    uint32_t *holder = xmalloc(sizeof *holder * E->o->pool);
    uint64_t n = 0, k;
    uint32_t id = 0;
    (void)w;

    for (uint32_t i = 0; i < E->o->pool; i++)
        holder[i] = SIM_NONE;
    for (uint32_t v = 0; v < E->n; v++) {
        const uint32_t *ring = ring_of(E, v);
        for (uint32_t i = 0; i < en(E, v)->ring_n && !en(E, v)->captured;
             i++)
            if (holder[ring[i]] == SIM_NONE) {
                holder[ring[i]] = v;
                n++;
            }
    }
    if (n == 0) {
        free(holder);
        return -1;
    }
    k = draw(ctx, n);
    if (k >= n)
        k = n - 1;
    for (id = 0; id < E->o->pool; id++)   /* the k-th held id */
        if (holder[id] != SIM_NONE && k-- == 0)
            break;
    kb_take(E, kb, E->pool[id], ATK_MATERIAL, id, id);
    free(holder);
    return id;
}

static long eg_atk_react(sim_world *w, void *ps, int what, uint64_t id)
{
    int told = -1;
    const eg *E = ps;

    if (!E->o->capture_reaction)
        return 0;
    if (id < UINT32_MAX && what == ATK_REACT_CAPTURE)
        told = eg_revoke(w, (uint32_t)id);
    else if (id < UINT32_MAX && what == ATK_REACT_LEAK)
        told = eg_revoke_key(w, (uint32_t)id);
    return told < 0 ? 0 : told;
}

/* 1 if the base holds or can derive the current key of secured link
 * (a, b): a direct key from pool keys it holds, or the link key itself,
 * or both directional keys. */
static int link_exposed(eg *E, atk_kb *kb, uint32_t a, uint32_t b)
{
    eg_link *l = link_of(E, a, b);
    const cry_keystore *ks = E->b.ks;

    if (!l || l->kind == EG_KIND_NONE)
        return 0;
    if (kb_has_pool_keys(E, kb, l))
        return 1;
    if (kb_same(kb, ATK_MATERIAL, EG_ATK_LINK(a, b), ks,
                l->link) != ATK_NONE)
        return 1;
    return atk_kb_holds(kb, EG_ATK_DIR(a, b), ks,
                        l->tx) &&
           atk_kb_holds(kb, EG_ATK_DIR(b, a), ks,
                        l->rx);
}

/* The links: those secured at both ends (eg.links.secured), each pair
 * once, judged from the lower end's view. */
static void eg_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                            atk_exposure *out)
{
    eg *E = ps;
    const sim_topo *t = E->b.t;
    (void)w;

    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < t->n_links; i++) {
        uint32_t a = t->links[i].a, b = t->links[i].b, lo, hi;
        int x, clean;
        if (!link_up(E, a, b))
            continue;
        lo = a < b ? a : b;
        hi = a < b ? b : a;
        x = link_exposed(E, kb, lo, hi);
        clean = !atk_kb_captured(kb, a) && !atk_kb_captured(kb, b);
        out->links++;
        out->exposed += (uint64_t)x;
        out->links_clean += (uint64_t)clean;
        out->exposed_clean += (uint64_t)(clean && x);
    }
}

/* A well-formed forgery (proto.h atk_forge): data as sealed_send makes it
 * at the transmitting node — sealed for one hop under the node's sending
 * key to a neighbour (the entry's label names both: EG_ATK_DIR(sender,
 * nh), eg_route sends it there), the hop sender set to the transmitting
 * node.  The next hop opens it with its receiving key from that node and
 * re-seals it towards the SO: E–G keys links, not sources, so whoever
 * holds a link key may claim any source. */
static sim_pkt *eg_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                             const atk_forge_req *rq)
{
    eg *E = ps;
    uint64_t name;

    if (rq->key >= atk_kb_count(kb) || atk_kb_kind(kb, rq->key) != ATK_KEY)
        return NULL;
    name = atk_kb_label(kb, rq->key);
    if (rq->what == ATK_FORGE_INVAL) {
        /* revoke_round's REVOKE, [c][r][n][ids] sealed under a device key
         * (the entry, N_DEV | x: a captured node's own) "from" dst's home
         * SO to dst, header name N_DEV | x.  The attacker's claim: a pool-
         * key revocation (c = SIM_NONE, as eg_revoke_key's) of round 0
         * (the first, any round the node knows of passes) revoking the
         * smallest pool id the attacker holds, or none.  on_revoke opens
         * it with dst's own device key: only x == dst takes it (the
         * captured node revokes keys of its own ring: harm to itself);
         * sent to any other node it fails to open and is refused. */
        unsigned char body[16];
        uint32_t n = 0, id = UINT32_MAX;
        atk_forge_req r = *rq;
        if ((name & (0xfull << 60)) != N_DEV || rq->dst == SIM_NONE ||
            rq->dst >= E->n)
            return NULL;
        for (size_t i = 0; i < atk_kb_count(kb); i++) {
            uint64_t l = atk_kb_label(kb, i);
            if (atk_kb_kind(kb, i) == ATK_MATERIAL && (l >> 60) == 0 &&
                l < E->o->pool && (uint32_t)l < id)
                id = (uint32_t)l;
        }
        n = id != UINT32_MAX;
        r.src = sim_world_home_so(w, rq->dst);
        if (r.src == SIM_NONE || r.src == rq->dst)
            return NULL;
        sim_put32(body, SIM_NONE);
        sim_put32(body + 4, 0);
        sim_put32(body + 8, n);
        sim_put32(body + 12, id);
        return atk_kb_forge_ctl(w, kb, &r, M_REVOKE, body, 12 + 4 * n, name,
                                0);
    }
    if (rq->what != ATK_FORGE_DATA)
        return NULL;
    if ((name & (0xfull << 60)) != N_TX ||
        ((name >> 32) & 0x0fffffffull) != rq->sender)
        return NULL;
    return atk_kb_forge_data(w, kb, rq, name, 0, ATK_NONE, rq->sender);
}

/* Estimate hook (estimate.h): 867 B per node beyond `none` as built
 * (measured with the default ring, see estimate.c) and 2,100 B per link
 * as the run secures the links, plus the pool: an index per key while
 * rings are drawn and a value for every key some ring holds. */
static void eg_estimate(const scenario *sc, sim_estimate *e)
{
    const eg_opts *o = sc->proto_opts;
    double src, so, nodes, held;

    sim_est_counts(sc, &src, &so, &nodes);
    held = nodes * o->ring < o->pool ? nodes * o->ring : o->pool;
    /* + 2,100 B per radio link as the run secures them (issue 22,
     * estimate.c) */
    sim_est_state(e, "topology.sources", &sc->mk_nodes,
                  867.0 * nodes + 2100.0 * e->links);
    sim_est_state(e, "protocol.pool", &o->pool_mark,
                  12.0 * o->pool + 113.0 * held);
}

const scn_proto_ops sim_proto_eg = {
    .name = "eg",
    .summary = "Eschenauer-Gligor random key predistribution (q-composite "
               "with q >= 2), path keys, revocation",
    .opts_parse = eg_opts_parse,
    .opts_free = eg_opts_free,
    .node_state_size = sizeof(egnode),
    /* Partition-safe (THREADS.md): the start-up and the revocation rounds
     * are run-wide events; every other event writes its node's records
     * and its partition's eg_part; ids, sids and path-key material are
     * per node; the cut links' accounting and the SAMPLES are replayed by
     * key (eg_sync); secured_graph is refused split.  Key material goes
     * through key_derive / key_import / key_generate into the store part
     * of the node's partition; pool keys one copy per part (pool_key). */
    .threads_ok = 1,
    .init = eg_init,
    .estimate = eg_estimate,
    .deinit = eg_deinit,
    .protect = eg_protect,
    .unprotect = eg_unprotect,
    .route = eg_route,
    .forward = eg_forward,
    .on_control = eg_control,
    .storage = eg_storage,
    .storage_marks = 1,                 /* E->stor: kind_set, revoke_apply */
    .keys = eg_keys,
    .report = eg_report,
    .atk_capture = eg_atk_capture,
    .atk_leak = eg_atk_leak,
    .atk_react = eg_atk_react,
    .atk_learn = eg_atk_learn,
    .atk_derive = eg_atk_derive,
    .atk_exposure = eg_atk_exposure,
    .atk_forge = eg_atk_forge,
};
