/*
 * stopcodes - the documented Windows bug check (stop) codes: name by code,
 * and which of the four parameters holds the address of the faulting
 * instruction, when the code has one (Microsoft's "Bug Check Code
 * Reference": e.g. P2 of 0x1E/0x3B/0x7E/0x1000007E, "address that
 * referenced memory" P3 of 0x50/0xD5, P4 of 0x0A/0xD1).
 *
 * A Windows crash title is built here only, from the code: the stop name
 * comes from this table, never from guest text alone, so the same bugcheck
 * gives the same title from the serial console, a QEMU event or a dump.
 */
#ifndef BP_STOPCODES_H
#define BP_STOPCODES_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct stopcode {
	uint32_t code;
	const char *name;
	/*
	 * 1..4: that parameter is the faulting instruction's address (when
	 * non-zero; "if known" for the page-fault codes); 0: none is.
	 */
	int addr_param;
};

/* The table row for code, or NULL for a code the table does not know. */
const struct stopcode *stopcode_find(uint32_t code);
/*
 * The row whose name is the first len bytes of name (exact, upper case as
 * documented), or NULL. For blue-screen text that names a stop but shows
 * no code.
 */
const struct stopcode *stopcode_by_name(const char *name, size_t len);

/* Longest driver name a title carries; longer ones are cut. */
#define STOPCODE_DRIVER_MAX 64

/*
 * Append the title of a bugcheck to sb: "NAME (0xCODE) in DRIVER",
 * "NAME (0xCODE)" when driver is NULL or "", "unknown bugcheck (0xCODE)"
 * for a code the table does not know, "unknown bugcheck" when !has_code.
 * CODE is upper-case hex without leading zeros (0x50, 0x1000007E).
 */
void stopcode_title(struct strbuf *sb, int has_code, uint32_t code, const char *driver);

/*
 * If s[0..len) is a plausible driver file name (1..STOPCODE_DRIVER_MAX
 * bytes of [A-Za-z0-9_.$~-], ending ".sys", ".dll" or ".exe" in any case),
 * write it lower-cased and NUL-terminated to out (STOPCODE_DRIVER_MAX + 1
 * bytes) and return 1; else 0 and out is "". Guest text and dump strings go
 * through this before they reach a title, so the same driver has the same
 * title whatever case it was printed in.
 */
int stopcode_driver_norm(char *out, const char *s, size_t len);

#endif
