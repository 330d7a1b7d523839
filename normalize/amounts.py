"""Amounts as printed in budget cells (`4,192.11`, `0.00`, `10,610.00`) and units in brackets."""

from __future__ import annotations

import math
import re

from ..extract.text import clean_text

# an amount may carry its unit (`250万`, `164万元`, `3,600.00元`); the unit is the form's, so only
# the number is the amount
_AMOUNT = re.compile(r"^(?P<number>[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?)(?P<unit>万元|亿元|千元|元|万)?$")
_SPACES = re.compile(r"\s+")
_UNIT_IN_BRACKETS = re.compile(r"[（(]([^（）()]{1,6})[）)]$")


def parse_amount(text: str | None) -> float | None:
    """The number a budget cell prints, or None for an empty or non-numeric cell."""
    # a line wrap inside a long number (`3,309,840.0` / `0`) is no gap between two numbers
    m = _AMOUNT.match(_SPACES.sub("", clean_text(text)))
    if m is None:
        return None
    value = float(m.group("number").replace(",", ""))
    return value if math.isfinite(value) else None  # hundreds of digits overflow to inf: not JSON


def bracket_unit(text: str | None) -> str | None:
    """The unit a label states in brackets at its end: `预算金额（万元）` → `万元`."""
    m = _UNIT_IN_BRACKETS.search(clean_text(text))
    return m.group(1) if m else None
