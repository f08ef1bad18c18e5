/* netkey.c — the first naive option of seed 000 §1: one key K shared by
 * the whole network.  K is preloaded in every node (sources, SOs,
 * subscribers) before the run, so no source ever waits for a key
 * (key.setup is 0 for each).  Every node seals its own messages with its
 * own handle of K (nonce = its index || that handle's counter, so no
 * (sender, counter) repeats under one value); data are sealed end to end,
 * source to SO and SO to subscriber, tagged with K's version in the header
 * session field, and relayed as they are; with per_hop_mac (kmsim
 * extension, pk.h) every relay holding that version verifies and re-MACs
 * the header under it.  Capturing any node yields every key of the network: the
 * point of comparison.
 *
 * Replacement.  The first SO is the key authority: it draws K' and sends
 * it to every other node in a REKEY sealed under K (session = the new
 * version); each node installs K', keeps K for previous_key_for (data in
 * flight still open) and acks under K'.  So that nobody seals under K'
 * before its receivers hold it, the authority reaches the nodes by role,
 * receivers first: subscribers, then SOs (which seal publishes), then
 * sources, each group once the previous one has acked (or been given up);
 * it seals under K' itself once the subscribers hold it.  key.rekey is the
 * round, start to last ack.  An unacked REKEY is sent again (the same
 * bytes) after retransmit_after, doubling, retransmit_max times.
 *
 * The adversary (atk_hooks.h).  Every message is sealed under
 * the network key, header key name 0, session = its version: the
 * attacker's keys are labelled 0 with aux = version.  A capture yields
 * every version the node holds (there is no device key: K is the only
 * credential); a leak, the newest version.  The reaction to either is a
 * replacement round (queued behind one under way), and a captured node is
 * revoked first: it is left out of this and every later round, so it keeps
 * only old values that the others drop previous_key_for after installing
 * the new one.  But K' travels sealed under K: an eavesdropper who holds
 * the leaked or captured K reads K' in the REKEYs (atk_learn parses them)
 * and the reaction gains nothing against it — the baseline's weakness,
 * measured, not hidden.  Likewise a captured authority ends the game: it
 * would draw the next key itself, so there is no reaction then. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cry.h"
#include "baseline.h"
#include "bl.h"
#include "estimate.h"
#include "pk.h"
#include "proto.h"
#include "util.h"
#include "wire.h"

/* Key material streams: the preloaded K is draw (NK_STREAM, 0); the
 * authority's k-th replacement is (NK_REKEY_STREAM, k). */
#define NK_STREAM       (1ull << 42)
#define NK_REKEY_STREAM (1ull << 43)
#define NK_BODY         (4u + CRY_KEY_BYTES)   /* REKEY: version, K'     */

enum { NK_REKEY = 1, NK_REKEY_ACK };

/* Per node.  Keys live in the pk table under (node, version): the current
 * one and, while has_prev, the previous one; never more. */
typedef struct nknode {
    uint32_t ver;            /* newest version installed                   */
    uint32_t send_ver;       /* version it seals with (== ver except at    */
                             /*   the authority early in a round)          */
    uint32_t prev_ver;       /* the kept previous version, if has_prev     */
    uint8_t has_prev;
    sim_time prev_until;     /* the previous value goes then; SIM_TIME_MAX */
                             /*   while the authority's round runs         */
} nknode;

typedef struct netkey {
    pk b;                    /* first (pk.h, baseline_keystore)            */
    const bl_opts *o;
    pk_replays rp;           /* data windows per (receiver, sender)        */
    int rtx_msgs[NK_REKEY_ACK + 1]; /* resends counted as messages  */
    uint32_t auth;           /* the key authority (first SO) or SIM_NONE   */
    uint32_t version;        /* newest version drawn                       */
    /* The round under way (one at a time). */
    int busy;                /* a round runs                               */
    int lost;                /* an ack of it was given up                  */
    int again;               /* a reaction waits for the round under way   */
    uint32_t n_revoked;      /* nodes revoked (atk_react)                  */
    /* The authority's tables, per node (its state, not the node's): */
    uint32_t *ack_ver;       /* the version the node last acked (a repeat  */
                             /*   is not new)                              */
    uint8_t *revoked;        /* captured and detected: left out of rounds  */
    int phase;               /* 0 subscribers, 1 SOs, 2 sources            */
    uint32_t pending;        /* acks awaited in this phase                 */
    sim_time start;
    /* metric ids */
    int m_opened, m_pub_opened, m_rejected, m_replays, m_unprot;
    int m_msg_rekey, m_msg_ack, m_rk_rej, m_missing, m_skipped, m_rtx, m_dup;
} netkey;

