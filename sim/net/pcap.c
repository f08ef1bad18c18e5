/* pcap.c — the packet trace and key log writer of `kmsim run --pcap`
 * (kmsim extension, issue 23; formats in pcap.h): libpcap's dump API on a
 * "dead" handle with nanosecond timestamps, temporary files renamed into
 * place when the run completes, and the per-partition logs merged by
 * event key for --threads 2. */
#define _DEFAULT_SOURCE     /* fsync, fdopen, O_CLOEXEC; u_char for pcap.h */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include "cry.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pcap.h"
#include "units.h"
#include "util.h"
#include "wire.h"
#include "world.h"

/* One filter term before binding: node ids, or link end pairs. */
typedef struct pcap_term {
    int link;               /* 0: node=, 1: link=                        */
    uint64_t *ids;          /* node: ids; link: pairs (2 per link)       */
    size_t n;               /* ids (node) or pairs (link)                */
} pcap_term;

/* Invariants: dumper != NULL between a successful open and commit/free;
 * tmp/ktmp name files that exist then (ktmp only with the key log);
 * node_on/link_on are NULL until bound, then sized n_nodes/n_links bits
 * (all NULL with no filter: everything is traced). */
struct sim_pcap {
    pcap_term *terms;       /* the --pcap-filter terms                    */
    size_t n_terms;
    pcap_t *dead;           /* pcap_open_dead_with_tstamp_precision      */
    pcap_dumper_t *dumper;  /* the trace's temporary file                 */
    FILE *klog;             /* the key log's temporary file, or NULL     */
    char *kbuf;             /* its stdio buffer (wiped after the close)  */
    char *path, *tmp;       /* the trace: target and temporary name       */
    char *kpath, *ktmp;     /* the key log's, NULL: none                  */
    xcleanup cl, kcl;       /* tmp, ktmp for xoom                         */
    uint64_t *node_on;      /* bit v: node v selected, NULL: no node=     */
    uint64_t *link_on;      /* bit l: link l selected, NULL: no link=     */
    const sim_topo *topo;
    uint8_t proto, aead;    /* pseudo-header fields                       */
    uint32_t rep;
    int aead_told;          /* the key log's "# aead" line is written     */
    unsigned char *scratch; /* one record: pseudo-header + wire bytes     */
    uint32_t scratch_cap;
};

/* A record in a partition's log: key, kind, payload length, then the
 * payload padded to 8 bytes (a pcap record with its pseudo-header, or a
 * key log line). */
typedef struct pcap_ent {
    sim_event_key k;
    uint32_t kind;          /* 0 packet, 1 key log line                   */
    uint32_t len;           /* payload bytes                              */
} pcap_ent;

/* Invariants: used <= cap; the records in [0, used) were appended in the
 * order their events ran in this partition (so by key); `secret`: a key
 * log line was appended since the last wipe. */
struct sim_pcap_buf {
    unsigned char *b;
    size_t used, cap;
    int secret;
};

#define ENT_ALIGN 8u
#define KLOG_LINE 160u      /* "SEAL " + 10 + 20 + 32 + 64 + spaces, \n  */
#define KLOG_BUF 16384u     /* the key log's stdio buffer                 */

uint8_t sim_pcap_proto_code(const char *name)
{
    static const char *const names[] = {"none", "netkey", "pairwise",
                                        "dipietro", "dini", "eg"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i]))
            return (uint8_t)i;
    return SIM_PCAP_PROTO_OTHER;
}

static void klog_aead_line(sim_pcap *pc);

/* ---- filter ------------------------------------------------------------ */

static int parse_id(const char **s, uint64_t *out)
{
    char *end;

    if (**s < '0' || **s > '9')
        return -1;
    errno = 0;
    *out = strtoull(*s, &end, 10);
    if (errno || *out > UINT32_MAX)
        return -1;
    *s = end;
    return 0;
}

