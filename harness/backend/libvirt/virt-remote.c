/*
 * virt-remote - a domain's files on a host that does not share ours (see
 * virt-remote.h).
 */
#define _GNU_SOURCE
#include "virt-remote.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "domxml.h"
#include "virt-conn.h"
#include "virt-golden.h"
#include "virt-store.h"

#define REMOTE_MAX_CHAIN 8

/* The loop thread's: which hosts upload. */
static char **hosts;
static size_t nr_hosts;

/*
 * The workers': what each host has already been given (by file identity:
 * a file rebuilt under its name is another), and which hosts were swept.
 */
struct given {
	char *uri;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char name[VIRT_STORE_DIGEST_NAME_LEN + 1];
	char *path; /* on the host */
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct given **given;
static size_t nr_given;
static char **swept;
static size_t nr_swept;

void virt_remote_add(const char *uri)
{
	if (virt_remote(uri))
		return;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	hosts = xrealloc(hosts, (nr_hosts + 1) * sizeof(*hosts));
	hosts[nr_hosts++] = xstrdup(uri);
}

int virt_remote(const char *uri)
{
	for (size_t i = 0; uri && i < nr_hosts; i++)
		if (!strcmp(hosts[i], uri))
			return 1;
	return 0;
}

static int end_run(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	return virt_remote_sweep(conn, 1, err) < 0 ? -1 : 0;
}

static void end_done(void *ctx, int r, const struct bp_error *err)
{
}

void virt_remote_end(void)
{
	struct bp_error err;

	for (size_t i = 0; i < nr_hosts; i++) {
		struct virt_conn *c = virt_conn_get(hosts[i], &err);

		if (c)
			virt_conn_submit(c, end_run, end_done, NULL);
	}
}

void virt_remote_clear(void)
{
	for (size_t i = 0; i < nr_hosts; i++)
		free(hosts[i]);
	free(hosts);
	hosts = NULL;
	nr_hosts = 0;
	for (size_t i = 0; i < nr_given; i++) {
		free(given[i]->uri);
		free(given[i]->path);
		free(given[i]);
	}
	free(given);
	given = NULL;
	nr_given = 0;
	for (size_t i = 0; i < nr_swept; i++)
		free(swept[i]);
	free(swept);
	swept = NULL;
	nr_swept = 0;
}

static int same_file(const struct given *g, const char *uri, const struct stat *st)
{
	return g->dev == st->st_dev && g->ino == st->st_ino && g->size == st->st_size &&
	       g->mtime.tv_sec == st->st_mtim.tv_sec && g->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       !strcmp(g->uri, uri);
}

/* Once per host and run: a killed harness's volumes go before ours come. */
static void sweep_once(virConnectPtr conn, const char *uri)
{
	struct bp_error err;
	int first = 1;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nr_swept && first; i++)
		first = strcmp(swept[i], uri) != 0;
	if (first) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
		swept = xrealloc(swept, (nr_swept + 1) * sizeof(*swept));
		swept[nr_swept++] = xstrdup(uri);
	}
	pthread_mutex_unlock(&lock);
	/* a failed sweep leaves litter, never a failed boot */
	if (first)
		virt_remote_sweep(conn, 0, &err);
}

/*
 * The local file path by content in pool: name and host path of its
 * volume (*ret_path the cache's: not to be freed), uploaded on first use.
 */
static int give(virStoragePoolPtr pool, const char *uri, const char *path, const char **ret_name,
		const char **ret_path, struct bp_error *err)
{
	struct given *g = NULL;
	struct stat st;

	if (stat(path, &st) < 0)
		return error_set(err, "cannot stat '%s': %s", path, strerror(errno));
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nr_given && !g; i++)
		if (same_file(given[i], uri, &st))
			g = given[i];
	pthread_mutex_unlock(&lock);
	if (!g) {
		g = xcalloc(1, sizeof(*g));
		if (virt_store_put_by_digest(pool, path, g->name, &g->path, NULL, err) < 0) {
			free(g->path);
			free(g);
			return -1;
		}
		g->uri = xstrdup(uri);
		g->dev = st.st_dev;
		g->ino = st.st_ino;
		g->size = st.st_size;
		g->mtime = st.st_mtim;
		pthread_mutex_lock(&lock);
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
		given = xrealloc(given, (nr_given + 1) * sizeof(*given));
		given[nr_given++] = g;
		pthread_mutex_unlock(&lock);
	}
	*ret_name = g->name;
	*ret_path = g->path;
	return 0;
}

