/* world.c — the simulated world: links with FIFO transmit queues,
 * shortest-path forwarding, smart objects with an FCFS request queue and
 * MQTT publish to subscribers, source traffic, protocol hooks and
 * attacker taps.  Everything a run does happens in event handlers here or
 * in the protocol; the engine (sched.c) only orders them. */
#ifdef KMSIM_LOCALITY
#define _GNU_SOURCE          /* dladdr: the locality check's code address */
#include <dlfcn.h>
#endif
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <gsl/gsl_rng.h>
#include "world.h"
#include "attack/attack.h"
#include "proto.h"
#include "topic.h"
#include "qtheory.h"
#include "cry.h"
#include "util.h"
#include "kmap.h"
#include "guard.h"
#include "mlist.h"
#include "par.h"
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

/* A partition's executed events since the last merge (fp_merge), in the
 * order they ran there (so sorted by key). */
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

    /* Fingerprint of the executed events (fp_observe). */
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

typedef struct world_thr world_thr;

/* The partition the calling thread runs (kmsim extension, --threads 2,
 * THREADS.md): 0 outside sim_world_run and in every one-partition run; 1
 * on the thread (or, alternating on one thread, during the windows) that
 * runs partition 1.  The one thread-local of kmsim: like errno, it lets
 * every function that gets the world reach "its" partition (scheduler,
 * metric registry, pool, route cache, outbox, counters) without a
 * parameter, so protocols and handlers are unchanged; a thread runs one
 * world's partition at a time. */
static _Thread_local int world_tl;
#define WP(w) (&(w)->parts[world_tl])

struct sim_world;
static sim_time world_now(const struct sim_world *w);

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
     * barrier (fp_merge; kmsim extension, THREADS.md step 4.4).  With one
     * world_part per partition each log moves into its part. */
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
    atk_run *atk;           /* the scenario's attackers, NULL: none        */
    sim_pkt *atk_cur;       /* attacker's packet being delivered now       */
    int atk_cur_refused;    /*   ... and refused while delivered           */

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

#ifdef KMSIM_LOCALITY
static void loc_fail_if_any(sim_world *w);
#endif
static void world_thread_stop(sim_world *w);
static uint32_t world_barrier(sim_world *w);

/* The run's clock: a partition's while it runs (the running one's);
 * after a windowed run what one scheduler would show (t_end); between
 * windows run by hand (sim_world_run_part) the latest of the three. */
static sim_time world_now(const sim_world *w)
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

/* ------------------------------------------------------------------------
 * Large arrays
 * ---------------------------------------------------------------------- */

#define HUGE_PAGE (2u << 20)  /* a transparent huge page (x86-64)          */
#define HUGE_MIN  (4u << 20)  /* arrays from this size get huge pages      */

/* Zeroed n * size bytes, freed with free().  The per-node and per-link
 * arrays of a large world are read at random, a record per event or hop;
 * on 4 KiB pages nearly every such read also walks the page table (issue
 * 22).  From HUGE_MIN bytes on, the array is aligned to HUGE_PAGE and
 * marked MADV_HUGEPAGE: the kernel backs it with 2 MiB pages where
 * transparent huge pages are enabled (`madvise` or `always`), and ignores
 * the hint otherwise.  Contents and results do not depend on it. */
static void *world_calloc(size_t n, size_t size)
{
    size_t bytes;
    void *p;

    if (size && n > SIZE_MAX / size)
        xoom(SIZE_MAX);
    bytes = n * size;
    if (bytes < HUGE_MIN)
        return xcalloc(n, size);
    bytes = (bytes + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    if (posix_memalign(&p, HUGE_PAGE, bytes))
        xoom(bytes);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);   /* a hint: may fail */
#endif
    memset(p, 0, bytes);
    return p;
}

/* world_calloc, aligned to a cache line (LINK_DIR_ALIGN) whatever the
 * size: for arrays of records that must not straddle two lines. */
static void *world_calloc_line(size_t n, size_t size)
{
    size_t bytes;
    void *p;

    if (size && n > SIZE_MAX / size)
        xoom(SIZE_MAX);
    bytes = n * size;
    if (bytes >= HUGE_MIN)
        return world_calloc(n, size);         /* HUGE_PAGE-aligned */
    if (posix_memalign(&p, LINK_DIR_ALIGN, bytes ? bytes : 1))
        xoom(bytes);
    memset(p, 0, bytes);
    return p;
}

/* ------------------------------------------------------------------------
 * Packets
 * ---------------------------------------------------------------------- */

sim_pkt_type sim_pkt_type_of(const sim_pkt *p) { return p->buf[0]; }
uint32_t sim_pkt_src(const sim_pkt *p) { return sim_get32(p->buf + 4); }
uint32_t sim_pkt_dst(const sim_pkt *p) { return sim_get32(p->buf + 8); }
uint32_t sim_pkt_seq(const sim_pkt *p) { return sim_get32(p->buf + 12); }

uint16_t sim_pkt_hops(const sim_pkt *p)
{
    return (uint16_t)(p->buf[2] | p->buf[3] << 8);
}

const char *sim_pkt_type_name(sim_pkt_type t)
{
    static const char *const names[SIM_PKT_TYPE_COUNT] = {
        "invalid", "register", "register_ack", "data", "publish", "control",
    };
    return (unsigned)t < SIM_PKT_TYPE_COUNT ? names[t] : "invalid";
}

/* Bytes of a packet of size class cls: 16-byte steps up to 1 KiB (most
 * protocol messages: a set-up burst holds a million of them at once, so
 * each byte of rounding is a megabyte), then powers of two. */
static uint32_t pool_class_bytes(uint8_t cls)
{
    return cls < POOL_FINE ? POOL_STEP * (cls + 1u)
                           : 2048u << (cls - POOL_FINE);
}

_Static_assert((2048u << (POOL_CLASSES - 1 - POOL_FINE)) == SIM_PKT_MAX,
               "the largest packet class is SIM_PKT_MAX");
_Static_assert((2048u << (POOL_SLABBED - 1 - POOL_FINE)) + sizeof(sim_pkt) +
                   POOL_REDZONE <= (POOL_CHUNK - POOL_HDR) / 4,
               "a chunk holds at least four packets of each slabbed class");

static uint8_t pool_class(uint32_t need)
{
    uint8_t cls;

    if (need <= POOL_STEP * POOL_FINE)
        return (uint8_t)(need ? (need - 1) / POOL_STEP : 0);
    for (cls = POOL_FINE; pool_class_bytes(cls) < need; cls++)
        ;
    return cls;
}

/* The chunk a slabbed packet lives in. */
static pool_chunk *chunk_of(const sim_pkt *p)
{
    return (pool_chunk *)((uintptr_t)p & ~(uintptr_t)(POOL_CHUNK - 1));
}

/* The O(1) invariants of chunk c, for assert() on every packet; the
 * whole of pool_chunk's with `walk` (its free list: O(slots), for
 * sim_world_pool_check). */
static int pool_chunk_sane(const pool_chunk *c, int walk)
{
    uint32_t n_free = 0;

    if (c->cls >= POOL_SLABBED || c->live > c->carved || c->carved > c->n ||
        c->slot != sizeof(sim_pkt) + pool_class_bytes(c->cls) + POOL_REDZONE ||
        POOL_HDR + (size_t)c->n * c->slot > POOL_CHUNK)
        return 0;
    if (!walk)
        return 1;
    for (const sim_pkt *p = c->free; p; p = p->next) {
        size_t off = (size_t)((const unsigned char *)p -
                              (const unsigned char *)c);
        if (chunk_of(p) != c || off < POOL_HDR ||
            (off - POOL_HDR) % c->slot ||
            (off - POOL_HDR) / c->slot >= c->carved ||
            p->cls != c->cls || ++n_free > c->carved)
            return 0;
    }
    return c->live + n_free == c->carved;
}

/* Links c at the head of its class's partial list. */
static void partial_push(world_part *pt, pool_chunk *c)
{
    c->prev = NULL;
    c->next = pt->partial[c->cls];
    if (c->next)
        c->next->prev = c;
    pt->partial[c->cls] = c;
}

static void partial_unlink(world_part *pt, pool_chunk *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        pt->partial[c->cls] = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* An empty chunk for class cls, on its partial list: a warm one, else a
 * cold one (its pages come back zeroed when touched), else one of a new
 * region.  Allocates only when the pool has never been this large. */
static pool_chunk *chunk_take(world_part *pt, uint8_t cls)
{
    pool_chunk *c;

    if (pt->warm) {
        c = pt->warm;
        pt->warm = c->next;
        pt->n_warm--;
    } else if (pt->n_cold) {
        c = pt->cold[--pt->n_cold];
    } else {
        if (!pt->n_fresh) {
            void *r;
            if (pt->n_regions == pt->cap_regions) {
                pt->cap_regions = pt->cap_regions ? 2 * pt->cap_regions : 16;
                pt->regions = xreallocarray(pt->regions, pt->cap_regions,
                                           sizeof *pt->regions);
            }
            if (posix_memalign(&r, POOL_CHUNK,
                               (size_t)POOL_REGION * POOL_CHUNK))
                xoom((size_t)POOL_REGION * POOL_CHUNK);
            pt->regions[pt->n_regions++] = r;
            pt->fresh = r;
            pt->n_fresh = POOL_REGION;
        }
        c = (pool_chunk *)pt->fresh;
        pt->fresh += POOL_CHUNK;
        pt->n_fresh--;
    }
    c->free = NULL;
    c->live = c->carved = 0;
    c->cls = cls;
    c->part = (uint8_t)pt->idx;
    c->slot = (uint32_t)sizeof(sim_pkt) + pool_class_bytes(cls) + POOL_REDZONE;
    c->n = (POOL_CHUNK - POOL_HDR) / c->slot;
    POOL_POISON((unsigned char *)c + POOL_HDR, POOL_CHUNK - POOL_HDR);
    pt->chunks_used++;
    partial_push(pt, c);
    return c;
}

/* Gives chunk c's pages back to the kernel (they read as zeros when next
 * touched) and keeps c on the cold list for reuse. */
static void chunk_give(world_part *pt, pool_chunk *c)
{
    if (pt->n_cold == pt->cap_cold) {
        pt->cap_cold = pt->cap_cold ? 2 * pt->cap_cold : 64;
        pt->cold = xreallocarray(pt->cold, pt->cap_cold, sizeof *pt->cold);
    }
    pt->cold[pt->n_cold++] = c;
#ifdef MADV_DONTNEED
    (void)madvise(c, POOL_CHUNK, MADV_DONTNEED);   /* may fail: kept then */
#endif
    pt->pool_given++;
}

/* Chunk c (empty, off every list) leaves its class: kept resident while
 * the warm chunks are fewer than max(POOL_KEEP_MIN, chunks used), else
 * given back, and one more warm chunk is given back while there are more
 * than that (the warm stack follows the chunks used down after a burst:
 * a burst's packets do not stay resident for the rest of the run). */
static void chunk_put(world_part *pt, pool_chunk *c)
{
    uint32_t keep;

    assert(c->live == 0 && pt->chunks_used > 0);
    pt->chunks_used--;
    keep = pt->chunks_used > POOL_KEEP_MIN ? pt->chunks_used : POOL_KEEP_MIN;
    if (pt->n_warm < keep) {
        c->next = pt->warm;
        pt->warm = c;
        pt->n_warm++;
        return;
    }
    chunk_give(pt, c);
    if (pt->n_warm > keep) {
        pool_chunk *x = pt->warm;
        pt->warm = x->next;
        pt->n_warm--;
        chunk_give(pt, x);
    }
}

static sim_pkt *pkt_alloc(world_part *pt, uint32_t need)
{
    uint8_t cls = pool_class(need);
    pool_chunk *c;
    sim_pkt *p;

    assert(cls < POOL_CLASSES && pool_class_bytes(cls) >= need);
    pt->pkt_taken++;
    pt->pkt_live++;
    if (cls >= POOL_SLABBED) {                 /* large: one malloc each */
        uint8_t k = (uint8_t)(cls - POOL_SLABBED);
        p = pt->pool[k];
        if (p) {
            pt->pool[k] = p->next;
        } else {
            p = xmalloc(sizeof *p + pool_class_bytes(cls));
            p->cap = pool_class_bytes(cls);
            p->cls = cls;
            if (pt->n_blocks == pt->cap_blocks) {
                pt->cap_blocks = pt->cap_blocks ? 2 * pt->cap_blocks : 256;
                pt->blocks = xreallocarray(pt->blocks, pt->cap_blocks,
                                          sizeof *pt->blocks);
            }
            pt->blocks[pt->n_blocks++] = p;
        }
        p->next = NULL;
        return p;
    }
    c = pt->partial[cls];
    if (!c)
        c = chunk_take(pt, cls);
    if (c->free) {
        p = c->free;
        c->free = p->next;
        POOL_UNPOISON(p->buf, p->cap);
    } else {
        p = (sim_pkt *)((unsigned char *)c + POOL_HDR +
                        (size_t)c->carved++ * c->slot);
        POOL_UNPOISON(p, sizeof *p + pool_class_bytes(cls));
        p->cap = pool_class_bytes(cls);
        p->cls = cls;
    }
    if (++c->live == c->n)
        partial_unlink(pt, c);                  /* full */
    assert(pool_chunk_sane(c, 0));
    p->next = NULL;
    return p;
}

/* Returns p's slot to its chunk; an empty chunk leaves its class unless
 * it is the class's only partial chunk. */
static void pkt_release(world_part *pt, sim_pkt *p)
{
    pool_chunk *c;

    if (p->cls >= POOL_SLABBED) {
        uint8_t k = (uint8_t)(p->cls - POOL_SLABBED);
        p->next = pt->pool[k];
        pt->pool[k] = p;
        return;
    }
    c = chunk_of(p);
    if (c->part != pt->idx) {
        /* Another partition's packet (an arrival across the cut): back to
         * its pool at the barrier (world_barrier), never from here. */
        p->next = pt->ret[pt->cur];
        pt->ret[pt->cur] = p;
        return;
    }
    assert(c->cls == p->cls && c->live > 0);
    p->next = c->free;
    c->free = p;
    POOL_POISON(p->buf, p->cap);      /* the header keeps the free list */
    if (c->live-- == c->n)
        partial_push(pt, c);                    /* was full */
    else if (c->live == 0 && (c->prev || c->next)) {
        partial_unlink(pt, c);                  /* not the class's reserve */
        chunk_put(pt, c);
        return;
    }
    assert(pool_chunk_sane(c, 0));
}

/* Both partitions' counts (pkt_live of one partition may wrap: a packet
 * made in one and freed in the other; the sum is right). */
uint64_t sim_world_pkt_taken(const sim_world *w)
{
    return w->parts[0].pkt_taken + w->parts[1].pkt_taken;
}

uint64_t sim_world_pkt_live(const sim_world *w)
{
    return w->parts[0].pkt_live + w->parts[1].pkt_live;
}

/* sim_pkt_new and sim_pkt_new_clear: `room` extra bytes for tags. */
static sim_pkt *pkt_new(sim_world *w, sim_pkt_type type, uint32_t src,
                        uint32_t dst, uint32_t seq, uint32_t ctl,
                        uint32_t data, uint32_t room)
{
    uint32_t len = SIM_HDR_BYTES + ctl + data;
    sim_hdr h;
    sim_pkt *p;

    assert(ctl + data <= SIM_PKT_MAX - SIM_HDR_BYTES - 2 * CRY_TAG_BYTES);
    p = pkt_alloc(WP(w), len + room);
    p->created = sim_sched_now(WP(w)->sched);
    p->arrived = 0;
    p->sent = -1;
    p->served = -1;
    p->mark = 0;
    p->origin = src;
    p->len = len;
    p->payload = 0;
    p->atk = 0;
    p->atk_state = 0;
    p->atk_class = 0;
    memset(&h, 0, sizeof h);
    h.type = (uint8_t)type;
    h.src = src;
    h.dst = dst;
    h.seq = seq;
    h.hop_from = src;
    h.ctl_len = ctl;
    h.data_len = data;
    sim_hdr_write(p->buf, &h);
    memset(p->buf + SIM_HDR_BYTES, 0, ctl + data);
    return p;
}

sim_pkt *sim_pkt_new(sim_world *w, sim_pkt_type type, uint32_t src,
                     uint32_t dst, uint32_t seq, uint32_t ctl, uint32_t data)
{
    return pkt_new(w, type, src, dst, seq, ctl, data, 2 * CRY_TAG_BYTES);
}

sim_pkt *sim_pkt_new_clear(sim_world *w, sim_pkt_type type, uint32_t src,
                           uint32_t dst, uint32_t seq, uint32_t ctl,
                           uint32_t data)
{
    return pkt_new(w, type, src, dst, seq, ctl, data, 0);
}

sim_pkt *sim_pkt_clone(sim_world *w, const sim_pkt *p)
{
    sim_pkt *q = pkt_alloc(WP(w), p->cap);
    uint32_t cap = q->cap;
    uint8_t cls = q->cls;

    memcpy(q, p, sizeof *p + p->len);
    q->cap = cap;
    q->cls = cls;
    q->next = NULL;
    q->atk = 0;
    q->atk_state = 0;
    return q;
}

void sim_pkt_free(sim_world *w, sim_pkt *p)
{
    if (!p)
        return;
    world_part *pt = WP(w);

    pt->pkt_live--;
    pkt_release(pt, p);
}

/* pool_check of one partition's pool; also checks that its chunks are
 * marked as its own and that no packet waits to be returned to it. */
static int pool_check_part(const world_part *pt)
{
    uint32_t partial = 0, warm = 0;

    if (pt->ret[0] || pt->ret[1])
        return -1;
    for (uint8_t k = 0; k < POOL_SLABBED; k++)
        for (const pool_chunk *c = pt->partial[k]; c; c = c->next) {
            partial++;
            if (c->cls != k || c->live >= c->n || !pool_chunk_sane(c, 1) ||
                c->part != pt->idx ||
                (c->next && c->next->prev != c) ||
                (c->live == 0 && (c->prev || c->next)) ||
                (!c->prev && pt->partial[k] != c))
                return -1;
        }
    for (const pool_chunk *c = pt->warm; c; c = c->next)
        if (++warm > pt->n_warm)
            return -1;
    if (warm != pt->n_warm || partial > pt->chunks_used ||
        (uint64_t)pt->chunks_used + pt->n_warm + pt->n_cold + pt->n_fresh !=
            (uint64_t)pt->n_regions * POOL_REGION)
        return -1;
    return 0;
}

int sim_world_pool_check(const sim_world *w)
{
    return pool_check_part(&w->parts[0]) || pool_check_part(&w->parts[1])
               ? -1 : 0;
}

/* Both partitions' pools added up. */
void sim_world_pool_stats(const sim_world *w, sim_pool_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < 2; k++) {
        const world_part *pt = &w->parts[k];
        out->chunks_used += pt->chunks_used;
        out->chunks_warm += pt->n_warm;
        out->chunks_cold += pt->n_cold;
        out->chunks_given += pt->pool_given;
        out->regions += pt->n_regions;
    }
}

/* Frees every packet wherever it is (free list, source hold queue, SO
 * queue, or the argument of a pending event). */
static void pool_release(world_part *pt)
{
    for (size_t i = 0; i < pt->n_blocks; i++)
        free(pt->blocks[i]);
    free(pt->blocks);
    pt->blocks = NULL;
    pt->n_blocks = pt->cap_blocks = 0;
    memset(pt->pool, 0, sizeof pt->pool);
    for (uint32_t i = 0; i < pt->n_regions; i++)
        free(pt->regions[i]);
    free(pt->regions);
    free(pt->cold);
    pt->regions = NULL;
    pt->cold = NULL;
    pt->warm = NULL;
    pt->n_regions = pt->cap_regions = pt->n_cold = pt->cap_cold = 0;
    pt->n_warm = pt->chunks_used = pt->n_fresh = 0;
    pt->fresh = NULL;
    memset(pt->partial, 0, sizeof pt->partial);
}

/* ------------------------------------------------------------------------
 * Routing
 * ---------------------------------------------------------------------- */

/* Link between `at` and neighbour `nb`, by binary search in the sorted
 * CSR row, or SIM_NONE. */
static uint32_t link_to(const sim_topo *t, uint32_t at, uint32_t nb)
{
    uint32_t lo = t->adj_off[at], hi = t->adj_off[at + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->adj[mid] < nb)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < t->adj_off[at + 1] && t->adj[lo] == nb) ? t->adj_link[lo]
                                                          : SIM_NONE;
}

/* The link between `at` and neighbour `nb` that link_to gives, or
 * SIM_NONE: O(1) when they are parent and child in the SO forest (the
 * forest link is the lowest-numbered one between them, as link_to's is),
 * else link_to. */
static uint32_t link_between(const sim_world *w, uint32_t at, uint32_t nb)
{
    if (nb < w->topo.n_nodes) {
        if (w->fwd[at].up == nb)
            return w->fwd[at].to_so_link;
        if (w->fwd[nb].up == at)
            return w->fwd[nb].to_so_link;
    }
    return link_to(&w->topo, at, nb);
}

static uint32_t link_other(const sim_world *w, uint32_t link, uint32_t end)
{
    const wlink *L = &w->wl[link];
    return L->a == end ? L->b : L->a;
}

/* Multi-source BFS from every SO (in index order): near_so (= home_so
 * until a move) and the link towards it for every node that can reach
 * one.  Also returns the BFS order in WP(w)->bfs_queue[0..*n_reached). */
static void route_forest(sim_world *w, uint32_t *n_reached)
{
    const sim_topo *t = &w->topo;
    uint32_t head = 0, tail = 0;

    for (uint32_t v = 0; v < t->n_nodes; v++) {
        w->fwd[v].near_so = SIM_NONE;
        w->fwd[v].to_so_link = SIM_NONE;
        w->fwd[v].up = SIM_NONE;
        w->fwd[v].depth = 0;
    }
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role == SCN_ROLE_SO) {
            w->fwd[v].near_so = v;
            WP(w)->bfs_queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t u = WP(w)->bfs_queue[head++];
        if (sim_world_setup_poll(w))
            break;                  /* the set-up unwinds (setup_stop) */
        for (uint32_t e = t->adj_off[u]; e < t->adj_off[u + 1]; e++) {
            uint32_t v = t->adj[e];
            if (w->fwd[v].near_so != SIM_NONE)
                continue;
            w->fwd[v].near_so = w->fwd[u].near_so;
            w->fwd[v].to_so_link = t->adj_link[e];
            w->fwd[v].up = u;
            w->fwd[v].depth = w->fwd[u].depth + 1;
            WP(w)->bfs_queue[tail++] = v;
        }
    }
    for (uint32_t v = 0; v < t->n_nodes; v++)
        w->nodes[v].home_so = w->fwd[v].near_so;
    *n_reached = tail;
}

/* ---- Routing beyond the forest: pendant trees and the 2-core -------------
 * Every query that the SO forest and the neighbour test do not answer is
 * answered as a full BFS from dst over neighbours sorted by index would
 * (fewest hops; a node's next hop is the link by which that BFS first
 * discovers it), without running one over the whole graph:
 *  - The 2-core (what is left after peeling nodes of degree <= 1, links
 *    counted with multiplicity) is computed once.  Every other node lies in
 *    a tree hanging by exactly one link from one core node (two links would
 *    make a cycle, which the core would hold), or in a component with no
 *    core at all, rooted at its lowest index.  A core node is the root of
 *    its own rooted tree (itself plus what hangs from it).
 *  - Inside one rooted tree the path is the tree path: the only path that
 *    does not leave and re-enter through the root.  Each of its links is
 *    unique (a non-core node keeps exactly one link to its parent), so the
 *    BFS from dst must take it.  Euler intervals [tin, tout] tell whether
 *    dst lies below `at` (then the child whose interval holds it, by binary
 *    search over the children in tin order) or not (then the parent).
 *  - Otherwise every path from `at` leaves its tree through its root and
 *    enters dst's tree through dst's root D: a non-root goes to its parent;
 *    a core root routes in the core towards D.  Core nodes are discovered
 *    only from core nodes (a pendant node is reached only through its own
 *    root), so the core nodes of the BFS from dst appear in the same order,
 *    each found first by the same core neighbour over the same link, as in
 *    a BFS from D over the core alone with the same adjacency order: the
 *    lazy core trees below give the BFS's own answer.
 * tests/test_world.c (test_route_reference_explicit, _generators) checks
 * every (at, dst) pair of about 300 graphs against a plain BFS. */

