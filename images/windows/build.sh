#!/bin/sh
# build.sh - a golden Windows image for bootproof from the user's own
# installation ISO, installed unattended under QEMU.
#
#   images/windows/build.sh ISO OUT [--virtio-win ISO] [OPTION...]
#   images/windows/build.sh --unattend DIR [--virtio-win ISO] [OPTION...]
#
# Options:
#   --virtio-win ISO    virtio-win's driver ISO: its pvpanic and fwcfg (vmcoreinfo)
#                       drivers are installed (pnputil)
#   --disk-size SIZE    the system disk, qcow2 (default 64G; at least 32G)
#   --memory MIB        guest memory (default 4096; at least 2048)
#   --cpus N            vCPUs during the install (default 2)
#   --image-index N     which image of the ISO's install.wim (default 1; `dism
#                       /get-wiminfo` lists them, editions in the order shown)
#   --product-key KEY   a product key for Setup (default none: editions that need
#                       one at Setup want Microsoft's generic key for it)
#   --password WORD     the local administrator account's (user bootproof;
#                       default bootproof)
#   --timeout SECONDS   give up after this long (default 21600: 6 h under TCG)
#   --accel kvm|tcg     skip the KVM probe
#   --unattend DIR      only write the answer file, the setup scripts and the
#                       CD image (DIR/unattend.iso) into DIR, and exit
#
# The machine is the Windows profile's (harness/guest/windows/profile.c):
# UEFI (OVMF, its variables in RAM) on q35, the disk on the chipset's AHCI
# controller (Windows' in-box storahci: no driver disk), no network, plus
# pvpanic and vmcoreinfo for virtio-win's drivers to bind to. ISO is the
# first CD, the answer file (autounattend.xml at the root: Windows Setup
# looks there on every removable drive) the second, virtio-win the third.
# Setup's UEFI CD asks "Press any key to boot from CD or DVD": install.py
# presses keys until the guest's first own reset (windowsPE is done, the
# disk is partitioned and the image applied), then none, so that every
# later start boots the disk.
#
# The answer file (windowsPE: a GPT disk of EFI, MSR and Windows partitions,
# the image, the EULA; specialize: the setup scripts copied from the CD;
# oobeSystem: OOBE skipped, a local administrator) runs bootproof's
# settings as SYSTEM from SetupComplete.cmd (or, if Setup skipped it, at
# the first logon), which powers the guest off when done (setup.cmd below).
# The build ends when QEMU reports SHUTDOWN with "guest": true.
#
# Never a half-written OUT: the disk is OUT.partial, renamed to OUT only
# after the guest's own power-off. OUT.state (next to it) records the
# install's ISOs and phase; a build that was interrupted (a signal, a
# host-side quit, the deadline, a crash of the host) keeps both, and the
# same command continues the install from its disk. SIGINT and SIGTERM stop
# QEMU (install.py) before the script exits.
#
# The KVM probe is the harness's (backend/qemu/accel.h): the reference Linux
# guest's kernel (build/images/linux/vmlinux; BOOTPROOF_PROBE_KERNEL) booted
# under KVM with no root must reach its panic and QEMU exit within a
# deadline (BOOTPROOF_KVM_PROBE_S, default 3 s), else TCG;
# BOOTPROOF_ACCEL=kvm|tcg, or --accel, skips it.
#
# Exit status: 0 built, 2 bad arguments (nothing done), 1 anything else.
set -eu

prog=images/windows/build.sh
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ovmf=/usr/share/ovmf/OVMF.fd
# The Windows profile's default boot-complete marker (profile.c: default_marker).
marker="bootproof: boot complete"

usage() {
	echo "usage: $prog ISO OUT [--virtio-win ISO] [--disk-size SIZE] [--memory MIB] [--cpus N]" \
		"[--image-index N] [--product-key KEY] [--password WORD] [--timeout SECONDS]" \
		"[--accel kvm|tcg] | $prog --unattend DIR [OPTION...]" >&2
	exit 2
}
bad() {
	echo "$prog: $*" >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 1
}
note() {
	echo "$prog: $*" >&2
}

# matches VALUE ERE: the whole of VALUE matches the extended regex
matches() {
	printf '%s\n' "$1" | grep -Eqx -e "$2" && [ "$(printf '%s' "$1" | wc -l)" -eq 0 ]
}
abspath() {
	case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$(pwd)" "$1" ;; esac
}

