/* sched.c — the event engine: a pool of event records with a LIFO free list,
 * and a 4-ary min-heap whose entries carry the (time, seq, slot) key inline
 * so that sifting never touches the pool.  bench/bench_sched.c measures this
 * against a binary heap, other 4-ary variants and a pairing heap (HOLD model);
 * the 4-ary heap with a deferred root hole was the fastest at every size. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sched.h"
#include "util.h"

#define SCHED_ARITY        4
#define SCHED_DEFAULT_CAP  64       /* pool/heap slots when hint == 0 */
#define SCHED_COMPACT_MIN  64       /* cancelled entries worth a rebuild */
#define SCHED_LINE         64       /* cache line: alignment of child groups */
#define SCHED_NIL          UINT32_MAX   /* end of the free list */

/* Sequence numbers live in the upper 32 bits of a heap key.  When the
 * counter would pass this limit the pending keys are renumbered 0..n-1 in
 * (time, seq) order, which keeps every relative order.  Overridable only so
 * that the renumbering can be exercised by a developer build. */
#ifndef SIM_SCHED_SEQ_LIMIT
#define SIM_SCHED_SEQ_LIMIT ((uint64_t)UINT32_MAX)
#endif

/* ===================================================================
 * Heap keys
 * =================================================================== */

/* One heap entry, 16 bytes, so the four children of a node share one
 * 64-byte cache line (see sched_heap_reserve for the alignment). */
typedef struct sched_key {
    uint64_t t;                         /* event time; t >= 0 always */
    uint64_t sk;                        /* seq << 32 | pool slot */
} sched_key;

/* (t, seq) order.  seq is unique among pending events, so comparing the
 * whole of sk is the same as comparing seq; the slot never decides. */
static inline int sched_key_lt(sched_key a, sched_key b)
{
#ifdef __SIZEOF_INT128__
    /* Branch-free: the comparisons in a sift are unpredictable. */
    return (((unsigned __int128)a.t << 64) | a.sk) <
           (((unsigned __int128)b.t << 64) | b.sk);
#else
    return a.t < b.t || (a.t == b.t && a.sk < b.sk);
#endif
}

static inline uint32_t sched_key_slot(sched_key k)
{
    return (uint32_t)k.sk;
}

/* ===================================================================
 * The engine
 * =================================================================== */

/* A pool record.  A slot is in exactly one of three states:
 *   free       fn == NULL, on the free list (or never used: >= pool_used);
 *   pending    fn != NULL, referenced by exactly one heap entry;
 *   cancelled  fn == NULL, still referenced by one heap entry (lazy
 *              cancel); it joins the free list when popped or compacted.
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

/* Invariants:
 *  - heap[0..heap_n) is a 4-ary min-heap in (t, seq) order, except that
 *    when `hole` is set heap[0] is a consumed root (the event being or just
 *    run, or a cancelled entry just discarded) whose replacement is deferred:
 *    the next push fills it with one sift-down (a HOLD step then costs one
 *    sift instead of two), or heap_fill_hole moves the last entry there.
 *  - every heap entry other than a hole refers to a pending or cancelled
 *    slot, and every pending or cancelled slot is referenced by one entry;
 *    so heap_n - hole == npending + ncancelled.
 *  - lazy cancel keeps ncancelled <= max(SCHED_COMPACT_MIN, heap_n / 2):
 *    past that the heap is rebuilt without them (amortised O(1) per cancel),
 *    so memory stays within about twice the peak number of pending events
 *    however many events are cancelled over a run.
 *  - every key's time >= now; seq < SIM_SCHED_SEQ_LIMIT. */
