"""The normalizer on hand-made grids: what is and is not a form."""

from perfdecl.extract.grid import Cell, ExtractedDocument, Table, TextLine
from perfdecl.normalize.forms import normalize_document


def test_title_with_no_form_under_it_gives_no_form():
    def cell(r, c, text):
        return Cell(row=r, col=c, rowspan=1, colspan=1, text=text, page=1,
                    bbox=(100.0 * c, 20.0 * r, 100.0 * c + 100, 20.0 * r + 20))

    staff = Table(cells=[cell(0, 0, "姓名"), cell(0, 1, "职务"), cell(1, 0, "张三"), cell(1, 1, "科员")],
                  n_rows=2, n_cols=2, col_edges=[0.0, 100.0, 200.0])
    doc = ExtractedDocument(page_count=1, items=[TextLine("项目支出绩效目标表", 1, (0, 0, 100, 10)), staff])
    forms, warnings = normalize_document(doc, "x.pdf")
    assert forms == []
    assert [w.code for w in warnings] == ["unknown_layout"]
