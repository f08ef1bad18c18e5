/* table.c — the one layout and number format of the terminal tables of
 * kmsim run and kmsim compare (kmsim extension, issue 21).  The tables
 * are for a reader; the CSV files keep every digit. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "table.h"
#include "units.h"
#include "util.h"

/* ---- Numbers ---------------------------------------------------------- */

/* A unit of a row: divide by div, print sym. */
typedef struct hunit {
    double div;
    const char *sym;
} hunit;

/* Removes the trailing zeros of the decimals of the number in buf (and
 * the point when none is left): "1.50" is "1.5", "1.0" is "1", as %g. */
static void strip_zeros(char *buf)
{
    size_t n = strlen(buf);

    if (!strchr(buf, '.'))
        return;
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
}

/* x rounded to 3 significant digits through its decimal text, so that
 * the unit chosen and the digits printed agree (999.7 is 1.00e+03). */
static double round3(double x)
{
    char r[32];

    snprintf(r, sizeof r, "%.2e", x);
    return strtod(r, NULL);
}

void sim_table_fmt_init(sim_table_fmt *f, const char *unit,
                        const sim_table_val *v, size_t n)
{
    static const hunit secs[] = {{1e-9, "ns"}, {1e-6, "\u00b5s"},
                                 {1e-3, "ms"}, {1.0, "s"}},
        bytes[] = {{1.0, "B"}, {1024.0, "KiB"}, {1048576.0, "MiB"},
                   {1073741824.0, "GiB"}},
        count[] = {{1.0, ""}, {1e3, "k"}, {1e6, "M"}, {1e9, "G"}};
    const hunit *t = count;
    size_t nt = ARRAY_LEN(count), k = 0;
    double a = 0;

    for (size_t i = 0; i < n; i++) {
        if (!isnan(v[i].mean) && fabs(v[i].mean) > a)
            a = fabs(v[i].mean);
        if (!isnan(v[i].hw) && fabs(v[i].hw) > a)
            a = fabs(v[i].hw);
    }
    f->scale = a;
    if (strcmp(unit, "s") == 0) {
        t = secs;
        nt = ARRAY_LEN(secs);
    } else if (strcmp(unit, "B") == 0) {
        t = bytes;
        nt = ARRAY_LEN(bytes);
    }
    /* The largest unit in which the value, at 3 digits, is at least 1:
     * 999.7 ms is 1 s, 1023.9 B is 1 KiB. */
    if (t == secs && a == 0)
        k = nt - 1;                  /* 0 s, not 0 ns */
    else if (t != count || round3(a) >= 1e4) /* counts: 2030 op, 12.3kop */
        while (k + 1 < nt && round3(a / t[k + 1].div) >= 1)
            k++;
    f->div = t[k].div;
    if (t == count)
        snprintf(f->unit, sizeof f->unit, "%s%s", t[k].sym,
                 strcmp(unit, "1") == 0 ? "" : unit);
    else
        snprintf(f->unit, sizeof f->unit, "%s", t[k].sym);
}

void sim_table_num(const sim_table_fmt *f, double x, char *buf, size_t len)
{
    if (len == 0)
        return;
    if (isnan(x)) {
        snprintf(buf, len, "-");
        return;
    }
    if (isinf(x)) {
        snprintf(buf, len, "%s", x > 0 ? "inf" : "-inf");
        return;
    }
    if (fabs(x) < 1e-12 * f->scale)
        x = 0;                       /* floating-point noise */
    x = round3(x / f->div);
    if (fabs(x) >= 1000)
        snprintf(buf, len, "%.0f", x);
    else if (x == 0)
        snprintf(buf, len, "0");     /* never "-0" */
    else if (fabs(x) < 1e-4) {       /* %g would switch to an exponent */
        snprintf(buf, len, "%.*f", 2 - (int)floor(log10(fabs(x))), x);
        strip_zeros(buf);
    } else
        snprintf(buf, len, "%.3g", x);
}

/* Decimals of the mean as sim_table_num shows it, trailing zeros
 * counted (72 is 72.0: 1); -1 for 0, NaN or infinity (no limit). */
static int mean_decimals(const sim_table_fmt *f, double mean)
{
    double m;
    int d;

    if (!isfinite(mean) || fabs(mean) < 1e-12 * f->scale)
        return -1;
    m = round3(mean / f->div);
    if (m == 0)
        return -1;
    d = (int)floor(log10(fabs(m)));
    return d >= 2 ? 0 : 2 - d;
}

