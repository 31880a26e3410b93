#!/bin/sh
# build.sh OUT - the Windows stand-in guests for the signal-path test:
# bugcheck-efi.c built with mingw-w64 as \EFI\BOOT\BOOTX64.EFI on a FAT
# disk with the directories a Windows system disk has for the sensor and
# its content: OUT/clean.qcow2 comes up, OUT/crash.qcow2 bugchecks (with
# EMS_FILE's text) at every boot, OUT/crash-vmcoreinfo.qcow2 too, having
# published a VMCOREINFO note for QEMU's win-dmp first; OUT/selftest.qcow2
# comes up and bugchecks when `bootproof selftest` asks (selftest-efi.c). A
# FAT file system without a partition table is what OVMF boots from
# removable media; libguestfs mounts it whole, as it mounts the reference
# Linux guest's disk.
#   EMS_FILE  the COM1 text (default tests/data/windows/ems-bp-0x50.log)
#   MINIDUMP  a dump file put on crash.qcow2 as \Windows\Minidump\120226-01.dmp, as
#             Windows would have written it (a triage dump from tests/mkdump)
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
ems=${EMS_FILE:-$here/../data/windows/ems-bp-0x50.log}
mkdir -p "$out"
# disk NAME [CFLAGS [SOURCE...]]: OUT/NAME.qcow2 booting the stand-in built with CFLAGS
# from SOURCE (default: bugcheck-efi.c and ems.S)
disk() {
	name=$1 cflags=${2:-}
	shift $(($# < 2 ? $# : 2))
	[ $# -gt 0 ] || set -- "$here/bugcheck-efi.c" "$here/ems.S"
	x86_64-w64-mingw32-gcc -O2 -ffreestanding -fno-stack-protector -mno-red-zone -nostdlib \
		-Wall -Wextra -Werror -DEMS_FILE="\"$ems\"" ${cflags:+"$cflags"} -Wl,--subsystem,10 \
		-e efi_main -o "$out/$name.efi" "$@"
	set -- "$name"
	rm -f "$out/$1.img"
	mkfs.vfat -C "$out/$1.img" 16384 >/dev/null
	for d in EFI EFI/BOOT Windows Windows/System32 Windows/System32/drivers \
		Windows/System32/config; do
		mmd -i "$out/$1.img" "::/$d"
	done
	mcopy -i "$out/$1.img" "$out/$1.efi" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$out/$1.img" "$out/SYSTEM" ::/Windows/System32/config/SYSTEM
	if [ "$1" = crash ] && [ -n "${MINIDUMP:-}" ]; then
		mmd -i "$out/$1.img" ::/Windows/Minidump
		mcopy -i "$out/$1.img" "$MINIDUMP" ::/Windows/Minidump/120226-01.dmp
	fi
	qemu-img convert -O qcow2 "$out/$1.img" "$out/$1.qcow2.tmp"
	mv "$out/$1.qcow2.tmp" "$out/$1.qcow2"
	rm -f "$out/$1.img"
}
# The SYSTEM hive the sensor's service is registered in: control set 1, no services.
python3 "$here/regf.py" "$out/SYSTEM"
printf '%s\r\n' 'Windows Registry Editor Version 5.00' '' \
	'[HKEY_LOCAL_MACHINE\SYSTEM\Select]' '"Current"=dword:00000001' '' \
	'[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001]' '' \
	'[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services]' '' >"$out/SYSTEM.reg"
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$out/SYSTEM" "$out/SYSTEM.reg"
disk clean -DSTANDIN_CLEAN
disk crash
# selftest-efi.c: comes up, then bugchecks on right-Ctrl + Scroll Lock twice (0xE2) or an NMI (0x80)
disk selftest "" "$here/selftest-efi.c"
disk crash-vmcoreinfo -DSTANDIN_VMCOREINFO
