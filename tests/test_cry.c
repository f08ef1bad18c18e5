/* test_cry.c — the crypto layer's hashing against published BLAKE2b
 * vectors, streaming vs one-shot, and sub-seed derivation; the two AEADs
 * a key store can seal with (scenario `aead:`, issue 22): a published
 * AES-256-GCM vector through our nonce layout, and for both ciphers round
 * trip, tampering, wrong key and wrong nonce refused. */
#include <string.h>
#include <sodium.h>
#include "cutest.h"
#include "cry.h"
#include "cry_key.h"

static void hex_of(const unsigned char *b, size_t n, char *out)
{
    cry_hex(out, b, n);
}

/* BLAKE2b-256 test values (RFC 7693 reference implementation with
 * outlen = 32). */
static void test_blake2b_vectors(void)
{
    unsigned char h[CRY_HASH_BYTES];
    char hex[2 * CRY_HASH_BYTES + 1];

    cry_hash(h, "", 0);
    hex_of(h, sizeof h, hex);
    CU_ASSERT_STRING_EQUAL(hex, "0e5751c026e543b2e8ab2eb06099daa1"
                                "d1e5df47778f7787faab45cdf12fe3a8");
    cry_hash(h, "abc", 3);
    hex_of(h, sizeof h, hex);
    CU_ASSERT_STRING_EQUAL(hex, "bddd813c634239723171ef3fee98579b"
                                "94964e3bb1cb3e427262c8c068d52319");
}

static void test_streaming_equals_oneshot(void)
{
    unsigned char msg[1000], a[CRY_HASH_BYTES], b[CRY_HASH_BYTES];
    cry_hash_state st;

    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7 + 3);
    cry_hash(a, msg, sizeof msg);
    cry_hash_init(&st);
    for (size_t off = 0; off < sizeof msg; off += 37)
        cry_hash_update(&st, msg + off,
                        sizeof msg - off < 37 ? sizeof msg - off : 37);
    cry_hash_final(&st, b);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
}

static void test_derive(void)
{
    unsigned char a[16], b[16], c[16], d[16], e[16];

    cry_derive(a, sizeof a, 42, "traffic", 7);
    cry_derive(b, sizeof b, 42, "traffic", 7);
    cry_derive(c, sizeof c, 42, "traffic", 8);
    cry_derive(d, sizeof d, 42, "topology", 7);
    cry_derive(e, sizeof e, 43, "traffic", 7);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, d, sizeof a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, e, sizeof a), 0);
}

/* ------------------------------------------------------------- AEADs */

static const cry_aead aeads[] = {CRY_AEAD_CHACHA20POLY1305,
                                 CRY_AEAD_AES256GCM};

/* 1 if this host runs `a`; says so when it does not (AES without AES-NI:
 * the AES cases are skipped there, the ChaCha ones never). */
static int have(cry_aead a)
{
    if (cry_aead_available(a))
        return 1;
    fprintf(stderr, "\n  %s not available on this host: skipped\n",
            cry_aead_name(a));
    CU_ASSERT_EQUAL(a, CRY_AEAD_AES256GCM);   /* ChaCha always runs */
    return 0;
}

static cry_key import_bytes(cry_keystore *ks, const unsigned char *v)
{
    unsigned char b[CRY_KEY_BYTES];
    cry_key k;

    memcpy(b, v, sizeof b);
    k = cry_key_import(ks, b);
    sodium_memzero(b, sizeof b);
    return k;
}

/* The GCM specification's test case 16 (McGrew & Viega; NIST's
 * gcmEncryptExtIV256 vectors): 256-bit key, 96-bit IV, 20 bytes of AAD,
 * 60 bytes of plaintext. */
static const unsigned char gcm_key[32] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94,
    0x67, 0x30, 0x83, 0x08, 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
    0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
static const unsigned char gcm_pt[60] = {
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5,
    0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
    0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95,
    0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
    0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39};
static const unsigned char gcm_aad[20] = {
    0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce,
    0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2};
static const unsigned char gcm_ct[60 + 16] = {
    0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3,
    0x2a, 0x84, 0x42, 0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9,
    0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55, 0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48,
    0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56, 0x82, 0x88, 0x38,
    0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
    /* tag */
    0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53,
    0xbb, 0x2d, 0x55, 0x1b};
/* IV ca fe ba be | fa ce db ad de ca f8 88: sender and counter, LE. */
#define GCM_SENDER  UINT32_C(0xbebafeca)
#define GCM_COUNTER UINT64_C(0x88f8cadeaddbcefa)

static void test_aead_names(void)
{
    CU_ASSERT_STRING_EQUAL(cry_aead_name(CRY_AEAD_CHACHA20POLY1305),
                           "chacha20poly1305");
    CU_ASSERT_STRING_EQUAL(cry_aead_name(CRY_AEAD_AES256GCM), "aes256gcm");
    CU_ASSERT_EQUAL(cry_aead_available(CRY_AEAD_CHACHA20POLY1305), 1);
    CU_ASSERT_EQUAL(cry_aead_available(CRY_AEAD_COUNT), 0);
}

