"""The OCR engine interface: both engines read the same cells of a rendered form into lines per
cell; names and versions for `source.ocr_engine`; rapidocr never downloads; tesseract runs one
process for many crops."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pdfplumber
import pytest

from perfdecl.errors import OcrEngineError
from perfdecl.extract.ocr.engines import (DEFAULT_ENGINE, ENGINES, OcrEngine, OcrLine, PageText,
                                          RapidOcrEngine, TesseractEngine, assign_to_cells,
                                          get_engine)
from perfdecl.extract.ocr.render import render_pdf_pages
from perfdecl.extract.ocr.repair import Repairer
from perfdecl.extract.text import clean_text
from perfdecl.extract.textlayer import TABLE_SETTINGS, read_page

from samplecases import SAMPLES

HAS_TESSERACT = shutil.which("tesseract") is not None
DPI = 200


@pytest.fixture(scope="module")
def budget_block():
    """The seed's budget block rendered at 200 dpi: the image (cropped to the block) and the
    text layer's cells in it (box in the crop's pixels, cleaned text)."""
    pdf_path = SAMPLES / "seed.pdf"
    with pdfplumber.open(pdf_path) as pdf:
        table = next(i for i in read_page(pdf.pages[0], TABLE_SETTINGS) if hasattr(i, "cells"))
    cells = [c for c in table.cells if 1 <= c.row <= 6 and c.col >= 1 and clean_text(c.text)]
    page = next(iter(render_pdf_pages(pdf_path, [1], DPI)))
    s = page.scale
    x0 = min(c.bbox[0] for c in cells) * s - 10
    y0 = min(c.bbox[1] for c in cells) * s - 10
    x1 = max(c.bbox[2] for c in cells) * s + 10
    y1 = max(c.bbox[3] for c in cells) * s + 10
    image = page.image[int(y0):int(y1), int(x0):int(x1)].copy()
    boxes = [(c.bbox[0] * s - x0, c.bbox[1] * s - y0, c.bbox[2] * s - x0, c.bbox[3] * s - y0)
             for c in cells]
    return image, boxes, [clean_text(c.text) for c in cells]


def _check_reading(engine: OcrEngine, budget_block, min_right: float):
    image, boxes, texts = budget_block
    read = engine.read_page(image, boxes)
    assert isinstance(read, PageText) and len(read.cells) == len(boxes)
    assert read.engine_seconds > 0
    # compared after the character confusions (engines write ASCII brackets for （）)
    confuse = Repairer().confuse
    got = [clean_text(confuse("".join(ln.text for ln in lines)).text) for lines in read.cells]
    right = sum(g == t for g, t in zip(got, texts))
    assert right >= min_right * len(texts), list(zip(texts, got))
    for lines, (bx0, by0, bx1, by1) in zip(read.cells, boxes):
        for line in lines:
            cx, cy = (line.box[0] + line.box[2]) / 2, (line.box[1] + line.box[3]) / 2
            assert bx0 - 1 <= cx <= bx1 + 1 and by0 - 1 <= cy <= by1 + 1
            assert 0.0 <= line.confidence <= 1.0


def test_rapidocr_reads_the_cells(budget_block):
    engine = get_engine("rapidocr")
    assert isinstance(engine, RapidOcrEngine) and isinstance(engine, OcrEngine)
    assert re.fullmatch(r"rapidocr \d+\.\d+\.\d+ PP-OCRv\d+ small", engine.describe())
    _check_reading(engine, budget_block, 1.0)


@pytest.mark.skipif(not HAS_TESSERACT, reason="tesseract not installed (.ci/run installs it)")
def test_tesseract_reads_the_cells_in_one_process(budget_block, monkeypatch):
    engine = get_engine("tesseract")
    assert isinstance(engine, TesseractEngine)
    assert re.fullmatch(r"tesseract \d+\.\d+(\.\d+)? chi_sim", engine.describe())
    calls = []
    real = engine._data
    monkeypatch.setattr(engine, "_data", lambda source, psm: calls.append(source) or real(source, psm))
    _check_reading(engine, budget_block, 0.75)  # chi_sim's small model slips on some labels
    # one tesseract run for all the cell crops (a list file), one for the rest of the page
    assert len(calls) == 2 and calls[0].endswith("list.txt")


def test_engines_by_name():
    assert DEFAULT_ENGINE in ENGINES and set(ENGINES) == {"rapidocr", "tesseract"}
    assert get_engine() is get_engine(DEFAULT_ENGINE)  # built once, reused
    assert get_engine("RapidOCR") is get_engine("rapidocr")
    with pytest.raises(OcrEngineError, match="unknown OCR engine"):
        get_engine("abbyy")


def test_rapidocr_models_ship_in_the_wheel_and_nothing_is_downloaded(monkeypatch):
    import rapidocr
    from rapidocr.utils import download_file

    def no_download(*args, **kwargs):
        raise AssertionError("rapidocr tried to download a file")

    monkeypatch.setattr(download_file.DownloadFile, "run", classmethod(no_download))
    engine = RapidOcrEngine({"text_score": 0.31})  # a new instance: its models load now
    models = Path(rapidocr.__file__).parent / "models"
    assert (models / "PP-OCRv6_det_small.onnx").is_file() and (models / "PP-OCRv6_rec_small.onnx").is_file()
    img = np.full((120, 400), 255, np.uint8)
    assert engine.read_lines(img) == []
    # the recognition model carries its character list: no dictionary file is fetched either
    rec = engine._detector_pipeline()._load_rec_model()
    assert rec.session.have_key()
    # and our own recogniser reads the same list: CTC's blank, the model's characters, a space
    assert engine._rec.classes[1:-1] == rec.session.get_character_list()
    assert engine._rec.classes[0] == "" and engine._rec.classes[-1] == " "


def test_the_recogniser_reads_as_rapidocrs_own(budget_block):
    """LineRecogniser runs the recognition model without rapidocr's pipeline: on the same crops
    (a batch of lines of similar width, and single small crops scaled up first) it gives exactly
    the text and score rapidocr's recogniser gives."""
    import cv2
    from rapidocr.ch_ppocr_rec.typings import TextRecInput

    image, boxes, texts = budget_block
    engine = RapidOcrEngine()
    reference = engine._detector_pipeline()
    crops = [cv2.cvtColor(image[int(y0) + 2:int(y1) - 1, int(x0) + 2:int(x1) - 1], cv2.COLOR_GRAY2BGR)
             for x0, y0, x1, y1 in boxes]
    crops = sorted(crops, key=lambda c: c.shape[1] / c.shape[0])
    for start in range(0, len(crops), 6):
        batch = crops[start:start + 6]
        theirs = reference._load_rec_model()(TextRecInput(img=batch, return_word_box=False))
        assert engine._rec.read(batch) == list(zip(theirs.txts, theirs.scores))
    read = [engine._rec.read_one(c) for c in crops]
    assert sum(t.strip() != "" for t, _ in read) >= len(texts) - 1
    # small crops: a strip of a line (under 30 px high), scaled up before reading
    for crop in crops[:8]:
        strip = crop[crop.shape[0] // 4: crop.shape[0] // 4 + 20, :]
        theirs = reference(strip, use_det=False, use_cls=False, use_rec=True, return_word_box=False)
        assert engine._rec.read_one(strip) == (theirs.txts[0], theirs.scores[0])


def test_the_recogniser_threads_sleep_and_any_thread_count_reads_alike(budget_block):
    """onnxruntime's waiting threads do not spin (a third of the recogniser's CPU on 2 cores,
    docs/ocr.md), and the thread count changes no score, bit for bit."""
    from perfdecl.extract.ocr.recogniser import LineRecogniser

    image, boxes, _ = budget_block
    engine = RapidOcrEngine()
    options = engine._rec.session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    crops = [image[int(y0) + 2:int(y1) - 1, int(x0) + 2:int(x1) - 1] for x0, y0, x1, y1 in boxes]
    batches = [crops[k:k + 3] for k in range(0, len(crops), 3)]
    one = LineRecogniser(engine._rec_path, min_width=320, threads=1)
    two = LineRecogniser(engine._rec_path, min_width=320, threads=2)
    assert [one.read(batch) for batch in batches] == [two.read(batch) for batch in batches] \
        == [engine._rec.read(batch) for batch in batches]


def test_the_recogniser_keeps_its_memory_arena_and_reads_as_without_one(budget_block):
    """The recogniser's session reuses onnxruntime's memory arena (recognition about 7-10 %
    faster, docs/ocr.md); a session without it gives every score bit for bit the same."""
    import onnxruntime as ort

    from perfdecl.extract.ocr.recogniser import LineRecogniser

    image, boxes, _ = budget_block
    engine = RapidOcrEngine()
    assert engine._rec.session.get_session_options().enable_cpu_mem_arena is True
    without = LineRecogniser(engine._rec_path, min_width=320)
    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False
    without.session = ort.InferenceSession(str(engine._rec_path), options,
                                           providers=["CPUExecutionProvider"])
    assert without.session.get_session_options().enable_cpu_mem_arena is False
    crops = [image[int(y0) + 2:int(y1) - 1, int(x0) + 2:int(x1) - 1] for x0, y0, x1, y1 in boxes]
    batches = [crops[k:k + 4] for k in range(0, len(crops), 4)]
    read = [engine._rec.read(batch) for batch in batches]
    assert sum(len(r) for r in read) == len(crops)
    assert [without.read(batch) for batch in batches] == read


def test_lines_are_assigned_to_cells_by_centre():
    cells = [(0, 0, 100, 50), (100, 0, 300, 50), (0, 50, 300, 120)]
    lines = [OcrLine("a", (10, 10, 60, 40), 0.9),
             OcrLine("b", (90, 10, 160, 40), 0.8),   # crosses the rule; centre in cell 1
             OcrLine("c", (20, 60, 280, 90), 0.95),
             OcrLine("title", (0, -80, 300, -40), 0.99)]
    page = assign_to_cells(lines, cells)
    assert [[ln.text for ln in c] for c in page.cells] == [["a"], ["b"], ["c"]]
    assert [ln.text for ln in page.loose] == ["title"]


def test_a_line_over_a_rule_is_cut_between_its_glyphs():
    # a wrapped name's last line and the value beside it, taken by the detector for one line
    cells = [(0, 0, 100, 50), (100, 0, 300, 50)]
    glyphs = (("覆", (10, 10, 30, 40)), ("盖", (30, 10, 50, 40)), ("率", (52, 10, 74, 40)),
              ("9", (110, 10, 120, 40)), ("0", (120, 10, 130, 40)), ("%", (130, 10, 142, 40)),
              ("以", (146, 10, 170, 40)), ("上", (174, 10, 196, 40)))
    page = assign_to_cells([OcrLine("覆盖率90%以上", (8, 10, 198, 40), 0.9, glyphs)], cells)
    assert [[(ln.text, ln.box, ln.confidence) for ln in c] for c in page.cells] == [
        [("覆盖率", (10, 10, 74, 40), 0.9)], [("90%以上", (110, 10, 196, 40), 0.9)]]
    # Latin words apart by more than half the line height keep their space
    glyphs = (("覆盖率", (10, 10, 74, 40)), ("GDP", (110, 10, 150, 40)), ("per", (170, 10, 200, 40)))
    page = assign_to_cells([OcrLine("覆盖率GDP per", (10, 10, 200, 40), 0.8, glyphs)], cells)
    assert [[ln.text for ln in c] for c in page.cells] == [["覆盖率"], ["GDP per"]]
    # a title running over a "grid" of its own strokes (glyphs outside every cell): not cut, and
    # it goes where its centre lies
    glyphs = (("年", (-60, 10, -30, 40)), ("度", (60, 10, 90, 40)), ("项", (110, 10, 140, 40)),
              ("目", (320, 10, 350, 40)))
    title = OcrLine("年度项目", (-60, 10, 350, 40), 0.9, glyphs)
    page = assign_to_cells([title], cells)
    assert page.cells[1] == [title] and page.cells[0] == [] and page.loose == []
    # all glyphs in one cell: the line as read, untouched
    line = OcrLine("覆盖率", (10, 10, 74, 40), 0.9, glyphs=(("覆盖率", (10, 10, 74, 40)),))
    assert assign_to_cells([line], cells).cells[0] == [line]


def test_rapidocr_gives_glyph_boxes_in_reading_order(budget_block):
    image, _, _ = budget_block
    lines = get_engine("rapidocr").read_lines(image)
    assert lines
    for line in lines:
        # one glyph box per character (a Latin or digit run may be one word), left to right,
        # inside the line's box
        assert "".join(t for t, _ in line.glyphs).replace(" ", "") == line.text.replace(" ", "")
        lefts = [b[0] for _, b in line.glyphs]
        assert lefts == sorted(lefts)
        assert line.box[0] - 2 <= lefts[0] and line.glyphs[-1][1][2] <= line.box[2] + 2


def _cell_with_text(lines: list[tuple[str, int, int]], px: int = 28) -> np.ndarray:
    """A ruled cell (400 x 160 px) with texts drawn at (x, y) in the WenQuanYi font."""
    from PIL import Image, ImageDraw, ImageFont

    font = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    if not font.exists():
        pytest.skip("fonts-wqy-zenhei not installed (.ci/run installs it)")
    im = Image.new("L", (400, 160), 255)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, 399, 159), outline=0, width=2)
    for text, x, y in lines:
        draw.text((x, y), text, font=ImageFont.truetype(str(font), px), fill=0)
    return np.asarray(im)


