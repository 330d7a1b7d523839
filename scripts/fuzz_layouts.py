#!/usr/bin/env python3
"""Layout fuzzer: every form held as a table, printed by LibreOffice Calc with random page setups;
the records read from each print must be the same as the form's reference.

    python scripts/fuzz_layouts.py                          # 50 setups per form, seed 10
    python scripts/fuzz_layouts.py --setups 80 --seed 7 --jobs 2
    python scripts/fuzz_layouts.py --forms form_05,seed --only 3,17 --keep /tmp/prints
    python scripts/fuzz_layouts.py --cases samples/layouts/manifest.json   # reprint the CI cases

Forms (docs/layouts.md):

* the real-form corpus's sheets (../shared/real/forms/sheets/form_NN.json), typed into an XLSX;
  reference: gold/form_NN.json scored with the corpus's score.py `compare_doc` (every field right);
* the samples' grids (samples/data/forms) as each sample of samples/data names them, typed into an
  XLSX; reference: samples/<sample>.expected.json without what depends on the print (PRINT_FIELDS).
  Every sample is a table, so every one is in: the Word and HTML samples' grids too, and
  staff_list (no form: its expected error); samples printing the same grids once (seed stands
  for seed_libreoffice and seed_two_pages);
* the real spreadsheets of ../shared/real (the Wuhan and Yuzhong files of the samples, and the two
  Zhanjiang files of corpus forms 01 and 02), their page setup, fonts and column widths changed.

A page setup (`Setup`) is drawn per (seed, form, index) from its own random generator, so a setup
does not depend on which other forms or indices run. XLSX files are printed in batches, one
`soffice --convert-to pdf` per batch with its own user profile; the PDFs are read in-process with
`perfdecl.convert`. Exit status 1 when any print does not give its reference.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib.util
import json
import logging
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED_REAL = ROOT.parent / "shared" / "real"
DEFAULT_SEED = 10
log = logging.getLogger("fuzz_layouts")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (the corpus location and its scorer, as `make accuracy` uses them)

# CJK fonts a setup prints in: family as LibreOffice names it -> (file, index in the collection).
# Hei (sans), Ming (song/serif) and Kai, the three faces government forms are set in. The sweep
# needs them all (apt: fonts-wqy-zenhei fonts-wqy-microhei fonts-arphic-uming fonts-arphic-ukai),
# so that a seed draws the same setups on every machine.
FONTS = {
    "WenQuanYi Zen Hei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "WenQuanYi Micro Hei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    "AR PL UMing CN": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "AR PL UKai CN": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
}
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0), "Letter": (215.9, 279.4)}
PT_PER_MM = 72 / 25.4
FOOTER = "第 &P 页，共 &N 页"
# Text cells' inner padding in LibreOffice (points, each side) and the share of a line's width
# measured text may fill: LibreOffice breaks lines a little earlier than reportlab measures.
CELL_PAD = 3.0
FILL = 0.9


# --------------------------------------------------------------------------------------------
# Sources: the forms and their references


def _generator():
    """samples/generate.py as a module (its grid parser, line breaker and PDF stamp pinning)."""
    name = "samples_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


@dataclass
class Source:
    name: str
    kind: str  # "sheet" (corpus sheet), "grid" (samples' grids), "xlsx" (a real spreadsheet)
    reference: str  # "gold:form_NN" | "expected:<sample>" | "error:<sample>"
    sheet: dict | None = None  # kind "sheet": the corpus sheet
    sample: dict | None = None  # kind "grid" / "xlsx": the sample's data (options, forms)
    xlsx: Path | None = None  # kind "xlsx"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# the real spreadsheets that no sample prints, and the corpus form whose gold is their reference
REAL_XLSX_GOLD = {
    "zhanjiang_2024_xlsx": ("sstqa_zh_1_zhanjiang_hrss_2024_dept_overall.xlsx", "form_01"),
    "zhanjiang_2023_xlsx": ("sstqa_zh_40_zhanjiang_hrss_2023_dept_overall.xlsx", "form_02"),
}


def load_sources(corpus_dir: Path = corpus.CORPUS) -> list[Source]:
    """Every form held as a table. The samples' grids once per set of grids: seed,
    seed_libreoffice and seed_two_pages print the same grid (the first name stands for them)."""
    sources: list[Source] = []
    if (corpus_dir / "sheets").is_dir():
        for path in sorted((corpus_dir / "sheets").glob("form_*.json")):
            if (corpus_dir / "gold" / path.name).is_file():
                sheet = _load(path)
                sources.append(Source(path.stem, "sheet", f"gold:{path.stem}", sheet=sheet))
    seen: set[tuple[str, ...]] = set()
    for path in sorted((SAMPLES / "data").glob("*.json")):
        spec = _load(path)
        name = path.stem
        producer = spec.get("producer", "reportlab")
        if "error" in spec:
            ref = f"error:{name}"
        elif (SAMPLES / f"{name}.expected.json").is_file():
            ref = f"expected:{name}"
        else:
            continue
        if producer == "xlsx":
            src = ROOT.parent / spec["source_file"]
            if src.is_file():
                sources.append(Source(name, "xlsx", ref, sample=spec, xlsx=src))
            continue
        key = tuple(spec["forms"])
        if key in seen:
            continue
        seen.add(key)
        sources.append(Source(name, "grid", ref, sample=spec))
    for name, (file, form) in REAL_XLSX_GOLD.items():
        if (SHARED_REAL / file).is_file() and (corpus_dir / "gold" / f"{form}.json").is_file():
            sources.append(Source(name, "xlsx", f"gold:{form}",
                                  sample={"source_file": f"shared/real/{file}", "xlsx_setup": {}},
                                  xlsx=SHARED_REAL / file))
    return sources


# --------------------------------------------------------------------------------------------
# Checking a print against its reference

# What depends on the print, dropped before a sample's records are compared (docs/layouts.md):
# the file's name, bytes and page count; the pages of each form; each row's page and box; the
# page a warning points at. Everything else, `source.method` and `ocr_engine` included, is strict
# (a row's OCR `confidence`, absent from the expected documents, must be null).
PRINT_FIELDS = {
    "source": ("file", "sha256", "page_count"),
    "form": ("pages",),
    "row": ("page", "bbox"),
    "warning": ("page",),
}
ROW_LISTS = ("budget", "tasks", "indicators", "facts")


def print_independent(doc: dict) -> dict:
    """`doc` (a contract document as JSON) without the fields that depend on the print."""
    out = copy.deepcopy(doc)
    for key in PRINT_FIELDS["source"]:
        out.get("source", {}).pop(key, None)
    for form in out.get("forms", []):
        for key in PRINT_FIELDS["form"]:
            form.pop(key, None)
        for rows in ROW_LISTS:
            for row in form.get(rows, []):
                for key in PRINT_FIELDS["row"]:
                    row.pop(key, None)
                if row.get("confidence", 0) is None:  # OCR only: null in every text print
                    row.pop("confidence")
    for warning in out.get("warnings", []):
        for key in PRINT_FIELDS["warning"]:
            warning.pop(key, None)
    return out


def differences(want, got, path: str = "", out: list | None = None, limit: int = 10) -> list:
    """(path, wanted, got) of the first `limit` leaves where two JSON values differ."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(want, dict) and isinstance(got, dict):
        for key in list(want) + [k for k in got if k not in want]:
            differences(want.get(key, "<absent>"), got.get(key, "<absent>"),
                        f"{path}.{key}" if path else key, out, limit)
    elif isinstance(want, list) and isinstance(got, list):
        for i in range(max(len(want), len(got))):
            differences(want[i] if i < len(want) else "<absent>",
                        got[i] if i < len(got) else "<absent>", f"{path}[{i}]", out, limit)
    elif want != got:
        out.append((path, want, got))
    return out


