/* test_local.c — the locality check of the test build (-DKMSIM_LOCALITY,
 * world.h): the world's actor follows the events (a node's, an
 * attacker's, none outside events), and a planted read of another node's
 * state through a protocol accessor -- pk's key store, the world's
 * per-node state, a holder-keyed protocol table (kmap) -- fails the run:
 * the child process that runs the world aborts with one line naming
 * protocol, accessor, actor, holder and time.  Named exceptions
 * (sim_world_exempt) and hand-overs (sim_world_act_as) pass; the count
 * mode (KMSIM_LOCALITY=count) prints each site once and aborts at the end
 * of the run.  A real protocol run (netkey, re-keying, a capture and its
 * detection) passes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cutest.h"
#include "tworld.h"
#include "world.h"
#include "metrics.h"
#include "pk.h"
#include "dini.h"
#include "scenario.h"
#include "cry.h"
#include "cry_key.h"
#include "proto.h"

#ifndef KMSIM_LOCALITY
#error "test_local is built with -DKMSIM_LOCALITY"
#endif

#define EV_PLANT (SIM_EV_PROTO + 40)   /* a kind no protocol uses */

/* ---- a tiny netkey world: node 0 the SO, 1 and 2 sources ---- */

static int build(tworld *t, const char *extra)
{
    return tw_build(t, 3, "2min", "name: netkey, rekey_every: 30s", "OSS",
                    "{a: 0, b: 1}, {a: 1, b: 2}",
                    "interval: 'exp(5s)', size: 16B", extra);
}

/* What a planted handler does (u64 of its event). */
enum { DO_RECORD, DO_OWN, DO_OTHER_KEY, DO_OTHER_STATE, DO_EXEMPT,
       DO_ACT_AS, DO_ACT_AS_THEN_OTHER };

static uint32_t seen_actor[4];
static size_t n_seen;

static void ev_plant(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                     void *arg, uint64_t what)
{
    sim_world *w = ctx;
    pk *b = sim_world_proto_state(w);   /* netkey's state begins with it */
    (void)s; (void)kind; (void)arg;

    if (n_seen < 4)
        seen_actor[n_seen++] = sim_world_actor(w);
    switch (what) {
    case DO_OWN:                 /* node 2 reads its own key: allowed */
        (void)pk_key(b, node, 0);
        (void)sim_world_node_state(w, node);
        break;
    case DO_OTHER_KEY:           /* node 1 reads node 2's key store */
        (void)pk_key(b, 2, 0);
        break;
    case DO_OTHER_STATE:         /* node 1 reads node 2's protocol state */
        (void)sim_world_node_state(w, 2);
        break;
    case DO_EXEMPT:
        sim_world_exempt(w, "test: a named exception");
        (void)pk_key(b, 2, 0);
        sim_world_exempt_end(w);
        break;
    case DO_ACT_AS:
        sim_world_act_as(w, 2, "test: a hand-over");
        (void)pk_key(b, 2, 0);
        sim_world_act_end(w);
        break;
    case DO_ACT_AS_THEN_OTHER:   /* the hand-over ends: 2 is not 1 */
        sim_world_act_as(w, 2, "test: a hand-over");
        sim_world_act_end(w);
        (void)pk_key(b, 2, 0);
        break;
    default:
        break;
    }
}

static void call_fn(void *arg)
{
    void (**fn)(void) = arg;
    (*fn)();
}

/* Runs fn in a child with its stderr captured into err (NUL-terminated);
 * returns the child's wait status (cutest_in_child). */
static int in_child(void (*fn)(void), char *err, size_t len)
{
    return cutest_in_child(call_fn, &fn, err, len);
}

