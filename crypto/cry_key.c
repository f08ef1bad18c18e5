/* cry_key.c — the key store and the primitives the protocols use: key
 * values in a few guarded libsodium chunks, deterministic key material,
 * counter-nonce AEAD, H and G, the KDF f, constant-time comparison and
 * operation counters.  Not thread-safe as a whole: one store belongs to
 * one world; with parts (cry_keystore_new_parts) each part may be used by
 * its own thread (everything a key operation writes lives in the part of
 * the handle it allocates into or operates on). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "cry.h"
#include "cry_key.h"

_Static_assert(crypto_kdf_KEYBYTES == CRY_KEY_BYTES, "kdf key size");
_Static_assert(crypto_kdf_BYTES_MIN <= CRY_KEY_BYTES &&
               crypto_kdf_BYTES_MAX >= CRY_KEY_BYTES, "kdf subkey size");
_Static_assert(crypto_kdf_CONTEXTBYTES == 8, "kdf context size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == CRY_KEY_BYTES,
               "aead key size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == CRY_TAG_BYTES,
               "aead tag size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES ==
               CRY_NONCE_BYTES, "aead nonce size");
/* AES-256-GCM has the same sizes: the wire format does not depend on the
 * cipher (cry_aead). */
_Static_assert(crypto_aead_aes256gcm_KEYBYTES == CRY_KEY_BYTES,
               "aes256gcm key size");
_Static_assert(crypto_aead_aes256gcm_ABYTES == CRY_TAG_BYTES,
               "aes256gcm tag size");
_Static_assert(crypto_aead_aes256gcm_NPUBBYTES == CRY_NONCE_BYTES,
               "aes256gcm nonce size");
_Static_assert(CRY_HG_BYTES >= crypto_generichash_blake2b_BYTES_MIN &&
               CRY_HG_BYTES <= crypto_generichash_blake2b_BYTES_MAX,
               "H/G output size");

/* ---------------------------------------------------------------- store */

/* Chunk c holds CHUNK0_SLOTS << min(c, CHUNK_MAX_SHIFT) slots: sizes double
 * from 128 KiB up to 8 MiB, then stay there, so 10^6 keys take 9 guarded
 * regions and a small run pays for one.  Slot sizes are a multiple of the
 * page size, so the guard page sits right after the last slot. */
#define CHUNK0_SLOTS    4096u
#define CHUNK_MAX_SHIFT 6u
#define SLOT_LIVE       UINT32_MAX   /* link[] mark of a slot in use */
#define PART_SHIFT      31u          /* handle bit naming its part       */
#define SLOT_MASK       0x7fffffffu  /* handle bits naming its slot + 1  */
#define MAX_SLOTS       (SLOT_MASK - 1u) /* per part; handles stay < bit  */
#define VDIG_BYTES      16u          /* digest naming a key value       */

_Static_assert(CRY_PARTS_MAX <= 2u, "one handle bit names the part");

#ifdef KMSIM_NONCE_LEDGER
/* One sealed (key value, nonce) of the test build's ledger. */
typedef struct ledger_ent {
    unsigned char dig[VDIG_BYTES]; /* BLAKE2b-128 ("kmsim-ledger") of key */
    uint64_t ctr;               /* nonce counter                          */
    uint32_t sender;            /* nonce sender                           */
    uint32_t used;              /* 1 = slot taken                         */
} ledger_ent;
#endif

/* The nonce counter of one (key value, sender). */
typedef struct ctr_ent {
    uint64_t next;              /* next unused counter                    */
    uint32_t vid;               /* the value (1..nval)                    */
    uint32_t sender;            /* the nonce's sender                     */
} ctr_ent;

/* One part of a store (cry_keystore_new_parts): its own slots, free list,
 * value and counter tables (and ledger), so that two threads each using
 * the keys of their own part share nothing they write.
 * Invariants (per part):
 *  - handle h names part h >> PART_SHIFT, slot (h & SLOT_MASK) - 1; slots
 *    0..used-1 have been handed out at least once, slots used..cap-1
 *    never (they hold zeros);
 *  - link[i] == SLOT_LIVE iff slot i holds a key; otherwise (i < used) it
 *    is the handle of the next free slot, 0 ending the list at free_head;
 *  - live == number of slots with link[i] == SLOT_LIVE;
 *  - a slot that is free holds zeros (wiped when freed);
 *  - chunk memory never moves, so pointers into it stay valid while the
 *    metadata arrays grow;
 *  - nonce counters belong to a key VALUE and a SENDER, never to a slot
 *    and never to other senders: a value is named by an id (1..nval)
 *    found by its digest (vdig, BLAKE2b-128, open-addressing table vtab of
 *    vids); each (value id, sender) that sealed or asked has an entry
 *    ent[e - 1] (found through etab, open addressing of entry ids) whose
 *    `next` is that sender's next unused counter under the value; cent[i]
 *    is 0 or the entry slot i used last (a cache: one array read per seal
 *    while a slot keeps one sender, one probe when the sender changes).
 *    Entries are never forgotten, so a value re-imported, copied or
 *    derived again (a new slot) continues where that sender's last seal
 *    under it stopped, and (sender, counter) never repeats under a value.
 *    A sender's sequence never depends on other senders' seals (DESIGN.md
 *    locality; with two threads, on how they interleave).  Two values with
 *    one digest would share their counters: still never a repeat. */
