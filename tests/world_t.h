/* world_t.h — private to tests/test_world*.c (one CUnit program, tests/
 * test_world): the helpers its files share and the tests that
 * tests/test_world.c registers from the other files. */
#ifndef KMSIM_WORLD_T_H
#define KMSIM_WORLD_T_H

#include <stdio.h>
#include <string.h>
#include "cutest.h"
#include "world.h"
#include "scenario.h"

/* The scenario of yaml (named test.yaml), or NULL with the error on
 * stderr. */
static inline scenario *load(const char *yaml)
{
    char err[512];
    scenario *sc = scn_load_buffer("test.yaml", yaml, strlen(yaml), NULL, 0,
                                   err, sizeof err);
    if (!sc)
        fprintf(stderr, "load failed: %s\n", err);
    return sc;
}

/* The value of metric (name, entity) of w; unit and kind document the
 * call only.  Fails the test if there is no such metric. */
static inline double metric(sim_world *w, const char *name,
                            const char *entity, const char *unit,
                            ana_kind kind)
{
    ana_metrics *m = sim_world_metrics(w);
    int id = ana_metric_find(m, name, entity);
    (void)unit; (void)kind;
    CU_ASSERT_FATAL(id >= 0);
    return ana_metric_get(m, id);
}

/* tests/test_world_moves.c */
void test_move_switches_so(void);
void test_move_away_and_back(void);
void test_move_while_unregistered(void);
void test_move_hook(void);
void test_storage_marks(void);
void test_move_lambda_theory(void);
void test_move_determinism(void);
void test_move_errors(void);

/* tests/test_world_threads.c */
void test_partition_loopback(void);
void test_partition_loopback_protocols(void);
void test_new_split(void);
void test_new_threads(void);
void test_new_threads_pk(void);
void test_threads_real(void);
void test_threads_refused(void);
void test_threads_moves_refused(void);
void test_samples_replay(void);
void test_eg_threads_refusal(void);
void test_two_scheds_alternating(void);
void test_partition_lookahead(void);

/* tests/test_world_route.c */
void test_route_reference_explicit(void);
void test_route_reference_generators(void);
void test_route_work_bounded(void);
void test_backbone_shape(void);

#endif