static int aborted(int st)
{
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

/* A world with one planted event of node `node` (kind `kind`) at 10 s
 * doing `what`, run to the end, finished and freed. */
static void run_planted(uint32_t kind, uint32_t node, uint64_t what)
{
    tworld t;

    if (build(&t, NULL) != 0)
        _exit(3);
    sim_sched_at(sim_world_sched(t.w), 10 * SIM_S, ev_plant, kind, node,
                 NULL, what);
    tw_run_all(&t);
    tw_free(&t);
}

static void child_own(void) { run_planted(EV_PLANT, 2, DO_OWN); }
static void child_other_key(void) { run_planted(EV_PLANT, 1, DO_OTHER_KEY); }
static void child_other_state(void)
{
    run_planted(EV_PLANT, 1, DO_OTHER_STATE);
}
static void child_exempt(void) { run_planted(EV_PLANT, 1, DO_EXEMPT); }
static void child_act_as(void) { run_planted(EV_PLANT, 1, DO_ACT_AS); }
static void child_act_as_then(void)
{
    run_planted(EV_PLANT, 1, DO_ACT_AS_THEN_OTHER);
}
static void child_attacker(void)
{
    run_planted(SIM_EV_ATTACK + 7, 2, DO_OWN);  /* an attacker's event */
}

/* Outside events (after set-up, before the first event): nobody acts. */
static void child_outside(void)
{
    tworld t;

    if (build(&t, NULL) != 0)
        _exit(3);
    (void)pk_key(sim_world_proto_state(t.w), 1, 0);
    _exit(0);
}

/* Count mode: the same site twice (two events), printed once; the run
 * aborts when it ends. */
static void child_count(void)
{
    tworld t;

    setenv("KMSIM_LOCALITY", "count", 1);
    if (build(&t, NULL) != 0)
        _exit(3);
    sim_sched_at(sim_world_sched(t.w), 10 * SIM_S, ev_plant, EV_PLANT, 1,
                 NULL, DO_OTHER_KEY);
    sim_sched_at(sim_world_sched(t.w), 20 * SIM_S, ev_plant, EV_PLANT, 1,
                 NULL, DO_OTHER_KEY);
    sim_world_run(t.w, t.sc->duration + TW_DRAIN, 0);
    if (sim_world_violations(t.w) != 2)
        _exit(4);
    sim_world_finish(t.w);       /* aborts: the run had violations */
    _exit(0);
}

/* ---- tests ---- */

static void test_actor_follows_events(void)
{
    tworld t;

    CU_ASSERT_FATAL(build(&t, NULL) == 0);
    CU_ASSERT_EQUAL(sim_world_actor(t.w), SIM_NONE);
    n_seen = 0;
    sim_sched_at(sim_world_sched(t.w), 10 * SIM_S, ev_plant, EV_PLANT, 2,
                 NULL, DO_RECORD);
    sim_sched_at(sim_world_sched(t.w), 11 * SIM_S, ev_plant, EV_PLANT, 1,
                 NULL, DO_RECORD);
    sim_sched_at(sim_world_sched(t.w), 12 * SIM_S, ev_plant,
                 SIM_EV_ATTACK + 7, 1, NULL, DO_RECORD);
    tw_run_all(&t);
    CU_ASSERT_EQUAL(n_seen, 3);
    CU_ASSERT_EQUAL(seen_actor[0], 2);
    CU_ASSERT_EQUAL(seen_actor[1], 1);
    CU_ASSERT_EQUAL(seen_actor[2], SIM_ACTOR_ATTACKER);
    CU_ASSERT_EQUAL(sim_world_actor(t.w), SIM_NONE);   /* between runs */
    CU_ASSERT_EQUAL(sim_world_violations(t.w), 0);
    tw_free(&t);
}

static uint32_t tap_actor = SIM_NONE;
static size_t tap_calls;

static sim_tap_verdict tap_rec(void *ctx, sim_world *w, uint32_t link,
                               uint32_t from, uint32_t to, sim_pkt *p)
{
    (void)ctx; (void)link; (void)from; (void)to; (void)p;
    tap_actor = sim_world_actor(w);
    tap_calls++;
    return SIM_TAP_PASS;
}

static void test_tap_is_the_attacker(void)
{
    tworld t;

    CU_ASSERT_FATAL(build(&t, NULL) == 0);
    sim_world_add_tap(t.w, tap_rec, NULL);
    tap_calls = 0;
    tw_run_all(&t);
    CU_ASSERT(tap_calls > 0);
    CU_ASSERT_EQUAL(tap_actor, SIM_ACTOR_ATTACKER);
    tw_free(&t);
}

static void test_own_state_passes(void)
{
    char err[4096];
    int st = in_child(child_own, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_PTR_NULL(strstr(err, "locality"));
}

static void test_planted_key_read_fails(void)
{
    char err[4096];
    int st = in_child(child_other_key, err, sizeof err);

    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err,
        "locality violation: protocol netkey, accessor pk_key, actor 1, "
        "holder 2, time 10000000000 ns"));
}

