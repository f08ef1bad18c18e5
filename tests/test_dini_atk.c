/* test_dini_atk.c — part of the test_dini program (main in test_dini.c):
 * the adversary (sim/proto/dini_atk.c): the attacker hooks of atk_hooks.h
 * (capture, exposure, leak and react, learn), called as the attack core
 * would on the protocol's real state and packets, and the replacement of
 * local keys under attack (replays, forged renewals).  Suite
 * dini_adversary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dini_t.h"

/* ------------------------------------------------------------------------
 * The adversary: attacker hooks (atk_hooks.h), called as the attack core
 * would, on the protocol's real state and real packets
 * ---------------------------------------------------------------------- */

/* A base for the world's nodes. */
static atk_kb *kb_of(tworld *t)
{
    atk_kb *kb = atk_kb_new(7, sim_world_topo(t->w)->n_nodes);
    CU_ASSERT_FATAL(kb != NULL);
    return kb;
}

static void capture(tworld *t, uint32_t node, atk_kb *kb)
{
    sim_atk_dini.atk_capture(t->w, sim_world_proto_state(t->w), node, kb);
}

static atk_exposure exposure(tworld *t, atk_kb *kb)
{
    atk_exposure e;
    memset(&e, 0xff, sizeof e);        /* the hook fills every field */
    sim_atk_dini.atk_exposure(t->w, sim_world_proto_state(t->w), kb, &e);
    return e;
}

/* 1 if kb holds, under `name`, the value node holds now as `name`. */
static int kb_has(tworld *t, atk_kb *kb, uint32_t node, uint64_t name)
{
    cry_key k = dini_key(t->w, node, name);
    return k && atk_kb_holds(kb, name, dini_keystore(t->w, node), k);
}

/* An eavesdropper on every link: opens the sealed data part of every
 * control message whose header names a key the base holds, with that
 * value, and hands the plaintext to atk_learn (as the attack core does). */
typedef struct eaves {
    atk_kb *kb;
    int read[16];            /* per message type: parts read             */
} eaves;

static sim_tap_verdict eaves_tap(void *ctx, sim_world *w, uint32_t link,
                                 uint32_t from, uint32_t to, sim_pkt *p)
{
    eaves *e = ctx;
    uint64_t name = sim_pkt_key_name(p);
    (void)link; (void)from; (void)to;

    if (sim_pkt_type_of(p) != SIM_PKT_CONTROL ||
        !(sim_pkt_flags(p) & SIM_F_DATA_SEALED))
        return SIM_TAP_PASS;
    for (size_t i = atk_kb_find(e->kb, ATK_KEY, name); i != ATK_NONE;
         i = atk_kb_next(e->kb, i)) {
        sim_pkt *q = sim_pkt_clone(w, p);
        if (sim_pkt_open_data(q, atk_kb_store(e->kb), atk_kb_key(e->kb, i),
                              NULL) == 0) {
            int type = sim_pkt_data(q)[0];
            if (type < 16)
                e->read[type]++;
            sim_atk_dini.atk_learn(w, sim_world_proto_state(w), e->kb, q, 1,
                                   sim_pkt_data(q), sim_pkt_data_len(q));
            cry_wipe(sim_pkt_data(q), sim_pkt_data_len(q));
            sim_pkt_free(w, q);
            break;
        }
        sim_pkt_free(w, q);
    }
    return SIM_TAP_PASS;
}

/* Capture of a source mid-run, world of test_adjacent_global_so (M(0),
 * SO(1), S(2); S's channel S - M - SO): the base gets S's ring, device key
 * and channel key (the very values the nodes hold), nothing of M's; the
 * channel's two hops are exposed, and the M - SO hop stays exposed once S
 * counts as captured (the attacker reads the whole channel, not only its
 * first hop). */
void test_atk_capture_source(void)
{
    tworld t;
    uint32_t m = 0, so = 1, s = 2;
    uint64_t ring[4], k;
    atk_kb *kb;
    atk_exposure e;

    CU_ASSERT_FATAL(tw_build(&t, 4, "60s",
                             "local_keys_from: so, pool: 4, ring: 4", "SOS",
                             "{a: 1, b: 0}, {a: 0, b: 2}",
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    CU_ASSERT_FATAL(run_until_state(&t, s, DINI_CH_READY));
    kb = kb_of(&t);
    capture(&t, s, kb);
    k = dini_channel_key(t.w, s);
    CU_ASSERT_EQUAL_FATAL(dini_ring(t.w, s, ring, 4), 4);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT(kb_has(&t, kb, s, ring[i]));
        CU_ASSERT(kb_has(&t, kb, so, ring[i]));      /* the pool's value */
    }
    CU_ASSERT(kb_has(&t, kb, s, k));
    CU_ASSERT(kb_has(&t, kb, so, k));
    CU_ASSERT(kb_has(&t, kb, m, k));
    CU_ASSERT(kb_has(&t, kb, s, dini_device_name(s)));
    CU_ASSERT_FALSE(kb_has(&t, kb, m, dini_device_name(m)));
    /* 4 global + 1 local + 1 device key; S generates no local key (the
     * SO does), so no master secret. */
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 6);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 0);
    /* Capturing again adds nothing. */
    capture(&t, s, kb);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 6);

    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 2);
    CU_ASSERT_EQUAL(e.exposed, 2);
    CU_ASSERT_EQUAL(e.links_clean, 2);
    CU_ASSERT_EQUAL(e.exposed_clean, 2);
    atk_kb_mark_captured(kb, s);
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 2);
    CU_ASSERT_EQUAL(e.exposed, 2);
    CU_ASSERT_EQUAL(e.links_clean, 1);                  /* M - SO */
    CU_ASSERT_EQUAL(e.exposed_clean, 1);
    /* An empty base exposes nothing. */
    {
        atk_kb *none = kb_of(&t);
        e = exposure(&t, none);
        CU_ASSERT_EQUAL(e.links, 2);
        CU_ASSERT_EQUAL(e.exposed, 0);
        CU_ASSERT_EQUAL(e.exposed_clean, 0);
        atk_kb_free(none);
    }
    /* M's channel then reuses K on M - SO: still two links, both read. */
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, m), k);
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 2);
    CU_ASSERT_EQUAL(e.exposed, 2);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Capture of the SO of the chain SO - a - b - c - d (four channels over
 * four pairs): its pool, its master secret and every channel key; every
 * link is exposed, also those between sources (clean).  With the master
 * secret alone, f(K) of a name seen in a header is computed (once). */
