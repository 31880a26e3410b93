/*
 * snapshot - build, check and restore golden VM snapshots (see snapshot.h):
 * the key over every input, XXH64 content hashes with a stat-keyed cache,
 * the flock protocol, the save by migration to a file descriptor once the
 * caller's boot (spec->boot: the engine judges it) reached the ready line,
 * and the restore into a -incoming QEMU.
 */
#define _GNU_SOURCE
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "guest.h" /* profile: machine, firmware, crash detector */
#include "hash.h"
#include "litter.h"
#include "machine-qemu.h"

#define SNAPSHOT_FORMAT 3
#define INJECT_TIMEOUT_MS (10 * 60 * 1000)
/* A cached input hash is trusted only for files older than this (git's "racily clean"). */
#define HASH_CACHE_MIN_AGE_NS (2LL * 1000000000)
#define QCOW2_MAX_CHAIN 16

/* Hash an open file from its start; its size in *ret_size. */
static int hash_fd(int fd, const char *path, uint64_t *ret_hash, uint64_t *ret_size,
		   struct bp_error *err)
{
	size_t bufsz = 1 << 20;
	char *buf = xmalloc(bufsz);
	struct xxh64 h;
	off_t off = 0;
	ssize_t n;

	xxh64_init(&h);
	while ((n = pread(fd, buf, bufsz, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return error_set(err, "cannot read '%s': %s", path, strerror(errno));
		}
		xxh64_update(&h, buf, (size_t)n);
		off += n;
	}
	free(buf);
	*ret_hash = xxh64_final(&h);
	*ret_size = (uint64_t)off;
	return 0;
}

static int hash_path(const char *path, uint64_t *ret_hash, uint64_t *ret_size, struct bp_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	ret = hash_fd(fd, path, ret_hash, ret_size, err);
	close(fd);
	return ret;
}

/* ---- text helpers ---- */

/* Append s with '\\', control bytes and DEL escaped, so a value stays on one line. */
static void add_escaped(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			strbuf_adds(sb, "\\\\");
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addf(sb, "\\x%02x", *p);
		else
			strbuf_addch(sb, (char)*p);
	}
}

static int64_t ts_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Append QEMU's log (its last bytes that fit) to err: it usually names the cause. */
static void error_add_log(struct bp_error *err, const char *log_path)
{
	struct strbuf sb = STRBUF_INIT;
	size_t used, room;

	if (!err || !log_path || read_file(log_path, &sb, NULL) < 0)
		goto out;
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
		sb.buf[--sb.len] = '\0';
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n')
			sb.buf[i] = ' ';
	used = strlen(err->msg);
	if (!sb.len || used + 16 >= sizeof(err->msg))
		goto out;
	room = sizeof(err->msg) - used - 16;
	snprintf(err->msg + used, sizeof(err->msg) - used, " (qemu: %s)",
		 sb.len > room ? sb.buf + sb.len - room : sb.buf);
out:
	strbuf_release(&sb);
}

/* ---- the input hash cache: NAME/hashes ---- */

struct hash_entry {
	char *path;
	uint64_t dev, ino, size, hash;
	int64_t mtime_ns, ctime_ns;
	int used;
};

struct hash_cache {
	char *path;
	struct hash_entry *v;
	size_t nr, alloc;
	int dirty;
};

static void hash_cache_load(struct hash_cache *hc, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *save = NULL;

	memset(hc, 0, sizeof(*hc));
	hc->path = xstrdup(path);
	if (read_file(path, &sb, NULL) < 0)
		goto out;
	/* "HASH SIZE DEV INO MTIME_NS CTIME_NS PATH" (path escaped); bad lines are skipped */
	for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct hash_entry e = {0};
		int off = 0;

		if (sscanf(line,
			   "%" SCNx64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64
			   " %n",
			   &e.hash, &e.size, &e.dev, &e.ino, &e.mtime_ns, &e.ctime_ns, &off) < 6 ||
		    !off || !line[off])
			continue;
		e.path = xstrdup(line + off);
		ALLOC_GROW(hc->v, hc->nr + 1, hc->alloc);
		hc->v[hc->nr++] = e;
	}
out:
	strbuf_release(&sb);
}

/* Keep the entries used this time (the cache never grows without bound). */
static void hash_cache_save(struct hash_cache *hc)
{
	struct strbuf sb = STRBUF_INIT;

	if (!hc->dirty)
		return;
	for (size_t i = 0; i < hc->nr; i++) {
		const struct hash_entry *e = &hc->v[i];

		if (!e->used)
			continue;
		strbuf_addf(&sb,
			    "%016" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
			    " %" PRId64 " ",
			    e->hash, e->size, e->dev, e->ino, e->mtime_ns, e->ctime_ns);
		strbuf_adds(&sb, e->path);
		strbuf_addch(&sb, '\n');
	}
	/* only a cache: a failure costs a rehash next time */
	write_file_atomic(hc->path, sb.buf, sb.len, NULL);
	strbuf_release(&sb);
}

