"""perfdecl compare: the real Zhanjiang pair 2023 → 2024 (samples drawn from ../shared/real's two
workbooks), hand-checked, and the target rules."""

import json

import pytest

from perfdecl.cli import main
from perfdecl.compare import compare, format_table, load_documents, target_change
from perfdecl.normalize.targets import parse_target

from samplecases import SAMPLES

OLD, NEW = SAMPLES / "zhanjiang_2023.expected.json", SAMPLES / "zhanjiang_2024.expected.json"


def _t(annual):
    return {"level1": annual[0], "level2": annual[1], "name": annual[2], "annual": annual[3], "period": None}


# Hand-checked against the two forms: 16 indicators in 2023, 19 in 2024; 7 names in both, 4
# renamed (a unit added or changed in the name, 解决 added, 数 → 个数), 5 dropped, 8 new.
EXPECTED_INDICATORS = {
    "added": [_t(r) for r in [
        ("产出指标", "数量指标", "支教人员每人每年完成课时", "≥200课时"),
        ("产出指标", "质量指标", "“三支一扶”人员服务期满考核合格率（%）", "≥90%"),
        ("产出指标", "时效指标", "“三支一扶”人员到岗及时率", "≥90%"),
        ("效益指标", "质量指标", "服务期满继续在基层就业人数比例", "≥35%"),
        ("效益指标", "质量指标", "基层服务覆盖范围", "湛江市基层"),
        ("效益指标", "可持续影响指标", "对保持就业局势总体稳定发挥的影响", "保持稳定"),
        ("满意度指标", "服务对象满意度指标", "就业服务满意度", "≥90%"),
        ("满意度指标", "服务对象满意度指标", "服务单位对“三支一扶”人员满意度", "≥90%")]],
    "removed": [_t(r) for r in [
        ("产出指标", "数量指标", "发放创业担保贷款金额", "5000万元"),
        ("产出指标", "质量指标", "创业担保贷款还款率", "≥90%"),
        ("产出指标", "时效指标", "资金支付规范性", "合规"),
        ("产出指标", "时效指标", "实际资金支出率", "≥95%"),
        # 公共服务满意度 → 就业服务满意度 scores 71: another indicator, not a rename
        ("满意度指标", "服务对象满意度指标", "公共服务满意度", "≥95%")]],
    "renamed": [
        {"old_name": "城镇新增就业人数（万人）", "new_name": "城镇新增就业人数（人）", "score": 100.0,
         "level2": "数量指标"},
        {"old_name": "就业困难人员就业人数", "new_name": "解决就业困难人员就业人数（人）", "score": 90.9,
         "level2": "经济效益指标"},
        {"old_name": "失业人员再就业人数", "new_name": "失业人员再就业人数（人）", "score": 100.0,
         "level2": "经济效益指标"},
        {"old_name": "扶持创业企业（项目）数", "new_name": "扶持创业企业（项目）个数", "score": 95.7,
         "level2": "质量指标"}],
    # 全市城乡居民养老保险覆盖面, 群众满意度, 享受创业担保贷款对象满意度
    "unchanged": 3,
}


def _target(level2, name, old_name, change, old, new, old_value, new_value, unit):
    return {"level2": level2, "name": name, "old_name": old_name, "target": "annual", "change": change,
            "old": old, "new": new, "old_value": old_value, "new_value": new_value, "unit": unit}


TEXT = "根据下达任务目标要求确定"
EXPECTED_TARGETS = [  # in the 2024 form's order
    _target("数量指标", "城乡居民基础养老金标准", "城乡居民基础养老金标准", "loosened",
            "≥200元每人每月", "≥190元每人每月", 200.0, 190.0, "元每人每月"),
    _target("数量指标", "城镇新增就业人数（人）", "城镇新增就业人数（万人）", "kind", TEXT, "50000",
            None, 50000.0, "人"),
    _target("数量指标", "促进创业人数（人）", "促进创业人数（人）", "kind", TEXT, "3000", None, 3000.0, "人"),
    _target("质量指标", "补贴发放准确率", "补贴发放准确率", "tightened", "≥98%", "100%", 98.0, 100.0, "%"),
    _target("时效指标", "资金在规定时间内下达率", "资金在规定时间内下达率", "loosened", "100%", "≥95%",
            100.0, 95.0, "%"),
    _target("经济效益指标", "解决就业困难人员就业人数（人）", "就业困难人员就业人数", "kind", TEXT, "1500",
            None, 1500.0, "人"),
    _target("经济效益指标", "失业人员再就业人数（人）", "失业人员再就业人数", "kind", TEXT, "27000",
            None, 27000.0, "人"),
    _target("质量指标", "扶持创业企业（项目）个数", "扶持创业企业（项目）数", "lowered", "650", "350",
            650.0, 350.0, None),
]

