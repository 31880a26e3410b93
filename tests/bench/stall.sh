#!/bin/sh
# stall.sh - `make bench`'s wedged-neighbour figure (engine/machine.h: one
# machine never holds up another). In a -j 2 run, one trial's QEMU is
# SIGSTOPped once its guest has printed its first console bytes; the other
# trial boots 3 times to a crash beside it. Pairs of runs, interleaved: one
# with the stop, one without (the waiting and polling are the same in both).
#
# Prints one line per pair, then
#   stall: other_ms=CALM/STOPPED (+GROWTH) detect_ms=CALM/STOPPED wedged=VERDICT@S
# where other_ms is the median of the other trial's boot durations and
# detect_ms the median of its panic-to-verdict latency. A stopped QEMU frees
# a core, so a harness that never waits on it shows no growth at all; the
# stopped one must be judged hang or infra within its deadline (20 s + probe).
#
# usage: stall.sh PAIRS   (from bench.sh, which sets up $BP, $T, write_suite)
PAIRS=${1:-5}
S=$T/stall
mkdir -p "$S"
write_suite "$S/suite.yaml" <<'YAML'
  - {name: wedged, image: silent, sensor: v1, content: good-291, boots: 1, expect: hang,
     boot_timeout: 20, silence_timeout: 10}
  - {name: other, image: linux, sensor: v1, content: bad-291, boots: 3, expect: crash,
     boot_timeout: 120, silence_timeout: 60}
YAML
add_image "$S/suite.yaml" silent 'marker: "bootproof: never printed"'

one() { # MODE RUN -> "MODE other durations... | detect... | wedged verdict"
	setsid "$BP" run -c "$S/suite.yaml" -r "$S/$2" -j 2 wedged other >"$S/$2.tap" 2>&1 &
	sid=$!
	# The wedged trial comes first in the suite: its work directory is .../0/.
	until q=$(pgrep -s "$sid" -f 'qemu-system.*/0/qmp\.sock') &&
		[ -s "$(ls "$S/$2"/*/wedged/boot-1.log 2>/dev/null | head -1)" ]; do
		kill -0 "$sid" 2>/dev/null || break
		sleep 0.05
	done
	# shellcheck disable=SC2086 # $q: the pids pgrep found, split on purpose
	[ "$1" = stop ] && [ -n "$q" ] && kill -STOP $q
	wait "$sid"
	J=$S/$2/latest/results.json
	printf '%s %s | %s | %s\n' "$1" \
		"$(jq -r '.scenarios[] | select(.name == "other") | [.boots[].duration_s * 1000 | round] | join(" ")' "$J")" \
		"$(jq -r '.scenarios[] | select(.name == "other") | [.boots[].detect_ms] | join(" ")' "$J")" \
		"$(jq -r '.scenarios[] | select(.name == "wedged") | .boots[0] | "\(.outcome)@\(.duration_s)"' "$J")"
}

for i in $(seq "$PAIRS"); do
	one calm "c$i"
	one stop "s$i"
done >"$S/pairs"
cat "$S/pairs" >&2

col() { # MODE FIELD(1: durations, 2: detect) -> every value, one per line
	grep "^$1 " "$S/pairs" | sed "s/^$1 //" | cut -d'|' -f"$2" | tr ' ' '\n' | grep .
}
calm=$(col calm 1 | median)
stop=$(col stop 1 | median)
dcalm=$(col calm 2 | median)
dstop=$(col stop 2 | median)
wedged=$(grep '^stop ' "$S/pairs" | cut -d'|' -f3 | tr -d ' ' | sort | uniq -c | awk '{ printf "%s%s x%d", sep, $2, $1; sep = "," }')
growth=$(awk -v a="$calm" -v b="$stop" 'BEGIN { printf "%+.0f", b - a }')
echo "stall: other_ms=$calm/$stop ($growth) detect_ms=$dcalm/$dstop wedged=$wedged"
