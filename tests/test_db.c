/* test_db.c — the SQLite results database (sim/run/db.c): the schema made on
 * first open, the refusals (not SQLite, another application's file,
 * another schema version, a directory, a path that cannot be created),
 * a run's CSVs stored exactly (every number formatted back equals its CSV
 * text), the CSV reader on quoting, empty cells and 64-bit seeds,
 * re-import skipped, a malformed file or an interruption storing nothing,
 * and a writer waiting for another process's transaction. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "cutest.h"
#include "db.h"
#include "csv.h"
#include "cry.h"
#include "run.h"
#include "scenario.h"
#include "proto.h"

static char tmpdir[] = "/tmp/kmsim-test-db.XXXXXX";

static int suite_init(void)
{
    return cry_init() == 0 && mkdtemp(tmpdir) ? 0 : -1;
}

static int suite_clean(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* One integer from sql on the file at path (-1 on error). */
static long long q_int(const char *path, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long v = -1;

    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static int q_exec(const char *path, const char *sql)
{
    sqlite3 *h;
    int rc;

    if (sqlite3_open(path, &h) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

static void test_open_creates_schema(void)
{
    char p[512], err[512];
    int rc;
    sim_db *db;

    path_of(p, sizeof p, "new.db");
    db = sim_db_open(p, &rc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    CU_ASSERT_EQUAL(rc, SIM_EXIT_OK);
    sim_db_close(db);
    CU_ASSERT_EQUAL(q_int(p, "PRAGMA application_id"), SIM_DB_APP_ID);
    CU_ASSERT_EQUAL(q_int(p, "PRAGMA user_version"), SIM_DB_VERSION);
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM sqlite_master WHERE "
                             "type = 'table' AND name IN ('invocation', "
                             "'config', 'param', 'value', 'summary', "
                             "'replication')"), 6);
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM sqlite_master WHERE "
                             "type = 'view'"), 4);
    /* WAL is a property of the file */
    CU_ASSERT_EQUAL(q_int(p, "SELECT journal_mode = 'wal' FROM "
                             "pragma_journal_mode"), 1);
    db = sim_db_open(p, &rc, err, sizeof err);   /* reopened as is */
    CU_ASSERT_PTR_NOT_NULL(db);
    sim_db_close(db);
    sim_db_close(NULL);
    /* an empty file is an empty database: it gets the schema */
    path_of(p, sizeof p, "empty.db");
    write_file(p, "");
    db = sim_db_open(p, &rc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(db);
    sim_db_close(db);
    CU_ASSERT_EQUAL(q_int(p, "PRAGMA user_version"), SIM_DB_VERSION);
}

/* sim_db_open(path) fails with rc `want` and a message naming path and
 * containing `what`. */
static void refused(const char *path, int want, const char *what)
{
    char err[1024];
    int rc = -5;
    sim_db *db = sim_db_open(path, &rc, err, sizeof err);

    CU_ASSERT_PTR_NULL(db);
    sim_db_close(db);
    CU_ASSERT_EQUAL(rc, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
    if (!strstr(err, what))
        fprintf(stderr, "\n%s\n", err);
}

static void test_refusals(void)
{
    char p[512], sql[128];
    size_t len = 0;
    char *before, *after;

    path_of(p, sizeof p, "text.db");
    write_file(p, "metric,value\r\nnot,sqlite\r\n");
    before = cutest_slurp(p, &len);
    refused(p, SIM_EXIT_INPUT, "not an SQLite file");
    after = cutest_slurp(p, &len);
    CU_ASSERT_STRING_EQUAL(before, after);     /* left as it was */
    free(before);
    free(after);

    path_of(p, sizeof p, "other.db");
    CU_ASSERT_EQUAL(q_exec(p, "CREATE TABLE t(x)"), 0);
    refused(p, SIM_EXIT_INPUT, "another application");
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM sqlite_master"), 1);

    path_of(p, sizeof p, "v2.db");
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA "
             "user_version = 2; CREATE TABLE t(x)", SIM_DB_APP_ID);
    CU_ASSERT_EQUAL(q_exec(p, sql), 0);
    refused(p, SIM_EXIT_INPUT, "schema version 2");

    path_of(p, sizeof p, "adir");
    CU_ASSERT_EQUAL(mkdir(p, 0700), 0);
    refused(p, SIM_EXIT_INPUT, "is a directory");

    path_of(p, sizeof p, "text.db/x.db");       /* under a regular file */
    refused(p, SIM_EXIT_FAIL, "cannot open");
    CU_ASSERT_EQUAL(access(p, F_OK), -1);
}

/* A result directory written by hand: quoted cells, an empty value, a
 * seed over 2^63, a renamed parameter column and a .si twin. */
#define HDR "kmsim_version,scenario,scenario_hash,protocol,topology.sources," \
            "param.seed,traffic.size,traffic.size.si,"
#define PRE "0.1.0,hand,abc,dini,10,7,1KiB,1024,"
static void hand_dir(const char *name, const char *runs_extra)
{
    char d[512], p[600];

    path_of(d, sizeof d, name);
    CU_ASSERT_EQUAL_FATAL(mkdir(d, 0700), 0);
    snprintf(p, sizeof p, "%s/runs.csv", d);
    {
        char text[2048];
        snprintf(text, sizeof text,
                 HDR "replication,seed,metric,entity,unit,value\r\n"
                 PRE "0,18446744073709551615,\"m,1\",\"e \"\"q\"\"\",s,0.1\r\n"
                 PRE "1,5,\"m,1\",\"e \"\"q\"\"\",s,\r\n"
                 "%s", runs_extra);
        write_file(p, text);
    }
    snprintf(p, sizeof p, "%s/summary.csv", d);
    write_file(p, HDR "base_seed,metric,entity,unit,n,mean,sd,ci95_lo,"
                  "ci95_hi,min,max,replications,complete\r\n"
                  PRE "18446744073709551615,\"m,1\",\"e \"\"q\"\"\",s,1,0.1,,"
                  ",,0.1,0.1,3,0\r\n");
    snprintf(p, sizeof p, "%s/replications.csv", d);
    write_file(p, HDR "replication,seed,events,end_time_s,fingerprint\r\n"
                  PRE "0,18446744073709551615,100,60,ab\r\n"
                  PRE "1,5,90,60,cd\r\n");
}

static void test_import_hand(void)
{
    char p[512], d[512], err[1024];
    sim_db_stat st;
    int rc;
    sim_db *db;

    path_of(p, sizeof p, "hand.db");
    hand_dir("hand", "");
    path_of(d, sizeof d, "hand");
    db = sim_db_open(p, &rc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    rc = sim_db_import(db, d, NULL, &st, err, sizeof err);
    CU_ASSERT_EQUAL(rc, SIM_EXIT_OK);
    if (rc)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL(st.skipped, 0);
    CU_ASSERT_EQUAL(st.configs, 1);
    CU_ASSERT_EQUAL(st.rows, 5);
    CU_ASSERT_EQUAL(st.invocation, 1);
    /* the same files again: skipped, nothing added */
    rc = sim_db_import(db, d, NULL, &st, err, sizeof err);
    CU_ASSERT_EQUAL(rc, SIM_EXIT_OK);
    CU_ASSERT_EQUAL(st.skipped, 1);
    CU_ASSERT_EQUAL(st.invocation, 1);
    sim_db_close(db);
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM invocation"), 1);
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM value WHERE metric = "
                             "'m,1' AND entity = 'e \"q\"'"), 2);
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM value WHERE value IS "
                             "NULL AND replication = 1"), 1);
    CU_ASSERT_EQUAL(q_int(p, "SELECT value = 0.1 FROM value WHERE "
                             "replication = 0"), 1);
    CU_ASSERT_EQUAL(q_int(p, "SELECT seed = '18446744073709551615' FROM "
                             "replication WHERE replication = 0"), 1);
    CU_ASSERT_EQUAL(q_int(p, "SELECT base_seed = '18446744073709551615' "
                             "AND replications = 3 AND complete = 0 AND "
                             "params = 'topology.sources=10, param.seed=7, "
                             "traffic.size=1KiB' FROM config"), 1);
    CU_ASSERT_EQUAL(q_int(p, "SELECT sd IS NULL AND ci95_lo IS NULL AND "
                             "n = 1 FROM summary"), 1);
    CU_ASSERT_EQUAL(q_int(p, "SELECT group_concat(path || '/' || csv_column "
                             "|| '/' || value || '/' || ifnull(si, '-'), "
                             "' ') = 'topology.sources/topology.sources/10/- "
                             "seed/param.seed/7/- traffic.size/traffic.size/"
                             "1KiB/1024.0' FROM (SELECT * FROM param ORDER "
                             "BY ordinal)"), 1);
    /* no run.yaml: provenance NULL, the directory as given */
    CU_ASSERT_EQUAL(q_int(p, "SELECT command IS NULL AND command_line IS "
                             "NULL AND length(files_hash) = 64 FROM "
                             "invocation"), 1);
}

