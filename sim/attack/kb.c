/* kb.c — the adversary's knowledge base (kb.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include "kb.h"
#include "kmap.h"
#include "util.h"
#include "world.h"
#include "wire.h"

typedef struct entry {
    uint64_t label, aux;
    sim_time at;
    cry_key key;
    uint32_t from;
    uint8_t kind;
    size_t next;             /* next entry of the same (kind, label)      */
} entry;

struct atk_kb {
    cry_keystore *ks;
    cry_ops ops;
    entry *e;
    size_t n, cap;
    size_t n_kind[2];
    kmap first;              /* (kind, label) -> first entry + 1          */
    kmap last;               /* (kind, label) -> last entry + 1           */
    uint8_t *captured;       /* per node                                  */
    uint32_t n_nodes, n_captured;
    uint32_t from;
    sim_time at;
};

atk_kb *atk_kb_new(uint64_t seed, uint32_t n_nodes)
{
    return atk_kb_new_aead(seed, n_nodes, CRY_AEAD_CHACHA20POLY1305);
}

atk_kb *atk_kb_new_aead(uint64_t seed, uint32_t n_nodes, cry_aead aead)
{
    atk_kb *kb = xcalloc(1, sizeof *kb);

    kb->ks = cry_keystore_new_aead(seed, aead);
    if (!kb->ks) {
        free(kb);
        return NULL;
    }
    kmap_init(&kb->first);
    kmap_init(&kb->last);
    kb->captured = xcalloc(n_nodes ? n_nodes : 1, 1);
    kb->n_nodes = n_nodes;
    return kb;
}

void atk_kb_free(atk_kb *kb)
{
    if (!kb)
        return;
    cry_keystore_free(kb->ks);               /* wipes every value */
    kmap_deinit(&kb->first);
    kmap_deinit(&kb->last);
    free(kb->e);
    free(kb->captured);
    free(kb);
}

void atk_kb_context(atk_kb *kb, uint32_t from, sim_time at)
{
    kb->from = from;
    kb->at = at;
}

uint32_t atk_kb_from_now(const atk_kb *kb)
{
    return kb->from;
}

/* The entry of (kind, label) already holding key k of kb->ks, or
 * ATK_NONE. */
static size_t same_value(const atk_kb *kb, atk_kind kind, uint64_t label,
                         cry_key k)
{
    for (size_t i = atk_kb_find(kb, kind, label); i != ATK_NONE;
         i = kb->e[i].next)
        if (cry_key_equal(kb->ks, kb->e[i].key, k))
            return i;
    return ATK_NONE;
}

size_t atk_kb_add_own(atk_kb *kb, atk_kind kind, uint64_t label,
                      uint64_t aux, cry_key k)
{
    size_t i = same_value(kb, kind, label, k);
    uint64_t *last;
    entry *e;

    if (i != ATK_NONE) {
        cry_key_free(kb->ks, k);
        return i;
    }
    if (kb->n == kb->cap) {
        kb->cap = kb->cap ? 2 * kb->cap : 64;
        kb->e = xreallocarray(kb->e, kb->cap, sizeof *kb->e);
    }
    i = kb->n++;
    e = &kb->e[i];
    e->label = label;
    e->aux = aux;
    e->at = kb->at;
    e->key = k;
    e->from = kb->from;
    e->kind = (uint8_t)kind;
    e->next = ATK_NONE;
    kb->n_kind[kind == ATK_KEY ? 0 : 1]++;
    last = kmap_get(&kb->last, (uint64_t)kind, label);
    if (last)
        kb->e[*last - 1].next = i;
    else
        kmap_put(&kb->first, (uint64_t)kind, label, i + 1);
    kmap_put(&kb->last, (uint64_t)kind, label, i + 1);
    return i;
}

size_t atk_kb_add(atk_kb *kb, atk_kind kind, uint64_t label, uint64_t aux,
                  const cry_keystore *ks, cry_key k)
{
    assert(k);
    return atk_kb_add_own(kb, kind, label, aux,
                          cry_key_transfer(kb->ks, ks, k));
}

size_t atk_kb_add_bytes(atk_kb *kb, atk_kind kind, uint64_t label,
                        uint64_t aux, const unsigned char *v, size_t len)
{
    unsigned char buf[CRY_KEY_BYTES];
    cry_key k;

    assert(len <= CRY_KEY_BYTES);
    memset(buf, 0, sizeof buf);
    memcpy(buf, v, len);
    k = cry_key_import(kb->ks, buf);
    cry_wipe(buf, sizeof buf);
    return atk_kb_add_own(kb, kind, label, aux, k);
}

size_t atk_kb_count(const atk_kb *kb)
{
    return kb->n;
}

size_t atk_kb_count_kind(const atk_kb *kb, atk_kind kind)
{
    return kb->n_kind[kind == ATK_KEY ? 0 : 1];
}

size_t atk_kb_find(const atk_kb *kb, atk_kind kind, uint64_t label)
{
    const uint64_t *f = kmap_get(&kb->first, (uint64_t)kind, label);
    return f ? (size_t)(*f - 1) : ATK_NONE;
}

size_t atk_kb_next(const atk_kb *kb, size_t i)
{
    assert(i < kb->n);
    return kb->e[i].next;
}

atk_kind atk_kb_kind(const atk_kb *kb, size_t i)
{
    assert(i < kb->n);
    return (atk_kind)kb->e[i].kind;
}

