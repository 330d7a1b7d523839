"""From the extractor's tables and lines to contract Forms.

Stages: `split_forms` finds each form by its title (or, with no title, by its indicator table);
`FormAssembler` walks the form's rows, finds where each block starts by the role of a row's label
(labels.toml [blocks]) or header (a block reader's `header_block`), and hands the block's rows to
its readers (normalize/blocks/, registry `BLOCK_READERS`); the readers' parts make the Form. Checks
run last.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from ..extract.grid import Cell, ExtractedDocument, Table, TextLine
from ..extract.text import clean_text
from ..models import DocumentWarning, Form
from .amounts import parse_amount
from .blocks import (BLOCK_READERS, PAIRS, READERS, Block, BlockReader, FormContext, FormDraft,
                     FormParts, IndicatorColumns, MetaReader)
from .checks import check_form
from .vocabulary import vocabulary

__all__ = ["FormAssembler", "FormDraft", "FormReader", "FormSplitter", "normalize_document",
           "split_forms"]


def _has_content(form: Form) -> bool:
    return bool(form.department or form.project_name or form.budget or form.overall_goal
                or form.tasks or form.indicators or form.facts)


def split_forms(doc: ExtractedDocument) -> tuple[list[FormDraft], list[Table | TextLine]]:
    """Cut the reading-order stream at each form title. Returns the drafts and what stood before
    the first title (kept to warn about it)."""
    splitter = FormSplitter()
    drafts = [d for item in doc.items for d in splitter.add(item)] + splitter.finish()
    return drafts, splitter.orphans


class FormSplitter:
    """The reading-order stream cut at each form title, item by item: a draft is complete when the
    next title (or the end) comes. What stands before the first title is `orphans`, unless it
    holds an indicator table: a form is found by its blocks too, under a title that is missing,
    cut or worded unlike any known title."""

    def __init__(self):
        self.orphans: list[Table | TextLine] = []
        self._draft: FormDraft | None = None
        self._titled = False  # a title was seen: the orphans are settled

    def add(self, item: Table | TextLine) -> list[FormDraft]:
        vocab = vocabulary()
        title: FormDraft | None = None
        if isinstance(item, TextLine) and vocab.is_title(item.text):
            title = FormDraft(title=clean_text(item.text), title_page=item.page)
        elif isinstance(item, Table):
            title_cell = _title_row(item)
            if title_cell is not None:
                title = FormDraft(title=clean_text(title_cell.text), title_page=title_cell.page)
        done: list[FormDraft] = []
        if title is not None:
            done = self._close()
            self._draft = title
            if isinstance(item, TextLine):
                return done
        (self._draft.items if self._draft is not None else self.orphans).append(item)
        return done

    def finish(self) -> list[FormDraft]:
        return self._close()

    def _close(self) -> list[FormDraft]:
        """The draft the next title ends; at the first title, the orphans' untitled form first."""
        done = [self._draft] if self._draft is not None else []
        if not self._titled:
            self._titled = True
            if any(isinstance(i, Table) and _has_indicator_header(i) for i in self.orphans):
                done.insert(0, _untitled_draft(self.orphans))
                self.orphans = []
        self._draft = None
        return done


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


