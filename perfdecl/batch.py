"""Batch conversion: a pool of worker processes, per-file time limit, resume, ordered outputs.

Each worker converts one file at a time and writes its `OUT/<stem>.json`; the main process hands
out files, enforces the time limit (a worker past it is killed and replaced), and writes the
batch's combined outputs (JSON Lines, flat tables, errors.csv) in input order, so that a rerun
gives the same bytes whatever order the workers finished in. Nothing a file does (bad bytes, a
hang, a crash of the parser) stops the batch: it becomes one error record.

Resume: a file whose JSON exists with the same input sha256 and file name, made with the same
settings (perfdecl version, OCR mode, engine and settings), is not converted again (`force` redoes
it); its JSON is read back so that the combined outputs still cover it. Which settings made each
JSON is kept in the journal `OUT/.perfdecl/converted.jsonl` (see `Journal`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__
from .audit_outputs import AuditOutputs
from .errors import ConvertTimeoutError, InternalError, PerfdeclError, WorkerCrashError
from .models import Document
from .pipeline import convert
from .writers import FLAT_FORMATS, FlatSink, atomic_write, document_json, document_line, \
    document_rows, write_errors

log = logging.getLogger("perfdecl")

# Hidden folder for the resume journal and, when `json` is not among the formats, the per-file
# JSON: resume needs both.
CACHE_DIR = ".perfdecl"
JOURNAL_FILE = "converted.jsonl"
# A worker is replaced after this many files, so that whatever a parser leaks is given back.
TASKS_PER_WORKER = 50
_MAX_MESSAGE = 500


@dataclass
class Options:
    out: Path
    formats: list[str] = field(default_factory=lambda: ["json"])
    password: str | None = None
    timeout: float | None = 600.0  # seconds per file; None or 0: no limit
    force: bool = False
    convert_kwargs: dict = field(default_factory=dict)  # passed on to pipeline.convert (OCR)

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
        from .extract.ocr.engines import DEFAULT_ENGINE

        kwargs = self.convert_kwargs
        ocr_settings = dict(kwargs.get("ocr_settings") or {})
        if "threads" in (ocr_settings.get("engine") or {}):  # speed, not output
            ocr_settings["engine"] = {k: v for k, v in ocr_settings["engine"].items() if k != "threads"}
            if not ocr_settings["engine"]:
                del ocr_settings["engine"]
        return {"perfdecl": __version__, "ocr": kwargs.get("ocr") or "auto",
                "ocr_engine": (kwargs.get("ocr_engine") or DEFAULT_ENGINE).lower(),
                "ocr_settings": ocr_settings}


@dataclass
class Summary:
    files: int = 0
    ok: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    forms: int = 0
    indicators: int = 0
    warnings: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    error_codes: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    peak_rss_kb: int = 0  # highest peak resident memory of any worker

    def line(self) -> str:
        failed = f"{self.failed} failed"
        if self.error_codes:
            failed += " (" + ", ".join(f"{c} {n}" for c, n in sorted(self.error_codes.items())) + ")"
        text = (f"{self.files} file(s): {self.ok} converted, {self.skipped} skipped (unchanged), "
                f"{failed}; {self.pages} page(s), {self.forms} form(s), {self.indicators} "
                f"indicator(s) in {self.seconds:.1f} s")
        if self.warnings:
            text += "; warnings: " + ", ".join(f"{c} {n}" for c, n in sorted(self.warnings.items()))
        return text


@dataclass
class FileJob:
    """One input file of the batch (not to be confused with a form's 任务, models.Task)."""

    index: int
    path: str  # as given or found, used in errors.csv and the `path` column
    stem: str  # OUT/<stem>.json
    reuse: bool = False  # its JSON in OUT was made with this run's settings: reuse if unchanged


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


def _cached(json_path: Path, source: Path) -> Document | None:
    """The earlier output for this very input (same bytes, same name), or None."""
    try:
        if not json_path.is_file():
            return None
        data = json.loads(json_path.read_bytes())
        src = data.get("source") or {}
        if src.get("file") != source.name or src.get("sha256") != _sha256(source):
            return None
        return Document.model_validate(data)
    except (OSError, ValueError, AttributeError):  # unreadable or not a document: convert again
        return None


def process_file(task: FileJob, opts: Options) -> dict:
    """Convert (or reuse) one file; never raises. Returns a small, picklable result."""
    start = time.perf_counter()
    result: dict = {"index": task.index, "path": task.path, "status": "failed", "error": None,
                    "pages": 0, "forms": 0, "indicators": 0, "warnings": {}, "rows": None,
                    "line": None, "traceback": None}
    timeout = opts.timeout or 0
    if timeout > 0:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            path = Path(task.path)
            json_path = opts.json_dir / f"{task.stem}.json"
            doc = _cached(json_path, path) if task.reuse else None
            if doc is not None:
                result["status"] = "skipped"
            else:
                doc = convert(path, password=opts.password, **opts.convert_kwargs)
                atomic_write(json_path, document_json(doc))
                result["status"] = "ok"
            if opts.wants_rows:
                result["rows"] = document_rows(doc, task.path)
            if "jsonl" in opts.formats or "sqlite" in opts.formats:
                result["line"] = document_line(doc)
            if "review" in opts.formats:  # here: the page images need the input file
                from .review import write_review

                write_review(doc, path, opts.out / "review" / f"{task.stem}.html",
                             password=opts.password)
        finally:
            if timeout > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _Deadline:
        exc = ConvertTimeoutError(f"stopped after the time limit of {timeout:g} s", file=task.path)
        result.update(status="failed", error=_error_record(task.path, exc), rows=None, line=None)
    except PerfdeclError as exc:
        result["error"] = _error_record(task.path, exc)
    except Exception as exc:  # a bug or an unforeseen input: reported, the batch goes on
        err = InternalError(f"{type(exc).__name__}: {exc}", file=task.path)
        result["error"] = _error_record(task.path, err)
        result["traceback"] = traceback.format_exc()
    else:
        result.update(pages=doc.source.page_count, forms=len(doc.forms),
                      indicators=sum(len(f.indicators) for f in doc.forms),
                      warnings=dict(Counter(w.code for w in doc.warnings)))
    result["seconds"] = time.perf_counter() - start
    return result


def _error_record(path: str, exc: PerfdeclError) -> dict:
    message = " ".join(str(exc.message).split())  # one line in errors.csv and on the terminal
    if len(message) > _MAX_MESSAGE:  # parser exceptions can quote whole PDF objects
        message = message[:_MAX_MESSAGE - 1] + "…"
    return {"file": path, "stage": exc.stage, "code": exc.code, "message": message}


# -- the worker processes --------------------------------------------------------------------

def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _worker_main(conn, opts: Options) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    # the main process reports (per file, tracebacks); workers stay silent
    logging.getLogger().handlers[:] = [logging.NullHandler()]
    logging.getLogger("perfdecl").handlers.clear()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        result = process_file(task, opts)
        result["rss_kb"] = _peak_rss_kb()
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return


def _context():
    # fork starts a worker in milliseconds with everything imported; elsewhere spawn
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if sys.platform == "linux" and "fork" in methods
                                       else "spawn")


