/* rng.c — per-purpose, per-index GSL streams seeded through BLAKE2b.
 * A stream is a 64-byte record (the gsl_rng handle and the taus2 state it
 * points to, side by side on one cache line) in a slab that only grows;
 * each purpose maps `index` to its record through a dense array of 32-bit
 * slots, or (a source's traffic stream) by index alone in chunks of its
 * own.  A draw on a hot path thus reads one slot (4 bytes per index,
 * mostly cached) and one line, or the line alone, where a gsl_rng_alloc'd
 * stream cost three dependent loads (pointer, handle, separately
 * allocated state: issue 22). */
#include <assert.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "rng.h"
#include "cry.h"
#include "util.h"

/* Layout of GSL's taus2 state (gsl/rng/taus.c): three 32-bit components
 * held in unsigned longs, with s1 >= 2, s2 >= 8, s3 >= 16.  Checked
 * against gsl_rng_size() at creation. */
typedef struct taus_state {
    unsigned long s1, s2, s3;
} taus_state;

/* One stream.  g.type is NULL until the stream is created; then g.state
 * points to st, so g is a valid gsl_rng for every gsl_rng_* and gsl_ran_*
 * call, never to be passed to gsl_rng_free (the slab owns it). */
typedef struct rng_rec {
    gsl_rng g;            /* what sim_rng_get returns                     */
    taus_state st;        /* its state                                    */
    unsigned char pad[64 - sizeof(gsl_rng) - sizeof(taus_state)];
} rng_rec;

#define RNG_REC_ALIGN 64      /* records never straddle two lines         */
#define RNG_CHUNK_BITS 8      /* 256 records (16 KiB) per slab chunk      */
#define RNG_CHUNK (1u << RNG_CHUNK_BITS)

_Static_assert(sizeof(rng_rec) == RNG_REC_ALIGN, "one record per line");

/* Streams of one purpose.  Sparse purposes: slot[index] is 1 + the
 * stream's record number in the slab, 0 until first use.  Dense ones
 * (RNG_DENSE: used by nearly every index, on hot paths): the record of
 * index is dense[index >> 8][index & 255], chunks allocated on first use
 * of one of their indices, so its address needs no slot read (the
 * world's look-ahead prefetches it without a stall). */
typedef struct rng_table {
    uint32_t *slot;       /* sparse: per index; grown on demand          */
    size_t cap;           /* slots allocated                             */
    struct rng_rec **dense; /* dense: chunks of RNG_CHUNK records         */
    size_t n_dense;       /* chunk pointers allocated                    */
} rng_table;

/* Invariant: records 0 .. n_recs - 1 of the slab are in use (chunk[r >> 8]
 * [r & 255]), each referenced by exactly one slot of one sparse purpose;
 * a dense purpose's records live in its own chunks.  No chunk ever moves,
 * so a returned gsl_rng stays valid until sim_rng_free. */
struct sim_rng {
    uint64_t seed;
    rng_table t[SIM_RNG_COUNT];
    rng_rec **chunk;      /* the slab: RNG_CHUNK records each            */
    size_t n_chunks, cap_chunks;
    uint32_t n_recs;      /* records handed out                          */
    int frozen;           /* sim_rng_freeze: no stream may be created    */
};

/* Purposes laid out densely: a source's traffic stream is drawn at each of
 * its messages. */
#define RNG_DENSE(p) ((p) == SIM_RNG_TRAFFIC)

static const char *const purpose_names[SIM_RNG_COUNT] = {
    "topology", "traffic", "node", "link", "service", "publish", "protocol",
    "attacker",
};

/* Sets up g (type NULL so far) as stream (purpose, index): the same
 * state a gsl_rng_alloc'd taus2 stream gets from the same bytes. */
static void stream_init(rng_rec *rec, uint64_t seed, sim_stream purpose,
                        uint64_t index)
{
    unsigned char buf[12];
    gsl_rng *g = &rec->g;
    taus_state *st = &rec->st;

    g->type = gsl_rng_taus2;
    g->state = st;
    assert(gsl_rng_size(g) == sizeof(taus_state));
    cry_derive(buf, sizeof buf, seed, purpose_names[purpose], index);
    st->s1 = (unsigned long)buf[0] | (unsigned long)buf[1] << 8 |
             (unsigned long)buf[2] << 16 | (unsigned long)buf[3] << 24;
    st->s2 = (unsigned long)buf[4] | (unsigned long)buf[5] << 8 |
             (unsigned long)buf[6] << 16 | (unsigned long)buf[7] << 24;
    st->s3 = (unsigned long)buf[8] | (unsigned long)buf[9] << 8 |
             (unsigned long)buf[10] << 16 | (unsigned long)buf[11] << 24;
    /* Enforce the generator's minimum values (probability ~2^-28). */
    if (st->s1 < 2)
        st->s1 += 2;
    if (st->s2 < 8)
        st->s2 += 8;
    if (st->s3 < 16)
        st->s3 += 16;
    /* Warm up as gsl's own taus_set does, to decorrelate the state. */
    for (int i = 0; i < 6; i++)
        (void)gsl_rng_get(g);
}

/* A zeroed chunk of RNG_CHUNK records, aligned to a line. */
static rng_rec *chunk_new(void)
{
    void *c;

    if (posix_memalign(&c, RNG_REC_ALIGN, RNG_CHUNK * sizeof(rng_rec)))
        xoom(RNG_CHUNK * sizeof(rng_rec));
    memset(c, 0, RNG_CHUNK * sizeof(rng_rec));
    return c;
}

