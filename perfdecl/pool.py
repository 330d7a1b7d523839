"""Worker processes and their supervision: the per-file time limit, the memory limit, crashes.

A `Slot` is one worker process and the file it converts. It hands the file over, watches the
worker's resident memory and the time, and turns a crash, a kill past the memory limit or past the
hard time limit into that file's error record; it replaces the process when it must (after a
crash or a kill, after a MemoryError, every `TASKS_PER_WORKER` files; a fresh interpreter every
`FRESH_INTERPRETER_TASKS`). Inside the worker the time limit is an alarm
(`filejob.process_file`), which only a process's main thread receives: so a file is always
converted in a worker process of its own, locally (`LocalPool`, forked from the main process) and
on a Dask worker (`perfdecl.cluster`, a fresh interpreter started by the task).

Hostile inputs (issue 11): a worker's memory is watched and capped (`perfdecl.limits`), a worker
dies with the process that started it.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from typing import Callable, Iterator

from . import limits as _limits
from .errors import ConvertTimeoutError, OutOfMemoryError, WorkerCrashError
from .filejob import FileJob, FileResult, Options, process_file
from .limits import MAX_TIMEOUT, default_jobs
from .ordering import InputOrder

log = logging.getLogger("perfdecl")

# A worker is replaced after this many files, so that whatever a parser leaks is given back.
TASKS_PER_WORKER = 50
# --jobs beyond this many per core only add memory and switching: more are capped, with a log line
JOBS_PER_CORE = 2
# How often a worker's resident memory is looked at when nothing else happens
_WATCH_SECONDS = 0.2


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """The worker is killed when the process that started it dies, however it dies (SIGKILL
    included): a worker left behind would go on converting, or wait on its pipe, forever. Linux
    only (prctl); elsewhere the pipe's end and the parent check in `_worker_main` do it."""
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
    # what the worker starts with (modules, the vocabulary) lives as long as it does: out of the
    # collector's sight, collections only walk what a file makes (and a forked worker does not
    # copy the pages they would touch): 3-4 % of a text file's time. A worker forked by
    # `LocalPool` inherits its parent's frozen objects; this freezes what came after, and a fresh
    # interpreter's imports.
    gc.freeze()
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
        result.rss_kb = _peak_rss_kb()
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return
        if result.recycle:
            return  # after a MemoryError: a fresh worker takes the next file


def child_main() -> None:
    """A worker started as a fresh interpreter (`FRESH_INTERPRETER`): its connection is the file
    descriptor in argv[1], the options its first message."""
    conn = multiprocessing.connection.Connection(int(sys.argv[1]))
    opts = conn.recv()
    _worker_main(conn, opts, int(sys.argv[2]))


def _context():
    # fork starts a worker in milliseconds with everything imported; elsewhere spawn
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if sys.platform == "linux" and "fork" in methods
                                       else "spawn")


# A worker started with subprocess, not multiprocessing: inside a Dask worker, which runs as a
# daemonic process (distributed.worker.daemon), multiprocessing refuses to start children; a fresh
# interpreter also shares no lock with the worker's threads. Its start and imports take 0.4 s of
# CPU (a text PDF takes 0.1-0.2 s): it is replaced after FRESH_INTERPRETER_TASKS files, not 50
# (bench/bench_cluster.py: 13 % more CPU than --jobs 2 over 200 text files at 50; a fork costs
# milliseconds). Its memory is watched as any worker's.
FRESH_INTERPRETER = None
FRESH_INTERPRETER_TASKS = 200


