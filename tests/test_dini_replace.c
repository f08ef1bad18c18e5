/* test_dini_replace.c — part of the test_dini program (main in
 * test_dini.c): replacement and invalidation of keys
 * (sim/proto/dini_replace.c): rekey rounds, invalidation with and without
 * renewal, key counters, the wiping of every replaced, invalidated or
 * released value, losses (retransmission, set-up timeout, replacement on
 * demand and on reject, the completed fraction of rounds) and the review
 * findings M5, gave records and L4, registered by register_review_tests
 * in suite dini_review.  Suites dini and dini_review. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dini_t.h"

/* ------------------------------------------------------------------------
 * Replacement and invalidation
 * ---------------------------------------------------------------------- */

/* SO - M - S (M(0), SO(1), S(2)) with both channels: M's first, then S's
 * through M (S registers at 15 s).  Four rounds at 22, 44, 66 and 88 s,
 * away from the messages (every 5 s: see test_bug_rekey_loses_data_in_
 * flight): 3 change messages each (M for K_M; S and M for K_S), all
 * acknowledged; every holder ends with the SO's value of each key; one
 * delay sample per channel and round, one round sample per round. */
void test_rekey_rounds(void)
{
    tworld t;
    late_reg late = {.node = 2, .until = 12 * SIM_S};
    uint64_t km, ks;

    CU_ASSERT_FATAL(tw_build(&t, 1, "100s",
                             "pool: 4, ring: 4, rekey_every: 22s", "SOS",
                             "{a: 1, b: 0}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    tw_run_all(&t);
    km = dini_channel_key(t.w, 0);
    ks = dini_channel_key(t.w, 2);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    CU_ASSERT(km != DINI_NO_KEY && ks != DINI_NO_KEY && km != ks);
    CU_ASSERT(dini_same_key(t.w, 0, 1, km));
    CU_ASSERT(dini_same_key(t.w, 2, 1, ks));
    CU_ASSERT(dini_same_key(t.w, 0, 1, ks));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey"), 4 * 3, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey_ack"), 4 * 3, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 4 * 2);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.round"), 4);
    CU_ASSERT(met(t.w, "dini.rekey.round") > 0);
    /* Seed 001's T(s, z) of each round: the SO's sequential part, a
     * holder's part (every change message opened for the first time) and
     * the rest, which add up to the round (the holders' parts are equal
     * here: same profile, same sizes). */
    CU_ASSERT_EQUAL(met_n(t.w, "dini.round.seq"), 4);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.update.cpu"), 4 * 3);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.round.comm"), 4);
    CU_ASSERT(met(t.w, "dini.round.seq") > 0);
    CU_ASSERT(met(t.w, "dini.update.cpu") > 0);
    CU_ASSERT(met(t.w, "dini.round.comm") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.round.seq") +
                               met(t.w, "dini.update.cpu") +
                               met(t.w, "dini.round.comm"),
                           met(t.w, "dini.rekey.round"), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.rejected"), 0, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* Star S1(1) - SO(0) - S2(2), pool = ring = 1, keys from the sources.  S2
 * registers at 15 s, after the invalidation of global key 0 at 10 s.
 * Without renewal (renew_global: false, the behaviour before issue 18):
 * S1 loses the global key and keeps its channel (a local key), the SO
 * loses it too, S2 gets an empty ring and is disconnected. */
void test_invalidation_no_renewal(void)
{
    tworld t;
    late_reg late = {.node = 2, .until = 12 * SIM_S};
    uint64_t g = dini_global_name(0, 0), r[2];

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 10s, invalidate_key: 0, "
                             "retry_after: 0, renew_global: false",
                             "OSS", "{a: 0, b: 1}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    sim_world_run(t.w, 9 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 1) == DINI_CH_READY);
    CU_ASSERT(dini_holds(t.w, 1, g));
    CU_ASSERT(dini_same_key(t.w, 1, 0, g));
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 1);
    CU_ASSERT_EQUAL(dini_ring(t.w, 1, r, 2), 1);

    tw_run_all(&t);
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g));
    CU_ASSERT_FALSE(dini_holds(t.w, 0, g));
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 0);
    CU_ASSERT_EQUAL(dini_ring(t.w, 1, r, 2), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.invalidated"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.inval"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.global.renewed"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.renew"), 0, 0);
    /* S1's channel runs on its local key. */
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
    CU_ASSERT(dini_same_key(t.w, 1, 0, dini_channel_key(t.w, 1)));
    /* S2: registered after the invalidation, nothing to pair with. */
    CU_ASSERT(sim_world_is_registered(t.w, 2));
    CU_ASSERT_EQUAL(dini_ring(t.w, 2, r, 2), 0);
    CU_ASSERT_EQUAL(dini_n_global(t.w, 2), 0);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_DISCONNECTED);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"), 11, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.dropped"), 11, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 0, 0);
    /* S1's channel key travelled under g, invalid now: residual. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.inval.residual_local_keys"), 1, 0);
    tw_free(&t);
}

/* The same world with renewal (the default): right after invalidating
 * global key 0 the SO makes global key 1 (the next order number), sends
 * it to S1 (its only holder so far) under S1's device key, S1 acks; S2,
 * registering later, gets key 1 in its ring and pairs under it.  Key 0 is
 * gone everywhere and no message is sealed under it after 10 s. */
