#!/bin/sh
# lint - make lint as TAP, for make check: one point per tool (shellcheck on
# every shell script, clang-tidy on the harness's C; scripts/lint.sh), each
# skipped when its tool is not installed. make check writes the compile
# database first (build/compile_commands.json).
. "$(dirname "$0")/lib.sh"
for tool in shellcheck clang-tidy; do
	if ! command -v "$tool" >/dev/null; then
		ok 0 "# SKIP $tool not installed (scripts/install-deps.sh)"
		continue
	fi
	"$ROOT/scripts/lint.sh" "$tool" >"$T/$tool" 2>&1
	ok $? "$tool: no findings"
	grep -q 'clean$' "$T/$tool" || diag "$(head -40 "$T/$tool")"
done
done_testing
