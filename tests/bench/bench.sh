#!/bin/sh
# bench.sh - `make bench`: the speed figures, measured side by side in one
# invocation on the reference guest, medians over several runs.
#
#   floor         qemu-system-x86_64 alone, the harness's argv, exec -> marker (cold)
#   cold          a harness cold boot (--cold): QEMU start -> boot judged clean
#   restore_ms    a restored boot (the image's pre-mount state) -> judged clean
#   clone_ms      QEMU start -> a running template clone (tests/bench/clone, which
#                 also times the full-stream file restore beside it)
#   start_ms      a restored boot's start -> its guest running, in the harness
#   live_ms       restore a booted state, push bad content live, crash judged
#   trials_per_s  40 single-boot live-content trials (crash judged) at -j 2
#   demo_s        the demo suite (scenarios.yaml) at -j 2, snapshots already built
#   j2/j1         throughput of 8 single-boot trials, -j 2 versus -j 1
#   detect_ms     panic line's bytes arriving -> verdict recorded
#   rss_mib       the harness process's peak RSS while 2 VMs run
#   stall         a SIGSTOPped neighbour's effect on another trial (stall.sh)
#   lv_*          the libvirt backend beside the direct one, on a libvirtd of
#                 the bench's own (scripts/libvirtd-test.sh): its cold boots'
#                 start_ms and boot to verdict, its restored boots' (only the
#                 boots results.json marks restored; n/a without any) and the
#                 crash's detect_ms; n/a, the reason on stderr, when no
#                 libvirtd can be had or its run fails
#
# The last line is the one-line summary. No figure here is asserted by a test.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib.sh"
FLOOR=$BUILD/tests/bench/floor
CLONE=$BUILD/tests/bench/clone
RUNS=${BENCH_RUNS:-5}
CACHE=$T/cache

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
# The libvirt figures may be n/a: passed through by these, never divided.
lv_ratio() { case $1 in n/a) echo n/a ;; *) ratio "$1" "$2" ;; esac; }
lv_fmt() { case $1 in n/a) echo n/a ;; *) printf "%.${2}f" "$1" ;; esac; }
run() { # REPORTS ARGS... : a harness run into $T/REPORTS, its results.json path printed
	r=$1
	shift
	"$BP" run -c "$T/suite.yaml" -r "$T/$r" --cache "$CACHE" "$@" >"$T/$r.tap" 2>&1 ||
		{ echo "bench: run $r failed" >&2; tail -20 "$T/$r.tap" >&2; exit 1; }
	echo "$T/$r/latest/results.json"
}
boots() { # RESULTS.JSON SCENARIO-FILTER BOOT-FILTER : one value per selected boot
	jq -r ".scenarios[] | $2 | .boots[] | $3" "$1"
}

{
	echo "  - {name: clean, image: linux, sensor: v1, content: good-291, boots: $RUNS, expect: clean}"
	echo "  - {name: crash, image: linux, sensor: v1, content: bad-291, boots: $RUNS, expect: crash}"
	# A live trial: restore the booted guest, push the bad file, judge the crash.
	for i in $(seq 40); do
		echo "  - {name: live$i, image: linux, sensor: v1a, content: good-291, steps: [{deploy: {content: bad-291, mode: live}}, {boot: {expect: crash}}]}"
	done
	for i in 1 2 3 4 5 6 7 8; do
		echo "  - {name: par$i, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}"
	done
} | write_suite "$T/suite.yaml"
# The live trials' sensor ships its update agent (the push goes through it).
sed -i "s|^sensors:|sensors:\n  v1a: {module: $ROOT/build/sensor/v1/refsensor.ko, agent: $ROOT/sensor/agent}|" "$T/suite.yaml"

echo "bench: $RUNS cold boots, then the same restored (the snapshots are built first, not timed)" >&2
JC=$(run cold -j 1 --cold --keep clean)
cold_ms=$(boots "$JC" 'select(.name == "clean")' '.duration_s * 1000' | median)
cold_start_ms=$(boots "$JC" 'select(.name == "clean")' '.start_ms' | median)
disk=$(jq -r .work_dir "$JC")/0/system.qcow2
run warm -j 1 live1 >/dev/null
JR=$(run restored -j 1 clean crash)
restore_ms=$(boots "$JR" 'select(.name == "clean")' '.duration_s * 1000' | median)
start_ms=$(boots "$JR" '.' 'select(.restored) | .start_ms' | median)
detect_ms=$(boots "$JR" 'select(.name == "crash")' '.detect_ms' | median)

