/* cry_key.c — the key store and the primitives the protocols use: key
 * values in a few guarded libsodium chunks, deterministic key material,
 * counter-nonce AEAD, H and G, the KDF f, constant-time comparison and
 * operation counters.  Not thread-safe: one store belongs to one world. */
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
#define MAX_SLOTS       (UINT32_MAX - 1u) /* handles stay < SLOT_LIVE */
#define VDIG_BYTES      16u          /* digest naming a key value       */

#ifdef KMSIM_NONCE_LEDGER
/* One sealed (key value, nonce) of the test build's ledger. */
typedef struct ledger_ent {
    unsigned char dig[VDIG_BYTES]; /* BLAKE2b-128 ("kmsim-ledger") of key */
    uint64_t ctr;               /* nonce counter                          */
    uint32_t sender;            /* nonce sender                           */
    uint32_t used;              /* 1 = slot taken                         */
} ledger_ent;
#endif

/* Invariants:
 *  - handle h (1-based) names slot h - 1; slots 0..used-1 have been handed
 *    out at least once, slots used..cap-1 never (they hold zeros);
 *  - link[i] == SLOT_LIVE iff slot i holds a key; otherwise (i < used) it
 *    is the handle of the next free slot, 0 ending the list at free_head;
 *  - live == number of slots with link[i] == SLOT_LIVE;
 *  - a slot that is free holds zeros (wiped when freed);
 *  - chunk memory never moves, so pointers into it stay valid while the
 *    metadata arrays grow;
 *  - nonce counters belong to a key VALUE and a sender, never to a slot:
 *    vid[i] is 0 until slot i first seals or asks for its counter, then
 *    the id (1..nval) of its value, found by the value's digest (vdig,
 *    BLAKE2b-128, an open-addressing table vtab of vids); vnext[vid - 1]
 *    is the value's next unused counter, one sequence shared by every
 *    holder and sender; values are never forgotten, so a value re-imported, copied or
 *    derived again (a new slot) continues where any earlier holder of it
 *    stopped, and (sender, counter) never repeats under a value whoever
 *    seals.  Two values with one digest would share their counter: still
 *    never a repeat, only skipped counters. */
