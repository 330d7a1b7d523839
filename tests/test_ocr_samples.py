"""Scanned samples through the whole pipeline: field accuracy against the expected JSON (OCR
output is deterministic for a fixed engine version and input), source and provenance of OCR'd
rows, mixed files, image inputs, the three OCR modes, a scanner's own text layer.

The default engine reads every scanned sample; tesseract reads one (it is the slower and the less
accurate here, see docs/ocr.md). Thresholds sit a little under the figures `make accuracy`
measured, so that a small model or library update does not fail them by a field or two.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import shutil
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest

import perfdecl
from perfdecl.errors import ImageReadError, OcrRequiredError
from perfdecl.extract.ocr.engines import DEFAULT_ENGINE, OcrEngine

from samplecases import SAMPLES

SCANNED = SAMPLES / "scanned"
SCANS = sorted(p for p in SCANNED.glob("*.pdf") if p.with_name(p.name[:-4] + ".expected.json").exists())
# measured (docs/ocr.md): 100 % of the fields on every file of both sets; targets 99.5 % and 99 %
THRESHOLD = {"300dpi": 0.995, "200dpi-degraded": 0.985,
             # degraded scans of pages fed to the scanner turned (extract/ocr/orient.py)
             "200dpi-turned90": 0.985, "200dpi-turned180": 0.985, "200dpi-turned270": 0.985}
TESSERACT_THRESHOLD = 0.95  # measured 96.8 % on this file


def _accuracy_module():
    spec = importlib.util.spec_from_file_location("perfdecl_accuracy",
                                                  SAMPLES.parent / "scripts" / "accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ACC = _accuracy_module()


def expected_of(pdf: Path) -> dict:
    return json.loads(pdf.with_name(pdf.name[:-4] + ".expected.json").read_text(encoding="utf-8"))


def test_scanned_samples_exist():
    names = {p.name for p in SCANS}
    for sample in ("seed", "seed_two_pages", "two_forms", "zhanjiang_2024"):
        assert {f"{sample}.300dpi.pdf", f"{sample}.200dpi-degraded.pdf"} <= names
    for sample, turn in (("project_approval_serif", 180), ("project_sign_unit_sans", 90),
                         ("project_long_annual_heiti", 270)):
        assert {f"{sample}.300dpi.pdf", f"{sample}.200dpi-turned{turn}.pdf"} <= names
    assert sum(p.stat().st_size for p in SCANNED.iterdir()) < 15 * 2**20


@pytest.mark.parametrize("pdf", SCANS, ids=[p.name[:-4] for p in SCANS])
def test_scanned_sample_accuracy(pdf):
    expected = expected_of(pdf)
    doc = perfdecl.convert(pdf).model_dump(mode="json")
    tally = ACC.compare_documents(expected, doc)
    variant = pdf.name[:-4].split(".", 1)[1]
    assert tally.accuracy >= THRESHOLD[variant], tally.misses[:20]
    src = doc["source"]
    assert src["method"] == "ocr" and src["ocr_engine"].startswith(DEFAULT_ENGINE + " ")
    assert (src["sha256"], src["page_count"]) == (expected["source"]["sha256"],
                                                  expected["source"]["page_count"])
    with pdfium.PdfDocument(str(pdf)) as p:
        sizes = [(p[i].get_width(), p[i].get_height()) for i in range(len(p))]
    for form in doc["forms"]:
        for row in form["budget"] + form["tasks"] + form["indicators"]:
            x0, top, x1, bottom = row["bbox"]
            width, height = sizes[row["page"] - 1]
            assert 0 <= x0 < x1 <= width and 0 <= top < bottom <= height
            assert 0 < row["confidence"] <= 1
    codes = {w["code"] for w in doc["warnings"]}
    assert codes <= {"sum_mismatch", "ocr_repaired", "low_ocr_confidence", "unknown_label"}


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_tesseract_engine_on_a_scan():
    pdf = SCANNED / "seed_two_pages.300dpi.pdf"
    doc = perfdecl.convert(pdf, ocr_engine="tesseract").model_dump(mode="json")
    assert doc["source"]["ocr_engine"].startswith("tesseract ") and doc["source"]["method"] == "ocr"
    expected = expected_of(pdf)
    tally = ACC.compare_documents(expected, doc)
    assert tally.accuracy >= TESSERACT_THRESHOLD, tally.misses[:20]

    # chi_sim has no ≥ ≤: every signed target it got right came from the glyph repair
    def raws(d):
        return [(i["name"], i["annual_target"]["raw"]) for f in d["forms"] for i in f["indicators"]
                if i["annual_target"]]

    signed = [(n, r) for n, r in raws(expected) if r.startswith(("≥", "≤"))]
    got = set(raws(doc))
    assert len(signed) == 14 and sum(pair in got for pair in signed) >= 12
    assert any(w["code"] == "ocr_repaired" and "sign" in w["message"] for w in doc["warnings"])


# ---------------------------------------------------------------------------------------------
def _mixed_pdf(tmp_path: Path) -> Path:
    """seed_two_pages: page 1 as drawn (text layer), page 2 from its degraded scan."""
    out = pdfium.PdfDocument.new()
    text = pdfium.PdfDocument(str(SAMPLES / "seed_two_pages.pdf"))
    scan = pdfium.PdfDocument(str(SCANNED / "seed_two_pages.200dpi-degraded.pdf"))
    out.import_pages(text, [0])
    out.import_pages(scan, [1])
    path = tmp_path / "mixed.pdf"
    out.save(str(path))
    return path


def test_mixed_file_ocrs_only_the_scanned_page(tmp_path):
    path = _mixed_pdf(tmp_path)
    expected = json.loads((SAMPLES / "seed_two_pages.expected.json").read_text(encoding="utf-8"))
    doc = perfdecl.convert(path)
    assert doc.source.method == "ocr" and doc.source.page_count == 2
    got = doc.model_dump(mode="json")
    assert ACC.compare_documents(expected, got).accuracy >= 0.99
    pages = {row.page: row.confidence for form in doc.forms for row in form.indicators}
    assert pages[1] is None and pages[2] is not None  # text layer on page 1, OCR on page 2

    never = perfdecl.convert(path, ocr="never")
    assert never.source.method == "text"
    assert [(w.code, w.page) for w in never.warnings if w.code == "ocr_required"] == [("ocr_required", 2)]


def test_never_mode_and_image_only_pdf():
    with pytest.raises(OcrRequiredError):
        perfdecl.convert(SCANNED / "two_forms.300dpi.pdf", ocr="never")
    with pytest.raises(ValueError):
        perfdecl.convert(SCANNED / "two_forms.300dpi.pdf", ocr="sometimes")


def test_text_pdf_never_loads_an_engine():
    class Refuse(OcrEngine):
        name = "refuse"

        def describe(self):
            return "refuse"

        def read_lines(self, image):
            raise AssertionError("OCR on a text PDF")

        def read_page(self, image, cells):
            raise AssertionError("OCR on a text PDF")

    from perfdecl.extract.document import extract_document

    doc, report = extract_document(SAMPLES / "seed.pdf", mode="auto", engine=Refuse())
    assert doc.method == "text" and report.ocr_pages == []


def test_multipage_tiff_input(tmp_path):
    src = SCANNED / "seed_two_pages.200dpi-degraded.pdf"
    frames = []
    with pdfium.PdfDocument(str(src)) as pdf:
        for i in range(len(pdf)):
            frames.append(pdf[i].render(scale=200 / 72, grayscale=True).to_pil().convert("L"))
    tiff = tmp_path / "scan.tif"
    frames[0].save(tiff, save_all=True, append_images=frames[1:], dpi=(200, 200), compression="tiff_lzw")
    doc = perfdecl.convert(tiff)
    assert doc.source.method == "ocr" and doc.source.page_count == 2
    expected = json.loads((SAMPLES / "seed_two_pages.expected.json").read_text(encoding="utf-8"))
    assert ACC.compare_documents(expected, doc.model_dump(mode="json")).accuracy >= 0.985
    with pytest.raises(OcrRequiredError):
        perfdecl.convert(tiff, ocr="never")


def test_broken_image_is_a_typed_error(tmp_path):
    bad = tmp_path / "page.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ImageReadError) as err:
        perfdecl.convert(bad)
    assert err.value.stage == "open"


# ---------------------------------------------------------------------------------------------
def _scan_with_text_layer(tmp_path: Path, words: list[tuple[float, float, str]], font: str,
                          font_file: str | None = None) -> Path:
    """Page 3 of two_forms (a project form) as a scan with an invisible text layer on top."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
    from reportlab.lib.utils import ImageReader

    with pdfium.PdfDocument(str(SCANNED / "two_forms.300dpi.pdf")) as pdf:
        page = pdf[2]
        w, h = page.get_width(), page.get_height()
        img = page.render(scale=150 / 72, grayscale=True).to_pil().convert("L")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    path = tmp_path / "scanner.pdf"
    c = canvas.Canvas(str(path), pagesize=(w, h), invariant=1)
    c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, w, h)
    if font_file:
        pdfmetrics.registerFont(TTFont(font, font_file))
    text = c.beginText()
    text.setTextRenderMode(3)  # invisible, as scanners write it
    text.setFont(font, 10)
    for x, y, s in words:
        text.setTextOrigin(x, h - y)
        text.textOut(s)
    c.drawText(text)
    c.save()
    return path