echo "bench: floor (qemu alone, the harness's argv) x $RUNS" >&2
floor_ms=$(for i in $(seq "$RUNS"); do "$FLOOR" "$GUEST_KERNEL" "$GUEST_IMAGE/initrd.img" "$GUEST_APPEND" "$disk" "bootproof: boot complete"; done | median)
rm -rf "$(jq -r .work_dir "$JC")"

echo "bench: the libvirt backend: $RUNS cold boots, then the same and the crash without --cold" >&2
# A daemon of our own, started as tests/e2e-libvirt.sh does: on qemu:///system
# unless someone else's answers there, then isolated (TCP alone).
LV=$T/libvirtd
trap '"$ROOT/scripts/libvirtd-test.sh" stop "$LV"; rm -rf "$T"' EXIT
lv_start_ms=n/a lv_cold_ms=n/a lv_restore_ms=n/a lv_detect_ms=n/a
lv_why=
PORT=$((40000 + $$ % 20000))
if [ "$(id -u)" != 0 ]; then
	lv_why="libvirtd needs root here"
elif ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	lv_why="libvirt not installed"
elif ! LVURI=$("$ROOT/scripts/libvirtd-test.sh" start "$LV" "$PORT" 2>"$T/lv-start.err") &&
	! { grep -q "answers on qemu:///system" "$T/lv-start.err" &&
		LVURI=$("$ROOT/scripts/libvirtd-test.sh" start "$LV" "$PORT" --isolated 2>"$T/lv-start.err"); }; then
	lv_why="libvirtd would not start: $(cat "$T/lv-start.err")"
elif ! JLC=$(run lvcold -j 1 --cold --backend libvirt --host "$LVURI" clean) ||
	! JLR=$(run lvrestored -j 1 --backend libvirt --host "$LVURI" clean crash); then
	lv_why="a libvirt run failed (above)"
else
	lv_start_ms=$(boots "$JLC" 'select(.name == "clean")' '.start_ms' | median)
	lv_cold_ms=$(boots "$JLC" 'select(.name == "clean")' '.duration_s * 1000' | median)
	lv_restore_ms=$(boots "$JLR" 'select(.name == "clean")' 'select(.restored) | .duration_s * 1000' | median)
	[ "$lv_restore_ms" != nan ] || lv_restore_ms=n/a # no libvirt restores (yet): not a failure
	lv_detect_ms=$(boots "$JLR" 'select(.name == "crash")' '.detect_ms' | median)
fi
[ -z "$lv_why" ] || echo "bench: libvirt figures n/a: $lv_why" >&2
"$ROOT/scripts/libvirtd-test.sh" stop "$LV"

echo "bench: 40 live-content trials at -j 2" >&2
# shellcheck disable=SC2046
JL=$(run live -j 2 $(seq -f 'live%g' 40))
live_ms=$(boots "$JL" '.' 'select(.restored) | .duration_s * 1000' | median)
trials_per_s=$(jq -r '40 / .trials_s | . * 100 | round / 100' "$JL")

echo "bench: 8 single-boot trials, -j 1 then -j 2" >&2
J1=$(run j1 -j 1 par1 par2 par3 par4 par5 par6 par7 par8)
J2=$(run j2 -j 2 par1 par2 par3 par4 par5 par6 par7 par8)
t_j1=$(jq -r .trials_s "$J1")
t_j2=$(jq -r .trials_s "$J2")
rss_mib=$(jq -r '.harness_peak_rss_kib / 1024 | . * 10 | round / 10' "$J2")

echo "bench: template clones vs file restore, interleaved x $((RUNS < 11 ? 11 : RUNS))" >&2
clone_line=$("$CLONE" "$GUEST_KERNEL" "$GUEST_IMAGE/initrd.img" "$GUEST_APPEND bootproof.shell" "$(realpath "$GUEST_IMAGE/system.qcow2")" \
	"$T/clone-cache" "bootproof: boot complete" "$((RUNS < 11 ? 11 : RUNS))") || { echo "bench: clone failed" >&2; exit 1; }
