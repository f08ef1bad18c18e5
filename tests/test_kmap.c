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

/* kmap_list: one first key's entries, or all, sorted whatever the
 * insertion order. */
static void test_list(void)
{
    kmap m;
    kmap_slot *l;
    size_t n;

    kmap_init(&m);
    for (uint64_t i = 0; i < 300; i++)
        kmap_put(&m, (i * 7919) % 5, (i * 104729) % 1000, i);
    n = kmap_list(&m, 3, &l);
    CU_ASSERT_EQUAL(n, 60);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(l[i].a, 3);
        CU_ASSERT_EQUAL(*kmap_get(&m, 3, l[i].b), l[i].v);
        if (i)
            CU_ASSERT(l[i - 1].b < l[i].b);
    }
    free(l);
    n = kmap_list(&m, KMAP_ANY, &l);
    CU_ASSERT_EQUAL(n, 300);
    for (size_t i = 1; i < n; i++)
        CU_ASSERT(l[i - 1].a < l[i].a ||
                  (l[i - 1].a == l[i].a && l[i - 1].b < l[i].b));
    free(l);
    CU_ASSERT_EQUAL(kmap_list(&m, 9, &l), 0);
    CU_ASSERT(l == NULL);
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
    CUTEST_ADD(s, test_list);
    return 0;
}

CUTEST_MAIN(register_tests)
