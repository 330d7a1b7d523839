"""Text-layer extraction with pdfplumber: each page's ruled tables as cell grids, plus loose lines.

`read_pages` reads a PDF page by page; the one extract entry point
(`extract/document.py: extract_document`) calls it and decides, page by page, between this
text layer and OCR. The table settings are pdfplumber's own keys (`TABLE_SETTINGS`); the values
suit the ruled forms governments print.
"""

from __future__ import annotations

import bisect
import math
from contextlib import contextmanager, suppress
import logging
from pathlib import Path

import pdfplumber
from pdfminer.layout import LTChar
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psexceptions import PSEOF
from pdfplumber.page import Page
from pdfplumber.utils import resolve_and_decode
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from .. import limits
from ..errors import BadPasswordError, CorruptPdfError, EncryptedPdfError, NotAPdfError, \
    PerfdeclError
from .chars import chars_bbox, dedupe_overprint, group_lines, line_text
from .grid import Cell, Table, TextLine
from .orientation import upright
from .quality import page_text_usable
from .text import map_chars

log = logging.getLogger(__name__)

limits.install_stream_cap()  # pdfminer inflates streams through perfdecl.limits' capped zlib

# pdfplumber table settings (see pdfplumber's README, "Table-extraction settings").
TABLE_SETTINGS: dict = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "edge_min_length": 3,
}

# Two boundaries closer than this (points) are the same grid line.
EDGE_TOLERANCE = 2.0


@contextmanager
def open_pdf(path: Path, password: str | None = None):
    """pdfplumber's PDF, or the typed error saying why it cannot be opened.

    Closing a damaged PDF can raise too (pdfplumber re-reads pages then): that becomes the same
    typed error, unless another error is already on its way out.
    """
    with path.open("rb") as fh:
        if not fh.read(1024).lstrip().startswith(b"%PDF"):
            raise NotAPdfError("not a PDF: the file does not start with %PDF", file=str(path))
    pdf = None
    for attempt in password_candidates(password):
        try:
            pdf = pdfplumber.open(path, password=attempt)
            break
        except PdfminerException as exc:
            error = _open_error(exc, path, password)
            if not isinstance(error, EncryptedPdfError):
                raise error from exc
        except (PDFPasswordIncorrect, UnicodeEncodeError):  # Latin-1 only, below AES-256
            error = _password_error(path, password)
        except PDFSyntaxError as exc:
            raise CorruptPdfError(f"the PDF cannot be parsed: {_reason(exc)}", file=str(path)) from exc
    if pdf is None:
        raise error
    try:
        yield pdf
    except BaseException:
        with suppress(Exception):
            pdf.close()
        raise
    try:
        pdf.close()
    except PdfminerException as exc:
        raise _open_error(exc, path, password) from exc
    except (PDFSyntaxError, MalformedPDFException, ValueError, KeyError, TypeError) as exc:
        raise CorruptPdfError(f"the PDF cannot be parsed: {_reason(exc)}", file=str(path)) from exc


def password_candidates(password: str | None) -> list[str]:
    """The password as pdfminer should try it. RC4 encryption (PDF 1.4-1.7) hashes the password's
    bytes, which pdfminer takes as Latin-1 characters; a Chinese password was typed in some other
    encoding: its UTF-8 and GB18030 bytes are tried too (as the Latin-1 characters that give
    them). AES-256 takes UTF-8 itself, so the password as given comes first."""
    if not password:
        return [""]
    out = [password]
    for encoding in ("utf-8", "gb18030"):
        try:
            alias = password.encode(encoding).decode("latin-1")
        except UnicodeError:
            continue
        if alias not in out:
            out.append(alias)
    return out


def _password_error(path: Path, password: str | None) -> EncryptedPdfError:
    if password:
        return BadPasswordError("the password given (--password) does not open the PDF",
                                file=str(path))
    return EncryptedPdfError("the PDF is encrypted; pass its password (--password)", file=str(path))


