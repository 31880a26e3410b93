/*
 * t-windows - Windows crash detection without a Windows guest: the stop-code
 * table and titles; the dump parser on dumps this test writes byte by byte
 * from the documented layout (windump.h: 32- and 64-bit, full, kernel and
 * triage with a driver list, and truncated and lying variants, each in a
 * heap buffer of its exact size so ASan sees any read past it); the serial
 * detector on the EMS/SAC transcripts in tests/data/windows/ (CRLF, ANSI,
 * split records, <BP> wrappers, STOP text, benign mentions) in any
 * chunking, and on lines fed one by one; and `bootproof scan` on dumps and
 * Windows consoles.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd-scan.h"
#include "dumpgen.h"
#include "console.h"
#include "stopcodes.h"
#include "tap.h"
#include "util.h"
#include "windetect.h"
#include "windump.h"

static const char *datadir;

/* ---- dumps, written from the layout (dumpgen.h) ---- */

static const struct drv drivers[] = {
    {"ntoskrnl.exe", 0xfffff80456600000ull, 0x1046000},
    {"hal.dll", 0xfffff80455e00000ull, 0x6000},
    {"RefSensor.sys", 0xfffff8048b500000ull, 0x90000},
};

static struct dumpfile triage_new(uint32_t code, const uint64_t param[4])
{
	struct dumpfile f = dumpgen_new(1, 0x4000, WINDUMP_TYPE_TRIAGE, code, param);

	dumpgen_put_drivers(&f, drivers, ARRAY_SIZE(drivers));
	return f;
}

/* Parse f; 0 or -1, the title in title (empty on failure), the error in err. */
static int parse(struct dumpfile *f, struct windump *d, char *title, size_t tsz,
		 struct bp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = windump_parse(f->p, f->len, d, err);

	if (!rc)
		windump_title(d, &sb);
	snprintf(title, tsz, "%s", sb.buf);
	strbuf_release(&sb);
	return rc;
}

static void test_triage(void)
{
	const uint64_t p50[4] = {0xffff840500000074ull, 0, 0xfffff8048b58334cull, 2};
	struct dumpfile f = triage_new(0x50, p50);
	struct bp_error err = {""};
	struct windump d;
	char title[256];

	tap_is_int(parse(&f, &d, title, sizeof(title), &err), 0, "triage dump parses");
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys",
		   "0x50 attributed through P3 to the driver whose range holds it (lower case)");
	tap_is_str(d.fault_source, "parameter 3", "the address came from parameter 3");
	tap_ok(d.fault_addr == 0xfffff8048b58334cull, "the faulting address is exact (u64)");
	tap_is_int(d.is64, 1, "64-bit");
	tap_is_int(d.dump_type, WINDUMP_TYPE_TRIAGE, "DumpType 4");
	tap_is_int((long long)d.ndrivers, 3, "three drivers listed");
	tap_is_str(d.drivers[0].name, "ntoskrnl.exe", "first driver's name read");
	tap_ok(d.drivers[1].base == 0xfffff80455e00000ull && d.drivers[1].size == 0x6000,
	       "DllBase and SizeOfImage read");
	tap_ok(d.major == 0xF && d.minor == 19041 && d.machine == 0x8664 && d.processors == 2,
	       "versions, machine type and processors read");
	tap_ok(d.directory_table_base == 0x1aa000 &&
		   d.ps_loaded_module_list == 0xfffff80456c2a1b0ull &&
		   d.kd_debugger_data_block == 0xfffff80457000b20ull &&
		   d.system_time == 0x01daa9a1b2c3d4e5ull,
	       "DirectoryTableBase, PsLoadedModuleList, KdDebuggerDataBlock, SystemTime read");
	tap_ok(d.param[0] == p50[0] && d.param[3] == 2, "parameters read exactly");
	tap_ok(!d.has_ip && !d.has_exception, "PAGE filler: no CONTEXT ip, no exception record");
	windump_release(&d);
	free(f.p);
}

/* One code whose address parameter is in refsensor.sys: its title names the driver. */
static void check_param(uint32_t code, int which, const char *want)
{
	uint64_t p[4] = {1, 2, 3, 4};
	struct dumpfile f;
	struct bp_error err = {""};
	struct windump d;
	char title[256], name[128];

	p[which - 1] = 0xfffff8048b501234ull;
	f = triage_new(code, p);
	parse(&f, &d, title, sizeof(title), &err);
	snprintf(name, sizeof(name), "0x%X: P%d names the driver", code, which);
	tap_is_str(title, want, name);
	windump_release(&d);
	free(f.p);
}

