/* test_sweep_run.c — kmsim sweep at work: --jobs 1 = --jobs 2 = --jobs 5,
 * each configuration's rows as `kmsim run` writes them, resume (after
 * --only, after a changed sweep, from a torn or padded journal), a file
 * that is not a journal, a crashed worker and an interrupted sweep; and
 * the suite "found bugs": the tests of the bugs this program found (each
 * failed before its fix).  Part of the one program test_sweep; main and
 * registration are in test_sweep.c, the shared helpers in sweep_t.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cutest.h"
#include "sweep.h"
#include "run.h"
#include "scenario.h"
#include "sweep_t.h"

static const char *const csvs[] = {"runs.csv", "summary.csv",
                                   "replications.csv"};

/* ---- helpers ------------------------------------------------------------ */

/* stderr into a file for the duration of a call (workers inherit it). */
typedef struct capture {
    int saved;
    char path[600];
} capture;

static void cap_begin(capture *c, const char *name)
{
    int fd;

    fflush(stderr);
    snprintf(c->path, sizeof c->path, "%s/%s.stderr", tmpdir, name);
    fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(fd >= 0);
    c->saved = dup(2);
    CU_ASSERT_FATAL(c->saved >= 0);
    dup2(fd, 2);
    close(fd);
}

/* Restores stderr; returns what was written (the caller frees it). */
static char *cap_end(capture *c)
{
    size_t n;
    char *text;

    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    text = slurp(c->path, &n);
    return text ? text : calloc(1, 1);
}

/* Runs o into tmpdir/<sub> with `jobs` workers.  Returns the exit status;
 * *out (if not NULL) gets what was printed on `out` and *errtext (if not
 * NULL) stderr; err gets the error line. */
static int run_sweep(sim_sweep_opts o, const char *sub, unsigned jobs,
                     char **out, char **errtext, char *err, size_t errlen)
{
    char dir[600];
    FILE *f = tmpfile();
    capture cap;
    int rc;

    CU_ASSERT_FATAL(f != NULL);
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    o.out_dir = dir;
    o.jobs = jobs;
    o.quiet = 0;
    err[0] = '\0';
    cap_begin(&cap, sub);
    rc = sim_sweep_main(&o, f, err, errlen);
    {
        char *e = cap_end(&cap);
        if (errtext)
            *errtext = e;
        else
            free(e);
    }
    if (out) {
        long n;
        fflush(f);
        n = ftell(f);
        rewind(f);
        *out = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
        if (n > 0 && fread(*out, 1, (size_t)n, f) != (size_t)n)
            (*out)[0] = '\0';
    }
    fclose(f);
    return rc;
}

static char *file_in(const char *sub, const char *name, size_t *len)
{
    char path[700];
    size_t n;

    snprintf(path, sizeof path, "%s/%s/%s", tmpdir, sub, name);
    return slurp(path, len ? len : &n);
}

static int exists_in(const char *sub, const char *name)
{
    char path[700];

    snprintf(path, sizeof path, "%s/%s/%s", tmpdir, sub, name);
    return access(path, F_OK) == 0;
}

static int same_in(const char *sub_a, const char *sub_b, const char *name,
                   int quiet)
{
    size_t la, lb;
    char *a = file_in(sub_a, name, &la), *b = file_in(sub_b, name, &lb);
    int same = a && b && la == lb && la > 0 && memcmp(a, b, la) == 0;

    if (!same && !quiet)
        fprintf(stderr, "\n  %s/%s and %s/%s differ\n", sub_a, name, sub_b,
                name);
    free(a);
    free(b);
    return same;
}

/* The three CSVs of two result directories are byte-identical. */
static int same_csvs(const char *sub_a, const char *sub_b)
{
    int same = 1;

    for (size_t i = 0; i < 3; i++)
        same &= same_in(sub_a, sub_b, csvs[i], 0);
    return same;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;

    for (; text && *text; text++)
        n += *text == '\n';
    return n;
}

