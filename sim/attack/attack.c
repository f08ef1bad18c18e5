/* attack.c — the attacker models of a run (attack.h): decoding, the tap
 * and the actions of each attacker type.  The runner's set-up, outcomes
 * and report are in attack_run.c; both share attack_int.h.
 *
 * One tap sees every transmission.  Readers (eavesdropper, seed_sniffing,
 * insider) decode what crosses the links they cover: a part in clear is
 * read as is, a sealed part is opened with the keys of the shared
 * reader's knowledge base — first those known by the key name in the
 * header, then every other — after the protocol has derived what it can
 * for that message (atk_derive).  Whatever a read part carries (a key handed over,
 * seeds in clear) is learned (atk_learn); a sealed part no key opened is
 * recorded and tried again, with the new entries only, whenever the base
 * grows, so reads of recorded traffic ("read late") follow a capture.
 * Every entry remembers the attacker it came from, and every read is
 * credited to the attacker whose knowledge made it possible ("enabled").
 *
 * Knowledge (scenario `knowledge:`): a `separate` attacker (the default)
 * has a base of its own, so its rows show what it alone learned, read and
 * exposes; the `coalition` attackers of a run (a kmsim extension: colluding
 * attackers) share one base, so an eavesdropper of the coalition reads with
 * the keys a capture of the coalition yields.
 *
 * Own view and ground truth: the reader counts (seen, read, late) and
 * keys.learned are the attacker's own view (what its taps carried and its
 * base opened).  Captures and leaks also measure ground-truth exposure
 * against their own base: every data message of the network (once, at its
 * first hop), readable or not by that base, before and after the
 * protocol's reaction, whether or not any attacker saw it, and the keyed
 * links whose current key that base holds (atk_exposure).  Injected and altered packets carry
 * the attacker's index (sim_pkt.atk); the world reports whether the node
 * they were meant for accepted or refused them (the observer's outcome,
 * atk_outcome in attack_run.c).
 *
 * Costs: an attacker's cryptography is real (libsodium, counted in the
 * base's own counters) but costs no simulated time, and nothing an
 * attacker does changes the run when the scenario has no attackers. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "attack.h"
#include "world.h"
#include "hooks.h"
#include "wire.h"
#include "rng.h"
#include "dist.h"
#include "qtheory.h"
#include "util.h"
#include "attack_int.h"


int atk_run_is_reader(int kind)
{
    return kind == SCN_ATK_EAVESDROPPER || kind == SCN_ATK_SEED_SNIFFING ||
           kind == SCN_ATK_INSIDER;
}

int atk_run_is_window(int kind)
{
    return kind == SCN_ATK_NODE_CAPTURE || kind == SCN_ATK_GLOBAL_KEY_LEAK ||
           kind == SCN_ATK_INSIDER;
}

/* Entries in every base of the run (the coalition's and each separate
 * attacker's): it grows when any base grows. */
static size_t kb_total(const atk_run *R)
{
    size_t n = atk_kb_count(R->kb);

    for (size_t i = 0; i < R->n; i++)
        if (R->a[i].kb && R->a[i].kb != R->kb)
            n += atk_kb_count(R->a[i].kb);
    return n;
}

gsl_rng *atk_run_arng(atk_run *R, const attacker *A)
{
    return sim_rng_get(sim_world_rng(R->w), SIM_RNG_ATTACKER, A->idx);
}

static sim_time now_of(atk_run *R)
{
    return sim_world_now(R->w);
}

/* p is attacker A's (injected or altered), of message class cls: the
 * world reports its outcome (atk_outcome, attack_run.c). */
static void mark(const attacker *A, sim_pkt *p, uint32_t cls)
{
    p->atk = (uint16_t)(A->idx + 1);
    p->atk_class = cls;
    p->atk_state = 0;
}

/* ------------------------------------------------------------------------
 * Decoding
 * ---------------------------------------------------------------------- */

/* Message class of wire bytes: type << 8 | for protocol messages the
 * control type byte when the control part is clear (0 otherwise). */
static uint32_t class_of(const unsigned char *b, uint32_t len)
{
    sim_hdr h;
    uint32_t c;

    if (sim_hdr_read(&h, b, len) != 0)
        return 0;
    c = (uint32_t)h.type << 8;
    if (h.type == SIM_PKT_CONTROL && !(h.flags & SIM_F_CTL_SEALED) &&
        h.ctl_len > 0)
        c |= b[SIM_HDR_BYTES];
    return c;
}

