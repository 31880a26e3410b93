#!/bin/sh
# e2e-winrecovery - Windows' Automatic Repair screen as its own outcome,
# under a real QEMU, no Windows: the stand-in guest with its recovery
# environment (tests/winguest/recovery-efi.c) bugchecks at boots 1 and 2 and
# then sits at an Automatic Repair screen, printing nothing more. With
# `recovery: true` (the BCD elements set offline on its disk) the Windows
# profile judges boot 3 "recovery" from two still, drawn screendumps, keeps
# that screen, and reboot_until_clean stops there: the guest is stuck, a
# manual remediation is needed. The same guest without `recovery:` is judged
# a hang at that boot, as before the outcome existed.
. "$(dirname "$0")/lib.sh"
need_winguest

{ "$ROOT/tests/winguest/build.sh" "$T/win" && "$ROOT/tests/winguest/build-recovery.sh" "$T/win"; } \
	>"$T/build.log" 2>&1
is "$?" 0 "the stand-in with a recovery environment builds" || diag "$(cat "$T/build.log")"

TITLE="PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys"
steps='
    steps:
      - boot: {expect: crash}
      - rollback: good-291
      - reboot_until_clean: 2'
cat >"$T/suite.yaml" <<YAML
version: 1
images:
  win:
    kind: windows
    disk: $T/win/recovery.qcow2
    memory: 256
sensors:
  v1: {module: $ROOT/build/sensor/v1/refsensor.ko}
content:
  bad-291:
    - {file: $ROOT/build/content/c291-bad.sys, as: C-00000291-00000000-00000032.sys}
  good-291:
    - {file: $ROOT/build/content/c291-good.sys, as: C-00000291-00000000-00000033.sys}
scenarios:
  - name: repair
    image: win
    sensor: v1
    content: bad-291
    recovery: true
    boot_timeout: 120
    silence_timeout: 15$steps
  - name: no-repair
    image: win
    sensor: v1
    content: bad-291
    boot_timeout: 120
    silence_timeout: 15$steps
YAML

"$BP" run -q -j 2 -c "$T/suite.yaml" -r "$T/reports" >"$T/tap" 2>"$T/err"
is "$?" 1 "run: the guests never recover, the run fails" || diag "$(cat "$T/tap" "$T/err")"
J=$T/reports/latest/results.json
R='.scenarios[] | select(.name == "repair")'
N='.scenarios[] | select(.name == "no-repair")'
is "$(jq -r "$R | .boots | map(.outcome) | join(\",\")" "$J")" "crash,crash,recovery" \
	"recovery: true: two bugchecks, then the recovery screen's own outcome" ||
	diag "$(jq -r "$R | .boots[] | .title" "$J")"
like "$(jq -r "$R | .boots[2].title" "$J")" "recovery: the guest stopped at its recovery screen" \
	"its title says so"
like "$(jq -r "$R | .boots[2].title" "$J")" "console: 'Automatic Repair'" \
	"and names the recovery screen's words the console showed"
is "$(jq -r "$R | .boots[2].marker_seen" "$J")" false "no marker"
png=$(jq -r "$R | .boots[2].screenshot" "$J")
ok "$([ "$png" != null ] && [ "$(head -c 4 "$T/reports/latest/$png" | od -An -c | tr -d ' ')" = '211PNG' ]; echo $?)" \
	"the recovery screen is kept as the boot's screenshot"
ls "$T/reports/latest/"*/*.first.png >/dev/null 2>&1
ok $((!$?)) "the check's first screendump is not left behind"
is "$(jq -r "$R | .recovery.stuck_at_recovery_boot" "$J")" 3 \
	"reboot_until_clean stops at the recovery boot"
like "$(jq -r "$R | .recovery.summary" "$J")" \
	"not recovered: boot 3 stopped at the recovery screen, manual remediation needed" \
	"the summary: stuck, manual remediation needed"
is "$(jq -r "$R | .verdict" "$J")" fail "the trial fails"
is "$(jq -r "[$R | .boots[0:2][] | .title] | unique | join(\"|\")" "$J")" "$TITLE" \
	"the bugcheck boots keep their crash title"
is "$(jq -r "$N | .boots | map(.outcome) | join(\",\")" "$J")" "crash,crash,hang" \
	"without recovery: the same screen is a hang"
like "$(jq -r "$N | .boots[2].title" "$J")" "hang: no console output" "  with a hang's title"
is "$(jq -r "$N | .recovery.stuck_at_recovery_boot" "$J")" null "  and reboot_until_clean is not stuck"
like "$(cat "$T/tap")" "boot 3 recovery" "the TAP stream names the outcome"
"$BP" report -r "$T/reports" "$T/reports/latest" >/dev/null 2>"$T/report.err"
is "$?" 0 "bootproof report renders the run again (the schema knows the outcome)" ||
	diag "$(cat "$T/report.err")"
grep -q 'problem recovery' "$T/reports/latest/index.html"
ok $? "the HTML report has the recovery boot as a problem of its own"
schema_ok "$J" "results.json valid against docs/results-schema.json (the outcome, stuck_at_recovery_boot)"
if command -v xmllint >/dev/null; then
	xsd_ok "$T/reports/latest/junit.xml" "junit.xml valid against docs/junit.xsd"
fi
grep -q 'not recovered: boot 3 stopped at the recovery screen' "$T/reports/latest/junit.xml"
ok $? "JUnit: the failed recovery check names the stuck boot"

done_testing
