/* world_int.h — private to sim/net/world*.c; not for other modules.  What the
 * parts of the world share: the definition of struct sim_world and of the
 * records it holds (nodes, forwarding, links, smart objects, partitions,
 * packet pool), the constants that size them, the thread-local partition
 * index (world_tl, WP), the two small helpers every part reads on its hot
 * paths (world_now, after_warmup: static inline, as the compiler inlined
 * them when the world was one file), and the functions one part calls in
 * another (private prefix world_).  The parts, along the seams the world
 * already had:
 *   world.c          state from allocation to free: large arrays, set-up,
 *                    teardown; accessors; the locality check (test build)
 *   world_pool.c     packets and their pool (size classes, chunks)
 *   world_net.c      routing (SO forest, 2-core, route cache), links with
 *                    their transmit queues, sending, a packet's arrival
 *   world_so.c       smart objects (FCFS queue, service, publish, offered
 *                    load for M/M/1), delivery at the destination, sources
 *   world_metrics.c  the per-event observer (fingerprint, storage sampling,
 *                    look-ahead), metric registration, --series, the
 *                    end-of-run report
 *   world_thr.c      two partitions (THREADS.md): windows, barrier,
 *                    outboxes, renumbering, run-wide events */
#ifndef KMSIM_WORLD_INT_H
#define KMSIM_WORLD_INT_H

#include <stddef.h>
#include <stdint.h>
#include "world.h"
#include "hooks.h"
#include "cry.h"
#include "guard.h"
#include "pcap.h"


/* ------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------- */

/* Forwarding state of a node (the multi-source BFS forest from the SOs),
 * kept apart from node_rt so that a hop reads 16 dense bytes (1.6 MB at
 * 10^5 nodes, against node_rt's ~100 bytes a node): issue 22.
 * Invariant: for a node v with near_so != NONE and v not an SO, following
 * up from v reaches near_so in depth steps, over to_so_link first, and
 * every node on the way has the same near_so (fixed once built). */
typedef struct node_fwd {
    uint32_t near_so;       /* nearest SO (node index) or SIM_NONE        */
    uint32_t to_so_link;    /* link towards near_so; SIM_NONE at the SO   */
                            /*   and where no SO can be reached          */
    uint32_t up;            /* the node at its other end, SIM_NONE then   */
    uint32_t depth;         /* hops to near_so (0 at an SO)               */
} node_fwd;

/* Per-node runtime state.  home_so is where a source sends: near_so (in
 * node_fwd) until the source moves (scenario `moves:`), then the SO of its
 * last move; for every other node home_so == near_so always.  What a node
 * transmitted is counted on its links' directions (link_dir), summed by
 * sim_world_node_info. */
typedef struct node_rt {
    uint32_t home_so;       /* SO it sends to (node index) or SIM_NONE    */
    uint32_t so_hops;       /* hops to home_so when it is not near_so     */
    uint32_t moves;         /* source: moves executed                     */
    uint32_t seq;           /* next message number this node sends        */
    uint32_t src_ord;       /* ordinal among sources (topic choice)       */
    uint8_t role;           /* scn_role                                   */
    uint8_t registered;     /* source: registration answered             */
    uint8_t known;          /* source: its SO has registered it           */
    uint8_t anonymous;      /* source: never registers, sends in clear    */
    uint32_t ident;         /* source: identifier its SO handed out       */
    sim_time reg_sent;      /* source: when REGISTER left                 */
    sim_time reg_done;      /* source: when the answer arrived, or -1     */
    uint64_t originated;    /* messages this node created                 */
    sim_pkt *held, *held_tail; /* source: data waiting for registration  */
    uint32_t n_held;        /* length of that list, <= HOLD_MAX           */
    int32_t want;           /* source: subscribers of its SO whose filter */
                            /*   matches its topic, -1: not counted yet   */
} node_rt;

/* Smart object: FCFS queue of requests (packets linked by `next`), one
 * server.  Statistics cover [warmup, end]. */