void test_invalidation_renewal(void)
{
    tworld t;
    late_reg late = {.node = 2, .until = 12 * SIM_S};
    uint64_t g = dini_global_name(0, 0), g1 = dini_global_name(0, 1), r[2];
    key_watch kw = {.name = 0, .from = 10 * SIM_S};

    kw.name = g;
    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 10s, invalidate_key: 0, "
                             "retry_after: 0",
                             "OSS", "{a: 0, b: 1}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    sim_world_add_tap(t.w, key_watch_tap, &kw);
    sim_world_run(t.w, 9 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 1) == DINI_CH_READY);
    CU_ASSERT_FALSE(dini_holds(t.w, 0, g1));          /* not made yet */

    tw_run_all(&t);
    for (uint32_t v = 0; v < 3; v++)
        CU_ASSERT_FALSE(dini_holds(t.w, v, g));
    CU_ASSERT_EQUAL(kw.seen, 0);
    /* S1: key 1 in place of key 0, the SO's value. */
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 1);
    CU_ASSERT_EQUAL_FATAL(dini_ring(t.w, 1, r, 2), 1);
    CU_ASSERT_EQUAL(r[0], g1);
    CU_ASSERT(dini_same_key(t.w, 1, 0, g1));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.invalidated"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.global.renewed"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.inval"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.renew"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), 1);
    /* One hop there and back at least (2 x 1 ms latency). */
    CU_ASSERT(met(t.w, "dini.global.renewal") >= 0.002);
    CU_ASSERT(met(t.w, "dini.global.renewal") < 0.1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.global.renewal.missing_acks"), 0,
                           0);
    /* S2: a non-empty ring (the renewed key) and a channel. */
    CU_ASSERT_EQUAL_FATAL(dini_ring(t.w, 2, r, 2), 1);
    CU_ASSERT_EQUAL(r[0], g1);
    CU_ASSERT(dini_same_key(t.w, 2, 0, g1));
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 2), DINI_CH_READY);
    CU_ASSERT(dini_same_key(t.w, 2, 0, dini_channel_key(t.w, 2)));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.channels"), 2, 0);
    assert_all_data_opened(t.w);
    /* S1's key went under key 0 (residual), S2's under key 1 (not). */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.inval.residual_local_keys"), 1, 0);
    tw_free(&t);
}

/* The counters beside the key tables (an SO's own-pool keys, which the
 * storage and keys hooks read after every event instead of scanning the
 * pool; local keys; replaced values kept) equal a recount of the tables
 * at every step through registration, pairing, an invalidation with and
 * without renewal and a replacement round that keeps previous values. */
static void key_counters(int renew)
{
    tworld t;
    late_reg late = {.node = 2, .until = 12 * SIM_S};
    char opts[256];
    static const int at[] = {1, 5, 9, 11, 15, 21, 24, 27, 40};

    snprintf(opts, sizeof opts,
             "local_keys_from: so, pool: 4, ring: 2, invalidate_at: 10s, "
             "invalidate_key: 0, renew_global: %s, rekey_at: 20s, "
             "previous_key_for: 5s", renew ? "true" : "false");
    CU_ASSERT_FATAL(tw_build(&t, 1, "60s", opts, "OSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}",
                             "interval: 'const(2s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &late);
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        sim_world_run(t.w, at[i] * SIM_S, 0);
        CU_ASSERT_EQUAL(dini_check_counts(t.w), 0);
    }
    CU_ASSERT(dini_holds_previous(t.w, 0, dini_channel_key(t.w, 1)) == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_check_counts(t.w), 0);
    CU_ASSERT_FALSE(dini_holds(t.w, 0, dini_global_name(0, 0)));
    CU_ASSERT_EQUAL(dini_holds(t.w, 0, dini_global_name(0, 4)), renew);
    tw_free(&t);
}

void test_key_counters_renew(void) { key_counters(1); }
void test_key_counters_no_renew(void) { key_counters(0); }

/* Residual exposure, hand-checked: chain SO(0) - M(1) - S(2) and S3(3)
 * next to the SO, pool = ring = 1, keys from the sources.  M pairs first
 * (K_M offered M -> SO under g0); S registers at 15 s: its channel K_S
 * goes S -> M under g0, then M -> SO under K_M (a local key).  g0 is
 * invalidated at 30 s and renewed as g1 (to M and S); S3 registers at
 * 35 s (its fourth attempt) and pairs under g1.  Residual: K_M and K_S = 2 (K_S travelled
 * under g0 on one hop only, and still counts), not S3's key; a
 * replacement round at 50 s does not change it (each change message is
 * sealed under the value it replaces). */
void test_inval_residual(void)
{
    tworld t;
    late_reg l2 = {.node = 2, .until = 12 * SIM_S};
    late_reg l3 = {.node = 3, .until = 32 * SIM_S};
    uint64_t g1 = dini_global_name(0, 1), km, ks;

    CU_ASSERT_FATAL(tw_build(&t, 1, "70s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 30s, invalidate_key: 0, "
                             "rekey_at: 50s",
                             "OSSS", "{a: 0, b: 1}, {a: 1, b: 2}, "
                             "{a: 0, b: 3}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 5s") == 0);
    sim_world_add_tap(t.w, late_reg_tap, &l2);
    sim_world_add_tap(t.w, late_reg_tap, &l3);
    sim_world_run(t.w, 29 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 1) == DINI_CH_READY);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 2) == DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 2), 2);
    km = dini_channel_key(t.w, 1);
    ks = dini_channel_key(t.w, 2);
    CU_ASSERT(km != ks);
    CU_ASSERT_EQUAL(dini_ct(t.w, 2, 1), ks);

    tw_run_all(&t);
    CU_ASSERT_EQUAL(l3.dropped, 3);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 3), DINI_CH_READY);
    CU_ASSERT(dini_same_key(t.w, 3, 0, g1));
    CU_ASSERT(dini_same_key(t.w, 1, 0, g1));
    CU_ASSERT(dini_same_key(t.w, 2, 0, g1));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.renew"), 2, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), 1);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.round"), 1);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 1), km);
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 2), ks);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.inval.residual_local_keys"), 2, 0);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* The RENEW is the only message of the two that arrives (every INVAL to
 * S1 dropped): it invalidates key 0 at S1 itself (wiped) before taking
 * key 1 in its place. */
