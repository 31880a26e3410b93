#!/bin/sh
# e2e-snapshot - golden snapshots and parallel trials through `bootproof run`
# on the real guest (issue 3): a live deploy restores a snapshot instead of
# booting, and gives the verdict and title a cold boot gives, for good and
# bad content; a changed input rebuilds the snapshot; -j 2 gives the
# verdicts of -j 1 and no two trials share a file; restores are template
# clones (the guest's RAM in a read-only file of the cache, the state the
# devices' only), and an edited RAM file is rebuilt, never used.
# (snapshot.c's own checks, corrupt and truncated states and RAM files and a
# killed build included, are in t-snapshot.)
. "$(dirname "$0")/lib.sh"
need_guest

write_suite "$T/suite.yaml" <<'YAML'
  - name: live-good
    image: linux
    sensor: v1a
    content: good-291
    steps:
      - deploy: {content: good-291b, mode: live}
      - boot: {expect: clean}
  - name: live-bad
    image: linux
    sensor: v1a
    content: good-291
    steps:
      - deploy: {content: bad-291, mode: live}
      - boot: {expect: crash, title: "refsensor_eval"}
      - boot: {expect: crash}
YAML
# A sensor with its update agent, and the good file under a second name to push.
sed -i "s|^sensors:|sensors:\n  v1a: {module: $ROOT/build/sensor/v1/refsensor.ko, agent: $ROOT/sensor/agent}|" "$T/suite.yaml"
sed -i "s|^content:|content:\n  good-291b:\n    - {file: $ROOT/build/content/c291-good.sys, as: C-00000291-00000000-00000002.sys}|" "$T/suite.yaml"

summary() { # RESULTS.JSON: every boot's outcome and title, per scenario
	jq -r '.scenarios[] | .name + ": " + ([.boots[] | .outcome + "/" + (.title // "-")] | join(", "))' "$1"
}

"$BP" run -c "$T/suite.yaml" -r "$T/snap" --cache "$T/cache" -j 2 >"$T/snap.tap" 2>"$T/snap.err"
is "$?" 0 "snapshot run: every expectation met"
S=$T/snap/latest/results.json
like "$(cat "$T/snap.tap")" "# snapshot linux-v1a-good-291-" "the snapshot is announced in the TAP stream"
like "$(grep '^# snapshot' "$T/snap.tap")" "built in" "and built, the cache being empty"
is "$(jq -r '[.scenarios[].boots[0].restored] | join(",")' "$S")" "true,true" "each trial's first boot is a restore"
is "$(jq -r '[.scenarios[].boots[1:][] | .restored] | unique | join(",")' "$S")" "true" "later boots restore the image's pre-mount state"
like "$(grep '^# snapshot premount-' "$T/snap.tap")" "built in" "which is built beside the booted one"
like "$(jq -r '.scenarios[1].boots[1].log' "$S" | sed "s|^|$T/snap/latest/|" | xargs cat)" "bootproof: boot 2" \
	"a later boot counts itself on the trial's disk, as after a cold boot"
is "$(jq -r '[.scenarios[].boots[0].live_pushed] | join(",")' "$S")" "true,true" "the pushed content reached the restored guest"
like "$(jq -r '.scenarios[0].boots[0].log' "$S" | sed "s|^|$T/snap/latest/|" | xargs cat)" \
	"refsensor-agent: pushed C-00000291-00000000-00000002.sys" "good push: the agent loaded it into the running sensor"

"$BP" run -c "$T/suite.yaml" -r "$T/cold" --cold -j 2 >"$T/cold.tap" 2>"$T/cold.err"
is "$?" 0 "cold run (--cold): every expectation met"
C=$T/cold/latest/results.json
is "$(jq -r '[.scenarios[].boots[].restored] | unique | join(",")' "$C")" "false" "--cold restores nothing"
is "$(summary "$S")" "$(summary "$C")" "restored and cold trials: the same verdicts and titles"
diag "$(summary "$S")"

