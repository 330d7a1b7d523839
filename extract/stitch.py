"""Join a table that a page break cut into one table.

A table on page p+1 continues the last table of page p when nothing but page furniture (page
numbers) stands between them and both have the same left and right edges. When joining:
- repeated header rows at the top of the continuation are dropped;
- a merged cell cut by the break (one fragment empty, the other holding the text, at least one
  spanning several rows) becomes one cell again, so a tall 一级指标 label whose text was drawn on
  either side of the break applies to all its rows.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .grid import Cell, Table, TextLine
from .text import compact

EDGE_TOLERANCE = 3.0
# page numbers as producers print them: `- 3 -`, `3/5`, `第 1 页，共 3 页`, `Page 2 of 4`
_PAGE_FURNITURE = re.compile(r"^[\s\-—–第页共/0-9，,.。:：()（）PpageofOF]*$")


def stitch_tables(items: list[Table | TextLine]) -> list[Table | TextLine]:
    stitcher = Stitcher()
    out = stitcher.add(items)
    return out + stitcher.finish()


class Stitcher:
    """Stitching as the pages come: `add` takes the next items in reading order and returns those
    that nothing later can change, `finish` the rest. Only the last table placed can be continued
    (by the next page's first table), and a table's join reads the lines after it up to the next
    table; so everything before the last table is final, and a long file is never held whole."""

    def __init__(self):
        self._placed: list[Table | TextLine] = []  # stitched, the last table and what follows it
        self._waiting: list[Table | TextLine] = []  # a table and the lines after it, not yet placed

    def add(self, items) -> list[Table | TextLine]:
        for item in items:
            if isinstance(item, Table):  # the lines after the waiting table are all in
                self._place_waiting()
            self._waiting.append(item)
        return self._release(final=False)

    def finish(self) -> list[Table | TextLine]:
        self._place_waiting()
        return self._release(final=True)

    def _place_waiting(self) -> None:
        items, self._waiting = self._waiting, []
        out = self._placed
        for i, item in enumerate(items):
            if isinstance(item, Table):
                prev = _previous_table(out, item)
                if prev is not None and _same_frame(prev, item):
                    idx = out.index(prev)  # the last table: only lines follow it
                    between = out[idx + 1:]
                    out[idx:] = [join(prev, item, between, _clipped_after(items, i))]
                    continue
            out.append(item)

    def _release(self, final: bool) -> list[Table | TextLine]:
        keep = len(self._placed) if final else next(
            (i for i in range(len(self._placed) - 1, -1, -1) if isinstance(self._placed[i], Table)),
            len(self._placed))
        done, self._placed = self._placed[:keep], self._placed[keep:]
        # text off the page was never printed: it served the joins only
        return [x for x in done if not (isinstance(x, TextLine) and x.clipped)]


def _clipped_after(items: list[Table | TextLine], i: int) -> list[TextLine]:
    """The text of the table `items[i]`'s cells cut by the next page break, printed after it
    before the next table: the clipped lines, and a line on the paper that starts above the
    table's last rule (a merged cell's text centred on the whole cell, drawn across that rule:
    the cell runs on over the break, `绩效指标` under the first rows of its block)."""
    table = items[i]
    last = max(table.pages)
    bottom = max((c.bbox[3] for c in table.cells if c.page == last), default=None)
    lines: list[TextLine] = []
    for item in items[i + 1:]:
        if isinstance(item, Table):
            break
        if item.clipped or (bottom is not None and item.page == last
                            and item.bbox[1] < bottom < item.bbox[3]):
            lines.append(item)
    return lines


def _previous_table(out: list, table: Table) -> Table | None:
    """The last table of the previous page, if only page furniture follows it."""
    page = table.first_page
    lines: list[TextLine] = []
    for item in reversed(out):
        if isinstance(item, TextLine):
            if not item.clipped:  # text off the page is no title between the tables
                lines.append(item)
            continue
        if max(item.pages) != page - 1:
            return None
        # cells a page break may cut: the last rows of one table, the first of the other (below
        # the header rows the producer repeats)
        first = _repeated_header_rows(item.cells, table.cells, table.n_rows)
        edge = [c for c in item.cells if c.row + c.rowspan >= item.n_rows - 1] + \
               [c for c in table.cells if c.row < first + 2]
        if all(_PAGE_FURNITURE.match(line.text) or _clipped_label(line.text, edge)
               for line in lines):
            return item
        # a clipped label wrapped over two lines, one of them sharing the footer's baseline
        if lines and _clipped_label("".join(line.text for line in reversed(lines)), edge):
            return item
        return None  # a title or note between the tables: not a continuation
    return None


def _clipped_label(line: str, cells: list[Cell]) -> bool:
    """A spreadsheet exporter centres a merged cell's text on the whole cell; when a page break
    cuts the cell, the part falling outside the table on paper is clipped away but stays in the
    text layer, as a loose line repeating cells at the break."""
    texts = [compact(c.text) for c in cells]
    parts = [part for part in line.split() if not _PAGE_FURNITURE.match(part)]
    if parts and all(any(part in t for t in texts) for part in parts):
        # a fragment of a cut cell's wrapped text, or of two: the characters of labels printed
        # one under another (项目支出 | 预算及测算依据) read across on one baseline (`支 预`, `测`),
        # maybe beside the footer (`细 第2页，共4页`)
        return True
    # the footer's page number may share the clipped text's baseline, the two interleaved
    # (`数量指第标1页，共2页`): the cells' characters are taken out in order, and what is left
    # must be page furniture; longest first, so that a short cell text (效益指标) does not take
    # the characters of a longer one (经济效益指标)
    whole = compact(line)
    longest_first = sorted({t for t in texts if t}, key=len, reverse=True)
    rest, found = whole, False
    for text in longest_first:
        left = _without_subsequence(rest, text)
        if left is not None:
            rest, found = left, True
    if found and _PAGE_FURNITURE.match(rest):
        return True
    # a long cut cell's first lines only (the rest printed on the next page), interleaved with
    # the footer on its baseline (`对认定的…以上第实施1一页对，一共援助2，页认`)
    for text in longest_first:
        left = _without_fragment(whole, text)
        if left is not None and _PAGE_FURNITURE.match(left):
            return True
    return False


def _clipped_in_column(lines: list[TextLine], text: str, cell: Cell, but_not: str = "") -> bool:
    """A clipped line within the cell's column repeats part of `text` (two characters or more;
    one, for a label printed a character per line) that is no part of `but_not`."""
    if not text:
        return False
    for line in lines:
        middle = (line.bbox[0] + line.bbox[2]) / 2
        within = cell.bbox[0] <= middle <= cell.bbox[2] or cell.bbox[0] <= line.bbox[0] <= cell.bbox[2]
        # the clipped text of cells side by side reads as one line across their columns
        # (`井研县马踏 基层组织活动 育培训,群团活动开展,组`): a part of two characters or more
        across = line.bbox[0] < cell.bbox[2] and line.bbox[2] > cell.bbox[0]
        if not (within or across):
            continue
        if not (within or but_not):
            # the labels of cells side by side, drawn below the table on one baseline (a merged
            # cell's text aligned to the bottom of the whole cell, which runs on over the
            # break), read as one line across their columns (`绩效指标 满意度指标 社会公众或服务
            # 对象满意度指标`): a word of it that is the cell's whole text counts in a column the
            # line crosses
            if any(len(word) >= 2 and word == text for word in line.text.split()):
                return True
            continue
        # labels printed a character per line side by side read across as one line (`支 预`);
        # without `but_not`, the clipped labels of cells side by side on one baseline
        # (`满意度指标 指标等`) count each, two characters or more
        parts = line.text.split() if but_not else [compact(line.text), *line.text.split()]
        for part in parts:
            if part and part in text and not (but_not and part in but_not) \
                    and (len(part) >= 2 or (but_not and within)):
                return True
    return False


def _clipped_other_text(lines: list[TextLine], text: str, cell: Cell) -> bool:
    """A clipped line within the cell's column holds text that is no part of `text`."""
    for line in lines:
        middle = (line.bbox[0] + line.bbox[2]) / 2
        if cell.bbox[0] <= middle <= cell.bbox[2]:
            own = compact(line.text)
            if own and not _PAGE_FURNITURE.match(own) and own not in text:
                return True
    return False


