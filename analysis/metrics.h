/* metrics.h — the metric registry of one run, and the results of many
 * runs.  A run registers metrics once (name, entity, unit, kind) and then
 * updates them by integer id on hot paths with no allocation; at the end
 * it emits rows in registration order.  ana_results gathers the rows of
 * all replications for the aggregated CSV. */
#ifndef KMSIM_METRICS_H
#define KMSIM_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "stats.h"

typedef enum ana_kind {
    ANA_COUNTER,   /* a sum; emitted as one row "<name>"                    */
    ANA_VALUE,     /* a value set once (e.g. an analytic value): "<name>"  */
    ANA_SAMPLES    /* Welford; rows "<name>.n", ".mean", ".sd", ".min",   */
                   /*  ".max" (sd/min/max omitted while n is 0); with unit */
                   /*  "s" also a histogram and ".p50", ".p95", ".p99"     */
                   /*  after ".max" (omitted while n is 0)                  */
} ana_kind;

typedef struct ana_metrics ana_metrics;  /* opaque */

/* One add (op 0), set (op 1) or series add (op 2, id a series id:
 * ana_series_add) recorded by a log registry, with the simulated time it
 * was made at when series are on (0 otherwise). */
typedef struct ana_metric_op {
    int id;
    int op;
    double x;
    int64_t t;
} ana_metric_op;

/* The one-line meaning of the metrics whose names match glob `pattern`
 * (kmsim metrics).  Each module keeps a table of these beside the code
 * that registers its metrics, ended by {NULL, NULL}. */
typedef struct ana_metric_doc {
    const char *pattern, *meaning;
} ana_metric_doc;

ana_metrics *ana_metrics_new(void);      /* NULL on allocation failure */
void ana_metrics_free(ana_metrics *m);   /* NULL is a no-op */
/* A log registry for the metrics of `of` (kmsim extension, --threads 2,
 * sim/THREADS.md): ana_metric_add and ana_metric_set on it append (id,
 * op, value) to its log, in order, and change nothing else;
 * ana_metric_reg returns of's id of an existing metric (a new one, or
 * ana_metric_get/_samples/_rows on it, prints and aborts: a programming
 * error).  A partition of a two-thread run adds to its own log; the
 * barrier replays both logs into `of` in the events' key order, so every
 * sum and every Welford statistic gets the one-thread run's bits.  `of`
 * must outlive it.  NULL on allocation failure. */
ana_metrics *ana_metrics_new_log(const ana_metrics *of);
size_t ana_metrics_log_len(const ana_metrics *log);
/* Applies log entries [from, to) of `log` to dst (log's `of`), in order. */
void ana_metrics_log_apply(ana_metrics *dst, const ana_metrics *log,
                           size_t from, size_t to);
void ana_metrics_log_clear(ana_metrics *log);   /* empties the log */

/* Registers a metric; `entity` is "" for network-wide or e.g. "so:3".
 * Strings are copied.  Registering the same (name, entity) twice returns
 * the same id.  Returns the id (>= 0). */
int ana_metric_reg(ana_metrics *m, const char *name, const char *entity,
                   const char *unit, ana_kind kind);
/* Id of (name, entity), or -1 if never registered. */
int ana_metric_find(const ana_metrics *m, const char *name,
                    const char *entity);
void ana_metric_add(ana_metrics *m, int id, double x);  /* COUNTER += x,  */
                                                        /* SAMPLES sample */
void ana_metric_set(ana_metrics *m, int id, double x);  /* VALUE = x      */
double ana_metric_get(const ana_metrics *m, int id);    /* sum/value/mean */
const ana_welford *ana_metric_samples(const ana_metrics *m, int id);

/* Calls fn once per emitted row, in registration order. */
typedef void (*ana_row_fn)(void *ctx, const char *name, const char *entity,
                           const char *unit, double value);
void ana_metrics_rows(const ana_metrics *m, ana_row_fn fn, void *ctx);

