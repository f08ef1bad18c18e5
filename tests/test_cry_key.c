/* test_cry_key.c — the key store and protocol primitives: RFC 8439 AEAD
 * vector through our nonce layout, nonce-counter discipline, forgery
 * rejection, H and G, deterministic generation, the KDF, wiping, chunked
 * storage of many keys and the operation counters. */
#include <string.h>
#include <sodium.h>
#include "cutest.h"
#include "cry.h"
#include "cry_key.h"
#include "wipelog.h"

static int all_zero(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* -------------------------------------------------------------- AEAD */

/* RFC 8439 §2.8.2: ChaCha20-Poly1305 AEAD test vector. */
static const unsigned char rfc_pt[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only "
    "one tip for the future, sunscreen would be it.";
static const unsigned char rfc_aad[] = {
    0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
};
static const unsigned char rfc_ct[] = {
    0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb, 0x7b, 0x86, 0xaf, 0xbc,
    0x53, 0xef, 0x7e, 0xc2, 0xa4, 0xad, 0xed, 0x51, 0x29, 0x6e, 0x08, 0xfe,
    0xa9, 0xe2, 0xb5, 0xa7, 0x36, 0xee, 0x62, 0xd6, 0x3d, 0xbe, 0xa4, 0x5e,
    0x8c, 0xa9, 0x67, 0x12, 0x82, 0xfa, 0xfb, 0x69, 0xda, 0x92, 0x72, 0x8b,
    0x1a, 0x71, 0xde, 0x0a, 0x9e, 0x06, 0x0b, 0x29, 0x05, 0xd6, 0xa5, 0xb6,
    0x7e, 0xcd, 0x3b, 0x36, 0x92, 0xdd, 0xbd, 0x7f, 0x2d, 0x77, 0x8b, 0x8c,
    0x98, 0x03, 0xae, 0xe3, 0x28, 0x09, 0x1b, 0x58, 0xfa, 0xb3, 0x24, 0xe4,
    0xfa, 0xd6, 0x75, 0x94, 0x55, 0x85, 0x80, 0x8b, 0x48, 0x31, 0xd7, 0xbc,
    0x3f, 0xf4, 0xde, 0xf0, 0x8e, 0x4b, 0x7a, 0x9d, 0xe5, 0x76, 0xd2, 0x65,
    0x86, 0xce, 0xc6, 0x4b, 0x61, 0x16,
    /* tag */
    0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a, 0x7e, 0x90, 0x2e, 0xcb,
    0xd0, 0x60, 0x06, 0x91,
};
#define RFC_PT_LEN (sizeof rfc_pt - 1)  /* without the string's NUL */
/* Nonce 07 00 00 00 | 40 41 .. 47 = sender 7, counter 0x4746..40 (LE). */
#define RFC_SENDER  7u
#define RFC_COUNTER UINT64_C(0x4746454443424140)

static cry_key rfc_key(cry_keystore *ks)
{
    unsigned char v[CRY_KEY_BYTES];
    cry_key k;

    for (unsigned i = 0; i < CRY_KEY_BYTES; i++)
        v[i] = (unsigned char)(0x80 + i);
    k = cry_key_import(ks, v);
    sodium_memzero(v, sizeof v);
    return k;
}

static void test_aead_rfc8439(void)
{
    cry_keystore *ks = cry_keystore_new(1);
    unsigned char c[RFC_PT_LEN + CRY_TAG_BYTES], m[RFC_PT_LEN];
    cry_key k;

    CU_ASSERT_EQUAL_FATAL(sizeof rfc_ct, RFC_PT_LEN + CRY_TAG_BYTES);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    k = rfc_key(ks);
    CU_ASSERT_EQUAL(cry_seal(ks, k, RFC_SENDER, RFC_COUNTER, rfc_aad,
                             sizeof rfc_aad, rfc_pt, RFC_PT_LEN, c, NULL), 0);
    CU_ASSERT_EQUAL(memcmp(c, rfc_ct, sizeof rfc_ct), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, RFC_SENDER), RFC_COUNTER + 1);
    CU_ASSERT_EQUAL(cry_open(ks, k, RFC_SENDER, RFC_COUNTER, rfc_aad,
                             sizeof rfc_aad, rfc_ct, sizeof rfc_ct, m, NULL),
                    0);
    CU_ASSERT_EQUAL(memcmp(m, rfc_pt, RFC_PT_LEN), 0);
    /* Opening leaves the sending counter alone. */
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, RFC_SENDER), RFC_COUNTER + 1);
    cry_keystore_free(ks);
}

