"""`--format review`: one self-contained HTML page per file, `OUT/review/<stem>.html`, where an
auditor sees every value where it was read, and `OUT/review/index.html` for a batch.

The page holds each PDF page as an image (rendered with pypdfium2, grayscale WebP, embedded as a
data URI: no CDN, no server) with a box over every budget item, task and indicator, coloured by
its status: fine, warning (an audit or reading warning is about it), low OCR confidence, OCR
repair. Beside the pages the form's records are tables; clicking (or focusing) a row selects its
box, clicking a box selects its row; the file's warnings at the top link to the rows they are
about (concerns.py). Arrow keys (or j / k) move between rows. Every text is HTML-escaped: names
and targets come from the PDF and may hold markup. No timestamp is written: a rerun gives the
same bytes.

Settings are a plain dict; REVIEW_SETTINGS holds the defaults, a caller's dict overrides them.
"""

from __future__ import annotations

import base64
import io
import logging
import os
from html import escape
from pathlib import Path
from urllib.parse import quote

from .concerns import OCR_CODES, RECORD_TABLES, find_concerns
from .models import Document, Form
from .names import readable
from .settings import SettingsShape, check_settings
from .writers import atomic_write

log = logging.getLogger(__name__)

REVIEW_SETTINGS: dict = {
    # page images: 100 dpi grayscale WebP keeps 9-pt Chinese legible and an A4 page near 60 KB,
    # so a 30-page file stays under 3 MB
    "dpi": 100,
    "quality": 60,             # WebP quality (0-100)
    "low_confidence": 0.8,     # a record read by OCR with less is marked (the OCR warning's threshold)
}

# status of a record, most telling first; a record gets the first that applies
STATUSES = ("warning", "low", "repair", "fine")
STATUS_LABELS = {"warning": "警告 warning", "low": "OCR 置信度低 low confidence",
                 "repair": "OCR 已修复 repaired", "fine": "正常 fine"}
STATUS_BADGES = {"warning": "警告", "low": "置信度低", "repair": "已修复", "fine": "正常"}
TABLE_LABELS = {"budget": "预算 Budget", "tasks": "年度重点工作任务 Tasks",
                "indicators": "绩效指标 Indicators"}


def _e(value) -> str:
    return "" if value is None else escape(readable(str(value)), quote=True)


def _num(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def settings_with(overrides: dict | None) -> dict:
    """The defaults with a caller's keys on top (an unknown key is a `SettingsError`)."""
    check_settings(overrides, SettingsShape(REVIEW_SETTINGS), name="review")
    return {**REVIEW_SETTINGS, **(overrides or {})}


# -- page images -----------------------------------------------------------------------------

class PageView:
    """One page as the review shows it: size in PDF points and the image as a data URI."""

    def __init__(self, page: int, width: float, height: float, image: str | None):
        self.page, self.width, self.height, self.image = page, width, height, image


def _data_uri(gray, width_px: int, height_px: int, quality: int) -> str:
    from PIL import Image

    im = Image.fromarray(gray)
    if im.size != (width_px, height_px):
        im = im.resize((max(1, width_px), max(1, height_px)), Image.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="WEBP", quality=quality, method=6)
    return "data:image/webp;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def page_views(path: Path, page_count: int, settings: dict | None = None,
               password: str | None = None) -> list[PageView]:
    """Every page of the input rendered for the review; a page that cannot be rendered is shown
    without its image (its boxes still drawn), and the reason logged."""
    from .extract.ocr.render import is_image_file, load_image_pages, render_pdf_pages

    s = settings_with(settings)
    dpi = s["dpi"]
    pages = list(range(1, page_count + 1))
    views: list[PageView] = []
    try:
        images = (load_image_pages(path, pages) if is_image_file(path)
                  else render_pdf_pages(path, pages, dpi, password=password))
        for img in images:
            w, h = round(img.width_pt * dpi / 72), round(img.height_pt * dpi / 72)
            views.append(PageView(img.page, img.width_pt, img.height_pt,
                                  _data_uri(img.image, w, h, s["quality"])))
    except Exception as exc:  # the document was read; its review still shows the records
        log.warning("%s: page images for the review could not be made (%s)", path.name, exc)
    done = {v.page for v in views}
    views += [PageView(p, 595.0, 842.0, None) for p in pages if p not in done]  # A4 stand-in
    return sorted(views, key=lambda v: v.page)


