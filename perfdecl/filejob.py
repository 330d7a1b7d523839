"""One file of a batch, as a worker converts it: the batch's options, the file (`FileJob`), and what
the worker reports back (`FileResult`). `process_file` runs in a worker process, local or on a
Dask worker, and never raises: whatever a file does becomes an error record in its result.
"""

from __future__ import annotations

import hashlib
import json
import signal
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from . import limits as _limits
from .extract.ocr import DEFAULT_ENGINE
from .errors import ConvertTimeoutError, InternalError, OutOfMemoryError, OutputWriteError, \
    PerfdeclError
from .frames import document_rows
from .limits import MAX_TIMEOUT
from .models import Document
from .names import shown
from .pipeline import Conversion
from .writers import FLAT_FORMATS, DocumentJsonWriter, document_line

# Hidden folder for the resume journal and, when `json` is not among the formats, the per-file
# JSON: resume needs both.
CACHE_DIR = ".perfdecl"
JOURNAL_FILE = "converted.jsonl"
_MAX_MESSAGE = 500


@dataclass
class Options:
    out: Path
    formats: list[str] = field(default_factory=lambda: ["json"])
    password: str | None = None
    timeout: float | None = 600.0  # seconds per file; None or 0: no limit
    force: bool = False
    convert_kwargs: dict = field(default_factory=dict)  # passed on to pipeline.convert (OCR)
    limits: dict = field(default_factory=dict)  # overrides of perfdecl.limits.LIMITS

    @property
    def json_dir(self) -> Path:
        return self.out if "json" in self.formats else self.out / CACHE_DIR / "json"

    @property
    def wants_rows(self) -> bool:
        return any(f in FLAT_FORMATS for f in self.formats)

    @property
    def journal_path(self) -> Path:
        return self.out / CACHE_DIR / JOURNAL_FILE

    def json_key(self, stem: str) -> str:
        """The per-file JSON's path in OUT: the journal's key."""
        return (self.json_dir / f"{stem}.json").relative_to(self.out).as_posix()

    def settings(self) -> dict:
        """What decides a file's output besides its bytes (the password only opens the file)."""
        kwargs = self.convert_kwargs
        ocr_settings = dict(kwargs.get("ocr_settings") or {})
        if "threads" in (ocr_settings.get("engine") or {}):  # speed, not output
            ocr_settings["engine"] = {k: v for k, v in ocr_settings["engine"].items() if k != "threads"}
            if not ocr_settings["engine"]:
                del ocr_settings["engine"]
        settings = {"perfdecl": __version__, "ocr": kwargs.get("ocr") or "auto",
                    "ocr_engine": (kwargs.get("ocr_engine") or DEFAULT_ENGINE).lower(),
                    "ocr_settings": ocr_settings}
        if kwargs.get("vocabulary"):  # the user's label files, by content (a file moved is the same)
            settings["vocabulary"] = [_file_sha256(Path(f)) for f in kwargs["vocabulary"]]
        return settings


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class FileJob:
    """One input file of the batch (not to be confused with a form's 任务, models.Task)."""

    index: int
    path: str  # as given or found, used in errors.csv and the `path` column
    stem: str  # OUT/<stem>.json
    reuse: bool = False  # its JSON in OUT was made with this run's settings: reuse if unchanged
    json_sha256: str | None = None  # the JSON the journal saw written (reuse: it must be that one)
    source: str | None = None  # where a worker opens it: the absolute path (None: `path`)


@dataclass
class FileResult:
    """What a worker reports for one file: small and picklable, travels back to the main process
    (or the Dask client), which accounts it and writes the batch's tables from it."""

    index: int
    path: str
    status: str = "failed"  # ok (converted), skipped (its JSON reused), failed
    error: dict | None = None  # the errors.csv record (file, stage, code, message)
    pages: int = 0
    forms: int = 0
    indicators: int = 0
    warnings: dict[str, int] = field(default_factory=dict)  # warning code: count
    rows: dict[str, list[list]] | None = None  # flat rows, table by table (frames.document_rows)
    line: str | None = None  # the document as one JSON Lines record
    json_sha256: str | None = None  # of the per-file JSON written (status ok)
    traceback: str | None = None  # of an internal error, logged with --verbose
    seconds: float = 0.0
    rss_kb: int = 0  # the worker's peak resident memory, as it measured itself
    watched_kb: int = 0  # ... and as its supervisor saw it
    recycle: bool = False  # out of memory: the worker's heap is not trusted, it is replaced

    @classmethod
    def failure(cls, job: FileJob, exc: PerfdeclError) -> "FileResult":
        return cls(index=job.index, path=job.path, error=error_record(job.path, exc))


# -- one file (runs in a worker) -------------------------------------------------------------

class _Deadline(BaseException):
    """Raised by the alarm inside a conversion. A BaseException, so that no `except Exception`
    in a parser swallows it."""