static void hash_cache_release(struct hash_cache *hc)
{
	for (size_t i = 0; i < hc->nr; i++)
		free(hc->v[i].path);
	free(hc->v);
	free(hc->path);
	memset(hc, 0, sizeof(*hc));
}

/* Content hash and size of a regular file, from the cache while its stat is unchanged. */
static int hash_input(struct hash_cache *hc, const char *path, uint64_t *ret_hash,
		      uint64_t *ret_size, struct bp_error *err)
{
	struct strbuf key = STRBUF_INIT;
	struct hash_entry e = {0};
	struct stat st, st2;
	struct timespec now;
	int fd, ret = -1;

	add_escaped(&key, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error_set(err, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_set(err, "'%s' is not a regular file", path);
		goto out;
	}
	e = (struct hash_entry){.path = key.buf,
				.dev = (uint64_t)st.st_dev,
				.ino = (uint64_t)st.st_ino,
				.size = (uint64_t)st.st_size,
				.mtime_ns = ts_ns(st.st_mtim),
				.ctime_ns = ts_ns(st.st_ctim)};
	for (size_t i = 0; i < hc->nr; i++) {
		struct hash_entry *c = &hc->v[i];

		if (!strcmp(c->path, e.path) && c->dev == e.dev && c->ino == e.ino &&
		    c->size == e.size && c->mtime_ns == e.mtime_ns && c->ctime_ns == e.ctime_ns) {
			c->used = 1;
			*ret_hash = c->hash;
			*ret_size = c->size;
			ret = 0;
			goto out;
		}
	}
	if (hash_fd(fd, path, &e.hash, ret_size, err) < 0)
		goto out;
	if (fstat(fd, &st2) < 0 || st2.st_size != st.st_size || ts_ns(st2.st_mtim) != e.mtime_ns ||
	    ts_ns(st2.st_ctim) != e.ctime_ns) {
		error_set(err, "'%s' changed while it was being read", path);
		goto out;
	}
	*ret_hash = e.hash;
	clock_gettime(CLOCK_REALTIME, &now);
	if (ts_ns(now) - e.mtime_ns > HASH_CACHE_MIN_AGE_NS &&
	    ts_ns(now) - e.ctime_ns > HASH_CACHE_MIN_AGE_NS) {
		e.path = strbuf_detach(&key);
		e.used = 1;
		ALLOC_GROW(hc->v, hc->nr + 1, hc->alloc);
		hc->v[hc->nr++] = e;
		hc->dirty = 1;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&key);
	return ret;
}

/* ---- the key ---- */

/* The QEMU binary as exec would find it (vm_qemu_binary() through $PATH). */
static char *qemu_path(void)
{
	const char *name = vm_qemu_binary(), *path = getenv("PATH");
	char *dirs, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return xstrdup(name);
	dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", *dir ? dir : ".", name);

		if (access(full, X_OK) == 0)
			found = full;
		else
			free(full);
	}
	free(dirs);
	return found;
}

/* qemu_argv_vm() of cfg with what differs between the build and each trial masked. */
static char *argv_key(const struct vm_config *cfg)
{
	struct vm_config c = *cfg;
	struct strbuf sb = STRBUF_INIT;
	char **argv;

	c.disk = "@disk";
	c.run_dir = "@run";
	c.incoming = 0;
	/* the RAM backend as each clone maps it (the build maps the same file shared) */
	c.ram_file = "@ram";
	c.ram_shared = 0;
	argv = qemu_argv_vm(&c, "@qmp", "@serial", "@update", "@marker");
	for (char **p = argv; *p; p++) {
		strbuf_adds(&sb, "arg ");
		add_escaped(&sb, *p);
		strbuf_addch(&sb, '\n');
	}
	argv_free(argv);
	return strbuf_detach(&sb);
}

