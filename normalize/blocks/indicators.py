"""Indicators: the 绩效指标 table, as Indicators (and, in a list table, one project per row group).

Found by roles: the block by its header row, wherever it stands (any column offset, a 绩效指标 label
beside it, or none), a row holding a 三级指标 column, a value column and one more known column
(labels.toml [indicator_columns]); or by its label ([blocks] indicators) over its header. Every
column is mapped by its header's role, never by position: levels 1/2 (or a mixed 指标类型 column),
name, period and annual values, sign, unit; every other header is kept in `extra`. A value header
over year sub-headers on the next row (a header on two rows) is split: a reported value ([value_
subheaders] actual) goes to `extra`. Two name columns are a 中期/长期 block beside the 年度 block,
told apart by their value headers or the heading above them ([indicator_blocks]). A list table's
per-project columns ([list_columns]) make each row group a project of its own. Rows are buffered
and read when the block ends, because which column holds the signs is known only from its cells
("the sign column is whichever column holds the signs, whatever its header says").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...extract.grid import Cell, Table
from ...extract.text import clean_text
from ...models import BudgetItem, DocumentWarning, Indicator, Target
from ..amounts import bracket_unit, parse_amount, strip_trailing_brackets
from ..cells import cell_text, row_provenance
from ..targets import parse_target
from ..vocabulary import Vocabulary
from .base import Block, BlockReader, FormContext, FormParts
from .meta import MetaReader

# columns whose text is never a sign or an extra: they are the indicator itself
_CORE_ROLES = ("level1", "level2", "level", "name", "period_value", "annual_value", "unit")


@dataclass
class IndicatorColumns:
    """Grid columns of an indicator table, by role; `extra` keeps every other header.

    `sides` pairs each 三级 column with its value columns: one side for the usual table, two
    where a 中期/长期 block stands beside the 年度 block, as (name column, period value column,
    annual value column).
    """

    roles: dict[str, list[int]]
    extra: list[tuple[str, int]]  # (header text, column)
    sides: list[tuple[int, int | None, int | None]] = field(default_factory=list)
    # a list table's per-project columns: {field: (column, header text)}
    projects: dict[str, tuple[int, str]] = field(default_factory=dict)

    @classmethod
    def from_header(cls, cells: list[Cell], vocab: Vocabulary,
                    above: list[Cell] | None = None) -> IndicatorColumns | None:
        roles: dict[str, list[int]] = {}
        extra: list[tuple[str, int]] = []
        projects: dict[str, tuple[int, str]] = {}
        for cell in cells:
            text = clean_text(cell.text)
            if not text:
                continue
            m = vocab.indicator_columns.match(text)
            listed = vocab.list_columns.match(text) if m is None or m.score < 100 else None
            if listed is not None and (m is None or listed.score > m.score):
                projects[listed.key] = (cell.col, text)
            elif m is None or m.key == "extra":
                extra.append((text, cell.col))
            else:
                roles.setdefault(m.key, []).append(cell.col)
        has_value = "annual_value" in roles or "period_value" in roles
        others = (set(roles) - {"name", "annual_value", "period_value"}) or {h for h, _ in extra}
        if "name" not in roles or not has_value or not others:
            return None
        if "project_name" not in projects:  # not a list table: those are ordinary extra columns
            extra = sorted(extra + [(t, c) for c, t in projects.values()], key=lambda e: e[1])
            projects = {}
        columns = cls(roles=roles, extra=extra, projects=projects)
        columns.sides = columns._pair_sides(vocab, above or [])
        return columns

    def _pair_sides(self, vocab: Vocabulary, above: list[Cell]) -> list[tuple[int, int | None, int | None]]:
        names = sorted(self.roles["name"])
        if len(names) == 1:
            return [(names[0], self.first("period_value"), self.first("annual_value"))]
        words = vocab.indicator_blocks
        sides = []
        for i, name_col in enumerate(names):
            end = names[i + 1] if i + 1 < len(names) else 10 ** 6
            period = annual = None
            for role in ("period_value", "annual_value"):
                for col in self.roles.get(role, []):
                    if name_col < col < end:
                        kind = role
                        heading = next((clean_text(c.text) for c in above
                                        if c.col <= name_col < c.col + c.colspan), "")
                        if any(w in heading for w in words["period_words"]):
                            kind = "period_value"
                        elif any(w in heading for w in words["annual_words"]):
                            kind = "annual_value"
                        if kind == "period_value":
                            period = col
                        else:
                            annual = col
            sides.append((name_col, period, annual))
        return sides

    def split_value_columns(self, table: Table, header_row: int, vocab: Vocabulary) -> bool:
        """A value header spanning several columns with sub-headers in the next row (指标值 over
        2021年实际实现值 | 预期2022年实现值): each sub-column takes its own role, a reported value
        (实际, 完成值) going to `extra`. True when the next row was such a sub-header row."""
        sub_row = header_row + 1
        if sub_row >= table.n_rows:
            return False
        actual = vocab.data["value_subheaders"]["actual"]
        period_words = vocab.indicator_blocks["period_words"]
        split = False
        for role in ("annual_value", "period_value"):
            for col in list(self.roles.get(role, [])):
                head = table.cell_at(header_row, col)
                if head is None or head.colspan < 2 or head.rowspan > 1:
                    continue
                subs = [c for c in table.row_cells(sub_row)
                        if c.row == sub_row and head.col <= c.col < head.col + head.colspan]
                texts = [clean_text(c.text) for c in subs]
                if len(subs) < 2 or not all(texts):
                    continue
                self.roles[role].remove(col)
                for cell, text in zip(subs, texts):
                    if any(w in text for w in actual):
                        self.extra.append((text, cell.col))
                    else:
                        kind = "period_value" if any(w in text for w in period_words) else role
                        self.roles.setdefault(kind, []).append(cell.col)
                split = True
        if split:
            self.roles = {k: sorted(v) for k, v in self.roles.items() if v}
            self.extra.sort(key=lambda e: e[1])
            self.sides = self._pair_sides(vocab, [])
        return split

    def first(self, role: str) -> int | None:
        cols = self.roles.get(role)
        return cols[0] if cols else None


@dataclass
class _Row:
    table: Table
    row: int
    content: list[Cell]
    level1: str
    level2: str
    project: Cell | None = None  # in a list table, the 项目名称 cell the row stands under


@dataclass
class IndicatorTable:
    """The data rows under one indicator header, read into Indicators when the block ends."""

    vocab: Vocabulary
    columns: IndicatorColumns
    warnings: list[DocumentWarning] = field(default_factory=list)
    _rows: list[_Row] = field(default_factory=list)
    _level1: str = ""
    _level2: str = ""
    _unknown: set[str] = field(default_factory=set)  # labels already warned about

    def add_row(self, table: Table, r: int, content: list[Cell]) -> None:
        if IndicatorColumns.from_header(content, self.vocab) is not None:
            return  # the header printed again (on a new page)
        cols = self.columns
        level1 = cell_text(table, r, cols.first("level1"))
        level2 = cell_text(table, r, cols.first("level2"))
        mixed = cell_text(table, r, cols.first("level"))
        if mixed:
            if self.vocab.level2.match(mixed) is not None:
                level2 = mixed
            else:
                level1 = mixed
        if level1 and level1 != self._level1:
            self._level1, self._level2 = level1, ""
        if level2:
            self._level2 = level2
        name_cols = [c for c in cols.roles["name"] if cell_text(table, r, c)]
        if not name_cols:
            return  # a 二级 label with no 三级指标, or a spacer row: not an indicator
        name_cell = table.cell_at(r, name_cols[0])
        if name_cell is not None and name_cell.row != r:
            return  # a 三级指标 cell spanning rows names one indicator, on its first row
        value_cols = cols.roles.get("annual_value", []) + cols.roles.get("period_value", [])
        level_cols = [c for role in ("level1", "level2", "level") for c in cols.roles.get(role, [])]
        if any(table.cell_at(r, c) is name_cell for c in value_cols + level_cols):
            # one cell across the name and the value or level columns: a total or a note
            # (合计, 说明, 其他需要说明事项)
            return
        project_col = cols.projects.get("project_name", (None, ""))[0]
        project = table.cell_at(r, project_col) if project_col is not None else None
        self._rows.append(_Row(table, r, content, self._level1, self._level2, project))

    def finish_by_project(self) -> list[tuple[_Row | None, list[Indicator]]]:
        """The indicators grouped by the list-table project they stand under (one group with
        no project for an ordinary table), each with the group's first row."""
        signs = self._sign_columns()
        groups: list[tuple[_Row | None, list[Indicator]]] = []
        for row in self._rows:
            if not groups or (row.project is not None and row.project is not groups[-1][0].project):
                groups.append((row if row.project is not None else None, []))
            groups[-1][1].extend(self._indicators(row, signs))
        return groups

    # -- reading one row --------------------------------------------------------------------
    def _sign_columns(self) -> list[int]:
        """The 指标性质 column, and any other non-core column whose cells hold signs."""
        cols = self.columns
        found = list(cols.roles.get("sign", []))
        sign_words = set(self.vocab.indicator_values["signs"])
        for _, col in cols.extra:
            if any(cell_text(row.table, row.row, col) in sign_words for row in self._rows):
                found.append(col)
        return found

    def _indicators(self, row: _Row, sign_cols: list[int]) -> list[Indicator]:
        """The row's indicator; with a 中期/长期 block beside the 年度 block, one indicator when both
        sides name the same one, else one per named side (the period side first)."""
        table, r = row.table, row.row
        sides = [(cell_text(table, r, n), p, a) for n, p, a in self.columns.sides]
        sides = [s for s in sides if s[0]]
        sides.sort(key=lambda s: s[2] is not None and s[1] is None)  # period-only side first
        if len(sides) == 2 and sides[0][0] == sides[1][0]:
            name = sides[0][0]
            period = sides[0][1] if sides[0][1] is not None else sides[1][1]
            annual = sides[1][2] if sides[1][2] is not None else sides[0][2]
            sides = [(name, period, annual)]
        return [self._indicator(row, sign_cols, *side) for side in sides]

    def _indicator(self, row: _Row, sign_cols: list[int], name: str, period_col: int | None,
                   annual_col: int | None) -> Indicator:
        cols = self.columns
        table, r = row.table, row.row
        page, bbox, conf = row_provenance(table, r, row.content)
        level1, level2 = self._levels(row.level1, row.level2, page)
        values = self.vocab.indicator_values
        sign = ""
        extra: dict[str, str] = {}
        for col in sign_cols:
            text = cell_text(table, r, col)
            if text in values["signs"]:
                sign = sign or text
            elif text not in values["no_sign"]:
                extra[self._header(col)] = text  # e.g. 正向/反向 under 指标性质
        unit = cell_text(table, r, cols.first("unit"))
        if unit in values["no_unit"]:
            unit = ""
        for header, col in cols.extra:
            text = cell_text(table, r, col)
            if col not in sign_cols and text:
                extra[header] = text
        hint = unit or bracket_unit(name)
        return Indicator(
            level1=level1[0], level2=level2[0], level1_code=level1[1], level2_code=level2[1],
            name=name,
            period_target=self._target(table, r, period_col, sign, unit, hint),
            annual_target=self._target(table, r, annual_col, sign, unit, hint),
            extra=extra, page=page, bbox=bbox, confidence=conf)

    def _header(self, col: int) -> str:
        for header, c in self.columns.extra:
            if c == col:
                return header
        for role, cs in self.columns.roles.items():
            if col in cs:
                return role
        return str(col)

    def _target(self, table: Table, r: int, col: int | None, sign: str, unit: str,
                hint: str | None) -> Target | None:
        if col is None:
            return None
        value = cell_text(table, r, col)
        if not value:
            return None
        raw = sign + value + (unit if unit and not value.endswith(unit) else "")
        return parse_target(raw, unit_hint=hint)

    def _levels(self, level1: str, level2: str, page: int) -> tuple[tuple[str, str], tuple[str, str]]:
        v = self.vocab
        m2 = v.level2.match(level2) if level2 else None
        if not level1 and m2 is not None and m2.key in v.level2_parents:
            level1 = v.level2_parents[m2.key]
        one = self._canonical(v.level1, v.level1_codes, level1, page) if level1 else ("", "other")
        if not level2:
            return one, ("", "other")
        if m2 is None and one[1] == "other" and one[0]:
            return one, (level2, "other")  # 管理类指标 and the like: free 二级 labels, kept as printed
        return one, self._canonical(v.level2, v.level2_codes, level2, page)

    def _canonical(self, labels, codes: dict[str, str], text: str, page: int) -> tuple[str, str]:
        m = labels.match(text)
        if m is None:
            if text in self._unknown:
                return text, "other"
            self._unknown.add(text)
            self.warnings.append(DocumentWarning(
                code="unknown_label", message=f"indicator label {text!r} matches no known label",
                page=page))
            return text, "other"
        return m.key, codes[m.key]


