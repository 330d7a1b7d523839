"""Writers: formula escaping, CSV / XLSX / Parquet / JSON Lines tables, atomic and repeatable."""

import csv
import hashlib
import io
import json
import zipfile

import openpyxl
from openpyxl.utils import get_column_letter
import pyarrow.parquet as pq
import pytest

import perfdecl
from perfdecl.frames import TABLE_COLUMNS, document_rows
from perfdecl.models import BudgetItem, Document, DocumentWarning, Form, Indicator, Target
from perfdecl.writers import FlatSink, csv_bytes, escape_formula, formula_risk

from samplecases import SAMPLES, document


@pytest.mark.parametrize("text, escaped", [
    ("=1+1", True), ("=HYPERLINK(\"x\")", True), ("@SUM(A1)", True), ("+A1", True),
    ("-A1", True), ("-x", True), ("+1+cmd|' /C calc'!A0", True), ("-1-1", True), ("-=1", True),
    ("-5", False), ("+3.5%", False), ("-1,234.50", False), ("=", False), ("-", False),
    ("≥95%", False), ("广州", False), ("", False), ("5-10", False), ("a=b", False),
])
def test_formula_risk(text, escaped):
    assert formula_risk(text) is escaped
    assert escape_formula(text) == ("'" + text if escaped else text)


def _doc(**form_fields) -> Document:
    form = Form(title="项目支出绩效目标表", form_type="project", pages=[1], **form_fields)
    return document([form], [DocumentWarning(code="sum_mismatch", message="=bad", page=1)])


def _hostile_doc() -> Document:
    target = Target(raw="=1+1", kind="text")
    return _doc(
        department="@部门", project_name="-项目", overall_goal="+目标", goals={"中期目标": "=x"},
        budget=[BudgetItem(group="项目资金", item="=SUM(A1:A2)", amount=1200.5, unit="万元",
                           amount_raw="1,200.50", page=1)],
        indicators=[Indicator(level1="产出指标", level2="数量指标", level1_code="output",
                              level2_code="quantity", name="-人数", annual_target=target,
                              extra={"备注": "=cmd"}, page=1)],
    )


def test_csv_never_holds_a_formula(tmp_path):
    sink = FlatSink(tmp_path, ["csv"])
    sink.add(document_rows(_hostile_doc(), "in/x.pdf"))
    sink.finish([{"file": "=evil.pdf", "stage": "open", "code": "not_a_pdf", "message": "-x"}])
    for name in TABLE_COLUMNS:
        text = (tmp_path / f"{name}.csv").read_bytes().decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not formula_risk(cell), (name, cell)
    budget = list(csv.DictReader(io.StringIO((tmp_path / "budget.csv").read_bytes().decode("utf-8-sig"))))
    assert budget[0]["item"] == "'=SUM(A1:A2)" and budget[0]["amount"] == "1200.5"
    ind = list(csv.DictReader(io.StringIO((tmp_path / "indicators.csv").read_bytes().decode("utf-8-sig"))))
    assert ind[0]["annual_raw"] == "'=1+1" and ind[0]["name"] == "'-人数"
    assert json.loads(ind[0]["extra"]) == {"备注": "=cmd"}  # JSON text starts with {: not escaped
    errors = csv_bytes([{"file": "=evil.pdf", "stage": "open", "code": "c", "message": "m"}],
                       ["file", "stage", "code", "message"]).decode("utf-8-sig")
    assert "'=evil.pdf" in errors


def test_xlsx_stores_text_as_text_and_numbers_as_numbers(tmp_path):
    sink = FlatSink(tmp_path, ["xlsx"])
    sink.add(document_rows(_hostile_doc(), "in/x.pdf"))
    sink.finish([{"file": "=evil.pdf", "stage": "open", "code": "not_a_pdf", "message": "#N/A"}])
    wb = openpyxl.load_workbook(tmp_path / "perfdecl.xlsx")
    assert wb.sheetnames == ["summary", "forms", "budget", "tasks", "indicators", "facts",
                             "warnings", "errors"]
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert [c.value for c in ws[1]] == [c for c, _ in
                                           (TABLE_COLUMNS.get(ws.title) or [(h, "") for h in
                                            ("file", "stage", "code", "message")])]
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    budget = wb["budget"]
    item, amount = budget["G2"], budget["H2"]
    assert (item.value, item.data_type, item.quotePrefix) == ("=SUM(A1:A2)", "s", True)
    assert (amount.value, amount.data_type) == (1200.5, "n")
    assert budget["B2"].value == 0 and budget["B2"].data_type == "n"  # form_index
    assert wb["errors"]["D2"].value == "#N/A" and wb["errors"]["D2"].data_type == "s"
    widths = [budget.column_dimensions[c].width for c in "ABCD"]
    assert all(8 <= w <= 60 for w in widths)


