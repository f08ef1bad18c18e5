/* compare.h — kmsim compare: one scenario run under several protocols on
 * the same topology, traffic and seeds.  Each protocol's usual result
 * files go to a directory of its own; compare.csv gathers their summaries
 * and compare-runs.csv their runs, and a table sets the key metrics of
 * the protocols side by side. */
#ifndef KMSIM_COMPARE_H
#define KMSIM_COMPARE_H

#include <stddef.h>
#include <stdio.h>
#include "proto.h"
#include "run.h"
#include "scenario.h"

/* Parses a --protocols value "a,b,c": registered, distinct names.
 * Returns 0 with *out (an array the caller frees; the vtables are static)
 * and *n >= 1, or -1 with one line naming the flag in err. */
int sim_compare_list(const char *arg, const scn_proto_ops ***out, size_t *n,
                     char *err, size_t errlen);

/* Runs scs[0..n), n >= 1: the same scenario loaded as each protocol
 * (possibly twice, under each defence profile: columns and directories
 * are then named <protocol>-as_published and <protocol>-hardened)
 * (scn_load_as, then the same seed, replications and --set paths), under
 * o: out_dir NULL is "results/<scenario name>-compare"; until,
 * max_events, stop, progress and quiet as for sim_run; per_node, keep,
 * the tees and defer must be unset.  Writes <dir>/<protocol>/ (runs.csv,
 * summary.csv, replications.csv: what sim_run writes there),
 * <dir>/compare.csv (every summary row, protocol after protocol, under
 * one header) and <dir>/compare-runs.csv (every runs row, likewise); no
 * file goes in place before every protocol has run.  Unless quiet, prints
 * the table and the paths on `out`.  Returns a SIM_EXIT_* status; on
 * failure err holds one line (an input error as file:line:column, as
 * sim_run gives it) and no file is left behind or replaced. */
int sim_compare(const scenario *const *scs, size_t n, const sim_run_opts *o,
                FILE *out, char *err, size_t errlen);

#endif
