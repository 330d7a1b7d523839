"""The normalizer on hand-made grids: what is and is not a form."""

from perfdecl.extract.grid import ExtractedDocument, Table, TextLine
from perfdecl.extract.document import extract_document
from perfdecl.normalize.forms import normalize_document

from samplecases import SAMPLES, grid


def test_title_with_no_form_under_it_gives_no_form():
    staff = grid((0, 0, "姓名"), (0, 1, "职务"), (1, 0, "张三"), (1, 1, "科员"), n_cols=2)
    doc = ExtractedDocument(page_count=1, items=[TextLine("项目支出绩效目标表", 1, (0, 0, 100, 10)), staff])
    forms, warnings = normalize_document(doc, "x.pdf")
    assert forms == []
    assert [w.code for w in warnings] == ["unknown_layout"]


def test_warnings_name_the_form_they_are_about():
    """A list table gives one form per project; a check's warning carries its form's index."""
    doc, _ = extract_document((SAMPLES / "project_list_table.pdf"), mode="never")
    table = next(item for item in doc.items if isinstance(item, Table))
    blank = next(c for c in table.cells if c.text == "≥99%")  # 社保待遇核定准确率, 2nd project
    blank.text = ""
    forms, warnings = normalize_document(doc, "x.pdf")
    assert [f.project_name for f in forms] == ["劳动人事争议仲裁办案经费", "社会保险经办服务能力建设",
                                               "高层次人才引进补贴", "零就业家庭就业援助"]
    assert [(w.code, w.form_index) for w in warnings] == [("missing_target", 1)]
    assert "社保待遇核定准确率" in warnings[0].message


def test_warnings_of_a_later_form_title_count_the_forms_before_it():
    doc, _ = extract_document((SAMPLES / "two_forms.pdf"), mode="never")
    cells = [c for item in doc.items if isinstance(item, Table) for c in item.cells]
    next(c for c in cells if c.text == "≥12场").text = ""  # 开展创业培训场次, the project form
    forms, warnings = normalize_document(doc, "x.pdf")
    assert [f.form_type for f in forms] == ["department", "project"]
    assert [(w.code, w.page, w.form_index) for w in warnings] == [
        ("sum_mismatch", 1, 0), ("missing_target", 3, 1)]


def test_a_conversion_hands_on_each_form_when_the_next_title_closes_it(monkeypatch):
    """`Conversion.forms()` yields a form before the pages after it are read; gathered, it is
    `convert`'s Document."""
    import pytest

    from perfdecl.errors import NoFormFoundError
    from perfdecl.extract import textlayer
    from perfdecl.pipeline import Conversion, convert

    read: list[int] = []
    real_read_page = textlayer.read_page

    def counting(page, settings):
        read.append(page.page_number)
        return real_read_page(page, settings)

    monkeypatch.setattr(textlayer, "read_page", counting)
    run = Conversion(SAMPLES / "two_forms.pdf")
    with pytest.raises(RuntimeError, match="iterate forms"):
        run.document([])
    forms = run.forms()
    first = next(forms)
    assert (first.form_type, first.pages, read) == ("department", [1, 2], [1, 2, 3])
    rest = list(forms)
    assert [f.form_type for f in rest] == ["project"] and read == [1, 2, 3]
    doc = run.document([first, *rest])
    read.clear()
    assert doc == convert(SAMPLES / "two_forms.pdf")
    assert run.document([]).forms == [] and run.document([]).warnings == doc.warnings
    with pytest.raises(NoFormFoundError):
        list(Conversion(SAMPLES / "staff_list.pdf").forms())
