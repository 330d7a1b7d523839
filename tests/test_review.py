"""--format review: the review page per file and the batch's index, tested as a person sees them
in a real headless Chromium driven by Selenium (tests/browser.py): loads without a console error, one box per
record, a click on a row selects its box (checked in the screenshot's pixels), a click on a box
selects its row, keyboard navigation, layout at 1,366 px and on a phone; plus bytes, size and
escaping."""

import json
import re
import shutil

import pytest

from perfdecl.cli import main
from perfdecl.errors import ExitCode
from perfdecl.models import Document
from perfdecl.review import review_html, write_review

from browser import Browser, require_chromium
from samplecases import SAMPLES

# box colours of the page's CSS (status) and of the selected box
FINE, WARNING, SELECTED = (0x1a, 0x8f, 0x47), (0xd9, 0x77, 0x00), (0x00, 0x38, 0xff)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    src = root / "in"
    src.mkdir()
    for name in ("seed", "zhanjiang_2024", "staff_list"):
        shutil.copy(SAMPLES / f"{name}.pdf", src / f"{name}.pdf")
    out = root / "out"
    code = main(["convert", str(src), "-o", str(out), "--format", "json,review", "-q", "-j", "1"])
    assert code == ExitCode.no_form_found  # staff_list.pdf
    return out


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    b = Browser(1366, 768)
    yield b
    b.close()


def _records(doc: dict) -> int:
    return sum(len(f[k]) for f in doc["forms"] for k in ("budget", "tasks", "indicators"))


def _count_colour(image, rect, colour, tolerance=60, margin=3) -> int:
    """Pixels within `rect` (x, y, width, height in CSS px; the screenshot is 1:1) near `colour`."""
    x0, y0 = max(0, int(rect[0]) - margin), max(0, int(rect[1]) - margin)
    x1 = min(image.width, int(rect[0] + rect[2]) + margin + 1)
    y1 = min(image.height, int(rect[1] + rect[3]) + margin + 1)
    px = image.load()
    return sum(1 for x in range(x0, x1) for y in range(y0, y1)
               if all(abs(a - b) <= tolerance for a, b in zip(px[x, y], colour)))


def _rect(browser, selector):
    return browser.js(f"(function(){{var r=document.querySelector({json.dumps(selector)})"
                      f".getBoundingClientRect();return [r.left,r.top,r.width,r.height];}})()")


def _selected(browser):
    return browser.js("[Array.from(document.querySelectorAll('rect.box.selected')).map(e=>e.id),"
                      "Array.from(document.querySelectorAll('tr.rec[aria-selected=true]')).map(e=>e.id)]")


def test_batch_writes_a_page_per_file_and_an_index(out):
    assert sorted(p.name for p in (out / "review").iterdir()) == ["index.html", "seed.html",
                                                                   "zhanjiang_2024.html"]
    html = (out / "review" / "seed.html").read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # offline: nothing fetched
    assert len(re.findall(r'<img src="data:image/webp;base64,', html)) == 1
    doc = json.loads((out / "seed.json").read_bytes())
    assert html.count('<rect id="b-') == _records(doc) == 32


def test_rerun_writes_the_same_bytes(out, tmp_path):
    before = {p.name: p.read_bytes() for p in (out / "review").iterdir()}
    main(["convert", str(out.parent / "in"), "-o", str(out), "--format", "json,review", "-q", "-j", "1"])
    assert {p.name: p.read_bytes() for p in (out / "review").iterdir()} == before
    doc = Document.model_validate_json((out / "seed.json").read_bytes())
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    write_review(doc, SAMPLES / "seed.pdf", a)
    write_review(doc, SAMPLES / "seed.pdf", b)
    assert a.read_bytes() == b.read_bytes() == before["seed.html"]


