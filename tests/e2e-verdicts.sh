#!/bin/sh
# e2e-verdicts - boot the real reference guest and check each verdict:
# clean (good content), crash with the interpreter's title (bad content on
# sensor v1), and a hang (a marker the guest never prints) caught at its
# deadline. Then `bootproof scan` on the logs those boots saved.
. "$(dirname "$0")/lib.sh"
need_guest

write_suite "$T/suite.yaml" <<'YAML'
  - {name: clean, image: linux, sensor: v1, content: good-291, boots: 2, expect: clean}
  - name: crash
    image: linux
    sensor: v1
    content: bad-291
    boots: 2
    expect: crash
    title: "BUG: unable to handle kernel paging request in refsensor_eval"
  - {name: fixed, image: linux, sensor: v2, content: bad-291, boots: 1, expect: clean,
     log_contains: "refsensor: content error"}
  - {name: hang, image: linux, sensor: v1, content: good-291, boots: 1, expect: hang,
     boot_timeout: 8}
YAML
# The hang scenario's image waits for a marker the guest never prints.
add_image "$T/suite.yaml" silent 'marker: "bootproof: never printed"'
sed -i 's|name: hang, image: linux|name: hang, image: silent|' "$T/suite.yaml"

"$BP" run -c "$T/suite.yaml" -r "$T/reports" >"$T/tap" 2>"$T/err"
is "$?" 0 "run exits 0 when every expectation is met"
J=$T/reports/latest/results.json
ok "$([ -f "$J" ]; echo $?)" "reports/latest/results.json written"
is "$(jq -r .complete "$J")" true "run marked complete"
is "$(jq -r '[.scenarios[].verdict] | join(",")' "$J")" "pass,pass,pass,pass" "every scenario passes"
is "$(jq -r '.scenarios[0].boots | map(.outcome) | join(",")' "$J")" "clean,clean" "good content: clean boots"
is "$(jq -r '.scenarios[1].boots | map(.outcome) | join(",")' "$J")" "crash,crash" "bad content on v1: a crash on every boot"
is "$(jq -r '.scenarios[1].boots[0].title' "$J")" "BUG: unable to handle kernel paging request in refsensor_eval" "crash title names the interpreter function"
is "$(jq -r '.scenarios[1].boots[1].title' "$J")" "BUG: unable to handle kernel paging request in refsensor_eval" "same title on the second boot"
like "$(jq -r '.scenarios[1].boots[0].excerpt' "$J")" "RIP: 0010:refsensor_eval" "crash excerpt holds the report"
is "$(jq -r '.scenarios[1].boots[0] | [.crash_kind, .crash_function, .crash_module, .tainted_oot] | join(",")' "$J")" \
	"page-fault,refsensor_eval,refsensor,true" "the crash's kind, guilty function, module and out-of-tree taint"
is "$(jq -r '.scenarios[2].boots[0].outcome' "$J")" clean "bad content on v2: clean boot"
is "$(jq -r '.scenarios[2].checks[0].ok' "$J")" true "v2 logs the content error"
is "$(jq -r '.scenarios[3].boots[0].outcome' "$J")" hang "missing marker: hang"
like "$(jq -r '.scenarios[3].boots[0].title' "$J")" "no boot-complete marker within 8 s" "hang names its deadline"
d=$(jq -r '.scenarios[3].boots[0].duration_s' "$J")
ok "$(awk -v d="$d" 'BEGIN { exit !(d >= 8 && d < 20) }'; echo $?)" "hang judged at its deadline, not before ($d s)"
is "$(jq -r .accelerator "$J")" "$(jq -r '.scenarios[0].accelerator' "$J")" "accelerator reported"
ok "$(grep -q '^ok [0-9]* - crash: boot 1 crash: BUG: unable to handle kernel paging request in refsensor_eval$' "$T/tap"; echo $?)" "TAP point per boot with the title"
ok "$(grep -q '^1\.\.' "$T/tap"; echo $?)" "TAP plan printed"
ok "$([ -s "$T/reports/latest/results.tap" ]; echo $?)" "results.tap saved"

# bootproof scan on the saved console logs of a crashing and a clean boot.
crashlog=$T/reports/latest/$(jq -r '.scenarios[1].boots[0].log' "$J")
cleanlog=$T/reports/latest/$(jq -r '.scenarios[0].boots[0].log' "$J")
out=$("$BP" scan "$crashlog")
like "$out" "BUG: unable to handle kernel paging request in refsensor_eval	$crashlog:" "scan finds the crash in the saved log"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "scan reports the crash once"
is "$("$BP" scan "$cleanlog")" "" "scan prints nothing for a clean log"

# No QEMU left behind: one with the run's scratch in its command line.
is "$(qemu_left)" "" "no qemu process outlives the run"
is "$(ls -d "$T"/tmp/bootproof-* 2>/dev/null)" "" "the run's scratch directory is gone"
# The check itself finds a QEMU that is left: start one as the harness would.
mkdir -p "$T/tmp/bootproof-leak"
qemu-system-x86_64 -M none -display none -nodefaults \
	-chardev "socket,id=ser0,path=$T/tmp/bootproof-leak/serial.sock,server=on,wait=off" \
	>/dev/null 2>&1 &
leak=$!
sleep 1
is "$(qemu_left)" "$leak " "the leak check finds a qemu left with the scratch in its argv"
kill -KILL "$leak" 2>/dev/null
wait "$leak" 2>/dev/null
done_testing
