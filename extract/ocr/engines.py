"""OCR engines behind one interface.

An engine reads one page image (grayscale numpy array, pixels) and the boxes of the table cells
found on it, and returns recognised lines per cell plus the lines outside every cell. How it gets
there is its own business:

* `RapidOcrEngine` (PyPI `rapidocr` on onnxruntime, PP-OCR models shipped inside the wheel) runs
  text detection once on the whole page and assigns each recognised line to the cell holding its
  centre. Detection per cell crop was 10-20x slower. The text-line orientation classifier is off:
  on upright pages it only flips short cells (`≤0%` → `%0≥`).
* `TesseractEngine` (pytesseract, Debian's `chi_sim`) reads every non-empty cell crop in one
  tesseract process (a list file of crops), and the page with the cells blanked out in a second
  one for titles and notes. `OMP_THREAD_LIMIT=1`: tesseract's OpenMP threading was several times
  slower on small crops.

Confidences are 0-1 (tesseract's 0-100 divided by 100). Versions are read at run time for
`source.ocr_engine`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ...errors import OcrEngineError
from . import DEFAULT_ENGINE
from .bands import BAND_SETTINGS, ink_runs, line_height, padded, text_bands
from .recogniser import LineRecogniser

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in page-image pixels

# Engine settings, plain dicts; `get_engine(name, settings)` overrides key by key.
RAPIDOCR_SETTINGS: dict = {
    "model_type": "small",      # PP-OCR model size shipped in the wheel: det/rec "small"
    "ocr_version": "PP-OCRv6",
    "text_score": 0.3,          # keep lines down to this score (rapidocr's own default drops < 0.5);
                                # low ones become low_ocr_confidence warnings instead of vanishing
    "max_side_len": 4000,       # rapidocr shrinks larger pages before detection and recognition;
                                # 4000 px keeps an A3 page at 200 dpi whole for recognition
    "det_max_side": 1600,       # detection alone runs on the page reduced to this (boxes are
                                # mapped back, lines recognised from the full page): 3x less det time
    "threads": 0,               # onnxruntime intra-op threads, 0 = its default (physical cores)
    "cell_lines": "ink",        # how a table cell's lines are found: "ink" (its rows of ink, the
                                # recogniser alone; the detector only reads the page outside the
                                # tables) or "detector" (the detector over the whole page)
    "bands": {},                # settings of the ink reader (bands.BAND_SETTINGS)
    "rec_min_width": 320,       # px: a crop narrower than this at the model's 48 px height is padded
                                # to it (six characters' worth for a "%"). Narrower is faster (160:
                                # -25 % recognition time) but the bar of a short cell's ≥/≤ is then
                                # lost, read > or < with high confidence (corpus: 2 fields at 200;
                                # a serif sample at 160): rapidocr's own 320 kept
    "rec_batch_px": 6000,       # crops recognised together: at most 6, their padded widths at the
                                # model's 48 px height summing to at most this (memory)
    "edge_marks": "，。、；：,.;:",  # punctuation the detector leaves outside a line's box when it
                                # stands at the line's very start or end in its cell (LibreOffice
                                # wraps a comma to the next line's start): read again with it
}
TESSERACT_SETTINGS: dict = {
    "lang": "chi_sim",
    "cell_psm": 6,              # a cell: one uniform block of text
    "page_psm": 11,             # the page outside the tables: sparse text
    "min_ink": 0.002,           # a crop with less dark-pixel share than this is empty, not read
    "threads": 1,               # OMP_THREAD_LIMIT
}


@dataclass
class OcrLine:
    text: str
    box: Box
    confidence: float | None  # 0-1, None where the text came from a PDF text layer
    # the engine's boxes of the line's characters (Latin: words), where it gives them: a line
    # that runs over a cell's rule is cut between the characters on either side of it
    glyphs: tuple[tuple[str, Box], ...] = ()


@dataclass
class PageText:
    """What an engine read on one page: lines per requested cell box, and the rest."""

    cells: list[list[OcrLine]]
    loose: list[OcrLine]
    engine_seconds: float = 0.0  # time spent inside the engine itself (for the overhead report)
    extra: dict = field(default_factory=dict)


class OcrEngine(ABC):
    """One OCR engine. Instances are reused across pages and files (models load once)."""

    name: str = ""

    @abstractmethod
    def describe(self) -> str:
        """Name, version and model, e.g. `rapidocr 3.10.0 PP-OCRv6 small` (for source.ocr_engine)."""

    @abstractmethod
    def read_lines(self, image: np.ndarray) -> list[OcrLine]:
        """The bare engine on a whole page image: every line it recognises."""

    @abstractmethod
    def read_page(self, image: np.ndarray, cells: Sequence[Box]) -> PageText:
        """Lines inside each of `cells` (same order), and the lines outside all of them."""


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _cell_of(boxes: np.ndarray, box: Box) -> int | None:
    """The cell holding the centre of `box` (nested boxes do not occur in a grid; on a shared
    edge the first cell wins)."""
    cx, cy = _centre(box)
    inside = np.nonzero((boxes[:, 0] <= cx) & (cx <= boxes[:, 2])
                        & (boxes[:, 1] <= cy) & (cy <= boxes[:, 3]))[0]
    return int(inside[0]) if len(inside) else None


def _cut_at_rules(line: OcrLine, boxes: np.ndarray) -> list[tuple[int | None, OcrLine]]:
    """The line, or its pieces where its glyphs lie in different cells: a detector may take a
    name's last line and the value beside it, separated only by a thin rule, for one line."""
    if not line.glyphs or len(boxes) == 0:
        return [(_cell_of(boxes, line.box), line)]
    owners = [_cell_of(boxes, (g[1][0], line.box[1], g[1][2], line.box[3])) for g in line.glyphs]
    if len(set(owners)) == 1 or None in owners:
        # a line running out of every cell is no table text: strokes of a large title taken
        # for rules make a "grid" inside it
        return [(_cell_of(boxes, line.box), line)]
    pieces: list[tuple[int | None, list[tuple[str, Box]]]] = []
    for owner, glyph in zip(owners, line.glyphs):
        if pieces and pieces[-1][0] == owner:
            pieces[-1][1].append(glyph)
        else:
            pieces.append((owner, [glyph]))
    out = []
    height = max(line.box[3] - line.box[1], 1.0)
    for owner, glyphs in pieces:
        text = glyphs[0][0]
        for (_, prev), (t, box) in zip(glyphs, glyphs[1:]):
            # a gap wider than half the line height was a space in the engine's text
            text += (" " if box[0] - prev[2] > height / 2 else "") + t
        box = (glyphs[0][1][0], line.box[1], glyphs[-1][1][2], line.box[3])
        out.append((owner, OcrLine(text, box, line.confidence, tuple(glyphs))))
    return out


