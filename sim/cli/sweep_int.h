/* sweep_int.h — private to sweep*.c; not for other modules.
 * What the two halves of kmsim sweep share: the expanded sweep (struct
 * sim_sweep, its configurations and journal records) and the functions
 * one half defines and the other calls.  sweep.c: expansion, point
 * selection, the record of a point and the journal; sweep_run.c: worker
 * processes (and MPI ranks), the coordinator and the result files. */
#ifndef KMSIM_SWEEP_INT_H
#define KMSIM_SWEEP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "sweep.h"
#include "scenario.h"
#include "util.h"

#define KEY_BYTES 16
#define JOURNAL_MAGIC "kmsim-sweep-journal 1\n"
#define MAX_RECORD ((size_t)1 << 30)

typedef struct config {
    char **ovr;              /* "path=value": the --sets, then the axes  */
    char **labels;           /* per override: NULL (--set) or its label  */
    size_t n_ovr;
    const char *protocol;    /* NULL: protocol.name                       */
    const char *proto_name;  /* the protocol run (for --list, --where)    */
    size_t *vi;              /* per axis: index of its value              */
    uint64_t seed;
    uint32_t reps;
    size_t first;            /* its first point                           */
} config;

typedef struct rec_loc {     /* a record of the journal */
    off_t off;               /* of the payload                            */
    size_t len;
} rec_loc;

struct sim_sweep {
    const sim_sweep_opts *o;
    char *name;
    size_t n_axes;
    scn_axis *axes;
    size_t n_configs;
    config *cfgs;
    size_t n_points;
    unsigned char *keys;     /* KEY_BYTES per point                       */
    unsigned char *sel;      /* per point: selected                       */
    rec_loc *done;           /* per point: its record (len 0: none)       */
    char *dir;
    char qdir[512];          /* dir for messages (sim_units_quote_path)   */
    /* run state */
    int lfd;                 /* holds --out's lock (sim_run_lock), or -1 */
    int jfd;
    size_t n_sel, n_skipped, n_done, n_failed;
    size_t n_ranks, n_remote;  /* MPI: ranks; points run on ranks > 0    */
    int interrupted;
    /* the worker's cache: the configuration last loaded */
    size_t cached;
    scenario *csc;
};

/* Defined in sweep.c, called from sweep_run.c: record fields, I/O
 * helpers, loading a configuration, a point's record, the journal. */
char *sweep_field_end(char *s);
double sweep_wall_now(void);
int sweep_write_all(int fd, const void *p, size_t n);
int sweep_read_all(int fd, void *p, size_t n);
scenario *sweep_config_load(const sim_sweep *s, const config *c, char *err,
                            size_t errlen);
void sweep_point_record(sim_sweep *s, size_t idx, xbuf *b);
int sweep_payload_key(const char *p, size_t n, unsigned char *key);
int sweep_journal_open(sim_sweep *s, int *locked, char *err, size_t errlen);
int sweep_journal_append(sim_sweep *s, size_t idx, const char *p, size_t n,
                         char *err, size_t errlen);

#endif
