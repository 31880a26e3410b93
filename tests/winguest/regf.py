#!/usr/bin/env python3
"""regf.py OUT - an empty registry hive (regf), from the documented format:
the 4 KiB base block (signature, equal sequence numbers, version 1.3, root
cell offset, bins' size, XOR checksum) and one 4 KiB bin with the root key
(nk), its security cell (sk) and a free cell. Keys are added with hivex."""
import struct
import sys

h = bytearray(8192)
h[0:4] = b"regf"
struct.pack_into("<IIQIIIIIII", h, 4, 1, 1, 0, 1, 3, 0, 1, 0x20, 4096, 1)
s = 0
for i in range(127):
    s ^= struct.unpack_from("<I", h, 4 * i)[0]
struct.pack_into("<I", h, 0x1FC, s)
b = 4096
h[b:b + 4] = b"hbin"
struct.pack_into("<I", h, b + 8, 4096)
nk = b + 0x20
struct.pack_into("<i", h, nk, -0x58)
h[nk + 4:nk + 6] = b"nk"
struct.pack_into("<H", h, nk + 6, 0x2C)
for off, v in ((0x1C, 0xFFFFFFFF), (0x20, 0xFFFFFFFF), (0x28, 0xFFFFFFFF), (0x2C, 0x78),
               (0x30, 0xFFFFFFFF)):
    struct.pack_into("<I", h, nk + 4 + off, v)
struct.pack_into("<H", h, nk + 4 + 0x48, 4)
h[nk + 4 + 0x4C:nk + 4 + 0x50] = b"ROOT"
sk = b + 0x78
struct.pack_into("<iHHIIII", h, sk, -0x30, 0, 0, 0x78, 0x78, 1, 20)
h[sk + 4:sk + 6] = b"sk"
h[sk + 0x18] = 1
h[sk + 0x1A] = 0x04
h[sk + 0x1B] = 0x80
struct.pack_into("<i", h, b + 0xA8, 4096 - 0xA8)
open(sys.argv[1], "wb").write(h)
