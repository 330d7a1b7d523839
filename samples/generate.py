#!/usr/bin/env python3
"""Draw the sample declaration forms of samples/data/ into PDFs, with their expected JSON.

    python samples/generate.py            # regenerate every sample
    python samples/generate.py seed       # only the named samples

What is where:

* samples/data/forms/<form>.json     the form as a grid: title, column widths, rows of cells
                                     (text, rowspan, colspan) - what is printed, nothing else
* samples/data/expected/<form>.json  the hand-written expected record of that form (contract
                                     version 1, without `pages`) and its warnings, whose `page`
                                     counts from the form's first page (1 = the first page)
                                     and whose `form_index` (default 0) counts the forms of
                                     this grid; a
                                     list table carrying several projects holds `"forms"`:
                                     [{"rows": [first, last], "form": {…}}] instead of `"form"`,
                                     each form's pages those of its grid rows (0-based, inclusive)
* samples/data/<sample>.json         one sample PDF: which forms, in which order, and how they are
                                     printed (page size, margins, font size, page-break options,
                                     producer, see below); `"error": {"stage", "code"}` marks a
                                     file that holds no form: its expected outcome is that error
* samples/<sample>.pdf               the drawn PDF
* samples/<sample>.expected.json     the expected output document: the hand-written forms, the
                                     pages each form was drawn on and `source` of the PDF bytes
  (samples/<sample>.expected-error.json for an "error" sample)

Form file: {"title", "columns": [relative widths], "default_align"?, "rows": [row, ...]}. A row is a
list of cells, or {"cells": [...], "header": true} (kept with the next row) or {"cells": [...],
"repeat": true} (the indicator header, repeated after a page break when the sample asks). A cell
is a string, or {"text", "rowspan"?, "colspan"?, "align"?: "left"|"center"|"right"}; cells fill
the next free column as in HTML tables, "\n" in a text is a printed line break.

The expected records are never derived from the extractor: this script only adds `source`
(sha256, page count) and `pages`, which depend on how the PDF was drawn.

The drawing is a small grid layout engine on reportlab's canvas, printing a form the way Chinese
government offices do: a centred title above one ruled table (every cell border a line), merged
cells, text wrapped by character inside its cell and vertically centred, page breaks between rows.
Options in the sample data:

* `repeat_header`            repeat the row marked `"repeat": true` (the 一级指标 二级指标 … header) at
                             the top of a continuation page
* `split_text`               {cell text: "first" | "second"}: on which fragment a merged cell cut by
                             a page break shows its text (default "first")
* `no_top_rule_after_break`  no horizontal line above the first row of a continuation page
* `break_before`             [cell text, …]: force a page break before the row holding that cell
* `title_bold`               fake bold: the title drawn twice, 0.3 pt apart, with a second font
                             resource of the same TTF (body text is drawn once)
* `title_stroke`             synthetic bold as office suites draw it for a face without a bold
                             weight: the title's glyph outlines also stroked, this wide (points;
                             0 = not stroked)
* `font`                     the face of every text (reportlab producer): `heiti` (WenQuanYi Zen
                             Hei, a 黑体; Debian fonts-wqy-zenhei), `sans` (WenQuanYi Micro Hei, a
                             lighter sans; fonts-wqy-microhei) or `serif` (AR PL UMing CN, a
                             Ming/宋体 face; fonts-arphic-uming); see `FONTS`

* `landscape`                turn the page (any producer)

Output is deterministic (reportlab `invariant=1`): a rerun gives byte-identical PDFs. Producers
other than reportlab (one form per sample) run only where their tool is installed; otherwise the
committed PDF is kept (and its expected JSON rewritten from it):

* `libreoffice`  types the form into an XLSX (openpyxl) and converts it with
                 `soffice --headless --convert-to pdf` (Calc)
* `docx`         types the form into a Word document (python-docx; merged cells, `split_tables`:
                 one table per part, the part's header row repeated on every page) and converts it
                 with LibreOffice Writer (Debian: libreoffice-writer-nogui)
* `html`         writes the form as an HTML page (`split_tables`: the header row of each part in a
                 <thead>, which Chromium repeats on every page) and prints it with headless
                 Chromium (`--print-to-pdf`, Debian: chromium)
* `xlsx`         prints a real spreadsheet (`source_file`, relative to the folder holding the
                 repository and shared/) with LibreOffice Calc after setting its page setup on a
                 copy (`xlsx_setup`: orientation, heights of rows whose text would be cut); its
                 `forms` name only expected records, there is no grid

The date and ID stamps LibreOffice and Chromium write are pinned (`pin_pdf_stamps`), so a rerun
with the same tool version gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
BODY_FONT = "WQYZenHei"  # body text
TITLE_FONT = "WQYZenHei-Title"  # same TTF registered again: a second font resource for the title
# `font` option: (TTF file, index in the collection, reportlab name of the body font (the title's
# second resource is that name + "-Title"), the Debian package holding the file)
FONTS = {
    "heiti": (FONT_FILE, 0, BODY_FONT, "fonts-wqy-zenhei"),
    "sans": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WQYMicroHei", "fonts-wqy-microhei"),
    "serif": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "UMingCN", "fonts-arphic-uming"),
}
MM = 72 / 25.4
PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}

DEFAULTS = {
    "producer": "reportlab",
    "page_size": "A4",
    "landscape": False,
    "margins_mm": [15, 15, 15, 15],  # top, right, bottom, left
    "font_size": 9.0,
    "leading": 1.35,  # line height / font size
    "cell_padding": [3.0, 2.5],  # vertical, horizontal, in points
    "min_row_height": 18.0,
    "title_size": 16.0,
    "title_gap": 10.0,  # points between title baseline area and the table
    "title_bold": True,
    "title_stroke": 0.0,
    "font": "heiti",
    "line_width": 0.5,
    "repeat_header": False,
    "split_text": {},
    "no_top_rule_after_break": False,
    "break_before": [],
    # producers other than reportlab
    "split_tables": False,  # html/docx: a new table at each "repeat" row, its header repeated
    "source_file": None,  # xlsx: the real file, relative to the workspace (…/shared/real/…)
    "xlsx_setup": {},  # xlsx: {"orientation", "autofit_rows": [1-based rows]}
}

# A line never starts with these (they stay with the character before them) ...
NO_LINE_START = set("，。、：；）》」』”’！？%％,.;:)!?")
# ... and never ends with these.
NO_LINE_END = set("（《「『“‘(")
# Runs of these characters are not broken (numbers, Latin words, signs with their number), and a
# number keeps a short unit after it (`≥1.4万人`, `≥10000人`) on its line when that fits.
UNBREAKABLE = re.compile(r"[0-9A-Za-z.,:%≥≤≧≦<>=+\-/]*[0-9][0-9A-Za-z.,:%/]*[万亿]?[元人个次天场户课时%％]?"
                         r"|[0-9A-Za-z.,:%≥≤≧≦<>=+\-/]+")


# --------------------------------------------------------------------------------------------
# Grid


@dataclass
class Cell:
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str
    align: str | None  # "left" | "center" | "right" | None = centre when one line, else left


@dataclass
class Grid:
    title: str
    widths: list[float]  # relative column widths
    cells: list[Cell]
    n_rows: int
    header_rows: set[int] = field(default_factory=set)  # kept with the next row
    repeat_rows: set[int] = field(default_factory=set)  # repeated after a page break


def parse_grid(form: dict) -> Grid:
    """Place the cells of `form["rows"]` on a grid (HTML table rules: a cell takes the next free
    column of its row; positions covered by spans from above are skipped)."""
    widths = [float(w) for w in form["columns"]]
    n_cols = len(widths)
    taken: dict[tuple[int, int], Cell] = {}
    cells: list[Cell] = []
    header_rows: set[int] = set()
    repeat_rows: set[int] = set()
    rows = form["rows"]
    for r, row in enumerate(rows):
        if isinstance(row, dict):
            if row.get("header") or row.get("repeat"):
                header_rows.add(r)
            if row.get("repeat"):
                repeat_rows.add(r)
            entries = row["cells"]
        else:
            entries = row
        c = 0
        for entry in entries:
            if isinstance(entry, str) or entry is None:
                entry = {"text": entry or ""}
            while (r, c) in taken:
                c += 1
            rs, cs = int(entry.get("rowspan", 1)), int(entry.get("colspan", 1))
            if c + cs > n_cols or r + rs > len(rows):
                raise ValueError(f"{form['title']}: cell {entry!r} at row {r} leaves the grid")
            align = entry.get("align") or form.get("default_align")
            cell = Cell(r, c, rs, cs, entry.get("text") or "", None if align == "auto" else align)
            for rr in range(r, r + rs):
                for cc in range(c, c + cs):
                    if (rr, cc) in taken:
                        raise ValueError(f"{form['title']}: cell {entry!r} overlaps at {rr},{cc}")
                    taken[(rr, cc)] = cell
            cells.append(cell)
            c += cs
    for r in range(len(rows)):
        for c in range(n_cols):
            if (r, c) not in taken:
                raise ValueError(f"{form['title']}: grid position row {r} col {c} has no cell")
    return Grid(form["title"], widths, cells, len(rows), header_rows, repeat_rows)


# --------------------------------------------------------------------------------------------
# Text


def tokens(paragraph: str) -> list[str]:
    out: list[str] = []
    pos = 0
    for m in UNBREAKABLE.finditer(paragraph):
        out.extend(paragraph[pos : m.start()])
        out.append(m.group())
        pos = m.end()
    out.extend(paragraph[pos:])
    return out


def wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """Break `text` into lines no wider than `width`: anywhere between CJK characters, never
    inside a number or Latin word that fits a line, no closing punctuation at a line start."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def w(s: str) -> float:
        return stringWidth(s, font, size)

    lines: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        line: list[str] = []
        for tok in tokens(paragraph):
            if w("".join(line) + tok) <= width:
                line.append(tok)
                continue
            if w(tok) > width:  # a run longer than a line: break it by character
                for ch in tok:
                    if line and w("".join(line) + ch) > width:
                        lines.append("".join(line))
                        line = []
                    line.append(ch)
                continue
            carry: list[str] = []
            while len(line) > 1 and (carry[0] if carry else tok) in NO_LINE_START:
                carry.insert(0, line.pop())
            while len(line) > 1 and line[-1] in NO_LINE_END:
                carry.insert(0, line.pop())
            if line:
                lines.append("".join(line))
            line = carry + [tok]
        lines.append("".join(line))
    while lines and not lines[-1]:
        lines.pop()
    return lines