static void test_aead_counter(void)
{
    cry_keystore *ks = cry_keystore_new(2);
    unsigned char m[5] = "hello", c[sizeof m + CRY_TAG_BYTES];
    unsigned char before[sizeof c];
    cry_key k;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    k = cry_key_generate(ks, 1, 0, NULL);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 1), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 0, NULL, 0, m, sizeof m, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 1), 1);
    /* Repeated counter: refused, nothing written. */
    memset(c, 0xa5, sizeof c);
    memcpy(before, c, sizeof c);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 0, NULL, 0, m, sizeof m, c, NULL), -1);
    CU_ASSERT_EQUAL(memcmp(c, before, sizeof c), 0);
    /* Skipping ahead is fine; rewinding afterwards is not. */
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 10, NULL, 0, m, sizeof m, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 1), 11);
    memcpy(before, c, sizeof c);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 5, NULL, 0, m, sizeof m, c, NULL), -1);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 10, NULL, 0, m, sizeof m, c, NULL), -1);
    CU_ASSERT_EQUAL(memcmp(c, before, sizeof c), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 11, NULL, 0, m, sizeof m, c, NULL), 0);
    /* UINT64_MAX is never used; UINT64_MAX - 1 is, and is the last. */
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, UINT64_MAX, NULL, 0, m, sizeof m, c,
                             NULL), -1);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 1), 12);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, UINT64_MAX - 1, NULL, 0, m, sizeof m,
                             c, NULL), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 1), UINT64_MAX);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, UINT64_MAX, NULL, 0, m, sizeof m, c,
                             NULL), -1);
    /* The counter belongs to the value and sender, never to the slot: a
     * copy continues sender 1's; a reused slot holding another value
     * starts at 0. */
    {
        cry_key k2 = cry_key_copy(ks, k), k3;
        CU_ASSERT_EQUAL(cry_key_next_counter(ks, k2, 1), UINT64_MAX);
        CU_ASSERT_EQUAL(cry_seal(ks, k2, 1, 0, NULL, 0, m, sizeof m, c,
                                 NULL), -1);
        cry_key_free(ks, k);
        cry_key_free(ks, k2);
        k3 = cry_key_generate(ks, 1, 1, NULL);
        CU_ASSERT_EQUAL(k3, k2);           /* LIFO reuse of the slot */
        CU_ASSERT_EQUAL(cry_key_next_counter(ks, k3, 1), 0);
    }
    cry_keystore_free(ks);
}

/* Issue 19: a value taken in again -- imported after every handle of it
 * was freed, or derived again from the same master and id -- continues
 * each sender's counter, so a seal from counter 0 is refused and the next
 * nonce is a new one.  Issue 22: the counter is per (value, sender), so
 * one sender's seals never move another's (locality; two threads). */
static void test_counter_per_value(void)
{
    cry_keystore *ks = cry_keystore_new(7);
    unsigned char v[CRY_KEY_BYTES], m[4] = "abcd", c[sizeof m + CRY_TAG_BYTES];
    const char ctx[8] = "test-ctx";
    cry_key k, k2, mst, d1, d2, o;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    k = cry_key_generate(ks, 5, 0, NULL);
    o = cry_key_generate(ks, 5, 1, NULL);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 3, 0, NULL, 0, m, sizeof m, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 3, 1, NULL, 0, m, sizeof m, c, NULL), 0);
    /* One sequence per sender: sender 4 starts at 0 (nonce (4, 0) is not
     * (3, 0)) and sender 3's seals left no gap in it. */
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 4), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 4, 0, NULL, 0, m, sizeof m, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 4, 0, NULL, 0, m, sizeof m, c, NULL), -1);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 4, 1, NULL, 0, m, sizeof m, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 3), 2);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, 4), 2);
    cry_key_export(ks, k, v);
    cry_key_free(ks, k);
    /* Many other values in between (the tables grow and rehash). */
    for (uint64_t i = 0; i < 3000; i++) {
        cry_key x = cry_key_generate(ks, 6, i, NULL);
        CU_ASSERT_EQUAL(cry_seal(ks, x, 3, 0, NULL, 0, m, sizeof m, c, NULL),
                        0);
        cry_key_free(ks, x);
    }
    k2 = cry_key_import(ks, v);
    sodium_memzero(v, sizeof v);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k2, 3), 2);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k2, 4), 2);
    CU_ASSERT_EQUAL(cry_seal(ks, k2, 3, 0, NULL, 0, m, sizeof m, c, NULL), -1);
    CU_ASSERT_EQUAL(cry_seal(ks, k2, 4, 1, NULL, 0, m, sizeof m, c, NULL), -1);
    CU_ASSERT_EQUAL(cry_seal(ks, k2, 3, 2, NULL, 0, m, sizeof m, c, NULL), 0);
    /* A sender new to the value starts at 0. */
    CU_ASSERT_EQUAL(cry_seal(ks, k2, 5, 0, NULL, 0, m, sizeof m, c, NULL), 0);
    /* Alternating senders on one handle (the slot's cached entry changes
     * every seal): each continues its own sequence. */
    for (uint64_t i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(cry_key_next_counter(ks, k2, 3), 3 + i);
        CU_ASSERT_EQUAL(cry_seal(ks, k2, 3, 3 + i, NULL, 0, m, sizeof m, c,
                                 NULL), 0);
        CU_ASSERT_EQUAL(cry_key_next_counter(ks, k2, 4), 2 + i);
        CU_ASSERT_EQUAL(cry_seal(ks, k2, 4, 2 + i, NULL, 0, m, sizeof m, c,
                                 NULL), 0);
    }
    /* Another value is not affected. */
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, o, 3), 0);
    /* Derived twice: one value, one counter per sender. */
    mst = cry_key_generate(ks, 5, 2, NULL);
    d1 = cry_key_derive(ks, mst, 9, ctx, NULL);
    CU_ASSERT_EQUAL(cry_seal(ks, d1, 1, 0, NULL, 0, m, sizeof m, c, NULL), 0);
    cry_key_free(ks, d1);
    d2 = cry_key_derive(ks, mst, 9, ctx, NULL);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, d2, 1), 1);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, d2, 2), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, d2, 1, 0, NULL, 0, m, sizeof m, c, NULL), -1);
    cry_keystore_free(ks);
}

