#!/bin/sh
# libvirtd-test.sh - start and stop a libvirtd (with its virtlogd) for
# bootproof's tests, configured by the project's own files in
# scripts/libvirt/, never by the machine's.
#
#   libvirtd-test.sh start DIR PORT [--isolated [--hide PATH]...]
#   libvirtd-test.sh stop DIR
#   libvirtd-test.sh pids DIR        (libvirtd's pid, then virtlogd's)
#
# The daemons run in a mount namespace of their own, where qemu.conf is ours.
# Without --isolated they use the machine's /run/libvirt and /var/lib/libvirt,
# so `qemu:///system` reaches them (and start refuses if a libvirtd of
# someone else's answers there); with --isolated they get DIR's run, lib,
# log and cache directories too and are reachable only on
# qemu+tcp://127.0.0.1:PORT/system: a second host on the same machine.
# --hide PATH (a directory) puts an empty file system over PATH in their
# namespace: a host that cannot see the harness's files (its images, its
# scratch), as a remote host cannot, while it shares the machine.
# start returns once the daemon answers on TCP (bounded), printing its URI;
# stop destroys the domains still running there (naming each on stderr: a
# test asserts there are none), then ends the daemons, bounded.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "libvirtd-test: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: libvirtd-test.sh start DIR PORT [--isolated [--hide PATH]...] | stop DIR | pids DIR"
cmd=$1
dir=$2

pid_of() { # FILE: the pid in it if that process runs
	[ -s "$1" ] || return 1
	p=$(cat "$1")
	kill -0 "$p" 2>/dev/null || return 1
	echo "$p"
}

start() {
	port=$1
	shift
	isolated=
	if [ "${1:-}" = --isolated ]; then isolated=--isolated; shift; fi
	hide=
	while [ $# -gt 0 ]; do
		[ "$isolated" = --isolated ] && [ "$1" = --hide ] && [ $# -ge 2 ] && [ -d "$2" ] ||
			die "start: unexpected '$*' (--hide PATH, a directory, after --isolated)"
		hide="$hide && mount -t tmpfs -o size=1m,mode=0755 bootproof-hidden '$2'"
		shift 2
	done
	command -v libvirtd >/dev/null || die "libvirtd not installed (scripts/install-deps.sh)"
	if pid_of "$dir/libvirtd.pid" >/dev/null; then die "$dir: a libvirtd runs there already"; fi
	if [ "$isolated" != --isolated ] && [ -S /run/libvirt/libvirt-sock ] &&
		virsh -c qemu:///system version >/dev/null 2>&1; then
		die "a libvirtd not started here answers on qemu:///system"
	fi
	mkdir -p "$dir/run" "$dir/lib" "$dir/log" "$dir/cache"
	sed -e "s|@PORT@|$port|" -e "s|@DIR@|$dir|" "$here/libvirt/libvirtd.conf.in" >"$dir/libvirtd.conf"
	binds="mount --bind '$here/libvirt/qemu.conf' /etc/libvirt/qemu.conf"
	if [ "$isolated" = --isolated ]; then
		for d in run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt cache:/var/cache/libvirt; do
			mkdir -p "${d#*:}"
			binds="$binds && mount --bind '$dir/${d%%:*}' '${d#*:}'"
		done
	fi
	binds="$binds$hide"
	# The daemons keep the namespace after the shell that made it exits.
	unshare -m --propagation private sh -c "$binds &&
		virtlogd -d -p '$dir/virtlogd.pid' &&
		libvirtd -d --listen -f '$dir/libvirtd.conf' -p '$dir/libvirtd.pid'" ||
		die "could not start the daemons (see $dir/libvirtd.log)"
	uri="qemu+tcp://127.0.0.1:$port/system"
	i=0
	until virsh -c "$uri" version >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { stop; die "libvirtd did not answer on $uri within 20 s (see $dir/libvirtd.log)"; }
		sleep 0.2
	done
	echo "$uri"
}

stop() {
	port=$(sed -n 's/^tcp_port = "\(.*\)"/\1/p' "$dir/libvirtd.conf" 2>/dev/null || true)
	lp=$(pid_of "$dir/libvirtd.pid" || true)
	if [ -n "$lp" ] && [ -n "$port" ]; then
		uri="qemu+tcp://127.0.0.1:$port/system"
		for d in $(timeout 10 virsh -c "$uri" list --name 2>/dev/null || true); do
			echo "libvirtd-test: destroying domain left running: $d" >&2
			timeout 10 virsh -c "$uri" destroy "$d" >/dev/null 2>&1 || true
		done
	fi
	for f in libvirtd virtlogd; do
		p=$(pid_of "$dir/$f.pid" || true)
		[ -n "$p" ] || continue
		kill -CONT "$p" 2>/dev/null || true # a test may have stopped it
		kill -TERM "$p" 2>/dev/null || true
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
		kill -KILL "$p" 2>/dev/null || true
		rm -f "$dir/$f.pid"
	done
}

case $cmd in
start) [ $# -ge 3 ] || die "start DIR PORT [--isolated [--hide PATH]...]"; shift 2; start "$@" ;;
stop) stop ;;
pids) for f in libvirtd virtlogd; do pid_of "$dir/$f.pid" || echo 0; done ;;
*) die "unknown command '$cmd'" ;;
esac
