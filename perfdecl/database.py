"""`--format sqlite`: the archive as one SQLite database, `OUT/perfdecl.sqlite`.

The tables are the flat tables (frames.TABLE_COLUMNS, the same columns and values as the CSV)
keyed for SQL: every input file is a `files` row named by its `document` (the per-file JSON's
stem in OUT, what resume knows a file by); `forms` are keyed by (document, form_index), the record
tables by (document, form_index, row_index) with a foreign key to their form, `warnings` by
(document, warning_index), `errors` by document. Numbers are stored as numbers (STRICT tables).

A batch writes each file in its own transaction: that file's rows are deleted (cascading from
`files`) and inserted again, so a batch adds files to what the database holds without rewriting
the rest, and an interrupted run leaves every finished file whole. A document whose JSON is byte
for byte what the database already holds is left alone, so reruns and resumed runs give the same
content. A file that fails keeps the rows of its earlier conversion (as its JSON stays in OUT) and
gets an `errors` row; a later success removes that row.

Views for the usual questions are in VIEWS (and in the README).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

from .models import Document
from .names import readable
from .frames import ERROR_COLUMNS, TABLE_COLUMNS, document_rows
from .writers import document_json

log = logging.getLogger(__name__)

DATABASE_FILE = "perfdecl.sqlite"
_SQL_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "INTEGER"}
RECORD_TABLES = ("budget", "tasks", "indicators", "facts")

FILES_COLUMNS = [("document", "TEXT NOT NULL PRIMARY KEY"), ("file", "TEXT NOT NULL"),
                 ("path", "TEXT"), ("sha256", "TEXT NOT NULL"), ("page_count", "INTEGER NOT NULL"),
                 ("method", "TEXT NOT NULL"), ("ocr_engine", "TEXT"),
                 ("schema_version", "TEXT NOT NULL"),
                 # of the document's JSON: a rerun leaves an unchanged document alone
                 ("document_sha256", "TEXT NOT NULL")]

# the columns auditors filter by
INDEXES = {
    "forms": [("department",), ("year",), ("project_name",)],
    "budget": [("department", "year")],
    "tasks": [("department", "year")],
    "indicators": [("department", "year"), ("level1_code", "level2_code"), ("name",)],
    "facts": [("department", "year")],
    "warnings": [("code",), ("department", "year")],
    "errors": [("code",)],
}

BUDGET_CHECKS = ("sum_mismatch", "budget_total_mismatch", "budget_group_mismatch")

VIEWS = {
    # a target the parser did not understand (kind `text`), annual and period alike
    "unparsed_targets": """
        SELECT department, year, project_name, file, document, form_index, row_index, level1,
               level2, name, 'annual' AS target, annual_raw AS raw, warning_codes
          FROM indicators WHERE annual_kind = 'text'
        UNION ALL
        SELECT department, year, project_name, file, document, form_index, row_index, level1,
               level2, name, 'period' AS target, period_raw AS raw, warning_codes
          FROM indicators WHERE period_kind = 'text'
        ORDER BY department, year, document, form_index, row_index, target""",
    # budget sum checks that failed, counted per department, year and check
    "budget_mismatches_by_department": f"""
        SELECT department, year, code, COUNT(*) AS mismatches, COUNT(DISTINCT document) AS files
          FROM warnings WHERE code IN ({", ".join(f"'{c}'" for c in BUDGET_CHECKS)})
         GROUP BY department, year, code
         ORDER BY department, year, code""",
    # every target of a department, one row per indicator, across years side by side
    "department_targets": """
        SELECT department, year, project_name, level1, level2, name,
               annual_raw, annual_kind, annual_op, annual_normalized_value, annual_unit,
               period_raw, period_kind, period_op, period_normalized_value, period_unit,
               file, document, form_index, row_index
          FROM indicators
         ORDER BY department, level1_code, level2_code, name, year, document, form_index, row_index""",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# a record's key: its form and its 0-based place in that form's list
RECORD_KEY = [("document", "TEXT NOT NULL"), ("form_index", "INTEGER NOT NULL"),
              ("row_index", "INTEGER NOT NULL")]


def schema() -> list[str]:
    """The CREATE statements, in dependency order."""
    out = [f"CREATE TABLE IF NOT EXISTS files ({', '.join(f'{_q(c)} {t}' for c, t in FILES_COLUMNS)}) STRICT"]

    def columns(name: str) -> list[str]:
        return [f"{_q(c)} {_SQL_TYPES[t]}" for c, t in TABLE_COLUMNS[name]]

    out.append(f"CREATE TABLE IF NOT EXISTS forms (document TEXT NOT NULL, "
               f"{', '.join(c for c in columns('forms'))}, "
               f"PRIMARY KEY (document, form_index), "
               f"FOREIGN KEY (document) REFERENCES files (document) ON DELETE CASCADE) STRICT")
    for name in RECORD_TABLES:
        cols = [f"{_q(c)} {t}" for c, t in RECORD_KEY]
        cols += [c for c in columns(name) if not c.startswith('"form_index" ')]
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(cols)}, "
                   f"PRIMARY KEY (document, form_index, row_index), "
                   f"FOREIGN KEY (document, form_index) REFERENCES forms (document, form_index) "
                   f"ON DELETE CASCADE) STRICT")
    cols = ["document TEXT NOT NULL", "warning_index INTEGER NOT NULL"] + columns("warnings")
    out.append(f"CREATE TABLE IF NOT EXISTS warnings ({', '.join(cols)}, "
               f"PRIMARY KEY (document, warning_index), "
               f"FOREIGN KEY (document) REFERENCES files (document) ON DELETE CASCADE, "
               # form_index is null for a warning about a page or the file: not checked then
               f"FOREIGN KEY (document, form_index) REFERENCES forms (document, form_index) "
               f"ON DELETE CASCADE) STRICT")
    cols = ["document TEXT NOT NULL PRIMARY KEY"] + [f"{_q(c)} TEXT" for c in ERROR_COLUMNS]
    out.append(f"CREATE TABLE IF NOT EXISTS errors ({', '.join(cols)}) STRICT")
    for table, indexes in INDEXES.items():
        for cols in indexes:
            out.append(f"CREATE INDEX IF NOT EXISTS {table}_by_{'_'.join(cols)} "
                       f"ON {table} ({', '.join(_q(c) for c in cols)})")
    for name, sql in VIEWS.items():
        out.append(f"CREATE VIEW IF NOT EXISTS {name} AS {sql.strip()}")
    return out


def _texts(values) -> list:
    """SQLite text is valid Unicode: a name's undecodable bytes as `\\xNN` (names.readable)."""
    return [readable(v) if isinstance(v, str) else v for v in values]


