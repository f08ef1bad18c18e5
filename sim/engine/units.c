/* units.c — quantities with units ("5ms", "1KiB", "250kbps", "120m", "2/s")
 * parsed into SI base units, and formatted back.  The number syntax is our
 * own strict subset of C's (no hex, no inf/nan, no leading blanks); strtod
 * only converts text already checked, under the "C" locale. */
#define _POSIX_C_SOURCE 200809L  /* newlocale, uselocale */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "units.h"

typedef struct unit_def {
    const char *sym;     /* as written after the number                 */
    sim_dim dim;
    double num, den;     /* value in base units = number * num / den    */
} unit_def;

/* Dividing by an exact power of ten (rather than multiplying by 1e-3)
 * gives the correctly rounded value: "5ms" is exactly the double 0.005. */
static const unit_def units[] = {
    {"ns", SIM_DIM_TIME, 1, 1e9},       {"us", SIM_DIM_TIME, 1, 1e6},
    {"ms", SIM_DIM_TIME, 1, 1e3},       {"s", SIM_DIM_TIME, 1, 1},
    {"min", SIM_DIM_TIME, 60, 1},       {"h", SIM_DIM_TIME, 3600, 1},
    {"B", SIM_DIM_SIZE, 1, 1},          {"KiB", SIM_DIM_SIZE, 1024, 1},
    {"MiB", SIM_DIM_SIZE, 1048576, 1},  {"GiB", SIM_DIM_SIZE, 1073741824, 1},
    {"kB", SIM_DIM_SIZE, 1e3, 1},       {"MB", SIM_DIM_SIZE, 1e6, 1},
    {"GB", SIM_DIM_SIZE, 1e9, 1},
    {"bps", SIM_DIM_RATE, 1, 1},        {"kbps", SIM_DIM_RATE, 1e3, 1},
    {"Mbps", SIM_DIM_RATE, 1e6, 1},     {"Gbps", SIM_DIM_RATE, 1e9, 1},
    {"mm", SIM_DIM_LENGTH, 1, 1e3},     {"cm", SIM_DIM_LENGTH, 1, 1e2},
    {"m", SIM_DIM_LENGTH, 1, 1},        {"km", SIM_DIM_LENGTH, 1e3, 1},
    {"Hz", SIM_DIM_FREQ, 1, 1},         {"/s", SIM_DIM_FREQ, 1, 1},
    {"/min", SIM_DIM_FREQ, 1, 60},      {"/h", SIM_DIM_FREQ, 1, 3600},
};

#define N_UNITS (sizeof units / sizeof units[0])

static const char *const unit_lists[] = {
    [SIM_DIM_NONE] = "",
    [SIM_DIM_TIME] = "ns, us, ms, s, min, h",
    [SIM_DIM_SIZE] = "B, KiB, MiB, GiB, kB, MB, GB",
    [SIM_DIM_RATE] = "bps, kbps, Mbps, Gbps",
    [SIM_DIM_LENGTH] = "mm, cm, m, km",
    [SIM_DIM_FREQ] = "Hz, /s, /min, /h",
};

const char *sim_dim_name(sim_dim dim)
{
    switch (dim) {
    case SIM_DIM_NONE: return "number";
    case SIM_DIM_TIME: return "time";
    case SIM_DIM_SIZE: return "size";
    case SIM_DIM_RATE: return "rate";
    case SIM_DIM_LENGTH: return "length";
    case SIM_DIM_FREQ: return "frequency";
    }
    return "?";
}

const char *sim_dim_unit(sim_dim dim)
{
    switch (dim) {
    case SIM_DIM_NONE: return "";
    case SIM_DIM_TIME: return "s";
    case SIM_DIM_SIZE: return "B";
    case SIM_DIM_RATE: return "bps";
    case SIM_DIM_LENGTH: return "m";
    case SIM_DIM_FREQ: return "1/s";
    }
    return "?";
}