# -- records and their status ----------------------------------------------------------------

def record_status(codes: list[str], confidence: float | None, threshold: float) -> list[str]:
    """Every status that applies to a record, most telling first; ["fine"] when none does."""
    out = []
    if any(c not in OCR_CODES for c in codes):
        out.append("warning")
    if "low_ocr_confidence" in codes or (confidence is not None and confidence < threshold):
        out.append("low")
    if "ocr_repaired" in codes:
        out.append("repair")
    return out or ["fine"]


def _key(form_index: int, table: str, row: int) -> str:
    return f"{form_index}-{table}-{row}"


def _target_cells(t) -> list[str]:
    if t is None:
        return ["", ""]
    if t.kind == "range":
        parsed = f"{_num(t.low)}–{_num(t.high)}"
    elif t.kind == "deadline" and t.deadline is not None:
        d = t.deadline
        parsed = "-".join(str(x) if x is not None else "…" for x in (d.year, d.month, d.day))
        parsed += " 每年" if d.recurring else ""
    elif t.kind == "qualitative":
        parsed = t.direction or ""
    else:
        parsed = " ".join(x for x in (t.op or "", _num(t.value), t.unit or "") if x)
    return [_e(t.raw), f'<span class="kind">{_e(t.kind)}</span> {_e(parsed)}']


_COLUMNS = {
    "budget": ["#", "分组 group", "项目 item", "金额 amount", "单位", "原文 raw", "页", "状态 status"],
    "tasks": ["#", "名称 name", "主要实施内容", "资金 funds", "单位", "期望目标", "页", "状态 status"],
    "indicators": ["#", "一级", "二级", "三级指标 name", "年度指标值 raw", "解析 parsed",
                   "实施周期指标值", "解析 parsed", "页", "状态 status"],
}


def _cells(form: Form, table: str, i: int) -> list[str]:
    if table == "budget":
        b = form.budget[i]
        return [_e(b.group), _e(b.item), _e(_num(b.amount)), _e(b.unit), _e(b.amount_raw)]
    if table == "tasks":
        t = form.tasks[i]
        return [_e(t.name), _e(t.content), _e(_num(t.funds)), _e(t.funds_unit), _e(t.expected_goal)]
    ind = form.indicators[i]
    return ([_e(ind.level1), _e(ind.level2), _e(ind.name)] + _target_cells(ind.annual_target)
            + _target_cells(ind.period_target))


def _label(form: Form, table: str, i: int) -> str:
    rec = getattr(form, table)[i]
    return rec.item if table == "budget" else rec.name


# -- the page --------------------------------------------------------------------------------

