/* test_sweep.c — kmsim sweep: expansion (odometer order, ranges, units,
 * --vary, --protocols), bad input named at file:line:column or the flag,
 * seed derivation, --only/--where; in test_sweep_run.c --jobs 1 = --jobs 2
 * = kmsim run, resume (after --only, from a torn or padded journal), a
 * crashed worker, and the suite "found bugs" with the tests of the bugs
 * this program found (each failed before its fix).  Scenarios are tiny
 * stars written to a temporary directory (helpers shared by both files in
 * sweep_t.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cutest.h"
#include "sweep.h"
#include "run.h"
#include "scenario.h"
#include "cry.h"
#include "sweep_t.h"
#include "proto.h"

char tmpdir[] = "/tmp/kmsim-test-sweep.XXXXXX";

/* A random geometric topology, for list-valued paths (topology.area). */
static const char rg_yaml[] =
    "name: rg\n"
    "seed: 3\n"
    "duration: 1min\n"
    "replications: 1\n"
    "protocol: none\n"
    "topology:\n"
    "  generator: random_geometric\n"
    "  sources: 3\n"
    "  smart_objects: 1\n"
    "  area: [50m, 50m]\n"
    "  range: 200m\n"
    "traffic:\n"
    "  interval: exp(10s)\n"
    "  size: 32B\n";

/* ---- helpers ------------------------------------------------------------ */

