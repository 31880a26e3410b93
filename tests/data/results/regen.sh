#!/bin/sh
# regen.sh - regenerate the fixtures that stand for harness output from a
# real run of the reference guest, so they cannot drift from what the
# harness writes. Run from anywhere after `make all`; it boots guests (TCG,
# about a minute) and rewrites tests/data/results/run-4-power-off.
#
# Only what names the machine or the moment is normalized (run id, start
# time, host, suite path, accelerator reason, the run id in the TAP
# stream's first comment); every field, verdict and "ok" is the harness's.
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
export ROOT
. "$ROOT/tests/lib.sh"
need_guest
BOOTPROOF_ACCEL=tcg
export BOOTPROOF_ACCEL
ID=20260113-020000-7070
OUT=$ROOT/tests/data/results/run-4-power-off

write_suite "$T/suite.yaml" <<'YAML'
  - name: cut
    image: linux
    sensor: v1
    content: good-291
    steps:
      - power_off: "Linux version"
      - boot: {expect: clean}
  - name: crash
    image: linux
    sensor: v1
    content: bad-291
    steps: [{boot: {expect: crash, title: refsensor_eval}}]
YAML
"$BP" run -c "$T/suite.yaml" -r "$T/reports" --cold -j2 --history "$T/history.db" >"$T/run.tap" ||
	{ echo "regen: the run failed (status $?)" >&2; exit 1; }
run=$T/reports/$(sed -n 's/^# run \([0-9-]*\): .*/\1/p' "$T/run.tap")
rm -rf "$OUT"
mkdir -p "$OUT"
jq --arg id "$ID" '.run_id = $id | .started = "2026-01-13T02:00:00Z" | .host = "qual-runner-07"
	| .suite = "scenarios.yaml" | .accelerator_reason = "BOOTPROOF_ACCEL=tcg"' \
	"$run/results.json" >"$OUT/results.json"
sed "1,2s/^# run [0-9-]*: .*/# run $ID: 2 scenarios, accelerator tcg (BOOTPROOF_ACCEL=tcg)/" \
	"$run/results.tap" >"$OUT/results.tap"
for d in cut crash; do
	mkdir -p "$OUT/$d"
	cp "$run/$d"/boot-*.log "$OUT/$d/"
	cp "$run/$d"/boot-*.png "$OUT/$d/" 2>/dev/null || true
done
echo "regen: wrote $OUT"
