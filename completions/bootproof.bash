# bash completion for bootproof(1).
#
# Nothing here names a subcommand or an option: they are read from the
# binary being completed (`bootproof help`, `bootproof CMD --help`), so the
# completion knows exactly what that build knows. What a value or argument
# completes to is chosen by its placeholder in the help text:
#   SUITE          *.yaml and *.yml files (and directories)
#   DIR, REPORTS   directories
#   SCENARIO       the scenario names of the suite (-c, or scenarios.yaml),
#                  from `bootproof validate`
#   RUN, OTHER     run ids in the reports directory (-r, or reports), latest
#   COMMAND        the subcommands
#   a|b|c          those words
#   N, LIST        nothing
#   URI...         nothing (a libvirt URI, its options after ',')
#   anything else  files

# The subcommands `bootproof help` lists: "  NAME   summary".
_bootproof_commands() {
	"$1" help 2>/dev/null | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p'
}

# One line per option of CMD: "NAMES ARG", NAMES comma-separated, ARG the
# placeholder ("" without one, "[X]" for an optional one).
_bootproof_options() {
	"$1" "$2" --help 2>/dev/null | awk '
		/^  -/ {
			names = ""; arg = ""
			for (i = 1; i <= NF; i++) {
				t = $i
				if (t ~ /^-/) {
					sub(/,$/, "", t)
					names = names (names == "" ? "" : ",") t
					if ($i !~ /,$/) {
						if (i < NF && ($(i + 1) ~ /^\[?[A-Z][A-Z0-9_/]*(\[[^ ]*\])?(\.\.\.)?\]?$/ || $(i + 1) ~ /\|/))
							arg = $(i + 1)
						break
					}
				} else break
			}
			print names " " arg
		}'
}

# The placeholders of CMD's positional arguments, in order: the synopsis
# without its options and their values (OPTS: _bootproof_options's lines).
_bootproof_positionals() {
	local takes
	takes=$(printf '%s\n' "$3" | awk '$2 != "" { print $1 }' | tr '\n' ',')
	"$1" "$2" --help 2>/dev/null | sed -n '1s/^usage: bootproof [^ ]*//p' | tr -d '[]' |
		awk -v takes=",$takes" '{
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^-/) { if (index(takes, "," $i ",")) i++; continue }
				if ($i ~ /^[A-Z]/) { sub(/\.\.\.$/, "", $i); print $i }
			}
		}'
}

# The value given to option NAMES (comma-separated) on the command line so far.
_bootproof_value() {
	local names=",$1," i w
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--*=*) [[ $names == *",${w%%=*},"* ]] && printf '%s\n' "${w#*=}" && return ;;
		*)
			# bash splits "--suite=x" into "--suite" "=" "x" (COMP_WORDBREAKS).
			[ "${COMP_WORDS[i + 1]-}" = = ] && ((i++))
			[[ $names == *",$w,"* ]] && printf '%s\n' "${COMP_WORDS[i + 1]-}" && return
			;;
		esac
	done
	return 1
}

