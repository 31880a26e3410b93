/*
 * t-hash - the hash module (harness/core/hash.h): published test vectors for
 * XXH64 and FNV-1a 64 (SHA-256's are in t-report), and streamed input, fed
 * in every chunk size, hashes as the same bytes in one piece.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "tap.h"

static uint64_t xxh64_chunked(const char *s, size_t len, size_t chunk)
{
	struct xxh64 h;

	xxh64_init(&h);
	for (size_t off = 0; off < len; off += chunk)
		xxh64_update(&h, s + off, len - off < chunk ? len - off : chunk);
	return xxh64_final(&h);
}

int main(void)
{
	static const char spam[] = "Nobody inspects the spammish repetition";
	char big[1000], name[96];
	int same = 1;

	tap_ok(xxh64("", 0) == 0xef46db3751d8e999ULL, "xxh64 of nothing");
	tap_ok(xxh64("abc", 3) == 0x44bc2cf5ad770999ULL, "xxh64 of 'abc' (under one stripe)");
	tap_ok(xxh64(spam, strlen(spam)) == 0xfbcea83c8a378bf1ULL,
	       "xxh64 of 39 bytes (one stripe and a tail)");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	for (size_t chunk = 1; chunk <= 70; chunk++)
		same &= xxh64_chunked(big, sizeof(big), chunk) == xxh64(big, sizeof(big));
	tap_ok(same, "xxh64 streamed in chunks of 1..70 bytes = in one piece");
	snprintf(name, sizeof(name), "%016" PRIx64, xxh64_chunked(spam, strlen(spam), 5));
	tap_is_str(name, "fbcea83c8a378bf1", "and for the vector");

	tap_ok(fnv1a64_update(FNV1A64_INIT, "", 0) == 0xcbf29ce484222325ULL, "fnv1a64 of nothing");
	tap_ok(fnv1a64_update(FNV1A64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL, "fnv1a64 of 'a'");
	tap_ok(fnv1a64_update(FNV1A64_INIT, "foobar", 6) == 0x85944171f73967e8ULL,
	       "fnv1a64 of 'foobar'");
	tap_ok(fnv1a64_update(fnv1a64_update(FNV1A64_INIT, "foo", 3), "bar", 3) ==
		       0x85944171f73967e8ULL,
	       "fnv1a64 fed in two pieces");
	return tap_done();
}
