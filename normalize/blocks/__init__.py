"""One reader per block of a declaration form, each found by the roles of its labels and headers
(labels.toml), all with the one interface of base.BlockReader; `BLOCK_READERS` is the registry."""

from __future__ import annotations

from .base import PAIRS, Block, BlockReader, FormContext, FormDraft, FormParts
from .budget import BudgetReader
from .facts import FactsReader
from .goals import GoalsReader
from .indicators import IndicatorColumns, IndicatorsReader
from .meta import MetaReader
from .tasks import TasksReader

# every reader of a form, and the registry: a block key (labels.toml [blocks], or PAIRS) -> the
# readers that read it
READERS: tuple[type[BlockReader], ...] = (
    MetaReader, BudgetReader, GoalsReader, TasksReader, IndicatorsReader, FactsReader)
BLOCK_READERS: dict[str, tuple[type[BlockReader], ...]] = {
    key: tuple(cls for cls in READERS if key in cls.keys)
    for reader in READERS for key in reader.keys}


__all__ = ["BLOCK_READERS", "PAIRS", "READERS", "Block", "BlockReader", "BudgetReader",
           "FactsReader", "FormContext", "FormDraft", "FormParts", "GoalsReader", "IndicatorColumns",
           "IndicatorsReader", "MetaReader", "TasksReader"]
