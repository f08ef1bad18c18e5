/* mlist.h — kmsim metrics: the list of every metric a run writes, with
 * its unit, entity, the protocols that emit it and a one-line meaning.
 * The names and units are not written down twice: they come from the
 * registries of real runs (each protocol's own registration code, on a
 * small built-in scenario with every attacker), so the list cannot drift
 * from what runs write (kmsim extension). */
#ifndef KMSIM_MLIST_H
#define KMSIM_MLIST_H

#include <stddef.h>
#include <stdio.h>
#include "metrics.h"

typedef struct sim_mlist sim_mlist;   /* opaque */

/* Runs the probe scenario once under every registered protocol and
 * collects the rows its metrics emit.  NULL with one line in err when a
 * probe run fails (a bug: the probe is built in). */
sim_mlist *sim_mlist_collect(char *err, size_t errlen);
void sim_mlist_free(sim_mlist *l);    /* NULL is a no-op */

/* Prints one line per metric whose name matches glob `pattern` (NULL:
 * all): name, unit, entity, protocols, meaning.  Returns how many. */
size_t sim_mlist_print(const sim_mlist *l, const char *pattern, FILE *out);
/* "Did you mean" for a PATTERN that matched nothing: its literal part
 * (up to the first glob character, without trailing dots) is compared
 * with every name and every dotted prefix of one (sim_util_closest); on
 * a match, out gets that name or prefix with the rest of the pattern (a
 * bare prefix gets ".*") and 1 is returned; else 0. */
int sim_mlist_suggest(const sim_mlist *l, const char *pattern, char *out,
                      size_t len);
/* Number of metrics without a meaning in the documentation table. */
size_t sim_mlist_undocumented(const sim_mlist *l, FILE *report);

/* The meanings are declared in each module's own header (world.h,
 * run.h, health.h, attack.h, pk.h and each protocol's), beside its
 * metric registration, each table ended by {NULL, NULL}. */

#endif