/* dir imported into a fresh database fails with rc and `what`; nothing
 * is stored. */
static void import_fails(const char *dir, const char *dbname, int want,
                         const char *what, volatile sig_atomic_t *stop)
{
    char p[512], d[512], err[1024];
    sim_db_stat st;
    int rc;
    sim_db *db;

    path_of(p, sizeof p, dbname);
    path_of(d, sizeof d, dir);
    db = sim_db_open(p, &rc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    rc = sim_db_import(db, d, stop, &st, err, sizeof err);
    sim_db_close(db);
    CU_ASSERT_EQUAL(rc, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
    if (!strstr(err, what))
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL(q_int(p, "SELECT (SELECT count(*) FROM invocation) + "
                             "(SELECT count(*) FROM config) + (SELECT "
                             "count(*) FROM summary) + (SELECT count(*) "
                             "FROM value)"), 0);
}

static void test_import_malformed(void)
{
    static const struct {
        const char *row, *what;
    } bad[] = {
        {PRE "2,5,m,e,s,zero\r\n", "runs.csv:4: column value: 'zero' is not"},
        {PRE "2,5,m,e,s\r\n", "runs.csv:4: 13 fields, the header has 14"},
        {PRE "x,5,m,e,s,1\r\n", "runs.csv:4: column replication"},
        {PRE "2,-5,m,e,s,1\r\n", "runs.csv:4: column seed"},
        {PRE "2,5,\"m,e,s,1\r\n", "runs.csv:4: a quoted field never ends"},
        {PRE "2,5,\"m\"x,e,s,1\r\n", "runs.csv:4: a character after"},
        {PRE "2,5,m\"x,e,s,1\r\n", "runs.csv:4: a quote in an unquoted"},
        {PRE "2,5,m,e,s,1", "runs.csv:4: the last row has no line end"},
        {PRE "0,5,\"m,1\",\"e \"\"q\"\"\",s,1\r\n", "UNIQUE"},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32], dbn[32];
        snprintf(name, sizeof name, "bad%zu", i);
        snprintf(dbn, sizeof dbn, "bad%zu.db", i);
        hand_dir(name, bad[i].row);
        import_fails(name, dbn, SIM_EXIT_INPUT, bad[i].what, NULL);
    }
}

static void test_import_stop(void)
{
    volatile sig_atomic_t stop = 1;

    hand_dir("stopped", "");
    import_fails("stopped", "stopped.db", SIM_EXIT_FAIL, "interrupted",
                 &stop);
    import_fails("no-such-dir", "nodir.db", SIM_EXIT_FAIL, "cannot open",
                 NULL);
}

/* Splits a CSV line without quotes into cells (in place). */
static size_t cells(char *line, char **out, size_t max)
{
    size_t n = 0;

    line[strcspn(line, "\r\n")] = '\0';
    for (char *s = line;; ) {
        char *c = strchr(s, ',');
        if (n < max)
            out[n++] = s;
        if (!c)
            break;
        *c = '\0';
        s = c + 1;
    }
    return n;
}

/* The last column of every data row of dir/runs.csv against the value
 * the database holds for that row (rowid order), formatted as
 * ana_csv_double formats: the same text. */
static void test_run_exact(void)
{
    static const char *const sets[] = {"traffic.size=64B"};
    char path[600], p[512], d[512], err[1024], line[4096];
    sim_run_opts o = {.quiet = 1};
    scenario *sc;
    sqlite3 *h;
    sqlite3_stmt *st;
    FILE *f;
    size_t rows = 0, same = 0;
    int rc;

    snprintf(path, sizeof path, "%s/scenarios/quickstart.yaml", TEST_SRCDIR);
    sc = scn_load(path, sets, 1, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    sc->replications = 2;
    path_of(d, sizeof d, "run");
    path_of(p, sizeof p, "run.db");
    o.out_dir = d;
    o.until = 5LL * 60 * 1000000000;
    o.db = p;
    rc = sim_run(sc, &o, stdout, err, sizeof err);
    scn_free(sc);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_EXIT_OK);

    snprintf(path, sizeof path, "%s/runs.csv", d);
    f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL_FATAL(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL),
                          SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(h, "SELECT metric, entity, "
                                             "value FROM value ORDER BY "
                                             "rowid", -1, &st, NULL),
                          SQLITE_OK);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));   /* header */
    while (fgets(line, sizeof line, f)) {
        char *c[32], buf[32];
        size_t n = cells(line, c, 32);

        if (sqlite3_step(st) != SQLITE_ROW)
            break;
        rows++;
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            buf[0] = '\0';
        else
            ana_csv_format_double(buf, sizeof buf,
                                  sqlite3_column_double(st, 2));
        same += n == 12 && !strcmp(c[n - 1], buf) &&
                !strcmp(c[n - 4], (const char *)sqlite3_column_text(st, 0)) &&
                !strcmp(c[n - 3], (const char *)sqlite3_column_text(st, 1));
    }
    CU_ASSERT(rows > 100);
    CU_ASSERT_EQUAL(same, rows);
    CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_DONE);     /* no extra row */
    sqlite3_finalize(st);
    sqlite3_close(h);
    fclose(f);
    /* the provenance of run.yaml: none without argv */
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM invocation WHERE "
                             "command IS NULL"), 1);
    CU_ASSERT_EQUAL(q_int(p, "SELECT count(*) FROM param WHERE path = "
                             "'traffic.size' AND si = 64"), 1);
}

