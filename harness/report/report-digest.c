/*
 * report-digest - SHA-256 (FIPS 180-4) and the digests of what a trial ran
 * (see report-digest.h).
 */
#define _GNU_SOURCE
#include "report-digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* ---- files, cached -------------------------------------------------------- */

struct cached {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	unsigned char digest[32];
};

/* Process-wide and never freed: a handful of entries per suite. */
static struct cached *cache;
static size_t nr_cache, alloc_cache;

static int same_file(const struct cached *c, const char *path, const struct stat *st)
{
	return !strcmp(c->path, path) && c->dev == st->st_dev && c->ino == st->st_ino &&
	       c->size == st->st_size && c->mtime.tv_sec == st->st_mtim.tv_sec &&
	       c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int file_digest(const char *path, unsigned char out[32])
{
	unsigned char buf[65536];
	struct sha256 c;
	struct stat st;
	struct cached *e;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < nr_cache; i++)
		if (same_file(&cache[i], path, &st)) {
			memcpy(out, cache[i].digest, 32);
			close(fd);
			return 0;
		}
	sha256_init(&c);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		sha256_update(&c, buf, (size_t)n);
	}
	close(fd);
	sha256_final(&c, out);
	ALLOC_GROW(cache, nr_cache + 1, alloc_cache);
	e = &cache[nr_cache++];
	*e = (struct cached){xstrdup(path), st.st_dev, st.st_ino, st.st_size, st.st_mtim, {0}};
	memcpy(e->digest, out, 32);
	return 0;
}

/* ---- framed parts ------------------------------------------------------- */

/* TAG, the length as 8 bytes, the bytes: no two inputs frame alike. */
static void frame(struct sha256 *c, char tag, const void *data, size_t len)
{
	unsigned char hdr[9] = {(unsigned char)tag};

	for (int i = 0; i < 8; i++)
		hdr[1 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	sha256_update(c, hdr, sizeof(hdr));
	sha256_update(c, data, len);
}

static void frame_str(struct sha256 *c, char tag, const char *s)
{
	if (s)
		frame(c, tag, s, strlen(s));
	else
		frame(c, 'n', "", 0);
}

static int frame_file(struct sha256 *c, const char *path)
{
	unsigned char d[32];

	if (!path || file_digest(path, d) < 0)
		return -1;
	frame(c, 'f', d, sizeof(d));
	return 0;
}

static int done(struct sha256 *c, int ok, char out[SHA256_HEX_LEN + 1])
{
	unsigned char d[32];

	sha256_final(c, d);
	if (!ok) {
		out[0] = '\0';
		return -1;
	}
	sha256_hex(d, out);
	return 0;
}

int report_digest_image(const struct scenario *sc, char out[SHA256_HEX_LEN + 1])
{
	const struct image *im = sc->image;
	struct sha256 c;
	char mem[32];
	int ok;

	sha256_init(&c);
	ok = frame_file(&c, im->kernel) == 0 && frame_file(&c, im->initrd) == 0 &&
	     frame_file(&c, im->disk) == 0;
	frame_str(&c, 'a', im->append);
	frame_str(&c, 'a', sc->append);
	frame_str(&c, 'm', im->marker);
	snprintf(mem, sizeof(mem), "%d", im->memory_mib);
	frame_str(&c, 'M', mem);
	return done(&c, ok, out);
}

int report_digest_sensor(const struct sensor *s, char out[SHA256_HEX_LEN + 1])
{
	struct sha256 c;
	int ok;

	sha256_init(&c);
	ok = frame_file(&c, s->module) == 0 && (!s->agent || frame_file(&c, s->agent) == 0);
	if (!s->agent)
		frame_str(&c, 'n', NULL);
	return done(&c, ok, out);
}

int report_digest_content(const struct content_set *cs, char out[SHA256_HEX_LEN + 1])
{
	struct sha256 c;
	int ok = 1;

	sha256_init(&c);
	for (size_t i = 0; ok && i < cs->nr_files; i++) {
		frame_str(&c, 'g', cs->files[i].as);
		ok = frame_file(&c, cs->files[i].path) == 0;
	}
	return done(&c, ok, out);
}
