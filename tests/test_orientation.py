"""Pages whose text runs sideways or upside down are read turned upright; provenance stays on
the page as displayed."""

import json
from collections import Counter

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter

import perfdecl
from perfdecl.extract.orientation import Turn, _turn_box, text_turn, to_page_box

from samplecases import SAMPLES, strip_provenance


def _char(text, a, b):
    return {"text": text, "matrix": (a, b, -b, a, 0, 0)}


@pytest.mark.parametrize("baseline, turn", [
    ((10, 0), 0),      # left to right: upright
    ((0, -10), 270),   # running down the displayed page: turned a quarter clockwise to read
    ((-10, 0), 180),   # upside down
    ((0, 10), 90),     # running up
])
def test_text_turn_from_the_glyph_baselines(baseline, turn):
    assert text_turn([_char("字", *baseline)] * 5 + [_char(" ", 10, 0)] * 9) == turn


def test_a_few_rotated_labels_do_not_turn_the_page():
    chars = [_char("字", 10, 0)] * 6 + [_char("标", 0, 10)] * 4
    assert text_turn(chars) == 0
    assert text_turn([_char("标", 0, 10)] * 6 + [_char("字", 10, 0)] * 4) == 90
    assert text_turn([]) == 0


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_box_turned_and_mapped_back_is_the_same_box(degrees):
    turn = Turn(degrees, x0=5.0, top=7.0, width=600.0, height=800.0)
    box = (100.0, 200.0, 300.0, 220.0)
    local = (box[0] - 5, box[1] - 7, box[2] - 5, box[3] - 7)
    assert to_page_box(_turn_box(local, degrees, 600.0, 800.0), turn) == box


def _turned_copy(name, tmp_path, degrees, pages=None):
    reader, writer = PdfReader(SAMPLES / f"{name}.pdf"), PdfWriter()
    for i, page in enumerate(reader.pages):
        if pages is None or i in pages:
            page.rotate(degrees)  # the viewer shows it turned: the text runs sideways
        writer.add_page(page)
    out = tmp_path / f"{name}_{degrees}.pdf"
    with out.open("wb") as fh:
        writer.write(fh)
    return out


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_turned_form_gives_the_same_records(tmp_path, degrees):
    path = _turned_copy("seed", tmp_path, degrees)
    doc = json.loads(perfdecl.convert(path, ocr="never").model_dump_json())
    expected = json.loads((SAMPLES / "seed.expected.json").read_text(encoding="utf-8"))
    doc["source"] = expected["source"]
    assert strip_provenance(doc) == strip_provenance(expected)
    # each row's box, on the page as displayed (turned), holds the row's characters
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        for ind in doc["forms"][0]["indicators"]:
            have = Counter(c["text"] for c in page.within_bbox(ind["bbox"]).chars)
            need = Counter(ch for ch in ind["name"] if ch.strip())
            assert not need - have, ind["name"]
            x0, top, x1, bottom = ind["bbox"]
            # a row is wide on the upright form: tall on a page turned a quarter
            assert ((bottom - top) > (x1 - x0)) == (degrees in (90, 270))


def test_a_table_going_on_from_an_upright_page_to_a_turned_one(tmp_path):
    path = _turned_copy("seed_two_pages", tmp_path, 270, pages={1})
    doc = json.loads(perfdecl.convert(path, ocr="never").model_dump_json())
    expected = json.loads((SAMPLES / "seed_two_pages.expected.json").read_text(encoding="utf-8"))
    doc["source"] = expected["source"]
    assert strip_provenance(doc) == strip_provenance(expected)
    upright = perfdecl.convert(SAMPLES / "seed_two_pages.pdf", ocr="never")
    pairs = list(zip(upright.forms[0].indicators, doc["forms"][0]["indicators"]))
    assert all(a.bbox == tuple(b["bbox"]) for a, b in pairs if a.page == 1)  # page 1 untouched
    assert all(a.bbox != tuple(b["bbox"]) for a, b in pairs if a.page == 2)
