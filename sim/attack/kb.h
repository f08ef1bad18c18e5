/* kb.h — the adversary's knowledge base: every key value and piece of key
 * material the attackers of one run hold, in their own key store (never
 * the protocol's), shared by all of them (a coalition: what a capture
 * yields, the eavesdropper tries).
 *
 * An entry is a 32-byte value with
 *   kind   ATK_KEY: a key that may open messages (it is tried on them);
 *          ATK_MATERIAL: material to derive keys from (seeds, chain
 *          positions, a master secret), never tried directly;
 *   label  the name the attacker knows it by: for keys, the key name
 *          written in message headers where the protocol has one; for
 *          material, a protocol-defined label;
 *   aux    a protocol-defined number (a session, a pool key id);
 *   from   the attacker (index in the scenario's list) it came from,
 *          inherited by everything learned with it;
 *   at     when it was learned (simulated time).
 * Protocols fill it through their adversary hooks (atk_hooks.h); the attack
 * models (attack.h) read with it.  Values are wiped when the base is
 * freed.  No entry is ever removed: what was learned stays learned. */
#ifndef KMSIM_ATK_KB_H
#define KMSIM_ATK_KB_H

#include <stddef.h>
#include <stdint.h>
#include "cry_key.h"
#include "sim_time.h"

#define ATK_NONE SIZE_MAX    /* "no entry" */

typedef enum atk_kind { ATK_KEY, ATK_MATERIAL } atk_kind;

typedef struct atk_kb atk_kb;   /* opaque */

/* An empty base for n_nodes nodes; NULL if libsodium cannot allocate.
 * Its key store opens and seals with ChaCha20-Poly1305-IETF. */
atk_kb *atk_kb_new(uint64_t seed, uint32_t n_nodes);
/* The same with the run's cipher (scenario `aead:`): an attacker tries
 * its keys with the cipher the network seals with.  NULL also if this
 * host cannot run `aead` (cry_aead_available). */
atk_kb *atk_kb_new_aead(uint64_t seed, uint32_t n_nodes, cry_aead aead);
void atk_kb_free(atk_kb *kb);   /* wipes every value; NULL is a no-op */

/* Who and when: entries added from now on record `from` and `at`. */
void atk_kb_context(atk_kb *kb, uint32_t from, sim_time at);
uint32_t atk_kb_from_now(const atk_kb *kb);

/* Adds the value of key k of store `ks` (a protocol's) under (kind,
 * label, aux).  Returns the entry, or the existing one when an entry of
 * that kind and label already holds the same value (nothing added). */
size_t atk_kb_add(atk_kb *kb, atk_kind kind, uint64_t label, uint64_t aux,
                  const cry_keystore *ks, cry_key k);
/* The same from bytes (len <= 32, zero-padded to 32); the caller wipes
 * v. */
size_t atk_kb_add_bytes(atk_kb *kb, atk_kind kind, uint64_t label,
                        uint64_t aux, const unsigned char *v, size_t len);
/* Adds key k of the base's own store (derived by a protocol hook with
 * atk_kb_store()), taking it. */
size_t atk_kb_add_own(atk_kb *kb, atk_kind kind, uint64_t label,
                      uint64_t aux, cry_key k);

size_t atk_kb_count(const atk_kb *kb);            /* entries              */
size_t atk_kb_count_kind(const atk_kb *kb, atk_kind kind);
/* First entry of (kind, label) in the order added, or ATK_NONE; then the
 * next one of the same (kind, label). */
size_t atk_kb_find(const atk_kb *kb, atk_kind kind, uint64_t label);
size_t atk_kb_next(const atk_kb *kb, size_t i);

atk_kind atk_kb_kind(const atk_kb *kb, size_t i);
uint64_t atk_kb_label(const atk_kb *kb, size_t i);
uint64_t atk_kb_aux(const atk_kb *kb, size_t i);
uint32_t atk_kb_from(const atk_kb *kb, size_t i);
sim_time atk_kb_at(const atk_kb *kb, size_t i);
cry_key atk_kb_key(const atk_kb *kb, size_t i);   /* in atk_kb_store()  */
/* Copies entry i's value out; the caller wipes it. */
void atk_kb_export(const atk_kb *kb, size_t i,
                   unsigned char out[CRY_KEY_BYTES]);
