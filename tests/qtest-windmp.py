#!/usr/bin/env python3
"""qtest-windmp.py - have QEMU's own Windows dump writer write a crash dump.

Usage: qtest-windmp.py QEMU OUT.dmp CODE P1 P2 P3 P4

No Windows runs: QEMU starts with its vCPU stopped (-S: no firmware runs,
the CPU stays in real mode, so a guest-virtual address is its physical one)
and this script plays the guest's part through the qtest protocol:

  * lays out what a Windows kernel leaves in memory for the host:
    a VMCOREINFO ELF note whose descriptor is a 64-bit dump header
    (PAGE DU64, one physical memory run), a KDBG block (owner tag "KDBG",
    KiBugcheckData, MmPfnDatabase, KiProcessorBlock, the PRCB's context
    offset), the bugcheck data (code and four parameters), a PRCB and room
    for the CONTEXT QEMU writes there;
  * publishes the note through fw_cfg's etc/vmcoreinfo file, as the
    vmcoreinfo driver does (fw_cfg DMA: directory read, then a write);
  * asks QMP for dump-guest-memory in "win-dmp" format.

QEMU reads the bugcheck data through the KDBG and patches it into the header
it writes (dump/win_dump.c), so the dump's code and parameters are the ones
planted here only if QEMU's writer did its work. Prints the planted
PfnDatabase value, which QEMU copies from the KDBG into the header, on
stdout (the caller checks it in the file: proof the header is QEMU's).
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

NOTE = 0x10000  # the VMCOREINFO note (12-byte header, "VMCOREINFO\0" padded, then the dump header)
KDBG = 0x20000
BUGCHECK = 0x21000
PROCBLOCK = 0x22000
PRCB = 0x23000
PRCB_CONTEXT_OFFSET = 0x100
CONTEXT = 0x24000
DMA = 0x30000  # FWCfgDmaAccess
DMA_BUF = 0x31000
PAGES = 0x40  # the one run QEMU copies into the dump: 256 KiB from address 0
PFN_DATABASE = 0xFFFFFA8000000000
HEADER_SIZE = 0x2000

FW_CFG_CTL = 0x510
FW_CFG_DMA = 0x514
FW_CFG_FILE_DIR = 0x19
DMA_READ, DMA_SELECT, DMA_WRITE = 0x02, 0x08, 0x10


class QTest:
    def __init__(self, proc):
        self.w = proc.stdin
        self.r = proc.stdout

    def cmd(self, line):
        self.w.write((line + "\n").encode())
        self.w.flush()
        while True:
            reply = self.r.readline().decode()
            if not reply:
                sys.exit("qtest: QEMU closed the qtest channel after: " + line)
            if reply.startswith("IRQ"):
                continue  # asynchronous interrupt notes
            if not reply.startswith("OK"):
                sys.exit("qtest: %s -> %s" % (line, reply.strip()))
            return reply[2:].strip()

    def write(self, addr, data):
        self.cmd("write 0x%x 0x%x 0x%s" % (addr, len(data), data.hex()))

    def read(self, addr, size):
        return bytes.fromhex(self.cmd("read 0x%x 0x%x" % (addr, size))[2:])


def dump_header(code):
    """The 64-bit header the guest leaves in its note: QEMU fills in the rest."""
    h = bytearray(b"PAGE" * (HEADER_SIZE // 4))  # unused bytes are "PAGE", as in Windows'
    h[0x00:0x08] = b"PAGEDU64"
    struct.pack_into("<II", h, 0x08, 0xF, 19041)  # MajorVersion, MinorVersion (build)
    struct.pack_into("<Q", h, 0x10, 0)  # DirectoryTableBase: paging is off
    struct.pack_into("<Q", h, 0x18, 0)  # PfnDatabase: QEMU copies it from the KDBG
    struct.pack_into("<QQ", h, 0x20, 0, 0)  # PsLoadedModuleList, PsActiveProcessHead
    struct.pack_into("<II", h, 0x30, 0x8664, 1)  # MachineImageType, NumberProcessors
    # BugcheckCode and parameters: left zero here, QEMU reads them from KiBugcheckData
    h[0x38:0x60] = bytes(0x28)
    struct.pack_into("<Q", h, 0x80, KDBG)  # KdDebuggerDataBlock
    # PhysicalMemoryBlock at 0x88: NumberOfRuns, unused, NumberOfPages, Run[0]
    struct.pack_into("<IIQQQ", h, 0x88, 1, 0, PAGES, 0, PAGES)
    struct.pack_into("<I", h, 0xF98, 1)  # DumpType: full
    return bytes(h)


def plant(qt, code, params):
    note = struct.pack("<III", 11, HEADER_SIZE, 0) + b"VMCOREINFO\0\0" + dump_header(code)
    qt.write(NOTE, note)
    kdbg = bytearray(0x340)
    kdbg[0x10:0x14] = b"KDBG"
    struct.pack_into("<Q", kdbg, 0x88, BUGCHECK)
    struct.pack_into("<Q", kdbg, 0xC0, PFN_DATABASE)
    struct.pack_into("<Q", kdbg, 0x218, PROCBLOCK)
    struct.pack_into("<H", kdbg, 0x338, PRCB_CONTEXT_OFFSET)
    qt.write(KDBG, bytes(kdbg))
    qt.write(BUGCHECK, struct.pack("<IIQQQQ", code, 0, *params))
    qt.write(PROCBLOCK, struct.pack("<Q", PRCB))
    qt.write(PRCB + PRCB_CONTEXT_OFFSET, struct.pack("<Q", CONTEXT))
    qt.write(CONTEXT, bytes(0x4D0))
    return len(note)


def fw_cfg_dma(qt, control, length, addr):
    """One fw_cfg DMA transfer; its registers are big-endian, the high half first."""
    qt.write(DMA, struct.pack(">IIQ", control, length, addr))
    qt.cmd("outl 0x%x 0x0" % FW_CFG_DMA)
    qt.cmd("outl 0x%x 0x%x" % (FW_CFG_DMA + 4, struct.unpack("<I", struct.pack(">I", DMA))[0]))
    status = struct.unpack(">I", qt.read(DMA, 4))[0]
    if status:
        sys.exit("fw_cfg: DMA control 0x%x ended with 0x%x" % (control, status))


def vmcoreinfo_selector(qt):
    fw_cfg_dma(qt, FW_CFG_FILE_DIR << 16 | DMA_SELECT | DMA_READ, 0x1000, DMA_BUF)
    d = qt.read(DMA_BUF, 0x1000)
    count = struct.unpack(">I", d[:4])[0]
    for i in range(min(count, (len(d) - 4) // 64)):
        size, sel = struct.unpack(">IH", d[4 + 64 * i:10 + 64 * i])
        name = d[12 + 64 * i:68 + 64 * i].split(b"\0")[0]
        if name == b"etc/vmcoreinfo":
            return sel
    sys.exit("fw_cfg: no etc/vmcoreinfo file (is -device vmcoreinfo there?)")


def qmp(path, out):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")

    def call(cmd, args=None):
        f.write(json.dumps({"execute": cmd, "arguments": args or {}}) + "\n")
        f.flush()
        while True:
            msg = json.loads(f.readline())
            if "return" in msg:
                return
            if "error" in msg:
                sys.exit("qmp %s: %s" % (cmd, msg["error"].get("desc")))

    json.loads(f.readline())  # the greeting
    call("qmp_capabilities")
    call("dump-guest-memory", {"paging": False, "protocol": "file:" + out, "format": "win-dmp"})
    call("quit")


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__.split("\n")[2])
    qemu, out = sys.argv[1], os.path.abspath(sys.argv[2])
    code, *params = (int(a, 0) for a in sys.argv[3:])
    tmp = tempfile.mkdtemp(prefix="windmp-")
    sock = os.path.join(tmp, "qmp.sock")
    proc = subprocess.Popen(
        [qemu, "-machine", "q35", "-accel", "tcg", "-S", "-qtest", "stdio", "-qtest-log", "/dev/null", "-m", "64",
         "-display", "none", "-nodefaults", "-device", "vmcoreinfo",
         "-qmp", "unix:%s,server=on,wait=off" % sock],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        qt = QTest(proc)
        qt.cmd("endianness")  # QEMU is up: the QMP socket exists too
        note_size = plant(qt, code, params)
        sel = vmcoreinfo_selector(qt)  # (its directory goes through DMA_BUF)
        info = struct.pack("<HHIQ", 1, 1, note_size, NOTE)  # host, guest format ELF; size; paddr
        qt.write(DMA_BUF, info)
        fw_cfg_dma(qt, sel << 16 | DMA_SELECT | DMA_WRITE, len(info), DMA_BUF)
        qmp(sock, out)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    print("0x%x" % PFN_DATABASE)


if __name__ == "__main__":
    main()
