/* eg.c — Eschenauer–Gligor random key predistribution (CCS 2002) and the
 * q-composite variant of Chan, Perrig and Song (S&P 2003), DESIGN.md §2.3.
 *
 * Predistribution.  Before the run every node gets a ring of `ring` key
 * ids drawn without replacement from [0, pool) with its own GSL stream
 * (SIM_RNG_PROTOCOL, index = node); pool key i has the same value for
 * every holder (cry_key_generate(POOL_STREAM, i)).  Every node also
 * shares a device key with its home SO, for revocation messages.
 *
 * Discovery (t = 0).  Every node sends its ring's ids, in clear, to each
 * neighbour (HELLO).  A receiver intersects them with its own ring: with
 * at least q shared keys the link key is the shared key of smallest id
 * (q = 1) or H(k_1 || ... || k_s) over all shared keys in id order
 * (q >= 2).  Each end then proves it holds the key with a LINK_OK sealed
 * under it; a link is secured at an end once the other end's proof opens.
 * HELLO is not authenticated; once a neighbour has been heard, a later
 * HELLO only removes ids (rings never grow): see on_hello.
 *
 * Directional keys.  The data part's nonce is (header src || the sealing
 * key's counter) and both ends hold the link key's value, so the link key
 * is never used to seal: each end derives from it a sending key for
 * (itself -> neighbour) and a receiving key for (neighbour -> itself),
 * cry_key_derive(link key, id = sender << 32 | receiver).  The receiver
 * is part of the id because with q = 1 one pool key can be the link key
 * of several links of the same node: with id = sender alone two of its
 * sending handles would hold one value and restart the same counters.
 * Only one handle ever seals with a given value, and a link key that
 * does not change keeps its handles (and counters) across rediscovery.
 *
 * Path keys (paper: E–G's path-key establishment).  When a node's own
 * discovery has settled (interpretation, node_phase: it has sent and
 * taken no HELLO, direct-key LINK_OK or REVOKE for path_settle, or its
 * window's bound SETTLE_MAX / REVOKE_MAX passed: its own settle timer,
 * no network-wide signal), for each neighbour pair it has heard from
 * with no key in its own table the lower-index end searches for a path of
 * secured links to the other end by messages (interpretation: an
 * expanding-ring search, PK_SEARCH / PK_FOUND, at most path_hops
 * intermediate nodes; see "Path keys" in eg_setup.c: no node reads
 * another's links), draws a fresh key and sends it hop by hop along the
 * first path found, each hop sealed under that hop's sending key; the far
 * end acks under the new key over their own link and the initiator
 * confirms with a LINK_OK.
 *
 * Replays.  Everything sealed under a link key is checked against a
 * 64-wide window of the receiving key's counters (eg_link.rx, reset when
 * that key is replaced), REVOKE against one per node (device key): a
 * copy is refused.  No link key value is ever installed twice at an end
 * (path keys are fresh, shared ids only shrink), so a new handle never
 * restarts the counters of a value already used.
 *
 * Data.  Hop by hop: the origin seals the data part under its sending key
 * of the first hop, each forwarder opens it with its receiving key of the
 * hop it came from and re-seals it under its sending key of the next hop,
 * the destination opens it.  Routes (eg_next_hop), option data_routing:
 *  - greedy (the default; kmsim extension, local): the world's next hop
 *    if the forwarder's own link to it is secured, else its own secured
 *    neighbour strictly nearer to the destination by the world's hop
 *    count (greedy_next_hop);
 *  - secured_graph (a named exception to the locality rule: it reads
 *    every node's link states, standing in for a routing protocol over
 *    secured links whose messages are not simulated): a shortest path
 *    over the secured graph (links OK at both ends, as eg.links.secured;
 *    links to a captured node are dead once its neighbours learn of the
 *    revocation), ties to the lowest-index neighbour; when no secured
 *    path exists, the world's shortest path.
 * The route hook returns the hop the
 * packet was sealed for (the receiver in its key name), so the world
 * sends it where protect/forward chose even if the graph changed during
 * the sender's CPU time.  The hop sender travels
 * in the header's hop-sender field (offset 28; data packets have no
 * control part, so the world never writes it); it is not authenticated,
 * but a wrong one picks a key that does not open the data part.  Data
 * whose first hop is not secured yet waits (pk_queue); once the holder's
 * own phase has run (node_final), data for a hop it has heard from that
 * has no key and no path key under way at the holder is dropped, as is
 * data reaching a forwarder whose next hop is not secured.
 *
 * Revocation.  eg_revoke() / revoke_at: each node's home SO sends it the
 * captured ring's ids under their device key.  Holders wipe those keys,
 * drop their links to the captured node, drop links whose key used a
 * revoked id (q = 1: the smallest shared id; q >= 2: any shared id) or
 * whose path key travelled through the captured node, and rebuild them:
 * from the remaining shared ids (a fresh HELLO tells the neighbour the
 * new ring) or, once each node's own window of the round has settled
 * (a REVOKE opens one), by path keys that avoid captured nodes.  eg_revoke_key() revokes one pool key (a leak)
 * the same way: its holders are told, no node is captured.
 *
 * Two partitions (kmsim extension, --threads 2, sim/THREADS.md; threads_ok).
 * The start-up (ev_start) and the revocation rounds act for every node:
 * run-wide events (sim_world_at_global), run alone.  Every other event
 * writes its node's records and its partition's eg_part; search ids and
 * path-key material are the initiator's own count; what reads both ends
 * of a link between the partitions (up, the lost mark, re-secured) and
 * the sample metrics are logged with event keys and replayed merged by
 * key (eg_sync) at run-wide events and in the report.
 *
 * The module is split along its seams, sharing eg_int.h (private): this
 * file holds the options, the life cycle (set-up, storage, report), the
 * inspection functions of eg.h and the ops table; eg_setup.c key
 * discovery, link keys, secured links and held data, path keys and the
 * control messages; eg_route.c data routing and hop-by-hop sealing;
 * eg_revoke.c revocation; eg_atk.c the adversary's hooks (capture,
 * derive, learn, leak, react, exposure), with what each gives an
 * attacker. */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "proto.h"
