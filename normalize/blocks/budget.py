"""Budget: the form's amounts, as BudgetItems.

Found by roles: the block by its label (labels.toml [blocks] budget: 预算情况, 项目资金（万元） …);
inside it, amount columns by their headers' words ([budget] amount_header_words: 预算金额,
年初预算数, 全年执行数), each paired with the label column on its left, or several side by side as
a 2-D block whose column headers are the groups; with no amount header, `label | amount` pairs or
a row of labels over a row of amounts. Outside any block, stand-alone amounts in PAIRS rows by
their labels' words ([budget] standalone_words: 项目金额, 其中:当年市级财政资金). The unit is the
header's or label's brackets, else the form's stated unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...extract.grid import Cell, Table
from ...extract.text import clean_text
from ...models import BudgetItem
from ..amounts import bracket_unit, parse_amount, strip_trailing_brackets
from ..cells import row_provenance
from .base import PAIRS, BlockReader, FormContext, FormParts
from .meta import MetaReader, field_pair


@dataclass
class _AmountColumn:
    """An amount column under a header, with the column of its row labels."""

    group: str
    label_col: int
    amount_col: int
    unit: str
    rows: list[BudgetItem] = field(default_factory=list)


class BudgetReader(BlockReader):
    keys = ("budget", PAIRS)

    def __init__(self, form: FormContext):
        super().__init__(form)
        self.items: list[BudgetItem] = []
        self._columns: list[_AmountColumn] = []
        self._labels_above: dict[int, str] = {}  # a row of item labels over their amounts

    @property
    def _unit(self) -> str:
        return self.form.reader(MetaReader).unit

    def feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        if self.block.key == PAIRS:
            self._standalone_amounts(table, r, cells)
        else:
            self._block_row(table, r, cells)

    def end(self) -> None:
        self._flush_columns()
        self._labels_above = {}
        super().end()

    def finish(self, parts: FormParts) -> None:
        parts.fields["budget"] = self.items

    def _flush_columns(self) -> None:
        for column in self._columns:
            self.items.extend(column.rows)
        self._columns = []

    def _standalone_amounts(self, table: Table, r: int, cells: list[Cell]) -> None:
        """Stand-alone amounts (`资金总额（万元） | 3,600.00`) among the row's pairs, each amount
        its own group, the unit from the label's brackets, else the form's."""
        for label_cell, value_cell in zip(cells, cells[1:]):
            if field_pair(self.vocab, label_cell, value_cell) is not None:
                continue  # the meta reader's
            if not self.vocab.is_standalone_budget_label(label_cell.text):
                continue
            raw = clean_text(value_cell.text)
            if raw and parse_amount(raw) is None:
                continue
            label = clean_text(label_cell.text)
            item = strip_trailing_brackets(label)
            page, bbox, conf = row_provenance(table, r, [label_cell, value_cell])
            self.items.append(BudgetItem(
                group=item, item=item, amount=parse_amount(raw),
                unit=bracket_unit(label) or self._unit, amount_raw=raw or None,
                page=page, bbox=bbox, confidence=conf))

    def _block_row(self, table: Table, r: int, content: list[Cell]) -> None:
        headers = [i for i, c in enumerate(content) if i > 0 and c.row == r
                   and self.vocab.is_amount_header(c.text)]
        if content and self.vocab.is_amount_header(content[0].text):
            headers = []  # a row of amount labels over their amounts, no label column
        if headers:
            self._flush_columns()
            block_unit = bracket_unit(self.block.label) or self._unit
            for i in headers:
                j = i
                while j - 1 in headers:  # columns side by side (年初预算数 | 全年预算数 | 全年执行数)
                    j -= 1
                left = clean_text(content[j - 1].text)
                two_d = j != i or not left or self.vocab.is_amount_header(left)
                header = clean_text(content[i].text)
                self._columns.append(_AmountColumn(
                    # 2-D: the column's header is the group, the row label the item
                    group=strip_trailing_brackets(header) if two_d else left,
                    label_col=content[j - 1].col, amount_col=content[i].col,
                    unit=bracket_unit(header) or block_unit))
            return
        if not self._columns:
            self._unheaded_row(table, r, content)
            return
        for column in self._columns:
            label_cell = table.cell_at(r, column.label_col)
            amount_cell = table.cell_at(r, column.amount_col)
            item = clean_text(label_cell.text) if label_cell else ""
            if not item or label_cell.row != r or len(item) > self.vocab.budget["max_item_length"]:
                continue
            cells = [c for c in (label_cell, amount_cell) if c is not None]
            page, bbox, conf = row_provenance(table, r, cells)
            raw = clean_text(amount_cell.text) if amount_cell else ""
            column.rows.append(BudgetItem(
                group=column.group, item=item, amount=parse_amount(raw), unit=column.unit,
                amount_raw=raw or None, page=page, bbox=bbox, confidence=conf))

    def _unheaded_row(self, table: Table, r: int, content: list[Cell]) -> None:
        """Budget rows under a block label such as 项目资金（万元） with no amount header: `label |
        amount` pairs, or a row of labels with the amounts in the row below. The group is the
        block label, the unit its brackets."""
        group = strip_trailing_brackets(self.block.label)
        unit = bracket_unit(self.block.label) or self._unit
        own = [c for c in content if c.row == r]
        texts = [clean_text(c.text) for c in own]
        if texts and all(texts) and not any(parse_amount(t) is not None for t in texts):
            self._labels_above = {c.col: t for c, t in zip(own, texts)}
            return
        if self._labels_above and texts and all(parse_amount(t) is not None for t in texts if t):
            for cell, text in zip(own, texts):
                item = self._labels_above.get(cell.col)
                if item is None:
                    continue
                page, bbox, conf = row_provenance(table, r, [cell])
                self.items.append(BudgetItem(group=group, item=item, amount=parse_amount(text),
                                             unit=unit, amount_raw=text or None, page=page,
                                             bbox=bbox, confidence=conf))
            self._labels_above = {}
            return
        for label_cell, amount_cell in zip(content, content[1:]):
            item = clean_text(label_cell.text)
            amount_text = clean_text(amount_cell.text)
            if label_cell.row != r or not item or parse_amount(item) is not None \
                    or len(item) > self.vocab.budget["max_item_length"]:
                continue
            if amount_text and parse_amount(amount_text) is None:
                continue
            page, bbox, conf = row_provenance(table, r, [label_cell, amount_cell])
            self.items.append(BudgetItem(group=group, item=item, amount=parse_amount(amount_text),
                                         unit=unit, amount_raw=amount_text or None, page=page,
                                         bbox=bbox, confidence=conf))
