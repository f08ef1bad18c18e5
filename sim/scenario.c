/* scenario.c — the scenario loader: YAML file + --set overrides -> a
 * validated `scenario` in SI / nanosecond units.  libyaml's document API
 * gives a node tree with positions; overrides are grafted into that tree
 * before validation so every check runs once, and every error is one line
 * naming file:line:column or the --set flag it came from. */
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
#include "proto.h"
#include "scenario.h"
#include "topic.h"
#include "util.h"

#define MAX_PAYLOAD   65536.0              /* bytes, traffic.size bound    */
#define SECTION_LEN   96

/* ======================================================================
 * Loader state
 * ====================================================================== */

/* One parsed YAML document.  Nodes 1..n are libyaml's; overrides append
 * more.  origin[i-1] says where node i came from: -1 the file, k >= 0 the
 * k-th --set (its errors are then reported as "--set path=value: ...").
 * refs[i-1] counts the parents of node i (aliases make nodes shared), so
 * an override never changes a node seen from two places. */
typedef struct ydoc {
    yaml_document_t doc;
    int loaded;          /* doc holds memory to free                  */
    const char *file;    /* name used in messages                     */
    int *origin;         /* NULL until the first override             */
    int *refs;
    size_t cap;          /* entries in origin and refs                */
    int *aclones;        /* ids of list/mapping copies made for an    */
    size_t n_aclones;    /*   alias (fix_walk), ascending             */
} ydoc;

/* Node ids of an explicit topology: open addressing, id -> index. */
typedef struct idmap {
    uint32_t *keys;
    uint32_t *vals;      /* index + 1; 0 = empty slot                 */
    size_t mask;
} idmap;

typedef struct ldr {
    char *err;
    size_t errlen;
    int failed;          /* an error has been written; stop           */
    const char *const *args;  /* the --set strings as given           */
    const char *const *labels; /* NULL, or per override its error     */
                              /*   prefix (NULL entry: "--set arg")   */
    int vary;            /* parsing a --vary value: every error is    */
                         /*   reported as override 0's               */
    const char *dir;     /* scenario directory with '/', or NULL      */
    size_t dirlen;
    scenario *s;
    idmap ids;           /* explicit topology: node id -> index       */
    uint32_t total_nodes;
    cry_hash_state hash; /* scenario hash: file, overrides, profiles  */
    const scn_proto_ops *as;  /* protocol to run; NULL: protocol.name */
    /* Inside a mapping reached through an alias (map_open), errors about
     * its keys and values point at the alias (issue 20 #7): */
    const ydoc *alias_doc;    /* NULL: not inside one                 */
    yaml_mark_t alias_mark;
    /* smart_object.rekey_spread's value, read before the protocol blocks
     * (pre_rekey_spread) so their rounds can be checked against it: */
    ydoc *spread_doc;         /* NULL: absent (spread 0)              */
    yaml_node_t *spread_node;
} ldr;

/* Cursor on a mapping (the public scn_map).  `map` NULL means the section
 * is absent: every key takes its default. */
struct scn_map {
    ldr *L;
    ydoc *d;
    yaml_node_t *map;
    yaml_node_t *at;     /* where "missing required key" points       */
    char section[SECTION_LEN];  /* "topology.link", for messages      */
    const char *skip;    /* key the caller reads itself ("name")      */
    unsigned char *used; /* per pair: read by a getter                */
    size_t n;            /* pairs                                     */
    int done;
    /* the keys asked for (map_find), for "did you mean" when an unknown
     * key remains; at most 48 of them, truncated to 31 bytes     */
    char asked[48][32];
    size_t n_asked;
    int alias_set;       /* map_open saved the alias context below:   */
    const ydoc *alias_prev;       /*   map_close restores it          */
    yaml_mark_t alias_prev_mark;
};

/* ======================================================================
 * Errors
 * ====================================================================== */

