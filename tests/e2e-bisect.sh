#!/bin/sh
# e2e-bisect - `bootproof bisect` on the real reference guest: a content set
# of 6 files, one of them bad, is narrowed to exactly that file and, inside
# it, to its one guilty instance of 2; --last-good names the newest clean
# previous version; a crash that shows about half the time (the update race:
# a fix on the update channel wins or loses against the sensor's load) is
# still narrowed to the guilty file; a set that does not crash exits 1.
# The content is compiled here with chanc.
. "$(dirname "$0")/lib.sh"
need_guest
CHANC=$BUILD/chanc
[ -x "$CHANC" ] || skip_all "chanc not built"

# Good: field 21 a wildcard. Bad: two instances, the second's field 21 is not.
cat >"$T/good.chan" <<'CHAN'
channel 291
template ipc
instance
  field 1 = "\\.\pipe\bootproof"
  field 21 = *
CHAN
cat >"$T/bad.chan" <<'CHAN'
channel 291
template ipc
instance
  field 1 = "\\.\pipe\bootproof"
  field 21 = *
instance
  field 1 = "\\.\pipe\bootproof"
  field 21 = "\\.\pipe\*"
CHAN
# The guilty instance alone: what the bisect's minimal file must be.
sed '3,5d' "$T/bad.chan" >"$T/only.chan"
"$CHANC" -o "$T/good.sys" "$T/good.chan" && "$CHANC" -o "$T/bad.sys" "$T/bad.chan" &&
	"$CHANC" -o "$T/only.sys" "$T/only.chan"
is "$?" 0 "content compiled with chanc"

f() { # AS FILE: one content file entry
	printf '      - {file: %s, as: C-00000291-00000000-%08d.sys}\n' "$2" "$1"
}
write_suite "$T/suite.yaml" <<'YAML'
  - {name: six, image: linux, sensor: v1, content: six, expect: crash}
  - {name: calm, image: linux, sensor: v1, content: march, expect: clean}
  - name: race
    image: linux
    sensor: v1a
    content: three
    # The fix is published before the boot; the agent asks for it after a
    # random 0-6 s, the sensor loads at 3 s: the bad file crashes the guest
    # only when the sensor wins.
    race: {sensor_delay_ms: 3000}
    append: "bootproof.agent_delay_ms=0-6000"
    steps:
      - rollback: fix
      - boot: {expect: crash}
YAML
{
	echo "  march:"
	echo "    files:"
	f 1 "$T/good.sys"
	echo "  april:"
	echo "    files:"
	f 1 "$T/good.sys"
	f 2 "$T/good.sys"
	echo "  six:"
	echo "    previous: [march, april]"
	echo "    files:"
	for i in 1 2 3; do f "$i" "$T/good.sys"; done
	f 4 "$T/bad.sys"
	for i in 5 6; do f "$i" "$T/good.sys"; done
	echo "  three:"
	echo "    files:"
	f 1 "$T/good.sys"
	f 2 "$T/good.sys"
	f 3 "$T/only.sys"
	echo "  fix:"
	echo "    files:"
	f 9 "$T/good.sys"
} >"$T/content.yaml"
sed -i "/^content:/r $T/content.yaml" "$T/suite.yaml"
# The race needs the update agent; the other scenarios boot faster without it.
sed -i "s|^sensors:|sensors:\n  v1a: {module: $ROOT/build/sensor/v1/refsensor.ko, agent: $ROOT/sensor/agent}|" "$T/suite.yaml"
"$BP" validate -c "$T/suite.yaml" >/dev/null 2>"$T/err"
is "$?" 0 "the suite validates" || diag "$(cat "$T/err")"

# Usage errors start nothing.
"$BP" bisect -c "$T/suite.yaml" >/dev/null 2>"$T/err"
is "$?" 2 "no scenario: usage error"
"$BP" bisect -c "$T/suite.yaml" nope >/dev/null 2>"$T/err"
is "$?" 2 "unknown scenario: usage error"
like "$(cat "$T/err")" "no scenario named 'nope'" "named"
"$BP" bisect -c "$T/suite.yaml" --last-good calm >/dev/null 2>"$T/err"
is "$?" 2 "--last-good without previous versions: usage error"
like "$(cat "$T/err")" "content 'march' lists no previous versions" "named"

# 1. Six files, one bad; inside it, one guilty instance of two; the last good version.
start=$(date +%s)
"$BP" bisect -c "$T/suite.yaml" -r "$T/r1" -q --reps 2 --last-good six >"$T/tap1" 2>"$T/err1"
is "$?" 0 "six files: narrowed (exit 0)" || diag "$(tail -n 20 "$T/err1")"
secs=$(($(date +%s) - start))
J=$T/r1/latest/results.json
is "$(jq -r '.bisect.outcome' "$J")" narrowed "results.json: bisect narrowed"
is "$(jq -r '.bisect.signature' "$J")" "BUG: unable to handle kernel paging request in refsensor_eval" \
	"the signature is the first crash's title"
is "$(jq -r '[.bisect.minimal[].as] | join(",")' "$J")" "C-00000291-00000000-00000004.sys" \
	"narrowed to exactly the guilty file"
is "$(jq -r '.bisect.minimal[0] | "\(.instances | join(",")) of \(.of_instances)"' "$J")" "2 of 2" \
	"inside it, to the guilty instance"
is "$(jq -r '"\(.bisect.minimal_rate.crashes)/\(.bisect.minimal_rate.trials)"' "$J")" "2/2" \
	"the minimal set reproduces"
