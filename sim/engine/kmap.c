/* kmap.c — open addressing with linear probing and backward-shift
 * deletion.  The hash is a fixed mix of the two keys (splitmix64
 * finaliser), independent of addresses, so behaviour is reproducible. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "kmap.h"
#include "util.h"

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t z = a * 0x9e3779b97f4a7c15u ^ (b + 0x632be59bd9b4e019u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void kmap_init(kmap *m)
{
    memset(m, 0, sizeof *m);
}

void kmap_deinit(kmap *m)
{
    free(m->slot);
    memset(m, 0, sizeof *m);
}

static kmap_slot *find(const kmap *m, uint64_t a, uint64_t b)
{
    size_t mask = m->cap - 1, i = mix(a, b) & mask;
    for (;;) {
        kmap_slot *s = &m->slot[i];
        if (s->a == KMAP_FREE || (s->a == a && s->b == b))
            return s;
        i = (i + 1) & mask;
    }
}

#ifdef KMSIM_LOCALITY
#define OWNER_CHECK(m, a)                                                    \
    do {                                                                     \
        if ((m)->own)                                                        \
            (m)->own((m)->own_ctx, (a), (m)->own_name,                       \
                     __builtin_return_address(0));                           \
    } while (0)

void kmap_set_owner(kmap *m, kmap_owner_fn fn, void *ctx, const char *name)
{
    m->own = fn;
    m->own_ctx = ctx;
    m->own_name = name;
}
#else
#define OWNER_CHECK(m, a) ((void)0)
#endif

uint64_t *kmap_get(const kmap *m, uint64_t a, uint64_t b)
{
    kmap_slot *s;

    OWNER_CHECK(m, a);
    if (m->cap == 0)
        return NULL;
    s = find(m, a, b);
    return s->a != KMAP_FREE ? &s->v : NULL;
}

static void grow(kmap *m)
{
    kmap_slot *old = m->slot;
    size_t oldcap = m->cap;

    m->cap = oldcap ? 2 * oldcap : 16;
    m->slot = xreallocarray(NULL, m->cap, sizeof *m->slot);
    memset(m->slot, 0xff, m->cap * sizeof *m->slot);    /* all KMAP_FREE */
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].a != KMAP_FREE)
            *find(m, old[i].a, old[i].b) = old[i];
    free(old);
}

void kmap_put(kmap *m, uint64_t a, uint64_t b, uint64_t v)
{
    kmap_slot *s;

    assert(a != KMAP_FREE);
    OWNER_CHECK(m, a);
    if (4 * (m->n + 1) > 3 * m->cap)
        grow(m);
    s = find(m, a, b);
    if (s->a == KMAP_FREE) {
        s->a = a;
        s->b = b;
        m->n++;
    }
    s->v = v;
}

int kmap_del(kmap *m, uint64_t a, uint64_t b)
{
    size_t mask, i, j;

    OWNER_CHECK(m, a);
    if (m->cap == 0)
        return 0;
    mask = m->cap - 1;
    i = (size_t)(find(m, a, b) - m->slot);
    if (m->slot[i].a == KMAP_FREE)
        return 0;
    /* Backward shift: move later entries of the cluster into the hole
     * when their home slot is not between the hole and them. */
    for (j = (i + 1) & mask; m->slot[j].a != KMAP_FREE; j = (j + 1) & mask) {
        size_t home = mix(m->slot[j].a, m->slot[j].b) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slot[i] = m->slot[j];
            i = j;
        }
    }
    m->slot[i].a = KMAP_FREE;
    m->n--;
    return 1;
}

static int slot_cmp(const void *x, const void *y)
{
    const kmap_slot *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

size_t kmap_list(const kmap *m, uint64_t a, kmap_slot **out)
{
    kmap_slot *l = NULL;
    size_t n = 0, cap = 0;

    OWNER_CHECK(m, a);

    for (size_t i = 0; i < m->cap; i++) {
        const kmap_slot *s = &m->slot[i];
        if (s->a == KMAP_FREE || (a != KMAP_ANY && s->a != a))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            l = xreallocarray(l, cap, sizeof *l);
        }
        l[n++] = *s;
    }
    if (n > 1)
        qsort(l, n, sizeof *l, slot_cmp);
    *out = l;
    return n;
}

/* ------------------------------------------------------------------------
 * kmapn: per-owner maps in one arena
 * ---------------------------------------------------------------------- */

void kmapn_init(kmapn *m, uint32_t n_owner)
{
    memset(m, 0, sizeof *m);
    m->head = xcalloc(n_owner ? n_owner : 1, sizeof *m->head);
    m->n_owner = n_owner;
}

void kmapn_deinit(kmapn *m)
{
    free(m->head);
    for (int p = 0; p < KMAPN_PARTS; p++)
        free(m->ar[p].slot);
    memset(m, 0, sizeof *m);
}

void kmapn_set_parts(kmapn *m, const uint8_t *part_of)
{
    for (uint32_t o = 0; part_of && o < m->n_owner; o++) {
        assert(part_of[o] < KMAPN_PARTS && !m->head[o].lg);
        m->head[o].part = part_of[o];
    }
}

