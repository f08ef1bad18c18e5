/* sched.c — the event engine: a pool of event records with a LIFO free list
 * and a monotone radix heap (16-way digits) over (time, depth, creator,
 * seq) keys (the order: sched.h).  A
 * discrete-event clock never goes back, so every new key is larger than
 * the last one removed; the radix heap exploits that for O(1) insert and
 * amortised O(1) removal, with mostly sequential memory access.
 * bench/bench_sched.c measured it against binary, 4-ary and pairing heaps
 * (HOLD model): 2-5x faster at 10^5-10^6 pending events, faster at 10^3. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "sched.h"
#include "util.h"

#define SCHED_DEFAULT_CAP  64       /* pool slots when hint == 0 */
#define SCHED_BLOCK        64       /* keys per bucket block (1.5 KiB) */
#define SCHED_DIGIT_BITS   4        /* radix 16: a key moves <= 39 times */
#define SCHED_DIGITS       (1u << SCHED_DIGIT_BITS)
#define SCHED_SEQ_LEVELS   (32 / SCHED_DIGIT_BITS)  /* levels of seq bits */
#define SCHED_HI_LEVELS    (64 / SCHED_DIGIT_BITS)  /* depth, creator */
#define SCHED_LEVELS       (160 / SCHED_DIGIT_BITS) /* + 16 hi + 16 time */
#define SCHED_NBUCKET      (SCHED_LEVELS * SCHED_DIGITS)
#define SCHED_MASK_WORDS   ((SCHED_NBUCKET + 63) / 64)
_Static_assert(SCHED_MASK_WORDS <= 32, "sim_sched.words has 32 bits");
#define SCHED_COMPACT_MIN  64       /* cancelled entries worth a rebuild */
#define SCHED_PREFETCH_MAX 32       /* refills this small prefetch records */
#define SCHED_NIL          UINT32_MAX   /* end of a list */

/* Sequence numbers live in the upper 32 bits of a key's `lo`.  When the
 * counter reaches this limit the queued keys are renumbered 1..n in key
 * order, which keeps every relative order.  Overridable only so that a
 * developer build can exercise the renumbering. */
#ifndef SIM_SCHED_SEQ_LIMIT
#define SIM_SCHED_SEQ_LIMIT ((uint64_t)UINT32_MAX)
#endif

/* ===================================================================
 * Keys
 * =================================================================== */

/* A queue entry, 24 bytes: the order key and the pool slot it refers to.
 * The order is (t, depth, creator, seq), see sched.h: hi holds depth and
 * creator (the parent's node + 1, 0: no parent), lo the sequence number
 * and the slot. */
typedef struct sched_key {
    uint64_t t;                         /* event time; t >= 0 always */
    uint64_t hi;                        /* depth << 32 | creator */
    uint64_t lo;                        /* seq << 32 | pool slot */
} sched_key;

static const sched_key sched_key_max = { UINT64_MAX, UINT64_MAX,
                                         UINT64_MAX };

/* (t, hi, lo) order.  seq is unique among queued keys (and so is the
 * slot), so comparing the whole of lo is the same as comparing seq; the
 * slot never decides. */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 sched_u128;
#endif

static inline int sched_key_lt(sched_key a, sched_key b)
{
#ifdef __SIZEOF_INT128__
    sched_u128 x = ((sched_u128)a.t << 64) | a.hi;
    sched_u128 y = ((sched_u128)b.t << 64) | b.hi;

    /* Branch-free: which key is smaller is unpredictable. */
    return (x < y) | ((x == y) & (a.lo < b.lo));
#else
    return a.t < b.t || (a.t == b.t && (a.hi < b.hi ||
                                        (a.hi == b.hi && a.lo < b.lo)));
#endif
}

static inline uint32_t sched_key_slot(sched_key k)
{
    return (uint32_t)k.lo;
}

static inline uint32_t sched_key_seq(sched_key k)
{
    return (uint32_t)(k.lo >> 32);
}

static inline uint32_t sched_key_depth(sched_key k)
{
    return (uint32_t)(k.hi >> 32);
}

/* Read the 160-bit string (t, hi, seq) as 40 hexadecimal digits.  A key k > last
 * goes to bucket (level, digit): level = the highest digit in which k and
 * last differ, digit = k's digit there (necessarily above last's).  Keys in
 * a lower bucket are smaller than keys in a higher one: at a lower level
 * they agree with last where the others exceed it; at the same level the
 * digit decides.  When the lowest bucket is emptied, its minimum becomes
 * `last` and every other key in it shares that level's digit and all
 * above with the new last, so it moves to a strictly lower level. */
static inline unsigned sched_bucket_of(sched_key k, sched_key last)
{
    uint64_t x = k.t ^ last.t;
    unsigned lv;
    uint32_t q;

    if (x) {
        lv = (63 - (unsigned)__builtin_clzll(x)) / SCHED_DIGIT_BITS;
        return (SCHED_SEQ_LEVELS + SCHED_HI_LEVELS + lv) * SCHED_DIGITS +
               (unsigned)(k.t >> (lv * SCHED_DIGIT_BITS)) % SCHED_DIGITS;
    }
    x = k.hi ^ last.hi;
    if (x) {
        lv = (63 - (unsigned)__builtin_clzll(x)) / SCHED_DIGIT_BITS;
        return (SCHED_SEQ_LEVELS + lv) * SCHED_DIGITS +
               (unsigned)(k.hi >> (lv * SCHED_DIGIT_BITS)) % SCHED_DIGITS;
    }
    q = sched_key_seq(k);
    lv = (31 - (unsigned)__builtin_clz(q ^ sched_key_seq(last))) /
         SCHED_DIGIT_BITS;
    return lv * SCHED_DIGITS + (q >> (lv * SCHED_DIGIT_BITS)) % SCHED_DIGITS;
}

