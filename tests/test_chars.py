"""Character clean-up: overprint removal and line assembly."""

from perfdecl.extract.chars import chars_text, dedupe_overprint
from perfdecl.extract.quality import page_text_usable


def ch(text, x0, top, size=10.0, font="A"):
    return {"text": text, "x0": x0, "x1": x0 + size, "top": top, "bottom": top + size,
            "size": size, "fontname": font}


def test_overprint_with_second_font_is_removed():
    # fake bold: each glyph drawn twice, 0.3 pt apart, by two font resources
    chars = [ch("项", 0, 0), ch("项", 0.3, 0, font="B"), ch("目", 10, 0), ch("目", 10.3, 0, font="B")]
    assert "".join(c["text"] for c in dedupe_overprint(chars)) == "项目"


def test_real_repeats_stay():
    chars = [ch("常", 0, 0), ch("常", 10, 0), ch("1", 20, 0, size=10), ch("1", 25, 0, size=10)]
    assert "".join(c["text"] for c in dedupe_overprint(chars)) == "常常11"


def test_same_char_on_next_line_stays():
    chars = [ch("标", 0, 0), ch("标", 0, 12)]
    assert len(dedupe_overprint(chars)) == 2


def test_lines_are_joined_top_to_bottom_left_to_right():
    chars = [ch("府", 0, 12), ch("市", 0, 0), ch("政", 10, 0), ch("间", 10, 12.5)]
    assert chars_text(chars) == "市政\n府间"


def test_wide_gap_becomes_space():
    chars = [ch("A", 0, 0), ch("B", 15, 0)]
    assert chars_text(chars) == "A B"


def test_cid_glyphs_make_a_page_unusable():
    assert not page_text_usable([])
    assert not page_text_usable([ch("(cid:123)", 0, 0), ch("(cid:77)", 10, 0), ch("a", 20, 0)])
    assert page_text_usable([ch("部", 0, 0), ch("门", 10, 0)])
