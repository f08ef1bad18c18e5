/* test_units.c — quantities with units: every unit of every dimension,
 * the bare-zero rule, each error class with its message and offset, the
 * "C" locale rule, and format/parse round trips. */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include "cutest.h"
#include "units.h"
#include "util.h"

static double parse_ok(const char *text, sim_dim dim)
{
    char err[256] = "";
    double v = NAN;
    int rc = sim_units_parse(text, dim, &v, err, sizeof err, NULL);
    if (rc != 0)
        fprintf(stderr, "\n  unexpected error for '%s': %s\n", text, err);
    CU_ASSERT_EQUAL(rc, 0);
    return v;
}

/* Expects a failure with exactly `msg` at offset `col`. */
static void parse_err(const char *text, sim_dim dim, const char *msg,
                      size_t col)
{
    char err[256] = "";
    size_t c = 9999;
    double v = 42;
    int rc = sim_units_parse(text, dim, &v, err, sizeof err, &c);

    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(v, 42);  /* untouched on error */
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n  '%s': got \"%s\"\n  expected \"%s\"\n", text,
                err, msg);
    CU_ASSERT_STRING_EQUAL(err, msg);
    if (c != col)
        fprintf(stderr, "\n  '%s': offset %zu, expected %zu\n", text, c, col);
    CU_ASSERT_EQUAL(c, col);
}

static void test_time(void)
{
    CU_ASSERT_EQUAL(parse_ok("5ns", SIM_DIM_TIME), 5e-9);
    CU_ASSERT_EQUAL(parse_ok("5us", SIM_DIM_TIME), 5e-6);
    CU_ASSERT_EQUAL(parse_ok("5ms", SIM_DIM_TIME), 0.005);
    CU_ASSERT_EQUAL(parse_ok("5s", SIM_DIM_TIME), 5.0);
    CU_ASSERT_EQUAL(parse_ok("2min", SIM_DIM_TIME), 120.0);
    CU_ASSERT_EQUAL(parse_ok("1.5h", SIM_DIM_TIME), 5400.0);
    CU_ASSERT_EQUAL(parse_ok("2.5 s", SIM_DIM_TIME), 2.5);
    CU_ASSERT_EQUAL(parse_ok("1e3ms", SIM_DIM_TIME), 1.0);
    CU_ASSERT_EQUAL(parse_ok("1E-3s", SIM_DIM_TIME), 0.001);
    CU_ASSERT_EQUAL(parse_ok("+.5s", SIM_DIM_TIME), 0.5);
    CU_ASSERT_EQUAL(parse_ok("5.s", SIM_DIM_TIME), 5.0);
    CU_ASSERT_EQUAL(parse_ok("-3ms", SIM_DIM_TIME), -0.003);
    CU_ASSERT_EQUAL(parse_ok("10min ", SIM_DIM_TIME), 600.0);
}

static void test_size_rate_length_freq(void)
{
    CU_ASSERT_EQUAL(parse_ok("64B", SIM_DIM_SIZE), 64.0);
    CU_ASSERT_EQUAL(parse_ok("1KiB", SIM_DIM_SIZE), 1024.0);
    CU_ASSERT_EQUAL(parse_ok("2MiB", SIM_DIM_SIZE), 2097152.0);
    CU_ASSERT_EQUAL(parse_ok("1GiB", SIM_DIM_SIZE), 1073741824.0);
    CU_ASSERT_EQUAL(parse_ok("1kB", SIM_DIM_SIZE), 1000.0);
    CU_ASSERT_EQUAL(parse_ok("1.5MB", SIM_DIM_SIZE), 1.5e6);
    CU_ASSERT_EQUAL(parse_ok("3GB", SIM_DIM_SIZE), 3e9);
    CU_ASSERT_EQUAL(parse_ok("9600bps", SIM_DIM_RATE), 9600.0);
    CU_ASSERT_EQUAL(parse_ok("250kbps", SIM_DIM_RATE), 250e3);
    CU_ASSERT_EQUAL(parse_ok("100Mbps", SIM_DIM_RATE), 100e6);
    CU_ASSERT_EQUAL(parse_ok("1Gbps", SIM_DIM_RATE), 1e9);
    CU_ASSERT_EQUAL(parse_ok("5mm", SIM_DIM_LENGTH), 0.005);
    CU_ASSERT_EQUAL(parse_ok("5cm", SIM_DIM_LENGTH), 0.05);
    CU_ASSERT_EQUAL(parse_ok("120m", SIM_DIM_LENGTH), 120.0);
    CU_ASSERT_EQUAL(parse_ok("1.2km", SIM_DIM_LENGTH), 1200.0);
    CU_ASSERT_EQUAL(parse_ok("5Hz", SIM_DIM_FREQ), 5.0);
    CU_ASSERT_EQUAL(parse_ok("2/s", SIM_DIM_FREQ), 2.0);
    CU_ASSERT_EQUAL(parse_ok("10/min", SIM_DIM_FREQ), 10.0 / 60);
    CU_ASSERT_EQUAL(parse_ok("36 /h", SIM_DIM_FREQ), 0.01);
}

