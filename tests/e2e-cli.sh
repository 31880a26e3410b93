#!/bin/sh
# e2e-cli - the command line as a user meets it, no guest: --version; help,
# --help and -h of every subcommand (stdout, exit 0) and their usage errors
# (one usage line on stderr, exit 2); every option README.md shows for a
# subcommand is in its --help and back; validate checks as run does and shows
# the matrix, escaped; init scaffolds a suite validate accepts, and never
# overwrites. Suites here name stand-in files (validation only checks they
# are readable regular files), so nothing needs `make guest`.
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built"
CMDS="run validate init scan report runs repro fuzz bisect selftest"

# --version
v=$("$BP" --version 2>"$T/err")
is "$?" 0 "--version: exit 0"
like "$v" "bootproof " "--version: 'bootproof VERSION'"
ok "$([ -n "${v#bootproof }" ] && [ "$(printf '%s\n' "$v" | wc -l)" -eq 1 ]; echo $?)" \
	"--version: one line with a version"
is "$("$BP" -V)" "$v" "-V is --version"
if [ -e "$ROOT/.git" ] && command -v git >/dev/null; then
	is "$v" "bootproof $(git -C "$ROOT" describe --always --dirty)" "--version is git describe"
else
	is "$v" "bootproof $(cat "$ROOT/VERSION")" "--version is the VERSION release"
fi

# Top level: every subcommand, run's whole synopsis.
"$BP" help >"$T/top" 2>"$T/err"
is "$?:$(wc -c <"$T/err")" "0:0" "help: exit 0, nothing on stderr"
"$BP" --help | cmp -s - "$T/top"
is "$?" 0 "--help is help"
for c in $CMDS; do
	like "$(cat "$T/top")" "bootproof $c" "top-level usage lists $c"
done
run_syn=$("$BP" run --help | head -1 | sed 's/^usage: //')
like "$(cat "$T/top")" "$run_syn" "top-level usage has run's every option"
"$BP" >/dev/null 2>"$T/err"
is "$?" 2 "no command: exit 2"
like "$(cat "$T/err")" "usage: bootproof run" "no command: the usage on stderr"

# Each subcommand's help, and its usage error.
for c in $CMDS; do
	"$BP" "$c" --help >"$T/$c.help" 2>"$T/err"
	is "$?:$(wc -c <"$T/err")" "0:0" "$c --help: exit 0, nothing on stderr"
	is "$(head -1 "$T/$c.help" | cut -d' ' -f1-3)" "usage: bootproof $c" "$c --help: usage first"
	like "$(cat "$T/$c.help")" "options:" "$c --help: the options"
	"$BP" "$c" -h | cmp -s - "$T/$c.help"
	is "$?" 0 "$c -h is $c --help"
	"$BP" help "$c" | cmp -s - "$T/$c.help"
	is "$?" 0 "help $c is $c --help"
	"$BP" "$c" --no-such-option >"$T/out" 2>"$T/err"
	is "$?:$(wc -c <"$T/out")" "2:0" "$c --no-such-option: exit 2, nothing on stdout"
	is "$(grep -c '^usage: ' "$T/err"):$(grep '^usage: ' "$T/err")" "1:$(head -1 "$T/$c.help")" \
		"$c --no-such-option: its one-line usage on stderr"
done
"$BP" help frobnicate >/dev/null 2>&1
is "$?" 2 "help for an unknown command: exit 2"

# README.md against --help. README's options for C: every -x/--long token on
# the lines of its code blocks that start "bootproof C". --help's: one option
# per line starting "  -", its aliases ("-c, --suite") the same option.
readme_opts() {
	awk '/^```/ { code = !code; next } code' "$ROOT/README.md" |
		grep -E "^(\\\$ )?bootproof $1( |\$)" |
		grep -oE -- '(^|[][ |,])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[][ |,]*//' | sort -u
}
help_lines() {
	grep -E '^  -' "$T/$1.help" | sed 's/  .*//; s/^ *//' |
		grep -oE -- '--?[a-zA-Z][a-zA-Z-]*' | tr '\n' ' '
}
for c in $CMDS; do
	grep -E '^  -' "$T/$c.help" | sed -E 's/^  (-[^ ,]+(, --?[^ ]+)?).*/\1/' >"$T/$c.lines"
	missing=
	for o in $(readme_opts "$c"); do
		grep -qE -- "(^|, )$o(,|\$)" "$T/$c.lines" || missing="$missing $o"
	done
	is "$missing" "" "$c: every option README.md shows is in --help"
	missing=
	while read -r line; do
		case $line in "-h, --help") continue ;; esac
		found=
		for o in $(echo "$line" | tr ',' ' '); do
			readme_opts "$c" | grep -qx -- "$o" && found=1
		done
		[ -n "$found" ] || missing="$missing [$line]"
	done <"$T/$c.lines"
	is "$missing" "" "$c: every option of --help is in README.md"
