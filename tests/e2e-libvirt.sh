#!/bin/sh
# e2e-libvirt - the libvirt backend on a real libvirtd (scripts/libvirtd-test.sh:
# its own mount namespace, the project's qemu.conf, TCP on loopback), against
# the direct backend on the same suite: a good and a bad content boot, a
# rollback that recovers on its own and one that needs the offline
# remediation, run through qemu:///system and qemu+tcp://127.0.0.1:PORT/system,
# each with the direct backend's verdicts, outcomes and titles, boots restored
# from golden saves (one per slot); no domain and no QEMU left afterwards. Then
# the daemon is SIGSTOPped under a running (restored) boot: the boot is infra,
# naming the host, within the keepalive bound; the domain it leaves is named,
# and destroyed by the next run.
# Boots are the cost (15-20 s each under TCG through libvirt): every scenario
# is as short as its point allows.
. "$(dirname "$0")/lib.sh"
need_guest
[ "$(id -u)" = 0 ] || skip_all "libvirtd needs root here"
command -v libvirtd >/dev/null && command -v virsh >/dev/null || skip_all "libvirt not installed"
for f in sensor/v1/refsensor.ko content/c291-good.sys content/c291-bad.sys; do
	[ -e "$ROOT/build/$f" ] || skip_all "build/$f not built (make all)"
done

LV=$T/libvirtd
PORT=$((20000 + $$ % 20000))
trap '"$ROOT/scripts/libvirtd-test.sh" stop "$LV" 2>"$T/stop.err"; rm -rf "$T"' EXIT
if ! TCP=$("$ROOT/scripts/libvirtd-test.sh" start "$LV" "$PORT" 2>"$T/start.err"); then
	# Someone else's daemon on qemu:///system: test through TCP alone, to a daemon of ours.
	grep -q "answers on qemu:///system" "$T/start.err" || skip_all "libvirtd would not start: $(cat "$T/start.err")"
	TCP=$("$ROOT/scripts/libvirtd-test.sh" start "$LV" "$PORT" --isolated) ||
		skip_all "libvirtd would not start"
	URIS=$TCP
	echo "# qemu:///system answers for another libvirtd: only $TCP tested"
else
	URIS="qemu:///system $TCP"
fi

rollback_suite "$T/suite.yaml"
add_image "$T/suite.yaml" silent 'marker: "bootproof: never printed"'
cat >>"$T/suite.yaml" <<'YAML'
  - {name: clean, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}
  - {name: hang, image: silent, sensor: v1, content: good-291, boots: 1, expect: hang,
     boot_timeout: 600, silence_timeout: 600}
YAML

# verdicts J: per scenario its verdict, its first and last boots' outcomes and
# titles (how many boots a race takes to recover is the race's) and its summary.
verdicts() {
	jq -r '.scenarios[] | "\(.name) \(.verdict) \(.boots[0].outcome):\(.boots[0].title) \(.boots[-1].outcome):\(.boots[-1].title) \(.recovery.summary // "" | sub("after [0-9]+ boots?"; "after N boots"))"' "$1"
}
domains() { # URI: the bootproof domains defined there (running or not)
	virsh -c "$1" list --all --name 2>/dev/null | grep '^bootproof-' | tr '\n' ' '
}

t0=$(date +%s)
"$BP" run -q -c "$T/suite.yaml" -r "$T/direct" -j2 race-lost race-won clean crash >"$T/direct.tap" 2>"$T/direct.err"
is "$?" 0 "direct backend: every expectation met ($(($(date +%s) - t0)) s)"
verdicts "$T/direct/latest/results.json" >"$T/direct.v"

i=0
for uri in $URIS; do
	i=$((i + 1))
	t0=$(date +%s)
	"$BP" run -q -c "$T/suite.yaml" -r "$T/lv$i" --backend libvirt --host "$uri,slots=2" \
		race-lost race-won clean crash >"$T/lv$i.tap" 2>"$T/lv$i.err"
	rc=$?
	is "$rc" 0 "$uri: every expectation met ($(($(date +%s) - t0)) s)"
	[ "$rc" -eq 0 ] || diag "$(grep '^not ok' "$T/lv$i.tap"; tail -n 20 "$T/lv$i.err")"
	J=$T/lv$i/latest/results.json
	verdicts "$J" >"$T/lv$i.v"
	is "$(cat "$T/lv$i.v")" "$(cat "$T/direct.v")" "$uri: the direct backend's verdicts, outcomes and titles"
	like "$(jq -r '.scenarios[] | select(.name == "race-lost") | .recovery.summary' "$J")" \
		"manual remediation: verified" "$uri: the remediation verified"
	is "$(jq -r '.scenarios[] | select(.name == "race-won") | .recovery.recovered_without_manual_steps' "$J")" \
		true "$uri: the rollback recovered on its own"
	like "$(grep '^# golden saves' "$T/lv$i.tap")" "# golden saves: 2 of 2 made" "$uri: a golden save per slot"
	restored=$(jq -r '[.scenarios[].boots[] | select(.restored)] | length' "$J")
	ok "$([ "$restored" -gt 0 ]; echo $?)" \
		"$uri: boots restored from the golden saves ($restored of $(jq -r '[.scenarios[].boots[]] | length' "$J"))"
	like "$(cat "$T/lv$i/latest/crash/boot-1.log")" "RIP: 0010:refsensor_eval" "$uri: the console log holds the oops"
	is "$(domains "$uri")" "" "$uri: no domain left"
	is "$(qemu_left)" "" "$uri: no qemu left"
