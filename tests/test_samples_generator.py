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
import unicodedata
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
ALL = G.sample_names()
SPECS = {n: G.load(G.DATA / f"{n}.json") for n in ALL}
# samples whose expected outcome is an error (no form in the file), and those with a document
ERRORS = [n for n in ALL if "error" in SPECS[n]]
NAMES = [n for n in ALL if n not in ERRORS]
REPORTLAB = [n for n in ALL if SPECS[n].get("producer", "reportlab") == "reportlab"]
# samples drawn from grid data (every producer but "xlsx", which prints a real spreadsheet file)
GRIDDED = [n for n in ALL if SPECS[n].get("producer", "reportlab") != "xlsx"]
XLSX = [n for n in ALL if SPECS[n].get("producer") == "xlsx"]


def expected(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))


def squash(text: str | None) -> str:
    # Chromium may write a CJK radical code point for a unified ideograph (⽬ for 目): compare the
    # ideographs (NFKC of the Kangxi radicals block is the ideograph)
    text = re.sub(r"[\u2f00-\u2fdf]", lambda m: unicodedata.normalize("NFKC", m.group()), text or "")
    return re.sub(r"\s+", "", text)


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
    """Each form spans consecutive pages, forms follow in page order and cover every page. Forms
    cut from one list table may share a page (one ends and the next begins on it)."""
    doc = expected(name)
    seen: list[int] = []
    for form in doc["forms"]:
        assert form["pages"] == list(range(form["pages"][0], form["pages"][-1] + 1))
        if seen:
            assert form["pages"][0] in (seen[-1], seen[-1] + 1)
        seen += [n for n in form["pages"] if not seen or n > seen[-1]]
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


def _text_layer(name: str) -> set[str]:
    """Every table cell and text line of the sample's PDF, whitespace removed."""
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
    return got


@pytest.mark.parametrize("name", GRIDDED)
def test_text_layer_holds_every_cell(name):
    want = []
    for form in SPECS[name]["forms"]:
        grid = G.parse_grid(G.load(G.DATA / "forms" / f"{form}.json"))
        want.append(squash(grid.title))
        want += [squash(c.text) for c in grid.cells if c.text.strip()]
    got = _text_layer(name)
    assert [w for w in want if w not in got] == []


def _displayed(cell) -> str:
    """A spreadsheet cell's value as Excel displays it (the number formats the real files use)."""
    value, fmt = cell.value, cell.number_format
    if isinstance(value, str) and value.startswith("="):
        return ""  # a formula: its value is checked through the expected JSON
    if isinstance(value, (int, float)):
        if fmt == "0.00":
            return f"{value:.2f}"
        if fmt == "0%":
            return f"{value * 100:.0f}%"
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


@pytest.mark.parametrize("name", XLSX)
def test_text_layer_holds_every_spreadsheet_cell(name):
    """A real XLSX printed by LibreOffice: every displayed cell value is in the PDF's text layer
    (the file is in ../shared/real, beside the repository; skipped where it is not)."""
    openpyxl = pytest.importorskip("openpyxl")
    src = G.real_file(SPECS[name])
    if not src.exists():
        pytest.skip(f"{src} not here")
    ws = openpyxl.load_workbook(src).active
    want = [squash(_displayed(c)) for row in ws.iter_rows() for c in row if c.value is not None]
    got = _text_layer(name)
    text = "".join(sorted(got))
    missing = [w for w in want if w and w not in got and w not in text]
    assert missing == []


@pytest.mark.parametrize("name", ERRORS)
def test_error_samples_expect_an_error_not_a_document(name):
    path = SAMPLES / f"{name}.expected-error.json"
    assert json.loads(path.read_text(encoding="utf-8")) == SPECS[name]["error"]
    assert SPECS[name]["error"]["code"] == "no_form_found"
    assert not (SAMPLES / f"{name}.expected.json").exists()
    assert (SAMPLES / f"{name}.pdf").exists()


