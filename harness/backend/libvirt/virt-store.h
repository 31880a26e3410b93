/*
 * virt-store - disks on a libvirt host: the host's bootproof storage pool,
 * files uploaded into it once by content hash (golden images, kernels,
 * initrds), a trial's overlay uploaded after rebasing it onto the host's
 * copy of its golden image, volumes downloaded back for the offline
 * checks, and a trial's volumes deleted.
 *
 * Every function blocks (libvirt RPCs and streams; 0.1 s to minutes for
 * a large image): a host's worker thread runs them, never the event loop.
 * They take a connection or a pool of it and no other state, so one thread
 * per connection may call them at once. Bounded: a stream is only as long
 * as the local file or the volume (a host that sends more is an error),
 * qemu-img has VIRT_STORE_QEMU_IMG_MS, and a host that stops answering
 * ends the call with an error through the connection's keepalive, which
 * the connection's owner sets (virConnectSetKeepAlive, with an event loop
 * running): without one, a stopped host blocks the call. libvirt's own
 * error reporting to stderr is the connection owner's to silence; these
 * functions return its message in err.
 *
 * The pool: VIRT_STORE_POOL, a persistent dir pool at VIRT_STORE_PATH on
 * the host, autostarted; defined, built and started when it is absent,
 * started when it is inactive, refreshed otherwise (a volume another
 * client made since is seen).
 *
 * Uploads never leave a volume that looks complete without being so: a
 * volume is complete when its physical size (the bytes of its file on the
 * host: a qcow2's, not its virtual size) is the local file's. A volume is
 * created empty (capacity 0, raw: libvirt keeps the bytes as sent) and
 * grows as the stream writes it, in order, so it reaches that size with
 * its last byte; a killed or failed upload leaves it shorter (a failed one
 * is deleted; a killed uploader's is deleted by the next upload of NAME
 * once its size stood still for the stale bound) and the next upload of
 * NAME redoes it. A volume of another size is deleted and uploaded again.
 * Creation is the lock between uploaders of one NAME (two shards starting
 * on one host): only one creates it; the others wait, bounded by
 * VIRT_STORE_WAIT_MS, while it grows, then take it once complete. An
 * uploader checks its volume's size after the stream finished too, in case
 * another one took it for stale and replaced it meanwhile.
 *
 * Why not a NAME.part volume: libvirt cannot rename a volume, and its
 * clone (virStorageVolCreateXMLFrom) copies bytes only between volumes it
 * probes as raw: a qcow2 part (an overlay, a golden image) would be
 * converted by qemu-img into another file (flattened, its backing file
 * lost).
 */
#ifndef BP_VIRT_STORE_H
#define BP_VIRT_STORE_H

#include <libvirt/libvirt.h>
#include <stdint.h>

#include "util.h"

#define VIRT_STORE_POOL "bootproof"
#define VIRT_STORE_PATH "/var/lib/libvirt/bootproof"
#define VIRT_STORE_STALE_MS (60 * 1000)
#define VIRT_STORE_WAIT_MS (20 * 60 * 1000)
#define VIRT_STORE_QEMU_IMG_MS (60 * 1000)
/* The volume name of a file uploaded by content: "sha256-" and 64 hex digits. */
#define VIRT_STORE_DIGEST_NAME_LEN (7 + 64)

/* The pool on conn's host, as above: 0 with *ret (virStoragePoolFree() it), or -1 with err. */
int virt_store_pool(virConnectPtr conn, virStoragePoolPtr *ret, struct bp_error *err);

/* The pool's directory on the host (malloc'd), or NULL with err. */
char *virt_store_dir(virStoragePoolPtr pool, struct bp_error *err);

/* What an upload may be told; every field may be 0/NULL. */
struct virt_store_opts {
	/* each chunk sent, for progress lines */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
	/* a shorter NAME whose size stood still this long is a dead upload (0: VIRT_STORE_STALE_MS) */
	int stale_ms;
};

#define VIRT_STORE_REPLACE 0x1 /* NAME is replaced even if it has the file's size */

/*
 * Upload the local regular file path as volume NAME, as the header says.
 * *ret_uploaded (may be NULL): 1 when bytes were sent, 0 when NAME was
 * there already. opts may be NULL. Returns 0, or -1 with err.
 */
int virt_store_put(virStoragePoolPtr pool, const char *path, const char *name, unsigned flags,
		   const struct virt_store_opts *opts, int *ret_uploaded, struct bp_error *err);

/*
 * Upload path by content: volume "sha256-<hex of its bytes>", once per
 * host (a second call finds it). ret_name (VIRT_STORE_DIGEST_NAME_LEN + 1
 * bytes) gets the name, *ret_path (may be NULL; free()) its path on the
 * host, for domain XML. Returns 0, or -1 with err.
 */
int virt_store_put_by_digest(virStoragePoolPtr pool, const char *path, char *ret_name,
			     char **ret_path, int *ret_uploaded, struct bp_error *err);

/*
 * A trial's overlay to the host: a copy of the local qcow2 overlay, in
 * tmp_dir, rebased without copying data (qemu-img rebase -u) onto volume
 * base (uploaded before, e.g. by virt_store_put_by_digest()) at its path
 * on the host, with backing format base_format (NULL: "qcow2"), uploaded as
 * NAME (replacing one there: an offline step may have changed the overlay
 * since). The local overlay is not changed. *ret_path (may be NULL; free())
 * is NAME's path on the host. Returns 0, or -1 with err.
 */
int virt_store_put_overlay(virStoragePoolPtr pool, const char *overlay, const char *base,
			   const char *base_format, const char *name, const char *tmp_dir,
			   char **ret_path, struct bp_error *err);

/*
 * Volume NAME into the local file dest (written under a temporary name and
 * renamed: dest is never a partial download), at most max_bytes (0: no
 * bound but the volume's size). With local_base (a qcow2 overlay being
 * downloaded), dest is then rebased without copying data onto the local
 * file local_base (format base_format, NULL: "qcow2"), so libguestfs can
 * open it here. Returns 0, or -1 with err (dest untouched).
 */
int virt_store_get(virStoragePoolPtr pool, const char *name, const char *dest,
		   uint64_t max_bytes, const char *local_base, const char *base_format,
		   struct bp_error *err);

/*
 * Delete every volume whose name is prefix or starts with it (a trial's
 * overlay and what it made: "trial-<run>-<n>"); an empty prefix deletes
 * nothing. Returns how many were deleted, or -1 with err (the first
 * failure; the others are still tried).
 */
int virt_store_delete(virStoragePoolPtr pool, const char *prefix, struct bp_error *err);
/* The same for every volume whose name match(name, ctx) accepts. */
int virt_store_delete_if(virStoragePoolPtr pool, int (*match)(const char *name, void *ctx),
			 void *ctx, struct bp_error *err);

/* The volume's physical size (bytes of the file on the host): 0, or -1 with err. */
int virt_store_size(virStoragePoolPtr pool, const char *name, uint64_t *ret,
		    struct bp_error *err);

#endif
