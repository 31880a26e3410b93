/*
 * util - error buffers, strbuf, allocation wrappers, time and file helpers
 * shared by every module. See util.h for the conventions.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

char strbuf_empty[1];
volatile sig_atomic_t bp_interrupted;

#undef error_set
#undef error_prefix
int error_set(struct bp_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int error_prefix(struct bp_error *err, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addf(&sb, ": %s", err->msg);
	snprintf(err->msg, sizeof(err->msg), "%s", sb.buf);
	strbuf_release(&sb);
	return -1;
}

static void *check_alloc(void *p)
{
	if (!p) {
		fputs("bootproof: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *xcalloc(size_t nmemb, size_t size)
{
	return check_alloc(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check_alloc(strndup(s, n));
}

char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb);
}

void strbuf_init(struct strbuf *sb)
{
	sb->buf = strbuf_empty;
	sb->len = sb->alloc = 0;
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;

	if (want <= sb->alloc)
		return;
	if (!sb->alloc)
		sb->buf = NULL;
	ALLOC_GROW(sb->buf, want, sb->alloc);
	sb->buf[sb->len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	strbuf_add(sb, &ch, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void note_fmt(void (*note)(void *ctx, const char *msg), void *ctx, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (note)
		note(ctx, sb.buf);
	strbuf_release(&sb);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

void strbuf_remove_prefix(struct strbuf *sb, size_t n)
{
	if (n >= sb->len) {
		strbuf_reset(sb);
		return;
	}
	memmove(sb->buf, sb->buf + n, sb->len - n);
	sb->len -= n;
	sb->buf[sb->len] = '\0';
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p = sb->alloc ? sb->buf : xstrdup("");

	strbuf_init(sb);
	return p;
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t random_u64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
	return v;
}

int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

int read_file(const char *path, struct strbuf *sb, struct bp_error *err)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		strbuf_add(sb, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, struct bp_error *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_set(err, "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, "cannot write '%s': %s", path, strerror(errno));
			goto out_unlink;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		error_set(err, "cannot write '%s': %s", path, strerror(errno));
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		error_set(err, "cannot write '%s': %s", path, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error_set(err, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto out_unlink;
	}
	ret = 0;
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return ret;
}

int mkdir_p(const char *path, struct bp_error *err)
{
	char *copy = xstrdup(path);
	int ret = 0;

	for (char *p = copy + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
			ret = error_set(err, "cannot create directory '%s': %s", copy, strerror(errno));
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(copy);
	return ret;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int listen_unix(const char *path, struct bp_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(err, "socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_set(err, "cannot create socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		error_set(err, "cannot listen on '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int remove_tree(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* What a non-regular file is, for "is a FIFO, not a regular file". */
static const char *file_type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a file";
}

/* st describes a regular file of at most max_size bytes (-1: any size)? */
static int check_regular(const struct stat *st, int64_t max_size, struct bp_error *err)
{
	if (!S_ISREG(st->st_mode))
		return error_set(err, "is %s, not a regular file", file_type_name(st->st_mode));
	if (max_size >= 0 && (int64_t)st->st_size > max_size)
		return error_set(err, "is %lld bytes; at most %lld are allowed",
				 (long long)st->st_size, (long long)max_size);
	return 0;
}

int open_regular(const char *path, int64_t max_size, struct bp_error *err)
{
	struct stat st;
	int fd, flags;

	if (stat(path, &st) < 0) {
		int e = errno;

		if (e == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			error_set(err, "is a dangling symbolic link");
		else if (e == ENOENT || e == ENOTDIR)
			error_set(err, "does not exist");
		else
			error_set(err, "cannot be accessed: %s", strerror(e));
		errno = e;
		return -1;
	}
	if (check_regular(&st, max_size, err) < 0)
		return -1;
	/*
	 * open() is the real readability test: access(R_OK) answers for the real
	 * uid and says yes to root, open() uses the ids we and our children run as.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, "cannot be read: %s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		error_set(err, "cannot be read: %s", strerror(errno));
		goto fail;
	}
	if (check_regular(&st, max_size, err) < 0)
		goto fail;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		error_set(err, "cannot be read: %s", strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int read_regular(const char *path, size_t max_size, struct strbuf *sb, struct bp_error *err)
{
	char buf[65536];
	struct bp_error why;
	size_t total = 0;
	ssize_t n;
	int fd = open_regular(path, (int64_t)max_size, &why);

	if (fd < 0)
		return error_set(err, "'%s' %s", path, why.msg);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, "'%s' cannot be read: %s", path, strerror(errno));
			goto fail;
		}
		total += (size_t)n;
		if (total > max_size) {
			error_set(err, "'%s' grew past %zu bytes while being read", path, max_size);
			goto fail;
		}
		strbuf_add(sb, buf, (size_t)n);
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}