/* "line:col" (1-based) of the first `marker` in file `path`. */
static void pos_of(const char *path, const char *marker, char *out,
                   size_t len)
{
    size_t n;
    char *text = slurp(path, &n), *at;
    unsigned line = 1, col = 1;

    CU_ASSERT_FATAL(text != NULL);
    at = strstr(text, marker);
    CU_ASSERT_FATAL(at != NULL);
    for (char *c = text; c < at; c++) {
        if (*c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(out, len, "%u:%u", line, col);
    free(text);
}

static sim_sweep *expand_ok(const sim_sweep_opts *o)
{
    char err[1024] = "";
    sim_sweep *s = sim_sweep_expand(o, err, sizeof err);

    if (!s)
        fprintf(stderr, "\nexpand failed: %s\n", err);
    return s;
}

/* The sweep section `sweep` must be refused with "<file>:<line>:<col>: msg"
 * where line:col is the first `marker` in the file. */
static int expect_file_error(const char *name, const char *base,
                             const char *sweep, const char *marker,
                             const char *msg)
{
    const char *path = scn_write(name, base, sweep);
    sim_sweep_opts o = opts_for(path);
    char pos[32], prefix[1024];

    pos_of(path, marker, pos, sizeof pos);
    snprintf(prefix, sizeof prefix, "%s:%s: %s", path, pos, msg);
    return expect_error(&o, prefix);
}

/* The values of axis `path` over the configurations, joined with '|'. */
static void axis_values(const sim_sweep *s, const char *path, char *out,
                        size_t len)
{
    sim_sweep_point pt;
    size_t used = 0, last = SIZE_MAX;

    out[0] = '\0';
    for (size_t i = 0; i < sim_sweep_npoints(s); i++) {
        const char *v;
        sim_sweep_point_info(s, i, &pt);
        if (pt.config == last)
            continue;
        last = pt.config;
        v = sim_sweep_value(s, i, path);
        used += (size_t)snprintf(out + used, len - used, "%s%s",
                                 used ? "|" : "", v ? v : "(null)");
        if (used >= len)
            return;
    }
}

/* Expands `sweep` (one replication) and compares the values of `path`. */
static void check_axis(const char *name, const char *base, const char *sweep,
                       const char *path, const char *want)
{
    const char *file = scn_write(name, base, sweep);
    sim_sweep_opts o = opts_for(file);
    sim_sweep *s;
    char got[2048];

    o.replications = 1;
    s = expand_ok(&o);
    CU_ASSERT_FATAL(s != NULL);
    axis_values(s, path, got, sizeof got);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "\n  %s: axis %s: got '%s', want '%s'\n", name,
                path, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    sim_sweep_free(s);
}

/* The selected points of o (--list output), as "0,3,5". */
static void listed(sim_sweep_opts o, char *out, size_t len)
{
    FILE *f = tmpfile();
    char line[4096], err[1024];
    size_t used = 0;
    sim_sweep *s;

    out[0] = '\0';
    CU_ASSERT_FATAL(f != NULL);
    o.list = 1;
    s = sim_sweep_expand(&o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "\nexpand failed: %s\n", err);
        snprintf(out, len, "error");
        fclose(f);
        return;
    }
    CU_ASSERT_EQUAL(sim_sweep_run(s, f, err, sizeof err), SIM_EXIT_OK);
    rewind(f);
    CU_ASSERT(fgets(line, sizeof line, f) != NULL);   /* the header */
    CU_ASSERT(strncmp(line, "point\tconfig\treplication\tseed\tprotocol",
                      38) == 0);
    while (fgets(line, sizeof line, f))
        used += (size_t)snprintf(out + used, len - used, "%s%ld",
                                 used ? "," : "", strtol(line, NULL, 10));
    fclose(f);
    sim_sweep_free(s);
}

/* ---- expansion ---------------------------------------------------------- */

static const char order_sweep[] =
    "  topology.sources: [2, 3]\n"
    "  traffic.size: {from: 32B, to: 96B, step: 32B}\n"
    "  smart_object.service: [exp(10ms), exp(20ms)]\n";

/* Odometer order, the last axis fastest, replications innermost; seeds
 * sim_run_seed(scenario seed, replication). */
static void test_expand_order(void)
{
    static const char *src[] = {"2", "3"}, *size[] = {"32B", "64B", "96B"},
                      *svc[] = {"exp(10ms)", "exp(20ms)"};
    const char *file = scn_write("order", base_yaml, order_sweep);
    sim_sweep_opts o = opts_for(file);
    sim_sweep *s = expand_ok(&o);

    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(sim_sweep_nconfigs(s), 12);
    CU_ASSERT_EQUAL_FATAL(sim_sweep_npoints(s), 24);
    for (size_t i = 0; i < 24; i++) {
        sim_sweep_point pt;
        size_t c = i / 2;
        const char *v;

        sim_sweep_point_info(s, i, &pt);
        CU_ASSERT_EQUAL(pt.config, c);
        CU_ASSERT_EQUAL(pt.replication, i % 2);
        CU_ASSERT_EQUAL(pt.seed, sim_run_seed(5, (uint32_t)(i % 2)));
        CU_ASSERT_STRING_EQUAL(pt.protocol, "dini");
        v = sim_sweep_value(s, i, "topology.sources");
        CU_ASSERT(v && strcmp(v, src[c / 6]) == 0);
        v = sim_sweep_value(s, i, "traffic.size");
        CU_ASSERT(v && strcmp(v, size[(c / 2) % 3]) == 0);
        v = sim_sweep_value(s, i, "smart_object.service");
        CU_ASSERT(v && strcmp(v, svc[c % 2]) == 0);
        CU_ASSERT_PTR_NULL(sim_sweep_value(s, i, "topology.subscribers"));
        CU_ASSERT_PTR_NULL(sim_sweep_value(s, i, "protocol.name"));
    }
    sim_sweep_free(s);

    /* --replications 3: 36 points, replications still innermost */
    o.replications = 3;
    s = expand_ok(&o);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(sim_sweep_npoints(s), 36);
    {
        sim_sweep_point pt;
        sim_sweep_point_info(s, 35, &pt);
        CU_ASSERT_EQUAL(pt.config, 11);
        CU_ASSERT_EQUAL(pt.replication, 2);
        sim_sweep_point_info(s, 3, &pt);
        CU_ASSERT_EQUAL(pt.config, 1);
        CU_ASSERT_EQUAL(pt.replication, 0);
    }
    sim_sweep_free(s);
}

/* A swept `replications`: each configuration its own number of points. */
static void test_expand_swept_replications(void)
{
    static const size_t cfg[] = {0, 1, 1, 1, 2, 3, 3, 3};
    static const uint32_t rep[] = {0, 0, 1, 2, 0, 0, 1, 2};
    const char *file = scn_write("reps", base_yaml,
                                 "  topology.sources: [2, 3]\n"
                                 "  replications: [1, 3]\n");
    sim_sweep_opts o = opts_for(file);
    sim_sweep *s = expand_ok(&o);

    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(sim_sweep_nconfigs(s), 4);
    CU_ASSERT_EQUAL_FATAL(sim_sweep_npoints(s), 8);
    for (size_t i = 0; i < 8; i++) {
        sim_sweep_point pt;
        sim_sweep_point_info(s, i, &pt);
        CU_ASSERT_EQUAL(pt.config, cfg[i]);
        CU_ASSERT_EQUAL(pt.replication, rep[i]);
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, i, "replications"),
                               cfg[i] % 2 ? "3" : "1");
    }
    sim_sweep_free(s);
}

