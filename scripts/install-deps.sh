#!/bin/sh
# install-deps.sh - install every Debian package bootproof needs, idempotently.
#
# Checks each package with dpkg-query first, so a machine that already has
# everything runs no apt-get at all. As non-root it prints the exact command
# to run instead of trying to escalate.
set -eu

PKGS="build-essential pkg-config
qemu-system-x86 qemu-utils
libyaml-dev libjansson-dev
libguestfs-dev libguestfs-tools guestfs-tools
linux-image-amd64 linux-headers-amd64
busybox-static cpio xz-utils zstd
e2fsprogs
perl
libvirt-daemon-system libvirt-clients libvirt-dev
sqlite3 libsqlite3-dev
jq
chromium libxml2-utils python3-jsonschema
python3-yaml
clang libclang-rt-14-dev
ovmf gcc-mingw-w64-x86-64 mtools dosfstools libwin-hivex-perl
scdoc man-db debhelper dpkg-dev fakeroot zsh
shellcheck
clang-tidy
xorriso libhivex-bin
libpng-dev
osslsigncode openssl mingw-w64-x86-64-dev binutils-mingw-w64-x86-64"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing" >&2
	echo "install-deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
