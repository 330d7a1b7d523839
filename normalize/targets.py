"""Parse a 指标值 (target value) cell into a typed Target.

Public function: ``parse_target(text, *, unit_hint=None) -> Target``. It never raises, always
keeps ``raw`` (= ``clean_text(text)``) and returns ``kind="text"`` for whatever it does not
understand completely, so a cell is never turned into a wrong single number.

Every word of the grammar (signs, comparison words, scale words, units, deadline, period and
qualitative words) is data in ``targets.toml``; this module only builds patterns from it.
Parsing works on a copy of ``raw`` with whitespace dropped and full-width signs mapped
(``＞＝`` → ``>=``, ``～`` → ``~``); printed parts (unit, basis) are cut from ``raw`` itself.

Kinds, tried in this order on the whole cell:

* qualitative: the cell is a word of the table (``提升``, ``保持稳定``), optionally after modifiers
  (``有效提升``, ``按时办结``), giving ``direction``; nothing else is set.
* deadline: a date (``每年3月底前``, ``2024年6月30日前``, ``年底前``, ``2024.6.30``,
  ``每月10日前``) with op ``"<="`` where a limit word is written (前/以前/之前, also 内/以内/止,
  截至/不晚于, 年内/上半年: the table says which), ``"="`` otherwise (``年底``, ``2023年12月31日``).
  底/末/下旬 = last day of the month, 上旬 = 10, 中旬 = 20; where the year is unknown February
  ends on the 28th (a date valid every year). ``2024年`` is a deadline with only the year.
  ``M月`` with M in 1-12 is the month (``6月``, ``≤12月``): durations are written ``个月``.
  A lone ``2024.06`` stays a number; ``2024-06`` and ``2024/6`` are dates.
* period: ``2023.07-2024.01``, ``2020年1月--2020年11月``, ``2024年1-6月``, ``2020-2024年`` are
  kind deadline at the period's END with op ``"<="``: the printed day, else the last day of
  the end month, else 12-31. (``1-6月`` names no year and stays a range of months.)
* range: ``90%-95%``, ``80~100``, ``100-200万元``: op/value/normalized_value null, ``low`` and
  ``high`` scaled and sorted, ``scale`` the bounds' scale word (one on the last bound applies
  to both; different scale words on the two bounds are text).
* numeric: [sign] number [scale] [unit] [comparison word]; a bare number means ``"="``;
  约/左右 mean ``"="``. A sign and a word of the same direction (``>95%以上``) keep the sign;
  opposite ones (``≤95%以上``) are text.

Decisions on the open points:

* ``unit`` is taken from ``raw`` as printed: ``95％`` keeps ``"％"``. Spelled-out fractions have
  no printed sign, so ``百分之九十五`` and ``九成`` get ``"%"``.
* ``≤620万/月``: scale 10000, unit ``"/月"`` (literally the text after the scale word).
* ``按月``, ``每月``, ``按季度`` alone: kind text (no number, no direction, no frequency field).
* a cell without a printed unit takes ``unit_hint``, split like a printed unit: hint ``万元``
  gives scale 10000 and unit ``元`` unless the cell prints its own scale word; a hint that is
  not a unit of the table is used as given.
* a bracket group ending the cell (``100%(历史标准)``) is kept in ``basis``; one holding an
  unfilled placeholder (``(≥**株)``) is dropped; one holding a unit (``95(%)``) is the unit.
* two values in one cell (``1600人、200人``) are text; so are Chinese numerals that are
  spoken one way and read another (``一百五``).
"""

from __future__ import annotations

import calendar
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from perfdecl.datafiles import TARGETS_SHAPE, load_toml
from perfdecl.extract.text import clean_text
from perfdecl.models.document import Deadline, Target

GRAMMAR_PATH = Path(__file__).with_name("targets.toml")
GRAMMAR: dict[str, Any] = load_toml(GRAMMAR_PATH, TARGETS_SHAPE)  # checked: a typo names its key

__all__ = ["parse_target", "GRAMMAR", "GRAMMAR_PATH"]


