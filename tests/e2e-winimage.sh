#!/bin/sh
# e2e-winimage - the golden Windows image recipe (images/windows/build.sh)
# without Windows: the answer file it writes (well-formed, and every setting
# the harness relies on), the answer CD's files, its argument errors, and
# the whole install flow under a real QEMU with OVMF, a stand-in setup ISO
# (tests/winguest/setup-iso.sh) passed as the ISO: keys pressed for the CD
# prompt until the guest's first reset, the image renamed into place only
# after the guest's own power-off, an interrupted build (SIGTERM, SIGINT,
# SIGKILL, a host-side quit) leaving no image and no QEMU, and resuming from
# its disk.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
command -v x86_64-w64-mingw32-gcc >/dev/null || skip_all "mingw-w64 not installed"
command -v mcopy >/dev/null || skip_all "mtools not installed"
command -v xorriso >/dev/null || skip_all "xorriso not installed"
command -v xmllint >/dev/null || skip_all "xmllint (libxml2-utils) not installed"
command -v qemu-io >/dev/null || skip_all "qemu-io (qemu-utils) not installed"
[ -r /usr/share/ovmf/OVMF.fd ] || skip_all "ovmf not installed"

W=$ROOT/images/windows/build.sh
export BOOTPROOF_ACCEL=tcg

# ---- the answer file and the scripts ----------------------------------------------

"$W" --unattend "$T/u" >"$T/u.out" 2>&1
is "$?" 0 "--unattend writes the answer file and the CD" || diag "$(cat "$T/u.out")"
X=$T/u/autounattend.xml
xmllint --noout "$X" 2>"$T/xmllint"
is "$?" 0 "autounattend.xml is well-formed XML" || diag "$(cat "$T/xmllint")"
# xp PATH: the text of every node PATH selects (local names: the schema's default namespace)
xp() {
	xmllint --xpath "$1" "$X" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'
}
L="*[local-name()='"
pe="//${L}settings'][@pass='windowsPE']"
is "$(xp "$pe//${L}CreatePartition']/${L}Type']/text()")" "EFI MSR Primary" \
	"windowsPE: EFI, MSR and Windows partitions, in that order"
is "$(xp "$pe//${L}ModifyPartition']/${L}Format']/text()")" "FAT32 NTFS" \
	"windowsPE: the EFI partition FAT32, Windows NTFS"
is "$(xp "$pe//${L}WillWipeDisk']/text()")" "true" "windowsPE: the disk is wiped (GPT anew)"
is "$(xp "$pe//${L}InstallTo']/${L}PartitionID']/text()")" "3" "windowsPE: Windows goes to partition 3"
is "$(xp "$pe//${L}MetaData'][${L}Key']='/IMAGE/INDEX']/${L}Value']/text()")" "1" \
	"windowsPE: image index 1 by default"
