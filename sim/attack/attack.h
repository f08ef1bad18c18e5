/* attack.h — the attacker models of a run (scenario `attackers:`,
 * DESIGN.md §3).  Every model acts on the bytes that really cross the
 * simulated links, through the world's taps and injections, and on the
 * protocol's real state through its atk_* hooks (hooks.h); all attackers
 * of a run share one knowledge base (kb.h).
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

struct sim_world;

typedef struct atk_run atk_run;   /* opaque */

/* Builds the attackers of the world's scenario (after the protocol's
 * init): taps, scheduled actions.  *out is NULL when there are none.
 * Returns 0, or -1 with one line in err. */
int atk_run_new(struct sim_world *w, atk_run **out, char *err,
                size_t errlen);
void atk_run_free(atk_run *a);                   /* NULL is a no-op */
/* End of run: every attacker's metrics into m. */
void atk_run_report(atk_run *a, ana_metrics *m);
/* --series (kmsim extension, issue 23): registers each reader's
 * attack.<kind>.ctl.read / .data.read / .payload.read (entity
 * "attack:K", counts of parts read, as its report counts them) as
 * series-only counters of m (ana_series_reg) and feeds them from then on. */
void atk_run_series(atk_run *a, ana_metrics *m);
/* The coalition's base (shared by the attackers with knowledge:
 * coalition; a separate attacker has its own). */
atk_kb *atk_run_kb(atk_run *a);

/* The world reports the outcome of attacker a's message of class cls at
 * the node it was meant for: accepted (1) or refused (0); moved = 1 when
 * a refusal follows an acceptance already counted.  a may be NULL. */
void atk_outcome(atk_run *a, uint32_t attacker, uint32_t cls, int accepted,
                 int moved);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_attack[];

#endif
