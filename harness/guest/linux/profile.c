/*
 * profile - the Linux guest (guest.h): the one place that knows how a Linux
 * machine boots here, where the reference sensor lives on its disk, how
 * the race knobs reach it and which detector reads its console.
 *
 * The reference guest (images/) boots its uncompressed kernel (vmlinux,
 * through its PVH entry point) and initrd directly on QEMU's microvm
 * machine: no PCI, no firmware to speak of, virtio devices on virtio-mmio
 * (announced in its ACPI tables), the console on its ISA serial port. It
 * prints the marker from its init once the sensor is up,
 * and reads the race knobs from the kernel command line (bootproof.*
 * switches its agent and sensor parse). Its console is ttyS0; the probe
 * boots the kernel with no root file system, so it runs to the panic that
 * proves the accelerator executed a whole kernel init.
 */
#include "guest.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "tsc.h"

/* The line the kernel prints once it has given up: the detect-latency timer starts there. */
#define LINUX_FATAL "Kernel panic - not syncing"

/*
 * QEMU's microvm machine with -kernel of an ELF (PVH) kernel: its qboot
 * BIOS and the PVH loader ROM (what QEMU 7.2 opens, strace -e openat).
 */
static const char *const linux_firmware[] = {"bios-microvm.bin", "pvh.bin", NULL};

/* Direct kernel boot: QEMU loads the image's kernel and initrd itself. */
static const struct guest_qemu_opt linux_boot[] = {
    {"-kernel", "@kernel"}, {"-initrd", "@initrd"}, {"-append", "@append"}, {NULL, NULL}};

/*
 * The host's TSC frequency: without it the kernel calibrates its TSC early,
 * slowly, and on microvm under TCG some boots hang there. A command line
 * that sets it already keeps its own; a host that states none adds nothing.
 */
static void linux_host_append(struct strbuf *append)
{
	unsigned khz;

	if (strstr(append->buf, "tsc_early_khz="))
		return;
	khz = tsc_host_khz();
	if (khz)
		strbuf_addf(append, " tsc_early_khz=%u", khz);
}

static void linux_race_knobs(struct strbuf *append, int agent_delay_ms, int sensor_delay_ms)
{
	if (agent_delay_ms >= 0)
		strbuf_addf(append, " bootproof.agent_delay_ms=%d", agent_delay_ms);
	if (sensor_delay_ms >= 0)
		strbuf_addf(append, " bootproof.sensor_delay_ms=%d", sensor_delay_ms);
}

/*
 * The init of the reference guest reads the resume line with busybox's
 * `read` and appends it to the command line it parses, so only its own
 * bootproof.* switches can come that way; a kernel parameter cannot.
 */
static int linux_resume_line(struct strbuf *line, const char *switches, uint64_t seed,
			     int64_t epoch_s)
{
	const char *p = switches;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n && (n < 10 || strncmp(p, "bootproof.", 10)))
			return -1;
		/* One line of plain words: no control byte may end it early. */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
				return -1;
		p += n + strspn(p + n, " ");
	}
	strbuf_addf(line, "%s bootproof.seed=%" PRIu64 " bootproof.time=%" PRId64 "\n",
		    switches, seed % 1000000000, epoch_s);
	return 0;
}

/* detect.h's detector behind guest.h's interface. */
struct linux_detector {
	struct crash_detector base;
	struct detector *d;
};

static struct detector *inner(const struct crash_detector *cd)
{
	return ((const struct linux_detector *)cd)->d;
}

static int linux_feed(struct crash_detector *cd, const char *line, size_t len, size_t lineno)
{
	detector_line(inner(cd), line, len, lineno);
	return strstr(line, LINUX_FATAL) != NULL;
}

static void linux_flush(struct crash_detector *cd)
{
	detector_flush(inner(cd));
}

static int linux_in_report(const struct crash_detector *cd)
{
	return detector_in_report(inner(cd));
}

static int linux_body_ended(const struct crash_detector *cd)
{
	return detector_body_ended(inner(cd));
}

static int linux_next(struct crash_detector *cd, struct crash *ret)
{
	return detector_next(inner(cd), ret);
}

static void linux_free(struct crash_detector *cd)
{
	detector_free(inner(cd));
	free(cd);
}

static const struct crash_detector_ops linux_detector_ops = {
    .feed_line = linux_feed,
    .flush = linux_flush,
    .in_report = linux_in_report,
    .body_ended = linux_body_ended,
    .next = linux_next,
    .free = linux_free,
};

static struct crash_detector *linux_detector_new(void)
{
	struct linux_detector *ld = xcalloc(1, sizeof(*ld));

	ld->base.ops = &linux_detector_ops;
	ld->d = detector_new();
	return &ld->base;
}

/* The first lines of kernel reports, and the oops's RIP line, for the HTML report. */
static int linux_crash_line(const char *line, size_t len)
{
	static const char *const starts[] = {
	    "BUG:",
	    "Oops",
	    "RIP:",
	    "Kernel panic",
	    "general protection fault",
	    "kernel BUG",
	    "WARNING:",
	    "KASAN:",
	    "KFENCE:",
	    "UBSAN:",
	    "INFO: ",
	    "watchdog:",
	    "Unable to handle",
	};
	const char *p = line, *end = line + len;

	/* Skip the printk timestamp and caller id: "[    2.121364] [  T106] ". */
	while (p < end && *p == '[') {
		const char *q = memchr(p, ']', (size_t)(end - p));

		if (!q)
			break;
		p = q + 1;
		while (p < end && *p == ' ')
			p++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		size_t n = strlen(starts[i]);

		if ((size_t)(end - p) >= n && !memcmp(p, starts[i], n))
			return 1;
	}
	return 0;
}

const struct guest_profile guest_profile_linux = {
    .kind = "linux",
    .machine =
	{
	    .type = "microvm",
	    /* Its console (ttyS0) and a clock; PIT, PIC and the rest stay at their defaults. */
	    .options = "isa-serial=on,rtc=on",
	    .direct_kernel = 1,
	    .boot = linux_boot,
	    .host_append = linux_host_append,
	    .disk_device = "virtio-blk-device",
	    .serial_device = "virtio-serial-device",
	    .display = NULL,
	    .panic_device = "pvpanic",
	    .firmware = linux_firmware,
	},
    .default_append = "console=ttyS0 oops=panic panic=1",
    .default_marker = "bootproof: boot complete",
    .sensor_path = "/sensor/refsensor.ko",
    .agent_path = "/sensor/agent",
    .content_dir = "/sensor/content",
    .race_knobs = linux_race_knobs,
    .race_values = {NULL, NULL}, /* the command line takes them */
    .detector_new = linux_detector_new,
    .crash_line = linux_crash_line,
    .recovery_line = NULL,
    .artifacts = 0,
    .sensor_service = NULL,
    .agent_service = NULL,
    .premount_switch = "bootproof.premount",
    .premount_ready = "bootproof: premount",
    .resume_line = linux_resume_line,
    .probe_append = "console=ttyS0 panic=-1",
    .probe_done = LINUX_FATAL,
};
