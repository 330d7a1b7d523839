"""Text PDFs: whole `perfdecl` processes against whole bare pdfplumber processes, and memory.

    .venv/bin/python bench/bench_text.py                 # what `make bench` runs
    .venv/bin/python bench/bench_text.py --files 40 --repeat 1 --long-pages 300

Not a test: prints figures (and --json writes them). Every figure is a process started from the
shell, as a user starts it, so start-up counts on both sides:

  help      `perfdecl --help`, best of --repeat (target < 0.2 s)
  corpus    each LibreOffice print of ../shared/real/forms (pdf/lo) as its own process:
            `perfdecl convert FILE -o OUT --jobs 1 -q` against `python -c` opening the file with
            pdfplumber and calling `extract_tables()` on every page; sums over the files, each
            file's time the best of --repeat; then the nine files as one process each side
            (`one_process`: start-up paid once). Target: ratio <= 1.0
  archive   the 200-file text archive (copies of the committed samples, each with its own sha256;
            bench/bench_pipeline.py makes it) as one process on each side: `perfdecl convert
            FOLDER --jobs 1 --format json,csv` against one bare process over every file
  peak RSS  per process, from wait4(); for perfdecl the batch's own worker (a forked child) is
            counted too: the figure is the largest of the main process and its worker. An upper
            bound: a child's high-water mark starts at this script's own resident size when it is
            forked (about 56 MB, `python -c pass` reads so), so a figure near that means "at most"
  cpu       beside each wall time, the CPU seconds of the process and its worker (wait4), best of
            --repeat (`cpu_ratio`): steadier than wall time where other work shares the cores
  long      one text PDF of --long-pages pages holding a two-page form on every two pages
            (pypdf), converted by `perfdecl convert --jobs 1`: peak memory (target < 300 MB at
            3,000 pages)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_LO = ROOT.parent / "shared" / "real" / "forms" / "pdf" / "lo"
PERFDECL = Path(sys.executable).with_name("perfdecl")

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_pipeline import compile_bytecode, machine_figures  # noqa: E402
from samplecases import text_archive  # noqa: E402

# the bare side: what a user of pdfplumber alone writes to read every table of some files
BARE = """
import sys, pdfplumber
for name in sys.argv[1:]:
    with pdfplumber.open(name) as pdf:
        for page in pdf.pages:
            page.extract_tables()