_CSS = """
:root{--fine:#1a8f47;--warning:#d97700;--low:#c8175d;--repair:#2a62c9;--sel:#0038ff;--line:#c9c9c4}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:#1b1b1b;background:#f3f3f0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",
"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",
"WenQuanYi Micro Hei","WenQuanYi Zen Hei","Droid Sans Fallback",sans-serif}
header{padding:10px 16px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:18px;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:16px;margin:12px 0 6px}
h3{font-size:14px;margin:10px 0 4px}
.meta{margin:0;color:#555;overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 0;padding:0;list-style:none}
.swatch{display:inline-block;width:12px;height:12px;border:2px solid var(--c);background:color-mix(in srgb,var(--c) 20%,transparent);vertical-align:-2px;margin-right:4px}
.st-fine{--c:var(--fine)}.st-warning{--c:var(--warning)}.st-low{--c:var(--low)}.st-repair{--c:var(--repair)}
#warnings ol{margin:4px 0;padding-left:22px;max-height:30vh;overflow:auto}
#warnings li{margin:2px 0;overflow-wrap:anywhere}
code{background:#f0eee6;padding:0 3px;border-radius:3px}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px;padding:12px}
.pane{min-width:0}
@media (min-width:901px){.pane{position:sticky;top:0;max-height:100vh;overflow:auto}}
@media (max-width:900px){main{grid-template-columns:minmax(0,1fr);padding:8px}}
figure{margin:0 0 12px}
figcaption{font-size:12px;color:#555}
.sheet{position:relative;width:100%;background:#fff;box-shadow:0 0 0 1px var(--line)}
.sheet img{display:block;width:100%;height:auto}
.sheet svg{position:absolute;left:0;top:0;width:100%;height:100%}
rect.box{fill:var(--c);fill-opacity:.13;stroke:var(--c);stroke-width:1.5px;vector-effect:non-scaling-stroke;cursor:pointer}
rect.box:hover{fill-opacity:.3}
rect.box.selected{stroke:var(--sel);stroke-width:4px;fill:var(--sel);fill-opacity:.22}
.form{background:#fff;border:1px solid var(--line);padding:8px 10px;margin-bottom:12px}
.form dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 10px;margin:0}
.form dt{color:#555}.form dd{margin:0;overflow-wrap:anywhere}
.tablewrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 5px;text-align:left;vertical-align:top}
th{background:#f0eee6;position:sticky;top:0}
td{overflow-wrap:anywhere;min-width:2.5em}
tr.rec{cursor:pointer;box-shadow:inset 4px 0 0 var(--c)}
tr.rec:hover{background:#f7f5ee}
tr.rec:focus{outline:2px solid var(--sel);outline-offset:-2px}
tr.rec.selected{background:#dfe7ff}
.badge{display:inline-block;border:1px solid var(--c);color:var(--c);border-radius:3px;padding:0 3px;margin:1px 2px 1px 0;font-size:12px;white-space:nowrap}
.kind{color:#666;font-size:12px}
.nobox{color:#999;font-size:12px}
"""

_SCRIPT = """
(function(){
  var rows=Array.prototype.slice.call(document.querySelectorAll('tr.rec'));
  var current=null;
  function box(key){return document.getElementById('b-'+key);}
  function select(row,opts){
    opts=opts||{};
    if(current){current.classList.remove('selected');current.setAttribute('aria-selected','false');
      var old=box(current.dataset.key); if(old){old.classList.remove('selected');}}
    current=row; if(!row){return;}
    row.classList.add('selected'); row.setAttribute('aria-selected','true');
    var b=box(row.dataset.key);
    if(b){b.classList.add('selected'); b.parentNode.appendChild(b);
      if(opts.showBox!==false){b.scrollIntoView({block:'center',inline:'nearest'});}}
    if(opts.showRow){row.scrollIntoView({block:'center',inline:'nearest'});}
    if(opts.focus){row.focus({preventScroll:true});}
  }
  rows.forEach(function(row){
    row.addEventListener('click',function(){select(row);});
    row.addEventListener('focus',function(){if(current!==row){select(row);}});
    row.addEventListener('keydown',function(ev){
      var i=rows.indexOf(row), next=null;
      if(ev.key==='ArrowDown'||ev.key==='j'){next=rows[i+1];}
      else if(ev.key==='ArrowUp'||ev.key==='k'){next=rows[i-1];}
      else if(ev.key==='Home'){next=rows[0];}
      else if(ev.key==='End'){next=rows[rows.length-1];}
      else if(ev.key==='Enter'||ev.key===' '){select(row);ev.preventDefault();return;}
      else if(ev.key==='Escape'){select(null);return;}
      if(next){ev.preventDefault();select(next,{showRow:true,focus:true});}
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('rect.box'),function(b){
    b.addEventListener('click',function(){
      var row=document.getElementById('r-'+b.dataset.key);
      if(row){select(row,{showBox:false,showRow:true,focus:true});}
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('a.to-row'),function(a){
    a.addEventListener('click',function(ev){
      var row=document.getElementById(a.getAttribute('href').slice(1));
      if(row){ev.preventDefault();select(row,{showRow:true,focus:true});}
    });
  });
})();
"""