static nknode *nn(netkey *N, uint32_t v)
{
    return sim_world_node_state(N->b.w, v);
}

/* The authority's record of node v: its ack (ack_ver) and revocation
 * (revoked) entries.  Only the authority reads them (locality check). */
static uint32_t *auth_ack(netkey *N, uint32_t v)
{
    sim_world_local(N->b.w, N->auth, "netkey", "authority ack table");
    return &N->ack_ver[v];
}

static uint8_t *auth_revoked(netkey *N, uint32_t v)
{
    sim_world_local(N->b.w, N->auth, "netkey", "authority revocations");
    return &N->revoked[v];
}

/* node's handle of version ver, if it still holds it. */
static cry_key key_for(netkey *N, uint32_t v, uint32_t ver)
{
    nknode *n = nn(N, v);
    if (ver != n->ver && !(n->has_prev && ver == n->prev_ver))
        return 0;
    return pk_key(&N->b, v, ver);
}

/* ---- previous values ---------------------------------------------------------- */

static void drop_prev(netkey *N, uint32_t v)
{
    nknode *n = nn(N, v);
    if (!n->has_prev)
        return;
    pk_key_del(&N->b, v, n->prev_ver);
    n->has_prev = 0;
}

static void ev_drop_prev(sim_sched *s, void *ctx, uint32_t kind, uint32_t v,
                         void *arg, uint64_t u64)
{
    netkey *N = sim_world_proto_state(ctx);
    nknode *n = nn(N, v);
    (void)kind; (void)arg; (void)u64;
    if (n->has_prev && n->prev_until <= sim_sched_now(s))
        drop_prev(N, v);             /* else replaced again since: later */
}

/* v keeps its previous value until `until` (SIM_TIME_MAX: until told). */
static void keep_prev(netkey *N, uint32_t v, sim_time until)
{
    nknode *n = nn(N, v);
    n->prev_until = until;
    if (until == SIM_TIME_MAX)
        return;
    if (until <= sim_world_now(N->b.w))
        drop_prev(N, v);
    else
        sim_sched_at(sim_world_sched(N->b.w), until, ev_drop_prev,
                     SIM_EV_PROTO + 3, v, NULL, 0);
}

/* v installs handle k as version ver; its current value becomes the
 * previous one (an older previous one is wiped: two at most). */
static void install(netkey *N, uint32_t v, uint32_t ver, cry_key k)
{
    nknode *n = nn(N, v);
    drop_prev(N, v);
    pk_key_put(&N->b, v, ver, k);
    n->prev_ver = n->ver;
    n->has_prev = 1;
    n->ver = ver;
}

/* ---- the authority's round ------------------------------------------------------ */

static const scn_role phase_role[3] = {
    SCN_ROLE_SUBSCRIBER, SCN_ROLE_SO, SCN_ROLE_SOURCE,
};

/* One REKEY per node of the phase's role, sealed under the previous
 * version (the one they hold). */
static void send_phase(netkey *N)
{
    pk *b = &N->b;
    uint32_t a = N->auth, ver = N->version;
    cry_key old = pk_key(b, a, ver - 1);
    unsigned char body[NK_BODY];

    sim_put32(body, ver);
    cry_key_export(b->ks, pk_key(b, a, ver), body + 4);
    for (uint32_t v = 0; v < b->n_nodes; v++) {
        sim_pkt *p;
        if (v == a || pk_role(b, v) != phase_role[N->phase] ||
            *auth_revoked(N, v))
            continue;
        p = pk_msg(b, a, v, NK_REKEY, body, sizeof body, old, 0, ver);
        pk_count(b, N->m_msg_rekey, 1);
        N->pending++;
        pk_rtx_send(&N->b, a, p, v);
    }
    cry_wipe(body, sizeof body);
}

static int round_start(netkey *N);

