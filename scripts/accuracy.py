#!/usr/bin/env python3
"""Field accuracy of the conversion against the samples' expected JSON, per sample set and OCR
engine, with the time the pipeline takes per page next to the bare engine's on the same pages.

    python scripts/accuracy.py                       # every set, both engines
    python scripts/accuracy.py --engine rapidocr --set scanned-200
    python scripts/accuracy.py --json out/accuracy.json

Sets: `text` (samples/*.pdf with expected JSON, text layer, OCR mode auto: no page is OCR'd, so
one row for both engines), `scanned-300` and `scanned-200` (samples/scanned/*.300dpi.pdf and
*.200dpi-degraded.pdf: image-only, every page OCR'd by the engine), `scanned-turned`
(*.200dpi-turned*.pdf: degraded scans of pages fed to the scanner turned).

How fields are counted: every leaf value of every expected form is one field: the form's title,
form_type, pages (one field for the list), year, department, project_name, overall_goal; each
budget item's group, item, amount, unit, amount_raw; each task's name, content, funds,
funds_unit, expected_goal, funds_raw; each indicator's level1, level2, level1_code, level2_code,
name, extra (one field per key) and each field of its period and annual Target (raw, kind, op,
value, scale, unit, normalized_value, low, high, basis, direction, the deadline's four fields; a
null target is one field); each fact's fields; goals per key. Provenance (page, bbox, confidence)
and warnings are not counted. Rows are paired with their expected rows by sequence alignment on
the row's content, so one lost row costs its own fields, not every row after it; fields of rows
or forms the conversion added beyond the expected ones count as wrong too (they are added to the
total). Accuracy = right fields / (expected fields + added fields). Numbers compare exactly
(to 1e-9). Categories: labels (titles, block and indicator labels and codes, budget group/item,
units, form type), names (indicator and task names, department, project), raw targets,
parsed targets, amounts (amounts, funds, facts, their raw text), texts (goal, task content and
goal, extra columns), other (pages, year).
"""

from __future__ import annotations

import argparse
import difflib
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
PROVENANCE = {"page", "bbox", "confidence"}
ROW_LISTS = ("budget", "tasks", "indicators", "facts")

SETS = {
    "text": (SAMPLES, "*.pdf"),
    "scanned-300": (SAMPLES / "scanned", "*.300dpi.pdf"),
    "scanned-200": (SAMPLES / "scanned", "*.200dpi-degraded.pdf"),
    "scanned-turned": (SAMPLES / "scanned", "*.200dpi-turned*.pdf"),
}
ENGINES = ("rapidocr", "tesseract")

_CATEGORY = {
    "title": "labels", "form_type": "labels", "group": "labels", "item": "labels", "unit": "labels",
    "funds_unit": "labels", "level1": "labels", "level2": "labels", "level1_code": "labels",
    "level2_code": "labels",
    "name": "names", "department": "names", "project_name": "names",
    "amount": "amounts", "amount_raw": "amounts", "funds": "amounts", "funds_raw": "amounts",
    "value": "amounts", "raw": "amounts",
    "overall_goal": "texts", "content": "texts", "expected_goal": "texts", "goals": "texts",
    "extra": "texts",
    "pages": "other", "year": "other",
}


def sample_files(set_name: str) -> list[Path]:
    folder, pattern = SETS[set_name]
    return sorted(p for p in folder.glob(pattern)
                  if p.with_name(p.name[:-4] + ".expected.json").exists())