/* The backing file named in a qcow2 header (resolved against the image's directory), or NULL. */
static int qcow2_backing(const char *path, char **ret, struct bp_error *err)
{
	unsigned char hdr[20];
	uint64_t off;
	uint32_t len;
	char *name = NULL, *slash;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret_code = -1;

	*ret = NULL;
	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) || memcmp(hdr, "QFI\xfb", 4)) {
		error_set(err, "'%s' is not a qcow2 image", path);
		goto out;
	}
	off = (uint64_t)hdr[8] << 56 | (uint64_t)hdr[9] << 48 | (uint64_t)hdr[10] << 40 |
	      (uint64_t)hdr[11] << 32 | (uint64_t)hdr[12] << 24 | (uint64_t)hdr[13] << 16 |
	      (uint64_t)hdr[14] << 8 | hdr[15];
	len = (uint32_t)hdr[16] << 24 | (uint32_t)hdr[17] << 16 | (uint32_t)hdr[18] << 8 | hdr[19];
	if (!off || !len) {
		ret_code = 0;
		goto out;
	}
	if (len > 4096) {
		error_set(err, "'%s': backing file name too long", path);
		goto out;
	}
	name = xcalloc(1, len + 1);
	if (pread(fd, name, len, (off_t)off) != (ssize_t)len || memchr(name, '\0', len)) {
		error_set(err, "'%s': cannot read its backing file name", path);
		goto out;
	}
	if (name[0] == '/' || !(slash = strrchr(path, '/'))) {
		*ret = name;
	} else {
		*ret = xasprintf("%.*s/%s", (int)(slash - path), path, name);
		free(name);
	}
	name = NULL;
	ret_code = 0;
out:
	free(name);
	close(fd);
	return ret_code;
}

/*
 * Whether a qcow2 image has data of its own: any L1 entry set means a
 * cluster was written (a fresh overlay has none).
 */
static int qcow2_written(const char *path, int *ret_written, struct bp_error *err)
{
	unsigned char hdr[48], buf[4096];
	uint64_t off, left;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = -1;

	*ret_written = 0;
	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) || memcmp(hdr, "QFI\xfb", 4)) {
		error_set(err, "'%s' is not a qcow2 image", path);
		goto out;
	}
	left = 8 * (uint64_t)((uint32_t)hdr[36] << 24 | (uint32_t)hdr[37] << 16 |
			      (uint32_t)hdr[38] << 8 | hdr[39]);
	off = 0;
	for (int i = 40; i < 48; i++)
		off = off << 8 | hdr[i];
	while (left && !*ret_written) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		if (pread(fd, buf, n, (off_t)off) != (ssize_t)n) {
			error_set(err, "'%s': cannot read its L1 table", path);
			goto out;
		}
		for (size_t i = 0; i < n && !*ret_written; i++)
			*ret_written = buf[i] != 0;
		off += n;
		left -= n;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

static int key_add_file(struct strbuf *key, struct hash_cache *hc, const char *label,
			const char *path, struct bp_error *err)
{
	uint64_t hash, size;

	if (hash_input(hc, path, &hash, &size, err) < 0)
		return -1;
	strbuf_addf(key, "%s size=%" PRIu64 " xxh64=%016" PRIx64 " ", label, size, hash);
	add_escaped(key, path);
	strbuf_addch(key, '\n');
	return 0;
}

/*
 * The firmware QEMU loads for the guest's machine and boot method, as its
 * profile lists it (its RAM is in the saved state, and a restore fails if a
 * ROM changed size), found as QEMU finds it: the data directories beside
 * the binary (Debian's firmware path is /usr/share/qemu:/usr/share/seabios).
 * A file found nowhere is recorded so.
 */
static int key_add_firmware(struct strbuf *key, struct hash_cache *hc, const char *qemu,
			    const char *const *names, struct bp_error *err)
{
	static const char *const dirs[] = {"share/qemu", "share/seabios"};
	char *bin = realpath(qemu, NULL), *prefix, *slash;
	int ret = 0;

	prefix = xstrdup(bin ? bin : qemu);
	for (int i = 0; i < 2 && (slash = strrchr(prefix, '/')); i++)
		*slash = '\0';
	for (size_t i = 0; names[i] && !ret; i++) {
		char *found = NULL;

		for (size_t j = 0; j < ARRAY_SIZE(dirs) && !found; j++) {
			char *path = xasprintf("%s/%s/%s", prefix, dirs[j], names[i]);

			if (access(path, R_OK) == 0)
				found = path;
			else
				free(path);
		}
		if (found)
			ret = key_add_file(key, hc, "firmware", found, err);
		else
			strbuf_addf(key, "firmware none %s\n", names[i]);
		free(found);
	}
	free(prefix);
	free(bin);
	return ret;
}

/* The key text: every input the saved state depends on, one per line. */
static int build_key(const struct snapshot_spec *spec, struct hash_cache *hc, struct strbuf *key,
		     struct bp_error *err)
{
	char *qemu = qemu_path(), *args = argv_key(&spec->vm), *img, *next;
	struct stat st;
	int ret = -1, depth = 0;

