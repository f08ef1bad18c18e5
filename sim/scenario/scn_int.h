/* scn_int.h — private to the scenario loader (scenario.c, scn_yaml.c,
 * scn_map.c, scn_topo.c, scn_sections.c, scn_sweep.c); not for other
 * modules, which use scenario.h and scn_map.h (the option reader).  The
 * loader state, the YAML document and mapping cursor types, and the
 * functions one loader file calls in another (scni_: loader-internal).
 * Each function's contract is the comment at its definition; an error is
 * written once into the ldr (the first one wins, ldr.failed), every later
 * one being a consequence. */
#ifndef KMSIM_SCN_INT_H
#define KMSIM_SCN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>
#include "cry.h"
#include "cry_key.h"
#include "scenario.h"
#include "scn_map.h"
#include "util.h"

#define MAX_PAYLOAD   65536.0              /* bytes, traffic.size bound    */
/* The error of an entry point called before scn_registry_set. */
#define SCNI_NO_REGISTRY "no protocol registry (scn_registry_set not called)"
#define SECTION_LEN   96

/* ======================================================================
 * Loader state
 * ====================================================================== */

/* One parsed YAML document.  Nodes 1..n are libyaml's; overrides append
 * more.  origin[i-1] says where node i came from: -1 the file, k >= 0 the
 * k-th --set (its errors are then reported as "--set path=value: ...").
 * refs[i-1] counts the parents of node i (aliases make nodes shared), so
 * an override never changes a node seen from two places. */
typedef struct ydoc {
    yaml_document_t doc;
    int loaded;          /* doc holds memory to free                  */
    const char *file;    /* name used in messages                     */
    int *origin;         /* NULL until the first override             */
    int *refs;
    size_t cap;          /* entries in origin and refs                */
    int *aclones;        /* ids of list/mapping copies made for an    */
    size_t n_aclones;    /*   alias (fix_walk), ascending             */
} ydoc;

/* Node ids of an explicit topology: open addressing, id -> index. */
typedef struct idmap {
    uint32_t *keys;
    uint32_t *vals;      /* index + 1; 0 = empty slot                 */
    size_t mask;
} idmap;

typedef struct ldr {
    char *err;
    size_t errlen;
    int failed;          /* an error has been written; stop           */
    const char *const *args;  /* the --set strings as given           */
    const char *const *labels; /* NULL, or per override its error     */
                              /*   prefix (NULL entry: "--set arg")   */
    int vary;            /* parsing a --vary value: every error is    */
                         /*   reported as override 0's               */
    const char *dir;     /* scenario directory with '/', or NULL      */
    size_t dirlen;
    scenario *s;
    idmap ids;           /* explicit topology: node id -> index       */
    uint32_t total_nodes;
    cry_hash_state hash; /* scenario hash: file, overrides, profiles  */
    const scn_registry *reg;  /* the protocols (scn_registry_set)   */
    const scn_proto_ops *as;  /* protocol to run; NULL: protocol.name */
    /* Inside a mapping reached through an alias (scni_map_open), errors about
     * its keys and values point at the alias (issue 20 #7): */
    const ydoc *alias_doc;    /* NULL: not inside one                 */
    yaml_mark_t alias_mark;
    /* smart_object.rekey_spread's value, read before the protocol blocks
     * (scni_pre_rekey_spread) so their rounds can be checked against it: */
    ydoc *spread_doc;         /* NULL: absent (spread 0)              */
    yaml_node_t *spread_node;
} ldr;

/* Cursor on a mapping (the public scn_map).  `map` NULL means the section
 * is absent: every key takes its default. */
struct scn_map {
    ldr *L;
    ydoc *d;
    yaml_node_t *map;
    yaml_node_t *at;     /* where "missing required key" points       */
    char section[SECTION_LEN];  /* "topology.link", for messages      */
    const char *skip;    /* key the caller reads itself ("name")      */
    unsigned char *used; /* per pair: read by a getter                */
    size_t n;            /* pairs                                     */
    int done;
    /* the keys asked for (scni_map_find), for "did you mean" when an unknown
     * key remains; at most 48 of them, truncated to 31 bytes     */
    char asked[48][32];
    size_t n_asked;
    int alias_set;       /* scni_map_open saved the alias context below:   */
    const ydoc *alias_prev;       /*   scni_map_close restores it          */
    yaml_mark_t alias_prev_mark;
};

/* Bounds of a quantity (scni_get_qty). */
typedef struct bounds {
    double lo, hi;       /* -INFINITY / INFINITY: unbounded         */
    int lo_open, hi_open;
} bounds;

/* ---- scn_yaml.c -------------------------------------------------------- */