def _statuses(doc: Document, codes: dict, threshold: float) -> dict[str, list[str]]:
    out = {}
    for fi, form in enumerate(doc.forms):
        for table in RECORD_TABLES:
            for i, rec in enumerate(getattr(form, table)):
                out[_key(fi, table, i)] = record_status(codes.get((fi, table, i), []),
                                                        rec.confidence, threshold)
    return out


def review_html(doc: Document, pages: list[PageView], settings: dict | None = None) -> str:
    """The review page of one document, as text."""
    s = settings_with(settings)
    concerns = find_concerns(doc)
    status = _statuses(doc, concerns.codes, s["low_confidence"])
    src = doc.source
    out: list[str] = []
    w = out.append
    w('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
      f'<title>{_e(src.file)} — perfdecl review</title>\n<style>{_CSS}</style>\n</head>\n<body>\n')
    # header: the file, the legend, the warnings
    counts = {st: sum(1 for v in status.values() if v[0] == st) for st in STATUSES}
    w(f'<header>\n<h1>{_e(src.file)}</h1>\n<p class="meta">{src.page_count} 页 pages · '
      f'{len(doc.forms)} 表 forms · {sum(len(f.indicators) for f in doc.forms)} 指标 indicators · '
      f'read by {_e(src.method)}{" (" + _e(src.ocr_engine) + ")" if src.ocr_engine else ""} · '
      f'sha256 {_e(src.sha256[:16])}…</p>\n<ul class="legend">')
    for st in STATUSES:
        w(f'<li class="st-{st}"><span class="swatch"></span>{_e(STATUS_LABELS[st])}: '
          f'<span data-count="{st}">{counts[st]}</span></li>')
    w('</ul>\n<section id="warnings">\n')
    w(f'<h2>警告 Warnings ({len(doc.warnings)})</h2>\n')
    if doc.warnings:
        w('<ol>\n')
        for wi, (warning, rows) in enumerate(zip(doc.warnings, concerns.rows)):
            page = f' 第{warning.page}页' if warning.page else ''
            links = []
            for fi, table, i in rows:
                key = _key(fi, table, i)
                links.append(f'<a class="to-row" href="#r-{key}">{_e(_label(doc.forms[fi], table, i))}</a>')
            if not links:
                if warning.form_index is not None:
                    links.append(f'<a href="#form-{warning.form_index}">表 form {warning.form_index + 1}</a>')
                elif warning.page:
                    links.append(f'<a href="#page-{warning.page}">第{warning.page}页 page</a>')
            w(f'<li id="w-{wi}"><code>{_e(warning.code)}</code>{page}: {_e(warning.message)}'
              f'{" → " + ", ".join(links) if links else ""}</li>\n')
        w('</ol>\n')
    else:
        w('<p>无 none</p>\n')
    w('</section>\n</header>\n<main>\n')
    # the pages with their boxes
    boxes: dict[int, list[str]] = {}
    for fi, form in enumerate(doc.forms):
        for table in RECORD_TABLES:
            for i, rec in enumerate(getattr(form, table)):
                if rec.page is None or rec.bbox is None:
                    continue
                key = _key(fi, table, i)
                x0, top, x1, bottom = rec.bbox
                boxes.setdefault(rec.page, []).append(
                    f'<rect id="b-{key}" class="box st-{status[key][0]}" data-key="{key}" '
                    f'x="{x0:.1f}" y="{top:.1f}" width="{max(x1 - x0, 0.5):.1f}" '
                    f'height="{max(bottom - top, 0.5):.1f}"><title>{_e(_label(form, table, i))}'
                    f'</title></rect>')
    w('<section class="pane pages" aria-label="页面 pages">\n')
    for p in pages:
        w(f'<figure id="page-{p.page}">\n<div class="sheet" style="aspect-ratio:{p.width:.2f}/{p.height:.2f}">')
        if p.image:
            w(f'<img src="{p.image}" alt="第{p.page}页 page {p.page}" width="{round(p.width)}" '
              f'height="{round(p.height)}">')
        w(f'<svg viewBox="0 0 {p.width:.2f} {p.height:.2f}" preserveAspectRatio="none" '
          f'aria-hidden="true">{"".join(boxes.get(p.page, []))}</svg></div>\n'
          f'<figcaption>第{p.page}页 page {p.page} / {len(pages)}</figcaption>\n</figure>\n')
    w('</section>\n<section class="pane records" aria-label="记录 records">\n')
    for fi, form in enumerate(doc.forms):
        w(f'<div class="form" id="form-{fi}">\n<h2>{_e(form.title) or "（无标题）"}</h2>\n<dl>'
          f'<dt>部门 department</dt><dd>{_e(form.department)}</dd>'
          f'<dt>项目 project</dt><dd>{_e(form.project_name)}</dd>'
          f'<dt>年度 year</dt><dd>{_e(form.year)}</dd>'
          f'<dt>页 pages</dt><dd>{_e(", ".join(map(str, form.pages)))}</dd></dl>\n')
        for table in RECORD_TABLES:
            records = getattr(form, table)
            if not records:
                continue
            w(f'<h3>{_e(TABLE_LABELS[table])} ({len(records)})</h3>\n<div class="tablewrap"><table>'
              f'<thead><tr>{"".join(f"<th>{_e(c)}</th>" for c in _COLUMNS[table])}</tr></thead><tbody>\n')
            for i, rec in enumerate(records):
                key = _key(fi, table, i)
                sts = status[key]
                codes = concerns.codes.get((fi, table, i), [])
                badges = "".join(f'<span class="badge st-{st}" title="{_e(STATUS_LABELS[st])}">'
                                 f'{_e(STATUS_BADGES[st])}</span>' for st in sts)
                badges += "".join(f' <code>{_e(c)}</code>' for c in codes)
                if rec.confidence is not None:
                    badges += f' <span class="kind">conf {rec.confidence:.2f}</span>'
                if rec.bbox is None or rec.page is None:
                    badges += ' <span class="nobox">no box</span>'
                w(f'<tr id="r-{key}" class="rec st-{sts[0]}" data-key="{key}" tabindex="0" '
                  f'aria-selected="false"><td>{i + 1}</td>'
                  + "".join(f"<td>{c}</td>" for c in _cells(form, table, i))
                  + f'<td>{_e(rec.page)}</td><td>{badges}</td></tr>\n')
            w('</tbody></table></div>\n')
        w('</div>\n')
    w(f'</section>\n</main>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n')
    return "".join(out)


