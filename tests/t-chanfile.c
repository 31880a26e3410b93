/*
 * t-chanfile - the reference channel format split into instances and joined
 * back (chanfile.h): round trips byte for byte, subsets are valid files,
 * and every malformed file is a clear error (every truncation included).
 */
#include <stdlib.h>
#include <string.h>

#include "chanfile.h"
#include "tap.h"

static void put16(struct strbuf *sb, unsigned v)
{
	unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};

	strbuf_add(sb, b, 2);
}

static void put32(struct strbuf *sb, unsigned v)
{
	put16(sb, v & 0xffff);
	put16(sb, v >> 16);
}

static void header(struct strbuf *sb, unsigned fields, unsigned count)
{
	strbuf_add(sb, "BPCF", 4);
	put16(sb, 1);
	put16(sb, 1);
	put32(sb, 291);
	put16(sb, fields);
	put16(sb, 0);
	put32(sb, count);
}

/* An instance: field 1 equals `pipe`, field 21 a criterion when bad, the rest wildcards. */
static void instance(struct strbuf *sb, const char *pipe, int bad)
{
	for (int f = 1; f <= 21; f++) {
		const char *s = f == 1 ? pipe : f == 21 && bad ? "x" : NULL;

		strbuf_addch(sb, s ? 1 : 0);
		put16(sb, s ? (unsigned)strlen(s) : 0);
		if (s)
			strbuf_adds(sb, s);
	}
}

static void sample(struct strbuf *sb)
{
	strbuf_reset(sb);
	header(sb, 21, 3);
	instance(sb, "\\\\.\\pipe\\one", 0);
	instance(sb, "\\\\.\\pipe\\two", 1);
	instance(sb, "\\\\.\\pipe\\three", 0);
}

static void t_round_trip(void)
{
	struct strbuf f = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT;
	struct chanfile cf, again;
	struct bp_error err;
	size_t all[] = {0, 1, 2}, one[] = {1}, two[] = {2, 0};

	sample(&f);
	tap_is_int(chanfile_split(&cf, f.buf, f.len, &err), 0, "a valid file splits");
	tap_is_int((long long)cf.nr_instances, 3, "into its 3 instances");
	tap_is_int(cf.channel, 291, "channel number read");
	chanfile_join(&cf, all, 3, &out, &err);
	tap_ok(out.len == f.len && !memcmp(out.buf, f.buf, f.len),
	       "all instances joined: the same bytes");
	chanfile_join(&cf, one, 1, &out, &err);
	header(&want, 21, 1);
	instance(&want, "\\\\.\\pipe\\two", 1);
	tap_ok(out.len == want.len && !memcmp(out.buf, want.buf, want.len),
	       "instance 2 alone: a valid file of one instance");
	chanfile_join(&cf, two, 2, &out, &err);
	tap_is_int(chanfile_split(&again, out.buf, out.len, &err), 0,
		   "a joined subset splits again");
	tap_ok(again.nr_instances == 2 && again.instances[0].len == cf.instances[2].len &&
		   !memcmp(out.buf + again.instances[0].off, f.buf + cf.instances[2].off,
			   cf.instances[2].len),
	       "in the order picked");
	chanfile_release(&again);
	tap_is_int(chanfile_join(&cf, (size_t[]){3}, 1, &out, &err), -1, "instance 4 of 3 refused");
	tap_like(err.msg, "instance 4: the file has 3", "named");
	chanfile_release(&cf);
	strbuf_release(&f);
	strbuf_release(&out);
	strbuf_release(&want);
}

/* Byte `at` of the sample set to v (a little-endian u16 when wide): the error. */
static const char *corrupt(size_t at, unsigned v, int wide)
{
	static struct bp_error err;
	struct strbuf f = STRBUF_INIT;
	struct chanfile cf;
	int rc;

	sample(&f);
	f.buf[at] = (char)v;
	if (wide)
		f.buf[at + 1] = (char)(v >> 8);
	rc = chanfile_split(&cf, f.buf, f.len, &err);
	strbuf_release(&f);
	chanfile_release(&cf);
	return rc < 0 ? err.msg : "accepted";
}

static void t_malformed(void)
{
	struct strbuf f = STRBUF_INIT;
	struct chanfile cf;
	struct bp_error err;
	int bad = 0;

	tap_like(corrupt(0, 'X', 0), "no 'BPCF' magic", "wrong magic");
	tap_like(corrupt(4, 2, 1), "format version 2, expected 1", "unknown format version");
	tap_like(corrupt(6, 9, 1), "unknown template type 9", "unknown template type");
	tap_like(corrupt(12, 20, 1), "field count 20, the IPC template type declares 21",
		 "a field count other than the template's");
	tap_like(corrupt(14, 1, 1), "reserved header field is 1", "reserved field set");
	tap_like(corrupt(16, 5000, 1), "instance count 5000 does not fit",
		 "implausible instance count");
	tap_like(corrupt(20, 7, 0), "instance 1 field 1: unknown kind 7", "unknown kind");
	tap_like(corrupt(20 + 3 + 12, 0, 0) /* field 2 of instance 1: kind 0 */, "accepted",
		 "a wildcard stays a wildcard");
	tap_like(corrupt(20 + 3 + 12 + 1, 4, 1), "instance 1 field 2: a wildcard with length 4",
		 "a wildcard with a length");
	tap_like(corrupt(21, 2000, 1), "criterion length 2000 is over 1024",
		 "criterion over 1024 bytes");
	tap_like(corrupt(21, 1000, 1), "runs past the end of the file", "criterion past the end");
	sample(&f);
	strbuf_add(&f, "zz", 2);
	tap_is_int(chanfile_split(&cf, f.buf, f.len, &err), -1, "trailing bytes refused");
	tap_like(err.msg, "2 trailing bytes after instance 3", "and counted");
	tap_is_int(chanfile_split(&cf, "", 0, &err), -1, "an empty file refused");
	sample(&f);
	for (size_t n = 0; n < f.len; n++) {
		char *copy = xmalloc(n ? n : 1);

		memcpy(copy, f.buf, n);
		/* exactly n bytes on the heap: ASan sees any read past them */
		if (chanfile_split(&cf, copy, n, &err) == 0)
			bad++;
		chanfile_release(&cf);
		free(copy);
	}
	tap_is_int(bad, 0, "every truncation of a valid file is an error");
	strbuf_release(&f);
}

int main(void)
{
	t_round_trip();
	t_malformed();
	return tap_done();
}