static void test_planted_state_read_fails(void)
{
    char err[4096];
    int st = in_child(child_other_state, err, sizeof err);

    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err,
        "protocol netkey, accessor node_state, actor 1, holder 2"));
}

static void test_named_exceptions_pass(void)
{
    char err[4096];
    int st = in_child(child_exempt, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_PTR_NULL(strstr(err, "locality"));
    st = in_child(child_act_as, err, sizeof err);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = in_child(child_act_as_then, err, sizeof err);
    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "actor 1, holder 2"));
}

static void test_attacker_and_outside_fail(void)
{
    char err[4096];
    int st = in_child(child_attacker, err, sizeof err);

    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "actor attacker, holder 2"));
    st = in_child(child_outside, err, sizeof err);
    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err,
        "accessor pk_key, actor none, holder 1, time 0 ns"));
}

static void test_count_mode(void)
{
    char err[4096];
    int st = in_child(child_count, err, sizeof err);
    const char *first = strstr(err, "locality violation:");

    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NULL(strstr(first + 1, "locality violation:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "locality: 2 violation(s)"));
}

/* A holder-keyed protocol table (kmap, sim_world_own) is checked on
 * every access. */
static void ev_kmap(sim_sched *s, void *ctx, uint32_t kind, uint32_t node,
                    void *arg, uint64_t u64)
{
    kmap *m = arg;
    (void)s; (void)ctx; (void)kind; (void)u64;
    kmap_put(m, node, 7, 1);           /* its own entry */
    (void)kmap_get(m, node == 1 ? 2 : 1, 7);   /* the other's */
}

static void child_kmap(void)
{
    tworld t;
    kmap m;

    if (build(&t, NULL) != 0)
        _exit(3);
    kmap_init(&m);
    sim_world_own(t.w, &m, "test.table");
    sim_sched_at(sim_world_sched(t.w), SIM_S, ev_kmap, EV_PLANT, 1, &m, 0);
    tw_run_all(&t);
    _exit(0);
}

static void test_owned_table(void)
{
    char err[4096];
    int st = in_child(child_kmap, err, sizeof err);

    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err,
        "accessor test.table, actor 1, holder 2"));
}

/* The real protocol: registration, data, re-keying rounds, a capture and
 * its detection (the authority's reaction) -- no violation. */
static void test_netkey_run_is_local(void)
{
    tworld t;

    CU_ASSERT_FATAL(build(&t, "attackers: [{type: node_capture, nodes: [2],"
                              " at: 40s, detection: 10s}]\n") == 0);
    CU_ASSERT_PTR_NOT_NULL(atk_run_of(t.w));
    tw_run_all(&t);
    CU_ASSERT(tw_met_n(t.w, "key.rekey") >= 2);
    CU_ASSERT_EQUAL(sim_world_violations(t.w), 0);
    tw_free(&t);
}

/* Dini with a source moving to a second SO (a handover through KT): the
 * two SOs' backbone key, each SO's copy made when that SO first needs it
 * (so_key; once written into both stores from the new SO's event, a
 * named exception).  Run in a child in the default mode: a violation
 * aborts it. */
static void child_dini_move(void)
{
    tworld t;

    if (tw_build(&t, 1, "40s", "name: dini, findglobalkey: radio, "
                 "pool: 4, ring: 4, rekey_every: 30s", "OSO",
                 "{a: 0, b: 1}, {a: 1, b: 2}",
                 "interval: 'const(5s)', size: 32B",
                 "moves: [{node: 1, at: 20s, to: 2}]\n") != 0)
        _exit(3);
    tw_run_all(&t);
    if (tw_met(t.w, "dini.msgs.ktkey") != 1 ||
        tw_met_n(t.w, "dini.handover") != 1)
        _exit(4);
    tw_free(&t);
}

