"""Facts: the figures of a 基本信息 block (财政供养人员数 | 737 | 下属二级单位数 | 10), as Facts.

Found by roles: the block by its label (labels.toml [blocks] basic_info), its content only beside
that label; inside it, `label | figure` pairs, the unit from the label's brackets, the group the
block's label.
"""

from __future__ import annotations

from ...extract.grid import Cell, Table
from ...extract.text import clean_text
from ...models import Fact
from ..amounts import bracket_unit, parse_amount, strip_trailing_brackets
from ..cells import row_provenance
from .base import BlockReader, FormContext, FormParts


class FactsReader(BlockReader):
    keys = ("basic_info",)
    side_label_only = frozenset({"basic_info"})

    def __init__(self, form: FormContext):
        super().__init__(form)
        self.facts: list[Fact] = []

    def feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        for label_cell, value_cell in zip(cells[::2], cells[1::2]):
            item = clean_text(label_cell.text)
            if label_cell.row != r or not item:
                continue
            raw = clean_text(value_cell.text)
            page, bbox, conf = row_provenance(table, r, [label_cell, value_cell])
            unit = bracket_unit(item)
            self.facts.append(Fact(group=strip_trailing_brackets(self.block.label),
                                   item=strip_trailing_brackets(item) if unit else item,
                                   value=parse_amount(raw), unit=unit, raw=raw or None,
                                   page=page, bbox=bbox, confidence=conf))

    def finish(self, parts: FormParts) -> None:
        parts.fields["facts"] = self.facts