/* Parses one term into t.  0, or -1 with the message. */
static int parse_term(const char *s, pcap_term *t, char *err, size_t errlen)
{
    const char *p;
    char q[128];

    memset(t, 0, sizeof *t);
    if (!strncmp(s, "node=", 5))
        p = s + 5;
    else if (!strncmp(s, "link=", 5)) {
        p = s + 5;
        t->link = 1;
    } else
        goto bad;
    for (;;) {
        uint64_t a, b = 0;

        if (parse_id(&p, &a) != 0)
            goto bad;
        if (t->link && (*p++ != '-' || parse_id(&p, &b) != 0 || a == b))
            goto bad;
        t->ids = xreallocarray(t->ids, (t->n + 1) * (t->link ? 2 : 1),
                               sizeof *t->ids);
        t->ids[t->n * (t->link ? 2 : 1)] = a;
        if (t->link)
            t->ids[t->n * 2 + 1] = b;
        t->n++;
        if (*p == '\0')
            return 0;
        if (*p++ != ',')
            goto bad;
    }
bad:
    free(t->ids);
    t->ids = NULL;
    sim_units_quote(q, sizeof q, s);
    snprintf(err, errlen, "--pcap-filter %s: expected node=ID[,ID...] or "
             "link=A-B[,C-D...] (node ids, A != B)", q);
    return -1;
}

sim_pcap *sim_pcap_new(const char *const *filters, size_t n, char *err,
                       size_t errlen)
{
    sim_pcap *pc = xcalloc(1, sizeof *pc);

    pc->terms = xcalloc(n ? n : 1, sizeof *pc->terms);
    for (size_t i = 0; i < n; i++) {
        if (parse_term(filters[i], &pc->terms[i], err, errlen) != 0) {
            sim_pcap_free(pc);
            return NULL;
        }
        pc->n_terms++;
    }
    return pc;
}

/* The index of the node with id `id`, SIM_NONE if none. */
static uint32_t node_of_id(const sim_topo *t, uint64_t id)
{
    if (id < t->n_nodes && t->nodes[id].id == id)
        return (uint32_t)id;          /* generated topologies: id = index */
    for (uint32_t v = 0; v < t->n_nodes; v++)
        if (t->nodes[v].id == id)
            return v;
    return SIM_NONE;
}

int sim_pcap_bind(sim_pcap *pc, const sim_topo *t, uint8_t proto,
                  cry_aead aead, uint32_t rep, char *err, size_t errlen)
{
    pc->topo = t;
    pc->proto = proto;
    pc->aead = (uint8_t)aead;
    pc->rep = rep;
    if (pc->klog && !pc->aead_told) {
        klog_aead_line(pc);
        pc->aead_told = 1;
    }
    free(pc->node_on);
    free(pc->link_on);
    pc->node_on = pc->link_on = NULL;
    for (size_t i = 0; i < pc->n_terms; i++) {
        const pcap_term *tm = &pc->terms[i];

        for (size_t j = 0; j < tm->n; j++) {
            if (!tm->link) {
                uint32_t v = node_of_id(t, tm->ids[j]);
                if (v == SIM_NONE) {
                    snprintf(err, errlen, "--pcap-filter node=%llu: no "
                             "such node (the topology has %u)",
                             (unsigned long long)tm->ids[j], t->n_nodes);
                    return -1;
                }
                if (!pc->node_on)
                    pc->node_on = xcalloc(((size_t)t->n_nodes + 63) / 64,
                                          sizeof *pc->node_on);
                pc->node_on[v / 64] |= 1ull << (v % 64);
            } else {
                uint32_t a = node_of_id(t, tm->ids[2 * j]);
                uint32_t b = node_of_id(t, tm->ids[2 * j + 1]);
                uint32_t l = SIM_NONE;

                for (uint32_t s = a == SIM_NONE || b == SIM_NONE
                                      ? 0 : t->adj_off[a];
                     a != SIM_NONE && b != SIM_NONE &&
                     s < t->adj_off[a + 1]; s++)
                    if (t->adj[s] == b) {
                        l = t->adj_link[s];
                        break;
                    }
                if (l == SIM_NONE) {
                    snprintf(err, errlen, "--pcap-filter link=%llu-%llu: "
                             "no link between these nodes",
                             (unsigned long long)tm->ids[2 * j],
                             (unsigned long long)tm->ids[2 * j + 1]);
                    return -1;
                }
                if (!pc->link_on)
                    pc->link_on = xcalloc(((size_t)t->n_links + 63) / 64,
                                          sizeof *pc->link_on);
                /* every parallel link of the pair */
                for (uint32_t s = t->adj_off[a]; s < t->adj_off[a + 1]; s++)
                    if (t->adj[s] == b)
                        pc->link_on[t->adj_link[s] / 64] |=
                            1ull << (t->adj_link[s] % 64);
            }
        }
    }
    return 0;
}

