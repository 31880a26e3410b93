/*
 * machine-qemu - the direct-QEMU backend of machine.h: one supervised QEMU
 * child (vm.h), its QMP monitor driven without blocking from the event
 * loop, its events turned into machine events:
 *
 *   GUEST_PANICKED      PANIC (hyper-v info: the bugcheck code and its 4
 *                       parameters, exact u64 values)
 *   GUEST_CRASHLOADED   CRASH_LOADED
 *   SHUTDOWN            reason guest-reset: RESET; guest-shutdown and
 *                       guest-panic: SHUTDOWN_GUEST; any other: SHUTDOWN_HOST
 *   RESET (guest)       RESET
 *   WATCHDOG            WATCHDOG (reason: its action)
 *   VSERPORT_CHANGE     CHANNEL_CLOSED when the update port closes
 *   DUMP_COMPLETED      DUMPED (machine_dump(): dump-guest-memory, format
 *                       win-dmp, detached; its "error" the reason, e.g.
 *                       "win-dump: invalid vmcoreinfo note size" when the
 *                       guest published no VMCOREINFO; none within
 *                       MACHINE_QEMU_DUMP_MS: query-dump's status decides)
 *   the pidfd           EXITED ("qemu exited with status 0", "qemu killed
 *                       by signal 9 (Killed)")
 *
 * send_keys is QMP send-key (qmp_send_key_args(): the keys as qcodes, to
 * the PS/2 keyboard the machine has), inject_nmi QMP inject-nmi; each
 * reply is SENT (an error reply: ok 0, QEMU's words).
 *
 * Start: listen, spawn paused (-S), accept the three connections, read the
 * greeting, qmp_capabilities, all as loop states under one startup
 * deadline (MACHINE_QEMU_START_MS). Restore (a struct snapshot) adds the
 * snapshot's checks, the migration events, getfd of the state and
 * migrate-incoming, and waits for MIGRATION completed. Commands go out one
 * at a time from a queue (one QMP async command may be in flight); stop is
 * quit, MACHINE_QEMU_QUIT_MS, then SIGKILL; a QEMU that stopped reading its
 * monitor (a screendump unanswered in time, the monitor dead) is SIGKILLed
 * at once.
 */
#ifndef BP_MACHINE_QEMU_H
#define BP_MACHINE_QEMU_H

#include "machine.h"
#include "vm.h"

#define MACHINE_QEMU_START_MS 15000
#define MACHINE_QEMU_QUIT_MS 3000
#define MACHINE_QEMU_SHOT_MS 2000
#define MACHINE_QEMU_SAVE_MS 120000
/* A win-dmp of the guest's whole memory; no DUMP_COMPLETED by then: query-dump decides. */
#define MACHINE_QEMU_DUMP_MS 120000
/* A SIGKILLed QEMU is normally gone in milliseconds; past this, wait for it blocking. */
#define MACHINE_QEMU_KILL_MS 10000

/* A machine for cfg (copied; its strings must outlive the machine). */
struct machine *machine_qemu_new(const struct vm_config *cfg);

#endif