void test_atk_capture_so(void)
{
    tworld t;
    uint32_t so = 1, d = 4;
    atk_kb *kb, *kb2;
    atk_exposure e;
    size_t mi = ATK_NONE;
    unsigned char v[CRY_KEY_BYTES];
    uint64_t kd;
    sim_pkt *p;

    CU_ASSERT_FATAL(tw_build(&t, CHAIN4_SEED, "60s",
                             "pool: 4, ring: 4, search_hops: 3",
                             CHAIN4_ROLES, CHAIN4_LINKS,
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    tw_run_all(&t);
    CU_ASSERT_FATAL(dini_channel_state(t.w, d) == DINI_CH_READY);
    kb = kb_of(&t);
    capture(&t, so, kb);
    for (uint32_t g = 0; g < 4; g++)
        CU_ASSERT(kb_has(&t, kb, so, dini_global_name(0, g)));
    for (uint32_t s = 0; s < 5; s++)
        if (s != so)
            CU_ASSERT(kb_has(&t, kb, s, dini_channel_key(t.w, s)));
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 1);
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 4);
    CU_ASSERT_EQUAL(e.exposed, 4);
    atk_kb_mark_captured(kb, so);
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links_clean, 3);
    CU_ASSERT_EQUAL(e.exposed_clean, 3);
    /* Dini has no reaction to a captured SO (the only one here). */
    CU_ASSERT_EQUAL(sim_atk_dini.atk_react(t.w, sim_world_proto_state(t.w),
                                           ATK_REACT_CAPTURE, so), 0);

    /* Derivation: a base with only the master secret. */
    for (size_t i = 0; i < atk_kb_count(kb); i++)
        if (atk_kb_kind(kb, i) == ATK_MATERIAL)
            mi = i;
    CU_ASSERT_FATAL(mi != ATK_NONE);
    kb2 = kb_of(&t);
    atk_kb_export(kb, mi, v);
    atk_kb_add_bytes(kb2, ATK_MATERIAL, atk_kb_label(kb, mi),
                     atk_kb_aux(kb, mi), v, sizeof v);
    cry_wipe(v, sizeof v);
    kd = dini_channel_key(t.w, d);
    CU_ASSERT_EQUAL(kd >> 16, so);                 /* the SO made it */
    p = sim_pkt_new(t.w, SIM_PKT_DATA, d, so, 1, 1, 1);
    sim_pkt_set_key(p, kd, 0);
    sim_atk_dini.atk_derive(t.w, sim_world_proto_state(t.w), kb2, p, 3, d);
    CU_ASSERT(kb_has(&t, kb2, d, kd));
    CU_ASSERT(kb_has(&t, kb2, so, kd));
    CU_ASSERT_EQUAL(atk_kb_ops(kb2)->n[CRY_OP_KDF], 1);
    CU_ASSERT_EQUAL(atk_kb_count(kb2), 2);
    sim_atk_dini.atk_derive(t.w, sim_world_proto_state(t.w), kb2, p, 3, d);
    CU_ASSERT_EQUAL(atk_kb_ops(kb2)->n[CRY_OP_KDF], 1);   /* not again */
    CU_ASSERT_EQUAL(atk_kb_count(kb2), 2);
    /* Nothing for a global key's name, nor for a local name of another
     * generator. */
    sim_pkt_set_key(p, dini_global_name(0, 1), 0);
    sim_atk_dini.atk_derive(t.w, sim_world_proto_state(t.w), kb2, p, 3, d);
    sim_pkt_set_key(p, dini_local_name(t.w, 3, 0), 0);
    sim_atk_dini.atk_derive(t.w, sim_world_proto_state(t.w), kb2, p, 3, d);
    CU_ASSERT_EQUAL(atk_kb_count(kb2), 2);
    sim_pkt_free(t.w, p);
    atk_kb_free(kb2);
    atk_kb_free(kb);
    tw_free(&t);
}

/* A fixed draw: always n - 1 - back (clamped to 0). */
static uint64_t draw_last(void *ctx, uint64_t n)
{
    uint64_t back = *(uint64_t *)ctx;
    return back < n ? n - 1 - back : 0;
}

/* Leak of a global key, then the SO's reaction: SO(0) with sources 1, 2,
 * 3 around it (so mode; 3 registers late).  The leaked key is the one
 * drawn; its SO invalidates it, telling the two registered sources, and
 * renews it (order 4, sent to both); after the run no node holds it, the
 * late source's ring does not contain it but holds the renewed one, no
 * message is ever sealed under it again, and every source still gets its
 * channel. */