#include "scn_map.h"
#include "estimate.h"
#include "world.h"
#include "wire.h"
#include "cry_key.h"
#include "eg_theory.h"
#include "util.h"
#include "eg.h"
#include "pk.h"
#include "kb.h"
#include "cry.h"
#include "eg_int.h"

/* data_routing's names (EG_ROUTE_* order). */
static const char *const route_names[] = {"secured_graph", "greedy", NULL};
static const char *const msg_names[M_COUNT] = {
    "", "hello", "link_ok", "path_key", "path_ack", "revoke", "pk_search",
    "pk_found",
};

/* ------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------- */

static void eg_opts_free(void *p)
{
    eg_opts *o = p;
    if (!o)
        return;
    free(o->revoke_at);
    free(o->revoke_nodes);
    free(o->revoke_marks);
    free(o);
}

static int eg_opts_parse(scn_map *m, void **out)
{
    eg_opts *o = xcalloc(1, sizeof *o);
    int64_t pool, ring, q, hops, idb, vb;
    int hop_mac;

    scn_map_mark(m, "pool", 0, &o->pool_mark);
    scn_map_mark(m, "data_routing", 0, &o->route_mark);
    if (scn_map_int(m, "pool", 0, 1000, 1, 1 << 24, &pool) ||
        scn_map_int(m, "ring", 0, 50, 1, EG_MAX_RING, &ring) ||
        scn_map_int(m, "q", 0, 1, 1, EG_MAX_RING, &q) ||
        scn_map_bool(m, "path_keys", 0, 1, &o->path_keys) ||
        scn_map_int(m, "path_hops", 0, 3, 0, EG_MAX_HOPS, &hops) ||
        scn_map_time(m, "path_timeout", 0, EG_PATH_TIMEOUT, SIM_MS,
                     60 * SIM_S, &o->path_timeout) ||
        scn_map_time(m, "path_settle", 0, EG_PATH_SETTLE, SIM_MS, 60 * SIM_S,
                     &o->path_settle) ||
        scn_map_enum(m, "data_routing", route_names, 0,
                     EG_ROUTE_GREEDY, &o->data_routing) ||
        scn_map_times(m, "revoke_at", 1024, 0, SCN_MAX_DURATION,
                      &o->revoke_at, &o->n_revoke_at) ||
        scn_map_ints(m, "revoke_nodes", 1024, 0, UINT32_MAX - 1,
                     &o->revoke_nodes, &o->n_revoke_nodes) ||
        scn_map_int(m, "key_id_bytes", 0, 2, 1, 8, &idb) ||
        scn_map_int(m, "key_value_bytes", 0, 8, 1, 64, &vb) ||
        scn_map_bool(m, "per_hop_mac", 0, 1, &hop_mac) ||
        scn_map_defence(m, "replay_window", 0, 1, &o->replay_window) ||
        scn_map_defence(m, "capture_reaction", 1, 1, &o->capture_reaction))
        goto fail;
    /* per_hop_mac, the option of the protocols that relay data under an
     * end-to-end key (pk.h), is always on here: E-G seals data hop by hop
     * under link keys by design, which authenticates every hop. */
    if (!hop_mac) {
        scn_map_error(m, "per_hop_mac", "'per_hop_mac' cannot be false for "
                      "eg: it seals data hop by hop under link keys");
        goto fail;
    }
    if (ring > pool) {
        scn_map_error(m, "ring", "'ring' (%lld) must be <= 'pool' (%lld)",
                      (long long)ring, (long long)pool);
        goto fail;
    }
    if (q > ring) {
        scn_map_error(m, "q", "'q' (%lld) must be <= 'ring' (%lld)",
                      (long long)q, (long long)ring);
        goto fail;
    }
    if (o->n_revoke_at && !o->n_revoke_nodes) {
        scn_map_error(m, "revoke_at", "'revoke_at' needs 'revoke_nodes'");
        goto fail;
    }
    if (o->n_revoke_nodes && o->n_revoke_at != 1 &&
        o->n_revoke_at != o->n_revoke_nodes) {
        scn_map_error(m, o->n_revoke_at ? "revoke_at" : "revoke_nodes",
                      "'revoke_at' must be one time or one per "
                      "'revoke_nodes' entry (%zu), got %zu",
                      o->n_revoke_nodes, o->n_revoke_at);
        goto fail;
    }
    o->revoke_marks = xcalloc(o->n_revoke_nodes + 1, sizeof *o->revoke_marks);
    for (size_t i = 0; i < o->n_revoke_nodes; i++)
        scn_map_mark(m, "revoke_nodes", i, &o->revoke_marks[i]);
    if (scn_map_done(m))
        goto fail;
    o->pool = (uint32_t)pool;
    o->ring = (uint32_t)ring;
    o->q = (uint32_t)q;
    o->path_hops = (uint32_t)hops;
    o->id_bytes = (uint32_t)idb;
    o->value_bytes = (uint32_t)vb;
    *out = o;
    return 0;
fail:
    eg_opts_free(o);
    return -1;
}

