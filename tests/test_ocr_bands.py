"""Text lines of a cell found from its ink (extract/ocr/bands.py), on drawn page images."""

import numpy as np

from perfdecl.extract.ocr.bands import ink_runs, line_height, padded, text_bands

LEVEL = 128


def page(width=400, height=200):
    return np.full((height, width), 255, dtype=np.uint8)


def ink(img, x0, y0, x1, y1, grey=0):
    img[y0:y1, x0:x1] = grey


def test_two_lines_a_mark_and_dust_in_a_ruled_cell():
    img = page()
    cell = (10.0, 10.0, 300.0, 150.0)
    ink(img, 10, 10, 300, 15)          # the cell's top rule, thick: 2 px of it past the inset
    ink(img, 10, 10, 15, 150)          # its left rule, likewise
    ink(img, 20, 30, 200, 50)          # line 1: 20 px high
    ink(img, 20, 60, 120, 80)          # line 2
    ink(img, 125, 95, 131, 101)        # a 。 wrapped alone under line 2: 6 px high
    ink(img, 250, 130, 251, 131)       # scanner dust: 1 px
    runs = ink_runs(img, cell, LEVEL)
    assert [(a, b) for a, b, _ in runs] == [(30, 50), (60, 80), (95, 101)]
    lines, marks = text_bands(runs, cell, 20.0)
    assert lines == [(20.0, 30.0, 200.0, 50.0), (20.0, 60.0, 120.0, 80.0)]
    assert marks == [(125.0, 95.0, 131.0, 101.0)]
    # the crop: a margin of a quarter of the height above and below, 0.4 left and right, kept
    # inside the cell's rules (inset 3 px)
    assert padded(lines[0], cell) == (13, 25, 208, 55)


def test_strokes_of_one_line_are_one_line_and_a_wide_gap_cuts_a_line():
    img = page(600)
    ink(img, 20, 30, 40, 33)           # 三: three strokes with gaps of 3 px
    ink(img, 20, 36, 40, 39)
    ink(img, 20, 42, 40, 45)
    ink(img, 45, 30, 60, 45)           # the next character, full height
    ink(img, 300, 30, 360, 45)         # 60 px right of it: another text on the same row
    region = (0.0, 0.0, 600.0, 200.0)
    runs = ink_runs(img, region, LEVEL)
    assert [(a, b) for a, b, _ in runs] == [(30, 45)]
    lines, marks = text_bands(runs, region, 15.0)
    assert lines == [(20.0, 30.0, 60.0, 45.0), (300.0, 30.0, 360.0, 45.0)]
    assert marks == []
    # a row of 三 alone: three runs a small gap apart are one line
    img = page()
    ink(img, 20, 30, 40, 33)
    ink(img, 20, 36, 40, 39)
    ink(img, 20, 42, 40, 45)
    runs = ink_runs(img, region, LEVEL)
    assert len(runs) == 3
    assert text_bands(runs, region, 15.0) == ([(20.0, 30.0, 40.0, 45.0)], [])


def test_a_flat_sign_is_a_mark_and_grey_ink_under_the_level_is_paper():
    img = page()
    ink(img, 50, 50, 80, 54)           # ═ blurred into one flat bar, 30 px wide
    ink(img, 100, 50, 160, 70, grey=200)  # grey smudge lighter than the ink level
    cell = (10.0, 10.0, 300.0, 150.0)
    runs = ink_runs(img, cell, LEVEL)
    assert text_bands(runs, cell, 20.0) == ([], [(50.0, 50.0, 80.0, 54.0)])


def test_line_height_is_that_of_whole_lines_not_strokes():
    img = page()
    for top in (10, 40, 70, 100):
        ink(img, 20, top, 200, top + 20)
    ink(img, 20, 130, 40, 133)
    runs = ink_runs(img, (0.0, 0.0, 400.0, 200.0), LEVEL)
    assert line_height(runs) == 20.0
    assert line_height([]) == 0.0
