#!/bin/sh
# e2e-restore - boot-equivalent restores (engine/disks.h): the demo suite
# (scenarios.yaml) run with every boot restored from its image's pre-mount
# state, and again with --cold, gives the same verdicts, boot outcomes,
# crash titles and checks; the report says which boots were restored.
. "$(dirname "$0")/lib.sh"
need_guest

# The one thing the two runs may differ in: how each boot started.
summary() { # RESULTS.JSON
	jq -r '.scenarios[] | .name as $n |
		"\($n) verdict \(.verdict)",
		(.boots[] | "\($n) boot \(.n) \(.outcome) \(.title // "-")"),
		(.checks[] | "\($n) check \(.ok) \(.name)")' "$1"
}

"$BP" run -c "$ROOT/scenarios.yaml" -r "$T/restored" --cache "$T/cache" -j 2 >"$T/restored.tap" 2>&1
is "$?" 0 "the demo passes with restored boots"
R=$T/restored/latest/results.json
"$BP" run -c "$ROOT/scenarios.yaml" -r "$T/cold" --cold -j 2 >"$T/cold.tap" 2>&1
is "$?" 0 "the demo passes with cold boots"
C=$T/cold/latest/results.json

summary "$R" >"$T/restored.sum"
summary "$C" >"$T/cold.sum"
is "$(diff "$T/cold.sum" "$T/restored.sum")" "" "same verdicts, outcomes, titles and checks restored and cold"
ok "$([ "$(grep -c ' boot ' "$T/cold.sum")" -ge 40 ]; echo $?)" "the comparison covers the demo's boots"

like "$(grep '^# snapshot premount-' "$T/restored.tap")" "built in" "the pre-mount state is built once"
is "$(jq '[.scenarios[].boots[] | select(.restored | not)] | length' "$R")" 0 "every boot of the demo was restored"
is "$(jq '[.scenarios[].boots[] | select(.restored)] | length' "$C")" 0 "no boot restored with --cold"
# A restored boot's console begins at the pre-mount point: no kernel banner.
log=$T/restored/latest/$(jq -r '.scenarios[0].boots[1].log' "$R")
ok "$(! grep -q 'Linux version' "$log"; echo $?)" "a restored boot's log starts after the kernel's boot"
like "$(cat "$log")" "bootproof: boot 2" "and counts its boot on the trial's disk"

# cold: true in the suite keeps a scenario's boots cold.
sed 's/^  - name: good-291-v1$/  - name: good-291-v1\n    cold: true/' "$ROOT/scenarios.yaml" >"$T/cold.yaml"
sed -i "s|build/|$ROOT/build/|g; s|sensor/agent|$ROOT/sensor/agent|g" "$T/cold.yaml"
"$BP" run -c "$T/cold.yaml" -r "$T/one" --cache "$T/cache" good-291-v1 bad-291-v1 >"$T/one.tap" 2>&1
is "$?" 0 "a suite with cold: true runs"
J=$T/one/latest/results.json
is "$(jq -r '[.scenarios[] | "\(.name)=\([.boots[].restored] | unique | join("/"))"] | join(" ")' "$J")" \
	"good-291-v1=false bad-291-v1=true" "cold: true boots that scenario cold, the others restored"

is "$(qemu_left)" "" "no qemu process outlives the runs"
done_testing