/* ------------------------------------------------------------------------
 * Life cycle, storage, report
 * ---------------------------------------------------------------------- */

#define M_(field) offsetof(eg, field)
/* kmsim metrics (mlist.h): the meaning of each metric of
 * Eschenauer-Gligor,
 * registered below, by glob over its name (first match wins; a
 * statistic ".mean", ".sd", ... of a sample metric takes its meaning). */
const ana_metric_doc sim_mdoc_eg[] = {
    {"eg.bytes.*",
     "bytes of E-G messages of this type sent"},
    {"eg.msgs.*",
     "E-G messages of this type sent"},
    {"eg.connectivity.direct",
     "largest component of the graph of links keyed directly (ground truth)"},
    {"eg.connectivity",
     "largest component of the secured graph (direct and path keys), fraction of nodes"},
    {"eg.data.dropped",
     "data dropped (no secured path)"},
    {"eg.data.opened",
     "data messages opened at the SO"},
    {"eg.links.lost",
     "secured links lost to revocation"},
    {"eg.links.resecured",
     "links secured again after a revocation"},
    {"eg.links.secured",
     "neighbour links secured (shared key or path key)"},
    {"eg.links",
     "neighbour links"},
    {"eg.path_key.delay",
     "path-key establishment delay"},
    {"eg.path_key.fail_delay",
     "delay until a path-key establishment failed"},
    {"eg.path_key.failed",
     "path-key establishments that failed"},
    {"eg.path_key.search_delay",
     "path-key search delay"},
    {"eg.path_keys",
     "path keys established"},
    {"eg.pk_search.duplicates",
     "duplicate path-key searches ignored"},
    {"eg.rejected",
     "messages refused"},
    {"eg.revoked_keys",
     "key ring ids revoked"},
    {"eg.share_prob.theory",
     "probability two rings share enough ids (E-G formula, p1 or q-composite)"},
    {"eg.share_prob",
     "fraction of neighbour pairs whose rings share enough ids"},
    {NULL, NULL},
};

static const pk_metric eg_metrics[] = {
    {M_(m_share), "eg.share_prob", "1", ANA_VALUE},
    {M_(m_share_th), "eg.share_prob.theory", "1", ANA_VALUE},
    {M_(m_conn_direct), "eg.connectivity.direct", "1", ANA_VALUE},
    {M_(m_conn), "eg.connectivity", "1", ANA_VALUE},
    {M_(m_links), "eg.links", "link", ANA_VALUE},
    {M_(m_secured), "eg.links.secured", "link", ANA_VALUE},
    {M_(m_path), "eg.path_keys", "link", ANA_COUNTER},
    {M_(m_path_fail), "eg.path_key.failed", "link", ANA_COUNTER},
    {M_(m_pk_delay), "eg.path_key.delay", "s", ANA_SAMPLES},
    {M_(m_pk_search_delay), "eg.path_key.search_delay", "s", ANA_SAMPLES},
    {M_(m_pk_fail_delay), "eg.path_key.fail_delay", "s", ANA_SAMPLES},
    {M_(m_pk_dup), "eg.pk_search.duplicates", "msg", ANA_COUNTER},
    {M_(m_revoked), "eg.revoked_keys", "key", ANA_COUNTER},
    {M_(m_lost), "eg.links.lost", "link", ANA_COUNTER},
    {M_(m_resecured), "eg.links.resecured", "link", ANA_COUNTER},
    {M_(m_dropped), "eg.data.dropped", "msg", ANA_COUNTER},
    {M_(m_opened), "eg.data.opened", "msg", ANA_COUNTER},
    {M_(m_rejected), "eg.rejected", "msg", ANA_COUNTER},
};
#undef M_

