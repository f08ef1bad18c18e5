/* csv.c — RFC 4180 writer with atomic replacement: rows go to
 * "<path>.tmp.<pid>" beside the target and only a successful commit
 * (fflush, fsync, fclose, rename) makes them visible under <path>, so a
 * crash or a full disk never leaves a truncated file that looks complete. */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700   /* POSIX.1-2008 + XSI: fsync, fdopen, O_CLOEXEC */
#endif
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "csv.h"
#include "units.h"
#include "util.h"

/* Invariant: f is open until commit/abort; once err != 0 nothing more is
 * written and commit fails with `what` and strerror(err). */
struct ana_csv {
    FILE *f;            /* the temporary file                            */
    char *path;         /* target, owned                                 */
    char *tmp;          /* "<path>.tmp.<pid>", owned                     */
    int err;            /* first errno seen (sticky), 0 while all is well */
    const char *what;   /* the operation that failed, for the message   */
    size_t col;         /* fields written on the current row            */
    xcleanup cl;        /* tmp, registered while it exists (xoom)        */
};

/* A path in a message: a long one is cut in its middle, so the reason
 * after it is never lost; control and terminal-unsafe characters are
 * escaped (sim_units_quote_path). */
typedef char csv_qbuf[512];
static const char *quote(csv_qbuf q, const char *path)
{
    sim_units_quote_path(q, sizeof(csv_qbuf), path);
    return q;
}

static void csv_release(ana_csv *c)
{
    xcleanup_del(&c->cl);
    free(c->path);
    free(c->tmp);
    free(c);
}

ana_csv *ana_csv_open(const char *path, char *err, size_t errlen)
{
    csv_qbuf q1, q2;
    char suffix[32];
    ana_csv *c;
    size_t n;
    int fd, e;

    c = xcalloc(1, sizeof *c);
    c->path = xstrdup(path);
    snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
    n = strlen(path);
    c->tmp = xmalloc(n + strlen(suffix) + 1);
    memcpy(c->tmp, path, n);
    strcpy(c->tmp + n, suffix);

    /* O_EXCL never follows a planted symlink.  A leftover from a crashed
     * run with the same pid (common in containers) is ours to replace. */
    fd = open(c->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && unlink(c->tmp) == 0)
        fd = open(c->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        e = errno;
        xmsg(err, errlen, "%s: cannot create temporary file %s: %s",
                quote(q1, path), quote(q2, c->tmp), strerror(e));
        csv_release(c);
        return NULL;
    }
    c->f = fdopen(fd, "wb");
    if (!c->f) {
        e = errno;
        close(fd);
        unlink(c->tmp);
        xmsg(err, errlen, "%s: cannot open temporary file %s: %s",
                quote(q1, path), quote(q2, c->tmp), strerror(e));
        csv_release(c);
        return NULL;
    }
    c->cl.path = c->tmp;
    xcleanup_add(&c->cl);
    return c;
}

/* Records the first failure; later ones are consequences of it. */
static void csv_fail(ana_csv *c, const char *what)
{
    if (c->err)
        return;
    c->err = errno ? errno : EIO;
    c->what = what;
}

static void csv_write(ana_csv *c, const char *s, size_t n)
{
    if (c->err || n == 0)
        return;
    errno = 0;
    if (fwrite(s, 1, n, c->f) != n)
        csv_fail(c, "write failed");
}

static void csv_sep(ana_csv *c)
{
    if (c->col++ > 0)
        csv_write(c, ",", 1);
}

void ana_csv_str(ana_csv *c, const char *s)
{
    const char *q;

    assert(c);
    csv_sep(c);
    if (!s)
        return;             /* NULL is an empty field */
    if (!s[strcspn(s, ",\"\r\n")]) {
        csv_write(c, s, strlen(s));
        return;
    }
    csv_write(c, "\"", 1);
    while ((q = strchr(s, '"')) != NULL) {
        csv_write(c, s, (size_t)(q - s) + 1);   /* through the quote... */
        csv_write(c, "\"", 1);                  /* ...and double it     */
        s = q + 1;
    }
    csv_write(c, s, strlen(s));
    csv_write(c, "\"", 1);
}

void ana_csv_format_double(char *buf, size_t len, double x)
{
    assert(len >= 32);
    if (!isfinite(x)) {
        buf[0] = '\0';
        return;
    }
    if (x == 0.0) {                     /* also -0: "-0" reads oddly */
        snprintf(buf, len, "0");
        return;
    }
    /* %.17g always round-trips an IEEE double; try shorter first. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* Under a locale with a decimal comma (the program never sets one, a
     * library might) the field would split in two: force '.'. */
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = '.';
}

void ana_csv_double(ana_csv *c, double x)
{
    char buf[32];

    assert(c);
    ana_csv_format_double(buf, sizeof buf, x);
    csv_sep(c);
    csv_write(c, buf, strlen(buf));
}

void ana_csv_i64(ana_csv *c, int64_t x)
{
    char buf[32];

    assert(c);
    snprintf(buf, sizeof buf, "%" PRId64, x);
    csv_sep(c);
    csv_write(c, buf, strlen(buf));
}

void ana_csv_u64(ana_csv *c, uint64_t x)
{
    char buf[32];

    assert(c);
    snprintf(buf, sizeof buf, "%" PRIu64, x);
    csv_sep(c);
    csv_write(c, buf, strlen(buf));
}

void ana_csv_text(ana_csv *c, const char *s)
{
    csv_write(c, s, strlen(s));
}

void ana_csv_endrow(ana_csv *c)
{
    assert(c);
    csv_write(c, "\r\n", 2);
    c->col = 0;
}

