/* scenario.h — a validated scenario: what the YAML file (plus --set
 * overrides) describes, in SI / nanosecond units, ready to build a world.
 * The loader (scenario.c) is strict: every error names file:line:column
 * (or the --set flag) and nothing is half-loaded.  It is the scenario
 * layer (over engine and crypto): the world, attackers, protocols, runner
 * and command line include this header; it includes none of theirs.
 * Protocols are reached through the registry the loader is handed
 * (scn_registry_set) and read their options with scn_map.h. */
#ifndef KMSIM_SCENARIO_H
#define KMSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include "sim_time.h"
#include "dist.h"

/* Hard limits, documented in the README; exceeding one is an error. */
#define SCN_MAX_NODES        (1u << 24)  /* 16,777,216 nodes             */
#define SCN_MAX_LINKS        (1u << 27)
#define SCN_MAX_REPLICATIONS 10000u
#define SCN_MAX_STRING       4096u       /* any scalar string            */
#define SCN_MAX_LIST         65536u      /* topics, filters, attackers   */
#define SCN_MAX_DEPTH        64u         /* YAML nesting                 */
#define SCN_MAX_DURATION     (50LL * 365 * 24 * SIM_HOUR)
/* Device profile costs (kmsim extension, issue 20): one operation's fixed
 * cost at most 1 h, its cost per byte at most 1 s; a larger value is an
 * error at the value.  Accumulated CPU time saturates (sim_time_add_sat). */
#define SCN_MAX_OP_FIXED     SIM_HOUR
#define SCN_MAX_OP_PER_BYTE  SIM_S
#define SCN_MAX_OVERRIDES    256u
#define SCN_MAX_MOVES        (1u << 20)  /* entries of `moves`           */
#define SCN_MAX_AXES         32u         /* axes of a sweep              */
#define SCN_MAX_AXIS_VALUES  10000u      /* values of one sweep axis     */
#define SCN_MAX_FILE         ((size_t)64 << 20)  /* bytes of a YAML file */
/* One YAML document (the scenario, a profile, a --set value), counted
 * before it is built, with every alias counted as what it refers to: at
 * most this many scalars, lists and mappings, and this much scalar text.
 * An alias that refers to a node containing it is an error too. */
#define SCN_MAX_YAML_NODES   (1u << 21)  /* 2,097,152                    */
#define SCN_MAX_YAML_TEXT    SCN_MAX_FILE

typedef enum scn_role {
    SCN_ROLE_SOURCE,     /* sensor: registers with an SO, sends data     */
    SCN_ROLE_SO,         /* smart object: registers, queues, publishes   */
    SCN_ROLE_SUBSCRIBER  /* MQTT client of an SO, receives publications  */
} scn_role;

typedef struct scn_link_params {
    sim_time latency;    /* propagation delay                            */
    double bandwidth;    /* bits/s, > 0                                  */
    double loss;         /* drop probability per transmission, [0, 1)    */
    uint64_t queue;      /* transmit queue per direction, bytes; 0 = inf */
} scn_link_params;

typedef struct scn_node {
    uint32_t id;         /* user-visible id (explicit) or index          */
    scn_role role;
    double x, y;         /* metres; 0 when not positioned                */
} scn_node;

typedef struct scn_link {
    uint32_t a, b;       /* indices into scn_topology.nodes, a != b      */
    scn_link_params p;
} scn_link;

typedef enum scn_topo_kind {
    SCN_TOPO_EXPLICIT, SCN_TOPO_STAR, SCN_TOPO_TREE, SCN_TOPO_GRID,
    SCN_TOPO_RANDOM_GEOMETRIC
} scn_topo_kind;

/* How generators join their smart objects (topology.backbone_shape,
 * kmsim extension; default ring). */
typedef enum scn_backbone_shape {
    SCN_BACKBONE_RING,   /* SO i -- SO (i + 1) % K (one link for K = 2)  */
    SCN_BACKBONE_TREE    /* SO i -- SO (i - 1) / 2, i >= 1 (binary heap)  */
} scn_backbone_shape;