void test_renew_without_inval(void)
{
    tworld t;
    wipelog l;
    dropper d = {.type = DT_INVAL, .dst = 1};
    uint64_t g = dini_global_name(0, 0), g1 = dini_global_name(0, 1);
    cry_key at_s;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 10s, invalidate_key: 0",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    sim_world_run(t.w, 9 * SIM_S, 0);
    at_s = dini_key(t.w, 1, g);
    CU_ASSERT_FATAL(at_s != 0);
    wipelog_start(&l);
    tw_run_all(&t);
    wipelog_stop();
    CU_ASSERT(d.dropped >= 1);
    CU_ASSERT(wipelog_has_key(&l, dini_keystore(t.w, 1), at_s));
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g));
    CU_ASSERT(dini_same_key(t.w, 1, 0, g1));
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.invalidated"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), 1);
    CU_ASSERT_EQUAL(l.nonzero, 0);
    tw_free(&t);
}

/* A RENEW altered on the air fails to open (refused, not acked); its
 * retransmission installs the key.  With retransmission off and the only
 * RENEW lost, S1 never gets the key: no delay sample, and the SO's give-up
 * is counted as a missing ack. */
void test_renew_tampered_and_lost(void)
{
    tworld t;
    tamper tp = {.type = DT_RENEW, .dst = SIM_NONE, .max = 1};
    dropper d = {.type = DT_RENEW, .dst = SIM_NONE};
    uint64_t g1 = dini_global_name(0, 1);

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 10s, invalidate_key: 0",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, tamper_tap, &tp);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(tp.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.renew"), 2, 0);
    CU_ASSERT(dini_same_key(t.w, 1, 0, g1));
    CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), 1);
    CU_ASSERT(met(t.w, "dini.global.renewal") >= 1.0);   /* rtx after 1 s */
    tw_free(&t);

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 10s, invalidate_key: 0, "
                             "retransmit_max: 2",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(d.dropped, 3);
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g1));
    CU_ASSERT(dini_holds(t.w, 0, g1));
    CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.global.renewal.missing_acks"), 1,
                           0);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Key hygiene: every replaced, invalidated or released key value is wiped
 * (wipelog.h sees the slot right after cry_key_free, or the store's
 * regions right before they are unmapped)
 * ---------------------------------------------------------------------- */

/* SO(0) - S(1), replacement at 20 s, previous_key_for 5 s.  The channel
 * key's old value is wiped at the source when it stops keeping it (25 s)
 * and at the SO once the source has acked; the new value is another
 * slot, still live. */
void test_wipe_on_rekey(void)
{
    tworld t;
    wipelog l;
    const cry_keystore *ks;
    uint64_t name;
    cry_key old_s, old_so, new_s;

    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             "rekey_at: 20s, previous_key_for: 5s", "OS",
                             "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    ks = dini_keystore(t.w, 0);          /* one partition: every node's */
    sim_world_run(t.w, 15 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 1) == DINI_CH_READY);
    name = dini_channel_key(t.w, 1);
    old_s = dini_key(t.w, 1, name);
    old_so = dini_key(t.w, 0, name);
    CU_ASSERT_FATAL(old_s != 0 && old_so != 0 && old_s != old_so);
    wipelog_start(&l);
    sim_world_run(t.w, 21 * SIM_S, 0);
    CU_ASSERT(dini_holds_previous(t.w, 1, name));
    CU_ASSERT_FALSE(wipelog_has_key(&l, ks, old_s));   /* still kept */
    sim_world_run(t.w, 30 * SIM_S, 0);
    wipelog_stop();
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey_ack"), 1, 0);
    CU_ASSERT_FALSE(dini_holds_previous(t.w, 1, name));
    CU_ASSERT_FALSE(dini_holds_previous(t.w, 0, name));
    CU_ASSERT(wipelog_has_key(&l, ks, old_s));
    CU_ASSERT(wipelog_has_key(&l, ks, old_so));
    new_s = dini_key(t.w, 1, name);
    CU_ASSERT(new_s != 0 && new_s != old_s && new_s != old_so);
    CU_ASSERT(dini_same_key(t.w, 1, 0, name));
    CU_ASSERT_EQUAL(l.nonzero, 0);
    tw_free(&t);
}