/* ===================================================================
 * The engine
 * =================================================================== */

/* A pool record.  A slot is in exactly one of three states:
 *   free       fn == NULL, on the free list (or never used: >= pool_used);
 *   pending    fn != NULL, referenced by exactly one queued key;
 *   cancelled  fn == NULL, still referenced by one queued key (lazy
 *              cancel); it joins the free list when its key is removed.
 * gen is incremented when a slot leaves the pending state (run or cancel),
 * so a handle is valid iff its gen matches and the slot is pending. */
typedef struct sim_event {
    sim_event_fn fn;                    /* handler; NULL unless pending */
    void *arg;                          /* caller's pointer */
    uint64_t u64;                       /* caller's inline payload */
    uint32_t kind;                      /* caller's event kind */
    uint32_t node;                      /* caller's node id */
    uint32_t gen;                       /* generation, see above */
    uint32_t next_free;                 /* free-list link, SCHED_NIL = end */
} sim_event;

/* A bucket is a chain of blocks: `head` is being filled (fill keys), the
 * blocks behind it through blk_next are full.  Order inside a bucket is
 * arbitrary; its minimum is kept up to date on every append, so peeking
 * costs O(1) and emptying a bucket needs one pass, not two. */
typedef struct sched_bucket {
    uint32_t head;                      /* newest block, SCHED_NIL = empty */
    uint32_t fill;                      /* keys in head, SCHED_BLOCK if none */
    sched_key min;                      /* smallest key; max key if empty */
} sched_bucket;

typedef struct sched_block {
    sched_key k[SCHED_BLOCK];           /* keys, see sched_bucket */
} sched_block;

/* Invariants (checked by sched_sane):
 *  - `last` is the key most recently removed from the queue (or (now, 0,
 *    0) after it emptied), and every queued key is > last: new keys have
 *    t >= now >= last.t, and when t == last.t a depth above last's.  A key is only
 *    removed once it is certain to run or to be discarded at once, never
 *    just to peek, so last.t <= now between calls.
 *  - every key in bucket b has sched_bucket_of(key, last) == b; bit b of
 *    `mask` is set iff bucket b is non-empty; bucket 0 is never used
 *    (digit 0 is never above last's).  So the smallest key is the min of
 *    the lowest non-empty bucket.
 *  - every queued key refers to a pending or cancelled slot and every such
 *    slot is referenced by one key: nqueued == npending + ncancelled.
 *  - lazy cancel keeps ncancelled <= max(SCHED_COMPACT_MIN, nqueued / 2);
 *    past that the buckets are filtered (amortised O(1) per cancel), so
 *    memory stays within about twice the peak pending count: slots in use
 *    == nqueued, blocks in use <= nqueued / SCHED_BLOCK + min(nqueued,
 *    SCHED_NBUCKET) + 1, and both stores only grow to their peak use.
 *  - every queued seq is < seq <= SIM_SCHED_SEQ_LIMIT; (creator, seq) and
 *    the slot are each unique among queued keys.
 *  - inside a handler `last` is the running event's key (nothing is
 *    removed while a handler runs): its depth and cur_node are the parent
 *    of every key the handler makes. */
struct sim_sched {
    sim_time now;                       /* time of the current/last event */
    uint64_t seq;                       /* next sequence number (>= 1) */
    sched_key last;                     /* radix base, see above */
    uint64_t mask[SCHED_MASK_WORDS];    /* non-empty buckets, bit = index */
    uint32_t words;                     /* bit w: mask[w] != 0 (40 levels */
                                        /*   are 10 words; the time ones */
                                        /*   start at word 6)            */
    sched_bucket bucket[SCHED_NBUCKET]; /* bucket b: see sched_bucket_of */
    sched_block *blk;                   /* block store */
    uint32_t *blk_next;                 /* per block: next in chain/free */
    uint32_t blk_cap;                   /* blocks allocated */
    uint32_t blk_used;                  /* blocks ever handed out */
    uint32_t blk_free;                  /* free blocks, SCHED_NIL = none */
    size_t nqueued;                     /* keys in the buckets */
    sim_event *pool;                    /* event records */
    uint32_t pool_cap;                  /* records allocated */
    uint32_t pool_used;                 /* records ever handed out */
    uint32_t free_head;                 /* free list, SCHED_NIL = empty */
    size_t npending;                    /* scheduled, not run, not cancelled */
    size_t ncancelled;                  /* cancelled, still queued */
    uint64_t executed;                  /* events run since creation */
    void *ctx;                          /* passed to every handler */
    sim_observe_fn observe;             /* NULL = no observer */
    void *octx;                         /* observer's context */
    sim_lookahead_fn lookahead;         /* NULL = none */
    void *lctx;                         /* its context */
    int running;                        /* inside sim_sched_run */
    int stop;                           /* sim_sched_stop was called */
    const volatile sig_atomic_t *intr;  /* non-zero: return (a signal's  */
                                        /*   flag, polled every event)   */
    uint32_t cur_node;                  /* node of the running event,    */
                                        /*   SCHED_NIL outside handlers  */
    const uint8_t *cen_part;            /* census: part per node, NULL   */
    uint32_t cen_n;                     /*   ... for nodes < cen_n       */
    sim_time cen_look;                  /*   ... short-delay threshold   */
    sim_sched_census cen;               /*   ... counts so far           */
    sim_held_fn held;                   /* keys drawn, not inserted yet: */
    void *hctx;                         /*   renumbered with the queue   */
    int coord;                          /* renumbered only with others   */
                                        /*   (sim_sched_renumber_all)    */
    uint64_t renumbers;                 /* renumberings so far           */
};