static void test_attribution(void)
{
	uint64_t p[4] = {0};
	struct dumpfile f;
	struct bp_error err = {""};
	struct windump d;
	char title[256];

	check_param(0x7E, 2, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E) in refsensor.sys");
	check_param(0x1000007E, 2,
		    "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M (0x1000007E) in refsensor.sys");
	check_param(0x1E, 2, "KMODE_EXCEPTION_NOT_HANDLED (0x1E) in refsensor.sys");
	check_param(0x3B, 2, "SYSTEM_SERVICE_EXCEPTION (0x3B) in refsensor.sys");
	check_param(0x0A, 4, "IRQL_NOT_LESS_OR_EQUAL (0xA) in refsensor.sys");
	check_param(0xD1, 4, "DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1) in refsensor.sys");
	check_param(0xD5, 3, "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xD5) in refsensor.sys");
	/* the address parameter of another code is not an address: no driver from it */
	check_param(0xE2, 2, "MANUALLY_INITIATED_CRASH (0xE2)");

	/* 0x50 with P3 unknown (0): the exception record's address names the driver */
	p[0] = 0xffff840500000074ull;
	f = triage_new(0x50, p);
	dumpgen_put32(&f, 0xF00, 0xC0000005);
	dumpgen_put64(&f, 0xF10, 0xfffff8048b500010ull);
	parse(&f, &d, title, sizeof(title), &err);
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys",
		   "P3 zero: the exception record's address is used");
	tap_is_str(d.fault_source, "exception record", "and said so");
	windump_release(&d);

	/* then the CONTEXT's Rip, when nothing else is known */
	dumpgen_put32(&f, 0xF00, 0x45474150);
	dumpgen_put64(&f, 0x348 + 0xF8, 0xfffff80456a00000ull);
	parse(&f, &d, title, sizeof(title), &err);
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in ntoskrnl.exe",
		   "no parameter, no exception record: the CONTEXT Rip is used");
	tap_is_str(d.fault_source, "context", "and said so");
	windump_release(&d);

	/* an address in no driver: the title names none, the address is kept */
	dumpgen_put64(&f, 0x348 + 0xF8, 0x1000);
	parse(&f, &d, title, sizeof(title), &err);
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50)",
		   "an address in no driver names none");
	tap_ok(d.has_fault && d.fault_addr == 0x1000 && d.fault_driver == -1,
	       "the address is kept, with no driver");
	windump_release(&d);

	/* a driver whose range reaches the top of the address space: no overflow */
	dumpgen_put64(&f, 0x2100 + 2 * 0x90 + 0x38, 0xfffffffffffff000ull);
	dumpgen_put32(&f, 0x2100 + 2 * 0x90 + 0x48, 0x2000);
	dumpgen_put64(&f, 0x348 + 0xF8, 0xfffffffffffff800ull);
	parse(&f, &d, title, sizeof(title), &err);
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys",
		   "a range wrapping past 2^64 is compared without overflow");
	windump_release(&d);
	free(f.p);
}

static void test_full_kernel_32(void)
{
	const uint64_t pa[4] = {0x10, 2, 0, 0x80501234};
	struct bp_error err = {""};
	struct windump d;
	char title[256];
	struct dumpfile f = dumpgen_new(1, 0x3000, WINDUMP_TYPE_FULL, 0x50, pa);

	tap_is_int(parse(&f, &d, title, sizeof(title), &err), 0, "64-bit full dump parses");
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50)", "full dump: code, no driver list");
	tap_ok(d.ndrivers == 0 && d.dump_type == WINDUMP_TYPE_FULL, "no drivers, DumpType 1");
	windump_release(&d);
	free(f.p);

	f = dumpgen_new(1, 0x2000, WINDUMP_TYPE_KERNEL, 0xC000021A, pa);
	tap_is_int(parse(&f, &d, title, sizeof(title), &err), 0, "64-bit kernel dump parses");
	tap_is_str(title, "STATUS_SYSTEM_PROCESS_TERMINATED (0xC000021A)", "kernel dump title");
	windump_release(&d);
	free(f.p);

	f = dumpgen_new(0, 0x1000, WINDUMP_TYPE_FULL, 0x0A, pa);
	dumpgen_put32(&f, 0x320 + 0xB8, 0x80501234);
	tap_is_int(parse(&f, &d, title, sizeof(title), &err), 0, "32-bit full dump parses");
	tap_is_str(title, "IRQL_NOT_LESS_OR_EQUAL (0xA)", "32-bit: code at 0x28");
	tap_ok(!d.is64 && d.param[0] == 0x10 && d.param[1] == 2 && d.param[3] == 0x80501234,
	       "32-bit: parameters at 0x2C..0x38");
	tap_ok(d.has_ip && d.ip == 0x80501234 && d.machine == 0x14c && d.minor == 19041,
	       "32-bit: Eip, machine type, build");
	tap_ok(d.has_fault && d.fault_addr == 0x80501234, "32-bit: the P4 address is the fault");
	windump_release(&d);
	free(f.p);

	f = dumpgen_new(0, 0x1400, WINDUMP_TYPE_KERNEL, 0x12345, pa);
	parse(&f, &d, title, sizeof(title), &err);
	tap_is_str(title, "unknown bugcheck (0x12345)", "a code not in the table says so");
	tap_is_int(d.dump_type, WINDUMP_TYPE_KERNEL, "32-bit DumpType at 0xF88");
	windump_release(&d);
	free(f.p);
}