iso='' out='' virtio='' unattend_dir='' accel=''
disk_size=64G memory=4096 cpus=2 image_index=1 product_key='' password=bootproof timeout=21600
nargs=0
while [ $# -gt 0 ]; do
	case $1 in
	--virtio-win | --disk-size | --memory | --cpus | --image-index | --product-key | --password | \
		--timeout | --accel | --unattend)
		[ $# -ge 2 ] || bad "option '$1' needs a value"
		case $1 in
		--virtio-win) virtio=$2 ;;
		--disk-size) disk_size=$2 ;;
		--memory) memory=$2 ;;
		--cpus) cpus=$2 ;;
		--image-index) image_index=$2 ;;
		--product-key) product_key=$2 ;;
		--password) password=$2 ;;
		--timeout) timeout=$2 ;;
		--accel) accel=$2 ;;
		--unattend) unattend_dir=$2 ;;
		esac
		shift 2
		;;
	-h | --help)
		sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	--) shift; break ;;
	-?*) bad "unknown option '$1'" ;;
	*)
		nargs=$((nargs + 1))
		case $nargs in 1) iso=$1 ;; 2) out=$1 ;; *) usage ;; esac
		shift
		;;
	esac
done
[ $# -eq 0 ] || usage

if [ -n "$unattend_dir" ]; then
	[ "$nargs" -eq 0 ] || bad "--unattend DIR takes no ISO or OUT"
else
	[ "$nargs" -eq 2 ] || usage
	[ -f "$iso" ] && [ -r "$iso" ] || bad "ISO '$iso' is not a readable file"
	[ -n "$out" ] || bad "OUT must not be empty"
	[ -d "$(dirname "$out")" ] || bad "the directory of OUT '$out' does not exist"
	case $out in */) bad "OUT '$out' is a directory, not an image file" ;; esac
	[ ! -e "$out" ] || bad "'$out' exists: remove it to build it again"
fi
[ -z "$virtio" ] || { [ -f "$virtio" ] && [ -r "$virtio" ]; } ||
	bad "virtio-win ISO '$virtio' is not a readable file"
matches "$disk_size" '[1-9][0-9]*[GT]' || bad "--disk-size '$disk_size': a size like 64G or 1T"
case $disk_size in *G) [ "${disk_size%G}" -ge 32 ] || bad "--disk-size '$disk_size': Windows needs at least 32G" ;; esac
matches "$memory" '[1-9][0-9]{3,6}' && [ "$memory" -ge 2048 ] ||
	bad "--memory '$memory': MiB, at least 2048"
matches "$cpus" '[1-9][0-9]?' || bad "--cpus '$cpus': 1 to 99"
matches "$image_index" '[1-9][0-9]?' || bad "--image-index '$image_index': 1 to 99"
[ -z "$product_key" ] || matches "$product_key" '[A-Z0-9]{5}(-[A-Z0-9]{5}){4}' ||
	bad "--product-key '$product_key': five groups of five upper-case letters or digits"
# The password goes into XML and a cmd script: no character either would interpret.
matches "$password" '[A-Za-z0-9._@#+=-]{1,64}' ||
	bad "--password: 1 to 64 of A-Z a-z 0-9 . _ @ # + = -"
matches "$timeout" '[1-9][0-9]*' && [ "$timeout" -ge 60 ] || bad "--timeout '$timeout': seconds, at least 60"
case $accel in "" | kvm | tcg) ;; *) bad "--accel '$accel': kvm or tcg" ;; esac
case ${BOOTPROOF_ACCEL:-} in "" | kvm | tcg) ;; *) bad "BOOTPROOF_ACCEL must be kvm or tcg" ;; esac

for tool in xorriso xmllint qemu-img qemu-system-x86_64 flock; do
	command -v "$tool" >/dev/null || die "'$tool' is not installed (scripts/install-deps.sh)"
done

# ---- the answer file and the scripts ------------------------------------------

crlf() { # the cmd scripts: CRLF, as cmd.exe's labels want
	sed 's/$/\r/'
}

component() { # NAME: a component of the amd64 Windows image, opened
	printf '    <component name="%s" processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">\n' "$1"
}