# Template clones: the RAM file beside a device-only state, both read-only.
RAM=$(find "$T/cache" -path '*/linux-v1a-*' -name ram | head -1)
is "$(stat -c %a "$RAM" 2>/dev/null)" 444 "the snapshot's RAM file is read-only"
is "$(stat -c %s "$RAM" 2>/dev/null)" $((256 << 20)) "and -m bytes long"
[ "$(stat -c %s "$(dirname "$RAM")/state")" -lt $((16 << 20)) ]
ok $? "the state holds the devices, not the RAM"

# An input of the snapshot changes (the agent the base disk holds): rebuilt, never reused.
cp "$ROOT/sensor/agent" "$T/agent"
sed -i "s|agent: $ROOT/sensor/agent|agent: $T/agent|" "$T/suite.yaml"
"$BP" run -c "$T/suite.yaml" -r "$T/same" --cache "$T/cache" live-good >"$T/same.tap" 2>&1
like "$(grep '^# snapshot' "$T/same.tap")" "reused" "same inputs (a copy of the agent): the snapshot is reused"
printf '\n# changed\n' >>"$T/agent"
"$BP" run -c "$T/suite.yaml" -r "$T/stale" --cache "$T/cache" live-good >"$T/stale.tap" 2>&1
is "$?" 0 "changed agent: the run passes"
like "$(grep '^# snapshot' "$T/stale.tap")" "built in" "a changed input rebuilds the snapshot"
like "$(grep '^# snapshot' "$T/stale.tap")" "its inputs changed" "and says why"

# One byte of the RAM file edited: the snapshot is moved aside and rebuilt, never used.
RAM=$(find "$T/cache" -path '*/linux-v1a-*' -name ram | head -1)
chmod u+w "$RAM" && printf 'X' | dd of="$RAM" bs=1 seek=1048576 conv=notrunc 2>/dev/null
"$BP" run -c "$T/suite.yaml" -r "$T/edited" --cache "$T/cache" live-good >"$T/edited.tap" 2>&1
is "$?" 0 "edited RAM file: the run passes"
like "$(grep '^# snapshot' "$T/edited.tap")" "built in" "an edited RAM file rebuilds the snapshot"
like "$(grep '^# snapshot' "$T/edited.tap")" "/ram' has changed" "and says which file"

# Parallel trials: -j 2 gives the verdicts of -j 1; no two trials share a file.
write_suite "$T/par.yaml" <<'YAML'
  - {name: p-good, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}
  - {name: p-bad, image: linux, sensor: v1, content: bad-291, boots: 1, expect: crash}
  - {name: p-v2, image: linux, sensor: v2, content: bad-291, boots: 1, expect: clean}
  - {name: p-bad2, image: linux, sensor: v1, content: bad-291, boots: 1, expect: crash}
YAML
"$BP" run -c "$T/par.yaml" -r "$T/j1" -j 1 --keep >/dev/null 2>&1
"$BP" run -c "$T/par.yaml" -r "$T/j2" -j 2 --keep >/dev/null 2>&1
is "$(summary "$T/j2/latest/results.json")" "$(summary "$T/j1/latest/results.json")" "-j 2: the verdicts and titles of -j 1"
is "$(jq -r .jobs "$T/j2/latest/results.json")" 2 "-j 2 ran two at once"
W=$(jq -r .work_dir "$T/j2/latest/results.json")
is "$(find "$W" -name system.qcow2 | sed 's|/[^/]*$||' | sort -u | wc -l)" 4 "one overlay per trial, each in its own directory"
is "$(find "$W" -name qemu.log | sed 's|/[^/]*$||' | sort -u | wc -l)" 4 "one QEMU (sockets, log) per trial directory"
is "$(jq -r '[.scenarios[].boots[].log] | unique | length' "$T/j2/latest/results.json")" 4 "one serial log per boot"
is "$(qemu_left)" "" "no qemu process outlives the runs"
rm -rf "$W" "$(jq -r .work_dir "$T/j1/latest/results.json")"
done_testing