/* Where random_geometric puts its smart objects (topology.so_placement,
 * kmsim extension; default random). */
typedef enum scn_so_placement {
    SCN_SO_RANDOM,       /* uniform in the area, like the sources         */
    SCN_SO_GRID          /* centres of a near-square grid of K cells      */
} scn_so_placement;

typedef struct scn_topology {
    scn_topo_kind kind;
    scn_backbone_shape backbone_shape;  /* generators                    */
    uint32_t sources, smart_objects, subscribers;   /* generators */
    double area[2];      /* random_geometric: width, height (m)          */
    double range;        /* random_geometric: radio range (m)            */
    scn_so_placement so_placement;   /* random_geometric                 */
    uint32_t fanout;     /* tree: children per node (>= 1)               */
    uint32_t columns;    /* grid: columns; rows = ceil(sources/columns)  */
    double spacing;      /* grid: distance between neighbours (m)        */
    int require_connected;  /* 1: a disconnected topology is an error    */
    scn_link_params link;     /* default for radio/explicit links        */
    scn_link_params backbone; /* SO <-> SO links (generators)            */
    scn_link_params access;   /* SO <-> subscriber links (generators)    */
    /* explicit only (generators fill these at build time, not here): */
    size_t n_nodes;
    scn_node *nodes;
    size_t n_links;
    scn_link *links;
} scn_topology;

typedef struct scn_traffic {
    sim_dist interval;   /* time between messages of one source          */
    sim_dist size;       /* payload size (bytes)                         */
    sim_time start;      /* first message at start + one interval draw   */
    sim_dist register_at;/* when each source sends its registration      */
    sim_time register_retry; /* resend an unanswered registration after   */
                             /*   this long; 0 = never                     */
    uint32_t anonymous;      /* the last `anonymous` sources never         */
                             /*   register: their data go unprotected      */
    size_t n_topics;     /* topic names; "{id}" -> source index;         */
    char **topics;       /*   source i uses topics[i % n_topics]         */
} scn_traffic;

/* Where a value of the scenario was written, for the errors that can only
 * be found once the world is built (see scn_error_at). */
typedef struct scn_mark {
    unsigned line, col;      /* 1-based position in scenario.file         */
    int ovr;                 /* -1: the file; k >= 0: written by the k-th */
                             /*   --set override (reported as that flag)  */
} scn_mark;

/* smart_object.rekey_spread (kmsim extension, issue 22): the k-th of K
 * smart objects (node index order) starts each of its re-key rounds
 * floor(k * spread / K) after the time the protocol schedules it
 * (rekey_every, rekey_at), as a deployment would stagger them; 0 (the
 * default) starts every SO's round at that time, as the papers do.  It
 * applies alike to every protocol whose SOs run re-key rounds (dini,
 * dipietro, netkey, pairwise; E-G has none) and must be less than the
 * shortest time between two of a protocol's rounds (scn_map_rekey_rounds),
 * so the last SO's round k starts before the first SO's round k + 1. */
typedef struct scn_smart_object {
    sim_dist service;        /* FCFS service (processing) time           */
    uint32_t queue_capacity; /* requests in system; 0 = unlimited        */
    sim_dist publish;        /* publish delay (beta) before sending      */
    sim_time rekey_spread;   /* re-key round stagger; 0 = all at once    */
    scn_mark rekey_spread_mark; /* where it was written (its mapping     */
                             /*   when absent)                           */
} scn_smart_object;

typedef struct scn_subscribers {
    size_t n_filters;    /* MQTT topic filters; subscriber i takes       */
    char **filters;      /*   filters[i % n_filters]                     */
} scn_subscribers;

/* Crypto operation kinds, shared with crypto/ op counters. */
typedef enum scn_op {
    SCN_OP_SEAL, SCN_OP_OPEN, SCN_OP_HASH, SCN_OP_KDF, SCN_OP_XOR,
    SCN_OP_CONCAT, SCN_OP_COUNT
} scn_op;

