#!/bin/sh
# build-module.sh - build one version of the reference sensor module.
#
#   sensor/build-module.sh VERSION KVER OUTDIR
#
# Copies the module sources into OUTDIR and runs kbuild there against
# /lib/modules/KVER/build, so each version has its own objects and parallel
# builds of different versions never share a directory. Leaves
# OUTDIR/refsensor.ko. Quiet on success; on failure prints kbuild's output
# and exits non-zero.
set -eu

usage() {
	echo "usage: $0 VERSION KVER OUTDIR" >&2
	exit 2
}

[ $# -eq 3 ] || usage
version=$1
kver=$2
outdir=$3

case $version in
'' | *[!0-9]*) echo "build-module: version '$version' is not a number" >&2; exit 2 ;;
esac
[ -n "$kver" ] || { echo "build-module: empty kernel version (are the linux-headers installed?)" >&2; exit 2; }
kdir=/lib/modules/$kver/build
[ -e "$kdir/Makefile" ] || { echo "build-module: no kernel build tree at '$kdir'" >&2; exit 1; }

srcdir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
absout=$(cd "$outdir" && pwd)

rm -f "$absout/refsensor.ko"
# refsensor.c becomes refsensor-main.c: the module refsensor.o is linked from
# it and the interpreter (Kbuild), and cannot share a name with a part.
mkdir -p "$absout/interp"
cp "$srcdir/refsensor.c" "$absout/refsensor-main.c"
cp "$srcdir/Kbuild" "$absout/"
cp "$srcdir"/interp/interp.c "$srcdir"/interp/*.h "$absout/interp/"

log=$absout/build.log
# A private make: the outer make's MAKEFLAGS (jobserver, V=, -j) would leak
# into kbuild and only add noise for a one-file module.
if ! (
	unset MAKEFLAGS MFLAGS MAKELEVEL
	exec make -C "$kdir" M="$absout" REFSENSOR_VERSION="$version" modules
) >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: building refsensor v$version against $kver failed (log: $log)" >&2
	exit 1
fi
# kbuild prints warnings but still succeeds: the module must build
# warning-clean, and a modpost WARNING (an undefined symbol) means it would
# not load.
if grep -Eq '(refsensor-main|interp)\.c:[0-9]+:[0-9]+: warning:|WARNING:' "$log"; then
	cat "$log" >&2
	rm -f "$absout/refsensor.ko"
	echo "build-module: refsensor v$version has compiler warnings (log: $log)" >&2
	exit 1
fi
if [ ! -s "$absout/refsensor.ko" ]; then
	cat "$log" >&2
	echo "build-module: kbuild succeeded but left no $absout/refsensor.ko" >&2
	exit 1
fi
