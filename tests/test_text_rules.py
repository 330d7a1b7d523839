"""Text rules with one home each: the bracket group ending a label (normalize/amounts.py) and the
whitespace-free form texts are compared by (extract/text.py: compact), and their users."""

import pytest

from perfdecl.compare import _bare_name
from perfdecl.extract.text import compact
from perfdecl.models import Indicator
from perfdecl.normalize.amounts import bracket_unit, strip_trailing_brackets, trailing_brackets
from perfdecl.normalize.checks import number_expected


@pytest.mark.parametrize("text, inside", [
    ("项目资金（万元）", "万元"),
    ("拟投入的资金(万元)", "万元"),
    ("预算金额（万元)", "万元"),            # mixed pair, as OCR reads it
    ("满意度()", ""),
    ("资金（一）（万元）", "万元"),          # the last group only
    ("对口帮扶（支援）资金", None),         # not at the end
    ("资金（万（元）", "元"),               # nothing bracketed inside the group
])
def test_trailing_brackets(text, inside):
    m = trailing_brackets(text)
    assert (m.group(1) if m else None) == inside


def test_strip_and_unit_read_the_same_group():
    assert strip_trailing_brackets("项目资金（万元）") == "项目资金"
    assert strip_trailing_brackets("资金（一）（万元）") == "资金（一）"
    assert strip_trailing_brackets("对口帮扶（支援）资金") == "对口帮扶（支援）资金"
    assert bracket_unit("预算金额（万元）") == "万元"
    assert bracket_unit("说明（按照有关规定执行）") is None  # seven characters: a note, no unit
    assert bracket_unit("满意度()") is None


def test_a_name_ending_in_a_bracketed_unit_expects_a_number():
    def ind(name):
        return Indicator(level1="效益指标", level2="社会效益指标", level1_code="benefit",
                         level2_code="social", name=name)

    assert number_expected(ind("城镇新增就业（万人）")) is True
    assert number_expected(ind("群众知晓情况（由第三方机构调查评估）")) is False  # no unit: too long
    assert number_expected(ind("群众知晓情况")) is False


def test_compare_pairs_indicator_names_without_their_bracketed_unit():
    assert _bare_name("城镇新增 就业人数（人）") == "城镇新增就业人数"
    assert _bare_name("群众知晓情况（由第三方机构调查评估）") == "群众知晓情况（由第三方机构调查评估）"


def test_compact_leaves_out_every_whitespace_character():
    assert compact(" 项目\n支出\u3000（万元）\t") == "项目支出（万元）"
    assert compact("Wi Fi\u00a0覆盖率") == "WiFi覆盖率"
    assert compact(None) == "" and compact("") == ""
    assert compact("指标\u200b值") == "指标\u200b值"  # a zero-width space is no whitespace
