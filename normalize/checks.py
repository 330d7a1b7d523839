"""Audit checks on a normalized form, reported as warnings."""

from __future__ import annotations

from ..models import Form, Warning
from .vocabulary import vocabulary


# Amounts are compared as printed (to the cent): a difference of 0.01 is reported, since that is
# what an auditor reading the page sees, even where it comes from rounding.
_CENT = 0.005

def check_budget_sums(form: Form) -> list[Warning]:
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
    return [Warning(
        code="sum_mismatch",
        message=f"{revenue[0].group} total {income:.2f} differs from {expense[0].group} total {spent:.2f}",
        page=revenue[0].page,
    )]
