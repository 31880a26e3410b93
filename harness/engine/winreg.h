/*
 * winreg - a Windows system disk's registry changed offline, through the
 * libguestfs hivex calls, in the appliance (a mounted Windows root,
 * guestroot.h).
 *
 * Services live in the SYSTEM hive (\Windows\System32\config\SYSTEM) under
 * ControlSet00N\Services\NAME, N being Select\Current: CurrentControlSet
 * is a link the running kernel makes, it does not exist offline. A kernel
 * driver's service is Type 1 (SERVICE_KERNEL_DRIVER), Start 0 (boot) to 4
 * (disabled), ErrorControl 1 (log, go on), ImagePath
 * "\SystemRoot\System32\drivers\FILE" (REG_EXPAND_SZ, UTF-16LE).
 *
 * Safe Mode is the boot entry's safeboot element (0x25000080, an integer:
 * 0 Minimal) in the BCD store, itself a hive: \EFI\Microsoft\Boot\BCD on
 * the EFI system partition (UEFI), or \Boot\BCD on the Windows partition
 * (BIOS installs). The entry is the one the boot manager's object
 * {9dea862c-5cdd-4e70-acc1-f32b344d4795} names as its default (element
 * 0x23000003). Windows removes the element itself (`bcdedit /deletevalue
 * safeboot`) once booted; offline, `safe_mode: false` removes it.
 *
 * Windows Recovery is two elements of the same entry: recoveryenabled
 * (0x16000009, a boolean: one byte) and bootstatuspolicy (0x250000e0, an
 * integer: 0 DisplayAllFailures, 1 IgnoreAllFailures). With both on, the
 * boot manager starts the recovery environment (Automatic Repair) after
 * boots that failed; the image recipe turns them off, so a crash-looping
 * guest keeps looping, and a scenario's `recovery: true` on again.
 *
 * The update agent (sensor/windows/refagent-win.c) is a program, not a
 * driver: a service of its own process (Type 0x10), started automatically
 * by the service control manager (Start 2), as LocalSystem, its ImagePath
 * the quoted C:\ path and its arguments.
 *
 * Each call opens the hive, changes it and commits it (hivex writes a new
 * file and renames it over the old, so a cut mid-write leaves the old hive
 * whole). -1 with err: a hive or key that is not there, or a write that
 * failed.
 */
#ifndef BP_WINREG_H
#define BP_WINREG_H

#include <stdint.h>

#include "guestroot.h"

struct guestfs_h;

/* Register (or update) kernel driver service name for the driver at guest path driver. */
int winreg_service_add(struct guestfs_h *g, const struct guestroot *r, const char *name,
		       const char *driver, uint32_t start, struct bp_error *err);
/*
 * Register (or update) program (a guest path, "/Program Files/...") as an
 * own-process, auto-start service name run as LocalSystem, with args
 * (may be NULL) on its command line.
 */
int winreg_program_add(struct guestfs_h *g, const struct guestroot *r, const char *name,
		       const char *program, const char *args, struct bp_error *err);
/* Set service name's Start; 0 if it has no such service (nothing changed), 1 if set. */
int winreg_service_start(struct guestfs_h *g, const struct guestroot *r, const char *name,
			 uint32_t start, struct bp_error *err);
/*
 * Set the REG_DWORD key under service name's Parameters key (made if
 * missing), where a driver reads its settings (RtlQueryRegistryValues on
 * RTL_REGISTRY_SERVICES "NAME\\Parameters"). -1 with err when there is no
 * such service.
 */
int winreg_service_param(struct guestfs_h *g, const struct guestroot *r, const char *name,
			 const char *key, uint32_t value, struct bp_error *err);
/* The default boot entry's safeboot element: Minimal (on) or none (off). */
int winreg_safeboot(struct guestfs_h *g, const struct guestroot *r, int on, struct bp_error *err);
/* The default boot entry's recovery: on (recoveryenabled Yes, DisplayAllFailures) or off. */
int winreg_recovery(struct guestfs_h *g, const struct guestroot *r, int on, struct bp_error *err);

#endif
