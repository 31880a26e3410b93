/*
 * windump - Windows crash dump headers, read without WinDbg or symbols, and
 * the crash attributed to a driver.
 *
 * Layout (offsets from the start of the file, little endian):
 *   64-bit, "PAGE" "DU64", an 0x2000-byte header: MajorVersion u32 0x08,
 *   MinorVersion (the build) u32 0x0C, DirectoryTableBase u64 0x10,
 *   PsLoadedModuleList u64 0x20, MachineImageType u32 0x30 (0x8664 x64,
 *   0xAA64 arm64), NumberProcessors u32 0x34, BugCheckCode u32 0x38,
 *   BugCheckParameter1..4 u64 0x40..0x58, KdDebuggerDataBlock u64 0x80,
 *   CONTEXT 0x348 (Rip u64 at +0xF8), EXCEPTION_RECORD64 0xF00
 *   (ExceptionCode u32 +0x00, ExceptionAddress u64 +0x10), DumpType u32
 *   0xF98, SystemTime u64 0xFA8.
 *   32-bit, "PAGE" "DUMP", an 0x1000-byte header: BugCheckCode u32 0x28,
 *   parameters u32 0x2C..0x38, CONTEXT 0x320 (Eip at +0xB8),
 *   EXCEPTION_RECORD32 0x7D0 (ExceptionAddress u32 +0x0C), DumpType u32
 *   0xF88, SystemTime u64 0xFC0.
 *   Header bytes Windows did not fill are the repeated string "PAGE": a
 *   field that reads as that pattern is "not set".
 *   DumpType 4 (triage, a "small memory dump" in C:\Windows\Minidump), 64-bit
 *   only: a TRIAGE_DUMP header at 0x2000 whose DriverListOffset (u32 +0x30)
 *   and DriverCount (u32 +0x34) give the loaded drivers, entries 0x90 bytes
 *   apart: the name's file offset u32 +0x00 (there a u32 count of UTF-16LE
 *   characters, the characters and a NUL character), DllBase u64 +0x38,
 *   SizeOfImage u32 +0x48.
 *
 * Attribution: the faulting address is, in this order, the stop code's
 * address parameter (stopcodes.h) when non-zero, the exception record's
 * address, the CONTEXT's instruction pointer; the first of them that lies
 * in a driver's [DllBase, DllBase + SizeOfImage) names the driver. Full
 * and kernel dumps carry no driver list in their header (it is in guest
 * memory, behind page tables): they give the code and parameters only.
 *
 * Every offset and count is checked against the bytes given before it is
 * read: a truncated or lying file (offsets past the end, counts too large,
 * names without a terminator or past the end) fails with a clear message,
 * never reads out of bounds. A driver whose name is not a plausible file
 * name (stopcodes.h) is kept unnamed: it can match, but names nothing.
 */
#ifndef BP_WINDUMP_H
#define BP_WINDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "stopcodes.h"
#include "util.h"

/* What windump_read() reads of a file at most: a triage dump is far smaller, and a
 * full dump's header is at its start. */
#define WINDUMP_READ_MAX (64u << 20)
/* More drivers than this in a triage list is a lie. */
#define WINDUMP_DRIVERS_MAX 4096
/* A longer driver name (characters) is a lie too. */
#define WINDUMP_NAME_MAX 1024

#define WINDUMP_TYPE_FULL 1
#define WINDUMP_TYPE_KERNEL 2
#define WINDUMP_TYPE_TRIAGE 4
#define WINDUMP_TYPE_BITMAP 5

struct windump_driver {
	char name[STOPCODE_DRIVER_MAX + 1]; /* lower case, "" if implausible */
	uint64_t base;
	uint32_t size;
};

struct windump {
	int is64;
	uint32_t major, minor; /* minor: the build number */
	uint64_t directory_table_base, ps_loaded_module_list, kd_debugger_data_block;
	uint32_t machine, processors;
	uint32_t code;	    /* BugCheckCode */
	uint64_t param[4];  /* BugCheckParameter1..4 */
	uint32_t dump_type; /* WINDUMP_TYPE_*, or what the file says */
	uint64_t system_time;
	int has_ip, has_exception;
	uint64_t ip;		 /* CONTEXT Rip / Eip */
	uint64_t exception_addr; /* EXCEPTION_RECORD's ExceptionAddress */
	uint32_t exception_code;
	struct windump_driver *drivers; /* triage dumps; NULL otherwise */
	size_t ndrivers;
	/* attribution */
	int has_fault;
	uint64_t fault_addr;	  /* the address attributed (or the first candidate) */
	const char *fault_source; /* static: "parameter 3", "exception record", "context" */
	int fault_driver;	  /* index into drivers, -1: none contains fault_addr */
};

/*
 * Parse len bytes of a dump file into *ret (released by windump_release(),
 * also after a failure). 0, or -1 with err ("truncated dump: ...", "driver
 * list at 0x... is past the end of the file", ...).
 */
int windump_parse(const void *data, size_t len, struct windump *ret, struct bp_error *err);
/*
 * Read the regular file path (at most WINDUMP_READ_MAX bytes of it) and
 * parse it; err is prefixed with the file's name.
 */
int windump_read(const char *path, struct windump *ret, struct bp_error *err);
/*
 * Append what fd holds to sb until EOF or until sb holds WINDUMP_READ_MAX
 * bytes (EINTR retried): 0, or -1 with err the reason (strerror).
 */
int windump_read_fd(int fd, struct strbuf *sb, struct bp_error *err);
/* Non-zero if the first len bytes start like a dump ("PAGEDU64", "PAGEDUMP"). */
int windump_magic(const void *data, size_t len);
void windump_release(struct windump *d);

/* The attributed driver's name, or "" when none is known. */
const char *windump_driver(const struct windump *d);
/* The title (stopcodes.h): "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys". */
void windump_title(const struct windump *d, struct strbuf *sb);
/* "full", "kernel", "triage", "bitmap", or "type N" written into buf. */
const char *windump_type_name(uint32_t type, char buf[16]);

#endif