typedef struct so_rt {
    uint32_t node;          /* node index                                 */
    sim_pkt *q_head, *q_tail;  /* waiting, not in service                 */
    sim_pkt *serving;       /* in service or NULL                         */
    sim_time serve_start;
    uint32_t in_system;     /* waiting + serving                          */
    uint64_t next_id;       /* identifiers handed out at registration     */
    uint32_t sub_off, sub_end; /* its subscribers: so_subs[off..end)      */
    sim_so_stats st;
    ana_twa nsys;           /* number in system, time-weighted            */
} so_rt;

/* A link as forwarding reads it: its ends and where the state of each
 * direction lives, 16 bytes (four to a cache line).  dix[d] is 1 + the
 * index of direction d (0 = a->b, 1 = b->a) in sim_world.dirs, or 0 for a
 * direction that has never carried a packet (most radio links of a large
 * random geometric network never do).  The two directions of a link of
 * the SO forest do not live there but in sim_world.fdir (dir_get), and
 * their dix stay 0. */
typedef struct wlink {
    uint32_t a, b;          /* ends, as in the topology's link            */
    uint32_t dix[2];        /* 1 + dirs index per direction, 0: unused    */
} wlink;

/* One direction of a link: what every transmission reads and writes, 32
 * bytes in arrays aligned to a cache line (a record never straddles two).
 * The link's parameters are referenced (an index into the topology's
 * small table); the loss and queue-drop counters live apart
 * (link_dir_cold): they change only when a packet is dropped.
 * Where a direction lives (dir_get): the forest link of node v (its
 * fwd.to_so_link) has both directions at fdir[2v] (v -> its parent, FD_UP)
 * and fdir[2v + 1] (parent -> v, FD_DOWN), one 64-byte line indexed by the
 * node, so a hop along the forest costs no link record and no index
 * (issue 22: that was two dependent misses per hop); every other link's
 * directions are created in dirs on their first packet (wlink.dix). */
typedef struct link_dir {
    sim_time busy_until;    /* the transmitter is busy until then         */
    uint64_t tx_pkts;       /* transmissions started                      */
    uint64_t tx_bytes;      /*   ... their wire bytes                     */
    uint32_t par;           /* index into topo.params                     */
    uint32_t pad;
} link_dir;

typedef struct link_dir_cold {
    uint64_t lost;          /* dropped by the loss probability            */
    uint64_t queue_drops;   /* dropped, transmit queue full               */
} link_dir_cold;

#define LINK_DIR_ALIGN 64   /* alignment of sim_world.dirs and fdir       */
_Static_assert(sizeof(link_dir) * 2 == LINK_DIR_ALIGN,
               "a node's two forest directions fill one line");
#define FD_UP 0             /* fdir[2v + FD_UP]: v -> fwd[v].up           */
#define FD_DOWN 1           /* fdir[2v + FD_DOWN]: fwd[v].up -> v         */

typedef struct route_tree {
    uint32_t dst;           /* core index of the root, SIM_NONE = unused  */
    uint32_t prev, next;    /* LRU list of slots, SIM_NONE-terminated     */
    uint32_t *via;          /* per core node: link towards dst, SIM_NONE  */
    uint32_t *queue;        /* core BFS order so far; [head, tail) =      */
                            /*   frontier                                 */
    uint32_t head, tail;
} route_tree;

/* A node's key storage over time: the level and its peak side by side,
 * so that the sample after each of its events touches one record, not
 * two arrays (issue 22). */
typedef struct stor_rt {
    ana_twa twa;            /* level, time-weighted                       */
    double peak;            /* largest level since the warm-up            */
} stor_rt;

/* A chunk of the packet pool: POOL_CHUNK bytes aligned to POOL_CHUNK, this
 * header then n slots of `slot` bytes (a sim_pkt and its buffer), all of
 * one size class.  Invariants (pool_chunk_sane):
 *  - live slots are handed out; free holds the others among the first
 *    carved (each once); slots carved .. n were never handed out since
 *    the chunk took its class (their bytes are not read);
 *  - a chunk with a class is on its class's partial list iff live < n;
 *    an empty chunk (live == 0) stays there only while it is the list's
 *    only chunk (the class's reserve: a class going 0, 1, 0 packets does
 *    not move chunks), otherwise it goes to the warm stack or, beyond
 *    max(POOL_KEEP_MIN, chunks used) warm ones, is given back to the
 *    kernel (MADV_DONTNEED) and kept on the cold list to be reused. */
