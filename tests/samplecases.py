"""Shared test helpers: where the samples are and how they are compared, copying them, reading a
run's CSV outputs, and building cells, tables and records by hand."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from perfdecl.extract.grid import Cell, Table
from perfdecl.models import Document, Form, Indicator, Source, Target

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_PDFS = sorted(p for p in SAMPLES.glob("*.pdf") if p.with_suffix(".expected.json").exists())
PROVENANCE = ("page", "bbox", "confidence")
# the contract's reference output for the seed form, in ../shared beside the repository
SEED_SPEC = SAMPLES.parent.parent / "shared" / "spec" / "seed-form.expected.json"


def seed_spec() -> dict:
    """shared/spec/seed-form.expected.json; the test is skipped, saying why, where it is not."""
    if not SEED_SPEC.exists():
        pytest.skip(f"the contract's seed reference is not at {SEED_SPEC} (../shared beside the "
                    f"repository)")
    return json.loads(SEED_SPEC.read_text(encoding="utf-8"))


def strip_provenance(doc: dict) -> dict:
    """The document without the row provenance fields, which depend on how a PDF was drawn."""
    out = json.loads(json.dumps(doc))
    for form in out["forms"]:
        for key in ("budget", "tasks", "indicators", "facts"):
            for row in form[key]:
                for field in PROVENANCE:
                    row.pop(field, None)
    return out


def expected_forms(sample: str) -> list[dict]:
    """samples/<sample>.expected.json's forms, without row provenance."""
    expected = json.loads((SAMPLES / f"{sample}.expected.json").read_text(encoding="utf-8"))
    return strip_provenance(expected)["forms"]


# -- inputs and outputs of a run ----------------------------------------------------------------

def copy_samples(folder: Path, names) -> Path:
    """samples/<name>.pdf for each name copied into `folder` (made if missing); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SAMPLES / f"{name}.pdf", folder / f"{name}.pdf")
    return folder


def read_csv(out: Path, name: str) -> list[dict]:
    """The rows of OUT/<name>.csv (UTF-8 with a BOM, as written for Excel)."""
    return list(csv.DictReader(io.StringIO((out / f"{name}.csv").read_bytes().decode("utf-8-sig"))))


def error_records(out: Path, *, full_path: bool = False) -> dict[str, tuple[str, str]]:
    """errors.csv as {file name (or the path as recorded): (stage, code)}."""
    return {(r["file"] if full_path else r["file"].rsplit("/", 1)[-1]): (r["stage"], r["code"])
            for r in read_csv(out, "errors")}


# -- hand-built cells and records ----------------------------------------------------------------

def grid(*cells: tuple, n_cols: int, page: int = 1) -> Table:
    """A table of (row, col, text) or (row, col, text, rowspan, colspan) cells, 100 x 20 pt each."""
    made = []
    for row, col, text, *span in cells:
        rowspan, colspan = span or (1, 1)
        made.append(Cell(row=row, col=col, rowspan=rowspan, colspan=colspan, text=text, page=page,
                         bbox=(100.0 * col, 20.0 * row, 100.0 * (col + colspan),
                               20.0 * (row + rowspan))))
    n_rows = max(c.row + c.rowspan for c in made)
    return Table(cells=made, n_rows=n_rows, n_cols=n_cols,
                 col_edges=[100.0 * c for c in range(n_cols + 1)])


def indicator(name: str, raw: str | None = "≥95%", kind: str = "text", *, level2: str = "数量指标",
              level2_code: str = "quantity", page: int = 1, period: Target | None = None) -> Indicator:
    """An 产出指标 row; its annual target `raw` (None: no target)."""
    return Indicator(level1="产出指标", level2=level2, level1_code="output", level2_code=level2_code,
                     name=name, annual_target=None if raw is None else Target(raw=raw, kind=kind),
                     period_target=period, page=page)


def document(forms: list[Form], warnings=(), *, page_count: int = 1, method: str = "text") -> Document:
    """A Document of these forms, from a file x.pdf."""
    return Document(source=Source(file="x.pdf", sha256="0" * 64, page_count=page_count, method=method),
                    forms=forms, warnings=list(warnings))


def text_archive(folder: Path, n: int) -> list[Path]:
    """n text PDFs, copies of the samples with an expected output, each with bytes of its own (a
    trailing comment, so every file has its own sha256): an archive for batch, cluster and
    benchmark runs."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        src = SAMPLE_PDFS[i % len(SAMPLE_PDFS)]
        dst = folder / f"{i:04d}-{src.name}"
        dst.write_bytes(src.read_bytes() + f"\n% perfdecl archive copy {i}\n".encode())
        files.append(dst)
    return files