void test_atk_leak_react(void)
{
    tworld t;
    late_reg late = {.node = 3, .until = 12 * SIM_S};
    key_watch kw = {0};
    uint64_t back = 1, g, ring[4];
    int64_t id;
    long told;
    atk_kb *kb;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: so, pool: 4, ring: 4, "
                             "capture_reaction: true", "OSSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}, {a: 0, b: 3}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    sim_world_run(t.w, 8 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 1) == DINI_CH_READY);
    CU_ASSERT_FATAL(!sim_world_is_registered(t.w, 3));
    kb = kb_of(&t);
    id = sim_atk_dini.atk_leak(t.w, sim_world_proto_state(t.w), kb,
                               draw_last, &back);
    CU_ASSERT_EQUAL_FATAL(id, 2);            /* SO ordinal 0, order 4-1-1 */
    g = dini_global_name(0, 2);
    CU_ASSERT(kb_has(&t, kb, 0, g));
    CU_ASSERT(kb_has(&t, kb, 1, g));
    CU_ASSERT_EQUAL(atk_kb_count(kb), 1);

    told = sim_atk_dini.atk_react(t.w, sim_world_proto_state(t.w),
                                  ATK_REACT_LEAK, (uint64_t)id);
    CU_ASSERT_EQUAL(told, 2);                /* sources 1 and 2 */
    CU_ASSERT_FALSE(dini_holds(t.w, 0, g));  /* at once at the SO */
    kw.name = g;
    kw.from = sim_world_now(t.w);
    sim_world_add_tap(t.w, key_watch_tap, &kw);
    tw_run_all(&t);
    for (uint32_t v = 0; v < 4; v++)
        CU_ASSERT_FALSE(dini_holds(t.w, v, g));
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 4);
    CU_ASSERT_EQUAL(dini_n_global(t.w, 2), 4);
    CU_ASSERT_EQUAL(dini_ring(t.w, 3, ring, 4), 4);
    for (int i = 0; i < 4; i++)
        CU_ASSERT(ring[i] != g);
    for (uint32_t v = 1; v < 4; v++)
        CU_ASSERT(dini_same_key(t.w, v, 0, dini_global_name(0, 4)));
    CU_ASSERT_FALSE(kb_has(&t, kb, 0, dini_global_name(0, 4)));
    CU_ASSERT_EQUAL(kw.seen, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.invalidated"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.global.renewed"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.renew"), 2, 0);
    for (uint32_t v = 1; v < 4; v++)
        CU_ASSERT_EQUAL(dini_channel_state(t.w, v), DINI_CH_READY);
    assert_all_data_opened(t.w);
    /* Invalid already: nothing more to do. */
    CU_ASSERT_EQUAL(sim_atk_dini.atk_react(t.w, sim_world_proto_state(t.w),
                                           ATK_REACT_LEAK, (uint64_t)id), 0);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Replacement is sealed under the current value: an eavesdropper who took
 * the channel key in a capture reads the change message (a real D_REKEY
 * on the link) and holds the new value, so the channel stays exposed. */
void test_atk_learn_rekey(void)
{
    tworld t;
    eaves ev = {0};
    uint32_t s = 0, so = 1;
    uint64_t k;
    atk_exposure e;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: so, pool: 4, ring: 4", "SO",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    CU_ASSERT_FATAL(run_until_state(&t, s, DINI_CH_READY));
    ev.kb = kb_of(&t);
    capture(&t, s, ev.kb);
    k = dini_channel_key(t.w, s);
    CU_ASSERT(kb_has(&t, ev.kb, so, k));
    sim_world_add_tap(t.w, eaves_tap, &ev);
    CU_ASSERT_EQUAL(dini_rekey(t.w, so), 1);
    CU_ASSERT_FALSE(kb_has(&t, ev.kb, so, k));   /* a fresh value at N */
    sim_world_run(t.w, sim_world_now(t.w) + 2 * SIM_S, 0);
    CU_ASSERT_EQUAL(ev.read[DT_REKEY], 1);
    CU_ASSERT(dini_same_key(t.w, s, so, k));     /* replaced at S too */
    CU_ASSERT(kb_has(&t, ev.kb, so, k));         /* ... and read */
    CU_ASSERT(kb_has(&t, ev.kb, s, k));
    e = exposure(&t, ev.kb);
    CU_ASSERT_EQUAL(e.links, 1);
    CU_ASSERT_EQUAL(e.exposed, 1);
    /* A capture of S now (within previous_key_for) also yields the value
     * it keeps from before the replacement, under the same name. */
    {
        atk_kb *kb3 = kb_of(&t);
        int cur = 0, prev = 0;
        CU_ASSERT(dini_holds_previous(t.w, s, k));
        capture(&t, s, kb3);
        for (size_t i = atk_kb_find(kb3, ATK_KEY, k); i != ATK_NONE;
             i = atk_kb_next(kb3, i)) {
            cur += atk_kb_aux(kb3, i) == 0;
            prev += atk_kb_aux(kb3, i) == 1;
        }
        CU_ASSERT_EQUAL(cur, 1);
        CU_ASSERT_EQUAL(prev, 1);
        CU_ASSERT(kb_has(&t, kb3, s, k));
        atk_kb_free(kb3);
    }
    atk_kb_free(ev.kb);
    tw_free(&t);
}

/* A leaked global key reads the offers sealed under it (the local key of
 * the channel), and a device key the ring handed over at registration:
 * real D_OFFER and D_KEYS plaintexts through atk_learn. */
void test_atk_learn_offer_keys(void)
{
    tworld t;
    eaves ev = {0};
    uint32_t s = 0, so = 1;
    uint64_t back = 0, k, ring[1];
    int64_t id;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: so, pool: 1, ring: 1, "
                             "device_keys: true", "SO",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    ev.kb = kb_of(&t);
    id = sim_atk_dini.atk_leak(t.w, sim_world_proto_state(t.w), ev.kb,
                               draw_last, &back);
    CU_ASSERT_EQUAL(id, 0);
    /* S's factory credential, as if stolen before deployment. */
    atk_kb_add(ev.kb, ATK_KEY, dini_device_name(s), 0, dini_keystore(t.w, s),
               dini_key(t.w, s, dini_device_name(s)));
    sim_world_add_tap(t.w, eaves_tap, &ev);
    tw_run_all(&t);
    CU_ASSERT_FATAL(dini_channel_state(t.w, s) == DINI_CH_READY);
    k = dini_channel_key(t.w, s);
    CU_ASSERT_EQUAL(ev.read[DT_KEYS], 1);
    CU_ASSERT_EQUAL(ev.read[DT_OFFER], 1);
    CU_ASSERT(kb_has(&t, ev.kb, s, k));
    CU_ASSERT(kb_has(&t, ev.kb, so, k));
    CU_ASSERT_EQUAL(dini_ring(t.w, s, ring, 1), 1);
    CU_ASSERT(kb_has(&t, ev.kb, s, ring[0]));
    atk_kb_free(ev.kb);
    tw_free(&t);
}

/* Capture of an intermediate node, then the SOs' reaction.  Diamond SO -
 * {M1, M2} - S (M1(0), SO(1), S(2), M2(3)); pool 6, ring 2, so that the
 * ring of M1 is not everybody's.  S's channel goes through M1, which is
 * captured: its global keys are invalidated (every registered source is
 * told), its own channel and S's channel are dropped at the SO, S is told
 * to drop its key and sets up a new channel through M2 that the base does
 * not hold; the captured node keeps what it had (nobody tells it), and
 * its data under its dropped key are refused at the SO. */
void test_atk_react_capture(void)
{
    tworld t;
    uint32_t m1 = 0, so = 1, s = 2, m2 = 3;
    uint64_t ks, km1, ring[2], ks2;
    double rejected, inval;
    int held = 0;
    long told;
    atk_kb *kb;
    atk_exposure e;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: so, pool: 6, ring: 2, "
                             "search_hops: 1, capture_reaction: true", "SOSS",
                             "{a: 1, b: 0}, {a: 1, b: 3}, {a: 0, b: 2}, "
                             "{a: 3, b: 2}",
                             "interval: 'uniform(1s, 9s)', size: 32B") == 0);
    sim_world_run(t.w, 20 * SIM_S, 0);
    /* Preconditions: every channel up, S's through M1. */
    CU_ASSERT_FATAL(dini_channel_state(t.w, s) == DINI_CH_READY);
    CU_ASSERT_FATAL(dini_channel_state(t.w, m1) == DINI_CH_READY);
    CU_ASSERT_FATAL(dini_channel_state(t.w, m2) == DINI_CH_READY);
    ks = dini_channel_key(t.w, s);
    km1 = dini_channel_key(t.w, m1);
    CU_ASSERT_FATAL(dini_channel_hops(t.w, s) == 2 &&
                    dini_ct(t.w, s, m1) == ks);
    CU_ASSERT_FATAL(ks != km1);
    CU_ASSERT_FATAL(dini_ring(t.w, m1, ring, 2) == 2);

    kb = kb_of(&t);
    capture(&t, m1, kb);
    atk_kb_mark_captured(kb, m1);
    CU_ASSERT(kb_has(&t, kb, s, ks));
    CU_ASSERT(kb_has(&t, kb, so, km1));
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 3);       /* S-M1, M1-SO, M2-SO */
    CU_ASSERT_EQUAL(e.exposed, 2);
    CU_ASSERT_EQUAL(e.links_clean, 1);
    CU_ASSERT_EQUAL(e.exposed_clean, 0);

    rejected = met(t.w, "dini.rejected");
    inval = met(t.w, "dini.invalidated");
    for (int i = 0; i < 2; i++)
        held += dini_holds(t.w, s, ring[i]) + dini_holds(t.w, m2, ring[i]);
    CU_ASSERT(held >= 1);              /* S and M1 shared a global key */
    told = sim_atk_dini.atk_react(t.w, sim_world_proto_state(t.w),
                                  ATK_REACT_CAPTURE, m1);
    CU_ASSERT_EQUAL(told, 2);          /* S and M2 (not M1 itself) */
    /* At once at the SO: M1's globals invalid, both channels dropped. */
    for (int i = 0; i < 2; i++)
        CU_ASSERT_FALSE(dini_holds(t.w, so, ring[i]));
    CU_ASSERT_FALSE(dini_holds(t.w, so, ks));
    CU_ASSERT_FALSE(dini_holds(t.w, so, km1));
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.exposed, 0);

    tw_run_all(&t);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_FALSE(dini_holds(t.w, s, ring[i]));
        CU_ASSERT_FALSE(dini_holds(t.w, m2, ring[i]));
        CU_ASSERT(dini_holds(t.w, m1, ring[i]));   /* the attacker's copy */
    }
    CU_ASSERT_FALSE(dini_holds(t.w, s, ks));
    CU_ASSERT(dini_holds(t.w, m1, ks));
    /* S's new channel goes through M2, under a key the base lacks. */
    CU_ASSERT_EQUAL(dini_channel_state(t.w, s), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, s), 2);
    ks2 = dini_channel_key(t.w, s);
    CU_ASSERT(ks2 != ks && ks2 != DINI_NO_KEY);
    CU_ASSERT_EQUAL(dini_ct(t.w, s, m2), ks2);
    CU_ASSERT(dini_same_key(t.w, s, so, ks2));
    CU_ASSERT_FALSE(kb_has(&t, kb, s, ks2));
    CU_ASSERT_FALSE(dini_holds(t.w, m1, ks2));
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 2);       /* S-M2, M2-SO */
    CU_ASSERT_EQUAL(e.exposed, 0);
    CU_ASSERT_EQUAL(e.links_clean, 2);
    /* M1 still sends under its dropped key: refused at the SO. */
    CU_ASSERT(met(t.w, "dini.rejected") > rejected);
    /* Every honest copy of M1's global keys was wiped. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.invalidated") - inval, held, 0);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Capture of an SO that handed a channel key over through KT (S(1) moved
 * from SO 0 to SO 2 at 20 s): SO 0 still holds K, so the new SO replaces
 * K, telling S only; the base (no eavesdropper) no longer holds the value
 * in use.  The captured SO's own pool is not invalidated: Dini has no
 * reaction for that. */
