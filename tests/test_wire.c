/* test_wire.c — the message wire format: header encoding, sealing and
 * opening of the control part (hop by hop) and the data part (end to end),
 * what each associated data covers (every single-byte change of the header
 * or of a ciphertext is caught by the right part, the hop count by
 * neither), nonce counters and sender ids, and the refusals. */
#include <string.h>
#include "cutest.h"
#include "cry.h"
#include "cry_key.h"
#include "scenario.h"
#include "wire.h"
#include "world.h"
#include "proto.h"

/* Node ids used as senders: source, intermediate hop, destination. */
#define SRC 1u
#define MID 7u
#define DST 2u
#define CTL_LEN 5u
#define DATA_LEN 100u

/* A world (for its packet pool) and a key store, built per test. */
typedef struct fixture {
    scenario *sc;
    sim_world *w;
    cry_keystore *ks;
} fixture;

static const char *tiny_world =
    "name: t\nseed: 1\nduration: 10s\nprotocol: none\n"
    "topology:\n  generator: explicit\n"
    "  link: {latency: 5ms, bandwidth: 8kbps}\n"
    "  nodes: [{id: 1, role: smart_object}, {id: 2, role: source}]\n"
    "  links: [{a: 1, b: 2}]\n"
    "traffic: {interval: const(100s), size: 100B}\n";

static int fx_init(fixture *fx)
{
    char err[512];

    memset(fx, 0, sizeof *fx);
    fx->sc = scn_load_buffer("test.yaml", tiny_world, strlen(tiny_world),
                             NULL, 0, err, sizeof err);
    if (!fx->sc) {
        fprintf(stderr, "load failed: %s\n", err);
        return -1;
    }
    fx->w = sim_world_new(fx->sc, fx->sc->seed, err, sizeof err);
    if (!fx->w) {
        fprintf(stderr, "world failed: %s\n", err);
        return -1;
    }
    fx->ks = cry_keystore_new(42);
    return fx->ks ? 0 : -1;
}

static void fx_deinit(fixture *fx)
{
    cry_keystore_free(fx->ks);
    sim_world_free(fx->w);
    scn_free(fx->sc);
}

static int all_zero(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static uint32_t rd32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static uint64_t rd64(const unsigned char *b)
{
    return (uint64_t)rd32(b) | (uint64_t)rd32(b + 4) << 32;
}

static void ctl_pattern(unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(0xc0 + i);
}

static void data_pattern(unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(7 * i + 3);
}

/* A DATA message SRC -> DST with a key name and session set and both
 * parts filled with their patterns (nothing sealed). */
static sim_pkt *make_pkt(fixture *fx, uint32_t ctl, uint32_t data)
{
    sim_pkt *p = sim_pkt_new(fx->w, SIM_PKT_DATA, SRC, DST, 0x11223344u,
                             ctl, data);
    sim_pkt_set_key(p, UINT64_C(0x0102030405060708), 0x0a0b0c0du);
    ctl_pattern(sim_pkt_ctl(p), ctl);
    data_pattern(sim_pkt_data(p), data);
    return p;
}

/* A copy of p whose bytes past p->len are zero (so a tampered length that
 * stays inside the buffer reads defined bytes). */
static sim_pkt *clone0(fixture *fx, const sim_pkt *p)
{
    sim_pkt *q = sim_pkt_clone(fx->w, p);
    memset(q->buf + q->len, 0, q->cap - q->len);
    return q;
}

/* 1 if the control part is the plaintext pattern of n bytes. */
static int ctl_is_plain(sim_pkt *p, uint32_t n)
{
    unsigned char e[CTL_LEN];

    if (sim_pkt_ctl_len(p) != n || n > sizeof e)
        return 0;
    ctl_pattern(e, n);
    return memcmp(sim_pkt_ctl(p), e, n) == 0;
}

static int data_is_plain(sim_pkt *p, uint32_t n)
{
    unsigned char e[DATA_LEN];

    if (sim_pkt_data_len(p) != n || n > sizeof e)
        return 0;
    data_pattern(e, n);
    return memcmp(sim_pkt_data(p), e, n) == 0;
}

/* ------------------------------------------------------------- header */

static void test_hdr_round_trip(void)
{
    unsigned char b[SIM_HDR_BYTES], exp[SIM_HDR_BYTES];
    sim_hdr h, r;

    /* Byte i of the encoding is i + 1: every field, every byte distinct,
     * little-endian. */
    for (unsigned i = 0; i < SIM_HDR_BYTES; i++)
        exp[i] = (unsigned char)(i + 1);
    h.type = 0x01;
    h.flags = 0x02;
    h.hops = 0x0403;
    h.src = 0x08070605u;
    h.dst = 0x0c0b0a09u;
    h.seq = 0x100f0e0du;
    h.key_name = UINT64_C(0x1817161514131211);
    h.session = 0x1c1b1a19u;
    h.hop_from = 0x201f1e1du;
    h.ctl_ctr = UINT64_C(0x2827262524232221);
    h.data_ctr = UINT64_C(0x302f2e2d2c2b2a29);
    h.ctl_len = 0x34333231u;
    h.data_len = 0x38373635u;
    memset(b, 0xee, sizeof b);
    sim_hdr_write(b, &h);
    CU_ASSERT_EQUAL(memcmp(b, exp, sizeof b), 0);

    /* sim_hdr_read looks at the first SIM_HDR_BYTES only; the length
     * passed is what the part lengths claim. */
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, (size_t)SIM_HDR_BYTES +
                                 h.ctl_len + h.data_len), 0);
    CU_ASSERT_EQUAL(r.type, h.type);
    CU_ASSERT_EQUAL(r.flags, h.flags);
    CU_ASSERT_EQUAL(r.hops, h.hops);
    CU_ASSERT_EQUAL(r.src, h.src);
    CU_ASSERT_EQUAL(r.dst, h.dst);
    CU_ASSERT_EQUAL(r.seq, h.seq);
    CU_ASSERT_EQUAL(r.key_name, h.key_name);
    CU_ASSERT_EQUAL(r.session, h.session);
    CU_ASSERT_EQUAL(r.hop_from, h.hop_from);
    CU_ASSERT_EQUAL(r.ctl_ctr, h.ctl_ctr);
    CU_ASSERT_EQUAL(r.data_ctr, h.data_ctr);
    CU_ASSERT_EQUAL(r.ctl_len, h.ctl_len);
    CU_ASSERT_EQUAL(r.data_len, h.data_len);

    /* All ones and all zeros survive too. */
    memset(&h, 0xff, sizeof h);
    h.ctl_len = h.data_len = 0;
    sim_hdr_write(b, &h);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, SIM_HDR_BYTES), 0);
    CU_ASSERT_EQUAL(r.hops, 0xffff);
    CU_ASSERT_EQUAL(r.key_name, UINT64_MAX);
    CU_ASSERT_EQUAL(r.data_ctr, UINT64_MAX);
    CU_ASSERT_EQUAL(r.hop_from, UINT32_MAX);
}