struct cry_keystore {
    uint64_t seed;              /* run seed: source of all key material */
    cry_aead aead;              /* cipher of every seal and open        */
    unsigned char **chunk;      /* nchunks guarded regions (sodium_malloc) */
    size_t nchunks;             /* regions allocated */
    size_t chunk_alloc;         /* entries allocated in chunk[] */
    size_t cap;                 /* slots in all chunks */
    size_t used;                /* slots ever handed out (high-water mark) */
    size_t live;                /* keys held now */
    uint32_t free_head;         /* first free handle, 0 = none */
    uint32_t *link;             /* per slot: SLOT_LIVE or next free handle */
    uint32_t *vid;              /* per slot: value id, 0 = not looked up */
    unsigned char (*vdig)[VDIG_BYTES]; /* per value id - 1: its digest     */
    size_t nval;                /* value ids handed out                   */
    size_t valloc;              /* entries allocated in vdig              */
    uint32_t *vtab;             /* open addressing: vid or 0 (empty)      */
    size_t vcap;                /* slots in vtab (power of two)           */
    uint64_t *vnext;            /* per value id - 1: next unused counter  */
#ifdef KMSIM_NONCE_LEDGER
    ledger_ent *led;            /* every (value, nonce) sealed            */
    size_t lcap;                /* slots in led (power of two)            */
    size_t ln;                  /* entries in led                         */
#endif
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

/* Adds one chunk; 0, or -1 if libsodium cannot allocate it. */
static int store_grow(cry_keystore *ks)
{
    size_t n = chunk_slots(ks->nchunks);
    unsigned char *mem;
    void *p;

    if (ks->cap >= MAX_SLOTS)
        return -1;
    if (n > MAX_SLOTS - ks->cap)
        n = MAX_SLOTS - ks->cap;
    if (ks->nchunks == ks->chunk_alloc) {
        size_t na = ks->chunk_alloc ? 2 * ks->chunk_alloc : 16;
        if (!(p = realloc(ks->chunk, na * sizeof *ks->chunk)))
            return -1;
        ks->chunk = p;
        ks->chunk_alloc = na;
    }
    if (!(p = realloc(ks->link, (ks->cap + n) * sizeof *ks->link)))
        return -1;
    ks->link = p;
    if (!(p = realloc(ks->vid, (ks->cap + n) * sizeof *ks->vid)))
        return -1;
    ks->vid = p;
    if (!(mem = sodium_malloc(n * CRY_KEY_BYTES)))
        return -1;
    sodium_memzero(mem, n * CRY_KEY_BYTES); /* sodium_malloc fills 0xdb */
    ks->chunk[ks->nchunks++] = mem;
    ks->cap += n;
    return 0;
}

/* The 32 bytes of slot i (0-based). */
static unsigned char *slot_ptr(const cry_keystore *ks, size_t i)
{
    /* Chunks 0..CHUNK_MAX_SHIFT-1 double: chunk c starts at
     * CHUNK0_SLOTS * (2^c - 1); after them every chunk has the same size. */
    const size_t geo = (size_t)CHUNK0_SLOTS * (((size_t)1 << CHUNK_MAX_SHIFT) - 1);
    size_t c, off;

    assert(i < ks->cap);
    if (i < geo) {
        c = (size_t)(63 - __builtin_clzll((unsigned long long)
                                          (i / CHUNK0_SLOTS + 1)));
        off = i - (size_t)CHUNK0_SLOTS * (((size_t)1 << c) - 1);
    } else {
        size_t big = chunk_slots(CHUNK_MAX_SHIFT);
        c = CHUNK_MAX_SHIFT + (i - geo) / big;
        off = (i - geo) % big;
    }
    assert(c < ks->nchunks && off < chunk_slots(c));
    return ks->chunk[c] + off * CRY_KEY_BYTES;
}

/* Slot of a live handle; a dead or out-of-range handle is a programming
 * error. */
static unsigned char *key_ptr(const cry_keystore *ks, cry_key k)
{
    assert(ks);
    assert(k >= 1 && k <= ks->used);
    assert(ks->link[k - 1] == SLOT_LIVE);
    return slot_ptr(ks, (size_t)k - 1);
}

/* Takes a slot (free list first, LIFO, so handle order is deterministic),
 * marks it live with nonce counter 0.  Its bytes are to be written by the
 * caller.  Aborts if the store cannot grow. */
static cry_key key_alloc(cry_keystore *ks)
{
    cry_key k;

    if (ks->free_head != 0) {
        k = ks->free_head;
        ks->free_head = ks->link[k - 1];
    } else {
        if (ks->used == ks->cap && store_grow(ks) != 0)
            cry_oom("key store");
        k = (cry_key)++ks->used;
    }
    ks->link[k - 1] = SLOT_LIVE;
    ks->vid[k - 1] = 0;
    ks->live++;
    return k;
}

cry_keystore *cry_keystore_new(uint64_t seed)
{
    return cry_keystore_new_aead(seed, CRY_AEAD_CHACHA20POLY1305);
}

cry_keystore *cry_keystore_new_aead(uint64_t seed, cry_aead aead)
{
    cry_keystore *ks;

    if (cry_init() != 0)   /* sodium_malloc needs sodium_init first */
        return NULL;
    if (!cry_aead_available(aead))
        return NULL;
    if (!(ks = calloc(1, sizeof *ks)))
        return NULL;
    ks->seed = seed;
    ks->aead = aead;
    if (store_grow(ks) != 0) {
        cry_keystore_free(ks);
        return NULL;
    }
    return ks;
}

void cry_keystore_free(cry_keystore *ks)
{
    if (!ks)
        return;
    /* sodium_free zeroes each region before unmapping it too; wiping here
     * first does not depend on that, and lets a test see the zeros. */
    for (size_t c = 0, off = 0; c < ks->nchunks; c++) {
        size_t n = chunk_slots(c), len;
        if (n > ks->cap - off)
            n = ks->cap - off;      /* the last, cut at MAX_SLOTS */
        off += n;
        len = n * CRY_KEY_BYTES;
        sodium_memzero(ks->chunk[c], len);
        if (wipe_hook)
            wipe_hook(wipe_hook_ctx, ks, 0, ks->chunk[c], len);
        sodium_free(ks->chunk[c]);
    }
    free(ks->chunk);
    free(ks->link);
    free(ks->vid);
    if (ks->vdig)
        sodium_memzero(ks->vdig, ks->valloc * sizeof *ks->vdig);
    free(ks->vdig);
    free(ks->vtab);
    free(ks->vnext);
#ifdef KMSIM_NONCE_LEDGER
    free(ks->led);
#endif
    sodium_memzero(&ks->seed, sizeof ks->seed);
    free(ks);
}

cry_aead cry_keystore_aead(const cry_keystore *ks)
{
    assert(ks);
    return ks->aead;
}

size_t cry_keystore_live(const cry_keystore *ks)
{
    assert(ks);
    return ks->live;
}

size_t cry_keystore_chunks(const cry_keystore *ks)
{
    assert(ks);
    return ks->nchunks;
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
cry_key cry_key_generate(cry_keystore *ks, uint64_t stream, uint64_t counter,
                         cry_ops *ops)
{
    unsigned char seed32[randombytes_SEEDBYTES];
    cry_key k;

    _Static_assert(randombytes_SEEDBYTES == 32, "randombytes seed size");
    (void)ops;
    assert(ks);
    k = key_alloc(ks);
    keymat_seed(seed32, ks->seed, stream, counter);
    randombytes_buf_deterministic(key_ptr(ks, k), CRY_KEY_BYTES, seed32);
    sodium_memzero(seed32, sizeof seed32);
    keylog(key_ptr(ks, k));
    return k;
}

cry_key cry_key_import(cry_keystore *ks, const unsigned char v[CRY_KEY_BYTES])
{
    cry_key k;

    assert(ks && v);
    k = key_alloc(ks);
    memcpy(key_ptr(ks, k), v, CRY_KEY_BYTES);
    keylog(v);
    return k;
}

cry_key cry_key_copy(cry_keystore *ks, cry_key src)
{
    cry_key k;

    (void)key_ptr(ks, src);     /* validate before allocating */
    k = key_alloc(ks);
    memcpy(key_ptr(ks, k), key_ptr(ks, src), CRY_KEY_BYTES);
    return k;
}

cry_key cry_key_derive(cry_keystore *ks, cry_key master, uint64_t id,
                       const char ctx[8], cry_ops *ops)
{
    cry_key k;

    assert(ctx);
    (void)key_ptr(ks, master);
    k = key_alloc(ks);
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

void cry_key_free(cry_keystore *ks, cry_key k)
{
    if (k == 0)
        return;
    sodium_memzero(key_ptr(ks, k), CRY_KEY_BYTES);
    if (wipe_hook)
        wipe_hook(wipe_hook_ctx, ks, k, key_ptr(ks, k), CRY_KEY_BYTES);
    ks->link[k - 1] = ks->free_head;
    ks->vid[k - 1] = 0;     /* the value's counter stays (vnext) */
    ks->free_head = k;
    ks->live--;
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
    unsigned char v[CRY_KEY_BYTES];
    cry_key out;

    cry_key_export(src, k, v);
    out = cry_key_import(dst, v);
    sodium_memzero(v, sizeof v);
    return out;
}

/* ------------------------------------------- nonce counters per value */

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
static void vtab_put(cry_keystore *ks, uint32_t vid)
{
    size_t mask = ks->vcap - 1;
    size_t i = (size_t)mix64(ld64(ks->vdig[vid - 1])) & mask;

    while (ks->vtab[i] != 0)
        i = (i + 1) & mask;
    ks->vtab[i] = vid;
}

/* The value id of slot k, looked up (or made) from its value's digest on
 * first use.  Aborts if the tables cannot grow. */
static uint32_t value_id(cry_keystore *ks, cry_key k)
{
    unsigned char d[VDIG_BYTES];
    size_t mask, i;
    uint32_t v;

    if (ks->vid[k - 1] != 0)
        return ks->vid[k - 1];
    if (2 * (ks->nval + 1) > ks->vcap) {            /* load <= 1/2 */
        size_t nc = ks->vcap ? 2 * ks->vcap : 1024;
        uint32_t *t = calloc(nc, sizeof *t);
        if (!t)
            cry_oom("nonce counters");
        free(ks->vtab);
        ks->vtab = t;
        ks->vcap = nc;
        for (size_t j = 1; j <= ks->nval; j++)
            vtab_put(ks, (uint32_t)j);
    }
    value_digest(d, key_ptr(ks, k), "kmsim-value");
    mask = ks->vcap - 1;
    for (i = (size_t)mix64(ld64(d)) & mask; (v = ks->vtab[i]) != 0;
         i = (i + 1) & mask)
        if (memcmp(ks->vdig[v - 1], d, VDIG_BYTES) == 0) {
            ks->vid[k - 1] = v;
            sodium_memzero(d, sizeof d);
            return v;
        }
    if (ks->nval >= UINT32_MAX - 1)
        cry_oom("nonce counters");
    if (ks->nval == ks->valloc) {
        size_t na = ks->valloc ? 2 * ks->valloc : 1024;
        unsigned char (*nd)[VDIG_BYTES] = calloc(na, sizeof *nd);
        uint64_t *nn = realloc(ks->vnext, na * sizeof *nn);
        if (!nd || !nn)
            cry_oom("nonce counters");
        ks->vnext = nn;
        if (ks->vdig) {
            memcpy(nd, ks->vdig, ks->nval * sizeof *nd);
            sodium_memzero(ks->vdig, ks->valloc * sizeof *ks->vdig);
            free(ks->vdig);
        }
        ks->vdig = nd;
        ks->valloc = na;
    }
    memcpy(ks->vdig[ks->nval], d, VDIG_BYTES);
    ks->vnext[ks->nval] = 0;
    sodium_memzero(d, sizeof d);
    v = (uint32_t)++ks->nval;
    ks->vtab[i] = v;
    ks->vid[k - 1] = v;
    return v;
}

uint64_t cry_key_next_counter(cry_keystore *ks, cry_key k)
{
    uint32_t v;

    (void)key_ptr(ks, k);
    v = value_id(ks, k);        /* first: it may move vnext */
    return ks->vnext[v - 1];
}

/* ------------------------------------------------ nonce ledger (tests) */

#ifdef KMSIM_NONCE_LEDGER
/* Records (key value, nonce) for a seal about to happen; a pair sealed
 * before fails the run (one line on stderr, abort).  The digest is made
 * here from the key bytes, apart from the counters above, so the ledger
 * checks them rather than trusting them. */
static void ledger_note(cry_keystore *ks, const unsigned char *key,
                        uint32_t sender, uint64_t counter)
{
    ledger_ent e = {.ctr = counter, .sender = sender, .used = 1};
    size_t mask, i;

    value_digest(e.dig, key, "kmsim-ledger");
    if (2 * (ks->ln + 1) > ks->lcap) {
        size_t nc = ks->lcap ? 2 * ks->lcap : 4096;
        ledger_ent *t = calloc(nc, sizeof *t);
        if (!t)
            cry_oom("nonce ledger");
        for (size_t j = 0; j < ks->lcap; j++) {
            if (!ks->led[j].used)
                continue;
            i = (size_t)mix64(ld64(ks->led[j].dig) ^ ks->led[j].ctr ^
                              ks->led[j].sender) & (nc - 1);
            while (t[i].used)
                i = (i + 1) & (nc - 1);
            t[i] = ks->led[j];
        }
        free(ks->led);
        ks->led = t;
        ks->lcap = nc;
    }
    mask = ks->lcap - 1;
    for (i = (size_t)mix64(ld64(e.dig) ^ counter ^ sender) & mask;
         ks->led[i].used; i = (i + 1) & mask)
        if (ks->led[i].ctr == counter && ks->led[i].sender == sender &&
            memcmp(ks->led[i].dig, e.dig, VDIG_BYTES) == 0) {
            fprintf(stderr, "kmsim: nonce ledger: nonce (sender %u, counter "
                    "%llu) sealed twice under one key value\n",
                    (unsigned)sender, (unsigned long long)counter);
            abort();
        }
    ks->led[i] = e;
    ks->ln++;
}

void cry_key_rewind_for_tests(cry_keystore *ks, cry_key k)
{
    uint32_t v = value_id(ks, k);

    ks->vnext[v - 1] = 0;
}

size_t cry_keystore_ledger_size(const cry_keystore *ks)
{
    assert(ks);
    return ks->ln;
}
#else
#define ledger_note(ks, key, sender, counter) ((void)0)
#endif

const unsigned char *cry_key_peek_for_tests(const cry_keystore *ks,
                                            cry_key k)
{
    assert(ks);
    assert(k >= 1 && k <= ks->used);
    return slot_ptr(ks, (size_t)k - 1);
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
    uint32_t v;

    assert(c && (m || mlen == 0) && (ad || adlen == 0));
    assert(mlen <= crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX &&
           mlen <= crypto_aead_aes256gcm_MESSAGEBYTES_MAX);
    /* A nonce is never used twice under one key VALUE (whichever slot
     * holds it): refuse before writing. */
    v = value_id(ks, k);        /* first: it may move vnext */
    next = &ks->vnext[v - 1];
    if (counter < *next || counter == UINT64_MAX)
        return -1;
    ledger_note(ks, key, sender, counter);
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