struct sim_sched {
    sim_time now;                       /* time of the current/last event */
    uint64_t seq;                       /* next sequence number */
    sched_key *heap;                    /* aligned view into heap_mem */
    void *heap_mem;                     /* allocation behind heap */
    size_t heap_n;                      /* entries, including a hole */
    size_t heap_cap;                    /* entries heap can hold */
    int hole;                           /* heap[0] consumed, see above */
    sim_event *pool;                    /* event records */
    uint32_t pool_cap;                  /* records allocated */
    uint32_t pool_used;                 /* records ever handed out */
    uint32_t free_head;                 /* free list, SCHED_NIL = empty */
    size_t npending;                    /* scheduled, not run, not cancelled */
    size_t ncancelled;                  /* cancelled, still in the heap */
    uint64_t executed;                  /* events run since creation */
    void *ctx;                          /* passed to every handler */
    sim_observe_fn observe;             /* NULL = no observer */
    void *octx;                         /* observer's context */
    int running;                        /* inside sim_sched_run */
    int stop;                           /* sim_sched_stop was called */
};

/* ===================================================================
 * Heap primitives (4-ary, keys inline)
 * =================================================================== */

/* Index of the smallest of the children c..c+3 of a node, given that
 * c < n.  A tournament gives two independent comparisons first. */
static inline size_t sched_min_child(const sched_key *h, size_t c, size_t n)
{
    size_t m, m2;

    if (c + 3 < n) {
        m = sched_key_lt(h[c + 1], h[c]) ? c + 1 : c;
        m2 = sched_key_lt(h[c + 3], h[c + 2]) ? c + 3 : c + 2;
        return sched_key_lt(h[m2], h[m]) ? m2 : m;
    }
    m = c;
    for (m2 = c + 1; m2 < n; m2++)
        if (sched_key_lt(h[m2], h[m]))
            m = m2;
    return m;
}

