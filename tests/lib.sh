# shellcheck shell=sh
# lib.sh - TAP helpers for the shell tests, sourced by tests/*.sh.
#
# Every test script: `. "$(dirname "$0")/lib.sh"`, then checks, then
# `done_testing`. Paths: $ROOT is the project root, $BP the harness binary
# (the sanitizer build when SANITIZE is set), $T a scratch directory removed
# on exit.
set -u

ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -n "${SANITIZE:-}" ]; then BUILD=$ROOT/build/san; else BUILD=$ROOT/build; fi
BP=$BUILD/bootproof
T=$(mktemp -d /tmp/bootproof-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
# The harness makes its scratch (sockets, overlays) in $TMPDIR: under $T, so
# every QEMU a test's runs start has $T in its command line, and a QEMU left
# behind is found by qemu_left. libguestfs would follow TMPDIR with its
# appliance cache: keep the shared one.
mkdir -p "$T/tmp"
export TMPDIR="$T/tmp"
export LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-/var/tmp}"
_n=0
_failed=0

ok() { # COND-EXIT-STATUS DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}

diag() { # TEXT: every line as a TAP comment
	printf '%s\n' "$1" | sed 's/^/#   /'
}

is() { # GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got: '$1'"; diag "expected: '$2'"; fi
}

like() { # GOT SUBSTRING DESCRIPTION
	case $1 in *"$2"*) ok 0 "$3" ;; *) ok 1 "$3"; diag "got: '$1'"; diag "expected to contain: '$2'" ;; esac
}

unlike() { # GOT SUBSTRING DESCRIPTION
	case $1 in *"$2"*) ok 1 "$3"; diag "expected no '$2' in: '$1'" ;; *) ok 0 "$3" ;; esac
}

qemu_left() { # the pids of QEMUs this test's runs left running
	pgrep -f "qemu-system.*$T/" | tr '\n' ' '
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}

# The reference guest's command line in the tests: an Oops is a panic, a
# panic a reboot. Under TCG on a loaded host a starved vCPU sees time jump,
# which RCU's stall detector and the lockup watchdog report as if the guest
# had stalled: their thresholds are raised so the host's load is not judged
# a product crash. The rest makes the boot faster, as in scenarios.yaml.
GUEST_APPEND="console=ttyS0 oops=panic panic=1 rcupdate.rcu_cpu_stall_timeout=300 watchdog_thresh=60 quiet cryptomgr.notests"

BUILT=$ROOT/build
GUEST_IMAGE=$BUILT/images/linux
GUEST_KERNEL=$GUEST_IMAGE/vmlinux

# The suites' first lines: version and the reference guest's image, linux.
suite_head() {
	cat <<YAML
version: 1
images:
  linux:
    kind: linux
    kernel: $GUEST_KERNEL
    initrd: $GUEST_IMAGE/initrd.img
    disk: $GUEST_IMAGE/system.qcow2
    append: "$GUEST_APPEND"
YAML
}

# Write a suite for the reference guest to $1, with the given scenarios
# (YAML text on stdin, indented as list items under `scenarios:`).
write_suite() {
	{
		suite_head
		cat <<YAML
sensors:
  v1: {module: $BUILT/sensor/v1/refsensor.ko}
  v2: {module: $BUILT/sensor/v2/refsensor.ko}
content:
  good-291:
    - {file: $BUILT/content/c291-good.sys, as: C-00000291-00000000-00000001.sys}
  bad-291:
    - {file: $BUILT/content/c291-bad.sys, as: C-00000291-00000000-00000032.sys}
  malformed-291:
    - {file: $BUILT/content/c291-malformed.sys, as: C-00000291-00000000-00000033.sys}
scenarios:
YAML
		cat
	} >"$1"
}

# rollback_suite FILE: the libvirt tests' suite: a crash with its title, a
# rollback that recovers on its own (race-won) and one that needs the offline
# remediation (race-lost), each as short as its point allows (boots are the
# cost); image linux, sensor v1 with its agent, content good-291, bad-291 and
# fix-291. A test appends its own scenarios to it.
rollback_suite() {
	_c=C-00000291-00000000
	suite_head >"$1"
	cat >>"$1" <<YAML
sensors:
  v1: {module: $BUILT/sensor/v1/refsensor.ko, agent: $ROOT/sensor/agent}
content:
  good-291:
    - {file: $BUILT/content/c291-good.sys, as: $_c-00000001.sys}
  bad-291:
    - {file: $BUILT/content/c291-bad.sys, as: $_c-00000032.sys}
  fix-291:
    - {file: $BUILT/content/c291-good.sys, as: $_c-00000033.sys}
scenarios:
  - name: race-lost
    image: linux
    sensor: v1
    content: bad-291
    race: {agent_delay_ms: 4000, sensor_delay_ms: 0}
    steps:
      - boot: {expect: crash, title: refsensor_eval}
      - rollback: fix-291
      - reboot_until_clean: {max_boots: 1}
      - remediate: {delete: ["/sensor/content/$_c-00000032.sys"], when: not_recovered}
      - expect_files: {absent: ["/sensor/content/$_c-00000032.sys"]}
      - clean_boots: 1
  - name: race-won
    image: linux
    sensor: v1
    content: bad-291
    race: {agent_delay_ms: 0, sensor_delay_ms: 3000}
    steps:
      - boot: {expect: crash, title: refsensor_eval}
      - rollback: fix-291
      - reboot_until_clean: {max_boots: 3}
  - name: crash
    image: linux
    sensor: v1
    content: bad-291
    boots: 1
    expect: crash
    title: "BUG: unable to handle kernel paging request in refsensor_eval"
YAML
}

