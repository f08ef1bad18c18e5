/* test_attack.c — the adversary (sim/attack/): the knowledge base, and
 * each attacker model in tiny explicit worlds acting on the real bytes:
 * the eavesdropper reads nothing sealed without keys and everything after
 * a capture (recorded traffic too), tampered, forged and replayed messages
 * are refused per protocol, seed sniffing breaks Di Pietro with clear
 * seeds and not with sealed ones, a network-wide key is fully exposed by
 * one capture and pairwise keys only on the captured node's links, the
 * flood's queueing against M/M/1, errors, and determinism. */
#include <math.h>
#include <string.h>
#include <sodium.h>
#include "tworld.h"
#include "cry.h"
#include "cry_key.h"
#include "kb.h"
#include "attack.h"
#include "qtheory.h"
#include "util.h"

/* SO 0 with sources 1, 2 next to it, source 3 behind 1, subscriber 4. */
#define ROLES "OSSSU"
#define LINKS "{a: 0, b: 1}, {a: 0, b: 2}, {a: 1, b: 3}, {a: 0, b: 4}"
#define TRAFFIC "interval: 'const(1s)', size: 32B"
#define SUBS "subscribers: {filters: ['#']}\n"

/* Value of attacker i's metric `name` (entity attack:i). */
static double am(sim_world *w, size_t i, const char *name)
{
    char ent[32];
    ana_metrics *m = sim_world_metrics(w);
    int id;

    snprintf(ent, sizeof ent, "attack:%zu", i);
    id = ana_metric_find(m, name, ent);
    if (id < 0) {
        fprintf(stderr, "no metric %s (%s)\n", name, ent);
        CU_FAIL("attack metric missing");
        return NAN;
    }
    return ana_metric_get(m, id);
}

/* 1 if attacker i has metric `name`. */
static int am_has(sim_world *w, size_t i, const char *name)
{
    char ent[32];
    snprintf(ent, sizeof ent, "attack:%zu", i);
    return ana_metric_find(sim_world_metrics(w), name, ent) >= 0;
}

/* A world of `proto` with attackers (the YAML list's items). */
static int aw(tworld *t, const char *proto, const char *duration,
              const char *attackers, uint64_t seed)
{
    char extra[2048];
    int n = snprintf(extra, sizeof extra, "%sattackers: [%s]\n", SUBS,
                     attackers);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof extra);
    return tw_build(t, seed, duration, proto, ROLES, LINKS, TRAFFIC, extra);
}

/* aw under defence profile `defences` (as_published, hardened). */
static int awd(tworld *t, const char *proto, const char *duration,
               const char *attackers, uint64_t seed, const char *defences)
{
    char extra[2048];
    int n = snprintf(extra, sizeof extra, "%sdefences: %s\nattackers: [%s]\n",
                     SUBS, defences, attackers);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof extra);
    return tw_build(t, seed, duration, proto, ROLES, LINKS, TRAFFIC, extra);
}

/* ---- the knowledge base ---- */