class _Worker:
    def __init__(self, ctx, opts: Options):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, opts), daemon=True)
        self.proc.start()
        child.close()
        self.task: FileJob | None = None
        self.started = 0.0
        self.done = 0

    def send(self, task: FileJob) -> None:
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        self.kill()


# -- the batch -------------------------------------------------------------------------------

def unique_stems(paths: list[Path]) -> list[str]:
    """OUT/<stem>.json for each input; where two share a stem (ignoring case, for file systems
    that do), later ones get a numeric suffix."""
    stems: list[str] = []
    used: set[str] = set()
    for p in paths:
        stem, n = p.stem, 2
        while stem.casefold() in used:
            stem, n = f"{p.stem}-{n}", n + 1
        used.add(stem.casefold())
        stems.append(stem)
    return stems


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def run_batch(inputs: list[Path], opts: Options, *, jobs: int | None = None,
              progress=None) -> Summary:
    """Convert `inputs` into `opts.out`; returns the summary. Raises KeyboardInterrupt after
    stopping the workers and removing unfinished outputs."""
    opts.out.mkdir(parents=True, exist_ok=True)
    settings = opts.settings()
    journal = Journal(opts.journal_path)
    tasks = [FileJob(i, str(p), s) for i, (p, s) in enumerate(zip(inputs, unique_stems(inputs)))]
    if not opts.force:
        _mark_reusable(tasks, opts, journal, settings)
    jobs = max(1, min(jobs or default_jobs(), len(tasks)))
    if jobs > 1:
        opts = replace(opts, convert_kwargs=_share_cores(opts.convert_kwargs, jobs))
    summary = Summary(files=len(tasks))
    start = time.monotonic()
    sink = FlatSink(opts.out, opts.formats)
    audit = AuditOutputs(opts.out, opts.formats)
    try:
        for result in _results(tasks, opts, jobs, summary, progress, start):
            _account(result, summary)
            sink.add(result.get("rows"), result.get("line"))
            audit.add(tasks[result["index"]].stem, result)
            if result["status"] != "skipped":  # a failure forgets what made an older JSON
                journal.record(opts.json_key(tasks[result["index"]].stem),
                               settings if result["status"] == "ok" else None)
            if progress is not None:
                progress.update(summary, time.monotonic() - start)
        summary.seconds = time.monotonic() - start
        sink.finish(summary.errors)
        audit.finish()
        write_errors(summary.errors, opts.out)
        journal.close(compact=True)
    except BaseException:
        journal.close(compact=False)
        sink.abort()
        audit.abort()
        raise
    summary.seconds = time.monotonic() - start
    return summary


