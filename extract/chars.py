"""Character-level clean-up of a page's text layer: overprint removal and line assembly."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

# Fake-bold overprints the same glyph shifted by a fraction of a point. A duplicate is the same
# character whose origin lies within this fraction of the font size; real repeats (`常常`, `11`)
# sit a whole advance apart (≥ 0.5 of the size even for digits), so they stay.
OVERPRINT_TOLERANCE = 0.3


def dedupe_overprint(chars: Sequence[dict], tolerance: float = OVERPRINT_TOLERANCE) -> list[dict]:
    """Drop overprinted duplicates, whatever font resource drew them.

    pdfplumber's own `dedupe_chars` only merges characters that share font name and size; a
    producer that overprints with a second font resource slips through it (`项项目目`).
    """
    kept: list[dict] = []
    buckets: dict[str, list[dict]] = defaultdict(list)
    for ch in chars:
        size = ch.get("size") or 10.0
        limit = tolerance * size
        twins = buckets[ch["text"]]
        if any(abs(o["x0"] - ch["x0"]) < limit and abs(o["top"] - ch["top"]) < limit for o in twins):
            continue
        twins.append(ch)
        kept.append(ch)
    return kept


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