/* Device class cost profile: simulated CPU time per operation. */
typedef struct scn_profile {
    sim_time op_fixed[SCN_OP_COUNT];     /* per call                     */
    double op_per_byte[SCN_OP_COUNT];    /* ns per byte                  */
} scn_profile;

/* Simulated CPU time of `op` on `bytes` under profile p, in ns, at most
 * SIM_TIME_MAX (never wraps). */
static inline sim_time scn_profile_cost(const scn_profile *p, scn_op op,
                                        size_t bytes)
{
    double pb = p->op_per_byte[op] * (double)bytes;

    if (!(pb < 9.2e18))
        return SIM_TIME_MAX;
    return sim_time_add_sat(p->op_fixed[op], (sim_time)llround(pb));
}

typedef enum scn_device { SCN_DEV_SENSOR, SCN_DEV_SO, SCN_DEV_GATEWAY,
                          SCN_DEV_COUNT } scn_device;

typedef enum scn_attack_kind {
    SCN_ATK_EAVESDROPPER, SCN_ATK_NODE_CAPTURE, SCN_ATK_GLOBAL_KEY_LEAK,
    SCN_ATK_SEED_SNIFFING, SCN_ATK_REPLAY, SCN_ATK_FORGERY,
    SCN_ATK_TAMPERING, SCN_ATK_INSIDER, SCN_ATK_FLOODING, SCN_ATK_COUNT
} scn_attack_kind;

typedef enum scn_where { SCN_WHERE_ALL, SCN_WHERE_LIST, SCN_WHERE_REGION,
                         SCN_WHERE_RANDOM } scn_where;

typedef struct scn_attacker {
    scn_attack_kind kind;
    scn_where where;         /* all | list of node ids | region | random  */
    size_t n_targets;        /* list: node ids (explicit ids or indices)  */
    uint32_t *targets;
    double region[4];        /* x0, y0, x1, y1 (m)                        */
    sim_dist at;             /* when it acts (time)                       */
    uint32_t count;          /* how many (nodes captured, msgs, ...)      */
    double rate;             /* per second (flooding, replay); 0 = n/a    */
    sim_time detection;      /* detection delay (key leak); 0 = n/a       */
    int coalition;           /* knowledge: 1 coalition (one base shared by */
                             /*   every coalition attacker), 0 separate   */
                             /*   (its own base; the default)             */
    scn_mark entry;          /* the entry (its mapping), for world errors */
} scn_attacker;


/* A source that sends its data to another smart object from `at` on (seed
 * 001: "a source begins to send its data to another NOS").  The loader
 * resolves ids to node indices and checks the entry itself; what needs the
 * built topology (roles, reachability, moving to the SO the source already
 * sends to) is checked when the world is built, and reported at the marks
 * kept here. */
typedef struct scn_move {
    sim_time at;             /* from this time on, 0 <= at < duration     */
    uint32_t node;           /* the source (node index)                   */
    uint32_t to;             /* the smart object it sends to (node index) */
    uint32_t ord;            /* position of the entry in the list         */
    scn_mark entry;          /* the entry (its mapping)                   */
    scn_mark node_mark;      /* its `node` value                          */
    scn_mark to_mark;        /* its `to` value                            */
} scn_move;

/* A --set override as given on the command line, kept for provenance:
 * every overridden path becomes a CSV column. */
typedef struct scn_override {
    char *path;
    char *value;
    char *label;             /* NULL: errors name "--set path=value";     */
                             /*   else they are prefixed with this (a     */
                             /*   sweep value: "file:line:col: sweep      */
                             /*   value path=value")                      */
    int si_col;              /* 1: its CSV column is followed by one of   */
                             /*   the value in SI units (sim_units_si):   */
                             /*   set from this value; a sweep sets it    */
                             /*   from all the values of the axis         */
} scn_override;