/* Lists, linear and log ranges (step and points), units, one value. */
static void test_expand_values(void)
{
    check_axis("list-units", base_yaml, "  traffic.size: [32B, 1KiB]\n",
               "traffic.size", "32B|1KiB");
    check_axis("lin-step", base_yaml,
               "  traffic.size: {from: 32B, to: 128B, step: 32B}\n",
               "traffic.size", "32B|64B|96B|128B");
    check_axis("lin-step-space", base_yaml,
               "  traffic.size: {from: 32 B, to: 96 B, step: 32 B}\n",
               "traffic.size", "32B|64B|96B");
    check_axis("lin-step-partial", base_yaml,
               "  topology.sources: {from: 1, to: 10, step: 4}\n",
               "topology.sources", "1|5|9");
    check_axis("lin-step-float", base_yaml,
               "  topology.link.loss: {from: 0.1, to: 0.3, step: 0.1}\n",
               "topology.link.loss", "0.1|0.2|0.3");
    check_axis("lin-points", base_yaml,
               "  topology.sources: {from: 2, to: 8, points: 4}\n",
               "topology.sources", "2|4|6|8");
    check_axis("lin-one-point", base_yaml,
               "  topology.sources: {from: 4, to: 4, points: 1}\n",
               "topology.sources", "4");
    check_axis("lin-step-equal", base_yaml,
               "  topology.sources: {from: 4, to: 4, step: 1}\n",
               "topology.sources", "4");
    check_axis("log-step", base_yaml,
               "  topology.sources: {from: 1, to: 1000, step: 10, "
               "scale: log}\n",
               "topology.sources", "1|10|100|1000");
    check_axis("log-step-partial", base_yaml,
               "  topology.sources: {from: 2, to: 100, step: 3, "
               "scale: log}\n",
               "topology.sources", "2|6|18|54");
    check_axis("log-points", base_yaml,
               "  topology.link.latency: {from: 1ms, to: 100ms, points: 5, "
               "scale: log}\n",
               "topology.link.latency",
               "1ms|3.16227766017ms|10ms|31.6227766017ms|100ms");
    check_axis("lin-explicit-scale", base_yaml,
               "  topology.sources: {from: 2, to: 4, step: 1, "
               "scale: linear}\n",
               "topology.sources", "2|3|4");
    check_axis("scalar", base_yaml, "  topology.subscribers: 2\n",
               "topology.subscribers", "2");
    check_axis("block-list-commas", base_yaml,
               "  traffic.interval:\n"
               "    - uniform(1s, 2s)\n"
               "    - exp(5s)\n",
               "traffic.interval", "uniform(1s, 2s)|exp(5s)");
    check_axis("nested-list", rg_yaml,
               "  topology.area: [[100m, 100m], [200m, 200m]]\n",
               "topology.area", "[100m, 100m]|[200m, 200m]");
    check_axis("block-nested-list", rg_yaml,
               "  topology.area:\n"
               "    - [100m, 100m]\n"
               "    - [150m, 100m]\n",
               "topology.area", "[100m, 100m]|[150m, 100m]");
    /* a single value adds no configuration */
    {
        const char *file = scn_write("scalar2", base_yaml,
                                     "  topology.subscribers: 2\n"
                                     "  topology.sources: [2, 3]\n");
        sim_sweep_opts o = opts_for(file);
        sim_sweep *s = expand_ok(&o);
        CU_ASSERT_FATAL(s != NULL);
        CU_ASSERT_EQUAL(sim_sweep_nconfigs(s), 2);
        CU_ASSERT_EQUAL(sim_sweep_npoints(s), 4);
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, 3, "topology.subscribers"),
                               "2");
        sim_sweep_free(s);
    }
    /* no sweep section: one configuration */
    {
        const char *file = scn_write("nosweep", base_yaml, NULL);
        sim_sweep_opts o = opts_for(file);
        sim_sweep *s = expand_ok(&o);
        CU_ASSERT_FATAL(s != NULL);
        CU_ASSERT_EQUAL(sim_sweep_nconfigs(s), 1);
        CU_ASSERT_EQUAL(sim_sweep_npoints(s), 2);
        sim_sweep_free(s);
    }
}

/* --vary replaces the file's axis in place and adds new ones last;
 * values split at commas outside brackets. */
