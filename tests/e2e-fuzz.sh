#!/bin/sh
# e2e-fuzz - `bootproof fuzz`, stage 1 (in-process, no guest): from the good
# 291 file alone, a bounded campaign on sensor v1 finds the 21-vs-20
# out-of-bounds read (one signature however often it is hit, its input kept
# and minimized, and the minimized input is the same bug in the host
# loader); on v2 the same budget finds nothing; a second campaign resumes
# from the corpus the first one grew. The suite's own bad content is a
# finding before any fuzzing; configuration errors exit 2; SIGTERM and
# SIGKILL leave no fuzz target running.
. "$(dirname "$0")/lib.sh"
for f in fuzz-interp-v1 fuzz-interp-v2 interp-load-v1 interp-load-v2 sensor/v1/refsensor.ko \
	sensor/v2/refsensor.ko content/c291-good.sys content/c291-bad.sys; do
	[ -e "$ROOT/build/$f" ] || skip_all "build/$f not built (make)"
done
[ -x "$BP" ] || skip_all "harness not built"
export ASAN_OPTIONS=detect_leaks=0

# Validation only needs readable image files: stand-ins. The sensors and content are real.
mkdir -p "$T/f"
for f in vmlinux initrd.img system.qcow2; do echo stand-in >"$T/f/$f"; done
echo "not a module" >"$T/f/other.ko"
cat >"$T/suite.yaml" <<YAML
version: 1
images:
  linux: {kind: linux, kernel: f/vmlinux, initrd: f/initrd.img, disk: f/system.qcow2}
sensors:
  v1: {module: $ROOT/build/sensor/v1/refsensor.ko}
  v2: {module: $ROOT/build/sensor/v2/refsensor.ko}
  other: {module: f/other.ko}
content:
  good-291: [{file: $ROOT/build/content/c291-good.sys, as: C-00000291-00000000-00000001.sys}]
  bad-291: [{file: $ROOT/build/content/c291-bad.sys, as: C-00000291-00000000-00000032.sys}]
scenarios:
  - {name: good, image: linux, sensor: [v1, v2], content: good-291, expect: clean}
  - {name: bad, image: linux, sensor: v1, content: bad-291, expect: crash}
  - {name: theirs, image: linux, sensor: other, content: good-291, expect: clean}
YAML
R=$T/reports
fz() { "$BP" fuzz -q -c "$T/suite.yaml" -r "$R" "$@"; }
json() { # the newest campaign's fuzz.json, through jq
	jq -r "$1" "$(ls -d "$R"/fuzz-* | sort | tail -1)/fuzz.json"
}

# v1 from the good file only.
fz --duration 20s --seed 1 good/v1 >"$T/out" 2>"$T/err"
is "$?" 1 "v1: exit 1, crashes found"
is "$(grep -c '^crash: ' "$T/out")" 1 "v1: one signature"
like "$(cat "$T/out")" "crash: heap-buffer-overflow READ in refsensor_eval (" "v1: the out-of-bounds read of input 21, in refsensor_eval"
is "$(json '.findings | length'):$(json '.findings[0].signature')" \
	"1:heap-buffer-overflow READ in refsensor_eval" "fuzz.json: the one finding"
ok "$([ "$(json .crashes)" -ge 1 ] && [ "$(json .crashes)" = "$(json '.findings[0].count')" ]; echo $?)" \
	"every crash counted under the one signature ($(json .crashes))"
is "$(json .findings[0].in_seeds):$(json .sensor_version):$(json .seed):$(json .complete)" \
	"false:1:1:true" "found by fuzzing, sensor v1, the seed given, complete"
ttfc=$(json .time_to_first_crash_s)
ok "$(awk -v t="$ttfc" 'BEGIN { exit !(t > 0 && t < 20) }'; echo $?)" "time to the first crash recorded ($ttfc s)"
ok "$(awk -v e="$(json .execs)" -v r="$(json .execs_per_s)" 'BEGIN { exit !(e > 0 && r > 0) }'; echo $?)" \
	"executions and execs/s recorded ($(json .execs), $(json .execs_per_s | cut -d. -f1)/s)"
