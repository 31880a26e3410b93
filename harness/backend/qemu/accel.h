/*
 * accel - choose the accelerator: KVM only when it is proven to run a guest.
 *
 * /dev/kvm may exist and still hang guests (it does on our CI machines, and
 * a tiny boot-sector guest there sometimes runs while real kernels hang), so
 * accel_probe() boots the guest kernel itself under KVM with no root file
 * system: it must run through to its "Kernel panic - not syncing" and QEMU
 * exit (-no-reboot) within the deadline. A working KVM does that in well
 * under a second. Anything else (no /dev/kvm, an error, a hang
 * killed at the deadline) selects TCG, and *ret_reason says why, for the
 * report. BOOTPROOF_ACCEL=tcg|kvm skips the probe.
 */
#ifndef BP_ACCEL_H
#define BP_ACCEL_H

#include <stddef.h>

/* Returns "kvm" or "tcg" (static strings); reason gets a one-line explanation. */
const char *accel_probe(const char *work_dir, const char *kernel, int timeout_ms, char *reason,
			size_t reason_len);

#endif
