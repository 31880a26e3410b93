/*
 * run - `bootproof run`: load the suite, pick the accelerator, make one
 * overlay per trial and inject the sensor and content into all of them in one
 * libguestfs launch, boot each trial's boots, and write TAP to stdout plus
 * reports/<run-id>/{results.json,results.tap,<trial>/boot-N.log} with
 * reports/latest pointing at the newest run.
 *
 * Scratch (overlays, sockets) lives in $TMPDIR (else /tmp)/bootproof-XXXXXX,
 * locked for the run's life (litter.h); a run first sweeps what runs killed
 * before it left there.
 *
 * -q/--quiet: no progress block (progress.h); the TAP stream is the same.
 *
 * --shard K/N|auto [--shard-total N]: only shard K of N of the selected
 * trials (cmd-shard.h, shard.h); results.json records the shard and the
 * suite's and partition's digests.
 *
 * Exit status: 0 every expectation met, 1 an expectation failed, 2 usage or
 * configuration error (nothing started), 3 infrastructure failure (or
 * interrupted).
 */
#ifndef BP_RUN_H
#define BP_RUN_H

struct bp_error;
struct cmd_usage;
struct scenario;
struct suite;

/* `bootproof run ...` (argv[0] is "run"): the exit status above. */
int cmd_run(int argc, char **argv);
extern const struct cmd_usage run_usage;

/*
 * The scenario names of the command line (run's and validate's): NAME
 * selects the scenario NAME and every matrix entry NAME/SENSOR; no names
 * select every scenario. run_check_names() returns 0 when every name
 * selects one, else -1 with err naming the first that selects none.
 */
int run_selects(char *const *names, int nr_names, const struct scenario *sc);
int run_check_names(char *const *names, int nr_names, const struct suite *s, struct bp_error *err);

/*
 * The session options commands that boot trials share, by getopt letter:
 * c suite, r reports, k keep, q quiet, H history, C cache, K cold, j jobs
 * (1..64). Returns 1 when c was one (o set), 0 when it is not one of them,
 * -1 for a bad -j (the message and u's usage line printed).
 */
struct session_opts;
int run_session_opt(int c, const char *arg, struct session_opts *o, const struct cmd_usage *u);

#endif