is "$(jq -r '.bisect.k' "$J")" 1 "a crash on every trial: k = 1"
is "$(jq -r '[.bisect.versions[] | "\(.content)=\(.verdict)"] | join(",")' "$J")" \
	"march=clean,april=clean" "both previous versions clean"
is "$(jq -r '"\(.bisect.last_good) \(.bisect.first_bad)"' "$J")" "april six" "last good april, first bad six"
grep '^# bisect:' "$T/tap1" >"$T/notes1"
like "$(cat "$T/notes1")" "# bisect: minimal: C-00000291-00000000-00000004.sys, instance 2 of 2" "TAP: the minimal set"
like "$(cat "$T/notes1")" "# bisect: march and april are clean; six is the first that crashes" "TAP: the last good version"
like "$(cat "$T/notes1")" "# bisect: steps: " "TAP: the steps taken"
minimal=$(jq -r '.bisect.minimal[0].path' "$J")
ok "$(cmp -s "$minimal" "$T/only.sys"; echo $?)" \
	"the minimal file is the guilty instance alone, as chanc compiles it"
# Candidates are trials added after the session started (disks.h: late trials):
# they restore the image's pre-mount snapshot and inject their own content.
is "$(jq -r '[.scenarios[2:][] | .boots[].restored] | all' "$J")" true \
	"late trials (the candidates) restore the pre-mount snapshot"
ok "$([ "$(jq -r '[.scenarios[2:][] | .content] | unique | length' "$J")" -ge 4 ]; echo $?)" \
	"each with a content set of its own"
"$BP" report "$T/r1/latest" >/dev/null 2>"$T/err"
is "$?" 0 "bootproof report accepts the run (results.json checked against the schema)"
like "$(cat "$T/r1/latest/index.html")" "Guilty content" "the run page has the bisect section"
diag "six files: $(grep '^# bisect: steps' "$T/tap1"), ${secs}s in all"

# 2. A flaky crash (the race): still the guilty file.
"$BP" bisect -c "$T/suite.yaml" -r "$T/r2" -q race >"$T/tap2" 2>"$T/err2"
is "$?" 0 "flaky crash: narrowed (exit 0)" || diag "$(tail -n 20 "$T/err2")"
J=$T/r2/latest/results.json
is "$(jq -r '[.bisect.minimal[].as] | join(",")' "$J")" "C-00000291-00000000-00000003.sys" \
	"flaky crash: narrowed to the guilty file"
p=$(jq -r '.bisect.p' "$J")
k=$(jq -r '.bisect.k' "$J")
diag "race: p = $p, k = $k; $(grep '^# bisect: steps' "$T/tap2")"
ok "$(awk -v p="$p" -v k="$k" 'BEGIN { m = 1; for (i = 0; i < k; i++) m *= 1 - p; exit !(p == 1 ? k == 1 : (m < 0.01 || k == 12)) }'; echo $?)" \
	"k from p: a crash missed with p < 1 % (or k capped)"

# 3. A set that does not crash: nothing to bisect.
"$BP" bisect -c "$T/suite.yaml" -r "$T/r3" -q --reps 1 calm >"$T/tap3" 2>&1
is "$?" 1 "a clean set: exit 1"
like "$(cat "$T/tap3")" "does not crash in 1 trials" "and says so"

# 4. A set with its own split/join commands (here a script that cuts the
# reference format too, each piece the header and one instance) and --title.
cat >"$T/cut.py" <<'SCRIPT'
import os, struct, sys
if sys.argv[1] == "split":
    d = open(sys.argv[2], "rb").read()
    off = 20
    for i in range(struct.unpack_from("<I", d, 16)[0]):
        start = off
        for _ in range(21):
            off += 3 + struct.unpack_from("<H", d, off + 1)[0]
        open("%s/%04d" % (sys.argv[3], i), "wb").write(d[:20] + d[start:off])
else:
    parts = [open(os.path.join(sys.argv[2], n), "rb").read() for n in sorted(os.listdir(sys.argv[2]))]
    head = bytearray(parts[0][:20])
    struct.pack_into("<I", head, 16, len(parts))
    open(sys.argv[3], "wb").write(bytes(head) + b"".join(p[20:] for p in parts))
SCRIPT
{
	echo "  cut:"
	echo "    split: \"/usr/bin/python3 $T/cut.py split {in} {outdir}\""
	echo "    join: \"/usr/bin/python3 $T/cut.py join {outdir} {out}\""
	echo "    files:"
	f 1 "$T/good.sys"
	f 2 "$T/bad.sys"
} >"$T/cut.yaml"
sed -i "/^content:/r $T/cut.yaml" "$T/suite.yaml"
echo "  - {name: cut, image: linux, sensor: v1, content: cut, expect: crash}" >>"$T/suite.yaml"
"$BP" bisect -c "$T/suite.yaml" -r "$T/r4" -q --reps 1 --title refsensor_eval cut >"$T/tap4" 2>"$T/err4"
is "$?" 0 "split/join commands: narrowed (exit 0)" || diag "$(tail -n 20 "$T/err4")"
J=$T/r4/latest/results.json
is "$(jq -r '"\(.bisect.signature) \(.bisect.title_given)"' "$J")" "refsensor_eval true" \
	"--title is the signature"
is "$(jq -r '.bisect.minimal[] | "\(.as) \(.instances | join(",")) of \(.of_instances)"' "$J")" \
	"C-00000291-00000000-00000002.sys 2 of 2" "cut by the commands: the guilty piece"
ok "$(ls "$T"/r4/latest/bisect/pieces-*/0001 >/dev/null 2>&1; echo $?)" "the pieces the split command left"

is "$(qemu_left)" "" "no qemu process outlives the bisects"
done_testing