/* A lying or truncated dump: -1 with a message containing want. */
static void check_bad(struct dumpfile *f, const char *want, const char *name)
{
	struct bp_error err = {""};
	struct windump d;
	char title[256];
	uint8_t *exact = xmalloc(f->len ? f->len : 1);
	struct dumpfile g = {exact, f->len};

	/* a copy of its exact size: a read past the end is an ASan report */
	memcpy(exact, f->p, f->len);
	tap_is_int(parse(&g, &d, title, sizeof(title), &err), -1, name);
	tap_like(err.msg, want, "  with a clear message");
	windump_release(&d);
	free(exact);
	free(f->p);
}

static const struct {
	uint32_t off[2], val[2];
	const char *want, *name;
} lies[] = {
    {{0x2030}, {0xfffffff0}, "past the end of the file", "a driver list offset past the end"},
    {{0x2034}, {5000}, "claims 5000 drivers", "a driver count too large"},
    {{0x2034}, {100}, "(100 entries) is past the end", "a driver count beyond the file"},
    {{0x2034}, {0xffffffff}, "drivers (at most", "a driver count of 2^32-1"},
    {{0x2100 + 0x90},
     {0x7ffffffe},
     "driver 1: driver name at 0x7ffffffe is past the end",
     "a name offset past the end"},
    {{0x2100}, {0x3ffe}, "is past the end", "a name offset whose count straddles the end"},
    {{0x2100, 0x3ff0}, {0x3ff0, 100}, "runs past the end", "a name running past the end"},
    {{0x2100, 0x3000},
     {0x3000, 0xffffffff},
     "claims 4294967295 characters",
     "a name count that would overflow"},
};

static void test_lying(void)
{
	const uint64_t p[4] = {0};
	struct dumpfile f;

	f = dumpgen_new(1, 0, 0, 0, p);
	check_bad(&f, "not a windows dump", "an empty file");
	f = dumpgen_new(1, 4, 0, 0, p);
	check_bad(&f, "not a windows dump", "4 bytes of PAGE");
	f = dumpgen_new(1, 8, 0, 0, p);
	check_bad(&f, "truncated dump: 8 bytes, a 64-bit dump header is 8192", "the magic alone");
	f = dumpgen_new(1, 0x1fff, WINDUMP_TYPE_FULL, 0x50, p);
	check_bad(&f, "truncated dump", "a 64-bit header one byte short");
	f = dumpgen_new(0, 0xfff, WINDUMP_TYPE_FULL, 0x50, p);
	check_bad(&f, "a 32-bit dump header is 4096", "a 32-bit header one byte short");
	f = dumpgen_new(1, 0x2000, WINDUMP_TYPE_TRIAGE, 0x50, p);
	check_bad(&f, "no triage header", "a triage dump cut at its triage header");
	f = dumpgen_new(1, 0x2020, WINDUMP_TYPE_TRIAGE, 0x50, p);
	check_bad(&f, "no triage header", "a triage dump cut inside its triage header");

	/* triage dumps with one or two u32s changed: {offset, value} pairs (0 offset: none) */
	for (size_t i = 0; i < ARRAY_SIZE(lies); i++) {
		f = triage_new(0x50, p);
		for (int k = 0; k < 2; k++)
			if (lies[i].off[k])
				dumpgen_put32(&f, lies[i].off[k], lies[i].val[k]);
		check_bad(&f, lies[i].want, lies[i].name);
	}
	f = triage_new(0x50, p);
	dumpgen_put32(&f, 0x2100, 0x3ff0);
	dumpgen_put32(&f, 0x3ff0, 5);
	memcpy(f.p + 0x3ff4, "a\0b\0c\0d\0e\0XX", 12);
	check_bad(&f, "has no terminator", "a name without its NUL character");
}

