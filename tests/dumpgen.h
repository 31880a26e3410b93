/*
 * dumpgen - Windows crash dump files written by the tests from the
 * documented layout (windump.h's offsets), for the parser's unit tests
 * (t-windows) and the tool that plants a dump on a stand-in disk (mkdump).
 *
 * dumpgen_new() makes a header of len bytes filled with Windows' "PAGE"
 * pattern, its signature, version, code, parameters and type (a header
 * shorter than a real one gets the signature alone, for truncation
 * tests); dumpgen_put_drivers() adds a triage dump's TRIAGE_DUMP header at
 * 0x2000 with a driver list at 0x2100 and the names after it.
 */
#ifndef BP_DUMPGEN_H
#define BP_DUMPGEN_H

#include <stddef.h>
#include <stdint.h>

struct dumpfile {
	uint8_t *p; /* malloc'd */
	size_t len;
};

struct drv {
	const char *name;
	uint64_t base;
	uint32_t size;
};

void dumpgen_put32(struct dumpfile *f, size_t off, uint32_t v);
void dumpgen_put64(struct dumpfile *f, size_t off, uint64_t v);
/* A 64-bit (is64) or 32-bit dump header of len bytes. */
struct dumpfile dumpgen_new(int is64, size_t len, uint32_t type, uint32_t code,
			    const uint64_t param[4]);
/* A UTF-16LE name at off: count, characters, NUL. Returns the bytes written. */
size_t dumpgen_put_name(struct dumpfile *f, size_t off, const char *name);
/* The triage header at 0x2000 and its n drivers at 0x2100 (f must hold the names). */
void dumpgen_put_drivers(struct dumpfile *f, const struct drv *d, size_t n);

#endif