def write_review(doc: Document, path: Path, out_path: Path, *, settings: dict | None = None,
                 password: str | None = None) -> Path:
    """Render `path`'s pages and write the review page of `doc` to `out_path`, atomically."""
    pages = page_views(Path(path), doc.source.page_count, settings, password)
    atomic_write(out_path, readable(review_html(doc, pages, settings)).encode("utf-8"))
    return out_path


# -- the batch's index -----------------------------------------------------------------------

_INDEX_SCRIPT = """
(function(){
  var table=document.getElementById('files'), body=table.tBodies[0];
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,col){
    var btn=th.querySelector('button'); if(!btn){return;}
    btn.addEventListener('click',function(){
      var asc=th.getAttribute('aria-sort')!=='ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var numeric=th.dataset.type==='number';
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x=a.cells[col].dataset.sort, y=b.cells[col].dataset.sort;
        var d=numeric?(Number(x)-Number(y)):x.localeCompare(y,'zh-CN');
        if(d===0){d=Number(a.dataset.order)-Number(b.dataset.order);}
        return asc?d:-d;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
})();
"""

_INDEX_CSS = _CSS + """
main.index{display:block;padding:12px}
#files th button{all:unset;cursor:pointer;font-weight:600}
#files th button:focus{outline:2px solid var(--sel)}
#files th[aria-sort=ascending] button::after{content:" ▲"}
#files th[aria-sort=descending] button::after{content:" ▼"}
td.num{text-align:right}
#files td:first-child{min-width:10em}
tr.failed td{color:#8a1c1c}
"""