def _alt(words: Any) -> str:
    """Regex matching any of the literal words, as a trie (大于(?:等于)?): Python's re tries
    plain alternatives one by one, a trie decides on each character once. Longer words are
    tried first, so that 大于等于 beats 大于, with backtracking to the shorter one."""
    trie: dict[str, Any] = {}
    for w in {w for w in words if w}:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> tuple[str, bool]:
        """(regex of the words below node, whether it is one atom that ? may follow)."""
        subs = [(re.escape(ch), emit(sub)[0]) for ch, sub in sorted(node.items()) if ch]
        if not subs:
            return "", True
        singles = [ch for ch, rest in subs if not rest]
        branches = [ch + rest for ch, rest in subs if rest]  # longer continuations first
        if len(singles) > 1:
            branches.append("[" + "".join(singles) + "]")
        else:
            branches.extend(singles)
        if len(branches) > 1:
            body, atom = "(?:" + "|".join(branches) + ")", True
        else:
            body = branches[0]
            atom = body in singles or body.startswith("[") and len(singles) > 1
        if "" in node:  # a word ends here: what follows is optional
            return (body if atom else "(?:" + body + ")") + "?", True
        return body, atom

    return "(?:" + emit(trie)[0] + ")"


# --- character preparation ---------------------------------------------------------------------

def _char_table() -> dict[int, str]:
    table = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}  # full-width ASCII block
    for k, v in GRAMMAR["chars"].items():
        assert len(k) == 1 and len(v) <= 1, "char map must stay 1:1 to keep raw positions"
        table[ord(k)] = v
    return table


_CHARS = _char_table()
# Whitespace and zero-width characters are dropped from the parse text (raw keeps Latin gaps).
_DROP = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]")


def _prep(raw: str) -> tuple[str, list[int]]:
    """The parse text and, for each of its characters, the position it came from in raw."""
    if _DROP.search(raw) is None:  # the usual case: a 1:1 mapping, positions unchanged
        return raw.translate(_CHARS), list(range(len(raw)))
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(raw):
        if _DROP.match(ch) is None:
            out.append(_CHARS.get(ord(ch), ch))
            idx.append(i)
    return "".join(out), idx


def _printed(raw: str, idx: list[int], a: int, b: int) -> str:
    """raw text of parse-text span [a, b): what the cell printed there."""
    return raw[idx[a]: idx[b - 1] + 1]


# --- tables ----------------------------------------------------------------------------------

_SIGNS: dict[str, str] = {**GRAMMAR["signs"], **GRAMMAR["comparison"]["before"]}
_AFTER: dict[str, str] = GRAMMAR["comparison"]["after"]
_APPROX_BEFORE: list[str] = GRAMMAR["approx"]["before"]
_APPROX_AFTER: list[str] = GRAMMAR["approx"]["after"]
_FILLERS: list[str] = GRAMMAR["fillers"]["before"]
_SCALE: dict[str, int] = GRAMMAR["scale"]

_CN = GRAMMAR["chinese_numerals"]
_CN_DIGITS: dict[str, int] = _CN["digits"]
_CN_PLACES: dict[str, int] = _CN["places"]
_CN_SECTIONS: dict[str, int] = _CN["sections"]
_CN_POINT: str = _CN["decimal_point"]
_CN_FRACTIONS: dict[str, str] = _CN["fraction_words"]
_TENTHS: str = _CN["tenths_word"]
_TENTHS_UNIT: str = _CN["tenths_unit"]
_CN_TOP_SECTION = max(_CN_SECTIONS.values())
_CN_TEN = min(_CN_PLACES, key=_CN_PLACES.__getitem__)
_NUMERAL = re.compile(f"[0-9{''.join(_CN_DIGITS)}{''.join(_CN_PLACES)}]")  # worth a number parse
_CN_ZERO = frozenset(c for c, v in _CN_DIGITS.items() if v == 0)
# Trailing words of a Chinese numeral that are scale words (五千万 = 五千 × 万).
_CN_SCALE_SUFFIXES = sorted(
    (w for w in _SCALE if all(c in _CN_SECTIONS for c in w)), key=len, reverse=True
)

_U = GRAMMAR["units"]
_LOOKALIKE: list[str] = _U["scale_lookalike"]
_HINT_EMPTY = frozenset(_U["hint_empty"])
_UNIT_WORDS: list[str] = _U["words"] + _LOOKALIKE

