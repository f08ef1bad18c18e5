/* dipietro.h — inspection of the Di Pietro et al. (KeEs) protocol's state,
 * for tests and the attacker models: session counters, chain positions and
 * keys held.  Valid while the world runs the dipietro protocol; otherwise
 * (or for a node outside the group) every function returns 0 / -1. */
#ifndef KMSIM_DIPIETRO_H
#define KMSIM_DIPIETRO_H

#include <stddef.h>
#include <stdint.h>
#include "cry_key.h"
#include "metrics.h"

struct sim_world;

/* The group a node's data to `so` are sealed for: 0 in the central
 * variant, the SO's ordinal in the distributed one. */
uint32_t dipietro_group_of(const struct sim_world *w, uint32_t so);
/* The session node holds for group g (from 1), or 0 if none. */
uint32_t dipietro_session(const struct sim_world *w, uint32_t node,
                          uint32_t g);
/* 1 if a and b hold the same current key for g (constant time). */
int dipietro_same_key(const struct sim_world *w, uint32_t a, uint32_t b,
                      uint32_t g);
/* Copies node's current (which = 0) or previous (which = 1) key for g,
 * the chain positions a_i (2), b_i (3), into out (q/8 bytes, the caller
 * wipes it); returns the number of bytes, or 0 if not held.  For tests
 * and the attacker models (a captured node's key material). */
size_t dipietro_export(const struct sim_world *w, uint32_t node, uint32_t g,
                       int which, unsigned char out[32]);
/* For tests of the key hygiene: the protocol's key store, and the handle
 * of what dipietro_export would copy (0 if not held; valid until the
 * protocol replaces or drops it). */
const cry_keystore *dipietro_keystore(const struct sim_world *w);
cry_key dipietro_key(const struct sim_world *w, uint32_t node, uint32_t g,
                     int which);
/* Key i of the chains from the seeds (a_0, b_0), q/8 bytes each:
 * k_i = H^i(a_0) XOR G^i(b_0), H and G truncated to q bits — what an
 * eavesdropper who sniffed the seeds computes.  For tests and attackers. */
void dipietro_chain_key(unsigned char *k, const unsigned char *a0,
                        const unsigned char *b0, size_t qbytes,
                        uint32_t i);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_dipietro[];

#endif
