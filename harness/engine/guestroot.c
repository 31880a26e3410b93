/*
 * guestroot - the OS root of a disk in the appliance (see guestroot.h).
 */
#define _GNU_SOURCE
#include "guestroot.h"

#include <fnmatch.h>
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void guestroot_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static int gerr(guestfs_h *g, struct bp_error *err, const char *what)
{
	const char *msg = guestfs_last_error(g);

	return error_set(err, "%s: %s", what, msg ? msg : "unknown libguestfs error");
}

static void add_mount(struct guestroot *r, const char *dir, const char *dev)
{
	if (r->nr_mounts == GUESTROOT_MOUNTS_MAX)
		return;
	snprintf(r->mounts[r->nr_mounts].dir, sizeof(r->mounts[0].dir), "%s", dir);
	snprintf(r->mounts[r->nr_mounts].dev, sizeof(r->mounts[0].dev), "%s", dev);
	r->nr_mounts++;
}

/* Inspection's mountpoints, shortest first: "/" before "/boot/efi". */
static int by_length(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);

	return (x > y) - (x < y);
}

static int inspect(guestfs_h *g, struct guestroot *r, struct bp_error *err)
{
	char **roots = guestfs_inspect_os(g), **mps = NULL, *type = NULL;
	char *order[GUESTROOT_MOUNTS_MAX];
	size_t n = 0;
	int ret = -1;

	if (!roots)
		return gerr(g, err, "inspection failed");
	if (!roots[0]) {
		error_set(err, "no operating system found on the disk's partitions");
		goto out;
	}
	type = guestfs_inspect_get_type(g, roots[0]);
	mps = guestfs_inspect_get_mountpoints(g, roots[0]);
	if (!type || !mps) {
		gerr(g, err, "inspection failed");
		goto out;
	}
	snprintf(r->os, sizeof(r->os), "%s", type);
	r->casefold = !strcmp(type, "windows");
	/* mps: mountpoint, device, mountpoint, device, ... */
	for (size_t i = 0; mps[i] && mps[i + 1] && n < ARRAY_SIZE(order); i += 2)
		order[n++] = mps[i];
	qsort(order, n, sizeof(*order), by_length);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; mps[i] && mps[i + 1]; i += 2)
			if (mps[i] == order[k])
				add_mount(r, mps[i], mps[i + 1]);
	ret = 0;
out:
	free(type);
	guestroot_strv_free(mps);
	guestroot_strv_free(roots);
	return ret;
}

int guestroot_remount(struct guestfs_h *g, const struct guestroot *r, struct bp_error *err)
{
	for (size_t i = 0; i < r->nr_mounts; i++)
		if (guestfs_mount(g, r->mounts[i].dev, r->mounts[i].dir) < 0)
			return err ? gerr(g, err, "cannot mount the guest's file systems") : -1;
	return 0;
}

int guestroot_mount(struct guestfs_h *g, const char *dev, struct guestroot *r,
		    struct bp_error *err)
{
	char **parts = guestfs_list_partitions(g);
	int partitioned = 0;

	memset(r, 0, sizeof(*r));
	if (!parts)
		return gerr(g, err, "cannot list partitions");
	partitioned = parts[0] != NULL;
	guestroot_strv_free(parts);
	if (partitioned)
		return inspect(g, r, err) < 0 ? -1 : guestroot_remount(g, r, err);
	add_mount(r, "/", dev);
	if (guestroot_remount(g, r, err) < 0)
		return -1;
	/* A whole-disk file system holding a Windows tree (a FAT stand-in) is Windows' too. */
	{
		char *sys = guestfs_case_sensitive_path(g, "/windows/system32/config/system");

		if (sys && guestfs_is_file(g, sys) > 0) {
			r->casefold = 1;
			snprintf(r->os, sizeof(r->os), "windows");
		}
		free(sys);
	}
	return 0;
}

char *guestroot_resolve(struct guestfs_h *g, const struct guestroot *r, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = path;

	if (!r->casefold)
		return xstrdup(path);
	/* One component at a time: case_sensitive_path needs the parent to exist. */
	while (*p) {
		const char *end;
		char *next, *real;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		next = xasprintf("%s/%.*s", sb.buf, (int)(end - p), p);
		real = guestfs_case_sensitive_path(g, next);
		free(next);
		if (!real || guestfs_exists(g, real) <= 0) {
			free(real);
			strbuf_addf(&sb, "/%s", p);
			break;
		}
		strbuf_reset(&sb);
		strbuf_adds(&sb, real);
		free(real);
		p = end;
	}
	if (!sb.len)
		strbuf_addch(&sb, '/');
	return strbuf_detach(&sb);
}

/* Append dir/name for each name in dir matching pat (case-insensitively). */
static void match_dir(guestfs_h *g, const char *dir, const char *pat, char ***out, size_t *n)
{
	char **names = guestfs_ls(g, dir);

	for (char **p = names; p && *p; p++) {
		if (fnmatch(pat, *p, FNM_CASEFOLD | FNM_PERIOD) != 0)
			continue;
		*out = xrealloc(*out, (*n + 2) * sizeof(**out));
		(*out)[(*n)++] = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", *p);
		(*out)[*n] = NULL;
	}
	guestroot_strv_free(names);
}

char **guestroot_glob(struct guestfs_h *g, const struct guestroot *r, const char *pattern)
{
	char **cur, **next;
	const char *p = pattern;

	if (!r->casefold) {
		char **v = guestfs_glob_expand(g, pattern);

		return v ? v : xcalloc(1, sizeof(char *));
	}
	cur = xcalloc(2, sizeof(*cur));
	cur[0] = xstrdup("/");
	while (*p) {
		size_t n = 0;
		char *comp;
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		comp = xstrndup(p, (size_t)(end - p));
		next = xcalloc(1, sizeof(*next));
		/* Each match so far that is a directory, searched for this component. */
		for (char **d = cur; *d; d++)
			if (guestfs_is_dir(g, *d) > 0)
				match_dir(g, *d, comp, &next, &n);
		free(comp);
		guestroot_strv_free(cur);
		cur = next;
		p = end;
	}
	return cur;
}
