#!/bin/sh
# e2e-config - a bad suite is refused with FILE:LINE:COL and exit 2 before
# anything starts; unknown scenario names and commands are usage errors; a
# suite's hosts: where no image boots on libvirt is refused at the key.
. "$(dirname "$0")/lib.sh"
[ -x "$BP" ] || skip_all "harness not built"
stand_in_build

write_suite "$T/bad.yaml" <<'YAML'
  - name: typo
    image: linux
    sensor: v1
    boot: 3
    expect: clean
YAML
line=$(grep -n '    boot: 3' "$T/bad.yaml" | cut -d: -f1)
"$BP" run -c "$T/bad.yaml" -r "$T/reports" >"$T/out" 2>"$T/err"
is "$?" 2 "bad suite: exit status 2"
like "$(cat "$T/err")" "$T/bad.yaml:$line:5:" "error names file, line and column"
like "$(cat "$T/err")" "unknown key 'boot'" "error names the offending key"
ok "$([ ! -e "$T/reports" ]; echo $?)" "nothing started: no report directory"

"$BP" run -c "$T/missing.yaml" >/dev/null 2>"$T/err"
is "$?" 2 "missing suite: exit status 2"
like "$(cat "$T/err")" "missing.yaml" "missing suite named"

# Suite paths that are not regular files fail at once, never block or read forever.
mkfifo "$T/fifo.yaml"
timeout 30 "$BP" run -c "$T/fifo.yaml" >/dev/null 2>"$T/err"
is "$?" 2 "FIFO as the suite: exit status 2 at once"
like "$(cat "$T/err")" "'$T/fifo.yaml' is a FIFO, not a regular file" "FIFO as the suite: named"
timeout 30 "$BP" run -c /dev/zero >/dev/null 2>"$T/err"
is "$?" 2 "/dev/zero as the suite: exit status 2 at once"
like "$(cat "$T/err")" "'/dev/zero' is a character device, not a regular file" \
	"/dev/zero as the suite: named"

# A file the suite names that is a FIFO, or that the running user cannot read,
# fails at validation with the position of its value.
write_suite "$T/ref.yaml" <<'YAML'
  - {name: a, image: linux, sensor: v1, expect: clean}
YAML
kline=$(grep -n '    kernel: ' "$T/ref.yaml" | cut -d: -f1)
mkfifo "$T/kfifo"
sed "s|^    kernel: .*|    kernel: $T/kfifo|" "$T/ref.yaml" >"$T/kfifo.yaml"
timeout 30 "$BP" run -c "$T/kfifo.yaml" -r "$T/reports" >/dev/null 2>"$T/err"
is "$?" 2 "kernel is a FIFO: exit status 2"
like "$(cat "$T/err")" "$T/kfifo.yaml:$kline:13: file '$T/kfifo' is a FIFO, not a regular file" \
	"kernel is a FIFO: FILE:LINE:COL and what it is"
printf 'kernel' >"$T/secret"
chmod 600 "$T/secret"
chmod 755 "$T"
sed "s|^    kernel: .*|    kernel: $T/secret|" "$T/ref.yaml" >"$T/secret.yaml"
if [ "$(id -u)" -eq 0 ] && setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
	timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$BP" run -c "$T/secret.yaml" -r "$T/reports" >/dev/null 2>"$T/err"
	is "$?" 2 "kernel unreadable for the running user: exit status 2 at validation"
	like "$(cat "$T/err")" \
		"$T/secret.yaml:$kline:13: file '$T/secret' cannot be read: Permission denied" \
		"unreadable kernel: FILE:LINE:COL and why"
else
	ok 0 "# SKIP not root or no setpriv: cannot run as another user"
	ok 0 "# SKIP not root or no setpriv: cannot run as another user"
fi
ok "$([ ! -e "$T/reports" ]; echo $?)" "bad files: nothing started"

# 100,000 nested flow sequences (200 KB) are refused where the depth is exceeded.
{ printf 'version: 1\nimages: '; head -c 100000 /dev/zero | tr '\0' '['
  head -c 100000 /dev/zero | tr '\0' ']'; } >"$T/deep.yaml"
timeout 60 "$BP" run -c "$T/deep.yaml" >/dev/null 2>"$T/err"
is "$?" 2 "deep nesting: exit status 2"
like "$(cat "$T/err")" "$T/deep.yaml:2:72: sequences and mappings nested more than 64 deep" \
	"deep nesting: refused where the 65th level opens"

