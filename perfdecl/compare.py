"""`perfdecl compare OLD NEW`: what changed in the same department's or project's forms from one
year's output to the next — indicators added, removed or renamed, targets loosened, tightened,
raised or lowered, budget amounts changed. OLD and NEW are each a per-file JSON document, a
documents.jsonl, or an output folder (its `*.json` documents).

Forms are paired by form type, department (codes such as `[015001]` and whitespace ignored) and
project name. Within a pair, indicators with the same 三级指标 name are the same indicator; the
others are paired by name similarity (rapidfuzz ratio of the names without a trailing unit in
brackets, best pairs first, at least `rename_score`) and reported as renamed; what is left was
removed or added.

A numeric target is the set of values it admits (`≥95%` → [95, ∞), `100%` → [100, 100],
`90%-95%` → [90, 95]) on normalized values of one unit. The new target is *loosened* when it
admits more than the old (`≥95%` → `≥90%`, `100%` → `≥95%`), *tightened* when less (`≥98%` →
`100%`), else *raised* or *lowered* by where it moved (`650` → `350`). Other changes: `unit` (the
units differ), `kind` (e.g. a sentence became a number), `direction` (a qualitative target that
turned, `提升` → `降低`), `text` (other wording of a non-numeric target). A target present on one
side only is `added` or `removed`. Budget items are paired by group and item.

Settings are a plain dict; COMPARE_SETTINGS holds the defaults.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .extract.text import compact
from .normalize.amounts import NAME_UNIT_MAX_LENGTH, trailing_brackets

if TYPE_CHECKING:  # pydantic loads with the first document read, not with `perfdecl --help`
    from .models import Document, Form, Indicator, Target

log = logging.getLogger(__name__)

COMPARE_SETTINGS: dict = {
    # the least rapidfuzz ratio (0-100) of two names, trailing unit brackets left out, for a
    # removed and an added indicator to count as one renamed (就业困难人员就业人数 →
    # 解决就业困难人员就业人数（人） scores 91; 公共服务满意度 → 就业服务满意度, another
    # indicator, 71)
    "rename_score": 80,
}

_CODE = re.compile(r"[\[【(（][0-9A-Za-z\-]+[\]】)）]")


def _party(text: str | None) -> str:
    """A department or project name for pairing: codes and whitespace left out."""
    return _CODE.sub("", compact(text))


def _bare_name(name: str) -> str:
    """An indicator name without the unit in brackets that may end it (`…人数（人）`)."""
    name = compact(name)
    m = trailing_brackets(name)
    return name[:m.start()] if m and 1 <= len(m.group(1)) <= NAME_UNIT_MAX_LENGTH else name


# -- loading ---------------------------------------------------------------------------------

@dataclass
class FormRef:
    file: str
    form_index: int
    form: Form


def load_documents(path: Path) -> list[Document]:
    """The documents of a JSON file, a JSON Lines file or an output folder."""
    from .models import Document

    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        if not files and (path / ".perfdecl" / "json").is_dir():  # formats without `json`
            files = sorted((path / ".perfdecl" / "json").glob("*.json"))
        docs = []
        for f in files:
            try:
                docs.append(Document.model_validate_json(f.read_bytes()))
            except ValueError:
                log.warning("%s: not a perfdecl document, left out", f)
        if not docs and (path / "documents.jsonl").is_file():
            docs = load_documents(path / "documents.jsonl")
        return docs
    data = path.read_bytes()
    if path.suffix == ".jsonl":
        return [Document.model_validate_json(line) for line in data.splitlines() if line.strip()]
    return [Document.model_validate_json(data)]


def _forms(docs: list[Document]) -> list[FormRef]:
    return [FormRef(d.source.file, i, f) for d in docs for i, f in enumerate(d.forms)]


def _form_key(form: Form) -> tuple:
    return (form.form_type, _party(form.department), _party(form.project_name))


# -- targets ---------------------------------------------------------------------------------

def _interval(t: Target) -> tuple[float, bool, float, bool] | None:
    """(low, low included, high, high included) of the values a numeric target admits."""
    if t.kind == "range" and t.low is not None and t.high is not None:
        return (t.low, True, t.high, True)
    if t.kind != "numeric" or t.normalized_value is None or t.op is None:
        return None
    v = t.normalized_value
    return {">=": (v, True, math.inf, False), ">": (v, False, math.inf, False),
            "<=": (-math.inf, False, v, True), "<": (-math.inf, False, v, False),
            "=": (v, True, v, True)}[t.op]


def _contains(outer, inner) -> bool:
    lo_ok = outer[0] < inner[0] or (outer[0] == inner[0] and (outer[1] or not inner[1]))
    hi_ok = outer[2] > inner[2] or (outer[2] == inner[2] and (outer[3] or not inner[3]))
    return lo_ok and hi_ok


def target_change(old: Target | None, new: Target | None) -> str | None:
    """How a target changed: None (the same), `added`, `removed`, `loosened`, `tightened`,
    `raised`, `lowered`, `unit`, `kind`, `direction` or `text`."""
    if old is None and new is None:
        return None
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if compact(old.raw) == compact(new.raw):
        return None
    a, b = _interval(old), _interval(new)
    if a is not None and b is not None:
        if (old.unit or None) != (new.unit or None):
            return "unit"
        if a == b:
            return None  # written otherwise, the same target (`≥95%` and `不低于95%`)
        if _contains(b, a):
            return "loosened"
        if _contains(a, b):
            return "tightened"
        centre = lambda i: (i[0] + i[2]) / 2 if math.isfinite(i[0]) and math.isfinite(i[2]) \
            else (i[0] if math.isfinite(i[0]) else i[2])  # noqa: E731
        return "raised" if centre(b) > centre(a) else "lowered"
    if old.kind != new.kind:
        return "kind"
    if old.kind == "qualitative" and old.direction != new.direction:
        return "direction"
    return "text"


# -- pairing ---------------------------------------------------------------------------------

def _pair_indicators(old: list[Indicator], new: list[Indicator], min_score: float):
    """(same, renamed, removed, added): index pairs (old, new, score) and unpaired indices."""
    from rapidfuzz import fuzz

    same: list[tuple[int, int, float]] = []
    free_new = list(range(len(new)))
    free_old = []
    for i, ind in enumerate(old):
        match = next((j for j in free_new if compact(new[j].name) == compact(ind.name)), None)
        if match is None:
            free_old.append(i)
        else:
            same.append((i, match, 100.0))
            free_new.remove(match)
    candidates = []
    for i in free_old:
        for j in free_new:
            score = fuzz.ratio(_bare_name(old[i].name), _bare_name(new[j].name))
            if score >= min_score:
                candidates.append((-score, i, j))
    renamed = []
    used_old, used_new = set(), set()
    for neg, i, j in sorted(candidates):
        if i not in used_old and j not in used_new:
            renamed.append((i, j, round(-neg, 1)))
            used_old.add(i)
            used_new.add(j)
    removed = [i for i in free_old if i not in used_old]
    added = [j for j in free_new if j not in used_new]
    return same, sorted(renamed), removed, added


def _ind(ind: Indicator) -> dict:
    return {"level1": ind.level1, "level2": ind.level2, "name": ind.name,
            "annual": ind.annual_target.raw if ind.annual_target else None,
            "period": ind.period_target.raw if ind.period_target else None}


def _target_entry(ind: Indicator, old_name: str, which: str, old: Target | None,
                  new: Target | None, change: str) -> dict:
    return {"level2": ind.level2, "name": ind.name, "old_name": old_name, "target": which,
            "change": change,
            "old": old.raw if old else None, "new": new.raw if new else None,
            "old_value": old.normalized_value if old else None,
            "new_value": new.normalized_value if new else None,
            "unit": (new.unit if new else None) or (old.unit if old else None)}


def _budget_changes(old: Form, new: Form) -> list[dict]:
    def key(b):
        return (compact(b.group), compact(b.item))

    new_items = {}
    for b in new.budget:
        new_items.setdefault(key(b), b)
    out, seen = [], set()
    for b in old.budget:
        k = key(b)
        if k in seen:
            continue
        seen.add(k)
        n = new_items.get(k)
        if n is None:
            out.append({"group": b.group, "item": b.item, "change": "removed", "old": b.amount,
                        "new": None, "unit": b.unit, "delta": None, "percent": None})
        elif n.amount != b.amount or n.unit != b.unit:
            delta = percent = None
            if n.amount is not None and b.amount is not None and n.unit == b.unit:
                delta = round(n.amount - b.amount, 2)
                percent = round(delta / b.amount * 100, 1) if b.amount else None
            change = "unit" if n.unit != b.unit else (
                "added" if b.amount is None else "removed" if n.amount is None else
                "raised" if n.amount > b.amount else "lowered")
            out.append({"group": b.group, "item": b.item, "change": change, "old": b.amount,
                        "new": n.amount, "unit": n.unit, "delta": delta, "percent": percent})
    for k, n in new_items.items():
        if k not in seen:
            out.append({"group": n.group, "item": n.item, "change": "added", "old": None,
                        "new": n.amount, "unit": n.unit, "delta": None, "percent": None})
    return out


def _form_ref(ref: FormRef) -> dict:
    f = ref.form
    return {"file": ref.file, "form_index": ref.form_index, "title": f.title, "year": f.year,
            "department": f.department, "project_name": f.project_name}


def compare_forms(old: FormRef, new: FormRef, settings: dict | None = None) -> dict:
    s = {**COMPARE_SETTINGS, **(settings or {})}
    oi, ni = old.form.indicators, new.form.indicators
    same, renamed, removed, added = _pair_indicators(oi, ni, s["rename_score"])
    targets = []
    for i, j, _score in sorted(same + renamed, key=lambda p: p[1]):
        for which in ("annual", "period"):
            a, b = getattr(oi[i], f"{which}_target"), getattr(ni[j], f"{which}_target")
            change = target_change(a, b)
            if change is not None:
                targets.append(_target_entry(ni[j], oi[i].name, which, a, b, change))
    return {
        "old": _form_ref(old), "new": _form_ref(new),
        "indicators": {
            "added": [_ind(ni[j]) for j in added],
            "removed": [_ind(oi[i]) for i in removed],
            "renamed": [{"old_name": oi[i].name, "new_name": ni[j].name, "score": score,
                         "level2": ni[j].level2} for i, j, score in renamed],
            "unchanged": sum(1 for i, j, _ in same
                             if target_change(oi[i].annual_target, ni[j].annual_target) is None
                             and target_change(oi[i].period_target, ni[j].period_target) is None),
        },
        "targets": targets,
        "budget": _budget_changes(old.form, new.form),
    }


def compare(old_docs: list[Document], new_docs: list[Document], settings: dict | None = None) -> dict:
    """Every pair of forms (same type, department and project) with what changed, and the forms
    found on one side only."""
    olds, news = _forms(old_docs), _forms(new_docs)
    pairs, only_old = [], []
    free = list(range(len(news)))
    for ref in olds:
        match = next((j for j in free if _form_key(news[j].form) == _form_key(ref.form)), None)
        if match is None:
            only_old.append(_form_ref(ref))
        else:
            free.remove(match)
            pairs.append(compare_forms(ref, news[match], settings))
    return {"pairs": pairs, "only_old": only_old, "only_new": [_form_ref(news[j]) for j in free]}


# -- the table -------------------------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _amount(v) -> str:
    return "" if v is None else f"{v:,.2f}"


def format_table(result: dict) -> str:
    """The comparison as text tables, one per pair of forms."""
    lines: list[str] = []

    def table(rows: list[list[str]]) -> None:
        widths = [max(_width(r[c]) for r in rows) for c in range(len(rows[0]))]
        for r in rows:
            lines.append("  ".join(_pad(v, w) for v, w in zip(r, widths)).rstrip())

    for pair in result["pairs"]:
        o, n = pair["old"], pair["new"]
        who = n["department"] or o["department"] or ""
        if n["project_name"]:
            who += f" · {n['project_name']}"
        lines.append(f"{who}: {o['year'] or '?'} ({o['file']}) → {n['year'] or '?'} ({n['file']})")
        ind = pair["indicators"]
        lines.append(f"indicators: {len(ind['added'])} added, {len(ind['removed'])} removed, "
                     f"{len(ind['renamed'])} renamed, {len(pair['targets'])} target change(s), "
                     f"{ind['unchanged']} unchanged")
        rows = [["change", "level2", "indicator", "old", "new"]]
        for r in ind["renamed"]:
            rows.append(["renamed", r["level2"], f"{r['old_name']} → {r['new_name']} ({r['score']:g})", "", ""])
        for t in pair["targets"]:
            name = t["name"] if t["name"] == t["old_name"] else f"{t['name']} (was {t['old_name']})"
            label = t["change"] if t["target"] == "annual" else f"{t['change']} (period)"
            rows.append([label, t["level2"], name, t["old"] or "", t["new"] or ""])
        for a in ind["removed"]:
            rows.append(["removed", a["level2"], a["name"], a["annual"] or a["period"] or "", ""])
        for a in ind["added"]:
            rows.append(["added", a["level2"], a["name"], "", a["annual"] or a["period"] or ""])
        for b in pair["budget"]:
            pct = f" ({b['percent']:+.1f}%)" if b["percent"] is not None else ""
            rows.append([f"budget {b['change']}", b["group"], b["item"],
                         f"{_amount(b['old'])} {b['unit'] or ''}".strip(),
                         f"{_amount(b['new'])} {b['unit'] or ''}{pct}".strip()])
        if len(rows) > 1:
            table(rows)
        lines.append("")
    for side, label in (("only_old", "only in OLD"), ("only_new", "only in NEW")):
        for f in result[side]:
            lines.append(f"{label}: {f['file']} form {f['form_index']}: {f['department'] or ''} "
                         f"{f['project_name'] or ''} {f['year'] or ''}".rstrip())
    if not result["pairs"] and not result["only_old"] and not result["only_new"]:
        lines.append("no forms to compare")
    return "\n".join(lines).rstrip() + "\n"


# -- command line ----------------------------------------------------------------------------

def add_parser(sub) -> None:
    cmp = sub.add_parser("compare", help="what changed from one year's output to the next "
                                         "(indicators, targets, budget)")
    cmp.add_argument("old", type=Path, metavar="OLD", help="a JSON document, documents.jsonl or output folder")
    cmp.add_argument("new", type=Path, metavar="NEW")
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmp.add_argument("--rename-score", type=float, default=COMPARE_SETTINGS["rename_score"],
                     metavar="0-100", help="least name similarity for a renamed indicator "
                                           f"(default {COMPARE_SETTINGS['rename_score']})")


def run(args) -> int:
    """The command's result on stdout; exit status 0, or 2 when OLD or NEW cannot be read."""
    import sys

    try:
        old, new = load_documents(args.old), load_documents(args.new)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"perfdecl: cannot read the documents: {' '.join(str(exc).split())[:300]}\n")
        return 2
    result = compare(old, new, {"rename_score": args.rename_score})
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n" if args.json
                     else format_table(result))
    return 0