	strbuf_addf(key, "bootproof-snapshot %d\n", SNAPSHOT_FORMAT);
	if (!qemu || stat(qemu, &st) < 0) {
		error_set(err, "cannot find the qemu binary '%s'", vm_qemu_binary());
		goto out;
	}
	strbuf_addf(key, "qemu size=%lld mtime=%" PRId64 " ", (long long)st.st_size,
		    ts_ns(st.st_mtim));
	add_escaped(key, qemu);
	strbuf_addch(key, '\n');
	strbuf_adds(key, args);
	if (key_add_firmware(key, hc, qemu, spec->vm.guest->machine.firmware, err) < 0)
		goto out;
	if (spec->vm.guest->machine.direct_kernel &&
	    (key_add_file(key, hc, "kernel", spec->vm.kernel, err) < 0 ||
	     key_add_file(key, hc, "initrd", spec->vm.initrd, err) < 0))
		goto out;
	/* the golden disk and its backing chain: the base disk names the golden by path */
	for (img = xstrdup(spec->golden); img; img = next) {
		if (++depth > QCOW2_MAX_CHAIN) {
			error_set(err, "'%s': backing chain longer than %d", spec->golden,
				  QCOW2_MAX_CHAIN);
			free(img);
			goto out;
		}
		if (key_add_file(key, hc, depth == 1 ? "golden" : "backing", img, err) < 0 ||
		    qcow2_backing(img, &next, err) < 0) {
			free(img);
			goto out;
		}
		free(img);
	}
	for (size_t i = 0; i < spec->nr_ops; i++) {
		const struct inject_op *op = &spec->ops[i];
		uint64_t hash, size;

		switch (op->kind) {
		case INJECT_UPLOAD:
			if (hash_input(hc, op->host, &hash, &size, err) < 0)
				goto out;
			strbuf_addf(key, "upload size=%" PRIu64 " xxh64=%016" PRIx64 " ", size,
				    hash);
			break;
		case INJECT_REMOVE_GLOB:
			strbuf_adds(key, "remove ");
			break;
		case INJECT_EXISTS:
			strbuf_adds(key, "exists ");
			break;
		case INJECT_COLLECT:
			strbuf_adds(key, "collect ");
			break;
		case INJECT_SERVICE:
		case INJECT_SERVICE_START:
		case INJECT_SAFEBOOT:
		case INJECT_SERVICE_PARAM:
		case INJECT_AGENT_SERVICE:
		case INJECT_RECOVERY:
			strbuf_addf(key, "registry %d %u ", (int)op->kind, op->value);
			add_escaped(key, op->name ? op->name : "");
			strbuf_addch(key, ' ');
			break;
		}
		add_escaped(key, op->guest);
		strbuf_addch(key, '\n');
	}
	strbuf_adds(key, "ready ");
	add_escaped(key, spec->ready);
	strbuf_addf(key, "\npremount %d\n", spec->premount);
	ret = 0;
out:
	free(qemu);
	free(args);
	return ret;
}

/* ---- checking a snapshot directory ---- */

/* The files of a snapshot, in manifest order; sizes are indexed by these. */
static const char *const snapshot_files[] = {"disk.qcow2", "state", "ram"};
enum { FILE_DISK, FILE_STATE, FILE_RAM, NR_FILES };

/*
 * 1 if dir holds a complete snapshot for key (sizes and hashes match), 0 if
 * not (*why says what is wrong); each file's size in ret_sizes.
 */
static int snapshot_valid(const char *dir, const char *key, uint64_t ret_sizes[NR_FILES],
			  struct bp_error *why)
{
	const char *const *files = snapshot_files;
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/manifest", dir);
	const char *p;
	int ok = 0;

	if (read_file(path, &sb, why) < 0)
		goto out;
	if (sb.len < strlen(key) || memcmp(sb.buf, key, strlen(key))) {
		error_set(why, "its manifest is for other inputs");
		goto out;
	}
	p = sb.buf + strlen(key);
	for (size_t i = 0; i < NR_FILES; i++) {
		uint64_t want_size, want_hash, size, hash;
		char label[16];
		int n = 0;

		if (sscanf(p, "%15s size=%" SCNu64 " xxh64=%" SCNx64 "\n%n", label, &want_size,
			   &want_hash, &n) != 3 ||
		    !n || strcmp(label, files[i])) {
			error_set(why, "its manifest is incomplete");
			goto out;
		}
		p += n;
		free(path);
		path = xasprintf("%s/%s", dir, files[i]);
		if (hash_path(path, &hash, &size, why) < 0)
			goto out;
		if (size != want_size) {
			error_set(why, "'%s' is %" PRIu64 " bytes, expected %" PRIu64, path, size,
				  want_size);
			goto out;
		}
		if (hash != want_hash) {
			error_set(why, "'%s' has changed (content hash differs)", path);
			goto out;
		}
		ret_sizes[i] = size;
	}
	if (*p) {
		error_set(why, "its manifest has trailing data");
		goto out;
	}
	ok = 1;
out:
	free(path);
	strbuf_release(&sb);
	return ok;
}

/* ---- locks and cleanup ---- */

static int lock_fd_wait(int fd, int op, const char *path, struct bp_error *err)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return error_set(err, "cannot lock '%s': %s", path, strerror(errno));
		if (bp_interrupted)
			return error_set(err, "interrupted while waiting for the lock on '%s'",
					 path);
	}
	return 0;
}

