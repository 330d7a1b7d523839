"""Character-level clean-up of a page's text layer: overprint removal and line assembly."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

# Fake-bold overprints the same glyph shifted by a fraction of a point. A duplicate is the same
# character whose origin lies within this fraction of the font size; real repeats (`常常`, `11`)
# sit a whole advance apart (≥ 0.5 of the size even for digits), so they stay.
OVERPRINT_TOLERANCE = 0.3


def dedupe_overprint(chars: Sequence[dict], tolerance: float = OVERPRINT_TOLERANCE) -> list[dict]:
    """Drop overprinted duplicates, whatever font resource drew them.

    pdfplumber's own `dedupe_chars` only merges characters that share font name and size; a
    producer that overprints with a second font resource slips through it (`项项目目`).

    The characters kept so far sit in a grid of `_GRID` pt squares per text, so that each new one
    is compared with its neighbours only: a page of 100,000 identical digits takes linear time,
    not quadratic. The result is the same as comparing with every earlier one.
    """
    kept: list[dict] = []
    # origins kept, by (text, square) and by text; the first glyph of a text (most glyphs of a
    # Chinese form) has nothing to be compared with
    squares: dict[tuple[str, int, int], list[tuple[float, float]]] = {}
    by_text: dict[str, list[tuple[float, float]]] = {}
    floor, isfinite = math.floor, math.isfinite
    for ch in chars:
        limit = tolerance * (ch.get("size") or 10.0)
        x, y = ch["x0"], ch["top"]
        if not (limit > 0 and isfinite(x) and isfinite(y) and isfinite(limit)):
            kept.append(ch)  # no other character can lie within a non-positive or NaN distance
            continue
        text = ch["text"]
        origins = by_text.get(text)
        if origins is None:
            by_text[text] = [(x, y)]
        elif _has_twin(squares, origins, text, x, y, limit):
            continue
        else:
            origins.append((x, y))
        key = (text, floor(x / _GRID), floor(y / _GRID))
        square = squares.get(key)
        if square is None:
            squares[key] = [(x, y)]
        else:
            square.append((x, y))
        kept.append(ch)
    return kept


# Side of a grid square (points): about the tolerance for 10 pt type, so a glyph's neighbours lie
# in the 3 x 3 squares around it.
_GRID = 3.0


def _has_twin(squares: dict, origins: list, text: str, x: float, y: float, limit: float) -> bool:
    """Whether a kept glyph of the same text (`origins`, by square in `squares`) lies within
    `limit` of (x, y) on both axes."""
    cx0, cx1 = math.floor((x - limit) / _GRID), math.floor((x + limit) / _GRID)
    cy0, cy1 = math.floor((y - limit) / _GRID), math.floor((y + limit) / _GRID)
    if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > len(origins):  # huge type: fewer glyphs than squares
        return any(abs(ox - x) < limit and abs(oy - y) < limit for ox, oy in origins)
    for cx in range(cx0, cx1 + 1):
        for cy in range(cy0, cy1 + 1):
            for ox, oy in squares.get((text, cx, cy), ()):
                if abs(ox - x) < limit and abs(oy - y) < limit:
                    return True
    return False


def group_lines(chars: Iterable[dict]) -> list[list[dict]]:
    """Group characters into lines (top to bottom), each sorted left to right.

    A character joins a line when its vertical centre lies within half a font size of the line's.
    """
    lines: list[tuple[float, list[dict]]] = []
    for ch in sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"])):
        mid = (ch["top"] + ch["bottom"]) / 2
        size = ch.get("size") or (ch["bottom"] - ch["top"]) or 10.0
        if lines and abs(lines[-1][0] - mid) <= size / 2:
            lines[-1][1].append(ch)
        else:
            lines.append((mid, [ch]))
    return [sorted(members, key=lambda c: c["x0"]) for _, members in lines]


def line_text(line: Sequence[dict]) -> str:
    """Text of one line; a gap wider than a third of the font size becomes a space."""
    parts: list[str] = []
    prev = None
    for ch in line:
        if prev is not None:
            size = ch.get("size") or 10.0
            if ch["x0"] - prev["x1"] > size / 3:
                parts.append(" ")
        parts.append(ch["text"])
        prev = ch
    return "".join(parts)


def chars_text(chars: Iterable[dict]) -> str:
    """Text of a block of characters: lines joined with newlines."""
    return "\n".join(line_text(line) for line in group_lines(chars))


def chars_bbox(chars: Sequence[dict]) -> tuple[float, float, float, float]:
    return (
        min(c["x0"] for c in chars),
        min(c["top"] for c in chars),
        max(c["x1"] for c in chars),
        max(c["bottom"] for c in chars),
    )
