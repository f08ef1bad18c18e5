/* test_kmap.c — the pair-keyed hash map, and the per-owner maps (kmapn),
 * against reference arrays under random inserts, replacements and
 * deletions (backward-shift deletion is the easy thing to get wrong). */
#include <stdlib.h>
#include <string.h>
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

/* ---- kmapn: one small map per owner in one arena ---- */

static void test_n_basic(void)
{
    kmapn m;
    kmapn_slot *l;

    kmapn_init(&m, 3);
    /* An owner with no block: every call answers "absent". */
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 0, 0));
    CU_ASSERT_EQUAL(kmapn_del(&m, 0, 0), 0);
    CU_ASSERT_EQUAL(kmapn_count(&m, 0), 0);
    CU_ASSERT_EQUAL(kmapn_list(&m, 0, &l), 0);
    CU_ASSERT_PTR_NULL(l);
    /* Key 0 and the largest key allowed are ordinary keys; the same key
     * under two owners is two entries. */
    CU_ASSERT_EQUAL(kmapn_put(&m, 1, 0, 10), 1);
    CU_ASSERT_EQUAL(kmapn_put(&m, 1, KMAPN_FREE - 1, 11), 1);
    CU_ASSERT_EQUAL(kmapn_put(&m, 2, 0, 20), 1);
    CU_ASSERT_EQUAL(kmapn_put(&m, 1, 0, 12), 0);        /* replaced */
    CU_ASSERT_EQUAL(*kmapn_get(&m, 1, 0), 12);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 1, KMAPN_FREE - 1), 11);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 2, 0), 20);
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 0, 0));
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 2, KMAPN_FREE - 1));
    CU_ASSERT_EQUAL(kmapn_count(&m, 1), 2);
    CU_ASSERT_EQUAL(kmapn_size(&m), 3);
    CU_ASSERT_EQUAL(kmapn_del(&m, 1, 0), 1);
    CU_ASSERT_EQUAL(kmapn_del(&m, 1, 0), 0);
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 1, 0));
    CU_ASSERT_EQUAL(*kmapn_get(&m, 2, 0), 20);
    CU_ASSERT_EQUAL(kmapn_size(&m), 2);
    /* Emptied, then filled again. */
    CU_ASSERT_EQUAL(kmapn_del(&m, 1, KMAPN_FREE - 1), 1);
    CU_ASSERT_EQUAL(kmapn_count(&m, 1), 0);
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 1, KMAPN_FREE - 1));
    CU_ASSERT_EQUAL(kmapn_put(&m, 1, 5, 50), 1);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 1, 5), 50);
    CU_ASSERT(kmapn_bytes(&m) >= 3 * sizeof(kmapn_head) +
                                 8 * sizeof(kmapn_slot));
    kmapn_deinit(&m);
    kmapn_deinit(&m);
}

/* Growth: an owner's block doubles at three quarters, the entries stay
 * (neighbours' blocks untouched); the block it left is reused by the next
 * owner that grows to that size, not taken from the arena's top. */
static void test_n_grow_reuse(void)
{
    kmapn m;
    size_t top;

    kmapn_init(&m, 4);
    kmapn_put(&m, 0, 100, 1);
    kmapn_put(&m, 1, 200, 2);
    CU_ASSERT_EQUAL(m.head[0].lg, KMAPN_MIN_LG);
    for (uint64_t i = 0; i < 2; i++)
        kmapn_put(&m, 0, i, i);
    CU_ASSERT_EQUAL(m.head[0].lg, KMAPN_MIN_LG);       /* 3 of 4 */
    kmapn_put(&m, 0, 2, 2);
    CU_ASSERT_EQUAL(m.head[0].lg, KMAPN_MIN_LG + 1);   /* 4 of 8 */
    for (uint64_t i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(*kmapn_get(&m, 0, i), i);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 0, 100), 1);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 1, 200), 2);
    top = m.ar[0].top;
    kmapn_put(&m, 2, 7, 7);             /* a 4-slot block: the one left */
    CU_ASSERT_EQUAL(m.ar[0].top, top);
    CU_ASSERT_EQUAL(m.head[2].off, 0);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 2, 7), 7);
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 0, 7));
    kmapn_put(&m, 3, 7, 8);             /* no free block left: the top */
    CU_ASSERT(m.ar[0].top > top);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 3, 7), 8);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 2, 7), 7);
    kmapn_deinit(&m);
}