static void test_hdr_read_rejects(void)
{
    unsigned char b[SIM_HDR_BYTES + 105];
    sim_hdr h, r;

    memset(&h, 0, sizeof h);
    h.type = SIM_PKT_DATA;
    h.ctl_len = 5;
    h.data_len = 100;
    memset(b, 0, sizeof b);
    sim_hdr_write(b, &h);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, sizeof b), 0);
    /* Too short for a header. */
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, 0), -1);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, SIM_HDR_BYTES - 1), -1);
    /* Parts that do not add up to the bytes received, either way. */
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, sizeof b - 1), -1);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, sizeof b + 1), -1);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, SIM_HDR_BYTES), -1);
    h.ctl_len = 6;
    sim_hdr_write(b, &h);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, sizeof b), -1);
    h.ctl_len = 4;
    sim_hdr_write(b, &h);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, sizeof b), -1);
    /* A sum that wraps in 32 bits is not taken for a small one. */
    h.ctl_len = UINT32_MAX;
    h.data_len = 106;              /* 2^32 + 105 */
    sim_hdr_write(b, &h);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, sizeof b), -1);
    /* A bare header: both parts empty. */
    h.ctl_len = h.data_len = 0;
    sim_hdr_write(b, &h);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, SIM_HDR_BYTES), 0);
    CU_ASSERT_EQUAL(sim_hdr_read(&r, b, SIM_HDR_BYTES + 1), -1);
}

