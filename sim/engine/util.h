/* util.h — allocation that aborts on exhaustion (the one place we abort:
 * out of memory is not user input) and small string helpers. */
#ifndef KMSIM_UTIL_H
#define KMSIM_UTIL_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* realloc of an array of n elements of `size`, overflow-checked. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
/* Reports an allocation failure of n bytes (ours, or a library's): one
 * line on stderr, the registered clean-ups run (see xcleanup), and the
 * process ends with status 1 — a run that runs out of memory ends like
 * any other failed run, with nothing half-written (issue 20). */
void xoom(size_t n) __attribute__((noreturn));
/* A run-time failure that is no input's fault and leaves nothing to
 * return to (the system refused a resource, e.g. libsodium's secure
 * memory): the same clean-up as xoom, one line "kmsim: WHAT; no results
 * written", exit status 1. */
void xfail(const char *what) __attribute__((noreturn));

/* ---- Clean-up on out of memory -------------------------------------------
 * What a failed run removes (its temporary files, the directories it made)
 * is registered here by its owner, in caller storage, so that xoom can
 * remove it without allocating.  Entries run newest first (files before
 * the directories that hold them) and only in the process that registered
 * them (a forked sweep worker leaves its parent's alone).  The list is the
 * one piece of process-wide state in kmsim besides the signal flag: out of
 * memory can strike anywhere, far from any context pointer. */
typedef struct xcleanup {
    struct xcleanup *prev, *next;
    char *path;          /* the registrant's; xoom may modify it          */
    size_t made;         /* 0: path is a file to unlink; else a directory */
                         /*   whose components from byte `made` on this   */
                         /*   process created (sim_run_mkdir): rmdir them */
    long pid;            /* the registering process                       */
    int linked;          /* on the list                                   */
} xcleanup;
/* Registers c (path and made set by the caller). */
void xcleanup_add(xcleanup *c);
/* Unregisters c; a no-op when it is not registered (or zeroed). */
void xcleanup_del(xcleanup *c);

/* A growing NUL-terminated byte buffer (start from {NULL, 0, 0}; free
 * p when done). */
typedef struct xbuf {
    char *p;
    size_t n, cap;
} xbuf;
void xbuf_put(xbuf *b, const void *s, size_t n);
void xbuf_str(xbuf *b, const char *s);
void xbuf_printf(xbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats a one-line message into err (errlen bytes; NULL or 0: nothing),
 * the way every module reports an error to its caller. */
void xmsg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Optimal-string-alignment (restricted Damerau-Levenshtein) distance
 * between a and b: insertions, deletions, substitutions and swaps of two
 * adjacent characters each cost 1.  Strings longer than 63 bytes count
 * as far from everything (SIZE_MAX). */
size_t sim_util_edit_distance(const char *a, const char *b);
/* "Did you mean" (kmsim extension): the candidate closest to `s` by
 * sim_util_edit_distance, when that distance is at most 2 and smaller
 * than strlen(s) (a one-letter word suggests nothing); NULL otherwise.
 * Ties go to the earliest candidate.  `cand` is NULL-terminated. */
const char *sim_util_closest(const char *s, const char *const *cand);

/* The data search path (kmsim extension, issue 21): `rel` looked up as
 * <dir>/<rel> in each folder of `search` (colon-separated, empty entries
 * skipped, e.g. $KMSIM_PATH; NULL: none), then in `datadir` (the installed
 * $(pkgdatadir)/scenarios; NULL: none).  The first that names an existing
 * regular file wins: a newly allocated path (the caller frees it), with
 * *dir_out (if not NULL) a newly allocated copy of its folder.  NULL with
 * errno ENOENT when none does, or when `rel` is absolute or empty. */
char *sim_util_find_data(const char *rel, const char *search,
                         const char *datadir, char **dir_out);

/* The compiled-in installed data folder, $(pkgdatadir)/scenarios, or NULL
 * when the library was built without one. */
const char *sim_util_datadir(void);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