size_t kmapn_size(const kmapn *m)
{
    size_t n = 0;
    for (int p = 0; p < KMAPN_PARTS; p++)
        n += m->ar[p].n;
    return n;
}

/* Fibonacci hashing: the top lg bits of k times 2^64 / phi spread the
 * sequential names a node holds (K_incr, order numbers) over its block. */
static size_t nhome(uint64_t k, unsigned lg)
{
    return (size_t)((k * 0x9e3779b97f4a7c15u) >> (64 - lg));
}

/* The slot of k in block b of 2^lg slots, or the free slot ending its
 * probe (a block is never full). */
static kmapn_slot *nfind(kmapn_slot *b, unsigned lg, uint64_t k)
{
    size_t mask = ((size_t)1 << lg) - 1, i = nhome(k, lg);
    for (;;) {
        kmapn_slot *s = &b[i];
        if (s->k == k || s->k == KMAPN_FREE)
            return s;
        i = (i + 1) & mask;
    }
}

static void nblock_free(kmapn_arena *m, uint32_t off, unsigned lg);

/* A block of 2^lg free slots: a freed one of that size, else the first
 * half of a freed larger one split down to that size (the other halves
 * go on the free lists: what a grown table leaves, e.g. an SO's, serves
 * the small tables of later owners instead of staying unused), else the
 * top of the arena (which may move: callers hold offsets, not pointers).
 * Blocks are never merged again. */
static uint32_t nblock_alloc(kmapn_arena *m, unsigned lg)
{
    size_t size = (size_t)1 << lg, off;
    unsigned j = lg + 1;

    while (!m->free_head[lg] && j < 32 && !m->free_head[j])
        j++;
    if (!m->free_head[lg] && j < 32) {
        off = m->free_head[j] - 1;
        m->free_head[j] = (uint32_t)m->slot[off].v;
        while (j-- > lg)
            nblock_free(m, (uint32_t)(off + ((size_t)1 << j)), j);
        memset(&m->slot[off], 0xff, size * sizeof *m->slot);
        return (uint32_t)off;
    }
    if (m->free_head[lg]) {
        off = m->free_head[lg] - 1;
        m->free_head[lg] = (uint32_t)m->slot[off].v;
    } else {
        if (m->top + size > m->cap) {
            /* Growth by half (not doubling): at most a third of the arena
             * reserved and unused after a growth, for amortised O(1). */
            size_t cap = m->cap ? m->cap + m->cap / 2 : 1024;
            while (cap < m->top + size)
                cap += cap / 2;
            if (cap > (size_t)UINT32_MAX)
                xfail("kmapn: more than 2^32 slots");
            m->slot = xreallocarray(m->slot, cap, sizeof *m->slot);
            m->cap = cap;
        }
        off = m->top;
        m->top += size;
    }
    memset(&m->slot[off], 0xff, size * sizeof *m->slot);  /* KMAPN_FREE */
    return (uint32_t)off;
}

static void nblock_free(kmapn_arena *m, uint32_t off, unsigned lg)
{
    m->slot[off].k = KMAPN_FREE;
    m->slot[off].v = m->free_head[lg];
    m->free_head[lg] = off + 1;
}

/* Owner h's block made or grown to 2^lg slots (lg > h->lg): entries
 * re-placed in the new one. */
static void ngrow_to(kmapn *mp, kmapn_head *h, unsigned lg)
{
    kmapn_arena *m = &mp->ar[h->part];
    uint32_t off;

    assert(lg < 32 && lg > h->lg && lg >= KMAPN_MIN_LG);
    off = nblock_alloc(m, lg);
    if (h->lg) {
        const kmapn_slot *old = &m->slot[h->off];
        for (size_t i = 0; i < (size_t)1 << h->lg; i++)
            if (old[i].k != KMAPN_FREE)
                *nfind(&m->slot[off], lg, old[i].k) = old[i];
        nblock_free(m, h->off, h->lg);
    }
    h->off = off;
    h->lg = (uint8_t)lg;
}

/* Owner h's block doubled (or made). */
static void ngrow(kmapn *m, kmapn_head *h)
{
    ngrow_to(m, h, h->lg ? h->lg + 1u : KMAPN_MIN_LG);
}

void kmapn_reserve(kmapn *m, uint32_t owner, uint32_t n)
{
    kmapn_head *h;
    unsigned lg = KMAPN_MIN_LG;

    assert(owner < m->n_owner);
    h = &m->head[owner];
    if (!n)
        return;
    while (4 * (size_t)n > 3 * ((size_t)1 << lg))
        lg++;
    if (lg > h->lg)
        ngrow_to(m, h, lg);
}

uint64_t *kmapn_get(const kmapn *m, uint32_t owner, uint64_t k)
{
    const kmapn_head *h;
    kmapn_slot *s;

    assert(owner < m->n_owner);
    h = &m->head[owner];
    if (!(h->filt & kmapn_fbit(k)))
        return NULL;               /* absent: known from the head alone */
    s = nfind(&m->ar[h->part].slot[h->off], h->lg, k);
    return s->k != KMAPN_FREE ? &s->v : NULL;
}