/* Next phase once this one is acked; the round ends after the sources. */
static void advance(netkey *N)
{
    while (N->busy && N->pending == 0) {
        if (++N->phase == 1)
            nn(N, N->auth)->send_ver = N->version;  /* subscribers have K' */
        if (N->phase == 3) {
            N->busy = 0;
            if (!N->lost)
                pk_count(&N->b, N->b.m_rekey,
                         sim_time_to_s(sim_world_now(N->b.w) - N->start));
            keep_prev(N, N->auth, sim_world_now(N->b.w) + N->o->prev_for);
            if (N->again) {          /* a reaction waited for this round */
                N->again = 0;
                round_start(N);
            }
            return;
        }
        send_phase(N);
    }
}

static void rekey_gaveup(pk *b, uint32_t from, uint32_t to, int type,
                         uint32_t ref)
{
    netkey *N = (netkey *)b;           /* the state begins with its pk */
    (void)from; (void)to; (void)type; (void)ref;
    pk_count(&N->b, N->m_missing, 1);
    N->lost = 1;
    if (N->pending && --N->pending == 0)
        advance(N);
}

/* Starts a round; the number of nodes it will reach, 0 if one is under
 * way (skipped, counted), -1 without an authority. */
static int round_start(netkey *N)
{
    pk *b = &N->b;
    uint32_t a = N->auth;
    cry_key fresh;

    if (a == SIM_NONE)
        return -1;
    if (N->busy) {
        pk_count(b, N->m_skipped, 1);
        return 0;
    }
    N->version++;
    fresh = pk_key_generate(b, a, NK_REKEY_STREAM, N->version, &b->ops[a]);
    b->ops[a].n[CRY_OP_KDF]++;                  /* generation = one KDF */
    pk_charge(b, a, SCN_OP_KDF, CRY_KEY_BYTES);
    install(N, a, N->version, fresh);      /* opens acks; seals with K yet */
    keep_prev(N, a, SIM_TIME_MAX);
    N->busy = 1;
    N->lost = 0;
    N->phase = 0;
    N->pending = 0;
    N->start = sim_world_now(b->w);
    send_phase(N);
    advance(N);
    return (int)(b->n_nodes - 1 - N->n_revoked);
}

static void ev_rekey(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64)
{
    netkey *N = sim_world_proto_state(ctx);
    (void)s; (void)kind; (void)arg;
    round_start(N);
    if (u64 == 0)
        bl_rekey_next(ctx, N->o, ev_rekey, node);
}

/* ---- control messages ------------------------------------------------------------ */

/* A REKEY at node x: version ver = ours + 1, opened under our current
 * value, is installed and acked; ver = ours, opened under the kept
 * previous value and carrying the value we hold, is a repeat (our ack was
 * lost): acked again, nothing changes.  Anything else is refused. */
static void on_rekey(netkey *N, uint32_t x, sim_pkt *p)
{
    pk *b = &N->b;
    nknode *n = nn(N, x);
    uint32_t ver = sim_pkt_session(p);
    const unsigned char *body = NULL;
    unsigned char ack[8];
    size_t len = 0;
    cry_key k = 0, nk;
    int dup = 0;

    if (sim_pkt_src(p) == N->auth && x != N->auth) {
        if (ver == n->ver + 1) {
            k = pk_key(b, x, n->ver);
        } else if (ver == n->ver && ver > 0 && n->has_prev &&
                   n->prev_ver == ver - 1) {
            k = pk_key(b, x, ver - 1);
            dup = 1;
        }
    }
    if (k)
        body = pk_msg_open(b, x, p, k, &len);
    if (!body || len != NK_BODY || sim_get32(body) != ver) {
        pk_count(b, N->m_rk_rej, 1);
        pk_refuse(b, x, p);
        return;
    }
    nk = pk_key_import(b, x, body + 4);
    if (dup) {
        int same = cry_key_equal(b->ks, nk, pk_key(b, x, ver));
        cry_key_free(b->ks, nk);
        pk_refuse(b, x, p);      /* nothing changes, even when answered */
        if (!same) {
            pk_count(b, N->m_rk_rej, 1);
            return;
        }
        pk_count(b, N->m_dup, 1);
    } else {
        install(N, x, ver, nk);
        n->send_ver = ver;
        keep_prev(N, x, sim_world_now(b->w) + N->o->prev_for);
    }
    sim_put32(ack, ver);
    sim_put32(ack + 4, sim_pkt_seq(p));
    pk_count(b, N->m_msg_ack, 1);
    pk_send(b, x, pk_msg(b, x, sim_pkt_src(p), NK_REKEY_ACK, ack, sizeof ack,
                         pk_key(b, x, ver), 0, ver));
}

