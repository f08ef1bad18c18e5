/* test_scenario_reader.c — the scenario loader's reader and its edges:
 * entry points (a missing file, one too large, a buffer, explicit wholes),
 * positions counted in characters across line ends and encodings, alias
 * limits, the reader API a protocol parses its options through (with a
 * test protocol), `protocols:` blocks and scn_load_as, a large explicit
 * topology, and hostile input that must never crash.  Part of the one
 * program test_scenario; main and registration are in test_scenario.c,
 * the shared helpers in scenario_t.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cutest.h"
#include "cry.h"
#include "metrics.h"
#include "proto.h"
#include "scenario.h"
#include "scn_map.h"
#include "world.h"
#include "scenario_t.h"

/* ---- entry points ----------------------------------------------------- */

void test_missing_file(void)
{
    scenario *s = scn_load(TEST_SRCDIR "/tests/data/no-such-file.yaml", NULL,
                           0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, TEST_SRCDIR "/tests/data/no-such-file.yaml: "
                           "cannot open: No such file or directory");
    s = scn_load(TEST_SRCDIR "/tests/data", NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, TEST_SRCDIR "/tests/data: not a regular "
                           "file (a directory)");
    /* a device (or a FIFO) is refused before anything is read */
    s = scn_load("/dev/zero", NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "/dev/zero: not a regular file (a character "
                           "device)");
    {
        size_t n = ((size_t)64 << 20) + 1;
        char *big = malloc(n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(big);
        memset(big, ' ', n);
        s = scn_load_buffer("big", big, n, NULL, 0, err, sizeof err);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_STRING_EQUAL(err, "big: file too large (limit 64 MiB)");
        free(big);
    }
    /* NULL err is allowed */
    s = scn_load(TEST_SRCDIR "/tests/data/no-such-file.yaml", NULL, 0, NULL,
                 0);
    CU_ASSERT_PTR_NULL(s);
}

/* A regular file over 64 MiB is refused by its size, before it is read:
 * a sparse one costs neither disk nor memory, and its holes (NUL bytes)
 * would give another error if it were read. */
void test_file_too_large(void)
{
    char path[] = "/tmp/kmsim-test-big.XXXXXX";
    int fd = mkstemp(path);
    scenario *s;

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(ftruncate(fd, (off_t)SCN_MAX_FILE + 1) == 0);
    close(fd);
    s = scn_load(path, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT(ends_with(err, ": file too large (limit 64 MiB)"));
    /* exactly at the limit it is read (and its NUL bytes refused) */
    CU_ASSERT_FATAL(truncate(path, (off_t)SCN_MAX_FILE) == 0);
    s = scn_load(path, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT(ends_with(err, ":1:1: control characters are not allowed "
                        "(byte 0x00)"));
    unlink(path);
}

/* Loads the buffer text (len bytes) and expects exactly msg. */
static void expect_buf(const char *text, size_t len, const char *msg)
{
    scenario *s = scn_load_buffer("b", text, len, NULL, 0, err, sizeof err);

    CU_ASSERT_PTR_NULL(s);
    scn_free(s);
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n  got:      %s\n  expected: %s\n", err, msg);
    CU_ASSERT_STRING_EQUAL(err, msg);
}
#define EXPECT_BUF(lit, msg) expect_buf((lit), sizeof(lit) - 1, (msg))

/* Bad bytes are reported at the line and column libyaml's own marks would
 * give: columns count characters, a byte-order mark is none, lines end at
 * LF, CR, CRLF, NEL, LS and PS; UTF-16 is counted in characters too. */
void test_reader_positions(void)
{
    static const char u16[] = "\xff\xfen\0:\0 \0\xe9\0\n\0x\0\x01\0";

    EXPECT_BUF("name: x\xff", "b:1:8: invalid leading UTF-8 octet (byte 0xff)");
    EXPECT_BUF("name: \xc3\xa9t\xc3\xa9\xff",
               "b:1:10: invalid leading UTF-8 octet (byte 0xff)");
    EXPECT_BUF("\xef\xbb\xbfname: x\xff",
               "b:1:8: invalid leading UTF-8 octet (byte 0xff)");
    EXPECT_BUF("a: 1\rb: 2\r\nc: \xe9t\xe9",
               "b:3:5: invalid trailing UTF-8 octet (byte 0x74)");
    EXPECT_BUF("a: 1\xc2\x85" "b: 2\xe2\x80\xa8" "c: 3\xe2\x80\xa9" "d: \x01",
               "b:4:4: control characters are not allowed (byte 0x01)");
    EXPECT_BUF("a: \xe2\x82",
               "b:1:4: incomplete UTF-8 octet sequence (bytes 0xe2 0x82)");
    /* UTF-16: the code point (its bytes are not the character's) */
    expect_buf(u16, sizeof u16 - 1,
               "b:2:2: control characters are not allowed (U+0001)");
    /* issue 20: the offending sequence's bytes and code point, never the
     * low byte of the code point ("byte 0x00" for a surrogate) */
    EXPECT_BUF("a: x\nb: \xed\xa0\x80", "b:2:4: invalid Unicode character "
               "(U+D800, bytes 0xed 0xa0 0x80)");
    EXPECT_BUF("a: \xed\xbf\xbfz", "b:1:4: invalid Unicode character "
               "(U+DFFF, bytes 0xed 0xbf 0xbf)");
    EXPECT_BUF("a: \xf4\x90\x80\x80", "b:1:4: invalid Unicode character "
               "(U+110000, bytes 0xf4 0x90 0x80 0x80)");
    EXPECT_BUF("a: \xe0\x80\xaf", "b:1:4: invalid length of a UTF-8 "
               "sequence (bytes 0xe0 0x80 0xaf)");
    EXPECT_BUF("a: \xc2\x9b[31m", "b:1:4: control characters are not "
               "allowed (U+009B, bytes 0xc2 0x9b)");
    EXPECT_BUF("a: \x1b[31m", "b:1:4: control characters are not allowed "
               "(byte 0x1b)");
    /* the scanner's own columns agree: a value after two accented words */
    EXPECT_BUF("name: x\nduration: 1h\ntopology: {generator: star, "
               "sources: 1}\ntraffic: {topics: [\"\xc3\xa9t\xc3\xa9\", 5, "
               "{a: b}]}\n",
               "b:4:30: expected an MQTT topic name for 'topics', got a "
               "mapping");
}

/* Aliases: counted as what they refer to before the tree is built (so a
 * "billion laughs" costs nothing), never inside the node they refer to,
 * never deeper than SCN_MAX_DEPTH through the node they refer to, never
 * undefined; an anchor is defined once. */
void test_alias_limits(void)
{
    static const char head[] =
        "name: a\nduration: 1h\ntopology: {generator: star, sources: 1}\n";
    char text[4096], *big;
    const char *ov[1];
    size_t o, n;
    scenario *s;

    /* 10^9 expansions in 9 lines: refused at the alias that passes 2^21 */
    o = (size_t)snprintf(text, sizeof text, "%ssweep:\n  traffic.topics:\n"
                         "    - &l0 [a, b, c, d, e, f, g, h, i, j]\n", head);
    for (int i = 1; i < 9; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "    - &l%d [*l%d, "
                              "*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, "
                              "*l%d]\n", i, i - 1, i - 1, i - 1, i - 1, i - 1,
                              i - 1, i - 1, i - 1, i - 1, i - 1);
    expect_buf(text, o, "b:12:12: alias '*l5' makes the document larger "
               "than 2097152 YAML nodes");
    /* few nodes but much text: 4000 bytes x 16^k */
    big = malloc(8192);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    o = (size_t)snprintf(big, 8192, "%straffic: {topics: &t0 [\"", head);
    memset(big + o, 't', 4000);
    o += 4000;
    o += (size_t)snprintf(big + o, 8192 - o, "\"]}\nsweep:\n");
    for (int i = 1; i < 6; i++) {
        o += (size_t)snprintf(big + o, 8192 - o, "  x%d: &t%d [", i, i);
        for (int k = 0; k < 16; k++)
            o += (size_t)snprintf(big + o, 8192 - o, "%s*t%d", k ? ", " : "",
                                  i - 1);
        o += (size_t)snprintf(big + o, 8192 - o, "]\n");
    }
    expect_buf(big, o, "b:9:27: alias '*t3' makes the document longer than "
               "64 MiB of text");
    free(big);
    /* cycles, directly or through a mapping */
    EXPECT_BUF("name: a\nx: &a [1, [2, *a]]\n",
               "b:2:15: alias '*a' is inside the node it refers to (defined "
               "at 2:4)");
    EXPECT_BUF("name: a\nx: &m {k: {j: *m}}\n",
               "b:2:15: alias '*m' is inside the node it refers to (defined "
               "at 2:4)");
    /* depth: 40 levels, then 40 more through the alias */
    o = (size_t)snprintf(text, sizeof text, "a: &a ");
    for (int i = 0; i < 40; i++)
        text[o++] = '[';
    for (int i = 0; i < 40; i++)
        text[o++] = ']';
    o += (size_t)snprintf(text + o, sizeof text - o, "\nb: ");
    for (int i = 0; i < 40; i++)
        text[o++] = '[';
    o += (size_t)snprintf(text + o, sizeof text - o, "*a");
    for (int i = 0; i < 40; i++)
        text[o++] = ']';
    expect_buf(text, o, "b:2:44: alias '*a' nests deeper than 64 levels");
    EXPECT_BUF("a: *nope\n", "b:1:4: undefined alias '*nope'");
    EXPECT_BUF("a: &x 1\nb: *x\nc: &x 2\n",
               "b:3:4: duplicate anchor '&x' (first defined at 1:4)");
    /* an alias to a scalar and to a mapping, used later: fine */
    o = (size_t)snprintf(text, sizeof text, "name: a\nduration: &d 1h\n"
                         "topology: &t {generator: star, sources: 1}\n"
                         "sweep: {duration: [*d, 2h]}\n");
    s = scn_load_buffer("b", text, o, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(s);
    CU_ASSERT(s && s->n_axes == 1 && strcmp(s->axes[0].values[0], "1h") == 0);
    scn_free(s);
    /* a --set value is held to the same limits */
    ov[0] = "sweep={x: &a [*a]}";
    s = scn_load_buffer("b", head, sizeof head - 1, ov, 1, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "--set sweep={x: &a [*a]}: alias '*a' is "
                           "inside the node it refers to (defined at 1:5)");
    /* and a plain document too: 2^21 + 1 scalars */
    n = SCN_MAX_YAML_NODES;
    big = malloc(2 * n + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    o = (size_t)snprintf(big, 64, "a: [");
    for (size_t i = 0; i < n; i++) {
        big[o++] = '0';
        big[o++] = ',';
    }
    big[o - 1] = ']';
    big[o++] = '\n';
    /* nodes: the mapping, the key, the list, 2^21 items */
    expect_buf(big, o, "b:1:4194303: more than 2097152 YAML nodes (values, "
               "lists and mappings)");
    free(big);
}

/* An explicit topology as a whole: at least one source, no link twice,
 * every smart object reachable from a source (require_connected or not). */
void test_explicit_whole(void)
{
    static const char head[] =
        "name: e\nduration: 1h\ntopology:\n  generator: explicit\n"
        "  require_connected: false\n  nodes:\n"
        "    - {id: 1, role: smart_object}\n    - {id: 2, role: source}\n"
        "    - {id: 3, role: smart_object}\n    - {id: 4, role: subscriber}\n";
    char text[1024];
    const char *ov[1];
    scenario *s;
    int o;

    o = snprintf(text, sizeof text, "%s  links: [{a: 1, b: 2}, {a: 3, b: 4}]"
                 "\n", head);
    expect_buf(text, (size_t)o, "b:9:7: smart object 3 cannot be reached from "
               "any source");
    o = snprintf(text, sizeof text, "%s  links: [{a: 1, b: 2}, {a: 3, b: 2}, "
                 "{a: 4, b: 1}, {a: 2, b: 3}]\n", head);
    expect_buf(text, (size_t)o, "b:11:53: duplicate link between nodes 2 and 3 "
               "(first defined at line 11)");
    o = snprintf(text, sizeof text, "%s  links: [{a: 1, b: 2}, {a: 3, b: 2}, "
                 "{a: 4, b: 1}]\n", head);
    s = scn_load_buffer("b", text, (size_t)o, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(s);
    scn_free(s);
    ov[0] = "topology.links.2={a: 1, b: 2}";
    s = scn_load_buffer("b", text, (size_t)o, ov, 1, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "--set topology.links.2={a: 1, b: 2}: "
                           "duplicate link between nodes 1 and 2 (first "
                           "defined at line 11)");
    EXPECT_BUF("name: e\nduration: 1h\ntopology:\n  generator: explicit\n"
               "  nodes: [{id: 1, role: smart_object}, "
               "{id: 2, role: subscriber}]\n  links: [{a: 1, b: 2}]\n",
               "b:5:10: topology has no source");
}

void test_buffer(void)
{
    static const char good[] =
        "name: buf\nduration: 90s\ntopology: {generator: star, sources: 2}\n"
        "traffic: {interval: \"uniform(1s, 2s)\"}\n";
    static const char bad[] =
        "name: buf\nduration: 90s\ntopology: {generator: star, sources: x}\n";
    char small[16];
    scenario *s;

    s = scn_load_buffer("mem", good, sizeof good - 1, NULL, 0, err,
                        sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s->file, "mem");
    CU_ASSERT_EQUAL(s->duration, 90 * SIM_S);
    check_dist(&s->traffic.interval, "uniform(1s,2s)");
    scn_free(s);
    /* the buffer need not be NUL-terminated: len is what counts */
    s = scn_load_buffer("mem", good, 24, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "mem:1:1: missing required key 'topology' "
                           "in scenario");
    s = scn_load_buffer("mem", bad, sizeof bad - 1, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "mem:3:38: expected an integer for "
                           "'sources', got 'x'");
    s = scn_load_buffer("mem", "", 0, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "mem:1:1: empty scenario");
    /* core-schema !!str/!!seq/!!map are the kinds' own tags: honoured;
     * any other tag is refused at the tagged value */
    {
        static const char tagged[] =
            "name: !!str tagged\nseed: 42\nduration: 1h\n"
            "topology: !!map {generator: star, sources: 2}\n";
        static const char *const refused[][2] = {
            {"seed: !custom 42\n", "mem:4:7: YAML tag '!custom' is not "
             "supported (values are read by the option's type; remove the "
             "tag)"},
            {"warmup: !!null 10s\n", "mem:4:9: YAML tag '!!null' is not "
             "supported (values are read by the option's type; remove the "
             "tag)"},
            {"duration: !!int 1h\n", "mem:4:11: YAML tag '!!int' is not "
             "supported (values are read by the option's type; remove the "
             "tag)"},
            {"topology: !topo {generator: star, sources: 2}\n",
             "mem:4:11: YAML tag '!topo' is not supported (values are read "
             "by the option's type; remove the tag)"},
        };
        s = scn_load_buffer("mem", tagged, sizeof tagged - 1, NULL, 0, err,
                            sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_STRING_EQUAL(s->name, "tagged");
        CU_ASSERT_EQUAL(s->seed, 42);
        CU_ASSERT_EQUAL(s->duration, SIM_HOUR);
        scn_free(s);
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            char text[256];
            int tn = snprintf(text, sizeof text, "name: t\nduration: 1h\n"
                              "topology: {generator: star, sources: 2}\n%s",
                              refused[i][0]);
            if (strncmp(refused[i][0], "topology", 8) == 0)
                tn = snprintf(text, sizeof text, "name: t\nduration: 1h\n"
                              "seed: 1\n%s", refused[i][0]);
            s = scn_load_buffer("mem", text, (size_t)tn, NULL, 0, err,
                                sizeof err);
            CU_ASSERT_PTR_NULL(s);
            CU_ASSERT_STRING_EQUAL(err, refused[i][1]);
        }
    }
    /* a short err buffer is truncated, still terminated */
    s = scn_load_buffer("mem", "", 0, NULL, 0, small, sizeof small);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(small, "mem:1:1: empty ");
    /* profile paths of a buffer are relative to the working directory */
    {
        static const char fmt[] =
            "name: buf\nduration: 1s\ntopology: {generator: star, sources: 2}"
            "\nprofiles: {gateway: %s}\n";
        char text[1024], cwd[4096];
        int n = snprintf(text, sizeof text, fmt, "profile_gateway.yaml");

        CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
        CU_ASSERT_EQUAL_FATAL(chdir(GOOD), 0);
        s = scn_load_buffer("mem", text, (size_t)n, NULL, 0, err, sizeof err);
        CU_ASSERT_EQUAL_FATAL(chdir(cwd), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(s->profiles[SCN_DEV_GATEWAY].op_fixed[SCN_OP_SEAL],
                        3 * SIM_US);
        scn_free(s);
        /* an absolute path, or one with "..", is refused, not read */
        n = snprintf(text, sizeof text, fmt, "/etc/passwd");
        s = scn_load_buffer("mem", text, (size_t)n, NULL, 0, err, sizeof err);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_STRING_EQUAL(err, "mem:4:21: not a profile: /etc/passwd: "
                               "must be a path relative to the scenario's "
                               "folder, without '..'");
        n = snprintf(text, sizeof text, fmt, "good/../../x.yaml");
        s = scn_load_buffer("mem", text, (size_t)n, NULL, 0, err, sizeof err);
        CU_ASSERT_PTR_NULL(s);
    }
}

/* ---- the reader API, through a test protocol -------------------------- */

typedef struct test_opts {
    int64_t d;
    double ratio, area;
    sim_time every;
    sim_dist jitter;
    int from;
    int sealed;
} test_opts;

static int test_opts_parse(scn_map *m, void **out)
{
    static const char *const from[] = {"so", "source", NULL};
    test_opts *o = calloc(1, sizeof *o);

    *out = o;
    if (scn_map_int(m, "d", 1, 0, 1, 32, &o->d) ||
        scn_map_double(m, "ratio", 0, 0.5, 0, 1, &o->ratio) ||
        scn_map_quantity(m, "area", SIM_DIM_LENGTH, 0, 10, 1, 1e6,
                         &o->area) ||
        scn_map_time(m, "rekey_every", 0, 10 * SIM_MIN, SIM_S, SIM_HOUR,
                     &o->every) ||
        scn_map_dist(m, "jitter", SIM_DIM_TIME, 0, "uniform(0s, 1s)",
                     &o->jitter) ||
        scn_map_enum(m, "local_keys_from", from, 0, 0, &o->from) ||
        scn_map_bool(m, "sealed_seeds", 0, 1, &o->sealed))
        return -1;
    return scn_map_done(m);
}

static const scn_proto_ops test_ops = {
    .name = "test", .summary = "reader API test",
    .opts_parse = test_opts_parse, .opts_free = free,
};

static void expect_opts_err(const char *text, const char *msg)
{
    void *opts = (void *)1;
    int rc = sim_proto_parse_opts_buffer(&test_ops, "opts", text, &opts, err,
                                         sizeof err);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NULL(opts);
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n  %s\n  got:      %s\n  expected: %s\n", text, err,
                msg);
    CU_ASSERT_STRING_EQUAL(err, msg);
}

void test_reader_api(void)
{
    void *opts = NULL;
    test_opts *o;
    int rc;

    rc = sim_proto_parse_opts_buffer(&test_ops, "opts",
                                     "{name: test, d: 8, ratio: 0.25, "
                                     "area: 2km, rekey_every: 30min, "
                                     "jitter: exp(5ms), local_keys_from: "
                                     "source, sealed_seeds: no}",
                                     &opts, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    o = opts;
    CU_ASSERT_EQUAL(o->d, 8);
    CU_ASSERT_EQUAL(o->ratio, 0.25);
    CU_ASSERT_EQUAL(o->area, 2000.0);
    CU_ASSERT_EQUAL(o->every, 30 * SIM_MIN);
    check_dist(&o->jitter, "exp(5ms)");
    CU_ASSERT_EQUAL(o->from, 1);
    CU_ASSERT_EQUAL(o->sealed, 0);
    sim_proto_free_opts(&test_ops, opts);

    rc = sim_proto_parse_opts_buffer(&test_ops, "opts", "d: 3", &opts, err,
                                     sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    o = opts;
    CU_ASSERT_EQUAL(o->ratio, 0.5);
    CU_ASSERT_EQUAL(o->area, 10.0);
    CU_ASSERT_EQUAL(o->every, 10 * SIM_MIN);
    check_dist(&o->jitter, "uniform(0s,1s)");
    CU_ASSERT_EQUAL(o->from, 0);
    CU_ASSERT_EQUAL(o->sealed, 1);
    sim_proto_free_opts(&test_ops, opts);

    expect_opts_err("{ratio: 0.1}", "opts:1:1: missing required key 'd' in "
                    "protocol");
    expect_opts_err("", "opts: missing required key 'd' in protocol");
    expect_opts_err("d: 33", "opts:1:4: 'd' must be between 1 and 32, got "
                    "'33'");
    expect_opts_err("d: 1.0", "opts:1:4: expected an integer for 'd', got "
                    "'1.0'");
    expect_opts_err("{d: 1, ratio: 2}", "opts:1:15: 'ratio' must be >= 0 and "
                    "<= 1, got '2'");
    expect_opts_err("{d: 1, area: 5s}", "opts:1:14: invalid 'area': '5s' is "
                    "a time, expected a length");
    expect_opts_err("{d: 1, rekey_every: 2h}", "opts:1:21: 'rekey_every' must "
                    "be >= 1s and <= 1h, got '2h'");
    expect_opts_err("{d: 1, jitter: [1s]}", "opts:1:16: expected a time "
                    "distribution for 'jitter', got a list");
    expect_opts_err("{d: 1, local_keys_from: gw}", "opts:1:25: invalid value "
                    "'gw' for 'local_keys_from' (use so, source)");
    expect_opts_err("{d: 1, sealed_seeds: 2}", "opts:1:22: expected a boolean "
                    "(true or false) for 'sealed_seeds', got '2'");
    expect_opts_err("{d: 1, e: 2}", "opts:1:8: unknown key 'e' in protocol");
    expect_opts_err("{d: 1, d: 2}", "opts:1:8: duplicate key 'd'");
    expect_opts_err("[d]", "opts:1:1: expected a mapping of protocol options, "
                    "got a list");
}

/* ---- protocols: blocks and scn_load_as -------------------------------- */

/* The storage of one global key at the SO of a world built from s, at
 * its start: its pool of 64 (the default) global keys, each 2 (global
 * key name) + key_format.key_value_bytes, so it shows which options the
 * scenario carries.  NaN if it is not a dini run. */
static double dini_global_key_size(const scenario *s)
{
    sim_world *w = sim_world_new(s, s->seed, err, sizeof err);
    double v = NAN;
    int id;

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    sim_world_finish(w);
    id = ana_metric_find(sim_world_metrics(w), "dini.storage.so", "");
    if (id >= 0)
        v = ana_metric_get(sim_world_metrics(w), id) / 64;
    sim_world_free(w);
    return v;
}

static scenario *load_as(const char *text, const char *const *ov, size_t n,
                         const char *protocol)
{
    scenario *s = scn_load_buffer_as("mem", text, strlen(text), ov, n,
                                     protocol, err, sizeof err);
    if (!s)
        fprintf(stderr, "\n  as %s: %s\n", protocol ? protocol : "-", err);
    return s;
}

static void expect_as_err(const char *text, const char *ov,
                          const char *protocol, const char *msg)
{
    const char *const ovs[] = {ov};
    scenario *s = scn_load_buffer_as("mem", text, strlen(text), ovs,
                                     ov ? 1 : 0, protocol, err, sizeof err);

    CU_ASSERT_PTR_NULL(s);
    scn_free(s);
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n  got:      %s\n  expected: %s\n", err, msg);
    CU_ASSERT_STRING_EQUAL(err, msg);
}

void test_protocol_blocks(void)
{
    static const char dini_first[] =
        "name: two\nduration: 1min\n"
        "protocol: {name: dini, key_format: {key_value_bytes: 4}}\n"
        "protocols:\n"
        "  none:\n"
        "topology: {generator: star, sources: 2}\n";
    static const char none_first[] =
        "name: three\nduration: 1min\nprotocol: none\n"
        "protocols:\n"
        "  dini: {key_format: {key_value_bytes: 16}}\n"
        "topology: {generator: star, sources: 2}\n";
    static const char plain[] =
        "name: plain\nduration: 1min\nprotocol: none\n"
        "topology: {generator: star, sources: 2}\n";
    const char *const kv12[] = {
        "protocols.dini.key_format.key_value_bytes=12"};
    unsigned char want[CRY_HASH_BYTES];
    cry_hash_state st;
    scenario *s, *as;

    /* as written: protocol.name runs, the blocks are listed after it */
    s = load_as(dini_first, NULL, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_EQUAL(s->proto, &sim_proto_dini);
    CU_ASSERT_EQUAL_FATAL(s->n_protos, 2);
    CU_ASSERT_PTR_EQUAL(s->protos[0], &sim_proto_dini);
    CU_ASSERT_PTR_EQUAL(s->protos[1], &sim_proto_none);
    CU_ASSERT_EQUAL(dini_global_key_size(s), 6.0);

    /* as protocol.name: exactly scn_load's scenario, hash included */
    as = load_as(dini_first, NULL, 0, "dini");
    CU_ASSERT_PTR_NOT_NULL_FATAL(as);
    CU_ASSERT_PTR_EQUAL(as->proto, &sim_proto_dini);
    CU_ASSERT(memcmp(as->hash, s->hash, CRY_HASH_BYTES) == 0);
    CU_ASSERT_EQUAL(dini_global_key_size(as), 6.0);
    scn_free(as);

    /* as another protocol: its (empty) block; same name and list; the
     * hash covers the protocol */
    as = load_as(dini_first, NULL, 0, "none");
    CU_ASSERT_PTR_NOT_NULL_FATAL(as);
    CU_ASSERT_PTR_EQUAL(as->proto, &sim_proto_none);
    CU_ASSERT_PTR_NULL(as->proto_opts);
    CU_ASSERT_STRING_EQUAL(as->name, "two");
    CU_ASSERT_EQUAL(as->n_protos, 2);
    CU_ASSERT_PTR_EQUAL(as->protos[0], &sim_proto_dini);
    CU_ASSERT(memcmp(as->hash, s->hash, CRY_HASH_BYTES) != 0);
    cry_hash_init(&st);
    cry_hash_update(&st, dini_first, sizeof dini_first - 1);
    cry_hash_update(&st, "\0protocol:none", 15);
    cry_hash_final(&st, want);
    CU_ASSERT(memcmp(as->hash, want, CRY_HASH_BYTES) == 0);
    scn_free(as);
    scn_free(s);

    /* the block of the protocol asked for, not protocol:'s options */
    s = load_as(none_first, NULL, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_EQUAL(s->proto, &sim_proto_none);
    as = load_as(none_first, NULL, 0, "dini");
    CU_ASSERT_PTR_NOT_NULL_FATAL(as);
    CU_ASSERT_PTR_EQUAL(as->proto, &sim_proto_dini);
    CU_ASSERT_PTR_NOT_NULL(as->proto_opts);
    CU_ASSERT_EQUAL(dini_global_key_size(as), 18.0);
    CU_ASSERT(memcmp(as->hash, s->hash, CRY_HASH_BYTES) != 0);
    scn_free(as);
    scn_free(s);

    /* no block: the protocol's defaults; --set can make one */
    s = load_as(plain, NULL, 0, "dini");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->n_protos, 1);
    CU_ASSERT_PTR_EQUAL(s->protos[0], &sim_proto_none);
    CU_ASSERT_EQUAL(dini_global_key_size(s), 10.0);
    scn_free(s);
    s = load_as(plain, kv12, 1, "dini");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(dini_global_key_size(s), 14.0);
    CU_ASSERT_EQUAL(s->n_protos, 2);       /* the block --set made */
    scn_free(s);
    s = load_as(none_first, kv12, 1, "dini");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(dini_global_key_size(s), 14.0);
    scn_free(s);

    /* every block is validated whichever protocol runs, protocol: too */
    expect_as_err(none_first, "protocols.dini.d=0", NULL,
                  "--set protocols.dini.d=0: 'd' must be between 1 and 31, "
                  "got '0'");
    expect_as_err(dini_first, "protocol.d=0", "none",
                  "--set protocol.d=0: 'd' must be between 1 and 31, got "
                  "'0'");
    expect_as_err(dini_first, "protocols.none.name=none", "dini",
                  "--set protocols.none.name=none: unknown key 'name' in "
                  "protocols.none");
    expect_as_err(dini_first, "protocols.dini={}", "none",
                  "--set protocols.dini={}: options for 'dini' are given "
                  "under protocol:");
    expect_as_err(dini_first, "protocols.none=3", NULL,
                  "--set protocols.none=3: expected a mapping of protocol "
                  "options for 'none', got '3'");
    expect_as_err("name: x\nduration: 1s\nprotocol: none\n"
                  "protocols: {dini: {}, dini: {d: 3}}\n"
                  "topology: {generator: star, sources: 2}\n", NULL, NULL,
                  "mem:4:23: duplicate key 'dini'");
    expect_as_err("name: x\nduration: 1s\nprotocol: none\n"
                  "protocols:\n  dini: {d: 3, e: 1}\n"
                  "topology: {generator: star, sources: 2}\n", NULL, "none",
                  "mem:5:16: unknown key 'e' in protocols.dini");

    /* an unknown protocol to run (the list of known ones grows) */
    s = scn_load_buffer_as("mem", plain, sizeof plain - 1, NULL, 0,
                           "kerberos", err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_NSTRING_EQUAL(err, "mem: unknown protocol 'kerberos' (known: ",
                            41);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "dini"));
    s = scn_load_as(GOOD "/minimal.yaml", NULL, 0, "kerberos", err,
                    sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_NSTRING_EQUAL(err, GOOD "/minimal.yaml: unknown protocol ", 10);
}

/* ---- scale and hostile input ------------------------------------------ */

/* 20,000 nodes in a chain plus one SO: the id map keeps this linear. */
void test_large_explicit(void)
{
    const size_t n = 20000;
    size_t cap = n * 96 + 256, o = 0;
    char *text = malloc(cap);
    scenario *s;

    o += (size_t)snprintf(text + o, cap - o, "name: big\nduration: 1h\n"
                          "topology:\n  generator: explicit\n  nodes:\n");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "    - {id: %zu, role: %s, pos: [%zum, 0m]}\n",
                              1000000 + 7 * i, i ? "source" : "smart_object",
                              i);
    o += (size_t)snprintf(text + o, cap - o, "  links:\n");
    for (size_t i = 1; i < n; i++)
        o += (size_t)snprintf(text + o, cap - o, "    - {a: %zu, b: %zu}\n",
                              1000000 + 7 * i, 1000000 + 7 * (i - 1));
    s = scn_load_buffer("big", text, o, NULL, 0, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(s->topo.n_nodes, n);
    CU_ASSERT_EQUAL(s->topo.n_links, n - 1);
    CU_ASSERT_EQUAL(s->topo.links[n - 2].a, n - 1);
    CU_ASSERT_EQUAL(s->topo.links[n - 2].b, n - 2);
    CU_ASSERT_EQUAL(s->topo.nodes[n - 1].x, (double)(n - 1));
    CU_ASSERT_EQUAL(s->topo.sources, n - 1);
    scn_free(s);
    free(text);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random bytes and mutated good files: any outcome but a crash, and a
 * failure is always one non-empty line. */
void test_hostile_input(void)
{
    static const char *const files[] = {"full_explicit.yaml", "minimal.yaml",
                                        "anchors.yaml",
                                        "random_geometric.yaml",
                                        "moves.yaml"};
    static const char alphabet[] = "{}[],:-#&*!|>'\"%@` \n\t\\0xX.e/+?~";
    int failures_ok = 1, loaded = 0;

    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        size_t len = 0;
        unsigned char *orig;

        snprintf(path, sizeof path, "%s/%s", GOOD, files[f]);
        orig = slurp(path, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
        for (int it = 0; it < 1500; it++) {
            unsigned char *buf = malloc(len + 1);
            int edits = 1 + (int)(next_rand() % 4);
            scenario *s;

            memcpy(buf, orig, len);
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)(next_rand() % len);
                uint64_t r = next_rand();
                size_t pick = (size_t)(r >> 8) % (sizeof alphabet - 1);
                buf[at] = r & 1 ? (unsigned char)(r >> 8)
                                : (unsigned char)alphabet[pick];
            }
            err[0] = '\0';
            s = scn_load_buffer("fuzz", (const char *)buf, len, NULL, 0, err,
                                sizeof err);
            if (s)
                loaded++;
            else if (err[0] == '\0' || strchr(err, '\n') ||
                     strncmp(err, "fuzz", 4) != 0)
                failures_ok = 0;
            scn_free(s);
            free(buf);
        }
        free(orig);
    }
    for (int it = 0; it < 2000; it++) {
        size_t len = (size_t)(next_rand() % 512);
        unsigned char *buf = malloc(len + 1);
        scenario *s;

        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)next_rand();
        s = scn_load_buffer("fuzz", (const char *)buf, len, NULL, 0, err,
                            sizeof err);
        if (!s && (err[0] == '\0' || strchr(err, '\n')))
            failures_ok = 0;
        scn_free(s);
        free(buf);
    }
    CU_ASSERT(failures_ok);
    CU_ASSERT(loaded > 0);
}

/* A self-referencing alias is refused before the tree is built, so no walk
 * of the tree (a sweep value's text, a --set graft) can loop. */
void test_alias_cycle(void)
{
    static const char text[] =
        "name: cyc\nduration: 1h\ntopology: &t {generator: star, sources: 1, "
        "link: *t}\n";
    static const char text2[] =
        "name: cyc\nduration: 1h\ntopology: {generator: star, sources: 1}\n"
        "attackers: &a [*a]\n";
    const char *ov[] = {"topology.link.latency=1ms"};
    scenario *s;

    s = scn_load_buffer("cyc", text, sizeof text - 1, NULL, 0, err,
                        sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "cyc:3:50: alias '*t' is inside the node "
                           "it refers to (defined at 3:11)");
    s = scn_load_buffer("cyc", text, sizeof text - 1, ov, 1, err, sizeof err);
    CU_ASSERT_PTR_NULL(s);
    s = scn_load_buffer("cyc", text2, sizeof text2 - 1, NULL, 0, err,
                        sizeof err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(err, "cyc:4:16: alias '*a' is inside the node "
                           "it refers to (defined at 4:12)");
}

/* `defences:` (top level): as_published by default, hardened by file or
 * --set; any other value is an error naming the key. */
void test_defences(void)
{
    const char *const hard[] = {"defences=hardened"};
    scenario *s = load(GOOD "/minimal.yaml", NULL, 0);

    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(s->defences, SCN_DEF_AS_PUBLISHED);
    scn_free(s);
    s = load(GOOD "/minimal.yaml", hard, 1);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(s->defences, SCN_DEF_HARDENED);
    scn_free(s);
    expect_err(GOOD "/minimal.yaml", "defences=strong",
               "--set defences=strong: invalid value 'strong' for "
               "'defences' (use as_published, hardened)");
}

/* `aead:` (top level, issue 22): chacha20poly1305 by default, aes256gcm by
 * file or --set; another value is an error naming the key; where the CPU
 * cannot run AES-256-GCM (simulated by cry_aead_hide_aes_for_tests) the
 * error names the value's file:line:column, or the --set that wrote it. */
void test_aead(void)
{
    static const char text[] =
        "name: t22\nduration: 10min\naead: aes256gcm\n"
        "topology: {generator: star, sources: 5}\n";
    const char *const aes[] = {"aead=aes256gcm"};
    scenario *s = load(GOOD "/minimal.yaml", NULL, 0);

    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(s->aead, CRY_AEAD_CHACHA20POLY1305);
    scn_free(s);
    expect_err(GOOD "/minimal.yaml", "aead=aes128gcm",
               "--set aead=aes128gcm: invalid value 'aes128gcm' for "
               "'aead' (use chacha20poly1305, aes256gcm)");
    if (cry_aead_available(CRY_AEAD_AES256GCM)) {
        s = load(GOOD "/minimal.yaml", aes, 1);
        CU_ASSERT_FATAL(s != NULL);
        CU_ASSERT_EQUAL(s->aead, CRY_AEAD_AES256GCM);
        scn_free(s);
        s = scn_load_buffer("f.yaml", text, sizeof text - 1, NULL, 0, err,
                            sizeof err);
        CU_ASSERT_FATAL(s != NULL);
        CU_ASSERT_EQUAL(s->aead, CRY_AEAD_AES256GCM);
        scn_free(s);
    }
    cry_aead_hide_aes_for_tests(1);
    s = scn_load_buffer("f.yaml", text, sizeof text - 1, NULL, 0, err,
                        sizeof err);
    CU_ASSERT_PTR_NULL(s);
    scn_free(s);
    CU_ASSERT_STRING_EQUAL(err, "f.yaml:3:7: 'aead: aes256gcm' is not "
                           "available on this host (the CPU lacks "
                           "AES-NI/PCLMUL, libsodium's "
                           "crypto_aead_aes256gcm_is_available() is 0); use "
                           "'aead: chacha20poly1305'");
    expect_err(GOOD "/minimal.yaml", "aead=aes256gcm",
               "--set aead=aes256gcm: 'aead: aes256gcm' is not available on "
               "this host (the CPU lacks AES-NI/PCLMUL, libsodium's "
               "crypto_aead_aes256gcm_is_available() is 0); use "
               "'aead: chacha20poly1305'");
    cry_aead_hide_aes_for_tests(0);
}

/* Issue 20: time quantities checked after rounding to 1 ns, times that can
 * never take effect (at or after 'duration') and Dini indices refused. */
void test_never_effective(void)
{
    static const char base[] =
        "name: t20\nduration: 20min\nprotocol: none\n"
        "topology: {generator: star, sources: 2}\n";
    static const char dini[] =
        "name: t20\nduration: 20min\n"
        "protocol: {name: dini, pool: 4, ring: 2}\n"
        "topology: {generator: star, sources: 2}\n";
    const char *const ok[] = {"traffic.start=19min"};
    scenario *s;

    expect_as_err(base, "traffic.interval=const(0.4ns)", NULL,
                  "--set traffic.interval=const(0.4ns): 'interval' must "
                  "have a mean of at least 1ns (the clock's resolution)");
    expect_as_err(base, "traffic.interval=exp(1e-20s)", NULL,
                  "--set traffic.interval=exp(1e-20s): 'interval' must "
                  "have a mean of at least 1ns (the clock's resolution)");
    expect_as_err(base, "traffic.interval=normal(0.3ns, 0)", NULL,
                  "--set traffic.interval=normal(0.3ns, 0): 'interval' must "
                  "have a mean of at least 1ns (the clock's resolution)");
    expect_as_err(base, "traffic.interval=lognormal(1s, 1e150s)", NULL,
                  "--set traffic.interval=lognormal(1s, 1e150s): 'interval' "
                  "draws almost all round to 0ns (the clock's resolution)");
    expect_as_err(base, "traffic.start=20min", NULL,
                  "--set traffic.start=20min: 'start' (1200s) must be less "
                  "than 'duration' (1200s)");
    expect_as_err(base, "attackers=[{type: global_key_leak, at: 100h}]",
                  NULL, "--set attackers=[{type: global_key_leak, at: 100h}]"
                  ": 'at' (100h) must be less than 'duration' (1200s)");
    expect_as_err(dini, "protocol.ring=5", NULL, "--set protocol.ring=5: "
                  "'ring' (5) must be <= 'pool' (4)");
    expect_as_err(dini, "protocol.invalidate_key=4", NULL,
                  "--set protocol.invalidate_key=4: 'invalidate_key' (4) "
                  "must be < 'pool' (4)");
    expect_as_err(dini, "protocol.invalidate_at=20min", NULL,
                  "--set protocol.invalidate_at=20min: 'invalidate_at' "
                  "(1200s) must be less than 'duration' (1200s)");
    expect_as_err(dini, "protocol.rekey_at=[1min, 21min]", NULL,
                  "--set protocol.rekey_at=[1min, 21min]: 'rekey_at' "
                  "(1260s) must be less than 'duration' (1200s)");
    /* just inside the duration: accepted */
    s = load_as(base, ok, 1, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    CU_ASSERT_EQUAL(s ? s->traffic.start : 0, 19 * 60 * SIM_S);
    scn_free(s);
    s = load_as(base, (const char *const[]){"traffic.interval=const(1ns)"},
                1, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    scn_free(s);
}

/* Issue 20, the hostile corpus: profile costs bounded at load and CPU
 * time saturating; values that can never take effect or contradict
 * each other refused at the value; an alias inside a sweep reported
 * where it is used. */
void test_hostile_fixes(void)
{
    static const char base[] =
        "name: t20\nduration: 20min\nprotocol: none\n"
        "topology: {generator: star, sources: 2}\n";
    static const char dini[] =
        "name: t20\nduration: 20min\n"
        "protocol: {name: dini, pool: 4, ring: 2}\n"
        "topology: {generator: star, sources: 2}\n";
    static const char sweep[] =
        "name: t20\nduration: 20min\nprotocol: none\n"
        "topology:\n  generator: star\n  sources: 2\n"
        "  link: &m {latency: 3ms}\n"
        "sweep:\n  seed: *m\n";
    scn_profile p;
    scenario *s;

    /* 0. time distributions: a mean beyond the longest simulated time is
     * refused; an infinite mean (heavy tail) is not a mean under 1 ns */
    expect_as_err(base, "smart_object.service=exp(1e300s)", NULL,
                  "--set smart_object.service=exp(1e300s): 'service' "
                  "('exp(1e300s)') has a mean beyond 438000h, the longest "
                  "time kmsim simulates");
    expect_as_err(base, "traffic.interval=pareto(0.5, 1e300s)", NULL,
                  "--set traffic.interval=pareto(0.5, 1e300s): 'interval' "
                  "('pareto(0.5, 1e300s)') has a smallest draw beyond "
                  "438000h, the longest time kmsim simulates");
    s = load_as(base, (const char *const[]){"traffic.interval="
                                            "pareto(0.5, 1s)"}, 1, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    scn_free(s);

    /* 1. costs: at most 1 h per operation, 1 s per byte */
    expect_as_err(base, "profiles.sensor.seal.fixed=438000h", NULL,
                  "--set profiles.sensor.seal.fixed=438000h: 'fixed' must "
                  "be >= 0s and <= 1h, got '438000h'");
    expect_as_err(base, "profiles.smart_object.seal.per_byte=2s", NULL,
                  "--set profiles.smart_object.seal.per_byte=2s: "
                  "'per_byte' must be >= 0s and <= 1s, got '2s'");
    s = load_as(base, (const char *const[]){"profiles.sensor.seal="
                                            "{fixed: 1h, per_byte: 1s}"},
                1, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    p = s->profiles[SCN_DEV_SENSOR];
    scn_free(s);
    CU_ASSERT_EQUAL(p.op_fixed[SCN_OP_SEAL], SIM_HOUR);
    CU_ASSERT_EQUAL(scn_profile_cost(&p, SCN_OP_SEAL, 2),
                    SIM_HOUR + 2 * SIM_S);
    CU_ASSERT_EQUAL(scn_profile_cost(&p, SCN_OP_SEAL, SIZE_MAX),
                    SIM_TIME_MAX);
    CU_ASSERT_EQUAL(sim_time_add_sat(SIM_TIME_MAX - 1, SIM_HOUR),
                    SIM_TIME_MAX);
    CU_ASSERT_EQUAL(sim_time_add_sat(SIM_TIME_MAX, SIM_TIME_MAX),
                    SIM_TIME_MAX);
    CU_ASSERT_EQUAL(sim_time_add_sat(2, 3), 5);
    /* 2. never effective or contradictory */
    expect_as_err(base, "traffic.anonymous=3", NULL,
                  "--set traffic.anonymous=3: 'anonymous' (3) must be at "
                  "most the number of sources (2)");
    expect_as_err(base, "traffic.register_at=const(20min)", NULL,
                  "--set traffic.register_at=const(20min): 'register_at' "
                  "never draws a time before 'duration' (1200s): no source "
                  "would ever register");
    expect_as_err(base, "traffic.register_at=uniform(21min, 30min)", NULL,
                  "--set traffic.register_at=uniform(21min, 30min): "
                  "'register_at' never draws a time before 'duration' "
                  "(1200s): no source would ever register");
    expect_as_err(dini, "protocol.rekey_every=-0s", NULL,
                  "--set protocol.rekey_every=-0s: 'rekey_every' is a "
                  "negative zero ('-0s'): write 0s, or a positive time");
    expect_as_err(dini, "protocol.rekey_every=1e-300s", NULL,
                  "--set protocol.rekey_every=1e-300s: 'rekey_every' "
                  "('1e-300s') rounds to 0ns (the clock's resolution): "
                  "write 0s, or at least 1ns");
    expect_as_err(dini, "protocol.retry_after=0.4ns", NULL,
                  "--set protocol.retry_after=0.4ns: 'retry_after' "
                  "('0.4ns') rounds to 0ns (the clock's resolution): "
                  "write 0s, or at least 1ns");
    expect_as_err(dini, "protocol.rekey_at=[2min, 1min]", NULL,
                  "--set protocol.rekey_at=[2min, 1min]: 'rekey_at' must be "
                  "in increasing order: entry 1 (60s) is not after entry 0 "
                  "(120s)");
    expect_as_err(dini, "protocol.rekey_at=[1min, 60.0000000001s]", NULL,
                  "--set protocol.rekey_at=[1min, 60.0000000001s]: "
                  "'rekey_at' must be in increasing order: entry 1 (60s) is "
                  "not after entry 0 (60s)");
    expect_as_err(dini, "protocol.per_hop_mac=~", NULL,
                  "--set protocol.per_hop_mac=~: expected a boolean (true "
                  "or false) for 'per_hop_mac', got null");
    /* ... and what stays valid */
    s = load_as(base, (const char *const[]){"traffic.anonymous=2",
                                            "traffic.register_at=exp(1h)"},
                2, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    scn_free(s);
    s = load_as(dini, (const char *const[]){"protocol.rekey_every=0s",
                                            "protocol.rekey_at=[1s, 2s]",
                                            "protocol.per_hop_mac=true"},
                3, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    scn_free(s);
    /* 3. an alias to a mapping inside sweep: at the alias (line 9) */
    expect_as_err(sweep, NULL, NULL,
                  "mem:9:9: unknown key 'latency' in sweep.seed");
}