static void ev_revoke(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                      void *arg, uint64_t u64)
{
    (void)s; (void)kind; (void)arg; (void)u64;
    eg_revoke(ctx, node);
}

static void ev_start(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    eg *E = sim_world_proto_state(w);
    const sim_topo *t = E->b.t;
    (void)s; (void)kind; (void)node; (void)arg; (void)u64;

    /* One event starts every node: each sends its HELLOs as itself
     * (locality check: it is the actor).  Run-wide (sim_world_at_global):
     * it writes every partition's state. */
    E->glob = 1;
    eg_sync(E);
    for (uint32_t v = 0; v < E->n; v++) {
        size_t len;
        sim_world_act_as(w, v, "start-up at time 0");
        len = eg_hello_body(E, v);        /* one body for every neighbour */
        for (uint32_t j = t->adj_off[v]; j < t->adj_off[v + 1]; j++)
            eg_send_hello_body(E, v, t->adj[j], len);
        sim_world_act_end(w);
    }
    E->glob = 0;
}

static void eg_deinit(sim_world *w, void *ps);

/* Partition state P, empty (scratch sized for the options). */
static void part_init(eg *E, eg_part *P, sim_world *w, const eg_opts *o)
{
    (void)E; (void)w;
    P->n_via = 1;                         /* via_off 0 means none */
    P->isect = xmalloc(((size_t)o->ring + 1) * sizeof *P->isect);
    P->rvids = xmalloc(((size_t)o->ring + 1) * sizeof *P->rvids);
    P->msg = xmalloc(16 + 4 * (size_t)o->ring + 4 * (EG_MAX_HOPS + 2) +
                     CRY_KEY_BYTES);
    P->keybuf = xmalloc(((size_t)o->ring + 1) * CRY_KEY_BYTES);
    P->mark = xcalloc((size_t)o->pool / 64 + 1, sizeof *P->mark);
    kmap_init(&P->told);
    sim_world_own(w, &P->told, "eg.told");   /* locality check */
    P->sec_gen = 1;
    P->srch_free = UINT32_MAX;
}

/* Frees what part_init made (safe on a zeroed P). */
static void part_deinit(const eg *E, eg_part *P)
{
    free(P->seen_tmp);
    kmap_deinit(&P->told);
    free(P->ids);
    free(P->via);
    free(P->isect);
    free(P->rvids);
    free(P->msg);
    free(P->mark);
    if (P->keybuf)
        cry_wipe(P->keybuf, ((size_t)E->o->ring + 1) * CRY_KEY_BYTES);
    free(P->keybuf);
    free(P->srch);
    free(P->last_up);
    free(P->cut);
    free(P->smp);
}

