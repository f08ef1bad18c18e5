/* baseline.h — inspection of the two naive baselines of seed 000 §1, for
 * tests and attackers: `netkey` (one network-wide key) and `pairwise`
 * (a distinct predistributed key for every pair of nodes).  Valid while
 * the world runs that protocol; otherwise every function returns 0, -1
 * or NULL as it says.  Handles (cry_key) belong to the protocol's key
 * store (baseline_keystore) and live until the key is replaced and its
 * kept previous value dropped, or the world is freed. */
#ifndef KMSIM_BASELINE_H
#define KMSIM_BASELINE_H

#include <stddef.h>
#include <stdint.h>
#include "cry_key.h"
#include "metrics.h"

struct sim_world;

#define BASELINE_NET UINT32_MAX   /* "peer" of the network-wide key */

/* A key a node holds (what a node capture hands the attacker). */
typedef struct baseline_key {
    uint32_t peer;           /* pairwise: the other holder; netkey:       */
                             /*   BASELINE_NET                             */
    uint32_t version;        /* 0 = predistributed, k = k-th replacement   */
    uint8_t previous;        /* a replaced value still kept                */
    cry_key handle;          /* the node's handle, 0 when the value is     */
                             /*   predistributed but not materialised yet  */
} baseline_key;

/* The key store of a netkey or pairwise run, NULL otherwise. */
const cry_keystore *baseline_keystore(const struct sim_world *w);
/* 1 if the two handles of that store hold the same value (constant
 * time), 0 otherwise (or when either is 0). */
int baseline_key_equal(const struct sim_world *w, cry_key a, cry_key b);

/* ---- netkey ---- */

/* The newest version of the network key that node holds, or UINT32_MAX
 * if this is not a netkey run. */
uint32_t netkey_version(const struct sim_world *w, uint32_t node);
/* node's handle of version `version` (its current or kept previous
 * value), or 0. */
cry_key netkey_key_of(const struct sim_world *w, uint32_t node,
                      uint32_t version);
/* Starts a replacement round now (as rekey_at does); returns the number
 * of nodes it will reach, 0 if a round is already under way, -1 if this
 * is not a netkey run or there is no smart object. */
int netkey_rekey(struct sim_world *w);
/* The keys node holds (at most max into out; out may be NULL when max is
 * 0); returns how many it holds. */
size_t netkey_capture(const struct sim_world *w, uint32_t node,
                      baseline_key *out, size_t max);

/* ---- pairwise ---- */

/* a's handle of its current key with b, or 0 if not materialised yet (a
 * pure look-up: it never materialises). */
cry_key pairwise_key(const struct sim_world *w, uint32_t a, uint32_t b);
/* The version of the key a holds for the pair (a, b) (0 =
 * predistributed), or UINT32_MAX if this is not a pairwise run. */
uint32_t pairwise_version(const struct sim_world *w, uint32_t a, uint32_t b);
/* 1 if a and b both hold their current pair key materialised, with the
 * same value (constant time); else 0. */
int pairwise_same_key(const struct sim_world *w, uint32_t a, uint32_t b);
/* Key values materialised now (every holder's handle, kept previous
 * values included), or 0. */
size_t pairwise_live(const struct sim_world *w);
/* Starts smart object so's replacement round now; returns the REKEY
 * messages sent, 0 if a round of it is under way, -1 if so is not an SO
 * of a pairwise run. */
int pairwise_rekey(struct sim_world *w, uint32_t so);
/* The keys node holds: one per other node (n - 1, materialised or not)
 * plus kept previous values (at most max into out); returns the count. */
size_t pairwise_capture(const struct sim_world *w, uint32_t node,
                        baseline_key *out, size_t max);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_netkey[];
extern const ana_metric_doc sim_mdoc_pairwise[];

#endif
