#!/bin/sh
# e2e-rollback - rollback tests on the real reference guest (issue 4), six
# trials in one run at -j2:
#   race-lost   v1 crash-looping on bad-291, fix published, the sensor always
#               loads before the agent asks: not recovered within 3 boots, the
#               offline delete is listed as a manual step and verified
#   cut-guard   v3 with a committed good set, bad content deployed offline,
#               a crash, then the power cut at the guard's fault point (its
#               new state written, not yet renamed): the next boot loads the
#               last known good set, whole
#   race-won    the same v1 loop, the agent asks at once and the sensor loads
#               3 s later: recovered on its own, no manual steps
#   guard       v3's crash-loop guard, nothing published: recovered at boot
#               2, the bad set quarantined
#   cut-recv    the power cut after the first file of a two-file published
#               set arrived, and
#   cut-switch  between moving the old set away and the new one in: the next
#               boot loads exactly one complete set, never a mix, never none
# Boots are the cost (6-25 s each under TCG): every step count is the
# smallest that still proves its point. E2E_KEEP=DIR keeps the run's reports
# (serial logs, results.json) in DIR.
. "$(dirname "$0")/lib.sh"
need_guest
for f in sensor/v1/refsensor.ko sensor/v3/refsensor.ko content/c291-good.sys content/c291-bad.sys; do
	[ -e "$ROOT/build/$f" ] || skip_all "build/$f not built (make all)"
done

B=$ROOT/build
C291=C-00000291-00000000
cat >"$T/suite.yaml" <<YAML
version: 1
images:
  linux:
    kind: linux
    kernel: $B/images/linux/vmlinux
    initrd: $B/images/linux/initrd.img
    disk: $B/images/linux/system.qcow2
    append: "$GUEST_APPEND"
sensors:
  v1: {module: $B/sensor/v1/refsensor.ko, agent: $ROOT/sensor/agent}
  v3: {module: $B/sensor/v3/refsensor.ko, agent: $ROOT/sensor/agent}
content:
  good-291:
    - {file: $B/content/c291-good.sys, as: $C291-00000001.sys}
  bad-291:
    - {file: $B/content/c291-bad.sys, as: $C291-00000032.sys}
  fix-291:
    - {file: $B/content/c291-good.sys, as: $C291-00000033.sys}
  # Two files a set, so that half a set and a mix of two sets can be told apart.
  old-pair:
    - {file: $B/content/c291-good.sys, as: $C291-00000001.sys}
    - {file: $B/content/c291-good.sys, as: $C291-00000002.sys}
  new-pair:
    - {file: $B/content/c291-good.sys, as: $C291-00000033.sys}
    - {file: $B/content/c291-good.sys, as: $C291-00000034.sys}
scenarios:
  # The two longest first, one per lane.
  - name: race-lost
    image: linux
    sensor: v1
    content: bad-291
    race: {agent_delay_ms: 4000, sensor_delay_ms: 0}
    steps:
      - boot: {expect: crash, title: refsensor_eval}
      - rollback: fix-291
      - reboot_until_clean: {max_boots: 3}
      - remediate: {delete: ["/sensor/content/$C291-00000032.sys"], when: not_recovered}
      - clean_boots: 1
  - name: cut-guard
    image: linux
    sensor: v3
    content: good-291
    steps:
      - boot: {expect: clean}
      - deploy: {content: bad-291}
      - boot: {expect: crash, title: refsensor_eval}
      - power_off: {at: "fault point guard", append: "bootproof.agent_fault=guard"}
      - boot: {expect: clean}
      - expect_files:
          present: ["/sensor/quarantine/*", "/sensor/content/$C291-00000001.sys"]
          absent: ["/sensor/content/$C291-00000032.sys"]
  - name: race-won
    image: linux
    sensor: v1
    content: bad-291
    race: {agent_delay_ms: 0, sensor_delay_ms: 3000}
    steps:
      - boot: {expect: crash, title: refsensor_eval}
      - rollback: fix-291
      - reboot_until_clean: {max_boots: 3}
      - remediate: {delete: ["/sensor/content/$C291-00000032.sys"], when: not_recovered}
      - expect_files:
          present: ["/sensor/content/$C291-00000033.sys"]
          absent: ["/sensor/content/$C291-00000032.sys"]
  - name: guard
    image: linux
    sensor: v3
    content: bad-291
    steps:
      - boot: {expect: crash, title: refsensor_eval}
      - reboot_until_clean: {max_boots: 3}
      - expect_files:
          present: ["/sensor/quarantine/*"]
          absent: ["/sensor/content/$C291-00000032.sys"]
  - name: cut-recv
    image: linux
    sensor: v1
    content: old-pair
    steps:
      - rollback: new-pair
      - power_off: {at: "fault point recv", append: "bootproof.agent_fault=recv"}
      - boot: {expect: clean}
      - expect_files:
          present: ["/sensor/content/$C291-00000033.sys", "/sensor/content/$C291-00000034.sys"]
          absent: ["/sensor/content/$C291-00000001.sys", "/sensor/content/$C291-00000002.sys",
                   "/sensor/.recv-*"]
  - name: cut-switch
    image: linux
    sensor: v1
    content: old-pair
    steps:
      - rollback: new-pair
      - power_off: {at: "fault point switch", append: "bootproof.agent_fault=switch"}
      - boot: {expect: clean}
      - expect_files:
          present: ["/sensor/content/$C291-00000033.sys", "/sensor/content/$C291-00000034.sys"]
          absent: ["/sensor/content/$C291-00000001.sys", "/sensor/content/$C291-00000002.sys",
                   "/sensor/.content.new", "/sensor/.content.old"]