/* Parts (--threads): handles name their part, each part allocates and
 * counts on its own, values compare and seal across parts, and one part's
 * allocations never change the other's handles or counters. */
static void test_parts(void)
{
    cry_keystore *ks = cry_keystore_new_parts(8, CRY_AEAD_CHACHA20POLY1305,
                                              2);
    cry_keystore *one = cry_keystore_new(8);
    unsigned char m[4] = "abcd", c[sizeof m + CRY_TAG_BYTES], out[sizeof m];
    unsigned char v[CRY_KEY_BYTES];
    cry_key a0, a1, b0, b1, r;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(one);
    CU_ASSERT_EQUAL(cry_keystore_nparts(ks), 2);
    CU_ASSERT_EQUAL(cry_keystore_nparts(one), 1);
    a0 = cry_key_generate_part(ks, 0, 1, 0, NULL);
    a1 = cry_key_generate_part(ks, 1, 1, 0, NULL);   /* same material */
    r = cry_key_generate(one, 1, 0, NULL);
    CU_ASSERT_EQUAL(cry_key_part(a0), 0);
    CU_ASSERT_EQUAL(cry_key_part(a1), 1);
    CU_ASSERT_EQUAL(a0, r);            /* part 0 = a one-part store's */
    CU_ASSERT_NOT_EQUAL(a0, a1);
    CU_ASSERT_EQUAL(cry_key_equal(ks, a0, a1), 1);
    CU_ASSERT_EQUAL(cry_key_equal_in(ks, a1, one, r), 1);
    CU_ASSERT_EQUAL(cry_keystore_live(ks), 2);
    /* Part 1's handles do not depend on part 0's allocations. */
    for (int i = 0; i < 10; i++)
        cry_key_free(ks, cry_key_generate_part(ks, 0, 2, (uint64_t)i, NULL));
    b1 = cry_key_generate_part(ks, 1, 3, 0, NULL);
    b0 = cry_key_generate_part(ks, 0, 3, 0, NULL);
    CU_ASSERT_EQUAL(cry_key_part(b1), 1);
    CU_ASSERT_EQUAL(b1 & 0xffffu, 2);  /* part 1's second slot */
    CU_ASSERT_EQUAL(cry_key_part(cry_key_copy(ks, a1)), 1);
    CU_ASSERT_EQUAL(cry_key_part(cry_key_derive(ks, a1, 4, "test-ctx",
                                                NULL)), 1);
    CU_ASSERT_EQUAL(cry_key_part(cry_key_derive_part(ks, 0, a1, 4,
                                                     "test-ctx", NULL)), 0);
    cry_key_export(ks, a1, v);
    CU_ASSERT_EQUAL(cry_key_part(cry_key_import_part(ks, 1, v)), 1);
    sodium_memzero(v, sizeof v);
    /* Seal in part 1, open with the part-0 handle of the same value. */
    CU_ASSERT_EQUAL(cry_seal(ks, a1, 7, cry_key_next_counter(ks, a1, 7),
                             NULL, 0, m, sizeof m, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_open(ks, a0, 7, 0, NULL, 0, c, sizeof c, out, NULL),
                    0);
    CU_ASSERT_EQUAL(memcmp(out, m, sizeof m), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, a1, 7), 1);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, b0, 7), 0);
    cry_key_free(ks, a1);
    CU_ASSERT_EQUAL(cry_keystore_live(ks), 7);
    cry_keystore_free(ks);
    cry_keystore_free(one);
}

