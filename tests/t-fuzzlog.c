/*
 * t-fuzzlog - reading libFuzzer's output: progress, the corpus read, crash
 * signatures of ASan, UBSan, LeakSanitizer and libFuzzer reports (runtime
 * frames skipped), the artifact, and lines split across reads.
 */
#include <string.h>

#include "fuzzlog.h"
#include "tap.h"

static const char asan_log[] =
    "INFO: Seed: 1\n"
    "#2\tINITED cov: 41 ft: 42 corp: 1/201b exec/s: 0 rss: 33Mb\n"
    "#22\tNEW    cov: 55 ft: 98 corp: 10/2083b lim: 4096 exec/s: 0 rss: 33Mb L: 330/346 MS: 6\n"
    "=================================================================\n"
    "==23423==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x60e0000001c0 at pc 0x55 "
    "bp 0x7f sp 0x7f\n"
    "READ of size 8 at 0x60e0000001c0 thread T0\n"
    "    #0 0x55cbd749421b in refsensor_eval /w/sensor/interp/interp.c:255:8\n"
    "    #1 0x55cbd749422b in interp_run /w/sensor/interp/interp.c:278:11\n"
    "\n"
    "0x60e0000001c0 is located 0 bytes to the right of 160-byte region\n"
    "allocated by thread T0 here:\n"
    "    #0 0x55cbd7450bfe in malloc (/w/build/fuzz-interp-v1+0xe5bfe)\n"
    "    #1 0x55cbd7450c00 in interp_user_event_new /w/sensor/interp/interp-user.c:30\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow /w/sensor/interp/interp.c:255:8 in "
    "refsensor_eval\n"
    "MS: 1 Custom-; base unit: 1ee59ff67cdbbc920cf006d7c43e2d405fa7ad18\n"
    "stat::number_of_executed_units: 28\n"
    "artifact_prefix='/r/a/'; Test unit written to /r/a/crash-da39a3ee\n";

static void feed(struct fuzzlog *l, const char *text, size_t step)
{
	size_t n = strlen(text);

	fuzzlog_init(l);
	for (size_t i = 0; i < n; i += step)
		fuzzlog_feed(l, text + i, i + step < n ? step : n - i);
	fuzzlog_finish(l);
}

static const char *signature_of(const char *text)
{
	static struct fuzzlog l;

	fuzzlog_release(&l);
	feed(&l, text, 4096);
	return l.signature;
}

int main(void)
{
	struct fuzzlog l;

	feed(&l, asan_log, 7);
	tap_ok(l.inited, "INITED: the corpus was read");
	tap_ok(l.crashed, "the ASan report is a crash");
	tap_is_str(l.signature, "heap-buffer-overflow READ in refsensor_eval",
		   "signature: kind, access, top frame (read in pieces of 7 bytes)");
	tap_is_int((long long)l.execs, 28, "executions: the final statistic");
	tap_is_str(l.artifact, "/r/a/crash-da39a3ee", "the artifact's path");
	tap_ok(!l.done, "a crash is not a normal end");
	fuzzlog_release(&l);

	feed(&l,
	     "#2\tINITED cov: 1\n#4096\tpulse  cov: 1\n#8192: cov: 2 corp: 3\n"
	     "Done 9000 runs in 3 second(s)\n",
	     4096);
	tap_is_int((long long)l.execs, 8192, "executions: the highest progress count");
	tap_ok(l.done && !l.crashed && !*l.signature, "Done: a normal end, no crash");
	fuzzlog_release(&l);

	tap_is_str(
	    signature_of("==1==ERROR: AddressSanitizer: SEGV on unknown address 0x000 (pc 0x1 T0)\n"
			 "==1==The signal is caused by a WRITE memory access.\n"
			 "    #0 0x1 in __interceptor_memcpy (/b/f+0x1)\n"
			 "    #1 0x2 in interp_parse /s/interp.c:10:2\n"),
	    "SEGV WRITE in interp_parse", "SEGV: access from the signal line, interceptor skipped");
	tap_is_str(signature_of("a.c:145:25: runtime error: null pointer passed as argument 2\n"
				"    #0 0x1 in chanmut_write /s/chanmut.c:145:25\n"),
		   "undefined-behavior in chanmut_write", "UBSan with a stack");
	tap_is_str(
	    signature_of("a.c:1:2: runtime error: shift\nSUMMARY: UndefinedBehaviorSanitizer: x\n"),
	    "undefined-behavior", "UBSan without a stack: the kind alone");
	tap_is_str(signature_of("==9== ERROR: libFuzzer: deadly signal\n"
				"    #0 0x1 in __sanitizer_print_stack_trace (/f+0x1)\n"
				"    #1 0x2 in fuzzer::PrintStackTrace() (/f+0x2)\n"
				"    #2 0x3 in __GI_raise signal/../raise.c:50:1\n"
				"    #3 0x4 in abort stdlib/abort.c:79:7\n"
				"    #4 0x5 in interp_run /s/interp.c:9\n"),
		   "deadly-signal in interp_run",
		   "libFuzzer deadly signal: runtime frames skipped");
	tap_is_str(signature_of("==9== ERROR: libFuzzer: timeout after 1200 seconds\n"), "timeout",
		   "timeout");
	tap_is_str(
	    signature_of("==9==ERROR: LeakSanitizer: detected memory leaks\n\n"
			 "Direct leak of 8 byte(s) in 1 object(s) allocated from:\n"
			 "    #0 0x1 in calloc (/f+0x1)\n    #1 0x2 in chanmut_read /s/c.c:1\n"),
	    "memory-leak in chanmut_read", "leak: the allocating function");
	tap_is_str(signature_of(
		       "==1==ERROR: AddressSanitizer: attempting double-free on 0x1 in thread T0:\n"
		       "    #0 0x1 in free (/f+0x1)\n    #1 0x2 in user_free /s/u.c:3\n"),
		   "double-free in user_free", "double free");
	tap_is_str(signature_of("==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n"
				"READ of size 1 at 0x1 thread T0\n"
				"    #0 0x1 in \x1b[31mevil\x07name (/f+0x1)\n"),
		   "heap-use-after-free READ in ?[31mevil?name",
		   "control characters in a frame are replaced");
	tap_is_str(signature_of("INFO: Seed: 3\n#2\tINITED\n"), "", "no report: no signature");

	feed(&l,
	     "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1\n"
	     "READ of size 8 at 0x1 thread T0\n"
	     "    #0 0x55cbd749421b  (/w/build/fuzz-interp-v1+0x5a21b)\n"
	     "    #1 0x55cbd749422b  (/w/build/fuzz-interp-v1+0x5a300)\n"
	     "    #2 0x55cbd749422c  (/w/build/fuzz-interp-v1+0x5a400)\n"
	     "    #3 0x55cbd749422d  (/w/build/fuzz-interp-v1+0x5a500)\n\n"
	     "allocated by thread T0 here:\n    #0 0x1  (/w/build/fuzz-interp-v1+0x1)\n",
	     4096);
	tap_is_str(l.signature, "heap-buffer-overflow READ in fuzz-interp-v1+0x5a21b",
		   "unsymbolized: the module and offset");
	tap_is_str(l.stack_key,
		   "fuzz-interp-v1+0x5a21b | fuzz-interp-v1+0x5a300 | fuzz-interp-v1+0x5a400",
		   "stack key: the first stack's top three frames");
	fuzzlog_release(&l);
	feed(&l, asan_log, 4096);
	tap_is_str(l.stack_key, "refsensor_eval | interp_run",
		   "stack key of a symbolized two-frame stack");
	fuzzlog_release(&l);
	return tap_done();
}