def _take_in_order(text: str, part: str) -> tuple[int, str]:
    """How many leading characters of `part` occur in order in `text`, and `text` without them."""
    kept: list[str] = []
    i = 0
    for ch in text:
        if i < len(part) and ch == part[i]:
            i += 1
        else:
            kept.append(ch)
    return i, "".join(kept)


def _without_subsequence(text: str, part: str) -> str | None:
    """`text` with the characters of `part` removed where they occur in order; None if they do not."""
    taken, kept = _take_in_order(text, part)
    return kept if taken == len(part) else None


def _without_fragment(text: str, whole: str) -> str | None:
    """`text` with the longest piece of `whole` (consecutive in `whole`, two characters or more)
    taken out where its characters occur in order in `text`; None if no such piece occurs."""
    best: tuple[int, str] | None = None
    for start in range(len(whole) - 1):
        taken, kept = _take_in_order(text, whole[start:])
        if taken >= 2 and (best is None or taken > best[0]):
            best = (taken, kept)
    return None if best is None else best[1]


def _same_frame(a: Table, b: Table) -> bool:
    return (abs(a.col_edges[0] - b.col_edges[0]) <= EDGE_TOLERANCE
            and abs(a.col_edges[-1] - b.col_edges[-1]) <= EDGE_TOLERANCE)


