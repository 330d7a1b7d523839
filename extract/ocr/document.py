"""OCR across an input's pages, for the extract entry point (extract/document.py): the engine and
repairer, built on first use (`OcrReader`), what OCR did (`OcrReport`), and scanned pages, told
apart from printed ones, read from their own scanner text where it passes the quality check.

numpy, OpenCV and the engines are imported when a page needs OCR, not for every text PDF.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..chars import chars_bbox, group_lines, line_text
from ..grid import Table, TextLine
from ..orientation import shown_box
from .render import PageImage


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


class OcrReader:
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
            if turn is not None:  # the items' boxes are mapped once stitched (extract/document.py)
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


def scanner_text_items(img: PageImage, chars: list[dict], s: dict) -> list[Table | TextLine]:
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
