/* pk.h — the protocol kit: what the key-management protocols share.  A key
 * store with a (holder, name) -> key table, per-node crypto counters and
 * simulated CPU (every operation costs the node's device-profile time; a
 * node's messages leave once its CPU has done the work they need),
 * control messages built, sealed and opened the same way, data held while
 * a key is not ready, a replay window, metric tables, and the metrics every
 * protocol reports under the same names so that `kmsim compare` can set
 * them side by side:
 *   key.setup  (s, samples)  a source's wait for the key it seals its data
 *                            with, from when it needs it until it holds it
 *   key.rekey  (s, samples)  a key replacement round, from its start until
 *                            the last holder has the new key (last ack)
 *   crypto.<op>, crypto.<op>.per_node (op)  operations by kind
 * A protocol embeds a pk (first) in its state and calls pk_init/pk_deinit. */
#ifndef KMSIM_PK_H
#define KMSIM_PK_H

#include <stddef.h>
#include <stdint.h>
#include "cry_key.h"
#include "kmap.h"
#include "metrics.h"
#include "scenario.h"
#include "world.h"
#include "kb.h"

#define PK_PEND_MAX 1024u    /* data held per queue while a key is missing */

/* Per-node bookkeeping. */
typedef struct pk_node {
    sim_time cpu_free;       /* its CPU is busy until                      */
    sim_time cpu_due;        /* work charged by the current handler        */
    uint32_t seq;            /* header seq of the last message it sent     */
    uint8_t so;              /* an SO (its device profile, pk_charge):     */
                             /*   pk_is_so, beside what a charge writes    */
} pk_node;

struct pk;

/* A message kept for retransmission until its answer arrives. */
typedef struct pk_rtx {
    sim_pkt *copy;           /* the bytes sent; NULL: free slot            */
    uint32_t from, to, seq;
    uint32_t ref;            /* the protocol's reference                   */
    uint32_t next_free;
    uint8_t type, tries;
} pk_rtx;

/* The retransmission state of one partition (--threads, THREADS.md): only
 * events of its nodes (the senders) write it. */
typedef struct pk_rtxs {
    pk_rtx *rtx;
    size_t n_rtx, cap_rtx;
    uint32_t rtx_free;       /* free slot list, UINT32_MAX: none           */
    kmap rtxmap;             /* (sender, seq) -> slot                      */
} pk_rtxs;

/* Called when a message was retransmitted rtx_max times unanswered. */
typedef void (*pk_giveup_fn)(struct pk *b, uint32_t from, uint32_t to,
                             int type, uint32_t ref);

/* Partitions (--threads 2, sim/THREADS.md step 3): the world's partition
 * is fixed before pk_init.  Everything pk writes during events is per node
 * or per partition, selected by the partition of the node whose event
 * runs (pk_part): the key store has one part per partition and a node's
 * keys live in its own (allocate with pk_key_generate / _import /
 * _derive); the (holder, name) table, retransmission state, replay
 * windows and tally side tables are one per partition.  With one
 * partition (every run without --threads 2) all of it is the one
 * instance it was before, and handles, tables and results are the same. */
typedef struct pk {
    sim_world *w;
    const sim_topo *t;
    cry_keystore *ks;        /* every key value of the run, one part per   */
                             /*   partition (cry_keystore_new_parts)       */
    uint8_t *part;           /* per node: its partition; NULL: one         */
    unsigned nparts;         /* partitions (1 or 2)                        */
    kmap keys[CRY_PARTS_MAX]; /* per partition: (holder, name) -> cry_key  */
    cry_ops *ops;            /* per node                                   */
    pk_node *node;           /* per node                                   */
    uint32_t *so_ord;        /* node -> SO ordinal, UINT32_MAX otherwise   */
    uint32_t *so_node;       /* SO ordinal -> node                         */
    uint32_t n_nodes, n_so;
    int m_setup, m_rekey;    /* key.setup, key.rekey                       */
    /* retransmission (pk_rtx_setup) */
    sim_time rtx_after;      /* first timeout, doubling; 0: never resend   */
    uint32_t rtx_max;        /* resends before giving up                   */
    pk_giveup_fn giveup;
    pk_rtxs rt[CRY_PARTS_MAX]; /* per partition                            */
    int m_rtx, m_gaveup;     /* counters given to pk_rtx_setup (or -1)     */
    const int *rtx_msgs;     /* per message type: counter of messages a    */
    size_t rtx_n_msgs;       /*   resend adds to (pk_rtx_msg_metrics)      */
} pk;