def test_parquet_types(tmp_path):
    sink = FlatSink(tmp_path, ["parquet"])
    sink.add(document_rows(_hostile_doc(), "in/x.pdf"))
    sink.finish([])
    table = pq.read_table(tmp_path / "indicators.parquet")
    assert table.column_names == [c for c, _ in TABLE_COLUMNS["indicators"]]
    assert str(table.schema.field("form_index").type) == "int64"
    assert str(table.schema.field("annual_value").type) == "double"
    assert str(table.schema.field("annual_deadline_recurring").type) == "bool"
    assert table.column("annual_raw").to_pylist() == ["=1+1"]  # not a spreadsheet: kept as is
    empty = pq.read_table(tmp_path / "facts.parquet")
    assert empty.num_rows == 0 and empty.column_names == [c for c, _ in TABLE_COLUMNS["facts"]]


def test_all_formats_repeatable_and_complete(tmp_path):
    doc = perfdecl.convert(SAMPLES / "two_forms.pdf")

    def write(out):
        out.mkdir()
        sink = FlatSink(out, ["jsonl", "csv", "xlsx", "parquet"])
        sink.add(document_rows(doc, "two_forms.pdf"), json.dumps(doc.model_dump(mode="json"),
                                                                ensure_ascii=False))
        sink.finish([])
        return {p.name: p.read_bytes() for p in out.iterdir()}

    a, b = write(tmp_path / "a"), write(tmp_path / "b")
    assert a == b
    assert not [n for n in a if n.startswith(".")]  # no spool or temporary file left
    assert set(a) == {f"{t}.{ext}" for t in TABLE_COLUMNS for ext in ("csv", "parquet")} | {
        "documents.jsonl", "perfdecl.xlsx"}
    lines = a["documents.jsonl"].decode().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["source"]["file"] == "two_forms.pdf"
    with zipfile.ZipFile(tmp_path / "a" / "perfdecl.xlsx") as zf:
        assert {i.date_time for i in zf.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    forms = list(csv.DictReader(io.StringIO(a["forms.csv"].decode("utf-8-sig"))))
    assert [(f["form_index"], f["form_type"], f["pages"]) for f in forms] == [
        ("0", "department", "1,2"), ("1", "project", "3")]
    wb = openpyxl.load_workbook(tmp_path / "a" / "perfdecl.xlsx")
    assert (wb["forms"]["B3"].value, wb["forms"]["D3"].value) == (1, "project")
    n_ind = sum(len(f.indicators) for f in doc.forms)
    assert wb["indicators"].max_row == n_ind + 1
    assert pq.read_table(tmp_path / "a" / "indicators.parquet").num_rows == n_ind


def test_contract_columns_present():
    """The contract's listed columns, by name, in every flat table."""
    target = ["raw", "kind", "op", "value", "scale", "unit", "normalized_value"]
    need = {
        "forms": ["file", "form_index", "title", "form_type", "pages", "year", "department",
                  "project_name", "overall_goal"],
        "budget": ["file", "form_index", "group", "item", "amount", "unit", "page", "confidence"],
        "tasks": ["file", "form_index", "name", "content", "funds", "funds_unit", "expected_goal",
                  "page", "confidence"],
        "indicators": ["file", "form_index", "level1", "level2", "level1_code", "level2_code", "name"]
                      + [f"period_{f}" for f in target] + [f"annual_{f}" for f in target]
                      + ["page", "confidence"],
    }
    for table, cols in need.items():
        have = [c for c, _ in TABLE_COLUMNS[table]]
        assert set(cols) <= set(have), (table, set(cols) - set(have))
    # contract additions carried too
    assert {"amount_raw"} <= {c for c, _ in TABLE_COLUMNS["budget"]}
    assert {"funds_raw"} <= {c for c, _ in TABLE_COLUMNS["tasks"]}
    assert {"extra", "annual_basis", "annual_low", "annual_high", "annual_deadline_month",
            "annual_direction"} <= {c for c, _ in TABLE_COLUMNS["indicators"]}
    assert {"goals"} <= {c for c, _ in TABLE_COLUMNS["forms"]}
    assert {"group", "item", "value", "unit", "raw"} <= {c for c, _ in TABLE_COLUMNS["facts"]}


def test_interrupted_sink_leaves_nothing(tmp_path):
    sink = FlatSink(tmp_path, ["jsonl", "csv", "xlsx", "parquet"])
    sink.add(document_rows(_hostile_doc(), "x.pdf"), "{}")
    sink.abort()
    assert list(tmp_path.iterdir()) == []


def test_non_finite_numbers_are_null_everywhere(tmp_path):
    from perfdecl.writers import document_json, document_line

    doc = _doc(budget=[BudgetItem(group="项目资金", item="年度资金总额", amount=float("inf"), unit="万元",
                                  amount_raw="9" * 400, page=1)])
    assert json.loads(document_json(doc))["forms"][0]["budget"][0]["amount"] is None
    assert json.loads(document_line(doc))["forms"][0]["budget"][0]["amount"] is None
    assert "Infinity" not in document_json(doc).decode()
    sink = FlatSink(tmp_path, ["csv", "xlsx", "parquet"])
    sink.add(document_rows(doc))
    sink.finish([])
    assert openpyxl.load_workbook(tmp_path / "perfdecl.xlsx")["budget"]["H2"].value is None
    assert pq.read_table(tmp_path / "budget.parquet").column("amount").to_pylist() == [None]


def test_xlsx_goes_on_to_more_sheets_and_reports_cut_cells(tmp_path, monkeypatch, caplog):
    """Excel's limits (1,048,576 rows a sheet, 32,767 characters a cell), made small here: no row
    is dropped, and a cut cell is logged."""
    import perfdecl.writers as writers

    monkeypatch.setattr(writers, "_XLSX_MAX_ROWS", 3)  # the header and two rows
    monkeypatch.setattr(writers, "_XLSX_MAX_CELL", 10)
    names = [f"指标{i}" for i in range(5)]
    doc = _doc(indicators=[Indicator(level1="产出指标", level2="数量指标", level1_code="output",
                                     level2_code="quantity", name=n, page=1) for n in names],
               overall_goal="一二三四五六七八九十十一")
    sink = FlatSink(tmp_path, ["xlsx"])
    sink.add(document_rows(doc, "in/x.pdf"))
    with caplog.at_level("INFO", logger="perfdecl"):
        sink.finish([])
    wb = openpyxl.load_workbook(tmp_path / "perfdecl.xlsx")
    # the summary's six rows (files, forms, indicators, warnings, sum_mismatch, errors) go on too
    assert wb.sheetnames == ["summary", "summary (2)", "summary (3)", "forms", "budget", "tasks",
                             "indicators", "indicators (2)", "indicators (3)", "facts", "warnings",
                             "errors"]
    col = [c for c, _ in TABLE_COLUMNS["indicators"]].index("name")
    sheets = [wb[t] for t in ("indicators", "indicators (2)", "indicators (3)")]
    assert [[r[col] for r in ws.iter_rows(min_row=2, values_only=True)] for ws in sheets] == \
        [names[:2], names[2:4], names[4:]]
    last = get_column_letter(len(TABLE_COLUMNS["indicators"]))
    assert [ws.auto_filter.ref for ws in sheets] == [f"A1:{last}3", f"A1:{last}3", f"A1:{last}2"]
    assert all(ws.freeze_panes == "A2" and ws["A1"].value == "file" for ws in sheets)
    goal_col = [c for c, _ in TABLE_COLUMNS["forms"]].index("overall_goal") + 1
    assert wb["forms"].cell(2, goal_col).value == "一二三四五六七八九…"
    messages = [r.getMessage() for r in caplog.records]
    assert "perfdecl.xlsx: table indicators has more rows than a sheet holds; continued on 3 sheets" in messages
    assert ("perfdecl.xlsx: 1 cell(s) of table forms hold more than Excel's 10 characters and were "
            "cut; the CSV, Parquet and JSON outputs keep them whole") in messages


def test_xlsx_summary_sheet_and_highlighted_indicator_rows(tmp_path):
    """Issue 13: a first `summary` sheet (files, forms, indicators, warnings and errors by code);
    indicator rows a warning is about are filled, the others not."""
    sink = FlatSink(tmp_path, ["xlsx"])
    for name in ("wuhan_2020_libreoffice.pdf", "seed.pdf"):
        sink.add(document_rows(perfdecl.convert(SAMPLES / name), f"samples/{name}"))
    sink.finish([{"file": "x.pdf", "stage": "open", "code": "not_a_pdf", "message": "m"}])
    wb = openpyxl.load_workbook(tmp_path / "perfdecl.xlsx")
    assert wb.sheetnames[0] == "summary"
    assert list(wb["summary"].values) == [
        ("what", "code", "count"), ("files", None, 2), ("forms", None, 2), ("indicators", None, 33),
        ("warnings", None, 5), ("warnings", "sum_mismatch", 1), ("warnings", "target_not_numeric", 4),
        ("errors", None, 1), ("errors", "not_a_pdf", 1)]
    ws = wb["indicators"]
    header = [c.value for c in ws[1]]
    name, codes = header.index("name"), header.index("warning_codes")
    filled = [(r[name].value, r[codes].value) for r in ws.iter_rows(min_row=2)
              if all(c.fill.fill_type == "solid" and c.fill.fgColor.rgb == "00FFF2CC" for c in r)]
    assert filled == [("失业人员及就业困难人员再就业人数", "target_not_numeric"),
                      ("扶持创业人数及带动就业人数", "target_not_numeric"),
                      ("返乡创业人数及带动就业人数", "target_not_numeric"),
                      ("就业技能及创业培训人数据", "target_not_numeric")]
    unfilled = [r for r in ws.iter_rows(min_row=2) if r[name].fill.fill_type is None]
    assert len(unfilled) == 33 - 4 and all(r[codes].value is None for r in unfilled)
    assert [c.value for c in next(wb["budget"].iter_rows(min_row=2, max_row=2))][2:5] == [
        "武汉市人力资源和社会保障局东湖新技术开发区分局", "专项资金", 2020]


def _written_form_by_form(path, doc: Document) -> bytes:
    from perfdecl.writers import DocumentJsonWriter

    writer = DocumentJsonWriter(path)
    for form in doc.forms:
        writer.add(form)
    digest = writer.commit(doc.model_copy(update={"forms": []}))
    data = path.read_bytes()
    assert digest == hashlib.sha256(data).hexdigest()
    return data


def test_json_written_form_by_form_is_the_document_s_json(tmp_path):
    from perfdecl.writers import document_json

    two = _hostile_doc()
    two = two.model_copy(update={"forms": [two.forms[0], two.forms[0].model_copy(
        update={"title": "第二\n张表", "budget": [], "goals": {}})]})
    surrogate = document([two.forms[0]])
    surrogate = surrogate.model_copy(update={"source": surrogate.source.model_copy(
        update={"file": "bad\udcff.pdf"})})
    inf = _doc(budget=[BudgetItem(group="项目资金", item="年度资金总额", amount=float("inf"),
                                  unit="万元", amount_raw="9" * 400, page=1)])
    for k, doc in enumerate([two, surrogate, inf, document([])]):
        data = _written_form_by_form(tmp_path / f"{k}.json", doc)
        assert data == document_json(doc), k
    assert json.loads(data)["forms"] == []
    # the spool beside the output is gone; only the JSON files stand in the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.json", "1.json", "2.json", "3.json"]
    assert json.loads((tmp_path / "0.json").read_bytes())["forms"][1]["title"] == "第二\n张表"


def test_json_writer_takes_the_document_without_its_forms(tmp_path):
    from perfdecl.writers import DocumentJsonWriter

    writer = DocumentJsonWriter(tmp_path / "x.json")
    writer.add(_doc().forms[0])
    with pytest.raises(ValueError, match="without its forms"):
        writer.commit(_doc())
    writer.close()
    assert list(tmp_path.iterdir()) == []