class Database:
    """OUT/perfdecl.sqlite, opened for a batch: `add` or `add_error` per file, then `close`."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)  # transactions made explicit
        self.conn.execute("PRAGMA foreign_keys = ON")
        with self._transaction():
            for stmt in schema():
                self.conn.execute(stmt)

    def _transaction(self):
        conn = self.conn

        class _Tx:
            def __enter__(self):
                conn.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, exc, tb):
                conn.execute("COMMIT" if kind is None else "ROLLBACK")
                return False

        return _Tx()

    def add(self, document: str, doc: Document, path: str | None = None) -> bool:
        """Store one converted file as `document`, replacing what was stored under that name.
        Returns False where the database held this very document already (nothing written)."""
        digest = hashlib.sha256(document_json(doc)).hexdigest()
        document, path = readable(document), None if path is None else readable(path)
        with self._transaction():
            self.conn.execute("DELETE FROM errors WHERE document = ?", (document,))
            held = self.conn.execute("SELECT document_sha256, path FROM files WHERE document = ?",
                                     (document,)).fetchone()
            if held == (digest, path):
                return False
            self.conn.execute("DELETE FROM files WHERE document = ?", (document,))
            src = doc.source
            self.conn.execute(
                f"INSERT INTO files VALUES ({', '.join('?' * len(FILES_COLUMNS))})",
                _texts((document, src.file, path, src.sha256, src.page_count, src.method,
                        src.ocr_engine, doc.schema_version, digest)))
            rows = document_rows(doc, path)
            self._insert("forms", [[document] + r for r in rows["forms"]])
            for name in RECORD_TABLES:
                counters: dict[int, int] = {}
                out = []
                for r in rows[name]:
                    form_index = r[1]
                    n = counters.get(form_index, 0)
                    counters[form_index] = n + 1
                    out.append([document, form_index, n, r[0]] + r[2:])
                self._insert(name, out)
            self._insert("warnings", [[document, i] + r for i, r in enumerate(rows["warnings"])])
        return True

    def add_error(self, document: str, error: dict) -> None:
        """A file that failed: its error row; rows of an earlier conversion stay."""
        document = readable(document)
        with self._transaction():
            self.conn.execute("DELETE FROM errors WHERE document = ?", (document,))
            self._insert("errors", [[document] + [error.get(c) for c in ERROR_COLUMNS]])

    def _insert(self, table: str, rows: list[list]) -> None:
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            self.conn.executemany(f"INSERT INTO {table} VALUES ({marks})", map(_texts, rows))

    def close(self) -> None:
        self.conn.close()


def table_columns(table: str) -> list[str]:
    """The database table's columns, in order (for readers and tests)."""
    if table == "files":
        return [c for c, _ in FILES_COLUMNS]
    if table == "forms":
        return ["document"] + [c for c, _ in TABLE_COLUMNS["forms"]]
    if table in RECORD_TABLES:
        return ["document", "form_index", "row_index", "file"] + [
            c for c, _ in TABLE_COLUMNS[table] if c not in ("file", "form_index")]
    if table == "warnings":
        return ["document", "warning_index"] + [c for c, _ in TABLE_COLUMNS["warnings"]]
    if table == "errors":
        return ["document"] + ERROR_COLUMNS
    raise KeyError(table)