static void on_rekey_ack(netkey *N, uint32_t a, sim_pkt *p)
{
    pk *b = &N->b;
    uint32_t ver = sim_pkt_session(p), src = sim_pkt_src(p), ref;
    cry_key k = a == N->auth && src < b->n_nodes && src != a &&
                ver == nn(N, a)->ver ? pk_key(b, a, ver) : 0;
    const unsigned char *body = NULL;
    size_t len = 0;

    if (k)
        body = pk_msg_open(b, a, p, k, &len);
    if (!body || len != 8 || sim_get32(body) != ver) {
        pk_count(b, N->m_rk_rej, 1);
        pk_refuse(b, a, p);
        return;
    }
    if (!N->busy || ver != N->version || *auth_ack(N, src) == ver ||
        !pk_rtx_done(&N->b, a, sim_get32(body + 4), &ref)) {
        pk_count(b, N->m_dup, 1);          /* a repeat, or a late one */
        pk_refuse(b, a, p);
        return;
    }
    *auth_ack(N, src) = ver;
    if (N->pending && --N->pending == 0)
        advance(N);
}

static void netkey_control(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    netkey *N = ps;
    switch (pk_msg_type(p)) {
    case NK_REKEY: on_rekey(N, node, p); break;
    case NK_REKEY_ACK: on_rekey_ack(N, node, p); break;
    default:
        pk_count(&N->b, N->m_rk_rej, 1);
        pk_refuse(&N->b, node, p);
        break;
    }
    cry_wipe(sim_pkt_data(p), sim_pkt_data_len(p));
    sim_pkt_free(w, p);
}

/* ---- data ------------------------------------------------------------------------ */

static int netkey_protect(sim_world *w, void *ps, uint32_t src, uint32_t dst,
                          sim_pkt *p)
{
    netkey *N = ps;
    uint32_t ver = nn(N, src)->send_ver;
    cry_key k = pk_key(&N->b, src, ver);
    (void)w; (void)dst;

    if (!k || pk_seal_data(&N->b, src, p, k, 0, ver) != 0 ||
        (N->o->per_hop_mac && pk_hop_seal(&N->b, src, p, k) != 0))
        return -1;
    pk_send(&N->b, src, p);
    return 1;
}

/* per_hop_mac: a relay that holds the version in the header verifies the
 * header's MAC under it and MACs it again; one that does not (it has
 * dropped that value, or not received it yet) passes it on as it is. */
static int netkey_forward(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    netkey *N = ps;
    cry_key k;
    (void)w;

    if (!N->o->per_hop_mac || !pk_hop_covered(p) ||
        !(k = key_for(N, node, sim_pkt_session(p))))
        return 0;
    return pk_hop_relay(&N->b, node, p, k, 0, 0);
}

static int netkey_unprotect(sim_world *w, void *ps, uint32_t node, sim_pkt *p)
{
    netkey *N = ps;
    pk *b = &N->b;
    uint32_t src = sim_pkt_src(p), ver = sim_pkt_session(p);
    cry_key k;
    int rc = -1;

    if (!(sim_pkt_flags(p) & SIM_F_DATA_SEALED)) {
        /* Only a source that never registered sends in clear (scenario
         * `anonymous`): accepted, counted apart. */
        if (sim_pkt_type_of(p) == SIM_PKT_DATA && src < b->n_nodes &&
            pk_role(b, src) == SCN_ROLE_SOURCE &&
            !sim_world_so_knows(w, node, src)) {
            pk_count(b, N->m_unprot, 1);
            return 0;
        }
        pk_count(b, N->m_rejected, 1);
        return -1;
    }
    k = key_for(N, node, ver);
    if (!k || (N->o->per_hop_mac && !pk_hop_open(b, node, p, k, 0)) ||
        pk_open_data(b, node, p, k) != 0)
        pk_count(b, N->m_rejected, 1);
    else if (N->o->replay_window &&   /* kmsim extension: defences */
             pk_replays_check_pkt(b, &N->rp, node, p, ver) != 0)
        pk_count(b, N->m_replays, 1);
    else {
        pk_count(b, pk_role(b, node) == SCN_ROLE_SUBSCRIBER ? N->m_pub_opened
                                                            : N->m_opened, 1);
        rc = 0;
    }
    b->node[node].cpu_due = 0;   /* the SO's service time covers processing */
    return rc;
}