"""


def run(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak resident MB and CPU seconds of the process and its children (wait4
    gives the largest ru_maxrss of the process tree it waited for, and the CPU time of the
    children it waited for: a forked worker's too). CPU time depends less on what else runs
    on the machine than wall time does."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode not in (0, 1):  # 1: some file failed (not the bench's concern here)
        raise SystemExit(f"{' '.join(map(str, argv))} exited {proc.returncode}: {err[-500:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def best(argv: list[str], repeat: int) -> tuple[float, float, float]:
    """Best wall time, largest peak, best CPU time of `repeat` runs."""
    times, peak, cpu = [], 0.0, []
    for _ in range(repeat):
        seconds, mb, cpu_s = run(argv)
        times.append(seconds)
        peak = max(peak, mb)
        cpu.append(cpu_s)
    return min(times), peak, min(cpu)


def convert_argv(paths: list[Path], out: Path, formats: str = "json") -> list[str]:
    return [str(PERFDECL), "convert", *map(str, paths), "-o", str(out), "--jobs", "1", "-q",
            "--force", "--format", formats]


def bare_argv(paths: list[Path]) -> list[str]:
    return [sys.executable, "-c", BARE, *map(str, paths)]


def corpus(tmp: Path, repeat: int) -> dict:
    files = sorted(CORPUS_LO.glob("*.pdf"))
    if not files:
        return {"skipped": f"no corpus at {CORPUS_LO}"}
    ours = bare = cpu_ours = cpu_bare = 0.0
    peak_ours = peak_bare = 0.0
    per_file = {}
    for f in files:
        t_ours, m_ours, c_ours = best(convert_argv([f], tmp / "corpus"), repeat)
        t_bare, m_bare, c_bare = best(bare_argv([f]), repeat)
        per_file[f.name] = {"perfdecl_s": round(t_ours, 3), "bare_s": round(t_bare, 3),
                            "perfdecl_cpu_s": round(c_ours, 3), "bare_cpu_s": round(c_bare, 3)}
        ours, bare = ours + t_ours, bare + t_bare
        cpu_ours, cpu_bare = cpu_ours + c_ours, cpu_bare + c_bare
        peak_ours, peak_bare = max(peak_ours, m_ours), max(peak_bare, m_bare)
    # the nine files as one process each side: start-up paid once
    t_all, m_all, c_all = best(convert_argv(files, tmp / "corpus-all"), repeat)
    t_all_bare, m_all_bare, c_all_bare = best(bare_argv(files), repeat)
    return {"files": len(files), "perfdecl_s": round(ours, 2), "bare_s": round(bare, 2),
            "ratio": round(ours / bare, 2), **_cpu(cpu_ours, cpu_bare),
            "perfdecl_peak_mb": round(peak_ours, 1), "bare_peak_mb": round(peak_bare, 1),
            "one_process": {"perfdecl_s": round(t_all, 2), "bare_s": round(t_all_bare, 2),
                            "ratio": round(t_all / t_all_bare, 2), **_cpu(c_all, c_all_bare),
                            "perfdecl_peak_mb": round(m_all, 1), "bare_peak_mb": round(m_all_bare, 1)},
            "per_file": per_file}


def _cpu(ours: float, bare: float) -> dict:
    return {"perfdecl_cpu_s": round(ours, 2), "bare_cpu_s": round(bare, 2),
            "cpu_ratio": round(ours / bare, 2) if bare else None}


def archive(tmp: Path, n: int, repeat: int) -> dict:
    folder = tmp / "archive"
    folder.mkdir()
    files = text_archive(folder, n)
    t_ours, m_ours, c_ours = best(convert_argv([folder], tmp / "archive-out", "json,csv"), repeat)
    t_bare, m_bare, c_bare = best(bare_argv(files), repeat)
    return {"files": n, "perfdecl_s": round(t_ours, 2), "bare_s": round(t_bare, 2),
            "ratio": round(t_ours / t_bare, 2), **_cpu(c_ours, c_bare),
            "perfdecl_peak_mb": round(m_ours, 1), "bare_peak_mb": round(m_bare, 1)}


def long_pdf(tmp: Path, pages: int) -> dict:
    from pypdf import PdfReader, PdfWriter

    form = ROOT / "samples" / "seed_two_pages.pdf"
    reader = PdfReader(form)
    writer = PdfWriter()
    while len(writer.pages) < pages:
        for page in reader.pages:
            writer.add_page(page)
    path = tmp / "long.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    seconds, mb, _ = run(convert_argv([path], tmp / "long-out") + ["--timeout", "0"])  # minutes: no per-file limit
    doc = json.loads((tmp / "long-out" / "long.json").read_text(encoding="utf-8"))
    return {"pages": len(writer.pages), "forms": len(doc.get("forms", [])),
            "pdf_mb": round(path.stat().st_size / 2**20, 1), "seconds": round(seconds, 1),
            "peak_mb": round(mb, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200, help="text PDFs in the archive")
    ap.add_argument("--repeat", type=int, default=3, help="best of N per process")
    ap.add_argument("--long-pages", type=int, default=3000, help="pages of the long PDF (0: skip)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    compile_bytecode()
    figures = machine_figures()
    help_s, help_mb, _ = best([str(PERFDECL), "--help"], args.repeat + 2)
    figures["help"] = {"seconds": round(help_s, 3), "peak_mb": round(help_mb, 1)}
    print(f"perfdecl --help: {help_s:.3f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        figures["corpus_lo"] = corpus(tmp, args.repeat)
        print(f"corpus lo: {json.dumps({k: v for k, v in figures['corpus_lo'].items() if k != 'per_file'})}", flush=True)
        figures["archive"] = archive(tmp, args.files, args.repeat)
        print(f"archive: {json.dumps(figures['archive'])}", flush=True)
        if args.long_pages:
            figures["long"] = long_pdf(tmp, args.long_pages)
            print(f"long: {json.dumps(figures['long'])}", flush=True)
    figures["load_average_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