/* test_invalidation's world: the invalidated global key's value is wiped
 * at the SO and at the source that held it. */
void test_wipe_on_invalidation(void)
{
    tworld t;
    wipelog l;
    const cry_keystore *ks;
    uint64_t g = dini_global_name(0, 0);
    cry_key at_so, at_s;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: source, pool: 1, ring: 1, "
                             "invalidate_at: 10s, invalidate_key: 0, "
                             "retry_after: 0",
                             "OSS", "{a: 0, b: 1}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    ks = dini_keystore(t.w, 0);          /* one partition: every node's */
    sim_world_run(t.w, 9 * SIM_S, 0);
    at_so = dini_key(t.w, 0, g);
    at_s = dini_key(t.w, 1, g);
    CU_ASSERT_FATAL(at_so != 0 && at_s != 0);
    wipelog_start(&l);
    tw_run_all(&t);
    wipelog_stop();
    CU_ASSERT(met(t.w, "dini.invalidated") >= 1);
    CU_ASSERT_EQUAL(dini_key(t.w, 0, g), 0);
    CU_ASSERT_EQUAL(dini_key(t.w, 1, g), 0);
    CU_ASSERT(wipelog_has_key(&l, ks, at_so));
    CU_ASSERT(wipelog_has_key(&l, ks, at_s));
    CU_ASSERT_EQUAL(l.nonzero, 0);
    tw_free(&t);
}

/* When the world is freed (the end of a replication), the key store's
 * regions are wiped before they are unmapped: the keys still live then
 * (channel keys, global keys, masters) are zeros. */
void test_wipe_on_world_free(void)
{
    tworld t;
    wipelog l;
    const cry_keystore *ks;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "rekey_every: 10s", "OSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    tw_run_all(&t);
    ks = dini_keystore(t.w, 0);
    CU_ASSERT_FATAL(ks != NULL && cry_keystore_live(ks) > 0);
    wipelog_start(&l);
    tw_free(&t);
    wipelog_stop();
    CU_ASSERT(wipelog_has_store(&l, ks));
    CU_ASSERT(l.n_regions >= 1);
    CU_ASSERT_EQUAL(l.nonzero, 0);
}

/* ------------------------------------------------------------------------
 * Losses: retransmission, set-up timeout, replacement on demand
 * ---------------------------------------------------------------------- */

/* Every link loses 15% of its transmissions.  Set-up messages, change
 * messages and invalidations are retransmitted until answered: every
 * source ends with a channel (two of them through an adjacent node), the
 * replacement rounds complete with every holder on the new value, and
 * nothing that arrives is rejected.  Same seed, same run. */
static void lossy_run(unsigned char fp[32])
{
    tworld t;
    double gen, opened;

    CU_ASSERT_FATAL(tw_build(&t, 7, "300s",
                             "pool: 4, ring: 4, rekey_every: 60s, "
                             "invalidate_at: 150s, invalidate_key: 3, "
                             "retransmit_max: 8",
                             "OSSSS",
                             "{a: 0, b: 1, loss: 0.15}, {a: 0, b: 2, loss: 0.15},"
                             "{a: 1, b: 3, loss: 0.15}, {a: 2, b: 4, loss: 0.15}",
                             "interval: 'const(5s)', size: 32B, "
                             "register_retry: 2s") == 0);
    tw_run_all(&t);
    for (uint32_t s = 1; s <= 4; s++) {
        CU_ASSERT_EQUAL(dini_channel_state(t.w, s), DINI_CH_READY);
        CU_ASSERT(dini_same_key(t.w, s, 0, dini_channel_key(t.w, s)));
        CU_ASSERT_FALSE(dini_holds(t.w, s, dini_global_name(0, 3)));
    }
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 3), 2);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 4), 2);
    /* The intermediate nodes hold the current value of their channel. */
    CU_ASSERT(dini_same_key(t.w, 1, 0, dini_channel_key(t.w, 3)));
    CU_ASSERT(dini_same_key(t.w, 2, 0, dini_channel_key(t.w, 4)));
    CU_ASSERT(met(t.w, "dini.retransmissions") > 10);
    CU_ASSERT(met(t.w, "dini.duplicates") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.retransmit_gave_up"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.missing_acks"), 0, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.round"), 4);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.invalidated"), 4, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 0, 0);
    /* Data are not retransmitted: what arrives opens; the rest was lost
     * on the way or dropped while waiting for a channel. */
    gen = met(t.w, "data.generated");
    opened = met(t.w, "dini.data.opened");
    CU_ASSERT_DOUBLE_EQUAL(opened, met(t.w, "data.at_so"), 0);
    CU_ASSERT(opened > 0.5 * gen);
    CU_ASSERT(gen >= opened + met(t.w, "dini.data.dropped"));
    sim_world_fingerprint(t.w, fp);
    tw_free(&t);
}

