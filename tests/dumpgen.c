/*
 * dumpgen - Windows crash dumps written from the documented layout (see dumpgen.h).
 */
#include "dumpgen.h"

#include <string.h>

#include "util.h"

void dumpgen_put32(struct dumpfile *f, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		f->p[off + i] = (uint8_t)(v >> (8 * i));
}

void dumpgen_put64(struct dumpfile *f, size_t off, uint64_t v)
{
	dumpgen_put32(f, off, (uint32_t)v);
	dumpgen_put32(f, off + 4, (uint32_t)(v >> 32));
}

/* A dump of len bytes: "PAGE" everywhere (Windows' filler), the signature, code and params. */
struct dumpfile dumpgen_new(int is64, size_t len, uint32_t type, uint32_t code,
			    const uint64_t param[4])
{
	struct dumpfile f = {xmalloc(len ? len : 1), len};

	for (size_t i = 0; i < len; i++)
		f.p[i] = (uint8_t) "PAGE"[i % 4];
	if (len < (is64 ? 0x2000u : 0x1000u)) {
		if (len >= 8)
			memcpy(f.p + 4, is64 ? "DU64" : "DUMP", 4);
		return f;
	}
	memcpy(f.p + 4, is64 ? "DU64" : "DUMP", 4);
	dumpgen_put32(&f, 0x08, 0xF);
	dumpgen_put32(&f, 0x0C, 19041);
	if (is64) {
		dumpgen_put64(&f, 0x10, 0x1aa000);
		dumpgen_put64(&f, 0x20, 0xfffff80456c2a1b0ull);
		dumpgen_put32(&f, 0x30, 0x8664);
		dumpgen_put32(&f, 0x34, 2);
		dumpgen_put32(&f, 0x38, code);
		for (int i = 0; i < 4; i++)
			dumpgen_put64(&f, 0x40 + 8 * (size_t)i, param[i]);
		dumpgen_put64(&f, 0x80, 0xfffff80457000b20ull);
		dumpgen_put32(&f, 0xF98, type);
		dumpgen_put64(&f, 0xFA8, 0x01daa9a1b2c3d4e5ull);
	} else {
		dumpgen_put32(&f, 0x10, 0x39000);
		dumpgen_put32(&f, 0x18, 0x8055a420);
		dumpgen_put32(&f, 0x20, 0x14c);
		dumpgen_put32(&f, 0x24, 1);
		dumpgen_put32(&f, 0x28, code);
		for (int i = 0; i < 4; i++)
			dumpgen_put32(&f, 0x2C + 4 * (size_t)i, (uint32_t)param[i]);
		dumpgen_put32(&f, 0x60, 0x80545b60);
		dumpgen_put32(&f, 0xF88, type);
		dumpgen_put64(&f, 0xFC0, 0x01c0000011112222ull);
	}
	return f;
}

/* A UTF-16LE name at off: count, characters, NUL. Returns the bytes written. */
size_t dumpgen_put_name(struct dumpfile *f, size_t off, const char *name)
{
	size_t n = strlen(name);

	dumpgen_put32(f, off, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		f->p[off + 4 + 2 * i] = (uint8_t)name[i];
		f->p[off + 5 + 2 * i] = 0;
	}
	f->p[off + 4 + 2 * n] = f->p[off + 5 + 2 * n] = 0;
	return 4 + 2 * n + 2;
}

/* The triage header at 0x2000 and its driver list at 0x2100, names after it. */
void dumpgen_put_drivers(struct dumpfile *f, const struct drv *d, size_t n)
{
	size_t list = 0x2100, names = list + n * 0x90;

	dumpgen_put32(f, 0x2000, 19041);
	dumpgen_put32(f, 0x2004, (uint32_t)f->len);
	dumpgen_put32(f, 0x2000 + 0x30, (uint32_t)list);
	dumpgen_put32(f, 0x2000 + 0x34, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		size_t e = list + i * 0x90;

		dumpgen_put32(f, e, (uint32_t)names);
		dumpgen_put64(f, e + 0x38, d[i].base);
		dumpgen_put32(f, e + 0x48, d[i].size);
		names += dumpgen_put_name(f, names, d[i].name);
	}
}
