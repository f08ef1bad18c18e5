/* main.c — the kmsim command line: run, compare, sweep and validate
 * scenario files.
 * Data (the summary table, CSV paths) goes to stdout; messages to stderr.
 * Exit status: 0 success, 1 run-time failure (I/O, --out busy with another
 * kmsim), 2 bad input (usage, scenario errors, --out /).  Interrupted by SIGINT or SIGTERM, kmsim removes its
 * temporary files, says so on stderr and then ends by that signal, so the
 * shell sees 130 or 143 (and a script running it stops too). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scenario.h"
#include "proto.h"
#include "run.h"
#include "compare.h"
#include "sweep.h"
#include "units.h"
#include "cry.h"
#include "util.h"
#include "guard.h"
#include "estimate.h"
#include "mlist.h"
#include "db.h"
#include "pcap.h"

#ifdef KMSIM_MPI
#include <mpi.h>
#define KMSIM_MPI_TAG " (MPI)"
#else
#define KMSIM_MPI_TAG ""
#endif

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_requested;   /* the signal, 0: none */

static void on_signal(int sig)
{
    stop_requested = sig;
}

/* Standard output is where the summary and the CSV paths go: a write
 * error there (a full disk, /dev/full, a closed pipe) is a failure. */
static int check_stdout(int rc)
{
    int e = fflush(stdout) != 0 ? errno : 0;

    if (e || ferror(stdout)) {
        fprintf(stderr, "kmsim: cannot write to standard output: %s\n",
                e ? strerror(e) : "write error");
        if (rc == 0)
            rc = 1;
    }
    return rc;
}

/* The end of a command: its status after check_stdout; a command that
 * was interrupted (cleaned up, message printed) ends by the signal
 * itself, as a caller (shell, make, xargs) expects of a process that was
 * interrupted. */
static int finish(int rc)
{
    rc = check_stdout(rc);
    if (stop_requested && rc != SIM_EXIT_OK) {
        int sig = stop_requested;
        fflush(stderr);
        signal(sig, SIG_DFL);
        raise(sig);
    }
    return rc;
}

/* The identity of an output file named on the command line, so that two
 * spellings of one file (k.pcap, ./k.pcap, a link) compare equal: its
 * device and inode when it exists, else its folder's real path and its
 * own name.  0, or -1 when the folder does not resolve (the write will
 * report it). */
typedef struct out_id {
    int exists;
    dev_t dev;
    ino_t ino;
    char *path;          /* not existing: realpath(folder) "/" name       */
} out_id;

static int out_id_get(const char *file, out_id *id)
{
    struct stat st;
    char *dir, *base, *slash, *real;

    memset(id, 0, sizeof *id);
    if (stat(file, &st) == 0) {
        id->exists = 1;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return 0;
    }
    dir = xstrdup(file);
    slash = strrchr(dir, '/');
    base = slash ? slash + 1 : dir;
    if (slash == dir)
        real = xstrdup("/");
    else {
        if (slash)
            *slash = '\0';
        real = realpath(slash ? dir : ".", NULL);
    }
    if (!real) {
        free(dir);
        return -1;
    }
    id->path = xmalloc(strlen(real) + strlen(base) + 2);
    sprintf(id->path, "%s/%s", real, base);
    free(real);
    free(dir);
    return 0;
}

static int out_id_same(const out_id *a, const out_id *b)
{
    if (a->exists != b->exists)
        return 0;
    return a->exists ? a->dev == b->dev && a->ino == b->ino
                     : a->path && b->path && !strcmp(a->path, b->path);
}

/* The output files of --pcap, --keylog and --db (NULL: not given): each
 * a regular file or not there yet (a directory, device or FIFO would be
 * replaced by the rename, or never be a database), and no two the same
 * file.  0, or -1 after printing the error naming the flags. */
static int check_out_files(const char *cmd, const char *const file[3])
{
    static const char *const flag[3] = {"--pcap", "--keylog", "--db"};
    out_id id[3];
    int rc = 0;

    for (int i = 0; i < 3; i++) {
        struct stat st;

        memset(&id[i], 0, sizeof id[i]);
        if (!file[i])
            continue;
        if (stat(file[i], &st) == 0 && !S_ISREG(st.st_mode)) {
            char q[512];
            sim_units_quote_path(q, sizeof q, file[i]);
            fprintf(stderr, "kmsim %s: %s %s: %s\n", cmd, flag[i], q,
                    S_ISDIR(st.st_mode) ? "is a directory"
                                        : "not a regular file (a device, "
                                          "FIFO or socket)");
            rc = -1;
            break;
        }
        (void)out_id_get(file[i], &id[i]);
    }
    for (int i = 0; rc == 0 && i < 3; i++)
        for (int j = i + 1; rc == 0 && j < 3; j++)
            if (file[i] && file[j] && out_id_same(&id[i], &id[j])) {
                fprintf(stderr, "kmsim %s: %s and %s name the same file\n",
                        cmd, flag[i], flag[j]);
                rc = -1;
            }
    for (int i = 0; i < 3; i++)
        free(id[i].path);
    return rc;
}

/* 1 if path names the root directory ("/", "//", "/tmp/..", a symbolic
 * link to it...): results are never written there. */
static int is_root_dir(const char *path)
{
    struct stat st, root;

    return stat(path, &st) == 0 && stat("/", &root) == 0 &&
           st.st_dev == root.st_dev && st.st_ino == root.st_ino;
}

/* The commands, for per-command help and "did you mean". */
enum { C_RUN = 1, C_CMP = 2, C_SWP = 4, C_VAL = 8, C_MET = 16, C_DB = 32,
       C_ALL = C_RUN | C_CMP | C_SWP | C_VAL };
static const char *const commands[] = {"run", "compare", "sweep",
                                       "validate", "metrics", "db", NULL};