uint64_t atk_kb_label(const atk_kb *kb, size_t i)
{
    assert(i < kb->n);
    return kb->e[i].label;
}

uint64_t atk_kb_aux(const atk_kb *kb, size_t i)
{
    assert(i < kb->n);
    return kb->e[i].aux;
}

uint32_t atk_kb_from(const atk_kb *kb, size_t i)
{
    assert(i < kb->n);
    return kb->e[i].from;
}

sim_time atk_kb_at(const atk_kb *kb, size_t i)
{
    assert(i < kb->n);
    return kb->e[i].at;
}

cry_key atk_kb_key(const atk_kb *kb, size_t i)
{
    assert(i < kb->n);
    return kb->e[i].key;
}

void atk_kb_export(const atk_kb *kb, size_t i,
                   unsigned char out[CRY_KEY_BYTES])
{
    assert(i < kb->n);
    cry_key_export(kb->ks, kb->e[i].key, out);
}

int atk_kb_holds(const atk_kb *kb, uint64_t label, const cry_keystore *ks,
                 cry_key k)
{
    if (!k)
        return 0;
    if (label != ATK_ANY_LABEL) {
        for (size_t i = atk_kb_find(kb, ATK_KEY, label); i != ATK_NONE;
             i = kb->e[i].next)
            if (cry_key_equal_in(kb->ks, kb->e[i].key, ks, k))
                return 1;
        return 0;
    }
    for (size_t i = 0; i < kb->n; i++)
        if (kb->e[i].kind == ATK_KEY &&
            cry_key_equal_in(kb->ks, kb->e[i].key, ks, k))
            return 1;
    return 0;
}

cry_keystore *atk_kb_store(atk_kb *kb)
{
    return kb->ks;
}

cry_ops *atk_kb_ops(atk_kb *kb)
{
    return &kb->ops;
}

void atk_kb_mark_captured(atk_kb *kb, uint32_t node)
{
    assert(node < kb->n_nodes);
    if (!kb->captured[node]) {
        kb->captured[node] = 1;
        kb->n_captured++;
    }
}

int atk_kb_captured(const atk_kb *kb, uint32_t node)
{
    return node < kb->n_nodes && kb->captured[node];
}

uint32_t atk_kb_n_captured(const atk_kb *kb)
{
    return kb->n_captured;
}

/* ---- Well-formed forgeries ---- */

/* Moves sender's next nonce counter under entry i's value (the
 * attacker's own handle) to ATK_FORGE_CTR at least, by one real seal of nothing at the counter
 * below it (cry_seal only moves counters forward: no nonce repeats). */
static int forge_counter(atk_kb *kb, size_t i, uint32_t sender)
{
    cry_key k = kb->e[i].key;
    unsigned char tag[CRY_TAG_BYTES];
    int rc = 0;

    if (cry_key_next_counter(kb->ks, k, sender) < ATK_FORGE_CTR)
        rc = cry_seal(kb->ks, k, sender, ATK_FORGE_CTR - 1, NULL, 0, NULL, 0,
                      tag, &kb->ops);
    return rc;
}

sim_pkt *atk_kb_forge_data(sim_world *w, atk_kb *kb, const atk_forge_req *rq,
                           uint64_t name, uint32_t session, size_t hop_key,
                           uint32_t hop_from)
{
    sim_pkt *p;

    if (rq->key >= kb->n || kb->e[rq->key].kind != ATK_KEY ||
        (hop_key != ATK_NONE &&
         (hop_key >= kb->n || kb->e[hop_key].kind != ATK_KEY)))
        return NULL;
    p = sim_pkt_new(w, SIM_PKT_DATA, rq->src, rq->dst, rq->seq, 0,
                    rq->payload);
    memset(sim_pkt_data(p), 0xa5, rq->payload);
    p->payload = rq->payload;
    sim_pkt_set_key(p, name, session);
    sim_put32(p->buf + 28, hop_from);        /* hop sender (wire.h) */
    if (forge_counter(kb, rq->key, rq->src) != 0 ||
        sim_pkt_seal_data(p, kb->ks, kb->e[rq->key].key, &kb->ops) != 0 ||
        (hop_key != ATK_NONE &&
         (forge_counter(kb, hop_key, hop_from) != 0 ||
          sim_pkt_seal_ctl(p, kb->ks, kb->e[hop_key].key, hop_from,
                           &kb->ops) != 0))) {
        sim_pkt_free(w, p);
        return NULL;
    }
    return p;
}

sim_pkt *atk_kb_forge_ctl(sim_world *w, atk_kb *kb, const atk_forge_req *rq,
                          int type, const unsigned char *body, size_t len,
                          uint64_t name, uint32_t session)
{
    sim_pkt *p;

    if (rq->key >= kb->n || kb->e[rq->key].kind != ATK_KEY)
        return NULL;
    p = sim_pkt_new(w, SIM_PKT_CONTROL, rq->src, rq->dst, rq->seq, 1,
                    (uint32_t)(1 + len));
    sim_pkt_ctl(p)[0] = (unsigned char)type;
    sim_pkt_data(p)[0] = (unsigned char)type;
    if (len)
        memcpy(sim_pkt_data(p) + 1, body, len);
    sim_pkt_set_key(p, name, session);
    if (forge_counter(kb, rq->key, rq->src) != 0 ||
        sim_pkt_seal_data(p, kb->ks, kb->e[rq->key].key, &kb->ops) != 0) {
        cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
        sim_pkt_free(w, p);
        return NULL;
    }
    return p;
}
