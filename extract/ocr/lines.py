"""Ruled tables of a page image: ruling lines (OpenCV) → grid of row and column edges → cells
with row/column spans, each with its box in pixels.

1. Binarise with a local (adaptive) threshold, so a faint grey rule counts as ink as much as a
   black one. A 3-pixel thickening across the rule's direction lets a noisy rule keep one
   unbroken pixel row; opening with long thin kernels then keeps only horizontal and vertical
   strokes longer than any character stroke, and a closing along the same direction bridges the
   gaps of a broken rule. (Closing before opening would join the strokes of neighbouring
   characters in a text line into a "rule".)
2. Each connected group of rules is a table. Rule positions are clustered into row and column
   edges.
3. Between two neighbouring grid positions there is a boundary where the rule covers at least
   `boundary_cover` of that stretch and reaches into both of its end quarters (`end_cover`). So a
   rule broken in places still separates, while a merged cell (no rule, only text crossing the
   line; a long character stroke stands in the middle of its cell, clear of the rules) is one
   cell. Edges that separate nothing
   (a stray stroke) are dropped. The table's outer frame always separates: a producer may leave
   out the rule above a continuation page's first row (the verticals still show where it is).
4. Grid positions joined without a boundary become one cell (union-find); its span is the
   bounding rows and columns.

Lengths are in PDF points in the settings and turned into pixels with the page's scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

LINE_SETTINGS: dict = {
    "threshold_block_pt": 7.0,   # adaptive threshold window
    "threshold_c": 12,           # how much darker than its surroundings a pixel must be to be ink
    "min_hrule_pt": 24.0,        # a horizontal rule is at least this long (longer than a dash)
    "min_vrule_pt": 11.0,        # a vertical rule at least this long (longer than a character)
    "min_piece_pt": 11.0,        # a piece of a broken horizontal rule at least this long
    "gap_pt": 3.0,               # breaks up to this long inside a rule are bridged
    "edge_merge_pt": 3.0,        # rule positions closer than this are one grid edge
    "band_pt": 1.5,              # a rule counts within this distance of its edge (thickness, skew)
    "boundary_cover": 0.5,       # share of a stretch a rule must cover to separate two cells
    "end_cover": 0.25,           # ... and of each end quarter of the stretch
    "min_table_pt": (40.0, 15.0),  # smallest table (width, height)
    # a table's cells hold lines of text: one at least this wide, one row at least this tall; the
    # strokes of a large or bold title taken for rules make a "grid" of cells a character's size
    "min_widest_cell_pt": 30.0,
    "min_tallest_row_pt": 9.0,
}


@dataclass
class GridCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


@dataclass
class GridTable:
    xs: list[float]          # column edges, pixels
    ys: list[float]          # row edges, pixels
    cells: list[GridCell]

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def binarize(gray: np.ndarray, scale: float, settings: dict) -> np.ndarray:
    block = max(int(settings["threshold_block_pt"] * scale) | 1, 3)
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)  # sensor noise would otherwise dot the mask
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                 block, settings["threshold_c"])


def rule_masks(bw: np.ndarray, scale: float, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the horizontal and the vertical rules."""
    gap = max(int(settings["gap_pt"] * scale), 1)
    hlen = max(int(settings["min_hrule_pt"] * scale), 5)
    vlen = max(int(settings["min_vrule_pt"] * scale), 5)
    rect = cv2.getStructuringElement
    piece = max(int(settings["min_piece_pt"] * scale), 5)
    horiz = cv2.dilate(bw, rect(cv2.MORPH_RECT, (1, 3)))
    # pieces longer than a character stroke, joined across small breaks, then long enough
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (piece, 1)))
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (gap, 1)))
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (hlen, 1)))
    vert = cv2.dilate(bw, rect(cv2.MORPH_RECT, (3, 1)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, vlen)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, gap)))
    return horiz, vert