def _targets(doc: dict):
    for form in doc["forms"]:
        for ind in form["indicators"]:
            for key in ("period_target", "annual_target"):
                if ind[key] is not None:
                    yield ind, key, ind[key]


@pytest.mark.parametrize("name", NAMES)
def test_expected_numbers_agree_with_their_raw_text(name):
    """Hand-written numbers checked against the hand-written raw text: amount = amount_raw,
    normalized_value = value × scale, and every record has its contract fields."""
    doc = expected(name)
    for form in doc["forms"]:
        for b in form["budget"]:
            raw = b["amount_raw"]
            assert (b["amount"] is None) == (raw is None), b
            if raw is not None:
                assert b["amount"] == float(raw.replace(",", "")), b
        for t in form["tasks"]:
            if t["funds_raw"] is not None:
                assert t["funds"] == float(t["funds_raw"].replace(",", "")), t
        for f in form["facts"]:
            if f["raw"] is not None:
                assert f["value"] == float(f["raw"].replace(",", "")), f
    for ind, key, t in _targets(doc):
        if t["kind"] == "numeric":
            assert t["op"] is not None and t["value"] is not None, (ind["name"], key)
            assert t["normalized_value"] == pytest.approx(t["value"] * t["scale"]), (ind["name"], key)
            assert str(t["value"]).rstrip("0").rstrip(".") in t["raw"].replace(",", ""), (ind["name"], key)
        if t["kind"] == "qualitative":
            assert t["direction"] is not None and t["value"] is None, (ind["name"], key)
        if t["kind"] == "text":
            assert t["op"] is None and t["value"] is None and t["direction"] is None, (ind["name"], key)


# columns whose cells hold no part of a value's raw text (contract: a sign column holding 无/定性
# or nothing adds nothing, a unit column holding - adds nothing; 无 there is read the same way)
_NO_TEXT = {"", "无", "定性", "-"}


@pytest.mark.parametrize("name", [n for n in GRIDDED if n in NAMES])
def test_expected_indicators_are_printed_in_the_grid(name):
    """Every expected 三级指标 name is a printed cell, and every target's raw text is a printed
    cell or the sign + value + unit cells of one row joined (≧ read as ≥, the text rules)."""
    doc = expected(name)
    names, values = set(), set()
    for form in SPECS[name]["forms"]:
        grid = G.parse_grid(G.load(G.DATA / "forms" / f"{form}.json"))
        for r in range(grid.n_rows):
            row = [squash(c.text).replace("≧", "≥") for c in sorted(
                (c for c in grid.cells if c.row == r), key=lambda c: c.col)]
            names.update(row)
            values.update(row)
            parts = [c for c in row]
            for i in range(len(parts)):
                for j in range(i + 2, min(i + 3, len(parts)) + 1):
                    values.add("".join(p for p in parts[i:j] if p not in _NO_TEXT))
    for form in doc["forms"]:
        for ind in form["indicators"]:
            assert ind["name"] in names, ind["name"]
    for ind, key, t in _targets(doc):
        assert t["raw"] in values, (ind["name"], key, t["raw"])


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


def test_font_samples_are_drawn_in_their_faces():
    """The serif, sans and heiti samples embed their own face (a fake-bold title adds a second
    resource of it, `…,Bold`); a stroked title is drawn in text render mode 2 (fill and stroke)."""
    from pypdf import PdfReader

    want = {"project_approval_serif": ("UMingCN-0", 24, True),
            "project_sign_unit_sans": ("WenQuanYiMicroHei-0", 20, False),
            "project_long_annual_heiti": ("WenQuanYiZenHei-0", 28, True),
            "seed": ("WenQuanYiZenHei-0", 20, False)}
    for name, (face, size, stroked) in want.items():
        with pdfplumber.open(SAMPLES / f"{name}.pdf") as pdf:
            chars = pdf.pages[0].chars
        assert {c["fontname"].split("+")[1].removesuffix(",Bold") for c in chars} == {face}, name
        assert round(max(c["size"] for c in chars)) == size, name
        content = PdfReader(SAMPLES / f"{name}.pdf").pages[0].get_contents().get_data()
        assert (b" 2 Tr" in content) == stroked, name
    assert G.DEFAULTS["title_stroke"] == 0.0 and G.DEFAULTS["font"] == "heiti"


