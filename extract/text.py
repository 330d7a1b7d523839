"""Text rules shared by every text field: character mapping and whitespace removal, and the
whitespace-free form texts are compared by (`compact`).

Why not ``unicodedata.normalize("NFKC", text)`` on whole texts:

* it turns Chinese punctuation into ASCII (``，`` → ``,``, ``（`` → ``(``, ``：`` → ``:``),
  which the contract says stays as printed;
* it maps Kangxi radicals to *traditional* characters (``⾨`` → ``門``), while the forms
  mean the simplified ones (``门``);
* it leaves most CJK Radicals Supplement forms alone (``⻔``, ``⺠``), and some PDF producers
  (Chromium among them) write ordinary characters as exactly those code points.

So the mapping is an explicit per-character table, ``charmap.tsv`` next to this file.
NFKC is used only for the CJK Compatibility Ideographs block, one character at a time,
where it yields the unified ideograph; the table's rows override it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

CHARMAP_PATH = Path(__file__).with_name("charmap.tsv")
_COMPAT_IDEOGRAPHS = range(0xF900, 0xFB00)


def _load_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in _COMPAT_IDEOGRAPHS:
        target = unicodedata.normalize("NFKC", chr(cp))
        if target != chr(cp):  # unassigned and the few true unified ideographs stay
            table[cp] = target
    for line in CHARMAP_PATH.read_text(encoding="utf-8").splitlines():
        if not line.startswith("U+"):  # comments and the header row
            continue
        codepoint, _char, target, _note = line.split("\t")
        table[int(codepoint[2:], 16)] = target
    return table


# Built once: str.translate with a code point table is the fast path for whole pages.
_TABLE = str.maketrans(_load_table())

# \s on str patterns is Unicode-aware: covers U+3000 (ideographic space) and NBSP too.
_WHITESPACE = re.compile(r"\s+")
_LATIN = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def map_chars(text: str) -> str:
    """Map compatibility characters to their standard form; everything else is untouched."""
    return text.translate(_TABLE)


def _gap(match: re.Match[str]) -> str:
    # One space survives only between two Latin words or numbers ("Wi Fi", "2023 12");
    # line wraps inside Chinese text, and leading/trailing runs, vanish.
    s, i, j = match.string, match.start(), match.end()
    if i > 0 and j < len(s) and s[i - 1] in _LATIN and s[j] in _LATIN:
        return " "
    return ""


def compact(text: str | None) -> str:
    """The text with every whitespace character left out: what two texts are compared by, so
    that a line wrap or a space a producer put in (`项目 支出`) makes no difference."""
    return "".join((text or "").split())


def clean_text(text: str | None) -> str:
    """The contract's text field: mapped characters, whitespace removed except Latin gaps."""
    if text is None:
        return ""
    # Map first so that full-width letters and digits count as Latin for the gap rule.
    return _WHITESPACE.sub(_gap, map_chars(text))