/* The core neighbours of core node c: up to two, in adjacency order, with
 * their links; returns how many there are (3 meaning "more than two"). */
static unsigned core_nbrs(const sim_world *w, uint32_t c, uint32_t nb[2],
                          uint32_t lk[2])
{
    const sim_topo *t = &w->topo;
    uint32_t v = w->core_node[c];
    unsigned k = 0;

    for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
        uint32_t x = w->core_ix[t->adj[e]];
        if (x == SIM_NONE)
            continue;
        if (k == 2)
            return 3;
        nb[k] = x;
        lk[k++] = t->adj_link[e];
    }
    return k;
}

/* Finds the core components that are one plain cycle of at least three
 * nodes (every node with exactly two distinct core neighbours) and numbers
 * each along the cycle from its lowest core index, towards that node's
 * first core neighbour.  O(core), once per world. */
static void route_cycles(sim_world *w)
{
    uint32_t nc = w->n_core;

    w->cyc_pos = xreallocarray(NULL, nc + 1, sizeof *w->cyc_pos);
    w->cyc_succ = xreallocarray(NULL, nc + 1, sizeof *w->cyc_succ);
    w->cyc_pred = xreallocarray(NULL, nc + 1, sizeof *w->cyc_pred);
    w->cyc_len = xreallocarray(NULL, nc + 1, sizeof *w->cyc_len);
    w->cyc_first_succ = xcalloc(nc + 1, 1);
    for (uint32_t c = 0; c < nc; c++)
        w->cyc_pos[c] = SIM_NONE;
    for (uint32_t c0 = 0; c0 < nc; c0++) {
        uint32_t nb[2], lk[2], prev = SIM_NONE, c = c0, len = 0, ok = 1;

        if (w->core_comp[c0] != c0)
            continue;                       /* one walk per component */
        /* Walk from c0 towards its first core neighbour until back. */
        do {
            uint32_t next, nlk, plk;
            if (core_nbrs(w, c, nb, lk) != 2 || nb[0] == nb[1]) {
                ok = 0;
                break;
            }
            if (prev == SIM_NONE || nb[1] == prev) {
                next = nb[0], nlk = lk[0], plk = lk[1];
            } else {
                next = nb[1], nlk = lk[1], plk = lk[0];
            }
            w->cyc_pos[c] = len++;
            w->cyc_succ[c] = nlk;
            w->cyc_pred[c] = plk;
            w->cyc_first_succ[c] = next == nb[0];
            prev = c;
            c = next;
        } while (c != c0 && len < nc);
        /* A plain cycle: the walk came back to c0 having numbered every
         * node of the component (a figure eight would not). */
        if (ok && c == c0) {
            uint32_t members = 0;
            for (uint32_t x = c0; x < nc; x++)
                members += w->core_comp[x] == c0;
            ok = members == len && len >= 3;
        } else {
            ok = 0;
        }
        if (ok) {
            w->cyc_len[c0] = len;
        } else {
            for (uint32_t x = c0; x < nc; x++)
                if (w->core_comp[x] == c0)
                    w->cyc_pos[x] = SIM_NONE;
        }
    }
}

/* On a plain cycle the fewest hops go the shorter way round.  At the
 * antipode (an even cycle, both ways equally long) a BFS from D finds it
 * first from D's first core neighbour's side: level by level the queue
 * holds that side's node before the other's (pendant nodes never discover
 * core nodes), so the path ends through that neighbour. */
static uint32_t route_cycle(const sim_world *w, uint32_t x, uint32_t d)
{
    uint32_t len = w->cyc_len[w->core_comp[x]];
    uint32_t f = (w->cyc_pos[d] + len - w->cyc_pos[x]) % len, b = len - f;

    if (f != b)
        return f < b ? w->cyc_succ[x] : w->cyc_pred[x];
    /* ends through D's succ when that is D's first core neighbour:
     * arriving from D + 1 means walking down the positions */
    return w->cyc_first_succ[d] ? w->cyc_pred[x] : w->cyc_succ[x];
}

/* Peels the graph to its 2-core, numbers the core (core_ix, core_node, a
 * CSR over core neighbours only when worth it, core_comp) and roots
 * the rest: plink, attach, Euler intervals and the children of every node
 * in tin order.  O(nodes + links), once per world. */
static void route_decompose(sim_world *w)
{
    const sim_topo *t = &w->topo;
    uint32_t n = t->n_nodes, head = 0, tail = 0, clock = 0, nc = 0;
    uint32_t *deg = xcalloc(n + 1, sizeof *deg);
    uint32_t *stack = WP(w)->bfs_queue;          /* scratch, n + 1 entries */
    uint32_t *cursor = xcalloc(n + 1, sizeof *cursor);
    unsigned char *gone = xcalloc(n + 1, 1);

    /* Peel: a node is queued once, when its remaining degree is <= 1. */
    for (uint32_t v = 0; v < n; v++) {
        deg[v] = sim_topo_degree(t, v);
        if (deg[v] <= 1) {
            stack[tail++] = v;
            gone[v] = 1;
        }
    }
    while (head < tail) {
        uint32_t v = stack[head++];
        for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
            uint32_t u = t->adj[e];
            if (!gone[u] && --deg[u] <= 1) {
                gone[u] = 1;
                stack[tail++] = u;
            }
        }
    }
    w->core_ix = xreallocarray(NULL, n + 1, sizeof *w->core_ix);
    for (uint32_t v = 0; v < n; v++)
        w->core_ix[v] = gone[v] ? SIM_NONE : nc++;
    w->n_core = nc;
    w->core_node = xcalloc(nc + 1, sizeof *w->core_node);
    {
        /* A CSR of its own over core neighbours (8 bytes per entry) only
         * when it saves the core BFS much scanning: when the core holds
         * less than 3/4 of the adjacency (a ring of SOs with their trees).
         * A mostly cyclic graph (random geometric) scans the full
         * adjacency and skips the few non-core entries instead. */
        uint64_t m = 0;
        for (uint32_t v = 0; v < n; v++)
            if (w->core_ix[v] != SIM_NONE) {
                w->core_node[w->core_ix[v]] = v;
                for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++)
                    m += w->core_ix[t->adj[e]] != SIM_NONE;
            }
        if (4 * m < 3 * (uint64_t)t->adj_off[n]) {
            w->core_off = xcalloc(nc + 1, sizeof *w->core_off);
            w->core_adj = xcalloc(m + 1, sizeof *w->core_adj);
            w->core_link = xcalloc(m + 1, sizeof *w->core_link);
            m = 0;
            for (uint32_t c = 0; c < nc; c++) {
                uint32_t v = w->core_node[c];
                w->core_off[c] = (uint32_t)m;
                for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++)
                    if (w->core_ix[t->adj[e]] != SIM_NONE) {
                        w->core_adj[m] = w->core_ix[t->adj[e]];
                        w->core_link[m++] = t->adj_link[e];
                    }
            }
            w->core_off[nc] = (uint32_t)m;
        }
    }

    /* Components of the core (BFS over the core). */
    w->core_comp = xreallocarray(NULL, nc + 1, sizeof *w->core_comp);
    for (uint32_t c = 0; c < nc; c++)
        w->core_comp[c] = SIM_NONE;
    for (uint32_t c0 = 0; c0 < nc; c0++) {
        if (w->core_comp[c0] != SIM_NONE)
            continue;
        head = tail = 0;
        w->core_comp[c0] = c0;
        stack[tail++] = w->core_node[c0];
        while (head < tail) {
            uint32_t v = stack[head++];
            for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
                uint32_t x = w->core_ix[t->adj[e]];
                if (x != SIM_NONE && w->core_comp[x] == SIM_NONE) {
                    w->core_comp[x] = c0;
                    stack[tail++] = t->adj[e];
                }
            }
        }
    }

    route_cycles(w);

    /* Root the trees (core nodes first, then the rest in index order, so a
     * coreless component is rooted at its lowest index) by an iterative DFS
     * that visits children in adjacency order and never enters the core. */
    w->rt_attach = xreallocarray(NULL, n + 1, sizeof *w->rt_attach);
    w->rt_plink = xreallocarray(NULL, n + 1, sizeof *w->rt_plink);
    w->rt_tin = xreallocarray(NULL, n + 1, sizeof *w->rt_tin);
    w->rt_tout = xreallocarray(NULL, n + 1, sizeof *w->rt_tout);
    for (uint32_t v = 0; v < n; v++) {
        w->rt_attach[v] = SIM_NONE;
        w->rt_plink[v] = SIM_NONE;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t r = 0; r < n; r++) {
            uint32_t top = 0;
            if (w->rt_attach[r] != SIM_NONE ||
                (pass == 0) != (w->core_ix[r] != SIM_NONE))
                continue;
            w->rt_attach[r] = r;
            w->rt_tin[r] = clock++;
            cursor[r] = t->adj_off[r];
            stack[top++] = r;
            while (top) {
                uint32_t v = stack[top - 1];
                if (cursor[v] == t->adj_off[v + 1]) {
                    w->rt_tout[v] = clock - 1;
                    top--;
                    continue;
                }
                uint32_t e = cursor[v]++, u = t->adj[e];
                if (w->rt_attach[u] != SIM_NONE ||
                    w->core_ix[u] != SIM_NONE)
                    continue;
                w->rt_attach[u] = r;
                w->rt_plink[u] = t->adj_link[e];
                w->rt_tin[u] = clock++;
                cursor[u] = t->adj_off[u];
                stack[top++] = u;
            }
        }
    }
    /* Children of each node, in adjacency order = tin order. */
    w->rt_child_off = xcalloc(n + 1, sizeof *w->rt_child_off);
    w->rt_child = xcalloc(n + 1, sizeof *w->rt_child);
    for (uint32_t v = 0, k = 0; v < n; v++) {
        w->rt_child_off[v] = k;
        for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
            uint32_t u = t->adj[e];
            if (w->rt_plink[u] == t->adj_link[e])   /* u's parent is v */
                w->rt_child[k++] = u;
        }
        w->rt_child_off[v + 1] = k;
    }
    free(gone);
    free(cursor);
    free(deg);
}

/* Start D's core BFS tree in rt (c = D's core index; via[x] = link from
 * core node x one hop closer to D), reusing rt's arrays: only the entries
 * set by the previous tree (those in its queue) are cleared.  The BFS runs
 * lazily in route_grow, in the same order as a full one. */
static void route_tree_build(sim_world *w, route_tree *rt, uint32_t c)
{
    if (!rt->via) {
        rt->via = xreallocarray(NULL, w->n_core, sizeof *rt->via);
        rt->queue = xreallocarray(NULL, w->n_core, sizeof *rt->queue);
        for (uint32_t x = 0; x < w->n_core; x++)
            rt->via[x] = SIM_NONE;
    } else {
        for (uint32_t i = 0; i < rt->tail; i++)
            rt->via[rt->queue[i]] = SIM_NONE;
    }
    WP(w)->route_builds++;
    rt->dst = c;
    rt->queue[0] = c;
    rt->head = 0;
    rt->tail = 1;
}

/* Continue rt's core BFS until core node `x` is discovered or the queue is
 * empty; whole nodes are expanded in BFS order, so via[x] is exactly what a
 * full core BFS gives (a node's via never changes once set).  Cost: the
 * core ball around D of radius dist(x, D), paid once per tree. */
static uint32_t route_grow(sim_world *w, route_tree *rt, uint32_t x)
{
    while (rt->via[x] == SIM_NONE && rt->head < rt->tail) {
        uint32_t u = rt->queue[rt->head++];
        WP(w)->route_visits++;
        if (w->core_off) {                    /* the core's own CSR      */
            for (uint32_t e = w->core_off[u]; e < w->core_off[u + 1]; e++) {
                uint32_t v = w->core_adj[e];
                if (v == rt->dst || rt->via[v] != SIM_NONE)
                    continue;
                rt->via[v] = w->core_link[e];
                rt->queue[rt->tail++] = v;
            }
        } else {                              /* the full adjacency      */
            const sim_topo *t = &w->topo;
            uint32_t nu = w->core_node[u];
            for (uint32_t e = t->adj_off[nu]; e < t->adj_off[nu + 1]; e++) {
                uint32_t v = w->core_ix[t->adj[e]];
                if (v == SIM_NONE || v == rt->dst || rt->via[v] != SIM_NONE)
                    continue;
                rt->via[v] = t->adj_link[e];
                rt->queue[rt->tail++] = v;
            }
        }
    }
    return rt->via[x];
}

/* Unlink slot i from the LRU list and put it at the head (most recent). */
static void route_touch(sim_world *w, uint32_t i)
{
    route_tree *rt = &WP(w)->routes[i];

    if (WP(w)->lru_head == i)
        return;
    /* Unlink: i is not the head, so it has a predecessor. */
    WP(w)->routes[rt->prev].next = rt->next;
    if (rt->next != SIM_NONE)
        WP(w)->routes[rt->next].prev = rt->prev;
    else
        WP(w)->lru_tail = rt->prev;
    rt->prev = SIM_NONE;
    rt->next = WP(w)->lru_head;
    WP(w)->routes[WP(w)->lru_head].prev = i;
    WP(w)->lru_head = i;
}

/* The core BFS tree of core node c, built on a miss into the least
 * recently used slot.  O(1) on a hit (route_slot index + LRU list); the
 * tree itself does not depend on the slot, so routes are those of a BFS
 * from c. */
static route_tree *route_lookup(sim_world *w, uint32_t c)
{
    uint32_t i = WP(w)->route_slot[c];
    route_tree *rt;

    if (i == SIM_NONE) {
        i = WP(w)->lru_tail;
        rt = &WP(w)->routes[i];
        if (rt->dst != SIM_NONE)
            WP(w)->route_slot[rt->dst] = SIM_NONE;
        route_tree_build(w, rt, c);
        WP(w)->route_slot[c] = i;
    }
    route_touch(w, i);
    return &WP(w)->routes[i];
}

/* If `at` lies on dst's forest path to their common SO (SO -> source
 * answers, the common case), the link from `at` to its child on that
 * path, and that child in *child; else SIM_NONE.  The forest path between
 * a node and its nearest SO is a shortest path, and so is every part of
 * it.  Cost: dst's depth. */
static uint32_t forest_down(const sim_world *w, uint32_t at, uint32_t dst,
                            uint32_t *child)
{
    const node_fwd *fa = &w->fwd[at], *fv = &w->fwd[dst];

    if (fv->near_so != fa->near_so || fv->near_so == SIM_NONE ||
        fv->depth <= fa->depth)
        return SIM_NONE;
    /* Only the forest ancestor of dst at depth(at) + 1 can be at's child
     * on the path: one dense record per step, none above it. */
    while (fv->depth > fa->depth + 1)
        fv = &w->fwd[fv->up];
    if (fv->up != at)
        return SIM_NONE;
    *child = (uint32_t)(fv - w->fwd);
    /* The hop's transmitter record (dir_get), fetched while the caller
     * returns (a hint only). */
    __builtin_prefetch(&w->fdir[2 * (size_t)*child + FD_DOWN], 1);
    return fv->to_so_link;
}

/* The link from `at` towards dst that a full BFS from dst picks (see
 * "Routing beyond the forest"), or SIM_NONE if dst cannot be reached.
 * Cost: O(log children) inside one tree, O(1) going up, a core tree
 * lookup (and its lazy growth) from a core node. */
static uint32_t route_next(sim_world *w, uint32_t at, uint32_t dst)
{
    uint32_t a = w->rt_attach[at], d = w->rt_attach[dst];

    if (a == d) {
        if (w->rt_tin[at] <= w->rt_tin[dst] &&
            w->rt_tin[dst] <= w->rt_tout[at]) {
            /* dst lies below at: the last child with tin <= tin[dst]. */
            uint32_t lo = w->rt_child_off[at], hi = w->rt_child_off[at + 1];
            while (hi - lo > 1) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (w->rt_tin[w->rt_child[mid]] <= w->rt_tin[dst])
                    lo = mid;
                else
                    hi = mid;
            }
            assert(lo < w->rt_child_off[at + 1]);
            return w->rt_plink[w->rt_child[lo]];
        }
        return w->rt_plink[at];               /* at is not the root      */
    }
    /* Two rooted trees are connected only through the core, and two core
     * nodes of one component through the core alone. */
    if (w->core_ix[a] == SIM_NONE || w->core_ix[d] == SIM_NONE ||
        w->core_comp[w->core_ix[a]] != w->core_comp[w->core_ix[d]])
        return SIM_NONE;
    if (w->rt_plink[at] != SIM_NONE)
        return w->rt_plink[at];               /* up to the root          */
    if (w->cyc_pos[w->core_ix[at]] != SIM_NONE)
        return route_cycle(w, w->core_ix[at], w->core_ix[d]);
    return route_grow(w, route_lookup(w, w->core_ix[d]), w->core_ix[at]);
}

uint32_t sim_world_next_hop(sim_world *w, uint32_t at, uint32_t dst,
                            uint32_t *link)
{
    const sim_topo *t = &w->topo;
    uint32_t l, nb;

    if (at >= t->n_nodes || dst >= t->n_nodes || at == dst)
        return SIM_NONE;
    if (w->fwd[at].near_so == dst && w->fwd[at].to_so_link != SIM_NONE) {
        if (link)                             /* up the forest to the SO */
            *link = w->fwd[at].to_so_link;
        return w->fwd[at].up;
    }
    /* Down the forest before the neighbour test: same answer, no CSR
     * search.  When forest_down finds at's child c on dst's path and dst
     * is a neighbour of at, c is dst (forest depths of neighbours differ
     * by at most one) and c's to_so_link is the lowest-numbered link
     * between them, as link_to's is (rows sorted by (neighbour, link)). */
    if ((l = forest_down(w, at, dst, &nb)) != SIM_NONE) {
        ;                                     /* down the forest         */
    } else if ((l = link_to(t, at, dst)) != SIM_NONE) {
        nb = dst;                             /* a neighbour             */
    } else {
        l = route_next(w, at, dst);           /* anything else           */
        if (l == SIM_NONE)
            return SIM_NONE;
        nb = link_other(w, l, at);
    }
    if (link)
        *link = l;
    return nb;
}

uint64_t sim_world_route_visits(const sim_world *w)
{
    return w->parts[0].route_visits + w->parts[1].route_visits;
}

uint64_t sim_world_route_builds(const sim_world *w)
{
    return w->parts[0].route_builds + w->parts[1].route_builds;
}

/* The node's own (locality check: a node knows its SO and whether its
 * registration was answered). */
uint32_t sim_world_home_so(const sim_world *w, uint32_t node)
{
    sim_world_local_at((sim_world *)w, node, NULL, "home_so",
                       __builtin_return_address(0));
    return node < w->topo.n_nodes ? w->nodes[node].home_so : SIM_NONE;
}

int sim_world_is_registered(const sim_world *w, uint32_t source)
{
    sim_world_local_at((sim_world *)w, source, NULL, "is_registered",
                       __builtin_return_address(0));
    return source < w->topo.n_nodes && w->nodes[source].registered;
}

int sim_world_so_knows(const sim_world *w, uint32_t so, uint32_t source)
{
    sim_world_local_at((sim_world *)w, so, NULL, "so_knows",
                       __builtin_return_address(0));
    (void)so;                    /* the locality check's only (test build) */
    return source < w->topo.n_nodes && w->nodes[source].known;
}

/* ------------------------------------------------------------------------
 * Links
 * ---------------------------------------------------------------------- */

sim_time sim_link_tx_time(const scn_link_params *p, uint32_t bytes)
{
    return (sim_time)ceil((double)bytes * 8.0 * 1e9 / p->bandwidth);
}

void sim_world_add_tap(sim_world *w, sim_tap_fn fn, void *ctx)
{
    w->taps = xreallocarray(w->taps, w->n_taps + 1, sizeof *w->taps);
    w->taps[w->n_taps].fn = fn;
    w->taps[w->n_taps].ctx = ctx;
    w->n_taps++;
}

/* Where the state of `link` from `from` to its other end `to` lives (see
 * link_dir): the index of its record in fdir when the link is the forest
 * link of one of its ends, else SIM_NONE (then it is in dirs, through
 * wl[link].dix).  Reads fwd[from] and, unless that decides, fwd[to]. */
static uint32_t fdir_ix(const sim_world *w, uint32_t from, uint32_t to,
                        uint32_t link)
{
    if (w->fwd[from].to_so_link == link)
        return 2 * from + FD_UP;
    if (w->fwd[to].to_so_link == link)
        return 2 * to + FD_DOWN;
    return SIM_NONE;
}

/* The state of `link` from `from` to `to` and its drop counters, or
 * NULL for both when it never carried a packet (nothing is created). */
static const link_dir *dir_find(const sim_world *w, uint32_t from,
                                uint32_t to, uint32_t link,
                                const link_dir_cold **cold)
{
    uint32_t f = fdir_ix(w, from, to, link), ix;
    static const link_dir_cold none;

    if (f != SIM_NONE) {
        *cold = w->fdir_cold ? &w->fdir_cold[f] : &none;
        return &w->fdir[f];
    }
    ix = w->wl[link].dix[w->wl[link].a == from ? 0 : 1];
    if (!ix) {
        *cold = NULL;
        return NULL;
    }
    *cold = &w->dirs_cold[ix - 1];
    return &w->dirs[ix - 1];
}

void sim_world_link_stats(const sim_world *w, uint32_t link, int dir,
                          sim_link_stats *out)
{
    const wlink *L = &w->wl[link];
    const link_dir_cold *c;
    const link_dir *d = dir ? dir_find(w, L->b, L->a, link, &c)
                            : dir_find(w, L->a, L->b, link, &c);

    if (!d) {
        memset(out, 0, sizeof *out);
        return;
    }
    out->tx_pkts = d->tx_pkts;
    out->tx_bytes = d->tx_bytes;
    out->busy_until = d->busy_until;
    out->lost = c->lost;
    out->queue_drops = c->queue_drops;
}

static void ev_arrive(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64);

/* The state of direction `dir` of link `link` (L = &w->wl[link]) in
 * dirs, zeroed on its first use: a link off the forest. */
/* Room for `cap` directions in dirs and dirs_cold (aligned: realloc
 * keeps only malloc's 16 bytes). */
static void dirs_reserve(sim_world *w, uint32_t cap)
{
    void *nd;
    size_t bytes = (size_t)cap * sizeof(link_dir);
    int huge = bytes >= HUGE_MIN;              /* as world_calloc */

    if (cap <= w->cap_dirs)
        return;
    assert(!w->two);         /* two threads: sized up front (world_presize) */
    if (posix_memalign(&nd, huge ? HUGE_PAGE : LINK_DIR_ALIGN, bytes))
        xoom(bytes);
#ifdef MADV_HUGEPAGE
    if (huge)
        (void)madvise(nd, bytes, MADV_HUGEPAGE);  /* a hint */
#endif
    if (w->n_dirs)
        memcpy(nd, w->dirs, (size_t)w->n_dirs * sizeof(link_dir));
    free(w->dirs);
    w->dirs = nd;
    w->dirs_cold = xreallocarray(w->dirs_cold, cap, sizeof *w->dirs_cold);
    w->cap_dirs = cap;
}

