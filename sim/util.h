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
/* Reports an allocation failure of n bytes made by a library and aborts. */
void xoom(size_t n) __attribute__((noreturn));

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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