void test_lossy_links_recover(void)
{
    unsigned char fp[2][32];
    lossy_run(fp[0]);
    lossy_run(fp[1]);
    CU_ASSERT_EQUAL(memcmp(fp[0], fp[1], 32), 0);
}

/* The offer is lost with its only retransmission (retransmit_max: 1): the
 * hop is given up, the source's set-up times out after 5 s and starts
 * again with a new key; its set-up delay counts from the first attempt. */
void test_setup_timeout_restarts(void)
{
    tworld t;
    dropper d = {.type = DT_OFFER, .dst = SIM_NONE, .max = 2};

    CU_ASSERT_FATAL(tw_build(&t, 1, "60s",
                             "pool: 4, ring: 4, retransmit_after: 1s, "
                             "retransmit_max: 1, setup_timeout: 5s",
                             "SO", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(d.dropped, 2);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.retransmissions"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.retransmit_gave_up"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.setup_timeouts"), 1, 0);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 0), DINI_CH_READY);
    /* The second attempt's key: K_incr 1 at the SO. */
    CU_ASSERT_EQUAL(dini_channel_key(t.w, 0), dini_local_name(t.w, 1, 1));
    CU_ASSERT_EQUAL(met_n(t.w, "dini.channel_setup"), 1);
    CU_ASSERT(met(t.w, "dini.channel_setup") >= 5.0);
    CU_ASSERT(met(t.w, "dini.channel_setup") < 6.0);
    tw_free(&t);
}

/* A search whose answers never come is concluded by its time-out: the
 * source is reported disconnected after (search_hops + 2) x
 * search_timeout, not at setup_timeout.  Chain SO - 1 - 2, every answer
 * to a SEARCH is lost (the search is not retransmitted). */
void test_search_timeout(void)
{
    tworld t;
    dropper d = {.type = DT_SEARCH_REPLY, .dst = SIM_NONE};

    CU_ASSERT_FATAL(tw_build(&t, 3, "120s",
                             "pool: 4, ring: 4, search_hops: 1, "
                             "search_timeout: 2s, setup_timeout: 20s, "
                             "retry_after: 0s",
                             "OSS", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    tw_run_all(&t);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 2) == DINI_CH_DISCONNECTED);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.disconnected"), 1, 0);
    CU_ASSERT(d.dropped >= 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.setup_timeouts"), 0, 0);
    /* (1 + 2) x 2 s after the start, plus the CPU time before sending. */
    CU_ASSERT(met(t.w, "dini.unreachable_detection") >= 6.0);
    CU_ASSERT(met(t.w, "dini.unreachable_detection") < 6.1);
    tw_free(&t);
}

/* The holder's ack of a change message is lost: the SO sends the change
 * again (sealed under the value the holder has replaced), the holder
 * opens it with the previous value it keeps, sees the value it already
 * installed and acks again.  The round completes; nothing is rejected. */
void test_rekey_ack_lost(void)
{
    tworld t;
    dropper d = {.type = DT_REKEY_ACK, .dst = SIM_NONE, .max = 1};

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "pool: 4, ring: 4, rekey_at: 10s",
                             "SO", "{a: 0, b: 1}",
                             "interval: 'const(1s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(d.dropped, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.msgs.rekey_ack"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.duplicates"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.rejected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.missing_acks"), 0, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.round"), 1);
    CU_ASSERT(met(t.w, "dini.rekey.round") >= 1.0);   /* one timeout */
    CU_ASSERT(dini_same_key(t.w, 0, 1, dini_channel_key(t.w, 0)));
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* Replacement on demand: rounds at the times of rekey_at (no periodic
 * ones), one started through dini_rekey(), and one started by the SO when
 * a message under a channel key fails to open (rekey_on_reject). */
void test_rekey_on_demand(void)
{
    tworld t;
    tamper tp = {.type = -1};
    uint64_t k;

    CU_ASSERT_FATAL(tw_build(&t, 1, "40s",
                             "pool: 4, ring: 4, rekey_at: [10s, 20s], "
                             "previous_key_for: 2s",
                             "SO", "{a: 0, b: 1}",
                             "interval: 'const(1s)', size: 32B") == 0);
    sim_world_run(t.w, 10 * SIM_S + 500 * SIM_MS, 0);
    k = dini_channel_key(t.w, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.round"), 1);
    /* Just switched: the holder keeps the previous value for 2 s. */
    CU_ASSERT(dini_holds_previous(t.w, 0, k));
    sim_world_run(t.w, 13 * SIM_S, 0);
    CU_ASSERT_FALSE(dini_holds_previous(t.w, 0, k));
    CU_ASSERT_FALSE(dini_holds_previous(t.w, 1, k));   /* SO: all acked */
    CU_ASSERT_EQUAL(dini_rekey(t.w, 1), 1);             /* one holder */
    CU_ASSERT_EQUAL(dini_rekey(t.w, 0), -1);            /* not an SO */
    tw_run_all(&t);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.round"), 3);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.on_demand"), 3, 0);
    CU_ASSERT(dini_same_key(t.w, 0, 1, k));
    assert_all_data_opened(t.w);
    tw_free(&t);
    (void)tp;
}

/* Data tampered on the way fail to open at the SO; with rekey_on_reject
 * the SO takes it as a detection and replaces the channel's key. */
typedef struct data_flip {
    int seen, skip, done, max;
} data_flip;

static sim_tap_verdict data_flip_tap(void *ctx, sim_world *w, uint32_t link,
                                     uint32_t from, uint32_t to, sim_pkt *p)
{
    data_flip *f = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (sim_pkt_type_of(p) == SIM_PKT_DATA && f->seen++ >= f->skip &&
        f->done < f->max && sim_pkt_data_len(p) > 0) {
        sim_pkt_data(p)[0] ^= 0x80;
        f->done++;
    }
    return SIM_TAP_PASS;
}

void test_rekey_on_reject(void)
{
    tworld t;
    data_flip f = {.skip = 3, .max = 1};

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s", "pool: 4, ring: 4, "
                             "rekey_on_reject: true", "SO", "{a: 0, b: 1}",
                             "interval: 'const(1s)', size: 32B") == 0);
    sim_world_add_tap(t.w, data_flip_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(f.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rekey.on_demand"), 1, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), 1);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.round"), 0);  /* not a round */
    CU_ASSERT(dini_same_key(t.w, 0, 1, dini_channel_key(t.w, 0)));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"),
                           met(t.w, "data.generated") - 1, 0);
    tw_free(&t);
}

