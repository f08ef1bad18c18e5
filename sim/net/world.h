/* world.h — one simulated world: the topology with its links and transmit
 * queues, shortest-path forwarding, smart objects (registration, FCFS
 * request queue, raw store -> processing -> publish by MQTT topic),
 * subscribers, source traffic, the protocol hooks and the attacker taps.
 * A world is built from a scenario and a replication seed, run once, and
 * freed; two worlds can live in one process (no globals). */
#ifndef KMSIM_WORLD_H
#define KMSIM_WORLD_H

#include <stddef.h>
#include <stdint.h>
#include "scenario.h"
#include "sched.h"
#include "rng.h"
#include "topo.h"
#include "metrics.h"
#include "stats.h"
#include "wire.h"

typedef struct sim_world sim_world;   /* opaque */
struct kmap;                          /* kmap.h */

/* ---- Packets -------------------------------------------------------------
 * A packet is the bytes that cross the links (layout in wire.h: header,
 * control part, data part) plus simulator metadata that is not on the
 * wire (creation time, origin), like ns-3's tags.  Forwarders read dst
 * from the bytes. */
#define SIM_PKT_MAX   (128u * 1024u)  /* largest wire size               */
#define SIM_PAYLOAD_MAX (64u * 1024u) /* largest application payload     */
#define SIM_NONE      UINT32_MAX      /* "no node"                       */

typedef enum sim_pkt_type {
    SIM_PKT_REGISTER = 1,  /* source -> SO: registration request         */
    SIM_PKT_REGISTER_ACK,  /* SO -> source: identifier (u64, control)     */
    SIM_PKT_DATA,          /* source -> SO: payload (data part)           */
    SIM_PKT_PUBLISH,       /* SO -> subscriber: data part = u16 topic     */
                           /*   length, topic, payload (MQTT-like)        */
    SIM_PKT_CONTROL,       /* protocol messages (key management)          */
    SIM_PKT_TYPE_COUNT
} sim_pkt_type;

typedef struct sim_pkt {
    struct sim_pkt *next;  /* free list / hold queue / SO queue link      */
    sim_time created;      /* when the application created the message    */
    sim_time arrived;      /* when it entered the current SO queue        */
    sim_time sent;         /* when it first left a node (sim_world_send), */
                           /*   -1: not yet; a publish keeps its data's   */
    sim_time served;       /* data: when its SO finished serving it, -1   */
    sim_time mark;         /* a protocol's metric stamp carried with the  */
                           /*   message, never on the wire nor read by a  */
                           /*   decision (Di Pietro: an enrolment's start, */
                           /*   a member's update CPU); 0 when made       */
    uint32_t origin;       /* source node that created the data           */
    uint32_t len;          /* wire bytes used in buf                      */
    uint32_t cap;          /* bytes available in buf                      */
    uint32_t payload;      /* application payload bytes in the data part  */
    uint8_t cls;           /* pool size class                             */
    uint8_t atk_state;     /* attack bookkeeping (world_so.c), with ...   */
    uint16_t atk;          /* the attacker that injected or altered it    */
                           /*   (index + 1), 0: none; clones get 0        */
    uint32_t atk_class;    /* what it is, for its outcome (sim_world_obs) */
    unsigned char buf[];   /* wire bytes                                  */
} sim_pkt;

/* Header accessors (read the wire bytes). */
sim_pkt_type sim_pkt_type_of(const sim_pkt *p);
uint32_t sim_pkt_src(const sim_pkt *p);
uint32_t sim_pkt_dst(const sim_pkt *p);
uint16_t sim_pkt_hops(const sim_pkt *p);
uint32_t sim_pkt_seq(const sim_pkt *p);
const char *sim_pkt_type_name(sim_pkt_type t);

/* Allocates a packet from the world's pool (no malloc once the pool is
 * warm) with a control part of `ctl` and a data part of `data` plaintext
 * bytes, both zeroed, room for both tags, and writes the header (no key,
 * nothing sealed).  len = SIM_HDR_BYTES + ctl + data; ctl + data must be
 * <= SIM_PKT_MAX - SIM_HDR_BYTES - 2 tags (assert). */
sim_pkt *sim_pkt_new(sim_world *w, sim_pkt_type type, uint32_t src,
                     uint32_t dst, uint32_t seq, uint32_t ctl,
                     uint32_t data);
