"""Benchmark of the scan pipeline against bare RapidOCR full-page recognition, whole processes.

    .venv/bin/python bench/bench_ocr.py                       # corpus scans + scanned samples
    .venv/bin/python bench/bench_ocr.py --limit 4 --json out/bench_ocr.json

Not a test: prints figures (and --json writes them). For every scanned PDF (the scan300 and
scan200 prints of ../shared/real/forms when present, and samples/scanned/), in the same run and
one after the other:

  pipeline  `perfdecl convert FILE -o TMP --ocr always` as its own process (`--jobs 1`: the
            worker is a second process; wall time, CPU time and the peak resident memory of the
            largest process)
  bare      a process that renders the same pages at the same resolution (pypdfium2, grey,
            as the pipeline does) and runs `rapidocr.RapidOCR()` with its default settings on
            each page (detection, orientation classifier, recognition), nothing else

ratio = pipeline / bare, wall and CPU, over all files. Target (issue 14): ≤ 0.6.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "real" / "forms" / "pdf"
sys.path.insert(0, str(ROOT / "bench"))
from bench_pipeline import compile_bytecode  # noqa: E402

BARE = r"""
import sys
import numpy as np
import pypdfium2 as pdfium
from rapidocr import RapidOCR
path, dpi = sys.argv[1], float(sys.argv[2])
engine = RapidOCR(params={"Global.log_level": "error"})
pdf = pdfium.PdfDocument(path)
lines = 0
for page in pdf:
    gray = np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
    result = engine(np.stack([gray] * 3, axis=-1))
    lines += len(result.txts or ())
print(lines)
"""


def run(cmd: list[str]) -> dict:
    """Wall and CPU seconds of a command and its children, and the largest peak RSS among them."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    # the children's rusage: waited for above; ru_maxrss is the largest of them all so far (KiB)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "returncode": proc.returncode, "stdout": out.decode(errors="replace"),
            "stderr": err.decode(errors="replace")[-2000:], "usage": usage}


def measured(cmd: list[str], before) -> tuple[dict, object]:
    r = run(cmd)
    u = r["usage"]
    r["cpu"] = (u.ru_utime - before.ru_utime) + (u.ru_stime - before.ru_stime)
    return r, u


def scan_files(limit: int | None) -> list[Path]:
    files: list[Path] = []
    for variant in ("scan300", "scan200"):
        if (CORPUS / variant).is_dir():
            files += sorted((CORPUS / variant).glob("*.pdf"))
    files += sorted((ROOT / "samples" / "scanned").glob("*.pdf"))
    return files[:limit] if limit else files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="first N files only")
    ap.add_argument("--dpi", type=float, default=200.0, help="the pipeline's render resolution")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--perfdecl", help="the perfdecl command to measure (default: this venv's; "
                                       "another checkout's, for a before/after)")
    args = ap.parse_args()
    files = scan_files(args.limit)
    if not args.perfdecl:  # another checkout's perfdecl is that checkout's business
        compile_bytecode()
    perfdecl = args.perfdecl or str(Path(sys.executable).with_name("perfdecl"))
    rows = []
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f} at start; {len(files)} files")
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        for f in files:
            pipe, usage = measured([perfdecl, "convert", str(f), "-o", tmp, "--ocr", "always",
                                    "--jobs", "1", "--format", "json"], usage)
            bare, usage = measured([sys.executable, "-c", BARE, str(f), str(args.dpi)], usage)
            if bare["returncode"] != 0:
                print(bare["stderr"], file=sys.stderr)
                return 2
            rows.append({"file": f"{f.parent.name}/{f.name}", "pipeline_wall": pipe["wall"],
                         "pipeline_cpu": pipe["cpu"], "pipeline_exit": pipe["returncode"],
                         "bare_wall": bare["wall"], "bare_cpu": bare["cpu"],
                         "bare_lines": int(bare["stdout"].strip() or 0)})
            print(f"{rows[-1]['file']:<32} pipeline {pipe['wall']:6.1f} s ({pipe['cpu']:6.1f} CPU)"
                  f"   bare {bare['wall']:6.1f} s ({bare['cpu']:6.1f} CPU)"
                  f"   {pipe['wall'] / bare['wall']:.2f}x", flush=True)
    total = {k: sum(r[k] for r in rows) for k in ("pipeline_wall", "pipeline_cpu", "bare_wall", "bare_cpu")}
    summary = {
        "files": len(rows),
        **{k: round(v, 1) for k, v in total.items()},
        "ratio_wall": round(total["pipeline_wall"] / total["bare_wall"], 3),
        "ratio_cpu": round(total["pipeline_cpu"] / total["bare_cpu"], 3),
        "peak_rss_mb_any_process": round(usage.ru_maxrss / 1024),
        "load_end": round(os.getloadavg()[0], 2),
    }
    print(f"all {len(rows)} files: pipeline {total['pipeline_wall']:.1f} s, bare RapidOCR "
          f"{total['bare_wall']:.1f} s: {summary['ratio_wall']:.2f}x wall, "
          f"{summary['ratio_cpu']:.2f}x CPU (target <= 0.6x); load {summary['load_end']} at end")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "files": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
