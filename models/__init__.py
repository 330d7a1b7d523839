"""Typed records of the output contract (shared/spec/CONTRACT.md, schema version 1)."""

from .document import (
    SCHEMA_VERSION,
    BudgetItem,
    Deadline,
    Document,
    DocumentWarning,
    Fact,
    Form,
    Indicator,
    Source,
    Target,
    Task,
)


__all__ = [
    "SCHEMA_VERSION",
    "BudgetItem",
    "Deadline",
    "Document",
    "DocumentWarning",
    "Fact",
    "Form",
    "Indicator",
    "Source",
    "Target",
    "Task",
]