_scorer = None


def reference(ref: str, corpus_dir: Path = corpus.CORPUS):
    kind, name = ref.split(":", 1)
    if kind == "gold":
        return _load(corpus_dir / "gold" / f"{name}.json")
    if kind == "expected":
        return _load(SAMPLES / f"{name}.expected.json")
    return _load(SAMPLES / f"{name}.expected-error.json")


def check(ref: str, pdf: Path, corpus_dir: Path = corpus.CORPUS, limit: int = 10) -> list:
    """Convert `pdf` with perfdecl and compare it with the reference `ref` ("gold:form_NN",
    "expected:<sample>", "error:<sample>"): the (field, wanted, got) that differ; [] = pass.

    gold: the corpus scorer's compare_doc, every field right. expected: the sample's expected
    document and the print's, both without PRINT_FIELDS, equal. error: the same error."""
    global _scorer
    import perfdecl
    from perfdecl.errors import PerfdeclError

    want = reference(ref, corpus_dir)
    kind = ref.split(":", 1)[0]
    try:
        got = perfdecl.convert(pdf).model_dump(mode="json")
    except PerfdeclError as err:
        got_error = {"stage": err.stage, "code": err.code}
        if kind == "error" and got_error == want:
            return []
        return [("error", want if kind == "error" else None, f"{err.code}: {err.message}")]
    if kind == "error":
        return [("error", want, f"a document with {len(got['forms'])} form(s)")]
    if kind == "gold":
        if _scorer is None:
            _scorer = corpus.load_scorer(corpus_dir)
        return [(path, g, o) for _grp, path, g, o, ok in _scorer.compare_doc(want, got)
                if not ok][:limit]
    return differences(print_independent(want), print_independent(got), limit=limit)


# --------------------------------------------------------------------------------------------
# Page setups


@dataclass
class Setup:
    """One page setup, as a clerk sets it in Calc's Format > Page dialogue (and column widths,
    fonts and row heights in the sheet)."""

    paper: str
    orientation: str
    scale: int | None  # percent; None: fit to the page width
    margins_mm: list[float]  # top, right, bottom, left
    centred: bool  # centred horizontally on the page
    width_factor: float  # every column's width times this ...
    column_factors: list[float]  # ... times its own factor
    font: str
    row_extra: float  # points added to every table row (forms printed with airy rows)
    # what a setup does not apply to a form is None in the record of its print: font_size,
    # valign and borders to a real spreadsheet (its own sizes times size_factor, its own
    # alignment and rules), size_factor to grids and sheets, form_breaks to one form
    font_size: float | None  # body text
    size_factor: float | None
    valign: str | None  # vertical alignment of table cells
    borders: str | None  # "all" sides of every cell, or "below": each cell's right and bottom
    # rule (and the table's outer left and top), as sheets ruled row by row have them
    footer: bool  # 第 &P 页，共 &N 页 centred in the footer
    repeat_header: bool  # the indicator header band as Calc's "rows to repeat" (where one
    # band holds it: not where 绩效指标 is merged beside every indicator)
    form_breaks: bool | None  # several forms in one sheet: a manual page break before each

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def brief(self) -> str:
        scale = "fit width" if self.scale is None else f"{self.scale}%"
        m = "/".join(f"{x:g}" for x in self.margins_mm)
        size = (f"{self.font_size:g}pt" if self.size_factor is None
                else f"sizes x{self.size_factor:g}")
        out = (f"{self.paper} {self.orientation} {scale} margins {m}mm "
               f"widths x{self.width_factor:g} {self.font} {size} rows +{self.row_extra:g}pt")
        if self.valign is not None:
            out += f" valign {self.valign} borders {self.borders}"
        flags = [n for n, on in (("footer", self.footer), ("repeat header", self.repeat_header),
                                 ("form breaks", self.form_breaks)) if on]
        return out + (" + " + ", ".join(flags) if flags else "")


