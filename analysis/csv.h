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

#endif