static void test_zero_and_none(void)
{
    CU_ASSERT_EQUAL(parse_ok("0", SIM_DIM_TIME), 0.0);
    CU_ASSERT_EQUAL(parse_ok("0", SIM_DIM_SIZE), 0.0);
    CU_ASSERT_EQUAL(parse_ok("0.0", SIM_DIM_RATE), 0.0);
    CU_ASSERT_EQUAL(parse_ok("-0", SIM_DIM_LENGTH), 0.0);
    CU_ASSERT_EQUAL(parse_ok("0e5", SIM_DIM_FREQ), 0.0);
    CU_ASSERT_EQUAL(parse_ok("0s", SIM_DIM_TIME), 0.0);
    CU_ASSERT_EQUAL(parse_ok("0.25", SIM_DIM_NONE), 0.25);
    CU_ASSERT_EQUAL(parse_ok("-7", SIM_DIM_NONE), -7.0);
    CU_ASSERT_EQUAL(parse_ok("1e-2", SIM_DIM_NONE), 0.01);
    CU_ASSERT_EQUAL(parse_ok("1e308", SIM_DIM_NONE), 1e308);
    CU_ASSERT_EQUAL(parse_ok("1e-400", SIM_DIM_NONE), 0.0);
}

static void test_errors(void)
{
    parse_err("5", SIM_DIM_TIME,
              "missing time unit in '5' (use ns, us, ms, s, min, h)", 1);
    parse_err("5", SIM_DIM_SIZE,
              "missing size unit in '5' (use B, KiB, MiB, GiB, kB, MB, GB)",
              1);
    parse_err("2.5e3", SIM_DIM_RATE,
              "missing rate unit in '2.5e3' (use bps, kbps, Mbps, Gbps)", 5);
    parse_err("3", SIM_DIM_FREQ,
              "missing frequency unit in '3' (use Hz, /s, /min, /h)", 1);
    parse_err("5sec", SIM_DIM_TIME,
              "unknown time unit 'sec' (use ns, us, ms, s, min, h)", 1);
    parse_err("5 KB", SIM_DIM_SIZE,
              "unknown size unit 'KB' (use B, KiB, MiB, GiB, kB, MB, GB)", 2);
    parse_err("5ms", SIM_DIM_SIZE, "'5ms' is a time, expected a size", 1);
    parse_err("1KiB", SIM_DIM_TIME, "'1KiB' is a size, expected a time", 1);
    parse_err("3m", SIM_DIM_TIME, "'3m' is a length, expected a time", 1);
    parse_err("2/s", SIM_DIM_RATE, "'2/s' is a frequency, expected a rate",
              1);
    parse_err("5ms", SIM_DIM_NONE, "'5ms' is a time, expected a plain number",
              1);
    parse_err("5x", SIM_DIM_NONE, "expected a number, got '5x'", 1);
    parse_err("abc", SIM_DIM_TIME,
              "expected a number with a time unit, got 'abc'", 0);
    parse_err("", SIM_DIM_TIME, "expected a number with a time unit, got ''",
              0);
    parse_err(" 5s", SIM_DIM_TIME,
              "expected a number with a time unit, got ' 5s'", 0);
    parse_err("-", SIM_DIM_NONE, "expected a number, got '-'", 0);
    parse_err(".", SIM_DIM_NONE, "expected a number, got '.'", 0);
    parse_err("0x10", SIM_DIM_NONE, "expected a number, got '0x10'", 1);
    parse_err("inf", SIM_DIM_NONE, "'inf' is not a finite number", 0);
    parse_err("-Infinity s", SIM_DIM_TIME,
              "'-Infinity s' is not a finite number", 0);
    parse_err("NaN", SIM_DIM_SIZE, "'NaN' is not a finite number", 0);
    parse_err("1e999s", SIM_DIM_TIME, "number out of range in '1e999s'", 0);
    parse_err("1e308GB", SIM_DIM_SIZE, "number out of range in '1e308GB'", 0);
    parse_err("5ms x", SIM_DIM_TIME, "trailing characters in '5ms x'", 4);
    parse_err("5sec x", SIM_DIM_TIME,
              "unknown time unit 'sec' (use ns, us, ms, s, min, h)", 1);
    parse_err("5ms,", SIM_DIM_TIME, "trailing characters in '5ms,'", 3);
    parse_err("1.2.3s", SIM_DIM_TIME, "trailing characters in '1.2.3s'", 3);
    parse_err("5%", SIM_DIM_NONE, "trailing characters in '5%'", 1);
    parse_err("5 ms\n", SIM_DIM_TIME, "trailing characters in '5 ms\\n'", 4);
}