# A tab used for indentation is called a tab.
printf 'version: 1\nimages:\n\tlinux: {}\n' >"$T/tab.yaml"
"$BP" run -c "$T/tab.yaml" >/dev/null 2>"$T/err"
is "$?" 2 "tab indentation: exit status 2"
like "$(cat "$T/err")" "$T/tab.yaml:3:1: invalid YAML: tabs cannot indent YAML; use spaces" \
	"tab indentation: says so, at the tab"

# hosts: a bad entry is the suite's error at the entry; hosts where no image
# boots on libvirt, at the key; --host replaces the suite's hosts whole.
write_suite "$T/hosts-bad.yaml" <<'YAML'
  - {name: a, image: linux, sensor: v1, expect: clean}
hosts:
  - qemu:///system
  - {uri: "qemu+ssh://vm2/system", slots: 0}
YAML
hline=$(grep -n 'slots: 0' "$T/hosts-bad.yaml" | cut -d: -f1)
"$BP" run -c "$T/hosts-bad.yaml" -r "$T/reports" --backend libvirt >/dev/null 2>"$T/err"
is "$?" 2 "hosts: slots 0: exit status 2"
is "$(cat "$T/err")" \
	"bootproof: $T/hosts-bad.yaml:$hline:43: 'slots' must be an integer from 1 to 64, got '0'" \
	"hosts: slots 0: FILE:LINE:COL and the range"
sed 's|^  - {uri: .*|  - qemu:///system/|' "$T/hosts-bad.yaml" >"$T/hosts-twice.yaml"
"$BP" run -c "$T/hosts-twice.yaml" -r "$T/reports" --backend libvirt >/dev/null 2>"$T/err"
is "$?" 2 "hosts: a URI twice: exit status 2"
like "$(cat "$T/err")" \
	"$T/hosts-twice.yaml:$hline:5: host 'qemu:///system/' is listed twice in 'hosts' (first at $((hline - 1)):5)" \
	"hosts: a URI twice: at the second, naming the first"

grep -v 'slots: 0' "$T/hosts-bad.yaml" >"$T/hosts.yaml"
kline=$(grep -n '^hosts:' "$T/hosts.yaml" | cut -d: -f1)
for backend in "" "--backend qemu"; do
	# shellcheck disable=SC2086 # no backend, or two words
	"$BP" run -c "$T/hosts.yaml" -r "$T/reports" $backend --retry-infra 1 >/dev/null 2>"$T/err"
	is "$?" 2 "hosts: and no image on libvirt (${backend:-no --backend}): exit status 2"
	is "$(cat "$T/err")" \
		"bootproof: $T/hosts.yaml:$kline:1: 'hosts' goes with --backend libvirt or an image of backend libvirt, and no image of the suite is one" \
		"  a suite error at the 'hosts' key"
done
# Were the suite's hosts kept beside --host, qemu:///system would be given twice.
"$BP" run -c "$T/hosts.yaml" -r "$T/reports" --host qemu:///system >/dev/null 2>"$T/err"
is "$?" 2 "--host over a suite's hosts: (no image on libvirt): exit status 2"
like "$(cat "$T/err")" "bootproof: --host goes with --backend libvirt or an image of backend libvirt, and no image of '$T/hosts.yaml' is one" \
	"  --host replaces the suite's hosts: the error is --host's"
ok "$([ ! -e "$T/reports" ]; echo $?)" "hosts: refused: nothing started"
"$BP" validate "$T/hosts.yaml" >"$T/out" 2>"$T/err"
is "$?" 0 "validate: a suite with hosts: is valid (run --backend libvirt would use them)"
like "$(cat "$T/out")" "hosts     qemu:///system (1 slot)" "validate: shows the suite's hosts"

"$BP" frobnicate >/dev/null 2>&1
is "$?" 2 "unknown command: exit status 2"
"$BP" scan >/dev/null 2>&1
is "$?" 2 "scan without files: exit status 2"
"$BP" run -c "$T/scenarios.yaml" no-such-scenario >/dev/null 2>"$T/err"
is "$?" 2 "unknown scenario name: exit status 2"
like "$(cat "$T/err")" "no-such-scenario" "unknown scenario named"
# A trial that cannot start (its disk cannot be made from the empty stand-in) is
# infra: a not-ok line and exit 3, never a green run of nothing.
write_suite "$T/nodisk.yaml" <<'YAML'
  - {name: a, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}
YAML
timeout 120 "$BP" run -q -c "$T/nodisk.yaml" -r "$T/nodisk" >"$T/out" 2>&1
is "$?" 3 "a trial that cannot start: exit status 3"
like "$(cat "$T/out")" "not ok 1 - a: trial disk: cannot create overlay" "  its TAP line says why"
is "$(jq -r '.scenarios[0].verdict' "$T/nodisk/latest/results.json" 2>&1)" infra "  results.json: infra"
done_testing