# --------------------------------------------------------------------------------------------
# Layout


@dataclass
class Slot:
    """A row drawn on a page: a row of the grid, or the repeated header row."""

    row: int
    top: float  # points from the page top
    height: float
    repeated: bool = False


@dataclass
class PageLayout:
    form_index: int
    first_of_form: bool
    table_top: float
    slots: list[Slot] = field(default_factory=list)


@dataclass
class FormLayout:
    grid: Grid
    col_x: list[float]  # x of each column edge, points from the left
    cell_lines: dict[int, list[str]]  # id(cell) -> wrapped lines
    row_heights: list[float]


class Printer:
    def __init__(self, opts: dict):
        self.o = opts
        w_mm, h_mm = page_size_mm(opts)
        self.page_w, self.page_h = w_mm * MM, h_mm * MM
        top, right, bottom, left = (m * MM for m in opts["margins_mm"])
        self.m_top, self.m_right, self.m_bottom, self.m_left = top, right, bottom, left
        self.fs = float(opts["font_size"])
        self.lead = self.fs * float(opts["leading"])
        self.vpad, self.hpad = (float(p) for p in opts["cell_padding"])
        self.body_font = FONTS[opts["font"]][2]
        self.title_font = self.body_font + "-Title"

    # -- measuring -------------------------------------------------------------------------

    def layout_form(self, grid: Grid) -> FormLayout:
        table_w = self.page_w - self.m_left - self.m_right
        scale = table_w / sum(grid.widths)
        col_x = [self.m_left]
        for wdt in grid.widths:
            col_x.append(col_x[-1] + wdt * scale)
        lines: dict[int, list[str]] = {}
        need: dict[int, float] = {}
        for cell in grid.cells:
            inner = col_x[cell.col + cell.colspan] - col_x[cell.col] - 2 * self.hpad
            lines[id(cell)] = wrap(cell.text, inner, self.body_font, self.fs)
            need[id(cell)] = len(lines[id(cell)]) * self.lead + 2 * self.vpad
        heights = [float(self.o["min_row_height"])] * grid.n_rows
        for cell in sorted(grid.cells, key=lambda c: c.rowspan):
            rows = range(cell.row, cell.row + cell.rowspan)
            have = sum(heights[r] for r in rows)
            if need[id(cell)] > have:
                extra = (need[id(cell)] - have) / cell.rowspan
                for r in rows:
                    heights[r] += extra
        heights = [round(h, 2) for h in heights]
        return FormLayout(grid, col_x, lines, heights)

    def paginate(self, forms: list[FormLayout]) -> list[PageLayout]:
        pages: list[PageLayout] = []
        limit = self.page_h - self.m_bottom
        breaks = set(self.o["break_before"])
        for fi, fl in enumerate(forms):
            g = fl.grid
            top = self.m_top + self.o["title_size"] * 1.2 + self.o["title_gap"]
            page = PageLayout(fi, True, top)
            pages.append(page)
            y = top
            body_rows = 0
            for r in range(g.n_rows):
                h = fl.row_heights[r]
                need = h + (fl.row_heights[r + 1] if r in g.header_rows and r + 1 < g.n_rows else 0)
                forced = any(c.row == r and c.text and c.text in breaks for c in g.cells)
                if body_rows and (forced or y + need > limit + 0.01):
                    page = PageLayout(fi, False, self.m_top)
                    pages.append(page)
                    y = self.m_top
                    body_rows = 0
                    hr = max((x for x in g.repeat_rows if x < r), default=None)
                    if self.o["repeat_header"] and hr is not None:
                        page.slots.append(Slot(hr, y, fl.row_heights[hr], repeated=True))
                        y += fl.row_heights[hr]
                if y + h > limit + 0.01:
                    raise ValueError(f"{g.title}: row {r} does not fit on a page")
                page.slots.append(Slot(r, y, h))
                y += h
                body_rows += 1
        return pages

    # -- drawing ---------------------------------------------------------------------------

    def fragments(self, fl: FormLayout, pages: list[tuple[int, PageLayout]]):
        """Yield (page_no, cell, box, draw_text) for every piece of every cell of one form."""
        g = fl.grid
        split = self.o["split_text"]
        per_cell: dict[int, list[tuple[int, Cell, tuple[float, float, float, float]]]] = {}
        order: list[Cell] = []
        for page_no, page in pages:
            body = [s for s in page.slots if not s.repeated]
            rep = [s for s in page.slots if s.repeated]
            first, last = body[0].row, body[-1].row
            slot_of = {s.row: s for s in body}
            for cell in g.cells:
                x0 = fl.col_x[cell.col]
                x1 = fl.col_x[cell.col + cell.colspan]
                c_first, c_last = cell.row, cell.row + cell.rowspan - 1
                a, b = max(c_first, first), min(c_last, last)
                box = None
                if a <= b:
                    top = slot_of[a].top
                    bottom = slot_of[b].top + slot_of[b].height
                    if rep and c_first <= rep[0].row <= c_last and cell.row < first:
                        top = rep[0].top  # a span through the repeated header row continues
                    box = (x0, top, x1, bottom)
                elif rep and cell.row == rep[0].row and cell.rowspan == 1:
                    box = (x0, rep[0].top, x1, rep[0].top + rep[0].height)
                elif rep and c_first <= rep[0].row <= c_last:
                    # a span of the header row that ended before the break: an empty box
                    box = (x0, rep[0].top, x1, rep[0].top + rep[0].height)
                    yield page_no, None, box, False
                    continue
                if box is None:
                    continue
                if id(cell) not in per_cell:
                    per_cell[id(cell)] = []
                    order.append(cell)
                per_cell[id(cell)].append((page_no, cell, box))
        for cell in order:
            frags = per_cell[id(cell)]
            if cell.rowspan == 1:  # a one-row cell has one fragment, or copies in repeated headers
                for page_no, c, box in frags:
                    yield page_no, c, box, True
                continue
            want = 1 if split.get(cell.text, "first") == "second" and len(frags) > 1 else 0
            for i, (page_no, c, box) in enumerate(frags):
                yield page_no, c, box, i == want

    def draw(self, canvas, forms: list[FormLayout], pages: list[PageLayout]) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        by_form: dict[int, list[tuple[int, PageLayout]]] = {}
        for n, page in enumerate(pages, 1):
            by_form.setdefault(page.form_index, []).append((n, page))
        drawn: dict[int, list] = {n: [] for n in range(1, len(pages) + 1)}
        for fi, fl in enumerate(forms):
            for item in self.fragments(fl, by_form[fi]):
                drawn[item[0]].append((fl, item))
        for n, page in enumerate(pages, 1):
            fl = forms[page.form_index]
            if page.first_of_form:
                self.draw_title(canvas, fl)
            h_segs: dict[float, list[tuple[float, float]]] = {}
            v_segs: dict[float, list[tuple[float, float]]] = {}
            table_top = page.slots[0].top
            for _, (_, cell, box, show) in drawn[n]:
                x0, top, x1, bottom = box
                suppress_top = (
                    not page.first_of_form
                    and self.o["no_top_rule_after_break"]
                    and abs(top - table_top) < 0.01
                )
                if not suppress_top:
                    h_segs.setdefault(round(top, 2), []).append((x0, x1))
                h_segs.setdefault(round(bottom, 2), []).append((x0, x1))
                v_segs.setdefault(round(x0, 2), []).append((top, bottom))
                v_segs.setdefault(round(x1, 2), []).append((top, bottom))
            canvas.setLineWidth(self.o["line_width"])
            canvas.setStrokeColorRGB(0, 0, 0)
            for y, spans in sorted(h_segs.items()):
                for a, b in merge(spans):
                    canvas.line(a, self.page_h - y, b, self.page_h - y)
            for x, spans in sorted(v_segs.items()):
                for a, b in merge(spans):
                    canvas.line(x, self.page_h - a, x, self.page_h - b)
            canvas.setFillColorRGB(0, 0, 0)
            canvas.setFont(self.body_font, self.fs)
            for fl2, (_, cell, box, show) in drawn[n]:
                if cell is None or not show or not cell.text:
                    continue
                lines = fl2.cell_lines[id(cell)]
                x0, top, x1, bottom = box
                block = len(lines) * self.lead
                if block + 2 * self.vpad > bottom - top + 0.01:
                    raise ValueError(f"text {cell.text[:12]!r} does not fit its fragment on page {n}")
                y = (top + bottom) / 2 - block / 2
                align = cell.align or ("center" if len(lines) == 1 else "left")
                for line in lines:
                    baseline = y + self.lead / 2 + self.fs * 0.36
                    lw = stringWidth(line, self.body_font, self.fs)
                    if align == "center":
                        x = (x0 + x1) / 2 - lw / 2
                    elif align == "right":
                        x = x1 - self.hpad - lw
                    else:
                        x = x0 + self.hpad
                    canvas.drawString(round(x, 3), round(self.page_h - baseline, 3), line)
                    y += self.lead
            canvas.showPage()

    def draw_title(self, canvas, fl: FormLayout) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        size = float(self.o["title_size"])
        x_mid = (fl.col_x[0] + fl.col_x[-1]) / 2
        x = x_mid - stringWidth(fl.grid.title, self.body_font, size) / 2
        baseline = self.page_h - (self.m_top + size)
        canvas.setFillColorRGB(0, 0, 0)
        stroke = float(self.o["title_stroke"])
        if stroke:  # fill and stroke the outlines (render mode 2), then back to plain fill
            canvas.setStrokeColorRGB(0, 0, 0)
            canvas.setLineWidth(stroke)
            text = canvas.beginText(round(x, 3), round(baseline, 3))
            text.setFont(self.body_font, size)
            text.setTextRenderMode(2)
            text.textOut(fl.grid.title)
            text.setTextRenderMode(0)
            canvas.drawText(text)
        else:
            canvas.setFont(self.body_font, size)
            canvas.drawString(round(x, 3), round(baseline, 3), fl.grid.title)
        if self.o["title_bold"]:  # the overprint comes from a second font resource
            canvas.setFont(self.title_font, size)
            canvas.drawString(round(x + 0.3, 3), round(baseline, 3), fl.grid.title)


def merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 0.01:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(round(a, 3), round(b, 3)) for a, b in out]


def page_size_mm(opts: dict) -> tuple[float, float]:
    size = opts["page_size"]
    w, h = PAGE_SIZES_MM[size] if isinstance(size, str) else (float(size[0]), float(size[1]))
    return (h, w) if opts.get("landscape") else (w, h)


def register_fonts(face: str = "heiti") -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font_file, index, body, _ = FONTS[face]
    title = body + "-Title"
    for name in (body, title):
        if name not in pdfmetrics.getRegisteredFontNames():
            font = TTFont(name, font_file, subfontIndex=index)
            if name == title:
                # reportlab names a subset after the face (AAAAAA+WenQuanYiZenHei-0) and keys its
                # ToUnicode map and descriptor by that name: give the second resource its own
                # name, as word processors do for synthetic bold (`SimSun,Bold`).
                font.face.name = font.face.name + font.face.subfontNameX + b",Bold"
                font.face.subfontNameX = b""
            pdfmetrics.registerFont(font)


# --------------------------------------------------------------------------------------------
# Producers


def render_reportlab(opts: dict, grids: list[Grid], out: Path) -> list[list[int]]:
    """Draw the forms; return the 1-based pages of each form."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts(opts["font"])
    printer = Printer(opts)
    forms = [printer.layout_form(g) for g in grids]
    pages = printer.paginate(forms)
    canvas = Canvas(str(out), pagesize=(printer.page_w, printer.page_h), invariant=1)
    canvas.setTitle(grids[0].title)
    canvas.setAuthor("perfdecl samples")
    canvas.setCreator("perfdecl samples/generate.py (reportlab)")
    printer.draw(canvas, forms, pages)
    canvas.save()
    spans: list[list[int]] = [[] for _ in grids]
    for n, page in enumerate(pages, 1):
        spans[page.form_index].append(n)
    return spans


def reportlab_row_pages(opts: dict, grids: list[Grid]) -> list[dict[int, list[int]]]:
    """For each grid, the 1-based pages each of its rows is drawn on (repeated headers not
    counted): the pages of a form that is one part of a list table."""
    register_fonts(opts["font"])
    printer = Printer(opts)
    pages = printer.paginate([printer.layout_form(g) for g in grids])
    out: list[dict[int, list[int]]] = [{} for _ in grids]
    for n, page in enumerate(pages, 1):
        for slot in page.slots:
            if not slot.repeated:
                out[page.form_index].setdefault(slot.row, []).append(n)
    return out


def render_libreoffice(opts: dict, grids: list[Grid], out: Path) -> bool:
    """Type the forms into an XLSX and let LibreOffice print it. False when soffice is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return False
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break
    from openpyxl.worksheet.properties import PageSetupProperties

    register_fonts(opts["font"])
    printer = Printer(opts)
    fs = float(opts["font_size"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    font_name = "WenQuanYi Zen Hei"
    r0 = 1
    for gi, grid in enumerate(grids):
        fl = printer.layout_form(grid)
        n_cols = len(grid.widths)
        if gi == 0:
            for c in range(n_cols):
                width_pt = fl.col_x[c + 1] - fl.col_x[c]
                ws.column_dimensions[get_column_letter(c + 1)].width = round(width_pt / 5.6, 2)
        else:
            ws.row_breaks.append(Break(id=r0 - 1))
        ws.cell(r0, 1, grid.title).font = Font(name=font_name, size=opts["title_size"], bold=True)
        ws.cell(r0, 1).alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(start_row=r0, start_column=1, end_row=r0, end_column=n_cols)
        ws.row_dimensions[r0].height = opts["title_size"] * 2.2
        base = r0 + 1
        for cell in grid.cells:
            r, c = base + cell.row, 1 + cell.col
            lines = fl.cell_lines[id(cell)]
            xc = ws.cell(r, c, cell.text or None)
            xc.font = Font(name=font_name, size=fs)
            align = cell.align or ("center" if len(lines) <= 1 else "left")
            xc.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
            for rr in range(r, r + cell.rowspan):
                for cc in range(c, c + cell.colspan):
                    ws.cell(rr, cc).border = border
            if cell.rowspan > 1 or cell.colspan > 1:
                ws.merge_cells(start_row=r, start_column=c,
                               end_row=r + cell.rowspan - 1, end_column=c + cell.colspan - 1)
        for i, h in enumerate(fl.row_heights):
            ws.row_dimensions[base + i].height = round(h * 1.08, 1)
        r0 = base + grid.n_rows
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    top, right, bottom, left = (m / 25.4 for m in opts["margins_mm"])
    ws.page_margins.top, ws.page_margins.right = top, right
    ws.page_margins.bottom, ws.page_margins.left = bottom, left
    ws.page_margins.header = ws.page_margins.footer = 0.2
    ws.print_options.horizontalCentered = True
    ws.oddHeader.center.text = ""
    ws.oddFooter.center.text = ""
    soffice_print(soffice, wb.save, ".xlsx", "pdf", out)
    return True



def _cell_align(cell: Cell) -> str:
    """Alignment for producers that wrap text themselves: as given, else centre for a short
    one-line text and left for a longer one."""
    if cell.align:
        return cell.align
    return "center" if "\n" not in cell.text and len(cell.text) <= 16 else "left"


def _tables(grid: Grid, split: bool) -> list[tuple[int, int]]:
    """Row ranges [a, b) of the tables a grid is printed as: one table, or (`split_tables`) a new
    table at each row marked "repeat", which becomes that table's repeated header."""
    starts = [0] + (sorted(r for r in grid.repeat_rows if r > 0) if split else [])
    ends = starts[1:] + [grid.n_rows]
    for a, b in zip(starts, ends):
        for cell in grid.cells:
            if cell.row < a < cell.row + cell.rowspan or cell.row < b < cell.row + cell.rowspan:
                raise ValueError(f"{grid.title}: a cell spans the table break at row {a} or {b}")
    return list(zip(starts, ends))


def render_html(opts: dict, grids: list[Grid], out: Path) -> bool:
    """Write the form as an HTML page (one <table> per part, the part's header row in <thead>,
    which Chromium repeats on every page) and print it with headless Chromium. False when
    chromium is not on PATH."""
    import html as html_lib

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return False
    (grid,) = grids
    w_mm, h_mm = page_size_mm(opts)
    top, right, bottom, left = opts["margins_mm"]
    total = sum(grid.widths)
    cols = "".join(f'<col style="width:{w / total * 100:.3f}%">' for w in grid.widths)
    parts = []
    for a, b in _tables(grid, opts["split_tables"]):
        head, body = [], []
        for r in range(a, b):
            tds = []
            for cell in sorted((c for c in grid.cells if c.row == r), key=lambda c: c.col):
                attrs = ""
                if cell.rowspan > 1:
                    attrs += f' rowspan="{cell.rowspan}"'
                if cell.colspan > 1:
                    attrs += f' colspan="{cell.colspan}"'
                text = "<br>".join(html_lib.escape(line) for line in cell.text.split("\n"))
                tds.append(f'<td{attrs} style="text-align:{_cell_align(cell)}">{text}</td>')
            row = "<tr>" + "".join(tds) + "</tr>"
            (head if r == a and r in grid.repeat_rows and opts["split_tables"] else body).append(row)
        thead = f"<thead>{''.join(head)}</thead>" if head else ""
        parts.append(f"<table><colgroup>{cols}</colgroup>{thead}<tbody>{''.join(body)}</tbody></table>")
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html_lib.escape(grid.title)}</title>
<style>
@page {{ size: {w_mm}mm {h_mm}mm; margin: {top}mm {right}mm {bottom}mm {left}mm; }}
body {{ margin: 0; font-family: "WenQuanYi Zen Hei"; font-size: {opts["font_size"]}pt; line-height: {opts["leading"]}; }}
h1 {{ text-align: center; font-size: {opts["title_size"]}pt; margin: 0 0 {opts["title_gap"]}pt 0; }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed; margin: 0; }}
table + table {{ margin-top: -{opts["line_width"]}pt; }}
td {{ border: {opts["line_width"]}pt solid #000; padding: {opts["cell_padding"][0]}pt {opts["cell_padding"][1]}pt; vertical-align: middle; overflow-wrap: anywhere; }}
tr {{ break-inside: avoid; }}
</style></head>
<body><h1>{html_lib.escape(grid.title)}</h1>
{"".join(parts)}
</body></html>
"""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "form.html"
        src.write_text(page, encoding="utf-8")
        pdf = Path(tmp) / "form.pdf"
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={pdf}",
             "--no-pdf-header-footer", src.as_uri()],
            check=True, capture_output=True, timeout=180,
        )
        data = pdf.read_bytes()
    out.write_bytes(pin_pdf_stamps(data))
    return True


def render_docx(opts: dict, grids: list[Grid], out: Path) -> bool:
    """Type the form into a Word document (python-docx: a table with merged cells, one table per
    part with its header row repeated on every page) and let LibreOffice Writer print it. False
    when soffice or python-docx is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    try:
        import docx  # python-docx
    except ImportError:
        return False
    if not soffice:
        return False
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    (grid,) = grids
    font_name = "WenQuanYi Zen Hei"
    document = docx.Document()
    core = document.core_properties
    core.author, core.title, core.comments = "perfdecl samples", grid.title, ""
    import datetime as _dt
    core.created = core.modified = _dt.datetime(2024, 1, 1)
    core.last_modified_by, core.revision = "perfdecl samples", 1
    section = document.sections[0]
    w_mm, h_mm = page_size_mm(opts)
    section.orientation = WD_ORIENT.LANDSCAPE if opts["landscape"] else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(w_mm), Mm(h_mm)
    top, right, bottom, left = opts["margins_mm"]
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)

    def style_run(run, size, bold=False):
        run.font.name = font_name
        run.font.size = Pt(size)
        run.font.bold = bold
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font_name)

    def tight(paragraph):
        fmt = paragraph.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing = float(opts["leading"]) / 1.17  # Word's "single" is ~1.17 em

    title = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(opts["title_gap"])
    style_run(title.add_run(grid.title), opts["title_size"], bold=True)
    table_w = w_mm - left - right
    col_w = [Mm(table_w * w / sum(grid.widths)) for w in grid.widths]
    n_cols = len(grid.widths)
    for ti, (a, b) in enumerate(_tables(grid, opts["split_tables"])):
        if ti:
            gap = document.add_paragraph()
            tight(gap)
            gap.paragraph_format.line_spacing = Pt(1)
        table = document.add_table(rows=b - a, cols=n_cols)
        table.style = "Table Grid"
        table.autofit = False
        for c, w in enumerate(col_w):
            table.columns[c].width = w
            for r in range(b - a):
                table.cell(r, c).width = w
        if a in grid.repeat_rows and opts["split_tables"]:
            tr_pr = table.rows[0]._tr.get_or_add_trPr()
            el = OxmlElement("w:tblHeader")
            el.set(qn("w:val"), "true")
            tr_pr.append(el)
        for cell in grid.cells:
            if not a <= cell.row < b:
                continue
            r, c = cell.row - a, cell.col
            target = table.cell(r, c)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
            target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            align = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                     "right": WD_ALIGN_PARAGRAPH.RIGHT}[_cell_align(cell)]
            for i, line in enumerate(cell.text.split("\n") if cell.text else [""]):
                para = target.paragraphs[0] if i == 0 else target.add_paragraph()
                para.alignment = align
                tight(para)
                if line:
                    style_run(para.add_run(line), opts["font_size"])
        for row in table.rows:  # cells left empty by a merge keep an empty, tight paragraph
            for cell in row.cells:
                for para in cell.paragraphs:
                    tight(para)
    soffice_print(soffice, document.save, ".docx", "pdf:writer_pdf_Export", out)
    return True


