/* proto.h — the protocol registry (sim/proto/proto.c): the built-in
 * protocols, each one vtable of the interface the world calls (hooks.h),
 * looked up by protocol.name. */
#ifndef KMSIM_PROTO_H
#define KMSIM_PROTO_H

#include "hooks.h"

/* The built-in protocols. */
extern const scn_proto_ops sim_proto_none;
extern const scn_proto_ops sim_proto_dini;
extern const scn_proto_ops sim_proto_dipietro;
extern const scn_proto_ops sim_proto_eg;
extern const scn_proto_ops sim_proto_netkey;    /* baselines, baseline.h */
extern const scn_proto_ops sim_proto_pairwise;

#endif
