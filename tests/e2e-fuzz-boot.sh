#!/bin/sh
# e2e-fuzz-boot - `bootproof fuzz --boot`, stage 2: what a short campaign on
# sensor v1 found, from the good 291 file, boots in the reference guest: the
# crash's input crashes it with the interpreter's title, pushed live into a
# running guest and on a cold boot; two corpus inputs that did not crash
# in-process boot clean both ways. One run directory with results.json.
. "$(dirname "$0")/lib.sh"
need_guest
[ -x "$ROOT/build/fuzz-interp-v1" ] || skip_all "build/fuzz-interp-v1 not built (make)"
export ASAN_OPTIONS=detect_leaks=0
R=$T/reports
"$BP" fuzz -q -c "$ROOT/scenarios.yaml" -r "$R" --duration 10s --seed 1 --boot good-291-v1 \
	>"$T/out" 2>"$T/err"
is "$?" 1 "exit 1: a crash found (and every boot as expected)"
F=$(ls -d "$R"/fuzz-*/fuzz.json)
run=$(jq -r .boot_run "$F")
J=$run/results.json
is "$(jq -r .boot_status "$F"):$(jq -r .complete "$F")" "0:true" "fuzz.json: the boots met every expectation"
ok "$([ -f "$J" ]; echo $?)" "the boots' run has its results.json"
is "$(jq -r '[.scenarios[].name] | join(",")' "$J")" \
	"good-291-v1/fuzz-1-live,good-291-v1/fuzz-1-cold,good-291-v1/fuzz-2-live,good-291-v1/fuzz-2-cold,good-291-v1/fuzz-3-live,good-291-v1/fuzz-3-cold" \
	"the crash and two corpus inputs, each pushed live and cold"
is "$(jq -r '[.scenarios[].verdict] | join(",")' "$J")" "pass,pass,pass,pass,pass,pass" "every trial passes"
is "$(jq -r '.scenarios[0].boots[0].outcome + "," + .scenarios[1].boots[0].outcome' "$J")" \
	"crash,crash" "the finding crashes the guest, live and cold"
like "$(jq -r '.scenarios[0].boots[0].title' "$J")" "in refsensor_eval" "...pushed live: in refsensor_eval"
like "$(jq -r '.scenarios[1].boots[0].title' "$J")" "in refsensor_eval" "...cold boot: in refsensor_eval"
is "$(jq -r '[.scenarios[2:][].boots[0].outcome] | join(",")' "$J")" "clean,clean,clean,clean" \
	"the corpus inputs that did not crash boot clean"
like "$(cat "$T/out")" "crash: heap-buffer-overflow READ in refsensor_eval" "the in-process finding on stdout"
is "$(qemu_left)" "" "no qemu process outlives the run"
done_testing
