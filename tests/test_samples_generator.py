"""Checks of the committed sample PDFs and their expected JSON (samples/generate.py).

These tests do not run the extractor: they check that each expected document describes its PDF
(`source`, `pages`), that the PDF's text layer holds every cell of the form data, that the page-break
features the samples exist for are really drawn, and that the generator is deterministic.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pdfplumber
import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _generator():
    spec = importlib.util.spec_from_file_location("samples_generate", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


G = _generator()
NAMES = G.sample_names()
REPORTLAB = [n for n in NAMES if G.load(G.DATA / f"{n}.json").get("producer", "reportlab") == "reportlab"]


def expected(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))


def squash(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


@pytest.mark.parametrize("name", NAMES)
def test_source_describes_the_pdf(name):
    doc = expected(name)
    pdf = SAMPLES / f"{name}.pdf"
    assert doc["schema_version"] == "1"
    assert doc["source"]["file"] == pdf.name
    assert doc["source"]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert doc["source"]["method"] == "text" and doc["source"]["ocr_engine"] is None
    with pdfplumber.open(pdf) as p:
        assert doc["source"]["page_count"] == len(p.pages)


@pytest.mark.parametrize("name", NAMES)
def test_forms_cover_the_pages_in_order(name):
    doc = expected(name)
    seen: list[int] = []
    for form in doc["forms"]:
        assert form["pages"] == list(range(form["pages"][0], form["pages"][-1] + 1))
        seen += form["pages"]
    assert seen == list(range(1, doc["source"]["page_count"] + 1))
    for w in doc["warnings"]:
        assert w["page"] in seen


@pytest.mark.parametrize("name", NAMES)
def test_expected_is_a_valid_document_without_provenance(name):
    from perfdecl.models.document import Document

    doc = expected(name)
    Document.model_validate(doc)
    for form in doc["forms"]:
        for key in ("budget", "tasks", "indicators"):
            for row in form[key]:
                assert not {"page", "bbox", "confidence"} & set(row), (key, row)


def test_seed_variants_hold_the_same_form():
    def without_pages(form):
        form = copy.deepcopy(form)
        form.pop("pages")
        return form

    seed = expected("seed")
    for name in ("seed_two_pages", "seed_libreoffice", "two_forms"):
        doc = expected(name)
        assert without_pages(doc["forms"][0]) == without_pages(seed["forms"][0]), name
        assert doc["warnings"] == seed["warnings"], name


@pytest.mark.parametrize("name", NAMES)
def test_sum_mismatch_warnings_follow_the_budget(name):
    doc = expected(name)
    want = []
    for form in doc["forms"]:
        budget = {(b["group"], b["item"]): b["amount"] for b in form["budget"]}
        spent = [budget.get(("部门预算支出", k)) for k in ("基本支出", "项目支出")]
        income = [budget.get(("收入来源", k)) for k in ("财政拨款", "其他资金")]
        if None in spent or None in income:
            continue
        if round(sum(spent), 2) != round(sum(income), 2):
            want.append(form["pages"][0])
    got = [w["page"] for w in doc["warnings"] if w["code"] == "sum_mismatch"]
    assert got == want


def _page_chars(page):
    # fake bold overprints the title from a second font resource: dedupe across font names
    return page.dedupe_chars(extra_attrs=("size",))


@pytest.mark.parametrize("name", NAMES)
def test_text_layer_holds_every_cell(name):
    spec = G.load(G.DATA / f"{name}.json")
    want = []
    for form in spec["forms"]:
        grid = G.parse_grid(G.load(G.DATA / "forms" / f"{form}.json"))
        want.append(grid.title)
        want += [squash(c.text) for c in grid.cells if c.text.strip()]
    got = set()
    with pdfplumber.open(SAMPLES / f"{name}.pdf") as pdf:
        for page in pdf.pages:
            p = _page_chars(page)
            # samples drawn with no rule above a continuation page's first row: give pdfplumber
            # that rule (where the vertical rules start) so the row is found
            tops = [e["top"] for e in p.edges if e["orientation"] == "v"]
            settings = {"explicit_horizontal_lines": [min(tops)]} if tops else {}
            for table in p.find_tables(settings):
                for row in table.extract():
                    got.update(squash(c) for c in row if c)
            got.update(squash(line) for line in p.extract_text().splitlines())
    assert [w for w in want if w not in got] == []


def test_seed_two_pages_break_features():
    with pdfplumber.open(SAMPLES / "seed_two_pages.pdf") as pdf:
        p1, p2 = (_page_chars(p) for p in pdf.pages)
        text1, text2 = p1.extract_text(), p2.extract_text()
        # header row repeated; 效益指标 drawn on the second fragment, 经济效益指标 on the first
        assert "一级指标" in text1 and "一级指标" in text2
        assert "效益指标" not in text1.replace("经济效益指标", "")
        assert "效益指标" in text2.replace("经济效益指标", "").replace("社会效益指标", "").replace("生态效益指标", "")
        assert "经济效益指标" in text1 and "经济效益指标" not in text2
        # no rule above the first row of page 2, vertical rules start there
        top = min(e["top"] for e in p2.edges if e["orientation"] == "v")
        assert not [e for e in p2.edges if e["orientation"] == "h" and abs(e["top"] - top) < 0.5]
        top1 = min(e["top"] for e in p1.edges if e["orientation"] == "v")
        assert [e for e in p1.edges if e["orientation"] == "h" and abs(e["top"] - top1) < 0.5]


def test_title_is_fake_bold_from_a_second_font_resource():
    with pdfplumber.open(SAMPLES / "seed.pdf") as pdf:
        chars = [c for c in pdf.pages[0].chars if c["text"] == "部" and c["size"] > 15]
    assert len(chars) == 2
    assert len({c["fontname"] for c in chars}) == 2
    assert 0.2 < abs(chars[0]["x0"] - chars[1]["x0"]) < 0.5


@pytest.mark.parametrize("name", REPORTLAB)
def test_generator_is_deterministic(name, tmp_path):
    pytest.importorskip("reportlab")
    G.build(name, tmp_path)
    assert (tmp_path / f"{name}.pdf").read_bytes() == (SAMPLES / f"{name}.pdf").read_bytes()
    assert (tmp_path / f"{name}.expected.json").read_text(encoding="utf-8") == (
        SAMPLES / f"{name}.expected.json"
    ).read_text(encoding="utf-8")
