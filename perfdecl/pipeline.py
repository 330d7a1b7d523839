"""The conversion pipeline, as named stages: open → extract → normalize → (check inside normalize).

Each stage raises a typed `PerfdeclError` naming itself; `convert` returns the contract Document.
The extract stage reads the text layer and, page by page, OCRs what has none (`ocr`), see
`extract/document.py`; image files (PNG, JPEG, TIFF) are OCR'd whole.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import limits as _limits
from .errors import InputFileError, NoFormFoundError, OcrRequiredError, PerfdeclError
from .extract.grid import CellRepair, repairs_of
from .extract.document import OCR_MODES, ExtractionStream
from .extract.ocr.document import OcrReport
from .extract.ocr.render import IMAGE_SUFFIXES
from .models import Document, DocumentWarning, Form, Source
from .normalize import vocabulary as _vocabulary
from .normalize.cells import cell_labels
from .normalize.checks import check_repaired_sums
from .normalize.forms import FormReader
from .settings import check_ocr_settings

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


def convert(path: str | Path, *, password: str | None = None, ocr: str = "auto",
            ocr_engine: str | None = None, ocr_settings: dict | None = None,
            limits: dict | None = None,
            vocabulary: Sequence[str | os.PathLike] | None = None) -> Document:
    """Convert one PDF (or page image) into the contract Document. Raises a `PerfdeclError` if it
    cannot be read.

    `ocr`: "auto" OCRs the pages without a usable text layer (and scanned pages whose own
    scanner text fails the quality check), "always" every page, "never" none (such pages give
    `ocr_required` warnings, a file with no usable page `OcrRequiredError`). `ocr_engine`:
    "rapidocr" (default) or "tesseract". `ocr_settings`: overrides of
    `perfdecl.extract.ocr.OCR_SETTINGS` (dpi, thresholds, engine settings). `limits`: overrides
    of `perfdecl.limits.LIMITS` (pixels per page and image, bytes per stream); a file past them
    raises `PageTooLargeError`. A key these dicts do not know raises `SettingsError`.
    `vocabulary`: the user's label files (TOML, docs/vocabulary.md), merged in order over the
    built-in labels.toml; a bad one raises `DataFileError`.
    """
    conversion = Conversion(path, password=password, ocr=ocr, ocr_engine=ocr_engine,
                            ocr_settings=ocr_settings, limits=limits, vocabulary=vocabulary)
    forms = list(conversion.forms())
    return conversion.document(forms)


class Conversion:
    """One file's conversion as it runs, for a file too long to hold whole: `forms()` hands on
    each form as soon as the next form's title (or the end) closes it, reading the pages as it
    goes; once it is exhausted, `document(forms)` is the contract Document (the source and the
    warnings are known only then). `convert` is `document(list(forms()))`. Same arguments and
    errors as `convert`; one conversion at a time in a process (the limits and the vocabulary
    in force are the process's)."""

    def __init__(self, path: str | Path, *, password: str | None = None, ocr: str = "auto",
                 ocr_engine: str | None = None, ocr_settings: dict | None = None,
                 limits: dict | None = None,
                 vocabulary: Sequence[str | os.PathLike] | None = None):
        check_ocr_settings(ocr_settings, ocr_engine)
        if ocr not in OCR_MODES:
            raise ValueError(f"ocr must be one of {', '.join(OCR_MODES)}, not {ocr!r}")
        self.path = Path(path)
        self._options = dict(password=password, mode=ocr, engine=ocr_engine,
                             settings=ocr_settings)
        self._limits, self._vocabulary = limits, vocabulary
        self._tail: Document | None = None

    def forms(self) -> Iterator[Form]:
        path = self.path
        with _limits.applied(self._limits), _vocabulary.applied(self._vocabulary):
            sha256 = _open(path)
            log.info("extracting %s", path)
            stream = ExtractionStream(path, labels=cell_labels(), **self._options)
            reader = FormReader(path.name)
            repairs: list[CellRepair] = []
            budgets: list[list] = []  # each form's budget, where OCR repairs may concern it

            def items():
                for item in stream:
                    repairs.extend(repairs_of([item]))
                    yield item

            for form in reader.read(items()):
                budgets.append(form.budget if stream.report.ocr_pages else [])
                yield form
            if stream.page_count and len(stream.unusable_pages) == stream.page_count:
                raise OcrRequiredError(
                    "no page has a usable text layer (scanned or (cid:NNN) glyphs); OCR is needed",
                    file=str(path))
            if not reader.count:
                raise NoFormFoundError("no declaration form found (no form title matched)",
                                       file=str(path))
            warnings = [
                DocumentWarning(code="ocr_required",
                                message="the page has no usable text layer and was not read", page=p)
                for p in stream.unusable_pages
            ]
            extracted = stream.document([])
            self._tail = Document(
                source=Source(file=path.name, sha256=sha256, page_count=extracted.page_count,
                              method=extracted.method, ocr_engine=extracted.ocr_engine),
                warnings=warnings + ocr_warnings(repairs, stream.report, budgets) + reader.warnings,
            )

    def document(self, forms: list[Form]) -> Document:
        """The Document of `forms` (all that `forms()` gave, or none, to write them apart)."""
        if self._tail is None:
            raise RuntimeError("the conversion has not run to its end: iterate forms() first")
        return self._tail.model_copy(update={"forms": list(forms)})


def ocr_warnings(repairs: list[CellRepair], report: OcrReport, budgets) -> list[DocumentWarning]:
    """`ocr_repaired` for every cell a repair rule changed (`repairs`, as the cells carry them;
    repaired amounts checked against the budget sums of the forms' `budgets`), `low_ocr_confidence`
    for every cell or line read below the threshold."""
    sums = check_repaired_sums(budgets, repairs)
    out: list[DocumentWarning] = []
    for k, rep in enumerate(repairs):
        conf = "n/a" if rep.confidence is None else f"{rep.confidence:.2f}"
        before, after = _changed_part(rep.before, rep.after)
        msg = (f"page {rep.page}: OCR read {before!r}, repaired to {after!r} "
               f"({', '.join(rep.rules)}; confidence {conf})")
        if k in sums:
            msg += f"; {sums[k]}"
        out.append(DocumentWarning(code="ocr_repaired", message=msg, page=rep.page))
    for page, text, conf, _bbox in report.low_confidence:
        shown = text if len(text) <= 60 else text[:57] + "…"
        out.append(DocumentWarning(code="low_ocr_confidence",
                                   message=f"page {page}: {shown!r} read with confidence {conf:.2f}",
                                   page=page))
    return out


def _changed_part(before: str, after: str, width: int = 60, context: int = 12) -> tuple[str, str]:
    """Long cells are shown around what changed: `…目标2:完成…` → `…目标2：完成…`."""
    if len(before) <= width and len(after) <= width:
        return before, after
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while (end < min(len(before), len(after)) - start
           and before[len(before) - 1 - end] == after[len(after) - 1 - end]):
        end += 1
    a = max(start - context, 0)

    def cut(text: str) -> str:
        b = min(len(text) - end + context, len(text))
        return ("…" if a > 0 else "") + text[a:b] + ("…" if b < len(text) else "")

    return cut(before), cut(after)


__all__ = ["convert", "Conversion", "PerfdeclError", "OCR_MODES", "IMAGE_SUFFIXES"]
