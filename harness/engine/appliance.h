/*
 * appliance - one libguestfs appliance, launched once, that works on one
 * disk after another.
 *
 * libguestfs cannot add a drive to a launched appliance (hotplugging is
 * gone: guestfs_remove_drive "does nothing and returns an error" in 1.48,
 * and it only ever worked with the libvirt backend), and a launch costs
 * 10-60 s under TCG. So the appliance's one drive is not a disk but an NBD
 * export of a qemu-storage-daemon this module runs: the export's node is a
 * raw filter whose child is a zero-filled null node while no job runs, and
 * the job's qcow2 overlay while one does (blockdev-add, then blockdev-reopen
 * of the filter onto it; afterwards back onto the null node and
 * blockdev-del, which flushes the overlay and drops its image lock, so a
 * trial's QEMU can open it again). Before each job the appliance's kernel
 * drops what it cached of the previous disk (buffers, partition table).
 *
 * The export's size is fixed when the appliance connects: a disk of another
 * virtual size, or another accelerator, relaunches it. A failed job tears
 * the appliance down (its state is unknown); the next job launches a new
 * one.
 *
 * For a libguestfs worker process (inject.h): the calls block. The daemon is
 * a supervised child (proc.h); its sockets and log live in a litter
 * directory (litter.h) of this process, bootproof-gfs-XXXXXX in libguestfs's
 * temporary directory (a run's is in its work directory); libguestfs's own
 * socket directory is noted for the sweep at launch. Messages are captured,
 * never printed.
 */
#ifndef BP_APPLIANCE_H
#define BP_APPLIANCE_H

#include <stdint.h>

#include "inject.h"
#include "proc.h"

struct appliance {
	void *g;	  /* guestfs_h *, NULL while not launched */
	struct proc qsd;  /* the qemu-storage-daemon */
	int qmp;	  /* its QMP connection, -1 if none */
	struct strbuf in; /* QMP bytes read, not yet a whole line */
	char *dir;	  /* litter directory with the daemon's sockets and log */
	uint64_t size;	  /* the export's size */
	char accel[8];
	int launches; /* how many times it was launched (for tests and notes) */
};

void appliance_init(struct appliance *a);
/*
 * Apply job's ops to job->disk (a qcow2 image), launching the appliance
 * first if it is down or does not fit (size, accel). Results go into the
 * ops. -1 with err; when the job got as far as the appliance, the appliance
 * is down afterwards (a disk that cannot be read is refused before that).
 */
int appliance_run(struct appliance *a, struct inject_job *job, const char *accel,
		  struct bp_error *err);
/* Shut the appliance and its daemon down and remove their directories. */
void appliance_stop(struct appliance *a);

/* The virtual size of qcow2 image path, from its header. */
int qcow2_virtual_size(const char *path, uint64_t *ret_size, struct bp_error *err);

#endif
