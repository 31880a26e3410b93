/*
 * fuzz-chanfile - chanfile_split() on any bytes (chanfile.h). Oracle: no
 * read out of bounds (ASan), an error always has a message, and a file it
 * accepts is exactly its header plus its instances: joined whole it is the
 * same bytes, and any subset joined is a file that splits again into
 * those instances.
 */
#include <string.h>

#include "chanfile.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chanfile cf, again;
	struct strbuf out = STRBUF_INIT;
	struct bp_error err;
	size_t *pick;
	size_t nr = 0;

	err.msg[0] = 0;
	if (chanfile_split(&cf, data, size, &err) < 0) {
		FUZZ_CHECK(err.msg[0], "a refused file has an error message");
		return 0;
	}
	pick = xcalloc(cf.nr_instances + 1, sizeof(*pick));
	for (size_t i = 0; i < cf.nr_instances; i++)
		pick[i] = i;
	FUZZ_CHECK(chanfile_join(&cf, pick, cf.nr_instances, &out, &err) == 0, "join all");
	FUZZ_CHECK(out.len == size && !memcmp(out.buf, data, size),
		   "all instances joined give the file back");
	/* every other instance, last first */
	for (size_t i = cf.nr_instances; i-- > 0;)
		if (i % 2 == 0)
			pick[nr++] = i;
	FUZZ_CHECK(chanfile_join(&cf, pick, nr, &out, &err) == 0, "join a subset");
	FUZZ_CHECK(chanfile_split(&again, out.buf, out.len, &err) == 0,
		   "a joined subset is a valid file");
	FUZZ_CHECK(again.nr_instances == nr, "with the instances picked");
	for (size_t i = 0; i < nr; i++)
		FUZZ_CHECK(again.instances[i].len == cf.instances[pick[i]].len &&
			       !memcmp(out.buf + again.instances[i].off,
				       data + cf.instances[pick[i]].off, again.instances[i].len),
			   "each instance's bytes unchanged");
	chanfile_release(&again);
	chanfile_release(&cf);
	strbuf_release(&out);
	free(pick);
	return 0;
}
