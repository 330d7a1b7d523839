"""One page image → the extractor's items (tables of cells, loose text lines), like the text path.

deskew → ruling-line grid (lines.py) → the engine reads the page, lines go to cells by centre →
cell text (lines top to bottom, fragments of one line left to right), contract character mapping,
domain repair (repair.py) → `Table`/`TextLine` with boxes in PDF points.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..grid import Cell, CellRepair, Table, TextLine
from ..text import map_chars
from .deskew import deskew
from .engines import OcrEngine, OcrLine
from .lines import GridTable, find_tables
from .render import PageImage
from .repair import Repairer


@dataclass
class PageResult:
    items: list[Table | TextLine]  # the repairs ride on their cells (Cell.repairs)
    low_confidence: list[tuple[str, float, tuple]] = field(default_factory=list)  # text, conf, bbox
    timings: dict[str, float] = field(default_factory=dict)
    skew: float = 0.0


def visual_rows(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Lines grouped into rows (vertical overlap of at least half the smaller height), top to
    bottom, each row left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: ((ln.box[1] + ln.box[3]) / 2, ln.box[0])):
        y0, y1 = line.box[1], line.box[3]
        if rows:
            r0 = min(ln.box[1] for ln in rows[-1])
            r1 = max(ln.box[3] for ln in rows[-1])
            overlap = min(y1, r1) - max(y0, r0)
            if overlap >= 0.5 * min(y1 - y0, r1 - r0):
                rows[-1].append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda ln: ln.box[0]) for row in rows]


def row_text(row: Sequence[OcrLine]) -> str:
    """Fragments of one row; a gap wider than half the line height becomes a space (the text
    rules keep it only between Latin words or numbers)."""
    parts: list[str] = []
    prev = None
    for line in row:
        if prev is not None:
            height = max(line.box[3] - line.box[1], 1.0)
            if line.box[0] - prev.box[2] > height / 2:
                parts.append(" ")
        parts.append(line.text.strip())
        prev = line
    return "".join(parts)


def lines_text(lines: Sequence[OcrLine]) -> str:
    return "\n".join(row_text(row) for row in visual_rows(lines))


def _min_conf(lines: Sequence[OcrLine]) -> float | None:
    confs = [ln.confidence for ln in lines if ln.confidence is not None]
    return round(min(confs), 4) if confs else None


def _pt(box, scale: float) -> tuple[float, float, float, float]:
    return tuple(round(v / scale, 2) for v in box)


def read_page(page: PageImage, engine: OcrEngine, settings: dict,
              repairer: Repairer | None = None) -> PageResult:
    """OCR one page image into items (reading order) with repairs and low-confidence cells."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    image, angle = (deskew(page.image, max_angle=settings["max_skew"]) if settings["deskew"]
                    else (page.image, 0.0))
    t1 = time.perf_counter()
    grids = find_tables(image, page.scale, settings.get("lines"))
    t2 = time.perf_counter()
    boxes = [cell.box for grid in grids for cell in grid.cells]
    read = engine.read_page(image, boxes)
    t3 = time.perf_counter()
    result = assemble(page, image, grids, read.cells, read.loose, settings, repairer)
    t4 = time.perf_counter()
    timings.update(deskew=t1 - t0, lines=t2 - t1, engine=read.engine_seconds,
                   engine_call=t3 - t2, assemble=t4 - t3)
    result.timings = timings
    result.skew = angle
    return result


def assemble(page: PageImage, image: np.ndarray, grids: Sequence[GridTable],
             cell_lines: Sequence[Sequence[OcrLine]], loose: Sequence[OcrLine], settings: dict,
             repairer: Repairer | None = None) -> PageResult:
    """Tables and loose lines of a page from the lines read in each grid cell and outside."""
    result = PageResult(items=[])
    low = settings["low_confidence"]
    k = 0
    for grid in grids:
        cells: list[Cell] = []
        engine_read: list[bool] = []  # the engine read text in the cell (a repair may fill an empty one)
        for gc in grid.cells:
            lines = list(cell_lines[k])
            k += 1
            text = map_chars(lines_text(lines))
            engine_read.append(bool(text.strip()))
            conf = _min_conf(lines)
            bbox = _pt(gc.box, page.scale)
            repairs = []
            if repairer is not None:  # empty cells too: a lone sign may not be read at all
                fixed = repairer.repair_cell(text, lines, image, conf, gc.box)
                if fixed.text != text:
                    repairs.append(CellRepair(page=page.page, bbox=bbox, before=text,
                                              after=fixed.text, rules=fixed.rules,
                                              confidence=conf))
                    text = fixed.text
            if conf is not None and text and conf < low:
                result.low_confidence.append((text, conf, bbox))
            cells.append(Cell(row=gc.row, col=gc.col, rowspan=gc.rowspan, colspan=gc.colspan,
                              text=text, page=page.page, bbox=bbox, confidence=conf,
                              repairs=repairs))
        if sum(engine_read) <= 1 and len(cells) > 1:
            # strokes of a large or bold title taken for rules make a "grid" around one text:
            # a table holds more than one cell of text, so that text is a loose line; a sign
            # "read" from a stroke in an empty cell of it is no text, nor its repair
            texts = [c for c, was_read in zip(cells, engine_read) if was_read]
            result.items += [TextLine(text=c.text.replace("\n", ""), page=c.page, bbox=c.bbox,
                                      repairs=c.repairs) for c in texts]
            continue
        result.items.append(Table(cells=cells, n_rows=len(grid.ys) - 1, n_cols=len(grid.xs) - 1,
                                  col_edges=[round(x / page.scale, 2) for x in grid.xs]))
    for row in visual_rows(loose):
        text = map_chars(row_text(row))
        if not text.strip():
            continue
        conf = _min_conf(row)
        if repairer is not None:
            text = repairer.repair_loose(text)
        x0 = min(ln.box[0] for ln in row)
        y0 = min(ln.box[1] for ln in row)
        x1 = max(ln.box[2] for ln in row)
        y1 = max(ln.box[3] for ln in row)
        bbox = _pt((x0, y0, x1, y1), page.scale)
        if conf is not None and conf < low:
            result.low_confidence.append((text, conf, bbox))
        result.items.append(TextLine(text=text, page=page.page, bbox=bbox))
    result.items.sort(key=lambda it: it.top if isinstance(it, Table) else it.bbox[1])
    return result
