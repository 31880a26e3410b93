/*
 * chanmut - a structure-aware mutator for channel files (sensor/FORMAT.md),
 * for the libFuzzer target fuzz-interp.c: a file is read into its header
 * and instance x field criteria, changed at that level (criterion kinds,
 * wildcards and strings, the fields an instance uses, instances added,
 * copied and dropped, the field count, counts and lengths that lie) and
 * written back, so most mutants get past the parser to the evaluator.
 *
 * Reading is exact: a file that is not well-formed under its own header
 * (any field count, any template id) does not read, and the caller falls
 * back to byte mutations. Userspace only (malloc).
 */
#ifndef CHANMUT_H
#define CHANMUT_H

#include <stddef.h>
#include <stdint.h>

struct chanmut_crit {
	uint8_t kind;
	uint16_t len; /* as written: may lie about str's length (see lie_len) */
	uint8_t *str; /* owned, slen bytes */
	size_t slen;
};

struct chanmut_file {
	uint8_t magic[4];
	uint16_t version, type, nfields, reserved;
	uint32_t number;
	uint32_t declared; /* the header's instance count: may lie */
	uint32_t ninstances;
	struct chanmut_crit *crit; /* ninstances rows of nfields */
};

/* A random source for the mutator: xorshift64 state, never 0. */
struct chanmut_rng {
	uint64_t s;
};
void chanmut_rng_seed(struct chanmut_rng *r, uint64_t seed);
uint32_t chanmut_rng_below(struct chanmut_rng *r, uint32_t n); /* 0..n-1; 0 if n is 0 */

/* Read buf exactly into f: 0, or -1 (not a well-formed file; f left empty). */
int chanmut_read(struct chanmut_file *f, const uint8_t *buf, size_t len);
/* Write f into out (at most max bytes): its length, or 0 if it does not fit. */
size_t chanmut_write(const struct chanmut_file *f, uint8_t *out, size_t max);
void chanmut_release(struct chanmut_file *f);

/*
 * Byte mutations for a criterion string: libFuzzer's LLVMFuzzerMutate in
 * the target, anything of that signature in a test. Returns the new size.
 */
typedef size_t (*chanmut_bytes_fn)(uint8_t *data, size_t size, size_t max);

/*
 * Apply 1-4 random structural mutations to f. Strings are drawn from the
 * dictionary (NULL-terminated; e.g. the event's input values), from f's own
 * criteria, or changed by bytes (may be NULL). Never fails.
 */
void chanmut_mutate(struct chanmut_file *f, struct chanmut_rng *r, const char *const *dict,
		    chanmut_bytes_fn bytes);

/* The first k instances of a, then instances of b from its m-th on: b's rows must be a's width. */
int chanmut_cross(struct chanmut_file *out, const struct chanmut_file *a,
		  const struct chanmut_file *b, struct chanmut_rng *r);

#endif
