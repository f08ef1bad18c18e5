/* rng.h — independent random streams, one per purpose and per index (node,
 * link, SO, attacker), all derived from the scenario seed.  A stream is a
 * GSL generator (taus2, L'Ecuyer's maximally equidistributed combined
 * Tausworthe, period ~2^88) whose full 88-bit state is set from
 * BLAKE2b(seed, purpose, index), so streams never share a seed the way
 * 32-bit gsl_rng_set seeds would.  Nothing is read from the environment:
 * gsl_rng_env_setup() and GSL_RNG_SEED are never used. */
#ifndef KMSIM_RNG_H
#define KMSIM_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

typedef enum sim_stream {
    SIM_RNG_TOPOLOGY,    /* topology generators (index 0)                 */
    SIM_RNG_TRAFFIC,     /* per source: message times, sizes, topics      */
    SIM_RNG_NODE,        /* per node: anything a node decides itself      */
    SIM_RNG_LINK,        /* per link: losses                              */
    SIM_RNG_SERVICE,     /* per SO (ordinal): service times               */
    SIM_RNG_PUBLISH,     /* per SO (ordinal): publish delays              */
    SIM_RNG_PROTOCOL,    /* per node: protocol choices                    */
    SIM_RNG_ATTACKER,    /* per attacker                                  */
    SIM_RNG_COUNT
} sim_stream;

typedef struct sim_rng sim_rng;   /* opaque: the tree of streams of a run */

sim_rng *sim_rng_new(uint64_t seed);
void sim_rng_free(sim_rng *r);    /* NULL is a no-op; frees every stream */

/* The stream (purpose, index), created on first use: its draws depend only
 * on (seed, purpose, index), never on which other streams were used or in
 * what order.  The pointer stays valid until sim_rng_free and belongs to
 * r: never pass it to gsl_rng_free.  Cost of a stream that exists: one
 * 4-byte slot and one 64-byte record read. */
gsl_rng *sim_rng_get(sim_rng *r, sim_stream purpose, uint64_t index);

/* A hint: starts fetching stream (purpose, index)'s record if it exists
 * (reads its slot); creates nothing, changes nothing. */
void sim_rng_prefetch(const sim_rng *r, sim_stream purpose, uint64_t index);

/* Creates streams (purpose, 0 .. n - 1) now (their draws are what they
 * would be if created later).  For --threads 2 (THREADS.md): every
 * stream the events use exists before the run, so that sim_rng_get only
 * reads the tables while two threads draw from their own streams. */
void sim_rng_prepare(sim_rng *r, sim_stream purpose, uint64_t n);
/* on: from now on sim_rng_get of a stream that does not exist yet prints
 * the stream and aborts (a programming error, never bad input); 0: as
 * before. */
void sim_rng_freeze(sim_rng *r, int on);

uint64_t sim_rng_seed(const sim_rng *r);
const char *sim_rng_purpose_name(sim_stream purpose);

#endif
