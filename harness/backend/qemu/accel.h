/*
 * accel - choose the accelerator: KVM only when it is proven to run a guest.
 *
 * /dev/kvm may exist and still hang guests (it does on our CI machines, and
 * a tiny boot-sector guest there sometimes runs while real kernels hang), so
 * accel_probe() boots the guest itself under KVM the way its profile says
 * (guest.h: probe_append; a Linux kernel with no root file system): it
 * must print the profile's probe_done line and QEMU must exit
 * (-no-reboot) within the deadline. A working KVM does that in well under
 * a second. A profile without a probe selects TCG. Anything else (no /dev/kvm, an error, a hang
 * killed at the deadline) selects TCG, and *ret_reason says why, for the
 * report. BOOTPROOF_ACCEL=tcg|kvm skips the probe.
 */
#ifndef BP_ACCEL_H
#define BP_ACCEL_H

#include <stddef.h>

struct guest_profile;

/*
 * Returns "kvm" or "tcg" (static strings); reason gets a one-line
 * explanation. guest may be NULL (no trial: nothing to probe with); kernel
 * is the image's, for a guest that boots one directly.
 */
const char *accel_probe(const char *work_dir, const struct guest_profile *guest,
			const char *kernel, int timeout_ms, char *reason, size_t reason_len);

#endif
