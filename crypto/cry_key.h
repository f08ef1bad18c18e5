/* cry_key.h — keys and the primitives the protocols use: a key store
 * whose key values live in a few guarded libsodium regions (never one
 * sodium_malloc per key), deterministic key material from the run seed,
 * AEAD (ChaCha20-Poly1305-IETF, or AES-256-GCM where the CPU has AES-NI:
 * one cipher per store, same key, nonce and tag sizes) with counter
 * nonces that can never repeat, the one-way functions H and G, the key conversion f (a keyed
 * KDF), constant-time comparison, and operation counters.  Key values
 * never leave this module except through cry_key_export() into a buffer
 * the caller wipes (to put a key inside a sealed message). */
#ifndef KMSIM_CRY_KEY_H
#define KMSIM_CRY_KEY_H

#include <stddef.h>
#include <stdint.h>

#define CRY_KEY_BYTES   32u      /* every key value                      */
#define CRY_TAG_BYTES   16u      /* AEAD tag                             */
#define CRY_NONCE_BYTES 12u      /* sender id (4, LE) || counter (8, LE) */
#define CRY_HG_BYTES    32u      /* output of H and G                    */

/* Operation kinds counted per node (same order as scn_op in sim/). */
typedef enum cry_op {
    CRY_OP_SEAL, CRY_OP_OPEN, CRY_OP_HASH, CRY_OP_KDF, CRY_OP_XOR,
    CRY_OP_CONCAT, CRY_OP_COUNT
} cry_op;

/* Optional per-node counters: ops[kind] += 1 per call (NULL: not
 * counted); bytes[kind] += bytes processed (NULL: not counted). */
typedef struct cry_ops {
    uint64_t n[CRY_OP_COUNT];
    uint64_t bytes[CRY_OP_COUNT];
} cry_ops;

/* The AEAD a store seals and opens with (scenario option `aead:`, kmsim
 * extension, issue 22).  Both take a 32-byte key and a 12-byte nonce and
 * add a 16-byte tag, so wire sizes (and the simulated costs derived from
 * them) do not depend on the choice; only the ciphertext bytes do. */
typedef enum cry_aead {
    CRY_AEAD_CHACHA20POLY1305 = 0,  /* ChaCha20-Poly1305-IETF (default)  */
    CRY_AEAD_AES256GCM,             /* AES-256-GCM (needs AES-NI/CLMUL)  */
    CRY_AEAD_COUNT
} cry_aead;

/* "chacha20poly1305" or "aes256gcm" (the scenario's spelling). */
const char *cry_aead_name(cry_aead a);
/* 1 if this host can run `a` (AES-256-GCM: libsodium's
 * crypto_aead_aes256gcm_is_available(), i.e. the CPU has AES-NI and
 * PCLMUL), else 0.  Initialises libsodium if needed (0 if it cannot). */
int cry_aead_available(cry_aead a);
/* For tests only: 1 makes cry_aead_available() report AES-256-GCM as
 * missing (as on a CPU without AES-NI), 0 restores the real answer.
 * One switch for the process. */
void cry_aead_hide_aes_for_tests(int hide);

typedef struct cry_keystore cry_keystore;   /* opaque */
typedef uint32_t cry_key;                   /* handle; 0 = no key */

/* A store for a run with seed `seed`, sealing with ChaCha20-Poly1305-IETF.
 * Key values live in chunks of guarded memory (sodium_malloc: guard pages,
 * mlock where allowed) that grow as needed.  NULL if libsodium cannot
 * allocate. */
cry_keystore *cry_keystore_new(uint64_t seed);
/* The same, sealing and opening with `aead`.  NULL also if this host
 * cannot run it (cry_aead_available; the scenario loader reports that at
 * the option, so a world never gets here with an unavailable cipher). */
cry_keystore *cry_keystore_new_aead(uint64_t seed, cry_aead aead);
/* The same, in `nparts` parts (1..CRY_PARTS_MAX; kmsim extension for
 * --threads, sim/THREADS.md): each part has its own slots, free list,
 * nonce counters (and test ledger), so two threads that each allocate
 * into, free, seal with and ask the counters of handles of their own part
 * share nothing they write.  A handle names its part (cry_key_part);
 * every other call takes handles of any part (reading another thread's
 * part while it runs is the caller's race to avoid).  The *_part
 * functions below allocate into a given part; the plain ones into part 0
 * (copy and derive: the source's part). */
#define CRY_PARTS_MAX 2u
cry_keystore *cry_keystore_new_parts(uint64_t seed, cry_aead aead,
                                     unsigned nparts);
