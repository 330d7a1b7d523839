"""Command line: `perfdecl convert PATH... -o OUT [--format json,csv]`, `perfdecl schema`.

Exit status: 0 every file converted, 1 some file failed (after converting all the others),
2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import PerfdeclError
from .models import Document
from .pipeline import convert
from .writers import write_csv_tables, write_errors, write_json

log = logging.getLogger("perfdecl")

FORMATS = ("json", "csv")
PDF_SUFFIXES = {".pdf"}


def find_inputs(paths: list[str]) -> list[Path]:
    """Files as given; folders walked recursively for PDFs, in sorted order for repeatable runs."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in PDF_SUFFIXES))
        else:
            found.append(p)
    return found


def _formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise argparse.ArgumentTypeError(f"unknown format {','.join(bad) or value!r}; choose from {', '.join(FORMATS)}")
    return formats


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfdecl", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"perfdecl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert PDFs (files or folders) to JSON / CSV")
    conv.add_argument("paths", nargs="+", metavar="PATH")
    conv.add_argument("-o", "--output", required=True, type=Path, metavar="OUT")
    conv.add_argument("--format", default="json", type=_formats,
                      help="comma-separated: json (one file per input), csv (four flat tables)")
    conv.add_argument("--password", help="password for encrypted PDFs")
    conv.add_argument("-v", "--verbose", action="store_true", help="log progress and tracebacks")
    conv.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub.add_parser("schema", help="print the JSON Schema of the output document")
    return parser


def _unique_stems(inputs: list[Path]) -> dict[Path, str]:
    """OUT/<stem>.json; where two inputs share a stem, later ones get a numeric suffix."""
    names: dict[Path, str] = {}
    used: set[str] = set()
    for p in inputs:
        stem, n = p.stem, 2
        while stem in used:
            stem, n = f"{p.stem}-{n}", n + 1
        used.add(stem)
        names[p] = stem
    return names


def run_convert(args: argparse.Namespace) -> int:
    inputs = find_inputs(args.paths)
    if not inputs:
        print("perfdecl: no PDF found in the given paths", file=sys.stderr)
        return 2
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    stems = _unique_stems(inputs)
    docs: list[Document] = []
    errors: list[dict] = []
    for path in inputs:
        try:
            doc = convert(path, password=args.password)
        except PerfdeclError as exc:
            errors.append({"file": str(path), "stage": exc.stage, "code": exc.code, "message": exc.message})
            log.debug("failed: %s", path, exc_info=True)
            continue
        except Exception as exc:  # a bug or an unforeseen input: report it, go on with the batch
            errors.append({"file": str(path), "stage": "convert", "code": "internal_error",
                           "message": f"{type(exc).__name__}: {exc}"})
            log.debug("internal error on %s", path, exc_info=True)
            continue
        docs.append(doc)
        if "json" in args.format:
            write_json(doc, out / f"{stems[path]}.json")
        log.info("%s: %d form(s), %d indicator(s), %d warning(s)", path, len(doc.forms),
                 sum(len(f.indicators) for f in doc.forms), len(doc.warnings))
    if "csv" in args.format:
        write_csv_tables(docs, out)
    write_errors(errors, out)
    if not args.quiet:
        print(f"perfdecl: {len(docs)} converted, {len(errors)} failed, output in {out}", file=sys.stderr)
    for e in errors:
        print(f"error: {e['file']}: [{e['stage']}/{e['code']}] {e['message']}", file=sys.stderr)
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command == "schema":
        print(json.dumps(Document.model_json_schema(), ensure_ascii=False, indent=2))
        return 0
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    return run_convert(args)


if __name__ == "__main__":
    sys.exit(main())
