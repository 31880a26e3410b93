/*
 * virt-remote - a domain's files on a libvirt host that does not share
 * the harness's file system (hostpool.h: disks=upload, a remote host).
 * The daemon opens the paths the domain XML names on its own machine, so
 * for such a host every file a domain reads goes into the host's bootproof
 * storage pool (virt-store.h) first:
 *
 *   backing chain  each link of the trial overlay's chain (golden image,
 *                  bases) by content hash, once per host and file (the
 *                  digests are remembered for the run: a file is hashed
 *                  once); its header's backing name stays the local one,
 *                  the domain XML names the host's chain explicitly
 *   kernel, initrd by content hash too
 *   overlay        the trial's, rebased onto the host's copy of its first
 *                  link, as volume "PREFIX.qcow2" (replaced each boot)
 *
 * The local overlay stays the truth between boots: it is uploaded before
 * each boot and downloaded back over the local one after it (rebased onto
 * its local backing file), so the offline steps (libguestfs, hivex) work
 * on it as on a local host's; then the host's copy is deleted. Files the
 * host writes (a golden save, a dump) are put in the pool's directory
 * (virt_remote_path()) and fetched or deleted the same way.
 *
 * Volumes are named by virt_harness_name() (virt-golden.h), so a killed
 * harness's are known: the first upload to a host in a run deletes those
 * of this machine's harnesses that are gone, and the run's end deletes its
 * own (virt_remote_sweep()).
 *
 * virt_remote_add() and virt_remote() are the loop thread's; the others
 * block (uploads, downloads, qemu-img) and run on the host's worker
 * (virt-conn.h), one host's at a time, several hosts' at once.
 */
#ifndef BP_VIRT_REMOTE_H
#define BP_VIRT_REMOTE_H

#include <libvirt/libvirt.h>

#include "util.h"
#include "vm.h"

/* Host uri's disks go through its pool (before its first machine). */
void virt_remote_add(const char *uri);
/* Non-zero if they do (uri NULL: the default host, which never does). */
int virt_remote(const char *uri);
/*
 * The run's end, before the connections close (virt_conn_close_all() waits
 * for these jobs): each remote host's volumes of this harness (golden
 * saves; what a failed teardown left) deleted, a lost host's through a
 * connection made anew.
 */
void virt_remote_end(void);
/* After the connections closed: the hosts and what they were given forgotten. */
void virt_remote_clear(void);

/*
 * Upload what cfg's domain reads, as the header says, the overlay as
 * volume PREFIX.qcow2 (tmp_dir holds its rebased copy for the upload),
 * and return the domain's XML (domxml_build() with the host's paths; no
 * console log: the host cannot write the harness's files), malloc'd, or
 * NULL with err.
 */
char *virt_remote_put(virConnectPtr conn, const char *uri, const struct vm_config *cfg,
		      const char *name, const char *uuid, const char *prefix, const char *tmp_dir,
		      struct bp_error *err);
/*
 * After the domain is gone: volume PREFIX.qcow2 back over cfg->disk
 * (written aside and renamed: never half a disk), rebased onto the local
 * overlay's backing file. Returns 0, or -1 with err (cfg->disk untouched).
 */
int virt_remote_get(virConnectPtr conn, const struct vm_config *cfg, const char *prefix,
		    struct bp_error *err);
/* Volume file (written by the host) into the local file dest, as virt_store_get(). */
int virt_remote_fetch(virConnectPtr conn, const char *file, const char *dest,
		      struct bp_error *err);
/* Every volume whose name starts with prefix deleted: the count, or -1 with err. */
int virt_remote_drop(virConnectPtr conn, const char *prefix, struct bp_error *err);
/*
 * Every volume of a gone harness of this machine deleted, and this
 * harness's too if mine: the count, or -1 with err.
 */
int virt_remote_sweep(virConnectPtr conn, int mine, struct bp_error *err);
/* The path on the host of file, a name in its pool (malloc'd), or NULL with err. */
char *virt_remote_path(virConnectPtr conn, const char *file, struct bp_error *err);

#endif