/* Drops the first REKEY_ACK it sees. */
static sim_tap_verdict drop_first_rekey_ack(void *ctx, sim_world *w,
                                            uint32_t link, uint32_t from,
                                            uint32_t to, sim_pkt *p)
{
    int *dropped = ctx;
    (void)w; (void)link; (void)from; (void)to;
    if (*dropped || sim_pkt_type_of(p) != SIM_PKT_CONTROL ||
        sim_pkt_ctl_len(p) < 1 || sim_pkt_ctl(p)[0] != DT_REKEY_ACK)
        return SIM_TAP_PASS;
    *dropped = 1;
    return SIM_TAP_DROP;
}

/* key.rekey's mean is over the rounds that completed: with
 * retransmission off, a lost ack leaves the first of two rounds without
 * an end, and the fraction says so (its T(s, z) parts are not split). */
void test_rekey_completed_fraction(void)
{
    tworld t;
    int dropped = 0;

    CU_ASSERT_FATAL(tw_build(&t, 1, "20s",
                             "pool: 1, ring: 1, rekey_at: [5s, 10s], "
                             "retransmit_after: 0",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(1s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_first_rekey_ack, &dropped);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dropped, 1);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.round.seq"), 2);
    CU_ASSERT_EQUAL(met_n(t.w, "key.rekey"), 1);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.round.comm"), 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "key.rekey.completed_fraction"), 0.5, 0);
    tw_free(&t);
}

/* ------------------------------------------------------------------------
 * Review findings (M5, gave records, L4): each test failed before its fix
 * ---------------------------------------------------------------------- */

/* Chain SO(0) - M(1) - S(2), one replacement at 10 s, data every 2 s from
 * M and S; packets taken from the world's pool in [15 s, 35 s] (after
 * the replacement: only data flow).  drop_acks drops every REKEY_ACK
 * (retransmit_max 0: the SO gives up at 11 s and keeps the previous
 * value).  *prev_m / *prev_so: M / the SO still keep the previous value
 * of S's channel key at 35 s. */
static uint64_t taken_after_rekey(const char *proto, int drop_acks,
                                  int *prev_m, int *prev_so)
{
    tworld t;
    dropper d = {.type = DT_REKEY_ACK, .dst = SIM_NONE};
    uint64_t t0, name;
    char opts[256];

    snprintf(opts, sizeof opts,
             "pool: 1, ring: 1, rekey_at: 10s, retransmit_max: 0, %s", proto);
    CU_ASSERT_FATAL(tw_build(&t, 1, "40s", opts, "OSS",
                             "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(2s)', size: 32B") == 0);
    if (drop_acks)
        sim_world_add_tap(t.w, drop_tap, &d);
    sim_world_run(t.w, 15 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 2) == DINI_CH_READY);
    CU_ASSERT_EQUAL(dini_channel_hops(t.w, 2), 2);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.rekey.delay"), drop_acks ? 0 : 2);
    name = dini_channel_key(t.w, 2);
    t0 = sim_world_pkt_taken(t.w);
    sim_world_run(t.w, 35 * SIM_S, 0);
    t0 = sim_world_pkt_taken(t.w) - t0;
    *prev_m = dini_holds_previous(t.w, 1, name);
    *prev_so = dini_holds_previous(t.w, 0, name);
    tw_run_all(&t);
    CU_ASSERT(met(t.w, "dini.data.opened") >= 30);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.opened"),
                           met(t.w, "data.generated"), 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.rejected"), 0, 0);
    tw_free(&t);
    return t0;
}

