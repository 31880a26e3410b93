/*
 * litter - locked scratch directories and the sweep of dead ones (see
 * litter.h). Liveness is the flock on .lock, never a pid: a pid can be
 * reused, a lock dies with the last process holding it.
 */
#define _GNU_SOURCE
#include "litter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


#define GUESTFS_PREFIX "/tmp/libguestfs"

struct held {
	char *dir;
	int fd;
};

static struct held *held;
static size_t nr_held, alloc_held;
static char *home; /* the first directory made: where workers note their appliances */

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* The owner record, then .lock.tmp locked and renamed to .lock: the fd, or -1. */
static int make_lock(const char *dir, const char *run_dir, struct bp_error *err)
{
	char *owner = path_in(dir, ".owner"), *tmp = path_in(dir, ".lock.tmp");
	char *lock = path_in(dir, ".lock"), *abs = run_dir ? realpath(run_dir, NULL) : NULL;
	char *text = abs ? xasprintf("pid %ld\nrun %s\n", (long)getpid(), abs)
			 : xasprintf("pid %ld\n", (long)getpid());
	int fd = -1;

	if (write_file_atomic(owner, text, strlen(text), err) < 0)
		goto out;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || rename(tmp, lock) < 0) {
		error_set(err, "cannot lock '%s': %s", lock, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	free(owner);
	free(tmp);
	free(lock);
	free(abs);
	free(text);
	return fd;
}

int litter_mkdtemp(char *template, const char *run_dir, struct bp_error *err)
{
	int fd;

	if (!mkdtemp(template))
		return error_set(err, "cannot create '%s': %s", template, strerror(errno));
	fd = make_lock(template, run_dir, err);
	if (fd < 0) {
		remove_tree(template);
		return -1;
	}
	ALLOC_GROW(held, nr_held + 1, alloc_held);
	held[nr_held++] = (struct held){xstrdup(template), fd};
	if (!home)
		home = xstrdup(template);
	return 0;
}

void litter_forget(const char *dir)
{
	for (size_t i = 0; i < nr_held; i++)
		if (!strcmp(held[i].dir, dir)) {
			close(held[i].fd);
			free(held[i].dir);
			held[i] = held[--nr_held];
			return;
		}
}

void litter_keep(const char *dir)
{
	char *lock = path_in(dir, ".lock");

	unlink(lock);
	free(lock);
	litter_forget(dir);
}

/* "/tmp/libguestfsXXXXXX": what libguestfs's mkdtemp makes for its sockets (as root). */
static int is_guestfs_dir(const char *p)
{
	size_t n = strlen(GUESTFS_PREFIX);

	if (strncmp(p, GUESTFS_PREFIX, n) || strlen(p) != n + 6)
		return 0;
	for (p += n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

/*
 * Walk /proc/net/unix: with inodes (nr of them), the libguestfs directories
 * of those sockets go to sb; with prefix, 1 if any open socket's path is
 * under it.
 */
static int scan_unix(const unsigned long *inodes, size_t nr, const char *prefix, struct strbuf *sb)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[4096 + 128], path[4096];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long ino;
		char *slash;

		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %4095s", &ino, path) != 2)
			continue;
		if (prefix) {
			found = !strncmp(path, prefix, strlen(prefix));
			continue;
		}
		for (size_t i = 0; i < nr; i++)
			if (inodes[i] == ino && (slash = strrchr(path, '/'))) {
				*slash = '\0';
				if (is_guestfs_dir(path))
					strbuf_addf(sb, "%s\n", path);
			}
	}
	fclose(f);
	return found;
}

void litter_note_guestfs(void)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned long *inodes = NULL;
	size_t nr = 0, alloc = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char *list = NULL;
	int fd;

	if (!home || !d)
		goto out;
	while ((e = readdir(d))) {
		char link[64], *fdpath = xasprintf("/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(fdpath, link, sizeof(link) - 1);
		unsigned long ino;

		free(fdpath);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) == 1) {
			ALLOC_GROW(inodes, nr + 1, alloc);
			inodes[nr++] = ino;
		}
	}
	scan_unix(inodes, nr, NULL, &sb);
	if (!sb.len)
		goto out;
	list = path_in(home, ".guestfs");
	fd = open(list, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		/* Best effort: if this fails, the sweep misses the directory. */
		ssize_t n = write(fd, sb.buf, sb.len);

		(void)n;
		close(fd);
	}
