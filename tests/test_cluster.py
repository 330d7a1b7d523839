"""The batch on a Dask cluster (perfdecl/cluster.py): a distributed.LocalCluster of two worker
processes on 127.0.0.1 gives the same OUT as `--jobs 2`, resumes its work and the other way round,
turns a file that kills every worker into an error record, and keeps the per-file time limit."""

import csv
import io
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import cloudpickle
import dask
import distributed
import pytest

import perfdecl.cluster as cluster
import perfdecl.pool as pool
from perfdecl.batch import run_batch
from perfdecl.cli import main
from perfdecl.errors import ExitCode
from perfdecl.filejob import FileJob, Options
from perfdecl.ordering import InputOrder

from samplecases import SAMPLES

TEXT_SAMPLES = sorted(SAMPLES.glob("*.pdf"))  # 20 text PDFs, staff_list.pdf is no form
FORMATS = "json,jsonl,csv,xlsx,parquet,sqlite"

# the plugin below travels to the workers by value: they need not import this test module
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    # A LocalCluster's nannies run in this process and set its environment for their workers
    # (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_, PYTHONHASHSEED...), for good: restored after,
    # or every later test's subprocess inherits them (the memory-limit test's worker then trims
    # its heap between the watch's looks and is never seen past its limit)
    environ = dict(os.environ)
    # worker-saturation 1.0: a worker holds only the task it runs, so that a poison file's
    # deaths count against that file alone; allowed-failures 1: two tries, then KilledWorker
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                              "distributed.scheduler.worker-saturation": 1.0}):
            with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                          host="127.0.0.1", dashboard_address=None) as local:
                with distributed.Client(local, set_as_default=False) as c:
                    yield c
    finally:
        os.environ.clear()
        os.environ.update(environ)


