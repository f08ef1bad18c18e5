/* run.h — running a scenario's replications and writing its results:
 * runs.csv (long form, one row per replication and metric), summary.csv
 * (per metric: n, mean, sd, 95% CI, min, max over replications) and
 * replications.csv (seed, events, fingerprint per replication), on
 * request nodes.csv (per node and replication), histograms.csv (time
 * samples pooled over the replications), plus a readable summary
 * table. */
#ifndef KMSIM_RUN_H
#define KMSIM_RUN_H

#include <signal.h>
#include <stdio.h>
#include "scenario.h"
#include "csv.h"
#include "metrics.h"

/* The files of one run, complete (sealed) but not yet in place: for a
 * caller that commits several runs together (kmsim compare). */
typedef struct sim_run_files sim_run_files;  /* opaque */

typedef struct sim_run_opts {
    const char *out_dir;      /* NULL: "results/<scenario name>"          */
    int quiet;                /* no summary table, no progress            */
    int progress;             /* progress line on stderr (a terminal)     */
    int per_node;             /* also write nodes.csv (one row per node   */
                              /*   and replication)                       */
    sim_time until;           /* 0: the scenario's duration               */
    uint64_t max_events;      /* a replication that reaches this many     */
                              /*   events fails (nothing written); 0: no  */
                              /*   limit (--max-events)                    */
    uint64_t max_memory;      /* bytes: a resident size over this fails   */
                              /*   the run (nothing written); 0: no       */
                              /*   budget (--max-memory)                   */
    sim_time series;          /* --series INTERVAL (kmsim extension,      */
                              /*   issue 23): > 0 writes series.csv       */
                              /*   beside runs.csv; 0: off                 */
    const char *series_metrics; /* --series-metrics, NULL: the default   */
                              /*   (SIM_SERIES_DEFAULT)                    */
    /* Where sim_run_replication sends the rows (sim_run and kmsim sweep
     * set them; NULL: none written even with series on). */
    ana_series_row_fn series_row;
    void *series_ctx;
    int threads;              /* --threads: 0 or 1 one thread, 2 the      */
                              /*   world split in two halves run on two   */
                              /*   threads (kmsim extension, THREADS.md); */
                              /*   results do not depend on it            */
    volatile sig_atomic_t *stop; /* set asynchronously to interrupt       */
    int *warnings;            /* NULL, or += the health warnings printed  */
                              /*   on stderr after the run (health.h)     */
    const char *health_what;  /* NULL, or what prefixes those warnings    */
                              /*   (kmsim compare: the protocol)          */
    struct sim_pcap *pcap;    /* --pcap: replication 0's trace (and key  */
                              /*   log) go here (pcap.h; kmsim extension, */
                              /*   issue 23), the caller commits it; NULL */
    int argc;                 /* the command line for run.yaml (prov.h), */
    const char *const *argv;  /*   put in place with the CSVs; argv NULL: */
                              /*   no run.yaml                             */
    const char *db;           /* --db FILE: once the files are in place,  */
                              /*   the directory is stored there (db.h;   */
                              /*   not when deferred: the caller does it) */
    /* For callers that combine runs (all NULL for kmsim run): */
    ana_results **keep;       /* gets the results aggregated over the     */
                              /*   replications (the caller frees them    */
                              /*   with ana_results_free); NULL on failure */
    ana_csv *runs_tee;        /* every data row of runs.csv (summary.csv) */
    ana_csv *summary_tee;     /*   is also written here; the header is    */
                              /*   the caller's (sim_run_csv_header)      */
    ana_csv *hist_tee;        /* likewise every row of histograms.csv     */
    sim_run_files **defer;    /* the files are sealed, not renamed: *defer */
                              /*   gets them for sim_run_files_commit or  */
                              /*   _abort, and no summary is printed;     */
                              /*   NULL on failure                         */
} sim_run_opts;

/* The default of --series-metrics (README "Time series"): the first ten
 * SOs' and all SOs' queue length and arrivals, two delays, messages and
 * wire bytes per type, keys and key bytes held, the attackers' reads. */