def draw_setup(seed: int, name: str, index: int, n_cols: int) -> Setup:
    """The setup of print `index` of form `name`: a generator of its own (seeded by the three),
    the scale still uncapped (see `fit_scale`)."""
    rng = random.Random(f"{seed}:{name}:{index}")
    paper = rng.choices(["A4", "A3", "Letter"], weights=[6, 2, 2])[0]
    orientation = rng.choice(["portrait", "landscape"])
    scale = None if rng.random() < 0.3 else rng.randint(50, 100)
    margins = [round(rng.uniform(10, 25)), round(rng.uniform(8, 22)),
               round(rng.uniform(10, 25)), round(rng.uniform(8, 22))]
    centred = rng.random() < 0.7
    width_factor = round(rng.uniform(0.8, 1.3), 2)
    column_factors = [round(rng.uniform(0.8, 1.25), 2) for _ in range(n_cols)]
    font = rng.choice(sorted(FONTS))
    row_extra = rng.choice([0, 0, 0, 4, 8, 14])
    font_size = rng.choice([9, 10, 10.5, 11, 12])
    size_factor = rng.choice([0.85, 0.9, 1.0, 1.0, 1.1, 1.2])
    valign = rng.choices(["center", "top", "bottom"], weights=[6, 2, 2])[0]
    borders = rng.choices(["all", "below"], weights=[6, 4])[0]
    footer = rng.random() < 0.5
    repeat_header = rng.random() < 0.3
    form_breaks = rng.random() < 0.6
    return Setup(paper, orientation, scale, margins, centred, width_factor, column_factors, font,
                 row_extra, font_size, size_factor, valign, borders, footer, repeat_header,
                 form_breaks)


def printable_width_pt(setup: Setup) -> float:
    w, h = PAPER_MM[setup.paper]
    _top, right, _bottom, left = setup.margins_mm
    return ((h if setup.orientation == "landscape" else w) - left - right) * PT_PER_MM


def fit_scale(setup: Setup, table_width_pt: float) -> Setup:
    """A percent scale at which the table's columns fit across the page: a wider print would cut
    the table into strips of columns, which no clerk files. The drawn percent is spread over
    50 .. the largest that fits; fit to width where even 50 % is too wide."""
    if setup.scale is None:
        return setup
    cap = math.floor(100 * printable_width_pt(setup) / table_width_pt * 0.98)
    if cap < 50:
        return dataclasses.replace(setup, scale=None)
    top = min(100, cap)
    return dataclasses.replace(setup, scale=round(50 + (setup.scale - 50) / 50 * (top - 50)))


# --------------------------------------------------------------------------------------------
# Measuring text (reportlab's metrics of the setup's font)


def _font_key(family: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    key = "fuzz-" + family.replace(" ", "")
    if key not in pdfmetrics.getRegisteredFontNames():
        file, index = FONTS[family]
        pdfmetrics.registerFont(TTFont(key, file, subfontIndex=index))
    return key


def text_width(text: str, family: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, _font_key(family), size)


def line_count(text: str, width: float, family: str, size: float) -> int:
    g = _generator()
    inner = max(width * FILL - 2 * CELL_PAD, size)
    return max(1, len(g.wrap(text, inner, _font_key(family), size)))


def line_height(size: float) -> float:
    # LibreOffice sets CJK text about 1.3 em apart in these fonts
    return size * 1.32


def widest_token(text: str, family: str, size: float) -> float:
    """Width of the longest run the line breaker keeps whole (a number, a Latin word)."""
    g = _generator()
    runs = [t for line in text.split("\n") for t in g.tokens(line.strip())] or [""]
    return max(text_width(t, family, size) for t in runs)


@dataclass
class Box:
    """A cell to measure: grid position, text, font size, whether it wraps."""

    row: int
    col: int
    rowspan: int
    colspan: int
    text: str
    size: float
    wraps: bool = True


def column_widths(boxes: list[Box], base_pt: list[float], setup: Setup, family: str) -> list[float]:
    """The setup's column widths in points: the base widths times the factors, each column at
    least two characters and its widest number or word wide (narrower, Calc prints ### or cuts
    the text: nobody prints that)."""
    widths = [w * setup.width_factor * f for w, f in zip(base_pt, setup.column_factors)]
    for box in boxes:
        if not box.text.strip():
            continue
        need = max(widest_token(box.text, family, box.size), 2 * box.size) / FILL + 2 * CELL_PAD
        if not box.wraps:
            need = text_width(box.text, family, box.size) / FILL + 2 * CELL_PAD
        cols = range(box.col, box.col + box.colspan)
        have = sum(widths[c] for c in cols)
        if have < need:
            for c in cols:
                widths[c] *= need / have
    return [round(w, 2) for w in widths]


def row_heights(boxes: list[Box], widths: list[float], n_rows: int, family: str,
                floor: list[float]) -> list[float]:
    """Row heights that show every cell's text (Calc does not grow rows for merged cells): a
    merged cell's extra height shared by its rows, as generate.py's layout does."""
    heights = list(floor)
    for box in sorted(boxes, key=lambda b: b.rowspan):
        if not box.text.strip():
            continue
        width = sum(widths[box.col: box.col + box.colspan])
        lines = line_count(box.text, width, family, box.size) if box.wraps else 1
        need = lines * line_height(box.size) + 2 * CELL_PAD + 2
        rows = range(box.row, box.row + box.rowspan)
        have = sum(heights[r] for r in rows)
        if need > have:
            for r in rows:
                heights[r] += (need - have) / box.rowspan
    return [round(h + 0.049, 1) for h in heights]


# --------------------------------------------------------------------------------------------
# Workbooks


def _header_band(cells: list[tuple[int, int]], header_row: int | None) -> tuple[int, int] | None:
    """The rows [first, last] of the indicator header that Calc can repeat: the band around
    `header_row` that no merged cell crosses (`cells`: (first row, last row) of every cell)."""
    if header_row is None:
        return None
    first = last = header_row
    while True:  # grow over the cells of a header on two or three rows
        touching = [(a, b) for a, b in cells if a <= last and b >= first]
        if any(b - a >= 3 for a, b in touching):
            return None  # a label merged over the body (绩效指标 beside every indicator)
        grown = (min(a for a, _ in touching), max(b for _, b in touching))
        if grown == (first, last):
            return first, last
        first, last = grown


HEADER_WORDS = re.compile(r"^(三级指标|指标名称|指标内容|绩效指标名称)$")


def apply_page_setup(ws, setup: Setup, repeat: tuple[int, int] | None) -> None:
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = {"A4": ws.PAPERSIZE_A4, "A3": ws.PAPERSIZE_A3,
                               "Letter": ws.PAPERSIZE_LETTER}[setup.paper]
    ws.page_setup.orientation = setup.orientation
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    if setup.scale is None:
        ws.page_setup.scale = None
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.page_setup.scale = setup.scale
        ws.sheet_properties.pageSetUpPr.fitToPage = False
    top, right, bottom, left = (m / 25.4 for m in setup.margins_mm)
    ws.page_margins.top, ws.page_margins.right = top, right
    ws.page_margins.bottom, ws.page_margins.left = bottom, left
    ws.page_margins.header = ws.page_margins.footer = 0.2
    ws.print_options.horizontalCentered = setup.centred
    ws.print_options.verticalCentered = False
    for part in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter):
        part.left.text = part.center.text = part.right.text = None
    if setup.footer:
        ws.oddFooter.center.text = FOOTER
    ws.print_title_rows = f"{repeat[0]}:{repeat[1]}" if setup.repeat_header and repeat else None