void test_atk_react_captured_old_so(void)
{
    tworld t;
    uint64_t k;
    atk_kb *kb;
    atk_exposure e;

    CU_ASSERT_FATAL(tw_moves(&t, "local_keys_from: so, pool: 4, ring: 4, "
                             "capture_reaction: true",
                             "OSO", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "{node: 1, at: 20s, to: 2}") == 0);
    sim_world_run(t.w, 25 * SIM_S, 0);
    k = dini_channel_key(t.w, 1);
    CU_ASSERT_FATAL(dini_ct(t.w, 2, 1) == k && dini_holds(t.w, 0, k));
    kb = kb_of(&t);
    capture(&t, 0, kb);
    atk_kb_mark_captured(kb, 0);
    /* Its pool (4), S's device key, K, and the backbone key it shares
     * with SO 2; its master secret as material. */
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 7);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 1);
    CU_ASSERT(kb_has(&t, kb, 1, dini_device_name(1)));
    CU_ASSERT(kb_has(&t, kb, 2, k));
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 1);                   /* S - SO 2 */
    CU_ASSERT_EQUAL(e.exposed_clean, 1);
    CU_ASSERT_EQUAL(sim_atk_dini.atk_react(t.w, sim_world_proto_state(t.w),
                                           ATK_REACT_CAPTURE, 0), 1);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), k);  /* same name ... */
    CU_ASSERT(dini_same_key(t.w, 1, 2, k));
    CU_ASSERT_FALSE(kb_has(&t, kb, 2, k));         /* ... a new value */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 1);
    e = exposure(&t, kb);
    CU_ASSERT_EQUAL(e.links, 1);
    CU_ASSERT_EQUAL(e.exposed, 0);
    for (uint32_t g = 0; g < 4; g++)               /* SO 0's pool stays */
        CU_ASSERT(dini_holds(t.w, 0, dini_global_name(0, g)));
    assert_all_data_opened(t.w);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Records every control message on the links (up to REC_MAX). */
