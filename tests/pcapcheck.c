/* pcapcheck.c — the reference reader of tests/pcap.sh: reads a `kmsim run
 * --pcap` trace with libpcap (pcap_open_offline, nanosecond precision),
 * parses each message with sim_hdr_read and prints one line per record,
 * tab-separated, in the form `tshark -T fields` prints the dissector's
 * fields (tests/pcap.sh lists them): time, the pseudo-header, every header
 * field, and with a key log (second argument) the data part opened by
 * kmsim's own crypto (cry_open; associated data and nonce as wire.h
 * documents them), in hex.  Exit 1 if a record does not parse or a logged
 * key does not open its part.
 * pcapcheck --sealed-only TRACE OUT writes every record to OUT as raw
 * bytes with its clear (unsealed) control and data parts zeroed: what
 * the trace holds besides what the protocol itself sent in clear
 * (tests/secrets.sh scans it for keys). */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include "cry_key.h"
#include "pcap.h"
#include "wire.h"

typedef struct klent {
    unsigned char tag[CRY_TAG_BYTES];
    unsigned char key[CRY_KEY_BYTES];
} klent;

static int unhex(const char *h, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return 0;
}

static klent *load_keylog(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    char line[512], tag[64], key[128];
    klent *e = NULL;

    *n = 0;
    if (!f)
        return NULL;
    while (fgets(line, sizeof line, f)) {
        unsigned s;
        unsigned long long c;
        if (sscanf(line, "SEAL %u %llu %63s %127s", &s, &c, tag, key) != 4 ||
            strlen(tag) != 32 || strlen(key) != 64)
            continue;
        e = realloc(e, (*n + 1) * sizeof *e);
        if (!e || unhex(tag, e[*n].tag, CRY_TAG_BYTES) != 0 ||
            unhex(key, e[*n].key, CRY_KEY_BYTES) != 0)
            exit(99);
        (*n)++;
    }
    fclose(f);
    return e;
}

static int sealed_only(const char *trace, const char *out)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *r = pcap_open_offline_with_tstamp_precision(
        trace, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    FILE *o = fopen(out, "wb");
    struct pcap_pkthdr *ph;
    const unsigned char *d;
    unsigned char *buf = NULL;
    int bad = 0;

    if (!r || !o)
        return 99;
    while (pcap_next_ex(r, &ph, &d) == 1) {
        unsigned char *m;
        sim_hdr h;

        buf = realloc(buf, ph->caplen);
        if (!buf)
            return 99;
        memcpy(buf, d, ph->caplen);
        m = buf + SIM_PCAP_PHDR_BYTES;
        if (ph->caplen < SIM_PCAP_PHDR_BYTES ||
            sim_hdr_read(&h, m, ph->caplen - SIM_PCAP_PHDR_BYTES) != 0) {
            bad = 1;
            continue;
        }
        if (!(h.flags & SIM_F_CTL_SEALED))
            memset(m + SIM_HDR_BYTES, 0, h.ctl_len);
        if (!(h.flags & SIM_F_DATA_SEALED))
            memset(m + SIM_HDR_BYTES + h.ctl_len, 0, h.data_len);
        fwrite(buf, 1, ph->caplen, o);
    }
    free(buf);
    pcap_close(r);
    return fclose(o) != 0 ? 99 : bad;
}

int main(int argc, char **argv)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *ph;
    const unsigned char *d;
    klent *kl = NULL;
    size_t nkl = 0;
    cry_keystore *ks;
    pcap_t *r;
    int bad = 0;

    if (argc == 4 && !strcmp(argv[1], "--sealed-only"))
        return sealed_only(argv[2], argv[3]);
    if (argc < 2 || argc > 3 || cry_init() != 0) {
        fprintf(stderr, "usage: pcapcheck TRACE [KEYLOG]\n");
        return 99;
    }
    if (argc == 3 && !(kl = load_keylog(argv[2], &nkl))) {
        fprintf(stderr, "pcapcheck: %s: no key log lines\n", argv[2]);
        return 99;
    }
    ks = cry_keystore_new(0);
    r = pcap_open_offline_with_tstamp_precision(argv[1],
                                                PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!r || !ks) {
        fprintf(stderr, "pcapcheck: %s: %s\n", argv[1], r ? "" : ebuf);
        return 99;
    }
    if (pcap_datalink(r) != (int)SIM_PCAP_LINKTYPE) {
        fprintf(stderr, "pcapcheck: link type %d\n", pcap_datalink(r));
        return 1;
    }
    while (pcap_next_ex(r, &ph, &d) == 1) {
        const unsigned char *m = d + SIM_PCAP_PHDR_BYTES;
        uint32_t mlen = ph->caplen - SIM_PCAP_PHDR_BYTES;
        sim_hdr h;

        if (ph->caplen != ph->len || ph->caplen < SIM_PCAP_PHDR_BYTES ||
            sim_hdr_read(&h, m, mlen) != 0) {
            fprintf(stderr, "pcapcheck: a record does not parse\n");
            bad = 1;
            continue;
        }
        printf("%lld.%09ld\t%u\t%u\t%u\t%u\t%u\t%u\t%u\t", (long long)ph->ts.tv_sec,
               (long)ph->ts.tv_usec, d[1], d[2], d[3], sim_get32(d + 4),
               sim_get32(d + 8), sim_get32(d + 12), sim_get32(d + 16));
        printf("%u\t0x%02x\t%u\t%u\t%u\t%u\t0x%016llx\t%u\t%u\t%llu\t%llu\t"
               "%u\t%u\t", h.type, h.flags, h.hops, h.src, h.dst, h.seq,
               (unsigned long long)h.key_name, h.session, h.hop_from,
               (unsigned long long)h.ctl_ctr, (unsigned long long)h.data_ctr,
               h.ctl_len, h.data_len);
        if (kl && (h.flags & SIM_F_DATA_SEALED) && h.data_len >= CRY_TAG_BYTES) {
            const unsigned char *c = m + SIM_HDR_BYTES + h.ctl_len;
            const unsigned char *tag = c + h.data_len - CRY_TAG_BYTES;
            for (size_t i = 0; i < nkl; i++) {
                unsigned char ad[37], *pt;
                cry_key k;
                if (memcmp(kl[i].tag, tag, CRY_TAG_BYTES) != 0)
                    continue;
                /* wire.h: type, src dst seq, name session, data counter,
                 * data length (as sealed: tag included) */
                ad[0] = m[0];
                memcpy(ad + 1, m + 4, 12);
                memcpy(ad + 13, m + 16, 12);
                memcpy(ad + 25, m + 40, 8);
                memcpy(ad + 33, m + 52, 4);
                pt = malloc(h.data_len);
                k = cry_key_import(ks, kl[i].key);
                if (!pt || !k ||
                    cry_open(ks, k, h.src, h.data_ctr, ad, sizeof ad, c,
                             h.data_len, pt, NULL) != 0) {
                    fprintf(stderr, "pcapcheck: a logged key does not open "
                            "its data part\n");
                    bad = 1;
                } else {
                    for (uint32_t j = 0; j < h.data_len - CRY_TAG_BYTES; j++)
                        printf("%02x", pt[j]);
                }
                cry_key_free(ks, k);
                free(pt);
                break;
            }
        }
        printf("\n");
    }
    pcap_close(r);
    cry_keystore_free(ks);
    free(kl);
    return bad;
}
