/* test_attack.c — the adversary (sim/attack/): the knowledge base, and
 * each attacker model in tiny explicit worlds acting on the real bytes:
 * the eavesdropper reads nothing sealed without keys and everything after
 * a capture (recorded traffic too), tampered, forged and replayed messages
 * are refused per protocol, seed sniffing breaks Di Pietro with clear
 * seeds and not with sealed ones, a network-wide key is fully exposed by
 * one capture and pairwise keys only on the captured node's links, the
 * flood's queueing against M/M/1, errors, and determinism; knowledge:
 * separate attackers' rows show their own base only, a coalition's share
 * one. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tworld.h"
#include "cry.h"
#include "cry_key.h"
#include "kb.h"
#include "attack.h"
#include "qtheory.h"
#include "util.h"
#include "proto.h"
#include "wire.h"
#include "dini.h"
#include "eg.h"

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

/* Value of the run-wide metric `name` (no entity). */
static double met(sim_world *w, const char *name)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, "");
    if (id < 0) {
        fprintf(stderr, "no metric %s\n", name);
        CU_FAIL("metric missing");
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
    CU_ASSERT(cry_is_zero(out + 8, 24));
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_MATERIAL), 1);
    CU_ASSERT_EQUAL(atk_kb_count_kind(kb, ATK_KEY), 2);
    CU_ASSERT(!atk_kb_holds(kb, 7, ks, k1));   /* material is no key */
    cry_wipe(v, sizeof v);
    cry_wipe(out, sizeof out);
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
 * (in the eavesdropper's coalition) everything does, the traffic recorded
 * before it included (read late), and every link is exposed. */
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
                       "{type: eavesdropper, links: all, "
                       "knowledge: coalition}, "
                       "{type: node_capture, nodes: [3], at: 15s, "
                       "knowledge: coalition}",
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

/* Pairwise keys: a capture exposes only the captured node's links (read by
 * the eavesdropper of its coalition). */
static void test_capture_pairwise(void)
{
    tworld t;

    CU_ASSERT_FATAL(aw(&t, "name: pairwise", "30s",
                       "{type: eavesdropper, links: all, "
                       "knowledge: coalition}, "
                       "{type: node_capture, nodes: [3], at: 10s, "
                       "knowledge: coalition}",
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

/* ---- knowledge: separate or coalition ---- */

/* Network key, an eavesdropper and a capture detected after 5 s (the
 * authority re-keys without the captured node), both separate, then both
 * in one coalition.  Separate: the eavesdropper reads nothing sealed, the
 * capture enables no read, and once the reaction has replaced the key the
 * capture's own base reads only what was sealed while the re-key ran.
 * Coalition: the eavesdropper reads with the captured key and learns every
 * replacement from the REKEYs sealed under it, so the capture's row shows
 * the traffic readable after the reaction as well. */
static void test_knowledge_capture_netkey(void)
{
    static const char *const know[] = {"separate", "coalition"};
    double seen[2], read[2], after[2], before[2], enabled[2];

    for (int k = 0; k < 2; k++) {
        tworld t;
        char atks[256];
        snprintf(atks, sizeof atks,
                 "{type: eavesdropper, links: all, knowledge: %s}, "
                 "{type: node_capture, nodes: [3], at: 10s, "
                 "detection: 5s, knowledge: %s}", know[k], know[k]);
        CU_ASSERT_FATAL(aw(&t, "name: netkey, capture_reaction: true", "40s",
                           atks, 6) == 0);
        tw_run_all(&t);
        seen[k] = am(t.w, 0, "attack.eavesdropper.payload.seen");
        read[k] = am(t.w, 0, "attack.eavesdropper.payload.read");
        before[k] = am(t.w, 1, "attack.node_capture.traffic.readable.before");
        after[k] = am(t.w, 1, "attack.node_capture.traffic.readable.after");
        enabled[k] = am(t.w, 1, "attack.node_capture.enabled.reads");
        CU_ASSERT(am(t.w, 1, "attack.node_capture.keys.learned") >= 1);
        CU_ASSERT(am(t.w, 1, "attack.node_capture.traffic.after") > 20);
        tw_free(&t);
    }
    CU_ASSERT(seen[0] > 50);
    CU_ASSERT_EQUAL(read[0], 0);
    CU_ASSERT_EQUAL(enabled[0], 0);
    CU_ASSERT_EQUAL(before[0], 1.0);
    CU_ASSERT(after[0] < 0.5);    /* the data sent while the re-key ran */
    CU_ASSERT_EQUAL(read[1], seen[1]);
    CU_ASSERT(enabled[1] >= read[1]);
    CU_ASSERT_EQUAL(before[1], 1.0);
    CU_ASSERT_EQUAL(after[1], 1.0);
}

/* The row that showed another attacker's knowledge: a global key leak
 * (netkey: the network key) before a capture.  In a coalition the key is
 * the leak's, so the capture learns 0 keys, and its traffic readable is
 * the leak's key at work; separate, each learns the key itself (and the
 * base totals count it twice). */
static void test_knowledge_leak_then_capture(void)
{
    static const char *const know[] = {"separate", "coalition"};
    double learned[2], leak_learned[2], before[2], total[2];

    for (int k = 0; k < 2; k++) {
        tworld t;
        char atks[256];
        snprintf(atks, sizeof atks,
                 "{type: global_key_leak, at: 5s, knowledge: %s}, "
                 "{type: node_capture, nodes: [2], at: 10s, knowledge: %s}",
                 know[k], know[k]);
        CU_ASSERT_FATAL(aw(&t, "name: netkey", "20s", atks, 7) == 0);
        tw_run_all(&t);
        leak_learned[k] = am(t.w, 0, "attack.global_key_leak.keys.learned");
        learned[k] = am(t.w, 1, "attack.node_capture.keys.learned");
        before[k] = am(t.w, 1, "attack.node_capture.traffic.readable.before");
        total[k] = ana_metric_get(
            sim_world_metrics(t.w),
            ana_metric_find(sim_world_metrics(t.w), "attack.all.kb.keys",
                            "attack:all"));
        tw_free(&t);
    }
    CU_ASSERT_EQUAL(leak_learned[0], 1);
    CU_ASSERT_EQUAL(leak_learned[1], 1);
    CU_ASSERT_EQUAL(learned[0], 1);
    CU_ASSERT_EQUAL(learned[1], 0);
    CU_ASSERT_EQUAL(before[0], 1.0);
    CU_ASSERT_EQUAL(before[1], 1.0);
    CU_ASSERT_EQUAL(total[0], 2);
    CU_ASSERT_EQUAL(total[1], 1);
}

/* A separate eavesdropper beside a leak reads nothing sealed; one in the
 * leak's coalition reads everything after the leak.  The knowledge value
 * is checked (file:line:column). */
static void test_knowledge_eavesdropper(void)
{
    static const char *const know[] = {"separate", "coalition"};
    double read[2], seen[2];
    char err[512];
    tworld t;

    for (int k = 0; k < 2; k++) {
        char atks[256];
        snprintf(atks, sizeof atks,
                 "{type: eavesdropper, links: all, knowledge: %s}, "
                 "{type: global_key_leak, at: 0s, knowledge: %s}",
                 know[k], know[k]);
        CU_ASSERT_FATAL(aw(&t, "name: netkey", "20s", atks, 8) == 0);
        tw_run_all(&t);
        seen[k] = am(t.w, 0, "attack.eavesdropper.payload.seen");
        read[k] = am(t.w, 0, "attack.eavesdropper.payload.read");
        tw_free(&t);
    }
    CU_ASSERT(seen[0] > 30);
    CU_ASSERT_EQUAL(read[0], 0);
    CU_ASSERT_EQUAL(read[1], seen[1]);
    {
        const char *y =
            "name: t\nduration: 10s\nprotocol: {name: none}\n"
            "topology: {generator: explicit, nodes: [{id: 0, role: "
            "smart_object}, {id: 1, role: source}], links: [{a: 0, b: 1}]}\n"
            "attackers:\n  - {type: eavesdropper, knowledge: shared}\n";
        scenario *sc = scn_load_buffer("bad.yaml", y, strlen(y), NULL, 0,
                                       err, sizeof err);
        CU_ASSERT(sc == NULL);
        CU_ASSERT(strstr(err, "bad.yaml:6:37: invalid value") == err);
        CU_ASSERT(strstr(err, "knowledge") != NULL);
        scn_free(sc);
    }
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

/* ---- well-formed forgeries (atk_hooks.h forge, issue 19) ---- */

/* The adversary interface of t's protocol (proto.h sim_proto_atk). */
static const atk_proto_hooks *hooks_of(const tworld *t)
{
    return sim_proto_atk(t->sc->proto);
}

/* The SO (node 0) handles packet p as it would on arrival (unprotect):
 * 0 accepted, -1 refused.  p is freed. */
static int so_accepts(tworld *t, sim_pkt *p)
{
    int rc = t->sc->proto->unprotect(t->w, sim_world_proto_state(t->w), 0,
                                     p);
    sim_pkt_free(t->w, p);
    return rc;
}

/* Insider node `me`'s knowledge (a capture of its node) and, built by the
 * protocol's hook, data sent by `sender` claiming `src` for SO 0 sealed
 * with the newest entry of label `label`; NULL if the hook refuses. */
static sim_pkt *forge_as(tworld *t, atk_kb *kb, uint32_t sender,
                         uint32_t src, uint64_t label)
{
    atk_forge_req rq = {ATK_FORGE_DATA, sender, src, 0, 77, 32, ATK_NONE};

    for (size_t i = atk_kb_find(kb, ATK_KEY, label); i != ATK_NONE;
         i = atk_kb_next(kb, i))
        rq.key = i;
    if (rq.key == ATK_NONE)
        return NULL;
    return hooks_of(t)->atk_forge(t->w, sim_world_proto_state(t->w), kb,
                                  &rq);
}

/* Dini as published (and with per_hop_mac): nothing binds a channel key to
 * its source, so the SO opens data claiming any source under the key the
 * header names.  Source 3 (channel 3-1-0) forges source 2's data under its
 * own channel key, and relay 1 forges source 3's data under the channel
 * it relays: both accepted.  What is refused: a key the SO does not hold
 * (a made-up one) and, with per_hop_mac, the same data without the MAC
 * (the form the insider used to send: refused at the first channel
 * node, never reaching the SO). */
#define DINI_RADIO "name: dini, findglobalkey: radio, pool: 4, ring: 4"
static void test_insider_dini(void)
{
    for (int mac = 0; mac < 2; mac++) {
        tworld t;
        atk_kb *kb = atk_kb_new(3, 5);
        uint64_t ch3;
        sim_pkt *p;

        CU_ASSERT_FATAL(kb != NULL);
        CU_ASSERT_FATAL(aw(&t, mac ? DINI_RADIO ", per_hop_mac: true"
                                   : DINI_RADIO, "30s",
                           "{type: eavesdropper, links: all, at: 29s}",
                           5) == 0);
        sim_world_run(t.w, 10 * SIM_S, 0);
        ch3 = dini_channel_key(t.w, 3);
        CU_ASSERT_FATAL(dini_channel_state(t.w, 3) == DINI_CH_READY);
        CU_ASSERT_FATAL(dini_holds(t.w, 1, ch3));   /* 1 relays it */
        CU_ASSERT_FATAL(!dini_holds(t.w, 2, ch3));
        hooks_of(&t)->atk_capture(t.w, sim_world_proto_state(t.w), 3, kb);
        /* source impersonation: 3 claims 2 under its own channel key */
        p = forge_as(&t, kb, 3, 2, ch3);
        CU_ASSERT_FATAL(p != NULL);
        CU_ASSERT_EQUAL(sim_pkt_src(p), 2);
        CU_ASSERT_EQUAL(!!(sim_pkt_flags(p) & SIM_F_CTL_SEALED), mac);
        CU_ASSERT_EQUAL(so_accepts(&t, p), 0);
        if (mac) {
            /* the same data with an unsealed control part: the first
             * channel node (1) refuses it */
            p = forge_as(&t, kb, 3, 2, ch3);
            CU_ASSERT_FATAL(p != NULL);
            p->buf[1] &= (unsigned char)~SIM_F_CTL_SEALED;
            sim_put32(p->buf + 48, 0);
            memmove(p->buf + SIM_HDR_BYTES, p->buf + SIM_HDR_BYTES +
                    CRY_TAG_BYTES, sim_pkt_data_len(p));
            p->len -= CRY_TAG_BYTES;
            CU_ASSERT_EQUAL(t.sc->proto->forward(
                                t.w, sim_world_proto_state(t.w), 1, p), -1);
            sim_pkt_free(t.w, p);
        }
        /* a relay: node 1 forges its channel's source 3 */
        hooks_of(&t)->atk_capture(t.w, sim_world_proto_state(t.w), 1, kb);
        p = forge_as(&t, kb, 1, 3, ch3);
        CU_ASSERT_FATAL(p != NULL);
        CU_ASSERT_EQUAL(so_accepts(&t, p), 0);
        /* a key the SO does not hold: refused */
        {
            cry_key mk = cry_key_generate(atk_kb_store(kb), 99, 1, NULL);
            size_t e = atk_kb_add_own(kb, ATK_KEY, 0x4242, 0, mk);
            atk_forge_req rq = {ATK_FORGE_DATA, 3, 2, 0, 78, 32, e};
            p = hooks_of(&t)->atk_forge(t.w, sim_world_proto_state(t.w), kb,
                                        &rq);
            CU_ASSERT_FATAL(p != NULL);
            CU_ASSERT_EQUAL(so_accepts(&t, p), -1);
        }
        atk_kb_free(kb);
        tw_free(&t);
    }
}

/* source_binding (a kmsim extension, defences: hardened): the SO accepts
 * data claiming source X only under a channel key whose path, as it
 * recorded it, includes X.  The same world as test_insider_dini: source 3
 * claiming source 2 under its own channel key is now refused (2 is not on
 * channel 3-1-0), while relay 1 forging its channel's source 3 is still
 * accepted (both are on that path: what binding cannot tell apart), and
 * so is 3's own data. */
static void test_insider_dini_bound(void)
{
    tworld t;
    atk_kb *kb = atk_kb_new(3, 5);
    uint64_t ch3;
    sim_pkt *p;
    double unbound;

    CU_ASSERT_FATAL(kb != NULL);
    CU_ASSERT_FATAL(aw(&t, DINI_RADIO ", source_binding: true", "30s",
                       "{type: eavesdropper, links: all, at: 29s}", 5) == 0);
    sim_world_run(t.w, 10 * SIM_S, 0);
    ch3 = dini_channel_key(t.w, 3);
    CU_ASSERT_FATAL(dini_channel_state(t.w, 3) == DINI_CH_READY);
    hooks_of(&t)->atk_capture(t.w, sim_world_proto_state(t.w), 3, kb);
    unbound = met(t.w, "dini.data.unbound");
    p = forge_as(&t, kb, 3, 2, ch3);             /* 3 claims 2: refused */
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(so_accepts(&t, p), -1);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.unbound"), unbound + 1, 0);
    p = forge_as(&t, kb, 3, 3, ch3);             /* its own: accepted */
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(so_accepts(&t, p), 0);
    hooks_of(&t)->atk_capture(t.w, sim_world_proto_state(t.w), 1, kb);
    p = forge_as(&t, kb, 1, 3, ch3);             /* relay claims 3: on path */
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(so_accepts(&t, p), 0);
    tw_run_all(&t);
    CU_ASSERT(met(t.w, "dini.data.opened") > 0);
    CU_ASSERT_DOUBLE_EQUAL(met(t.w, "dini.data.unbound"), unbound + 1, 0);
    atk_kb_free(kb);
    tw_free(&t);
}

/* E-G keys links, not sources: insider 1 seals data claiming source 2
 * under its own sending key to the SO, hop sender 1 (as E-G's sealed_send
 * writes it), and the SO accepts it.  The hop-sender field decides the
 * key: the same message with the hop sender left at the claimed source
 * (as the insider used to send it) is refused, and a key for another
 * hop than the sender's is not used at all. */
static void test_insider_eg(void)
{
    tworld t;
    atk_kb *kb = atk_kb_new(3, 5);
    sim_pkt *p;

    CU_ASSERT_FATAL(kb != NULL);
    CU_ASSERT_FATAL(aw(&t, "name: eg, pool: 40, ring: 20", "30s",
                       "{type: eavesdropper, links: all, at: 29s}", 5) == 0);
    sim_world_run(t.w, 10 * SIM_S, 0);
    hooks_of(&t)->atk_capture(t.w, sim_world_proto_state(t.w), 1, kb);
    p = forge_as(&t, kb, 1, 2, EG_ATK_DIR(1, 0));
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(sim_pkt_hop_from(p), 1);
    CU_ASSERT_EQUAL(so_accepts(&t, p), 0);
    p = forge_as(&t, kb, 1, 2, EG_ATK_DIR(1, 0));
    CU_ASSERT_FATAL(p != NULL);
    sim_put32(p->buf + 28, 2);              /* hop sender: the victim */
    CU_ASSERT_EQUAL(so_accepts(&t, p), -1);
    CU_ASSERT(forge_as(&t, kb, 3, 2, EG_ATK_DIR(1, 0)) == NULL);
    atk_kb_free(kb);
    tw_free(&t);
}

/* The insider model per protocol (source 3 behind relay 1 turns insider
 * at 10 s): well-formed forgeries built by each protocol's hook.  Dini,
 * Di Pietro, E-G and netkey accept some (a shared or unbound key); with
 * pairwise keys an insider holds no key of another source with the SO,
 * and sends nothing.  The same holds with per_hop_mac (Dini used to
 * refuse every insider packet there: an unsealed control part). */
static void test_insider(void)
{
    static const int accepts[] = {1, 1, 1, 1, 0};

    for (size_t i = 0; i < 2 * ARRAY_LEN(protos); i++) {
        tworld t;
        char proto[128];
        size_t j = i % ARRAY_LEN(protos);
        double inj, acc;

        if (i >= ARRAY_LEN(protos) && strstr(protos[j], "name: eg"))
            continue;
        snprintf(proto, sizeof proto, "%s%s", protos[j],
                 i >= ARRAY_LEN(protos) ? ", per_hop_mac: true" : "");
        CU_ASSERT_FATAL(aw(&t, proto, "40s",
                           "{type: insider, nodes: [3], at: 10s, rate: 2/s}",
                           5) == 0);
        tw_run_all(&t);
        inj = am(t.w, 0, "attack.insider.injected");
        acc = am(t.w, 0, "attack.insider.accepted");
        if (accepts[j]) {
            CU_ASSERT(inj > 20);
            CU_ASSERT(acc > 0);
            CU_ASSERT(am(t.w, 0, "attack.insider.data.accepted") > 0);
        } else {
            CU_ASSERT_EQUAL(inj, 0);
            CU_ASSERT_EQUAL(acc, 0);
            CU_ASSERT(am(t.w, 0, "attack.insider.skipped") > 20);
        }
        if ((acc > 0) != accepts[j])
            fprintf(stderr, "%s: insider accepted %g of %g\n", proto, acc,
                    inj);
        tw_free(&t);
    }
}

/* Forgery with a compromised key: after relay 1 is captured (8 s), every
 * other forgery is data built by the protocol with a key the coalition
 * holds, sent from the SO's neighbour; every protocol accepts some (the
 * captured node's own data at least: pairwise, E-G), none accepts a
 * made-up key. */
static void test_forgery_stolen(void)
{
    for (size_t i = 0; i < ARRAY_LEN(protos); i++) {
        tworld t;
        double st, sa, mu;

        CU_ASSERT_FATAL(aw(&t, protos[i], "30s",
                           "{type: node_capture, nodes: [1], at: 8s, "
                           "knowledge: coalition}, "
                           "{type: forgery, count: 40, rate: 4/s, at: 12s, "
                           "knowledge: coalition}",
                           6) == 0);
        tw_run_all(&t);
        st = am(t.w, 1, "attack.forgery.injected.stolen_key");
        sa = am(t.w, 1, "attack.forgery.accepted.stolen_key");
        mu = am(t.w, 1, "attack.forgery.injected.made_up_key");
        CU_ASSERT_EQUAL(st + mu, 40);
        CU_ASSERT(st > 0);
        CU_ASSERT(sa > 0);
        CU_ASSERT(sa <= st);
        CU_ASSERT_EQUAL(am(t.w, 1, "attack.forgery.accepted.made_up_key"), 0);
        CU_ASSERT_EQUAL(am(t.w, 1, "attack.forgery.accepted"), sa);
        if (!(sa > 0))
            fprintf(stderr, "%s: stolen-key forgeries accepted %g of %g\n",
                    protos[i], sa, st);
        tw_free(&t);
    }
}

/* Forged key management with compromised keys: after relay 1's capture
 * the forger sends, in turn, data, a REKEY "from" the SO under a held key
 * (Dini: the change message of a channel through 1, to its source;
 * netkey: the authority's REKEY of the next version) and an INVAL.  The
 * holders accept the attacker's value: the paper's replacement
 * authenticates the SO by the current key alone.  Control messages under
 * made-up keys are refused. */
static void test_forgery_rekey(void)
{
    static const struct { const char *proto; int rekey; } c[] = {
        {DINI_RADIO, 8}, {"name: netkey", 1}};

    for (size_t i = 0; i < ARRAY_LEN(c); i++) {
        tworld t;
        char n[96];
        double acc;

        CU_ASSERT_FATAL(aw(&t, c[i].proto, "40s",
                           "{type: node_capture, nodes: [1], at: 8s, "
                           "knowledge: coalition}, "
                           "{type: forgery, count: 60, rate: 4/s, at: 12s, "
                           "knowledge: coalition}",
                           6) == 0);
        tw_run_all(&t);
        snprintf(n, sizeof n, "attack.forgery.control.stolen_key.%d.accepted",
                 c[i].rekey);
        CU_ASSERT_FATAL(am_has(t.w, 1, n));
        acc = am(t.w, 1, n);
        CU_ASSERT(acc > 0);
        if (!(acc > 0))
            fprintf(stderr, "%s: forged REKEY accepted %g\n", c[i].proto,
                    acc);
        CU_ASSERT_EQUAL(am(t.w, 1, "attack.forgery.accepted.made_up_key"), 0);
        tw_free(&t);
    }
}

/* Forgery with stolen keys of Di Pietro, pairwise and E–G's key
 * management (their atk_forge builds updateSession, REKEY and REVOKE as
 * the protocols do): node 1 captured, its keys shared with the forger.
 * Di Pietro: an updateSession under the session key the attacker derives
 * is accepted by a member at that session (it only ever advances one
 * step: the command carries no key, the session must be the next one);
 * under a session the member has left it is a repeat, refused; with
 * sealed seeds a SEEDS under source 1's device key puts source 1 alone
 * on the attacker's chain at the attacker's session (then a repeat),
 * and is refused by every other node.  pairwise:
 * a REKEY under node 1's own pair key with SO 0 is installed by node 1,
 * one under a replaced version refused; no other pair is reachable, and
 * once SO 0's rounds have replaced the captured values nothing passes.  E–G:
 * a REVOKE under node 1's device key is taken by node 1 alone and refused
 * by every other node it is sent to.  Both sides are asserted. */
static void test_forgery_ctl_stolen(void)
{
    static const struct {
        const char *proto, *detection;
        int type, accepts;
    } c[] = {
        {"name: dipietro, rekey_every: 5s", "", 3, 1},
        /* sealed seeds: a re-seed (SEEDS) under source 1's device key */
        {"name: dipietro, rekey_every: 5s, seeds: sealed", "", 1, 1},
        {"name: pairwise", "", 1, 1},
        /* replaced at 10 s, 15 s...: the captured values (version 1 at
         * 8 s) are stale when the forgery starts, every REKEY refused */
        {"name: pairwise, rekey_every: 5s", "", 1, 0},
        {"name: eg, pool: 40, ring: 20", ", detection: 2s", 5, 1},
    };

    for (size_t i = 0; i < ARRAY_LEN(c); i++) {
        tworld t;
        char cap[160], n[96];
        double acc, rej;

        snprintf(cap, sizeof cap,
                 "{type: node_capture, nodes: [1], at: 8s, "
                 "knowledge: coalition%s}, "
                 "{type: forgery, count: 90, rate: 4/s, at: 12s, "
                 "knowledge: coalition}",
                 c[i].detection);
        CU_ASSERT_FATAL(awd(&t, c[i].proto, "40s", cap, 6, "as_published") ==
                        0);
        tw_run_all(&t);
        snprintf(n, sizeof n, "attack.forgery.control.stolen_key.%d.accepted",
                 c[i].type);
        CU_ASSERT_FATAL(am_has(t.w, 1, n));
        acc = am(t.w, 1, n);
        snprintf(n, sizeof n, "attack.forgery.control.stolen_key.%d.rejected",
                 c[i].type);
        CU_ASSERT_FATAL(am_has(t.w, 1, n));
        rej = am(t.w, 1, n);
        fprintf(stderr, "%s: forged control %d accepted %g rejected %g\n",
                c[i].proto, c[i].type, acc, rej);
        if (c[i].accepts) {
            CU_ASSERT(acc > 0);
        } else {
            CU_ASSERT_EQUAL(acc, 0);
        }
        CU_ASSERT(rej > 0);
        CU_ASSERT_EQUAL(am(t.w, 1, "attack.forgery.accepted.made_up_key"), 0);
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
    w = sim_world_new(sc, 1, err, sizeof err);   /* the world is fine */
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(atk_attach(w, sim_proto_atk(sc->proto), err, sizeof err),
                    -1);
    CU_ASSERT(strstr(err, "bad.yaml:7:5: attackers[0]") == err);
    CU_ASSERT(strstr(err, "not a smart object") != NULL);
    CU_ASSERT_PTR_NULL(atk_run_of(w));
    sim_world_free(w);
    scn_free(sc);
}

/* ---- wiring: the attackers are the world's observer ---- */

typedef struct run_arg {
    sim_world *w;
    sim_time until;
} run_arg;

static void run_world(void *arg)
{
    run_arg *a = arg;
    sim_world_run(a->w, a->until, 0);
}

/* Runs w in a child (stderr into err, NUL-terminated); its wait status. */
static int run_in_child(sim_world *w, sim_time until, char *err, size_t len)
{
    run_arg a = {w, until};
    return cutest_in_child(run_world, &a, err, len);
}

/* An observer that only counts the outcomes reported to it. */
static void count_outcome(void *ctx, uint32_t who, uint32_t cls,
                          int accepted, int moved)
{
    (void)who, (void)cls, (void)accepted, (void)moved;
    ++*(unsigned *)ctx;
}

static void count_free(void *ctx) { (void)ctx; }

static const sim_world_obs count_obs = {
    .outcome = count_outcome,
    .free = count_free,
};

/* The registry maps each built-in protocol to its adversary interface
 * (sim_proto_atk): `none` and a vtable that is not a built-in one have
 * none. */
static void test_proto_atk(void)
{
    static const scn_proto_ops mine = {.name = "mine"};

    CU_ASSERT_PTR_EQUAL(sim_proto_atk(&sim_proto_dini), &sim_atk_dini);
    CU_ASSERT_PTR_EQUAL(sim_proto_atk(&sim_proto_dipietro),
                        &sim_atk_dipietro);
    CU_ASSERT_PTR_EQUAL(sim_proto_atk(&sim_proto_eg), &sim_atk_eg);
    CU_ASSERT_PTR_EQUAL(sim_proto_atk(&sim_proto_netkey), &sim_atk_netkey);
    CU_ASSERT_PTR_EQUAL(sim_proto_atk(&sim_proto_pairwise),
                        &sim_atk_pairwise);
    CU_ASSERT_PTR_NULL(sim_proto_atk(&sim_proto_none));
    CU_ASSERT_PTR_NULL(sim_proto_atk(&mine));
    CU_ASSERT_PTR_EQUAL(sim_proto_atk(sim_proto_find("eg")), &sim_atk_eg);
}

/* The world knows the attackers only as the observer atk_attach wires in
 * (world.h sim_world_obs): a world of an attacker scenario built alone
 * has none, and running it aborts (the safety net, so a caller that
 * forgets atk_attach cannot pass with no attackers); wired in once (a
 * second call is refused, the world intact), the replayer's injections
 * reach their nodes and the world reports each outcome, which the
 * report shows; without attackers atk_attach is a no-op.  A world that
 * cannot take an observer (another one attached) is refused before
 * anything is built: it then runs event for event as its twin never
 * asked, no injection, no outcome.  A split world refuses attackers with
 * the message --threads has always given, whatever the order of the
 * calls, and a world that has run refuses any observer. */
static void test_observer(void)
{
    char yaml[4096], nodes[512], err[1024];
    unsigned char f1[32], f2[32];
    unsigned o1 = 0, o2 = 0;
    scenario *sc, *plain;
    sim_world *w, *w2;
    double inj, acc, rej;
    int st, n;

    n = snprintf(yaml, sizeof yaml,
                 "name: t\nseed: 3\nduration: 30s\n"
                 "protocol: {name: netkey}\n"
                 "topology:\n  generator: explicit\n"
                 "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
                 "  nodes: [%s]\n  links: [%s]\n"
                 "traffic: {%s}\nsmart_object: {service: 'exp(10ms)'}\n%s"
                 "attackers: [{type: replay, count: 20, rate: 2/s, "
                 "at: 10s}]\n",
                 tw_nodes(nodes, sizeof nodes, ROLES), LINKS, TRAFFIC, SUBS);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof yaml);
    sc = scn_load_buffer("obs.yaml", yaml, strlen(yaml), NULL, 0, err,
                         sizeof err);
    CU_ASSERT_FATAL(sc != NULL);

    /* Built alone: no observer, and a run aborts before any event. */
    w = sim_world_new(sc, sc->seed, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_PTR_NULL(atk_run_of(w));
    st = run_in_child(w, sc->duration, err, sizeof err);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "with 1 attacker runs without "
                                       "them"));
    CU_ASSERT_EQUAL(sim_world_events(w), 0);

    /* Wired in: once. */
    CU_ASSERT_EQUAL_FATAL(atk_attach(w, &sim_atk_netkey, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(atk_run_of(w));
    CU_ASSERT_EQUAL(atk_attach(w, &sim_atk_netkey, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "the attackers are already attached");
    st = run_in_child(w, 1 * SIM_S, err, sizeof err);   /* runs now */
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    sim_world_run(w, sc->duration + TW_DRAIN, 0);
    sim_world_finish(w);
    inj = am(w, 0, "attack.replay.injected");
    acc = am(w, 0, "attack.replay.accepted");
    rej = am(w, 0, "attack.replay.rejected");
    CU_ASSERT_EQUAL(inj, 20);
    CU_ASSERT(acc + rej > 0);        /* outcomes came through the observer */
    CU_ASSERT(acc + rej <= inj);
    sim_world_free(w);

    /* Already observed by someone else: refused before the replayer is
     * built (were its tap and actions added, they would inject into the
     * world after their owner is freed). */
    w = sim_world_new(sc, sc->seed, err, sizeof err);
    w2 = sim_world_new(sc, sc->seed, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL && w2 != NULL);
    CU_ASSERT_EQUAL_FATAL(sim_world_observe(w, &count_obs, &o1, err,
                                            sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(sim_world_observe(w2, &count_obs, &o2, err,
                                            sizeof err), 0);
    CU_ASSERT_EQUAL(sim_world_observable(w, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "the world already has an observer");
    err[0] = '\0';
    CU_ASSERT_EQUAL(atk_attach(w, &sim_atk_netkey, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "the world already has an observer");
    CU_ASSERT_PTR_NULL(atk_run_of(w));
    CU_ASSERT_EQUAL(sim_world_events(w), 0);
    sim_world_run(w, sc->duration + TW_DRAIN, 0);
    sim_world_run(w2, sc->duration + TW_DRAIN, 0);
    sim_world_finish(w);
    sim_world_finish(w2);
    CU_ASSERT(sim_world_events(w) > 0);
    CU_ASSERT_EQUAL(sim_world_events(w), sim_world_events(w2));
    sim_world_fingerprint(w, f1);
    sim_world_fingerprint(w2, f2);
    CU_ASSERT_EQUAL(memcmp(f1, f2, sizeof f1), 0);
    CU_ASSERT_EQUAL(o1, 0);          /* nothing injected: no outcome */
    CU_ASSERT_EQUAL(o2, 0);
    sim_world_free(w);
    sim_world_free(w2);

    /* A split world refuses attackers (their taps see every
     * transmission), before it is split. */
    err[0] = '\0';
    CU_ASSERT_PTR_NULL(sim_world_new_alternating(sc, sc->seed, NULL, err,
                                                 sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "--threads 2: scenarios with attackers run "
                                "on one thread only");
    scn_free(sc);

    /* No attackers: nothing wired, and the world runs. */
    *strstr(yaml, "attackers:") = '\0';
    plain = scn_load_buffer("plain.yaml", yaml, strlen(yaml), NULL, 0, err,
                            sizeof err);
    CU_ASSERT_FATAL(plain != NULL);
    w = sim_world_new(plain, plain->seed, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(atk_attach(w, &sim_atk_netkey, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(atk_run_of(w));
    sim_world_run(w, plain->duration, 0);
    sim_world_finish(w);
    CU_ASSERT(sim_world_events(w) > 0);
    CU_ASSERT(ana_metric_find(sim_world_metrics(w), "attack.replay.injected",
                              "attack:0") < 0);
    /* Run: no observer any more. */
    CU_ASSERT_EQUAL(sim_world_observe(w, &count_obs, &o1, err, sizeof err),
                    -1);
    CU_ASSERT_STRING_EQUAL(err, "an observer must be attached before the "
                                "world runs");
    sim_world_free(w);

    /* Split (no attackers, so sim_world_new splits it): no observer
     * either, even one attached after the split; atk_attach without
     * attackers stays a no-op. */
    w = sim_world_new_alternating(plain, plain->seed, NULL, err, sizeof err);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(sim_world_observable(w, err, sizeof err), -1);
    CU_ASSERT_EQUAL(sim_world_observe(w, &count_obs, &o1, err, sizeof err),
                    -1);
    CU_ASSERT_STRING_EQUAL(err, "--threads 2: scenarios with attackers run "
                                "on one thread only");
    CU_ASSERT_EQUAL(atk_attach(w, &sim_atk_netkey, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(atk_run_of(w));
    sim_world_free(w);
    scn_free(plain);
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
    CUTEST_ADD(s, test_knowledge_capture_netkey);
    CUTEST_ADD(s, test_knowledge_leak_then_capture);
    CUTEST_ADD(s, test_knowledge_eavesdropper);
    CUTEST_ADD(s, test_seed_sniffing);
    CUTEST_ADD(s, test_tampering);
    CUTEST_ADD(s, test_forgery);
    CUTEST_ADD(s, test_insider_dini);
    CUTEST_ADD(s, test_insider_dini_bound);
    CUTEST_ADD(s, test_insider_eg);
    CUTEST_ADD(s, test_insider);
    CUTEST_ADD(s, test_forgery_stolen);
    CUTEST_ADD(s, test_forgery_rekey);
    CUTEST_ADD(s, test_forgery_ctl_stolen);
    CUTEST_ADD(s, test_replay);
    CUTEST_ADD(s, test_capture_reaction_defences);
    CUTEST_ADD(s, test_seed_sniffing_defences);
    CUTEST_ADD(s, test_dini_keys_defences);
    CUTEST_ADD(s, test_replay_seeds);
    CUTEST_ADD(s, test_flooding);
    CUTEST_ADD(s, test_bad_targets);
    CUTEST_ADD(s, test_proto_atk);
    CUTEST_ADD(s, test_observer);
    CUTEST_ADD(s, test_deterministic);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