/* Many owners of very different sizes (an SO with thousands of keys
 * beside nodes with a few) against a reference, under random puts,
 * replacements and deletions; lists sorted by key. */
static void test_n_random_against_reference(void)
{
    enum { OWNERS = 37, KEYS = 4000, OPS = 200000 };
    static uint64_t ref[KEYS];
    static int present[KEYS];
    kmapn m;
    unsigned s = 4242;

    kmapn_init(&m, OWNERS);
    for (int op = 0; op < OPS; op++) {
        unsigned k, o;
        uint64_t key;
        s = s * 1103515245u + 12345u;
        k = (s >> 8) % KEYS;
        /* Owner 0 gets half the keys; names are sequential per owner
         * (as K_incr) with a high bit set for some (as global names). */
        o = k % 2 ? 0 : 1 + k % (OWNERS - 1);
        key = (uint64_t)k | (k % 5 == 0 ? 1ull << 63 : 0);
        if ((s >> 4) % 3 == 0) {
            CU_ASSERT_EQUAL(kmapn_del(&m, o, key), present[k]);
            present[k] = 0;
        } else {
            CU_ASSERT_EQUAL(kmapn_put(&m, o, key, s), !present[k]);
            ref[k] = s;
            present[k] = 1;
        }
        if (op % 20000 == 0 || op == OPS - 1) {
            size_t n = 0, per[OWNERS] = {0};
            for (unsigned i = 0; i < KEYS; i++) {
                unsigned oi = i % 2 ? 0 : 1 + i % (OWNERS - 1);
                uint64_t ki = (uint64_t)i | (i % 5 == 0 ? 1ull << 63 : 0);
                uint64_t *v = kmapn_get(&m, oi, ki);
                n += present[i];
                per[oi] += present[i];
                CU_ASSERT_EQUAL(v != NULL, present[i]);
                if (v && present[i])
                    CU_ASSERT_EQUAL(*v, ref[i]);
            }
            CU_ASSERT_EQUAL(kmapn_size(&m), n);
            CU_ASSERT(kmapn_sane(&m));
            for (unsigned oi = 0; oi < OWNERS; oi++) {
                kmapn_slot *l;
                size_t c = kmapn_list(&m, oi, &l);
                CU_ASSERT_EQUAL(kmapn_count(&m, oi), per[oi]);
                CU_ASSERT_EQUAL(c, per[oi]);
                for (size_t j = 1; j < c; j++)
                    CU_ASSERT(l[j - 1].k < l[j].k);
                free(l);
            }
        }
    }
    kmapn_deinit(&m);
}

/* kmapn_reserve: the block is made at once at the size n entries need
 * (three quarters full at most), puts up to n do not grow it, a smaller
 * reserve or 0 changes nothing, and a reserve over present entries keeps
 * them (re-placed in the bigger block). */