static void test_names(void)
{
    CU_ASSERT_STRING_EQUAL(sim_dim_name(SIM_DIM_TIME), "time");
    CU_ASSERT_STRING_EQUAL(sim_dim_name(SIM_DIM_SIZE), "size");
    CU_ASSERT_STRING_EQUAL(sim_dim_name(SIM_DIM_RATE), "rate");
    CU_ASSERT_STRING_EQUAL(sim_dim_name(SIM_DIM_LENGTH), "length");
    CU_ASSERT_STRING_EQUAL(sim_dim_name(SIM_DIM_FREQ), "frequency");
    CU_ASSERT_STRING_EQUAL(sim_dim_unit(SIM_DIM_TIME), "s");
    CU_ASSERT_STRING_EQUAL(sim_dim_unit(SIM_DIM_SIZE), "B");
    CU_ASSERT_STRING_EQUAL(sim_dim_unit(SIM_DIM_RATE), "bps");
    CU_ASSERT_STRING_EQUAL(sim_dim_unit(SIM_DIM_LENGTH), "m");
    CU_ASSERT_STRING_EQUAL(sim_dim_unit(SIM_DIM_FREQ), "1/s");
    CU_ASSERT_STRING_EQUAL(sim_dim_unit(SIM_DIM_NONE), "");
}

static void check_format(double v, sim_dim dim, const char *want)
{
    char buf[64];
    double back = NAN;

    sim_units_format(v, dim, buf, sizeof buf);
    if (want && strcmp(buf, want) != 0)
        fprintf(stderr, "\n  format(%.17g): '%s', expected '%s'\n", v, buf,
                want);
    if (want)
        CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(sim_units_parse(buf, dim, &back, NULL, 0, NULL), 0);
    CU_ASSERT_EQUAL(back, v);
}

static void test_format(void)
{
    check_format(60, SIM_DIM_TIME, "60s");
    check_format(0.001, SIM_DIM_TIME, "1ms");
    check_format(0.0015, SIM_DIM_TIME, "1.5ms");
    check_format(2.5e-6, SIM_DIM_TIME, "2.5us");
    check_format(7e-9, SIM_DIM_TIME, "7ns");
    check_format(7200, SIM_DIM_TIME, "2h");
    check_format(0, SIM_DIM_TIME, "0s");
    check_format(64, SIM_DIM_SIZE, "64B");
    check_format(65536, SIM_DIM_SIZE, "64KiB");
    check_format(1500, SIM_DIM_SIZE, "1500B");
    check_format(3000, SIM_DIM_SIZE, "3kB");
    check_format(1e6, SIM_DIM_SIZE, "1MB");
    check_format(1234, SIM_DIM_SIZE, "1234B");
    check_format(250e3, SIM_DIM_RATE, "250kbps");
    check_format(1e8, SIM_DIM_RATE, "100Mbps");
    check_format(120, SIM_DIM_LENGTH, "120m");
    check_format(1500, SIM_DIM_LENGTH, "1.5km");
    check_format(0.05, SIM_DIM_LENGTH, "5cm");
    check_format(2, SIM_DIM_FREQ, "2/s");
    check_format(10.0 / 60, SIM_DIM_FREQ, "10/min");
    check_format(0.25, SIM_DIM_NONE, "0.25");
    /* Values %g would round still parse back exactly. */
    check_format(1.0 / 3, SIM_DIM_TIME, NULL);
    check_format(123456789.123, SIM_DIM_SIZE, NULL);
    check_format(0.1 + 0.2, SIM_DIM_LENGTH, NULL);
    check_format(-0.75, SIM_DIM_NONE, "-0.75");
}