/* ===================================================================
 * Pool
 * =================================================================== */

static inline void sched_slot_free(sim_sched *s, uint32_t slot)
{
    s->pool[slot].next_free = s->free_head;
    s->free_head = slot;
}

/* Marks the whole pages of a grown array of `bytes` from 4 MiB on as
 * transparent-huge-page memory (MADV_HUGEPAGE, a hint the kernel ignores
 * where THP is off): the pool records and key blocks are read at random
 * by a large run, on 4 KiB pages each read also walked the page table
 * (issue 22).  Never changes what the queue does. */
static void sched_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;

    if (bytes >= ((size_t)4 << 20) && e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

static inline uint32_t sched_slot_alloc(sim_sched *s)
{
    uint32_t slot = s->free_head;

    if (slot != SCHED_NIL) {
        s->free_head = s->pool[slot].next_free;
        return slot;
    }
    if (s->pool_used == s->pool_cap) {
        /* Slots must fit the low 32 bits of a key, minus SCHED_NIL. */
        assert(s->pool_cap < SCHED_NIL / 2);
        s->pool_cap *= 2;
        s->pool = xreallocarray(s->pool, s->pool_cap, sizeof(sim_event));
        sched_huge(s->pool, s->pool_cap * sizeof(sim_event));
    }
    slot = s->pool_used++;
    s->pool[slot].fn = NULL;
    s->pool[slot].gen = 0;
    return slot;
}

/* ===================================================================
 * Radix heap
 * =================================================================== */

static inline uint32_t sched_block_alloc(sim_sched *s)
{
    uint32_t b = s->blk_free;

    if (b != SCHED_NIL) {
        s->blk_free = s->blk_next[b];
        return b;
    }
    if (s->blk_used == s->blk_cap) {
        assert(s->blk_cap < SCHED_NIL / 2);
        s->blk_cap *= 2;
        s->blk = xreallocarray(s->blk, s->blk_cap, sizeof(sched_block));
        s->blk_next = xreallocarray(s->blk_next, s->blk_cap,
                                    sizeof(uint32_t));
        sched_huge(s->blk, s->blk_cap * sizeof(sched_block));
    }
    return s->blk_used++;
}

static inline void sched_block_free(sim_sched *s, uint32_t b)
{
    s->blk_next[b] = s->blk_free;
    s->blk_free = b;
}

static inline void sched_bucket_clear(sim_sched *s, unsigned b)
{
    s->bucket[b].head = SCHED_NIL;
    s->bucket[b].fill = SCHED_BLOCK;
    s->bucket[b].min = sched_key_max;
    s->mask[b >> 6] &= ~((uint64_t)1 << (b & 63));
    if (!s->mask[b >> 6])
        s->words &= ~(1u << (b >> 6));
}

static inline void sched_bucket_append(sim_sched *s, unsigned b, sched_key k)
{
    sched_bucket *q = &s->bucket[b];

    if (q->fill == SCHED_BLOCK) {
        uint32_t nb = sched_block_alloc(s);

        s->blk_next[nb] = q->head;
        q->head = nb;
        q->fill = 0;
    }
    s->blk[q->head].k[q->fill++] = k;
    if (sched_key_lt(k, q->min))
        q->min = k;
    s->mask[b >> 6] |= (uint64_t)1 << (b & 63);
    s->words |= 1u << (b >> 6);
}

static inline void sched_queue_push(sim_sched *s, sched_key k)
{
    sched_bucket_append(s, sched_bucket_of(k, s->last), k);
    s->nqueued++;
}

/* Lowest non-empty bucket, or SCHED_NBUCKET if all are empty. */
static inline unsigned sched_bucket_lowest(const sim_sched *s)
{
    unsigned w;

    if (!s->words)
        return SCHED_NBUCKET;
    w = (unsigned)__builtin_ctz(s->words);
    return w * 64 + (unsigned)__builtin_ctzll(s->mask[w]);
}

/* The next event to run is most likely the current minimum key: start
 * fetching its record (a cache miss with 10^5+ pending events) while the
 * current handler runs.  A 40-byte record may straddle two lines. */
static inline void sched_prefetch(const sim_sched *s, sched_key k)
{
    const sim_event *ev = &s->pool[sched_key_slot(k)];

    __builtin_prefetch(ev);
    __builtin_prefetch((const char *)(ev + 1) - 1);
}

/* Removes bucket b's minimum, which becomes `last`, and redistributes the
 * rest of b into lower levels (so a key moves at most 39 times in its life;
 * about 2-5 times per event in the benchmark).  Blocks are freed as they
 * are emptied and reused at once by the appends.  The keys of a small
 * bucket are about to run: their records are prefetched (measured: +30%
 * at 10^5-10^6 pending, where each record is otherwise a cache miss). */
static void sched_refill(sim_sched *s, unsigned b)
{
    sched_key last = s->bucket[b].min;
    uint32_t blk = s->bucket[b].head, fill = s->bucket[b].fill, i, next;
    int small = s->blk_next[blk] == SCHED_NIL && fill <= SCHED_PREFETCH_MAX;

    sched_bucket_clear(s, b);
    s->last = last;
    while (blk != SCHED_NIL) {
        for (i = 0; i < fill; i++) {
            /* s->blk is re-read: an append may reallocate the store. */
            sched_key k = s->blk[blk].k[i];

            if (k.lo != last.lo) {      /* slot is unique: that is `last` */
                if (small)
                    sched_prefetch(s, k);
                sched_bucket_append(s, sched_bucket_of(k, last), k);
            }
        }
        next = s->blk_next[blk];
        sched_block_free(s, blk);
        blk = next;
        fill = SCHED_BLOCK;
    }
    s->nqueued--;
}

/* Keeps only the keys of bucket b whose slot is still pending; frees the
 * others' slots.  Bucket indices do not change (last does not). */
static void sched_bucket_filter(sim_sched *s, unsigned b)
{
    uint32_t blk = s->bucket[b].head, fill = s->bucket[b].fill, i, next;

    sched_bucket_clear(s, b);
    while (blk != SCHED_NIL) {
        for (i = 0; i < fill; i++) {
            sched_key k = s->blk[blk].k[i];

            if (s->pool[sched_key_slot(k)].fn) {
                sched_bucket_append(s, b, k);
            } else {
                sched_slot_free(s, sched_key_slot(k));
                s->nqueued--;
            }
        }
        next = s->blk_next[blk];
        sched_block_free(s, blk);
        blk = next;
        fill = SCHED_BLOCK;
    }
}

/* ===================================================================
 * Maintenance: invariant check, compaction, renumbering (all rare)
 * =================================================================== */

#ifndef NDEBUG
/* Invariant checker, O(queued): only ever called inside assert(). */
static int sched_sane(const sim_sched *s)
{
    size_t n = 0, live = 0;
    unsigned b;

    if ((sim_time)s->last.t > s->now)
        return 0;
    for (b = 0; b < SCHED_MASK_WORDS; b++)
        if (((s->words >> b) & 1) != (s->mask[b] != 0))
            return 0;
    for (b = 0; b < SCHED_NBUCKET; b++) {
        const sched_bucket *q = &s->bucket[b];
        int bit = (s->mask[b >> 6] >> (b & 63)) & 1;
        sched_key min = sched_key_max;
        uint32_t blk = q->head, fill = q->fill, i;

        if (bit != (q->head != SCHED_NIL) || (b == 0 && bit))
            return 0;
        for (; blk != SCHED_NIL; blk = s->blk_next[blk], fill = SCHED_BLOCK)
            for (i = 0; i < fill; i++) {
                sched_key k = s->blk[blk].k[i];

                if (!sched_key_lt(s->last, k) ||
                    sched_bucket_of(k, s->last) != b ||
                    sched_key_slot(k) >= s->pool_used ||
                    sched_key_seq(k) >= s->seq)
                    return 0;
                if (sched_key_lt(k, min))
                    min = k;
                live += s->pool[sched_key_slot(k)].fn != NULL;
                n++;
            }
        if (min.t != q->min.t || min.hi != q->min.hi || min.lo != q->min.lo)
            return 0;
    }
    return n == s->nqueued && live == s->npending &&
           n == s->npending + s->ncancelled;
}
#endif

/* Drops every cancelled key from the buckets: O(queued). */
static void sched_compact(sim_sched *s)
{
    unsigned b;

    for (b = 0; b < SCHED_NBUCKET; b++)
        if (s->bucket[b].head != SCHED_NIL)
            sched_bucket_filter(s, b);
    s->ncancelled = 0;
    assert(sched_sane(s));
}

/* qsort order of held keys (sim_event_key_cmp). */
static int held_cmp(const void *a, const void *b)
{
    return sim_event_key_cmp(*(sim_event_key *const *)a,
                             *(sim_event_key *const *)b);
}

/* Does held key h run before queued key k?  (Never equal: both drew
 * their seq from this scheduler.) */
static int held_before(const sim_event_key *h, sched_key k)
{
    uint64_t hi = (uint64_t)h->depth << 32 | h->creator;

    if ((uint64_t)h->t != k.t)
        return (uint64_t)h->t < k.t;
    if (hi != k.hi)
        return hi < k.hi;
    return h->seq < sched_key_seq(k);
}

/* Drains the queue in key order into *tmp (grown; *n keys so far, *cap
 * allocated), dropping cancelled keys, and rebases last to (last's time
 * and hi, seq 0): every key pushed back with a seq >= 1 stays above it,
 * so the depth of what a running handler schedules next is unchanged. */
static void sched_drain(sim_sched *s, sched_key **tmp, size_t *n,
                        size_t *cap)
{
    sched_key keep = s->last;

    if (*n + s->nqueued > *cap) {
        *cap = *n + s->nqueued + 1;
        *tmp = xreallocarray(*tmp, *cap, sizeof **tmp);
    }
    while (s->nqueued) {
        unsigned b = sched_bucket_lowest(s);     /* < SCHED_NBUCKET */
        sched_key k = s->bucket[b].min;

        sched_refill(s, b);
        if (s->pool[sched_key_slot(k)].fn)
            (*tmp)[(*n)++] = k;
        else
            sched_slot_free(s, sched_key_slot(k));
    }
    s->ncancelled = 0;
    s->last.t = keep.t;
    s->last.hi = keep.hi;
    s->last.lo = 0;
}

/* The keys s gave out that wait outside its queue (sim_sched_set_held),
 * appended to *held (grown; *nh so far, *caph allocated). */
static void sched_held_list(const sim_sched *s, sim_event_key ***held,
                            size_t *nh, size_t *caph)
{
    sim_event_key *h;

    for (size_t i = 0; s->held && (h = s->held(s->hctx, i)); i++) {
        if (*nh == *caph) {
            *caph = *caph ? 2 * *caph : 64;
            *held = xreallocarray(*held, *caph, sizeof **held);
        }
        (*held)[(*nh)++] = h;
    }
}

/* Renumbers the queued keys 1..n in key order so that the counter can
 * restart: drains the queue into a scratch array and pushes it back
 * (sched_drain), so every order is unchanged.  Runs once per ~4e9
 * schedules, so the O(n) scratch allocation here is the one exception to
 * "no allocation once the pool has grown". */
static void sched_renumber(sim_sched *s)
{
    sched_key *tmp = NULL;
    sim_event_key **held = NULL;
    size_t n = 0, cap = 0, i, nh = 0, caph = 0, j = 0;

    sched_drain(s, &tmp, &n, &cap);
    /* Keys drawn (sim_sched_key_for) and still waiting outside the queue
     * take part: renumbered in the same order, or a later key of the same
     * creator would sort before them. */
    sched_held_list(s, &held, &nh, &caph);
    if (nh)
        qsort(held, nh, sizeof *held, held_cmp);
    s->seq = 1;
    for (i = 0; i < n; i++) {
        while (j < nh && held_before(held[j], tmp[i]))
            held[j++]->seq = (uint32_t)s->seq++;
        tmp[i].lo = (s->seq++ << 32) | sched_key_slot(tmp[i]);
        sched_queue_push(s, tmp[i]);
    }
    while (j < nh)
        held[j++]->seq = (uint32_t)s->seq++;
    s->renumbers++;
    free(held);
    free(tmp);
    assert(sched_sane(s));
}

/* A key of sim_sched_renumber_all: a queued key of scheduler `who`, or
 * (h != NULL) a held key. */
typedef struct sched_rn {
    sched_key k;                        /* (t, hi, seq << 32 | slot)     */
    sim_event_key *h;                   /* held key to rewrite, or NULL  */
    uint32_t who;                       /* index of its scheduler        */
} sched_rn;

static int rn_cmp(const void *a, const void *b)
{
    const sched_rn *x = a, *y = b;

    if (x->k.t != y->k.t)
        return x->k.t < y->k.t ? -1 : 1;
    if (x->k.hi != y->k.hi)
        return x->k.hi < y->k.hi ? -1 : 1;
    if (x->k.lo >> 32 != y->k.lo >> 32)
        return x->k.lo >> 32 < y->k.lo >> 32 ? -1 : 1;
    return x->who < y->who ? -1 : x->who > y->who;  /* never equal keys */
}

/* A coordinated scheduler reached the limit inside a window. */
static void sched_exhausted(void)
{
    fprintf(stderr, "kmsim: --threads 2: a scheduler drew %llu sequence "
            "numbers within one window; they are renumbered only at a "
            "barrier (sim/THREADS.md 4.5)\n",
            (unsigned long long)(SIM_SCHED_SEQ_LIMIT / 2));
    abort();
}

/* ===================================================================
 * Public API
 * =================================================================== */

/* Never returns NULL in practice: allocation failure aborts in xmalloc. */
sim_sched *sim_sched_new(void *ctx, size_t hint)
{
    sim_sched *s = xcalloc(1, sizeof(*s));
    size_t cap = SCHED_DEFAULT_CAP;
    unsigned b;

    while (cap < hint && cap < SCHED_NIL / 4)
        cap *= 2;
    s->ctx = ctx;
    s->seq = 1;                         /* keys stay > last = (0, 0, 0) */
    s->pool_cap = (uint32_t)cap;
    s->pool = xreallocarray(NULL, cap, sizeof(sim_event));
    s->free_head = SCHED_NIL;
    s->cur_node = SCHED_NIL;
    /* About one key per slot, plus partly filled blocks at the heads. */
    s->blk_cap = (uint32_t)(cap / SCHED_BLOCK * 5 / 4 + 16);
    s->blk = xreallocarray(NULL, s->blk_cap, sizeof(sched_block));
    s->blk_next = xreallocarray(NULL, s->blk_cap, sizeof(uint32_t));
    s->blk_free = SCHED_NIL;
    for (b = 0; b < SCHED_NBUCKET; b++)
        sched_bucket_clear(s, b);
    return s;
}

/* Pending events are dropped; their `arg` pointers are the caller's. */
void sim_sched_free(sim_sched *s)
{
    if (!s)
        return;
    free(s->pool);
    free(s->blk);
    free(s->blk_next);
    free(s);
}

sim_time sim_sched_now(const sim_sched *s)
{
    return s->now;
}

/* Classifies one scheduled event for the census (see sched.h). */
static void sched_census(sim_sched *s, sim_time t, uint32_t node)
{
    sim_sched_census *c = &s->cen;
    uint32_t by = s->cur_node;

    c->scheduled++;
    if (node < s->cen_n && s->cen_part[node] < 2)
        c->for_part[s->cen_part[node]]++;
    if (by >= s->cen_n) {
        c->global_by++;
    } else if (node >= s->cen_n) {
        c->global_for++;
    } else if (by == node) {
        c->self++;
    } else if (s->cen_part[by] != s->cen_part[node]) {
        sim_time d = t - s->now;

        c->cross++;
        c->cross_short += d < s->cen_look;
        if (d < c->cross_min)
            c->cross_min = d;
    }
}

/* Queues an event with key (t, hi, seq); the caller checked the order. */
static inline sim_event_id sched_insert(sim_sched *s, uint64_t t,
                                        uint64_t hi, uint64_t seq,
                                        sim_event_fn fn, uint32_t kind,
                                        uint32_t node, void *arg,
                                        uint64_t u64)
{
    sim_event_id id;
    sim_event *ev;
    uint32_t slot;
    sched_key k;

    slot = sched_slot_alloc(s);
    ev = &s->pool[slot];
    ev->fn = fn;
    ev->arg = arg;
    ev->u64 = u64;
    ev->kind = kind;
    ev->node = node;
    k.t = t;
    k.hi = hi;
    k.lo = (seq << 32) | slot;
    sched_queue_push(s, k);
    s->npending++;
    id.slot = slot + 1;
    id.gen = ev->gen;
    return id;
}

/* The order (sched.h): a key at the parent's time goes one level deeper,
 * so it stays above `last` (the parent, in a handler). */
static inline uint64_t sched_hi_for(const sim_sched *s, sim_time t)
{
    uint64_t depth = (uint64_t)t == s->last.t ?
                     (uint64_t)sched_key_depth(s->last) + 1 : 0;

    assert(depth < UINT32_MAX);
    return depth << 32 | (uint32_t)(s->cur_node + 1);   /* none -> 0 */
}

sim_event_id sim_sched_at(sim_sched *s, sim_time t, sim_event_fn fn,
                          uint32_t kind, uint32_t node, void *arg,
                          uint64_t u64)
{
    uint64_t hi;

    assert(t >= s->now);
    assert(fn != NULL);
    if (s->cen_part)
        sched_census(s, t, node);
    if (s->seq >= SIM_SCHED_SEQ_LIMIT) {
        if (s->coord)
            sched_exhausted();
        sched_renumber(s);
    }
    hi = sched_hi_for(s, t);
    return sched_insert(s, (uint64_t)t, hi, s->seq++, fn, kind, node, arg,
                        u64);
}

void sim_sched_key_for(sim_sched *s, sim_time t, sim_event_key *out)
{
    uint64_t hi;

    assert(t >= s->now);
    if (s->seq >= SIM_SCHED_SEQ_LIMIT) {
        if (s->coord)
            sched_exhausted();
        sched_renumber(s);
    }
    hi = sched_hi_for(s, t);
    out->t = t;
    out->depth = (uint32_t)(hi >> 32);
    out->creator = (uint32_t)hi;
    out->seq = (uint32_t)s->seq++;
}

/* The counter is raised above the key's seq so that every queued seq stays
 * below it (sched_sane, sched_renumber): the order of this scheduler's own
 * creators is unchanged, as only their relative seqs count. */
sim_event_id sim_sched_at_key(sim_sched *s, const sim_event_key *k,
                              sim_event_fn fn, uint32_t kind, uint32_t node,
                              void *arg, uint64_t u64)
{
    sched_key want;

    assert(fn != NULL);
    assert(k->t >= s->now && k->seq > 0);
    want.t = (uint64_t)k->t;
    want.hi = (uint64_t)k->depth << 32 | k->creator;
    want.lo = (uint64_t)k->seq << 32;
    assert(sched_key_lt(s->last, want));
    (void)want;
    if (s->seq <= k->seq) {
        if (k->seq >= SIM_SCHED_SEQ_LIMIT)
            sched_exhausted();      /* drawn by a coordinated scheduler */
        s->seq = (uint64_t)k->seq + 1;
    }
    return sched_insert(s, (uint64_t)k->t,
                        (uint64_t)k->depth << 32 | k->creator, k->seq, fn,
                        kind, node, arg, u64);
}

/* One bucket of src: the pending events of part `want` go to dst with
 * their keys; every other key stays. */
static size_t sched_bucket_move(sim_sched *src, sim_sched *dst, unsigned b,
                                const uint8_t *part, uint32_t n,
                                uint8_t want)
{
    uint32_t blk = src->bucket[b].head, fill = src->bucket[b].fill, i, next;
    size_t moved = 0;

    sched_bucket_clear(src, b);
    while (blk != SCHED_NIL) {
        for (i = 0; i < fill; i++) {
            sched_key k = src->blk[blk].k[i];
            uint32_t slot = sched_key_slot(k);
            sim_event *ev = &src->pool[slot];

            if (ev->fn && (want == SIM_SCHED_NO_NODE
                               ? ev->node >= n
                               : ev->node < n && part[ev->node] == want)) {
                sim_event_key ek;

                ek.t = (sim_time)k.t;
                ek.depth = sched_key_depth(k);
                ek.creator = (uint32_t)k.hi;
                ek.seq = sched_key_seq(k);
                sim_sched_at_key(dst, &ek, ev->fn, ev->kind, ev->node,
                                 ev->arg, ev->u64);
                ev->fn = NULL;
                ev->gen++;
                sched_slot_free(src, slot);
                src->npending--;
                src->nqueued--;
                moved++;
            } else {
                sched_bucket_append(src, b, k);
            }
        }
        next = src->blk_next[blk];
        sched_block_free(src, blk);
        blk = next;
        fill = SCHED_BLOCK;
    }
    return moved;
}

size_t sim_sched_move(sim_sched *src, sim_sched *dst, const uint8_t *part,
                      uint32_t n, uint8_t want)
{
    size_t moved = 0;

    assert(!src->running && !dst->running && src != dst);
    for (unsigned b = 0; b < SCHED_NBUCKET; b++)
        if (src->bucket[b].head != SCHED_NIL)
            moved += sched_bucket_move(src, dst, b, part, n, want);
    assert(sched_sane(src));
    assert(sched_sane(dst));
    return moved;
}

void sim_sched_key_now(const sim_sched *s, sim_event_key *out)
{
    out->t = (sim_time)s->last.t;
    out->depth = sched_key_depth(s->last);
    out->creator = (uint32_t)s->last.hi;
    out->seq = sched_key_seq(s->last);
}

int sim_event_key_cmp(const sim_event_key *a, const sim_event_key *b)
{
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    if (a->creator != b->creator)
        return a->creator < b->creator ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A delay that would overflow the clock saturates at SIM_TIME_MAX. */
sim_event_id sim_sched_in(sim_sched *s, sim_time delay, sim_event_fn fn,
                          uint32_t kind, uint32_t node, void *arg,
                          uint64_t u64)
{
    sim_time t;

    assert(delay >= 0);
    t = delay > SIM_TIME_MAX - s->now ? SIM_TIME_MAX : s->now + delay;
    return sim_sched_at(s, t, fn, kind, node, arg, u64);
}

/* Lazy: the record is marked and its key is discarded when it comes out of
 * the queue, or by sched_compact once cancelled keys are more than half of
 * the queue. */
int sim_sched_cancel(sim_sched *s, sim_event_id id)
{
    sim_event *ev;

    if (id.slot == 0 || id.slot > s->pool_used)
        return -1;
    ev = &s->pool[id.slot - 1];
    if (ev->fn == NULL || ev->gen != id.gen)
        return -1;
    ev->fn = NULL;
    ev->gen++;
    s->npending--;
    s->ncancelled++;
    if (s->ncancelled > SCHED_COMPACT_MIN && s->ncancelled * 2 > s->nqueued)
        sched_compact(s);
    return 0;
}

/* When no event <= until is left (queue empty, or the next one is later)
 * the clock moves to `until` (unless SIM_TIME_MAX, or in the past): that
 * is "drained before until" — nothing can happen in between.  A stop or
 * the max_events limit leaves now at the last executed event. */
/* sim_sched_run and sim_sched_run_before: lim NULL, or run only events
 * whose key is below *lim (then until = lim's time).  edge = the time
 * from which the loop looks closer: one compare per event as before. */
static uint64_t sched_run(sim_sched *s, sim_time until, uint64_t max_events,
                          const sched_key *lim)
{
    uint64_t ran = 0;
    int drained = 0;
    const sim_time edge = lim ? until : (until == SIM_TIME_MAX ? until
                                                               : until + 1);

    assert(!s->running);                /* not re-entrant */
    s->running = 1;
    s->stop = 0;
    for (;;) {
        sched_key k;
        sim_event *ev;
        sim_event_fn fn;
        void *arg;
        uint64_t u64;
        uint32_t kind, node, slot;
        unsigned b;
        const sim_event *nx = NULL;

        b = sched_bucket_lowest(s);
        if (b == SCHED_NBUCKET) {
            s->last.t = (uint64_t)s->now;       /* empty: rebase */
            s->last.hi = 0;
            s->last.lo = 0;
            drained = 1;
            break;
        }
        /* Peek first, remove after: removing moves `last`, and a later
         * sim_sched_at below it would break the radix order. */
        k = s->bucket[b].min;
        if ((sim_time)k.t >= edge) {
            if ((sim_time)k.t > until) {
                drained = 1;
                break;
            }
            if (lim && !sched_key_lt(k, *lim)) /* sim_sched_run_before */
                break;
        }
        sched_refill(s, b);
        slot = sched_key_slot(k);
        ev = &s->pool[slot];
        b = sched_bucket_lowest(s);
        if (b < SCHED_NBUCKET) {
            nx = &s->pool[sched_key_slot(s->bucket[b].min)];
            sched_prefetch(s, s->bucket[b].min);
        }
        if (ev->fn == NULL) {           /* lazily cancelled: discard */
            s->ncancelled--;
            sched_slot_free(s, slot);
            continue;
        }
        /* Free the record before the handler, so that the event it most
         * likely schedules reuses a slot that is already in cache. */
        s->now = (sim_time)k.t;
        fn = ev->fn;
        arg = ev->arg;
        u64 = ev->u64;
        kind = ev->kind;
        node = ev->node;
        ev->fn = NULL;
        ev->gen++;
        sched_slot_free(s, slot);
        s->npending--;
        s->executed++;
        if (s->observe)
            s->observe(s->octx, s->now, kind, node);
        /* The next event's record is read now rather than when it runs
         * (the same miss, earlier), so that what it will read arrives
         * while this handler runs. */
        if (s->lookahead && nx && nx->fn)
            s->lookahead(s->lctx, nx->kind, nx->node, nx->arg);
        s->cur_node = node;
        fn(s, s->ctx, kind, node, arg, u64);
        s->cur_node = SCHED_NIL;
        if (++ran == max_events || s->stop || (s->intr && *s->intr))
            break;
    }
    if (drained && until != SIM_TIME_MAX && until > s->now)
        s->now = until;
    s->running = 0;
    s->stop = 0;
    return ran;
}

uint64_t sim_sched_run(sim_sched *s, sim_time until, uint64_t max_events)
{
    return sched_run(s, until, max_events, NULL);
}

uint64_t sim_sched_run_before(sim_sched *s, const sim_event_key *lim,
                              uint64_t max_events)
{
    sched_key k;

    k.t = (uint64_t)lim->t;
    k.hi = (uint64_t)lim->depth << 32 | lim->creator;
    k.lo = (uint64_t)lim->seq << 32;
    return sched_run(s, lim->t, max_events, &k);
}

int sim_sched_peek(const sim_sched *s, sim_event_key *out)
{
    unsigned b = sched_bucket_lowest(s);
    sched_key k;

    if (b == SCHED_NBUCKET)
        return -1;
    k = s->bucket[b].min;
    out->t = (sim_time)k.t;
    out->depth = sched_key_depth(k);
    out->creator = (uint32_t)k.hi;
    out->seq = sched_key_seq(k);
    return 0;
}

/* Outside sim_sched_run this has no effect. */
void sim_sched_stop(sim_sched *s)
{
    if (s->running)
        s->stop = 1;
}

size_t sim_sched_pending(const sim_sched *s)
{
    return s->npending;
}

void sim_sched_set_interrupt(sim_sched *s, const volatile sig_atomic_t *flag)
{
    s->intr = flag;
}

uint64_t sim_sched_executed(const sim_sched *s)
{
    return s->executed;
}

void sim_sched_set_observer(sim_sched *s, sim_observe_fn fn, void *octx)
{
    s->observe = fn;
    s->octx = octx;
}

void sim_sched_set_lookahead(sim_sched *s, sim_lookahead_fn fn, void *lctx)
{
    s->lookahead = fn;
    s->lctx = lctx;
}

void sim_sched_set_census(sim_sched *s, const uint8_t *part, uint32_t n,
                          sim_time lookahead)
{
    memset(&s->cen, 0, sizeof s->cen);
    s->cen.cross_min = SIM_TIME_MAX;
    s->cen_part = part;
    s->cen_n = part ? n : 0;
    s->cen_look = lookahead;
}

void sim_sched_set_held(sim_sched *s, sim_held_fn fn, void *hctx)
{
    s->held = fn;
    s->hctx = hctx;
}

void sim_sched_census_get(const sim_sched *s, sim_sched_census *out)
{
    *out = s->cen;
}

void sim_sched_set_coordinated(sim_sched *s, int on)
{
    s->coord = on != 0;
}

int sim_sched_renumber_due(const sim_sched *s)
{
    return s->seq >= SIM_SCHED_SEQ_LIMIT / 2;
}

uint64_t sim_sched_renumbers(const sim_sched *s)
{
    return s->renumbers;
}

/* One merged order over every scheduler's queue and held keys: each
 * queue is drained (sched_drain), everything sorted once by key (rn_cmp;
 * O(N log N), once per ~2e9 schedules), numbered 1..N in that order and
 * pushed back into its own scheduler. */
void sim_sched_renumber_all(sim_sched *const *s, size_t n)
{
    sched_key *tmp = NULL;
    sim_event_key **held = NULL;
    size_t nk = 0, cap = 0, nh = 0, caph = 0, nr = 0, seq = 1;
    size_t *from = xreallocarray(NULL, n + 1, sizeof *from);
    size_t *hfrom = xreallocarray(NULL, n + 1, sizeof *hfrom);
    sched_rn *r;

    for (size_t i = 0; i < n; i++) {
        assert(!s[i]->running);
        from[i] = nk;
        hfrom[i] = nh;
        sched_drain(s[i], &tmp, &nk, &cap);
        sched_held_list(s[i], &held, &nh, &caph);
    }
    from[n] = nk;
    hfrom[n] = nh;
    r = xreallocarray(NULL, nk + nh ? nk + nh : 1, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        for (size_t x = from[i]; x < from[i + 1]; x++) {
            r[nr].k = tmp[x];
            r[nr].h = NULL;
            r[nr++].who = (uint32_t)i;
        }
        for (size_t x = hfrom[i]; x < hfrom[i + 1]; x++) {
            const sim_event_key *h = held[x];

            r[nr].k.t = (uint64_t)h->t;
            r[nr].k.hi = (uint64_t)h->depth << 32 | h->creator;
            r[nr].k.lo = (uint64_t)h->seq << 32;
            r[nr].h = held[x];
            r[nr++].who = (uint32_t)i;
        }
    }
    qsort(r, nr, sizeof *r, rn_cmp);
    for (size_t x = 0; x < nr; x++, seq++) {
        if (r[x].h) {
            r[x].h->seq = (uint32_t)seq;
        } else {
            r[x].k.lo = ((uint64_t)seq << 32) | sched_key_slot(r[x].k);
            sched_queue_push(s[r[x].who], r[x].k);
        }
    }
    for (size_t i = 0; i < n; i++) {
        s[i]->seq = seq;
        s[i]->renumbers++;
        assert(sched_sane(s[i]));
    }
    free(r);
    free(hfrom);
    free(from);
    free(held);
    free(tmp);
}