static void test_expand_vary(void)
{
    const char *file = scn_write("vary", base_yaml, order_sweep);
    const char *varies[] = {"traffic.size=16B,48B",
                            "topology.subscribers=1,2"};
    sim_sweep_opts o = opts_for(file);
    sim_sweep *s;
    char got[1024];

    o.varies = varies;
    o.n_varies = 2;
    o.replications = 1;
    s = expand_ok(&o);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL_FATAL(sim_sweep_nconfigs(s), 16);   /* 2 x 2 x 2 x 2 */
    for (size_t c = 0; c < 16; c++) {
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, c, "topology.sources"),
                               c / 8 ? "3" : "2");
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, c, "traffic.size"),
                               (c / 4) % 2 ? "48B" : "16B");
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, c, "smart_object.service"),
                               (c / 2) % 2 ? "exp(20ms)" : "exp(10ms)");
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, c, "topology.subscribers"),
                               c % 2 ? "2" : "1");
    }
    sim_sweep_free(s);

    /* commas inside parentheses; the list and range forms */
    {
        const char *v[] = {"traffic.interval=uniform(1s, 2s), exp(5s)",
                           "traffic.size=[32B, 64B]",
                           "topology.sources={from: 2, to: 6, step: 2}"};
        o = opts_for(scn_write("vary2", base_yaml, NULL));
        o.varies = v;
        o.n_varies = 3;
        o.replications = 1;
        s = expand_ok(&o);
        CU_ASSERT_FATAL(s != NULL);
        CU_ASSERT_EQUAL(sim_sweep_nconfigs(s), 12);
        axis_values(s, "traffic.interval", got, sizeof got);
        CU_ASSERT_STRING_EQUAL(got, "uniform(1s, 2s)|uniform(1s, 2s)|"
                               "uniform(1s, 2s)|uniform(1s, 2s)|"
                               "uniform(1s, 2s)|uniform(1s, 2s)|"
                               "exp(5s)|exp(5s)|exp(5s)|exp(5s)|exp(5s)|"
                               "exp(5s)");
        axis_values(s, "topology.sources", got, sizeof got);
        CU_ASSERT_STRING_EQUAL(got, "2|4|6|2|4|6|2|4|6|2|4|6");
        axis_values(s, "traffic.size", got, sizeof got);
        CU_ASSERT_STRING_EQUAL(got, "32B|32B|32B|64B|64B|64B|"
                               "32B|32B|32B|64B|64B|64B");
        sim_sweep_free(s);
    }
    /* list values on the command line: a list of lists, or list values
     * in the comma form (found bug: read as one YAML document) */
    {
        static const char *const forms[] = {
            "topology.area=[[100m, 100m], [200m, 200m]]",
            "topology.area=[100m, 100m],[200m, 200m]"};
        for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
            const char *v[1];
            v[0] = forms[i];
            o = opts_for(scn_write("vary-rg", rg_yaml, NULL));
            o.varies = v;
            o.n_varies = 1;
            s = expand_ok(&o);
            CU_ASSERT_FATAL(s != NULL);
            axis_values(s, "topology.area", got, sizeof got);
            CU_ASSERT_STRING_EQUAL(got, "[100m, 100m]|[200m, 200m]");
            sim_sweep_free(s);
        }
    }
}

/* --protocols: a protocol.name axis (last, or in place of the file's). */
static void test_expand_protocols(void)
{
    const char *file = scn_write("protos", base_yaml,
                                 "  topology.sources: [2, 3]\n");
    sim_sweep_opts o = opts_for(file);
    sim_sweep *s;
    sim_sweep_point pt;

    o.protocols = "dipietro,dini";
    o.replications = 1;
    s = expand_ok(&o);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL_FATAL(sim_sweep_npoints(s), 4);
    for (size_t i = 0; i < 4; i++) {
        const char *want = i % 2 ? "dini" : "dipietro";
        sim_sweep_point_info(s, i, &pt);
        CU_ASSERT_STRING_EQUAL(pt.protocol, want);
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, i, "protocol.name"), want);
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, i, "topology.sources"),
                               i / 2 ? "3" : "2");
    }
    sim_sweep_free(s);

    /* the file's protocol.name axis (first) is replaced in place */
    file = scn_write("protos2", base_yaml,
                     "  protocol.name: [dini, dipietro, none]\n"
                     "  topology.sources: [2, 3]\n");
    o = opts_for(file);
    o.replications = 1;
    s = expand_ok(&o);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(sim_sweep_npoints(s), 6);
    sim_sweep_point_info(s, 2, &pt);
    CU_ASSERT_STRING_EQUAL(pt.protocol, "dipietro");
    sim_sweep_free(s);
    o.protocols = "none,dini";
    s = expand_ok(&o);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL_FATAL(sim_sweep_npoints(s), 4);
    for (size_t i = 0; i < 4; i++) {
        sim_sweep_point_info(s, i, &pt);
        CU_ASSERT_STRING_EQUAL(pt.protocol, i / 2 ? "dini" : "none");
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(s, i, "topology.sources"),
                               i % 2 ? "3" : "2");
    }
    sim_sweep_free(s);

    /* --protocol without a protocol axis: every point runs it */
    o = opts_for(scn_write("protos3", base_yaml,
                           "  topology.sources: [2, 3]\n"));
    o.protocol = "dipietro";
    s = expand_ok(&o);
    CU_ASSERT_FATAL(s != NULL);
    for (size_t i = 0; i < sim_sweep_npoints(s); i++) {
        sim_sweep_point_info(s, i, &pt);
        CU_ASSERT_STRING_EQUAL(pt.protocol, "dipietro");
    }
    sim_sweep_free(s);
}

/* ---- bad input ---------------------------------------------------------- */