static void test_pkt_accessors(void)
{
    fixture fx;
    sim_pkt *p;
    sim_hdr h;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_EQUAL(p->len, SIM_HDR_BYTES + CTL_LEN + DATA_LEN);
    CU_ASSERT(p->cap >= p->len + 2 * CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(sim_pkt_flags(p), 0);
    CU_ASSERT_EQUAL(sim_pkt_key_name(p), UINT64_C(0x0102030405060708));
    CU_ASSERT_EQUAL(sim_pkt_session(p), 0x0a0b0c0du);
    CU_ASSERT_EQUAL(sim_pkt_ctl_len(p), CTL_LEN);
    CU_ASSERT_EQUAL(sim_pkt_data_len(p), DATA_LEN);
    CU_ASSERT_PTR_EQUAL(sim_pkt_ctl(p), p->buf + SIM_HDR_BYTES);
    CU_ASSERT_PTR_EQUAL(sim_pkt_data(p), p->buf + SIM_HDR_BYTES + CTL_LEN);
    CU_ASSERT_EQUAL(sim_hdr_read(&h, p->buf, p->len), 0);
    CU_ASSERT_EQUAL(h.type, SIM_PKT_DATA);
    CU_ASSERT_EQUAL(h.src, SRC);
    CU_ASSERT_EQUAL(h.dst, DST);
    CU_ASSERT_EQUAL(h.seq, 0x11223344u);
    CU_ASSERT_EQUAL(h.hop_from, SRC);
    CU_ASSERT_EQUAL(h.hops, 0);
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

/* ----------------------------------------------------- seal and open */

static void test_seal_open_round_trip(void)
{
    fixture fx;
    sim_pkt *p;
    cry_key kc, kd, rc, rd;
    unsigned char plain[DATA_LEN];
    uint32_t len0;
    sim_hdr h;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    kc = cry_key_generate(fx.ks, SRC, 0, NULL);
    kd = cry_key_generate(fx.ks, SRC, 1, NULL);
    rc = cry_key_copy(fx.ks, kc);            /* the receiver's handles */
    rd = cry_key_copy(fx.ks, kd);
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    len0 = p->len;
    data_pattern(plain, sizeof plain);

    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, kd, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_flags(p), SIM_F_DATA_SEALED);
    CU_ASSERT_EQUAL(sim_pkt_ctl_len(p), CTL_LEN);
    CU_ASSERT_EQUAL(sim_pkt_data_len(p), DATA_LEN + CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(p->len, len0 + CRY_TAG_BYTES);
    CU_ASSERT(ctl_is_plain(p, CTL_LEN));
    CU_ASSERT_NOT_EQUAL(memcmp(sim_pkt_data(p), plain, DATA_LEN), 0);

    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_flags(p), SIM_F_CTL_SEALED | SIM_F_DATA_SEALED);
    CU_ASSERT_EQUAL(sim_pkt_ctl_len(p), CTL_LEN + CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(sim_pkt_data_len(p), DATA_LEN + CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(p->len, len0 + 2 * CRY_TAG_BYTES);
    CU_ASSERT_PTR_EQUAL(sim_pkt_data(p),
                        p->buf + SIM_HDR_BYTES + CTL_LEN + CRY_TAG_BYTES);
    /* The sealed message is well formed and keeps its identity. */
    CU_ASSERT_EQUAL(sim_hdr_read(&h, p->buf, p->len), 0);
    CU_ASSERT_EQUAL(h.src, SRC);
    CU_ASSERT_EQUAL(h.dst, DST);
    CU_ASSERT_EQUAL(h.hop_from, SRC);
    CU_ASSERT_EQUAL(sim_pkt_key_name(p), UINT64_C(0x0102030405060708));
    CU_ASSERT_EQUAL(sim_pkt_session(p), 0x0a0b0c0du);

    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, rc, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_flags(p), SIM_F_DATA_SEALED);
    CU_ASSERT(ctl_is_plain(p, CTL_LEN));
    CU_ASSERT_EQUAL(p->len, len0 + CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, rd, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_flags(p), 0);
    CU_ASSERT(data_is_plain(p, DATA_LEN));
    CU_ASSERT(ctl_is_plain(p, CTL_LEN));
    CU_ASSERT_EQUAL(p->len, len0);
    CU_ASSERT_EQUAL(sim_hdr_read(&h, p->buf, p->len), 0);
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

/* Expected outcome of opening a part after a header change: opens;
 * fails authentication and is wiped; refused before any decryption
 * (not sealed, or part lengths that do not describe the message). */
enum { OPENS, FAILS_WIPED, FAILS_UNSEALED };

/* Opens the control part of q and checks the outcome. */
static void check_open_ctl(fixture *fx, sim_pkt *q, cry_key k, int expect,
                           unsigned byte, unsigned mask)
{
    uint32_t clen = sim_pkt_ctl_len(q), len = q->len;
    int rc = sim_pkt_open_ctl(q, fx->ks, k, NULL);

    switch (expect) {
    case OPENS:
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT(ctl_is_plain(q, CTL_LEN));
        break;
    case FAILS_WIPED:
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT(all_zero(sim_pkt_ctl(q), clen - CRY_TAG_BYTES));
        CU_ASSERT_EQUAL(q->len, len);
        break;
    default:
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_EQUAL(q->len, len);
        break;
    }
    if ((rc == 0) != (expect == OPENS))
        fprintf(stderr, "\nheader byte %u ^ 0x%02x: control open %d\n", byte,
                mask, rc);
}

static void check_open_data(fixture *fx, sim_pkt *q, cry_key k, int expect,
                            unsigned byte, unsigned mask)
{
    uint32_t dlen = sim_pkt_data_len(q), len = q->len;
    int rc = sim_pkt_open_data(q, fx->ks, k, NULL);

    switch (expect) {
    case OPENS:
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT(data_is_plain(q, DATA_LEN));
        break;
    case FAILS_WIPED:
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT(all_zero(sim_pkt_data(q), dlen - CRY_TAG_BYTES));
        CU_ASSERT_EQUAL(q->len, len);
        break;
    default:
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_EQUAL(q->len, len);
        break;
    }
    if ((rc == 0) != (expect == OPENS))
        fprintf(stderr, "\nheader byte %u ^ 0x%02x: data open %d\n", byte,
                mask, rc);
}

/* Header bytes in the data part's associated data: type, src, dst, seq,
 * key name, session, data counter, data length. */
static int in_data_ad(unsigned i)
{
    return i == 0 || (i >= 4 && i < 28) || (i >= 40 && i < 48) || i >= 52;
}

static void test_tamper_header(void)
{
    static const unsigned masks[] = {0x01, 0x80, 0xff};
    fixture fx;
    sim_pkt *p;
    cry_key kc, kd, rc, rd;
    unsigned tried_len = 0;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    kc = cry_key_generate(fx.ks, SRC, 0, NULL);
    kd = cry_key_generate(fx.ks, SRC, 1, NULL);
    rc = cry_key_copy(fx.ks, kc);
    rd = cry_key_copy(fx.ks, kd);
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_FATAL(sim_pkt_seal_data(p, fx.ks, kd, NULL) == 0);
    CU_ASSERT_FATAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL) == 0);

    for (unsigned i = 0; i < SIM_HDR_BYTES; i++) {
        for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
            sim_pkt *q = clone0(&fx, p);
            int ec, ed;
            sim_hdr h;

            q->buf[i] ^= (unsigned char)masks[m];
            if (i >= 48) {
                /* A changed part length never adds up: a receiver that
                 * checks the header drops the message before opening. */
                CU_ASSERT_EQUAL(sim_hdr_read(&h, q->buf, q->len), -1);
                /* The opens refuse such lengths before decrypting (see
                 * the length test below); only lengths that stay inside
                 * the buffer are tried here. */
                if ((uint64_t)SIM_HDR_BYTES + sim_pkt_ctl_len(q) +
                    sim_pkt_data_len(q) > q->cap) {
                    sim_pkt_free(fx.w, q);
                    continue;
                }
                tried_len++;
            } else {
                CU_ASSERT_EQUAL(sim_hdr_read(&h, q->buf, q->len), 0);
            }
            if (i == 2 || i == 3)
                ec = OPENS;                 /* hops: in neither AD */
            else if ((i == 1 && !(q->buf[1] & SIM_F_CTL_SEALED)) || i >= 48)
                ec = FAILS_UNSEALED;        /* refused before decrypting */
            else
                ec = FAILS_WIPED;
            if ((i == 1 && !(q->buf[1] & SIM_F_DATA_SEALED)) || i >= 48)
                ed = FAILS_UNSEALED;
            else if (in_data_ad(i))
                ed = FAILS_WIPED;
            else
                ed = OPENS;
            check_open_ctl(&fx, q, rc, ec, i, masks[m]);
            check_open_data(&fx, q, rd, ed, i, masks[m]);
            sim_pkt_free(fx.w, q);
        }
    }
    CU_ASSERT(tried_len >= 2);   /* low bytes of both lengths, ^ 0x01 */

    /* Any hop count: both parts open. */
    for (unsigned v = 0; v < 0x10000u; v += 0x1111u) {
        sim_pkt *q = clone0(&fx, p);
        q->buf[2] = (unsigned char)v;
        q->buf[3] = (unsigned char)(v >> 8);
        CU_ASSERT_EQUAL(sim_pkt_hops(q), v);
        CU_ASSERT_EQUAL(sim_pkt_open_ctl(q, fx.ks, rc, NULL), 0);
        CU_ASSERT_EQUAL(sim_pkt_open_data(q, fx.ks, rd, NULL), 0);
        CU_ASSERT(ctl_is_plain(q, CTL_LEN));
        CU_ASSERT(data_is_plain(q, DATA_LEN));
        CU_ASSERT_EQUAL(sim_pkt_hops(q), v);
        sim_pkt_free(fx.w, q);
    }
    /* The original is intact. */
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, rc, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, rd, NULL), 0);
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

