/* test_csv.c — the CSV writer: RFC 4180 quoting and CRLF rows, shortest
 * round-trip doubles, atomic commit over an existing file, and failures
 * (missing directory, write error, rename over a directory, abort) that
 * leave nothing behind.  Files live in a mkdtemp() directory removed at
 * the end. */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700   /* POSIX.1-2008 + XSI: nftw, mkdtemp */
#endif
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cutest.h"
#include "csv.h"

static char dir[64];

/* Number of entries in `d` other than . and .. (-1 on error). */
static int count_entries(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *de;
    int n = 0;

    if (!dp)
        return -1;
    while ((de = readdir(dp)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(dp);
    return n;
}

/* Reads a whole file into buf (NUL-terminated); returns its length or -1. */
static long slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return -1;
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

static void join(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static int suite_init(void)
{
    snprintf(dir, sizeof dir, "/tmp/kmsim_test_csv.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes whatever a failed test left behind, then the directory. */
static int suite_clean(void)
{
    return nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Runs last: every test removed what it made, so nothing is left. */
static void test_nothing_left(void)
{
    CU_ASSERT_EQUAL(count_entries(dir), 0);
}

static void check_format(double x, const char *want)
{
    char buf[32];

    ana_csv_format_double(buf, sizeof buf, x);
    CU_ASSERT_STRING_EQUAL(buf, want);
    if (strcmp(buf, want))
        fprintf(stderr, "\nformat: got \"%s\", want \"%s\"\n", buf, want);
}

static void check_roundtrip(double x)
{
    char buf[32];

    ana_csv_format_double(buf, sizeof buf, x);
    CU_ASSERT(strtod(buf, NULL) == x);
    CU_ASSERT(strchr(buf, ',') == NULL);
}

static void test_format_double(void)
{
    check_format(3.0, "3");
    check_format(-42.0, "-42");
    check_format(0.0, "0");
    check_format(-0.0, "0");
    check_format(0.1, "0.1");
    check_format(1.0 / 3.0, "0.3333333333333333");
    check_format(2.0 / 3.0, "0.6666666666666666");
    check_format(0.1 + 0.2, "0.30000000000000004");
    check_format(1e300, "1e+300");
    check_format(5e-324, "4.94065645841247e-324");
    check_format(2.6087, "2.6087");
    check_format(1e15, "1e+15");
    check_format(123456789012345.0, "123456789012345");
    check_format(9007199254740993.0, "9007199254740992");
    check_format(NAN, "");
    check_format(INFINITY, "");
    check_format(-INFINITY, "");

    check_roundtrip(1.0 / 3.0);
    check_roundtrip(5e-324);
    check_roundtrip(1.7976931348623157e308);
    check_roundtrip(-2.2250738585072014e-308);
    check_roundtrip(1.0 / 60.0);
    for (int i = 1; i < 2000; i++)
        check_roundtrip(sin(i) * pow(10.0, i % 40 - 20));
}

static void test_write_quoting(void)
{
    static const char want[] =
        "plain,,\"a,b\",\"say \"\"hi\"\"\",\"\"\"\",\"two\nlines\","
        "\"cr\rhere\",\"crlf\r\n\", lead space \r\n"
        "3,0.1,,-7,18446744073709551615,-9223372036854775808\r\n"
        "\r\n"
        "last\r\n";
    char path[128], tmp[160], err[256], buf[512];
    ana_csv *c;

    join(path, sizeof path, "q.csv");
    c = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    /* The temporary is "<path>.tmp.<pid>" until commit. */
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CU_ASSERT_EQUAL(access(tmp, F_OK), 0);
    CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);

    ana_csv_str(c, "plain");
    ana_csv_str(c, "");
    ana_csv_str(c, "a,b");
    ana_csv_str(c, "say \"hi\"");
    ana_csv_str(c, "\"");
    ana_csv_str(c, "two\nlines");
    ana_csv_str(c, "cr\rhere");
    ana_csv_str(c, "crlf\r\n");
    ana_csv_str(c, " lead space ");
    ana_csv_endrow(c);
    ana_csv_double(c, 3.0);
    ana_csv_double(c, 0.1);
    ana_csv_double(c, NAN);
    ana_csv_i64(c, -7);
    ana_csv_u64(c, UINT64_MAX);
    ana_csv_i64(c, INT64_MIN);
    ana_csv_endrow(c);
    ana_csv_endrow(c);
    ana_csv_str(c, "last");
    ana_csv_endrow(c);
    CU_ASSERT_EQUAL(ana_csv_commit(c, err, sizeof err), 0);

    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
    CU_ASSERT_EQUAL(slurp(path, buf, sizeof buf), (long)strlen(want));
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(unlink(path), 0);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
}

/* Until commit the old file is intact; after it, the new one is whole. */
static void test_commit_replaces(void)
{
    char path[128], err[256], buf[256];
    FILE *f;
    ana_csv *c;

    join(path, sizeof path, "r.csv");
    f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("old,content\r\n", f);
    fclose(f);

    c = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ana_csv_str(c, "metric");
    ana_csv_str(c, "value");
    ana_csv_endrow(c);
    ana_csv_str(c, "W");
    ana_csv_double(c, 1.0 / (0.4 - 1.0 / 60.0));
    ana_csv_endrow(c);
    slurp(path, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "old,content\r\n");
    CU_ASSERT_EQUAL(count_entries(dir), 2);
    CU_ASSERT_EQUAL(ana_csv_commit(c, err, sizeof err), 0);
    slurp(path, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "metric,value\r\nW,2.608695652173913\r\n");
    CU_ASSERT_EQUAL(count_entries(dir), 1);
    CU_ASSERT_EQUAL(unlink(path), 0);
}

static void test_abort(void)
{
    char path[128], err[256], buf[64];
    FILE *f;
    ana_csv *c;

    join(path, sizeof path, "a.csv");
    c = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ana_csv_str(c, "partial");
    ana_csv_endrow(c);
    ana_csv_abort(c);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    ana_csv_abort(NULL);

    /* Abort leaves an existing target alone. */
    f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("keep\r\n", f);
    fclose(f);
    c = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ana_csv_str(c, "new");
    ana_csv_abort(c);
    slurp(path, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "keep\r\n");
    CU_ASSERT_EQUAL(count_entries(dir), 1);
    CU_ASSERT_EQUAL(unlink(path), 0);
}

static void test_open_fails(void)
{
    char path[128], err[512];

    join(path, sizeof path, "no/such/dir/out.csv");
    memset(err, 0, sizeof err);
    CU_ASSERT_PTR_NULL(ana_csv_open(path, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(ENOENT)));
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    /* A too-small or absent message buffer is fine. */
    CU_ASSERT_PTR_NULL(ana_csv_open(path, err, 8));
    CU_ASSERT_EQUAL(strlen(err), 7);
    CU_ASSERT_PTR_NULL(ana_csv_open(path, NULL, 0));
}

/* Renaming over a non-empty directory fails at commit: the message names
 * the path, the temporary is gone, the directory untouched. */
static void test_commit_fails(void)
{
    char path[128], inner[160], err[512];
    ana_csv *c;
    FILE *f;

    join(path, sizeof path, "isdir");
    CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
    snprintf(inner, sizeof inner, "%s/x", path);
    f = fopen(inner, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);

    c = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ana_csv_str(c, "x");
    ana_csv_endrow(c);
    memset(err, 0, sizeof err);
    CU_ASSERT_EQUAL(ana_csv_commit(c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT(strstr(err, strerror(EISDIR)) || strstr(err, strerror(ENOTEMPTY)) ||
              strstr(err, strerror(EEXIST)));
    CU_ASSERT_EQUAL(count_entries(dir), 1);
    CU_ASSERT_EQUAL(count_entries(path), 1);
    CU_ASSERT_EQUAL(unlink(inner), 0);
    CU_ASSERT_EQUAL(rmdir(path), 0);
}

/* A write error (here the file-size limit, EFBIG) is sticky: later rows
 * are dropped and commit fails naming the path, removing the temporary
 * and leaving the old file. */
static void test_write_fails(void)
{
    char path[128], err[512], buf[64];
    struct rlimit old, lim;
    void (*oldsig)(int);
    FILE *f;
    ana_csv *c;
    int rc;

    join(path, sizeof path, "big.csv");
    f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("old\r\n", f);
    fclose(f);

    c = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    oldsig = signal(SIGXFSZ, SIG_IGN);
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (int i = 0; i < 10000; i++) {
        ana_csv_str(c, "row");
        ana_csv_i64(c, i);
        ana_csv_endrow(c);
    }
    memset(err, 0, sizeof err);
    rc = ana_csv_commit(c, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, oldsig);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(EFBIG)));
    slurp(path, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "old\r\n");
    CU_ASSERT_EQUAL(count_entries(dir), 1);
    CU_ASSERT_EQUAL(unlink(path), 0);
}

/* A temporary left by a crashed process with our pid is replaced. */
static void test_stale_tmp(void)
{
    char path[128], tmp[160], err[256], buf[64];
    FILE *f;
    ana_csv *c;

    join(path, sizeof path, "s.csv");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("stale stale stale\r\n", f);
    fclose(f);
    c = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ana_csv_u64(c, 1);
    ana_csv_endrow(c);
    CU_ASSERT_EQUAL(ana_csv_commit(c, err, sizeof err), 0);
    slurp(path, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "1\r\n");
    CU_ASSERT_EQUAL(count_entries(dir), 1);
    CU_ASSERT_EQUAL(unlink(path), 0);
}

/* ---- the reader (ana_csv_in) ---- */

/* Writes text to dir/name and loads it; returns the load's status. */
static int load_text(ana_csv_in *c, char *path, size_t len, const char *name,
                     const char *text, char *err, size_t errlen)
{
    FILE *f;

    join(path, len, name);
    f = fopen(path, "wb");
    if (!f)
        return -2;
    fputs(text, f);
    fclose(f);
    return ana_csv_in_load(c, path, err, errlen);
}

/* What the writer writes, the reader reads back field for field:
 * quotes, commas, CR and LF inside fields, empty fields, CRLF rows. */
static void test_read_round_trip(void)
{
    char path[128], err[256];
    const char *cells[] = {"plain", "with,comma", "with \"quote\"",
                           "two\nlines", "cr\rlf", ""};
    ana_csv *w;
    ana_csv_in c;

    join(path, sizeof path, "rt.csv");
    w = ana_csv_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (size_t i = 0; i < 6; i++)
        ana_csv_str(w, cells[i]);
    ana_csv_endrow(w);
    ana_csv_double(w, 0.1);
    ana_csv_u64(w, UINT64_MAX);
    ana_csv_endrow(w);
    CU_ASSERT_EQUAL_FATAL(ana_csv_commit(w, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(ana_csv_in_load(&c, path, err, sizeof err), 0);
    CU_ASSERT_EQUAL(ana_csv_in_row(&c, err, sizeof err), 1);
    CU_ASSERT_EQUAL_FATAL(c.nf, 6);
    for (size_t i = 0; i < 6; i++)
        CU_ASSERT_STRING_EQUAL(c.f[i], cells[i]);
    CU_ASSERT_EQUAL(c.line, 1);
    CU_ASSERT_EQUAL(ana_csv_in_row(&c, err, sizeof err), 1);
    CU_ASSERT_EQUAL(c.line, 3);       /* the quoted LF took a line */
    CU_ASSERT_EQUAL_FATAL(c.nf, 2);
    CU_ASSERT_STRING_EQUAL(c.f[0], "0.1");
    CU_ASSERT_STRING_EQUAL(c.f[1], "18446744073709551615");
    CU_ASSERT_EQUAL(ana_csv_in_row(&c, err, sizeof err), 0);
    ana_csv_in_free(&c);
}

/* Malformed input: refused naming file:line, never read past. */
static void test_read_malformed(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"a,b\r\n\"open,c\r\n", ":2: a quoted field never ends"},
        {"a,b\r\nx\"y,c\r\n", ":2: a quote in an unquoted field"},
        {"\"q\"x,b\r\n", ":1: a character after a quoted field"},
        {"a,b\r\nc,d", ":2: the last row has no line end"},
    };
    char path[128], err[256];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ana_csv_in c;
        int r;

        CU_ASSERT_EQUAL_FATAL(load_text(&c, path, sizeof path, "bad.csv",
                                        bad[i].text, err, sizeof err), 0);
        while ((r = ana_csv_in_row(&c, err, sizeof err)) == 1)
            ;
        CU_ASSERT_EQUAL(r, -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].want));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.csv"));
        ana_csv_in_free(&c);
    }
    /* LF-only rows are accepted too */
    {
        ana_csv_in c;

        CU_ASSERT_EQUAL_FATAL(load_text(&c, path, sizeof path, "lf.csv",
                                        "a,b\nc,\n", err, sizeof err), 0);
        CU_ASSERT_EQUAL(ana_csv_in_row(&c, err, sizeof err), 1);
        CU_ASSERT_EQUAL(ana_csv_in_row(&c, err, sizeof err), 1);
        CU_ASSERT_EQUAL(c.nf, 2);
        CU_ASSERT_STRING_EQUAL(c.f[1], "");
        CU_ASSERT_EQUAL(ana_csv_in_row(&c, err, sizeof err), 0);
        ana_csv_in_free(&c);
    }
    join(path, sizeof path, "missing.csv");
    {
        ana_csv_in c;

        CU_ASSERT_EQUAL(ana_csv_in_load(&c, path, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing.csv: cannot open"));
        ana_csv_in_free(&c);
    }
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("csv", suite_init, suite_clean);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_format_double);
    CUTEST_ADD(s, test_write_quoting);
    CUTEST_ADD(s, test_commit_replaces);
    CUTEST_ADD(s, test_abort);
    CUTEST_ADD(s, test_open_fails);
    CUTEST_ADD(s, test_commit_fails);
    CUTEST_ADD(s, test_write_fails);
    CUTEST_ADD(s, test_stale_tmp);
    CUTEST_ADD(s, test_nothing_left);
    CUTEST_ADD(s, test_read_round_trip);
    CUTEST_ADD(s, test_read_malformed);
    return 0;
}

CUTEST_MAIN(register_tests)
