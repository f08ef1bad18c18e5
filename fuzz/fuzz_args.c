/* fuzz_args.c — libFuzzer harness for the command-line expression
 * parsers: `--set PATH=VALUE` (applied to a small valid scenario by
 * scn_load_buffer) and `--vary PATH=VALUES` (scn_axis_parse).
 *
 * Input: b[0] & 1 picks the parser; the rest, up to its first NUL (a
 * command-line argument cannot hold one), is the argument.  Invariants:
 * no crash, leak or hang; a refusal is one line naming the flag and its
 * argument ("--set ..." / "--vary ...") or the file; a --set that is
 * accepted gives a scenario. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "scenario.h"
#include "proto.h"

static const char base[] =
    "name: fuzz-args\n"
    "seed: 1\n"
    "duration: 1min\n"
    "protocol: {name: dini}\n"
    "topology:\n"
    "  generator: tree\n"
    "  sources: 6\n"
    "  smart_objects: 1\n"
    "  fanout: 2\n"
    "  link: {latency: 1ms, bandwidth: 1Mbps}\n"
    "traffic: {interval: exp(10s), size: 32B}\n"
    "smart_object: {service: exp(10ms)}\n"
    "sweep:\n"
    "  traffic.size: [16B, 32B]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024], *arg;
    size_t n;

    sim_proto_use();    /* the loader's registry; the same every call */
    if (size < 1)
        return 0;
    n = strnlen((const char *)data + 1, size - 1);
    arg = malloc(n + 1);
    if (!arg)
        return 0;
    memcpy(arg, data + 1, n);
    arg[n] = '\0';
    err[0] = '\0';
    if (data[0] & 1) {
        scn_axis ax;

        memset(&ax, 0, sizeof ax);
        if (scn_axis_parse(arg, &ax, err, sizeof err) == 0)
            scn_axis_free(&ax);
        else if (strncmp(err, "--vary", 6) != 0 || strchr(err, '\n'))
            fuzz_fail("--vary refusal not one line naming the flag", err);
    } else {
        const char *ov[1] = {arg};
        scenario *s = scn_load_buffer("base.yaml", base, sizeof base - 1,
                                      ov, 1, err, sizeof err);

        if (s)
            scn_free(s);
        else if ((strncmp(err, "--set", 5) != 0 &&
                  strncmp(err, "base.yaml", 9) != 0) ||
                 strchr(err, '\n'))
            fuzz_fail("--set refusal not one line naming the flag", err);
    }
    free(arg);
    return 0;
}
