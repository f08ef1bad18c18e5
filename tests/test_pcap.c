/* test_pcap.c — the packet trace writer of `kmsim run --pcap` (sim/net/pcap.c,
 * kmsim extension, issue 23): filter parsing and binding, the file read
 * back with libpcap (link type, nanosecond timestamps, pseudo-header,
 * bytes), temporary files and their rename, the key log's lines, the
 * merge of two partition logs by event key, and a world traced on one
 * scheduler and on two (alternating) giving the same bytes, with the same
 * fingerprint as an untraced run. */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cutest.h"
#include "cry.h"
#include "pcap.h"
#include "scenario.h"
#include "tworld.h"
#include "wire.h"
#include "world.h"
#include "proto.h"

static const char *tiny_world =
    "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
    "topology:\n  generator: explicit\n"
    "  link: {latency: 5ms, bandwidth: 8kbps}\n"
    "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source},\n"
    "          {id: 7, role: source}]\n"
    "  links: [{a: 1, b: 2}, {a: 2, b: 7}]\n"
    "traffic: {interval: const(100s), size: 100B}\n";

/* A temporary directory per test, and paths in it. */
static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/kmsim-test-pcap.XXXXXX");
    if (!mkdtemp(dir))
        abort();
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        abort();
}

static const char *in_dir(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Entries of dir (besides . and ..). */
static int dir_entries(void)
{
    char cmd[128];
    FILE *p;
    int n = 0;

    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    p = popen(cmd, "r");
    if (!p || fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

static void test_filter_parse(void)
{
    static const char *const good[] = {"node=1", "node=1,2,30",
                                       "link=1-2", "link=1-2,2-7"};
    static const char *const bad[] = {"", "node=", "node=a", "node=1,",
                                      "node=-1", "link=1", "link=1-1",
                                      "nodes=1", "link=1-2,", "node=1 ",
                                      "node=99999999999"};
    char err[256];

    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        sim_pcap *pc = sim_pcap_new(&good[i], 1, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL(pc);
        sim_pcap_free(pc);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        sim_pcap *pc = sim_pcap_new(&bad[i], 1, err, sizeof err);
        CU_ASSERT_PTR_NULL(pc);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap-filter"));
        sim_pcap_free(pc);
    }
    CU_ASSERT_EQUAL(sim_pcap_proto_code("dini"), SIM_PCAP_PROTO_DINI);
    CU_ASSERT_EQUAL(sim_pcap_proto_code("eg"), SIM_PCAP_PROTO_EG);
    CU_ASSERT_EQUAL(sim_pcap_proto_code("xyz"), SIM_PCAP_PROTO_OTHER);
}

static sim_world *tiny(scenario **sc)
{
    char err[256];

    *sc = scn_load_buffer("t.yaml", tiny_world, strlen(tiny_world), NULL, 0,
                          err, sizeof err);
    return *sc ? sim_world_new(*sc, 1, err, sizeof err) : NULL;
}

/* Node ids 1, 2, 7 are indices 0, 1, 2; links 0 (1-2) and 1 (2-7). */
static void test_filter_bind(void)
{
    scenario *sc;
    sim_world *w = tiny(&sc);
    const sim_topo *t;
    const char *f1[] = {"node=7"}, *f2[] = {"link=7-2"},
               *f3[] = {"node=1", "link=2-7"}, *f4[] = {"node=3"},
               *f5[] = {"link=1-7"};
    char err[256];
    sim_pcap *pc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    t = sim_world_topo(w);
    pc = sim_pcap_new(NULL, 0, err, sizeof err);
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, t, 0, CRY_AEAD_CHACHA20POLY1305, 0,
                                  err, sizeof err), 0);
    CU_ASSERT(sim_pcap_wants(pc, 0, 1, 0));       /* no filter: all */
    sim_pcap_free(pc);

    pc = sim_pcap_new(f1, 1, err, sizeof err);
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, t, 0, 0, 0, err, sizeof err), 0);
    CU_ASSERT(sim_pcap_wants(pc, 2, 1, 1));       /* sent by 7 */
    CU_ASSERT(sim_pcap_wants(pc, 1, 2, 1));       /* received by 7 */
    CU_ASSERT(!sim_pcap_wants(pc, 0, 1, 0));
    sim_pcap_free(pc);

    pc = sim_pcap_new(f2, 1, err, sizeof err);
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, t, 0, 0, 0, err, sizeof err), 0);
    CU_ASSERT(sim_pcap_wants(pc, 1, 2, 1));
    CU_ASSERT(sim_pcap_wants(pc, 2, 1, 1));
    CU_ASSERT(!sim_pcap_wants(pc, 0, 1, 0));
    CU_ASSERT(!sim_pcap_wants(pc, 1, 0, 0));
    sim_pcap_free(pc);

    pc = sim_pcap_new(f3, 2, err, sizeof err);    /* either term */
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, t, 0, 0, 0, err, sizeof err), 0);
    CU_ASSERT(sim_pcap_wants(pc, 1, 0, 0));
    CU_ASSERT(sim_pcap_wants(pc, 2, 1, 1));
    sim_pcap_free(pc);

    pc = sim_pcap_new(f4, 1, err, sizeof err);
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, t, 0, 0, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap-filter node=3: no such node"));
    sim_pcap_free(pc);

    pc = sim_pcap_new(f5, 1, err, sizeof err);
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, t, 0, 0, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "link=1-7: no link"));
    sim_pcap_free(pc);
    sim_world_free(w);
    scn_free(sc);
}

