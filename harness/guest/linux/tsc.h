/*
 * tsc - the host's TSC frequency, for the guest kernel's tsc_early_khz=.
 *
 * Under TCG the guest's TSC is the host's (QEMU reads the host's counter),
 * so a guest told the host's frequency skips its early TSC calibration,
 * which on QEMU's microvm machine (no PIT/HPET to calibrate against in time)
 * is slow and hangs some boots. The frequency comes from what the host's
 * kernel says, never from a measurement, so it is the same on every call
 * and in every run (a snapshot's key includes the command line).
 */
#ifndef BP_TSC_H
#define BP_TSC_H

#include <stddef.h>

/*
 * The TSC kHz a kernel log states: its last "tsc: Refined TSC clocksource
 * calibration: N.NNN MHz", else its last "tsc: Detected N.NNN MHz
 * processor"; 0 if it states none. log need not be NUL-terminated.
 */
unsigned tsc_khz_from_log(const char *log, size_t len);

/*
 * The TSC kHz /proc/cpuinfo's text implies: its first "cpu MHz" when the
 * flags say the TSC is constant (constant_tsc) and the kernel does not
 * report a measured clock there instead (aperfmperf: the current
 * frequency, which varies); 0 otherwise. text is NUL-terminated.
 */
unsigned tsc_khz_from_cpuinfo(const char *text);

/*
 * This host's TSC kHz, from the kernel log (klogctl) or else /proc/cpuinfo,
 * looked up once per process; 0 if neither states it.
 */
unsigned tsc_host_khz(void);

#endif
