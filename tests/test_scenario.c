/* test_scenario.c — the scenario loader: every good file loads (one checked
 * field by field), every bad file fails with exactly the message in
 * tests/data/bad/EXPECTED, --set overrides, the scenario hash; in
 * test_scenario_reader.c the reader API for protocol options, `protocols:`
 * blocks and scn_load_as, a large explicit topology, and hostile input that
 * must never crash (helpers shared by both in scenario_t.h). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cutest.h"
#include "cry.h"
#include "cry_key.h"
#include "metrics.h"
#include "proto.h"
#include "scn_map.h"
#include "run.h"
#include "scenario.h"
#include "world.h"
#include "scenario_t.h"

/* ---- good files ------------------------------------------------------- */

static void test_good_files(void)
{
    DIR *dir = opendir(GOOD);
    struct dirent *e;
    int loaded = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    while ((e = readdir(dir))) {
        char path[1024];
        scenario *s;

        /* profile_*.yaml are device profiles, not scenarios */
        if (!ends_with(e->d_name, ".yaml") ||
            strncmp(e->d_name, "profile_", 8) == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", GOOD, e->d_name);
        s = load(path, NULL, 0);
        CU_ASSERT_PTR_NOT_NULL(s);
        if (s) {
            CU_ASSERT_STRING_EQUAL(s->file, path);
            CU_ASSERT(s->duration > 0);
            CU_ASSERT_PTR_NOT_NULL(s->proto);
        }
        scn_free(s);
        loaded++;
    }
    closedir(dir);
    CU_ASSERT(loaded >= 5);
}

static void check_link(const scn_link_params *p, sim_time lat, double bw,
                       double loss, uint64_t queue)
{
    CU_ASSERT_EQUAL(p->latency, lat);
    CU_ASSERT_EQUAL(p->bandwidth, bw);
    CU_ASSERT_EQUAL(p->loss, loss);
    CU_ASSERT_EQUAL(p->queue, queue);
}

static void test_full_explicit(void)
{
    scenario *s = load(GOOD "/full_explicit.yaml", NULL, 0);
    const scn_topology *t;
    const scn_profile *p;
    unsigned char *bytes, h[CRY_HASH_BYTES];
    size_t len = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s->name, "full-explicit.v1");
    CU_ASSERT_EQUAL(s->seed, 42);
    CU_ASSERT_EQUAL(s->duration, 2 * SIM_HOUR);
    CU_ASSERT_EQUAL(s->warmup, 10 * SIM_MIN);
    CU_ASSERT_EQUAL(s->replications, 3);
    CU_ASSERT_STRING_EQUAL(s->proto->name, "none");
    CU_ASSERT_PTR_NULL(s->proto_opts);
    CU_ASSERT_EQUAL(s->n_overrides, 0);

    t = &s->topo;
    CU_ASSERT_EQUAL(t->kind, SCN_TOPO_EXPLICIT);
    CU_ASSERT_EQUAL(t->require_connected, 0);
    check_link(&t->link, 5 * SIM_MS, 1e6, 0.01, 2048);
    check_link(&t->backbone, 10 * SIM_MS, 100e6, 0, 0);
    check_link(&t->access, 20 * SIM_MS, 10e6, 0, 0);
    CU_ASSERT_EQUAL_FATAL(t->n_nodes, 4);
    CU_ASSERT_EQUAL(t->nodes[0].id, 10);
    CU_ASSERT_EQUAL(t->nodes[0].role, SCN_ROLE_SO);
    CU_ASSERT_EQUAL(t->nodes[1].id, 20);
    CU_ASSERT_EQUAL(t->nodes[1].role, SCN_ROLE_SOURCE);
    CU_ASSERT_EQUAL(t->nodes[1].x, 1500.0);
    CU_ASSERT_EQUAL(t->nodes[1].y, 250.0);
    CU_ASSERT_EQUAL(t->nodes[2].id, 30);
    CU_ASSERT_EQUAL(t->nodes[2].x, 0.0);
    CU_ASSERT_EQUAL(t->nodes[3].id, 7);
    CU_ASSERT_EQUAL(t->nodes[3].role, SCN_ROLE_SUBSCRIBER);
    CU_ASSERT_EQUAL(t->nodes[3].x, -3.0);
    CU_ASSERT_EQUAL(t->nodes[3].y, 0.4);
    CU_ASSERT_EQUAL(t->sources, 2);
    CU_ASSERT_EQUAL(t->smart_objects, 1);
    CU_ASSERT_EQUAL(t->subscribers, 1);
    CU_ASSERT_EQUAL_FATAL(t->n_links, 3);
    /* a/b are indices into nodes, not ids */
    CU_ASSERT_EQUAL(t->links[0].a, 1);
    CU_ASSERT_EQUAL(t->links[0].b, 0);
    check_link(&t->links[0].p, 5 * SIM_MS, 1e6, 0.01, 2048);
    CU_ASSERT_EQUAL(t->links[1].a, 2);
    CU_ASSERT_EQUAL(t->links[1].b, 0);
    check_link(&t->links[1].p, 2 * SIM_MS, 1e6, 0, 2048);
    CU_ASSERT_EQUAL(t->links[2].a, 3);
    check_link(&t->links[2].p, 5 * SIM_MS, 10e6, 0.01, 0);

    check_dist(&s->traffic.interval, "uniform(1s,3s)");
    CU_ASSERT_EQUAL(s->traffic.interval.dim, SIM_DIM_TIME);
    check_dist(&s->traffic.size, "const(1KiB)");
    CU_ASSERT_EQUAL(s->traffic.size.p[0], 1024.0);
    CU_ASSERT_EQUAL(s->traffic.start, 30 * SIM_S);
    check_dist(&s->traffic.register_at, "uniform(0s,30s)");
    CU_ASSERT_EQUAL(s->traffic.register_retry, 0);   /* never */
    CU_ASSERT_EQUAL(s->topo_line, 11);
    CU_ASSERT_EQUAL(s->topo_col, 3);
    CU_ASSERT_EQUAL_FATAL(s->traffic.n_topics, 3);
    CU_ASSERT_STRING_EQUAL(s->traffic.topics[0], "home/{id}/temperature");
    CU_ASSERT_STRING_EQUAL(s->traffic.topics[2], "alarms");

    check_dist(&s->so.service, "erlang(2,500ms)");
    CU_ASSERT_EQUAL(s->so.queue_capacity, 100);
    check_dist(&s->so.publish, "exp(20ms)");
    CU_ASSERT_EQUAL_FATAL(s->subs.n_filters, 2);
    CU_ASSERT_STRING_EQUAL(s->subs.filters[0], "home/+/temperature");
    CU_ASSERT_STRING_EQUAL(s->subs.filters[1], "alarms/#");

    p = &s->profiles[SCN_DEV_SENSOR];
    CU_ASSERT_EQUAL(p->op_fixed[SCN_OP_SEAL], 80 * SIM_US);
    CU_ASSERT_DOUBLE_EQUAL(p->op_per_byte[SCN_OP_SEAL], 1000, 1e-9);
    CU_ASSERT_EQUAL(p->op_fixed[SCN_OP_OPEN], 60 * SIM_US);   /* default */
    CU_ASSERT_EQUAL(p->op_per_byte[SCN_OP_OPEN], 500);
    CU_ASSERT_EQUAL(p->op_fixed[SCN_OP_KDF], 40 * SIM_US);
    CU_ASSERT_DOUBLE_EQUAL(p->op_per_byte[SCN_OP_KDF], 20, 1e-9);
    p = &s->profiles[SCN_DEV_GATEWAY];      /* from profile_gateway.yaml */
    CU_ASSERT_EQUAL(p->op_fixed[SCN_OP_SEAL], 3 * SIM_US);
    CU_ASSERT_DOUBLE_EQUAL(p->op_per_byte[SCN_OP_SEAL], 7, 1e-9);
    CU_ASSERT_EQUAL(p->op_fixed[SCN_OP_HASH], 1500);
    CU_ASSERT_EQUAL(p->op_per_byte[SCN_OP_HASH], 4);
    CU_ASSERT_EQUAL(p->op_fixed[SCN_OP_OPEN], 2 * SIM_US);
    p = &s->profiles[SCN_DEV_SO];
    CU_ASSERT_EQUAL(p->op_fixed[SCN_OP_XOR], 100);
    CU_ASSERT_EQUAL(p->op_per_byte[SCN_OP_XOR], 1);

    CU_ASSERT_EQUAL_FATAL(s->n_attackers, 6);
    CU_ASSERT_EQUAL(s->attackers[0].kind, SCN_ATK_EAVESDROPPER);
    CU_ASSERT_EQUAL(s->attackers[0].where, SCN_WHERE_ALL);
    CU_ASSERT_EQUAL(s->attackers[1].kind, SCN_ATK_NODE_CAPTURE);
    CU_ASSERT_EQUAL(s->attackers[1].where, SCN_WHERE_LIST);
    CU_ASSERT_EQUAL_FATAL(s->attackers[1].n_targets, 2);
    CU_ASSERT_EQUAL(s->attackers[1].targets[0], 2);  /* id 30 */
    CU_ASSERT_EQUAL(s->attackers[1].targets[1], 0);  /* id 10 */
    check_dist(&s->attackers[1].at, "const(1800s)");
    CU_ASSERT_EQUAL(s->attackers[2].kind, SCN_ATK_GLOBAL_KEY_LEAK);
    CU_ASSERT_EQUAL(s->attackers[2].detection, 5 * SIM_MIN);
    check_dist(&s->attackers[2].at, "exp(1h)");
    CU_ASSERT_EQUAL(s->attackers[3].where, SCN_WHERE_RANDOM);
    CU_ASSERT_EQUAL(s->attackers[3].count, 2);
    CU_ASSERT_EQUAL(s->attackers[3].rate, 10.0);
    CU_ASSERT_EQUAL(s->attackers[4].kind, SCN_ATK_REPLAY);
    CU_ASSERT_EQUAL(s->attackers[4].where, SCN_WHERE_REGION);
    CU_ASSERT_EQUAL(s->attackers[4].region[2], 1000.0);
    CU_ASSERT_EQUAL(s->attackers[4].region[3], 500.0);
    CU_ASSERT_EQUAL(s->attackers[4].rate, 2.0);
    CU_ASSERT_EQUAL(s->attackers[5].kind, SCN_ATK_INSIDER);
    CU_ASSERT_EQUAL(s->attackers[5].where, SCN_WHERE_ALL);
    CU_ASSERT_EQUAL(s->attackers[5].count, 1);
    CU_ASSERT_EQUAL(s->attackers[5].rate, 0.0);
    check_dist(&s->attackers[5].at, "const(0s)");

    /* hash = BLAKE2b-256 of the file bytes, then of the profile file it
     * reads ("\0profile:", section, 0 byte, bytes) */
    {
        cry_hash_state hs;
        cry_hash_init(&hs);
        bytes = slurp(GOOD "/full_explicit.yaml", &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
        cry_hash_update(&hs, bytes, len);
        free(bytes);
        bytes = slurp(GOOD "/profile_gateway.yaml", &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
        cry_hash_update(&hs, "\0profile:", 9);
        cry_hash_update(&hs, "profiles.gateway", sizeof "profiles.gateway");
        cry_hash_update(&hs, bytes, len);
        free(bytes);
        cry_hash_final(&hs, h);
        CU_ASSERT(memcmp(h, s->hash, sizeof h) == 0);
    }
    scn_free(s);
}

/* The shipped profiles: fixed numbers (ns, ns/B). */
static void check_default_profiles(const scenario *s)
{
    static const double want[SCN_DEV_COUNT][SCN_OP_COUNT][2] = {
        {{60000, 500}, {60000, 500}, {25000, 300}, {40000, 0}, {1000, 10},
         {1000, 10}},
        {{4000, 15}, {4000, 15}, {2000, 8}, {3000, 0}, {100, 1}, {100, 1}},
        {{2000, 6}, {2000, 6}, {1000, 4}, {1500, 0}, {50, 0.5}, {50, 0.5}},
    };
    for (int d = 0; d < SCN_DEV_COUNT; d++)
        for (int o = 0; o < SCN_OP_COUNT; o++) {
            CU_ASSERT_EQUAL(s->profiles[d].op_fixed[o],
                            (sim_time)want[d][o][0]);
            CU_ASSERT_EQUAL(s->profiles[d].op_per_byte[o], want[d][o][1]);
        }
}

static void test_defaults(void)
{
    scenario *s = load(GOOD "/minimal.yaml", NULL, 0);

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->seed, 1);
    CU_ASSERT_EQUAL(s->duration, 10 * SIM_MIN);
    CU_ASSERT_EQUAL(s->warmup, 0);
    CU_ASSERT_EQUAL(s->replications, 1);
    CU_ASSERT_STRING_EQUAL(s->proto->name, "none");
    CU_ASSERT_EQUAL(s->topo.kind, SCN_TOPO_STAR);
    CU_ASSERT_EQUAL(s->topo.sources, 5);
    CU_ASSERT_EQUAL(s->topo.smart_objects, 1);
    CU_ASSERT_EQUAL(s->topo.subscribers, 0);
    CU_ASSERT_EQUAL(s->topo.require_connected, 0);
    CU_ASSERT_EQUAL(s->topo.n_nodes, 0);
    CU_ASSERT_PTR_NULL(s->topo.nodes);
    CU_ASSERT_EQUAL(s->topo.n_links, 0);
    check_link(&s->topo.link, SIM_MS, 250e3, 0, 0);
    check_link(&s->topo.backbone, 10 * SIM_MS, 100e6, 0, 0);
    check_link(&s->topo.access, 20 * SIM_MS, 10e6, 0, 0);
    check_dist(&s->traffic.interval, "exp(60s)");
    check_dist(&s->traffic.size, "const(64B)");
    CU_ASSERT_EQUAL(s->traffic.start, 0);
    check_dist(&s->traffic.register_at, "const(0s)");
    CU_ASSERT_EQUAL(s->traffic.register_retry, 30 * SIM_S);
    CU_ASSERT_EQUAL(s->topo_line, 5);   /* the mapping under topology: */
    CU_ASSERT_EQUAL(s->topo_col, 3);
    CU_ASSERT_EQUAL_FATAL(s->traffic.n_topics, 1);
    CU_ASSERT_STRING_EQUAL(s->traffic.topics[0], "kmsim/{id}/data");
    check_dist(&s->so.service, "exp(2.5s)");
    CU_ASSERT_EQUAL(s->so.queue_capacity, 0);
    check_dist(&s->so.publish, "const(0s)");
    CU_ASSERT_EQUAL_FATAL(s->subs.n_filters, 1);
    CU_ASSERT_STRING_EQUAL(s->subs.filters[0], "#");
    CU_ASSERT_EQUAL(s->n_attackers, 0);
    check_default_profiles(s);
    scn_free(s);

    s = load(GOOD "/grid.yaml", NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->topo.kind, SCN_TOPO_GRID);
    CU_ASSERT_EQUAL(s->topo.columns, 4);            /* ceil(sqrt(10)) */
    CU_ASSERT_EQUAL(s->topo.spacing, 25.0);
    CU_ASSERT_EQUAL(s->topo.require_connected, 1);
    check_dist(&s->traffic.size, "uniform(16B,64KiB)");
    check_dist(&s->so.service, "const(1s)");
    scn_free(s);

    s = load(GOOD "/tree.yaml", NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->seed, UINT64_MAX);
    CU_ASSERT_EQUAL(s->duration, 90 * SIM_MIN);
    CU_ASSERT_EQUAL(s->topo.fanout, 4);
    CU_ASSERT_EQUAL(s->topo.smart_objects, 2);
    CU_ASSERT_EQUAL(s->topo.subscribers, 3);
    check_link(&s->topo.backbone, 2 * SIM_MS, 100e6, 0, 0);
    check_link(&s->topo.access, 20 * SIM_MS, 54e6, 0, 0);
    scn_free(s);

    s = load(GOOD "/random_geometric.yaml", NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->topo.kind, SCN_TOPO_RANDOM_GEOMETRIC);
    CU_ASSERT_EQUAL(s->topo.area[0], 1000.0);
    CU_ASSERT_EQUAL(s->topo.area[1], 1000.0);
    CU_ASSERT_EQUAL(s->topo.range, 120.0);
    CU_ASSERT_EQUAL(s->topo.fanout, 0);   /* not this generator's key */
    check_link(&s->topo.link, 5 * SIM_MS, 250e3, 0.01, 0);
    check_dist(&s->traffic.size, "lognormal(1KiB,256B)");
    CU_ASSERT_EQUAL_FATAL(s->n_attackers, 2);
    CU_ASSERT_EQUAL_FATAL(s->attackers[1].n_targets, 2);
    CU_ASSERT_EQUAL(s->attackers[1].targets[1], 1023);  /* an index */
    CU_ASSERT_EQUAL(s->attackers[1].count, 10);
    scn_free(s);

    /* explicit topologies must be connected unless told otherwise */
    {
        static const char text[] =
            "name: x\nduration: 1s\ntopology:\n  generator: explicit\n"
            "  nodes: [{id: 0, role: smart_object}, {id: 1, role: source}]\n"
            "  links: [{a: 1, b: 0}]\n";
        s = scn_load_buffer("x", text, sizeof text - 1, NULL, 0, err,
                            sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(s->topo.require_connected, 1);
        CU_ASSERT_EQUAL(s->topo.n_links, 1);
        scn_free(s);
    }
}

/* ---- bad files -------------------------------------------------------- */

static void test_bad_files(void)
{
    FILE *f = fopen(BAD "/EXPECTED", "r");
    static char names[512][1024];
    char line[1024];
    size_t n = 0;
    DIR *dir;
    struct dirent *e;

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    while (fgets(line, sizeof line, f)) {
        char path[2048], want[4096], *sp, *msg;
        scenario *s;

        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        sp = strchr(line, ' ');
        CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
        *sp = '\0';
        msg = sp + 1;
        CU_ASSERT_FATAL(n < 512);
        snprintf(names[n++], sizeof names[0], "%s", line);
        snprintf(path, sizeof path, "%s/%s", BAD, line);
        /* "12:3: text" belongs to the file itself; "other.yaml:1:2: text"
         * to a file it refers to, in the same folder */
        if (msg[0] >= '0' && msg[0] <= '9')
            snprintf(want, sizeof want, "%s:%s", path, msg);
        else
            snprintf(want, sizeof want, "%s/%s", BAD, msg);
        err[0] = '\0';
        s = scn_load(path, NULL, 0, err, sizeof err);
        if (s) {
            /* an error only the built topology shows (a bad move): the
             * world reports it, as `kmsim validate` and `run` do */
            CU_ASSERT_EQUAL(sim_run_check(s, err, sizeof err),
                            SIM_EXIT_INPUT);
            scn_free(s);
        }
        if (strcmp(err, want) != 0)
            fprintf(stderr, "\n  %s\n  got:      %s\n  expected: %s\n", line,
                    err, want);
        CU_ASSERT_STRING_EQUAL(err, want);
        CU_ASSERT_PTR_NULL(strchr(err, '\n'));
    }
    fclose(f);
    CU_ASSERT(n >= 30);

    /* every bad file is listed */
    dir = opendir(BAD);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    while ((e = readdir(dir)))
        if (ends_with(e->d_name, ".yaml")) {
            if (!listed(names, n, e->d_name))
                fprintf(stderr, "\n  %s is not in EXPECTED\n", e->d_name);
            CU_ASSERT(listed(names, n, e->d_name));
        }
    closedir(dir);
}

/* ---- moves ------------------------------------------------------------ */

static void check_mark(const scn_mark *m, unsigned line, unsigned col,
                       int ovr)
{
    CU_ASSERT_EQUAL(m->line, line);
    CU_ASSERT_EQUAL(m->col, col);
    CU_ASSERT_EQUAL(m->ovr, ovr);
}

/* moves: ids become node indices, the list is sorted by (at, file order)
 * and every entry keeps where it was written. */
static void test_moves(void)
{
    scenario *s = load(GOOD "/moves.yaml", NULL, 0);
    const scn_move *mv;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->n_moves, 3);
    mv = s->moves;
    /* 10min: entry 1 (40 -> 10) before entry 2 (30 -> 20), file order */
    CU_ASSERT_EQUAL(mv[0].at, 10 * SIM_MIN);
    CU_ASSERT_EQUAL(mv[0].node, 3);
    CU_ASSERT_EQUAL(mv[0].to, 0);
    CU_ASSERT_EQUAL(mv[0].ord, 1);
    check_mark(&mv[0].entry, 14, 5, -1);
    check_mark(&mv[0].node_mark, 14, 12, -1);
    check_mark(&mv[0].to_mark, 14, 31, -1);
    CU_ASSERT_EQUAL(mv[1].at, 10 * SIM_MIN);
    CU_ASSERT_EQUAL(mv[1].node, 2);
    CU_ASSERT_EQUAL(mv[1].to, 1);
    CU_ASSERT_EQUAL(mv[1].ord, 2);
    check_mark(&mv[1].entry, 15, 5, -1);      /* a block mapping */
    check_mark(&mv[1].node_mark, 15, 11, -1);
    check_mark(&mv[1].to_mark, 17, 9, -1);
    CU_ASSERT_EQUAL(mv[2].at, 30 * SIM_MIN);
    CU_ASSERT_EQUAL(mv[2].node, 2);
    CU_ASSERT_EQUAL(mv[2].to, 0);
    CU_ASSERT_EQUAL(mv[2].ord, 0);
    check_mark(&mv[2].entry, 13, 5, -1);
    scn_free(s);

    /* no section, or an empty list: no moves */
    s = load(GOOD "/minimal.yaml", NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->n_moves, 0);
    scn_free(s);
    {
        const char *ov[] = {"moves=[]"};
        s = load(GOOD "/minimal.yaml", ov, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(s->n_moves, 0);
        scn_free(s);
    }
}

/* --set grafts moves like any other section; an entry or value written by
 * an override is reported as that flag, by the loader and, through
 * scn_error_at, by the world. */
static void test_moves_override(void)
{
    const char *ov1[] = {"moves=[{node: 2, at: 90s, to: 1}, "
                         "{node: 3, at: 1min, to: 0}]"};
    const char *ov2[] = {"moves.0.at=5min", "moves.2.to=20"};
    const char *m = GOOD "/minimal.yaml", *mv = GOOD "/moves.yaml";
    scenario *s;
    char e[256];

    s = load(m, ov1, 1);               /* star: SO 0, sources 1..5 */
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->n_moves, 2);
    CU_ASSERT_EQUAL(s->moves[0].node, 3);
    CU_ASSERT_EQUAL(s->moves[0].at, SIM_MIN);
    CU_ASSERT_EQUAL(s->moves[1].node, 2);
    CU_ASSERT_EQUAL(s->moves[0].entry.ovr, 0);
    CU_ASSERT_EQUAL(s->moves[1].to_mark.ovr, 0);
    scn_error_at(s, &s->moves[1].to_mark, e, sizeof e, "bad %d", 7);
    /* the flag quoted as the loader quotes it: cut at 60 bytes */
    CU_ASSERT_STRING_EQUAL(e, "--set moves=[{node: 2, at: 90s, to: 1}, "
                           "{node: 3, at: 1min, to: 0}...: bad 7");
    scn_free(s);

    s = load(mv, ov2, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->n_moves, 3);
    /* entry 0 now at 5min comes first; entry 2's `to` came from --set 1,
     * its node from the file */
    CU_ASSERT_EQUAL(s->moves[0].ord, 0);
    CU_ASSERT_EQUAL(s->moves[0].at, 5 * SIM_MIN);
    CU_ASSERT_EQUAL(s->moves[2].ord, 2);
    CU_ASSERT_EQUAL(s->moves[2].to_mark.ovr, 1);
    CU_ASSERT_EQUAL(s->moves[2].node_mark.ovr, -1);
    scn_error_at(s, &s->moves[2].to_mark, e, sizeof e, "x");
    CU_ASSERT_STRING_EQUAL(e, "--set moves.2.to=20: x");
    scn_error_at(s, &s->moves[2].node_mark, e, sizeof e, "y");
    CU_ASSERT_STRING_EQUAL(e, GOOD "/moves.yaml:15:11: y");
    scn_error_at(s, &s->moves[2].node_mark, NULL, 0, "no buffer");
    scn_free(s);

    /* a missing path is created as mappings: not a list */
    expect_err(m, "moves.0.at=1s", "--set moves.0.at=1s: expected a list for "
               "'moves', got a mapping");
    expect_err(mv, "moves.1.at=-1s", "--set moves.1.at=-1s: 'at' must be >= "
               "0s and <= 438000h, got '-1s'");
    expect_err(mv, "moves.1.at=2h", "--set moves.1.at=2h: 'at' (2h) must be "
               "less than 'duration' (1h)");
    expect_err(mv, "moves.3.at=1s", "--set moves.3.at=1s: index 3 out of "
               "range for 'moves' (3 entries)");
    expect_err(mv, "moves.0.to=50", "--set moves.0.to=50: no node with id "
               "50");
    expect_err(m, "moves=[{node: 1, at: 1s, to: 6}]", "--set moves=[{node: "
               "1, at: 1s, to: 6}]: no node 6 (node indices are 0 to 5)");
    expect_err(m, "moves=[{node: 1, at: 1s}]", "--set moves=[{node: 1, at: "
               "1s}]: missing required key 'to' in moves[0]");
    expect_err(mv, "moves.1={node: 30}", "--set moves.1={node: 30}: missing "
               "required key 'at' in moves[1]");
}

/* At most SCN_MAX_MOVES entries: one more is refused at the list, before
 * any entry is read. */
static void test_moves_limit(void)
{
    static const char head[] =
        "name: big\nduration: 1h\ntopology: {generator: star, sources: 1}\n"
        "moves: [";
    size_t n = SCN_MAX_MOVES + 1, len = sizeof head - 1 + 2 * n + 2;
    char *buf = malloc(len + 1), *p;
    scenario *s;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memcpy(buf, head, sizeof head - 1);
    p = buf + sizeof head - 1;
    for (size_t i = 0; i < n; i++) {
        *p++ = '0';
        *p++ = ',';
    }
    p[-1] = ']';
    *p++ = '\n';
    *p = '\0';
    s = scn_load_buffer("big", buf, (size_t)(p - buf), NULL, 0, err,
                        sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "big:4:8: 'moves' must have at most 1048576 "
                           "entries");
    scn_free(s);
    free(buf);
}

/* ---- overrides -------------------------------------------------------- */

static void test_override_values(void)
{
    const char *ov1[] = {"duration=2h", "seed=7", "traffic.interval=exp(5s)",
                         "topology.backbone.loss=0.5"};
    const char *ov2[] = {"topology.area=[500m, 2km]",
                         "traffic.topics=[a/b, \"c/{id}\"]",
                         "attackers.1.nodes=[5]"};
    const char *ov3[] = {"attackers.1.count=3",
                         "topology.nodes.3.pos=[1m, 2m]",
                         "topology.links.1={a: 7, b: 20}",
                         "profiles.sensor.hash.fixed=1ms", "seed="};
    const char *ov4[] = {"topology.backbone.latency=7ms",
                         "traffic.interval=exp(1s)"};
    scenario *s;

    /* replace a scalar, add missing keys and a missing section */
    s = load(GOOD "/minimal.yaml", ov1, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->duration, 2 * SIM_HOUR);
    CU_ASSERT_EQUAL(s->seed, 7);
    check_dist(&s->traffic.interval, "exp(5s)");
    CU_ASSERT_EQUAL(s->topo.backbone.loss, 0.5);
    CU_ASSERT_EQUAL(s->topo.backbone.latency, 10 * SIM_MS);
    CU_ASSERT_EQUAL_FATAL(s->n_overrides, 4);
    CU_ASSERT_STRING_EQUAL(s->overrides[2].path, "traffic.interval");
    CU_ASSERT_STRING_EQUAL(s->overrides[2].value, "exp(5s)");
    CU_ASSERT_STRING_EQUAL(s->overrides[3].path, "topology.backbone.loss");
    scn_free(s);

    /* list values */
    s = load(GOOD "/random_geometric.yaml", ov2, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->topo.area[0], 500.0);
    CU_ASSERT_EQUAL(s->topo.area[1], 2000.0);
    CU_ASSERT_EQUAL_FATAL(s->traffic.n_topics, 2);
    CU_ASSERT_STRING_EQUAL(s->traffic.topics[1], "c/{id}");
    CU_ASSERT_EQUAL_FATAL(s->attackers[1].n_targets, 1);
    CU_ASSERT_EQUAL(s->attackers[1].targets[0], 5);
    scn_free(s);

    /* indices into sequences; an empty value is null = the default */
    s = load(GOOD "/full_explicit.yaml", ov3, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->attackers[1].count, 3);
    CU_ASSERT_EQUAL(s->topo.nodes[3].x, 1.0);
    CU_ASSERT_EQUAL(s->topo.nodes[3].y, 2.0);
    CU_ASSERT_EQUAL(s->topo.links[1].a, 3);
    CU_ASSERT_EQUAL(s->topo.links[1].b, 1);
    check_link(&s->topo.links[1].p, 5 * SIM_MS, 1e6, 0.01, 2048);
    CU_ASSERT_EQUAL(s->profiles[SCN_DEV_SENSOR].op_fixed[SCN_OP_HASH],
                    SIM_MS);
    CU_ASSERT_EQUAL(s->profiles[SCN_DEV_SENSOR].op_fixed[SCN_OP_SEAL],
                    80 * SIM_US);
    CU_ASSERT_EQUAL(s->seed, 1);
    scn_free(s);

    /* backbone and access are one aliased mapping: only backbone moves */
    s = load(GOOD "/anchors.yaml", ov4, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    check_link(&s->topo.backbone, 7 * SIM_MS, 1e9, 0, 0);
    check_link(&s->topo.access, SIM_MS, 1e9, 0, 0);
    check_dist(&s->traffic.interval, "exp(1s)");
    check_dist(&s->so.service, "exp(10s)");   /* the alias keeps its value */
    scn_free(s);
}

static void test_override_errors(void)
{
    const char *const many[300] = {0};
    const char *m = GOOD "/minimal.yaml", *fe = GOOD "/full_explicit.yaml";
    char deep[200];
    scenario *s;

    expect_err(m, "duration=5", "--set duration=5: invalid 'duration': "
               "missing time unit in '5' (use ns, us, ms, s, min, h)");
    expect_err(m, "topology.sources=0", "--set topology.sources=0: 'sources' "
               "must be between 1 and 16777216, got '0'");
    expect_err(m, "topology.foo=5",
               "--set topology.foo=5: unknown key 'foo' in topology");
    expect_err(m, "traffic.colour=red",
               "--set traffic.colour=red: unknown key 'colour' in traffic");
    expect_err(m, "topology.range=10m", "--set topology.range=10m: key "
               "'range' does not apply to generator 'star'");
    expect_err(m, "topology=star", "--set topology=star: expected a mapping "
               "for 'topology', got 'star'");
    expect_err(m, "topology={generator: star}", "--set topology={generator: "
               "star}: missing required key 'sources' in topology");
    expect_err(m, "profiles.sensor.seal.fixed=-1us", "--set "
               "profiles.sensor.seal.fixed=-1us: 'fixed' must be >= 0s and "
               "<= 1h, got '-1us'");
    expect_err(fe, "attackers.9.count=1", "--set attackers.9.count=1: index "
               "9 out of range for 'attackers' (6 entries)");
    expect_err(fe, "attackers.6=1", "--set attackers.6=1: index 6 out of "
               "range for 'attackers' (6 entries)");
    expect_err(fe, "attackers.x.count=1", "--set attackers.x.count=1: "
               "'attackers' is a list; expected an index, got 'x'");
    expect_err(fe, "topology.nodes.0.id=20", GOOD "/full_explicit.yaml:16:12: "
               "duplicate node id 20 (first defined by --set "
               "topology.nodes.0.id=20)");
    expect_err(fe, "topology.nodes.2.id=20", "--set topology.nodes.2.id=20: "
               "duplicate node id 20 (first defined at line 16)");
    expect_err(fe, "topology.links.0.a=99", "--set topology.links.0.a=99: "
               "link to missing node 99");
    expect_err(m, "name.x=1", "--set name.x=1: 'name' is not a mapping or a "
               "list");
    expect_err(fe, "topology.link.latency.x=1", "--set "
               "topology.link.latency.x=1: 'topology.link.latency' is not a "
               "mapping or a list");
    /* on a missing path the mappings are created, then validated */
    expect_err(m, "topology.link.latency.x=1", "--set "
               "topology.link.latency.x=1: expected a time for 'latency', got "
               "a mapping");
    expect_err(m, "topology.area=[1m", "--set topology.area=[1m: did not "
               "find expected ',' or ']' (while parsing a flow sequence at "
               "1:1)");
    expect_err(m, "abc", "--set abc: expected path=value");
    expect_err(m, "=5", "--set =5: expected path=value");
    expect_err(m, "a..b=1", "--set a..b=1: expected path=value");
    expect_err(m, ".a=1", "--set .a=1: expected path=value");
    expect_err(m, "a.=1", "--set a.=1: expected path=value");
    memset(deep, 0, sizeof deep);
    strcpy(deep, "x=");
    memset(deep + 2, '[', 70);
    memset(deep + 72, ']', 70);
    {
        /* the flag is quoted on one line, cut at 60 bytes */
        char want[256];
        snprintf(want, sizeof want,
                 "--set %.60s...: nesting deeper than 64 levels", deep);
        expect_err(m, deep, want);
    }
    /* errors in the file are still file:line:col with overrides around */
    {
        const char *ov[] = {"seed=3"};
        /* an override replaces a bad value before it is checked */
        s = scn_load(BAD "/seed_word.yaml", ov, 1, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL(s);
        if (s)
            CU_ASSERT_EQUAL(s->seed, 3);
        scn_free(s);
        s = scn_load(BAD "/duration_zero.yaml", ov, 1, err, sizeof err);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_STRING_EQUAL(err, BAD "/duration_zero.yaml:2:11: "
                               "'duration' must be > 0s and <= 438000h, got "
                               "'0s'");
    }
    s = scn_load(m, many, 300, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "--set: too many overrides (300, limit 256)");
}

static void test_hash(void)
{
    const char *ov_a[] = {"seed=7"}, *ov_b[] = {"seed=8"};
    const char *ov_ab[] = {"seed=7", "duration=1h"};
    scenario *s0 = load(GOOD "/minimal.yaml", NULL, 0);
    scenario *s1 = load(GOOD "/minimal.yaml", ov_a, 1);
    scenario *s1b = load(GOOD "/minimal.yaml", ov_a, 1);
    scenario *s2 = load(GOOD "/minimal.yaml", ov_b, 1);
    scenario *s3 = load(GOOD "/minimal.yaml", ov_ab, 2);
    unsigned char want[CRY_HASH_BYTES], *bytes;
    cry_hash_state st;
    size_t len = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s1b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s3);
    CU_ASSERT(memcmp(s0->hash, s1->hash, CRY_HASH_BYTES) != 0);
    CU_ASSERT(memcmp(s1->hash, s2->hash, CRY_HASH_BYTES) != 0);
    CU_ASSERT(memcmp(s1->hash, s3->hash, CRY_HASH_BYTES) != 0);
    CU_ASSERT(memcmp(s1->hash, s1b->hash, CRY_HASH_BYTES) == 0);
    /* file bytes, then per override: 0 byte, path, '=', value */
    bytes = slurp(GOOD "/minimal.yaml", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
    cry_hash_init(&st);
    cry_hash_update(&st, bytes, len);
    cry_hash_update(&st, "\0seed=7", 7);
    cry_hash_final(&st, want);
    CU_ASSERT(memcmp(want, s1->hash, CRY_HASH_BYTES) == 0);
    free(bytes);
    scn_free(s0);
    scn_free(s1);
    scn_free(s1b);
    scn_free(s2);
    scn_free(s3);
}

/* ---- smart_object.rekey_spread (kmsim extension, issue 22) ---------------- */

static void test_rekey_offset(void)
{
    sim_time big = SCN_MAX_DURATION;

    CU_ASSERT_EQUAL(scn_rekey_offset(0, 5, 10), 0);
    CU_ASSERT_EQUAL(scn_rekey_offset(60 * SIM_S, 0, 10), 0);
    CU_ASSERT_EQUAL(scn_rekey_offset(60 * SIM_S, 1, 10), 6 * SIM_S);
    CU_ASSERT_EQUAL(scn_rekey_offset(60 * SIM_S, 9, 10), 54 * SIM_S);
    CU_ASSERT_EQUAL(scn_rekey_offset(60 * SIM_S, 3, 0), 0);   /* no SO */
    /* floor, exact: 10 ns over 3 SOs -> 0, 3, 6 */
    CU_ASSERT_EQUAL(scn_rekey_offset(10, 1, 3), 3);
    CU_ASSERT_EQUAL(scn_rekey_offset(10, 2, 3), 6);
    /* 50 years over 2^24 SOs: no overflow, below the spread, increasing */
    {
        uint32_t n = 1u << 24;
        sim_time a = scn_rekey_offset(big, n - 2, n);
        sim_time b = scn_rekey_offset(big, n - 1, n);
        CU_ASSERT_TRUE(a > 0 && a < b && b < big);
        CU_ASSERT_TRUE(big - b <= big / n + 1);
        CU_ASSERT_EQUAL(scn_rekey_offset(big, n / 2, n), big / 2);
    }
}

static void test_rekey_min_gap(void)
{
    const sim_time at1[] = {6 * SIM_MIN};
    const sim_time at3[] = {9 * SIM_MIN, 2 * SIM_MIN, 5 * SIM_MIN};
    const sim_time dup[] = {3 * SIM_MIN, 3 * SIM_MIN, 4 * SIM_MIN};
    const sim_time mix[] = {10 * SIM_MIN + 30 * SIM_S};
    const sim_time early[] = {8 * SIM_MIN};
    const sim_time on[] = {20 * SIM_MIN};

    CU_ASSERT_EQUAL(scn_rekey_min_gap(0, NULL, 0), SIM_TIME_MAX);
    CU_ASSERT_EQUAL(scn_rekey_min_gap(0, at1, 1), SIM_TIME_MAX);
    CU_ASSERT_EQUAL(scn_rekey_min_gap(10 * SIM_MIN, NULL, 0), 10 * SIM_MIN);
    CU_ASSERT_EQUAL(scn_rekey_min_gap(0, at3, 3), 3 * SIM_MIN); /* unsorted */
    CU_ASSERT_EQUAL(scn_rekey_min_gap(0, dup, 3), SIM_MIN);  /* one round */
    CU_ASSERT_EQUAL(scn_rekey_min_gap(0, dup, 2), SIM_TIME_MAX);
    CU_ASSERT_EQUAL(scn_rekey_min_gap(10 * SIM_MIN, mix, 1), 30 * SIM_S);
    CU_ASSERT_EQUAL(scn_rekey_min_gap(10 * SIM_MIN, early, 1), 2 * SIM_MIN);
    CU_ASSERT_EQUAL(scn_rekey_min_gap(10 * SIM_MIN, on, 1), 10 * SIM_MIN);
}

static void test_rekey_spread_parse(void)
{
    static const char head[] =
        "name: sp\n"
        "duration: 20min\n"
        "protocol: {name: dini, rekey_every: 5min, rekey_at: [7min]}\n"
        "protocols:\n"
        "  pairwise: {rekey_at: [2min, 3min]}\n"
        "topology: {generator: star, sources: 4}\n"
        "smart_object: {service: exp(1s), rekey_spread: %s}\n";
    static const struct {
        const char *spread, *set, *msg;
    } bad[] = {
        {"2min", NULL, "sp:7:48: 'rekey_spread' (120s) must be less than "
         "the shortest time between two re-key rounds of protocol (120s, "
         "from its rekey_every and rekey_at): every smart object's round "
         "must start before any one's next round"},
        {"70s", NULL, "sp:7:48: 'rekey_spread' (70s) must be less than the "
         "shortest time between two re-key rounds of protocols.pairwise "
         "(60s, from its rekey_every and rekey_at): every smart object's "
         "round must start before any one's next round"},
        {"30s", "protocol.rekey_every=20s", "sp:7:48: 'rekey_spread' (30s) "
         "must be less than the shortest time between two re-key rounds of "
         "protocol (20s, from its rekey_every and rekey_at): every smart "
         "object's round must start before any one's next round"},
        {"1h", NULL, "sp:7:48: 'rekey_spread' (1h) must be less than "
         "'duration' (1200s)"},
        {"-1s", NULL, "sp:7:48: 'rekey_spread' must be >= 0s and <= "
         "438000h, got '-1s'"},
        {"3kg", NULL, NULL},
        {"10s", "smart_object.rekey_spread=1min", "--set "
         "smart_object.rekey_spread=1min: 'rekey_spread' (60s) must be "
         "less than the shortest time between two re-key rounds of "
         "protocols.pairwise (60s, from its rekey_every and rekey_at): "
         "every smart object's round must start before any one's next "
         "round"},
    };
    char text[1024];
    scenario *s;

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *const ov[] = {bad[i].set};
        int n = snprintf(text, sizeof text, head, bad[i].spread);
        s = scn_load_buffer("sp", text, (size_t)n, ov, bad[i].set ? 1 : 0,
                            err, sizeof err);
        CU_ASSERT_PTR_NULL(s);
        scn_free(s);
        if (bad[i].msg) {
            if (strcmp(err, bad[i].msg) != 0)
                fprintf(stderr, "\n  got:      %s\n  expected: %s\n", err,
                        bad[i].msg);
            CU_ASSERT_STRING_EQUAL(err, bad[i].msg);
        } else {
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "sp:7:48: invalid "
                                               "'rekey_spread'"));
        }
    }
    /* below every protocol's shortest gap (1 min): accepted */
    {
        int n = snprintf(text, sizeof text, head, "59s");
        s = scn_load_buffer("sp", text, (size_t)n, NULL, 0, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(s->so.rekey_spread, 59 * SIM_S);
        CU_ASSERT_EQUAL(s->so.rekey_spread_mark.line, 7);
        CU_ASSERT_EQUAL(s->so.rekey_spread_mark.col, 48);
        scn_free(s);
    }
    /* default: 0, the paper's simultaneous rounds */
    {
        static const char d[] = "name: d\nduration: 1min\ntopology: "
                                "{generator: star, sources: 2}\n";
        s = scn_load_buffer("mem", d, sizeof d - 1, NULL, 0, err,
                            sizeof err);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->so.rekey_spread, 0);
    scn_free(s);
}

/* ---- the registry the loader is handed (scn_registry_set) ----------- */

/* A stub registry of two fake protocols: the loader must find them, have
 * their options parsed and freed, and name them, only through it. */
typedef struct stub_opts {
    int64_t k;
    sim_time t;
} stub_opts;

static int stub_parsed, stub_freed;   /* calls through the registry */

static int stub_opts_parse(scn_map *m, void **out)
{
    stub_opts *o = calloc(1, sizeof *o);

    *out = o;
    if (scn_map_int(m, "k", 1, 0, 1, 10, &o->k) ||
        scn_map_time(m, "t", 0, 5 * SIM_S, SIM_S, SIM_HOUR, &o->t))
        return -1;
    return 0;
}

static const scn_proto_ops stub_ops = {
    .name = "stub", .summary = "registry test",
    .opts_parse = stub_opts_parse, .opts_free = free,
};
static const scn_proto_ops stub2_ops = {
    .name = "stub2", .summary = "registry test, second",
    .opts_parse = stub_opts_parse, .opts_free = free,
};

static const scn_proto_ops *stub_find(const char *name)
{
    return strcmp(name, "stub") == 0 ? &stub_ops
         : strcmp(name, "stub2") == 0 ? &stub2_ops : NULL;
}

static const char *stub_names(void)
{
    return "stub, stub2";
}

static const char *stub_name(const scn_proto_ops *ops)
{
    return ops->name;
}

static int stub_parse(const scn_proto_ops *ops, scn_map *m, void **opts)
{
    stub_parsed++;
    return ops->opts_parse(m, opts);
}

static void stub_free(const scn_proto_ops *ops, void *opts)
{
    if (ops && opts) {
        stub_freed++;
        ops->opts_free(opts);
    }
}

static const scn_registry stub_registry = {
    stub_find, stub_names, stub_name, stub_parse, stub_free,
};

static scenario *load_stub(const char *text, const char *protocol)
{
    return scn_load_buffer_as("mem", text, strlen(text), NULL, 0, protocol,
                              err, sizeof err);
}

static void test_registry(void)
{
    static const char text[] =
        "name: reg\nduration: 1min\n"
        "protocol: {name: stub, k: 7}\n"
        "protocols:\n"
        "  stub2: {k: 2, t: 1min}\n"
        "topology: {generator: star, sources: 2}\n";
    scn_axis ax;
    scenario *s;
    void *opts = NULL;
    int rc;

    scn_registry_set(&stub_registry);
    stub_parsed = stub_freed = 0;

    /* protocol.name and the block, found and parsed through the stub */
    s = load_stub(text, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_EQUAL(s->proto, &stub_ops);
    CU_ASSERT_EQUAL_FATAL(s->n_protos, 2);
    CU_ASSERT_PTR_EQUAL(s->protos[1], &stub2_ops);
    CU_ASSERT_EQUAL(((stub_opts *)s->proto_opts)->k, 7);
    CU_ASSERT_EQUAL(((stub_opts *)s->proto_opts)->t, 5 * SIM_S);
    CU_ASSERT_EQUAL(stub_parsed, 2);
    CU_ASSERT_EQUAL(stub_freed, 1);      /* stub2's block, validated only */
    scn_free(s);
    CU_ASSERT_EQUAL(stub_freed, 2);      /* scn_free, through the stub */

    /* as the other one: its block's options */
    s = load_stub(text, "stub2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_EQUAL(s->proto, &stub2_ops);
    CU_ASSERT_EQUAL(((stub_opts *)s->proto_opts)->k, 2);
    CU_ASSERT_EQUAL(((stub_opts *)s->proto_opts)->t, SIM_MIN);
    scn_free(s);
    CU_ASSERT_EQUAL(stub_freed, stub_parsed);   /* nothing leaked */

    /* the registry's names, not the built-in ones */
    CU_ASSERT_PTR_NULL(load_stub(text, "dini"));
    CU_ASSERT_STRING_EQUAL(err, "mem: unknown protocol 'dini' (known: "
                           "stub, stub2)");
    CU_ASSERT_PTR_NULL(load_stub("name: reg\nduration: 1min\n"
                                 "protocol: none\n"
                                 "topology: {generator: star, sources: 2}\n",
                                 NULL));
    CU_ASSERT_STRING_EQUAL(err, "mem:3:11: unknown protocol 'none' (known: "
                           "stub, stub2)");
    /* an option's error and an unknown key, named through the stub */
    CU_ASSERT_PTR_NULL(load_stub("name: reg\nduration: 1min\n"
                                 "protocol: {name: stub, k: 11}\n"
                                 "topology: {generator: star, sources: 2}\n",
                                 NULL));
    CU_ASSERT_STRING_EQUAL(err, "mem:3:27: 'k' must be between 1 and 10, "
                           "got '11'");
    CU_ASSERT_PTR_NULL(load_stub("name: reg\nduration: 1min\n"
                                 "protocol: {name: stub, k: 1}\n"
                                 "protocols: {stub2: {k: 1, x: 1}}\n"
                                 "topology: {generator: star, sources: 2}\n",
                                 NULL));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key 'x' in protocols.stub2"));
    CU_ASSERT_EQUAL(stub_freed, stub_parsed);
    CU_ASSERT_EQUAL(scn_axis_parse("protocol.name=stub2,stub", &ax, err,
                                   sizeof err), 0);
    scn_axis_free(&ax);
    CU_ASSERT_EQUAL(scn_axis_parse("protocol.name=stub,dini", &ax, err,
                                   sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "--vary protocol.name=stub,dini: unknown "
                           "protocol 'dini' (known: stub, stub2)");

    /* options on their own, through a given registry */
    rc = scn_opts_parse_buffer(&stub_registry, &stub_ops, "opts", "{k: 3}",
                               &opts, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(((stub_opts *)opts)->k, 3);
    stub_free(&stub_ops, opts);
    rc = scn_opts_parse_buffer(&stub_registry, &stub_ops, "opts", "{j: 3}",
                               &opts, err, sizeof err);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NULL(opts);
    CU_ASSERT_STRING_EQUAL(err, "opts:1:1: missing required key 'k' in "
                           "protocol");
    CU_ASSERT_EQUAL(stub_freed, stub_parsed);

    /* no registry: one line, never a crash */
    scn_registry_set(NULL);
    CU_ASSERT_PTR_NULL(load_stub(text, NULL));
    CU_ASSERT_STRING_EQUAL(err, "mem: no protocol registry "
                           "(scn_registry_set not called)");
    CU_ASSERT_PTR_NULL(load_stub(text, "stub"));
    CU_ASSERT_STRING_EQUAL(err, "mem: no protocol registry "
                           "(scn_registry_set not called)");
    CU_ASSERT_PTR_NULL(scn_load(GOOD "/minimal.yaml", NULL,
                                0, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "minimal.yaml: no protocol registry "
                                       "(scn_registry_set not called)"));
    CU_ASSERT_EQUAL(scn_axis_parse("protocol.name=stub", &ax, err,
                                   sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "--vary protocol.name=stub: no protocol "
                           "registry (scn_registry_set not called)");
    opts = (void *)1;
    CU_ASSERT_EQUAL(scn_opts_parse_buffer(NULL, &stub_ops, "opts", "{k: 3}",
                                          &opts, err, sizeof err), -1);
    CU_ASSERT_PTR_NULL(opts);
    CU_ASSERT_STRING_EQUAL(err, "opts: no protocol registry "
                           "(scn_registry_set not called)");

    /* the built-in registry again, for the tests after this one */
    sim_proto_use();
    s = load_stub("name: reg\nduration: 1min\nprotocol: {name: dini}\n"
                  "topology: {generator: star, sources: 2}\n", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_EQUAL(s->proto, &sim_proto_dini);
    scn_free(s);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("scenario", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_good_files);
    CUTEST_ADD(s, test_full_explicit);
    CUTEST_ADD(s, test_defaults);
    CUTEST_ADD(s, test_bad_files);
    CUTEST_ADD(s, test_moves);
    CUTEST_ADD(s, test_defences);
    CUTEST_ADD(s, test_aead);
    CUTEST_ADD(s, test_moves_override);
    CUTEST_ADD(s, test_moves_limit);
    CUTEST_ADD(s, test_override_values);
    CUTEST_ADD(s, test_override_errors);
    CUTEST_ADD(s, test_hash);
    CUTEST_ADD(s, test_missing_file);
    CUTEST_ADD(s, test_file_too_large);
    CUTEST_ADD(s, test_reader_positions);
    CUTEST_ADD(s, test_alias_limits);
    CUTEST_ADD(s, test_explicit_whole);
    CUTEST_ADD(s, test_buffer);
    CUTEST_ADD(s, test_reader_api);
    CUTEST_ADD(s, test_protocol_blocks);
    CUTEST_ADD(s, test_large_explicit);
    CUTEST_ADD(s, test_hostile_input);
    CUTEST_ADD(s, test_alias_cycle);
    CUTEST_ADD(s, test_never_effective);
    CUTEST_ADD(s, test_hostile_fixes);
    CUTEST_ADD(s, test_rekey_offset);
    CUTEST_ADD(s, test_rekey_min_gap);
    CUTEST_ADD(s, test_rekey_spread_parse);
    CUTEST_ADD(s, test_registry);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
