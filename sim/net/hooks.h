/* hooks.h — the key-management protocol interface: one vtable per
 * scheme (none, Dini, Di Pietro, Eschenauer–Gligor, network key, pairwise
 * keys), so any scenario runs any of them by changing protocol.name.  The
 * world calls these hooks and declares them here, in its own layer; the
 * protocols in sim/proto/ implement them and proto.h lists them.  A
 * protocol keeps its global state behind `ps` and per-node state in one
 * contiguous array of node_state_size bytes per node owned by the world. */
#ifndef KMSIM_HOOKS_H
#define KMSIM_HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include "scenario.h"

struct sim_world;
struct sim_pkt;
struct ana_metrics;
struct sim_estimate;

struct scn_proto_ops {
    const char *name;            /* protocol.name in scenarios            */
    const char *summary;         /* one line for --help                   */

    /* Options under `protocol:`; NULL when the protocol takes none. */
    int (*opts_parse)(scn_map *m, void **opts);
    void (*opts_free)(void *opts);

    size_t node_state_size;      /* bytes of per-node state (may be 0)    */
    /* 1: runs on two threads (--threads 2, sim/THREADS.md): every piece of
     * state an event writes belongs to one node or to the partition of
     * the node it is for (sim_world_part_of), nothing that reaches a
     * message, key material or a result depends on how the partitions'
     * events interleave, and the metric registry and scheduler are taken
     * from the world at each use, never kept.  0: refused with a clear
     * error. */
    int threads_ok;

    /* Whole-run state: created after the world is built, before any event;
     * returns 0 or -1 with a message in err (reported at the topology),
     * or -2 with err already one located line (scn_error_at at the option
     * that caused it: its line:column, or the --set that wrote it). */
    int (*init)(struct sim_world *w, void **ps, char *err, size_t errlen);
    void (*deinit)(struct sim_world *w, void *ps);

    /* A source's registration reached its SO (SO side) and its answer
     * reached the source (source side).  The protocol hands out keys here. */
    void (*on_register_so)(struct sim_world *w, void *ps, uint32_t so,
                           uint32_t source);
    void (*on_register_source)(struct sim_world *w, void *ps,
                               uint32_t source, uint32_t so);
    /* A source moved (scenario `moves:`): from now on it sends to new_so
     * instead of old_so (seed 001: KT serves the source "sends its data to
     * another NOS").  Called at the move's time, after the world has
     * switched the source's SO (sim_world_home_so already returns new_so),
     * whether or not the source has registered yet; it does not register
     * again.  Data it creates from now on, and data it held waiting for
     * its registration, go to new_so; packets already on their way (and
     * any the protocol deferred) keep their destination.  NULL: nothing
     * to do (the `none` protocol). */
    void (*on_move)(struct sim_world *w, void *ps, uint32_t source,
                    uint32_t old_so, uint32_t new_so);

    /* Protect an outgoing data packet from src towards dst in place
     * (payload already written): a source's data for its SO, or an SO's
     * publish to a subscriber (src the SO, dst the subscriber).  Returns 0 to send now, 1 when the
     * protocol has deferred it (pairing under way: it will call
     * sim_world_send later), -1 to drop it (counted). */
    int (*protect)(struct sim_world *w, void *ps, uint32_t src, uint32_t dst,
                   struct sim_pkt *p);
    /* Unprotect a data packet delivered to `node` in place (at an SO; at
     * a subscriber only a publish the protocol sealed).  Returns 0 if
     * accepted, -1 if it must be dropped (counted, never trusted). */
    int (*unprotect)(struct sim_world *w, void *ps, uint32_t node,
                     struct sim_pkt *p);
    /* Next hop for p at `at` (its origin or a forwarder): a neighbour of
     * `at`, or SIM_NONE for the world's shortest path.  NULL: always the
     * shortest path.  Channels use it to keep data on the nodes that hold
     * the channel key. */
    uint32_t (*route)(struct sim_world *w, void *ps, uint32_t at,
                      const struct sim_pkt *p);
    /* p passes through `node` (not its destination): the protocol may open
     * and re-seal its control part.  0 to forward now, 1 when the
     * protocol took the packet and sends it later (after its processing
     * time), -1 to drop it (counted as rejected).  NULL: forwarded as
     * is. */
    int (*forward)(struct sim_world *w, void *ps, uint32_t node,
                   struct sim_pkt *p);
    /* A protocol (control) packet arrived at `node`; the protocol owns the
     * packet's fate (forward, answer, free). */
    void (*on_control)(struct sim_world *w, void *ps, uint32_t node,
                       struct sim_pkt *p);

    /* Bytes of key material stored at node (storage overhead), in the
     * scenario's key field sizes. */
    uint64_t (*storage)(struct sim_world *w, void *ps, uint32_t node);
    /* Number of secret values node holds now (storage.keys_per_node),
     * counted from the same tables `storage` walks, each value once (a
     * key, a seed or chain position, a ring key, a kept previous value);
     * each protocol says in its comment what it counts.  Set exactly when
     * `storage` is (both NULL: the protocol stores no keys). */
    uint64_t (*keys)(struct sim_world *w, void *ps, uint32_t node);
    /* 1: the protocol calls sim_world_storage_changed(w, v) whenever what
     * storage(v) returns may have changed (in any event, whichever node
     * runs it), so the world, which samples v's storage after each of v's
     * events, calls storage(v) only when v was marked since its last
     * sample (results are the same: the sample repeats the level it
     * holds).  0: storage(v) after every event of v.  The test build
     * (KMSIM_LOCALITY) calls storage(v) for unmarked nodes too and aborts
     * on a level that changed unmarked. */
    int storage_marks;
    /* End of run: protocol-specific metrics into the run's registry. */
    void (*report)(struct sim_world *w, void *ps, struct ana_metrics *m);

    /* (The adversary's questions to a protocol are not the world's: they
     * live in the attack layer, sim/attack/atk_hooks.h.) */

    /* Before any world is built (estimate.h; issue 20, kmsim extension):
     * adds the protocol's periodic activities (re-keying) and its state
     * (bytes per node, key pools) to e, from sc->proto_opts, at the marks
     * of the options that set them.  NULL: nothing beyond the world's. */
    void (*estimate)(const scenario *sc, struct sim_estimate *e);
};

#endif