static void test_quote(void)
{
    char buf[128];
    char longs[200];

    sim_units_quote(buf, sizeof buf, "a\nb\tc\x01");
    CU_ASSERT_STRING_EQUAL(buf, "a\\nb\\tc\\x01");
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    sim_units_quote(buf, sizeof buf, longs);
    CU_ASSERT_EQUAL(strlen(buf), 63);
    CU_ASSERT_STRING_EQUAL(buf + 60, "...");
    sim_units_quote(buf, 8, longs);
    CU_ASSERT_STRING_EQUAL(buf, "xxxx...");
}

/* C1 controls, bidi overrides and isolates, zero-width characters are
 * escaped as \uHHHH; other non-ASCII text (é, €) is kept. */
static void test_quote_unsafe(void)
{
    char buf[128];
    unsigned long cp = 0;

    sim_units_quote(buf, sizeof buf, "a\xc2\x9b" "b\xe2\x80\xae" "c");
    CU_ASSERT_STRING_EQUAL(buf, "a\\u009bb\\u202ec");
    sim_units_quote(buf, sizeof buf, "\xe2\x80\x8b\xe2\x81\xa0\xef\xbb\xbf"
                    "\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8f");
    CU_ASSERT_STRING_EQUAL(buf, "\\u200b\\u2060\\ufeff\\u2066\\u2069\\u200f");
    sim_units_quote(buf, sizeof buf, "caf\xc3\xa9 \xe2\x82\xac \xe2\x80\xa9x");
    CU_ASSERT_STRING_EQUAL(buf, "caf\xc3\xa9 \xe2\x82\xac \\u2029x");
    CU_ASSERT_EQUAL(sim_units_unsafe("\xe2\x80\xaa", &cp), 3);
    CU_ASSERT_EQUAL(cp, 0x202a);
    CU_ASSERT_EQUAL(sim_units_unsafe("\xc2\x80", &cp), 2);
    CU_ASSERT_EQUAL(cp, 0x80);
    CU_ASSERT_EQUAL(sim_units_unsafe("\xc2\xa0", NULL), 0);  /* NBSP */
    CU_ASSERT_EQUAL(sim_units_unsafe("\xe2\x80\xa9", NULL), 3);  /* PS */
    CU_ASSERT_EQUAL(sim_units_unsafe("\xe2\x80", NULL), 0);  /* cut */
    CU_ASSERT_EQUAL(sim_units_unsafe("\x1b", NULL), 0);
}

/* Issue 20 (9): every class of terminal-unsafe code point is escaped, one
 * example of each; printable text around them is kept. */