# add_image SUITE NAME 'KEY: VALUE'...: another image of the reference guest in
# a write_suite file, with those keys (e.g. 'marker: "bootproof: never printed"').
add_image() {
	_f=$1 _name=$2
	shift 2
	_keys=
	for _kv; do _keys="$_keys\n    $_kv"; done
	sed -i "s|^images:|images:\n  $_name:\n    kind: linux\n    kernel: $GUEST_KERNEL\n    initrd: $GUEST_IMAGE/initrd.img\n    disk: $GUEST_IMAGE/system.qcow2$_keys|" "$_f"
}

# A test of validation alone (no guest boots): the suites' built files become
# empty stand-ins under $T/build, the paths scenarios.yaml names, so the test
# runs the same with or without a built guest. A copy of scenarios.yaml in $T
# finds them and the agent's sources (its paths are relative to its folder).
stand_in_build() {
	BUILT=$T/build GUEST_IMAGE=$T/build/images/linux GUEST_KERNEL=$T/build/images/linux/vmlinux
	grep -o 'build/[^ ,}]*' "$ROOT/scenarios.yaml" | while read -r _stand; do
		mkdir -p "$T/${_stand%/*}" && : >"$T/$_stand"
	done
	cp "$ROOT/scenarios.yaml" "$T/scenarios.yaml"
	ln -s "$ROOT/sensor" "$T/sensor"
}

need_guest() {
	[ -x "$BP" ] || skip_all "harness not built ($BP)"
	[ -e "$ROOT/build/images/linux/.stamp" ] || skip_all "reference guest not built (make guest)"
	command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
	command -v jq >/dev/null || skip_all "jq not installed"
}

# The Windows builds' tests (e2e-windriver, e2e-winagent): skip without the tools.
need_mingw() {
	command -v x86_64-w64-mingw32-gcc >/dev/null || skip_all "x86_64-w64-mingw32-gcc not installed (scripts/install-deps.sh)"
	command -v x86_64-w64-mingw32-objdump >/dev/null || skip_all "x86_64-w64-mingw32-objdump not installed"
	command -v osslsigncode >/dev/null || skip_all "osslsigncode not installed"
	command -v openssl >/dev/null || skip_all "openssl not installed"
}

# The imported function names of the PE FILE, one a line (objdump -p's hint/name rows).
pe_imports() {
	x86_64-w64-mingw32-objdump -p "$1" | awk '/DLL Name:/ { in_dll = 1; next }
		in_dll && NF == 0 { in_dll = 0 }
		in_dll && $1 ~ /^[0-9a-f]+$/ && $2 ~ /^[0-9]+$/ { print $3 }'
}

# The Windows stand-in guests' tests (e2e-winguest, -winrecovery, -windumps, -selftest): skip without their tools.
need_winguest() {
	[ -x "$BP" ] || skip_all "harness not built ($BP)"
	command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
	command -v x86_64-w64-mingw32-gcc >/dev/null || skip_all "mingw-w64 not installed"
	command -v mcopy >/dev/null || skip_all "mtools not installed"
	command -v hivexregedit >/dev/null || skip_all "hivexregedit (libwin-hivex-perl) not installed"
	[ -r /usr/share/ovmf/OVMF.fd ] || skip_all "ovmf not installed"
	command -v jq >/dev/null || skip_all "jq not installed"
}

# The published report schemas (docs/junit.xsd, docs/results-schema.json) on a run's files.
xsd_ok() { # JUNIT.XML DESCRIPTION: valid against the published JUnit schema
	xmllint --noout --schema "$ROOT/docs/junit.xsd" "$1" >"$T/xmllint" 2>&1
	ok $? "$2"
	[ "$(tail -1 "$T/xmllint")" = "$1 validates" ] || diag "$(head -20 "$T/xmllint")"
}

schema_ok() { # RESULTS.JSON DESCRIPTION: valid against docs/results-schema.json
	/usr/bin/python3 - "$ROOT/docs/results-schema.json" "$1" >"$T/jsonschema" 2>&1 <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors:
    print("/".join(str(p) for p in e.absolute_path), e.message)
sys.exit(1 if errors else 0)
PY
	ok $? "$2"
	[ ! -s "$T/jsonschema" ] || diag "$(head -20 "$T/jsonschema")"
}