def assign_to_cells(lines: Sequence[OcrLine], cells: Sequence[Box]) -> PageText:
    """Each line goes to the cell that holds its centre (a line over a rule is cut there first,
    where the engine gave its glyph boxes); lines in no cell are loose."""
    out: list[list[OcrLine]] = [[] for _ in cells]
    loose: list[OcrLine] = []
    boxes = np.asarray(cells, dtype=float).reshape(-1, 4)
    for line in lines:
        for owner, piece in _cut_at_rules(line, boxes):
            (loose if owner is None else out[owner]).append(piece)
    return PageText(cells=out, loose=loose)


def _ink_level(around: np.ndarray) -> float:
    """The grey level under which a pixel is ink: Otsu's threshold over `around` (the cell or line
    it lies in: paper and printed text), never lighter than mid-grey: a degraded scan's ink is
    grey."""
    if around.size == 0:
        return 128
    level, _ = cv2.threshold(around, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return min(level, 160)


def _box(quad) -> Box:
    q = np.asarray(quad, dtype=float)
    return float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())


# ---------------------------------------------------------------------------------------------
class RapidOcrEngine(OcrEngine):
    name = "rapidocr"

    def __init__(self, settings: dict | None = None):
        self.settings = {**RAPIDOCR_SETTINGS, **(settings or {})}
        try:
            import rapidocr  # the package alone: its pipeline (RapidOCR) loads on first detection
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise OcrEngineError(f"rapidocr is not installed: {exc}") from exc
        self.version = _dist_version("rapidocr")
        models = Path(rapidocr.__file__).parent / "models"
        version, size = self.settings["ocr_version"], self.settings["model_type"]
        self._det = models / f"{version}_det_{size}.onnx"
        rec = models / f"{version}_rec_{size}.onnx"
        for model in (self._det, rec):
            # explicit paths: rapidocr downloads a model that is not at its path; we never want that
            if not model.is_file():
                raise OcrEngineError(f"rapidocr model {model.name} is not in the installed wheel")
        self._rec_path = rec
        self._rec = LineRecogniser(rec, min_width=int(self.settings["rec_min_width"]),
                                   threads=int(self.settings["threads"] or 0))
        self._pipeline = None
        self._lock = threading.Lock()
        self._model = f"{version} {size}"

    def _detector_pipeline(self):
        """rapidocr's detector-and-recogniser pipeline, built on first use (pages without a table
        grid, `cell_lines: "detector"`); the caller holds the lock."""
        if self._pipeline is None:
            from rapidocr import RapidOCR

            params = {
                "Global.use_cls": False,
                "Global.log_level": "error",
                "Global.text_score": float(self.settings["text_score"]),
                "Global.max_side_len": int(self.settings["max_side_len"]),
                "Det.model_path": str(self._det),
                "Det.limit_type": "max",
                "Det.limit_side_len": int(self.settings["det_max_side"]),
                "Rec.model_path": str(self._rec_path),
                "Rec.rec_img_shape": [3, 48, int(self.settings["rec_min_width"])],
            }
            if self.settings["threads"]:
                params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(self.settings["threads"])
            self._pipeline = RapidOCR(params=params)
        return self._pipeline

    def describe(self) -> str:
        return f"rapidocr {self.version} {self._model}"

    def read_lines(self, image: np.ndarray) -> list[OcrLine]:
        with self._lock:  # one onnxruntime session pair; calls from threads take turns
            # every mode named on each call: rapidocr keeps the last call's use_det/use_rec
            result = self._detector_pipeline()(image, use_det=True, use_cls=False, use_rec=True,
                                               return_word_box=True)
        if result is None or getattr(result, "txts", None) is None or result.boxes is None:
            return []
        words = getattr(result, "word_results", None) or [()] * len(result.txts)
        lines = []
        for quad, text, score, glyphs in zip(result.boxes, result.txts, result.scores, words):
            lines.append(OcrLine(text=str(text), box=_box(quad), confidence=float(score),
                                 glyphs=tuple((str(g[0]), _box(g[2])) for g in glyphs or ())))
        return lines

    def read_page(self, image: np.ndarray, cells: Sequence[Box]) -> PageText:
        if self.settings["cell_lines"] == "ink" and len(cells):
            return self._read_page_by_ink(image, cells)
        start = time.perf_counter()
        lines = self.read_lines(image)
        page = assign_to_cells(lines, cells)
        if self.settings["edge_marks"]:
            for cell, cell_lines in zip(cells, page.cells):
                cell_lines[:] = [self._with_edge_marks(image, line, cell, cell_lines)
                                 for line in cell_lines]
                cell_lines += self._lone_marks(image, cell, cell_lines)
        page.engine_seconds = time.perf_counter() - start
        return page

    def _read_page_by_ink(self, image: np.ndarray, cells: Sequence[Box]) -> PageText:
        """Each cell's lines found from its ink, and the lines of the page outside the tables
        likewise (the tables painted out), all recognised in one batch: no detector."""
        start = time.perf_counter()
        settings = {**BAND_SETTINGS, **self.settings["bands"]}
        level = _ink_level(image)
        rest = image.copy()
        for x0, y0, x1, y1 in cells:
            rest[max(int(y0) - 3, 0):int(y1) + 4, max(int(x0) - 3, 0):int(x1) + 4] = 255
        page_box = (0.0, 0.0, float(image.shape[1]), float(image.shape[0]))
        regions = [*cells, page_box]
        runs = [ink_runs(image, cell, level, settings) for cell in cells]
        runs.append(ink_runs(rest, page_box, level, settings))
        height = line_height([run for region in runs for run in region])
        boxes: list[Box] = []
        owners: list[int] = []
        crops: list[np.ndarray] = []
        for k, region in enumerate(regions):
            source = rest if k == len(cells) else image
            for box in text_bands(runs[k], region, height, settings)[0]:
                x0, y0, x1, y1 = padded(box, region, settings)
                if x1 - x0 < 2 or y1 - y0 < 2:
                    continue
                boxes.append(box)
                owners.append(k)
                crops.append(source[y0:y1, x0:x1])  # grey: the recogniser makes it BGR
        page = PageText(cells=[[] for _ in cells], loose=[])
        floor = float(self.settings["text_score"])
        for box, owner, (text, score) in zip(boxes, owners, self._recognise_all(crops)):
            if text.strip() and score >= floor:
                line = OcrLine(text=text, box=box, confidence=score)
                (page.loose if owner == len(cells) else page.cells[owner]).append(line)
        for cell, cell_lines in zip(cells, page.cells):
            cell_lines += self._lone_marks(image, cell, cell_lines)
        page.engine_seconds = time.perf_counter() - start
        return page

    def _recognise_all(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """The recogniser alone over many line crops, in batches of similar width. A batch is
        padded to its widest crop scaled to the model's 48 px height; its width summed over the
        batch is held under `rec_batch_px`, which bounds the model's working memory (six long
        goal lines at once took 300 MB more than one line)."""
        if not crops:
            return []
        widths = [self._rec.padded_width(c) for c in crops]
        order = sorted(range(len(crops)), key=widths.__getitem__)
        budget = float(self.settings["rec_batch_px"])
        batches: list[list[int]] = []
        for i in order:  # ascending width: the last crop added is the batch's widest
            if batches and len(batches[-1]) < 6 and (len(batches[-1]) + 1) * widths[i] <= budget:
                batches[-1].append(i)
            else:
                batches.append([i])
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        with self._lock:
            for batch in batches:
                for i, read in zip(batch, self._rec.read([crops[i] for i in batch])):
                    out[i] = read
        return out

    def _with_edge_marks(self, image: np.ndarray, line: OcrLine, cell: Box,
                         neighbours: Sequence[OcrLine]) -> OcrLine:
        """The line read again with the ink beside its ends, where that ink is a punctuation mark
        the detector left out (only marks may be added; anything else keeps the line as read)."""
        inset = 4  # px: clear of the cell's rules
        x0, y0, x1, y1 = (int(round(v)) for v in line.box)
        left, right = int(cell[0]) + inset, int(cell[2]) - inset
        for other in neighbours:  # another line on the same row bounds the search
            if other is not line and min(other.box[3], y1) - max(other.box[1], y0) > 0:
                if other.box[2] <= x0:
                    left = max(left, int(other.box[2]) + 1)
                elif other.box[0] >= x1:
                    right = min(right, int(other.box[0]) - 1)
        reach = y1 - y0  # at most one character beside the line
        band = image[max(y0, 0):y1]
        level = _ink_level(band[:, max(left, 0):max(right, 0)])
        before_x = max(left, x0 - reach)
        before = band[:, before_x:x0] < level
        after = band[:, x1:min(right, x1 + reach)] < level
        new_x0, new_x1 = x0, x1
        cols = np.nonzero(before.sum(axis=0) >= 2)[0]
        if len(cols) and before.sum() >= 6:
            new_x0 = before_x + int(cols[0]) - 2
        cols = np.nonzero(after.sum(axis=0) >= 2)[0]
        if len(cols) and after.sum() >= 6:
            new_x1 = x1 + int(cols[-1]) + 3
        if (new_x0, new_x1) == (x0, x1):
            return line
        read = self._recognise(image[max(y0 - 2, 0):y1 + 2, max(new_x0, 0):new_x1])
        if read is None:
            return line
        text, score = read
        at = text.find(line.text)
        added = text[:at] + text[at + len(line.text):] if at >= 0 else ""
        if at < 0 or not added or any(ch not in self.settings["edge_marks"] for ch in added):
            return line
        return OcrLine(text, (float(new_x0), line.box[1], float(new_x1), line.box[3]),
                       min(line.confidence or 1.0, score))

    def _recognise(self, crop: np.ndarray) -> tuple[str, float] | None:
        """The recogniser alone on one line's crop: its text and score, None for an empty crop."""
        if crop.size == 0:
            return None
        with self._lock:
            return self._rec.read_one(crop)

    def _lone_marks(self, image: np.ndarray, cell: Box, lines: Sequence[OcrLine]) -> list[OcrLine]:
        """Punctuation wrapped alone onto a line of its own (a cell's text ending `补贴` + `。`),
        which the detector does not take for text: small ink at the text's left margin right under
        a line, read after the end of that line (alone, a small 。 reads as 0)."""
        if not lines:
            return []
        inset = 2  # a mark wrapped to a line's start stands close to the cell's rule
        h = float(np.median([ln.box[3] - ln.box[1] for ln in lines]))
        margin = min(ln.box[0] for ln in lines)
        x0, x1 = int(max(cell[0] + inset, margin - h)), int(min(cell[2] - inset, margin + h))
        y0, y1 = int(cell[1]) + inset, int(cell[3]) - inset
        if x1 - x0 < 4 or y1 - y0 < 4:
            return []
        ink = image[y0:y1, x0:x1] < _ink_level(image[y0:y1, int(cell[0]):int(cell[2])])
        for ln in lines:  # what the lines hold is read already
            ink[max(int(ln.box[1]) - y0 - 2, 0):max(int(ln.box[3]) - y0 + 2, 0), :] = False
        n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
        found: list[OcrLine] = []
        for bx, by, bw, bh, area in stats[1:n]:
            top, bottom, left = y0 + int(by), y0 + int(by + bh), x0 + int(bx)
            above = [ln for ln in lines if ln.box[3] <= top and top - ln.box[3] <= 1.5 * h]
            if area < 8 or bw > 0.5 * h or bh > 0.5 * h or bh < 0.15 * h or not above:
                continue  # a mark is small, and stands in the line slot under a line
            if any(f.box[0] <= left <= f.box[2] and f.box[1] <= top <= f.box[3] for f in found):
                continue  # the second dot of a colon, read with the first
            prev = max(above, key=lambda ln: ln.box[3])
            p0, p1 = int(prev.box[1]), int(prev.box[3])
            # the mark's own slot, as tall as the line above and on the same baseline offset
            s1 = bottom + (p1 - p0) // 6
            slot = image[max(s1 - (p1 - p0), 0):s1, max(left - 3, 0):left + max(int(bw), int(h / 2)) + 3]
            tail = image[p0:p1, max(int(prev.box[2] - 2 * h), 0):int(prev.box[2]) + 2]
            if slot.shape[0] != tail.shape[0] or slot.size == 0 or tail.size == 0:
                continue
            text, score = self._recognise(np.hstack([tail, slot])) or ("", 0.0)
            text = text.strip()
            if len(text) >= 2 and text[-1] in self.settings["edge_marks"] \
                    and text[-2] == prev.text.strip()[-1:] and score >= 0.8:
                box = (float(left), float(top), float(left + bw), float(bottom))
                found.append(OcrLine(text[-1], box, score))
        return found


# ---------------------------------------------------------------------------------------------
@contextmanager
def _env(name: str, value: str):
    """Set an environment variable for the tesseract child processes started inside the block."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


class TesseractEngine(OcrEngine):
    name = "tesseract"

    def __init__(self, settings: dict | None = None):
        self.settings = {**TESSERACT_SETTINGS, **(settings or {})}
        try:
            import pytesseract
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise OcrEngineError(f"pytesseract is not installed: {exc}") from exc
        self._tess = pytesseract
        try:
            self.version = str(pytesseract.get_tesseract_version()).split()[0]
            langs = pytesseract.get_languages(config="")
        except (pytesseract.TesseractNotFoundError, OSError) as exc:
            raise OcrEngineError("tesseract is not installed (Debian: tesseract-ocr, "
                                 "tesseract-ocr-chi-sim)") from exc
        if self.settings["lang"] not in langs:
            raise OcrEngineError(f"tesseract has no {self.settings['lang']} model "
                                 f"(Debian: tesseract-ocr-chi-sim); it has {', '.join(langs)}")

    def describe(self) -> str:
        return f"tesseract {self.version} {self.settings['lang']}"

    def _data(self, source: str, psm: int) -> dict:
        with _env("OMP_THREAD_LIMIT", str(self.settings["threads"])):
            return self._tess.image_to_data(source, lang=self.settings["lang"], config=f"--psm {psm}",
                                            output_type=self._tess.Output.DICT)

    def _run(self, images: Sequence[np.ndarray], psm: int) -> list[list[OcrLine]]:
        """Lines of each image, all images read by one tesseract process (a list file)."""
        from PIL import Image

        if not images:
            return []
        with tempfile.TemporaryDirectory(prefix="perfdecl-tess-") as tmp:
            names = []
            for i, img in enumerate(images):
                name = os.path.join(tmp, f"{i:05d}.png")
                Image.fromarray(img).save(name, compress_level=1)
                names.append(name)
            if len(names) == 1:
                source = names[0]
            else:
                source = os.path.join(tmp, "list.txt")
                Path(source).write_text("\n".join(names) + "\n", encoding="utf-8")
            data = self._data(source, psm)
        return _tesseract_lines(data, len(images))

    def read_lines(self, image: np.ndarray) -> list[OcrLine]:
        return self._run([image], self.settings["page_psm"])[0]

    def read_page(self, image: np.ndarray, cells: Sequence[Box]) -> PageText:
        crops, where = [], []
        margin = 4  # px: the crop keeps the cell's text, not its rules
        masked = image.copy()
        for k, (x0, y0, x1, y1) in enumerate(cells):
            a, b = int(round(y0)) + margin, int(round(y1)) - margin
            c, d = int(round(x0)) + margin, int(round(x1)) - margin
            if b - a < 6 or d - c < 6:
                continue
            crop = image[a:b, c:d]
            masked[max(a - margin, 0):b + margin, max(c - margin, 0):d + margin] = 255
            if (crop < 128).mean() < self.settings["min_ink"]:
                continue
            pad = 10  # tesseract reads text touching the image edge poorly
            crops.append(np.pad(crop, pad, constant_values=255))
            where.append((k, c - pad, a - pad))
        start = time.perf_counter()
        read = self._run(crops, self.settings["cell_psm"])
        loose = self.read_lines(masked)
        spent = time.perf_counter() - start
        out: list[list[OcrLine]] = [[] for _ in cells]
        for (k, dx, dy), lines in zip(where, read):
            for line in lines:
                x0, y0, x1, y1 = line.box
                out[k].append(OcrLine(line.text, (x0 + dx, y0 + dy, x1 + dx, y1 + dy), line.confidence))
        return PageText(cells=out, loose=loose, engine_seconds=spent)


def _tesseract_lines(data: dict, n_images: int) -> list[list[OcrLine]]:
    """tesseract's TSV rows (one per word) grouped into lines, per input image."""
    groups: dict[tuple, list[int]] = {}
    for i, text in enumerate(data["text"]):
        if not str(text).strip() or float(data["conf"][i]) < 0:
            continue
        key = (data["page_num"][i], data["block_num"][i], data["par_num"][i], data["line_num"][i])
        groups.setdefault(key, []).append(i)
    out: list[list[OcrLine]] = [[] for _ in range(n_images)]
    for key, idx in groups.items():
        page = int(key[0]) - 1
        if not 0 <= page < n_images:
            continue
        idx.sort(key=lambda i: data["left"][i])
        parts, prev_right = [], None
        for i in idx:
            word = str(data["text"][i])
            # chi_sim splits Chinese into one "word" per character; keep a space only where the
            # gap is wide (the text rules remove it anyway except between Latin words)
            if prev_right is not None and data["left"][i] - prev_right > data["height"][i] * 0.6:
                parts.append(" ")
            parts.append(word)
            prev_right = data["left"][i] + data["width"][i]
        x0 = min(data["left"][i] for i in idx)
        y0 = min(data["top"][i] for i in idx)
        x1 = max(data["left"][i] + data["width"][i] for i in idx)
        y1 = max(data["top"][i] + data["height"][i] for i in idx)
        conf = min(float(data["conf"][i]) for i in idx) / 100.0
        out[page].append(OcrLine("".join(parts), (x0, y0, x1, y1), max(0.0, min(conf, 1.0))))
    return out


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


ENGINES: dict[str, type[OcrEngine]] = {"rapidocr": RapidOcrEngine, "tesseract": TesseractEngine}


@lru_cache(maxsize=8)
def _cached(name: str, frozen: tuple) -> OcrEngine:
    return ENGINES[name](dict(frozen))


def get_engine(name: str | None = None, settings: dict | None = None) -> OcrEngine:
    """The named engine (default `DEFAULT_ENGINE`), built once per name and settings."""
    name = (name or DEFAULT_ENGINE).lower()
    if name not in ENGINES:
        raise OcrEngineError(f"unknown OCR engine {name!r}; known: {', '.join(ENGINES)}")
    return _cached(name, tuple(sorted((settings or {}).items())))