write_unattend() { # DIR
	{
		cat <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<!-- bootproof golden image (images/windows/build.sh): Microsoft's unattend schema -->
<unattend xmlns="urn:schemas-microsoft-com:unattend" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <settings pass="windowsPE">
XML
		component Microsoft-Windows-International-Core-WinPE
		cat <<'XML'
      <SetupUILanguage><UILanguage>en-US</UILanguage></SetupUILanguage>
      <InputLocale>en-US</InputLocale>
      <SystemLocale>en-US</SystemLocale>
      <UILanguage>en-US</UILanguage>
      <UserLocale>en-US</UserLocale>
    </component>
XML
		component Microsoft-Windows-Setup
		cat <<XML
      <DiskConfiguration>
        <Disk wcm:action="add">
          <DiskID>0</DiskID>
          <WillWipeDisk>true</WillWipeDisk>
          <CreatePartitions>
            <CreatePartition wcm:action="add"><Order>1</Order><Type>EFI</Type><Size>260</Size></CreatePartition>
            <CreatePartition wcm:action="add"><Order>2</Order><Type>MSR</Type><Size>16</Size></CreatePartition>
            <CreatePartition wcm:action="add"><Order>3</Order><Type>Primary</Type><Extend>true</Extend></CreatePartition>
          </CreatePartitions>
          <ModifyPartitions>
            <ModifyPartition wcm:action="add"><Order>1</Order><PartitionID>1</PartitionID><Label>System</Label><Format>FAT32</Format></ModifyPartition>
            <ModifyPartition wcm:action="add"><Order>2</Order><PartitionID>2</PartitionID></ModifyPartition>
            <ModifyPartition wcm:action="add"><Order>3</Order><PartitionID>3</PartitionID><Label>Windows</Label><Letter>C</Letter><Format>NTFS</Format></ModifyPartition>
          </ModifyPartitions>
        </Disk>
        <WillShowUI>OnError</WillShowUI>
      </DiskConfiguration>
      <ImageInstall>
        <OSImage>
          <InstallFrom>
            <MetaData wcm:action="add"><Key>/IMAGE/INDEX</Key><Value>$image_index</Value></MetaData>
          </InstallFrom>
          <InstallTo><DiskID>0</DiskID><PartitionID>3</PartitionID></InstallTo>
          <WillShowUI>OnError</WillShowUI>
        </OSImage>
      </ImageInstall>
      <UserData>
        <AcceptEula>true</AcceptEula>
XML
		[ -z "$product_key" ] ||
			printf '        <ProductKey><Key>%s</Key><WillShowUI>OnError</WillShowUI></ProductKey>\n' "$product_key"
		cat <<'XML'
      </UserData>
    </component>
  </settings>
  <settings pass="specialize">
XML
		component Microsoft-Windows-Shell-Setup
		cat <<'XML'
      <ComputerName>BOOTPROOF</ComputerName>
      <TimeZone>UTC</TimeZone>
    </component>
XML
		component Microsoft-Windows-Deployment
		cat <<'XML'
      <RunSynchronous>
        <RunSynchronousCommand wcm:action="add">
          <Order>1</Order>
          <Description>bootproof: the setup scripts from the answer CD</Description>
          <Path>cmd /c "for %d in (D E F G H I J K L M N O P Q R S T U V W X Y Z) do if exist %d:\bootproof\setup.cmd (mkdir %SystemRoot%\Setup\Scripts &amp; copy /y %d:\bootproof\*.cmd %SystemRoot%\Setup\Scripts\)"</Path>
        </RunSynchronousCommand>
      </RunSynchronous>
    </component>
  </settings>
  <settings pass="oobeSystem">
XML
		component Microsoft-Windows-International-Core
		cat <<'XML'
      <InputLocale>en-US</InputLocale>
      <SystemLocale>en-US</SystemLocale>
      <UILanguage>en-US</UILanguage>
      <UserLocale>en-US</UserLocale>
    </component>
XML
		component Microsoft-Windows-Shell-Setup
		cat <<XML
      <OOBE>
        <HideEULAPage>true</HideEULAPage>
        <HideLocalAccountScreen>true</HideLocalAccountScreen>
        <HideOEMRegistrationScreen>true</HideOEMRegistrationScreen>
        <HideOnlineAccountScreens>true</HideOnlineAccountScreens>
        <HideWirelessSetupInOOBE>true</HideWirelessSetupInOOBE>
        <ProtectYourPC>3</ProtectYourPC>
        <SkipMachineOOBE>true</SkipMachineOOBE>
        <SkipUserOOBE>true</SkipUserOOBE>
      </OOBE>
      <UserAccounts>
        <LocalAccounts>
          <LocalAccount wcm:action="add">
            <Name>bootproof</Name>
            <Group>Administrators</Group>
            <Password><Value>$password</Value><PlainText>true</PlainText></Password>
          </LocalAccount>
        </LocalAccounts>
      </UserAccounts>
      <AutoLogon>
        <Enabled>true</Enabled>
        <Username>bootproof</Username>
        <Password><Value>$password</Value><PlainText>true</PlainText></Password>
        <LogonCount>1</LogonCount>
      </AutoLogon>
      <FirstLogonCommands>
        <SynchronousCommand wcm:action="add">
          <Order>1</Order>
          <Description>bootproof: the settings, if SetupComplete.cmd did not run</Description>
          <CommandLine>cmd /c %SystemRoot%\Setup\Scripts\setup.cmd</CommandLine>
        </SynchronousCommand>
      </FirstLogonCommands>
      <TimeZone>UTC</TimeZone>
    </component>
  </settings>
</unattend>
XML
	} >"$1/autounattend.xml"
}