static int eg_init(sim_world *w, void **ps, char *err, size_t errlen)
{
    const scenario *sc = sim_world_scenario(w);
    const eg_opts *o = sc->proto_opts;
    const sim_topo *t = sim_world_topo(w);
    ana_metrics *m = sim_world_metrics(w);
    uint32_t *all, m_ring = o->ring;
    eg *E = xcalloc(1, sizeof *E);
    char name[64];

    if (pk_init(&E->b, w, err, errlen) != 0) {
        free(E);
        return -1;
    }
    E->o = o;
    E->n = t->n_nodes;
#ifndef KMSIM_LOCALITY
    E->nodes = sim_world_node_state(w, 0);  /* per node, contiguous */
#endif
    *ps = E;
    if (sim_world_nparts(w) > 1 && o->data_routing == EG_ROUTE_SECURED_GRAPH) {
        /* Its routes read every node's links (the named locality
         * exception): nothing a partition owns. */
        scn_error_at(sc, &o->route_mark, err, errlen,
                     "protocol.data_routing: secured_graph reads every "
                     "node's links and runs on one thread only (--threads "
                     "1, or data_routing: greedy)");
        eg_deinit(w, E);
        *ps = NULL;
        return -2;
    }
    for (int k = 0; k < sim_world_nparts(w); k++)
        part_init(E, &E->part[k], w, o);
    if (sim_world_nparts(w) > 1) {
        E->pof = xmalloc((size_t)E->n + 1);
        for (uint32_t v = 0; v < E->n; v++)
            E->pof[v] = (uint8_t)sim_world_part_of(w, v);
        E->cok = xcalloc((size_t)t->adj_off[E->n] + 1, 1);
    }
    for (size_t i = 0; i < o->n_revoke_nodes; i++) {
        uint32_t v;
        for (v = 0; v < t->n_nodes; v++)
            if ((int64_t)t->nodes[v].id == o->revoke_nodes[i])
                break;
        if (v == t->n_nodes) {
            /* at the entry (issue 20), not the list or the topology;
             * at the --set that changed the topology, if that did */
            scn_error_at(sc, scn_mark_cause(&o->revoke_marks[i],
                                            &sc->nodes_mark), err, errlen,
                         "protocol.revoke_nodes: no node with id %lld",
                         (long long)o->revoke_nodes[i]);
            eg_deinit(w, E);
            *ps = NULL;
            return -2;
        }
        /* Issue 20 (kmsim extension): contradictory entries are refused
         * at the entry.  A smart object is the controller's messenger of
         * a revocation (interpretation: SOs send REVOKE) and a subscriber
         * is an MQTT client, not a sensor of the network: only a source
         * is revoked.  The same node twice would revoke it once. */
        for (size_t j = 0; j < i; j++)
            if (o->revoke_nodes[j] == o->revoke_nodes[i]) {
                scn_error_at(sc, &o->revoke_marks[i], err, errlen,
                             "protocol.revoke_nodes: node %lld is already "
                             "entry %zu", (long long)o->revoke_nodes[i], j);
                eg_deinit(w, E);
                *ps = NULL;
                return -2;
            }
        if (t->nodes[v].role != SCN_ROLE_SOURCE) {
            scn_error_at(sc, &o->revoke_marks[i], err, errlen,
                         "protocol.revoke_nodes: node %lld is a %s; only a "
                         "source can be revoked",
                         (long long)o->revoke_nodes[i],
                         t->nodes[v].role == SCN_ROLE_SO ? "smart object"
                                                         : "subscriber");
            eg_deinit(w, E);
            *ps = NULL;
            return -2;
        }
        /* A revocation round acts for every node: run-wide. */
        sim_world_at_global(w, o->revoke_at[o->n_revoke_at == 1 ? 0 : i],
                            ev_revoke, SIM_EV_PROTO + 1, v, NULL, 0);
    }
    E->ring = xmalloc(sizeof *E->ring * ((size_t)E->n * m_ring + 1));
    E->orig = xmalloc(sizeof *E->orig * ((size_t)E->n * m_ring + 1));
    E->pool = xcalloc((size_t)sim_world_nparts(w) * o->pool,
                      sizeof *E->pool);   /* a copy per part (pool_key) */
    E->lk_mem = xcalloc((size_t)t->adj_off[E->n] + 2, sizeof *E->lk);
    E->lk = (eg_link *)(((uintptr_t)E->lk_mem + 63) & ~(uintptr_t)63);
    E->rev = xmalloc(((size_t)t->adj_off[E->n] + 1) * sizeof *E->rev);
    E->up = xcalloc((size_t)t->adj_off[E->n] + 1, sizeof *E->up);
    E->stor = xcalloc((size_t)E->n + 1, sizeof *E->stor);
    for (uint32_t v = 0; v < E->n; v++)
        for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++)
            E->rev[s] = slot_of(E, t->adj[s], v);
    for (uint32_t s = 0; s < t->adj_off[E->n]; s++)
        E->parallel |= E->rev[E->rev[s]] != s;
    E->bfs_seen = xcalloc(E->n + 1, sizeof *E->bfs_seen);
    E->bfs_q = xcalloc(E->n + 1, sizeof *E->bfs_q);
    E->conn_direct = NAN;
    E->rt_slot = xmalloc((E->n + 1) * sizeof *E->rt_slot);
    for (uint32_t v = 0; v <= E->n; v++)
        E->rt_slot[v] = SIM_NONE;
    pk_metrics_reg(m, E, eg_metrics, sizeof eg_metrics / sizeof *eg_metrics);
    for (int i = 1; i < M_COUNT; i++) {
        snprintf(name, sizeof name, "eg.msgs.%s", msg_names[i]);
        E->m_msgs[i] = ana_metric_reg(m, name, "", "msg", ANA_COUNTER);
    }
    for (int i = 1; i < M_COUNT; i++) {
        snprintf(name, sizeof name, "eg.bytes.%s", msg_names[i]);
        E->m_bytes[i] = ana_metric_reg(m, name, "", "B", ANA_COUNTER);
    }

    /* Predistribution: rings (ascending: gsl_ran_choose keeps the source
     * order), their key values, device keys. */
    all = xmalloc(sizeof *all * o->pool);
    for (uint32_t i = 0; i < o->pool; i++)
        all[i] = i;
    for (uint32_t v = 0; v < E->n; v++) {
        gsl_rng *r = sim_rng_get(sim_world_rng(w), SIM_RNG_PROTOCOL, v);
        uint32_t *ring = ring_of(E, v);
        /* an interrupt or the memory budget: *ps is set, deinit frees */
        if (sim_world_setup_check(w)) {
            free(all);
            snprintf(err, errlen, "interrupted");
            return -1;
        }
        gsl_ran_choose(r, ring, m_ring, all, o->pool, sizeof *all);
        memcpy(E->orig + (size_t)v * m_ring, ring, m_ring * sizeof *ring);
        en(E, v)->ring_n = m_ring;
        E->stor[v] = (uint64_t)m_ring * (o->id_bytes + o->value_bytes);
        for (uint32_t i = 0; i < m_ring; i++)
            if (!*pool_key(E, v, ring[i]))  /* its value, once a part */
                *pool_key(E, v, ring[i]) = key_generate(E, v, POOL_STREAM,
                                                        ring[i], NULL);
        if (!pk_is_so(&E->b, v))
            pk_key_put(&E->b, v, N_DEV | v,
                       key_generate(E, v, DEV_STREAM, v, NULL));
    }
    free(all);
    /* The sharing probability over the neighbour pairs, from the rings. */
    for (uint32_t l = 0; l < t->n_links; l++)
        E->links_shared += intersect(ring_of(E, t->links[l].a), m_ring,
                                     ring_of(E, t->links[l].b), m_ring,
                                     NULL) >= o->q;
    E->share_meas = t->n_links ? (double)E->links_shared / t->n_links : NAN;
    /* The start-up sends every node's HELLOs: run-wide. */
    sim_world_at_global(w, 0, ev_start, SIM_EV_PROTO, 0, NULL, 0);
    return 0;
}

