"""The ruling-line grid (extract/ocr/lines.py) and deskew on synthetic page images drawn with
OpenCV: merged cells, broken and faint rules, a missing top rule, text crossing a merged cell."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from perfdecl.extract.ocr.deskew import deskew, skew_angle
from perfdecl.extract.ocr.lines import find_tables

SCALE = 200 / 72  # pixels per point at 200 dpi

# A 5 x 4 grid (edges in pixels) with merged cells, as (row, col, rowspan, colspan).
XS = [100, 400, 700, 900, 1200]
YS = [200, 260, 320, 380, 500, 560]
CELLS = {(0, 0, 1, 4), (1, 0, 2, 1), (1, 1, 1, 2), (1, 3, 1, 1), (2, 1, 1, 1), (2, 2, 1, 1),
         (2, 3, 1, 1), (3, 0, 1, 1), (3, 1, 1, 3), (4, 0, 1, 1), (4, 1, 1, 1), (4, 2, 1, 1),
         (4, 3, 1, 1)}


def _segments(cells=CELLS, xs=XS, ys=YS):
    """The rule segments of a grid: every cell's four sides."""
    segs = set()
    for r, c, rs, cs in cells:
        x0, x1, y0, y1 = xs[c], xs[c + cs], ys[r], ys[r + rs]
        segs |= {((x0, y0), (x1, y0)), ((x0, y1), (x1, y1)), ((x0, y0), (x0, y1)), ((x1, y0), (x1, y1))}
    return segs


def draw(segs, *, gray=0, thickness=2, gap=None, shape=(800, 1300)) -> np.ndarray:
    img = np.full(shape, 255, np.uint8)
    for (x0, y0), (x1, y1) in segs:
        if gap is None:
            cv2.line(img, (x0, y0), (x1, y1), gray, thickness)
            continue
        # a broken rule (scanner drop-outs): `gap`-pixel holes every 50 pixels
        length = max(abs(x1 - x0), abs(y1 - y0))
        for start in range(0, length, 50):
            end = min(start + 50 - gap, length)
            a = (x0 + (x1 - x0) * start // length, y0 + (y1 - y0) * start // length)
            b = (x0 + (x1 - x0) * end // length, y0 + (y1 - y0) * end // length)
            cv2.line(img, a, b, gray, thickness)
    return img


def spans(img: np.ndarray) -> set[tuple[int, int, int, int]]:
    tables = find_tables(img, SCALE)
    assert len(tables) == 1
    return {(c.row, c.col, c.rowspan, c.colspan) for c in tables[0].cells}


def test_grid_with_merged_cells():
    tables = find_tables(draw(_segments()), SCALE)
    assert len(tables) == 1
    t = tables[0]
    assert {(c.row, c.col, c.rowspan, c.colspan) for c in t.cells} == CELLS
    assert t.xs == pytest.approx(XS, abs=3) and t.ys == pytest.approx(YS, abs=3)
    merged = next(c for c in t.cells if (c.row, c.col) == (1, 0))
    assert merged.box == pytest.approx((100, 260, 400, 380), abs=3)


@pytest.mark.parametrize("gap", [3, 6, 8])
def test_broken_rules_neither_merge_nor_split(gap):
    assert spans(draw(_segments(), gap=gap)) == CELLS


def test_faint_noisy_rules():
    rng = np.random.default_rng(7)
    img = draw(_segments(), gray=200, thickness=1).astype(np.float32)
    img = np.clip(img + rng.normal(0, 9, img.shape), 0, 255).astype(np.uint8)
    assert spans(img) == CELLS


def test_text_across_a_merged_cell_does_not_split_it():
    img = draw(_segments())
    # a line of "characters" with long horizontal strokes through the middle of the merged cell
    # (3,1,1,3), and tall vertical strokes inside (1,0,2,1)
    y = (YS[3] + YS[4]) // 2
    for x in range(XS[1] + 20, XS[4] - 40, 30):
        cv2.line(img, (x, y), (x + 26, y), 0, 2)
        cv2.line(img, (x, y - 12), (x + 26, y - 12), 0, 2)
    for x in range(XS[0] + 30, XS[1] - 30, 30):
        cv2.line(img, (x, YS[1] + 25), (x, YS[1] + 58), 0, 2)
    assert spans(img) == CELLS


def test_missing_top_rule_of_a_continuation_page():
    # the verticals run up to y=200 but no horizontal rule is drawn there
    segs = {s for s in _segments() if not (s[0][1] == s[1][1] == YS[0])}
    tables = find_tables(draw(segs), SCALE)
    assert {(c.row, c.col, c.rowspan, c.colspan) for c in tables[0].cells} == CELLS
    assert tables[0].ys[0] == pytest.approx(YS[0], abs=3)


def test_two_tables_on_a_page_top_to_bottom():
    lower = {((x0, y0 + 300), (x1, y1 + 300)) for (x0, y0), (x1, y1) in _segments(
        {(0, 0, 1, 1), (0, 1, 1, 1)}, xs=[100, 600, 1100], ys=[300, 360])}
    upper = _segments({(0, 0, 1, 1), (0, 1, 1, 2)}, xs=[100, 500, 800, 1100], ys=[100, 160])
    tables = find_tables(draw(lower | upper, shape=(800, 1300)), SCALE)
    assert [len(t.cells) for t in tables] == [2, 2]
    assert tables[0].ys[0] < tables[1].ys[0]


@pytest.mark.parametrize("angle", [-1.0, -0.4, 0.3, 0.8])
def test_deskew_finds_the_angle_and_the_grid_survives(angle):
    img = draw(_segments(), shape=(900, 1300))
    h, w = img.shape
    turned = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0), (w, h),
                            borderValue=255)
    assert skew_angle(turned) == pytest.approx(angle, abs=0.05)
    level, applied = deskew(turned)
    assert applied == pytest.approx(angle, abs=0.05)
    assert spans(level) == CELLS


def test_level_page_is_left_alone():
    img = draw(_segments())
    level, applied = deskew(img)
    assert applied == 0.0 and level is img
