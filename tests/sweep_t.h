/* sweep_t.h — private to test_sweep*.c: test_sweep.c (main, registration,
 * expansion, bad input, seeds, selection) and test_sweep_run.c (running:
 * --jobs, kmsim run, resume, a crashed worker, the found bugs).  It holds
 * the temporary directory (made by register_tests in test_sweep.c), the
 * base scenario and the helpers both files use to write scenarios and
 * expand sweeps, and declares the tests test_sweep_run.c defines for
 * register_tests.  scn_write's name slots are per file. */
#ifndef KMSIM_TEST_SWEEP_T_H
#define KMSIM_TEST_SWEEP_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "sweep.h"

/* The temporary directory all scenarios and results go to (test_sweep.c). */
extern char tmpdir[];

#define slurp(path, len) ((char *)cutest_slurp((path), (len)))

/* Lines 1-18; a `sweep:` section, when given, starts at line 19. */
static const char base_yaml[] =
    "name: tiny\n"
    "seed: 5\n"
    "duration: 1min\n"
    "replications: 2\n"
    "protocol: {name: dini, rekey_every: 20s}\n"
    "protocols:\n"
    "  dipietro: {rekey_every: 20s}\n"
    "topology:\n"
    "  generator: star\n"
    "  sources: 2\n"
    "  smart_objects: 1\n"
    "  subscribers: 1\n"
    "  link: {latency: 2ms, bandwidth: 1Mbps}\n"
    "traffic:\n"
    "  interval: exp(10s)\n"
    "  size: 32B\n"
    "smart_object:\n"
    "  service: exp(10ms)\n";

/* ---- helpers ------------------------------------------------------------ */

static inline int write_text(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok;

    if (!f)
        return -1;
    ok = fwrite(text, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Writes tmpdir/<name>.yaml: `base`, then "sweep:\n" and `sweep` unless
 * sweep is NULL.  Returns the path (static storage, one per name slot). */
static inline const char *scn_write(const char *name, const char *base,
                                    const char *sweep)
{
    static char paths[256][600];   /* each call its own: no reuse */
    static size_t next;
    char *path, *text;
    size_t n = strlen(base) + (sweep ? strlen(sweep) + 8 : 0) + 1;

    CU_ASSERT_FATAL(next < 256);
    path = paths[next++];
    text = malloc(n);
    CU_ASSERT_FATAL(text != NULL);
    snprintf(text, n, "%s%s%s", base, sweep ? "sweep:\n" : "",
             sweep ? sweep : "");
    snprintf(path, 600, "%s/%s.yaml", tmpdir, name);
    CU_ASSERT_FATAL(write_text(path, text, strlen(text)) == 0);
    free(text);
    return path;
}

static inline sim_sweep_opts opts_for(const char *file)
{
    sim_sweep_opts o;

    memset(&o, 0, sizeof o);
    o.file = file;
    o.jobs = 1;
    o.quiet = 1;
    return o;
}

/* Expansion must fail with an error starting with `prefix`.  Returns 1
 * if it did. */
static inline int expect_error(const sim_sweep_opts *o, const char *prefix)
{
    char err[1024] = "";
    sim_sweep *s = sim_sweep_expand(o, err, sizeof err);
    int ok = s == NULL && strncmp(err, prefix, strlen(prefix)) == 0;

    if (!ok)
        fprintf(stderr, "\n  expected NULL and an error starting\n"
                "    '%s'\n  got %s and\n    '%s'\n", prefix,
                s ? "a sweep" : "NULL", err);
    sim_sweep_free(s);
    return ok;
}

/* test_sweep_run.c: running, and the found bugs. */
void test_run_jobs(void);
void test_run_like_kmsim_run(void);
void test_resume_after_only(void);
void test_resume_changed_sweep(void);
void test_resume_torn_journal(void);
void test_not_a_journal(void);
void test_worker_crash(void);
void test_interrupted(void);
void bug_vary_duplicate(void);
void bug_seed_flag_and_axis(void);
void bug_row_count(void);

#endif
