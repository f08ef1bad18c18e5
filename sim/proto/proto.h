/* proto.h — the protocol registry (sim/proto/proto.c): the built-in
 * protocols, each one vtable of the interface the world calls (hooks.h),
 * looked up by protocol.name.  The scenario loader reaches them only
 * through the registry interface it is handed (scn_registry, scenario.h):
 * a program that loads scenarios calls sim_proto_use() first.  Included by
 * the protocols, the runner and the command line (layers above the
 * loader), never by the loader.  Each built-in protocol also has its
 * adversary interface (atk_hooks.h, the attack layer's), sim_atk_*, which
 * the runner hands to the attackers (sim_proto_atk, attack.h atk_attach). */
#ifndef KMSIM_PROTO_H
#define KMSIM_PROTO_H

#include "hooks.h"
#include "atk_hooks.h"

/* The built-in protocols. */
extern const scn_proto_ops sim_proto_none;
extern const scn_proto_ops sim_proto_dini;
extern const scn_proto_ops sim_proto_dipietro;
extern const scn_proto_ops sim_proto_eg;
extern const scn_proto_ops sim_proto_netkey;    /* baselines, baseline.h */
extern const scn_proto_ops sim_proto_pairwise;

/* Their adversary interfaces (atk_hooks.h), each defined beside its
 * protocol's vtable; `none` has none. */
extern const atk_proto_hooks sim_atk_dini;
extern const atk_proto_hooks sim_atk_dipietro;
extern const atk_proto_hooks sim_atk_eg;
extern const atk_proto_hooks sim_atk_netkey;
extern const atk_proto_hooks sim_atk_pairwise;

/* The adversary interface of protocol ops (one of the built-in vtables
 * above): its sim_atk_* table, or NULL for `none` or a vtable that is not
 * a built-in one (a test's own protocol), which the attackers treat as a
 * table of NULL hooks.  For atk_attach. */
const atk_proto_hooks *sim_proto_atk(const scn_proto_ops *ops);

/* The registry of the built-in protocols, in the form the loader takes:
 * its members are the scn_proto_* functions below.  Constant. */
extern const scn_registry sim_proto_registry;

/* Hands sim_proto_registry to the loader (scn_registry_set): call it once
 * at the start of a program that loads scenarios, before any scn_load*
 * or scn_axis_parse (and before starting threads). */
void sim_proto_use(void);

/* The built-in protocol named `name`, or NULL. */
const scn_proto_ops *sim_proto_find(const char *name);
/* "none, dini, ..." (every built-in name, table order), for messages;
 * static storage. */
const char *sim_proto_names(void);
/* Parses the options of ops on the cursor m (its opts_parse, or for a
 * protocol without options only scn_map_done): 0 with *opts (NULL for a
 * protocol without options; free with sim_proto_free_opts), or -1 with
 * the error recorded through m. */
int sim_proto_parse_opts(const scn_proto_ops *ops, scn_map *m, void **opts);
/* Frees options sim_proto_parse_opts returned (ops or opts NULL: no-op). */
void sim_proto_free_opts(const scn_proto_ops *ops, void *opts);

/* Parses `text`, a YAML mapping such as "{d: 8, rekey_every: 10min}", as
 * the options of protocol `ops` exactly as the loader does under
 * `protocol:` (scn_opts_parse_buffer with sim_proto_registry; needs no
 * sim_proto_use).  For protocol unit tests: `ops` need not be registered.
 * Returns 0 with *opts owned by the caller (free with
 * sim_proto_free_opts), or -1 with one line in err and *opts NULL. */
int sim_proto_parse_opts_buffer(const scn_proto_ops *ops, const char *name,
                                const char *text, void **opts, char *err,
                                size_t errlen);

#endif
