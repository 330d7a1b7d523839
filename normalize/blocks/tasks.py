"""Tasks: a form's 重点工作任务 / 年度履职目标 rows and its 其他需完成的任务 row, as Tasks.

Found by roles: the blocks by their labels (labels.toml [blocks] tasks, other_tasks); inside the
tasks block, a header row by the task column roles ([task_columns]: name, content, funds,
expected_goal; two at least), each later row read under the columns it names; the funds unit from
the funds header's brackets. 其他需完成的任务 is one free-text row (its content only beside its
label), also when printed as a labelled row of the tasks block.
"""

from __future__ import annotations

import re

from ...extract.grid import Cell, Table
from ...extract.text import clean_text
from ...models import Task
from ..amounts import bracket_unit, parse_amount
from ..cells import cell_text, row_provenance
from ..vocabulary import Vocabulary
from .base import Block, BlockReader, FormContext, FormParts
from .indicators import IndicatorColumns

_FUNDS_PROMPT = re.compile(r"拟投入(?:的)?资金[：:]?(.*)$")


class TasksReader(BlockReader):
    keys = ("tasks", "other_tasks")
    side_label_only = frozenset({"other_tasks"})

    def __init__(self, form: FormContext):
        super().__init__(form)
        self.tasks: list[Task] = []
        # the task header's columns by role, and its funds unit: kept for a later block of tasks
        self._columns: dict[str, int] = {}
        self._funds_unit: str | None = None

    @classmethod
    def header_block(cls, vocab: Vocabulary, table: Table, r: int,
                     content: list[Cell]) -> Block | None:
        # a task header (three task column roles at least, and no indicator header) starts the
        # tasks block by itself: a page break may print the block's merged label elsewhere
        matches = _header_columns(vocab, content)
        if len(matches) < 3 or IndicatorColumns.from_header(content, vocab, None) is not None:
            return None
        return Block("tasks", header=matches)

    def start(self, block: Block) -> None:
        super().start(block)
        if isinstance(block.header, dict):
            self._set_columns(block.header)

    def repeats(self, block: Block) -> bool:
        return isinstance(block.header, dict) and self.block is not None \
            and self.block.key == "tasks" and {k: c.col for k, c in block.header.items()} == self._columns

    def _set_columns(self, matches: dict[str, Cell]) -> None:
        self._columns = {k: c.col for k, c in matches.items()}
        if "funds" in matches:
            self._funds_unit = bracket_unit(matches["funds"].text)

    def feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        if self.block.key == "tasks":
            self._task_row(table, r, cells)
        else:
            self._other_task_row(table, r, cells)

    def finish(self, parts: FormParts) -> None:
        parts.fields["tasks"] = self.tasks

    def _task_row(self, table: Table, r: int, content: list[Cell]) -> None:
        matches = _header_columns(self.vocab, content)
        if len(matches) >= 2:
            self._set_columns(matches)
            return
        if not self._columns or not content:
            return
        if self.vocab.block_label(content[0].text) is not None:
            # 其他需完成的任务 printed as a row of the tasks block
            self._other_task_row(table, r, content[1:])
            return
        values = {k: cell_text(table, r, col) for k, col in self._columns.items()}
        name_cell = table.cell_at(r, self._columns["name"]) if "name" in self._columns else None
        own = [v for k, v in values.items() if k != "name" and v]
        if not own and not (name_cell is not None and name_cell.row == r and values.get("name")):
            return
        page, bbox, conf = row_provenance(table, r, content)
        funds = parse_amount(values.get("funds"))
        self.tasks.append(Task(
            name=values.get("name", ""), content=values.get("content") or None, funds=funds,
            funds_unit=self._funds_unit,
            expected_goal=values.get("expected_goal") or None, funds_raw=values.get("funds") or None,
            page=page, bbox=bbox, confidence=conf))

    def _other_task_row(self, table: Table, r: int, content: list[Cell]) -> None:
        # The optional 其他需完成的任务 row prints a 拟投入资金： prompt; unfilled, it is no task.
        text = "".join(clean_text(c.text) for c in content)
        funds_text = ""
        m = _FUNDS_PROMPT.search(text)
        if m:
            funds_text = m.group(1)
            text = text[: m.start()]
        if not text and not funds_text:
            return
        page, bbox, conf = row_provenance(table, r, content)
        funds = parse_amount(funds_text)
        self.tasks.append(Task(name=text or "其他需完成的任务", content=None, funds=funds,
                               funds_unit=self._funds_unit if funds is not None else None,
                               funds_raw=funds_text or None, page=page, bbox=bbox, confidence=conf))


def _header_columns(vocab: Vocabulary, cells: list[Cell]) -> dict[str, Cell]:
    """The task column roles a row's cells name (the first cell of each role)."""
    matches: dict[str, Cell] = {}
    for cell in cells:
        m = vocab.task_columns.match(cell.text)
        if m is not None:
            matches.setdefault(m.key, cell)
    return matches