static void test_errors_file(void)
{
    /* ranges */
    CU_ASSERT(expect_file_error("e-both", base_yaml,
        "  traffic.size: {from: 32B, to: 64B, step: 32B, points: 2}\n",
        "{from", "a range in sweep needs exactly one of 'step' and "
        "'points'"));
    CU_ASSERT(expect_file_error("e-neither", base_yaml,
        "  traffic.size: {from: 32B, to: 64B}\n",
        "{from", "a range in sweep needs exactly one of 'step' and "
        "'points'"));
    CU_ASSERT(expect_file_error("e-units", base_yaml,
        "  traffic.size: {from: 32B, to: 1KiB, step: 32B}\n",
        "1KiB", "'to' must have the unit of 'from' ('B')"));
    CU_ASSERT(expect_file_error("e-step-unit", base_yaml,
        "  traffic.size: {from: 32B, to: 96B, step: 32}\n",
        "32}", "'step' must be a number with the unit of 'from'"));
    CU_ASSERT(expect_file_error("e-tiny-step", base_yaml,
        "  topology.sources: {from: 1, to: 100000, step: 0.001}\n",
        "0.001}", "the range has more than 10000 values"));
    /* a count past int64 is refused too (found by the args fuzzer: it
     * was converted from a double before the comparison) */
    CU_ASSERT(expect_file_error("e-huge-count", base_yaml,
        "  topology.sources: {from: 1, to: 1e300, step: 2}\n",
        "2}", "the range has more than 10000 values"));
    CU_ASSERT(expect_file_error("e-to-less", base_yaml,
        "  topology.sources: {from: 5, to: 2, step: 1}\n",
        "2, step", "'to' must not be less than 'from'"));
    CU_ASSERT(expect_file_error("e-log-zero", base_yaml,
        "  topology.sources: {from: 0, to: 10, points: 3, scale: log}\n",
        "0, to", "a log range needs 'from' > 0"));
    CU_ASSERT(expect_file_error("e-log-neg", base_yaml,
        "  topology.link.loss: {from: -0.5, to: 0.5, step: 2, scale: log}\n",
        "-0.5", "a log range needs 'from' > 0"));
    CU_ASSERT(expect_file_error("e-log-step", base_yaml,
        "  topology.sources: {from: 1, to: 10, step: 1, scale: log}\n",
        "1, scale", "'step' must be > 1"));
    CU_ASSERT(expect_file_error("e-step-zero", base_yaml,
        "  topology.sources: {from: 1, to: 10, step: 0}\n",
        "0}", "'step' must be > 0"));
    CU_ASSERT(expect_file_error("e-one-point", base_yaml,
        "  topology.sources: {from: 1, to: 10, points: 1}\n",
        "1}", "one point needs 'from' equal to 'to'"));
    CU_ASSERT(expect_file_error("e-from-nan", base_yaml,
        "  topology.sources: {from: abc, to: 10, step: 1}\n",
        "abc", "'from' must be a number"));
    CU_ASSERT(expect_file_error("e-range-key", base_yaml,
        "  topology.sources: {from: 1, to: 10, step: 1, stride: 2}\n",
        "stride", ""));
    /* lists */
    CU_ASSERT(expect_file_error("e-proto", base_yaml,
        "  protocol.name: [dini, kerberos]\n",
        "kerberos", "unknown protocol 'kerberos' (known: "));
    CU_ASSERT(expect_file_error("e-dup", base_yaml,
        "  topology.sources: [2, 3, 2]\n",
        "[2, 3", "sweep 'topology.sources': value '2' appears twice"));
    CU_ASSERT(expect_file_error("e-dup-range", base_yaml,
        "  topology.sources: {from: 1, to: 1.0000000000001, points: 3}\n",
        "{from", "sweep 'topology.sources': value '1' appears twice"));
    CU_ASSERT(expect_file_error("e-empty", base_yaml,
        "  topology.sources: []\n",
        "[]", "sweep 'topology.sources': expected at least one value"));
    CU_ASSERT(expect_file_error("e-path", base_yaml,
        "  topology..sources: [1, 2]\n",
        "topology..", "sweep: 'topology..sources' is not a path"));
    /* a value the loader rejects: the sweep entry's position and value */
    CU_ASSERT(expect_file_error("e-value", base_yaml,
        "  topology.sources: [2, abc]\n",
        "abc", "sweep value topology.sources=abc: "));
    CU_ASSERT(expect_file_error("e-value-range", base_yaml,
        "  topology.sources: {from: 2, to: 3, points: 3}\n",
        "{from", "sweep value topology.sources=2.5: "));
    CU_ASSERT(expect_file_error("e-value-path", base_yaml,
        "  topology.nope: [1, 2]\n",
        "1, 2", "sweep value topology.nope=1: "));
}

