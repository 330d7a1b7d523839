"""Label matching against the vocabulary in normalize/labels.toml, and a user's merged over it."""

import json

import pytest

import perfdecl
from perfdecl.cli import main
from perfdecl.normalize.amounts import bracket_unit, parse_amount
from perfdecl.normalize.vocabulary import LABELS_PATH, load_vocabulary, vocabulary

from samplecases import SAMPLES


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



# -- a user's vocabulary (docs/vocabulary.md) ----------------------------------------------------

EXAMPLES = SAMPLES.parent / "docs" / "examples"


def _indicator_codes(doc) -> list[tuple[str, str, str, str, str]]:
    return [(i.level1, i.level1_code, i.level2, i.level2_code, i.name)
            for f in doc.forms for i in f.indicators]


def test_a_user_vocabulary_teaches_a_province_label():
    """The worked example of docs/vocabulary.md: a 上海-style form whose 影响力指标 block the
    built-in vocabulary does not know, read without and with docs/examples/shanghai_labels.toml."""
    pdf = EXAMPLES / "shanghai_2024.pdf"
    rows = [("产出指标", "output", "数量指标", "quantity", "补贴设施数量"),
            ("产出指标", "output", "质量指标", "quality", "设施年检合格率"),
            ("效益指标", "benefit", "社会效益指标", "social", "受益老年人数"),
            ("影响力指标", "other", "长效管理", "other", "运营管理制度健全性"),
            ("影响力指标", "other", "人力资源", "other", "护理人员持证上岗率")]
    before = perfdecl.convert(pdf)
    assert _indicator_codes(before) == rows
    assert [(w.code, w.message) for w in before.warnings] == [
        ("unknown_label", "indicator label '影响力指标' matches no known label")]

    after = perfdecl.convert(pdf, vocabulary=[EXAMPLES / "shanghai_labels.toml"])
    rows[3] = ("影响力指标", "other", "长效管理", "sustainability", "运营管理制度健全性")
    assert _indicator_codes(after) == rows
    assert after.warnings == []
    # the rest of the record is the same
    assert after.model_dump(exclude={"forms": {0: {"indicators"}}, "warnings": True}) == \
        before.model_dump(exclude={"forms": {0: {"indicators"}}, "warnings": True})
    # and the built-in vocabulary is in force again after the conversion
    assert perfdecl.convert(pdf) == before


def test_cli_vocabulary_option(tmp_path):
    pdf = EXAMPLES / "shanghai_2024.pdf"
    out = tmp_path / "out"
    assert main(["convert", str(pdf), "-o", str(out), "-q",
                 "--vocabulary", str(EXAMPLES / "shanghai_labels.toml")]) == 0
    doc = json.loads((out / "shanghai_2024.json").read_text(encoding="utf-8"))
    assert [i["level2_code"] for i in doc["forms"][0]["indicators"]] == [
        "quantity", "quality", "social", "sustainability", "other"]
    assert doc["warnings"] == []


def test_user_files_merge_over_the_built_in_vocabulary(tmp_path):
    """Lists extend, tables merge, scalars replace; a known [[level1]] label adds to its entry; a
    later file goes over an earlier one."""
    first = tmp_path / "first.toml"
    first.write_text('[matching]\nmin_score = 90\n\n[fields]\nproject_name = ["项目名"]\n\n'
                     '[[level1]]\nlabel = "效益指标"\nsynonyms = ["效果指标"]\n', encoding="utf-8")
    second = tmp_path / "second.toml"
    second.write_text('[matching]\nmin_score = 85\n\n[fields]\nproject_name = ["项目名", "工程名称"]\n',
                      encoding="utf-8")
    builtin = vocabulary().data
    merged = load_vocabulary(first, second)
    assert merged.data["matching"] == {**builtin["matching"], "min_score": 85}
    assert merged.data["fields"]["project_name"] == builtin["fields"]["project_name"] + ["项目名",
                                                                                        "工程名称"]
    assert merged.data["fields"]["department"] == builtin["fields"]["department"]
    benefit = [e for e in merged.data["level1"] if e["label"] == "效益指标"]
    assert benefit == [{"label": "效益指标", "code": "benefit", "synonyms": ["效益类指标", "效果指标"]}]
    assert len(merged.data["level1"]) == len(builtin["level1"])
    assert merged.level1.match("效果指标").score == 100
    assert merged.files == (str(LABELS_PATH), str(first), str(second))
    assert vocabulary().data == builtin  # the built-in one untouched