def test_garbage_scanner_text_is_read_again(tmp_path):
    words = [(60 + 40 * (k % 12), 80 + 20 * (k // 12), "Ã©¦§¤") for k in range(120)]
    path = _scan_with_text_layer(tmp_path, words, "Helvetica")
    doc = perfdecl.convert(path)
    assert doc.source.method == "ocr"
    assert doc.forms and doc.forms[0].form_type == "project" and doc.forms[0].indicators


def test_good_scanner_text_is_kept_in_the_image_grid(tmp_path):
    font = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    if not font.exists():
        pytest.skip("WenQuanYi font not installed (.ci/run installs it)")
    import pdfplumber

    from perfdecl.extract.document import extract_document

    # the scanner's text: the drawn PDF's own characters, where they are on the page
    with pdfplumber.open(SAMPLES / "two_forms.pdf") as pdf:
        words = [(ch["x0"], ch["bottom"] - 1.5, ch["text"]) for ch in pdf.pages[2].chars
                 if ch["text"].strip()]
    path = _scan_with_text_layer(tmp_path, words, "wqy", str(font))

    class Refuse(OcrEngine):
        name = "refuse"

        def describe(self):
            return "refuse"

        def read_lines(self, image):
            raise AssertionError("a good scanner text layer was OCR'd again")

        read_page = read_lines

    extracted, report = extract_document(path, mode="auto", engine=Refuse())
    assert report.scanner_text_pages == [1] and extracted.method == "text"
    tables = [i for i in extracted.items if hasattr(i, "cells")]
    assert tables and any("指标" in c.text for c in tables[0].cells)


def test_scanned_variants_are_deterministic(tmp_path):
    spec = importlib.util.spec_from_file_location("samples_scan", SAMPLES / "scan.py")
    scan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scan)
    first = scan.build("seed_two_pages", "engine x", tmp_path / "a")
    second = scan.build("seed_two_pages", "engine x", tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
        with pdfium.PdfDocument(str(a)) as pdf:
            assert all(not pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf)))
    for pdf in SCANS:
        exp = expected_of(pdf)
        assert exp["source"]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
        assert exp["source"]["method"] == "ocr" and exp["source"]["file"] == pdf.name
        # the text sample's forms: after a change to samples/<name>.expected.json, `make scans`
        text = json.loads((SAMPLES / f"{pdf.name.split('.')[0]}.expected.json").read_text(encoding="utf-8"))
        assert (exp["forms"], exp["warnings"]) == (text["forms"], text["warnings"]), pdf.name