static link_dir *link_dir_of(sim_world *w, wlink *L, uint32_t link, int dir)
{
    uint32_t ix = L->dix[dir];

    if (!ix) {
        link_dir *d;
        if (w->n_dirs == w->cap_dirs) {
            uint32_t cap = w->cap_dirs ? 2 * w->cap_dirs : 256;
            if (cap <= w->cap_dirs)
                xoom((size_t)cap * sizeof *d);
            dirs_reserve(w, cap);
        }
        d = &w->dirs[w->n_dirs];
        memset(d, 0, sizeof *d);
        memset(&w->dirs_cold[w->n_dirs], 0, sizeof *w->dirs_cold);
        d->par = w->topo.links[link].par;
        ix = L->dix[dir] = ++w->n_dirs;
    }
    return &w->dirs[ix - 1];
}

/* The state of `link` from `from` to its other end `to`, created on first
 * use, and in *f its fdir index or SIM_NONE (link_dir_cold_of).  A hop
 * along the forest reads fwd[from] (and fwd[to] going down) and the fdir
 * record, all indexed by nodes the caller knows: no link record. */
static link_dir *dir_get(sim_world *w, uint32_t from, uint32_t to,
                         uint32_t link, uint32_t *f)
{
    wlink *L;

    *f = fdir_ix(w, from, to, link);
    if (*f != SIM_NONE)
        return &w->fdir[*f];
    L = &w->wl[link];
    return link_dir_of(w, L, link, L->a == from ? 0 : 1);
}

/* The drop counters of d, which dir_get returned with f. */
static link_dir_cold *link_dir_cold_of(sim_world *w, const link_dir *d,
                                       uint32_t f)
{
    if (f == SIM_NONE)
        return &w->dirs_cold[d - w->dirs];
    if (!w->fdir_cold)                 /* the first drop on the forest */
        w->fdir_cold = world_calloc(2 * (size_t)w->topo.n_nodes,
                                    sizeof *w->fdir_cold);
    return &w->fdir_cold[f];
}

/* --pcap (kmsim extension, issue 23): a record of p (event SIM_PCAP_TX
 * or _RX) on `link` from `from` to `to`, if the filter selects it: written
 * now with one scheduler, else logged with the running event's key in
 * this partition's log of this window (merged at the barrier). */
static void world_pcap_pkt(sim_world *w, int event, uint32_t from,
                           uint32_t to, uint32_t link, const sim_pkt *p)
{
    if (!sim_pcap_wants(w->pcap, from, to, link))
        return;
    if (w->two) {
        sim_event_key k;
        sim_sched_key_now(WP(w)->sched, &k);
        sim_pcap_buf_packet(w->pcbuf[WP(w)->cur][world_tl], w->pcap, &k,
                            event, from, to, link, p->buf, p->len);
    } else {
        sim_pcap_packet(w->pcap, sim_sched_now(WP(w)->sched), event, from,
                        to, link, p->buf, p->len);
    }
}

/* --keylog: a protocol store sealed (cry_keystore_set_seal_log); logged
 * like world_pcap_pkt's records, so the key log is in run order too. */
static void world_pcap_seal(void *ctx, const unsigned char *key,
                            uint32_t sender, uint64_t counter,
                            const unsigned char *tag)
{
    sim_world *w = ctx;

    if (w->two) {
        sim_event_key k;
        sim_sched_key_now(WP(w)->sched, &k);
        sim_pcap_buf_seal(w->pcbuf[WP(w)->cur][world_tl], &k, key, sender,
                          counter, tag);
    } else {
        sim_pcap_seal(w->pcap, key, sender, counter, tag);
    }
}

void sim_world_note_keystore(sim_world *w, cry_keystore *ks)
{
    w->ks_noted = xreallocarray(w->ks_noted, w->n_ks_noted + 1,
                                sizeof *w->ks_noted);
    w->ks_noted[w->n_ks_noted++] = ks;
}

int sim_world_set_pcap(sim_world *w, sim_pcap *pc, uint32_t rep, char *err,
                       size_t errlen)
{
    assert(!w->pcap && sim_world_events(w) == 0);
    if (sim_pcap_bind(pc, &w->topo, sim_pcap_proto_code(w->proto->name),
                      (cry_aead)w->sc->aead, rep, err, errlen) != 0)
        return -1;
    w->pcap = pc;
    if (w->two)
        for (int q = 0; q < 4; q++)
            w->pcbuf[q >> 1][q & 1] = sim_pcap_buf_new();
    if (sim_pcap_keylog_on(pc))
        for (uint32_t i = 0; i < w->n_ks_noted; i++)
            cry_keystore_set_seal_log(w->ks_noted[i], world_pcap_seal, w);
    return 0;
}

/* Keeps the arrival of p at `to` at time t in the outbox with the key this
 * partition's scheduler gives it now (kmsim extension, THREADS.md step
 * 4.2).  Not on the path of a one-partition run. */
static void part_cross(sim_world *w, sim_time t, uint32_t from, uint32_t to,
                       uint32_t link, sim_pkt *p, uint32_t draw)
{
    world_part *pt = WP(w);
    world_cross *c;

    int q = pt->cur;

    if (pt->n_out[q] == pt->cap_out[q]) {
        pt->cap_out[q] = pt->cap_out[q] ? 2 * pt->cap_out[q] : 64;
        pt->out[q] = xreallocarray(pt->out[q], pt->cap_out[q],
                                   sizeof *pt->out[q]);
    }
    c = &pt->out[q][pt->n_out[q]++];
    sim_sched_key_for(pt->sched, t, &c->k);
    c->to = to;
    c->link = link;
    c->p = p;
    c->from = from;
    c->draw = draw;
    pt->crossed++;
}

/* Puts p on `link` from `from` to its other end `to`: FIFO transmit queue
 * per direction (the transmitter is busy until busy_until; the bytes
 * still queued are (busy_until - now) * bandwidth, exactly, so a
 * byte-limited drop-tail queue needs no per-packet state), then the
 * attacker taps, the loss draw and propagation. */
static void link_xmit(sim_world *w, uint32_t from, uint32_t to,
                      uint32_t link, sim_pkt *p)
{
    uint32_t f;
    link_dir *d = dir_get(w, from, to, link, &f);
    const scn_link_params *par = &w->topo.params[d->par];
    sim_time now = sim_sched_now(WP(w)->sched);
    sim_time start = d->busy_until > now ? d->busy_until : now;
    sim_time tx = sim_link_tx_time(par, p->len);
    sim_pkt_type type = sim_pkt_type_of(p);
    int cut;

    /* Drop-tail: the bytes queued ahead must leave room for this packet.
     * A backlog reaching past SIM_LINK_HORIZON (beyond any run) is full
     * too, which also keeps every time below int64 overflow. */
    if ((par->queue > 0 &&
         (double)(start - now) * par->bandwidth / 8e9 + p->len >
             (double)par->queue) ||
        start > SIM_LINK_HORIZON - tx - par->latency) {
        link_dir_cold_of(w, d, f)->queue_drops++;
        ana_metric_add(WP(w)->m, w->id.qdrop, 1);
        sim_pkt_free(w, p);
        return;
    }
    d->busy_until = start + tx;
    d->tx_pkts++;
    d->tx_bytes += p->len;
    if (type >= SIM_PKT_REGISTER && type < SIM_PKT_TYPE_COUNT) {
        ana_metric_add(WP(w)->m, w->id.tx[type], 1);
        ana_metric_add(WP(w)->m, w->id.txb[type], p->len);
    }
    if (w->pcap)                     /* --pcap: what the sender sends */
        world_pcap_pkt(w, SIM_PCAP_TX, from, to, link, p);
    /* On the air: attackers see (and may alter or remove) it.  While a
     * tap runs the attacker is the actor (locality check), not `from`. */
    for (size_t i = 0; i < w->n_taps; i++) {
        sim_tap_verdict vd;
#ifdef KMSIM_LOCALITY
        uint32_t actor = w->actor;
        w->actor = SIM_ACTOR_ATTACKER;
#endif
        vd = w->taps[i].fn(w->taps[i].ctx, w, link, from, to, p);
#ifdef KMSIM_LOCALITY
        w->actor = actor;
#endif
        if (vd == SIM_TAP_DROP) {
            sim_pkt_free(w, p);
            return;
        }
    }
    /* Across the cut of two schedulers the loss draw waits for the
     * barrier (cross_draw): both ends draw from the link's one stream. */
    cut = w->node_part && w->node_part[from] != w->node_part[to];
    if (par->loss > 0 && !(cut && w->two) &&
        gsl_rng_uniform(sim_rng_get(w->rng, SIM_RNG_LINK, link)) < par->loss) {
        link_dir_cold_of(w, d, f)->lost++;
        ana_metric_add(WP(w)->m, w->id.lost, 1);
        sim_pkt_free(w, p);
        return;
    }
    if (cut) {
        part_cross(w, d->busy_until + par->latency, from, to, link, p,
                   w->two && par->loss > 0);
        return;
    }
    sim_sched_at(WP(w)->sched, d->busy_until + par->latency, ev_arrive,
                 SIM_EV_ARRIVE, to, p, link);
}

void sim_world_send(sim_world *w, uint32_t from, sim_pkt *p)
{
    uint32_t link, nb, dst = sim_pkt_dst(p);

    if (p->sent < 0)
        p->sent = sim_sched_now(WP(w)->sched);   /* leaves its first node */
    /* A node transmits only from its own radio (locality check). */
    sim_world_local_at(w, from, NULL, "send", __builtin_return_address(0));

    if (from == dst) {
        sim_sched_in(WP(w)->sched, 0, ev_arrive, SIM_EV_ARRIVE, dst, p, SIM_NONE);
        return;
    }
    if (w->proto->route) {
        nb = w->proto->route(w, w->proto_state, from, p);
        if (nb != SIM_NONE) {
            link = link_between(w, from, nb);
            if (link == SIM_NONE) {          /* not a neighbour */
                ana_metric_add(WP(w)->m, w->id.unroutable, 1);
                sim_pkt_free(w, p);
                return;
            }
            link_xmit(w, from, nb, link, p);
            return;
        }
    }
    if ((nb = sim_world_next_hop(w, from, dst, &link)) == SIM_NONE) {
        ana_metric_add(WP(w)->m, w->id.unroutable, 1);
        sim_pkt_free(w, p);
        return;
    }
    link_xmit(w, from, nb, link, p);
}

int sim_world_inject(sim_world *w, uint32_t from, uint32_t to, sim_pkt *p)
{
    uint32_t link = link_to(&w->topo, from, to);
    const scn_link_params *par;

    if (link == SIM_NONE) {
        sim_pkt_free(w, p);
        return -1;
    }
    par = sim_topo_link_params(&w->topo, link);
    sim_sched_in(WP(w)->sched, sim_link_tx_time(par, p->len) + par->latency,
                 ev_arrive, SIM_EV_ARRIVE, to, p, link);
    return 0;
}

void sim_world_originate(sim_world *w, uint32_t from, sim_pkt *p)
{
    sim_pkt_type type = sim_pkt_type_of(p);
    if (type >= SIM_PKT_REGISTER && type < SIM_PKT_TYPE_COUNT)
        ana_metric_add(WP(w)->m, w->id.sent[type], 1);
    w->nodes[from].originated++;
    sim_world_send(w, from, p);
}

/* ------------------------------------------------------------------------
 * Smart objects
 * ---------------------------------------------------------------------- */

static int after_warmup(const sim_world *w, sim_time t)
{
    return t >= w->sc->warmup;
}

static void ev_so_done(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64);

static void so_start_next(sim_world *w, so_rt *so)
{
    sim_pkt *p = so->q_head;
    sim_time now = sim_sched_now(WP(w)->sched);
    sim_time svc;

    if (so->serving || !p)
        return;
    so->q_head = p->next;
    if (!so->q_head)
        so->q_tail = NULL;
    p->next = NULL;
    so->serving = p;
    so->serve_start = now;
    if (after_warmup(w, p->arrived))
        ana_welford_add(&so->st.wait, sim_time_to_s(now - p->arrived));
    svc = sim_dist_sample_ns(&w->sc->so.service,
                             sim_rng_get(w->rng, SIM_RNG_SERVICE,
                                         w->so_of_node[so->node]));
    sim_sched_in(WP(w)->sched, svc, ev_so_done, SIM_EV_SO_DONE, so->node, NULL,
                 0);
}

/* --series: an arrival at SO `so` (arr 1) or a change of its number in
 * system by dq, into the running partition's registry or log (the SO is
 * its partition's: replayed in key order, sim/THREADS.md). */
static void so_series(sim_world *w, so_rt *so, int arr, int dq)
{
    ana_metrics *m = sim_world_metrics(w);
    uint32_t k = w->so_of_node[so->node];

    if (arr) {
        ana_series_add(m, w->ser_arr[k], 1);
        ana_series_add(m, w->ser_arr_all, 1);
    }
    if (dq) {
        ana_series_add(m, w->ser_q[k], dq);
        ana_series_add(m, w->ser_q_all, dq);
    }
}

/* A request (REGISTER or DATA) reaches the SO's FCFS queue. */
static void so_enqueue(sim_world *w, so_rt *so, sim_pkt *p)
{
    sim_time now = sim_sched_now(WP(w)->sched);

    if (after_warmup(w, now))
        so->st.arrivals++;
    if (w->ser)
        so_series(w, so, 1, 0);
    if (w->sc->so.queue_capacity &&
        so->in_system >= w->sc->so.queue_capacity) {
        if (after_warmup(w, now))
            so->st.drops++;
        ana_metric_add(WP(w)->m, w->id.so_drops, 1);
        sim_pkt_free(w, p);
        return;
    }
    p->arrived = now;
    p->next = NULL;
    if (so->q_tail)
        so->q_tail->next = p;
    else
        so->q_head = p;
    so->q_tail = p;
    so->in_system++;
    ana_twa_set(&so->nsys, now, so->in_system);
    if (w->ser)
        so_series(w, so, 0, 1);
    so_start_next(w, so);
}

static void busy_add(sim_world *w, so_rt *so, sim_time from, sim_time to)
{
    if (from < w->sc->warmup)
        from = w->sc->warmup;
    if (to > from)
        so->st.busy += sim_time_to_s(to - from);
}

static void ev_publish(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64);

/* Service of one request finished: registration answered, or data stored
 * (raw store), processed, and handed to publishing after the publish
 * delay. */
static void ev_so_done(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    so_rt *so = &w->sos[w->so_of_node[node]];
    sim_pkt *p = so->serving;
    sim_time now = sim_sched_now(s);
    (void)kind; (void)arg; (void)u64;

    assert(p);
    so->serving = NULL;
    so->in_system--;
    ana_twa_set(&so->nsys, now, so->in_system);
    if (w->ser)
        so_series(w, so, 0, -1);
    busy_add(w, so, so->serve_start, now);
    /* Service rate = services started after the warm-up / their total
     * time (no partial service at either end); utilisation uses the busy
     * time clipped to [warm-up, end]; sojourns only of requests that
     * arrived after the warm-up. */
    if (after_warmup(w, now))
        so->st.completions++;
    if (after_warmup(w, so->serve_start)) {
        so->st.served++;
        so->st.served_time += sim_time_to_s(now - so->serve_start);
    }
    if (after_warmup(w, p->arrived))
        ana_welford_add(&so->st.sojourn, sim_time_to_s(now - p->arrived));
    if (sim_pkt_type_of(p) == SIM_PKT_REGISTER) {
        /* A repeated registration (the answer was lost) gets the same
         * identifier again and does not reach the protocol twice. */
        uint32_t src = sim_pkt_src(p);
        node_rt *sn = &w->nodes[src];
        sim_pkt *ack = sim_pkt_new(w, SIM_PKT_REGISTER_ACK, node, src,
                                   w->nodes[node].seq++, 8, 0);
        uint64_t ident;

        if (!sn->known) {
            sn->known = 1;
            sn->ident = (uint32_t)so->next_id++;
            so->st.registered++;
            if (w->proto->on_register_so)
                w->proto->on_register_so(w, w->proto_state, node, src);
        }
        ident = ((uint64_t)w->so_of_node[node] << 32) | sn->ident;
        for (int i = 0; i < 8; i++)
            sim_pkt_ctl(ack)[i] = (unsigned char)(ident >> (8 * i));
        sim_pkt_free(w, p);
        sim_world_originate(w, node, ack);
    } else {
        /* Raw data store, then processing (the service just finished),
         * then publication after the publish delay. */
        ana_metric_add(WP(w)->m, w->id.stored, p->payload);
        p->served = now;
        sim_time beta = sim_dist_sample_ns(
            &w->sc->so.publish,
            sim_rng_get(w->rng, SIM_RNG_PUBLISH, w->so_of_node[node]));
        sim_sched_in(s, beta, ev_publish, SIM_EV_PUBLISH, node, p, 0);
    }
    so_start_next(w, so);
}

/* Writes the concrete topic of source ordinal `ord` ("{id}" replaced by
 * the source's node id) into buf; returns its length. */
/* Writes the concrete topic of source `src` (its template with every
 * "{id}" replaced by the node's id, as the loader validated it) into buf
 * of TOPIC_MAX bytes; returns its length.  A template has at most
 * SCN_MAX_STRING bytes and "{id}" (4 bytes) becomes at most 10 digits. */
#define TOPIC_MAX (3 * SCN_MAX_STRING + 16)
static size_t topic_of(const sim_world *w, uint32_t src, char *buf)
{
    const scn_traffic *tr = &w->sc->traffic;
    const char *tpl = tr->topics[w->nodes[src].src_ord % tr->n_topics];
    const char *hole;
    size_t n = 0;
    char id[16];
    int idlen = snprintf(id, sizeof id, "%u", w->topo.nodes[src].id);

    while ((hole = strstr(tpl, "{id}")) != NULL) {
        memcpy(buf + n, tpl, (size_t)(hole - tpl));
        n += (size_t)(hole - tpl);
        memcpy(buf + n, id, (size_t)idlen);
        n += (size_t)idlen;
        tpl = hole + 4;
    }
    memcpy(buf + n, tpl, strlen(tpl) + 1);
    return n + strlen(tpl);
}

/* Subscribers of src's SO whose filter matches src's topic: the
 * deliveries each of its messages should make (ground truth for the
 * delivered fraction, not a protocol decision).  Cached until it moves. */
static uint32_t want_of(sim_world *w, uint32_t src)
{
    node_rt *n = &w->nodes[src];

    if (n->want < 0) {
        n->want = 0;
        if (n->home_so != SIM_NONE) {
            const so_rt *so = &w->sos[w->so_of_node[n->home_so]];
            char topic[TOPIC_MAX];
            if (so->sub_off < so->sub_end)
                topic_of(w, src, topic);
            for (uint32_t i = so->sub_off; i < so->sub_end; i++) {
                uint32_t sub = w->so_subs[i];
                if (sim_topic_match(w->sc->subs.filters[
                        w->sub_filter[sub] % w->sc->subs.n_filters], topic))
                    n->want++;
            }
        }
    }
    return (uint32_t)n->want;
}

static void send_data(sim_world *w, uint32_t src, sim_pkt *p);

static void ev_publish(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    so_rt *so = &w->sos[w->so_of_node[node]];
    sim_pkt *data = arg;
    char topic[TOPIC_MAX];
    size_t tlen = 0;
    (void)s; (void)kind; (void)u64;

    ana_metric_add(WP(w)->m, w->id.published, 1);
    if (so->sub_off < so->sub_end)
        tlen = topic_of(w, data->origin, topic);
    for (uint32_t i = so->sub_off; i < so->sub_end; i++) {
        uint32_t sub = w->so_subs[i];
        const char *filter =
            w->sc->subs.filters[w->sub_filter[sub] % w->sc->subs.n_filters];
        sim_pkt *p;
        unsigned char *b;

        if (!sim_topic_match(filter, topic))
            continue;
        p = sim_pkt_new(w, SIM_PKT_PUBLISH, node, sub, w->nodes[node].seq++,
                        0, (uint32_t)(2 + tlen + data->payload));
        b = sim_pkt_data(p);
        sim_put16(b, (uint16_t)tlen);
        memcpy(b + 2, topic, tlen);
        memcpy(b + 2 + tlen, sim_pkt_data(data), data->payload);
        p->created = data->created;
        p->sent = data->sent;           /* seed 000's T split, per copy */
        p->arrived = data->arrived;
        p->served = data->served;
        p->origin = data->origin;
        p->payload = data->payload;
        send_data(w, node, p);          /* the protocol may protect it */
    }
    sim_pkt_free(w, data);
}

/* ------------------------------------------------------------------------
 * Delivery
 * ---------------------------------------------------------------------- */

static void source_flush(sim_world *w, uint32_t src);

/* Attack bookkeeping of a packet (sim_pkt.atk_state). */
enum { PS_NONE, PS_ACCEPTED, PS_REFUSED };

void sim_world_refuse(sim_world *w, uint32_t node, sim_pkt *p)
{
    (void)node;
    if (!p->atk || p->atk_state == PS_REFUSED)
        return;
    if (p == w->atk_cur)
        w->atk_cur_refused = 1;
    /* A refusal after the packet was counted accepted (a protocol that
     * decides later) moves it over. */
    atk_outcome(w->atk, (uint32_t)p->atk - 1, p->atk_class, 0,
                p->atk_state == PS_ACCEPTED && p != w->atk_cur);
    p->atk_state = PS_REFUSED;
}

/* The world's own refusal of a received packet: counted, then freed. */
static void world_reject(sim_world *w, uint32_t node, sim_pkt *p)
{
    ana_metric_add(WP(w)->m, w->id.rejected, 1);
    sim_world_refuse(w, node, p);
    sim_pkt_free(w, p);
}

/* Seed 000's T = Z + n/Pi + beta, measured on publish p delivered now
 * (its data created after the warm-up): key access Z (created -> first
 * left its source: waiting for registration, keys or a channel, and the
 * source's CPU), transfer (-> entered the SO's queue: links, queues,
 * forwarders), SO (queue + service) and publish (service done ->
 * delivered: the publish delay beta, the SO's protection, the way to the
 * subscriber).  The four parts add up to delay.end_to_end.  A publish
 * the network never carried from an SO (an attacker's forgery) has no
 * stamps and no parts. */
static void t_split(sim_world *w, const sim_pkt *p, sim_time now)
{
    if (p->sent < p->created || p->arrived < p->sent ||
        p->served < p->arrived || now < p->served)
        return;
    ana_metric_add(WP(w)->m, w->id.d_key, sim_time_to_s(p->sent - p->created));
    ana_metric_add(WP(w)->m, w->id.d_xfer, sim_time_to_s(p->arrived - p->sent));
    ana_metric_add(WP(w)->m, w->id.d_sod, sim_time_to_s(p->served - p->arrived));
    ana_metric_add(WP(w)->m, w->id.d_pub, sim_time_to_s(now - p->served));
}