/* ---- life cycle ------------------------------------------------------------------ */

static int netkey_opts_parse(scn_map *m, void **out)
{
    return bl_opts_parse(m, 0, out);
}

#define M_(field) offsetof(netkey, field)
static const pk_metric netkey_metrics[] = {
    {M_(m_opened), "netkey.data.opened", "msg", ANA_COUNTER},
    {M_(m_pub_opened), "netkey.publish.opened", "msg", ANA_COUNTER},
    {M_(m_rejected), "netkey.data.rejected", "msg", ANA_COUNTER},
    {M_(m_replays), "netkey.data.replays", "msg", ANA_COUNTER},
    {M_(m_unprot), "netkey.data.unprotected", "msg", ANA_COUNTER},
    {M_(m_msg_rekey), "netkey.msgs.rekey", "msg", ANA_COUNTER},
    {M_(m_msg_ack), "netkey.msgs.rekey_ack", "msg", ANA_COUNTER},
    {M_(m_rk_rej), "netkey.rekey.rejected", "msg", ANA_COUNTER},
    {M_(m_missing), "netkey.rekey.missing_acks", "msg", ANA_COUNTER},
    {M_(m_skipped), "netkey.rekey.skipped", "1", ANA_COUNTER},
    {M_(m_rtx), "netkey.retransmissions", "msg", ANA_COUNTER},
    {M_(m_dup), "netkey.duplicates", "msg", ANA_COUNTER},
};
#undef M_

static int netkey_init(sim_world *w, void **ps, char *err, size_t errlen)
{
    netkey *N = xcalloc(1, sizeof *N);
    pk *b = &N->b;

    if (pk_init(b, w, err, errlen) != 0) {
        free(N);
        return -1;
    }
    N->o = sim_world_scenario(w)->proto_opts;
    pk_metrics_reg(sim_world_metrics(w), N, netkey_metrics,
                   ARRAY_LEN(netkey_metrics));
    pk_rtx_setup(b, N->o->rtx_after, N->o->rtx_max, rekey_gaveup, N->m_rtx, -1);
    N->rtx_msgs[0] = N->rtx_msgs[NK_REKEY_ACK] = -1;
    N->rtx_msgs[NK_REKEY] = N->m_msg_rekey;
    pk_rtx_msg_metrics(b, N->rtx_msgs, ARRAY_LEN(N->rtx_msgs));
    pk_replays_init(&N->rp);
    pk_replays_own(w, &N->rp, "netkey.replay");   /* locality check */
    N->auth = b->n_so ? b->so_node[0] : SIM_NONE;
    N->ack_ver = xcalloc(b->n_nodes ? b->n_nodes : 1, sizeof *N->ack_ver);
    N->revoked = xcalloc(b->n_nodes ? b->n_nodes : 1, sizeof *N->revoked);
    /* Preloaded: every node its own handle of the one value (version 0). */
    *ps = N;                       /* from here on deinit frees N */
    for (uint32_t v = 0; v < b->n_nodes; v++) {
        if (sim_world_setup_poll(w)) {
            snprintf(err, errlen, "interrupted");
            return -1;
        }
        pk_key_put(b, v, 0, pk_key_generate(b, v, NK_STREAM, 0, NULL));
    }
    if (N->auth != SIM_NONE)
        bl_rekey_schedule(w, N->o, ev_rekey, N->auth, 0, b->n_so);
    return 0;
}

static void netkey_deinit(sim_world *w, void *ps)
{
    netkey *N = ps;
    (void)w;
    pk_replays_deinit(&N->rp);
    pk_deinit(&N->b);
    free(N->ack_ver);
    free(N->revoked);
    free(N);
}

