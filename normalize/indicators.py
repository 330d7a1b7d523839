"""The 绩效指标 table: header columns by their text, rows into Indicators.

Columns are found by header text (labels.toml [indicator_columns]), never by position. Rows are
buffered and read when the table ends, because which column holds the signs is known only from
its cells ("the sign column is whichever column holds the signs, whatever its header says").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..extract.grid import Cell, Table
from ..extract.text import clean_text
from ..models import Indicator, Target, Warning
from .amounts import bracket_unit
from .cells import cell_text, row_provenance
from .targets import parse_target
from .vocabulary import Vocabulary

# columns whose text is never a sign or an extra: they are the indicator itself
_CORE_ROLES = ("level1", "level2", "level", "name", "period_value", "annual_value", "unit")


@dataclass
class IndicatorColumns:
    """Grid columns of an indicator table, by role; `extra` keeps every other header."""

    roles: dict[str, list[int]]
    extra: list[tuple[str, int]]  # (header text, column)

    @classmethod
    def from_header(cls, cells: list[Cell], vocab: Vocabulary) -> IndicatorColumns | None:
        roles: dict[str, list[int]] = {}
        extra: list[tuple[str, int]] = []
        for cell in cells:
            text = clean_text(cell.text)
            if not text:
                continue
            m = vocab.indicator_columns.match(text)
            if m is None:
                extra.append((text, cell.col))
            else:
                roles.setdefault(m.key, []).append(cell.col)
        has_value = "annual_value" in roles or "period_value" in roles
        others = set(roles) - {"name", "annual_value", "period_value"}
        if "name" not in roles or not has_value or not others:
            return None
        return cls(roles=roles, extra=extra)

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


@dataclass
class IndicatorReader:
    """Reads the data rows under one indicator header."""

    vocab: Vocabulary
    columns: IndicatorColumns
    warnings: list[Warning] = field(default_factory=list)
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
        names = [cell_text(table, r, c) for c in cols.roles["name"]]
        if not any(names):
            return  # a 二级 label with no 三级指标, or a spacer row: not an indicator
        name_cell = table.cell_at(r, cols.roles["name"][-1] if names[-1] else cols.roles["name"][0])
        if name_cell is not None and name_cell.row != r:
            return  # a 三级指标 cell spanning rows names one indicator, on its first row
        value_cols = cols.roles.get("annual_value", []) + cols.roles.get("period_value", [])
        if any(table.cell_at(r, c) is name_cell for c in value_cols):
            return  # one cell across name and value columns: a total or a note (合计, 说明, 备注)
        self._rows.append(_Row(table, r, content, self._level1, self._level2))

    def finish(self) -> list[Indicator]:
        signs = self._sign_columns()
        return [self._indicator(row, signs) for row in self._rows]

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

    def _indicator(self, row: _Row, sign_cols: list[int]) -> Indicator:
        cols = self.columns
        table, r = row.table, row.row
        page, bbox, conf = row_provenance(table, r, row.content)
        level1, level2 = self._levels(row.level1, row.level2, page)
        name, period_name = self._names(table, r)
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
        if period_name and period_name != name:
            extra[self._header(cols.roles["name"][0])] = period_name
        hint = unit or bracket_unit(name)
        return Indicator(
            level1=level1[0], level2=level2[0], level1_code=level1[1], level2_code=level2[1],
            name=name,
            period_target=self._target(table, r, cols.first("period_value"), sign, unit, hint),
            annual_target=self._target(table, r, cols.first("annual_value"), sign, unit, hint),
            extra=extra, page=page, bbox=bbox, confidence=conf)

    def _names(self, table: Table, r: int) -> tuple[str, str]:
        """The indicator's name; with a 中期/长期 block beside the 年度 block (two 三级 columns),
        the annual block's name and the period block's."""
        cols = self.columns.roles["name"]
        names = [cell_text(table, r, c) for c in cols]
        if len(names) == 1:
            return names[0], ""
        period_first = self._period_block_first()
        period, annual = (names[0], names[-1]) if period_first else (names[-1], names[0])
        return annual or period, period

    def _period_block_first(self) -> bool:
        roles = self.columns.roles
        if "period_value" not in roles or "annual_value" not in roles:
            return False
        return roles["period_value"][0] < roles["annual_value"][0]

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
        two = self._canonical(v.level2, v.level2_codes, level2, page) if level2 else ("", "other")
        if not level1 and level2 and two[0] in v.level2_parents:
            level1 = v.level2_parents[two[0]]
        one = self._canonical(v.level1, v.level1_codes, level1, page) if level1 else ("", "other")
        return one, two

    def _canonical(self, labels, codes: dict[str, str], text: str, page: int) -> tuple[str, str]:
        m = labels.match(text)
        if m is None:
            if text in self._unknown:
                return text, "other"
            self._unknown.add(text)
            self.warnings.append(Warning(code="unknown_label",
                                         message=f"indicator label {text!r} matches no known label",
                                         page=page))
            return text, "other"
        return m.key, codes[m.key]