def join(a: Table, b: Table, between: list[TextLine] = (), after: list[TextLine] = ()) -> Table:
    """`b` continuing `a` on the next page; `between`: the lines printed between them (page
    furniture, and text of cells cut by the break, clipped off the paper); `after`: the clipped
    lines after `b`, the text of its cells that the next break cuts."""
    edges = _merge_edges(a.col_edges, b.col_edges)
    top = [_recolumn(c, a.col_edges, edges) for c in a.cells]
    rest = [_recolumn(c, b.col_edges, edges) for c in b.cells]
    # text of a merged cell cut by the break, centred on the whole cell, may land (clipped on
    # paper) in the header row the producer repeats above the continuation
    bleed: dict[int, list[str]] = {}
    for c in top:
        if c.row + c.rowspan == a.n_rows and c.text.strip():
            bleed.setdefault(c.col, []).append(compact(c.text))
    first = _repeated_header_rows(top, rest, b.n_rows, bleed)
    cells = list(top)
    for c in rest:
        end = c.row + c.rowspan
        if end <= first:
            continue  # a repeated header cell
        # a cell that starts in a dropped header row but runs below it keeps its lower part
        start = max(c.row, first)
        c.rowspan = end - start
        c.row = start - first + a.n_rows
        cells.append(c)
    n_rows = a.n_rows + b.n_rows - first
    cells = _rejoin_cut_cells(cells, a.n_rows, between, after, n_rows)
    return Table(cells=cells, n_rows=n_rows, n_cols=len(edges) - 1, col_edges=edges)


def _row_signature(cells: list[Cell], row: int) -> set[tuple[int, int, str]]:
    """The non-empty cells that start in `row`, by column position and text."""
    return {(c.col, c.colspan, compact(c.text)) for c in cells
            if c.row == row and c.text.strip()}


def _repeated_header_rows(top: list[Cell], rest: list[Cell], n_rows: int,
                          bleed: dict[int, list[str]] | None = None) -> int:
    """Number of leading rows of the continuation that repeat a header row printed above.

    A repeated header's cells all appear, at the same columns, in one earlier row (which may hold
    more, such as a block label spanning down the left); it has two or more cells and no digit
    (data rows carry numbers), so a genuine data row is never dropped. `bleed`: by column, the
    texts of cells cut by the break, which a repeated header cell may hold besides its own.
    """
    earlier = [_row_signature(top, r) for r in sorted({c.row for c in top})]
    first = 0
    while first < n_rows:
        sig = _row_signature(rest, first)
        if (len(sig) >= 2 and not any(ch.isdigit() for _, _, t in sig for ch in t)
                and any(all(_repeats(cell, e, bleed or {}) for cell in sig) for e in earlier)):
            first += 1
        else:
            break
    return first


def _repeats(cell: tuple[int, int, str], row: set[tuple[int, int, str]],
             bleed: dict[int, list[str]]) -> bool:
    """The cell (column, span, text) is one of `row`'s, maybe with a cut cell's text bled in."""
    if cell in row:
        return True
    col, span, text = cell
    for cut in bleed.get(col, ()):
        own = _without_subsequence(text, cut)
        if own and (col, span, own) in row:
            return True
    return False


def _merge_edges(a: list[float], b: list[float]) -> list[float]:
    out: list[float] = []
    for x in sorted(a + b):
        if out and x - out[-1] <= EDGE_TOLERANCE:
            continue
        out.append(x)
    return out


def _nearest(edges: list[float], x: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - x))


def _recolumn(cell: Cell, old: list[float], new: list[float]) -> Cell:
    c0 = _nearest(new, old[cell.col])
    c1 = _nearest(new, old[cell.col + cell.colspan])
    return replace(cell, col=c0, colspan=max(c1 - c0, 1))


def _rejoin_cut_cells(cells: list[Cell], break_row: int, clipped: list[TextLine] = (),
                      after: list[TextLine] = (), n_rows: int = 0) -> list[Cell]:
    """Merge the two fragments of a merged cell that the page break at `break_row` cut: same
    columns, one empty or both with the same text, and either at least one spanning several rows
    or the cell's text clipped off the paper in its column (a label merged over two rows, one on
    each page, is printed on one page only; the other keeps it in the text layer, clipped).

    An empty fragment running to the end of the table whose column holds, clipped after the
    table, text that is not the upper fragment's, continues onto the next page, not from this
    one (a block label's cell starting with this page)."""
    above = {(c.col, c.colspan): c for c in cells if c.row + c.rowspan == break_row}
    drop: set[int] = set()
    for c in cells:
        if c.row != break_row:
            continue
        a = above.get((c.col, c.colspan))
        if a is None:
            continue
        a_text, c_text = compact(a.text), compact(c.text)
        if a_text and c_text and a_text != c_text:
            # a cell sliced by the break, its lines printed partly on each page: each page keeps
            # the other part clipped in the cell's column (项目支出 | 预算及测算依据)
            if not (_clipped_in_column(clipped, c_text, a, but_not=a_text)
                    and _clipped_in_column(clipped, a_text, a, but_not=c_text)):
                continue
            a.text = a.text + "\n" + c.text
        # one fragment holds the text, or both repeat it (LibreOffice prints it on each page)
        elif a.rowspan == 1 and c.rowspan == 1 \
                and not _clipped_in_column(clipped, a_text or c_text, a):
            continue
        elif a_text and not c_text and c.row + c.rowspan == n_rows \
                and _clipped_other_text(after, a_text, c):
            continue
        a.rowspan += c.rowspan
        if not a.text.strip():
            a.text = c.text
        a.repairs = [*a.repairs, *c.repairs]
        drop.add(id(c))
    return [c for c in cells if id(c) not in drop]
