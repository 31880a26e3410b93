/*
 * litter - scratch directories that say whether their owner is alive, and
 * the sweep that removes what dead runs left behind.
 *
 * A harness killed with SIGKILL cleans nothing: its QEMUs die with it
 * (PR_SET_PDEATHSIG) but its scratch directory under /tmp, a snapshot
 * build's socket directory, the libguestfs socket directory of an appliance
 * that was running, the run's results.tap.tmp stay, and its results.json
 * says complete: false with no reason. So every scratch directory the
 * harness makes (litter_mkdtemp) holds
 *
 *   .owner   "pid N\n" and, for a run's work directory, "run DIR\n" (the
 *            absolute reports/<run-id>)
 *   .lock    flock()ed (LOCK_EX) by its creator for as long as the process
 *            lives. The kernel drops the lock when the last holder dies (a
 *            forked worker inherits it and holds it until it too is gone),
 *            so a lock that can be taken proves the owner dead, whatever
 *            pid has been reused since. It is created locked under another
 *            name and renamed into place, so an existing .lock is never
 *            unlocked while its owner lives.
 *   .guestfs the libguestfs socket directories (/tmp/libguestfsXXXXXX)
 *            of appliances the run's workers launched, one a line
 *            (litter_note_guestfs, from the worker)
 *
 * litter_sweep() looks at the directories called "bootproof-*" in a
 * directory (/tmp), owned by this uid, that hold a .lock; one whose lock it
 * can take is dead: it removes the directory and the libguestfs
 * directories listed in it (each checked: the libguestfs name pattern, a
 * directory of ours, no socket in it still open anywhere), removes the
 * run's results.tap.tmp and results.json.tmp.PID, and hands the run's
 * directory to the sweeper's dead_run (the commands pass
 * report_killed_run(), cmd-report.h: results.json still incomplete with no
 * reason gets incomplete_reason "killed", then the other reports and the
 * history record). Directories without a .lock (the
 * test suite's /tmp/bootproof-test.XXXXXX, a harness from before this) and
 * locked ones are never touched.
 */
#ifndef BP_LITTER_H
#define BP_LITTER_H

#include "util.h"

/* The reason a swept run's results.json gets. */
#define LITTER_KILLED "killed"

/*
 * mkdtemp(template), then the owner record (run_dir: the run's report
 * directory, or NULL) and the lock, held until the process ends or
 * litter_forget(). The first directory made this way is the process's home
 * for litter_note_guestfs(). -1 with err (nothing left behind).
 */
int litter_mkdtemp(char *template, const char *run_dir, struct bp_error *err);
/* Drop dir's lock (after the caller removed dir). Unknown dirs are ignored. */
void litter_forget(const char *dir);
/* Keep dir for the user (--keep): no longer a scratch directory, never swept. */
void litter_keep(const char *dir);

/*
 * From a libguestfs worker after its appliance launched: append the
 * libguestfs socket directories this process has sockets in to the home
 * directory's .guestfs. Best effort, silent; nothing without a home.
 */
void litter_note_guestfs(void);

typedef void (*litter_note_fn)(void *ctx, const char *msg);
struct litter_sweeper {
	litter_note_fn note; /* one message per dead directory removed; may be NULL */
	/* a dead run's report directory, its half-written files gone; may be NULL */
	void (*dead_run)(void *ctx, const char *run_dir);
	void *ctx;
};
/* Sweep tmp_dir (see above). Returns the number of directories removed. */
int litter_sweep(const char *tmp_dir, const struct litter_sweeper *sw);
/* Where the harness makes its scratch: $TMPDIR if set (absolute), else /tmp. */
const char *litter_tmp_dir(void);
/* litter_sweep() of /tmp and of litter_tmp_dir() when that is another directory. */
int litter_sweep_all(const struct litter_sweeper *sw);
/* A note function for commands: "bootproof: MSG" on stderr. */
void litter_note_stderr(void *ctx, const char *msg);

#endif