typedef struct pool_chunk {
    struct pool_chunk *prev, *next; /* partial list; warm stack: next    */
    sim_pkt *free;          /* freed slots (through sim_pkt.next)         */
    uint32_t live;          /* slots handed out                           */
    uint32_t carved;        /* slots handed out at least once             */
    uint32_t n;             /* slots                                      */
    uint32_t slot;          /* bytes per slot                             */
    uint8_t cls;            /* size class                                 */
    uint8_t part;           /* the partition whose pool holds it          */
} pool_chunk;
#define POOL_HDR 64u        /* header bytes: slots stay 64-byte aligned    */
/* Under AddressSanitizer each slot ends in a poisoned red zone and a
 * packet's buffer is poisoned while it is free, as malloc'd packets were:
 * an overrun of one packet is caught, not written into its neighbour. */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define POOL_REDZONE 32u
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POOL_REDZONE 0u
#define POOL_POISON(p, n) ((void)(p), (void)(n))
#define POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
_Static_assert(sizeof(pool_chunk) <= POOL_HDR, "pool_chunk header");

typedef struct tap {
    sim_tap_fn fn;
    void *ctx;
} tap;

/* No transmission may end later than this (~73 years, beyond any run):
 * keeps busy_until + latency far from int64 overflow. */
#define SIM_LINK_HORIZON (SIM_TIME_MAX / 4)
#define HOLD_MAX 1024       /* data held per unregistered source          */
#define POOL_STEP 16        /* size classes of 16 B steps ...              */
#define POOL_FINE 64        /* ... up to 1 KiB, ...                        */
#define POOL_CLASSES 71     /* ... then 2 KiB << 0..6 = 128 KiB = SIM_PKT_MAX */
#define POOL_SLABBED 67     /* classes below it live in chunks (to 8 KiB)  */
#define POOL_CHUNK (64u << 10)   /* bytes of a chunk, aligned to its size  */
#define POOL_REGION 32u     /* chunks per allocation (2 MiB)               */
#define POOL_KEEP_MIN 64u   /* empty chunks kept resident at least (4 MiB) */
#define FP_BUF 4096         /* fingerprint records buffered before hashing */
#define LOC_EXEMPT_MAX 8    /* nested locality exemptions (KMSIM_LOCALITY) */
#define LOC_SEEN_MAX 256    /* distinct violation sites printed            */
#define ROUTE_BUDGET (256ull << 20) /* bytes for the core BFS trees        */

/* Metric ids registered once per world. */
typedef struct world_ids {
    int sent[SIM_PKT_TYPE_COUNT];     /* messages originated, by type     */
    int tx[SIM_PKT_TYPE_COUNT];       /* link transmissions, by type      */
    int txb[SIM_PKT_TYPE_COUNT];      /* bytes on links, by type          */
    int lost, qdrop, unroutable, rejected, so_drops;
    int data_gen, data_payload, data_at_so, stored, published, pub_deliveries;
    int registered, reg_retries, dup_acks, moves, d_reg, d_so, d_e2e;
    int held_drops, size_clamped, anon;
    int d_key, d_xfer, d_sod, d_pub;  /* seed 000's T = Z + n/Pi + beta     */
    int f_reg, f_so, f_e2e;           /* the fractions the delay means    */
                                      /*   are over                       */
    int st_avg[SCN_ROLE_SUBSCRIBER + 1], st_peak[SCN_ROLE_SUBSCRIBER + 1];
    int st_end[SCN_ROLE_SUBSCRIBER + 1];  /* storage.<role>.*, -1: none   */
    int st_keys[SCN_ROLE_SUBSCRIBER + 1]; /* storage.<role>.keys          */
} world_ids;

/* A link arrival for a node of another partition, waiting in the
 * sender's partition until the barrier (THREADS.md step 4.2): the key
 * the sender's scheduler gave it, so that the receiver runs it where one
 * scheduler would have. */
typedef struct world_cross {
    sim_event_key k;        /* sim_sched_key_for at the sender             */
    uint32_t to;            /* receiving node                              */
    uint32_t link;          /* link it arrives on                          */
    sim_pkt *p;             /* the packet, handed over with the event      */
    uint32_t from;          /* sending node                                */
    uint32_t draw;          /* 1: its loss draw waits for the barrier      */
} world_cross;

