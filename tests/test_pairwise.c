/* test_pairwise.c — the full pairwise keys baseline (sim/proto/pairwise.c)
 * in tiny explicit worlds: both ends of a pair hold the same value and
 * distinct pairs distinct ones, only the pairs in use are materialised,
 * data and publishes are sealed on the wire and open at their destination,
 * tampered and replayed data are refused, an SO's round replaces the key
 * of each of its sources without losing data, a lost REKEY is recovered,
 * a moving source uses its key with the new SO, the storage formula,
 * capture, and determinism.  Keys are read through baseline.h, packets
 * through taps (baseline_tw.h). */
#include <sodium.h>
#include "baseline_tw.h"
#include "cry.h"
#include "proto.h"
#include "proto/baseline.h"

enum { PT_REKEY = 1, PT_REKEY_ACK };

/* SO 0; source 1 next to it, source 2 behind 1; subscriber 3 on SO 0. */
#define ROLES4 "OSSU"
#define LINKS4 "{a: 0, b: 1}, {a: 1, b: 2}, {a: 0, b: 3}"

static int pw_build(tworld *t, const char *opts, uint64_t seed,
                    const char *duration, const char *roles,
                    const char *links, const char *interval,
                    const char *extra)
{
    return bl_build(t, "pairwise", opts, seed, duration, roles, links,
                    interval, extra);
}

/* ---- keys and data ---- */

/* Each used pair: both ends hold the same value, version 0; different
 * pairs differ; unused pairs are not materialised (4 nodes: 12 keys in
 * full, 6 in use); data and publishes sealed on the wire, all open. */