#define REC_MAX 64
typedef struct recorder {
    sim_pkt *p[REC_MAX];
    uint32_t from[REC_MAX], to[REC_MAX];
    int n;
} recorder;

static sim_tap_verdict rec_tap(void *ctx, sim_world *w, uint32_t link,
                               uint32_t from, uint32_t to, sim_pkt *p)
{
    recorder *r = ctx;
    (void)link;
    if (sim_pkt_type_of(p) == SIM_PKT_CONTROL && r->n < REC_MAX) {
        r->p[r->n] = sim_pkt_clone(w, p);
        r->from[r->n] = from;
        r->to[r->n++] = to;
    }
    return SIM_TAP_PASS;
}

/* An attacker re-sends every control message recorded in the first 35 s
 * (registration, set-up, three replacements) to its receiver at 45 s,
 * through sim_world_inject with the packet marked as the attacker's: each
 * is refused (a repeat answered again, an old replacement, an answer to
 * nothing), except findGlobalKey questions, answered as always; nothing
 * changes (the channel keeps its key and every message opens).  Exercises
 * every refusal path of the handlers (ASan/UBSan build). */
void test_atk_replay_refused(void)
{
    tworld t;
    recorder rec = {0};
    uint32_t s = 0, so = 1;
    uint64_t k;
    double before, after;
    int findg = 0, n;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: so, pool: 4, ring: 4, "
                             "rekey_every: 10s", "SO", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, rec_tap, &rec);
    sim_world_run(t.w, 35 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, s) == DINI_CH_READY);
    CU_ASSERT_FATAL(rec.n > 10 && rec.n < REC_MAX);
    k = dini_channel_key(t.w, s);
    sim_world_run(t.w, 45 * SIM_S, 0);   /* kept old values expired */
    before = met(t.w, "dini.duplicates") + met(t.w, "dini.rejected") +
             met(t.w, "dini.rekey.rejected");
    for (int i = 0; i < rec.n; i++) {
        findg += rec.p[i]->buf[SIM_HDR_BYTES] == DT_FINDG;
        rec.p[i]->atk = 1;
        CU_ASSERT(sim_world_inject(t.w, rec.from[i], rec.to[i],
                                   rec.p[i]) == 0);
    }
    n = rec.n;
    rec.n = REC_MAX;                       /* record nothing more */
    sim_world_run(t.w, 46 * SIM_S, 0);
    after = met(t.w, "dini.duplicates") + met(t.w, "dini.rejected") +
            met(t.w, "dini.rekey.rejected");
    /* Every replay but the questions counted at least once as a repeat
     * or a refusal. */
    CU_ASSERT(findg >= 1);
    CU_ASSERT(after - before >= (double)(n - findg));
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, s), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, s), k);
    CU_ASSERT(dini_same_key(t.w, s, so, k));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"),
                           met(t.w, "data.generated"), 0);
    tw_free(&t);
}