/* Tries to open part `part` of the message b (len bytes) with the keys of
 * base kb from entry `start` on: first those labelled with the header's key
 * name, then the others.  On success the scratch packet holds the message
 * with that part opened, and the entry is returned; else ATK_NONE. */
static size_t try_part(atk_run *R, atk_kb *kb, const unsigned char *b,
                       uint32_t len, int part, size_t start)
{
    cry_keystore *ks = atk_kb_store(kb);
    uint64_t name = sim_get64(b + 16);
    size_t n = atk_kb_count(kb);
    sim_pkt *s = R->scratch;

    for (int pass = 0; pass < 2; pass++) {
        size_t i = pass == 0 ? atk_kb_find(kb, ATK_KEY, name) : start;
        while (i != ATK_NONE && i < n) {
            int skip = i < start ||
                       (pass == 1 && (atk_kb_kind(kb, i) != ATK_KEY ||
                                      atk_kb_label(kb, i) == name));
            if (!skip) {
                int rc;
                memcpy(s->buf, b, len);
                s->len = len;
                rc = part == 0 ? sim_pkt_open_ctl(s, ks, atk_kb_key(kb, i),
                                                  atk_kb_ops(kb))
                               : sim_pkt_open_data(s, ks, atk_kb_key(kb, i),
                                                   atk_kb_ops(kb));
                if (rc == 0)
                    return i;
            }
            i = pass == 0 ? atk_kb_next(kb, i) : i + 1;
        }
    }
    return ATK_NONE;
}

/* The protocol derives what it can for message b (seen on from -> to)
 * into base kb on attacker `who`'s behalf, before it is tried. */
static void derive_for(atk_run *R, atk_kb *kb, uint32_t who,
                       const unsigned char *b, uint32_t len, uint32_t from,
                       uint32_t to)
{
    if (!R->hooks->atk_derive)
        return;
    memcpy(R->scratch->buf, b, len);
    R->scratch->len = len;
    atk_kb_context(kb, who, now_of(R));
    /* Locality exceptions (world.h) are named at each protocol hook the
     * attacker calls: they read the protocol's state on its behalf. */
    sim_world_exempt(R->w, "attacker derive");
    R->hooks->atk_derive(R->w, sim_world_proto_state(R->w), kb, R->scratch,
                         from, to);
    sim_world_exempt_end(R->w);
}

/* Wipes the decode buffer: it held plaintext (perhaps key values). */
static void scrub(atk_run *R, uint32_t len)
{
    cry_wipe(R->scratch->buf, len);
}

/* Credits a read made with entry e of base kb (ATK_NONE: a part in clear,
 * credited to reader `self`). */
static void credit(atk_run *R, atk_kb *kb, size_t e, uint32_t self, int part)
{
    uint32_t from = e == ATK_NONE ? self : atk_kb_from(kb, e);
    sim_time now = now_of(R);
    attacker *O;

    if (from >= R->n)
        return;
    O = &R->a[from];
    if (part == 0)
        O->en_ctl++;
    else
        O->en_data++;
    if (O->en_first < 0)
        O->en_first = now;
    O->en_last = now;
    if (O->detect >= 0 && now >= O->detect)
        O->en_after++;
}

/* The scratch packet's part was read (with entry e of base kb): the
 * protocol learns from it into kb, with the knowledge's origin. */
static void learn(atk_run *R, atk_kb *kb, int part, size_t e, uint32_t self)
{
    sim_pkt *s = R->scratch;
    uint32_t from = e == ATK_NONE ? self : atk_kb_from(kb, e);
    const unsigned char *pt;
    size_t len;

    if (!R->hooks->atk_learn)
        return;
    if (part == 0) {
        pt = sim_pkt_ctl(s);
        len = sim_pkt_ctl_len(s);
    } else {
        pt = sim_pkt_data(s);
        len = sim_pkt_data_len(s);
    }
    atk_kb_context(kb, from, now_of(R));
    sim_world_exempt(R->w, "attacker learn");
    R->hooks->atk_learn(R->w, sim_world_proto_state(R->w), kb, s, part, pt,
                        len);
    sim_world_exempt_end(R->w);
}

/* Reads what it can of the parts in `mask` (bit 0 control, bit 1 data) of
 * message b for reader A, live (as it crosses) or late (recorded, parts in
 * clear already counted, keys from entry `start` on); returns the parts
 * still unread. */
