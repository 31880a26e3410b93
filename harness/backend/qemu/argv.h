/*
 * argv - the one place that says how QEMU is started: the command line of
 * a trial's or a snapshot's VM (vm.h, snapshot.h) and of the KVM probe
 * (accel.h), built from the guest profile's machine description (guest.h:
 * machine type and options, direct kernel boot or disk boot, the host's
 * command-line flags, disk, update-port, screen and panic devices; no
 * screen when the profile names none).
 *
 * A snapshot's key hashes qemu_argv_vm() with the socket and disk paths
 * masked, so any change to what it emits for a configuration invalidates
 * the snapshots made with it (they are rebuilt, never misused).
 */
#ifndef BP_ARGV_H
#define BP_ARGV_H

#include "vm.h"

/*
 * A VM the harness supervises (vm_start()): paused (-S), QMP, the serial
 * console and the update port on the given unix sockets (QEMU connects),
 * and a second serial port (COM2) on marker_sock when the profile's
 * marker comes there (machine.marker_serial; else marker_sock is unused),
 * cfg->disk attached, the guest's RAM the memory backend "ram" (anonymous,
 * or cfg->ram_file shared or private: works on -M pc and -M microvm alike);
 * -incoming defer if cfg->incoming. NULL-terminated,
 * free with argv_free().
 */
char **qemu_argv_vm(const struct vm_config *cfg, const char *qmp_sock, const char *serial_sock,
		    const char *update_sock, const char *marker_sock);

/*
 * The KVM probe's machine: guest's machine under accel with kernel (when
 * the machine boots one directly) and the profile's probe command line,
 * no disk, no monitor, the console into serial_file, and -no-reboot so
 * that the guest's end is QEMU's exit.
 */
char **qemu_argv_probe(const struct guest_profile *guest, const char *accel, const char *kernel,
		       const char *serial_file);

/*
 * The kernel command line a machine gets for append: append and the
 * host's flags (guest.h: host_append), malloc'd; NULL for a NULL append.
 * Every backend's command line is this one.
 */
struct guest_machine;
char *qemu_boot_append(const struct guest_machine *m, const char *append);

#endif
