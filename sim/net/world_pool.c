/* world_pool.c — packets and the world's packet pool, one per partition:
 * size classes of 16 B steps (to 1 KiB) then powers of two, slabbed
 * classes carved out of 64 KiB chunks, the large ones one malloc each,
 * reused through free lists.  The seam: everything that makes, copies,
 * frees or counts a packet (sim_pkt_*, sim_world_pkt_*, pool checks);
 * the rest of the world only calls these.  Private header: world_int.h. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "world_int.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * Packets
 * ---------------------------------------------------------------------- */

const char *sim_pkt_type_name(sim_pkt_type t)
{
    static const char *const names[SIM_PKT_TYPE_COUNT] = {
        "invalid", "register", "register_ack", "data", "publish", "control",
    };
    return (unsigned)t < SIM_PKT_TYPE_COUNT ? names[t] : "invalid";
}

/* Bytes of a packet of size class cls: 16-byte steps up to 1 KiB (most
 * protocol messages: a set-up burst holds a million of them at once, so
 * each byte of rounding is a megabyte), then powers of two. */
static uint32_t pool_class_bytes(uint8_t cls)
{
    return cls < POOL_FINE ? POOL_STEP * (cls + 1u)
                           : 2048u << (cls - POOL_FINE);
}

_Static_assert((2048u << (POOL_CLASSES - 1 - POOL_FINE)) == SIM_PKT_MAX,
               "the largest packet class is SIM_PKT_MAX");
_Static_assert((2048u << (POOL_SLABBED - 1 - POOL_FINE)) + sizeof(sim_pkt) +
                   POOL_REDZONE <= (POOL_CHUNK - POOL_HDR) / 4,
               "a chunk holds at least four packets of each slabbed class");

static uint8_t pool_class(uint32_t need)
{
    uint8_t cls;

    if (need <= POOL_STEP * POOL_FINE)
        return (uint8_t)(need ? (need - 1) / POOL_STEP : 0);
    for (cls = POOL_FINE; pool_class_bytes(cls) < need; cls++)
        ;
    return cls;
}

/* The chunk a slabbed packet lives in. */
static pool_chunk *chunk_of(const sim_pkt *p)
{
    return (pool_chunk *)((uintptr_t)p & ~(uintptr_t)(POOL_CHUNK - 1));
}

/* The O(1) invariants of chunk c, for assert() on every packet; the
 * whole of pool_chunk's with `walk` (its free list: O(slots), for
 * sim_world_pool_check). */
static int pool_chunk_sane(const pool_chunk *c, int walk)
{
    uint32_t n_free = 0;

    if (c->cls >= POOL_SLABBED || c->live > c->carved || c->carved > c->n ||
        c->slot != sizeof(sim_pkt) + pool_class_bytes(c->cls) + POOL_REDZONE ||
        POOL_HDR + (size_t)c->n * c->slot > POOL_CHUNK)
        return 0;
    if (!walk)
        return 1;
    for (const sim_pkt *p = c->free; p; p = p->next) {
        size_t off = (size_t)((const unsigned char *)p -
                              (const unsigned char *)c);
        if (chunk_of(p) != c || off < POOL_HDR ||
            (off - POOL_HDR) % c->slot ||
            (off - POOL_HDR) / c->slot >= c->carved ||
            p->cls != c->cls || ++n_free > c->carved)
            return 0;
    }
    return c->live + n_free == c->carved;
}

/* Links c at the head of its class's partial list. */
static void partial_push(world_part *pt, pool_chunk *c)
{
    c->prev = NULL;
    c->next = pt->partial[c->cls];
    if (c->next)
        c->next->prev = c;
    pt->partial[c->cls] = c;
}