def real_file(opts: dict) -> Path:
    """A file named relative to the workspace (the folder holding the repository and shared/)."""
    return HERE.parent.parent / opts["source_file"]


def render_xlsx_file(opts: dict, grids: list[Grid], out: Path) -> bool:
    """Print a real XLSX file with LibreOffice Calc, after setting its page setup on a copy
    (A4, orientation, fit to the page width, heights of rows whose text would be cut).
    False when soffice or the file is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    src = real_file(opts)
    if not soffice or not src.exists():
        return False
    from openpyxl import load_workbook
    from openpyxl.worksheet.properties import PageSetupProperties

    setup = opts["xlsx_setup"]
    wb = load_workbook(src)
    ws = wb.active
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = setup.get("orientation", "portrait")
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_setup.scale = None
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    top, right, bottom, left = (m / 25.4 for m in opts["margins_mm"])
    ws.page_margins.top, ws.page_margins.right = top, right
    ws.page_margins.bottom, ws.page_margins.left = bottom, left
    ws.print_options.horizontalCentered = True
    # rows whose text overflows its stored height (LibreOffice does not fit merged cells): the
    # height that shows all the text, as someone printing the sheet would set it
    for r, height in setup.get("row_heights", {}).items():
        ws.row_dimensions[int(r)].height = height
    soffice_print(soffice, wb.save, ".xlsx", "pdf", out)
    return True


def soffice_print(soffice: str, save, suffix: str, target: str, out: Path) -> None:
    """A document that `save(path)` writes as `suffix`, printed to `out` by LibreOffice (`target`:
    its --convert-to filter) with a throwaway user profile, so that runs do not depend on the
    machine's; the PDF's run-dependent stamps pinned."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (out.stem + suffix)
        save(src)
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{Path(tmp) / 'profile'}", "--headless",
             "--convert-to", target, "--outdir", tmp, str(src)],
            check=True, capture_output=True, timeout=180,
        )
        data = (Path(tmp) / (out.stem + ".pdf")).read_bytes()
    out.write_bytes(pin_pdf_stamps(data))