typedef struct ks_part {
    unsigned char **chunk;      /* nchunks guarded regions (sodium_malloc) */
    size_t nchunks;             /* regions allocated */
    size_t chunk_alloc;         /* entries allocated in chunk[] */
    size_t cap;                 /* slots in all chunks */
    size_t used;                /* slots ever handed out (high-water mark) */
    size_t live;                /* keys held now */
    uint32_t free_head;         /* first free handle, 0 = none */
    uint32_t *link;             /* per slot: SLOT_LIVE or next free handle */
    uint32_t *cent;             /* per slot: counter entry used last, 0   */
    unsigned char (*vdig)[VDIG_BYTES]; /* per value id - 1: its digest     */
    size_t nval;                /* value ids handed out                   */
    size_t valloc;              /* entries allocated in vdig              */
    uint32_t *vtab;             /* open addressing: vid or 0 (empty)      */
    size_t vcap;                /* slots in vtab (power of two)           */
    ctr_ent *ent;               /* per entry id - 1: (value, sender) ctr  */
    size_t nent;                /* entries handed out                     */
    size_t ealloc;              /* entries allocated in ent               */
    uint32_t *etab;             /* open addressing: entry id or 0         */
    size_t ecap;                /* slots in etab (power of two)           */
#ifdef KMSIM_NONCE_LEDGER
    ledger_ent *led;            /* every (value, nonce) sealed            */
    size_t lcap;                /* slots in led (power of two)            */
    size_t ln;                  /* entries in led                         */
#endif
} ks_part;

struct cry_keystore {
    uint64_t seed;              /* run seed: source of all key material */
    cry_aead aead;              /* cipher of every seal and open        */
    unsigned nparts;            /* parts in use (1..CRY_PARTS_MAX)      */
    ks_part part[CRY_PARTS_MAX];
    cry_seal_log_fn *seal_log;  /* --keylog (cry_keystore_set_seal_log), */
    void *seal_log_ctx;         /*   NULL: none                          */
};

/* Built only into tests/kmsim-keylog (-DKMSIM_TEST_KEYLOG), never into
 * kmsim: every key value a store takes in is appended, in hex, to the file
 * $KMSIM_TEST_KEYLOG, so tests/secrets.sh can look for the values in
 * everything a run writes.  One write per key (O_APPEND: the sweep's
 * worker processes share the file). */
#ifdef KMSIM_TEST_KEYLOG
#include <fcntl.h>
#include <unistd.h>

static void keylog(const unsigned char *v)
{
    static int fd = -2;
    static const char hx[] = "0123456789abcdef";
    char line[2 * CRY_KEY_BYTES + 1];

    if (fd == -2) {
        const char *path = getenv("KMSIM_TEST_KEYLOG");
        fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                         0600) : -1;
    }
    if (fd < 0)
        return;
    for (size_t i = 0; i < CRY_KEY_BYTES; i++) {
        line[2 * i] = hx[v[i] >> 4];
        line[2 * i + 1] = hx[v[i] & 15];
    }
    line[2 * CRY_KEY_BYTES] = '\n';
    if (write(fd, line, sizeof line) != (ssize_t)sizeof line)
        abort();                /* a test build: a lost key would hide */
    sodium_memzero(line, sizeof line);
}
#else
#define keylog(v) ((void)0)
#endif

/* The test callback of cry_set_wipe_hook_for_tests (NULL: none).  The one
 * piece of process state here: tests only, never set by kmsim. */
static cry_wipe_hook *wipe_hook;
static void *wipe_hook_ctx;

void cry_set_wipe_hook_for_tests(cry_wipe_hook *fn, void *ctx)
{
    wipe_hook = fn;
    wipe_hook_ctx = ctx;
}

/* The test callback of cry_set_seal_hook_for_tests (NULL: none). */
static cry_seal_hook *seal_hook;
static void *seal_hook_ctx;

void cry_keystore_set_seal_log(cry_keystore *ks, cry_seal_log_fn *fn,
                               void *ctx)
{
    ks->seal_log = fn;
    ks->seal_log_ctx = ctx;
}

void cry_set_seal_hook_for_tests(cry_seal_hook *fn, void *ctx)
{
    seal_hook = fn;
    seal_hook_ctx = ctx;
}

/* cry_aead_hide_aes_for_tests: 1 = report AES-256-GCM as unavailable.
 * Tests only, never set by kmsim. */
static int hide_aes;

void cry_aead_hide_aes_for_tests(int hide)
{
    hide_aes = hide != 0;
}

const char *cry_aead_name(cry_aead a)
{
    switch (a) {
    case CRY_AEAD_CHACHA20POLY1305: return "chacha20poly1305";
    case CRY_AEAD_AES256GCM: return "aes256gcm";
    default: break;
    }
    assert(!"unknown cry_aead");
    return "?";
}

