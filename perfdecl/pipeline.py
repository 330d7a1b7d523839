"""The conversion pipeline, as named stages: open → extract → normalize → (check inside normalize).

Each stage raises a typed `PerfdeclError` naming itself; `convert` returns the contract Document.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from .errors import InputFileError, NoFormFoundError, OcrRequiredError, PerfdeclError
from .extract.textlayer import extract_text_layer
from .models import Document, Source, Warning
from .normalize.forms import normalize_document

log = logging.getLogger(__name__)


def _open(path: Path) -> str:
    """Stage `open`: the file exists, is not empty; returns the sha256 of its bytes."""
    if not path.is_file():
        raise InputFileError("no such file", file=str(path))
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror}", file=str(path)) from exc
    if size == 0:
        raise InputFileError("the file is empty (0 bytes)", file=str(path))
    return digest.hexdigest()


def convert(path: str | Path, *, password: str | None = None) -> Document:
    """Convert one PDF into the contract Document. Raises a `PerfdeclError` if it cannot be read."""
    path = Path(path)
    sha256 = _open(path)
    log.info("extracting %s", path)
    extracted = extract_text_layer(path, password=password)
    if extracted.page_count and len(extracted.unusable_pages) == extracted.page_count:
        raise OcrRequiredError(
            "no page has a usable text layer (scanned or (cid:NNN) glyphs); OCR is needed",
            file=str(path))
    warnings = [
        Warning(code="ocr_required", message="the page has no usable text layer and was not read",
                page=p)
        for p in extracted.unusable_pages
    ]
    forms, form_warnings = normalize_document(extracted, path.name)
    if not forms:
        raise NoFormFoundError("no declaration form found (no form title matched)", file=str(path))
    return Document(
        source=Source(file=path.name, sha256=sha256, page_count=extracted.page_count,
                      method=extracted.method, ocr_engine=extracted.ocr_engine),
        forms=forms,
        warnings=warnings + form_warnings,
    )


__all__ = ["convert", "PerfdeclError"]