/* Open dir and take a shared lock on it: the fd, or -1. */
static int hold_dir(const char *dir, struct bp_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", dir, strerror(errno));
	if (lock_fd_wait(fd, LOCK_SH, dir, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Remove every directory in top but keep, unless a process holds it (a shared flock). */
static void collect_garbage(const char *top, const char *keep)
{
	DIR *d = opendir(top);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *path;
		int fd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (keep && !strcmp(de->d_name, keep)))
			continue;
		path = xasprintf("%s/%s", top, de->d_name);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_tree(path);
		if (fd >= 0)
			close(fd);
		free(path);
	}
	closedir(d);
}

/* 1 if top holds a snapshot directory (a KEY: not hidden). */
static int has_snapshots(const char *top)
{
	DIR *d = opendir(top);
	struct dirent *de;
	int found = 0;

	while (d && !found && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_UNKNOWN)
			found = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				S_ISDIR(st.st_mode);
		else
			found = de->d_type == DT_DIR;
	}
	if (d)
		closedir(d);
	return found;
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags), ret;

	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

/* ---- building ---- */

/* The build's own event loop, after the boot's verdict: the machine's answers to the save. */
struct build_run {
	struct loop *loop;
	struct machine *m;
	const char *state_path;
	int saved, exited, ok;
	char why[200];
};

/* After the verdict the console is the guest's business: only the save's events count. */
static void build_console(void *ctx, const char *buf, size_t len, int64_t host_ns)
{
}

static void build_event(void *ctx, const struct machine_event *ev)
{
	struct build_run *r = ctx;

	if (ev->kind != MACHINE_SAVED && ev->kind != MACHINE_EXITED)
		return;
	r->saved |= ev->kind == MACHINE_SAVED;
	r->exited |= ev->kind == MACHINE_EXITED;
	r->ok = ev->ok;
	snprintf(r->why, sizeof(r->why), "%s", ev->reason ? ev->reason : "");
}

static int build_wait(struct build_run *r, const int *flag, struct bp_error *err)
{
	while (!*flag && !bp_interrupted)
		if (loop_once(r->loop, 1000) < 0)
			return error_set(err, "event loop: %s", strerror(errno));
	if (!*flag)
		return error_set(err, "interrupted by signal %d", (int)bp_interrupted);
	return 0;
}

/*
 * The machine booted to the ready point and kept running (spec->boot calls
 * this): save its state into r->state_path and quit; only a clean exit
 * proves the disk was written completely.
 */
static int save_and_quit(void *ctx, struct bp_error *err)
{
	static const struct machine_cb cb = {build_console, NULL, build_event, NULL};
	struct build_run *r = ctx;

	r->m->cb = cb;
	r->m->cb.ctx = r;
	if (machine_save(r->m, r->state_path, err) < 0 || build_wait(r, &r->saved, err) < 0)
		return -1;
	if (!r->ok)
		return error_set(err, "cannot save the state: %s", r->why);
	machine_stop(r->m);
	if (build_wait(r, &r->exited, err) < 0)
		return -1;
	if (!r->ok)
		return error_set(err, "%s after saving the state", r->why);
	return 0;
}

/*
 * Boot cfg to spec->ready through spec->boot (the engine judges the boot),
 * which calls save_and_quit() with the VM kept running there.
 */
static int boot_and_save(const struct snapshot_spec *spec, const struct vm_config *cfg,
			 const char *log_path, const char *state_path, struct bp_error *err)
{
	struct build_run r = {
	    .loop = loop_new(), .m = machine_qemu_new(cfg), .state_path = state_path};
	int ret = spec->boot(spec, r.m, r.loop, log_path, save_and_quit, &r, err);

	loop_free(r.loop);
	return ret;
}

/*
 * The RAM file, allocated in full before QEMU maps it shared: a full file
 * system is a clear error here, not a SIGBUS in QEMU halfway through the
 * boot. Unwritten blocks cost no disk and read as zeros.
 */
static int ram_file_create(const char *path, int memory_mib, struct bp_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644), r;

	if (fd < 0)
		return error_set(err, "cannot create '%s': %s", path, strerror(errno));
	r = posix_fallocate(fd, 0, (off_t)memory_mib << 20);
	close(fd);
	if (r)
		return error_set(err, "cannot allocate %d MiB for the guest RAM file '%s': %s",
				 memory_mib, path, strerror(r));
	return 0;
}