def grid_parts(source: Source) -> list[dict]:
    """The tables of a grid or sheet source: [{title, pre, post, grid}], one per form."""
    g = _generator()
    if source.kind == "sheet":
        s = source.sheet
        grid = g.parse_grid({"title": s["title"], "columns": s["layout"]["col_widths"],
                             "rows": s["rows"]})
        return [{"title": s["title"], "pre": s.get("pre") or [], "post": s.get("post") or [],
                 "grid": grid, "units": [float(w) for w in s["layout"]["col_widths"]]}]
    parts = []
    for form in source.sample["forms"]:
        grid = g.parse_grid(g.load(g.DATA / "forms" / f"{form}.json"))
        # relative widths as Calc column widths: about a landscape A4's width in all
        units = [w * 110 / sum(grid.widths) for w in grid.widths]
        parts.append({"title": grid.title, "pre": [], "post": [], "grid": grid, "units": units})
    return parts


def n_columns(source: Source) -> int:
    if source.kind == "xlsx":
        from openpyxl import load_workbook

        return load_workbook(source.xlsx).active.max_column
    return max(len(p["units"]) for p in grid_parts(source))


def grid_workbook(source: Source, setup: Setup, unit_pt) -> tuple[object, Setup]:
    """The forms of a sheet or grid source typed into one sheet: title row, `pre` lines, the
    table (thin borders on every cell, merged cells, wrapped text), `post` lines; a manual page
    break before each further form when the setup says so."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    parts = grid_parts(source)
    n_cols = max(len(p["units"]) for p in parts)
    family, size = setup.font, float(setup.font_size)
    title_size = round(size * 1.7)
    boxes: list[Box] = []
    layout: list[tuple[int, dict]] = []  # (first sheet row (0-based), part)
    table_rows: set[int] = set()
    r = 0
    for p in parts:
        layout.append((r, p))
        boxes.append(Box(r, 0, 1, len(p["units"]), p["title"], title_size))
        r += 1
        for line in p["pre"]:
            text = line["text"] if isinstance(line, dict) else line
            boxes.append(Box(r, 0, 1, len(p["units"]), text, size))
            r += 1
        for c in p["grid"].cells:
            boxes.append(Box(r + c.row, c.col, c.rowspan, c.colspan, c.text, size))
        table_rows.update(range(r, r + p["grid"].n_rows))
        r += p["grid"].n_rows
        for line in p["post"]:
            text = line["text"] if isinstance(line, dict) else line
            boxes.append(Box(r, 0, 1, len(p["units"]), text, size))
            r += 1
    n_rows = r
    # the first form's widths, as generate.py's LibreOffice print has them
    base_pt = [unit_pt(u) for u in parts[0]["units"]]
    base_pt += [unit_pt(8.43)] * (n_cols - len(base_pt))
    widths = column_widths(boxes, base_pt, setup, family)
    setup = fit_scale(setup, sum(widths))
    floor = [size * 1.9 + (setup.row_extra if r in table_rows else 0) for r in range(n_rows)]
    heights = row_heights(boxes, widths, n_rows, family, floor)

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(c + 1)].width = unit_pt.units(w)
    for i, h in enumerate(heights):
        ws.row_dimensions[i + 1].height = h
    header_row = None
    spans: list[tuple[int, int]] = []
    for pi, (r0, p) in enumerate(layout):
        cols = len(p["units"])
        if pi and setup.form_breaks:
            ws.row_breaks.append(Break(id=r0))
        cell = ws.cell(r0 + 1, 1, p["title"])
        cell.font = Font(name=family, size=title_size, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.merge_cells(start_row=r0 + 1, start_column=1, end_row=r0 + 1, end_column=cols)
        rr = r0 + 1
        for line in p["pre"]:
            rr += 1
            _line(ws, rr, cols, line, family, size)
        base = rr + 1
        for c in p["grid"].cells:
            row, col = base + c.row, 1 + c.col
            xc = ws.cell(row, col, c.text or None)
            xc.font = Font(name=family, size=size)
            width = sum(widths[c.col: c.col + c.colspan])
            one_line = "\n" not in c.text and line_count(c.text, width, family, size) == 1
            xc.alignment = Alignment(horizontal=c.align or ("center" if one_line else "left"),
                                     vertical=setup.valign, wrap_text=True)
            for y in range(row, row + c.rowspan):
                for x in range(col, col + c.colspan):
                    ws.cell(y, x).border = border if setup.borders == "all" else Border(
                        left=thin if x == col == 1 else None,
                        right=thin if x == col + c.colspan - 1 else None,
                        top=thin if y == row == base else None,
                        bottom=thin if y == row + c.rowspan - 1 else None)
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_cells(start_row=row, start_column=col, end_row=row + c.rowspan - 1,
                               end_column=col + c.colspan - 1)
            spans.append((row, row + c.rowspan - 1))
            if header_row is None and HEADER_WORDS.match(re.sub(r"\s", "", c.text)):
                header_row = row
        if header_row is None:  # the samples mark their indicator header
            rep = sorted(p["grid"].repeat_rows)
            header_row = base + rep[0] if rep else None
        rr = base + p["grid"].n_rows - 1
        for line in p["post"]:
            rr += 1
            _line(ws, rr, cols, line, family, size)
    # Calc repeats one band for the whole sheet: the first form's
    band = _header_band(spans, header_row)
    setup = dataclasses.replace(setup, size_factor=None,
                                repeat_header=setup.repeat_header and bool(band),
                                form_breaks=setup.form_breaks if len(parts) > 1 else None)
    apply_page_setup(ws, setup, band)
    return wb, setup


def _line(ws, row: int, cols: int, line, family: str, size: float) -> None:
    from openpyxl.styles import Alignment, Font

    if isinstance(line, dict):
        text, align = line["text"], line.get("align", "left")
    else:
        text, align = line, "center"
    cell = ws.cell(row, 1, text)
    cell.font = Font(name=family, size=size)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=cols)


def shown(value, fmt: str) -> str:
    """A cell value as Calc shows it, near enough to measure it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    decimals = len(m.group(1)) if (m := re.search(r"0\.(0+)", fmt)) else 0
    if "%" in fmt:
        return f"{value * 100:.{decimals}f}%"
    if fmt == "General":
        return f"{value:.10g}"
    return f"{value:,.{decimals}f}" if "," in fmt else f"{value:.{decimals}f}"