static void test_tamper_ciphertext(void)
{
    static const unsigned masks[] = {0x01, 0x80};
    fixture fx;
    sim_pkt *p;
    cry_key kc, kd, rc, rd;
    const uint32_t clen = CTL_LEN + CRY_TAG_BYTES;
    const uint32_t dlen = DATA_LEN + CRY_TAG_BYTES;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    kc = cry_key_generate(fx.ks, SRC, 0, NULL);
    kd = cry_key_generate(fx.ks, SRC, 1, NULL);
    rc = cry_key_copy(fx.ks, kc);
    rd = cry_key_copy(fx.ks, kd);
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_FATAL(sim_pkt_seal_data(p, fx.ks, kd, NULL) == 0);
    CU_ASSERT_FATAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL) == 0);

    /* Control ciphertext and tag: the control part fails and is wiped;
     * the data part is unaffected. */
    for (uint32_t j = 0; j < clen; j++) {
        for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
            sim_pkt *q = clone0(&fx, p);
            sim_pkt_ctl(q)[j] ^= (unsigned char)masks[m];
            CU_ASSERT_EQUAL(sim_pkt_open_ctl(q, fx.ks, rc, NULL), -1);
            CU_ASSERT(all_zero(sim_pkt_ctl(q), CTL_LEN));
            CU_ASSERT_EQUAL(sim_pkt_flags(q),
                            SIM_F_CTL_SEALED | SIM_F_DATA_SEALED);
            CU_ASSERT_EQUAL(sim_pkt_open_data(q, fx.ks, rd, NULL), 0);
            CU_ASSERT(data_is_plain(q, DATA_LEN));
            sim_pkt_free(fx.w, q);
        }
    }
    /* Data ciphertext and tag: the data part fails and is wiped; the
     * control part opens. */
    for (uint32_t j = 0; j < dlen; j++) {
        for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
            sim_pkt *q = clone0(&fx, p);
            sim_pkt_data(q)[j] ^= (unsigned char)masks[m];
            CU_ASSERT_EQUAL(sim_pkt_open_ctl(q, fx.ks, rc, NULL), 0);
            CU_ASSERT(ctl_is_plain(q, CTL_LEN));
            CU_ASSERT_EQUAL(sim_pkt_open_data(q, fx.ks, rd, NULL), -1);
            CU_ASSERT(all_zero(sim_pkt_data(q), DATA_LEN));
            CU_ASSERT_EQUAL(sim_pkt_flags(q), SIM_F_DATA_SEALED);
            sim_pkt_free(fx.w, q);
        }
    }
    /* Truncated by one byte (lengths rewritten to agree): both fail. */
    {
        sim_pkt *q = clone0(&fx, p);
        unsigned char *b = q->buf + 52;
        uint32_t d = dlen - 1;
        b[0] = (unsigned char)d;
        b[1] = (unsigned char)(d >> 8);
        b[2] = b[3] = 0;
        q->len--;
        CU_ASSERT_EQUAL(sim_pkt_open_ctl(q, fx.ks, rc, NULL), -1);
        CU_ASSERT_EQUAL(sim_pkt_open_data(q, fx.ks, rd, NULL), -1);
        sim_pkt_free(fx.w, q);
    }
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

