/* atk_hooks.h — the adversary interface a protocol implements: what the
 * attackers (sim/attack/, attack.h) ask of the protocol's real state (what
 * a capture yields, a leak, the reaction to a detected compromise, what a
 * read message teaches, which keys derive, the exposure, a well-formed
 * forgery).  Declared here, in the attack layer, because only this layer
 * calls it: the world (sim/net/, hooks.h) never does.  Each protocol in
 * sim/proto/ defines one constant instance beside its world vtable
 * (proto.h sim_atk_*), and the registry maps a protocol to it
 * (sim_proto_atk); the runner hands it to atk_attach. */
#ifndef KMSIM_ATK_HOOKS_H
#define KMSIM_ATK_HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include "kb.h"

struct sim_world;
struct sim_pkt;

/* atk_proto_hooks.atk_react: what was detected. */
enum { ATK_REACT_CAPTURE, ATK_REACT_LEAK };

/* A protocol's adversary interface: one constant table per protocol
 * (proto.h sim_atk_*); NULL (`none`) means every hook NULL. */
typedef struct atk_proto_hooks {
    /* ---- The adversary (sim/attack/, kb.h).  Each hook may be NULL: the
     * protocol then gives the attacker nothing that way / does nothing. */

    /* Physical compromise of `node` now: adds to kb every key and all key
     * material it holds (tables, rings, seeds, chain state, previous
     * values), keys labelled with the names message headers carry. */
    void (*atk_capture)(struct sim_world *w, void *ps, uint32_t node,
                        struct atk_kb *kb);
    /* Global key leak: adds to kb the value of one of the protocol's keys
     * shared network- or group-wide (Dini: a global key; netkey: the
     * network key; Di Pietro: a group's session key; E–G: a pool key),
     * chosen with `draw` (a uniform integer below its argument).  Returns
     * an id for atk_react, or -1 if the protocol has no such key. */
    int64_t (*atk_leak)(struct sim_world *w, void *ps, struct atk_kb *kb,
                        uint64_t (*draw)(void *ctx, uint64_t n), void *ctx);
    /* The protocol's reaction once the compromise is detected: node
     * `id` was captured (what = ATK_REACT_CAPTURE), or the key of
     * atk_leak id `id` leaked (ATK_REACT_LEAK): re-keying, revocation,
     * invalidation, as the protocol provides.  Returns the number of
     * nodes it told, 0 if it has no reaction. */
    long (*atk_react)(struct sim_world *w, void *ps, int what, uint64_t id);
    /* A part of p the attacker read (opened, or clear): part 0 control,
     * 1 data; pt its plaintext.  Adds to kb the keys and material it
     * carries (a key handed over, seeds sent in clear, a new value of a
     * replaced key). */
    void (*atk_learn)(struct sim_world *w, void *ps, struct atk_kb *kb,
                      const struct sim_pkt *p, int part,
                      const unsigned char *pt, size_t len);
    /* Before the attacker tries p, seen on the link from `from` to `to`:
     * adds to kb the keys it can derive for p from what it holds (E–G link
     * keys from pool keys, Di Pietro session keys from chain positions). */
    void (*atk_derive)(struct sim_world *w, void *ps, struct atk_kb *kb,
                       const struct sim_pkt *p, uint32_t from, uint32_t to);
    /* Counts the protocol's keyed links now (pairs of nodes that share
     * the key they protect traffic with) and those whose current key kb
     * holds or can derive (attack.h). */
    void (*atk_exposure)(struct sim_world *w, void *ps, struct atk_kb *kb,
                         struct atk_exposure *out);
    /* A well-formed forgery (issue 19): builds the message rq asks for
     * (kb.h atk_forge_req) exactly as the protocol's own sender would —
     * header fields, control part, seals — with the keys kb holds, entry
     * rq->key for the data part.  Returns the packet (not sent), or NULL
     * when that entry is not a key the protocol would seal such a
     * message with from rq->sender (or one it needs is missing). */
    struct sim_pkt *(*atk_forge)(struct sim_world *w, void *ps,
                                 struct atk_kb *kb,
                                 const struct atk_forge_req *rq);
} atk_proto_hooks;

#endif
