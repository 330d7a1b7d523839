"""Meta: the form's title and type, its year, the amount unit it states, its department and
project name.

Found by roles: the fields (部门名称, 主管部门, 实施单位, 项目名称 …) by their labels in
labels.toml [fields], in the table's `label | value` pairs (the PAIRS rows) or in `label：value`
lines printed outside the table; the unit by the unit labels of labels.toml [budget] (金额单位：元);
the year by its pattern in the title, a line, or the file name; the form type by the title's words.
"""

from __future__ import annotations

import re

from ...extract.grid import Cell, Table, TextLine
from ...extract.text import clean_text
from ..vocabulary import Match, Vocabulary
from .base import PAIRS, BlockReader, FormContext, FormDraft, FormParts

_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(?:年|\s*年度|(?!\d))")


def year_of(draft: FormDraft, file_name: str) -> int | None:
    """Budget year from the title, else a loose line of the form, else the file name."""
    texts = [draft.title] + [clean_text(i.text) for i in draft.items if isinstance(i, TextLine)]
    texts.append(file_name)
    for text in texts:
        m = _YEAR.search(text)
        if m:
            return int(m.group(1))
    return None


def field_pair(vocab: Vocabulary, label_cell: Cell, value_cell: Cell) -> Match | None:
    """The field a `label | value` pair holds: its label names a field and its value does not (a
    value naming a field is the next pair's label)."""
    m = vocab.fields.match(label_cell.text)
    return m if m is not None and not vocab.fields.match(value_cell.text) else None


class MetaReader(BlockReader):
    keys = (PAIRS,)

    def __init__(self, form: FormContext):
        super().__init__(form)
        draft = form.draft
        self.title = draft.title
        self.form_type = self.vocab.form_type(draft.title)
        self.year = year_of(draft, form.file_name)
        self.unit = self._stated_unit(draft)
        self.fields: dict[str, str] = {}
        self._line_fields: dict[str, str] = {}  # `部门：…` lines outside the table

    def _stated_unit(self, draft: FormDraft) -> str:
        """The amount unit the form states in a line above or below its table (`金额单位：元`)."""
        for text in [draft.title] + [i.text for i in draft.items if isinstance(i, TextLine)]:
            unit = self.vocab.stated_unit(text)
            if unit:
                return unit
        return self.vocab.budget["default_unit"]

    def read_line(self, text: str) -> None:
        """`部门：505_湘西州教育和体育局` printed above the table. Lines outside the table are the
        meta block's alone: the assembler hands them here unless they are a block's label."""
        line = clean_text(text)
        label, sep, value = line.partition("：" if "：" in line else ":")
        m = self.vocab.fields.match(label) if sep and value else None
        if m is not None and not self.vocab.stated_unit(text):
            self._line_fields.setdefault(m.key, value)

    def feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        for label_cell, value_cell in zip(cells, cells[1:]):
            m = field_pair(self.vocab, label_cell, value_cell)
            if m is not None:
                self.fields.setdefault(m.key, clean_text(value_cell.text))

    def department(self) -> str | None:
        """The department a form names: a project form by its competent department first, a
        department form by its own name first; the table's fields before the lines'."""
        if self.form_type == "project":
            keys = ("competent_department", "implementing_unit", "department")
        else:
            keys = ("department", "competent_department", "implementing_unit")
        for fields in (self.fields, self._line_fields):
            for key in keys:
                if fields.get(key):
                    return fields[key]
        return None

    def finish(self, parts: FormParts) -> None:
        parts.fields.update(title=self.title, form_type=self.form_type, year=self.year,
                            department=self.department(),
                            project_name=self.fields.get("project_name") or None)