/* ---- running ------------------------------------------------------------ */

/* The sweep the run tests share: 2 sources x 2 sizes (--vary) x 2
 * protocols (--protocols) x 2 replications = 16 points, with a --set. */
static const char *const run_sets[] = {"duration=90s"};
static const char *const run_varies[] = {"traffic.size=32B,64B"};

static sim_sweep_opts run_opts(void)
{
    static const char *file;
    sim_sweep_opts o;

    if (!file)
        file = scn_write("run", base_yaml, "  topology.sources: [2, 3]\n");
    o = opts_for(file);

    o.sets = run_sets;
    o.n_sets = 1;
    o.varies = run_varies;
    o.n_varies = 1;
    o.protocols = "dini,dipietro";
    return o;
}

/* The uninterrupted sweep, --jobs 1, in tmpdir/ref (made once). */
static int ref_made;

static void make_ref(void)
{
    char err[1024], *out = NULL;

    if (ref_made)
        return;
    CU_ASSERT_EQUAL_FATAL(run_sweep(run_opts(), "ref", 1, &out, NULL, err,
                                    sizeof err), SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "sweep 'tiny': 8 configurations, 16 "
                                  "points; 16 selected: 16 done, 0 skipped"));
    free(out);
    ref_made = 1;
}

/* --jobs 1 and --jobs 2 (and 5) write byte-identical files. */
void test_run_jobs(void)
{
    char err[1024], *out = NULL;

    make_ref();
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "jobs2", 2, &out, NULL, err,
                              sizeof err), SIM_EXIT_OK);
    CU_ASSERT(same_csvs("ref", "jobs2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "16 done, 0 skipped"));
    free(out);
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "jobs5", 5, NULL, NULL, err,
                              sizeof err), SIM_EXIT_OK);
    CU_ASSERT(same_csvs("ref", "jobs5"));
    /* one row per point in replications.csv, plus the header */
    {
        char *t = file_in("ref", "replications.csv", NULL);
        CU_ASSERT_EQUAL(count_lines(t), 17);
        free(t);
    }
}

/* A configuration's rows are exactly those of kmsim run with the same
 * --set overrides (the --sets, then the axes in order) and protocol. */
static void check_like_run(const char *protocol, const char *const *ovr,
                           size_t n, const char *sub)
{
    char path[700], err[1024];
    sim_run_opts ro;
    scenario *sc;
    sim_sweep_opts so = run_opts();

    sc = scn_load_as(so.file, ovr, n, protocol, err, sizeof err);
    CU_ASSERT_FATAL(sc != NULL);
    memset(&ro, 0, sizeof ro);
    ro.quiet = 1;
    snprintf(path, sizeof path, "%s/%s", tmpdir, sub);
    ro.out_dir = path;
    CU_ASSERT_EQUAL_FATAL(sim_run(sc, &ro, stdout, err, sizeof err),
                          SIM_EXIT_OK);
    scn_free(sc);
    for (size_t i = 0; i < 3; i++) {
        size_t lr, ls;
        char *r = file_in(sub, csvs[i], &lr), *s = file_in("ref", csvs[i],
                                                           &ls);
        char *rb, *sb;
        CU_ASSERT_FATAL(r != NULL && s != NULL);
        rb = strchr(r, '\n');
        sb = strchr(s, '\n');
        CU_ASSERT_FATAL(rb != NULL && sb != NULL);
        /* the same header */
        CU_ASSERT(rb - r == sb - s && memcmp(r, s, (size_t)(rb - r)) == 0);
        /* run's rows, in one block, among the sweep's */
        CU_ASSERT(strlen(rb + 1) > 0);
        if (!strstr(sb + 1, rb + 1)) {
            fprintf(stderr, "\n  %s: the rows of kmsim run (%s) are not in "
                    "the sweep's\n", csvs[i], sub);
            CU_FAIL("kmsim run's rows");
        }
        free(r);
        free(s);
    }
}