static void test_n_reserve(void)
{
    kmapn m;
    size_t top;
    uint32_t off;

    kmapn_init(&m, 3);
    kmapn_reserve(&m, 0, 0);
    CU_ASSERT_EQUAL(m.head[0].lg, 0);                  /* nothing made */
    CU_ASSERT_EQUAL(m.ar[0].top, 0);
    kmapn_reserve(&m, 0, 11);
    CU_ASSERT_EQUAL(m.head[0].lg, 4);                  /* 11 of 16 */
    CU_ASSERT_EQUAL(m.head[0].n, 0);
    CU_ASSERT(kmapn_sane(&m));
    top = m.ar[0].top;
    off = m.head[0].off;
    for (uint64_t i = 0; i < 11; i++)
        CU_ASSERT_EQUAL(kmapn_put(&m, 0, 100 + i, i), 1);
    CU_ASSERT_EQUAL(m.head[0].lg, 4);                  /* not grown */
    CU_ASSERT_EQUAL(m.head[0].off, off);
    CU_ASSERT_EQUAL(m.ar[0].top, top);
    kmapn_reserve(&m, 0, 3);                           /* never shrinks */
    CU_ASSERT_EQUAL(m.head[0].lg, 4);
    kmapn_put(&m, 0, 200, 7);                          /* 12 of 16 */
    CU_ASSERT_EQUAL(m.head[0].lg, 4);
    kmapn_put(&m, 0, 201, 8);                          /* 13: grows */
    CU_ASSERT_EQUAL(m.head[0].lg, 5);
    /* Over present entries: 3 of 4, then room for 7 (an 8-block is not
     * enough for 7: 28 > 24). */
    for (uint64_t i = 0; i < 3; i++)
        kmapn_put(&m, 1, i, 10 + i);
    CU_ASSERT_EQUAL(m.head[1].lg, KMAPN_MIN_LG);
    kmapn_reserve(&m, 1, 7);
    CU_ASSERT_EQUAL(m.head[1].lg, 4);
    for (uint64_t i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(*kmapn_get(&m, 1, i), 10 + i);
    for (uint64_t i = 0; i < 11; i++)
        CU_ASSERT_EQUAL(*kmapn_get(&m, 0, 100 + i), i);
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 2, 0));
    CU_ASSERT(kmapn_sane(&m));
    kmapn_deinit(&m);
}

/* A block left by a grown table serves smaller ones, split in halves:
 * an owner's 64-slot block freed when it grows to 256 holds sixteen
 * 4-slot blocks of other owners, all inside it, disjoint, the arena's
 * top unchanged; the seventeenth comes from the top. */
static void test_n_split(void)
{
    enum { SMALL = 16 };
    kmapn m;
    size_t top;
    uint32_t big;
    int used[64] = {0};

    kmapn_init(&m, 2 + SMALL);
    kmapn_reserve(&m, 0, 40);
    CU_ASSERT_EQUAL(m.head[0].lg, 6);
    big = m.head[0].off;
    kmapn_put(&m, 0, 1, 1);
    kmapn_reserve(&m, 0, 100);                         /* frees the 64 */
    CU_ASSERT_EQUAL(m.head[0].lg, 8);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 0, 1), 1);
    top = m.ar[0].top;
    for (uint32_t o = 1; o <= SMALL; o++) {
        uint32_t off;
        kmapn_put(&m, o, 5, o);
        off = m.head[o].off;
        CU_ASSERT_EQUAL(m.head[o].lg, KMAPN_MIN_LG);
        CU_ASSERT(off >= big && off + 4 <= big + 64);
        if (off >= big && off + 4 <= big + 64) {
            for (uint32_t i = off - big; i < off - big + 4; i++) {
                CU_ASSERT_EQUAL(used[i], 0);           /* disjoint */
                used[i] = 1;
            }
        }
    }
    CU_ASSERT_EQUAL(m.ar[0].top, top);
    kmapn_put(&m, SMALL + 1, 5, 99);                   /* none free: top */
    CU_ASSERT_EQUAL(m.ar[0].top, top + 4);
    for (uint32_t o = 1; o <= SMALL + 1; o++)
        CU_ASSERT_EQUAL(*kmapn_get(&m, o, 5), o <= SMALL ? o : 99);
    CU_ASSERT_EQUAL(*kmapn_get(&m, 0, 1), 1);
    CU_ASSERT(kmapn_sane(&m));
    kmapn_deinit(&m);
}

/* Arena growth by half: reserved slots never exceed half again the used
 * ones (beyond the first 1024), while owners grow one key at a time. */
static void test_n_arena_growth(void)
{
    kmapn m;
    int ok = 1;

    kmapn_init(&m, 1000);
    for (uint64_t i = 0; i < 20000; i++) {
        kmapn_put(&m, (uint32_t)(i * 7919 % 1000), i, i);
        if (m.ar[0].cap > 1024 && 2 * m.ar[0].cap > 3 * m.ar[0].top)
            ok = 0;
    }
    CU_ASSERT(ok);
    CU_ASSERT(m.ar[0].cap >= m.ar[0].top);
    CU_ASSERT_EQUAL(kmapn_size(&m), 20000);
    CU_ASSERT(kmapn_sane(&m));
    kmapn_deinit(&m);
}

