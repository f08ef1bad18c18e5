/* test_pairwise.c — the full pairwise keys baseline (sim/proto/pairwise.c)
 * in tiny explicit worlds: both ends of a pair hold the same value and
 * distinct pairs distinct ones, only the pairs in use are materialised,
 * data and publishes are sealed on the wire and open at their destination,
 * tampered and replayed data are refused, an SO's round replaces the key
 * of each of its sources without losing data, a lost REKEY is recovered,
 * a moving source uses its key with the new SO, the storage formula,
 * capture, and determinism.  The attacker hooks: a capture exposes only
 * the captured node's links (none of the clean ones), the keys it yields
 * are the real ones even when not materialised, revocation ends them, a
 * REKEY read under a captured key gives the pair's new value; refusals;
 * garbage.  Keys are read through baseline.h, packets through taps
 * (baseline_tw.h). */
#include "baseline_tw.h"
#include "wipelog.h"
#include "cry.h"
#include "proto.h"
#include "baseline.h"

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
    cry_wipe(va, sizeof va);
    cry_wipe(vb, sizeof vb);
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
    CU_ASSERT_FATAL(pw_build(&t, "replay_window: true", 1, "20s", ROLES4, LINKS4, "const(1s)",
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
    wipelog wl;

    CU_ASSERT_FATAL(pw_build(&t, "rekey_at: 10s, previous_key_for: 2s", 1,
                             "15s", ROLES4, LINKS4, "const(20ms)",
                             NULL) == 0);
    sim_world_add_tap(t.w, wire_tap, &l);
    sim_world_run(t.w, 9 * SIM_S, 0);
    old = pairwise_key(t.w, 2, 0);
    CU_ASSERT_FATAL(old != 0);
    wipelog_start(&wl);
    tw_run_all(&t);
    wipelog_stop();
    /* wiped by cry_key_free, whatever the slot holds now */
    CU_ASSERT(wipelog_has_key(&wl, baseline_keystore(t.w), old));
    CU_ASSERT_EQUAL(wl.nonzero, 0);
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
    /* n - 1 = 3 keys per node (one per peer, materialised or not), of
     * (key_id_bytes + key_value_bytes) = 3 * (2 + 8) bytes. */
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"), 3, 0);
    CU_ASSERT_EQUAL(tw_met_n(t.w, "storage.keys_per_node"), 4);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.bytes_per_node"), 30, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.source.keys"), 3, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.so.keys"), 3, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "pairwise", "keys.stored"), 3, 0);
    tw_free(&t);
    CU_ASSERT_FATAL(pw_build(&t, "key_id_bytes: 4, key_value_bytes: 16", 1,
                             "10s", "OSSUSS", LINKS4 ", {a: 0, b: 4}, "
                             "{a: 0, b: 5}", "const(1s)", NULL) == 0);
    tw_run_all(&t);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"), 5, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.bytes_per_node"), 5 * 20,
                           0);
    CU_ASSERT_EQUAL(pairwise_live(t.w), 10);      /* of 30 in full */
    tw_free(&t);
    /* A replacement at 8 s, previous values kept 60 s: the SO keeps its
     * old key with each of its 2 sources (5), each source its one (4),
     * the subscriber none (3). */
    CU_ASSERT_FATAL(pw_build(&t, "rekey_at: 8s, previous_key_for: 60s", 1,
                             "10s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    tw_run_all(&t);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.so.keys"), 5, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.source.keys"), 4, 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.keys_per_node"),
                           (5 + 4 + 4 + 3) / 4.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, NULL, "storage.bytes_per_node"),
                           30 + (2 + 1 + 1) * 8 / 4.0, 1e-12);
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
    CU_ASSERT_EQUAL(sim_proto_parse_opts_buffer(&sim_proto_pairwise, "t",
                                                "{key_id_bytes: 9}", &o, err,
                                                sizeof err), -1);
    CU_ASSERT(strstr(err, "key_id_bytes") != NULL);
    CU_ASSERT_EQUAL(sim_proto_parse_opts_buffer(&sim_proto_pairwise, "t",
                                                "{key_id_bytes: 3}", &o, err,
                                                sizeof err), 0);
    sim_proto_free_opts(&sim_proto_pairwise, o);
}


/* ---- the adversary ---- */

#define PS(t) sim_world_proto_state((t).w)