/* ---- Histograms of time samples (kmsim extension, issue 23) ----
 * Every ANA_SAMPLES metric whose unit is "s" also keeps a GSL histogram
 * (made at its first sample; ~56 KB) on one fixed layout: bin 0 is
 * [0, 1 ns), then ANA_HIST_PER_DECADE log-spaced bins per decade from
 * 1 ns to 10^6 s (each under 1% wide relative to its lower edge).  A
 * "bucket" numbers them with the outer ones: bucket 0 = below 0 (-inf, 0),
 * buckets 1..ANA_HIST_BINS = the bins, the last = [10^6 s, +inf). */
#define ANA_HIST_MIN 1e-9               /* s: first log-spaced edge       */
#define ANA_HIST_MAX 1e6                /* s: last edge                   */
#define ANA_HIST_PER_DECADE 232
#define ANA_HIST_BINS (1 + 15 * ANA_HIST_PER_DECADE)   /* 3481            */
#define ANA_HIST_BUCKETS (ANA_HIST_BINS + 2)

/* Edges of bucket b (< ANA_HIST_BUCKETS): [lo, hi); -inf and +inf for
 * the outer ones. */
double ana_hist_lo(size_t bucket);
double ana_hist_hi(size_t bucket);

/* Quantile p (0..1) of metric id's samples from its histogram: linear
 * interpolation inside the bucket where the empirical CDF reaches p,
 * clamped to the samples' [min, max] (the outer buckets span [min, 0) and
 * [10^6 s, max]).  The error is at most that bucket's width: under 1% of
 * the value for values from 1 ns to 10^6 s.  0, or -1 when the metric has
 * no histogram or no sample. */
int ana_metric_quantile(const ana_metrics *m, int id, double p, double *out);

/* Calls fn once per non-empty bucket of every histogram, metrics in
 * registration order, buckets ascending. */
typedef void (*ana_hist_fn)(void *ctx, const char *name, const char *entity,
                            const char *unit, size_t bucket, double count);
void ana_metrics_hist_rows(const ana_metrics *m, ana_hist_fn fn, void *ctx);

/* Histograms pooled over replications (histograms.csv): per (name,
 * entity, unit), first-seen order, the sum of every added count. */
typedef struct ana_hists ana_hists;  /* opaque */

ana_hists *ana_hists_new(void);          /* never NULL (xoom) */
void ana_hists_free(ana_hists *h);       /* NULL is a no-op */
/* Adds count to bucket b of key (name, entity, unit): 0, or -1 when b is
 * not a bucket or count is not finite and >= 0 (nothing added). */
int ana_hists_add(ana_hists *h, const char *name, const char *entity,
                  const char *unit, size_t bucket, double count);
/* Adds every histogram of registry m (ana_metrics_hist_rows). */
void ana_hists_add_metrics(ana_hists *h, const ana_metrics *m);
/* Calls fn per non-empty bucket: keys in first-seen order, buckets
 * ascending. */
void ana_hists_rows(const ana_hists *h, ana_hist_fn fn, void *ctx);

/* ---- Results across replications ---- */
typedef struct ana_results ana_results;  /* opaque */

ana_results *ana_results_new(void);
void ana_results_free(ana_results *r);   /* NULL is a no-op */
/* Adds the value of (name, entity, unit) for one replication.  Keys keep
 * first-seen order.  Returns 0. */
int ana_results_add(ana_results *r, uint32_t replication, const char *name,
                    const char *entity, const char *unit, double value);
size_t ana_results_nkeys(const ana_results *r);
/* Key i: its strings and the values in replication order (a replication
 * that never reported the key contributes NaN). */
void ana_results_key(const ana_results *r, size_t i, const char **name,
                     const char **entity, const char **unit,
                     const double **values, size_t *n);
/* The summary over the replications (ana_summarize, confidence `level`)
 * of key (name, entity), and its unit when `unit` is not NULL: 0, or -1
 * when the key is absent or has no finite value. */