static uint8_t read_msg(atk_run *R, attacker *A, const unsigned char *b,
                        uint32_t len, uint32_t from, uint32_t to,
                        size_t start, int live, uint8_t mask)
{
    sim_hdr h;
    uint8_t need = 0;

    if (sim_hdr_read(&h, b, len) != 0)
        return 0;
    derive_for(R, A->kb, A->idx, b, len, from, to);
    for (int part = 0; part < 2; part++) {
        uint32_t plen = part == 0 ? h.ctl_len : h.data_len;
        int sealed = h.flags & (part == 0 ? SIM_F_CTL_SEALED
                                          : SIM_F_DATA_SEALED);
        size_t e = ATK_NONE;

        if (plen == 0 || !(mask & (1u << part)) || (!live && !sealed))
            continue;
        if (sealed) {
            e = try_part(R, A->kb, b, len, part, start);
            if (e == ATK_NONE) {
                need |= (uint8_t)(1u << part);
                continue;
            }
        } else {
            memcpy(R->scratch->buf, b, len);
            R->scratch->len = len;
        }
        if (part == 0)
            A->ctl_read++;
        else
            A->data_read++;
        if (part == 1 && (h.type == SIM_PKT_DATA || h.type == SIM_PKT_PUBLISH))
            A->app_read++;
        if (A->ser[part] >= 0 || A->ser[2] >= 0) {  /* --series only */
            ana_metrics *m = sim_world_metrics(R->w);
            ana_series_add(m, A->ser[part], 1);
            if (part == 1 && (h.type == SIM_PKT_DATA ||
                              h.type == SIM_PKT_PUBLISH))
                ana_series_add(m, A->ser[2], 1);
        }
        if (!live)
            A->late++;
        if (A->first_read < 0)
            A->first_read = now_of(R);
        credit(R, A->kb, e, A->idx, part);
        learn(R, A->kb, part, e, A->idx);
    }
    scrub(R, len);
    return need;
}

static void record(attacker *A, const unsigned char *b, uint32_t len,
                   uint32_t from, uint32_t to, size_t tried, uint8_t need)
{
    rec *r;

    if (A->rec_bytes + len > REC_MAX_BYTES) {
        A->unrecorded++;
        return;
    }
    if (A->n_rec == A->cap_rec) {
        A->cap_rec = A->cap_rec ? 2 * A->cap_rec : 64;
        A->rec = xreallocarray(A->rec, A->cap_rec, sizeof *A->rec);
    }
    r = &A->rec[A->n_rec++];
    r->b = xmalloc(len);
    memcpy(r->b, b, len);
    r->len = len;
    r->from = from;
    r->to = to;
    r->tried = tried;
    r->need = need;
    A->rec_bytes += len;
}

/* A base grew: every reader tries its recorded messages again with the
 * new entries of its base, until nothing more opens. */
static void retry(atk_run *R)
{
    int again = 1;

    if (R->retrying)
        return;                  /* learn() inside a retry: the loop goes on */
    R->retrying = 1;
    while (again) {
        again = 0;
        for (size_t i = 0; i < R->n; i++) {
            attacker *A = &R->a[i];
            if (!atk_run_is_reader(A->kind))
                continue;
            for (size_t j = 0; j < A->n_rec; j++) {
                rec *r = &A->rec[j];
                size_t n = atk_kb_count(A->kb), total = kb_total(R);
                if (!r->need || r->tried >= n)
                    continue;
                r->need = read_msg(R, A, r->b, r->len, r->from, r->to,
                                   r->tried, 0, r->need);
                r->tried = n;
                if (kb_total(R) > total)
                    again = 1;
            }
        }
    }
    R->retrying = 0;
}

/* A data message at its first hop: is it readable by each capture's and
 * leak's base?  Counted in each one's window (ground truth: every data
 * message of the network, seen by an attacker or not). */
static void watch_data(atk_run *R, const sim_pkt *p, uint32_t from,
                       uint32_t to)
{
    sim_time now = now_of(R);
    int coal = -1;           /* the coalition's verdict, -1: not yet       */
    sim_hdr h;

    if (sim_hdr_read(&h, p->buf, p->len) != 0 || h.data_len == 0)
        return;
    for (size_t i = 0; i < R->n; i++) {
        attacker *A = &R->a[i];
        int readable;
        if (!atk_run_is_window(A->kind) || now < A->at)
            continue;
        if (!(h.flags & SIM_F_DATA_SEALED)) {
            readable = 1;
        } else if (A->kb == R->kb && coal >= 0) {
            readable = coal;
        } else {
            /* what a base derives here is credited to its first capture
             * or leak under way */
            derive_for(R, A->kb, A->idx, p->buf, p->len, from, to);
            readable = try_part(R, A->kb, p->buf, p->len, 1, 0) != ATK_NONE;
            scrub(R, p->len);
            if (A->kb == R->kb)
                coal = readable;
        }
        if (A->detect >= 0 && now >= A->detect) {
            A->tr_after++;
            A->tr_after_read += (uint64_t)readable;
            if (readable)
                A->last_readable = now;
        } else {
            A->tr_before++;
            A->tr_before_read += (uint64_t)readable;
        }
    }
}