static void eg_deinit(sim_world *w, void *ps)
{
    eg *E = ps;
    (void)w;

    if (!E)
        return;
    for (uint32_t v = 0; v < E->n; v++) {
        pk_queue_clear(&E->b, &en(E, v)->pend);
        free(en(E, v)->seen);
    }
    for (int k = 0; k < 2; k++)
        part_deinit(E, &E->part[k]);
    free(E->pof);
    free(E->cok);
    free(E->pool);                        /* values: wiped by pk_deinit */
    free(E->lk_mem);
    free(E->rev);
    free(E->up);
    free(E->stor);
    free(E->ring);
    free(E->orig);
    free(E->bfs_seen);
    free(E->bfs_q);
    free(E->rt_slot);
    for (uint32_t i = 0; i < E->n_rt; i++) {
        free(E->rt[i].tab);
        free(E->rt[i].q);
        free(E->rt[i].unr);
    }
    free(E->rt);
    free(E->round);
    pk_deinit(&E->b);
    free(E);
}

/* Key material at v in the scenario's sizes: each ring key its id and
 * value, each link key (direct or path) a value.  O(1): the world calls
 * it after an event of v that changed it (storage over time; E->stor[v]
 * is kept by kind_set and revoke_apply, which mark v: storage_marks); the
 * test build (KMSIM_LOCALITY) checks it against the count over v's ring
 * and slots, and the world's check there reads it after every event. */
static uint64_t eg_storage(sim_world *w, void *ps, uint32_t v)
{
    eg *E = ps;

#ifdef KMSIM_LOCALITY
    {
        const sim_topo *t = sim_world_topo(w);
        uint64_t links = 0;
        for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++)
            links += E->lk[s].kind != EG_KIND_NONE;
        assert(E->stor[v] ==
               (uint64_t)en(E, v)->ring_n *
                       (E->o->id_bytes + E->o->value_bytes) +
                   links * E->o->value_bytes);
    }
#else
    (void)w;
#endif
    return E->stor[v];
}

/* Keys held by v (storage.keys_per_node), each value once: its ring
 * keys (ring_n: m at the start, fewer after a revocation) and each link
 * key of its own — a q-composite hash or a path key (kind != NONE,
 * !link_pool).  A q = 1 direct link key is the pool's handle of a ring
 * key v holds already: counted once, as that ring key (eg_storage charges
 * the link's table entry a value too).  Not counted, as in the byte
 * count: the sending / receiving keys derived from a link key (kmsim's
 * nonce discipline, not the scheme's), a path key sent and not yet acked
 * (pend) and the device key shared with the home SO (a credential of the
 * deployment). */