static void test_pair_keys(void)
{
    tworld t;
    wire_log l = {0};

    CU_ASSERT_FATAL(pw_build(&t, "", 1, "30s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    CU_ASSERT_EQUAL(pairwise_live(t.w), 0);      /* nothing used yet */
    sim_world_add_tap(t.w, wire_tap, &l);
    tw_run_all(&t);
    CU_ASSERT(pairwise_same_key(t.w, 1, 0));
    CU_ASSERT(pairwise_same_key(t.w, 0, 1));
    CU_ASSERT(pairwise_same_key(t.w, 2, 0));
    CU_ASSERT(pairwise_same_key(t.w, 0, 3));
    CU_ASSERT(pairwise_key(t.w, 1, 0) != pairwise_key(t.w, 0, 1));
    CU_ASSERT_FALSE(baseline_key_equal(t.w, pairwise_key(t.w, 0, 1),
                                       pairwise_key(t.w, 0, 2)));
    CU_ASSERT_FALSE(baseline_key_equal(t.w, pairwise_key(t.w, 0, 1),
                                       pairwise_key(t.w, 0, 3)));
    CU_ASSERT_EQUAL(pairwise_version(t.w, 1, 0), 0);
    /* Unused pairs: not materialised (the relay 1 never uses K(1, 2)). */
    CU_ASSERT_EQUAL(pairwise_key(t.w, 1, 2), 0);
    CU_ASSERT_EQUAL(pairwise_key(t.w, 2, 1), 0);
    CU_ASSERT_EQUAL(pairwise_key(t.w, 1, 3), 0);
    CU_ASSERT_FALSE(pairwise_same_key(t.w, 2, 3));
    CU_ASSERT_EQUAL(pairwise_live(t.w), 6);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "keys.live"), 6, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.setup"), 2);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "key.setup"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "data.generated"), 2 * 29, 0);
    assert_all_opened(t.w, "pairwise");
    CU_ASSERT_EQUAL(l.pub, 2 * 29);
    CU_ASSERT_EQUAL(l.unsealed, 0);
    CU_ASSERT_EQUAL(l.clear, 0);
    tw_free(&t);
}

/* The value of K_ij does not depend on the run's history: the same seed
 * gives the same pair values whatever was used first. */
static void test_pair_values_reproducible(void)
{
    tworld a, b;
    unsigned char va[CRY_KEY_BYTES], vb[CRY_KEY_BYTES];

    CU_ASSERT_FATAL(pw_build(&a, "", 1, "10s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    CU_ASSERT_FATAL(pw_build(&b, "", 1, "10s", ROLES4, LINKS4, "exp(3s)",
                             NULL) == 0);
    tw_run_all(&a);
    tw_run_all(&b);
    CU_ASSERT_FATAL(pairwise_key(a.w, 0, 2) && pairwise_key(b.w, 2, 0));
    cry_key_export(baseline_keystore(a.w), pairwise_key(a.w, 0, 2), va);
    cry_key_export(baseline_keystore(b.w), pairwise_key(b.w, 2, 0), vb);
    CU_ASSERT(cry_equal(va, vb, sizeof va));
    sodium_memzero(va, sizeof va);
    sodium_memzero(vb, sizeof vb);
    tw_free(&a);
    tw_free(&b);
}

static void test_tampered_rejected(void)
{
    tworld t;
    flip f = {.nth = 4};

    CU_ASSERT_FATAL(pw_build(&t, "", 1, "20s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    sim_world_add_tap(t.w, flip_tap, &f);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(f.done, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "data.rejected"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "data.opened"),
                           met(t.w, NULL, "data.generated") - 1, 0);
    tw_free(&t);
}

static void test_replay_refused(void)
{
    tworld t;
    replay *r = calloc(1, sizeof *r);

    CU_ASSERT_FATAL(r != NULL);
    r->src = 2;
    r->at = 6;
    CU_ASSERT_FATAL(pw_build(&t, "", 1, "20s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    sim_world_add_tap(t.w, replay_tap, r);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(r->replayed, 1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "data.replays"), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "data.rejected"), 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "data.opened"),
                           met(t.w, NULL, "data.generated") - 1, 0);
    tw_free(&t);
    free(r);
}

/* ---- replacement ---- */

/* SO 0's round at 10 s: each source's pair key goes to version 1 at both
 * ends (a fresh value, not K_ij), the subscriber's stays; old-key data
 * during the round still open; the old values are wiped later. */
static void test_rekey_round(void)
{
    tworld t;
    wire_log l = {.after = 10 * SIM_S};
    cry_key old;

    CU_ASSERT_FATAL(pw_build(&t, "rekey_at: 10s, previous_key_for: 2s", 1,
                             "15s", ROLES4, LINKS4, "const(20ms)",
                             NULL) == 0);
    sim_world_add_tap(t.w, wire_tap, &l);
    sim_world_run(t.w, 9 * SIM_S, 0);
    old = pairwise_key(t.w, 2, 0);
    CU_ASSERT_FATAL(old != 0);
    tw_run_all(&t);
    for (uint32_t s = 1; s <= 2; s++) {
        CU_ASSERT_EQUAL(pairwise_version(t.w, s, 0), 1);
        CU_ASSERT_EQUAL(pairwise_version(t.w, 0, s), 1);
        CU_ASSERT(pairwise_same_key(t.w, s, 0));
    }
    CU_ASSERT_EQUAL(pairwise_version(t.w, 0, 3), 0);
    CU_ASSERT(pairwise_same_key(t.w, 0, 3));
    {
        const unsigned char *z =
            cry_key_peek_for_tests(baseline_keystore(t.w), old);
        unsigned char zero[CRY_KEY_BYTES] = {0};
        CU_ASSERT(memcmp(z, zero, sizeof zero) == 0);     /* wiped */
    }
    CU_ASSERT_EQUAL(pairwise_live(t.w), 6);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 1);
    CU_ASSERT(met(t.w, NULL, "key.rekey") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "msgs.rekey"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "msgs.rekey_ack"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "rekey.rejected"), 0, 0);
    CU_ASSERT(l.old_after > 0);
    CU_ASSERT(l.by_session[1] > 0);
    assert_all_opened(t.w, "pairwise");
    tw_free(&t);
}

/* The first REKEY to source 2 is lost and sent again; its ack lost too
 * once: answered again as a duplicate.  The round completes. */
static void test_rekey_lost(void)
{
    tworld t;
    dropper d = {.type = PT_REKEY, .max = 1, .dst = 2};
    dropper a = {.type = PT_REKEY_ACK, .max = 1, .dst = SIM_NONE};

    CU_ASSERT_FATAL(pw_build(&t, "rekey_every: 5s", 1, "12s", ROLES4, LINKS4,
                             "const(1s)", NULL) == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    sim_world_add_tap(t.w, drop_tap, &a);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(d.dropped, 1);
    CU_ASSERT_EQUAL(a.dropped, 1);
    CU_ASSERT_EQUAL(pairwise_version(t.w, 2, 0), 2);
    CU_ASSERT(pairwise_same_key(t.w, 2, 0));
    CU_ASSERT(pairwise_same_key(t.w, 1, 0));
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "retransmissions"), 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "duplicates"), 1, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 2);
    assert_all_opened(t.w, "pairwise");
    tw_free(&t);
}

/* Source 1 moves from SO 0 to SO 2 at 10 s: it just uses K(1, 2), which
 * it already held (nothing is sent for it), and SO 2's round at 20 s
 * replaces that key, SO 0's no longer covers it. */
