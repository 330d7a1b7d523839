"""Pydantic models of the output contract, version 1.

Field order follows the contract so that the JSON reads like the contract's tables. Fields may be
added (contract rule); none may be renamed or dropped.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

Op = Literal[">=", "<=", ">", "<", "="]
TargetKind = Literal["numeric", "range", "deadline", "qualitative", "text"]
Direction = Literal["increase", "decrease", "achieve", "maintain"]
Level1Code = Literal["output", "benefit", "satisfaction", "cost", "other"]
Level2Code = Literal[
    "quantity", "quality", "timeliness", "cost", "economic", "social", "ecological",
    "sustainability", "satisfaction", "economic_cost", "social_cost", "ecological_cost", "other",
]
BBox = tuple[float, float, float, float]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Deadline(_Record):
    year: int | None = None
    month: int | None = None
    day: int | None = None
    recurring: bool = False


class Target(_Record):
    """A parsed 指标值 cell. `raw` always holds the cell text; `kind="text"` means not understood."""

    raw: str
    kind: TargetKind = "text"
    op: Op | None = None
    # int when written without decimals (`78个` → 78), so the JSON shows the number as printed
    value: int | float | None = None
    scale: int | None = None
    unit: str | None = None
    normalized_value: float | None = None
    low: float | None = None
    high: float | None = None
    deadline: Deadline | None = None
    direction: Direction | None = None
    # the bracketed standard a value is set by (`100%(历史标准)` → `历史标准`); added field
    basis: str | None = None


# Provenance: 1-based page, row box in PDF points (top-left origin), lowest OCR confidence (0-1)
# or None for a text layer. Declared last in each row model so the JSON keeps contract order.
# Fields added to contract v1 (allowed: "fields may be added") follow the contract's own fields.
class BudgetItem(_Record):
    group: str
    item: str
    amount: float | None = None
    unit: str
    amount_raw: str | None = None  # added: the amount cell as printed (text rules), null if empty
    page: int | None = None
    bbox: BBox | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class Task(_Record):
    name: str
    content: str | None = None
    funds: float | None = None
    funds_unit: str | None = None
    expected_goal: str | None = None
    funds_raw: str | None = None  # added: the funds cell as printed (text rules), null if empty
    page: int | None = None
    bbox: BBox | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class Indicator(_Record):
    level1: str
    level2: str
    level1_code: Level1Code
    level2_code: Level2Code
    name: str
    period_target: Target | None = None
    annual_target: Target | None = None
    extra: dict[str, str] = Field(default_factory=dict)  # added: other columns, {header: text}
    page: int | None = None
    bbox: BBox | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class Fact(_Record):
    """Added: a figure of the form's 基本信息 block (财政供养人员数 737), budget-like."""

    group: str
    item: str
    value: float | None = None
    unit: str | None = None
    raw: str | None = None  # the value cell as printed (text rules)
    page: int | None = None
    bbox: BBox | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class Form(_Record):
    title: str
    form_type: Literal["department", "project"]
    pages: list[int] = Field(default_factory=list)
    year: int | None = None
    department: str | None = None
    project_name: str | None = None
    budget: list[BudgetItem] = Field(default_factory=list)
    overall_goal: str | None = None
    tasks: list[Task] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    # added: goals other than the annual one (实施期/中期/长期目标), {label as printed: text}
    goals: dict[str, str] = Field(default_factory=dict)
    facts: list[Fact] = Field(default_factory=list)  # added: 基本信息 figures


# A problem that did not stop extraction: the contract's `Warning`, named so as not to shadow
# Python's builtin. (A comment, not a docstring: a docstring would enter the JSON Schema.)
class DocumentWarning(_Record):
    __qualname__ = "Warning"  # the JSON Schema's $defs key
    model_config = ConfigDict(title="Warning")

    code: str
    message: str
    page: int | None = None
    # added: the 0-based index in `forms` of the form the warning is about; null for what is
    # about a page or the file (ocr_required, OCR warnings, a table before any form title)
    form_index: int | None = None


class Source(_Record):
    file: str
    sha256: str
    page_count: int
    method: Literal["text", "ocr"]
    ocr_engine: str | None = None


class Document(_Record):
    schema_version: Literal["1"] = SCHEMA_VERSION
    source: Source
    forms: list[Form] = Field(default_factory=list)
    warnings: list[DocumentWarning] = Field(default_factory=list)
