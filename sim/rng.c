/* rng.c — per-purpose, per-index GSL streams seeded through BLAKE2b.
 * Streams of a purpose live in a dense array indexed by `index` (grown on
 * demand) so lookup on hot paths is one load. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "rng.h"
#include "cry.h"
#include "util.h"

typedef struct rng_table {
    gsl_rng **s;          /* s[index], NULL until first use              */
    size_t cap;           /* slots allocated                             */
} rng_table;

struct sim_rng {
    uint64_t seed;
    rng_table t[SIM_RNG_COUNT];
};

static const char *const purpose_names[SIM_RNG_COUNT] = {
    "topology", "traffic", "node", "link", "service", "publish", "protocol",
    "attacker",
};

/* Layout of GSL's taus2 state (gsl/rng/taus.c): three 32-bit components
 * held in unsigned longs, with s1 >= 2, s2 >= 8, s3 >= 16.  Checked
 * against gsl_rng_size() at creation. */
typedef struct taus_state {
    unsigned long s1, s2, s3;
} taus_state;

static gsl_rng *stream_create(uint64_t seed, sim_stream purpose,
                              uint64_t index)
{
    unsigned char buf[12];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_taus2);
    taus_state *st;

    if (!g)
        xoom(sizeof(taus_state));
    assert(gsl_rng_size(g) == sizeof(taus_state));
    cry_derive(buf, sizeof buf, seed, purpose_names[purpose], index);
    st = gsl_rng_state(g);
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
    return g;
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
        for (size_t i = 0; i < r->t[p].cap; i++)
            gsl_rng_free(r->t[p].s[i]);
        free(r->t[p].s);
    }
    free(r);
}

gsl_rng *sim_rng_get(sim_rng *r, sim_stream purpose, uint64_t index)
{
    rng_table *t;

    assert(purpose < SIM_RNG_COUNT);
    t = &r->t[purpose];
    if (index >= t->cap) {
        size_t ncap = t->cap ? t->cap : 16;
        while (ncap <= index)
            ncap *= 2;
        t->s = xreallocarray(t->s, ncap, sizeof *t->s);
        memset(t->s + t->cap, 0, (ncap - t->cap) * sizeof *t->s);
        t->cap = ncap;
    }
    if (!t->s[index])
        t->s[index] = stream_create(r->seed, purpose, index);
    return t->s[index];
}

uint64_t sim_rng_seed(const sim_rng *r)
{
    return r->seed;
}

const char *sim_rng_purpose_name(sim_stream purpose)
{
    return purpose < SIM_RNG_COUNT ? purpose_names[purpose] : "?";
}
