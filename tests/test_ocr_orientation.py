"""Pages scanned turned a quarter or a half are found and read upright (extract/ocr/orient.py);
upright pages, and pages where the evidence is thin, are never turned; provenance stays on the
page as displayed.

The figures over every scanned page we have (corpus and samples, each turned four ways) are in
docs/ocr.md (`scripts/orientation.py`); these tests hold the decision on a fixed set of pages.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

import perfdecl
from perfdecl.extract.grid import Cell, CellRepair, ExtractedDocument, Table, TextLine
from perfdecl.extract.document import extract_document
from perfdecl.extract.ocr.engines import OcrEngine, PageText
from perfdecl.extract.ocr.orient import ORIENT_SETTINGS, find_orientation, turn_image, upright_page
from perfdecl.extract.ocr.render import PageImage, render_pdf_pages
from perfdecl.extract.orientation import Turn, _turn_box, as_displayed

from samplecases import SAMPLES, strip_provenance

SCANNED = SAMPLES / "scanned"
sys.path.insert(0, str(SAMPLES.parent / "scripts"))
from orientation import turned_copy  # noqa: E402

# (file, page, the clockwise turn that makes the page as displayed upright)
PAGES = [
    ("project_approval_serif.300dpi.pdf", 1, 0),          # serif face, large stroked title
    ("project_approval_serif.200dpi-turned180.pdf", 1, 180),
    ("project_sign_unit_sans.300dpi.pdf", 1, 0),          # landscape page, light sans
    ("project_sign_unit_sans.200dpi-turned90.pdf", 1, 90),
    ("project_long_annual_heiti.300dpi.pdf", 1, 0),       # landscape page, heavy heiti title
    ("project_long_annual_heiti.200dpi-turned270.pdf", 1, 270),
    ("seed_two_pages.200dpi-degraded.pdf", 2, 0),
    ("zhanjiang_2024.300dpi.pdf", 3, 0),                  # a continuation page of two rows
]


@lru_cache(maxsize=None)
def _page(name: str, number: int) -> PageImage:
    return next(render_pdf_pages(SCANNED / name, [number], 200))


@pytest.mark.parametrize("extra", [0, 90, 180, 270])
@pytest.mark.parametrize("name, number, turn", PAGES, ids=[f"{n[:-4]}-p{p}" for n, p, _ in PAGES])
def test_the_turn_that_makes_a_page_upright(name, number, turn, extra):
    # the page fed `extra` further counter-clockwise: it takes `extra` more clockwise to read
    image = turn_image(_page(name, number).image, (360 - extra) % 360)
    found = find_orientation(image)
    assert found.degrees == (turn + extra) % 360, found
    assert found.lines >= ORIENT_SETTINGS["min_lines"] and found.pieces >= 6


def test_turning_back_gives_the_upright_image():
    page = _page("project_sign_unit_sans.200dpi-turned90.pdf", 1)
    upright, turn, found = upright_page(page)
    assert found.degrees == 90
    assert turn == Turn(90, 0.0, 0.0, page.width_pt, page.height_pt)
    assert upright.image.shape == page.image.shape[::-1]
    assert (upright.width_pt, upright.height_pt) == (page.height_pt, page.width_pt)
    assert np.array_equal(turn_image(upright.image, 270), page.image)
    same, none, _ = upright_page(_page("project_sign_unit_sans.300dpi.pdf", 1))
    assert none is None and same is _page("project_sign_unit_sans.300dpi.pdf", 1)


def test_thin_or_mixed_evidence_keeps_the_page_as_it_is():
    blank = np.full((2339, 1654), 255, dtype=np.uint8)
    assert find_orientation(blank).degrees == 0 and find_orientation(blank).lines == 0
    noise = np.random.default_rng(7).integers(0, 256, (1654, 1169), dtype=np.uint8)
    assert find_orientation(noise).degrees == 0
    # the title and the first rows of a page only, sideways: fewer lines than min_lines
    top = _page("project_approval_serif.300dpi.pdf", 1).image[:280]
    few = find_orientation(turn_image(top, 90))
    assert few.degrees == 0 and 0 < few.lines < ORIENT_SETTINGS["min_lines"]
    # half a page upright beside the same half standing sideways: neither clearly
    half = _page("project_sign_unit_sans.300dpi.pdf", 1).image[:, :1150]
    side = turn_image(half[:1150, :1150], 90)
    mixed = np.full((1654, 2300), 255, dtype=np.uint8)
    mixed[:, :1150] = half
    mixed[:1150, 1150:] = side
    found = find_orientation(mixed)
    assert found.degrees == 0 and 0 < found.tall < found.lines


class _Recorder(OcrEngine):
    """Reads nothing; keeps the images it is given."""

    name = "recorder"

    def __init__(self):
        self.images = []

    def describe(self):
        return "recorder"

    def read_lines(self, image):
        return []

    def read_page(self, image, cells):
        self.images.append(image)
        return PageText(cells=[[] for _ in cells], loose=[])


@pytest.mark.parametrize("shown", [90, 180, 270])
def test_the_engine_reads_the_page_upright(tmp_path, shown):
    src = SCANNED / "project_long_annual_heiti.300dpi.pdf"
    turned = turned_copy(src, shown, tmp_path / "turned.pdf")  # displayed turned `shown` clockwise
    upright = _Recorder()
    extract_document(src, engine=upright, settings={"deskew": False})
    engine = _Recorder()
    doc, report = extract_document(turned, engine=engine, settings={"deskew": False})
    assert np.array_equal(engine.images[0], upright.images[0])
    width, height = (595.28, 841.89) if shown in (90, 270) else (841.89, 595.28)
    turn = report.turns[1]
    assert (turn.degrees, turn.x0, turn.top) == (360 - shown, 0.0, 0.0)
    assert (round(turn.width, 2), round(turn.height, 2)) == (width, height)
    assert report.timings[1]["orient"] > 0

    off = _Recorder()
    _, report = extract_document(turned, engine=off, settings={"deskew": False, "orient": False})
    assert report.turns == {} and report.timings[1]["orient"] == 0.0
    assert off.images[0].shape == (engine.images[0].shape if shown == 180 else engine.images[0].shape[::-1])


def test_cells_repairs_and_lines_are_located_on_the_page_as_displayed():
    turn = Turn(90, 0.0, 0.0, 595.0, 842.0)  # portrait as displayed, read as landscape
    repair = CellRepair(page=1, bbox=(100.0, 50.0, 200.0, 70.0), before="1,2", after="1.2",
                        rules=["amount"], confidence=0.9)
    cells = [Cell(0, 0, 1, 1, "1.2", 1, (100.0, 50.0, 200.0, 70.0), 0.9, [repair]),
             Cell(0, 1, 1, 1, "x", 1, (200.0, 50.0, 300.0, 70.0)),
             Cell(1, 0, 1, 2, "y", 1, (100.0, 70.0, 300.0, 90.0)),
             Cell(2, 0, 1, 1, "z", 2, (100.0, 50.0, 200.0, 70.0))]  # page 2 stands upright
    table = Table(cells=cells, n_rows=3, n_cols=2)
    line = TextLine("x", 1, (10.0, 20.0, 30.0, 40.0))
    doc = ExtractedDocument(page_count=2, items=[table, line])
    as_displayed(doc.items, {1: turn})
    # turned view 842 x 595; a point (x, y) there is (y, 842 - x) on the displayed page
    assert [c.bbox for c in table.cells] == [(50.0, 642.0, 70.0, 742.0), (50.0, 542.0, 70.0, 642.0),
                                             (70.0, 542.0, 90.0, 742.0), (100.0, 50.0, 200.0, 70.0)]
    assert doc.repairs() == [replace(repair, bbox=(50.0, 642.0, 70.0, 742.0))]
    assert line.bbox == (20.0, 812.0, 40.0, 832.0)
    assert table.sideways_pages == frozenset({1})
    # the first row, across the table's width (both cells of row 0 and the wide cell below), as
    # tall as its own cells: on the displayed page it runs up the page
    row = table.row_box(1, across=cells[:3], along=cells[:2])
    assert row == (50.0, 542.0, 70.0, 742.0)
    assert table.row_box(2, across=cells[3:], along=cells[3:]) == (100.0, 50.0, 200.0, 70.0)


def test_a_turned_scan_reads_like_the_upright_one_with_boxes_where_it_is_shown(tmp_path):
    """The same scan displayed turned a quarter: the same records, and each row's box the upright
    row's box turned with the page."""
    src = SCANNED / "project_sign_unit_sans.300dpi.pdf"
    turned = turned_copy(src, 90, tmp_path / "turned.pdf")
    up = perfdecl.convert(src).model_dump(mode="json")
    got = perfdecl.convert(turned).model_dump(mode="json")
    strip = strip_provenance
    assert strip(got)["forms"] == strip(up)["forms"]
    assert [w["code"] for w in got["warnings"]] == [w["code"] for w in up["warnings"]]
    width, height = 841.89, 595.28  # the upright page
    rows = [(a, b) for fa, fb in zip(up["forms"], got["forms"])
            for key in ("budget", "indicators") for a, b in zip(fa[key], fb[key])]
    assert len(rows) == 14  # 3 budget items, 11 indicators
    for a, b in rows:
        want = _turn_box(a["bbox"], 90, width, height)
        assert b["page"] == a["page"] and b["confidence"] == a["confidence"]
        assert b["bbox"] == pytest.approx(want, abs=0.02)
