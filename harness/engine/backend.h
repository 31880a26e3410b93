/*
 * backend - the one place that picks a machine's backend (machine.h):
 *
 *   qemu     a QEMU child of the harness (machine-qemu.h); restores saved
 *            states (snapshot.h): pre-mount and booted ones
 *   libvirt  a transient domain on a libvirt host (machine-libvirt.h; the
 *            host a URI, default qemu:///system; a remote host's files
 *            uploaded, virt-remote.h); restores the host's golden saves
 *            at the pre-mount point (virt-golden.h, made by golden.h),
 *            boots cold otherwise
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
/* Non-zero if machines of backend restore snapshots (snapshot.h). */
int backend_restores(const char *backend);
/*
 * What a boot of img on backend and host (NULL: the default) restores at
 * the pre-mount point, for machine_restore(), or NULL (a cold boot): for
 * qemu the image's snapshot premount (NULL: none); for libvirt img itself
 * while the host has a free golden save of it.
 */
const void *backend_premount_state(const char *backend, const char *host,
				   const struct image *img, const void *premount);
/*
 * A new machine for cfg (copied) on backend, host its libvirt URI (NULL:
 * the default; ignored by qemu). Never NULL: what cannot be made fails
 * machine_start() (err), so the boot is judged infra like any start.
 */
struct machine *backend_machine_new(const char *backend, const char *host,
				    const struct vm_config *cfg);
/*
 * The libvirt host uri does not share this machine's files (hostpool.h:
 * disks=upload): its machines' disks, kernels and saves go through its
 * storage pool (virt-remote.h). Before its first machine.
 */
void backend_host_uploads(const char *uri);
/*
 * Why the libvirt host uri stopped answering during the run (its
 * connection was lost: keepalive, closed), or NULL.
 */
const char *backend_host_lost(const char *uri);
/*
 * At the end of a run: the libvirt hosts' last jobs (domains destroyed)
 * waited for within timeout_ms and their connections closed, the golden
 * saves forgotten; a domain left running on a host that stopped answering
 * is named to note(ctx, msg) (may be NULL). No-op when no libvirt machine
 * was made.
 */
void backend_shutdown(int timeout_ms, void (*note)(void *ctx, const char *msg), void *ctx);

#endif