def pin_pdf_stamps(data: bytes) -> bytes:
    """Replace the run-dependent stamps LibreOffice and Chromium write (CreationDate, ModDate, /ID,
    /DocChecksum) by
    fixed values of the same length, so that xref offsets hold and reruns give the same bytes."""
    data = re.sub(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d+)",
                  lambda m: m.group(1) + b"20240101000000"[: len(m.group(2))].ljust(len(m.group(2)), b"0"),
                  data)
    zeroed = re.sub(rb"<([0-9A-Fa-f]{32})>", lambda m: b"<" + b"0" * 32 + b">", data)
    zeroed = re.sub(rb"(/DocChecksum\s*/)([0-9A-Fa-f]{32})", lambda m: m.group(1) + b"0" * 32, zeroed)
    digest = hashlib.md5(zeroed).hexdigest().upper().encode()
    data = re.sub(rb"(/ID\s*\[\s*)<[0-9A-Fa-f]{32}>(\s*)<[0-9A-Fa-f]{32}>",
                  lambda m: m.group(1) + b"<" + digest + b">" + m.group(2) + b"<" + digest + b">", data)
    return re.sub(rb"(/DocChecksum\s*/)[0-9A-Fa-f]{32}", lambda m: m.group(1) + digest, data)


def pdf_page_count(pdf: Path) -> int:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return len(doc.pages)