/* Capture of source 1 before any key is materialised: its 3 pair keys,
 * derived for the attacker only (the protocol's table is untouched); the
 * pair (0, 1) materialised later holds that very value.  Only the
 * captured node's link is exposed: no clean link.  An SO's capture
 * exposes each of its links. */
static void test_atk_capture_own_links(void)
{
    tworld t;
    atk_exposure x;
    atk_kb *kb = atk_kb_new(3, 4), *kb2 = atk_kb_new(3, 4);
    size_t live;

    CU_ASSERT_FATAL(pw_build(&t, "", 1, "10s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    sim_world_run(t.w, 500 * SIM_MS, 0);
    live = pairwise_live(t.w);
    sim_atk_pairwise.atk_capture(t.w, PS(t), 1, kb);
    atk_kb_mark_captured(kb, 1);
    CU_ASSERT_EQUAL(pairwise_live(t.w), live);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 3);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 0);
    for (uint32_t peer = 0; peer < 4; peer++)
        if (peer != 1) {
            uint64_t lab = peer < 1 ? (uint64_t)peer << 32 | 1
                                    : (uint64_t)1 << 32 | peer;
            CU_ASSERT(atk_kb_find(kb, ATK_KEY, lab) != ATK_NONE);
        }
    tw_run_all(&t);
    CU_ASSERT_FATAL(pairwise_key(t.w, 0, 1) != 0);
    CU_ASSERT(atk_kb_holds(kb, (uint64_t)1, baseline_keystore(t.w),
                           pairwise_key(t.w, 0, 1)));
    sim_atk_pairwise.atk_exposure(t.w, PS(t), kb, &x);
    CU_ASSERT_EQUAL(x.links, 3);                 /* (0,1) (0,2) (0,3) */
    CU_ASSERT_EQUAL(x.exposed, 1);
    CU_ASSERT_EQUAL(x.links_clean, 2);
    CU_ASSERT_EQUAL(x.exposed_clean, 0);

    sim_atk_pairwise.atk_capture(t.w, PS(t), 0, kb2);
    atk_kb_mark_captured(kb2, 0);
    sim_atk_pairwise.atk_exposure(t.w, PS(t), kb2, &x);
    CU_ASSERT_EQUAL(x.exposed, 3);
    CU_ASSERT_EQUAL(x.links_clean, 0);
    CU_ASSERT_EQUAL(atk_kb_count(kb2), 3);
    CU_ASSERT_EQUAL(sim_atk_pairwise.atk_leak(t.w, PS(t), kb2, draw_first,
                                              NULL), -1);
    atk_kb_free(kb);
    atk_kb_free(kb2);
    tw_free(&t);
}

/* Revocation at 5 s of source 1, whose REKEYs are all lost and never
 * retransmitted: the round under way stops waiting for it (no later round
 * is skipped), its keys are wiped everywhere, its data refused, its link
 * gone; the others go on. */
