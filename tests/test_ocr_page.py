"""Assembling a page's tables from the grid and the lines the engine read in each cell."""

from __future__ import annotations

import cv2
import numpy as np

from perfdecl.extract.grid import Table, TextLine, repairs_of
from perfdecl.extract.ocr.engines import OcrLine
from perfdecl.extract.ocr.lines import GridCell, GridTable
from perfdecl.extract.ocr.page import assemble
from perfdecl.extract.ocr.render import PageImage
from perfdecl.extract.ocr.repair import Repairer

TITLE = "2023年市级部门整体预算绩效目标表"


def _page(grid_cells: list[tuple[int, int, int, int]]) -> tuple[PageImage, np.ndarray]:
    img = np.full((200, 900), 255, np.uint8)
    for x0, y0, x1, y1 in grid_cells:
        cv2.rectangle(img, (x0, y0), (x1, y1), 0, 2)
    # a stroke in the last cell shaped like ≥ (a chevron over a bar)
    cv2.line(img, (760, 60), (790, 75), 0, 3)
    cv2.line(img, (790, 75), (760, 90), 0, 3)
    cv2.line(img, (760, 100), (790, 100), 0, 3)
    return PageImage(page=1, image=img, scale=2.0, width_pt=450, height_pt=100), img


def _grid(boxes):
    xs = sorted({b[0] for b in boxes} | {b[2] for b in boxes})
    ys = sorted({b[1] for b in boxes} | {b[3] for b in boxes})
    cells = [GridCell(row=ys.index(b[1]), col=xs.index(b[0]), rowspan=1, colspan=1, box=b)
             for b in boxes]
    return GridTable(xs=xs, ys=ys, cells=cells)


def test_a_grid_of_title_strokes_is_a_line_and_its_strokes_no_signs():
    boxes = [(20, 40, 600, 120), (600, 40, 740, 120), (740, 40, 820, 120)]
    page, img = _page(boxes)
    lines = [[OcrLine(TITLE, (40, 60, 580, 100), 0.99)], [], []]
    result = assemble(page, img, [_grid(boxes)], lines, [], {"low_confidence": 0.5}, Repairer())
    assert [(type(it), it.text) for it in result.items] == [(TextLine, TITLE)]
    assert repairs_of(result.items) == []


def test_a_grid_with_two_cells_read_is_a_table_and_its_lone_sign_is_read():
    boxes = [(20, 40, 600, 120), (600, 40, 740, 120), (740, 40, 820, 120)]
    page, img = _page(boxes)
    lines = [[OcrLine("指标", (40, 60, 580, 100), 0.99)], [OcrLine("95%", (620, 60, 720, 100), 0.99)], []]
    result = assemble(page, img, [_grid(boxes)], lines, [], {"low_confidence": 0.5}, Repairer())
    (table,) = result.items
    assert isinstance(table, Table)
    assert [c.text for c in table.cells] == ["指标", "95%", "≥"]
    # the repair rides on its cell
    assert [(r.before, r.after, r.rules) for r in table.cells[2].repairs] == [("", "≥", ["lone_sign"])]
    assert repairs_of(result.items) == table.cells[2].repairs
