/* scn_yaml.c — the scenario loader's YAML reader (the seam below the
 * schema): reading a file, the limits checked before libyaml builds a tree
 * (prescan), the node tree with positions, error messages naming
 * file:line:column or the --set flag, and grafting --set overrides into
 * the tree.  Nothing here knows the scenario's sections. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "cry.h"
#include "cry_key.h"
#include "scenario.h"
#include "topic.h"
#include "util.h"
#include "scn_int.h"

/* ======================================================================
 * Errors
 * ====================================================================== */

/* Writes the first error only: later ones are consequences. */
static void vreport(ldr *L, const char *file, int ovr, const yaml_mark_t *m,
                    const char *fmt, va_list ap)
{
    char msg[1024], q[128];

    if (L->failed)
        return;
    L->failed = 1;
    if (!L->err || L->errlen == 0)
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (L->vary)
        ovr = 0;
    if (ovr >= 0 && L->labels && L->labels[ovr]) {
        snprintf(L->err, L->errlen, "%s: %s", L->labels[ovr], msg);
    } else if (ovr >= 0) {
        sim_units_quote(q, sizeof q, L->args[ovr]);
        snprintf(L->err, L->errlen, "--set %s: %s", q, msg);
    } else if (m) {
        snprintf(L->err, L->errlen, "%s:%zu:%zu: %s", file, m->line + 1,
                 m->column + 1, msg);
    } else {
        snprintf(L->err, L->errlen, "%s: %s", file, msg);
    }
}

void scni_report(ldr *L, const char *file, int ovr, const yaml_mark_t *m,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(L, file, ovr, m, fmt, ap);
    va_end(ap);
}

int scni_origin_of(const ydoc *d, const yaml_node_t *n)
{
    size_t i = (size_t)(n - d->doc.nodes.start);
    return d->origin && i < d->cap ? d->origin[i] : -1;
}

/* Error at node n of d; always returns -1. */
int scni_nerr(ldr *L, const ydoc *d, const yaml_node_t *n,
              const char *fmt, ...)
{
    va_list ap;
    const yaml_mark_t *at = L->alias_doc == d ? &L->alias_mark
                                               : &n->start_mark;
    va_start(ap, fmt);
    vreport(L, d->file, scni_origin_of(d, n), at, fmt, ap);
    va_end(ap);
    return -1;
}

/* ======================================================================
 * Reading and parsing YAML
 * ====================================================================== */

/* What a file of mode `mode` is, for "not a regular file" messages. */
static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode) ? "a directory"
         : S_ISFIFO(mode) ? "a FIFO"
         : S_ISCHR(mode) ? "a character device"
         : S_ISBLK(mode) ? "a block device"
         : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

/* Reads a whole regular file.  Returns 0, -1 with errno set, -2 if larger
 * than SCN_MAX_FILE (measured before anything is read), or -3 if `path`
 * is not a regular file (a FIFO, a device, a directory: *kind says which).
 * The file is opened with O_NONBLOCK so that opening a FIFO never waits
 * for a writer.  *buf is the caller's to free. */