out:
	if (d)
		closedir(d);
	free(inodes);
	free(list);
	strbuf_release(&sb);
}

/* A directory we own, not a symlink. */
static int is_our_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

/* The appliance directories a dead run listed, each checked before it goes. */
static void sweep_guestfs(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *list = path_in(dir, ".guestfs");

	if (read_file(list, &sb, NULL) == 0) {
		for (char *line = sb.buf, *nl; *line; line = nl + 1) {
			char *prefix;

			if (!(nl = strchr(line, '\n')))
				break;
			*nl = '\0';
			if (!is_guestfs_dir(line) || !is_our_dir(line))
				continue;
			prefix = xasprintf("%s/", line);
			if (!scan_unix(NULL, 0, prefix, NULL))
				remove_tree(line);
			free(prefix);
		}
	}
	free(list);
	strbuf_release(&sb);
}

/* The value of "KEY VALUE" in the owner record (malloc'd), or NULL. */
static char *owner_field(const char *dir, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = path_in(dir, ".owner"), *ret = NULL;
	size_t n = strlen(key);

	if (read_file(path, &sb, NULL) == 0)
		for (char *line = sb.buf, *nl; (nl = strchr(line, '\n')); line = nl + 1)
			if (!strncmp(line, key, n) && line[n] == ' ') {
				ret = xstrndup(line + n + 1, (size_t)(nl - line - (ptrdiff_t)n - 1));
				break;
			}
	free(path);
	strbuf_release(&sb);
	return ret;
}

/* The run's half-written files; then the caller's dead_run marks and renders what is left. */
static void sweep_run(const char *run_dir, const char *pid, const struct litter_sweeper *sw)
{
	char *tap_tmp = path_in(run_dir, "results.tap.tmp");
	char *json_tmp = xasprintf("%s/results.json.tmp.%s", run_dir, pid ? pid : "none");

	if (is_our_dir(run_dir)) {
		unlink(tap_tmp);
		unlink(json_tmp);
		if (sw->dead_run)
			sw->dead_run(sw->ctx, run_dir);
	}
	free(tap_tmp);
	free(json_tmp);
}

/* One candidate: 1 if it was dead and is gone. */
static int sweep_one(const char *dir, const struct litter_sweeper *sw)
{
	char *lock = path_in(dir, ".lock"), *run = NULL, *pid = NULL, *msg;
	int fd = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret = 0;

	/* Held: alive. Taken, it stays ours until the directory is gone, so no one else sweeps it. */
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto out;
	run = owner_field(dir, "run");
	pid = owner_field(dir, "pid");
	sweep_guestfs(dir);
	if (run)
		sweep_run(run, pid, sw);
	remove_tree(dir);
	msg = run ? xasprintf("removed what dead run '%s' (pid %s) left in '%s'; marked it %s", run,
			      pid ? pid : "?", dir, LITTER_KILLED)
		  : xasprintf("removed '%s' (pid %s, dead)", dir, pid ? pid : "?");
	if (sw->note)
		sw->note(sw->ctx, msg);
	free(msg);
	ret = 1;
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(run);
	free(pid);
	return ret;
}

int litter_sweep(const char *tmp_dir, const struct litter_sweeper *sw)
{
	DIR *d = opendir(tmp_dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *dir;

		if (strncmp(e->d_name, "bootproof-", 10))
			continue;
		dir = path_in(tmp_dir, e->d_name);
		/* Only ours, and only what the harness made: the lock says so. */
		if (is_our_dir(dir))
			n += sweep_one(dir, sw);
		free(dir);
	}
	closedir(d);
	return n;
}

const char *litter_tmp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' ? t : "/tmp";
}

int litter_sweep_all(const struct litter_sweeper *sw)
{
	int n = litter_sweep("/tmp", sw);

	if (strcmp(litter_tmp_dir(), "/tmp"))
		n += litter_sweep(litter_tmp_dir(), sw);
	return n;
}

void litter_note_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "bootproof: %s\n", msg);
}
