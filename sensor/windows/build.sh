#!/bin/sh
# build.sh - build and test-sign the reference Windows driver and its agent.
#
#   sensor/windows/build.sh N OUT.sys
#   sensor/windows/build.sh agent OUT.exe
#
# Compiles sensor/windows/refsensor-win.c and the portable interpreter with
# mingw-w64 for sensor version N (-DREFSENSOR_VERSION=N), links a native
# PE32+ driver whose entry is DriverEntry and whose only imports are
# ntoskrnl.exe's (no libgcc, no msvcrt), and signs it with a self-signed
# code-signing certificate made once in build/sensor/win-cert/ (test signing:
# a Windows that loads it needs `bcdedit /set testsigning on` and the
# certificate in its trusted stores).
#
# `agent` builds the update agent refagent.exe instead: refagent-win.c and
# the portable protocol (sensor/agentproto) as a console-subsystem PE32+
# service program importing from kernel32, advapi32 and msvcrt only,
# signed with the same certificate.
set -eu

v=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cc=${MINGW_CC:-x86_64-w64-mingw32-gcc}
certdir=$root/build/sensor/win-cert
tmp=$(dirname "$out")/tmp.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp" "$certdir"

# The test-signing certificate, once (both halves, so a half-made pair is
# remade), under a lock: parallel make builds the versions side by side, and
# each must be signed with the one certificate.
cert() {
	exec 9>"$certdir/.lock"
	flock 9
	if [ ! -s "$certdir/cert.pem" ] || [ ! -s "$certdir/key.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
			-subj "/CN=bootproof test signing" \
			-addext "keyUsage=critical,digitalSignature" \
			-addext "extendedKeyUsage=codeSigning" \
			-keyout "$certdir/key.pem.tmp" -out "$certdir/cert.pem.tmp" 2>/dev/null
		mv "$certdir/key.pem.tmp" "$certdir/key.pem"
		mv "$certdir/cert.pem.tmp" "$certdir/cert.pem"
	fi
	exec 9>&-
}

# sign UNSIGNED DESCRIPTION: UNSIGNED signed into OUT.
sign() {
	cert
	osslsigncode sign -certs "$certdir/cert.pem" -key "$certdir/key.pem" -h sha256 \
		-n "$2" -in "$1" -out "$tmp/signed" >/dev/null
	mv "$tmp/signed" "$out"
}

if [ "$v" = agent ]; then
	$cc -O2 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -I"$root/sensor/agentproto" -I"$here" \
		-o "$tmp/unsigned.exe" "$here/refagent-win.c" "$root/sensor/agentproto/agentproto.c" \
		-ladvapi32
	sign "$tmp/unsigned.exe" "bootproof refagent"
	exit 0
fi

# Kernel code: no red zone, no stack protector (no __security_cookie),
# no builtins that would become msvcrt calls other than the four string
# functions ntoskrnl exports (memcmp, memcpy, memset, strlen).
cflags="-O2 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-multichar
	-ffreestanding -fno-stack-protector -fno-stack-check -mno-red-zone
	-fno-asynchronous-unwind-tables -fno-builtin -mno-stack-arg-probe
	-D_KERNEL_MODE -DREFSENSOR_VERSION=$v -I$root/sensor/interp
	-I/usr/x86_64-w64-mingw32/include/ddk"
# shellcheck disable=SC2086
$cc $cflags -c -o "$tmp/interp.o" "$root/sensor/interp/interp.c"
# shellcheck disable=SC2086
$cc $cflags -c -o "$tmp/refsensor-win.o" "$here/refsensor-win.c"
$cc -shared -nostdlib -nostartfiles -Wl,--subsystem,native -Wl,--entry,DriverEntry \
	-Wl,--image-base,0x140000000 -Wl,--file-alignment,0x200 \
	-Wl,--section-alignment,0x1000 -Wl,--dynamicbase -Wl,--nxcompat \
	-Wl,--exclude-all-symbols -o "$tmp/unsigned.sys" "$tmp/refsensor-win.o" "$tmp/interp.o" -lntoskrnl -lhal
sign "$tmp/unsigned.sys" "bootproof refsensor v$v"
