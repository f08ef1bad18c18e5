/* prov.h — run.yaml, the provenance of an output directory: the command
 * line, the kmsim version, the source revision and the scenario as it was
 * run (its text and the overrides applied over it).  kmsim extension
 * (issue 21): kept outside the CSVs, so that they stay byte-identical for
 * the same scenario and seed whatever the command line or the build. */
#ifndef KMSIM_PROV_H
#define KMSIM_PROV_H

#include <stddef.h>
#include <stdint.h>
#include "csv.h"

/* The file's name in an output directory. */
#define SIM_PROV_FILE "run.yaml"

typedef struct sim_prov {
    int argc;                     /* the command line, argv[0] included  */
    const char *const *argv;      /*   (argc 0: the `argv` list is empty) */
    const char *file;             /* the scenario file as named          */
    const char *const *sets;      /* "path=value", applied in order over */
    size_t n_sets;                /*   the file's text                    */
    const char *const *varies;    /* sweep: --vary "path=values"         */
    size_t n_varies;
    /* The resolved values of a single scenario (kmsim run, a compare
     * protocol); has_resolved 0 for a sweep, whose per-configuration
     * values are its CSV columns. */
    int has_resolved;
    const char *protocol;
    uint64_t seed;
    uint32_t replications;
    const char *scenario_hash;    /* hex, as in the CSVs                 */
} sim_prov;

/* The source revision kmsim was built from: `git describe --always
 * --dirty` at build time, "unknown" when built without git (a tarball). */
const char *sim_prov_revision(void);

/* Writes argv as one shell command line into buf (len bytes, always
 * NUL-terminated, cut at len): each word as is when it has only
 * [A-Za-z0-9_@%+=:,./-], else in single quotes ('\'' for a quote). */
void sim_prov_command(char *buf, size_t len, int argc,
                      const char *const *argv);

/* Opens <dir>/run.yaml the way the CSVs are written (a temporary file,
 * put in place by ana_csv_commit, so under the caller's lock of dir) and
 * writes p into it.  NULL with a message (the path, the system error) if
 * the file cannot be opened or the scenario file read. */
ana_csv *sim_prov_open(const char *dir, const sim_prov *p, char *err,
                       size_t errlen);

/* sim_prov_open for one scenario sc as loaded (its file, its --set
 * overrides); hash (hex) non-NULL: also its resolved protocol, seed,
 * replications and hash (kmsim run, a compare protocol's directory). */
struct scenario;
ana_csv *sim_prov_open_scn(const char *dir, int argc, const char *const *argv,
                           const struct scenario *sc, const char *hash,
                           char *err, size_t errlen);

#endif
