/*
 * backend - the one place that picks a machine's backend (machine.h):
 *
 *   qemu     a QEMU child of the harness (machine-qemu.h); restores saved
 *            states (snapshot.h)
 *   libvirt  a transient domain on a libvirt host (machine-libvirt.h; the
 *            host a URI, default qemu:///system); boots cold (it restores
 *            no saved state yet)
 *
 * An image's `backend:` (scenario.h) wins over the run's (--backend);
 * neither: qemu.
 */
#ifndef BP_BACKEND_H
#define BP_BACKEND_H

#include "machine.h"
#include "scenario.h"
#include "vm.h"

#define BACKEND_DEFAULT "qemu"
/* At the end, how long the libvirt hosts get to destroy a run's last domains. */
#define BACKEND_SHUTDOWN_MS 30000

/* Non-zero for a backend name above. */
int backend_valid(const char *name);
/* The backend image's boots run on: its own, else run_backend, else qemu. */
const char *backend_of(const struct image *img, const char *run_backend);
/* Non-zero if machines of backend restore saved states (snapshot.h). */
int backend_restores(const char *backend);
/*
 * A new machine for cfg (copied) on backend, host its libvirt URI (NULL:
 * the default; ignored by qemu). Never NULL: what cannot be made fails
 * machine_start() (err), so the boot is judged infra like any start.
 */
struct machine *backend_machine_new(const char *backend, const char *host,
				    const struct vm_config *cfg);
/*
 * Why the libvirt host uri stopped answering during the run (its
 * connection was lost: keepalive, closed), or NULL.
 */
const char *backend_host_lost(const char *uri);
/*
 * At the end of a run: the libvirt hosts' last jobs (domains destroyed)
 * waited for within timeout_ms and their connections closed. No-op
 * when no libvirt machine was made.
 */
void backend_shutdown(int timeout_ms);

#endif