void sim_table_ci(const sim_table_fmt *f, const sim_table_val *v,
                  char *buf, size_t len)
{
    char h[40];
    const char *dot;
    int md = mean_decimals(f, v->mean);

    sim_table_num(f, v->hw, h, sizeof h);
    /* no finer than one decimal beyond the mean's: 72.0 ± 0.02, not
     * ± 0.0214; 40.1 ± 0, not ± 0.0000895 */
    dot = strchr(h, '.');
    if (md >= 0 && dot && (int)strlen(dot + 1) > md + 1) {
        snprintf(h, sizeof h, "%.*f", md + 1, v->hw / f->div);
        strip_zeros(h);
        if (strtod(h, NULL) == 0)
            snprintf(h, sizeof h, "0");
    }
    snprintf(buf, len, "\u00b1 %s", h);
}

void sim_table_value(const sim_table_fmt *f, const sim_table_val *v,
                     char *buf, size_t len)
{
    char m[40], h[48];

    sim_table_num(f, v->mean, m, sizeof m);
    if (isnan(v->mean) || isnan(v->hw)) {
        snprintf(buf, len, "%s", m);
        return;
    }
    sim_table_ci(f, v, h, sizeof h);
    snprintf(buf, len, "%s %s", m, h);
}

/* ---- Layout ----------------------------------------------------------- */

typedef enum line_kind {
    LINE_HEAD,      /* heading line, repeated above each block */
    LINE_GROUP,     /* group heading: cells[0] only            */
    LINE_ROW
} line_kind;

typedef struct line {
    line_kind kind;
    char **cells;   /* ncols (LINE_GROUP: 1); NULL = spanned (LINE_HEAD) */
} line;

/* Invariant: every LINE_HEAD and LINE_ROW line has ncols cells; width[c]
 * is cols[c].width, and for a SIM_TABLE_WIDEN column at least the
 * terminal columns of each of its cells that does not span. */
struct sim_table {
    sim_table_col *cols;    /* ncols, copied                       */
    size_t ncols;
    size_t nfixed;          /* leading columns on every line       */
    size_t *width;          /* ncols: widths as printed            */
    line *lines;            /* nlines, in order of addition        */
    size_t nlines, cap;
};

sim_table *sim_table_new(const sim_table_col *cols, size_t ncols,
                         size_t nfixed)
{
    sim_table *t = xcalloc(1, sizeof *t);

    assert(ncols >= 1 && nfixed <= ncols);
    t->cols = xcalloc(ncols, sizeof *t->cols);
    memcpy(t->cols, cols, ncols * sizeof *cols);
    t->ncols = ncols;
    t->nfixed = nfixed;
    t->width = xcalloc(ncols, sizeof *t->width);
    for (size_t c = 0; c < ncols; c++)
        t->width[c] = cols[c].width;
    return t;
}

void sim_table_free(sim_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nlines; i++) {
        size_t n = t->lines[i].kind == LINE_GROUP ? 1 : t->ncols;
        for (size_t c = 0; c < n; c++)
            free(t->lines[i].cells[c]);
        free(t->lines[i].cells);
    }
    free(t->lines);
    free(t->width);
    free(t->cols);
    free(t);
}

static line *add_line(sim_table *t, line_kind kind)
{
    line *l;

    if (t->nlines == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->lines = xrealloc(t->lines, t->cap * sizeof *t->lines);
    }
    l = &t->lines[t->nlines++];
    l->kind = kind;
    l->cells = xcalloc(kind == LINE_GROUP ? 1 : t->ncols, sizeof *l->cells);
    return l;
}

static void add_cells(sim_table *t, line *l, const char *const *cells)
{
    for (size_t c = 0; c < t->ncols; c++) {
        size_t w;

        if (!cells[c])
            continue;
        l->cells[c] = xstrdup(cells[c]);
        if (l->kind == LINE_HEAD && c + 1 < t->ncols && !cells[c + 1])
            continue;                /* spanning: fits where it lands */
        w = sim_units_cols(cells[c]);
        if (t->cols[c].fit == SIM_TABLE_WIDEN && w > t->width[c])
            t->width[c] = w;
    }
}