class _FreshInterpreter:
    """subprocess.Popen behind the few calls `_Worker` makes of a multiprocessing.Process."""

    def __init__(self, opts: Options):
        ours, theirs = socket.socketpair()
        self.popen = subprocess.Popen(
            [sys.executable, "-c", "from perfdecl.pool import child_main; child_main()",
             str(theirs.fileno()), str(os.getpid())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, start_new_session=False)
        theirs.close()
        self.conn = multiprocessing.connection.Connection(ours.detach())
        self.conn.send(opts)
        self.pid = self.popen.pid

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        self.popen.kill()

    def join(self, timeout: float) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    @property
    def exitcode(self) -> int | None:
        return self.popen.returncode


class _Worker:
    def __init__(self, ctx, opts: Options):
        self.lifetime = TASKS_PER_WORKER  # files before it is replaced
        if ctx is FRESH_INTERPRETER:
            self.proc = _FreshInterpreter(opts)
            self.conn = self.proc.conn
            self.lifetime = FRESH_INTERPRETER_TASKS
        else:
            self.conn, child = ctx.Pipe()
            self.proc = ctx.Process(target=_worker_main, args=(child, opts, os.getpid()),
                                    daemon=True)
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


class Slot:
    """One worker process and the file it converts (see the module's docstring)."""

    def __init__(self, ctx, opts: Options):
        self.ctx, self.opts = ctx, opts
        self.timeout = min(opts.timeout or 0, MAX_TIMEOUT)
        # the soft limit (alarm in the worker) gives a clean error; past this the worker is killed
        self.hard = (self.timeout + min(10.0, max(1.0, self.timeout / 2))
                     if self.timeout > 0 else None)
        self.memory_kb = int(_limits.limits_with(opts.limits)["memory_mb"]) * 1024
        self.worker = _Worker(ctx, opts)

    @property
    def job(self) -> FileJob | None:
        return self.worker.task

    def give(self, job: FileJob) -> bool:
        """Hand `job` to the worker (a fresh one if due); False if it died before taking it."""
        w = self.worker
        if w.done >= w.lifetime or not w.proc.is_alive():
            w.stop()
            self.worker = w = _Worker(self.ctx, self.opts)
        try:
            w.send(job)
        except OSError:  # died before taking the file: a fresh worker gets it next time
            w.kill()
            self.worker = _Worker(self.ctx, self.opts)
            return False
        return True

    def wait_seconds(self, now: float) -> float:
        """How long to wait for the worker before looking at it again."""
        if self.hard is None or self.job is None:
            return _WATCH_SECONDS
        return max(0.0, min(_WATCH_SECONDS, self.worker.started + self.hard - now))

    def check(self, readable: bool, now: float) -> FileResult | None:
        """The file's result if the worker sent it (`readable`), died, or was killed past a limit;
        None while it converts within them."""
        w, task = self.worker, self.worker.task
        if readable:
            try:
                result = w.conn.recv()
            except (EOFError, OSError):
                w.proc.join(1)
                code = w.proc.exitcode
                result = FileResult.failure(task, WorkerCrashError(
                    f"the worker converting this file died (exit code {code})", file=task.path))
                self._replace()
            else:
                w.task = None
                w.done += 1
                result.watched_kb = w.peak_kb
                if result.recycle:  # ran out of memory: its heap is not trusted
                    w.stop()
                    self.worker = _Worker(self.ctx, self.opts)
            return result
        if w.rss_kb() > self.memory_kb:
            self._replace()  # past the memory limit: killed before it takes the machine's memory
            return FileResult.failure(task, OutOfMemoryError(
                f"the conversion took more than the worker's memory limit of "
                f"{self.memory_kb // 1024} MB (worker killed)", file=task.path))
        if self.hard is not None and now - w.started >= self.hard:
            self._replace()  # stuck where the alarm cannot reach (C code, signal blocked)
            return FileResult.failure(task, ConvertTimeoutError(
                f"stopped after the time limit of {self.timeout:g} s (worker killed)",
                file=task.path))
        return None

    def _replace(self) -> None:
        self.worker.kill()
        self.worker = _Worker(self.ctx, self.opts)

    def run(self, job: FileJob, wanted: Callable[[], bool] = lambda: True) -> FileResult | None:
        """Convert one file and wait for its result (a Dask task does this); None if `wanted`
        turned false meanwhile (the task was cancelled: the worker is killed)."""
        for _ in range(3):
            if self.give(job):
                break
        else:  # fresh workers die before taking a file: the machine's trouble, not the file's
            return FileResult.failure(job, WorkerCrashError(
                "no worker process could be started to convert this file", file=job.path))
        while True:
            now = time.monotonic()
            ready = multiprocessing.connection.wait([self.worker.conn],
                                                    timeout=self.wait_seconds(now))
            result = self.check(bool(ready), time.monotonic())
            if result is not None:
                return result
            if not wanted():
                self._replace()
                return None

    def close(self) -> None:
        if self.worker.task is None:
            self.worker.stop()
        else:
            self.worker.kill()


# -- the local pool --------------------------------------------------------------------------

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


def share_cores(convert_kwargs: dict, jobs: int) -> dict:
    """The OCR engine's threads per worker when `jobs` workers share this machine's cores: its
    default takes every core, and several workers doing so fight over the cores (`make bench`,
    4 scans: 1 job 52.8 s; 2 jobs 61.3 s with every core each, 50.9 s with one each). A thread
    count the caller set is kept, and one worker keeps the engine's default."""
    if jobs <= 1:
        return convert_kwargs
    ocr_settings = dict(convert_kwargs.get("ocr_settings") or {})
    engine = dict(ocr_settings.get("engine") or {})
    if "threads" in engine:
        return convert_kwargs
    engine["threads"] = max(1, default_jobs() // jobs)
    ocr_settings["engine"] = engine
    return {**convert_kwargs, "ocr_settings": ocr_settings}


_frozen = False


def _freeze_imports() -> None:
    """What this process holds before its first batch (the modules: pydantic, the pipeline)
    lives as long as it does: frozen out of the collector's sight, it is walked by no collection,
    neither in the workers forked from here (whose pages it would copy) nor at the process's exit
    (a full collection: 30-60 ms of every `perfdecl convert`). Once: a program running batch
    after batch would otherwise freeze each batch's garbage too."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


class LocalPool:
    """`jobs` worker processes on this machine (`--jobs`)."""

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs
        self._capped: int | None = None

    def workers(self, files: int) -> int:
        """How many files run at once (decided, and any cap logged, once)."""
        if self._capped is None:
            self._capped = capped_jobs(self.jobs, files)
        return self._capped

    def results(self, tasks: list[FileJob], opts: Options, order: InputOrder,
                tick: Callable[[], None]) -> Iterator[FileResult]:
        """Every task's result, as the workers finish them."""
        if not tasks:
            return
        jobs = self.workers(len(tasks))
        opts = replace(opts, convert_kwargs=share_cores(opts.convert_kwargs, jobs))
        ctx = _context()
        _freeze_imports()
        pending = list(reversed(tasks))
        slots = [Slot(ctx, opts) for _ in range(jobs)]
        left = len(tasks)
        try:
            while left:
                for slot in slots:
                    if slot.job is None and pending and order.admits(pending[-1].index):
                        if slot.give(pending[-1]):
                            pending.pop()
                busy = [s for s in slots if s.job is not None]
                now = time.monotonic()
                wait_for = min((s.wait_seconds(now) for s in busy), default=0.5)
                ready = multiprocessing.connection.wait([s.worker.conn for s in busy],
                                                        timeout=wait_for)
                now = time.monotonic()
                for slot in busy:
                    result = slot.check(slot.worker.conn in ready, now)
                    if result is not None:
                        left -= 1
                        yield result
                tick()
        finally:
            for slot in slots:
                slot.close()