void test_run_like_kmsim_run(void)
{
    static const char *const a[] = {"duration=90s", "topology.sources=3",
                                    "traffic.size=64B"};
    static const char *const b[] = {"duration=90s", "topology.sources=2",
                                    "traffic.size=32B"};

    make_ref();
    check_like_run("dipietro", a, 3, "run-a");
    check_like_run("dini", b, 3, "run-b");
    /* and kmsim run's rows are not everywhere: a different value is not
     * in the sweep */
    {
        static const char *const c[] = {"duration=90s", "topology.sources=4",
                                        "traffic.size=64B"};
        char err[1024], path[700];
        sim_run_opts ro;
        scenario *sc = scn_load_as(run_opts().file, c, 3, "dini", err,
                                   sizeof err);
        char *r, *s, *rb;
        CU_ASSERT_FATAL(sc != NULL);
        memset(&ro, 0, sizeof ro);
        ro.quiet = 1;
        snprintf(path, sizeof path, "%s/run-c", tmpdir);
        ro.out_dir = path;
        CU_ASSERT_EQUAL_FATAL(sim_run(sc, &ro, stdout, err, sizeof err), 0);
        scn_free(sc);
        r = file_in("run-c", "replications.csv", NULL);
        s = file_in("ref", "replications.csv", NULL);
        CU_ASSERT_FATAL(r && s);
        rb = strchr(r, '\n');
        CU_ASSERT(rb && !strstr(s, rb + 1));
        free(r);
        free(s);
    }
}

/* --only a subset, then everything in the same directory = uninterrupted;
 * the journal's points are skipped. */
void test_resume_after_only(void)
{
    sim_sweep_opts o = run_opts();
    char err[1024], *out = NULL;

    make_ref();
    o.only = "3,5-9";
    CU_ASSERT_EQUAL(run_sweep(o, "only", 2, &out, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "6 selected: 6 done, 0 skipped"));
    free(out);
    {   /* the CSVs hold just those points */
        char *t = file_in("only", "replications.csv", NULL);
        CU_ASSERT_EQUAL(count_lines(t), 7);
        free(t);
    }
    /* a --where that overlaps: only the new points run */
    {
        const char *w[] = {"protocol=dipietro"};
        o.only = NULL;
        o.wheres = w;
        o.n_wheres = 1;
        CU_ASSERT_EQUAL(run_sweep(o, "only", 1, &out, NULL, err, sizeof err),
                        SIM_EXIT_OK);
        /* dipietro: points 2,3 6,7 10,11 14,15; 3, 6 and 7 already done */
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "8 selected: 5 done, 3 skipped"));
        free(out);
    }
    o = run_opts();
    CU_ASSERT_EQUAL(run_sweep(o, "only", 2, &out, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "16 selected: 5 done, 11 skipped"));
    free(out);
    CU_ASSERT(same_csvs("ref", "only"));
    /* all done: nothing runs, the same files */
    CU_ASSERT_EQUAL(run_sweep(o, "only", 2, &out, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "16 selected: 0 done, 16 skipped"));
    free(out);
    CU_ASSERT(same_csvs("ref", "only"));
    /* a different --seed: no point of the journal is reused */
    o.have_seed = 1;
    o.seed = 6;
    CU_ASSERT_EQUAL(run_sweep(o, "only", 2, &out, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "16 selected: 16 done, 0 skipped"));
    free(out);
    CU_ASSERT_FALSE(same_in("ref", "only", "runs.csv", 1));
}

/* A changed sweep reuses the points of the journal it still contains:
 * fewer replications, or fewer values of an axis, first. */
