/*
 * boot - one boot of a guest, judged clean, crash, hang or infra.
 *
 * A boot owns one QEMU process (vm.h), its serial log file, a console
 * sanitizer and a crash detector. It is a state machine driven from a poll
 * loop: boot_pollfds() names the fds to watch, boot_deadline() the next
 * timer, and boot_step() consumes whatever is ready. The verdict combines
 * signals, never just one:
 *
 *   crash  a crash report on the console (title from the guest profile's
 *          detector, guest.h); or a QMP
 *          GUEST_PANICKED with no console report within the grace period;
 *          or a guest-initiated reset/shutdown before the boot completed
 *          ("unexpected reboot"/"unexpected shutdown"). A report that has
 *          passed its body's end marker (crash_detector_body_ended) is judged
 *          after BODY_QUIET_MS (2 s) without console output: a non-fatal
 *          report that is the guest's last output does not wait for the
 *          silence deadline
 *   clean  the boot-complete marker, with no crash report in progress; with
 *          a live push, also every pushed file answered by the agent and
 *          LIVE_SETTLE_MS after that without a crash
 *   hang   no marker within boot_timeout, or no output for silence_timeout
 *          once the guest has printed something, while QEMU still answers
 *          QMP: at the deadline query-status is sent and any reply within
 *          PROBE_MS (3 s) confirms the hang
 *   infra  QEMU would not start, or exited without the guest asking
 *          (killed, crashed, out of memory), or gave no reply to that
 *          query-status ("qemu stopped answering QMP ...": a wedged or
 *          SIGSTOPped host process is the host's fault, not the guest's)
 *
 * Nothing here waits in a poll() of its own once the guest runs, so a
 * wedged QEMU cannot stall the other boots of a shared loop: once judged,
 * the VM is wound down through the loop (a crash's screendump with its own
 * deadline, QMP quit with QUIT_GRACE_MS, then SIGKILL; a QEMU that stopped
 * answering is SIGKILLed at once) and boot_done() is true when it is
 * reaped. The result is in the boot_result given to boot_start() from the
 * moment of the verdict (boot_start() itself still waits for QEMU to start).
 */
#ifndef BP_BOOT_H
#define BP_BOOT_H

#include <poll.h>
#include <stdint.h>

#include "console.h"
#include "guest.h" /* profile: the crash detector interface */
#include "results.h"
#include "snapshot.h"
#include "update.h"
#include "vm.h"

struct boot_params {
	struct vm_config vm;
	const char *marker;
	const char *log_contains; /* may be NULL */
	int boot_timeout_ms;
	int silence_timeout_ms;
	const char *log_path;     /* serial log to write (raw bytes) */
	/* Served to the guest's agent over the update port (may be NULL). */
	const struct content_set *publish; /* the rollback set offered when the agent asks */
	const struct content_set *push;    /* pushed into the running guest once it is up */
	/*
	 * Restore this snapshot instead of booting (vm.disk must be an overlay
	 * of its base disk). The snapshot was taken at the boot-complete
	 * marker with the agent serving the update channel, so the boot starts
	 * with the marker seen. NULL: a cold boot.
	 */
	const struct snapshot *restore;
	/* Fault injection: kill QEMU (a hard power-off) once a console line contains this. */
	const char *power_off_at;
	const char *screenshot_path;       /* where a crash's screendump goes (PNG) */
	const char *screenshot_rel;        /* the same, as recorded in the result */
};

#define BOOT_MAX_POLLFDS 4
#define BOOT_TAIL_LINES 40

/* Winding down once judged (see boot.c): screendump, quit, SIGKILL; each waits in the loop. */
enum boot_stop { STOP_NONE, STOP_SHOT, STOP_QUIT, STOP_KILL };

struct boot {
	struct boot_params p;
	struct boot_result *res;
	struct vm vm;
	struct console con;
	struct crash_detector *det; /* the guest profile's */
	struct update *upd;  /* the update channel; NULL if it failed */
	int logfd;
	int judged;          /* the verdict is in b->res; QEMU is being stopped */
	int done;            /* judged and QEMU reaped */
	enum boot_stop stop; /* the stop's stage while judged and not done */
	int64_t t_stop_ms;   /* that stage's deadline */
	char *probe;         /* a hang deadline passed: the hang's title, while QEMU is asked */
	int64_t t_probe_ms;  /* no answer by then: QEMU is wedged, infra */
	int have_crash;      /* a completed crash report was recorded */
	int serial_eof;
	int power_off_due;   /* the power_off_at line arrived */
	int qmp_eof;
	int64_t t_start_ms, t_cont_ms, t_last_output_ms, t_grace_ms;
	int64_t t_chunk_ns;  /* arrival of the console bytes being processed */
	int64_t t_report_ns; /* arrival of the first crash report line */
	int64_t t_panic_ns;  /* arrival of the guest's fatal line (crash_detector_feed) */
	int64_t t_settled_ms; /* live push answered: clean once this passes quietly */
	/* last lines of console output, for hang excerpts */
	char *tail[BOOT_TAIL_LINES];
	size_t tail_next;
};

/* Start QEMU and the guest. On failure the boot is already done with outcome infra. */
void boot_start(struct boot *b, const struct boot_params *p, struct boot_result *res);
int boot_pollfds(struct boot *b, struct pollfd *fds);
/* Absolute now_ms() time of the next timer; INT64_MAX if none. */
int64_t boot_deadline(const struct boot *b);
/* Handle ready fds (as returned by poll for this boot's entries) and due timers. */
void boot_step(struct boot *b, const struct pollfd *fds, int nfds);
static inline int boot_done(const struct boot *b)
{
	return b->done;
}
/* Free everything; stops QEMU if still running. */
void boot_release(struct boot *b);

/* Run one boot to its verdict in a private poll loop. */
void boot_run(const struct boot_params *p, struct boot_result *res);

#endif