def xlsx_workbook(source: Source, setup: Setup, unit_pt) -> tuple[object, Setup]:
    """A real spreadsheet with the setup: its fonts in the setup's family (sizes times the size
    factor), columns times the width factors, wrapping switched on where a text no longer fits,
    rows as high as their text needs (never lower than the file has them)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = load_workbook(source.xlsx)
    ws = wb.active
    for r, height in source.sample.get("xlsx_setup", {}).get("row_heights", {}).items():
        ws.row_dimensions[int(r)].height = height  # the sample's own fixes of cut rows
    n_rows, n_cols = ws.max_row, ws.max_column
    default_units = ws.sheet_format.defaultColWidth or (ws.sheet_format.baseColWidth or 8) + 0.71
    units = [default_units] * n_cols
    for dim in ws.column_dimensions.values():
        if dim.width:
            for c in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
                if c <= n_cols:
                    units[c - 1] = dim.width
    merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    covered = {(r, c) for m in ws.merged_cells.ranges for r in range(m.min_row, m.max_row + 1)
               for c in range(m.min_col, m.max_col + 1) if (r, c) != (m.min_row, m.min_col)}
    family = setup.font
    boxes: list[Box] = []
    cells = []
    for row in ws.iter_rows(min_row=1, max_row=n_rows, max_col=n_cols):
        for cell in row:
            if (cell.row, cell.column) in covered:
                continue
            size = round(float(cell.font.sz or 11) * setup.size_factor * 2) / 2
            cell.font = Font(name=family, size=size, bold=cell.font.b, italic=cell.font.i,
                             color=cell.font.color, underline=cell.font.u)
            if cell.value is None:
                continue
            m = merged.get((cell.row, cell.column))
            rs, cs = (m.max_row - m.min_row + 1, m.max_col - m.min_col + 1) if m else (1, 1)
            text = shown(cell.value, cell.number_format)
            boxes.append(Box(cell.row - 1, cell.column - 1, rs, cs, text, size,
                             wraps=not isinstance(cell.value, (int, float))))
            cells.append(cell)
    widths = column_widths(boxes, [unit_pt(u) for u in units], setup, family)
    setup = fit_scale(setup, sum(widths))
    for box, cell in zip(boxes, cells):
        width = sum(widths[box.col: box.col + box.colspan])
        if box.wraps and not cell.alignment.wrap_text and \
                text_width(box.text, family, box.size) > width * FILL - 2 * CELL_PAD:
            al = copy.copy(cell.alignment)
            cell.alignment = Alignment(horizontal=al.horizontal, vertical=al.vertical or "center",
                                       wrap_text=True, indent=al.indent)
    floor = [float(ws.row_dimensions[r + 1].height or ws.sheet_format.defaultRowHeight or 15)
             + setup.row_extra for r in range(n_rows)]
    heights = row_heights(boxes, widths, n_rows, family, floor)
    for c, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(c + 1)].width = unit_pt.units(w)
    for r, h in enumerate(heights):
        ws.row_dimensions[r + 1].height = h
    spans = [(b.row + 1, b.row + b.rowspan) for b in boxes]
    header_row = next((b.row + 1 for b in boxes if HEADER_WORDS.match(re.sub(r"\s", "", b.text))),
                      None)
    band = _header_band(spans, header_row)
    # the file keeps its own alignment and rules; one form, no form breaks
    setup = dataclasses.replace(setup, font_size=None, valign=None, borders=None, form_breaks=None,
                                repeat_header=setup.repeat_header and bool(band))
    apply_page_setup(ws, setup, band)
    return wb, setup


def workbook(source: Source, setup: Setup, unit_pt):
    if source.kind == "xlsx":
        return xlsx_workbook(source, setup, unit_pt)
    return grid_workbook(source, setup, unit_pt)


# --------------------------------------------------------------------------------------------
# LibreOffice


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise SystemExit("LibreOffice Calc is needed: apt-get install --no-install-recommends "
                         "libreoffice-calc-nogui (docs/layouts.md)")
    return exe


def print_batch(xlsx_files: list[Path], out_dir: Path, profile: Path) -> None:
    """Print XLSX files to PDFs in `out_dir` with one LibreOffice process (user profile
    `profile`); the PDFs' date and ID stamps pinned, so that a reprint gives the same bytes."""
    g = _generator()
    if not xlsx_files:
        return
    subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out_dir), *map(str, xlsx_files)],
        check=True, capture_output=True, timeout=60 + 30 * len(xlsx_files),
    )
    for src in xlsx_files:
        pdf = out_dir / f"{src.stem}.pdf"
        if pdf.exists():
            pdf.write_bytes(g.pin_pdf_stamps(pdf.read_bytes()))


