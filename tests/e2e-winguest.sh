#!/bin/sh
# e2e-winguest - the Windows signal path under a real QEMU, no Windows: a
# stand-in EFI application (tests/winguest) that OVMF boots from its disk
# on q35 sends what a bugchecking Windows sends — the marker on COM2, SAC's
# lines and a BLUESCREEN record with the blue-screen text on COM1 (EMS),
# the blue screen on the display, pvpanic, a reset; or, coming up, SAC's
# boot line and the marker on COM2 — and the Windows
# profile judges it as it would Windows: the crash title from the stop-code
# table with the blamed driver, a boot loop across boots, a screenshot of
# every crash.
. "$(dirname "$0")/lib.sh"
need_winguest

"$ROOT/tests/winguest/build.sh" "$T/win" >"$T/build.log" 2>&1
is "$?" 0 "the stand-in guest builds (mingw-w64, mtools)" || diag "$(cat "$T/build.log")"

TITLE="PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys"
cat >"$T/suite.yaml" <<YAML
version: 1
images:
  win:
    kind: windows
    disk: $T/win/crash.qcow2
    memory: 256
  win-up:
    kind: windows
    disk: $T/win/clean.qcow2
    memory: 256
sensors:
  v1: {module: $ROOT/build/sensor/v1/refsensor.ko}
content:
  bad-291:
    - {file: $ROOT/build/content/c291-bad.sys, as: C-00000291-00000000-00000032.sys}
scenarios:
  - name: loop
    image: win
    sensor: v1
    content: bad-291
    boots: 2
    boot_timeout: 120
    expect: crash
    title: "$TITLE"
  - {name: up, image: win-up, sensor: v1, content: bad-291, boots: 1, boot_timeout: 120,
     expect: clean}
  - {name: race, image: win-up, sensor: v1, content: bad-291, boots: 1, boot_timeout: 120,
     expect: clean, race: {agent_delay_ms: 0, sensor_delay_ms: 3000}}
YAML

"$BP" run -q -j 2 --keep -c "$T/suite.yaml" -r "$T/reports" >"$T/tap" 2>"$T/err"
is "$?" 0 "run: every expectation met" || diag "$(cat "$T/tap" "$T/err")"
J=$T/reports/latest/results.json
is "$(jq -r '.scenarios[0].boots | map(.outcome) | join(",")' "$J")" "crash,crash" \
	"a crash on every boot: the boot loop"
is "$(jq -r '[.scenarios[0].boots[].title] | unique | join("|")' "$J")" "$TITLE" \
	"the title: the stop code's name and code from the table, and the driver"
is "$(jq -r '[.scenarios[0].boots[] | .marker_seen] | join(",")' "$J")" "false,false" \
	"a bugcheck at every boot: no marker"
is "$(jq -r '.scenarios[1].boots[0] | [.outcome, .marker_seen] | join(",")' "$J")" "clean,true" \
	"the guest that comes up: its marker on COM2, clean"
is "$(jq -r '[.scenarios[0].boots[] | .crash_kind, .crash_module] | unique | join(",")' "$J")" \
	"bugcheck,refsensor.sys" "a bugcheck blamed on refsensor.sys"
like "$(jq -r '.scenarios[0].boots[0].excerpt' "$J")" 'CLASSNAME="BLUESCREEN"' \
	"the excerpt is the EMS record"
for n in 0 1; do
	png=$(jq -r ".scenarios[0].boots[$n].screenshot" "$J")
	ok "$([ "$png" != null ] && [ "$(head -c 4 "$T/reports/latest/$png" | od -An -c | tr -d ' ')" = '211PNG' ]; echo $?)" \
		"boot $((n + 1)): a PNG of the blue screen"
done
is "$(jq -r '.accelerator' "$J")" tcg "no KVM probe for Windows: TCG"

# The race knobs of a Windows trial: REG_DWORD values of the sensor's service
# key on that trial's own disk (the stand-in's SYSTEM hive), none on the others'.
W=$(jq -r .work_dir "$J")
knobs=
for d in $(find "$W" -name system.qcow2 | sort); do
	rm -f "$T/flat.img" "$T/SYSTEM.out"
	qemu-img convert -O raw "$d" "$T/flat.img" &&
		mcopy -n -i "$T/flat.img" ::/Windows/System32/config/SYSTEM "$T/SYSTEM.out" 2>/dev/null
	p='ControlSet001\Services\refsensor\Parameters'
	knobs="$knobs$(hivexget "$T/SYSTEM.out" "$p" SensorDelayMs 2>/dev/null || echo -)/$(hivexget "$T/SYSTEM.out" "$p" AgentDelayMs 2>/dev/null || echo -) "
done
is "$(echo "$knobs" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')" "-/- -/- 3000/0 " \
	"race on a Windows image: SensorDelayMs 3000, AgentDelayMs 0 in refsensor\\Parameters, on that trial's disk alone"
rm -rf "$W"

done_testing