/* Sets up b for world w (key store seeded from the run seed, tables,
 * key.setup and key.rekey registered).  0; err is kept for protocols that
 * check more (a resource the system refuses ends the process: xfail). */
int pk_init(pk *b, sim_world *w, char *err, size_t errlen);
/* Wipes every key and frees what pk_init allocated. */
void pk_deinit(pk *b);

/* Node v's partition (0 with one; a node >= n_nodes, e.g. an attacker's
 * id: 0). */
static inline unsigned pk_part(const pk *b, uint32_t v)
{
    return b->part && v < b->n_nodes ? b->part[v] : 0;
}
/* Test build (-DKMSIM_LOCALITY): per-partition state of partition `part`
 * (named `what`) is about to be written; during an event (the world's
 * actor is a node) the running partition (sim_world_cur_part) must be
 * `part`, else one line on stderr and abort().  Set-up and reports (no
 * actor) are exempt.  Nothing in the normal build. */
#ifdef KMSIM_LOCALITY
void pk_part_write(const pk *b, unsigned part, const char *what);
#else
#define pk_part_write(b, part, what) ((void)0)
#endif
/* New keys held by node v, in the store part of v's partition: fresh
 * material (cry_key_generate), a received value (cry_key_import; the
 * caller wipes val), f of master (cry_key_derive, counted in ops). */
cry_key pk_key_generate(pk *b, uint32_t v, uint64_t stream, uint64_t counter,
                        cry_ops *ops);
cry_key pk_key_import(pk *b, uint32_t v,
                      const unsigned char val[CRY_KEY_BYTES]);
cry_key pk_key_derive(pk *b, uint32_t v, cry_key master, uint64_t id,
                      const char ctx[8], cry_ops *ops);

int pk_is_so(const pk *b, uint32_t v);
scn_role pk_role(const pk *b, uint32_t v);

/* The key `name` held by `holder`, or 0. */
cry_key pk_key(const pk *b, uint32_t holder, uint64_t name);
/* holder now holds k as `name` (a key it held under that name is wiped). */
void pk_key_put(pk *b, uint32_t holder, uint64_t name, cry_key k);
/* Wipes holder's `name`; 1 if it held one, else 0. */
int pk_key_del(pk *b, uint32_t holder, uint64_t name);

/* A key of the (holder, name) table. */
typedef struct pk_held {
    uint32_t holder;
    uint64_t name;
    cry_key key;             /* the holder's handle                        */
} pk_held;
/* Every key `holder` holds (every holder's when holder is SIM_NONE),
 * sorted by (holder, name), so the order never depends on the table's
 * hashing.  *out is malloc'd (NULL when none; the caller frees it);
 * returns the count.  Cost: a scan of the whole table, O(table + k log
 * k) — for the attacker hooks (a capture, an exposure count), never for
 * per-message paths. */
size_t pk_keys_held(const pk *b, uint32_t holder, pk_held **out);

/* Charges v's CPU with the device-profile cost of `op` on `bytes`. */
void pk_charge(pk *b, uint32_t v, scn_op op, size_t bytes);
/* Sends p from v once v's CPU has done the work charged so far (control
 * messages and data leaving their origin are counted as originated). */
void pk_send(pk *b, uint32_t v, sim_pkt *p);

/* A control message from `from` to `to`: control part [type] (clear),
 * data part [type] + body, sealed end to end under k (header key name
 * `name`, session `session`) unless k is 0.  The header carries from's
 * next seq (pk_node.seq).  Charges the seal.  Never fails (a fresh
 * counter cannot repeat). */