/* L4: opening a message while a previous value is kept costs no packet.
 * With per_hop_mac M verifies S's header MAC (open_ctl_any) while it
 * keeps the replaced value (previous_key_for 100 s); without it the SO
 * opens the data (open_data_any) while it keeps the replaced value (the
 * acks never came).  In both the packets taken over 20 s of data equal
 * those of the same run without a previous value anywhere.  Before the
 * fix each such open cloned the packet: ten more for M, twenty for the
 * SO. */
static void test_open_any_no_clone(void)
{
    int pm, pso;
    uint64_t with, without;

    with = taken_after_rekey("per_hop_mac: true, previous_key_for: 100s", 0,
                             &pm, &pso);
    CU_ASSERT(pm);
    CU_ASSERT_FALSE(pso);
    without = taken_after_rekey("per_hop_mac: true, previous_key_for: 1s",
                                0, &pm, &pso);
    CU_ASSERT_FALSE(pm);
    CU_ASSERT_FALSE(pso);
    CU_ASSERT(without >= 20);                  /* 20 data, 10 relayed */
    CU_ASSERT_EQUAL(with, without);

    with = taken_after_rekey("previous_key_for: 1s", 1, &pm, &pso);
    CU_ASSERT(pso);
    without = taken_after_rekey("previous_key_for: 1s", 0, &pm, &pso);
    CU_ASSERT_FALSE(pso);
    CU_ASSERT(without >= 20);
    CU_ASSERT_EQUAL(with, without);
}

/* The SOs' records of the global keys they gave are per (SO, source).
 * SO0(0) - S(1) - SO2(2), pool = ring = 2: S registers with SO 0.  At 7 s
 * SO 2 also registers S (the protocol's on_register_so called directly:
 * the world registers a source once, so only a direct call shows what a
 * second record does); S, keyed already, keeps its ring.  At 10 s both
 * SOs invalidate their key 0 and renew it by their own records: S gets
 * key 2 of SO 0 in place of key 0 (SO 2's RENEW finds no free slot at S:
 * refused, never acked).  Before the fix the records were one slot per
 * source, which SO 2's registration overwrote: SO 0 found no record of S
 * and sent it no RENEW. */
static void test_gave_per_so(void)
{
    tworld t;
    uint64_t g00 = dini_global_name(0, 0), g02 = dini_global_name(0, 2);
    uint64_t g01 = dini_global_name(0, 1), g12 = dini_global_name(1, 2);

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: so, pool: 2, ring: 2, "
                             "invalidate_at: 10s, invalidate_key: 0",
                             "OSO", "{a: 0, b: 1}, {a: 1, b: 2}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_run(t.w, 7 * SIM_S, 0);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 1) == DINI_CH_READY);
    CU_ASSERT_EQUAL(sim_world_home_so(t.w, 1), 0);
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 2);
    CU_ASSERT(dini_holds(t.w, 1, g00));
    ops_of(&t)->on_register_so(t.w, sim_world_proto_state(t.w), 2, 1);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 2);
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g00));
    CU_ASSERT(dini_same_key(t.w, 1, 0, g01));
    CU_ASSERT(dini_same_key(t.w, 1, 0, g02));
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g12));
    CU_ASSERT(dini_holds(t.w, 2, g12));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.global.renewed"), 2, 0);
    CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), 1);   /* SO 0's */
    assert_all_data_opened(t.w);
    tw_free(&t);
}

/* RENEWs to source 1: the first one's seq (X) and a copy of it; from
 * `react` on, transmissions of X counted and every other RENEW dropped;
 * with drop_acks, source 1's ACKs dropped in [9.9 s, react). */
typedef struct renew_watch {
    sim_time react;
    int drop_acks;
    int have_x, x_after, others_dropped, acks_dropped;
    uint32_t x;
    sim_pkt *copy;
} renew_watch;

static sim_tap_verdict renew_watch_tap(void *ctx, sim_world *w, uint32_t link,
                                       uint32_t from, uint32_t to, sim_pkt *p)
{
    renew_watch *r = ctx;
    sim_time now = sim_world_now(w);
    (void)link; (void)from; (void)to;

    if (r->drop_acks && is_ctl_type(p, DT_ACK) && sim_pkt_src(p) == 1 &&
        now >= 9900 * SIM_MS && now < r->react) {
        r->acks_dropped++;
        return SIM_TAP_DROP;
    }
    if (!is_ctl_type(p, DT_RENEW) || sim_pkt_dst(p) != 1)
        return SIM_TAP_PASS;
    if (!r->have_x) {
        r->have_x = 1;
        r->x = sim_pkt_seq(p);
        r->copy = sim_pkt_clone(w, p);
    } else if (now >= r->react && sim_pkt_seq(p) == r->x) {
        r->x_after++;
    } else if (now >= r->react) {
        r->others_dropped++;
        return SIM_TAP_DROP;
    }
    return SIM_TAP_PASS;
}