def _share_cores(convert_kwargs: dict, jobs: int) -> dict:
    """The OCR engine's threads per worker: its default takes every core, and several workers
    doing so fight over the cores (`make bench`, 4 scans: 1 job 52.8 s; 2 jobs 61.3 s with every
    core each, 50.9 s with one each). A thread count the caller set is kept."""
    ocr_settings = dict(convert_kwargs.get("ocr_settings") or {})
    engine = dict(ocr_settings.get("engine") or {})
    if "threads" in engine:
        return convert_kwargs
    engine["threads"] = max(1, default_jobs() // jobs)
    ocr_settings["engine"] = engine
    return {**convert_kwargs, "ocr_settings": ocr_settings}


class Journal:
    """Which settings made each per-file JSON in OUT, keyed by its path in OUT.

    One JSON line per file converted (or failed: settings null), appended and flushed as results
    arrive, so an interrupted run keeps the record of what it wrote; rewritten when a run ends,
    one line per file in sorted order, so that a rerun writes the same bytes. Entries of files
    that this run did not see stay: OUT may collect several archives.
    """

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict | None] = {}
        self._fh = None
        self._broken_end = False
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        self._broken_end = bool(text) and not text.endswith("\n")
        shared: dict[str, dict] = {}  # one object per distinct settings: memory flat over archives
        for line in text.splitlines():
            try:
                entry = json.loads(line)
                settings = entry["settings"]
                if isinstance(settings, dict):
                    settings = shared.setdefault(json.dumps(settings, sort_keys=True), settings)
                self.entries[entry["file"]] = settings
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: that file is converted again

    @staticmethod
    def _line(key: str, settings: dict | None) -> str:
        return json.dumps({"file": key, "settings": settings}, ensure_ascii=False, sort_keys=True) + "\n"

    def record(self, key: str, settings: dict | None) -> None:
        self.entries[key] = settings
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8", newline="\n")
            if self._broken_end:
                self._fh.write("\n")
        self._fh.write(self._line(key, settings))
        self._fh.flush()

    def close(self, *, compact: bool) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        kept = {k: v for k, v in sorted(self.entries.items()) if v is not None}
        if compact and (kept or self.path.exists()):
            atomic_write(self.path, "".join(self._line(k, v) for k, v in kept.items()).encode())


def _mark_reusable(tasks: list[FileJob], opts: Options, journal: Journal, settings: dict) -> None:
    """Mark the files whose JSON in OUT this run's settings made; warn once about the others."""
    other: list[dict] = []
    for task in tasks:
        key = opts.json_key(task.stem)
        if key not in journal.entries:
            continue
        earlier = journal.entries[key]
        task.reuse = earlier == settings
        if isinstance(earlier, dict) and not task.reuse:
            other.append(earlier)
    if other:
        log.warning("%d earlier output(s) in %s were made with other settings (%s); converting "
                    "them again", len(other), opts.out, _changes(other[0], settings))


def _changes(before: dict, now: dict) -> str:
    return ", ".join(f"{key}: {json.dumps(before.get(key), ensure_ascii=False)} → "
                     f"{json.dumps(now.get(key), ensure_ascii=False)}"
                     for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key))


def _account(result: dict, summary: Summary) -> None:
    summary.peak_rss_kb = max(summary.peak_rss_kb, result.get("rss_kb") or 0)
    if result["error"] is not None:
        summary.failed += 1
        summary.errors.append(result["error"])
        summary.error_codes[result["error"]["code"]] += 1
        e = result["error"]
        log.info("%s: failed [%s/%s] %s", e["file"], e["stage"], e["code"], e["message"])
        if result.get("traceback"):
            log.debug("%s", result["traceback"].rstrip())
        return
    if result["status"] == "skipped":
        summary.skipped += 1
    else:
        summary.ok += 1
    summary.pages += result["pages"]
    summary.forms += result["forms"]
    summary.indicators += result["indicators"]
    summary.warnings.update(result["warnings"])
    log.info("%s: %s, %d form(s), %d indicator(s), %d warning(s), %.2f s", result["path"],
             result["status"], result["forms"], result["indicators"],
             sum(result["warnings"].values()), result["seconds"])