int cry_aead_available(cry_aead a)
{
    if (cry_init() != 0)   /* the CPU feature probe runs in sodium_init */
        return 0;
    switch (a) {
    case CRY_AEAD_CHACHA20POLY1305: return 1;
    case CRY_AEAD_AES256GCM:
        return !hide_aes && crypto_aead_aes256gcm_is_available();
    default: return 0;
    }
}

/* Out of memory while the store grows: the contract has no failure value
 * for a new key, and the simulation cannot go on without it. */
static void cry_oom(const char *what)
{
    fprintf(stderr, "kmsim: out of memory (%s)\n", what);
    abort();
}

static size_t chunk_slots(size_t c)
{
    return (size_t)CHUNK0_SLOTS << (c < CHUNK_MAX_SHIFT ? c : CHUNK_MAX_SHIFT);
}

/* Adds one chunk to part ps; 0, or -1 if libsodium cannot allocate it. */
static int store_grow(ks_part *ps)
{
    size_t n = chunk_slots(ps->nchunks);
    unsigned char *mem;
    void *p;

    if (ps->cap >= MAX_SLOTS)
        return -1;
    if (n > MAX_SLOTS - ps->cap)
        n = MAX_SLOTS - ps->cap;
    if (ps->nchunks == ps->chunk_alloc) {
        size_t na = ps->chunk_alloc ? 2 * ps->chunk_alloc : 16;
        if (!(p = realloc(ps->chunk, na * sizeof *ps->chunk)))
            return -1;
        ps->chunk = p;
        ps->chunk_alloc = na;
    }
    if (!(p = realloc(ps->link, (ps->cap + n) * sizeof *ps->link)))
        return -1;
    ps->link = p;
    if (!(p = realloc(ps->cent, (ps->cap + n) * sizeof *ps->cent)))
        return -1;
    ps->cent = p;
    if (!(mem = sodium_malloc(n * CRY_KEY_BYTES)))
        return -1;
    sodium_memzero(mem, n * CRY_KEY_BYTES); /* sodium_malloc fills 0xdb */
    ps->chunk[ps->nchunks++] = mem;
    ps->cap += n;
    return 0;
}

/* The 32 bytes of slot i (0-based) of part ps. */
static unsigned char *slot_ptr(const ks_part *ps, size_t i)
{
    /* Chunks 0..CHUNK_MAX_SHIFT-1 double: chunk c starts at
     * CHUNK0_SLOTS * (2^c - 1); after them every chunk has the same size. */
    const size_t geo = (size_t)CHUNK0_SLOTS * (((size_t)1 << CHUNK_MAX_SHIFT) - 1);
    size_t c, off;

    assert(i < ps->cap);
    if (i < geo) {
        c = (size_t)(63 - __builtin_clzll((unsigned long long)
                                          (i / CHUNK0_SLOTS + 1)));
        off = i - (size_t)CHUNK0_SLOTS * (((size_t)1 << c) - 1);
    } else {
        size_t big = chunk_slots(CHUNK_MAX_SHIFT);
        c = CHUNK_MAX_SHIFT + (i - geo) / big;
        off = (i - geo) % big;
    }
    assert(c < ps->nchunks && off < chunk_slots(c));
    return ps->chunk[c] + off * CRY_KEY_BYTES;
}

/* The part of handle k, and its slot there (0-based). */
static ks_part *hpart(const cry_keystore *ks, cry_key k)
{
    assert(ks);
    assert((k >> PART_SHIFT) < ks->nparts);
    return (ks_part *)&ks->part[k >> PART_SHIFT];
}

static size_t hslot(cry_key k)
{
    return (size_t)(k & SLOT_MASK) - 1;
}

/* Slot of a live handle; a dead or out-of-range handle is a programming
 * error. */
static unsigned char *key_ptr(const cry_keystore *ks, cry_key k)
{
    const ks_part *ps = hpart(ks, k);

    assert((k & SLOT_MASK) >= 1 && (k & SLOT_MASK) <= ps->used);
    assert(ps->link[hslot(k)] == SLOT_LIVE);
    return slot_ptr(ps, hslot(k));
}

/* Takes a slot of part `part` (free list first, LIFO, so handle order is
 * deterministic), marks it live.  Its bytes are to be written by the
 * caller.  Aborts if the store cannot grow. */
static cry_key key_alloc(cry_keystore *ks, unsigned part)
{
    ks_part *ps;
    cry_key k;

    assert(ks && part < ks->nparts);
    ps = &ks->part[part];
    if (ps->free_head != 0) {
        k = ps->free_head;
        ps->free_head = ps->link[hslot(k)];
    } else {
        if (ps->used == ps->cap && store_grow(ps) != 0)
            cry_oom("key store");
        k = (cry_key)++ps->used | (cry_key)part << PART_SHIFT;
    }
    ps->link[hslot(k)] = SLOT_LIVE;
    ps->cent[hslot(k)] = 0;
    ps->live++;
    return k;
}

cry_keystore *cry_keystore_new(uint64_t seed)
{
    return cry_keystore_new_aead(seed, CRY_AEAD_CHACHA20POLY1305);
}

