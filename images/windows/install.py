#!/usr/bin/python3
"""install.py - run one QEMU of the Windows image recipe to its end (build.sh).

    install.py --qmp SOCK --state FILE [--timeout S] -- QEMU ARGV...

It listens on the QMP socket SOCK, then starts QEMU (whose argv connects to
SOCK, with -S), so no event is lost: QEMU connects, capabilities are
negotiated, then `cont`. While the state file says `phase=pe` (Setup has
not restarted yet), it presses a key every second, for the CD's "Press any
key to boot from CD or DVD" prompt; at the first RESET the guest itself
asked for, Setup's first phase is over: the state file gets `phase=disk`
(written next to it and renamed, never half written) and no key is pressed
again, so the CD's prompt passes and the disk boots, at this and any resumed
start.

Exit status: 0 only when QEMU reported SHUTDOWN with "guest": true (the
guest powered itself off, the recipe's last step) and exited 0; 1 for any
other end (a host-side quit or signal, QEMU dying, the deadline), with the
reason on stderr; 128+N when this process got signal N (SIGINT, SIGTERM,
or its parent dying: PR_SET_PDEATHSIG), after stopping QEMU. QEMU never
outlives it: it is stopped (SIGTERM, then SIGKILL after QUIT_S) on every
way out, and gets PR_SET_PDEATHSIG itself.

Everything QEMU sends is untrusted: lines are bounded, unknown events are
ignored, nothing from it reaches a shell.
"""
import argparse
import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
ACCEPT_S = 60  # QEMU connects to QMP at its start
QUIT_S = 10  # a SIGTERMed QEMU flushes its disk and exits within this
KEY_EVERY_S = 1.0
LINE_MAX = 1 << 20


class Stop(Exception):
    """A signal arrived: stop QEMU and exit 128+signum."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def on_signal(signum, _frame):
    raise Stop(signum)


def pdeathsig(sig):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def note(msg):
    print("install: " + msg, file=sys.stderr, flush=True)


def state_read(path):
    state = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    state[k] = v
    except FileNotFoundError:
        pass
    return state


def state_set(path, key, value):
    state = state_read(path)
    state[key] = value
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for k, v in state.items():
            f.write("%s=%s\n" % (k, v))
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


class Qmp:
    def __init__(self, conn):
        self.conn = conn
        self.buf = b""

    def send(self, cmd, args=None):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.conn.sendall(json.dumps(msg).encode() + b"\r\n")

    def messages(self):
        """The complete messages received so far; None at EOF."""
        data = self.conn.recv(65536)
        if not data:
            return None
        self.buf += data
        if len(self.buf) > LINE_MAX and b"\n" not in self.buf:
            raise ValueError("QMP line longer than %d bytes" % LINE_MAX)
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, dict):
                out.append(msg)
        return out


def stop_qemu(proc):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(QUIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def watch(qmp, proc, args):
    """Serve QMP until QEMU's end: (guest_shutdown, reason)."""
    deadline = time.monotonic() + args.timeout
    next_key = 0.0
    resets = 0
    shutdown = None
    qmp.send("qmp_capabilities")
    qmp.send("cont")
    while True:
        now = time.monotonic()
        if now >= deadline:
            return False, "the install did not end within %d s" % args.timeout
        if state_read(args.state).get("phase") == "pe" and now >= next_key:
            qmp.send("send-key", {"keys": [{"type": "qcode", "data": "spc"}]})
            next_key = now + KEY_EVERY_S
        ready, _, _ = select.select([qmp.conn], [], [], KEY_EVERY_S)
        if not ready:
            continue
        msgs = qmp.messages()
        if msgs is None:
            break
        for msg in msgs:
            event, data = msg.get("event"), msg.get("data")
            if not isinstance(data, dict):
                data = {}
            if event == "RESET" and data.get("guest") is True:
                resets += 1
                note("the guest restarted (%d)" % resets)
                if state_read(args.state).get("phase") == "pe":
                    state_set(args.state, "phase", "disk")
            elif event == "SHUTDOWN":
                shutdown = data
    try:
        proc.wait(QUIT_S)  # QMP closed: QEMU is on its way out
    except subprocess.TimeoutExpired:
        stop_qemu(proc)
    if shutdown is None:
        return False, "QEMU ended without a SHUTDOWN event (%s)" % proc.returncode
    if shutdown.get("guest") is not True:
        return False, "QEMU was shut down from the host (reason %s), not by the guest" % (
            json.dumps(shutdown.get("reason"))[:64])
    if proc.returncode != 0:
        return False, "QEMU exited %d after the guest's shutdown" % proc.returncode
    return True, "the guest powered itself off"


def main():
    ap = argparse.ArgumentParser(prog="install.py")
    ap.add_argument("--qmp", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--timeout", type=int, default=6 * 3600)
    ap.add_argument("qemu", nargs="+")
    args = ap.parse_args()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    pdeathsig(signal.SIGTERM)
    if os.getppid() == 1:
        return 128 + signal.SIGTERM
    proc = None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        if os.path.exists(args.qmp):
            os.unlink(args.qmp)
        listener.bind(args.qmp)
        listener.listen(1)
        proc = subprocess.Popen(args.qemu, stdin=subprocess.DEVNULL,
                                preexec_fn=lambda: pdeathsig(signal.SIGKILL))
        listener.settimeout(ACCEPT_S)
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            note("QEMU did not connect to QMP within %d s" % ACCEPT_S)
            return 1
        conn.setblocking(True)
        ok, reason = watch(Qmp(conn), proc, args)
        note(reason)
        return 0 if ok else 1
    except Stop as s:
        note("stopped by signal %d" % s.signum)
        return 128 + s.signum
    except (OSError, ValueError) as e:
        note("error: %s" % e)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if proc is not None:
            stop_qemu(proc)
        listener.close()
        try:
            os.unlink(args.qmp)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