YAML

t0=$(date +%s)
"$BP" run -c "$T/suite.yaml" -r "$T/reports" -j2 >"$T/tap" 2>"$T/err"
rc=$?
diag "bootproof run took $(($(date +%s) - t0)) s"
is "$rc" 0 "run exits 0: every expectation met, power cuts included"
[ "$rc" -eq 0 ] || diag "$(grep -v '^ ' "$T/tap" | grep -v '^ok'; tail -n 20 "$T/err")"
[ -z "${E2E_KEEP:-}" ] || cp -a "$T/reports" "$E2E_KEEP"
R=$T/reports/latest
J=$R/results.json
if [ ! -f "$J" ]; then
	ok 1 "results.json written"
	done_testing
	exit
fi
is "$(jq -r .complete "$J")" true "run marked complete"
is "$(jq -r '[.scenarios[] | "\(.name)=\(.verdict)"] | sort | join(" ")' "$J")" \
	"cut-guard=pass cut-recv=pass cut-switch=pass guard=pass race-lost=pass race-won=pass" \
	"every trial passes"

# q SCENARIO FILTER: jq FILTER on that scenario's object.
q() { jq -r --arg n "$1" ".scenarios[] | select(.name == \$n) | $2" "$J"; }
# logof SCENARIO N: boot N's serial log.
logof() { echo "$R/$(q "$1" ".boots[$(($2 - 1))].log")"; }
# The channel files the module loaded in that boot, sorted, by their number.
loaded() { grep -o "refsensor: loaded $C291-[0-9]*\.sys" "$1" | sed "s/.*$C291-//; s/\.sys$//" | sort | tr '\n' ' ' | sed 's/ $//'; }
# The module's "version N ready, K channel files loaded" lines, K of each.
ready() { sed -n 's/.*refsensor: version [0-9]* ready, \([0-9]*\) channel files loaded.*/\1/p' "$1" | tr '\n' ' ' | sed 's/ $//'; }
has() { grep -qF -- "$2" "$1"; echo $?; }
hasnt() { grep -qF -- "$2" "$1"; [ $? -eq 1 ]; echo $?; }
tap_has() { grep -q "$1" "$T/tap"; echo $?; }

# ---- race-won: the fix reaches the crash-looping guest on its own ----
n=race-won
is "$(q $n '.recovery.recovered_without_manual_steps')" true "$n: recovered without manual steps"
k=$(q $n '.recovery.boots_to_recovery')
ok "$(case $k in [123]) echo 0 ;; *) echo 1 ;; esac)" "$n: boots to recovery 1..3 ($k)"
is "$(q $n '.recovery.boots_tried')" "$k" "$n: boots tried = boots to recovery"
s=$(q $n '.recovery.time_to_recovery_s')
ok "$(awk -v s="$s" 'BEGIN { exit !(s > 0 && s < 600) }'; echo $?)" "$n: time to recovery > 0 ($s s)"
# Boot 1 crashed before anything was published: the fix landed in the boot
# that came up clean, the last one.
is "$(q $n '.recovery.rollback_arrived_at_boot')" "$((k + 1))" \
	"$n: the rollback arrived in the boot that came up clean"