_DL = GRAMMAR["deadline"]
_YEAR_WORDS: dict[str, bool] = _DL["year_words"]
_MONTH_WORDS: dict[str, bool] = _DL["month_words"]
_MONTH_PARTS: dict[str, Any] = _DL["month_parts"]
_YEAR_PARTS: dict[str, list[Any]] = _DL["year_parts"]
_HALVES: dict[str, list[Any]] = _DL["halves"]
_DL_BEFORE: dict[str, str] = _DL["before"]
_DL_AFTER: dict[str, str] = _DL["after"]
_DL_VERBS: list[str] = _DL["verbs"]["words"]

_QUAL_WORDS: dict[str, str] = GRAMMAR["qualitative"]["words"]
_FREQUENCY = frozenset(GRAMMAR["period"]["words"])
_DECOR = GRAMMAR["decor"]
_TRAILING = "".join(_DECOR["trailing"])
_PLACEHOLDERS: list[str] = _DECOR["placeholder_marks"]
_OPEN, _CLOSE = _DECOR["open"], _DECOR["close"]
_MAX_CHARS: int = GRAMMAR["limits"]["max_chars"]

# --- patterns --------------------------------------------------------------------------------


class _Pattern:
    """A grammar pattern compiled on first use. Compiling the grammar takes longer than parsing
    every target of a form (the range pattern alone about 20 ms); a process that meets no range
    or period cell never pays for those patterns."""

    __slots__ = ("source", "_compiled")

    def __init__(self, source: str):
        self.source = source
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            # ASCII: \d is 0-9 only, so a stray ٣ or ² is never read as a digit (int() would
            # accept it)
            self._compiled = re.compile(self.source, re.ASCII)
        return self._compiled

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)


def _none_of(words: Any) -> str:
    """Regex that fails where any of the words starts: `(?!...)` of `_alt` without the words that
    continue a shorter one (大于等于 after 大于), which a lookahead never needs: the same
    positions fail, with a smaller pattern to compile."""
    kept: list[str] = []
    for w in sorted({w for w in words if w}):  # a word sorts right after its prefixes
        if not (kept and w.startswith(kept[-1])):
            kept.append(w)
    return f"(?!{_alt(kept)})"


_NOT_LOOKALIKE = _none_of(_LOOKALIKE)
_SCALE_RE = rf"{_NOT_LOOKALIKE}{_alt(_SCALE)}"
_D = "".join(_CN_DIGITS)
# A Chinese numeral starts with a digit or 十 and stops before a unit such as 千米.
_CN_INT = rf"(?=[{_D}{_CN_TEN}])(?:{_NOT_LOOKALIKE}[{_D}{''.join(_CN_PLACES)}{''.join(_CN_SECTIONS)}])+"
# after 百分之 a numeral may start with its place: 百分之百 = 100
_CN_FRACTION_INT = _CN_INT.replace(f"[{_D}{_CN_TEN}]", f"[{_D}{''.join(_CN_PLACES)}]", 1)
_AR = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"

_PIECE = rf"(?:{_alt(_UNIT_WORDS)}|[A-Za-z]+[23²³]?)"
_CONN = _alt(_U["connectors"])
_COMPOSED = rf"(?:{_CONN}{{0,2}}{_PIECE}(?:{_CONN}{{0,2}}(?:{_SCALE_RE})?{_PIECE}){{0,5}})"
# Words an unlisted measure word must not contain: it would swallow the grammar.
_NOT_RESERVED = _none_of(
    list(_SIGNS) + list(_AFTER) + _APPROX_BEFORE + _APPROX_AFTER + _FILLERS + list(_SCALE)
    + list(_CN_DIGITS) + list(_CN_PLACES) + list(_QUAL_WORDS) + list(_FREQUENCY)
    + GRAMMAR["range"]["separators"] + GRAMMAR["range"]["before"] + GRAMMAR["range"]["after"]
    + list(_DL_BEFORE) + list(_DL_AFTER) + list(_MONTH_PARTS) + list(_YEAR_WORDS)
    + list(_MONTH_WORDS) + _DL_VERBS
)
_UNLISTED = rf"(?:{_NOT_RESERVED}[\u4e00-\u9fff]){{1,{int(_U['unlisted_max_chars'])}}}"
_COUNTED = (
    rf"(?:{_alt(_U['counters'])})(?:{_NOT_RESERVED}[\u4e00-\u9fff]){{1,{int(_U['counted_max_chars'])}}}"
)
_UNIT = rf"(?:{_COMPOSED}|{_COUNTED}|{_UNLISTED})"
_COMPOSED_FULL = _Pattern(_COMPOSED)
_HINT = _Pattern(rf"(?P<scale>{_SCALE_RE})?(?P<unit>{_COMPOSED})?")

