/* fuzz_scenario.c — libFuzzer harness: bytes -> YAML -> validated
 * scenario (scn_load_buffer), and, when the scenario is small, the world
 * it describes built and run for a bounded number of events.
 *
 * Invariants checked (a violation aborts, so the fuzzer reports it):
 *  - the loader never crashes, leaks or hangs, whatever the bytes;
 *  - a refusal is one line that starts with the file name ("fuzz.yaml:",
 *    then line:column where the input has them);
 *  - a scenario the loader accepts builds (or is refused with a message)
 *    and runs without crashing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "scenario.h"
#include "proto.h"
#include "world.h"
#include "attack.h"

#define FUZZ_MAX_NODES 64u       /* build and run only small worlds       */
#define FUZZ_MAX_EVENTS 20000u

static uint64_t nodes_of(const scenario *s)
{
    const scn_topology *t = &s->topo;

    if (t->kind == SCN_TOPO_EXPLICIT)
        return t->n_nodes;
    return (uint64_t)t->sources + t->smart_objects + t->subscribers;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    scenario *s;

    sim_proto_use();    /* the loader's registry; the same every call */
    err[0] = '\0';
    s = scn_load_buffer("fuzz.yaml", (const char *)data, size, NULL, 0,
                        err, sizeof err);
    if (!s) {
        if (strncmp(err, "fuzz.yaml", 9) != 0 || strchr(err, '\n'))
            fuzz_fail("refusal without the file name, or not one line",
                      err);
        return 0;
    }
    if (nodes_of(s) <= FUZZ_MAX_NODES && s->n_moves <= 64 &&
        s->n_attackers <= 8) {
        sim_world *w = sim_world_new(s, s->seed, err, sizeof err);

        if (w && atk_attach(w, sim_proto_atk(s->proto), err,
                            sizeof err) != 0) {            /* as the runner */
            sim_world_free(w);
            w = NULL;
        }
        if (w) {
            sim_world_run(w, s->duration, FUZZ_MAX_EVENTS);
            sim_world_finish(w);
            sim_world_free(w);
        }
    }
    scn_free(s);
    return 0;
}