write_scripts() { # DIR
	mkdir -p "$1/bootproof"
	crlf >"$1/bootproof/SetupComplete.cmd" <<'CMD'
@echo off
rem Windows Setup runs this as SYSTEM once Setup is done, before the first logon.
call "%~dp0setup.cmd"
CMD
	crlf >"$1/bootproof/marker.cmd" <<CMD
@echo off
rem bootproof's boot-complete marker on COM2 (COM1 is the EMS console), at every start.
mode COM2: BAUD=115200 PARITY=N DATA=8 STOP=1 >nul
echo $marker>COM2
CMD
	{
		cat <<'CMD'
@echo off
rem bootproof's settings for a golden image, as SYSTEM (SetupComplete.cmd),
rem then the guest powers itself off: the image build ends there. Once done,
rem a second run (the first logon's) does nothing.
setlocal
set SCRIPTS=%SystemRoot%\Setup\Scripts
set LOG=%SCRIPTS%\bootproof-setup.log
if exist "%SCRIPTS%\bootproof.done" exit /b 0
echo bootproof setup started %DATE% %TIME% >>"%LOG%"
rem EMS/SAC on COM1: the bugcheck record and the blue screen's text
bcdedit /ems {current} on >>"%LOG%" 2>&1
bcdedit /emssettings EMSPORT:1 EMSBAUDRATE:115200 >>"%LOG%" 2>&1
bcdedit /bootems {bootmgr} on >>"%LOG%" 2>&1
rem a crash-looping guest keeps looping, as on July 19 (no WinRE, no repair)
bcdedit /set {default} recoveryenabled No >>"%LOG%" 2>&1
bcdedit /set {default} bootstatuspolicy IgnoreAllFailures >>"%LOG%" 2>&1
rem test-signed sensors load
bcdedit /set testsigning on >>"%LOG%" 2>&1
rem Driver Verifier's special pool for the reference driver: v1's read past its
rem allocation faults on the guard page, as csagent.sys's did (refsensor-win.c)
verifier /flags 0x1 /driver refsensor.sys >>"%LOG%" 2>&1
rem a hibernated NTFS (Fast Startup too) cannot be written offline
powercfg /h off >>"%LOG%" 2>&1
rem crash control: small memory dumps in %SystemRoot%\Minidump, reboot, overwrite
set CC=HKLM\SYSTEM\CurrentControlSet\Control\CrashControl
reg add %CC% /v CrashDumpEnabled /t REG_DWORD /d 3 /f >>"%LOG%" 2>&1
reg add %CC% /v MinidumpDir /t REG_EXPAND_SZ /d "%%SystemRoot%%\Minidump" /f >>"%LOG%" 2>&1
reg add %CC% /v AutoReboot /t REG_DWORD /d 1 /f >>"%LOG%" 2>&1
reg add %CC% /v Overwrite /t REG_DWORD /d 1 /f >>"%LOG%" 2>&1
rem bootproof selftest: an NMI (QMP inject-nmi) bugchecks 0x80,
rem right-Ctrl + Scroll Lock twice (QMP send-key) 0xE2 on USB and PS/2 keyboards
reg add %CC% /v NMICrashDump /t REG_DWORD /d 1 /f >>"%LOG%" 2>&1
reg add HKLM\SYSTEM\CurrentControlSet\Services\kbdhid\Parameters /v CrashOnCtrlScroll /t REG_DWORD /d 1 /f >>"%LOG%" 2>&1
reg add HKLM\SYSTEM\CurrentControlSet\Services\i8042prt\Parameters /v CrashOnCtrlScroll /t REG_DWORD /d 1 /f >>"%LOG%" 2>&1
rem the boot-complete marker, written to COM2 by SYSTEM at every start
mkdir %SystemRoot%\bootproof 2>nul
copy /y "%SCRIPTS%\marker.cmd" %SystemRoot%\bootproof\marker.cmd >>"%LOG%" 2>&1
schtasks /create /f /tn bootproof-marker /sc onstart /ru SYSTEM /rl highest /tr "%SystemRoot%\bootproof\marker.cmd" >>"%LOG%" 2>&1
rem virtio-win's pvpanic and fwcfg (vmcoreinfo) drivers, when its CD is there
for %%d in (D E F G H I J K L M N O P Q R S T U V W X Y Z) do if exist %%d:\pvpanic\ call :virtio %%d
echo bootproof setup done %DATE% %TIME% >>"%LOG%"
echo done>"%SCRIPTS%\bootproof.done"
shutdown /s /t 0
exit /b 0

rem :virtio DRIVE - virtio-win's pvpanic and fwcfg drivers from its CD at DRIVE
:virtio
call :driver %1 pvpanic
call :driver %1 fwcfg
exit /b 0

rem :driver DRIVE NAME - NAME from the first Windows version directory whose driver installs
:driver
for %%v in (w11 w10 2k25 2k22 2k19 2k16) do (
	if exist %1:\%2\%%v\amd64\%2.inf pnputil /add-driver %1:\%2\%%v\amd64\%2.inf /install >>"%LOG%" 2>&1 && exit /b 0
)
echo no %2 driver from %1: installed >>"%LOG%"
exit /b 0
CMD
	} | crlf >"$1/bootproof/setup.cmd"
}

write_cd() { # DIR: DIR/unattend.iso from DIR's answer file and scripts
	mkdir -p "$1" || die "cannot make '$1'"
	write_unattend "$1"
	xmllint --noout "$1/autounattend.xml" || die "the generated autounattend.xml is not well-formed"
	write_scripts "$1"
	rm -f "$1/unattend.iso"
	mkdir -p "$1/cd"
	cp "$1/autounattend.xml" "$1/cd/"
	rm -rf "$1/cd/bootproof"
	cp -r "$1/bootproof" "$1/cd/"
	xorriso -as mkisofs -quiet -J -r -V BPUNATTEND -o "$1/unattend.iso.tmp" "$1/cd" \
		2>"$1/xorriso.log" || die "xorriso: $(cat "$1/xorriso.log")"
	mv "$1/unattend.iso.tmp" "$1/unattend.iso"
}

if [ -n "$unattend_dir" ]; then
	mkdir -p "$unattend_dir" || die "cannot make '$unattend_dir'"
	write_cd "$unattend_dir"
	exit 0
fi

[ -r "$ovmf" ] || die "OVMF ($ovmf) is not installed (scripts/install-deps.sh)"

# ---- the accelerator: KVM only when it runs a guest to its end ------------------

choose_accel() {
	if [ -n "$accel" ]; then
		why="--accel $accel"
		return
	fi
	if [ -n "${BOOTPROOF_ACCEL:-}" ]; then
		accel=$BOOTPROOF_ACCEL why="BOOTPROOF_ACCEL=$accel"
		return
	fi
	accel=tcg
	kernel=${BOOTPROOF_PROBE_KERNEL:-$root/build/images/linux/vmlinux}
	if [ ! -w /dev/kvm ]; then
		why="no /dev/kvm"
	elif [ ! -r "$kernel" ]; then
		why="no guest kernel to probe kvm with ($kernel: make guest)"
	else
		probe=$work/kvm-probe.serial
		rm -f "$probe"
		if timeout -s KILL "${BOOTPROOF_KVM_PROBE_S:-3}" qemu-system-x86_64 -accel kvm -M microvm \
			-m 256 -smp 1 -nodefaults -no-user-config -display none -no-reboot \
			-serial "file:$probe" -kernel "$kernel" -append "console=ttyS0 panic=-1" \
			>/dev/null 2>&1 && grep -q "Kernel panic - not syncing" "$probe"; then
			accel=kvm why="kvm probe: the guest booted to its end"
		else
			why="kvm probe guest did not finish within ${BOOTPROOF_KVM_PROBE_S:-3} s"
		fi
	fi
}

# ---- the install ----------------------------------------------------------------

out=$(abspath "$out")
iso=$(abspath "$iso")
[ -z "$virtio" ] || virtio=$(abspath "$virtio")
partial=$out.partial
state=$out.state
work=$out.work

exec 9>"$out.lock"
flock -n 9 || die "another build of '$out' is running"

state_get() { # KEY
	sed -n "s/^$1=//p" "$state" | head -n 1
}

if [ -f "$state" ] && [ -f "$partial" ]; then
	[ "$(state_get iso)" = "$iso" ] ||
		bad "'$state' is an install from '$(state_get iso)', not '$iso': remove '$state' and '$partial' to start again"
	[ "$(state_get virtio_win)" = "$virtio" ] ||
		bad "'$state' was started with virtio-win '$(state_get virtio_win)', not '$virtio': remove '$state' and '$partial' to start again"
	note "resuming the interrupted install in '$partial' (phase $(state_get phase))"
else
	rm -rf "$partial" "$state" "$work"
	mkdir -p "$work"
	# the state first: a disk without it is never taken for an install in progress
	printf 'iso=%s\nvirtio_win=%s\nphase=pe\n' "$iso" "$virtio" >"$state.tmp"
	mv "$state.tmp" "$state"
	qemu-img create -q -f qcow2 "$partial" "$disk_size" || die "cannot create '$partial'"
	note "installing from '$iso' into '$partial'"
fi
mkdir -p "$work"
write_cd "$work/unattend"
choose_accel
note "accelerator: $accel ($why)"

# A short directory for the QMP socket (a unix socket path has 108 bytes).
sockdir=$(mktemp -d "${TMPDIR:-/tmp}/bp-winimg.XXXXXX")
set -- qemu-system-x86_64 -name bootproof-winimg -accel "$accel" -M q35 -m "$memory" \
	-smp "$cpus" -nodefaults -no-user-config -display none -device VGA -bios "$ovmf" \
	-rtc base=utc -chardev "socket,id=qmp,path=$sockdir/qmp" -mon chardev=qmp,mode=control -S \
	-chardev "file,id=com1,path=$work/com1.log,append=on" -serial chardev:com1 \
	-device pvpanic -device vmcoreinfo \
	-drive "file=$partial,if=none,id=disk0,format=qcow2" -device ide-hd,drive=disk0,bus=ide.0,bootindex=2 \
	-drive "file=$iso,if=none,id=cd0,media=cdrom,readonly=on" -device ide-cd,drive=cd0,bus=ide.1,bootindex=1 \
	-drive "file=$work/unattend/unattend.iso,if=none,id=cd1,media=cdrom,readonly=on" \
	-device ide-cd,drive=cd1,bus=ide.2
[ -z "$virtio" ] || set -- "$@" -drive "file=$virtio,if=none,id=cd2,media=cdrom,readonly=on" \
	-device ide-cd,drive=cd2,bus=ide.3

started=$(date +%s)
/usr/bin/python3 "$here/install.py" --qmp "$sockdir/qmp" --state "$state" --timeout "$timeout" \
	-- "$@" &
pid=$!
stopped=
trap 'stopped=130; kill -INT "$pid" 2>/dev/null' INT
trap 'stopped=143; kill -TERM "$pid" 2>/dev/null' TERM
rc=0
wait "$pid" || rc=$?
if [ -n "$stopped" ]; then
	# the signal cut the first wait short: wait for QEMU to be stopped
	wait "$pid" 2>/dev/null || :
	rm -rf "$sockdir"
	note "interrupted: '$partial' and '$state' are kept, run the same command to resume"
	exit "$stopped"
fi
trap - INT TERM
rm -rf "$sockdir"
[ "$rc" -eq 0 ] ||
	die "the install did not finish: '$partial' and '$state' are kept, run the same command to resume (log: $work/com1.log)"
sync "$partial"
mv "$partial" "$out"
rm -rf "$state" "$work" "$out.lock"
note "built '$out' in $(($(date +%s) - started)) s ($accel)"