/* One axis of a sweep: a path and its values, each the YAML text of a
 * value, applied as the override path=value (protocol.name: the protocol
 * run, as scn_load_as).  From the `sweep:` section, a path maps to a list
 * of values, a single value, or a range:
 *
 *   sweep:
 *     topology.sources: [10, 20, 50]
 *     protocol.name: [dini, dipietro]
 *     traffic.size: {from: 64B, to: 1KiB, step: 64B}        # linear
 *     topology.sources: {from: 10, to: 10000, step: 10, scale: log}
 *     smart_object.service: ...  {from: .., to: .., points: 5, scale: log}
 *
 * A range's bounds and (linear) step carry one unit; a log step is a
 * factor > 1; `points` spaces N values evenly (on a log scale with
 * scale: log).  Values are written with 12 significant digits. */
typedef struct scn_axis {
    char *path;
    size_t n;
    char **values;
    scn_mark *marks;         /* per value: where it was written (a range: */
                             /*   the range); ovr -2: on the command line */
    int is_protocol;         /* path is protocol.name                     */
} scn_axis;

/* A protocol: opaque to the loader, which reaches it only through the
 * registry it is handed (scn_registry below); the world's layer defines
 * it (hooks.h, sim/net/) and proto.h lists the built-in ones. */
typedef struct scn_proto_ops scn_proto_ops;
/* A cursor on a mapping of options, read with the getters of scn_map.h. */
typedef struct scn_map scn_map;
typedef struct scn_registry scn_registry;  /* below */

/* `defences:` — which of the extra defence mechanisms (replay windows,
 * device keys for key delivery, source binding, capture reactions, sealed
 * seeds) every protocol runs.  as_published: only what its paper has;
 * hardened: the same kmsim extensions for every protocol where they
 * apply.  It sets the defaults of the protocols' mechanism options (each
 * can still be given per protocol).  Default as_published. */
enum { SCN_DEF_AS_PUBLISHED = 0, SCN_DEF_HARDENED = 1 };

typedef struct scenario {
    char *file;              /* path as given                             */
    char *name;
    uint64_t seed;
    sim_time duration;       /* simulated time per replication            */
    sim_time warmup;         /* excluded from steady-state metrics        */
    uint32_t replications;
    const scn_proto_ops *proto;  /* the protocol run: protocol.name, or   */
                                 /*   the one asked of scn_load_as        */
    void *proto_opts;        /* its options; owned, freed by opts_free    */
    const scn_registry *reg; /* the registry that parsed them (it frees  */
                             /*   them; scn_registry_set at load time)   */
    size_t n_protos;         /* >= 1                                      */
    const scn_proto_ops **protos; /* protocol.name, then the protocols    */
                             /*   of `protocols:` in file order (the      */
                             /*   default list of kmsim compare)          */
    int defences;            /* SCN_DEF_*: `defences:` (as_published)      */
    int aead;                /* cry_aead: `aead:` (chacha20poly1305), the */
                             /*   host cipher of every key store; never   */
                             /*   changes a simulated size or cost        */
    scn_topology topo;
    scn_traffic traffic;
    scn_smart_object so;
    scn_subscribers subs;
    scn_profile profiles[SCN_DEV_COUNT];
    size_t n_attackers;
    scn_attacker *attackers;
    size_t n_moves;          /* sorted by (at, ord): the order they run in */
    scn_move *moves;
    size_t n_overrides;
    scn_override *overrides;
    size_t n_axes;           /* the `sweep:` section, in file order       */
    scn_axis *axes;          /*   (kmsim run ignores it)                   */
    unsigned char hash[32];  /* BLAKE2b-256: file, overrides, profiles, */
                             /*   and the protocol run when it is not    */
                             /*   protocol.name (scn_load_as)            */
    /* Where the values behind the run-away estimates (estimate.h) were
     * written: the value, or its mapping when the key is absent. */
    scn_mark mk_nodes;       /* topology.sources, or topology.nodes       */
    scn_mark mk_interval;    /* traffic.interval                          */
    scn_mark mk_register_retry; /* traffic.register_retry                 */
    unsigned topo_line;      /* position of the mapping under `topology:` */
    unsigned topo_col;       /*   for errors found when building it       */
                             /*   (1-based; 1:1 if --set created it)      */
    scn_mark nodes_mark;     /* where the node count was written: `nodes` */
                             /*   (explicit), else the first of sources,  */
                             /*   smart_objects, subscribers a --set      */
                             /*   wrote, else `sources` (scn_mark_cause)  */
} scenario;

