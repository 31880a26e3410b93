/*
 * qmp-event - QEMU's QMP events as machine events (machine.h), for every
 * backend that sees them: the direct-QEMU one reads them from its own
 * monitor, the libvirt one from virConnectDomainQemuMonitorEventRegister.
 *
 *   GUEST_PANICKED      PANIC (hyper-v info: the bugcheck code and its 4
 *                       parameters, exact u64 values: qmp_json_load())
 *   GUEST_CRASHLOADED   CRASH_LOADED
 *   SHUTDOWN            reason guest-reset: RESET; guest-shutdown and
 *                       guest-panic: SHUTDOWN_GUEST; any other: SHUTDOWN_HOST
 *   RESET (guest)       RESET
 *   WATCHDOG            WATCHDOG (reason: its action)
 *   VSERPORT_CHANGE     CHANNEL_CLOSED when the port named port_id closes
 */
#ifndef BP_QMP_EVENT_H
#define BP_QMP_EVENT_H

#include <jansson.h>

#include "machine.h"

/*
 * 1 with *ret filled (reason borrowed from data, host_ns left to the
 * caller) when the event named name with data (may be NULL) is a machine
 * event; 0 for any other.
 */
int qmp_machine_event(const char *name, json_t *data, const char *port_id,
		      struct machine_event *ret);

#endif
