/*
 * collect - files copied off a guest disk after a boot (a crash's dumps,
 * guest.h: GUEST_ARTIFACT_DUMPS), bounded, and the record of what was
 * copied.
 *
 * The guest decides what its disk holds: a name may be anything, a file
 * may be huge, a glob may match thousands. So collect_glob() (the
 * libguestfs worker's side of INJECT_COLLECT, inject.h) copies regular
 * files only (no symlink is followed), at most INJECT_COLLECT_FILES of
 * them (the newest by mtime), each cut at the op's byte bound, under a
 * name made of safe bytes in the host directory, and appends one manifest
 * line per copy (INJECT_COLLECT_MANIFEST); collect_manifest_read() reads
 * those lines back for the harness, each field bounded and checked (the
 * manifest is written from guest data, so it is input too).
 */
#ifndef BP_COLLECT_H
#define BP_COLLECT_H

#include <stdint.h>

#include "inject.h"
#include "util.h"

struct guestfs_h;
struct guestroot;

#define COLLECT_NAME_MAX 64
#define COLLECT_PATH_MAX 512

struct collected {
	uint64_t copied, size; /* bytes copied, the guest file's size: copied < size when cut */
	int64_t mtime;	       /* the guest file's mtime (s) */
	char name[COLLECT_NAME_MAX + 1];  /* the copy, in the directory */
	char guest[COLLECT_PATH_MAX + 1]; /* its guest path (control bytes made '?') */
	/* Not a copy: this many more files matched and were left out (the rest is empty). */
	uint64_t left;
};

/* For the worker (blocking libguestfs calls): INJECT_COLLECT on a mounted root. */
int collect_glob(struct guestfs_h *g, const struct guestroot *r, struct inject_op *op,
		 struct bp_error *err);

/*
 * The manifest of dir: each well-formed line to fn (in order; a line
 * "#left N ..." as a struct with only `left` set); malformed
 * ones are skipped, as are names that are not a plain file name. 0 (also
 * when there is no manifest: nothing was copied), -1 with err when it
 * cannot be read.
 */
int collect_manifest_read(const char *dir, void (*fn)(void *ctx, const struct collected *c),
			  void *ctx, struct bp_error *err);

#endif