/* ---- Loading ---------------------------------------------------------- *
 * The protocol.  `protocol:` names the protocol a run uses and holds its
 * options; the optional top-level `protocols:` maps the names of other
 * protocols to their options (the same keys as under `protocol:`, without
 * `name`), so one file can be run under each of them (kmsim compare):
 *
 *   protocol: {name: dini, d: 4, rekey_every: 60s}
 *   protocols:
 *     dipietro: {seed_bytes: 8, rekey_every: 60s}
 *     eg: {pool: 1000, ring: 50}
 *     none:                     # null or {}: the protocol's defaults
 *
 * Every block is validated at load, whichever protocol runs: an unknown
 * protocol name, a block for protocol.name itself (its options belong
 * under `protocol:`, one source of truth) and a bad option inside a block
 * are errors at their file:line:column.  --set reaches the blocks too
 * (--set protocols.eg.ring=20). */

/* Loads and validates `path` with `n` overrides "a.b.c=value" (the value is
 * parsed as YAML flow, so "[1, 2]" and "exp(5s)" both work).  On success
 * returns a scenario the caller frees with scn_free().  On failure returns
 * NULL and writes one line "file:line:column: message" (or
 * "--set a.b=v: message") to err.  Never aborts on bad input. */
scenario *scn_load(const char *path, const char *const *overrides, size_t n,
                   char *err, size_t errlen);
/* Same, from a memory buffer; `name` is used in messages. */
scenario *scn_load_buffer(const char *name, const char *buf, size_t len,
                          const char *const *overrides, size_t n,
                          char *err, size_t errlen);
/* Like scn_load / scn_load_buffer, but the scenario runs protocol
 * `protocol` (a registered name; NULL: protocol.name, as scn_load) with
 * the options of `protocol:` when protocol.name is that protocol, else
 * those of its `protocols:` block, else its defaults (as if its block
 * were empty).  Everything else, the name included, is as written.  The
 * hash also covers the protocol when it is not protocol.name; loading as
 * protocol.name gives exactly what scn_load gives, hash included.  The
 * file is validated as a whole either way.  An unknown `protocol` is an
 * error "file: unknown protocol 'x' (known: ...)". */
scenario *scn_load_as(const char *path, const char *const *overrides,
                      size_t n, const char *protocol, char *err,
                      size_t errlen);
scenario *scn_load_buffer_as(const char *name, const char *buf, size_t len,
                             const char *const *overrides, size_t n,
                             const char *protocol, char *err,
                             size_t errlen);
/* The general entry point: overrides[k] as "path=value"; labels NULL or
 * labels[k] NULL for a --set, else the prefix of that override's errors
 * (kmsim sweep names the sweep value it came from). */
typedef struct scn_load_args {
    const char *const *overrides;
    const char *const *labels;
    size_t n;
    const char *protocol;    /* NULL: protocol.name                       */
} scn_load_args;
scenario *scn_load_args_file(const char *path, const scn_load_args *a,
                             char *err, size_t errlen);
void scn_free(scenario *s);  /* NULL is a no-op */

/* Parses the argument of --vary, "path=v1,v2,..." (values split at
 * commas outside brackets, parentheses and quotes) or "path=[...]" or
 * "path={from: .., to: .., ...}" (as in the `sweep:` section), into *ax.
 * Returns 0, or -1 with one line "--vary ARG: message" in err. */
