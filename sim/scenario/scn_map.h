/* scn_map.h — the option reader the scenario loader hands option parsers:
 * a cursor on one mapping of the scenario (scn_map) and its typed getters,
 * which keep every error at file:line:column or the --set flag.  Defined
 * in scn_map.c (the scenario layer).  Its callers are the protocols'
 * option parsers (sim/proto/: opts_parse of hooks.h, reached through the
 * registry the loader is handed, scenario.h) and the loader's own section
 * parsers; nothing here knows a protocol. */
#ifndef KMSIM_SCN_MAP_H
#define KMSIM_SCN_MAP_H

#include <stddef.h>
#include <stdint.h>
#include "sim_time.h"
#include "units.h"
#include "dist.h"
#include "scenario.h"

/* ---- Reader API for protocol options ------------------------------------
 * A protocol's options live under `protocol:` beside `name:`, or in its
 * block of `protocols:`.  The loader hands the protocol a cursor on that
 * mapping; these getters look a key up (an override of the full path
 * wins), check type, unit and range, and on error record
 * "file:line:col: message" and return -1.  A missing key takes the
 * default unless `required`.  scn_map_done() reports unknown keys. */
int scn_map_int(scn_map *m, const char *key, int required, int64_t def,
                int64_t min, int64_t max, int64_t *out);
int scn_map_double(scn_map *m, const char *key, int required, double def,
                   double min, double max, double *out);
int scn_map_quantity(scn_map *m, const char *key, sim_dim dim, int required,
                     double def, double min, double max, double *out);
int scn_map_time(scn_map *m, const char *key, int required, sim_time def,
                 sim_time min, sim_time max, sim_time *out);
/* A time or a list of at most max_n times, each within [min, max]:
 * *out (malloc'd, the caller frees; NULL when absent) and *n. */
int scn_map_times(scn_map *m, const char *key, size_t max_n, sim_time min,
                  sim_time max, sim_time **out, size_t *n);
/* An integer or a list of at most max_n integers, each within [min,
 * max]: *out (malloc'd, the caller frees; NULL when absent) and *n. */
int scn_map_ints(scn_map *m, const char *key, size_t max_n, int64_t min,
                 int64_t max, int64_t **out, size_t *n);
/* 0 if t < the scenario's 'duration'; else -1 with an error at key's
 * value: such a time can never take effect (issue 20). */
int scn_map_before_duration(scn_map *m, const char *key, sim_time t);
/* For a protocol with SO-driven re-key rounds, every `every` (0: none)
 * and at the `n_at` times `at`: 0 if the scenario's
 * smart_object.rekey_spread is less than the shortest time between two
 * successive rounds (scn_rekey_min_gap), else -1 with the error recorded
 * at rekey_spread's value.  Always 0 when m has no scenario. */
int scn_map_rekey_rounds(scn_map *m, sim_time every, const sim_time *at,
                         size_t n_at);
/* Where the value of `key` was written (entry idx of it when it is a
 * list; the value itself otherwise; the mapping when the key is absent),
 * for a protocol's set-up errors reported later with scn_error_at: the
 * file's line:column, or the --set override that wrote it. */
void scn_map_mark(scn_map *m, const char *key, size_t idx, scn_mark *out);
/* Records "file:line:col: <message>" at the value of `key` (at the
 * mapping when the key is absent), for constraints between options that
 * one getter cannot check (e.g. ring <= pool).  Always returns -1. */
int scn_map_error(scn_map *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int scn_map_dist(scn_map *m, const char *key, sim_dim dim, int required,
                 const char *def, sim_dist *out);
int scn_map_enum(scn_map *m, const char *key, const char *const *names,
                 int required, int def, int *out);   /* names NULL-ended */
int scn_map_bool(scn_map *m, const char *key, int required, int def,
                 int *out);
int scn_map_done(scn_map *m);
/* The scenario's defence profile (SCN_DEF_*), parsed before any protocol
 * block: the default of a protocol's mechanism options.  as_published
 * when m has no scenario (scn_opts_parse_buffer). */
int scn_map_defences(const scn_map *m);
/* A bool option whose default is `published` under as_published and
 * `hardened` under hardened (scn_map_defences). */
int scn_map_defence(scn_map *m, const char *key, int published,
                    int hardened, int *out);
/* Cursor on the sub-mapping `key` of m (absent and not required: every
 * key of it takes its default).  NULL after an error (recorded).  The
 * caller calls scn_map_done on it, then scn_map_close (NULL is a no-op). */
scn_map *scn_map_sub(scn_map *m, const char *key, int required);
void scn_map_close(scn_map *c);

#endif
