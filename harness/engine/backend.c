/*
 * backend - machines by backend name (see backend.h).
 */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include "machine-libvirt.h"
#include "machine-qemu.h"
#include "virt-conn.h"
#include "virt-golden.h"
#include "virt-remote.h"

static int backend_libvirt_used;

int backend_valid(const char *name)
{
	return name && (!strcmp(name, "qemu") || !strcmp(name, "libvirt"));
}

const char *backend_of(const struct image *img, const char *run_backend)
{
	if (img && img->backend)
		return img->backend;
	return run_backend ? run_backend : BACKEND_DEFAULT;
}

int backend_restores(const char *backend)
{
	return !backend || strcmp(backend, "libvirt");
}

const void *backend_premount_state(const char *backend, const char *host,
				   const struct image *img, const void *premount)
{
	if (backend_restores(backend))
		return premount;
	return virt_golden_free(host, img) ? img : NULL;
}

struct machine *backend_machine_new(const char *backend, const char *host,
				    const struct vm_config *cfg)
{
	if (backend && !strcmp(backend, "libvirt")) {
		backend_libvirt_used = 1;
		return machine_libvirt_new(cfg, host);
	}
	return machine_qemu_new(cfg);
}

void backend_host_uploads(const char *uri)
{
	virt_remote_add(uri);
}

const char *backend_host_lost(const char *uri)
{
	return backend_libvirt_used ? virt_conn_uri_lost(uri) : NULL;
}

void backend_shutdown(int timeout_ms, void (*note)(void *ctx, const char *msg), void *ctx)
{
	if (backend_libvirt_used) {
		virt_golden_reap();
		virt_remote_end();
		virt_conn_close_all(timeout_ms);
	}
	virt_golden_clear(note, ctx);
	virt_remote_clear();
}
