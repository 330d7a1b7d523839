"""Small generators of hostile inputs (tests/test_hostile.py): each builds, at test time, a file
of a few KB that costs a careless reader gigabytes or minutes. No large file is committed."""

from __future__ import annotations

import io
import struct
import zlib


def pdf_bytes(pages: list[tuple[tuple[float, float], bytes, dict[str, bytes]]],
              *, compress: bool = True, encrypt_dict: bytes | None = None) -> bytes:
    """A minimal PDF: each page is (MediaBox width/height, content stream, extra XObject streams
    as name → full stream object text). Helvetica is the page font (/F1)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for (w, h), content, xobjects in pages:
        data = zlib.compress(content, 9) if compress else content
        filt = b" /Filter /FlateDecode" if compress else b""
        stream = add(b"<< /Length %d%s >>\nstream\n" % (len(data), filt) + data + b"\nendstream")
        xo = b""
        if xobjects:
            refs = [b"/%s %d 0 R" % (name.encode(), add(body)) for name, body in xobjects.items()]
            xo = b" /XObject << " + b" ".join(refs) + b" >>"
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >>%s >> >>"
                        % (pages_obj, _num(w), _num(h), stream, font, xo)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                              + b"] /Count %d >>" % len(kids))
    return _pdf_file(objects, catalog)


def _pdf_file(objects: list[bytes], root: int) -> bytes:
    """The PDF file of numbered `objects` (1-based), its cross-reference table and trailer."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, xref))
    return out.getvalue()


def _num(v: float) -> bytes:
    return (b"%d" % v) if float(v).is_integer() else (b"%.3f" % v)


def text_page(lines: list[str], size: float = 10) -> bytes:
    """A content stream writing ASCII lines from the top of an A4 page."""
    ops = [b"BT /F1 %s Tf %s TL 56 800 Td" % (_num(size), _num(size * 1.2))]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(%s) Tj T*" % escaped.encode("latin-1"))
    ops.append(b"ET")
    return b"\n".join(ops)


def text_pdf(pages: int, lines_per_page: int = 40) -> bytes:
    """A text PDF of many A4 pages, none of them a declaration form."""
    return pdf_bytes([((595, 842), text_page([f"page {p + 1} line {i + 1}: 0123456789 abcdefghij "
                                              f"klmnopqrstuvwxyz" for i in range(lines_per_page)]),
                       {}) for p in range(pages)])


def zeros_pdf(count: int) -> bytes:
    """One page of `count` `0` glyphs at distinct places (1 pt type, rows of 400): every one
    the same character, none an overprint of another."""
    rows = []
    per_row = 400
    for r in range(0, count, per_row):
        rows.append("0" * min(per_row, count - r))
    content = [b"BT /F1 1 Tf 1.2 TL 20 820 Td"]
    content += [b"(%s) Tj T*" % row.encode() for row in rows]
    content.append(b"ET")
    return pdf_bytes([((595, 842), b"\n".join(content), {})])


def image_only_pdf(side_pt: float) -> bytes:
    """One page of `side_pt` points square holding nothing but a 1x1 gray image stretched over
    it: no text layer, so the page goes to OCR, which renders it."""
    image = (b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream")
    content = b"q %s 0 0 %s 0 0 cm /Im1 Do Q" % (_num(side_pt), _num(side_pt))
    return pdf_bytes([((side_pt, side_pt), content, {"Im1": image})])


def huge_image_pdf(width: int, height: int) -> bytes:
    """An A4 page showing one image XObject of width x height pixels whose Flate data (a few KB)
    inflates to width x height bytes."""
    comp = zlib.compressobj(9)
    row = bytes(width)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    image = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
             % (width, height, len(data)) + data + b"\nendstream")
    return pdf_bytes([((595, 842), b"q 595 0 0 842 0 0 cm /Im1 Do Q", {"Im1": image})])


def flate_bomb_pdf(inflated: int) -> bytes:
    """One page whose content stream is `inflated` bytes of spaces, compressed (about 1,000:1)."""
    comp = zlib.compressobj(9)
    block = b" " * (1 << 20)
    parts = [comp.compress(block) for _ in range(inflated >> 20)]
    parts.append(comp.flush())
    data = b"".join(parts)
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return _rebuild_with_stream(stream)


def _rebuild_with_stream(stream: bytes) -> bytes:
    """pdf_bytes with a given content-stream object (offsets recomputed)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        stream,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources << >> >>",
    ]
    return _pdf_file(objects, 1)


# -- images ------------------------------------------------------------------------------------

def png_bytes(width: int, height: int) -> bytes:
    """A white 8-bit grayscale PNG of width x height, written row by row (no picture held in
    memory): 13,000² is about 170 KB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    comp = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def g4_tiff_bytes(width: int, height: int) -> bytes:
    """A bilevel TIFF of width x height, all white, CCITT G4: each row a single `V0` code
    (bit 1), so the strip is height/8 bytes."""
    strip = bytes([0xFF]) * ((height + 7) // 8) + b"\x00\x10\x01"  # rows, then EOFB
    entries = [  # tag, type, count, value (SHORT=3, LONG=4)
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 1), (259, 3, 1, 4),
        (262, 3, 1, 0), (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, len(strip)),
    ]
    ifd_offset = 8
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = ifd_offset + ifd_size
    out = io.BytesIO()
    out.write(b"II*\x00" + struct.pack("<I", ifd_offset))
    out.write(struct.pack("<H", len(entries)))
    for tag, typ, count, value in entries:
        if tag == 273:
            value = data_offset
        if typ == 3:
            out.write(struct.pack("<HHIHH", tag, typ, count, value, 0))
        else:
            out.write(struct.pack("<HHII", tag, typ, count, value))
    out.write(struct.pack("<I", 0))
    out.write(strip)
    return out.getvalue()