# --------------------------------------------------------------------------------------------
# Samples


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def expected_document(sample: str, form_names: list[str], spans: list[list[int]], pdf: Path,
                      row_pages: list[dict[int, list[int]]] | None = None) -> dict:
    """The expected output document: hand-written forms + the drawn pages + `source` of `pdf`.

    An expected file holds one form (`"form"`), or (a list table carrying several projects)
    `"forms"`: [{"rows": [first, last], "form": {…}}], each form the grid rows it was read from
    (0-based, inclusive), its pages those rows are drawn on."""
    data = pdf.read_bytes()
    doc = {
        "schema_version": "1",
        "source": {
            "file": pdf.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "page_count": pdf_page_count(pdf),
            "method": "text",
            "ocr_engine": None,
        },
        "forms": [],
        "warnings": [],
    }

    def add(form_in: dict, pages: list[int]) -> None:
        form = {}
        for key, value in form_in.items():
            form[key] = value
            if key == "form_type":
                form["pages"] = pages
        doc["forms"].append(form)

    for gi, (name, span) in enumerate(zip(form_names, spans)):
        exp = load(DATA / "expected" / f"{name}.json")
        first_form = len(doc["forms"])
        if "forms" in exp:
            if row_pages is None:
                raise ValueError(f"{name}: forms by rows need the reportlab producer")
            for part in exp["forms"]:
                first, last = part["rows"]
                pages = sorted({n for r in range(first, last + 1) for n in row_pages[gi][r]})
                add(part["form"], pages)
        else:
            add(exp["form"], span)
        for w in exp.get("warnings", []):
            w = dict(w)
            if w.get("page") is not None:
                w["page"] = span[w["page"] - 1]
            # the data's form_index counts the forms of this grid (one, unless forms by rows)
            w["form_index"] = first_form + w.get("form_index", 0)
            doc["warnings"].append(w)
    return doc


