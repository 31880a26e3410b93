#!/bin/sh
# setup-iso.sh OUT.iso [HANG] - a stand-in Windows installation ISO for the
# image recipe's test: setup-efi.c (built with mingw-w64, -DSETUP_HANG=HANG
# when given) as the El Torito EFI boot image, \EFI\BOOT\BOOTX64.EFI on a
# FAT image, which OVMF boots from a CD as it boots Windows Setup's
# efisys.bin; a sources\ directory beside it, as on Windows' ISOs.
set -eu
out=$1
hang=${2:-0}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$out.tmp.d
rm -rf "$tmp"
mkdir -p "$tmp/root/efi" "$tmp/root/sources"
x86_64-w64-mingw32-gcc -O2 -ffreestanding -fno-stack-protector -mno-red-zone -nostdlib \
	-Wall -Wextra -Werror -DSETUP_HANG="$hang" -Wl,--subsystem,10 -e efi_main \
	-o "$tmp/setup.efi" "$here/setup-efi.c"
mkfs.vfat -C "$tmp/root/efi/efiboot.img" 1440 >/dev/null
mmd -i "$tmp/root/efi/efiboot.img" ::/EFI ::/EFI/BOOT
mcopy -i "$tmp/root/efi/efiboot.img" "$tmp/setup.efi" ::/EFI/BOOT/BOOTX64.EFI
echo "stand-in install image" >"$tmp/root/sources/install.txt"
xorriso -as mkisofs -quiet -J -r -V STANDIN_SETUP -e efi/efiboot.img -no-emul-boot \
	-o "$out.tmp" "$tmp/root" 2>"$tmp/xorriso.log" || { cat "$tmp/xorriso.log" >&2; exit 1; }
mv "$out.tmp" "$out"
rm -rf "$tmp"
