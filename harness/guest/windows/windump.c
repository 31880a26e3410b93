/*
 * windump - reads a Windows dump header from a byte buffer that is untrusted
 * throughout: every read goes through rd32()/rd64(), which check the
 * offset against the buffer's length first (without overflow), so a
 * lying offset or count becomes an error message, never a wild read.
 */
#include "windump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE32 0x45474150u /* "PAGE" read as a u32: a header field never filled */
#define PAGE64 0x4547415045474150ull

#define H64_SIZE 0x2000
#define H32_SIZE 0x1000
#define TRIAGE_OFF 0x2000
#define TRIAGE_DRIVER_LIST 0x30
#define TRIAGE_DRIVER_COUNT 0x34
#define DRIVER_ENTRY_SIZE 0x90
#define DRIVER_BASE 0x38
#define DRIVER_SIZE 0x48

struct buf {
	const uint8_t *p;
	size_t len;
};

/* off..off+n inside the buffer? (no overflow whatever off is) */
static int in_bounds(const struct buf *b, uint64_t off, uint64_t n)
{
	return off <= b->len && n <= b->len - off;
}

static uint32_t get32(const struct buf *b, uint64_t off)
{
	const uint8_t *p = b->p + off;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int rd32(const struct buf *b, uint64_t off, uint32_t *v)
{
	if (!in_bounds(b, off, 4))
		return -1;
	*v = get32(b, off);
	return 0;
}

static int rd64(const struct buf *b, uint64_t off, uint64_t *v)
{
	if (!in_bounds(b, off, 8))
		return -1;
	*v = get32(b, off) | (uint64_t)get32(b, off + 4) << 32;
	return 0;
}

int windump_magic(const void *data, size_t len)
{
	return len >= 8 && (!memcmp(data, "PAGEDU64", 8) || !memcmp(data, "PAGEDUMP", 8));
}

/* The 64-bit header (the caller checked it is all there). */
static void parse_header64(const struct buf *b, struct windump *d)
{
	uint64_t v;

	rd32(b, 0x08, &d->major);
	rd32(b, 0x0C, &d->minor);
	rd64(b, 0x10, &d->directory_table_base);
	rd64(b, 0x20, &d->ps_loaded_module_list);
	rd32(b, 0x30, &d->machine);
	rd32(b, 0x34, &d->processors);
	rd32(b, 0x38, &d->code);
	for (int i = 0; i < 4; i++)
		rd64(b, 0x40 + 8 * (uint64_t)i, &d->param[i]);
	rd64(b, 0x80, &d->kd_debugger_data_block);
	rd64(b, 0x348 + 0xF8, &v);
	d->has_ip = v != PAGE64;
	d->ip = d->has_ip ? v : 0;
	rd32(b, 0xF00, &d->exception_code);
	rd64(b, 0xF00 + 0x10, &d->exception_addr);
	d->has_exception = d->exception_code != PAGE32 && d->exception_addr != PAGE64;
	rd32(b, 0xF98, &d->dump_type);
	rd64(b, 0xFA8, &d->system_time);
}

static void parse_header32(const struct buf *b, struct windump *d)
{
	uint32_t v;

	rd32(b, 0x08, &d->major);
	rd32(b, 0x0C, &d->minor);
	rd32(b, 0x10, &v);
	d->directory_table_base = v;
	rd32(b, 0x18, &v);
	d->ps_loaded_module_list = v;
	rd32(b, 0x20, &d->machine);
	rd32(b, 0x24, &d->processors);
	rd32(b, 0x28, &d->code);
	for (int i = 0; i < 4; i++) {
		rd32(b, 0x2C + 4 * (uint64_t)i, &v);
		d->param[i] = v;
	}
	rd32(b, 0x60, &v);
	d->kd_debugger_data_block = v;
	rd32(b, 0x320 + 0xB8, &v);
	d->has_ip = v != PAGE32;
	d->ip = d->has_ip ? v : 0;
	rd32(b, 0x7D0, &d->exception_code);
	rd32(b, 0x7D0 + 0x0C, &v);
	d->exception_addr = v;
	d->has_exception = d->exception_code != PAGE32 && v != PAGE32;
	rd32(b, 0xF88, &d->dump_type);
	rd64(b, 0xFC0, &d->system_time);
}

/*
 * One driver name at file offset off: a u32 character count, the UTF-16LE
 * characters, a NUL character. A plausible ASCII file name goes to out.
 */
static int parse_name(const struct buf *b, uint32_t off, char *out, struct bp_error *err)
{
	char ascii[STOPCODE_DRIVER_MAX];
	uint32_t n, term;
	size_t k = 0;
	int plain = 1;

	out[0] = '\0';
	if (rd32(b, off, &n) < 0)
		return error_set(err, "driver name at 0x%" PRIx32 " is past the end of the file",
				 off);
	if (n > WINDUMP_NAME_MAX)
		return error_set(
		    err, "driver name at 0x%" PRIx32 " claims %" PRIu32 " characters (at most %d)",
		    off, n, WINDUMP_NAME_MAX);
	if (!in_bounds(b, (uint64_t)off + 4, 2 * (uint64_t)n + 2))
		return error_set(err, "driver name at 0x%" PRIx32 " runs past the end of the file",
				 off);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *c = b->p + off + 4 + 2 * (uint64_t)i;

		if (c[1] || !c[0] || c[0] >= 0x80 || k >= sizeof(ascii))
			plain = 0;
		else
			ascii[k++] = (char)c[0];
	}
	term = b->p[off + 4 + 2 * (uint64_t)n] | b->p[off + 5 + 2 * (uint64_t)n] << 8;
	if (term)
		return error_set(err, "driver name at 0x%" PRIx32 " has no terminator", off);
	if (plain)
		stopcode_driver_norm(out, ascii, k);
	return 0;
}

