/*
 * hash - every hash function the harness uses, each implemented once.
 *
 *   SHA-256  (FIPS 180-4) what a trial ran, for results.json: digests a
 *            reader can check with sha256sum (report-digest.h)
 *   XXH64    (seed 0) fast content hashes of large inputs, ~5 GB/s: the
 *            golden snapshots' input key (snapshot.h)
 *   FNV-1a   (64 bits) short non-cryptographic ids of small inputs: content
 *            set ids (update.h), snapshot names
 *
 * All are streaming: init, update any number of times, final. None is
 * meant to resist an adversary except SHA-256.
 */
#ifndef BP_HASH_H
#define BP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	unsigned char buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, unsigned char out[32]);
/* out: SHA256_HEX_LEN lowercase hex digits and a NUL. */
void sha256_hex(const unsigned char digest[32], char out[SHA256_HEX_LEN + 1]);

struct xxh64 {
	uint64_t v[4];
	uint64_t total;
	unsigned char buf[32];
	size_t nbuf;
};

void xxh64_init(struct xxh64 *h);
void xxh64_update(struct xxh64 *h, const void *data, size_t len);
uint64_t xxh64_final(const struct xxh64 *h);
/* The XXH64 of one buffer. */
uint64_t xxh64(const void *data, size_t len);

/* FNV-1a: start from FNV1A64_INIT, feed the bytes; the value is the hash. */
#define FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a64_update(uint64_t h, const void *data, size_t len);

#endif