static uint64_t xs(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* atk_learn on garbage: random bytes of every length (0 to 400) with
 * every type byte, on control and data packets, either part; hand-built
 * valid plaintexts (REKEY, OFFER, KTKEY, KEYS) are learned, and every
 * truncation or extension of them, or a REKEY naming another key than its
 * header, adds nothing.  Runs under ASan/UBSan in the sanitizer build. */
void test_atk_learn_garbage(void)
{
    tworld t;
    const atk_proto_hooks *atk;
    void *ps;
    atk_kb *kb;
    sim_pkt *ctl, *data;
    unsigned char buf[512];
    uint64_t x = 88172645463325252ull, name;
    uint32_t so = 1;

    CU_ASSERT_FATAL(tw_build(&t, 1, "10s", "pool: 4, ring: 4", "SO",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    atk = &sim_atk_dini;
    ps = sim_world_proto_state(t.w);
    kb = kb_of(&t);
    name = dini_local_name(t.w, so, 0);
    ctl = sim_pkt_new(t.w, SIM_PKT_CONTROL, so, 0, 1, 1, 1);
    sim_pkt_set_key(ctl, name, 0);
    data = sim_pkt_new(t.w, SIM_PKT_DATA, 0, so, 1, 1, 1);
    sim_pkt_set_key(data, name, 0);
    atk->atk_learn(t.w, ps, kb, ctl, 1, NULL, 0);
    for (int i = 0; i < 40000; i++) {
        size_t len = (size_t)(xs(&x) % 401);
        for (size_t j = 0; j < len; j++)
            buf[j] = (unsigned char)xs(&x);
        if (len)
            buf[0] = (unsigned char)(i % 20);
        atk->atk_learn(t.w, ps, kb, (i & 2) ? data : ctl, i & 1, buf, len);
    }
    CU_ASSERT_EQUAL(atk_kb_count(kb), 0);

    /* A valid REKEY plaintext: [8][K][version][value]. */
    memset(buf, 0xA5, sizeof buf);
    buf[0] = DT_REKEY;
    memcpy(buf + 1, &name, 8);
    for (size_t len = 0; len < 60; len++)
        if (len != 45)
            atk->atk_learn(t.w, ps, kb, ctl, 1, buf, len);
    atk->atk_learn(t.w, ps, kb, ctl, 0, buf, 45);          /* wrong part */
    atk->atk_learn(t.w, ps, kb, data, 1, buf, 45);         /* not control */
    sim_pkt_set_key(ctl, name + 1, 0);
    atk->atk_learn(t.w, ps, kb, ctl, 1, buf, 45);          /* other key */
    CU_ASSERT_EQUAL(atk_kb_count(kb), 0);
    sim_pkt_set_key(ctl, name, 0);
    atk->atk_learn(t.w, ps, kb, ctl, 1, buf, 45);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 1);
    CU_ASSERT(atk_kb_find(kb, ATK_KEY, name) != ATK_NONE);

    /* A valid OFFER: [5][K][value][n = 2][pos 0][up 0][attempt][0, 1]. */
    {
        atk_kb *kb2 = kb_of(&t);
        uint32_t path[2] = {0, 1};
        size_t ok = 1 + 8 + 32 + 3 + 4 + 8;
        memset(buf, 0x5A, sizeof buf);
        buf[0] = DT_OFFER;
        memcpy(buf + 1, &name, 8);
        buf[41] = 2;
        buf[42] = 0;
        buf[43] = 0;
        memcpy(buf + 48, path, sizeof path);
        for (size_t len = 0; len < ok + 8; len++)
            if (len != ok)
                atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, len);
        path[1] = 9;                                   /* no such node */
        memcpy(buf + 48, path, sizeof path);
        atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, ok);
        CU_ASSERT_EQUAL(atk_kb_count(kb2), 0);
        path[1] = 1;
        memcpy(buf + 48, path, sizeof path);
        atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, ok);
        CU_ASSERT_EQUAL(atk_kb_count(kb2), 1);
        atk_kb_free(kb2);
    }
    /* KTKEY [14][S][K][seq][value] and KEYS [1][m][order, value]...
     * (a ring from SO 1: the packet's src). */
    {
        atk_kb *kb2 = kb_of(&t);
        uint32_t s0 = 0, order = 3;
        memset(buf, 0x3C, sizeof buf);
        buf[0] = DT_KTKEY;
        memcpy(buf + 1, &s0, 4);
        memcpy(buf + 5, &name, 8);
        for (size_t len = 0; len < 60; len++)
            if (len != 49)
                atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, len);
        CU_ASSERT_EQUAL(atk_kb_count(kb2), 0);
        atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, 49);
        CU_ASSERT_EQUAL(atk_kb_count(kb2), 1);
        buf[0] = DT_KEYS;
        buf[1] = 1;
        memcpy(buf + 2, &order, 4);
        for (size_t len = 0; len < 60; len++)
            if (len != 38)
                atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, len);
        buf[1] = 5;                                    /* > ring */
        atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, 2 + 5 * 36);
        CU_ASSERT_EQUAL(atk_kb_count(kb2), 1);
        buf[1] = 1;
        atk->atk_learn(t.w, ps, kb2, ctl, 1, buf, 38);
        CU_ASSERT_EQUAL(atk_kb_count(kb2), 2);
        CU_ASSERT(atk_kb_find(kb2, ATK_KEY, dini_global_name(0, 3)) !=
                  ATK_NONE);
        atk_kb_free(kb2);
    }
    sim_pkt_free(t.w, ctl);
    sim_pkt_free(t.w, data);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Change messages arriving at their receiver (last hop): all, and those
 * sealed under the receiver's device key. */