static void deliver(sim_world *w, uint32_t node, sim_pkt *p)
{
    node_rt *n = &w->nodes[node];
    sim_time now = sim_sched_now(WP(w)->sched);

    switch (sim_pkt_type_of(p)) {
    case SIM_PKT_REGISTER:
        if (n->role != SCN_ROLE_SO)
            break;
        so_enqueue(w, &w->sos[w->so_of_node[node]], p);
        return;
    case SIM_PKT_DATA:
        if (n->role != SCN_ROLE_SO)
            break;
        if (w->proto->unprotect &&
            w->proto->unprotect(w, w->proto_state, node, p) != 0) {
            world_reject(w, node, p);
            return;
        }
        ana_metric_add(WP(w)->m, w->id.data_at_so, 1);
        if (after_warmup(w, p->created))
            ana_metric_add(WP(w)->m, w->id.d_so, sim_time_to_s(now - p->created));
        so_enqueue(w, &w->sos[w->so_of_node[node]], p);
        return;
    case SIM_PKT_REGISTER_ACK:
        if (n->role != SCN_ROLE_SOURCE)
            break;
        if (n->registered) {
            /* The answer to a retry that crossed the first answer. */
            ana_metric_add(WP(w)->m, w->id.dup_acks, 1);
            sim_world_refuse(w, node, p);
            sim_pkt_free(w, p);
            return;
        }
        n->registered = 1;
        n->reg_done = now;
        ana_metric_add(WP(w)->m, w->id.registered, 1);
        ana_metric_add(WP(w)->m, w->id.d_reg, sim_time_to_s(now - n->reg_sent));
        if (w->proto->on_register_source)
            w->proto->on_register_source(w, w->proto_state, node,
                                         sim_pkt_src(p));
        sim_pkt_free(w, p);
        source_flush(w, node);
        return;
    case SIM_PKT_PUBLISH:
        if (n->role != SCN_ROLE_SUBSCRIBER)
            break;
        if ((sim_pkt_flags(p) & (SIM_F_CTL_SEALED | SIM_F_DATA_SEALED)) &&
            (!w->proto->unprotect ||
             w->proto->unprotect(w, w->proto_state, node, p) != 0)) {
            world_reject(w, node, p);
            return;
        }
        ana_metric_add(WP(w)->m, w->id.pub_deliveries, 1);
        if (after_warmup(w, p->created)) {
            ana_metric_add(WP(w)->m, w->id.d_e2e, sim_time_to_s(now - p->created));
            t_split(w, p, now);
        }
        sim_pkt_free(w, p);
        return;
    case SIM_PKT_CONTROL:
        if (w->proto->on_control) {
            w->proto->on_control(w, w->proto_state, node, p);
            return;
        }
        break;
    default:
        break;
    }
    world_reject(w, node, p);
}

/* A message is what its bytes say.  One that does not parse (shorter
 * than a header, part lengths that do not add up to its length, an
 * unknown type, a node that does not exist) is rejected where it
 * arrives, before anything reads it.  Only an attacker's message (sent,
 * or altered on the air) can be malformed. */
static int well_formed(const sim_world *w, const sim_pkt *p)
{
    sim_hdr h;

    return sim_hdr_read(&h, p->buf, p->len) == 0 &&
           h.type >= SIM_PKT_REGISTER && h.type < SIM_PKT_TYPE_COUNT &&
           h.src < w->topo.n_nodes &&
           h.dst < w->topo.n_nodes;
}

static void ev_arrive(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    sim_pkt *p = arg;
    (void)s; (void)kind;

    if (w->pcap && u64 < w->topo.n_links)  /* --pcap: as it arrives */
        world_pcap_pkt(w, SIM_PCAP_RX, w->wl[u64].a == node
                                           ? w->wl[u64].b : w->wl[u64].a,
                       node, (uint32_t)u64, p);
    if (!well_formed(w, p)) {
        world_reject(w, node, p);
        return;
    }
    sim_put16(p->buf + 2, (uint16_t)(sim_pkt_hops(p) + 1));
    if (sim_pkt_dst(p) != node) {
        /* A relay: the forwarding records the next hop will read, and
         * the transmitter of its forest link (the hop up, the common
         * case), fetched while the protocol's forward hook works (a hint
         * only). */
        __builtin_prefetch(&w->fwd[node]);
        __builtin_prefetch(&w->fwd[sim_pkt_dst(p)]);
        __builtin_prefetch(&w->fdir[2 * (size_t)node + FD_UP], 1);
    }
    if (sim_pkt_dst(p) == node && p->atk) {
        /* An attacker's packet at its destination: accepted unless
         * something refuses it while it is handled (the handler may free
         * it: only the pointer is compared afterwards). */
        uint32_t a = (uint32_t)p->atk - 1, cls = p->atk_class;
        w->atk_cur = p;
        w->atk_cur_refused = 0;
        p->atk_state = PS_ACCEPTED;     /* provisional, see refuse */
        deliver(w, node, p);
        if (!w->atk_cur_refused)
            atk_outcome(w->atk, a, cls, 1, 0);
        w->atk_cur = NULL;
    } else if (sim_pkt_dst(p) == node) {
        deliver(w, node, p);
    } else if (!w->proto->forward) {
        sim_world_send(w, node, p);
    } else {
        int rc = w->proto->forward(w, w->proto_state, node, p);
        if (rc < 0) {
            world_reject(w, node, p);
        } else if (rc == 0) {
            sim_world_send(w, node, p);
        }                        /* rc > 0: the protocol sends it later */
    }
}

/* ------------------------------------------------------------------------
 * Sources: registration and traffic
 * ---------------------------------------------------------------------- */

/* A data or publish packet leaves src: the protocol protects it first. */
static void send_data(sim_world *w, uint32_t src, sim_pkt *p)
{
    int rc = 0;
    if (w->proto->protect)
        rc = w->proto->protect(w, w->proto_state, src, sim_pkt_dst(p), p);
    if (rc == 0)
        sim_world_originate(w, src, p);
    else if (rc < 0) {
        ana_metric_add(WP(w)->m, w->id.rejected, 1);
        sim_pkt_free(w, p);
    }
    /* rc > 0: the protocol keeps p and sends it when ready. */
}

/* Sends the data held while registration was pending.  They leave the
 * source now, so they go where it sends now: a source that moved while
 * they waited readdresses them to its new SO (nothing is sealed yet). */
static void source_flush(sim_world *w, uint32_t src)
{
    node_rt *n = &w->nodes[src];
    while (n->held) {
        sim_pkt *p = n->held;
        n->held = p->next;
        p->next = NULL;
        if (sim_pkt_dst(p) != n->home_so)
            sim_put32(p->buf + 8, n->home_so);
        send_data(w, src, p);
    }
    n->held_tail = NULL;
    n->n_held = 0;
}

/* Sends (or resends) a source's registration; an unanswered one is sent
 * again after register_retry.  The registration delay is measured from
 * the first attempt. */
static void ev_register(sim_sched *s, void *ctx, uint32_t kind,
                        uint32_t node, void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    node_rt *n = &w->nodes[node];
    (void)kind; (void)arg;

    if (n->registered)
        return;
    if (u64 == 0) {
        n->reg_sent = sim_sched_now(s);
        WP(w)->reg_tried++;
    }
    else
        ana_metric_add(WP(w)->m, w->id.reg_retries, 1);
    sim_world_originate(w, node, sim_pkt_new(w, SIM_PKT_REGISTER, node, n->home_so,
                                   n->seq++, 0, 0));
    if (w->sc->traffic.register_retry > 0) {
        /* Exponential backoff (retry, 2 retry, 4 retry, ... capped at 64
         * retry): a congested SO must not be buried under duplicates. */
        sim_time wait = w->sc->traffic.register_retry;
        for (uint64_t i = 0; i < u64 && i < 6 && wait < w->sc->duration; i++)
            wait *= 2;
        if (wait < w->sc->duration - sim_sched_now(s))
            sim_sched_in(s, wait, ev_register, SIM_EV_REGISTER, node, NULL,
                         u64 + 1);
    }
}

static void ev_traffic(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    node_rt *n = &w->nodes[node];
    gsl_rng *r = sim_rng_get(w->rng, SIM_RNG_TRAFFIC, node);
    double sz = sim_dist_sample(&w->sc->traffic.size, r);
    sim_time next = sim_dist_sample_ns(&w->sc->traffic.interval, r);
    uint32_t payload;
    sim_pkt *p;
    (void)kind; (void)arg; (void)u64;

    /* Draw order per message is fixed (size, then next interval), so the
     * traffic never depends on what the protocol does. */
    if (sz < 1 || sz > SIM_PAYLOAD_MAX) {
        /* Unbounded distributions (exp, normal, ...) are clamped to
         * [1 B, 64 KiB], the loader's bounds, and counted. */
        ana_metric_add(WP(w)->m, w->id.size_clamped, 1);
        sz = sz < 1 ? 1 : SIM_PAYLOAD_MAX;
    }
    payload = (uint32_t)llround(sz);
    if (sim_sched_now(s) + next < w->sc->duration)
        sim_sched_in(s, next, ev_traffic, SIM_EV_TRAFFIC, node, NULL, 0);

    ana_metric_add(WP(w)->m, w->id.data_gen, 1);
    ana_metric_add(WP(w)->m, w->id.data_payload, payload);
    if (after_warmup(w, sim_sched_now(s))) {
        WP(w)->gen_wu++;
        WP(w)->want_wu += want_of(w, node);
    }
    if (n->home_so == SIM_NONE) {
        ana_metric_add(WP(w)->m, w->id.unroutable, 1);
        return;
    }
    p = sim_pkt_new(w, SIM_PKT_DATA, node, n->home_so, n->seq++, 0, payload);
    p->payload = payload;
    memset(sim_pkt_data(p), (int)(n->seq & 0xff), payload);
    if (n->anonymous) {
        /* Unregistered: no key management, the data go in clear. */
        ana_metric_add(WP(w)->m, w->id.anon, 1);
        sim_world_originate(w, node, p);
    } else if (n->registered) {
        send_data(w, node, p);
    } else if (n->n_held >= HOLD_MAX) {
        /* Waiting for registration: keep at most HOLD_MAX messages. */
        ana_metric_add(WP(w)->m, w->id.held_drops, 1);
        sim_pkt_free(w, p);
    } else {
        if (n->held_tail)
            n->held_tail->next = p;
        else
            n->held = p;
        n->held_tail = p;
        n->n_held++;
    }
}

/* Move u64 of the scenario (sorted list): source `node` sends to another
 * SO from now on.  What it creates or first sends from now on (data,
 * held data, registration retries) goes to the new SO; what is already
 * on its way (links, SO queues, data a protocol deferred) is not touched.
 * The source stays registered. */
static void ev_move(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    const scn_move *mv = &w->sc->moves[u64];
    node_rt *n = &w->nodes[node];
    uint32_t old = n->home_so;
    (void)s; (void)kind; (void)arg;

    assert(mv->node == node && old != mv->to);
    n->home_so = mv->to;
    n->so_hops = w->mv_hops[u64];
    n->moves++;
    n->want = -1;                 /* other subscribers from now on */
    ana_metric_add(WP(w)->m, w->id.moves, 1);
    if (w->proto->on_move)
        w->proto->on_move(w, w->proto_state, node, old, mv->to);
}

static void ev_warmup(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    (void)kind; (void)node; (void)arg; (void)u64;

    /* Busy time and sojourns are clipped to the warm-up by their own
     * checks; only the time average of the number in system restarts. */
    for (uint32_t i = 0; i < w->n_so; i++)
        ana_twa_reset(&w->sos[i].nsys, sim_sched_now(s));
    for (uint32_t v = 0; w->stor && v < w->topo.n_nodes; v++) {
        ana_twa_reset(&w->stor[v].twa, sim_sched_now(s));
        w->stor[v].peak = w->stor[v].twa.value;
    }
}

/* ------------------------------------------------------------------------
 * Fingerprint
 * ---------------------------------------------------------------------- */

/* ------------------------------------------------------------------------
 * Key storage over time
 * ---------------------------------------------------------------------- */

/* The protocol's storage hook for v (a metric: the world reads v's
 * holdings, whichever event runs). */
static double stor_read(sim_world *w, uint32_t v)
{
    double lv;

    sim_world_exempt(w, "storage accounting (metric)");
    lv = (double)w->proto->storage(w, w->proto_state, v);
    sim_world_exempt_end(w);
    return lv;
}

/* Node v's storage level is what the protocol's hook says at time t.
 * Under storage marks an unmarked node still holds the level of its last
 * sample: that level is set again (the time average sees the same steps
 * at the same times as when the hook is read), without reading the
 * protocol's per-node record (a cache miss per event at 10^5 nodes). */
/* The storage marks of node v (its partition's; NULL: none). */
static uint64_t *stor_bits(sim_world *w, uint32_t v)
{
    return w->parts[w->two ? w->node_part[v] : 0].stor_dirty;
}

/* --series: node v's storage sampled at t as lv (changed: differs from
 * its last level): the network's key bytes and keys held move by v's
 * change, at the time of v's event.  Keys are read again only when the
 * level changed (the keys hook walks the tables the storage hook walks). */
static void stor_series(sim_world *w, uint32_t v, sim_time t, double lv,
                        int changed)
{
    ana_metrics *m = sim_world_metrics(w);
    uint32_t keys;

    if (!changed)
        return;
    ana_series_add_at(m, w->ser_bytes_all, lv - w->stor[v].twa.value, t);
    if (!w->ser_keys)
        return;
    sim_world_exempt(w, "storage accounting (series)");
    keys = (uint32_t)w->proto->keys(w, w->proto_state, v);
    sim_world_exempt_end(w);
    ana_series_add_at(m, w->ser_keys_all,
                      (double)keys - (double)w->ser_keys[v], t);
    w->ser_keys[v] = keys;
}

static void stor_sample(sim_world *w, uint32_t v, sim_time t)
{
    uint64_t *dirty = stor_bits(w, v);
    double lv;

    if (!dirty) {
        lv = stor_read(w, v);
    } else if (dirty[v >> 6] & (uint64_t)1 << (v & 63)) {
        dirty[v >> 6] &= ~((uint64_t)1 << (v & 63));
        lv = stor_read(w, v);
    } else {
        lv = w->stor[v].twa.value;
#ifdef KMSIM_LOCALITY
        /* The test build proves the marks complete. */
        if (stor_read(w, v) != lv) {
            fprintf(stderr, "kmsim: %s: storage of node %u changed "
                    "without sim_world_storage_changed\n",
                    w->proto->name, v);
            abort();
        }
#endif
    }
    if (w->ser)
        stor_series(w, v, t, lv, lv != w->stor[v].twa.value);
    ana_twa_set(&w->stor[v].twa, t, lv);
    if (after_warmup(w, t) && lv > w->stor[v].peak)
        w->stor[v].peak = lv;
}

/* Samples the node of the last event at that event's time: what its
 * handler changed, it changed then. */
static void stor_flush_part(sim_world *w, world_part *pt)
{
    if (w->stor && pt->stor_node != SIM_NONE)
        stor_sample(w, pt->stor_node, pt->stor_t);
    pt->stor_node = SIM_NONE;
}

static void stor_flush(sim_world *w)
{
    stor_flush_part(w, WP(w));
}

void sim_world_storage_changed(sim_world *w, uint32_t v)
{
    uint64_t *dirty;

    if (v < w->topo.n_nodes && (dirty = stor_bits(w, v)) != NULL)
        dirty[v >> 6] |= (uint64_t)1 << (v & 63);
}

int sim_world_storage_stats(sim_world *w, uint32_t v, sim_storage_stats *out)
{
    sim_time now = world_now(w);

    if (!w->stor || v >= w->topo.n_nodes)
        return -1;
    stor_flush(w);
    stor_sample(w, v, now);
    out->end = w->stor[v].twa.value;
    out->time_avg = ana_twa_mean(&w->stor[v].twa, now);
    out->peak = w->stor[v].peak > out->end ? w->stor[v].peak : out->end;
    return 0;
}

/* Hashes one executed event into the fingerprint (16 bytes: t, kind,
 * node, little-endian). */
static void fp_put(sim_world *w, sim_time t, uint32_t kind, uint32_t node)
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

/* Split run: logs the event running now in its node's partition's log
 * (an event for no node, or an attacker's: partition 0). */
static void fp_log_add(sim_world *w, sim_time t, uint32_t kind,
                       uint32_t node)
{
    /* Two schedulers: the running partition's (its metric log and
     * outbox offsets go with it); else the node's. */
    fp_log *l = &w->fplog[WP(w)->cur][w->two ? world_tl
                          : node < w->topo.n_nodes ? w->node_part[node] : 0];
    fp_ent *e;

    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->e = xreallocarray(l->e, l->cap, sizeof *l->e);
    }
    e = &l->e[l->n++];
    w->fp_logged[(l - w->fplog[0]) & 1]++;
    sim_sched_key_now(WP(w)->sched, &e->k);
    assert(e->k.t == t);
    e->kind = kind;
    e->node = node;
    e->mlo = (uint32_t)ana_metrics_log_len(WP(w)->m);
    e->xlo = WP(w)->n_out[WP(w)->cur];
}

/* The barrier's merge (THREADS.md step 4.4): hashes the two partitions'
 * logs into the fingerprint in key order (each log is sorted: a linear
 * merge), which is the order one scheduler runs them in, and empties
 * them.  Returns how many events it hashed. */
static uint64_t fp_merge(sim_world *w)
{
    fp_log *a = &w->fplog[0][0], *b = &w->fplog[0][1];
    uint32_t i = 0, j = 0;

    while (i < a->n || j < b->n) {
        const fp_ent *e;

        if (j == b->n ||
            (i < a->n && sim_event_key_cmp(&a->e[i].k, &b->e[j].k) < 0))
            e = &a->e[i++];
        else
            e = &b->e[j++];
        fp_put(w, e->k.t, e->kind, e->node);
    }
    a->n = b->n = 0;
    return (uint64_t)i + j;
}

static void fp_observe(void *octx, sim_time t, uint32_t kind, uint32_t node)
{
    sim_world *w = octx;

    if (w->stor) {
        stor_flush(w);
        WP(w)->stor_node = node < w->topo.n_nodes ? node : SIM_NONE;
        WP(w)->stor_t = t;
        if (WP(w)->stor_node != SIM_NONE)    /* sampled when the next starts */
            __builtin_prefetch(&w->stor[node], 1);
    }

    if (w->node_part)
        fp_log_add(w, t, kind, node);    /* hashed at the barrier */
    else
        fp_put(w, t, kind, node);
#ifdef KMSIM_LOCALITY
    /* The event about to run is this node's: the world's and the
     * protocols' events name the node they run at; an attacker's events
     * (kinds SIM_EV_ATTACK ..) are the attacker's whatever node they
     * carry; the world's own bookkeeping (SIM_NONE) is nobody's. */
    w->actor = (kind >= SIM_EV_ATTACK && kind < SIM_EV_PROTO)
                   ? SIM_ACTOR_ATTACKER : node;
#endif
}

/* The scheduler's look-ahead (sim_sched_set_lookahead): the event most
 * likely to run next is at `node`; fetch the world's records it will read
 * first while the current one runs.  At 10^5 nodes and more each is a
 * cache miss (a node's records are touched about once a simulated
 * second): its per-node records (protocol state, storage sample,
 * runtime), a packet's header at an arrival with the forwarding records
 * of a relay, a source's traffic stream.  Hints only: nothing changes. */
static void world_lookahead(void *ctx, uint32_t kind, uint32_t node,
                            void *arg)
{
    sim_world *w = ctx;

    if (node >= w->topo.n_nodes)
        return;
    if (w->node_state)
        __builtin_prefetch(w->node_state +
                           (size_t)node * w->proto->node_state_size, 1);
    if (w->stor)
        __builtin_prefetch(&w->stor[node], 1);
    switch (kind) {
    case SIM_EV_ARRIVE:
        __builtin_prefetch(arg, 1);                  /* header, 56 bytes */
        __builtin_prefetch((const char *)arg + 64, 1);   /* wire header */
        __builtin_prefetch(&w->fwd[node]);
        __builtin_prefetch(&w->fdir[2 * (size_t)node + FD_UP], 1);
        break;
    case SIM_EV_TRAFFIC:
        __builtin_prefetch(&w->nodes[node], 1);
        sim_rng_prefetch(w->rng, SIM_RNG_TRAFFIC, node);
        break;
    default:
        __builtin_prefetch(&w->nodes[node], 1);
        break;
    }
}

/* ------------------------------------------------------------------------
 * Construction
 * ---------------------------------------------------------------------- */

