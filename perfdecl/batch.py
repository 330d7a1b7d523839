"""Batch conversion: a pool of worker processes, per-file time limit, resume, ordered outputs.

Each worker converts one file at a time and writes its `OUT/<stem>.json`; the main process hands
out files, enforces the time limit (a worker past it is killed and replaced), and writes the
batch's combined outputs (JSON Lines, flat tables, errors.csv) in input order, so that a rerun
gives the same bytes whatever order the workers finished in. Nothing a file does (bad bytes, a
hang, a crash of the parser) stops the batch: it becomes one error record.

Resume: a file whose JSON exists with the same input sha256 and file name, made with the same
settings (perfdecl version, OCR mode, engine and settings), is not converted again (`force` redoes
it); its JSON is read back so that the combined outputs still cover it. Which input and settings
made each JSON, and the JSON's own sha256, are kept in the journal `OUT/.perfdecl/converted.jsonl`
(see `Journal`): a JSON the journal did not see written is never reused.

Hostile inputs (issue 11): a worker's memory is watched and capped (`perfdecl.limits`), a worker
dies with the main process, names that are not UTF-8 are kept as they are (`names.py`).
"""

from __future__ import annotations

import ctypes
import errno
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
from . import limits as _limits
from .extract.ocr import DEFAULT_ENGINE
from .limits import MAX_TIMEOUT, default_jobs
from .accounting import Summary, account
from .audit_outputs import AuditOutputs
from .errors import ConvertTimeoutError, InternalError, OutOfMemoryError, OutputWriteError, \
    PerfdeclError, WorkerCrashError
from .models import Document
from .journal import Journal, mark_reusable, source_key
from .names import shown
from .pipeline import convert
from .writers import FLAT_FORMATS, FlatSink, atomic_write, document_json, document_line, \
    document_rows, remove_leftovers, write_errors

log = logging.getLogger("perfdecl")

# Hidden folder for the resume journal and, when `json` is not among the formats, the per-file
# JSON: resume needs both.
CACHE_DIR = ".perfdecl"
JOURNAL_FILE = "converted.jsonl"
# A worker is replaced after this many files, so that whatever a parser leaks is given back.
TASKS_PER_WORKER = 50
_MAX_MESSAGE = 500
# --jobs beyond this many per core only add memory and switching: more are capped, with a log line
JOBS_PER_CORE = 2
# A file's output name: `<stem>.json` must fit in 255 bytes with a `-NN` suffix; a longer stem is
# cut and given a hash of the whole name (80 CJK characters, 240 bytes, stay whole).
MAX_STEM_BYTES = 240
# How often the main process looks at the workers' resident memory when nothing else happens
_WATCH_SECONDS = 0.2


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
        return {"perfdecl": __version__, "ocr": kwargs.get("ocr") or "auto",
                "ocr_engine": (kwargs.get("ocr_engine") or DEFAULT_ENGINE).lower(),
                "ocr_settings": ocr_settings}


@dataclass
class FileJob:
    """One input file of the batch (not to be confused with a form's 任务, models.Task)."""

    index: int
    path: str  # as given or found, used in errors.csv and the `path` column
    stem: str  # OUT/<stem>.json
    reuse: bool = False  # its JSON in OUT was made with this run's settings: reuse if unchanged
    json_sha256: str | None = None  # the JSON the journal saw written (reuse: it must be that one)


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