int scni_read_file(const char *path, unsigned char **buf, size_t *len,
                   const char **kind)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f;
    size_t cap = 0, n = 0;
    unsigned char *b = NULL;
    struct stat st;

    *buf = NULL;
    *len = 0;
    *kind = NULL;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        *kind = file_kind(st.st_mode);
        close(fd);
        return -3;
    }
    if ((uintmax_t)st.st_size > SCN_MAX_FILE) {
        close(fd);
        return -2;
    }
    f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            if (cap > SCN_MAX_FILE) {
                fclose(f);
                free(b);
                return -2;
            }
            cap = cap ? 2 * cap : 65536;
            if (cap > SCN_MAX_FILE)
                cap = SCN_MAX_FILE + 1;
            b = xrealloc(b, cap);
        }
        got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n > SCN_MAX_FILE) {
            fclose(f);
            free(b);
            return -2;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;
        fclose(f);
        free(b);
        errno = e;
        return -1;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

/* Line and column of byte `off` of the input, counted as libyaml's scanner
 * counts its marks (its reader errors carry a byte offset instead): a
 * byte-order mark is not counted; a line ends at LF, CR, CRLF, NEL, LS or
 * PS; a column is one character, i.e. a well-formed UTF-8 sequence (in
 * UTF-16 input, a code unit or a surrogate pair), or one byte that is not
 * part of one.  A tab is one column. */
static void offset_mark(const unsigned char *buf, size_t len, size_t off,
                        yaml_mark_t *m)
{
    size_t i = 0;
    int u16 = 0;              /* 0 UTF-8, 1 UTF-16LE, 2 UTF-16BE */

    m->index = off;
    m->line = 0;
    m->column = 0;
    if (off > len)
        off = len;
    if (len >= 2 && buf[0] == 0xff && buf[1] == 0xfe) {
        u16 = 1;
        i = 2;
    } else if (len >= 2 && buf[0] == 0xfe && buf[1] == 0xff) {
        u16 = 2;
        i = 2;
    } else if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb &&
               buf[2] == 0xbf) {
        i = 3;
    }
    while (i < off) {
        unsigned long c;
        size_t w = 1;

        if (u16) {
            if (i + 1 >= off)
                break;
            c = u16 == 1 ? (unsigned long)(buf[i] | buf[i + 1] << 8)
                         : (unsigned long)(buf[i] << 8 | buf[i + 1]);
            w = 2;
            if (c >= 0xd800 && c < 0xdc00 && i + 3 < off) {
                unsigned long lo = u16 == 1
                    ? (unsigned long)(buf[i + 2] | buf[i + 3] << 8)
                    : (unsigned long)(buf[i + 2] << 8 | buf[i + 3]);
                if (lo >= 0xdc00 && lo < 0xe000)
                    w = 4;
            }
        } else {
            unsigned char b0 = buf[i];
            size_t need = b0 >= 0xf0 && b0 < 0xf8 ? 4
                        : b0 >= 0xe0 && b0 < 0xf0 ? 3
                        : b0 >= 0xc0 && b0 < 0xe0 ? 2 : 1;
            c = b0;
            if (need > 1 && i + need <= off) {
                size_t k;
                for (k = 1; k < need && (buf[i + k] & 0xc0) == 0x80; k++)
                    ;
                if (k == need) {
                    w = need;
                    c = need == 3 ? (unsigned long)(b0 & 0x0f) << 12 |
                                    (unsigned long)(buf[i + 1] & 0x3f) << 6 |
                                    (buf[i + 2] & 0x3f)
                      : need == 2 ? (unsigned long)(b0 & 0x1f) << 6 |
                                    (buf[i + 1] & 0x3f)
                                  : 0x10000;
                }
            }
        }
        if (c == '\r' || c == '\n' || c == 0x85 || c == 0x2028 ||
            c == 0x2029) {
            /* CRLF is one break: the CR ends the line, the LF is skipped */
            int crlf = c == '\r' && i + w < off &&
                       (u16 ? (u16 == 1 ? buf[i + w] == '\n' &&
                                          i + w + 1 < off &&
                                          buf[i + w + 1] == 0
                                        : buf[i + w] == 0 &&
                                          i + w + 1 < off &&
                                          buf[i + w + 1] == '\n')
                            : buf[i + w] == '\n');
            if (crlf)
                w *= 2;
            m->line++;
            m->column = 0;
        } else {
            m->column++;
        }
        i += w;
    }
}

/* What libyaml's reader stopped at, as " (...)" or "": its problem_value
 * is an octet for the "invalid leading/trailing UTF-8 octet" errors, -1
 * for an overlong or cut sequence, and a code point otherwise (a control
 * character, an encoded surrogate, beyond U+10FFFF).  In UTF-8 input the
 * bytes of the sequence at problem_offset are shown as they are in the
 * file (a code point alone could be taken for a byte: U+D800 is not
 * "byte 0x00"). */
static void reader_what(const yaml_parser_t *p, const unsigned char *buf,
                        size_t len, char *out, size_t outlen)
{
    size_t off = p->problem_offset, o = 0, n = 1, k;
    int value = p->problem_value;

    out[0] = '\0';
    if (value != -1 && strstr(p->problem, "octet")) {
        snprintf(out, outlen, " (byte 0x%02x)", (unsigned)value & 0xffu);
        return;
    }
    if (p->encoding != YAML_UTF8_ENCODING || off >= len) {
        if (value != -1)
            snprintf(out, outlen, " (U+%04X)", (unsigned)value);
        return;
    }
    n = buf[off] >= 0xf0 ? 4 : buf[off] >= 0xe0 ? 3 : buf[off] >= 0xc0 ? 2
      : 1;
    for (k = 1; k < n && off + k < len && (buf[off + k] & 0xc0) == 0x80; k++)
        ;
    n = k;
    if (n == 1 && (value == -1 || value == buf[off])) {
        snprintf(out, outlen, " (byte 0x%02x)", buf[off]);
        return;
    }
    o = (size_t)snprintf(out, outlen, value != -1 ? " (U+%04X, bytes"
                         : " (bytes", (unsigned)value);
    for (k = 0; k < n && o < outlen; k++)
        o += (size_t)snprintf(out + o, outlen - o, " 0x%02x", buf[off + k]);
    if (o < outlen)
        snprintf(out + o, outlen - o, ")");
}

/* libyaml's error as one line. */
static void yaml_fail(ldr *L, const char *file, int ovr,
                      const yaml_parser_t *p, const unsigned char *buf,
                      size_t len)
{
    const char *problem = p->problem ? p->problem : "invalid YAML";
    yaml_mark_t m = p->problem_mark;

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        scni_report(L, file, ovr, NULL, "out of memory while parsing YAML");
        return;
    case YAML_READER_ERROR: {
        char what[64];
        offset_mark(buf, len, p->problem_offset, &m);
        reader_what(p, buf, len, what, sizeof what);
        scni_report(L, file, ovr, &m, "%s%s", problem, what);
        return;
    }
    default:
        if (p->context)
            scni_report(L, file, ovr, &m, "%s (%s at %zu:%zu)", problem,
                        p->context, p->context_mark.line + 1,
                        p->context_mark.column + 1);
        else
            scni_report(L, file, ovr, &m, "%s", problem);
        return;
    }
}