_NUMERIC = _Pattern(
    rf"(?:{_alt(_FILLERS)})?(?:(?P<sign>{_alt(_SIGNS)})|(?P<apx>{_alt(_APPROX_BEFORE)}))?"
    rf"(?:(?P<fw>{_alt(_CN_FRACTIONS)})(?P<fn>{_CN_FRACTION_INT}(?:{_CN_POINT}[{_D}]+)?|\d+(?:\.\d+)?)"
    rf"|(?P<t1>[{_D}{_CN_TEN}]){re.escape(_TENTHS)}(?P<t2>[{_D}])?"
    rf"|(?P<ar>-?{_AR})"
    rf"|(?P<cn>{_CN_INT})(?:{_CN_POINT}(?P<cnf>[{_D}]+))?)"
    rf"(?P<scale>{_SCALE_RE})?(?P<unit>{_UNIT})?"
    rf"(?:{_alt(_APPROX_AFTER)})?(?P<after>{_alt(_AFTER)})?"
)


def _bound(i: int) -> str:
    return (
        rf"(?:(?P<ar{i}>{_AR})|(?P<cn{i}>{_CN_INT}))"
        rf"(?P<sc{i}>{_SCALE_RE})?(?P<u{i}>{_UNIT})?"
    )


_RSEP = _alt(GRAMMAR["range"]["separators"])
_RANGE = _Pattern(
    rf"(?:{_alt(GRAMMAR['range']['before'])})?(?:{_alt(_APPROX_BEFORE)})?"
    rf"{_bound(1)}{_RSEP}{_bound(2)}"
    rf"(?:{_alt(_APPROX_AFTER)})?(?:{_alt(GRAMMAR['range']['after'])})?"
)

_YM = _alt(_DL["year_marks"])
_MM = _alt(_DL["month_marks"])
_DM = _alt(_DL["day_marks"])
_YEAR_N = rf"(?:\d{{4}}|[{_D}]{{4}})"
_MD_N = rf"(?:\d{{1,2}}|[{_D}{_CN_TEN}]{{1,3}})"   # month or day number
_DSEP = "".join(re.escape(c) for c in _DL["date_separators"])
_DL_PRE = rf"(?P<pre>{_alt(list(_DL_BEFORE) + list(_SIGNS))})?"
_DL_POST = rf"(?P<post>{_alt(_DL_AFTER)})?(?:{_alt(_DL_VERBS)})?"

_DEADLINE = _Pattern(
    _DL_PRE
    + rf"(?:(?P<ny>\d{{4}})(?P<ns>[{_DSEP}])(?P<nm>\d{{1,2}})(?:(?P=ns)(?P<nd>\d{{1,2}}))?"
    rf"|(?P<mw>{_alt(_MONTH_WORDS)})(?P<md>{_MD_N}){_DM}"
    rf"|(?:(?P<y>{_YEAR_N}){_YM}|(?P<yw>{_alt(_YEAR_WORDS)})|(?P<yb>{_YM}))?"
    rf"(?:(?P<m>{_MD_N}){_MM}(?:(?P<d>{_MD_N}){_DM}|(?P<mp>{_alt(_MONTH_PARTS)}))?"
    rf"|(?P<yp>{_alt(_YEAR_PARTS)})|(?P<half>{_alt(_HALVES)}))?)"
    + _DL_POST
)


def _pdate(i: int) -> str:
    """One end of a period: 2023年7月(1日), 2023年, 7月(1日), 2023.07(.01)."""
    return (
        rf"(?:(?P<qy{i}>\d{{4}})(?P<qs{i}>[./])(?P<qm{i}>\d{{1,2}})(?:(?P=qs{i})(?P<qd{i}>\d{{1,2}}))?"
        rf"|(?:(?P<py{i}>{_YEAR_N}){_YM})?(?:(?P<pm{i}>{_MD_N}){_MM}(?:(?P<pd{i}>{_MD_N}){_DM})?)?)"
    )


