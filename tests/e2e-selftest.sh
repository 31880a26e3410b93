#!/bin/sh
# e2e-selftest - `bootproof selftest` under a real QEMU, no Windows: the
# selftest stand-in (tests/winguest/selftest-efi.c) comes up like Windows
# (SAC's line on COM1, the marker on COM2) and bugchecks as a Windows image
# set up with CrashOnCtrlScroll and NMICrashDump does, on right-Ctrl +
# Scroll Lock twice (QMP send-key: 0xE2) and on an NMI (QMP inject-nmi:
# 0x80): every source it has (EMS console, pvpanic, QEMU's win-dmp of its
# VMCOREINFO note) sees both crashes, exit 0, also as a libvirt domain on a
# host that cannot see the harness's files (disks=upload: the disk goes
# through the host's pool, the win-dmp written there comes back). The
# clean stand-in comes up and ignores both: the sources are named as missed,
# exit 1, within the suite's timeouts. A Linux image, an unknown
# image and a bad command line are usage errors.
. "$(dirname "$0")/lib.sh"
need_winguest

"$ROOT/tests/winguest/build.sh" "$T/win" >"$T/build.log" 2>&1
is "$?" 0 "the stand-in guests build (mingw-w64, mtools)" || diag "$(cat "$T/build.log")"

DEAF_TIMEOUT=30
cat >"$T/suite.yaml" <<YAML
version: 1
images:
  win:
    kind: windows
    disk: $T/win/selftest.qcow2
    memory: 256
  win-deaf:
    kind: windows
    disk: $T/win/clean.qcow2
    memory: 256
  win-loop:
    kind: windows
    disk: $T/win/crash.qcow2
    memory: 256
  linux:
    kind: linux
    kernel: $ROOT/build/images/linux/vmlinux
    initrd: $ROOT/build/images/linux/initrd.img
    disk: $ROOT/build/images/linux/system.qcow2
sensors:
  v1: {module: $ROOT/build/sensor/v1/refsensor.ko}
scenarios:
  - {name: up, image: win, sensor: v1, boots: 1, boot_timeout: 180, expect: clean}
  - {name: deaf, image: win-deaf, sensor: v1, boots: 1, boot_timeout: $DEAF_TIMEOUT,
     silence_timeout: $DEAF_TIMEOUT, expect: clean}
YAML

# --- a stand-in that crashes on demand: every source sees both crashes ---
timeout 900 "$BP" selftest -c "$T/suite.yaml" -r "$T/reports" win >"$T/out" 2>"$T/err"
is "$?" 0 "selftest on the crashing stand-in: exit 0" || diag "$(cat "$T/out" "$T/err")"
grep -q '^ok [0-9]* - ctrl-scroll: trigger: QMP send-key ctrl_r + scroll_lock, twice$' "$T/out"
ok "$?" "ctrl-scroll: the keys went out as QMP send-key"
grep -q '^ok [0-9]* - ctrl-scroll: ems: MANUALLY_INITIATED_CRASH (0xE2)' "$T/out"
ok "$?" "ctrl-scroll: the EMS console showed MANUALLY_INITIATED_CRASH (0xE2)"
grep -q '^ok [0-9]* - ctrl-scroll: pvpanic: GUEST_PANICKED$' "$T/out"
ok "$?" "ctrl-scroll: pvpanic's GUEST_PANICKED"
grep -q '^ok [0-9]* - nmi: trigger: QMP inject-nmi$' "$T/out"
ok "$?" "nmi: the NMI went out as QMP inject-nmi"
grep -q '^ok [0-9]* - nmi: ems: NMI_HARDWARE_FAILURE (0x80)$' "$T/out"
ok "$?" "nmi: the EMS console showed NMI_HARDWARE_FAILURE (0x80)"
grep -q '^ok [0-9]* - nmi: pvpanic: GUEST_PANICKED$' "$T/out"
ok "$?" "nmi: pvpanic's GUEST_PANICKED"
is "$(grep -c '^ok [0-9]* - [a-z-]*: hv-crash # SKIP needs KVM (accelerator: tcg)$' "$T/out")" 2 \
	"hv-crash: skipped under TCG, for both"
grep -q '^ok [0-9]* - ctrl-scroll: dump: host-side win-dmp: MANUALLY_INITIATED_CRASH (0xE2)$' "$T/out"
ok "$?" "ctrl-scroll: QEMU's win-dmp at the panic event says 0xE2"
grep -q '^ok [0-9]* - nmi: dump: host-side win-dmp: NMI_HARDWARE_FAILURE (0x80)$' "$T/out"
ok "$?" "nmi: QEMU's win-dmp at the panic event says 0x80"
for t in ctrl-scroll nmi; do
	[ -s "$T/reports/selftest/win/$t.dmp" ]
	ok "$?" "$t: the dump is kept beside its log"
done
is "$(grep -c '^not ok' "$T/out")" 0 "no check missed"
is "$(grep '^1\.\.' "$T/out")" "1..12" "six checks per trial, the plan after them"
is "$(tail -n 1 "$T/out")" "# selftest win: every source saw both crashes" "the summary"
for t in ctrl-scroll nmi; do
	like "$(cat "$T/reports/selftest/win/$t.log")" 'CLASSNAME="BLUESCREEN"' \
		"$t: the serial log holds the EMS record"
done

