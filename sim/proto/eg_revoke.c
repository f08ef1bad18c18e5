/* eg_revoke.c — Eschenauer–Gligor: revocation and re-keying.  A round
 * (eg_revoke: a captured node's ring; eg_revoke_key: one leaked pool
 * key) is started run-wide by the revocation controller; each node's
 * home SO tells it by REVOKE under their device key, and the node wipes
 * the ids, drops the links they keyed and sets them up again
 * (eg_setup.c: rediscovery, path keys).  Paper: E–G §2 revocation.  The
 * design is in eg.c's opening comment; shared state in eg_int.h. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto.h"
#include "world.h"
#include "wire.h"
#include "cry.h"
#include "cry_key.h"
#include "util.h"
#include "eg.h"
#include "pk.h"
#include "kb.h"
#include "eg_int.h"

/* ------------------------------------------------------------------------
 * Revocation
 * ---------------------------------------------------------------------- */

/* v learns that ids (ascending) are revoked in round r, c's ring (c the
 * captured node) or a leaked key (c = SIM_NONE). */
static void revoke_apply(eg *E, uint32_t v, uint32_t c, const uint32_t *ids,
                         uint32_t n, uint32_t r)
{
    const sim_topo *t = E->b.t;
    egnode *vn = en(E, v);
    uint32_t *ring = ring_of(E, v), k = 0;
    kmap *told = &ep(E, v)->told;

    eg_note_disc(E, v, 1);                /* its window for the round */
    if (c != SIM_NONE)
        kmap_put(told, v, c, 1);
    /* Wipe the revoked keys: ring and ids are both ascending. */
    for (uint32_t i = 0, j = 0; i < vn->ring_n; i++) {
        while (j < n && ids[j] < ring[i])
            j++;
        if (j < n && ids[j] == ring[i]) {
            pk_count(&E->b, E->m_revoked, 1);   /* dropped from the ring */
        } else {
            ring[k++] = ring[i];
        }
    }
    sim_world_storage_changed(E->b.w, v);            /* storage_marks */
    E->stor[v] -= (uint64_t)(vn->ring_n - k) *
                  (E->o->id_bytes + E->o->value_bytes);
    vn->ring_n = k;
    for (uint32_t s = t->adj_off[v]; s < t->adj_off[v + 1]; s++) {
        uint32_t u = t->adj[s];
        eg_link *l = &E->lk[s];
        int affected = 0;

        if (l->state == EG_LINK_DEAD)
            continue;
        if (u == c || kmap_get(told, v, u)) {   /* v's own list */
            if (l->kind != EG_KIND_NONE)
                eg_mark_lost(E, v, u, l, r, 0);
            eg_link_drop_keys(E, l);
            eg_pend_drop(E, l);
            l->pathing = 0;
            if (l->srch)
                eg_srch_end(E, v, l->srch - 1);
            l->state = EG_LINK_DEAD;      /* from NONE: no edge change */
            continue;
        }
        /* The ids both hold minus the revoked ones. */
        k = 0;
        for (uint32_t i = 0, j = 0, *cm = common_of(E, l); i < l->n_common;
             i++) {
            while (j < n && ids[j] < cm[i])
                j++;
            if (!(j < n && ids[j] == cm[i]))
                cm[k++] = cm[i];
        }
        l->n_common = (uint16_t)k;
        if (l->kind == EG_KIND_PATH) {
            for (uint32_t i = 0; i < l->n_via; i++)
                affected |= via_at(E, l)[i] == c;
            if (affected) {
                eg_mark_lost(E, v, u, l, r, 1);
                eg_link_drop_keys(E, l);
            }
        } else if (l->kind == EG_KIND_DIRECT) {
            const uint32_t *sh = shared_of(E, l);
            for (uint32_t i = 0; i < (E->o->q == 1 ? 1u : l->n_shared); i++)
                for (uint32_t j = 0; j < n; j++)
                    affected |= sh[i] == ids[j];
            if (affected) {
                eg_mark_lost(E, v, u, l, r, 1);
                eg_rediscover(E, v, u, l, 1);
            } else {
                /* q = 1: the key stands (its id is not revoked); the
                 * record of shared ids loses the revoked ones. */
                uint32_t *shw = shared_of(E, l);
                k = 0;
                for (uint32_t i = 0, j = 0; i < l->n_shared; i++) {
                    while (j < n && ids[j] < shw[i])
                        j++;
                    if (!(j < n && ids[j] == shw[i]))
                        shw[k++] = shw[i];
                }
                l->n_shared = (uint16_t)k;
            }
        }
        if (l->pathing) {
            /* A path key under way through c never arrives. */
            int via_c = 0;
            for (uint32_t i = 0; i < l->n_via; i++)
                via_c |= via_at(E, l)[i] == c;
            if (via_c) {
                eg_pend_drop(E, l);
                l->pathing = 0;
                if (l->srch)
                    eg_srch_end(E, v, l->srch - 1);
            }
        }
    }
}

/* v takes a REVOKE from its home SO (eg_control's handler): 0, or -1
 * when v refuses it (counted in eg.rejected). */