/* One command's synopsis and what it does (help pages and kmsim(1)). */
static const struct cmd_help {
    int cmd;
    const char *synopsis;
} cmd_help[] = {
    {C_RUN,
"kmsim run FILE [options]      run a scenario, write CSV results\n"},
    {C_CMP,
"kmsim compare FILE [--protocols a,b,...] [options]\n"
"                                     run it under each protocol on the same\n"
"                                     topology, traffic and seeds; print the\n"
"                                     key metrics side by side\n"},
    {C_SWP,
"kmsim sweep FILE [--vary path=v1,v2,...]... [--protocols a,b]\n"
"            [--jobs N] [--only LIST] [--where path=value]... [--list]\n"
"                                     run every point of the scenario's\n"
"                                     sweep: section and the --vary axes\n"
"                                     (their cross product, times the\n"
"                                     replications) in N processes; results\n"
"                                     as kmsim run writes them, in DIR\n"
"                                     (default results/<name>-sweep); an\n"
"                                     interrupted sweep resumes when rerun\n"},
    {C_VAL,
"kmsim validate FILE [--set path=value]...\n"
"                                     check a scenario and estimate its cost;\n"
"                                     prints one line on stderr, 'FILE: ok\n"
"                                     (protocol P); estimate: ...', or the\n"
"                                     error (exit 2); runs nothing\n"},
    {C_MET,
"kmsim metrics [PATTERN]       list the metrics a run writes (name,\n"
"                                     unit, entity, protocols, meaning);\n"
"                                     PATTERN is a glob, e.g. 'dini.*'\n"},
    {C_DB,
"kmsim db import --db FILE DIR...\n"
"                                     store result directories in the SQLite\n"
"                                     database FILE (kmsim db --help)\n"},
};

/* The options: the commands each applies to and its help text (an option
 * whose meaning differs per command has one entry per meaning). */
static const struct opt_help {
    int cmds;
    const char *text;
} opt_help[] = {
    {C_RUN | C_VAL | C_SWP,
"  --protocol NAME     run/validate/sweep: run protocol NAME instead of\n"
"                      protocol.name, with its options from the scenario's\n"
"                      protocols: section (or its defaults; set one with\n"
"                      --set protocols.NAME.KEY=VALUE); sweep: every\n"
"                      point (an error when protocol.name is swept)\n"},
    {C_SWP,
"  --protocols LIST    sweep: a protocol.name axis (as --vary\n"
"                      protocol.name=LIST).\n"},
    {C_CMP,
"  --protocols LIST    compare: the protocols, comma-separated (default:\n"
"                      protocol.name, then those of the protocols: section);\n"
"                      each one's results go to DIR/<protocol>/ as run writes\n"
"                      them, all summary rows to DIR/compare.csv, all runs\n"
"                      rows to DIR/compare-runs.csv\n"},
    {C_CMP,
"  --defences PROFILE  compare: run every protocol under defence profile\n"
"                      as_published, hardened, or both (each protocol\n"
"                      twice: columns <protocol>-as_published and\n"
"                      <protocol>-hardened); as --set defences=PROFILE\n"},
    {C_SWP,
"  --vary PATH=VALUES  sweep: vary PATH over VALUES: v1,v2,... (split at\n"
"                      commas outside brackets and quotes), [v1, v2] or a\n"
"                      range {from: 10, to: 1000, step: 10, scale: log}\n"
"                      (repeatable; replaces the sweep: axis of PATH)\n"},
    {C_SWP,
"  --jobs N            sweep: worker processes (default: the number of\n"
"                      processors, divided by --threads); the CSVs do not\n"
"                      depend on N\n"},
    {C_SWP,
"  --only LIST         sweep: only points LIST, e.g. 3,5-9 (see --list)\n"},
    {C_SWP,
"  --where PATH=VALUE  sweep: only points where swept PATH (or protocol,\n"
"                      replication) has VALUE, a quantity by value (5ms\n"
"                      matches 0.005s); repeatable: all must hold\n"},
    {C_SWP,
"  --list              sweep: print the points (index, configuration,\n"
"                      replication, seed, values) and run nothing\n"},
    {C_SWP,
"  --keep-going        sweep: run every point even after one failed (the\n"
"                      default; the exit status is 1 if any failed)\n"},
    {C_SWP,
"  --fail-fast         sweep: start no point after a failure\n"},
    {C_ALL,
"  --seed N            base seed (replication 0 uses N; the seeds of the\n"
"                      others derive from it and are listed in\n"
"                      replications.csv)\n"},
    {C_ALL,
"  --set PATH=VALUE    override any scenario value, e.g. --set\n"
"                      topology.sources=500 or --set 'traffic.interval=exp(5s)'\n"
"                      (repeatable; each PATH becomes a CSV column)\n"},
    {C_RUN | C_CMP | C_SWP,
"  --out DIR           result directory (default results/<scenario name>,\n"
"                      for compare results/<scenario name>-compare)\n"},
    {C_ALL,
"  --replications N    override the number of replications\n"},
    {C_ALL,
"  --until TIME        stop each replication at this simulated time (e.g. 10min)\n"},
    {C_RUN | C_CMP | C_SWP,
"  --max-events N      a replication that reaches N events is stopped:\n"
"                      exit 1, no results written (default: no limit)\n"},
    {C_ALL,
"  --max-memory SIZE   memory budget, e.g. 4GiB (default: 75% of the\n"
"                      machine's RAM): a scenario estimated above it is\n"
"                      refused (exit 2), a run whose resident size grows\n"
"                      past it is stopped (exit 1, no results written)\n"},
    {C_RUN,
"  --per-node          run: also write nodes.csv: per node and replication\n"
"                      its role, position, degree, home SO, hops,\n"
"                      registration delay and the messages and bytes it sent\n"},
    {C_RUN | C_CMP | C_SWP,
"  --series INTERVAL   also write series.csv: per replication and interval\n"
"                      of INTERVAL (a time with unit, e.g. 1s, > 0) queue\n"
"                      length and arrivals per SO, delays, messages, bytes,\n"
"                      keys held, attackers' reads (kmsim extension; README\n"
"                      \"Time series\")\n"},
    {C_RUN | C_CMP | C_SWP,
"  --series-metrics L  with --series: the metrics, GLOB or GLOB@ENTITY,\n"
"                      comma-separated (default: README \"Time series\")\n"},
    {C_RUN,
"  --pcap FILE         run: write replication 0's transmissions (the wire\n"
"                      bytes, a pseudo-header, simulated time) to FILE, a\n"
"                      pcap trace of link type DLT_USER0 for Wireshark's\n"
"                      analysis/kmsim.lua (kmsim extension)\n"},
    {C_RUN,
"  --pcap-filter TERM  run: trace only node=ID[,ID...] (sent or received\n"
"                      by these nodes) or link=A-B[,C-D...] (repeatable:\n"
"                      any term selects; default: everything)\n"},
    {C_RUN,
"  --keylog FILE       run, with --pcap: also write the keys of the trace's\n"
"                      sealed parts to FILE (SECRET: the one output that\n"
"                      holds keys; lets the dissector open them)\n"},
    {C_ALL,
"  --threads N         N = 1 (default) or 2: each replication on two\n"
"                      threads, the network split in halves at the median\n"
"                      x; results byte-identical to one thread's.  Refused\n"
"                      (exit 2): attackers, a protocol not partition-safe\n"
"                      yet, a zero-latency link between the halves, too\n"
"                      few nodes; validate: prints the split (kmsim\n"
"                      extension, sim/THREADS.md)\n"},
    {C_RUN | C_CMP | C_SWP,
"  --db FILE           also store the results in the SQLite database FILE\n"
"                      (created if absent; appended to; one transaction\n"
"                      per result directory, once its files are in place;\n"
"                      kmsim extension, README: Results database)\n"},
    {C_RUN | C_CMP | C_SWP,
"  --strict            exit 1 when a health check warned (results are\n"
"                      still written; see the README, Health checks)\n"},
    {C_RUN | C_CMP | C_SWP,
"  -q, --quiet         no summary table and no progress line\n"},
    {C_ALL | C_MET,
"  -h, --help          this help\n"},
    {C_ALL | C_MET,
"  -V, --version       print the version\n"},
};