/* ---- the first pass: limits before the tree is built -------------------
 * Anchors met so far, for what an alias to each expands to.  Open
 * addressing on the name; names are unique in a document (libyaml's
 * composer would refuse a second definition; the first pass does). */
typedef struct anchor {
    char *name;          /* NULL: a free slot                          */
    size_t nodes;        /* scalars, lists and mappings, expanded      */
    size_t text;         /* scalar bytes, expanded                     */
    unsigned depth;      /* levels of lists and mappings, itself too   */
    int open;            /* a list or mapping not yet ended: an alias  */
                         /*   to it would be inside it (a cycle)       */
    yaml_mark_t mark;    /* where it is defined                        */
} anchor;

typedef struct anchors {
    anchor *slot;
    size_t mask, used;
} anchors;

/* One open list or mapping of the first pass. */
typedef struct scan_frame {
    size_t nodes, text;  /* itself and what it holds so far, expanded */
    unsigned depth;      /* its deepest member's depth                 */
    const char *anchor;  /* its anchor (the table's copy), or NULL     */
} scan_frame;

static size_t anchor_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (size_t)h;
}

/* The slot of `name`: its entry, or the free slot where it goes. */
static anchor *anchor_slot(anchors *t, const char *name)
{
    size_t h;

    if (!t->slot)
        return NULL;
    for (h = anchor_hash(name) & t->mask; t->slot[h].name;
         h = (h + 1) & t->mask)
        if (strcmp(t->slot[h].name, name) == 0)
            break;
    return &t->slot[h];
}

/* A new entry for `name` (absent), growing the table at half full. */
static anchor *anchor_add(anchors *t, const char *name)
{
    anchor *a;

    if (2 * (t->used + 1) > (t->slot ? t->mask + 1 : 0)) {
        anchors g;
        size_t cap = t->slot ? 2 * (t->mask + 1) : 64;
        g.slot = xcalloc(cap, sizeof *g.slot);
        g.mask = cap - 1;
        g.used = t->used;
        for (size_t i = 0; t->slot && i <= t->mask; i++)
            if (t->slot[i].name)
                *anchor_slot(&g, t->slot[i].name) = t->slot[i];
        free(t->slot);
        *t = g;
    }
    a = anchor_slot(t, name);
    a->name = xstrdup(name);
    t->used++;
    return a;
}

