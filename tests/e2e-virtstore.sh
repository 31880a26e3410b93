#!/bin/sh
# e2e-virtstore - the libvirt storage helpers (harness/backend/libvirt/
# virt-store.h) against a real libvirtd: a second host of its own
# (scripts/libvirtd-test.sh --isolated), driven by tests/t-virtstore.
. "$(dirname "$0")/lib.sh"
[ -x "$BUILD/tests/t-virtstore" ] || skip_all "t-virtstore not built"
command -v libvirtd >/dev/null || skip_all "libvirtd not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root (a mount namespace for the daemon)"

port=$((16600 + $$ % 300))
trap '"$ROOT/scripts/libvirtd-test.sh" stop "$T/lv" 2>/dev/null; rm -rf "$T"' EXIT
uri=$("$ROOT/scripts/libvirtd-test.sh" start "$T/lv" "$port" --isolated) ||
	skip_all "could not start an isolated libvirtd on port $port"
pid=$("$ROOT/scripts/libvirtd-test.sh" pids "$T/lv" | head -n1)

# t-virtstore's own TAP, renumbered into this file's.
BOOTPROOF_VIRT_URI=$uri BOOTPROOF_VIRT_PID=$pid "$BUILD/tests/t-virtstore" >"$T/out" 2>"$T/err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "${line#ok * - }" ;;
	"not ok "*) ok 1 "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T/out"
is "$rc" 0 "t-virtstore exit status"
[ -s "$T/err" ] && diag "$(cat "$T/err")"
is "$(virsh -c "$uri" vol-list bootproof --details 2>/dev/null | grep -c 'sha256-\|trial-\|killed-')" 0 \
	"no volume left in the pool"
done_testing