/* Another process holds the write lock for 0.3 s: the import waits for
 * it (busy timeout) and succeeds. */
static void test_waits_for_writer(void)
{
    char p[512], d[512], err[1024];
    struct timeval t0, t1;
    sim_db_stat st;
    int rc, status, fds[2];
    sim_db *db;
    pid_t pid;
    char c;

    path_of(p, sizeof p, "busy.db");
    hand_dir("busy", "");
    path_of(d, sizeof d, "busy");
    db = sim_db_open(p, &rc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        sqlite3 *h;
        close(fds[0]);
        if (sqlite3_open(p, &h) != SQLITE_OK ||
            sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
                SQLITE_OK)
            _exit(1);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        usleep(300000);
        sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(h);
        _exit(0);
    }
    close(fds[1]);
    CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);    /* the child holds it */
    close(fds[0]);
    gettimeofday(&t0, NULL);
    rc = sim_db_import(db, d, NULL, &st, err, sizeof err);
    gettimeofday(&t1, NULL);
    sim_db_close(db);
    CU_ASSERT_EQUAL(rc, SIM_EXIT_OK);
    CU_ASSERT_EQUAL(st.rows, 5);
    CU_ASSERT((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_usec - t0.tv_usec) >
              150000);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("db", suite_init, suite_clean);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_open_creates_schema);
    CUTEST_ADD(s, test_refusals);
    CUTEST_ADD(s, test_import_hand);
    CUTEST_ADD(s, test_import_malformed);
    CUTEST_ADD(s, test_import_stop);
    CUTEST_ADD(s, test_run_exact);
    CUTEST_ADD(s, test_waits_for_writer);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
