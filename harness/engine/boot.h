/*
 * boot - one boot of a guest, judged clean, crash, hang or infra.
 *
 * A boot owns one machine (machine.h: any backend), its serial log file, a
 * console sanitizer and a crash detector, and judges from the machine's
 * console bytes and events and its own deadlines only. It lives in the
 * event loop (loop.h) given in its params: the machine registers its fds
 * there, the boot its update channel and one timer, and boot_done()
 * becomes true in a callback; p.on_done is then called from a timer of the
 * loop's next round (where boot_release() may be called). The verdict
 * combines signals, never just one:
 *
 *   crash  a crash report on the console (title from the guest profile's
 *          detector, guest.h); or a panic
 *          signal (MACHINE_PANIC, CRASH_LOADED or WATCHDOG) with no console
 *          report within CRASH_GRACE_MS (3 s): titled by the bugcheck when
 *          the machine carried one ("bugcheck 0x0000007e (0x..., ...) with
 *          no console report"), else "guest watchdog fired (ACTION) ..." or
 *          "guest panicked (pvpanic) ..."; or the machine exited after a
 *          guest reset or guest shutdown before the boot completed
 *          ("unexpected reboot"/"unexpected shutdown"). A report that has
 *          passed its body's end marker (crash_detector_body_ended) is judged
 *          after BODY_QUIET_MS (2 s) without console output: a non-fatal
 *          report that is the guest's last output does not wait for the
 *          silence deadline
 *   clean  the boot-complete marker, with no crash report in progress; in a
 *          soak (p.stats) every push round and memory figure answered; with
 *          a live push, also every pushed file answered by the agent and
 *          then, if the sensor declares its evaluated line (p.evaluated),
 *          that line seen once for each file the agent says the sensor
 *          took (loaded=1), each after that push's bytes were written:
 *          clean at once, with no fixed wait. Else, or while lines are
 *          missing, clean p.settle_ms after the last answer without a
 *          crash; lines still missing then are counted in
 *          boot_result.unevaluated (the trial's check fails on them)
 *   hang   no marker within boot_timeout, or no output for silence_timeout
 *          once the guest has printed something (both counted from the
 *          machine's READY), while the machine still answers: at the
 *          deadline machine_probe() is sent and an answer within PROBE_MS
 *          (3 s) confirms the hang (a monitor already closed: hang too)
 *   recovery  with p.recovery_screen, a hang deadline passed (no marker, no
 *          crash report or panic signal this boot) and the screen is still:
 *          two screendumps RECOVERY_GAP_MS (3 s) apart show the same picture
 *          and it is not one flat colour (screen.h). The guest sits at a
 *          drawn screen waiting for someone, as Windows' Automatic Repair
 *          and WinRE do. A blue screen is the same blue as WinRE's, so it
 *          is told apart by the crash signals of its boot (EMS, pvpanic),
 *          which judge it a crash before any deadline. A console line the
 *          profile calls a recovery line (guest.h) is named in the title.
 *          The second screendump is kept as the boot's screenshot. A screen
 *          that changes, is blank, or cannot be taken: the deadline's hang
 *          (probed as below)
 *   infra  the machine would not start, or exited without the guest asking
 *          (killed, crashed, out of memory: "qemu killed by signal 9 ...
 *          without the guest asking"), or gave no answer to that probe
 *          ("qemu stopped answering QMP ...": a wedged or SIGSTOPped host
 *          process is the host's fault, not the guest's); or the harness
 *          cut the power (power_off_at) or got a signal
 *
 * Once judged, the machine is wound down through the loop (a crash's
 * screenshot, then machine_stop(); one that stopped answering gets
 * machine_power_cut() at once) and boot_done() is true once it exited. The
 * result is in the boot_result given to boot_start() from the moment of
 * the verdict.
 *
 * With p.dump_path, the guest's panic event (MACHINE_PANIC) asks the
 * machine for a host-side dump there (machine_dump()), whenever it comes
 * before the stop: the guest is paused while it is written (the crash
 * grace and the hang deadlines wait), the wind-down waits for it, and a
 * crash judged from the console before any panic event holds the stop
 * CRASH_GRACE_MS for one. When the boot is done and it crashed, a profile
 * with dump artifacts gets its source views (results.h): the serial
 * console's (its report's title, code, parameters and driver), the panic
 * event's (its bugcheck when the backend carried one), and, with
 * p.dump_path, the host-side dump's as the profile reads it (dump_view)
 * or why there is none ("no dump: win-dump: invalid vmcoreinfo note
 * size"; a backend without the op: "no dump: not supported by this
 * backend"). A refused dump is that source's view, never the boot's
 * verdict.
 */
#ifndef BP_BOOT_H
#define BP_BOOT_H

#include <regex.h>
#include <stdint.h>

#include "console.h"
#include "guest.h" /* profile: the crash detector interface */
#include "loop.h"
#include "machine.h"
#include "results.h"
#include "update.h"

struct boot;