static void free_chain(struct domxml_backing *chain, int n)
{
	while (n-- > 0)
		free(chain[n].path);
}

char *virt_remote_put(virConnectPtr conn, const char *uri, const struct vm_config *cfg,
		      const char *name, const char *uuid, const char *prefix, const char *tmp_dir,
		      struct bp_error *err)
{
	struct domxml_backing local[REMOTE_MAX_CHAIN], host[REMOTE_MAX_CHAIN];
	struct domxml_files files = {.chain = host};
	virStoragePoolPtr pool = NULL;
	const char *vol = NULL, *unused;
	char *ov_name = xasprintf("%s.qcow2", prefix), *ov_path = NULL, *xml = NULL;
	int n;

	sweep_once(conn, uri);
	n = domxml_backing_chain(cfg->disk, local, REMOTE_MAX_CHAIN, err);
	if (n < 0)
		goto out_name;
	/* a trial overlay always has a backing file (inject.h: overlay_create()) */
	if (!n) {
		error_set(err, "'%s' has no backing file: not a trial overlay", cfg->disk);
		goto out;
	}
	if (virt_store_pool(conn, &pool, err) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *path;

		if (give(pool, uri, local[i].path, i ? &unused : &vol, &path, err) < 0)
			goto out;
		host[i].path = (char *)path;
		memcpy(host[i].format, local[i].format, sizeof(host[i].format));
	}
	files.nr_chain = n;
	if ((cfg->kernel && give(pool, uri, cfg->kernel, &unused, &files.kernel, err) < 0) ||
	    (cfg->initrd && give(pool, uri, cfg->initrd, &unused, &files.initrd, err) < 0))
		goto out;
	if (virt_store_put_overlay(pool, cfg->disk, vol, local[0].format, ov_name, tmp_dir,
				   &ov_path, err) < 0)
		goto out;
	files.disk = ov_path;
	xml = domxml_build(cfg, name, uuid, NULL, &files, err);
out:
	free(ov_path);
	free_chain(local, n);
	if (pool)
		virStoragePoolFree(pool);
out_name:
	free(ov_name);
	return xml;
}

int virt_remote_get(virConnectPtr conn, const struct vm_config *cfg, const char *prefix,
		    struct bp_error *err)
{
	struct domxml_backing local[REMOTE_MAX_CHAIN];
	virStoragePoolPtr pool;
	char *ov_name = xasprintf("%s.qcow2", prefix);
	int n = domxml_backing_chain(cfg->disk, local, REMOTE_MAX_CHAIN, err), r = -1;

	if (n >= 0 && virt_store_pool(conn, &pool, err) == 0) {
		r = virt_store_get(pool, ov_name, cfg->disk, 0, n ? local[0].path : NULL,
				   n ? local[0].format : NULL, err);
		virStoragePoolFree(pool);
	}
	free_chain(local, n);
	free(ov_name);
	return r;
}

int virt_remote_fetch(virConnectPtr conn, const char *file, const char *dest,
		      struct bp_error *err)
{
	virStoragePoolPtr pool;
	int r;

	if (virt_store_pool(conn, &pool, err) < 0)
		return -1;
	r = virt_store_get(pool, file, dest, 0, NULL, NULL, err);
	virStoragePoolFree(pool);
	return r;
}

int virt_remote_drop(virConnectPtr conn, const char *prefix, struct bp_error *err)
{
	virStoragePoolPtr pool;
	int r;

	if (virt_store_pool(conn, &pool, err) < 0)
		return -1;
	r = virt_store_delete(pool, prefix, err);
	virStoragePoolFree(pool);
	return r;
}

static int gone(const char *name, void *mine)
{
	return virt_harness_gone(name, *(int *)mine);
}

int virt_remote_sweep(virConnectPtr conn, int mine, struct bp_error *err)
{
	virStoragePoolPtr pool;
	int r;

	if (virt_store_pool(conn, &pool, err) < 0)
		return -1;
	r = virt_store_delete_if(pool, gone, &mine, err);
	virStoragePoolFree(pool);
	return r;
}

char *virt_remote_path(virConnectPtr conn, const char *file, struct bp_error *err)
{
	virStoragePoolPtr pool;
	char *dir, *path = NULL;

	if (virt_store_pool(conn, &pool, err) < 0)
		return NULL;
	dir = virt_store_dir(pool, err);
	if (dir)
		path = xasprintf("%s/%s", dir, file);
	free(dir);
	virStoragePoolFree(pool);
	return path;
}