def read_pages(pdf, path: Path, settings: dict):
    """(page, its items or None when its text layer is unusable, the turn it was read with or None)
    for every page, parse errors turned into typed errors. A page whose text does not stand
    upright is read turned (extract/orientation.py). The OCR stage uses it to decide page by page.

    Each page is closed once the caller asks for the next: pdfplumber keeps every page's objects
    otherwise (about 4 MB a page; a 2,000-page file would need gigabytes)."""
    try:
        for page in pdf.pages:
            if type(page) is Page and DIRECT_CHARS:
                page.__class__ = _TextLayerPage
            try:
                view, turn = upright(page, page.chars)
                yield page, read_page(view, settings), turn
            finally:
                page.close()
    except PdfminerException as exc:
        raise _open_error(exc, path) from exc
    except (PDFSyntaxError, MalformedPDFException, ValueError, KeyError, TypeError) as exc:
        raise CorruptPdfError(f"the PDF cannot be parsed: {_reason(exc)}", file=str(path)) from exc


# -- characters made straight from pdfminer's ----------------------------------------------------

# pdfplumber versions whose character dicts `_TextLayerPage` was checked to give key for key
# (tests/test_textlayer.py compares them on every sample); on any other version pdfplumber's own
# conversion runs, and that test fails until the new version is checked.
DIRECT_CHAR_VERSIONS = frozenset({"0.11.10"})
DIRECT_CHARS = pdfplumber.__version__ in DIRECT_CHAR_VERSIONS

# pdfminer's attributes of a character, in their order, and the ones pdfplumber keeps
_LTCHAR_ATTRS = ("_text", "matrix", "fontname", "ncs", "graphicstate", "adv", "upright", "x0",
                 "y0", "x1", "y1", "width", "height", "bbox", "size", "mcid", "tag")
_KEPT = ("matrix", "fontname", "adv", "upright", "x0", "y0", "x1", "y1", "width", "height",
         "size", "mcid", "tag")
_PLAIN = (float, int, bool)
_colour_space_names: dict[str, str] = {}


class _TextLayerPage(Page):
    """A pdfplumber page whose characters are made straight from pdfminer's.

    pdfplumber turns every object into a dict by resolving each attribute as if it could be an
    indirect PDF object; for characters, nine in ten of a form's objects, that takes a quarter of
    the time reading a page's objects takes. A character of the plain kind (pdfminer's usual
    attributes, numbers and text, no Unicode normalisation asked) gets the same dict directly;
    anything else goes pdfplumber's own way."""

    def process_object(self, obj):
        d = obj.__dict__
        if type(obj) is not LTChar or tuple(d) != _LTCHAR_ATTRS or self.pdf.unicode_norm \
                or type(d["fontname"]) is not str or type(d["matrix"]) is not tuple \
                or not all(type(v) in _PLAIN for v in d["matrix"]) \
                or not (d["mcid"] is None or type(d["mcid"]) is int) \
                or not (d["tag"] is None or type(d["tag"]) is str):
            return super().process_object(obj)
        attr = {k: d[k] for k in _KEPT}
        attr["object_type"] = "char"
        attr["page_number"] = self.page_number
        name = d["ncs"].name
        decoded = _colour_space_names.get(name)
        if decoded is None:
            decoded = resolve_and_decode(name)
            if len(_colour_space_names) < 64:  # a file cannot grow it without end
                _colour_space_names[name] = decoded
        attr["ncs"] = decoded
        attr["text"] = d["_text"]
        gs = d["graphicstate"]
        attr["stroking_color"] = gs.scolor if isinstance(gs.scolor, tuple) else (gs.scolor,)
        attr["non_stroking_color"] = gs.ncolor if isinstance(gs.ncolor, tuple) else (gs.ncolor,)
        mb_x0, mb_top = self.mediabox[:2]
        attr["top"] = top = (self.height - d["y1"]) + mb_top
        attr["bottom"] = (self.height - d["y0"]) + mb_top
        attr["doctop"] = self.initial_doctop + top
        if mb_x0 != 0:
            attr["x0"] = d["x0"] + mb_x0
            attr["x1"] = d["x1"] + mb_x0
        return attr