/* Build the snapshot for key in tmp (a fresh directory). */
static int build(const struct snapshot_spec *spec, const char *tmp, const char *key,
		 struct bp_error *err)
{
	char run_dir[] = "/tmp/bootproof-snap-XXXXXX";
	char *disk = xasprintf("%s/disk.qcow2", tmp), *state = xasprintf("%s/state", tmp);
	char *ram = xasprintf("%s/ram", tmp);
	char *log = xasprintf("%s/boot.log", tmp), *manifest = xasprintf("%s/manifest", tmp);
	struct strbuf sb = STRBUF_INIT;
	struct vm_config cfg = spec->vm;
	int have_run_dir = 0, ret = -1;

	if (overlay_create(spec->golden, disk, err) < 0)
		goto out;
	if (spec->nr_ops) {
		struct inject_job job = {disk, spec->ops, spec->nr_ops};

		if (inject_batch_isolated(&job, 1, spec->vm.accel, INJECT_TIMEOUT_MS, err) < 0)
			goto out;
	}
	/* sockets live in a short private directory (unix socket paths are limited) */
	if (litter_mkdtemp(run_dir, NULL, err) < 0)
		goto out;
	have_run_dir = 1;
	cfg.disk = disk;
	cfg.run_dir = run_dir;
	cfg.incoming = 0;
	/* the guest's RAM lives in the file; the state saved beside it is the devices' */
	cfg.ram_file = ram;
	cfg.ram_shared = 1;
	if (ram_file_create(ram, cfg.memory_mib, err) < 0 ||
	    boot_and_save(spec, &cfg, log, state, err) < 0)
		goto out;
	strbuf_adds(&sb, key);
	for (size_t i = 0; i < NR_FILES; i++) {
		char *path = xasprintf("%s/%s", tmp, snapshot_files[i]);
		uint64_t hash, size;
		int r = hash_path(path, &hash, &size, err);

		if (r == 0 && fsync_path(path, 0) < 0)
			r = error_set(err, "cannot sync '%s': %s", path, strerror(errno));
		if (r == 0 && chmod(path, 0444) < 0)
			r = error_set(err, "cannot chmod '%s': %s", path, strerror(errno));
		free(path);
		if (r < 0)
			goto out;
		strbuf_addf(&sb, "%s size=%" PRIu64 " xxh64=%016" PRIx64 "\n", snapshot_files[i],
			    size, hash);
	}
	if (write_file_atomic(manifest, sb.buf, sb.len, err) < 0)
		goto out;
	chmod(manifest, 0444);
	if (fsync_path(tmp, O_DIRECTORY) < 0) {
		error_set(err, "cannot sync '%s': %s", tmp, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (have_run_dir) {
		remove_tree(run_dir);
		litter_forget(run_dir);
	}
	strbuf_release(&sb);
	free(disk);
	free(state);
	free(ram);
	free(log);
	free(manifest);
	return ret;
}

/* ---- the public functions ---- */

void snapshot_release(struct snapshot *s)
{
	if (!s)
		return;
	free(s->dir);
	free(s->disk);
	free(s->state);
	free(s->ram);
	free(s->argv_key);
	free(s->why);
	/* 0 is a zeroed snapshot's, never a lock we took (stdin is open) */
	if (s->lock_fd > 0)
		close(s->lock_fd);
	memset(s, 0, sizeof(*s));
}

/* What snapshot_ensure() needs of a spec before it touches the cache. */
static int spec_check(const struct snapshot_spec *spec, struct bp_error *err)
{
	if (!spec->cache_dir || spec->cache_dir[0] != '/' || !spec->golden ||
	    spec->golden[0] != '/')
		return error_set(err,
				 "snapshot '%s': cache directory and golden disk need absolute "
				 "paths",
				 spec->name);
	if (!spec->name || !spec->name[0] || strchr(spec->name, '/') || spec->name[0] == '.')
		return error_set(err, "invalid snapshot name '%s'", spec->name ? spec->name : "");
	if (!spec->vm.guest || !spec->vm.accel ||
	    (spec->vm.guest->machine.direct_kernel &&
	     (!spec->vm.kernel || !spec->vm.initrd || !spec->vm.append)))
		return error_set(err,
				 "snapshot '%s': a guest profile and accel are needed, and kernel, "
				 "initrd and append for a direct kernel boot",
				 spec->name);
	if (!spec->ready || !spec->ready[0])
		return error_set(err, "snapshot '%s': empty ready pattern", spec->name);
	if (!spec->boot)
		return error_set(err, "snapshot '%s': no boot to the ready point", spec->name);
	return 0;
}

/* The snapshot in dir, held through dir_fd, as the caller gets it (dir taken). */
static void snapshot_fill(struct snapshot *ret, const struct snapshot_spec *spec, char *dir,
			  const uint64_t sizes[NR_FILES], int dir_fd)
{
	struct stat st;

	ret->dir = dir;
	ret->disk = xasprintf("%s/disk.qcow2", dir);
	ret->state = xasprintf("%s/state", dir);
	ret->ram = xasprintf("%s/ram", dir);
	ret->state_size = sizes[FILE_STATE];
	ret->ram_size = sizes[FILE_RAM];
	if (stat(ret->disk, &st) == 0) {
		ret->disk_dev = (uint64_t)st.st_dev;
		ret->disk_ino = (uint64_t)st.st_ino;
	}
	if (stat(ret->state, &st) == 0) {
		ret->state_dev = (uint64_t)st.st_dev;
		ret->state_ino = (uint64_t)st.st_ino;
	}
	if (stat(ret->ram, &st) == 0) {
		ret->ram_dev = (uint64_t)st.st_dev;
		ret->ram_ino = (uint64_t)st.st_ino;
	}
	ret->argv_key = argv_key(&spec->vm);
	ret->premount = spec->premount;
	ret->lock_fd = dir_fd;
}

int snapshot_ensure(const struct snapshot_spec *spec, struct snapshot *ret, int *ret_built,
		    struct bp_error *err)
{
	struct strbuf key = STRBUF_INIT;
	struct hash_cache hc = {0};
	struct bp_error why = {""};
	char *top = NULL, *lock_path = NULL, *hashes = NULL, *tmp = NULL, *dir = NULL;
	char *reason = NULL;
	char keyhex[17];
	uint64_t sizes[NR_FILES] = {0};
	int lock_fd = -1, dir_fd = -1, built = 0, rc = -1;

	memset(ret, 0, sizeof(*ret));
	if (ret_built)
		*ret_built = 0;
	if (spec_check(spec, err) < 0)
		return -1;
	top = xasprintf("%s/%s", spec->cache_dir, spec->name);
	lock_path = xasprintf("%s.lock", top);
	hashes = xasprintf("%s/hashes", top);
	if (mkdir_p(top, err) < 0)
		goto out;
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock_fd < 0) {
		error_set(err, "cannot open '%s': %s", lock_path, strerror(errno));
		goto out;
	}
	if (lock_fd_wait(lock_fd, LOCK_EX, lock_path, err) < 0)
		goto out;

	hash_cache_load(&hc, hashes);
	if (build_key(spec, &hc, &key, err) < 0)
		goto out;
	hash_cache_save(&hc);
	snprintf(keyhex, sizeof(keyhex), "%016" PRIx64, xxh64(key.buf, key.len));
	dir = xasprintf("%s/%s", top, keyhex);

	if (access(dir, F_OK) == 0 && !snapshot_valid(dir, key.buf, sizes, &why)) {
		/* corrupt: move it aside (a process may still hold it); collected below */
		char *old = xasprintf("%s/.old.%s.%ld", top, keyhex, (long)getpid());

		reason = xasprintf("the existing one was invalid: %s", why.msg);
		remove_tree(old);
		if (rename(dir, old) < 0) {
			error_set(err, "snapshot '%s': cannot move the invalid '%s' aside: %s",
				  spec->name, dir, strerror(errno));
			free(old);
			goto out;
		}
		free(old);
	}
	if (access(dir, F_OK) < 0) {
		if (!reason)
			reason =
			    xstrdup(has_snapshots(top) ? "its inputs changed" : "none existed");
		tmp = xasprintf("%s/.tmp.%ld", top, (long)getpid());
		remove_tree(tmp);
		if (mkdir(tmp, 0755) < 0) {
			error_set(err, "cannot create directory '%s': %s", tmp, strerror(errno));
			goto out;
		}
		if (build(spec, tmp, key.buf, err) < 0) {
			error_prefix(err, "cannot build snapshot '%s'", spec->name);
			goto out;
		}
		if (rename(tmp, dir) < 0) {
			error_set(err, "cannot rename '%s' to '%s': %s", tmp, dir, strerror(errno));
			goto out;
		}
		fsync_path(top, O_DIRECTORY);
		built = 1;
		/* what was just written must read back as written */
		if (!snapshot_valid(dir, key.buf, sizes, &why)) {
			error_set(err, "snapshot '%s' is invalid right after its build: %s",
				  spec->name, why.msg);
			goto out;
		}
	}
	dir_fd = hold_dir(dir, err);
	if (dir_fd < 0)
		goto out;
	collect_garbage(top, keyhex);

	snapshot_fill(ret, spec, dir, sizes, dir_fd);
	ret->why = built ? reason : NULL;
	if (built)
		reason = NULL;
	dir = NULL;
	dir_fd = -1;
	if (ret_built)
		*ret_built = built;
	rc = 0;
out:
	if (tmp && rc < 0)
		remove_tree(tmp);
	if (dir_fd >= 0)
		close(dir_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	hash_cache_release(&hc);
	strbuf_release(&key);
	free(top);
	free(lock_path);
	free(hashes);
	free(tmp);
	free(dir);
	free(reason);
	return rc;
}

/*
 * The guest's page cache must meet the disk it was saved with: the trial
 * disk's backing file must be s's base disk, unwritten by the trial so far.
 * (A pre-mount guest holds nothing of its disk, and skips this.)
 */
static int check_trial_disk(const struct snapshot *s, const char *disk, struct bp_error *err)
{
	char *backing = NULL;
	struct stat st;
	int written, ret = -1;

	if (qcow2_backing(disk, &backing, err) < 0)
		return -1;
	if (!backing || stat(backing, &st) < 0 || (uint64_t)st.st_dev != s->disk_dev ||
	    (uint64_t)st.st_ino != s->disk_ino)
		error_set(err,
			  "the trial disk '%s' is not an overlay of its base disk '%s' (backing "
			  "file: '%s')",
			  disk, s->disk, backing ? backing : "none");
	else if (qcow2_written(disk, &written, err) < 0)
		;
	else if (written)
		error_set(err,
			  "the trial disk '%s' has been written to (the saved guest expects its "
			  "base disk unchanged)",
			  disk);
	else
		ret = 0;
	free(backing);
	return ret;
}

/* st is still the file snapshot_ensure() checked: its size and inode. */
static int same_file(const struct stat *st, const char *what, uint64_t size, uint64_t dev,
		     uint64_t ino, struct bp_error *err)
{
	if ((uint64_t)st->st_size != size)
		return error_set(err,
				 "its %s is %lld bytes, expected %" PRIu64
				 " (changed since it was checked)",
				 what, (long long)st->st_size, size);
	if ((uint64_t)st->st_dev != dev || (uint64_t)st->st_ino != ino)
		return error_set(err, "its %s was replaced since it was checked", what);
	return 0;
}

void snapshot_clone_config(const struct snapshot *s, struct vm_config *cfg)
{
	cfg->incoming = 1;
	cfg->ram_file = s->ram;
	cfg->ram_shared = 0;
}

int snapshot_open_state(const struct snapshot *s, const struct vm_config *cfg, struct bp_error *err)
{
	char *key = argv_key(cfg);
	struct stat st;
	int fd = -1, ret = -1;

	if (strcmp(key, s->argv_key)) {
		error_set(err, "the trial's qemu options differ from the snapshot's");
		goto out;
	}
	fd = open(s->state, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error_set(err, "cannot open '%s': %s", s->state, strerror(errno));
		goto out;
	}
	if (same_file(&st, "state", s->state_size, s->state_dev, s->state_ino, err) < 0)
		goto out;
	/* QEMU maps the RAM file by path: the one checked, unless replaced since */
	if (stat(s->ram, &st) < 0) {
		error_set(err, "cannot stat '%s': %s", s->ram, strerror(errno));
		goto out;
	}
	if (same_file(&st, "RAM file", s->ram_size, s->ram_dev, s->ram_ino, err) < 0)
		goto out;
	if (!cfg->disk) {
		error_set(err, "no trial disk");
		goto out;
	}
	if (!s->premount && check_trial_disk(s, cfg->disk, err) < 0)
		goto out;
	ret = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(key);
	return ret;
}

int vm_start_restored(struct vm *vm, const struct vm_config *cfg, const struct snapshot *s,
		      int timeout_ms, struct bp_error *err)
{
	struct vm_config c = *cfg;
	int64_t deadline = now_ms() + timeout_ms;
	int fd, ret = -1, left;

	memset(vm, 0, sizeof(*vm));
	vm->proc.pidfd = vm->serial_fd = vm->update_fd = -1;
	fd = snapshot_open_state(s, cfg, err);
	if (fd < 0) {
		error_prefix(err, "cannot restore snapshot '%s'", s->dir);
		return -1;
	}
	snapshot_clone_config(s, &c);
	if (vm_start(vm, &c, timeout_ms, err) < 0) {
		error_prefix(err, "cannot restore snapshot '%s'", s->dir);
		goto out;
	}
	left = (int)(deadline - now_ms());
	/* x-ignore-shared as at the save: the stream holds no RAM, the file has it */
	if (qmp_migrate_set_capability(vm->qmp, "events", 1, err) < 0 ||
	    qmp_migrate_set_capability(vm->qmp, "x-ignore-shared", 1, err) < 0 ||
	    qmp_getfd(vm->qmp, fd, SNAPSHOT_STATE_FD_NAME, err) < 0 ||
	    qmp_migrate_incoming(vm->qmp, "fd:" SNAPSHOT_STATE_FD_NAME, err) < 0 ||
	    qmp_wait_migration(vm->qmp, left > 0 ? left : 1, err) < 0) {
		/* QEMU 7.2 exits after a failed incoming migration: let its log say why */
		proc_wait(&vm->proc, 1000);
		vm_stop(vm, 0);
		error_prefix(err, "cannot restore snapshot '%s'", s->dir);
		error_add_log(err, vm->log_path);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}
