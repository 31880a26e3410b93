/*
 * virt-store - the bootproof storage pool on a libvirt host, uploads that
 * never look complete before they are, downloads, deletes (see
 * virt-store.h).
 */
#define _GNU_SOURCE
#include "virt-store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <libvirt/virterror.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "proc.h"

/* err = "WHAT: libvirt's last message" (always -1). */
static int lv_error(struct bp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int lv_error(struct bp_error *err, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(err, "%s: %s", what, virGetLastErrorMessage());
}

/* open_regular() with the file named in err ("'PATH' does not exist"). */
static int open_file(const char *path, struct bp_error *err)
{
	struct bp_error why;
	int fd = open_regular(path, -1, &why);

	if (fd < 0)
		error_set(err, "'%s' %s", path, why.msg);
	return fd;
}

int virt_store_pool(virConnectPtr conn, virStoragePoolPtr *ret, struct bp_error *err)
{
	static const char xml[] = "<pool type='dir'><name>" VIRT_STORE_POOL "</name>"
				  "<target><path>" VIRT_STORE_PATH "</path>"
				  "<permissions><mode>0711</mode></permissions></target></pool>";
	virStoragePoolPtr pool = virStoragePoolLookupByName(conn, VIRT_STORE_POOL);
	int active;

	*ret = NULL;
	if (!pool) {
		pool = virStoragePoolDefineXML(conn, xml, 0);
		/* another client may have defined it since */
		if (!pool)
			pool = virStoragePoolLookupByName(conn, VIRT_STORE_POOL);
		if (!pool)
			return lv_error(err, "cannot define storage pool '%s'", VIRT_STORE_POOL);
		virStoragePoolSetAutostart(pool, 1);
	}
	active = virStoragePoolIsActive(pool);
	if (active < 0 ||
	    (!active && virStoragePoolCreate(pool, VIR_STORAGE_POOL_CREATE_WITH_BUILD) < 0 &&
	     virStoragePoolIsActive(pool) != 1) ||
	    (active && virStoragePoolRefresh(pool, 0) < 0)) {
		lv_error(err, "cannot start storage pool '%s'", VIRT_STORE_POOL);
		virStoragePoolFree(pool);
		return -1;
	}
	*ret = pool;
	return 0;
}

char *virt_store_dir(virStoragePoolPtr pool, struct bp_error *err)
{
	char *xml = virStoragePoolGetXMLDesc(pool, 0), *target, *path, *end, *ret = NULL;

	if (!xml) {
		lv_error(err, "cannot read the definition of pool '%s'", VIRT_STORE_POOL);
		return NULL;
	}
	target = strstr(xml, "<target>");
	path = target ? strstr(target, "<path>") : NULL;
	end = path ? strstr(path, "</path>") : NULL;
	/* the daemon's own XML; a path it had to escape is one this module does not use */
	if (!end || memchr(path, '&', (size_t)(end - path)) || path[6] != '/')
		error_set(err, "pool '%s' has no plain target path", VIRT_STORE_POOL);
	else
		ret = xstrndup(path + 6, (size_t)(end - path - 6));
	free(xml);
	return ret;
}

static int vol_size(virStorageVolPtr vol, uint64_t *ret, struct bp_error *err)
{
	virStorageVolInfo info;

	if (virStorageVolGetInfoFlags(vol, &info, VIR_STORAGE_VOL_GET_PHYSICAL) < 0)
		return lv_error(err, "cannot get the size of volume '%s'", virStorageVolGetName(vol));
	*ret = info.allocation; /* the physical size, with that flag */
	return 0;
}

int virt_store_size(virStoragePoolPtr pool, const char *name, uint64_t *ret, struct bp_error *err)
{
	virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
	int r;

	if (!vol)
		return lv_error(err, "no volume '%s' in pool '%s'", name, VIRT_STORE_POOL);
	r = vol_size(vol, ret, err);
	virStorageVolFree(vol);
	return r;
}

struct send_ctx {
	int fd;
	uint64_t left, total;
	const struct virt_store_opts *opts;
	int errnum; /* the local file's read error, or EIO: it shrank */
};

static int send_chunk(virStreamPtr st, char *data, size_t nbytes, void *opaque)
{
	struct send_ctx *c = opaque;
	ssize_t n;

	if (!c->left)
		return 0;
	if (nbytes > c->left)
		nbytes = (size_t)c->left;
	do
		n = read(c->fd, data, nbytes);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		c->errnum = n < 0 ? errno : EIO;
		return -1;
	}
	c->left -= (uint64_t)n;
	if (c->opts && c->opts->progress)
		c->opts->progress(c->opts->ctx, c->total - c->left, c->total);
	return (int)n;
}