/* One executed event in a partition's fingerprint log (THREADS.md, step
 * 4.4): its key (sim_sched_key_now) and what the fingerprint hashes. */
typedef struct fp_ent {
    sim_event_key k;
    uint32_t kind;
    uint32_t node;
    uint32_t mlo;           /* two schedulers: the partition's metric log */
    uint32_t xlo;           /*   and outbox lengths when it started        */
} fp_ent;

/* A partition's executed events since the last merge (world_fp_merge), in
 * the order they ran there (so sorted by key). */
typedef struct fp_log {
    fp_ent *e;
    uint32_t n, cap;
} fp_log;

/* What one partition of the world owns (THREADS.md, step 4): the state
 * that events of its nodes change and that is not a node's own record.
 * Everything else in sim_world is either set up once and then only read
 * (topology, routing forest and core, scenario, ids) or per node or per
 * link direction (nodes, fwd, dirs, stor, node_state: written only by the
 * events of the node that owns the record).  Today a world has exactly
 * one partition, embedded (no extra load on the hot paths); with
 * `--threads 2` each thread will run a view of the world whose part is
 * its own, and the reports (metrics, counters, fingerprint) are merged at
 * the barriers and at the end.  Invariants: as the fields say; nothing
 * here is read by another partition. */
typedef struct world_part {
    sim_sched *sched;       /* this partition's events                    */
    ana_metrics *m;         /* metric registry the events add to          */

    /* Route cache (the one shared service's answers are the same in every
     * partition; the cache and its counters are per partition). */
    route_tree *routes;     /* per-core-destination BFS trees, LRU cache   */
    uint32_t n_routes;
    uint32_t *route_slot;   /* per core node: its tree's slot, or SIM_NONE */
    uint64_t route_visits;  /* core nodes expanded (route_grow)            */
    uint64_t route_builds;  /* core trees started (route_tree_build)       */
    uint32_t lru_head;      /* most recently used slot                     */
    uint32_t lru_tail;      /* least recently used slot (next victim)      */
    uint32_t *bfs_queue;    /* scratch, n_nodes                            */

    /* The packet pool ("Packets" below). */
    pool_chunk *partial[POOL_SLABBED]; /* per class: chunks with a free   */
                            /*   slot (doubly linked), NULL: none          */
    pool_chunk *warm;       /* empty chunks, resident (stack via next)     */
    pool_chunk **cold;      /* empty chunks given back to the kernel       */
    uint32_t n_warm, n_cold, cap_cold;
    uint32_t chunks_used;   /* chunks holding a class (partial or full)    */
    unsigned char *fresh;   /* the newest region's chunks never used, ...  */
    uint32_t n_fresh;       /*   ... and how many                          */
    void **regions;         /* every region allocated, freed at the end    */
    uint32_t n_regions, cap_regions;
    uint64_t pool_given;    /* chunks given back so far (MADV_DONTNEED)    */
    sim_pkt *pool[POOL_CLASSES - POOL_SLABBED]; /* large classes: free lists */
    sim_pkt **blocks;       /* every large packet allocated, freed at end  */
    uint64_t pkt_taken;     /* packets handed out (sim_world_pkt_taken)   */
    uint64_t pkt_live;      /* handed out and not freed (sim_world_pkt_live) */
    size_t n_blocks, cap_blocks;

    /* Fingerprint of the executed events (world_fp_observe). */
    cry_hash_state fp;
    unsigned char fp_buf[FP_BUF];
    size_t fp_len;
    unsigned char fp_out[32];

    /* Denominators of the delay means (after the warm-up). */
    uint64_t gen_wu;        /* data created                               */
    uint64_t want_wu;       /* deliveries to subscribers they should make */
    uint64_t reg_tried;     /* sources that sent a registration           */
    /* Storage scratch: the node of the event running now, sampled when
     * the next event starts (SIM_NONE: none), and that event's time. */
    uint32_t stor_node;
    sim_time stor_t;

    /* Outbox: arrivals for nodes of other partitions made since the last
     * barrier (sim_world_outbox_deliver), in the order they were made. */
    world_cross *out[2];    /* by window parity (cur: the one written now; */
    uint32_t n_out[2], cap_out[2];  /* the other may be read by the other  */
    int cur;                /*   thread: THREADS.md), 0 unless two threads */
    uint64_t crossed;       /* arrivals that went through the outbox      */

    /* Two schedulers (sim_world_two_scheds): packets of the other
     * partition's pool freed here, returned to it at the barrier
     * (linked through sim_pkt.next), and this partition's storage marks
     * (sim_world_storage_changed: bit v, v a node of this partition). */
    sim_pkt *ret[2];        /* by window parity, as out                   */
    uint64_t *stor_dirty;
    int idx;                /* 0 or 1: this partition                     */
} world_part;

