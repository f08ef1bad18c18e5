/* main.c — the kmsim command line: run and validate scenario files.
 * Data (the summary table, CSV paths) goes to stdout; messages to stderr.
 * Exit status: 0 success, 1 run-time failure (I/O, interrupted),
 * 2 bad input (usage, scenario errors). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "scenario.h"
#include "proto.h"
#include "run.h"
#include "units.h"
#include "cry.h"
#include "util.h"

#ifndef KMSIM_VERSION
#define KMSIM_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: kmsim run FILE [options]      run a scenario, write CSV results\n"
"       kmsim validate FILE [--set path=value]...\n"
"                                     check a scenario, print nothing else\n"
"       kmsim --help | --version\n"
"\n"
"options:\n"
"  --seed N            base seed (replication 0 uses N; the seeds of the\n"
"                      others derive from it and are listed in\n"
"                      replications.csv)\n"
"  --set PATH=VALUE    override any scenario value, e.g. --set\n"
"                      topology.sources=500 or --set 'traffic.interval=exp(5s)'\n"
"                      (repeatable; each PATH becomes a CSV column)\n"
"  --out DIR           result directory (default results/<scenario name>)\n"
"  --replications N    override the number of replications\n"
"  --until TIME        stop each replication at this simulated time (e.g. 10min)\n"
"  --max-events N      stop each replication after N events\n"
"  --per-node          also write nodes.csv: per node and replication its role,\n"
"                      position, degree, home SO, hops, registration delay and\n"
"                      the messages and bytes it sent\n"
"  -q, --quiet         no summary table and no progress line\n"
"  -h, --help          this help\n"
"  -V, --version       print the version\n"
"\n"
"exit status: 0 success, 1 run-time failure, 2 bad input\n");
}

static int parse_u64(const char *flag, const char *s, uint64_t min,
                     uint64_t max, uint64_t *out)
{
    char *end;
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
    fprintf(stderr, "kmsim: %s %s: expected an integer in [%llu, %llu]\n",
            flag, s, (unsigned long long)min, (unsigned long long)max);
    return -1;
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
        {"quiet", no_argument, NULL, 'q'},
        {"per-node", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char **sets = NULL;
    size_t n_sets = 0;
    const char *cmd, *file;
    sim_run_opts ro;
    uint64_t seed = 0, reps = 0;
    int have_seed = 0, c, rc;
    char err[1024];
    scenario *sc;

    memset(&ro, 0, sizeof ro);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return SIM_EXIT_OK;
    }
    if (argc >= 2 &&
        (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("kmsim %s\n", KMSIM_VERSION);
        return SIM_EXIT_OK;
    }
    if (argc < 2) {
        usage(stderr);
        return SIM_EXIT_INPUT;
    }
    cmd = argv[1];
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "validate") != 0) {
        fprintf(stderr, "kmsim: unknown command '%s' (try kmsim --help)\n",
                cmd);
        return SIM_EXIT_INPUT;
    }
    sets = xcalloc((size_t)argc, sizeof *sets);
    optind = 2;
    while ((c = getopt_long(argc, argv, "qhV", opts, NULL)) != -1) {
        double t;
        size_t col;
        switch (c) {
        case 's':
            if (parse_u64("--seed", optarg, 0, UINT64_MAX, &seed) != 0)
                goto input_error;
            have_seed = 1;
            break;
        case 'S':
            sets[n_sets++] = optarg;
            break;
        case 'o':
            if (*optarg == '\0') {
                fprintf(stderr, "kmsim: --out: empty directory name\n");
                goto input_error;
            }
            ro.out_dir = optarg;
            break;
        case 'r':
            if (parse_u64("--replications", optarg, 1, SCN_MAX_REPLICATIONS,
                          &reps) != 0)
                goto input_error;
            break;
        case 'u':
            t = 0;
            if (sim_units_parse(optarg, SIM_DIM_TIME, &t, err, sizeof err,
                                &col) != 0) {
                fprintf(stderr, "kmsim: --until %s: %s\n", optarg, err);
                goto input_error;
            }
            if (!(t > 0) || t * 1e9 > (double)SCN_MAX_DURATION) {
                fprintf(stderr, "kmsim: --until %s: must be > 0 and at most "
                                "the scenario's duration\n", optarg);
                goto input_error;
            }
            ro.until = (sim_time)(t * 1e9 + 0.5);
            break;
        case 'm':
            if (parse_u64("--max-events", optarg, 1, UINT64_MAX,
                          &ro.max_events) != 0)
                goto input_error;
            break;
        case 'q':
            ro.quiet = 1;
            break;
        case 'n':
            ro.per_node = 1;
            break;
        case 'h':
            usage(stdout);
            free(sets);
            return SIM_EXIT_OK;
        case 'V':
            printf("kmsim %s\n", KMSIM_VERSION);
            free(sets);
            return SIM_EXIT_OK;
        default:
            goto input_error;    /* getopt printed the reason */
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "kmsim %s: expected exactly one scenario FILE\n",
                cmd);
        goto input_error;
    }
    file = argv[optind];
    if (cry_init() != 0) {
        fprintf(stderr, "kmsim: cannot initialise libsodium\n");
        free(sets);
        return SIM_EXIT_FAIL;
    }
    sc = scn_load(file, sets, n_sets, err, sizeof err);
    free(sets);
    if (!sc) {
        fprintf(stderr, "%s\n", err);
        return SIM_EXIT_INPUT;
    }
    if (have_seed)
        sc->seed = seed;
    if (reps)
        sc->replications = (uint32_t)reps;
    if (ro.until > sc->duration) {
        /* Traffic stops at the duration: running longer would only dilute
         * the rates and utilisations. */
        fprintf(stderr, "kmsim: --until: beyond the scenario's duration "
                        "(use --set duration=...)\n");
        scn_free(sc);
        return SIM_EXIT_INPUT;
    }

    if (!strcmp(cmd, "validate")) {
        rc = sim_run_check(sc, err, sizeof err);
        if (rc != SIM_EXIT_OK)
            fprintf(stderr, "%s\n", err);
        else
            fprintf(stderr, "%s: ok (protocol %s)\n", file, sc->proto->name);
        scn_free(sc);
        return rc;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    ro.stop = &stop_requested;
    ro.progress = !ro.quiet && isatty(STDERR_FILENO);
    rc = sim_run(sc, &ro, stdout, err, sizeof err);
    if (rc == SIM_EXIT_INPUT)      /* file:line:column: ..., as validate */
        fprintf(stderr, "%s\n", err);
    else if (rc != SIM_EXIT_OK)
        fprintf(stderr, "kmsim: %s\n", err);
    scn_free(sc);
    return rc;

input_error:
    free(sets);
    return SIM_EXIT_INPUT;
}
