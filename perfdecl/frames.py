"""The flat tables: their schema (tables, columns, column types), a document's rows, and the
tables as pandas DataFrames, for scripts and notebooks.

    frames = perfdecl.to_frames(perfdecl.convert(p) for p in paths)
    frames["indicators"].query("annual_kind == 'numeric'")

The same tables, columns and rows as the CSV / XLSX / Parquet outputs (docs/output.md), typed with
pandas' nullable dtypes, so that a value the form leaves empty is `<NA>`, never `NaN` or `""`, and
text is never escaped for spreadsheets. The batch writers (writers.py: CSV, XLSX, Parquet; and the
SQLite database) stream the same rows instead (memory stays flat over an archive); `to_frames`
holds every row in memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from .concerns import find_concerns
from .models import Document, Target

# -- columns ---------------------------------------------------------------------------------
# Each column is (name, type); the type decides how XLSX and Parquet store it ("str", "int",
# "float", "bool"). Contract columns first, in the contract's order; added columns after them.

TARGET_FIELDS = ("raw", "kind", "op", "value", "scale", "unit", "normalized_value")
TARGET_TYPES = {"value": "float", "scale": "int", "normalized_value": "float"}
# added: the rest of the Target, deadline spread over four columns
TARGET_EXTRA = [("low", "float"), ("high", "float"), ("direction", "str"), ("basis", "str"),
                ("deadline_year", "int"), ("deadline_month", "int"), ("deadline_day", "int"),
                ("deadline_recurring", "bool")]

Column = tuple[str, str]


def _target_columns(prefix: str) -> list[Column]:
    return ([(f"{prefix}_{f}", TARGET_TYPES.get(f, "str")) for f in TARGET_FIELDS]
            + [(f"{prefix}_{f}", t) for f, t in TARGET_EXTRA])


KEY: list[Column] = [("file", "str"), ("form_index", "int")]
# added beside the key of the per-form tables: the form's own fields an auditor filters by, so
# that no lookup in `forms` is needed
FORM_CONTEXT: list[Column] = [("department", "str"), ("project_name", "str"), ("year", "int")]
# added: the codes of the warnings about the row (concerns.py), comma-separated
CONCERNS: list[Column] = [("warning_codes", "str")]
PROVENANCE: list[Column] = [("page", "int"), ("confidence", "float")]
# the input path as given on the command line (errors.csv's `file`): `file` is only the name
PATH: list[Column] = [("path", "str")]

TABLE_COLUMNS: dict[str, list[Column]] = {
    "forms": KEY + [("title", "str"), ("form_type", "str"), ("pages", "str"), ("year", "int"),
                    ("department", "str"), ("project_name", "str"), ("overall_goal", "str"),
                    ("goals", "str")] + PATH,
    "budget": KEY + FORM_CONTEXT + [("group", "str"), ("item", "str"), ("amount", "float"),
                                    ("unit", "str"), ("amount_raw", "str")]
              + CONCERNS + PROVENANCE + PATH,
    "tasks": KEY + FORM_CONTEXT + [("name", "str"), ("content", "str"), ("funds", "float"),
                                   ("funds_unit", "str"), ("expected_goal", "str"), ("funds_raw", "str")]
             + CONCERNS + PROVENANCE + PATH,
    "indicators": KEY + FORM_CONTEXT + [("level1", "str"), ("level2", "str"), ("level1_code", "str"),
                                        ("level2_code", "str"), ("name", "str")]
                  + _target_columns("period") + _target_columns("annual")
                  + [("extra", "str")] + CONCERNS + PROVENANCE + PATH,
    "facts": KEY + FORM_CONTEXT + [("group", "str"), ("item", "str"), ("value", "float"),
                                   ("unit", "str"), ("raw", "str")] + PROVENANCE + PATH,
    "warnings": KEY + FORM_CONTEXT + [("code", "str"), ("message", "str"), ("page", "int")] + PATH,
}
TABLES = tuple(TABLE_COLUMNS)
ERROR_COLUMNS = ["file", "stage", "code", "message"]
ERROR_TABLE: list[Column] = [(c, "str") for c in ERROR_COLUMNS]


# -- rows ------------------------------------------------------------------------------------

def _json_text(value) -> str | None:
    return json.dumps(value, ensure_ascii=False, sort_keys=False) if value else None


def _target_values(target: Target | None) -> list:
    if target is None:
        return [None] * (len(TARGET_FIELDS) + len(TARGET_EXTRA))
    d = target.deadline
    return ([getattr(target, f) for f in TARGET_FIELDS]
            + [target.low, target.high, target.direction, target.basis,
               d.year if d else None, d.month if d else None, d.day if d else None,
               d.recurring if d else None])


def document_rows(doc: Document, path: str | None = None) -> dict[str, list[list]]:
    """The document as flat rows (lists in `TABLE_COLUMNS` order), table by table."""
    tables: dict[str, list[list]] = {name: [] for name in TABLES}
    file = doc.source.file
    codes = find_concerns(doc).codes

    def concerns(index: int, table: str, row: int) -> str | None:
        return ",".join(codes.get((index, table, row), [])) or None

    for index, form in enumerate(doc.forms):
        key = [file, index]
        context = [form.department, form.project_name, form.year]
        tables["forms"].append(key + [form.title, form.form_type, ",".join(map(str, form.pages)),
                                      form.year, form.department, form.project_name,
                                      form.overall_goal, _json_text(form.goals), path])
        for i, b in enumerate(form.budget):
            tables["budget"].append(key + context + [b.group, b.item, b.amount, b.unit, b.amount_raw,
                                                     concerns(index, "budget", i),
                                                     b.page, b.confidence, path])
        for i, t in enumerate(form.tasks):
            tables["tasks"].append(key + context + [t.name, t.content, t.funds, t.funds_unit,
                                                    t.expected_goal, t.funds_raw,
                                                    concerns(index, "tasks", i),
                                                    t.page, t.confidence, path])
        for i, ind in enumerate(form.indicators):
            tables["indicators"].append(
                key + context + [ind.level1, ind.level2, ind.level1_code, ind.level2_code, ind.name]
                + _target_values(ind.period_target) + _target_values(ind.annual_target)
                + [_json_text(ind.extra), concerns(index, "indicators", i), ind.page,
                   ind.confidence, path])
        for f in form.facts:
            tables["facts"].append(key + context + [f.group, f.item, f.value, f.unit, f.raw,
                                                    f.page, f.confidence, path])
    for w in doc.warnings:
        form = (doc.forms[w.form_index] if w.form_index is not None
                and 0 <= w.form_index < len(doc.forms) else None)
        context = [form.department, form.project_name, form.year] if form else [None] * 3
        tables["warnings"].append([file, w.form_index] + context + [w.code, w.message, w.page, path])
    for rows in tables.values():  # inf/nan: null, as in the JSON
        for row in rows:
            for i, v in enumerate(row):
                if isinstance(v, float) and not math.isfinite(v):
                    row[i] = None
    return tables


# column type (TABLE_COLUMNS) → pandas dtype
DTYPES = {"str": "string", "int": "Int64", "float": "Float64", "bool": "boolean"}


def to_frames(docs: Document | Iterable[Document]) -> dict:
    """{table name: DataFrame} for one document or several, rows in the order given. The `path`
    column is empty (it holds the input path as given to a batch run)."""
    import pandas as pd

    if isinstance(docs, Document):
        docs = [docs]
    rows: dict[str, list[list]] = {name: [] for name in TABLE_COLUMNS}
    for doc in docs:
        for name, table in document_rows(doc).items():
            rows[name].extend(table)
    frames = {}
    for name, columns in TABLE_COLUMNS.items():
        frame = pd.DataFrame(rows[name], columns=[c for c, _ in columns], dtype=object)
        frames[name] = frame.astype({c: DTYPES[t] for c, t in columns})
    return frames