static uint64_t eg_keys(sim_world *w, void *ps, uint32_t v)
{
    eg *E = ps;
    const sim_topo *t = sim_world_topo(w);
    uint64_t own = 0;

    for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++)
        own += E->lk[s].kind != EG_KIND_NONE &&
               !canon(E, &E->lk[s])->link_pool;
    return (uint64_t)en(E, v)->ring_n + own;
}

/* Fraction of the nodes in the largest component of the secured graph
 * (`direct_only`: of its links keyed directly, from shared ring keys, at
 * both ends). */
double eg_connectivity(eg *E, int direct_only)
{
    const sim_topo *t = E->b.t;
    uint32_t stamp = new_stamp(E), best = 0;

    /* Locality exception: a ground-truth metric over every node's links
     * (it decides nothing). */
    sim_world_exempt(E->b.w, "ground-truth metric: eg.connectivity");
    for (uint32_t r = 0; r < E->n; r++) {
        uint32_t head = 0, tail = 0;
        if (E->bfs_seen[r] == stamp)
            continue;
        E->bfs_seen[r] = stamp;
        E->bfs_q[tail++] = r;
        while (head < tail) {
            uint32_t x = E->bfs_q[head++];
            for (uint32_t s = t->adj_off[x]; s < t->adj_off[x + 1]; s++) {
                uint32_t y = t->adj[s];
                if (E->bfs_seen[y] != stamp && slot_up(E, s) &&
                    (!direct_only ||
                     (canon(E, &E->lk[s])->kind == EG_KIND_DIRECT &&
                      mirror(E, canon(E, &E->lk[s]))->kind ==
                          EG_KIND_DIRECT))) {
                    E->bfs_seen[y] = stamp;
                    E->bfs_q[tail++] = y;
                }
            }
        }
        if (tail > best)
            best = tail;
    }
    sim_world_exempt_end(E->b.w);
    return E->n ? (double)best / E->n : 0;
}

static void eg_report(sim_world *w, void *ps, ana_metrics *m)
{
    eg *E = ps;
    const sim_topo *t = sim_world_topo(w);
    uint32_t secured = 0;

    eg_sync(E);                           /* cut links, samples */
    for (uint32_t l = 0; l < t->n_links; l++)
        secured += link_up(E, t->links[l].a, t->links[l].b);
    for (uint32_t v = 0; v < E->n; v++)
        pk_count(&E->b, E->m_dropped, en(E, v)->pend.n); /* never sent */
    /* key.rekey: a round from the revocation until its last lost link
     * was secured again (links lost for good, e.g. without a path, are
     * in eg.links.lost - eg.links.resecured). */
    for (uint32_t r = 0; r < E->n_round; r++) {
        sim_time up = E->part[0].last_up[r];       /* the later of the */
        if (E->pof && E->part[1].last_up[r] > up)  /*   partitions'    */
            up = E->part[1].last_up[r];
        if (up)
            pk_count(&E->b, E->b.m_rekey,
                     sim_time_to_s(up - E->round[r].start));
    }
    ana_metric_set(m, E->m_share, E->share_meas);
    ana_metric_set(m, E->m_share_th,
                   ana_eg_pq(E->o->pool, E->o->ring, E->o->q));
    ana_metric_set(m, E->m_conn_direct,
                   E->conn_direct_set ? E->conn_direct
                                      : eg_connectivity(E, 1));
    ana_metric_set(m, E->m_conn, eg_connectivity(E, 0));
    ana_metric_set(m, E->m_links, t->n_links);
    ana_metric_set(m, E->m_secured, secured);
    pk_report_crypto(t, E->b.ops, m);
}

/* ------------------------------------------------------------------------
 * Inspection (eg.h; eg_revoke and eg_revoke_key are in eg_revoke.c)
 * ---------------------------------------------------------------------- */


uint32_t eg_pk_seen(const sim_world *w, uint32_t node, uint32_t *slots)
{
    eg *E = E_of(w);
    const egnode *n;
    sim_time now;
    uint32_t live = 0;

    if (slots)
        *slots = 0;
    if (!E || node >= E->n)
        return 0;
    n = en(E, node);
    now = sim_world_now(E->b.w);
    for (uint32_t i = 0; i < n->seen_cap; i++)
        live += n->seen[i].exp > now;
    if (slots)
        *slots = n->seen_cap;
    return live;
}

int eg_captured(const sim_world *w, uint32_t node)
{
    eg *E = E_of(w);
    return E && node < E->n && en(E, node)->captured;
}

uint32_t eg_ring(const sim_world *w, uint32_t node, uint32_t *out,
                 uint32_t n)
{
    eg *E = E_of(w);
    uint32_t k;
    if (!E || node >= E->n)
        return 0;
    k = en(E, node)->ring_n;
    memcpy(out, ring_of(E, node), (k < n ? k : n) * sizeof *out);
    return k;
}