def test_thirty_pages_stay_under_three_megabytes(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for _ in range(10):
        for page in PdfReader(SAMPLES / "zhanjiang_2024.pdf").pages:
            writer.add_page(page)
    pdf = tmp_path / "long.pdf"
    with pdf.open("wb") as fh:
        writer.write(fh)
    doc = Document.model_validate_json((SAMPLES / "zhanjiang_2024.expected.json").read_bytes())
    doc.source.page_count = 30
    html = write_review(doc, pdf, tmp_path / "long.html").read_bytes()
    assert html.count(b'<img src="data:image/webp') == 30
    assert len(html) < 3_000_000, len(html)


HOSTILE_NAME = '<img src=x onerror="alert(1)">指标'
HOSTILE_DEPARTMENT = "</script><script>alert(2)</script>部门"


def _hostile_doc() -> Document:
    doc = Document.model_validate_json((SAMPLES / "seed.expected.json").read_bytes())
    form = doc.forms[0]
    form.department = HOSTILE_DEPARTMENT
    form.indicators[0].name = HOSTILE_NAME
    form.indicators[0].page = 1
    form.indicators[0].bbox = (100.0, 100.0, 300.0, 120.0)
    doc.warnings[0].message = "<b onmouseover=alert(3)>x</b>"
    return doc


def test_text_is_escaped():
    html = review_html(_hostile_doc(), [])
    assert "<img src=x" not in html and "<script>alert" not in html and "<b onmouseover" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;指标" in html


def test_page_loads_with_one_box_per_record_and_no_error(out, browser):
    for stem in ("seed", "zhanjiang_2024"):
        browser.open((out / "review" / f"{stem}.html").as_uri())
        assert browser.errors() == []
        doc = json.loads((out / f"{stem}.json").read_bytes())
        boxes = browser.js("Array.from(document.querySelectorAll('rect.box')).map(b=>b.id.slice(2))")
        rows = browser.js("Array.from(document.querySelectorAll('tr.rec')).map(r=>r.dataset.key)")
        assert len(boxes) == len(rows) == _records(doc)
        assert sorted(boxes) == sorted(rows)
        # every box lies on its page's image
        assert browser.js("Array.from(document.querySelectorAll('rect.box')).every(function(b){"
                          "var r=b.getBoundingClientRect(), s=b.closest('.sheet').getBoundingClientRect();"
                          "return r.width>0 && r.left>=s.left-1 && r.right<=s.right+1 && r.top>=s.top-1 "
                          "&& r.bottom<=s.bottom+1;})") is True


def test_statuses_and_warning_links(out, browser):
    browser.open((out / "review" / "seed.html").as_uri())
    counts = browser.js("Object.fromEntries(Array.from(document.querySelectorAll('[data-count]'))"
                        ".map(e=>[e.dataset.count, Number(e.textContent)]))")
    assert counts == {"warning": 4, "low": 0, "repair": 0, "fine": 28}
    assert browser.js("Array.from(document.querySelectorAll('rect.box.st-warning')).map(b=>b.id)") == [
        "b-0-budget-0", "b-0-budget-1", "b-0-budget-2", "b-0-budget-3"]
    assert browser.js("Array.from(document.querySelectorAll('#warnings li a')).map(a=>[a.textContent,"
                      "a.getAttribute('href')])") == [
        ["基本支出", "#r-0-budget-0"], ["项目支出", "#r-0-budget-1"], ["财政拨款", "#r-0-budget-2"],
        ["其他资金", "#r-0-budget-3"]]


def test_click_row_highlights_its_box_in_the_screenshot(out, browser):
    browser.viewport(1366, 768)
    browser.open((out / "review" / "seed.html").as_uri())
    browser.js("document.querySelector('#page-1').scrollIntoView()")
    key = "0-indicators-0"
    box = _rect(browser, f"#b-{key}")
    shot = browser.screenshot()
    # before: the box is drawn in its status colour over the page image, not in the selection's
    assert box[1] >= 0 and box[1] + box[3] <= 768
    perimeter = 2 * (box[2] + box[3])
    assert _count_colour(shot, box, FINE) >= perimeter * 0.8
    assert _count_colour(shot, box, SELECTED) == 0
    # a warned box is drawn in the warning colour
    assert _count_colour(shot, _rect(browser, "#b-0-budget-2"), WARNING) >= 50
    browser.js(f"document.getElementById('r-{key}').scrollIntoView({{block:'center'}})")
    row = _rect(browser, f"#r-{key}")
    browser.click(row[0] + 30, row[1] + row[3] / 2)
    assert _selected(browser) == [[f"b-{key}"], [f"r-{key}"]]
    box = _rect(browser, f"#b-{key}")
    assert 0 <= box[1] and box[1] + box[3] <= 768  # scrolled into view
    shot = browser.screenshot()
    assert _count_colour(shot, box, SELECTED) >= perimeter
    assert browser.errors() == []


def test_click_box_selects_its_row(out, browser):
    browser.viewport(1366, 768)
    browser.open((out / "review" / "zhanjiang_2024.html").as_uri())
    key = "0-indicators-5"
    browser.js(f"document.getElementById('b-{key}').scrollIntoView({{block:'center'}})")
    box = _rect(browser, f"#b-{key}")
    browser.click(box[0] + box[2] / 2, box[1] + box[3] / 2)
    assert _selected(browser) == [[f"b-{key}"], [f"r-{key}"]]
    assert browser.js("document.activeElement.id") == f"r-{key}"
    row = _rect(browser, f"#r-{key}")
    assert 0 <= row[1] and row[1] + row[3] <= 768  # the row is shown


def test_keyboard_navigation(out, browser):
    browser.viewport(1366, 768)
    browser.open((out / "review" / "seed.html").as_uri())
    browser.key("Tab")  # the first warning's first link
    assert browser.js("document.activeElement.getAttribute('href')") == "#r-0-budget-0"
    browser.key("Enter")
    assert _selected(browser) == [["b-0-budget-0"], ["r-0-budget-0"]]
    assert browser.js("document.activeElement.id") == "r-0-budget-0"
    browser.key("ArrowDown")
    browser.key("j")
    assert _selected(browser) == [["b-0-budget-2"], ["r-0-budget-2"]]
    browser.key("ArrowUp")
    assert browser.js("document.activeElement.id") == "r-0-budget-1"
    browser.key("Tab")  # rows are in the tab order; focusing one selects it
    assert _selected(browser) == [["b-0-budget-2"], ["r-0-budget-2"]]
    browser.key("Escape")
    assert _selected(browser) == [[], []]


@pytest.mark.parametrize("width, height, mobile", [(1366, 768, False), (390, 844, True)])
def test_layout_fits_the_screen(out, browser, width, height, mobile):
    browser.viewport(width, height, mobile)
    browser.open((out / "review" / "zhanjiang_2024.html").as_uri())
    assert browser.js("[document.documentElement.scrollWidth, document.documentElement.clientWidth]") == [width, width]
    pages, records = _rect(browser, ".pages"), _rect(browser, ".records")
    if mobile:  # one column: the records below the pages, each the screen's width
        assert records[1] >= pages[1] + pages[3] - 1
        assert pages[2] <= width and records[2] <= width
    else:  # side by side
        assert pages[0] + pages[2] <= records[0] and records[0] + records[2] <= width
    size = browser.js("parseFloat(getComputedStyle(document.querySelector('td')).fontSize)")
    assert size >= 12
    assert "WenQuanYi Micro Hei" in browser.js("getComputedStyle(document.body).fontFamily")
    browser.viewport(1366, 768)


def test_hostile_text_stays_text_in_the_browser(browser, tmp_path):
    page = write_review(_hostile_doc(), SAMPLES / "seed.pdf", tmp_path / "hostile.html")
    browser.open(page.as_uri())
    assert browser.errors() == []  # no alert dialog, no script error
    assert browser.js("document.querySelectorAll('img').length") == 1  # the page image only
    assert browser.js("document.querySelector('#r-0-indicators-0 td:nth-child(4)').textContent") == HOSTILE_NAME
    assert browser.js("document.querySelector('#b-0-indicators-0 title').textContent") == HOSTILE_NAME
    assert browser.js("document.querySelector('#form-0 dd').textContent") == HOSTILE_DEPARTMENT


def test_index_sorts_and_links(out, browser):
    browser.viewport(1366, 768)
    browser.open((out / "review" / "index.html").as_uri())
    assert browser.errors() == []
    rows = "Array.from(document.querySelectorAll('#files tbody tr')).map(r=>Array.from(r.cells).map(c=>c.textContent))"
    assert browser.js(rows) == [
        ["seed.pdf", "1", "20", "1", "sum_mismatch 1", ""],
        ["staff_list.pdf", "0", "0", "0", "", "no_form_found: no declaration form found (no form title matched)"],
        ["zhanjiang_2024.pdf", "1", "19", "1", "sum_mismatch 1", ""],
    ]
    indicators = _rect(browser, "#files th:nth-child(3) button")
    browser.click(indicators[0] + 5, indicators[1] + 5)
    assert [r[0] for r in browser.js(rows)] == ["staff_list.pdf", "zhanjiang_2024.pdf", "seed.pdf"]
    browser.click(indicators[0] + 5, indicators[1] + 5)
    assert [r[0] for r in browser.js(rows)] == ["seed.pdf", "zhanjiang_2024.pdf", "staff_list.pdf"]
    assert browser.js("document.querySelector('#files th:nth-child(3)').getAttribute('aria-sort')") == "descending"
    link = _rect(browser, "#files tbody tr:nth-child(2) a")
    browser.click(link[0] + 5, link[1] + 5)
    browser.wait_loaded("/zhanjiang_2024.html")
    assert browser.js("document.title") == "zhanjiang_2024.pdf — perfdecl review"
    doc = json.loads((out / "zhanjiang_2024.json").read_bytes())
    assert browser.js("document.querySelectorAll('rect.box').length") == _records(doc)


def test_page_image_input_is_shown_at_its_size(tmp_path):
    """An image input (a scan saved as PNG stating 200 dpi) is its own page image, sized in
    points from its resolution like the OCR stage sizes it (not the A4 stand-in of a page that
    cannot be rendered)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(SAMPLES / "zhanjiang_2024.pdf"))
    image = pdf[0].render(scale=150 / 72, grayscale=True).to_pil()
    pdf.close()
    png = tmp_path / "scan.png"
    image.save(png, dpi=(200, 200))
    doc = Document.model_validate_json((SAMPLES / "zhanjiang_2024.expected.json").read_bytes())
    doc.source.page_count = 1
    html = write_review(doc, png, tmp_path / "scan.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/webp;base64,') == 1
    # PNG stores the resolution in dots per metre: 200 dpi reads back as 199.9994
    [box] = re.findall(r'<svg viewBox="0 0 ([\d.]+) ([\d.]+)"', html)
    assert (image.width, image.height) == (1241, 1754)
    assert float(box[0]) == pytest.approx(1241 * 72 / 200, abs=0.1)  # 446.76
    assert float(box[1]) == pytest.approx(1754 * 72 / 200, abs=0.1)  # 631.44


@pytest.mark.parametrize("codes, confidence, status", [
    ([], None, ["fine"]), ([], 0.95, ["fine"]), ([], 0.5, ["low"]), (["low_ocr_confidence"], 0.9, ["low"]),
    (["ocr_repaired"], 0.9, ["repair"]), (["sum_mismatch"], None, ["warning"]),
    (["low_ocr_confidence", "ocr_repaired", "target_not_numeric"], 0.7, ["warning", "low", "repair"]),
])
def test_record_status(codes, confidence, status):
    from perfdecl.review import record_status

    assert record_status(codes, confidence, 0.8) == status


def test_index_fits_a_phone(out, browser):
    browser.viewport(390, 844, True)
    browser.open((out / "review" / "index.html").as_uri())
    assert browser.js("[document.documentElement.scrollWidth, document.documentElement.clientWidth]") == [390, 390]
    assert browser.js("document.querySelectorAll('#files tbody tr').length") == 3
    browser.viewport(1366, 768)