/* The size bytes of fd into vol, over a stream of conn's. */
static int upload(virStorageVolPtr vol, int fd, uint64_t size, const struct virt_store_opts *opts,
		  struct bp_error *err)
{
	virStreamPtr st = virStreamNew(virStorageVolGetConnect(vol), 0);
	struct send_ctx c = {.fd = fd, .left = size, .total = size, .opts = opts};
	int ret = -1;

	if (!st)
		return lv_error(err, "cannot make a stream");
	if (virStorageVolUpload(vol, st, 0, size, 0) < 0) {
		lv_error(err, "cannot upload to volume '%s'", virStorageVolGetName(vol));
		goto out;
	}
	if (virStreamSendAll(st, send_chunk, &c) < 0) {
		if (c.errnum)
			error_set(err, "upload to volume '%s': reading the file: %s",
				  virStorageVolGetName(vol),
				  c.errnum == EIO ? "it shrank" : strerror(c.errnum));
		else
			lv_error(err, "upload to volume '%s'", virStorageVolGetName(vol));
		virStreamAbort(st);
		goto out;
	}
	if (virStreamFinish(st) < 0) {
		lv_error(err, "upload to volume '%s' did not finish", virStorageVolGetName(vol));
		goto out;
	}
	ret = 0;
out:
	virStreamFree(st);
	return ret;
}

/* An empty raw volume NAME: it grows as its upload writes (see the header). */
static char *vol_xml(const char *name)
{
	return xasprintf("<volume><name>%s</name><capacity unit='bytes'>0</capacity>"
			 "<allocation unit='bytes'>0</allocation><target><format type='raw'/>"
			 "<permissions><mode>0644</mode></permissions></target></volume>",
			 name);
}

/* What one look at NAME found. */
enum vol_state {
	VOL_ABSENT,
	VOL_COMPLETE, /* the file's size */
	VOL_GROWING,  /* shorter: an upload is on (or died: stale) */
	VOL_DELETED,  /* of another size, replaced, or stale: deleted */
	VOL_ERROR,
};

/*
 * Look at NAME. A shorter volume seen at the same size as last time (*seen,
 * *since) for stale_ms is an upload that died, and is deleted.
 */
static enum vol_state look(virStoragePoolPtr pool, const char *name, uint64_t size,
			   unsigned flags, int stale_ms, uint64_t *seen, int64_t *since,
			   struct bp_error *err)
{
	virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
	enum vol_state state = VOL_DELETED;
	uint64_t have = 0;

	if (!vol)
		return VOL_ABSENT;
	if (vol_size(vol, &have, err) < 0) {
		state = VOL_ERROR;
	} else if (!(flags & VIRT_STORE_REPLACE) && have == size) {
		state = VOL_COMPLETE;
	} else if (!(flags & VIRT_STORE_REPLACE) && have < size) {
		if (have != *seen || !*since) {
			*seen = have;
			*since = now_ms();
		}
		if (now_ms() - *since < stale_ms)
			state = VOL_GROWING;
	}
	if (state == VOL_DELETED && virStorageVolDelete(vol, 0) < 0) {
		lv_error(err, "cannot delete volume '%s' to upload it again", name);
		state = VOL_ERROR;
	}
	virStorageVolFree(vol);
	return state;
}

/*
 * Create NAME and upload into it. 1 done, 0 someone else's NAME appeared
 * first (or replaced ours meanwhile: look again), -1 error (ours deleted).
 */
static int create_and_upload(virStoragePoolPtr pool, int fd, const char *name, uint64_t size,
			     const struct virt_store_opts *opts, struct bp_error *err)
{
	char *xml = vol_xml(name);
	virStorageVolPtr vol = virStorageVolCreateXML(pool, xml, 0);
	virErrorPtr e;
	uint64_t have = 0;
	int ret = -1;

	free(xml);
	if (!vol) {
		e = virGetLastError();
		if (e && e->code == VIR_ERR_STORAGE_VOL_EXIST)
			return 0;
		return lv_error(err, "cannot create volume '%s'", name);
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		error_set(err, "cannot rewind the file for '%s': %s", name, strerror(errno));
	} else if ((!size || upload(vol, fd, size, opts, err) == 0) &&
		   virt_store_size(pool, name, &have, err) == 0) {
		ret = have == size;
		goto out;
	}
	virStorageVolDelete(vol, 0);
out:
	virStorageVolFree(vol);
	return ret;
}