done

# A suite of stand-in files.
mkdir -p "$T/f"
for f in vmlinux initrd.img system.qcow2 refsensor.ko agent good.sys bad.sys; do
	echo stand-in >"$T/f/$f"
done
suite() { # FILE, scenarios on stdin
	{
		cat <<YAML
version: 1
images:
  linux: {kind: linux, kernel: f/vmlinux, initrd: f/initrd.img, disk: f/system.qcow2}
sensors:
  v1: {module: f/refsensor.ko, agent: f/agent}
content:
  good: [{file: f/good.sys, as: C-00000291-00000000-00000002.sys}]
  bad: [{file: f/bad.sys, as: C-00000291-00000000-00000001.sys}]
scenarios:
YAML
		cat
	} >"$1"
}
suite "$T/s.yaml" <<'YAML'
  - {name: plain, image: linux, sensor: v1, content: good, boots: 2, expect: clean}
  - name: "hostile"
    image: linux
    sensor: [v1]
    content: bad
    log_contains: "\e[2J\rcleared\u2028"
    steps:
      - boot: {expect: crash, title: "\e]0;owned\a"}
      - rollback: good
      - reboot_until_clean: {max_boots: 4}
      - remediate: {delete: ["/sensor/content/C-*"], when: not_recovered}
      - expect_files: {present: ["/sensor/content/C-00000291-00000000-00000002.sys"]}
      - clean_boots: 2
YAML
"$BP" validate "$T/s.yaml" >"$T/out" 2>"$T/err"
is "$?:$(wc -c <"$T/err")" "0:0" "validate: a valid suite, exit 0"
is "$(grep '^trial ' "$T/out" | tr '\n' ' ')" "trial plain trial hostile/v1 " \
	"validate: one block per trial, matrix expanded"
like "$(cat "$T/out")" "  image     linux (kind linux): kernel $T/f/vmlinux," "validate: the image, resolved"
like "$(cat "$T/out")" "  sensor    v1: module $T/f/refsensor.ko, agent $T/f/agent" "validate: the sensor"
like "$(cat "$T/out")" "  content   good: $T/f/good.sys as C-00000291-00000000-00000002.sys" \
	"validate: the content set"
like "$(cat "$T/out")" "  step 1    boot: 2 boots, expect clean" "validate: the synthesized step"
like "$(cat "$T/out")" "  step 2    rollback: good published on the update channel" "validate: a rollback step"
like "$(cat "$T/out")" "  step 4    remediate: delete offline /sensor/content/C-*, only if not recovered" \
	"validate: a remediate step"
is "$(grep -c '^  step ' "$T/out")" 7 "validate: every step, one per line"
is "$(tr -d '\n -~' <"$T/out" | wc -c)" 0 "validate: suite text escaped (no control character)"
like "$(cat "$T/out")" 'every log contains "cleared?"' "validate: CSI and CR dropped, U+2028 a '?'"
like "$(cat "$T/out")" 'title contains "?]0;owned?"' "validate: ESC and BEL as '?'"
"$BP" validate -c "$T/s.yaml" plain >"$T/out"
is "$?:$(grep -c '^trial ' "$T/out")" "0:1" "validate -c SUITE NAME: that trial only"

# Errors: the same as run's, nothing started.
suite "$T/bad.yaml" <<'YAML'
  - {name: a, image: linux, sensor: v1, boot: 3}
YAML
"$BP" run -c "$T/bad.yaml" -r "$T/reports" >/dev/null 2>"$T/run.err"
"$BP" validate "$T/bad.yaml" >"$T/out" 2>"$T/err"
is "$?:$(wc -c <"$T/out")" "2:0" "validate: a bad suite, exit 2, nothing on stdout"
like "$(cat "$T/err")" "bootproof: $T/bad.yaml:10:" "validate: FILE:LINE:COL"
cmp -s "$T/err" "$T/run.err"
is "$?" 0 "validate: the error exactly as run prints it"
"$BP" run -c "$T/s.yaml" -r "$T/reports" nope >/dev/null 2>"$T/run.err"
"$BP" validate "$T/s.yaml" nope >/dev/null 2>"$T/err"
is "$?" 2 "validate: an unknown scenario name, exit 2"
cmp -s "$T/err" "$T/run.err"
is "$?" 0 "validate: unknown name said as run says it"
ok "$([ ! -e "$T/reports" ]; echo $?)" "nothing started: no report directory"

# Rings: each trial's ring shown, a scenario in no ring warned about (and still valid).
R=$ROOT/tests/data/scenarios/valid-rings.yaml
"$BP" validate "$R" >"$T/out" 2>"$T/err"
is "$?" 0 "validate: a suite with rings, exit 0"
like "$(cat "$T/out")" "trial wide/v2
  image" "validate: a ring's matrix entries"