sim_pkt *pk_msg(pk *b, uint32_t from, uint32_t to, int type,
                const unsigned char *body, size_t len, cry_key k,
                uint64_t name, uint32_t session);
/* The type byte of a control message (its data part's first byte when
 * the data part is clear), or -1 if it is malformed. */
int pk_msg_type(const sim_pkt *p);
/* Opens message p's data part at `node` under k (charged) when sealed and
 * checks that its first byte repeats the control part's type.  Returns
 * the body after the type byte (*len its length), or NULL if it does not
 * open (wiped) or is malformed — then `node` has refused p
 * (sim_world_refuse).  k == 0 accepts only a clear data part. */
const unsigned char *pk_msg_open(pk *b, uint32_t node, sim_pkt *p, cry_key k,
                                 size_t *len);

/* ---- The adversary (atk_hooks.h, attack/kb.h) ---- */

/* How a protocol names one of its keys to the attacker: 0 with the
 * entry's kind, label (for keys, the header key name of messages sealed
 * under it) and aux filled in, or -1 to leave it out. */
typedef int (*pk_atk_map_fn)(void *ps, uint32_t holder, uint64_t name,
                             atk_kind *kind, uint64_t *label,
                             uint64_t *aux);
/* Physical compromise of `holder`: adds to kb every key it holds (table
 * order: by name), as `map` names them.  Returns the number of keys
 * handed over (entries already in kb count too). */
size_t pk_atk_capture(pk *b, uint32_t holder, atk_kb *kb,
                      pk_atk_map_fn map, void *ps);
/* `node` refuses p, a control message it received (sim_world_refuse).
 * The protocols call it wherever they drop one (not authentic, replayed,
 * duplicate, stale, malformed, unexpected) before freeing it. */
void pk_refuse(pk *b, uint32_t node, sim_pkt *p);

/* Seals a data packet's data part at its source under k (charged), with
 * header key name and session.  0, or -1 if already sealed. */
int pk_seal_data(pk *b, uint32_t src, sim_pkt *p, cry_key k, uint64_t name,
                 uint32_t session);
/* Opens it at `node` (charged).  0, or -1 (wiped; `node` has refused
 * p, sim_world_refuse). */
int pk_open_data(pk *b, uint32_t node, sim_pkt *p, cry_key k);

/* ---- Per-hop MAC (kmsim extension; option per_hop_mac) ----
 * Off by default (the papers relay data sealed end to end untouched, seed
 * 001: "no hop-by-hop encryption/decryption is required" once a key is
 * established).  On, a data message or publish sealed end to end also
 * carries a MAC of its header: its control part (empty for data) sealed
 * under a key of the hop, the header as associated data.  The origin MACs
 * it, every relay that holds the protocol's key for the hop verifies it
 * and MACs it again as hop sender (a relay that holds none passes it on as
 * it is: the next holder checks the last MAC), and the destination
 * verifies it before it opens the data part.  A tampered header, or a
 * message injected under no key of the hop, is refused at the next holder
 * instead of at the destination.  Every protocol that relays data under an
 * end-to-end key takes the option (dini, netkey, pairwise, dipietro); eg
 * seals its data hop by hop by design. */

/* Reads option per_hop_mac (bool, default false) from m. */
int pk_per_hop_mac_parse(scn_map *m, int *out);
/* 1 if p is a data message or publish whose data part is sealed (what a
 * per-hop MAC covers), else 0. */
int pk_hop_covered(const sim_pkt *p);
/* Seals p's control part at v under k, v as hop sender (charged).  0, or
 * -1 if it is already sealed or k is 0. */
int pk_hop_seal(pk *b, uint32_t v, sim_pkt *p, cry_key k);
/* Verifies (opens) p's control part at v under k or, when that fails and
 * prev is not 0, under prev (each try charged).  Returns the key that
 * verified it, or 0 (no MAC, or not authentic: the caller drops p). */
