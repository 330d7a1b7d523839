"""Every sample PDF converts to exactly its expected JSON (row provenance checked separately)."""

import json

import pdfplumber
import pytest

import perfdecl
from perfdecl.errors import PerfdeclError
from perfdecl.extract.text import clean_text

from samplecases import SAMPLE_PDFS, strip_provenance


def test_there_are_samples():
    names = {p.stem for p in SAMPLE_PDFS}
    assert {"seed", "seed_two_pages", "two_forms", "zhanjiang_2024", "zhanjiang_2023",
            "seed_libreoffice", "project_period_annual", "project_approval_reversed",
            "project_sign_unit_columns", "project_long_and_annual", "project_list_table",
            "department_with_projects", "department_word", "department_html",
            "wuhan_2020_libreoffice", "yuzhong_2021_libreoffice"} <= names
    assert [p.stem for p in ERROR_SAMPLES] == ["staff_list"]


def test_sample_converts_to_expected(sample_pdf):
    expected = json.loads(sample_pdf.with_suffix(".expected.json").read_text(encoding="utf-8"))
    doc = perfdecl.convert(sample_pdf).model_dump(mode="json")
    assert strip_provenance(doc) == strip_provenance(expected)


def test_provenance_points_at_the_row(sample_pdf):
    """Each budget item, task and indicator's box, cropped from its page, holds its own text."""
    doc = perfdecl.convert(sample_pdf)
    with pdfplumber.open(sample_pdf) as pdf:
        def text_in(row) -> str:
            page = pdf.pages[row.page - 1]
            return clean_text(page.crop(row.bbox, strict=False).extract_text())

        for form in doc.forms:
            for item in form.budget:
                assert item.confidence is None
                # the row's label, or (for amounts under a column heading) its amount
                box_text = text_in(item)
                assert item.item[:4] in box_text or (item.amount_raw or "\0") in box_text, box_text
            for task in form.tasks:
                assert (task.content or task.name)[:4] in text_in(task)
            for ind in form.indicators:
                box_text = text_in(ind)
                assert ind.name[:4] in box_text, (ind.name, box_text)
                target = ind.annual_target or ind.period_target
                if target is not None:  # (wrapped cells come out of a crop in any order)
                    assert set(target.raw[:3]) <= set(box_text), (target.raw, box_text)


ERROR_SAMPLES = sorted(p.with_name(p.name.replace(".expected-error.json", ".pdf"))
                       for p in SAMPLE_PDFS[0].parent.glob("*.expected-error.json"))


@pytest.mark.parametrize("pdf", ERROR_SAMPLES, ids=[p.stem for p in ERROR_SAMPLES])
def test_non_form_gives_its_expected_error_and_no_records(pdf):
    expected = json.loads(pdf.with_name(f"{pdf.stem}.expected-error.json").read_text(encoding="utf-8"))
    with pytest.raises(PerfdeclError) as err:
        perfdecl.convert(pdf)
    assert {"stage": err.value.stage, "code": err.value.code} == expected