static void test_odd_names(void)
{
	const uint64_t p[4] = {0, 0, 0xfffff8048b501000ull, 0};
	struct bp_error err = {""};
	struct windump d;
	char title[256];
	struct dumpfile f = triage_new(0x50, p);

	/* refsensor's name at an odd offset, still within the file: read fine */
	dumpgen_put32(&f, 0x2100 + 2 * 0x90, 0x3001);
	dumpgen_put_name(&f, 0x3001, "refsensor.sys");
	tap_is_int(parse(&f, &d, title, sizeof(title), &err), 0, "a name at an odd offset is read");
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys",
		   "  and names the driver");
	windump_release(&d);
	/* a name that is not a file name: the driver matches but names nothing */
	dumpgen_put_name(&f, 0x3001, "ref sensor<b>.sys");
	tap_is_int(parse(&f, &d, title, sizeof(title), &err), 0, "an implausible name is no error");
	tap_is_str(title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50)", "  but never reaches the title");
	tap_is_int(d.fault_driver, 2, "  the driver still matched");
	windump_release(&d);
	f.p[0x3001 + 5] = 0x04; /* a non-ASCII UTF-16 character */
	dumpgen_put_name(&f, 0x3001, "x.sys");
	f.p[0x3001 + 5] = 0x04;
	tap_is_int(parse(&f, &d, title, sizeof(title), &err), 0, "a non-ASCII name is no error");
	tap_is_str(d.drivers[2].name, "", "  and is kept unnamed");
	windump_release(&d);
	free(f.p);
}

/* ---- the stop-code table ---- */