void test_resume_changed_sweep(void)
{
    static const char *const one_size[] = {"traffic.size=32B"};
    sim_sweep_opts o = run_opts();
    char err[1024], *out = NULL;

    make_ref();
    o.replications = 1;
    CU_ASSERT_EQUAL(run_sweep(o, "grow", 2, &out, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "8 selected: 8 done, 0 skipped"));
    free(out);
    o = run_opts();
    o.varies = one_size;
    CU_ASSERT_EQUAL(run_sweep(o, "grow", 2, &out, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    /* 4 configurations x 2 replications; replication 0 of each is done;
     * then the whole sweep: 8 + 4 points done before */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "8 selected: 4 done, 4 skipped"));
    free(out);
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "grow", 2, &out, NULL, err,
                              sizeof err), SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "16 selected: 4 done, 12 skipped"));
    free(out);
    CU_ASSERT(same_csvs("ref", "grow"));
    /* --until is part of a point: nothing is reused */
    o = run_opts();
    o.until = 30 * SIM_S;
    CU_ASSERT_EQUAL(run_sweep(o, "grow", 2, &out, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "16 selected: 16 done, 0 skipped"));
    free(out);
}

/* Puts `n` bytes of text followed by `tail` as tmpdir/<sub>/sweep.journal. */
static void plant_journal(const char *sub, const char *text, size_t n,
                          const char *tail)
{
    char path[700];
    char *j = malloc(n + strlen(tail) + 1);

    CU_ASSERT_FATAL(j != NULL);
    memcpy(j, text, n);
    memcpy(j + n, tail, strlen(tail));
    snprintf(path, sizeof path, "%s/%s", tmpdir, sub);
    CU_ASSERT_FATAL(mkdir(path, 0777) == 0 || errno == EEXIST);
    snprintf(path, sizeof path, "%s/%s/sweep.journal", tmpdir, sub);
    CU_ASSERT_FATAL(write_text(path, j, n + strlen(tail)) == 0);
    free(j);
}

/* A journal whose last record was torn (or with garbage after it) is cut
 * back to its last whole record; the result equals an uninterrupted run,
 * and so does the journal. */
void test_resume_torn_journal(void)
{
    static const struct { const char *sub; long cut; const char *tail;
                          int dropped; } cases[] = {
        {"torn-1", 1, "", 1},                  /* the last newline      */
        {"torn-mid", -2, "", 1},               /* half the last payload */
        {"torn-head", -3, "", 1},              /* inside its header     */
        {"torn-at", -4, "", 0},                /* exactly the record    */
        {"garbage", 0, "garbage\n", 1},
        {"garbage-at", 0, "@12 0123456789abcdef0123456789abcdef\nK 00", 1},
        {"torn-garbage", -2, "\n\n@@@@ junk", 1},
    };
    size_t len;
    char *ref, *last, err[1024];

    make_ref();
    ref = file_in("ref", "sweep.journal", &len);
    CU_ASSERT_FATAL(ref != NULL);
    /* the last record's header */
    last = ref + len - 1;
    while (last > ref && !(last[-1] == '\n' && *last == '@'))
        last--;
    CU_ASSERT_FATAL(last > ref);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t keep = len - (size_t)(cases[i].cut > 0 ? cases[i].cut : 0);
        char *out = NULL, *errtext = NULL, *j;
        size_t jl;

        if (cases[i].cut == -2)
            keep = (size_t)(last - ref) + (len - (size_t)(last - ref)) / 2;
        else if (cases[i].cut == -3)
            keep = (size_t)(last - ref) + 3;
        else if (cases[i].cut == -4)
            keep = (size_t)(last - ref);
        plant_journal(cases[i].sub, ref, keep, cases[i].tail);
        CU_ASSERT_EQUAL(run_sweep(run_opts(), cases[i].sub, 2, &out,
                                  &errtext, err, sizeof err), SIM_EXIT_OK);
        CU_ASSERT(same_csvs("ref", cases[i].sub));
        CU_ASSERT_EQUAL(strstr(errtext, "dropping an incomplete record")
                            != NULL, cases[i].dropped);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, cases[i].cut ? "16 selected: 1 "
                                      "done, 15 skipped" : "16 selected: 0 "
                                      "done, 16 skipped"));
        j = file_in(cases[i].sub, "sweep.journal", &jl);
        CU_ASSERT(j && jl == len && memcmp(j, ref, len) == 0);
        free(j);
        free(out);
        free(errtext);
    }
    free(ref);
}