static void test_aead_forgery(void)
{
    cry_keystore *ks = cry_keystore_new(3);
    unsigned char msg[64], c[sizeof msg + CRY_TAG_BYTES], t[sizeof c];
    unsigned char m[sizeof msg];
    const unsigned char ad[] = "hdr", ad2[] = "hdx";
    cry_key k, other;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i + 1);
    k = cry_key_generate(ks, 9, 0, NULL);
    other = cry_key_generate(ks, 9, 1, NULL);
    CU_ASSERT_EQUAL_FATAL(cry_seal(ks, k, 42, 3, ad, sizeof ad, msg,
                                   sizeof msg, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_open(ks, k, 42, 3, ad, sizeof ad, c, sizeof c, m,
                             NULL), 0);
    CU_ASSERT_EQUAL(memcmp(m, msg, sizeof msg), 0);

#define EXPECT_REJECT(key, snd, ctr, a, alen, ct, clen)                  \
    do {                                                                 \
        memset(m, 0xee, sizeof m);                                       \
        CU_ASSERT_EQUAL(cry_open(ks, (key), (snd), (ctr), (a), (alen),   \
                                 (ct), (clen), m, NULL), -1);            \
        CU_ASSERT(all_zero(m, (clen) - CRY_TAG_BYTES));                  \
    } while (0)

    memcpy(t, c, sizeof c);
    t[10] ^= 0x01;                                   /* ciphertext bit */
    EXPECT_REJECT(k, 42, 3, ad, sizeof ad, t, sizeof t);
    memcpy(t, c, sizeof c);
    t[sizeof t - 1] ^= 0x80;                         /* tag bit */
    EXPECT_REJECT(k, 42, 3, ad, sizeof ad, t, sizeof t);
    EXPECT_REJECT(k, 42, 3, ad2, sizeof ad2, c, sizeof c);  /* wrong AD */
    EXPECT_REJECT(k, 42, 3, NULL, 0, c, sizeof c);          /* no AD */
    EXPECT_REJECT(k, 43, 3, ad, sizeof ad, c, sizeof c);    /* sender */
    EXPECT_REJECT(k, 42, 4, ad, sizeof ad, c, sizeof c);    /* counter */
    EXPECT_REJECT(other, 42, 3, ad, sizeof ad, c, sizeof c); /* key */
    EXPECT_REJECT(k, 42, 3, ad, sizeof ad, c, sizeof c - 1); /* truncated */
#undef EXPECT_REJECT
    /* Shorter than a tag: rejected, nothing to write. */
    CU_ASSERT_EQUAL(cry_open(ks, k, 42, 3, ad, sizeof ad, c,
                             CRY_TAG_BYTES - 1, m, NULL), -1);
    /* The original still opens. */
    CU_ASSERT_EQUAL(cry_open(ks, k, 42, 3, ad, sizeof ad, c, sizeof c, m,
                             NULL), 0);
    CU_ASSERT_EQUAL(memcmp(m, msg, sizeof msg), 0);
    cry_keystore_free(ks);
}

static void test_aead_empty_and_inplace(void)
{
    cry_keystore *ks = cry_keystore_new(4);
    unsigned char c[CRY_TAG_BYTES], buf[32 + CRY_TAG_BYTES], orig[32];
    cry_key k;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    k = cry_key_generate(ks, 0, 0, NULL);
    /* Empty message: the tag authenticates the AD alone. */
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 0, (const unsigned char *)"ad", 2,
                             NULL, 0, c, NULL), 0);
    CU_ASSERT_EQUAL(cry_open(ks, k, 1, 0, (const unsigned char *)"ad", 2, c,
                             sizeof c, NULL, NULL), 0);
    CU_ASSERT_EQUAL(cry_open(ks, k, 1, 0, (const unsigned char *)"ae", 2, c,
                             sizeof c, NULL, NULL), -1);
    /* In place (c == m), as libsodium allows. */
    for (size_t i = 0; i < sizeof orig; i++)
        orig[i] = buf[i] = (unsigned char)(3 * i);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 1, NULL, 0, buf, sizeof orig, buf,
                             NULL), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(buf, orig, sizeof orig), 0);
    CU_ASSERT_EQUAL(cry_open(ks, k, 1, 1, NULL, 0, buf, sizeof buf, buf,
                             NULL), 0);
    CU_ASSERT_EQUAL(memcmp(buf, orig, sizeof orig), 0);
    cry_keystore_free(ks);
}

