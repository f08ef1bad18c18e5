/* test_kmap.c — the pair-keyed hash map against a reference array under
 * random inserts, replacements and deletions (backward-shift deletion is
 * the easy thing to get wrong). */
#include <stdlib.h>
#include "cutest.h"
#include "kmap.h"

static void test_basic(void)
{
    kmap m;
    kmap_init(&m);
    CU_ASSERT_PTR_NULL(kmap_get(&m, 1, 2));
    kmap_put(&m, 1, 2, 10);
    kmap_put(&m, 2, 1, 20);
    CU_ASSERT_EQUAL(*kmap_get(&m, 1, 2), 10);
    CU_ASSERT_EQUAL(*kmap_get(&m, 2, 1), 20);
    kmap_put(&m, 1, 2, 11);
    CU_ASSERT_EQUAL(*kmap_get(&m, 1, 2), 11);
    CU_ASSERT_EQUAL(m.n, 2);
    CU_ASSERT_EQUAL(kmap_del(&m, 1, 2), 1);
    CU_ASSERT_EQUAL(kmap_del(&m, 1, 2), 0);
    CU_ASSERT_PTR_NULL(kmap_get(&m, 1, 2));
    CU_ASSERT_EQUAL(*kmap_get(&m, 2, 1), 20);
    kmap_deinit(&m);
    kmap_deinit(&m);
}

static void test_random_against_reference(void)
{
    enum { KEYS = 3000, OPS = 200000 };
    static uint64_t ref[KEYS];
    static int present[KEYS];
    kmap m;
    unsigned s = 12345;

    kmap_init(&m);
    for (int op = 0; op < OPS; op++) {
        unsigned k;
        s = s * 1103515245u + 12345u;
        k = (s >> 8) % KEYS;
        if ((s >> 4) % 3 == 0) {
            CU_ASSERT_EQUAL(kmap_del(&m, k % 7, k), present[k]);
            present[k] = 0;
        } else {
            ref[k] = s;
            present[k] = 1;
            kmap_put(&m, k % 7, k, s);
        }
        if (op % 10000 == 0) {
            size_t n = 0;
            for (unsigned i = 0; i < KEYS; i++) {
                uint64_t *v = kmap_get(&m, i % 7, i);
                n += present[i];
                CU_ASSERT_EQUAL(v != NULL, present[i]);
                if (v && present[i])
                    CU_ASSERT_EQUAL(*v, ref[i]);
            }
            CU_ASSERT_EQUAL(m.n, n);
        }
    }
    kmap_deinit(&m);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("kmap", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_basic);
    CUTEST_ADD(s, test_random_against_reference);
    return 0;
}

CUTEST_MAIN(register_tests)
