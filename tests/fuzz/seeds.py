#!/usr/bin/env python3
"""Seed inputs for fuzz_virtio.c: 16 control bytes, then guest RAM with
queue 0 at 0 (descriptors), 0x1000 (avail), 0x2000 (used) and well-formed
requests, so the fuzzer starts from chains the device accepts.
    tests/fuzz/seeds.py DEVICE OUTDIR"""
import os
import struct
import sys

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def image(chains, qsize_log2=3, extra=b""):
    ram = bytearray(0x6000)
    ctrl = bytearray(16)
    # features: everything offered (low word), VERSION_1 (high word)
    ctrl[0:4] = b"\xff\xff\xff\xff"
    ctrl[5] = 1
    for q in range(8):
        ctrl[6 + q] = qsize_log2
    d = 0
    heads = []
    for chain in chains:
        heads.append(d)
        for i, (addr, ln, fl) in enumerate(chain):
            nxt = d + 1 if i + 1 < len(chain) else 0
            if i + 1 < len(chain):
                fl |= F_NEXT
            struct.pack_into("<QIHH", ram, d * 16, addr, ln, fl, nxt)
            d += 1
    struct.pack_into("<HH", ram, 0x1000, 0, len(heads))
    for i, h in enumerate(heads):
        struct.pack_into("<H", ram, 0x1004 + 2 * i, h)
    ram[0x3000:0x3000 + len(extra)] = extra
    return bytes(ctrl) + bytes(ram)


def blk():
    hdr = lambda t, s: struct.pack("<IIQ", t, 0, s)
    out = []
    for t, s in ((0, 0), (1, 8), (4, 0), (8, 0)):
        extra = hdr(t, s)
        out.append(image([[(0x3000, 16, 0), (0x3200, 512, F_WRITE if t != 1 else 0),
                           (0x3400, 1, F_WRITE)]], extra=extra))
    seg = struct.pack("<QII", 0, 8, 0)
    for t in (11, 13):
        out.append(image([[(0x3000, 16, 0), (0x3010, 16, 0), (0x3400, 1, F_WRITE)]],
                         extra=hdr(t, 0) + seg))
    # indirect: the table at 0x3800
    ind = bytearray(48)
    struct.pack_into("<QIHH", ind, 0, 0x3000, 16, F_NEXT, 1)
    struct.pack_into("<QIHH", ind, 16, 0x3200, 512, F_NEXT | F_WRITE, 2)
    struct.pack_into("<QIHH", ind, 32, 0x3400, 1, F_WRITE, 0)
    extra = bytearray(0x900)
    extra[0:16] = hdr(0, 0)
    extra[0x800:0x830] = ind
    out.append(image([[(0x3800, 48, F_INDIRECT)]], extra=bytes(extra)))
    return out


def generic():
    return [image([[(0x3000, 64, F_WRITE)]]),
            image([[(0x3000, 64, 0)], [(0x3100, 64, F_WRITE)]]),
            image([[(0x3000, 12, 0), (0x3100, 1514, 0)]])]


def main():
    dev, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    seeds = blk() if dev == "blk" else generic()
    for i, s in enumerate(seeds):
        with open(os.path.join(outdir, "seed%d" % i), "wb") as f:
            f.write(s)


main()
