/* util.c — allocation wrappers: out of memory prints one line, removes
 * what the run registered (xcleanup) and ends the process with status 1;
 * every other failure in kmsim is reported and returned. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util.h"

static xcleanup *cleanup_head;     /* newest first; see util.h */

void xcleanup_add(xcleanup *c)
{
    c->pid = (long)getpid();
    c->prev = NULL;
    c->next = cleanup_head;
    if (cleanup_head)
        cleanup_head->prev = c;
    cleanup_head = c;
    c->linked = 1;
}

void xcleanup_del(xcleanup *c)
{
    if (!c->linked)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        cleanup_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->linked = 0;
}

/* Removes the directories of c deepest first, as sim_run_rmdir does, by
 * cutting c->path in place: no allocation. */
static void cleanup_dirs(xcleanup *c)
{
    char *p = c->path;
    size_t n = strlen(p);

    while (n >= c->made && rmdir(p) == 0) {
        while (n > 0 && p[n - 1] != '/')
            n--;
        while (n > 0 && p[n - 1] == '/')
            n--;
        p[n] = '\0';
    }
}

/* Removes what this process registered (temporary files, directories it
 * made): no allocation. */
static void cleanup_all(void)
{
    long me = (long)getpid();

    for (xcleanup *c = cleanup_head; c; c = c->next) {
        if (c->pid != me || !c->path)
            continue;
        if (c->made == 0)
            unlink(c->path);
        else
            cleanup_dirs(c);
    }
}

void xmsg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void xoom(size_t n)
{
    cleanup_all();
    fprintf(stderr, "kmsim: out of memory (allocating %zu bytes); no "
                    "results written\n", n);
    fflush(stderr);
    _exit(1);
}

void xfail(const char *what)
{
    cleanup_all();
    fprintf(stderr, "kmsim: %s; no results written\n", what);
    fflush(stderr);
    _exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        xoom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        xoom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        xoom(n);
    return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        xoom(SIZE_MAX);
    return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

void xbuf_put(xbuf *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = 2 * (b->n + n + 1);
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void xbuf_str(xbuf *b, const char *s)
{
    xbuf_put(b, s, strlen(s));
}

void xbuf_printf(xbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    xbuf_put(b, "", 0);                    /* b->p exists */
    if (b->n + (size_t)n + 1 > b->cap) {
        b->cap = 2 * (b->n + (size_t)n + 1);
        b->p = xrealloc(b->p, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

size_t sim_util_edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t d[64][64];

    if (na >= 64 || nb >= 64)
        return SIZE_MAX;
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

const char *sim_util_closest(const char *s, const char *const *cand)
{
    const char *best = NULL;
    size_t best_d = 3, n = strlen(s);

    for (; cand && *cand; cand++) {
        size_t dist = sim_util_edit_distance(s, *cand);
        if (dist < best_d && dist < n) {
            best = *cand;
            best_d = dist;
        }
    }
    return best;
}

/* <dir>/<rel> if it is a regular file: the path (and its folder). */
static char *find_one(const char *dir, size_t n, const char *rel,
                      char **dir_out)
{
    size_t r = strlen(rel);
    char *p = xmalloc(n + 1 + r + 1);
    struct stat st;

    memcpy(p, dir, n);
    p[n] = '/';
    memcpy(p + n + 1, rel, r + 1);
    if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(p);
        return NULL;
    }
    if (dir_out) {
        *dir_out = xmalloc(n + 1);
        memcpy(*dir_out, dir, n);
        (*dir_out)[n] = '\0';
    }
    return p;
}

char *sim_util_find_data(const char *rel, const char *search,
                         const char *datadir, char **dir_out)
{
    char *p;

    if (dir_out)
        *dir_out = NULL;
    if (!rel || !*rel || rel[0] == '/') {
        errno = ENOENT;
        return NULL;
    }
    while (search && *search) {
        const char *c = strchr(search, ':');
        size_t n = c ? (size_t)(c - search) : strlen(search);

        if (n && (p = find_one(search, n, rel, dir_out)))
            return p;
        search = c ? c + 1 : NULL;
    }
    if (datadir && *datadir &&
        (p = find_one(datadir, strlen(datadir), rel, dir_out)))
        return p;
    errno = ENOENT;
    return NULL;
}

const char *sim_util_datadir(void)
{
#ifdef KMSIM_DATADIR
    return KMSIM_DATADIR;
#else
    return NULL;
#endif
}
