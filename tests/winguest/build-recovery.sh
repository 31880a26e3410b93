#!/bin/sh
# build-recovery.sh OUT - the Windows stand-in with its recovery environment
# on (recovery-efi.c): OUT/recovery.qcow2 bugchecks at boots 1 and 2 and
# shows an Automatic Repair screen from boot 3. Needs OUT/SYSTEM from
# tests/winguest/build.sh (run it first). Its FAT volume also holds a BCD
# store at \Boot\BCD (a boot manager naming a default entry), so a
# scenario's `recovery:` can set that entry's elements offline as on a
# Windows disk.
#   EMS_FILE  the COM1 text of the bugcheck boots (as build.sh)
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
ems=${EMS_FILE:-$here/../data/windows/ems-bp-0x50.log}
cc="x86_64-w64-mingw32-gcc -O2 -ffreestanding -fno-stack-protector -mno-red-zone -nostdlib -Wall -Wextra -Werror"
[ -s "$out/SYSTEM" ] || { echo "build-recovery.sh: no $out/SYSTEM (run tests/winguest/build.sh $out first)" >&2; exit 1; }
# bugcheck-efi.c's crashing boot, its entry renamed for recovery-efi.c's efi_main to call.
# shellcheck disable=SC2086 # cc is words
$cc -DEMS_FILE="\"$ems\"" -Defi_main=standin_bugcheck -c -o "$out/re-bugcheck.o" "$here/bugcheck-efi.c"
# shellcheck disable=SC2086
$cc -DEMS_FILE="\"$ems\"" -Wl,--subsystem,10 -e efi_main -o "$out/recovery.efi" \
	"$here/recovery-efi.c" "$out/re-bugcheck.o" "$here/ems.S"
# The BCD store: {bootmgr}'s default (element 23000003) names one entry with no elements yet.
python3 "$here/regf.py" "$out/BCD"
# (hivexregedit makes no parents: every key on the way, in order)
m='HKEY_LOCAL_MACHINE\BCD\Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}'
e='HKEY_LOCAL_MACHINE\BCD\Objects\{6a7b5f3e-0000-4000-8000-b00770000001}'
printf '%s\r\n' 'Windows Registry Editor Version 5.00' '' \
	'[HKEY_LOCAL_MACHINE\BCD\Objects]' '' "[$m]" '' "[$m\Elements]" '' \
	"[$m\Elements\23000003]" \
	'"Element"="{6a7b5f3e-0000-4000-8000-b00770000001}"' '' \
	"[$e]" '' "[$e\Elements]" '' >"$out/BCD.reg"
hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\BCD' "$out/BCD" "$out/BCD.reg"
rm -f "$out/recovery.img"
mkfs.vfat -C "$out/recovery.img" 16384 >/dev/null
for d in EFI EFI/BOOT Boot Windows Windows/System32 Windows/System32/drivers Windows/System32/config; do
	mmd -i "$out/recovery.img" "::/$d"
done
mcopy -i "$out/recovery.img" "$out/recovery.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$out/recovery.img" "$out/SYSTEM" ::/Windows/System32/config/SYSTEM
mcopy -i "$out/recovery.img" "$out/BCD" ::/Boot/BCD
qemu-img convert -O qcow2 "$out/recovery.img" "$out/recovery.qcow2.tmp"
mv "$out/recovery.qcow2.tmp" "$out/recovery.qcow2"
rm -f "$out/recovery.img"
