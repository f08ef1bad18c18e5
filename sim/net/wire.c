/* wire.c — header encoding and sealing/opening of a message's control and
 * data parts (layout and associated data in wire.h). */
#include <assert.h>
#include <string.h>
#include "wire.h"
#include "world.h"

void sim_hdr_write(unsigned char *b, const sim_hdr *h)
{
    b[0] = h->type;
    b[1] = h->flags;
    sim_put16(b + 2, h->hops);
    sim_put32(b + 4, h->src);
    sim_put32(b + 8, h->dst);
    sim_put32(b + 12, h->seq);
    sim_put64(b + 16, h->key_name);
    sim_put32(b + 24, h->session);
    sim_put32(b + 28, h->hop_from);
    sim_put64(b + 32, h->ctl_ctr);
    sim_put64(b + 40, h->data_ctr);
    sim_put32(b + 48, h->ctl_len);
    sim_put32(b + 52, h->data_len);
}

int sim_hdr_read(sim_hdr *h, const unsigned char *b, size_t len)
{
    if (len < SIM_HDR_BYTES)
        return -1;
    h->type = b[0];
    h->flags = b[1];
    h->hops = (uint16_t)(b[2] | b[3] << 8);
    h->src = sim_get32(b + 4);
    h->dst = sim_get32(b + 8);
    h->seq = sim_get32(b + 12);
    h->key_name = sim_get64(b + 16);
    h->session = sim_get32(b + 24);
    h->hop_from = sim_get32(b + 28);
    h->ctl_ctr = sim_get64(b + 32);
    h->data_ctr = sim_get64(b + 40);
    h->ctl_len = sim_get32(b + 48);
    h->data_len = sim_get32(b + 52);
    if ((uint64_t)h->ctl_len + h->data_len != len - SIM_HDR_BYTES)
        return -1;
    return 0;
}

uint8_t sim_pkt_flags(const sim_pkt *p) { return p->buf[1]; }
uint64_t sim_pkt_key_name(const sim_pkt *p) { return sim_get64(p->buf + 16); }
uint32_t sim_pkt_session(const sim_pkt *p) { return sim_get32(p->buf + 24); }
uint32_t sim_pkt_ctl_len(const sim_pkt *p) { return sim_get32(p->buf + 48); }
uint32_t sim_pkt_data_len(const sim_pkt *p) { return sim_get32(p->buf + 52); }
uint32_t sim_pkt_hop_from(const sim_pkt *p) { return sim_get32(p->buf + 28); }
unsigned char *sim_pkt_ctl(sim_pkt *p) { return p->buf + SIM_HDR_BYTES; }

unsigned char *sim_pkt_data(sim_pkt *p)
{
    return p->buf + SIM_HDR_BYTES + sim_pkt_ctl_len(p);
}

void sim_pkt_set_key(sim_pkt *p, uint64_t key_name, uint32_t session)
{
    sim_put64(p->buf + 16, key_name);
    sim_put32(p->buf + 24, session);
}

static sim_open_hook open_hook;
static void *open_hook_ctx;

void sim_wire_set_open_hook(sim_open_hook fn, void *ctx)
{
    open_hook = fn;
    open_hook_ctx = ctx;
}

/* 1 if the header's part lengths describe exactly the packet's bytes
 * (a tampered length must never make an open read or wipe past them). */
static int lengths_ok(const sim_pkt *p)
{
    return p->len >= SIM_HDR_BYTES &&
           (uint64_t)sim_pkt_ctl_len(p) + sim_pkt_data_len(p) ==
               p->len - SIM_HDR_BYTES;
}

/* Associated data of the control part: the header with hops zeroed. */
static void ctl_ad(const sim_pkt *p, unsigned char ad[SIM_HDR_BYTES])
{
    memcpy(ad, p->buf, SIM_HDR_BYTES);
    sim_put16(ad + 2, 0);
}

/* Associated data of the data part: what no hop changes. */
#define DATA_AD_BYTES 37u
static void data_ad(const sim_pkt *p, unsigned char ad[DATA_AD_BYTES])
{
    ad[0] = p->buf[0];                      /* type        */
    memcpy(ad + 1, p->buf + 4, 12);         /* src dst seq */
    memcpy(ad + 13, p->buf + 16, 12);       /* name sess   */
    memcpy(ad + 25, p->buf + 40, 8);        /* data ctr    */
    memcpy(ad + 33, p->buf + 52, 4);        /* data length */
}