/* A file that is not a journal: an error, and the file is left alone. */
void test_not_a_journal(void)
{
    static const char text[] = "point,value\n0,1\n";
    char err[1024], *j;
    size_t jl;

    plant_journal("notj", text, strlen(text), "");
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "notj", 2, NULL, NULL, err,
                              sizeof err), SIM_EXIT_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/notj/sweep.journal: not a kmsim "
                                  "sweep journal"));
    j = file_in("notj", "sweep.journal", &jl);
    CU_ASSERT(j && jl == strlen(text) && memcmp(j, text, jl) == 0);
    free(j);
    CU_ASSERT_FALSE(exists_in("notj", "runs.csv"));
    /* an empty file is a new journal */
    plant_journal("emptyj", "", 0, "");
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "emptyj", 2, NULL, NULL, err,
                              sizeof err), SIM_EXIT_OK);
    make_ref();
    CU_ASSERT(same_csvs("ref", "emptyj"));
}

/* A worker killed on one point: that point is reported (signal 9), the
 * others are written; a rerun completes it. */
void test_worker_crash(void)
{
    char err[1024], *out = NULL, *errtext = NULL, *ref, *got, *line6;
    size_t lr, lg;

    make_ref();
    setenv("KMSIM_TEST_CRASH_POINT", "5", 1);
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "crash", 2, &out, &errtext, err,
                              sizeof err), SIM_EXIT_FAIL);
    unsetenv("KMSIM_TEST_CRASH_POINT");
    CU_ASSERT_PTR_NOT_NULL(strstr(errtext, "kmsim: point 5 (protocol=dini "
                                  "topology.sources=2 traffic.size=64B, "
                                  "replication 1) failed: worker killed by "
                                  "signal 9"));
    CU_ASSERT_EQUAL(count_lines(errtext), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "1 of 16 points failed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "15 done, 0 skipped (already in the "
                                  "journal), 1 failed"));
    free(out);
    free(errtext);
    /* replications.csv: the reference without point 5's row (line 7) */
    ref = file_in("ref", "replications.csv", &lr);
    got = file_in("crash", "replications.csv", &lg);
    CU_ASSERT_FATAL(ref && got);
    line6 = ref;
    for (int k = 0; k < 6; k++)
        line6 = strchr(line6, '\n') + 1;
    {
        size_t l = (size_t)(strchr(line6, '\n') + 1 - line6);
        size_t head = (size_t)(line6 - ref);
        CU_ASSERT(lg == lr - l && memcmp(got, ref, head) == 0 &&
                  memcmp(got + head, line6 + l, lr - head - l) == 0);
    }
    free(ref);
    free(got);
    {
        char *r = file_in("ref", "runs.csv", &lr);
        char *g = file_in("crash", "runs.csv", &lg);
        CU_ASSERT(r && g && lg > 0 && lg < lr);
        free(r);
        free(g);
    }
    /* the rerun, without the crash: complete and identical */
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "crash", 2, &out, NULL, err,
                              sizeof err), SIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 done, 15 skipped"));
    free(out);
    CU_ASSERT(same_csvs("ref", "crash"));

    /* the same with one job, crashing on the first point */
    setenv("KMSIM_TEST_CRASH_POINT", "0", 1);
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "crash1", 1, NULL, &errtext, err,
                              sizeof err), SIM_EXIT_FAIL);
    unsetenv("KMSIM_TEST_CRASH_POINT");
    CU_ASSERT_PTR_NOT_NULL(strstr(errtext, "kmsim: point 0 (protocol=dini "));
    CU_ASSERT_PTR_NOT_NULL(strstr(errtext, "failed: worker killed by "
                                  "signal 9"));
    free(errtext);
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "crash1", 1, NULL, NULL, err,
                              sizeof err), SIM_EXIT_OK);
    CU_ASSERT(same_csvs("ref", "crash1"));
}