class UnitScale:
    """Calc column width units <-> points for a workbook's default font, measured by printing
    two columns (Calc sizes a unit by the default font's digit width)."""

    def __init__(self, per_unit: float, offset: float):
        self.per_unit, self.offset = per_unit, offset

    def __call__(self, units: float) -> float:
        return self.per_unit * units + self.offset

    def units(self, points: float) -> float:
        return round((points - self.offset) / self.per_unit, 2)


def calibrate(kinds: dict[str, Path | None], work: Path) -> dict[str, tuple[float, float]]:
    """{kind: (points per unit, offset)} for each kind of workbook: None = openpyxl's new
    workbook, else a real file (its default font)."""
    import pdfplumber
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import Border, Side

    files = []
    for kind, src in kinds.items():
        wb = Workbook() if src is None else load_workbook(src)
        ws = wb.create_sheet("calibration", 0)
        for other in list(wb.worksheets[1:]):
            wb.remove(other)
        thin = Side(style="thin")
        for col, (letter, width) in enumerate((("A", 10), ("B", 30)), 1):
            ws.column_dimensions[letter].width = width
            ws.cell(1, col, "x").border = Border(left=thin, right=thin, top=thin, bottom=thin)
        ws.page_setup.orientation = "landscape"
        path = work / f"calibrate_{kind}.xlsx"
        wb.save(path)
        files.append(path)
    print_batch(files, work, work / "profile")
    out = {}
    for kind in kinds:
        with pdfplumber.open(work / f"calibrate_{kind}.pdf") as pdf:
            xs = sorted({round(e["x0"], 2) for e in pdf.pages[0].edges
                         if abs(e["x0"] - e["x1"]) < 0.1})
        a, b = xs[1] - xs[0], xs[2] - xs[1]
        per_unit = (b - a) / 20
        out[kind] = (round(per_unit, 4), round(a - 10 * per_unit, 4))
    return out


def unit_kind(source: Source) -> str:
    return "new" if source.kind != "xlsx" else source.xlsx.stem


# --------------------------------------------------------------------------------------------
# Break features of a print (the cases the fuzzer is for), read from the PDF


TALL_SIGNS = set("()（）[]【】《》<>≥≤≧≦%％")


def visible_text(pdf_path: Path) -> list[dict]:
    """Per page: its characters with `visible` (ink under the glyph in a rendering of the page),
    its rules and its size. Calc draws the whole text of a cell cut by a page break on both
    pages and clips it to the rows printed there: the clipped characters are in the text layer
    but not on the paper."""
    import pdfplumber
    import pypdfium2

    k = 3.0  # pixels per point
    pages = []
    doc = pypdfium2.PdfDocument(str(pdf_path))
    try:
        with pdfplumber.open(pdf_path) as pdf:
            for page, rendered in zip(pdf.pages, doc):
                ink = rendered.render(scale=k, grayscale=True).to_numpy() < 200
                rules = [e for e in page.edges
                         if min(e["x1"] - e["x0"], e["bottom"] - e["top"]) < 1.5]
                for e in rules:  # a rule through a glyph's box is not the glyph
                    ink[max(int(e["top"] * k) - 2, 0): int(e["bottom"] * k) + 3,
                        max(int(e["x0"] * k) - 2, 0): int(e["x1"] * k) + 3] = False
                chars = []
                for c in page.chars:
                    if not (c["text"].isalnum() or c["text"] in TALL_SIGNS):
                        continue  # a stop or comma is too small and light to tell
                    # a glyph's box, inset where the glyph fills it (a bracket does not)
                    pad = c["size"] * 0.08 if c["text"].isalnum() else 0
                    y0, y1 = int((c["top"] + pad) * k), int((c["bottom"] - pad) * k)
                    x0, x1 = int((c["x0"] + pad) * k), int((c["x1"] - pad) * k)
                    box = ink[max(y0, 0): max(y1, 0), max(x0, 0): max(x1, 0)]
                    kept = {f: c[f] for f in ("text", "x0", "x1", "top", "bottom", "size")}
                    chars.append({**kept, "visible": bool(box.size and box.any())})
                pages.append({"chars": chars, "rules": rules, "height": page.height})
    finally:
        doc.close()
    return pages


HEADER_TEXT = re.compile(r"三级指标|指标名称|二级指标|指标内容")


def break_features(pdf_path: Path) -> list[str]:
    """Which page-break cases a print shows (read from the rendering and the text layer):

    * `continuation_no_top_rule`: a page after the first whose table has no rule over most of
      its top;
    * `merged_label_one_side`: a cell cut by the break whose text Calc printed wholly on the
      other page (here its characters are all clipped);
    * `row_sliced`: a cell cut by the break whose text lines are printed partly on each page;
    * `header_alone_at_foot`: a page (not the last) ending with the indicator header row;
    * `text_clipped`: text clipped inside the table, not at a break: a cell too small for its
      text (a fault of the print, not a case; the sweep reports it).
    For choosing and describing the committed cases and counting what a sweep covered; the
    check of a print is its records only."""
    feats: set[str] = set()
    pages = visible_text(pdf_path)
    for n, page in enumerate(pages):
        rules, chars = page["rules"], page["chars"]
        horiz = [e for e in rules if e["x1"] - e["x0"] > e["bottom"] - e["top"]]
        vert = [e for e in rules if e not in horiz]
        if not horiz or not vert:
            continue
        left, right = min(e["x0"] for e in vert), max(e["x1"] for e in vert)
        top, bottom = min(e["top"] for e in vert), max(e["bottom"] for e in vert)
        if n > 0:
            across = sum(e["x1"] - e["x0"] for e in horiz if abs(e["top"] - top) < 1.5)
            if across < 0.5 * (right - left):
                feats.add("continuation_no_top_rule")
        shown = [c for c in chars if c["visible"]]
        for h in (c for c in chars if not c["visible"] and left <= c["x0"] <= right):
            if top + 1 < (h["top"] + h["bottom"]) / 2 < bottom - 1:
                feats.add("text_clipped")
                continue
            # a visible line of the same cell next to a clipped one: the text is sliced
            near = [c for c in shown if abs(c["x0"] - h["x0"]) < 3 * h["size"]
                    and 0 < abs(c["top"] - h["top"]) < 1.8 * h["size"]
                    and abs(c["size"] - h["size"]) < 0.1]
            feats.add("row_sliced" if near else "merged_label_one_side")
        if n < len(pages) - 1:
            ys = sorted({round(e["top"], 1) for e in horiz})
            if len(ys) >= 2:
                last = "".join(c["text"] for c in shown
                               if ys[-2] < (c["top"] + c["bottom"]) / 2 < ys[-1])
                if HEADER_TEXT.search(last):
                    feats.add("header_alone_at_foot")
    return sorted(feats)


