"""Audit checks: each warning code fires where it should and stays quiet on consistent forms."""

from perfdecl.models import BudgetItem, Form, Task
from perfdecl.normalize.checks import check_form, number_expected

from samplecases import indicator


def _b(group, item, amount, unit="万元", page=1):
    return BudgetItem(group=group, item=item, amount=amount, unit=unit, page=page)


def _ind(name, raw=None, kind="text", *, page=2, **fields):
    return indicator(name, raw, kind, page=page, **fields)


def _form(**kw):
    base = dict(title="部门整体预算绩效目标申报表", form_type="department", pages=[1, 2],
                department="某局", overall_goal="目标",
                budget=[_b("部门预算支出", "基本支出", 100.0), _b("部门预算支出", "项目支出", 200.0),
                        _b("收入来源", "财政拨款", 300.0)],
                indicators=[_ind("人数", "≥5人", "numeric")])
    base.update(kw)
    return Form(**base)


def codes(form):
    return [w.code for w in check_form(form)]


def test_consistent_form_has_no_warning():
    assert codes(_form()) == []


def test_sum_mismatch_unchanged():
    form = _form(budget=[_b("部门预算支出", "基本支出", 100.0), _b("收入来源", "财政拨款", 100.01)])
    [w] = check_form(form)
    assert (w.code, w.message, w.page) == ("sum_mismatch",
                                           "收入来源 total 100.01 differs from 部门预算支出 total 100.00", 1)


def test_budget_total_mismatch():
    ok = [_b("项目资金", "年度资金总额", 1200.0), _b("项目资金", "其中：财政拨款", 1000.0),
          _b("项目资金", "其他资金", 200.0)]
    assert codes(_form(budget=ok)) == []
    bad = ok[:2] + [_b("项目资金", "其他资金", 150.0)]
    [w] = check_form(_form(budget=bad))
    assert w.code == "budget_total_mismatch" and "1200.00" in w.message and "1150.00" in w.message
    # a total alone, or empty parts, says nothing
    assert codes(_form(budget=[_b("项目资金", "年度资金总额", 1.0), _b("项目资金", "其他资金", None)])) == []


def test_budget_group_mismatch():
    levels = [_b("按预算级次划分", "市本级使用资金", 250.0), _b("按预算级次划分", "拟用于对下转移支付资金", 0.0)]
    form = _form(budget=_form().budget + levels)
    [w] = check_form(form)
    assert w.code == "budget_group_mismatch" and "300.00" in w.message
    levels[0] = _b("按预算级次划分", "市本级使用资金", 300.0)
    assert codes(_form(budget=_form().budget + levels)) == []
    # in yuan: compared after conversion
    yuan = [_b("按预算级次划分", "市本级使用资金", 3_000_000.0, unit="元")]
    assert codes(_form(budget=_form().budget + yuan)) == []
    # part of 项目支出: at most 项目支出
    part = [_b("事业发展性支出", "财政专项资金", 150.0), _b("事业发展性支出", "其他事业发展性支出", 60.0)]
    assert codes(_form(budget=_form().budget + part)) == ["budget_group_mismatch"]
    part[1] = _b("事业发展性支出", "其他事业发展性支出", 0.0)
    assert codes(_form(budget=_form().budget + part)) == []
    # empty amounts (forms that leave the block blank) say nothing
    blank = [_b("按预算级次划分", "市本级使用资金", None)]
    assert codes(_form(budget=_form().budget + blank)) == []


def test_task_funds_exceed():
    tasks = [Task(name="甲", funds=150.0, funds_unit="万元", page=1),
             Task(name="乙", funds=60.0, funds_unit="万元", page=1)]
    [w] = check_form(_form(tasks=tasks))
    assert w.code == "task_funds_exceed" and "210.00" in w.message and "200.00" in w.message
    tasks[1] = Task(name="乙", funds=50.0, funds_unit="万元", page=1)
    assert codes(_form(tasks=tasks)) == []
    # funds in 元 converted; an unknown unit says nothing
    assert codes(_form(tasks=[Task(name="甲", funds=2_010_000.0, funds_unit="元")])) == ["task_funds_exceed"]
    assert codes(_form(tasks=[Task(name="甲", funds=9e9, funds_unit="件")])) == []


def test_target_not_numeric():
    inds = [_ind("城镇新增就业人数（万人）", "根据下达任务目标要求确定", level2="社会效益指标",
                 level2_code="social"),
            _ind("覆盖范围", "湛江市基层", level2="质量指标", level2_code="quality"),  # a place: fine
            _ind("群众满意率", "较高", level2="服务对象满意度指标", level2_code="satisfaction"),
            _ind("完成培训", "按计划", level2="数量指标", level2_code="quantity"),
            _ind("资金拨付", "按时", level2="时效指标", level2_code="timeliness")]
    warnings = check_form(_form(indicators=inds))
    assert [w.code for w in warnings] == ["target_not_numeric"] * 3
    assert [w.message.split(":")[0] for w in warnings] == [
        "社会效益指标 城镇新增就业人数（万人）", "服务对象满意度指标 群众满意率", "数量指标 完成培训"]
    assert warnings[0].page == 2
    # understood targets, and qualitative ones, are not reported
    assert codes(_form(indicators=[_ind("人数", "≥5人", "numeric"), _ind("比例", "提高", "qualitative")])) == []


def test_number_expected_from_bracketed_unit_only_when_it_is_a_unit():
    assert number_expected(_ind("促进就业（人次）", level2_code="social"))
    assert not number_expected(_ind("促进就业专项资金（含贴息）", level2_code="social"))


def test_duplicate_indicator():
    inds = [_ind("人数", "5人", "numeric", page=1), _ind("人 数", "6人", "numeric", page=2),
            _ind("人数", "7人", "numeric", page=3), _ind("次数", "1次", "numeric")]
    [w] = check_form(_form(indicators=inds))
    assert (w.code, w.page) == ("duplicate_indicator", 2) and "3 times" in w.message


def test_missing_fields_and_targets():
    form = _form(form_type="project", department=None, overall_goal=None, budget=[], indicators=[])
    warnings = check_form(form)
    assert [w.code for w in warnings] == ["missing_field"] * 5
    assert all(w.page == 1 for w in warnings)
    assert [w.message.split()[4] for w in warnings] == ["department", "project_name", "overall_goal",
                                                        "budget", "indicators"]
    assert codes(_form(indicators=[_ind("人数")])) == ["missing_target"]