clone_ms=$(echo "$clone_line" | sed -n 's/.*\bclone_ms=\([0-9.]*\).*/\1/p')
file_ms=$(echo "$clone_line" | sed -n 's/.*\bfile_ms=\([0-9.]*\).*/\1/p')

echo "bench: the demo suite at -j 2" >&2
"$BP" run -c "$ROOT/scenarios.yaml" -r "$T/demo0" --cache "$CACHE" -j 2 >/dev/null 2>&1 # builds its snapshots
t0=$(date +%s.%N)
"$BP" run -c "$ROOT/scenarios.yaml" -r "$T/demo" --cache "$CACHE" -j 2 >"$T/demo.tap" 2>&1 ||
	{ echo "bench: the demo failed" >&2; tail -20 "$T/demo.tap" >&2; exit 1; }
demo_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

echo "bench: a SIGSTOPped neighbour, $RUNS pairs" >&2
# dash ignores arguments to ., so stall.sh gets its PAIRS as $1 from set.
stall=$(set -- "$RUNS"; . "$ROOT/tests/bench/stall.sh" | tail -1)

printf '%-48s %10s\n' "measure" "value"
printf '%-48s %10.1f\n' "floor: qemu alone to marker (ms, median)" "$floor_ms"
printf '%-48s %10.1f\n' "cold boot to verdict (ms, median)" "$cold_ms"
printf '%-48s %10s\n' "libvirt: cold boot to verdict (ms, median)" "$(lv_fmt "$lv_cold_ms" 1)"
printf '%-48s %10.1f\n' "restored boot to verdict (ms, median)" "$restore_ms"
printf '%-48s %10s\n' "libvirt: restored boot to verdict (ms, median)" "$(lv_fmt "$lv_restore_ms" 1)"
printf '%-48s %10s\n' "cold boot: start to running (ms, median)" "$cold_start_ms"
printf '%-48s %10s\n' "libvirt: cold start to running (ms, median)" "$(lv_fmt "$lv_start_ms" 0)"
printf '%-48s %10s\n' "restored boot: start to running (ms, median)" "$start_ms"
printf '%-48s %10.1f\n' "template clone: qemu start to running (ms)" "$clone_ms"
printf '%-48s %10.1f\n' "file restore: qemu start to running (ms)" "$file_ms"
printf '%-48s %10.1f\n' "live trial: restore+push+crash (ms, median)" "$live_ms"
printf '%-48s %10s\n' "40 live-content trials at -j 2 (trials/s)" "$trials_per_s"
printf '%-48s %10s\n' "demo suite at -j 2 (s)" "$demo_s"
printf '%-48s %10.1f\n' "8 trials -j 1 (s)" "$t_j1"
printf '%-48s %10.1f\n' "8 trials -j 2 (s)" "$t_j2"
printf '%-48s %10.2f\n' "detection latency (ms, median)" "$detect_ms"
printf '%-48s %10s\n' "libvirt: detection latency (ms, median)" "$(lv_fmt "$lv_detect_ms" 2)"
printf '%-48s %10.1f\n' "harness peak RSS with 2 VMs (MiB)" "$rss_mib"
echo "$stall"
echo "bench: floor_ms=$(printf '%.0f' "$floor_ms") cold/floor=$(ratio "$cold_ms" "$floor_ms") restore_ms=$(printf '%.0f' "$restore_ms") clone_ms=$clone_ms live_ms=$(printf '%.0f' "$live_ms") trials_per_s=$trials_per_s demo_s=$demo_s j2/j1=$(ratio "$t_j1" "$t_j2") detect_ms=$(printf '%.1f' "$detect_ms") rss_mib=$rss_mib lv_start/direct=$(lv_ratio "$lv_start_ms" "$cold_start_ms") lv_cold/direct=$(lv_ratio "$lv_cold_ms" "$cold_ms") lv_restore/direct=$(lv_ratio "$lv_restore_ms" "$restore_ms") lv_detect_ms=$(lv_fmt "$lv_detect_ms" 1)"