is "$(grep -c '^  ring      1 (wide)$' "$T/out")" 3 "validate: every trial's ring"
like "$(cat "$T/out")" "  ring      none (runs only when named)" "validate: a trial in no ring"
is "$(cat "$T/err")" "bootproof: $R:37:11: warning: scenario 'spare' is in no ring; run runs it only when named on its command line" \
	"validate: warns about a scenario in no ring, at FILE:LINE:COL"
like "$(cat "$T/out")" "  step 2    soak: 50 live pushes of good-291 into one running guest, at most 300s, memory figures after each" \
	"validate: a push soak"

# init: a suite validate accepts, from the data directory's reference files.
D=$T/data
mkdir -p "$D/sensor" "$D/build/sensor/v1" "$D/build/content" "$D/build/images/linux"
for f in sensor/agent build/sensor/v1/refsensor.ko build/content/c291-good.sys \
	build/content/c291-bad.sys build/images/linux/vmlinux build/images/linux/initrd.img \
	build/images/linux/system.qcow2; do
	echo stand-in >"$D/$f"
done
BOOTPROOF_DATADIR=$D "$BP" init "$T/my suite" >"$T/out" 2>"$T/err"
is "$?:$(wc -c <"$T/err")" "0:0" "init DIR: exit 0, no warning"
ok "$([ -s "$T/my suite/suite.yaml" ] && [ -s "$T/my suite/README.md" ]; echo $?)" \
	"init: suite.yaml and README.md"
like "$(cat "$T/my suite/suite.yaml")" "sensors:" "init: a sensors: entry"
like "$(cat "$T/my suite/suite.yaml")" "module: \"$D/build/sensor/v1/refsensor.ko\"" \
	"init: the reference sensor by absolute path"
like "$(cat "$T/my suite/suite.yaml")" "# CHANGE" "init: says what to change"
"$BP" validate "$T/my suite/suite.yaml" >"$T/out" 2>"$T/err"
is "$?" 0 "validate accepts what init wrote"
diag "$(cat "$T/err")"
is "$(grep '^trial ' "$T/out" | tr '\n' ' ')" "trial bad-content trial rollback " \
	"init: a crash scenario and a rollback scenario"
like "$(cat "$T/out")" "content   bad: $D/build/content/c291-bad.sys as" "init: the bad content set"
like "$(cat "$T/out")" "rollback: good published on the update channel" "init: the rollback publishes good"
like "$(cat "$T/out")" "expect crash" "init: the crash scenario expects a crash"
cp "$T/my suite/suite.yaml" "$T/before"
echo edited >>"$T/my suite/suite.yaml"
BOOTPROOF_DATADIR=$D "$BP" init "$T/my suite" >"$T/out" 2>"$T/err"
is "$?" 2 "init into a non-empty DIR: exit 2"
like "$(cat "$T/err")" "'$T/my suite' is not empty" "init into a non-empty DIR: says so"
is "$(tail -1 "$T/my suite/suite.yaml")" "edited" "init into a non-empty DIR: nothing overwritten"
mkdir "$T/empty"
BOOTPROOF_DATADIR=$D "$BP" init "$T/empty" >/dev/null 2>&1
is "$?" 0 "init into an empty DIR: exit 0"
"$BP" init >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "2:usage: bootproof init DIR" "init without DIR: usage, exit 2"
BOOTPROOF_DATADIR=$T/nowhere "$BP" init "$T/nodata" >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "reference file '$T/nowhere/sensor/agent' is missing" \
	"init: a missing reference file is named"
# With the real reference files (after `make`), as a user runs it.
if [ -e "$ROOT/build/images/linux/.stamp" ] && [ -e "$ROOT/build/content/c291-bad.sys" ] &&
	[ -z "${BOOTPROOF_DATADIR:-}" ]; then
	"$BP" init "$T/real" >/dev/null 2>"$T/err" && "$BP" validate "$T/real/suite.yaml" >/dev/null 2>>"$T/err"
	is "$?:$(cat "$T/err")" "0:" "init with the built reference files: validate accepts it"
else
	ok 0 "# SKIP reference guest or content not built"
fi

# -q is run's (nothing starts with a bad suite: the option parses).
"$BP" run -q -c "$T/bad.yaml" -r "$T/reports" >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "$T/bad.yaml:10:" "run -q parses (the suite's error, not a usage error)"