cry_keystore *cry_keystore_new_aead(uint64_t seed, cry_aead aead)
{
    return cry_keystore_new_parts(seed, aead, 1);
}

cry_keystore *cry_keystore_new_parts(uint64_t seed, cry_aead aead,
                                     unsigned nparts)
{
    cry_keystore *ks;

    assert(nparts >= 1 && nparts <= CRY_PARTS_MAX);
    if (cry_init() != 0)   /* sodium_malloc needs sodium_init first */
        return NULL;
    if (!cry_aead_available(aead))
        return NULL;
    if (!(ks = calloc(1, sizeof *ks)))
        return NULL;
    ks->seed = seed;
    ks->aead = aead;
    ks->nparts = nparts;
    for (unsigned i = 0; i < nparts; i++)
        if (store_grow(&ks->part[i]) != 0) {
            cry_keystore_free(ks);
            return NULL;
        }
    return ks;
}

#ifdef KMSIM_NONCE_LEDGER
static void ledger_cross_check(const cry_keystore *ks);
#endif

static void part_free(cry_keystore *ks, ks_part *ps)
{
    /* sodium_free zeroes each region before unmapping it too; wiping here
     * first does not depend on that, and lets a test see the zeros. */
    for (size_t c = 0, off = 0; c < ps->nchunks; c++) {
        size_t n = chunk_slots(c), len;
        if (n > ps->cap - off)
            n = ps->cap - off;      /* the last, cut at MAX_SLOTS */
        off += n;
        len = n * CRY_KEY_BYTES;
        sodium_memzero(ps->chunk[c], len);
        if (wipe_hook)
            wipe_hook(wipe_hook_ctx, ks, 0, ps->chunk[c], len);
        sodium_free(ps->chunk[c]);
    }
    free(ps->chunk);
    free(ps->link);
    free(ps->cent);
    if (ps->vdig)
        sodium_memzero(ps->vdig, ps->valloc * sizeof *ps->vdig);
    free(ps->vdig);
    free(ps->vtab);
    free(ps->ent);
    free(ps->etab);
#ifdef KMSIM_NONCE_LEDGER
    free(ps->led);
#endif
}

void cry_keystore_free(cry_keystore *ks)
{
    if (!ks)
        return;
#ifdef KMSIM_NONCE_LEDGER
    ledger_cross_check(ks);
#endif
    for (unsigned i = 0; i < ks->nparts; i++)
        part_free(ks, &ks->part[i]);
    sodium_memzero(&ks->seed, sizeof ks->seed);
    free(ks);
}

cry_aead cry_keystore_aead(const cry_keystore *ks)
{
    assert(ks);
    return ks->aead;
}

unsigned cry_keystore_nparts(const cry_keystore *ks)
{
    assert(ks);
    return ks->nparts;
}

size_t cry_keystore_live(const cry_keystore *ks)
{
    size_t n = 0;

    assert(ks);
    for (unsigned i = 0; i < ks->nparts; i++)
        n += ks->part[i].live;
    return n;
}

size_t cry_keystore_chunks(const cry_keystore *ks)
{
    size_t n = 0;

    assert(ks);
    for (unsigned i = 0; i < ks->nparts; i++)
        n += ks->part[i].nchunks;
    return n;
}

unsigned cry_key_part(cry_key k)
{
    return k >> PART_SHIFT;
}

/* ----------------------------------------------------------------- keys */

/* seed32 = BLAKE2b-256 keyed by the run seed (laid out as in cry_derive),
 * personalised "keymat", over stream (8, LE) || counter (8, LE).  The
 * 16-byte message keeps it apart from cry_derive(seed, "keymat", i). */
static void keymat_seed(unsigned char out[32], uint64_t seed,
                        uint64_t stream, uint64_t counter)
{
    unsigned char key[crypto_generichash_blake2b_KEYBYTES_MIN];
    unsigned char salt[crypto_generichash_blake2b_SALTBYTES] = {0};
    unsigned char pers[crypto_generichash_blake2b_PERSONALBYTES] = "keymat";
    unsigned char msg[16];

    for (int i = 0; i < 8; i++) {
        key[i] = (unsigned char)(seed >> (8 * i));
        key[8 + i] = (unsigned char)(0x6b ^ i);
        msg[i] = (unsigned char)(stream >> (8 * i));
        msg[8 + i] = (unsigned char)(counter >> (8 * i));
    }
    crypto_generichash_blake2b_salt_personal(out, 32, msg, sizeof msg, key,
                                             sizeof key, salt, pers);
    sodium_memzero(key, sizeof key);
}

/* Generation is not counted: it stands for key material a node is given
 * or draws, not an operation of the protocols (derive, which is, counts
 * one KDF).  `ops` is accepted so callers need not special-case it. */
