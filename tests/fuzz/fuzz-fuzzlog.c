/*
 * fuzz-fuzzlog - libFuzzer output as `bootproof fuzz` reads it (untrusted:
 * whatever a target and its sanitizers print), fed in pieces whose sizes
 * the input's first byte picks. Oracle: the same text read whole or in
 * pieces gives the same result; signatures and stack keys are
 * NUL-terminated, printable, within their buffers; a signature only after
 * a report began.
 */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"
#include "fuzzlog.h"

static void check_text(const char *s, size_t size, const char *what)
{
	size_t n = strnlen(s, size);

	FUZZ_CHECK(n < size, what);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isprint((unsigned char)s[i]), what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzzlog whole, parts;
	size_t step;

	if (!size)
		return 0;
	step = 1 + data[0] % 64;
	data++;
	size--;
	fuzzlog_init(&whole);
	fuzzlog_feed(&whole, (const char *)data, size);
	fuzzlog_finish(&whole);
	fuzzlog_init(&parts);
	for (size_t i = 0; i < size; i += step)
		fuzzlog_feed(&parts, (const char *)data + i, i + step < size ? step : size - i);
	fuzzlog_finish(&parts);

	FUZZ_CHECK(!strcmp(whole.signature, parts.signature), "signature depends on read sizes");
	FUZZ_CHECK(!strcmp(whole.stack_key, parts.stack_key), "stack key depends on read sizes");
	FUZZ_CHECK(whole.execs == parts.execs && whole.crashed == parts.crashed,
		   "progress depends on read sizes");
	check_text(whole.signature, sizeof(whole.signature), "signature not printable text");
	check_text(whole.stack_key, sizeof(whole.stack_key), "stack key not printable text");
	FUZZ_CHECK(whole.crashed || !*whole.signature, "a signature without a report");
	FUZZ_CHECK(strnlen(whole.artifact, sizeof(whole.artifact)) < sizeof(whole.artifact),
		   "artifact not terminated");
	fuzzlog_release(&whole);
	fuzzlog_release(&parts);
	return 0;
}