# COMPREPLY for a value of placeholder ARG of command CMD.
_bootproof_complete_value() {
	local bp=$1 cmd=$2 arg=$3 cur=$4 suite reports
	arg=${arg#[}
	arg=${arg%]}
	case $arg in
	# A libvirt URI and its options (URI[,slots=N][,disks=a|b]): no words or files to offer.
	URI*) ;;
	*'|'*) mapfile -t COMPREPLY < <(compgen -W "${arg//|/ }" -- "$cur") ;;
	SUITE)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -X '!*.yaml' -- "$cur"
			compgen -f -X '!*.yml' -- "$cur"
			compgen -d -- "$cur")
		;;
	DIR | REPORTS)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		;;
	SCENARIO)
		suite=$(_bootproof_value "$(_bootproof_options "$bp" "$cmd" | awk '$2 == "SUITE" { print $1 }')") ||
			suite=$(for ((i = 2; i < COMP_CWORD; i++)); do
				case ${COMP_WORDS[i]} in *.yaml | *.yml) echo "${COMP_WORDS[i]}" && break ;; esac
			done)
		[ -n "$suite" ] || suite=scenarios.yaml
		[ -r "$suite" ] || return
		# validate's "trial NAME" lines; NAME/SENSOR also as NAME.
		mapfile -t COMPREPLY < <(compgen -W "$("$bp" validate -c "$suite" 2>/dev/null |
			sed -n 's/^trial //p' | awk '{ print; if (sub(/\/.*/, "")) print }' | sort -u)" -- "$cur")
		;;
	RUN | OTHER)
		reports=$(_bootproof_value "$(_bootproof_options "$bp" "$cmd" | awk '$2 == "DIR" && $1 ~ /reports/ { print $1 }')") ||
			reports=reports
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(
			[ -d "$reports" ] && compgen -W "latest $(cd "$reports" 2>/dev/null &&
				for d in */; do [ -f "$d/results.json" ] && printf '%s ' "${d%/}"; done)" -- "$cur"
			compgen -d -- "$cur")
		;;
	COMMAND) mapfile -t COMPREPLY < <(compgen -W "$(_bootproof_commands "$bp")" -- "$cur") ;;
	N | K/N | LIST | "") ;;
	*)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	esac
}

_bootproof() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local bp=${COMP_WORDS[0]} cmd opts line names arg i w k=0 kinds
	COMPREPLY=()
	# "--suite=x" is "--suite" "=" "x" where '=' breaks words (bash's default).
	if [ "$prev" = = ] && ((COMP_CWORD > 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [ "$cur" = = ]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]} cur=
	fi
	bp=${bp/#\~/$HOME}
	command -v "$bp" >/dev/null 2>&1 || return
	if ((COMP_CWORD == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "$(_bootproof_commands "$bp") --help --version" -- "$cur")
		return
	fi
	cmd=${COMP_WORDS[1]}
	if [ "$cmd" = help ]; then
		((COMP_CWORD == 2)) && _bootproof_complete_value "$bp" "$cmd" COMMAND "$cur"
		return
	fi
	opts=$(_bootproof_options "$bp" "$cmd")
	[ -n "$opts" ] || return

	# A value: --opt=VALUE, or the word after an option that takes one.
	if [[ $cur == --*=* ]]; then
		arg=$(printf '%s\n' "$opts" | awk -v o="${cur%%=*}" '{ n = split($1, a, ","); for (i = 1; i <= n; i++) if (a[i] == o) print $2 }')
		_bootproof_complete_value "$bp" "$cmd" "$arg" "${cur#*=}"
		return
	fi
	arg=$(printf '%s\n' "$opts" | awk -v o="$prev" '{ n = split($1, a, ","); for (i = 1; i <= n; i++) if (a[i] == o) print $2 }')
	if [ -n "$arg" ] && [[ $arg != \[* ]]; then
		_bootproof_complete_value "$bp" "$cmd" "$arg" "$cur"
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(printf '%s\n' "$opts" | cut -d' ' -f1 | tr ',' ' ')" -- "$cur")
		return
	fi

	# A positional argument: count those before it, skipping options and their values.
	# A suite given with its option is no longer a positional one.
	w=
	for line in $(printf '%s\n' "$opts" | awk '$2 == "SUITE" { print $1 }'); do
		_bootproof_value "$line" >/dev/null && w=SUITE
	done
	mapfile -t kinds < <(_bootproof_positionals "$bp" "$cmd" "$opts" | grep -vx "${w:-/}")
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -* ]]; then
			arg=$(printf '%s\n' "$opts" | awk -v o="$w" '{ n = split($1, a, ","); for (j = 1; j <= n; j++) if (a[j] == o) print $2 }')
			[ -n "$arg" ] && [[ $arg != \[* ]] && [[ $w != *=* ]] && ((i++))
			[ "${COMP_WORDS[i]-}" = = ] && ((i++))
		else
			((k++))
		fi
	done
	((${#kinds[@]})) || return
	((k < ${#kinds[@]})) || k=$((${#kinds[@]} - 1))
	_bootproof_complete_value "$bp" "$cmd" "${kinds[k]}" "$cur"
}

complete -F _bootproof bootproof
