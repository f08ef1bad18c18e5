/* wire.h — the message wire format.  Every message is bytes: a fixed
 * header, a control part (routing and key management, sealed hop by hop
 * with the link or channel key) and a data part (the payload, sealed end
 * to end by the source).  Layout, little-endian, SIM_HDR_BYTES long:
 *
 *    0 type u8          1 flags u8        2 hops u16 (grows per hop)
 *    4 src u32          8 dst u32        12 seq u32 (per-sender number)
 *   16 key name u64    24 session u32    28 hop sender u32
 *   32 control nonce counter u64         40 data nonce counter u64
 *   48 control length u32                52 data length u32
 *
 * followed by the control part then the data part, each with a 16-byte
 * tag appended when sealed (flags SIM_F_CTL_SEALED, SIM_F_DATA_SEALED).
 * The control part is sealed under (key, nonce = hop sender || control
 * counter) with the whole header as associated data, hops set to 0; the
 * data part under (key, nonce = src || data counter) with the fields that
 * do not change on the way (type, src, dst, seq, key name, session, data
 * counter, data length) as associated data, so intermediate nodes can
 * forward the data part as is (data: always; their empty control part is
 * sealed, a MAC of the header re-sealed at every hop, only with a
 * protocol's per_hop_mac option, sim/proto/pk.h).  Both counters are the
 * sender's next counter under the key value (cry_key_next_counter: one
 * sequence per (value, sender) -- hop sender for the control part, src for
 * the data part -- whichever handle seals), so no nonce repeats under a
 * value and a node's counters depend on its own seals only.
 * Seal the data part first: the control part's associated data covers the
 * data length and counter.  Every open first checks that the header's part
 * lengths describe exactly the packet's bytes.  A part that fails to open
 * is wiped; the caller drops the message. */
#ifndef KMSIM_WIRE_H
#define KMSIM_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "cry_key.h"

struct sim_pkt;

/* Little-endian field access, the byte order of every header field. */
static inline void sim_put16(unsigned char *b, uint16_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
}

static inline void sim_put32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static inline void sim_put64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t sim_get32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static inline uint64_t sim_get64(const unsigned char *b)
{
    return (uint64_t)sim_get32(b) | (uint64_t)sim_get32(b + 4) << 32;
}

#define SIM_HDR_BYTES 56u
#define SIM_F_CTL_SEALED  0x01u
#define SIM_F_DATA_SEALED 0x02u

/* Decoded header. */
typedef struct sim_hdr {
    uint8_t type, flags;
    uint16_t hops;
    uint32_t src, dst, seq;
    uint64_t key_name;
    uint32_t session, hop_from;
    uint64_t ctl_ctr, data_ctr;
    uint32_t ctl_len, data_len;    /* bytes on the wire, tags included */
} sim_hdr;

void sim_hdr_write(unsigned char *b, const sim_hdr *h);
/* Parses a header from `len` bytes: 0, or -1 if they are too short or
 * the part lengths do not add up to len exactly. */
int sim_hdr_read(sim_hdr *h, const unsigned char *b, size_t len);

/* Field accessors on a packet's bytes. */
uint8_t sim_pkt_flags(const struct sim_pkt *p);
uint64_t sim_pkt_key_name(const struct sim_pkt *p);
uint32_t sim_pkt_session(const struct sim_pkt *p);
uint32_t sim_pkt_ctl_len(const struct sim_pkt *p);
uint32_t sim_pkt_data_len(const struct sim_pkt *p);
uint32_t sim_pkt_hop_from(const struct sim_pkt *p);  /* last hop sender */
unsigned char *sim_pkt_ctl(struct sim_pkt *p);
unsigned char *sim_pkt_data(struct sim_pkt *p);
void sim_pkt_set_key(struct sim_pkt *p, uint64_t key_name, uint32_t session);

/* Seals the control part in place under k, as sent by hop_from; the data
 * part moves 16 bytes along to make room for the tag.  Needs
 * p->cap >= p->len + CRY_TAG_BYTES.  0, or -1 if already sealed or the
 * key refuses the counter. */
int sim_pkt_seal_ctl(struct sim_pkt *p, cry_keystore *ks, cry_key k,
                     uint32_t hop_from, cry_ops *ops);
/* Opens the control part in place (plaintext, tag removed).  0, or -1 if
 * not sealed or not authentic (the part is wiped). */
int sim_pkt_open_ctl(struct sim_pkt *p, const cry_keystore *ks, cry_key k,
                     cry_ops *ops);
/* Same for the data part, sealed by the message's src. */
int sim_pkt_seal_data(struct sim_pkt *p, cry_keystore *ks, cry_key k,
                      cry_ops *ops);
int sim_pkt_open_data(struct sim_pkt *p, const cry_keystore *ks, cry_key k,
                      cry_ops *ops);

/* For fuzzing and tests: fn is called with a part's plaintext right
 * after it opened (part 0 control, 1 data), before anything reads it,
 * and may change its bytes (not their number), as a sender holding the
 * key could have sealed anything.  NULL (the default): no hook.  One per
 * process; kmsim itself never sets it. */
typedef void (*sim_open_hook)(void *ctx, int part, unsigned char *pt,
                              uint32_t len);
void sim_wire_set_open_hook(sim_open_hook fn, void *ctx);

#endif