cry_key pk_hop_open(pk *b, uint32_t v, sim_pkt *p, cry_key k, cry_key prev);
/* A relay's whole step: verifies p at v under in (or in_prev), MACs it
 * again under out (the key that verified it when out is 0) and sends it
 * after v's CPU work.  1 when sent, -1 when p must be dropped (the world
 * counts and refuses it: the hooks.h forward contract). */
int pk_hop_relay(pk *b, uint32_t v, sim_pkt *p, cry_key in, cry_key in_prev,
                 cry_key out);

/* For tests: node's crypto operation counters in a run of a protocol built
 * on pk (netkey, pairwise, dipietro, eg), or NULL. */
const cry_ops *pk_node_ops(const sim_world *w, uint32_t node);

/* Retransmission.  The protocol's state must begin with its pk (the
 * timer finds it through sim_world_proto_state).  pk_rtx_send sends p
 * (after from's CPU work, as pk_send) and keeps a copy; if no answer
 * echoing its seq has arrived after `after` (doubling each time), the same
 * bytes are sent again, at most `max` times, then `giveup` is called.
 * m_rtx / m_gaveup: counter metrics to add to (or -1). */
void pk_rtx_setup(pk *b, sim_time after, uint32_t max, pk_giveup_fn giveup,
                  int m_rtx, int m_gaveup);
/* Each resend of a message of type t also adds 1 to counter m_msgs[t]
 * (t < n, m_msgs[t] >= 0): resends are messages too.  The array must
 * outlive the run (it lives in the protocol's state). */
void pk_rtx_msg_metrics(pk *b, const int *m_msgs, size_t n);
void pk_rtx_send(pk *b, uint32_t from, sim_pkt *p, uint32_t ref);
/* The answer to from's message `seq` arrived: 1 if it was awaited (the
 * copy is dropped; *ref gets its ref when ref != NULL) or retransmission
 * is off, 0 for an answer already received or never expected. */
int pk_rtx_done(pk *b, uint32_t from, uint32_t seq, uint32_t *ref);
/* Stops retransmitting every message from `from` to `to` (SIM_NONE: to
 * anyone), e.g. the receiver was revoked or the messages are outdated:
 * the copies are dropped, `giveup` is not called.  Returns how many were
 * awaiting an answer.  O(messages kept). */
uint32_t pk_rtx_cancel(pk *b, uint32_t from, uint32_t to);

/* Data waiting for a key, in arrival order. */
typedef struct pk_queue {
    sim_pkt *head, *tail;
    uint32_t n;
} pk_queue;
/* Appends p; 0, or -1 when PK_PEND_MAX are already waiting (p is not
 * taken: the caller drops it). */
int pk_queue_push(pk_queue *q, sim_pkt *p);
sim_pkt *pk_queue_pop(pk_queue *q);           /* NULL when empty */
void pk_queue_clear(pk *b, pk_queue *q);      /* frees what waits */

/* Anti-replay window over nonce counters (RFC 4303 style, 64 wide).
 * All zero: nothing accepted yet.  Once something is, bit 0 (top itself)
 * is set, so mask != 0 says "something accepted" without a flag: 16
 * bytes, four windows to a cache line (eg keeps one per link end). */
typedef struct pk_replay {
    uint64_t top;            /* highest counter accepted                   */
    uint64_t mask;           /* bit i: top - i accepted; 0: none yet       */
} pk_replay;
/* 0 and records ctr if it was never accepted and is within the window;
 * -1 if replayed or too old. */
int pk_replay_check(pk_replay *r, uint64_t ctr);

/* Replay windows per (receiver, sender), each following the sender's two
 * most recent key versions (a new value restarts its nonce counter). */
typedef struct pk_replays_win {
    uint32_t ver[2];
    uint8_t used[2];
    pk_replay r[2];
} pk_replays_win;

typedef struct pk_replays_part {
    kmap idx;                /* (receiver, sender) -> index in win         */
    pk_replays_win *win;
    size_t n, cap;
} pk_replays_part;