cry_key cry_key_generate_part(cry_keystore *ks, unsigned part,
                              uint64_t stream, uint64_t counter, cry_ops *ops)
{
    unsigned char seed32[randombytes_SEEDBYTES];
    cry_key k;

    _Static_assert(randombytes_SEEDBYTES == 32, "randombytes seed size");
    (void)ops;
    assert(ks);
    k = key_alloc(ks, part);
    keymat_seed(seed32, ks->seed, stream, counter);
    randombytes_buf_deterministic(key_ptr(ks, k), CRY_KEY_BYTES, seed32);
    sodium_memzero(seed32, sizeof seed32);
    keylog(key_ptr(ks, k));
    return k;
}

cry_key cry_key_generate(cry_keystore *ks, uint64_t stream, uint64_t counter,
                         cry_ops *ops)
{
    return cry_key_generate_part(ks, 0, stream, counter, ops);
}

cry_key cry_key_import_part(cry_keystore *ks, unsigned part,
                            const unsigned char v[CRY_KEY_BYTES])
{
    cry_key k;

    assert(ks && v);
    k = key_alloc(ks, part);
    memcpy(key_ptr(ks, k), v, CRY_KEY_BYTES);
    keylog(v);
    return k;
}

cry_key cry_key_import(cry_keystore *ks, const unsigned char v[CRY_KEY_BYTES])
{
    return cry_key_import_part(ks, 0, v);
}

cry_key cry_key_copy_part(cry_keystore *ks, unsigned part, cry_key src)
{
    cry_key k;

    (void)key_ptr(ks, src);     /* validate before allocating */
    k = key_alloc(ks, part);
    memcpy(key_ptr(ks, k), key_ptr(ks, src), CRY_KEY_BYTES);
    return k;
}

cry_key cry_key_copy(cry_keystore *ks, cry_key src)
{
    return cry_key_copy_part(ks, cry_key_part(src), src);
}

cry_key cry_key_derive_part(cry_keystore *ks, unsigned part, cry_key master,
                            uint64_t id, const char ctx[8], cry_ops *ops)
{
    cry_key k;

    assert(ctx);
    (void)key_ptr(ks, master);
    k = key_alloc(ks, part);
    if (crypto_kdf_derive_from_key(key_ptr(ks, k), CRY_KEY_BYTES, id, ctx,
                                   key_ptr(ks, master)) != 0)
        abort();                /* only on a bad length: a bug here */
    keylog(key_ptr(ks, k));
    if (ops) {
        ops->n[CRY_OP_KDF]++;
        ops->bytes[CRY_OP_KDF] += CRY_KEY_BYTES;
    }
    return k;
}

cry_key cry_key_derive(cry_keystore *ks, cry_key master, uint64_t id,
                       const char ctx[8], cry_ops *ops)
{
    return cry_key_derive_part(ks, cry_key_part(master), master, id, ctx,
                               ops);
}

void cry_key_free(cry_keystore *ks, cry_key k)
{
    ks_part *ps;

    if (k == 0)
        return;
    sodium_memzero(key_ptr(ks, k), CRY_KEY_BYTES);
    if (wipe_hook)
        wipe_hook(wipe_hook_ctx, ks, k, key_ptr(ks, k), CRY_KEY_BYTES);
    ps = hpart(ks, k);
    ps->link[hslot(k)] = ps->free_head;
    ps->cent[hslot(k)] = 0;     /* the value's counters stay (ent) */
    ps->free_head = k;
    ps->live--;
}

void cry_key_export(const cry_keystore *ks, cry_key k,
                    unsigned char out[CRY_KEY_BYTES])
{
    assert(out);
    memcpy(out, key_ptr(ks, k), CRY_KEY_BYTES);
}

int cry_key_equal(const cry_keystore *ks, cry_key a, cry_key b)
{
    return sodium_memcmp(key_ptr(ks, a), key_ptr(ks, b), CRY_KEY_BYTES) == 0;
}

int cry_key_equal_in(const cry_keystore *ks_a, cry_key a,
                     const cry_keystore *ks_b, cry_key b)
{
    return sodium_memcmp(key_ptr(ks_a, a), key_ptr(ks_b, b),
                         CRY_KEY_BYTES) == 0;
}

cry_key cry_key_transfer(cry_keystore *dst, const cry_keystore *src,
                         cry_key k)
{
    return cry_key_transfer_part(dst, 0, src, k);
}

cry_key cry_key_transfer_part(cry_keystore *dst, unsigned part,
                              const cry_keystore *src, cry_key k)
{
    unsigned char v[CRY_KEY_BYTES];
    cry_key out;

    cry_key_export(src, k, v);
    out = cry_key_import_part(dst, part, v);
    sodium_memzero(v, sizeof v);
    return out;
}

/* ---------------------------------- nonce counters per (value, sender) */

/* splitmix64's finaliser: spreads table keys over the low bits. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t ld64(const unsigned char *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | p[i];
    return x;
}

/* The digest naming a key value: BLAKE2b-128 personalised "kmsim-value"
 * (its own personalisation: never equal to H, G or a ledger digest). */
static void value_digest(unsigned char out[VDIG_BYTES],
                         const unsigned char *key, const char *personal)
{
    unsigned char salt[crypto_generichash_blake2b_SALTBYTES] = {0};
    unsigned char pers[crypto_generichash_blake2b_PERSONALBYTES] = {0};

    memcpy(pers, personal, strlen(personal));
    crypto_generichash_blake2b_salt_personal(out, VDIG_BYTES, key,
                                             CRY_KEY_BYTES, NULL, 0, salt,
                                             pers);
}