# --shard: usage errors exit 2 with run's usage line; auto reads each batch
# system's variables (a shard parsed, the run goes on to the missing suite).
nosuite=$T/no-such-suite.yaml
shard_run() { # ENV... -- ARGS...: run --shard in a clean environment; stderr in $T/err
	_env=
	while [ "$1" != -- ]; do _env="$_env $1"; shift; done
	shift
	# shellcheck disable=SC2086
	env -i PATH="$PATH" $_env "$BP" run -c "$nosuite" -r "$T/reports" "$@" >/dev/null 2>"$T/err"
}
for bad in 4/3 0/3 1/0 x/3 3 1/3x; do
	shard_run -- --shard "$bad"
	is "$?:$(tail -n1 "$T/err" | cut -c1-20)" "2:usage: bootproof run" "run --shard $bad: usage error, exit 2"
done
shard_run -- --shard auto
is "$?" 2 "run --shard auto with no batch variable: exit 2"
like "$(cat "$T/err")" "no shard in the environment: set BOOTPROOF_SHARD=K/N" "and says what to set"
shard_run JOB_COMPLETION_INDEX=1 -- --shard auto
like "$(cat "$T/err")" "give the number of shards with --shard-total N" \
	"JOB_COMPLETION_INDEX without --shard-total: says so"
shard_run -- --shard 1/2 --shard-total 2
like "$(cat "$T/err")" "--shard-total goes with --shard auto" "--shard-total without auto: refused"
for e in BOOTPROOF_SHARD=2/3 "CI_NODE_INDEX=3 CI_NODE_TOTAL=3" \
	"SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=4" \
	"JOB_COMPLETION_INDEX=0 -- --shard-total 2"; do
	case $e in *--*) ;; *) e="$e --" ;; esac
	# shellcheck disable=SC2086
	shard_run $e --shard auto
	is "$?:$(grep -c shard "$T/err"):$(grep -c "$nosuite" "$T/err")" "2:0:1" \
		"--shard auto with $e: a shard (the error is the missing suite's)"
done
shard_run CI_NODE_INDEX=4 CI_NODE_TOTAL=3 -- --shard auto
like "$(cat "$T/err")" "shard 4 is not one of 1..3" "CI_NODE_INDEX beyond CI_NODE_TOTAL: refused"

# --host and --retry-infra (hostpool.h): usage errors exit 2, naming what is wrong.
for bad in "--host=|empty URI" "--host=qemu:///system,slots=0|slots takes a number from 1 to 64" \
	"--host=qemu:///system,slots=two|from 1 to 64, got" "--host=qemu:///system,cpus=2|unknown option" \
	"--host=qemu:///system,disks=local|disks takes shared or upload, got" \
	"--host=qemu:///system,disks=upload,disks=shared|disks given twice" \
	"--host=qemu:///system --host=qemu:///system/|given twice" \
	"--backend=qemu --host=qemu:///system|--host goes with --backend libvirt" \
	"--host=qemu:///system --retry-infra=17|--retry-infra takes a number from 0 to 16"; do
	# shellcheck disable=SC2086
	shard_run -- ${bad%%|*}
	is "$?:$(tail -n1 "$T/err" | cut -c1-20)" "2:usage: bootproof run" "run ${bad%%|*}: usage error, exit 2"
	like "$(cat "$T/err")" "${bad#*|}" "  says: ${bad#*|}"
done
# A suite of its own, its files made empty: no guest needs building for the refusal.
: >"$T/k" && : >"$T/i" && : >"$T/d" && : >"$T/m.ko"
printf '%s\n' 'version: 1' 'images:' "  l: {kind: linux, kernel: $T/k, initrd: $T/i, disk: $T/d}" \
	'sensors:' "  v1: {module: $T/m.ko}" 'scenarios:' '  - {name: a, image: l, sensor: v1, expect: clean}' >"$T/qemu.yaml"
"$BP" run -c "$T/qemu.yaml" -r "$T/reports" --host qemu:///system >/dev/null 2>"$T/err"
is "$?:$(tail -n1 "$T/err" | cut -c1-20)" "2:usage: bootproof run" \
	"run --host on a suite none of whose images is libvirt's: usage error, exit 2, nothing booted"
like "$(cat "$T/err")" "no image of '$T/qemu.yaml' is one" "  says: no image runs on libvirt"
"$BP" run -c "$T/qemu.yaml" -r "$T/reports" --retry-infra 1 >/dev/null 2>"$T/err"
is "$?:$(tail -n1 "$T/err" | cut -c1-20)" "2:usage: bootproof run" \
	"run --retry-infra with neither --host nor the suite's hosts: usage error, exit 2"
like "$(cat "$T/err")" "--retry-infra goes with --host or the suite's hosts:, and '$T/qemu.yaml' has none" \
	"  says: no host to retry on"
"$BP" report --merge -r "$T/reports" "$T" >/dev/null 2>"$T/err"
is "$?" 2 "report --merge of a directory that is no run: exit 2"
"$BP" report --merge --help >"$T/out"
like "$(cat "$T/out")" "--merge DIR..." "report --merge --help: the help"
done_testing
