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

# The old name of DocumentWarning, for normalize/checks.py only until its rework (issue 15 item 1,
# another branch) imports the new one; then this line goes. Not exported.
Warning = DocumentWarning  # noqa: A001

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