unsigned cry_keystore_nparts(const cry_keystore *ks);
/* The part of handle k (0 for a store of one part). */
unsigned cry_key_part(cry_key k);
/* The AEAD of the store. */
cry_aead cry_keystore_aead(const cry_keystore *ks);
/* Wipes every key value and frees the store.  NULL is a no-op. */
void cry_keystore_free(cry_keystore *ks);
size_t cry_keystore_live(const cry_keystore *ks);    /* keys held now   */
size_t cry_keystore_chunks(const cry_keystore *ks);  /* guarded regions */
                                                     /* (all parts)     */

/* New key with fresh deterministic material: the value is
 * randombytes_buf_deterministic() seeded by BLAKE2b(run seed, "keymat",
 * stream, counter); (stream, counter) pairs name the draws (e.g. stream =
 * generating node, counter = its k-th key), so the value never depends on
 * the order in which keys are made.  Returns the handle (never 0). */
cry_key cry_key_generate(cry_keystore *ks, uint64_t stream, uint64_t counter,
                         cry_ops *ops);
cry_key cry_key_generate_part(cry_keystore *ks, unsigned part,
                              uint64_t stream, uint64_t counter,
                              cry_ops *ops);
/* New key holding the 32 bytes at v (e.g. received inside a sealed
 * message).  The caller wipes v. */
cry_key cry_key_import(cry_keystore *ks, const unsigned char v[CRY_KEY_BYTES]);
cry_key cry_key_import_part(cry_keystore *ks, unsigned part,
                            const unsigned char v[CRY_KEY_BYTES]);
/* New key equal to `src` (another holder of the same value), in src's
 * part / in `part`. */
cry_key cry_key_copy(cry_keystore *ks, cry_key src);
cry_key cry_key_copy_part(cry_keystore *ks, unsigned part, cry_key src);
/* f: new key = KDF(master, subkey id, 8-byte context) —
 * crypto_kdf_derive_from_key.  Knowing the id (a key name) without the
 * master reveals nothing of the value.  In master's part / in `part`. */
cry_key cry_key_derive(cry_keystore *ks, cry_key master, uint64_t id,
                       const char ctx[8], cry_ops *ops);
cry_key cry_key_derive_part(cry_keystore *ks, unsigned part, cry_key master,
                            uint64_t id, const char ctx[8], cry_ops *ops);
/* Wipes (sodium_memzero) and releases the key; 0 is a no-op. */
void cry_key_free(cry_keystore *ks, cry_key k);
/* Copies the value out (to seal it inside a message); the caller must
 * sodium_memzero the buffer after use. */
void cry_key_export(const cry_keystore *ks, cry_key k,
                    unsigned char out[CRY_KEY_BYTES]);
/* 1 if the two keys hold the same value (constant time), else 0. */
int cry_key_equal(const cry_keystore *ks, cry_key a, cry_key b);
/* The same across two stores: key a of ks_a against key b of ks_b. */
int cry_key_equal_in(const cry_keystore *ks_a, cry_key a,
                     const cry_keystore *ks_b, cry_key b);
/* New key in `dst` holding the value of key k of `src` (the value moves
 * through a wiped stack buffer): how an attacker's store gets a captured
 * node's keys. */
cry_key cry_key_transfer(cry_keystore *dst, const cry_keystore *src,
                         cry_key k);
/* The same into part `part` of dst. */
cry_key cry_key_transfer_part(cry_keystore *dst, unsigned part,
                              const cry_keystore *src, cry_key k);

/* Next unused nonce counter of `sender` under key k's VALUE: the counter
 * belongs to the pair (value, sender) -- one sequence per sender, never
 * moved by other senders' seals (DESIGN.md locality: a node's nonces
 * depend on its own seals only; with --threads 2, not on how two threads
 * interleave) -- and never to a handle, so a copy, a re-import or a
 * re-derivation of a value (even after every handle of it was freed)
 * continues where that sender's last seal under it stopped, and a nonce
 * (sender, counter) never repeats under one value.  0 for a pair never
 * sealed.  Cost: one array read while a handle keeps sealing as one
 * sender, one hash probe when its sender changes (and the value's digest
 * the first time a handle is used). */
uint64_t cry_key_next_counter(cry_keystore *ks, cry_key k, uint32_t sender);

/* The key log of `kmsim run --keylog` (kmsim extension, issue 23; the one
 * way a key value leaves this module for an output, on the user's
 * explicit request): after every successful cry_seal of store ks, fn gets
 * the key's 32 bytes (fn must not keep them; it may write them to the key
 * log, nowhere else), the nonce (sender, counter) and the 16-byte tag
 * just written.  Runs on the thread that sealed.  NULL removes it.  Off:
 * one test of a pointer per seal. */
