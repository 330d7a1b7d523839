"""Text lines found from the ink of a page whose table grid is known, without a text detector.

A cell of a printed form holds a few lines of text, one under another, between rules we have
already found. The rows of the cell that hold ink, grouped into runs, are its text lines; each
line's crop goes to the recogniser as it is. The page outside the tables (titles, unit notes,
page numbers), the tables painted out, is read the same way, a line cut where its ink leaves a
wide gap. This replaces the detector (a third of the engine's time on a page), and a line can no
longer run over a cell's rule. Measured against the detector on the corpus scans: docs/ocr.md.

Settings: `BAND_SETTINGS` below, overridden key by key by the engine's `bands` setting.
"""

from __future__ import annotations

import cv2
import numpy as np

Box = tuple[float, float, float, float]

BAND_SETTINGS: dict = {
    "inset": 3,            # px kept clear of the cell's rules on every side
    "min_area": 3,         # ink components smaller than this (px) are scanner dust, not text
                           # (the ring of a 。 on a degraded scan breaks into pieces of 3-4 px)
    "rule_share": 0.85,    # a row or column of the crop this full of ink is a rule's remnant
    "join_gap": 0.2,       # runs of ink rows closer than this share of the line height are one
                           # line (strokes of 二/三, a dot over a character)
    "mark_height": 0.45,   # a line lower than this share of the page's line height is no text
                           # line but a mark: punctuation wrapped alone (。，: the lone-mark
                           # reader reads it with the line above), a dash or a sign of bars
                           # (-, ═: the repairs read it from the glyph); read alone, the
                           # recogniser takes them for other characters (0, _, 1)
    "split_gap": 2.0,      # a line's ink further apart than this many line heights is two
                           # lines (a unit note at the right end of the department's line)
    "pad_x": 0.4,          # ... and left and right: faint ink at a line's ends (a grey 。)
    "pad": 0.25,           # crop margin around a line's ink, as a share of its height (the
                           # recogniser was trained on detector boxes, which have such a margin)
}


def ink_mask(crop: np.ndarray, level: float, settings: dict) -> np.ndarray:
    """The crop's ink (True), without rule remnants and dust."""
    ink = crop < level
    if ink.size == 0:
        return ink
    ink[ink.mean(axis=1) >= settings["rule_share"], :] = False
    ink[:, ink.mean(axis=0) >= settings["rule_share"]] = False
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    small = np.nonzero(stats[:, cv2.CC_STAT_AREA] < settings["min_area"])[0]
    small = small[small > 0]
    if len(small):
        ink[np.isin(labels, small)] = False
    return ink


def _runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs [start, end) of True."""
    edges = np.diff(np.concatenate(([0], rows.astype(np.int8), [0])))
    return list(zip(np.nonzero(edges == 1)[0].tolist(), np.nonzero(edges == -1)[0].tolist()))


def ink_runs(image: np.ndarray, cell: Box, level: float, settings: dict | None = None
             ) -> list[tuple[int, int, np.ndarray]]:
    """The cell's runs of rows holding ink: (top, bottom, ink columns of the run) in page pixels."""
    s = {**BAND_SETTINGS, **(settings or {})}
    inset = s["inset"]
    x0, y0 = int(cell[0]) + inset, int(cell[1]) + inset
    x1, y1 = int(cell[2]) - inset, int(cell[3]) - inset
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []
    ink = ink_mask(image[y0:y1, x0:x1], level, s)
    return [(y0 + a, y0 + b, ink[a:b].any(axis=0)) for a, b in _runs(ink.any(axis=1))]


def line_height(runs: list[tuple[int, int, np.ndarray]]) -> float:
    """A page's text line height: most runs of ink rows are whole lines, some are strokes."""
    heights = [b - a for a, b, _ in runs]
    return float(np.percentile(heights, 75)) if heights else 0.0


def text_bands(runs: list[tuple[int, int, np.ndarray]], cell: Box, height: float,
               settings: dict | None = None) -> tuple[list[Box], list[Box]]:
    """A cell's text lines and its marks standing alone (ink boxes in page pixels, top to
    bottom), from its runs of ink rows and the page's line height."""
    s = {**BAND_SETTINGS, **(settings or {})}
    x0 = int(cell[0]) + s["inset"]
    joined: list[list] = []
    for a, b, cols in runs:
        if joined and a - joined[-1][1] <= max(1.0, s["join_gap"] * height):
            joined[-1][1] = b
            joined[-1][2] = joined[-1][2] | cols
        else:
            joined.append([a, b, cols])
    lines: list[Box] = []
    marks: list[Box] = []
    for a, b, cols in joined:
        xs = np.nonzero(cols)[0]
        cuts = np.nonzero(np.diff(xs) > s["split_gap"] * height)[0]
        for left, right in zip(np.concatenate(([xs[0]], xs[cuts + 1])), np.concatenate((xs[cuts], [xs[-1]]))):
            box = (float(x0 + left), float(a), float(x0 + right + 1), float(b))
            if b - a < s["mark_height"] * height:
                marks.append(box)
            else:
                lines.append(box)
    return lines, marks


def padded(box: Box, cell: Box, settings: dict | None = None) -> tuple[int, int, int, int]:
    """A line's crop for the recogniser: its ink with a margin, inside the cell's rules."""
    s = {**BAND_SETTINGS, **(settings or {})}
    pad = max(2, int(round(s["pad"] * (box[3] - box[1]))))
    pad_x = max(2, int(round(s["pad_x"] * (box[3] - box[1]))))
    inset = s["inset"]
    return (max(int(box[0]) - pad_x, int(cell[0]) + inset), max(int(box[1]) - pad, int(cell[1]) + inset),
            min(int(box[2]) + pad_x, int(cell[2]) - inset), min(int(box[3]) + pad, int(cell[3]) - inset))