/* The same with no room for tags, for a message that travels in clear
 * (sealing it fails: sim_pkt_seal_* return -1): a discovery burst of a
 * million of them is 32 MB smaller. */
sim_pkt *sim_pkt_new_clear(sim_world *w, sim_pkt_type type, uint32_t src,
                           uint32_t dst, uint32_t seq, uint32_t ctl,
                           uint32_t data);
void sim_pkt_free(sim_world *w, sim_pkt *p);     /* NULL is a no-op */
/* A copy of p (bytes and metadata) from the pool. */
sim_pkt *sim_pkt_clone(sim_world *w, const sim_pkt *p);
/* Packets handed out so far by sim_pkt_new and sim_pkt_clone (from the
 * pool or newly allocated): what a hot path costs in packets, for tests
 * and reports. */
uint64_t sim_world_pkt_taken(const sim_world *w);
/* Packets handed out and not freed yet: in flight, queued, held, kept for
 * retransmission (tests sample it to see a burst). */
uint64_t sim_world_pkt_live(const sim_world *w);

/* The packet pool's chunks (64 KiB, one size class each, up to 8 KiB
 * packets; larger ones are allocated one by one): in use by a class,
 * empty and resident (warm), empty and given back to the kernel (cold),
 * chunks given back so far, 2 MiB regions allocated.  For tests and
 * reports; results never depend on them. */
typedef struct sim_pool_stats {
    uint32_t chunks_used, chunks_warm, chunks_cold;
    uint64_t chunks_given;
    uint32_t regions;
} sim_pool_stats;
void sim_world_pool_stats(const sim_world *w, sim_pool_stats *out);
/* 0 if the pool's invariants hold (every chunk's, its lists', the chunk
 * count), -1 if not: O(packets), for tests. */
int sim_world_pool_check(const sim_world *w);

/* ---- Building and running ---- */

/* Builds the world of replication seed `seed` (topology, routing, SOs,
 * subscribers, traffic, moves, protocol state).  Returns NULL on failure
 * with one line in err, "file:line:column: message" (or "--set
 * path=value: message"): a bad move (`moves:` naming a node that is not a
 * source, a `to` that is not a smart object or cannot be reached, or the
 * SO the source already sends to then) at that entry, anything else (e.g.
 * a disconnected topology that must be connected, a protocol that cannot
 * be set up) at the topology mapping. */
sim_world *sim_world_new(const scenario *sc, uint64_t seed, char *err,
                         size_t errlen);
/* Same, guarded (issue 20, kmsim extension): the set-up polls g between
 * its phases and inside its long loops (the protocol's through
 * sim_world_setup_poll), and the event loop reads g->stop after every
 * event.  When g trips during the set-up the result is NULL, g->tripped
 * says why (SIM_GUARD_STOP or _MEMORY) and err holds a short reason.  g
 * (NULL: none) must outlive the world. */
struct sim_guard;
sim_world *sim_world_new_guarded(const scenario *sc, uint64_t seed,
                                 struct sim_guard *g, char *err,
                                 size_t errlen);
/* Same, split in two partitions from the start (THREADS.md): part_of[v]
 * (0 or 1) is node v's partition, set (sim_world_partition) before the
 * protocol's init, so that a protocol keeping state per partition
 * (sim_world_part_of) builds it there.  NULL: one partition, as
 * sim_world_new_guarded.  NULL and err set if a cut link has zero
 * latency. */
sim_world *sim_world_new_split(const scenario *sc, uint64_t seed,
                               struct sim_guard *g, const uint8_t *part_of,
                               char *err, size_t errlen);
/* Same, for --threads (kmsim extension, THREADS.md): threads 1 is
 * sim_world_new_guarded; 2 splits the nodes at the median x (ties by
 * index) before the protocol's init and gives each half a partition of
 * its own (sim_world_two_scheds); sim_world_run then runs them in
 * conservative windows of one lookahead (the smallest latency of a link
 * between the halves), partition 1 on a second thread (created at the
 * first sim_world_run, ended by sim_world_finish or sim_world_free) and
 * partition 0 on the calling thread: CSV and fingerprint equal to
 * threads 1.  NULL and err set when the protocol has not set threads_ok
 * ("--threads 2: protocol X does not run on two threads yet"), threads
 * is not 1 or 2, a link between the halves has zero latency or the
 * scenario has attackers. */
