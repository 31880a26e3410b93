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

/* ---- SHA-256 ------------------------------------------------------------ */

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void block(struct sha256 *c, const unsigned char *p)
{
	uint32_t w[64], a, b, cc, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
	e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] +
			      w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));

		h = g, g = f, f = e, e = d + t1;
		d = cc, cc = b, b = a, a = t1 + t2;
	}
	c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
	c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

void sha256_init(struct sha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->nbuf = 0;
}

void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->len += len;
	if (c->nbuf) {
		size_t n = 64 - c->nbuf < len ? 64 - c->nbuf : len;

		memcpy(c->buf + c->nbuf, p, n);
		c->nbuf += n;
		p += n;
		len -= n;
		if (c->nbuf < 64)
			return;
		block(c, c->buf);
		c->nbuf = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		block(c, p);
	memcpy(c->buf, p, len);
	c->nbuf = len;
}

void sha256_final(struct sha256 *c, unsigned char out[32])
{
	uint64_t bits = c->len * 8;
	unsigned char pad[72] = {0x80};
	size_t n = (c->nbuf < 56 ? 56 : 120) - c->nbuf;

	for (int i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(c, pad, n + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

void sha256_hex(const unsigned char digest[32], char out[SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
}

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