/* ------------------------------------------------------------- H, G */

static void test_hg(void)
{
    /* Our own regression values (not published vectors): BLAKE2b-256, no
     * key, zero salt, personalisation "kmsim-H" / "kmsim-G" zero-padded
     * to 16 bytes, over "abc".  Cross-checked once with Python's hashlib
     * (blake2b(b"abc", digest_size=32, person=b"kmsim-H")). */
    static const char h_abc[] =
        "2c2e1840210b7560975471aa12a1df26bcc26d68ccb86a818f07f88b9412dc23";
    static const char g_abc[] =
        "e9fbe909bf682aa72bf02003fd3408a1005a66e7a32573dcb2f45b2fac9c7fe2";
    /* Plain BLAKE2b-256("abc") (RFC 7693 reference, outlen 32). */
    static const char plain_abc[] =
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";
    const unsigned char abc[3] = {'a', 'b', 'c'};
    unsigned char h[CRY_HG_BYTES], h2[CRY_HG_BYTES], g[CRY_HG_BYTES];
    unsigned char plain[CRY_HASH_BYTES];
    char hex[2 * CRY_HG_BYTES + 1];

    cry_H(h, abc, sizeof abc, NULL);
    cry_H(h2, abc, sizeof abc, NULL);
    cry_G(g, abc, sizeof abc, NULL);
    cry_hash(plain, abc, sizeof abc);
    CU_ASSERT_EQUAL(memcmp(h, h2, sizeof h), 0);            /* deterministic */
    CU_ASSERT_NOT_EQUAL(memcmp(h, g, sizeof h), 0);         /* H != G */
    CU_ASSERT_NOT_EQUAL(memcmp(h, plain, sizeof h), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(g, plain, sizeof g), 0);
    cry_hex(hex, h, sizeof h);
    CU_ASSERT_STRING_EQUAL(hex, h_abc);
    cry_hex(hex, g, sizeof g);
    CU_ASSERT_STRING_EQUAL(hex, g_abc);
    cry_hex(hex, plain, sizeof plain);
    CU_ASSERT_STRING_EQUAL(hex, plain_abc);
    /* Other inputs give other outputs. */
    cry_H(h2, abc, 2, NULL);
    CU_ASSERT_NOT_EQUAL(memcmp(h, h2, sizeof h), 0);
    /* A Di Pietro chain step: k_i = H(S1) xor G(S2) differs from both. */
    {
        unsigned char x[CRY_HG_BYTES];
        cry_xor(x, h, g, sizeof x, NULL);
        CU_ASSERT_NOT_EQUAL(memcmp(x, h, sizeof x), 0);
        cry_xor(x, x, g, sizeof x, NULL);
        CU_ASSERT_EQUAL(memcmp(x, h, sizeof x), 0);
    }
}

static void test_equal(void)
{
    unsigned char a[40], b[40];

    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (unsigned char)i;
    CU_ASSERT_EQUAL(cry_equal(a, b, sizeof a), 1);
    b[39] ^= 1;
    CU_ASSERT_EQUAL(cry_equal(a, b, sizeof a), 0);
    CU_ASSERT_EQUAL(cry_equal(a, b, 39), 1);
    CU_ASSERT_EQUAL(cry_equal(a, b, 0), 1);
}

/* ------------------------------------------------------------- keys */

static void export_of(const cry_keystore *ks, cry_key k,
                      unsigned char out[CRY_KEY_BYTES])
{
    cry_key_export(ks, k, out);
}

