"""Audit checks on a normalized form, reported as warnings (codes listed in docs/output.md).

`check_form` runs every check; the words they look for are data (checks.toml). A check that lacks
what it compares (an empty amount, an unknown unit) says nothing rather than guess.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from functools import lru_cache
from pathlib import Path

from ..extract.text import clean_text
from ..models import DocumentWarning, Form, Indicator
from .amounts import NAME_UNIT_MAX_LENGTH, trailing_brackets
from .vocabulary import vocabulary


# Amounts are compared as printed (to the cent): a difference of 0.01 is reported, since that is
# what an auditor reading the page sees, even where it comes from rounding.
_CENT = 0.005

_QIZHONG = re.compile(r"^其中[：:]?")
_NUMBERED = re.compile(r"^(\d+|[一二三四五六七八九十]+)[.、．]")


@lru_cache(maxsize=1)
def _words() -> dict:
    with (Path(__file__).parent / "checks.toml").open("rb") as fh:
        data = tomllib.load(fh)
    b = data["budget"]
    return {
        "total_items": {clean_text(w) for w in b["total_items"]},
        "partition_groups": {clean_text(w) for w in b["partition_groups"]},
        "subset_groups": {clean_text(w) for w in b["project_subset_groups"]},
        "project_items": {clean_text(w) for w in b["project_expense_items"]},
        "units": data["units"],
        "endings": tuple(data["targets"]["numeric_name_endings"]),
        "level2_codes": set(data["targets"]["numeric_level2_codes"]),
        "sums": [(list(c["left"]), list(c["right"])) for c in b["sums"]],
    }


def _label(text: str) -> str:
    return _QIZHONG.sub("", clean_text(text))


def check_form(form: Form) -> list[DocumentWarning]:
    """Every audit check, `sum_mismatch` first (its place in the samples' expected output)."""
    return (check_sum_mismatch(form) + check_budget_totals(form) + check_budget_groups(form)
            + check_task_funds(form) + check_targets(form) + check_duplicate_indicators(form)
            + check_required_fields(form))


def check_sum_mismatch(form: Form) -> list[DocumentWarning]:
    """`sum_mismatch` where the expense total (基本支出 + 项目支出) differs from the revenue total."""
    vocab = vocabulary().budget
    expense = [b for b in form.budget if b.group in vocab["expense_group"] and b.amount is not None]
    revenue = [b for b in form.budget if b.group in vocab["revenue_group"] and b.amount is not None]
    if not expense or not revenue:
        return []
    spent = sum(b.amount for b in expense)
    income = sum(b.amount for b in revenue)
    if abs(spent - income) < _CENT:
        return []
    return [DocumentWarning(
        code="sum_mismatch",
        message=f"{revenue[0].group} total {income:.2f} differs from {expense[0].group} total {spent:.2f}",
        page=revenue[0].page,
    )]


def _groups(form: Form) -> dict[str, list]:
    groups: dict[str, list] = {}
    for b in form.budget:
        groups.setdefault(b.group, []).append(b)
    return groups


def _same_unit_sum(items: list) -> tuple[float, str] | None:
    """The sum of the items' amounts and their unit; None if none has an amount or units differ."""
    known = [b for b in items if b.amount is not None]
    if not known or len({b.unit for b in known}) != 1:
        return None
    return sum(b.amount for b in known), known[0].unit


def _in_unit(amount: float, unit: str, target_unit: str) -> float | None:
    """`amount` in `unit` expressed in `target_unit`, or None where a unit is unknown."""
    if unit == target_unit:
        return amount
    units = _words()["units"]
    if unit not in units or target_unit not in units:
        return None
    return amount * units[unit] / units[target_unit]


def check_budget_totals(form: Form) -> list[DocumentWarning]:
    """`budget_total_mismatch` where a group prints a total row (合计, 年度资金总额 …) and its
    other rows do not add up to it."""
    totals = _words()["total_items"]
    out: list[DocumentWarning] = []
    for group, items in _groups(form).items():
        total = [b for b in items if _label(b.item) in totals and b.amount is not None]
        parts = [b for b in items if _label(b.item) not in totals and b.amount is not None]
        if len(total) != 1 or not parts or len({b.unit for b in items}) != 1:
            continue
        # 其中 rows are either the breakdown of the total (其中：财政拨款, 其他资金) or of the row
        # above (1.财政拨款收入, 其中：申请当年预算拨款); numbered rows are the top level. The
        # group is consistent when any of these readings adds up.
        readings = [parts, [b for b in parts if not _QIZHONG.match(clean_text(b.item))]]
        numbered = [b for b in parts if _NUMBERED.match(clean_text(b.item))]
        if numbered:
            readings.append(numbered)
        sums = [sum(b.amount for b in r) for r in readings if r]
        if all(abs(s - total[0].amount) >= _CENT for s in sums):
            out.append(DocumentWarning(
                code="budget_total_mismatch",
                message=(f"{group}: {total[0].item} {total[0].amount:.2f} differs from the sum of "
                         f"its other rows {sums[0]:.2f} {total[0].unit}"),
                page=total[0].page))
    return out


def _expense(form: Form) -> tuple[float, str, int | None] | None:
    vocab = vocabulary().budget
    items = [b for b in form.budget if b.group in vocab["expense_group"]]
    found = _same_unit_sum(items)
    if found is None:
        return None
    return found[0], found[1], items[0].page


def _project_expense(form: Form):
    vocab = vocabulary().budget
    project = _words()["project_items"]
    for b in form.budget:
        if b.group in vocab["expense_group"] and _label(b.item) in project and b.amount is not None:
            return b
    return None


def check_budget_groups(form: Form) -> list[DocumentWarning]:
    """`budget_group_mismatch` where a group that splits the whole budget another way
    (按预算级次划分) does not add up to the expense total, or a group that is part of 项目支出
    (事业发展性支出) adds up to more than 项目支出."""
    words = _words()
    expense = _expense(form)
    project = _project_expense(form)
    out: list[DocumentWarning] = []
    for group, items in _groups(form).items():
        label = clean_text(group)
        found = _same_unit_sum(items)
        if found is None:
            continue
        added, unit = found
        if label in words["partition_groups"] and expense is not None:
            whole = _in_unit(expense[0], expense[1], unit)
            if whole is not None and abs(added - whole) >= _CENT:
                out.append(DocumentWarning(
                    code="budget_group_mismatch",
                    message=f"{group} total {added:.2f} differs from the expense total {whole:.2f} {unit}",
                    page=items[0].page))
        elif label in words["subset_groups"] and project is not None:
            bound = _in_unit(project.amount, project.unit, unit)
            if bound is not None and added - bound >= _CENT:
                out.append(DocumentWarning(
                    code="budget_group_mismatch",
                    message=f"{group} total {added:.2f} exceeds {project.item} {bound:.2f} {unit}",
                    page=items[0].page))
    return out


def check_task_funds(form: Form) -> list[DocumentWarning]:
    """`task_funds_exceed` where the tasks' funds add up to more than 项目支出."""
    project = _project_expense(form)
    if project is None:
        return []
    total = 0.0
    counted = 0
    for t in form.tasks:
        if t.funds is None:
            continue
        funds = _in_unit(t.funds, t.funds_unit or project.unit, project.unit)
        if funds is None:
            return []  # a unit we cannot compare: say nothing rather than guess
        total += funds
        counted += 1
    if counted and total - project.amount >= _CENT:
        return [DocumentWarning(
            code="task_funds_exceed",
            message=(f"the tasks' funds add up to {total:.2f} {project.unit}, more than "
                     f"{project.item} {project.amount:.2f} {project.unit}"),
            page=form.tasks[0].page)]
    return []


def _bracket_unit(name: str) -> bool:
    """Whether the name ends with a unit in brackets (`（万人）`, `（%）`), judged by the target
    grammar: `1<bracket text>` must read as a number with that unit."""
    from .targets import parse_target

    m = trailing_brackets(name)
    if not m or not 1 <= len(m.group(1)) <= NAME_UNIT_MAX_LENGTH:
        return False
    t = parse_target("1" + m.group(1))
    return t.kind == "numeric" and (t.unit is not None or (t.scale or 1) != 1)


def number_expected(ind: Indicator) -> bool:
    """Whether the indicator's target should be a number: see checks.toml [targets]."""
    words = _words()
    name = clean_text(ind.name)
    return (ind.level2_code in words["level2_codes"] or _bracket_unit(name)
            or name.endswith(words["endings"]))


def check_targets(form: Form) -> list[DocumentWarning]:
    """`target_not_numeric` where a target was not understood (kind `text`) although the
    indicator calls for a number. Text targets elsewhere (a place, a sentence) are legitimate."""
    out: list[DocumentWarning] = []
    for ind in form.indicators:
        for label, target in (("实施周期指标值", ind.period_target), ("年度指标值", ind.annual_target)):
            if target is not None and target.kind == "text" and number_expected(ind):
                out.append(DocumentWarning(
                    code="target_not_numeric",
                    message=f"{ind.level2} {ind.name}: {label} \"{target.raw}\" not read as a number",
                    page=ind.page))
    return out


def check_duplicate_indicators(form: Form) -> list[DocumentWarning]:
    """`duplicate_indicator` for a 三级指标 name printed more than once in the form (one warning
    per name, at its second appearance)."""
    counts = Counter(clean_text(ind.name) for ind in form.indicators)
    out: list[DocumentWarning] = []
    seen: set[str] = set()
    for ind in form.indicators:
        name = clean_text(ind.name)
        if counts[name] < 2:
            continue
        if name in seen:
            out.append(DocumentWarning(code="duplicate_indicator",
                               message=f"indicator \"{ind.name}\" appears {counts[name]} times",
                               page=ind.page))
            counts[name] = 0  # once per name
        seen.add(name)
    return out


def check_required_fields(form: Form) -> list[DocumentWarning]:
    """`missing_field` for what every form of its type prints (department; project name on
    project forms; the overall goal; budget amounts; indicators), `missing_target` for an
    indicator with no target value at all."""
    page = form.pages[0] if form.pages else None
    missing = []
    if not form.department:
        missing.append(("department", "部门名称/主管部门"))
    if form.form_type == "project" and not form.project_name:
        missing.append(("project_name", "项目名称"))
    if not form.overall_goal:
        missing.append(("overall_goal", "总体绩效目标"))
    if not any(b.amount is not None for b in form.budget):
        missing.append(("budget", "预算金额"))
    if not form.indicators:
        missing.append(("indicators", "绩效指标"))
    out = [DocumentWarning(code="missing_field", message=f"the form has no {field} ({label})", page=page)
           for field, label in missing]
    for ind in form.indicators:
        if ind.annual_target is None and ind.period_target is None:
            out.append(DocumentWarning(code="missing_target",
                               message=f"{ind.level2} {ind.name}: no target value", page=ind.page))
    return out


def check_repaired_sums(budgets: list[list], repairs) -> dict[int, str]:
    """For each repaired amount cell (index into `repairs`: page, box on the page as displayed,
    text after the repair, rule names) that a budget item was read from, whether its form's
    budget sums (checks.toml [[budget.sums]]) hold: {index: "... holds; ... does not hold"}."""
    sums = _words()["sums"]
    out: dict[int, str] = {}
    for k, rep in enumerate(repairs):
        if "amount" not in rep.rules:
            continue
        for budget in budgets:  # each form's, in form order
            item = _item_at(budget, rep)
            if item is None:
                continue
            amounts = {b.item: b.amount for b in budget if b.amount is not None}
            verdicts = []
            for left, right in sums:
                if item.item not in left + right or not all(n in amounts for n in left + right):
                    continue
                holds = abs(sum(amounts[n] for n in left) - sum(amounts[n] for n in right)) < _CENT
                verdicts.append(f"{'+'.join(left)} = {'+'.join(right)} "
                                f"{'holds' if holds else 'does not hold'}")
            out[k] = "; ".join(verdicts) if verdicts else "no budget sum covers it"
            break
    return out


def _item_at(items, rep):
    """The budget item read from the repaired cell: on its page, its box holding the cell's
    centre, its amount as printed the repaired text."""
    x = (rep.bbox[0] + rep.bbox[2]) / 2
    y = (rep.bbox[1] + rep.bbox[3]) / 2
    for item in items:
        if item.page == rep.page and item.bbox is not None:
            x0, y0, x1, y1 = item.bbox
            if x0 <= x <= x1 and y0 <= y <= y1 and item.amount_raw == clean_text(rep.after):
                return item
    return None