def _copy(folder: Path, sources, names=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(sources):
        shutil.copy(src, folder / (names[i] if names else src.name))
    return folder


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def _errors(out: Path) -> dict[str, tuple[str, str]]:
    text = (out / "errors.csv").read_bytes().decode("utf-8-sig")
    return {r["file"].rsplit("/", 1)[-1]: (r["stage"], r["code"])
            for r in csv.DictReader(io.StringIO(text))}


def test_samples_through_the_cluster_are_byte_identical_to_jobs_2(tmp_path, client, monkeypatch):
    src = _copy(tmp_path / "in", TEXT_SAMPLES)
    monkeypatch.chdir(tmp_path)  # relative paths, as a user types them: errors.csv keeps them so
    # staff_list.pdf is no form: the batch exits with that error's own status, both ways
    assert main(["convert", "in", "-o", "local", "--format", FORMATS, "--jobs", "2", "-q"]) == \
        ExitCode.no_form_found
    assert main(["convert", "in", "-o", "dask", "--format", FORMATS, "-q",
                 "--scheduler", client.scheduler.address]) == ExitCode.no_form_found
    local, dask_out = _tree(tmp_path / "local"), _tree(tmp_path / "dask")
    assert sorted(local) == sorted(dask_out)
    assert [name for name in local if local[name] != dask_out[name]] == []
    assert len([n for n in local if n.endswith(".json")]) == len(TEXT_SAMPLES) - 1
    assert {"errors.csv", ".perfdecl/converted.jsonl", "perfdecl.xlsx", "perfdecl.sqlite",
            "indicators.parquet", "documents.jsonl"} <= set(local)
    assert _errors(tmp_path / "dask") == {"staff_list.pdf": ("normalize", "no_form_found")}
    assert len(list(src.iterdir())) == len(TEXT_SAMPLES)


def test_either_resumes_the_other(tmp_path, client):
    first, rest = TEXT_SAMPLES[:3], TEXT_SAMPLES[3:8]
    src = _copy(tmp_path / "in", first + rest)
    inputs = sorted(src.iterdir())
    out = tmp_path / "out"
    opts = Options(out=out, formats=["json", "csv"])
    done = run_batch([src / p.name for p in first], opts, jobs=2)
    assert (done.ok, done.skipped) == (3, 0)
    on_cluster = run_batch(inputs, opts, executor=cluster.DaskExecutor(client))
    assert (on_cluster.ok, on_cluster.skipped, on_cluster.failed) == (5, 3, 0)
    again = run_batch(inputs, opts, jobs=2)
    assert (again.ok, again.skipped, again.failed) == (0, 8, 0)
    fresh = tmp_path / "fresh"
    run_batch(inputs, Options(out=fresh, formats=["json", "csv"]), jobs=2)
    assert _tree(out) == _tree(fresh)


class _Poison(distributed.WorkerPlugin):
    """On every worker, now and after a restart: a file named poison*.pdf kills the Dask worker
    process converting it (as a file that takes the whole machine's memory would)."""

    def setup(self, worker):
        real = cluster.convert_on_worker

        def poisoned(job, opts, hosts):
            if os.path.basename(job.path).startswith("poison"):
                os.kill(os.getpid(), signal.SIGKILL)
            return real(job, opts, hosts)

        cluster.convert_on_worker = poisoned


def test_a_file_that_kills_every_worker_becomes_an_error_record(tmp_path, client):
    """Alone in its run: a worker's death counts against every file it held, so a file that
    shared the poison's workers twice could be recorded too (a rerun converts it)."""
    src = _copy(tmp_path / "in", [SAMPLES / "seed.pdf"], ["poison.pdf"])
    good = _copy(tmp_path / "good", [SAMPLES / "seed.pdf", SAMPLES / "two_forms.pdf"])
    client.register_plugin(_Poison(), name="poison")
    try:
        out = tmp_path / "out"
        start = time.monotonic()
        summary = run_batch([src / "poison.pdf"], Options(out=out, formats=["json", "csv"]),
                            executor=cluster.DaskExecutor(client))
        assert time.monotonic() - start < 120
        # the workers the nanny started again convert the next run
        after = run_batch(sorted(good.iterdir()), Options(out=out, formats=["json", "csv"]),
                          executor=cluster.DaskExecutor(client))
    finally:
        client.unregister_worker_plugin("poison")
        client.restart()  # workers without the plugin, for the tests after this one
    assert (summary.ok, summary.failed) == (0, 1)
    assert summary.errors[0]["code"] == "worker_crashed"
    assert summary.errors[0]["message"] == ("every Dask worker converting this file died (2 tries, "
                                            "distributed.scheduler.allowed-failures)")
    assert (after.ok, after.failed) == (2, 0)
    assert sorted(p.name for p in out.glob("*.json")) == ["seed.json", "two_forms.json"]


def test_the_time_limit_holds_on_dask_workers(tmp_path, client):
    src = _copy(tmp_path / "in", [SAMPLES / "seed.pdf", SAMPLES / "scanned" / "seed.300dpi.pdf"])
    out = tmp_path / "out"
    start = time.monotonic()
    summary = run_batch(sorted(src.iterdir()),
                        Options(out=out, formats=["json", "csv"], timeout=1.0),
                        executor=cluster.DaskExecutor(client))
    assert time.monotonic() - start < 60
    assert (summary.ok, summary.failed) == (1, 1)
    assert _errors(out) == {"seed.300dpi.pdf": ("convert", "timeout")}
    assert summary.errors[0]["message"].startswith("stopped after the time limit of 1 s")


def test_python_api_yields_results_as_they_complete(tmp_path, client):
    src = _copy(tmp_path / "in", TEXT_SAMPLES[:4])
    out = tmp_path / "out"
    results = list(cluster.convert_many(client, sorted(src.iterdir()),
                                        Options(out=out, formats=["json", "csv"])))
    assert sorted(r.path.rsplit("/", 1)[-1] for r in results) == sorted(p.name for p in TEXT_SAMPLES[:4])
    assert all(r.status == "ok" and r.forms >= 1 for r in results)
    assert (out / "forms.csv").exists() and (out / ".perfdecl" / "converted.jsonl").exists()


def test_scheduler_from_the_environment(tmp_path, client, monkeypatch, capsys):
    used = []

    class Counted(cluster.DaskExecutor):
        def results(self, *args):
            used.append(1)
            return super().results(*args)

    monkeypatch.setattr(cluster, "DaskExecutor", Counted)
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", client.scheduler.address)
    src = _copy(tmp_path / "in", [SAMPLES / "seed.pdf"])
    assert main(["convert", str(src), "-o", str(tmp_path / "out")]) == 0
    assert used == [1]
    assert "1 file(s): 1 converted" in capsys.readouterr().err
    # an explicit --jobs beats the environment: the local pool
    assert main(["convert", str(src), "-o", str(tmp_path / "out2"), "--jobs", "1", "-q"]) == 0
    assert used == [1]
    # both on the command line: bad usage
    assert main(["convert", str(src), "-o", str(tmp_path / "out3"), "--jobs", "1",
                 "--scheduler", client.scheduler.address]) == 2
    assert "--jobs is for the local pool" in capsys.readouterr().err


def test_missing_extra_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    src = _copy(tmp_path / "in", [SAMPLES / "seed.pdf"])
    assert main(["convert", str(src), "-o", str(tmp_path / "out"),
                 "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert capsys.readouterr().err == ("perfdecl: running on a Dask cluster needs the Dask extra: "
                                       "pip install 'perfdecl[dask]'\n")


def test_the_client_holds_a_bounded_window_of_tasks(tmp_path, client, monkeypatch):
    """Files are submitted only `window` ahead of the first unfinished one: the client's memory
    does not grow with the archive."""
    files = sorted(_copy(tmp_path / "in", TEXT_SAMPLES[:8]).iterdir())
    out = tmp_path / "out"
    out.mkdir()
    submitted = []
    real_submit = client.submit
    monkeypatch.setattr(client, "submit", lambda *a, **k: submitted.append(1) or real_submit(*a, **k))
    order = InputOrder(3)
    tasks = [FileJob(i, str(p), p.stem, source=str(p)) for i, p in enumerate(files)]
    held = []
    for done, result in enumerate(cluster.DaskExecutor(client).results(
            tasks, Options(out=out), order, lambda: None)):
        held.append(len(submitted) - done)
        order.put(result)
    assert len(submitted) == 8 and 1 <= max(held) <= 3
    assert order.next == 8 and sorted(p.name for p in out.glob("*.json")) == \
        sorted(p.stem + ".json" for p in files)


def test_ocr_threads_share_each_hosts_cores(client):
    """Both workers of the LocalCluster are on 127.0.0.1: on each, a file's OCR engine gets the
    host's cores / 2 task threads, as `--jobs 2` gives each of its workers locally."""
    hosts = cluster.DaskExecutor(client)._threads_per_host()
    assert hosts == {"127.0.0.1": 2}
    shares = client.run(lambda dask_worker: cluster.worker_convert_kwargs(
        dask_worker, {"ocr": "auto"}, hosts))
    threads = max(1, pool.default_jobs() // 2)
    assert list(shares.values()) == [{"ocr": "auto", "ocr_settings": {"engine": {"threads": threads}}}] * 2