def _results(tasks: list[FileJob], opts: Options, jobs: int, summary: Summary, progress, start):
    """Results in input order, from a pool of `jobs` workers."""
    if not tasks:
        return
    ctx = _context()
    timeout = opts.timeout or 0
    # the soft limit (alarm in the worker) gives a clean error; past this the worker is killed
    hard = timeout + min(10.0, max(1.0, timeout / 2)) if timeout > 0 else None
    window = 8 * jobs + 16  # results waiting for an earlier, slower file: bounded memory
    pending = list(reversed(tasks))
    buffer: dict[int, dict] = {}
    next_out = 0
    workers = [_Worker(ctx, opts) for _ in range(jobs)]

    def failure(task: FileJob, exc: PerfdeclError) -> dict:
        return {"index": task.index, "path": task.path, "status": "failed",
                "error": _error_record(task.path, exc), "rows": None, "line": None, "seconds": 0.0}

    try:
        while next_out < len(tasks):
            for i, w in enumerate(workers):
                if w.task is None and pending and pending[-1].index < next_out + window:
                    if w.done >= TASKS_PER_WORKER or not w.proc.is_alive():
                        w.stop()
                        workers[i] = w = _Worker(ctx, opts)
                    try:
                        w.send(pending[-1])
                    except OSError:  # died before taking the file: a fresh worker gets it next round
                        w.kill()
                        workers[i] = _Worker(ctx, opts)
                        continue
                    pending.pop()
            busy = [w for w in workers if w.task is not None]
            wait_for = 0.5
            if hard is not None and busy:
                now = time.monotonic()
                wait_for = max(0.0, min(wait_for, min(w.started + hard - now for w in busy)))
            ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=wait_for)
            now = time.monotonic()
            for i, w in enumerate(workers):
                if w.task is None:
                    continue
                task = w.task
                if w.conn in ready:
                    try:
                        result = w.conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(1)
                        code = w.proc.exitcode
                        result = failure(task, WorkerCrashError(
                            f"the worker converting this file died (exit code {code})", file=task.path))
                        w.kill()
                        workers[i] = _Worker(ctx, opts)
                    else:
                        w.task = None
                        w.done += 1
                    buffer[task.index] = result
                elif hard is not None and now - w.started >= hard:
                    w.kill()  # stuck where the alarm cannot reach (C code, signal blocked)
                    buffer[task.index] = failure(task, ConvertTimeoutError(
                        f"stopped after the time limit of {timeout:g} s (worker killed)",
                        file=task.path))
                    workers[i] = _Worker(ctx, opts)
            while next_out in buffer:
                yield buffer.pop(next_out)
                next_out += 1
            if progress is not None:
                progress.tick(summary, time.monotonic() - start)
    finally:
        for w in workers:
            if w.task is None:
                w.stop()
            else:
                w.kill()


# -- progress --------------------------------------------------------------------------------

class Progress:
    """Files, pages, rate and ETA on stderr: one redrawn line on a terminal, else a plain line
    every `interval` seconds."""

    def __init__(self, stream=None, *, interval: float = 10.0):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.interval = 0.2 if self.tty else interval
        self.last = 0.0
        self.drawn = False

    def _text(self, s: Summary, elapsed: float) -> str:
        done = s.ok + s.skipped + s.failed
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (s.files - done) / rate if rate > 0 else None
        pct = 100.0 * done / s.files if s.files else 100.0
        eta_text = "--:--" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))
        return (f"[{done}/{s.files}] {pct:3.0f}%  {s.pages} pages  {rate:.1f} files/s  "
                f"{s.pages / elapsed if elapsed > 0 else 0:.1f} pages/s  {s.failed} failed  "
                f"ETA {eta_text}")

    def update(self, summary: Summary, elapsed: float) -> None:
        done = summary.ok + summary.skipped + summary.failed
        if done == summary.files and self.tty:
            self._draw(summary, elapsed)
        else:
            self.tick(summary, elapsed)

    def tick(self, summary: Summary, elapsed: float) -> None:
        if elapsed - self.last >= self.interval:
            self._draw(summary, elapsed)

    def _draw(self, summary: Summary, elapsed: float) -> None:
        self.last = elapsed
        text = self._text(summary, elapsed)
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self.drawn = True
        else:
            self.stream.write(f"perfdecl: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
