#!/bin/sh
# guest-kver.sh - print the Debian kernel version the reference guest uses:
# the newest /boot/vmlinuz-*-amd64 whose headers are installed, so the sensor
# module is built against exactly the kernel it is loaded into.
set -eu
for k in $(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -rV); do
	if [ -e "/lib/modules/$k/build/Makefile" ]; then
		echo "$k"
		exit 0
	fi
done
echo "guest-kver: no /boot/vmlinuz-*-amd64 with matching linux-headers installed" >&2
exit 1
