"""Benchmark of the batch on a local 2-worker Dask cluster against the local pool with 2 jobs.

    make bench-cluster
    .venv/bin/python bench/bench_cluster.py --files 200 --repeat 2

Not a test: prints figures (and --json writes them). The archive is bench_pipeline's: copies of
the committed text samples, each with bytes of its own. Both runs convert it into a fresh OUT
with `--format json,csv` and no resume (`force`), best of --repeat runs, alternately:

  jobs2     `run_batch(..., jobs=2)`: the local pool, two forked worker processes
  cluster   `run_batch(..., executor=DaskExecutor(client))` on a `distributed.LocalCluster` of two
            worker processes with one thread each on 127.0.0.1, started before the timing (a
            cluster is there before a run); each task converts in a worker process of its own
  cpu_s     CPU seconds of the run: client (and the LocalCluster's scheduler, in the same
            process), workers and their worker processes; wall time on a shared machine moves
            with the other load, this much less
  machine_parallelism  what two CPU-bound processes get over one, before and after (2.0 on an
            idle 2-core machine): other load on the machine shows there

Target (issue 12): the cluster run within 10 % of the local pool's wall time. The two OUT folders
are compared byte for byte as well.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import distributed
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from bench_pipeline import machine_figures, machine_parallelism  # noqa: E402
from samplecases import text_archive  # noqa: E402

from perfdecl.batch import run_batch  # noqa: E402
from perfdecl.cluster import DaskExecutor  # noqa: E402
from perfdecl.filejob import Options  # noqa: E402
from perfdecl.pipeline import convert  # noqa: E402


def _cpu_seconds() -> float:
    """CPU seconds so far of this process (the client, and the LocalCluster's scheduler), of its
    reaped children (the local pool's workers) and of every live descendant with its own reaped
    children (nannies, Dask workers, their worker processes): with the wall time they show what a
    run cost whatever else the machine was doing."""
    own = os.times()
    total = own.user + own.system + own.children_user + own.children_system
    for proc in psutil.Process().children(recursive=True):
        try:
            t = proc.cpu_times()
        except psutil.Error:  # ended meanwhile: counted with its parent's reaped children
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def _run(files: list[Path], out: Path, **how) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cpu = _cpu_seconds()
    summary = run_batch(files, Options(out=out, formats=["json", "csv"], force=True), **how)
    cpu = _cpu_seconds() - cpu
    return {"seconds": round(summary.seconds, 2), "pages_per_s": round(summary.pages / summary.seconds, 1),
            "files": summary.files, "failed": summary.failed, "cpu_s": round(cpu, 2),
            "peak_rss_per_worker_mb": round(summary.peak_rss_kb / 1024)}


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200, help="text PDFs (copies of the samples)")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each, alternately; the best kept")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    figures = machine_figures(distributed=distributed.__version__)
    with tempfile.TemporaryDirectory(prefix="perfdecl-bench-cluster-") as tmp:
        tmp = Path(tmp)
        files = text_archive(tmp / "in", args.files)
        convert(files[0])  # imports and vocabularies loaded before timing
        figures["files"] = len(files)
        figures["machine_parallelism_before"] = machine_parallelism()
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster, set_as_default=False) as client:
            executor = DaskExecutor(client)
            for _ in range(args.repeat):
                for name, how in (("jobs2", {"jobs": 2}), ("cluster", {"executor": executor})):
                    r = _run(files, tmp / name, **how)
                    best = figures.get(name)
                    if best is None or r["seconds"] < best["seconds"]:
                        figures[name] = r
        figures["same_bytes"] = _tree(tmp / "jobs2") == _tree(tmp / "cluster")
    figures["machine_parallelism_after"] = machine_parallelism()
    figures["load_average_after"] = round(os.getloadavg()[0], 2)
    ratio = figures["cluster"]["seconds"] / figures["jobs2"]["seconds"]
    figures["cluster_over_jobs2"] = round(ratio, 3)
    figures["cluster_over_jobs2_cpu"] = round(figures["cluster"]["cpu_s"] / figures["jobs2"]["cpu_s"], 3)
    figures["targets"] = {"cluster within 10 % of --jobs 2": ratio <= 1.10,
                          "same OUT bytes": figures["same_bytes"]}
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