/* ------------------------------------------------------------------------
 * The tap
 * ---------------------------------------------------------------------- */

static void note_name(atk_run *R, const sim_pkt *p)
{
    uint64_t name = sim_pkt_key_name(p);
    uint32_t i = R->n_recent % RECENT;

    if (!(sim_pkt_flags(p) & (SIM_F_CTL_SEALED | SIM_F_DATA_SEALED)))
        return;
    R->recent[i] = name;
    R->recent_sess[i] = sim_pkt_session(p);
    R->n_recent++;
}

/* Flips one authenticated byte of p (inside a sealed part); a message
 * with no sealed part gets a byte of its body flipped (nothing can detect
 * that).  Returns 0, or -1 if p has no body at all. */
static int tamper(atk_run *R, attacker *A, sim_pkt *p)
{
    uint32_t ctl = sim_pkt_ctl_len(p), data = sim_pkt_data_len(p);
    uint8_t f = sim_pkt_flags(p);
    uint32_t lo[2], n[2], tot = 0, pick;
    gsl_rng *r = atk_run_arng(R, A);

    lo[0] = SIM_HDR_BYTES;
    n[0] = (f & SIM_F_CTL_SEALED) ? ctl : 0;
    lo[1] = SIM_HDR_BYTES + ctl;
    n[1] = (f & SIM_F_DATA_SEALED) ? data : 0;
    if (n[0] + n[1] == 0) {
        n[0] = ctl;
        n[1] = data;
        if (ctl + data == 0)
            return -1;
        A->tampered_clear++;
    }
    tot = n[0] + n[1];
    pick = (uint32_t)gsl_rng_uniform_int(r, tot);
    pick = pick < n[0] ? lo[0] + pick : lo[1] + (pick - n[0]);
    p->buf[pick] ^= (unsigned char)(1u + gsl_rng_uniform_int(r, 255));
    return 0;
}

sim_tap_verdict atk_run_tap(void *ctx, sim_world *w, uint32_t link,
                            uint32_t from, uint32_t to, sim_pkt *p)
{
    atk_run *R = ctx;
    sim_time now = sim_world_now(w);
    size_t before = kb_total(R);
    (void)link;

    note_name(R, p);
    if (R->windows && from == sim_pkt_src(p) && sim_pkt_hops(p) == 0 &&
        (sim_pkt_type_of(p) == SIM_PKT_DATA ||
         sim_pkt_type_of(p) == SIM_PKT_PUBLISH))
        watch_data(R, p, from, to);
    for (size_t i = 0; i < R->n; i++) {
        attacker *A = &R->a[i];
        if (now < A->at || (A->cover && !A->cover[link]))
            continue;
        if (atk_run_is_reader(A->kind)) {
            uint8_t need;
            if (p->atk == A->idx + 1)
                continue;            /* its own message */
            /* An insider reads what crosses its links, not its own. */
            if (A->kind == SCN_ATK_INSIDER &&
                (atk_kb_captured(A->kb, sim_pkt_src(p)) ||
                 atk_kb_captured(A->kb, sim_pkt_dst(p))))
                continue;
            A->seen++;
            A->ctl_seen += sim_pkt_ctl_len(p) > 0;
            A->data_seen += sim_pkt_data_len(p) > 0;
            A->app_seen += sim_pkt_data_len(p) > 0 &&
                           (sim_pkt_type_of(p) == SIM_PKT_DATA ||
                            sim_pkt_type_of(p) == SIM_PKT_PUBLISH);
            need = read_msg(R, A, p->buf, p->len, from, to, 0, 1, 3);
            if (need)
                record(A, p->buf, p->len, from, to, atk_kb_count(A->kb),
                       need);
        } else if (A->kind == SCN_ATK_REPLAY && A->n_rp < A->s->count &&
                   A->n_rp < INJECT_MAX && !p->atk) {
            replay_msg *m;
            A->rp = xreallocarray(A->rp, A->n_rp + 1, sizeof *A->rp);
            m = &A->rp[A->n_rp++];
            m->b = xmalloc(p->len);
            memcpy(m->b, p->buf, p->len);
            m->len = p->len;
            m->from = from;
            m->to = to;
            m->cls = class_of(p->buf, p->len);
        } else if (A->kind == SCN_ATK_TAMPERING && A->budget > 0 &&
                   !p->atk) {
            if (tamper(R, A, p) == 0) {
                A->budget--;
                A->injected++;
                mark(A, p, class_of(p->buf, p->len));
            }
        }
    }
    if (kb_total(R) > before)
        retry(R);
    return SIM_TAP_PASS;
}

