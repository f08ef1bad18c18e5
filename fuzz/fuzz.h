/* fuzz.h — shared by the libFuzzer harnesses (fuzz_*.c) and their
 * replay driver (replay.c), which runs saved inputs under make check
 * without libFuzzer. */
#ifndef KMSIM_FUZZ_H
#define KMSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant does not hold: says which, and aborts (the fuzzer keeps
 * the input; the replay test fails). */
static inline void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant: %s: %s\n", what, detail ? detail : "");
    abort();
}

#endif
