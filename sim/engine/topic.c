/* topic.c — MQTT 3.1.1 topic names, filters and matching (OASIS MQTT
 * 3.1.1 section 4.7).  Pure functions over NUL-terminated strings: no
 * allocation, one pass over each string. */
#include <string.h>
#include "topic.h"

#define TOPIC_MAX_LEN 65535u   /* UTF-8 encoded string length field */

/* Length of s, or TOPIC_MAX_LEN + 1 if longer (never reads past that). */
static size_t topic_len(const char *s)
{
    size_t n = 0;

    while (n <= TOPIC_MAX_LEN && s[n])
        n++;
    return n;
}

int sim_topic_name_valid(const char *name)
{
    size_t n;

    if (!name)
        return 0;
    n = topic_len(name);
    if (n == 0 || n > TOPIC_MAX_LEN)
        return 0;
    return strpbrk(name, "+#") == NULL;
}

int sim_topic_filter_valid(const char *filter)
{
    const char *p;
    size_t n;

    if (!filter)
        return 0;
    n = topic_len(filter);
    if (n == 0 || n > TOPIC_MAX_LEN)
        return 0;
    for (p = filter; *p; p++) {
        int level_start = p == filter || p[-1] == '/';
        int level_end = p[1] == '/' || p[1] == '\0';

        if (*p == '+' && !(level_start && level_end))
            return 0;
        if (*p == '#' && !(level_start && p[1] == '\0'))
            return 0;
    }
    return 1;
}

/* Walks both strings one level at a time.  At the top of the loop f and
 * n point at the first byte of corresponding levels. */
int sim_topic_match(const char *filter, const char *name)
{
    const char *f = filter, *n = name;

    if (!f || !n)
        return 0;
    /* 4.7.2: a filter starting with a wildcard never matches a name
     * starting with '$' ($SYS/... is server-internal). */
    if (n[0] == '$' && (f[0] == '+' || f[0] == '#'))
        return 0;
    for (;;) {
        if (f[0] == '#' && f[1] == '\0')
            return 1;                     /* this level and all below */
        if (f[0] == '+' && (f[1] == '/' || f[1] == '\0')) {
            f++;
            while (*n && *n != '/')
                n++;                      /* any one level, even empty */
        } else {
            while (*f && *f != '/' && *f == *n) {
                f++;
                n++;
            }
            if ((*f && *f != '/') || (*n && *n != '/'))
                return 0;                 /* levels differ */
        }
        /* Both at a level end: '/' or the terminating NUL. */
        if (!*f && !*n)
            return 1;
        if (!*f)
            return 0;                     /* name has more levels */
        if (!*n)                          /* "a/#" also matches "a" */
            return strcmp(f, "/#") == 0;
        f++;
        n++;
    }
}
