"""A whole input file → `ExtractedDocument`, page by page: text layer where it is usable, OCR
where it is not (or everywhere, or nowhere), image files always by OCR.

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

import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ... import limits
from ...errors import OcrRequiredError
from ..chars import chars_bbox, group_lines, line_text
from ..grid import ExtractedDocument, Table, TextLine
from ..orientation import as_displayed, shown_box
from ..stitch import stitch_tables
from ..textlayer import TABLE_SETTINGS, open_pdf, read_pages
from . import settings_with
from .render import PageImage, image_page_count, is_image_file, load_image_pages, render_pdf_pages

# numpy, OpenCV and the engines are imported when a page needs OCR, not for every text PDF

OCR_MODES = ("auto", "always", "never")


@dataclass
class OcrReport:
    """What the OCR stage did, for warnings and the accuracy report."""

    engine: str | None = None
    ocr_pages: list[int] = field(default_factory=list)
    scanner_text_pages: list[int] = field(default_factory=list)  # scans read from their own text
    low_confidence: list[tuple[int, str, float, tuple]] = field(default_factory=list)
    timings: dict[int, dict[str, float]] = field(default_factory=dict)
    skew: dict[int, float] = field(default_factory=dict)
    turns: dict = field(default_factory=dict)  # pages scanned turned: orientation.Turn by page


class _Ocr:
    """The engine and repairer, built on first use."""

    def __init__(self, engine, settings: dict, labels: Sequence[str]):
        self._engine_arg = engine
        self._labels = labels
        self._engine = None
        self._repairer = None
        self.settings = settings

    @property
    def engine(self):
        from .engines import OcrEngine, get_engine

        if self._engine is None:
            if isinstance(self._engine_arg, OcrEngine):
                self._engine = self._engine_arg
            else:
                self._engine = get_engine(self._engine_arg, self.settings.get("engine") or None)
        return self._engine

    @property
    def repairer(self):
        from .repair import Repairer

        if self._repairer is None and self.settings["repair"]:
            self._repairer = Repairer(labels=self._labels)
        return self._repairer

    def read(self, pages: Iterable[PageImage], report: OcrReport) -> list[Table | TextLine]:
        from .page import read_page

        items: list[Table | TextLine] = []
        pages = iter(pages)
        while True:
            t0 = time.perf_counter()
            page = next(pages, None)
            if page is None:
                break
            render = time.perf_counter() - t0
            page, turn, orient = self._upright(page)
            result = read_page(page, self.engine, self.settings, self.repairer)
            low_confidence = result.low_confidence
            if turn is not None:  # the items' boxes are mapped once stitched (`_document`)
                report.turns[page.page] = turn
                low_confidence = [(text, conf, shown_box(box, turn))
                                  for text, conf, box in low_confidence]
            report.engine = self.engine.describe()
            report.ocr_pages.append(page.page)
            report.low_confidence.extend((page.page, *low) for low in low_confidence)
            report.timings[page.page] = {"render": render, "orient": orient, **result.timings}
            report.skew[page.page] = result.skew
            items.extend(result.items)
        return items

    def _upright(self, page: PageImage):
        """The page turned upright where it was scanned turned (orient.py), its turn, seconds."""
        if not self.settings["orient"]:
            return page, None, 0.0
        from .orient import upright_page

        page, turn, found = upright_page(page)
        return page, turn, found.seconds


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
    ocr = _Ocr(engine, s, labels)
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
            per_page[img.page] = _scanner_text_items(img, scanner_text[img.page], s)
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


def has_marks(page) -> bool:
    """Anything an OCR could read: an image, or vector drawing (text drawn as outlines)."""
    return bool(page.images or page.curves or page.rects or page.lines)


# ---------------------------------------------------------------------------------------------
# scanned pages with a text layer of their own
def is_scanned_page(page, settings: dict) -> bool:
    """An image covers (nearly) the whole page and no ruled lines are drawn: a scan, whatever
    text lies over it is a scanner's recognition, not the producer's."""
    area = float(page.width * page.height) or 1.0
    covered = max(((min(im["x1"], page.width) - max(im["x0"], 0))
                   * (min(im["bottom"], page.height) - max(im["top"], 0)) for im in page.images),
                  default=0.0)
    if covered / area < settings["scan_coverage"]:
        return False
    return len(page.edges) < settings["scan_max_edges"]


_PLAUSIBLE_PUNCT = set("，。、：；（）“”‘’％《》—…·-+/%.,:;()<>=≥≤≧≦~～[]【】#&*'\"!?！？")


def scanner_text_usable(chars: Iterable[dict], settings: dict) -> bool:
    """The quality check for a scanner's text: almost every character is one a Chinese form
    prints (CJK ideographs, ASCII letters and digits, the usual punctuation), and a fair share
    are Chinese. Scanner OCR of Chinese that fails shows as Latin look-alikes, symbols, private-use
    and replacement characters."""
    text = [c["text"] for c in chars if c["text"].strip()]
    if len(text) < settings["scan_text_min_chars"]:
        return False
    plausible = cjk = 0
    for t in text:
        for ch in t:
            if "\u4e00" <= ch <= "\u9fff":
                cjk += 1
                plausible += 1
            elif ch.isascii() and ch.isalnum() or ch in _PLAUSIBLE_PUNCT:
                plausible += 1
            elif unicodedata.category(ch) == "Zs":
                plausible += 1
    total = sum(len(t) for t in text)
    return plausible / total >= settings["scan_text_min_plausible"] and cjk / total >= settings["scan_text_min_cjk"]


def _scanner_text_items(img: PageImage, chars: list[dict], s: dict) -> list[Table | TextLine]:
    """A scanned page read from its own text layer: the grid from the image's ruling lines, the
    characters laid into it by their centres (no OCR engine, no confidence)."""
    from ..text import map_chars
    from .engines import OcrLine, assign_to_cells
    from .lines import find_tables
    from .page import assemble

    image = img.image  # not deskewed: the text layer's coordinates are the page's own
    grids = find_tables(image, img.scale, s.get("lines"))
    lines = []
    for line in group_lines(c for c in chars if c["text"].strip()):
        x0, top, x1, bottom = chars_bbox(line)
        lines.append(OcrLine(text=map_chars(line_text(line)),
                             box=(x0 * img.scale, top * img.scale, x1 * img.scale, bottom * img.scale),
                             confidence=None))
    read = assign_to_cells(lines, [c.box for g in grids for c in g.cells])
    return assemble(img, image, grids, read.cells, read.loose, s, repairer=None).items
