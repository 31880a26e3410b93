/*
 * accel - choose the accelerator: KVM only when it is proven to run a guest.
 *
 * /dev/kvm may exist and still hang guests (it does on our CI machines), so
 * accel_probe() boots a 512-byte boot sector under KVM that writes to an
 * isa-debug-exit port; QEMU exiting with the expected status within the
 * deadline proves KVM works. Anything else (no /dev/kvm, an error, a hang
 * killed at the deadline) selects TCG, and *ret_reason says why, for the
 * report. BOOTPROOF_ACCEL=tcg|kvm skips the probe.
 */
#ifndef BP_ACCEL_H
#define BP_ACCEL_H

#include <stddef.h>

/* Returns "kvm" or "tcg" (static strings); reason gets a one-line explanation. */
const char *accel_probe(const char *work_dir, int timeout_ms, char *reason, size_t reason_len);

#endif