#define SIM_SERIES_DEFAULT                                                  \
    "queue.length@so:?,queue.length@so:all,queue.arrivals@so:?,"           \
    "queue.arrivals@so:all,delay.source_to_so,delay.end_to_end,msgs.*,"    \
    "link.bytes.*,storage.keys,storage.bytes,attack.*.read"

/* The most intervals --series may make per replication (each is written,
 * empty or not; about 84 rows each with the default metrics): a run of
 * --until 1h at --series 36ms.  More is refused (SIM_EXIT_INPUT) before
 * the replication's world is built. */
#define SIM_SERIES_MAX_INTERVALS 100000

/* The header of series.csv (the columns shared with runs.csv, then
 * replication, seed, t_start_s, t_end_s, warmup, metric, entity, unit,
 * stat, value) and one row of it (warmup: 1 when the interval starts
 * before sc's warm-up ends). */
void sim_run_series_header(ana_csv *c, const scenario *sc);
void sim_run_series_row(ana_csv *c, const scenario *sc, const char *hash,
                        uint32_t rep, uint64_t seed, int64_t t_start,
                        int64_t t_end, const char *name, const char *entity,
                        const char *unit, const char *stat, double value);

/* Exit statuses of kmsim, documented in the README. */
enum { SIM_EXIT_OK = 0, SIM_EXIT_FAIL = 1, SIM_EXIT_INPUT = 2 };

/* Seed of replication r: the base seed itself for r = 0, otherwise 64 bits
 * of BLAKE2b(base, "replication", r).  Replication r of base B is rerun
 * alone with --seed <its seed> --replications 1, and the replications of
 * neighbouring base seeds do not overlap. */
uint64_t sim_run_seed(uint64_t base, uint32_t replication);

/* Runs every replication (seeds from sim_run_seed) and writes the
 * CSVs; prints the summary on `out` unless quiet or deferred, and the
 * health warnings (health.h) on stderr once the files are complete.  Returns a
 * SIM_EXIT_* status.  Every file is complete (flushed and fsynced) before
 * any is renamed over its target; on failure err holds one line and no
 * result file is left behind (or replaced).  The tees are written to
 * even when the run fails later: their caller discards them then. */
int sim_run(const scenario *sc, const sim_run_opts *o, FILE *out, char *err,
            size_t errlen);

/* Puts deferred files in place (as sim_run does at its end: a stale
 * nodes.csv of an earlier --per-node run is removed first).  Returns 0,
 * or -1 with one line in err.  Frees f either way. */
int sim_run_files_commit(sim_run_files *f, char *err, size_t errlen);
/* Removes deferred files and the directories their run created (as far
 * as they are empty); frees f.  NULL is a no-op. */
void sim_run_files_abort(sim_run_files *f);

/* The CSV files whose header sim_run_csv_header writes. */
typedef enum sim_run_csv { SIM_RUN_CSV_RUNS, SIM_RUN_CSV_SUMMARY,
                           SIM_RUN_CSV_REPLICATIONS,
                           SIM_RUN_CSV_HISTOGRAMS } sim_run_csv;

/* Writes the header row of runs.csv, summary.csv or replications.csv for
 * scenario sc (the columns depend on its --set paths), e.g. for a
 * runs_tee. */
void sim_run_csv_header(ana_csv *c, const scenario *sc, sim_run_csv which);

/* The longest CSV column name of a --set path (longer ones are cut). */
#define SIM_RUN_COL_MAX 256

/* The CSV column name of sc's --set path i (i < sc->n_overrides) into buf
 * (len bytes): the path, or "param.<path>" where the path is already a
 * column (a fixed one such as seed or protocol, or an earlier --set path),
 * then "param.<path>.<i+1>".  Aborts if a duplicate remained (cannot
 * happen): no CSV header ever has a column twice. */
void sim_run_param_col(const scenario *sc, size_t i, char *buf, size_t len);

/* The rows of those files, as sim_run writes them (hash: sc->hash in
 * hex), for callers that assemble results of several runs (kmsim sweep):
 * one runs.csv row; one replications.csv row; the summary.csv rows of
 * results aggregated over replications (each also to tee unless NULL);
 * ran is how many of sc->replications ran (summary.csv's `complete` is 1
 * when ran >= sc->replications). */
