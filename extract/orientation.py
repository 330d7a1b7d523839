"""Pages whose text runs sideways or upside down, read turned upright.

A landscape form put on a portrait page without a /Rotate that shows it upright, or a page stored
turned, has its text layer running down, up or right to left as the page is displayed. Tables and
lines are only found on upright text, so such a page is read through `TurnedPage`, a view of it
turned by a quarter, half or three quarters; the provenance boxes are mapped back to the page as
displayed (`to_page_box`), so that they still point at the row on the page a reader sees.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pdfplumber.page import DerivedPage

from .grid import Table

# A page is turned when more than this share of its characters run in one other direction
# (a form may hold a few rotated labels on an upright page).
MIN_TURNED_SHARE = 0.5


@dataclass(frozen=True)
class Turn:
    """How a page was turned for reading: clockwise `degrees`, of the displayed page's box."""

    degrees: int  # 90, 180 or 270
    x0: float
    top: float
    width: float
    height: float


def text_turn(chars: Iterable[dict]) -> int:
    """The clockwise turn (0, 90, 180, 270) that makes most characters upright, from the direction
    of each glyph's baseline (its text matrix, in the displayed page's y-up space)."""
    votes: Counter[int] = Counter()
    for ch in chars:
        if not ch["text"].strip():
            continue
        a, b = ch["matrix"][0], ch["matrix"][1]
        votes[round(math.degrees(math.atan2(b, a)) / 90) % 4 * 90] += 1
    if not votes:
        return 0
    degrees, n = votes.most_common(1)[0]
    return degrees if n > MIN_TURNED_SHARE * sum(votes.values()) else 0


def _turn_point(x: float, y: float, degrees: int, width: float, height: float) -> tuple[float, float]:
    """A point of a width × height page (top-left origin, y down) on the page turned clockwise."""
    if degrees == 90:
        return height - y, x
    if degrees == 180:
        return width - x, height - y
    if degrees == 270:
        return y, width - x
    return x, y


def _turn_box(box, degrees: int, width: float, height: float) -> tuple[float, float, float, float]:
    (ax, ay), (bx, by) = (_turn_point(box[0], box[1], degrees, width, height),
                          _turn_point(box[2], box[3], degrees, width, height))
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _turned_size(turn: Turn) -> tuple[float, float]:
    return (turn.height, turn.width) if turn.degrees in (90, 270) else (turn.width, turn.height)


def to_page_box(box, turn: Turn) -> tuple[float, ...]:
    """A box on the turned view, as a box on the page as displayed."""
    width, height = _turned_size(turn)
    x0, top, x1, bottom = _turn_box(box, (360 - turn.degrees) % 360, width, height)
    return x0 + turn.x0, top + turn.top, x1 + turn.x0, bottom + turn.top


def shown_box(box, turn: Turn) -> tuple[float, ...]:
    """`to_page_box`, to the hundredth of a point as every box of the extract."""
    return tuple(round(v, 2) for v in to_page_box(box, turn))


def as_displayed(items: list, turns: dict[int, Turn]) -> None:
    """The boxes of tables, cells, repairs and lines read on pages turned upright (`turns`, by
    page) mapped, in place, onto those pages as displayed; a table read a quarter turn notes the
    page (`Table.sideways_pages`). Runs once the tables are stitched: stitching compares the
    boxes as read."""
    if not turns:
        return
    for item in items:
        parts = item.cells if isinstance(item, Table) else [item]
        for part in parts:
            turn = turns.get(part.page)
            if turn is not None:
                part.bbox = shown_box(part.bbox, turn)
            part.repairs = [replace(r, bbox=shown_box(r.bbox, turns[r.page])) if r.page in turns
                            else r for r in part.repairs]
        if isinstance(item, Table):
            item.sideways_pages = frozenset(p for p in item.pages
                                            if p in turns and turns[p].degrees in (90, 270))


def _turned_object(obj: dict, turn: Turn) -> dict:
    out = dict(obj)
    box = (obj["x0"] - turn.x0, obj["top"] - turn.top, obj["x1"] - turn.x0, obj["bottom"] - turn.top)
    x0, top, x1, bottom = _turn_box(box, turn.degrees, turn.width, turn.height)
    _, page_height = _turned_size(turn)
    out.update(x0=x0, x1=x1, top=top, bottom=bottom, width=x1 - x0, height=bottom - top,
               y0=page_height - bottom, y1=page_height - top,
               doctop=top + (obj["doctop"] - obj["top"]) if "doctop" in obj else top)
    if "pts" in obj:
        out["pts"] = [_turn_point(x - turn.x0, y - turn.top, turn.degrees, turn.width, turn.height)
                      for x, y in obj["pts"]]
    if "upright" in obj:
        out["upright"] = True
    return out


class TurnedPage(DerivedPage):
    """A pdfplumber page seen turned clockwise by `turn.degrees`: every object's coordinates and
    the page box turned, so that the table finder and our readers work on upright text."""

    def __init__(self, parent_page, degrees: int):
        super().__init__(parent_page)
        x0, top, x1, bottom = parent_page.bbox
        self.turn = Turn(degrees, x0, top, x1 - x0, bottom - top)
        width, height = _turned_size(self.turn)
        self.bbox = (0, 0, width, height)

    @property
    def objects(self) -> dict[str, list[dict]]:
        if not hasattr(self, "_objects"):
            self._objects = {kind: [_turned_object(o, self.turn) for o in objs]
                             for kind, objs in self.parent_page.objects.items()}
        return self._objects


def upright(page, chars: Iterable[dict]) -> tuple[object, Turn | None]:
    """The page as read (turned where its text does not stand upright) and the turn, if any.
    `chars`: the page's characters as displayed."""
    degrees = text_turn(chars)
    if not degrees:
        return page, None
    view = TurnedPage(page, degrees)
    return view, view.turn
