#!/bin/sh
# e2e-report - the reports of real runs of the reference guest: junit.xml and
# results.json valid against their published schemas, index.html read by
# headless Chromium (summary numbers, one SVG bar per boot, no screenshot
# from the screenless reference guest, hostile guest text inert), `bootproof report` re-rendering a
# run, the history: a new crash signature found by --compare, a repeated run
# with "no new signatures", `bootproof runs`, and an interrupted run recorded
# as incomplete.
#
# Runs (one history, $T/history.db):
#   int  a guest that never finishes booting, interrupted with SIGINT mid-boot
#        (runs alongside A)
#   A    clean + crash (bad-291 on v1, written as steps); the kernel command
#        line carries markup, which the kernel echoes on the console
#   B    crash + a new crash (no root file system: a VFS panic)
#   C    the same as B
#   P1   a power_off scenario, QEMU wrapped by a script that prints TAP on stderr
#   P2   that QEMU failing to start: its log in the boot's title
. "$(dirname "$0")/lib.sh"
need_guest
command -v xmllint >/dev/null || skip_all "xmllint not installed (libxml2-utils)"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema not installed"
CHROMIUM=$(command -v chromium || command -v chromium-browser) || skip_all "chromium not installed"

# The KVM probe is tested elsewhere; here it would only cost 3 s per run.
BOOTPROOF_ACCEL=${BOOTPROOF_ACCEL:-tcg}
export BOOTPROOF_ACCEL
HOSTILE='<script>alert(1)</script>'
DB=$T/history.db

# suite FILE SCENARIO...: the reference suite with the hostile command line
# on image linux, image noroot (no init in the initramfs: the kernel looks
# for a root file system and panics), image silent (waits for a marker the
# guest never prints) and the scenarios named.
suite() {
	f=$1
	shift
	for s in "$@"; do
		case $s in
		clean) echo "  - {name: clean, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}" ;;
		crash) echo "  - {name: crash, image: linux, sensor: v1, content: bad-291,"
		       echo "     steps: [{boot: {expect: crash, title: refsensor_eval}}]}" ;;
		noroot) echo "  - {name: noroot, image: noroot, sensor: v1, content: good-291, boots: 1, expect: crash, title: VFS}" ;;
		slow) echo "  - {name: slow, image: silent, sensor: v1, content: good-291, boots: 2, expect: clean,"
		      echo "     boot_timeout: 300, silence_timeout: 300}" ;;
		esac
	done | write_suite "$f"
	sed -i "s|^    append: \"\(.*\)\"\$|    append: \"\1 bootproof.x=$HOSTILE\"|" "$f"
	add_image "$f" noroot 'append: "console=ttyS0 oops=panic panic=1 rdinit=/nonexistent"'
	add_image "$f" silent 'marker: "bootproof: never printed"'
}

# run NAME SUITE REPORTS: a run; its status in $rc, its directory in $run.
run() {
	"$BP" run -c "$2" -r "$3" -j2 --history "$DB" >"$T/$1.tap" 2>"$T/$1.err"
	rc=$?
	run=$3/$(sed -n 's/^# run \([0-9-]*\): .*/\1/p' "$T/$1.tap")
	return $rc
}

dom() { # INDEX.HTML: the DOM Chromium built from it, in $T/dom.html
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/chromium" --dump-dom "file://$1" >"$T/dom.html" 2>"$T/chromium.err"
}

count() { # FILE TEXT
	grep -o -- "$2" "$1" | wc -l | tr -d ' '
}

# ---- A, and int interrupted mid-boot meanwhile -------------------------------
suite "$T/int.yaml" slow
suite "$T/suite.yaml" clean crash
"$BP" run -c "$T/int.yaml" -r "$T/int" -j1 --history "$DB" >"$T/int.tap" 2>"$T/int.err" &
int_pid=$!
run A "$T/suite.yaml" "$T/reports" &
a_pid=$!
# Once int's first boot is under way (its console log has init's first
# line; the kernel's own are quiet), interrupt it.
i=0
while [ $i -lt 1500 ] && ! grep -qs 'bootproof: command line' "$T"/int/*/slow/boot-1.log &&
	kill -0 $int_pid 2>/dev/null; do
	sleep 0.2
	i=$((i + 1))
done
qemu=$(pgrep -P $int_pid qemu-system)
kill -INT $int_pid
wait $int_pid
is "$?" 3 "interrupted run: exit status 3"
ok "$([ -n "$qemu" ] && ! ps -o stat= -p "$qemu" | grep -qv '^Z'; echo $?)" \
	"interrupted run: its guest was booting, and no QEMU outlives the run"
INT=$T/int/$(sed -n 's/^# run \([0-9-]*\): .*/\1/p' "$T/int.tap")
wait $a_pid
is "$?" 0 "run A: every expectation met"
A=$T/reports/$(sed -n 's/^# run \([0-9-]*\): .*/\1/p' "$T/A.tap")