typedef struct rekey_seen {
    int all, dev;
} rekey_seen;

static sim_tap_verdict rekey_seen_tap(void *ctx, sim_world *w, uint32_t link,
                                      uint32_t from, uint32_t to, sim_pkt *p)
{
    rekey_seen *r = ctx;
    (void)w; (void)link; (void)from;
    if (is_ctl_type(p, DT_REKEY) && to == sim_pkt_dst(p)) {
        r->all++;
        r->dev += sim_pkt_key_name(p) == dini_device_name(sim_pkt_dst(p));
    }
    return SIM_TAP_PASS;
}

/* The world of test_inval_residual (no late S3) with an eavesdropper on
 * every link that holds g0 from the start (a leak before any channel):
 * it reads the offers under g0, so it has K_M and K_S.  g0 is invalidated
 * at 30 s.  With inval_replace_local the SO replaces both keys at once
 * (both channels have a hop whose two ends had g0: M - SO for K_M, S - M
 * for K_S), each change message under its holder's device key (K_M: M;
 * K_S: S and M): the eavesdropper does not get the new values, and the
 * residual count is 0.  Without it, a replacement round at 31 s sends the
 * new values under the old ones: the eavesdropper reads them, residual
 * 2. */
static void replace_local(int on)
{
    tworld t;
    late_reg l2 = {.node = 2, .until = 12 * SIM_S};
    rekey_seen rs = {0};
    eaves ev = {0};
    uint64_t back = 0, km, ks;

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             on ? "local_keys_from: source, pool: 1, "
                                  "ring: 1, invalidate_at: 30s, "
                                  "invalidate_key: 0, "
                                  "inval_replace_local: true"
                                : "local_keys_from: source, pool: 1, "
                                  "ring: 1, invalidate_at: 30s, "
                                  "invalidate_key: 0, rekey_at: 31s",
                             "OSS", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    ev.kb = kb_of(&t);
    CU_ASSERT_EQUAL_FATAL(sim_atk_dini.atk_leak(t.w,
                                                sim_world_proto_state(t.w),
                                                ev.kb, draw_last, &back), 0);
    sim_world_add_tap(t.w, late_reg_tap, &l2);
    sim_world_add_tap(t.w, eaves_tap, &ev);
    sim_world_add_tap(t.w, rekey_seen_tap, &rs);
    sim_world_run(t.w, 29 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 2) == DINI_CH_READY);
    km = dini_channel_key(t.w, 1);
    ks = dini_channel_key(t.w, 2);
    CU_ASSERT(kb_has(&t, ev.kb, 1, km));          /* read under g0 */
    CU_ASSERT(kb_has(&t, ev.kb, 2, ks));
    CU_ASSERT_EQUAL(rs.all, 0);

    tw_run_all(&t);
    CU_ASSERT_EQUAL(rs.all, 3);
    CU_ASSERT_EQUAL(rs.dev, on ? 3 : 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey_ack"), 3, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 2);
    CU_ASSERT(dini_same_key(t.w, 1, 0, km));
    CU_ASSERT(dini_same_key(t.w, 2, 0, ks));
    CU_ASSERT(dini_same_key(t.w, 1, 0, ks));
    CU_ASSERT_EQUAL(kb_has(&t, ev.kb, 1, km), !on);
    CU_ASSERT_EQUAL(kb_has(&t, ev.kb, 2, ks), !on);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.inval.residual_local_keys"),
                           on ? 0 : 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.rejected"), 0, 0);
    assert_all_data_opened(t.w);
    atk_kb_free(ev.kb);
    tw_free(&t);
}

void test_inval_replace_local(void) { replace_local(1); }

/* Keeps a copy of the first change message that reaches node `dst`. */
typedef struct rekey_copy {
    uint32_t dst, from;
    sim_pkt *p;
} rekey_copy;

static sim_tap_verdict rekey_copy_tap(void *ctx, sim_world *w, uint32_t link,
                                      uint32_t from, uint32_t to, sim_pkt *p)
{
    rekey_copy *r = ctx;
    (void)link;
    if (!r->p && is_ctl_type(p, DT_REKEY) && to == r->dst) {
        r->p = sim_pkt_clone(w, p);
        r->from = from;
    }
    return SIM_TAP_PASS;
}

/* Star SO(0) - S(1), one global key invalidated at 10 s with
 * inval_replace_local: S's channel key is replaced under S's device key
 * (version 1).  Replayed at 15 s it is acknowledged again and changes
 * nothing (a repeat at S, and its ack a repeat at the SO); after a replacement round at 20 s (version 2, under the key),
 * the same replay is refused (an older version) and S keeps version 2. */