static int bit(const uint64_t *m, uint32_t i)
{
    return (int)(m[i / 64] >> (i % 64) & 1);
}

int sim_pcap_wants(const sim_pcap *pc, uint32_t from, uint32_t to,
                   uint32_t link)
{
    if (!pc->node_on && !pc->link_on)
        return 1;
    if (pc->node_on && (bit(pc->node_on, from) || bit(pc->node_on, to)))
        return 1;
    return pc->link_on && link != SIM_NONE && bit(pc->link_on, link);
}

int sim_pcap_keylog_on(const sim_pcap *pc)
{
    return pc->klog != NULL;
}

/* ---- files ------------------------------------------------------------- */

/* "<path>.tmp.<pid>", created empty (O_EXCL, a stale one replaced) with
 * `mode`: the descriptor, or -1 (errno set). */
static int tmp_create(const char *path, char **tmp, int mode)
{
    char suffix[32];
    size_t n = strlen(path);
    int fd;

    snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
    *tmp = xmalloc(n + strlen(suffix) + 1);
    memcpy(*tmp, path, n);
    strcpy(*tmp + n, suffix);
    fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST && unlink(*tmp) == 0)
        fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        errno = e;
    }
    return fd;
}

int sim_pcap_open(sim_pcap *pc, const char *path, const char *keylog,
                  char *err, size_t errlen)
{
    char q[512];
    int fd;

    pc->path = xstrdup(path);
    fd = tmp_create(path, &pc->tmp, 0666);
    if (fd < 0)
        goto fail_errno;
    close(fd);
    pc->cl.path = pc->tmp;
    xcleanup_add(&pc->cl);
    pc->dead = pcap_open_dead_with_tstamp_precision(
        (int)SIM_PCAP_LINKTYPE, (int)(SIM_PCAP_PHDR_BYTES + SIM_PKT_MAX),
        PCAP_TSTAMP_PRECISION_NANO);
    if (!pc->dead) {
        sim_units_quote_path(q, sizeof q, path);
        snprintf(err, errlen, "--pcap %s: libpcap cannot make a handle", q);
        return -1;
    }
    pc->dumper = pcap_dump_open(pc->dead, pc->tmp);
    if (!pc->dumper) {
        sim_units_quote_path(q, sizeof q, path);
        snprintf(err, errlen, "--pcap %s: %s", q, pcap_geterr(pc->dead));
        return -1;
    }
    if (keylog) {
        pc->kpath = xstrdup(keylog);
        fd = tmp_create(keylog, &pc->ktmp, 0600);   /* secrets */
        if (fd < 0) {
            int e = errno;
            sim_units_quote_path(q, sizeof q, keylog);
            snprintf(err, errlen, "--keylog %s: cannot create: %s", q,
                     strerror(e));
            return -1;
        }
        pc->kcl.path = pc->ktmp;
        xcleanup_add(&pc->kcl);
        pc->klog = fdopen(fd, "wb");
        if (!pc->klog) {
            close(fd);
            sim_units_quote_path(q, sizeof q, keylog);
            snprintf(err, errlen, "--keylog %s: cannot open", q);
            return -1;
        }
        /* our buffer, so the key bytes stdio holds are wiped (finish) */
        pc->kbuf = xmalloc(KLOG_BUF);
        setvbuf(pc->klog, pc->kbuf, _IOFBF, KLOG_BUF);
        fputs("# kmsim key log v1 (kmsim run --keylog): SECRET KEYS of the "
              "trace's sealed parts.\n"
              "# SEAL <sender> <counter> <tag hex> <key hex>: the key that "
              "sealed the part ending in <tag>,\n"
              "# with nonce sender (u32 LE) || counter (u64 LE).\n", pc->klog);
    }
    return 0;
fail_errno:
    {
        int e = errno;
        sim_units_quote_path(q, sizeof q, path);
        snprintf(err, errlen, "--pcap %s: cannot create: %s", q,
                 strerror(e));
    }
    return -1;
}

