"""Goals: the form's overall goal (`overall_goal`, the annual one) and its other goals (`goals`,
中期/实施期/长期 by their printed labels).

Found by roles: the block by its label (labels.toml [blocks] overall_goal: 总体绩效目标, 年度目标 …),
its content only beside that label; inside it, a goal's kind by its label ([goal_labels]: annual,
period), printed beside the goal text (`年度目标 | …`) or in a header row over the texts. An
unlabelled text is the annual goal.
"""

from __future__ import annotations

from ...extract.grid import Cell, Table
from ...extract.text import clean_text
from .base import BlockReader, FormContext, FormParts


class GoalsReader(BlockReader):
    keys = ("overall_goal",)
    side_label_only = frozenset({"overall_goal"})

    def __init__(self, form: FormContext):
        super().__init__(form)
        self.annual_parts: list[str] = []
        self.goals: dict[str, str] = {}
        self._header: dict[int, str] = {}  # a row of goal labels over their texts, by column

    def feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        """Goal texts: plain (the annual goal), `label | text` pairs, or a header row of labels
        with the texts below it."""
        own = [c for c in cells if c.row == r]
        texts = [clean_text(c.text) for c in own]
        if texts and all(texts) and all(len(t) <= self.vocab.goal_label_max for t in texts) \
                and any(self.vocab.goal_labels.match(t) for t in texts):
            self._header = {c.col: t for c, t in zip(own, texts)}
            return
        pending: str | None = None
        for cell, text in zip(own, texts):
            if not text:
                continue
            if pending is None and len(text) <= self.vocab.goal_label_max \
                    and self.vocab.goal_labels.match(text) and cell is not own[-1]:
                pending = text
                continue
            self._add(pending or self._header.get(cell.col), text)
            pending = None

    def _add(self, label: str | None, text: str) -> None:
        m = self.vocab.goal_labels.match(label) if label else None
        if label is None or (m is not None and m.key == "annual"):
            if text not in self.annual_parts:
                self.annual_parts.append(text)
        else:
            self.goals[label] = text

    def end(self) -> None:
        self._header = {}
        super().end()

    def finish(self, parts: FormParts) -> None:
        parts.fields["overall_goal"] = "".join(self.annual_parts) or None
        parts.fields["goals"] = self.goals