static void test_move(void)
{
    tworld t;

    CU_ASSERT_FATAL(pw_build(&t, "rekey_at: [5s, 20s]", 1, "30s", "OSO",
                             "{a: 0, b: 1}, {a: 1, b: 2}", "const(1s)",
                             "moves: [{node: 1, at: 10s, to: 2}]\n") == 0);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(sim_world_home_so(t.w, 1), 2);
    CU_ASSERT(pairwise_same_key(t.w, 1, 2));
    CU_ASSERT(pairwise_same_key(t.w, 1, 0));
    CU_ASSERT_EQUAL(pairwise_version(t.w, 1, 0), 1);   /* SO 0 at 5 s */
    CU_ASSERT_EQUAL(pairwise_version(t.w, 1, 2), 1);   /* SO 2 at 20 s */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "msgs.rekey"), 2, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "key.rekey"), 2);
    assert_all_opened_(t.w, "pairwise", 0);     /* no subscriber */
    tw_free(&t);
}

/* ---- storage, capture, determinism ---- */

static void test_storage(void)
{
    tworld t;

    CU_ASSERT_FATAL(pw_build(&t, "", 1, "10s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    tw_run_all(&t);
    /* (n - 1) * (key_id_bytes + key_value_bytes) = 3 * (2 + 8). */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"), 30, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "keys.stored"), 3, 0);
    tw_free(&t);
    CU_ASSERT_FATAL(pw_build(&t, "key_id_bytes: 4, key_value_bytes: 16", 1,
                             "10s", "OSSUSS", LINKS4 ", {a: 0, b: 4}, "
                             "{a: 0, b: 5}", "const(1s)", NULL) == 0);
    tw_run_all(&t);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"), 5 * 20,
                           0);
    CU_ASSERT_EQUAL(pairwise_live(t.w), 10);      /* of 30 in full */
    tw_free(&t);
}

/* A captured node hands over n - 1 keys: materialised ones with their
 * handle, the others (still predistributed) without. */
static void test_capture(void)
{
    tworld t;
    baseline_key k[8];
    size_t n;
    int with = 0;

    CU_ASSERT_FATAL(pw_build(&t, "", 1, "5s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    tw_run_all(&t);
    n = pairwise_capture(t.w, 1, k, 8);
    CU_ASSERT_EQUAL(n, 3);
    for (size_t i = 0; i < n && i < 8; i++) {
        CU_ASSERT(k[i].peer != 1 && k[i].peer < 4);
        CU_ASSERT_EQUAL(k[i].previous, 0);
        if (k[i].handle) {
            with++;
            CU_ASSERT_EQUAL(k[i].peer, 0);
            CU_ASSERT(baseline_key_equal(t.w, k[i].handle,
                                         pairwise_key(t.w, 0, 1)));
        }
    }
    CU_ASSERT_EQUAL(with, 1);
    CU_ASSERT_EQUAL(netkey_capture(t.w, 1, k, 8), 0);    /* not netkey */
    tw_free(&t);
}

static void run_fp(uint64_t seed, unsigned char fp[32])
{
    tworld t;
    CU_ASSERT_FATAL(pw_build(&t, "rekey_every: 4s", seed, "15s", ROLES4,
                             LINKS4, "exp(300ms)", NULL) == 0);
    tw_fingerprint(&t, fp);
    tw_free(&t);
}

static void test_deterministic(void)
{
    unsigned char a[32], b[32], c[32];
    run_fp(7, a);
    run_fp(7, b);
    run_fp(8, c);
    CU_ASSERT(memcmp(a, b, 32) == 0);
    CU_ASSERT(memcmp(a, c, 32) != 0);
}

static void test_bad_options(void)
{
    void *o = NULL;
    char err[256];
    CU_ASSERT_EQUAL(scn_proto_parse_opts_buffer(&sim_proto_pairwise, "t",
                                                "{key_id_bytes: 9}", &o, err,
                                                sizeof err), -1);
    CU_ASSERT(strstr(err, "key_id_bytes") != NULL);
    CU_ASSERT_EQUAL(scn_proto_parse_opts_buffer(&sim_proto_pairwise, "t",
                                                "{key_id_bytes: 3}", &o, err,
                                                sizeof err), 0);
    scn_proto_free_opts(&sim_proto_pairwise, o);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("pairwise", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_pair_keys);
    CUTEST_ADD(s, test_pair_values_reproducible);
    CUTEST_ADD(s, test_tampered_rejected);
    CUTEST_ADD(s, test_replay_refused);
    CUTEST_ADD(s, test_rekey_round);
    CUTEST_ADD(s, test_rekey_lost);
    CUTEST_ADD(s, test_move);
    CUTEST_ADD(s, test_storage);
    CUTEST_ADD(s, test_capture);
    CUTEST_ADD(s, test_deterministic);
    CUTEST_ADD(s, test_bad_options);
    return 0;
}

CUTEST_MAIN(register_tests)