/* Our nonce layout and seal give the published AES-256-GCM ciphertext and
 * tag, and the store says which cipher it has. */
static void test_aead_gcm_vector(void)
{
    unsigned char c[sizeof gcm_ct], m[sizeof gcm_pt];
    cry_keystore *ks;
    cry_key k;

    if (!have(CRY_AEAD_AES256GCM))
        return;
    ks = cry_keystore_new_aead(16, CRY_AEAD_AES256GCM);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    CU_ASSERT_EQUAL(cry_keystore_aead(ks), CRY_AEAD_AES256GCM);
    k = import_bytes(ks, gcm_key);
    CU_ASSERT_EQUAL(cry_seal(ks, k, GCM_SENDER, GCM_COUNTER, gcm_aad,
                             sizeof gcm_aad, gcm_pt, sizeof gcm_pt, c, NULL),
                    0);
    CU_ASSERT_EQUAL(memcmp(c, gcm_ct, sizeof gcm_ct), 0);
    CU_ASSERT_EQUAL(cry_open(ks, k, GCM_SENDER, GCM_COUNTER, gcm_aad,
                             sizeof gcm_aad, gcm_ct, sizeof gcm_ct, m, NULL),
                    0);
    CU_ASSERT_EQUAL(memcmp(m, gcm_pt, sizeof m), 0);
    cry_keystore_free(ks);
}

/* For each cipher: seal then open (also in place) gives the message back
 * with the same wire size (message + 16-byte tag) and counts one seal and
 * one open of the message's bytes; a flipped bit anywhere in the
 * ciphertext, the tag or the associated data, another key, another sender
 * or another counter is refused and the output wiped. */
static void test_aead_round_trip_and_refusals(void)
{
    for (size_t ai = 0; ai < sizeof aeads / sizeof aeads[0]; ai++) {
        const cry_aead a = aeads[ai];
        unsigned char msg[64], ad[12], c[sizeof msg + CRY_TAG_BYTES];
        unsigned char bad[sizeof c], m[sizeof msg], buf[sizeof c];
        unsigned char zero[sizeof msg] = {0};
        cry_ops ops;
        cry_keystore *ks;
        cry_key k, other;

        if (!have(a))
            continue;
        ks = cry_keystore_new_aead(21, a);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
        CU_ASSERT_EQUAL(cry_keystore_aead(ks), a);
        memset(&ops, 0, sizeof ops);
        for (size_t i = 0; i < sizeof msg; i++)
            msg[i] = (unsigned char)(3 * i + 1);
        for (size_t i = 0; i < sizeof ad; i++)
            ad[i] = (unsigned char)(0xa0 + i);
        k = cry_key_generate(ks, 1, 0, NULL);
        other = cry_key_generate(ks, 1, 1, NULL);
        CU_ASSERT_EQUAL(cry_seal(ks, k, 5, 0, ad, sizeof ad, msg, sizeof msg,
                                 c, &ops), 0);
        CU_ASSERT_NOT_EQUAL(memcmp(c, msg, sizeof msg), 0);
        CU_ASSERT_EQUAL(cry_open(ks, k, 5, 0, ad, sizeof ad, c, sizeof c, m,
                                 &ops), 0);
        CU_ASSERT_EQUAL(memcmp(m, msg, sizeof msg), 0);
        CU_ASSERT_EQUAL(ops.n[CRY_OP_SEAL], 1);
        CU_ASSERT_EQUAL(ops.n[CRY_OP_OPEN], 1);
        CU_ASSERT_EQUAL(ops.bytes[CRY_OP_SEAL], sizeof msg);
        CU_ASSERT_EQUAL(ops.bytes[CRY_OP_OPEN], sizeof msg);

        /* In place, as the wire seals a control part. */
        memcpy(buf, msg, sizeof msg);
        CU_ASSERT_EQUAL(cry_seal(ks, k, 5, 1, ad, sizeof ad, buf, sizeof msg,
                                 buf, NULL), 0);
        CU_ASSERT_EQUAL(cry_open(ks, k, 5, 1, ad, sizeof ad, buf, sizeof buf,
                                 buf, NULL), 0);
        CU_ASSERT_EQUAL(memcmp(buf, msg, sizeof msg), 0);

        /* Tampering: every byte of ciphertext and tag, one bit each. */
        for (size_t i = 0; i < sizeof c; i++) {
            memcpy(bad, c, sizeof c);
            bad[i] ^= (unsigned char)(1u << (i % 8));
            memset(m, 0x55, sizeof m);
            CU_ASSERT_EQUAL(cry_open(ks, k, 5, 0, ad, sizeof ad, bad,
                                     sizeof bad, m, NULL), -1);
            CU_ASSERT_EQUAL(memcmp(m, zero, sizeof m), 0);
        }
        ad[3] ^= 0x10;                          /* associated data */
        CU_ASSERT_EQUAL(cry_open(ks, k, 5, 0, ad, sizeof ad, c, sizeof c, m,
                                 NULL), -1);
        ad[3] ^= 0x10;
        CU_ASSERT_EQUAL(cry_open(ks, k, 5, 0, ad, sizeof ad - 1, c, sizeof c,
                                 m, NULL), -1);
        CU_ASSERT_EQUAL(cry_open(ks, k, 5, 0, ad, sizeof ad, c,
                                 sizeof c - 1, m, NULL), -1);  /* cut */
        /* Wrong key, wrong sender, wrong counter. */
        CU_ASSERT_EQUAL(cry_open(ks, other, 5, 0, ad, sizeof ad, c, sizeof c,
                                 m, NULL), -1);
        CU_ASSERT_EQUAL(memcmp(m, zero, sizeof m), 0);
        CU_ASSERT_EQUAL(cry_open(ks, k, 6, 0, ad, sizeof ad, c, sizeof c, m,
                                 NULL), -1);
        CU_ASSERT_EQUAL(cry_open(ks, k, 5, 1, ad, sizeof ad, c, sizeof c, m,
                                 NULL), -1);
        /* The original still opens: nothing above changed the store. */
        CU_ASSERT_EQUAL(cry_open(ks, k, 5, 0, ad, sizeof ad, c, sizeof c, m,
                                 NULL), 0);
        CU_ASSERT_EQUAL(memcmp(m, msg, sizeof msg), 0);
        /* A repeated nonce is refused whatever the cipher. */
        CU_ASSERT_EQUAL(cry_seal(ks, k, 5, 1, ad, sizeof ad, msg, sizeof msg,
                                 c, NULL), -1);
        cry_keystore_free(ks);
    }
}

