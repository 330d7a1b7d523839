"""concerns.py: which records each warning is about, found from what its message quotes."""

from perfdecl.concerns import find_concerns
from perfdecl.models import BudgetItem, Document, DocumentWarning, Form, Task

from samplecases import document, indicator


def _doc(warnings) -> Document:
    form = Form(title="部门整体预算绩效目标申报表", form_type="department", pages=[1, 2],
                budget=[BudgetItem(group="部门预算支出", item="基本支出", amount=1.0, unit="万元", page=1),
                        BudgetItem(group="收入来源", item="财政拨款", amount=2.0, unit="万元", page=1),
                        BudgetItem(group="按预算级次划分", item="市本级使用资金", amount=None, unit="万元", page=1)],
                tasks=[Task(name="任务一", funds=3.0, funds_unit="万元", page=1),
                       Task(name="任务二", funds=None, page=1)],
                indicators=[indicator("城镇新增就业人数（人）", raw="根据下达任务目标要求确定"),
                            indicator("群众满意度", page=2), indicator("群众满意度", page=2),
                            indicator("项目验收合格率（%）", page=2),
                            indicator("其他事项", level2="杂项指标", level2_code="other", page=2)])
    return document([form], warnings, page_count=2, method="ocr")


def test_each_warning_finds_its_rows():
    warnings = [
        DocumentWarning(code="sum_mismatch", message="收入来源 total 2.00 differs from 部门预算支出 total 1.00",
                        page=1, form_index=0),
        DocumentWarning(code="task_funds_exceed", message="the tasks' funds add up to 3.00 万元, more than 项目支出 1.00 万元",
                        page=1, form_index=0),
        DocumentWarning(code="target_not_numeric", message='数量指标 城镇新增就业人数（人）: 年度指标值 "根据下达任务目标要求确定" '
                        "not read as a number", page=1, form_index=0),
        DocumentWarning(code="duplicate_indicator", message='indicator "群众满意度" appears 2 times', page=2, form_index=0),
        DocumentWarning(code="unknown_label", message="indicator label '杂项指标' matches no known label", page=2,
                        form_index=0),
        DocumentWarning(code="ocr_repaired", message="page 2: OCR read '项目验收合格率（%)', repaired to '项目验收合格率（%）' "
                        "(brackets; confidence 0.92)", page=2),
        DocumentWarning(code="ocr_repaired", message="page 1: OCR read '拟投入资金：', repaired to '拟投入资金' (label; "
                        "confidence 1.00)", page=1),  # a header: no record
        DocumentWarning(code="low_ocr_confidence", message="page 2: '群众满意' read with confidence 0.61", page=2),
        DocumentWarning(code="low_ocr_confidence", message="page 1: '群众满意' read with confidence 0.61", page=1),
        DocumentWarning(code="missing_field", message="the form has no year (年度)", page=1, form_index=0),
    ]
    c = find_concerns(_doc(warnings))
    assert c.rows == [
        [(0, "budget", 0), (0, "budget", 1)],
        [(0, "tasks", 0)],
        [(0, "indicators", 0)],
        [(0, "indicators", 1), (0, "indicators", 2)],
        [(0, "indicators", 4)],
        [(0, "indicators", 3)],
        [],
        [(0, "indicators", 1), (0, "indicators", 2)],
        [],  # the text is on page 2, not 1
        [],
    ]
    assert c.codes[(0, "indicators", 1)] == ["duplicate_indicator", "low_ocr_confidence"]
    assert (0, "budget", 2) not in c.codes
