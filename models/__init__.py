"""Typed records of the output contract (shared/spec/CONTRACT.md, schema version 1)."""

from .document import (
    SCHEMA_VERSION,
    BudgetItem,
    Deadline,
    Document,
    Fact,
    Form,
    Indicator,
    Source,
    Target,
    Task,
    Warning,
)

__all__ = [
    "SCHEMA_VERSION",
    "BudgetItem",
    "Deadline",
    "Document",
    "Fact",
    "Form",
    "Indicator",
    "Source",
    "Target",
    "Task",
    "Warning",
]