def _on_alarm(signum, frame):
    raise _Deadline()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cached(json_path: Path, source: Path, json_sha256: str | None) -> Document | None:
    """The earlier output for this very input (same bytes, same name), or None. The JSON must be
    the very file the journal saw written (`json_sha256`): one written by a run killed before the
    journal recorded it, or by anyone else, is not vouched for."""
    try:
        if json_sha256 is None or not json_path.is_file():
            return None
        raw = json_path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != json_sha256:
            return None
        data = json.loads(raw)
        src = data.get("source") or {}
        if src.get("file") != source.name or src.get("sha256") != _sha256(source):
            return None
        return Document.model_validate(data)
    except (OSError, ValueError, AttributeError):  # unreadable or not a document: convert again
        return None


def process_file(task: FileJob, opts: Options) -> FileResult:
    """Convert (or reuse) one file; never raises. The time limit is an alarm: this runs in the
    main thread of a worker process."""
    start = time.perf_counter()
    result = FileResult(index=task.index, path=task.path)
    timeout = min(opts.timeout or 0, MAX_TIMEOUT)
    if timeout > 0:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            path = Path(task.source or task.path)
            json_path = opts.json_dir / f"{task.stem}.json"
            doc = _cached(json_path, path, task.json_sha256) if task.reuse else None
            if doc is not None:
                result.status = "skipped"
                forms, indicators = len(doc.forms), sum(len(f.indicators) for f in doc.forms)
            else:
                # the other outputs need the whole Document; the JSON alone is written form by
                # form, so that a long file's memory does not grow with its forms
                keep = opts.wants_rows or bool({"jsonl", "sqlite", "review"} & set(opts.formats))
                doc, forms, indicators, result.json_sha256 = _convert(task, path, json_path, opts,
                                                                      keep)
                result.status = "ok"
            if opts.wants_rows:
                result.rows = document_rows(doc, task.path)
            if "jsonl" in opts.formats or "sqlite" in opts.formats:
                result.line = document_line(doc)
            if "review" in opts.formats:  # here: the page images need the input file
                from .review import write_review

                write_review(doc, path, opts.out / "review" / f"{task.stem}.html",
                             password=opts.password)
        finally:
            if timeout > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _Deadline:
        exc = ConvertTimeoutError(f"stopped after the time limit of {timeout:g} s", file=task.path)
        result = FileResult.failure(task, exc)
    except PerfdeclError as exc:
        result.error = error_record(task.path, exc)
    except MemoryError:  # past the worker's address-space limit; its heap is not to be trusted
        cap = _limits.limits_with(opts.limits)["address_space_mb"]
        err = OutOfMemoryError(f"the conversion ran out of memory (address-space limit {cap} MB)",
                               file=task.path)
        result = FileResult.failure(task, err)
        result.recycle = True
    except Exception as exc:  # a bug or an unforeseen input: reported, the batch goes on
        err = InternalError(f"{type(exc).__name__}: {exc}", file=task.path)
        result.error = error_record(task.path, err)
        result.traceback = traceback.format_exc()
    else:
        result.pages = doc.source.page_count
        result.forms = forms
        result.indicators = indicators
        result.warnings = dict(Counter(w.code for w in doc.warnings))
    result.seconds = time.perf_counter() - start
    return result


def _convert(task: FileJob, path: Path, json_path: Path, opts: Options,
             keep: bool) -> tuple[Document, int, int, str]:
    """Convert the file, its JSON written form by form as the forms come. Returns the Document
    (with its forms when `keep`, else without), the count of forms and of indicators, and the
    JSON's sha256."""
    conversion = Conversion(path, password=opts.password, limits=opts.limits, **opts.convert_kwargs)
    writer = DocumentJsonWriter(json_path)
    kept: list = []
    indicators = 0
    try:
        for form in conversion.forms():
            _written(writer.add, form, json_path, task)
            indicators += len(form.indicators)
            if keep:
                kept.append(form)
        digest = _written(writer.commit, conversion.document([]), json_path, task)
    finally:
        writer.close()
    return conversion.document(kept), writer.forms, indicators, digest


def _written(write, value, json_path: Path, task: FileJob):
    try:
        return write(value)
    except OSError as exc:  # disk full, permissions: the temporary files are gone
        raise OutputWriteError(f"cannot write {shown(json_path.name)}: {exc.strerror or exc}",
                               file=task.path) from exc


def error_record(path: str, exc: PerfdeclError) -> dict:
    message = " ".join(str(exc.message).split())  # one line in errors.csv and on the terminal
    if len(message) > _MAX_MESSAGE:  # parser exceptions can quote whole PDF objects
        message = message[:_MAX_MESSAGE - 1] + "…"
    return {"file": path, "stage": exc.stage, "code": exc.code, "message": message}