void sim_table_head(sim_table *t, const char *const *cells)
{
    assert(cells[0] != NULL);
    add_cells(t, add_line(t, LINE_HEAD), cells);
}

void sim_table_group(sim_table *t, const char *text)
{
    add_line(t, LINE_GROUP)->cells[0] = xstrdup(text);
}

void sim_table_row(sim_table *t, const char *const *cells)
{
    for (size_t c = 0; c < t->ncols; c++)
        assert(cells[c] != NULL);
    add_cells(t, add_line(t, LINE_ROW), cells);
}

static void spaces(FILE *out, size_t n)
{
    while (n-- > 0)
        fputc(' ', out);
}

/* The first n terminal columns of s: its length in bytes. */
static size_t clip_bytes(const char *s, size_t n)
{
    size_t b = 0;

    while (s[b] && n > 0) {
        b++;
        while (((unsigned char)s[b] & 0xc0) == 0x80)
            b++;                     /* a character's continuation */
        n--;
    }
    return b;
}

/* Prints line l over the columns idx[0..n). */
static void print_line(const sim_table *t, FILE *out, const line *l,
                       const size_t *idx, size_t n)
{
    size_t last = n;

    for (size_t k = n; k-- > 0;)
        if (l->cells[idx[k]] && *l->cells[idx[k]]) {
            last = k;
            break;
        }
    for (size_t k = 0; last < n && k <= last; k++) {
        size_t c = idx[k], w = t->width[c], tw;
        const sim_table_col *col = &t->cols[c];
        const char *s = l->cells[c];

        if (!s)
            continue;                /* printed by the spanning cell */
        spaces(out, col->gap);
        /* a spanning heading: over the columns it spans, right-aligned */
        for (size_t j = k + 1; j < n && !l->cells[idx[j]]; j++)
            w += t->cols[idx[j]].gap + t->width[idx[j]];
        tw = sim_units_cols(s);
        if (col->fit == SIM_TABLE_CUT && tw > w) {
            fwrite(s, 1, clip_bytes(s, w), out);
            continue;
        }
        if (tw >= w) {
            fputs(s, out);
            continue;
        }
        if (col->align == SIM_TABLE_RIGHT || (w > t->width[c])) {
            spaces(out, w - tw);
            fputs(s, out);
        } else {
            fputs(s, out);
            if (k < last)
                spaces(out, w - tw);
        }
    }
    fputc('\n', out);
}

/* The wrapped columns idx[nfixed..n) of the block from column i0: as many
 * as fit in SIM_TABLE_COLS beside the fixed ones, at least one.  Writes
 * idx, returns n and sets *line_w to the block's width. */
static size_t block(const sim_table *t, size_t i0, size_t *idx,
                    size_t *line_w)
{
    size_t n = 0, used = 0;

    for (size_t c = 0; c < t->nfixed; c++) {
        idx[n++] = c;
        used += t->cols[c].gap + t->width[c];
    }
    for (size_t c = i0; c < t->ncols; c++) {
        size_t w = t->cols[c].gap + t->width[c];

        if (c > i0 && used + w > SIM_TABLE_COLS)
            break;
        idx[n++] = c;
        used += w;
    }
    *line_w = used;
    return n;
}

void sim_table_print(const sim_table *t, FILE *out)
{
    size_t *idx = xcalloc(t->ncols, sizeof *idx);
    size_t i0 = t->nfixed;

    do {
        size_t lw, n = block(t, i0, idx, &lw);

        if (i0 > t->nfixed)
            fputc('\n', out);
        for (size_t i = 0; i < t->nlines; i++) {
            const line *l = &t->lines[i];

            if (l->kind == LINE_GROUP)
                fprintf(out, "%s\n", l->cells[0]);
            else
                print_line(t, out, l, idx, n);
        }
        i0 += n - t->nfixed;
    } while (i0 < t->ncols);
    free(idx);
}

size_t sim_table_width(const sim_table *t)
{
    size_t *idx = xcalloc(t->ncols, sizeof *idx);
    size_t i0 = t->nfixed, max = 0;

    do {
        size_t lw, n = block(t, i0, idx, &lw);

        if (lw > max)
            max = lw;
        i0 += n - t->nfixed;
    } while (i0 < t->ncols);
    free(idx);
    return max;
}