static void anchors_free(anchors *t)
{
    for (size_t i = 0; t->slot && i <= t->mask; i++)
        free(t->slot[i].name);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* A first pass over the event stream enforces the limits libyaml does not
 * have before the tree is built, so hostile input costs bounded memory and
 * time, and every later walk of the tree (aliases followed) is bounded
 * too: one document; nesting depth, aliases followed, at most
 * SCN_MAX_DEPTH; at most SCN_MAX_YAML_NODES nodes and SCN_MAX_YAML_TEXT
 * bytes of scalars, aliases counted as what they refer to (a "billion
 * laughs" stops here); no alias inside the node it refers to, none to an
 * undefined anchor, no anchor defined twice; strings of at most
 * SCN_MAX_STRING bytes, without NUL. */
/* 0, or -1 after reporting a UTF-8 byte-order mark anywhere but at the
 * start of the input, at its own line:column.  libyaml skips one at the
 * start of a line but counts it as a column, so the line's indentation
 * shifts and the error it then reports points past the mark (issue 20
 * #7); YAML allows the mark only before a document, and the scenario is
 * one document.  UTF-16 input is left to libyaml. */
static int stray_bom(ldr *L, const char *file, int ovr,
                     const unsigned char *buf, size_t len)
{
    if (len >= 2 && ((buf[0] == 0xff && buf[1] == 0xfe) ||
                     (buf[0] == 0xfe && buf[1] == 0xff)))
        return 0;
    for (size_t i = 1; i + 3 <= len; i++) {
        const unsigned char *b = memchr(buf + i, 0xef, len - i);
        yaml_mark_t m;

        if (!b || (size_t)(b - buf) + 3 > len)
            return 0;
        i = (size_t)(b - buf);
        if (b[1] != 0xbb || b[2] != 0xbf)
            continue;
        offset_mark(buf, len, i, &m);
        scni_report(L, file, ovr, &m,
                    "byte-order mark (U+FEFF) is allowed only "
                    "at the start of the file");
        return -1;
    }
    return 0;
}

static int prescan(ldr *L, const char *file, int ovr,
                   const unsigned char *buf, size_t len,
                   yaml_mark_t **amarks, size_t *n_amarks)
{
    yaml_parser_t p;
    yaml_event_t ev;
    scan_frame stack[SCN_MAX_DEPTH + 1];
    anchors tab = {NULL, 0, 0};
    unsigned depth = 0, docs = 0;
    size_t nodes = 0, text = 0;
    char q[128];
    int rc = 0;

    if (!yaml_parser_initialize(&p)) {
        scni_report(L, file, ovr, NULL, "out of memory while parsing YAML");
        return -1;
    }
    if (stray_bom(L, file, ovr, buf, len)) {
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_set_input_string(&p, buf, len);
    for (;;) {
        yaml_event_type_t type;
        const yaml_char_t *aname = NULL;
        size_t n = 0, t = 0;     /* a member: its nodes and text  */
        unsigned dd = 0;         /*   and depth, expanded         */
        int member = 0;

        if (!yaml_parser_parse(&p, &ev)) {
            yaml_fail(L, file, ovr, &p, buf, len);
            rc = -1;
            break;
        }
        type = ev.type;
        switch (type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                scni_report(L, file, ovr, &ev.start_mark,
                            "more than one YAML document");
                rc = -1;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            aname = type == YAML_SEQUENCE_START_EVENT
                        ? ev.data.sequence_start.anchor
                        : ev.data.mapping_start.anchor;
            if (++depth > SCN_MAX_DEPTH) {
                scni_report(L, file, ovr, &ev.start_mark,
                            "nesting deeper than %u levels", SCN_MAX_DEPTH);
                rc = -1;
                break;
            }
            nodes++;
            stack[depth] = (scan_frame){1, 0, 0, NULL};
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            scan_frame *f = &stack[depth--];
            n = f->nodes;
            t = f->text;
            dd = f->depth + 1;
            member = 1;
            if (f->anchor) {
                anchor *a = anchor_slot(&tab, f->anchor);
                a->nodes = n;
                a->text = t;
                a->depth = dd;
                a->open = 0;
            }
            break;
        }
        case YAML_SCALAR_EVENT:
            aname = ev.data.scalar.anchor;
            if (ev.data.scalar.length > SCN_MAX_STRING) {
                scni_report(L, file, ovr, &ev.start_mark,
                            "string longer than %u bytes", SCN_MAX_STRING);
                rc = -1;
            } else if (memchr(ev.data.scalar.value, '\0',
                              ev.data.scalar.length)) {
                scni_report(L, file, ovr, &ev.start_mark,
                            "string contains a NUL character");
                rc = -1;
            }
            n = 1;
            t = ev.data.scalar.length;
            member = 1;
            nodes++;
            text += t;
            break;
        case YAML_ALIAS_EVENT: {
            anchor *a = anchor_slot(&tab, (const char *)ev.data.alias.anchor);
            sim_units_quote(q, sizeof q, (const char *)ev.data.alias.anchor);
            if (!a || !a->name) {
                scni_report(L, file, ovr, &ev.start_mark,
                            "undefined alias '*%s'", q);
                rc = -1;
            } else if (a->open) {
                scni_report(L, file, ovr, &ev.start_mark,
                            "alias '*%s' is inside the node it refers to "
                            "(defined at %zu:%zu)", q, a->mark.line + 1,
                            a->mark.column + 1);
                rc = -1;
            } else if (depth + a->depth > SCN_MAX_DEPTH) {
                scni_report(L, file, ovr, &ev.start_mark, "alias '*%s' nests "
                            "deeper than %u levels", q, SCN_MAX_DEPTH);
                rc = -1;
            } else {
                /* where it is used, in document order: see fix_aliases */
                if ((*n_amarks & (*n_amarks - 1)) == 0)
                    *amarks = xreallocarray(*amarks, 2 * (*n_amarks ? 2 *
                                            *n_amarks : 1), sizeof **amarks);
                (*amarks)[2 * *n_amarks] = ev.start_mark;
                (*amarks)[2 * *n_amarks + 1] = ev.end_mark;
                ++*n_amarks;
                n = a->nodes;
                t = a->text;
                dd = a->depth;
                member = 1;
                nodes += n;
                text += t;
                if (nodes > SCN_MAX_YAML_NODES) {
                    scni_report(L, file, ovr, &ev.start_mark, "alias '*%s' "
                                "makes the document larger than %u YAML nodes",
                                q, SCN_MAX_YAML_NODES);
                    rc = -1;
                } else if (text > SCN_MAX_YAML_TEXT) {
                    scni_report(L, file, ovr, &ev.start_mark, "alias '*%s' "
                                "makes the document longer than %zu MiB of "
                                "text", q, SCN_MAX_YAML_TEXT >> 20);
                    rc = -1;
                }
            }
            break;
        }
        default:
            break;
        }
        if (!rc && nodes > SCN_MAX_YAML_NODES) {
            scni_report(L, file, ovr, &ev.start_mark,
                        "more than %u YAML nodes "
                        "(values, lists and mappings)", SCN_MAX_YAML_NODES);
            rc = -1;
        }
        if (!rc && aname) {
            anchor *a = anchor_slot(&tab, (const char *)aname);
            if (a && a->name) {
                sim_units_quote(q, sizeof q, (const char *)aname);
                scni_report(L, file, ovr, &ev.start_mark, "duplicate anchor "
                            "'&%s' (first defined at %zu:%zu)", q,
                            a->mark.line + 1, a->mark.column + 1);
                rc = -1;
            } else {
                a = anchor_add(&tab, (const char *)aname);
                a->mark = ev.start_mark;
                if (type == YAML_SCALAR_EVENT) {
                    a->nodes = 1;
                    a->text = ev.data.scalar.length;
                } else {
                    a->open = 1;
                    stack[depth].anchor = a->name;
                }
            }
        }
        if (!rc && member && depth > 0) {
            scan_frame *f = &stack[depth];
            f->nodes += n;
            f->text += t;
            if (dd > f->depth)
                f->depth = dd;
        }
        yaml_event_delete(&ev);
        if (rc || type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&p);
    anchors_free(&tab);
    return rc;
}

/* Refuses explicit YAML tags (kmsim extension of the checks): libyaml
 * gives an untagged node its kind's core-schema tag (str, seq, map), so an
 * explicit !!str, !!seq or !!map is the same as none and is honoured;
 * any other tag (!!null, !!int, !!python/object, !foo) would change how
 * the value is read, and kmsim reads values by the option's type, so it
 * is an error at the tagged node.  Returns 0 or -1 (error reported). */
static int check_tags(ldr *L, ydoc *d, int ovr)
{
    yaml_node_t *n;

    for (n = d->doc.nodes.start; n < d->doc.nodes.top; n++) {
        const char *want = n->type == YAML_SCALAR_NODE
                               ? YAML_DEFAULT_SCALAR_TAG
                           : n->type == YAML_SEQUENCE_NODE
                               ? YAML_DEFAULT_SEQUENCE_TAG
                               : YAML_DEFAULT_MAPPING_TAG;
        const char *tag = (const char *)n->tag;
        char q[128];

        if (!tag || strcmp(tag, want) == 0)
            continue;
        if (strncmp(tag, "tag:yaml.org,2002:", 18) == 0) {
            char t[120];
            snprintf(t, sizeof t, "!!%s", tag + 18);
            sim_units_quote(q, sizeof q, t);
        } else {
            sim_units_quote(q, sizeof q, tag);
        }
        scni_report(L, d->file, ovr, &n->start_mark, "YAML tag '%s' is not "
                    "supported (values are read by the option's type; remove "
                    "the tag)", q);
        return -1;
    }
    return 0;
}

static int fix_aliases(ldr *L, ydoc *d, const yaml_mark_t *amarks,
                       size_t n_amarks);

int scni_load_doc(ldr *L, ydoc *d, const char *file, int ovr,
                  const unsigned char *buf, size_t len)
{
    yaml_parser_t p;
    yaml_mark_t *am = NULL;
    size_t nam = 0;

    d->file = file;
    if (prescan(L, file, ovr, buf, len, &am, &nam)) {
        free(am);
        return -1;
    }
    if (!yaml_parser_initialize(&p)) {
        free(am);
        scni_report(L, file, ovr, NULL, "out of memory while parsing YAML");
        return -1;
    }
    yaml_parser_set_input_string(&p, buf, len);
    if (!yaml_parser_load(&p, &d->doc)) {
        /* e.g. an undefined alias: the composer runs only here */
        free(am);
        yaml_fail(L, file, ovr, &p, buf, len);
        yaml_parser_delete(&p);
        return -1;
    }
    d->loaded = 1;
    yaml_parser_delete(&p);
    if (nam && fix_aliases(L, d, am, nam)) {
        free(am);
        return -1;
    }
    free(am);
    return check_tags(L, d, ovr);
}

void scni_ydoc_free(ydoc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = 0;
    free(d->origin);
    free(d->refs);
    free(d->aclones);
    d->origin = NULL;
    d->refs = NULL;
    d->aclones = NULL;
    d->n_aclones = 0;
    d->cap = 0;
}

/* 1 if node id of d is a list or mapping copied for an alias. */
int scni_is_alias_clone(const ydoc *d, int id)
{
    size_t lo = 0, hi = d->n_aclones;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->aclones[mid] == id)
            return 1;
        if (d->aclones[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* ======================================================================
 * Node helpers
 * ====================================================================== */

yaml_node_t *scni_node_at(ydoc *d, int id)
{
    return yaml_document_get_node(&d->doc, id);
}

const char *scni_stext(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

int scni_is_null(const yaml_node_t *n)
{
    const char *t, *tag;

    if (n->type != YAML_SCALAR_NODE)
        return 0;
    tag = (const char *)n->tag;
    if (tag && strcmp(tag, YAML_NULL_TAG) == 0)
        return 1;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        (tag && strcmp(tag, YAML_STR_TAG) != 0))
        return 0;
    t = scni_stext(n);
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

/* "'abc'", "null", "a list", "a mapping": what was found instead. */
const char *scni_describe(const yaml_node_t *n, char *buf, size_t len)
{
    char q[128];

    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (scni_is_null(n))
        return "null";
    sim_units_quote(q, sizeof q, scni_stext(n));
    snprintf(buf, len, "'%s'", q);
    return buf;
}

size_t scni_seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *scni_seq_item(ydoc *d, const yaml_node_t *n, size_t i)
{
    return scni_node_at(d, n->data.sequence.items.start[i]);
}

/* ======================================================================
 * Overrides (--set path=value)
 * ====================================================================== */

/* Splits "a.b.c=value".  Returns -1 if malformed. */
int scni_split_override(const char *arg, char **path, char **value)
{
    const char *eq = strchr(arg, '=');
    size_t n;

    if (!eq || eq == arg)
        return -1;
    n = (size_t)(eq - arg);
    if (arg[0] == '.' || arg[n - 1] == '.')
        return -1;
    for (size_t i = 1; i < n; i++)
        if (arg[i] == '.' && arg[i - 1] == '.')
            return -1;
    *path = xmalloc(n + 1);
    memcpy(*path, arg, n);
    (*path)[n] = '\0';
    *value = xstrdup(eq + 1);
    return 0;
}

/* Grows origin/refs to the document's node count; new nodes get `origin`
 * and no parents yet. */
static void meta_sync(ydoc *d, int origin)
{
    size_t n = (size_t)(d->doc.nodes.top - d->doc.nodes.start);

    if (n > d->cap) {
        size_t cap = d->cap ? d->cap : 16;
        while (cap < n)
            cap *= 2;
        d->origin = xreallocarray(d->origin, cap, sizeof *d->origin);
        d->refs = xreallocarray(d->refs, cap, sizeof *d->refs);
        for (size_t i = d->cap; i < cap; i++) {
            d->origin[i] = origin;
            d->refs[i] = 0;
        }
        d->cap = cap;
    }
}

/* First override: every loaded node is from the file; count parents. */
static void meta_init(ydoc *d)
{
    yaml_node_t *n;

    if (d->origin)
        return;
    meta_sync(d, -1);
    for (n = d->doc.nodes.start; n < d->doc.nodes.top; n++) {
        if (n->type == YAML_SEQUENCE_NODE) {
            yaml_node_item_t *it;
            for (it = n->data.sequence.items.start;
                 it < n->data.sequence.items.top; it++)
                d->refs[*it - 1]++;
        } else if (n->type == YAML_MAPPING_NODE) {
            yaml_node_pair_t *p;
            for (p = n->data.mapping.pairs.start;
                 p < n->data.mapping.pairs.top; p++) {
                d->refs[p->key - 1]++;
                d->refs[p->value - 1]++;
            }
        }
    }
}

/* libyaml's add/append return 0 only when out of memory. */
static int added(ldr *L, ydoc *d, int id, int origin)
{
    if (!id) {
        scni_report(L, d->file, origin, NULL, "out of memory");
        return 0;
    }
    /* meta arrays grow in steps; set this node's origin explicitly */
    meta_sync(d, origin);
    d->origin[id - 1] = origin;
    d->refs[id - 1] = 0;
    return id;
}

static int add_scalar(ldr *L, ydoc *d, const yaml_char_t *tag,
                      const char *text, yaml_scalar_style_t style, int origin)
{
    int id = yaml_document_add_scalar(&d->doc, (yaml_char_t *)tag,
                                      (yaml_char_t *)text, (int)strlen(text),
                                      style);
    return added(L, d, id, origin);
}

static int add_mapping(ldr *L, ydoc *d, const yaml_char_t *tag, int origin)
{
    int id = yaml_document_add_mapping(&d->doc, (yaml_char_t *)tag,
                                       YAML_ANY_MAPPING_STYLE);
    return added(L, d, id, origin);
}

static int add_sequence(ldr *L, ydoc *d, const yaml_char_t *tag, int origin)
{
    int id = yaml_document_add_sequence(&d->doc, (yaml_char_t *)tag,
                                        YAML_ANY_SEQUENCE_STYLE);
    return added(L, d, id, origin);
}

static int append_pair(ldr *L, ydoc *d, int map, int key, int value)
{
    if (!yaml_document_append_mapping_pair(&d->doc, map, key, value)) {
        scni_report(L, d->file, -1, NULL, "out of memory");
        return -1;
    }
    d->refs[key - 1]++;
    d->refs[value - 1]++;
    return 0;
}

static int append_item(ldr *L, ydoc *d, int seq, int item)
{
    if (!yaml_document_append_sequence_item(&d->doc, seq, item)) {
        scni_report(L, d->file, -1, NULL, "out of memory");
        return -1;
    }
    d->refs[item - 1]++;
    return 0;
}

/* Copies node `sid` of the value document into d (memo keeps aliases and
 * cycles of the value intact).  Returns the new id or 0. */
static int copy_node(ldr *L, ydoc *d, ydoc *src, int sid, int *memo,
                     int origin)
{
    yaml_node_t *n = scni_node_at(src, sid);
    int id;

    if (memo[sid - 1])
        return memo[sid - 1];
    switch (n->type) {
    case YAML_SCALAR_NODE:
        id = add_scalar(L, d, n->tag, scni_stext(n), n->data.scalar.style,
                        origin);
        memo[sid - 1] = id;
        return id;
    case YAML_SEQUENCE_NODE:
        id = add_sequence(L, d, n->tag, origin);
        if (!id)
            return 0;
        memo[sid - 1] = id;
        for (size_t i = 0; i < scni_seq_len(n); i++) {
            int c = copy_node(L, d, src, n->data.sequence.items.start[i],
                              memo, origin);
            if (!c || append_item(L, d, id, c))
                return 0;
        }
        return id;
    case YAML_MAPPING_NODE: {
        size_t np = (size_t)(n->data.mapping.pairs.top -
                             n->data.mapping.pairs.start);
        id = add_mapping(L, d, n->tag, origin);
        if (!id)
            return 0;
        memo[sid - 1] = id;
        for (size_t i = 0; i < np; i++) {
            yaml_node_pair_t p = n->data.mapping.pairs.start[i];
            int k = copy_node(L, d, src, p.key, memo, origin);
            int v = k ? copy_node(L, d, src, p.value, memo, origin) : 0;
            if (!v || append_pair(L, d, id, k, v))
                return 0;
        }
        return id;
    }
    default:
        scni_report(L, d->file, origin, NULL, "empty value");
        return 0;
    }
}

/* A shallow copy of container `id` (same children), for copy-on-write of
 * nodes shared through aliases.  Keeps the original's position. */
static int clone_node(ldr *L, ydoc *d, int id)
{
    yaml_node_t *n = scni_node_at(d, id);
    int c, origin = d->origin[id - 1];
    size_t cnt;

    if (n->type == YAML_MAPPING_NODE) {
        c = add_mapping(L, d, n->tag, origin);
        if (!c)
            return 0;
        n = scni_node_at(d, id);
        cnt = (size_t)(n->data.mapping.pairs.top -
                       n->data.mapping.pairs.start);
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_pair_t p = scni_node_at(d,
                                              id)->data.mapping.pairs.start[i];
            if (append_pair(L, d, c, p.key, p.value))
                return 0;
        }
    } else {
        c = add_sequence(L, d, n->tag, origin);
        if (!c)
            return 0;
        cnt = scni_seq_len(scni_node_at(d, id));
        for (size_t i = 0; i < cnt; i++)
            if (append_item(L, d, c,
                            scni_node_at(d, id)->data.sequence.items.start[i]))
                return 0;
    }
    n = scni_node_at(d, id);
    scni_node_at(d, c)->start_mark = n->start_mark;
    scni_node_at(d, c)->end_mark = n->end_mark;
    return c;
}

/* Depth-first, in document order (the order libyaml composed the nodes
 * in): a child already visited is reached through an alias, the j-th one
 * met.  It is replaced by a copy (a shallow one for a list or mapping)
 * that carries the alias's position, so an error about the value points
 * where it is used, not at its anchor (issue 20 #7).  Depth is bounded by
 * the first pass (SCN_MAX_DEPTH). */
static int fix_walk(ldr *L, ydoc *d, int id, unsigned char *seen,
                    const yaml_mark_t *amarks, size_t n_amarks, size_t *j)
{
    size_t cnt, i;
    int mapping;

    seen[id - 1] = 1;
    mapping = scni_node_at(d, id)->type == YAML_MAPPING_NODE;
    if (!mapping && scni_node_at(d, id)->type != YAML_SEQUENCE_NODE)
        return 0;
    cnt = mapping ? 2 * (size_t)(scni_node_at(d, id)->data.mapping.pairs.top -
                                 scni_node_at(d, id)->data.mapping.pairs.start)
                  : scni_seq_len(scni_node_at(d, id));
    for (i = 0; i < cnt; i++) {
        /* nodes added below may move the node array: look up again */
        yaml_node_t *n = scni_node_at(d, id);
        yaml_node_pair_t *pr = mapping ? &n->data.mapping.pairs.start[i / 2]
                                       : NULL;
        int child = !mapping ? n->data.sequence.items.start[i]
                    : i % 2 ? pr->value : pr->key;
        int c;

        if (!seen[child - 1]) {
            if (fix_walk(L, d, child, seen, amarks, n_amarks, j))
                return -1;
            continue;
        }
        if (*j >= n_amarks)
            return 0;  /* cannot happen: one alias per revisit */
        {
            yaml_node_t *o = scni_node_at(d, child);
            c = o->type == YAML_SCALAR_NODE
                    ? add_scalar(L, d, o->tag, scni_stext(o),
                                 o->data.scalar.style, d->origin[child - 1])
                    : clone_node(L, d, child);
        }
        if (!c)
            return -1;
        if (scni_node_at(d, c)->type != YAML_SCALAR_NODE) {
            if ((d->n_aclones & (d->n_aclones - 1)) == 0)
                d->aclones = xreallocarray(d->aclones, d->n_aclones ?
                                           2 * d->n_aclones : 1,
                                           sizeof *d->aclones);
            d->aclones[d->n_aclones++] = c;   /* ascending: new nodes */
        }
        scni_node_at(d, c)->start_mark = amarks[2 * *j];
        scni_node_at(d, c)->end_mark = amarks[2 * *j + 1];
        ++*j;
        n = scni_node_at(d, id);
        if (!mapping)
            n->data.sequence.items.start[i] = c;
        else if (i % 2)
            n->data.mapping.pairs.start[i / 2].value = c;
        else
            n->data.mapping.pairs.start[i / 2].key = c;
        d->refs[child - 1]--;
        d->refs[c - 1]++;
    }
    return 0;
}

static int fix_aliases(ldr *L, ydoc *d, const yaml_mark_t *amarks,
                       size_t n_amarks)
{
    size_t n = (size_t)(d->doc.nodes.top - d->doc.nodes.start), j = 0;
    unsigned char *seen;
    int rc;

    if (n == 0)
        return 0;
    meta_init(d);
    seen = xcalloc(n + n_amarks, 1);   /* copies are never visited */
    rc = fix_walk(L, d, 1, seen, amarks, n_amarks, &j);
    free(seen);
    return rc;
}

/* Slot (parent's reference) of child `seg` in container `cur`, or NULL
 * when a mapping lacks the key.  *err set on a bad sequence index. */
static yaml_node_item_t *child_slot(ldr *L, ydoc *d, int cur, const char *seg,
                                    const char *prefix, int k, int *err)
{
    yaml_node_t *n = scni_node_at(d, cur);

    *err = 0;
    if (n->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *key = scni_node_at(d, p->key);
            if (key->type == YAML_SCALAR_NODE && strcmp(scni_stext(key),
                                                        seg) == 0)
                return &p->value;
        }
        return NULL;
    }
    /* a sequence: seg must be an index below its length */
    {
        size_t len = scni_seq_len(n), idx = 0, i;
        char q[128];
        for (i = 0; seg[i] >= '0' && seg[i] <= '9' && idx <= len; i++)
            idx = idx * 10 + (size_t)(seg[i] - '0');
        sim_units_quote(q, sizeof q, seg);
        if (i == 0 || (seg[i] && (seg[i] < '0' || seg[i] > '9'))) {
            scni_report(L, d->file, k, NULL,
                        "'%s' is a list; expected an index, got '%s'", prefix,
                        q);
            *err = 1;
            return NULL;
        }
        if (seg[i] || idx >= len) {
            scni_report(L, d->file, k, NULL,
                        "index %s out of range for '%s' (%zu entries)", q,
                        prefix, len);
            *err = 1;
            return NULL;
        }
        return &n->data.sequence.items.start[idx];
    }
}

/* Applies override k (path, value) to the main document: the value is
 * parsed as YAML and grafted at the path, creating missing mappings on
 * the way.  Nodes it adds carry origin k. */
int scni_apply_override(ldr *L, ydoc *d, int k, const char *path,
                        const char *value)
{
    ydoc vd;
    char *buf = xstrdup(path), **segs, *prefix;
    size_t nseg = 1, plen = 0;
    int cur = 1, rc = -1, val = 0, *memo = NULL;

    memset(&vd, 0, sizeof vd);
    for (const char *c = path; *c; c++)
        nseg += *c == '.';
    segs = xmalloc(nseg * sizeof *segs);
    segs[0] = buf;
    for (size_t i = 0, j = 1; buf[i]; i++)
        if (buf[i] == '.') {
            buf[i] = '\0';
            segs[j++] = buf + i + 1;
        }
    prefix = xcalloc(strlen(path) + 1, 1);

    if (scni_load_doc(L, &vd, "--set", k, (const unsigned char *)value,
                      strlen(value)))
        goto out;
    meta_init(d);
    if (!yaml_document_get_root_node(&vd.doc)) {
        val = add_scalar(L, d, NULL, "", YAML_PLAIN_SCALAR_STYLE, k);
    } else {
        memo = xcalloc((size_t)(vd.doc.nodes.top - vd.doc.nodes.start),
                       sizeof *memo);
        val = copy_node(L, d, &vd, 1, memo, k);
    }
    if (!val)
        goto out;

    for (size_t i = 0; i < nseg; i++) {
        const char *seg = segs[i];
        int last = i + 1 == nseg, child, err;
        yaml_node_t *n = scni_node_at(d, cur);
        yaml_node_item_t *slot;

        if (n->type != YAML_MAPPING_NODE && n->type != YAML_SEQUENCE_NODE) {
            if (plen == 0)
                scni_report(L, d->file, k, NULL,
                            "the top level is not a mapping");
            else
                scni_report(L, d->file, k, NULL,
                            "'%s' is not a mapping or a list", prefix);
            goto out;
        }
        slot = child_slot(L, d, cur, seg, prefix, k, &err);
        if (err)
            goto out;
        if (!slot) {
            /* a missing key: add it, with a fresh mapping on the way */
            int key = add_scalar(L, d, NULL, seg, YAML_PLAIN_SCALAR_STYLE, k);
            child = last ? val : add_mapping(L, d, NULL, k);
            if (!key || !child || append_pair(L, d, cur, key, child))
                goto out;
        } else if (last) {
            child = val;
        } else {
            yaml_node_t *c = scni_node_at(d, *slot);
            child = *slot;
            if (scni_is_null(c))
                child = add_mapping(L, d, NULL, k);
            else if (c->type == YAML_SCALAR_NODE) {
                scni_report(L, d->file, k, NULL,
                            "'%s%s%s' is not a mapping or a "
                            "list", prefix, plen ? "." : "", seg);
                goto out;
            } else if (d->refs[child - 1] > 1) {
                child = clone_node(L, d, child);  /* shared via an alias */
            }
            if (!child)
                goto out;
        }
        if (slot && child != *slot) {
            /* adding nodes may have moved the node array, not pair arrays
             * of other nodes; look the slot up again all the same */
            int old;
            slot = child_slot(L, d, cur, seg, prefix, k, &err);
            old = *slot;
            d->refs[old - 1]--;
            *slot = child;
            d->refs[child - 1]++;
        }
        if (plen)
            prefix[plen++] = '.';
        memcpy(prefix + plen, seg, strlen(seg) + 1);
        plen += strlen(seg);
        cur = child;
    }
    rc = 0;
out:
    free(memo);
    free(segs);
    free(buf);
    free(prefix);
    scni_ydoc_free(&vd);
    return rc;
}