def index_html(entries: list[dict]) -> str:
    """The batch's index: one row per file (its review page linked), sortable by any column.
    `entries`: {"stem", "path", "forms", "indicators", "warnings": {code: n}, "error": dict|None}."""
    total_warnings: dict[str, int] = {}
    for e in entries:
        for code, n in e["warnings"].items():
            total_warnings[code] = total_warnings.get(code, 0) + n
    failed = sum(1 for e in entries if e.get("error"))
    out: list[str] = []
    w = out.append
    w('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
      f'<title>perfdecl review — {len(entries)} files</title>\n<style>{_INDEX_CSS}</style>\n</head>\n<body>\n'
      f'<header>\n<h1>perfdecl review</h1>\n<p class="meta">{len(entries)} 文件 files · '
      f'{sum(e["forms"] for e in entries)} 表 forms · {sum(e["indicators"] for e in entries)} 指标 '
      f'indicators · {sum(total_warnings.values())} 警告 warnings · {failed} 错误 errors</p>\n')
    if total_warnings:
        w('<p class="meta">' + " · ".join(f'<code>{_e(c)}</code> {n}' for c, n in sorted(total_warnings.items()))
          + '</p>\n')
    w('</header>\n<main class="index">\n<div class="tablewrap"><table id="files"><thead><tr>')
    heads = [("文件 file", "text"), ("表 forms", "number"), ("指标 indicators", "number"),
             ("警告 warnings", "number"), ("警告代码 by code", "text"), ("错误 error", "text")]
    for label, kind in heads:
        w(f'<th data-type="{kind}"><button type="button">{_e(label)}</button></th>')
    w('</tr></thead><tbody>\n')
    for order, e in enumerate(entries):
        err = e.get("error")
        name = Path(e["path"]).name
        if err:
            link = f'<span title="{_e(e["path"])}">{_e(name)}</span>'
        else:
            href = escape(quote(os.fsencode(e["stem"] + ".html")), quote=True)  # a name's own bytes
            link = f'<a href="{href}" title="{_e(e["path"])}">{_e(name)}</a>'
        n_warn = sum(e["warnings"].values())
        codes = ", ".join(f"{c} {n}" for c, n in sorted(e["warnings"].items()))
        err_text = f'{err["code"]}: {err["message"]}' if err else ""
        row_class = ' class="failed"' if err else ""
        w(f'<tr data-order="{order}"{row_class}>'
          f'<td data-sort="{_e(name)}">{link}</td>'
          f'<td class="num" data-sort="{e["forms"]}">{e["forms"]}</td>'
          f'<td class="num" data-sort="{e["indicators"]}">{e["indicators"]}</td>'
          f'<td class="num" data-sort="{n_warn}">{n_warn}</td>'
          f'<td data-sort="{_e(codes)}">{_e(codes)}</td>'
          f'<td data-sort="{_e(err_text)}">{_e(err_text)}</td></tr>\n')
    w(f'</tbody></table></div>\n</main>\n<script>{_INDEX_SCRIPT}</script>\n</body>\n</html>\n')
    return "".join(out)


def write_index(entries: list[dict], review_dir: Path) -> Path:
    path = review_dir / "index.html"
    atomic_write(path, readable(index_html(entries)).encode("utf-8"))
    return path
