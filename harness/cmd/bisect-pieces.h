/*
 * bisect-pieces - one content file cut into pieces and a subset of them
 * put back into a file, for `bootproof bisect`.
 *
 * A content set with its own commands (scenario.h: split, join) has every
 * file cut by them; without, a reference channel file (chanfile.h) is cut
 * into its template instances in-process and any other file stays whole.
 * The commands: `split` runs with {in} the file and {outdir}
 * a fresh empty directory and must leave the pieces there as regular
 * files (their names sorted bytewise are their order; at most
 * PIECES_MAX); `join` runs with {outdir} a directory holding the chosen
 * pieces under the same names and {out} the file to write. Commands are
 * words split at spaces and tabs (no shell, no quoting); the placeholders
 * are replaced wherever they appear in a word. Each gets PIECES_CMD_MS,
 * its output goes to a log beside its directory, and anything but exit
 * status 0 (and, for join, a regular file at {out}) is an error.
 */
#ifndef BP_BISECT_PIECES_H
#define BP_BISECT_PIECES_H

#include <stddef.h>

#include "chanfile.h"
#include "scenario.h"

#define PIECES_MAX 4096
#define PIECES_CMD_MS 60000

struct pieces {
	const struct content_file *file;
	const struct content_set *set; /* its split/join commands, if any */
	int reference;		       /* cut by chanfile.h */
	struct chanfile cf;
	char *dir;    /* split by command: the pieces' directory */
	char **names; /* ... their names, in order */
	size_t nr;    /* pieces; 0: the file is not cut (why: pieces_split's err) */
};

/*
 * Cut file (of set) into pieces, work_dir (exists) for a command's
 * output. 0 with p->nr >= 1, or -1 with err saying why the file stays
 * whole (the split command failed; without one, not a reference channel
 * file); p is released either way by pieces_release().
 */
int pieces_split(struct pieces *p, const struct content_set *set, const struct content_file *file,
		 const char *work_dir, struct bp_error *err);
/* The pieces pick[0..nr) (numbers from 0) as the file `out`; dir (exists) for a join's scratch. */
int pieces_join(const struct pieces *p, const size_t *pick, size_t nr, const char *dir,
		const char *out, struct bp_error *err);
void pieces_release(struct pieces *p);

#endif