_PERIOD = _Pattern(rf"(?:{_alt(_DL_BEFORE)})?{_pdate(1)}{_RSEP}{_pdate(2)}" + _DL_POST)
_PERIOD_MONTHS = _Pattern(  # 2024年1-6月
    rf"(?P<y>{_YEAR_N}){_YM}(?P<m1>{_MD_N}){_RSEP}(?P<m2>{_MD_N}){_MM}" + _DL_POST
)
_PERIOD_YEARS = _Pattern(  # 2020-2024年
    rf"(?P<y1>\d{{4}}){_RSEP}(?P<y2>\d{{4}}){_YM}" + _DL_POST
)

# A date needs a date word or a numeric date; a range or period needs a separator.
_DATE_HINT = _Pattern(
    "[" + re.escape("".join(sorted(set("".join(_DL["year_marks"] + _DL["month_marks"] + _DL["day_marks"])))))
    + rf"]|\d{{4}}[{_DSEP}]\d"
)
_RANGE_HINT = _Pattern(_RSEP)

_QUAL = _Pattern(
    rf"(?:{_alt(GRAMMAR['qualitative']['modifiers'])}){{0,{int(GRAMMAR['qualitative']['max_modifiers'])}}}"
    rf"(?P<w>{_alt(_QUAL_WORDS)})"
)
_BRACKET = re.compile(rf"{re.escape(_OPEN)}([^{re.escape(_OPEN + _CLOSE)}]*){re.escape(_CLOSE)}")

# --- numbers ---------------------------------------------------------------------------------


def _cn_int(s: str) -> int | None:
    """一百二十 → 120, 一万二千 → 12000, 二〇二四 → 2024; None for what is ambiguous or malformed."""
    if all(c in _CN_DIGITS for c in s):  # digit by digit, as years are written (二〇二四)
        return int("".join(str(_CN_DIGITS[c]) for c in s)) if len(s) <= 4 else None
    total = section = 0
    num: int | None = None
    place = 0            # last place (十百千) in this section: places must fall (一千二百)
    last_mult = 0        # last place or section word seen
    zero_before = False
    sections_seen: list[int] = []
    for c in s:
        if c in _CN_DIGITS:
            if num is not None:
                return None  # 一二: two digits without a place
            if c in _CN_ZERO:
                zero_before = True
                continue
            num = _CN_DIGITS[c]
        elif c in _CN_PLACES:
            mult = _CN_PLACES[c]
            if place and mult >= place:
                return None  # 十十, 一百千
            if num is None and not (mult == 10 and not section) and s != c:
                return None  # a place needs its digit, except a leading 十 (十二) or 百 alone
            section += (1 if num is None else num) * mult
            num, place, last_mult, zero_before = None, mult, mult, False
        else:  # 万 / 亿 section
            mult = _CN_SECTIONS[c]
            if sections_seen and sections_seen[-1] == mult:
                return None  # 一万万
            sections_seen.append(mult)
            if mult == _CN_TOP_SECTION:  # 亿 multiplies all before it: 一万亿 = 10^12
                total = (total + section + (num or 0)) * mult
            else:
                total += (section + (num or 0)) * mult
            section, num, place, last_mult, zero_before = 0, None, 0, mult, False
    if num is not None and last_mult >= 100 and not zero_before:
        return None  # 一百五 is spoken 150 but reads 105: refuse rather than guess
    return total + section + (num or 0)


def _cn_number(int_part: str, frac: str | None) -> str | None:
    """Decimal text of a Chinese numeral (三点五 → '3.5')."""
    n = _cn_int(int_part)
    if n is None:
        return None
    if frac:
        return f"{n}." + "".join(str(_CN_DIGITS[c]) for c in frac)
    return str(n)


def _value(num: str) -> int | float:
    """The number as written: int without decimals, else float."""
    return float(num) if "." in num else int(num)


def _scaled(num: str, scale: int) -> float | None:
    """num × scale without binary float error (1.4 × 10000 = 14000.0); None if not finite."""
    v = float(Decimal(num) * scale) if "." in num else float(int(num) * scale)
    return v if math.isfinite(v) else None