static void report(ldr *L, const char *file, int ovr, const yaml_mark_t *m,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

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

static void report(ldr *L, const char *file, int ovr, const yaml_mark_t *m,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(L, file, ovr, m, fmt, ap);
    va_end(ap);
}

static int origin_of(const ydoc *d, const yaml_node_t *n)
{
    size_t i = (size_t)(n - d->doc.nodes.start);
    return d->origin && i < d->cap ? d->origin[i] : -1;
}

static int nerr(ldr *L, const ydoc *d, const yaml_node_t *n,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Error at node n of d; always returns -1. */
static int nerr(ldr *L, const ydoc *d, const yaml_node_t *n,
                const char *fmt, ...)
{
    va_list ap;
    const yaml_mark_t *at = L->alias_doc == d ? &L->alias_mark
                                               : &n->start_mark;
    va_start(ap, fmt);
    vreport(L, d->file, origin_of(d, n), at, fmt, ap);
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
static int read_file(const char *path, unsigned char **buf, size_t *len,
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
        report(L, file, ovr, NULL, "out of memory while parsing YAML");
        return;
    case YAML_READER_ERROR: {
        char what[64];
        offset_mark(buf, len, p->problem_offset, &m);
        reader_what(p, buf, len, what, sizeof what);
        report(L, file, ovr, &m, "%s%s", problem, what);
        return;
    }
    default:
        if (p->context)
            report(L, file, ovr, &m, "%s (%s at %zu:%zu)", problem,
                   p->context, p->context_mark.line + 1,
                   p->context_mark.column + 1);
        else
            report(L, file, ovr, &m, "%s", problem);
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
        report(L, file, ovr, &m, "byte-order mark (U+FEFF) is allowed only "
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
        report(L, file, ovr, NULL, "out of memory while parsing YAML");
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
                report(L, file, ovr, &ev.start_mark,
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
                report(L, file, ovr, &ev.start_mark,
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
                report(L, file, ovr, &ev.start_mark,
                       "string longer than %u bytes", SCN_MAX_STRING);
                rc = -1;
            } else if (memchr(ev.data.scalar.value, '\0',
                              ev.data.scalar.length)) {
                report(L, file, ovr, &ev.start_mark,
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
                report(L, file, ovr, &ev.start_mark,
                       "undefined alias '*%s'", q);
                rc = -1;
            } else if (a->open) {
                report(L, file, ovr, &ev.start_mark, "alias '*%s' is "
                       "inside the node it refers to (defined at %zu:%zu)",
                       q, a->mark.line + 1, a->mark.column + 1);
                rc = -1;
            } else if (depth + a->depth > SCN_MAX_DEPTH) {
                report(L, file, ovr, &ev.start_mark, "alias '*%s' nests "
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
                    report(L, file, ovr, &ev.start_mark, "alias '*%s' "
                           "makes the document larger than %u YAML nodes",
                           q, SCN_MAX_YAML_NODES);
                    rc = -1;
                } else if (text > SCN_MAX_YAML_TEXT) {
                    report(L, file, ovr, &ev.start_mark, "alias '*%s' "
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
            report(L, file, ovr, &ev.start_mark, "more than %u YAML nodes "
                   "(values, lists and mappings)", SCN_MAX_YAML_NODES);
            rc = -1;
        }
        if (!rc && aname) {
            anchor *a = anchor_slot(&tab, (const char *)aname);
            if (a && a->name) {
                sim_units_quote(q, sizeof q, (const char *)aname);
                report(L, file, ovr, &ev.start_mark, "duplicate anchor "
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
        report(L, d->file, ovr, &n->start_mark, "YAML tag '%s' is not "
               "supported (values are read by the option's type; remove "
               "the tag)", q);
        return -1;
    }
    return 0;
}

static int fix_aliases(ldr *L, ydoc *d, const yaml_mark_t *amarks,
                       size_t n_amarks);

static int load_doc(ldr *L, ydoc *d, const char *file, int ovr,
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
        report(L, file, ovr, NULL, "out of memory while parsing YAML");
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

static void ydoc_free(ydoc *d)
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
static int is_alias_clone(const ydoc *d, int id)
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

static yaml_node_t *node_at(ydoc *d, int id)
{
    return yaml_document_get_node(&d->doc, id);
}

static const char *stext(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static int is_null(const yaml_node_t *n)
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
    t = stext(n);
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

/* "'abc'", "null", "a list", "a mapping": what was found instead. */
static const char *describe(const yaml_node_t *n, char *buf, size_t len)
{
    char q[128];

    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (is_null(n))
        return "null";
    sim_units_quote(q, sizeof q, stext(n));
    snprintf(buf, len, "'%s'", q);
    return buf;
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(ydoc *d, const yaml_node_t *n, size_t i)
{
    return node_at(d, n->data.sequence.items.start[i]);
}

/* ======================================================================
 * Mapping cursors (scn_map) and typed getters
 * ====================================================================== */

typedef struct key_pos {
    const char *key;
    size_t pos;
} key_pos;

static int key_pos_cmp(const void *a, const void *b)
{
    const key_pos *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Opens a cursor on `map` (a mapping node or NULL).  Reports non-string
 * keys and duplicate keys (at the second occurrence), whichever comes
 * first in the file.  Returns 0 or -1; the cursor must be closed either
 * way. */
static int map_open(scn_map *m, ldr *L, ydoc *d, yaml_node_t *map,
                    yaml_node_t *at, const char *section, const char *skip)
{
    yaml_node_pair_t *pairs;
    key_pos *order;
    size_t bad = SIZE_MAX;

    memset(m, 0, sizeof *m);
    m->L = L;
    m->d = d;
    m->map = map;
    m->at = at;
    m->skip = skip;
    snprintf(m->section, sizeof m->section, "%s", section);
    if (!map)
        return 0;
    /* A mapping used through an alias: until map_close, errors about it
     * and its contents point at the alias (its shallow copy's children
     * are the anchor's nodes, whose positions are the anchor's). */
    m->alias_prev = L->alias_doc;
    m->alias_prev_mark = L->alias_mark;
    m->alias_set = 1;
    if (!L->alias_doc &&
        is_alias_clone(d, (int)(map - d->doc.nodes.start) + 1)) {
        L->alias_doc = d;
        L->alias_mark = map->start_mark;
    }
    pairs = map->data.mapping.pairs.start;
    m->n = (size_t)(map->data.mapping.pairs.top - pairs);
    m->used = xcalloc(m->n ? m->n : 1, 1);
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = node_at(d, pairs[i].key);
        if (k->type != YAML_SCALAR_NODE) {
            char b[160];
            return nerr(L, d, k, "expected a string key in %s, got %s",
                        m->section, describe(k, b, sizeof b));
        }
    }
    if (m->n < 2)
        return 0;
    if (m->n <= 16) {
        /* small (the usual case): pairwise, no allocation */
        for (size_t j = 1; j < m->n && bad == SIZE_MAX; j++)
            for (size_t i = 0; i < j; i++)
                if (strcmp(stext(node_at(d, pairs[i].key)),
                           stext(node_at(d, pairs[j].key))) == 0) {
                    bad = j;
                    break;
                }
        goto report_dup;
    }
    /* Sort by (key, position): equal keys become neighbours, and the first
     * repeated pair in document order is the one to report.  O(n log n),
     * so a hostile mapping with 10^6 keys is no worry. */
    order = xmalloc(m->n * sizeof *order);
    for (size_t i = 0; i < m->n; i++) {
        order[i].key = stext(node_at(d, pairs[i].key));
        order[i].pos = i;
    }
    qsort(order, m->n, sizeof *order, key_pos_cmp);
    for (size_t i = 1; i < m->n; i++)
        if (strcmp(order[i - 1].key, order[i].key) == 0 && order[i].pos < bad)
            bad = order[i].pos;
    free(order);
report_dup:
    if (bad != SIZE_MAX) {
        char q[128];
        yaml_node_t *k = node_at(d, pairs[bad].key);
        sim_units_quote(q, sizeof q, stext(k));
        return nerr(L, d, k, "duplicate key '%s'", q);
    }
    return 0;
}

static void map_close(scn_map *m)
{
    if (m->alias_set) {
        m->L->alias_doc = m->alias_prev;
        m->L->alias_mark = m->alias_prev_mark;
        m->alias_set = 0;
    }
    free(m->used);
    m->used = NULL;
}

/* A key like "60s)" is the tail of "uniform(0s, 60s)" written unquoted
 * inside a flow mapping, where YAML splits it at the comma: say so. */
static const char *flow_hint(const char *key)
{
    size_t n = strlen(key);
    if (n > 0 && (key[n - 1] == ')' || key[n - 1] == '}'))
        return " (inside {...} or [...], quote values that contain commas "
               "or braces, e.g. 'uniform(1s, 2s)')";
    return "";
}

/* " (did you mean 'x'?)" for the closest of `cand` to `key`
 * (sim_util_closest), "" when none is close; in buf (kmsim extension). */
static const char *suggest(char *buf, size_t len, const char *key,
                           const char *const *cand)
{
    const char *c = sim_util_closest(key, cand);

    buf[0] = '\0';
    if (c)
        snprintf(buf, len, " (did you mean '%s'?)", c);
    return buf;
}

static int in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Every key must be in `known`; with `applicable` non-NULL, a known key
 * outside it "does not apply to generator 'gen'". */
static int map_check_keys(scn_map *m, const char *const *known,
                          const char *const *applicable, const char *gen)
{
    yaml_node_pair_t *pairs;
    char q[128];

    if (m->L->failed)
        return -1;
    if (!m->map)
        return 0;
    pairs = m->map->data.mapping.pairs.start;
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = node_at(m->d, pairs[i].key);
        const char *key = stext(k);
        sim_units_quote(q, sizeof q, key);
        if (!in_list(key, known)) {
            char dym[96];
            return nerr(m->L, m->d, k, "unknown key '%s' in %s%s%s", q,
                        m->section, flow_hint(key),
                        suggest(dym, sizeof dym, key, known));
        }
        if (applicable && !in_list(key, applicable))
            return nerr(m->L, m->d, k,
                        "key '%s' does not apply to generator '%s'", q, gen);
    }
    return 0;
}

/* The value of `key`, marking it read; NULL when absent.  *keynode gets
 * the key's node when non-NULL. */
static yaml_node_t *map_find(scn_map *m, const char *key,
                             yaml_node_t **keynode)
{
    yaml_node_pair_t *pairs;

    if (!m->map)
        return NULL;
    if (m->n_asked < ARRAY_LEN(m->asked) && strlen(key) < sizeof m->asked[0])
        snprintf(m->asked[m->n_asked++], sizeof m->asked[0], "%s", key);
    pairs = m->map->data.mapping.pairs.start;
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = node_at(m->d, pairs[i].key);
        if (strcmp(stext(k), key) == 0) {
            m->used[i] = 1;
            if (keynode)
                *keynode = k;
            return node_at(m->d, pairs[i].value);
        }
    }
    return NULL;
}

static int missing(scn_map *m, const char *key)
{
    if (m->at)
        return nerr(m->L, m->d, m->at, "missing required key '%s' in %s",
                    key, m->section);
    report(m->L, m->d->file, -1, NULL, "missing required key '%s' in %s",
           key, m->section);
    return -1;
}

/* Looks `key` up: 1 with *v set, 0 absent (take the default), -1 error
 * (absent but required).  A null value counts as absent unless required,
 * in which case the caller's type check reports "got null". */
static int lookup(scn_map *m, const char *key, int required, yaml_node_t **v)
{
    if (m->L->failed)
        return -1;
    *v = map_find(m, key, NULL);
    if (*v && is_null(*v) && !required)
        *v = NULL;
    if (*v)
        return 1;
    if (required)
        return missing(m, key);
    return 0;
}

static int type_err(scn_map *m, yaml_node_t *v, const char *what,
                    const char *key)
{
    char b[160];
    return nerr(m->L, m->d, v, "expected %s for '%s', got %s", what, key,
                describe(v, b, sizeof b));
}

/* ---- integers ----------------------------------------------------------- */

/* Decimal or 0x hex with an optional sign, nothing else.  0 ok, -1 not an
 * integer, -2 magnitude above UINT64_MAX. */
static int parse_integer(const char *t, int *neg, uint64_t *mag)
{
    size_t i = 0;
    unsigned base = 10;
    uint64_t v = 0;
    int big = 0;

    *neg = 0;
    if (t[i] == '+' || t[i] == '-')
        *neg = t[i++] == '-';
    if (t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    if (!t[i])
        return -1;
    for (; t[i]; i++) {
        unsigned dg;
        char c = t[i];
        if (c >= '0' && c <= '9')
            dg = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            dg = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            dg = (unsigned)(c - 'A' + 10);
        else
            return -1;
        if (v > (UINT64_MAX - dg) / base)
            big = 1;
        else
            v = v * base + dg;
    }
    *mag = v;
    return big ? -2 : 0;
}

static int int_range_err(scn_map *m, yaml_node_t *v, const char *key,
                         int64_t lo, int64_t hi)
{
    char q[128];
    sim_units_quote(q, sizeof q, stext(v));
    if (hi == INT64_MAX)
        return nerr(m->L, m->d, v, "'%s' must be >= %lld, got '%s'", key,
                    (long long)lo, q);
    if (lo == INT64_MIN)
        return nerr(m->L, m->d, v, "'%s' must be <= %lld, got '%s'", key,
                    (long long)hi, q);
    return nerr(m->L, m->d, v, "'%s' must be between %lld and %lld, got '%s'",
                key, (long long)lo, (long long)hi, q);
}

static int int_of(scn_map *m, yaml_node_t *v, const char *key, int64_t lo,
                  int64_t hi, int64_t *out);

/* scn_map_int with the value node returned (NULL when defaulted). */
static int get_int(scn_map *m, const char *key, int required, int64_t def,
                   int64_t lo, int64_t hi, int64_t *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = lookup(m, key, required, &v);

    if (vn)
        *vn = NULL;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        *out = def;
        return 0;
    }
    if (int_of(m, v, key, lo, hi, out))
        return -1;
    if (vn)
        *vn = v;
    return 0;
}

/* The integer of scalar v within [lo, hi]; 0, or -1 (error recorded). */
static int int_of(scn_map *m, yaml_node_t *v, const char *key, int64_t lo,
                  int64_t hi, int64_t *out)
{
    uint64_t mag;
    int neg, rc;
    int64_t x;

    if (v->type != YAML_SCALAR_NODE || is_null(v))
        return type_err(m, v, "an integer", key);
    rc = parse_integer(stext(v), &neg, &mag);
    if (rc == -1)
        return type_err(m, v, "an integer", key);
    if (rc == -2 || (neg && mag > (uint64_t)INT64_MAX + 1) ||
        (!neg && mag > (uint64_t)INT64_MAX))
        return int_range_err(m, v, key, lo, hi);
    x = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
            : (int64_t)mag;
    if (x < lo || x > hi)
        return int_range_err(m, v, key, lo, hi);
    *out = x;
    return 0;
}

static int get_u64(scn_map *m, const char *key, uint64_t def, uint64_t *out)
{
    yaml_node_t *v;
    uint64_t mag;
    int neg, rc = lookup(m, key, 0, &v);
    char q[128];

    if (rc < 0)
        return -1;
    if (rc == 0) {
        *out = def;
        return 0;
    }
    if (v->type != YAML_SCALAR_NODE)
        return type_err(m, v, "an integer", key);
    rc = parse_integer(stext(v), &neg, &mag);
    if (rc == -1)
        return type_err(m, v, "an integer", key);
    if (rc == -2 || (neg && mag != 0)) {
        sim_units_quote(q, sizeof q, stext(v));
        return nerr(m->L, m->d, v, "'%s' must be between 0 and %llu, got '%s'",
                    key, (unsigned long long)UINT64_MAX, q);
    }
    *out = mag;
    return 0;
}

static int get_u32(scn_map *m, const char *key, int required, uint32_t def,
                   uint32_t lo, uint32_t hi, uint32_t *out, yaml_node_t **vn)
{
    int64_t x;
    if (get_int(m, key, required, def, lo, hi, &x, vn))
        return -1;
    *out = (uint32_t)x;
    return 0;
}

/* ---- quantities --------------------------------------------------------- */

typedef struct bounds {
    double lo, hi;       /* -INFINITY / INFINITY: unbounded         */
    int lo_open, hi_open;
} bounds;

static int in_bounds(double x, const bounds *b)
{
    if (b->lo_open ? !(x > b->lo) : !(x >= b->lo))
        return 0;
    if (b->hi_open ? !(x < b->hi) : !(x <= b->hi))
        return 0;
    return 1;
}

/* "> 0s", ">= 0 and < 1", "between 1B and 64KiB" */
static void bounds_text(const bounds *b, sim_dim dim, char *buf, size_t len)
{
    char lo[64], hi[64];

    sim_units_format(b->lo, dim, lo, sizeof lo);
    sim_units_format(b->hi, dim, hi, sizeof hi);
    if (isinf(b->hi))
        snprintf(buf, len, "%s %s", b->lo_open ? ">" : ">=", lo);
    else if (isinf(b->lo))
        snprintf(buf, len, "%s %s", b->hi_open ? "<" : "<=", hi);
    else
        snprintf(buf, len, "%s %s and %s %s", b->lo_open ? ">" : ">=", lo,
                 b->hi_open ? "<" : "<=", hi);
}

static const char *dim_what(sim_dim dim)
{
    switch (dim) {
    case SIM_DIM_NONE: return "a number";
    case SIM_DIM_TIME: return "a time";
    case SIM_DIM_SIZE: return "a size";
    case SIM_DIM_RATE: return "a rate";
    case SIM_DIM_LENGTH: return "a length";
    case SIM_DIM_FREQ: return "a frequency";
    }
    return "a value";
}

/* Parses scalar v as a quantity and checks its bounds. */
static int qty_of(scn_map *m, yaml_node_t *v, const char *key, sim_dim dim,
                  const bounds *b, double *out)
{
    char why[256], q[128], range[160];
    double x;

    if (v->type != YAML_SCALAR_NODE || is_null(v))
        return type_err(m, v, dim_what(dim), key);
    if (sim_units_parse(stext(v), dim, &x, why, sizeof why, NULL))
        return nerr(m->L, m->d, v, "invalid '%s': %s", key, why);
    if (b && !in_bounds(x, b)) {
        sim_units_quote(q, sizeof q, stext(v));
        bounds_text(b, dim, range, sizeof range);
        return nerr(m->L, m->d, v, "'%s' must be %s, got '%s'", key, range,
                    q);
    }
    *out = x;
    return 0;
}

/* lookup() that also reports the value node through vn (NULL when
 * absent): -1 error, 0 absent (the caller takes its default), 1 found. */
static int lookup_vn(scn_map *m, const char *key, int required,
                     yaml_node_t **v, yaml_node_t **vn)
{
    int rc = lookup(m, key, required, v);
    if (vn)
        *vn = rc > 0 ? *v : NULL;
    return rc;
}

static int get_qty(scn_map *m, const char *key, sim_dim dim, int required,
                   double def, const bounds *b, double *out,
                   yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = lookup_vn(m, key, required, &v, vn);

    if (rc <= 0) {
        if (rc == 0)
            *out = def;
        return rc;
    }
    return qty_of(m, v, key, dim, b, out);
}

/* Seconds -> ns, rounded to the nearest; -1 if out of int64 range. */
static int to_ns(double sec, sim_time *out)
{
    double ns = sec * 1e9;
    if (!(fabs(ns) < 9.2e18))
        return -1;
    *out = (sim_time)llround(ns);
    return 0;
}

/* Time in ns within [lo, hi] (open ends by flag), checked after rounding
 * so "0.1ns" is not a positive duration. */
static int time_of(scn_map *m, yaml_node_t *v, const char *key, sim_time lo,
                   int lo_open, sim_time hi, sim_time *out);

static int get_time(scn_map *m, const char *key, int required, sim_time def,
                    sim_time lo, int lo_open, sim_time hi,
                    sim_time *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = lookup_vn(m, key, required, &v, vn);

    if (rc <= 0) {
        if (rc == 0)
            *out = def;
        return rc;
    }
    return time_of(m, v, key, lo, lo_open, hi, out);
}

/* The time in node v (the value of `key`) within [lo, hi]. */
static int time_of(scn_map *m, yaml_node_t *v, const char *key, sim_time lo,
                   int lo_open, sim_time hi, sim_time *out)
{
    double sec;
    sim_time t;
    bounds b = {(double)lo / 1e9, (double)hi / 1e9, lo_open, 0};

    if (qty_of(m, v, key, SIM_DIM_TIME, NULL, &sec))
        return -1;
    /* Issue 20 (kmsim extension): '-0s' and a positive time that rounds
     * to 0 ns are not 0 (for a period, 0 means "off"): refused. */
    if (sec == 0 && signbit(sec)) {
        char q[128];
        sim_units_quote(q, sizeof q, stext(v));
        return nerr(m->L, m->d, v, "'%s' is a negative zero ('%s'): write "
                    "0s, or a positive time", key, q);
    }
    if (sec > 0 && !to_ns(sec, &t) && t == 0) {
        char q[128];
        sim_units_quote(q, sizeof q, stext(v));
        return nerr(m->L, m->d, v, "'%s' ('%s') rounds to 0ns (the clock's "
                    "resolution): write 0s, or at least 1ns", key, q);
    }
    if (to_ns(sec, &t) || (lo_open ? t <= lo : t < lo) || t > hi) {
        char q[128], range[160];
        sim_units_quote(q, sizeof q, stext(v));
        bounds_text(&b, SIM_DIM_TIME, range, sizeof range);
        return nerr(m->L, m->d, v, "'%s' must be %s, got '%s'", key, range,
                    q);
    }
    *out = t;
    return 0;
}

/* Issue 20: a time at or after the scenario's 'duration' can never take
 * effect (kmsim extension: refused, not silently dropped).  --until may
 * shorten a run further; times between --until and 'duration' are fine. */
static int before_duration(scn_map *m, yaml_node_t *v, const char *key,
                           sim_time t)
{
    char at[64], du[64];

    /* Options parsed on their own (scn_proto_parse_opts_buffer) have no
     * scenario, hence no duration to check against. */
    if (!m->L->s || m->L->s->duration == 0 || t < m->L->s->duration)
        return 0;
    sim_units_format((double)t / 1e9, SIM_DIM_TIME, at, sizeof at);
    sim_units_format((double)m->L->s->duration / 1e9, SIM_DIM_TIME, du,
                     sizeof du);
    if (v)
        return nerr(m->L, m->d, v, "'%s' (%s) must be less than 'duration' "
                    "(%s)", key, at, du);
    return scn_map_error(m, key, "'%s' (%s) must be less than 'duration' "
                         "(%s)", key, at, du);
}

/* The smallest draw of a time distribution, in ns after rounding. */
static sim_time dist_min_ns(const sim_dist *d)
{
    double ns = sim_dist_min(d) * 1e9;

    if (!(ns < (double)(SIM_TIME_MAX / 4)))
        return SIM_TIME_MAX / 4;
    return (sim_time)llround(ns);
}

static int get_dist(scn_map *m, const char *key, sim_dim dim, int required,
                    const char *def, sim_dist *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    char why[256];
    int rc = lookup(m, key, required, &v);

    if (vn)
        *vn = NULL;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        rc = sim_dist_parse(out, def, dim, NULL, 0, NULL);
        assert(rc == 0);  /* defaults are ours, not user input */
        return rc;
    }
    if (vn)
        *vn = v;
    if (v->type != YAML_SCALAR_NODE || is_null(v)) {
        char what[64];
        snprintf(what, sizeof what, "a %s distribution", sim_dim_name(dim));
        return type_err(m, v, what, key);
    }
    if (sim_dist_parse(out, stext(v), dim, why, sizeof why, NULL))
        return nerr(m->L, m->d, v, "invalid '%s': %s", key, why);
    /* Issue 20: a time distribution whose mean (or, with no finite mean,
     * whose smallest draw) lies beyond the longest time kmsim runs is a
     * typo, not a scenario: refused, as a time option past the limit. */
    if (dim == SIM_DIM_TIME) {
        double mean = sim_dist_mean(out), lim = SCN_MAX_DURATION / 1e9;
        double at = isfinite(mean) ? mean : sim_dist_min(out);
        if (!(at <= lim)) {
            char q[128], l[64];
            sim_units_quote(q, sizeof q, stext(v));
            sim_units_format(lim, SIM_DIM_TIME, l, sizeof l);
            return nerr(m->L, m->d, v, "'%s' ('%s') has a %s beyond %s, the "
                        "longest time kmsim simulates", key, q,
                        isfinite(mean) ? "mean" : "smallest draw", l);
        }
    }
    return 0;
}

static void names_list(const char *const *names, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
                              names[i]);
}

static int get_enum(scn_map *m, const char *key, const char *const *names,
                    int required, int def, int *out, yaml_node_t **vn)
{
    yaml_node_t *v;
    char list[512], q[128];
    int rc = lookup_vn(m, key, required, &v, vn);

    if (rc <= 0) {
        if (rc == 0)
            *out = def;
        return rc;
    }
    names_list(names, list, sizeof list);
    if (v->type != YAML_SCALAR_NODE || is_null(v)) {
        char what[600];
        snprintf(what, sizeof what, "one of %s", list);
        return type_err(m, v, what, key);
    }
    for (int i = 0; names[i]; i++)
        if (strcmp(stext(v), names[i]) == 0) {
            *out = i;
            return 0;
        }
    sim_units_quote(q, sizeof q, stext(v));
    return nerr(m->L, m->d, v, "invalid value '%s' for '%s' (use %s)", q, key,
                list);
}

static int ci_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int get_bool(scn_map *m, const char *key, int required, int def,
                    int *out)
{
    yaml_node_t *v;
    int rc = lookup(m, key, required, &v);

    if (rc < 0)
        return -1;
    /* Issue 20: a boolean given as null ('per_hop_mac: ~') is an error,
     * not the default (lookup reads a null value as absent). */
    if (rc == 0 && (v = map_find(m, key, NULL)) != NULL)
        return type_err(m, v, "a boolean (true or false)", key);
    if (rc == 0) {
        *out = def;
        return 0;
    }
    if (v->type == YAML_SCALAR_NODE) {
        const char *t = stext(v);
        if (ci_eq(t, "true") || ci_eq(t, "yes")) {
            *out = 1;
            return 0;
        }
        if (ci_eq(t, "false") || ci_eq(t, "no")) {
            *out = 0;
            return 0;
        }
    }
    return type_err(m, v, "a boolean (true or false)", key);
}

static int get_string(scn_map *m, const char *key, int required,
                      const char **out, yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = lookup(m, key, required, &v);

    *out = NULL;
    if (vn)
        *vn = NULL;
    if (rc <= 0)
        return rc;
    if (vn)
        *vn = v;
    if (v->type != YAML_SCALAR_NODE || is_null(v))
        return type_err(m, v, "a string", key);
    *out = stext(v);
    return 0;
}

/* A value of YAML node type `type` ("a mapping", "a list"): 0 with *out
 * (NULL when absent), or -1. */
static int get_typed(scn_map *m, const char *key, int required,
                     yaml_node_type_t type, const char *what,
                     yaml_node_t **out)
{
    yaml_node_t *v;
    int rc = lookup(m, key, required, &v);

    *out = NULL;
    if (rc <= 0)
        return rc;
    if (v->type != type)
        return type_err(m, v, what, key);
    *out = v;
    return 0;
}

static int get_map(scn_map *m, const char *key, int required,
                   yaml_node_t **out)
{
    return get_typed(m, key, required, YAML_MAPPING_NODE, "a mapping", out);
}

static int get_seq(scn_map *m, const char *key, int required,
                   yaml_node_t **out)
{
    return get_typed(m, key, required, YAML_SEQUENCE_NODE, "a list", out);
}

/* A list of exactly `count` quantities, e.g. area: [1km, 500m]. */
static int get_qty_list(scn_map *m, const char *key, sim_dim dim, size_t count,
                        int required, const bounds *b, double *out,
                        yaml_node_t **vn)
{
    yaml_node_t *v;
    int rc = lookup(m, key, required, &v);
    char what[64];

    if (vn)
        *vn = NULL;
    if (rc <= 0)
        return rc;
    if (vn)
        *vn = v;
    snprintf(what, sizeof what, "a list of %zu %ss", count,
             sim_dim_name(dim));
    if (v->type == YAML_SEQUENCE_NODE && seq_len(v) != count)
        return nerr(m->L, m->d, v, "expected %s for '%s', got a list of %zu",
                    what, key, seq_len(v));
    if (v->type != YAML_SEQUENCE_NODE)
        return type_err(m, v, what, key);
    for (size_t i = 0; i < count; i++)
        if (qty_of(m, seq_item(m->d, v, i), key, dim, b, &out[i]))
            return -1;
    return 1;
}

/* ---- the public reader API (protocol options) --------------------------- */

int scn_map_int(scn_map *m, const char *key, int required, int64_t def,
                int64_t min, int64_t max, int64_t *out)
{
    return get_int(m, key, required, def, min, max, out, NULL);
}

int scn_map_double(scn_map *m, const char *key, int required, double def,
                   double min, double max, double *out)
{
    bounds b = {min, max, 0, 0};
    return get_qty(m, key, SIM_DIM_NONE, required, def, &b, out, NULL);
}

int scn_map_quantity(scn_map *m, const char *key, sim_dim dim, int required,
                     double def, double min, double max, double *out)
{
    bounds b = {min, max, 0, 0};
    return get_qty(m, key, dim, required, def, &b, out, NULL);
}

int scn_map_time(scn_map *m, const char *key, int required, sim_time def,
                 sim_time min, sim_time max, sim_time *out)
{
    return get_time(m, key, required, def, min, 0, max, out, NULL);
}

int scn_map_times(scn_map *m, const char *key, size_t max_n, sim_time min,
                  sim_time max, sim_time **out, size_t *n)
{
    yaml_node_t *v;
    int rc = lookup(m, key, 0, &v);
    size_t k;

    *out = NULL;
    *n = 0;
    if (rc <= 0)
        return rc;
    if (v->type == YAML_SCALAR_NODE) {
        *out = xmalloc(sizeof **out);
        if (time_of(m, v, key, min, 0, max, *out) ||
            before_duration(m, v, key, **out)) {
            free(*out);
            *out = NULL;
            return -1;
        }
        *n = 1;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return type_err(m, v, "a time or a list of times", key);
    k = seq_len(v);
    if (k > max_n)
        return nerr(m->L, m->d, v, "'%s' must have at most %zu times, got "
                    "%zu", key, max_n, k);
    *out = xmalloc(sizeof **out * (k ? k : 1));
    for (size_t i = 0; i < k; i++) {
        yaml_node_t *it = seq_item(m->d, v, i);
        int bad = time_of(m, it, key, min, 0, max, &(*out)[i]) ||
                  before_duration(m, it, key, (*out)[i]);

        /* Issue 20 (kmsim extension): strictly increasing after rounding
         * to ns; an unsorted list or a repeated instant is a mistake. */
        if (!bad && i > 0 && (*out)[i] <= (*out)[i - 1]) {
            char a[64], b[64];
            sim_units_format((double)(*out)[i] / 1e9, SIM_DIM_TIME, a,
                             sizeof a);
            sim_units_format((double)(*out)[i - 1] / 1e9, SIM_DIM_TIME, b,
                             sizeof b);
            bad = nerr(m->L, m->d, it, "'%s' must be in increasing order: "
                       "entry %zu (%s) is not after entry %zu (%s)", key, i,
                       a, i - 1, b) != 0;
        }
        if (bad) {
            free(*out);
            *out = NULL;
            return -1;
        }
    }
    *n = k;
    return 0;
}

int scn_map_ints(scn_map *m, const char *key, size_t max_n, int64_t min,
                 int64_t max, int64_t **out, size_t *n)
{
    yaml_node_t *v;
    int rc = lookup(m, key, 0, &v);
    size_t k;

    *out = NULL;
    *n = 0;
    if (rc <= 0)
        return rc;
    if (v->type == YAML_SCALAR_NODE) {
        *out = xmalloc(sizeof **out);
        if (int_of(m, v, key, min, max, *out)) {
            free(*out);
            *out = NULL;
            return -1;
        }
        *n = 1;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return type_err(m, v, "an integer or a list of integers", key);
    k = seq_len(v);
    if (k > max_n)
        return nerr(m->L, m->d, v, "'%s' must have at most %zu integers, "
                    "got %zu", key, max_n, k);
    *out = xmalloc(sizeof **out * (k ? k : 1));
    for (size_t i = 0; i < k; i++)
        if (int_of(m, seq_item(m->d, v, i), key, min, max, &(*out)[i])) {
            free(*out);
            *out = NULL;
            return -1;
        }
    *n = k;
    return 0;
}

int scn_map_before_duration(scn_map *m, const char *key, sim_time t)
{
    return before_duration(m, NULL, key, t);
}

/* ---- Re-key round stagger (smart_object.rekey_spread) ------------------- */

sim_time scn_rekey_offset(sim_time spread, uint32_t so_ord, uint32_t n_so)
{
    /* floor(k * spread / n) without overflow: spread = q n + r, r < n */
    uint64_t q, r;

    if (spread <= 0 || n_so == 0)
        return 0;
    q = (uint64_t)spread / n_so;
    r = (uint64_t)spread % n_so;
    return (sim_time)(q * so_ord + r * so_ord / n_so);
}

static int time_cmp(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;
    return (x > y) - (x < y);
}

sim_time scn_rekey_min_gap(sim_time every, const sim_time *at, size_t n_at)
{
    sim_time gap = SIM_TIME_MAX, *t = NULL;
    size_t distinct = 0;

    if (n_at) {
        t = xmalloc(n_at * sizeof *t);
        memcpy(t, at, n_at * sizeof *t);
        qsort(t, n_at, sizeof *t, time_cmp);
        for (size_t i = 0; i < n_at; i++) {
            if (i && t[i] == t[i - 1])
                continue;
            distinct++;
            if (i && t[i] - t[i - 1] < gap)
                gap = t[i] - t[i - 1];
        }
    }
    if (every > 0) {
        /* The periodic rounds are every apart; a round of `at` lies
         * between two of them (or before the first, at `every`). */
        if (every < gap)
            gap = every;
        for (size_t i = 0; i < distinct && t; i++) {
            sim_time x = t[i], r = x % every;
            sim_time d = x < every ? every - x
                         : r == 0 ? 0 : (r < every - r ? r : every - r);
            if (d > 0 && d < gap)
                gap = d;
        }
        distinct += 2;            /* every > 0: at least two rounds */
    }
    free(t);
    return distinct < 2 ? SIM_TIME_MAX : gap;
}

int scn_map_rekey_rounds(scn_map *m, sim_time every, const sim_time *at,
                         size_t n_at)
{
    ldr *L = m->L;
    sim_time spread, gap;
    char a[64], g[64];

    if (!L->s || !L->spread_node || L->s->so.rekey_spread <= 0)
        return 0;
    spread = L->s->so.rekey_spread;
    gap = scn_rekey_min_gap(every, at, n_at);
    if (spread < gap)
        return 0;
    sim_units_format((double)spread / 1e9, SIM_DIM_TIME, a, sizeof a);
    sim_units_format((double)gap / 1e9, SIM_DIM_TIME, g, sizeof g);
    return nerr(L, L->spread_doc, L->spread_node, "'rekey_spread' (%s) must "
                "be less than the shortest time between two re-key rounds "
                "of %s (%s, from its rekey_every and rekey_at): every smart "
                "object's round must start before any one's next round", a,
                m->section, g);
}

static void mark_of(const ydoc *d, const yaml_node_t *n, scn_mark *m);

void scn_map_mark(scn_map *m, const char *key, size_t idx, scn_mark *out)
{
    yaml_node_t *v = map_find(m, key, NULL);

    if (v && v->type == YAML_SEQUENCE_NODE && idx < seq_len(v))
        v = seq_item(m->d, v, idx);
    if (!v)
        v = m->at;
    if (v) {
        mark_of(m->d, v, out);
    } else {
        out->line = 1;
        out->col = 1;
        out->ovr = -1;
    }
}

const scn_mark *scn_mark_cause(const scn_mark *opt, const scn_mark *topo)
{
    return opt->ovr < 0 && topo->ovr >= 0 ? topo : opt;
}

int scn_map_error(scn_map *m, const char *key, const char *fmt, ...)
{
    yaml_node_t *v = map_find(m, key, NULL);
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!v)
        v = m->at;
    if (v)
        return nerr(m->L, m->d, v, "%s", msg);
    report(m->L, m->d->file, -1, NULL, "%s", msg);
    return -1;
}

int scn_map_dist(scn_map *m, const char *key, sim_dim dim, int required,
                 const char *def, sim_dist *out)
{
    return get_dist(m, key, dim, required, def, out, NULL);
}

int scn_map_enum(scn_map *m, const char *key, const char *const *names,
                 int required, int def, int *out)
{
    return get_enum(m, key, names, required, def, out, NULL);
}

int scn_map_bool(scn_map *m, const char *key, int required, int def,
                 int *out)
{
    return get_bool(m, key, required, def, out);
}

int scn_map_defences(const scn_map *m)
{
    return m && m->L && m->L->s ? m->L->s->defences : SCN_DEF_AS_PUBLISHED;
}

int scn_map_defence(scn_map *m, const char *key, int published,
                    int hardened, int *out)
{
    return get_bool(m, key, 0,
                    scn_map_defences(m) == SCN_DEF_HARDENED ? hardened
                                                             : published,
                    out);
}

scn_map *scn_map_sub(scn_map *m, const char *key, int required)
{
    yaml_node_t *v;
    scn_map *c;
    char section[2 * SECTION_LEN + 2];  /* map_open truncates it */

    if (m->L->failed || get_map(m, key, required, &v) != 0)
        return NULL;
    c = xcalloc(1, sizeof *c);
    snprintf(section, sizeof section, "%s.%s", m->section, key);
    if (map_open(c, m->L, m->d, v, v ? v : m->at, section, NULL) != 0) {
        scn_map_close(c);
        return NULL;
    }
    return c;
}

void scn_map_close(scn_map *c)
{
    if (!c)
        return;
    map_close(c);
    free(c);
}

int scn_map_done(scn_map *m)
{
    yaml_node_pair_t *pairs;
    char q[128];

    if (m->L->failed)
        return -1;
    if (m->done || !m->map)
        return 0;
    m->done = 1;
    pairs = m->map->data.mapping.pairs.start;
    for (size_t i = 0; i < m->n; i++) {
        yaml_node_t *k = node_at(m->d, pairs[i].key);
        if (m->used[i] || (m->skip && strcmp(stext(k), m->skip) == 0))
            continue;
        const char *cand[ARRAY_LEN(m->asked) + 1];
        char dym[96];
        for (size_t j = 0; j < m->n_asked; j++)
            cand[j] = m->asked[j];
        cand[m->n_asked] = NULL;
        sim_units_quote(q, sizeof q, stext(k));
        if (m->L->as && m->L->s->proto && m->L->as != m->L->s->proto &&
            strcmp(m->section, "protocol") == 0)
            /* `--protocol dini --set protocol.x=...`: protocol: holds the
             * file's protocol's options, not those of the one asked for */
            return nerr(m->L, m->d, k, "unknown key '%s' in protocol (the "
                        "options of '%s', the scenario's protocol); options "
                        "for --protocol %s go under protocols.%s", q,
                        m->L->s->proto->name, m->L->as->name,
                        m->L->as->name);
        return nerr(m->L, m->d, k, "unknown key '%s' in %s%s%s", q,
                    m->section, flow_hint(stext(k)),
                    suggest(dym, sizeof dym, stext(k), cand));
    }
    return 0;
}

/* ======================================================================
 * Overrides (--set path=value)
 * ====================================================================== */

/* Splits "a.b.c=value".  Returns -1 if malformed. */
static int split_override(const char *arg, char **path, char **value)
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
        report(L, d->file, origin, NULL, "out of memory");
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
        report(L, d->file, -1, NULL, "out of memory");
        return -1;
    }
    d->refs[key - 1]++;
    d->refs[value - 1]++;
    return 0;
}

static int append_item(ldr *L, ydoc *d, int seq, int item)
{
    if (!yaml_document_append_sequence_item(&d->doc, seq, item)) {
        report(L, d->file, -1, NULL, "out of memory");
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
    yaml_node_t *n = node_at(src, sid);
    int id;

    if (memo[sid - 1])
        return memo[sid - 1];
    switch (n->type) {
    case YAML_SCALAR_NODE:
        id = add_scalar(L, d, n->tag, stext(n), n->data.scalar.style,
                        origin);
        memo[sid - 1] = id;
        return id;
    case YAML_SEQUENCE_NODE:
        id = add_sequence(L, d, n->tag, origin);
        if (!id)
            return 0;
        memo[sid - 1] = id;
        for (size_t i = 0; i < seq_len(n); i++) {
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
        report(L, d->file, origin, NULL, "empty value");
        return 0;
    }
}

/* A shallow copy of container `id` (same children), for copy-on-write of
 * nodes shared through aliases.  Keeps the original's position. */
static int clone_node(ldr *L, ydoc *d, int id)
{
    yaml_node_t *n = node_at(d, id);
    int c, origin = d->origin[id - 1];
    size_t cnt;

    if (n->type == YAML_MAPPING_NODE) {
        c = add_mapping(L, d, n->tag, origin);
        if (!c)
            return 0;
        n = node_at(d, id);
        cnt = (size_t)(n->data.mapping.pairs.top -
                       n->data.mapping.pairs.start);
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_pair_t p = node_at(d, id)->data.mapping.pairs.start[i];
            if (append_pair(L, d, c, p.key, p.value))
                return 0;
        }
    } else {
        c = add_sequence(L, d, n->tag, origin);
        if (!c)
            return 0;
        cnt = seq_len(node_at(d, id));
        for (size_t i = 0; i < cnt; i++)
            if (append_item(L, d, c,
                            node_at(d, id)->data.sequence.items.start[i]))
                return 0;
    }
    n = node_at(d, id);
    node_at(d, c)->start_mark = n->start_mark;
    node_at(d, c)->end_mark = n->end_mark;
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
    mapping = node_at(d, id)->type == YAML_MAPPING_NODE;
    if (!mapping && node_at(d, id)->type != YAML_SEQUENCE_NODE)
        return 0;
    cnt = mapping ? 2 * (size_t)(node_at(d, id)->data.mapping.pairs.top -
                                 node_at(d, id)->data.mapping.pairs.start)
                  : seq_len(node_at(d, id));
    for (i = 0; i < cnt; i++) {
        /* nodes added below may move the node array: look up again */
        yaml_node_t *n = node_at(d, id);
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
            yaml_node_t *o = node_at(d, child);
            c = o->type == YAML_SCALAR_NODE
                    ? add_scalar(L, d, o->tag, stext(o),
                                 o->data.scalar.style, d->origin[child - 1])
                    : clone_node(L, d, child);
        }
        if (!c)
            return -1;
        if (node_at(d, c)->type != YAML_SCALAR_NODE) {
            if ((d->n_aclones & (d->n_aclones - 1)) == 0)
                d->aclones = xreallocarray(d->aclones, d->n_aclones ?
                                           2 * d->n_aclones : 1,
                                           sizeof *d->aclones);
            d->aclones[d->n_aclones++] = c;   /* ascending: new nodes */
        }
        node_at(d, c)->start_mark = amarks[2 * *j];
        node_at(d, c)->end_mark = amarks[2 * *j + 1];
        ++*j;
        n = node_at(d, id);
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
    yaml_node_t *n = node_at(d, cur);

    *err = 0;
    if (n->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *key = node_at(d, p->key);
            if (key->type == YAML_SCALAR_NODE && strcmp(stext(key), seg) == 0)
                return &p->value;
        }
        return NULL;
    }
    /* a sequence: seg must be an index below its length */
    {
        size_t len = seq_len(n), idx = 0, i;
        char q[128];
        for (i = 0; seg[i] >= '0' && seg[i] <= '9' && idx <= len; i++)
            idx = idx * 10 + (size_t)(seg[i] - '0');
        sim_units_quote(q, sizeof q, seg);
        if (i == 0 || (seg[i] && (seg[i] < '0' || seg[i] > '9'))) {
            report(L, d->file, k, NULL,
                   "'%s' is a list; expected an index, got '%s'", prefix, q);
            *err = 1;
            return NULL;
        }
        if (seg[i] || idx >= len) {
            report(L, d->file, k, NULL,
                   "index %s out of range for '%s' (%zu entries)", q, prefix,
                   len);
            *err = 1;
            return NULL;
        }
        return &n->data.sequence.items.start[idx];
    }
}

/* Applies override k (path, value) to the main document: the value is
 * parsed as YAML and grafted at the path, creating missing mappings on
 * the way.  Nodes it adds carry origin k. */
static int apply_override(ldr *L, ydoc *d, int k, const char *path,
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

    if (load_doc(L, &vd, "--set", k, (const unsigned char *)value,
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
        yaml_node_t *n = node_at(d, cur);
        yaml_node_item_t *slot;

        if (n->type != YAML_MAPPING_NODE && n->type != YAML_SEQUENCE_NODE) {
            if (plen == 0)
                report(L, d->file, k, NULL, "the top level is not a mapping");
            else
                report(L, d->file, k, NULL, "'%s' is not a mapping or a list",
                       prefix);
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
            yaml_node_t *c = node_at(d, *slot);
            child = *slot;
            if (is_null(c))
                child = add_mapping(L, d, NULL, k);
            else if (c->type == YAML_SCALAR_NODE) {
                report(L, d->file, k, NULL, "'%s%s%s' is not a mapping or a "
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
    ydoc_free(&vd);
    return rc;
}

/* ======================================================================
 * Validation: one function per section
 * ====================================================================== */

static int sub_open(scn_map *c, scn_map *parent, yaml_node_t *n,
                    const char *section)
{
    return map_open(c, parent->L, parent->d, n, n ? n : parent->at, section,
                    NULL);
}

/* ---- node ids of an explicit topology ----------------------------------- */

static void idmap_init(idmap *m, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    m->keys = xmalloc(cap * sizeof *m->keys);
    m->vals = xcalloc(cap, sizeof *m->vals);
    m->mask = cap - 1;
}

static void idmap_free(idmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = m->vals = NULL;
}

static size_t idmap_slot(const idmap *m, uint32_t id)
{
    size_t h = (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) &
               m->mask;
    while (m->vals[h] && m->keys[h] != id)
        h = (h + 1) & m->mask;
    return h;
}

/* Index of node `id`, or -1. */
static int64_t idmap_get(const idmap *m, uint32_t id)
{
    size_t h;
    if (!m->vals)
        return -1;
    h = idmap_slot(m, id);
    return m->vals[h] ? (int64_t)m->vals[h] - 1 : -1;
}

/* ---- topology ----------------------------------------------------------- */

static const char *const gen_names[] = {"explicit", "star", "tree", "grid",
                                        "random_geometric", NULL};
static const char *const backbone_shapes[] = {"ring", "tree", NULL};
static const char *const so_placements[] = {"random", "grid", NULL};
static const char *const topo_keys[] = {
    "generator", "require_connected", "link", "nodes", "links", "sources",
    "smart_objects", "subscribers", "backbone", "backbone_shape", "access",
    "fanout", "columns", "spacing", "area", "range", "so_placement", NULL};
static const char *const topo_explicit[] = {
    "generator", "require_connected", "link", "nodes", "links", NULL};
static const char *const topo_star[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", NULL};
static const char *const topo_tree[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", "fanout", NULL};
static const char *const topo_grid[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", "columns",
    "spacing", NULL};
static const char *const topo_rg[] = {
    "generator", "require_connected", "link", "sources", "smart_objects",
    "subscribers", "backbone", "backbone_shape", "access", "area", "range",
    "so_placement", NULL};
static const char *const *const topo_applicable[] = {
    topo_explicit, topo_star, topo_tree, topo_grid, topo_rg};

static const char *const link_keys[] = {"latency", "bandwidth", "loss",
                                        "queue", NULL};
static const char *const node_keys[] = {"id", "role", "pos", NULL};
static const char *const elink_keys[] = {"a", "b", "latency", "bandwidth",
                                         "loss", "queue", NULL};
static const char *const role_names[] = {"source", "smart_object",
                                         "subscriber", NULL};

static const bounds b_positive = {0, INFINITY, 1, 0};
static const bounds b_nonneg = {0, INFINITY, 0, 0};
/* A profile's cost per byte: at most SCN_MAX_OP_PER_BYTE (1 s). */
static const bounds b_op_per_byte = {0, (double)SCN_MAX_OP_PER_BYTE / 1e9,
                                     0, 0};
/* At least 1 bit/s: slower links would only overflow the clock. */
static const bounds b_bandwidth = {1, INFINITY, 0, 0};

/* latency, bandwidth, loss, queue on cursor c, defaults from def. */
static int link_params(scn_map *c, const scn_link_params *def,
                       scn_link_params *out)
{
    const bounds loss = {0, 1, 0, 1};
    yaml_node_t *qn;
    double q;

    *out = *def;
    if (get_time(c, "latency", 0, def->latency, 0, 0, SCN_MAX_DURATION,
                 &out->latency, NULL) ||
        get_qty(c, "bandwidth", SIM_DIM_RATE, 0, def->bandwidth,
                &b_bandwidth, &out->bandwidth, NULL) ||
        get_qty(c, "loss", SIM_DIM_NONE, 0, def->loss, &loss, &out->loss,
                NULL) ||
        get_qty(c, "queue", SIM_DIM_SIZE, 0, (double)def->queue, &b_nonneg,
                &q, &qn))
        return -1;
    if (qn && (q != floor(q) || q > 9007199254740992.0))
        return nerr(c->L, c->d, qn, "'queue' must be a whole number of bytes "
                    "up to 2^53");
    out->queue = (uint64_t)q;
    return 0;
}

static int link_section(scn_map *t, const char *key,
                        const scn_link_params *def, scn_link_params *out)
{
    scn_map c;
    yaml_node_t *n;
    char section[SECTION_LEN];
    int rc;

    if (get_map(t, key, 0, &n))
        return -1;
    snprintf(section, sizeof section, "topology.%s", key);
    rc = sub_open(&c, t, n, section) || map_check_keys(&c, link_keys, NULL,
                                                       NULL) ||
         link_params(&c, def, out);
    map_close(&c);
    return rc ? -1 : 0;
}

/* "first defined at line L" (or "by --set ...") for node v. */
static void def_where(ldr *L, ydoc *d, const yaml_node_t *v, char *buf,
                      size_t len)
{
    int o = origin_of(d, v);
    char q[128];

    if (o >= 0 && L->labels && L->labels[o]) {
        snprintf(buf, len, "first defined by %s", L->labels[o]);
    } else if (o >= 0) {
        sim_units_quote(q, sizeof q, L->args[o]);
        snprintf(buf, len, "first defined by --set %s", q);
    } else {
        snprintf(buf, len, "first defined at line %zu",
                 v->start_mark.line + 1);
    }
}

/* Where the `id` value of nodes[j] was written. */
static void first_def(ldr *L, ydoc *d, yaml_node_t *seq, size_t j,
                      char *buf, size_t len)
{
    yaml_node_t *item = seq_item(d, seq, j);
    yaml_node_pair_t *p;

    def_where(L, d, item, buf, len);
    for (p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(d, p->key), *v = node_at(d, p->value);
        if (strcmp(stext(k), "id") == 0) {
            def_where(L, d, v, buf, len);
            return;
        }
    }
}

static int explicit_nodes(scn_map *t, scn_topology *topo)
{
    ldr *L = t->L;
    yaml_node_t *seq;
    size_t n;

    if (get_seq(t, "nodes", 1, &seq))
        return -1;
    n = seq_len(seq);
    if (n == 0 || n > SCN_MAX_NODES)
        return nerr(L, t->d, seq, "'nodes' must have 1 to %u entries",
                    SCN_MAX_NODES);
    topo->nodes = xcalloc(n, sizeof *topo->nodes);
    topo->n_nodes = n;
    idmap_init(&L->ids, n);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = seq_item(t->d, seq, i), *idn;
        scn_node *nd = &topo->nodes[i];
        char section[SECTION_LEN], what[64];
        double xy[2] = {0, 0};
        scn_map c;
        uint32_t id;
        int role, rc;
        size_t h;

        snprintf(section, sizeof section, "topology.nodes[%zu]", i);
        if (item->type != YAML_MAPPING_NODE) {
            snprintf(what, sizeof what, "nodes[%zu]", i);
            return type_err(t, item, "a mapping", what);
        }
        rc = sub_open(&c, t, item, section) ||
             map_check_keys(&c, node_keys, NULL, NULL) ||
             get_u32(&c, "id", 1, 0, 0, UINT32_MAX, &id, &idn) ||
             get_enum(&c, "role", role_names, 1, 0, &role, NULL) ||
             get_qty_list(&c, "pos", SIM_DIM_LENGTH, 2, 0, NULL, xy,
                          NULL) < 0;
        map_close(&c);
        if (rc)
            return -1;
        h = idmap_slot(&L->ids, id);
        if (L->ids.vals[h]) {
            char first[256];
            first_def(L, t->d, seq, L->ids.vals[h] - 1, first, sizeof first);
            return nerr(L, t->d, idn, "duplicate node id %u (%s)", id, first);
        }
        L->ids.keys[h] = id;
        L->ids.vals[h] = (uint32_t)i + 1;
        nd->id = id;
        nd->role = (scn_role)role;
        nd->x = xy[0];
        nd->y = xy[1];
        if (nd->role == SCN_ROLE_SOURCE)
            topo->sources++;
        else if (nd->role == SCN_ROLE_SO)
            topo->smart_objects++;
        else
            topo->subscribers++;
    }
    if (topo->smart_objects == 0)
        return nerr(L, t->d, seq, "topology has no smart object");
    if (topo->sources == 0)
        return nerr(L, t->d, seq, "topology has no source");
    L->total_nodes = (uint32_t)n;
    return 0;
}

static int explicit_links(scn_map *t, scn_topology *topo)
{
    ldr *L = t->L;
    yaml_node_t *seq;
    size_t n;

    if (get_seq(t, "links", 0, &seq))
        return -1;
    if (!seq)
        return 0;
    n = seq_len(seq);
    if (n > SCN_MAX_LINKS)
        return nerr(L, t->d, seq, "'links' must have at most %u entries",
                    SCN_MAX_LINKS);
    topo->links = xcalloc(n ? n : 1, sizeof *topo->links);
    topo->n_links = n;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = seq_item(t->d, seq, i), *an, *bn;
        scn_link *l = &topo->links[i];
        char section[SECTION_LEN], what[64];
        uint32_t a, b;
        int64_t ia = -1, ib = -1;
        scn_map c;
        int rc;

        snprintf(section, sizeof section, "topology.links[%zu]", i);
        if (item->type != YAML_MAPPING_NODE) {
            snprintf(what, sizeof what, "links[%zu]", i);
            return type_err(t, item, "a mapping", what);
        }
        rc = sub_open(&c, t, item, section) ||
             map_check_keys(&c, elink_keys, NULL, NULL) ||
             get_u32(&c, "a", 1, 0, 0, UINT32_MAX, &a, &an) ||
             get_u32(&c, "b", 1, 0, 0, UINT32_MAX, &b, &bn);
        if (!rc && (ia = idmap_get(&L->ids, a)) < 0)
            rc = nerr(L, t->d, an, "link to missing node %u", a);
        if (!rc && (ib = idmap_get(&L->ids, b)) < 0)
            rc = nerr(L, t->d, bn, "link to missing node %u", b);
        if (!rc && a == b)
            rc = nerr(L, t->d, item, "self-loop on node %u", a);
        if (!rc)
            rc = link_params(&c, &topo->link, &l->p);
        map_close(&c);
        if (rc)
            return -1;
        l->a = (uint32_t)ia;
        l->b = (uint32_t)ib;
    }
    return 0;
}

typedef struct link_key {
    uint64_t pair;       /* lower node index << 32 | higher            */
    size_t i;            /* position in links                          */
} link_key;

static int link_key_cmp(const void *a, const void *b)
{
    const link_key *x = a, *y = b;

    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static uint32_t uf_find(uint32_t *up, uint32_t x)
{
    while (up[x] != x) {
        up[x] = up[up[x]];
        x = up[x];
    }
    return x;
}

/* An explicit topology as a whole: no link listed twice (either way
 * round: the first repeat in file order is reported), and every smart
 * object reachable from some source, whether or not require_connected
 * asks for the rest to be connected: an SO that no source can reach would
 * never see a request.  O(links log links + nodes). */
static int explicit_check(scn_map *t, const scn_topology *topo)
{
    ldr *L = t->L;
    yaml_node_t *nseq = map_find(t, "nodes", NULL);
    yaml_node_t *lseq = map_find(t, "links", NULL);
    size_t n = topo->n_links, dup = SIZE_MAX, first = 0;
    uint32_t *up;
    unsigned char *src;
    int rc = 0;

    if (n > 1) {
        link_key *k = xmalloc(n * sizeof *k);
        for (size_t i = 0; i < n; i++) {
            uint32_t a = topo->links[i].a, b = topo->links[i].b;
            k[i].pair = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
            k[i].i = i;
        }
        qsort(k, n, sizeof *k, link_key_cmp);
        for (size_t i = 1; i < n; i++)
            if (k[i].pair == k[i - 1].pair &&
                (i < 2 || k[i - 1].pair != k[i - 2].pair) && k[i].i < dup) {
                dup = k[i].i;
                first = k[i - 1].i;
            }
        free(k);
    }
    if (dup != SIZE_MAX) {
        const scn_link *l = &topo->links[dup];
        char where[256];
        def_where(L, t->d, seq_item(t->d, lseq, first), where, sizeof where);
        return nerr(L, t->d, seq_item(t->d, lseq, dup), "duplicate link "
                    "between nodes %u and %u (%s)", topo->nodes[l->a].id,
                    topo->nodes[l->b].id, where);
    }
    up = xmalloc(topo->n_nodes * sizeof *up);
    src = xcalloc(topo->n_nodes, 1);
    for (size_t i = 0; i < topo->n_nodes; i++)
        up[i] = (uint32_t)i;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = uf_find(up, topo->links[i].a);
        uint32_t b = uf_find(up, topo->links[i].b);
        up[a] = b;
    }
    for (size_t i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].role == SCN_ROLE_SOURCE)
            src[uf_find(up, (uint32_t)i)] = 1;
    for (size_t i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].role == SCN_ROLE_SO &&
            !src[uf_find(up, (uint32_t)i)]) {
            rc = nerr(L, t->d, seq_item(t->d, nseq, i), "smart object %u "
                      "cannot be reached from any source",
                      topo->nodes[i].id);
            break;
        }
    free(up);
    free(src);
    return rc;
}

static uint32_t ceil_sqrt(uint32_t n)
{
    uint64_t c = (uint64_t)sqrt((double)n);
    while (c * c < n)
        c++;
    while (c > 1 && (c - 1) * (c - 1) >= n)
        c--;
    return (uint32_t)(c ? c : 1);
}

static int parse_topology(scn_map *top)
{
    static const scn_link_params def_link = {1 * SIM_MS, 250e3, 0, 0};
    static const scn_link_params def_backbone = {10 * SIM_MS, 100e6, 0, 0};
    static const scn_link_params def_access = {20 * SIM_MS, 10e6, 0, 0};
    scn_topology *topo = &top->L->s->topo;
    yaml_node_t *tn, *srcn;
    scn_map t;
    int gen, rc = -1;

    if (get_map(top, "topology", 1, &tn))
        return -1;
    {
        /* Where errors found later, when the topology is built, point: the
         * topology mapping (as "missing required key" errors do), or the
         * top level when an override made it. */
        const yaml_node_t *at = origin_of(top->d, tn) >= 0 ? top->map : tn;
        top->L->s->topo_line = (unsigned)at->start_mark.line + 1;
        top->L->s->topo_col = (unsigned)at->start_mark.column + 1;
    }
    if (sub_open(&t, top, tn, "topology") ||
        get_enum(&t, "generator", gen_names, 1, 0, &gen, NULL) ||
        map_check_keys(&t, topo_keys, topo_applicable[gen], gen_names[gen]))
        goto out;
    topo->kind = (scn_topo_kind)gen;
    topo->backbone = def_backbone;
    topo->access = def_access;
    if (get_bool(&t, "require_connected", 0, gen == SCN_TOPO_EXPLICIT,
                 &topo->require_connected) ||
        link_section(&t, "link", &def_link, &topo->link))
        goto out;

    if (gen == SCN_TOPO_EXPLICIT) {
        scn_map_mark(&t, "nodes", SIZE_MAX, &top->L->s->nodes_mark);
        if (explicit_nodes(&t, topo) || explicit_links(&t, topo) ||
            explicit_check(&t, topo))
            goto out;
        scn_map_mark(&t, "nodes", 0, &top->L->s->mk_nodes);
        rc = 0;
        goto out;
    }
    {
        /* The node count's mark, for protocol set-up errors that compare
         * an option with it (Dini's d, E-G's revoke_nodes). */
        static const char *const size_keys[] = {"smart_objects",
                                                "subscribers"};
        scn_mark *nm = &top->L->s->nodes_mark;
        scn_map_mark(&t, "sources", SIZE_MAX, nm);
        for (size_t i = 0; i < 2 && nm->ovr < 0; i++)
            if (map_find(&t, size_keys[i], NULL))
                scn_map_mark(&t, size_keys[i], SIZE_MAX, nm);
        if (nm->ovr < 0)             /* none from --set: `sources` */
            scn_map_mark(&t, "sources", SIZE_MAX, nm);
    }

    if (get_u32(&t, "sources", 1, 0, 1, SCN_MAX_NODES, &topo->sources,
                &srcn) ||
        get_u32(&t, "smart_objects", 0, 1, 1, SCN_MAX_NODES,
                &topo->smart_objects, NULL) ||
        get_u32(&t, "subscribers", 0, 0, 0, SCN_MAX_NODES, &topo->subscribers,
                NULL) ||
        link_section(&t, "backbone", &def_backbone, &topo->backbone) ||
        link_section(&t, "access", &def_access, &topo->access))
        goto out;
    {
        int shape;
        if (get_enum(&t, "backbone_shape", backbone_shapes, 0,
                     SCN_BACKBONE_RING, &shape, NULL))
            goto out;
        topo->backbone_shape = (scn_backbone_shape)shape;
    }
    {
        uint64_t total = (uint64_t)topo->sources + topo->smart_objects +
                         topo->subscribers;
        if (total > SCN_MAX_NODES) {
            nerr(t.L, t.d, srcn, "total number of nodes (%llu) exceeds the "
                 "limit of %u", (unsigned long long)total, SCN_MAX_NODES);
            goto out;
        }
        t.L->total_nodes = (uint32_t)total;
        scn_map_mark(&t, "sources", 0, &t.L->s->mk_nodes);
    }
    switch (gen) {
    case SCN_TOPO_TREE:
        if (get_u32(&t, "fanout", 0, 2, 1, 1024, &topo->fanout, NULL))
            goto out;
        break;
    case SCN_TOPO_GRID:
        if (get_u32(&t, "columns", 0, ceil_sqrt(topo->sources), 1,
                    SCN_MAX_NODES, &topo->columns, NULL) ||
            get_qty(&t, "spacing", SIM_DIM_LENGTH, 0, 10.0, &b_positive,
                    &topo->spacing, NULL))
            goto out;
        break;
    case SCN_TOPO_RANDOM_GEOMETRIC:
        if (get_qty_list(&t, "area", SIM_DIM_LENGTH, 2, 1, &b_positive,
                         topo->area, NULL) < 0 ||
            get_qty(&t, "range", SIM_DIM_LENGTH, 1, 0, &b_positive,
                    &topo->range, NULL))
            goto out;
        {
            int pl;
            if (get_enum(&t, "so_placement", so_placements, 0, SCN_SO_RANDOM,
                         &pl, NULL))
                goto out;
            topo->so_placement = (scn_so_placement)pl;
        }
        break;
    default:
        break;
    }
    rc = 0;
out:
    map_close(&t);
    return rc;
}

/* ---- traffic, smart objects, subscribers -------------------------------- */

/* name with every "{id}" replaced by "0", for validation. */
static char *expand_id(const char *name)
{
    size_t n = strlen(name), o = 0;
    char *out = xmalloc(n + 1);

    for (size_t i = 0; i < n;) {
        if (strncmp(name + i, "{id}", 4) == 0) {
            out[o++] = '0';
            i += 4;
        } else {
            out[o++] = name[i++];
        }
    }
    out[o] = '\0';
    return out;
}

/* A list of MQTT topic names (filter = 0) or filters (filter = 1). */
static int topic_list(scn_map *m, const char *key, const char *def,
                      int filter, size_t *n_out, char ***out)
{
    yaml_node_t *seq;
    size_t n;

    if (get_seq(m, key, 0, &seq))
        return -1;
    if (!seq) {
        *out = xmalloc(sizeof **out);
        (*out)[0] = xstrdup(def);
        *n_out = 1;
        return 0;
    }
    n = seq_len(seq);
    if (n == 0 || n > SCN_MAX_LIST)
        return nerr(m->L, m->d, seq, "'%s' must have 1 to %u entries", key,
                    SCN_MAX_LIST);
    *out = xcalloc(n, sizeof **out);
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = seq_item(m->d, seq, i);
        char q[128];
        int ok;

        if (item->type != YAML_SCALAR_NODE || is_null(item))
            return type_err(m, item, filter ? "an MQTT topic filter"
                                            : "an MQTT topic name", key);
        if (filter) {
            ok = sim_topic_filter_valid(stext(item));
        } else {
            char *x = expand_id(stext(item));
            ok = sim_topic_name_valid(x);
            free(x);
        }
        if (!ok) {
            sim_units_quote(q, sizeof q, stext(item));
            return nerr(m->L, m->d, item, "invalid MQTT topic %s '%s'",
                        filter ? "filter" : "name", q);
        }
        (*out)[i] = xstrdup(stext(item));
    }
    return 0;
}

static int parse_traffic(scn_map *top)
{
    static const char *const keys[] = {"interval", "size", "start",
                                       "register_at", "register_retry",
                                       "anonymous", "topics", NULL};
    scn_traffic *tr = &top->L->s->traffic;
    int64_t anon = 0;
    yaml_node_t *n, *in, *sn, *rn, *an;
    scn_map c;
    int rc = -1;

    if (get_map(top, "traffic", 0, &n))
        return -1;
    if (sub_open(&c, top, n, "traffic") ||
        map_check_keys(&c, keys, NULL, NULL) ||
        get_dist(&c, "interval", SIM_DIM_TIME, 0, "exp(60s)", &tr->interval,
                 &in))
        goto out;
    /* Issue 20: checked after rounding to the clock's resolution (1 ns):
     * an interval that rounds to 0 ns never advances the clock. */
    if (in && isfinite(sim_dist_mean(&tr->interval)) &&
        !(sim_dist_mean(&tr->interval) * 1e9 >= 0.5)) {
        nerr(c.L, c.d, in, "'interval' must have a mean of at least 1ns "
             "(the clock's resolution)");
        goto out;
    }
    if (in && sim_dist_p_at_least(&tr->interval, 0.5e-9) < 1e-6) {
        nerr(c.L, c.d, in, "'interval' draws almost all round to 0ns "
             "(the clock's resolution)");
        goto out;
    }
    if (get_dist(&c, "size", SIM_DIM_SIZE, 0, "64B", &tr->size, &sn))
        goto out;
    if (sn) {
        const sim_dist *d = &tr->size;
        double lo = d->p[0], hi = d->kind == SIM_DIST_UNIFORM ? d->p[1]
                                                              : d->p[0];
        if (d->kind == SIM_DIST_CONST || d->kind == SIM_DIST_UNIFORM) {
            if (lo < 1) {
                nerr(c.L, c.d, sn, "payload size must be >= 1B");
                goto out;
            }
            if (hi > MAX_PAYLOAD) {
                nerr(c.L, c.d, sn, "payload size must be <= 64KiB");
                goto out;
            }
        } else {
            double mean = sim_dist_mean(d);
            if (!(mean >= 1 && mean <= MAX_PAYLOAD)) {
                nerr(c.L, c.d, sn, "payload size must have a mean between "
                     "1B and 64KiB");
                goto out;
            }
        }
    }
    if (get_time(&c, "start", 0, 0, 0, 0, SCN_MAX_DURATION, &tr->start,
                 &sn) ||
        (sn && before_duration(&c, sn, "start", tr->start)) ||
        get_dist(&c, "register_at", SIM_DIM_TIME, 0, "0s", &tr->register_at,
                 &rn) ||
        get_time(&c, "register_retry", 0, 30 * SIM_S, 0, 0, SCN_MAX_DURATION,
                 &tr->register_retry, NULL) ||
        get_int(&c, "anonymous", 0, 0, 0, SCN_MAX_NODES, &anon, &an) ||
        topic_list(&c, "topics", "kmsim/{id}/data", 0, &tr->n_topics,
                   &tr->topics))
        goto out;
    scn_map_mark(&c, "interval", 0, &c.L->s->mk_interval);
    scn_map_mark(&c, "register_retry", 0, &c.L->s->mk_register_retry);
    /* Issue 20 (kmsim extension): values that can never take effect are
     * refused.  A register_at whose smallest draw is at or after the
     * duration (const, uniform entirely after it; an unbounded
     * distribution's minimum is 0) registers no source ever. */
    if (rn && c.L->s->duration > 0 &&
        dist_min_ns(&tr->register_at) >= c.L->s->duration) {
        char du[64];
        sim_units_format((double)c.L->s->duration / 1e9, SIM_DIM_TIME, du,
                         sizeof du);
        nerr(c.L, c.d, rn, "'register_at' never draws a time before "
             "'duration' (%s): no source would ever register", du);
        goto out;
    }
    /* More anonymous sources than sources: the topology has been read. */
    if (an && (uint64_t)anon > c.L->s->topo.sources) {
        nerr(c.L, c.d, an, "'anonymous' (%lld) must be at most the number "
             "of sources (%u)", (long long)anon, c.L->s->topo.sources);
        goto out;
    }
    tr->anonymous = (uint32_t)anon;
    rc = 0;
out:
    map_close(&c);
    return rc;
}

/* smart_object.rekey_spread, read before the protocol blocks (which check
 * their re-key rounds against it, scn_map_rekey_rounds) without opening
 * the section: its other keys and its shape are parse_smart_object's to
 * report.  0 or -1 (recorded). */
static int pre_rekey_spread(scn_map *top)
{
    ldr *L = top->L;
    yaml_node_t *so = map_find(top, "smart_object", NULL), *v = NULL;
    yaml_node_pair_t *pair;
    scn_map c;
    int rc;

    if (!so || so->type != YAML_MAPPING_NODE)
        return 0;
    for (pair = so->data.mapping.pairs.start;
         pair < so->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = node_at(top->d, pair->key);
        if (k->type == YAML_SCALAR_NODE &&
            strcmp(stext(k), "rekey_spread") == 0) {
            v = node_at(top->d, pair->value);
            break;                     /* a repeat: parse_smart_object's */
        }
    }
    if (!v)
        return 0;
    if (map_open(&c, L, top->d, NULL, so, "smart_object", NULL))
        return -1;
    rc = time_of(&c, v, "rekey_spread", 0, 0, SCN_MAX_DURATION,
                 &L->s->so.rekey_spread) ||
         before_duration(&c, v, "rekey_spread", L->s->so.rekey_spread);
    map_close(&c);
    if (rc)
        return -1;
    L->spread_doc = top->d;
    L->spread_node = v;
    return 0;
}

static int parse_smart_object(scn_map *top)
{
    static const char *const keys[] = {"service", "queue_capacity", "publish",
                                       "rekey_spread", NULL};
    scn_smart_object *so = &top->L->s->so;
    yaml_node_t *n;
    scn_map c;
    int rc;

    if (get_map(top, "smart_object", 0, &n))
        return -1;
    rc = sub_open(&c, top, n, "smart_object") ||
         map_check_keys(&c, keys, NULL, NULL) ||
         get_dist(&c, "service", SIM_DIM_TIME, 0, "exp(2.5s)", &so->service,
                  NULL) ||
         get_u32(&c, "queue_capacity", 0, 0, 0, UINT32_MAX,
                 &so->queue_capacity, NULL) ||
         get_dist(&c, "publish", SIM_DIM_TIME, 0, "0s", &so->publish, NULL) ||
         /* read first by pre_rekey_spread: the same value */
         get_time(&c, "rekey_spread", 0, 0, 0, 0, SCN_MAX_DURATION,
                  &so->rekey_spread, NULL);
    if (!rc)
        scn_map_mark(&c, "rekey_spread", 0, &so->rekey_spread_mark);
    map_close(&c);
    return rc ? -1 : 0;
}

static int parse_subscribers(scn_map *top)
{
    static const char *const keys[] = {"filters", NULL};
    scn_subscribers *sub = &top->L->s->subs;
    yaml_node_t *n;
    scn_map c;
    int rc;

    if (get_map(top, "subscribers", 0, &n))
        return -1;
    rc = sub_open(&c, top, n, "subscribers") ||
         map_check_keys(&c, keys, NULL, NULL) ||
         topic_list(&c, "filters", "#", 1, &sub->n_filters, &sub->filters);
    map_close(&c);
    return rc ? -1 : 0;
}

/* ---- profiles ----------------------------------------------------------- */

static const char *const op_names[] = {"seal", "open", "hash", "kdf", "xor",
                                       "concat", NULL};
static const char *const dev_names[] = {"sensor", "smart_object", "gateway",
                                        NULL};

/* The shipped cost profiles: fixed numbers, so runs are reproducible on
 * any host.  {fixed ns, ns per byte} per operation. */
static const struct {
    sim_time fixed;
    double per_byte;
} default_costs[SCN_DEV_COUNT][SCN_OP_COUNT] = {
    [SCN_DEV_SENSOR] = {
        [SCN_OP_SEAL] = {60000, 500}, [SCN_OP_OPEN] = {60000, 500},
        [SCN_OP_HASH] = {25000, 300}, [SCN_OP_KDF] = {40000, 0},
        [SCN_OP_XOR] = {1000, 10},    [SCN_OP_CONCAT] = {1000, 10}},
    [SCN_DEV_SO] = {
        [SCN_OP_SEAL] = {4000, 15},   [SCN_OP_OPEN] = {4000, 15},
        [SCN_OP_HASH] = {2000, 8},    [SCN_OP_KDF] = {3000, 0},
        [SCN_OP_XOR] = {100, 1},      [SCN_OP_CONCAT] = {100, 1}},
    [SCN_DEV_GATEWAY] = {
        [SCN_OP_SEAL] = {2000, 6},    [SCN_OP_OPEN] = {2000, 6},
        [SCN_OP_HASH] = {1000, 4},    [SCN_OP_KDF] = {1500, 0},
        [SCN_OP_XOR] = {50, 0.5},     [SCN_OP_CONCAT] = {50, 0.5}},
};

/* Keys of one profile mapping (in the scenario or in its own file) over
 * the defaults already in *p. */
static int profile_map(ldr *L, ydoc *d, yaml_node_t *map, const char *section,
                       scn_profile *p)
{
    static const char *const cost_keys[] = {"fixed", "per_byte", NULL};
    scn_map c;
    int rc = -1;

    if (map_open(&c, L, d, map, map, section, NULL) ||
        map_check_keys(&c, op_names, NULL, NULL))
        goto out;
    for (int op = 0; op < SCN_OP_COUNT; op++) {
        char sub[SECTION_LEN];
        yaml_node_t *on, *pbn;
        scn_map oc;
        double sec;
        int r;

        if (get_map(&c, op_names[op], 0, &on))
            goto out;
        if (!on)
            continue;
        snprintf(sub, sizeof sub, "%s.%s", section, op_names[op]);
        r = map_open(&oc, L, d, on, on, sub, NULL) ||
            map_check_keys(&oc, cost_keys, NULL, NULL) ||
            get_time(&oc, "fixed", 0, p->op_fixed[op], 0, 0, SCN_MAX_OP_FIXED,
                     &p->op_fixed[op], NULL) ||
            get_qty(&oc, "per_byte", SIM_DIM_TIME, 0, 0, &b_op_per_byte,
                    &sec, &pbn);
        if (!r && pbn)
            p->op_per_byte[op] = sec * 1e9;
        map_close(&oc);
        if (r)
            goto out;
    }
    rc = 0;
out:
    map_close(&c);
    return rc;
}

/* 1 if `rel` stays inside the folder it is resolved against: not empty,
 * not absolute, no ".." component. */
static int path_inside(const char *rel)
{
    const char *c = rel;

    if (!rel[0] || rel[0] == '/')
        return 0;
    while (*c) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return 0;
        c += n;
        while (*c == '/')
            c++;
    }
    return 1;
}

/* `path` (under folder `dir`, NULL: the working directory) with every
 * symbolic link resolved (realpath), if the file it names is inside the
 * folder, itself resolved the same way: a link in the folder (the file,
 * or a folder on the way) may lead anywhere, e.g. profiles/x.yaml ->
 * /etc/passwd (kmsim extension).  0 with *real the resolved path (the
 * caller frees it; messages keep naming `path`), -1 with errno set (no
 * such file ...), -3 outside.  What is checked is what is then opened; a
 * link changed in between is not guarded against (the scenario's folder
 * is the user's own). */
static int resolve_inside(const char *path, const char *dir, char **real_out)
{
    char *real = realpath(path, NULL), *top;
    size_t n;
    int e, in;

    *real_out = NULL;
    if (!real)
        return -1;
    top = realpath(dir ? dir : ".", NULL);
    if (!top) {
        e = errno;
        free(real);
        errno = e;
        return -1;
    }
    n = strlen(top);
    in = strcmp(top, "/") == 0 ||         /* the folder itself: "." */
         (strncmp(real, top, n) == 0 && (real[n] == '/' || !real[n]));
    free(top);
    if (!in) {
        free(real);
        return -3;
    }
    *real_out = real;
    return 0;
}

/* profiles.<dev>: "file.yaml" -> path relative to the scenario's folder
 * (paper: none; interpretation of where a profile lives).  Only a relative
 * path without ".." is accepted, it must not lead out of the folder through
 * a symbolic link (resolve_inside), and only a regular file is read (a
 * FIFO, device or directory is refused without waiting); a file that is not a
 * YAML mapping is "not a profile: <path>: <reason>" at the value, and its
 * content is never quoted.  Errors inside a profile mapping (an unknown
 * key, a bad cost) point into the profile file as usual. */
static int profile_file(scn_map *pm, yaml_node_t *v, const char *section,
                        scn_profile *p)
{
    ldr *L = pm->L;
    const char *rel = stext(v);
    size_t n = strlen(rel);
    char *path, *real = NULL, q[128];
    unsigned char *buf;
    size_t len;
    const char *kind;
    ydoc pd;
    yaml_node_t *root;
    int rc, e;

    sim_units_quote(q, sizeof q, rel);   /* as written: the file's folder
                                            is documented */
    if (!path_inside(rel))
        return nerr(L, pm->d, v, "not a profile: %s: must be a path "
                    "relative to the scenario's folder, without '..'", q);
    if (L->dir) {
        path = xmalloc(L->dirlen + n + 1);
        memcpy(path, L->dir, L->dirlen);
        memcpy(path + L->dirlen, rel, n + 1);
    } else {
        path = xstrdup(rel);
    }
    rc = resolve_inside(path, L->dir, &real);
    if (rc == -1 && errno == ENOENT) {
        /* not in the scenario's folder: the data search path, so that a
         * shipped scenario copied alone still finds its shipped profile
         * (kmsim extension, issue 21); inside that folder, same rules */
        char *ddir, *alt = sim_util_find_data(rel, getenv("KMSIM_PATH"),
                                              sim_util_datadir(), &ddir);
        if (alt) {
            rc = resolve_inside(alt, ddir, &real);
            free(alt);
            free(ddir);
        }
        if (rc != 0)
            errno = ENOENT;
        if (rc == -3)
            rc = -1;
    }
    if (rc == -3) {
        nerr(L, pm->d, v, "not a profile: %s: a symbolic link to a file "
             "outside the scenario's folder", q);
        free(path);
        return -1;
    }
    if (rc == 0)
        rc = read_file(real, &buf, &len, &kind);
    e = errno;
    free(real);
    if (rc == -3) {
        nerr(L, pm->d, v, "not a profile: %s: %s", q, kind);
        free(path);
        return -1;
    }
    if (rc == -2) {
        nerr(L, pm->d, v, "profile '%s' is larger than 64 MiB", q);
        free(path);
        return -1;
    }
    if (rc) {
        nerr(L, pm->d, v, "cannot open profile '%s': %s", q, strerror(e));
        free(path);
        return -1;
    }
    cry_hash_update(&L->hash, "\0profile:", 9);
    cry_hash_update(&L->hash, section, strlen(section) + 1);
    cry_hash_update(&L->hash, buf, len);
    memset(&pd, 0, sizeof pd);
    rc = load_doc(L, &pd, path, -1, buf, len);
    if (rc) {
        /* the reader's message may quote the file: keep its place only */
        size_t pl = strlen(path), line = 0, col = 0;
        int got = L->err && L->errlen &&
                  strncmp(L->err, path, pl) == 0 &&
                  sscanf(L->err + pl, ":%zu:%zu:", &line, &col) == 2;
        L->failed = 0;           /* replace the reader's message */
        if (got)
            nerr(L, pm->d, v, "not a profile: %s: not valid YAML (line %zu, "
                 "column %zu)", q, line, col);
        else
            nerr(L, pm->d, v, "not a profile: %s: not valid YAML", q);
    } else {
        root = yaml_document_get_root_node(&pd.doc);
        if (!root || is_null(root)) {
            rc = nerr(L, pm->d, v, "not a profile: %s: empty", q);
        } else if (root->type != YAML_MAPPING_NODE) {
            rc = nerr(L, pm->d, v, "not a profile: %s: not a mapping of "
                      "operations (its top level is a %s)", q,
                      root->type == YAML_SCALAR_NODE ? "scalar"
                                                     : "sequence");
        } else {
            rc = profile_map(L, &pd, root, section, p);
        }
    }
    ydoc_free(&pd);
    free(buf);
    free(path);
    return rc;
}

static int parse_profiles(scn_map *top)
{
    scenario *s = top->L->s;
    yaml_node_t *n;
    scn_map c;
    int rc = -1;

    for (int dev = 0; dev < SCN_DEV_COUNT; dev++)
        for (int op = 0; op < SCN_OP_COUNT; op++) {
            s->profiles[dev].op_fixed[op] = default_costs[dev][op].fixed;
            s->profiles[dev].op_per_byte[op] = default_costs[dev][op].per_byte;
        }
    if (get_map(top, "profiles", 0, &n))
        return -1;
    if (sub_open(&c, top, n, "profiles") ||
        map_check_keys(&c, dev_names, NULL, NULL))
        goto out;
    for (int dev = 0; dev < SCN_DEV_COUNT; dev++) {
        char section[SECTION_LEN];
        yaml_node_t *v;

        if (lookup(&c, dev_names[dev], 0, &v) < 0)
            goto out;
        if (!v)
            continue;
        snprintf(section, sizeof section, "profiles.%s", dev_names[dev]);
        if (v->type == YAML_MAPPING_NODE) {
            if (profile_map(c.L, c.d, v, section, &s->profiles[dev]))
                goto out;
        } else if (v->type == YAML_SCALAR_NODE) {
            if (profile_file(&c, v, section, &s->profiles[dev]))
                goto out;
        } else {
            type_err(&c, v, "a mapping or a file name", dev_names[dev]);
            goto out;
        }
    }
    rc = 0;
out:
    map_close(&c);
    return rc;
}

/* ---- node ids ----------------------------------------------------------- */

/* Index of the node with user-visible id `id` (explicit topologies: the
 * ids of the file; generators: id = index), or an error at v. */
static int node_index(ldr *L, ydoc *d, yaml_node_t *v, uint32_t id,
                      uint32_t *out)
{
    if (L->s->topo.kind == SCN_TOPO_EXPLICIT) {
        int64_t idx = idmap_get(&L->ids, id);
        if (idx < 0)
            return nerr(L, d, v, "no node with id %u", id);
        *out = (uint32_t)idx;
    } else {
        if (id >= L->total_nodes)
            return nerr(L, d, v, "no node %u (node indices are 0 to %u)", id,
                        L->total_nodes - 1);
        *out = id;
    }
    return 0;
}

/* ---- attackers ---------------------------------------------------------- */

static void mark_of(const ydoc *d, const yaml_node_t *n, scn_mark *m);

static const char *const atk_names[] = {
    "eavesdropper", "node_capture", "global_key_leak", "seed_sniffing",
    "replay", "forgery", "tampering", "insider", "flooding", NULL};
static const char *const atk_keys[] = {"type", "links", "nodes", "region",
                                       "at", "count", "rate", "detection",
                                       "knowledge", NULL};
/* knowledge: separate (default: the attacker's rows show what it alone
 * learned and read) | coalition (kmsim extension: one base shared by every
 * coalition attacker of the run). */
static const char *const atk_knowledge[] = {"separate", "coalition", NULL};

/* nodes: [ids] -> node indices. */
static int attack_targets(scn_map *c, yaml_node_t *seq, scn_attacker *a)
{
    ldr *L = c->L;
    size_t n = seq_len(seq);

    if (n == 0 || n > SCN_MAX_NODES)
        return nerr(L, c->d, seq, "'nodes' must list 1 to %u node ids",
                    SCN_MAX_NODES);
    a->targets = xcalloc(n, sizeof *a->targets);
    a->n_targets = n;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = seq_item(c->d, seq, i);
        uint64_t mag;
        int neg;

        if (item->type != YAML_SCALAR_NODE ||
            parse_integer(stext(item), &neg, &mag) || neg || mag > UINT32_MAX)
            return type_err(c, item, "a node id", "nodes");
        if (node_index(L, c->d, item, (uint32_t)mag, &a->targets[i]))
            return -1;
    }
    return 0;
}

static int parse_attacker(scn_map *top, yaml_node_t *item, size_t i,
                          scn_attacker *a)
{
    static const char *const where_keys[] = {"links", "nodes", "region"};
    ldr *L = top->L;
    char section[SECTION_LEN];
    yaml_node_t *wv[3] = {NULL, NULL, NULL}, *cn, *atn;
    const char *given = NULL;
    scn_map c;
    int kind, rc = -1;

    snprintf(section, sizeof section, "attackers[%zu]", i);
    if (item->type != YAML_MAPPING_NODE)
        return type_err(top, item, "a mapping", section);
    if (sub_open(&c, top, item, section) ||
        map_check_keys(&c, atk_keys, NULL, NULL) ||
        get_enum(&c, "type", atk_names, 1, 0, &kind, NULL))
        goto out;
    a->kind = (scn_attack_kind)kind;
    a->where = SCN_WHERE_ALL;
    mark_of(c.d, item, &a->entry);
    for (int k = 0; k < 3; k++) {
        yaml_node_t *kn = NULL, *v = map_find(&c, where_keys[k], &kn);
        if (!v || is_null(v))
            continue;
        if (given) {
            nerr(L, c.d, kn, "at most one of 'links', 'nodes' and 'region' "
                 "may be given");
            goto out;
        }
        given = where_keys[k];
        wv[k] = v;
    }
    if (wv[0]) {
        if (wv[0]->type != YAML_SCALAR_NODE || strcmp(stext(wv[0]), "all")) {
            char b[160];
            nerr(L, c.d, wv[0], "invalid value %s for 'links' (use all)",
                 describe(wv[0], b, sizeof b));
            goto out;
        }
    } else if (wv[1]) {
        if (wv[1]->type == YAML_SCALAR_NODE &&
            strcmp(stext(wv[1]), "random") == 0) {
            a->where = SCN_WHERE_RANDOM;
        } else if (wv[1]->type == YAML_SEQUENCE_NODE) {
            a->where = SCN_WHERE_LIST;
            if (attack_targets(&c, wv[1], a))
                goto out;
        } else {
            char b[160];
            nerr(L, c.d, wv[1], "invalid value %s for 'nodes' (use random or "
                 "a list of node ids)", describe(wv[1], b, sizeof b));
            goto out;
        }
    } else if (wv[2]) {
        yaml_node_t *rn;
        if (get_qty_list(&c, "region", SIM_DIM_LENGTH, 4, 0, NULL, a->region,
                         &rn) < 0)
            goto out;
        if (!(a->region[0] < a->region[2] && a->region[1] < a->region[3])) {
            nerr(L, c.d, rn, "region needs x0 < x1 and y0 < y1");
            goto out;
        }
        a->where = SCN_WHERE_REGION;
    }
    if (get_dist(&c, "at", SIM_DIM_TIME, 0, "0s", &a->at, &atn) ||
        (atn && before_duration(&c, atn, "at", dist_min_ns(&a->at))) ||
        get_u32(&c, "count", 0, 1, 1, UINT32_MAX, &a->count, &cn) ||
        get_qty(&c, "rate", SIM_DIM_FREQ, 0, 0, &b_nonneg, &a->rate, NULL) ||
        get_time(&c, "detection", 0, 0, 0, 0, SCN_MAX_DURATION, &a->detection,
                 NULL) ||
        get_enum(&c, "knowledge", atk_knowledge, 0, 0, &a->coalition, NULL))
        goto out;
    if (a->where == SCN_WHERE_RANDOM && a->count > L->total_nodes) {
        nerr(L, c.d, cn ? cn : wv[1], "'count' (%u) exceeds the number of "
             "nodes (%u)", a->count, L->total_nodes);
        goto out;
    }
    rc = 0;
out:
    map_close(&c);
    return rc;
}

static int parse_attackers(scn_map *top)
{
    scenario *s = top->L->s;
    yaml_node_t *seq;
    size_t n;

    if (get_seq(top, "attackers", 0, &seq))
        return -1;
    if (!seq)
        return 0;
    n = seq_len(seq);
    if (n > SCN_MAX_LIST)
        return nerr(top->L, top->d, seq, "'attackers' must have at most %u "
                    "entries", SCN_MAX_LIST);
    s->attackers = xcalloc(n ? n : 1, sizeof *s->attackers);
    s->n_attackers = n;
    for (size_t i = 0; i < n; i++)
        if (parse_attacker(top, seq_item(top->d, seq, i), i,
                           &s->attackers[i]))
            return -1;
    return 0;
}

/* ---- moves -------------------------------------------------------------- */

static const char *const move_keys[] = {"node", "at", "to", NULL};

static void mark_of(const ydoc *d, const yaml_node_t *n, scn_mark *m)
{
    m->line = (unsigned)n->start_mark.line + 1;
    m->col = (unsigned)n->start_mark.column + 1;
    m->ovr = origin_of(d, n);
}

/* moves[i]: {node: <source id>, at: <time>, to: <SO id>}.  Roles and
 * reachability need the built topology: the world checks them. */
static int parse_move(scn_map *top, yaml_node_t *item, size_t i, scn_move *mv)
{
    ldr *L = top->L;
    char section[SECTION_LEN];
    yaml_node_t *nn, *an, *tn;
    uint32_t id;
    scn_map c;
    int rc = -1;

    snprintf(section, sizeof section, "moves[%zu]", i);
    if (item->type != YAML_MAPPING_NODE)
        return type_err(top, item, "a mapping", section);
    if (sub_open(&c, top, item, section) ||
        map_check_keys(&c, move_keys, NULL, NULL) ||
        get_u32(&c, "node", 1, 0, 0, UINT32_MAX, &id, &nn) ||
        node_index(L, c.d, nn, id, &mv->node) ||
        get_time(&c, "at", 1, 0, 0, 0, SCN_MAX_DURATION, &mv->at, &an))
        goto out;
    if (mv->at >= L->s->duration) {
        char at[64], du[64];
        sim_units_format((double)mv->at / 1e9, SIM_DIM_TIME, at, sizeof at);
        sim_units_format((double)L->s->duration / 1e9, SIM_DIM_TIME, du,
                         sizeof du);
        nerr(L, c.d, an, "'at' (%s) must be less than 'duration' (%s)", at,
             du);
        goto out;
    }
    if (get_u32(&c, "to", 1, 0, 0, UINT32_MAX, &id, &tn) ||
        node_index(L, c.d, tn, id, &mv->to))
        goto out;
    mv->ord = (uint32_t)i;
    mark_of(c.d, item, &mv->entry);
    mark_of(c.d, nn, &mv->node_mark);
    mark_of(c.d, tn, &mv->to_mark);
    rc = 0;
out:
    map_close(&c);
    return rc;
}

static int move_cmp(const void *a, const void *b)
{
    const scn_move *x = a, *y = b;

    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static int parse_moves(scn_map *top)
{
    scenario *s = top->L->s;
    yaml_node_t *seq;
    size_t n;

    if (get_seq(top, "moves", 0, &seq))
        return -1;
    if (!seq)
        return 0;
    n = seq_len(seq);
    if (n > SCN_MAX_MOVES)
        return nerr(top->L, top->d, seq, "'moves' must have at most %u "
                    "entries", SCN_MAX_MOVES);
    s->moves = xcalloc(n ? n : 1, sizeof *s->moves);
    s->n_moves = n;
    for (size_t i = 0; i < n; i++)
        if (parse_move(top, seq_item(top->d, seq, i), i, &s->moves[i]))
            return -1;
    /* The order they run in: by time, ties in file order (ord makes the
     * key unique, so qsort's instability cannot show). */
    qsort(s->moves, n, sizeof *s->moves, move_cmp);
    return 0;
}

/* ---- protocol ----------------------------------------------------------- */

/* Parses the options of `ops` on the open cursor pm (which must be
 * closed by the caller).  Returns 0 with *opts (the caller's, free with
 * scn_proto_free_opts), or -1 with the error recorded and *opts NULL. */
static int proto_opts(scn_map *pm, const scn_proto_ops *ops, void **opts)
{
    int rc = scn_proto_parse_opts(ops, pm, opts);

    if (rc == 0)
        rc = scn_map_done(pm);
    if (rc == 0)
        return 0;
    if (!pm->L->failed)
        nerr(pm->L, pm->d, pm->at, "invalid options for protocol '%s'",
             ops->name);
    scn_proto_free_opts(ops, *opts);
    *opts = NULL;
    return -1;
}

/* `protocols:`: validates every block (the options of one protocol other
 * than protocol.name) and appends its protocol to s->protos.  When L->as
 * has a block, *as_found is 1 and its options go to *as_opts (the
 * caller's; NULL for a protocol without options); all others are freed.
 * Returns 0 or -1 (recorded). */
static int parse_protocol_blocks(scn_map *top, void **as_opts, int *as_found)
{
    ldr *L = top->L;
    scenario *s = L->s;
    yaml_node_t *bn;
    yaml_node_pair_t *pairs;
    scn_map c;
    char q[128];
    int rc = -1;

    *as_opts = NULL;
    *as_found = 0;
    if (get_map(top, "protocols", 0, &bn))
        return -1;
    if (sub_open(&c, top, bn, "protocols"))  /* string keys, no repeats */
        goto out;
    pairs = bn ? bn->data.mapping.pairs.start : NULL;
    s->protos = xreallocarray(s->protos, 1 + c.n, sizeof *s->protos);
    for (size_t i = 0; i < c.n; i++) {
        yaml_node_t *k = node_at(c.d, pairs[i].key);
        yaml_node_t *v = node_at(c.d, pairs[i].value);
        const scn_proto_ops *ops = scn_proto_find(stext(k));
        char section[SECTION_LEN];
        void *opts = NULL;
        scn_map pm;
        int bad;

        sim_units_quote(q, sizeof q, stext(k));
        if (!ops) {
            nerr(L, c.d, k, "unknown protocol '%s' in protocols (known: %s)",
                 q, scn_proto_names());
            goto out;
        }
        if (ops == s->protos[0]) {
            nerr(L, c.d, k, "options for '%s' are given under protocol:", q);
            goto out;
        }
        if (is_null(v)) {
            v = NULL;          /* "eg:" alone: every option its default */
        } else if (v->type != YAML_MAPPING_NODE) {
            type_err(&c, v, "a mapping of protocol options", stext(k));
            goto out;
        }
        snprintf(section, sizeof section, "protocols.%s", ops->name);
        bad = map_open(&pm, L, c.d, v, v ? v : k, section, NULL) ||
              proto_opts(&pm, ops, &opts);
        map_close(&pm);
        if (bad)
            goto out;
        if (ops == L->as) {
            *as_opts = opts;
            *as_found = 1;
        } else {
            scn_proto_free_opts(ops, opts);
        }
        s->protos[s->n_protos++] = ops;
    }
    rc = 0;
out:
    map_close(&c);
    return rc;
}

/* `protocol:` (a name, or a mapping of `name` and options) and
 * `protocols:`; then the protocol to run (L->as) takes the place of
 * protocol.name when it is another one. */
static int parse_protocol(scn_map *top)
{
    ldr *L = top->L;
    scenario *s = L->s;
    yaml_node_t *v, *namen = NULL, *mapn = NULL, *bn;
    const char *name = "none";
    void *opts = NULL;
    scn_map pm;
    char q[128];
    int rc = -1, found;

    if (lookup(top, "protocol", 0, &v) < 0)
        return -1;
    if (v && v->type == YAML_SCALAR_NODE) {
        name = stext(v);
        namen = v;
    } else if (v && v->type == YAML_MAPPING_NODE) {
        mapn = v;
    } else if (v) {
        return type_err(top, v, "a mapping or a protocol name", "protocol");
    }
    if (map_open(&pm, L, top->d, mapn, v ? v : top->at, "protocol", "name"))
        goto out;
    if (mapn && get_string(&pm, "name", 1, &name, &namen))
        goto out;
    s->proto = scn_proto_find(name);
    if (!s->proto) {
        sim_units_quote(q, sizeof q, name);
        nerr(L, top->d, namen ? namen : pm.at,
             "unknown protocol '%s' (known: %s)", q, scn_proto_names());
        goto out;
    }
    if (proto_opts(&pm, s->proto, &s->proto_opts))
        goto out;
    s->protos = xmalloc(sizeof *s->protos);
    s->protos[0] = s->proto;
    s->n_protos = 1;
    if (parse_protocol_blocks(top, &opts, &found))
        goto out;
    if (L->as && L->as != s->proto) {
        if (!found) {
            /* no block: the defaults, as from an empty one; a missing
             * required option points at protocols: (or protocol:) */
            scn_map dm;
            char section[SECTION_LEN];
            int bad;

            bn = map_find(top, "protocols", NULL);
            snprintf(section, sizeof section, "protocols.%s", L->as->name);
            bad = map_open(&dm, L, top->d, NULL,
                           bn ? bn : v ? v : top->at, section, NULL) ||
                  proto_opts(&dm, L->as, &opts);
            map_close(&dm);
            if (bad)
                goto out;
        }
        scn_proto_free_opts(s->proto, s->proto_opts);
        s->proto = L->as;
        s->proto_opts = opts;
        opts = NULL;
    }
    rc = 0;
out:
    scn_proto_free_opts(L->as, opts);
    map_close(&pm);
    return rc;
}

/* ---- sweep -------------------------------------------------------------- */

/* Appends the YAML text of v, as an override value reads it back: block
 * collections become flow ones; a scalar that would not read back the
 * same plain (quoted in the file, or holding flow indicators inside a
 * collection) is double-quoted. */
static void flow_text(ydoc *d, yaml_node_t *v, int nested, xbuf *b)
{
    if (v->type == YAML_SEQUENCE_NODE || v->type == YAML_MAPPING_NODE) {
        int seq = v->type == YAML_SEQUENCE_NODE;
        size_t n = seq ? seq_len(v)
                       : (size_t)(v->data.mapping.pairs.top -
                                  v->data.mapping.pairs.start);
        xbuf_str(b, seq ? "[" : "{");
        for (size_t i = 0; i < n; i++) {
            if (i)
                xbuf_str(b, ", ");
            if (seq) {
                flow_text(d, seq_item(d, v, i), 1, b);
            } else {
                yaml_node_pair_t *pr = v->data.mapping.pairs.start + i;
                flow_text(d, node_at(d, pr->key), 1, b);
                xbuf_str(b, ": ");
                flow_text(d, node_at(d, pr->value), 1, b);
            }
        }
        xbuf_str(b, seq ? "]" : "}");
        return;
    }
    {
        const char *t = stext(v);
        int plain = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                    (!nested || !strpbrk(t, ",[]{}#\"'"));
        if (plain) {
            xbuf_str(b, t);
            return;
        }
        xbuf_str(b, "\"");
        for (; *t; t++) {
            char e[8];
            unsigned char c = (unsigned char)*t;
            if (c == '"' || c == '\\') {
                e[0] = '\\';
                e[1] = (char)c;
                xbuf_put(b, e, 2);
            } else if (c < 0x20 || c == 0x7f) {
                snprintf(e, sizeof e, "\\x%02x", c);
                xbuf_str(b, e);
            } else {
                xbuf_put(b, t, 1);
            }
        }
        xbuf_str(b, "\"");
    }
}

static void axis_add(scn_axis *ax, char *value, const scn_mark *m)
{
    ax->values = xreallocarray(ax->values, ax->n + 1, sizeof *ax->values);
    ax->marks = xreallocarray(ax->marks, ax->n + 1, sizeof *ax->marks);
    ax->values[ax->n] = value;
    ax->marks[ax->n] = *m;
    ax->n++;
}

/* A range bound or step: a number and its unit suffix ("10", "64B",
 * "2.5s").  Returns 0, or -1 when t is not a finite number. */
static int range_num(const char *t, double *x, const char **unit)
{
    char *end;

    errno = 0;
    *x = strtod(t, &end);
    if (end == t || errno == ERANGE || !isfinite(*x))
        return -1;
    while (*end == ' ')
        end++;
    *unit = end;
    return 0;
}

static const char *const range_keys[] = {"from", "to", "step", "points",
                                         "scale", NULL};
static const char *const scale_names[] = {"linear", "log", NULL};

/* A range mapping {from, to, step | points, scale} -> values of ax. */
static int axis_range(ldr *L, ydoc *d, yaml_node_t *v, const char *path,
                      scn_axis *ax)
{
    yaml_node_t *fn, *tn, *sn, *pn;
    const char *ft, *tt, *st = NULL, *fu, *tu, *su = "";
    double from, to, step = 0;
    int64_t points = 0;
    int scale = 0, rc = -1;
    char section[SECTION_LEN];
    scn_map m;
    scn_mark mk;

    snprintf(section, sizeof section, "sweep.%s", path);
    mark_of(d, v, &mk);
    if (map_open(&m, L, d, v, v, section, NULL) ||
        map_check_keys(&m, range_keys, NULL, NULL) ||
        get_string(&m, "from", 1, &ft, &fn) ||
        get_string(&m, "to", 1, &tt, &tn) ||
        get_string(&m, "step", 0, &st, &sn) ||
        get_int(&m, "points", 0, 0, 1, SCN_MAX_AXIS_VALUES, &points, &pn) ||
        get_enum(&m, "scale", scale_names, 0, 0, &scale, NULL))
        goto out;
    if ((st != NULL) == (points != 0)) {
        nerr(L, d, v, "a range in sweep needs exactly one of 'step' and "
             "'points'");
        goto out;
    }
    if (range_num(ft, &from, &fu)) {
        nerr(L, d, fn, "'from' must be a number with an optional unit");
        goto out;
    }
    if (range_num(tt, &to, &tu)) {
        nerr(L, d, tn, "'to' must be a number with an optional unit");
        goto out;
    }
    if (strcmp(fu, tu) != 0) {
        nerr(L, d, tn, "'to' must have the unit of 'from' ('%s')", fu);
        goto out;
    }
    if (to < from) {
        nerr(L, d, tn, "'to' must not be less than 'from'");
        goto out;
    }
    if (scale == 1 && !(from > 0)) {
        nerr(L, d, fn, "a log range needs 'from' > 0");
        goto out;
    }
    if (st) {
        if (range_num(st, &step, &su) ||
            strcmp(su, scale == 1 ? "" : fu) != 0) {
            nerr(L, d, sn, scale == 1 ? "'step' of a log range is a factor "
                 "(a number > 1, no unit)" : "'step' must be a number with "
                 "the unit of 'from'");
            goto out;
        }
        if (scale == 1 ? !(step > 1) : !(step > 0)) {
            nerr(L, d, sn, "'step' must be %s", scale == 1 ? "> 1" : "> 0");
            goto out;
        }
        /* the count first, as a double: a tiny step must not make
         * 10^12 values, nor a count past int64 (undefined to convert) */
        double count = 1 + floor(scale == 1
                                 ? log(to / from) / log(step) + 1e-9
                                 : (to - from) / step + 1e-9);
        if (!(count <= (double)SCN_MAX_AXIS_VALUES)) {
            nerr(L, d, sn, "the range has more than %u values",
                 SCN_MAX_AXIS_VALUES);
            goto out;
        }
        points = (int64_t)count;
    } else if (points == 1 && to != from) {
        nerr(L, d, pn, "one point needs 'from' equal to 'to'");
        goto out;
    }
    for (int64_t i = 0; i < points; i++) {
        double x, f = points > 1 ? (double)i / (double)(points - 1) : 0;
        char buf[64];
        if (st)
            x = scale == 1 ? from * pow(step, (double)i)
                           : from + (double)i * step;
        else
            x = scale == 1 ? from * pow(to / from, f)
                           : from + (to - from) * f;
        snprintf(buf, sizeof buf, "%.12g%s", x, fu);
        axis_add(ax, xstrdup(buf), &mk);
    }
    rc = 0;
out:
    map_close(&m);
    return rc;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A value that appears twice in ax (two points would be one), or NULL.
 * O(n log n). */
static const char *axis_dup(const scn_axis *ax)
{
    const char **v, *dup = NULL;

    if (ax->n < 2)
        return NULL;
    v = xmalloc(ax->n * sizeof *v);
    memcpy(v, ax->values, ax->n * sizeof *v);
    qsort(v, ax->n, sizeof *v, cmp_str_ptr);
    for (size_t i = 1; i < ax->n && !dup; i++)
        if (strcmp(v[i - 1], v[i]) == 0)
            dup = v[i];
    free(v);
    return dup;
}

/* 1 if v is one bracketed YAML collection: the bracket it opens with
 * closes at its last non-blank character ("[1, 2]", not "[1],[2]"). */
static int one_collection(const char *v)
{
    int depth = 0;
    char quote = 0;
    const char *c;

    for (c = v; *c; c++) {
        if (quote) {
            if (*c == quote)
                quote = 0;
            else if (*c == '\\' && quote == '"' && c[1])
                c++;
        } else if (*c == '"' || *c == '\'') {
            quote = *c;
        } else if (*c == '[' || *c == '{') {
            depth++;
        } else if ((*c == ']' || *c == '}') && --depth == 0) {
            break;
        }
    }
    if (!*c)
        return 0;
    for (c++; *c == ' ' || *c == '\t'; c++)
        ;
    return *c == '\0';
}

/* The values of one axis from node v: a list, a range, or one value. */
static int axis_values(ldr *L, ydoc *d, yaml_node_t *v, const char *path,
                       scn_axis *ax)
{
    ax->path = xstrdup(path);
    ax->is_protocol = strcmp(path, "protocol.name") == 0;
    if (v->type == YAML_MAPPING_NODE && !ax->is_protocol) {
        if (axis_range(L, d, v, path, ax))
            return -1;
    } else {
        size_t n = v->type == YAML_SEQUENCE_NODE ? seq_len(v) : 1;
        if (n == 0)
            return nerr(L, d, v, "sweep '%s': expected at least one value",
                        path);
        if (n > SCN_MAX_AXIS_VALUES)
            return nerr(L, d, v, "sweep '%s': more than %u values", path,
                        SCN_MAX_AXIS_VALUES);
        for (size_t i = 0; i < n; i++) {
            yaml_node_t *it = v->type == YAML_SEQUENCE_NODE
                                  ? seq_item(d, v, i) : v;
            xbuf b = {NULL, 0, 0};
            scn_mark mk;
            flow_text(d, it, 0, &b);
            mark_of(d, it, &mk);
            axis_add(ax, b.p ? b.p : xstrdup(""), &mk);
        }
    }
    for (size_t i = 0; ax->is_protocol && i < ax->n; i++)
        if (!scn_proto_find(ax->values[i])) {
            char q[128];
            yaml_node_t *it = v->type == YAML_SEQUENCE_NODE
                                  ? seq_item(d, v, i) : v;
            sim_units_quote(q, sizeof q, ax->values[i]);
            return nerr(L, d, it, "unknown protocol '%s' (known: %s)", q,
                        scn_proto_names());
        }
    {
        const char *dup = axis_dup(ax);
        if (dup) {
            char q[128];
            sim_units_quote(q, sizeof q, dup);
            return nerr(L, d, v, "sweep '%s': value '%s' appears twice",
                        path, q);
        }
    }
    return 0;
}

void scn_axis_free(scn_axis *ax)
{
    if (!ax)
        return;
    for (size_t i = 0; i < ax->n; i++)
        free(ax->values[i]);
    free(ax->values);
    free(ax->marks);
    free(ax->path);
    memset(ax, 0, sizeof *ax);
}

void scn_axis_copy(scn_axis *dst, const scn_axis *src)
{
    memset(dst, 0, sizeof *dst);
    dst->path = xstrdup(src->path);
    dst->is_protocol = src->is_protocol;
    dst->n = src->n;
    dst->values = xcalloc(src->n ? src->n : 1, sizeof *dst->values);
    dst->marks = xcalloc(src->n ? src->n : 1, sizeof *dst->marks);
    for (size_t i = 0; i < src->n; i++) {
        dst->values[i] = xstrdup(src->values[i]);
        dst->marks[i] = src->marks[i];
    }
}

/* A path as --set accepts it: dot-separated, no empty segment. */
static int path_ok(const char *p, size_t n)
{
    if (n == 0 || p[0] == '.' || p[n - 1] == '.')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (p[i] == '.' && p[i - 1] == '.')
            return 0;
    return 1;
}

static int parse_sweep(scn_map *top)
{
    ldr *L = top->L;
    scenario *s = L->s;
    yaml_node_t *sw;
    yaml_node_pair_t *pairs;
    scn_map c;
    int rc = -1;

    if (get_map(top, "sweep", 0, &sw))
        return -1;
    if (!sw)
        return 0;
    if (map_open(&c, L, top->d, sw, sw, "sweep", NULL))
        goto out;
    if (c.n > SCN_MAX_AXES) {
        nerr(L, top->d, sw, "'sweep' must have at most %u paths",
             SCN_MAX_AXES);
        goto out;
    }
    pairs = sw->data.mapping.pairs.start;
    s->axes = xcalloc(c.n ? c.n : 1, sizeof *s->axes);
    for (size_t i = 0; i < c.n; i++) {
        yaml_node_t *k = node_at(top->d, pairs[i].key);
        yaml_node_t *v = node_at(top->d, pairs[i].value);
        const char *path = stext(k);

        if (!path_ok(path, strlen(path))) {
            char q[128];
            sim_units_quote(q, sizeof q, path);
            nerr(L, top->d, k, "sweep: '%s' is not a path like "
                 "topology.sources", q);
            goto out;
        }
        s->n_axes = i + 1;
        if (axis_values(L, top->d, v, path, &s->axes[i]))
            goto out;
    }
    rc = 0;
out:
    map_close(&c);
    return rc;
}

/* Splits a --vary list at commas outside (), [], {} and quotes. */
static int vary_split(const char *v, scn_axis *ax)
{
    const scn_mark cli = {0, 0, -2};
    int depth = 0;
    char quote = 0;
    const char *start = v;

    for (const char *c = v;; c++) {
        if (quote) {
            if (*c == '\0')
                return -1;
            if (*c == quote)
                quote = 0;
            else if (*c == '\\' && quote == '"' && c[1])
                c++;
            continue;
        }
        if (*c == '"' || *c == '\'')
            quote = *c;
        else if (*c == '(' || *c == '[' || *c == '{')
            depth++;
        else if ((*c == ')' || *c == ']' || *c == '}') && --depth < 0)
            return -1;
        else if ((*c == ',' && depth == 0) || *c == '\0') {
            const char *a = start, *b = c;
            char *val;
            if (*c == '\0' && depth)
                return -1;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if (a == b)
                return -1;
            val = xmalloc((size_t)(b - a) + 1);
            memcpy(val, a, (size_t)(b - a));
            val[b - a] = '\0';
            axis_add(ax, val, &cli);
            if (*c == '\0')
                return 0;
            start = c + 1;
        }
    }
}

static int axis_parse(const char *arg, scn_axis *ax, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    const char *labels[1];
    char q[128], label[160];
    ldr L;
    ydoc d;
    int rc = -1;

    memset(ax, 0, sizeof *ax);
    memset(&L, 0, sizeof L);
    memset(&d, 0, sizeof d);
    sim_units_quote(q, sizeof q, arg);
    snprintf(label, sizeof label, "--vary %s", q);
    labels[0] = label;
    L.err = err;
    L.errlen = errlen;
    L.args = &arg;
    L.labels = labels;
    L.vary = 1;
    if (err && errlen)
        err[0] = '\0';
    if (!eq || !path_ok(arg, (size_t)(eq - arg))) {
        report(&L, "--vary", 0, NULL, "expected path=v1,v2,... (or "
               "path=[...] or path={from: .., to: .., step: ..})");
        return -1;
    }
    {
        char *path = xmalloc((size_t)(eq - arg) + 1);
        const char *v = eq + 1;
        memcpy(path, arg, (size_t)(eq - arg));
        path[eq - arg] = '\0';
        while (*v == ' ')
            v++;
        if ((*v == '[' || *v == '{') && one_collection(v)) {
            yaml_node_t *root;
            if (load_doc(&L, &d, "--vary", 0, (const unsigned char *)v,
                         strlen(v)) == 0 &&
                (root = yaml_document_get_root_node(&d.doc)) != NULL)
                rc = axis_values(&L, &d, root, path, ax);
            else if (!L.failed)
                report(&L, "--vary", 0, NULL, "no value");
            for (size_t i = 0; rc == 0 && i < ax->n; i++)
                ax->marks[i] = (scn_mark){0, 0, -2};
        } else {
            ax->path = xstrdup(path);
            ax->is_protocol = strcmp(path, "protocol.name") == 0;
            if (vary_split(v, ax))
                report(&L, "--vary", 0, NULL, "empty value, or unbalanced "
                       "brackets or quotes");
            else
                rc = 0;
            for (size_t i = 0; rc == 0 && ax->is_protocol && i < ax->n; i++)
                if (!scn_proto_find(ax->values[i])) {
                    sim_units_quote(q, sizeof q, ax->values[i]);
                    report(&L, "--vary", 0, NULL, "unknown protocol '%s' "
                           "(known: %s)", q, scn_proto_names());
                    rc = -1;
                }
            if (rc == 0 && ax->n > SCN_MAX_AXIS_VALUES) {
                report(&L, "--vary", 0, NULL, "more than %u values",
                       SCN_MAX_AXIS_VALUES);
                rc = -1;
            }
            if (rc == 0 && axis_dup(ax)) {
                sim_units_quote(q, sizeof q, axis_dup(ax));
                report(&L, "--vary", 0, NULL, "sweep '%s': value '%s' "
                       "appears twice", ax->path, q);
                rc = -1;
            }
        }
        free(path);
    }
    ydoc_free(&d);
    if (rc)
        scn_axis_free(ax);
    return rc;
}

/* ---- the top level ------------------------------------------------------ */

static const char *const top_keys[] = {
    "name", "seed", "duration", "warmup", "replications", "max_events",
    "protocol", "protocols", "topology", "traffic", "smart_object",
    "subscribers", "profiles", "attackers", "moves", "sweep", "defences",
    "aead", NULL};

static const char *const defences_names[] = {"as_published", "hardened",
                                             NULL};
/* `aead:`, in cry_aead order. */
static const char *const aead_names[] = {"chacha20poly1305", "aes256gcm",
                                         NULL};

static int name_valid(const char *s)
{
    size_t n = strlen(s);
    /* The name becomes a directory (results/<name>): never "." or "..",
     * nor hidden. */
    if (n < 1 || n > 128 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int validate(ldr *L, ydoc *d, yaml_node_t *root)
{
    scenario *s = L->s;
    yaml_node_t *nn, *wn;
    const char *name;
    char b[160];
    scn_map m;
    int64_t reps;
    int rc = -1;

    if (root->type != YAML_MAPPING_NODE)
        return nerr(L, d, root, "expected a mapping at the top level, got %s",
                    describe(root, b, sizeof b));
    if (map_open(&m, L, d, root, root, "scenario", NULL) ||
        map_check_keys(&m, top_keys, NULL, NULL) ||
        get_string(&m, "name", 1, &name, &nn))
        goto out;
    if (!name_valid(name)) {
        sim_units_quote(b, sizeof b, name);
        nerr(L, d, nn, "invalid name '%s' (1 to 128 characters of A-Z a-z "
             "0-9 _ . -, not starting with '.')", b);
        goto out;
    }
    s->name = xstrdup(name);
    if (get_u64(&m, "seed", 1, &s->seed) ||
        get_time(&m, "duration", 1, 0, 0, 1, SCN_MAX_DURATION, &s->duration,
                 NULL) ||
        get_time(&m, "warmup", 0, 0, 0, 0, SCN_MAX_DURATION, &s->warmup, &wn))
        goto out;
    if (s->warmup >= s->duration) {
        char w[64], du[64];
        sim_units_format((double)s->warmup / 1e9, SIM_DIM_TIME, w, sizeof w);
        sim_units_format((double)s->duration / 1e9, SIM_DIM_TIME, du,
                         sizeof du);
        nerr(L, d, wn, "'warmup' (%s) must be less than 'duration' (%s)", w,
             du);
        goto out;
    }
    if (get_int(&m, "replications", 0, 1, 1, SCN_MAX_REPLICATIONS, &reps,
                NULL))
        goto out;
    /* An events limit is a guard of one invocation, not part of the
     * experiment: a replication that reaches it is stopped with nothing
     * written (issue 20), so a scenario may not set it. */
    if (map_find(&m, "max_events", NULL)) {
        scn_map_error(&m, "max_events", "'max_events' cannot be set in a "
                      "scenario: it is a guard of one run (kmsim run "
                      "--max-events N)");
        goto out;
    }
    s->replications = (uint32_t)reps;
    /* Before the protocol blocks: it sets their mechanisms' defaults. */
    if (get_enum(&m, "defences", defences_names, 0, SCN_DEF_AS_PUBLISHED,
                 &s->defences, NULL))
        goto out;
    /* The host cipher (kmsim extension, issue 22): every key store of the
     * run seals and opens with it.  A cipher the CPU cannot run is an
     * input error at the value, never a silent fallback. */
    if (get_enum(&m, "aead", aead_names, 0, CRY_AEAD_CHACHA20POLY1305,
                 &s->aead, NULL))
        goto out;
    if (!cry_aead_available((cry_aead)s->aead)) {
        scn_map_error(&m, "aead", "'aead: %s' is not available on this "
                      "host (the CPU lacks AES-NI/PCLMUL, libsodium's "
                      "crypto_aead_aes256gcm_is_available() is 0); use "
                      "'aead: chacha20poly1305'",
                      cry_aead_name((cry_aead)s->aead));
        goto out;
    }
    /* Before the protocol blocks: their re-key rounds are checked
     * against it (kmsim extension, issue 22). */
    if (pre_rekey_spread(&m))
        goto out;
    if (parse_protocol(&m) || parse_topology(&m) || parse_traffic(&m) ||
        parse_smart_object(&m) || parse_subscribers(&m) ||
        parse_profiles(&m) || parse_attackers(&m) || parse_moves(&m) ||
        parse_sweep(&m))
        goto out;
    rc = 0;
out:
    map_close(&m);
    return L->failed ? -1 : rc;
}

/* ======================================================================
 * Entry points
 * ====================================================================== */

static scenario *load_scn(const char *name, const unsigned char *buf,
                          size_t len, const char *const *overrides,
                          const char *const *labels, size_t n,
                          const char *dir, const char *protocol, char *err,
                          size_t errlen)
{
    ldr L;
    ydoc d;
    scenario *s = xcalloc(1, sizeof *s);
    yaml_node_t *root;

    memset(&L, 0, sizeof L);
    memset(&d, 0, sizeof d);
    L.err = err;
    L.errlen = errlen;
    L.args = overrides;
    L.labels = labels;
    L.s = s;
    if (dir) {
        L.dir = dir;
        L.dirlen = strlen(dir);
    }
    if (err && errlen)
        err[0] = '\0';
    s->file = xstrdup(name);

    if (cry_init() != 0) {
        report(&L, name, -1, NULL, "cannot initialise libsodium");
        goto fail;
    }
    if (protocol) {
        L.as = scn_proto_find(protocol);
        if (!L.as) {
            char q[128];
            sim_units_quote(q, sizeof q, protocol);
            report(&L, name, -1, NULL, "unknown protocol '%s' (known: %s)",
                   q, scn_proto_names());
            goto fail;
        }
    }
    if (n > SCN_MAX_OVERRIDES) {
        report(&L, "--set", -1, NULL, "too many overrides (%zu, limit %u)",
               n, SCN_MAX_OVERRIDES);
        goto fail;
    }
    if (n) {
        s->overrides = xcalloc(n, sizeof *s->overrides);
        for (size_t k = 0; k < n; k++) {
            if (split_override(overrides[k], &s->overrides[k].path,
                               &s->overrides[k].value)) {
                report(&L, name, (int)k, NULL, "expected path=value");
                goto fail;
            }
            if (labels && labels[k])
                s->overrides[k].label = xstrdup(labels[k]);
            {
                double si;
                s->overrides[k].si_col =
                    sim_units_si(s->overrides[k].value, &si) == 0;
            }
            s->n_overrides = k + 1;
        }
    }
    if (len > SCN_MAX_FILE) {
        report(&L, name, -1, NULL, "file too large (limit 64 MiB)");
        goto fail;
    }

    /* Hash: the file, each override (a 0 byte, path, '=', value), then
     * each profile file read while validating ("\0profile:", its section,
     * a 0 byte, its bytes), then the protocol run when it is not
     * protocol.name ("\0protocol:", its name, a 0 byte). */
    cry_hash_init(&L.hash);
    cry_hash_update(&L.hash, buf, len);
    for (size_t k = 0; k < n; k++) {
        cry_hash_update(&L.hash, "", 1);
        cry_hash_update(&L.hash, s->overrides[k].path,
                        strlen(s->overrides[k].path));
        cry_hash_update(&L.hash, "=", 1);
        cry_hash_update(&L.hash, s->overrides[k].value,
                        strlen(s->overrides[k].value));
    }

    if (load_doc(&L, &d, name, -1, buf, len))
        goto fail;
    root = yaml_document_get_root_node(&d.doc);
    if (!root || is_null(root)) {
        yaml_mark_t m0 = {0, 0, 0};
        report(&L, name, -1, &m0, "empty scenario");
        goto fail;
    }
    for (size_t k = 0; k < n; k++)
        if (apply_override(&L, &d, (int)k, s->overrides[k].path,
                           s->overrides[k].value))
            goto fail;
    /* adding nodes may have moved the node array */
    root = yaml_document_get_root_node(&d.doc);
    if (validate(&L, &d, root))
        goto fail;
    if (s->proto != s->protos[0]) {
        cry_hash_update(&L.hash, "\0protocol:", 10);
        cry_hash_update(&L.hash, s->proto->name, strlen(s->proto->name) + 1);
    }
    cry_hash_final(&L.hash, s->hash);
    ydoc_free(&d);
    idmap_free(&L.ids);
    return s;
fail:
    ydoc_free(&d);
    idmap_free(&L.ids);
    scn_free(s);
    return NULL;
}

/* An error message is one line whatever the input quoted in it holds (a
 * --set or --vary argument, a double-quoted YAML scalar, a file name):
 * control characters, the terminal-unsafe characters of sim_units_unsafe
 * (C1, bidi, zero-width, line/paragraph separators ...) and bytes that are
 * not UTF-8 become '?'. */
static void one_line(char *err, size_t errlen)
{
    char *r, *w;

    if (!err || !errlen)
        return;
    for (r = w = err; *r; w++) {
        size_t n = sim_units_unsafe(r, NULL);

        if (n > 0) {             /* C1, bidi, zero-width: one '?' */
            *w = '?';
            r += n;
        } else if ((unsigned char)*r >= 0x80) {
            n = sim_units_utf8(r, NULL);
            if (n == 0) {        /* a byte that is not UTF-8 */
                *w = '?';
                r++;
            } else {             /* a printable character, whole */
                memmove(w, r, n);
                w += n - 1;
                r += n;
            }
        } else if ((unsigned char)*r < 0x20 || *r == 0x7f) {
            *w = '?';
            r++;
        } else {
            *w = *r++;
        }
    }
    *w = '\0';
}

int scn_axis_parse(const char *arg, scn_axis *ax, char *err, size_t errlen)
{
    int rc = axis_parse(arg, ax, err, errlen);

    if (rc != 0)
        one_line(err, errlen);
    return rc;
}

static scenario *load(const char *name, const unsigned char *buf,
                      size_t len, const char *const *overrides,
                      const char *const *labels, size_t n, const char *dir,
                      const char *protocol, char *err, size_t errlen)
{
    scenario *s = load_scn(name, buf, len, overrides, labels, n, dir,
                           protocol, err, errlen);

    if (!s)
        one_line(err, errlen);
    return s;
}

scenario *scn_load_as(const char *path, const char *const *overrides,
                      size_t n, const char *protocol, char *err,
                      size_t errlen)
{
    scn_load_args a = {overrides, NULL, n, protocol};
    return scn_load_args_file(path, &a, err, errlen);
}

scenario *scn_load_args_file(const char *path, const scn_load_args *a,
                             char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    scenario *s;
    const char *kind;
    int rc = read_file(path, &buf, &len, &kind);

    if (rc) {
        if (err && errlen) {
            int e = errno;
            char q[512];
            /* a long path cut in its middle: the reason stays whole */
            sim_units_quote_path(q, sizeof q, path);
            if (rc == -2)
                snprintf(err, errlen, "%s: file too large (limit 64 MiB)",
                         q);
            else if (rc == -3)
                snprintf(err, errlen, "%s: not a regular file (%s)", q,
                         kind);
            else
                snprintf(err, errlen, "%s: cannot open: %s", q, strerror(e));
        }
        return NULL;
    }
    if (slash) {
        size_t n_dir = (size_t)(slash - path) + 1;
        dir = xmalloc(n_dir + 1);
        memcpy(dir, path, n_dir);
        dir[n_dir] = '\0';
    }
    s = load(path, buf, len, a->overrides, a->labels, a->n, dir, a->protocol,
             err, errlen);
    free(dir);
    free(buf);
    return s;
}

scenario *scn_load(const char *path, const char *const *overrides, size_t n,
                   char *err, size_t errlen)
{
    return scn_load_as(path, overrides, n, NULL, err, errlen);
}

scenario *scn_load_buffer_as(const char *name, const char *buf, size_t len,
                             const char *const *overrides, size_t n,
                             const char *protocol, char *err, size_t errlen)
{
    return load(name, (const unsigned char *)buf, len, overrides, NULL, n,
                NULL, protocol, err, errlen);
}

scenario *scn_load_buffer(const char *name, const char *buf, size_t len,
                          const char *const *overrides, size_t n,
                          char *err, size_t errlen)
{
    return scn_load_buffer_as(name, buf, len, overrides, n, NULL, err,
                              errlen);
}

void scn_free(scenario *s)
{
    if (!s)
        return;
    scn_proto_free_opts(s->proto, s->proto_opts);
    free(s->protos);
    free(s->file);
    free(s->name);
    free(s->topo.nodes);
    free(s->topo.links);
    for (size_t i = 0; i < s->traffic.n_topics; i++)
        free(s->traffic.topics[i]);
    free(s->traffic.topics);
    for (size_t i = 0; i < s->subs.n_filters; i++)
        free(s->subs.filters[i]);
    free(s->subs.filters);
    for (size_t i = 0; i < s->n_attackers; i++)
        free(s->attackers[i].targets);
    free(s->attackers);
    free(s->moves);
    for (size_t i = 0; i < s->n_overrides; i++) {
        free(s->overrides[i].path);
        free(s->overrides[i].value);
        free(s->overrides[i].label);
    }
    free(s->overrides);
    for (size_t i = 0; i < s->n_axes; i++)
        scn_axis_free(&s->axes[i]);
    free(s->axes);
    free(s);
}

void scn_error_at(const scenario *s, const scn_mark *m, char *err,
                  size_t errlen, const char *fmt, ...)
{
    char msg[1024], arg[256], q[128];
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m->ovr >= 0 && (size_t)m->ovr < s->n_overrides &&
        s->overrides[m->ovr].label) {
        snprintf(err, errlen, "%s: %s", s->overrides[m->ovr].label, msg);
    } else if (m->ovr >= 0 && (size_t)m->ovr < s->n_overrides) {
        /* as the loader quotes it: the flag as given (path=value), cut
         * after 60 bytes, so a truncated arg[] quotes the same */
        snprintf(arg, sizeof arg, "%s=%s", s->overrides[m->ovr].path,
                 s->overrides[m->ovr].value);
        sim_units_quote(q, sizeof q, arg);
        snprintf(err, errlen, "--set %s: %s", q, msg);
    } else {
        snprintf(err, errlen, "%s:%u:%u: %s", s->file, m->line, m->col, msg);
    }
}

int scn_proto_parse_opts_buffer(const scn_proto_ops *ops, const char *name,
                                const char *text, void **opts, char *err,
                                size_t errlen)
{
    ldr L;
    ydoc d;
    scn_map pm;
    yaml_node_t *root = NULL;
    int rc = -1;

    memset(&L, 0, sizeof L);
    memset(&d, 0, sizeof d);
    memset(&pm, 0, sizeof pm);
    L.err = err;
    L.errlen = errlen;
    *opts = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (load_doc(&L, &d, name, -1, (const unsigned char *)text,
                 strlen(text)))
        goto out;
    root = yaml_document_get_root_node(&d.doc);
    if (root && is_null(root))
        root = NULL;
    if (root && root->type != YAML_MAPPING_NODE) {
        char b[160];
        nerr(&L, &d, root, "expected a mapping of protocol options, got %s",
             describe(root, b, sizeof b));
        goto out;
    }
    if (map_open(&pm, &L, &d, root, root, "protocol", "name"))
        goto out;
    rc = scn_proto_parse_opts(ops, &pm, opts);
    if (rc == 0)
        rc = scn_map_done(&pm);
    if (rc != 0 && !L.failed)
        report(&L, name, -1, NULL, "invalid options for protocol '%s'",
               ops->name);
out:
    map_close(&pm);
    ydoc_free(&d);
    if (rc != 0) {
        scn_proto_free_opts(ops, *opts);
        *opts = NULL;
        return -1;
    }
    return 0;
}