EXPECTED_BUDGET = [
    {"group": "部门预算支出", "item": "基本支出", "change": "raised", "old": 10596.35, "new": 10891.62,
     "unit": "万元", "delta": 295.27, "percent": 2.8},
    {"group": "部门预算支出", "item": "项目支出", "change": "lowered", "old": 72204.57, "new": 61915.77,
     "unit": "万元", "delta": -10288.8, "percent": -14.2},
    {"group": "收入来源", "item": "财政拨款", "change": "lowered", "old": 82800.92, "new": 72807.38,
     "unit": "万元", "delta": -9993.54, "percent": -12.1},
]

FORM = {"form_index": 0, "department": "湛江市人力资源和社会保障局", "project_name": None}


def _check(result, old_file="zhanjiang_2023.pdf", new_file="zhanjiang_2024.pdf"):
    assert result["only_old"] == [] and result["only_new"] == []
    [pair] = result["pairs"]
    assert pair["old"] == {**FORM, "file": old_file, "title": "2023年市级部门整体预算绩效目标表", "year": 2023}
    assert pair["new"] == {**FORM, "file": new_file, "title": "2024年市级部门整体预算绩效目标表", "year": 2024}
    assert pair["indicators"] == EXPECTED_INDICATORS
    assert pair["targets"] == EXPECTED_TARGETS
    assert pair["budget"] == EXPECTED_BUDGET


def test_zhanjiang_2023_to_2024():
    _check(compare(load_documents(OLD), load_documents(NEW)))


def test_zhanjiang_from_output_folders_by_the_command(tmp_path, capsys):
    for year in (2023, 2024):
        assert main(["convert", str(SAMPLES / f"zhanjiang_{year}.pdf"), "-o", str(tmp_path / str(year)),
                     "-q", "-j", "1"]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "2023"), str(tmp_path / "2024"), "--json"]) == 0
    _check(json.loads(capsys.readouterr().out))


def test_table_output(capsys):
    assert main(["compare", str(OLD), str(NEW)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "湛江市人力资源和社会保障局: 2023 (zhanjiang_2023.pdf) → 2024 (zhanjiang_2024.pdf)"
    assert lines[1] == "indicators: 8 added, 5 removed, 4 renamed, 8 target change(s), 3 unchanged"
    assert lines[2].split() == ["change", "level2", "indicator", "old", "new"]
    assert lines[7].split() == ["loosened", "数量指标", "城乡居民基础养老金标准", "≥200元每人每月", "≥190元每人每月"]
    assert lines[-3].split() == ["budget", "raised", "部门预算支出", "基本支出", "10,596.35", "万元",
                                 "10,891.62", "万元", "(+2.8%)"]
    assert len(lines) == 3 + 4 + 8 + 5 + 8 + 3


def test_unpaired_forms_and_unreadable_input(tmp_path, capsys):
    seed = load_documents(SAMPLES / "seed.expected.json")
    result = compare(seed, load_documents(NEW))
    assert result["pairs"] == []
    assert [f["department"] for f in result["only_old"]] == ["广州市协作办公室"]
    assert [f["department"] for f in result["only_new"]] == ["湛江市人力资源和社会保障局"]
    assert format_table(result).splitlines() == [
        "only in OLD: seed.pdf form 0: 广州市协作办公室",
        "only in NEW: zhanjiang_2024.pdf form 0: 湛江市人力资源和社会保障局  2024"]
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert main(["compare", str(bad), str(NEW)]) == 2
    assert capsys.readouterr().err.startswith("perfdecl: cannot read the documents:")


@pytest.mark.parametrize("old, new, change", [
    ("≥95%", "≥90%", "loosened"), ("≥90%", "≥95%", "tightened"), ("≤30天", "≤45天", "loosened"),
    ("≤30天", "≤20天", "tightened"), ("100%", "≥95%", "loosened"), ("≥98%", "100%", "tightened"),
    ("650", "350", "lowered"), ("350", "650", "raised"), ("≥95%", "不低于95%", None),
    ("≥95%", "≥95%", None), ("90%-95%", "85%-95%", "loosened"), ("90%-95%", "92%-97%", "raised"),
    ("≥1.4万人", "≥14000人", None), ("≥1.4万人", "≥1.5万人", "tightened"), (">95%", "≥95%", "loosened"),
    ("≥95%", "≥95人", "unit"), ("根据下达任务目标要求确定", "50000", "kind"), ("提升", "提高", "text"), ("提升", "降低", "direction"),
    ("湛江市基层", "广东省基层", "text"),
])
def test_target_change(old, new, change):
    assert target_change(parse_target(old), parse_target(new)) == change


def test_target_added_or_removed():
    assert target_change(None, parse_target("≥95%")) == "added"
    assert target_change(parse_target("≥95%"), None) == "removed"
    assert target_change(None, None) is None