/* The partition the calling thread runs (kmsim extension, --threads 2,
 * THREADS.md): 0 outside sim_world_run and in every one-partition run; 1
 * on the thread (or, alternating on one thread, during the windows) that
 * runs partition 1.  The one thread-local of kmsim: like errno, it lets
 * every function that gets the world reach "its" partition (scheduler,
 * metric registry, pool, route cache, outbox, counters) without a
 * parameter, so protocols and handlers are unchanged; a thread runs one
 * world's partition at a time. */
extern _Thread_local int world_tl;  /* world_thr.c */
#define WP(w) (&(w)->parts[world_tl])

/* A run-wide event of a node on a split world (sim_world_at_global):
 * its key, what ev_global calls, and the partition whose scheduler holds
 * it (its node's). */
typedef struct world_glob {
    sim_event_key k;
    sim_event_fn fn;
    void *arg;
    uint64_t u64;
    uint32_t node;
    int part;
} world_glob;

struct sim_world {
    world_part parts[2];    /* partition 0 and 1 (world_part above); the  */
                            /*   running one is parts[world_tl] = WP(w)   */
    const scenario *sc;
    uint8_t *node_part;     /* per node: its partition (sim_world_        */
                            /*   partition), NULL: all in one             */
    /* Split (node_part set): the executed events of partition 0 and 1
     * (an event for no node: 0), merged by key into part.fp at every
     * barrier (world_fp_merge; kmsim extension, THREADS.md step 4.4).
     * With one world_part per partition each log moves into its part. */
    fp_log fplog[2][2];     /* [window parity][partition]                 */
    /* Two schedulers (sim_world_two_scheds; kmsim extension, THREADS.md):
     * parts[1] is a whole partition of its own (scheduler, pool, route
     * cache, outbox, counters); `gsched` holds the events for no node
     * (the warm-up's end), run by one thread with both partitions stopped
     * just before it; `m` is the run's registry while each partition adds
     * to a log registry (parts[k].m, ana_metrics_new_log) replayed into m
     * in key order at every barrier.  two 0: one scheduler, parts[0].m ==
     * m, gsched NULL. */
    int two;
    sim_sched *gsched;
    /* Run-wide events of a node (sim_world_at_global on a split world:
     * E-G's start-up and revocation rounds), by key; glob_next: the first
     * not run yet.  Each waits in the scheduler of the partition that
     * holds it (glob[i].part) as ev_global; a windowed run ends a window
     * just before the next one's key and runs it alone
     * (world_node_global); glob_run: it runs now.  Written only outside
     * windows or by the calling thread with the other one waiting. */
    struct world_glob *glob;
    uint32_t n_glob, cap_glob, glob_next;
    int glob_run;
    ana_metrics *m;
    ana_metrics *mlog[2][2]; /* [window parity][partition]                */
    /* sim_world_new_threads: sim_world_run runs the two partitions in
     * windows of `win_la` (the lookahead), the next one from `win_t`;
     * `threaded`: partition 1 on a thread of its own (else in turn on the
     * calling thread); `t_end`/`t_end_set`: the run's clock after a
     * windowed run (what one scheduler's sim_sched_now would say);
     * `last_t`: the time of the last event hashed at a barrier. */
    int windowed;
    int threaded;
    int in_windows;         /* inside a windowed run's windows (the       */
                            /*   partitions' logs take the metrics)       */
    struct world_thr *thr;  /* partition 1's thread, NULL: none (yet)     */
    sim_time win_la, win_t;
    sim_time t_end, last_t;
    int t_end_set;
    uint64_t fp_logged[2];  /* events logged per partition, in all       */
    sim_rng *rng;
    sim_topo topo;
    world_ids id;