static void test_atk_revoke(void)
{
    tworld t;
    atk_exposure x;
    dropper d = {.type = PT_REKEY, .max = 1000, .dst = 1};
    atk_kb *kb = atk_kb_new(3, 4);
    double rej;
    uint64_t k1;

    CU_ASSERT_FATAL(pw_build(&t, "rekey_every: 2s, retransmit_after: 0s, "
                             "capture_reaction: true", 1,
                             "20s", ROLES4, LINKS4, "const(500ms)",
                             NULL) == 0);
    sim_world_add_tap(t.w, drop_tap, &d);
    sim_world_run(t.w, 5 * SIM_S, 0);
    CU_ASSERT(met(t.w, "pairwise", "rekey.skipped") >= 1);  /* stuck */
    /* The subscriber holds its 3 pair keys until it is told. */
    CU_ASSERT_EQUAL(tw_ops(t.w)->keys(t.w, PS(t), 3), 3);
    k1 = tw_ops(t.w)->keys(t.w, PS(t), 1);
    sim_atk_pairwise.atk_capture(t.w, PS(t), 1, kb);
    atk_kb_mark_captured(kb, 1);
    rej = met(t.w, "pairwise", "data.rejected");
    CU_ASSERT_EQUAL(sim_atk_pairwise.atk_react(t.w, PS(t),
                                               ATK_REACT_CAPTURE, 1), 3);
    CU_ASSERT_EQUAL(sim_atk_pairwise.atk_react(t.w, PS(t),
                                               ATK_REACT_CAPTURE, 1), 0);
    CU_ASSERT_EQUAL(pairwise_key(t.w, 0, 1), 0);
    /* Its key with the captured node is wiped: 2 left; the captured node
     * is not told (its count does not change). */
    CU_ASSERT_EQUAL(tw_ops(t.w)->keys(t.w, PS(t), 3), 2);
    CU_ASSERT_EQUAL(tw_ops(t.w)->keys(t.w, PS(t), 1), k1);
    sim_atk_pairwise.atk_exposure(t.w, PS(t), kb, &x);
    CU_ASSERT_EQUAL(x.links, 2);
    CU_ASSERT_EQUAL(x.exposed, 0);
    tw_run_all(&t);
    CU_ASSERT(met(t.w, "pairwise", "data.rejected") >= rej + 25);
    CU_ASSERT_EQUAL(pairwise_key(t.w, 0, 1), 0);
    CU_ASSERT(pairwise_version(t.w, 0, 2) >= 7);   /* rounds went on */
    CU_ASSERT(pairwise_same_key(t.w, 0, 2));
    CU_ASSERT(tw_met_n(t.w, "key.rekey") >= 7);
    sim_atk_pairwise.atk_exposure(t.w, PS(t), kb, &x);
    CU_ASSERT_EQUAL(x.links, 2);
    CU_ASSERT_EQUAL(x.exposed, 0);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Without revocation, the SO's replacement of the captured pair's key
 * travels sealed under the captured value: an eavesdropper reads the new
 * one (atk_learn) and the link stays exposed; one who does not listen
 * loses it. */
static void learn_mode(int listen)
{
    tworld t;
    eve e;
    atk_exposure x;
    atk_kb *kb = atk_kb_new(3, 4);

    CU_ASSERT_FATAL(pw_build(&t, "rekey_at: 8s", 1, "15s", ROLES4, LINKS4,
                             "const(500ms)", NULL) == 0);
    sim_world_run(t.w, 5 * SIM_S, 0);
    sim_atk_pairwise.atk_capture(t.w, PS(t), 1, kb);
    atk_kb_mark_captured(kb, 1);
    eve_init(&e, kb, listen, sim_world_now(t.w));
    sim_world_add_tap(t.w, eve_tap, &e);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(pairwise_version(t.w, 0, 1), 1);
    sim_atk_pairwise.atk_exposure(t.w, PS(t), kb, &x);
    CU_ASSERT_EQUAL(x.links, 3);
    CU_ASSERT_EQUAL(x.exposed, listen ? 1 : 0);
    CU_ASSERT_EQUAL(x.exposed_clean, 0);
    CU_ASSERT(e.ctl_read >= 1);                  /* the REKEY to 1 */
    atk_kb_free(kb);
    tw_free(&t);
}

static void test_atk_learn_rekey(void) { learn_mode(1); }
static void test_atk_no_listen(void) { learn_mode(0); }


/* Every control message dropped is refused: a REKEY under a made-up key,
 * an unknown type, a replayed REKEY (answered again, nothing changes). */
static void test_atk_refusals(void)
{
    tworld t;
    rk_rec r = {.type = PT_REKEY, .n = 0};
    cry_keystore *ks = cry_keystore_new(99);
    cry_key fake = cry_key_generate(ks, 1, 1, NULL);
    sim_pkt *p;
    int i;

    CU_ASSERT_FATAL(pw_build(&t, "rekey_at: 2s", 1, "10s", ROLES4, LINKS4,
                             "const(1s)", NULL) == 0);
    sim_world_add_tap(t.w, rk_rec_fn, &r);
    sim_world_run(t.w, 5 * SIM_S, 0);
    CU_ASSERT_FATAL(r.n >= 1);
    p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 999, 1, 1 + 36);
    sim_pkt_ctl(p)[0] = PT_REKEY;
    sim_pkt_data(p)[0] = PT_REKEY;
    sim_put32(sim_pkt_data(p) + 1, 2);
    sim_pkt_set_key(p, 1, 2);
    CU_ASSERT_FATAL(sim_pkt_seal_data(p, ks, fake, NULL) == 0);
    CU_ASSERT(tw_refused(t.w, 1, p));
    p = sim_pkt_new(t.w, SIM_PKT_CONTROL, 1, 0, 999, 1, 1);
    sim_pkt_ctl(p)[0] = 9;
    sim_pkt_data(p)[0] = 9;
    CU_ASSERT(tw_refused(t.w, 0, p));
    for (i = 0; i < r.n && sim_pkt_dst(r.p[i]) != 1; i++)
        ;
    CU_ASSERT_FATAL(i < r.n);
    CU_ASSERT(tw_refused(t.w, 1, sim_pkt_clone(t.w, r.p[i])));
    CU_ASSERT_EQUAL(met(t.w, "pairwise", "duplicates"), 1);
    CU_ASSERT_EQUAL(pairwise_version(t.w, 1, 0), 1);
    tw_run_all(&t);
    CU_ASSERT(pairwise_same_key(t.w, 0, 1));
    for (i = 0; i < r.n; i++)
        sim_pkt_free(t.w, r.p[i]);
    cry_keystore_free(ks);
    tw_free(&t);
}