/* The help page: the overview of every command and option (cmd 0, kmsim
 * --help) or one command's synopsis and its own options. */
static void usage(FILE *f, int cmd)
{
    int first = 1;

    for (size_t i = 0; i < ARRAY_LEN(cmd_help); i++) {
        if (cmd && cmd_help[i].cmd != cmd)
            continue;
        fprintf(f, "%s%s", first ? "usage: " : "       ",
                cmd_help[i].synopsis);
        first = 0;
    }
    if (!cmd)
        fputs("       kmsim --help | --version\n"
              "       kmsim COMMAND --help     the options of COMMAND\n", f);
    fputs("\noptions:\n", f);
    for (size_t i = 0; i < ARRAY_LEN(opt_help); i++)
        if (!cmd || (opt_help[i].cmds & cmd))
            fputs(opt_help[i].text, f);
    fputs("\nexit status: 0 success, 1 run-time failure, 2 bad input, 130/143\n"
          "interrupted by SIGINT/SIGTERM (nothing half-written is left)\n", f);
}

static int parse_u64(const char *flag, const char *s, uint64_t min,
                     uint64_t max, uint64_t *out)
{
    char *end, q[128];
    unsigned long long v;

    errno = 0;
    if (*s < '0' || *s > '9')      /* no sign, no leading blanks */
        goto bad;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        goto bad;
    *out = v;
    return 0;
bad:
    sim_units_quote(q, sizeof q, s);
    fprintf(stderr, "kmsim: %s %s: expected an integer in [%llu, %llu]\n",
            flag, q, (unsigned long long)min, (unsigned long long)max);
    return -1;
}

/* A time flag (--until, --series): a time with its unit, at least 1 ns
 * (shorter would round to 0 ns, which means "unset") and at most
 * SCN_MAX_DURATION.  `range` is the message for a value outside.
 * Returns 0, or -1 after printing the error naming the flag. */
static int parse_time(const char *flag, const char *s, const char *range,
                      sim_time *out)
{
    char err[256], q[128];
    double t = 0;
    size_t col;

    if (sim_units_parse(s, SIM_DIM_TIME, &t, err, sizeof err, &col) != 0) {
        sim_units_quote(q, sizeof q, s);
        fprintf(stderr, "kmsim: %s %s: %s\n", flag, q, err);
        return -1;
    }
    if (!(t * 1e9 >= 1) || t * 1e9 > (double)SCN_MAX_DURATION) {
        sim_units_quote(q, sizeof q, s);
        fprintf(stderr, "kmsim: %s %s: %s\n", flag, q, range);
        return -1;
    }
    *out = (sim_time)(t * 1e9 + 0.5);
    return 0;
}

/* A single-valued flag given twice is an error rather than the last one
 * winning silently (kmsim extension of the checks).  `seen` has one byte
 * per option character.  Returns 0, or -1 after printing the error. */
static int once(unsigned char *seen, int c, const char *flag)
{
    if (seen[(unsigned char)c]) {
        fprintf(stderr, "kmsim: %s given more than once\n", flag);
        return -1;
    }
    seen[(unsigned char)c] = 1;
    return 0;
}

/* What the command line asks for beyond sim_run_opts. */
typedef struct cli {
    const char *file;
    const char **sets;        /* the --set strings                        */
    size_t n_sets;
    uint64_t seed, reps;
    int have_seed;            /* reps 0: the scenario's                   */
    const char **varies, **wheres;   /* sweep: --vary, --where            */
    const char *defences;     /* compare --defences: a profile or "both"  */
    size_t n_varies, n_wheres;
    const char *only;
    uint64_t jobs;
    uint64_t threads;         /* --threads: 1 or 2                        */
    int list, have_jobs, fail_fast;
    const char *pcap, *keylog;       /* run --pcap, --keylog (issue 23)   */
    const char **pcap_filters;       /* run --pcap-filter terms           */
    size_t n_pcap_filters;
} cli;

/* Loads c->file as `protocol` (NULL: protocol.name) with the command
 * line's overrides, seed and replications.  NULL after printing the
 * error. */
static scenario *load(const cli *c, const char *protocol)
{
    char err[1024];
    scenario *sc = scn_load_as(c->file, c->sets, c->n_sets, protocol, err,
                               sizeof err);

    if (!sc) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    if (c->have_seed)
        sc->seed = c->seed;
    if (c->reps)
        sc->replications = (uint32_t)c->reps;
    return sc;
}

/* The estimates made before a world is built (issue 20): 0, or
 * SIM_EXIT_INPUT after printing the refusal; warnings go to stderr.  line
 * (NULL: not wanted) gets the estimate for kmsim validate. */