is "$(q $n '.recovery.manual_steps | length'),$(q $n '.recovery.manual_steps_needed')" "0,0" \
	"$n: manual steps empty"
if [ "$k" = 1 ]; then want="recovered after 1 boot, no manual steps"; else want="recovered after $k boots, no manual steps"; fi
is "$(q $n '.recovery.summary')" "$want" "$n: summary"
ok "$(tap_has "^ok [0-9]* - $n: $want\$")" "$n: summary is a passing TAP point"
is "$(q $n '[.boots[].outcome] | first + "," + last')" "crash,clean" "$n: a crash first, clean last"
is "$(q $n "[.boots[] | select(.update_installed)] | map(.n) | join(\",\")")" "$((k + 1))" \
	"$n: update_installed in that boot only"
L=$(logof $n $((k + 1)))
is "$(loaded "$L"):$(ready "$L")" "00000033:1" "$n: the clean boot loaded the fix alone"
is "$(has "$L" "refsensor-agent: update set=fix-291 installed (1 files)")" 0 \
	"$n: the agent says it installed set fix-291"
is "$(q $n '[.checks[] | select(.ok | not)] | length')" 0 "$n: every check passes (32 gone, 33 there)"
is "$(q $n '[.checks[].name] | map(select(test("lacks /sensor/content/C-00000291-00000000-00000032.sys$"))) | length')" \
	1 "$n: the bad file's absence was checked"

# ---- race-lost: never reaches it; the manual procedure does ----
n=race-lost
is "$(q $n '.recovery.recovered_without_manual_steps')" false "$n: not recovered on its own"
is "$(q $n '.recovery.boots_to_recovery'),$(q $n '.recovery.time_to_recovery_s')" "null,null" \
	"$n: no boots or time to recovery"
is "$(q $n '.recovery.boots_tried'),$(q $n '.recovery.max_boots')" "3,3" "$n: all 3 boots tried"
is "$(q $n '.recovery.summary')" "not recovered within 3 boots; manual remediation: verified" \
	"$n: summary"
ok "$(tap_has "^ok [0-9]* - $n: not recovered within 3 boots; manual remediation: verified\$")" \
	"$n: summary is a passing TAP point"
is "$(q $n '.recovery.manual_steps | join("|")')" \
	"offline delete of /sensor/content/$C291-00000032.sys (1 file)" \
	"$n: the manual step names the offline delete"
is "$(q $n '.recovery.manual_steps_needed'),$(q $n '.recovery.manual_remediation_verified')" \
	"1,true" "$n: one manual step, verified"
is "$(q $n '[.boots[].outcome] | join(",")')" "crash,crash,crash,crash,clean" \
	"$n: the crash loop, then a clean boot after the delete"
# The agent only got to ask once the sensor stopped crashing the guest.
is "$(q $n '.recovery.rollback_arrived_at_boot')" 5 "$n: the rollback arrived only after the delete"
for i in 2 3 4; do
	L=$(logof $n $i)
	is "$(has "$L" "refsensor-agent: update set=")" 1 "$n: boot $i: the agent never installed the fix"
done
L=$(logof $n 5)
is "$(loaded "$L"):$(ready "$L")" ":0" "$n: after the delete the module loaded no file"

# ---- guard: v3 recovers on its own, the set quarantined ----
n=guard
is "$(q $n '.recovery.recovered_without_manual_steps'),$(q $n '.recovery.boots_to_recovery')" \
	"true,1" "$n: recovered after 1 reboot"
is "$(q $n '[.boots[].outcome] | join(",")')" "crash,clean" "$n: recovered at boot 2"
is "$(q $n '.recovery.summary')" "recovered after 1 boot, no manual steps" "$n: summary"
is "$(q $n '.recovery.rollback_arrived_at_boot'),$(q $n '.recovery.manual_steps | length')" \
	"null,0" "$n: no rollback, no manual step"
L=$(logof $n 2)
is "$(has "$L" "refsensor: guard: quarantined set _local-")" 0 "$n: boot 2 quarantined the set"
is "$(loaded "$L"):$(ready "$L")" ":0" "$n: boot 2 loaded nothing (no good set to fall back to)"
is "$(q $n '[.checks[] | select(.ok | not)] | length'),$(q $n '.checks | length')" "0,4" \
	"$n: title, summary, quarantine present, bad file absent: every check passes"