def process_file(task: FileJob, opts: Options) -> dict:
    """Convert (or reuse) one file; never raises. Returns a small, picklable result."""
    start = time.perf_counter()
    result: dict = {"index": task.index, "path": task.path, "status": "failed", "error": None,
                    "pages": 0, "forms": 0, "indicators": 0, "warnings": {}, "rows": None,
                    "line": None, "traceback": None}
    timeout = min(opts.timeout or 0, MAX_TIMEOUT)
    if timeout > 0:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            path = Path(task.path)
            json_path = opts.json_dir / f"{task.stem}.json"
            doc = _cached(json_path, path, task.json_sha256) if task.reuse else None
            if doc is not None:
                result["status"] = "skipped"
            else:
                doc = convert(path, password=opts.password, limits=opts.limits, **opts.convert_kwargs)
                data = document_json(doc)
                try:
                    atomic_write(json_path, data)
                except OSError as exc:  # disk full, permissions: the temporary file is gone
                    raise OutputWriteError(f"cannot write {shown(json_path.name)}: "
                                           f"{exc.strerror or exc}", file=task.path) from exc
                result["status"] = "ok"
                result["json_sha256"] = hashlib.sha256(data).hexdigest()
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
    except MemoryError:  # past the worker's address-space limit; its heap is not to be trusted
        cap = _limits.limits_with(opts.limits)["address_space_mb"]
        err = OutOfMemoryError(f"the conversion ran out of memory (address-space limit {cap} MB)",
                               file=task.path)
        result.update(status="failed", error=_error_record(task.path, err), rows=None, line=None,
                      recycle=True)
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


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """The worker is killed when the main process dies, however it dies (SIGKILL included): a
    worker left behind would go on converting, or wait on its pipe, forever. Linux only (prctl);
    elsewhere the pipe's end and the parent check in `_worker_main` do it."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _limit_address_space(limits: dict) -> None:
    """RLIMIT_AS: an allocation past it fails (MemoryError, `out_of_memory`) instead of taking
    the machine's memory. Only ever lowered."""
    cap = int(limits["address_space_mb"]) << 20
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft == resource.RLIM_INFINITY or cap < soft:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


def _worker_main(conn, opts: Options, parent: int) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _limit_address_space(_limits.limits_with(opts.limits))
    # the main process reports (per file, tracebacks); workers stay silent
    logging.getLogger().handlers[:] = [logging.NullHandler()]
    logging.getLogger("perfdecl").handlers.clear()
    while True:
        try:
            # a pipe kept open by a sibling forked later gives no EOF when the main process dies:
            # look at the parent every few seconds while waiting
            while not conn.poll(2.0):
                if os.getppid() != parent:
                    return
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
        if result.pop("recycle", False):
            return  # after a MemoryError: a fresh worker takes the next file


def _context():
    # fork starts a worker in milliseconds with everything imported; elsewhere spawn
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if sys.platform == "linux" and "fork" in methods
                                       else "spawn")


class _Worker:
    def __init__(self, ctx, opts: Options):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, opts, os.getpid()), daemon=True)
        self.proc.start()
        child.close()
        self.task: FileJob | None = None
        self.started = 0.0
        self.done = 0
        self.peak_kb = 0

    def send(self, task: FileJob) -> None:
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def rss_kb(self) -> int:
        """Resident memory now (Linux /proc; 0 where it cannot be read)."""
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            return 0
        kb = pages * _PAGE_KB
        self.peak_kb = max(self.peak_kb, kb)
        return kb

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


try:
    _PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
except (ValueError, OSError, AttributeError):
    _PAGE_KB = 4


# -- the batch -------------------------------------------------------------------------------

def bounded_stem(stem: str) -> str:
    """The stem itself, or, past `MAX_STEM_BYTES` bytes, its first characters and a hash of the
    whole name (so two long names that share their start stay apart)."""
    if len(os.fsencode(stem)) <= MAX_STEM_BYTES:
        return stem
    digest = hashlib.sha256(os.fsencode(stem)).hexdigest()[:10]
    budget, size, head = MAX_STEM_BYTES - len(digest) - 1, 0, []
    for ch in stem:  # whole characters: no CJK character cut in half
        size += len(os.fsencode(ch))
        if size > budget:
            break
        head.append(ch)
    return "".join(head) + "~" + digest


def unique_stems(paths: list[Path], claimed: dict[str, str] | None = None) -> list[str]:
    """OUT/<stem>.json for each input; where two share a stem (ignoring case, for file systems
    that do), later ones get a numeric suffix. `claimed` maps the stems (case-folded) that OUT's
    journal holds to the input each was made from: a stem another input owns is not taken, so
    that a second archive with the same file name never replaces the first one's output, and a
    rerun of either finds its own stem again."""
    claimed = claimed or {}
    stems: list[str] = []
    used: set[str] = set()
    for p in paths:
        base = bounded_stem(p.stem)
        source = source_key(p)
        stem, n = base, 2
        while stem.casefold() in used or claimed.get(stem.casefold(), source) != source:
            stem, n = f"{base}-{n}", n + 1
        used.add(stem.casefold())
        stems.append(stem)
    return stems




def capped_jobs(jobs: int | None, files: int) -> int:
    """Workers for this run: as asked (default: one per core), at most one per file and
    `JOBS_PER_CORE` per core (each worker holds its own parser and OCR model: `--jobs 300` on
    2 cores would fork 300 of them)."""
    cores = default_jobs()
    wanted = jobs or cores
    cap = JOBS_PER_CORE * cores
    if wanted > cap:
        log.warning("--jobs %d capped to %d (%d per core, %d core(s))", wanted, cap,
                    JOBS_PER_CORE, cores)
        wanted = cap
    return max(1, min(wanted, files))