static void partial_unlink(world_part *pt, pool_chunk *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        pt->partial[c->cls] = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* An empty chunk for class cls, on its partial list: a warm one, else a
 * cold one (its pages come back zeroed when touched), else one of a new
 * region.  Allocates only when the pool has never been this large. */
static pool_chunk *chunk_take(world_part *pt, uint8_t cls)
{
    pool_chunk *c;

    if (pt->warm) {
        c = pt->warm;
        pt->warm = c->next;
        pt->n_warm--;
    } else if (pt->n_cold) {
        c = pt->cold[--pt->n_cold];
    } else {
        if (!pt->n_fresh) {
            void *r;
            if (pt->n_regions == pt->cap_regions) {
                pt->cap_regions = pt->cap_regions ? 2 * pt->cap_regions : 16;
                pt->regions = xreallocarray(pt->regions, pt->cap_regions,
                                           sizeof *pt->regions);
            }
            if (posix_memalign(&r, POOL_CHUNK,
                               (size_t)POOL_REGION * POOL_CHUNK))
                xoom((size_t)POOL_REGION * POOL_CHUNK);
            pt->regions[pt->n_regions++] = r;
            pt->fresh = r;
            pt->n_fresh = POOL_REGION;
        }
        c = (pool_chunk *)pt->fresh;
        pt->fresh += POOL_CHUNK;
        pt->n_fresh--;
    }
    c->free = NULL;
    c->live = c->carved = 0;
    c->cls = cls;
    c->part = (uint8_t)pt->idx;
    c->slot = (uint32_t)sizeof(sim_pkt) + pool_class_bytes(cls) + POOL_REDZONE;
    c->n = (POOL_CHUNK - POOL_HDR) / c->slot;
    POOL_POISON((unsigned char *)c + POOL_HDR, POOL_CHUNK - POOL_HDR);
    pt->chunks_used++;
    partial_push(pt, c);
    return c;
}

/* Gives chunk c's pages back to the kernel (they read as zeros when next
 * touched) and keeps c on the cold list for reuse. */
static void chunk_give(world_part *pt, pool_chunk *c)
{
    if (pt->n_cold == pt->cap_cold) {
        pt->cap_cold = pt->cap_cold ? 2 * pt->cap_cold : 64;
        pt->cold = xreallocarray(pt->cold, pt->cap_cold, sizeof *pt->cold);
    }
    pt->cold[pt->n_cold++] = c;
#ifdef MADV_DONTNEED
    (void)madvise(c, POOL_CHUNK, MADV_DONTNEED);   /* may fail: kept then */
#endif
    pt->pool_given++;
}

/* Chunk c (empty, off every list) leaves its class: kept resident while
 * the warm chunks are fewer than max(POOL_KEEP_MIN, chunks used), else
 * given back, and one more warm chunk is given back while there are more
 * than that (the warm stack follows the chunks used down after a burst:
 * a burst's packets do not stay resident for the rest of the run). */
static void chunk_put(world_part *pt, pool_chunk *c)
{
    uint32_t keep;

    assert(c->live == 0 && pt->chunks_used > 0);
    pt->chunks_used--;
    keep = pt->chunks_used > POOL_KEEP_MIN ? pt->chunks_used : POOL_KEEP_MIN;
    if (pt->n_warm < keep) {
        c->next = pt->warm;
        pt->warm = c;
        pt->n_warm++;
        return;
    }
    chunk_give(pt, c);
    if (pt->n_warm > keep) {
        pool_chunk *x = pt->warm;
        pt->warm = x->next;
        pt->n_warm--;
        chunk_give(pt, x);
    }
}

static sim_pkt *pkt_alloc(world_part *pt, uint32_t need)
{
    uint8_t cls = pool_class(need);
    pool_chunk *c;
    sim_pkt *p;

    assert(cls < POOL_CLASSES && pool_class_bytes(cls) >= need);
    pt->pkt_taken++;
    pt->pkt_live++;
    if (cls >= POOL_SLABBED) {                 /* large: one malloc each */
        uint8_t k = (uint8_t)(cls - POOL_SLABBED);
        p = pt->pool[k];
        if (p) {
            pt->pool[k] = p->next;
        } else {
            p = xmalloc(sizeof *p + pool_class_bytes(cls));
            p->cap = pool_class_bytes(cls);
            p->cls = cls;
            if (pt->n_blocks == pt->cap_blocks) {
                pt->cap_blocks = pt->cap_blocks ? 2 * pt->cap_blocks : 256;
                pt->blocks = xreallocarray(pt->blocks, pt->cap_blocks,
                                          sizeof *pt->blocks);
            }
            pt->blocks[pt->n_blocks++] = p;
        }
        p->next = NULL;
        return p;
    }
    c = pt->partial[cls];
    if (!c)
        c = chunk_take(pt, cls);
    if (c->free) {
        p = c->free;
        c->free = p->next;
        POOL_UNPOISON(p->buf, p->cap);
    } else {
        p = (sim_pkt *)((unsigned char *)c + POOL_HDR +
                        (size_t)c->carved++ * c->slot);
        POOL_UNPOISON(p, sizeof *p + pool_class_bytes(cls));
        p->cap = pool_class_bytes(cls);
        p->cls = cls;
    }
    if (++c->live == c->n)
        partial_unlink(pt, c);                  /* full */
    assert(pool_chunk_sane(c, 0));
    p->next = NULL;
    return p;
}

/* Returns p's slot to its chunk; an empty chunk leaves its class unless
 * it is the class's only partial chunk. */
void world_pkt_release(world_part *pt, sim_pkt *p)
{
    pool_chunk *c;

    if (p->cls >= POOL_SLABBED) {
        uint8_t k = (uint8_t)(p->cls - POOL_SLABBED);
        p->next = pt->pool[k];
        pt->pool[k] = p;
        return;
    }
    c = chunk_of(p);
    if (c->part != pt->idx) {
        /* Another partition's packet (an arrival across the cut): back to
         * its pool at the barrier (world_barrier), never from here. */
        p->next = pt->ret[pt->cur];
        pt->ret[pt->cur] = p;
        return;
    }
    assert(c->cls == p->cls && c->live > 0);
    p->next = c->free;
    c->free = p;
    POOL_POISON(p->buf, p->cap);      /* the header keeps the free list */
    if (c->live-- == c->n)
        partial_push(pt, c);                    /* was full */
    else if (c->live == 0 && (c->prev || c->next)) {
        partial_unlink(pt, c);                  /* not the class's reserve */
        chunk_put(pt, c);
        return;
    }
    assert(pool_chunk_sane(c, 0));
}

/* Packet p (freed) back into the pool it came from: a chunk's owner, or
 * for a large packet partition 0's free list.  Both partitions stopped. */
void world_pkt_return(sim_world *w, sim_pkt *p)
{
    int k = p->cls < POOL_SLABBED ? chunk_of(p)->part : 0;

    world_pkt_release(&w->parts[k], p);
}

/* Both partitions' counts (pkt_live of one partition may wrap: a packet
 * made in one and freed in the other; the sum is right). */
uint64_t sim_world_pkt_taken(const sim_world *w)
{
    return w->parts[0].pkt_taken + w->parts[1].pkt_taken;
}

uint64_t sim_world_pkt_live(const sim_world *w)
{
    return w->parts[0].pkt_live + w->parts[1].pkt_live;
}

/* sim_pkt_new and sim_pkt_new_clear: `room` extra bytes for tags. */
static sim_pkt *pkt_new(sim_world *w, sim_pkt_type type, uint32_t src,
                        uint32_t dst, uint32_t seq, uint32_t ctl,
                        uint32_t data, uint32_t room)
{
    uint32_t len = SIM_HDR_BYTES + ctl + data;
    sim_hdr h;
    sim_pkt *p;

    assert(ctl + data <= SIM_PKT_MAX - SIM_HDR_BYTES - 2 * CRY_TAG_BYTES);
    p = pkt_alloc(WP(w), len + room);
    p->created = sim_sched_now(WP(w)->sched);
    p->arrived = 0;
    p->sent = -1;
    p->served = -1;
    p->mark = 0;
    p->origin = src;
    p->len = len;
    p->payload = 0;
    p->atk = 0;
    p->atk_state = 0;
    p->atk_class = 0;
    memset(&h, 0, sizeof h);
    h.type = (uint8_t)type;
    h.src = src;
    h.dst = dst;
    h.seq = seq;
    h.hop_from = src;
    h.ctl_len = ctl;
    h.data_len = data;
    sim_hdr_write(p->buf, &h);
    memset(p->buf + SIM_HDR_BYTES, 0, ctl + data);
    return p;
}

sim_pkt *sim_pkt_new(sim_world *w, sim_pkt_type type, uint32_t src,
                     uint32_t dst, uint32_t seq, uint32_t ctl, uint32_t data)
{
    return pkt_new(w, type, src, dst, seq, ctl, data, 2 * CRY_TAG_BYTES);
}

sim_pkt *sim_pkt_new_clear(sim_world *w, sim_pkt_type type, uint32_t src,
                           uint32_t dst, uint32_t seq, uint32_t ctl,
                           uint32_t data)
{
    return pkt_new(w, type, src, dst, seq, ctl, data, 0);
}

sim_pkt *sim_pkt_clone(sim_world *w, const sim_pkt *p)
{
    sim_pkt *q = pkt_alloc(WP(w), p->cap);
    uint32_t cap = q->cap;
    uint8_t cls = q->cls;

    memcpy(q, p, sizeof *p + p->len);
    q->cap = cap;
    q->cls = cls;
    q->next = NULL;
    q->atk = 0;
    q->atk_state = 0;
    return q;
}

void sim_pkt_free(sim_world *w, sim_pkt *p)
{
    if (!p)
        return;
    world_part *pt = WP(w);

    pt->pkt_live--;
    world_pkt_release(pt, p);
}

/* pool_check of one partition's pool; also checks that its chunks are
 * marked as its own and that no packet waits to be returned to it. */
static int pool_check_part(const world_part *pt)
{
    uint32_t partial = 0, warm = 0;

    if (pt->ret[0] || pt->ret[1])
        return -1;
    for (uint8_t k = 0; k < POOL_SLABBED; k++)
        for (const pool_chunk *c = pt->partial[k]; c; c = c->next) {
            partial++;
            if (c->cls != k || c->live >= c->n || !pool_chunk_sane(c, 1) ||
                c->part != pt->idx ||
                (c->next && c->next->prev != c) ||
                (c->live == 0 && (c->prev || c->next)) ||
                (!c->prev && pt->partial[k] != c))
                return -1;
        }
    for (const pool_chunk *c = pt->warm; c; c = c->next)
        if (++warm > pt->n_warm)
            return -1;
    if (warm != pt->n_warm || partial > pt->chunks_used ||
        (uint64_t)pt->chunks_used + pt->n_warm + pt->n_cold + pt->n_fresh !=
            (uint64_t)pt->n_regions * POOL_REGION)
        return -1;
    return 0;
}

int sim_world_pool_check(const sim_world *w)
{
    return pool_check_part(&w->parts[0]) || pool_check_part(&w->parts[1])
               ? -1 : 0;
}

/* Both partitions' pools added up. */
void sim_world_pool_stats(const sim_world *w, sim_pool_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < 2; k++) {
        const world_part *pt = &w->parts[k];
        out->chunks_used += pt->chunks_used;
        out->chunks_warm += pt->n_warm;
        out->chunks_cold += pt->n_cold;
        out->chunks_given += pt->pool_given;
        out->regions += pt->n_regions;
    }
}

/* Frees every packet wherever it is (free list, source hold queue, SO
 * queue, or the argument of a pending event). */
void world_pool_release(world_part *pt)
{
    for (size_t i = 0; i < pt->n_blocks; i++)
        free(pt->blocks[i]);
    free(pt->blocks);
    pt->blocks = NULL;
    pt->n_blocks = pt->cap_blocks = 0;
    memset(pt->pool, 0, sizeof pt->pool);
    for (uint32_t i = 0; i < pt->n_regions; i++)
        free(pt->regions[i]);
    free(pt->regions);
    free(pt->cold);
    pt->regions = NULL;
    pt->cold = NULL;
    pt->warm = NULL;
    pt->n_regions = pt->cap_regions = pt->n_cold = pt->cap_cold = 0;
    pt->n_warm = pt->chunks_used = pt->n_fresh = 0;
    pt->fresh = NULL;
    memset(pt->partial, 0, sizeof pt->partial);
}
