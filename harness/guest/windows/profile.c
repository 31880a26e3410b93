/*
 * profile - the Windows guest (guest.h): how a Windows machine boots here,
 * where a sensor driver and its content live on its disk, and which
 * detector reads its console.
 *
 * A Windows image is a disk the firmware boots: UEFI (OVMF, its variables
 * in RAM: the boot manager is found at the removable-media path
 * \EFI\BOOT\BOOTX64.EFI, which Windows Setup writes) on q35, the disk on
 * the chipset's AHCI controller, which Windows drives with its in-box
 * storahci (virtio-blk needs virtio-win's viostor). COM1 is the EMS
 * console: Windows' Special Administration Console prints its boot lines
 * and, at a bugcheck, the BLUESCREEN record and the blue screen's text
 * there, read by windetect. Since EMS owns COM1, the boot-complete marker
 * comes on COM2, written by the image's SYSTEM startup task
 * (machine.marker_serial). pvpanic turns a bugcheck into GUEST_PANICKED
 * when the image has the driver (virtio-win's pvpanic; KVM's Hyper-V
 * crash MSRs carry the code and parameters too); the VGA screen is kept
 * after every crash, the blue screen being what a user sees. A crash boot
 * also gets the dumps: QEMU's own (win-dmp, through -device vmcoreinfo,
 * which the image's virtio-win fwcfg driver fills) written at
 * GUEST_PANICKED, and afterwards Windows' minidumps and MEMORY.DMP copied
 * off the disk (windumps.h).
 *
 * Windows has no kernel command line, so a boot has no switches: the race
 * knobs are REG_DWORD values of the sensor service's Parameters key,
 * written offline before a trial's first boot (SensorDelayMs is what
 * sensor/windows/refsensor-win.c reads at DriverEntry, AgentDelayMs the
 * agent's), and there is no pre-mount point (every boot is cold) and no KVM
 * probe (a Windows boot takes minutes under TCG; the probe's verdict comes
 * from the suite's other images or the default).
 */
#include "guest.h"

#include <stddef.h>
#include <string.h>

#include "results.h"
#include "windetect.h"
#include "windump.h"

/*
 * The wording of Windows' Automatic Repair and recovery screens. No
 * documented EMS output of WinRE was found: these are the screens' own
 * words, in case a recovery environment with EMS (or the firmware's
 * mirror of its console) prints them; the screen itself is the signal.
 */
static int win_recovery_line(const char *line, size_t len)
{
	static const char *const words[] = {
	    "Preparing Automatic Repair", "Diagnosing your PC", "Automatic Repair",
	    "Your PC did not start correctly", "Windows Recovery Environment",
	    "Your PC/Device needs to be repaired", "Choose an option",
	};

	(void)len;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(line, words[i]))
			return 1;
	return 0;
}

/* OVMF's combined image: code and variables in one, the variables in RAM. */
#define WINDOWS_OVMF "/usr/share/ovmf/OVMF.fd"

static const char *const windows_firmware[] = {WINDOWS_OVMF, NULL};

static const struct guest_qemu_opt windows_boot[] = {{"-bios", WINDOWS_OVMF}, {NULL, NULL}};

/* Small memory dumps (CrashControl's MinidumpDir) and the kernel or full dump. */
static const char *const windows_dumps[] = {"/Windows/Minidump/*.dmp", "/Windows/MEMORY.DMP",
					    NULL};

/* A dump file's view of its bugcheck: windump's header, driver and title. */
static int windows_dump_view(const char *path, struct source_view *v, struct bp_error *err)
{
	struct windump d;
	struct strbuf title = STRBUF_INIT;
	int ret = -1;

	if (windump_read(path, &d, err) < 0)
		goto out;
	v->has_code = 1;
	v->code = d.code;
	v->nparams = 4;
	memcpy(v->param, d.param, sizeof(v->param));
	v->driver = windump_driver(&d)[0] ? xstrdup(windump_driver(&d)) : NULL;
	windump_title(&d, &title);
	v->title = strbuf_detach(&title);
	ret = 0;
out:
	windump_release(&d);
	strbuf_release(&title);
	return ret;
}

const struct guest_profile guest_profile_windows = {
    .kind = "windows",
    .machine =
	{
	    .type = "q35",
	    .options = NULL,
	    .direct_kernel = 0,
	    .boot = windows_boot,
	    .host_append = NULL,
	    .disk_device = "ide-hd",
	    .serial_device = "virtio-serial-pci",
	    .display = "VGA",
	    .panic_device = "pvpanic",
	    .kvm_cpu = "host,hv-crash",
	    .coreinfo_device = "vmcoreinfo",
	    .marker_serial = 1,
	    .firmware = windows_firmware,
	},
    .default_append = "",
    .default_marker = "bootproof: boot complete",
    .sensor_path = "/Windows/System32/drivers/refsensor.sys",
    .agent_path = "/Program Files/bootproof/refagent.exe",
    .content_dir = "/Windows/System32/drivers/bootproof",
    .race_knobs = NULL,
    .race_values = {.agent = "AgentDelayMs", .sensor = "SensorDelayMs"},
    .detector_new = win_crash_detector_new,
    .crash_line = win_crash_line,
    .recovery_line = win_recovery_line,
    .artifacts = GUEST_ARTIFACT_SCREENSHOT | GUEST_ARTIFACT_DUMPS | GUEST_ARTIFACT_HOST_DUMP,
    .dump_globs = windows_dumps,
    .dump_view = windows_dump_view,
    .bugcheck_title = stopcode_title,
    /* A boot-start driver (Start 0), as endpoint sensors are. */
    .sensor_service = "refsensor",
    /* The update agent (sensor/windows/refagent-win.c), a service of its own. */
    .agent_service = "refagent",
    .premount_switch = NULL,
    .premount_ready = NULL,
    .resume_line = NULL,
    .probe_append = NULL,
    .probe_done = NULL,
};
