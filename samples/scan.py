#!/usr/bin/env python3
"""Scanned variants of the text samples: image-only PDFs with the same expected records.

    python samples/scan.py              # every sample in SAMPLES
    python samples/scan.py seed         # only the named samples

For each `samples/<name>.pdf` (which has `samples/<name>.expected.json` beside it) this writes

* `samples/scanned/<name>.300dpi.pdf`           300 dpi grayscale, clean, JPEG quality 75
* `samples/scanned/<name>.200dpi-degraded.pdf`  200 dpi grayscale, rotated 0.3-1.0° (sign and
  angle drawn per page), Gaussian noise, a slight blur, JPEG quality 65
* `samples/scanned/<name>.200dpi-turned<T>.pdf` the same degraded scan of a page fed to the scanner
  turned: the image shows the page turned T° counter-clockwise (90: a landscape form on a
  portrait scanner, 180: upside down), the PDF page is the image's shape; it takes a clockwise turn
  of T to read (the samples in `SCANS` name their variants)

each with `<that name>.expected.json` beside it: the text sample's forms and warnings, and a
`source` for the new file (its sha256 and page count, method "ocr", the default OCR engine as the
pipeline names it). The page keeps its size in points, so the image fills it at the stated dpi.

Deterministic: the random degradations come from a seed per sample and page, Pillow's PDF writer
gets fixed dates, so a rerun with the same pypdfium2, numpy, OpenCV and Pillow writes the same
bytes. The committed files are what the OCR tests and `make accuracy` read.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

HERE = Path(__file__).resolve().parent
OUT = HERE / "scanned"

# A subset keeps samples/scanned small (about 5 MB) and the OCR tests short: the seed on one A3
# page, the seed cut across A4 pages, two forms in one file, and a real Zhanjiang form whose
# continuation page has no rule above its first row.
SAMPLES = ["seed", "seed_two_pages", "two_forms", "zhanjiang_2024",
           # one page each: a serif face and a large stroked title (portrait), a light sans and a
           # heiti face on landscape pages; upright at 300 dpi and degraded, turned, at 200 dpi
           "project_approval_serif", "project_sign_unit_sans", "project_long_annual_heiti"]

VARIANTS = {
    "300dpi": {"dpi": 300, "degrade": False, "jpeg_quality": 75},
    "200dpi-degraded": {"dpi": 200, "degrade": True, "jpeg_quality": 65,
                        "angle": (0.3, 1.0), "noise_sigma": 9.0, "blur_sigma": 0.6},
}
for _turn in (90, 180, 270):
    VARIANTS[f"200dpi-turned{_turn}"] = {**VARIANTS["200dpi-degraded"], "turn": _turn}

# the variants each sample is scanned in (default: 300dpi and 200dpi-degraded)
SCANS = {
    "project_approval_serif": ["300dpi", "200dpi-turned180"],
    "project_sign_unit_sans": ["300dpi", "200dpi-turned90"],
    "project_long_annual_heiti": ["300dpi", "200dpi-turned270"],
}

_FIXED_DATE = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)


def render_page(page: pdfium.PdfPage, dpi: int) -> np.ndarray:
    """A grayscale render of the page at `dpi` (what a scanner at that resolution sees)."""
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    arr = bitmap.to_numpy()
    return arr[..., 0].copy() if arr.ndim == 3 else arr.copy()


def degrade(img: np.ndarray, opts: dict, seed: int) -> np.ndarray:
    """Rotate by a small angle, blur slightly, add sensor noise: a cheap flatbed scan."""
    rng = np.random.default_rng(seed)
    lo, hi = opts["angle"]
    angle = float(rng.uniform(lo, hi)) * (1 if rng.random() < 0.5 else -1)
    h, w = img.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(img, rot, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    out = cv2.GaussianBlur(out, (0, 0), opts["blur_sigma"])
    noisy = out.astype(np.float32) + rng.normal(0.0, opts["noise_sigma"], out.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def write_pdf(pages: list[np.ndarray], sizes: list[tuple[float, float]], quality: int) -> bytes:
    """An image-only PDF: one JPEG (DCTDecode, DeviceGray) per page, drawn over the whole page.

    Written by hand (a dozen objects) rather than with Pillow's PDF writer so that each page keeps
    its own size in points and the bytes carry no date or random /ID.
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    tree = add(b"")
    kids = []
    for arr, (wpt, hpt) in zip(pages, sizes):
        buf = io.BytesIO()
        Image.fromarray(arr, mode="L").save(buf, format="JPEG", quality=quality, optimize=True)
        jpeg = buf.getvalue()
        h, w = arr.shape
        image = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                    b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % (w, h, len(jpeg))
                    + jpeg + b"\nendstream")
        draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (wpt, hpt)
        packed = zlib.compress(draw)
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed
                      + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] "
                        b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                        % (tree, wpt, hpt, image, content)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                         + b"] /Count %d >>" % len(kids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def default_engine_name() -> str:
    from perfdecl.extract.ocr.engines import DEFAULT_ENGINE, get_engine
    return get_engine(DEFAULT_ENGINE).describe()


def build(name: str, engine_name: str, out: Path = OUT) -> list[Path]:
    """Write the variants of sample `name` into `out`; returns the PDFs written."""
    src = HERE / f"{name}.pdf"
    expected = json.loads((HERE / f"{name}.expected.json").read_text(encoding="utf-8"))
    out.mkdir(exist_ok=True)
    written = []
    pdf = pdfium.PdfDocument(src)
    try:
        for variant in SCANS.get(name, ["300dpi", "200dpi-degraded"]):
            opts = VARIANTS[variant]
            images, sizes = [], []
            for i in range(len(pdf)):
                page = pdf[i]
                img = render_page(page, opts["dpi"])
                size = (page.get_width(), page.get_height())
                if opts.get("turn"):  # counter-clockwise, as the scanner saw the page
                    img = np.ascontiguousarray(np.rot90(img, opts["turn"] // 90))
                    size = size[::-1] if opts["turn"] in (90, 270) else size
                if opts["degrade"]:
                    seed = int.from_bytes(hashlib.sha256(f"{name}/{i}".encode()).digest()[:4], "big")
                    img = degrade(img, opts, seed)
                images.append(img)
                sizes.append(size)
            data = write_pdf(images, sizes, opts["jpeg_quality"])
            target = out / f"{name}.{variant}.pdf"
            target.write_bytes(data)
            written.append(target)
            doc = json.loads(json.dumps(expected))
            doc["source"] = {"file": target.name, "sha256": hashlib.sha256(data).hexdigest(),
                             "page_count": len(images), "method": "ocr", "ocr_engine": engine_name}
            text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
            target.with_name(f"{target.stem}.expected.json").write_text(text, encoding="utf-8")
            print(f"{target.name}: {len(images)} pages, {len(data) // 1024} KiB")
    finally:
        pdf.close()
    return written


def main(argv: list[str]) -> int:
    names = argv or SAMPLES
    engine_name = default_engine_name()
    for name in names:
        build(name, engine_name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