/* A key whose filter bit is `bit`, from `from` upwards. */
static uint64_t key_with_bit(uint64_t from, uint32_t bit)
{
    while (kmapn_fbit(from) != bit)
        from++;
    return from;
}

/* The head's filter: a key's bit is set while it is there, a get of a key
 * whose bit is clear says absent (a key sharing a present key's bit is
 * found absent by probing), a delete recounts the bits of a small block
 * and of an emptied one and leaves a big block's (a superset), and
 * kmapn_sane notices a filter that hides a key and a wrong count. */
static void test_n_filter(void)
{
    kmapn m;
    uint64_t a = 1000, b, c, k[20];
    uint32_t bits = 0;

    kmapn_init(&m, 2);
    CU_ASSERT_EQUAL(m.head[0].filt, 0);
    CU_ASSERT(kmapn_sane(&m));
    kmapn_put(&m, 0, a, 1);
    CU_ASSERT_EQUAL(m.head[0].filt, kmapn_fbit(a));
    b = key_with_bit(a + 1, kmapn_fbit(a));            /* same bit */
    c = a + 1;
    while (kmapn_fbit(c) == kmapn_fbit(a))
        c++;                                           /* another bit */
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 0, b));           /* probed */
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 0, c));           /* filtered */
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 1, a));
    kmapn_put(&m, 0, c, 2);
    CU_ASSERT_EQUAL(m.head[0].filt, kmapn_fbit(a) | kmapn_fbit(c));
    CU_ASSERT_EQUAL(*kmapn_get(&m, 0, c), 2);
    /* Small block: the deleted key's bit goes. */
    CU_ASSERT_EQUAL(kmapn_del(&m, 0, a), 1);
    CU_ASSERT_EQUAL(m.head[0].filt, kmapn_fbit(c));
    CU_ASSERT(kmapn_sane(&m));
    CU_ASSERT_EQUAL(kmapn_del(&m, 0, c), 1);
    CU_ASSERT_EQUAL(m.head[0].filt, 0);                /* emptied */
    CU_ASSERT(m.head[0].lg != 0);                      /* block kept */
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 0, c));
    CU_ASSERT(kmapn_sane(&m));
    /* Big block (2^5 slots for 20 keys): a delete leaves the bits. */
    for (int i = 0; i < 20; i++) {
        k[i] = 5000 + 7 * (uint64_t)i;
        kmapn_put(&m, 1, k[i], (uint64_t)i);
        bits |= kmapn_fbit(k[i]);
    }
    CU_ASSERT(m.head[1].lg > KMAPN_REFILT_LG);
    CU_ASSERT_EQUAL(m.head[1].filt, bits);
    for (int i = 0; i < 19; i++)
        CU_ASSERT_EQUAL(kmapn_del(&m, 1, k[i]), 1);
    CU_ASSERT_EQUAL(m.head[1].filt, bits);             /* superset */
    CU_ASSERT(kmapn_sane(&m));
    for (int i = 0; i < 19; i++)
        CU_ASSERT_PTR_NULL(kmapn_get(&m, 1, k[i]));
    CU_ASSERT_EQUAL(*kmapn_get(&m, 1, k[19]), 19);
    CU_ASSERT_EQUAL(kmapn_del(&m, 1, k[19]), 1);
    CU_ASSERT_EQUAL(m.head[1].filt, 0);
    /* The checker fails on a filter hiding a key, on a wrong count. */
    kmapn_put(&m, 1, a, 3);
    CU_ASSERT(kmapn_sane(&m));
    m.head[1].filt &= ~kmapn_fbit(a);
    CU_ASSERT_FALSE(kmapn_sane(&m));
    CU_ASSERT_PTR_NULL(kmapn_get(&m, 1, a));  /* what it would cause */
    m.head[1].filt |= kmapn_fbit(a);
    m.head[1].n++;
    CU_ASSERT_FALSE(kmapn_sane(&m));
    m.head[1].n--;
    CU_ASSERT(kmapn_sane(&m));
    kmapn_deinit(&m);
}