sim_world *sim_world_new_threads(const scenario *sc, uint64_t seed,
                                 struct sim_guard *g, int threads,
                                 char *err, size_t errlen);
/* The same as threads 2 for any protocol (threads_ok or not), but both
 * partitions run in turn on the calling thread: for tests, which check
 * that a protocol keeps the one-scheduler results when split before it
 * is marked threads_ok. */
sim_world *sim_world_new_alternating(const scenario *sc, uint64_t seed,
                                     struct sim_guard *g, char *err,
                                     size_t errlen);
/* The split of --threads 2 (sim_world_new_threads): nodes ordered by x,
 * ties by index (star and tree topologies place every node at 0: a split
 * by index); the first half in partition 0.  Returns part_of, n_nodes
 * bytes (malloc'd, the caller frees). */
uint8_t *sim_world_median_split(const sim_topo *t);
/* For a protocol's set-up loops (init): call once per iteration; non-zero
 * (every ~1,000 calls the guard is polled) means stop and return -1 from
 * init — the world then reports the interrupt or the memory budget
 * itself.  Always 0 for an unguarded world. */
int sim_world_setup_poll(sim_world *w);
/* The same, polling the guard on every call: for loops whose iterations
 * each take long (e.g. drawing a ring from a large pool). */
int sim_world_setup_check(sim_world *w);
void sim_world_free(sim_world *w);               /* NULL is a no-op */

/* Runs until `until` (simulated), or until max_events have executed
 * (0 = no limit), or sim_world_interrupt().  Can be called repeatedly to
 * advance in steps.  Returns events executed by this call. */
uint64_t sim_world_run(sim_world *w, sim_time until, uint64_t max_events);
void sim_world_interrupt(sim_world *w);
/* Partitions (kmsim extension, issue 22 lever 6, towards --threads 2;
 * THREADS.md).  part_of[v] names node v's partition (copied; NULL: all
 * in one again).  From then on a link arrival whose sender and receiver
 * lie in different partitions is not scheduled: it waits in the sender
 * partition's outbox with the key its scheduler gave it
 * (sim_sched_key_for) until sim_world_outbox_deliver inserts it with that
 * key (sim_sched_at_key), so it runs where it would have run unsplit.
 * *lookahead = the smallest latency of a link cut by the split
 * (SIM_TIME_MAX: none): an arrival made at time c is at c + lookahead or
 * later, so a run in windows [T, T + lookahead) (sim_world_run to
 * T + lookahead - 1) that delivers the outbox after each window gives
 * the unsplit run's results and fingerprint (test_world:
 * test_partition_loopback, where both partitions share the world's one
 * scheduler).  Returns 0, or -1 (nothing changed) when a cut link has
 * zero latency or the world has taps (attackers see every transmission
 * as it happens).  Call with the outbox empty.  The outbox's keys are
 * renumbered with the scheduler's queue (sim_sched_set_held). */
int sim_world_partition(sim_world *w, const uint8_t *part_of,
                        sim_time *lookahead);
/* Inserts every arrival of the outbox into the scheduler, in the order
 * they were made (their keys decide when they run); returns how many.
 * This is the barrier: first the events both partitions ran since the
 * last one (logged per partition with their keys while split) are hashed
 * into the fingerprint merged by key (sim_event_key_cmp), the order one
 * scheduler runs them in (THREADS.md step 4.4). */
uint32_t sim_world_outbox_deliver(sim_world *w);
/* A run-wide event (kmsim, THREADS.md step 4.3): fn runs at t as an
 * event of `node` (same key, order and fingerprint as sim_sched_at on
 * sim_world_sched(w) now), for handlers that act for many nodes (E-G's
 * start-up, a revocation round).  Split, it is to run with every
 * partition stopped at its place in the key order, on one thread, and
 * may then write any node's state and schedule events for any node.
 * One partition: that sim_sched_at.  Split: the world keeps its key (the
 * one a single scheduler would give) and the event waits in its node's
 * partition's scheduler; with two schedulers (sim_world_new_threads)
 * a window ends just before it, and it runs alone on the calling thread
 * as its node's partition (so the keys it gives new events come from
 * that scheduler), both partitions stopped; then its logs are merged and
 * its crossings handed over as at a full barrier, and the events it
 * scheduled for the other partition's nodes move there with their keys
 * (their ids do not cancel them: keep none; a node's transmission must
 * start in an event of that node, as pk_send's do, not in the run-wide
 * handler itself).  Not cancellable.  Split, only from the set-up (or
 * between sim_world_run calls), not from an event (abort). */