static void test_quote_classes(void)
{
    static const struct { const char *in, *out; } cases[] = {
        {"\xc2\x85", "\\u0085"},               /* C1: NEL            */
        {"\xc2\xad", "\\u00ad"},               /* soft hyphen (Cf)   */
        {"\xcd\x8f", "\\u034f"},               /* grapheme joiner    */
        {"\xd8\x80", "\\u0600"},               /* Arabic number sign */
        {"\xd8\x9c", "\\u061c"},               /* Arabic letter mark */
        {"\xdc\x8f", "\\u070f"},               /* Syriac abbreviation*/
        {"\xe1\x85\x9f", "\\u115f"},           /* Hangul filler      */
        {"\xe1\xa0\x8e", "\\u180e"},           /* Mongolian vowel sep*/
        {"\xe2\x80\x8d", "\\u200d"},           /* zero-width joiner  */
        {"\xe2\x80\x8e", "\\u200e"},           /* LRM                */
        {"\xe2\x80\xa8", "\\u2028"},           /* line separator     */
        {"\xe2\x80\xa9", "\\u2029"},           /* paragraph separator*/
        {"\xe2\x80\xae", "\\u202e"},           /* RLO                */
        {"\xe2\x81\xa3", "\\u2063"},           /* invisible separator*/
        {"\xe2\x81\xa7", "\\u2067"},           /* RLI                */
        {"\xe2\x81\xaf", "\\u206f"},           /* nominal digit shape*/
        {"\xe3\x85\xa4", "\\u3164"},           /* Hangul filler      */
        {"\xef\xb7\x90", "\\ufdd0"},           /* noncharacter       */
        {"\xef\xb8\x8f", "\\ufe0f"},           /* variation selector */
        {"\xef\xbb\xbf", "\\ufeff"},           /* BOM / ZWNBSP       */
        {"\xef\xbf\xb9", "\\ufff9"},           /* interlinear anchor */
        {"\xef\xbf\xbf", "\\uffff"},           /* noncharacter       */
        {"\xf0\x9d\x85\xb3", "\\U0001d173"},   /* musical format     */
        {"\xf3\xa0\x80\x81", "\\U000e0001"},   /* language tag       */
        {"\xf3\xa0\x84\x80", "\\U000e0100"},   /* variation sel. supp*/
        {"\xf4\x8f\xbf\xbf", "\\U0010ffff"},   /* noncharacter       */
        /* bytes that are not UTF-8: each escaped, never copied raw */
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},    /* encoded surrogate  */
        {"\xc0\x80", "\\xc0\\x80"},            /* overlong NUL       */
        {"\x9b", "\\x9b"},                     /* lone C1 byte (CSI) */
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"}, /* > U+10FFFF */
        {"\xe2\x80", "\\xe2\\x80"},            /* cut sequence       */
        {"\xff", "\\xff"},
        /* printable: kept */
        {"\xc2\xa0", "\xc2\xa0"},               /* NBSP               */
        {"\xe2\x80\x94", "\xe2\x80\x94"},       /* em dash            */
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"}, /* emoji            */
        {"\xd7\x90", "\xd7\x90"},               /* Hebrew alef        */
    };
    char in[32], want[64], buf[128];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(in, sizeof in, "a%sb", cases[i].in);
        snprintf(want, sizeof want, "a%sb", cases[i].out);
        sim_units_quote(buf, sizeof buf, in);
        CU_ASSERT_STRING_EQUAL(buf, want);
    }
    CU_ASSERT_EQUAL(sim_units_utf8("\xed\xa0\x80", NULL), 0);
    CU_ASSERT_EQUAL(sim_units_utf8("\xed\x9f\xbf", NULL), 3);  /* U+D7FF */
    CU_ASSERT_EQUAL(sim_units_utf8("\xe0\x9f\xbf", NULL), 0);  /* overlong */
    CU_ASSERT_EQUAL(sim_units_utf8("\xc3", NULL), 0);
}

/* Issue 20 (9): a long path keeps its first and last 60 bytes, so the
 * message keeps room for its reason; a short one is whole. */
static void test_quote_path(void)
{
    char path[6001], buf[512], want[6100];

    for (size_t i = 0; i < 6000; i += 2)
        memcpy(path + i, i < 5990 ? "a/" : "b/", 2);
    path[5999] = 'z';
    path[6000] = '\0';
    sim_units_quote_path(buf, sizeof buf, path);
    snprintf(want, sizeof want, "%.60s...%s", path, path + 6000 - 60);
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(strlen(buf), 123);
    sim_units_quote_path(buf, sizeof buf, "out/r\x1b[31m");
    CU_ASSERT_STRING_EQUAL(buf, "out/r\\x1b[31m");
    /* 123 bytes: whole; 124: cut */
    memset(path, 'x', 123);
    path[123] = '\0';
    sim_units_quote_path(buf, sizeof buf, path);
    CU_ASSERT_EQUAL(strlen(buf), 123);
    CU_ASSERT_PTR_NULL(strstr(buf, "..."));
    path[123] = 'y';
    path[124] = '\0';
    sim_units_quote_path(buf, sizeof buf, path);
    CU_ASSERT_EQUAL(strlen(buf), 123);
    snprintf(want, sizeof want, "%.60s...%s", path, path + 124 - 60);
    CU_ASSERT_STRING_EQUAL(buf, want);
    /* the tail starts on a character: é (2 bytes) straddling the cut */
    memset(path, 'x', 200);
    memcpy(path + 139, "\xc3\xa9", 2);
    path[200] = '\0';
    sim_units_quote_path(buf, sizeof buf, path);
    CU_ASSERT_STRING_EQUAL(buf + 63, path + 141);   /* é left out */
    CU_ASSERT_EQUAL(strlen(buf), 63 + 59);
    /* a small buffer: cut, never overrun */
    sim_units_quote_path(buf, 16, path);
    CU_ASSERT(strlen(buf) < 16);
}