/* Writes the cipher line once bound (the key log's reader needs it). */
static void klog_aead_line(sim_pcap *pc)
{
    static const char *const names[] = {"chacha20poly1305", "aes256gcm"};

    if (pc->klog)
        fprintf(pc->klog, "# aead %s\n", names[pc->aead & 1]);
}

/* The pseudo-header then the bytes into dst; returns the length. */
static uint32_t build_record(const sim_pcap *pc, unsigned char *dst, int event,
                             uint32_t from, uint32_t to, uint32_t link,
                             const unsigned char *b, uint32_t len)
{
    dst[0] = SIM_PCAP_VERSION;
    dst[1] = (unsigned char)event;
    dst[2] = pc->proto;
    dst[3] = pc->aead;
    sim_put32(dst + 4, from);
    sim_put32(dst + 8, to);
    sim_put32(dst + 12, link);
    sim_put32(dst + 16, pc->rep);
    memcpy(dst + SIM_PCAP_PHDR_BYTES, b, len);
    return SIM_PCAP_PHDR_BYTES + len;
}

static void dump(sim_pcap *pc, sim_time t, const unsigned char *rec,
                 uint32_t len)
{
    struct pcap_pkthdr h;

    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(t / 1000000000);
    h.ts.tv_usec = (suseconds_t)(t % 1000000000);   /* ns: nano precision */
    h.caplen = h.len = len;
    pcap_dump((unsigned char *)pc->dumper, &h, rec);
}

void sim_pcap_packet(sim_pcap *pc, sim_time t, int event, uint32_t from,
                     uint32_t to, uint32_t link, const unsigned char *b,
                     uint32_t len)
{
    uint32_t n;

    if (!pc->dumper)
        return;
    if (pc->scratch_cap < SIM_PCAP_PHDR_BYTES + len) {
        pc->scratch_cap = SIM_PCAP_PHDR_BYTES + len;
        pc->scratch = xrealloc(pc->scratch, pc->scratch_cap);
    }
    n = build_record(pc, pc->scratch, event, from, to, link, b, len);
    dump(pc, t, pc->scratch, n);
}

/* The key log line of a seal into line (KLOG_LINE bytes): its length. */
static size_t klog_line(char *line, const unsigned char key[CRY_KEY_BYTES],
                        uint32_t sender, uint64_t counter,
                        const unsigned char tag[CRY_TAG_BYTES])
{
    static const char hx[] = "0123456789abcdef";
    int n = snprintf(line, KLOG_LINE, "SEAL %u %llu ", sender,
                     (unsigned long long)counter);
    size_t o = (size_t)n;

    for (size_t i = 0; i < CRY_TAG_BYTES; i++) {
        line[o++] = hx[tag[i] >> 4];
        line[o++] = hx[tag[i] & 15];
    }
    line[o++] = ' ';
    for (size_t i = 0; i < CRY_KEY_BYTES; i++) {
        line[o++] = hx[key[i] >> 4];
        line[o++] = hx[key[i] & 15];
    }
    line[o++] = '\n';
    return o;
}