sim_event_id sim_world_at_global(sim_world *w, sim_time t, sim_event_fn fn,
                                 uint32_t kind, uint32_t node, void *arg,
                                 uint64_t u64);
/* The scheduler that holds node v's events: sim_world_sched(w), unless
 * two schedulers run and v is in the other partition.  For a run-wide
 * event cancelling an event of a node (sim_sched_cancel). */
sim_sched *sim_world_sched_of(sim_world *w, uint32_t v);
/* 1 while a run-wide event (sim_world_at_global) of a split world runs:
 * both partitions stopped, it may write any node's state (the partition
 * ownership checks of the test build let it pass). */
int sim_world_run_wide(const sim_world *w);
/* Partitions, for protocols (THREADS.md step 3): how many (1, or 2 once
 * split), node v's (0 .. nparts - 1; a node >= n: 0), and the partition
 * running now (0 unless two schedulers run; with threads, the calling
 * thread's).  A protocol keeps the mutable state of node v where
 * partition part_of(v) owns it: only that partition's events touch it. */
int sim_world_nparts(const sim_world *w);
int sim_world_part_of(const sim_world *w, uint32_t v);
int sim_world_cur_part(const sim_world *w);
/* Split: events logged for the fingerprint by partition `part` (0 or
 * 1; an event for no node counts to 0) since the world was built. */
uint64_t sim_world_fp_logged(const sim_world *w, int part);
/* Two partitions (kmsim extension, THREADS.md step 4): after
 * sim_world_partition and before any event ran, gives partition 1 a
 * partition of its own -- scheduler, metric log, packet pool, route
 * cache, outbox, counters -- and moves the pending events of its nodes
 * there with their keys (sim_sched_move; *moved: how many); events for
 * no node go to a third scheduler run between windows by one thread.
 * Every random stream the events use is created now and the stream table
 * frozen; shared arrays that grow on first use are sized now.  The moved
 * events' ids are invalid: not for protocols that cancel events (E-G),
 * nor with attackers (refused by sim_world_partition).  -1: not split,
 * already two, or already run.  Then run windows of at most one
 * lookahead: sim_world_run_part(w, 0, end), sim_world_run_part(w, 1,
 * end), sim_world_barrier(w), ... (no event for no node may fall inside
 * such a hand-made window: sim_world_run handles those); the result
 * (fingerprint and metrics) is the one-scheduler run's.  Once two,
 * sim_world_partition refuses (-1). */
int sim_world_two_scheds(sim_world *w, size_t *moved);
/* Partition part's scheduler (0 or 1; 1 only once two): for tests and
 * set-up code that place events themselves; events use sim_world_sched. */
sim_sched *sim_world_part_sched(sim_world *w, int part);
/* Runs partition `part`'s scheduler up to `until` on the calling thread
 * (as that partition); returns events run. */
uint64_t sim_world_run_part(sim_world *w, int part, sim_time until);
/* Both partitions stopped at a window's end: walks both partitions'
 * executed events in key order (the fingerprint, their metric adds and
 * sets replayed into the run's registry, the deferred loss draws of
 * links between the halves), inserts each outbox into the other
 * partition's scheduler and returns packets freed by the other partition
 * to their pool; returns the arrivals handed over. */
uint32_t sim_world_barrier(sim_world *w);
/* Arrivals that went through the outbox since the world was built. */
uint64_t sim_world_crossed(const sim_world *w);
/* Ends the run at the current time: closes time-weighted statistics and
 * writes every metric into the registry (idempotent). */
void sim_world_finish(sim_world *w);

/* The running partition's scheduler (sim_world_cur_part): use it where
 * it is needed, never keep it. */