xsd_ok "$A/junit.xml" "A: junit.xml valid against docs/junit.xsd"
schema_ok "$A/results.json" "A: results.json valid against docs/results-schema.json"
is "$(grep -c '<testsuite ' "$A/junit.xml")" 2 "A: one testsuite per scenario"
like "$(cat "$A/junit.xml")" "bootproof.x=&lt;script&gt;alert(1)&lt;/script&gt;" \
	"A: the console's markup is escaped in junit.xml"
is "$(grep -c '<failure' "$A/junit.xml")" 0 "A: no failure: the crash was expected"

dom "$A/index.html"
ok $? "A: headless Chromium loads index.html from disk"
D=$(cat "$T/dom.html")
like "$D" 'id="sum-scenarios">2<' "A page: 2 scenarios"
like "$D" 'id="sum-pass">2<' "A page: 2 passed"
like "$D" 'id="sum-fail">0<' "A page: 0 failed"
like "$D" 'id="sum-infra">0<' "A page: 0 infra"
like "$D" 'id="sum-signatures">1<' "A page: 1 crash signature"
like "$D" 'id="sum-accel">tcg' "A page: the accelerator"
is "$(count "$T/dom.html" '<svg class="timeline"')" 2 "A page: a timeline per scenario"
is "$(count "$T/dom.html" '<rect class="boot ')" 2 "A page: one bar per boot"
is "$(count "$T/dom.html" '<rect class="boot crash"')" 1 "A page: the crash's bar"
is "$(count "$T/dom.html" '<rect class="boot clean"')" 1 "A page: the clean boot's bar"
like "$D" '<h3 class="crash-title">BUG: unable to handle kernel paging request in refsensor_eval' \
	"A page: the crash's title"
like "$D" '<mark class="crash-line">' "A page: crash lines highlighted"
like "$D" "bootproof.x=&lt;script&gt;alert(1)&lt;/script&gt;" \
	"A page: the guest's markup is on the page as text"
is "$(grep -ci '<script' "$T/dom.html")" 0 "A page: guest text produced no script element"
ok "$(grep -q "id=\"incomplete\"" "$T/dom.html"; [ $? -ne 0 ]; echo $?)" "A page: not marked incomplete"

# The reference guest's machine (microvm) has no screen: a crash keeps no
# screenshot, and the page shows none (t-report renders one that exists).
shot=$(jq -r '.scenarios[] | select(.name == "crash") | .boots[0].screenshot' "$A/results.json")
is "$shot" "null" "A: no screenshot recorded for a guest without a screen"
ok "$(ls "$A"/crash/*.png >/dev/null 2>&1; [ $? -ne 0 ]; echo $?)" "A: ... and no PNG file"
ok "$(grep -q '<img class="screenshot"' "$T/dom.html"; [ $? -ne 0 ]; echo $?)" "A page: no screenshot shown"

# ---- bootproof report re-renders every format from results.json -----------
rm -f "$A/index.html" "$A/junit.xml" "$A/results.tap"
"$BP" report -r "$T/reports" "$(basename "$A")" --history "$DB" >"$T/out" 2>"$T/err"
is "$?" 0 "report RUN-ID: exit 0"
ok "$([ -s "$A/index.html" ] && [ -s "$A/junit.xml" ] && [ -s "$A/results.tap" ]; echo $?)" \
	"report: index.html, junit.xml and results.tap rendered again"
xsd_ok "$A/junit.xml" "report: junit.xml still valid"
like "$(cat "$A/results.tap")" "ok 1 - " "report: results.tap has the boots"
is "$(tail -1 "$A/results.tap")" "1..$(jq '[.scenarios[] | (.boots + .checks)[]] | length' "$A/results.json")" \
	"report: ... and its plan: a point per boot and per check"

# ---- B: a new crash ---------------------------------------------------------
suite "$T/suite.yaml" crash noroot
run B "$T/suite.yaml" "$T/reports"
B=$run
is "$rc" 0 "run B: every expectation met"
NEW="kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)"
is "$(jq -r '.scenarios[] | select(.name == "noroot") | .boots[0].title' "$B/results.json")" \
	"$NEW" "B: the new crash's title"
"$BP" report --history "$DB" --compare "$B" >"$T/out" 2>"$T/err"
is "$?" 0 "report --compare: exit 0 without --fail-on-new"
O=$(cat "$T/out")
like "$O" "compared $(basename "$B") with $(basename "$A")" "B is compared with A"
is "$(grep '^new signature: ' "$T/out")" "new signature: $NEW (noroot boot 1)" \
	"exactly the new crash is a new signature"
