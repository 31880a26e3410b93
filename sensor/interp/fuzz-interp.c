/*
 * fuzz-interp - the libFuzzer target `bootproof fuzz` runs: one sensor
 * version's content interpreter (libinterp-vN, interp-user.h) over channel
 * files, built as build/fuzz-interp-vN with ASan and UBSan. The oracle is
 * the sanitizers: v1's read of input 21 of 20 is a heap-buffer-overflow
 * READ in refsensor_eval.
 *
 * Mutations are structure-aware (chanmut.h): an input that reads as a
 * channel file is changed as one (kinds, wildcards, strings, the fields an
 * instance uses, instances, the field count, lying counts and lengths) and
 * written back; anything else gets libFuzzer's byte mutations, as does one
 * mutation in eight so the parser still sees arbitrary bytes. With
 * FUZZ_INTERP_PLAIN=1 in the environment only byte mutations are used (to
 * measure what the structure buys).
 */
#include <stdlib.h>
#include <string.h>

#include "chanmut.h"
#include "interp-user.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static struct interp_event *event;
static const char *dict[INTERP_IPC_INPUTS + 1];
static int plain;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *p = getenv("FUZZ_INTERP_PLAIN");

	event = interp_user_event_new();
	if (!event)
		abort();
	for (unsigned int i = 0; i < event->ninputs; i++)
		dict[i] = event->inputs[i];
	plain = p && *p && strcmp(p, "0");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct interp_user_verdict v;

	interp_user_load(event, "fuzz", data, size, &v);
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct chanmut_file f;
	struct chanmut_rng r;
	size_t n;

	chanmut_rng_seed(&r, seed);
	if (plain || chanmut_rng_below(&r, 8) == 0 || chanmut_read(&f, data, size) < 0)
		return LLVMFuzzerMutate(data, size, max_size);
	chanmut_mutate(&f, &r, dict, LLVMFuzzerMutate);
	n = chanmut_write(&f, data, max_size);
	chanmut_release(&f);
	return n ? n : LLVMFuzzerMutate(data, size, max_size);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_out, unsigned int seed)
{
	struct chanmut_file a, b, c;
	struct chanmut_rng r;
	size_t n = 0;

	chanmut_rng_seed(&r, seed);
	if (chanmut_read(&a, d1, s1) < 0)
		return 0;
	if (chanmut_read(&b, d2, s2) == 0) {
		if (chanmut_cross(&c, &a, &b, &r) == 0) {
			n = chanmut_write(&c, out, max_out);
			chanmut_release(&c);
		}
		chanmut_release(&b);
	}
	chanmut_release(&a);
	return n;
}
