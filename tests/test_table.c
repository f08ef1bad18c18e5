/* test_table.c — the terminal tables of kmsim run and compare
 * (sim/run/table.c): the unit chosen per row, 3 significant digits, the
 * "± CI" cell, floating-point noise, no exponents, and the layout
 * (alignment, cutting, spans, wrapping to 100 columns with UTF-8). */
#define _POSIX_C_SOURCE 200809L  /* open_memstream */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "table.h"
#include "units.h"

/* The unit a row of values vals[0..n) (means, half-widths NaN) gets. */
static const char *unit_of(const char *unit, const double *means, size_t n)
{
    static sim_table_fmt f;
    sim_table_val v[8];

    for (size_t i = 0; i < n; i++) {
        v[i].mean = means[i];
        v[i].hw = NAN;
    }
    sim_table_fmt_init(&f, unit, v, n);
    return f.unit;
}

/* The cell of one value alone in its row. */
static const char *cell(const char *unit, double mean, double hw)
{
    static char buf[64];
    sim_table_val v = {mean, hw};
    sim_table_fmt f;

    sim_table_fmt_init(&f, unit, &v, 1);
    sim_table_value(&f, &v, buf, sizeof buf);
    return buf;
}

static void test_unit_per_row(void)
{
    /* time: s, ms, µs, ns; 0 s stays s */
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){2.5}, 1), "s");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){0.0565185}, 1), "ms");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){5e-6}, 1), "\u00b5s");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){5e-7}, 1), "ns");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){3e-9}, 1), "ns");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){0}, 1), "s");
    /* rounded to 3 digits first: 999.7 ms is 1.00 s */
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){0.9997}, 1), "s");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){0.9994}, 1), "ms");
    /* one unit for the whole row: the largest value decides */
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){0, 2e-6, 0.0752}, 3),
                           "ms");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){NAN, 2e-6}, 2),
                           "\u00b5s");
    CU_ASSERT_STRING_EQUAL(unit_of("s", (double[]){-0.004}, 1), "ms");
    /* the half-width counts too: 0.549 s ± 6.14 s, not ms */
    {
        sim_table_val v = {0.000549, 0.00614};
        sim_table_fmt f;
        char b[64];

        sim_table_fmt_init(&f, "s", &v, 1);
        CU_ASSERT_STRING_EQUAL(f.unit, "ms");
        sim_table_value(&f, &v, b, sizeof b);
        CU_ASSERT_STRING_EQUAL(b, "0.549 \u00b1 6.14");
    }
    /* size: binary multiples */
    CU_ASSERT_STRING_EQUAL(unit_of("B", (double[]){1023}, 1), "B");
    CU_ASSERT_STRING_EQUAL(unit_of("B", (double[]){1024}, 1), "KiB");
    CU_ASSERT_STRING_EQUAL(unit_of("B", (double[]){1023.9}, 1), "KiB");
    CU_ASSERT_STRING_EQUAL(unit_of("B", (double[]){1022}, 1), "B");
    CU_ASSERT_STRING_EQUAL(unit_of("B", (double[]){3.0 * 1048576}, 1),
                           "MiB");
    CU_ASSERT_STRING_EQUAL(unit_of("B", (double[]){5.0 * 1073741824}, 1),
                           "GiB");
    /* counts: a prefix from 10^4 on; a ratio ("1") has no unit */
    CU_ASSERT_STRING_EQUAL(unit_of("msg", (double[]){9994}, 1), "msg");
    CU_ASSERT_STRING_EQUAL(unit_of("msg", (double[]){12345}, 1), "kmsg");
    CU_ASSERT_STRING_EQUAL(unit_of("op", (double[]){2.5e7}, 1), "Mop");
    CU_ASSERT_STRING_EQUAL(unit_of("1", (double[]){0.968}, 1), "");
    CU_ASSERT_STRING_EQUAL(unit_of("1", (double[]){2e4}, 1), "k");
    CU_ASSERT_STRING_EQUAL(unit_of("1/s", (double[]){0.32}, 1), "1/s");
}