static void test_errors_flags(void)
{
    const char *file = scn_write("flags", base_yaml,
                                 "  topology.sources: [2, 3]\n"
                                 "  protocol.name: [dini, dipietro]\n");
    const char *plain = scn_write("flags-plain", base_yaml,
                                  "  topology.sources: [2, 3]\n");
    sim_sweep_opts o;
    char prefix[1024];

    /* a swept path also --set */
    {
        const char *sets[] = {"duration=2min", "topology.sources=3"};
        o = opts_for(file);
        o.sets = sets;
        o.n_sets = 2;
        CU_ASSERT(expect_error(&o, "--set topology.sources=3: the path is "
                               "swept; drop the --set or the axis"));
    }
    {   /* a --vary path also --set */
        const char *sets[] = {"traffic.size=64B"};
        const char *v[] = {"traffic.size=32B,64B"};
        o = opts_for(plain);
        o.sets = sets;
        o.n_sets = 1;
        o.varies = v;
        o.n_varies = 1;
        CU_ASSERT(expect_error(&o, "--set traffic.size=64B: the path is "
                               "swept"));
    }
    /* --protocol with a protocol axis, from the file or --protocols */
    o = opts_for(file);
    o.protocol = "dini";
    CU_ASSERT(expect_error(&o, "--protocol: the protocol is swept"));
    o = opts_for(plain);
    o.protocol = "dini";
    o.protocols = "dini,dipietro";
    CU_ASSERT(expect_error(&o, "--protocol: the protocol is swept"));
    o = opts_for(plain);
    o.protocols = "dini,kerberos";
    CU_ASSERT(expect_error(&o, "--protocols dini,kerberos: unknown protocol "
                           "'kerberos'"));
    /* --vary syntax */
    {
        static const struct { const char *arg, *msg; } bad[] = {
            {"topology.sources", "expected path=v1,v2,..."},
            {"=1,2", "expected path=v1,v2,..."},
            {"topology..sources=1,2", "expected path=v1,v2,..."},
            {"topology.sources=", "empty value, or unbalanced brackets"},
            {"topology.sources=2,,3", "empty value, or unbalanced brackets"},
            {"topology.sources=2,", "empty value, or unbalanced brackets"},
            {"traffic.interval=uniform(1s, 2s", "empty value, or unbalanced "
             "brackets"},
            {"traffic.interval=exp(1s)),exp(2s)", "empty value, or "
             "unbalanced brackets"},
            {"traffic.interval='exp(1s)", "empty value, or unbalanced "
             "brackets or quotes"},
            {"topology.sources=[2, 3", ""},
            {"topology.sources={from: 3, to: 1, step: 1}", "'to' must not be "
             "less than 'from'"},
            {"traffic.size={from: 32B, to: 1KiB, step: 32B}", "'to' must "
             "have the unit of 'from'"},
            {"topology.sources={from: 1, to: 4}", "a range in sweep needs "
             "exactly one of 'step' and 'points'"},
            {"topology.sources=[2, 2]", "sweep 'topology.sources': value "
             "'2' appears twice"},
            {"protocol.name=dini,kerberos", "unknown protocol 'kerberos'"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            const char *v[1];
            v[0] = bad[i].arg;
            o = opts_for(plain);
            o.varies = v;
            o.n_varies = 1;
            snprintf(prefix, sizeof prefix, "--vary %s: %s", bad[i].arg,
                     bad[i].msg);
            CU_ASSERT(expect_error(&o, prefix));
        }
    }
    {   /* a value the loader rejects: the flag and that value */
        const char *v[] = {"topology.sources=2,abc"};
        o = opts_for(plain);
        o.varies = v;
        o.n_varies = 1;
        CU_ASSERT(expect_error(&o, "--vary topology.sources=abc: expected "
                               "an integer"));
    }
    /* --only and --where */
    {
        static const struct { const char *only, *msg; } bad[] = {
            {"", "expected indices and ranges like 3,5-9"},
            {"x", "expected indices and ranges like 3,5-9"},
            {"1,,2", "expected indices and ranges like 3,5-9"},
            {"1-", "expected indices and ranges like 3,5-9"},
            {"-1", "expected indices and ranges like 3,5-9"},
            {"1;2", "expected indices and ranges like 3,5-9"},
            {"4", "points are 0 to 3"},
            {"2-9", "points are 0 to 3"},
            {"3-1", ""},
            {"99999999999999999999999", "points are 0 to 3"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            o = opts_for(plain);
            o.only = bad[i].only;
            snprintf(prefix, sizeof prefix, "--only %s: %s", bad[i].only,
                     bad[i].msg);
            CU_ASSERT(expect_error(&o, prefix));
        }
    }
    {
        static const char *bad[] = {"topology.sources", "traffic.size=32B",
                                    "bogus=1", "=2", "replications"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            const char *w[1];
            w[0] = bad[i];
            o = opts_for(plain);
            o.wheres = w;
            o.n_wheres = 1;
            snprintf(prefix, sizeof prefix, "--where %s: expected "
                     "PATH=VALUE with a swept PATH, protocol or "
                     "replication", bad[i]);
            CU_ASSERT(expect_error(&o, prefix));
        }
    }
}

/* More than 10^6 configurations, or points. */
static void test_errors_too_many(void)
{
    const char *file = scn_write("toomany", base_yaml,
        "  topology.sources: {from: 1, to: 1001, step: 1}\n"
        "  traffic.size: {from: 1B, to: 1000B, step: 1B}\n");
    sim_sweep_opts o = opts_for(file);
    char prefix[1024];

    snprintf(prefix, sizeof prefix, "%s:21:17: sweep 'traffic.size': the "
             "sweep has more than 1000000 configurations", file);
    CU_ASSERT(expect_error(&o, prefix));
    /* 1000 x 1000 is allowed up to here: counted, not loaded */
    {
        const char *v[] = {"topology.subscribers=1,2"};
        o.varies = v;
        o.n_varies = 1;
        file = scn_write("toomany2", base_yaml,
            "  topology.sources: {from: 1, to: 1000, step: 1}\n"
            "  traffic.size: {from: 1B, to: 1000B, step: 1B}\n");
        o.file = file;
        snprintf(prefix, sizeof prefix, "--vary topology.subscribers=...: "
                 "the sweep has more than 1000000 configurations");
        CU_ASSERT(expect_error(&o, prefix));
    }
    /* configurations x replications */
    file = scn_write("toomany3", base_yaml,
                     "  topology.sources: {from: 1, to: 101, step: 1}\n");
    o = opts_for(file);
    o.replications = SCN_MAX_REPLICATIONS;
    snprintf(prefix, sizeof prefix, "%s: the sweep has more than 1000000 "
             "points", file);
    CU_ASSERT(expect_error(&o, prefix));
    o.replications = 9900;   /* 101 x 9900 = 999,900: fine */
    {
        sim_sweep *s = expand_ok(&o);
        CU_ASSERT_FATAL(s != NULL);
        CU_ASSERT_EQUAL(sim_sweep_npoints(s), 999900);
        sim_sweep_free(s);
    }
}

/* ---- seeds -------------------------------------------------------------- */

/* The seed of (configuration, replication r) is sim_run_seed(scenario
 * seed, r) whatever else is swept; distinct across replications. */
static void test_seeds(void)
{
    const char *file = scn_write("seeds", base_yaml,
                                 "  topology.sources: [2, 3]\n");
    const char *v[] = {"traffic.size=32B,64B,96B"};
    sim_sweep_opts o = opts_for(file);
    sim_sweep *a, *b;
    uint64_t seen[4];

    o.replications = 4;
    a = expand_ok(&o);
    o.varies = v;
    o.n_varies = 1;
    o.protocols = "dini,dipietro";
    b = expand_ok(&o);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    CU_ASSERT_EQUAL(sim_sweep_npoints(a), 8);
    CU_ASSERT_EQUAL_FATAL(sim_sweep_npoints(b), 48);
    for (size_t i = 0; i < 48; i++) {
        sim_sweep_point pb, pa;
        size_t j;
        /* the point of a with the same topology.sources and replication */
        sim_sweep_point_info(b, i, &pb);
        j = (strcmp(sim_sweep_value(b, i, "topology.sources"), "3") == 0
                 ? 4 : 0) + pb.replication;
        sim_sweep_point_info(a, j, &pa);
        CU_ASSERT_STRING_EQUAL(sim_sweep_value(a, j, "topology.sources"),
                               sim_sweep_value(b, i, "topology.sources"));
        CU_ASSERT_EQUAL(pa.replication, pb.replication);
        CU_ASSERT_EQUAL(pb.seed, pa.seed);
        CU_ASSERT_EQUAL(pb.seed, sim_run_seed(5, pb.replication));
    }
    for (uint32_t r = 0; r < 4; r++) {
        sim_sweep_point p;
        sim_sweep_point_info(a, r, &p);
        seen[r] = p.seed;
        for (uint32_t k = 0; k < r; k++)
            CU_ASSERT_NOT_EQUAL(seen[k], seen[r]);
    }
    CU_ASSERT_EQUAL(seen[0], 5);   /* replication 0: the base seed */
    sim_sweep_free(a);
    sim_sweep_free(b);

    /* --seed changes them all */
    o = opts_for(file);
    o.replications = 4;
    o.have_seed = 1;
    o.seed = 77;
    a = expand_ok(&o);
    CU_ASSERT_FATAL(a != NULL);
    for (size_t i = 0; i < 8; i++) {
        sim_sweep_point p;
        sim_sweep_point_info(a, i, &p);
        CU_ASSERT_EQUAL(p.seed, sim_run_seed(77, p.replication));
        for (uint32_t r = 0; r < 4; r++)
            CU_ASSERT_NOT_EQUAL(p.seed, seen[r]);
    }
    sim_sweep_free(a);

    /* a swept `seed` is the base of its configurations */
    o = opts_for(scn_write("seeds2", base_yaml, "  seed: [5, 6]\n"));
    a = expand_ok(&o);
    CU_ASSERT_FATAL(a != NULL);
    for (size_t i = 0; i < 4; i++) {
        sim_sweep_point p;
        sim_sweep_point_info(a, i, &p);
        CU_ASSERT_EQUAL(p.seed, sim_run_seed(i / 2 ? 6 : 5, p.replication));
    }
    sim_sweep_free(a);
}

/* ---- selection ---------------------------------------------------------- */

static void test_select(void)
{
    /* 2 sources x 2 protocols x 3 replications = 12 points:
     * configurations (2,dini) (2,dipietro) (3,dini) (3,dipietro) */
    const char *file = scn_write("select", base_yaml,
                                 "  topology.sources: [2, 3]\n"
                                 "  protocol.name: [dini, dipietro]\n");
    sim_sweep_opts o = opts_for(file);
    const char *w1[] = {"topology.sources=3"};
    const char *w2[] = {"protocol=dipietro"};
    const char *w3[] = {"replication=1"};
    const char *w4[] = {"topology.sources=3", "replication=2"};
    const char *w5[] = {"protocol.name=dini"};
    const char *w6[] = {"topology.sources=4"};
    char got[512];

    o.replications = 3;
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "0,1,2,3,4,5,6,7,8,9,10,11");
    o.only = "3,5-9";
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "3,5,6,7,8,9");
    o.only = "11,0,4-4";
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "0,4,11");
    o.only = NULL;
    o.wheres = w1;
    o.n_wheres = 1;
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "6,7,8,9,10,11");
    o.wheres = w2;
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "3,4,5,9,10,11");
    o.wheres = w3;
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "1,4,7,10");
    o.wheres = w4;
    o.n_wheres = 2;
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "8,11");
    o.wheres = w5;
    o.n_wheres = 1;
    o.only = "0-7";
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "0,1,2,6,7");
    o.only = NULL;
    o.wheres = w6;    /* a value no point has: an error, not 0 points */
    listed(o, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "error");

    /* protocol= without a protocol axis */
    {
        const char *w[] = {"protocol=dini"};
        const char *wn[] = {"protocol=dipietro"};
        o = opts_for(scn_write("select2", base_yaml,
                               "  topology.sources: [2, 3]\n"));
        o.wheres = w;
        o.n_wheres = 1;
        listed(o, got, sizeof got);
        CU_ASSERT_STRING_EQUAL(got, "0,1,2,3");
        o.wheres = wn;
        listed(o, got, sizeof got);
        CU_ASSERT_STRING_EQUAL(got, "error");
    }
}