# ---- power cuts: the boot after loads one whole set ----
# cut_checks SCENARIO POINT BOOT: boot BOOT was cut at POINT; the one after
# came up clean. Sets "$L" to the log of the boot after.
cut_checks() {
	c_n=$1 c_p=$2 c_b=$3
	is "$(q "$c_n" "[.boots[] | select(.powered_off)] | map(.n) | join(\",\")")" "$c_b" \
		"$c_n: boot $c_b, and only it, powered_off: true"
	is "$(q "$c_n" ".boots[$((c_b - 1))] | .outcome + \",\" + .expect")" "infra,infra" \
		"$c_n: the cut boot is infra, as expected"
	is "$(q "$c_n" ".boots[$((c_b - 1))].title")" "powered off by the harness at 'fault point $c_p'" \
		"$c_n: its title says where the power went"
	ok "$(tap_has "^ok [0-9]* - $c_n: step [0-9]*: power off at 'fault point $c_p'\$")" \
		"$c_n: the power_off check passes"
	c_L=$(logof "$c_n" "$c_b")
	is "$(has "$c_L" "refsensor-agent: fault point $c_p: waiting for the power to go")" 0 \
		"$c_n: the agent stopped at fault point $c_p"
	is "$(has "$c_L" "bootproof.agent_fault=$c_p")$(has "$c_L" "bootproof: boot complete")" 01 \
		"$c_n: the cut boot had the switch and never completed"
	L=$(logof "$c_n" $((c_b + 1)))
	is "$(q "$c_n" ".boots[$c_b].outcome")" clean "$c_n: the boot after the cut is clean"
	is "$(has "$L" "bootproof.agent_fault=")" 1 "$c_n: the switch was for the cut boot only"
}

n=cut-recv
cut_checks $n recv 1
got=$(loaded "$L"):$(ready "$L")
ok "$(case $got in "00000001 00000002:2" | "00000033 00000034:2") echo 0 ;; *) echo 1 ;; esac)" \
	"$n: the module loaded one whole set, old or new ($got)"
is "$(has "$L" "refsensor-agent: update set=new-pair installed (2 files)")" 0 \
	"$n: the half-received set was fetched again, whole"
is "$(q $n '[.checks[] | select(.ok | not)] | length'),$(q $n '.checks | length')" "0,6" \
	"$n: new set on disk, old set and the half-received one gone"

n=cut-switch
cut_checks $n switch 1
got=$(loaded "$L"):$(ready "$L")
ok "$(case $got in "00000001 00000002:2" | "00000033 00000034:2") echo 0 ;; *) echo 1 ;; esac)" \
	"$n: the module loaded one whole set, old or new ($got)"
# The cut left the new set complete in .content.new and no content/: the
# next boot finishes the switch from the disk before the module loads, so
# the new set is loaded and nothing is fetched again. (The old set here
# would mean the cut never landed between the two renames.)
is "$got" "00000033 00000034:2" "$n: the switch was finished from the disk"
is "$(has "$L" "refsensor-agent: no update")" 0 "$n: the agent had nothing left to fetch"
is "$(q $n '[.checks[] | select(.ok | not)] | length'),$(q $n '.checks | length')" "0,7" \
	"$n: new set in place, no old set, no leftovers"

n=cut-guard
is "$(q $n '[.boots[].outcome] | join(",")')" "clean,crash,infra,clean" \
	"$n: clean, crash on the bad file, cut, clean"
cut_checks $n guard 3
L3=$(logof $n 3)
is "$(has "$L3" "refsensor: guard: quarantined set _local-")" 0 \
	"$n: the cut boot quarantined the set before its state write"
got=$(loaded "$L"):$(ready "$L")
is "$got" "00000001:1" "$n: the boot after loaded the last known good set, whole ($got)"
is "$(has "$L" "refsensor: guard: set _local-")$(has "$L" " already quarantined (boot 2 never committed)")" \
	00 "$n: the guard finished the interrupted quarantine"
is "$(has "$L" "refsensor: guard: committed set _local-")" 0 "$n: and committed the good set"
is "$(q $n '[.checks[] | select(.ok | not)] | length'),$(q $n '.checks | length')" "0,5" \
	"$n: quarantine present, good file kept, bad file gone"

is "$(qemu_left)" "" "no qemu process outlives the run"
done_testing
