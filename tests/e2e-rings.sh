#!/bin/sh
# e2e-rings - staged rings and soaks on the reference guest, with
# scenarios/rings.yaml: as written every ring passes (exit 0) and the
# canary's push soak records the guest's memory after each of its 20 pushes
# (results.json, a line in index.html); with bad content on the canary,
# ring 0 fails at its first trial and the run stops: the canary's queued
# trial and every trial of ring 1 are skipped, with the reason, in TAP,
# JUnit, results.json and the page, and the run exits 1. Last, a push soak
# of bad content, named on the command line though it is in no ring: the
# soak stops at its first crash and the trial fails.
. "$(dirname "$0")/lib.sh"
need_guest

TITLE="BUG: unable to handle kernel paging request in refsensor_eval"
SUITE=$ROOT/scenarios/rings.yaml

schema_ok() { # RESULTS.JSON: valid against docs/results-schema.json
	/usr/bin/python3 - "$ROOT/docs/results-schema.json" "$1" >"$T/jsonschema" 2>&1 <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
errs = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:5]:
    print("/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if errs else 0)
PY
}

# ---- every ring passes ----
"$BP" run -q -j2 -c "$SUITE" -r "$T/pass" >"$T/pass.tap" 2>"$T/pass.err"
is "$?" 0 "all rings pass: exit 0"
J=$T/pass/latest/results.json
is "$(jq -r '[.rings[] | "\(.index):\(.name):\(.state):\(.trials)"] | join(",")' "$J")" \
	"0:canary:passed:2,1:wide:passed:3" "results.json: both rings passed, with their trials"
is "$(jq -r '[.scenarios[] | "\(.name)@\(.ring)"] | join(",")' "$J")" \
	"canary-291@canary,soak-291@canary,wide-291/v1@wide,wide-291/v2@wide,reboots-291@wide" \
	"results.json: each trial's ring"
is "$(jq -r '[.scenarios[] | select(.skipped != null)] | length' "$J")" 0 "nothing skipped"
like "$(cat "$T/pass.tap")" "# ring 0 (canary): every trial passed; ring 1 (wide) starts" \
	"TAP: ring 1 starts once ring 0 passed"
# Ring 1 starts after ring 0's last verdict: its first TAP point comes after ring 0's.
last0=$(grep -n '^ok [0-9]* - soak-291: step 1' "$T/pass.tap" | cut -d: -f1)
first1=$(grep -n '^ok [0-9]* - wide-291' "$T/pass.tap" | head -1 | cut -d: -f1)
ok "$([ -n "$last0" ] && [ -n "$first1" ] && [ "$first1" -gt "$last0" ]; echo $?)" \
	"TAP: ring 1's points after ring 0's"
# The push soak: 20 pushes into one guest, the memory figures after each.
S='.scenarios[] | select(.name == "soak-291")'
is "$(jq -r "$S | .soak | \"\(.unit) \(.planned) \(.done) \(.stopped)\"" "$J")" "push 20 20 count" \
	"soak: 20 of 20 pushes, all done"
