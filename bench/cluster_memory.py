"""Memory of the batch's client on a Dask cluster over a long archive (issue 12: flat over 10,000
files).

    .venv/bin/python bench/cluster_memory.py --files 10000

Not a test: prints figures (and --json writes them). The archive is N hard links to one small
text sample (samples/seed.pdf: one page, one form), so that 10,000 files take no disk but each
is a file of its own to the batch (its own stem, JSON, rows). They are converted with
`--format json,csv` on a `distributed.LocalCluster` of two worker processes (one thread each)
through `run_batch(..., executor=DaskExecutor(client))`, as `perfdecl convert --scheduler` does.
The client's resident memory (this process, which also holds the LocalCluster's scheduler) is
read whenever the batch reports progress; the figures are its resident memory after 1 %, 10 %,
50 % and 100 % of the files and its peak. `--scheduler-apart`: the scheduler and the workers in
processes of their own (distributed's SubprocessCluster), as on a real cluster, so that the
figures are the client's alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import distributed
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import machine_figures  # noqa: E402

from perfdecl.batch import run_batch  # noqa: E402
from perfdecl.cluster import DaskExecutor  # noqa: E402
from perfdecl.filejob import Options  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "seed.pdf"


class MemoryTrace:
    """A progress object for run_batch: the client's resident memory at every update."""

    def __init__(self):
        self.points: list[tuple[int, float]] = []  # (files done, resident MB)
        self._me = psutil.Process()

    def update(self, summary, elapsed: float) -> None:
        done = summary.ok + summary.skipped + summary.failed
        self.points.append((done, self._me.memory_info().rss / 2**20))

    tick = update

    def close(self) -> None:
        pass


def linked_archive(folder: Path, n: int) -> list[Path]:
    """n hard links to the seed sample: files of their own to the batch, no disk taken."""
    folder.mkdir()
    files = [folder / f"{i:05d}-seed.pdf" for i in range(n)]
    for f in files:
        os.link(SAMPLE, f)
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--scheduler-apart", action="store_true",
                    help="scheduler and workers in processes of their own")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    figures = machine_figures(distributed=distributed.__version__)
    with tempfile.TemporaryDirectory(prefix="perfdecl-cluster-memory-") as tmp:
        tmp = Path(tmp)
        files = linked_archive(tmp / "in", args.files)
        trace = MemoryTrace()
        if args.scheduler_apart:
            from distributed.deploy.subprocess import SubprocessCluster

            cluster = SubprocessCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1,
                                        dashboard_address=":0")
        else:
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=":0")
        figures["scheduler"] = "apart" if args.scheduler_apart else "in the client's process"
        with cluster, distributed.Client(cluster) as client:
            start_mb = psutil.Process().memory_info().rss / 2**20
            started = time.monotonic()
            summary = run_batch(files, Options(out=tmp / "out", formats=["json", "csv"]),
                                executor=DaskExecutor(client), progress=trace)
            seconds = time.monotonic() - started
    points = trace.points

    def at(share: float) -> float:
        want = share * args.files
        return round(next(mb for done, mb in points if done >= want), 1)

    figures.update({
        "files": args.files, "seconds": round(seconds, 1), "failed": summary.failed,
        "client_mb_before": round(start_mb, 1),
        "client_mb_at": {"1%": at(0.01), "10%": at(0.10), "50%": at(0.50), "100%": at(1.0)},
        "client_peak_mb": round(max(mb for _, mb in points), 1),
        "load_average_after": round(os.getloadavg()[0], 2),
    })
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
