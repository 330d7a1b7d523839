"""Property tests of parse_target: total on any text, and exact on generated well-formed cells.

"Total" is tested on `parse_cleaned`, the parser under parse_target's safety net (which turns any
exception into kind "text", so a test of parse_target alone could not see one)."""

from __future__ import annotations

import calendar
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from perfdecl.extract.text import clean_text
from perfdecl.models.document import Target
from perfdecl.normalize.targets import GRAMMAR, parse_cleaned, parse_target

FAST = settings(max_examples=300, deadline=None)
KINDS = {"numeric", "range", "deadline", "qualitative", "text"}

# --- any text ---------------------------------------------------------------------------------


@FAST
@given(st.text())
def test_never_raises_and_keeps_raw(text):
    t = parse_cleaned(clean_text(text))
    assert isinstance(t, Target)
    assert t.raw == clean_text(text)
    assert t.kind in KINDS
    assert parse_target(text) == t


@FAST
@given(st.text(), st.one_of(st.none(), st.text(max_size=8)))
def test_never_raises_with_any_hint(text, hint):
    t = parse_cleaned(clean_text(text), hint)
    assert t.raw == clean_text(text)
    assert parse_target(text, unit_hint=hint) == t


# Text made of grammar pieces reaches the deep paths far more often than random characters.
_PIECES = (
    list(GRAMMAR["signs"]) + list(GRAMMAR["comparison"]["before"]) + list(GRAMMAR["comparison"]["after"])
    + list(GRAMMAR["scale"]) + GRAMMAR["units"]["words"][:40] + GRAMMAR["units"]["scale_lookalike"]
    + list(GRAMMAR["qualitative"]["words"])[:30] + GRAMMAR["range"]["separators"]
    + ["0", "1", "9", "12", "2024", ".", ",", "，", "年", "月", "日", "底", "前", "每年", "(", ")",
       "（", "）", "*", "一", "十", "百", "点", "成", "百分之", " ", "、", "＞", "═", "～"]
)


@FAST
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_grammar_soup_never_raises(text):
    t = parse_cleaned(clean_text(text))
    assert t.raw == clean_text(text)
    if t.kind == "numeric":
        assert t.op is not None and t.value is not None and t.scale is not None
        assert t.normalized_value is not None
    if t.kind == "range":
        assert t.low is not None and t.high is not None and t.low <= t.high


# --- generated sign + number + scale + unit ------------------------------------------------------

_SYMBOLS = [
    ("≥", ">="), ("≧", ">="), (">=", ">="), ("＞＝", ">="), ("⩾", ">="), ("≮", ">="),
    ("≤", "<="), ("≦", "<="), ("<=", "<="), ("＜＝", "<="), ("≯", "<="),
    (">", ">"), ("＞", ">"), ("<", "<"), ("＜", "<"), ("=", "="), ("＝", "="), ("═", "="),
]
_BEFORE = list(GRAMMAR["comparison"]["before"].items()) + [(w, "=") for w in GRAMMAR["approx"]["before"]]
_AFTER = list(GRAMMAR["comparison"]["after"].items()) + [(w, "=") for w in GRAMMAR["approx"]["after"]]
_SCALES = list(GRAMMAR["scale"].items())
_LOOKALIKE = GRAMMAR["units"]["scale_lookalike"]
# 年 and 月 after a number can be dates (2024年, 6月): dates have their own property below.
_UNITS = [u for u in GRAMMAR["units"]["words"] + _LOOKALIKE if u not in ("年", "月")] + [
    "次/月", "元/人.每天", "元每人每月", "户/人.月", "人/次", "元/人", "个百分点", "M", "kg",
]
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def numbers(draw):
    """(spelling, digits as written without separators)."""
    whole = draw(st.integers(0, 10**9))
    frac = draw(st.one_of(st.none(), st.text("0123456789", min_size=1, max_size=3)))
    plain = str(whole) + (f".{frac}" if frac else "")
    grouped = f"{whole:,}" + (f".{frac}" if frac else "")
    style = draw(st.sampled_from(["plain", "grouped", "grouped_cn", "full_width"]))
    if style == "plain":
        spelled = plain
    elif style == "grouped":
        spelled = grouped
    elif style == "grouped_cn":
        spelled = grouped.replace(",", "，")
    else:
        spelled = plain.translate(_FULL_WIDTH)
    return spelled, plain


