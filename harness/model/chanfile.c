/*
 * chanfile - split a reference channel file into instances, join a subset
 * (see chanfile.h; the format is sensor/FORMAT.md).
 */
#include "chanfile.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC "BPCF"
#define FORMAT_VERSION 1
#define TEMPLATE_IPC 1
#define IPC_FIELDS 21
#define KIND_MAX 2

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int check_header(const unsigned char *d, size_t len, struct bp_error *err)
{
	uint32_t count;

	if (!len)
		return error_set(err, "empty file");
	if (len > CHANFILE_MAX_SIZE)
		return error_set(err, "%zu bytes, over the %d-byte limit", len, CHANFILE_MAX_SIZE);
	if (len < CHANFILE_HEADER)
		return error_set(err, "%zu bytes, shorter than the %d-byte header", len,
				 CHANFILE_HEADER);
	if (memcmp(d, MAGIC, 4))
		return error_set(err, "no 'BPCF' magic: not a reference channel file");
	if (get16(d + 4) != FORMAT_VERSION)
		return error_set(err, "format version %u, expected %d", get16(d + 4),
				 FORMAT_VERSION);
	if (get16(d + 6) != TEMPLATE_IPC)
		return error_set(err, "unknown template type %u", get16(d + 6));
	if (get16(d + 12) != IPC_FIELDS)
		return error_set(err, "field count %u, the IPC template type declares %d",
				 get16(d + 12), IPC_FIELDS);
	if (get16(d + 14))
		return error_set(err, "reserved header field is %u, expected 0", get16(d + 14));
	count = get32(d + 16);
	if (count > CHANFILE_MAX_INSTANCES ||
	    (uint64_t)count * IPC_FIELDS * 3 > (uint64_t)(len - CHANFILE_HEADER))
		return error_set(err, "instance count %u does not fit a %zu-byte file (at most %d)",
				 count, len, CHANFILE_MAX_INSTANCES);
	return 0;
}

/* One instance from *off: its end in *off, or -1 with err. */
static int read_instance(const unsigned char *d, size_t len, size_t *off, uint32_t n,
			 struct bp_error *err)
{
	for (unsigned f = 1; f <= IPC_FIELDS; f++) {
		unsigned kind;
		size_t clen;

		if (len - *off < 3)
			return error_set(err, "instance %u field %u: the file ends at byte %zu", n,
					 f, len);
		kind = d[*off];
		clen = get16(d + *off + 1);
		*off += 3;
		if (kind > KIND_MAX)
			return error_set(err, "instance %u field %u: unknown kind %u", n, f, kind);
		if (kind == 0 && clen)
			return error_set(err, "instance %u field %u: a wildcard with length %zu", n,
					 f, clen);
		if (clen > CHANFILE_MAX_CRITERION)
			return error_set(err,
					 "instance %u field %u: criterion length %zu is over %d", n,
					 f, clen, CHANFILE_MAX_CRITERION);
		if (clen > len - *off)
			return error_set(err,
					 "instance %u field %u: criterion of %zu bytes runs past "
					 "the end of the file",
					 n, f, clen);
		*off += clen;
	}
	return 0;
}

int chanfile_split(struct chanfile *cf, const void *data, size_t len, struct bp_error *err)
{
	const unsigned char *d = data;
	size_t off = CHANFILE_HEADER;

	memset(cf, 0, sizeof(*cf));
	if (check_header(d, len, err) < 0)
		return -1;
	cf->nr_instances = get32(d + 16);
	cf->instances = xcalloc(cf->nr_instances ? cf->nr_instances : 1, sizeof(*cf->instances));
	for (size_t i = 0; i < cf->nr_instances; i++) {
		cf->instances[i].off = off;
		if (read_instance(d, len, &off, (uint32_t)i + 1, err) < 0)
			goto fail;
		cf->instances[i].len = off - cf->instances[i].off;
	}
	if (off != len) {
		error_set(err, "%zu trailing bytes after instance %zu", len - off,
			  cf->nr_instances);
		goto fail;
	}
	cf->data = xmalloc(len);
	memcpy(cf->data, d, len);
	cf->len = len;
	cf->channel = get32(d + 8);
	cf->nr_fields = get16(d + 12);
	return 0;
fail:
	chanfile_release(cf);
	return -1;
}

int chanfile_join(const struct chanfile *cf, const size_t *pick, size_t nr, struct strbuf *out,
		  struct bp_error *err)
{
	unsigned char header[CHANFILE_HEADER];

	strbuf_reset(out);
	for (size_t i = 0; i < nr; i++)
		if (pick[i] >= cf->nr_instances)
			return error_set(err, "instance %zu: the file has %zu", pick[i] + 1,
					 cf->nr_instances);
	memcpy(header, cf->data, sizeof(header));
	put32(header + 16, (uint32_t)nr);
	strbuf_add(out, header, sizeof(header));
	for (size_t i = 0; i < nr; i++)
		strbuf_add(out, cf->data + cf->instances[pick[i]].off, cf->instances[pick[i]].len);
	return 0;
}

void chanfile_release(struct chanfile *cf)
{
	if (!cf)
		return;
	free(cf->data);
	free(cf->instances);
	memset(cf, 0, sizeof(*cf));
}