done

# ---- the Windows profile through libvirt: OVMF, AHCI, the marker on COM2, screenshots ----
# (the stand-in EFI guest of e2e-winguest.sh, judged the same way)
if command -v x86_64-w64-mingw32-gcc >/dev/null && command -v mcopy >/dev/null &&
	command -v hivexregedit >/dev/null && [ -r /usr/share/ovmf/OVMF.fd ] &&
	"$ROOT/tests/winguest/build.sh" "$T/win" >"$T/win.log" 2>&1; then
	WTITLE="PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys"
	cat >"$T/win.yaml" <<YAML
version: 1
images:
  win: {kind: windows, disk: $T/win/crash.qcow2, memory: 256, backend: libvirt}
  win-up: {kind: windows, disk: $T/win/clean.qcow2, memory: 256, backend: libvirt}
sensors:
  v1: {module: $BUILT/sensor/v1/refsensor.ko}
content:
  bad-291:
    - {file: $BUILT/content/c291-bad.sys, as: C-00000291-00000000-00000032.sys}
scenarios:
  - {name: loop, image: win, sensor: v1, content: bad-291, boots: 2, boot_timeout: 120,
     expect: crash, title: "$WTITLE"}
  - {name: up, image: win-up, sensor: v1, content: bad-291, boots: 1, boot_timeout: 120,
     expect: clean}
YAML
	"$BP" run -q -j2 -c "$T/win.yaml" -r "$T/winrep" --host "$TCP" >"$T/win.tap" 2>"$T/win.err"
	is "$?" 0 "windows (backend: libvirt in the suite): every expectation met"
	J=$T/winrep/latest/results.json
	is "$(jq -r '[.scenarios[0].boots[].title] | unique | join("|")' "$J")" "$WTITLE" \
		"windows: the bugcheck's title, as on the direct backend"
	is "$(jq -r '.scenarios[1].boots[0] | [.outcome, .marker_seen] | join(",")' "$J")" "clean,true" \
		"windows: the marker on COM2 (a second pty console)"
	for n in 0 1; do
		png=$(jq -r ".scenarios[0].boots[$n].screenshot" "$J")
		ok "$([ "$png" != null ] && [ "$(head -c 4 "$T/winrep/latest/$png" | od -An -c | tr -d ' ')" = '211PNG' ]; echo $?)" \
			"windows: boot $((n + 1)): virDomainScreenshot's PNG of the blue screen"
	done
	is "$(domains "$TCP")" "" "windows: no domain left"
else
	echo "# the Windows stand-in guest cannot be built here: its part skipped"
fi

# ---- a host that stops answering: infra within the keepalive bound ----
LPID=$("$ROOT/scripts/libvirtd-test.sh" pids "$LV" | head -n 1)
"$BP" run -q -c "$T/suite.yaml" -r "$T/stopped" -j1 --backend libvirt --host "$TCP" hang \
	>"$T/stopped.tap" 2>"$T/stopped.err" &
bp=$!
n=0
# the trial's domain, not the golden save's build before it
until { grep -q '^# golden saves' "$T/stopped.tap" 2>/dev/null && [ -n "$(domains "$TCP")" ]; } ||
	[ $n -ge 600 ]; do sleep 0.5; n=$((n + 1)); done
ok "$([ -n "$(domains "$TCP")" ]; echo $?)" "the hang scenario's domain runs"
sleep 3
kill -STOP "$LPID"
t0=$(date +%s)
J=$T/stopped/latest/results.json
took=999
n=0
# The verdict comes within the keepalive bound; the run then tries (bounded)
# to destroy the restored domain, which is not autodestroy, on a fresh
# connection: the host is still stopped, so it says it could not.
while kill -0 "$bp" 2>/dev/null && [ $n -lt 240 ]; do
	[ "$took" = 999 ] && [ "$(jq -r '.scenarios[0].boots[0].outcome' "$J" 2>/dev/null)" = infra ] &&
		took=$(($(date +%s) - t0))
	sleep 0.5
	n=$((n + 1))
done
kill -CONT "$LPID"
wait "$bp"
is "$?" 3 "a host that stops answering: the run exits 3 (infra)"
ok "$([ "$took" -le 30 ]; echo $?)" "judged within the keepalive bound ($took s after SIGSTOP)"
is "$(jq -r '.scenarios[0].boots[0].outcome' "$J")" infra "the boot is infra, not a hang"
like "$(jq -r '.scenarios[0].boots[0].title' "$J")" "libvirt host '$TCP' stopped answering (keepalive)" \
	"its title names the host"
like "$(cat "$T/stopped.err")" "may still run on libvirt host '$TCP', which stopped answering" \
	"the run names the restored domain it could not destroy"
# A restored domain is not autodestroy: the next run on this machine destroys it.
"$BP" run -q -c "$T/suite.yaml" -r "$T/after" -j1 --backend libvirt --host "$TCP" clean \
	>"$T/after.tap" 2>"$T/after.err"
is "$?" 0 "the next run on that host: every expectation met"
like "$(cat "$T/after.tap")" "# destroyed domain bootproof-g-" "the next run destroys the domain the lost run left"
is "$(domains "$TCP")" "" "no domain left after it"
n=0
while [ -n "$(qemu_left)" ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
is "$(qemu_left)" "" "no qemu left"
done_testing