/* kmsim metrics (mlist.h): the meaning of each metric of
 * the world (network, SOs, sources, delays, storage, queues),
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_world[] = {
    {"data.anonymous",
     "data sent without a source identifier (not registered) or unprotected"},
    {"data.at_so",
     "data messages that reached their SO"},
    {"data.delivered",
     "publish deliveries made to subscribers"},
    {"data.generated",
     "data messages created by the sources"},
    {"data.held_at_end",
     "data messages still held at a source (waiting for a key or channel) at the end"},
    {"data.held_drops",
     "held data messages dropped because the source's hold buffer was full"},
    {"data.payload_bytes",
     "payload bytes of the data created"},
    {"data.published",
     "publish messages sent by the SOs"},
    {"data.size_clamped",
     "data messages whose drawn size was clamped to the largest allowed"},
    {"data.stored_bytes",
     "data bytes stored at the SOs"},
    {"delay.end_to_end.delivered_fraction",
     "deliveries made / deliveries the topic filters ask for"},
    {"delay.end_to_end",
     "data created at a source to delivered to a subscriber (seed 000's T)"},
    {"delay.key_access",
     "data created to first leaving its source (seed 000's Z)"},
    {"delay.publish",
     "SO service done to delivered to the subscriber (seed 000's beta)"},
    {"delay.registration.answered_fraction",
     "registrations answered / sources that sent one"},
    {"delay.registration",
     "source sent its registration to its answer arrived"},
    {"delay.so",
     "the SO's queue and service of a data message"},
    {"delay.source_to_so.delivered_fraction",
     "data that reached their SO / data created after warm-up"},
    {"delay.source_to_so",
     "data created to served at its SO"},
    {"delay.transfer",
     "data left its source to entered the SO's queue (the network part)"},
    {"link.bytes.*",
     "bytes transmitted on links by message class (register, register_ack, data, publish, control)"},
    {"link.tx.*",
     "packets transmitted on links (one per hop) by message class"},
    {"link.lost",
     "packets lost on links"},
    {"link.queue_drops",
     "packets dropped by full link transmit queues"},
    {"msgs.*",
     "messages sent end to end by class (register, register_ack, data, publish, control)"},
    {"net.rejected",
     "messages refused by their receiver"},
    {"net.unroutable",
     "messages with no route to their destination"},
    {"queue.arrival_rate.theory",
     "offered arrival rate at the SO (every source homed there, thinned by link losses)"},
    {"queue.service_rate.theory",
     "service rate of the SO's service-time distribution (1 / its mean)"},
    {"queue.*.theory_measured",
     "M/M/1 or M/G/1 value at the measured arrival rate"},
    {"queue.*.theory",
     "M/M/1 or M/G/1 value at the offered arrival rate"},
    {"queue.L",
     "mean number of requests at the SO (queue and service), after warm-up"},
    {"queue.W",
     "mean sojourn time at the SO (queue and service), after warm-up"},
    {"queue.Wq",
     "mean waiting time in the SO's queue, after warm-up"},
    {"queue.arrival_rate",
     "measured arrival rate at the SO, after warm-up"},
    {"queue.arrivals",
     "requests that arrived at the SO, after warm-up"},
    {"queue.completions",
     "requests the SO served, after warm-up"},
    {"queue.drops",
     "requests dropped by a full SO queue"},
    {"queue.service_rate",
     "measured service rate of the SO"},
    {"queue.utilisation",
     "fraction of time the SO was busy (rho), after warm-up"},
    {"run.end_time",
     "simulated time at which the replication ended"},
    {"run.events",
     "events executed"},
    {"so.queue_drops",
     "requests dropped by full SO queues, all SOs"},
    {"sources.duplicate_acks",
     "duplicate registration acks received"},
    {"sources.moves",
     "source moves to another place"},
    {"sources.register_retries",
     "registrations retried after a timeout"},
    {"sources.registered",
     "sources registered with an SO"},
    {"storage.keys_per_node",
     "keys (secret values) a node holds at the end, over all nodes"},
    {"storage.bytes_per_node",
     "key storage per node at the end in the scenario's key sizes (bytes), over all nodes"},
    {"storage.*.keys",
     "keys (secret values) a node of this role holds at the end"},
    {"storage.*.end",
     "key storage per node of this role at the end (bytes)"},
    {"storage.*.peak",
     "largest key storage a node of this role held after warm-up (bytes)"},
    {"storage.*.time_avg",
     "time-averaged key storage per node of this role after warm-up (bytes)"},
    {NULL, NULL},
};

static void register_metrics(sim_world *w)
{
    world_ids *id = &w->id;
    char name[64];

    for (int t = SIM_PKT_REGISTER; t < SIM_PKT_TYPE_COUNT; t++) {
        const char *tn = sim_pkt_type_name(t);
        snprintf(name, sizeof name, "msgs.%s", tn);
        id->sent[t] = ana_metric_reg(WP(w)->m, name, "", "msg", ANA_COUNTER);
        snprintf(name, sizeof name, "link.tx.%s", tn);
        id->tx[t] = ana_metric_reg(WP(w)->m, name, "", "pkt", ANA_COUNTER);
        snprintf(name, sizeof name, "link.bytes.%s", tn);
        id->txb[t] = ana_metric_reg(WP(w)->m, name, "", "B", ANA_COUNTER);
    }
    id->sent[0] = id->tx[0] = id->txb[0] = -1;
    id->lost = ana_metric_reg(WP(w)->m, "link.lost", "", "pkt", ANA_COUNTER);
    id->qdrop = ana_metric_reg(WP(w)->m, "link.queue_drops", "", "pkt",
                               ANA_COUNTER);
    id->unroutable = ana_metric_reg(WP(w)->m, "net.unroutable", "", "msg",
                                    ANA_COUNTER);
    id->rejected = ana_metric_reg(WP(w)->m, "net.rejected", "", "msg",
                                  ANA_COUNTER);
    id->so_drops = ana_metric_reg(WP(w)->m, "so.queue_drops", "", "req",
                                  ANA_COUNTER);
    id->registered = ana_metric_reg(WP(w)->m, "sources.registered", "", "node",
                                    ANA_COUNTER);
    id->reg_retries = ana_metric_reg(WP(w)->m, "sources.register_retries", "",
                                     "msg", ANA_COUNTER);
    id->dup_acks = ana_metric_reg(WP(w)->m, "sources.duplicate_acks", "", "msg",
                                  ANA_COUNTER);
    id->moves = ana_metric_reg(WP(w)->m, "sources.moves", "", "move",
                               ANA_COUNTER);
    id->anon = ana_metric_reg(WP(w)->m, "data.anonymous", "", "msg",
                              ANA_COUNTER);
    id->held_drops = ana_metric_reg(WP(w)->m, "data.held_drops", "", "msg",
                                    ANA_COUNTER);
    id->size_clamped = ana_metric_reg(WP(w)->m, "data.size_clamped", "", "msg",
                                      ANA_COUNTER);
    id->data_gen = ana_metric_reg(WP(w)->m, "data.generated", "", "msg",
                                  ANA_COUNTER);
    id->data_payload = ana_metric_reg(WP(w)->m, "data.payload_bytes", "", "B",
                                      ANA_COUNTER);
    id->data_at_so = ana_metric_reg(WP(w)->m, "data.at_so", "", "msg",
                                    ANA_COUNTER);
    id->stored = ana_metric_reg(WP(w)->m, "data.stored_bytes", "", "B",
                                ANA_COUNTER);
    id->published = ana_metric_reg(WP(w)->m, "data.published", "", "msg",
                                   ANA_COUNTER);
    id->pub_deliveries = ana_metric_reg(WP(w)->m, "data.delivered", "", "msg",
                                        ANA_COUNTER);
    id->d_reg = ana_metric_reg(WP(w)->m, "delay.registration", "", "s",
                               ANA_SAMPLES);
    id->d_so = ana_metric_reg(WP(w)->m, "delay.source_to_so", "", "s",
                              ANA_SAMPLES);
    id->d_e2e = ana_metric_reg(WP(w)->m, "delay.end_to_end", "", "s",
                               ANA_SAMPLES);
    id->d_key = ana_metric_reg(WP(w)->m, "delay.key_access", "", "s",
                               ANA_SAMPLES);
    id->d_xfer = ana_metric_reg(WP(w)->m, "delay.transfer", "", "s",
                                ANA_SAMPLES);
    id->d_sod = ana_metric_reg(WP(w)->m, "delay.so", "", "s", ANA_SAMPLES);
    id->d_pub = ana_metric_reg(WP(w)->m, "delay.publish", "", "s", ANA_SAMPLES);
    id->f_reg = ana_metric_reg(WP(w)->m, "delay.registration.answered_fraction",
                               "", "1", ANA_VALUE);
    id->f_so = ana_metric_reg(WP(w)->m, "delay.source_to_so.delivered_fraction",
                              "", "1", ANA_VALUE);
    id->f_e2e = ana_metric_reg(WP(w)->m, "delay.end_to_end.delivered_fraction",
                               "", "1", ANA_VALUE);
}

/* Offered Poisson request rate at each SO: the sources homed there, each
 * at 1/E[interval], thinned by the loss of every link on its path (a
 * thinned Poisson process is Poisson).  NaN when the arrivals are not
 * Poisson (interval not exponential).  This part adds the sources that
 * never move and fills pdel[v], the probability that a message of v
 * crosses every link of its forest path to near_so; it reads the BFS
 * order left in bfs_queue by route_forest, so it runs before anything
 * else uses that scratch.  so_theory_moves adds the sources that move. */
static void so_theory(sim_world *w, uint32_t n_reached, double *pdel,
                      const unsigned char *moved)
{
    const sim_topo *t = &w->topo;
    const scenario *sc = w->sc;
    double rate = 1.0 / sim_dist_mean(&sc->traffic.interval);
    int poisson = sim_dist_is_exp(&sc->traffic.interval);

    for (uint32_t i = 0; i < w->n_so; i++)
        w->sos[i].st.lambda_theory = poisson ? 0.0 : NAN;
    /* BFS order: a node's parent comes before it. */
    for (uint32_t k = 0; k < n_reached; k++) {
        uint32_t v = WP(w)->bfs_queue[k];
        uint32_t l = w->fwd[v].to_so_link;
        if (l == SIM_NONE) {
            pdel[v] = 1.0;
            continue;
        }
        pdel[v] = pdel[w->fwd[v].up] * (1.0 - sim_topo_link_params(t, l)->loss);
        if (poisson && t->nodes[v].role == SCN_ROLE_SOURCE &&
            !(moved && moved[v]))
            w->sos[w->so_of_node[w->fwd[v].near_so]].st.lambda_theory +=
                rate * pdel[v];
    }
}

/* Fraction of the measurement window [warmup, duration] inside [a, b). */
static double window_frac(const scenario *sc, sim_time a, sim_time b)
{
    sim_time lo = a > sc->warmup ? a : sc->warmup;
    sim_time hi = b < sc->duration ? b : sc->duration;

    return hi > lo ? (double)(hi - lo) / (double)(sc->duration - sc->warmup)
                   : 0.0;
}

/* The sources that move: each adds, at every SO it sends to, its rate
 * thinned by the losses of that path (pdel: the forest path to its
 * nearest SO, mv_pdel[i]: the path of move i) times the fraction of the
 * measurement window it spends sending there.  The arrivals at an SO are
 * then Poisson with a rate that steps at the moves; lambda_theory is that
 * rate averaged over the window (what the window's measured arrival rate
 * estimates), and the M/M/1 (M/G/1) values are computed at it. */
static void so_theory_moves(sim_world *w, const double *pdel,
                            const double *mv_pdel)
{
    const scenario *sc = w->sc;
    uint32_t n = w->topo.n_nodes;
    double rate = 1.0 / sim_dist_mean(&sc->traffic.interval);
    uint32_t *cur;         /* per source: the SO of its current segment  */
    sim_time *since;       /*   the segment's start                      */
    double *p;             /*   its delivery probability                 */

    if (!sim_dist_is_exp(&sc->traffic.interval) || sc->n_moves == 0)
        return;
    cur = xmalloc((size_t)n * sizeof *cur);
    since = xmalloc((size_t)n * sizeof *since);
    p = xmalloc((size_t)n * sizeof *p);
    for (uint32_t v = 0; v < n; v++)
        cur[v] = SIM_NONE;
    for (size_t i = 0; i < sc->n_moves; i++) {
        const scn_move *mv = &sc->moves[i];
        uint32_t v = mv->node;
        if (cur[v] == SIM_NONE) {
            cur[v] = w->fwd[v].near_so;
            since[v] = 0;
            p[v] = pdel[v];
        }
        w->sos[w->so_of_node[cur[v]]].st.lambda_theory +=
            rate * p[v] * window_frac(sc, since[v], mv->at);
        cur[v] = mv->to;
        since[v] = mv->at;
        p[v] = mv_pdel[i];
    }
    for (uint32_t v = 0; v < n; v++)
        if (cur[v] != SIM_NONE)
            w->sos[w->so_of_node[cur[v]]].st.lambda_theory +=
                rate * p[v] * window_frac(sc, since[v], SIM_TIME_MAX);
    free(cur);
    free(since);
    free(p);
}

static const char *role_text(scn_role r)
{
    return r == SCN_ROLE_SO ? "smart object"
           : r == SCN_ROLE_SUBSCRIBER ? "subscriber" : "source";
}

typedef struct mv_key {
    uint32_t to;            /* the move's SO                              */
    uint32_t i;             /* the move (index in sc->moves)              */
} mv_key;

static int mv_key_cmp(const void *a, const void *b)
{
    const mv_key *x = a, *y = b;

    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Checks the scenario's moves against the built topology and measures
 * the path each one's data will take (sim_world_next_hop from the source
 * to the new SO): w->mv_hops[i] and mv_pdel[i], the probability that a
 * message crosses every link of it.  A move must take a source to a
 * smart object it can reach and does not already send to at that time.
 * Reports the first bad move in run order ("file:line:col: message" at
 * the entry or the offending value) and returns -1; 0 if all are good. */
static int moves_prepare(sim_world *w, double *mv_pdel, char *err,
                         size_t errlen)
{
    const scenario *sc = w->sc;
    const sim_topo *t = &w->topo;
    size_t n = sc->n_moves, bad = n, unreach = n, nk = 0;
    const scn_move *mv;
    mv_key *key;
    int why = 0;

    w->mv_hops = xcalloc(n ? n : 1, sizeof *w->mv_hops);
    /* Roles, and where each source sends at each move (home_so is the
     * scratch, restored below). */
    for (size_t i = 0; i < n && !why; i++) {
        mv = &sc->moves[i];
        assert(mv->node < t->n_nodes && mv->to < t->n_nodes);
        if (t->nodes[mv->node].role != SCN_ROLE_SOURCE)
            why = 1;
        else if (t->nodes[mv->to].role != SCN_ROLE_SO)
            why = 2;
        else if (w->nodes[mv->node].home_so == mv->to)
            why = 3;
        if (why)
            bad = i;
        else
            w->nodes[mv->node].home_so = mv->to;
    }
    for (size_t i = 0; i < n; i++)
        w->nodes[sc->moves[i].node].home_so =
            w->fwd[sc->moves[i].node].near_so;
    /* Paths, grouped by SO so that the route cache builds each SO's BFS
     * tree once however the moves interleave. */
    key = xmalloc((bad ? bad : 1) * sizeof *key);
    for (size_t i = 0; i < bad; i++) {
        key[nk].to = sc->moves[i].to;
        key[nk++].i = (uint32_t)i;
    }
    qsort(key, nk, sizeof *key, mv_key_cmp);
    for (size_t k = 0; k < nk; k++) {
        uint32_t i = key[k].i, v, hops = 0, l;
        double pd = 1.0;

        mv = &sc->moves[i];
        for (v = mv->node; v != SIM_NONE && v != mv->to; hops++) {
            v = sim_world_next_hop(w, v, mv->to, &l);
            if (v != SIM_NONE)
                pd *= 1.0 - sim_topo_link_params(t, l)->loss;
            assert(hops < t->n_nodes);
        }
        if (v == SIM_NONE) {
            if (i < unreach)
                unreach = i;
            continue;
        }
        w->mv_hops[i] = hops;
        mv_pdel[i] = pd;
    }
    free(key);
    if (unreach < bad) {
        mv = &sc->moves[unreach];
        scn_error_at(sc, &mv->entry, err, errlen,
                     "smart object %u is not reachable from source %u",
                     t->nodes[mv->to].id, t->nodes[mv->node].id);
        return -1;
    }
    if (bad == n)
        return 0;
    mv = &sc->moves[bad];
    if (why == 1) {
        scn_error_at(sc, &mv->node_mark, err, errlen,
                     "node %u is a %s, not a source", t->nodes[mv->node].id,
                     role_text(t->nodes[mv->node].role));
    } else if (why == 2) {
        scn_error_at(sc, &mv->to_mark, err, errlen,
                     "node %u is a %s, not a smart object",
                     t->nodes[mv->to].id, role_text(t->nodes[mv->to].role));
    } else {
        char at[64];
        sim_units_format((double)mv->at / 1e9, SIM_DIM_TIME, at, sizeof at);
        scn_error_at(sc, &mv->to_mark, err, errlen,
                     "source %u already sends to smart object %u at %s",
                     t->nodes[mv->node].id, t->nodes[mv->to].id, at);
    }
    return -1;
}

static void build_subscribers(sim_world *w)
{
    const sim_topo *t = &w->topo;
    uint32_t *count = xcalloc(w->n_so + 1, sizeof *count);
    uint32_t nsub = 0;

    w->sub_filter = xcalloc(t->n_nodes, sizeof *w->sub_filter);
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role != SCN_ROLE_SUBSCRIBER)
            continue;
        w->sub_filter[v] = nsub++;
        if (w->fwd[v].near_so != SIM_NONE)
            count[w->so_of_node[w->fwd[v].near_so]]++;
    }
    w->so_subs = xcalloc(nsub + 1, sizeof *w->so_subs);
    for (uint32_t i = 0, off = 0; i < w->n_so; i++) {
        w->sos[i].sub_off = w->sos[i].sub_end = off;
        off += count[i];
    }
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role != SCN_ROLE_SUBSCRIBER ||
            w->fwd[v].near_so == SIM_NONE)
            continue;
        so_rt *so = &w->sos[w->so_of_node[w->fwd[v].near_so]];
        w->so_subs[so->sub_end++] = v;
    }
    free(count);
}

/* Reports msg at the topology mapping (scenario.topo_line/col): where
 * errors of the built topology and of the protocol's set-up point; or at
 * the --set that changed the node count, when one did (the cause). */
static void topo_error(const scenario *sc, const char *msg, char *err,
                       size_t errlen)
{
    scn_mark m = {sc->topo_line, sc->topo_col, -1};
    scn_error_at(sc, scn_mark_cause(&m, &sc->nodes_mark), err, errlen, "%s",
                 msg);
}

/* Core BFS trees of partition pt's route cache (via + queue, 8 bytes
 * per core node each): as many as fit in ROUTE_BUDGET, at least 4, never
 * more than there are core nodes; built lazily (route_lookup). */
static void route_cache_init(sim_world *w, world_part *pt)
{
    pt->n_routes = (uint32_t)(ROUTE_BUDGET / (8ull * w->n_core + 8 +
                                             sizeof(route_tree)));
    if (pt->n_routes > w->n_core)
        pt->n_routes = w->n_core;
    if (pt->n_routes < 4)
        pt->n_routes = 4;
    pt->routes = xcalloc(pt->n_routes, sizeof *pt->routes);
    for (uint32_t i = 0; i < pt->n_routes; i++) {
        pt->routes[i].dst = SIM_NONE;
        pt->routes[i].prev = i ? i - 1 : SIM_NONE;
        pt->routes[i].next = i + 1 < pt->n_routes ? i + 1 : SIM_NONE;
    }
    pt->lru_head = 0;
    pt->lru_tail = pt->n_routes - 1;
    pt->route_slot = xreallocarray(NULL, w->n_core + 1,
                                   sizeof *pt->route_slot);
    for (uint32_t c = 0; c < w->n_core; c++)
        pt->route_slot[c] = SIM_NONE;
}

/* Set-up loops poll every SETUP_POLL iterations: a few microseconds of
 * work, so an interrupt is seen well within 100 ms (issue 20). */
#define SETUP_POLL 1024u

int sim_world_setup_poll(sim_world *w)
{
    if (!w->guard || ++w->guard_tick < SETUP_POLL)
        return w->guard ? w->guard->tripped : 0;
    w->guard_tick = 0;
    return sim_guard_poll(w->guard);
}

int sim_world_setup_check(sim_world *w)
{
    return w->guard ? sim_guard_poll(w->guard) : 0;
}

/* Between the phases of the set-up: 1 when it must unwind. */
static int setup_stop(sim_world *w)
{
    return sim_world_setup_check(w) != SIM_GUARD_OK;
}

sim_world *sim_world_new(const scenario *sc, uint64_t seed, char *err,
                         size_t errlen)
{
    return sim_world_new_guarded(sc, seed, NULL, err, errlen);
}

/* A set-up stopped by its guard: the message is the caller's (it knows
 * the flag, the budget and the replication). */
static sim_world *setup_abandon(sim_world *w, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", w->guard->tripped == SIM_GUARD_MEMORY
                                        ? "memory budget exceeded"
                                        : "interrupted");
    sim_world_free(w);
    return NULL;
}

sim_world *sim_world_new_guarded(const scenario *sc, uint64_t seed,
                                 sim_guard *g, char *err, size_t errlen)
{
    return sim_world_new_split(sc, seed, g, NULL, err, errlen);
}

/* The split of --threads 2: nodes ordered by x (ties by index; star and
 * tree topologies place every node at 0, so they split by index), the
 * first half in partition 0.  Returns part_of (n bytes, malloc'd). */
typedef struct world_rank {
    double x;
    uint32_t v;
} world_rank;

static int world_rank_cmp(const void *a, const void *b)
{
    const world_rank *p = a, *q = b;

    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return p->v < q->v ? -1 : p->v > q->v;
}

uint8_t *sim_world_median_split(const sim_topo *t)
{
    uint32_t n = t->n_nodes;
    world_rank *r = xreallocarray(NULL, n ? n : 1, sizeof *r);
    uint8_t *part = xcalloc(n ? n : 1, 1);

    for (uint32_t v = 0; v < n; v++) {
        r[v].x = t->nodes[v].x;
        r[v].v = v;
    }
    qsort(r, n, sizeof *r, world_rank_cmp);
    for (uint32_t i = n / 2; i < n; i++)
        part[r[i].v] = 1;
    free(r);
    return part;
}

static sim_world *world_new(const scenario *sc, uint64_t seed, sim_guard *g,
                            const uint8_t *part_of, int threads, char *err,
                            size_t errlen);

/* --threads 2 refuses (kmsim extension, THREADS.md "registry") a scenario
 * in which a source moves between smart objects of different halves: the
 * SOs' shared registry entry of a source (nodes[src].known/.ident,
 * sim_world_so_knows) is written by the first SO that completes its
 * registration and read by every SO it sends to; with its homes in both
 * halves, that write and the other half's read or write can fall in one
 * window, where the two partitions run unordered (a race on two threads,
 * the partitions' order on one) -- whenever its registration is still
 * unanswered at the move, which the set-up cannot rule out (retries,
 * queues).  Returns 1 (message in msg) for such a scenario, else 0.
 * Only --threads 2 refuses: sim_world_new_alternating (tests) keeps the
 * partitions' turn on one thread, where such a scenario gives the
 * one-thread results as long as no registration is open at a move. */
static int world_moves_cross(const sim_world *w, const uint8_t *part,
                             char *msg, size_t len)
{
    const scenario *sc = w->sc;

    for (size_t i = 0; i < sc->n_moves; i++) {
        const scn_move *mv = &sc->moves[i];
        uint32_t home = w->fwd[mv->node].near_so;

        if (part[mv->to] != part[home]) {
            snprintf(msg, len, "--threads 2: source %u moves between "
                     "smart objects %u and %u of different halves (their "
                     "shared registry of sources is not partition-safe: "
                     "see sim/THREADS.md)",
                     w->topo.nodes[mv->node].id, w->topo.nodes[home].id,
                     w->topo.nodes[mv->to].id);
            return 1;
        }
    }
    return 0;
}

sim_world *sim_world_new_split(const scenario *sc, uint64_t seed,
                               sim_guard *g, const uint8_t *part_of,
                               char *err, size_t errlen)
{
    return world_new(sc, seed, g, part_of, 1, err, errlen);
}

sim_world *sim_world_new_threads(const scenario *sc, uint64_t seed,
                                 sim_guard *g, int threads, char *err,
                                 size_t errlen)
{
    if (threads == 2 && !sc->proto->threads_ok) {
        if (err && errlen)
            snprintf(err, errlen, "--threads 2: protocol %s does not run "
                     "on two threads yet (see sim/THREADS.md)",
                     sc->proto->name);
        return NULL;
    }
    if (threads < 1 || threads > 2) {
        if (err && errlen)
            snprintf(err, errlen, "--threads %d: 1 or 2", threads);
        return NULL;
    }
    return world_new(sc, seed, g, NULL, threads, err, errlen);
}

sim_world *sim_world_new_alternating(const scenario *sc, uint64_t seed,
                                     sim_guard *g, char *err, size_t errlen)
{
    return world_new(sc, seed, g, NULL, -2, err, errlen);
}