/* The triage header's driver list (DumpType 4, 64-bit). */
static int parse_drivers(const struct buf *b, struct windump *d, struct bp_error *err)
{
	uint32_t list, count;

	if (rd32(b, TRIAGE_OFF + TRIAGE_DRIVER_LIST, &list) < 0 ||
	    rd32(b, TRIAGE_OFF + TRIAGE_DRIVER_COUNT, &count) < 0)
		return error_set(err, "truncated triage dump: %zu bytes, no triage header", b->len);
	if (!count)
		return 0;
	if (count > WINDUMP_DRIVERS_MAX)
		return error_set(err, "triage dump claims %" PRIu32 " drivers (at most %d)", count,
				 WINDUMP_DRIVERS_MAX);
	if (!in_bounds(b, list, (uint64_t)count * DRIVER_ENTRY_SIZE))
		return error_set(err,
				 "driver list at 0x%" PRIx32 " (%" PRIu32
				 " entries) is past the end of the file (%zu bytes)",
				 list, count, b->len);
	d->drivers = xcalloc(count, sizeof(*d->drivers));
	for (uint32_t i = 0; i < count; i++) {
		uint64_t e = list + (uint64_t)i * DRIVER_ENTRY_SIZE;
		struct windump_driver *dr = &d->drivers[i];
		uint32_t name = 0;

		rd32(b, e, &name);
		rd64(b, e + DRIVER_BASE, &dr->base);
		rd32(b, e + DRIVER_SIZE, &dr->size);
		d->ndrivers = i + 1;
		if (parse_name(b, name, dr->name, err) < 0)
			return error_prefix(err, "driver %" PRIu32, i);
	}
	return 0;
}

static int find_driver(const struct windump *d, uint64_t addr)
{
	for (size_t i = 0; i < d->ndrivers; i++)
		if (addr >= d->drivers[i].base && addr - d->drivers[i].base < d->drivers[i].size)
			return (int)i;
	return -1;
}

