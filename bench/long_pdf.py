"""Memory of a long text PDF through the batch (issue 11: a 2,000-page text PDF under 300 MB).

    .venv/bin/python bench/long_pdf.py --pages 2000

Not a test (tests/test_hostile.py checks that memory does not grow from 20 to 160 pages): writes a
text PDF of N A4 pages (40 lines each, no form; tests/hostile_inputs.py) in a temporary folder,
converts it with one worker, and prints the figures: seconds, the worker's peak resident memory
(ru_maxrss, and the batch's own watch of it) and the main process's.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_inputs import text_pdf  # noqa: E402

from perfdecl.batch import Options, run_batch  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "long.pdf"
        pdf.write_bytes(text_pdf(args.pages))
        start = time.monotonic()
        summary = run_batch([pdf], Options(out=Path(tmp) / "out", timeout=None), jobs=1)
        seconds = time.monotonic() - start
        figures = {
            "pages": args.pages,
            "pdf_bytes": pdf.stat().st_size,
            "seconds": round(seconds, 1),
            "errors": [(e["stage"], e["code"]) for e in summary.errors],
            "worker_peak_rss_mb": round(summary.peak_rss_kb / 1024, 1),
            "main_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "target": "largest process < 300 MB",
        }
    figures["met"] = max(figures["worker_peak_rss_mb"], figures["main_peak_rss_mb"]) < 300
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