/* A message of `len` bytes (header + clear data part) with seq. */
static uint32_t msg(unsigned char *b, uint32_t seq, uint32_t dlen)
{
    sim_hdr h;

    memset(&h, 0, sizeof h);
    h.type = 3;
    h.src = 1;
    h.dst = 0;
    h.seq = seq;
    h.key_name = 0x0102030405060708ull;
    h.data_len = dlen;
    sim_hdr_write(b, &h);
    memset(b + SIM_HDR_BYTES, (int)seq, dlen);
    return SIM_HDR_BYTES + dlen;
}

static void test_write_read(void)
{
    char path[128], tmp[160], err[256], ebuf[PCAP_ERRBUF_SIZE];
    unsigned char b[256];
    sim_pcap *pc = sim_pcap_new(NULL, 0, err, sizeof err);
    static const sim_time ts[3] = {0, 1500000001, 2 * SIM_S + 999999999};
    struct pcap_pkthdr *ph;
    const unsigned char *d;
    pcap_t *r;
    int i = 0;

    mkdir_tmp();
    in_dir(path, sizeof path, "t.pcap");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CU_ASSERT_EQUAL_FATAL(sim_pcap_open(pc, path, NULL, err, sizeof err), 0);
    CU_ASSERT_FALSE(sim_pcap_keylog_on(pc));
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, NULL, SIM_PCAP_PROTO_DINI,
                                  CRY_AEAD_AES256GCM, 3, err, sizeof err), 0);
    for (int k = 0; k < 3; k++)
        sim_pcap_packet(pc, ts[k], k == 1 ? SIM_PCAP_RX : SIM_PCAP_TX, 5,
                        6 + (uint32_t)k, 9, b, msg(b, (uint32_t)k, 10u * k));
    CU_ASSERT(exists(tmp));
    CU_ASSERT_FALSE(exists(path));       /* nothing complete-looking yet */
    CU_ASSERT_EQUAL(sim_pcap_commit(pc, err, sizeof err), 0);
    CU_ASSERT_FALSE(exists(tmp));
    CU_ASSERT(exists(path));
    sim_pcap_free(pc);

    r = pcap_open_offline_with_tstamp_precision(path,
                                                PCAP_TSTAMP_PRECISION_NANO, ebuf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(pcap_datalink(r), (int)SIM_PCAP_LINKTYPE);
    CU_ASSERT_EQUAL(pcap_get_tstamp_precision(r), PCAP_TSTAMP_PRECISION_NANO);
    while (pcap_next_ex(r, &ph, &d) == 1) {
        sim_hdr h;
        CU_ASSERT_FATAL(i < 3);
        CU_ASSERT_EQUAL((sim_time)ph->ts.tv_sec * SIM_S + ph->ts.tv_usec,
                        ts[i]);
        CU_ASSERT_EQUAL(ph->caplen, SIM_PCAP_PHDR_BYTES + SIM_HDR_BYTES +
                                        10u * (unsigned)i);
        CU_ASSERT_EQUAL(d[0], SIM_PCAP_VERSION);
        CU_ASSERT_EQUAL(d[1], i == 1 ? SIM_PCAP_RX : SIM_PCAP_TX);
        CU_ASSERT_EQUAL(d[2], SIM_PCAP_PROTO_DINI);
        CU_ASSERT_EQUAL(d[3], CRY_AEAD_AES256GCM);
        CU_ASSERT_EQUAL(sim_get32(d + 4), 5);
        CU_ASSERT_EQUAL(sim_get32(d + 8), 6u + (unsigned)i);
        CU_ASSERT_EQUAL(sim_get32(d + 12), 9);
        CU_ASSERT_EQUAL(sim_get32(d + 16), 3);
        CU_ASSERT_EQUAL(sim_hdr_read(&h, d + SIM_PCAP_PHDR_BYTES,
                                     ph->caplen - SIM_PCAP_PHDR_BYTES), 0);
        CU_ASSERT_EQUAL(h.seq, (uint32_t)i);
        CU_ASSERT_EQUAL(h.key_name, 0x0102030405060708ull);
        i++;
    }
    CU_ASSERT_EQUAL(i, 3);
    pcap_close(r);
    rm_tmp();
}

