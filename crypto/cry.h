/* cry.h — the crypto layer: the only code in kmsim that calls libsodium.
 * This first part holds what the engine needs: library initialisation,
 * BLAKE2b hashing (one-shot and streaming, for scenario hashes and run
 * fingerprints) and derivation of independent sub-seeds from a run seed
 * (for RNG streams and key material). */
#ifndef KMSIM_CRY_H
#define KMSIM_CRY_H

#include <stddef.h>
#include <stdint.h>

#define CRY_HASH_BYTES 32u          /* BLAKE2b-256 */

/* Initialises libsodium once per process.  Returns 0, or -1 if the
 * library cannot be initialised.  Safe to call repeatedly. */
int cry_init(void) __attribute__((warn_unused_result));

/* out = BLAKE2b-256(in). */
void cry_hash(unsigned char out[CRY_HASH_BYTES], const void *in, size_t len);

/* Streaming BLAKE2b-256.  The state is a plain aligned buffer the caller
 * owns (no allocation); cry_hash_final() wipes it. */
typedef struct cry_hash_state {
    _Alignas(64) unsigned char opaque[384];
} cry_hash_state;

void cry_hash_init(cry_hash_state *st);
void cry_hash_update(cry_hash_state *st, const void *in, size_t len);
void cry_hash_final(cry_hash_state *st, unsigned char out[CRY_HASH_BYTES]);

/* Derives `outlen` (1..64) bytes for the sub-stream (label, index) of a
 * run seed: BLAKE2b keyed by the seed, personalised by the label
 * ("topology", "traffic", ...; at most 16 bytes), over the index.
 * Different (label, index) pairs give independent outputs. */
void cry_derive(unsigned char *out, size_t outlen, uint64_t seed,
                const char *label, uint64_t index);

/* Wipes n bytes at p in a way the compiler cannot drop (sodium_memzero):
 * every secret outside crypto/ is wiped through this. */
void cry_wipe(void *p, size_t n);
/* 1 when the n bytes at p are all zero, in time independent of where a
 * non-zero byte is (sodium_is_zero); 0 otherwise. */
int cry_is_zero(const void *p, size_t n);

/* Lower-case hex of `len` bytes into out (2*len+1 bytes). */
void cry_hex(char *out, const unsigned char *in, size_t len);

#endif
