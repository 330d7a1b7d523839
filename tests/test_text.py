import unicodedata

import pytest

from perfdecl.extract.text import CHARMAP_PATH, clean_text, map_chars


def _rows():
    for line in CHARMAP_PATH.read_text(encoding="utf-8").splitlines():
        if line.startswith("U+"):
            yield line.split("\t")


def _is_unified(ch):
    return 0x4E00 <= ord(ch) <= 0x9FFF or 0x3400 <= ord(ch) <= 0x4DBF


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("协调落实广州市与国内各省、市政\n府间", "协调落实广州市与国内各省、市政府间"),
        ("二 级 指 标", "二级指标"),
        ("A  B", "A B"),
        ("95 %", "95%"),
        ("Wi Fi", "Wi Fi"),
        ("2023 12", "2023 12"),
        ("2023\n\t 12", "2023 12"),
        ("  项目名称 \n", "项目名称"),
        ("\u3000申报\u3000单位\u00a0", "申报单位"),
        ("Wi\u3000Fi", "Wi Fi"),
        ("WiFi 覆盖", "WiFi覆盖"),
        ("覆盖 5G 网络", "覆盖5G网络"),
        ("１２３ ＡＢｃ", "123 ABc"),  # full-width counts as Latin after mapping
        ("≧95％", "≥95％"),
        ("", ""),
        (" \n ", ""),
        (None, ""),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("⽬", "目"),
        ("⻔", "门"),
        ("⾨", "门"),
        ("⺠", "民"),
        ("项⽬⻔户⼈⺠", "项目门户人民"),
        ("≧95％", "≥95％"),
        ("≦", "≤"),
        ("１２３ＡＢｃ", "123ABc"),
        ("常常", "常常"),
        ("\uf907", "龟"),  # U+F907 compatibility ideograph: NFKC 龜, then simplified
        ("\uf92f", "劳"),  # U+F92F: NFKC 勞
        ("\ufa4f", "祐"),  # U+FA4F: NFKC only, 祐 has no other form
    ],
)
def test_map_chars(raw, expected):
    assert map_chars(raw) == expected


def test_chinese_punctuation_and_fullwidth_signs_stay():
    for s in ["，。、：；（）“”％", "＞＜＝", "！？［］｛｝＋－／"]:
        assert map_chars(s) == s
        assert clean_text(s) == s


def test_whitespace_untouched_by_map_chars():
    s = " a\tb\n\u3000c\u00a0"
    assert map_chars(s) == s


def test_every_radical_maps_to_a_unified_ideograph():
    radicals = list(range(0x2F00, 0x2FD6)) + [
        cp for cp in range(0x2E80, 0x2EF4) if unicodedata.name(chr(cp), None)
    ]
    assert len(radicals) == 214 + 115
    for cp in radicals:
        out = map_chars(chr(cp))
        assert len(out) == 1 and _is_unified(out), f"U+{cp:04X} -> {out!r}"


TRADITIONAL = "門見貝車長馬魚鳥頁風飛韋龍龜齊齒麥黃鹵黽鬥戶靑"


def test_no_radical_maps_to_a_traditional_form():
    for cp in list(range(0x2F00, 0x2FD6)) + list(range(0x2E80, 0x2EF4)):
        assert map_chars(chr(cp)) not in TRADITIONAL, f"U+{cp:04X}"


@pytest.mark.parametrize(
    "radical, expected",
    list(zip("⾨⾒⾙⾞⾧⾺⿂⿃⾴⾵⾶⾱⾾⿓⿔⿑⿒⿆⿈⾔⾦", "门见贝车长马鱼鸟页风飞韦斗龙龟齐齿麦黄言金"))
    + list(zip("⻓⻋⻅⻉⻢⻥⻦⻆⻰⻳⻤⻘⻝⺅⻑", "长车见贝马鱼鸟角龙龟鬼青食人长")),
)
def test_radical_targets(radical, expected):
    assert map_chars(radical) == expected


def test_table_rows_are_consistent():
    seen = set()
    for codepoint, char, target, note in _rows():
        cp = int(codepoint[2:], 16)
        assert chr(cp) == char, codepoint
        assert len(target) == 1 and target != char, codepoint
        assert note, codepoint
        assert cp not in seen, codepoint
        seen.add(cp)
    # full-width block: only digits and Latin letters are mapped, never punctuation
    fullwidth = {cp for cp in seen if 0xFF01 <= cp <= 0xFF5E}
    assert fullwidth == {cp for cp in range(0xFF01, 0xFF5F) if chr(cp - 0xFEE0).isalnum()}