/* ------------------------------------------------------------------------
 * Actions
 * ---------------------------------------------------------------------- */

static void after_growth(atk_run *R, size_t before)
{
    if (kb_total(R) > before)
        retry(R);
}

void atk_run_ev_detect(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                       void *arg, uint64_t u64)
{
    atk_run *R = atk_run_of(ctx);
    attacker *A = &R->a[u64];
    (void)s; (void)kind; (void)node; (void)arg;

    if (!R->hooks->atk_react)
        return;
    if (A->kind == SCN_ATK_GLOBAL_KEY_LEAK) {
        if (A->leak_id >= 0)
            A->told += R->hooks->atk_react(R->w, sim_world_proto_state(R->w),
                                           ATK_REACT_LEAK,
                                           (uint64_t)A->leak_id);
    } else {
        for (uint32_t i = 0; i < A->n_nodes; i++)
            A->told += R->hooks->atk_react(R->w, sim_world_proto_state(R->w),
                                           ATK_REACT_CAPTURE, A->nodes[i]);
    }
}

static uint64_t draw(void *ctx, uint64_t n)
{
    return n ? (uint64_t)gsl_rng_uniform_int(ctx, (unsigned long)n) : 0;
}

void atk_run_ev_start(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64);

/* Builds an injected message of attacker A. */
static sim_pkt *forge(atk_run *R, attacker *A, sim_pkt_type type,
                      uint32_t src, uint32_t dst, int ctl_type, int seal)
{
    gsl_rng *r = atk_run_arng(R, A);
    uint32_t body = 48, seq = (uint32_t)gsl_rng_get(r);
    sim_pkt *p;
    unsigned char *d;
    uint64_t name;
    uint32_t sess;

    p = sim_pkt_new(R->w, type, src, dst, seq, ctl_type >= 0 ? 1 : 0,
                    ctl_type >= 0 ? body + 1 : body);
    d = sim_pkt_data(p);
    if (ctl_type >= 0) {
        sim_pkt_ctl(p)[0] = (unsigned char)ctl_type;
        d[0] = (unsigned char)ctl_type;
        d++;
    }
    for (uint32_t i = 0; i < body; i++)
        d[i] = (unsigned char)gsl_rng_uniform_int(r, 256);
    if (R->n_recent && gsl_rng_uniform_int(r, 2) == 0) {
        /* a real key name and session seen on the air */
        uint32_t k = (uint32_t)gsl_rng_uniform_int(
            r, R->n_recent < RECENT ? R->n_recent : RECENT);
        name = R->recent[k];
        sess = R->recent_sess[k];
    } else {
        name = ((uint64_t)gsl_rng_get(r) << 32) | gsl_rng_get(r);
        sess = (uint32_t)gsl_rng_uniform_int(r, 16);
    }
    sim_pkt_set_key(p, name, sess);
    sim_put64(p->buf + 40, ((uint64_t)1 << 40) + A->forged);
    if (seal) {
        cry_keystore *ks = atk_kb_store(A->kb);
        cry_key k = cry_key_generate(ks, ((uint64_t)1 << 48) | A->idx,
                                     A->forged, atk_kb_ops(A->kb));
        (void)sim_pkt_seal_data(p, ks, k, atk_kb_ops(A->kb));
        cry_key_free(ks, k);
    }
    A->forged++;
    mark(A, p, class_of(p->buf, p->len));
    return p;
}

/* Sends p to dst from dst's neighbour towards `toward` (where a message
 * from there would come from). */
static void inject_near(atk_run *R, attacker *A, sim_pkt *p, uint32_t dst,
                        uint32_t toward)
{
    uint32_t link, nb = SIM_NONE;

    if (toward != dst)
        nb = sim_world_next_hop(R->w, dst, toward, &link);
    if (nb == SIM_NONE && sim_topo_degree(R->t, dst) > 0)
        nb = R->t->adj[R->t->adj_off[dst]];
    if (nb == SIM_NONE) {
        A->skipped++;
        sim_pkt_free(R->w, p);
        return;
    }
    A->injected++;
    (void)sim_world_inject(R->w, nb, dst, p);
}