/* Finishes the temporary file (flush, fsync, close); errors are recorded
 * in c->err.  Idempotent. */
static void csv_finish(ana_csv *c)
{
    FILE *f = c->f;

    if (!f)
        return;
    c->f = NULL;
    if (!c->err) {
        errno = 0;
        if (fflush(f) != 0)
            csv_fail(c, "write failed");
        else if (fsync(fileno(f)) != 0)
            csv_fail(c, "fsync failed");
    }
    errno = 0;
    if (fclose(f) != 0)     /* closes even on failure */
        csv_fail(c, "close failed");
}

int ana_csv_seal(ana_csv *c, char *err, size_t errlen)
{
    csv_qbuf q1;

    assert(c);
    csv_finish(c);
    if (c->err) {
        xmsg(err, errlen, "%s: %s: %s", quote(q1, c->path), c->what,
                strerror(c->err));
        return -1;
    }
    return 0;
}

int ana_csv_commit(ana_csv *c, char *err, size_t errlen)
{
    csv_qbuf q1;

    assert(c);
    csv_finish(c);
    if (!c->err && rename(c->tmp, c->path) != 0)
        csv_fail(c, "cannot rename temporary file into place");
    if (c->err) {
        xmsg(err, errlen, "%s: %s: %s", quote(q1, c->path), c->what,
                strerror(c->err));
        unlink(c->tmp);
        csv_release(c);
        return -1;
    }
    csv_release(c);
    return 0;
}

void ana_csv_abort(ana_csv *c)
{
    if (!c)
        return;
    if (c->f)
        fclose(c->f);
    unlink(c->tmp);
    csv_release(c);
}

/* ---- Reading a CSV file back (kmsim db import, --db) ---- */


int ana_csv_in_load(ana_csv_in *c, const char *path, char *err,
                    size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    csv_qbuf q;
    size_t cap = 65536, n = 0, k;

    memset(c, 0, sizeof *c);
    c->path = path;
    c->next_line = 1;
    if (!fp) {
        xmsg(err, errlen, "%s: cannot open: %s", quote(q, path),
                strerror(errno));
        return -1;
    }
    c->text = xmalloc(cap);
    while ((k = fread(c->text + n, 1, cap - n - 1, fp)) > 0) {
        n += k;
        if (n + 1 == cap) {
            cap *= 2;
            c->text = xrealloc(c->text, cap);
        }
    }
    if (ferror(fp)) {
        xmsg(err, errlen, "%s: cannot read: %s", quote(q, path),
                strerror(errno));
        fclose(fp);
        return -1;
    }
    fclose(fp);
    c->text[n] = '\0';
    c->len = n;
    return 0;
}

void ana_csv_in_free(ana_csv_in *c)
{
    free(c->text);
    free(c->buf);
    free(c->off);
    free(c->f);
}

static void in_put(ana_csv_in *c, size_t *n, char ch)
{
    if (*n + 1 >= c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->buf = xrealloc(c->buf, c->cap);
    }
    c->buf[(*n)++] = ch;
}

int ana_csv_in_row(ana_csv_in *c, char *err, size_t errlen)
{
    size_t n = 0;
    const char *t = c->text;
    csv_qbuf q;

    if (c->pos >= c->len)
        return 0;
    c->line = c->next_line;
    c->noff = 0;
    for (;;) {                            /* one field per iteration */
        if (c->noff == c->offcap) {
            c->offcap = c->offcap ? 2 * c->offcap : 32;
            c->off = xreallocarray(c->off, c->offcap, sizeof *c->off);
        }
        c->off[c->noff++] = n;
        if (t[c->pos] == '"') {
            c->pos++;
            for (;;) {
                if (c->pos >= c->len) {
                    xmsg(err, errlen, "%s:%zu: a quoted field never "
                            "ends", quote(q, c->path), c->line);
                    return -1;
                }
                if (t[c->pos] == '"') {
                    if (t[c->pos + 1] != '"')
                        break;
                    c->pos++;
                }
                if (t[c->pos] == '\n')
                    c->next_line++;
                if (t[c->pos] == '\0') {
                    xmsg(err, errlen, "%s:%zu: a NUL byte",
                            quote(q, c->path), c->next_line);
                    return -1;
                }
                in_put(c, &n, t[c->pos++]);
            }
            c->pos++;                     /* the closing quote */
        } else {
            while (c->pos < c->len && t[c->pos] != ',' && t[c->pos] != '\r' &&
                   t[c->pos] != '\n') {
                if (t[c->pos] == '"' || t[c->pos] == '\0') {
                    xmsg(err, errlen, "%s:%zu: %s in an unquoted field",
                            quote(q, c->path), c->line,
                            t[c->pos] ? "a quote" : "a NUL byte");
                    return -1;
                }
                in_put(c, &n, t[c->pos++]);
            }
        }
        in_put(c, &n, '\0');
        if (c->pos < c->len && t[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->pos + 1 < c->len + 1 && t[c->pos] == '\r' &&
            t[c->pos + 1] == '\n')
            c->pos += 2;
        else if (c->pos < c->len && t[c->pos] == '\n')
            c->pos++;
        else if (c->pos >= c->len) {
            xmsg(err, errlen, "%s:%zu: the last row has no line end (a "
                    "truncated file?)", quote(q, c->path), c->line);
            return -1;
        } else {
            xmsg(err, errlen, "%s:%zu: a character after a quoted "
                    "field", quote(q, c->path), c->line);
            return -1;
        }
        c->next_line++;
        break;
    }
    c->f = xreallocarray(c->f, c->noff, sizeof *c->f);
    for (size_t i = 0; i < c->noff; i++)
        c->f[i] = c->buf + c->off[i];
    c->nf = c->noff;
    return 1;
}