int kmapn_put(kmapn *m, uint32_t owner, uint64_t k, uint64_t v)
{
    kmapn_head *h;
    kmapn_slot *s;

    assert(owner < m->n_owner && k != KMAPN_FREE);
    h = &m->head[owner];
    s = NULL;
    if (h->lg) {
        s = nfind(&m->ar[h->part].slot[h->off], h->lg, k);
        if (s->k == k) {
            s->v = v;
            return 0;
        }
    }
    if (4 * ((size_t)h->n + 1) > 3 * (h->lg ? (size_t)1 << h->lg : 0)) {
        ngrow(m, h);
        s = nfind(&m->ar[h->part].slot[h->off], h->lg, k); /* placed anew */
    }
    s->k = k;                      /* the free slot ending k's probe */
    s->v = v;
    h->filt |= kmapn_fbit(k);
    h->n++;
    m->ar[h->part].n++;
    return 1;
}

int kmapn_del(kmapn *m, uint32_t owner, uint64_t k)
{
    kmapn_head *h;
    kmapn_slot *b;
    size_t mask, i, j;

    assert(owner < m->n_owner);
    h = &m->head[owner];
    if (!h->n)
        return 0;
    b = &m->ar[h->part].slot[h->off];
    mask = ((size_t)1 << h->lg) - 1;
    i = (size_t)(nfind(b, h->lg, k) - b);
    if (b[i].k == KMAPN_FREE)
        return 0;
    /* Backward shift, as kmap_del. */
    for (j = (i + 1) & mask; b[j].k != KMAPN_FREE; j = (j + 1) & mask) {
        size_t home = nhome(b[j].k, h->lg);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            b[i] = b[j];
            i = j;
        }
    }
    b[i].k = KMAPN_FREE;
    h->n--;
    m->ar[h->part].n--;
    /* The filter keeps only bits it can afford to recount: a small
     * block's, or none when the owner holds nothing any more. */
    if (h->lg <= KMAPN_REFILT_LG || !h->n) {
        h->filt = 0;
        for (j = 0; h->n && j <= mask; j++)
            if (b[j].k != KMAPN_FREE)
                h->filt |= kmapn_fbit(b[j].k);
    }
    return 1;
}

uint32_t kmapn_count(const kmapn *m, uint32_t owner)
{
    assert(owner < m->n_owner);
    return m->head[owner].n;
}

static int nslot_cmp(const void *x, const void *y)
{
    const kmapn_slot *p = x, *q = y;
    return p->k < q->k ? -1 : p->k > q->k;
}

size_t kmapn_list(const kmapn *m, uint32_t owner, kmapn_slot **out)
{
    const kmapn_head *h;
    kmapn_slot *l;
    size_t n = 0;

    assert(owner < m->n_owner);
    h = &m->head[owner];
    *out = NULL;
    if (!h->n)
        return 0;
    l = xreallocarray(NULL, h->n, sizeof *l);
    for (size_t i = 0; i < (size_t)1 << h->lg; i++)
        if (m->ar[h->part].slot[h->off + i].k != KMAPN_FREE)
            l[n++] = m->ar[h->part].slot[h->off + i];
    assert(n == h->n);
    if (n > 1)
        qsort(l, n, sizeof *l, nslot_cmp);
    *out = l;
    return n;
}

size_t kmapn_bytes(const kmapn *m)
{
    size_t b = (size_t)m->n_owner * sizeof *m->head;
    for (int p = 0; p < KMAPN_PARTS; p++)
        b += m->ar[p].cap * sizeof *m->ar[p].slot;
    return b;
}

int kmapn_sane(const kmapn *m)
{
    size_t total[KMAPN_PARTS] = {0};

    for (uint32_t o = 0; o < m->n_owner; o++) {
        const kmapn_head *h = &m->head[o];
        size_t size = h->lg ? (size_t)1 << h->lg : 0, mask = size - 1, n = 0;
        const kmapn_slot *b;

        if (!h->lg) {
            if (h->n || h->filt)
                return 0;
            continue;
        }
        if (h->part >= KMAPN_PARTS || h->lg < KMAPN_MIN_LG ||
            h->off + size > m->ar[h->part].top ||
            4 * (size_t)h->n > 3 * size || (!h->n && h->filt))
            return 0;
        b = &m->ar[h->part].slot[h->off];
        for (size_t i = 0; i < size; i++) {
            if (b[i].k == KMAPN_FREE)
                continue;
            n++;
            if (!(h->filt & kmapn_fbit(b[i].k)))
                return 0;               /* a key the filter would hide */
            for (size_t j = nhome(b[i].k, h->lg); j != i; j = (j + 1) & mask)
                if (b[j].k == KMAPN_FREE)
                    return 0;           /* unreachable from its home */
        }
        if (n != h->n)
            return 0;
        total[h->part] += n;
    }
    for (int p = 0; p < KMAPN_PARTS; p++)
        if (total[p] != m->ar[p].n)
            return 0;
    return 1;
}