def _ink_box(img: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> tuple[float, ...]:
    ys, xs = np.nonzero(img[y0:y1, x0:x1] < 128)
    return (float(x0 + xs.min()), float(y0 + ys.min()), float(x0 + xs.max() + 1), float(y0 + ys.max() + 1))


def test_a_mark_the_detector_left_out_at_a_line_start_is_read_again():
    engine = get_engine("rapidocr")
    img = _cell_with_text([("生产生活条件", 6, 20), ("，持续深化", 6, 60)])
    cell = (0.0, 0.0, 400.0, 160.0)
    first = OcrLine("生产生活条件", _ink_box(img, 3, 15, 397, 55), 0.99)
    # the second line as the detector boxed it: from 持, the comma left outside
    words = _ink_box(img, 3, 55, 397, 100)
    second = OcrLine("持续深化", (words[0] + 28, words[1], words[2], words[3]), 0.99)
    fixed = engine._with_edge_marks(img, second, cell, [first, second])
    assert fixed.text == "，持续深化" and fixed.box[0] < second.box[0]
    assert engine._with_edge_marks(img, first, cell, [first, second]) is first


def test_a_mark_wrapped_alone_onto_its_own_line_is_found():
    engine = get_engine("rapidocr")
    img = _cell_with_text([("给予补贴", 6, 20), ("。", 6, 56)])
    cell = (0.0, 0.0, 400.0, 160.0)
    line = OcrLine("给予补贴", _ink_box(img, 3, 15, 397, 55), 0.99)
    (mark,) = engine._lone_marks(img, cell, [line])
    assert mark.text == "。" and mark.box[1] > line.box[3]
    # a digit (full height) or a speck under a line is no mark
    img = _cell_with_text([("给予补贴", 6, 20), ("0", 6, 56)])
    assert engine._lone_marks(img, cell, [line]) == []
    img = _cell_with_text([("给予补贴", 6, 20)]).copy()
    img[75:77, 10:12] = 0
    assert engine._lone_marks(img, cell, [line]) == []