sim_sched *sim_world_sched(sim_world *w);
sim_time sim_world_now(const sim_world *w);
sim_rng *sim_world_rng(sim_world *w);
const scenario *sim_world_scenario(const sim_world *w);
const sim_topo *sim_world_topo(const sim_world *w);
/* The metric registry events add to: in a two-partition run the running
 * partition's log (ana_metrics_new_log: adds and sets only, replayed at
 * the barriers; ids registered in init), else and outside the run the
 * run's one registry.  Use it where it is needed, never keep it. */
ana_metrics *sim_world_metrics(sim_world *w);
/* --series (kmsim extension, issue 23): turns the registry's time series
 * on (ana_series_start with o's interval, end, patterns and row sink; the
 * clock is the world's) before the run's first event, and registers the
 * series-only entries the world feeds: queue.length (level) and
 * queue.arrivals (count) per SO ("so:K", K its ordinal) and "so:all",
 * storage.bytes and storage.keys held by all nodes (levels, from the
 * storage samples), then the observer's (sim_world_obs.series: the
 * attackers' reads).  The last intervals are written by
 * sim_world_finish, before its report.  0, or -1 with one line in err. */
int sim_world_series(sim_world *w, const ana_series_opts *o, char *err,
                     size_t errlen);
/* Run fingerprint so far: BLAKE2b-256 over (time, kind, node) of every
 * executed event (finalised by sim_world_finish). */
void sim_world_fingerprint(sim_world *w, unsigned char out[32]);
uint64_t sim_world_events(const sim_world *w);

/* Per-node protocol state (node_state_size bytes, zeroed at start). */
void *sim_world_node_state(sim_world *w, uint32_t node);
void *sim_world_proto_state(sim_world *w);

/* ---- Network ---- */

/* Sends p from node `from` towards the dst in its header, hop by hop along
 * shortest paths.  Ownership of p passes to the world. */
void sim_world_send(sim_world *w, uint32_t from, sim_pkt *p);
/* Counts p as a message originated by `from` (msgs.<type>), then sends
 * it. */
void sim_world_originate(sim_world *w, uint32_t from, sim_pkt *p);
/* Next hop from `at` towards `dst` on a shortest path (fewest hops), or
 * SIM_NONE if unreachable; *link gets the link index.  Among equal paths
 * the choice is deterministic: the nearest-SO forest (multi-source BFS
 * from the SOs in index order) for traffic to and from a node's nearest
 * SO, else the first discovery of a BFS from dst over neighbours sorted by
 * index (e.g. a moved source's data to its new SO), answered without
 * that BFS inside the trees hanging from the graph's 2-core and by lazy
 * BFS trees over the core alone otherwise (same paths, same ties). */
uint32_t sim_world_next_hop(sim_world *w, uint32_t at, uint32_t dst,
                            uint32_t *link);
/* Routing work so far, for tests and benchmarks: nodes expanded by the
 * core BFS trees behind sim_world_next_hop (0 while every query was
 * answered from the SO forest, a direct link or the pendant trees), and
 * core trees (re)built on a cache miss. */
uint64_t sim_world_route_visits(const sim_world *w);
uint64_t sim_world_route_builds(const sim_world *w);
/* The SO a node sends to, or SIM_NONE if it cannot reach one.  At first
 * its nearest SO (fewest hops, ties to the lowest SO index; subscribers of
 * generated topologies: their access SO); a source that moves (scenario
 * `moves:`) sends to the move's SO from the move's time on, and
 * this returns that SO from then on (already inside proto->on_move). */
uint32_t sim_world_home_so(const sim_world *w, uint32_t node);
/* 1 once `source` holds the answer to its registration (the source's own
 * state: only the source reads it, locality check). */
int sim_world_is_registered(const sim_world *w, uint32_t source);
/* 1 once `source`'s registration has reached a smart object: the SOs'
 * registry (shared over their backbone), read by SO `so` (locality
 * check: so is the actor).  Data reach an SO only from registered or
 * never-registering (traffic.anonymous) sources, so for them this equals
 * sim_world_is_registered. */
int sim_world_so_knows(const sim_world *w, uint32_t so, uint32_t source);

