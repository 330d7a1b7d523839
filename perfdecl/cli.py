"""Command line: `perfdecl convert PATH... -o OUT [--format json,csv] [--jobs N | --scheduler ADDR]`,
`perfdecl schema`, `perfdecl compare OLD NEW [--json]`.

Exit status (`perfdecl.errors.ExitCode`, table in the README): 0 every file converted (or unchanged
since the last run); when files failed (after converting all the others), the code of their error if
they all failed the same way (8: no form found), else 1; 2 bad usage; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

# Only what the parser needs is imported here: `perfdecl --help` starts in a fraction of the time
# the pipeline's imports take (pdfplumber, pydantic); `convert` imports the batch when it runs.
from . import __version__, compare
from .errors import (DataFileError, ExitCode, InputFileError, UnreadableFolderError,
                     batch_exit_code)
from .extract import OCR_MODES
from .extract.ocr.render import IMAGE_SUFFIXES
from .limits import LIMITS, MAX_TIMEOUT, default_jobs
from .names import shown

log = logging.getLogger("perfdecl")

FORMATS = ("json", "jsonl", "csv", "xlsx", "parquet", "sqlite", "review")
PDF_SUFFIXES = {".pdf"}
# where Dask's own tools look for the scheduler: --scheduler's default
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
# errors beyond this many are only in errors.csv, not repeated on the terminal
SHOWN_ERRORS = 20


def input_suffixes(images: bool = True) -> set[str]:
    """Suffixes a folder walk picks up: PDFs, and page images unless OCR is off."""
    return PDF_SUFFIXES | set(IMAGE_SUFFIXES) if images else set(PDF_SUFFIXES)


def find_inputs(paths: list[str], *, images: bool = True,
                errors: list[dict] | None = None) -> list[Path]:
    """Files as given; folders walked recursively (symlinked folders not followed) for inputs, in
    sorted order for repeatable runs. A file named twice is converted once. A folder that cannot
    be listed (`list/unreadable_folder`), or a path that cannot even be looked at, such as a name
    past 255 bytes (`open/unreadable_file`), is added to `errors` as an error record instead of
    being skipped in silence or stopping the run."""
    from .filejob import error_record

    suffixes = input_suffixes(images)
    found: list[Path] = []
    seen: set[str] = set()
    errors = errors if errors is not None else []

    def unlisted(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else "?"
        where = os.fsdecode(where)
        errors.append(error_record(where, UnreadableFolderError(
            f"the folder cannot be listed: {exc.strerror or exc}; its files were not converted",
            file=where)))

    for raw in paths:
        p = Path(raw)
        try:
            is_dir = p.is_dir()
        except OSError as exc:  # a name too long, a loop of links: stat itself fails
            errors.append(error_record(raw, InputFileError(
                f"cannot look at the path: {exc.strerror or exc}", file=raw)))
            continue
        if is_dir:
            files = []
            for root, dirs, names in os.walk(p, onerror=unlisted):
                dirs.sort()
                files.extend(Path(root) / n for n in names if Path(n).suffix.lower() in suffixes)
            candidates = sorted(files)
        else:
            candidates = [p]
        for f in candidates:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                found.append(f)
    errors.sort(key=lambda e: e["file"])
    return found


def _formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise argparse.ArgumentTypeError(f"unknown format {','.join(bad) or value!r}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats))


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value!r}")
    return n


def _seconds(value: str) -> float:
    try:
        s = float(value)
    except ValueError:
        s = -1
    if not 0 <= s <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"expected seconds from 0 (no limit) to {MAX_TIMEOUT:g} "
                                          f"(a week), got {value!r}")
    return s


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfdecl", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"perfdecl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert PDFs (files or folders) to JSON and tables")
    conv.add_argument("paths", nargs="+", metavar="PATH")
    conv.add_argument("-o", "--output", required=True, type=Path, metavar="OUT")
    conv.add_argument("--format", default=["json"], type=_formats,
                      help="comma-separated, several at once: json (one file per input), jsonl "
                           "(documents.jsonl), csv (flat tables), xlsx (perfdecl.xlsx), parquet, "
                           "sqlite (perfdecl.sqlite), review (review/<stem>.html, review/index.html)")
    conv.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                      help=f"worker processes (default: all cores, here {default_jobs()})")
    conv.add_argument("--scheduler", metavar="ADDRESS",
                      help=f"convert on the Dask cluster of this scheduler (tcp://HOST:8786; "
                           f"default: ${SCHEDULER_ENV} unless --jobs is given); OUT and the "
                           f"inputs must be at the same path on every worker. Needs the extra "
                           f"perfdecl[dask]")
    conv.add_argument("--timeout", type=_seconds, default=600.0, metavar="SECONDS",
                      help="time limit per file (default 600, room for OCR of a long scan; 0: none)")
    conv.add_argument("--force", action="store_true",
                      help="convert every file again, even where OUT holds its output already")
    conv.add_argument("--password", help="password for encrypted PDFs")
    conv.add_argument("--max-memory", type=_positive_int, default=None, metavar="MB",
                      help=f"resident memory one worker may take; a file past it is an "
                           f"out_of_memory error (default {LIMITS['memory_mb']})")
    conv.add_argument("--ocr", choices=OCR_MODES, default="auto",
                      help="auto: OCR pages without a usable text layer, and image files "
                           "(default); always: every page; never: none (such pages are "
                           "reported, folders are not searched for images)")
    conv.add_argument("--ocr-engine", metavar="NAME", default=None,
                      help="OCR engine (default: the pipeline's, rapidocr; or tesseract)")
    conv.add_argument("--vocabulary", action="append", metavar="FILE", default=[],
                      help="your own labels (TOML, see docs/vocabulary.md), merged over the "
                           "built-in vocabulary; repeatable, later files over earlier ones")
    conv.add_argument("-v", "--verbose", action="store_true",
                      help="log every file, and the traceback of internal errors")
    conv.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary; only errors")
    sub.add_parser("schema", help="print the JSON Schema of the output document")
    compare.add_parser(sub)
    return parser


def run_convert(args: argparse.Namespace) -> int:
    from .batch import run_batch
    from .filejob import Options
    from .normalize.vocabulary import load_vocabulary
    from .progress import Progress

    listing_errors: list[dict] = []
    inputs = find_inputs(args.paths, images=args.ocr != "never", errors=listing_errors)
    if not inputs and not listing_errors:
        print("perfdecl: no PDF found in the given paths", file=sys.stderr)
        return ExitCode.bad_usage
    unknown = _unknown_engine(args.ocr_engine)
    if unknown:
        print(f"perfdecl: {shown(unknown)}", file=sys.stderr)
        return ExitCode.bad_usage
    extra = {"ocr": args.ocr, "ocr_engine": args.ocr_engine}
    if args.vocabulary:
        try:  # a typo is found once, here, not in every file
            load_vocabulary(*args.vocabulary)
        except DataFileError as exc:
            print(f"perfdecl: {shown(exc.message)}", file=sys.stderr)
            return ExitCode.bad_data_file
        extra["vocabulary"] = [os.path.abspath(f) for f in args.vocabulary]
    limits = {"memory_mb": args.max_memory} if args.max_memory else {}
    opts = Options(out=args.output, formats=args.format, password=args.password,
                   timeout=args.timeout or None, force=args.force,
                   convert_kwargs=extra,
                   limits=limits)
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"perfdecl: cannot create the output folder {shown(args.output)}: {exc.strerror}",
              file=sys.stderr)
        return ExitCode.bad_usage
    executor = None
    if args.scheduler and args.jobs is not None:
        print("perfdecl: --jobs is for the local pool; with --scheduler the cluster's "
              "workers decide", file=sys.stderr)
        return ExitCode.bad_usage
    # an explicit --jobs beats a scheduler named only in the environment
    scheduler = args.scheduler or (os.environ.get(SCHEDULER_ENV) if args.jobs is None else None)
    if scheduler:
        executor = _cluster(scheduler)
        if isinstance(executor, int):
            return executor
    progress = None if args.quiet else Progress(sys.stderr)
    # SIGTERM (a job scheduler stopping the run) is handled as Ctrl-C is: workers stopped, spool
    # and unfinished files removed, the journal kept (SIGKILL cannot be: the next run cleans up)
    previous = signal.signal(signal.SIGTERM, _terminate) if threading_main() else None
    try:
        summary = run_batch(inputs, opts, jobs=args.jobs, executor=executor, progress=progress,
                            listing_errors=listing_errors)
    except KeyboardInterrupt as exc:
        if progress is not None:
            progress.close()
        print("perfdecl: interrupted; files converted so far are in place, a rerun resumes",
              file=sys.stderr)
        return ExitCode.terminated if isinstance(exc, Terminated) else ExitCode.interrupted
    except OSError as exc:  # the output cannot be written (disk full, permissions)
        if progress is not None:
            progress.close()
        log.debug("writing the output failed", exc_info=True)
        print(f"perfdecl: cannot write the output in {shown(args.output)}: "
              f"{shown(exc.strerror or exc)}; unfinished files removed, a rerun resumes",
              file=sys.stderr)
        return ExitCode.write_failed
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if executor is not None:
            executor.client.close()
    if progress is not None:
        progress.close()
    if not args.quiet:
        print(f"perfdecl: {summary.line()}; output in {shown(args.output)}", file=sys.stderr)
    for e in summary.errors[:SHOWN_ERRORS]:
        print(f"error: {shown(e['file'])}: [{e['stage']}/{e['code']}] {shown(e['message'])}",
              file=sys.stderr)
    if len(summary.errors) > SHOWN_ERRORS:
        print(f"error: … {len(summary.errors) - SHOWN_ERRORS} more in "
              f"{shown(args.output / 'errors.csv')}", file=sys.stderr)
    return batch_exit_code(e["code"] for e in summary.errors)


def _cluster(address: str):
    """The Dask executor of the scheduler at `address`, or an exit status after one line saying
    why not (the extra missing, the scheduler unreachable)."""
    from .cluster import DaskExecutor, MissingExtra, connect

    try:
        client = connect(address)
    except MissingExtra as exc:
        print(f"perfdecl: {exc}", file=sys.stderr)
        return ExitCode.bad_usage
    except (OSError, TimeoutError, ValueError) as exc:
        print(f"perfdecl: cannot reach the Dask scheduler at {shown(address)}: {shown(exc)}",
              file=sys.stderr)
        return ExitCode.error
    return DaskExecutor(client)


class Terminated(KeyboardInterrupt):
    """SIGTERM, stopping the run as Ctrl-C does (exit status 143)."""


def _terminate(signum, frame):
    raise Terminated()


def threading_main() -> bool:
    """Signal handlers can only be set from the main thread (main() may run in another)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def _unknown_engine(name: str | None) -> str | None:
    """A message when `--ocr-engine` names no engine the pipeline knows (bad usage, not a failure
    of every file)."""
    if name is None:
        return None
    from .extract.ocr.engines import ENGINES  # OpenCV and numpy: only when an engine is named

    if name not in ENGINES:
        return f"unknown OCR engine {name!r}; choose from {', '.join(ENGINES)}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command == "compare":
        return compare.run(args)
    if args.command == "schema":
        from .models import Document

        print(json.dumps(Document.model_json_schema(), ensure_ascii=False, indent=2))
        return 0
    _log_to_stderr(args.verbose)
    return run_convert(args)


_handler: logging.Handler | None = None


def _log_to_stderr(verbose: bool) -> None:
    """perfdecl's own handler on stderr (not the root logger's, which an embedding program owns);
    replaced on every call so that repeated `main()` calls write to the current stderr."""
    global _handler
    if _handler is not None:
        log.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.DEBUG if verbose else logging.WARNING)
    log.propagate = False
    # pdfminer logs every repaired xref at WARNING; the error record says what matters
    logging.getLogger("pdfminer").setLevel(logging.WARNING if verbose else logging.ERROR)
    # a Dask client logs reconnections and its shutdown: a failed file has its own record
    logging.getLogger("distributed").setLevel(logging.INFO if verbose else logging.ERROR)


if __name__ == "__main__":
    sys.exit(main())
