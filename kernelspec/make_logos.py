"""Draw the kernelspec logos (TypeScript blue square, white "TS", an async arrow) without any
imaging library: rectangles on a pixel grid, written as PNG with zlib. Run: python3 make_logos.py"""
import struct
import zlib

BLUE = (49, 120, 198)
WHITE = (255, 255, 255)

# Shapes on a 64-unit canvas: (x0, y0, x1, y1) filled rectangles.
T = [(8, 22, 30, 28), (16, 28, 22, 56)]
S = [(34, 22, 56, 28), (34, 28, 40, 37), (34, 36, 56, 42), (50, 42, 56, 50), (34, 50, 56, 56)]
ARROW = [(8, 8, 48, 12), (44, 4, 48, 16), (48, 6, 52, 14), (52, 8, 56, 12)]


def draw(size):
    scale = size / 64.0
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            u, v = (x + 0.5) / scale, (y + 0.5) / scale
            inside = any(x0 <= u < x1 and y0 <= v < y1 for x0, y0, x1, y1 in T + S + ARROW)
            row += bytes(WHITE if inside else BLUE)
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def svg():
    rects = "".join(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}"/>' for x0, y0, x1, y1 in T + S + ARROW)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" '
            f'fill="rgb{BLUE}"/><g fill="#fff">{rects}</g></svg>\n')


if __name__ == "__main__":
    for n in (32, 64):
        with open(f"logo-{n}x{n}.png", "wb") as f:
            f.write(draw(n))
    with open("logo-svg.svg", "w") as f:
        f.write(svg())
