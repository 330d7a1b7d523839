"""Amounts as printed in budget cells (`4,192.11`, `0.00`, `10,610.00`), and the bracket group
ending a label (`项目资金（万元）`): its unit, the label without it."""

from __future__ import annotations

import math
import re

from ..extract.text import clean_text, compact

# an amount may carry its unit (`250万`, `164万元`, `3,600.00元`); the unit is the form's, so only
# the number is the amount
_AMOUNT = re.compile(r"^(?P<number>[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?)(?P<unit>万元|亿元|千元|元|万)?$")
# A bracket group ending a label (`项目资金（万元）`, `城镇新增就业人数（万人）`): an opening bracket, text
# with no bracket in it, a closing one; full-width or ASCII, mixed too (OCR reads either). The one
# rule for every label and name; the target grammar has its own for values (targets.toml [decor]).
_TRAILING_BRACKETS = re.compile(r"[（(]([^（）()]*)[）)]$")
# a unit in brackets is short (万元, 万人次, 平方公里); at the end of an indicator name the
# bracket is taken for a possible unit up to a little longer (the target grammar then decides)
UNIT_MAX_LENGTH = 6
NAME_UNIT_MAX_LENGTH = 8


def parse_amount(text: str | None) -> float | None:
    """The number a budget cell prints, or None for an empty or non-numeric cell."""
    # a line wrap inside a long number (`3,309,840.0` / `0`) is no gap between two numbers
    m = _AMOUNT.match(compact(clean_text(text)))
    if m is None:
        return None
    value = float(m.group("number").replace(",", ""))
    return value if math.isfinite(value) else None  # hundreds of digits overflow to inf: not JSON


def trailing_brackets(text: str) -> re.Match[str] | None:
    """The bracket group ending `text` (group 1: what it holds), or None."""
    return _TRAILING_BRACKETS.search(text)


def strip_trailing_brackets(text: str) -> str:
    """`项目资金（万元）` → `项目资金`: the label without the note or unit in brackets ending it."""
    m = trailing_brackets(text)
    return text if m is None else text[:m.start()] + text[m.end():]


def bracket_unit(text: str | None) -> str | None:
    """The unit a label states in brackets at its end: `预算金额（万元）` → `万元`."""
    m = trailing_brackets(clean_text(text))
    return m.group(1) if m and 1 <= len(m.group(1)) <= UNIT_MAX_LENGTH else None
