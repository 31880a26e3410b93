/*
 * fuzzlog - what a libFuzzer target printed, read as it is written: its
 * progress (executions), whether it read its corpus, the crash report and
 * the signature it gives, the artifact it saved. The text is untrusted
 * (whatever the target and its sanitizers printed): lines are bounded,
 * fields are copied with bounds, nothing in it is a format string.
 *
 * A signature is the report's kind, the access for a memory error, and the
 * top frame that is not the sanitizer, libFuzzer or a libc function it
 * intercepts, in the style of syzkaller's titles:
 *   "heap-buffer-overflow READ in refsensor_eval"
 *   "SEGV READ in interp_parse", "undefined-behavior in chanmut_write",
 *   "deadly-signal in f", "timeout", "out-of-memory", "memory-leak in g"
 * Only the first report counts (the target stops at one).
 *
 * Symbolizing a report costs the target seconds here (ASan forks
 * llvm-symbolizer), so a campaign runs unsymbolized (ASAN_OPTIONS
 * symbolize=0): frames are then "(MODULE+0xOFFSET)" and the signature names
 * that. stack_key identifies the place either way, finer than a signature
 * (the first three frames, runtime ones included): a new key is worth one
 * symbolized run of its input to get the signature.
 */
#ifndef BP_FUZZLOG_H
#define BP_FUZZLOG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define FUZZLOG_LINE_MAX 4096

struct fuzzlog {
	uint64_t execs;	     /* highest "#N" progress count or final stat */
	int inited;	     /* "INITED": the corpus was read, fuzzing began */
	int crashed;	     /* a sanitizer or libFuzzer error report began */
	int done;	     /* ended normally: "Done N runs" or the time was up */
	char signature[256]; /* set once crashed; the kind alone until a frame is seen */
	char artifact[4096]; /* "Test unit written to PATH": PATH, or "" */
	char stack_key[512]; /* the first stack's top three frames, " | "-separated */
	/* private: the report being read */
	char kind[96];
	char access[8];
	int frame_done;
	int key_frames; /* frames in stack_key; -1 once the first stack ended */
	struct strbuf partial;
};

void fuzzlog_init(struct fuzzlog *l);
void fuzzlog_release(struct fuzzlog *l);
/* Feed len more bytes of output; complete lines are read, a partial one is kept. */
void fuzzlog_feed(struct fuzzlog *l, const char *buf, size_t len);
/* Read whatever partial line is left (at the end of the output). */
void fuzzlog_finish(struct fuzzlog *l);
/* One line, without its newline. */
void fuzzlog_line(struct fuzzlog *l, const char *line);

#endif