static void test_dini_move_is_local(void)
{
    char err[4096];
    int st = in_child(child_dini_move, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    if (err[0])
        fprintf(stderr, "%s", err);
}

/* ---- the nonce ledger of the same test build (-DKMSIM_NONCE_LEDGER) ---- */

#ifndef KMSIM_NONCE_LEDGER
#error "test_local is built with -DKMSIM_NONCE_LEDGER"
#endif

/* Seals under one value: sender 5 counters 0 and 1, sender 6 counter 2, a
 * second value at sender 5 counter 0, and the first value again after a
 * re-import (sender 5's counter 2): all distinct (value, nonce) pairs.
 * With `plant` sender 5's counter under the value is set back to 0 first:
 * the next seal repeats (value, 5, 0) and the ledger must abort. */
static void ledger_run(int plant)
{
    cry_keystore *ks = cry_keystore_new(11);
    unsigned char m[8] = "payload", c[sizeof m + CRY_TAG_BYTES];
    unsigned char v[CRY_KEY_BYTES];
    cry_key k, k2, o;

    if (!ks)
        _exit(3);
    k = cry_key_generate(ks, 1, 0, NULL);
    o = cry_key_generate(ks, 1, 1, NULL);
    if (cry_seal(ks, k, 5, 0, NULL, 0, m, sizeof m, c, NULL) != 0 ||
        cry_seal(ks, k, 5, 1, NULL, 0, m, sizeof m, c, NULL) != 0 ||
        cry_seal(ks, k, 6, 2, NULL, 0, m, sizeof m, c, NULL) != 0 ||
        cry_seal(ks, o, 5, 0, NULL, 0, m, sizeof m, c, NULL) != 0)
        _exit(4);
    cry_key_export(ks, k, v);
    cry_key_free(ks, k);
    k2 = cry_key_import(ks, v);
    cry_wipe(v, sizeof v);
    if (plant)
        cry_key_rewind_for_tests(ks, k2, 5);
    m[0] = 'P';                         /* another plaintext */
    if (cry_seal(ks, k2, 5, cry_key_next_counter(ks, k2, 5), NULL, 0, m,
                 sizeof m, c, NULL) != 0)
        _exit(5);
    if (cry_keystore_ledger_size(ks) != 5)
        _exit(6);
    cry_keystore_free(ks);
}

static void child_ledger_ok(void) { ledger_run(0); }
static void child_ledger_planted(void) { ledger_run(1); }

static void test_nonce_ledger(void)
{
    char err[4096];
    int st = in_child(child_ledger_ok, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    st = in_child(child_ledger_planted, err, sizeof err);
    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "kmsim: nonce ledger: nonce (sender 5,"
                                       " counter 0) sealed twice"));
}

/* Dini, SO0 - S - S3 - SO2, the source away to SO 2 at 20 s and back to
 * SO 0 at 40 s with no replacement of its key (issue 19): the old SO
 * takes K again and seals under it; the ledger sees no repeat. */
static void child_dini_away_and_back(void)
{
    tworld t;

    if (tw_build(&t, 1, "60s", "name: dini, pool: 4, ring: 4", "OSOS",
                 "{a: 0, b: 1}, {a: 1, b: 3}, {a: 3, b: 2}",
                 "interval: 'const(5s)', size: 32B",
                 "moves: [{node: 1, at: 20s, to: 2}, "
                 "{node: 1, at: 40s, to: 0}]\n") != 0)
        _exit(3);
    tw_run_all(&t);
    if (tw_met_n(t.w, "dini.handover") != 2)
        _exit(4);
    tw_free(&t);
}