/* v's SO, as the attacker picks its targets (a locality exception: the
 * attacker is not a node; it knows the network). */
static uint32_t target_so(atk_run *R, uint32_t v)
{
    uint32_t so;

    sim_world_exempt(R->w, "attacker target choice");
    so = sim_world_home_so(R->w, v);
    sim_world_exempt_end(R->w);
    return so;
}

static int target_registered(atk_run *R, uint32_t v)
{
    int reg;

    sim_world_exempt(R->w, "attacker target choice");   /* as target_so */
    reg = sim_world_is_registered(R->w, v);
    sim_world_exempt_end(R->w);
    return reg;
}

/* A source chosen by the attacker's stream (registered ones preferred). */
static uint32_t pick_source(atk_run *R, attacker *A, uint32_t not)
{
    gsl_rng *r = atk_run_arng(R, A);
    uint32_t n = R->t->n_nodes;

    for (int tries = 0; tries < 64; tries++) {
        uint32_t v = (uint32_t)gsl_rng_uniform_int(r, n);
        if (v != not && R->t->nodes[v].role == SCN_ROLE_SOURCE &&
            target_so(R, v) != SIM_NONE &&
            (tries > 32 || target_registered(R, v)))
            return v;
    }
    for (uint32_t v = 0; v < n; v++)
        if (v != not && R->t->nodes[v].role == SCN_ROLE_SOURCE &&
            target_so(R, v) != SIM_NONE)
            return v;
    return SIM_NONE;
}

static sim_time gap(atk_run *R, attacker *A, int poisson)
{
    double rate = A->s->rate > 0 ? A->s->rate : 1.0;
    double g = poisson ? gsl_ran_exponential(atk_run_arng(R, A), 1.0 / rate)
                       : 1.0 / rate;
    sim_time t = (sim_time)llround(g * 1e9);
    return t > 0 ? t : 1;
}

static sim_pkt *forge_with_kb(atk_run *R, attacker *A, int what,
                              uint32_t sender, uint32_t src, uint32_t dst,
                              uint64_t start);

/* Forgery with a compromised key, built by the protocol (atk_forge) with
 * a key the coalition holds, in turn: data claiming v, sent by the
 * neighbour of v's SO on the way from v (the attacker transmits in its
 * place) along the hop the protocol would route it; a key replacement
 * (REKEY) "from" the SO to a holder of the key; an invalidation (INVAL)
 * "from" the SO to v.  A kind no held key serves falls back to data.
 * Returns 0, or -1 if no key serves at all. */
static int forge_stolen(atk_run *R, attacker *A, uint32_t v, uint32_t so)
{
    uint32_t link, nb = SIM_NONE, nh = SIM_NONE;
    int what = (int)(A->inj_stolen % 3);
    sim_pkt *p = NULL;

    if (what == 1)
        p = forge_with_kb(R, A, ATK_FORGE_REKEY, SIM_NONE, so, SIM_NONE,
                          A->forged / 2);
    else if (what == 2)
        p = forge_with_kb(R, A, ATK_FORGE_INVAL, SIM_NONE, so, v,
                          A->forged / 2);
    if (p) {
        A->forged++;
        A->inj_stolen++;
        mark(A, p, class_of(p->buf, p->len) | ATK_CLS_STOLEN);
        inject_near(R, A, p, sim_pkt_dst(p), so);
        return 0;
    }
    if (v != so)
        nb = sim_world_next_hop(R->w, so, v, &link);
    if (nb == SIM_NONE ||
        !(p = forge_with_kb(R, A, ATK_FORGE_DATA, nb, v, so, A->forged / 2)))
        return -1;
    if (R->ops->route) {
        sim_world_exempt(R->w, "attacker forge");
        nh = R->ops->route(R->w, sim_world_proto_state(R->w), nb, p);
        sim_world_exempt_end(R->w);
    }
    if (nh == SIM_NONE)
        nh = sim_world_next_hop(R->w, nb, so, &link);
    A->forged++;
    mark(A, p, class_of(p->buf, p->len) | ATK_CLS_STOLEN);
    A->injected++;
    A->inj_stolen++;
    (void)sim_world_inject(R->w, nb, nh, p);
    return 0;
}

/* Every other forgery (when the coalition holds keys) uses a compromised
 * key (forge_stolen); the rest, made-up keys: data claiming v, control
 * messages of every type from and to v's SO. */