static void test_generate(void)
{
    cry_keystore *a = cry_keystore_new(42), *b = cry_keystore_new(42);
    cry_keystore *c = cry_keystore_new(43);
    unsigned char va[3][CRY_KEY_BYTES], vb[3][CRY_KEY_BYTES];
    unsigned char vc[CRY_KEY_BYTES];
    cry_key ka[3], kb[3], kc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    /* Same draws in a different order (and after an unrelated draw). */
    ka[0] = cry_key_generate(a, 1, 0, NULL);
    ka[1] = cry_key_generate(a, 1, 1, NULL);
    ka[2] = cry_key_generate(a, 2, 0, NULL);
    (void)cry_key_generate(b, 7, 7, NULL);
    kb[2] = cry_key_generate(b, 2, 0, NULL);
    kb[1] = cry_key_generate(b, 1, 1, NULL);
    kb[0] = cry_key_generate(b, 1, 0, NULL);
    kc = cry_key_generate(c, 1, 0, NULL);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_NOT_EQUAL(ka[i], 0);
        export_of(a, ka[i], va[i]);
        export_of(b, kb[i], vb[i]);
        CU_ASSERT_EQUAL(memcmp(va[i], vb[i], CRY_KEY_BYTES), 0);
    }
    export_of(c, kc, vc);
    CU_ASSERT_NOT_EQUAL(memcmp(va[0], va[1], CRY_KEY_BYTES), 0); /* counter */
    CU_ASSERT_NOT_EQUAL(memcmp(va[0], va[2], CRY_KEY_BYTES), 0); /* stream */
    CU_ASSERT_NOT_EQUAL(memcmp(va[1], va[2], CRY_KEY_BYTES), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(va[0], vc, CRY_KEY_BYTES), 0);    /* seed */
    /* (stream, counter) = (1, 0) vs (0, 1): not a symmetric mix. */
    {
        unsigned char v[CRY_KEY_BYTES];
        cry_key k = cry_key_generate(a, 0, 1, NULL);
        export_of(a, k, v);
        CU_ASSERT_NOT_EQUAL(memcmp(va[0], v, CRY_KEY_BYTES), 0);
        sodium_memzero(v, sizeof v);
    }
    /* Equal values in one store compare equal. */
    {
        cry_key k = cry_key_generate(a, 2, 0, NULL);
        CU_ASSERT_EQUAL(cry_key_equal(a, k, ka[2]), 1);
        CU_ASSERT_EQUAL(cry_key_equal(a, k, ka[1]), 0);
        CU_ASSERT_EQUAL(cry_key_equal(a, k, k), 1);
    }
    sodium_memzero(va, sizeof va);
    sodium_memzero(vb, sizeof vb);
    sodium_memzero(vc, sizeof vc);
    cry_keystore_free(a);
    cry_keystore_free(b);
    cry_keystore_free(c);
}

static void test_import_copy(void)
{
    cry_keystore *ks = cry_keystore_new(5);
    unsigned char v[CRY_KEY_BYTES], w[CRY_KEY_BYTES];
    cry_key k, k2;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    for (unsigned i = 0; i < sizeof v; i++)
        v[i] = (unsigned char)(0xa0 ^ i);
    k = cry_key_import(ks, v);
    export_of(ks, k, w);
    CU_ASSERT_EQUAL(memcmp(v, w, sizeof v), 0);
    k2 = cry_key_copy(ks, k);
    CU_ASSERT_NOT_EQUAL(k2, k);
    CU_ASSERT_EQUAL(cry_key_equal(ks, k, k2), 1);
    cry_key_free(ks, k);                 /* the copy is independent */
    export_of(ks, k2, w);
    CU_ASSERT_EQUAL(memcmp(v, w, sizeof v), 0);
    CU_ASSERT_EQUAL(cry_keystore_live(ks), 1);
    sodium_memzero(v, sizeof v);
    sodium_memzero(w, sizeof w);
    cry_keystore_free(ks);
}

static void test_derive(void)
{
    cry_keystore *ks = cry_keystore_new(6);
    const char ctx[8] = {'k', 'm', 's', 'i', 'm', '-', 'f', '1'};
    const char ctx2[8] = {'k', 'm', 's', 'i', 'm', '-', 'f', '2'};
    unsigned char mv[CRY_KEY_BYTES], dv[CRY_KEY_BYTES], ref[CRY_KEY_BYTES];
    cry_key m, m2, d1, d2, d3, d4, d5;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    m = cry_key_generate(ks, 3, 0, NULL);
    m2 = cry_key_generate(ks, 3, 1, NULL);
    d1 = cry_key_derive(ks, m, 17, ctx, NULL);
    d2 = cry_key_derive(ks, m, 17, ctx, NULL);
    d3 = cry_key_derive(ks, m, 18, ctx, NULL);
    d4 = cry_key_derive(ks, m, 17, ctx2, NULL);
    d5 = cry_key_derive(ks, m2, 17, ctx, NULL);
    CU_ASSERT_EQUAL(cry_key_equal(ks, d1, d2), 1);
    CU_ASSERT_EQUAL(cry_key_equal(ks, d1, d3), 0);   /* id */
    CU_ASSERT_EQUAL(cry_key_equal(ks, d1, d4), 0);   /* context */
    CU_ASSERT_EQUAL(cry_key_equal(ks, d1, d5), 0);   /* master */
    CU_ASSERT_EQUAL(cry_key_equal(ks, d1, m), 0);    /* not the master */
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, d1, 0), 0);
    /* It is libsodium's KDF over our slot, byte for byte. */
    cry_key_export(ks, m, mv);
    cry_key_export(ks, d1, dv);
    CU_ASSERT_EQUAL(crypto_kdf_derive_from_key(ref, sizeof ref, 17, ctx, mv),
                    0);
    CU_ASSERT_EQUAL(memcmp(ref, dv, sizeof ref), 0);
    sodium_memzero(mv, sizeof mv);
    sodium_memzero(dv, sizeof dv);
    sodium_memzero(ref, sizeof ref);
    cry_keystore_free(ks);
}