/* ---- registration ------------------------------------------------------- */

static int cleanup(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int register_tests(void)
{
    CU_pSuite s, b;

    if (cry_init() != 0 || !mkdtemp(tmpdir))
        return -1;
    unsetenv("KMSIM_TEST_CRASH_POINT");
    s = CU_add_suite("sweep", NULL, NULL);
    if (!s)
        return -1;
    CUTEST_ADD(s, test_expand_order);
    CUTEST_ADD(s, test_expand_swept_replications);
    CUTEST_ADD(s, test_expand_values);
    CUTEST_ADD(s, test_expand_vary);
    CUTEST_ADD(s, test_expand_protocols);
    CUTEST_ADD(s, test_errors_file);
    CUTEST_ADD(s, test_errors_flags);
    CUTEST_ADD(s, test_errors_too_many);
    CUTEST_ADD(s, test_seeds);
    CUTEST_ADD(s, test_select);
    CUTEST_ADD(s, test_run_jobs);
    CUTEST_ADD(s, test_run_like_kmsim_run);
    CUTEST_ADD(s, test_resume_after_only);
    CUTEST_ADD(s, test_resume_changed_sweep);
    CUTEST_ADD(s, test_resume_torn_journal);
    CUTEST_ADD(s, test_not_a_journal);
    CUTEST_ADD(s, test_worker_crash);
    CUTEST_ADD(s, test_interrupted);
    /* the last suite removes the temporary directory */
    b = CU_add_suite("found bugs", NULL, cleanup);
    if (!b)
        return -1;
    CUTEST_ADD(b, bug_vary_duplicate);
    CUTEST_ADD(b, bug_seed_flag_and_axis);
    CUTEST_ADD(b, bug_row_count);
    return 0;
}

CUTEST_MAIN_WITH(sim_proto_use, register_tests)
