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

from collections.abc import Iterator, Sequence
from itertools import islice
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
from .stitch import Stitcher
from .textlayer import TABLE_SETTINGS, open_pdf, read_pages



def extract_document(path: str | Path, *, password: str | None = None, mode: str = "auto",
                     engine=None, settings: dict | None = None,
                     labels: Sequence[str] = ()) -> tuple[ExtractedDocument, OcrReport]:
    """The file's tables and lines (stitched across pages) and what OCR did, all at once: the
    items of `ExtractionStream` gathered. `engine`: a name (`engines.ENGINES`), an `OcrEngine`
    instance, or None for the default. `labels`: the form vocabulary's label spellings, which
    OCR'd cells a letter or two off are snapped to (the pipeline passes normalize's; extract
    itself knows no vocabulary)."""
    stream = ExtractionStream(path, password=password, mode=mode, engine=engine,
                              settings=settings, labels=labels)
    items = list(stream)
    return stream.document(items), stream.report


class ExtractionStream:
    """A file's tables and lines in reading order as its pages are read: stitched across page
    breaks, boxes on the pages as displayed, each item handed on as soon as no later page can
    change it (extract/stitch.py `Stitcher`), so that a long file is never held whole. Iterate it
    once; then `page_count`, `unusable_pages` and `report` are complete and `document(items)`
    makes the `ExtractedDocument`."""

    def __init__(self, path: str | Path, *, password: str | None = None, mode: str = "auto",
                 engine=None, settings: dict | None = None, labels: Sequence[str] = ()):
        if mode not in OCR_MODES:
            raise ValueError(f"ocr must be one of {', '.join(OCR_MODES)}, not {mode!r}")
        self.path = Path(path)
        self.password = password
        self.mode = mode
        self.settings = settings_with(settings)
        self.report = OcrReport()
        self.page_count = 0
        self.unusable_pages: list[int] = []
        self._ocr = OcrReader(engine, self.settings, labels)
        self._turns: dict = {}  # pages read turned upright, text layer and OCR alike

    def __iter__(self) -> Iterator[Table | TextLine]:
        stitcher = Stitcher()
        for page_items in self._pages():
            yield from self._displayed(stitcher.add(page_items))
        yield from self._displayed(stitcher.finish())

    def document(self, items: list[Table | TextLine]) -> ExtractedDocument:
        report = self.report
        return ExtractedDocument(page_count=self.page_count, items=items,
                                 method="ocr" if report.ocr_pages else "text",
                                 ocr_engine=report.engine if report.ocr_pages else None,
                                 unusable_pages=self.unusable_pages)

    def _displayed(self, items: list[Table | TextLine]) -> list[Table | TextLine]:
        """Boxes put on the pages as displayed, once stitched: stitching compares them as read."""
        as_displayed(items, self._turns)
        return items

    def _pages(self) -> Iterator[list[Table | TextLine]]:
        """Each page's items, page by page."""
        path, s, mode = self.path, self.settings, self.mode
        if is_image_file(path):
            if mode == "never":
                raise OcrRequiredError("an image has no text layer; OCR is needed (ocr='auto')",
                                       file=str(path))
            self.page_count = image_page_count(path)
            images = load_image_pages(path, dpi=s["dpi"], assumed_dpi=s["image_dpi"],
                                      max_dpi=s["max_image_dpi"])
            for n in range(1, self.page_count + 1):  # one frame at a time, loaded inside the OCR's clock
                yield self._read_by_ocr(islice(images, 1), n)
            return
        with open_pdf(path, self.password) as pdf:
            for page, page_items, turn in read_pages(pdf, path, TABLE_SETTINGS):
                n = page.page_number
                if mode == "always":
                    yield self._ocr_page(page, n)
                elif page_items is None:
                    # a page with nothing drawn on it has nothing to OCR: it stays reported unread
                    if mode == "auto" and has_marks(page):
                        yield self._ocr_page(page, n)
                    else:
                        self.unusable_pages.append(n)
                elif mode == "auto" and is_scanned_page(page, s):
                    if scanner_text_usable(page.chars, s):
                        chars = list(page.chars)
                        _check_images(page, path)
                        image = next(self._rendered(n))
                        self.report.scanner_text_pages.append(n)
                        yield scanner_text_items(image, chars, s)
                    else:
                        yield self._ocr_page(page, n)
                else:
                    if turn is not None:
                        self._turns[n] = turn
                    yield page_items
            self.page_count = len(pdf.pages)  # read_pages has turned a broken page tree into errors

    def _ocr_page(self, page, n: int) -> list[Table | TextLine]:
        _check_images(page, self.path)
        return self._read_by_ocr(self._rendered(n), n)

    def _rendered(self, n: int) -> Iterator:
        """Page `n`'s image, rendered when asked for (the OCR times the rendering)."""
        return render_pdf_pages(self.path, [n], self.settings["dpi"], self.password)

    def _read_by_ocr(self, images, n: int) -> list[Table | TextLine]:
        items = self._ocr.read(images, self.report)
        turn = self.report.turns.get(n)
        if turn is not None:
            self._turns[n] = turn
        return items


def _check_images(page, path: Path) -> None:
    """A page to be rendered may show an image whose pixels pass `max_image_pixels`: its few KB of
    Flate data inflate to gigabytes when the renderer decodes it."""
    for im in page.images:
        width, height = (im.get("srcsize") or (0, 0))[:2]
        limits.check_pixels(float(width or 0), float(height or 0),
                            f"an image on page {page.page_number}", key="max_image_pixels",
                            file=str(path))
