"""Writers: one JSON document per input file, JSON Lines, and the flat tables as CSV, XLSX, Parquet.

Every file is written to a temporary name in the same folder and renamed into place, so a reader
never sees half a file and an interrupted run leaves no truncated output. The flat tables of a batch
are spooled row by row to a temporary folder while files convert (memory stays flat however many
files there are) and turned into CSV / XLSX / Parquet at the end. The tables' columns and rows are
frames.py's (the schema); this module only writes them. Column lists and meanings are in
docs/output.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .frames import ERROR_COLUMNS, ERROR_TABLE, TABLE_COLUMNS, TABLES, Column
from .models import Document
from .names import json_bytes, json_text, readable

log = logging.getLogger(__name__)

# the XLSX's first sheet: (what, code, count) rows, see FlatSink.summary_rows
SUMMARY_TABLE: list[Column] = [("what", "str"), ("code", "str"), ("count", "int")]

FLAT_FORMATS = ("csv", "xlsx", "parquet")


# -- atomic files ----------------------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates 0600; outputs get the permissions any new file gets
_FILE_MODE = 0o666 & ~_umask()


# Temporary names are short and carry the writing process's id: `.perfdecl-<pid>-<random>.part`
# beside the output. Short, because the output's own name may take up to 255 bytes (80 CJK
# characters are 240); the pid, so that a later run can tell the leftovers of a killed process
# (`remove_leftovers`) from the files a live run is writing into the same OUT.
TEMP_PREFIX = ".perfdecl-"
TEMP_SUFFIX = ".part"
SPOOL_PREFIX = ".perfdecl-spool-"
_LEFTOVER = re.compile(r"\.perfdecl-(?:spool-)?(\d+)-[^/]*")


def _temp_beside(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX,
                               dir=path.parent)
    os.chmod(tmp, _FILE_MODE)
    return fd, tmp


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files and spool folders that a killed run (or a full disk) left in
    `folder`: those whose writing process is gone. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _LEFTOVER.fullmatch(entry.name)
        if m is None or _alive(int(m.group(1))):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            log.warning("cannot remove the leftover %s: %s", readable(str(path)), exc.strerror)
            continue
        removed.append(path)
    return removed


def atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class AtomicFile:
    """A file written under a temporary name in its folder; `commit` renames it into place."""

    def __init__(self, path: Path, mode: str = "wb", **kwargs):
        self.path = path
        fd, self.tmp = _temp_beside(path)
        self.fh = os.fdopen(fd, mode, **kwargs)

    def commit(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.fh.close()
        Path(self.tmp).unlink(missing_ok=True)


# -- JSON ------------------------------------------------------------------------------------

def _finite(value):
    """The dumped document with non-finite numbers as null, as pydantic's own JSON has them: an
    amount printed with hundreds of digits parses to inf, and `Infinity` is not JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _dumped(record) -> dict:
    """A Document or one of its records as JSON values."""
    return _finite(record.model_dump(mode="json"))


def _indented(record) -> str:
    """A Document or one of its records as the per-file JSON prints it."""
    return json.dumps(_dumped(record), ensure_ascii=False, indent=2, allow_nan=False)


def document_json(doc: Document) -> bytes:
    """UTF-8 JSON; a file name's undecodable bytes as `\\udcNN` escapes (names.py)."""
    return json_bytes(_indented(doc) + "\n")


class DocumentJsonWriter:
    """The per-file JSON written form by form, for a file too long to hold whole: the same bytes as
    `document_json` of the whole Document. The forms go to a spool file beside the output as they
    come (the source's method and the warnings, printed around them, are known only at the end);
    `commit(doc)`, with the Document's source and warnings (its forms left out), writes the file
    atomically and returns its sha256. The spool is named as a temporary file, so a killed run's
    is removed like one (`remove_leftovers`)."""

    _FORMS = '\n  "forms": [],\n'  # where the forms stand in the JSON of a Document without them

    def __init__(self, path: Path):
        self.path = path
        self.forms = 0
        self._spool = None  # made with the first form: a file with no form writes no spool

    def add(self, form) -> None:
        if self._spool is None:
            fd, name = _temp_beside(self.path)
            self._spool = (os.fdopen(fd, "w+b"), name)
        text = _indented(form)
        # a form inside the document's list stands two levels in; JSON strings hold no newline
        self._spool[0].write(json_bytes(("," if self.forms else "") + "\n    "
                                        + text.replace("\n", "\n    ")))
        self.forms += 1

    def commit(self, doc: Document) -> str:
        head, sep, tail = (_indented(doc) + "\n").partition(self._FORMS)
        if not sep or doc.forms:
            raise ValueError("commit takes the Document without its forms")
        digest = hashlib.sha256()
        out = AtomicFile(self.path)

        def write(block: bytes) -> None:
            digest.update(block)
            out.fh.write(block)

        try:
            write(json_bytes(head + '\n  "forms": ['))
            if self._spool is not None:
                spool = self._spool[0]
                spool.seek(0)
                for block in iter(lambda: spool.read(1 << 20), b""):
                    write(block)
            write(json_bytes(("\n  ],\n" if self.forms else "],\n") + tail))
            out.commit()
        except BaseException:
            out.abort()
            raise
        finally:
            self.close()
        return digest.hexdigest()

    def close(self) -> None:
        """The spool removed (after `commit`, or when the conversion fails)."""
        if self._spool is not None:
            fh, name = self._spool
            self._spool = None
            fh.close()
            Path(name).unlink(missing_ok=True)