def run_batch(inputs: list[Path], opts: Options, *, jobs: int | None = None,
              progress=None, listing_errors: list[dict] | None = None) -> Summary:
    """Convert `inputs` into `opts.out`; returns the summary. Raises KeyboardInterrupt after
    stopping the workers and removing unfinished outputs. `listing_errors`: records of folders
    and paths that could not be listed (cli.find_inputs), reported first."""
    opts.out.mkdir(parents=True, exist_ok=True)
    cache = opts.out / CACHE_DIR
    if cache.is_symlink():  # OUT's own folder must be OUT's: no journal written elsewhere
        raise OSError(errno.ELOOP, f"{CACHE_DIR} in the output folder is a symbolic link", str(cache))
    cache.mkdir(exist_ok=True)
    for folder in dict.fromkeys((opts.out, cache, opts.json_dir)):  # the journal's own temp too
        for path in remove_leftovers(folder):
            log.info("removed %s, left by an interrupted run", shown(path))
    settings = opts.settings()
    journal = Journal(opts.journal_path)
    with journal.locked():  # stems are chosen and claimed at once: concurrent runs into one OUT
        journal.reload()
        claimed = {}
        prefix = opts.json_key("")[:-len(".json")]
        for key, entry in journal.entries.items():
            if key.startswith(prefix) and "/" not in key[len(prefix):] and entry.get("source"):
                claimed[key[len(prefix):-len(".json")].casefold()] = entry["source"]
        tasks = [FileJob(i, str(p), s) for i, (p, s) in
                 enumerate(zip(inputs, unique_stems(inputs, claimed)))]
        for task in tasks:
            key, source = opts.json_key(task.stem), source_key(Path(task.path))
            if (journal.entries.get(key) or {}).get("source") != source:
                journal.append(key, {"settings": None, "source": source})  # claimed, not made yet
    if not opts.force:
        mark_reusable(tasks, opts, journal, settings)
    jobs = capped_jobs(jobs, len(tasks))
    if jobs > 1:
        opts = replace(opts, convert_kwargs=_share_cores(opts.convert_kwargs, jobs))
    summary = Summary(files=len(tasks) + len(listing_errors or []))
    for error in listing_errors or []:
        account({"error": error, "status": "failed"}, summary)
    start = time.monotonic()
    sink = FlatSink(opts.out, opts.formats)
    audit = AuditOutputs(opts.out, opts.formats)
    try:
        for result in _results(tasks, opts, jobs, summary, progress, start):
            account(result, summary)
            sink.add(result.get("rows"), result.get("line"))
            audit.add(tasks[result["index"]].stem, result)
            if result["status"] != "skipped":  # a failure forgets what made an older JSON
                task = tasks[result["index"]]
                journal.record(opts.json_key(task.stem), {
                    "settings": settings if result["status"] == "ok" else None,
                    "source": source_key(Path(task.path)),
                    "sha256": result.get("json_sha256")})
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


def _results(tasks: list[FileJob], opts: Options, jobs: int, summary: Summary, progress, start):
    """Results in input order, from a pool of `jobs` workers."""
    if not tasks:
        return
    ctx = _context()
    timeout = min(opts.timeout or 0, MAX_TIMEOUT)
    # the soft limit (alarm in the worker) gives a clean error; past this the worker is killed
    hard = timeout + min(10.0, max(1.0, timeout / 2)) if timeout > 0 else None
    memory_kb = int(_limits.limits_with(opts.limits)["memory_mb"]) * 1024
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
            wait_for = _WATCH_SECONDS if busy else 0.5
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
                        result["watched_kb"] = w.peak_kb
                        if result.get("recycle"):  # ran out of memory: its heap is not trusted
                            w.stop()
                            workers[i] = _Worker(ctx, opts)
                    buffer[task.index] = result
                elif w.rss_kb() > memory_kb:
                    w.kill()  # past the memory limit: killed before it takes the machine's memory
                    buffer[task.index] = failure(task, OutOfMemoryError(
                        f"the conversion took more than the worker's memory limit of "
                        f"{memory_kb // 1024} MB (worker killed)", file=task.path))
                    workers[i] = _Worker(ctx, opts)
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