class FormAssembler:
    """Walks one form's rows, hands each block's rows to its readers, and makes the Forms of what
    they read."""

    def __init__(self, draft: FormDraft, file_name: str):
        self.vocab = vocabulary()
        self.draft = draft
        context = FormContext(self.vocab, draft, file_name)
        self.readers = context.open_readers(READERS)
        self.meta = context.reader(MetaReader)
        self._block_readers = {key: [context.readers[cls] for cls in classes]
                               for key, classes in BLOCK_READERS.items()}
        self.block: Block | None = None

    def build(self) -> tuple[list[Form], list[DocumentWarning]]:
        pages = {self.draft.title_page}
        for item in self.draft.items:
            if isinstance(item, Table):
                pages.update(item.pages)
                self._walk(item)
            else:
                label = self.vocab.block_label(item.text)
                if label is not None:  # a block heading printed above its table
                    self._start(Block(label.key, clean_text(item.text)))
                else:
                    self.meta.read_line(item.text)
        self._end()
        parts = FormParts()
        for reader in self.readers:
            reader.finish(parts)
        form = Form(pages=sorted(pages), **parts.fields)
        forms = [form] if _has_content(form) else []
        warnings = parts.warnings
        if not forms and not parts.projects:
            # a title with nothing of a form under it: no invented records
            warnings.append(DocumentWarning(code="unknown_layout", page=self.draft.title_page,
                                            message=f"{self.draft.title!r}: no block of a declaration "
                                                    "form was recognised under this title"))
        # a list table: one form per project, under the table's title
        forms += [Form(title=self.meta.title, form_type=self.meta.form_type, year=self.meta.year,
                       **project) for project in parts.projects]
        # the readers' warnings (unknown labels) are about the form drawn under the title
        main = 0 if forms and forms[0] is form else None
        warnings = [w.model_copy(update={"form_index": main}) for w in warnings]
        for index, f in enumerate(forms):
            warnings += [w.model_copy(update={"form_index": index}) for w in check_form(f)]
        return forms, warnings

    # -- walking ---------------------------------------------------------------------------
    def _walk(self, table: Table) -> None:
        header_end = 0  # the first row below the last header found
        for r in range(table.n_rows):
            cells = table.row_cells(r)
            if not cells:
                continue
            first = cells[0]
            if r == 0 and _title_row(table) is first:
                continue
            label = self.vocab.block_label(first.text)
            content = cells[1:] if label is not None else cells
            header = self._header_block(table, r, content)
            if header is not None:
                header_end = r + header.header_rows
                if not self._repeats(header):  # a header repeated on a new page goes on
                    beside = label is not None and first.row == r  # its label, on the same row
                    self._start(replace(header, label=clean_text(first.text) if beside else ""))
                continue
            if r < header_end:
                continue  # the header's second row (its value sub-headers)
            if first.row == r and self._is_pairs_row(cells, label):
                self._start(Block(PAIRS))
                self._feed(table, r, cells)
                self._end()
                continue
            if label is not None and first.row == r:
                rows = first.rows if len(cells) > 1 else None
                self._start(Block(label.key, clean_text(first.text), rows))
            elif label is None and self._side_label_only() and self.block.label_rows is not None \
                    and r not in self.block.label_rows:
                self._end()  # its label's rows are over; what follows is no part of it
            self._feed(table, r, content)

    def _header_block(self, table: Table, r: int, content: list[Cell]) -> Block | None:
        for reader in self.readers:
            block = reader.header_block(self.vocab, table, r, content)
            if block is not None:
                return block
        return None

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

    # -- blocks ----------------------------------------------------------------------------
    def _current(self) -> list[BlockReader]:
        return self._block_readers.get(self.block.key, []) if self.block is not None else []

    def _side_label_only(self) -> bool:
        return any(self.block.key in reader.side_label_only for reader in self._current())

    def _repeats(self, block: Block) -> bool:
        return self.block is not None and self.block.key == block.key \
            and any(reader.repeats(block) for reader in self._current())

    def _start(self, block: Block) -> None:
        self._end()
        self.block = block
        for reader in self._current():
            reader.start(block)

    def _end(self) -> None:
        for reader in self._current():
            reader.end()
        self.block = None

    def _feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        for reader in self._current():
            reader.feed(table, r, cells)


def normalize_document(doc: ExtractedDocument, file_name: str) -> tuple[list[Form], list[DocumentWarning]]:
    reader = FormReader(file_name)
    forms = list(reader.read(doc.items))
    return forms, reader.warnings


class FormReader:
    """Forms as the extractor's items come, in reading order: each form is built as soon as the
    next title (or the end) closes it, and nothing of it is kept here but its warnings. `read`
    (or `add` for each item, then `finish`); then `warnings` holds the whole document's form
    warnings."""

    def __init__(self, file_name: str):
        self.file_name = file_name
        self.warnings: list[DocumentWarning] = []
        self.count = 0  # forms made so far: the next form's index
        self._splitter = FormSplitter()

    def read(self, items: Iterable[Table | TextLine]) -> Iterator[Form]:
        """Each form of `items` as soon as it is closed."""
        for item in items:
            yield from self.add(item)
        yield from self.finish()

    def add(self, item: Table | TextLine) -> list[Form]:
        return [f for draft in self._splitter.add(item) for f in self._build(draft)]

    def finish(self) -> list[Form]:
        forms = [f for draft in self._splitter.finish() for f in self._build(draft)]
        for item in self._splitter.orphans:
            if isinstance(item, Table):
                self.warnings.append(DocumentWarning(
                    code="unknown_layout", page=item.first_page,
                    message="a table stands before any form title; its rows were not read"))
        return forms

    def _build(self, draft: FormDraft) -> list[Form]:
        built, form_warnings = FormAssembler(draft, self.file_name).build()
        offset = self.count  # the assembler counts its own forms from 0
        if not draft.title_recognised and built:
            self.warnings.append(DocumentWarning(
                code="title_not_recognised", page=draft.title_page, form_index=offset,
                message=f"no known form title above the indicator table; read as a form titled "
                        f"{draft.title!r}" if draft.title else
                        "no form title above the indicator table; read as an untitled form"))
        self.warnings.extend(w if w.form_index is None else
                             w.model_copy(update={"form_index": w.form_index + offset})
                             for w in form_warnings)
        self.count += len(built)
        return built