def document_line(doc: Document) -> str:
    """One JSON Lines record: the document on one line, no trailing newline."""
    return json_text(json.dumps(_dumped(doc), ensure_ascii=False, separators=(",", ":"),
                                allow_nan=False))


# -- spreadsheet safety ----------------------------------------------------------------------

_NUMBER_TEXT = re.compile(r"[+-]\d[\d,]*(\.\d+)?%?")


def formula_risk(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula: it starts with `=` or `@`, or with
    `+`/`-` not followed by a plain number (`-5`, `+3.5%` stay; `-x`, `+1+A1`, `-=` are escaped)."""
    if len(text) < 2:  # a lone `=` or `-` is no formula (the sign column holds `=`)
        return False
    first = text[0]
    if first in "=@":
        return True
    if first in "+-":
        return not _NUMBER_TEXT.fullmatch(text)
    return False


def escape_formula(text: str) -> str:
    """A leading apostrophe, the mark spreadsheets use for "text, not a formula"."""
    return "'" + text if formula_risk(text) else text


# -- CSV -------------------------------------------------------------------------------------

def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return escape_formula(readable(value))
    return str(value)


def csv_bytes(rows: list[dict], columns: list[str]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row.get(k)) for k in columns])
    return buf.getvalue().encode("utf-8-sig")


def write_errors(errors: list[dict], out_dir: Path) -> Path:
    path = out_dir / "errors.csv"
    atomic_write(path, csv_bytes(errors, ERROR_COLUMNS))
    return path


# -- XLSX ------------------------------------------------------------------------------------

# A fixed timestamp inside the workbook (document properties and zip entries), so that a rerun
# writes the same bytes.
_XLSX_EPOCH = (2000, 1, 1, 0, 0, 0)
_XLSX_MAX_CELL = 32767  # Excel's limit on the characters of a cell
_XLSX_MAX_ROWS = 1_048_576  # Excel's limit on the rows of a sheet, header included


def _display_width(text: str) -> int:
    """Column width in Excel's character units; CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _xlsx_text(value: str) -> tuple[str, bool]:
    """The text as a cell can hold it, and whether it had to be cut."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # control characters cannot be stored; a name's undecodable bytes are shown as \xNN
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", readable(value))
    if len(value) > _XLSX_MAX_CELL:
        return value[:_XLSX_MAX_CELL - 1] + "…", True
    return value, False


# rows of these sheets with a value in this column are filled (an auditor's eye goes to them)
XLSX_HIGHLIGHT = {"budget": "warning_codes", "tasks": "warning_codes", "indicators": "warning_codes"}
_HIGHLIGHT_FILL = "FFF2CC"  # pale amber, black text stays readable


def write_xlsx(path: Path, sheets: list[tuple[str, list[Column], Iterable[list], Iterable[list]]],
               highlight: dict[str, str] | None = None) -> None:
    """One workbook, a sheet per table: header row frozen, filters on, widths from the content,
    numbers stored as numbers. Text a spreadsheet would take for a formula is stored as text with
    the quote-prefix mark (the cell shows the text as it is and is never evaluated).

    A table longer than a sheet goes on in `<name> (2)`, `<name> (3)`…, each with the header. A
    text longer than a cell can hold is cut (with `…`) and logged; the CSV, Parquet and JSON keep
    it whole.

    `sheets` holds (name, columns, rows, the same rows again): widths need a pass before writing.
    `highlight` {sheet name: column name}: rows with a value in that column are filled.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", start_color=_HIGHLIGHT_FILL, end_color=_HIGHLIGHT_FILL)
    highlight = highlight or {}

    def new_sheet(title: str, columns: list[Column], widths: list[int]):
        ws = wb.create_sheet(title=title)
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), 60)
        ws.freeze_panes = "A2"
        header = []
        for c, _ in columns:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        return ws

    def close_sheet(ws, columns: list[Column], n: int) -> None:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n}"

    for name, columns, measure_rows, rows in sheets:
        widths = [_display_width(c) for c, _ in columns]
        for row in measure_rows:
            for i, v in enumerate(row):
                if v is not None:
                    widths[i] = max(widths[i], _display_width(str(v)) if isinstance(v, str) else 12)
        part, cut = 1, 0
        ws, n = new_sheet(name, columns, widths), 1
        names = [c for c, _ in columns]
        mark = names.index(highlight[name]) if highlight.get(name) in names else None
        for row in rows:
            marked = mark is not None and row[mark] not in (None, "")
            if n >= _XLSX_MAX_ROWS:
                close_sheet(ws, columns, n)
                part += 1
                ws, n = new_sheet(f"{name} ({part})", columns, widths), 1
            out = []
            for v in row:
                if isinstance(v, str):
                    v, was_cut = _xlsx_text(v)
                    cut += was_cut
                    cell = WriteOnlyCell(ws, value=v)
                    if cell.data_type != "s":  # `=…` would become a formula, `#N/A` an error
                        cell.data_type = "s"
                    if formula_risk(v):
                        cell.quotePrefix = True
                    out.append(cell)
                elif marked:
                    out.append(WriteOnlyCell(ws, value=v))
                else:
                    out.append(v)
            if marked:
                for cell in out:
                    cell.fill = fill
            ws.append(out)
            n += 1
        close_sheet(ws, columns, n)
        if part > 1:
            log.info("%s: table %s has more rows than a sheet holds; continued on %d sheets",
                     path.name, name, part)
        if cut:
            log.warning("%s: %d cell(s) of table %s hold more than Excel's %d characters and were "
                        "cut; the CSV, Parquet and JSON outputs keep them whole",
                        path.name, cut, name, _XLSX_MAX_CELL)
    wb.properties.creator = "perfdecl"
    from datetime import datetime
    wb.properties.created = wb.properties.modified = datetime(*_XLSX_EPOCH)
    buf = io.BytesIO()
    wb.save(buf)
    _write_pinned_zip(buf.getvalue(), path)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _write_pinned_zip(data: bytes, path: Path) -> None:
    """Rewrite the workbook's zip with fixed entry times (openpyxl stamps the current time)."""
    target = AtomicFile(path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src, \
                zipfile.ZipFile(target.fh, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                pinned = zipfile.ZipInfo(info.filename, date_time=_XLSX_EPOCH)
                pinned.compress_type = zipfile.ZIP_DEFLATED
                pinned.external_attr = info.external_attr
                data = src.read(info.filename)
                if info.filename == "docProps/core.xml":  # openpyxl stamps `modified` on save
                    data = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
                dst.writestr(pinned, data)
        target.commit()
    except BaseException:
        target.abort()
        raise


# -- Parquet ---------------------------------------------------------------------------------

_PARQUET_BATCH = 10_000


def _parquet_value(value, kind: str):
    if value is None:
        return None
    if kind == "float":
        return float(value)
    if kind == "str" and isinstance(value, str):
        return readable(value)  # Parquet strings are UTF-8: a name's raw bytes as \xNN
    return value


def write_parquet(path: Path, columns: list[Column], rows: Iterable[list]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(c, types[t]) for c, t in columns])
    target = AtomicFile(path)
    try:
        with pq.ParquetWriter(target.fh, schema, compression="zstd") as writer:
            batch: list[list] = []

            def flush() -> None:
                data = {c: [_parquet_value(r[i], t) for r in batch] for i, (c, t) in enumerate(columns)}
                writer.write_table(pa.Table.from_pydict(data, schema=schema))
                batch.clear()

            for row in rows:
                batch.append(row)
                if len(batch) >= _PARQUET_BATCH:
                    flush()
            flush()  # also for an empty table: the file gets its schema
        target.commit()
    except BaseException:
        target.abort()
        raise


# -- the batch's flat outputs ----------------------------------------------------------------

class FlatSink:
    """Collects flat rows file by file into spool files, then writes the requested formats.

    The spool (one JSON array per line) keeps memory flat over thousands of files; `finish` writes
    CSV / XLSX / Parquet from it and removes it. `jsonl` documents are streamed to their final
    file's temporary name and renamed at the end.
    """

    def __init__(self, out_dir: Path, formats: Iterable[str]):
        self.out_dir = out_dir
        self.formats = [f for f in formats if f in FLAT_FORMATS]
        self.jsonl: AtomicFile | None = None
        if "jsonl" in formats:
            self.jsonl = AtomicFile(out_dir / "documents.jsonl", "w", encoding="utf-8", newline="\n")
        self.spool_dir: Path | None = None
        self.spools: dict[str, io.TextIOBase] = {}
        self.counts: Counter = Counter()
        self.warning_codes: Counter = Counter()
        if self.formats:
            self.spool_dir = Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=out_dir))
            for name in TABLES:
                self.spools[name] = (self.spool_dir / f"{name}.jsonl").open(
                    "w", encoding="utf-8", newline="\n")

    def add(self, rows: dict[str, list[list]] | None, document_line: str | None = None) -> None:
        if self.jsonl is not None and document_line is not None:
            self.jsonl.fh.write(document_line + "\n")
        if rows:
            self.counts["files"] += 1
            self.counts["forms"] += len(rows["forms"])
            self.counts["indicators"] += len(rows["indicators"])
            code = [c for c, _ in TABLE_COLUMNS["warnings"]].index("code")
            self.warning_codes.update(r[code] for r in rows["warnings"])
        if rows and self.spools:
            for name, table in rows.items():
                fh = self.spools[name]
                for row in table:
                    fh.write(json_text(json.dumps(row, ensure_ascii=False)) + "\n")

    def summary_rows(self, errors: list[dict]) -> list[list]:
        """The XLSX `summary` sheet: the batch in counts, warnings and errors by code."""
        rows = [["files", None, self.counts["files"]], ["forms", None, self.counts["forms"]],
                ["indicators", None, self.counts["indicators"]],
                ["warnings", None, sum(self.warning_codes.values())]]
        rows += [["warnings", code, n] for code, n in sorted(self.warning_codes.items())]
        error_codes = Counter(e.get("code") for e in errors)
        rows.append(["errors", None, len(errors)])
        rows += [["errors", code, n] for code, n in sorted(error_codes.items())]
        return rows

    def _rows(self, name: str):
        with (self.spool_dir / f"{name}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

    def finish(self, errors: list[dict]) -> list[Path]:
        written: list[Path] = []
        for fh in self.spools.values():
            fh.close()
        try:
            if "csv" in self.formats:
                for name in TABLES:
                    written.append(self._write_csv(name))
            if "parquet" in self.formats:
                for name in TABLES:
                    path = self.out_dir / f"{name}.parquet"
                    write_parquet(path, TABLE_COLUMNS[name], self._rows(name))
                    written.append(path)
            if "xlsx" in self.formats:
                path = self.out_dir / "perfdecl.xlsx"
                err_rows = [[e.get(c) for c in ERROR_COLUMNS] for e in errors]
                summary = self.summary_rows(errors)
                sheets = [("summary", SUMMARY_TABLE, summary, summary)]
                sheets += [(name, TABLE_COLUMNS[name], self._rows(name), self._rows(name))
                           for name in TABLES]
                sheets.append(("errors", ERROR_TABLE, err_rows, err_rows))
                write_xlsx(path, sheets, XLSX_HIGHLIGHT)
                written.append(path)
            if self.jsonl is not None:
                self.jsonl.commit()
                written.append(self.jsonl.path)
                self.jsonl = None
        finally:
            self.abort()
        return written

    def _write_csv(self, name: str) -> Path:
        path = self.out_dir / f"{name}.csv"
        target = AtomicFile(path, "w", encoding="utf-8-sig", newline="")
        try:
            writer = csv.writer(target.fh, lineterminator="\r\n")
            writer.writerow([c for c, _ in TABLE_COLUMNS[name]])
            for row in self._rows(name):
                writer.writerow([_csv_value(v) for v in row])
            target.commit()
        except BaseException:
            target.abort()
            raise
        return path

    def abort(self) -> None:
        """Remove the spool and any unfinished output (after an interruption)."""
        for fh in self.spools.values():
            fh.close()
        self.spools = {}
        if self.spool_dir is not None:
            shutil.rmtree(self.spool_dir, ignore_errors=True)
            self.spool_dir = None
        if self.jsonl is not None:
            self.jsonl.abort()
            self.jsonl = None
