/*
 * guest - the seam between the harness and a guest operating system.
 *
 * A guest profile says everything about a machine of one OS that the rest of
 * the harness must not hard-code: how QEMU (or another backend) configures
 * it (machine type and options, direct kernel boot or disk boot, the
 * host-dependent flags of its command line, disk, update-port, screen and
 * panic devices, the firmware files it loads), its default command line
 * and boot-complete marker, where the sensor, its agent and its content live
 * on the guest's disk, how the update-race knobs reach the guest, which
 * crash detector reads its console, which console lines a report highlights
 * as the crash, which artifacts are kept after a crash, and how the KVM
 * probe (accel.h) knows the guest ran. An image's `kind:` (scenario.h)
 * names its profile; guest_profile_find() is the only lookup.
 *
 * A crash detector is fed the sanitized console lines of one guest
 * (console.h) and queues the crashes it recognises (struct crash). The
 * interface is the one the Linux detector (detect.h) established; see
 * there for what "in a report" and "body ended" mean in detail.
 *
 * Adding an operating system: write guest/OS/profile.c defining a
 * `const struct guest_profile guest_profile_OS` with every field below (a
 * machine description; default marker; sensor, agent and content paths on
 * its disk; a race_knobs op or race_values; a detector_new op returning a detector behind
 * struct crash_detector_ops, usually wrapping guest/OS/detect.c; its crash
 * line test; its artifacts; its pre-mount point or none; its KVM probe or
 * none), declare it here and add
 * it to the table in guest.c. Nothing else changes: boot, exec, disks,
 * snapshot and the reports take the profile from the image.
 */
#ifndef BP_GUEST_H
#define BP_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct source_view;

/* One crash report, as a detector completed it. */
struct crash {
	char *title;	  /* normalized title, never NULL */
	char *report;	  /* report lines joined with '\n', never NULL */
	size_t line;	  /* stream line number of the report's first line */
	size_t end_line;  /* stream line number of its last line */
	const char *kind; /* static class name: "kasan", "lockdep", "page-fault", "reboot"... */
	char *func;	  /* guilty function, "" if the title names none; never NULL */
	/*
	 * its module ("vmlinux": the Linux core kernel), "" without func; a
	 * Windows bugcheck has no func and here the driver it is attributed to
	 */
	char *module;
	char *taint;	  /* the kernel's taint flags ("GOE"), "" if not tainted or unknown */
	int tainted_oot;  /* the kernel was tainted by an out-of-tree/unsigned module */
	int corrupted;	  /* truncated before the frame its title needs ("... in corrupted") */
	/* A bugcheck's stop code and parameters, when the report showed them (Windows). */
	int has_code;
	uint32_t code;
	int nparams; /* 0..4 */
	uint64_t param[4];
};

/* Free c's strings; accepts NULL and a released crash. */
void crash_release(struct crash *c);

struct crash_detector;

struct crash_detector_ops {
	/*
	 * Feed one sanitized, NUL-terminated line with its stream line number.
	 * Returns 1 when the line says the OS has given up (Linux: its panic
	 * line; a crash may print more than one, the first starts the
	 * detect-latency timer, boot.h), else 0.
	 */
	int (*feed_line)(struct crash_detector *d, const char *line, size_t len, size_t lineno);
	/* Close a report in progress (end of stream, or the caller stops waiting). */
	void (*flush)(struct crash_detector *d);
	/* Non-zero while a report has started but not ended. */
	int (*in_report)(const struct crash_detector *d);
	/* Non-zero once the report in progress can only get trailer lines more. */
	int (*body_ended)(const struct crash_detector *d);
	/* Pop the oldest completed crash into *ret (caller releases it): 1, or 0 if none. */
	int (*next)(struct crash_detector *d, struct crash *ret);
	void (*free)(struct crash_detector *d);
};

/* Implementations embed this first and cast back in their ops. */
struct crash_detector {
	const struct crash_detector_ops *ops;
};

static inline int crash_detector_feed(struct crash_detector *d, const char *line, size_t len,
				      size_t lineno)
{
	return d->ops->feed_line(d, line, len, lineno);
}
static inline void crash_detector_flush(struct crash_detector *d)
{
	d->ops->flush(d);
}
static inline int crash_detector_in_report(const struct crash_detector *d)
{
	return d->ops->in_report(d);
}
static inline int crash_detector_body_ended(const struct crash_detector *d)
{
	return d->ops->body_ended(d);
}
static inline int crash_detector_next(struct crash_detector *d, struct crash *ret)
{
	return d->ops->next(d, ret);
}
/* Accepts NULL. */
static inline void crash_detector_free(struct crash_detector *d)
{
	if (d)
		d->ops->free(d);
}