static void test_significant_digits(void)
{
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0565185, NAN), "56.5");
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0564999, NAN), "56.5");
    CU_ASSERT_STRING_EQUAL(cell("s", 2.25, NAN), "2.25");
    CU_ASSERT_STRING_EQUAL(cell("1", 0.0329, NAN), "0.0329");
    CU_ASSERT_STRING_EQUAL(cell("msg", 1234.5, NAN), "1230");
    CU_ASSERT_STRING_EQUAL(cell("msg", 9994, NAN), "9990");
    CU_ASSERT_STRING_EQUAL(cell("msg", 9999, NAN), "10");    /* kmsg */
    CU_ASSERT_STRING_EQUAL(cell("msg", 12345, NAN), "12.3");
    CU_ASSERT_STRING_EQUAL(cell("msg", 20, NAN), "20");
    CU_ASSERT_STRING_EQUAL(cell("B", 1034, NAN), "1.01");    /* KiB */
    CU_ASSERT_STRING_EQUAL(cell("B", 1022, NAN), "1020");
    CU_ASSERT_STRING_EQUAL(cell("s", 0.9997, NAN), "1");
    CU_ASSERT_STRING_EQUAL(cell("1", -0.0123456, NAN), "-0.0123");
    CU_ASSERT_STRING_EQUAL(cell("1", NAN, NAN), "-");
    CU_ASSERT_STRING_EQUAL(cell("1", INFINITY, NAN), "inf");
    /* below 1e-4 of the unit: fixed notation, 3 significant digits */
    CU_ASSERT_STRING_EQUAL(cell("1", 8.95e-5, NAN), "0.0000895");
    CU_ASSERT_STRING_EQUAL(cell("1", 1.5e-7, NAN), "0.00000015");
    {
        /* a small value in a row whose unit a larger one chose */
        sim_table_val v[2] = {{0.0401, NAN}, {8.95e-8, NAN}};
        sim_table_fmt f;
        char b[64];

        sim_table_fmt_init(&f, "s", v, 2);
        sim_table_num(&f, v[1].mean, b, sizeof b);
        CU_ASSERT_STRING_EQUAL(b, "0.0000895");
    }
}

static void test_no_exponent(void)
{
    static const char *const units[] = {"s", "B", "msg", "1"};
    char b[64];

    /* any magnitude, in any unit, alone or beside a value 10^6 larger */
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
        for (int e = -12; e <= 13; e++)
            for (int big = 0; big < 2; big++) {
                double x = 3.14159 * pow(10, e);
                sim_table_val v[2] = {{x, x / 7}, {big ? x * 1e6 : x, NAN}};
                sim_table_fmt f;

                sim_table_fmt_init(&f, units[u], v, 2);
                sim_table_value(&f, &v[0], b, sizeof b);
                if (strpbrk(b, "eE"))
                    fprintf(stderr, "\n  exponent: %s %s\n", b, f.unit);
                CU_ASSERT_PTR_NULL(strpbrk(b, "eE"));
            }
}

static void test_ci(void)
{
    char b[64];

    CU_ASSERT_STRING_EQUAL(cell("s", 0.0565185, 0.00149), "56.5 \u00b1 1.49");
    CU_ASSERT_STRING_EQUAL(cell("s", 0.291, 0.139), "291 \u00b1 139");
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0752, 0), "75.2 \u00b1 0");
    /* at most one decimal beyond the mean's (72 is 72.0 at 3 digits) */
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0720, 0.0000214), "72 \u00b1 0.02");
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0772, 0.000283), "77.2 \u00b1 0.28");
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0401, 8.95e-8), "40.1 \u00b1 0");
    CU_ASSERT_STRING_EQUAL(cell("1", 0.032, 0.00193), "0.032 \u00b1 0.00193");
    /* cut digits are rounded, and trailing zeros go as in the mean */
    CU_ASSERT_STRING_EQUAL(cell("B", 528, 0.977), "528 \u00b1 1");
    CU_ASSERT_STRING_EQUAL(cell("1", 441, 9.11), "441 \u00b1 9.1");
    CU_ASSERT_STRING_EQUAL(cell("1", 10, 0.0678), "10 \u00b1 0.07");
    /* a mean of 0: the interval keeps its 3 digits */
    CU_ASSERT_STRING_EQUAL(cell("1", 0, 0.00123), "0 \u00b1 0.00123");
    /* no interval (one replication): the mean alone */
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0752, NAN), "75.2");
    {
        sim_table_val v = {0.291, 0.139};
        sim_table_fmt f;

        sim_table_fmt_init(&f, "s", &v, 1);
        sim_table_ci(&f, &v, b, sizeof b);
        CU_ASSERT_STRING_EQUAL(b, "\u00b1 139");
        CU_ASSERT_EQUAL(sim_units_cols(b), 5);  /* ± is one column */
    }
}