# --------------------------------------------------------------------------------------------
# The sweep


@dataclass
class Result:
    source: str
    index: int
    setup: dict
    brief: str
    pages: int = 0
    features: list[str] = field(default_factory=list)
    diffs: list = field(default_factory=list)
    error: str | None = None  # the print itself failed (LibreOffice)
    # the print lacks text the sheet holds (LibreOffice left rows out): no test of the reader,
    # reported apart and not counted
    incomplete: str | None = None

    @property
    def passed(self) -> bool:
        return not self.diffs and self.error is None

    @property
    def failed(self) -> bool:
        return not self.passed and self.incomplete is None


def missing_text(wb, pdf) -> str:
    """The sheet's ideographs the PDF's text layer does not hold as often (off-page characters
    count: a clipped text is still printed text), as `满×2 意×2 …`; "" when none is missing.
    Only ideographs: a symbol's code point may differ between the sheet and the PDF's font."""
    from collections import Counter

    sheet: Counter = Counter()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    sheet.update(ch for ch in value if "\u4e00" <= ch <= "\u9fff")
    printed: Counter = Counter()
    for page in pdf.pages:
        printed.update(ch for c in page.chars for ch in c["text"] if "\u4e00" <= ch <= "\u9fff")
    lost = sheet - printed
    return " ".join(f"{ch}×{n}" for ch, n in lost.most_common(12)) if sum(lost.values()) >= 3 else ""


_worker: dict = {}


def _init_worker(seed: int, calib: dict, corpus_dir: str, keep: str | None, fail_dir: str,
                 work: str) -> None:
    logging.getLogger("perfdecl").setLevel(logging.ERROR)
    _worker.update(seed=seed, calib=calib, corpus=Path(corpus_dir), keep=keep and Path(keep),
                   fail=Path(fail_dir), work=Path(work),
                   sources={s.name: s for s in load_sources(Path(corpus_dir))})


def pdf_name(name: str, index: int, seed: int) -> str:
    return f"{name}__s{seed}_{index:03d}"


def run_batch(batch: list[tuple[str, int]]) -> list[Result]:
    """Print one batch of (form, index) with one LibreOffice process and check every print."""
    import pdfplumber

    w = _worker
    seed = w["seed"]
    work = Path(tempfile.mkdtemp(dir=w["work"]))
    profile = w["work"] / f"profile-{os.getpid()}"
    results: list[Result] = []
    files: list[Path] = []
    books = []
    for name, index in batch:
        source = w["sources"][name]
        scale = UnitScale(*w["calib"][unit_kind(source)])
        setup = draw_setup(seed, name, index, n_columns(source))
        wb, setup = workbook(source, setup, scale)
        path = work / f"{pdf_name(name, index, seed)}.xlsx"
        wb.save(path)
        files.append(path)
        books.append(wb)
        results.append(Result(name, index, setup.as_dict(), setup.brief()))
    try:
        print_batch(files, work, profile)
    except subprocess.SubprocessError as err:
        log.error("LibreOffice failed on a batch: %s", err)
    for path, wb, res in zip(files, books, results):
        pdf = path.with_suffix(".pdf")
        if not pdf.exists():
            res.error = "LibreOffice wrote no PDF"
            continue
        with pdfplumber.open(pdf) as doc:
            res.pages = len(doc.pages)
            res.features = break_features(pdf)
            res.diffs = [list(d) for d in check(w["sources"][res.source].reference, pdf, w["corpus"])]
            # only a failing print is looked at for text the print itself lacks
            lost = missing_text(wb, doc) if res.diffs else ""
        if lost:
            res.incomplete = f"the print lacks text of the sheet: {lost}"
        if w["keep"]:
            w["keep"].mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pdf, w["keep"] / pdf.name)
        if not res.passed:
            w["fail"].mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pdf, w["fail"] / pdf.name)
            shutil.copyfile(path, w["fail"] / path.name)
    shutil.rmtree(work, ignore_errors=True)
    return results


def sweep(names: list[str], indices: list[int], seed: int, jobs: int, keep: Path | None,
          fail_dir: Path, corpus_dir: Path, batch_size: int = 12) -> list[Result]:
    sources = {s.name: s for s in load_sources(corpus_dir)}
    missing = [f for f, (path, _i) in FONTS.items() if not Path(path).exists()]
    if missing:
        raise SystemExit(f"fonts missing: {', '.join(missing)} "
                         "(docs/layouts.md lists the packages)")
    with tempfile.TemporaryDirectory(prefix="fuzz-layouts-") as tmp:
        work = Path(tmp)
        kinds = {unit_kind(sources[n]): (None if sources[n].kind != "xlsx" else sources[n].xlsx)
                 for n in names}
        calib = calibrate(kinds, work)
        log.info("column width units: %s", calib)
        tasks = [(n, i) for n in names for i in indices]
        batches = [tasks[k: k + batch_size] for k in range(0, len(tasks), batch_size)]
        args = (seed, calib, str(corpus_dir), keep and str(keep), str(fail_dir), str(work))
        results: list[Result] = []
        started = time.monotonic()
        if jobs <= 1:
            _init_worker(*args)
            chunks = map(run_batch, batches)
        else:
            pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=args)
            chunks = pool.map(run_batch, batches)
        for k, chunk in enumerate(chunks, 1):
            results += chunk
            bad = sum(r.failed for r in results)
            log.info("batch %d/%d done: %d prints, %d failed, %.0f s", k, len(batches),
                     len(results), bad, time.monotonic() - started)
        if jobs > 1:
            pool.shutdown()
    return results