size_t sim_units_utf8(const char *s, unsigned long *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned long c, min;
    size_t n, k;

    if (u[0] < 0x80) {
        n = 1;
        c = u[0];
        min = 0;
    } else if (u[0] >= 0xc2 && u[0] <= 0xdf) {
        n = 2;
        c = u[0] & 0x1f;
        min = 0x80;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
        n = 3;
        c = u[0] & 0x0f;
        min = 0x800;
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
        n = 4;
        c = u[0] & 0x07;
        min = 0x10000;
    } else {
        return 0;                  /* continuation byte, C0/C1, F5-FF */
    }
    /* A NUL ends the string before a sequence is complete: (u[k] & 0xc0)
     * is then 0, so nothing past the terminator is read. */
    for (k = 1; k < n; k++) {
        if ((u[k] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (u[k] & 0x3f);
    }
    if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        return 0;                  /* overlong, surrogate, beyond Unicode */
    if (cp)
        *cp = c;
    return n;
}

/* Code points that draw nothing, move text or break a line in a terminal:
 * C1 controls; the format characters (Unicode category Cf: soft hyphen,
 * Arabic/Syriac marks, bidi marks, overrides and isolates, zero-width
 * characters, invisible operators, interlinear annotation, tags); the line
 * and paragraph separators (Zl, Zp); invisible fillers and variation
 * selectors; the noncharacters. */
static int unsafe_cp(unsigned long c)
{
    static const unsigned long ranges[][2] = {
        {0x0080, 0x009f}, {0x00ad, 0x00ad}, {0x034f, 0x034f},
        {0x0600, 0x0605}, {0x061c, 0x061c}, {0x06dd, 0x06dd},
        {0x070f, 0x070f}, {0x0890, 0x0891}, {0x08e2, 0x08e2},
        {0x115f, 0x1160}, {0x17b4, 0x17b5}, {0x180b, 0x180f},
        {0x200b, 0x200f}, {0x2028, 0x202e}, {0x205f, 0x206f},
        {0x3164, 0x3164}, {0xfdd0, 0xfdef}, {0xfe00, 0xfe0f},
        {0xfeff, 0xfeff}, {0xffa0, 0xffa0}, {0xfff9, 0xfffb},
        {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f},
        {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
    };

    if ((c & 0xfffe) == 0xfffe)    /* U+FFFE, U+FFFF in every plane */
        return 1;
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (c >= ranges[i][0] && c <= ranges[i][1])
            return 1;
    return 0;
}

size_t sim_units_unsafe(const char *s, unsigned long *cp)
{
    unsigned long c;
    size_t n = sim_units_utf8(s, &c);

    if (n < 2 || !unsafe_cp(c))
        return 0;
    if (cp)
        *cp = c;
    return n;
}

/* Appends the escaped form of the character at s to buf (o bytes used of
 * len, always room for the NUL); returns the bytes of s it stands for, or
 * 0 when it does not fit (nothing appended). */
static size_t quote_char(char *buf, size_t len, size_t *o, const char *s)
{
    unsigned char c = (unsigned char)*s;
    char tmp[12];
    size_t n, w;
    unsigned long cp;

    if (c >= 0x80) {
        if ((w = sim_units_unsafe(s, &cp)) > 0) {
            n = (size_t)snprintf(tmp, sizeof tmp, cp > 0xffff
                                 ? "\\U%08lx" : "\\u%04lx", cp);
        } else if ((w = sim_units_utf8(s, NULL)) > 0) {
            memcpy(tmp, s, w);     /* printable non-ASCII text (é, €) */
            n = w;
        } else {
            w = 1;                 /* a byte that is not UTF-8 */
            n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", c);
        }
    } else {
        w = 1;
        if (c == '\n')
            n = (size_t)snprintf(tmp, sizeof tmp, "\\n");
        else if (c == '\t')
            n = (size_t)snprintf(tmp, sizeof tmp, "\\t");
        else if (c < 0x20 || c == 0x7f)
            n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", c);
        else {
            tmp[0] = (char)c;
            n = 1;
        }
    }
    if (*o + n >= len)
        return 0;
    memcpy(buf + *o, tmp, n);
    *o += n;
    return w;
}

void sim_units_quote(char *buf, size_t len, const char *s)
{
    const size_t max = 60;
    size_t o = 0, i = 0;

    if (len == 0)
        return;
    while (s[i] && i < max) {
        size_t w = quote_char(buf, len, &o, s + i);
        if (w == 0)
            break;
        i += w;
    }
    if (s[i]) {
        /* Characters are whole (quote_char appends all or nothing): make
         * room for the mark of the cut. */
        while (o > 0 && o + 3 >= len) {
            o--;
            while (o > 0 && ((unsigned char)buf[o] & 0xc0) == 0x80)
                o--;
        }
        if (o + 3 < len) {
            memcpy(buf + o, "...", 3);
            o += 3;
        }
    }
    buf[o] = '\0';
}

void sim_units_quote_path(char *buf, size_t len, const char *s)
{
    const size_t keep = 60;
    size_t n = strlen(s), o = 0, i = 0, tail;

    if (len == 0)
        return;
    if (n <= 2 * keep + 3) {
        tail = n;                  /* short enough: whole */
    } else {
        tail = n - keep;
        while (tail < n && ((unsigned char)s[tail] & 0xc0) == 0x80)
            tail++;                /* start on a character */
    }
    while (s[i] && (tail == n || i < keep)) {
        size_t w = quote_char(buf, len, &o, s + i);
        if (w == 0)
            goto full;
        i += w;
    }
    if (s[i] && o + 3 < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
        for (i = i > tail ? i : tail; s[i];) {
            size_t w = quote_char(buf, len, &o, s + i);
            if (w == 0)
                goto full;
            i += w;
        }
    }
full:
    buf[o] = '\0';
}

static int fail(char *err, size_t errlen, size_t *errcol, size_t col,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, size_t *errcol, size_t col,
                const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    if (errcol)
        *errcol = col;
    return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Case-insensitive: does t start with the word w? */
static int starts_with_ci(const char *t, const char *w)
{
    for (; *w; t++, w++) {
        char c = *t;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != *w)
            return 0;
    }
    return 1;
}

/* Converts text[0, n) (already checked to be a decimal number) with strtod
 * in the "C" locale, whatever the program's LC_NUMERIC. */
static int convert(const char *text, size_t n, double *out)
{
    char small[64];
    char *copy = n < sizeof small ? small : malloc(n + 1);
    locale_t c, old = (locale_t)0;
    char *end;
    double v;

    if (!copy)
        return -1;
    memcpy(copy, text, n);
    copy[n] = '\0';
    c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c)
        old = uselocale(c);
    errno = 0;
    v = strtod(copy, &end);
    if (c) {
        uselocale(old);
        freelocale(c);
    }
    if (copy != small)
        free(copy);
    /* Underflow to zero/subnormal is fine; overflow is not. */
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return -1;
    *out = v;
    return 0;
}

int sim_units_parse(const char *text, sim_dim dim, double *out,
                    char *err, size_t errlen, size_t *errcol)
{
    const char *dname = sim_dim_name(dim);
    char q[128], tok[16];
    size_t i = 0, digits = 0, numend, ustart, uend;
    double v;

    q[0] = '\0';
    if (err && errlen)   /* only messages need it */
        sim_units_quote(q, sizeof q, text);
    if (text[i] == '+' || text[i] == '-')
        i++;
    while (is_digit(text[i])) {
        i++;
        digits++;
    }
    if (text[i] == '.') {
        i++;
        while (is_digit(text[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0) {
        size_t s = (text[0] == '+' || text[0] == '-') ? 1 : 0;
        if (starts_with_ci(text + s, "inf") || starts_with_ci(text + s, "nan"))
            return fail(err, errlen, errcol, 0,
                        "'%s' is not a finite number", q);
        if (dim == SIM_DIM_NONE)
            return fail(err, errlen, errcol, 0,
                        "expected a number, got '%s'", q);
        return fail(err, errlen, errcol, 0,
                    "expected a number with a %s unit, got '%s'", dname, q);
    }
    if (text[i] == 'e' || text[i] == 'E') {
        size_t j = i + 1;
        if (text[j] == '+' || text[j] == '-')
            j++;
        if (is_digit(text[j])) {
            while (is_digit(text[j]))
                j++;
            i = j;
        }
    }
    numend = i;
    if (convert(text, numend, &v) != 0)
        return fail(err, errlen, errcol, 0, "number out of range in '%s'", q);

    while (is_blank(text[i]))
        i++;
    ustart = i;
    while (is_alpha(text[i]) || text[i] == '/')
        i++;
    uend = i;
    while (is_blank(text[i]))
        i++;

    if (ustart == uend) {
        if (text[i] != '\0')
            return fail(err, errlen, errcol, i,
                        "trailing characters in '%s'", q);
        if (dim == SIM_DIM_NONE || v == 0.0) {
            *out = v;
            return 0;
        }
        return fail(err, errlen, errcol, numend,
                    "missing %s unit in '%s' (use %s)", dname, q,
                    unit_lists[dim]);
    }
    if (uend - ustart >= sizeof tok) {
        if (dim == SIM_DIM_NONE)
            return fail(err, errlen, errcol, ustart,
                        "expected a number, got '%s'", q);
        return fail(err, errlen, errcol, ustart,
                    "unknown %s unit in '%s' (use %s)", dname, q,
                    unit_lists[dim]);
    }
    memcpy(tok, text + ustart, uend - ustart);
    tok[uend - ustart] = '\0';
    for (size_t k = 0; k < N_UNITS; k++) {
        if (strcmp(units[k].sym, tok) != 0)
            continue;
        if (units[k].dim != dim) {
            if (dim == SIM_DIM_NONE)
                return fail(err, errlen, errcol, ustart,
                            "'%s' is a %s, expected a plain number", q,
                            sim_dim_name(units[k].dim));
            return fail(err, errlen, errcol, ustart,
                        "'%s' is a %s, expected a %s", q,
                        sim_dim_name(units[k].dim), dname);
        }
        if (text[i] != '\0')
            return fail(err, errlen, errcol, i,
                        "trailing characters in '%s'", q);
        v = v * units[k].num / units[k].den;
        if (!isfinite(v))
            return fail(err, errlen, errcol, 0,
                        "number out of range in '%s'", q);
        *out = v;
        return 0;
    }
    if (dim == SIM_DIM_NONE)
        return fail(err, errlen, errcol, ustart,
                    "expected a number, got '%s'", q);
    return fail(err, errlen, errcol, ustart, "unknown %s unit '%s' (use %s)",
                dname, tok, unit_lists[dim]);
}

/* ---- Formatting ------------------------------------------------------- */

static const unit_def *find_unit(const char *sym)
{
    for (size_t k = 0; k < N_UNITS; k++)
        if (strcmp(units[k].sym, sym) == 0)
            return &units[k];
    return NULL;
}

/* The unit a value of `dim` reads best in. */
static const char *pick_unit(double v, sim_dim dim)
{
    double a = fabs(v);

    switch (dim) {
    case SIM_DIM_NONE:
        return "";
    case SIM_DIM_TIME:
        if (a == 0 || a >= 1)
            return a >= 3600 ? "h" : "s";
        return a >= 1e-3 ? "ms" : a >= 1e-6 ? "us" : "ns";
    case SIM_DIM_SIZE: {
        static const char *const bin[] = {"GiB", "MiB", "KiB"};
        static const char *const dec[] = {"GB", "MB", "kB"};
        for (int k = 0; k < 3; k++) {
            double f = find_unit(bin[k])->num;
            if (a >= f && fmod(a, f) == 0)
                return bin[k];
        }
        for (int k = 0; k < 3; k++) {
            double f = find_unit(dec[k])->num;
            if (a >= f && fmod(a, f) == 0)
                return dec[k];
        }
        return "B";
    }
    case SIM_DIM_RATE:
        return a >= 1e9 ? "Gbps" : a >= 1e6 ? "Mbps" : a >= 1e3 ? "kbps"
                                                                 : "bps";
    case SIM_DIM_LENGTH:
        if (a == 0)
            return "m";
        return a >= 1e3 ? "km" : a >= 1 ? "m" : a >= 1e-2 ? "cm" : "mm";
    case SIM_DIM_FREQ:
        if (a == 0 || a >= 1)
            return "/s";
        return a * 60 >= 1 ? "/min" : "/h";
    }
    return "";
}

void sim_units_format(double v, sim_dim dim, char *buf, size_t len)
{
    const char *sym = pick_unit(v, dim);
    const unit_def *u = dim == SIM_DIM_NONE ? NULL : find_unit(sym);
    double x = u ? v * u->den / u->num : v;
    static const int prec[] = {6, 10, 15, 17};

    if (len == 0)
        return;
    if (!isfinite(v)) {
        snprintf(buf, len, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    for (size_t k = 0; k < sizeof prec / sizeof prec[0]; k++) {
        double back;
        snprintf(buf, len, "%.*g%s", prec[k], x, sym);
        if (sim_units_parse(buf, dim, &back, NULL, 0, NULL) == 0 &&
            back == v)
            return;
    }
    /* Not exactly representable through this unit: print in base units. */
    snprintf(buf, len, "%.17g%s", v,
             dim == SIM_DIM_FREQ ? "/s" : sim_dim_unit(dim));
}

int sim_units_same(const char *a, const char *b)
{
    static const sim_dim dims[] = {SIM_DIM_NONE, SIM_DIM_TIME, SIM_DIM_SIZE,
                                   SIM_DIM_RATE, SIM_DIM_LENGTH,
                                   SIM_DIM_FREQ};
    char err[160];

    if (strcmp(a, b) == 0)
        return 1;
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        double x, y;

        if (sim_units_parse(a, dims[k], &x, err, sizeof err, NULL) != 0 ||
            sim_units_parse(b, dims[k], &y, err, sizeof err, NULL) != 0)
            continue;
        if (x == y || fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y)))
            return 1;
    }
    return 0;
}

int sim_units_si(const char *text, double *si)
{
    static const sim_dim dims[] = {SIM_DIM_TIME, SIM_DIM_SIZE, SIM_DIM_RATE,
                                   SIM_DIM_LENGTH, SIM_DIM_FREQ};
    char err[160];
    double x;

    if (sim_units_parse(text, SIM_DIM_NONE, &x, err, sizeof err, NULL) == 0)
        return -1;                          /* a plain number */
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        if (sim_units_parse(text, dims[k], &x, err, sizeof err, NULL) == 0) {
            *si = x;
            return 0;
        }
    return -1;
}

size_t sim_units_cols(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}