static int estimate(const scenario *sc, const sim_run_opts *ro, char *line,
                    size_t len)
{
    sim_estimate e;
    char err[1024];

    sim_est_compute(sc, ro->until, &e);
    if (sim_est_check(sc, &e, ro->max_memory, ro->max_events, stderr, err,
                      sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return SIM_EXIT_INPUT;
    }
    if (line)
        sim_est_format(&e, line, len);
    return SIM_EXIT_OK;
}

/* kmsim compare: every protocol of the list (NULL: the scenario's own
 * list) on base scenario sc.  Returns the exit status. */
static int compare(const cli *c, scenario *sc, const char *list,
                   const sim_run_opts *ro)
{
    const scn_proto_ops **protos = NULL;
    scenario **scs;
    size_t n;
    char err[1024];
    int rc = SIM_EXIT_INPUT;

    if (list) {
        if (sim_compare_list(list, &protos, &n, err, sizeof err) != 0) {
            fprintf(stderr, "kmsim: %s\n", err);
            return SIM_EXIT_INPUT;
        }
    } else {
        n = sc->n_protos;
        protos = xcalloc(n, sizeof *protos);
        memcpy(protos, sc->protos, n * sizeof *protos);
    }
    if (c->defences) {
        /* --defences P: every protocol under profile P, as --set
         * defences=P; both: each protocol under as_published, then under
         * hardened (a `defences` column in the CSVs either way). */
        static const char *const dsets[] = {"defences=as_published",
                                            "defences=hardened"};
        int both = !strcmp(c->defences, "both");
        size_t np = both ? 2 : 1;
        cli cd = *c;

        cd.sets = xcalloc(c->n_sets + 1, sizeof *cd.sets);
        memcpy(cd.sets, c->sets, c->n_sets * sizeof *cd.sets);
        cd.n_sets = c->n_sets + 1;
        scs = xcalloc(n * np, sizeof *scs);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < np; j++) {
                cd.sets[c->n_sets] =
                    both ? dsets[j]
                         : !strcmp(c->defences, "hardened") ? dsets[1]
                                                             : dsets[0];
                if (!(scs[i * np + j] = load(&cd, protos[i]->name))) {
                    free(cd.sets);
                    n *= np;
                    goto out;
                }
            }
        free(cd.sets);
        n *= np;
    } else {
        scs = xcalloc(n, sizeof *scs);
        for (size_t i = 0; i < n; i++)
            if (!(scs[i] = load(c, protos[i]->name)))
                goto out;
    }
    for (size_t i = 0; i < n; i++) {
        /* every protocol's refusal before the first one runs */
        if ((rc = sim_run_threads_check(scs[i], ro->threads, err,
                                        sizeof err)) != SIM_EXIT_OK) {
            fprintf(stderr, "kmsim compare: %s\n", err);
            goto out;
        }
        if ((rc = estimate(scs[i], ro, NULL, 0)) != SIM_EXIT_OK)
            goto out;
    }
    rc = sim_compare((const scenario *const *)scs, n, ro, stdout, err,
                     sizeof err);
    if (rc == SIM_EXIT_INPUT)      /* file:line:column: ..., as validate */
        fprintf(stderr, "%s\n", err);
    else if (rc != SIM_EXIT_OK)
        fprintf(stderr, "kmsim: %s\n", err);
out:
    for (size_t i = 0; i < n; i++)
        scn_free(scs[i]);
    free(scs);
    free(protos);
    return rc;
}

/* kmsim sweep.  Returns the exit status. */
static int sweep(const cli *c, const char *protocol, const char *protocols,
                 const sim_run_opts *ro)
{
    sim_sweep_opts o;
    char err[1024];
    int rc, rank = 0;

    memset(&o, 0, sizeof o);
    o.file = c->file;
    o.sets = c->sets;
    o.n_sets = c->n_sets;
    o.protocol = protocol;
    o.protocols = protocols;
    o.varies = c->varies;
    o.n_varies = c->n_varies;
    o.have_seed = c->have_seed;
    o.seed = c->seed;
    o.replications = (uint32_t)c->reps;
    o.until = ro->until;
    o.max_events = ro->max_events;
    o.max_memory = ro->max_memory;
    o.out_dir = ro->out_dir;
    o.series = ro->series;
    o.series_metrics = ro->series_metrics;
    o.jobs = (unsigned)c->jobs;
    o.threads = (int)c->threads;
    o.only = c->only;
    o.wheres = c->wheres;
    o.n_wheres = c->n_wheres;
    o.list = c->list;
    o.fail_fast = c->fail_fast;
    o.quiet = ro->quiet;
    o.progress = ro->progress;
    o.stop = ro->stop;
    o.warnings = ro->warnings;
    o.argc = ro->argc;
    o.argv = ro->argv;
    o.db = ro->db;
#ifdef KMSIM_MPI
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
#endif
    rc = sim_sweep_main(&o, stdout, err, sizeof err);
    if (rc != SIM_EXIT_OK && rank == 0)
        fprintf(stderr, rc == SIM_EXIT_INPUT ? "%s\n" : "kmsim: %s\n", err);
    return rc;
}

/* The message for an unknown option `arg` (optopt: an unknown short
 * one), with the closest long option of `opts` when one is near. */
static void bad_option(const char *cmd, const struct option *opts,
                       int optopt_c, const char *arg)
{
    const char *cand[64];
    char q[128], name[64];
    const char *near = NULL;
    size_t n = 0;

    if (optopt_c) {
        fprintf(stderr, "kmsim %s: unknown option '-%c' (kmsim %s --help)\n",
                cmd, optopt_c, cmd);
        return;
    }
    for (; opts->name && n + 1 < ARRAY_LEN(cand); opts++)
        cand[n++] = opts->name;
    cand[n] = NULL;
    snprintf(name, sizeof name, "%s", arg + strspn(arg, "-"));
    name[strcspn(name, "=")] = '\0';
    near = sim_util_closest(name, cand);
    sim_units_quote(q, sizeof q, arg);
    if (near)
        fprintf(stderr, "kmsim %s: unknown option '%s' (did you mean "
                "'--%s'?)\n", cmd, q, near);
    else
        fprintf(stderr, "kmsim %s: unknown option '%s' (kmsim %s --help)\n",
                cmd, q, cmd);
}

