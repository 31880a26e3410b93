#!/bin/sh
# e2e-windumps - each source's view of a Windows bugcheck, with the stand-in
# EFI guest of e2e-winguest (no Windows): its EMS record on COM1 (serial),
# pvpanic (the event: no code under TCG), QEMU's win-dmp asked for at the
# panic event (the stand-in publishes no VMCOREINFO note: QEMU's refusal is
# that source's view), and a triage dump written by tests/mkdump from the
# documented layout and planted in the disk's \Windows\Minidump before the
# crash boot, copied off the overlay with libguestfs after it and read.
# One disk's dump agrees with the console (0x50 in refsensor.sys), the
# other's names another code and driver (0xD1 in other.sys): the report
# says the sources disagree, and the boot's title stays the console's.
# A third stand-in publishes a VMCOREINFO note through fw_cfg first (as
# virtio-win's fwcfg driver does; the layout of tests/qtest-windmp.py, in a
# real boot): QEMU writes its win-dmp at the panic event and the dump's
# view has the code and parameters planted, read from QEMU's file.
. "$(dirname "$0")/lib.sh"
need_winguest
MKDUMP=$ROOT/build/tests/mkdump
[ -x "$MKDUMP" ] || skip_all "tests not built ($MKDUMP)"

"$MKDUMP" "$T/agree.dmp" 0x50 RefSensor.sys && "$MKDUMP" "$T/other.dmp" 0xD1 other.sys
is "$?" 0 "mkdump writes the triage dumps"
MINIDUMP=$T/agree.dmp "$ROOT/tests/winguest/build.sh" "$T/agree" >"$T/build.log" 2>&1 &&
	MINIDUMP=$T/other.dmp "$ROOT/tests/winguest/build.sh" "$T/other" >>"$T/build.log" 2>&1
is "$?" 0 "the stand-in guests build, each with a dump in \\Windows\\Minidump" ||
	diag "$(cat "$T/build.log")"

TITLE="PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys"
cat >"$T/suite.yaml" <<YAML
version: 1
images:
  agree: {kind: windows, disk: $T/agree/crash.qcow2, memory: 256}
  other: {kind: windows, disk: $T/other/crash.qcow2, memory: 256}
  note: {kind: windows, disk: $T/agree/crash-vmcoreinfo.qcow2, memory: 256}
sensors:
  v1: {module: $ROOT/build/sensor/v1/refsensor.ko}
content:
  bad-291:
    - {file: $ROOT/build/content/c291-bad.sys, as: C-00000291-00000000-00000032.sys}
scenarios:
  - {name: agree, image: agree, sensor: v1, content: bad-291, boots: 2, boot_timeout: 120,
     expect: crash, title: "$TITLE"}
  - {name: other, image: other, sensor: v1, content: bad-291, boots: 1, boot_timeout: 120,
     expect: crash, title: "$TITLE"}
  - {name: note, image: note, sensor: v1, content: bad-291, boots: 1, boot_timeout: 120,
     expect: crash, title: "$TITLE"}
YAML

"$BP" run -q -j 2 -c "$T/suite.yaml" -r "$T/reports" >"$T/tap" 2>"$T/err"
is "$?" 0 "run: every expectation met (the title is the console's)" || diag "$(cat "$T/tap" "$T/err")"
R=$T/reports/latest
J=$R/results.json
B='.scenarios[0].boots[0]'
is "$(jq -r "[$B.sources[].source] | join(\",\")" "$J")" "serial,event,dump,dump" \
	"boot 1: the serial, event, host-side dump and collected dump views"
is "$(jq -r "$B.sources[0] | [.code, .driver, .title] | join(\"|\")" "$J")" \
	"0x50|refsensor.sys|$TITLE" "serial: the console's code, driver and title"
is "$(jq -r "$B.sources[0].parameters | join(\" \")" "$J")" \
	"0xFFFF840500000074 0x0 0xFFFFF8048B58334C 0x2" "serial: the four parameters"
is "$(jq -r "$B.sources[1] | [.code, .note] | map(. // \"null\") | join(\"|\")" "$J")" \
	"null|a panic event without the bugcheck's code (pvpanic)" \
	"event: GUEST_PANICKED came, without the code (pvpanic under TCG)"
is "$(jq -r "$B.sources[2] | [.file, .note] | map(. // \"null\") | join(\"|\")" "$J")" \
	"null|no dump: win-dump: invalid vmcoreinfo note size" \
	"host-side dump: QEMU refused (no VMCOREINFO note), recorded as that source's view"
is "$(jq -r "$B.sources[3] | [.code, .driver, .title, .note] | join(\"|\")" "$J")" \
	"0x50|refsensor.sys|$TITLE|/Windows/Minidump/120226-01.dmp" \
	"collected dump: the planted triage dump read, attributed to refsensor.sys"
f=$(jq -r "$B.sources[3].file" "$J")
is "$f" "agree/boot-1-dumps/120226-01.dmp" "collected dump: copied into the trial's directory"
cmp -s "$R/$f" "$T/agree.dmp"
is "$?" 0 "collected dump: the very bytes planted"
is "$(jq -r "$B.sources_disagree" "$J")" null "the sources agree: no note"
is "$(jq -r ".scenarios[0].boots[1].sources[3].note" "$J")" \
	"no dump: none new on the guest disk" "boot 2: the dump boot 1 collected is not boot 2's"

B='.scenarios[1].boots[0]'
is "$(jq -r "$B.title" "$J")" "$TITLE" "disagreement: the boot's title stays the console's"
is "$(jq -r "$B.sources[3] | [.code, .driver] | join(\"|\")" "$J")" "0xD1|other.sys" \
	"disagreement: the collected dump names 0xD1 in other.sys"
is "$(jq -r "$B.sources_disagree" "$J")" \
	"sources disagree: serial says 0x50, dump 120226-01.dmp says 0xD1; serial says refsensor.sys, dump 120226-01.dmp says other.sys" \
	"disagreement: the note names each source's code and driver"

B='.scenarios[2].boots[0]'
is "$(jq -r "$B.sources[2] | [.code, .file, .title] | join(\"|\")" "$J")" \
	"0x50|note/boot-1.dmp|PAGE_FAULT_IN_NONPAGED_AREA (0x50)" \
	"host-side dump: QEMU wrote its win-dmp at the panic event, read back"
is "$(jq -r "$B.sources[2].parameters | join(\" \")" "$J")" \
	"0xFFFF840500000074 0x0 0xFFFFF8048B58334C 0x2" \
	"host-side dump: the parameters the guest left in KiBugcheckData, exactly"
is "$(head -c 8 "$R/note/boot-1.dmp")" PAGEDU64 "host-side dump: a 64-bit dump file in the trial's directory"
is "$(jq -r "$B.sources_disagree" "$J")" null \
	"host-side dump: it agrees with the console (no driver list in a full dump: no driver to differ)"

H=$R/index.html
like "$(cat "$H")" '<p class="disagree">sources disagree: serial says 0x50, dump 120226-01.dmp says 0xD1' \
	"page: the disagreement"
like "$(cat "$H")" '<a href="agree/boot-1-dumps/120226-01.dmp">dump</a>' "page: a link to the collected dump"
is "$(grep -c '<table class="sources">' "$H")" 4 "page: the sources of every crash boot"
like "$(cat "$H")" '<a href="note/boot-1.dmp">dump</a>' "page: a link to the host-side dump"
is "$(grep -o '<img class="screenshot"' "$H" | wc -l | tr -d ' ')" 4 \
	"page: a screenshot of every bugcheck screen (4 crash boots)"

done_testing
