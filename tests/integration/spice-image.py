#!/usr/bin/python3
"""Looks at screenshots for the SPICE tests, with the standard library only.

    spice-image.py info SHOT.ppm          -> "W H COLOURS LIT"
    spice-image.py diff A.ppm B.ppm       -> pixels that differ
    spice-image.py drawn SCREEN.xwd       -> exit 0 when not all black
    spice-image.py xwd SCREEN.xwd OUT.png [GUEST.ppm]
                                          -> "W H COLOURS" and, with GUEST,
                                             "found X,Y" or "missing";
                                             OUT.png is cut to what is
                                             not black

SHOT.ppm is what spicy-screenshot writes (binary P6). LIT counts pixels
unlike the most common colour (the background), so text on a console shows
up. xwd reads an X screen dump (Xvfb -fbdir keeps one per screen), saves it
as PNG, and looks for GUEST's picture in it pixel for pixel: a viewer that
shows the guest's screen unscaled contains it."""
import struct
import sys
import zlib
from collections import Counter


def read_ppm(path):
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        sys.exit("%s: not a binary 8-bit PPM" % path)
    w, h = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + w * h * 3]
    if len(pixels) != w * h * 3:
        sys.exit("%s: truncated (%d of %d bytes)" % (path, len(pixels), w * h * 3))
    return w, h, pixels


def pixels(row):
    """A row of RGB bytes as (r, g, b) tuples."""
    return zip(row[0::3], row[1::3], row[2::3])


# The lab runs these under emulation, where a Python loop over every pixel
# takes many seconds: whole rows are compared first (at C speed) and only
# rows that differ are looked at pixel by pixel.
def colours(w, h, rgb):
    """(distinct colours, pixels unlike the background)."""
    sample = Counter(rgb[i:i + 3] for i in range(0, len(rgb), 3 * 97))
    bg = sample.most_common(1)[0][0]
    bg_row, bg_px = bg * w, tuple(bg)
    seen, lit = {bg_px}, 0
    for y in range(h):
        row = rgb[y * w * 3:(y + 1) * w * 3]
        if row == bg_row:
            continue
        px = list(pixels(row))
        seen.update(px)
        lit += sum(1 for p in px if p != bg_px)
    return len(seen), lit


def differ(w, h, a, b):
    n = 0
    for y in range(h):
        ra, rb = a[y * w * 3:(y + 1) * w * 3], b[y * w * 3:(y + 1) * w * 3]
        if ra != rb:
            n += sum(1 for p, q in zip(pixels(ra), pixels(rb)) if p != q)
    return n


def write_png(path, w, h, rgb):
    rows = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(rows, 9)))
        f.write(chunk(b"IEND", b""))


def read_xwd(path):
    """An X11 XWD dump of a 24/32-bit TrueColor screen -> (w, h, RGB)."""
    data = open(path, "rb").read()
    header_size, version = struct.unpack(">II", data[:8])
    if version != 7:
        sys.exit("%s: not an XWD version 7 file" % path)
    (fmt, depth, w, h, _xoff, byte_order, _unit, _bit_order, _pad, bpp,
     bpl, _vclass, rmask, gmask, bmask, _bits, _entries, ncolours) = \
        struct.unpack(">18I", data[8:80])
    if bpp != 32 or fmt != 2:
        sys.exit("%s: %d bits per pixel, format %d: only 32-bit ZPixmap" %
                 (path, bpp, fmt))
    pos = header_size + ncolours * 12
    # Pixels as 32-bit words in the file's byte order; for the usual
    # 0xff0000/0xff00/0xff masks that is B,G,R,X in memory (LSBFirst).
    if not (rmask == 0xff0000 and gmask == 0xff00 and bmask == 0xff):
        sys.exit("%s: unexpected colour masks" % path)
    rgb = bytearray(w * h * 3)
    for y in range(h):
        row = data[pos + y * bpl:pos + y * bpl + w * 4]
        out = memoryview(rgb)[y * w * 3:(y + 1) * w * 3]
        if byte_order == 0:  # LSBFirst
            out[0::3], out[1::3], out[2::3] = row[2::4], row[1::4], row[0::4]
        else:
            out[0::3], out[1::3], out[2::3] = row[1::4], row[2::4], row[3::4]
    return w, h, bytes(rgb)


def crop(w, h, rgb):
    """The picture cut to what is not black (the viewer's window on an
    empty X screen)."""
    rows = [rgb[y * w * 3:(y + 1) * w * 3] for y in range(h)]
    used = [y for y in range(h) if rows[y].strip(b"\0")]
    if not used:
        return w, h, rgb
    left = min(len(r) - len(r.lstrip(b"\0")) for r in rows if r.strip(b"\0")) // 3
    right = max(len(r.rstrip(b"\0")) for r in rows) // 3 + 1
    right = min(right, w)
    out = b"".join(rows[y][left * 3:right * 3] for y in range(used[0], used[-1] + 1))
    return right - left, used[-1] + 1 - used[0], out


def find(screen, guest):
    """Where guest's picture sits in screen, 1:1, or None. Looks for the
    guest row with the most detail, then checks every row at that place."""
    sw, sh, srgb = screen
    gw, gh, grgb = guest
    best = max(range(gh), key=lambda y: len(set(grgb[y * gw * 3:(y + 1) * gw * 3:7])))
    probe = grgb[best * gw * 3:(best + 1) * gw * 3]
    for y in range(best, sh - (gh - best) + 1):
        row = srgb[y * sw * 3:(y + 1) * sw * 3]
        x = row.find(probe)
        while x >= 0:
            if x % 3 == 0:
                x0, y0 = x // 3, y - best
                if x0 + gw <= sw and all(
                        srgb[((y0 + r) * sw + x0) * 3:((y0 + r) * sw + x0 + gw) * 3]
                        == grgb[r * gw * 3:(r + 1) * gw * 3] for r in range(gh)):
                    return x0, y0
            x = row.find(probe, x + 1)
    return None


def main(argv):
    if len(argv) == 3 and argv[1] == "info":
        w, h, rgb = read_ppm(argv[2])
        n, lit = colours(w, h, rgb)
        print(w, h, n, lit)
    elif len(argv) == 4 and argv[1] == "diff":
        a, b = read_ppm(argv[2]), read_ppm(argv[3])
        if a[:2] != b[:2]:
            print("size-mismatch")
            return 1
        print(differ(a[0], a[1], a[2], b[2]))
    elif len(argv) == 3 and argv[1] == "drawn":
        # Cheap, for polling: does the X screen hold anything but black?
        data = open(argv[2], "rb").read()
        header_size, = struct.unpack(">I", data[:4])
        ncolours, = struct.unpack(">I", data[76:80])
        return 0 if data[header_size + ncolours * 12:].strip(b"\0") else 1
    elif len(argv) in (4, 5) and argv[1] == "xwd":
        w, h, rgb = read_xwd(argv[2])
        write_png(argv[3], *crop(w, h, rgb))
        line = "%d %d %d" % (w, h, colours(w, h, rgb)[0])
        if len(argv) == 5:
            at = find((w, h, rgb), read_ppm(argv[4]))
            line += " found %d,%d" % at if at else " missing"
        print(line)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