def report(results: list[Result], seed: int, names: list[str], out=sys.stdout) -> None:
    def say(line: str = "") -> None:
        print(line, file=out)

    say(f"layout fuzzer: seed {seed}, {len(results)} prints")
    say(f"{'form':<28}{'setups':>7}{'passed':>8}{'failed':>8}  pages  break cases seen (prints)")
    for name in names:
        rs = [r for r in results if r.source == name]
        if not rs:
            continue
        ok = sum(r.passed for r in rs)
        bad = sum(r.failed for r in rs)
        pages = [r.pages for r in rs if r.pages]
        span = f"{min(pages)}-{max(pages)}" if pages else "-"
        feats: dict[str, int] = {}
        for r in rs:
            for f in r.features:
                feats[f] = feats.get(f, 0) + 1
        shown_feats = ", ".join(f"{k} {v}" for k, v in sorted(feats.items()))
        say(f"{name:<28}{len(rs):>7}{ok:>8}{bad:>8}  {span:<5}  {shown_feats}")
    total_ok = sum(r.passed for r in results)
    failures = [r for r in results if r.failed]
    say(f"{'ALL':<28}{len(results):>7}{total_ok:>8}{len(failures):>8}")
    incomplete = [r for r in results if r.incomplete]
    if incomplete:
        say()
        say(f"not counted: {len(incomplete)} print(s) lacking text of the sheet (LibreOffice):")
    for r in incomplete:
        say(f"- {r.source} #{r.index} ({r.pages} pages): {r.brief}")
        say(f"    {r.incomplete}")
    if failures:
        say()
        say("failures:")
    for r in failures:
        cases = ", ".join(r.features) or "no break case"
        say(f"- {r.source} #{r.index} ({r.pages} pages; {cases}): {r.brief}")
        if r.error:
            say(f"    {r.error}")
        for path, want, got in r.diffs[:5]:
            say(f"    {path}: want {_short(want)} got {_short(got)}")
        say(f"    reproduce: .venv/bin/python scripts/fuzz_layouts.py --seed {seed} "
            f"--forms {r.source} --only {r.index} --keep /tmp/fuzz-fail")


def _short(value, n: int = 70) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------------------------
# The committed cases (samples/layouts)


def write_cases(manifest_path: Path, corpus_dir: Path) -> int:
    """Reprint the cases a manifest names ({"cases": [{"source", "seed", "index"}]}) into its
    folder and rewrite the manifest with each case's setup, pages and break cases."""
    manifest = _load(manifest_path)
    out_dir = manifest_path.parent
    sources = {s.name: s for s in load_sources(corpus_dir)}
    with tempfile.TemporaryDirectory(prefix="fuzz-cases-") as tmp:
        work = Path(tmp)
        kinds = {unit_kind(sources[c["source"]]): (None if sources[c["source"]].kind != "xlsx"
                                                    else sources[c["source"]].xlsx)
                 for c in manifest["cases"]}
        calib = calibrate(kinds, work)
        files = []
        for case in manifest["cases"]:
            source = sources[case["source"]]
            setup = draw_setup(case["seed"], source.name, case["index"], n_columns(source))
            wb, setup = workbook(source, setup, UnitScale(*calib[unit_kind(source)]))
            path = work / f"{case['file'][:-4]}.xlsx"
            wb.save(path)
            files.append(path)
            case["reference"] = source.reference
            case["setup"] = setup.as_dict()
        print_batch(files, work, work / "profile")
        import pdfplumber

        for case, path in zip(manifest["cases"], files):
            pdf = path.with_suffix(".pdf")
            shutil.copyfile(pdf, out_dir / case["file"])
            with pdfplumber.open(pdf) as doc:
                case["pages"] = len(doc.pages)
            case["break_cases"] = break_features(pdf)
    text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    manifest_path.write_text(text, encoding="utf-8")
    print(f"{len(manifest['cases'])} cases printed into {out_dir}")
    return 0


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--setups", type=int, default=50, help="page setups per form")
    ap.add_argument("--only", help="comma list of setup indices (default: 0 .. setups-1)")
    ap.add_argument("--forms", help="comma list of form names (default: every form)")
    ap.add_argument("--jobs", type=int, default=1, help="LibreOffice + reader processes")
    ap.add_argument("--keep", type=Path, help="keep every PDF here")
    ap.add_argument("--fail-dir", type=Path, default=Path("/tmp/fuzz-fail"),
                    help="failing PDFs and their XLSX are kept here")
    ap.add_argument("--corpus", type=Path, default=corpus.CORPUS)
    ap.add_argument("--json", type=Path, help="write every result here too")
    ap.add_argument("--cases", type=Path, help="reprint the committed cases of this manifest")
    ap.add_argument("--list", action="store_true", help="list the forms and exit")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("perfdecl").setLevel(logging.ERROR)
    if args.cases:
        return write_cases(args.cases, args.corpus)
    sources = load_sources(args.corpus)
    if args.list:
        for s in sources:
            print(f"{s.name:<28}{s.kind:<7}{s.reference}")
        return 0
    names = [s.name for s in sources]
    if args.forms:
        wanted = args.forms.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            ap.error(f"unknown forms {unknown} (--list shows them)")
        names = [n for n in names if n in wanted]
    indices = ([int(i) for i in args.only.split(",")] if args.only
               else list(range(args.setups)))
    log.info("layout fuzzer: seed %d, %d forms x %d setups", args.seed, len(names), len(indices))
    results = sweep(names, indices, args.seed, args.jobs, args.keep, args.fail_dir, args.corpus)
    report(results, args.seed, names)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in results],
                                        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0 if not any(r.failed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