/* The faulting address and its driver, from the candidates in dump.h's order. */
static void attribute(struct windump *d)
{
	const struct stopcode *sc = stopcode_find(d->code);
	static const char *const param_names[] = {"parameter 1", "parameter 2", "parameter 3",
						  "parameter 4"};
	struct {
		int ok;
		uint64_t addr;
		const char *source;
	} cand[3] = {{0}};

	if (sc && sc->addr_param) {
		cand[0].addr = d->param[sc->addr_param - 1];
		cand[0].ok = cand[0].addr != 0;
		cand[0].source = param_names[sc->addr_param - 1];
	}
	cand[1].ok = d->has_exception && d->exception_addr;
	cand[1].addr = d->exception_addr;
	cand[1].source = "exception record";
	cand[2].ok = d->has_ip && d->ip;
	cand[2].addr = d->ip;
	cand[2].source = "context";
	d->fault_driver = -1;
	for (int i = 0; i < 3; i++) {
		int drv;

		if (!cand[i].ok)
			continue;
		drv = find_driver(d, cand[i].addr);
		if (!d->has_fault || drv >= 0) {
			d->has_fault = 1;
			d->fault_addr = cand[i].addr;
			d->fault_source = cand[i].source;
			d->fault_driver = drv;
		}
		if (drv >= 0)
			break;
	}
}

int windump_parse(const void *data, size_t len, struct windump *ret, struct bp_error *err)
{
	struct buf b = {data, len};

	memset(ret, 0, sizeof(*ret));
	ret->fault_driver = -1;
	if (!windump_magic(data, len))
		return error_set(err,
				 "not a windows dump: it does not start with PAGEDU64 or PAGEDUMP");
	ret->is64 = !memcmp(b.p + 4, "DU64", 4);
	if (len < (ret->is64 ? H64_SIZE : H32_SIZE))
		return error_set(err, "truncated dump: %zu bytes, a %d-bit dump header is %d", len,
				 ret->is64 ? 64 : 32, ret->is64 ? H64_SIZE : H32_SIZE);
	if (ret->is64)
		parse_header64(&b, ret);
	else
		parse_header32(&b, ret);
	if (ret->is64 && ret->dump_type == WINDUMP_TYPE_TRIAGE && parse_drivers(&b, ret, err) < 0)
		return -1;
	attribute(ret);
	return 0;
}

int windump_read_fd(int fd, struct strbuf *sb, struct bp_error *err)
{
	while (sb->len < WINDUMP_READ_MAX) {
		size_t want =
		    WINDUMP_READ_MAX - sb->len < 65536 ? WINDUMP_READ_MAX - sb->len : 65536;
		ssize_t n;

		strbuf_grow(sb, want);
		n = read(fd, sb->buf + sb->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, "%s", strerror(errno));
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
	return 0;
}

int windump_read(const char *path, struct windump *ret, struct bp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	int fd, rc = -1;
	struct bp_error why = {""};

	memset(ret, 0, sizeof(*ret));
	ret->fault_driver = -1;
	fd = open_regular(path, -1, &why);
	if (fd < 0)
		return error_set(err, "'%s' %s", path, why.msg);
	if (windump_read_fd(fd, &sb, err) < 0)
		error_prefix(err, "cannot read '%s'", path);
	else if ((rc = windump_parse(sb.buf, sb.len, ret, err)) < 0)
		error_prefix(err, "'%s'", path);
	close(fd);
	strbuf_release(&sb);
	return rc;
}

void windump_release(struct windump *d)
{
	if (!d)
		return;
	free(d->drivers);
	d->drivers = NULL;
	d->ndrivers = 0;
}

const char *windump_driver(const struct windump *d)
{
	return d->fault_driver >= 0 ? d->drivers[d->fault_driver].name : "";
}

void windump_title(const struct windump *d, struct strbuf *sb)
{
	stopcode_title(sb, 1, d->code, windump_driver(d));
}

const char *windump_type_name(uint32_t type, char buf[16])
{
	switch (type) {
	case WINDUMP_TYPE_FULL:
		return "full";
	case WINDUMP_TYPE_KERNEL:
		return "kernel";
	case WINDUMP_TYPE_TRIAGE:
		return "triage";
	case WINDUMP_TYPE_BITMAP:
		return "bitmap";
	}
	snprintf(buf, 16, "type %" PRIu32, type);
	return buf;
}