/* kmsim metrics [PATTERN]: the metric list (mlist.h).  A pattern that
 * matches nothing is an error naming the closest metric. */
static int metrics_cmd(int argc, char **argv)
{
    sim_mlist *l;
    const char *pat = NULL;
    char err[1024], q[128];
    size_t n;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout, C_MET);
            return SIM_EXIT_OK;
        }
        if (argv[i][0] == '-' || pat) {
            sim_units_quote(q, sizeof q, argv[i]);
            fprintf(stderr, "kmsim metrics: unexpected '%s' (kmsim metrics "
                    "[PATTERN])\n", q);
            return SIM_EXIT_INPUT;
        }
        pat = argv[i];
    }
    if (cry_init() != 0) {
        fprintf(stderr, "kmsim: cannot initialise libsodium\n");
        return SIM_EXIT_FAIL;
    }
    l = sim_mlist_collect(err, sizeof err);
    if (!l) {
        fprintf(stderr, "kmsim metrics: %s\n", err);
        return SIM_EXIT_FAIL;
    }
    n = sim_mlist_print(l, pat, stdout);
    if (n == 0) {
        char near[300];
        sim_units_quote(q, sizeof q, pat);
        if (sim_mlist_suggest(l, pat, near, sizeof near))
            fprintf(stderr, "kmsim metrics: no metric matches '%s' (did you "
                    "mean '%s'?)\n", q, near);
        else
            fprintf(stderr, "kmsim metrics: no metric matches '%s' (a glob, "
                    "e.g. 'delay.*')\n", q);
    }
    sim_mlist_free(l);
    return n ? SIM_EXIT_OK : SIM_EXIT_INPUT;
}

/* kmsim validate of a scenario with a `sweep:` section: expands it as
 * kmsim sweep would (every configuration loaded and validated, nothing run
 * or written); prints the reason (file:line:column: sweep ...) and returns
 * SIM_EXIT_INPUT on bad input (issue 21). */