static void test_uncommitted_and_errors(void)
{
    char path[128], kpath[128], err[256];
    unsigned char b[128];
    sim_pcap *pc = sim_pcap_new(NULL, 0, err, sizeof err);

    mkdir_tmp();
    in_dir(path, sizeof path, "t.pcap");
    in_dir(kpath, sizeof kpath, "t.keys");
    CU_ASSERT_EQUAL_FATAL(sim_pcap_open(pc, path, kpath, err, sizeof err), 0);
    sim_pcap_packet(pc, 5, SIM_PCAP_TX, 0, 1, 0, b, msg(b, 1, 4));
    CU_ASSERT_EQUAL(dir_entries(), 2);            /* the two temporaries */
    sim_pcap_free(pc);                            /* an interrupted run */
    CU_ASSERT_EQUAL(dir_entries(), 0);

    pc = sim_pcap_new(NULL, 0, err, sizeof err);
    in_dir(path, sizeof path, "no/such/dir/t.pcap");
    CU_ASSERT_EQUAL(sim_pcap_open(pc, path, NULL, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap "));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot create"));
    sim_pcap_free(pc);

    pc = sim_pcap_new(NULL, 0, err, sizeof err);
    in_dir(path, sizeof path, "t.pcap");
    in_dir(kpath, sizeof kpath, "none/t.keys");
    CU_ASSERT_EQUAL(sim_pcap_open(pc, path, kpath, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--keylog "));
    sim_pcap_free(pc);
    CU_ASSERT_EQUAL(dir_entries(), 0);            /* nothing left */
    rm_tmp();
}

static void test_keylog_lines(void)
{
    char path[128], kpath[128], err[256];
    unsigned char key[CRY_KEY_BYTES], tag[CRY_TAG_BYTES];
    sim_pcap *pc = sim_pcap_new(NULL, 0, err, sizeof err);
    struct stat st;
    size_t len;
    char *txt;

    for (unsigned i = 0; i < CRY_KEY_BYTES; i++)
        key[i] = (unsigned char)(0xa0 + i);
    for (unsigned i = 0; i < CRY_TAG_BYTES; i++)
        tag[i] = (unsigned char)i;
    mkdir_tmp();
    in_dir(path, sizeof path, "t.pcap");
    in_dir(kpath, sizeof kpath, "t.keys");
    CU_ASSERT_EQUAL_FATAL(sim_pcap_open(pc, path, kpath, err, sizeof err), 0);
    CU_ASSERT(sim_pcap_keylog_on(pc));
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, NULL, 0, CRY_AEAD_CHACHA20POLY1305, 0,
                                  err, sizeof err), 0);
    sim_pcap_seal(pc, key, 7, 42, tag);
    CU_ASSERT_EQUAL(sim_pcap_commit(pc, err, sizeof err), 0);
    sim_pcap_free(pc);
    CU_ASSERT_EQUAL(stat(kpath, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);     /* secrets */
    txt = cutest_slurp(kpath, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "\n# aead chacha20poly1305\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(txt,
        "\nSEAL 7 42 000102030405060708090a0b0c0d0e0f "
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n"));
    free(txt);
    rm_tmp();
}

/* Two partition logs merged by key: the records come out in key order,
 * wherever they were logged, and the logs are empty afterwards. */
static void test_merge_order(void)
{
    char path[128], kpath[128], err[256], ebuf[PCAP_ERRBUF_SIZE];
    unsigned char b[128], key[CRY_KEY_BYTES] = {0}, tag[CRY_TAG_BYTES] = {0};
    sim_pcap *pc = sim_pcap_new(NULL, 0, err, sizeof err);
    sim_pcap_buf *p0 = sim_pcap_buf_new(), *p1 = sim_pcap_buf_new();
    struct pcap_pkthdr *ph;
    const unsigned char *d;
    /* (t, depth, creator, seq): p0 gets seqs 1, 4, 5; p1 gets 2, 3, 6 */
    static const uint32_t where[6] = {0, 1, 1, 0, 0, 1};
    uint32_t got = 0;
    pcap_t *r;
    size_t len;
    char *txt;

    mkdir_tmp();
    in_dir(path, sizeof path, "t.pcap");
    in_dir(kpath, sizeof kpath, "t.keys");
    CU_ASSERT_EQUAL_FATAL(sim_pcap_open(pc, path, kpath, err, sizeof err), 0);
    CU_ASSERT_EQUAL(sim_pcap_bind(pc, NULL, 0, 0, 0, err, sizeof err), 0);
    for (uint32_t i = 0; i < 6; i++) {
        sim_event_key k = {.t = 100 + (sim_time)(i / 2), .depth = 0,
                           .creator = 1 + i % 2, .seq = i + 1};
        sim_pcap_buf *to = where[i] ? p1 : p0;
        sim_pcap_buf_packet(to, pc, &k, SIM_PCAP_TX, i, i + 1, 0, b,
                            msg(b, i, i));
        key[0] = (unsigned char)i;
        sim_pcap_buf_seal(to, &k, key, i, i, tag);
    }
    sim_pcap_merge(pc, p0, p1);
    sim_pcap_merge(pc, p0, p1);          /* empty now: writes nothing */
    CU_ASSERT_EQUAL(sim_pcap_commit(pc, err, sizeof err), 0);
    r = pcap_open_offline_with_tstamp_precision(path,
                                                PCAP_TSTAMP_PRECISION_NANO, ebuf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    while (pcap_next_ex(r, &ph, &d) == 1) {
        CU_ASSERT_EQUAL(sim_get32(d + 4), got);   /* from = i: key order */
        CU_ASSERT_EQUAL((sim_time)ph->ts.tv_usec, 100 + got / 2);
        got++;
    }
    CU_ASSERT_EQUAL(got, 6);
    pcap_close(r);
    txt = cutest_slurp(kpath, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    {
        const char *s = txt;
        for (uint32_t i = 0; i < 6; i++) {
            char want[32];
            snprintf(want, sizeof want, "SEAL %u %u ", i, i);
            s = strstr(s, want);
            CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        }
    }
    free(txt);
    sim_pcap_free(pc);
    sim_pcap_buf_free(p0);
    sim_pcap_buf_free(p1);
    rm_tmp();
}

/* Runs sc (seed 3) on `threads` (1, or -2: two schedulers in turn on this
 * thread) to `until`, traced to dir/<name> (NULL: untraced); the
 * fingerprint into fp. */
static void traced_run(const scenario *sc, int threads, const char *name,
                       const char *const *filter, size_t nf, sim_time until,
                       unsigned char fp[32])
{
    char path[128], kpath[160], err[256];
    sim_world *w = tw_new_threads(sc, 3, threads);
    sim_pcap *pc = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    if (name) {
        pc = sim_pcap_new(filter, nf, err, sizeof err);
        in_dir(path, sizeof path, name);
        snprintf(kpath, sizeof kpath, "%s.keys", path);
        CU_ASSERT_EQUAL_FATAL(sim_pcap_open(pc, path, kpath, err, sizeof err),
                              0);
        CU_ASSERT_EQUAL_FATAL(sim_world_set_pcap(w, pc, 0, err, sizeof err),
                              0);
    }
    sim_world_run(w, until, UINT64_MAX);
    sim_world_finish(w);
    sim_world_fingerprint(w, fp);
    if (pc)
        CU_ASSERT_EQUAL(sim_pcap_commit(pc, err, sizeof err), 0);
    sim_world_free(w);
    sim_pcap_free(pc);
}

static int same_file(const char *a, const char *b)
{
    char pa[128], pb[128];
    size_t la = 0, lb = 0;
    char *x = cutest_slurp(in_dir(pa, sizeof pa, a), &la);
    char *y = cutest_slurp(in_dir(pb, sizeof pb, b), &lb);
    int same = x && y && la == lb && la > 24 && memcmp(x, y, la) == 0;

    free(x);
    free(y);
    return same;
}

/* Records in a trace, and how many of them parse as a message. */
static unsigned count_records(const char *name, unsigned *parsed)
{
    char path[128], ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *r = pcap_open_offline_with_tstamp_precision(
        in_dir(path, sizeof path, name), PCAP_TSTAMP_PRECISION_NANO, ebuf);
    struct pcap_pkthdr *ph;
    const unsigned char *d;
    unsigned n = 0;

    *parsed = 0;
    if (!r)
        return 0;
    while (pcap_next_ex(r, &ph, &d) == 1) {
        sim_hdr h;
        n++;
        if (ph->caplen > SIM_PCAP_PHDR_BYTES &&
            sim_hdr_read(&h, d + SIM_PCAP_PHDR_BYTES,
                         ph->caplen - SIM_PCAP_PHDR_BYTES) == 0)
            (*parsed)++;
    }
    pcap_close(r);
    return n;
}

/* Dini on a 36-node grid split in two: the trace and key log of two
 * schedulers (partitions logged, merged by key at the barriers) are those
 * of one; tracing changes no fingerprint; a filter selects fewer. */
static void test_world_two_partitions(void)
{
    static const char *const set[] = {"replications=1"};
    static const char *const filt[] = {"node=5"};
    scenario *sc = tw_load_shipped("dini-adjacent", set, 1);
    unsigned char fp0[32], fp1[32], fp2[32], fp3[32];
    unsigned n1, n3, ok1, ok3;

    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    mkdir_tmp();
    traced_run(sc, 1, NULL, NULL, 0, 90 * SIM_S, fp0);
    traced_run(sc, 1, "one.pcap", NULL, 0, 90 * SIM_S, fp1);
    traced_run(sc, -2, "two.pcap", NULL, 0, 90 * SIM_S, fp2);
    traced_run(sc, 1, "f.pcap", filt, 1, 90 * SIM_S, fp3);
    CU_ASSERT_EQUAL(memcmp(fp0, fp1, 32), 0);      /* observing only */
    CU_ASSERT_EQUAL(memcmp(fp0, fp2, 32), 0);
    CU_ASSERT_EQUAL(memcmp(fp0, fp3, 32), 0);
    CU_ASSERT(same_file("one.pcap", "two.pcap"));
    CU_ASSERT(same_file("one.pcap.keys", "two.pcap.keys"));
    n1 = count_records("one.pcap", &ok1);
    n3 = count_records("f.pcap", &ok3);
    CU_ASSERT(n1 > 100);
    CU_ASSERT_EQUAL(ok1, n1);                      /* every one a message */
    CU_ASSERT(n3 > 0 && n3 < n1);
    CU_ASSERT_EQUAL(ok3, n3);
    rm_tmp();
    scn_free(sc);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("pcap", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_filter_parse);
    CUTEST_ADD(s, test_filter_bind);
    CUTEST_ADD(s, test_write_read);
    CUTEST_ADD(s, test_uncommitted_and_errors);
    CUTEST_ADD(s, test_keylog_lines);
    CUTEST_ADD(s, test_merge_order);
    CUTEST_ADD(s, test_world_two_partitions);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