static void test_kb(void)
{
    atk_kb *kb = atk_kb_new(7, 10);
    cry_keystore *ks = cry_keystore_new(9);
    unsigned char v[32], out[32];
    cry_key k1, k2;
    size_t e1, e2, e3;

    CU_ASSERT_FATAL(kb && ks);
    k1 = cry_key_generate(ks, 1, 1, NULL);
    k2 = cry_key_generate(ks, 1, 2, NULL);
    atk_kb_context(kb, 3, 5 * SIM_S);
    e1 = atk_kb_add(kb, ATK_KEY, 42, 1, ks, k1);
    e2 = atk_kb_add(kb, ATK_KEY, 42, 2, ks, k1);   /* same value: kept */
    CU_ASSERT_EQUAL(e1, e2);
    e3 = atk_kb_add(kb, ATK_KEY, 42, 3, ks, k2);
    CU_ASSERT_NOT_EQUAL(e1, e3);
    CU_ASSERT_EQUAL(atk_kb_count(kb), 2);
    CU_ASSERT_EQUAL(atk_kb_find(kb, ATK_KEY, 42), e1);
    CU_ASSERT_EQUAL(atk_kb_next(kb, e1), e3);
    CU_ASSERT_EQUAL(atk_kb_next(kb, e3), ATK_NONE);
    CU_ASSERT_EQUAL(atk_kb_find(kb, ATK_MATERIAL, 42), ATK_NONE);
    CU_ASSERT_EQUAL(atk_kb_from(kb, e3), 3);
    CU_ASSERT_EQUAL(atk_kb_at(kb, e3), 5 * SIM_S);
    CU_ASSERT_EQUAL(atk_kb_aux(kb, e3), 3);
    /* the attacker holds the values, in its own store */
    CU_ASSERT(atk_kb_holds(kb, 42, ks, k1));
    CU_ASSERT(atk_kb_holds(kb, ATK_ANY_LABEL, ks, k2));
    CU_ASSERT(!atk_kb_holds(kb, 43, ks, k1));
    cry_key_export(ks, k1, v);
    atk_kb_export(kb, e1, out);
    CU_ASSERT_EQUAL(memcmp(v, out, 32), 0);
    CU_ASSERT(atk_kb_key(kb, e1) != 0);
    /* material is kept apart and zero-padded */
    e1 = atk_kb_add_bytes(kb, ATK_MATERIAL, 7, 0, v, 8);
    atk_kb_export(kb, e1, out);
    CU_ASSERT_EQUAL(memcmp(out, v, 8), 0);
    CU_ASSERT(sodium_is_zero(out + 8, 24));
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 1);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 2);
    CU_ASSERT(!atk_kb_holds(kb, 7, ks, k1));   /* material is no key */
    sodium_memzero(v, sizeof v);
    sodium_memzero(out, sizeof out);
    /* captured nodes */
    atk_kb_mark_captured(kb, 4);
    atk_kb_mark_captured(kb, 4);
    CU_ASSERT(atk_kb_captured(kb, 4));
    CU_ASSERT(!atk_kb_captured(kb, 5));
    CU_ASSERT(!atk_kb_captured(kb, 99));
    CU_ASSERT_EQUAL(atk_kb_n_captured(kb), 1);
    atk_kb_free(kb);
    cry_keystore_free(ks);
}

/* ---- M/M/1/K ---- */