min=$(json .findings[0].minimized)
ok "$([ -s "$min" ] && [ -s "$(json .findings[0].input)" ] && [ -s "$(json .findings[0].report)" ]; echo $?)" \
	"input, minimized input and report saved"
ok "$([ "$(wc -c <"$min")" -le "$(wc -c <"$(json .findings[0].input)")" ]; echo $?)" "minimized is no bigger"
"$ROOT/build/interp-load-v1" "$min" >"$T/load" 2>&1
like "$(cat "$T/load")" "READ of size 8" "the minimized input: the same read in the host loader (v1)"
like "$(cat "$T/load")" " in refsensor_eval " "...in refsensor_eval"
"$ROOT/build/interp-load-v2" "$min" >"$T/load" 2>&1
like "$(cat "$T/load")" "has no input (sensor supplies 20), instance rejected" "...and v2 rejects its instance"
like "$(cat "$T/out")" "fuzzed good/v1 for " "a summary line"

# v2, the same budget: nothing. Then again: it resumes from the corpus.
fz --duration 20s --seed 1 good/v2 >"$T/out" 2>"$T/err"
is "$?" 0 "v2: exit 0, no crash"
is "$(grep -c '^crash: ' "$T/out"):$(json '.findings | length'):$(json .crashes)" "0:0:0" "v2: no finding"
first=$(json .corpus_after)
corpus=$(json .corpus)
is "$corpus" "$R/corpus/good-v2" "the corpus is kept per scenario under the reports"
ok "$([ "$first" -gt 1 ]; echo $?)" "the campaign grew the corpus (0 -> $first)"
fz --duration 5s --seed 2 good/v2 >"$T/out" 2>"$T/err"
is "$?" 0 "v2 again: exit 0"
is "$(json .corpus_before)" "$first" "the second campaign starts from the first one's corpus"
ok "$([ "$(json .corpus_after)" -ge "$first" ]; echo $?)" "...and keeps it ($(json .corpus_after) entries)"
like "$(cat "$(ls -d "$R"/fuzz-* | sort | tail -1)/fuzz.log")" "$first files found in $corpus" \
	"the target read every corpus entry"

# The suite's own bad content crashes v1 before any fuzzing.
fz --duration 3s bad >"$T/out" 2>"$T/err"
is "$?" 1 "bad content on v1: exit 1"
like "$(cat "$T/out")" "crash: heap-buffer-overflow READ in refsensor_eval (" "...the same signature"
is "$(json '.findings[0].in_seeds')" true "...found in the suite's content"

# Configuration errors.
fz good >"$T/out" 2>"$T/err"
is "$?" 2 "a matrix name: exit 2"
like "$(cat "$T/err")" "'good' is a matrix: name one of good/v1, good/v2" "...naming its entries"
fz nosuch 2>"$T/err"
is "$?" 2 "an unknown scenario: exit 2"
fz theirs 2>"$T/err"
is "$?" 2 "a sensor that is not the reference sensor: exit 2"
like "$(cat "$T/err")" "is not the reference sensor" "...says so"
fz --duration 0 good/v1 2>"$T/err"
is "$?" 2 "--duration 0: usage error"

# Interrupted: fuzz.json says so, no target left behind, for SIGTERM and SIGKILL.
# (not through fz: a function in the background is a subshell, $! would be its pid)
"$BP" fuzz -q -c "$T/suite.yaml" -r "$R" --duration 60s good/v2 >"$T/out" 2>"$T/err" &
pid=$!
sleep 3
kill -TERM "$pid"
wait "$pid"
is "$?" 3 "SIGTERM: exit 3"
is "$(json .complete)" false "SIGTERM: fuzz.json marked incomplete"
is "$(pgrep -f "fuzz-interp.*$T" | tr '\n' ' ')" "" "SIGTERM: no fuzz target left"
"$BP" fuzz -q -c "$T/suite.yaml" -r "$R" --duration 60s good/v2 >"$T/out" 2>"$T/err" &
pid=$!
sleep 3
ok "$([ -n "$(pgrep -f "fuzz-interp.*$T")" ]; echo $?)" "SIGKILL: the target runs before"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 1
is "$(pgrep -f "fuzz-interp.*$T" | tr '\n' ' ')" "" "SIGKILL: no fuzz target left"
done_testing