static void netkey_register_source(sim_world *w, void *ps, uint32_t src,
                                   uint32_t so)
{
    netkey *N = ps;
    (void)w; (void)src; (void)so;
    pk_count(&N->b, N->b.m_setup, 0);      /* it has held K from the start */
}

/* One value (two while a replaced one is kept). */
static uint64_t netkey_storage(sim_world *w, void *ps, uint32_t v)
{
    netkey *N = ps;
    (void)w;
    return (uint64_t)(1 + nn(N, v)->has_prev) * N->o->value_bytes;
}

/* Keys held by v (storage.keys_per_node), from its entries of the pk
 * table: the network key's current version and, while has_prev, the
 * kept previous one — 1, or 2 for previous_key_for after a replacement
 * (a revoked node keeps its last value). */
static uint64_t netkey_keys(sim_world *w, void *ps, uint32_t v)
{
    netkey *N = ps;
    const nknode *n = nn(N, v);
    (void)w;
    return (uint64_t)(pk_key(&N->b, v, n->ver) != 0) +
           (uint64_t)(n->has_prev && pk_key(&N->b, v, n->prev_ver) != 0);
}

/* kmsim metrics (mlist.h): the meaning of each metric of
 * the network-key baseline,
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_netkey[] = {
    {"netkey.data.opened",
     "data messages opened at the SO"},
    {"netkey.data.rejected",
     "data messages refused"},
    {"netkey.data.replays",
     "data refused as replays"},
    {"netkey.data.unprotected",
     "data sent without protection"},
    {"netkey.duplicates",
     "duplicate messages received and ignored"},
    {"netkey.keys.stored",
     "network keys stored over all nodes"},
    {"netkey.msgs.*",
     "network-key baseline messages of this type sent"},
    {"netkey.publish.opened",
     "publish messages opened by subscribers"},
    {"netkey.rekey.missing_acks",
     "acks missing when a re-key round ended"},
    {"netkey.rekey.rejected",
     "re-key messages refused"},
    {"netkey.rekey.skipped",
     "re-key rounds skipped (previous one still running)"},
    {"netkey.retransmissions",
     "messages retransmitted after a timeout"},
    {"netkey.version",
     "network key version at the end"},
    {NULL, NULL},
};

static void netkey_report(sim_world *w, void *ps, ana_metrics *m)
{
    netkey *N = ps;
    int stored = ana_metric_reg(m, "netkey.keys.stored", "", "key",
                                ANA_SAMPLES);
    for (uint32_t v = 0; v < N->b.n_nodes; v++)
        ana_metric_add(m, stored, (double)netkey_keys(w, ps, v));
    ana_metric_set(m, ana_metric_reg(m, "netkey.version", "", "1", ANA_VALUE),
                   N->version);
    pk_report_crypto(sim_world_topo(w), N->b.ops, m);
}

/* ---- inspection (baseline.h) ----------------------------------------------------- */

static netkey *N_of(const sim_world *w)
{
    if (sim_world_scenario(w)->proto != &sim_proto_netkey)
        return NULL;
    return sim_world_proto_state((sim_world *)w);
}

uint32_t netkey_version(const sim_world *w, uint32_t node)
{
    netkey *N = N_of(w);
    return N && node < N->b.n_nodes ? nn(N, node)->ver : UINT32_MAX;
}

cry_key netkey_key_of(const sim_world *w, uint32_t node, uint32_t version)
{
    netkey *N = N_of(w);
    return N && node < N->b.n_nodes ? key_for(N, node, version) : 0;
}

int netkey_rekey(sim_world *w)
{
    netkey *N = N_of(w);
    return N ? round_start(N) : -1;
}

size_t netkey_capture(const sim_world *w, uint32_t node, baseline_key *out,
                      size_t max)
{
    netkey *N = N_of(w);
    nknode *n;
    size_t k = 0;

    if (!N || node >= N->b.n_nodes)
        return 0;
    n = nn(N, node);
    if (k < max)
        out[k] = (baseline_key){BASELINE_NET, n->ver, 0,
                                pk_key(&N->b, node, n->ver)};
    k++;
    if (n->has_prev) {
        if (k < max)
            out[k] = (baseline_key){BASELINE_NET, n->prev_ver, 1,
                                    pk_key(&N->b, node, n->prev_ver)};
        k++;
    }
    return k;
}

