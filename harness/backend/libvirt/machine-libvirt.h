/*
 * machine-libvirt - the libvirt backend of machine.h: a trial's machine as
 * a transient libvirt domain on a host (a connection, virt-conn.h), its
 * XML from domxml.h. Every blocking libvirt call is a job on the host's
 * worker; streams and events run in the loop (virt-event.h).
 *
 *   start          virDomainCreateXML (VIR_DOMAIN_START_PAUSED |
 *                  VIR_DOMAIN_START_AUTODESTROY: the domain dies with the
 *                  harness's connection), the console (and the marker
 *                  port) through virDomainOpenConsole
 *                  (VIR_DOMAIN_CONSOLE_FORCE) and the update channel
 *                  through virDomainOpenChannel, all non-blocking streams
 *                  read from the loop; then READY. Under one deadline
 *                  (MACHINE_LIBVIRT_START_MS)
 *   take_channel   one end of a socketpair the machine bridges to the
 *                  channel's stream (bounded buffers, one per direction):
 *                  the caller gets an fd as from the QEMU backend
 *   cont, probe    virDomainResume; virDomainGetState (ANSWERED)
 *   screenshot     virDomainScreenshot's stream into png_path (QEMU 7.2
 *                  and libvirt 9.0 give PNG; another format is refused)
 *   console_input  virStreamSend on the console stream (what it cannot
 *                  take at once is an error)
 *   send_keys      virDomainSendKey, the QKeyCode names mapped to Linux
 *                  input codes (the keys the harness sends; others are
 *                  refused); inject_nmi virDomainInjectNMI; both SENT
 *   dump           virDomainCoreDumpWithFormat WIN_DMP (memory only: libvirt's
 *                  condition for a non-ELF format) on the worker
 *                  (the host writes path): DUMPED
 *   power_cut      streams closed, virDomainDestroy
 *   stop           streams closed, virDomainDestroyFlags GRACEFUL (QEMU
 *                  quits on SIGTERM, flushing its disks), then forced
 *   save           a golden build's domain (machine_libvirt_new_golden())
 *                  only: virDomainSaveFlags on the worker (the host writes
 *                  the file): SAVED, and the domain stops (EXITED)
 *   restore        state: a key of the host's golden saves (virt-golden.h):
 *                  a free one taken, virDomainRestoreFlags
 *                  (VIR_DOMAIN_SAVE_PAUSED) with the trial's XML under the
 *                  save's name and UUID, its streams as for start; the
 *                  save is given back when the machine is freed
 *
 * On a remote host (virt-remote.h) start and restore upload the domain's
 * files first (the start deadline counts from the upload's end), its XML
 * names the host's copies and no console log, save and dump write into
 * the host's pool, and EXITED comes once the disk is back over the local
 * overlay (a disk not fetched: EXITED says so) and the machine's volumes
 * are deleted; a lost host's EXITED comes at once, as below.
 *
 * Events: raw QMP events (virConnectDomainQemuMonitorEventRegister) as
 * the QEMU backend reads them (qmp-event.h: GUEST_PANICKED with hyper-v
 * arguments as exact u64, SHUTDOWN reasons, RESET guest, WATCHDOG, the
 * update port's VSERPORT_CHANGE), lifecycle events for what QMP did not
 * say (CRASHED/PANICKED a PANIC, SHUTDOWN guest/host), STOPPED as EXITED
 * ("libvirt domain stopped (shutdown)", ok for a shutdown). A host lost
 * (virt-conn.h: keepalive, EOF) turns a start into START_FAILED and the
 * machine into EXITED, both with the reason naming the host, at once:
 * never a hang. EXITED is the last event, always.
 */
#ifndef BP_MACHINE_LIBVIRT_H
#define BP_MACHINE_LIBVIRT_H

#include "machine.h"
#include "vm.h"

#define MACHINE_LIBVIRT_START_MS 60000

/*
 * A machine for cfg (copied; its strings must outlive the machine) on the
 * host uri (NULL: qemu:///system). Its start registers libvirt's events on
 * the loop it is given (virt_event_register(): every libvirt machine of
 * the process starts in that one loop, else its start fails) and gets the
 * host's connection.
 */
struct machine *machine_libvirt_new(const struct vm_config *cfg, const char *uri);
/*
 * A machine for a golden save's build (virt-golden.h): its domain named
 * name with UUID uuid (copied), not autodestroy (libvirt saves no such
 * domain), so its owner saves it or stops it.
 */
struct machine *machine_libvirt_new_golden(const struct vm_config *cfg, const char *uri,
					   const char *name, const char *uuid);

#endif
