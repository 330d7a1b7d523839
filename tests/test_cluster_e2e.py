"""End to end on a real (if small) cluster: `dask scheduler` and two `dask worker` commands on
127.0.0.1, the CLI run against them. One worker is killed with SIGKILL in the middle of a run:
every file is converted all the same. Ctrl-C on the client cancels the cluster's tasks and leaves
no half-written output. Every process the test starts is ended by it (process groups)."""

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import distributed
import pytest

from samplecases import SAMPLES, text_archive

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process groups, SIGKILL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    # a session of its own: the whole group (the worker's converting children too) ends at once
    return subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _end(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def _wait_for_workers(address: str, n: int, timeout: float = 60) -> None:
    with distributed.Client(address, set_as_default=False, timeout=timeout) as client:
        client.wait_for_workers(n, timeout=timeout)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-thread workers (no nanny: a killed worker stays dead)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                             str(port), "--no-dashboard"], logs / "scheduler.log"))
        for name in ("w1", "w2"):
            procs.append(_start([str(BIN / "dask"), "worker", address, "--nthreads", "1",
                                 "--no-nanny", "--host", "127.0.0.1", "--no-dashboard",
                                 "--name", name], logs / f"{name}.log"))
        _wait_for_workers(address, 2)
        yield address, procs[1], procs[2]
    finally:
        for proc in procs:
            _end(proc)


def _convert(address: str, src: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "perfdecl"), "convert", str(src), "-o", str(out),
                             "--format", "json,csv", "--scheduler", address, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_a_worker_killed_mid_run_costs_nothing(tmp_path, cluster):
    address, w1, w2 = cluster
    files = text_archive(tmp_path / "in", 40)
    out = tmp_path / "out"
    run = _convert(address, tmp_path / "in", out, "-q")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(out.glob("*.json"))) < 5:
            time.sleep(0.05)
        assert len(list(out.glob("*.json"))) >= 5
        os.killpg(w1.pid, signal.SIGKILL)  # the worker and the process converting its file
        w1.wait(10)
        _, err = run.communicate(timeout=240)
    finally:
        _end(run)
    assert run.returncode == 0, err.decode()
    assert sorted(p.stem for p in out.glob("*.json")) == sorted(f.stem for f in files)
    text = (out / "errors.csv").read_bytes().decode("utf-8-sig")
    assert list(csv.DictReader(io.StringIO(text))) == []
    forms = (out / "forms.csv").read_bytes().decode("utf-8-sig")
    assert {r["file"] for r in csv.DictReader(io.StringIO(forms))} == {f.name for f in files}
    assert w2.poll() is None  # the other worker carried on


def test_interrupt_cancels_the_tasks_and_leaves_no_partial_output(tmp_path, cluster):
    address, w1, w2 = cluster
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SAMPLES / "seed.pdf", src / "a.pdf")  # first in order, quick
    for name in sorted(p.name for p in (SAMPLES / "scanned").glob("*.pdf"))[:6]:  # OCR: slow
        shutil.copy(SAMPLES / "scanned" / name, src / f"scan-{name}")
    out = tmp_path / "out"
    run = _convert(address, src, out, "--format", "json,csv,jsonl", "-q", "--timeout", "0")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out / "a.json").exists():
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        _end(run)
    assert run.returncode == 130, err.decode()
    assert "interrupted; files converted so far are in place" in err.decode()
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    # no table, no spool, no temporary file: the converted JSON and the journal only
    assert [n for n in names if not n.endswith(".json")] == [".perfdecl",
                                                             ".perfdecl/converted.jsonl"]
    assert "a.json" in names
    # the cluster stops converting: no task of the run is left on the scheduler
    with distributed.Client(address, set_as_default=False) as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
            if left == 0:
                break
            time.sleep(0.2)
        assert left == 0
        busy = client.run(lambda dask_worker: len(dask_worker.state.executing))
        assert set(busy.values()) == {0}
