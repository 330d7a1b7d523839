"""Amounts as printed in budget cells (`4,192.11`, `0.00`, `10,610.00`) and units in brackets."""

from __future__ import annotations

import math
import re

from ..extract.text import clean_text

_AMOUNT = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_UNIT_IN_BRACKETS = re.compile(r"[（(]([^（）()]{1,6})[）)]$")


def parse_amount(text: str | None) -> float | None:
    """The number a budget cell prints, or None for an empty or non-numeric cell."""
    t = clean_text(text)
    if not _AMOUNT.match(t):
        return None
    value = float(t.replace(",", ""))
    return value if math.isfinite(value) else None  # hundreds of digits overflow to inf: not JSON


def bracket_unit(text: str | None) -> str | None:
    """The unit a label states in brackets at its end: `预算金额（万元）` → `万元`."""
    m = _UNIT_IN_BRACKETS.search(clean_text(text))
    return m.group(1) if m else None
