/* kmap.h — an open-addressing hash map from a pair of 64-bit integers to a
 * 64-bit value, for protocol tables (node x key name -> key, node x
 * neighbour -> connection).  Linear probing, backward-shift deletion (no
 * tombstones), at most three quarters full.  Iteration order is never
 * exposed, so nothing that depends on it can reach results. */
#ifndef KMSIM_KMAP_H
#define KMSIM_KMAP_H

#include <stddef.h>
#include <stdint.h>

/* 24 bytes: a slot is free when a == KMAP_FREE, so the first key of an
 * entry can never be UINT64_MAX (KMAP_ANY, the same value, is reserved
 * for kmap_list anyway). */
typedef struct kmap_slot {
    uint64_t a, b;       /* the key; a == KMAP_FREE: free slot            */
    uint64_t v;          /* the value                                     */
} kmap_slot;

#define KMAP_FREE UINT64_MAX

/* Locality check of the test build (-DKMSIM_LOCALITY, world.h): a table
 * whose first key is the node that holds the entry may name an owner
 * function, called with that key (KMAP_ANY for a list of every entry),
 * the table's name and the address the get/put/del/list returns to. */
#ifdef KMSIM_LOCALITY
typedef void (*kmap_owner_fn)(void *ctx, uint64_t a, const char *name,
                              const void *ret);
#endif

typedef struct kmap {
    kmap_slot *slot;     /* cap slots, NULL while cap == 0                */
    size_t cap;          /* 0 or a power of two                           */
    size_t n;            /* entries; 4 n <= 3 cap                         */
#ifdef KMSIM_LOCALITY
    kmap_owner_fn own;   /* NULL: not checked                             */
    void *own_ctx;
    const char *own_name;
#endif
} kmap;

void kmap_init(kmap *m);
void kmap_deinit(kmap *m);                 /* frees; safe on zeroed map */
/* Pointer to the value of (a, b), or NULL if absent.  Valid until the
 * next put or del. */
uint64_t *kmap_get(const kmap *m, uint64_t a, uint64_t b);
/* Sets (a, b) -> v (inserting or replacing); a != UINT64_MAX. */
void kmap_put(kmap *m, uint64_t a, uint64_t b, uint64_t v);
/* Removes (a, b); returns 1 if it was there. */
int kmap_del(kmap *m, uint64_t a, uint64_t b);
/* The entries whose first key is `a` (every entry when a is KMAP_ANY),
 * copied into *out sorted by (a, b), so no order of the hashing shows.
 * *out is malloc'd (NULL when none; the caller frees it); returns the
 * count.  Cost: a scan of the whole table, O(cap + k log k): for rare
 * events (an attacker's capture), never per message. */
#define KMAP_ANY UINT64_MAX
size_t kmap_list(const kmap *m, uint64_t a, kmap_slot **out);

#ifdef KMSIM_LOCALITY
/* m's first keys are holders: fn checks each access (after kmap_init;
 * kmap_deinit forgets it). */
void kmap_set_owner(kmap *m, kmap_owner_fn fn, void *ctx, const char *name);
#endif

#endif