/* Places vid in vtab (known absent). */
static void vtab_put(ks_part *ps, uint32_t vid)
{
    size_t mask = ps->vcap - 1;
    size_t i = (size_t)mix64(ld64(ps->vdig[vid - 1])) & mask;

    while (ps->vtab[i] != 0)
        i = (i + 1) & mask;
    ps->vtab[i] = vid;
}

/* The value id of the value at `key` in part ps, looked up (or made) from
 * its digest.  Aborts if the tables cannot grow. */
static uint32_t value_id(ks_part *ps, const unsigned char *key)
{
    unsigned char d[VDIG_BYTES];
    size_t mask, i;
    uint32_t v;

    if (2 * (ps->nval + 1) > ps->vcap) {            /* load <= 1/2 */
        size_t nc = ps->vcap ? 2 * ps->vcap : 1024;
        uint32_t *t = calloc(nc, sizeof *t);
        if (!t)
            cry_oom("nonce counters");
        free(ps->vtab);
        ps->vtab = t;
        ps->vcap = nc;
        for (size_t j = 1; j <= ps->nval; j++)
            vtab_put(ps, (uint32_t)j);
    }
    value_digest(d, key, "kmsim-value");
    mask = ps->vcap - 1;
    for (i = (size_t)mix64(ld64(d)) & mask; (v = ps->vtab[i]) != 0;
         i = (i + 1) & mask)
        if (memcmp(ps->vdig[v - 1], d, VDIG_BYTES) == 0) {
            sodium_memzero(d, sizeof d);
            return v;
        }
    if (ps->nval >= UINT32_MAX - 1)
        cry_oom("nonce counters");
    if (ps->nval == ps->valloc) {
        size_t na = ps->valloc ? 2 * ps->valloc : 1024;
        unsigned char (*nd)[VDIG_BYTES] = calloc(na, sizeof *nd);
        if (!nd)
            cry_oom("nonce counters");
        if (ps->vdig) {
            memcpy(nd, ps->vdig, ps->nval * sizeof *nd);
            sodium_memzero(ps->vdig, ps->valloc * sizeof *ps->vdig);
            free(ps->vdig);
        }
        ps->vdig = nd;
        ps->valloc = na;
    }
    memcpy(ps->vdig[ps->nval], d, VDIG_BYTES);
    sodium_memzero(d, sizeof d);
    v = (uint32_t)++ps->nval;
    ps->vtab[i] = v;
    return v;
}

static size_t ent_hash(uint32_t vid, uint32_t sender)
{
    return (size_t)mix64((uint64_t)vid << 32 | sender);
}

/* Places entry id e in etab (known absent). */
static void etab_put(ks_part *ps, uint32_t e)
{
    size_t mask = ps->ecap - 1;
    size_t i = ent_hash(ps->ent[e - 1].vid, ps->ent[e - 1].sender) & mask;

    while (ps->etab[i] != 0)
        i = (i + 1) & mask;
    ps->etab[i] = e;
}

/* The counter entry of (value vid, sender) in ps, made (next 0) if new. */
static uint32_t ent_id(ks_part *ps, uint32_t vid, uint32_t sender)
{
    size_t mask, i;
    uint32_t e;

    if (2 * (ps->nent + 1) > ps->ecap) {            /* load <= 1/2 */
        size_t nc = ps->ecap ? 2 * ps->ecap : 1024;
        uint32_t *t = calloc(nc, sizeof *t);
        if (!t)
            cry_oom("nonce counters");
        free(ps->etab);
        ps->etab = t;
        ps->ecap = nc;
        for (size_t j = 1; j <= ps->nent; j++)
            etab_put(ps, (uint32_t)j);
    }
    mask = ps->ecap - 1;
    for (i = ent_hash(vid, sender) & mask; (e = ps->etab[i]) != 0;
         i = (i + 1) & mask)
        if (ps->ent[e - 1].vid == vid && ps->ent[e - 1].sender == sender)
            return e;
    if (ps->nent >= UINT32_MAX - 1)
        cry_oom("nonce counters");
    if (ps->nent == ps->ealloc) {
        size_t na = ps->ealloc ? 2 * ps->ealloc : 1024;
        ctr_ent *ne = realloc(ps->ent, na * sizeof *ne);
        if (!ne)
            cry_oom("nonce counters");
        ps->ent = ne;
        ps->ealloc = na;
    }
    ps->ent[ps->nent] = (ctr_ent){.next = 0, .vid = vid, .sender = sender};
    e = (uint32_t)++ps->nent;
    ps->etab[i] = e;
    return e;
}

/* The next-counter cell of (k's value, sender): the slot's cached entry
 * when its sender matches (no probe), else one probe of etab (and the
 * value's digest the first time the slot is used).  The pointer is valid
 * until the next call on this part. */
