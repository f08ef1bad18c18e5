/* csv.h — RFC 4180 CSV writer that never leaves a half-written file that
 * looks complete: rows go to "<path>.tmp.<pid>" in the same directory and
 * ana_csv_commit() flushes, fsyncs and renames it over <path>. */
#ifndef KMSIM_CSV_H
#define KMSIM_CSV_H

#include <stddef.h>
#include <stdint.h>

typedef struct ana_csv ana_csv;  /* opaque */

/* Opens the temporary file.  NULL with a message naming the path and the
 * system error on failure. */
ana_csv *ana_csv_open(const char *path, char *err, size_t errlen);
/* Fields: strings are quoted when they contain , " CR or LF (quotes
 * doubled); doubles are written in the shortest form that reads back to
 * the same value ("%.15g" unless "%.17g" is needed); NaN and infinities are
 * written as empty fields.  Errors are sticky and reported by commit. */
void ana_csv_str(ana_csv *c, const char *s);
void ana_csv_double(ana_csv *c, double x);
void ana_csv_i64(ana_csv *c, int64_t x);
void ana_csv_u64(ana_csv *c, uint64_t x);
void ana_csv_endrow(ana_csv *c);          /* CRLF line ending (RFC 4180) */

/* Writes s verbatim (no quoting, no separator): for a file that is not a
 * CSV but is written the same way (run.yaml). */
void ana_csv_text(ana_csv *c, const char *s);
/* Seals: finishes the temporary file (flush, fsync, close) without
 * renaming it, so several files can be made complete before any of them
 * replaces its target.  0, or -1 with a message (c stays valid for commit
 * or abort, which then fail / clean up). */
int ana_csv_seal(ana_csv *c, char *err, size_t errlen);
/* Commits: seals if not yet sealed, then renames over the target.  0 on
 * success (file in place), -1 with message (temporary file removed,
 * target untouched).  Frees c in both cases. */
int ana_csv_commit(ana_csv *c, char *err, size_t errlen);
/* Abandons the file: removes the temporary, frees c.  NULL is a no-op. */
void ana_csv_abort(ana_csv *c);
/* Formats a double as ana_csv_double would (buf >= 32 bytes). */
void ana_csv_format_double(char *buf, size_t len, double x);

/* ---- Reading a CSV file back (kmsim db import, --db) ---- */

/* A CSV file read back (RFC 4180, CRLF or LF rows): the whole file in
 * memory, one row at a time, each row's fields unquoted, NUL-terminated,
 * in f[0..nf).  Zero-initialise it or let ana_csv_in_load do it. */
typedef struct ana_csv_in {
    const char *path;    /* as given, for messages                      */
    char *text;          /* the file, NUL-terminated, owned             */
    size_t len, pos;
    size_t line;         /* line of the row just read (1-based)         */
    size_t next_line;    /* line where the next row starts              */
    char *buf;           /* fields, NUL-separated                       */
    size_t cap;
    size_t *off;         /* field offsets into buf                      */
    size_t noff, offcap;
    const char **f;      /* the fields of the row just read             */
    size_t nf;
} ana_csv_in;

/* Reads the file at path (which must outlive c) into c.  0, or -1 with a
 * message naming the path; ana_csv_in_free(c) either way. */
int ana_csv_in_load(ana_csv_in *c, const char *path, char *err,
                    size_t errlen);
/* The next row into c->f / c->nf.  1: a row, 0: end of file, -1: a
 * malformed row (err: "file:line: reason": a quoted field that never
 * ends, a NUL byte, a quote in an unquoted field, a character after a
 * closing quote, a last row without a line end). */
int ana_csv_in_row(ana_csv_in *c, char *err, size_t errlen);
void ana_csv_in_free(ana_csv_in *c);   /* frees what c owns, not c */

#endif