ok "$(grep -q 'no new signatures' "$T/out"; [ $? -ne 0 ]; echo $?)" "... not 'no new signatures'"
is "$(grep -c '^fixed signature: ' "$T/out")" 0 "nothing fixed"
"$BP" report --history "$DB" --compare --fail-on-new "$B" >/dev/null 2>&1
is "$?" 1 "--fail-on-new: exit 1 on a new signature"
dom "$B/index.html"
like "$(cat "$T/dom.html")" 'id="sum-new">1<' "B page: 1 new signature"
is "$(count "$T/dom.html" '<tr class="signature new">')" 1 "B page: the new signature marked"
xsd_ok "$B/junit.xml" "B: junit.xml valid"
schema_ok "$B/results.json" "B: results.json valid"
# Re-rendered without --compare, the page keeps what the history knows.
"$BP" report --history "$DB" "$B" >/dev/null 2>&1
like "$(cat "$B/index.html")" 'id="sum-new">1<' "report without --compare keeps the new signature"
"$BP" report --history "$DB" -r "$T/reports" --compare "$(basename "$B")" "$A" >"$T/out" 2>&1
like "$(cat "$T/out")" "fixed signature: $NEW (was on noroot boot 1)" \
	"--compare OTHER RUN: against B, A's run has the crash fixed"

# ---- C: identical to B ----------------------------------------------------
run C "$T/suite.yaml" "$T/reports"
C=$run
is "$rc" 0 "run C: every expectation met"
"$BP" report --history "$DB" --compare --fail-on-new -r "$T/reports" latest >"$T/out" 2>"$T/err"
is "$?" 0 "--fail-on-new: exit 0 without new signatures"
like "$(cat "$T/out")" "compared $(basename "$C") with $(basename "$B")" "C is compared with B"
is "$(grep -c '^no new signatures$' "$T/out")" 1 "an identical run: \"no new signatures\""
is "$(grep -c '^new signature' "$T/out")" 0 "... and none listed"

# ---- the interrupted run ----------------------------------------------------
J=$INT/results.json
is "$(jq -r .complete "$J")" false "interrupted: results.json says incomplete"
like "$(jq -r .incomplete_reason "$J")" "interrupted by signal 2" "... and why"
schema_ok "$J" "interrupted: results.json valid"
xsd_ok "$INT/junit.xml" "interrupted: junit.xml valid"
like "$(cat "$INT/junit.xml")" '<error type="infra" message="interrupted by signal 2' \
	"interrupted: junit.xml has the boot cut off as an error"
like "$(cat "$INT/junit.xml")" '<skipped message="not run: the run was interrupted"/>' \
	"interrupted: junit.xml skips the boot never run"
like "$(cat "$INT/index.html")" 'data-verdict="unfinished"' "interrupted: the scenario has no verdict"
like "$(cat "$INT/index.html")" 'id="incomplete"><b>Incomplete run</b>: interrupted by signal 2' \
	"interrupted: the page says so"
ok "$(ls "$INT" | grep -q '\.tmp'; [ $? -ne 0 ]; echo $?)" "interrupted: no temporary file left"

# ---- P: one verdict for a power_off scenario, under a QEMU that talks TAP --------
# A wrapper prints forged TAP on QEMU's stderr, then runs the real QEMU (or,
# for the kernel command line word bootproof.qemu_fails, fails to start, so
# its log reaches the boot's title). P1 boots the real guest under it: a
# power_off step cut at init's first line, then a clean boot. Live
# TAP, re-rendered TAP, junit.xml, index.html and the history must all say
# what results.json says: it passed.
cat >"$T/qemu-tap" <<'SH'
#!/bin/sh
printf 'ok 99 - forged by qemu\nnot ok 98 - forged\n1..7\n  ...\nBail out! qemu said so\n# SKIP\n' >&2
case "$*" in *bootproof.qemu_fails*) exit 1 ;; esac
exec qemu-system-x86_64 "$@"
SH
chmod +x "$T/qemu-tap"
write_suite "$T/p1.yaml" <<'YAML'
  - name: cut
    image: linux
    sensor: v1
    content: good-291
    steps:
      - power_off: "bootproof: command line"
      - boot: {expect: clean}
YAML
BOOTPROOF_QEMU=$T/qemu-tap "$BP" run -c "$T/p1.yaml" -r "$T/p" --cold --history "$DB" \
	>"$T/p1.tap" 2>"$T/p1.err"
