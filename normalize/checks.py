"""Audit checks on a normalized form, reported as warnings."""

from __future__ import annotations

from ..models import BudgetItem, Form, Warning
from .vocabulary import vocabulary


def _tolerance(items: list[BudgetItem]) -> float:
    # Printed amounts are rounded (to 2 decimals on most forms): each term may be off by half a
    # unit of its last place, so sums of rounded figures may differ by that much per term.
    return 0.005 * max(len(items), 1) + 1e-9


def check_budget_sums(form: Form) -> list[Warning]:
    """`sum_mismatch` where the expense total (基本支出 + 项目支出) differs from the revenue total."""
    vocab = vocabulary().budget
    expense = [b for b in form.budget if b.group in vocab["expense_group"] and b.amount is not None]
    revenue = [b for b in form.budget if b.group in vocab["revenue_group"] and b.amount is not None]
    if not expense or not revenue:
        return []
    spent = sum(b.amount for b in expense)
    income = sum(b.amount for b in revenue)
    if abs(spent - income) <= _tolerance(expense + revenue):
        return []
    return [Warning(
        code="sum_mismatch",
        message=f"{revenue[0].group} total {income:.2f} differs from {expense[0].group} total {spent:.2f}",
        page=revenue[0].page,
    )]