/* atk_learn on any bytes: a key only from a well-formed REKEY between two
 * distinct nodes of the world. */
static void test_atk_garbage(void)
{
    tworld t;
    atk_kb *kb = atk_kb_new(3, 4);
    unsigned char buf[200];
    uint64_t st = 777;
    size_t valid = 0;
    sim_pkt *ctl, *bad, *data;

    CU_ASSERT_FATAL(pw_build(&t, "", 1, "2s", ROLES4, LINKS4, "const(1s)",
                             NULL) == 0);
    ctl = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 1, 1, 1, 8);
    bad = sim_pkt_new(t.w, SIM_PKT_CONTROL, 0, 99, 1, 1, 8);
    data = sim_pkt_new(t.w, SIM_PKT_DATA, 1, 0, 1, 0, 8);
    sim_atk_pairwise.atk_learn(t.w, PS(t), kb, ctl, 1, NULL, 0);
    for (int it = 0; it < 20000; it++) {
        size_t len;
        sim_pkt *p = it % 7 == 0 ? data : it % 5 == 0 ? bad : ctl;
        garbage(&st, buf, sizeof buf);
        len = it % 3 == 0 ? 37 : buf[1] % sizeof buf;
        if (it % 2 == 0)
            buf[0] = PT_REKEY;
        if (p == ctl && it % 4 && buf[0] == PT_REKEY && len == 37)
            valid++;
        sim_atk_pairwise.atk_learn(t.w, PS(t), kb, p, it % 4 ? 1 : 0, buf,
                                   len);
    }
    CU_ASSERT(valid > 1000);
    CU_ASSERT_EQUAL(atk_kb_count(kb), valid);
    sim_pkt_free(t.w, ctl);
    sim_pkt_free(t.w, bad);
    sim_pkt_free(t.w, data);
    tw_run_all(&t);
    atk_kb_free(kb);
    tw_free(&t);
}

/* Key hygiene: the world freed at the end of a run wipes every key
 * store, the protocol's and the attackers' (baseline_tw.h); the reaction
 * to the capture wipes the captured node's pairwise keys. */
static void test_wipe_on_world_free(void)
{
    bl_check_wipe_on_world_free("pairwise", ROLES4, LINKS4);
}

/* per_hop_mac (kmsim extension, pk.h): off, relays do no AEAD operation
 * on the data they relay and a tampered header is refused at the SO; on,
 * each relay verifies and re-MACs the header and refuses a tampered one
 * (bl_hop_check). */
static void test_per_hop_mac(void)
{
    bl_hop_check("pairwise", "", "pairwise");
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("pairwise", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_pair_keys);
    CUTEST_ADD(s, test_per_hop_mac);
    CUTEST_ADD(s, test_pair_values_reproducible);
    CUTEST_ADD(s, test_tampered_rejected);
    CUTEST_ADD(s, test_replay_refused);
    CUTEST_ADD(s, test_rekey_round);
    CUTEST_ADD(s, test_wipe_on_world_free);
    CUTEST_ADD(s, test_rekey_lost);
    CUTEST_ADD(s, test_move);
    CUTEST_ADD(s, test_storage);
    CUTEST_ADD(s, test_capture);
    CUTEST_ADD(s, test_deterministic);
    CUTEST_ADD(s, test_bad_options);
    CUTEST_ADD(s, test_atk_capture_own_links);
    CUTEST_ADD(s, test_atk_revoke);
    CUTEST_ADD(s, test_atk_learn_rekey);
    CUTEST_ADD(s, test_atk_no_listen);
    CUTEST_ADD(s, test_atk_refusals);
    CUTEST_ADD(s, test_atk_garbage);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