static void test_mm1k(void)
{
    ana_queue q, q1;
    double b;

    /* K = 1: a loss system, P_1 = rho / (1 + rho), W = 1 / mu */
    CU_ASSERT_EQUAL(ana_mm1k(2.0, 4.0, 1, &q, &b), 0);
    CU_ASSERT_DOUBLE_EQUAL(b, 0.5 / 1.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(q.W, 0.25, 1e-12);
    /* large K: M/M/1 */
    CU_ASSERT_EQUAL(ana_mm1k(2.0, 4.0, 200, &q, &b), 0);
    CU_ASSERT_EQUAL(ana_mm1(2.0, 4.0, &q1), 0);
    CU_ASSERT_DOUBLE_EQUAL(q.W, q1.W, 1e-9);
    CU_ASSERT(b < 1e-50);
    /* rho = 1: uniform over 0..K, P_K = 1 / (K + 1), L = K / 2 */
    CU_ASSERT_EQUAL(ana_mm1k(3.0, 3.0, 9, &q, &b), 0);
    CU_ASSERT_DOUBLE_EQUAL(b, 0.1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(q.L, 4.5, 1e-12);
    /* overloaded: finite, blocking above 1 - 1/rho */
    CU_ASSERT_EQUAL(ana_mm1k(10.0, 4.0, 1000, &q, &b), 0);
    CU_ASSERT_DOUBLE_EQUAL(b, 1.0 - 4.0 / 10.0, 1e-9);
    CU_ASSERT(isfinite(q.W));
    CU_ASSERT_EQUAL(ana_mm1k(1.0, 0.0, 5, &q, &b), -1);
    CU_ASSERT_EQUAL(ana_mm1k(1.0, 2.0, 0, &q, &b), -1);
}

/* ---- eavesdropper ---- */

/* In clear (protocol none) it reads every part it sees. */
static void test_eavesdrop_clear(void)
{
    tworld t;

    CU_ASSERT_FATAL(aw(&t, "name: none", "20s",
                       "{type: eavesdropper, links: all}", 1) == 0);
    tw_run_all(&t);
    CU_ASSERT(am(t.w, 0, "attack.eavesdropper.payload.seen") > 50);
    CU_ASSERT_EQUAL(am(t.w, 0, "attack.eavesdropper.payload.read"),
                    am(t.w, 0, "attack.eavesdropper.payload.seen"));
    CU_ASSERT_EQUAL(am(t.w, 0, "attack.eavesdropper.keys.learned"), 0);
    tw_free(&t);
}

/* Network key: nothing sealed opens without a key; after one capture
 * everything does, the traffic recorded before it included (read late),
 * and every link is exposed. */
static void test_eavesdrop_capture_netkey(void)
{
    tworld t;
    double seen, read;

    CU_ASSERT_FATAL(aw(&t, "name: netkey", "30s",
                       "{type: eavesdropper, links: all}", 2) == 0);
    tw_run_all(&t);
    CU_ASSERT(am(t.w, 0, "attack.eavesdropper.payload.seen") > 50);
    CU_ASSERT_EQUAL(am(t.w, 0, "attack.eavesdropper.payload.read"), 0);
    tw_free(&t);

    CU_ASSERT_FATAL(aw(&t, "name: netkey", "30s",
                       "{type: eavesdropper, links: all}, "
                       "{type: node_capture, nodes: [3], at: 15s}",
                       2) == 0);
    tw_run_all(&t);
    seen = am(t.w, 0, "attack.eavesdropper.payload.seen");
    read = am(t.w, 0, "attack.eavesdropper.payload.read");
    CU_ASSERT(seen > 50);
    CU_ASSERT_EQUAL(read, seen);                       /* all of it   */
    CU_ASSERT(am(t.w, 0, "attack.eavesdropper.read.late") > 20);
    CU_ASSERT(am(t.w, 1, "attack.node_capture.keys.learned") >= 1);
    CU_ASSERT(am(t.w, 1, "attack.node_capture.enabled.reads") >= read);
    CU_ASSERT_EQUAL(am(t.w, 1, "attack.node_capture.links.exposed.at_capture"),
                    1.0);
    CU_ASSERT_EQUAL(am(t.w, 1, "attack.node_capture.traffic.readable.before"),
                    1.0);
    tw_free(&t);
}

/* Pairwise keys: a capture exposes only the captured node's links. */
static void test_capture_pairwise(void)
{
    tworld t;

    CU_ASSERT_FATAL(aw(&t, "name: pairwise", "30s",
                       "{type: eavesdropper, links: all}, "
                       "{type: node_capture, nodes: [3], at: 10s}",
                       3) == 0);
    tw_run_all(&t);
    CU_ASSERT(am(t.w, 1, "attack.node_capture.links.at_capture") >= 3);
    CU_ASSERT(am(t.w, 1, "attack.node_capture.links.exposed.at_capture") <
              0.5);
    CU_ASSERT_EQUAL(
        am(t.w, 1, "attack.node_capture.links.exposed_clean.at_capture"),
        0.0);
    /* it reads node 3's data, not the others' */
    CU_ASSERT(am(t.w, 0, "attack.eavesdropper.payload.read") > 0);
    CU_ASSERT(am(t.w, 0, "attack.eavesdropper.payload.read") <
              am(t.w, 0, "attack.eavesdropper.payload.seen") / 2);
    tw_free(&t);
}

/* ---- Di Pietro: seed sniffing ---- */

static double sniff(const char *seeds, uint64_t seed)
{
    tworld t;
    char proto[128];
    double r, s;

    snprintf(proto, sizeof proto,
             "name: dipietro, rekey_every: 4s, seeds: %s", seeds);
    CU_ASSERT_FATAL(aw(&t, proto, "30s",
                       "{type: seed_sniffing, links: all}", seed) == 0);
    tw_run_all(&t);
    s = am(t.w, 0, "attack.seed_sniffing.payload.seen");
    r = am(t.w, 0, "attack.seed_sniffing.payload.read");
    CU_ASSERT(s > 50);
    CU_ASSERT(tw_met(t.w, "dipietro.rounds") >= 5);
    tw_free(&t);
    return s > 0 ? r / s : NAN;
}

static void test_seed_sniffing(void)
{
    double clear = sniff("clear", 4), sealed = sniff("sealed", 4);

    /* clear seeds: every later session key is computed (the data of the
     * sources' first seconds included, read late if need be) */
    CU_ASSERT(clear > 0.95);
    CU_ASSERT_EQUAL(sealed, 0.0);
}

/* The defence profile sets Di Pietro's seeds: clear as published
 * (Algorithm 2), sealed hardened; `seeds:` given still wins. */
static void test_seed_sniffing_defences(void)
{
    static const struct {
        const char *proto, *defences;
        int readable;
    } c[] = {
        {"name: dipietro, rekey_every: 4s", "as_published", 1},
        {"name: dipietro, rekey_every: 4s", "hardened", 0},
        {"name: dipietro, rekey_every: 4s, seeds: clear", "hardened", 1},
        {"name: dipietro, rekey_every: 4s, seeds: sealed", "as_published",
         0},
    };

    for (size_t i = 0; i < ARRAY_LEN(c); i++) {
        tworld t;
        double r, s;

        CU_ASSERT_FATAL(awd(&t, c[i].proto, "30s",
                            "{type: seed_sniffing, links: all}", 4,
                            c[i].defences) == 0);
        tw_run_all(&t);
        s = am(t.w, 0, "attack.seed_sniffing.payload.seen");
        r = am(t.w, 0, "attack.seed_sniffing.payload.read");
        CU_ASSERT(s > 50);
        if (c[i].readable) {
            CU_ASSERT(r > 0.95 * s);
        } else {
            CU_ASSERT_EQUAL(r, 0);
        }
        tw_free(&t);
    }
}

/* Dini's ring (KEYS) at registration: in clear as published, so an
 * eavesdropper of every link learns the sources' global keys from it;
 * sealed under the device key hardened (device_keys), and it learns none
 * (its only key source here is the traffic).  The option wins over the
 * profile. */
static void test_dini_keys_defences(void)
{
    static const struct {
        const char *proto, *defences;
        int clear;
    } c[] = {
        {"name: dini, pool: 8, ring: 2", "as_published", 1},
        {"name: dini, pool: 8, ring: 2", "hardened", 0},
        {"name: dini, pool: 8, ring: 2, device_keys: true", "as_published",
         0},
        {"name: dini, pool: 8, ring: 2, device_keys: false", "hardened", 1},
    };

    for (size_t i = 0; i < ARRAY_LEN(c); i++) {
        tworld t;
        double learned;

        CU_ASSERT_FATAL(awd(&t, c[i].proto, "20s",
                            "{type: eavesdropper, links: all}", 3,
                            c[i].defences) == 0);
        tw_run_all(&t);
        learned = am(t.w, 0, "attack.eavesdropper.keys.learned");
        CU_ASSERT(tw_met(t.w, "dini.channels") >= 3);   /* works either way */
        if (c[i].clear) {
            CU_ASSERT(learned >= 2);         /* at least one ring of 2 */
            CU_ASSERT(am(t.w, 0, "attack.eavesdropper.ctl.read") > 0);
        } else {
            CU_ASSERT_EQUAL(learned, 0);
        }
        tw_free(&t);
    }
}

/* ---- injected and altered messages, per protocol ---- */

static const char *const protos[] = {
    "name: dini", "name: dipietro", "name: eg, pool: 40, ring: 20",
    "name: netkey", "name: pairwise"};

/* Tampering: no tampered sealed message is accepted anywhere; only the
 * unauthenticated (clear) ones can be.  Data are refused where the part
 * the attacker altered is checked: at the destination (end-to-end seal),
 * or at the next hop for E-G (sealed hop by hop) and for the others with
 * per_hop_mac (the header's MAC) — both ways for those. */
static void test_tampering(void)
{
    for (size_t i = 0; i < 2 * ARRAY_LEN(protos); i++) {
        tworld t;
        double inj, acc;
        char proto[128];
        size_t j = i % ARRAY_LEN(protos);

        if (i >= ARRAY_LEN(protos) && strstr(protos[j], "name: eg"))
            continue;           /* eg: hop by hop by design, no option */
        snprintf(proto, sizeof proto, "%s%s", protos[j],
                 i >= ARRAY_LEN(protos) ? ", per_hop_mac: true" : "");
        CU_ASSERT_FATAL(aw(&t, proto, "30s",
                           "{type: tampering, count: 40, at: 12s}",
                           5) == 0);
        tw_run_all(&t);
        inj = am(t.w, 0, "attack.tampering.injected");
        acc = am(t.w, 0, "attack.tampering.accepted");
        /* a tampered message dies where it is checked: fewer cross */
        CU_ASSERT(inj >= 20 && inj <= 40);
        CU_ASSERT(acc <= am(t.w, 0, "attack.tampering.tampered_clear"));
        if (am_has(t.w, 0, "attack.tampering.data.accepted"))
            CU_ASSERT_EQUAL(am(t.w, 0, "attack.tampering.data.accepted"), 0);
        if (acc > am(t.w, 0, "attack.tampering.tampered_clear"))
            fprintf(stderr, "%s: tampered accepted %g\n", proto, acc);
        tw_free(&t);
    }
}

/* Forgery: every forged message (made-up key, real or made-up names) is
 * rejected by every protocol. */
static void test_forgery(void)
{
    for (size_t i = 0; i < ARRAY_LEN(protos); i++) {
        tworld t;

        CU_ASSERT_FATAL(aw(&t, protos[i], "30s",
                           "{type: forgery, count: 45, rate: 5/s, at: 12s}",
                           6) == 0);
        tw_run_all(&t);
        CU_ASSERT_EQUAL(am(t.w, 0, "attack.forgery.injected"), 45);
        CU_ASSERT_EQUAL(am(t.w, 0, "attack.forgery.accepted"), 0);
        CU_ASSERT_EQUAL(am(t.w, 0, "attack.forgery.rejected"), 45);
        if (am(t.w, 0, "attack.forgery.accepted") != 0)
            fprintf(stderr, "%s: forgeries accepted %g\n", protos[i],
                    am(t.w, 0, "attack.forgery.accepted"));
        tw_free(&t);
    }
}

/* Replay: replay windows (replay_window, a kmsim extension) are on for
 * every protocol under `defences: hardened` (Dini: per (receiver, key,
 * sender); Di Pietro, netkey, pairwise: per (receiver, sender); E–G: per
 * link end) and every replayed data message and publish is refused; as
 * published no protocol has one and replayed data are accepted everywhere
 * (a finding the README reports: a change here must update it).  An
 * explicit replay_window overrides the profile. */
static void test_replay(void)
{
    static const struct {
        const char *defences, *opt;
        int windowed;
    } prof[] = {
        {"as_published", "", 0},
        {"hardened", "", 1},
        {"hardened", ", replay_window: false", 0},
        {"as_published", ", replay_window: true", 1},
    };

    for (size_t k = 0; k < ARRAY_LEN(prof) * ARRAY_LEN(protos); k++) {
        size_t i = k % ARRAY_LEN(protos), j = k / ARRAY_LEN(protos);
        int windowed = prof[j].windowed;
        char proto[256];
        tworld t;
        double data;

        snprintf(proto, sizeof proto, "%s%s", protos[i], prof[j].opt);
        CU_ASSERT_FATAL(awd(&t, proto, "30s",
                            "{type: replay, count: 30, rate: 2/s, at: 12s}",
                            7, prof[j].defences) == 0);
        tw_run_all(&t);
        CU_ASSERT_EQUAL(am(t.w, 0, "attack.replay.injected"), 30);
        CU_ASSERT_EQUAL(am(t.w, 0, "attack.replay.accepted") +
                            am(t.w, 0, "attack.replay.rejected") +
                            am(t.w, 0, "attack.replay.lost"),
                        30);
        CU_ASSERT_FATAL(am_has(t.w, 0, "attack.replay.data.accepted"));
        data = am(t.w, 0, "attack.replay.data.accepted");
        if (windowed) {
            CU_ASSERT_EQUAL(data, 0);
            CU_ASSERT(am(t.w, 0, "attack.replay.data.rejected") > 0);
            if (am_has(t.w, 0, "attack.replay.publish.accepted"))
                CU_ASSERT_EQUAL(am(t.w, 0, "attack.replay.publish.accepted"),
                                0);
        } else {
            CU_ASSERT(data > 0);
        }
        tw_free(&t);
    }
}

/* Capture reactions (capture_reaction): as published only E–G reacts to a
 * detected capture (its revocation is the paper's; seed 001 §5.3: neither
 * Dini nor Di Pietro revokes an insider; the baselines' reactions are
 * kmsim's), hardened every protocol does; an explicit option wins. */
static void test_capture_reaction_defences(void)
{
    static const struct {
        const char *defences, *opt;
        int react[5];           /* per protos[] */
    } prof[] = {
        {"as_published", "", {0, 0, 1, 0, 0}},
        {"hardened", "", {1, 1, 1, 1, 1}},
        {"hardened", ", capture_reaction: false", {0, 0, 0, 0, 0}},
        {"as_published", ", capture_reaction: true", {1, 1, 1, 1, 1}},
    };

    for (size_t k = 0; k < ARRAY_LEN(prof) * ARRAY_LEN(protos); k++) {
        size_t i = k % ARRAY_LEN(protos), j = k / ARRAY_LEN(protos);
        char proto[256];
        tworld t;
        double told;

        snprintf(proto, sizeof proto, "%s%s", protos[i], prof[j].opt);
        CU_ASSERT_FATAL(awd(&t, proto, "30s",
                            "{type: node_capture, nodes: [3], at: 10s, "
                            "detection: 2s}",
                            9, prof[j].defences) == 0);
        tw_run_all(&t);
        told = am(t.w, 0, "attack.node_capture.reaction.told");
        if (prof[j].react[i]) {
            CU_ASSERT(told > 0);
        } else {
            CU_ASSERT_EQUAL(told, 0);
        }
        if ((told > 0) != prof[j].react[i])
            fprintf(stderr, "capture reaction: %s under %s: told %g\n",
                    proto, prof[j].defences, told);
        tw_free(&t);
    }
}

/* Di Pietro: the SEEDS of registration, replayed sessions later, are
 * refused (they would roll a member back to an old chain), as is every
 * replayed updateSession and answer. */
static void test_replay_seeds(void)
{
    tworld t;

    CU_ASSERT_FATAL(aw(&t, "name: dipietro, rekey_every: 3s", "30s",
                       "{type: replay, count: 40, rate: 2/s, at: 0s}",
                       11) == 0);
    tw_run_all(&t);
    CU_ASSERT(tw_met(t.w, "dipietro.rounds") >= 5);
    CU_ASSERT_FATAL(am_has(t.w, 0, "attack.replay.control.1.rejected"));
    CU_ASSERT(am(t.w, 0, "attack.replay.control.1.rejected") >= 3);
    CU_ASSERT_EQUAL(am(t.w, 0, "attack.replay.control.1.accepted"), 0);
    for (int type = 2; type <= 4; type++) {
        char n[64];
        snprintf(n, sizeof n, "attack.replay.control.%d.accepted", type);
        if (am_has(t.w, 0, n))
            CU_ASSERT_EQUAL(am(t.w, 0, n), 0);
    }
    tw_free(&t);
}

/* ---- flooding against M/M/1 ---- */

static void test_flooding(void)
{
    tworld t;
    char ent[] = "attack:0:so:0";
    ana_metrics *m;
    double W, Wth, base;

    CU_ASSERT_FATAL(tw_build(&t, 8, "2h", "name: none", "OSS",
                             "{a: 0, b: 1}, {a: 0, b: 2}",
                             "interval: 'exp(2s)', size: 32B",
                             "warmup: 1min\n"
                             "attackers: [{type: flooding, rate: 6/s}]\n") ==
                    0);
    tw_run_all(&t);
    m = sim_world_metrics(t.w);
    W = ana_metric_get(m, ana_metric_find(m, "attack.flooding.W", ent));
    Wth = ana_metric_get(m, ana_metric_find(m, "attack.flooding.W.theory",
                                            ent));
    base = ana_metric_get(m, ana_metric_find(
                                 m, "attack.flooding.W.theory.base", ent));
    /* service exp(10 ms): lambda 1 -> 7 /s, W 11.1 ms -> 10.75... */
    CU_ASSERT_DOUBLE_EQUAL(Wth, 1.0 / (100.0 - 7.0), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(base, 1.0 / (100.0 - 1.0), 1e-9);
    CU_ASSERT(fabs(W - Wth) / Wth < 0.08);
    CU_ASSERT(am(t.w, 0, "attack.flooding.injected") > 40000);
    tw_free(&t);
}

/* ---- errors and determinism ---- */

static void test_bad_targets(void)
{
    char err[512];
    const char *y =
        "name: t\nduration: 10s\nprotocol: {name: none}\n"
        "topology: {generator: explicit, nodes: [{id: 0, role: "
        "smart_object}, {id: 1, role: source}], links: [{a: 0, b: 1}]}\n"
        "\nattackers:\n  - {type: flooding, nodes: [1]}\n";
    scenario *sc = scn_load_buffer("bad.yaml", y, strlen(y), NULL, 0, err,
                                   sizeof err);
    sim_world *w;

    CU_ASSERT_FATAL(sc != NULL);
    w = sim_world_new(sc, 1, err, sizeof err);
    CU_ASSERT(w == NULL);
    CU_ASSERT(strstr(err, "bad.yaml:7:5: attackers[0]") == err);
    CU_ASSERT(strstr(err, "not a smart object") != NULL);
    sim_world_free(w);
    scn_free(sc);
}

static void test_deterministic(void)
{
    const char *atks = "{type: eavesdropper, links: all}, "
                       "{type: node_capture, count: 1, at: 8s}, "
                       "{type: tampering, count: 10, at: 5s}";
    unsigned char f1[32], f2[32];
    tworld t;

    CU_ASSERT_FATAL(aw(&t, "name: dipietro", "20s", atks, 9) == 0);
    tw_run_all(&t);
    sim_world_fingerprint(t.w, f1);
    tw_free(&t);
    CU_ASSERT_FATAL(aw(&t, "name: dipietro", "20s", atks, 9) == 0);
    tw_run_all(&t);
    sim_world_fingerprint(t.w, f2);
    tw_free(&t);
    CU_ASSERT_EQUAL(memcmp(f1, f2, 32), 0);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("attack", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    CUTEST_ADD(s, test_kb);
    CUTEST_ADD(s, test_mm1k);
    CUTEST_ADD(s, test_eavesdrop_clear);
    CUTEST_ADD(s, test_eavesdrop_capture_netkey);
    CUTEST_ADD(s, test_capture_pairwise);
    CUTEST_ADD(s, test_seed_sniffing);
    CUTEST_ADD(s, test_tampering);
    CUTEST_ADD(s, test_forgery);
    CUTEST_ADD(s, test_replay);
    CUTEST_ADD(s, test_capture_reaction_defences);
    CUTEST_ADD(s, test_seed_sniffing_defences);
    CUTEST_ADD(s, test_dini_keys_defences);
    CUTEST_ADD(s, test_replay_seeds);
    CUTEST_ADD(s, test_flooding);
    CUTEST_ADD(s, test_bad_targets);
    CUTEST_ADD(s, test_deterministic);
    return 0;
}

CUTEST_MAIN(register_tests)