/* A locale with a decimal comma must not change what "2.5s" means. */
static void test_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "fr_FR.UTF-8",
                                        "de_DE.utf8", "fr_FR.utf8"};
    const char *got = NULL;

    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    CU_ASSERT_EQUAL(parse_ok("2.5s", SIM_DIM_TIME), 2.5);
    CU_ASSERT_EQUAL(parse_ok("0.125", SIM_DIM_NONE), 0.125);
    setlocale(LC_NUMERIC, "C");
}

/* "Did you mean" (util.h): restricted Damerau-Levenshtein distance and
 * the closest candidate within 2 edits. */
static void test_edit_distance(void)
{
    static const char *const cmds[] = {"run", "compare", "sweep",
                                       "validate", "metrics", NULL};
    static const char *const keys[] = {"sources", "smart_objects",
                                       "subscribers", NULL};
    char big[80];

    CU_ASSERT_EQUAL(sim_util_edit_distance("", ""), 0);
    CU_ASSERT_EQUAL(sim_util_edit_distance("run", "run"), 0);
    CU_ASSERT_EQUAL(sim_util_edit_distance("rnu", "run"), 1);   /* swap */
    CU_ASSERT_EQUAL(sim_util_edit_distance("sourcs", "sources"), 1);
    CU_ASSERT_EQUAL(sim_util_edit_distance("seeed", "seed"), 1);
    CU_ASSERT_EQUAL(sim_util_edit_distance("kitten", "sitting"), 3);
    CU_ASSERT_EQUAL(sim_util_edit_distance("ca", "abc"), 3);    /* OSA */
    CU_ASSERT_EQUAL(sim_util_edit_distance("abc", ""), 3);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CU_ASSERT_EQUAL(sim_util_edit_distance(big, "a"), SIZE_MAX);
    CU_ASSERT_STRING_EQUAL(sim_util_closest("rnu", cmds), "run");
    CU_ASSERT_STRING_EQUAL(sim_util_closest("swep", cmds), "sweep");
    CU_ASSERT_STRING_EQUAL(sim_util_closest("valdiate", cmds), "validate");
    CU_ASSERT_PTR_NULL(sim_util_closest("frobnicate", cmds));
    CU_ASSERT_PTR_NULL(sim_util_closest("x", cmds));   /* 1 letter: none */
    CU_ASSERT_STRING_EQUAL(sim_util_closest("sourcs", keys), "sources");
    CU_ASSERT_STRING_EQUAL(sim_util_closest("subscriber", keys),
                           "subscribers");
    CU_ASSERT_PTR_NULL(sim_util_closest("sinks", keys));
    CU_ASSERT_PTR_NULL(sim_util_closest("run", NULL));
}

/* --where compares by value: equal quantities in any unit, text else. */
static void test_same(void)
{
    CU_ASSERT_TRUE(sim_units_same("0.005s", "5ms"));
    CU_ASSERT_TRUE(sim_units_same("5ms", "5000us"));
    CU_ASSERT_TRUE(sim_units_same("1KiB", "1024B"));
    CU_ASSERT_TRUE(sim_units_same("1Mbps", "1000kbps"));
    CU_ASSERT_TRUE(sim_units_same("40", "4e1"));
    CU_ASSERT_TRUE(sim_units_same("17.7827941004ms", "0.0177827941004s"));
    CU_ASSERT_TRUE(sim_units_same("dini", "dini"));
    CU_ASSERT_FALSE(sim_units_same("5ms", "6ms"));
    CU_ASSERT_FALSE(sim_units_same("5ms", "5"));      /* no unit: not 5 s */
    CU_ASSERT_FALSE(sim_units_same("1KiB", "1kB"));   /* 1024 vs 1000 */
    CU_ASSERT_FALSE(sim_units_same("1m", "1min"));    /* metre, minute */
    CU_ASSERT_FALSE(sim_units_same("dini", "Dini"));
    CU_ASSERT_FALSE(sim_units_same("40", "40.001"));
}

/* The data search path: $KMSIM_PATH folders in order (empty entries
 * skipped), then the data folder; regular files only; absolute: none. */