int ana_results_summary(const ana_results *r, const char *name,
                        const char *entity, double level, ana_summary *out,
                        const char **unit);


/* ---- Time series (kmsim extension, --series; a section of its own in
 * metrics.c, kept apart from the histograms) ----
 *
 * With series on, every op on a selected metric also feeds an interval
 * accumulator keyed by the metric (its name and entity): COUNTER adds =>
 * the interval's "sum" and "rate" (sum / interval length); VALUE sets =>
 * the level's "end" (value at the interval's end), time-weighted "mean"
 * and "max"; SAMPLES adds => "n" and "mean" of the samples made in the
 * interval.  Series-only entries (ana_series_reg) are not registry
 * metrics and never reach runs.csv: counters (ANA_COUNTER) and levels
 * (ANA_VALUE) moved by deltas (e.g. an SO's queue length).  Intervals are
 * [k I, (k+1) I), the last one cut at the run's end; an interval is
 * written (one call of `row` per entry and statistic) as soon as an op
 * at or after its end arrives, and the rest by ana_series_finish, so the
 * state is O(selected metrics), not O(intervals).  The registry takes
 * the time of an op from `now` (or the op's own time: ana_series_add_at);
 * a log registry stores it with the op, so a replay in key order feeds
 * the same intervals in the same order as one thread did. */
typedef int64_t (*ana_clock_fn)(const void *ctx);
typedef void (*ana_series_row_fn)(void *ctx, int64_t t_start, int64_t t_end,
                                  const char *name, const char *entity,
                                  const char *unit, const char *stat,
                                  double value);

typedef struct ana_series_opts {
    int64_t interval;          /* ns, > 0                                  */
    int64_t end;               /* the run's end (ns): ops at or after it   */
                               /*   count in the last interval            */
    const char *metrics;       /* "GLOB[@EGLOB],...": a metric is selected */
                               /*   when its name matches GLOB and (given) */
                               /*   its entity EGLOB (fnmatch)            */
    ana_clock_fn now;          /* the simulated time of an op              */
    const void *now_ctx;
    ana_series_row_fn row;     /* gets every row                           */
    void *row_ctx;
} ana_series_opts;

/* Turns series on for m (an ordinary registry): selects the metrics
 * registered so far and, until ana_series_finish, those registered later.
 * A COUNTER's value so far (ops made before, at time 0) counts in the
 * first interval.  Strings are copied.  0, or -1 (interval <= 0, series
 * already on, an empty pattern). */
int ana_series_start(ana_metrics *m, const ana_series_opts *o);
/* Whether series are on and not finished (a log registry: its `of`'s). */
int ana_series_on(const ana_metrics *m);
/* A series-only entry: kind ANA_COUNTER (a count per interval) or
 * ANA_VALUE (a level, starting at 0, moved by deltas).  Returns its id
 * (>= 0), or -1 when series are off or (name, entity) is not selected:
 * ana_series_add on -1 does nothing. */
int ana_series_reg(ana_metrics *m, const char *name, const char *entity,
                   const char *unit, ana_kind kind);
/* Adds x to series entry sid (a count, or a level's delta) at the time of
 * the registry's clock (_at: at time t); on a log registry appends the op. */
void ana_series_add(ana_metrics *m, int sid, double x);
void ana_series_add_at(ana_metrics *m, int sid, double x, int64_t t);
/* Writes every interval up to `end` (the run's end; the last one cut
 * there) and stops the series: later ops feed nothing.  No-op when off. */
void ana_series_finish(ana_metrics *m, int64_t end);
/* Selected entries and rows written so far (for tests and reports). */
size_t ana_series_entries(const ana_metrics *m);
uint64_t ana_series_rows(const ana_metrics *m);
/* Checks a --series-metrics value: 0, or -1 with the reason in err. */
int ana_series_check_patterns(const char *metrics, char *err, size_t errlen);

#endif