is "$(jq -r "$S | .boots | length" "$J")" 1 "soak: one boot"
is "$(jq -r "$S | .boots[0].pushes" "$J")" 20 "soak: the boot took 20 pushes"
is "$(jq -r "$S | [.boots[0].samples[] | select((.mem_available_kib | type) == \"number\" and .mem_available_kib > 0 and (.slab_kib | type) == \"number\" and (.module_bytes | type) == \"number\")] | length" "$J")" \
	20 "soak: 20 samples, each with MemAvailable, Slab and the module's size"
is "$(jq -r "$S | [.boots[0].samples[].n] | join(\",\")" "$J")" \
	"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20" "soak: one sample per push, in order"
is "$(jq -r "$S | .verdict" "$J")" pass "soak: passes"
R='.scenarios[] | select(.name == "reboots-291")'
is "$(jq -r "$R | [.boots[] | \"\(.outcome):\(.samples | length)\"] | join(\",\")" "$J")" \
	"clean:1,clean:1,clean:1" "boot soak: 3 clean boots, one sample each"
H=$T/pass/latest/index.html
points=$(grep -o '<polyline points="[^"]*"' "$H" | head -1 | sed 's/.*points="//; s/"$//' | wc -w)
is "$points" 20 "index.html: the MemAvailable line has a point per push"
ok "$(grep -q '<svg class="trend"' "$H"; echo $?)" "index.html: an inline SVG trend"
ok "$(grep -q 'id="rings"' "$H"; echo $?)" "index.html: the rings table"
schema_ok "$J"
ok $? "results.json validates against docs/results-schema.json"
[ -s "$T/jsonschema" ] && diag "$(cat "$T/jsonschema")"

# ---- the canary crashes: the run stops at ring 0 ----
sed "s|\.\./build/|$ROOT/build/|g; s|\.\./sensor/|$ROOT/sensor/|g" "$SUITE" >"$T/bad.yaml"
# canary-291 gets the bad file: its only boot crashes.
awk '/name: canary-291/ { c = 1 } c && /content: good-291/ { sub(/good-291/, "bad-291"); c = 0 } { print }' \
	"$T/bad.yaml" >"$T/bad2.yaml"
# One job: soak-291 is still queued when the canary's verdict comes.
"$BP" run -q -j1 -c "$T/bad2.yaml" -r "$T/fail" >"$T/fail.tap" 2>"$T/fail.err"
is "$?" 1 "a ring failure: exit 1 (the failure itself)"
J=$T/fail/latest/results.json
REASON="ring 0 (canary) failed: canary-291 crashed: $TITLE"
is "$(jq -r '.scenarios[0].verdict' "$J")" fail "the canary failed"
is "$(jq -r '[.scenarios[1:][] | .skipped] | unique | join("|")' "$J")" "$REASON" \
	"results.json: the queued canary trial and ring 1's are skipped, with the reason"
is "$(jq -r '[.scenarios[1:][] | "\(.verdict)/\(.boots | length)"] | unique | join(",")' "$J")" \
	"null/0" "skipped trials: no verdict, no boots"
is "$(jq -r '[.rings[] | .state] | join(",")' "$J")" "failed,skipped" "results.json: ring 0 failed, ring 1 skipped"
is "$(jq -r '.rings[0].reason' "$J")" "canary-291 crashed: $TITLE" "results.json: ring 0's reason"
is "$(jq -r '"\(.rings[0].failed) \(.rings[0].skipped) \(.rings[1].skipped)"' "$J")" "1 1 3" \
	"results.json: ring counts"
is "$(jq -r '.summary.skipped' "$J")" 4 "results.json: 4 skipped in the summary"
ok "$(grep -q "^ok [0-9]* - soak-291 # SKIP " "$T/fail.tap" && grep -qF -- "- soak-291 # SKIP $REASON" "$T/fail.tap"; echo $?)" \
	"TAP: the canary's queued trial '# SKIP' with the reason"
is "$(grep -c "^ok [0-9]* - [a-z0-9/-]* # SKIP ring 0 (canary) failed: canary-291 crashed: " "$T/fail.tap")" 4 \
	"TAP: four SKIP points"
like "$(cat "$T/fail.tap")" "# ring 0 (canary) failed: canary-291 crashed: $TITLE; the run stops here" \
	"TAP: where the run stopped"
X=$T/fail/latest/junit.xml
is "$(grep -c "<skipped message=\"$REASON\"/>" "$X")" 4 "JUnit: <skipped message=REASON> per skipped trial"
xmllint --noout --schema "$ROOT/docs/junit.xsd" "$X" >"$T/xmllint" 2>&1
ok $? "junit.xml validates against docs/junit.xsd"
H=$T/fail/latest/index.html
is "$(grep -c 'data-verdict="skipped"' "$H")" 4 "index.html: four scenarios in the skipped state"
ok "$(grep -q 'class="ring failed stop"' "$H"; echo $?)" "index.html: the ring where the run stopped"
like "$(cat "$H")" "<b>Skipped</b>, never started: ring 0 (canary) failed: canary-291 crashed: " \
	"index.html: the skip reason"
like "$(cat "$H")" 'ring <code class="ring">wide</code>' "index.html: the ring each trial belongs to"
schema_ok "$J"
ok $? "results.json validates against docs/results-schema.json"
[ -s "$T/jsonschema" ] && diag "$(cat "$T/jsonschema")"
# Re-rendered from results.json, the TAP stream keeps the SKIP points.
"$BP" report -r "$T/fail" --format tap latest >/dev/null 2>&1
is "$(grep -c ' # SKIP ring 0 (canary) failed' "$T/fail/latest/results.tap")" 4 \
	"bootproof report: the re-rendered TAP has the SKIP points"

# ---- a crash mid-soak; a scenario in no ring, named: it runs outside the rollout ----
awk '/^rings:/ { print "  - name: soak-crash\n    image: linux\n    sensor: v1\n    content: good-291\n    steps:\n      - soak: {pushes: 5, content: bad-291}" } { print }' \
	"$T/bad.yaml" >"$T/crash.yaml"
"$BP" run -q -c "$T/crash.yaml" -r "$T/crash" soak-crash >"$T/crash.tap" 2>"$T/crash.err"
is "$?" 1 "a crash mid-soak: exit 1"
J=$T/crash/latest/results.json
is "$(jq -r '[.scenarios[] | .name] | join(",")' "$J")" soak-crash "only the named scenario ran"
is "$(jq -r '.scenarios[0] | "\(.ring) \(.skipped) \(.verdict)"' "$J")" "null null fail" \
	"in no ring, not skipped, failed"
is "$(jq -r '[.rings[] | .state] | join(",")' "$J")" "not_run,not_run" "rings with no trial selected did not run"
is "$(jq -r '.scenarios[0].soak | "\(.done) \(.stopped)"' "$J")" "0 push 1 crash: $TITLE" \
	"the soak stops at the first crash, and says where"
is "$(jq -r '.scenarios[0].boots | map(.outcome) | join(",")' "$J")" crash "one boot, crashed"
ok "$(grep -q "^not ok [0-9]* - soak-crash: step 1: soak: 0 of 5 pushes with memory figures (push 1 crash: " "$T/crash.tap"; echo $?)" \
	"TAP: the soak's check fails"

is "$(qemu_left)" "" "no qemu process outlives the runs"
done_testing