static sim_world *world_new(const scenario *sc, uint64_t seed, sim_guard *g,
                            const uint8_t *part_of, int threads, char *err,
                            size_t errlen)
{
    sim_world *w = xcalloc(1, sizeof *w);
    uint8_t *auto_part = NULL;
    const sim_topo *t;
    uint32_t n_reached, src_ord = 0;
    unsigned char *moved = NULL;
    double *pdel, *mv_pdel;
    char msg[1024];

    w->sc = sc;
    w->guard = g;
    w->rng = sim_rng_new(seed);
    if (g && sim_guard_poll(g) != SIM_GUARD_OK) {
        sim_rng_free(w->rng);
        free(w);
        if (err && errlen)
            snprintf(err, errlen, "interrupted");
        return NULL;
    }
    if (sim_topo_build_guarded(&w->topo, &sc->topo,
                               sim_rng_get(w->rng, SIM_RNG_TOPOLOGY, 0),
                               g ? g->stop : NULL, msg, sizeof msg) != 0) {
        if (g && sim_guard_poll(g) != SIM_GUARD_OK)
            snprintf(msg, sizeof msg, "interrupted");
        else
            topo_error(sc, msg, err, errlen);
        sim_rng_free(w->rng);
        free(w);
        if (g && g->tripped && err && errlen)
            snprintf(err, errlen, "interrupted");
        return NULL;
    }
    t = &w->topo;
    assert(world_tl == 0);          /* not inside another world's window */
    w->parts[1].idx = 1;
    WP(w)->sched = sim_sched_new(w, 4u * t->n_nodes + sc->n_moves + 64);
    w->m = WP(w)->m = ana_metrics_new();
    if (!WP(w)->sched || !WP(w)->m)
        xoom(sizeof *w);
    if (g)
        sim_sched_set_interrupt(WP(w)->sched, g->stop);
    register_metrics(w);
    w->proto = sc->proto;
    assert(!w->proto->storage == !w->proto->keys); /* proto.h: both or none */
#ifdef KMSIM_LOCALITY
    w->actor = SIM_NONE;
    {
        const char *mode = getenv("KMSIM_LOCALITY");
        w->loc_count = mode && strcmp(mode, "count") == 0;
    }
#endif
    cry_hash_init(&WP(w)->fp);
    sim_sched_set_observer(WP(w)->sched, fp_observe, w);
    sim_sched_set_lookahead(WP(w)->sched, world_lookahead, w);

    w->nodes = world_calloc(t->n_nodes, sizeof *w->nodes);
    w->fwd = world_calloc(t->n_nodes + 1, sizeof *w->fwd);
    w->wl = world_calloc((size_t)t->n_links + 1, sizeof *w->wl);
    for (uint32_t l = 0; l < t->n_links; l++) {
        w->wl[l].a = t->links[l].a;
        w->wl[l].b = t->links[l].b;
    }
    w->so_of_node = xcalloc(t->n_nodes, sizeof *w->so_of_node);
    WP(w)->bfs_queue = xcalloc(t->n_nodes + 1, sizeof *WP(w)->bfs_queue);
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (sim_world_setup_poll(w))
            return setup_abandon(w, err, errlen);
        w->nodes[v].role = (uint8_t)t->nodes[v].role;
        w->nodes[v].reg_done = -1;
        w->nodes[v].want = -1;
        w->so_of_node[v] = SIM_NONE;
        if (t->nodes[v].role == SCN_ROLE_SO)
            w->n_so++;
        if (t->nodes[v].role == SCN_ROLE_SOURCE)
            w->nodes[v].src_ord = src_ord++;
    }
    /* The last `anonymous` sources (by ordinal) never register. */
    for (uint32_t v = 0; v < t->n_nodes; v++)
        if (t->nodes[v].role == SCN_ROLE_SOURCE &&
            (uint64_t)w->nodes[v].src_ord + sc->traffic.anonymous >= src_ord)
            w->nodes[v].anonymous = 1;
    w->sos = xcalloc(w->n_so + 1, sizeof *w->sos);
    for (uint32_t v = 0, k = 0; v < t->n_nodes; v++) {
        if (t->nodes[v].role != SCN_ROLE_SO)
            continue;
        w->so_of_node[v] = k;
        w->sos[k].node = v;
        w->sos[k].st.node = v;
        ana_welford_init(&w->sos[k].st.sojourn);
        ana_welford_init(&w->sos[k].st.wait);
        ana_twa_init(&w->sos[k].nsys, 0, 0);
        k++;
    }
    if (setup_stop(w))
        return setup_abandon(w, err, errlen);
    route_forest(w, &n_reached);
    if (setup_stop(w))
        return setup_abandon(w, err, errlen);
    /* The forest links' directions (link_dir), zero but for parameters. */
    w->fdir = world_calloc_line(2 * (size_t)t->n_nodes, sizeof *w->fdir);
    for (uint32_t v = 0; v < t->n_nodes; v++)
        if (w->fwd[v].to_so_link != SIM_NONE)
            w->fdir[2 * (size_t)v + FD_UP].par =
                w->fdir[2 * (size_t)v + FD_DOWN].par =
                    t->links[w->fwd[v].to_so_link].par;
    pdel = xcalloc(t->n_nodes + 1, sizeof *pdel);
    if (sc->n_moves) {
        moved = xcalloc(t->n_nodes, 1);
        for (size_t i = 0; i < sc->n_moves; i++) {
            assert(sc->moves[i].node < t->n_nodes);   /* the loader's */
            moved[sc->moves[i].node] = 1;
        }
    }
    so_theory(w, n_reached, pdel, moved);   /* reads bfs_queue: first */
    free(moved);
    build_subscribers(w);
    route_decompose(w);
    /* Core BFS trees (via + queue, 8 bytes per core node each): as many as
     * fit in ROUTE_BUDGET, at least 4, never more than there are core
     * nodes. */
    route_cache_init(w, &w->parts[0]);
    mv_pdel = xcalloc(sc->n_moves + 1, sizeof *mv_pdel);
    if (moves_prepare(w, mv_pdel, err, errlen) != 0) {
        free(mv_pdel);
        free(pdel);
        sim_world_free(w);
        return NULL;
    }
    so_theory_moves(w, pdel, mv_pdel);
    free(mv_pdel);
    free(pdel);
    if (setup_stop(w))
        return setup_abandon(w, err, errlen);

    if (threads > 1 || threads == -2) {
        part_of = auto_part = sim_world_median_split(t);
        if (threads == 2 && world_moves_cross(w, part_of, msg, sizeof msg)) {
            if (err && errlen)
                snprintf(err, errlen, "%s", msg);
            free(auto_part);
            sim_world_free(w);
            return NULL;
        }
    }
    if (part_of) {                 /* before the protocol's set-up */
        sim_time la;
        int rc = sim_world_partition(w, part_of, &la);

        free(auto_part);
        if (rc != 0) {
            if (err && errlen)
                snprintf(err, errlen, "cannot split the network: a link "
                         "between the two halves has zero latency");
            sim_world_free(w);
            return NULL;
        }
    }
    if (w->proto->node_state_size)
        w->node_state = world_calloc(t->n_nodes, w->proto->node_state_size);
    if (w->proto->init) {
        int rc;
        /* Locality exception: the protocol's state is built (keys
         * predistributed, tables sized) before the first event. */
        sim_world_exempt(w, "world set-up");
        rc = w->proto->init(w, &w->proto_state, msg, sizeof msg);
        sim_world_exempt_end(w);
        if (setup_stop(w))
            return setup_abandon(w, err, errlen);
        if (rc == -2 && err && errlen) {
            snprintf(err, errlen, "%s", msg);  /* located by the protocol */
            sim_world_free(w);
            return NULL;
        }
        if (rc != 0) {
            topo_error(sc, msg, err, errlen);
            sim_world_free(w);
            return NULL;
        }
    }
    /* Key storage over time: the level the protocol set up before the
     * first event. */
    w->parts[0].stor_node = w->parts[1].stor_node = SIM_NONE;
    if (w->proto->storage) {
        w->stor = world_calloc(t->n_nodes, sizeof *w->stor);
        if (w->proto->storage_marks)          /* all clean: read below */
            w->parts[0].stor_dirty = xcalloc(((size_t)t->n_nodes + 63) / 64,
                                             sizeof(uint64_t));
        sim_world_exempt(w, "storage accounting (metric)");
        for (uint32_t v = 0; v < t->n_nodes; v++) {
            ana_twa_init(&w->stor[v].twa, 0,
                         (double)w->proto->storage(w, w->proto_state, v));
            w->stor[v].peak = w->stor[v].twa.value;
            if (sim_world_setup_poll(w))
                break;
        }
        sim_world_exempt_end(w);
        if (setup_stop(w))
            return setup_abandon(w, err, errlen);
    }

    /* Moves first: a move at t runs before every other event at t, so
     * data created at the move's time already go to the new SO. */
    for (size_t i = 0; i < sc->n_moves; i++)
        sim_sched_at(WP(w)->sched, sc->moves[i].at, ev_move, SIM_EV_MOVE,
                     sc->moves[i].node, NULL, i);

    /* Initial events, in node order: registration, then first message. */
    for (uint32_t v = 0; v < t->n_nodes; v++) {
        if (sim_world_setup_poll(w))
            return setup_abandon(w, err, errlen);
        if (t->nodes[v].role != SCN_ROLE_SOURCE)
            continue;
        gsl_rng *r = sim_rng_get(w->rng, SIM_RNG_NODE, v);
        gsl_rng *tr = sim_rng_get(w->rng, SIM_RNG_TRAFFIC, v);
        sim_time first = sc->traffic.start +
                         sim_dist_sample_ns(&sc->traffic.interval, tr);
        if (w->nodes[v].home_so != SIM_NONE && !w->nodes[v].anonymous)
            sim_sched_at(WP(w)->sched,
                         sim_dist_sample_ns(&sc->traffic.register_at, r),
                         ev_register, SIM_EV_REGISTER, v, NULL, 0);
        if (first < sc->duration)
            sim_sched_at(WP(w)->sched, first, ev_traffic, SIM_EV_TRAFFIC, v,
                         NULL, 0);
    }
    if (sc->warmup > 0)
        sim_sched_at(WP(w)->sched, sc->warmup, ev_warmup, SIM_EV_WARMUP,
                     SIM_NONE, NULL, 0);
    {
        int rc;
        sim_world_exempt(w, "world set-up");   /* locality exception */
        rc = atk_run_new(w, &w->atk, err, errlen);
        sim_world_exempt_end(w);
        if (setup_stop(w))
            return setup_abandon(w, err, errlen);
        if (rc != 0) {
            sim_world_free(w);
            return NULL;
        }
    }
    if (threads > 1 || threads == -2) {
        size_t nmoved;

        if (w->atk || w->n_taps) {
            if (err && errlen)
                snprintf(err, errlen, "--threads 2: scenarios with "
                         "attackers run on one thread only");
            sim_world_free(w);
            return NULL;
        }
        if (sim_world_two_scheds(w, &nmoved) != 0) {
            if (err && errlen)
                snprintf(err, errlen, "--threads 2: cannot split the "
                         "network in two");
            sim_world_free(w);
            return NULL;
        }
        w->windowed = 1;
        w->threaded = threads == 2;
    }
    return w;
}

void sim_world_free(sim_world *w)
{
    if (!w)
        return;
    world_thread_stop(w);
#ifdef KMSIM_LOCALITY
    loc_fail_if_any(w);
    w->actor = SIM_NONE;
#endif
    /* Locality exception: everything is wiped and freed at the end. */
    sim_world_exempt(w, "world teardown");
    atk_run_free(w->atk);
    if (w->proto && w->proto->deinit && w->proto_state)
        w->proto->deinit(w, w->proto_state);
    sim_world_exempt_end(w);
    sim_sched_free(w->gsched);
    free(w->glob);
    free(w->node_part);
    for (int q = 0; q < 4; q++) {
        free(w->fplog[q >> 1][q & 1].e);
        ana_metrics_free(w->mlog[q >> 1][q & 1]);
    }
    for (int k = 0; k < 2; k++) {
        world_part *pt = &w->parts[k];
        sim_sched_free(pt->sched);
        free(pt->out[0]);         /* its packets go with the pools */
        free(pt->out[1]);
        pool_release(pt);
        for (uint32_t i = 0; pt->routes && i < pt->n_routes; i++) {
            free(pt->routes[i].via);
            free(pt->routes[i].queue);
        }
        free(pt->routes);
        free(pt->route_slot);
        free(pt->bfs_queue);
        free(pt->stor_dirty);
    }
    free(w->core_ix);
    free(w->core_node);
    free(w->core_off);
    free(w->core_adj);
    free(w->core_link);
    free(w->core_comp);
    free(w->cyc_pos);
    free(w->cyc_succ);
    free(w->cyc_pred);
    free(w->cyc_len);
    free(w->cyc_first_succ);
    free(w->rt_attach);
    free(w->rt_plink);
    free(w->rt_tin);
    free(w->rt_tout);
    free(w->rt_child_off);
    free(w->rt_child);
    free(w->mv_hops);
    free(w->so_subs);
    free(w->sub_filter);
    free(w->so_of_node);
    free(w->sos);
    free(w->ser_q);
    free(w->ser_arr);
    free(w->ser_keys);
    free(w->dirs);
    free(w->dirs_cold);
    free(w->fdir);
    free(w->fdir_cold);
    free(w->wl);
    free(w->fwd);
    free(w->nodes);
    free(w->node_state);
    free(w->taps);
    for (int q = 0; q < 4; q++)
        sim_pcap_buf_free(w->pcbuf[q >> 1][q & 1]);
    free(w->ks_noted);
    free(w->stor);
    ana_metrics_free(w->m);
    sim_topo_deinit(&w->topo);
    sim_rng_free(w->rng);
    free(w);
}

/* ------------------------------------------------------------------------
 * Running
 * ---------------------------------------------------------------------- */

/* ---- Two partitions (kmsim extension, issue 22 lever 6, THREADS.md) -----
 * A world made by sim_world_new_threads(.., 2, ..) (or, for tests,
 * sim_world_new_alternating) runs in conservative windows of at most one
 * lookahead (plus a header's transmission time).  Each window writes the
 * outbox, fingerprint log, metric log and return list of its parity
 * (window k: k & 1), so that what one window left can be read while the
 * next runs.  Three ways to end a window:
 *  - fast (two threads, both sides have events, no loss draw across the
 *    cut, no run-wide event): one barrier round; then each thread inserts
 *    the other's crossings into its own scheduler and takes back its
 *    packets the other freed (cross_in), the calling thread merges the
 *    two logs by key into the fingerprint and the run's metrics
 *    (world_barrier_p, merge only), and both compute the same next window
 *    from what each published before the barrier (win_next);
 *  - full (a loss draw across the cut or a run-wide event in the window):
 *    the second thread waits at a second round while the calling thread
 *    does everything (world_barrier_p: the loss draws of links between the
 *    halves in the key order of the sending events, both outboxes, both
 *    return lists, the merge; world_global: the event for no node, with
 *    both partitions stopped just before its key) and hands it the next
 *    window;
 *  - solo (one side has events, or no second thread): the calling thread
 *    runs the side(s) as their partition, then the full barrier; the
 *    second thread stays parked.
 * Windows with nothing to do are skipped: the next starts at the
 * earliest pending event. */

/* One window: run to `end` inclusive, or (lim) only the events below
 * the key `lim` (a run-wide event at time end); par: its parity; act[k]:
 * partition k may have an event in it (from lower bounds). */
typedef struct world_win {
    sim_time end;
    int has_lim;
    sim_event_key lim;
    int par;
    int act[2];
} world_win;

/* Partition 1's thread, created at the first windowed sim_world_run and
 * joined at sim_world_finish / sim_world_free.  Parked at `start` until
 * the calling thread hands it `win` (with until/max/base); `sync` ends a
 * window; `x` is the second round (full windows, and leaving the fast
 * loop).  pk_h, pk_t, stopf, ran: what each thread publishes before
 * `sync`. */
struct world_thr {
    sim_world *w;
    sim_par_thread *t;
    sim_par_bar *start, *sync, *x;
    world_win win;          /* the window handed over (start, x)          */
    int go;                 /* after x: 1 run `win`, 0 park               */
    int quit;
    sim_time until;
    uint64_t max, base;     /* max_events of the call, events before the  */
                            /*   handover                                 */
    /* Published by side k after its window of parity p, in pub[p][k]
     * (by parity: the other thread may still read parity p while this one
     * writes 1 - p after the next window). */
    struct {
        sim_time t;         /* its earliest pending event (a lower bound), */
                            /*   SIM_TIME_MAX: none                        */
        uint64_t ran;       /* events it ran since the handover           */
        int stopf;          /* an interrupt seen                          */
        int draw;           /* a loss draw waits in its outbox            */
        int due;            /* its scheduler is due to renumber           */
    } pub[2][2];
};

static uint64_t part_run(sim_world *w, int k, const world_win *win)
{
    sim_sched *s = w->parts[k].sched;

    uint64_t n = win->has_lim ? sim_sched_run_before(s, &win->lim, 0)
                              : sim_sched_run(s, win->end, 0);

    /* --series: the last event's storage sample goes into this window's
     * log now, in that event's range, where one thread makes it (before
     * the next event of either partition): the series' storage levels
     * are replayed in one thread's order.  The level is the same as at
     * the partition's next event (no other event touches its node). */
    if (w->ser)
        stor_flush_part(w, &w->parts[k]);
    return n;
}

/* Partition k is about to run a window of parity p (its own thread). */
static void part_prep(sim_world *w, int k, int p)
{
    world_part *pt = &w->parts[k];

    pt->cur = p;
    pt->n_out[p] = 0;               /* read by everyone before the last */
    pt->m = w->mlog[p][k];          /*   barrier round: free again      */
}

/* What partition k publishes after its window of parity p (its own
 * thread): ran = its events since the handover. */
static void part_publish(sim_world *w, world_thr *th, int k, int p,
                         uint64_t ran)
{
    sim_event_key ek;
    const volatile sig_atomic_t *stop = w->guard ? w->guard->stop : NULL;

    th->pub[p][k].t = sim_sched_peek(w->parts[k].sched, &ek) == 0
                          ? ek.t : SIM_TIME_MAX;
    th->pub[p][k].ran = ran;
    th->pub[p][k].stopf =
        __atomic_load_n(&w->interrupted, __ATOMIC_RELAXED) || (stop && *stop);
    th->pub[p][k].due = sim_sched_renumber_due(w->parts[k].sched);
    th->pub[p][k].draw = 0;
    for (uint32_t i = 0; i < w->parts[k].n_out[p]; i++)
        if (w->parts[k].out[p][i].draw) {
            th->pub[p][k].draw = 1;
            break;
        }
}

/* The window after `prev` (next.par = 1 - prev's), from the earliest
 * possible event of each side e[0], e[1] and the next event for no node,
 * starting no earlier than `from`; 0 when nothing is left up to until. */
static int win_make(sim_world *w, const sim_time e[2], sim_time from,
                    sim_time until, int par, world_win *next)
{
    sim_event_key kg;
    int hg = sim_sched_peek(w->gsched, &kg) == 0;

    /* The earlier of the next event for no node and the next run-wide
     * event of a node (sim_world_at_global): both end a window. */
    if (w->glob_next < w->n_glob &&
        (!hg || sim_event_key_cmp(&w->glob[w->glob_next].k, &kg) < 0)) {
        kg = w->glob[w->glob_next].k;
        hg = 1;
    }
    sim_time start = e[0] < e[1] ? e[0] : e[1];

    if (hg && kg.t < start)
        start = kg.t;
    if (start == SIM_TIME_MAX || start > until)
        return 0;
    if (start < from)
        start = from;
    if (start > until)
        return 0;
    next->end = until - start < w->win_la ? until : start + w->win_la - 1;
    next->has_lim = hg && kg.t <= next->end;
    if (next->has_lim) {
        next->lim = kg;
        next->end = kg.t;
    }
    next->par = par;
    next->act[0] = e[0] <= next->end;
    next->act[1] = e[1] <= next->end;
    return 1;
}

/* The window after a fast one, from what both threads published and the
 * crossings of window `win` (both outboxes, not yet consumed by anyone's
 * next window): the same on both threads. */
static int win_next(sim_world *w, const world_thr *th, const world_win *win,
                    sim_time until, world_win *next)
{
    int p = win->par;
    sim_time e[2] = {th->pub[p][0].t, th->pub[p][1].t};

    for (int k = 0; k < 2; k++) {
        const world_part *pt = &w->parts[k];
        for (uint32_t i = 0; i < pt->n_out[p]; i++)
            if (pt->out[p][i].k.t < e[1 - k])
                e[1 - k] = pt->out[p][i].k.t;
    }
    return win_make(w, e, win->end + 1, until, 1 - p, next);
}

/* The window from the schedulers themselves (both stopped). */
static int win_first(sim_world *w, sim_time from, sim_time until, int par,
                     world_win *next)
{
    sim_time e[2];

    for (int k = 0; k < 2; k++) {
        sim_event_key ek;
        e[k] = sim_sched_peek(w->parts[k].sched, &ek) == 0 ? ek.t
                                                           : SIM_TIME_MAX;
    }
    return win_make(w, e, from, until, par, next);
}

/* Whether window `win` may end with one barrier round: no run-wide event
 * in it, no loss draw waiting in either outbox and no scheduler due to
 * renumber (the same answer on both threads: from what both published
 * before the round, never from the outboxes, which a full barrier
 * empties). */
static int win_fast(const world_thr *th, const world_win *win)
{
    int p = win->par;

    return !win->has_lim && !th->pub[p][0].draw && !th->pub[p][1].draw &&
           !th->pub[p][0].due && !th->pub[p][1].due;
}

/* Events run since the call began, after window parity p. */
static uint64_t win_ran(const world_thr *th, int p)
{
    return th->base + th->pub[p][0].ran + th->pub[p][1].ran;
}

/* The stop decision after a fast window of parity p, the same on both
 * threads. */
static int win_stop(const world_thr *th, int p)
{
    return th->pub[p][0].stopf || th->pub[p][1].stopf ||
           (th->max && win_ran(th, p) >= th->max);
}

/* Packet p (freed) back into the pool it came from: a chunk's owner, or
 * for a large packet partition 0's free list.  Both partitions stopped. */
static void pkt_return(sim_world *w, sim_pkt *p)
{
    int k = p->cls < POOL_SLABBED ? chunk_of(p)->part : 0;

    pkt_release(&w->parts[k], p);
}

/* After a fast window of parity p, on partition j's thread: the other
 * partition's crossings into j's scheduler, and j's packets it freed back
 * into j's pool.  Reads the other's outbox and return list of parity p,
 * which it does not touch again before the next barrier round. */
static void cross_in(sim_world *w, int j, int p)
{
    world_part *o = &w->parts[1 - j];
    sim_sched *s = w->parts[j].sched;

    for (uint32_t i = 0; i < o->n_out[p]; i++) {
        const world_cross *c = &o->out[p][i];
        sim_sched_at_key(s, &c->k, ev_arrive, SIM_EV_ARRIVE, c->to, c->p,
                         c->link);
    }
    while (o->ret[p]) {
        sim_pkt *q = o->ret[p];
        o->ret[p] = q->next;
        pkt_release(&w->parts[j], q);  /* a slabbed packet of j's pool */
    }
}

static void *world_thread(void *arg)
{
    world_thr *th = arg;
    sim_world *w = th->w;
    uint64_t ran;

    world_tl = 1;
    for (;;) {
        world_win win;

        sim_par_bar_wait(th->start);
        if (th->quit)
            break;
        win = th->win;
        ran = 0;
        for (;;) {
            world_win next;
            int have;

            part_prep(w, 1, win.par);
            ran += part_run(w, 1, &win);
            part_publish(w, th, 1, win.par, ran);
            sim_par_bar_wait(th->sync);
            if (win_fast(th, &win)) {
                /* The last window's outbox was read by both before this
                 * round (cross_in); nobody reads it now.  (After a full
                 * round the caller empties it: it reads every outbox
                 * before this thread leaves x.) */
                w->parts[1].n_out[1 - win.par] = 0;
                cross_in(w, 1, win.par);
                have = win_next(w, th, &win, th->until, &next);
                if (!have || win_stop(th, win.par) || !next.act[0] ||
                    !next.act[1]) {
                    sim_par_bar_wait(th->x);     /* leave together */
                    break;
                }
                win = next;
                continue;
            }
            sim_par_bar_wait(th->x);             /* full: the caller's */
            if (!th->go)
                break;
            win = th->win;
            ran = 0;
        }
    }
    world_tl = 0;
    return NULL;
}

/* Ends partition 1's thread, if any. */
static void world_thread_stop(sim_world *w)
{
    world_thr *th = w->thr;

    if (!th)
        return;
    th->quit = 1;
    sim_par_bar_wait(th->start);
    sim_par_thread_join(th->t);
    sim_par_bar_free(th->start);
    sim_par_bar_free(th->sync);
    sim_par_bar_free(th->x);
    free(th);
    w->thr = NULL;
}

/* Partition 1's thread, started once; NULL if it cannot be (then the
 * partitions run in turn on the calling thread: the same results). */
static world_thr *world_thread_get(sim_world *w)
{
    world_thr *th;

    if (w->thr || !w->threaded)
        return w->thr;
    th = xcalloc(1, sizeof *th);
    th->w = w;
    th->start = sim_par_bar_new();
    th->sync = sim_par_bar_new();
    th->x = sim_par_bar_new();
    if (!th->start || !th->sync || !th->x ||
        (th->t = sim_par_thread_start(world_thread, th)) == NULL) {
        sim_par_bar_free(th->start);
        sim_par_bar_free(th->sync);
        sim_par_bar_free(th->x);
        free(th);
        w->threaded = 0;
        return NULL;
    }
    w->thr = th;
    return th;
}

/* The loss draw of crossing arrival c (partition k's outbox), deferred
 * to the barrier: SIM_RNG_LINK is one stream per link, drawn by the
 * senders at both ends, so the draws are made here in the key order of
 * the events that sent (one scheduler's order).  A loss is counted as
 * link_xmit counts it and the arrival dropped (c->p NULL). */