def _hint(hint: str | None) -> tuple[int | None, str | None]:
    """(scale, unit) of a unit column / bracketed indicator-name unit, split like a cell unit."""
    if not hint or not isinstance(hint, str):
        return None, None
    printed = clean_text(hint)
    h, idx = _prep(printed)
    if len(h) >= 2 and h[0] == _OPEN and h[-1] == _CLOSE:
        h, idx = h[1:-1], idx[1:-1]
    if not h or h in _HINT_EMPTY:
        return None, None
    m = _HINT.fullmatch(h)
    if m is None:
        return None, _printed(printed, idx, 0, len(h))
    scale = _SCALE[m["scale"]] if m["scale"] else None
    unit = _printed(printed, idx, *m.span("unit")) if m["unit"] else None
    return scale, unit


# --- op --------------------------------------------------------------------------------------


def _combine(before: str | None, after: str | None) -> str | None:
    """One op from a sign before and a word after the number; None when they contradict."""
    if before and after and before != after:
        if before[0] == after[0]:  # ≥ … 以上, > … 以上: the sign is the more precise one
            return before
        if before == "=":
            return after
        return None
    return before or after or "="


# --- decoration ------------------------------------------------------------------------------


def _undecorate(raw: str, s: str, idx: list[int]) -> tuple[str, list[int], str | None]:
    """Drop trailing punctuation and placeholder brackets; split off a trailing basis bracket."""
    if _OPEN in s:
        keep_s, keep_i, pos = [], [], 0
        for m in _BRACKET.finditer(s):
            if any(p in m.group(1) for p in _PLACEHOLDERS):
                keep_s.append(s[pos:m.start()])
                keep_i.extend(idx[pos:m.start()])
                pos = m.end()
        if pos:
            keep_s.append(s[pos:])
            keep_i.extend(idx[pos:])
            s, idx = "".join(keep_s), keep_i
    n = len(s.rstrip(_TRAILING))
    s, idx = s[:n], idx[:n]
    basis = None
    if s.endswith(_CLOSE):
        k = s.rfind(_OPEN)
        if k >= 0 and _CLOSE not in s[k + 1:-1]:
            content = s[k + 1:-1]
            if k == 0 or _COMPOSED_FULL.fullmatch(content):
                # the whole cell in brackets, or a unit in brackets: keep the content
                s, idx = s[:k] + content, idx[:k] + idx[k + 1:-1]
            else:
                if content:
                    basis = _printed(raw, idx, k + 1, len(s) - 1)
                s, idx = s[:k], idx[:k]
            n = len(s.rstrip(_TRAILING))
            s, idx = s[:n], idx[:n]
    return s, idx, basis


# --- the kinds -------------------------------------------------------------------------------


def _qualitative(s: str) -> dict[str, Any] | None:
    m = _QUAL.fullmatch(s)
    if m is None:
        return None
    return {"kind": "qualitative", "direction": _QUAL_WORDS[m["w"]]}


def _md(text: str) -> int | None:
    return int(text) if text.isdigit() else _cn_int(text)


def _last_day(year: int | None, month: int) -> int:
    return calendar.monthrange(year or 2001, month)[1]  # unknown year: a non-leap year


def _valid(year: int | None, month: int | None, day: int | None) -> bool:
    if year is not None and not 1900 <= year <= 2100:
        return False
    if month is None:
        return day is None or 1 <= day <= 31
    if not 1 <= month <= 12:
        return False
    return day is None or 1 <= day <= calendar.monthrange(year or 2000, month)[1]


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) if text.isdigit() else _cn_int(text)


def _deadline_op(*ops: str | None) -> str | None:
    """One op from the limit words found; None (not a deadline) if they contradict."""
    found = {o for o in ops if o}
    if len(found) > 1:
        return None
    return found.pop() if found else "="