static uint64_t *ctr_cell(cry_keystore *ks, cry_key k, uint32_t sender)
{
    ks_part *ps = hpart(ks, k);
    size_t i = hslot(k);
    uint32_t e = ps->cent[i], vid;

    if (e != 0 && ps->ent[e - 1].sender == sender)
        return &ps->ent[e - 1].next;
    vid = e != 0 ? ps->ent[e - 1].vid : value_id(ps, key_ptr(ks, k));
    e = ent_id(ps, vid, sender);
    ps->cent[i] = e;
    return &ps->ent[e - 1].next;
}

uint64_t cry_key_next_counter(cry_keystore *ks, cry_key k, uint32_t sender)
{
    (void)key_ptr(ks, k);
    return *ctr_cell(ks, k, sender);
}

/* ------------------------------------------------ nonce ledger (tests) */

#ifdef KMSIM_NONCE_LEDGER
static size_t ledger_hash(const ledger_ent *e)
{
    return (size_t)mix64(ld64(e->dig) ^ e->ctr ^ e->sender);
}

/* The slot of e in ps's ledger: the one holding it, or the empty one
 * where it goes (lcap > ln: there is one). */
static size_t ledger_slot(const ks_part *ps, const ledger_ent *e)
{
    size_t mask = ps->lcap - 1, i;

    for (i = ledger_hash(e) & mask; ps->led[i].used; i = (i + 1) & mask)
        if (ps->led[i].ctr == e->ctr && ps->led[i].sender == e->sender &&
            memcmp(ps->led[i].dig, e->dig, VDIG_BYTES) == 0)
            break;
    return i;
}

static void ledger_repeat(const ledger_ent *e, const char *where)
{
    fprintf(stderr, "kmsim: nonce ledger: nonce (sender %u, counter %llu) "
            "sealed twice under one key value%s\n", (unsigned)e->sender,
            (unsigned long long)e->ctr, where);
    abort();
}

/* Records (key value, nonce) for a seal about to happen in part ps; a
 * pair sealed before fails the run (one line on stderr, abort).  The
 * digest is made here from the key bytes, apart from the counters above,
 * so the ledger checks them rather than trusting them.  Per part (two
 * threads never share it); cry_keystore_free checks the parts against
 * each other. */
static void ledger_note(ks_part *ps, const unsigned char *key,
                        uint32_t sender, uint64_t counter)
{
    ledger_ent e = {.ctr = counter, .sender = sender, .used = 1};
    size_t i;

    value_digest(e.dig, key, "kmsim-ledger");
    if (2 * (ps->ln + 1) > ps->lcap) {
        size_t nc = ps->lcap ? 2 * ps->lcap : 4096;
        ledger_ent *t = calloc(nc, sizeof *t);
        if (!t)
            cry_oom("nonce ledger");
        for (size_t j = 0; j < ps->lcap; j++) {
            if (!ps->led[j].used)
                continue;
            i = ledger_hash(&ps->led[j]) & (nc - 1);
            while (t[i].used)
                i = (i + 1) & (nc - 1);
            t[i] = ps->led[j];
        }
        free(ps->led);
        ps->led = t;
        ps->lcap = nc;
    }
    i = ledger_slot(ps, &e);
    if (ps->led[i].used)
        ledger_repeat(&e, "");
    ps->led[i] = e;
    ps->ln++;
}

/* At the end: a (value, nonce) sealed in two parts is a repeat too (a
 * sender sealing in a part other than its own). */
static void ledger_cross_check(const cry_keystore *ks)
{
    for (unsigned p = 1; p < ks->nparts; p++)
        for (size_t j = 0; j < ks->part[p].lcap; j++) {
            const ledger_ent *e = &ks->part[p].led[j];
            if (!e->used)
                continue;
            for (unsigned q = 0; q < p; q++)
                if (ks->part[q].lcap &&
                    ks->part[q].led[ledger_slot(&ks->part[q], e)].used)
                    ledger_repeat(e, " (in two parts of the store)");
        }
}

void cry_key_rewind_for_tests(cry_keystore *ks, cry_key k, uint32_t sender)
{
    *ctr_cell(ks, k, sender) = 0;
}

size_t cry_keystore_ledger_size(const cry_keystore *ks)
{
    size_t n = 0;

    assert(ks);
    for (unsigned i = 0; i < ks->nparts; i++)
        n += ks->part[i].ln;
    return n;
}
#else
#define ledger_note(ps, key, sender, counter) ((void)0)
#endif

const unsigned char *cry_key_peek_for_tests(const cry_keystore *ks,
                                            cry_key k)
{
    const ks_part *ps = hpart(ks, k);

    assert((k & SLOT_MASK) >= 1 && (k & SLOT_MASK) <= ps->used);
    return slot_ptr(ps, hslot(k));
}

/* ----------------------------------------------------------------- AEAD */

static void nonce_make(unsigned char n[CRY_NONCE_BYTES], uint32_t sender,
                       uint64_t counter)
{
    for (int i = 0; i < 4; i++)
        n[i] = (unsigned char)(sender >> (8 * i));
    for (int i = 0; i < 8; i++)
        n[4 + i] = (unsigned char)(counter >> (8 * i));
}