static void test_dini_away_and_back_ledger(void)
{
    char err[4096];
    int st = in_child(child_dini_away_and_back, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    if (err[0])
        fprintf(stderr, "%s", err);
}

/* ---- Dini on two partitions (--threads 2): the dpart check ---- */

/* Planted in a split Dini run: node `node`'s event reads (inside a named
 * exception, which the world's check lets pass) whether node u64 holds
 * its device key. */
static void ev_dini_peek(sim_sched *s, void *ctx, uint32_t kind,
                         uint32_t node, void *arg, uint64_t u64)
{
    sim_world *w = ctx;
    (void)s; (void)kind; (void)arg; (void)node;

    sim_world_exempt(w, "test: a read the exception allows");
    (void)dini_holds(w, (uint32_t)u64, dini_device_name((uint32_t)u64));
    sim_world_exempt_end(w);
}

/* dini-adjacent split at the median x (--threads 2, in turn on this
 * thread); with `peek` >= 0 a planted event of the first node of
 * partition 0 reads the first source of partition `peek` at 10 s. */
static void dini_split_run(const char *file, const char *const *set,
                           size_t n, int peek)
{
    scenario *sc = tw_load_shipped(file, set, n);
    char err[256];
    sim_world *w;

    if (!sc)
        _exit(3);
    w = sim_world_new_alternating(sc, sc->seed, NULL, err, sizeof err);
    if (!w || sim_world_nparts(w) != 2) {
        fprintf(stderr, "%s\n", w ? "not split" : err);
        _exit(3);
    }
    if (peek >= 0) {
        uint32_t a = UINT32_MAX, b = UINT32_MAX;
        const sim_topo *t = sim_world_topo(w);
        for (uint32_t v = 0; v < t->n_nodes; v++) {
            if (a == UINT32_MAX && sim_world_part_of(w, v) == 0)
                a = v;
            else if (b == UINT32_MAX && sim_world_part_of(w, v) == peek &&
                     t->nodes[v].role == SCN_ROLE_SOURCE)
                b = v;
        }
        if (a == UINT32_MAX || b == UINT32_MAX)
            _exit(5);
        sim_sched_at(sim_world_sched(w), 10 * SIM_S, ev_dini_peek, EV_PLANT,
                     a, NULL, b);
    }
    while (sim_world_run(w, sc->duration, 1000) >= 1000)
        ;
    sim_world_finish(w);
    if (sim_world_violations(w) != 0 || tw_met(w, "dini.channels") < 1)
        _exit(4);
    sim_world_free(w);
    scn_free(sc);
}

/* ---- partition ownership (--threads 2, pk_part_write) ---- */

/* The shipped runs of the three protocols that set threads_ok, split in
 * two partitions (sim_world_new_threads(2): windows in turn on one
 * thread): every write of per-partition state happens while its
 * partition runs (else pk_part_write aborts), every access is local (the
 * locality check), and no nonce repeats (the ledger, per part and across
 * parts at the end).  Then a small random geometric network of six SOs
 * (scale-dipietro-1e5 cut to 306 nodes: SOs in both partitions, so their
 * retransmission copies, member tables, publish queues and fresh keys are
 * written in both) as each protocol, with retransmissions, per-hop MACs
 * and Di Pietro's central sync with sealed seeds. */
#define RG "scale-dipietro-1e5", { "duration=8min", "topology.sources=300", \
    "topology.smart_objects=6", "topology.area=[175m, 175m]"
static void child_pk_threads(void)
{
    static const struct {
        const char *proto, *file;
        const char *set[8];
    } v[] = {
        { NULL, "netkey-tree", { NULL } },
        { NULL, "pairwise-tree", { NULL } },
        { NULL, "dipietro-seed001-s1", { "duration=10min", NULL } },
        { "netkey", RG, "protocols.netkey.rekey_every=2min",
          "protocols.netkey.retransmit_after=15ms", NULL } },
        { "pairwise", RG, "protocols.pairwise.rekey_every=2min",
          "protocols.pairwise.retransmit_after=15ms",
          "protocols.pairwise.per_hop_mac=true", NULL } },
        { "dipietro", RG, "protocol.rekey_every=2min",
          "protocol.retransmit_after=15ms", NULL } },
        { "dipietro", RG, "protocol.rekey_every=2min", "protocol.sync=central",
          "protocol.seeds=sealed", NULL } },
    };

    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        char path[1024], err[512];
        size_t n = 0;
        scenario *sc;
        sim_world *w;

        while (v[k].set[n])
            n++;
        snprintf(path, sizeof path, "%s/scenarios/%s.yaml", TEST_SRCDIR,
                 v[k].file);
        sc = scn_load_as(path, v[k].set, n, v[k].proto, err, sizeof err);
        if (!sc || !(w = sim_world_new_alternating(sc, sc->seed, NULL, err,
                                               sizeof err)))
            _exit(3);
        if (sim_world_nparts(w) != 2)
            _exit(4);
        while (sim_world_run(w, sc->duration, 1000) >= 1000)
            ;
        sim_world_finish(w);
        if (sim_world_crossed(w) == 0 || sim_world_violations(w) != 0)
            _exit(5);
        sim_world_free(w);
        scn_free(sc);
    }
}
#undef RG

