#!/bin/sh
# e2e-settle - a clean live push is judged without a fixed wait (issue 11):
# the sensor declares the console line it prints once it has evaluated a
# pushed file (sensors: evaluated), and the boot is clean as soon as that
# line came; a sensor that declares none waits the scenario's settle_ms; a
# declared line that never comes fails the trial's check, saying so. The
# three suites differ only in that key, so they share one snapshot. Bounds
# are loose on purpose (a settle_ms of 30 s and of 3 s): no tight timing.
. "$(dirname "$0")/lib.sh"
need_guest

EVALUATED='refsensor: /proc/refsensor/load#[0-9]+: [0-9]+ instances: '
suite() { # FILE EVALUATED-KEY SETTLE_MS: v2 rejects the bad file, so the push is clean
	write_suite "$1" <<YAML
  - name: live-clean
    image: linux
    sensor: v2e
    content: good-291
    settle_ms: $3
    steps:
      - deploy: {content: bad-291, mode: live}
      - boot: {expect: clean}
YAML
	sed -i "s|^sensors:|sensors:\n  v2e: {module: $ROOT/build/sensor/v2/refsensor.ko, agent: $ROOT/sensor/agent$2}|" "$1"
}
check() { # RESULTS.JSON: the evaluated check's "ok diag", or "none"
	jq -r '[.scenarios[0].checks[] | select(.name == "the sensor said it evaluated the pushed content")]
		| if length == 0 then "none" else (.[0].ok | tostring) + " " + (.[0].diag // "-") end' "$1"
}
duration() { # RESULTS.JSON: the live boot's duration_s
	jq -r '.scenarios[0].boots[0].duration_s' "$1"
}

suite "$T/line.yaml" ", evaluated: \"$EVALUATED\"" 30000
"$BP" run -c "$T/line.yaml" -r "$T/line" --cache "$T/cache" >"$T/line.tap" 2>&1
is "$?" 0 "evaluated line declared: the run passes"
R=$T/line/latest/results.json
is "$(jq -r '.scenarios[0].boots[0] | [.restored, .live_pushed, .outcome] | join(",")' "$R")" \
	"true,true,clean" "the restored guest took the push, clean"
is "$(check "$R")" "true -" "the sensor said it evaluated the pushed content"
jq -e '.scenarios[0].boots[0].duration_s < 30' "$R" >/dev/null
ok $? "judged on the line, not after settle_ms (30 s)"
like "$(cat "$T/line/latest/$(jq -r '.scenarios[0].boots[0].log' "$R")")" \
	"refsensor: /proc/refsensor/load#1: 3 instances: 1 match, 1 no match, 1 rejected" \
	"the boot log holds the line it was judged on"
diag "with the evaluated line: duration_s $(duration "$R")"

suite "$T/none.yaml" "" 3000
"$BP" run -c "$T/none.yaml" -r "$T/none" --cache "$T/cache" >"$T/none.tap" 2>&1
is "$?" 0 "no evaluated line declared: the run passes"
R=$T/none/latest/results.json
like "$(cat "$T/none.tap")" "reused" "the same snapshot (the pattern is no input of it)"
is "$(check "$R")" "none" "no evaluated check without the key"
jq -e '.scenarios[0].boots[0].duration_s >= 3' "$R" >/dev/null
ok $? "clean only after settle_ms (3 s)"
diag "without it, settle_ms 3000: duration_s $(duration "$R")"

suite "$T/wrong.yaml" ", evaluated: \"refsensor: never printed\"" 500
"$BP" run -c "$T/wrong.yaml" -r "$T/wrong" --cache "$T/cache" >"$T/wrong.tap" 2>&1
is "$?" 1 "a declared line that never comes: the trial fails"
R=$T/wrong/latest/results.json
is "$(jq -r '.scenarios[0].boots[0].outcome' "$R")" "clean" "... the boot itself is clean (no crash)"
like "$(check "$R")" "false sensor 'v2e' printed no console line matching its 'evaluated' pattern 'refsensor: never printed' for 1 pushed file it took, within 500 ms" \
	"... and the check says what is missing"
like "$(cat "$T/wrong.tap")" "not ok 3 - live-clean: the sensor said it evaluated the pushed content" \
	"... in the TAP stream too"
is "$(qemu_left)" "" "no qemu process outlives the runs"
done_testing