void sim_pcap_seal(sim_pcap *pc, const unsigned char key[CRY_KEY_BYTES],
                   uint32_t sender, uint64_t counter,
                   const unsigned char tag[CRY_TAG_BYTES])
{
    char line[KLOG_LINE];
    size_t n;

    if (!pc->klog)
        return;
    n = klog_line(line, key, sender, counter, tag);
    fwrite(line, 1, n, pc->klog);
    cry_wipe(line, sizeof line);
}

/* Closes what is open; 0 or the first errno-like failure (-1, msg). */
static int finish(sim_pcap *pc, char *err, size_t errlen)
{
    char q[512];
    int rc = 0;

    if (pc->dumper) {
        FILE *f = pcap_dump_file(pc->dumper);
        int bad = pcap_dump_flush(pc->dumper) != 0 || ferror(f) ||
                  fsync(fileno(f)) != 0;
        int e = errno;
        pcap_dump_close(pc->dumper);
        pc->dumper = NULL;
        if (bad && rc == 0) {
            sim_units_quote_path(q, sizeof q, pc->path);
            snprintf(err, errlen, "--pcap %s: write failed: %s", q,
                     strerror(e ? e : EIO));
            rc = -1;
        }
    }
    if (pc->klog) {
        int bad = fflush(pc->klog) != 0 || ferror(pc->klog) ||
                  fsync(fileno(pc->klog)) != 0;
        int e = errno;
        bad |= fclose(pc->klog) != 0;
        pc->klog = NULL;
        cry_wipe(pc->kbuf, KLOG_BUF);
        free(pc->kbuf);
        pc->kbuf = NULL;
        if (bad && rc == 0) {
            sim_units_quote_path(q, sizeof q, pc->kpath);
            snprintf(err, errlen, "--keylog %s: write failed: %s", q,
                     strerror(e ? e : EIO));
            rc = -1;
        }
    }
    return rc;
}

/* Removes the temporary files still there. */
static void remove_tmps(sim_pcap *pc)
{
    if (pc->tmp) {
        unlink(pc->tmp);
        xcleanup_del(&pc->cl);
        free(pc->tmp);
        pc->tmp = NULL;
    }
    if (pc->ktmp) {
        unlink(pc->ktmp);
        xcleanup_del(&pc->kcl);
        free(pc->ktmp);
        pc->ktmp = NULL;
    }
}

int sim_pcap_commit(sim_pcap *pc, char *err, size_t errlen)
{
    char q[512];

    if (finish(pc, err, errlen) != 0)
        goto fail;
    if (pc->ktmp && rename(pc->ktmp, pc->kpath) != 0) {
        sim_units_quote_path(q, sizeof q, pc->kpath);
        snprintf(err, errlen, "--keylog %s: cannot rename into place: %s",
                 q, strerror(errno));
        goto fail;
    }
    if (pc->ktmp) {
        xcleanup_del(&pc->kcl);
        free(pc->ktmp);
        pc->ktmp = NULL;
    }
    if (pc->tmp && rename(pc->tmp, pc->path) != 0) {
        sim_units_quote_path(q, sizeof q, pc->path);
        snprintf(err, errlen, "--pcap %s: cannot rename into place: %s", q,
                 strerror(errno));
        if (pc->kpath)
            unlink(pc->kpath);     /* no key log without its trace */
        goto fail;
    }
    xcleanup_del(&pc->cl);
    free(pc->tmp);
    pc->tmp = NULL;
    return 0;
fail:
    remove_tmps(pc);
    return -1;
}

void sim_pcap_free(sim_pcap *pc)
{
    char err[8];

    if (!pc)
        return;
    (void)finish(pc, err, sizeof err);
    remove_tmps(pc);
    if (pc->dead)
        pcap_close(pc->dead);
    for (size_t i = 0; i < pc->n_terms; i++)
        free(pc->terms[i].ids);
    free(pc->terms);
    free(pc->node_on);
    free(pc->link_on);
    free(pc->scratch);
    free(pc->path);
    free(pc->kpath);
    free(pc);
}