typedef void cry_seal_log_fn(void *ctx, const unsigned char *key,
                             uint32_t sender, uint64_t counter,
                             const unsigned char *tag);
void cry_keystore_set_seal_log(cry_keystore *ks, cry_seal_log_fn *fn,
                               void *ctx);

/* AEAD seal (the store's cipher) of m (mlen bytes) into c (mlen +
 * CRY_TAG_BYTES) under k with nonce (sender, counter) and associated data
 * ad.  Refuses (-1, nothing
 * written) a counter below cry_key_next_counter(k, sender) — a repeated or
 * rewound nonce of this sender under this value — or UINT64_MAX; on
 * success that sender's next counter under the value becomes counter + 1.
 * Returns 0.
 * Built with -DKMSIM_NONCE_LEDGER (tests/kmsim-local), the store also
 * records every (BLAKE2b of the key value, nonce) it seals and aborts the
 * run with one line on stderr if one comes again (per part as it seals,
 * and across parts when the store is freed). */
int cry_seal(cry_keystore *ks, cry_key k, uint32_t sender, uint64_t counter,
             const unsigned char *ad, size_t adlen, const unsigned char *m,
             size_t mlen, unsigned char *c, cry_ops *ops)
    __attribute__((warn_unused_result));
/* AEAD open of c (clen bytes, tag included) into m (clen - tag bytes).
 * 0 if authentic, -1 (m wiped) otherwise. */
int cry_open(const cry_keystore *ks, cry_key k, uint32_t sender,
             uint64_t counter, const unsigned char *ad, size_t adlen,
             const unsigned char *c, size_t clen, unsigned char *m,
             cry_ops *ops) __attribute__((warn_unused_result));

/* The two one-way functions: BLAKE2b-256 with different personalisation
 * ("kmsim-H" / "kmsim-G"), so H(x) != G(x). */
void cry_H(unsigned char out[CRY_HG_BYTES], const unsigned char *in,
           size_t len, cry_ops *ops);
void cry_G(unsigned char out[CRY_HG_BYTES], const unsigned char *in,
           size_t len, cry_ops *ops);
/* out = a XOR b (len bytes), counted as one xor. */
void cry_xor(unsigned char *out, const unsigned char *a,
             const unsigned char *b, size_t len, cry_ops *ops);
/* Constant-time comparison of two buffers: 1 equal, 0 different. */
int cry_equal(const unsigned char *a, const unsigned char *b, size_t len);
/* Counts one concatenation of len bytes (building a key name). */
void cry_count_concat(cry_ops *ops, size_t len);

/* For tests only: the raw 32 bytes of slot k, live or freed (a freed slot
 * reads as zeros), so a test can check that cry_key_free() wipes.  k must
 * have been handed out by this store.  Never use outside tests/. */
const unsigned char *cry_key_peek_for_tests(const cry_keystore *ks,
                                            cry_key k);

/* For tests only: a callback that sees every wipe of key values right
 * after it happens (so a test can check the bytes are zero) — each
 * cry_key_free (k = the handle, the slot's 32 bytes) and, in
 * cry_keystore_free, each guarded region before it is unmapped (k = 0,
 * the whole region).  fn must not keep the pointer.  One callback for the
 * process (every store, the attackers' too); NULL removes it.  Costs one
 * test of a pointer per wipe. */
typedef void cry_wipe_hook(void *ctx, const cry_keystore *ks, cry_key k,
                           const unsigned char *p, size_t len);
void cry_set_wipe_hook_for_tests(cry_wipe_hook *fn, void *ctx);

/* For tests only: a callback that sees every successful cry_seal of every
 * store right before it returns: the key's 32 bytes (fn must not keep or
 * print them) and the nonce (sender, counter), so a test can check that
 * no (key value, nonce) pair is ever sealed twice.  One callback for the
 * process; NULL removes it.  Costs one test of a pointer per seal. */
typedef void cry_seal_hook(void *ctx, const cry_keystore *ks,
                           const unsigned char *key, uint32_t sender,
                           uint64_t counter);
void cry_set_seal_hook_for_tests(cry_seal_hook *fn, void *ctx);

#ifdef KMSIM_NONCE_LEDGER
/* Test build only: sets sender's counter under k's value back to 0, so a
 * test can plant a repeat the ledger must catch. */
void cry_key_rewind_for_tests(cry_keystore *ks, cry_key k, uint32_t sender);
/* Test build only: (value, nonce) pairs the store's ledger holds. */
size_t cry_keystore_ledger_size(const cry_keystore *ks);
#endif

#endif
