#!/bin/sh
# compile-commands.sh DIR 'CC FLAGS...' < FILES - a compile_commands.json (the
# JSON compilation database clang-tidy and clangd read) with one entry per C
# file named on stdin, compiled in DIR with CC FLAGS. The Makefile passes its
# own flags (make build/compile_commands.json), so the database is the build's.
set -eu
dir=$1 cmd=$2
json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
sep='['
while IFS= read -r f; do
	[ -n "$f" ] || continue
	printf '%s\n  {"directory": "%s", "file": "%s",\n   "command": "%s -c -o /dev/null %s"}' \
		"$sep" "$(json "$dir")" "$(json "$f")" "$(json "$cmd")" "$(json "$f")"
	sep=','
done
[ "$sep" = ',' ] || printf '['
printf '\n]\n'
