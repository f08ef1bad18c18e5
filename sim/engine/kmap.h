/* kmap.h — an open-addressing hash map from a pair of 64-bit integers to a
 * 64-bit value, for protocol tables (node x key name -> key, node x
 * neighbour -> connection).  Linear probing, backward-shift deletion (no
 * tombstones), at most three quarters full; and kmapn, the same per owner
 * (one small map per node in one arena).  Iteration order is never
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

/* ------------------------------------------------------------------------
 * kmapn: one small map per owner (a node), u64 key -> u64 value, all of
 * them in one arena.  For a table every lookup of which names its owner
 * first (a node's keys by name): a lookup hashes the name into the
 * owner's own block of slots, so it touches that node's memory only (one
 * or two cache lines while the node holds a handful of entries) instead
 * of probing a table of every node's entries (a likely miss per lookup
 * at 10^5 nodes and more).
 *
 * Invariants: owner o's block is arena slots [off, off + 2^lg) (lg == 0:
 * no block, n == 0), a power of two >= 2^KMAPN_MIN_LG slots, at most
 * three quarters full (4 n <= 3 * 2^lg), linear probing within the block
 * with backward-shift deletion, a free slot's key being KMAPN_FREE.  A
 * block a grown table leaves is kept on the free list of its size (its
 * first slot's value links the list) and handed to the next owner that
 * needs that size; the arena never shrinks.  Memory: 16 bytes per slot,
 * 16 per owner.  Iteration order is never exposed (kmapn_list sorts).
 *
 * Filter: each head carries a 32-bit summary of its owner's keys, one bit
 * per key (kmapn_fbit); every key present has its bit set (a delete
 * clears bits only where it recounts them: the owner's last entry, or a
 * block of at most 2^KMAPN_REFILT_LG slots, so bits of deleted keys may
 * remain).  A get whose bit is clear answers "absent" from the head alone,
 * without loading the owner's block: the common case of a lookup that
 * misses in a small table (a relay's route entry for a channel it is not
 * on) costs one cache line, not two. */
#define KMAPN_FREE UINT64_MAX
#define KMAPN_MIN_LG 2           /* smallest block: 4 slots (64 bytes)    */

typedef struct kmapn_slot {
    uint64_t k;          /* KMAPN_FREE: free slot                         */
    uint64_t v;
} kmapn_slot;

typedef struct kmapn_head {
    uint32_t off;        /* first slot of the block in its arena          */
    uint32_t n;          /* entries                                       */
    uint32_t filt;       /* OR of kmapn_fbit of the keys (and maybe of
                          * deleted ones); 0 when n == 0                  */
    uint8_t lg;          /* block of 2^lg slots; 0: none                  */
    uint8_t part;        /* the arena the block is in (kmapn_set_parts;
                          * 0 unless set: in the head's padding)          */
} kmapn_head;

#define KMAPN_REFILT_LG 3        /* del recounts filt in blocks up to 8   */

/* The filter bit of key k: one of 32, from the top bits of a multiplier
 * other than the one that places k in its block. */
static inline uint32_t kmapn_fbit(uint64_t k)
{
    return (uint32_t)1 << ((k * 0xff51afd7ed558ccdu) >> 59);
}

/* Partitions (--threads 2, sim/THREADS.md): each owner's block lies in
 * the arena of its partition (head.part), and a put or del of an owner
 * writes its own head and its partition's arena only, so that owners of
 * different partitions can be written by two threads at once.  One
 * partition (the default): everything in ar[0], as one arena.  Each arena
 * starts a cache line of its own (no false sharing between threads). */
#define KMAPN_PARTS 2

typedef struct kmapn_arena {
    kmapn_slot *slot;    /* the arena: top slots used of cap              */
    size_t top, cap;
    size_t n;            /* entries of the owners of this partition       */
    uint32_t free_head[32]; /* per lg: offset + 1 of a free block, 0: none */
} __attribute__((aligned(64))) kmapn_arena;

typedef struct kmapn {
    kmapn_head *head;    /* n_owner heads                                 */
    uint32_t n_owner;
    kmapn_arena ar[KMAPN_PARTS];
} kmapn;

/* n_owner empty maps (owners 0 .. n_owner - 1); kmapn_deinit frees (safe
 * on a zeroed or deinited one). */
void kmapn_init(kmapn *m, uint32_t n_owner);
void kmapn_deinit(kmapn *m);
/* Owner o's block goes in arena part_of[o] (< KMAPN_PARTS) from now on;
 * only on a map with no block yet (right after kmapn_init).  part_of NULL:
 * nothing changes (one arena). */
void kmapn_set_parts(kmapn *m, const uint8_t *part_of);
/* Entries of every owner (of every arena). */
size_t kmapn_size(const kmapn *m);
/* Pointer to the value of owner's key k, or NULL if absent.  Valid until
 * the next put or del of any owner (the arena may move). */
uint64_t *kmapn_get(const kmapn *m, uint32_t owner, uint64_t k);
/* Sets owner's k -> v (k != KMAPN_FREE); returns 1 if k was new, 0 if
 * its value was replaced. */
int kmapn_put(kmapn *m, uint32_t owner, uint64_t k, uint64_t v);
/* Makes owner's block large enough for n entries in all, so that puts up
 * to n entries do not grow it (a table filled at once, e.g. a source's
 * ring, gets its final block directly instead of leaving the smaller
 * ones it would grow through on the free lists).  Never shrinks; values
 * and lookups are unchanged.  Invalidates pointers, as put. */
void kmapn_reserve(kmapn *m, uint32_t owner, uint32_t n);
/* Removes owner's k; returns 1 if it was there. */
int kmapn_del(kmapn *m, uint32_t owner, uint64_t k);
/* Entries of owner. */
uint32_t kmapn_count(const kmapn *m, uint32_t owner);
/* owner's entries copied into *out sorted by key (malloc'd, NULL when
 * none; the caller frees it); returns the count.  O(block + n log n). */
size_t kmapn_list(const kmapn *m, uint32_t owner, kmapn_slot **out);
/* Bytes held: heads and arenas (reserved slots included). */
size_t kmapn_bytes(const kmapn *m);
/* Invariant check for tests and assert(): every owner's count, load,
 * block bounds, probe chains (each key reachable from its home) and
 * filter (each key's bit set; 0 when empty).  1 if sane, 0 if not. */
int kmapn_sane(const kmapn *m);

#endif