def expected_for(pdf: Path) -> dict:
    return json.loads(pdf.with_name(pdf.name[:-4] + ".expected.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# field comparison
def _leaves(value, path: tuple) -> list[tuple[tuple, object]]:
    """(path, leaf) pairs; a target or deadline that is null is one leaf."""
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            if k in PROVENANCE:
                continue
            out.extend(_leaves(v, path + (k,)))
        return out
    return [(path, value)]


def _category(path: tuple) -> str:
    if any(p in ("period_target", "annual_target") for p in path):
        return "raw targets" if path[-1] == "raw" else "parsed targets"
    if path[0] == "facts":
        return "amounts" if path[-1] in ("value", "raw") else "labels"
    return _CATEGORY.get(path[-1], _CATEGORY.get(path[0], "other"))


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9
    return a == b


class Tally:
    def __init__(self) -> None:
        self.right = Counter()
        self.total = Counter()
        self.misses: list[str] = []

    def add(self, path: tuple, exp, got, present: bool = True) -> None:
        cat = _category(path)
        self.total[cat] += 1
        if present and _same(exp, got):
            self.right[cat] += 1
        elif len(self.misses) < 400:
            self.misses.append(f"{'.'.join(map(str, path))}: expected {exp!r}, got "
                               f"{got!r}" if present else f"{'.'.join(map(str, path))}: {exp!r} missing")

    def merge(self, other: "Tally") -> None:
        self.right.update(other.right)
        self.total.update(other.total)
        self.misses.extend(other.misses)

    @property
    def accuracy(self) -> float:
        t = sum(self.total.values())
        return sum(self.right.values()) / t if t else 1.0


def _compare_value(tally: Tally, path: tuple, exp, got) -> None:
    if isinstance(exp, dict) and isinstance(got, dict):
        for k in exp.keys() | got.keys():
            if k in PROVENANCE:
                continue
            if k in exp and k in got:
                _compare_value(tally, path + (k,), exp[k], got[k])
            elif k in exp:
                for p, leaf in _leaves(exp[k], path + (k,)):
                    tally.add(p, leaf, None, present=False)
            else:
                for p, leaf in _leaves(got[k], path + (k,)):
                    tally.add(p, None, leaf)
        return
    if isinstance(exp, dict) or isinstance(got, dict):
        # a target on one side, null on the other: each of its fields is wrong
        for p, leaf in _leaves(exp if isinstance(exp, dict) else got, path):
            tally.add(p, leaf if isinstance(exp, dict) else None,
                      None if isinstance(exp, dict) else leaf)
        return
    tally.add(path, exp, got)


def _row_key(row: dict) -> str:
    return json.dumps({k: v for k, v in row.items() if k not in PROVENANCE}, ensure_ascii=False,
                      sort_keys=True)


def _compare_rows(tally: Tally, name: str, exp_rows: list, got_rows: list) -> None:
    matcher = difflib.SequenceMatcher(a=[_row_key(r) for r in exp_rows],
                                      b=[_row_key(r) for r in got_rows], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        pairs = list(zip(range(a0, a1), range(b0, b1)))
        for i, j in pairs:
            _compare_value(tally, (name,), exp_rows[i], got_rows[j])
        for i in range(a0 + len(pairs), a1):  # expected rows the conversion lost
            for p, leaf in _leaves(exp_rows[i], (name,)):
                tally.add(p, leaf, None, present=False)
        for j in range(b0 + len(pairs), b1):  # rows it added
            for p, leaf in _leaves(got_rows[j], (name,)):
                tally.add(p, None, leaf)


def compare_documents(expected: dict, got: dict | None) -> Tally:
    """Field by field: the expected document's forms against the converted one's."""
    tally = Tally()
    exp_forms = expected["forms"]
    got_forms = (got or {}).get("forms", [])
    for k in range(max(len(exp_forms), len(got_forms))):
        exp = exp_forms[k] if k < len(exp_forms) else None
        res = got_forms[k] if k < len(got_forms) else None
        if exp is None or res is None:
            for p, leaf in _leaves(exp or res, ()):
                tally.add(p, leaf if exp else None, None if exp else leaf, present=res is not None)
            continue
        for key in exp.keys() | res.keys():
            if key in ROW_LISTS:
                _compare_rows(tally, key, exp.get(key, []), res.get(key, []))
            elif key in exp and key in res:
                value_e, value_r = exp[key], res[key]
                if key == "pages":  # one field for the list
                    tally.add(("pages",), value_e, value_r)
                else:
                    _compare_value(tally, (key,), value_e, value_r)
            elif key in exp:
                for p, leaf in _leaves(exp[key], (key,)):
                    tally.add(p, leaf, None, present=False)
    return tally


# ---------------------------------------------------------------------------------------------
def cpu_seconds() -> float:
    """CPU time of this process (all its threads: onnxruntime's) and of its finished children
    (tesseract runs as a child process)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bare_engine_seconds(engine, pdf: Path, dpi: float) -> tuple[float, float, int]:
    """The engine alone on each page image of `pdf` (rendered beforehand, not timed): wall and
    CPU seconds, pages."""
    from perfdecl.extract.ocr.render import render_pdf_pages
    import pypdfium2 as pdfium

    n = len(pdfium.PdfDocument(str(pdf)))
    images = [p.image for p in render_pdf_pages(pdf, range(1, n + 1), dpi)]
    start, cpu = time.perf_counter(), cpu_seconds()
    for image in images:
        engine.read_lines(image)
    return time.perf_counter() - start, cpu_seconds() - cpu, n


def run(sets: list[str], engines: list[str], show_misses: bool, dpi: float | None = None) -> list[dict]:
    import perfdecl
    from perfdecl.extract.ocr import OCR_SETTINGS
    from perfdecl.extract.ocr.engines import get_engine

    rows = []
    for set_name in sets:
        for engine_name in (engines if set_name != "text" else [engines[0]]):
            engine = get_engine(engine_name) if set_name != "text" else None
            settings = {"dpi": dpi} if dpi else None
            if engine is not None:  # models load before timing starts
                engine.read_lines(__import__("numpy").full((64, 64), 255, "uint8"))
            total = Tally()
            pipe_s = bare_s = pipe_cpu = bare_cpu = 0.0
            pages = 0
            failures = []
            for pdf in sample_files(set_name):
                expected = expected_for(pdf)
                start, cpu = time.perf_counter(), cpu_seconds()
                try:
                    doc = perfdecl.convert(pdf, ocr_engine=engine_name,
                                           ocr_settings=settings).model_dump(mode="json")
                except perfdecl.PerfdeclError as exc:
                    doc = None
                    failures.append(f"{pdf.name}: {exc.code}: {exc}")
                spent, spent_cpu = time.perf_counter() - start, cpu_seconds() - cpu
                tally = compare_documents(expected, doc)
                total.merge(tally)
                if engine is not None:
                    bare, bare_c, n = bare_engine_seconds(engine, pdf, dpi or OCR_SETTINGS["dpi"])
                    bare_s += bare
                    bare_cpu += bare_c
                    pages += n
                    pipe_s += spent
                    pipe_cpu += spent_cpu
                print(f"  {set_name:12} {engine_name if engine else '-':10} {pdf.name:40} "
                      f"{tally.accuracy:7.2%}  {spent:6.1f} s", file=sys.stderr)
                if show_misses:
                    for miss in tally.misses[:60]:
                        print(f"      {miss}", file=sys.stderr)
            rows.append({
                "set": set_name, "engine": engine.describe() if engine else "(text layer)",
                "files": len(sample_files(set_name)),
                "fields": sum(total.total.values()), "right": sum(total.right.values()),
                "accuracy": total.accuracy,
                "by_category": {c: [total.right[c], total.total[c]] for c in sorted(total.total)},
                "pages": pages,
                "pipeline_s_per_page": pipe_s / pages if pages else None,
                "engine_s_per_page": bare_s / pages if pages else None,
                "pipeline_cpu_s_per_page": pipe_cpu / pages if pages else None,
                "engine_cpu_s_per_page": bare_cpu / pages if pages else None,
                "failures": failures,
            })
    return rows


def print_table(rows: list[dict]) -> None:
    print("set          engine                            fields   right  accuracy  "
          "pipeline s/page  bare engine s/page  overhead   (CPU s/page: pipeline, engine, overhead)")
    for r in rows:
        timing = ""
        if r["pages"]:
            p, e = r["pipeline_s_per_page"], r["engine_s_per_page"]
            pc, ec = r["pipeline_cpu_s_per_page"], r["engine_cpu_s_per_page"]
            timing = (f"{p:15.2f}  {e:18.2f}  {(p - e) / e:+8.0%}   "
                      f"({pc:.2f}, {ec:.2f}, {(pc - ec) / ec:+.0%})")
        print(f"{r['set']:12} {r['engine'][:33]:33} {r['fields']:6} {r['right']:7} "
              f"{r['accuracy']:8.2%}  {timing}")
    print()
    print("by category (right/total):")
    for r in rows:
        cats = ", ".join(f"{c} {a}/{t}" for c, (a, t) in r["by_category"].items())
        print(f"  {r['set']:12} {r['engine'][:24]:24} {cats}")
    for r in rows:
        for f in r["failures"]:
            print(f"  failed: {r['set']} {r['engine']}: {f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", choices=list(SETS), help="sample set (repeatable)")
    ap.add_argument("--engine", action="append", choices=list(ENGINES), help="OCR engine (repeatable)")
    ap.add_argument("--misses", action="store_true", help="list the fields that differ")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--dpi", type=float, help="render dpi for OCR (default: OCR_SETTINGS['dpi'])")
    args = ap.parse_args(argv)
    rows = run(args.set or list(SETS), args.engine or list(ENGINES), args.misses, args.dpi)
    print_table(rows)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