void scni_report(ldr *L, const char *file, int ovr, const yaml_mark_t *m,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int scni_origin_of(const ydoc *d, const yaml_node_t *n);
int scni_nerr(ldr *L, const ydoc *d, const yaml_node_t *n,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int scni_read_file(const char *path, unsigned char **buf, size_t *len,
                   const char **kind);
int scni_load_doc(ldr *L, ydoc *d, const char *file, int ovr,
                  const unsigned char *buf, size_t len);
void scni_ydoc_free(ydoc *d);
int scni_is_alias_clone(const ydoc *d, int id);
yaml_node_t *scni_node_at(ydoc *d, int id);
const char *scni_stext(const yaml_node_t *n);
int scni_is_null(const yaml_node_t *n);
const char *scni_describe(const yaml_node_t *n, char *buf, size_t len);
size_t scni_seq_len(const yaml_node_t *n);
yaml_node_t *scni_seq_item(ydoc *d, const yaml_node_t *n, size_t i);
int scni_split_override(const char *arg, char **path, char **value);
int scni_apply_override(ldr *L, ydoc *d, int k, const char *path,
                        const char *value);

/* ---- scn_map.c --------------------------------------------------------- */

int scni_map_open(scn_map *m, ldr *L, ydoc *d, yaml_node_t *map,
                  yaml_node_t *at, const char *section, const char *skip);
void scni_map_close(scn_map *m);
int scni_map_check_keys(scn_map *m, const char *const *known,
                        const char *const *applicable, const char *gen);
yaml_node_t *scni_map_find(scn_map *m, const char *key,
                           yaml_node_t **keynode);
int scni_lookup(scn_map *m, const char *key, int required, yaml_node_t **v);
int scni_type_err(scn_map *m, yaml_node_t *v, const char *what,
                  const char *key);
int scni_parse_integer(const char *t, int *neg, uint64_t *mag);
int scni_get_int(scn_map *m, const char *key, int required, int64_t def,
                 int64_t lo, int64_t hi, int64_t *out, yaml_node_t **vn);
int scni_get_u64(scn_map *m, const char *key, uint64_t def, uint64_t *out);
int scni_get_u32(scn_map *m, const char *key, int required, uint32_t def,
                 uint32_t lo, uint32_t hi, uint32_t *out, yaml_node_t **vn);
int scni_get_qty(scn_map *m, const char *key, sim_dim dim, int required,
                 double def, const bounds *b, double *out,
                 yaml_node_t **vn);
int scni_get_time(scn_map *m, const char *key, int required, sim_time def,
                  sim_time lo, int lo_open, sim_time hi,
                  sim_time *out, yaml_node_t **vn);
int scni_time_of(scn_map *m, yaml_node_t *v, const char *key, sim_time lo,
                 int lo_open, sim_time hi, sim_time *out);
int scni_before_duration(scn_map *m, yaml_node_t *v, const char *key,
                         sim_time t);
sim_time scni_dist_min_ns(const sim_dist *d);
int scni_get_dist(scn_map *m, const char *key, sim_dim dim, int required,
                  const char *def, sim_dist *out, yaml_node_t **vn);
int scni_get_enum(scn_map *m, const char *key, const char *const *names,
                  int required, int def, int *out, yaml_node_t **vn);
int scni_get_bool(scn_map *m, const char *key, int required, int def,
                  int *out);
int scni_get_string(scn_map *m, const char *key, int required,
                    const char **out, yaml_node_t **vn);
int scni_get_map(scn_map *m, const char *key, int required,
                 yaml_node_t **out);
int scni_get_seq(scn_map *m, const char *key, int required,
                 yaml_node_t **out);
int scni_get_qty_list(scn_map *m, const char *key, sim_dim dim, size_t count,
                      int required, const bounds *b, double *out,
                      yaml_node_t **vn);
/* A cursor on the mapping n inside parent (n NULL: an absent section,
 * errors point at parent's position); close it with scni_map_close. */
int scni_sub_open(scn_map *c, scn_map *parent, yaml_node_t *n,
                  const char *section);

/* ---- scn_topo.c -------------------------------------------------------- */

void scni_idmap_free(idmap *m);
int64_t scni_idmap_get(const idmap *m, uint32_t id);
extern const bounds scni_b_nonneg;
extern const bounds scni_b_op_per_byte;
int scni_parse_topology(scn_map *top);

/* ---- scn_sections.c ---------------------------------------------------- */

int scni_parse_traffic(scn_map *top);
int scni_pre_rekey_spread(scn_map *top);
int scni_parse_smart_object(scn_map *top);
int scni_parse_subscribers(scn_map *top);
int scni_parse_profiles(scn_map *top);
int scni_parse_attackers(scn_map *top);
void scni_mark_of(const ydoc *d, const yaml_node_t *n, scn_mark *m);
int scni_parse_moves(scn_map *top);
int scni_parse_protocol(scn_map *top);

/* ---- scn_sweep.c ------------------------------------------------------- */

int scni_parse_sweep(scn_map *top);
int scni_axis_parse(const scn_registry *reg, const char *arg, scn_axis *ax,
                    char *err, size_t errlen);

#endif
