"""OCR stage: scanned pages and page images into the same cell grid as the text layer.

    render.py   pages as grayscale images (pypdfium2 for PDFs; PNG, JPEG, multi-page TIFF)
    orient.py   pages scanned sideways or upside down, found and turned upright
    deskew.py   the page turned level by its rules
    lines.py    ruling lines → grid with row/column spans (OpenCV)
    engines.py  `OcrEngine`: rapidocr (default) and tesseract behind one interface
    repair.py   domain repair by the rules in repairs.toml
    page.py     one page: grid + recognised lines → cells and loose lines
    document.py OCR across a file's pages for extract/document.py (the entry point: auto /
                always / never): the engine on first use, the report, scanners' own text

Settings are a plain dict; `OCR_SETTINGS` holds the defaults, and a caller's dict overrides
them key by key (`lines` and `engine` are dicts of their own, see lines.LINE_SETTINGS and
engines.RAPIDOCR_SETTINGS / TESSERACT_SETTINGS).
"""

from __future__ import annotations

# the engine used when none is named (engines.ENGINES holds them all; named here so that a text-only
# run and the batch's settings record do not import OpenCV and numpy)
DEFAULT_ENGINE = "rapidocr"

OCR_SETTINGS: dict = {
    # render resolution of PDF pages (dots per inch). 200 dpi: the benchmark in docs/ocr.md read
    # as well as at 300 dpi, in less time; the text is 25-30 px high for 9-10.5 pt type.
    "dpi": 200,
    "image_dpi": 200,          # an image file that states no resolution is taken as this
    "max_image_dpi": 300,      # images scanned finer are reduced to `dpi` (time, not accuracy)
    "orient": True,            # pages scanned turned a quarter or a half are turned upright (orient.py)
    "deskew": True,
    "max_skew": 3.0,           # degrees searched either way
    "low_confidence": 0.8,     # a cell read with less gives a `low_ocr_confidence` warning
    "repair": True,            # domain repair (repairs.toml)
    # a PDF page is a scan when one image covers this share of it and it has fewer ruled edges
    "scan_coverage": 0.85,
    "scan_max_edges": 4,
    # quality check of a scanner's own text layer (auto mode): characters a form prints
    "scan_text_min_chars": 20,
    "scan_text_min_plausible": 0.95,
    "scan_text_min_cjk": 0.3,
    "lines": {},               # overrides of lines.LINE_SETTINGS
    "engine": {},              # overrides of the engine's settings
}


def settings_with(overrides: dict | None) -> dict:
    """The defaults with a caller's keys on top."""
    out = dict(OCR_SETTINGS)
    for key, value in (overrides or {}).items():
        if key not in OCR_SETTINGS:
            raise KeyError(f"unknown OCR setting {key!r}")
        out[key] = value
    return out
