#!/bin/sh
# shellcheck disable=SC2034,SC2154 # per-trial variables (sid_G, rc_G, ...) are set and read through eval
# e2e-faults - faults injected into real runs of the reference guest:
#   K  the host SIGKILLs one trial's QEMU mid-boot (-j2): that trial is `infra`,
#      the other finishes with its own verdict, exit status 3;
#   I  the harness gets SIGINT mid-boot, T  SIGTERM mid-boot, G  SIGTERM while
#      the libguestfs appliance injects: each exits promptly, leaves no process
#      and no work directory behind, and a readable, incomplete report;
#   D  the reports directory is a tiny tmpfs that the boot logs fill: a clear
#      error, exit status 3, and every report file that exists is complete;
#   Y  the harness is SIGKILLed while the libguestfs appliance runs, X mid-boot:
#      no process survives, their litter (work directory, the appliance's
#      socket directory, results.tap.tmp) stays, until a later run (Y) or
#      `bootproof runs` (X) removes it and marks the run killed, while the
#      scratch of a live run (T) stays;
#   S  one guest's QEMU is SIGSTOPped (-j2): that trial is `infra` ("qemu
#      stopped answering QMP"), within its deadline; the other passes.
# The runs overlap, in two waves; each has a session of its own, so "nothing
# left" is checked by session and by work directory, never by process name.
. "$(dirname "$0")/lib.sh"
need_guest
command -v setsid >/dev/null || skip_all "setsid not installed"
# The faults don't depend on the accelerator: TCG unless told otherwise keeps
# the timing the same everywhere and skips each run's KVM probe.
BOOTPROOF_ACCEL=${BOOTPROOF_ACCEL:-tcg}
export BOOTPROOF_ACCEL

