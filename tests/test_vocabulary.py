"""Label matching against the vocabulary in normalize/labels.toml."""

import pytest

from perfdecl.normalize.amounts import bracket_unit, parse_amount
from perfdecl.normalize.vocabulary import vocabulary


@pytest.mark.parametrize("printed, key", [
    ("二 级 指 标", "level2"),
    ("一级指标", "level1"),
    ("三级指标", "name"),
    ("指标内容", "name"),
    ("实施周期指标值", "period_value"),
    ("年度指标值", "annual_value"),
    ("指标值", "annual_value"),
    ("计量单位", "unit"),
])
def test_indicator_columns(printed, key):
    assert vocabulary().indicator_columns.match(printed).key == key


@pytest.mark.parametrize("printed, label, code", [
    ("数量指标", "数量指标", "quantity"),
    ("数量指木示", "数量指标", "quantity"),  # OCR split 标 into 木示
    ("经济效益\n指标", "经济效益指标", "economic"),
    ("服务对象满意度\n指标", "服务对象满意度指标", "satisfaction"),
    ("服务对象", "服务对象满意度指标", "satisfaction"),
    ("环境效益指标", "生态效益指标", "ecological"),
    ("可持续影响指标", "可持续影响指标", "sustainability"),
])
def test_level2_labels(printed, label, code):
    v = vocabulary()
    m = v.level2.match(printed)
    assert (m.key, v.level2_codes[m.key]) == (label, code)


@pytest.mark.parametrize("printed, label", [("产出指标", "产出指标"), ("产出类指标", "产出指标"),
                                            ("效 益 指 标", "效益指标"), ("满意度指标", "满意度指标")])
def test_level1_labels(printed, label):
    assert vocabulary().level1.match(printed).key == label


@pytest.mark.parametrize("printed, block", [
    ("预算整体情况", "budget"), ("总体绩效目标", "overall_goal"), ("年度重点工作任务", "tasks"),
    ("绩效指标", "indicators"), ("其他需完成的任务（可选填）", "other_tasks"),
    ("年度重点工作\n任务", "tasks"), ("总体绩效目木示", "overall_goal"),
])
def test_blocks(printed, block):
    assert vocabulary().blocks.match(printed).key == block


@pytest.mark.parametrize("printed", ["广州市协作办公室", "基本支出", "产出指标", "", "推动国内区域合作"])
def test_values_are_not_block_labels(printed):
    assert vocabulary().blocks.match(printed) is None


def test_fields():
    v = vocabulary()
    assert v.fields.match("部门名称").key == "department"
    assert v.fields.match("主管部门").key == "competent_department"
    assert v.fields.match("项目名称").key == "project_name"
    assert v.fields.match("湛江市人力资源和社会保障局") is None


@pytest.mark.parametrize("title, form_type", [
    ("部门整体预算绩效目标申报表", "department"),
    ("2024年市级部门整体预算绩效目标表", "department"),
    ("部门整体支出绩效目标申报表", "department"),
    ("项目支出绩效目标表", "project"),
    ("项目支出绩效目标申报表（2024年度）", "project"),
    ("2021年度项目支出绩效自评表", "project"),
])
def test_titles(title, form_type):
    v = vocabulary()
    assert v.is_title(title)
    assert v.form_type(title) == form_type


@pytest.mark.parametrize("text", ["绩效指标", "单位：万元", "部门名称", "第1页", "部门整体预算绩效目标申报表" * 4])
def test_not_titles(text):
    assert not vocabulary().is_title(text)


@pytest.mark.parametrize("text, amount", [("4,192.11", 4192.11), ("269,652.59", 269652.59),
                                          ("0.00", 0.0), ("18862", 18862.0), ("", None),
                                          ("拟投入资金：", None), ("1,2", None),
                                          # a line wrap inside a long amount (Chromium, LibreOffice)
                                          ("3,309,840.0\n0", 3309840.0), ("1 400.00", 1400.0),
                                          # the unit printed with the amount is the form's unit
                                          ("250万", 250.0), ("164万元", 164.0), ("250万人", None),
                                          ("9" * 400, None)])
def test_parse_amount(text, amount):
    assert parse_amount(text) == amount


def test_bracket_unit():
    assert bracket_unit("预算金额（万元）") == "万元"
    assert bracket_unit("拟投入的资金(万元)") == "万元"
    assert bracket_unit("城镇新增就业人数（人）") == "人"
    assert bracket_unit("对口帮扶（支援）资金拨付及时率") is None