static void act_forgery(atk_run *R, attacker *A)
{
    uint32_t v = pick_source(R, A, SIM_NONE), so;
    uint64_t k;
    sim_pkt *p;

    if (v == SIM_NONE || (so = target_so(R, v)) == SIM_NONE) {
        A->skipped++;
        return;
    }
    if (A->forged % 2 == 1 && forge_stolen(R, A, v, so) == 0)
        return;
    if (A->forged % 2 == 1)
        A->forged++;              /* no compromised key serves: made up */
    k = A->made_up++;
    A->inj_made++;
    switch (k % 3) {
    case 0:                  /* data claiming v, under a made-up key */
        p = forge(R, A, SIM_PKT_DATA, v, so, -1, 1);
        inject_near(R, A, p, so, v);
        break;
    case 1:                  /* a control message "from the SO" to v   */
        p = forge(R, A, SIM_PKT_CONTROL, so, v, 1 + (int)(k / 3 % 15), 1);
        inject_near(R, A, p, v, so);
        break;
    default:                 /* a control message "from v" to its SO   */
        p = forge(R, A, SIM_PKT_CONTROL, v, so, 1 + (int)(k / 3 % 15), 1);
        inject_near(R, A, p, so, v);
        break;
    }
}

/* Asks the protocol for a well-formed message of kind `what` (atk_forge,
 * kb.h) that `sender` transmits claiming src, for dst, sealed with a key
 * its knowledge base holds (shared in a coalition): the keys are tried newest first from the
 * `start`-th, the first one the protocol can use serves.  NULL when none
 * can. */
static sim_pkt *forge_with_kb(atk_run *R, attacker *A, int what,
                              uint32_t sender, uint32_t src, uint32_t dst,
                              uint64_t start)
{
    atk_kb *kb = A->kb;
    size_t n = atk_kb_count(kb), keys = atk_kb_count_kind(kb, ATK_KEY);
    atk_forge_req rq;
    sim_pkt *p = NULL;

    if (!R->hooks->atk_forge || !keys)
        return NULL;
    rq.what = what;
    rq.sender = sender;
    rq.src = src;
    rq.dst = dst;
    rq.seq = (uint32_t)gsl_rng_get(atk_run_arng(R, A));
    rq.payload = 32;
    atk_kb_context(kb, A->idx, now_of(R));
    for (size_t t = 0; t < keys && !p; t++) {
        size_t pick = (size_t)((start + t) % keys), i;
        for (i = n; i-- > 0;)
            if (atk_kb_kind(kb, i) == ATK_KEY && pick-- == 0)
                break;
        rq.key = i;
        /* Locality exception (world.h): the protocol builds the message
         * on the attacker's behalf from the attacker's keys. */
        sim_world_exempt(R->w, "attacker forge");
        p = R->hooks->atk_forge(R->w, sim_world_proto_state(R->w), kb, &rq);
        sim_world_exempt_end(R->w);
    }
    return p;
}

/* An insider sends data claiming another source's identity, each built
 * by the protocol (atk_forge) as its node would send its own, sealed
 * with a key the coalition holds (its own keys, what it and the others
 * learned or derived since), rotating over them newest first. */
static void act_insider(atk_run *R, attacker *A)
{
    uint32_t me = A->nodes[A->forged % A->n_nodes];
    uint32_t v = pick_source(R, A, me), so;
    sim_pkt *p;

    if (v == SIM_NONE || (so = target_so(R, v)) == SIM_NONE ||
        !(p = forge_with_kb(R, A, ATK_FORGE_DATA, me, v, so, A->forged))) {
        A->skipped++;
        A->forged++;
        return;
    }
    A->forged++;
    mark(A, p, class_of(p->buf, p->len));
    A->injected++;
    /* The node it controls transmits (locality: that node is the actor
     * while it sends). */
    sim_world_act_as(R->w, me, "attacker insider: the node it controls");
    sim_world_send(R->w, me, p);
    sim_world_act_end(R->w);
}

static void act_replay(atk_run *R, attacker *A)
{
    replay_msg *m;
    sim_pkt *p;

    if (A->next_rp >= A->n_rp) {
        A->skipped++;
        return;
    }
    m = &A->rp[A->next_rp++];
    p = sim_pkt_new(R->w, SIM_PKT_CONTROL, 0, 0, 0, 0,
                    m->len >= SIM_HDR_BYTES + 2 * CRY_TAG_BYTES
                        ? m->len - SIM_HDR_BYTES - 2 * CRY_TAG_BYTES : 0);
    memcpy(p->buf, m->b, m->len);
    p->len = m->len;
    mark(A, p, m->cls);
    A->injected++;
    (void)sim_world_inject(R->w, m->from, m->to, p);
}