/* ---- partition logs (--threads 2) -------------------------------------- */

sim_pcap_buf *sim_pcap_buf_new(void)
{
    return xcalloc(1, sizeof(sim_pcap_buf));
}

/* Wipes what may hold key log lines (the whole used part). */
static void buf_clear(sim_pcap_buf *b)
{
    if (b->secret)
        cry_wipe(b->b, b->used);
    b->secret = 0;
    b->used = 0;
}

void sim_pcap_buf_free(sim_pcap_buf *b)
{
    if (!b)
        return;
    buf_clear(b);
    free(b->b);
    free(b);
}

/* Room for an entry with `len` payload bytes: its header. */
static pcap_ent *buf_add(sim_pcap_buf *b, const sim_event_key *k,
                         uint32_t kind, uint32_t len)
{
    size_t need = sizeof(pcap_ent) + ((len + ENT_ALIGN - 1) & ~(size_t)(ENT_ALIGN - 1));
    pcap_ent *e;

    if (b->used + need > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 65536;
        unsigned char *nb;

        while (cap < b->used + need)
            cap *= 2;
        nb = xmalloc(cap);
        if (b->used)
            memcpy(nb, b->b, b->used);
        if (b->secret)                  /* no key byte left behind */
            cry_wipe(b->b, b->used);
        free(b->b);
        b->b = nb;
        b->cap = cap;
    }
    e = (pcap_ent *)(void *)(b->b + b->used);
    e->k = *k;
    e->kind = kind;
    e->len = len;
    b->used += need;
    return e;
}

void sim_pcap_buf_packet(sim_pcap_buf *b, const sim_pcap *pc,
                         const sim_event_key *k, int event, uint32_t from,
                         uint32_t to, uint32_t link, const unsigned char *p,
                         uint32_t len)
{
    pcap_ent *e = buf_add(b, k, 0, SIM_PCAP_PHDR_BYTES + len);

    build_record(pc, (unsigned char *)(e + 1), event, from, to,
                 link, p, len);
}

void sim_pcap_buf_seal(sim_pcap_buf *b, const sim_event_key *k,
                       const unsigned char key[CRY_KEY_BYTES],
                       uint32_t sender, uint64_t counter,
                       const unsigned char tag[CRY_TAG_BYTES])
{
    char line[KLOG_LINE];
    size_t n = klog_line(line, key, sender, counter, tag);
    pcap_ent *e = buf_add(b, k, 1, (uint32_t)n);

    memcpy(e + 1, line, n);
    b->secret = 1;
    cry_wipe(line, sizeof line);
}

static size_t ent_size(const pcap_ent *e)
{
    return sizeof *e + ((e->len + ENT_ALIGN - 1) & ~(size_t)(ENT_ALIGN - 1));
}

static void ent_write(sim_pcap *pc, const pcap_ent *e)
{
    const unsigned char *p = (const unsigned char *)(e + 1);

    if (e->kind == 0) {
        if (pc->dumper)
            dump(pc, e->k.t, p, e->len);
    } else if (pc->klog) {
        fwrite(p, 1, e->len, pc->klog);
    }
}

void sim_pcap_merge(sim_pcap *pc, sim_pcap_buf *a, sim_pcap_buf *b)
{
    size_t i = 0, j = 0;

    while (i < a->used || j < b->used) {
        const pcap_ent *x = i < a->used ? (const pcap_ent *)(void *)(a->b + i)
                                        : NULL;
        const pcap_ent *y = j < b->used ? (const pcap_ent *)(void *)(b->b + j)
                                        : NULL;

        /* one event's records all come from one partition, in order:
         * equal keys are never split across the two logs */
        if (x && (!y || sim_event_key_cmp(&x->k, &y->k) <= 0)) {
            ent_write(pc, x);
            i += ent_size(x);
        } else {
            ent_write(pc, y);
            j += ent_size(y);
        }
    }
    buf_clear(a);
    buf_clear(b);
}