static void cross_draw(sim_world *w, int k, world_cross *c)
{
    const scn_link_params *par = sim_topo_link_params(&w->topo, c->link);
    uint32_t f;
    link_dir *d;

    if (gsl_rng_uniform(sim_rng_get(w->rng, SIM_RNG_LINK, c->link)) >=
        par->loss)
        return;
    d = dir_get(w, c->from, c->to, c->link, &f);
    link_dir_cold_of(w, d, f)->lost++;
    ana_metric_add(w->m, w->id.lost, 1);
    w->parts[k].pkt_live--;
    w->parts[k].crossed--;          /* it never arrives */
    pkt_return(w, c->p);
    c->p = NULL;
}

/* The barrier of window parity p, on the calling thread: walks both
 * partitions' executed events in key order, hashing each into the
 * fingerprint and replaying its metric adds and sets into the run's
 * registry; with `full` (both partitions stopped) also makes the
 * deferred loss draws in that order, hands each outbox to the other
 * partition's scheduler and returns packets to their pools.  Returns the
 * arrivals handed over. */
static uint32_t world_barrier_p(sim_world *w, int p, int full)
{
    fp_log *L[2] = {&w->fplog[p][0], &w->fplog[p][1]};
    uint32_t i[2] = {0, 0}, n = 0;

    assert(w->two && world_tl == 0);
    while (i[0] < L[0]->n || i[1] < L[1]->n) {
        int k = i[1] == L[1]->n ||
                (i[0] < L[0]->n &&
                 sim_event_key_cmp(&L[0]->e[i[0]].k, &L[1]->e[i[1]].k) < 0)
                    ? 0 : 1;
        const fp_ent *e = &L[k]->e[i[k]++];
        int last = i[k] == L[k]->n;
        size_t mend = last ? ana_metrics_log_len(w->mlog[p][k])
                           : L[k]->e[i[k]].mlo;
        uint32_t xend = last ? w->parts[k].n_out[p] : L[k]->e[i[k]].xlo;

        fp_put(w, e->k.t, e->kind, e->node);
        w->last_t = e->k.t;
        if (mend > e->mlo)
            ana_metrics_log_apply(w->m, w->mlog[p][k], e->mlo, mend);
        for (uint32_t x = e->xlo; full && x < xend; x++)
            if (w->parts[k].out[p][x].draw)
                cross_draw(w, k, &w->parts[k].out[p][x]);
    }
    for (int k = 0; k < 2; k++) {
        L[k]->n = 0;
        ana_metrics_log_clear(w->mlog[p][k]);
    }
    if (w->pcbuf[p][0])              /* --pcap: the trace in key order */
        sim_pcap_merge(w->pcap, w->pcbuf[p][0], w->pcbuf[p][1]);
    if (!full)
        return 0;
    for (int k = 0; k < 2; k++) {
        world_part *pt = &w->parts[k];
        sim_sched *to = w->parts[1 - k].sched;

        for (uint32_t x = 0; x < pt->n_out[p]; x++) {
            const world_cross *c = &pt->out[p][x];
            if (!c->p)
                continue;                   /* lost (cross_draw) */
            sim_sched_at_key(to, &c->k, ev_arrive, SIM_EV_ARRIVE, c->to,
                             c->p, c->link);
            n++;
        }
        pt->n_out[p] = 0;
    }
    for (int q = 0; q < 4; q++)
        while (w->parts[q >> 1].ret[q & 1]) {
            sim_pkt *x = w->parts[q >> 1].ret[q & 1];
            w->parts[q >> 1].ret[q & 1] = x->next;
            pkt_return(w, x);
        }
    return n;
}

static uint32_t world_barrier(sim_world *w)
{
    return world_barrier_p(w, w->parts[0].cur, 1);
}

/* After a full barrier (both partitions stopped, run-wide event run):
 * when any of the three schedulers has drawn half of its sequence
 * numbers, all three are renumbered together in one merged key order
 * (sim_sched_renumber_all), since each holds keys the others drew; none
 * renumbers alone (sim_sched_set_coordinated, sim_world_two_scheds).
 * The outboxes are empty here (the barrier handed them over), so no key
 * waits outside a queue.  kmsim extension: THREADS.md 4.5. */
static void world_renumber(sim_world *w)
{
    sim_sched *s[3] = {w->parts[0].sched, w->parts[1].sched, w->gsched};

    if (!sim_sched_renumber_due(s[0]) && !sim_sched_renumber_due(s[1]) &&
        !sim_sched_renumber_due(s[2]))
        return;
    for (int k = 0; k < 2; k++)
        if (w->parts[k].n_out[0] || w->parts[k].n_out[1]) {
            fprintf(stderr, "kmsim: --threads 2: renumbering with "
                    "arrivals in an outbox (THREADS.md 4.5)\n");
            abort();
        }
    sim_sched_renumber_all(s, 3);
}

static void stor_flush_part(sim_world *w, world_part *pt);

/* Runs the first event for no node (key *g) with both partitions
 * stopped just before it, on the calling thread as partition 0 (its
 * scheduler stands in for partition 0's meanwhile, so what it logs,
 * adds and schedules goes where one scheduler would take it), after the
 * barrier of window parity p, and merges what it logged right away
 * (before anything of the next window).  Such an event (the warm-up's
 * end) may change state of every node; it may schedule only events for
 * no node, and send nothing.  Returns the events run (0 or 1). */
static uint64_t world_node_global(sim_world *w, int p);

static uint64_t world_global(sim_world *w, const sim_event_key *g, int p)
{
    sim_sched *s0 = w->parts[0].sched;
    size_t p0 = sim_sched_pending(s0);
    size_t p1 = sim_sched_pending(w->parts[1].sched);
    uint64_t n;

    assert(world_tl == 0);
    if (w->glob_next < w->n_glob &&
        sim_event_key_cmp(&w->glob[w->glob_next].k, g) == 0)
        return world_node_global(w, p);
    part_prep(w, 0, p);
    /* The node of each partition's last event is sampled now, as one
     * scheduler would have before this event. */
    stor_flush_part(w, &w->parts[0]);
    stor_flush_part(w, &w->parts[1]);
    w->parts[0].sched = w->gsched;
    n = sim_sched_run(w->gsched, g->t, 1);
    w->parts[0].sched = s0;
    if (sim_sched_pending(s0) != p0 ||
        sim_sched_pending(w->parts[1].sched) != p1 ||
        w->parts[0].n_out[p] != 0) {
        fprintf(stderr, "kmsim: --threads 2: an event for no node "
                "scheduled or sent for a node (not supported: "
                "THREADS.md)\n");
        abort();
    }
    world_barrier_p(w, p, 0);
    return n;
}

/* Runs the next run-wide event of a node (sim_world_at_global) with both
 * partitions stopped just before its key, after the (full) barrier of
 * window parity p: alone on the calling thread as the partition that
 * holds it (world_tl; its scheduler, logs, outbox and pool), so the keys
 * it gives new events come from that scheduler, as one scheduler would
 * give them.  Both partitions' last event nodes are sampled first (as
 * one scheduler would have before it).  After it: a full barrier (its
 * fingerprint entry and metric ops merged, its crossings' loss draws
 * and outbox handed over, packets returned), then the events it
 * scheduled for nodes of the other partition move there with their keys
 * (sim_sched_move; their ids no longer cancel them).  Returns the events
 * run (1). */
static uint64_t world_node_global(sim_world *w, int p)
{
    uint32_t gi = w->glob_next;
    int gp = w->glob[gi].part;
    sim_sched *s = w->parts[gp].sched;
    uint64_t n;

    assert(world_tl == 0);
    stor_flush_part(w, &w->parts[0]);
    stor_flush_part(w, &w->parts[1]);
    part_prep(w, gp, p);
    world_tl = gp;
    w->glob_run = 1;
    n = sim_sched_run(s, w->glob[gi].k.t, 1);
    w->glob_run = 0;
    world_tl = 0;
    if (n != 1 || w->glob_next != gi + 1) {
        fprintf(stderr, "kmsim: --threads 2: a run-wide event did not run "
                "at its key (THREADS.md)\n");
        abort();
    }
#ifdef KMSIM_LOCALITY
    w->actor = SIM_NONE;
#endif
    world_barrier_p(w, p, 1);
    (void)sim_sched_move(s, w->parts[1 - gp].sched, w->node_part,
                         w->topo.n_nodes, (uint8_t)(1 - gp));
    return n;
}

/* sim_world_run of a world with two schedulers: windows as above until
 * `until` (its events run) or nothing is left, or, at a barrier, once
 * max_events (0: no limit) have run in this call or the run was
 * interrupted (its guard's flag or sim_world_interrupt). */
static uint64_t world_run_windows(sim_world *w, sim_time until,
                                  uint64_t max_events)
{
    world_thr *th = world_thread_get(w);
    const volatile sig_atomic_t *stop = w->guard ? w->guard->stop : NULL;
    uint64_t n = 0, ran = 0;
    int stopped = 0, parked = 1, have;
    world_win win;

    w->t_end_set = 0;
    w->in_windows = 1;
    have = win_first(w, w->win_t, until, 1 - w->parts[0].cur, &win);
    while (have) {
        int p = win.par;
        world_win next;

        if (th && win.act[0] && win.act[1]) {
            if (parked) {                /* hand it over */
                th->win = win;
                th->until = until;
                th->max = max_events;
                th->base = n;
                ran = 0;
                sim_par_bar_wait(th->start);
                parked = 0;
            }
            part_prep(w, 0, p);
            ran += part_run(w, 0, &win);
            part_publish(w, th, 0, p, ran);
            sim_par_bar_wait(th->sync);
            w->parts[0].n_out[1 - p] = 0;       /* as on the other thread */
            if (win_fast(th, &win)) {
                cross_in(w, 0, p);
                world_barrier_p(w, p, 0);  /* merge only */
                have = win_next(w, th, &win, until, &next);
                stopped = win_stop(th, p);
                if (!have || stopped || !next.act[0] || !next.act[1]) {
                    sim_par_bar_wait(th->x);    /* leave together */
                    parked = 1;
                    /* both inserted what they read: consumed */
                    w->parts[0].n_out[p] = w->parts[1].n_out[p] = 0;
                    n = win_ran(th, p);
                    w->win_t = win.end + 1;
                }
                win = next;
                if (stopped)
                    break;
                continue;
            }
            /* Full: partition 1's thread waits at x and touches no
             * outbox; its last window's one (read by both before this
             * round) is emptied here, before world_renumber checks them
             * all (emptied on that thread, it raced with the check). */
            w->parts[1].n_out[1 - p] = 0;
            world_barrier_p(w, p, 1);
            n = win_ran(th, p);
            if (win.has_lim)
                n += world_global(w, &win.lim, p);
            world_renumber(w);
            w->win_t = win.has_lim ? win.end : win.end + 1;
            stopped = __atomic_load_n(&w->interrupted, __ATOMIC_RELAXED) ||
                      (stop && *stop) || (max_events && n >= max_events);
            have = !stopped && win_first(w, w->win_t, until, 1 - p, &next);
            th->go = have && next.act[0] && next.act[1];
            if (th->go) {
                th->win = next;
                th->base = n;
                ran = 0;
            }
            sim_par_bar_wait(th->x);
            parked = !th->go;
            win = next;
            continue;
        }
        /* Solo: one side has events, or no second thread. */
        if (!th) {
            part_prep(w, 1, p);
            world_tl = 1;
            n += part_run(w, 1, &win);
            world_tl = 0;
            part_prep(w, 0, p);
            n += part_run(w, 0, &win);
        } else if (win.act[1]) {
            part_prep(w, 1, p);
            world_tl = 1;
            n += part_run(w, 1, &win);
            world_tl = 0;
        } else {
            part_prep(w, 0, p);
            n += part_run(w, 0, &win);
        }
        world_barrier_p(w, p, 1);
        if (win.has_lim)
            n += world_global(w, &win.lim, p);
        world_renumber(w);
        w->win_t = win.has_lim ? win.end : win.end + 1;
        if (__atomic_load_n(&w->interrupted, __ATOMIC_RELAXED) ||
            (stop && *stop) || (max_events && n >= max_events)) {
            stopped = 1;
            break;
        }
        have = win_first(w, w->win_t, until, 1 - p, &win);
    }
    w->in_windows = 0;
    /* The clock one scheduler would show now (sim_sched_run). */
    w->t_end = !stopped && until != SIM_TIME_MAX && until > w->last_t
                   ? until : w->last_t;
    w->t_end_set = 1;
    return n;
}

uint64_t sim_world_run(sim_world *w, sim_time until, uint64_t max_events)
{
    uint64_t n;

    __atomic_store_n(&w->interrupted, 0, __ATOMIC_RELAXED);
    if (w->windowed)
        n = world_run_windows(w, until, max_events);
    else
        n = sim_sched_run(WP(w)->sched, until, max_events);
#ifdef KMSIM_LOCALITY
    w->actor = SIM_NONE;                 /* between runs: no event runs */
#endif
    return n;
}

/* The outbox's keys, for the scheduler's renumbering (sim_held_fn). */
static sim_event_key *part_held(void *ctx, size_t i)
{
    world_part *pt = ctx;

    if (i < pt->n_out[0])
        return &pt->out[0][i].k;
    i -= pt->n_out[0];
    return i < pt->n_out[1] ? &pt->out[1][i].k : NULL;
}

int sim_world_partition(sim_world *w, const uint8_t *part_of,
                        sim_time *lookahead)
{
    const sim_topo *t = &w->topo;
    sim_time la = SIM_TIME_MAX, win = SIM_TIME_MAX;

    assert(w->parts[0].n_out[0] == 0);
    if (w->two)
        return -1;                 /* two schedulers: the split is fixed */
    fp_merge(w);
    if (!part_of) {
        free(w->node_part);
        w->node_part = NULL;
        sim_sched_set_held(w->parts[0].sched, NULL, NULL);
        *lookahead = SIM_TIME_MAX;
        return 0;
    }
    if (w->n_taps)
        return -1;                 /* taps see every transmission */
    for (uint32_t l = 0; l < t->n_links; l++) {
        const sim_link *k = &t->links[l];
        const scn_link_params *par = &t->params[k->par];
        sim_time lt;

        if (part_of[k->a] == part_of[k->b])
            continue;
        if (par->latency < la)
            la = par->latency;
        /* The windows: an arrival over this link comes at least one
         * header's transmission time plus the latency after it was sent
         * (every packet holds a header; attackers' injections, which
         * skip the transmitter, are refused with a split). */
        lt = par->latency + sim_link_tx_time(par, SIM_HDR_BYTES);
        if (lt < win)
            win = lt;
    }
    if (la <= 0)
        return -1;
    if (!w->node_part)
        w->node_part = xmalloc(t->n_nodes ? t->n_nodes : 1);
    memcpy(w->node_part, part_of, t->n_nodes);
    sim_sched_set_held(w->parts[0].sched, part_held, &w->parts[0]);
    *lookahead = la;
    w->win_la = win;
    return 0;
}

/* A run-wide event's handler (sim_world_at_global on a split world): the
 * caller's, with its arg and u64, in key order. */
static void ev_global(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    world_glob g;
    (void)arg; (void)u64;

    assert(w->glob_next < w->n_glob);
    /* Two schedulers: only alone, with both partitions stopped. */
    if (w->two && !w->glob_run) {
        fprintf(stderr, "kmsim: --threads 2: a run-wide event ran inside "
                "a window (THREADS.md)\n");
        abort();
    }
    g = w->glob[w->glob_next++];
    w->glob_run = 1;       /* one scheduler: while it runs; two: already */
#ifndef NDEBUG
    {
        sim_event_key k;
        sim_sched_key_now(s, &k);
        assert(sim_event_key_cmp(&k, &g.k) == 0 && g.node == node);
    }
#else
    (void)s;
#endif
    g.fn(s, ctx, kind, node, g.arg, g.u64);
    w->glob_run = w->two;  /* two: world_node_global clears it */
}

int sim_world_run_wide(const sim_world *w)
{
    return w->glob_run;
}

sim_event_id sim_world_at_global(sim_world *w, sim_time t, sim_event_fn fn,
                                 uint32_t kind, uint32_t node, void *arg,
                                 uint64_t u64)
{
    world_glob g;
    sim_sched *s;
    uint32_t i;

    if (!w->node_part)
        return sim_sched_at(sim_world_sched(w), t, fn, kind, node, arg, u64);
    if (w->in_windows) {
        /* Not needed yet (E-G schedules its rounds at set-up): the other
         * thread may be reading glob (win_make). */
        fprintf(stderr, "kmsim: --threads 2: sim_world_at_global from an "
                "event of a split run (not supported: THREADS.md)\n");
        abort();
    }
    /* Split: the key one scheduler would give it, kept (by key) for
     * world_run_windows.  Before the second scheduler exists (the
     * set-up) it goes to partition 0's and moves with its node's events
     * (sim_world_two_scheds); after, straight into its node's. */
    g.part = sim_world_part_of(w, node);
    s = w->two ? w->parts[g.part].sched : WP(w)->sched;
    sim_sched_key_for(s, t, &g.k);
    g.fn = fn;
    g.arg = arg;
    g.u64 = u64;
    g.node = node;
    if (w->n_glob == w->cap_glob) {
        w->cap_glob = w->cap_glob ? 2 * w->cap_glob : 8;
        w->glob = xreallocarray(w->glob, w->cap_glob, sizeof *w->glob);
    }
    for (i = w->n_glob; i > w->glob_next &&
                        sim_event_key_cmp(&w->glob[i - 1].k, &g.k) > 0; i--)
        w->glob[i] = w->glob[i - 1];
    w->glob[i] = g;
    w->n_glob++;
    return sim_sched_at_key(s, &g.k, ev_global, kind, node, NULL, 0);
}

sim_sched *sim_world_sched_of(sim_world *w, uint32_t v)
{
    return w->two ? w->parts[sim_world_part_of(w, v)].sched : WP(w)->sched;
}

int sim_world_nparts(const sim_world *w)
{
    return w->node_part ? 2 : 1;
}

int sim_world_part_of(const sim_world *w, uint32_t v)
{
    return w->node_part && v < w->topo.n_nodes ? w->node_part[v] : 0;
}

int sim_world_cur_part(const sim_world *w)
{
    (void)w;
    return world_tl;
}

uint64_t sim_world_fp_logged(const sim_world *w, int part)
{
    return w->fp_logged[part != 0];
}

/* Sizes the arrays that grow on first use (link directions off the
 * forest, the forest's drop counters) for every link up front: with two
 * threads nothing shared may be reallocated during the events. */
static void world_presize(sim_world *w)
{
    const sim_topo *t = &w->topo;
    uint32_t need = w->n_dirs;

    for (uint32_t l = 0; l < t->n_links; l++)
        if (fdir_ix(w, w->wl[l].a, w->wl[l].b, l) == SIM_NONE)
            need += !w->wl[l].dix[0] + !w->wl[l].dix[1];
    dirs_reserve(w, need);
    for (uint32_t l = 0; l < t->n_links; l++)
        if (fdir_ix(w, w->wl[l].a, w->wl[l].b, l) == SIM_NONE) {
            (void)link_dir_of(w, &w->wl[l], l, 0);
            (void)link_dir_of(w, &w->wl[l], l, 1);
        }
    assert(w->n_dirs == need);
    if (!w->fdir_cold)
        w->fdir_cold = world_calloc(2 * (size_t)t->n_nodes,
                                    sizeof *w->fdir_cold);
}

/* Creates every random stream the events draw from (draws do not depend
 * on when a stream is created) and freezes the table: with two threads
 * sim_rng_get then only reads it, each stream drawn by one partition (a
 * link's between the halves by the barrier). */
static void world_rng_prepare(sim_world *w)
{
    const sim_topo *t = &w->topo;

    for (uint32_t v = 0; v < t->n_nodes; v++)
        if (t->nodes[v].role == SCN_ROLE_SOURCE)
            (void)sim_rng_get(w->rng, SIM_RNG_TRAFFIC, v);
    sim_rng_prepare(w->rng, SIM_RNG_NODE, t->n_nodes);
    sim_rng_prepare(w->rng, SIM_RNG_PROTOCOL, t->n_nodes);
    sim_rng_prepare(w->rng, SIM_RNG_SERVICE, w->n_so);
    sim_rng_prepare(w->rng, SIM_RNG_PUBLISH, w->n_so);
    for (uint32_t l = 0; l < t->n_links; l++)
        if (sim_topo_link_params(t, l)->loss > 0)
            (void)sim_rng_get(w->rng, SIM_RNG_LINK, l);
    sim_rng_freeze(w->rng, 1);
}

int sim_world_two_scheds(sim_world *w, size_t *moved)
{
    world_part *p1 = &w->parts[1];
    uint32_t n = w->topo.n_nodes;
    sim_sched *s;

    if (!w->node_part || w->two || sim_sched_executed(w->parts[0].sched))
        return -1;
    s = sim_sched_new(w, 4u * n + 64);
    w->gsched = sim_sched_new(w, 64);
    if (!s || !w->gsched)
        xoom(sizeof *w);
    sim_sched_set_observer(s, fp_observe, w);
    sim_sched_set_lookahead(s, world_lookahead, w);
    sim_sched_set_held(s, part_held, p1);
    sim_sched_set_observer(w->gsched, fp_observe, w);
    if (w->guard) {
        sim_sched_set_interrupt(s, w->guard->stop);
        sim_sched_set_interrupt(w->gsched, w->guard->stop);
    }
    /* Keys cross between the three: they renumber only together, at a
     * barrier (world_renumber). */
    sim_sched_set_coordinated(w->parts[0].sched, 1);
    sim_sched_set_coordinated(s, 1);
    sim_sched_set_coordinated(w->gsched, 1);
    *moved = sim_sched_move(w->parts[0].sched, s, w->node_part, n, 1);
    (void)sim_sched_move(w->parts[0].sched, w->gsched, w->node_part, n,
                         SIM_SCHED_NO_NODE);
    p1->sched = s;
    p1->bfs_queue = xcalloc(n + 1, sizeof *p1->bfs_queue);
    route_cache_init(w, p1);
    p1->stor_node = SIM_NONE;
    if (w->parts[0].stor_dirty)
        p1->stor_dirty = xcalloc(((size_t)n + 63) / 64, sizeof(uint64_t));
    for (int k = 0; k < 2; k++) {
        w->mlog[0][k] = ana_metrics_new_log(w->m);
        w->mlog[1][k] = ana_metrics_new_log(w->m);
        if (!w->mlog[0][k] || !w->mlog[1][k])
            xoom(sizeof *w);
        w->parts[k].m = w->mlog[0][k];
    }
    world_presize(w);
    world_rng_prepare(w);
    w->two = 1;
    w->windowed = 1;               /* sim_world_run: windows of win_la */
    return 0;
}

uint64_t sim_world_run_part(sim_world *w, int part, sim_time until)
{
    world_win win = {.end = until};
    uint64_t n;

    assert(w->two && (part == 0 || part == 1) && world_tl == 0);
    w->in_windows = 1;
    world_tl = part;
    n = part_run(w, part, &win);
    world_tl = 0;
    w->in_windows = 0;
    return n;
}

sim_sched *sim_world_part_sched(sim_world *w, int part)
{
    assert(part == 0 || (part == 1 && w->two));
    return w->parts[part != 0].sched;
}

uint32_t sim_world_barrier(sim_world *w)
{
    return world_barrier(w);
}

uint32_t sim_world_outbox_deliver(sim_world *w)
{
    world_part *pt = &w->parts[0];
    uint32_t n = pt->n_out[0];

    assert(!w->two);               /* two: sim_world_barrier */
    fp_merge(w);                   /* both partitions stopped: a barrier */
    for (uint32_t i = 0; i < n; i++) {
        const world_cross *c = &pt->out[0][i];
        sim_sched_at_key(pt->sched, &c->k, ev_arrive, SIM_EV_ARRIVE, c->to,
                         c->p, c->link);
    }
    pt->n_out[0] = 0;
    return n;
}