FULL=$T/full
cleanup() {
	for p in ${pid_K:-} ${pid_I:-} ${pid_T:-} ${pid_G:-} ${pid_D:-} ${pid_X:-} ${pid_Y:-} ${pid_S:-}; do
		kill -KILL "$p" 2>/dev/null
	done
	mountpoint -q "$FULL" 2>/dev/null && umount "$FULL"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds (0) or time is up (1).
wait_until() {
	_end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}

# The harness runs in a session of its own: its sid is its pid.
start() { # NAME ARGS...
	_name=$1
	shift
	setsid "$BP" run "$@" >"$T/$_name.out" 2>"$T/$_name.err" &
	eval "pid_$_name=$! sid_$_name=$!"
}

exited() { # PID: gone or a zombie waiting for us
	! [ -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" = Z ]
}

# finish NAME SECONDS: wait (bounded) for the run to end; its status in $rc_NAME,
# when it ended in $t_end_NAME.
finish() {
	eval "_p=\$pid_$1"
	if ! wait_until "$2" exited "$_p"; then
		diag "run $1 did not end within $2 s; killing it"
		kill -KILL "$_p"
	fi
	eval "t_end_$1=$(now_ms)"
	wait "$_p"
	eval "rc_$1=$? pid_$1="
}

# Live (not zombie) processes of a session, one "pid state args" a line.
session_procs() { # SID
	ps -e -o pid=,sid=,stat=,args= | awk -v s="$1" '$2 == s && $3 !~ /^Z/ { $2 = ""; print }'
}

# The run's private work directory, $TMPDIR/bootproof-XXXXXX, from a child's command line.
work_of() { # SID
	session_procs "$1" | grep -o "$TMPDIR/bootproof-[A-Za-z0-9]\{6\}/" | head -n 1 | sed 's|/$||'
}

have_qemu() { session_procs "$1" | grep -q "qemu-system.*/$2/qmp\.sock"; }
have_appliance() { session_procs "$1" | grep -q 'qemu-system.*guestfsd\.sock'; }
log_started() { set -- "$1"/*/"$2"/boot-1.log; [ -s "$1" ]; }
booting() { log_started "$1" "$3" && have_qemu "$2" "$4"; } # REPORTS SID TRIAL IDX

write_suite "$T/suite.yaml" <<'YAML'
  - {name: killed, image: silent, sensor: v1, content: good-291, boots: 1, expect: clean,
     boot_timeout: 120, silence_timeout: 120}
  - {name: other, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean,
     boot_timeout: 120, silence_timeout: 60}
  - {name: stuck, image: silent, sensor: v1, content: good-291, boots: 1, expect: clean,
     boot_timeout: 120, silence_timeout: 120}
  - {name: wedged, image: silent, sensor: v1, content: good-291, boots: 1, expect: hang,
     boot_timeout: 120, silence_timeout: 8}
  - {name: fill-the-reports-disk-with-the-console-logs-and-the-tap-points-of-crashing-boots,
     image: linux, sensor: v1, content: bad-291, boots: 4, expect: crash}
YAML
# `silent` waits for a marker the guest never prints: its boots stay in progress.
add_image "$T/suite.yaml" silent 'marker: "bootproof: never printed"'

# D's reports directory: a tmpfs (8 pages) that holds the first results.json
# and the start of the TAP stream but not all four crashes' logs (~5 KiB
# each, the kernel's boot messages being quiet); their TAP points (excerpts,
# ~2 KiB each, and the long name) outgrow the TAP file's first page once the
# disk is full.
mkdir -p "$FULL"
have_full=0
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=32k,mode=0755 bootproof-full "$FULL" 2>/dev/null; then
	have_full=1
fi

# Two waves, so that no more than two guests and two appliances share the
# host's cores (a starved TCG guest can go silent past its deadlines).
t_start=$(now_ms)
start K -c "$T/suite.yaml" -r "$T/rK" -j2 killed other
start I -c "$T/suite.yaml" -r "$T/rI" stuck
start G -c "$T/suite.yaml" -r "$T/rG" stuck
start Y -c "$T/suite.yaml" -r "$T/rY" stuck
for n in K I G Y; do
	eval "_p=\$pid_$n"
	is "$(ps -o sid= -p "$_p" | tr -d ' ')" "$_p" "run $n has a session of its own"
done

# An interrupted run: prompt, no process, no work directory, an incomplete report.
signum() { case $1 in SIGINT) echo 2 ;; SIGTERM) echo 15 ;; esac; }
elapsed() { echo "$((($(now_ms) - t_start) / 1000)) s"; }

check_interrupted() { # NAME SIGNAME
	n=$1
	diag "$n: $2 at $(elapsed)"
	eval "_s=\$sid_$n; _t=\${t_sig_$n:-0}; _w=\${work_$n:-}"
	finish "$n" 30
	eval "_rc=\$rc_$n; _e=\$t_end_$n"
	dt=$((_e - _t))
	ok "$([ "$dt" -lt 5000 ]; echo $?)" "$n: exits within 5 s of $2 ($dt ms)"
	is "$_rc" 3 "$n: exit status 3 (interrupted)"
	is "$(session_procs "$_s")" "" "$n: no process of the run is left"
	ok "$([ -n "$_w" ] && [ ! -e "$_w" ]; echo $?)" "$n: work directory '$_w' removed"
	is "$(pgrep -f "${_w:-no work directory}/" | tr '\n' ' ')" "" "$n: no process uses the work directory"
	J=$T/r$n/latest/results.json
	ok "$(jq -e . "$J" >/dev/null 2>&1; echo $?)" "$n: results.json is valid JSON"
	is "$(jq -r .complete "$J")" false "$n: results.json says incomplete"
	is "$(jq -r .incomplete_reason "$J")" "interrupted by signal $(signum "$2")" \
		"$n: incomplete reason: interrupted by $2"
	ok "$(jq -e '[.scenarios[].verdict] | all(. != "fail")' "$J" >/dev/null; echo $?)" \
		"$n: no product finding from an interrupted run"
	ok "$(jq -e '[.scenarios[].boots[].outcome] | all(. != "crash" and . != "hang")' "$J" \
		>/dev/null; echo $?)" "$n: an interrupted boot is neither a crash nor a hang"
	tap=$T/r$n/latest/results.tap
	ok "$([ -f "$tap" ]; echo $?)" "$n: results.tap exists"
	is "$(tail -c 1 "$tap" | od -An -c | tr -d ' ')" '\n' "$n: results.tap ends with a whole line"
	ok "$(tail -n 1 "$tap" | grep -Eq '^1\.\.[0-9]+$'; echo $?)" "$n: results.tap ends with its plan"
	ok "$(grep -q "^# incomplete run: interrupted by signal $(signum "$2")$" "$tap"; echo $?)" \
		"$n: results.tap says the run was interrupted by $2"
	like "$(cat "$T/$n.out")" "incomplete run: interrupted by" "$n: so does the TAP on stdout"
	is "$(find "$T/r$n" -name '*.tmp*' | tr '\n' ' ')" "" "$n: no temporary files in the reports"
}

# --- G: SIGTERM while the libguestfs appliance runs ---------------------------
if wait_until 120 have_appliance "$sid_G"; then
	work_G=$(work_of "$sid_G")
	socks_G=$(session_procs "$sid_G" | grep -o '/tmp/libguestfs[A-Za-z0-9]\{6\}' | sort -u)
	kill -TERM "$pid_G"
	t_sig_G=$(now_ms)
	check_interrupted G SIGTERM
	for s in $socks_G; do
		ok "$([ ! -e "$s" ]; echo $?)" "G: libguestfs socket directory $s removed"
	done
	[ -n "$socks_G" ] || ok 1 "G: found the appliance's socket directory"
else
	ok 1 "G: the libguestfs appliance started"
fi


# --- Y: SIGKILL while the libguestfs appliance runs: litter stays ---------------
# session_procs of a dead harness's session: its children die with it (PDEATHSIG).
gone() { [ -z "$(session_procs "$1")" ]; }
check_killed_litter() { # NAME WORK
	eval "_s=\$sid_$1"
	ok "$(wait_until 15 gone "$_s"; echo $?)" "$1: no process survives SIGKILL of the harness"
	ok "$([ -n "$2" ] && [ -d "$2" ]; echo $?)" "$1: its work directory '$2' is left behind"
	ok "$([ -f "$2/.lock" ]; echo $?)" "$1: with the lock that proves its owner"
	J=$T/r$1/latest/results.json
	is "$(jq -r '"\(.complete) \(.incomplete_reason)"' "$J")" "false null" \
		"$1: results.json says incomplete, no reason"
	ok "$([ -f "$T/r$1/latest/results.tap.tmp" ]; echo $?)" "$1: results.tap.tmp is left behind"
}
check_swept() { # NAME WORK BY
	ok "$([ ! -e "$2" ]; echo $?)" "$1: work directory removed by $3"
	J=$T/r$1/latest/results.json
	is "$(jq -r '"\(.complete) \(.incomplete_reason)"' "$J")" "false killed" \
		"$1: results.json marked killed by $3"
	is "$(find "$T/r$1" -name '*.tmp*' | tr '\n' ' ')" "" "$1: no temporary files left in the reports"
	ok "$(tail -n 1 "$T/r$1/latest/results.tap" | grep -Eq '^1\.\.[0-9]+$'; echo $?)" \
		"$1: results.tap rendered from results.json"
}
if wait_until 120 have_appliance "$sid_Y"; then
	work_Y=$(work_of "$sid_Y")
	socks_Y=$(session_procs "$sid_Y" | grep -o '/tmp/libguestfs[A-Za-z0-9]\{6\}' | sort -u)
	# the worker notes the socket directory at the appliance's first console bytes
	wait_until 60 test -s "$work_Y/.guestfs" || diag "Y: no .guestfs note yet"
	kill -KILL "$pid_Y"
	diag "Y: SIGKILL at $(elapsed)"
	finish Y 10
	check_killed_litter Y "$work_Y"
	for s in $socks_Y; do
		ok "$([ -d "$s" ]; echo $?)" "Y: libguestfs socket directory $s is left behind"
	done
	[ -n "$socks_Y" ] || ok 1 "Y: found the appliance's socket directory"
else
	ok 1 "Y: the libguestfs appliance started"
fi

# --- K: the host kills one trial's QEMU mid-boot --------------------------------
if wait_until 180 booting "$T/rK" "$sid_K" killed 0; then
	kill -KILL $(pgrep -s "$sid_K" -f 'qemu-system.*/0/qmp\.sock')
	diag "K: trial 0's QEMU killed at $(elapsed)"
else
	ok 1 "K: trial 'killed' started booting"
fi

# --- I and T: SIGINT and SIGTERM mid-boot ----------------------------------------
interrupt_mid_boot() { # NAME SIG
	eval "_s=\$sid_$1"
	if wait_until 180 booting "$T/r$1" "$_s" stuck 0; then
		eval "work_$1=\$(work_of $_s)"
		kill -"$2" "$_s"
		eval "t_sig_$1=\$(now_ms)"
		check_interrupted "$1" "SIG$2"
	else
		ok 1 "$1: the trial started booting"
	fi
}
interrupt_mid_boot I INT
start T -c "$T/suite.yaml" -r "$T/rT" stuck
start X -c "$T/suite.yaml" -r "$T/rX" stuck
[ "$have_full" = 1 ] && start D -c "$T/suite.yaml" -r "$FULL" fill-the-reports-disk-with-the-console-logs-and-the-tap-points-of-crashing-boots

# --- Y swept by a later run; X: SIGKILL mid-boot, swept by `bootproof runs` ------
if [ -n "${work_Y:-}" ]; then
	wait_until 60 test -e "$T/rT/latest" # T has started, and swept first
	check_swept Y "$work_Y" "a later run"
	for s in $socks_Y; do
		ok "$([ ! -e "$s" ]; echo $?)" "Y: libguestfs socket directory $s removed by a later run"
	done
fi
if wait_until 180 booting "$T/rX" "$sid_X" stuck 0 && wait_until 60 booting "$T/rT" "$sid_T" stuck 0; then
	work_X=$(work_of "$sid_X")
	work_T=$(work_of "$sid_T")
	kill -KILL "$pid_X"
	diag "X: SIGKILL mid-boot at $(elapsed)"
	finish X 10
	check_killed_litter X "$work_X"
	out=$("$BP" runs -r "$T/rX" 2>"$T/runs.err")
	like "$(cat "$T/runs.err")" "removed what dead run" "X: bootproof runs says what it removed"
	like "$out" "(incomplete: killed)" "X: bootproof runs lists the run as killed"
	check_swept X "$work_X" "bootproof runs"
	ok "$([ -d "$work_T" ] && [ -f "$work_T/.lock" ]; echo $?)" \
		"T: a live run's work directory '$work_T' is not swept"
	ok "$(have_qemu "$sid_T" 0; echo $?)" "T: and its guest still runs"
else
	ok 1 "X: the trial started booting"
fi
interrupt_mid_boot T TERM

# --- K: results ----------------------------------------------------------------
finish K 180
diag "K: ended at $(elapsed)"
is "$rc_K" 3 "K: exit status 3 when a trial's QEMU was killed by the host"
J=$T/rK/latest/results.json
is "$(jq -r .complete "$J")" true "K: the run completed"
is "$(jq -r '.scenarios[0].verdict' "$J")" infra "K: the killed trial's verdict is infra"
is "$(jq -r '.scenarios[0].boots[0].outcome' "$J")" infra "K: its boot is infra, not a crash"
like "$(jq -r '.scenarios[0].boots[0].title' "$J")" "killed by signal 9" "K: the title says QEMU was killed"
is "$(jq -r '.scenarios[1].verdict' "$J")" pass "K: the other trial passes"
is "$(jq -r '.scenarios[1].boots | map(.outcome) | join(",")' "$J")" clean "K: its boot is clean"
is "$(jq -r '"\(.summary.pass) \(.summary.fail) \(.summary.infra)"' "$J")" "1 0 1" \
	"K: summary: 1 pass, 0 fail, 1 infra"
ok "$(grep -q '^not ok [0-9]* - killed: boot 1 infra: qemu killed by signal 9' "$T/K.out"; echo $?)" \
	"K: TAP: the killed boot is a failed point, infra"
ok "$(grep -q '^ok [0-9]* - other: boot 1 clean$' "$T/K.out"; echo $?)" "K: TAP: the other boot is clean"
is "$(session_procs "$sid_K")" "" "K: no process of the run is left"

# --- D: the disk fills ---------------------------------------------------------
if [ "$have_full" = 1 ]; then
	finish D 240
	diag "D: ended at $(elapsed)"
	is "$rc_D" 3 "D: exit status 3 (the host failed)"
	ok "$(grep -Eq "^bootproof: .*'$FULL/[^']+/results\.json': No space left on device" "$T/D.err"; echo $?)" \
		"D: stderr names results.json and says No space left on device"
	ok "$(grep -Eq "^bootproof: .*'$FULL/[^']+/results\.tap': No space left on device" "$T/D.err"; echo $?)" \
		"D: stderr names results.tap and says No space left on device"
	is "$(grep -c 'results\.json.: No space' "$T/D.err")" 1 "D: the same error is printed once, not per boot"
	diag "$(cat "$T/D.err")"
	run=$(ls -d "$FULL"/2* 2>/dev/null | head -n 1)
	J=$run/results.json
	ok "$([ -f "$J" ]; echo $?)" "D: results.json from an earlier save is there"
	ok "$(jq -e . "$J" >/dev/null 2>&1; echo $?)" "D: results.json parses"
	is "$(jq -r .run_id "$J" 2>/dev/null)" "$(basename "$run")" "D: results.json is the run's own"
	is "$(jq -r .complete "$J" 2>/dev/null)" false \
		"D: results.json is the last save that fit: it does not claim a complete run"
	if [ -e "$run/results.tap" ]; then
		ok "$(tail -n 1 "$run/results.tap" | grep -Eq '^1\.\.[0-9]+$'; echo $?)" \
			"D: results.tap, where written, ends with its plan"
	fi
	if [ -e "$run/junit.xml" ]; then
		ok "$(xmllint --noout "$run/junit.xml" 2>/dev/null; echo $?)" "D: junit.xml, where written, parses"
	fi
	if [ -e "$run/index.html" ]; then
		ok "$(tail -n 2 "$run/index.html" | grep -q '</html>'; echo $?)" \
			"D: index.html, where written, is whole"
	fi
	if [ -e "$FULL/history.db" ] && command -v sqlite3 >/dev/null; then
		is "$(sqlite3 "$FULL/history.db" 'pragma integrity_check' 2>&1)" ok \
			"D: history.db, where written, is intact"
	fi
	is "$(find "$FULL" -name '*.tmp*' -o -name '.latest.*' | tr '\n' ' ')" "" \
		"D: no temporary files left on the full disk"
	is "$(session_procs "$sid_D")" "" "D: no process of the run is left"
else
	echo "ok $((_n = _n + 1)) # SKIP D: cannot mount a tmpfs (not root)"
fi

# --- S: one guest's QEMU is SIGSTOPped (-j2) ------------------------------------
start S -c "$T/suite.yaml" -r "$T/rS" -j2 wedged other
# Trials follow the suite's order: other is trial 0, wedged trial 1.
if wait_until 180 booting "$T/rS" "$sid_S" wedged 1; then
	kill -STOP $(pgrep -s "$sid_S" -f 'qemu-system.*/1/qmp\.sock')
	diag "S: trial 1's QEMU stopped at $(elapsed)"
else
	ok 1 "S: trial 'wedged' started booting"
fi
finish S 180
is "$rc_S" 3 "S: exit status 3 when a QEMU stopped answering"
J=$T/rS/latest/results.json
W='.scenarios[] | select(.name == "wedged") | .boots[0]'
is "$(jq -r "$W.outcome" "$J")" infra "S: the stopped QEMU's boot is infra, not a hang"
like "$(jq -r "$W.title" "$J")" "qemu stopped answering QMP" \
	"S: the title says QEMU stopped answering QMP"
d=$(jq -r "$W.duration_s" "$J")
ok "$(awk -v d="$d" 'BEGIN { exit !(d < 120) }'; echo $?)" "S: judged before its boot deadline ($d s)"
is "$(jq -r '.scenarios[] | select(.name == "other") | .boots | map(.outcome) | join(",")' "$J")" \
	clean "S: the other trial's boot is clean"
diag "S: other trial's boot took $(jq -r '.scenarios[] | select(.name == "other") | .boots[0].duration_s' "$J") s"
is "$(session_procs "$sid_S")" "" "S: no process of the run is left"

diag "wall time $(elapsed)"
done_testing
