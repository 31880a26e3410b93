/*
 * fuzz.h - shared by the libFuzzer targets in tests/fuzz/.
 *
 * FUZZ_CHECK(cond, what) is the oracle: when cond is false it prints what
 * failed and aborts, so libFuzzer records the input as a crash.
 */
#ifndef BP_FUZZ_H
#define BP_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, what)                                                             \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "oracle failed: %s (%s:%d)\n", what, __FILE__, __LINE__); \
			abort();                                                           \
		}                                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
