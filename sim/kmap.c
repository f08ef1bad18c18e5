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
