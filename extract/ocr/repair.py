"""Domain repair of OCR'd cell text, by the rules in repairs.toml (kept as data).

`Repairer.repair_cell` applies, in order: character confusions (ASCII punctuation for the
printed full-width marks), label snapping to the vocabulary, the amount separator rule, and the
comparison-sign rule for target cells (the sign read from the glyph's shape where the engine has
no ≥/≤ or confused them). Each change is recorded with the rule's name, for the `ocr_repaired`
warning (normalize/checks.py tests repaired amounts against the budget's own sums).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from rapidfuzz import fuzz, process

from ...datafiles import REPAIRS_SHAPE, load_toml
from ..text import clean_text

REPAIRS_PATH = Path(__file__).with_name("repairs.toml")


@dataclass
class Fixed:
    text: str
    rules: list[str] = field(default_factory=list)


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> dict:
    return load_toml(path or REPAIRS_PATH, REPAIRS_SHAPE)  # checked: a typo names its key


# ---------------------------------------------------------------------------------------------
# comparison signs from the glyph
def _first_glyph_box(bw: np.ndarray, min_ink: int = 4) -> tuple[int, int, int, int] | None:
    """Rows and columns (r0, r1, c0, c1) of the leftmost glyph of a binarised text line: the
    first run of ink columns (gaps of up to two columns allowed) holding at least `min_ink`
    pixels (less is scan speckle), trimmed to its ink rows."""
    cols = bw.sum(axis=0)
    xs = np.nonzero(cols)[0]
    runs: list[tuple[int, int]] = []
    for x in xs:
        if runs and x - runs[-1][1] <= 2:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((x, x))
    for start, end in runs:
        if cols[start:end + 1].sum() < min_ink:
            continue
        rows = np.nonzero(bw[:, start:end + 1].any(axis=1))[0]
        return int(rows[0]), int(rows[-1]) + 1, int(start), int(end) + 1
    return None


def _first_glyph(bw: np.ndarray, min_ink: int = 4) -> np.ndarray | None:
    box = _first_glyph_box(bw, min_ink)
    return None if box is None else bw[box[0]:box[1], box[2]:box[3]]


def _span(mask: np.ndarray) -> int:
    """Rows from the first to the last one with ink."""
    idx = np.nonzero(mask)[0]
    return int(idx[-1] - idx[0] + 1) if len(idx) else 0


def glyph_shape(glyph: np.ndarray, *, with_gap: bool = False):
    """(`right` | `left` | `none`, bar below[, bar standing apart]) of a sign glyph (ink True).

    A chevron's two arms meet on one side: on the side they meet, the ink of the chevron spans
    few rows (first to last row with ink); on the open side, many. The bar under ≥/≤ is a run of
    ink across most of the glyph's width at its foot, below an empty row or touching the chevron.
    """
    h, w = glyph.shape
    if h < 3 or w < 3:
        return ("none", False, False) if with_gap else ("none", False)
    row_ink = glyph.sum(axis=1)
    full = row_ink >= 0.6 * w
    bottom_bar = False
    chevron = glyph
    # the bar stands apart: an empty row in the lower part, a wide run below it (≧ ≦ print two
    # bars; a scan may fray the bar's upper edge, so the rows below the gap need not all be full)
    empty = np.nonzero(row_ink == 0)[0]
    low = [k for k in empty if k >= 0.55 * h and k < h - 1]
    end = h
    gap = False
    if low and full[low[0] + 1:].any():
        end = low[0]
        bottom_bar = gap = True
    # then any bar touching what is left (a second bar, or a bar drawn without a gap)
    k = end - 1
    while k >= 0 and (full[k] or row_ink[k] == 0):
        k -= 1
    if k >= 1 and k < end - 1:
        bottom_bar = True
    if k >= 1:
        chevron = glyph[:k + 1]
    ch, cw = chevron.shape
    band = max(cw // 4, 1)
    left_rows = _span(chevron[:, :band].any(axis=1))
    right_rows = _span(chevron[:, -band:].any(axis=1))
    if ch >= 3 and left_rows >= 1.6 * right_rows:
        direction = "right"  # open on the left, arms meet on the right: >
    elif ch >= 3 and right_rows >= 1.6 * left_rows:
        direction = "left"
    else:
        direction = "none"
    # `=` and its lookalikes (二 三): two or three full bars, no chevron
    if direction == "none":
        bottom_bar = True
    return (direction, bottom_bar, gap) if with_gap else (direction, bottom_bar)


def sign_from_glyph(image: np.ndarray, box: Sequence[float],
                    cell: Sequence[float] | None = None, strict: bool = False) -> str | None:
    """The comparison sign at the start of the text line in `box` (page-image pixels), by shape.

    An engine's line box may be no taller than the digits (tesseract), so the crop reaches half a
    line height above and below it, but stays inside `cell` (the cell's box), clear of its rules.
    `strict`: only a chevron with a bar standing apart under it counts (≥ ≤ ≧ ≦), for a glyph the
    engine read as a digit: a 2 also has a chevron-like top and a bar at its foot, but no gap.
    """
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h = max(y1 - y0, 1)
    top, bottom, left, right = y0 - h // 2, y1 + h // 2, x0 - max(h // 4, 2), min(x1, x0 + 2 * h) + 2
    if cell is not None:
        inset = 4
        top = max(top, int(cell[1]) + inset)
        bottom = min(bottom, int(cell[3]) - inset)
        left = max(left, int(cell[0]) + inset)
        right = min(right, int(cell[2]) - inset)
    crop = image[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
    if crop.size == 0 or crop.min() > 160:
        return None
    _, bw = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    box = _first_glyph_box(bw > 0, min_ink=max(h // 2, 4))
    if box is None:
        return None
    glyph = (bw > 0)[box[0]:box[1], box[2]:box[3]]
    direction, bar, gap = glyph_shape(glyph, with_gap=True)
    if strict and not (gap and direction != "none"):
        return None
    rules = load_rules()["targets"]["glyph"]
    if direction == "none" and glyph.shape[0] < rules["double_rule_max_height"] * glyph.shape[1] \
            and _two_bars(crop, box):
        return rules["double_rule"]
    key = direction + ("_bar" if bar and direction != "none" else "")
    return rules.get(key)


def _two_bars(crop: np.ndarray, glyph_box: tuple[int, int, int, int]) -> bool:
    """The glyph is two bars of the same length, one above the other, and nothing else (= ═).

    Read on the grey levels: at 200 dpi the bars of a double rule (═) lie a pixel apart and a
    binarised crop shows one thick bar, while the rows between them stay lighter: two peaks of
    row darkness with a valley between them."""
    r0, r1, c0, c1 = glyph_box
    dark = 255.0 - crop[r0:r1, c0:c1].astype(float)
    rows = dark.mean(axis=1)
    top = rows.max()
    peaks = [i for i in range(len(rows))
             if rows[i] >= 0.6 * top and (i == 0 or rows[i] > rows[i - 1])
             and (i == len(rows) - 1 or rows[i] >= rows[i + 1])]
    if len(peaks) != 2:
        return False  # one bar (a dash), three (三), or a chevron's rows besides the bars
    p, q = peaks
    if rows[p + 1:q].min(initial=top) > 0.85 * min(rows[p], rows[q]):
        return False  # no lighter rows between them: one thick bar
    width = c1 - c0
    # each bar spans the glyph (二 has a shorter top bar)
    return all((dark[i] >= 0.5 * dark[i].max()).sum() >= 0.9 * width for i in (p, q))


def _cell_ink(image: np.ndarray, cell: Sequence[float]) -> tuple[np.ndarray, np.ndarray] | None:
    """A cell's crop inside its rules and its ink (Otsu), or None when the cell is blank."""
    inset = 4
    x0, y0, x1, y1 = (int(round(v)) for v in cell)
    crop = image[max(y0 + inset, 0):max(y1 - inset, 0), max(x0 + inset, 0):max(x1 - inset, 0)]
    if crop.size == 0 or crop.min() > 160:
        return None
    _, bw = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return crop, bw > 0


def lone_dash(image: np.ndarray, cell: Sequence[float]) -> bool:
    """The cell holds one flat stroke (a dash), nothing else: a 1 or l stands taller than wide."""
    inked = _cell_ink(image, cell)
    if inked is None:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(inked[1].astype(np.uint8), connectivity=8)
    marks = [st for st in stats[1:n] if st[4] >= 4]  # speckle aside
    return len(marks) == 1 and marks[0][3] <= 0.5 * marks[0][2] and marks[0][2] >= 4


def lone_sign(image: np.ndarray, cell: Sequence[float], strict: bool = False) -> str | None:
    """The comparison sign a sign column's cell holds alone (≥ ═ = >), which engines read as a
    letter (`M`), as 二, or not at all: a single glyph, by shape. None when the cell holds anything
    else: a dash or a slash (one stroke) is not a sign, nor is 二 (its top bar is shorter).
    `strict` (the engine read a letter): only a chevron with a bar under it (≥ ≤)."""
    inked = _cell_ink(image, cell)
    if inked is None:
        return None
    crop, ink = inked
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    box = (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
    glyph = ink[box[0]:box[1], box[2]:box[3]]
    h, w = glyph.shape
    if h < 2 or w < 4 or glyph.sum() < 12 or ink.sum() > 1.3 * glyph.sum() + 8:
        return None  # speckle, or more than one glyph
    rules = load_rules()["targets"]["glyph"]
    if not strict and _two_bars(crop, box):
        # a double rule (═) is a full-width pair of close bars; = is narrower and its bars apart
        return rules["double_rule" if h < rules["double_rule_max_height"] * w else "none"]
    if h < 4 or w > 2.5 * h:
        return None
    direction, bar = glyph_shape(glyph)
    if strict:
        return rules.get(direction + "_bar") if direction != "none" and bar else None
    if direction != "none":
        # a chevron is about as tall as wide; a blurred dash (-, —) is a wide, flat blob
        return rules.get(direction + ("_bar" if bar else "")) if h >= 0.6 * w else None
    return None


# ---------------------------------------------------------------------------------------------
def repair_amount(text: str, places: int = 2, thousands: str = ",", decimal: str = ".") -> str:
    """`269.652.59` → `269,652.59`; text that is not a separated number stays as it is."""
    t = re.sub(r"[.,]{2,}", lambda m: m.group(0)[-1], text.strip())  # 269,.652.59: one separator
    if not re.fullmatch(r"\d+(?:[.,]\d+)+", t):
        return text
    groups = re.split(r"[.,]", t)
    *whole, last = groups
    if len(last) == places and len(whole[0]) >= 1 and all(len(g) == 3 for g in whole[1:]) \
            and (len(whole) == 1 or len(whole[0]) <= 3):
        return thousands.join(whole) + decimal + last
    return text


class Repairer:
    """The rules of repairs.toml, compiled, plus the label vocabulary."""

    def __init__(self, rules: dict | None = None, labels: Sequence[str] = ()):
        """`labels`: the label spellings of the form vocabulary that cells are snapped to (the
        caller's: extract knows no vocabulary; perfdecl.normalize.cells.cell_labels), besides
        the budget labels of repairs.toml [labels] extra."""
        self.rules = rules or load_rules()
        self.confusions = [(c["name"], re.compile(c["pattern"]), c["replace"])
                           for c in self.rules.get("confusions", [])]
        t = self.rules["targets"]
        self.misread = set(t["misread"])
        self.doubtful = set(t["doubtful"])
        self.check_below = float(t["check_below"])
        self.max_target = int(t["max_length"])
        self.two_char = dict(t.get("two_char", {}))
        self.lone_misread = set(t.get("lone_misread", []))
        self.lone_bars = set(t.get("lone_bars", []))
        self.dash_misread = set(t.get("dash_misread", []))
        self.dash = t.get("dash", "-")
        self.trailing = "".join(t.get("trailing", []))
        signs = "".join(re.escape(s) for s in sorted(self.misread | self.doubtful))
        self.target_re = re.compile(rf"^([{signs}])\s*(\d[\d.,]*\S*)$")
        self.any_re = re.compile(r"^(\S)(\d[\d.,]*\S*)$") if t.get("strict_any") else re.compile("(?!)")
        a = self.rules["amounts"]
        self.amount_opts = (int(a["decimal_places"]), a["thousands"], a["decimal"])
        lab = self.rules["labels"]
        self.label_score = float(lab["min_score"])
        self.label_len = int(lab["max_length_difference"])
        self.labels = sorted(set(clean_text(x) for x in [*labels, *lab["extra"]]))
        self._label_set = set(self.labels)

    # -- pieces ---------------------------------------------------------------------------------
    def confuse(self, text: str) -> Fixed:
        rules = []
        for name, pattern, replace in self.confusions:
            new = pattern.sub(replace, text)
            if new != text:
                rules.append(name)
                text = new
        return Fixed(text, rules)

    def snap_label(self, text: str) -> str | None:
        cleaned = clean_text(text)
        if not cleaned or cleaned in self._label_set or len(cleaned) < 3:
            return None
        best = process.extract(cleaned, self.labels, scorer=fuzz.ratio, score_cutoff=self.label_score,
                               limit=2)
        best = [b for b in best if abs(len(b[0]) - len(cleaned)) <= self.label_len]
        if not best or (len(best) > 1 and best[1][1] == best[0][1]):
            return None
        return best[0][0]

    def target_sign(self, text: str, lines, image: np.ndarray | None, conf: float | None,
                    cell=None) -> str | None:
        """The cell with its leading sign read from the glyph, or None when nothing changes."""
        if not lines or len(text) > self.max_target or "\n" in text:
            return None
        original = text
        for two, one in self.two_char.items():  # >= for ≥: no glyph needed
            if text.startswith(two) and text[len(two):len(two) + 1].isdigit():
                text = one + text[len(two):]
        m = self.target_re.match(text)
        if m is None:
            d = self.any_re.match(text)
            if d is None or image is None:
                return None
            first = min(lines, key=lambda ln: ln.box[0])
            read = sign_from_glyph(image, first.box, cell, strict=True)
            return read + d.group(2).rstrip(self.trailing) if read else None
        sign, rest = m.group(1), m.group(2).rstrip(self.trailing)
        if image is not None and (sign in self.misread or conf is None or conf < self.check_below):
            first = min(lines, key=lambda ln: ln.box[0])
            read = sign_from_glyph(image, first.box, cell)
            if read is not None:
                sign = read
        new = sign + rest
        return new if new != original else None

    # -- a whole cell ----------------------------------------------------------------------------
    def repair_cell(self, text: str, lines=(), image: np.ndarray | None = None,
                    conf: float | None = None, cell=None) -> Fixed:
        """`text` of a cell read as `lines` (boxes in `image` pixels) inside the box `cell`."""
        alone = text.strip()
        if (not alone or alone in self.lone_misread or alone in self.lone_bars) \
                and image is not None and cell is not None:
            sign = lone_sign(image, cell, strict=alone in self.lone_misread)
            if sign is not None and sign != text.strip():
                return Fixed(sign, ["lone_sign"])
        if alone in self.dash_misread and image is not None and cell is not None \
                and lone_dash(image, cell):
            return Fixed(self.dash, ["lone_dash"])
        fixed = self.confuse(text)
        snapped = self.snap_label(fixed.text)
        if snapped is not None:
            fixed = Fixed(snapped, fixed.rules + ["label"])
            return fixed
        amount = repair_amount(fixed.text, *self.amount_opts)
        if amount != fixed.text:
            fixed = Fixed(amount, fixed.rules + ["amount"])
        signed = self.target_sign(fixed.text, lines, image, conf, cell)
        if signed is not None:
            fixed = Fixed(signed, fixed.rules + ["sign"])
        return fixed

    def repair_loose(self, text: str) -> str:
        return self.confuse(text).text