/* The record of index in dense table t, its chunk created on first use
 * (g.type NULL until the stream is). */
static rng_rec *dense_rec(rng_table *t, uint64_t index)
{
    size_t ci = (size_t)(index >> RNG_CHUNK_BITS);

    if (ci >= t->n_dense) {
        size_t n = t->n_dense ? t->n_dense : 16;
        while (n <= ci)
            n *= 2;
        t->dense = xreallocarray(t->dense, n, sizeof *t->dense);
        memset(t->dense + t->n_dense, 0,
               (n - t->n_dense) * sizeof *t->dense);
        t->n_dense = n;
    }
    if (!t->dense[ci])
        t->dense[ci] = chunk_new();
    return &t->dense[ci][index & (RNG_CHUNK - 1)];
}

/* A new record from the slab (its g.type NULL), and its number in *r. */
static rng_rec *rec_new(sim_rng *r, uint32_t *num)
{
    uint32_t n = r->n_recs;

    if ((n >> RNG_CHUNK_BITS) == r->n_chunks) {
        if (r->n_chunks == r->cap_chunks) {
            r->cap_chunks = r->cap_chunks ? 2 * r->cap_chunks : 16;
            r->chunk = xreallocarray(r->chunk, r->cap_chunks,
                                     sizeof *r->chunk);
        }
        r->chunk[r->n_chunks++] = chunk_new();
    }
    assert(n < UINT32_MAX - 1);
    r->n_recs = n + 1;
    *num = n;
    return &r->chunk[n >> RNG_CHUNK_BITS][n & (RNG_CHUNK - 1)];
}

sim_rng *sim_rng_new(uint64_t seed)
{
    sim_rng *r = xcalloc(1, sizeof *r);
    r->seed = seed;
    return r;
}

void sim_rng_free(sim_rng *r)
{
    if (!r)
        return;
    for (int p = 0; p < SIM_RNG_COUNT; p++) {
        free(r->t[p].slot);
        for (size_t i = 0; i < r->t[p].n_dense; i++)
            free(r->t[p].dense[i]);
        free(r->t[p].dense);
    }
    for (size_t i = 0; i < r->n_chunks; i++)
        free(r->chunk[i]);
    free(r->chunk);
    free(r);
}

/* A stream created while frozen: two threads would insert into one
 * table (a programming error of the caller, THREADS.md). */
static void rng_frozen(sim_stream purpose, uint64_t index)
{
    fprintf(stderr, "kmsim: random stream %s[%llu] created during a "
            "two-thread run (not prepared: sim_rng_prepare)\n",
            purpose_names[purpose], (unsigned long long)index);
    abort();
}

gsl_rng *sim_rng_get(sim_rng *r, sim_stream purpose, uint64_t index)
{
    rng_table *t;
    rng_rec *rec;
    uint32_t num;

    assert(purpose < SIM_RNG_COUNT);
    t = &r->t[purpose];
    if (RNG_DENSE(purpose)) {
        size_t ci = (size_t)(index >> RNG_CHUNK_BITS);
        if (r->frozen && (ci >= t->n_dense || !t->dense[ci] ||
                          !t->dense[ci][index & (RNG_CHUNK - 1)].g.type))
            rng_frozen(purpose, index);
        rec = dense_rec(t, index);
        if (!rec->g.type)
            stream_init(rec, r->seed, purpose, index);
        return &rec->g;
    }
    if (index < t->cap && t->slot[index]) {
        num = t->slot[index] - 1;
        return &r->chunk[num >> RNG_CHUNK_BITS][num & (RNG_CHUNK - 1)].g;
    }
    if (r->frozen)
        rng_frozen(purpose, index);
    if (index >= t->cap) {
        size_t ncap = t->cap ? t->cap : 16;
        while (ncap <= index)
            ncap *= 2;
        t->slot = xreallocarray(t->slot, ncap, sizeof *t->slot);
        memset(t->slot + t->cap, 0, (ncap - t->cap) * sizeof *t->slot);
        t->cap = ncap;
    }
    rec = rec_new(r, &num);
    stream_init(rec, r->seed, purpose, index);
    t->slot[index] = num + 1;
    return &rec->g;
}

void sim_rng_prefetch(const sim_rng *r, sim_stream purpose, uint64_t index)
{
    const rng_table *t;
    uint32_t num;

    if (purpose >= SIM_RNG_COUNT)
        return;
    t = &r->t[purpose];
    if (RNG_DENSE(purpose)) {
        size_t ci = (size_t)(index >> RNG_CHUNK_BITS);
        if (ci < t->n_dense && t->dense[ci])
            __builtin_prefetch(&t->dense[ci][index & (RNG_CHUNK - 1)], 1);
        return;
    }
    if (index >= t->cap || !t->slot[index])
        return;
    num = t->slot[index] - 1;
    __builtin_prefetch(&r->chunk[num >> RNG_CHUNK_BITS]
                                [num & (RNG_CHUNK - 1)], 1);
}

uint64_t sim_rng_seed(const sim_rng *r)
{
    return r->seed;
}

const char *sim_rng_purpose_name(sim_stream purpose)
{
    return purpose < SIM_RNG_COUNT ? purpose_names[purpose] : "?";
}

void sim_rng_prepare(sim_rng *r, sim_stream purpose, uint64_t n)
{
    assert(!r->frozen);
    for (uint64_t i = 0; i < n; i++)
        (void)sim_rng_get(r, purpose, i);
}

void sim_rng_freeze(sim_rng *r, int on)
{
    r->frozen = on;
}