int cry_seal(cry_keystore *ks, cry_key k, uint32_t sender, uint64_t counter,
             const unsigned char *ad, size_t adlen, const unsigned char *m,
             size_t mlen, unsigned char *c, cry_ops *ops)
{
    unsigned char npub[CRY_NONCE_BYTES];
    const unsigned char *key = key_ptr(ks, k);
    uint64_t *next;

    assert(c && (m || mlen == 0) && (ad || adlen == 0));
    assert(mlen <= crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX &&
           mlen <= crypto_aead_aes256gcm_MESSAGEBYTES_MAX);
    /* A nonce (sender, counter) is never used twice under one key VALUE
     * (whichever slot holds it): refuse before writing. */
    next = ctr_cell(ks, k, sender);
    if (counter < *next || counter == UINT64_MAX)
        return -1;
    ledger_note(hpart(ks, k), key, sender, counter);
    nonce_make(npub, sender, counter);
    if (ks->aead == CRY_AEAD_AES256GCM)
        crypto_aead_aes256gcm_encrypt(c, NULL, m, mlen, ad, adlen, NULL,
                                      npub, key);
    else
        crypto_aead_chacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad,
                                                  adlen, NULL, npub, key);
    *next = counter + 1;
    if (seal_hook)
        seal_hook(seal_hook_ctx, ks, key, sender, counter);
    if (ks->seal_log)
        ks->seal_log(ks->seal_log_ctx, key, sender, counter, c + mlen);
    if (ops) {
        ops->n[CRY_OP_SEAL]++;
        ops->bytes[CRY_OP_SEAL] += mlen;
    }
    return 0;
}

/* Counted whether or not the message is authentic: the receiver does the
 * work either way.  A ciphertext shorter than a tag is rejected uncounted
 * (nothing was decrypted). */
int cry_open(const cry_keystore *ks, cry_key k, uint32_t sender,
             uint64_t counter, const unsigned char *ad, size_t adlen,
             const unsigned char *c, size_t clen, unsigned char *m,
             cry_ops *ops)
{
    unsigned char npub[CRY_NONCE_BYTES];
    const unsigned char *key = key_ptr(ks, k);
    size_t mlen;
    int bad;

    assert(c && (ad || adlen == 0));
    if (clen < CRY_TAG_BYTES)
        return -1;
    mlen = clen - CRY_TAG_BYTES;
    assert(m || mlen == 0);
    if (ops) {
        ops->n[CRY_OP_OPEN]++;
        ops->bytes[CRY_OP_OPEN] += mlen;
    }
    nonce_make(npub, sender, counter);
    if (ks->aead == CRY_AEAD_AES256GCM)
        bad = crypto_aead_aes256gcm_decrypt(m, NULL, NULL, c, clen, ad,
                                            adlen, npub, key) != 0;
    else
        bad = crypto_aead_chacha20poly1305_ietf_decrypt(
                  m, NULL, NULL, c, clen, ad, adlen, npub, key) != 0;
    if (bad) {
        if (mlen > 0)
            sodium_memzero(m, mlen);
        return -1;
    }
    return 0;
}

/* --------------------------------------------------- H, G, xor, compare */

static void hg(unsigned char out[CRY_HG_BYTES], const char *personal,
               const unsigned char *in, size_t len, cry_ops *ops)
{
    unsigned char salt[crypto_generichash_blake2b_SALTBYTES] = {0};
    unsigned char pers[crypto_generichash_blake2b_PERSONALBYTES] = {0};

    assert(out && (in || len == 0));
    memcpy(pers, personal, strlen(personal));
    crypto_generichash_blake2b_salt_personal(out, CRY_HG_BYTES, in, len, NULL,
                                             0, salt, pers);
    if (ops) {
        ops->n[CRY_OP_HASH]++;
        ops->bytes[CRY_OP_HASH] += len;
    }
}

void cry_H(unsigned char out[CRY_HG_BYTES], const unsigned char *in,
           size_t len, cry_ops *ops)
{
    hg(out, "kmsim-H", in, len, ops);
}

void cry_G(unsigned char out[CRY_HG_BYTES], const unsigned char *in,
           size_t len, cry_ops *ops)
{
    hg(out, "kmsim-G", in, len, ops);
}

void cry_xor(unsigned char *out, const unsigned char *a,
             const unsigned char *b, size_t len, cry_ops *ops)
{
    assert((out && a && b) || len == 0);
    for (size_t i = 0; i < len; i++)
        out[i] = a[i] ^ b[i];
    if (ops) {
        ops->n[CRY_OP_XOR]++;
        ops->bytes[CRY_OP_XOR] += len;
    }
}

int cry_equal(const unsigned char *a, const unsigned char *b, size_t len)
{
    assert((a && b) || len == 0);
    return sodium_memcmp(a, b, len) == 0;
}

void cry_count_concat(cry_ops *ops, size_t len)
{
    if (ops) {
        ops->n[CRY_OP_CONCAT]++;
        ops->bytes[CRY_OP_CONCAT] += len;
    }
}