static void act_flood(atk_run *R, attacker *A, uint32_t so)
{
    uint32_t v = pick_source(R, A, SIM_NONE);
    sim_pkt *p;

    if (v == SIM_NONE) {
        A->skipped++;
        return;
    }
    p = sim_pkt_new(R->w, SIM_PKT_REGISTER, v, so,
                    (uint32_t)gsl_rng_get(atk_run_arng(R, A)), 0, 0);
    mark(A, p, class_of(p->buf, p->len));
    inject_near(R, A, p, so, v);
}

/* Repeating actions: u64 = attacker index, node = target (flooding). */
static void ev_act(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                   void *arg, uint64_t u64)
{
    atk_run *R = atk_run_of(ctx);
    attacker *A = &R->a[u64];
    const scenario *sc = sim_world_scenario(R->w);
    int poisson = 0;
    (void)arg;

    switch (A->kind) {
    case SCN_ATK_FORGERY:
        act_forgery(R, A);
        break;
    case SCN_ATK_INSIDER:
        act_insider(R, A);
        break;
    case SCN_ATK_REPLAY:
        act_replay(R, A);
        break;
    case SCN_ATK_FLOODING:
        act_flood(R, A, node);
        poisson = 1;
        break;
    default:
        return;
    }
    if (A->kind != SCN_ATK_FLOODING) {
        if (A->budget == 0 || --A->budget == 0)
            return;
    }
    {
        sim_time next = sim_sched_now(s) + gap(R, A, poisson);
        if (next < sc->duration)
            sim_sched_at(s, next, ev_act, kind, node, NULL, u64);
    }
}

static void capture_nodes(atk_run *R, attacker *A)
{
    void *ps = sim_world_proto_state(R->w);

    for (uint32_t i = 0; i < A->n_nodes; i++) {
        atk_kb_mark_captured(A->kb, A->nodes[i]);
        if (R->hooks->atk_capture) {
            atk_kb_context(A->kb, A->idx, now_of(R));
            sim_world_exempt(R->w, "attacker capture");
            R->hooks->atk_capture(R->w, ps, A->nodes[i], A->kb);
            sim_world_exempt_end(R->w);
        }
    }
}

void atk_run_ev_start(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    atk_run *R = atk_run_of(ctx);
    attacker *A = &R->a[u64];
    size_t before = kb_total(R);
    void *ps = sim_world_proto_state(R->w);
    (void)node; (void)arg;

    switch (A->kind) {
    case SCN_ATK_NODE_CAPTURE:
        capture_nodes(R, A);
        if (R->hooks->atk_exposure) {
            sim_world_exempt(R->w, "ground-truth exposure");
            R->hooks->atk_exposure(R->w, ps, A->kb, &A->exp_now);
            sim_world_exempt_end(R->w);
            A->have_exp = 1;
        }
        break;
    case SCN_ATK_GLOBAL_KEY_LEAK:
        if (R->hooks->atk_leak) {
            atk_kb_context(A->kb, A->idx, now_of(R));
            sim_world_exempt(R->w, "attacker leak");
            A->leak_id = R->hooks->atk_leak(R->w, ps, A->kb, draw,
                                            atk_run_arng(R, A));
            sim_world_exempt_end(R->w);
        }
        if (R->hooks->atk_exposure) {
            sim_world_exempt(R->w, "ground-truth exposure");
            R->hooks->atk_exposure(R->w, ps, A->kb, &A->exp_now);
            sim_world_exempt_end(R->w);
            A->have_exp = 1;
        }
        break;
    case SCN_ATK_INSIDER:
        capture_nodes(R, A);
        if (A->s->rate > 0)
            sim_sched_in(s, gap(R, A, 0), ev_act, kind, 0, NULL, u64);
        break;
    case SCN_ATK_FORGERY:
    case SCN_ATK_REPLAY:
        sim_sched_in(s, gap(R, A, 0), ev_act, kind, 0, NULL, u64);
        break;
    case SCN_ATK_FLOODING:
        for (uint32_t i = 0; i < A->n_nodes; i++)
            sim_sched_in(s, gap(R, A, 1), ev_act, kind, A->nodes[i], NULL,
                         u64);
        break;
    default:
        break;
    }
    after_growth(R, before);
}