int scn_axis_parse(const char *arg, scn_axis *ax, char *err, size_t errlen);
/* Deep copy (for a caller that keeps axes beyond their scenario). */
void scn_axis_copy(scn_axis *dst, const scn_axis *src);
void scn_axis_free(scn_axis *ax);   /* frees the members, not ax */

/* Writes one line "file:line:column: message" (or "--set path=value:
 * message" when the marked value came from an override), formatted like
 * the loader's own errors, into err: for errors found after loading, when
 * the world is built.  err may be NULL (errlen 0). */
void scn_error_at(const scenario *s, const scn_mark *m, char *err,
                  size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Which of two values an error that compares them points at (issue 20):
 * `opt` (a protocol option) unless only `topo` (e.g. the scenario's
 * nodes_mark) was written by a --set override — the value just changed is
 * the one that made a valid scenario invalid. */
const scn_mark *scn_mark_cause(const scn_mark *opt, const scn_mark *topo);

/* ---- Re-key round stagger (smart_object.rekey_spread) -----------------
 * The offset of the so_ord-th of n_so smart objects:
 * floor(so_ord * spread / n_so), exact in integers, in [0, spread) for
 * so_ord < n_so (0 when spread or n_so is 0). */
sim_time scn_rekey_offset(sim_time spread, uint32_t so_ord, uint32_t n_so);
/* The shortest positive time between two successive rounds of the
 * schedule {k * every : k >= 1} (every > 0) merged with the n_at times
 * at (any order; equal times count as one round), or SIM_TIME_MAX when it
 * has fewer than two distinct rounds. */
sim_time scn_rekey_min_gap(sim_time every, const sim_time *at, size_t n_at);

/* ---- The protocol registry the loader is handed ------------------------
 * The loader finds protocols by name and has their options parsed through
 * this interface; it never includes the protocols' layer.  The registry
 * (sim/proto/proto.c: sim_proto_registry, set by sim_proto_use) is handed
 * to the loader once per process, before any load, with scn_registry_set.
 * A protocol is opaque here: scn_proto_ops is defined by the world's
 * layer (hooks.h, sim/net/). */
struct scn_registry {
    /* The protocol named `name`, or NULL when none is. */
    const scn_proto_ops *(*find)(const char *name);
    /* Every name find knows, "none, dini, ...", for messages. */
    const char *(*names)(void);
    /* The protocol.name of ops (non-NULL). */
    const char *(*name)(const scn_proto_ops *ops);
    /* Parses the options of ops on the cursor m into *opts (NULL for a
     * protocol without options): 0, or -1 with the error recorded through
     * m.  The loader calls scn_map_done on m afterwards. */
    int (*parse_opts)(const scn_proto_ops *ops, scn_map *m, void **opts);
    /* Frees what parse_opts returned (ops or opts NULL: no-op). */
    void (*free_opts)(const scn_proto_ops *ops, void *opts);
};

/* Hands the loader its registry (r must outlive every scenario loaded
 * with it; NULL takes it away).  Call it before any scn_load* or
 * scn_axis_parse, not concurrently with them: it is read-only afterwards,
 * so threads and forked workers share it.  A load (or --vary parse)
 * without a registry fails with one line "NAME: no protocol registry
 * (scn_registry_set not called)". */
void scn_registry_set(const scn_registry *r);

/* Parses `text`, a YAML mapping such as "{d: 8, rekey_every: 10min}", as
 * the options of protocol `ops` through registry r, exactly as the loader
 * does under `protocol:` (a `name` key is allowed and ignored; messages
 * name `name`).  For protocol unit tests: `ops` need not be one r finds
 * (proto.h: sim_proto_parse_opts_buffer uses the built-in registry).
 * Returns 0 with *opts owned by the caller (free with r->free_opts), or
 * -1 with one line in err and *opts NULL. */
int scn_opts_parse_buffer(const scn_registry *r, const scn_proto_ops *ops,
                          const char *name, const char *text, void **opts,
                          char *err, size_t errlen);

#endif