    node_rt *nodes;
    node_fwd *fwd;          /* per node: the SO forest (node_fwd)          */
    /* Links as forwarding reads them (wlink), and the transmitter state of
     * the link directions that have carried a packet (wlink.dix). */
    wlink *wl;
    link_dir *dirs;         /* LINK_DIR_ALIGN-aligned (link_dir_of)        */
    link_dir_cold *dirs_cold; /* the same directions' drop counters        */
    uint32_t n_dirs, cap_dirs;
    link_dir *fdir;         /* per node: its forest link's two directions  */
                            /*   (FD_UP, FD_DOWN), LINK_DIR_ALIGN-aligned  */
    link_dir_cold *fdir_cold; /* their drop counters, NULL until the first */
    so_rt *sos;
    uint32_t n_so;
    /* --series (kmsim extension, issue 23; sim_world_series): ids of the
     * series-only entries of the registry (ana_series_reg, -1: not
     * selected) the world feeds: per SO its queue length (a level) and
     * arrivals (a count), the same over all SOs, the network's keys and
     * key bytes held (levels, from the storage samples); ser_keys: per
     * node its keys at its last sample.  ser 0: off, nothing allocated. */
    int ser;
    int *ser_q, *ser_arr;
    int ser_q_all, ser_arr_all, ser_keys_all, ser_bytes_all;
    uint32_t *ser_keys;
    uint32_t *so_of_node;   /* node index -> SO ordinal or SIM_NONE        */
    uint32_t *so_subs;      /* subscriber node indices grouped by SO       */
    uint32_t *sub_filter;   /* per node: filter index (subscribers)        */

    /* Routing beyond the forest ("Routing beyond the forest" below): the
     * 2-core (with a CSR of its own when worth it), the rooted trees
     * hanging from it (or with no core), their Euler intervals and
     * children in tin order. */
    uint32_t n_core;        /* nodes in the 2-core                         */
    uint32_t *core_ix;      /* per node: core index, SIM_NONE: not core    */
    uint32_t *core_node;    /* per core index: node                        */
    uint32_t *core_off;     /* CSR over core neighbours only (n_core + 1), */
    uint32_t *core_adj;     /*   neighbour core index, in adjacency order, */
    uint32_t *core_link;    /*   and the link; all NULL: use the topology's */
    uint32_t *core_comp;    /* per core index: lowest core index of its    */
                            /*   component                                 */
    /* Core components that are one plain cycle (the generators' ring
     * backbone): routed by position, no BFS tree (route_cycle). */
    uint32_t *cyc_pos;      /* per core index: position on its cycle, or   */
                            /*   SIM_NONE when its component is no cycle   */
    uint32_t *cyc_succ;     /* per core index: link to position + 1 and    */
    uint32_t *cyc_pred;     /*   to position - 1 (mod the cycle's length)  */
    uint32_t *cyc_len;      /* per component (its lowest core index): len */
    unsigned char *cyc_first_succ; /* per core index: its first core       */
                            /*   neighbour in adjacency order is its succ  */
    uint32_t *rt_attach;    /* per node: root of its tree (a core node, or */
                            /*   the lowest index of a coreless component) */
    uint32_t *rt_plink;     /* per node: link to its parent, SIM_NONE root */
    uint32_t *rt_tin;       /* per node: Euler entry time in its tree ...  */
    uint32_t *rt_tout;      /*   ... and the largest tin below it          */
    uint32_t *rt_child_off; /* per node v: its children are rt_child[      */
    uint32_t *rt_child;     /*   off[v] .. off[v + 1]), in tin order       */
    uint32_t *mv_hops;      /* per scenario move: hops to its SO           */

