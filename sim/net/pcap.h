/* pcap.h — packet traces of a run (`kmsim run --pcap FILE`, kmsim
 * extension, issue 23): the wire bytes of every transmission of
 * replication 0, written with libpcap's dump API, and on request the key
 * log that opens their sealed parts (`--keylog FILE`).
 *
 * Link type SIM_PCAP_LINKTYPE (DLT_USER0, 147).  Every record is a
 * pseudo-header of SIM_PCAP_PHDR_BYTES, little-endian like wire.h:
 *
 *    0 version u8 (1)   1 event u8         2 protocol u8     3 aead u8
 *    4 link from u32    8 link to u32     12 link index u32
 *   16 replication u32
 *
 * followed by the message exactly as on the link (wire.h: the 56-byte
 * header, the control part, the data part, sealed parts with their tags).
 * event: SIM_PCAP_TX when the sender hands it to the link's transmitter
 * (after its queue admitted it: the transmission starts then or when the
 * bytes queued ahead have left), SIM_PCAP_RX when it arrives at `to`, as
 * the receiver parses it (before it counts the hop; an attacker may have
 * changed it on the way).  A TX without its RX was lost on the link or
 * removed by an attacker.  protocol: SIM_PCAP_PROTO_* (the dissector's
 * table of message type names); aead: 0 chacha20poly1305, 1 aes256gcm.
 * Node numbers (from, to, and the header's src, dst, hop sender) are node
 * indices: the order of nodes.csv, the ids of generated topologies.
 * Timestamps: simulated time in ns (nanosecond pcap).
 *
 * The key log (text, one line per seal of replication 0, in run order):
 *    SEAL <sender> <counter> <tag hex, 32> <key hex, 64>
 * after comment lines starting with '#' (one names the cipher: "# aead
 * chacha20poly1305").  The dissector finds a sealed part's key by its
 * tag (the part's last 16 bytes); nonce = sender (u32 LE) || counter (u64
 * LE), as the header carries them.  The key log holds secrets: it is the
 * one output a key value ever reaches. */
#ifndef KMSIM_PCAP_H
#define KMSIM_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include "sched.h"
#include "topo.h"
#include "cry_key.h"

#define SIM_PCAP_LINKTYPE   147u  /* DLT_USER0                         */
#define SIM_PCAP_PHDR_BYTES 20u
#define SIM_PCAP_VERSION    1u

enum { SIM_PCAP_TX = 1, SIM_PCAP_RX = 2 };

/* Protocol codes of the pseudo-header (sim_pcap_proto_code). */
enum { SIM_PCAP_PROTO_NONE = 0, SIM_PCAP_PROTO_NETKEY, SIM_PCAP_PROTO_PAIRWISE,
       SIM_PCAP_PROTO_DIPIETRO, SIM_PCAP_PROTO_DINI, SIM_PCAP_PROTO_EG,
       SIM_PCAP_PROTO_OTHER = 255 };

/* The code of protocol `name` (scn_proto_ops.name), SIM_PCAP_PROTO_OTHER
 * for a name not in the table. */
uint8_t sim_pcap_proto_code(const char *name);

typedef struct sim_pcap sim_pcap;          /* opaque: one run's writer  */
typedef struct sim_pcap_buf sim_pcap_buf;  /* opaque: a partition's log */

/* A writer with the filter terms filters[0..n) (`--pcap-filter`, any of
 * them selects a transmission; n 0: all): "node=ID[,ID...]" (sent or
 * received by one of these nodes) or "link=A-B[,C-D...]" (on the link
 * between nodes A and B, either direction), ids as in the scenario.  NULL
 * on a malformed term, with one line in err naming --pcap-filter (bad
 * input).  Owned by the caller: sim_pcap_free. */
sim_pcap *sim_pcap_new(const char *const *filters, size_t n, char *err,
                       size_t errlen);
/* Opens the temporary files beside `path` (and `keylog`, NULL: no key
 * log): "<path>.tmp.<pid>", the key log's mode 0600; the pcap file header
 * is written now.  0, or -1 with one line in err naming the file. */
int sim_pcap_open(sim_pcap *pc, const char *path, const char *keylog,
                  char *err, size_t errlen);
/* Binds the writer to replication `rep`'s topology, protocol code and
 * cipher: the filter's ids become node and link indices.  0, or -1 with
 * one line in err naming --pcap-filter (an id that is no node, a pair
 * that is no link).  The topology must outlive the records written. */
int sim_pcap_bind(sim_pcap *pc, const sim_topo *t, uint8_t proto,
                  cry_aead aead, uint32_t rep, char *err, size_t errlen);
/* 1 if the key log is on. */
int sim_pcap_keylog_on(const sim_pcap *pc);
/* 1 if a transmission from `from` to `to` on `link` is traced. */
int sim_pcap_wants(const sim_pcap *pc, uint32_t from, uint32_t to,
                   uint32_t link);
/* Writes a record now (one partition: records come in run order).  No
 * allocation once the scratch buffer has grown to the largest packet. */
void sim_pcap_packet(sim_pcap *pc, sim_time t, int event, uint32_t from,
                     uint32_t to, uint32_t link, const unsigned char *b,
                     uint32_t len);
/* Writes a key log line for a seal now (no-op without a key log). */
void sim_pcap_seal(sim_pcap *pc, const unsigned char key[CRY_KEY_BYTES],
                   uint32_t sender, uint64_t counter,
                   const unsigned char tag[CRY_TAG_BYTES]);
/* Flushes, fsyncs and closes both files and renames them into place.
 * 0, or -1 with one line in err (a write error during the run is found
 * here), both temporary files removed.  Once only. */
int sim_pcap_commit(sim_pcap *pc, char *err, size_t errlen);
/* Frees the writer; temporary files not committed are removed.  NULL:
 * no-op. */
void sim_pcap_free(sim_pcap *pc);

/* ---- Two partitions (--threads 2) ----------------------------------------
 * Each partition appends its records with the key of the event that made
 * them (sim_sched_key_now) to a log of its own; at a barrier
 * sim_pcap_merge writes two logs merged by key -- the order one scheduler
 * runs the events in, so the files are those of one thread -- and
 * empties them (capacity kept: no allocation in steady state; key bytes
 * wiped). */
sim_pcap_buf *sim_pcap_buf_new(void);
void sim_pcap_buf_free(sim_pcap_buf *b);
void sim_pcap_buf_packet(sim_pcap_buf *b, const sim_pcap *pc,
                         const sim_event_key *k, int event, uint32_t from,
                         uint32_t to, uint32_t link, const unsigned char *p,
                         uint32_t len);
void sim_pcap_buf_seal(sim_pcap_buf *b, const sim_event_key *k,
                       const unsigned char key[CRY_KEY_BYTES],
                       uint32_t sender, uint64_t counter,
                       const unsigned char tag[CRY_TAG_BYTES]);
void sim_pcap_merge(sim_pcap *pc, sim_pcap_buf *a, sim_pcap_buf *b);

#endif