@st.composite
def numeric_cells(draw):
    spelled, digits = draw(numbers())
    where = draw(st.sampled_from(["symbol", "word", "after", "none"]))
    before = after = ""
    op = "="
    if where == "symbol":
        before, op = draw(st.sampled_from(_SYMBOLS))
    elif where == "word":
        before, op = draw(st.sampled_from(_BEFORE))
    elif where == "after":
        after, op = draw(st.sampled_from(_AFTER))
    scale_word, scale = draw(st.one_of(st.just(("", 1)), st.sampled_from(_SCALES)))
    unit = draw(st.one_of(st.none(), st.sampled_from(_UNITS)))
    tail = scale_word + (unit or "")
    # a scale word then 米 reads as the unit 千米: that spelling means something else
    if scale_word and any(tail.startswith(w) for w in _LOOKALIKE):
        unit = None
        tail = scale_word
    gap = draw(st.sampled_from(["", " "]))
    cell = before + gap + spelled + gap + tail + gap + after
    return cell, op, digits, scale, unit


@FAST
@given(numeric_cells())
def test_generated_numeric_cells_give_back_their_parts(case):
    cell, op, digits, scale, unit = case
    t = parse_target(cell)
    assert t.raw == clean_text(cell)
    assert t.kind == "numeric", cell
    assert t.op == op
    expected_value = float(digits) if "." in digits else int(digits)
    assert t.value == expected_value and type(t.value) is type(expected_value)
    assert t.scale == scale
    assert t.unit == unit
    assert t.normalized_value == float(Decimal(digits) * scale)
    assert (t.low, t.high, t.deadline, t.direction, t.basis) == (None, None, None, None, None)


@FAST
@given(numeric_cells(), st.sampled_from(["人", "%", "元", "次/月"]))
def test_hint_fills_only_a_missing_unit(case, hint):
    cell, _, _, _, unit = case
    t = parse_target(cell, unit_hint=hint)
    assert t.unit == (unit if unit is not None else hint)


# --- generated ranges ----------------------------------------------------------------------------


@FAST
@given(
    st.integers(0, 10**6), st.integers(0, 10**6),
    st.sampled_from(GRAMMAR["range"]["separators"]),
    st.one_of(st.just(("", 1)), st.sampled_from([("万", 10**4), ("亿", 10**8), ("千", 1000)])),
    st.sampled_from([None, "%", "人", "元", "天"]),
    st.booleans(),
)
def test_generated_ranges(a, b, sep, scale, unit, unit_on_both):
    word, mult = scale
    u = unit or ""
    cell = f"{a}{u if unit_on_both else ''}{sep}{b}{word}{u}"
    t = parse_target(cell)
    assert t.kind == "range", cell
    assert (t.low, t.high) == (float(min(a, b) * mult), float(max(a, b) * mult))
    assert t.scale == mult and t.unit == unit
    assert (t.op, t.value, t.normalized_value) == (None, None, None)


# --- generated deadlines -----------------------------------------------------------------------


@FAST
@given(
    st.one_of(st.none(), st.integers(1990, 2099)), st.integers(1, 12), st.integers(1, 31),
    st.sampled_from(["day", "end", "none"]), st.sampled_from(["", "前", "以前", "之前"]),
)
def test_generated_deadlines(year, month, day, form, limit):
    last = calendar.monthrange(year or 2001, month)[1]
    if form == "day" and day > calendar.monthrange(year or 2000, month)[1]:
        day = last
    cell = (f"{year}年" if year else "") + f"{month}月"
    if form == "day":
        cell += f"{day}日"
        want_day = day
    elif form == "end":
        cell += "底"
        want_day = last
    else:
        want_day = None
    cell += limit
    t = parse_target(cell)
    assert t.kind == "deadline", cell
    assert t.op == ("<=" if limit else "=")
    assert t.deadline.model_dump() == {"year": year, "month": month, "day": want_day, "recurring": False}


# --- qualitative words with modifiers --------------------------------------------------------------


@FAST
@given(
    st.lists(st.sampled_from(GRAMMAR["qualitative"]["modifiers"]), max_size=2),
    st.sampled_from(sorted(GRAMMAR["qualitative"]["words"].items())),
)
def test_qualitative_words(mods, item):
    word, direction = item
    t = parse_target("".join(mods) + word)
    assert t.kind == "qualitative"
    assert t.direction == direction
    assert (t.op, t.value, t.scale, t.unit, t.deadline) == (None, None, None, None, None)
