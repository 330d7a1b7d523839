"""From the extractor's tables and lines to contract Forms.

Stages: `split_forms` finds each form by its title; `FormBuilder` walks the form's table rows,
finds blocks by their labels (labels.toml) and hands each block's rows to its parser; columns are
mapped by their header text. Checks run last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..extract.grid import Cell, ExtractedDocument, Table, TextLine
from ..extract.text import clean_text
from ..models import BudgetItem, Fact, Form, Indicator, Task, Warning
from .amounts import bracket_unit, parse_amount
from .cells import boxes_as_displayed, cell_text, row_provenance
from .checks import check_form
from .indicators import IndicatorColumns, IndicatorReader
from .vocabulary import strip_trailing_brackets, vocabulary

def _has_content(form: Form) -> bool:
    return bool(form.department or form.project_name or form.budget or form.overall_goal
                or form.tasks or form.indicators or form.facts)


# blocks whose content stands only beside their label: rows below the label's span are not theirs
_SPAN_ONLY_BLOCKS = {"other_tasks", "overall_goal", "basic_info"}
_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(?:年|\s*年度|(?!\d))")


@dataclass
class FormDraft:
    title: str
    title_page: int
    items: list[Table | TextLine] = field(default_factory=list)
    title_recognised: bool = True


def split_forms(doc: ExtractedDocument) -> tuple[list[FormDraft], list[Table | TextLine]]:
    """Cut the reading-order stream at each form title. Returns the drafts and what stood before
    the first title (kept to warn about it)."""
    vocab = vocabulary()
    drafts: list[FormDraft] = []
    orphans: list[Table | TextLine] = []
    for item in doc.items:
        if isinstance(item, TextLine) and vocab.is_title(item.text):
            drafts.append(FormDraft(title=clean_text(item.text), title_page=item.page))
            continue
        if isinstance(item, Table):
            title_cell = _title_row(item)
            if title_cell is not None:
                drafts.append(FormDraft(title=clean_text(title_cell.text), title_page=title_cell.page))
        (drafts[-1].items if drafts else orphans).append(item)
    if any(isinstance(i, Table) and _has_indicator_header(i) for i in orphans):
        # a form is found by its blocks too: an indicator table under a title that is missing,
        # cut or worded unlike any known title
        drafts.insert(0, _untitled_draft(orphans))
        orphans = []
    return drafts, orphans


def _has_indicator_header(table: Table) -> bool:
    vocab = vocabulary()
    return any(IndicatorColumns.from_header(table.row_cells(r), vocab) is not None
               for r in range(table.n_rows))


def _untitled_draft(items: list[Table | TextLine]) -> FormDraft:
    """The form's title is the first line above its table that names a form (绩效, 表), else empty."""
    vocab = vocabulary()
    first_table = next(i for i in items if isinstance(i, Table))
    lines = [i for i in items[: items.index(first_table)] if isinstance(i, TextLine)]
    named = [ln for ln in lines if any(k in clean_text(ln.text) for k in vocab.titles["hints"])]
    title = named[0] if named else None
    return FormDraft(title=clean_text(title.text) if title else "",
                     title_page=title.page if title else first_table.first_page,
                     items=list(items), title_recognised=False)


def _title_row(table: Table) -> Cell | None:
    """A title printed as the table's first, full-width cell."""
    first = table.row_cells(0)
    if len(first) == 1 and first[0].colspan == table.n_cols and vocabulary().is_title(first[0].text):
        return first[0]
    return None


def year_of(draft: FormDraft, file_name: str) -> int | None:
    """Budget year from the title, else a loose line of the form, else the file name."""
    texts = [draft.title] + [clean_text(i.text) for i in draft.items if isinstance(i, TextLine)]
    texts.append(file_name)
    for text in texts:
        m = _YEAR.search(text)
        if m:
            return int(m.group(1))
    return None


@dataclass
class _BudgetPair:
    group: str
    label_col: int
    amount_col: int
    unit: str
    rows: list[BudgetItem] = field(default_factory=list)