PRODUCERS = {
    # name: (renderer, tool it needs)
    "libreoffice": (render_libreoffice, "soffice"),
    "docx": (render_docx, "soffice and python-docx"),
    "html": (render_html, "chromium"),
    "xlsx": (render_xlsx_file, "soffice and the source file"),
}


def build(sample: str, out_dir: Path = HERE) -> None:
    spec = load(DATA / f"{sample}.json")
    opts = {**DEFAULTS, **{k: v for k, v in spec.items() if k not in ("forms", "comment", "error")}}
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"{sample}: unknown options {sorted(unknown)}")
    form_names = spec["forms"]
    producer = opts["producer"]
    # the xlsx producer prints a real file: its `forms` name only hand-written expected forms
    grids = [] if producer == "xlsx" else [
        parse_grid(load(DATA / "forms" / f"{name}.json")) for name in form_names]
    pdf = out_dir / f"{sample}.pdf"
    row_pages = None
    if producer == "reportlab":
        spans = render_reportlab(opts, grids, pdf)
        row_pages = reportlab_row_pages(opts, grids)
    else:
        if producer not in PRODUCERS:
            raise ValueError(f"{sample}: unknown producer {producer!r}")
        if producer != "xlsx" and len(grids) != 1:
            raise ValueError(f"the {producer} producer prints one form per sample")
        render, tool = PRODUCERS[producer]
        if render(opts, grids, pdf):
            print(f"{sample}: printed by {producer}")
        elif (HERE / pdf.name).exists():
            if pdf != HERE / pdf.name:
                shutil.copyfile(HERE / pdf.name, pdf)
            print(f"{sample}: {tool} not available - keeping the committed {pdf.name}")
        else:
            print(f"{sample}: {tool} not available and no committed PDF - skipped")
            return
        spans = [list(range(1, pdf_page_count(pdf) + 1))]
    if "error" in spec:  # not a declaration form: the expected outcome is an error
        text = json.dumps(spec["error"], ensure_ascii=False, indent=2) + "\n"
        (out_dir / f"{sample}.expected-error.json").write_text(text, encoding="utf-8")
        print(f"{sample}.pdf: {pdf_page_count(pdf)} page(s), expected error {spec['error']}")
        return
    doc = expected_document(sample, form_names, spans, pdf, row_pages)
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    (out_dir / f"{sample}.expected.json").write_text(text, encoding="utf-8")
    print(f"{sample}.pdf: {doc['source']['page_count']} page(s), {pdf.stat().st_size} bytes, "
          f"forms on pages {[f['pages'] for f in doc['forms']]}")


def sample_names() -> list[str]:
    return sorted(p.stem for p in DATA.glob("*.json"))


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("samples", nargs="*", help="sample names (default: all of samples/data/*.json)")
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: samples/)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.samples or sample_names():
        build(name, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
