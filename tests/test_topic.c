/* test_topic.c — MQTT 3.1.1 topic names and filters: every example of
 * OASIS MQTT 3.1.1 section 4.7, invalid filters and names, edge cases
 * (empty levels, case, the 65535-byte limit). */
#include <stdlib.h>
#include <string.h>
#include "cutest.h"
#include "topic.h"

/* ---- Section 4.7 examples ---------------------------------------------- */

static void test_spec_multi_level(void)
{
    /* 4.7.1.2 */
    const char *f = "sport/tennis/player1/#";

    CU_ASSERT_TRUE(sim_topic_filter_valid(f));
    CU_ASSERT_TRUE(sim_topic_match(f, "sport/tennis/player1"));
    CU_ASSERT_TRUE(sim_topic_match(f, "sport/tennis/player1/ranking"));
    CU_ASSERT_TRUE(sim_topic_match(f,
                                   "sport/tennis/player1/score/wimbledon"));
    CU_ASSERT_FALSE(sim_topic_match(f, "sport/tennis/player2"));
    CU_ASSERT_FALSE(sim_topic_match(f, "sport/tennis"));
    CU_ASSERT_TRUE(sim_topic_match("sport/#", "sport"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("#"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("sport/#"));
    CU_ASSERT_TRUE(sim_topic_match("#", "sport"));
    CU_ASSERT_TRUE(sim_topic_match("#", "sport/tennis/player1"));
    CU_ASSERT_TRUE(sim_topic_match("#", "/"));
    CU_ASSERT_TRUE(sim_topic_match("#", "/finance"));
    CU_ASSERT_FALSE(sim_topic_filter_valid("sport/tennis#"));
    CU_ASSERT_FALSE(sim_topic_filter_valid("sport/tennis/#/ranking"));
}

static void test_spec_single_level(void)
{
    /* 4.7.1.3 */
    CU_ASSERT_TRUE(sim_topic_filter_valid("sport/tennis/+"));
    CU_ASSERT_TRUE(sim_topic_match("sport/tennis/+", "sport/tennis/player1"));
    CU_ASSERT_TRUE(sim_topic_match("sport/tennis/+", "sport/tennis/player2"));
    CU_ASSERT_FALSE(sim_topic_match("sport/tennis/+",
                                    "sport/tennis/player1/ranking"));
    CU_ASSERT_FALSE(sim_topic_match("sport/+", "sport"));
    CU_ASSERT_TRUE(sim_topic_match("sport/+", "sport/"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("+"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("+/tennis/#"));
    CU_ASSERT_FALSE(sim_topic_filter_valid("sport+"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("sport/+/player1"));
    CU_ASSERT_TRUE(sim_topic_match("sport/+/player1", "sport/tennis/player1"));
    CU_ASSERT_TRUE(sim_topic_match("+/+", "/finance"));
    CU_ASSERT_TRUE(sim_topic_match("/+", "/finance"));
    CU_ASSERT_FALSE(sim_topic_match("+", "/finance"));
}

static void test_spec_dollar(void)
{
    /* 4.7.2 */
    CU_ASSERT_FALSE(sim_topic_match("#", "$SYS"));
    CU_ASSERT_FALSE(sim_topic_match("#", "$SYS/monitor/Clients"));
    CU_ASSERT_FALSE(sim_topic_match("+/monitor/Clients",
                                    "$SYS/monitor/Clients"));
    CU_ASSERT_TRUE(sim_topic_match("$SYS/#", "$SYS/monitor/Clients"));
    CU_ASSERT_TRUE(sim_topic_match("$SYS/#", "$SYS"));
    CU_ASSERT_TRUE(sim_topic_match("$SYS/monitor/+", "$SYS/monitor/Clients"));
    CU_ASSERT_TRUE(sim_topic_name_valid("$SYS/monitor/Clients"));
    /* '$' is only special as the first character. */
    CU_ASSERT_TRUE(sim_topic_match("#", "a/$SYS"));
    CU_ASSERT_TRUE(sim_topic_match("+/$x", "a/$x"));
}

static void test_spec_semantics(void)
{
    /* 4.7.3: case-sensitive, empty levels, '/' alone, spaces allowed. */
    CU_ASSERT_FALSE(sim_topic_match("ACCOUNTS", "Accounts"));
    CU_ASSERT_TRUE(sim_topic_match("Accounts", "Accounts"));
    CU_ASSERT_TRUE(sim_topic_match("Accounts payable", "Accounts payable"));
    CU_ASSERT_TRUE(sim_topic_name_valid("/"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("/"));
    CU_ASSERT_TRUE(sim_topic_match("/", "/"));
    CU_ASSERT_FALSE(sim_topic_match("/finance", "finance"));
    CU_ASSERT_FALSE(sim_topic_match("finance", "/finance"));
    CU_ASSERT_TRUE(sim_topic_match("/finance", "/finance"));
}

/* ---- Further edge cases ------------------------------------------------ */

static void test_empty_levels(void)
{
    CU_ASSERT_TRUE(sim_topic_name_valid("a//b"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("a//b"));
    CU_ASSERT_TRUE(sim_topic_match("a//b", "a//b"));
    CU_ASSERT_FALSE(sim_topic_match("a//b", "a/b"));
    CU_ASSERT_FALSE(sim_topic_match("a/b", "a//b"));
    CU_ASSERT_TRUE(sim_topic_match("a/+/b", "a//b"));
    CU_ASSERT_TRUE(sim_topic_match("+/+/+", "//"));
    CU_ASSERT_FALSE(sim_topic_match("+/+", "//"));
    CU_ASSERT_TRUE(sim_topic_match("a/#", "a/"));
    CU_ASSERT_TRUE(sim_topic_match("a/#", "a//"));
    CU_ASSERT_TRUE(sim_topic_match("a/", "a/"));
    CU_ASSERT_FALSE(sim_topic_match("a/", "a"));
    CU_ASSERT_FALSE(sim_topic_match("a", "a/"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("+/+/#"));
    CU_ASSERT_TRUE(sim_topic_filter_valid("a/+/"));
}

static void test_misc_match(void)
{
    CU_ASSERT_TRUE(sim_topic_match("home/+/temperature",
                                   "home/kitchen/temperature"));
    CU_ASSERT_FALSE(sim_topic_match("home/+/temperature",
                                    "home/kitchen/humidity"));
    CU_ASSERT_FALSE(sim_topic_match("home/+/temperature",
                                    "home/kitchen/temperature/x"));
    CU_ASSERT_TRUE(sim_topic_match("+/#", "a"));
    CU_ASSERT_TRUE(sim_topic_match("+/#", "a/b/c"));
    CU_ASSERT_FALSE(sim_topic_match("a/b", "a/bc"));
    CU_ASSERT_FALSE(sim_topic_match("a/bc", "a/b"));
    CU_ASSERT_FALSE(sim_topic_match("a/b/#", "a"));
    CU_ASSERT_FALSE(sim_topic_match("a/+/#", "a"));
    CU_ASSERT_TRUE(sim_topic_match("a/+/#", "a/b"));
    CU_ASSERT_FALSE(sim_topic_match(NULL, "a"));
    CU_ASSERT_FALSE(sim_topic_match("a", NULL));
}

static void test_invalid_filters(void)
{
    static const char *const bad[] = {
        "sport/tennis#", "sport/tennis/#/ranking", "sport+", "",
        "#/", "##", "a/#b", "a/b#", "++", "a/+b", "+a", "a+/b", "#/a",
        "a/#/", "/#/",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sim_topic_filter_valid(bad[i]))
            fprintf(stderr, "filter '%s' accepted\n", bad[i]);
        CU_ASSERT_FALSE(sim_topic_filter_valid(bad[i]));
    }
    CU_ASSERT_FALSE(sim_topic_filter_valid(NULL));
}

static void test_invalid_names(void)
{
    static const char *const bad[] = {
        "", "+", "#", "a/+", "a/#", "sport/tennis/+", "a+b", "a#b",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_FALSE(sim_topic_name_valid(bad[i]));
    CU_ASSERT_FALSE(sim_topic_name_valid(NULL));
    CU_ASSERT_TRUE(sim_topic_name_valid("sport/tennis/player1"));
    CU_ASSERT_TRUE(sim_topic_name_valid(" "));
    CU_ASSERT_TRUE(sim_topic_name_valid("$"));
}

static void test_length_limit(void)
{
    char *s = malloc(65537);

    CU_ASSERT_FATAL(s != NULL);
    memset(s, 'a', 65536);
    s[65535] = '\0';
    CU_ASSERT_TRUE(sim_topic_name_valid(s));
    CU_ASSERT_TRUE(sim_topic_filter_valid(s));
    CU_ASSERT_TRUE(sim_topic_match(s, s));
    s[65535] = 'a';
    s[65536] = '\0';
    CU_ASSERT_FALSE(sim_topic_name_valid(s));
    CU_ASSERT_FALSE(sim_topic_filter_valid(s));
    free(s);
}

static int register_tests(void)
{
    CU_pSuite s = CU_add_suite("topic", NULL, NULL);

    if (!s)
        return -1;
    CUTEST_ADD(s, test_spec_multi_level);
    CUTEST_ADD(s, test_spec_single_level);
    CUTEST_ADD(s, test_spec_dollar);
    CUTEST_ADD(s, test_spec_semantics);
    CUTEST_ADD(s, test_empty_levels);
    CUTEST_ADD(s, test_misc_match);
    CUTEST_ADD(s, test_invalid_filters);
    CUTEST_ADD(s, test_invalid_names);
    CUTEST_ADD(s, test_length_limit);
    return 0;
}

CUTEST_MAIN(register_tests)