static void test_noise(void)
{
    char b[64];

    /* rounding noise of a CI over identical values (issue 21) */
    CU_ASSERT_STRING_EQUAL(cell("s", 0.0565, 3.47e-18), "56.5 \u00b1 0");
    CU_ASSERT_STRING_EQUAL(cell("1", 1, 3.47e-18), "1 \u00b1 0");
    /* and a mean that is noise beside the rest of its row: 0, not -0 */
    {
        sim_table_val v[2] = {{-1e-20, NAN}, {0.5, NAN}};
        sim_table_fmt f;

        sim_table_fmt_init(&f, "1", v, 2);
        sim_table_num(&f, v[0].mean, b, sizeof b);
        CU_ASSERT_STRING_EQUAL(b, "0");
    }
    /* not noise: a real small value alone in its row */
    CU_ASSERT_STRING_EQUAL(cell("1", 3.47e-18, NAN), "0.00000000000000000347");
    CU_ASSERT_STRING_EQUAL(cell("1", -0.0000001, NAN), "-0.0000001");
}

/* What sim_table_print writes, malloc'd. */
static char *render(const sim_table *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    sim_table_print(t, f);
    fclose(f);
    return buf;
}

/* The widest line of text (terminal columns); *lines gets their count,
 * *trailing whether a line ends with a space. */
static size_t widest(char *text, size_t *lines, int *trailing)
{
    size_t max = 0;

    *lines = 0;
    *trailing = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        size_t c = sim_units_cols(l);
        if (c > max)
            max = c;
        if (*l && l[strlen(l) - 1] == ' ')
            *trailing = 1;
        ++*lines;
    }
    return max;
}

static void test_layout(void)
{
    static const sim_table_col cols[] = {
        {2, 6, SIM_TABLE_LEFT, SIM_TABLE_CUT},
        {1, 0, SIM_TABLE_LEFT, SIM_TABLE_WIDEN},
        {1, 4, SIM_TABLE_RIGHT, SIM_TABLE_OVERFLOW},
        {1, 0, SIM_TABLE_LEFT, SIM_TABLE_WIDEN},
        {1, 3, SIM_TABLE_RIGHT, SIM_TABLE_OVERFLOW},
    };
    sim_table *t = sim_table_new(cols, 5, 5);
    char *out;

    sim_table_head(t, (const char *const[]){"", "metric", "mean", "unit",
                                            "th", });
    sim_table_head(t, (const char *const[]){"", "", "", "at the", NULL});
    sim_table_group(t, "group");
    /* cut at 6 columns, whole characters: "µµµµµµµ" is 14 bytes */
    sim_table_row(t, (const char *const[]){"\u00b5\u00b5\u00b5\u00b5\u00b5"
                                           "\u00b5\u00b5", "a.b", "1.5",
                                           "\u00b5s", ""});
    sim_table_row(t, (const char *const[]){"x", "c", "12345", "kB", "7"});
    out = render(t);
    CU_ASSERT_STRING_EQUAL(out,
        "         metric mean unit  th\n"
        /* "at the" spans unit and th, right-aligned over both */
        "                       at the\n"
        "group\n"
        "  \u00b5\u00b5\u00b5\u00b5\u00b5\u00b5 a.b     1.5 \u00b5s\n"
        "  x      c      12345 kB     7\n");
    free(out);
    sim_table_free(t);
    sim_table_free(NULL);
}

