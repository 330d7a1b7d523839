"""The one interface of the block readers, and what the readers of one form share.

A form is read block by block. The assembler (normalize/forms.py) finds where a block starts by
the role of a row's label (labels.toml [blocks]) or of a header row (a reader's `header_block`),
then, for that block's readers: `start`, `feed` each of the block's rows, `end` when another block
starts; when the form's rows are over, `finish` writes what each reader read into the form.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from ...extract.grid import Cell, Table, TextLine
from ...models import DocumentWarning
from ..vocabulary import Vocabulary

# A row of `label | value` pairs standing outside any block (项目名称 | 主体班 | 项目金额 | 164万元):
# read as a block one row long by the readers whose labels it holds (fields, stand-alone amounts).
PAIRS = "pairs"


@dataclass
class FormDraft:
    title: str
    title_page: int
    items: list[Table | TextLine] = field(default_factory=list)
    title_recognised: bool = True


@dataclass(frozen=True)
class Block:
    """Where a block starts. `key` names it (labels.toml [blocks], or PAIRS); `label` is its label
    as printed ("" when its header found it); `label_rows` the rows a side label spans; `header`
    the header row that found it, in its reader's own terms, and `header_rows` how many grid rows
    that header takes."""

    key: str
    label: str = ""
    label_rows: range | None = None
    header: object | None = None
    header_rows: int = 1


@dataclass
class FormParts:
    """What the readers of one form read: `fields` are the Form's own fields by name; a list
    table's projects become forms of their own; warnings are about the form."""

    fields: dict[str, object] = field(default_factory=dict)
    projects: list[dict] = field(default_factory=list)
    warnings: list[DocumentWarning] = field(default_factory=list)


R = TypeVar("R", bound="BlockReader")


class FormContext:
    """What the readers of one form share: the vocabulary, the form's draft, and one another (the
    budget and list-table readers take the form's stated unit and department from the meta
    reader)."""

    def __init__(self, vocab: Vocabulary, draft: FormDraft, file_name: str):
        self.vocab = vocab
        self.draft = draft
        self.file_name = file_name
        self.readers: dict[type[BlockReader], BlockReader] = {}

    def open_readers(self, classes: tuple[type[BlockReader], ...]) -> list[BlockReader]:
        """One reader of each class for this form."""
        self.readers = {cls: cls(self) for cls in classes}
        return list(self.readers.values())

    def reader(self, cls: type[R]) -> R:
        return self.readers[cls]  # type: ignore[return-value]


class BlockReader(ABC):
    """Reads the blocks named by `keys`; one instance per form, so what a reader learns in one
    block (a task table's columns) holds for the next block of its kind."""

    keys: ClassVar[tuple[str, ...]] = ()
    # blocks whose content stands only beside their label: rows below its span are not theirs
    side_label_only: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, form: FormContext):
        self.form = form
        self.vocab = form.vocab
        self.block: Block | None = None  # the block being read

    @classmethod
    def header_block(cls, vocab: Vocabulary, table: Table, r: int,
                     content: list[Cell]) -> Block | None:
        """The block a header row of this reader's starts, if row `r` is one (`content`: the row's
        cells right of any block label)."""
        return None

    def start(self, block: Block) -> None:
        self.block = block

    def repeats(self, block: Block) -> bool:
        """True when `block` is the start of the block being read printed again (its header
        repeated on a new page): the block goes on."""
        return False

    @abstractmethod
    def feed(self, table: Table, r: int, cells: list[Cell]) -> None:
        """One row of the block: `cells` are the row's cells, less the block's label where the
        row holds it."""

    def end(self) -> None:
        self.block = None

    @abstractmethod
    def finish(self, parts: FormParts) -> None:
        """Write what the reader read into the form's parts."""
