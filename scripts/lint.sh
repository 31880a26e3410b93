#!/bin/sh
# lint.sh [shellcheck|clang-tidy] - `make lint`: shellcheck on every shell
# script of the tree, clang-tidy on every C file of the compile database
# (build/compile_commands.json, which make writes first). Settings are the
# checked-in .shellcheckrc and .clang-tidy, which list the checks not kept and
# why. Two jobs at a time (LINT_JOBS); a tool that is not installed is an
# error, named, so a CI machine without it does not pass silently.
#
# Exit status 0 clean, 1 findings (printed), 2 a tool or the database missing.
set -u
cd "$(dirname "$0")/.." || exit 2
JOBS=${LINT_JOBS:-2}
DB=build/compile_commands.json

# Shell scripts: *.sh, and files whose first line runs sh, dash or bash.
# shellcheck disable=SC2016 # the awk program's $0 is awk's
shell_scripts() {
	find . \( -path ./build -o -path ./reports -o -path ./.git \) -prune -o -type f -name '*.sh' -print
	find . \( -path ./build -o -path ./reports -o -path ./.git -o -path ./tests/fuzz/corpus \
		-o -path ./tests/fuzz/crashes \) -prune -o -type f ! -name '*.sh' -size -1024k -print |
		xargs awk 'FNR == 1 { if ($0 ~ /^#! *\/(usr\/)?bin\/(env +)?(sh|dash|bash)( |$)/) print FILENAME; nextfile }'
}

run_shellcheck() {
	command -v shellcheck >/dev/null || { echo "lint: shellcheck is not installed" >&2; return 2; }
	shell_scripts | sed 's|^\./||' | sort -u | xargs -P "$JOBS" -n 8 shellcheck -f gcc
}

run_clang_tidy() {
	command -v clang-tidy >/dev/null || { echo "lint: clang-tidy is not installed" >&2; return 2; }
	[ -s "$DB" ] || { echo "lint: $DB missing (make $DB)" >&2; return 2; }
	# Every "file" of the database; --quiet drops clang-tidy's per-file summary.
	sed -n 's/.*"file": "\([^"]*\)".*/\1/p' "$DB" |
		xargs -P "$JOBS" -n 2 clang-tidy -p build --quiet 2>&1 |
		grep -v -e '^[0-9]* warnings\? generated\.$' -e '^Suppressed [0-9]* warnings' \
			-e '^Use -header-filter=' -e '^Error while processing'
	# grep exits 1 when nothing was left: no findings.
	[ $? -eq 1 ]
}

status=0
for tool in ${1:-shellcheck clang-tidy}; do
	case $tool in
	shellcheck) run_shellcheck ;;
	clang-tidy) run_clang_tidy ;;
	*) echo "usage: lint.sh [shellcheck|clang-tidy]" >&2; exit 2 ;;
	esac
	r=$?
	[ $r -eq 0 ] && echo "lint: $tool clean" >&2
	[ $r -gt $status ] && status=$r
done
[ $status -le 2 ] || status=1
exit $status
