#!/usr/bin/env python3
"""Error rate and cost of the page-orientation decision (extract/ocr/orient.py) on every scanned
page we have, each turned 0, 90, 180 and 270 degrees.

    python scripts/orientation.py                     # decisions: confusion table, ms per page
    python scripts/orientation.py --score form_05,form_11
                                                      # and the corpus score of turned copies

Pages: ../shared/real/forms/pdf/scan300 and scan200 (the corpus's real forms) and
samples/scanned/*.pdf, rendered at the pipeline's dpi. A page "turned t" is the page as a scanner
fed it turned: the rendered page turned t degrees counter-clockwise, so that it takes a clockwise
turn of t to stand upright again; the right decision is t (plus T for a sample scanned turned
already, `<name>.200dpi-turned<T>.pdf`). Time is per decision, wall and CPU (this process, every
onnxruntime thread included), models already loaded.

`--score`: for the named corpus forms and each scanned print, the PDF is written with every page
turned t (pypdf `/Rotate` of 360 - t, so the displayed page is turned and the image bytes are the
same), is converted, and is scored with the corpus's scorer next to the upright file.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import corpus  # noqa: E402  (scripts/corpus.py: the corpus path and its scorer)

TURNS = (0, 90, 180, 270)
PRINTS = ("scan300", "scan200")


def page_sets(corpus_dir: Path) -> dict[str, list[Path]]:
    sets = {p: sorted((corpus_dir / "pdf" / p).glob("*.pdf")) for p in PRINTS}
    sets["samples/scanned"] = sorted((ROOT / "samples" / "scanned").glob("*.pdf"))
    return {name: files for name, files in sets.items() if files}


def decide_all(sets: dict[str, list[Path]], dpi: float) -> list[dict]:
    """One row per page and turn: set, file, page, true turn, decided turn, times."""
    from perfdecl.extract.ocr.orient import find_orientation, turn_image
    from perfdecl.extract.ocr.render import render_pdf_pages
    import pypdfium2 as pdfium

    rows = []
    for set_name, files in sets.items():
        for pdf in files:
            with pdfium.PdfDocument(str(pdf)) as doc:
                count = len(doc)
            scanned_turned = re.search(r"turned(\d+)", pdf.name)
            base = int(scanned_turned.group(1)) if scanned_turned else 0
            for page in render_pdf_pages(pdf, range(1, count + 1), dpi):
                for extra in TURNS:
                    image = turn_image(page.image, (360 - extra) % 360)
                    turn = (base + extra) % 360
                    wall, cpu = time.perf_counter(), time.process_time()
                    found = find_orientation(image)
                    rows.append({"set": set_name, "file": pdf.name, "page": page.page, "true": turn,
                                 "decided": found.degrees, "lines": found.lines, "tall": found.tall,
                                 "pieces": found.pieces, "flipped": found.flipped,
                                 "wall_ms": 1000 * (time.perf_counter() - wall),
                                 "cpu_ms": 1000 * (time.process_time() - cpu)})
                    mark = "" if found.degrees == turn else "  WRONG"
                    print(f"{set_name:16} {pdf.name:40} p{page.page} {turn:3} -> {found.degrees:3}"
                          f" ({found.tall}/{found.lines} tall, {found.flipped}/{found.pieces} flipped)"
                          f" {rows[-1]['wall_ms']:.0f} ms{mark}", flush=True)
    return rows


def report(rows: list[dict]) -> str:
    out = []
    confusion = Counter((r["true"], r["decided"]) for r in rows)
    out.append("| page turned \\ decided | " + " | ".join(f"{t}°" for t in TURNS) + " | error rate |")
    out.append("|---|" + "---:|" * (len(TURNS) + 1))
    for t in TURNS:
        n = sum(confusion[(t, d)] for d in TURNS)
        wrong = n - confusion[(t, t)]
        out.append(f"| {t}° | " + " | ".join(str(confusion[(t, d)]) for d in TURNS)
                   + f" | {wrong}/{n} |")
    out.append("")
    out.append("| set | pages | decisions | wrong | wall ms/page median (p90) | CPU ms/page median (p90) |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for name in dict.fromkeys(r["set"] for r in rows):
        sub = [r for r in rows if r["set"] == name]
        out.append(f"| {name} | {len(sub) // len(TURNS)} | {len(sub)} | "
                   f"{sum(r['true'] != r['decided'] for r in sub)} | "
                   f"{_median_p90([r['wall_ms'] for r in sub])} | {_median_p90([r['cpu_ms'] for r in sub])} |")
    out.append(f"| all | {len(rows) // len(TURNS)} | {len(rows)} | "
               f"{sum(r['true'] != r['decided'] for r in rows)} | "
               f"{_median_p90([r['wall_ms'] for r in rows])} | {_median_p90([r['cpu_ms'] for r in rows])} |")
    return "\n".join(out)


def _median_p90(values: list[float]) -> str:
    values = sorted(values)
    return f"{statistics.median(values):.0f} ({values[int(0.9 * (len(values) - 1))]:.0f})"


def turned_copy(src: Path, degrees: int, out: Path) -> Path:
    """`src` with every page shown turned `degrees` clockwise (/Rotate): the page as displayed is a
    page scanned turned, which takes a clockwise turn of 360 - degrees to stand upright."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(src).pages:
        page.rotate(degrees)
        writer.add_page(page)
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def score_turned(corpus_dir: Path, forms: list[str]) -> str:
    """Corpus score of each form's scanned prints, upright and turned each way."""
    import perfdecl
    from perfdecl.errors import PerfdeclError

    scorer = corpus.load_scorer(corpus_dir)
    lines = ["| form | print | " + " | ".join(f"turned {t}°" for t in TURNS) + " |",
             "|---|---|" + "---:|" * len(TURNS)]
    with tempfile.TemporaryDirectory(prefix="perfdecl-orient-") as tmp:
        for name in forms:
            gold = json.loads((corpus_dir / "gold" / f"{name}.json").read_text(encoding="utf-8"))
            for print_ in PRINTS:
                src = corpus_dir / "pdf" / print_ / f"{name}.pdf"
                cells = []
                for t in TURNS:
                    # shown turned 360 - t clockwise: it takes a clockwise turn of t to read
                    pdf = src if t == 0 else turned_copy(src, 360 - t, Path(tmp) / f"{name}.{print_}.{t}.pdf")
                    try:
                        got = perfdecl.convert(pdf).model_dump(mode="json")
                    except PerfdeclError:
                        got = None
                    recs = scorer.compare_doc(gold, got)
                    cells.append(f"{sum(r[4] for r in recs)}/{len(recs)}")
                    print(f"{name} {print_} turned {t}: {cells[-1]}", flush=True)
                lines.append(f"| {name} | {print_} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=corpus.CORPUS)
    ap.add_argument("--dpi", type=float, default=None, help="render dpi (default: the pipeline's)")
    ap.add_argument("--score", help="comma list of corpus forms to score turned")
    ap.add_argument("--no-decisions", action="store_true", help="only --score")
    ap.add_argument("--json", type=Path, help="write every decision here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    from perfdecl.extract.ocr import OCR_SETTINGS

    if not args.no_decisions:
        rows = decide_all(page_sets(args.corpus), args.dpi or OCR_SETTINGS["dpi"])
        print(report(rows))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    if args.score:
        print(score_turned(args.corpus, args.score.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