int virt_store_put(virStoragePoolPtr pool, const char *path, const char *name, unsigned flags,
		   const struct virt_store_opts *opts, int *ret_uploaded, struct bp_error *err)
{
	int fd = open_file(path, err), stale_ms = opts && opts->stale_ms ? opts->stale_ms
								       : VIRT_STORE_STALE_MS;
	int64_t deadline = now_ms() + VIRT_STORE_WAIT_MS, since = 0;
	uint64_t seen = 0;
	int ret = -1, r;
	struct stat st;

	if (ret_uploaded)
		*ret_uploaded = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		error_set(err, "cannot stat '%s': %s", path, strerror(errno));
		goto out;
	}
	while (now_ms() < deadline) {
		switch (look(pool, name, (uint64_t)st.st_size, flags, stale_ms, &seen, &since, err)) {
		case VOL_COMPLETE:
			ret = 0;
			goto out;
		case VOL_ERROR:
			goto out;
		case VOL_GROWING: /* another uploader's: wait for it to finish or die */
			usleep(200 * 1000);
			continue;
		case VOL_DELETED:
			flags &= ~VIRT_STORE_REPLACE;
			continue;
		case VOL_ABSENT:
			break;
		}
		r = create_and_upload(pool, fd, name, (uint64_t)st.st_size, opts, err);
		if (r < 0)
			goto out;
		if (r > 0) {
			if (ret_uploaded)
				*ret_uploaded = 1;
			ret = 0;
			goto out;
		}
	}
	error_set(err, "volume '%s': another upload of it did not finish within %d s", name,
		  VIRT_STORE_WAIT_MS / 1000);
out:
	close(fd);
	return ret;
}

/* "sha256-<hex>" of the file's bytes. */
static int file_digest(const char *path, char out[VIRT_STORE_DIGEST_NAME_LEN + 1],
		       struct bp_error *err)
{
	int fd = open_file(path, err);
	unsigned char buf[1 << 16], d[32];
	char hex[SHA256_HEX_LEN + 1];
	struct sha256 c;
	ssize_t n;

	if (fd < 0)
		return -1;
	sha256_init(&c);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&c, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return error_set(err, "cannot read '%s': %s", path, strerror(errno));
	sha256_final(&c, d);
	sha256_hex(d, hex);
	snprintf(out, VIRT_STORE_DIGEST_NAME_LEN + 1, "sha256-%s", hex);
	return 0;
}

/* NAME's path on the host (malloc'd, for domain XML and backing files), or NULL with err. */
static char *vol_path(virStoragePoolPtr pool, const char *name, struct bp_error *err)
{
	virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
	char *path = vol ? virStorageVolGetPath(vol) : NULL;

	if (!path)
		lv_error(err, "no path for volume '%s'", name);
	if (vol)
		virStorageVolFree(vol);
	return path;
}

int virt_store_put_by_digest(virStoragePoolPtr pool, const char *path, char *ret_name,
			     char **ret_path, int *ret_uploaded, struct bp_error *err)
{
	if (ret_path)
		*ret_path = NULL;
	if (file_digest(path, ret_name, err) < 0 ||
	    virt_store_put(pool, path, ret_name, 0, NULL, ret_uploaded, err) < 0)
		return -1;
	if (ret_path && !(*ret_path = vol_path(pool, ret_name, err)))
		return -1;
	return 0;
}

/* qemu-img rebase -u: image's backing file is now backing (format fmt), no data copied. */
static int rebase(const char *image, const char *backing, const char *fmt, struct bp_error *err)
{
	char *argv[] = {"qemu-img", "rebase", "-u", "-F", (char *)(fmt ? fmt : "qcow2"),
			"-b", (char *)backing, (char *)image, NULL};
	struct proc p;
	char how[128];
	int ret = -1;

	if (proc_spawn(&p, argv, "/dev/null", err) < 0)
		return -1;
	if (proc_wait(&p, VIRT_STORE_QEMU_IMG_MS) < 0) {
		proc_kill(&p);
		error_set(err, "qemu-img rebase '%s': no exit within %d s", image,
			  VIRT_STORE_QEMU_IMG_MS / 1000);
	} else if (p.exit != PROC_EXITED || p.code) {
		error_set(err, "qemu-img rebase '%s' onto '%s': %s", image, backing,
			  proc_describe(&p, how, sizeof(how)));
	} else {
		ret = 0;
	}
	proc_release(&p);
	return ret;
}

/* A local copy of a regular file, made by the kernel (an overlay: small). */
static int copy_local(const char *from, const char *to, struct bp_error *err)
{
	int in = open_file(from, err), out = -1, ret = -1;
	struct stat st;
	ssize_t n = 0;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || fstat(in, &st) < 0) {
		error_set(err, "cannot copy '%s' to '%s': %s", from, to, strerror(errno));
		goto out;
	}
	for (off_t left = st.st_size; left > 0; left -= n) {
		n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0) {
			error_set(err, "cannot copy '%s' to '%s': %s", from, to,
				  n < 0 ? strerror(errno) : "it shrank");
			goto out;
		}
	}
	ret = 0;
out:
	if (out >= 0)
		close(out);
	close(in);
	return ret;
}