def _open_error(exc: Exception, path: Path, password: str | None = None) -> Exception:
    cause = exc.args[0] if exc.args else exc
    if isinstance(cause, MemoryError):  # the worker's memory limit, not a broken file
        return cause
    if isinstance(cause, PerfdeclError):  # a cap of perfdecl.limits, hit inside the parser
        if cause.file is None:
            cause.file = str(path)
        return cause
    if isinstance(cause, PDFPasswordIncorrect):
        return _password_error(path, password)
    if isinstance(cause, UnicodeEncodeError):  # an old pdfminer encoding a password as Latin-1
        return _password_error(path, password)
    return CorruptPdfError(f"the PDF cannot be parsed: {_reason(cause)}", file=str(path))


def _reason(exc) -> str:
    """The parser's complaint in words a user can act on."""
    if isinstance(exc, PSEOF):
        return "the file ends before the PDF does (truncated, or cut off in a download)"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def read_page(page, settings: dict) -> list[Table | TextLine] | None:
    """One page's tables and loose text lines in reading order; None when the text layer is unusable."""
    x0, top, x1, bottom = page.bbox
    # characters outside the page box are not printed (LibreOffice leaves a merged cell's text
    # there when a page break cuts the cell): no part of the page, kept as clipped lines for the
    # join of the cut table (stitch.py)
    chars, off_page, printed = [], [], []
    for c in dedupe_overprint(page.chars):
        if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom:
            chars.append(c)
            if c["text"].strip():
                printed.append(c)
        else:
            off_page.append(c)
    if not page_text_usable(printed):
        # nothing printed on the paper, but text running off it (a cell of a sheet wider than
        # the page, cut at the page's edge): the page has a text layer and shows no text, so it
        # is read, its rules and the clipped text for the join, not handed to OCR
        if printed or not page_text_usable([c for c in off_page if c["text"].strip()]):
            return None
    for glyphs in (chars, off_page):
        for ch in glyphs:
            ch["text"] = map_chars(ch["text"])
    page_no = page.page_number
    extra = _missing_rules(page)
    finder_settings = dict(settings)
    if extra:
        finder_settings["explicit_horizontal_lines"] = (
            list(settings.get("explicit_horizontal_lines", [])) + extra
        )
    tables = [t for t in page.find_tables(finder_settings) if t.cells]
    grids: list[_PageGrid] = [_PageGrid(t.cells) for t in tables]
    homes = [_locate(grids, ch) for ch in chars]
    _rehome_overflow(chars, homes, grids)
    loose: list[dict] = []
    for ch, home in zip(chars, homes):
        if not ch["text"].strip():
            continue  # spaces served to find text runs; cell text comes from the glyphs
        if home is None:
            loose.append(ch)
        else:
            grids[home[0]].chars[home[1]].append(ch)
    items: list[Table | TextLine] = [g.to_table(page_no) for g in grids]
    for line in group_lines(loose):
        items.append(TextLine(text=line_text(line), page=page_no, bbox=chars_bbox(line)))
    for line in group_lines([c for c in off_page if c["text"].strip()]):
        items.append(TextLine(text=line_text(line), page=page_no, bbox=chars_bbox(line),
                              clipped=True))
    items.sort(key=lambda it: it.top if isinstance(it, Table) else it.bbox[1])
    return items


def _locate(grids: list[_PageGrid], ch: dict) -> tuple[int, int] | None:
    """(grid, cell) whose box holds the character's centre."""
    cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    for g, grid in enumerate(grids):
        k = grid.cell_index(cx, cy)
        if k is not None:
            return g, k
    return None


def _rehome_overflow(chars: list[dict], homes: list, grids: list[_PageGrid]) -> None:
    """Give text that overflows its cell back to that cell.

    A spreadsheet exporter draws a long cell text centred on its cell and clips it there; the
    clipped lines stay in the text layer, on top of the cells above and below, and mix with their
    text (`武明汉确市…`). Such a collision shows as glyphs drawn over other glyphs. For each glyph
    caught in one, its text run (`_text_runs`) is followed; a run reaching outside the cell goes
    whole to the cell holding its middle.
    """
    overlapping = _overlapping_glyphs(chars, homes)
    if not overlapping:
        return
    runs = _text_runs(chars)
    run_of = {i: r for r, run in enumerate(runs) for i in run}
    for r in sorted({run_of[i] for i in overlapping}):
        run = runs[r]
        if len({homes[j] for j in run}) < 2:
            continue  # the cell's own text
        x0 = min(chars[j]["x0"] for j in run)
        x1 = max(chars[j]["x1"] for j in run)
        top = min(chars[j]["top"] for j in run)
        bottom = max(chars[j]["bottom"] for j in run)
        for g, grid in enumerate(grids):
            k = grid.cell_index((x0 + x1) / 2, (top + bottom) / 2)
            if k is not None:
                for j in run:
                    homes[j] = (g, k)
                break