/* M5: SO(0) - S(1), pool = ring = 2.  Global key 0 is invalidated at
 * 10 s and renewed as key 2 (RENEW X to S).  At `react` the SO learns
 * that key 2 leaked and invalidates it too (INVAL to S; the RENEW of its
 * replacement, key 3, is dropped, so S keeps a free slot).
 * lost_ack: S's acks of X are lost, and X would be retransmitted from
 * 11 s: the SO gives it up when it invalidates key 2 (no transmission of
 * X after `react`; counted as a missing ack).
 * replay: X is acked, and a copy of it (authentic, sealed under S's
 * device key) is injected at 14 s: S refuses it, key 2 stays invalid
 * there (its tombstone).  Before the fix S installed key 2 again in both
 * cases. */
static void renew_after_inval(int by_replay)
{
    tworld t;
    renew_watch rw = {.react = by_replay ? 12 * SIM_S : 10500 * SIM_MS,
                      .drop_acks = !by_replay};
    uint64_t g00 = dini_global_name(0, 0), g02 = dini_global_name(0, 2);
    long told;

    CU_ASSERT_FATAL(tw_build(&t, 1, "30s",
                             "local_keys_from: so, pool: 2, ring: 2, "
                             "invalidate_at: 10s, invalidate_key: 0, "
                             "capture_reaction: true",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, renew_watch_tap, &rw);
    sim_world_run(t.w, rw.react, 0);
    CU_ASSERT_FATAL(rw.have_x);
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g00));
    CU_ASSERT_FATAL(dini_same_key(t.w, 1, 0, g02));   /* X installed */
    CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), by_replay ? 1 : 0);
    told = sim_atk_dini.atk_react(t.w, sim_world_proto_state(t.w),
                                  ATK_REACT_LEAK, 2);
    CU_ASSERT_EQUAL(told, 1);
    CU_ASSERT_FALSE(dini_holds(t.w, 0, g02));
    if (by_replay) {
        sim_world_run(t.w, 14 * SIM_S, 0);
        CU_ASSERT_FALSE(dini_holds(t.w, 1, g02));     /* INVAL came */
        rw.copy->atk = 1;
        CU_ASSERT(sim_world_inject(t.w, 0, 1, rw.copy) == 0);
        rw.copy = NULL;
    }
    tw_run_all(&t);
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g02));
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g00));
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 1);        /* key 1 alone */
    CU_ASSERT(dini_same_key(t.w, 1, 0, dini_global_name(0, 1)));
    CU_ASSERT(rw.others_dropped >= 1);                /* key 3's RENEW */
    CU_ASSERT_EQUAL(rw.x_after, 0);
    if (!by_replay) {
        CU_ASSERT(rw.acks_dropped >= 1);
        CU_ASSERT_EQUAL(met_n(t.w, "dini.global.renewal"), 0);
        CU_ASSERT(met(t.w, "dini.global.renewal.missing_acks") >= 1);
    }
    sim_pkt_free(t.w, rw.copy);
    tw_free(&t);
}

static void test_renew_cancelled_on_inval(void) { renew_after_inval(0); }
static void test_renew_replay_tombstone(void) { renew_after_inval(1); }

/* The same tombstone before the ring: SO(0) - S(1), pool = ring = 2,
 * renew_global off.  S's first KEYS is lost; global key 0 is invalidated
 * at 500 ms, before the KEYS retransmission (1 s after the first): S,
 * without a ring yet, notes key 0 invalid (the INVAL) and then installs
 * only key 1 from the KEYS.  Before the fix it installed key 0, invalid
 * since, and kept it. */
static void test_keys_after_inval(void)
{
    tworld t;
    dropper d = {.type = DT_KEYS, .dst = 1, .max = 1};
    uint64_t g00 = dini_global_name(0, 0), g01 = dini_global_name(0, 1);

    CU_ASSERT_FATAL(tw_build(&t, 1, "20s",
                             "local_keys_from: so, pool: 2, ring: 2, "
                             "invalidate_at: 500ms, invalidate_key: 0, "
                             "renew_global: false",
                             "OS", "{a: 0, b: 1}",
                             "interval: 'const(5s)', size: 32B") == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    sim_world_run(t.w, 500 * SIM_MS, 0);
    CU_ASSERT_FATAL(sim_world_is_registered(t.w, 1));
    CU_ASSERT_EQUAL(d.dropped, 1);
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 0);
    tw_run_all(&t);
    CU_ASSERT_FALSE(dini_holds(t.w, 1, g00));
    CU_ASSERT_FALSE(dini_holds(t.w, 0, g00));
    CU_ASSERT(dini_same_key(t.w, 1, 0, g01));
    CU_ASSERT_EQUAL(dini_n_global(t.w, 1), 1);
    CU_ASSERT_EQUAL(dini_channel_state(t.w, 1), DINI_CH_READY);
    assert_all_data_opened(t.w);
    tw_free(&t);
}

int register_review_tests(CU_pSuite r)
{
    CUTEST_ADD(r, test_open_any_no_clone);
    CUTEST_ADD(r, test_gave_per_so);
    CUTEST_ADD(r, test_renew_cancelled_on_inval);
    CUTEST_ADD(r, test_renew_replay_tombstone);
    CUTEST_ADD(r, test_keys_after_inval);
    return 0;
}