class FormBuilder:
    """Walks one form's table rows and fills a Form."""

    def __init__(self, draft: FormDraft, file_name: str):
        self.vocab = vocabulary()
        self.draft = draft
        self.form_type = self.vocab.form_type(draft.title)
        self.fields: dict[str, str] = {}
        self._line_fields: dict[str, str] = {}  # `部门：…` lines outside the table
        self.unit = self._stated_unit()
        self.budget: list[BudgetItem] = []
        self.facts: list[Fact] = []
        self.projects: list[dict] = []  # a list table's projects
        self.goal_parts: list[str] = []
        self.goals: dict[str, str] = {}
        self._goal_header: dict[int, str] = {}
        self._budget_columns: dict[int, str] = {}
        self.tasks: list[Task] = []
        self.indicators: list[Indicator] = []
        self.warnings: list[Warning] = []
        self.year = year_of(draft, file_name)
        self.block: str | None = None
        self._block_label = ""
        self._label_rows: range | None = None  # rows a side label spans, for span-only blocks
        self._pairs: list[_BudgetPair] = []
        self._task_cols: dict[str, int] = {}
        self._funds_unit: str | None = None
        self._indicator_reader: IndicatorReader | None = None

    # -- walking ---------------------------------------------------------------------------
    def build(self) -> tuple[list[Form], list[Warning]]:
        pages = {self.draft.title_page}
        for item in self.draft.items:
            if isinstance(item, Table):
                pages.update(item.pages)
                self._walk(item)
            else:
                label = self.vocab.block_label(item.text)
                if label is not None:  # a block heading printed above its table
                    self._start_block(label.key, clean_text(item.text), None)
                else:
                    self._line_field(item.text)
        self._end_block()
        form = Form(
            title=self.draft.title,
            form_type=self.form_type,
            pages=sorted(pages),
            year=self.year,
            department=self._department(),
            project_name=self.fields.get("project_name") or None,
            budget=self.budget,
            overall_goal="".join(self.goal_parts) or None,
            tasks=self.tasks,
            indicators=self.indicators,
            goals=self.goals,
            facts=self.facts,
        )
        forms = [form] if _has_content(form) else []
        if not forms and not self.projects:
            # a title with nothing of a form under it: no invented records
            self.warnings.append(Warning(code="unknown_layout", page=self.draft.title_page,
                                         message=f"{self.draft.title!r}: no block of a declaration "
                                                 "form was recognised under this title"))
        # a list table: one form per project, under the table's title
        forms += [Form(title=self.draft.title, form_type=self.form_type, year=self.year, **project)
                  for project in self.projects]
        # the reader's warnings (unknown labels) are about the form drawn under the title
        main = 0 if forms and forms[0] is form else None
        warnings = [w.model_copy(update={"form_index": main}) for w in self.warnings]
        for index, f in enumerate(forms):
            warnings += [w.model_copy(update={"form_index": index}) for w in check_form(f)]
        return forms, warnings

    def _list_project(self, columns: IndicatorColumns, row, indicators: list[Indicator]) -> dict:
        """One project of a list table: its own fields from the cells it stands under."""
        table, r = row.table, row.row
        fields: dict = {"indicators": indicators, "budget": []}
        for key, (col, header) in columns.projects.items():
            cell = table.cell_at(r, col)
            text = clean_text(cell.text) if cell is not None else ""
            if key == "budget":
                item = strip_trailing_brackets(header)
                page, bbox, conf = row_provenance(table, r, [cell]) if cell else (None, None, None)
                fields["budget"].append(BudgetItem(
                    group=item, item=item, amount=parse_amount(text),
                    unit=bracket_unit(header) or self.unit,
                    amount_raw=text or None, page=page, bbox=bbox, confidence=conf))
            else:
                fields[key] = text or None
        fields["pages"] = sorted({i.page for i in indicators if i.page} | {row.project.page})
        if not fields.get("department"):  # the form's own (部门：… above the table)
            fields["department"] = self._department()
        return fields

    def _department(self) -> str | None:
        if self.form_type == "project":
            keys = ("competent_department", "implementing_unit", "department")
        else:
            keys = ("department", "competent_department", "implementing_unit")
        for fields in (self.fields, self._line_fields):  # the table's own fields first
            for key in keys:
                if fields.get(key):
                    return fields[key]
        return None

    def _stated_unit(self) -> str:
        """The amount unit the form states in a line above or below its table (`金额单位：元`)."""
        for text in [self.draft.title] + [i.text for i in self.draft.items if isinstance(i, TextLine)]:
            unit = self.vocab.stated_unit(text)
            if unit:
                return unit
        return self.vocab.budget["default_unit"]

    def _line_field(self, text: str) -> None:
        """`部门：505_湘西州教育和体育局` printed above the table."""
        line = clean_text(text)
        label, sep, value = line.partition("：" if "：" in line else ":")
        m = self.vocab.fields.match(label) if sep and value else None
        if m is not None and not self.vocab.stated_unit(text):
            self._line_fields.setdefault(m.key, value)

    def _walk(self, table: Table) -> None:
        skip_row = -1
        for r in range(table.n_rows):
            cells = table.row_cells(r)
            if not cells:
                continue
            first = cells[0]
            if r == 0 and _title_row(table) is first:
                continue
            label = self.vocab.block_label(first.text)
            content = cells[1:] if label is not None else cells
            header = IndicatorColumns.from_header(content, self.vocab,
                                                  table.row_cells(r - 1) if r else None)
            if header is not None:
                if header.split_value_columns(table, r, self.vocab):
                    skip_row = r + 1  # the sub-header row
                self._indicator_header(header, label if first.row == r else None, first)
                continue  # a header row (or its repeat on a new page)
            if r == skip_row:
                continue
            if first.row == r and self._is_pairs_row(cells, label):
                self._end_block()
                self._read_pairs(table, r, cells)
                continue
            if label is not None and first.row == r:
                rows = first.rows if len(cells) > 1 else None
                self._start_block(label.key, clean_text(first.text), rows)
            elif label is None and self.block in _SPAN_ONLY_BLOCKS and self._label_rows is not None \
                    and r not in self._label_rows:
                self._end_block()  # its label's rows are over; what follows is no part of it
            self._feed(table, r, content)

    def _indicator_header(self, header: IndicatorColumns, label, label_cell: Cell) -> None:
        reader = self._indicator_reader
        if self.block == "indicators" and reader is not None and reader.columns.roles == header.roles:
            return  # the header repeated on a new page
        self._start_block("indicators", clean_text(label_cell.text) if label else "", None)
        self._indicator_reader = IndicatorReader(self.vocab, header)

    def _start_block(self, key: str, label: str, rows: range | None) -> None:
        self._end_block()
        self.block = key
        self._block_label = label
        self._label_rows = rows

    def _is_pairs_row(self, cells: list[Cell], label) -> bool:
        """`项目名称 | 主体班 | 项目负责人 | …` or `项目金额 | 164万元 | 其中:当年市级财政资金 | 132万元`:
        label and value side by side. A label that only resembles a block's (项目金额 against
        项目资金) does not open that block when an amount stands beside it."""
        first = cells[0]
        if label is not None and label.score == 100:
            return False
        if label is None and self.vocab.fields.match(first.text):
            return True
        return len(cells) > 1 and self.vocab.is_standalone_budget_label(first.text) \
            and parse_amount(cells[1].text) is not None

    def _read_pairs(self, table: Table, r: int, cells: list[Cell]) -> None:
        """Fields (`label | value`) and stand-alone amounts (`资金总额（万元） | 3,600.00`), each
        amount its own group, the unit from the label's brackets, else the form's."""
        for label_cell, value_cell in zip(cells, cells[1:]):
            m = self.vocab.fields.match(label_cell.text)
            if m is not None and not self.vocab.fields.match(value_cell.text):
                self.fields.setdefault(m.key, clean_text(value_cell.text))
                continue
            if not self.vocab.is_standalone_budget_label(label_cell.text):
                continue
            raw = clean_text(value_cell.text)
            if raw and parse_amount(raw) is None:
                continue
            label = clean_text(label_cell.text)
            item = strip_trailing_brackets(label)
            page, bbox, conf = row_provenance(table, r, [label_cell, value_cell])
            self.budget.append(BudgetItem(
                group=item, item=item, amount=parse_amount(raw),
                unit=bracket_unit(label) or self.unit, amount_raw=raw or None,
                page=page, bbox=bbox, confidence=conf))

    def _end_block(self) -> None:
        if self._indicator_reader is not None:
            reader = self._indicator_reader
            for first_row, indicators in reader.finish_by_project():
                if first_row is None:
                    self.indicators.extend(indicators)
                else:
                    self.projects.append(self._list_project(reader.columns, first_row, indicators))
            self.warnings.extend(reader.warnings)
            self._indicator_reader = None
        for pair in self._pairs:
            self.budget.extend(pair.rows)
        self._pairs = []
        self._goal_header = {}
        self._budget_columns = {}
        self.block = None
        self._label_rows = None

    def _feed(self, table: Table, r: int, content: list[Cell]) -> None:
        if self.block == "budget":
            self._budget_row(table, r, content)
        elif self.block == "overall_goal":
            self._goal_row(table, r, content)
        elif self.block == "tasks":
            self._task_row(table, r, content)
        elif self.block == "other_tasks":
            self._other_task_row(table, r, content)
        elif self.block == "indicators" and self._indicator_reader is not None:
            self._indicator_reader.add_row(table, r, content)
        elif self.block == "basic_info":
            self._fact_row(table, r, content)

    # -- budget ----------------------------------------------------------------------------
    def _budget_row(self, table: Table, r: int, content: list[Cell]) -> None:
        headers = [i for i, c in enumerate(content) if i > 0 and c.row == r
                   and self.vocab.is_amount_header(c.text)]
        if content and self.vocab.is_amount_header(content[0].text):
            headers = []  # a row of amount labels over their amounts, no label column
        if headers:
            for pair in self._pairs:
                self.budget.extend(pair.rows)
            block_unit = bracket_unit(self._block_label) or self.unit
            self._pairs = []
            for i in headers:
                j = i
                while j - 1 in headers:  # columns side by side (年初预算数 | 全年预算数 | 全年执行数)
                    j -= 1
                left = clean_text(content[j - 1].text)
                two_d = j != i or not left or self.vocab.is_amount_header(left)
                header = clean_text(content[i].text)
                self._pairs.append(_BudgetPair(
                    # 2-D: the column's header is the group, the row label the item
                    group=strip_trailing_brackets(header) if two_d else left,
                    label_col=content[j - 1].col, amount_col=content[i].col,
                    unit=bracket_unit(header) or block_unit))
            return
        if not self._pairs:
            self._budget_pairs_row(table, r, content)
            return
        for pair in self._pairs:
            label_cell = table.cell_at(r, pair.label_col)
            amount_cell = table.cell_at(r, pair.amount_col)
            item = clean_text(label_cell.text) if label_cell else ""
            if not item or label_cell.row != r or len(item) > self.vocab.budget["max_item_length"]:
                continue
            cells = [c for c in (label_cell, amount_cell) if c is not None]
            page, bbox, conf = row_provenance(table, r, cells)
            raw = clean_text(amount_cell.text) if amount_cell else ""
            pair.rows.append(BudgetItem(
                group=pair.group, item=item, amount=parse_amount(raw), unit=pair.unit,
                amount_raw=raw or None, page=page, bbox=bbox, confidence=conf))

    def _budget_pairs_row(self, table: Table, r: int, content: list[Cell]) -> None:
        """Budget rows under a block label such as 项目资金（万元） with no amount header: `label |
        amount` pairs, or a row of labels with the amounts in the row below. The group is the
        block label, the unit its brackets."""
        group = strip_trailing_brackets(self._block_label)
        unit = bracket_unit(self._block_label) or self.unit
        own = [c for c in content if c.row == r]
        texts = [clean_text(c.text) for c in own]
        if texts and all(texts) and not any(parse_amount(t) is not None for t in texts):
            self._budget_columns = {c.col: t for c, t in zip(own, texts)}  # labels above amounts
            return
        if self._budget_columns and texts and all(parse_amount(t) is not None for t in texts if t):
            for cell, text in zip(own, texts):
                item = self._budget_columns.get(cell.col)
                if item is None:
                    continue
                page, bbox, conf = row_provenance(table, r, [cell])
                self.budget.append(BudgetItem(group=group, item=item, amount=parse_amount(text),
                                              unit=unit, amount_raw=text or None, page=page,
                                              bbox=bbox, confidence=conf))
            self._budget_columns = {}
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
            self.budget.append(BudgetItem(group=group, item=item, amount=parse_amount(amount_text),
                                          unit=unit, amount_raw=amount_text or None, page=page,
                                          bbox=bbox, confidence=conf))

    # -- basic information ---------------------------------------------------------------------
    def _fact_row(self, table: Table, r: int, content: list[Cell]) -> None:
        """基本信息: `label | figure` pairs (财政供养人员数 | 737 | 下属二级单位数 | 10)."""
        for label_cell, value_cell in zip(content[::2], content[1::2]):
            item = clean_text(label_cell.text)
            if label_cell.row != r or not item:
                continue
            raw = clean_text(value_cell.text)
            page, bbox, conf = row_provenance(table, r, [label_cell, value_cell])
            unit = bracket_unit(item)
            self.facts.append(Fact(group=strip_trailing_brackets(self._block_label),
                                   item=strip_trailing_brackets(item) if unit else item,
                                   value=parse_amount(raw), unit=unit, raw=raw or None,
                                   page=page, bbox=bbox, confidence=conf))

    # -- goal --------------------------------------------------------------------------------
    def _goal_row(self, table: Table, r: int, content: list[Cell]) -> None:
        """Goal texts: plain (the annual goal), `label | text` pairs, or a header row of labels
        with the texts below it."""
        own = [c for c in content if c.row == r]
        texts = [clean_text(c.text) for c in own]
        if texts and all(texts) and all(len(t) <= self.vocab.goal_label_max for t in texts) \
                and any(self.vocab.goal_labels.match(t) for t in texts):
            self._goal_header = {c.col: t for c, t in zip(own, texts)}
            return
        pending: str | None = None
        for cell, text in zip(own, texts):
            if not text:
                continue
            if pending is None and len(text) <= self.vocab.goal_label_max \
                    and self.vocab.goal_labels.match(text) and cell is not own[-1]:
                pending = text
                continue
            self._add_goal(pending or self._goal_header.get(cell.col), text)
            pending = None

    def _add_goal(self, label: str | None, text: str) -> None:
        m = self.vocab.goal_labels.match(label) if label else None
        if label is None or (m is not None and m.key == "annual"):
            if text not in self.goal_parts:
                self.goal_parts.append(text)
        else:
            self.goals[label] = text

    # -- tasks -------------------------------------------------------------------------------
    def _task_row(self, table: Table, r: int, content: list[Cell]) -> None:
        matches = {}
        for cell in content:
            m = self.vocab.task_columns.match(cell.text)
            if m is not None:
                matches.setdefault(m.key, cell)
        if len(matches) >= 2:
            self._task_cols = {k: c.col for k, c in matches.items()}
            if "funds" in matches:
                self._funds_unit = bracket_unit(matches["funds"].text)
            return
        if not self._task_cols or not content:
            return
        if self.vocab.block_label(content[0].text) is not None:
            # 其他需完成的任务 printed as a row of the tasks block
            self._other_task_row(table, r, content[1:])
            return
        values = {k: cell_text(table, r, col) for k, col in self._task_cols.items()}
        name_cell = table.cell_at(r, self._task_cols["name"]) if "name" in self._task_cols else None
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
        m = re.search(r"拟投入(?:的)?资金[：:]?(.*)$", text)
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



def normalize_document(doc: ExtractedDocument, file_name: str) -> tuple[list[Form], list[Warning]]:
    drafts, orphans = split_forms(doc)
    forms: list[Form] = []
    warnings: list[Warning] = []
    for draft in drafts:
        built, form_warnings = FormBuilder(draft, file_name).build()
        offset = len(forms)  # the builder counts its own forms from 0
        if not draft.title_recognised and built:
            warnings.append(Warning(
                code="title_not_recognised", page=draft.title_page, form_index=offset,
                message=f"no known form title above the indicator table; read as a form titled "
                        f"{draft.title!r}" if draft.title else
                        "no form title above the indicator table; read as an untitled form"))
        forms.extend(built)
        warnings.extend(w if w.form_index is None else
                        w.model_copy(update={"form_index": w.form_index + offset})
                        for w in form_warnings)
    for item in orphans:
        if isinstance(item, Table):
            warnings.append(Warning(code="unknown_layout",
                                    message="a table stands before any form title; its rows were not read",
                                    page=item.first_page))
    boxes_as_displayed(forms, doc.turns)
    return forms, warnings