def _deadline(s: str) -> dict[str, Any] | None:
    m = _DEADLINE.fullmatch(s)
    if m is None:
        return None
    pre = m["pre"]
    pre_op = _DL_BEFORE.get(pre) if pre in _DL_BEFORE else _SIGNS.get(pre) if pre else None
    post_op = _DL_AFTER[m["post"]] if m["post"] else None
    part_op = None
    recurring = False
    year = month = day = None
    if m["ny"]:
        year, month = int(m["ny"]), int(m["nm"])
        day = int(m["nd"]) if m["nd"] else None
        if day is None and m["ns"] == "." and not post_op:
            return None  # a lone 2024.06 is a number, not a date
    elif m["mw"]:
        recurring = _MONTH_WORDS[m["mw"]]
        day = _md(m["md"])
        if day is None:
            return None
    else:
        year = _year(m["y"])
        if m["yw"]:
            recurring = _YEAR_WORDS[m["yw"]]
        has_year = bool(m["y"] or m["yw"] or m["yb"])
        if m["m"]:
            if m["yb"]:
                return None
            month = _md(m["m"])
            if month is None or not 1 <= month <= 12:
                return None
            if m["d"]:
                day = _md(m["d"])
                if day is None:
                    return None
            elif m["mp"]:
                part = _MONTH_PARTS[m["mp"]]
                day = _last_day(year, month) if part == "last" else int(part)
        elif m["yp"]:
            if not has_year:
                return None
            pm, pd, part_op = _YEAR_PARTS[m["yp"]]
            if pm:
                month, day = pm, pd
            elif year is None:
                return None  # 年度 alone names no year
        elif m["half"]:
            if m["yb"]:
                return None
            month, day, part_op = _HALVES[m["half"]]
        elif year is None:
            return None  # nothing but 每年 / 当年: not a date
    if not _valid(year, month, day):
        return None
    op = _deadline_op(pre_op, post_op, part_op)
    if op is None:
        return None
    return {
        "kind": "deadline",
        "op": op,
        "deadline": Deadline(year=year, month=month, day=day, recurring=recurring),
    }


def _period_end(m: re.Match[str]) -> tuple[int | None, int | None, int | None] | None:
    """(year, month, day) of the period's end, or None when the sides are not both dates."""
    sides = []
    for i in (1, 2):
        if m[f"qy{i}"]:
            sides.append((int(m[f"qy{i}"]), int(m[f"qm{i}"]),
                          int(m[f"qd{i}"]) if m[f"qd{i}"] else None))
        elif m[f"py{i}"] or m[f"pm{i}"]:
            month = _md(m[f"pm{i}"]) if m[f"pm{i}"] else None
            day = _md(m[f"pd{i}"]) if m[f"pd{i}"] else None
            if (m[f"pm{i}"] and month is None) or (m[f"pd{i}"] and day is None):
                return None
            sides.append((_year(m[f"py{i}"]), month, day))
        else:
            return None
    (y1, _, _), (y2, m2, d2) = sides
    return (y2 if y2 is not None else y1), m2, d2


def _period(s: str) -> dict[str, Any] | None:
    end: tuple[int | None, int | None, int | None] | None = None
    if m := _PERIOD.fullmatch(s):
        end = _period_end(m)
    elif m := _PERIOD_MONTHS.fullmatch(s):
        month = _md(m["m2"])
        end = (_year(m["y"]), month, None) if month is not None else None
    elif m := _PERIOD_YEARS.fullmatch(s):
        end = int(m["y2"]), None, None
    if end is None:
        return None
    year, month, day = end
    if month is None:
        if day is not None:
            return None
        month, day = 12, 31
    elif day is None and 1 <= month <= 12:
        day = _last_day(year, month)
    if not _valid(year, month, day):
        return None
    return {
        "kind": "deadline",
        "op": "<=",
        "deadline": Deadline(year=year, month=month, day=day, recurring=False),
    }


def _unit_or_hint(
    raw: str, idx: list[int], m: re.Match[str], group: str, hint: str | None
) -> tuple[str | None, int | None]:
    """Printed unit of a match group, else the hint's (unit, scale)."""
    if m[group]:
        return _printed(raw, idx, *m.span(group)), None
    scale, unit = _hint(hint)
    return unit, scale


def _range(raw: str, s: str, idx: list[int], hint: str | None) -> dict[str, Any] | None:
    m = _RANGE.fullmatch(s)
    if m is None:
        return None
    nums = []
    for i in (1, 2):
        if m[f"ar{i}"]:
            nums.append(m[f"ar{i}"].replace(",", ""))
        else:
            n = _cn_number(m[f"cn{i}"], None)
            if n is None or (m[f"u{i}"] and not _COMPOSED_FULL.fullmatch(m[f"u{i}"])):
                return None
            nums.append(n)
    sc1, sc2 = m["sc1"], m["sc2"]
    if sc1 and sc1 != sc2:
        return None  # 1万-20000: the bounds are on different scales
    u1, u2 = m["u1"], m["u2"]
    if u1 and u2 and u1 != u2:
        return None
    if u2:
        unit, hint_scale = _printed(raw, idx, *m.span("u2")), None
    elif u1:
        unit, hint_scale = _printed(raw, idx, *m.span("u1")), None
    else:
        hint_scale, unit = _hint(hint)
    scale = _SCALE[sc2] if sc2 else hint_scale or 1
    low, high = _scaled(nums[0], scale), _scaled(nums[1], scale)
    if low is None or high is None:
        return None
    if low > high:
        low, high = high, low
    return {"kind": "range", "scale": scale, "unit": unit, "low": low, "high": high}