/* ---- the adversary (atk_hooks.h) -------------------------------------------------- */

/* Every key of the table is a version of K: header name 0, aux version. */
static int netkey_atk_map(void *ps, uint32_t holder, uint64_t name,
                          atk_kind *kind, uint64_t *label, uint64_t *aux)
{
    (void)ps; (void)holder;
    *kind = ATK_KEY;
    *label = 0;
    *aux = name;
    return 0;
}

/* Every version the node holds: the current one and a kept previous one.
 * (There is no device key in this baseline.) */
static void netkey_atk_capture(sim_world *w, void *ps, uint32_t node,
                               atk_kb *kb)
{
    netkey *N = ps;
    (void)w;
    if (node < N->b.n_nodes)
        pk_atk_capture(&N->b, node, kb, netkey_atk_map, N);
}

/* The network key: its newest version, as the authority holds it (any
 * node's without an authority).  One key: `draw` is not needed. */
static int64_t netkey_atk_leak(sim_world *w, void *ps, atk_kb *kb,
                               uint64_t (*draw)(void *ctx, uint64_t n),
                               void *ctx)
{
    netkey *N = ps;
    uint32_t v = N->auth != SIM_NONE ? N->auth : 0;
    cry_key k;
    (void)w; (void)draw; (void)ctx;

    if (N->b.n_nodes == 0 || !(k = pk_key(&N->b, v, nn(N, v)->ver)))
        return -1;
    atk_kb_add(kb, ATK_KEY, 0, nn(N, v)->ver, N->b.ks, k);
    return nn(N, v)->ver;
}

/* A replacement round now, or as soon as the one under way ends (its K'
 * may be the leaked value, or sealed under it); a captured node is
 * revoked first.  Nothing when the authority itself was captured. */
static long netkey_atk_react(sim_world *w, void *ps, int what, uint64_t id)
{
    netkey *N = ps;
    long told;
    (void)w;                     /* the locality check's only (test build) */

    if (N->auth == SIM_NONE || !N->o->capture_reaction)
        return 0;            /* capture_reaction off: as published */
    if (what == ATK_REACT_CAPTURE && (id >= N->b.n_nodes || id == N->auth))
        return 0;
    /* The detection is noticed by the authority, which acts from its own
     * state (locality check: it is the actor). */
    sim_world_act_as(w, N->auth, "capture or leak detected");
    if (what == ATK_REACT_CAPTURE && !*auth_revoked(N, (uint32_t)id)) {
        *auth_revoked(N, (uint32_t)id) = 1;
        N->n_revoked++;
    }
    if (N->busy) {
        N->again = 1;
        told = (long)(N->b.n_nodes - 1 - N->n_revoked);
    } else {
        told = round_start(N);
    }
    sim_world_act_end(w);
    return told;
}

/* A REKEY read (opened under a version the attacker holds): the new
 * version inside.  Any bytes: everything is bounds-checked. */
static void netkey_atk_learn(sim_world *w, void *ps, atk_kb *kb,
                             const sim_pkt *p, int part,
                             const unsigned char *pt, size_t len)
{
    (void)w; (void)ps;
    if (part != 1 || !pt || sim_pkt_type_of(p) != SIM_PKT_CONTROL ||
        len != 1 + NK_BODY || pt[0] != NK_REKEY)
        return;
    atk_kb_add_bytes(kb, ATK_KEY, 0, sim_get32(pt + 1), pt + 5,
                     CRY_KEY_BYTES);
}

/* Links: every source and subscriber that holds the newest version, with
 * its SO; exposed when the attacker holds that value. */
static void netkey_atk_exposure(sim_world *w, void *ps, atk_kb *kb,
                                atk_exposure *out)
{
    netkey *N = ps;
    pk *b = &N->b;

    memset(out, 0, sizeof *out);
    for (uint32_t v = 0; v < b->n_nodes; v++) {
        uint32_t so = sim_world_home_so(w, v);
        int clean, held;
        if (pk_is_so(b, v) || so == SIM_NONE || nn(N, v)->ver != N->version)
            continue;
        clean = !atk_kb_captured(kb, v) && !atk_kb_captured(kb, so);
        held = atk_kb_holds(kb, 0, b->ks, pk_key(b, v, nn(N, v)->ver));
        out->links++;
        out->exposed += held;
        out->links_clean += clean;
        out->exposed_clean += clean && held;
    }
}

