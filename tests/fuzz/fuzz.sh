#!/bin/sh
# fuzz.sh - run every libFuzzer target (build/fuzz/fuzz-NAME, from
# tests/fuzz/fuzz-NAME.c) for FUZZ_SECONDS on a scratch copy of its seed
# corpus (tests/fuzz/corpus/NAME/), after replaying every input that once
# crashed it (tests/fuzz/crashes/NAME/). One TAP point per replay set and per
# run. Under `make check` FUZZ_SECONDS is a few seconds: a regression test;
# `make fuzz FUZZ_SECONDS=N` is the real campaign. New crashes are copied to
# tests/fuzz/crashes/NAME/ with libFuzzer's artifact names: fix, then commit
# them as fixtures.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib.sh"
SECS=${FUZZ_SECONDS:-3}
found=0
for bin in "$ROOT"/build/fuzz/fuzz-*; do
	[ -x "$bin" ] || continue
	found=1
	name=${bin##*/fuzz-}
	seeds=$ROOT/tests/fuzz/corpus/$name
	crashes=$ROOT/tests/fuzz/crashes/$name
	mkdir -p "$T/$name/corpus" "$T/$name/art"
	if [ -d "$crashes" ] && [ -n "$(ls -A "$crashes")" ]; then
		"$bin" -runs=0 "$crashes"/* >"$T/$name/replay.log" 2>&1
		st=$?
		ok "$st" "$name: inputs that once crashed it pass"
		[ "$st" -eq 0 ] || diag "$(tail -n 30 "$T/$name/replay.log")"
	fi
	[ -d "$seeds" ] && cp -R "$seeds"/. "$T/$name/corpus/"
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
		"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
		-artifact_prefix="$T/$name/art/" "$T/$name/corpus" >"$T/$name/run.log" 2>&1
	st=$?
	ok "$st" "$name: ${SECS}s of fuzzing from the seed corpus, no crash and no oracle failure"
	if [ "$st" -ne 0 ]; then
		diag "$(grep -E 'ERROR|SUMMARY|oracle|Test unit written' "$T/$name/run.log" | head -n 20)"
		mkdir -p "$crashes" && cp "$T/$name/art/"* "$crashes/" 2>/dev/null
	fi
done
[ "$found" -eq 1 ] || skip_all "no fuzz target built (make fuzzers needs clang and libclang-rt-14-dev)"
done_testing
