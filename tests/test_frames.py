"""perfdecl.to_frames: the flat tables as typed pandas DataFrames."""

import pandas as pd
import pytest

import perfdecl
from perfdecl.frames import TABLE_COLUMNS

from samplecases import SAMPLES, seed_spec


@pytest.fixture(scope="module")
def expected():
    return seed_spec()


def test_seed_tables_hold_the_contract_values_typed(expected):
    frames = perfdecl.to_frames(perfdecl.convert(SAMPLES / "seed.pdf"))
    assert {name: f.shape for name, f in frames.items()} == {
        "forms": (1, 11), "budget": (8, 14), "tasks": (4, 15), "indicators": (20, 45),
        "facts": (0, 13), "warnings": (1, 9)}
    for name, frame in frames.items():
        assert list(frame.columns) == [c for c, _ in TABLE_COLUMNS[name]]
    form = expected["forms"][0]
    budget = frames["budget"]
    assert budget[["group", "item", "amount", "unit"]].astype(object).values.tolist() == \
        [[b["group"], b["item"], b["amount"], b["unit"]] for b in form["budget"]]
    assert str(budget["amount"].dtype) == "Float64" and str(budget["page"].dtype) == "Int64"
    ind = frames["indicators"]
    assert ind["name"].tolist() == [i["name"] for i in form["indicators"]]
    assert ind["annual_normalized_value"].tolist() == [
        i["annual_target"]["normalized_value"] if i["annual_target"]["normalized_value"] is not None
        else pd.NA for i in form["indicators"]]
    assert str(ind["annual_deadline_recurring"].dtype) == "boolean"
    deadlines = [i["annual_target"]["deadline"] for i in form["indicators"]]
    assert ind["annual_deadline_recurring"].tolist() == [d["recurring"] if d else pd.NA
                                                         for d in deadlines]
    assert ind["annual_deadline_recurring"].sum() == 1  # 资金下达时限: 每年3月底前
    forms = frames["forms"]
    # a value the form leaves empty is <NA>: not NaN, not ""
    assert forms.loc[0, "year"] is pd.NA and forms.loc[0, "goals"] is pd.NA
    assert forms.loc[0, "department"] == "广州市协作办公室"
    assert frames["warnings"][["form_index", "code", "page"]].values.tolist() == [[0, "sum_mismatch", 1]]


def test_record_tables_carry_the_forms_department_project_and_year():
    """Issue 13: filter indicators by department and year without a lookup in `forms`; the rows a
    warning is about carry its code."""
    frames = perfdecl.to_frames(perfdecl.convert(SAMPLES / "seed.pdf"))
    for name in ("budget", "tasks", "indicators", "warnings"):
        frame = frames[name]
        assert list(frame.columns[:5]) == ["file", "form_index", "department", "project_name", "year"]
        assert frame["department"].tolist() == ["广州市协作办公室"] * len(frame), name
        assert frame["year"].isna().all() and frame["project_name"].isna().all()  # the seed prints none
    budget = frames["budget"]
    assert budget[["group", "item", "warning_codes"]].astype(object).fillna("").values.tolist() == [
        ["部门预算支出", "基本支出", "sum_mismatch"], ["部门预算支出", "项目支出", "sum_mismatch"],
        ["收入来源", "财政拨款", "sum_mismatch"], ["收入来源", "其他资金", "sum_mismatch"],
        ["事业发展性支出", "财政专项资金", ""], ["事业发展性支出", "其他事业发展性支出", ""],
        ["按预算级次划分", "市本级使用资金", ""], ["按预算级次划分", "拟用于对下转移支付资金", ""]]
    assert frames["indicators"]["warning_codes"].isna().all()
    two = perfdecl.to_frames(perfdecl.convert(SAMPLES / "two_forms.pdf"))
    ind = two["indicators"]
    assert ind.groupby("form_index")[["department", "project_name", "year"]].first() \
        .astype(object).where(lambda f: f.notna(), None).values.tolist() == \
        two["forms"][["department", "project_name", "year"]].astype(object) \
        .where(lambda f: f.notna(), None).values.tolist()


def test_several_documents_keep_their_order_and_keys():
    docs = [perfdecl.convert(SAMPLES / n) for n in ("two_forms.pdf", "seed.pdf")]
    forms = perfdecl.to_frames(docs)["forms"]
    assert forms[["file", "form_index"]].values.tolist() == [
        ["two_forms.pdf", 0], ["two_forms.pdf", 1], ["seed.pdf", 0]]
    # text is never escaped for spreadsheets here
    budget = perfdecl.to_frames(docs)["budget"]
    assert not budget["item"].str.startswith("'").any()


def test_no_documents_give_empty_typed_tables():
    frames = perfdecl.to_frames([])
    assert all(len(f) == 0 for f in frames.values())
    assert str(frames["indicators"]["annual_value"].dtype) == "Float64"
    assert str(frames["forms"]["title"].dtype) == "string"