def _overlapping_glyphs(chars: list[dict], homes: list) -> list[int]:
    """Indices of glyphs drawn over another glyph of the same cell that is not their neighbour in
    the content stream. Beside a glyph (a centred text clipped over its neighbours' text) or
    partly above or below one: the lines of one text never overlap, but a cell's text aligned to
    the bottom and taller than its row runs up over the rule, its first line over the last line
    of the row above (`180人、650人` / `900`)."""
    by_cell: dict = {}
    for i, (ch, home) in enumerate(zip(chars, homes)):
        if home is not None and ch["text"].strip():
            by_cell.setdefault(home, []).append(i)
    found: set[int] = set()
    for members in by_cell.values():
        if len(members) < 2:
            continue
        glyphs = [(i, chars[i]["x0"], chars[i]["x1"], chars[i]["top"], chars[i]["bottom"],
                   chars[i].get("size") or 10.0) for i in members]
        for band in _bands(glyphs):
            band.sort(key=lambda g: g[1])
            for n, (a, ax0, ax1, atop, abottom, asize) in enumerate(band):
                # a sweep along x: only glyphs that start under `a`
                for m in range(n + 1, len(band)):
                    b, bx0, bx1, btop, bbottom, bsize = band[m]
                    if bx0 >= ax1:
                        break
                    size = min(asize, bsize)
                    across = min(ax1, bx1) - max(ax0, bx0)
                    down = min(abottom, bbottom) - max(atop, btop)
                    if across > 0.5 * size and down > 0.15 * size and abs(a - b) > 1:
                        found.update((a, b))
    return sorted(found)


def _bands(glyphs: list[tuple]) -> list[list[tuple]]:
    """Glyphs (index, x0, x1, top, bottom, size) in groups that share no height with each other:
    two glyphs overlap vertically only within a group, so the lines of a many-line cell are swept
    one by one. One group when a size is not positive (then glyphs apart may still count) or a
    coordinate is not finite (NaN sorts nowhere)."""
    if not all(g[5] > 0 and math.isfinite(g[1] + g[2] + g[3] + g[4]) for g in glyphs):
        return [list(glyphs)]
    bands: list[list[tuple]] = []
    reach = -math.inf
    for g in sorted(glyphs, key=lambda g: g[3]):
        if bands and g[3] < reach:
            bands[-1].append(g)
            reach = max(reach, g[4])
        else:
            bands.append([g])
            reach = g[4]
    return bands


def _text_runs(chars: list[dict]) -> list[list[int]]:
    """Characters drawn as one text, as lists of indices into the content-stream order.

    A line is a stretch of characters each next to the previous one (spaces included). A line
    continues the run of the line drawn just before it when it starts one line pitch below
    (about 1.2-1.3 × the size; the next cell's text sits further down, past the cell padding) and
    within that line's horizontal extent (a wrapped line starts back at the left, not in another
    column).
    """
    lines: list[list[int]] = []
    for i, ch in enumerate(chars):
        if lines:
            prev = chars[lines[-1][-1]]
            size = prev.get("size") or 10.0
            if abs(ch["top"] - prev["top"]) < 0.3 * size and \
                    -0.5 * size <= ch["x0"] - prev["x1"] <= size:
                lines[-1].append(i)
                continue
        lines.append([i])
    runs: list[list[int]] = []
    prev_line: list[int] | None = None
    for line in lines:
        if prev_line is not None:
            head, last = chars[line[0]], chars[prev_line[-1]]
            size = last.get("size") or 10.0
            left = min(chars[j]["x0"] for j in prev_line)
            right = max(chars[j]["x1"] for j in prev_line)
            if 0.9 * size <= head["top"] - last["top"] <= 1.6 * size and \
                    left - 3 * size <= head["x0"] <= right:
                runs[-1].extend(line)
                prev_line = line
                continue
        runs.append(list(line))
        prev_line = line
    return runs


