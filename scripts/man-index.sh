#!/bin/sh
# man-index.sh - fill in bootproof(1)'s generated parts, so they cannot drift.
#
#   scripts/man-index.sh BOOTPROOF PAGE.scd... <bootproof.1.scd >bootproof.1.scd-filled
#
# Copies scdoc text from stdin to stdout, replacing
#   a line @COMMANDS@  with one entry per subcommand that `BOOTPROOF help`
#                      lists (its name and summary, and its page if one of
#                      the PAGEs is docs/man/bootproof-NAME.1.scd);
#   @SEE_ALSO@ in a line with every PAGE but bootproof(1) itself, section 1
#                      first, as "*NAME*(SECTION)", comma-separated.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 BOOTPROOF PAGE.scd..." >&2; exit 2; }
bp=$1
shift
pages=
for p; do
	p=${p##*/}
	p=${p%.scd}
	[ "$p" = bootproof.1 ] || pages="$pages $p"
done

# scdoc gives '*', '_' and '\' meaning: a summary shows them as written.
escape() {
	sed 's/[\\*_]/\\&/g'
}

commands() {
	help=$("$bp" help) || { echo "man-index: '$bp help' failed" >&2; exit 1; }
	# The summary lines: two spaces, the name, spaces, the summary.
	printf '%s\n' "$help" | sed -n 's/^  \([a-z][a-z0-9-]*\)  *\(.*\)$/\1 \2/p' |
		while read -r name summary; do
			printf '*%s*\n' "$name"
			printf '\t%s' "$(printf '%s' "$summary" | escape)"
			case " $pages " in
			*" bootproof-$name.1 "*) printf ' See *bootproof-%s*(1).' "$name" ;;
			esac
			printf '\n\n'
		done
}

see_also() {
	list=
	# shellcheck disable=SC2086 # $pages: names without spaces, split on purpose
	for p in $(printf '%s\n' $pages | sort -t. -k2,2 -k1,1); do
		list="$list${list:+, }*${p%.*}*(${p##*.})"
	done
	printf '%s' "$list"
}

while IFS= read -r line; do
	case $line in
	@COMMANDS@) commands ;;
	*@SEE_ALSO@*) printf '%s%s%s\n' "${line%%@SEE_ALSO@*}" "$(see_also)" "${line#*@SEE_ALSO@}" ;;
	*) printf '%s\n' "$line" ;;
	esac
done