# --- the same on a libvirt host: virDomainSendKey, virDomainInjectNMI, its own pool ---
if command -v libvirtd >/dev/null && [ "$(id -u)" = 0 ]; then
	LV=$T/lv
	trap '"$ROOT/scripts/libvirtd-test.sh" stop "$LV" 2>/dev/null; rm -rf "$T"' EXIT
	mkdir -p "$T/reports" # TMPDIR is $T/tmp (lib.sh)
	if uri=$("$ROOT/scripts/libvirtd-test.sh" start "$LV" $((17000 + $$ % 500)) --isolated \
		--hide "$T/win" --hide "$T/tmp" --hide "$T/reports" 2>"$T/lv.err"); then
		timeout 900 "$BP" selftest -c "$T/suite.yaml" -r "$T/reports" --backend libvirt \
			--host "$uri,disks=upload" win >"$T/out" 2>"$T/err"
		is "$?" 0 "selftest on the crashing stand-in as a libvirt domain: exit 0" ||
			diag "$(cat "$T/out" "$T/err")"
		is "$(grep -c '^ok [0-9]* - [a-z-]*: \(ems\|pvpanic\|dump\): ' "$T/out")" 6 \
			"libvirt: EMS, pvpanic and the win-dmp (virDomainCoreDumpWithFormat) saw both crashes"
		is "$(timeout 10 virsh -c "$uri" list --all --name | grep -c .)" 0 "libvirt: no domain left"
		is "$(timeout 10 virsh -c "$uri" vol-list bootproof | awk 'NR > 2 && $1 { print $1 }' | grep -vc '^sha256-')" 0 \
			"libvirt: no volume of the run left in the host's pool (the dumps fetched and deleted)"
	else
		ok 1 "an isolated libvirtd starts"
		diag "$(cat "$T/lv.err")"
	fi
else
	echo "# libvirt part skipped: no libvirtd, or not root"
fi

# --- a stand-in that ignores keys and NMIs: the sources are named, bounded ---
start=$(date +%s)
timeout 900 "$BP" selftest -c "$T/suite.yaml" -r "$T/reports" win-deaf >"$T/out" 2>"$T/err"
is "$?" 1 "selftest on a stand-in that ignores the triggers: exit 1" || diag "$(cat "$T/out" "$T/err")"
took=$(($(date +%s) - start))
# two boots to the marker plus two crash phases of boot_timeout each, and slack for a loaded host
ok "$([ "$took" -lt $((4 * DEAF_TIMEOUT + 120)) ]; echo $?)" \
	"it does not hang: ${took} s, bounded by the suite's timeouts"
is "$(grep -c '^ok [0-9]* - [a-z-]*: comes up: the boot-complete marker$' "$T/out")" 2 \
	"it comes up both times"
is "$(tail -n 1 "$T/out")" \
	"# selftest win-deaf: 6 of 12 checks missed the crash: ctrl-scroll ems, ctrl-scroll pvpanic, ctrl-scroll dump, nmi ems, nmi pvpanic, nmi dump" \
	"the summary names the sources that missed"
grep -q '^not ok [0-9]* - nmi: ems: no bugcheck on the console' "$T/out"
ok "$?" "a missed source is a not-ok line saying what the image needs"
is "$(qemu_left)" "" "no QEMU left running"
is "$(find "$T/tmp" -mindepth 1 -maxdepth 1 | wc -l)" 0 "its scratch is removed"

# --- an image that bugchecks at every boot never comes up: exit 1, nothing else tried ---
timeout 900 "$BP" selftest -c "$T/suite.yaml" -r "$T/reports" win-loop >"$T/out" 2>"$T/err"
is "$?" 1 "selftest on an image that bugchecks at boot: exit 1" || diag "$(cat "$T/out" "$T/err")"
like "$(grep '^not ok [0-9]* - ctrl-scroll: comes up' "$T/out")" \
	"crash: PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys" "it says how the boot ended"
is "$(grep -c '# SKIP the image did not come up$' "$T/out")" 10 "the other checks are skipped"

# --- QEMU that will not start: infrastructure ---
BOOTPROOF_QEMU=/bin/false "$BP" selftest -c "$T/suite.yaml" -r "$T/reports" win >"$T/out" 2>"$T/err"
is "$?" 3 "QEMU will not start: exit 3"
like "$(tail -n 1 "$T/out")" "(infrastructure failure)" "the summary says so"

# --- refusals ---
"$BP" selftest -c "$T/suite.yaml" linux >"$T/out" 2>"$T/err"
is "$?" 2 "a Linux image: usage error"
like "$(cat "$T/err")" "image 'linux' is of kind linux: the self-test crashes Windows images" \
	"it says why"
"$BP" selftest -c "$T/suite.yaml" nope >"$T/out" 2>"$T/err"
is "$?" 2 "an unknown image: usage error"
like "$(cat "$T/err")" "the suite has no image 'nope'" "it names the image"
"$BP" selftest -c "$T/suite.yaml" >"$T/out" 2>"$T/err"
is "$?" 2 "no image: usage error"
is "$(tail -n 1 "$T/err")" "usage: bootproof selftest -c SUITE [-r REPORTS] [--backend qemu|libvirt [--host URI[,disks=shared|upload]]] IMAGE" \
	"the usage line"
"$BP" selftest -c "$T/suite.yaml" --host qemu:///system win >"$T/out" 2>"$T/err"
is "$?" 2 "--host without --backend libvirt: usage error"

done_testing