/* A part length changed on the way (e.g. by an attacker tap) must not
 * make the opens read or wipe past the message: they check the header's
 * lengths against p->len first.  Here the control length is raised so
 * that an unchecked wipe would stay inside the buffer but go past
 * p->len. */
static void test_tamper_length_bounds(void)
{
    fixture fx;
    sim_pkt *p;
    cry_key kc, kd, rc;
    uint32_t bad;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    kc = cry_key_generate(fx.ks, SRC, 0, NULL);
    kd = cry_key_generate(fx.ks, SRC, 1, NULL);
    rc = cry_key_copy(fx.ks, kc);
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_FATAL(sim_pkt_seal_data(p, fx.ks, kd, NULL) == 0);
    CU_ASSERT_FATAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL) == 0);
    memset(p->buf + p->len, 0xa5, p->cap - p->len);
    bad = p->cap - SIM_HDR_BYTES;        /* reaches the end of the buffer */
    p->buf[48] = (unsigned char)bad;
    p->buf[49] = (unsigned char)(bad >> 8);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, rc, NULL), -1);
    /* Nothing past the message may be touched. */
    {
        uint32_t touched = 0;
        for (uint32_t i = p->len; i < p->cap; i++)
            touched += p->buf[i] != 0xa5;
        CU_ASSERT_EQUAL(touched, 0);
    }
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

/* ------------------------------------------------------- hop by hop */

/* Uses up sender's first n counters under k (as its earlier messages
 * would). */
static void burn_counters(cry_keystore *ks, cry_key k, uint32_t sender,
                          uint64_t n)
{
    unsigned char c[CRY_TAG_BYTES];

    CU_ASSERT_EQUAL(cry_seal(ks, k, sender, n - 1, NULL, 0, NULL, 0, c,
                             NULL), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(ks, k, sender), n);
}