is "$(xp "$pe//${L}AcceptEula']/text()")" "true" "windowsPE: EULA accepted"
is "$(xp "count(//${L}ProductKey'])")" "0" "no product key unless one is given"
oobe="//${L}settings'][@pass='oobeSystem']"
is "$(xp "$oobe//${L}OOBE']/*[.='true']/text()" | wc -w)" "7" \
	"oobeSystem: OOBE's screens hidden, machine and user OOBE skipped"
is "$(xp "$oobe//${L}LocalAccount']/${L}Name']/text()")/$(xp "$oobe//${L}LocalAccount']/${L}Group']/text()")" \
	"bootproof/Administrators" "oobeSystem: a local administrator account"
like "$(xp "$oobe//${L}FirstLogonCommands']//${L}CommandLine']/text()")" 'Setup\Scripts\setup.cmd' \
	"first logon runs setup.cmd (if SetupComplete.cmd did not)"
like "$(xp "//${L}settings'][@pass='specialize']//${L}Path']/text()")" '\bootproof\*.cmd %SystemRoot%\Setup\Scripts' \
	"specialize copies the scripts from the answer CD to Setup/Scripts (SetupComplete.cmd)"
is "$(xp "count(//${L}component'][@processorArchitecture!='amd64'])")" "0" "every component is amd64's"

"$W" --unattend "$T/u2" --image-index 3 --product-key ABCDE-12345-FGHIJ-67890-KLMNO >/dev/null 2>&1
is "$(xmllint --xpath "string(//${L}MetaData']/${L}Value'])" "$T/u2/autounattend.xml")" "3" \
	"--image-index selects the image"
is "$(xmllint --xpath "string(//${L}ProductKey']/${L}Key'])" "$T/u2/autounattend.xml")" \
	"ABCDE-12345-FGHIJ-67890-KLMNO" "--product-key goes to UserData"

S=$T/u/bootproof/setup.cmd
ok "$(grep -c "$(printf '\r$')" "$S" | grep -qx "$(wc -l <"$S")"; echo $?)" "setup.cmd has CRLF line ends"
tr -d '\r' <"$S" >"$T/setup.txt"
for want in 'bcdedit /ems {current} on' 'bcdedit /emssettings EMSPORT:1 EMSBAUDRATE:115200' \
	'bcdedit /bootems {bootmgr} on' 'bcdedit /set {default} recoveryenabled No' \
	'bcdedit /set {default} bootstatuspolicy IgnoreAllFailures' 'bcdedit /set testsigning on' \
	'powercfg /h off' 'CrashDumpEnabled /t REG_DWORD /d 3 ' \
	'MinidumpDir /t REG_EXPAND_SZ /d "%%SystemRoot%%\Minidump"' 'AutoReboot /t REG_DWORD /d 1 ' \
	'Overwrite /t REG_DWORD /d 1 ' 'NMICrashDump /t REG_DWORD /d 1 ' \
	'Services\kbdhid\Parameters /v CrashOnCtrlScroll /t REG_DWORD /d 1 ' \
	'Services\i8042prt\Parameters /v CrashOnCtrlScroll /t REG_DWORD /d 1 ' \
	'schtasks /create /f /tn bootproof-marker /sc onstart /ru SYSTEM' \
	'verifier /flags 0x1 /driver refsensor.sys' 'call :driver %1 pvpanic' 'call :driver %1 fwcfg' 'pnputil /add-driver'; do
	ok "$(grep -qF -- "$want" "$T/setup.txt"; echo $?)" "setup.cmd: $want"
done
is "$(grep -v '^rem\|^$\|^:\|^exit\|^call\|^for\|^	\|^)\|^echo no' "$T/setup.txt" | tail -n 1)" "shutdown /s /t 0" \
	"setup.cmd powers the guest off last"
ok "$(grep -q 'CrashControl' "$T/setup.txt" && grep -q 'set CC=HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl' "$T/setup.txt"; echo $?)" \
	"crash control goes to Control/CrashControl"
profile_marker=$(sed -n 's/.*\.default_marker = "\(.*\)",/\1/p' "$ROOT/harness/guest/windows/profile.c")
is "$(tr -d '\r' <"$T/u/bootproof/marker.cmd" | sed -n 's/^echo \(.*\)>COM2$/\1/p')" "$profile_marker" \
	"the startup task writes the profile's default marker to COM2"
like "$(tr -d '\r' <"$T/u/bootproof/SetupComplete.cmd")" 'call "%~dp0setup.cmd"' \
	"SetupComplete.cmd (SYSTEM, after Setup) runs setup.cmd"

xorriso -indev "$T/u/unattend.iso" -find / -type f 2>/dev/null | tr -d "'" | sort >"$T/cdfiles"
is "$(tr '\n' ' ' <"$T/cdfiles")" \
	"/autounattend.xml /bootproof/SetupComplete.cmd /bootproof/marker.cmd /bootproof/setup.cmd " \
	"the answer CD: autounattend.xml at its root, the scripts in bootproof/"
is "$(xorriso -indev "$T/u/unattend.iso" -pvd_info 2>/dev/null | sed -n "s/^Volume Id *: //p")" \
	"BPUNATTEND" "the answer CD's volume id"

# ---- argument errors: exit 2, a message, nothing made ----------------------------

touch "$T/fake.iso" "$T/exists.qcow2"
# refuse WANT-MESSAGE ARGS...: exit 2, the message on stderr, nothing made in $T/a
refuse() {
	want=$1
	shift
	mkdir -p "$T/a"
	"$W" "$@" >"$T/a.out" 2>"$T/a.err"
	rc=$?
	is "$rc/$(ls "$T/a" | wc -l)" "2/0" "refused, nothing made: $*"
	like "$(cat "$T/a.err")" "$want" "  ...saying: $want"
}
refuse "usage:"
refuse "usage:" "$T/fake.iso"
refuse "usage:" "$T/fake.iso" "$T/a/out.qcow2" extra
refuse "ISO '$T/none.iso' is not a readable file" "$T/none.iso" "$T/a/out.qcow2"
refuse "the directory of OUT '$T/nodir/out.qcow2' does not exist" "$T/fake.iso" "$T/nodir/out.qcow2"
refuse "'$T/exists.qcow2' exists: remove it to build it again" "$T/fake.iso" "$T/exists.qcow2"
refuse "virtio-win ISO '$T/none.iso' is not a readable file" "$T/fake.iso" "$T/a/o" --virtio-win "$T/none.iso"
refuse "unknown option '--frob'" "$T/fake.iso" "$T/a/o" --frob
refuse "option '--memory' needs a value" "$T/fake.iso" "$T/a/o" --memory
refuse "--disk-size 'big': a size like 64G or 1T" "$T/fake.iso" "$T/a/o" --disk-size big
refuse "--disk-size '16G': Windows needs at least 32G" "$T/fake.iso" "$T/a/o" --disk-size 16G
refuse "--memory '512': MiB, at least 2048" "$T/fake.iso" "$T/a/o" --memory 512
refuse "--cpus '0': 1 to 99" "$T/fake.iso" "$T/a/o" --cpus 0
refuse "--image-index 'x': 1 to 99" "$T/fake.iso" "$T/a/o" --image-index x
refuse "--product-key 'abc': five groups" "$T/fake.iso" "$T/a/o" --product-key abc
refuse "--password: 1 to 64 of" "$T/fake.iso" "$T/a/o" --password 'a<b&c'
refuse "--timeout '5': seconds, at least 60" "$T/fake.iso" "$T/a/o" --timeout 5
refuse "--accel 'xen': kvm or tcg" "$T/fake.iso" "$T/a/o" --accel xen
refuse "--unattend DIR takes no ISO or OUT" --unattend "$T/a/u" "$T/fake.iso"
BOOTPROOF_ACCEL=fast refuse "BOOTPROOF_ACCEL must be kvm or tcg" "$T/fake.iso" "$T/a/o"
make -s -C "$ROOT" windows-image >"$T/make.out" 2>&1
like "$(cat "$T/make.out")" "make windows-image: set WINDOWS_ISO=" "make windows-image without WINDOWS_ISO: what to set"
like "$(make -s -n -C "$ROOT" windows-image WINDOWS_ISO=/w.iso VIRTIO_WIN_ISO=/v.iso WINDOWS_IMAGE=/o/g.qcow2)" \
	"images/windows/build.sh \"/w.iso\" \"/o/g.qcow2\"" "make windows-image runs the recipe"
like "$(make -s -n -C "$ROOT" windows-image WINDOWS_ISO=/w.iso VIRTIO_WIN_ISO=/v.iso)" \
	'--virtio-win "/v.iso"' "  ...with VIRTIO_WIN_ISO as --virtio-win"

# ---- the install flow, with a stand-in setup ISO ----------------------------------

for v in 0 1 2; do
	"$ROOT/tests/winguest/setup-iso.sh" "$T/setup-$v.iso" "$v" >"$T/iso.log" 2>&1 ||
		{ ok 1 "the stand-in setup ISO ($v) builds"; diag "$(cat "$T/iso.log")"; }
done
ok "$([ -s "$T/setup-0.iso" ] && [ -s "$T/setup-2.iso" ]; echo $?)" "the stand-in setup ISOs build"

# wait_for SECONDS CMD...: until CMD succeeds (0), or the deadline (1)
wait_for() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.5
	done
}
no_qemu() { [ -z "$(qemu_left)" ]; }
com1_has() { # OUT TEXT: the install's COM1 log says TEXT
	[ -f "$1.work/com1.log" ] && tr -d '\r' <"$1.work/com1.log" | grep -qF "$2"
}
leftovers() { # OUT: which of OUT, OUT.partial, OUT.state exist
	for f in "$1" "$1.partial" "$1.state"; do [ -e "$f" ] && printf '%s ' "${f##*/}"; done
}

# 1. A whole install: keys for the CD prompt, Setup's reset, the guest's own power-off.
O=$T/img/one.qcow2
mkdir -p "$T/img"
"$W" "$T/setup-0.iso" "$O" --timeout 600 >"$T/one.out" 2>&1
is "$?" 0 "the install runs to the guest's own power-off" || diag "$(cat "$T/one.out")"
is "$(leftovers "$O")" "one.qcow2 " "OUT is there; no .partial, no .state"
ok "$([ ! -e "$O.work" ] && [ ! -e "$O.lock" ]; echo $?)" "its scratch is gone"
is "$(qemu-img info --output=json "$O" | sed -n 's/.*"format": "\(.*\)".*/\1/p')" "qcow2" "OUT is a qcow2 disk"
like "$(cat "$T/one.out")" "install: the guest restarted (1)" "Setup's first phase ended in a guest reset (a key started it)"
like "$(cat "$T/one.out")" "install: the guest powered itself off" "the end: SHUTDOWN with guest: true"
like "$(cat "$T/one.out")" "accelerator: tcg (BOOTPROOF_ACCEL=tcg)" "the accelerator and why"
is "$(qemu_left)" "" "no QEMU left"

# 2. SIGTERM in the installed system's phase: no OUT, QEMU stopped, then resumed from its disk.
O=$T/img/two.qcow2
cp "$T/setup-2.iso" "$T/setup.iso"
VW=$T/setup-1.iso # a CD standing in for virtio-win's
"$W" "$T/setup.iso" "$O" --virtio-win "$VW" --timeout 600 >"$T/two.out" 2>&1 &
pid=$!
wait_for 180 com1_has "$O" "stand-in setup: phase 2"
ok $? "the install reached its second phase (after Setup's reset)"
like "$(pgrep -af "^qemu-system-x86_64 -name bootproof-winimg .*$T/")" "file=$VW,if=none,id=cd2,media=cdrom" \
	"--virtio-win: a third CD"
is "$(leftovers "$O")" "two.qcow2.partial two.qcow2.state " "while it runs: OUT.partial and OUT.state, no OUT"
phase_is() { [ "$(sed -n 's/^phase=//p' "$1.state")" = "$2" ]; }
wait_for 30 phase_is "$O" disk
ok $? "the state file says Setup's first phase is over"
"$W" "$T/setup.iso" "$O" >"$T/two-b.out" 2>&1
is "$?" 1 "a second build of the same OUT is refused while one runs"
like "$(cat "$T/two-b.out")" "another build of '$O' is running" "  ...saying so"
kill -TERM "$pid"
wait "$pid"
is "$?" 143 "SIGTERM: the build exits 128+15"
wait_for 30 no_qemu
ok $? "SIGTERM: its QEMU is stopped"
is "$(leftovers "$O")" "two.qcow2.partial two.qcow2.state " "SIGTERM: no OUT; the disk and the state kept"
like "$(cat "$T/two.out")" "interrupted: '$O.partial' and '$O.state' are kept" "  ...and it says how to resume"
# a mark on the interrupted disk: the resumed build must keep this disk
qemu-io -f qcow2 -c "write -P 0x5a 1M 64k" "$O.partial" >/dev/null 2>&1
cp "$T/setup-0.iso" "$T/setup.iso"
"$W" "$T/setup.iso" "$O" >"$T/two-x.out" 2>&1
is "$?" 2 "resuming without the install's virtio-win is refused"
like "$(cat "$T/two-x.out")" "was started with virtio-win '$VW', not ''" "  ...saying which"
"$W" "$T/setup.iso" "$O" --virtio-win "$VW" --timeout 600 >"$T/two-r.out" 2>&1
is "$?" 0 "the same command resumes the install to its end" || diag "$(cat "$T/two-r.out")"
like "$(cat "$T/two-r.out")" "resuming the interrupted install in '$O.partial' (phase disk)" "  ...saying it resumes"
ok "$(grep -q 'the guest restarted' "$T/two-r.out"; [ $? -ne 0 ]; echo $?)" \
	"  ...pressing no key past Setup's first phase: the disk boots, no Setup restart"
is "$(leftovers "$O")" "two.qcow2 " "  ...and OUT is there"
qemu-io -f qcow2 -c "read -P 0x5a 1M 64k" "$O" >"$T/qio" 2>&1
is "$?" 0 "OUT is the interrupted install's disk, continued (the mark is on it)" || diag "$(cat "$T/qio")"

# 3. A host-side quit (QEMU killed, not the guest's power-off): no OUT, resumable.
O=$T/img/three.qcow2
cp "$T/setup-1.iso" "$T/setup.iso"
"$W" "$T/setup.iso" "$O" --timeout 600 >"$T/three.out" 2>&1 &
pid=$!
wait_for 180 com1_has "$O" "stand-in setup: phase 1"
ok $? "the install reached Setup's first phase"
# the QEMU alone (not install.py, whose command line names it too)
kill -TERM $(pgrep -f "^qemu-system-x86_64 -name bootproof-winimg .*$T/")
wait "$pid"
is "$?" 1 "a host-side quit: the build fails"
like "$(cat "$T/three.out")" "QEMU was shut down from the host" "  ...saying the guest did not power off"
is "$(leftovers "$O")" "three.qcow2.partial three.qcow2.state " "  ...no OUT; the disk and the state kept"
is "$(sed -n 's/^phase=//p' "$O.state")" "pe" "  ...still in Setup's first phase"
"$W" "$T/setup-0.iso" "$O" >"$T/three-x.out" 2>&1
is "$?" 2 "resuming from another ISO is refused"
like "$(cat "$T/three-x.out")" "is an install from '$T/setup.iso', not '$T/setup-0.iso'" "  ...saying which"

# 4. SIGINT (as from a terminal), then resumed in Setup's first phase: keys again.
/usr/bin/python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
	"$W" "$T/setup.iso" "$O" --timeout 600 >"$T/four.out" 2>&1 &
pid=$!
wait_for 180 sh -c "tr -d '\r' <'$O.work/com1.log' | grep -c 'stand-in setup: phase 1' | grep -qx 2"
ok $? "resumed in Setup's first phase: Setup starts again (a key pressed)"
kill -INT "$pid"
wait "$pid"
is "$?" 130 "SIGINT: the build exits 128+2"
wait_for 30 no_qemu
ok $? "SIGINT: its QEMU is stopped"
is "$(leftovers "$O")" "three.qcow2.partial three.qcow2.state " "SIGINT: no OUT"

# 5. SIGKILL of the build: its QEMU still goes (parent-death signals), no OUT; then resumed.
"$W" "$T/setup.iso" "$O" --timeout 600 >"$T/five.out" 2>&1 &
pid=$!
wait_for 180 sh -c "tr -d '\r' <'$O.work/com1.log' | grep -c 'stand-in setup: phase 1' | grep -qx 3"
ok $? "resumed again"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
wait_for 30 no_qemu
ok $? "SIGKILL: its QEMU is stopped all the same"
is "$(leftovers "$O")" "three.qcow2.partial three.qcow2.state " "SIGKILL: no OUT"
cp "$T/setup-0.iso" "$T/setup.iso"
"$W" "$T/setup.iso" "$O" --timeout 600 >"$T/five-r.out" 2>&1
is "$?" 0 "and the install resumes to its end" || diag "$(cat "$T/five-r.out")"
like "$(cat "$T/five-r.out")" "install: the guest restarted (1)" "  ...through Setup's first phase again"
is "$(leftovers "$O")" "three.qcow2 " "  ...OUT is there, alone"
is "$(qemu_left)" "" "no QEMU left"

done_testing
