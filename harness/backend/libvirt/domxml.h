/*
 * domxml - the libvirt domain XML of a trial's machine: the same
 * vm_config (vm.h) and guest profile machine description (guest.h) that
 * argv.h turns into QEMU's argv, as libvirt's elements.
 *
 *   type        'qemu' (TCG) or 'kvm': cfg->accel, the harness's probe
 *               (accel.h)
 *   os          the profile's machine type; its direct kernel boot as
 *               <kernel>/<initrd>/<cmdline> (the command line with the
 *               host's flags, argv.h's qemu_boot_append()), or its
 *               firmware (-bios) as <loader type='rom'>
 *   machine     the profile's -M options QEMU takes beyond libvirt's
 *               (microvm's isa-serial, rtc) as a <qemu:commandline>
 *               -machine; ACPI on (microvm announces its virtio-mmio
 *               devices there)
 *   disk        cfg->disk, qcow2, with its backing chain as explicit
 *               <backingStore> elements (read from the qcow2 headers), on
 *               the bus the profile's disk device names (virtio-mmio for
 *               a *-device model, virtio PCI, SATA for ide-hd)
 *   console     serial port 0 a pty (virDomainOpenConsole refuses other
 *               types) copied to log_path; the marker port (serial 1) a
 *               pty too when the profile has one
 *   update      <channel type='unix'> (the daemon picks the path) with
 *               virtio target org.bootproof.update, alias DOMXML_UPDATE_ALIAS
 *   panic       <panic model='isa'/> (and 'hyperv' with its crash MSRs
 *               under KVM)
 *   lifecycle   on_poweroff destroy, on_reboot destroy (one domain per
 *               boot, as one QEMU per boot), on_crash preserve (the
 *               screen stays for virDomainScreenshot)
 *   no defaults no USB, no balloon, a VGA screen only when the profile has
 *               one
 *
 * Every value from a path, a command line or a name is XML-escaped.
 */
#ifndef BP_DOMXML_H
#define BP_DOMXML_H

#include "util.h"
#include "vm.h"

/* The update port's device id in the domain (QMP VSERPORT_CHANGE names it). */
#define DOMXML_UPDATE_ALIAS "ua-bpupdate"
/* Console device names for virDomainOpenConsole(). */
#define DOMXML_CONSOLE "serial0"
#define DOMXML_MARKER "serial1"

/*
 * The backing chain of a qcow2 file, read from the headers: path and
 * format of each backing file, outermost first, at most max; the count,
 * or -1 with err. Relative names are resolved from the file's directory.
 */
struct domxml_backing {
	char *path;
	char format[16];
};
int domxml_backing_chain(const char *qcow2, struct domxml_backing *ret, int max,
			 struct bp_error *err);

/*
 * Where the host opens the domain's files when not at cfg's paths (a
 * remote host's storage pool, virt-remote.h): the overlay, its backing
 * chain (outermost first, nr_chain links, as domxml_backing_chain() gives
 * the local one), the kernel and the initrd (NULL: none, as cfg).
 */
struct domxml_files {
	const char *disk;
	const struct domxml_backing *chain;
	int nr_chain;
	const char *kernel, *initrd;
};

/*
 * The XML of cfg's machine named name with UUID uuid (NULL: the host picks
 * one; a restore's XML must name the saved domain's), malloc'd, its console
 * copied to log_path (NULL: no copy), its files at cfg's paths (files
 * NULL: the host shares the harness's, the chain read from cfg->disk) or
 * at files'; NULL with err for a device the profile names that has no
 * libvirt element here, or a disk whose chain cannot be read.
 */
char *domxml_build(const struct vm_config *cfg, const char *name, const char *uuid,
		   const char *log_path, const struct domxml_files *files, struct bp_error *err);

#endif