static void test_find_data(void)
{
    const char *scn = TEST_SRCDIR "/scenarios";
    const char *tst = TEST_SRCDIR "/tests";
    char *dir = NULL, *p;

    p = sim_util_find_data("default.yaml", "/nonexistent::" TEST_SRCDIR
                           "/scenarios", NULL, &dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_STRING_EQUAL(p, TEST_SRCDIR "/scenarios/default.yaml");
    CU_ASSERT_STRING_EQUAL(dir, scn);
    free(p);
    free(dir);
    /* the data folder after the search path */
    p = sim_util_find_data("profiles/rpi3.yaml", tst, scn, &dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_STRING_EQUAL(p, TEST_SRCDIR "/scenarios/profiles/rpi3.yaml");
    CU_ASSERT_STRING_EQUAL(dir, scn);
    free(p);
    free(dir);
    /* the first folder that has it wins */
    p = sim_util_find_data("local.mk", tst, scn, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_STRING_EQUAL(p, TEST_SRCDIR "/tests/local.mk");
    free(p);
    /* a folder is not a file; absolute, empty and missing names: none */
    errno = 0;
    CU_ASSERT_PTR_NULL(sim_util_find_data("profiles", NULL, scn, &dir));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NULL(dir);
    CU_ASSERT_PTR_NULL(sim_util_find_data(TEST_SRCDIR "/scenarios/grid.yaml",
                                          scn, scn, NULL));
    CU_ASSERT_PTR_NULL(sim_util_find_data("", scn, scn, NULL));
    CU_ASSERT_PTR_NULL(sim_util_find_data("no-such.yaml", scn, scn, NULL));
    CU_ASSERT_PTR_NULL(sim_util_find_data("default.yaml", NULL, NULL, NULL));
    CU_ASSERT_PTR_NULL(sim_util_find_data("default.yaml", "", "", NULL));
    /* the compiled-in data folder ends in .../kmsim/scenarios */
    CU_ASSERT_PTR_NOT_NULL_FATAL(sim_util_datadir());
    p = strstr(sim_util_datadir(), "/scenarios");
    CU_ASSERT_PTR_NOT_NULL(p);
}

/* CSV .si columns: a quantity with a unit in SI base units; a plain
 * number, a name or a distribution has none. */
static void test_si(void)
{
    double x = -1;

    CU_ASSERT_EQUAL(sim_units_si("17.7827941004ms", &x), 0);
    CU_ASSERT_DOUBLE_EQUAL(x, 0.0177827941004, 1e-15);
    CU_ASSERT_EQUAL(sim_units_si("1KiB", &x), 0);
    CU_ASSERT_EQUAL(x, 1024);
    CU_ASSERT_EQUAL(sim_units_si("250kbps", &x), 0);
    CU_ASSERT_EQUAL(x, 250000);
    CU_ASSERT_EQUAL(sim_units_si("1.2km", &x), 0);
    CU_ASSERT_DOUBLE_EQUAL(x, 1200, 1e-9);
    CU_ASSERT_EQUAL(sim_units_si("2/min", &x), 0);
    CU_ASSERT_DOUBLE_EQUAL(x, 2.0 / 60, 1e-15);
    x = -1;
    CU_ASSERT_EQUAL(sim_units_si("40", &x), -1);
    CU_ASSERT_EQUAL(sim_units_si("dini", &x), -1);
    CU_ASSERT_EQUAL(sim_units_si("exp(5s)", &x), -1);
    CU_ASSERT_EQUAL(sim_units_si("5sec", &x), -1);
    CU_ASSERT_EQUAL(x, -1);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("units", NULL, NULL);
    CU_pSuite u = CU_add_suite("did_you_mean", NULL, NULL);
    if (!s || !u)
        return -1;
    CUTEST_ADD(u, test_edit_distance);
    CUTEST_ADD(u, test_find_data);
    CUTEST_ADD(s, test_time);
    CUTEST_ADD(s, test_size_rate_length_freq);
    CUTEST_ADD(s, test_zero_and_none);
    CUTEST_ADD(s, test_errors);
    CUTEST_ADD(s, test_names);
    CUTEST_ADD(s, test_format);
    CUTEST_ADD(s, test_quote);
    CUTEST_ADD(s, test_quote_unsafe);
    CUTEST_ADD(s, test_quote_classes);
    CUTEST_ADD(s, test_quote_path);
    CUTEST_ADD(s, test_locale);
    CUTEST_ADD(s, test_same);
    CUTEST_ADD(s, test_si);
    return 0;
}

CUTEST_MAIN(register_tests)