def _segments(mask: np.ndarray, horizontal: bool) -> list[tuple[float, int, int]]:
    """(position across, start, end along) of each connected stroke of a rule mask."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if horizontal:
            out.append((y + h / 2, x, x + w))
        else:
            out.append((x + w / 2, y, y + h))
    return out


def _cluster(values: list[float], tol: float) -> list[float]:
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [float(np.median(g)) for g in groups]


def _separates(profile: np.ndarray, a: float, b: float, margin: int, cover: float,
               end_cover: float) -> bool:
    """Does the rule profile cover [a, b) (shrunk by `margin` at both ends, away from the
    crossing rules) enough, reaching into both end quarters?"""
    lo, hi = int(round(a)) + margin, int(round(b)) - margin
    if hi - lo < 4:
        lo, hi = int(round(a)), int(round(b))
    if hi - lo < 4:
        return True
    part = profile[lo:hi]
    q = max(len(part) // 4, 1)
    return (float(part.mean()) >= cover and float(part[:q].mean()) >= end_cover
            and float(part[-q:].mean()) >= end_cover)


def find_tables(gray: np.ndarray, scale: float, settings: dict | None = None) -> list[GridTable]:
    """Every ruled table on the page image, top to bottom."""
    s = {**LINE_SETTINGS, **(settings or {})}
    bw = binarize(gray, scale, s)
    horiz, vert = rule_masks(bw, scale, s)
    both = cv2.bitwise_or(horiz, vert)
    join = max(int(s["gap_pt"] * scale), 2)
    joined = cv2.dilate(both, cv2.getStructuringElement(cv2.MORPH_RECT, (join, join)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    min_w, min_h = (v * scale for v in s["min_table_pt"])
    tables = []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w < min_w or h < min_h:
            continue
        region = labels[y:y + h, x:x + w] == i
        t = _table(horiz[y:y + h, x:x + w] & (region * 255).astype(np.uint8),
                   vert[y:y + h, x:x + w] & (region * 255).astype(np.uint8), scale, s)
        if t is not None and _holds_text(t, scale, s):
            tables.append(_shift(t, x, y))
    tables.sort(key=lambda t: t.ys[0])
    return tables


def _holds_text(t: GridTable, scale: float, s: dict) -> bool:
    return (max(c.box[2] - c.box[0] for c in t.cells) >= s["min_widest_cell_pt"] * scale
            and max(np.diff(t.ys)) >= s["min_tallest_row_pt"] * scale)


def _shift(t: GridTable, dx: float, dy: float) -> GridTable:
    cells = [GridCell(c.row, c.col, c.rowspan, c.colspan,
                      (c.box[0] + dx, c.box[1] + dy, c.box[2] + dx, c.box[3] + dy)) for c in t.cells]
    return GridTable(xs=[x + dx for x in t.xs], ys=[y + dy for y in t.ys], cells=cells)


def _table(horiz: np.ndarray, vert: np.ndarray, scale: float, s: dict) -> GridTable | None:
    hsegs = _segments(horiz, True)
    vsegs = _segments(vert, False)
    if not hsegs or not vsegs:
        return None
    tol = s["edge_merge_pt"] * scale
    band = max(int(round(s["band_pt"] * scale)), 1)
    ys = _cluster([p for p, _, _ in hsegs], tol)
    xs = _cluster([p for p, _, _ in vsegs], tol)
    # the outer frame: where the verticals start and end, and the horizontals
    top, bottom = min(a for _, a, _ in vsegs), max(b for _, _, b in vsegs)
    left, right = min(a for _, a, _ in hsegs), max(b for _, _, b in hsegs)
    if ys[0] - top > tol:
        ys.insert(0, float(top))
    if bottom - ys[-1] > tol:
        ys.append(float(bottom))
    if xs[0] - left > tol:
        xs.insert(0, float(left))
    if right - xs[-1] > tol:
        xs.append(float(right))
    if len(xs) < 2 or len(ys) < 2:
        return None
    h, w = horiz.shape

    def hprofile(y: float) -> np.ndarray:
        a, b = max(int(round(y)) - band, 0), min(int(round(y)) + band + 1, h)
        return (horiz[a:b].max(axis=0) > 0) if b > a else np.zeros(w, bool)

    def vprofile(x: float) -> np.ndarray:
        a, b = max(int(round(x)) - band, 0), min(int(round(x)) + band + 1, w)
        return (vert[:, a:b].max(axis=1) > 0) if b > a else np.zeros(h, bool)

    cover, end = s["boundary_cover"], s["end_cover"]
    margin = band + 1
    # drop inner edges that separate no pair of cells (a stray stroke), until none is left
    while True:
        hp = [hprofile(y) for y in ys]
        vp = [vprofile(x) for x in xs]
        # vsep[r][j]: a rule at xs[j] between ys[r] and ys[r+1]; hsep[i][c]: at ys[i] between xs[c], xs[c+1]
        vsep = [[_separates(vp[j], ys[r], ys[r + 1], margin, cover, end) for j in range(len(xs))]
                for r in range(len(ys) - 1)]
        hsep = [[_separates(hp[i], xs[c], xs[c + 1], margin, cover, end) for c in range(len(xs) - 1)]
                for i in range(len(ys))]
        dead_x = [j for j in range(1, len(xs) - 1) if not any(vsep[r][j] for r in range(len(ys) - 1))]
        dead_y = [i for i in range(1, len(ys) - 1) if not any(hsep[i])]
        if not dead_x and not dead_y:
            break
        xs = [x for j, x in enumerate(xs) if j not in dead_x]
        ys = [y for i, y in enumerate(ys) if i not in dead_y]
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 1 or n_cols < 1:
        return None
    # union-find over grid positions
    parent = list(range(n_rows * n_cols))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not vsep[r][c + 1]:
                union(r * n_cols + c, r * n_cols + c + 1)
            if r + 1 < n_rows and not hsep[r + 1][c]:
                union(r * n_cols + c, (r + 1) * n_cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(find(r * n_cols + c), []).append((r, c))
    cells = []
    taken: set[tuple[int, int]] = set()
    for members in sorted(groups.values()):
        r0 = min(r for r, _ in members)
        r1 = max(r for r, _ in members) + 1
        c0 = min(c for _, c in members)
        c1 = max(c for _, c in members) + 1
        # a region that is not a rectangle (a rule missing on one side only) takes its bounding
        # box; positions already taken by an earlier cell stay with it
        if any((r, c) in taken for r in range(r0, r1) for c in range(c0, c1)):
            r0, c0 = members[0]
            r1, c1 = r0 + 1, c0 + 1
        taken.update((r, c) for r in range(r0, r1) for c in range(c0, c1))
        cells.append(GridCell(r0, c0, r1 - r0, c1 - c0, (xs[c0], ys[r0], xs[c1], ys[r1])))
    return GridTable(xs=xs, ys=ys, cells=cells)
