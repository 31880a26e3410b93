#!/bin/sh
# e2e-libvirt-pool - a --host pool of two real libvirt hosts, each libvirtd
# in a mount namespace of its own (scripts/libvirtd-test.sh --isolated),
# reached over TCP with one slot. Trials land on both and every report says where; a host stopped
# (SIGSTOP) mid-boot turns its trial infra within the keepalive bound while
# the other host's trial passes (exit 3); with --retry-infra 1 the lost trial
# runs again on the other host and passes, results.json naming both hosts;
# so does a host that never answers. Afterwards no domain is defined on either
# host and no QEMU is left.
. "$(dirname "$0")/lib.sh"
need_guest
"$BP" run --help 2>/dev/null | grep -q -- '--backend' || skip_all "libvirt backend not built"
[ "$(id -u)" = 0 ] || skip_all "needs root (the daemons' mount namespaces)"
command -v libvirtd >/dev/null || skip_all "libvirtd not installed"
LV=$ROOT/scripts/libvirtd-test.sh

p1=$((16900 + $$ % 40 * 2))
p2=$((p1 + 1))
trap '"$LV" stop "$T/lv1" 2>>"$T/stop.err"; "$LV" stop "$T/lv2" 2>>"$T/stop.err"; rm -rf "$T"' EXIT
# Both hosts isolated: qemu:///system's paths belong to tests/e2e-libvirt.sh,
# which may run beside this one.
u1=$("$LV" start "$T/lv1" "$p1" --isolated 2>"$T/lv1.err") ||
	skip_all "no libvirtd for host 1: $(cat "$T/lv1.err")"
u2=$("$LV" start "$T/lv2" "$p2" --isolated 2>"$T/lv2.err") || {
	diag "$(cat "$T/lv2.err")"
	ok 1 "the isolated libvirtd starts"
	done_testing
	exit 1
}
pid2=$("$LV" pids "$T/lv2" | head -n1)

write_suite "$T/suite.yaml" <<'YAML'
  - {name: one, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}
  - {name: two, image: linux, sensor: v1, content: good-291, boots: 1, expect: clean}
  - {name: three, image: linux, sensor: v2, content: bad-291, boots: 1, expect: clean}
  - {name: four, image: linux, sensor: v1, content: bad-291, boots: 1, expect: crash}
YAML
pool="--backend libvirt --host $u1,slots=1 --host $u2,slots=1"