/* The two ciphers really differ: the same key value, nonce and message
 * give different ciphertexts of the same length, and one store refuses
 * the other's ciphertext. */
static void test_aead_ciphers_differ(void)
{
    cry_keystore *ch, *ae;
    unsigned char v[CRY_KEY_BYTES], msg[40], c1[sizeof msg + CRY_TAG_BYTES];
    unsigned char c2[sizeof c1], m[sizeof msg];
    cry_key k1, k2;

    if (!have(CRY_AEAD_AES256GCM))
        return;
    ch = cry_keystore_new_aead(3, CRY_AEAD_CHACHA20POLY1305);
    ae = cry_keystore_new_aead(3, CRY_AEAD_AES256GCM);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ae);
    CU_ASSERT_EQUAL(cry_keystore_aead(ch), CRY_AEAD_CHACHA20POLY1305);
    memset(msg, 0x42, sizeof msg);
    k1 = cry_key_generate(ch, 9, 0, NULL);
    cry_key_export(ch, k1, v);
    k2 = cry_key_import(ae, v);
    sodium_memzero(v, sizeof v);
    CU_ASSERT_EQUAL(cry_key_equal_in(ch, k1, ae, k2), 1);
    CU_ASSERT_EQUAL(cry_seal(ch, k1, 1, 0, NULL, 0, msg, sizeof msg, c1,
                             NULL), 0);
    CU_ASSERT_EQUAL(cry_seal(ae, k2, 1, 0, NULL, 0, msg, sizeof msg, c2,
                             NULL), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(c1, c2, sizeof c1), 0);
    CU_ASSERT_EQUAL(cry_open(ae, k2, 1, 0, NULL, 0, c1, sizeof c1, m, NULL),
                    -1);
    CU_ASSERT_EQUAL(cry_open(ch, k1, 1, 0, NULL, 0, c2, sizeof c2, m, NULL),
                    -1);
    CU_ASSERT_EQUAL(cry_open(ae, k2, 1, 0, NULL, 0, c2, sizeof c2, m, NULL),
                    0);
    cry_keystore_free(ch);
    cry_keystore_free(ae);
}

/* Where the CPU lacks AES-NI (simulated by the test switch) no AES store
 * is made; ChaCha is unaffected; the switch restores the real answer. */
static void test_aead_unavailable(void)
{
    int real = cry_aead_available(CRY_AEAD_AES256GCM);
    cry_keystore *ks;

    cry_aead_hide_aes_for_tests(1);
    CU_ASSERT_EQUAL(cry_aead_available(CRY_AEAD_AES256GCM), 0);
    CU_ASSERT_PTR_NULL(cry_keystore_new_aead(1, CRY_AEAD_AES256GCM));
    ks = cry_keystore_new_aead(1, CRY_AEAD_CHACHA20POLY1305);
    CU_ASSERT_PTR_NOT_NULL(ks);
    cry_keystore_free(ks);
    cry_aead_hide_aes_for_tests(0);
    CU_ASSERT_EQUAL(cry_aead_available(CRY_AEAD_AES256GCM), real);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("cry", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_blake2b_vectors);
    CUTEST_ADD(s, test_streaming_equals_oneshot);
    CUTEST_ADD(s, test_derive);
    CUTEST_ADD(s, test_aead_names);
    CUTEST_ADD(s, test_aead_gcm_vector);
    CUTEST_ADD(s, test_aead_round_trip_and_refusals);
    CUTEST_ADD(s, test_aead_ciphers_differ);
    CUTEST_ADD(s, test_aead_unavailable);
    return 0;
}

CUTEST_MAIN(register_tests)