struct boot_params {
	struct machine *machine; /* taken: boot_release() releases it */
	const struct guest_profile *guest; /* whose crash detector reads the console */
	struct loop *loop;
	void (*on_done)(void *ctx, struct boot *b); /* from a loop timer, once done */
	void *ctx;
	/*
	 * Judged clean: done at once with the machine left running and paused
	 * nowhere (the golden snapshot's build saves it next). The owner may
	 * then set the machine's cb to its own; boot_release() still frees it.
	 */
	int keep;
	const char *marker;
	const char *log_contains; /* may be NULL */
	int boot_timeout_ms;
	int silence_timeout_ms;
	const char *log_path;     /* serial log to write (raw bytes) */
	/* Served to the guest's agent over the update port (may be NULL). */
	const struct content_set *publish; /* the rollback set offered when the agent asks */
	const struct content_set *push;    /* pushed into the running guest once it is up */
	/*
	 * With push: the console line the sensor prints once it has evaluated
	 * one pushed file (may be NULL: none), and how long after the agent's
	 * last answer a quiet boot is clean (without the line, or waiting for it).
	 */
	const regex_t *evaluated;
	int settle_ms;
	/*
	 * A soak (exec.h, STEP_SOAK). With stats, once the boot is up the
	 * agent is asked for the guest's memory figures (update_stats()), each
	 * answer a sample in the result; the boot is clean only after the last
	 * one. With soak_pushes as well, push is not pushed once but that many
	 * times, one round at a time: a round, its answers, STATS, the next;
	 * no round starts after soak_until_ms (0: no bound). While a soak runs,
	 * boot_timeout bounds each round and answer, not the boot.
	 */
	int stats;
	int soak_pushes;
	int64_t soak_until_ms;
	/*
	 * Restore this saved state (the machine's kind: a struct snapshot for
	 * QEMU) instead of booting. NULL: a cold boot. Without resume_input it
	 * was taken at the boot-complete marker with the agent serving the
	 * update channel, so the boot starts with the marker seen. With
	 * resume_input it was taken at the guest's pre-mount point (guest.h),
	 * before the boot's own work: that line is typed on the console once
	 * the machine runs, and the boot is judged from there like a cold one.
	 */
	const void *restore;
	const char *resume_input;
	/* Fault injection: cut the machine's power once a console line contains this. */
	const char *power_off_at;
	const char *screenshot_path;       /* where a crash's screendump goes (PNG) */
	const char *screenshot_rel;        /* the same, as recorded in the result */
	/*
	 * A host-side dump (guest.h: GUEST_ARTIFACT_HOST_DUMP): where
	 * machine_dump() writes it at the guest's panic event, and the same as
	 * recorded. NULL: none.
	 */
	const char *dump_path;
	const char *dump_rel;
	/*
	 * The guest may stop at its recovery screen (the scenario's
	 * `recovery: true`): a hang deadline is first checked with two
	 * screendumps (needs screenshot_path; see "recovery" above).
	 */
	int recovery_screen;
};

#define BOOT_TAIL_LINES 40

struct boot {
	struct boot_params p;
	struct boot_result *res;
	struct machine *m;
	struct console con;
	struct console marker_con; /* the marker port's lines (guest.h: machine.marker_serial) */
	struct crash_detector *det; /* the guest profile's */
	struct update *upd;  /* the update channel; NULL if it failed */
	int id_upd;          /* its loop handle */
	int t_id;            /* the loop timer at boot_deadline() */
	int t_done;          /* the timer that calls p.on_done */
	int logfd;
	int judged;          /* the verdict is in b->res; the machine is being stopped */
	int done;            /* judged and the machine exited */
	int exited;          /* the machine exited (or never started) */
	int shooting;        /* judged: waiting for the crash's screenshot */
	int dump_state;      /* the host-side dump: 0 not asked, 1 being written, 2 over */
	int dump_ok;         /* over, and written */
	char *dump_why;      /* over without a dump: why */
	int t_dump_wait;     /* judged before any panic event: the timer that stops waiting */
	enum machine_event_kind end; /* the last reset/shutdown event, before the exit */
	char *probe;         /* a hang deadline passed: the hang's title, while the machine is asked */
	int64_t t_probe_ms;  /* no answer by then: the backend is wedged, infra */
	int have_crash;      /* a completed crash report was recorded */
	int serial_eof;
	int power_off_due;   /* the power_off_at line arrived */
	int has_bugcheck;    /* a panic event carried the guest's bugcheck */
	uint64_t bugcheck, param[4];
	struct crash serial; /* the recorded report's bugcheck, for the serial view */
	char *watchdog;      /* a watchdog fired: its action */
	int64_t t_start_ms, t_cont_ms, t_last_output_ms, t_grace_ms;
	int64_t t_chunk_ns;  /* arrival of the console bytes being processed */
	int64_t t_report_ns; /* arrival of the first crash report line */
	int64_t t_panic_ns;  /* arrival of the guest's fatal line (crash_detector_feed) */
	int64_t t_settled_ms; /* live push answered: clean once this passes quietly */
	int evaluated;        /* evaluated lines seen, each after one more push was written */
	int rounds;           /* a soak: push rounds queued */
	int samples;          /* a soak: STATS answers recorded */
	int soak_done;        /* a soak: every round and sample is in, or it cannot go on */
	int64_t t_progress_ms; /* a soak: its last answer (boot_timeout counts from here) */
	/*
	 * A recovery check at a hang deadline (p.recovery_screen): 1 the first
	 * screendump asked, 2 waiting RECOVERY_GAP_MS for the second, 3 it was
	 * asked. still_msg: the deadline's hang title, if the screen is not still.
	 */
	int still;
	int64_t t_still_ms;
	char *still_msg;
	char *recovery_line; /* the first console line the profile calls a recovery line */
	/* last lines of console output, for hang excerpts */
	char *tail[BOOT_TAIL_LINES];
	size_t tail_next;
};

/* Start the machine and the guest (in the loop). On failure it is judged infra at once. */
void boot_start(struct boot *b, const struct boot_params *p, struct boot_result *res);
/* Absolute now_ms() time of the next verdict deadline; INT64_MAX if none. */
int64_t boot_deadline(const struct boot *b);
static inline int boot_done(const struct boot *b)
{
	return b->done;
}
/* Free everything, the machine too (killed if still running). Not from inside its callbacks. */
void boot_release(struct boot *b);

/* Run one boot to its verdict in a private loop. */
void boot_run(const struct boot_params *p, struct boot_result *res);

#endif