def _missing_rules(page) -> list[dict]:
    """Horizontal rules a producer left out where a table meets a page break.

    Some producers draw no line above the first row of a continuation page, or below a merged cell
    that a break cuts (LibreOffice), though the vertical rules run to the row's edge. Without the
    line pdfplumber finds no cell there and the row is lost. So each group of overlapping vertical
    rules gets a rule across its full width where the verticals start and where they end; where
    the producer drew one already, the two coincide and change nothing.
    """
    verticals = sorted((e for e in page.edges if e["orientation"] == "v" and e["height"] > 5),
                       key=lambda e: e["top"])
    horizontals = [e for e in page.edges if e["orientation"] == "h" and e["width"] > 5]
    stacks: list[list[dict]] = []
    for edge in verticals:
        if stacks and edge["top"] <= max(e["bottom"] for e in stacks[-1]) + EDGE_TOLERANCE:
            stacks[-1].append(edge)
        else:
            stacks.append([edge])
    rules: list[dict] = []
    for stack in stacks:
        if len(stack) < 2:
            continue
        x0, x1 = min(e["x0"] for e in stack), max(e["x1"] for e in stack)
        top, bottom = min(e["top"] for e in stack), max(e["bottom"] for e in stack)
        if not any(h["x1"] > x0 and h["x0"] < x1 and top - 3 <= h["top"] <= bottom + 3
                   for h in horizontals):
            continue  # no horizontal rule at all: not a ruled table
        for y in (top, bottom):
            rules.append({"x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0,
                          "height": 0, "orientation": "h", "object_type": "line"})
    return rules


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= EDGE_TOLERANCE:
            continue
        out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    i = bisect.bisect_left(edges, v - EDGE_TOLERANCE)
    return min(i, len(edges) - 1)


class _PageGrid:
    """pdfplumber's cell boxes turned into grid positions with spans, collecting their characters."""

    def __init__(self, boxes: list[tuple[float, float, float, float]]):
        self.xs = _cluster([b[0] for b in boxes] + [b[2] for b in boxes])
        self.ys = _cluster([b[1] for b in boxes] + [b[3] for b in boxes])
        self.boxes = boxes
        self.spans = []
        self.cover: dict[tuple[int, int], int] = {}
        for k, (x0, top, x1, bottom) in enumerate(boxes):
            c0, c1 = _index(self.xs, x0), _index(self.xs, x1)
            r0, r1 = _index(self.ys, top), _index(self.ys, bottom)
            self.spans.append((r0, c0, max(r1 - r0, 1), max(c1 - c0, 1)))
            for r in range(r0, r0 + max(r1 - r0, 1)):
                for c in range(c0, c0 + max(c1 - c0, 1)):
                    self.cover[(r, c)] = k
        self.chars: list[list[dict]] = [[] for _ in boxes]

    def cell_index(self, cx: float, cy: float) -> int | None:
        """Index of the cell whose box holds the point, or None."""
        if not (self.xs[0] <= cx <= self.xs[-1] and self.ys[0] <= cy <= self.ys[-1]):
            return None
        c = bisect.bisect_right(self.xs, cx) - 1
        r = bisect.bisect_right(self.ys, cy) - 1
        return self.cover.get((r, c))

    def to_table(self, page_no: int) -> Table:
        cells = []
        for k, box in enumerate(self.boxes):
            r, c, rs, cs = self.spans[k]
            text = "\n".join(line_text(line) for line in group_lines(self.chars[k]))
            cells.append(Cell(row=r, col=c, rowspan=rs, colspan=cs, text=text, page=page_no,
                              bbox=tuple(round(v, 2) for v in box)))
        return Table(cells=cells, n_rows=len(self.ys) - 1, n_cols=len(self.xs) - 1,
                     col_edges=[round(x, 2) for x in self.xs])
