"""The cell grid the extract stage hands to the normalizer, from the text layer and OCR alike.

A `Table` is a grid of `Cell`s. Merged cells are one `Cell` with `rowspan`/`colspan` > 1 (no `None`
placeholders); `Table.cell_at(r, c)` finds the cell covering a grid position. A table stitched
across pages keeps each cell's own page and box. Boxes are on the page as displayed, also where
the page was read turned (extract/orientation.py maps them back once the tables are stitched), so
that what comes after extract never deals with turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, top-left origin


@dataclass
class CellRepair:
    """What OCR repair (extract/ocr/repairs.toml) changed in a cell: where, what the engine read,
    what it became, by which rules. It travels on the cell (and on the cell it is joined into
    across a page break) to the `ocr_repaired` warning."""

    page: int
    bbox: BBox
    before: str
    after: str
    rules: list[str]
    confidence: float | None


@dataclass
class Cell:
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str  # characters mapped per the contract, line breaks kept as "\n"
    page: int  # 1-based
    bbox: BBox
    confidence: float | None = None  # None for a text layer
    repairs: list[CellRepair] = field(default_factory=list)  # OCR only

    @property
    def rows(self) -> range:
        return range(self.row, self.row + self.rowspan)

    @property
    def cols(self) -> range:
        return range(self.col, self.col + self.colspan)


@dataclass
class Table:
    cells: list[Cell]
    n_rows: int
    n_cols: int
    col_edges: list[float] = field(default_factory=list)  # x of each column boundary, as read
    # pages on which the table was read a quarter turn from the page as displayed: there its rows
    # run up or down the displayed page (extract/orientation.py: as_displayed)
    sideways_pages: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self.cells.sort(key=lambda c: (c.row, c.col))
        self._cover: dict[tuple[int, int], Cell] = {}
        for cell in self.cells:
            for r in cell.rows:
                for c in cell.cols:
                    self._cover[(r, c)] = cell

    def cell_at(self, row: int, col: int) -> Cell | None:
        return self._cover.get((row, col))

    def row_cells(self, row: int) -> list[Cell]:
        """Distinct cells covering grid row `row`, left to right (merged cells from above included)."""
        seen: list[Cell] = []
        for c in range(self.n_cols):
            cell = self._cover.get((row, c))
            if cell is not None and (not seen or seen[-1] is not cell):
                seen.append(cell)
        return seen

    def row_box(self, page: int, across: list[Cell], along: list[Cell]) -> BBox:
        """The box on `page` of a row of the table: as far across the table as the cells
        `across` reach, as far down its columns as the cells `along` (a row's own cells, not the
        merged ones reaching into it from above)."""
        xs, ys = (along, across) if page in self.sideways_pages else (across, along)
        return (min(c.bbox[0] for c in xs), min(c.bbox[1] for c in ys),
                max(c.bbox[2] for c in xs), max(c.bbox[3] for c in ys))

    @property
    def pages(self) -> list[int]:
        return sorted({c.page for c in self.cells})

    @property
    def first_page(self) -> int:
        return min(c.page for c in self.cells)

    @property
    def top(self) -> float:
        return min(c.bbox[1] for c in self.cells if c.page == self.first_page)


@dataclass
class TextLine:
    """Text outside any table (titles, unit notes, page numbers). `clipped`: characters the text
    layer holds off the page, never printed (the part of a cut merged cell's text that fell on the
    other side of a page break): evidence for joining the cut table, dropped with the join."""

    text: str
    page: int
    bbox: BBox
    clipped: bool = False
    repairs: list[CellRepair] = field(default_factory=list)  # a one-text OCR "grid" made a line


@dataclass
class ExtractedDocument:
    """What an extractor hands to the normalizer: tables and loose text lines in reading order."""

    page_count: int
    items: list[Table | TextLine]
    method: str = "text"  # "text" | "ocr"
    ocr_engine: str | None = None
    unusable_pages: list[int] = field(default_factory=list)  # pages whose text layer failed the check

    def repairs(self) -> list[CellRepair]:
        """Every OCR repair the document's cells and lines carry, in reading order."""
        return repairs_of(self.items)


def repairs_of(items: list[Table | TextLine]) -> list[CellRepair]:
    """The OCR repairs the items' cells and lines carry, in order."""
    return [rep for item in items for part in (item.cells if isinstance(item, Table) else [item])
            for rep in part.repairs]
