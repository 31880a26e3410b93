/*
 * cmd-shard - shards on the command line: what `run --shard` keeps of the
 * selection, and `bootproof report --merge`, which makes one run of the
 * shards' run directories.
 *
 *   run --shard K/N | auto [--shard-total N]
 *     The partition is shard.h's, balanced by the median durations
 *     history_durations() reads from the run's history (--history DB, else
 *     REPORTS/history.db) as it is when the run starts. Every shard must
 *     read the same history (a copy of one file, or one file only merged
 *     and whole runs write to: shard runs are not counted); if they do not,
 *     their partition digests differ and the merge refuses them.
 *
 *   bootproof report --merge [-r REPORTS] [--history DB] DIR...
 *     DIRs are shard run directories (results.json with "shard"). Refused
 *     (exit 2, nothing written), naming the directory: not a shard run, a
 *     suite or partition digest or total other than the first DIR's, a
 *     shard index given twice, a scenario in two shards, an unsafe trial
 *     directory name. Else a new run REPORTS/<run-id> (REPORTS/latest
 *     points at it): each shard's trial directories copied (regular files
 *     only), one results.json ("merged": the shards' runs and the missing
 *     indexes), its other reports and history record as after a run
 *     (report_after_run()). A missing or incomplete shard makes the merged
 *     run incomplete, with a reason naming it. One line on stdout says
 *     what was merged. Exit status as run's: 0 every expectation met,
 *     1 one failed, 2 refused, 3 incomplete or an infrastructure verdict,
 *     or the run could not be written.
 */
#ifndef BP_CMD_SHARD_H
#define BP_CMD_SHARD_H

#include "results.h"
#include "shard.h"

/*
 * --shard ARG (K/N or auto) and --shard-total (0: not given) to *ret.
 * Returns 0, or -1 with err (a usage error).
 */
int run_shard_resolve(const char *arg, int total, struct shard_spec *ret, struct bp_error *err);

/*
 * Keep of r's trials those of shard spec (the others' dir strings freed),
 * in their order, and record the shard, the suite's digest and the
 * partition's in r. db: the history to balance by (need not exist).
 * Returns 0, or -1 with err (the suite or the history cannot be read).
 */
int run_shard_select(struct run_result *r, const struct shard_spec *spec, const char *db,
		     struct bp_error *err);

/* `bootproof report --merge ...` (argv[0] is "report"): the exit status above. */
int cmd_merge(int argc, char **argv);

#endif