static void test_pk_threads_owned(void)
{
    char err[4096];
    int st = in_child(child_pk_threads, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    if (err[0])
        fprintf(stderr, "%s", err);
}

/* FNV-1a over every metric row (name and value's bits). */
static void eg_rows(void *ctx, const char *name, const char *entity,
                    const char *unit, double value)
{
    uint64_t *h = ctx;
    unsigned char b[sizeof value];
    (void)entity; (void)unit;

    memcpy(b, &value, sizeof b);
    for (const char *c = name; *c; c++)
        *h = (*h ^ (unsigned char)*c) * 1099511628211ull;
    for (size_t i = 0; i < sizeof b; i++)
        *h = (*h ^ b[i]) * 1099511628211ull;
}

/* E-G split in two partitions (sim_world_new_alternating: windows in
 * turn on one thread, run-wide start-up and revocation rounds alone) in
 * the test build:
 * no node's event writes another partition's E-G state (eg_int.h ep asserts
 * it: an abort), no locality violation, no nonce repeat (the ledger),
 * and the same fingerprint, events and metrics as one partition.
 * eg-grid: two revocations at one time, one in each half; path NULL:
 * the scenario is yaml. */
static void eg_threads_run(const char *path, const char *yaml)
{
    char err[256];
    scenario *sc = path ? scn_load(path, NULL, 0, err, sizeof err)
                        : scn_load_buffer("eg.yaml", yaml, strlen(yaml),
                                          NULL, 0, err, sizeof err);
    unsigned char fp[2][32];
    uint64_t ev[2], h[2];

    if (!sc)
        _exit(3);
    for (int th = 1; th <= 2; th++) {
        /* the locality actor is one per world: in turn on this thread */
        sim_world *w = th == 1 ? sim_world_new_threads(sc, sc->seed, NULL, 1,
                                                       err, sizeof err)
                               : sim_world_new_alternating(sc, sc->seed, NULL,
                                                           err, sizeof err);
        if (!w || sim_world_nparts(w) != th)
            _exit(4);
        sim_world_run(w, sc->duration, 0);
        sim_world_finish(w);
        sim_world_fingerprint(w, fp[th - 1]);
        ev[th - 1] = sim_world_events(w);
        h[th - 1] = 0;
        ana_metrics_rows(sim_world_metrics(w), eg_rows, &h[th - 1]);
        if (sim_world_violations(w) != 0)
            _exit(5);
        sim_world_free(w);
    }
    scn_free(sc);
    if (ev[0] != ev[1] || h[0] != h[1] || memcmp(fp[0], fp[1], 32) != 0)
        _exit(6);
}

static void child_eg_threads(void)
{
    eg_threads_run(TEST_SRCDIR "/scenarios/eg-grid.yaml", NULL);
    eg_threads_run(NULL, TW_EG_REVOKE_YAML);   /* tworld.h */
}

static void test_eg_threads_local(void)
{
    char err[4096];
    int st = in_child(child_eg_threads, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    if (err[0])
        fprintf(stderr, "%s", err);
}

/* A planted write: an event of a partition-0 node, acting as node `who`
 * (a named hand-over, so the locality check passes), gives `who` a key.
 * Fine when who is in partition 0; when who is in partition 1, its key
 * store part and table are written while partition 0 runs: abort. */
static void ev_part_plant(sim_sched *s, void *ctx, uint32_t kind,
                          uint32_t node, void *arg, uint64_t who)
{
    sim_world *w = ctx;
    pk *b = sim_world_proto_state(w);   /* netkey's state begins with it */
    (void)s; (void)kind; (void)node; (void)arg;

    sim_world_act_as(w, (uint32_t)who, "test: a planted write");
    pk_key_put(b, (uint32_t)who, 99,
               pk_key_generate(b, (uint32_t)who, 77, 0, NULL));
    sim_world_act_end(w);
}

static void part_plant_run(int other)
{
    char path[1024], err[512];
    scenario *sc;
    sim_world *w;
    uint32_t u = SIM_NONE, v = SIM_NONE, n;

    snprintf(path, sizeof path, "%s/scenarios/netkey-tree.yaml", TEST_SRCDIR);
    if (!(sc = scn_load(path, NULL, 0, err, sizeof err)) ||
        !(w = sim_world_new_alternating(sc, sc->seed, NULL, err, sizeof err)))
        _exit(3);
    n = sim_world_topo(w)->n_nodes;
    for (uint32_t x = n; x-- > 0;)
        if (sim_world_part_of(w, x) == 0)
            u = x;                       /* the lowest in partition 0 */
    for (uint32_t x = n; x-- > 0;)
        if (sim_world_part_of(w, x) == (other ? 1 : 0) && x != u)
            v = x;
    if (u == SIM_NONE || v == SIM_NONE)
        _exit(4);
    sim_sched_at(sim_world_sched(w), SIM_S, ev_part_plant, EV_PLANT, u,
                 NULL, v);
    while (sim_world_run(w, 2 * SIM_S, 1000) >= 1000)
        ;
    sim_world_free(w);
    scn_free(sc);
}

static void child_dini_split_adjacent(void)
{
    dini_split_run("dini-adjacent", NULL, 0, -1);
}

static void child_dini_split_lossy(void)
{
    static const char *const set[] = { "topology.link.loss=0.03",
                                       "defences=hardened", "duration=8min" };
    dini_split_run("dini-adjacent", set, 3, -1);
}

static void child_dini_split_moves(void)
{
    static const char *const set[] = { "topology.link.loss=0.05",
                                       "protocol.findglobalkey=radio",
                                       "protocol.rekey_every=2min" };
    dini_split_run("moves-away-back", set, 3, -1);
}

static void child_dini_peek_same(void)
{
    dini_split_run("dini-adjacent", NULL, 0, 0);
}

static void child_dini_peek_other(void)
{
    dini_split_run("dini-adjacent", NULL, 0, 1);
}

/* Dini split in two partitions: runs of dini-adjacent, a lossy hardened
 * variant and moves-away-back with losses, searches and hand-overs
 * between SOs of the two halves pass the locality check, the nonce
 * ledger and the dpart check (no event touches the state of the other
 * partition); a planted read of a node of the other partition aborts
 * even inside a named exception (a race on two threads), the same read
 * of a node of its own partition passes. */
static void test_dini_split_partitions(void)
{
    static void (*const ok[])(void) = { child_dini_split_adjacent,
                                        child_dini_split_lossy,
                                        child_dini_split_moves,
                                        child_dini_peek_same };
    char err[4096];
    int st;

    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        st = in_child(ok[i], err, sizeof err);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CU_ASSERT_STRING_EQUAL(err, "");
        if (err[0])
            fprintf(stderr, "%zu: %s", i, err);
    }
    st = in_child(child_dini_peek_other, err, sizeof err);
    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "kmsim: dini: state of node"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "(partition 1) touched by an event "
                                       "of node"));
}

