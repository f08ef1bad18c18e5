/* none.c — the "none" protocol: no key management at all.  Data travels
 * in clear after registration; it is the baseline every scheme's delay and
 * overhead are compared against, and the only protocol of the foundation.
 * Every hook is left NULL: the world then sends, delivers and registers
 * without protection, storage and extra messages. */
#include "proto.h"

const scn_proto_ops sim_proto_none = {
    .name = "none",
    .summary = "no key management: data in clear (baseline)",
    /* No state, no hooks: nothing but the world's own, which is
     * partition-safe (THREADS.md). */
    .threads_ok = 1,
};
