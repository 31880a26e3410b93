#!/bin/sh
# e2e-windows - the demo's channel file 291 scenarios (scenarios/windows.yaml)
# on a real Windows image, with the reference Windows driver: good content
# clean, bad content a bugcheck loop blamed on refsensor.sys with v1, clean
# with v2, the rollback and the rescue-VM remediation (a mixed-case glob),
# v3's guard. It needs the user's golden image (images/windows/build.sh):
# BOOTPROOF_WINDOWS_IMAGE=path/to/golden.qcow2; without it the runs say
# `# SKIP` and why. `bootproof validate` of the file always runs (on a
# placeholder disk), so the file stays valid.
#
# The suite names its image ../build/images/windows/golden.qcow2 (make
# windows-image's default): the test runs it from a directory of its own
# where that path is the given image (or the placeholder) and build/'s
# sensors and content are the project's, the suite itself a link to the file.
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built ($BP)"
for v in 1 2 3; do
	[ -r "$ROOT/build/sensor/win-v$v/refsensor.sys" ] ||
		skip_all "the reference Windows driver is not built (make windrv)"
done
[ -r "$ROOT/build/content/c291-bad.sys" ] || skip_all "the content is not built (make guest)"
command -v jq >/dev/null || skip_all "jq not installed"

# layout DISK: $T/w, the suite's directory tree, its image DISK
layout() {
	rm -rf "$T/w"
	mkdir -p "$T/w/scenarios" "$T/w/build/images/windows"
	ln -s "$ROOT/scenarios/windows.yaml" "$T/w/scenarios/windows.yaml"
	ln -s "$ROOT/build/sensor" "$T/w/build/sensor"
	ln -s "$ROOT/build/content" "$T/w/build/content"
	ln -s "$1" "$T/w/build/images/windows/golden.qcow2"
}
SUITE=$T/w/scenarios/windows.yaml

# ---- always: the file is a valid suite ----------------------------------------------

qemu-img create -q -f qcow2 "$T/placeholder.qcow2" 64M
layout "$T/placeholder.qcow2"
"$BP" validate -c "$SUITE" >"$T/validate" 2>&1
is "$?" 0 "scenarios/windows.yaml is a valid suite" || diag "$(cat "$T/validate")"
for n in good-291-v1 bad-291-v1 bad-291-v2 rollback-291-v1 remediate-291-v1 guard-291-v3; do
	like "$(cat "$T/validate")" "trial $n" "the suite has $n"
done
like "$(cat "$T/validate")" "race agent_delay_ms 0 sensor_delay_ms 3000" \
	"race knobs on a Windows image (its registry takes them)"
ok "$(grep -qx 'WINDOWS_IMAGE ?= build/images/windows/golden.qcow2' "$ROOT/Makefile" &&
	grep -qx '    disk: ../build/images/windows/golden.qcow2' "$ROOT/scenarios/windows.yaml"; echo $?)" \
	"the suite's image is where make windows-image puts it by default"

# ---- with the user's image: every scenario run -------------------------------------

if [ -z "${BOOTPROOF_WINDOWS_IMAGE:-}" ]; then
	ok 0 "# SKIP no Windows image: set BOOTPROOF_WINDOWS_IMAGE to a golden image (make windows-image WINDOWS_ISO=...)"
	done_testing
	exit
fi
if [ ! -r "$BOOTPROOF_WINDOWS_IMAGE" ]; then
	ok 1 "BOOTPROOF_WINDOWS_IMAGE '$BOOTPROOF_WINDOWS_IMAGE' is a readable image"
	done_testing
	exit
fi
layout "$(cd "$(dirname "$BOOTPROOF_WINDOWS_IMAGE")" && pwd)/$(basename "$BOOTPROOF_WINDOWS_IMAGE")"
"$BP" run -q -j "${BOOTPROOF_WINDOWS_JOBS:-1}" -c "$SUITE" -r "$T/reports" >"$T/tap" 2>"$T/err"
is "$?" 0 "run: every expectation met" || diag "$(tail -40 "$T/tap" "$T/err")"
J=$T/reports/latest/results.json
if [ ! -f "$J" ]; then
	ok 1 "results.json written"
	done_testing
	exit
fi
q() { jq -r --arg n "$1" ".scenarios[] | select(.name == \$n) | $2" "$J"; }
is "$(jq -r '[.scenarios[] | "\(.name)=\(.verdict)"] | sort | join(" ")' "$J")" \
	"bad-291-v1=pass bad-291-v2=pass good-291-v1=pass guard-291-v3=pass remediate-291-v1=pass rollback-291-v1=pass" \
	"every scenario passes"
is "$(q good-291-v1 '[.boots[] | "\(.outcome),\(.marker_seen)"] | unique | join(" ")')" "clean,true" \
	"good content: clean boots, the marker on COM2"
is "$(q bad-291-v1 '[.boots[].outcome] | unique | join(",")')" "crash" "bad content on v1: a bugcheck at every boot"
like "$(q bad-291-v1 '.boots[0].title')" "in refsensor.sys" "  ...titled from the stop-code table, blamed on refsensor.sys"
is "$(q bad-291-v1 '[.boots[].crash_kind] | unique | join(",")')" "bugcheck" "  ...a bugcheck"
png=$(q bad-291-v1 '.boots[0].screenshot')
ok "$([ "$png" != null ] && [ -s "$T/reports/latest/$png" ]; echo $?)" "  ...and a screenshot of it"
is "$(q bad-291-v2 '[.boots[].outcome] | unique | join(",")')" "clean" "bad content on v2: rejected, clean"
is "$(q remediate-291-v1 '.recovery.manual_steps_needed')" "1" \
	"remediate: the rescue-VM delete was needed"
like "$(q remediate-291-v1 '.recovery.manual_steps | join(" ")')" "offline delete of /windows/SYSTEM32/drivers/bootproof/C-00000291*.SYS (1 file)" \
	"  ...and its mixed-case glob found the file"
is "$(q guard-291-v3 '.boots[-1].outcome')" "clean" "v3: the guard ends the loop"
done_testing
