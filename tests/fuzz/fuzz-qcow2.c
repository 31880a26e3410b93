/*
 * fuzz-qcow2 - domxml_backing_chain() (domxml.h) on any bytes as a qcow2
 * file: the libvirt backend reads a trial overlay's backing chain from
 * the headers to write it into the domain XML. Oracle: no read out of
 * bounds (ASan), a refusal has a message, an answer is a chain of at most
 * the depth asked, each link a path and a NUL-terminated format.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domxml.h"
#include "fuzz.h"

#define DEPTH 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct domxml_backing chain[DEPTH];
	struct bp_error err;
	FILE *f;
	int n;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz-qcow2-%d.qcow2", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	err.msg[0] = 0;
	n = domxml_backing_chain(path, chain, DEPTH, &err);
	FUZZ_CHECK(n >= -1 && n <= DEPTH, "a count within the depth, or -1");
	if (n < 0)
		FUZZ_CHECK(err.msg[0], "a refused chain has an error message");
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(chain[i].path && chain[i].path[0], "each link has a path");
		FUZZ_CHECK(memchr(chain[i].format, 0, sizeof(chain[i].format)),
			   "each format is a string");
		free(chain[i].path);
	}
	return 0;
}