class IndicatorsReader(BlockReader):
    keys = ("indicators",)

    def __init__(self, form: FormContext):
        super().__init__(form)
        self.indicators: list[Indicator] = []
        self.projects: list[dict] = []  # a list table's projects, as Form fields
        self.warnings: list[DocumentWarning] = []
        self._table: IndicatorTable | None = None  # none until a header is found

    @classmethod
    def header_block(cls, vocab: Vocabulary, table: Table, r: int,
                     content: list[Cell]) -> Block | None:
        above = table.row_cells(r - 1) if r else None  # a heading over a 中期/年度 block
        columns = IndicatorColumns.from_header(content, vocab, above)
        if columns is None:
            return None
        split = columns.split_value_columns(table, r, vocab)
        return Block("indicators", header=columns, header_rows=2 if split else 1)

    def start(self, block: Block) -> None:
        super().start(block)
        # found by its label alone, the block reads no rows until its header
        self._table = IndicatorTable(self.vocab, block.header) \
            if isinstance(block.header, IndicatorColumns) else None

    def repeats(self, block: Block) -> bool:
        return self._table is not None and isinstance(block.header, IndicatorColumns) \
            and self._table.columns.roles == block.header.roles

    def feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        if self._table is not None:
            self._table.add_row(table, r, cells)

    def end(self) -> None:
        if self._table is not None:
            for first_row, indicators in self._table.finish_by_project():
                if first_row is None:
                    self.indicators.extend(indicators)
                else:
                    self.projects.append(self._list_project(first_row, indicators))
            self.warnings.extend(self._table.warnings)
            self._table = None
        super().end()

    def finish(self, parts: FormParts) -> None:
        parts.fields["indicators"] = self.indicators
        parts.projects.extend(self.projects)
        parts.warnings.extend(self.warnings)

    def _list_project(self, row: _Row, indicators: list[Indicator]) -> dict:
        """One project of a list table: its own fields from the cells it stands under."""
        meta = self.form.reader(MetaReader)
        table, r = row.table, row.row
        fields: dict = {"indicators": indicators, "budget": []}
        for key, (col, header) in self._table.columns.projects.items():
            cell = table.cell_at(r, col)
            text = clean_text(cell.text) if cell is not None else ""
            if key == "budget":
                item = strip_trailing_brackets(header)
                page, bbox, conf = row_provenance(table, r, [cell]) if cell else (None, None, None)
                fields["budget"].append(BudgetItem(
                    group=item, item=item, amount=parse_amount(text),
                    unit=bracket_unit(header) or meta.unit,
                    amount_raw=text or None, page=page, bbox=bbox, confidence=conf))
            else:
                fields[key] = text or None
        fields["pages"] = sorted({i.page for i in indicators if i.page} | {row.project.page})
        if not fields.get("department"):  # the form's own (部门：… above the table)
            fields["department"] = meta.department()
        return fields
