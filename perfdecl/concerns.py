"""Which records (budget items, tasks, indicators) each warning of a document is about.

A warning names its form and page but not its row, so the rows are found from what the warning's
message quotes: the budget groups a sum check compares, the indicator a target check names, the
cell text an OCR warning read. Used by the flat tables (`warning_codes` column), the XLSX
highlight and the review page (a warning links to its rows, a row is coloured by its warnings).
A warning about the whole form or page (missing_field, unknown_layout, ocr_required) concerns no
row.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .extract.text import compact
from .models import Document, Form

# the record tables of a form, in the order the review page and the tables list them
RECORD_TABLES = ("budget", "tasks", "indicators")

# a record: (form_index, table, row index within the form's table)
RecordKey = tuple[int, str, int]

BUDGET_CHECKS = {"sum_mismatch", "budget_total_mismatch", "budget_group_mismatch"}
# checks whose message starts with `<level2> <name>:`
INDICATOR_CHECKS = {"target_not_numeric", "missing_target"}
OCR_CODES = {"ocr_repaired", "low_ocr_confidence"}

_QUOTED = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_REPAIRED = re.compile(r"repaired to " + _QUOTED)
_LOW = re.compile(r"page \d+: " + _QUOTED + " read with confidence")
_LABEL = re.compile(r"indicator label " + _QUOTED)


@dataclass(frozen=True)
class Concerns:
    """`rows[w]`: the records warning `w` (index in doc.warnings) is about, in record order;
    `codes[record]`: the codes of the warnings about that record, sorted, each once."""

    rows: list[list[RecordKey]]
    codes: dict[RecordKey, list[str]]


def _quoted(pattern: re.Pattern, message: str) -> str:
    """The longest piece of the quoted text (a long cell is shown cut with `…`), no whitespace."""
    m = pattern.search(message)
    if not m:
        return ""
    try:
        text = ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError):
        return ""
    pieces = [compact(p) for p in str(text).split("…")]
    return max(pieces, key=len, default="")


def record_text(form: Form, table: str, row: int) -> str:
    """The record's printed texts joined, without whitespace (what OCR warnings quote)."""
    if table == "budget":
        b = form.budget[row]
        parts = [b.group, b.item, b.amount_raw]
    elif table == "tasks":
        t = form.tasks[row]
        parts = [t.name, t.content, t.funds_raw, t.funds_unit, t.expected_goal]
    else:
        ind = form.indicators[row]
        parts = [ind.level1, ind.level2, ind.name,
                 ind.period_target.raw if ind.period_target else None,
                 ind.annual_target.raw if ind.annual_target else None, *ind.extra.values()]
    return "\u0000".join(compact(p) for p in parts if p)


def _records(doc: Document, form_index: int | None):
    """(key, form, record) for the records of one form, or of every form."""
    for fi, form in enumerate(doc.forms):
        if form_index is not None and fi != form_index:
            continue
        for table in RECORD_TABLES:
            for i, rec in enumerate(getattr(form, table)):
                yield (fi, table, i), form, rec


def _on_page(rec, w) -> bool:
    """The record is on the warning's page (either may lack one: documents without provenance)."""
    return w.page is None or rec.page is None or rec.page == w.page


def _rows_of(doc: Document, w) -> list[RecordKey]:
    code, msg = w.code, w.message
    if code in BUDGET_CHECKS:
        return [k for k, _, rec in _records(doc, w.form_index)
                if k[1] == "budget" and rec.group and rec.group in msg]
    if code == "task_funds_exceed":
        return [k for k, _, rec in _records(doc, w.form_index)
                if k[1] == "tasks" and rec.funds is not None]
    if code in INDICATOR_CHECKS:
        return [k for k, _, rec in _records(doc, w.form_index)
                if k[1] == "indicators" and msg.startswith(f"{rec.level2} {rec.name}:")
                and _on_page(rec, w)]
    if code == "duplicate_indicator":
        return [k for k, _, rec in _records(doc, w.form_index)
                if k[1] == "indicators" and f"\"{rec.name}\"" in msg]
    if code == "unknown_label":
        label = _quoted(_LABEL, msg)
        return [k for k, _, rec in _records(doc, w.form_index)
                if k[1] == "indicators" and _on_page(rec, w) and "other" in (rec.level1_code, rec.level2_code)
                and label in (compact(rec.level1), compact(rec.level2))]
    if code in OCR_CODES:
        text = _quoted(_REPAIRED if code == "ocr_repaired" else _LOW, msg)
        if not text:
            return []
        return [k for k, form, rec in _records(doc, w.form_index)
                if _on_page(rec, w) and text in record_text(form, k[1], k[2])]
    return []


def find_concerns(doc: Document) -> Concerns:
    rows = [_rows_of(doc, w) for w in doc.warnings]
    codes: dict[RecordKey, set[str]] = {}
    for w, keys in zip(doc.warnings, rows):
        for k in keys:
            codes.setdefault(k, set()).add(w.code)
    return Concerns(rows=rows, codes={k: sorted(v) for k, v in codes.items()})