domains() { # URI: the domains defined there, running or not, one line
	virsh -c "$1" list --all --name 2>/dev/null | grep . | tr '\n' ' '
}
no_domains_left() { # WHAT: neither host has a domain (bounded: autodestroy follows a closed connection)
	i=0
	while [ -n "$(domains "$u1")$(domains "$u2")" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	is "$(domains "$u1")|$(domains "$u2")" "|" "$1: no domain left defined on either host"
}

# 1. Trials land on both hosts; every format says where.
# shellcheck disable=SC2086
"$BP" run -q -c "$T/suite.yaml" -r "$T/r1" $pool >"$T/tap1" 2>"$T/err1"
is "$?" 0 "a run on the pool: exit 0"
J=$T/r1/latest/results.json
is "$(jq -r '[.scenarios[].verdict] | join(",")' "$J")" "pass,pass,pass,pass" "  the direct backend's verdicts"
is "$(jq -r '[.scenarios[].host] | unique | join(" ")' "$J")" "$(printf '%s\n' "$u1" "$u2" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"  trials on both hosts (results.json host)"
is "$(jq -r '[.scenarios[] | select(.host == "'"$u1"'")] | length' "$J")" 2 "  spread evenly: two on each"
like "$(cat "$T/r1/latest/index.html")" "<td class=\"host\">$u2</td>" "  index.html: the host column"
like "$(cat "$T/r1/latest/junit.xml")" "<property name=\"host\" value=\"$u1\"/>" "  junit.xml: the host property"
like "$(cat "$T/tap1")" "# one: on host $(jq -r '.scenarios[0].host' "$J")" "  TAP: the host line"
no_domains_left "after the run"

# 2. A host stopped mid-boot: its trial infra within the keepalive bound, the other passes.
write_suite "$T/two.yaml" <<'YAML'
  - {name: first, image: linux, sensor: v1, content: good-291, boots: 2, expect: clean}
  - {name: second, image: linux, sensor: v1, content: good-291, boots: 2, expect: clean}
YAML
stop_when_booting() { # TAP: wait for a trial's domain on host 2, then SIGSTOP its libvirtd; $stopped_at
	i=0
	# the golden saves' builds come first
	while ! { grep -q '^# golden saves' "$1" 2>/dev/null && [ -n "$(domains "$u2")" ]; } && [ $i -lt 600 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	stopped_at=$(date +%s)
	kill -STOP "$pid2"
}
# shellcheck disable=SC2086
"$BP" run -q -c "$T/two.yaml" -r "$T/r2" $pool >"$T/tap2" 2>"$T/err2" &
run=$!
stop_when_booting "$T/tap2"
J=$T/r2/latest/results.json
lost_at=
while kill -0 "$run" 2>/dev/null && [ -z "$lost_at" ]; do
	[ "$(jq -r '.scenarios[] | select(.host == "'"$u2"'") | .verdict' "$J" 2>/dev/null)" = infra ] &&
		lost_at=$(date +%s)
	sleep 0.5
done
# Back before the run ends: the run destroys the restored domain it left there
# (not autodestroy), on a fresh connection.
kill -CONT "$pid2"
wait "$run"
rc=$?
is "$rc" 3 "a host lost: exit 3"
is "$(jq -r '[.scenarios[] | select(.host == "'"$u2"'") | .verdict] | join(",")' "$J")" infra \
	"  the stopped host's trial is infra"
is "$(jq -r '[.scenarios[] | select(.host == "'"$u1"'") | .verdict] | join(",")' "$J")" pass \
	"  the other host's trial passes"
ok "$([ -n "$lost_at" ] && [ $((lost_at - stopped_at)) -lt 60 ]; echo $?)" \
	"  judged infra $((${lost_at:-0} - stopped_at)) s after the stop (the keepalive bound, not a hang)"
no_domains_left "after the lost host answers again"

# 3. --retry-infra 1: the lost trial runs again on the other host.
# shellcheck disable=SC2086
"$BP" run -q -c "$T/two.yaml" -r "$T/r3" $pool --retry-infra 1 >"$T/tap3" 2>"$T/err3" &
run=$!
stop_when_booting "$T/tap3"
i=0
while kill -0 "$run" 2>/dev/null && ! grep -q "attempt 1 lost with host" "$T/tap3" && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
kill -CONT "$pid2"
wait "$run"
rc=$?
J=$T/r3/latest/results.json
is "$rc" 0 "--retry-infra 1: exit 0, the lost trial passed elsewhere"
is "$(jq -r '[.scenarios[].verdict] | join(",")' "$J")" "pass,pass" "  every trial passes"
is "$(jq -r '[.scenarios[] | select(.attempts) | .attempts[0].host, .host] | join(" ")' "$J")" "$u2 $u1" \
	"  results.json: lost on the stopped host, run on the other"
like "$(cat "$T/tap3")" "attempt 1 lost with host $u2" "  TAP says so"
is "$(grep -c '^not ok' "$T/tap3")" 0 "  with no failing point for the lost attempt (prove passes the stream)"
no_domains_left "after the retry"

# 4. A host that never answers (nothing listens on its port) is lost at once: its trial runs
# again on the other host.
dead=qemu+tcp://127.0.0.1:1/system
"$BP" run -q -c "$T/suite.yaml" -r "$T/r4" --backend libvirt --host "$dead" --host "$u1" \
	--retry-infra 1 one two >"$T/tap4" 2>"$T/err4"
is "$?" 0 "a host never reached: exit 0, its trial passed on the other host"
J=$T/r4/latest/results.json
is "$(jq -r '[.scenarios[].host] | unique | join(" ")' "$J")" "$u1" "  every trial ran on the host that answers"
like "$(jq -r '[.scenarios[].attempts // [] | .[].host] | join(" ")' "$J")" "$dead" \
	"  results.json: an attempt lost with the unreachable host"
like "$(cat "$T/tap4")" "cannot connect to libvirt host" "  TAP says why"
no_domains_left "after the unreachable host"

is "$(qemu_left)" "" "no QEMU left"
"$LV" stop "$T/lv1" 2>>"$T/stop.err"
"$LV" stop "$T/lv2" 2>>"$T/stop.err"
is "$(grep -c 'destroying domain left running' "$T/stop.err")" 0 "no domain left running when the hosts stop"
done_testing