/* What a node did, for the per-node CSV. */
typedef struct sim_node_info {
    uint32_t home_so;             /* SO it sends to now (node index), or */
                                  /*   SIM_NONE (sim_world_home_so)      */
    uint32_t hops_to_so;          /* hops to it, SIM_NONE if unreachable */
    uint32_t moves;               /* source: moves executed so far       */
    int registered;               /* source: registration answered       */
    sim_time registration_delay;  /* first REGISTER to answer, or -1     */
    uint64_t originated;          /* messages it created                 */
    uint64_t tx_pkts, tx_bytes;   /* transmissions it started (its own   */
                                  /*   and forwarded), wire bytes        */
} sim_node_info;
void sim_world_node_info(const sim_world *w, uint32_t node,
                         sim_node_info *out);

/* Attacker tap: sees every transmission on every link as it starts, may
 * read and modify the bytes in place, and may drop the packet.  Taps run
 * in the order they were added. */
typedef enum sim_tap_verdict { SIM_TAP_PASS, SIM_TAP_DROP } sim_tap_verdict;
typedef sim_tap_verdict (*sim_tap_fn)(void *ctx, sim_world *w, uint32_t link,
                                      uint32_t from, uint32_t to,
                                      sim_pkt *p);
void sim_world_add_tap(sim_world *w, sim_tap_fn fn, void *ctx);

/* ---- Observer ------------------------------------------------------------
 * What the world tells the scenario's attackers beyond the taps (the
 * outcome of their packets, the end-of-run report, --series), through one
 * observer per world.  The world knows nothing else of them: the runner
 * (sim/run/run.c, and the tests, fuzzers and benches that build worlds)
 * wires them in right after sim_world_new* with the attacker layer's one
 * wiring call (sim/attack/attack.h), which builds them and calls
 * sim_world_observe; a world without attackers has no observer.  Every
 * callback but free may be NULL. */
typedef struct sim_world_obs {
    /* Injector `who` (sim_pkt.atk - 1) sent a packet of class `cls`
     * (sim_pkt.atk_class) that reached the node it was meant for:
     * accepted (1) or refused (0, sim_world_refuse); moved = 1 when the
     * refusal follows an acceptance already reported (a node forwards,
     * then refuses it). */
    void (*outcome)(void *ctx, uint32_t who, uint32_t cls, int accepted,
                    int moved);
    /* End of run (sim_world_finish), after the protocol's report: the
     * observer's metrics into m. */
    void (*report)(void *ctx, ana_metrics *m);
    /* sim_world_series, after the world's own series: registers and from
     * then on feeds the observer's series-only entries of m. */
    void (*series)(void *ctx, ana_metrics *m);
    /* sim_world_free, before the protocol's deinit, under the teardown
     * locality exemption: frees ctx. */
    void (*free)(void *ctx);
} sim_world_obs;
/* Whether w can take an observer now: 0, or -1 with one line in err
 * ("the world already has an observer"; "--threads 2: scenarios with
 * attackers run on one thread only" for a world sim_world_new split in
 * two, which takes no attackers whatever the order of the calls; "an
 * observer must be attached before the world runs" once it has run an
 * event or finished).  Changes nothing: whoever builds an observer that
 * touches w (taps, events) asks first, so that a refusal leaves w as it
 * was. */
int sim_world_observable(const sim_world *w, char *err, size_t errlen);
/* Attaches the observer (ops, ctx) to w: call after sim_world_new* and
 * before the first event; ops must outlive the world, and ctx passes to
 * the world (ops->free frees it with the world).  Returns 0, or -1 with
 * one line in err (the caller keeps ctx) when sim_world_observable
 * refuses w.  A world whose scenario has attackers must have one when it
 * runs: sim_world_run and sim_world_run_part abort (a programming error,
 * with a message on stderr) when it has not, so that no caller that
 * forgot to wire the attackers runs without them unnoticed. */
int sim_world_observe(sim_world *w, const sim_world_obs *ops, void *ctx,
                      char *err, size_t errlen);
/* The ctx attached with ops (the attackers' runner, for their ops), NULL
 * when w has no observer or one with other ops. */
void *sim_world_observer(sim_world *w, const sim_world_obs *ops);