/* Partitions (kmapn_set_parts, --threads 2): each owner's block lies in
 * its partition's arena; puts, replacements and deletions of owners of
 * one partition never touch the other's arena (its slots, size, free
 * lists: the bytes two threads would share), and every owner's entries
 * equal a reference whatever arena they are in. */
static void test_n_parts(void)
{
    enum { OWNERS = 24, KEYS = 3000, OPS = 60000 };
    static uint64_t ref[KEYS];
    static int present[KEYS];
    uint8_t part[OWNERS];
    kmapn m;
    unsigned s = 99;

    for (unsigned o = 0; o < OWNERS; o++)
        part[o] = (uint8_t)(o % 3 == 1);
    kmapn_init(&m, OWNERS);
    kmapn_set_parts(&m, part);
    for (int op = 0; op < OPS; op++) {
        unsigned k, o;
        uint64_t key;
        kmapn_arena other;
        size_t other_bytes;
        s = s * 1103515245u + 12345u;
        k = (s >> 8) % KEYS;
        o = k % OWNERS;
        key = (uint64_t)k * 31 + 5;
        /* the other partition's arena, byte for byte */
        other = m.ar[!part[o]];
        other_bytes = other.top * sizeof *other.slot;
        {
            kmapn_slot *copy = malloc(other_bytes ? other_bytes : 1);
            CU_ASSERT_FATAL(copy != NULL);
            if (other_bytes)
                memcpy(copy, other.slot, other_bytes);
            if ((s >> 4) % 3 == 0) {
                CU_ASSERT_EQUAL(kmapn_del(&m, o, key), present[k]);
                present[k] = 0;
            } else {
                CU_ASSERT_EQUAL(kmapn_put(&m, o, key, s), !present[k]);
                ref[k] = s;
                present[k] = 1;
            }
            CU_ASSERT_EQUAL(memcmp(&other, &m.ar[!part[o]], sizeof other),
                            0);
            CU_ASSERT(other_bytes == 0 ||
                      memcmp(copy, m.ar[!part[o]].slot, other_bytes) == 0);
            free(copy);
        }
    }
    {
        size_t n[2] = {0, 0};
        for (unsigned i = 0; i < KEYS; i++) {
            uint64_t *v = kmapn_get(&m, i % OWNERS, (uint64_t)i * 31 + 5);
            CU_ASSERT_EQUAL(v != NULL, present[i]);
            if (v && present[i])
                CU_ASSERT_EQUAL(*v, ref[i]);
            n[part[i % OWNERS]] += present[i];
        }
        CU_ASSERT_EQUAL(m.ar[0].n, n[0]);
        CU_ASSERT_EQUAL(m.ar[1].n, n[1]);
        CU_ASSERT_EQUAL(kmapn_size(&m), n[0] + n[1]);
        CU_ASSERT(m.ar[1].top > 0 && m.ar[0].top > 0);
        for (unsigned o = 0; o < OWNERS; o++)
            CU_ASSERT_EQUAL(m.head[o].part, part[o]);
    }
    CU_ASSERT(kmapn_sane(&m));
    m.head[1].part = 0;                 /* a block outside its arena */
    CU_ASSERT_FALSE(kmapn_sane(&m));
    m.head[1].part = 1;
    CU_ASSERT(kmapn_sane(&m));
    CU_ASSERT(kmapn_bytes(&m) >= (m.ar[0].cap + m.ar[1].cap) *
                                     sizeof(kmapn_slot));
    kmapn_deinit(&m);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("kmap", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_basic);
    CUTEST_ADD(s, test_random_against_reference);
    CUTEST_ADD(s, test_list);
    s = CU_add_suite("kmapn", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_n_basic);
    CUTEST_ADD(s, test_n_grow_reuse);
    CUTEST_ADD(s, test_n_random_against_reference);
    CUTEST_ADD(s, test_n_filter);
    CUTEST_ADD(s, test_n_reserve);
    CUTEST_ADD(s, test_n_split);
    CUTEST_ADD(s, test_n_arena_growth);
    CUTEST_ADD(s, test_n_parts);
    return 0;
}

CUTEST_MAIN(register_tests)
