/*
 * cmd-selftest - `bootproof selftest -c SUITE IMAGE`: does this image show
 * a crash to every source bootproof judges by? What a user runs first on
 * a new Windows image, with no sensor at all.
 *
 * Two trials, one after the other, each a cold boot of its own overlay of
 * the image's golden disk (never written), judged up to the boot-complete
 * marker as a trial's boot is (boot.h, kept running at the marker), then
 * crashed on purpose:
 *
 *   ctrl-scroll  send-key of right-Ctrl + Scroll Lock, twice (QMP's, or
 *                libvirt's virDomainSendKey: machine_send_keys(); i8042prt's
 *                CrashOnCtrlScroll) ->
 *                MANUALLY_INITIATED_CRASH (0xE2)
 *   nmi          inject-nmi (QMP's or libvirt's: machine_inject_nmi(); CrashControl's
 *                NMICrashDump) -> NMI_HARDWARE_FAILURE (0x80)
 *
 * and watched until the machine exits (the guest resets after its dump:
 * one QEMU per boot) or for the boot timeout, then stopped. Checks, one
 * per source and trial:
 *
 *   comes up   the marker within the boot timeout (else the rest of the
 *              trial is skipped)
 *   trigger    the backend took the keys / the NMI
 *   ems        the Windows detector (windetect.h) titled a bugcheck on the
 *              console with the expected stop code
 *   pvpanic    GUEST_PANICKED (MACHINE_PANIC)
 *   dump       the dump file on the guest disk: a seam (selftest_dump()),
 *              skipped until dump collection exists on this branch
 *   hv-crash   under KVM only: the panic event carried the expected code
 *              (Hyper-V crash MSRs); under TCG skipped (they raise nothing)
 *
 * Timeouts: the longest boot_timeout and silence_timeout of the suite's
 * scenarios on IMAGE (the built-in 60 s / 30 s if none uses it); the crash
 * phase is bounded by the boot timeout too. Serial logs go to
 * REPORTS/selftest/IMAGE/{ctrl-scroll,nmi}.log (overwritten); scratch
 * (overlays, sockets) to a litter.h scratch directory, removed at the end.
 *
 * Output on stdout, TAP-like: one "ok N - TRIAL: CHECK: WHAT" or "not ok
 * ..." line per check ("# SKIP why" for a check that does not apply),
 * guest and QEMU text escaped as in every TAP line (escape.h), then "1..N"
 * and a summary line. Exit: 0 every source saw both crashes, 1 a source
 * missed one (or the image did not come up), 2 usage (also: IMAGE is not
 * a Windows image: a Linux image has no CrashOnCtrlScroll, and an NMI only
 * panics it with unknown_nmi_panic on its command line, which the suite's
 * own scenarios would then exercise), 3 infrastructure (QEMU would not
 * start, an overlay could not be made, interrupted).
 */
#ifndef BP_CMD_SELFTEST_H
#define BP_CMD_SELFTEST_H

struct cmd_usage;

/* `bootproof selftest ...` (argv[0] is "selftest"): the exit status above. */
int cmd_selftest(int argc, char **argv);
extern const struct cmd_usage selftest_usage;

#endif
