/* table.h — the terminal tables of kmsim run and kmsim compare (kmsim
 * extension, issue 21): numbers to 3 significant digits in a human unit
 * chosen per row, "mean ± CI" values, columns padded by terminal columns
 * (UTF-8 "µ" and "±" count as one) and wrapped to at most 100 columns. */
#ifndef KMSIM_TABLE_H
#define KMSIM_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* The widest line a table prints (terminal columns), wrapping aside. */
#define SIM_TABLE_COLS 100

/* ---- Numbers ---------------------------------------------------------- */

/* One value of a row: a mean over the replications and the half-width of
 * its 95% confidence interval. */
typedef struct sim_table_val {
    double mean;    /* NaN: no value (printed "-")                  */
    double hw;      /* NaN: no interval (fewer than 2 replications) */
} sim_table_val;

/* The unit of one row, chosen once from all its values so that they read
 * in the same unit. */
typedef struct sim_table_fmt {
    double scale;   /* largest |mean| or |hw| of the row (SI)          */
    double div;     /* shown number = value / div                      */
    char unit[16];  /* shown unit: "ms", "µs", "KiB", "kmsg", "" ...    */
} sim_table_fmt;

/* Chooses the unit of a row whose metric is registered in `unit` and
 * whose values are v[0..n) (NaN means and half-widths skipped): from the
 * largest |mean| or |hw|, the largest unit in which it is at least 1 at
 * 3 digits (999.7 ms is 1 s, 1023.9 B is 1 KiB): seconds become ns, µs,
 * ms or s (0 s stays s); bytes B, KiB, MiB or GiB; any
 * other unit gets a k, M or G prefix from 10^4 on ("12.3kmsg"), and the
 * unit "1" (a ratio) prints as "". */
void sim_table_fmt_init(sim_table_fmt *f, const char *unit,
                        const sim_table_val *v, size_t n);

/* x in the row's unit, 3 significant digits, never an exponent: "%.3g"
 * between 1e-4 and 1000 ("0.0324", "55.7", "1"), a whole number from
 * 1000 on ("2030"), fixed notation below 1e-4 ("0.0000895", no
 * trailing zeros, as %g); a value
 * under 1e-12 of the row's scale (floating-point noise such as 3.47e-18
 * beside 0.0565) is "0"; NaN is "-".  Always NUL-terminated. */
void sim_table_num(const sim_table_fmt *f, double x, char *buf,
                   size_t len);

/* The interval of v alone, "± 2.5": sim_table_num of v->hw, but with at
 * most one decimal more than v->mean shows at 3 significant digits
 * (72.0 ± 0.02, not ± 0.0214; 40.1 ± 0, not ± 0.0000895: finer digits
 * of the interval say nothing about the mean); no limit when the mean
 * is 0.  v->hw must not be NaN. */
void sim_table_ci(const sim_table_fmt *f, const sim_table_val *v,
                  char *buf, size_t len);

/* One value as a cell: "mean ± hw", "mean" when hw is NaN, "-" when the
 * mean is NaN. */
void sim_table_value(const sim_table_fmt *f, const sim_table_val *v,
                     char *buf, size_t len);

/* ---- Layout ----------------------------------------------------------- */

typedef enum sim_table_align {
    SIM_TABLE_LEFT,
    SIM_TABLE_RIGHT
} sim_table_align;

/* What a cell wider than its column does. */
typedef enum sim_table_fit {
    SIM_TABLE_WIDEN,        /* the column takes the widest cell's width   */
    SIM_TABLE_CUT,          /* the cell is cut to the width               */
    SIM_TABLE_OVERFLOW      /* the cell runs into the next column's gap   */
} sim_table_fit;

/* One column of a table. */
typedef struct sim_table_col {
    size_t gap;             /* spaces before it                           */
    size_t width;           /* width (minimum for SIM_TABLE_WIDEN)        */
    sim_table_align align;
    sim_table_fit fit;
} sim_table_col;

/* A table: heading lines, group headings and rows of text cells, one per
 * column.  Opaque; it copies what it is given. */
typedef struct sim_table sim_table;

/* A table of ncols columns (copied); the first nfixed are on every line,
 * the others (e.g. one per protocol) are wrapped into blocks of as many
 * as fit in SIM_TABLE_COLS.  Never NULL (out of memory aborts). */
sim_table *sim_table_new(const sim_table_col *cols, size_t ncols,
                         size_t nfixed);
/* Frees t; NULL is a no-op. */
void sim_table_free(sim_table *t);

/* Adds a heading line, repeated above every block: cells[0..ncols), a
 * NULL cell is spanned by the text before it, which is then right-aligned
 * over both (heading texts other than spanning ones widen columns of
 * SIM_TABLE_WIDEN). */
void sim_table_head(sim_table *t, const char *const *cells);

/* Adds a group heading, a line of its own between rows ("key management
 * (dini)"), printed flush left. */
void sim_table_group(sim_table *t, const char *text);

/* Adds a row of cells[0..ncols) (none NULL). */
void sim_table_row(sim_table *t, const char *const *cells);

/* Prints t: each block (a blank line between two) its heading lines,
 * group headings and rows.  A cell is padded to its column's width,
 * except the last non-empty one of a line, which is not followed by
 * spaces; empty cells at the end of a line print nothing. */
void sim_table_print(const sim_table *t, FILE *out);

/* Widest line sim_table_print writes (terminal columns). */
size_t sim_table_width(const sim_table *t);

#endif