    tap *taps;
    size_t n_taps;
    /* --pcap (kmsim extension, issue 23, pcap.h): the trace writer, NULL:
     * none (one test of it per transmission and arrival); with two
     * schedulers each partition logs its records in pcbuf[window
     * parity][partition], merged by key at the barriers.  The protocols'
     * key stores (sim_world_note_keystore) get the --keylog seal log. */
    sim_pcap *pcap;
    sim_pcap_buf *pcbuf[2][2];
    cry_keystore **ks_noted;
    uint32_t n_ks_noted;
    const sim_world_obs *obs; /* the observer (the scenario's attackers, */
    void *obs_ctx;          /*   sim_world_observe) and its ctx; NULL: none */
    sim_pkt *inj_cur;       /* injected packet being delivered now         */
    int inj_cur_refused;    /*   ... and refused while delivered           */

    const scn_proto_ops *proto;
    void *proto_state;
    unsigned char *node_state;

    int finished;
    int interrupted;        /* __atomic: set from any partition's thread */
    sim_guard *guard;       /* set-up and run guards (NULL: none)         */
    uint32_t guard_tick;    /* set-up loop iterations since the last poll */

    /* Key storage per node over time (NULL: no storage hook).  stor[v]
     * holds the level last sampled and its peak (part.stor_node: the node
     * sampled when the next event starts). */
    stor_rt *stor;
    /* With ops.storage_marks, parts[k].stor_dirty: bit v set = v's
     * storage may have changed since its last sample
     * (sim_world_storage_changed), in the bitmap of v's partition (one
     * word holds nodes of both: each partition writes its own); NULL
     * otherwise. */
#ifdef KMSIM_LOCALITY
    /* The locality check (world.h): whose event runs, the named exceptions
     * open now, and the violations seen (KMSIM_LOCALITY=count). */
    uint32_t actor;         /* node, SIM_ACTOR_ATTACKER or SIM_NONE        */
    uint32_t n_exempt;      /* exemptions open (nesting depth)            */
    const char *exempt_why[LOC_EXEMPT_MAX]; /* their names, innermost last */
    uint32_t n_act;         /* sim_world_act_as open (nesting depth)       */
    uint32_t act_prev[LOC_EXEMPT_MAX];  /* the actors they replaced        */
    int loc_count;          /* KMSIM_LOCALITY=count: print, go on          */
    uint64_t violations;    /* violations seen                            */
    uint64_t loc_reported;  /* violations already reported as a failure   */
    uintptr_t loc_seen[LOC_SEEN_MAX];  /* sites printed (code addresses)   */
    uint32_t n_loc_seen;
#endif
};

/* Attack bookkeeping of a packet (sim_pkt.atk_state). */
enum { PS_NONE, PS_ACCEPTED, PS_REFUSED };

#define HUGE_PAGE (2u << 20)  /* a transparent huge page (x86-64)          */
#define HUGE_MIN  (4u << 20)  /* arrays from this size get huge pages      */

/* The run's clock: a partition's while it runs (the running one's);
 * after a windowed run what one scheduler would show (t_end); between
 * windows run by hand (sim_world_run_part) the latest of the three. */
static inline sim_time world_now(const sim_world *w)
{
    sim_time t, u;

    if (w->in_windows || !w->two)
        return sim_sched_now(WP(w)->sched);
    if (w->t_end_set)
        return w->t_end;
    t = sim_sched_now(w->parts[0].sched);
    u = sim_sched_now(w->parts[1].sched);
    t = u > t ? u : t;
    u = sim_sched_now(w->gsched);
    return u > t ? u : t;
}

/* Whether time t lies after the warm-up (statistics count from it). */
static inline int after_warmup(const sim_world *w, sim_time t)
{
    return t >= w->sc->warmup;
}

/* Hashes one executed event into the fingerprint (16 bytes: t, kind,
 * node, little-endian).  Static inline: the observer (world_metrics.c)
 * runs it after every event, the barrier (world_thr.c) for each logged one. */
static inline void world_fp_put(sim_world *w, sim_time t, uint32_t kind,
                                uint32_t node)
{
    unsigned char *b;

    if (WP(w)->fp_len + 16 > FP_BUF) {
        cry_hash_update(&WP(w)->fp, WP(w)->fp_buf, WP(w)->fp_len);
        WP(w)->fp_len = 0;
    }
    b = WP(w)->fp_buf + WP(w)->fp_len;
    sim_put32(b, (uint32_t)t);
    sim_put32(b + 4, (uint32_t)((uint64_t)t >> 32));
    sim_put32(b + 8, kind);
    sim_put32(b + 12, node);
    WP(w)->fp_len += 16;
}

