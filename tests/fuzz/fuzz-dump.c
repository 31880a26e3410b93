/*
 * fuzz-dump - the Windows dump parser (windump.h) on any bytes, as a file
 * of exactly that size (libFuzzer's buffer: ASan sees a read past its
 * end). Oracle: a failure has a message; a success has a title that is the
 * table's (stopcodes.h) for its code and driver, at most WINDUMP_DRIVERS_MAX
 * drivers whose names are "" or normalized file names, and an attributed
 * driver whose range really holds the faulting address.
 */
#include "fuzz.h"
#include "stopcodes.h"
#include "windump.h"

#include <string.h>

static void check_ok(const struct windump *d)
{
	struct strbuf title = STRBUF_INIT, want = STRBUF_INIT;
	char norm[STOPCODE_DRIVER_MAX + 1];

	FUZZ_CHECK(d->ndrivers <= WINDUMP_DRIVERS_MAX, "at most WINDUMP_DRIVERS_MAX drivers");
	FUZZ_CHECK(!d->ndrivers || (d->is64 && d->dump_type == WINDUMP_TYPE_TRIAGE),
		   "only 64-bit triage dumps have a driver list");
	for (size_t i = 0; i < d->ndrivers; i++) {
		const char *n = d->drivers[i].name;

		FUZZ_CHECK(!n[0] || (stopcode_driver_norm(norm, n, strlen(n)) && !strcmp(norm, n)),
			   "a driver name is empty or a normalized file name");
	}
	FUZZ_CHECK(d->fault_driver >= -1 && d->fault_driver < (int)d->ndrivers,
		   "the attributed driver is one of the list");
	if (d->fault_driver >= 0) {
		const struct windump_driver *dr = &d->drivers[d->fault_driver];

		FUZZ_CHECK(d->has_fault && d->fault_addr >= dr->base &&
			       d->fault_addr - dr->base < dr->size,
			   "the attributed driver's range holds the faulting address");
	}
	FUZZ_CHECK(!d->has_fault || d->fault_source, "a faulting address has a source");
	windump_title(d, &title);
	stopcode_title(&want, 1, d->code, windump_driver(d));
	FUZZ_CHECK(title.len && !strcmp(title.buf, want.buf), "the title is the table's");
	for (size_t i = 0; i < title.len; i++)
		FUZZ_CHECK(title.buf[i] >= 0x20 && title.buf[i] < 0x7f,
			   "a title is printable ASCII");
	strbuf_release(&title);
	strbuf_release(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bp_error err = {""};
	struct windump d;

	if (windump_parse(data, size, &d, &err) == 0)
		check_ok(&d);
	else
		FUZZ_CHECK(err.msg[0], "a failure has a message");
	windump_release(&d);
	return 0;
}
