/*
 * golden - the libvirt backend's golden saves, made before any trial: for
 * each image a libvirt trial boots from its pre-mount point (guest.h:
 * premount_switch; not `cold:`, not --cold) and each host those trials run
 * on, one save per slot of the host (virt-golden.h: a save restores into
 * one domain at a time).
 *
 * Each save is a golden build's domain (machine_libvirt_new_golden()) on a
 * fresh overlay of the image's disk in the run's scratch, with the
 * pre-mount command line and the very vm_config a restored boot has
 * (exec_vm_config()), booted to the profile's premount_ready line and
 * judged there by the rules of a trial's boot (boot.h, kept running when
 * clean), then saved by the host into the scratch (virDomainSaveFlags).
 * All of a run's builds boot at once in the run's loop (libvirt's events
 * live in one loop, virt-event.h). A build that fails (not clean, the save
 * refused, the host lost) is noted and costs only speed: that slot's boots
 * are cold. Domain names carry this machine's host name and pid, so the
 * sweep of a later run (virt_golden_sweep()) finds what a killed run left.
 */
#ifndef BP_GOLDEN_H
#define BP_GOLDEN_H

#include "loop.h"
#include "results.h"

struct golden_host {
	const char *uri; /* NULL: the default host */
	int slots;
};

typedef void (*golden_note_fn)(void *ctx, const char *msg);

/*
 * Make the saves for r's libvirt trials (backend: the run's, backend.h) on
 * hosts[0..n) in l, scratch in work_dir; progress and failures to note.
 * Returns once every build is done (or a signal came: -1).
 */
int golden_build(const struct run_result *r, const char *backend, const struct golden_host *hosts,
		 size_t n, struct loop *l, const char *work_dir, golden_note_fn note, void *ctx);

#endif