/* A well-formed forgery (atk_hooks.h atk_forge): data as netkey_protect makes
 * it — header name 0, the version (the entry's aux) as session, the data
 * part under that version of K and, with per_hop_mac, the control part
 * MACed under it as sent by the transmitting node. */
static sim_pkt *netkey_atk_forge(sim_world *w, void *ps, atk_kb *kb,
                                 const atk_forge_req *rq)
{
    netkey *N = ps;
    uint32_t ver;

    if (rq->key >= atk_kb_count(kb) || atk_kb_kind(kb, rq->key) != ATK_KEY ||
        atk_kb_label(kb, rq->key) != 0)
        return NULL;
    ver = (uint32_t)atk_kb_aux(kb, rq->key);
    if (rq->what == ATK_FORGE_DATA)
        return atk_kb_forge_data(w, kb, rq, 0, ver,
                                 N->o->per_hop_mac ? rq->key : ATK_NONE,
                                 N->o->per_hop_mac ? rq->sender : rq->src);
    if (rq->what == ATK_FORGE_REKEY && N->auth != SIM_NONE) {
        /* the authority's REKEY: version ver + 1 and a value of the
         * attacker's own (which it then knows), sealed under version ver,
         * to a node (dst, or the first one holding ver as its newest) */
        atk_forge_req r = *rq;
        unsigned char body[NK_BODY];
        cry_keystore *aks = atk_kb_store(kb);
        cry_key fresh;
        sim_pkt *p;
        if (r.dst == SIM_NONE)
            for (uint32_t v = 0; v < N->b.n_nodes && r.dst == SIM_NONE; v++)
                if (v != N->auth && nn(N, v)->ver == ver)
                    r.dst = v;
        if (r.dst == SIM_NONE || r.dst >= N->b.n_nodes || r.dst == N->auth)
            return NULL;
        r.src = N->auth;
        fresh = cry_key_generate(aks, (uint64_t)3 << 48 | r.dst, rq->seq,
                                 atk_kb_ops(kb));
        sim_put32(body, ver + 1);
        cry_key_export(aks, fresh, body + 4);
        p = atk_kb_forge_ctl(w, kb, &r, NK_REKEY, body, sizeof body, 0,
                             ver + 1);
        cry_wipe(body, sizeof body);
        if (p)
            atk_kb_add_own(kb, ATK_KEY, 0, ver + 1, fresh);
        else
            cry_key_free(aks, fresh);
        return p;
    }
    return NULL;
}

/* Estimate hook: 145 B per node beyond `none` (measured, estimate.c);
 * the authority's rounds also cross the SO backbone. */
static void netkey_estimate(const scenario *sc, struct sim_estimate *e)
{
    const bl_opts *o = sc->proto_opts;

    bl_estimate(sc, e, 145.0);
    sim_est_central(sc, e, "protocol.rekey_every", &o->rekey_mark,
                    o->rekey_every);
}

const scn_proto_ops sim_proto_netkey = {
    .name = "netkey",
    .summary = "baseline: one network-wide key in every node",
    .opts_parse = netkey_opts_parse,
    .opts_free = bl_opts_free,
    .node_state_size = sizeof(nknode),
    .threads_ok = 1,         /* pk.h "Partitions", sim/THREADS.md */
    .init = netkey_init,
    .estimate = netkey_estimate,
    .deinit = netkey_deinit,
    .on_register_source = netkey_register_source,
    .protect = netkey_protect,
    .unprotect = netkey_unprotect,
    .forward = netkey_forward,
    .on_control = netkey_control,
    .storage = netkey_storage,
    .keys = netkey_keys,
    .report = netkey_report,
};

/* Its adversary interface (atk_hooks.h): what the attackers ask of its
 * state; the registry hands it over (proto.h sim_proto_atk). */
const atk_proto_hooks sim_atk_netkey = {
    .atk_capture = netkey_atk_capture,
    .atk_leak = netkey_atk_leak,
    .atk_react = netkey_atk_react,
    .atk_learn = netkey_atk_learn,
    .atk_exposure = netkey_atk_exposure,
    .atk_forge = netkey_atk_forge,
};