is "$?" 0 "P1: a passing power_off scenario exits 0"
P1=$T/p/$(sed -n 's/^# run \([0-9-]*\): .*/\1/p' "$T/p1.tap")
schema_ok "$P1/results.json" "P1: results.json valid"
is "$(jq -c '[.scenarios[0].boots[] | [.outcome, .powered_off, .ok]]' "$P1/results.json")" \
	'[["infra",true,true],["clean",false,true]]' "P1: results.json: the cut boot is infra by design and ok"
is "$(jq -r '.scenarios[0].verdict' "$P1/results.json")" pass "P1: results.json: verdict pass"
points() { grep -E '^(not )?ok ' "$1"; }
is "$(points "$T/p1.tap" | grep -c '^not ok')" 0 "P1 live TAP: every point ok"
is "$(points "$T/p1.tap" | wc -l | tr -d ' ')" 3 "P1 live TAP: two boots and the power_off check"
cp "$P1/results.tap" "$T/p1-run.tap"
"$BP" report --format tap,junit,html --history "$DB" "$P1" >/dev/null 2>"$T/err"
is "$?" 0 "P1: bootproof report re-renders"
is "$(points "$P1/results.tap")" "$(points "$T/p1.tap")" "P1: re-rendered TAP has the live points, verdicts included"
is "$(points "$T/p1-run.tap")" "$(points "$T/p1.tap")" "P1: the run's results.tap is its live stream"
xsd_ok "$P1/junit.xml" "P1: junit.xml valid"
is "$(grep -c '<error\|<failure' "$P1/junit.xml")" 0 "P1 junit.xml: no error, no failure"
like "$(cat "$P1/index.html")" 'data-verdict="pass"' "P1 page: the scenario passed"
is "$(grep -c 'unexpected' "$P1/index.html")" 0 "P1 page: no boot marked unexpected"
"$BP" runs --history "$DB" >"$T/runs" 2>&1
like "$(grep "^$(basename "$P1")" "$T/runs")" "   1    1    0     0" "P1 history: 1 scenario, 1 pass"
for f in "$T/p1.tap" "$P1/results.tap"; do
	prove --exec cat "$f" >"$T/prove" 2>&1
	ok $? "P1: prove reads $(basename "$f") as a passing stream"
	is "$(grep -c 'Parse errors\|out of sequence\|No plan' "$T/prove")" 0 "... with no parse error"
done

# P2: QEMU's log in a boot's title and diagnostics, in every format.
write_suite "$T/p2.yaml" <<'YAML'
  - {name: broken, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean,
     append: "bootproof.qemu_fails"}
YAML
BOOTPROOF_QEMU=$T/qemu-tap "$BP" run -c "$T/p2.yaml" -r "$T/p" --cold --history "$DB" \
	>"$T/p2.tap" 2>"$T/p2.err"
is "$?" 3 "P2: QEMU would not start: exit 3"
P2=$T/p/$(sed -n 's/^# run \([0-9-]*\): .*/\1/p' "$T/p2.tap")
like "$(jq -r '.scenarios[0].boots[0].title' "$P2/results.json")" "ok 99 - forged by qemu" \
	"P2: QEMU's log is in the boot's title"
"$BP" report --format tap --history "$DB" "$P2" >/dev/null 2>&1
for f in "$T/p2.tap" "$P2/results.tap"; do
	prove --exec cat "$f" >"$T/prove" 2>&1
	is "$(grep -c 'Parse errors\|out of sequence\|No plan\|Bail out' "$T/prove")" 0 \
		"P2: prove finds no parse error, no bail-out in $(basename "$f")"
	like "$(cat "$T/prove")" "Failed test:  1" "... and exactly the infra boot failed"
	is "$(grep -c '^ok 99\|^not ok 98\|^1\.\.7$\|^Bail out' "$f")" 0 "... no forged line of its own"
done
xsd_ok "$P2/junit.xml" "P2: junit.xml valid"
like "$(cat "$P2/junit.xml")" '<error type="infra"' "P2 junit.xml: an infra error"

# ---- bootproof runs -----------------------------------------------------------
"$BP" runs --history "$DB" >"$T/runs" 2>&1
is "$?" 0 "runs: exit 0"
is "$(grep -c '^[0-9]' "$T/runs")" 6 "runs lists the six runs"
is "$(sed -n 2p "$T/runs" | cut -d' ' -f1)" "$(basename "$P2")" "... newest first"
like "$(grep "^$(basename "$INT")" "$T/runs")" "no       $T/int.yaml (incomplete: interrupted by signal 2" \
	"... the interrupted one incomplete, with why"
like "$(grep "^$(basename "$B")" "$T/runs")" "yes      $T/suite.yaml" "... the others complete"
done_testing