def _numeric(raw: str, s: str, idx: list[int], hint: str | None) -> dict[str, Any] | None:
    m = _NUMERIC.fullmatch(s)
    if m is None:
        return None
    op = _combine(_SIGNS[m["sign"]] if m["sign"] else None, _AFTER[m["after"]] if m["after"] else None)
    if op is None:
        return None
    scale = _SCALE[m["scale"]] if m["scale"] else None
    fixed_unit = None
    if m["fw"] or m["t1"]:  # 百分之九十五, 九成五: the unit is in the numeral
        if scale or m["unit"]:
            return None
        if m["fw"]:
            fixed_unit = _CN_FRACTIONS[m["fw"]]
            fn = m["fn"]
            if fn[0].isdigit():
                num = fn
            else:
                int_part, _, frac = fn.partition(_CN_POINT)
                num = _cn_number(int_part, frac or None)
        else:
            fixed_unit = _TENTHS_UNIT
            tens = 10 if m["t1"] == _CN_TEN else _CN_DIGITS[m["t1"]]
            num = str(tens * 10 + (_CN_DIGITS[m["t2"]] if m["t2"] else 0))
    elif m["ar"]:
        num = m["ar"].replace(",", "")
    else:
        cn = m["cn"]
        if m["unit"] and not _COMPOSED_FULL.fullmatch(m["unit"]):
            return None  # after a Chinese numeral only listed units: 一般 is not 1 般
        if not m["cnf"]:
            for w in _CN_SCALE_SUFFIXES:
                if cn.endswith(w) and len(cn) > len(w):
                    if scale:
                        return None
                    cn, scale = cn[: -len(w)], _SCALE[w]
                    break
        num = _cn_number(cn, m["cnf"])
    if num is None:
        return None
    if fixed_unit:
        unit = fixed_unit
    else:
        unit, hint_scale = _unit_or_hint(raw, idx, m, "unit", hint)
        if scale is None:
            scale = hint_scale
    scale = scale or 1
    normalized = _scaled(num, scale)
    if normalized is None:
        return None
    return {
        "kind": "numeric", "op": op, "value": _value(num), "scale": scale, "unit": unit,
        "normalized_value": normalized,
    }


# --- entry point -----------------------------------------------------------------------------


def parse_target(text: str, *, unit_hint: str | None = None) -> Target:
    """Parse a 指标值 cell. Never raises; ``kind="text"`` with ``raw`` kept when not understood.

    ``unit_hint``: the unit the form states elsewhere for this value (a unit column, or the
    unit in brackets ending the indicator name); used only when the cell prints no unit.
    """
    try:
        raw = clean_text(text)
    except Exception:  # a non-str from a careless caller must not stop a batch
        raw = "" if text is None else str(text)
    try:
        return parse_cleaned(raw, unit_hint)
    except Exception:  # a bug must not stop a batch; tests call parse_cleaned, which raises
        return Target(raw=raw)


def parse_cleaned(raw: str, hint: str | None = None) -> Target:
    """`parse_target` of text already cleaned (contract text rules), without its safety net: a bug
    raises here, so that tests can see it."""
    if len(raw) > _MAX_CHARS:
        return Target(raw=raw)
    s, idx = _prep(raw)
    s, idx, basis = _undecorate(raw, s, idx)
    if not s or s in _FREQUENCY:
        return Target(raw=raw)
    # cheap searches first: most cells are plain numbers and need no date or range pattern
    dated = _DATE_HINT.search(s) is not None
    ranged = _RANGE_HINT.search(s) is not None
    fields = _qualitative(s)
    if fields is None and dated:
        fields = _deadline(s) or (_period(s) if ranged else None)
    if fields is None and _NUMERAL.search(s):
        fields = (_range(raw, s, idx, hint) if ranged else None) or _numeric(raw, s, idx, hint)
    if fields is None:
        return Target(raw=raw)
    return Target(raw=raw, basis=basis, **fields)
