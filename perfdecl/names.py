"""File names as they are: bytes on Linux, not always UTF-8, sometimes holding terminal codes.

Python gives a name's undecodable bytes as lone surrogates (`\\udcff` for the byte 0xff,
"surrogateescape"), which `os.fsencode` turns back into the same bytes. perfdecl keeps names so
in every record, and writes them:
- in JSON (documents, journal, spool) with the surrogate as a `\\udcff` escape, which reads back
  as the same name (`json_bytes`, `json_text`);
- in CSV, XLSX and Parquet cells, which must be valid Unicode text, with each such byte as `\\xff`
  (`readable`);
- on the terminal and in logs, also with control characters escaped (`shown`), so a name cannot
  move the cursor, clear the line or forge a summary line.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                         "\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _byte(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape could not decode
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def readable(text: str) -> str:
    """The text with each undecodable byte of a name as `\\xNN` (valid Unicode for any writer)."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: _byte(m.group()), text)


def shown(text, *, lines: bool = False) -> str:
    """The text as a terminal or log line may show it: undecodable bytes as `\\xNN`, control
    characters as `\\n`, `\\x1b`, `\\u202e`… (`lines`: newlines kept, for a traceback)."""
    text = str(text)
    if not _UNSHOWABLE.search(text):
        return text

    def escape(m: re.Match) -> str:
        ch = m.group()
        if lines and ch == "\n":
            return ch
        if ch in _NAMED:
            return _NAMED[ch]
        if "\ud800" <= ch <= "\udfff":
            return _byte(ch)
        if ord(ch) < 0x100:
            return f"\\x{ord(ch):02x}"
        return f"\\u{ord(ch):04x}"

    return _UNSHOWABLE.sub(escape, text)


def json_text(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with lone surrogates as `\\udcNN`
    escapes, so that it encodes as UTF-8 and reads back as the same name. Surrogates can only
    stand inside JSON strings, where the escape means the same character."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json_text(text).encode("utf-8")

