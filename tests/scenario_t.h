/* scenario_t.h — private to test_scenario*.c: test_scenario.c (main,
 * registration, the loaded scenario: good and bad files, moves, overrides,
 * the hash, rekey_spread) and test_scenario_reader.c (the reader: entry
 * points and positions, the reader API, `protocols:` blocks and
 * scn_load_as, scale and hostile input).  It holds the data folders, the
 * error buffer and the loaders that report into it, and the checks both
 * files use, and declares the tests test_scenario_reader.c defines for
 * register_tests.  Each file has its own copy of the static `err`: a
 * scratch buffer, read only right after the call that filled it. */
#ifndef KMSIM_TEST_SCENARIO_T_H
#define KMSIM_TEST_SCENARIO_T_H

#include <stdio.h>
#include <string.h>
#include "cutest.h"
#include "scenario.h"

#define GOOD TEST_SRCDIR "/tests/data/good"
#define BAD TEST_SRCDIR "/tests/data/bad"

static char err[1024];

static inline scenario *load(const char *path, const char *const *ov, size_t n)
{
    scenario *s = scn_load(path, ov, n, err, sizeof err);
    if (!s)
        fprintf(stderr, "\n  %s: %s\n", path, err);
    return s;
}

/* Loads `path` with one override and expects exactly `msg`. */
static inline void expect_err(const char *path, const char *ov,
                              const char *msg)
{
    const char *const ovs[] = {ov};
    scenario *s = scn_load(path, ovs, ov ? 1 : 0, err, sizeof err);

    CU_ASSERT_PTR_NULL(s);
    scn_free(s);
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n  %s --set %s\n  got:      %s\n  expected: %s\n",
                path, ov ? ov : "", err, msg);
    CU_ASSERT_STRING_EQUAL(err, msg);
}

#define slurp(path, len) ((unsigned char *)cutest_slurp((path), (len)))

static inline int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static inline void check_dist(const sim_dist *d, const char *canonical)
{
    char buf[128];
    sim_dist_format(d, buf, sizeof buf);
    if (strcmp(buf, canonical) != 0)
        fprintf(stderr, "\n  dist '%s', expected '%s'\n", buf, canonical);
    CU_ASSERT_STRING_EQUAL(buf, canonical);
}

static inline int listed(char (*names)[1024], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* test_scenario_reader.c: the reader, its API and hostile input. */
void test_missing_file(void);
void test_file_too_large(void);
void test_reader_positions(void);
void test_alias_limits(void);
void test_explicit_whole(void);
void test_buffer(void);
void test_reader_api(void);
void test_protocol_blocks(void);
void test_large_explicit(void);
void test_hostile_input(void);
void test_alias_cycle(void);
void test_defences(void);
void test_aead(void);
void test_never_effective(void);
void test_hostile_fixes(void);

#endif