/* 1 if the base holds, as a key of that label (any label when label is
 * ATK_ANY_LABEL), the value of key k of store ks (constant time per
 * comparison). */
#define ATK_ANY_LABEL UINT64_MAX
int atk_kb_holds(const atk_kb *kb, uint64_t label, const cry_keystore *ks,
                 cry_key k);

/* The base's own store (for protocol hooks that derive keys) and the
 * attackers' crypto counters (their work, kept apart from the nodes'). */
cry_keystore *atk_kb_store(atk_kb *kb);
cry_ops *atk_kb_ops(atk_kb *kb);

/* What a protocol's exposure hook reports (atk_hooks.h): its keyed links
 * (pairs of nodes sharing the key that protects their traffic: a link key,
 * a channel hop, a member's group key, a source's key with its SO), and of
 * those the ones whose current key the base holds or can derive; `clean`
 * counts only links with neither end captured (the quantity of the
 * Eschenauer–Gligor resilience formulas). */
typedef struct atk_exposure {
    uint64_t links, exposed;
    uint64_t links_clean, exposed_clean;
} atk_exposure;

/* Captured nodes (physically compromised: node_capture, insider). */
void atk_kb_mark_captured(atk_kb *kb, uint32_t node);
int atk_kb_captured(const atk_kb *kb, uint32_t node);
uint32_t atk_kb_n_captured(const atk_kb *kb);

/* ---- Well-formed forgeries (atk_hooks.h forge, issue 19) ----
 * What an attacker asks a protocol to build: a message of kind `what`
 * that node `sender` transmits (the node an insider controls, or the
 * neighbour of dst a forger sends from), claiming to come from `src`,
 * for `dst`, sealed with the base's entry `key` (and, for a per-hop MAC,
 * whatever other entry the protocol needs). */
enum {
    ATK_FORGE_DATA,          /* data claiming src, for dst (its SO)        */
    ATK_FORGE_REKEY,         /* a key replacement "from" src (an SO or the
                              * key's authority) to a holder of the key:
                              * dst, or SIM_NONE for the protocol to pick
                              * a holder the attacker saw use it           */
    ATK_FORGE_INVAL          /* an invalidation "from" src to dst, sealed
                              * under the entry (Dini: dst's device key)  */
};
typedef struct atk_forge_req {
    int what;
    uint32_t sender, src, dst, seq;
    uint32_t payload;        /* data bytes                                */
    size_t key;              /* the entry to seal the data part with      */
} atk_forge_req;

/* The nonce counter a forger starts from on a key (kmsim's choice: a
 * holder of the key picks any counter; one far above any honest sender's
 * passes every replay window, as a real forger's would). */
#define ATK_FORGE_CTR ((uint64_t)1 << 40)

struct sim_world;
struct sim_pkt;
/* Builds rq's data message as an end-to-end protocol does: header (type
 * DATA, src, dst, seq, key name `name`, session `session`), payload,
 * data part sealed under entry rq->key with the attacker's own handle
 * (its counter moved to ATK_FORGE_CTR at least first); when hop_key is
 * not ATK_NONE the (empty) control part is sealed under that entry as
 * sent by `hop_from` (a per-hop MAC); else the hop-sender field is
 * hop_from.  Returns the packet, or NULL if an entry is not a key or a
 * seal fails (nothing allocated then). */
/* A control message as the protocols' message builders make it (ctl =
 * [type] in clear, data = [type] + body sealed under entry rq->key, key
 * name `name`, session `session`, counter as above) from rq->src to
 * rq->dst.  NULL as above. */
struct sim_pkt *atk_kb_forge_ctl(struct sim_world *w, atk_kb *kb,
                                 const atk_forge_req *rq, int type,
                                 const unsigned char *body, size_t len,
                                 uint64_t name, uint32_t session);
struct sim_pkt *atk_kb_forge_data(struct sim_world *w, atk_kb *kb,
                                  const atk_forge_req *rq, uint64_t name,
                                  uint32_t session, size_t hop_key,
                                  uint32_t hop_from);

#endif