/* Places e at index i (a hole) and restores heap order below i. */
static inline void sched_sift_down(sched_key *h, size_t n, size_t i,
                                   sched_key e)
{
    size_t c, m;

    while ((c = SCHED_ARITY * i + 1) < n) {
        m = sched_min_child(h, c, n);
        if (!sched_key_lt(h[m], e))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
}

/* Places e at index i (a hole) and restores heap order above i. */
static inline void sched_sift_up(sched_key *h, size_t i, sched_key e)
{
    size_t p;

    while (i > 0) {
        p = (i - 1) / SCHED_ARITY;
        if (!sched_key_lt(e, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

/* Makes room for at least `need` entries.  The view is offset so that
 * entry 1 (the first child of the root) starts a cache line: the children
 * 4i+1..4i+4 of every node then fill exactly one line.  realloc cannot
 * keep that alignment, so growth copies into a fresh block (rare:
 * capacity doubles). */
static void sched_heap_reserve(sim_sched *s, size_t need)
{
    size_t cap = s->heap_cap ? s->heap_cap : SCHED_DEFAULT_CAP;
    void *mem;
    uintptr_t a;
    sched_key *h;

    if (need <= s->heap_cap)
        return;
    while (cap < need)
        cap *= 2;
    mem = xreallocarray(NULL, cap + SCHED_LINE / sizeof(sched_key),
                        sizeof(sched_key));
    a = ((uintptr_t)mem + sizeof(sched_key) + SCHED_LINE - 1) &
        ~(uintptr_t)(SCHED_LINE - 1);
    h = (sched_key *)a - 1;             /* &h[1] is line-aligned, h >= mem */
    if (s->heap_n)
        memcpy(h, s->heap, s->heap_n * sizeof(sched_key));
    free(s->heap_mem);
    s->heap_mem = mem;
    s->heap = h;
    s->heap_cap = cap;
}

/* Replaces a consumed root by the last entry. */
static inline void sched_fill_hole(sim_sched *s)
{
    s->hole = 0;
    if (--s->heap_n > 0)
        sched_sift_down(s->heap, s->heap_n, 0, s->heap[s->heap_n]);
}

/* Inserts a key: into the root hole if there is one, else at the end. */
static inline void sched_heap_push(sim_sched *s, sched_key k)
{
    if (s->hole) {
        s->hole = 0;
        sched_sift_down(s->heap, s->heap_n, 0, k);
        return;
    }
    if (s->heap_n == s->heap_cap)
        sched_heap_reserve(s, s->heap_n + 1);
    sched_sift_up(s->heap, s->heap_n++, k);
}

/* Floyd's bottom-up heap construction over heap[0..heap_n). */
static void sched_heapify(sim_sched *s)
{
    size_t i;

    if (s->heap_n < 2)
        return;
    for (i = (s->heap_n - 2) / SCHED_ARITY + 1; i-- > 0;)
        sched_sift_down(s->heap, s->heap_n, i, s->heap[i]);
}

/* ===================================================================
 * Pool
 * =================================================================== */

static inline void sched_slot_free(sim_sched *s, uint32_t slot)
{
    s->pool[slot].next_free = s->free_head;
    s->free_head = slot;
}

static inline uint32_t sched_slot_alloc(sim_sched *s)
{
    uint32_t slot = s->free_head;

    if (slot != SCHED_NIL) {
        s->free_head = s->pool[slot].next_free;
        return slot;
    }
    if (s->pool_used == s->pool_cap) {
        uint32_t cap = s->pool_cap * 2;

        /* Slots must fit the low 32 bits of a key, minus SCHED_NIL. */
        assert(s->pool_cap < SCHED_NIL / 2);
        s->pool = xreallocarray(s->pool, cap, sizeof(sim_event));
        s->pool_cap = cap;
    }
    slot = s->pool_used++;
    s->pool[slot].fn = NULL;
    s->pool[slot].gen = 0;
    return slot;
}

/* ===================================================================
 * Maintenance: compaction and sequence renumbering (both rare)
 * =================================================================== */

#ifndef NDEBUG
/* Invariant checker, O(n): only ever called inside assert(). */
static int sched_sane(const sim_sched *s)
{
    size_t i, live = 0;

    for (i = s->hole ? 1 : 0; i < s->heap_n; i++) {
        uint32_t slot = sched_key_slot(s->heap[i]);

        if (slot >= s->pool_used)
            return 0;
        if ((sim_time)s->heap[i].t < s->now)
            return 0;
        if ((s->heap[i].sk >> 32) >= s->seq)
            return 0;
        if (s->pool[slot].fn)
            live++;
        if (i > 0 && !(s->hole && (i - 1) / SCHED_ARITY == 0) &&
            sched_key_lt(s->heap[i], s->heap[(i - 1) / SCHED_ARITY]))
            return 0;
    }
    return live == s->npending &&
           s->heap_n - (size_t)s->hole == s->npending + s->ncancelled;
}
#endif

/* Drops every cancelled entry and rebuilds the heap: O(heap_n). */
static void sched_compact(sim_sched *s)
{
    size_t i, j = 0;

    if (s->hole)
        sched_fill_hole(s);
    for (i = 0; i < s->heap_n; i++) {
        uint32_t slot = sched_key_slot(s->heap[i]);

        if (s->pool[slot].fn)
            s->heap[j++] = s->heap[i];
        else
            sched_slot_free(s, slot);
    }
    s->heap_n = j;
    s->ncancelled = 0;
    sched_heapify(s);
    assert(sched_sane(s));
}

/* Renumbers pending keys 0..n-1 in (time, seq) order so the counter can
 * restart below SIM_SCHED_SEQ_LIMIT.  In-place heapsort (descending with
 * a min-heap), then reversed: an ascending array is itself a valid heap.
 * Runs once per ~4e9 schedules, so O(n log n) here is nothing. */
static void sched_renumber(sim_sched *s)
{
    sched_key *h;
    size_t n, i;

    sched_compact(s);
    h = s->heap;
    for (n = s->heap_n; n > 1; n--) {
        sched_key top = h[0];

        sched_sift_down(h, n - 1, 0, h[n - 1]);
        h[n - 1] = top;
    }
    for (i = 0; i < s->heap_n / 2; i++) {
        sched_key tmp = h[i];

        h[i] = h[s->heap_n - 1 - i];
        h[s->heap_n - 1 - i] = tmp;
    }
    for (i = 0; i < s->heap_n; i++)
        h[i].sk = ((uint64_t)i << 32) | sched_key_slot(h[i]);
    s->seq = s->heap_n;
    assert(sched_sane(s));
}

/* ===================================================================
 * Public API
 * =================================================================== */

/* Never returns NULL in practice: allocation failure aborts in xmalloc. */
sim_sched *sim_sched_new(void *ctx, size_t hint)
{
    sim_sched *s = xcalloc(1, sizeof(*s));
    size_t cap = SCHED_DEFAULT_CAP;

    while (cap < hint && cap < SCHED_NIL / 2)
        cap *= 2;
    s->ctx = ctx;
    s->pool_cap = (uint32_t)cap;
    s->pool = xreallocarray(NULL, cap, sizeof(sim_event));
    s->free_head = SCHED_NIL;
    sched_heap_reserve(s, cap);
    return s;
}

/* Pending events are dropped; their `arg` pointers are the caller's. */
void sim_sched_free(sim_sched *s)
{
    if (!s)
        return;
    free(s->pool);
    free(s->heap_mem);
    free(s);
}

sim_time sim_sched_now(const sim_sched *s)
{
    return s->now;
}

sim_event_id sim_sched_at(sim_sched *s, sim_time t, sim_event_fn fn,
                          uint32_t kind, uint32_t node, void *arg,
                          uint64_t u64)
{
    sim_event_id id;
    sim_event *ev;
    uint32_t slot;
    sched_key k;

    assert(t >= s->now);
    assert(fn != NULL);
    if (s->seq >= SIM_SCHED_SEQ_LIMIT)
        sched_renumber(s);
    slot = sched_slot_alloc(s);
    ev = &s->pool[slot];
    ev->fn = fn;
    ev->arg = arg;
    ev->u64 = u64;
    ev->kind = kind;
    ev->node = node;
    k.t = (uint64_t)t;
    k.sk = (s->seq++ << 32) | slot;
    sched_heap_push(s, k);
    s->npending++;
    id.slot = slot + 1;
    id.gen = ev->gen;
    return id;
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

/* Lazy: the record is marked and its heap entry is skipped when it reaches
 * the top, or dropped by sched_compact once cancelled entries outnumber
 * half the heap. */
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
    if (s->ncancelled > SCHED_COMPACT_MIN && s->ncancelled * 2 > s->heap_n)
        sched_compact(s);
    return 0;
}

/* When no event <= until is left (queue empty, or the next one is later)
 * the clock moves to `until` (unless SIM_TIME_MAX or in the past): that is
 * "drained before until" — nothing can happen in between.  A stop or the
 * max_events limit leaves now at the last executed event. */
uint64_t sim_sched_run(sim_sched *s, sim_time until, uint64_t max_events)
{
    uint64_t ran = 0;
    int drained = 0;

    assert(!s->running);                /* not re-entrant */
    s->running = 1;
    s->stop = 0;
    for (;;) {
        sched_key top;
        sim_event *ev;
        sim_event_fn fn;
        void *arg;
        uint64_t u64;
        uint32_t kind, node, slot;

        if (s->hole)
            sched_fill_hole(s);
        if (s->heap_n == 0) {
            drained = 1;
            break;
        }
        top = s->heap[0];
        slot = sched_key_slot(top);
        ev = &s->pool[slot];
        if (ev->fn == NULL) {           /* lazily cancelled: discard */
            s->hole = 1;
            s->ncancelled--;
            sched_slot_free(s, slot);
            continue;
        }
        if ((sim_time)top.t > until) {
            drained = 1;
            break;
        }
        /* Consume the root but leave its replacement to the next push, and
         * free the record before the handler so that the event it most
         * likely schedules reuses a slot that is already in cache. */
        s->hole = 1;
        s->now = (sim_time)top.t;
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
        fn(s, s->ctx, kind, node, arg, u64);
        if (++ran == max_events || s->stop)
            break;
    }
    if (drained && until != SIM_TIME_MAX && until > s->now)
        s->now = until;
    s->running = 0;
    s->stop = 0;
    return ran;
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

uint64_t sim_sched_executed(const sim_sched *s)
{
    return s->executed;
}

void sim_sched_set_observer(sim_sched *s, sim_observe_fn fn, void *octx)
{
    s->observe = fn;
    s->octx = octx;
}