/*
 * One QEMU option of a machine's boot method: opt, then value. A value
 * "@kernel", "@initrd" or "@append" stands for the image's (vm.h's
 * vm_config), and the pair is left out when that is NULL.
 */
struct guest_qemu_opt {
	const char *opt, *value;
};

/* How a backend configures a machine of this OS (argv.h for QEMU). */
struct guest_machine {
	const char *type;    /* machine type: QEMU -M ("pc", "q35", "microvm") */
	const char *options; /* its properties, appended to -M after a ',' (NULL: none) */
	/*
	 * Boot the image's kernel and initrd with its command line (QEMU
	 * -kernel/-initrd/-append); 0: boot the system disk through the
	 * firmware, and an image needs no kernel, initrd or command line.
	 */
	int direct_kernel;
	const struct guest_qemu_opt *boot; /* the boot method as QEMU options, ends with {NULL} */
	/*
	 * Flags this host's kernel command lines get after the image's (and
	 * the probe's): values the guest would otherwise measure slowly, read
	 * from the host once per process, the same for every call. NULL: none.
	 */
	void (*host_append)(struct strbuf *append);
	/* The system disk's device model (QEMU -device NAME,drive=...), e.g. "virtio-blk-pci". */
	const char *disk_device;
	/* The bus of the update port (a virtserialport), e.g. "virtio-serial-pci". */
	const char *serial_device;
	const char *display;	  /* the screen device (screendumps), e.g. "VGA"; NULL: none */
	const char *panic_device; /* turns a guest panic into GUEST_PANICKED, e.g. "pvpanic" */
	/*
	 * The CPU model under KVM (QEMU -cpu), e.g. Windows' "host,hv-crash":
	 * the Hyper-V crash MSRs, through which GUEST_PANICKED carries the
	 * bugcheck's code and parameters. NULL, and always under TCG (which
	 * has no such MSRs): QEMU's default CPU. libvirt adds hv-crash itself
	 * for its <panic model='hyperv'/>.
	 */
	const char *kvm_cpu;
	/*
	 * Where the guest publishes its crash-dump note for the host (QEMU
	 * -device NAME: "vmcoreinfo", fw_cfg etc/vmcoreinfo), which a
	 * host-side dump needs (GUEST_ARTIFACT_HOST_DUMP); NULL: none.
	 */
	const char *coreinfo_device;
	/*
	 * 1: the boot-complete marker comes on a serial port of its own (COM2),
	 * its lines read for the marker alone: the console (COM1) belongs to
	 * the OS (Windows' EMS), which a startup task cannot write to.
	 */
	int marker_serial;
	/*
	 * The ROM files QEMU loads for this machine and boot method, which a
	 * saved state depends on (snapshot.h's key), NULL-terminated.
	 */
	const char *const *firmware;
};

/* What a trial keeps after a crash, besides the serial log (always kept). */
enum guest_artifact {
	/* the screen at crash time (QMP screendump); needs machine.display */
	GUEST_ARTIFACT_SCREENSHOT = 1 << 0,
	/*
	 * After a crash boot, the OS's own crash dumps copied off the disk
	 * (offline: dump_globs, each read by dump_view) into the trial's
	 * directory, bounded (exec.h); with either dump flag a crash boot records each source's view
	 * of the bugcheck (results.h: serial, event, dump)
	 */
	GUEST_ARTIFACT_DUMPS = 1 << 1,
	/*
	 * At the guest's panic event, the host writes a dump of its memory
	 * (machine_dump(): QEMU's win-dmp) before the boot ends; needs
	 * machine.coreinfo_device
	 */
	GUEST_ARTIFACT_HOST_DUMP = 1 << 2,
};