void sim_run_runs_row(ana_csv *c, const scenario *sc, const char *hash,
                      uint32_t rep, uint64_t seed, const char *name,
                      const char *entity, const char *unit, double value);
void sim_run_reps_row(ana_csv *c, const scenario *sc, const char *hash,
                      uint32_t rep, uint64_t seed, uint64_t events,
                      double end_s, const char *fingerprint);
void sim_run_summary_rows(ana_csv *c, const scenario *sc, const char *hash,
                          const ana_results *res, uint32_t ran,
                          ana_csv *tee);
/* The rows of histograms.csv (kmsim extension, issue 23): one per
 * non-empty bucket of h (histograms pooled over replications): metric,
 * entity, unit, bucket_lo, bucket_hi, count (each also to tee unless
 * NULL). */
void sim_run_hist_rows(ana_csv *c, const scenario *sc, const char *hash,
                       const ana_hists *h, ana_csv *tee);

/* Runs replication r of sc (seed sim_run_seed(sc->seed, r)) to its end
 * and finishes it: the world's metrics are final (topology and health.*
 * rows included).  o->threads 2: the world of sim_world_new_threads, with
 * the refusals of sim_run_threads_check and the topology's (SIM_EXIT_INPUT);
 * results byte-identical to one thread's.  The caller frees the world.  NULL with *rc = SIM_EXIT_INPUT
 * (err names file:line:column) or SIM_EXIT_FAIL (interrupted, or stopped
 * by --max-events or --max-memory: err is one line ending in "no results
 * written"). */
struct sim_world;
struct sim_world *sim_run_replication(const scenario *sc,
                                      const sim_run_opts *o, uint32_t r,
                                      int *rc, char *err, size_t errlen);

/* Creates directory `dir` and its parents.  0, or -1 with errno set
 * after removing again every directory it made (*made is then 0).
 * *made gets the length of the shortest prefix of dir this call created
 * (0: none), for sim_run_rmdir, which removes those directories again as
 * far as they are empty. */
int sim_run_mkdir(const char *dir, size_t *made);
void sim_run_rmdir(const char *dir, size_t made);
/* The message for a failed sim_run_mkdir (call it at once: it reads
 * errno): "--out DIR: cannot create directory: REASON", a long DIR cut in
 * its middle (sim_units_quote_path) so the reason is always whole. */
void sim_run_mkdir_error(const char *dir, char *err, size_t errlen);
/* Locks directory dir for this process (flock, not blocking): returns the
 * file descriptor holding the lock (close it to release), or -1 with one
 * line in err; *busy is 1 when another process holds the lock. */
int sim_run_lock(const char *dir, int *busy, char *err, size_t errlen);

/* Builds the topology of replication 0 to check it (connectivity where
 * required).  Returns SIM_EXIT_OK or SIM_EXIT_INPUT with a message. */
int sim_run_check(const scenario *sc, char *err, size_t errlen);

/* --threads (kmsim extension, sim/THREADS.md; threads <= 1: nothing to
 * check).  sim_run_threads_check: the refusals known from the scenario
 * alone, for callers to make before anything runs or is written (kmsim
 * run, compare, sweep, validate): a scenario with attackers, a protocol
 * whose ops.threads_ok is 0.  The others need the topology: the world
 * refuses a zero-latency link between the halves
 * (sim_world_new_threads), and sim_run_replication a network with a half
 * that has no node.  Returns SIM_EXIT_OK, or SIM_EXIT_INPUT with one line
 * in err, worded as the world words the same refusal. */
int sim_run_threads_check(const scenario *sc, int threads, char *err,
                          size_t errlen);
/* The split of replication 0 under --threads `threads`, for kmsim
 * validate: builds that world as a run would (every refusal above) and
 * describes the split in info ("threads 2: halves of 51 + 51 nodes, 8
 * links cut, lookahead 5ms"; threads 1: "threads 1").  SIM_EXIT_OK, or
 * SIM_EXIT_INPUT with one line in err. */
int sim_run_check_split(const scenario *sc, int threads, char *info,
                        size_t infolen, char *err, size_t errlen);

/* The meanings of the metrics this module registers (`kmsim metrics`,
 * run/mlist.c), ended by {NULL, NULL}. */
extern const ana_metric_doc sim_mdoc_run[];

#endif