static void test_table(void)
{
	static const struct {
		uint32_t code;
		const char *name;
		int addr;
	} want[] = {
	    {0x0A, "IRQL_NOT_LESS_OR_EQUAL", 4},
	    {0x1E, "KMODE_EXCEPTION_NOT_HANDLED", 2},
	    {0x3B, "SYSTEM_SERVICE_EXCEPTION", 2},
	    {0x50, "PAGE_FAULT_IN_NONPAGED_AREA", 3},
	    {0x7B, "INACCESSIBLE_BOOT_DEVICE", 0},
	    {0x7E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED", 2},
	    {0x1000007E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M", 2},
	    {0x7F, "UNEXPECTED_KERNEL_MODE_TRAP", 0},
	    {0x80, "NMI_HARDWARE_FAILURE", 0},
	    {0x9F, "DRIVER_POWER_STATE_FAILURE", 0},
	    {0xA0, "INTERNAL_POWER_ERROR", 0},
	    {0xC2, "BAD_POOL_CALLER", 0},
	    {0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION", 0},
	    {0xD1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL", 4},
	    {0xD5, "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL", 3},
	    {0xE2, "MANUALLY_INITIATED_CRASH", 0},
	    {0xEF, "CRITICAL_PROCESS_DIED", 0},
	    {0x101, "CLOCK_WATCHDOG_TIMEOUT", 0},
	    {0x124, "WHEA_UNCORRECTABLE_ERROR", 0},
	    {0x133, "DPC_WATCHDOG_VIOLATION", 0},
	    {0x139, "KERNEL_SECURITY_CHECK_FAILURE", 0},
	    {0xC000021A, "STATUS_SYSTEM_PROCESS_TERMINATED", 0},
	};
	int all = 1, back = 1;
	struct strbuf sb = STRBUF_INIT;
	char out[STOPCODE_DRIVER_MAX + 1];

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct stopcode *sc = stopcode_find(want[i].code);

		if (!sc || strcmp(sc->name, want[i].name) || sc->addr_param != want[i].addr) {
			printf("# 0x%X: %s\n", want[i].code, sc ? sc->name : "missing");
			all = 0;
		}
		back &= stopcode_by_name(want[i].name, strlen(want[i].name)) == sc;
	}
	tap_ok(all, "the documented codes: names and address parameters");
	tap_ok(back, "every name leads back to its row");
	tap_ok(!stopcode_find(0) && !stopcode_find(0x12345) && !stopcode_by_name("PAGE_FAULT", 10),
	       "unknown codes and partial names find nothing");
	stopcode_title(&sb, 1, 0x50, "refsensor.sys");
	tap_is_str(sb.buf, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys",
		   "title with a driver");
	strbuf_reset(&sb);
	stopcode_title(&sb, 1, 0x50, "");
	tap_is_str(sb.buf, "PAGE_FAULT_IN_NONPAGED_AREA (0x50)", "title without a driver");
	strbuf_reset(&sb);
	stopcode_title(&sb, 0, 0, NULL);
	tap_is_str(sb.buf, "unknown bugcheck", "title without a code");
	strbuf_release(&sb);
	tap_ok(stopcode_driver_norm(out, "CsAgent.SYS", 11) && !strcmp(out, "csagent.sys"),
	       "driver names are lower-cased");
	tap_ok(!stopcode_driver_norm(out, "..\\x.sys", 8) &&
		   !stopcode_driver_norm(out, "a b.sys", 7) &&
		   !stopcode_driver_norm(out, "notes.txt", 9) &&
		   !stopcode_driver_norm(out, ".sys", 4) &&
		   !stopcode_driver_norm(out, "x\0y.sys", 7) && out[0] == '\0',
	       "paths, spaces, other extensions, NUL bytes are no driver names");
	tap_ok(
	    !stopcode_driver_norm(
		out, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sys", 70),
	    "nor is a name longer than STOPCODE_DRIVER_MAX");
}

/* ---- the serial detector ---- */

struct run {
	struct console con;
	struct win_detector *det;
	struct crash c[8];
	struct win_bugcheck bc[8];
	size_t n, certain;
};

static void drain(struct run *r)
{
	struct crash c;
	struct win_bugcheck bc;

	while (win_detector_next(r->det, &c, &bc)) {
		if (r->n < ARRAY_SIZE(r->c)) {
			r->c[r->n] = c;
			r->bc[r->n++] = bc;
		} else {
			crash_release(&c);
		}
	}
}

static void on_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct run *r = ctx;

	r->certain += win_detector_line(r->det, line, len, lineno);
	drain(r);
}

/* The whole buffer through console and detector, chunk bytes at a time (0: at once). */
static void run_buf(struct run *r, const char *buf, size_t len, size_t chunk)
{
	memset(r, 0, sizeof(*r));
	r->det = win_detector_new();
	console_init(&r->con, on_line, r);
	for (size_t off = 0; off < len;) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;

		console_feed(&r->con, buf + off, n);
		off += n;
	}
	console_finish(&r->con);
	win_detector_flush(r->det);
	drain(r);
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		crash_release(&r->c[i]);
	win_detector_free(r->det);
}

static char *load(const char *rel, struct strbuf *sb)
{
	struct bp_error err = {""};
	char *path = xasprintf("%s/%s", datadir, rel);

	strbuf_reset(sb);
	if (read_file(path, sb, &err) < 0)
		printf("# %s\n", err.msg);
	free(path);
	return sb->buf;
}

struct expect {
	const char *file;
	size_t crashes;
	const char *title;
	size_t line;
	uint32_t code;
	int nparams;
	uint64_t p3;
};

static void test_transcripts(void)
{
	static const struct expect ex[] = {
	    {"ems-bp-0x50.log", 1, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys", 21, 0x50,
	     4, 0xfffff8048b58334cull},
	    {"ems-split-0xd1.log", 1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1) in myfault.sys", 8,
	     0xD1, 4, 0},
	    {"stop-text-loop.log", 2, "DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1) in refsensor.sys", 21,
	     0xD1, 4, 0},
	    {"sac-text-0xe2.log", 1, "MANUALLY_INITIATED_CRASH (0xE2)", 20, 0xE2, 4, 0},
	    {"benign.log", 0, NULL, 0, 0, 0, 0},
	};
	static const size_t chunks[] = {0, 1, 7, 64};
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(ex); i++) {
		int same = 1;

		char *rel = xasprintf("windows/%s", ex[i].file);

		load(rel, &sb);
		free(rel);
		for (size_t k = 0; k < ARRAY_SIZE(chunks); k++) {
			struct run r;

			run_buf(&r, sb.buf, sb.len, chunks[k]);
			if (k == 0) {
				char name[160];

				snprintf(name, sizeof(name), "%s: %zu crash(es)", ex[i].file,
					 ex[i].crashes);
				tap_is_int((long long)r.n, (long long)ex[i].crashes, name);
				tap_is_int((long long)r.certain, (long long)ex[i].crashes,
					   "  the detector said 'certain' once per bugcheck");
			}
			if (k == 0 && ex[i].crashes && r.n) {
				tap_is_str(r.c[0].title, ex[i].title, "  title");
				tap_is_int((long long)r.c[0].line, (long long)ex[i].line,
					   "  first line");
				tap_ok(r.bc[0].has_code && r.bc[0].code == ex[i].code &&
					   r.bc[0].nparams == ex[i].nparams,
				       "  code and parameter count");
				tap_ok(!ex[i].p3 || r.bc[0].param[2] == ex[i].p3,
				       "  parameters exact");
				tap_is_str(r.c[0].kind, "bugcheck", "  kind bugcheck");
				tap_is_str(r.c[0].module, r.bc[0].driver, "  module is the driver");
				tap_ok(r.c[0].end_line >= r.c[0].line && r.c[0].func[0] == '\0',
				       "  line range in order, no function");
			}
			if (r.n != ex[i].crashes || (r.n && strcmp(r.c[0].title, ex[i].title)))
				same = 0;
			run_free(&r);
		}
		tap_ok(same, "  the same in any chunking (1, 7, 64 bytes)");
	}
	strbuf_release(&sb);
}