int eg_holds(const sim_world *w, uint32_t node, uint32_t id)
{
    eg *E = E_of(w);
    return E && node < E->n && holds(E, node, id);
}

int eg_link_state(const sim_world *w, uint32_t a, uint32_t b)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    return l ? l->state : EG_LINK_NONE;
}

int eg_link_kind(const sim_world *w, uint32_t a, uint32_t b)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    return l ? l->kind : EG_KIND_NONE;
}

int eg_link_same_key(const sim_world *w, uint32_t a, uint32_t b)
{
    eg *E = E_of(w);
    eg_link *la, *lb;
    cry_key at, ar, bt, br;
    if (!E || a >= E->n || b >= E->n || !(la = link_of(E, a, b)) ||
        !(lb = link_of(E, b, a)))
        return 0;
    at = la->tx;
    ar = la->rx;
    bt = lb->tx;
    br = lb->rx;
    return at && ar && bt && br && cry_key_equal(E->b.ks, at, br) &&
           cry_key_equal(E->b.ks, bt, ar) && !cry_key_equal(E->b.ks, at, ar);
}

uint32_t eg_link_shared(const sim_world *w, uint32_t a, uint32_t b,
                        uint32_t *out, uint32_t n)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    if (!l || l->kind != EG_KIND_DIRECT)
        return 0;
    memcpy(out, shared_of(E, l),
           (l->n_shared < n ? l->n_shared : n) * sizeof *out);
    return l->n_shared;
}

uint32_t eg_link_via(const sim_world *w, uint32_t a, uint32_t b,
                     uint32_t *out, uint32_t n)
{
    eg *E = E_of(w);
    eg_link *l = E && a < E->n && b < E->n ? link_of(E, a, b) : NULL;
    if (!l || l->kind != EG_KIND_PATH)
        return 0;
    if (l->n_via)
        memcpy(out, via_at(E, l),
               (l->n_via < n ? l->n_via : n) * sizeof *out);
    return l->n_via;
}

/* Estimate hook (estimate.h): 867 B per node beyond `none` as built
 * (measured with the default ring, see estimate.c) and 2,100 B per link
 * as the run secures the links, plus the pool: an index per key while
 * rings are drawn and a value for every key some ring holds. */
static void eg_estimate(const scenario *sc, sim_estimate *e)
{
    const eg_opts *o = sc->proto_opts;
    double src, so, nodes, held;

    sim_est_counts(sc, &src, &so, &nodes);
    held = nodes * o->ring < o->pool ? nodes * o->ring : o->pool;
    /* + 2,100 B per radio link as the run secures them (issue 22,
     * estimate.c) */
    sim_est_state(e, "topology.sources", &sc->mk_nodes,
                  867.0 * nodes + 2100.0 * e->links);
    sim_est_state(e, "protocol.pool", &o->pool_mark,
                  12.0 * o->pool + 113.0 * held);
}

const scn_proto_ops sim_proto_eg = {
    .name = "eg",
    .summary = "Eschenauer-Gligor random key predistribution (q-composite "
               "with q >= 2), path keys, revocation",
    .opts_parse = eg_opts_parse,
    .opts_free = eg_opts_free,
    .node_state_size = sizeof(egnode),
    /* Partition-safe (THREADS.md): the start-up and the revocation rounds
     * are run-wide events; every other event writes its node's records
     * and its partition's eg_part; ids, sids and path-key material are
     * per node; the cut links' accounting and the SAMPLES are replayed by
     * key (eg_sync); secured_graph is refused split.  Key material goes
     * through key_derive / key_import / key_generate into the store part
     * of the node's partition; pool keys one copy per part (pool_key). */
    .threads_ok = 1,
    .init = eg_init,
    .estimate = eg_estimate,
    .deinit = eg_deinit,
    .protect = eg_protect,
    .unprotect = eg_unprotect,
    .route = eg_route,
    .forward = eg_forward,
    .on_control = eg_control,
    .storage = eg_storage,
    .storage_marks = 1,                 /* E->stor: kind_set, revoke_apply */
    .keys = eg_keys,
    .report = eg_report,
};

/* Its adversary interface (atk_hooks.h): what the attackers ask of its
 * state; the registry hands it over (proto.h sim_proto_atk). */
const atk_proto_hooks sim_atk_eg = {
    .atk_capture = eg_atk_capture,
    .atk_leak = eg_atk_leak,
    .atk_react = eg_atk_react,
    .atk_learn = eg_atk_learn,
    .atk_derive = eg_atk_derive,
    .atk_exposure = eg_atk_exposure,
    .atk_forge = eg_atk_forge,
};