static void test_hop_by_hop(void)
{
    fixture fx;
    sim_pkt *p;
    cry_key kc_src, kc_mid, kc_dst, kd_src, kd_dst;
    unsigned char data_ct[DATA_LEN + CRY_TAG_BYTES];
    uint64_t pred;
    sim_hdr h;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    /* One channel key held by three nodes (each its own handle, one
     * counter per sender under the value); one end-to-end key held by the
     * two ends. */
    kc_src = cry_key_generate(fx.ks, SRC, 0, NULL);
    kc_mid = cry_key_copy(fx.ks, kc_src);
    kc_dst = cry_key_copy(fx.ks, kc_src);
    kd_src = cry_key_generate(fx.ks, SRC, 1, NULL);
    kd_dst = cry_key_copy(fx.ks, kd_src);
    burn_counters(fx.ks, kc_src, SRC, 3);
    burn_counters(fx.ks, kc_mid, MID, 11);
    burn_counters(fx.ks, kd_src, SRC, 7);

    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    pred = cry_key_next_counter(fx.ks, kd_src, SRC);
    CU_ASSERT_EQUAL(pred, 7);
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, kd_src, NULL), 0);
    CU_ASSERT_EQUAL(rd64(p->buf + 40), pred);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, kd_src, SRC), pred + 1);
    pred = cry_key_next_counter(fx.ks, kc_src, SRC);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, kc_src, SRC, NULL), 0);
    CU_ASSERT_EQUAL(rd64(p->buf + 32), pred);
    CU_ASSERT_EQUAL(rd32(p->buf + 28), SRC);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, kc_src, SRC), pred + 1);
    memcpy(data_ct, sim_pkt_data(p), sizeof data_ct);

    /* At MID: open, change the routing part, count the hop, re-seal as
     * MID with MID's handle. */
    p->buf[2] = 1;
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, kc_mid, NULL), 0);
    CU_ASSERT(ctl_is_plain(p, CTL_LEN));
    sim_pkt_ctl(p)[0] ^= 0x5a;
    pred = cry_key_next_counter(fx.ks, kc_mid, MID);
    CU_ASSERT_EQUAL(pred, 11);          /* after MID's own 11: SRC's seals */
                                        /*   leave no gap in MID's         */
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, kc_mid, MID, NULL), 0);
    CU_ASSERT_EQUAL(rd64(p->buf + 32), pred);
    CU_ASSERT_EQUAL(rd32(p->buf + 28), MID);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, kc_mid, MID), pred + 1);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, kc_src, SRC), 4);
    CU_ASSERT_EQUAL(sim_hdr_read(&h, p->buf, p->len), 0);
    CU_ASSERT_EQUAL(h.src, SRC);              /* the source stays */
    CU_ASSERT_EQUAL(h.data_ctr, 7);
    CU_ASSERT_EQUAL(sim_pkt_flags(p), SIM_F_CTL_SEALED | SIM_F_DATA_SEALED);
    /* The data part was forwarded as is. */
    CU_ASSERT_EQUAL(memcmp(sim_pkt_data(p), data_ct, sizeof data_ct), 0);

    /* At DST: the control part opens with DST's handle and shows MID's
     * change; the data part opens end to end. */
    p->buf[2] = 2;
    {
        sim_pkt *q = clone0(&fx, p);
        /* Claiming the hop came from SRC breaks the control part. */
        q->buf[28] = (unsigned char)SRC;
        CU_ASSERT_EQUAL(sim_pkt_open_ctl(q, fx.ks, kc_dst, NULL), -1);
        sim_pkt_free(fx.w, q);
    }
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, kc_dst, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_ctl(p)[0], 0xc0 ^ 0x5a);
    CU_ASSERT_EQUAL(memcmp(sim_pkt_ctl(p) + 1, "\xc1\xc2\xc3\xc4", 4), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, kd_dst, NULL), 0);
    CU_ASSERT(data_is_plain(p, DATA_LEN));
    CU_ASSERT_EQUAL(sim_pkt_flags(p), 0);
    CU_ASSERT_EQUAL(sim_pkt_hops(p), 2);
    CU_ASSERT_EQUAL(p->len, SIM_HDR_BYTES + CTL_LEN + DATA_LEN);
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

/* ----------------------------------------------------------- nonces */