static void test_wrap(void)
{
    enum { NP = 12 };
    sim_table_col cols[NP + 2];
    const char *head[NP + 2], *row[NP + 2];
    char names[NP][32], *out;
    sim_table *t;
    size_t lines, w;
    int trailing;

    cols[0] = (sim_table_col){0, 0, SIM_TABLE_LEFT, SIM_TABLE_WIDEN};
    cols[1] = (sim_table_col){2, 0, SIM_TABLE_LEFT, SIM_TABLE_WIDEN};
    head[0] = "metric";
    head[1] = "unit";
    row[0] = "delay.\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5"
             "\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5\u00b5.fraction";
    row[1] = "\u00b5s";
    for (size_t i = 0; i < NP; i++) {
        cols[i + 2] = (sim_table_col){2, 0, SIM_TABLE_RIGHT,
                                      SIM_TABLE_WIDEN};
        snprintf(names[i], sizeof names[i], "protocol%zu", i);
        head[i + 2] = names[i];
        row[i + 2] = "0.0000895 \u00b1 0.00123";   /* 19 columns, 20 bytes */
    }
    t = sim_table_new(cols, NP + 2, 2);
    sim_table_head(t, head);
    sim_table_row(t, row);
    sim_table_row(t, row);
    w = sim_table_width(t);
    CU_ASSERT(w <= SIM_TABLE_COLS);
    CU_ASSERT(w > SIM_TABLE_COLS - 21);    /* as many as fit */
    out = render(t);
    /* every protocol exactly once */
    for (size_t i = 0; i < NP; i++) {
        char *p = strstr(out, names[i]);
        size_t n = strlen(names[i]);

        CU_ASSERT_PTR_NOT_NULL(p);
        /* protocol1 must not match protocol10's start: whole words */
        while (p && p[n] != ' ' && p[n] != '\n')
            p = strstr(p + 1, names[i]);
        CU_ASSERT_PTR_NOT_NULL(p);
        if (p) {
            char *q = strstr(p + 1, names[i]);
            while (q && q[n] != ' ' && q[n] != '\n')
                q = strstr(q + 1, names[i]);
            CU_ASSERT_PTR_NULL(q);
        }
    }
    /* counted in columns, the lines fit, though in bytes they do not */
    CU_ASSERT(strlen(strchr(out, '\n') + 1) > 0);
    {
        char *copy = strdup(out);
        size_t maxb = 0;

        for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n"))
            if (strlen(l) > maxb)
                maxb = strlen(l);
        CU_ASSERT(maxb > SIM_TABLE_COLS);
        free(copy);
    }
    CU_ASSERT(widest(out, &lines, &trailing) <= SIM_TABLE_COLS);
    CU_ASSERT_FALSE(trailing);
    /* 12 columns of 2 + 19 beside 35 + 2 + 4 fixed ones: 2 a block, 6
     * blocks of 3 lines */
    CU_ASSERT_EQUAL(w, 41 + 2 * 21);
    CU_ASSERT_EQUAL(lines, 6 * 3);
    free(out);
    sim_table_free(t);
}

/* One column wider than the limit still prints (alone in its block). */
static void test_wrap_wide_column(void)
{
    static const sim_table_col cols[] = {
        {0, 0, SIM_TABLE_LEFT, SIM_TABLE_WIDEN},
        {2, 0, SIM_TABLE_RIGHT, SIM_TABLE_WIDEN},
        {2, 0, SIM_TABLE_RIGHT, SIM_TABLE_WIDEN},
    };
    char wide[128];
    sim_table *t = sim_table_new(cols, 3, 1);
    char *out;

    memset(wide, 'w', 110);
    wide[110] = '\0';
    sim_table_row(t, (const char *const[]){"m", wide, "1"});
    out = render(t);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, wide));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n\nm  1\n"));
    free(out);
    sim_table_free(t);
}

static int register_tests(void)
{
    CU_pSuite n = CU_add_suite("table_numbers", NULL, NULL);
    CU_pSuite l = CU_add_suite("table_layout", NULL, NULL);

    if (!n || !l)
        return -1;
    CUTEST_ADD(n, test_unit_per_row);
    CUTEST_ADD(n, test_significant_digits);
    CUTEST_ADD(n, test_no_exponent);
    CUTEST_ADD(n, test_ci);
    CUTEST_ADD(n, test_noise);
    CUTEST_ADD(l, test_layout);
    CUTEST_ADD(l, test_wrap);
    CUTEST_ADD(l, test_wrap_wide_column);
    return 0;
}

CUTEST_MAIN(register_tests)