int sim_pkt_seal_ctl(sim_pkt *p, cry_keystore *ks, cry_key k,
                     uint32_t hop_from, cry_ops *ops)
{
    uint32_t clen = sim_pkt_ctl_len(p), dlen = sim_pkt_data_len(p);
    unsigned char ad[SIM_HDR_BYTES], *ctl = sim_pkt_ctl(p);
    uint64_t ctr = cry_key_next_counter(ks, k, hop_from);

    unsigned char saved[SIM_HDR_BYTES];

    if ((p->buf[1] & SIM_F_CTL_SEALED) || p->len + CRY_TAG_BYTES > p->cap ||
        !lengths_ok(p))
        return -1;
    memcpy(saved, p->buf, SIM_HDR_BYTES);
    /* Header first: the sealed length and nonce are authenticated. */
    p->buf[1] |= SIM_F_CTL_SEALED;
    sim_put32(p->buf + 28, hop_from);
    sim_put64(p->buf + 32, ctr);
    sim_put32(p->buf + 48, clen + CRY_TAG_BYTES);
    memmove(ctl + clen + CRY_TAG_BYTES, ctl + clen, dlen);
    ctl_ad(p, ad);
    if (cry_seal(ks, k, hop_from, ctr, ad, sizeof ad, ctl, clen, ctl,
                 ops) != 0) {
        memmove(ctl + clen, ctl + clen + CRY_TAG_BYTES, dlen);
        memcpy(p->buf, saved, SIM_HDR_BYTES);
        return -1;
    }
    p->len += CRY_TAG_BYTES;
    return 0;
}

int sim_pkt_open_ctl(sim_pkt *p, const cry_keystore *ks, cry_key k,
                     cry_ops *ops)
{
    uint32_t clen = sim_pkt_ctl_len(p), dlen = sim_pkt_data_len(p);
    unsigned char ad[SIM_HDR_BYTES], *ctl = sim_pkt_ctl(p);

    if (!(p->buf[1] & SIM_F_CTL_SEALED) || clen < CRY_TAG_BYTES ||
        !lengths_ok(p))
        return -1;
    ctl_ad(p, ad);
    if (cry_open(ks, k, sim_get32(p->buf + 28), sim_get64(p->buf + 32), ad,
                 sizeof ad, ctl, clen, ctl, ops) != 0)
        return -1;
    memmove(ctl + clen - CRY_TAG_BYTES, ctl + clen, dlen);
    sim_put32(p->buf + 48, clen - CRY_TAG_BYTES);
    p->buf[1] &= (unsigned char)~SIM_F_CTL_SEALED;
    p->len -= CRY_TAG_BYTES;
    if (open_hook)
        open_hook(open_hook_ctx, 0, ctl, clen - CRY_TAG_BYTES);
    return 0;
}

int sim_pkt_seal_data(sim_pkt *p, cry_keystore *ks, cry_key k, cry_ops *ops)
{
    uint32_t dlen = sim_pkt_data_len(p);
    unsigned char ad[DATA_AD_BYTES], *data = sim_pkt_data(p);
    uint64_t ctr = cry_key_next_counter(ks, k, sim_get32(p->buf + 4));

    /* The data part is last: the tag goes at the end of the message. */
    unsigned char saved[SIM_HDR_BYTES];

    if ((p->buf[1] & SIM_F_DATA_SEALED) || p->len + CRY_TAG_BYTES > p->cap ||
        !lengths_ok(p))
        return -1;
    memcpy(saved, p->buf, SIM_HDR_BYTES);
    p->buf[1] |= SIM_F_DATA_SEALED;
    sim_put64(p->buf + 40, ctr);
    sim_put32(p->buf + 52, dlen + CRY_TAG_BYTES);
    data_ad(p, ad);
    if (cry_seal(ks, k, sim_get32(p->buf + 4), ctr, ad, sizeof ad, data, dlen,
                 data, ops) != 0) {
        memcpy(p->buf, saved, SIM_HDR_BYTES);
        return -1;
    }
    p->len += CRY_TAG_BYTES;
    return 0;
}

int sim_pkt_open_data(sim_pkt *p, const cry_keystore *ks, cry_key k,
                      cry_ops *ops)
{
    uint32_t dlen = sim_pkt_data_len(p);
    unsigned char ad[DATA_AD_BYTES], *data = sim_pkt_data(p);

    if (!(p->buf[1] & SIM_F_DATA_SEALED) || dlen < CRY_TAG_BYTES ||
        !lengths_ok(p))
        return -1;
    data_ad(p, ad);
    if (cry_open(ks, k, sim_get32(p->buf + 4), sim_get64(p->buf + 40), ad,
                 sizeof ad, data, dlen, data, ops) != 0)
        return -1;
    sim_put32(p->buf + 52, dlen - CRY_TAG_BYTES);
    p->buf[1] &= (unsigned char)~SIM_F_DATA_SEALED;
    p->len -= CRY_TAG_BYTES;
    if (open_hook)
        open_hook(open_hook_ctx, 1, data, dlen - CRY_TAG_BYTES);
    return 0;
}