int eg_on_revoke(eg *E, uint32_t v, sim_pkt *p)
{
    uint32_t so = sim_pkt_src(p), c, n, r;
    cry_key k = pk_key(&E->b, v, N_DEV | v);
    const unsigned char *d;
    uint32_t *ids;
    size_t len;

    if (!k || so != sim_world_home_so(E->b.w, v) ||
        !(d = pk_msg_open(&E->b, v, p, k, &len)) ||
        pk_replay_check(&en(E, v)->rv, pk_data_counter(p)) != 0 || len < 12 ||
        (n = sim_get32(d + 8)) > E->o->ring || len != 12 + 4 * (size_t)n ||
        ((c = sim_get32(d)) >= E->n && c != SIM_NONE) ||
        (r = sim_get32(d + 4)) >= E->n_round) {
        pk_count(&E->b, E->m_rejected, 1);
        return -1;
    }
    ids = ep(E, v)->rvids;
    for (uint32_t i = 0; i < n; i++)
        ids[i] = sim_get32(d + 12 + 4 * (size_t)i);
    revoke_apply(E, v, c, ids, n, r);
    return 0;
}

/* A revocation round: the home SO of every node to tell (all nodes but c
 * when `holder` is SIM_NONE, else the holders of pool key `holder`;
 * never a captured node or one whose SO is captured) sends it the ids
 * (ascending) and c, the captured node or SIM_NONE.  Returns the nodes
 * told. */
static uint32_t revoke_round(eg *E, uint32_t c, const uint32_t *ids,
                             uint32_t n, uint32_t holder)
{
    sim_world *w = E->b.w;
    uint32_t r, told = 0;
    unsigned char *body;
    size_t len;

    assert(E->glob);                      /* run-wide (eg_revoke*) */
    eg_sync(E);                           /* before reading links */
    if (!E->conn_direct_set) {            /* metric: "after discovery" */
        E->conn_direct = eg_connectivity(E, 1);
        E->conn_direct_set = 1;
    }
    r = E->n_round++;
    E->round = xrealloc(E->round, E->n_round * sizeof *E->round);
    memset(&E->round[r], 0, sizeof E->round[r]);
    E->round[r].start = sim_world_now(w);
    for (int k = 0; k < (E->pof ? 2 : 1); k++) {
        eg_part *P = &E->part[k];
        P->last_up = xrealloc(P->last_up, E->n_round * sizeof *P->last_up);
        P->last_up[r] = 0;
    }
    len = 12 + 4 * (size_t)n;
    body = xmalloc(len);
    sim_put32(body, c);
    sim_put32(body + 4, r);
    sim_put32(body + 8, n);
    for (uint32_t i = 0; i < n; i++)
        sim_put32(body + 12 + 4 * (size_t)i, ids[i]);
    for (uint32_t v = 0; v < E->n; v++) {
        uint32_t so = sim_world_home_so(w, v);
        if (v == c || en(E, v)->captured || so == SIM_NONE ||
            en(E, so)->captured ||
            (holder != SIM_NONE && !holds(E, v, holder)))
            continue;
        told++;
        if (so == v) {
            revoke_apply(E, v, c, ids, n, r);
            continue;
        }
        if (!pk_key(&E->b, so, N_DEV | v))  /* the SO's copy, on demand */
            pk_key_put(&E->b, so, N_DEV | v,
                       key_generate(E, so, DEV_STREAM, v, NULL));
        eg_send_msg(E, so, v, M_REVOKE, body, len,
                    pk_key(&E->b, so, N_DEV | v), N_DEV | v);
    }
    free(body);
    return told;
}

int eg_revoke(sim_world *w, uint32_t c)
{
    eg *E = E_of(w);

    int told;

    if (!E || c >= E->n)
        return -1;
    /* Locality exception: the revocation controller (the scenario's
     * revoke_at, or a detection) knows the rings it predistributed and the
     * nodes it revoked; the SOs then tell their nodes by REVOKE. */
    sim_world_exempt(w, "E-G revocation controller");
    E->glob = 1;                  /* run-wide (sim_world_at_global) */
    told = en(E, c)->captured ? -1 : 0;
    if (told == 0) {
        en(E, c)->captured = 1;
        told = (int)revoke_round(E, c, E->orig + (size_t)c * E->o->ring,
                                 E->o->ring, SIM_NONE);
    }
    E->glob = 0;
    sim_world_exempt_end(w);
    return told;
}

int eg_revoke_key(sim_world *w, uint32_t id)
{
    eg *E = E_of(w);
    uint32_t v;

    int told = 0;

    if (!E || id >= E->o->pool)
        return -1;
    sim_world_exempt(w, "E-G revocation controller");  /* as eg_revoke */
    E->glob = 1;                  /* run-wide, as eg_revoke */
    for (v = 0; v < E->n; v++)        /* a round only if someone holds it */
        if (!en(E, v)->captured && holds(E, v, id))
            break;
    if (v < E->n)
        told = (int)revoke_round(E, SIM_NONE, &id, 1, id);
    E->glob = 0;
    sim_world_exempt_end(w);
    return told;
}
