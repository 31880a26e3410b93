/*
 * chanfile - the reference channel-file format (sensor/FORMAT.md, binary
 * `*.sys`) split into its template instances and joined back.
 *
 * chanfile_split() reads a file strictly as FORMAT.md says the sensor does
 * (files are untrusted: every length is checked against what is left, no
 * read goes past `len`): the 20-byte header (magic BPCF, format version 1,
 * template type 1 = IPC with its 21 fields, reserved 0, an instance count
 * that fits), then exactly that many instances of field-count criteria
 * (kind 0..2, a wildcard's length 0, a criterion at most 1024 bytes) and
 * nothing after them. It gives each instance's byte range; a file that is
 * not valid is -1 with err saying where and why ("instance 3 field 21:
 * criterion length 2000 is over 1024"). chanfile_join() writes a valid
 * file of the same header with a chosen subset of the instances, in the
 * order given: instance count and size rewritten, every other header
 * byte kept.
 */
#ifndef BP_CHANFILE_H
#define BP_CHANFILE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CHANFILE_HEADER 20
#define CHANFILE_MAX_SIZE (1024 * 1024)
#define CHANFILE_MAX_INSTANCES 4096
#define CHANFILE_MAX_CRITERION 1024

struct chanfile_instance {
	size_t off, len; /* its bytes in the file */
};

struct chanfile {
	unsigned char *data; /* a copy of the file */
	size_t len;
	uint32_t channel;
	uint16_t nr_fields;
	struct chanfile_instance *instances;
	size_t nr_instances;
};

/* Split data[0..len) (a copy is kept); -1 with err when it is not a valid channel file. */
int chanfile_split(struct chanfile *cf, const void *data, size_t len, struct bp_error *err);
/*
 * out (reset first) gets a valid channel file of the instances pick[0..nr)
 * (numbers from 0, each < nr_instances); -1 with err for a number out of range.
 */
int chanfile_join(const struct chanfile *cf, const size_t *pick, size_t nr, struct strbuf *out,
		  struct bp_error *err);
void chanfile_release(struct chanfile *cf);

#endif