static int feed(struct win_detector *d, const char *line, size_t lineno)
{
	return win_detector_line(d, line, strlen(line), lineno);
}

/* Lines fed one by one: return values, in_report, body_ended. */
static void test_states(void)
{
	struct win_detector *d = win_detector_new();
	struct crash c;
	struct win_bugcheck bc;
	size_t ln = 1;

	tap_is_int(feed(d, "<INSTANCE CLASSNAME=\"BLUESCREEN\">", ln++), 0,
		   "the record's start alone is not certain");
	tap_ok(win_detector_in_report(d) && !win_detector_body_ended(d), "  but a report is open");
	tap_is_int(feed(d, "<PROPERTY NAME=\"STOPCODE\" TYPE=\"string\"><VALUE>\"0x0000007E", ln++),
		   0, "a value not yet closed is not read");
	tap_is_int(feed(d, "\"</VALUE></PROPERTY>", ln++), 1, "the value read whole: certain");
	tap_ok(!win_detector_body_ended(d), "  the body goes on to </INSTANCE>");
	feed(d, "</INSTANCE>", ln++);
	tap_ok(win_detector_in_report(d) && win_detector_body_ended(d),
	       "closed: body ended, trailer next");
	feed(d, "!SAC>", ln++);
	feed(d, "ntfs.SYS", ln++);
	tap_is_int(win_detector_next(d, &c, &bc), 0, "nothing completed before the trailer ends");
	feed(d, "0% complete", ln++);
	tap_ok(!win_detector_in_report(d), "'% complete' ends the report");
	tap_is_int(win_detector_next(d, &c, &bc), 1, "and completes it");
	tap_is_str(c.title, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E) in ntfs.sys",
		   "leading zeros and a module line in upper case");
	tap_is_str(bc.code_source, "ems", "the code came from the EMS record");
	crash_release(&c);

	/* a record that closes without a stop code is dropped */
	feed(d, "<INSTANCE CLASSNAME=\"BLUESCREEN\"><PROPERTY NAME=\"OTHER\"></INSTANCE>", ln++);
	tap_ok(!win_detector_in_report(d), "a record without STOPCODE is no report");
	/* nor is a STOPCODE that is not a u32 */
	feed(d, "<INSTANCE CLASSNAME=\"BLUESCREEN\">", ln++);
	feed(d, "<PROPERTY NAME=\"STOPCODE\"><VALUE>\"0x1FFFFFFFF\"</VALUE>", ln++);
	feed(d, "</INSTANCE>", ln++);
	/* a STOP line without its four parameters, text that mentions one */
	feed(d, "*** STOP: 0x00000050", ln++);
	feed(d, "*** STOP: 0x50 (0x1, 0x2, 0x3)", ln++);
	feed(d, "PAGE_FAULT_IN_NONPAGED_AREA", ln++);
	win_detector_flush(d);
	tap_is_int(win_detector_next(d, &c, &bc), 0,
		   "an oversized code, a bare or short STOP line, a stop name alone: nothing");

	/* the record's marker split over two lines; an abandoned record still reports */
	feed(d, "xx <INSTANCE CLASSNAME=\"BLUE", ln++);
	feed(d, "SCREEN\"><PROPERTY NAME=\"STOPCODE\"><VALUE>0xef</VALUE>", ln++);
	for (int i = 0; i < WIN_XML_MAX_LINES + WIN_TRAILER_SLACK + 2; i++)
		feed(d, "<junk/>", ln++);
	tap_is_int(win_detector_next(d, &c, &bc), 1,
		   "a marker split over lines; a record that never closes is completed");
	tap_is_str(c.title, "CRITICAL_PROCESS_DIED (0xEF)", "  and titled from its code");
	tap_ok(strlen(c.report) <= WIN_REPORT_MAX_BYTES, "  report bounded");
	crash_release(&c);

	/* a reboot inside a record ends it: kept if its code was read, else dropped */
	feed(d,
	     "<INSTANCE CLASSNAME=\"BLUESCREEN\"><PROPERTY NAME=\"STOPCODE\"><VALUE>0x9F</VALUE>",
	     ln++);
	feed(d, "Computer is booting, SAC started and initialized.", ln++);
	tap_ok(!win_detector_in_report(d), "SAC's boot line ends a record in progress");
	tap_is_int(win_detector_next(d, &c, &bc), 1, "  which was a bugcheck");
	tap_is_str(c.title, "DRIVER_POWER_STATE_FAILURE (0x9F)", "  titled from its code");
	tap_is_int((long long)c.end_line, (long long)ln - 2, "  without the boot line");
	crash_release(&c);

	/* the queue is bounded */
	for (int i = 0; i < WIN_QUEUE_MAX + 10; i++)
		feed(d, "*** STOP: 0x0000000A (0x0, 0x2, 0x0, 0x0)", ln++);
	win_detector_flush(d);
	{
		int n = 0;

		while (win_detector_next(d, &c, NULL)) {
			n++;
			crash_release(&c);
		}
		tap_is_int(n, WIN_QUEUE_MAX, "at most WIN_QUEUE_MAX crashes wait");
	}
	win_detector_free(d);
}

