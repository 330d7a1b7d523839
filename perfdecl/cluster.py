"""The batch on a Dask cluster (`perfdecl convert ... --scheduler tcp://HOST:8786`, or a script's own
`distributed.Client`): every file one task on the cluster's workers.

`DaskExecutor` is the second executor behind `batch.Batch`, next to the local `pool.LocalPool`:
stems, journal, accounting, progress and the batch's tables are the batch's, so OUT is the same
bytes either way and either resumes the other's work. What differs is where a file is converted:

- A task (`convert_on_worker`, in one of the Dask worker's threads) hands its file to a worker
  process of its own (`pool.Slot`, a fresh interpreter kept for `TASKS_PER_WORKER` files), as the
  local pool does: the per-file time limit is an alarm, which only a process's main thread gets,
  never a Dask worker's task thread; the memory limit and crash handling are the local ones. The
  task waits for it, watching whether it was cancelled meanwhile (Ctrl-C on the client).
- That worker process writes `OUT/<stem>.json` itself: OUT, and the inputs, must be at the same
  absolute path on every worker (shared storage). The client receives a small `FileResult`.
- The client submits files only `ordering.window_for(threads)` ahead of the first unfinished one:
  its memory stays flat over an archive of any size.
- A Dask worker that dies (kill -9, the machine lost) costs nothing: the scheduler runs its tasks
  again elsewhere. A file whose task was on every worker that died (`KilledWorker`, after the
  scheduler's `distributed.scheduler.allowed-failures`, 3 by default) becomes a `worker_crashed`
  record, never an endless loop.

Needs the extra: `pip install 'perfdecl[dask]'`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from .batch import Batch
from .errors import InternalError, WorkerCrashError
from .filejob import FileJob, FileResult, Options
from .ordering import InputOrder
from .pool import FRESH_INTERPRETER, Slot, share_cores

log = logging.getLogger("perfdecl")

EXTRA = "perfdecl[dask]"
# How often the client looks for finished tasks (and redraws progress) when none is ready
_POLL_SECONDS = 0.05


class MissingExtra(ImportError):
    """distributed is not installed: one line naming the extra."""

    def __init__(self):
        super().__init__(f"running on a Dask cluster needs the Dask extra: "
                         f"pip install '{EXTRA}'")


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtra() from exc
    return distributed


# -- on a Dask worker ------------------------------------------------------------------------

_thread = threading.local()  # each task thread of a Dask worker keeps its own worker process


def _host(address: str) -> str:
    return urlsplit(address).hostname or address


def convert_on_worker(job: FileJob, opts: Options, threads_per_host: dict[str, int]) -> FileResult | None:
    """One file, on a Dask worker (see the module's docstring). `threads_per_host`: the task
    threads of all the workers on each host, among which a host's cores are shared by the OCR
    engines, as the local pool shares them among its workers. None if the task was cancelled."""
    distributed = _distributed()
    worker = distributed.get_worker()
    opts = replace(opts, convert_kwargs=worker_convert_kwargs(worker, opts.convert_kwargs,
                                                              threads_per_host))
    slot = getattr(_thread, "slot", None)
    if slot is None or slot.opts != opts:
        if slot is not None:
            slot.close()
        slot = _thread.slot = Slot(FRESH_INTERPRETER, opts)
    key = distributed.worker.thread_state.key

    def wanted() -> bool:
        state = worker.state.tasks.get(key)
        return state is not None and state.state != "cancelled"

    return slot.run(job, wanted)


def worker_convert_kwargs(worker, convert_kwargs: dict, threads_per_host: dict[str, int]) -> dict:
    """The OCR engine's threads on `worker`: its host's cores shared by the task threads of every
    worker there (a worker that joined after the run started counts its own threads)."""
    sharing = threads_per_host.get(_host(worker.address)) or worker.state.nthreads
    return share_cores(convert_kwargs, sharing)


# -- on the client ---------------------------------------------------------------------------

class DaskExecutor:
    """The cluster behind `client` as the batch's executor."""

    def __init__(self, client):
        _distributed()
        self.client = client
        self._threads: int | None = None

    def workers(self, files: int) -> int:
        """Files that run at once: the cluster's task threads when the run starts."""
        if self._threads is None:
            self._threads = max(1, sum(self.client.nthreads().values()))
        return self._threads

    def _threads_per_host(self) -> dict[str, int]:
        hosts: dict[str, int] = {}
        for address, threads in self.client.nthreads().items():
            hosts[_host(address)] = hosts.get(_host(address), 0) + threads
        return hosts

    def results(self, tasks: list[FileJob], opts: Options, order: InputOrder,
                tick) -> Iterator[FileResult]:
        """Every task's result, as the cluster finishes them."""
        if not tasks:
            return
        distributed = _distributed()
        # workers write OUT/<stem>.json at the path the client means, whatever their own folder
        worker_opts = replace(opts, out=Path(os.path.abspath(opts.out)))
        hosts = self._threads_per_host()
        run = uuid.uuid4().hex[:8]
        pending = list(reversed(tasks))
        running: dict[str, FileJob] = {}
        futures = []
        finished = distributed.as_completed(loop=self.client.loop, with_results=True,
                                            raise_errors=False)
        try:
            while pending or running:
                while pending and order.admits(pending[-1].index):
                    job = pending.pop()
                    future = self.client.submit(convert_on_worker, job, worker_opts, hosts,
                                                key=f"perfdecl-convert-{run}-{job.index}",
                                                pure=False)
                    running[future.key] = job
                    futures.append(future)
                    finished.add(future)
                ready = finished.next_batch(block=False)
                for future, outcome in ready:
                    job = running.pop(future.key)
                    yield self._result(job, future, outcome)
                if not ready:
                    tick()
                    time.sleep(_POLL_SECONDS)
                futures = [f for f in futures if f.key in running]
        finally:
            if running:  # Ctrl-C or an error: the cluster stops converting this run's files
                self.client.cancel([f for f in futures if f.key in running])

    @staticmethod
    def _result(job: FileJob, future, outcome) -> FileResult:
        # a result in hand is the file's, whatever the future's state is now: a worker that dies
        # after its result was gathered turns the future back to "lost"/"pending" (its data was
        # there), and that file was converted all the same
        if isinstance(outcome, FileResult):
            return outcome
        distributed = _distributed()
        exc = outcome[1] if isinstance(outcome, tuple) and len(outcome) == 3 else outcome
        if isinstance(exc, distributed.KilledWorker):
            tries = exc.allowed_failures + 1
            return FileResult.failure(job, WorkerCrashError(
                f"every Dask worker converting this file died ({tries} tries, "
                f"distributed.scheduler.allowed-failures)", file=job.path))
        # a task that could not run at all there (perfdecl missing on a worker, cancelled by the
        # cluster): the file is reported, the batch goes on, and a rerun converts it
        return FileResult.failure(job, InternalError(
            f"the Dask task failed: {type(exc).__name__}: {exc}", file=job.path))


def connect(address: str):
    """A client of the scheduler at `address` (raises MissingExtra without the extra)."""
    distributed = _distributed()
    return distributed.Client(address, set_as_default=False)


def convert_many(client, inputs: list[Path], opts: Options, *, progress=None) -> Iterator[FileResult]:
    """Convert `inputs` into `opts.out` on the cluster behind `client` (a `distributed.Client`),
    yielding each file's `FileResult` as it completes; OUT ends up as `perfdecl convert
    --scheduler` writes it (per-file JSON, tables, errors.csv, journal). For the summary, use
    `batch.Batch(inputs, opts, DaskExecutor(client))` and read its `summary` afterwards."""
    yield from Batch(inputs, opts, DaskExecutor(client), progress=progress).results()
