"""The flat tables as pandas DataFrames, for scripts and notebooks.

    frames = perfdecl.to_frames(perfdecl.convert(p) for p in paths)
    frames["indicators"].query("annual_kind == 'numeric'")

The same tables, columns and rows as the CSV / XLSX / Parquet outputs (docs/output.md), typed with
pandas' nullable dtypes, so that a value the form leaves empty is `<NA>`, never `NaN` or `""`, and
text is never escaped for spreadsheets. The batch writers stream instead (memory stays flat over an
archive); this holds every row in memory.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Document
from .writers import TABLE_COLUMNS, document_rows

# column type (writers.TABLE_COLUMNS) → pandas dtype
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