void test_replace_local_replay(void)
{
    tworld t;
    rekey_copy rc = {.dst = 1};
    uint64_t k;
    double dup, rej;

    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 10s, invalidate_key: 0, "
                             "inval_replace_local: true, rekey_at: 20s",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, rekey_copy_tap, &rc);
    sim_world_run(t.w, 12 * SIM_S, 0);
    CU_ASSERT_FATAL(rc.p != NULL);
    CU_ASSERT_EQUAL(sim_pkt_key_name(rc.p), dini_device_name(1));
    k = dini_channel_key(t.w, 1);
    CU_ASSERT(dini_same_key(t.w, 1, 0, k));
    for (int round = 0; round < 2; round++) {
        sim_pkt *q = sim_pkt_clone(t.w, rc.p);
        dup = met(t.w, "dini.duplicates");
        rej = met(t.w, "dini.rekey.rejected");
        q->atk = 1;
        CU_ASSERT_FATAL(sim_world_inject(t.w, rc.from, 1, q) == 0);
        sim_world_run(t.w, (round ? 26 : 15) * SIM_S, 0);
        /* A repeat: at S, then its ack again at the SO. */
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.duplicates"),
                               dup + (round ? 0 : 2), 0);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.rejected"), rej + round,
                               0);
        CU_ASSERT(dini_same_key(t.w, 1, 0, k));
        if (!round)
            sim_world_run(t.w, 25 * SIM_S, 0);    /* the round at 20 s */
    }
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 2);
    tw_run_all(&t);
    assert_all_data_opened(t.w);
    sim_pkt_free(t.w, rc.p);
    tw_free(&t);
}
void test_inval_rekey_under_old(void) { replace_local(0); }

/* A forged RENEW.  Star S1(1) - SO(0) - S2(2), pool = ring = 2, key 0
 * invalidated at 10 s and renewed as key 2.  The attacker captures S2 (an
 * insider: it holds keys 1 and 2, as S1 does, and S2's device key) and
 * sends S1, as from the SO, RENEW messages replacing key 1 with a value
 * of its own: sealed under key 2 (a key S1 holds, but not its device
 * key), then under S2's device key.  S1 refuses both (no ack), keeps key
 * 1 and never takes the attacker's key; the SO's real RENEW was opened
 * under S1's device key.  An INVAL of key 1 sealed under key 2 is refused
 * the same way (before, any key S1 held opened it). */
void test_renew_forged_refused(void)
{
    tworld t;
    atk_kb *kb;
    uint64_t g1 = dini_global_name(0, 1), g2 = dini_global_name(0, 2);
    uint64_t names[2] = {g2, 0}, fake = dini_global_name(0, 7);
    uint32_t order = 7;
    double rejected, acks;

    names[1] = dini_device_name(2);
    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: source, pool: 2, ring: 2, "
                             "invalidate_at: 10s, invalidate_key: 0",
                             "OSS", "{a: 0, b: 1}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_run(t.w, 12 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_same_key(t.w, 1, 0, g2));
    CU_ASSERT_FATAL(dini_same_key(t.w, 2, 1, g2));
    CU_ASSERT_FATAL(dini_holds(t.w, 1, g1));
    kb = kb_of(&t);
    capture(&t, 2, kb);
    for (int f = 0; f < 2; f++) {
        size_t i = atk_kb_find(kb, ATK_KEY, names[f]);
        sim_pkt *p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 999 + f, 1,
                                 1 + 12 + CRY_KEY_BYTES);
        unsigned char *d = sim_pkt_data(p);
        CU_ASSERT_FATAL(i != ATK_NONE);
        sim_pkt_ctl(p)[0] = DT_RENEW;
        d[0] = DT_RENEW;
        memcpy(d + 1, &g1, 8);
        memcpy(d + 9, &order, 4);
        memset(d + 13, 0x42, CRY_KEY_BYTES);
        sim_pkt_set_key(p, names[f], 0);
        CU_ASSERT_FATAL(sim_pkt_seal_data(p, atk_kb_store(kb),
                                          atk_kb_key(kb, i), NULL) == 0);
        p->atk = 1;
        rejected = met(t.w, "dini.rejected");
        acks = met(t.w, "dini.msgs.ack");
        CU_ASSERT_FATAL(sim_world_inject(t.w, 0, 1, p) == 0);
        sim_world_run(t.w, (13 + f) * SIM_S, 0);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), rejected + 1, 0);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.ack"), acks, 0);
        CU_ASSERT(dini_holds(t.w, 1, g1));
        CU_ASSERT_FALSE(dini_holds(t.w, 1, fake));
        CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 2);
    }
    /* The same insider's INVAL of key 1 under key 2: refused too. */
    {
        size_t i = atk_kb_find(kb, ATK_KEY, g2);
        sim_pkt *p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 1001, 1, 9);
        sim_pkt_ctl(p)[0] = DT_INVAL;
        sim_pkt_data(p)[0] = DT_INVAL;
        memcpy(sim_pkt_data(p) + 1, &g1, 8);
        sim_pkt_set_key(p, g2, 0);
        CU_ASSERT_FATAL(sim_pkt_seal_data(p, atk_kb_store(kb),
                                          atk_kb_key(kb, i), NULL) == 0);
        p->atk = 1;
        rejected = met(t.w, "dini.rejected");
        CU_ASSERT_FATAL(sim_world_inject(t.w, 0, 1, p) == 0);
        sim_world_run(t.w, 15 * SIM_S, 0);
        CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), rejected + 1, 0);
        CU_ASSERT(dini_holds(t.w, 1, g1));
    }
    tw_run_all(&t);
    CU_ASSERT(dini_same_key(t.w, 1, 0, g1));
    CU_ASSERT_FALSE(dini_holds(t.w, 1, fake));
    atk_kb_free(kb);
    tw_free(&t);
}
