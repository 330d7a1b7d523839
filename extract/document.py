"""The one extract entry point: a whole input file → `ExtractedDocument`, page by page, the text
layer where it is usable, OCR where it is not (or everywhere, or nowhere), image files always by
OCR. Tables are stitched across pages and every box put on its page as displayed.

`mode`:
* `"never"`  the text layer only (pages without one are reported unusable, as before OCR);
* `"auto"`   OCR for pages with no usable text layer (a page with nothing at all drawn on it is
             left unread, as with "never"), and for scanned pages (an image covering
             the page, no ruled lines) whose invisible scanner text fails the quality check;
             a scanned page whose text passes keeps that text, laid into the grid of the image's
             ruling lines;
* `"always"` OCR for every page.
The engine is built only when a page needs it, so a text PDF never loads an OCR model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .. import limits
from ..errors import OcrRequiredError
from . import OCR_MODES
from .grid import ExtractedDocument, Table, TextLine
from .ocr import settings_with
from .ocr.document import (OcrReader, OcrReport, has_marks, is_scanned_page, scanner_text_items,
                           scanner_text_usable)
from .ocr.render import image_page_count, is_image_file, load_image_pages, render_pdf_pages
from .orientation import as_displayed
from .stitch import stitch_tables
from .textlayer import TABLE_SETTINGS, open_pdf, read_pages



def extract_document(path: str | Path, *, password: str | None = None, mode: str = "auto",
                     engine=None, settings: dict | None = None,
                     labels: Sequence[str] = ()) -> tuple[ExtractedDocument, OcrReport]:
    """The file's tables and lines (stitched across pages) and what OCR did. `engine`: a name
    (`engines.ENGINES`), an `OcrEngine` instance, or None for the default. `labels`: the form
    vocabulary's label spellings, which OCR'd cells a letter or two off are snapped to (the
    pipeline passes normalize's; extract itself knows no vocabulary)."""
    if mode not in OCR_MODES:
        raise ValueError(f"ocr must be one of {', '.join(OCR_MODES)}, not {mode!r}")
    path = Path(path)
    s = settings_with(settings)
    report = OcrReport()
    ocr = OcrReader(engine, s, labels)
    if is_image_file(path):
        if mode == "never":
            raise OcrRequiredError("an image has no text layer; OCR is needed (ocr='auto')",
                                   file=str(path))
        count = image_page_count(path)
        items = ocr.read(load_image_pages(path, dpi=s["dpi"], assumed_dpi=s["image_dpi"],
                                          max_dpi=s["max_image_dpi"]), report)
        return _document(count, items, [], report, report.turns), report

    with open_pdf(path, password) as pdf:
        per_page: dict[int, list[Table | TextLine]] = {}
        unusable: list[int] = []
        need_ocr: list[int] = []
        scanner_text: dict[int, list[dict]] = {}
        turns = {}
        for page, page_items, turn in read_pages(pdf, path, TABLE_SETTINGS):
            n = page.page_number
            if mode == "always":
                need_ocr.append(n)
            elif page_items is None:
                # a page with nothing drawn on it has nothing to OCR: it stays reported unread
                (need_ocr if mode == "auto" and has_marks(page) else unusable).append(n)
            elif mode == "auto" and is_scanned_page(page, s):
                if scanner_text_usable(page.chars, s):
                    scanner_text[n] = list(page.chars)
                else:
                    need_ocr.append(n)
            else:
                per_page[n] = page_items
                if turn is not None:
                    turns[n] = turn
            if n in need_ocr or n in scanner_text:
                _check_images(page, path)
        page_count = len(pdf.pages)
    if scanner_text:
        for img in render_pdf_pages(path, sorted(scanner_text), s["dpi"], password):
            per_page[img.page] = scanner_text_items(img, scanner_text[img.page], s)
            report.scanner_text_pages.append(img.page)
    if need_ocr:
        ocr_items = ocr.read(render_pdf_pages(path, need_ocr, s["dpi"], password), report)
        for item in ocr_items:
            page_no = item.first_page if isinstance(item, Table) else item.page
            per_page.setdefault(page_no, []).append(item)
    items = [it for n in sorted(per_page) for it in per_page[n]]
    return _document(page_count, items, unusable, report, {**turns, **report.turns}), report


def _document(page_count: int, items: list, unusable: list[int], report: OcrReport,
              turns: dict) -> ExtractedDocument:
    """The items stitched across pages, their boxes then put on the pages as displayed (`turns`:
    the pages read turned upright, text layer and OCR alike)."""
    items = stitch_tables(items)
    as_displayed(items, turns)
    return ExtractedDocument(page_count=page_count, items=items,
                             method="ocr" if report.ocr_pages else "text",
                             ocr_engine=report.engine if report.ocr_pages else None,
                             unusable_pages=unusable)


def _check_images(page, path: Path) -> None:
    """A page to be rendered may show an image whose pixels pass `max_image_pixels`: its few KB of
    Flate data inflate to gigabytes when the renderer decodes it."""
    for im in page.images:
        width, height = (im.get("srcsize") or (0, 0))[:2]
        limits.check_pixels(float(width or 0), float(height or 0),
                            f"an image on page {page.page_number}", key="max_image_pixels",
                            file=str(path))
