/* eg.h — inspection of the Eschenauer–Gligor protocol's state (random key
 * predistribution, and Chan–Perrig–Song's q-composite variant), for tests
 * and attacker models: rings, links and their keys, revocation of a
 * captured node's ring or of one pool key, and the labels its attacker
 * hooks give what they put in the adversary's knowledge base (kb.h).
 * Valid while the world runs the eg protocol; for any other world or an
 * unknown node every function returns 0, EG_LINK_NONE or -1. */
#ifndef KMSIM_EG_H
#define KMSIM_EG_H

#include <stdint.h>
#include "metrics.h"

struct sim_world;

/* State of a link as one end sees it. */
enum {
    EG_LINK_NONE,    /* no key (not discovered yet, < q shared keys, lost) */
    EG_LINK_KEYED,   /* key installed, the neighbour's proof not yet seen  */
    EG_LINK_OK,      /* secured: the neighbour proved it holds the key     */
    EG_LINK_DEAD     /* the neighbour's ring was revoked (captured)        */
};
/* Where a link key came from. */
enum { EG_KIND_NONE, EG_KIND_DIRECT, EG_KIND_PATH };

/* Labels in the adversary's knowledge base (the atk_* hooks of
 * sim_proto_eg):
 *   ATK_MATERIAL  pool key `id`: label id, aux id (never tried: link keys
 *                   are derived from it);
 *                 the link key (master) of the link between a and b, in
 *                   either order: EG_ATK_LINK(a, b), aux EG_KIND_DIRECT or
 *                   EG_KIND_PATH (a captured end's, a path key read in
 *                   transit, a q-composite master the attacker hashed);
 *   ATK_KEY       the directional key that seals what `from` sends to its
 *                   neighbour `to` (data hops, LINK_OK, PATH_KEY,
 *                   PATH_ACK): EG_ATK_DIR(from, to), the key name those
 *                   messages carry in their header;
 *                 a node's device key (shared with its home SO, seals
 *                   REVOKE): EG_ATK_DEV(node), its header name too. */
#define EG_ATK_DIR(from, to) \
    (4ull << 60 | (uint64_t)(from) << 32 | (uint64_t)(to))
#define EG_ATK_DEV(node) (2ull << 60 | (uint64_t)(node))
#define EG_ATK_LINK(a, b) \
    (3ull << 60 | (uint64_t)((a) < (b) ? (a) : (b)) << 32 | \
     (uint64_t)((a) < (b) ? (b) : (a)))

/* The pool key ids node holds now, ascending (up to n into out); returns
 * how many it holds. */
uint32_t eg_ring(const struct sim_world *w, uint32_t node, uint32_t *out,
                 uint32_t n);
/* 1 if node holds pool key `id` (its value, not just the id). */
int eg_holds(const struct sim_world *w, uint32_t node, uint32_t id);
/* a's view of its link to neighbour b (EG_LINK_*), and its origin. */
int eg_link_state(const struct sim_world *w, uint32_t a, uint32_t b);
int eg_link_kind(const struct sim_world *w, uint32_t a, uint32_t b);
/* 1 if a and b hold matching directional keys for their link (a's sending
 * key equals b's receiving key and the other way round). */
int eg_link_same_key(const struct sim_world *w, uint32_t a, uint32_t b);
/* The shared ids a's link key to b was built from (direct links). */
uint32_t eg_link_shared(const struct sim_world *w, uint32_t a, uint32_t b,
                        uint32_t *out, uint32_t n);
/* Intermediate nodes of the path a path key between a and b travelled
 * (as recorded at a), up to n; returns how many. */
uint32_t eg_link_via(const struct sim_world *w, uint32_t a, uint32_t b,
                     uint32_t *out, uint32_t n);

/* Revokes node's ring now, as if it had been captured and detected: the
 * home SO of every other node tells it (unicast, sealed under their device
 * key) the captured ring's key ids; holders wipe them, drop the links
 * whose keys used them (and the captured node's links, and path keys that
 * travelled through it) and set them up again.  Returns the number of
 * nodes told, or -1 if the world does not run eg, node is out of range or
 * already revoked. */
int eg_revoke(struct sim_world *w, uint32_t node);
/* Revokes pool key `id` everywhere now (a leaked key, detected): the home
 * SO of every node holding it tells that node (REVOKE as above, naming no
 * captured node); holders wipe it, and the links whose key used it (q = 1:
 * built from it; q >= 2: it is one of the shared ids) are set up again
 * from the remaining shared ids or by path keys.  Returns the number of
 * nodes told (0 when no node holds it any more), or -1 if the world does
 * not run eg or id is not a pool id. */
int eg_revoke_key(struct sim_world *w, uint32_t id);
/* The path-search ids node remembers now (taken, their time-out not yet
 * passed: see "Path keys" in eg_setup.c); *slots (if not NULL) gets the
 * size of the table holding them (remembered and expired ids, and free
 * slots). */
uint32_t eg_pk_seen(const struct sim_world *w, uint32_t node,
                    uint32_t *slots);
/* 1 once node's ring has been revoked. */
int eg_captured(const struct sim_world *w, uint32_t node);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_eg[];

#endif