/* Interrupted before anything ran: exit 1, no CSV, a rerun completes. */
void test_interrupted(void)
{
    volatile sig_atomic_t stop = 1;
    sim_sweep_opts o = run_opts();
    char err[1024];

    o.stop = &stop;
    CU_ASSERT_EQUAL(run_sweep(o, "intr", 2, NULL, NULL, err, sizeof err),
                    SIM_EXIT_FAIL);
    CU_ASSERT_EQUAL(strncmp(err, "interrupted: 0 of 16 points are in ", 35),
                    0);
    for (size_t i = 0; i < 3; i++)
        CU_ASSERT_FALSE(exists_in("intr", csvs[i]));
    stop = 0;
    CU_ASSERT_EQUAL(run_sweep(o, "intr", 2, NULL, NULL, err, sizeof err),
                    SIM_EXIT_OK);
    make_ref();
    CU_ASSERT(same_csvs("ref", "intr"));
}

/* ---- found bugs ----------------------------------------------------------
 * Each failed before its fix. */

/* BUG 1: a --vary list (v1,v2,...) is not checked for duplicates, unlike
 * the file's lists and --vary [..]: the two points share a journal key,
 * so one of them is never found done and reruns on every resume. */
void bug_vary_duplicate(void)
{
    const char *v[] = {"topology.sources=2,2"};
    sim_sweep_opts o = opts_for(scn_write("bug-dup", base_yaml, NULL));

    o.varies = v;
    o.n_varies = 1;
    CU_ASSERT(expect_error(&o, "--vary topology.sources=2,2: sweep "
                           "'topology.sources': value '2' appears twice"));
    o.n_varies = 0;
    o.protocols = "dini,dini";    /* kmsim compare refuses it */
    CU_ASSERT(expect_error(&o, "--protocols dini,dini: "));
}

/* BUG 3: --seed (--replications) with a swept `seed` (`replications`)
 * silently overrides every value of the axis: the configurations are the
 * same runs under different labels.  Should be refused like --set. */
void bug_seed_flag_and_axis(void)
{
    const char *v[] = {"seed=1,2"};
    const char *r[] = {"replications=1,3"};
    sim_sweep_opts o = opts_for(scn_write("bug-seed", base_yaml, NULL));

    o.varies = v;
    o.n_varies = 1;
    o.have_seed = 1;
    o.seed = 9;
    CU_ASSERT(expect_error(&o, "--seed"));
    o = opts_for(scn_write("bug-seed", base_yaml, NULL));
    o.varies = r;
    o.n_varies = 1;
    o.replications = 2;
    CU_ASSERT(expect_error(&o, "--replications"));
}

/* BUG 4: after a failed point whose configuration has later replications,
 * the summary's "wrote DIR/runs.csv (N rows)" counts the missing
 * replication's rows too (NaN holes in ana_results). */
void bug_row_count(void)
{
    char err[1024], *out = NULL, *runs, want[64];

    setenv("KMSIM_TEST_CRASH_POINT", "0", 1);
    CU_ASSERT_EQUAL(run_sweep(run_opts(), "bug-rows", 1, &out, NULL, err,
                              sizeof err), SIM_EXIT_FAIL);
    unsetenv("KMSIM_TEST_CRASH_POINT");
    runs = file_in("bug-rows", "runs.csv", NULL);
    CU_ASSERT_FATAL(runs && out);
    snprintf(want, sizeof want, "runs.csv (%zu rows)",
             count_lines(runs) - 1);
    if (!strstr(out, want))
        fprintf(stderr, "\n  want '%s' in:\n%s", want, out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    free(runs);
    free(out);
}