static int validate_sweep(const cli *c, const char *protocol)
{
    sim_sweep_opts o;
    sim_sweep *s;
    char err[1024];

    memset(&o, 0, sizeof o);
    o.file = c->file;
    o.sets = c->sets;
    o.n_sets = c->n_sets;
    o.protocol = protocol;
    o.have_seed = c->have_seed;
    o.seed = c->seed;
    o.replications = (uint32_t)c->reps;
    o.jobs = 1;
    o.threads = (int)c->threads;
    o.list = 1;
    o.quiet = 1;
    s = sim_sweep_expand(&o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return SIM_EXIT_INPUT;
    }
    sim_sweep_free(s);
    return SIM_EXIT_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},
        {"replications", required_argument, NULL, 'r'},
        {"until", required_argument, NULL, 'u'},
        {"max-events", required_argument, NULL, 'm'},
        {"max-memory", required_argument, NULL, 'M'},
        {"protocol", required_argument, NULL, 'p'},
        {"protocols", required_argument, NULL, 'P'},
        {"defences", required_argument, NULL, 'D'},
        {"quiet", no_argument, NULL, 'q'},
        {"per-node", no_argument, NULL, 'n'},
        {"strict", no_argument, NULL, 'T'},
        {"vary", required_argument, NULL, 'v'},
        {"jobs", required_argument, NULL, 'j'},
        {"only", required_argument, NULL, 'O'},
        {"where", required_argument, NULL, 'w'},
        {"list", no_argument, NULL, 'l'},
        {"keep-going", no_argument, NULL, 'k'},
        {"fail-fast", no_argument, NULL, 'F'},
        {"threads", required_argument, NULL, 't'},
        {"series", required_argument, NULL, 'e'},
        {"series-metrics", required_argument, NULL, 'E'},
        {"db", required_argument, NULL, 'b'},
        {"pcap", required_argument, NULL, 'X'},
        {"pcap-filter", required_argument, NULL, 'Y'},
        {"keylog", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd, *protocol = NULL, *protocols = NULL;
    sim_run_opts ro;
    const char **argv0 = NULL;
    char *found = NULL;       /* cl.file from the data search path */
    cli cl;
    int c, rc, is_compare, is_sweep;
    char err[1024];
    unsigned char seen[256] = {0};    /* single-valued flags given */
    int have_budget = 0, strict = 0, warnings = 0;
    scenario *sc;
    sim_pcap *pcap = NULL;      /* run --pcap's writer (issue 23)    */

    memset(&ro, 0, sizeof ro);
    memset(&cl, 0, sizeof cl);
    ro.warnings = &warnings;
    /* The loader reaches the protocols through the registry it is handed
     * (scenario.h), once, before any load or --vary. */
    sim_proto_use();
    /* Past a file size limit (ulimit -f) a write fails with EFBIG and the
     * usual error path runs (one line, temporary files and directories
     * removed, exit 1) instead of the default action killing kmsim with
     * its files left behind. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout, 0);
        return SIM_EXIT_OK;
    }
    if (argc >= 2 &&
        (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("kmsim %s%s\n", KMSIM_VERSION, KMSIM_MPI_TAG);
        return SIM_EXIT_OK;
    }
    if (argc < 2) {
        /* a short reminder, not the whole page (that is --help's) */
        fprintf(stderr, "usage: kmsim run|compare|sweep|validate FILE "
                "[options] | metrics [PATTERN]  (kmsim --help for the "
                "options)\n");
        return SIM_EXIT_INPUT;
    }
    cmd = argv[1];
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "validate") != 0 &&
        strcmp(cmd, "compare") != 0 && strcmp(cmd, "sweep") != 0 &&
        strcmp(cmd, "metrics") != 0 && strcmp(cmd, "db") != 0) {
        char q[128];
        const char *near = sim_util_closest(cmd, commands);
        sim_units_quote(q, sizeof q, cmd);
        if (near)
            fprintf(stderr, "kmsim: unknown command '%s' (did you mean "
                    "'%s'? try kmsim --help)\n", q, near);
        else
            fprintf(stderr, "kmsim: unknown command '%s' (try kmsim "
                    "--help)\n", q);
        return SIM_EXIT_INPUT;
    }
    if (!strcmp(cmd, "metrics"))
        return check_stdout(metrics_cmd(argc, argv));
    if (!strcmp(cmd, "db")) {        /* kmsim extension (issue 23) */
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        if (cry_init() != 0) {
            fprintf(stderr, "kmsim: cannot initialise libsodium\n");
            return SIM_EXIT_FAIL;
        }
        return finish(sim_db_main(argc, argv, &stop_requested));
    }
    /* Not a terminal: a buffer that holds a whole summary table, so a
     * failed write is seen by check_stdout's fflush with its errno
     * (a 4 KiB buffer flushed early loses it: "write error"); it lives
     * as long as stdout. */
    if (!isatty(STDOUT_FILENO)) {
        static char outbuf[1 << 16];   /* glibc ignores the size with NULL */
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    }
    is_compare = !strcmp(cmd, "compare");
    is_sweep = !strcmp(cmd, "sweep");
    cl.sets = xcalloc((size_t)argc, sizeof *cl.sets);
    cl.varies = xcalloc((size_t)argc, sizeof *cl.varies);
    cl.wheres = xcalloc((size_t)argc, sizeof *cl.wheres);
    cl.pcap_filters = xcalloc((size_t)argc, sizeof *cl.pcap_filters);
    /* run.yaml beside the CSVs (prov.h): argv as given, before getopt
     * permutes it */
    argv0 = xcalloc((size_t)argc + 1, sizeof *argv0);
    memcpy(argv0, argv, (size_t)argc * sizeof *argv0);
    ro.argc = argc;
    ro.argv = argv0;
    {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cl.jobs = n > 0 ? (uint64_t)n : 1;
    }
    cl.threads = 1;
    optind = 2;
    opterr = 0;                  /* our messages, with "did you mean" */
    while ((c = getopt_long(argc, argv, ":qhV", opts, NULL)) != -1) {
        double t;
        size_t col;
        char q[128];
        const char *single = c == 's' ? "--seed" : c == 'o' ? "--out"
                           : c == 'r' ? "--replications"
                           : c == 'u' ? "--until"
                           : c == 'm' ? "--max-events"
                           : c == 'M' ? "--max-memory"
                           : c == 'p' ? "--protocol"
                           : c == 'P' ? "--protocols"
                           : c == 'D' ? "--defences"
                           : c == 'j' ? "--jobs" : c == 'O' ? "--only"
                           : c == 't' ? "--threads"
                           : c == 'e' ? "--series"
                           : c == 'E' ? "--series-metrics"
                           : c == 'b' ? "--db"
                           : c == 'X' ? "--pcap" : c == 'K' ? "--keylog"
                           : NULL;
        if (single && once(seen, c, single) != 0)
            goto input_error;
        if ((c == 'X' || c == 'Y' || c == 'K') && strcmp(cmd, "run") != 0) {
            /* one protocol, one replication: a compare or a sweep would
             * need one trace per run (kmsim run --protocol P --pcap F) */
            fprintf(stderr, "kmsim %s: --%s is for kmsim run (trace one "
                    "protocol: kmsim run FILE --protocol P --pcap F)\n",
                    cmd, c == 'X' ? "pcap" : c == 'Y' ? "pcap-filter"
                                                      : "keylog");
            goto input_error;
        }
        if (!strcmp(cmd, "validate") &&
            (c == 'o' || c == 'm' || c == 'q' || c == 'T' || c == 'n' ||
             c == 'e' || c == 'E' || c == 'b')) {
            /* validate runs nothing: an option about the run or its
             * output would be ignored silently */
            fprintf(stderr, "kmsim validate: %s does not apply (validate "
                    "runs nothing; kmsim validate --help)\n",
                    c == 'o' ? "--out" : c == 'm' ? "--max-events"
                    : c == 'q' ? "--quiet" : c == 'T' ? "--strict"
                    : c == 'e' ? "--series" : c == 'E' ? "--series-metrics"
                    : c == 'b' ? "--db" : "--per-node");
            goto input_error;
        }
        switch (c) {
        case 's':
            if (parse_u64("--seed", optarg, 0, UINT64_MAX, &cl.seed) != 0)
                goto input_error;
            cl.have_seed = 1;
            break;
        case 'S':
            cl.sets[cl.n_sets++] = optarg;
            break;
        case 'o':
            if (*optarg == '\0') {
                fprintf(stderr, "kmsim: --out: empty directory name\n");
                goto input_error;
            }
            if (is_root_dir(optarg)) {
                char qp[512];      /* sim_units_quote_path fits */
                sim_units_quote_path(qp, sizeof qp, optarg);
                fprintf(stderr, "kmsim: --out %s: refusing to write results "
                        "into the root directory\n", qp);
                goto input_error;
            }
            ro.out_dir = optarg;
            break;
        case 'r':
            if (parse_u64("--replications", optarg, 1, SCN_MAX_REPLICATIONS,
                          &cl.reps) != 0)
                goto input_error;
            break;
        case 'u':
            if (parse_time("--until", optarg, "must be > 0 and at most the "
                           "scenario's duration", &ro.until) != 0)
                goto input_error;
            break;
        case 'm':
            if (parse_u64("--max-events", optarg, 1, UINT64_MAX,
                          &ro.max_events) != 0)
                goto input_error;
            break;
        case 'M':
            t = 0;
            if (sim_units_parse(optarg, SIM_DIM_SIZE, &t, err, sizeof err,
                                &col) != 0) {
                sim_units_quote(q, sizeof q, optarg);
                fprintf(stderr, "kmsim: --max-memory %s: %s\n", q, err);
                goto input_error;
            }
            if (!(t >= 1 << 20) || t > 1e18) {
                sim_units_quote(q, sizeof q, optarg);
                fprintf(stderr, "kmsim: --max-memory %s: expected a size "
                        "from 1MiB to 1000000GB (e.g. 4GiB)\n", q);
                goto input_error;
            }
            ro.max_memory = (uint64_t)t;
            have_budget = 1;
            break;
        case 'v':
        case 'j':
        case 'O':
        case 'w':
        case 'l':
        case 'k':
        case 'F':
            if (!is_sweep) {
                fprintf(stderr, "kmsim %s: --%s is for kmsim sweep\n", cmd,
                        c == 'v' ? "vary" : c == 'j' ? "jobs"
                        : c == 'O' ? "only" : c == 'w' ? "where"
                        : c == 'l' ? "list" : c == 'k' ? "keep-going"
                        : "fail-fast");
                goto input_error;
            }
            if (c == 'k' || c == 'F') {
                cl.fail_fast = c == 'F';
                break;
            }
            if (c == 'v')
                cl.varies[cl.n_varies++] = optarg;
            else if (c == 'w')
                cl.wheres[cl.n_wheres++] = optarg;
            else if (c == 'O')
                cl.only = optarg;
            else if (c == 'l')
                cl.list = 1;
            else if (parse_u64("--jobs", optarg, 1, 1024, &cl.jobs) != 0)
                goto input_error;
            else
                cl.have_jobs = 1;
            break;
        case 'p':
            if (is_compare) {
                fprintf(stderr, "kmsim compare: use --protocols\n");
                goto input_error;
            }
            if (!sim_proto_find(optarg)) {
                sim_units_quote(q, sizeof q, optarg);
                fprintf(stderr, "kmsim: --protocol %s: unknown protocol "
                        "(known: %s)\n", q, sim_proto_names());
                goto input_error;
            }
            protocol = optarg;
            break;
        case 'P':
            if (!is_compare && !is_sweep) {
                fprintf(stderr, "kmsim %s: --protocols is for kmsim "
                        "compare and kmsim sweep\n", cmd);
                goto input_error;
            }
            protocols = optarg;
            break;
        case 'D':
            if (!is_compare) {
                fprintf(stderr, "kmsim %s: --defences is for kmsim compare "
                        "(elsewhere: --set defences=...)\n", cmd);
                goto input_error;
            }
            if (strcmp(optarg, "as_published") &&
                strcmp(optarg, "hardened") && strcmp(optarg, "both")) {
                sim_units_quote(q, sizeof q, optarg);
                fprintf(stderr, "kmsim compare: --defences %s: expected "
                        "as_published, hardened or both\n", q);
                goto input_error;
            }
            cl.defences = optarg;
            break;
        case 'b':                /* kmsim extension (issue 23) */
            if (*optarg == '\0') {
                fprintf(stderr, "kmsim: --db: empty file name\n");
                goto input_error;
            }
            ro.db = optarg;
            break;
        case 't':                /* kmsim extension (issue 22) */
            if (parse_u64("--threads", optarg, 1, 2, &cl.threads) != 0)
                goto input_error;
            break;
        case 'e':                /* kmsim extension (issue 23) */
            if (parse_time("--series", optarg, "expected an interval > 0 "
                           "with a unit, e.g. 1s or 100ms", &ro.series) != 0)
                goto input_error;
            break;
        case 'E':
            if (ana_series_check_patterns(optarg, err, sizeof err) != 0) {
                sim_units_quote(q, sizeof q, optarg);
                fprintf(stderr, "kmsim: --series-metrics %s: %s\n", q, err);
                goto input_error;
            }
            ro.series_metrics = optarg;
            break;
        case 'X':                /* kmsim extension (issue 23) */
        case 'K':
            if (*optarg == '\0') {
                fprintf(stderr, "kmsim run: --%s: empty file name\n",
                        c == 'X' ? "pcap" : "keylog");
                goto input_error;
            }
            if (c == 'X')
                cl.pcap = optarg;
            else
                cl.keylog = optarg;
            break;
        case 'Y':
            cl.pcap_filters[cl.n_pcap_filters++] = optarg;
            break;
        case 'q':
            ro.quiet = 1;
            break;
        case 'T':                /* kmsim extension (issue 21) */
            strict = 1;
            break;
        case 'n':
            if (is_compare || is_sweep) {
                fprintf(stderr, "kmsim %s: --per-node is for kmsim run\n",
                        cmd);
                goto input_error;
            }
            ro.per_node = 1;
            break;
        case 'h':
            usage(stdout, !strcmp(cmd, "run") ? C_RUN
                  : is_compare ? C_CMP : is_sweep ? C_SWP : C_VAL);
            rc = SIM_EXIT_OK;
            goto done;
        case 'V':
            printf("kmsim %s%s\n", KMSIM_VERSION, KMSIM_MPI_TAG);
            rc = SIM_EXIT_OK;
            goto done;
        case ':':
            fprintf(stderr, "kmsim %s: %s needs a value (kmsim %s --help)\n",
                    cmd, argv[optind - 1], cmd);
            goto input_error;
        default:
            bad_option(cmd, opts, optopt, argv[optind - 1]);
            goto input_error;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "kmsim %s: expected exactly one scenario FILE\n",
                cmd);
        goto input_error;
    }
    cl.file = argv[optind];
    if (ro.series_metrics && !ro.series) {
        fprintf(stderr, "kmsim %s: --series-metrics needs --series "
                "INTERVAL\n", cmd);
        goto input_error;
    }
    if ((cl.keylog || cl.n_pcap_filters) && !cl.pcap) {
        /* keys leave kmsim only when a trace was asked for too */
        fprintf(stderr, "kmsim run: %s needs --pcap FILE\n",
                cl.keylog ? "--keylog" : "--pcap-filter");
        goto input_error;
    }
    {
        const char *outs[3] = {cl.pcap, cl.keylog, cl.list ? NULL : ro.db};
        if (check_out_files(cmd, outs) != 0)
            goto input_error;
    }
    if (cl.pcap &&
        !(pcap = sim_pcap_new(cl.pcap_filters, cl.n_pcap_filters, err,
                              sizeof err))) {
        fprintf(stderr, "kmsim run: %s\n", err);
        goto input_error;
    }
    {
        /* not found as given (relative, no such file): $KMSIM_PATH, then
         * the installed scenarios (kmsim extension, issue 21) */
        struct stat st;
        if (stat(cl.file, &st) != 0 && errno == ENOENT &&
            (found = sim_util_find_data(cl.file, getenv("KMSIM_PATH"),
                                        sim_util_datadir(), NULL)))
            cl.file = found;
    }
    if (!have_budget)
        ro.max_memory = sim_guard_default_budget();
    ro.threads = (int)cl.threads;
    if (is_sweep) {
        /* Each worker runs its world on --threads threads: by default as
         * many workers as the processors hold; more than that on purpose
         * is allowed (the results do not change), with a warning. */
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (ncpu < 1)
            ncpu = 1;
        if (!cl.have_jobs) {
            cl.jobs = (uint64_t)ncpu / cl.threads;
            if (cl.jobs < 1)
                cl.jobs = 1;
        } else if (!cl.list && cl.jobs * cl.threads > (uint64_t)ncpu)
            fprintf(stderr, "kmsim sweep: warning: --jobs %llu x --threads "
                    "%llu = %llu threads on %ld processor%s (the results do "
                    "not change; it runs slower than it could)\n",
                    (unsigned long long)cl.jobs,
                    (unsigned long long)cl.threads,
                    (unsigned long long)(cl.jobs * cl.threads), ncpu,
                    ncpu == 1 ? "" : "s");
    }
    if (cry_init() != 0) {
        fprintf(stderr, "kmsim: cannot initialise libsodium\n");
        rc = SIM_EXIT_FAIL;
        goto done;
    }
    if (ro.db && !cl.list) {
        /* --db: a file that is not (or cannot become) a kmsim database is
         * refused before anything runs; the schema is made here */
        sim_db *db = sim_db_open(ro.db, &rc, err, sizeof err);
        if (!db) {
            fprintf(stderr, "kmsim: %s\n", err);
            goto done;
        }
        sim_db_close(db);
    }
    if (is_sweep) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        ro.stop = &stop_requested;
        ro.progress = !ro.quiet && isatty(STDERR_FILENO);
