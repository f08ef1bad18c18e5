/* attack.h — the attacker models of a run (scenario `attackers:`,
 * DESIGN.md §3).  Every model acts on the bytes that really cross the
 * simulated links, through the world's taps and injections, and on the
 * protocol's real state through its adversary hooks (atk_hooks.h); all
 * attackers of a run share one knowledge base (kb.h).  The world
 * (sim/net/, a lower layer) knows them only as its observer (world.h
 * sim_world_obs): the runner wires them in with atk_attach right after
 * building the world, handing over the protocol's adversary hooks.
 *
 *   eavesdropper     records the messages on the links it covers (from
 *                    `at`) and tries to open each part with every key the
 *                    base holds; a recorded message it could not read is
 *                    tried again whenever the base grows (read late)
 *   node_capture     at `at`, takes `count` nodes' whole key material; after
 *                    `detection` (0: never detected) the protocol reacts
 *   global_key_leak  at `at`, one network-/group-wide key becomes known;
 *                    after `detection` the protocol invalidates it
 *   seed_sniffing    an eavesdropper of the registration exchange (Di
 *                    Pietro's seeds): learns what crosses in clear and
 *                    derives the session keys from it
 *   replay           records messages on its links from `at` and re-sends
 *                    `count` of them later, at `rate` per second (default
 *                    1/s), to the node that received them
 *   forgery          from `at`, at `rate` per second, `count` messages:
 *                    every other one (when its knowledge base holds keys)
 *                    built by the protocol (atk_forge) with a compromised
 *                    key, in turn data claiming a source's identity, the
 *                    protocol's key update (REKEY, updateSession) and its
 *                    invalidation or revocation (INVAL, SEEDS, REVOKE)
 *                    where it has them; the rest with
 *                    made-up keys and key names: data claiming a source's
 *                    identity, and control messages of every type (key
 *                    updates among them) sealed under a made-up key
 *   tampering        flips one authenticated byte of each of the first
 *                    `count` messages crossing its links from `at`
 *   insider          `count` registered sources turn malicious at `at`:
 *                    they read what crosses their links with their own
 *                    keys, and send data claiming other sources' identity,
 *                    built by the protocol (atk_forge) as their node
 *                    would, with each key their base holds in turn
 *   flooding         from `at`, `rate` extra registration requests per
 *                    second against each targeted SO (default: all)
 *
 * Metrics, per attacker i (entity "attack:<i>", so `kmsim compare` sets
 * them side by side per protocol), "attack.<kind>.<what>"; which rows a
 * kind emits is listed in the README. */
#ifndef KMSIM_ATTACK_H
#define KMSIM_ATTACK_H

#include <stddef.h>
#include <stdint.h>
#include "metrics.h"
#include "kb.h"
#include "atk_hooks.h"

struct sim_world;

typedef struct atk_run atk_run;   /* opaque */

/* Wires the attackers of w's scenario into w (the runner calls it, and
 * every test, fuzzer or bench that builds a world for a scenario that may
 * have attackers): builds them (taps, scheduled actions: the set-up's
 * locality exception "world set-up") and attaches them as w's observer
 * (sim_world_observe), which then reports their packets' outcomes, asks
 * for their report and series and frees them with the world.  Call it
 * right after sim_world_new* returns, before anything else is scheduled:
 * their events then follow the world's initial ones, as when the world
 * built them itself.  `hooks` is the protocol's adversary interface
 * (atk_hooks.h; the runner passes sim_proto_atk(sc->proto)), through which
 * alone the attackers reach the protocol's keys; NULL means every hook
 * NULL (a protocol that gives the attacker nothing).  A no-op (0, no
 * observer) when the scenario has no attackers.  Returns 0, or -1 with
 * one line in err.  Refused before anything is built, w left as it was:
 * a second call on w ("the attackers are already attached"), or a world
 * that cannot take an observer (world.h sim_world_observable: it has run,
 * or --threads split it).  Refused while building (a target the topology
 * cannot give: "file:line:col: attackers[i]: ..."): w may then hold some
 * attackers' events or tap; free it without running it. */
int atk_attach(struct sim_world *w, const atk_proto_hooks *hooks, char *err,
               size_t errlen);
/* The attackers atk_attach wired into w, NULL when it wired none. */
atk_run *atk_run_of(struct sim_world *w);
/* The coalition's base (shared by the attackers with knowledge:
 * coalition; a separate attacker has its own). */
atk_kb *atk_run_kb(atk_run *a);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_attack[];

#endif