struct guest_profile {
	const char *kind; /* the image's `kind:` */
	struct guest_machine machine;
	const char *default_append; /* the image's command line when it gives none ("": none) */
	const char *default_marker; /* the boot-complete marker when it gives none; never NULL */
	/* Guest paths (absolute, on the system disk) the base content is injected to. */
	const char *sensor_path; /* the sensor (module, driver) */
	const char *agent_path;	 /* its update agent */
	const char *content_dir; /* the directory of content files, no trailing '/' */
	/*
	 * How the update-race knobs (each -1: not set) reach the guest, one
	 * of two ways. race_knobs: added to every boot's command line. Or,
	 * for a guest without one, race_values: the names of the REG_DWORD
	 * values under the sensor service's Parameters key (sensor_service,
	 * winreg.h) the agent's and the sensor's delays are written to
	 * offline before the trial's first boot (disks.h: disks_race_ops),
	 * where its agent and driver read them at every start. Neither
	 * (guest_takes_race()): the suite refuses `race:` on its images.
	 */
	void (*race_knobs)(struct strbuf *append, int agent_delay_ms, int sensor_delay_ms);
	struct {
		const char *agent, *sensor; /* NULL: none (then race_knobs) */
	} race_values;
	/* A new detector for one guest's console; free with crash_detector_free(). */
	struct crash_detector *(*detector_new)(void);
	/* Non-zero if this console line is the crash itself rather than context (reports). */
	int (*crash_line)(const char *line, size_t len);
	/*
	 * Non-zero if this console line is the OS's recovery environment
	 * speaking (Windows: Automatic Repair's wording), named in a recovery
	 * verdict's title (boot.h). NULL: the OS has none.
	 */
	int (*recovery_line)(const char *line, size_t len);
	unsigned artifacts; /* enum guest_artifact flags */
	/*
	 * With a dump artifact: where the OS writes its own crash dumps on its
	 * disk (globs, NULL-terminated; GUEST_ARTIFACT_DUMPS), how a dump file
	 * is read into a source view (results.h: code, parameters, driver,
	 * title; -1 with err when it is not one it can read), and a bugcheck's
	 * title from a code alone (a panic event's view).
	 */
	const char *const *dump_globs;
	int (*dump_view)(const char *path, struct source_view *v, struct bp_error *err);
	void (*bugcheck_title)(struct strbuf *sb, int has_code, uint32_t code, const char *driver);
	/*
	 * Non-NULL: the sensor is a kernel driver registered offline as this
	 * service (winreg.h) when it is injected, and the disk has a registry
	 * a remediation may change (disable_service, safe_mode). NULL: the
	 * guest loads it itself (Linux: its init).
	 */
	const char *sensor_service;
	/*
	 * Non-NULL: the agent is a program registered offline as this service
	 * when it is injected (winreg.h: own process, auto start, LocalSystem),
	 * so it serves the update port at every boot. NULL: the guest starts it
	 * itself (Linux: its init).
	 */
	const char *agent_service;
	/*
	 * Boot-equivalent restores (disks.h): premount_switch added to the
	 * command line makes the guest stop before it reads its system disk,
	 * drop what it cached of it and print a line containing premount_ready;
	 * a machine saved there continues, restored onto any overlay of the
	 * same golden disk, once resume_line() is typed on its console. NULL
	 * premount_switch: the OS has no such point and every boot is cold.
	 */
	const char *premount_switch;
	const char *premount_ready;
	/*
	 * The console line that continues a restored pre-mount machine: the
	 * boot's switches (what its command line carries beyond the saved
	 * one), a seed for the random state every copy shares and the host's
	 * time (the saved clock jumped). -1 if a switch cannot reach the guest
	 * that way: that boot is cold.
	 */
	int (*resume_line)(struct strbuf *line, const char *switches, uint64_t seed,
			   int64_t epoch_s);
	/*
	 * The KVM probe (accel.h): the machine booted with probe_append and no
	 * disk must print a line containing probe_done and exit by itself.
	 * NULL probe_done: no probe, the guest runs under TCG.
	 */
	const char *probe_append;
	const char *probe_done;
};

/* The profiles, one per guest/OS/profile.c. */
extern const struct guest_profile guest_profile_linux;
extern const struct guest_profile guest_profile_windows;

/* Non-zero if the update-race knobs can reach a guest of g (race_knobs or race_values). */
int guest_takes_race(const struct guest_profile *g);
/* The profile for an image kind, or NULL for a kind no profile exists for. */
const struct guest_profile *guest_profile_find(const char *kind);
/* The known kinds for a message: "'linux'", "'linux' or 'windows'", ... */
void guest_profile_kinds(struct strbuf *sb);
/*
 * Non-zero if any profile calls line a crash line: a report rendered from
 * results.json does not know which OS printed a log.
 */
int guest_crash_line(const char *line, size_t len);

#endif