static void test_wipe(void)
{
    cry_keystore *ks = cry_keystore_new(7);
    cry_key k, k2;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    k = cry_key_generate(ks, 1, 0, NULL);
    k2 = cry_key_generate(ks, 1, 1, NULL);
    CU_ASSERT_FALSE(all_zero(cry_key_peek_for_tests(ks, k), CRY_KEY_BYTES));
    cry_key_free(ks, k);
    CU_ASSERT_TRUE(all_zero(cry_key_peek_for_tests(ks, k), CRY_KEY_BYTES));
    CU_ASSERT_FALSE(all_zero(cry_key_peek_for_tests(ks, k2), CRY_KEY_BYTES));
    CU_ASSERT_EQUAL(cry_keystore_live(ks), 1);
    cry_key_free(ks, 0);                 /* no-op */
    CU_ASSERT_EQUAL(cry_keystore_live(ks), 1);
    cry_keystore_free(ks);
    cry_keystore_free(NULL);             /* no-op */
}

/* The test hook sees each wipe right after it: cry_key_free wipes the
 * slot of that handle, cry_keystore_free every guarded region before it
 * is unmapped (two regions here: 4096 slots, then 8192). */
static void test_wipe_hook(void)
{
    cry_keystore *ks = cry_keystore_new(9);
    wipelog l;
    cry_key k[5000];

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    for (size_t i = 0; i < 5000; i++)
        k[i] = cry_key_generate(ks, 3, i, NULL);
    CU_ASSERT_EQUAL(cry_keystore_chunks(ks), 2);
    wipelog_start(&l);
    cry_key_free(ks, k[17]);
    cry_key_free(ks, k[4999]);
    CU_ASSERT_EQUAL(l.n_keys, 2);
    CU_ASSERT(wipelog_has_key(&l, ks, k[17]));
    CU_ASSERT(wipelog_has_key(&l, ks, k[4999]));
    CU_ASSERT_FALSE(wipelog_has_key(&l, ks, k[18]));
    cry_keystore_free(ks);             /* 4998 live keys in two regions */
    wipelog_stop();
    CU_ASSERT_EQUAL(l.n_regions, 2);
    CU_ASSERT_EQUAL(l.region_bytes, (4096 + 8192) * (size_t)CRY_KEY_BYTES);
    CU_ASSERT(wipelog_has_store(&l, ks));
    CU_ASSERT_EQUAL(l.nonzero, 0);
    /* and nothing more is reported once the hook is removed */
    ks = cry_keystore_new(9);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    cry_key_free(ks, cry_key_generate(ks, 3, 0, NULL));
    cry_keystore_free(ks);
    CU_ASSERT_EQUAL(l.n_keys, 2);
    CU_ASSERT_EQUAL(l.n_regions, 2);
}

static void test_many_keys(void)
{
    enum { N = 200000 };
    cry_keystore *ks = cry_keystore_new(8);
    static cry_key k[N];
    size_t chunks;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    CU_ASSERT_EQUAL(cry_keystore_chunks(ks), 1);
    for (size_t i = 0; i < N; i++) {
        k[i] = cry_key_generate(ks, i, 0, NULL);
        if (k[i] != (cry_key)(i + 1)) {  /* fresh handles are dense */
            CU_FAIL("unexpected handle");
            break;
        }
    }
    chunks = cry_keystore_chunks(ks);
    CU_ASSERT_EQUAL(cry_keystore_live(ks), N);
    CU_ASSERT(chunks >= 2 && chunks <= 8);
    /* Keys in every chunk still hold their own values. */
    {
        unsigned char v[CRY_KEY_BYTES];
        cry_keystore *ref = cry_keystore_new(8);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
        for (size_t i = 0; i < N; i += 4099) {
            cry_key r = cry_key_generate(ref, i, 0, NULL);
            cry_key_export(ks, k[i], v);
            CU_ASSERT_EQUAL(memcmp(v, cry_key_peek_for_tests(ref, r),
                                   sizeof v), 0);
            cry_key_free(ref, r);
        }
        sodium_memzero(v, sizeof v);
        cry_keystore_free(ref);
    }
    /* Free every other key, then refill: slots are reused, no growth. */
    for (size_t i = 0; i < N; i += 2)
        cry_key_free(ks, k[i]);
    CU_ASSERT_EQUAL(cry_keystore_live(ks), N / 2);
    for (size_t i = 0; i < N; i += 2) {
        k[i] = cry_key_generate(ks, i, 1, NULL);
        if (k[i] > N) {
            CU_FAIL("slot not reused");
            break;
        }
    }
    CU_ASSERT_EQUAL(cry_keystore_live(ks), N);
    CU_ASSERT_EQUAL(cry_keystore_chunks(ks), chunks);
    for (size_t i = 0; i < N; i++)
        cry_key_free(ks, k[i]);
    CU_ASSERT_EQUAL(cry_keystore_live(ks), 0);
    CU_ASSERT_EQUAL(cry_keystore_chunks(ks), chunks);
    cry_keystore_free(ks);
}

