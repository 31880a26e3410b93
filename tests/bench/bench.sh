#!/bin/sh
# bench.sh - `make bench`: the speed figures of issue 3, measured side by side
# in one invocation on the reference guest, medians over several runs.
#
#   floor      qemu-system-x86_64 alone, same kernel/initrd/disk/flags, exec -> marker
#   cold       a harness cold-boot trial: QEMU start -> boot judged clean
#   snap       a harness snapshot trial (restore, push bad content live, crash judged)
#   clone_ms   QEMU start to a running template clone (tests/bench/clone, which
#              also times the full-stream file restore beside it)
#   j2/j1      throughput of 8 single-boot trials, -j 2 versus -j 1
#   detect_ms  panic line's bytes arriving -> verdict recorded
#   rss_mib    the harness process's peak RSS while 2 VMs run
#
# The last line is the one-line summary. No figure here is asserted by a test.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib.sh"
FLOOR=$BUILD/tests/bench/floor
CLONE=$BUILD/tests/bench/clone
RUNS=${BENCH_RUNS:-5}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

{
	echo "  - {name: cold, image: linux, sensor: v1, content: good-291, boots: $RUNS, expect: clean}"
	# A snapshot trial: restore the booted guest, push the bad file live, judge the crash.
	for i in $(seq "$RUNS"); do
		echo "  - {name: snap$i, image: linux, sensor: v1a, content: good-291, steps: [{deploy: {content: bad-291, mode: live}}, {boot: {expect: crash}}]}"
	done
	echo "  - {name: crash, image: linux, sensor: v1, content: bad-291, boots: $RUNS, expect: crash}"
	for i in 1 2 3 4 5 6 7 8; do
		echo "  - {name: par$i, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}"
	done
} | write_suite "$T/suite.yaml"
# The snapshot trials' sensor ships its update agent (the live push goes through it).
sed -i "s|^sensors:|sensors:\n  v1a: {module: $ROOT/build/sensor/v1/refsensor.ko, agent: $ROOT/sensor/agent}|" "$T/suite.yaml"

echo "bench: $RUNS runs each; cold and crash trials first" >&2
"$BP" run -c "$T/suite.yaml" -r "$T/r1" --keep -j 1 cold crash >/dev/null || { echo "bench: run failed" >&2; exit 1; }
J1=$T/r1/latest/results.json
cold_ms=$(jq -r '.scenarios[] | select(.name == "cold") | .boots[].duration_s * 1000' "$J1" | median)
detect_ms=$(jq -r '.scenarios[] | select(.name == "crash") | .boots[].detect_ms' "$J1" | median)
disk=$(jq -r .work_dir "$J1")/0/system.qcow2
img=$ROOT/build/images/linux

echo "bench: floor (qemu alone, same flags) x $RUNS" >&2
floor_ms=$(for i in $(seq "$RUNS"); do "$FLOOR" "$img/vmlinuz" "$img/initrd.img" "$GUEST_APPEND" "$disk" "bootproof: boot complete"; done | median)
rm -rf "$(jq -r .work_dir "$J1")"

echo "bench: snapshot trials x $RUNS (the snapshot is built first, not timed)" >&2
snaps=$(seq -f 'snap%g' "$RUNS")
# shellcheck disable=SC2086
"$BP" run -c "$T/suite.yaml" -r "$T/rs" --cache "$T/cache" -j 1 $snaps >"$T/snap.tap" ||
	{ echo "bench: snapshot run failed" >&2; cat "$T/snap.tap" >&2; exit 1; }
JS=$T/rs/latest/results.json
snap_ms=$(jq -r '.scenarios[].boots[] | select(.restored) | .duration_s * 1000' "$JS" | median)
snap_build=$(sed -n 's/^# snapshot .*: built in \([0-9.]*\) s.*/\1/p' "$T/snap.tap")

echo "bench: template clones vs file restore, interleaved x $((RUNS < 11 ? 11 : RUNS))" >&2
clone_line=$("$CLONE" "$img/vmlinuz" "$img/initrd.img" "$GUEST_APPEND bootproof.shell" "$(realpath "$img/system.qcow2")" \
	"$T/clone-cache" "bootproof: boot complete" "$((RUNS < 11 ? 11 : RUNS))") || { echo "bench: clone failed" >&2; exit 1; }
clone_ms=$(echo "$clone_line" | sed -n 's/.*\bclone_ms=\([0-9.]*\).*/\1/p')
file_ms=$(echo "$clone_line" | sed -n 's/.*\bfile_ms=\([0-9.]*\).*/\1/p')

echo "bench: 8 single-boot trials, -j 1 then -j 2" >&2
"$BP" run -c "$T/suite.yaml" -r "$T/rj1" -j 1 par1 par2 par3 par4 par5 par6 par7 par8 >/dev/null
"$BP" run -c "$T/suite.yaml" -r "$T/rj2" -j 2 par1 par2 par3 par4 par5 par6 par7 par8 >/dev/null
t_j1=$(jq -r .trials_s "$T/rj1/latest/results.json")
t_j2=$(jq -r .trials_s "$T/rj2/latest/results.json")
rss_mib=$(jq -r '.harness_peak_rss_kib / 1024 | . * 10 | round / 10' "$T/rj2/latest/results.json")

printf '%-44s %10s\n' "measure" "value"
printf '%-44s %10.1f\n' "floor: qemu alone to marker (ms, median)" "$floor_ms"
printf '%-44s %10.1f\n' "cold-boot trial to verdict (ms, median)" "$cold_ms"
printf '%-44s %10.1f\n' "snapshot trial: restore+push+crash (ms, median)" "$snap_ms"
printf '%-44s %10s\n' "snapshot build, once (s)" "${snap_build:-?}"
printf '%-44s %10.1f\n' "template clone: qemu start to running (ms)" "$clone_ms"
printf '%-44s %10.1f\n' "file restore: qemu start to running (ms)" "$file_ms"
printf '%-44s %10.1f\n' "8 trials -j 1 (s)" "$t_j1"
printf '%-44s %10.1f\n' "8 trials -j 2 (s)" "$t_j2"
printf '%-44s %10.2f\n' "detection latency (ms, median)" "$detect_ms"
printf '%-44s %10.1f\n' "harness peak RSS with 2 VMs (MiB)" "$rss_mib"
echo "bench: cold/floor=$(ratio "$cold_ms" "$floor_ms") snap/cold=$(ratio "$snap_ms" "$cold_ms") clone_ms=$clone_ms j2/j1=$(ratio "$t_j1" "$t_j2") detect_ms=$(printf '%.1f' "$detect_ms") rss_mib=$rss_mib"
