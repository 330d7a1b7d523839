"""Writers: one JSON document per input file, and the contract's four flat tables as CSV.

Every file is written to a temporary name in the same folder and renamed into place, so a reader
never sees half a file and an interrupted run leaves no truncated output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .models import Document

TARGET_FIELDS = ("raw", "kind", "op", "value", "scale", "unit", "normalized_value")

FORM_COLUMNS = ["file", "form_index", "title", "form_type", "pages", "year", "department",
                "project_name", "overall_goal"]
BUDGET_COLUMNS = ["file", "form_index", "group", "item", "amount", "unit", "page", "confidence"]
TASK_COLUMNS = ["file", "form_index", "name", "content", "funds", "funds_unit", "expected_goal",
                "page", "confidence"]
INDICATOR_COLUMNS = (["file", "form_index", "level1", "level2", "level1_code", "level2_code", "name"]
                     + [f"period_{f}" for f in TARGET_FIELDS] + [f"annual_{f}" for f in TARGET_FIELDS]
                     + ["page", "confidence"])
ERROR_COLUMNS = ["file", "stage", "code", "message"]


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def document_json(doc: Document) -> bytes:
    return (json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n").encode()


def write_json(doc: Document, path: Path) -> None:
    atomic_write(path, document_json(doc))


def flat_rows(docs: Iterable[Document]) -> dict[str, list[dict]]:
    """The contract's four tables (forms, budget, tasks, indicators), keyed by file and form_index."""
    tables: dict[str, list[dict]] = {"forms": [], "budget": [], "tasks": [], "indicators": []}
    for doc in docs:
        for index, form in enumerate(doc.forms):
            key = {"file": doc.source.file, "form_index": index}
            tables["forms"].append({**key, "title": form.title, "form_type": form.form_type,
                                    "pages": ",".join(map(str, form.pages)), "year": form.year,
                                    "department": form.department, "project_name": form.project_name,
                                    "overall_goal": form.overall_goal})
            for b in form.budget:
                tables["budget"].append({**key, "group": b.group, "item": b.item, "amount": b.amount,
                                         "unit": b.unit, "page": b.page, "confidence": b.confidence})
            for t in form.tasks:
                tables["tasks"].append({**key, "name": t.name, "content": t.content, "funds": t.funds,
                                        "funds_unit": t.funds_unit, "expected_goal": t.expected_goal,
                                        "page": t.page, "confidence": t.confidence})
            for ind in form.indicators:
                row = {**key, "level1": ind.level1, "level2": ind.level2,
                       "level1_code": ind.level1_code, "level2_code": ind.level2_code, "name": ind.name}
                for prefix, target in (("period", ind.period_target), ("annual", ind.annual_target)):
                    for f in TARGET_FIELDS:
                        row[f"{prefix}_{f}"] = getattr(target, f) if target is not None else None
                row["page"], row["confidence"] = ind.page, ind.confidence
                tables["indicators"].append(row)
    return tables


_COLUMNS = {"forms": FORM_COLUMNS, "budget": BUDGET_COLUMNS, "tasks": TASK_COLUMNS,
            "indicators": INDICATOR_COLUMNS}


def csv_bytes(rows: list[dict], columns: list[str]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
    return buf.getvalue().encode("utf-8-sig")


def write_csv_tables(docs: Iterable[Document], out_dir: Path) -> list[Path]:
    paths = []
    for name, rows in flat_rows(docs).items():
        path = out_dir / f"{name}.csv"
        atomic_write(path, csv_bytes(rows, _COLUMNS[name]))
        paths.append(path)
    return paths


def write_errors(errors: list[dict], out_dir: Path) -> Path:
    path = out_dir / "errors.csv"
    atomic_write(path, csv_bytes(errors, ERROR_COLUMNS))
    return path