/* --pcap (kmsim extension, issue 23, pcap.h): from now on every
 * transmission (as it is handed to its link) and every link arrival the
 * writer's filter selects is written to pc (bound here to this world's
 * topology, protocol and cipher as replication `rep`), and with its key
 * log on every seal of the stores noted with sim_world_note_keystore.
 * Call before the first event; pc must outlive the world's run (the
 * caller owns it; sim_world_finish writes what two partitions logged
 * last).  0, or -1 with one line in err (a --pcap-filter id or link not in
 * the topology).  Observing only: no event, draw or result changes. */
struct sim_pcap;
int sim_world_set_pcap(sim_world *w, struct sim_pcap *pc, uint32_t rep,
                       char *err, size_t errlen);
/* A protocol's key store whose seals --keylog may log (the protocol
 * frees it, after the world's last event). */
void sim_world_note_keystore(sim_world *w, cry_keystore *ks);

/* Node `node` refuses p, a message it received (not authentic, replayed,
 * stale, malformed, unexpected).  The world calls it for its own
 * refusals (data that fails unprotect, a forward hook's -1); a protocol
 * calls it wherever it drops a control message it received, before
 * freeing it, so that the outcome of an attacker's message (accepted or
 * rejected) is counted.  Idempotent; a no-op for honest packets. */
void sim_world_refuse(sim_world *w, uint32_t node, sim_pkt *p);

/* An attacker's transmission: p arrives at `to` from its neighbour `from`
 * (on their link: its transmission time plus latency from now, on the
 * attacker's own radio, so no queue and no loss draw, and the taps do not
 * see it).  p->atk names the attacker.  Ownership passes to the world.
 * Returns 0, or -1 (p freed) if from and to are not neighbours. */
int sim_world_inject(sim_world *w, uint32_t from, uint32_t to, sim_pkt *p);

/* Per-direction link state, for tests and reports. */
typedef struct sim_link_stats {
    uint64_t tx_pkts, tx_bytes;   /* transmissions started               */
    uint64_t lost;                /* dropped by the loss probability     */
    uint64_t queue_drops;         /* dropped, transmit queue full        */
    sim_time busy_until;          /* transmitter busy until              */
} sim_link_stats;
void sim_world_link_stats(const sim_world *w, uint32_t link, int dir,
                          sim_link_stats *out);
/* Transmission time of `bytes` on link: ceil(bits / bandwidth) in ns. */
sim_time sim_link_tx_time(const scn_link_params *p, uint32_t bytes);

/* Key storage of a node over [warm-up, now] (bytes, the protocol's
 * storage hook): sampled after every event of that node, so a change is
 * seen at the time of the event that made it. */
typedef struct sim_storage_stats {
    double end;                   /* now                                 */
    double time_avg;              /* time average; NaN: empty window     */
    double peak;                  /* largest level held in the window    */
} sim_storage_stats;
/* Fills out for node; returns 0, or -1 if the protocol has no storage
 * hook.  Reads the protocol's storage of node now (a report, not a
 * decision). */
int sim_world_storage_stats(sim_world *w, uint32_t node,
                            sim_storage_stats *out);
/* For a protocol whose ops set storage_marks: what its storage hook
 * returns for node may have changed.  O(1), a bit in a dense bitmap; a
 * no-op for a protocol without the flag or hook, or node out of range. */
void sim_world_storage_changed(sim_world *w, uint32_t node);

/* Smart-object queue statistics since the end of the warm-up. */
typedef struct sim_so_stats {
    uint32_t node;                /* node index of the SO                */
    uint64_t arrivals;            /* requests arrived (after warm-up)    */
    uint64_t completions;         /* services completed (after warm-up)  */
    uint64_t drops;               /* refused: queue at capacity          */
    uint64_t registered;          /* sources registered here (moves do   */
                                  /*   not register again)               */
    double busy;                  /* seconds serving (after warm-up)     */
    double served;                /* services started after the warm-up  */
                                  /*   and completed: count ...          */
    double served_time;           /*   ... and their total time (s)      */
    double observed;              /* seconds observed (after warm-up)    */
    double L;                     /* time-average number in system       */
    ana_welford sojourn;          /* seconds, requests arrived after wu  */
    ana_welford wait;             /* seconds waiting before service      */
    double lambda_theory;         /* offered Poisson rate, 1/s; NaN if   */
                                  /*   the arrivals are not Poisson; a   */
                                  /*   source that moves counts at each  */
                                  /*   SO for the fraction of [warmup,   */
                                  /*   duration] it sends there          */
} sim_so_stats;
uint32_t sim_world_n_so(const sim_world *w);
void sim_world_so_stats(sim_world *w, uint32_t so_ordinal, sim_so_stats *out);