/* guest.h's interface, and the crash-line test for reports. */
static void test_interface(void)
{
	struct crash_detector *cd = win_crash_detector_new();
	struct crash c;
	const char *stop = "*** STOP: 0x0000001E (0xC0000005, 0xFFFFF80012345678, 0x0, 0x0)";
	const char *drv = "***  Storport.sys - Address FFFFF80012345678 base at FFFFF80012300000";

	tap_is_int(crash_detector_feed(cd, stop, strlen(stop), 1), 1,
		   "through guest.h: STOP is certain");
	crash_detector_feed(cd, drv, strlen(drv), 2);
	tap_ok(crash_detector_in_report(cd) && crash_detector_body_ended(cd),
	       "in a report, body ended");
	crash_detector_feed(cd, "Computer is booting, SAC started and initialized.", 49, 3);
	tap_is_int(crash_detector_next(cd, &c), 1, "SAC's boot line completes the report");
	tap_is_str(c.title, "KMODE_EXCEPTION_NOT_HANDLED (0x1E) in storport.sys",
		   "the driver from '***  name.sys - Address'");
	tap_is_int((long long)c.end_line, 2, "the boot line is not part of it");
	crash_release(&c);
	crash_detector_free(cd);
	crash_detector_free(NULL);

	tap_ok(win_crash_line(stop, strlen(stop)) &&
		   win_crash_line("<INSTANCE CLASSNAME=\"BLUESCREEN\">", 33) &&
		   win_crash_line("Your PC ran into a problem and needs to restart.", 48) &&
		   !win_crash_line("EVENT: The CMD command is now available.", 40),
	       "crash lines: the record, STOP, the blue-screen text; not SAC events");
}

/* A 1 MiB line of noise and bytes that are not UTF-8: no crash, bounded. */
static void test_noise(void)
{
	size_t len = 1 << 20;
	char *buf = xmalloc(len);
	struct run r;

	static const char noise[] = "<INSTANCE CLASSNAME=\"BLUESCREEN\">\xff\x1b[0m";

	for (size_t i = 0; i < len; i++)
		buf[i] = noise[i % (sizeof(noise) - 1)];
	run_buf(&r, buf, len, 4096);
	tap_is_int((long long)r.n, 0, "a megabyte of record markers without a stop code: nothing");
	run_free(&r);
	free(buf);
}