def test_title_is_fake_bold_from_a_second_font_resource():
    with pdfplumber.open(SAMPLES / "seed.pdf") as pdf:
        chars = [c for c in pdf.pages[0].chars if c["text"] == "部" and c["size"] > 15]
    assert len(chars) == 2
    assert len({c["fontname"] for c in chars}) == 2
    assert 0.2 < abs(chars[0]["x0"] - chars[1]["x0"]) < 0.5


@pytest.mark.parametrize("name", REPORTLAB)
def test_generator_is_deterministic(name, tmp_path):
    pytest.importorskip("reportlab")
    font_file, _, _, package = G.FONTS[SPECS[name].get("font", "heiti")]
    if not Path(font_file).exists():
        pytest.skip(f"{font_file} not installed (Debian: {package})")
    G.build(name, tmp_path)
    assert (tmp_path / f"{name}.pdf").read_bytes() == (SAMPLES / f"{name}.pdf").read_bytes()
    out = f"{name}.expected-error.json" if name in ERRORS else f"{name}.expected.json"
    assert (tmp_path / out).read_text(encoding="utf-8") == (SAMPLES / out).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [n for n in GRIDDED if n in NAMES])
def test_expected_texts_are_printed_in_the_grid(name):
    """Header fields, budget labels and amounts, goals, facts and tasks of the expected forms are
    printed cells (a label may carry its unit in brackets, `项目资金（万元）`)."""
    cells = set()
    for form in SPECS[name]["forms"]:
        grid = G.parse_grid(G.load(G.DATA / "forms" / f"{form}.json"))
        cells.add(squash(grid.title))
        for c in grid.cells:
            text = squash(c.text)
            cells.add(text)
            cells.add(re.sub(r"（[^（）]*）$", "", text))
    for form in expected(name)["forms"]:
        want = [form["title"], form["department"], form["project_name"], form["overall_goal"],
                *form["goals"], *form["goals"].values()]
        for b in form["budget"]:
            want += [b["item"], b["amount_raw"]]
        for f in form["facts"]:
            want += [f["group"], f["item"], f["raw"]]
        for t in form["tasks"]:
            want += [t["name"], t["content"], t["funds_raw"], t["expected_goal"]]
        for ind in form["indicators"]:
            want += [*ind["extra"], *ind["extra"].values()]
        assert [w for w in want if w is not None and squash(w) not in cells] == []


def test_list_table_gives_one_form_per_project():
    doc = expected("project_list_table")
    assert [f["project_name"] for f in doc["forms"]] == [
        "劳动人事争议仲裁办案经费", "社会保险经办服务能力建设", "高层次人才引进补贴", "零就业家庭就业援助"]
    assert {f["title"] for f in doc["forms"]} == {"2024年度绩效目标表"}
    assert [f["pages"] for f in doc["forms"]] == [[1], [1, 2], [2], [2]]


def test_producers_of_the_new_samples():
    """The PDFs really come from the producers they stand for."""
    def producer(name):
        with pdfplumber.open(SAMPLES / f"{name}.pdf") as pdf:
            return str(pdf.metadata.get("Producer", "")) + " " + str(pdf.metadata.get("Creator", ""))

    assert "Skia" in producer("department_html")
    for name in ("department_word", "wuhan_2020_libreoffice", "yuzhong_2021_libreoffice"):
        assert "LibreOffice" in producer(name), name
    with pdfplumber.open(SAMPLES / "department_word.pdf") as pdf:
        assert "Writer" in str(pdf.metadata.get("Creator", ""))
    with pdfplumber.open(SAMPLES / "project_list_table.pdf") as pdf:
        page = pdf.pages[0]
        assert page.width > page.height  # landscape
        # the column header is repeated at the top of page 2
        assert "单位名称" in pdf.pages[1].extract_text()