/* ---- Locality (DESIGN.md §2; README "Locality") ---------------------------
 * A node decides only from its own state and the messages it received; the
 * network layer's fewest-hop routing (sim_world_next_hop) is the one shared
 * service.  In the test build (-DKMSIM_LOCALITY: tests/kmsim-local and
 * tests/test_local) the world knows whose event runs, the *actor*: the
 * node of a node's event (its timers, a packet arriving at it and the
 * protocol handlers it runs for it), SIM_ACTOR_ATTACKER during an
 * attacker's event or link tap, SIM_NONE outside events (set-up, end-of-run
 * reports).  Every protocol's key-store and table accessor calls
 * sim_world_local(w, holder, protocol, accessor) (protocol NULL: the run's
 * protocol.name): a holder that is not the actor is a violation -- one
 * line on stderr (protocol, accessor, actor, holder, simulated time, code
 * address for addr2line), then abort(); with
 * KMSIM_LOCALITY=count in the environment each distinct site is printed
 * once and the run aborts at the end of sim_world_finish (or in
 * sim_world_free) instead, so that one run lists them all.  The legitimate
 * exceptions are named where they happen: the code between
 * sim_world_exempt(w, why) and sim_world_exempt_end(w) (nested pairs
 * allowed) is not checked.  In the normal build all of this compiles to
 * nothing and the world keeps no actor. */
#define SIM_ACTOR_ATTACKER (UINT32_MAX - 1)   /* an attacker's event or tap */
#define SIM_HOLDER_ALL (UINT32_MAX - 2)       /* holder of a scan over every */
                                              /*   node: never the actor     */
#ifdef KMSIM_LOCALITY
void sim_world_local(sim_world *w, uint32_t holder, const char *proto,
                     const char *accessor);
/* The same, reporting `ret` as the code address (an accessor that is a
 * function of its own passes __builtin_return_address(0): its caller). */
void sim_world_local_at(sim_world *w, uint32_t holder, const char *proto,
                        const char *accessor, const void *ret);
void sim_world_exempt(sim_world *w, const char *why);
void sim_world_exempt_end(sim_world *w);
/* Table m (kmap.h) is keyed by holder first: every get, put, del and list
 * is checked as sim_world_local(w, key, NULL, name). */
void sim_world_own(sim_world *w, struct kmap *m, const char *name);
/* The code between sim_world_act_as(w, node, why) and
 * sim_world_act_end(w) runs as `node` (nested pairs allowed): a named
 * hand-over to a node that then acts from its own state (a detection
 * noticed by the SOs in atk_react, a revocation notice, one event that
 * starts every node, an insider's node transmitting). */
void sim_world_act_as(sim_world *w, uint32_t node, const char *why);
void sim_world_act_end(sim_world *w);
/* The actor now (SIM_NONE outside events). */
uint32_t sim_world_actor(const sim_world *w);
/* Called at each violation before it is reported (a debugger's
 * breakpoint: `break sim_world_locality_violation`). */
void sim_world_locality_violation(sim_world *w);
/* Violations counted so far (KMSIM_LOCALITY=count). */
uint64_t sim_world_violations(const sim_world *w);
#else
#define sim_world_local(w, holder, proto, accessor) ((void)0)
#define sim_world_local_at(w, holder, proto, accessor, ret) ((void)0)
#define sim_world_exempt(w, why) ((void)0)
#define sim_world_exempt_end(w) ((void)0)
#define sim_world_own(w, m, name) ((void)0)
#define sim_world_act_as(w, node, why) ((void)0)
#define sim_world_act_end(w) ((void)0)
#endif

/* Event kinds of the world; protocols use kinds >= SIM_EV_PROTO. */
enum {
    SIM_EV_REGISTER = 1, SIM_EV_ARRIVE, SIM_EV_SO_DONE, SIM_EV_PUBLISH,
    SIM_EV_TRAFFIC, SIM_EV_WARMUP, SIM_EV_MOVE, SIM_EV_ATTACK = 32,
    SIM_EV_PROTO = 64
};

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_world[];

#endif