/* --------------------------------------------------------- counters */

static void test_ops(void)
{
    cry_keystore *ks = cry_keystore_new(9);
    cry_ops ops;
    const char ctx[8] = "kmsim-f";
    unsigned char m[100] = {0}, c[sizeof m + CRY_TAG_BYTES], h[CRY_HG_BYTES];
    cry_key k;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    memset(&ops, 0, sizeof ops);
    k = cry_key_generate(ks, 1, 0, &ops);
    for (int i = 0; i < CRY_OP_COUNT; i++) {  /* generation is not an op */
        CU_ASSERT_EQUAL(ops.n[i], 0);
        CU_ASSERT_EQUAL(ops.bytes[i], 0);
    }
    (void)cry_key_derive(ks, k, 1, ctx, &ops);
    CU_ASSERT_EQUAL(ops.n[CRY_OP_KDF], 1);
    CU_ASSERT_EQUAL(ops.bytes[CRY_OP_KDF], CRY_KEY_BYTES);

    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 0, m, 4, m, sizeof m, c, &ops), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 1, NULL, 0, m, 10, c, &ops), 0);
    CU_ASSERT_EQUAL(cry_seal(ks, k, 1, 1, NULL, 0, m, 10, c, &ops), -1);
    CU_ASSERT_EQUAL(ops.n[CRY_OP_SEAL], 2);         /* refusal not counted */
    CU_ASSERT_EQUAL(ops.bytes[CRY_OP_SEAL], sizeof m + 10);

    CU_ASSERT_EQUAL(cry_open(ks, k, 1, 1, NULL, 0, c, 10 + CRY_TAG_BYTES, m,
                             &ops), 0);
    CU_ASSERT_EQUAL(cry_open(ks, k, 1, 2, NULL, 0, c, 10 + CRY_TAG_BYTES, m,
                             &ops), -1);
    CU_ASSERT_EQUAL(ops.n[CRY_OP_OPEN], 2);         /* failures cost too */
    CU_ASSERT_EQUAL(ops.bytes[CRY_OP_OPEN], 20);

    cry_H(h, m, 7, &ops);
    cry_G(h, m, 5, &ops);
    CU_ASSERT_EQUAL(ops.n[CRY_OP_HASH], 2);
    CU_ASSERT_EQUAL(ops.bytes[CRY_OP_HASH], 12);

    cry_xor(h, h, h, sizeof h, &ops);
    CU_ASSERT_EQUAL(ops.n[CRY_OP_XOR], 1);
    CU_ASSERT_EQUAL(ops.bytes[CRY_OP_XOR], sizeof h);

    cry_count_concat(&ops, 6);
    cry_count_concat(&ops, 2);
    CU_ASSERT_EQUAL(ops.n[CRY_OP_CONCAT], 2);
    CU_ASSERT_EQUAL(ops.bytes[CRY_OP_CONCAT], 8);

    /* Other kinds untouched by the calls above. */
    CU_ASSERT_EQUAL(ops.n[CRY_OP_KDF], 1);
    /* NULL counters are allowed everywhere. */
    cry_count_concat(NULL, 3);
    cry_xor(h, h, h, sizeof h, NULL);
    cry_keystore_free(ks);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("cry_key", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_aead_rfc8439);
    CUTEST_ADD(s, test_aead_counter);
    CUTEST_ADD(s, test_counter_per_value);
    CUTEST_ADD(s, test_parts);
    CUTEST_ADD(s, test_aead_forgery);
    CUTEST_ADD(s, test_aead_empty_and_inplace);
    CUTEST_ADD(s, test_hg);
    CUTEST_ADD(s, test_equal);
    CUTEST_ADD(s, test_generate);
    CUTEST_ADD(s, test_import_copy);
    CUTEST_ADD(s, test_derive);
    CUTEST_ADD(s, test_wipe);
    CUTEST_ADD(s, test_wipe_hook);
    CUTEST_ADD(s, test_many_keys);
    CUTEST_ADD(s, test_ops);
    return 0;
}

CUTEST_MAIN(register_tests)
