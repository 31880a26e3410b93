/*
 * fuzz-boot - stage 2 of `bootproof fuzz` (cmd-fuzz.h): inputs the
 * in-process campaign found (its crashes, and a few the sensor loads and
 * evaluates without a crash: cmd-fuzz.c picks them) are
 * booted as trials of the campaign's scenario, in one session (session.h:
 * REPORTS/<run-id>/ with results.json and the other reports, TAP on stdout).
 *
 * Each input i gives two trials, scenarios "SCENARIO/fuzz-i-live" and
 * "SCENARIO/fuzz-i-cold" (the scenario's image, sensor, timeouts and race):
 *   - live: the scenario's own content as the base, then the input pushed
 *     live into the running guest (a restored booted state where one can be
 *     had), one boot; only when the sensor has an update agent;
 *   - cold: the input injected as the only content, one cold boot.
 * An input that crashed in-process is expected to crash the guest, its title
 * naming the function of its signature ("... in refsensor_eval"); one that
 * did not is expected to boot clean. In the guest the input is
 * C-CHANNEL-00000000-9000000i.sys (the base content's channel; the update
 * channel takes no other names).
 */
#ifndef BP_FUZZ_BOOT_H
#define BP_FUZZ_BOOT_H

#include <stddef.h>

struct scenario;

struct fuzz_boot_input {
	const char *path;     /* the channel file (made absolute here) */
	int crashes;	      /* it crashed in-process: expect a crash */
	const char *function; /* a crash's title must contain this; NULL: any crash */
};

/*
 * Boot the inputs (see above) and write the session's reports under
 * reports. Returns the session's exit status (session.h: 0 every
 * expectation met, 1 one failed, 3 infrastructure); *run_dir is the run's
 * directory (malloc'd) or NULL when none was made.
 */
int fuzz_boot(const struct scenario *sc, const char *suite_path, const char *reports, int quiet,
	      const struct fuzz_boot_input *in, size_t n, char **run_dir);

#endif