uint64_t sim_world_crossed(const sim_world *w)
{
    return w->parts[0].crossed + w->parts[1].crossed;
}

void sim_world_interrupt(sim_world *w)
{
    __atomic_store_n(&w->interrupted, 1, __ATOMIC_RELAXED);
    sim_sched_stop(WP(w)->sched);
}

/* Measured and analytic queue figures of one SO (or of all pooled). */
typedef struct so_report {
    double arrivals, completions, drops;
    double arrival_rate, service_rate, utilisation, L, W, Wq;
    double lambda, mu, rho, L_th, W_th, Wq_th;  /* theory, NaN if none */
    double rho_m, L_m, W_m, Wq_m;   /* theory at the measured arrival rate */
} so_report;

static void report_emit(sim_world *w, const char *ent, const so_report *r)
{
    ana_metrics *m = w->m;
#define SET(name, unit, v)                                                   \
    ana_metric_set(m, ana_metric_reg(m, name, ent, unit, ANA_VALUE), (v))
    SET("queue.arrivals", "req", r->arrivals);
    SET("queue.completions", "req", r->completions);
    SET("queue.drops", "req", r->drops);
    SET("queue.arrival_rate", "1/s", r->arrival_rate);
    SET("queue.service_rate", "1/s", r->service_rate);
    SET("queue.utilisation", "1", r->utilisation);
    SET("queue.L", "req", r->L);
    SET("queue.W", "s", r->W);
    SET("queue.Wq", "s", r->Wq);
    SET("queue.arrival_rate.theory", "1/s", r->lambda);
    SET("queue.service_rate.theory", "1/s", r->mu);
    SET("queue.utilisation.theory", "1", r->rho);
    SET("queue.L.theory", "req", r->L_th);
    SET("queue.W.theory", "s", r->W_th);
    SET("queue.Wq.theory", "s", r->Wq_th);
    /* The same model at the measured arrival rate (queue.arrival_rate):
     * what the queue does with the load that actually came (a protocol
     * that drops or holds data offers less than the sources create). */
    SET("queue.utilisation.theory_measured", "1", r->rho_m);
    SET("queue.L.theory_measured", "req", r->L_m);
    SET("queue.W.theory_measured", "s", r->W_m);
    SET("queue.Wq.theory_measured", "s", r->Wq_m);
#undef SET
}

/* Analytic queue at offered rate lam: M/M/1 when service is exponential,
 * M/G/1 (Pollaczek–Khinchine) otherwise; NaN for a finite queue, a
 * non-Poisson arrival process or an unstable queue.  Returns 0 if valid. */
static int so_analytic(const scenario *sc, double lam, ana_queue *q)
{
    double es = sim_dist_mean(&sc->so.service);
    int rc;

    if (isnan(lam) || sc->so.queue_capacity) {
        rc = -1;
    } else if (lam == 0) {
        /* No offered load (no source homed here): an empty queue. */
        q->rho = q->L = q->Lq = q->Wq = 0;
        q->W = es;
        rc = 0;
    } else if (sim_dist_is_exp(&sc->so.service))
        rc = ana_mm1(lam, 1.0 / es, q);
    else
        rc = ana_mg1(lam, es, sim_dist_m2(&sc->so.service), q);
    if (rc != 0)
        q->rho = q->L = q->Lq = q->W = q->Wq = NAN;
    return rc;
}

/* storage.<role>.time_avg / .peak / .end (bytes) and .keys (keys held)
 * for sources and SOs: samples over the nodes of the role, each the
 * node's time average over [warm-up, end], the largest level it held
 * then, its level at the end and the number of keys it holds at the end
 * (the protocol's keys hook). */
static void storage_report(sim_world *w)
{
    static const char *const role[] = {"source", "so"};
    char name[64];

    for (int r = SCN_ROLE_SOURCE; r <= SCN_ROLE_SO; r++) {
        snprintf(name, sizeof name, "storage.%s.time_avg", role[r]);
        w->id.st_avg[r] = ana_metric_reg(w->m, name, "", "B", ANA_SAMPLES);
        snprintf(name, sizeof name, "storage.%s.peak", role[r]);
        w->id.st_peak[r] = ana_metric_reg(w->m, name, "", "B", ANA_SAMPLES);
        snprintf(name, sizeof name, "storage.%s.end", role[r]);
        w->id.st_end[r] = ana_metric_reg(w->m, name, "", "B", ANA_SAMPLES);
        snprintf(name, sizeof name, "storage.%s.keys", role[r]);
        w->id.st_keys[r] = ana_metric_reg(w->m, name, "", "key",
                                          ANA_SAMPLES);
    }
    for (uint32_t v = 0; v < w->topo.n_nodes; v++) {
        int r = w->topo.nodes[v].role;
        sim_storage_stats st;
        if (r > SCN_ROLE_SO || sim_world_storage_stats(w, v, &st) != 0)
            continue;
        if (!isnan(st.time_avg))
            ana_metric_add(w->m, w->id.st_avg[r], st.time_avg);
        ana_metric_add(w->m, w->id.st_peak[r], st.peak);
        ana_metric_add(w->m, w->id.st_end[r], st.end);
        ana_metric_add(w->m, w->id.st_keys[r],
                       (double)w->proto->keys(w, w->proto_state, v));
    }
}

void sim_world_finish(sim_world *w)
{
    sim_time now;
    so_report all = {0};
    uint64_t reg_tried, gen_wu, want_wu;
    ana_welford soj, wait;
    double busy = 0, observed = 0, served = 0, served_time = 0;
    double lam_m = 0;
    uint64_t held = 0;
    int theory_ok = 1, measured_ok = 1;
    char ent[32];

    if (w->finished)
        return;
    w->finished = 1;
    world_thread_stop(w);
    if (w->two) {
        world_barrier(w);           /* what the partitions logged last */
        sim_rng_freeze(w->rng, 0);  /* one thread from here on */
    }
    now = world_now(w);
    if (w->ser) {          /* the last samples, then the last intervals */
        stor_flush_part(w, &w->parts[0]);
        stor_flush_part(w, &w->parts[1]);
        ana_series_finish(w->m, now);
    }
    reg_tried = w->parts[0].reg_tried + w->parts[1].reg_tried;
    gen_wu = w->parts[0].gen_wu + w->parts[1].gen_wu;
    want_wu = w->parts[0].want_wu + w->parts[1].want_wu;
    fp_merge(w);
    cry_hash_update(&WP(w)->fp, WP(w)->fp_buf, WP(w)->fp_len);
    WP(w)->fp_len = 0;
    cry_hash_final(&WP(w)->fp, WP(w)->fp_out);

    ana_welford_init(&soj);
    ana_welford_init(&wait);
    for (uint32_t i = 0; i < w->n_so; i++) {
        sim_so_stats st;
        so_report r;
        ana_queue q;

        sim_world_so_stats(w, i, &st);
        r.arrivals = (double)st.arrivals;
        r.completions = (double)st.completions;
        r.drops = (double)st.drops;
        r.arrival_rate = st.observed > 0 ? st.arrivals / st.observed : NAN;
        r.service_rate = st.served_time > 0 ? st.served / st.served_time
                                            : NAN;
        r.utilisation = st.observed > 0 ? st.busy / st.observed : NAN;
        r.L = st.L;
        r.W = st.sojourn.n ? st.sojourn.mean : NAN;
        r.Wq = st.wait.n ? st.wait.mean : NAN;
        r.lambda = st.lambda_theory;
        r.mu = 1.0 / sim_dist_mean(&w->sc->so.service);
        if (so_analytic(w->sc, st.lambda_theory, &q) != 0)
            theory_ok = 0;
        r.rho = q.rho;
        r.L_th = q.L;
        r.W_th = q.W;
        r.Wq_th = q.Wq;
        {
            ana_queue qm;
            if (so_analytic(w->sc, r.arrival_rate, &qm) != 0)
                measured_ok = 0;
            r.rho_m = qm.rho;
            r.L_m = qm.L;
            r.W_m = qm.W;
            r.Wq_m = qm.Wq;
            all.rho_m += qm.rho / w->n_so;
            all.L_m += qm.L / w->n_so;
            all.W_m += r.arrival_rate * qm.W;
            all.Wq_m += r.arrival_rate * qm.Wq;
            lam_m += r.arrival_rate;
        }
        if (w->n_so <= 32) {
            snprintf(ent, sizeof ent, "so:%u", w->topo.nodes[st.node].id);
            report_emit(w, ent, &r);
        }
        /* Pool: counts and rates add up; utilisation and L are averaged
         * per SO; W and Wq are per request (theory weighted by lambda). */
        all.arrivals += r.arrivals;
        all.completions += r.completions;
        all.drops += r.drops;
        busy += st.busy;
        served += st.served;
        served_time += st.served_time;
        observed = st.observed;
        all.L += st.L / w->n_so;
        all.lambda += st.lambda_theory;
        all.rho += q.rho / w->n_so;
        all.L_th += q.L / w->n_so;
        all.W_th += st.lambda_theory * q.W;
        all.Wq_th += st.lambda_theory * q.Wq;
        ana_welford_merge(&soj, &st.sojourn);
        ana_welford_merge(&wait, &st.wait);
    }
    if (w->n_so) {
        all.arrival_rate = observed > 0 ? all.arrivals / observed : NAN;
        all.service_rate = served_time > 0 ? served / served_time : NAN;
        all.utilisation = observed > 0 ? busy / observed / w->n_so : NAN;
        all.W = soj.n ? soj.mean : NAN;
        all.mu = 1.0 / sim_dist_mean(&w->sc->so.service);
        all.Wq = wait.n ? wait.mean : NAN;
        if (theory_ok && all.lambda > 0) {
            all.W_th /= all.lambda;
            all.Wq_th /= all.lambda;
        } else {
            all.lambda = all.rho = all.L_th = all.W_th = all.Wq_th = NAN;
        }
        if (measured_ok && lam_m > 0) {
            all.W_m /= lam_m;
            all.Wq_m /= lam_m;
        } else {
            all.rho_m = all.L_m = all.W_m = all.Wq_m = NAN;
        }
        report_emit(w, "so:all", &all);
    }
    for (uint32_t v = 0; v < w->topo.n_nodes; v++)
        held += w->nodes[v].n_held;
    ana_metric_set(w->m, ana_metric_reg(w->m, "data.held_at_end", "", "msg",
                                        ANA_VALUE),
                   (double)held);
    ana_metric_set(w->m, ana_metric_reg(w->m, "run.events", "", "event",
                                        ANA_VALUE),
                   (double)sim_world_events(w));
    ana_metric_set(w->m, ana_metric_reg(w->m, "run.end_time", "", "s",
                                        ANA_VALUE),
                   sim_time_to_s(now));
    /* Locality exceptions: the end-of-run reports read every node's
     * state (the attackers' report names its own, attack.c). */
    sim_world_exempt(w, "end-of-run report");
    /* The denominators of the delay means: registrations answered of
     * those sent; data at their SO of the data created after the
     * warm-up; subscriber deliveries of those the matching filters ask
     * for (data still on their way at the end count as not delivered). */
    {
        const ana_welford *so_n = ana_metric_samples(w->m, w->id.d_so);
        const ana_welford *e2e_n = ana_metric_samples(w->m, w->id.d_e2e);
        ana_metric_set(w->m, w->id.f_reg,
                       reg_tried ? ana_metric_get(w->m, w->id.registered) /
                                          (double)reg_tried
                                    : NAN);
        ana_metric_set(w->m, w->id.f_so,
                       gen_wu ? (double)so_n->n / (double)gen_wu : NAN);
        ana_metric_set(w->m, w->id.f_e2e,
                       want_wu ? (double)e2e_n->n / (double)want_wu
                                  : NAN);
    }
    /* Every node's storage level now, before the protocol reports. */
    if (w->stor) {
        stor_flush_part(w, &w->parts[0]);
        stor_flush_part(w, &w->parts[1]);
        for (uint32_t v = 0; v < w->topo.n_nodes; v++)
            stor_sample(w, v, now);
    }
    if (w->proto->report)
        w->proto->report(w, w->proto_state, w->m);
    sim_world_exempt_end(w);
    atk_run_report(w->atk, w->m);
    if (w->proto->storage) {
        /* Every node: the keys it holds (the name says keys) and their
         * bytes in the scenario's key field sizes. */
        int kid = ana_metric_reg(w->m, "storage.keys_per_node", "", "key",
                                 ANA_SAMPLES);
        int bid = ana_metric_reg(w->m, "storage.bytes_per_node", "", "B",
                                 ANA_SAMPLES);
        sim_world_exempt(w, "end-of-run storage accounting");
        for (uint32_t v = 0; v < w->topo.n_nodes; v++) {
            ana_metric_add(w->m, kid,
                           (double)w->proto->keys(w, w->proto_state, v));
            ana_metric_add(w->m, bid,
                           (double)w->proto->storage(w, w->proto_state, v));
        }
        storage_report(w);
        sim_world_exempt_end(w);
    }
#ifdef KMSIM_LOCALITY
    loc_fail_if_any(w);
#endif
}

/* ------------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------- */

void sim_world_node_info(const sim_world *w, uint32_t v, sim_node_info *out)
{
    const node_rt *n = &w->nodes[v];
    const sim_topo *t = &w->topo;

    out->home_so = n->home_so;
    out->hops_to_so = n->home_so == SIM_NONE ? SIM_NONE
                      : n->home_so == w->fwd[v].near_so ? w->fwd[v].depth
                                                        : n->so_hops;
    out->moves = n->moves;
    out->registered = n->registered;
    out->registration_delay = n->reg_done >= 0 ? n->reg_done - n->reg_sent
                                               : -1;
    out->originated = n->originated;
    /* What it transmitted: the directions leaving it of its links (each
     * link once per end in the adjacency, parallel links included). */
    out->tx_pkts = out->tx_bytes = 0;
    for (uint32_t e = t->adj_off[v]; e < t->adj_off[v + 1]; e++) {
        const link_dir_cold *c;
        const link_dir *d = dir_find(w, v, t->adj[e], t->adj_link[e], &c);
        if (d) {
            out->tx_pkts += d->tx_pkts;
            out->tx_bytes += d->tx_bytes;
        }
    }
}

uint32_t sim_world_n_so(const sim_world *w) { return w->n_so; }
sim_sched *sim_world_sched(sim_world *w) { return WP(w)->sched; }
sim_rng *sim_world_rng(sim_world *w) { return w->rng; }
const scenario *sim_world_scenario(const sim_world *w) { return w->sc; }
const sim_topo *sim_world_topo(const sim_world *w) { return &w->topo; }
/* In a two-partition run's windows the running partition's log (THREADS.md);
 * else the run's registry. */
ana_metrics *sim_world_metrics(sim_world *w)
{
    return w->in_windows ? WP(w)->m : w->m;
}
atk_run *sim_world_attacks(sim_world *w)
{
    return w->atk;
}

void *sim_world_proto_state(sim_world *w) { return w->proto_state; }

sim_time sim_world_now(const sim_world *w)
{
    return world_now(w);
}

/* ---- --series (kmsim extension, issue 23) ---- */

static int64_t series_clock(const void *ctx)
{
    return world_now(ctx);
}

int sim_world_series(sim_world *w, const ana_series_opts *o, char *err,
                     size_t errlen)
{
    ana_series_opts so = *o;
    double bytes = 0, keys = 0;
    char ent[32];

    assert(!w->ser && !w->finished && sim_world_events(w) == 0);
    so.now = series_clock;
    so.now_ctx = w;
    if (ana_series_start(w->m, &so) != 0) {
        snprintf(err, errlen, "--series: cannot start the time series "
                 "(interval %lld ns, end %lld ns)", (long long)o->interval,
                 (long long)o->end);
        return -1;
    }
    w->ser = 1;
    w->ser_q = xmalloc((w->n_so ? w->n_so : 1) * sizeof *w->ser_q);
    w->ser_arr = xmalloc((w->n_so ? w->n_so : 1) * sizeof *w->ser_arr);
    for (uint32_t k = 0; k < w->n_so; k++) {
        snprintf(ent, sizeof ent, "so:%u", k);
        w->ser_q[k] = ana_series_reg(w->m, "queue.length", ent, "req",
                                     ANA_VALUE);
        w->ser_arr[k] = ana_series_reg(w->m, "queue.arrivals", ent, "req",
                                       ANA_COUNTER);
    }
    w->ser_q_all = ana_series_reg(w->m, "queue.length", "so:all", "req",
                                  ANA_VALUE);
    w->ser_arr_all = ana_series_reg(w->m, "queue.arrivals", "so:all", "req",
                                    ANA_COUNTER);
    w->ser_keys_all = w->ser_bytes_all = -1;
    if (w->stor) {
        w->ser_bytes_all = ana_series_reg(w->m, "storage.bytes", "", "B",
                                          ANA_VALUE);
        w->ser_keys_all = ana_series_reg(w->m, "storage.keys", "", "key",
                                         ANA_VALUE);
        if (w->ser_keys_all >= 0 && w->proto->keys) {
            w->ser_keys = xmalloc(w->topo.n_nodes * sizeof *w->ser_keys);
            sim_world_exempt(w, "storage accounting (series)");
            for (uint32_t v = 0; v < w->topo.n_nodes; v++) {
                w->ser_keys[v] =
                    (uint32_t)w->proto->keys(w, w->proto_state, v);
                keys += w->ser_keys[v];
            }
            sim_world_exempt_end(w);
        }
        for (uint32_t v = 0; v < w->topo.n_nodes; v++)
            bytes += w->stor[v].twa.value;
        ana_series_add_at(w->m, w->ser_bytes_all, bytes, 0);
        ana_series_add_at(w->m, w->ser_keys_all, keys, 0);
    }
    if (w->atk)
        atk_run_series(w->atk, w->m);
    return 0;
}

uint64_t sim_world_events(const sim_world *w)
{
    if (!w->two)
        return sim_sched_executed(w->parts[0].sched);
    return sim_sched_executed(w->parts[0].sched) +
           sim_sched_executed(w->parts[1].sched) +
           sim_sched_executed(w->gsched);
}

void *sim_world_node_state(sim_world *w, uint32_t node)
{
    if (!w->node_state)
        return NULL;
    sim_world_local_at(w, node, NULL, "node_state",
                       __builtin_return_address(0));
    return w->node_state + (size_t)node * w->proto->node_state_size;
}

void sim_world_fingerprint(sim_world *w, unsigned char out[32])
{
    sim_world_finish(w);
    memcpy(out, WP(w)->fp_out, 32);
}

void sim_world_so_stats(sim_world *w, uint32_t k, sim_so_stats *out)
{
    so_rt *so = &w->sos[k];
    sim_time now = world_now(w);
    sim_time start = w->sc->warmup < now ? w->sc->warmup : now;

    *out = so->st;
    out->observed = sim_time_to_s(now - start);
    if (so->serving)
        out->busy += sim_time_to_s(now - (so->serve_start > start
                                              ? so->serve_start : start));
    ana_twa_set(&so->nsys, now, so->in_system);
    out->L = ana_twa_mean(&so->nsys, now);
}

/* ------------------------------------------------------------------------
 * Locality check (test build only, world.h)
 * ---------------------------------------------------------------------- */

#ifdef KMSIM_LOCALITY
/* The address of code that called the accessor, relative to the start of
 * the object it is in (what addr2line -f -i -e FILE takes). */
static uintptr_t loc_pc(const void *ret, const char **file)
{
    Dl_info di;

    *file = "?";
    if (dladdr(ret, &di) && di.dli_fbase) {
        if (di.dli_fname)
            *file = di.dli_fname;
        return (uintptr_t)ret - (uintptr_t)di.dli_fbase;
    }
    return (uintptr_t)ret;
}

static void loc_actor_text(uint32_t a, char *buf, size_t len)
{
    if (a == SIM_NONE)
        snprintf(buf, len, "none");
    else if (a == SIM_ACTOR_ATTACKER)
        snprintf(buf, len, "attacker");
    else if (a == SIM_HOLDER_ALL)
        snprintf(buf, len, "all nodes");
    else
        snprintf(buf, len, "%u", a);
}

/* In count mode: the run fails once it has ended with violations. */
static void loc_fail_if_any(sim_world *w)
{
    if (w->violations > w->loc_reported) {
        fprintf(stderr, "locality: %llu violation(s) in this run\n",
                (unsigned long long)w->violations);
        w->loc_reported = w->violations;
        fflush(stderr);
        abort();
    }
}

/* Called at every violation, before it is reported: `break
 * sim_world_locality_violation` in gdb shows the whole call chain. */
__attribute__((noinline)) void sim_world_locality_violation(sim_world *w)
{
    __asm__ volatile("" : : "r"(w) : "memory");
}

/* The check: `ret` is the address the accessor returns to. */
static void loc_check(sim_world *w, uint32_t holder, const char *proto,
                      const char *accessor, const void *ret)
{
    const char *file;
    uintptr_t pc;
    char a[24], h[24];

    if (w->n_exempt || holder == w->actor)
        return;
    w->violations++;
    sim_world_locality_violation(w);    /* a breakpoint for debuggers */
    pc = loc_pc(ret, &file);
    if (w->loc_count) {
        for (uint32_t i = 0; i < w->n_loc_seen; i++)
            if (w->loc_seen[i] == pc)
                return;
        if (w->n_loc_seen < LOC_SEEN_MAX)
            w->loc_seen[w->n_loc_seen++] = pc;
    }
    loc_actor_text(w->actor, a, sizeof a);
    loc_actor_text(holder, h, sizeof h);
    fprintf(stderr,
            "locality violation: protocol %s, accessor %s, actor %s, "
            "holder %s, time %lld ns (at %s+0x%llx)\n",
            proto ? proto : w->proto->name, accessor, a, h,
            (long long)sim_sched_now(WP(w)->sched), file,
            (unsigned long long)pc);
    fflush(stderr);
    if (!w->loc_count)
        abort();
}

/* Not inlined: its return address is the accessor's call site. */
__attribute__((noinline)) void sim_world_local(sim_world *w, uint32_t holder,
                                               const char *proto,
                                               const char *accessor)
{
    loc_check(w, holder, proto, accessor, __builtin_return_address(0));
}

void sim_world_local_at(sim_world *w, uint32_t holder, const char *proto,
                        const char *accessor, const void *ret)
{
    loc_check(w, holder, proto, accessor, ret);
}

static void loc_kmap(void *ctx, uint64_t a, const char *name, const void *ret)
{
    loc_check(ctx, a == KMAP_ANY ? SIM_HOLDER_ALL : (uint32_t)a, NULL, name,
              ret);
}

void sim_world_own(sim_world *w, kmap *m, const char *name)
{
    kmap_set_owner(m, loc_kmap, w, name);
}

void sim_world_exempt(sim_world *w, const char *why)
{
    assert(why && w->n_exempt < LOC_EXEMPT_MAX);
    w->exempt_why[w->n_exempt++] = why;
}

void sim_world_exempt_end(sim_world *w)
{
    assert(w->n_exempt > 0);
    w->n_exempt--;
}

void sim_world_act_as(sim_world *w, uint32_t node, const char *why)
{
    assert(why && w->n_act < LOC_EXEMPT_MAX);
    w->act_prev[w->n_act++] = w->actor;
    w->actor = node;
}

void sim_world_act_end(sim_world *w)
{
    assert(w->n_act > 0);
    w->actor = w->act_prev[--w->n_act];
}

uint32_t sim_world_actor(const sim_world *w) { return w->actor; }
uint64_t sim_world_violations(const sim_world *w) { return w->violations; }
#endif