#ifdef KMSIM_MPI
        MPI_Init(&argc, &argv);
        {
            int rank, size;
            MPI_Comm_rank(MPI_COMM_WORLD, &rank);
            MPI_Comm_size(MPI_COMM_WORLD, &size);
            if (rank > 0)
                ro.progress = 0;
            if (size > 1 && !cl.have_jobs)
                cl.jobs = 1;     /* one process per rank: the ranks are */
        }                        /*   the parallelism                    */
#endif
        rc = sweep(&cl, protocol, protocols, &ro);
#ifdef KMSIM_MPI
        MPI_Finalize();
#endif
        goto done;
    }
    sc = load(&cl, protocol);
    if (!sc)
        goto input_error;
    if (ro.until > sc->duration) {
        /* Traffic stops at the duration: running longer would only dilute
         * the rates and utilisations. */
        fprintf(stderr, "kmsim: --until: beyond the scenario's duration "
                        "(use --set duration=...)\n");
        scn_free(sc);
        goto input_error;
    }
    if (ro.until && ro.until <= sc->warmup) {
        /* As warmup < duration in the file: a run that ends within the
         * warm-up measures no steady state (every queue, delay and health
         * figure would be empty). */
        fprintf(stderr, "kmsim: --until: not after the warm-up (%gs): "
                "nothing would be measured (use a later --until or --set "
                "warmup=...)\n", sim_time_to_s(sc->warmup));
        scn_free(sc);
        goto input_error;
    }

    if (!strcmp(cmd, "validate")) {
        char est[256], split[160];
        rc = estimate(sc, &ro, est, sizeof est);
        if (rc == SIM_EXIT_OK && ro.threads > 1 &&
            (rc = sim_run_threads_check(sc, ro.threads, err, sizeof err)) !=
                SIM_EXIT_OK)
            fprintf(stderr, "kmsim validate: %s\n", err);
        else if (rc == SIM_EXIT_OK) {
            /* --threads 2: the split as a run makes it (its refusals) */
            rc = ro.threads > 1
                     ? sim_run_check_split(sc, ro.threads, split,
                                           sizeof split, err, sizeof err)
                     : sim_run_check(sc, err, sizeof err);
            if (rc != SIM_EXIT_OK)
                fprintf(stderr, "%s\n", err);
            else if (sc->n_axes > 0 &&
                     (rc = validate_sweep(&cl, protocol)) != SIM_EXIT_OK)
                ;                  /* validate_sweep printed the reason */
            else if (ro.threads > 1)
                fprintf(stderr, "%s: ok (protocol %s); %s; %s\n", cl.file,
                        sc->proto->name, est, split);
            else
                fprintf(stderr, "%s: ok (protocol %s); %s\n", cl.file,
                        sc->proto->name, est);
        }
        scn_free(sc);
        goto done;
    }
    if (!is_compare && ro.threads > 1 &&
        (rc = sim_run_threads_check(sc, ro.threads, err, sizeof err)) !=
            SIM_EXIT_OK) {
        fprintf(stderr, "kmsim run: %s\n", err);  /* before any output */
        scn_free(sc);
        goto done;
    }
    if (!is_compare && (rc = estimate(sc, &ro, NULL, 0)) != SIM_EXIT_OK) {
        scn_free(sc);
        goto done;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    ro.stop = &stop_requested;
    ro.progress = !ro.quiet && isatty(STDERR_FILENO);
    if (is_compare) {
        rc = compare(&cl, sc, protocols, &ro);
    } else if (pcap && sim_pcap_open(pcap, cl.pcap, cl.keylog, err,
                                     sizeof err) != 0) {
        fprintf(stderr, "kmsim run: %s\n", err);  /* before the run */
        rc = SIM_EXIT_FAIL;
    } else {
        ro.pcap = pcap;
        rc = sim_run(sc, &ro, stdout, err, sizeof err);
        if (rc == SIM_EXIT_INPUT)  /* file:line:column: ..., as validate */
            fprintf(stderr, "%s\n", err);
        else if (rc != SIM_EXIT_OK)
            fprintf(stderr, "kmsim: %s\n", err);
        else if (pcap && sim_pcap_commit(pcap, err, sizeof err) != 0) {
            fprintf(stderr, "kmsim run: %s\n", err);
            rc = SIM_EXIT_FAIL;
        }
    }
    scn_free(sc);
done:
    if (rc == SIM_EXIT_OK && strict && warnings > 0) {
        /* The results are written; a script asked for a clean bill. */
        fprintf(stderr, "kmsim: --strict: %d health warning%s (results "
                "written)\n", warnings, warnings == 1 ? "" : "s");
        rc = SIM_EXIT_FAIL;
    }
    free(argv0);
    free(found);
    free(cl.sets);
    free(cl.varies);
    free(cl.wheres);
    free(cl.pcap_filters);
    sim_pcap_free(pcap);        /* not committed: its files are removed */
    return finish(rc);

input_error:
    rc = SIM_EXIT_INPUT;
    goto done;
}