static void child_part_same(void) { part_plant_run(0); }
static void child_part_other(void) { part_plant_run(1); }

static void test_part_write_planted(void)
{
    char err[4096];
    int st = in_child(child_part_same, err, sizeof err);

    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    st = in_child(child_part_other, err, sizeof err);
    CU_ASSERT(aborted(st));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "kmsim: partition ownership: key "
                                       "store of partition 1 written while "
                                       "partition 0 runs"));
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("locality", NULL, NULL);
    if (!s || cry_init() != 0)
        return -1;
    unsetenv("KMSIM_LOCALITY");
    CUTEST_ADD(s, test_actor_follows_events);
    CUTEST_ADD(s, test_tap_is_the_attacker);
    CUTEST_ADD(s, test_own_state_passes);
    CUTEST_ADD(s, test_planted_key_read_fails);
    CUTEST_ADD(s, test_planted_state_read_fails);
    CUTEST_ADD(s, test_named_exceptions_pass);
    CUTEST_ADD(s, test_attacker_and_outside_fail);
    CUTEST_ADD(s, test_count_mode);
    CUTEST_ADD(s, test_owned_table);
    CUTEST_ADD(s, test_netkey_run_is_local);
    CUTEST_ADD(s, test_dini_move_is_local);
    CUTEST_ADD(s, test_nonce_ledger);
    CUTEST_ADD(s, test_dini_away_and_back_ledger);
    CUTEST_ADD(s, test_dini_split_partitions);
    CUTEST_ADD(s, test_pk_threads_owned);
    CUTEST_ADD(s, test_part_write_planted);
    CUTEST_ADD(s, test_eg_threads_local);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
