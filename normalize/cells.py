"""Reading grid cells: a cell's text under the contract's rules, a row's provenance, and the label
spellings a cell may hold alone (for OCR repair)."""

from __future__ import annotations

from ..extract.grid import Cell, Table
from ..extract.text import clean_text
from .vocabulary import vocabulary


def row_provenance(table: Table, row: int, cells: list[Cell]) -> tuple[int, tuple, float | None]:
    """Page, box and lowest OCR confidence of a table row made of `cells`."""
    page = min(c.page for c in cells if c.row == row) if any(c.row == row for c in cells) \
        else cells[0].page
    on_page = [c for c in cells if c.page == page]
    own = [c for c in on_page if c.row == row and c.rowspan == 1] or [c for c in on_page if c.row == row] \
        or on_page
    bbox = table.row_box(page, across=on_page, along=own)
    confs = [c.confidence for c in cells if c.confidence is not None]
    return page, tuple(round(v, 2) for v in bbox), (min(confs) if confs else None)


def cell_text(table: Table, row: int, col: int | None) -> str:
    if col is None:
        return ""
    cell = table.cell_at(row, col)
    return clean_text(cell.text) if cell is not None else ""


def cell_labels() -> list[str]:
    """Every label spelling of labels.toml that a cell may hold on its own (blocks, fields,
    column headers, goal labels, 一级/二级 labels and synonyms): what OCR repair snaps a cell read
    a letter or two off to (extract/ocr/repair.py takes them from the pipeline)."""
    data = vocabulary().data
    out: list[str] = []
    for section in ("blocks", "fields", "task_columns", "indicator_columns", "goal_labels"):
        for spellings in data.get(section, {}).values():
            if isinstance(spellings, list):
                out.extend(s for s in spellings if isinstance(s, str))
    for level in ("level1", "level2"):
        for entry in data.get(level, []):
            out.append(entry["label"])
            out.extend(entry.get("synonyms", []))
    return out
