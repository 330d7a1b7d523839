#!/usr/bin/env python3
"""Field accuracy on the real-form corpus (../shared/real/forms), per form and per print.

    python scripts/corpus.py                          # every form, every print
    python scripts/corpus.py --variant lo --variant html --forms form_05,form_11
    python scripts/corpus.py --json out/corpus.json

The measure is the corpus's own scorer (`score.py` beside the gold documents, its `compare_doc`:
field groups meta, budget, tasks, indicator structure, target raw, target parsed); this script
converts each PDF in this process with `perfdecl.convert` and prints a form × print table and the
total per print, the same figures `score.py --cmd .venv/bin/perfdecl` gives. A new form is
measured by adding its PDFs under pdf/<print>/ and its contract document under gold/ (README).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PERFDECL_CORPUS", ROOT.parent / "shared" / "real" / "forms"))
VARIANTS = ("lo", "html", "scan300", "scan200")


def load_scorer(corpus: Path = CORPUS):
    """The corpus's score.py as a module (its compare_doc is the metric)."""
    spec = importlib.util.spec_from_file_location("corpus_score", corpus / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def form_names(corpus: Path = CORPUS) -> list[str]:
    return sorted(p.stem for p in (corpus / "gold").glob("form_*.json"))


def score_form(scorer, corpus: Path, variant: str, name: str) -> tuple[int, int, list]:
    """(matched, total, mismatches) of one print of one form; a file that fails to convert
    scores 0 on every field, as in score.py."""
    import perfdecl
    from perfdecl.errors import PerfdeclError

    gold = json.loads((corpus / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    try:
        got = perfdecl.convert(corpus / "pdf" / variant / f"{name}.pdf").model_dump(mode="json")
    except PerfdeclError:
        got = None
    recs = scorer.compare_doc(gold, got)
    return sum(r[4] for r in recs), len(recs), [r for r in recs if not r[4]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", choices=VARIANTS)
    ap.add_argument("--forms", help="comma list (default: every gold form)")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--json", type=Path, help="write the figures here too")
    ap.add_argument("--show", type=int, default=0, help="mismatches shown per form and print")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if not (args.corpus / "score.py").is_file():
        print(f"no corpus at {args.corpus} (set PERFDECL_CORPUS)", file=sys.stderr)
        return 2
    scorer = load_scorer(args.corpus)
    variants = args.variant or list(VARIANTS)
    names = args.forms.split(",") if args.forms else form_names(args.corpus)
    table: dict[str, dict[str, tuple[int, int]]] = {}
    for variant in variants:
        for name in names:
            matched, total, bad = score_form(scorer, args.corpus, variant, name)
            table.setdefault(name, {})[variant] = (matched, total)
            for grp, path, g, o, _ok in bad[: args.show]:
                print(f"  {variant} {name} {path}: {g!r} -> {o!r}")
    print(f"{'form':<9}" + "".join(f"{v:>16}" for v in variants))
    for name in names:
        cells = [table[name][v] for v in variants]
        print(f"{name:<9}" + "".join(f"{m:>6}/{t:<4} {m / t:6.1%}" for m, t in cells))
    totals = {v: (sum(table[n][v][0] for n in names), sum(table[n][v][1] for n in names))
              for v in variants}
    print(f"{'ALL':<9}" + "".join(f"{m:>6}/{t:<4} {m / t:6.1%}" for m, t in totals.values()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"forms": table, "totals": totals}, indent=1) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
