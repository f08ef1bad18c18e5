/* cry.c — libsodium initialisation, BLAKE2b hashing and seed derivation.
 * Keys, AEAD and the protocol primitives join this file's siblings in the
 * crypto issue; everything here is public-domain hashing of non-secrets. */
#include <assert.h>
#include <string.h>
#include <sodium.h>
#include "cry.h"

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(cry_hash_state),
               "cry_hash_state too small for crypto_generichash_state");

int cry_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void cry_hash(unsigned char out[CRY_HASH_BYTES], const void *in, size_t len)
{
    crypto_generichash(out, CRY_HASH_BYTES, in, len, NULL, 0);
}

void cry_hash_init(cry_hash_state *st)
{
    crypto_generichash_init((crypto_generichash_state *)st->opaque, NULL, 0,
                            CRY_HASH_BYTES);
}

void cry_hash_update(cry_hash_state *st, const void *in, size_t len)
{
    crypto_generichash_update((crypto_generichash_state *)st->opaque, in,
                              len);
}

void cry_hash_final(cry_hash_state *st, unsigned char out[CRY_HASH_BYTES])
{
    crypto_generichash_final((crypto_generichash_state *)st->opaque, out,
                             CRY_HASH_BYTES);
    sodium_memzero(st, sizeof *st);
}

void cry_derive(unsigned char *out, size_t outlen, uint64_t seed,
                const char *label, uint64_t index)
{
    unsigned char key[crypto_generichash_blake2b_KEYBYTES_MIN];
    unsigned char salt[crypto_generichash_blake2b_SALTBYTES] = {0};
    unsigned char pers[crypto_generichash_blake2b_PERSONALBYTES] = {0};
    unsigned char msg[8];
    size_t n = strlen(label);

    assert(outlen >= 1 && outlen <= 64);
    assert(n <= sizeof pers);
    for (int i = 0; i < 8; i++) {
        key[i] = (unsigned char)(seed >> (8 * i));
        key[8 + i] = (unsigned char)(0x6b ^ i); /* domain "kmsim" pad */
        msg[i] = (unsigned char)(index >> (8 * i));
    }
    memcpy(pers, label, n);
    crypto_generichash_blake2b_salt_personal(out, outlen, msg, sizeof msg,
                                             key, sizeof key, salt, pers);
    sodium_memzero(key, sizeof key);
}

void cry_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

int cry_is_zero(const void *p, size_t n)
{
    return sodium_is_zero(p, n);
}

void cry_hex(char *out, const unsigned char *in, size_t len)
{
    sodium_bin2hex(out, 2 * len + 1, in, len);
}