static void test_nonce_counters(void)
{
    fixture fx;
    sim_pkt *p, *q;
    cry_key k, a, b, r;
    uint64_t c1, c2;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    k = cry_key_generate(fx.ks, 3, 0, NULL);
    a = cry_key_copy(fx.ks, k);
    b = cry_key_copy(fx.ks, k);
    r = cry_key_copy(fx.ks, k);

    /* One holder sealing twice: increasing counters. */
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, a, 10, NULL), 0);
    c1 = rd64(p->buf + 32);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, r, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, a, 10, NULL), 0);
    c2 = rd64(p->buf + 32);
    CU_ASSERT(c2 > c1);
    CU_ASSERT_EQUAL(c1, 0);
    CU_ASSERT_EQUAL(c2, 1);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, r, NULL), 0);
    CU_ASSERT(ctl_is_plain(p, CTL_LEN));
    /* The data part under the same handle is sealed as the source (SRC,
     * not hop sender 10): SRC's own sequence, from 0. */
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, a, NULL), 0);
    CU_ASSERT_EQUAL(rd64(p->buf + 40), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, a, SRC), 1);
    sim_pkt_free(fx.w, p);

    /* Two more holders of the same value, other hop senders: one counter
     * per (value, sender), so each starts at 0 (the nonces (20, 0) and
     * (21, 0) differ from a's (10, 0) by the sender) and a's seals left no
     * gap in theirs; the same sender through another handle goes on. */
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    q = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, b, 20), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, b, 10), 2);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, b, SRC), 1);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, b, 20, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(q, fx.ks, k, 21, NULL), 0);
    CU_ASSERT_EQUAL(rd64(p->buf + 32), 0);
    CU_ASSERT_EQUAL(rd64(q->buf + 32), 0);
    CU_ASSERT_EQUAL(rd32(p->buf + 28), 20);
    CU_ASSERT_EQUAL(rd32(q->buf + 28), 21);
    CU_ASSERT_NOT_EQUAL(memcmp(p->buf + 28, q->buf + 28, 12), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(sim_pkt_ctl(p), sim_pkt_ctl(q), CTL_LEN), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, r, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(q, fx.ks, r, NULL), 0);
    CU_ASSERT(ctl_is_plain(p, CTL_LEN));
    CU_ASSERT(ctl_is_plain(q, CTL_LEN));
    sim_pkt_free(fx.w, p);
    sim_pkt_free(fx.w, q);
    fx_deinit(&fx);
}

/* ---------------------------------------------------------- refusals */

static void test_refusals(void)
{
    fixture fx;
    sim_pkt *p;
    cry_key k, r;
    unsigned char before[SIM_HDR_BYTES + CTL_LEN + DATA_LEN +
                         2 * CRY_TAG_BYTES];
    uint32_t len;
    uint64_t ctr;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    k = cry_key_generate(fx.ks, 4, 0, NULL);
    r = cry_key_copy(fx.ks, k);
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);

    /* Opening what is not sealed: refused, nothing changed. */
    len = p->len;
    memcpy(before, p->buf, len);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, r, NULL), -1);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, r, NULL), -1);
    CU_ASSERT_EQUAL(p->len, len);
    CU_ASSERT_EQUAL(memcmp(p->buf, before, len), 0);

    /* Sealing what is sealed: refused, nothing changed, no counter
     * used. */
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, k, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, k, SRC, NULL), 0);
    len = p->len;
    ctr = cry_key_next_counter(fx.ks, k, SRC);
    memcpy(before, p->buf, len);
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, k, NULL), -1);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, k, SRC, NULL), -1);
    CU_ASSERT_EQUAL(p->len, len);
    CU_ASSERT_EQUAL(memcmp(p->buf, before, len), 0);
    CU_ASSERT_EQUAL(cry_key_next_counter(fx.ks, k, SRC), ctr);
    /* One part open, the other still sealed. */
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, r, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, r, NULL), -1);
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, k, NULL), -1);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, r, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, r, NULL), -1);
    CU_ASSERT(ctl_is_plain(p, CTL_LEN));
    CU_ASSERT(data_is_plain(p, DATA_LEN));
    sim_pkt_free(fx.w, p);

    /* A key that refuses its counter (exhausted): seal fails and leaves
     * the parts, lengths, flags and p->len as they were. */
    {
        cry_key x = cry_key_generate(fx.ks, 4, 1, NULL);
        unsigned char c[CRY_TAG_BYTES];

        CU_ASSERT_EQUAL(cry_seal(fx.ks, x, SRC, UINT64_MAX - 1, NULL, 0,
                                 NULL, 0, c, NULL), 0);
        CU_ASSERT_EQUAL(cry_seal(fx.ks, x, MID, UINT64_MAX - 1, NULL, 0,
                                 NULL, 0, c, NULL), 0);
        p = make_pkt(&fx, CTL_LEN, DATA_LEN);
        len = p->len;
        CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, x, NULL), -1);
        CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, x, MID, NULL), -1);
        CU_ASSERT_EQUAL(p->len, len);
        CU_ASSERT_EQUAL(sim_pkt_flags(p), 0);
        CU_ASSERT(ctl_is_plain(p, CTL_LEN));
        CU_ASSERT(data_is_plain(p, DATA_LEN));
        /* And the message can still be sealed with a good key. */
        CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, k, NULL), 0);
        CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, k, SRC, NULL), 0);
        CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, r, NULL), 0);
        CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, r, NULL), 0);
        CU_ASSERT(data_is_plain(p, DATA_LEN));
        sim_pkt_free(fx.w, p);
    }
    fx_deinit(&fx);
}

