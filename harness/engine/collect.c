/*
 * collect - guest files copied out, bounded, with a manifest (see collect.h).
 */
#define _GNU_SOURCE
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestroot.h"

/* A manifest longer than this was not written by collect_glob(). */
#define MANIFEST_MAX (64 * 1024)

struct candidate {
	char *path;
	int64_t size, mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

/* The copy's name: the guest file's last component in safe bytes, unique in dir. */
static void copy_name(const char *dir, const char *path, size_t nth, char *out)
{
	const char *base = strrchr(path, '/');
	char safe[COLLECT_NAME_MAX - 8 + 1], *full;
	size_t n = 0;

	for (base = base ? base + 1 : path; *base && n < sizeof(safe) - 1; base++)
		safe[n++] = (strchr("._-", *base) || (*base >= 'A' && *base <= 'Z') ||
			     (*base >= 'a' && *base <= 'z') || (*base >= '0' && *base <= '9'))
				? *base
				: '_';
	safe[n] = '\0';
	if (!n || safe[0] == '.')
		safe[0] = '_', safe[n ? n : 1] = '\0';
	full = xasprintf("%s/%s", dir, safe);
	if (access(full, F_OK) == 0)
		snprintf(out, COLLECT_NAME_MAX + 1, "%zu-%s", nth, safe);
	else
		snprintf(out, COLLECT_NAME_MAX + 1, "%s", safe);
	free(full);
}

static void manifest_line(FILE *m, uint64_t copied, const struct candidate *c, const char *name)
{
	char guest[COLLECT_PATH_MAX + 1];
	size_t n = 0;

	for (const char *p = c->path; *p && n < COLLECT_PATH_MAX; p++)
		guest[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	guest[n] = '\0';
	fprintf(m, "%" PRIu64 " %" PRId64 " %" PRId64 " %s %s\n", copied, c->size, c->mtime, name,
		guest);
}

/* One file: its first `max` bytes into dir (an empty file is made by hand). */
static int copy_one(guestfs_h *g, struct inject_op *op, const struct candidate *c, size_t nth,
		    FILE *m, struct bp_error *err)
{
	char name[COLLECT_NAME_MAX + 1], *dest;
	int64_t want = c->size < (int64_t)op->value ? c->size : (int64_t)op->value;
	int ret = 0;

	copy_name(op->host, c->path, nth, name);
	dest = xasprintf("%s/%s", op->host, name);
	if (want > 0 && guestfs_download_offset(g, c->path, dest, 0, want) < 0) {
		const char *msg = guestfs_last_error(g);

		ret = error_set(err, "cannot copy guest file '%s': %s", c->path,
				msg ? msg : "unknown libguestfs error");
	} else if (want <= 0) {
		int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}
	if (!ret) {
		manifest_line(m, (uint64_t)want, c, name);
		op->result++;
	}
	free(dest);
	return ret;
}

int collect_glob(struct guestfs_h *g, const struct guestroot *r, struct inject_op *op,
		 struct bp_error *err)
{
	char **paths = guestroot_glob(g, r, op->guest);
	struct candidate *v = NULL;
	size_t n = 0, alloc = 0;
	char *mpath = xasprintf("%s/%s", op->host, INJECT_COLLECT_MANIFEST);
	FILE *m = NULL;
	int ret = 0;

	op->result = 0;
	for (char **p = paths; *p; p++) {
		/* lstat: a symlink is not followed to somewhere else on the disk. */
		struct guestfs_statns *st = guestfs_lstatns(g, *p);

		if (st && S_ISREG(st->st_mode)) {
			ALLOC_GROW(v, n + 1, alloc);
			v[n++] = (struct candidate){*p, st->st_size, st->st_mtime_sec};
		}
		guestfs_free_statns(st);
	}
	if (!n)
		goto out;
	qsort(v, n, sizeof(*v), newest_first);
	if (!(m = fopen(mpath, "ae"))) {
		ret = error_set(err, "cannot write '%s': %s", mpath, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n && i < INJECT_COLLECT_FILES && !ret; i++)
		ret = copy_one(g, op, &v[i], i + 1, m, err);
	if (n > INJECT_COLLECT_FILES)
		fprintf(m, "#left %zu %s\n", n - INJECT_COLLECT_FILES, "more files left out");
	if (fclose(m) != 0 && !ret)
		ret = error_set(err, "cannot write '%s': %s", mpath, strerror(errno));
out:
	free(v);
	guestroot_strv_free(paths);
	free(mpath);
	return ret;
}

/* "COPIED SIZE MTIME NAME GUEST" into *c: 1, or 0 for a malformed line. */
static int parse_line(char *line, struct collected *c)
{
	unsigned long long copied, size;
	long long mtime;
	int name_at = 0, name_end = 0, guest_at = 0; /* %n sets nothing past a failed conversion */

	memset(c, 0, sizeof(*c));
	if (sscanf(line, "%llu %llu %lld %n%*s%n %n", &copied, &size, &mtime, &name_at, &name_end,
		   &guest_at) < 3 ||
	    !name_at || name_end - name_at > COLLECT_NAME_MAX || name_end <= name_at)
		return 0;
	memcpy(c->name, line + name_at, (size_t)(name_end - name_at));
	if (strchr(c->name, '/') || c->name[0] == '.' || copied > size)
		return 0;
	snprintf(c->guest, sizeof(c->guest), "%s",
		 line + (guest_at > name_end ? guest_at : name_end));
	c->copied = copied;
	c->size = size;
	c->mtime = mtime;
	return 1;
}

int collect_manifest_read(const char *dir, void (*fn)(void *ctx, const struct collected *c),
			  void *ctx, struct bp_error *err)
{
	char *path = xasprintf("%s/%s", dir, INJECT_COLLECT_MANIFEST);
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		ret = 0; /* nothing matched: nothing copied */
		goto out;
	}
	if (read_regular(path, MANIFEST_MAX, &sb, err) < 0)
		goto out;
	for (char *line = sb.buf, *nl; line && *line; line = nl) {
		struct collected c;
		unsigned long long left;

		if ((nl = strchr(line, '\n')))
			*nl++ = '\0';
		if (sscanf(line, "#left %llu", &left) == 1) {
			memset(&c, 0, sizeof(c));
			c.left = left;
			if (left) /* none left out: nothing to say */
				fn(ctx, &c);
		} else if (parse_line(line, &c)) {
			fn(ctx, &c);
		}
	}
	ret = 0;
out:
	strbuf_release(&sb);
	free(path);
	return ret;
}
