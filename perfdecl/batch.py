"""Batch conversion: many files into one output folder, with resume and ordered outputs, on an
executor: the local pool of worker processes (`pool.LocalPool`, `--jobs`) or a Dask cluster
(`cluster.DaskExecutor`, `--scheduler`). Both run `filejob.process_file` in worker processes
that write `OUT/<stem>.json`; everything else is done here, once, the same for both: stems,
journal, accounting, the batch's combined outputs (JSON Lines, flat tables, errors.csv) in input
order (so that a rerun gives the same bytes whatever order the workers finished in), progress.
Nothing a file does (bad bytes, a hang, a crash of the parser) stops the batch: it becomes one
error record.

Resume: a file whose JSON exists with the same input sha256 and file name, made with the same
settings (perfdecl version, OCR mode, engine and settings), is not converted again (`force` redoes
it); its JSON is read back so that the combined outputs still cover it. Which input and settings
made each JSON, and the JSON's own sha256, are kept in the journal `OUT/.perfdecl/converted.jsonl`
(see `journal.Journal`): a JSON the journal did not see written is never reused.

Names that are not UTF-8 are kept as they are (`names.py`).
"""

from __future__ import annotations

import errno
import gc
import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Iterator

# The pipeline's imports (pdfplumber, pydantic's models, the grammar) make objects that live as
# long as the process: no collection needs to walk them meanwhile (8 % of the imports' time).
_collecting = gc.isenabled()
gc.disable()
try:
    from .accounting import Summary, account
    from .audit_outputs import AuditOutputs
    from .filejob import CACHE_DIR, FileJob, FileResult, Options
    from .journal import Journal, mark_reusable, source_key
    from .names import shown
    from .ordering import InputOrder, window_for
    from .pool import LocalPool
    from .writers import FlatSink, remove_leftovers, write_errors
finally:
    if _collecting:
        gc.enable()

log = logging.getLogger("perfdecl")

# A file's output name: `<stem>.json` must fit in 255 bytes with a `-NN` suffix; a longer stem is
# cut and given a hash of the whole name (80 CJK characters, 240 bytes, stay whole).
MAX_STEM_BYTES = 240


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

class Batch:
    """One run over `inputs` into `opts.out` on `executor`. `results()` yields each file's
    result as it completes (a script sees them at once); the outputs are written in input order
    meanwhile, and `summary` holds the counts. Raises KeyboardInterrupt after stopping the
    workers and removing unfinished outputs. `listing_errors`: records of folders and paths that
    could not be listed (cli.find_inputs), reported first."""

    def __init__(self, inputs: list[Path], opts: Options, executor=None, *, progress=None,
                 listing_errors: list[dict] | None = None):
        self.inputs, self.opts = list(inputs), opts
        self.executor = executor if executor is not None else LocalPool()
        self.progress = progress
        self.listing_errors = listing_errors or []
        self.summary = Summary(files=len(self.inputs) + len(self.listing_errors))

    def _claim(self, journal: Journal) -> list[FileJob]:
        """Each input's stem, chosen and claimed in the journal at once (concurrent runs into one
        OUT)."""
        opts = self.opts
        with journal.locked():
            journal.reload()
            claimed = {}
            prefix = opts.json_key("")[:-len(".json")]
            for key, entry in journal.entries.items():
                if key.startswith(prefix) and "/" not in key[len(prefix):] and entry.get("source"):
                    claimed[key[len(prefix):-len(".json")].casefold()] = entry["source"]
            tasks = [FileJob(i, str(p), s, source=source_key(p)) for i, (p, s) in
                     enumerate(zip(self.inputs, unique_stems(self.inputs, claimed)))]
            for task in tasks:
                key = opts.json_key(task.stem)
                if (journal.entries.get(key) or {}).get("source") != task.source:
                    journal.append(key, {"settings": None, "source": task.source})  # claimed
        return tasks

    def results(self) -> Iterator[FileResult]:
        opts, summary, progress = self.opts, self.summary, self.progress
        opts.out.mkdir(parents=True, exist_ok=True)
        cache = opts.out / CACHE_DIR
        if cache.is_symlink():  # OUT's own folder must be OUT's: no journal written elsewhere
            raise OSError(errno.ELOOP, f"{CACHE_DIR} in the output folder is a symbolic link",
                          str(cache))
        cache.mkdir(exist_ok=True)
        for folder in dict.fromkeys((opts.out, cache, opts.json_dir)):  # the journal's temp too
            for path in remove_leftovers(folder):
                log.info("removed %s, left by an interrupted run", shown(path))
        settings = opts.settings()
        journal = Journal(opts.journal_path)
        tasks = self._claim(journal)
        if not opts.force:
            mark_reusable(tasks, opts, journal, settings)
        order = InputOrder(window_for(self.executor.workers(len(tasks)) if tasks else 1))
        for error in self.listing_errors:
            account(FileResult(index=-1, path=error["file"], error=error), summary)
        start = time.monotonic()

        def tick() -> None:
            if progress is not None:
                progress.tick(summary, time.monotonic() - start)

        sink = FlatSink(opts.out, opts.formats)
        audit = AuditOutputs(opts.out, opts.formats)
        try:
            for completed in self.executor.results(tasks, opts, order, tick):
                for result in order.put(completed):
                    task = tasks[result.index]
                    account(result, summary)
                    sink.add(result.rows, result.line)
                    audit.add(task.stem, result)
                    if result.status != "skipped":  # a failure forgets what made an older JSON
                        journal.record(opts.json_key(task.stem), {
                            "settings": settings if result.status == "ok" else None,
                            "source": task.source, "sha256": result.json_sha256})
                    if progress is not None:
                        progress.update(summary, time.monotonic() - start)
                yield completed
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


def run_batch(inputs: list[Path], opts: Options, *, jobs: int | None = None, executor=None,
              progress=None, listing_errors: list[dict] | None = None) -> Summary:
    """Convert `inputs` into `opts.out` (on `jobs` local workers, or `executor`); returns the
    summary. See `Batch`."""
    batch = Batch(inputs, opts, executor if executor is not None else LocalPool(jobs),
                  progress=progress, listing_errors=listing_errors)
    for _ in batch.results():
        pass
    return batch.summary