/* ---- bootproof scan ---- */

static char *write_tmp(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/bp-t-windows-%d-%s", P_tmpdir, (int)getpid(), name);
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	return path;
}

/* scan_file_kind() into a string. */
static int scan_to(const char *path, int json, const char *kind, struct strbuf *sb,
		   struct bp_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int n = scan_file_kind(path, "F", out, json, kind, err);

	fclose(out);
	strbuf_reset(sb);
	strbuf_add(sb, buf, len);
	free(buf);
	return n;
}

static void test_scan(void)
{
	const uint64_t p[4] = {0xffff840500000074ull, 0, 0xfffff8048b58334cull, 2};
	struct dumpfile f = triage_new(0x50, p);
	struct strbuf sb = STRBUF_INIT, log = STRBUF_INIT;
	struct bp_error err = {""};
	char *path = write_tmp("mini.dmp", f.p, f.len), *bad, *logp;
	char *args[] = {"scan", "--kind", "bogus", "x", NULL};

	tap_is_int(scan_to(path, 0, "linux", &sb, &err), 1,
		   "scan: a dump is one crash, whatever --kind");
	tap_is_str(sb.buf, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys\tF:0\n",
		   "scan: the dump's title, line 0");
	scan_to(path, 1, "linux", &sb, &err);
	tap_like(sb.buf, "\"title\":\"PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys\"",
		 "scan --json: the title");
	tap_like(sb.buf, "\"module\":\"refsensor.sys\"", "scan --json: the driver as module");
	tap_like(
	    sb.buf,
	    "\"bugcheck\":{\"code\":\"0x50\",\"parameters\":[\"0xFFFF840500000074\",\"0x0\","
	    "\"0xFFFFF8048B58334C\",\"0x2\"],\"dump_type\":\"triage\",\"bits\":64,\"build\":19041,"
	    "\"address\":\"0xFFFFF8048B58334C\",\"address_source\":\"parameter 3\",\"drivers\":3}",
	    "scan --json: code, exact parameters, type, address and its source");
	dumpgen_put32(&f, 0x2034, 100);
	bad = write_tmp("bad.dmp", f.p, f.len);
	tap_is_int(scan_to(bad, 0, "linux", &sb, &err), -1, "scan: a lying dump is an error");
	tap_like(err.msg, "cannot parse dump '", "  naming the file");
	tap_like(err.msg, "is past the end of the file", "  and what is wrong");

	load("windows/ems-bp-0x50.log", &log);
	logp = write_tmp("console.log", log.buf, log.len);
	tap_is_int(scan_to(logp, 0, "windows", &sb, &err), 1, "scan --kind windows: the EMS crash");
	tap_is_str(sb.buf, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys\tF:21\n",
		   "  its title and first line");
	tap_is_int(scan_to(logp, 0, "linux", &sb, &err), 0,
		   "the Linux detector sees no crash there");
	tap_is_int(cmd_scan(4, args), 2, "scan --kind bogus is a usage error");

	unlink(path);
	unlink(bad);
	unlink(logp);
	free(path);
	free(bad);
	free(logp);
	free(f.p);
	strbuf_release(&sb);
	strbuf_release(&log);
}

static const char *find_datadir(const char *argv0)
{
	static char buf[4096];
	const char *env = getenv("BP_TESTDATA");
	char *copy = xstrdup(argv0);
	char probe[4200];

	snprintf(buf, sizeof(buf), "%s", env ? env : "tests/data");
	snprintf(probe, sizeof(probe), "%s/windows/benign.log", buf);
	if (access(probe, R_OK) != 0) {
		snprintf(buf, sizeof(buf), "%s/../../tests/data", dirname(copy));
		snprintf(probe, sizeof(probe), "%s/windows/benign.log", buf);
	}
	free(copy);
	return access(probe, R_OK) == 0 ? buf : NULL;
}

int main(int argc, char **argv)
{
	(void)argc;
	datadir = find_datadir(argv[0]);
	if (!datadir) {
		printf("Bail out! cannot find tests/data/windows (run from the project root or set "
		       "BP_TESTDATA)\n");
		return 1;
	}
	test_table();
	test_triage();
	test_attribution();
	test_full_kernel_32();
	test_lying();
	test_odd_names();
	test_transcripts();
	test_states();
	test_interface();
	test_noise();
	test_scan();
	return tap_done();
}