static void test_empty_ctl(void)
{
    fixture fx;
    sim_pkt *p;
    cry_key kc, kd, rc, rd;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    kc = cry_key_generate(fx.ks, 5, 0, NULL);
    kd = cry_key_generate(fx.ks, 5, 1, NULL);
    rc = cry_key_copy(fx.ks, kc);
    rd = cry_key_copy(fx.ks, kd);

    p = make_pkt(&fx, 0, DATA_LEN);
    CU_ASSERT_EQUAL(sim_pkt_ctl_len(p), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, kd, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_ctl_len(p), CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(p->len, SIM_HDR_BYTES + DATA_LEN + 2 * CRY_TAG_BYTES);
    {
        sim_pkt *q = clone0(&fx, p);
        sim_pkt_ctl(q)[3] ^= 0x10;              /* the tag alone */
        CU_ASSERT_EQUAL(sim_pkt_open_ctl(q, fx.ks, rc, NULL), -1);
        sim_pkt_free(fx.w, q);
    }
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, rc, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_ctl_len(p), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, rd, NULL), 0);
    CU_ASSERT(data_is_plain(p, DATA_LEN));
    CU_ASSERT_EQUAL(p->len, SIM_HDR_BYTES + DATA_LEN);
    CU_ASSERT_EQUAL(sim_pkt_flags(p), 0);
    sim_pkt_free(fx.w, p);

    /* A bare header: both parts empty, both seal to a tag and back. */
    p = make_pkt(&fx, 0, 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, kd, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL), 0);
    CU_ASSERT_EQUAL(p->len, SIM_HDR_BYTES + 2 * CRY_TAG_BYTES);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, rc, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, rd, NULL), 0);
    CU_ASSERT_EQUAL(p->len, SIM_HDR_BYTES);
    CU_ASSERT_EQUAL(sim_pkt_ctl_len(p), 0);
    CU_ASSERT_EQUAL(sim_pkt_data_len(p), 0);
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

static void test_wrong_key(void)
{
    fixture fx;
    sim_pkt *p;
    cry_key kc, kd, other;

    CU_ASSERT_FATAL(fx_init(&fx) == 0);
    kc = cry_key_generate(fx.ks, 6, 0, NULL);
    kd = cry_key_generate(fx.ks, 6, 1, NULL);
    other = cry_key_generate(fx.ks, 6, 2, NULL);
    CU_ASSERT_FALSE(cry_key_equal(fx.ks, kc, other));
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, kd, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, other, NULL), -1);
    CU_ASSERT(all_zero(sim_pkt_ctl(p), CTL_LEN));
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, other, NULL), -1);
    CU_ASSERT(all_zero(sim_pkt_data(p), DATA_LEN));
    CU_ASSERT_EQUAL(sim_pkt_flags(p), SIM_F_CTL_SEALED | SIM_F_DATA_SEALED);
    /* Each part's key does not open the other part either. */
    sim_pkt_free(fx.w, p);
    p = make_pkt(&fx, CTL_LEN, DATA_LEN);
    CU_ASSERT_EQUAL(sim_pkt_seal_data(p, fx.ks, kd, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_seal_ctl(p, fx.ks, kc, SRC, NULL), 0);
    CU_ASSERT_EQUAL(sim_pkt_open_data(p, fx.ks, kc, NULL), -1);
    CU_ASSERT_EQUAL(sim_pkt_open_ctl(p, fx.ks, kd, NULL), -1);
    sim_pkt_free(fx.w, p);
    fx_deinit(&fx);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("wire", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_hdr_round_trip);
    CUTEST_ADD(s, test_hdr_read_rejects);
    CUTEST_ADD(s, test_pkt_accessors);
    CUTEST_ADD(s, test_seal_open_round_trip);
    CUTEST_ADD(s, test_tamper_header);
    CUTEST_ADD(s, test_tamper_ciphertext);
    CUTEST_ADD(s, test_tamper_length_bounds);
    CUTEST_ADD(s, test_hop_by_hop);
    CUTEST_ADD(s, test_nonce_counters);
    CUTEST_ADD(s, test_refusals);
    CUTEST_ADD(s, test_empty_ctl);
    CUTEST_ADD(s, test_wrong_key);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