int virt_store_put_overlay(virStoragePoolPtr pool, const char *overlay, const char *base,
			   const char *base_format, const char *name, const char *tmp_dir,
			   char **ret_path, struct bp_error *err)
{
	char *base_path = vol_path(pool, base, err);
	char *copy = xasprintf("%s/%s.rebased", tmp_dir, name);
	int ret = -1;

	if (ret_path)
		*ret_path = NULL;
	if (!base_path)
		goto out;
	if (copy_local(overlay, copy, err) < 0 || rebase(copy, base_path, base_format, err) < 0 ||
	    virt_store_put(pool, copy, name, VIRT_STORE_REPLACE, NULL, NULL, err) < 0)
		goto out;
	if (ret_path && !(*ret_path = vol_path(pool, name, err)))
		goto out;
	ret = 0;
out:
	unlink(copy);
	free(copy);
	free(base_path);
	return ret;
}

struct recv_ctx {
	int fd;
	uint64_t got, max;
	int errnum; /* a local write error, or EFBIG: the host sent more than max */
};

static int recv_chunk(virStreamPtr st, const char *data, size_t nbytes, void *opaque)
{
	struct recv_ctx *c = opaque;

	if (c->got + nbytes > c->max) {
		c->errnum = EFBIG;
		return -1;
	}
	if (write_all(c->fd, data, nbytes) < 0) {
		c->errnum = errno;
		return -1;
	}
	c->got += nbytes;
	return (int)nbytes;
}

/* vol's bytes into fd, at most max. */
static int download(virStorageVolPtr vol, int fd, uint64_t max, struct bp_error *err)
{
	virStreamPtr st = virStreamNew(virStorageVolGetConnect(vol), 0);
	struct recv_ctx c = {.fd = fd, .max = max};
	const char *name = virStorageVolGetName(vol);
	int ret = -1;

	if (!st)
		return lv_error(err, "cannot make a stream");
	if (virStorageVolDownload(vol, st, 0, 0, 0) < 0) {
		lv_error(err, "cannot download volume '%s'", name);
		goto out;
	}
	if (virStreamRecvAll(st, recv_chunk, &c) < 0) {
		if (c.errnum == EFBIG)
			error_set(err, "download of volume '%s': more than %" PRIu64 " bytes", name,
				  max);
		else if (c.errnum)
			error_set(err, "download of volume '%s': %s", name, strerror(c.errnum));
		else
			lv_error(err, "download of volume '%s'", name);
		virStreamAbort(st);
		goto out;
	}
	if (virStreamFinish(st) < 0) {
		lv_error(err, "download of volume '%s' did not finish", name);
		goto out;
	}
	ret = 0;
out:
	virStreamFree(st);
	return ret;
}

int virt_store_get(virStoragePoolPtr pool, const char *name, const char *dest,
		   uint64_t max_bytes, const char *local_base, const char *base_format,
		   struct bp_error *err)
{
	virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
	char *tmp = xasprintf("%s.part-XXXXXX", dest);
	uint64_t size = 0;
	int fd = -1, ret = -1;

	if (!vol) {
		lv_error(err, "no volume '%s' in pool '%s'", name, VIRT_STORE_POOL);
		goto out;
	}
	if (vol_size(vol, &size, err) < 0)
		goto out;
	if (max_bytes && size > max_bytes) {
		error_set(err, "volume '%s' has %" PRIu64 " bytes, more than %" PRIu64, name, size,
			  max_bytes);
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		error_set(err, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (download(vol, fd, size, err) < 0 ||
	    (local_base && rebase(tmp, local_base, base_format, err) < 0))
		goto out;
	if (rename(tmp, dest) < 0) {
		error_set(err, "cannot rename '%s' to '%s': %s", tmp, dest, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0 && fd >= 0)
		unlink(tmp);
	if (vol)
		virStorageVolFree(vol);
	free(tmp);
	return ret;
}

int virt_store_delete_if(virStoragePoolPtr pool, int (*match)(const char *name, void *ctx),
			 void *ctx, struct bp_error *err)
{
	virStorageVolPtr *vols = NULL;
	int n = virStoragePoolListAllVolumes(pool, &vols, 0), deleted = 0, failed = 0;

	if (n < 0)
		return lv_error(err, "cannot list the volumes of pool '%s'", VIRT_STORE_POOL);
	for (int i = 0; i < n; i++) {
		const char *name = virStorageVolGetName(vols[i]);

		if (name && match(name, ctx)) {
			if (virStorageVolDelete(vols[i], 0) == 0)
				deleted++;
			else if (!failed++)
				lv_error(err, "cannot delete volume '%s'", name);
		}
		virStorageVolFree(vols[i]);
	}
	free(vols);
	return failed ? -1 : deleted;
}

static int has_prefix(const char *name, void *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

int virt_store_delete(virStoragePoolPtr pool, const char *prefix, struct bp_error *err)
{
	return *prefix ? virt_store_delete_if(pool, has_prefix, (void *)prefix, err) : 0;
}
