#!/bin/sh
# e2e-libvirt-remote - a libvirt host that cannot see the harness's files,
# as a remote host cannot: its own libvirtd in a mount namespace of its own
# (scripts/libvirtd-test.sh --isolated), the harness's images and scratch
# hidden there (--hide), reached as --host URI,disks=upload. The golden
# image, kernel and initrd go into the host's bootproof pool by content
# hash, once; each boot's overlay goes up and comes back down, so what the
# guest wrote (the agent's rollback) and what the harness changed offline
# (the remediation) reach the next boot, and the offline checks read the
# boot's disk. Every expectation of the suite is met (a crash's title, a
# rollback that recovers on its own, one that needs the remediation), boots
# restore golden saves written into the pool; the daemon's QEMU opened only
# pool files; afterwards the pool holds only the content-named files, a
# second run uploads none of them again, a killed harness's volume is swept,
# and no domain is left.
. "$(dirname "$0")/lib.sh"
need_guest
[ "$(id -u)" = 0 ] || skip_all "needs root (the daemon's mount namespace)"
command -v libvirtd >/dev/null && command -v virsh >/dev/null || skip_all "libvirt not installed"
for f in sensor/v1/refsensor.ko content/c291-good.sys content/c291-bad.sys; do
	[ -e "$ROOT/build/$f" ] || skip_all "build/$f not built (make all)"
done
LV=$ROOT/scripts/libvirtd-test.sh
PORT=$((17600 + $$ % 100)) # a range no other test of make check uses
trap '"$LV" stop "$T/lv" 2>>"$T/stop.err"; rm -rf "$T"' EXIT
mkdir -p "$T/tmp" "$T/r" # TMPDIR is $T/tmp (lib.sh): the runs' scratch
U=$("$LV" start "$T/lv" "$PORT" --isolated --hide "$ROOT/build" --hide "$T/tmp" --hide "$T/r" \
	2>"$T/lv.err") || skip_all "no libvirtd: $(cat "$T/lv.err")"
POOL=$T/lv/lib/bootproof # the pool's directory, /var/lib/libvirt/bootproof in there

# The host is blind to the harness's files: it cannot open the images' folder.
like "$(virsh -c "$U" pool-create-as bp-probe dir --target "$ROOT/build/images/linux" 2>&1)" \
	"cannot open directory '$ROOT/build/images/linux'" "the host cannot see the harness's images"
virsh -c "$U" pool-destroy bp-probe >/dev/null 2>&1

rollback_suite "$T/suite.yaml"
domains() { virsh -c "$U" list --all --name 2>/dev/null | grep . | tr '\n' ' '; }
volumes() { virsh -c "$U" vol-list bootproof 2>/dev/null | awk 'NR > 2 && $1 { print $1 }' | sort | tr '\n' ' '; }

# 1. A run on the host: every expectation met, through the pool.
t0=$(date +%s)
"$BP" run -q -c "$T/suite.yaml" -r "$T/r" --backend libvirt --host "$U,slots=2,disks=upload" \
	>"$T/tap1" 2>"$T/err1"
rc=$?
is "$rc" 0 "disks=upload: every expectation met ($(($(date +%s) - t0)) s)"
[ "$rc" -eq 0 ] || diag "$(grep '^not ok' "$T/tap1"; tail -n 20 "$T/err1")"
J=$T/r/latest/results.json
like "$(jq -r '.scenarios[] | select(.name == "race-lost") | .recovery.summary' "$J")" \
	"manual remediation: verified" "  the offline remediation reached the host's next boot"
is "$(jq -r '.scenarios[] | select(.name == "race-won") | .recovery.recovered_without_manual_steps' "$J")" \
	true "  the agent's rollback, written by the guest, came back for the next boot"
like "$(cat "$T/r/latest/crash/boot-1.log")" "RIP: 0010:refsensor_eval" "  the console log holds the oops"
like "$(grep '^# golden saves' "$T/tap1")" "# golden saves: 2 of 2 made" "  a golden save per slot, on the host"
restored=$(jq -r '[.scenarios[].boots[] | select(.restored)] | length' "$J")
ok "$([ "$restored" -gt 0 ]; echo $?)" "  boots restored from them ($restored)"

# What the host's QEMU opened: the files in its command lines (the daemon's log folder).
opened=$(cat "$T"/lv/log/qemu/*.log 2>/dev/null | grep -oE '"filename":"[^"]*"|^-(kernel|initrd) [^ ]*' | sort -u)
like "$opened" "/var/lib/libvirt/bootproof/sha256-" "  the host's QEMU opened the pool's content-named files"
is "$(echo "$opened" | grep -v '/var/lib/libvirt/bootproof/' | tr '\n' ' ')" "" \
	"  and nothing else (none of the harness's images or scratch)"

v1=$(volumes)
is "$(echo "$v1" | tr ' ' '\n' | grep . | grep -v '^sha256-[0-9a-f]\{64\}$' | tr '\n' ' ')" "" \
	"  afterwards the pool holds only content-named files ($(echo "$v1" | wc -w | tr -d ' '))"
ok "$([ "$(echo "$v1" | wc -w)" -ge 3 ]; echo $?)" "  the golden image, the kernel and the initrd among them"
is "$(domains)" "" "  no domain left"
is "$(qemu_left)" "" "  no qemu left"

# 2. Again, with a killed harness's volume there: nothing uploaded twice, the litter swept.
stamp() { for f in "$POOL"/sha256-*; do stat -c '%n %Y %s' "$f"; done; }
stamp >"$T/stamp1"
dead=$(sh -c 'echo $$')
host=$(hostname | tr -- - _)
virsh -c "$U" vol-create-as bootproof "bootproof-v-0123abcd-$host-$dead-1.qcow2" 1M >/dev/null 2>&1
like "$(volumes)" "bootproof-v-0123abcd-" "a gone harness's volume on the host"
"$BP" run -q -c "$T/suite.yaml" -r "$T/r" --backend libvirt --host "$U,disks=upload" crash \
	>"$T/tap2" 2>"$T/err2"
is "$?" 0 "a second run passes"
stamp >"$T/stamp2"
is "$(cat "$T/stamp2")" "$(cat "$T/stamp1")" "  it uploaded nothing the host had (the same files, untouched)"
is "$(volumes)" "$v1" "  the gone harness's volume is swept, nothing of this run's is left"
is "$(domains)" "" "  no domain left"
done_testing
