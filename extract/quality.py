"""Is a page's text layer usable, or does the page need OCR?"""

from __future__ import annotations

from collections.abc import Sequence

# A page is unusable when it has no characters, or when more than this share of its characters are
# unmapped glyphs that pdfminer prints as `(cid:NNN)` (fonts without a ToUnicode map).
MAX_CID_SHARE = 0.1


def page_text_usable(chars: Sequence[dict]) -> bool:
    if not chars:
        return False
    cid = sum(1 for c in chars if c["text"].startswith("(cid:"))
    return cid / len(chars) <= MAX_CID_SHARE
