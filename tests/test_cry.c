/* test_cry.c — the crypto layer's hashing against published BLAKE2b
 * vectors, streaming vs one-shot, and sub-seed derivation. */
#include <string.h>
#include "cutest.h"
#include "cry.h"

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

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("cry", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_blake2b_vectors);
    CUTEST_ADD(s, test_streaming_equals_oneshot);
    CUTEST_ADD(s, test_derive);
    return 0;
}

CUTEST_MAIN(register_tests)