/* ------------------------------------------------------------------------
 * What one part calls in another (defined in the file named)
 * ---------------------------------------------------------------------- */

/* world.c */
/* Zeroed n * size bytes, freed with free(); aligned to and backed by huge
 * pages from HUGE_MIN bytes on. */
void *world_calloc(size_t n, size_t size);
#ifdef KMSIM_LOCALITY
/* In count mode: aborts once the run has ended with violations. */
void world_loc_fail_if_any(sim_world *w);
#endif

/* world_pool.c */
/* Returns p's slot to partition pt's pool (a packet of the other
 * partition's pool waits in pt's return list for the barrier). */
void world_pkt_release(world_part *pt, sim_pkt *p);
/* Packet p (freed) back into the pool it came from: a chunk's owner, or
 * for a large packet partition 0's free list.  Both partitions stopped. */
void world_pkt_return(sim_world *w, sim_pkt *p);
/* Frees every packet of partition pt's pool wherever it is. */
void world_pool_release(world_part *pt);

/* world_net.c */
/* Multi-source BFS from every SO: the forest (fwd, home_so); the BFS
 * order in WP(w)->bfs_queue[0..*n_reached). */
void world_route_forest(sim_world *w, uint32_t *n_reached);
/* The 2-core, its cycles and the rooted trees hanging from it (routing
 * beyond the forest).  Once per world. */
void world_route_decompose(sim_world *w);
/* Partition pt's route cache of core BFS trees, empty. */
void world_route_cache_init(sim_world *w, world_part *pt);
/* Every link direction and the forest's drop counters created up front
 * (two threads: nothing shared grows during the events). */
void world_presize(sim_world *w);
/* The deferred loss draw of crossing arrival c of partition k's outbox:
 * a loss is counted and the arrival dropped (c->p NULL). */
void world_cross_draw(sim_world *w, int k, world_cross *c);
/* Event handler: packet arg arrives at node over link u64 (SIM_NONE: sent
 * to itself, or injected). */
void world_ev_arrive(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64);

/* world_so.c */
/* The world's own refusal of a received packet: counted, then freed. */
void world_reject(sim_world *w, uint32_t node, sim_pkt *p);
/* Packet p has reached its destination node: handed to the SO's queue,
 * the source, the subscriber or the protocol; p is consumed. */
void world_deliver(sim_world *w, uint32_t node, sim_pkt *p);
/* Event handlers of the sources and the warm-up's end. */
void world_ev_register(sim_sched *s, void *ctx, uint32_t kind,
                       uint32_t node, void *arg, uint64_t u64);
void world_ev_traffic(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64);
void world_ev_move(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                   void *arg, uint64_t u64);
void world_ev_warmup(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64);
/* Offered Poisson rate at each SO of the sources that never move, and
 * pdel[v] (reads the BFS order world_route_forest left). */
void world_so_theory(sim_world *w, uint32_t n_reached, double *pdel,
                     const unsigned char *moved);
/* The offered rate the moving sources add at each SO they send to. */
void world_so_theory_moves(sim_world *w, const double *pdel,
                           const double *mv_pdel);

/* world_metrics.c */
/* Registers the world's metrics (order: the registry's and the CSVs'). */
void world_register_metrics(sim_world *w);
/* The schedulers' observer: fingerprint and storage sample of each event. */
void world_fp_observe(void *octx, sim_time t, uint32_t kind, uint32_t node);
/* The schedulers' look-ahead: prefetch hints for the next event. */
void world_lookahead(void *ctx, uint32_t kind, uint32_t node, void *arg);
/* Hashes the partitions' event logs in key order; returns the events. */
uint64_t world_fp_merge(sim_world *w);
/* Samples the storage of partition pt's last event's node. */
void world_stor_flush_part(sim_world *w, world_part *pt);

/* world_thr.c */
/* Ends partition 1's thread, if any. */
void world_thread_stop(sim_world *w);
/* The full barrier of the current window parity; returns the arrivals
 * handed over. */
uint32_t world_barrier(sim_world *w);

#endif