/* One set per partition (the receiver's: pk_part). */
typedef struct pk_replays {
    pk_replays_part p[CRY_PARTS_MAX];
} pk_replays;

void pk_replays_init(pk_replays *r);
/* Locality check (sim_world_own) on every partition's index. */
void pk_replays_own(sim_world *w, pk_replays *r, const char *name);
void pk_replays_deinit(pk_replays *r);
/* 0 and records counter ctr of key version ver from sender at receiver
 * (in partition `part`, the receiver's);
 * -1 if it was accepted before, is too old for the window, or belongs to
 * a version older than the two tracked. */
int pk_replays_check(pk_replays *r, unsigned part, uint32_t receiver,
                     uint32_t sender, uint32_t ver, uint64_t ctr);
/* The check of pk_replays_check on one window (a protocol keeping its own
 * index of windows): 0 and records ctr of version ver, or -1. */
int pk_replays_win_check(pk_replays_win *w, uint32_t ver, uint64_t ctr);
/* The data nonce counter of a packet (wire header), or UINT64_MAX if the
 * header does not parse. */
uint64_t pk_data_counter(const sim_pkt *p);
/* pk_replays_check for packet p at `receiver` (sender: its header's src,
 * counter: its data nonce counter); on -1 the receiver has refused p
 * (sim_world_refuse). */
int pk_replays_check_pkt(pk *b, pk_replays *r, uint32_t receiver,
                         sim_pkt *p, uint32_t ver);

/* Per-node counts in one byte each, so that a read per event (a
 * protocol's storage hook, called for the node of every event) stays in
 * cache at 10^5 nodes and more: a count of PK_TALLY_BIG or more is kept
 * exactly in a side table (its byte reads PK_TALLY_BIG).  Counts are
 * never negative. */
#define PK_TALLY_BIG 255u
typedef struct pk_tally {
    uint8_t *c;              /* per node; PK_TALLY_BIG: see big            */
    kmap big[CRY_PARTS_MAX]; /* per partition: (node, 0) -> count, for     */
                             /*   those >= BIG                             */
    const uint8_t *part;     /* per node: its partition (pk.part); NULL: 0 */
    uint32_t n;              /* nodes                                      */
    sim_world *marks;        /* non-NULL: pk_tally_marks                   */
} pk_tally;
/* n nodes, every count 0 (a resource refused ends the process: xfail). */
void pk_tally_init(pk_tally *t, uint32_t n);
/* Node v's side-table entry goes to table part[v] (b->part of a pk; NULL:
 * one), so two partitions never write one table.  Before any add. */
void pk_tally_parts(pk_tally *t, const uint8_t *part);
void pk_tally_deinit(pk_tally *t);           /* safe on a zeroed one */
/* Node v's count (v < n). */
uint32_t pk_tally_get(const pk_tally *t, uint32_t v);
/* Adds d to node v's count (v < n; the result must not be negative nor
 * exceed UINT32_MAX: an assert). */
void pk_tally_add(pk_tally *t, uint32_t v, int32_t d);
/* From now on every pk_tally_add marks v's storage as changed in w
 * (sim_world_storage_changed): for a protocol whose storage hook reads
 * this tally alone and whose ops set storage_marks. */
void pk_tally_marks(pk_tally *t, sim_world *w);

/* A table of a protocol's metrics: each registered into the int at
 * `off` bytes into the protocol's state, in table order (the CSV rows'
 * order). */
typedef struct pk_metric {
    size_t off;
    const char *name, *unit;
    ana_kind kind;
} pk_metric;
void pk_metrics_reg(ana_metrics *m, void *state, const pk_metric *t, size_t n);
void pk_count(pk *b, int metric, double v);   /* ana_metric_add */

/* crypto.<op> (total) and crypto.<op>.per_node (samples over the nodes
 * other than subscribers) from per-node counters ops[t->n_nodes]. */
void pk_report_crypto(const sim_topo *t, const cry_ops *ops, ana_metrics *m);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_pk[];

#endif
