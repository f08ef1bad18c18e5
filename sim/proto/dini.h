/* dini.h — inspection of the Dini et al. protocol's state, for tests and
 * reports: connection tables, keys held, channels.  Valid while the world
 * runs the dini protocol; for nodes it knows nothing about every function
 * returns DINI_NO_KEY, 0 or DINI_CH_NONE. */
#ifndef KMSIM_DINI_H
#define KMSIM_DINI_H

#include <stddef.h>
#include <stdint.h>
#include "cry_key.h"
#include "metrics.h"

struct sim_world;

/* Channel states of a source towards its home SO. */
enum { DINI_CH_NONE, DINI_CH_WAIT_KEYS, DINI_CH_PAIRING, DINI_CH_SEARCHING,
       DINI_CH_READY, DINI_CH_DISCONNECTED };

/* "No key" (0 is a valid local name: <K_node 0, K_incr 0>). */
#define DINI_NO_KEY UINT64_MAX

/* Name of a global key: SO ordinal and order number in its pool. */
uint64_t dini_global_name(uint32_t so_ordinal, uint32_t order);
/* Name of a local key <K_node, K_incr> with d bits each. */
uint64_t dini_local_name(const struct sim_world *w, uint32_t node,
                         uint32_t incr);

/* The connection table CT(node, neighbour) is a list of local key names
 * (seed 001's CT_{N,S}), newest first.  dini_ct: the newest one node still
 * holds (the one its lookups pick), or DINI_NO_KEY.  dini_ct_list: up to n
 * names, newest first, held or not; returns how many the list has. */
uint64_t dini_ct(const struct sim_world *w, uint32_t node, uint32_t nb);
uint32_t dini_ct_list(const struct sim_world *w, uint32_t node, uint32_t nb,
                      uint64_t *out, uint32_t n);
/* 1 if node holds a key of that name (local, global). */
int dini_holds(const struct sim_world *w, uint32_t node, uint64_t name);
/* 1 if a and b both hold `name` with the same value (constant time). */
int dini_same_key(const struct sim_world *w, uint32_t a, uint32_t b,
                  uint64_t name);
/* Records of Dini's discovery and set-up state, for tests that memory is
 * bounded by the work under way: "search" (search ids remembered, running
 * requests and the answers they await), "prop" (propagation slots ever
 * allocated), "chan" (channel records), "cand" (candidate paths held),
 * "relay" (keys relays hold unconfirmed); 0 for another name. */
size_t dini_state_size(const struct sim_world *w, const char *what);
/* Local keys held (GT + LT/KT) and valid global keys held. */
uint32_t dini_n_local(const struct sim_world *w, uint32_t node);
uint32_t dini_n_global(const struct sim_world *w, uint32_t node);
/* For tests: 0 if every node's key counters (an SO's own-pool keys held,
 * which the storage and keys hooks read, local keys, replaced values
 * kept) equal a recount of its key table and every per-node table (keys,
 * route, rhops, ct, the search tables) passes kmapn_sane (counts, probe
 * chains, filters), -1 otherwise (or no Dini run).  Costs a scan of every
 * table: never on a hot path. */
int dini_check_counts(const struct sim_world *w);
/* The global key names of a source's ring (up to n), returns the count. */
uint32_t dini_ring(const struct sim_world *w, uint32_t node, uint64_t *out,
                   uint32_t n);
/* Channel of a source: state, key name (DINI_NO_KEY unless pairing or
 * ready), number of hops (1 = direct). */
int dini_channel_state(const struct sim_world *w, uint32_t source);
uint64_t dini_channel_key(const struct sim_world *w, uint32_t source);
uint32_t dini_channel_hops(const struct sim_world *w, uint32_t source);

/* Starts a key replacement round at SO `so` now (on demand, as on
 * detection of a malicious node): every live channel ending at it gets a
 * new key value.  Returns the change messages sent, -1 if `so` is not an
 * SO of a dini run. */
int dini_rekey(struct sim_world *w, uint32_t so);
/* The previous value of a replaced local key still kept by node (an SO
 * until every holder acked, a holder for previous_key_for). */
int dini_holds_previous(const struct sim_world *w, uint32_t node,
                        uint64_t name);

/* The accounting view of a message body (after its type byte) of the
 * message type named `type` ("keys", "offer", "rekey", ... as in
 * dini.msgs.<type>): *accounted gets its size with key names and values
 * at the scenario's key_format widths, path nodes at k_node_bytes and
 * every other field (type byte included) at its own bytes; *key_fields
 * the names and values alone.  Returns 0, or -1 if the type is unknown
 * or the body is not of its layout (then the raw size and 0). */
int dini_packet_account(const struct sim_world *w, const char *type,
                        const unsigned char *body, size_t len,
                        uint32_t *accounted, uint32_t *key_fields);

/* For tests of the attacker hooks: the key store holding node's keys (one
 * per partition when the world was split before the protocol's init,
 * --threads 2), the handle of the key `name` that node holds (0 if none;
 * valid until the protocol replaces or wipes it), and the name of a
 * node's device key (the header name of the messages an SO seals under
 * it). */
const cry_keystore *dini_keystore(const struct sim_world *w, uint32_t node);
cry_key dini_key(const struct sim_world *w, uint32_t node, uint64_t name);
uint64_t dini_device_name(uint32_t node);
/* For tests: node's crypto operation counters, or NULL. */
const cry_ops *dini_node_ops(const struct sim_world *w, uint32_t node);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_dini[];

#endif
