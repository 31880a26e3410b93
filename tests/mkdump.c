/*
 * mkdump - write a 64-bit triage dump (a Windows "small memory dump") from
 * the documented layout, for a test to plant on a stand-in guest's disk:
 *
 *	mkdump OUT CODE DRIVER
 *
 * CODE (hex) is the bugcheck; the driver list holds ntoskrnl.exe, hal.dll
 * and DRIVER, and the faulting address lies inside DRIVER: in the
 * parameter the stop code's table row names (stopcodes.h), else the
 * CONTEXT's Rip. So `bootproof scan OUT` says "NAME (0xCODE) in DRIVER".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpgen.h"
#include "stopcodes.h"
#include "util.h"
#include "windump.h"

int main(int argc, char **argv)
{
	const struct drv drivers[] = {
	    {"ntoskrnl.exe", 0xfffff80456600000ull, 0x1046000},
	    {"hal.dll", 0xfffff80455e00000ull, 0x6000},
	    {argc > 3 ? argv[3] : "", 0xfffff8048b500000ull, 0x90000},
	};
	const uint64_t fault = drivers[2].base + 0x8334c;
	uint64_t param[4] = {0xffff840500000074ull, 0, 0, 2};
	const struct stopcode *sc;
	struct dumpfile f;
	struct bp_error err;
	uint32_t code;

	if (argc != 4 || strlen(argv[3]) > 200) {
		fprintf(stderr, "usage: mkdump OUT CODE DRIVER\n");
		return 2;
	}
	code = (uint32_t)strtoul(argv[2], NULL, 16);
	sc = stopcode_find(code);
	if (sc && sc->addr_param)
		param[sc->addr_param - 1] = fault;
	f = dumpgen_new(1, 0x4000, WINDUMP_TYPE_TRIAGE, code, param);
	if (!sc || !sc->addr_param)
		dumpgen_put64(&f, 0x348 + 0xF8, fault);
	dumpgen_put_drivers(&f, drivers, 3);
	if (write_file_atomic(argv[1], f.p, f.len, &err) < 0) {
		fprintf(stderr, "mkdump: %s\n", err.msg);
		free(f.p);
		return 1;
	}
	free(f.p);
	return 0;
}
