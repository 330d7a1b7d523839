"""The batch's outputs for auditors beyond the flat tables: the SQLite database (`sqlite`) and the
review pages' index (`review`; each file's own review page is written by its worker).

`AuditOutputs` takes the batch's results in input order, like writers.FlatSink.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .filejob import FileResult
from .models import Document

log = logging.getLogger(__name__)

AUDIT_FORMATS = ("sqlite", "review")


class AuditOutputs:
    def __init__(self, out_dir: Path, formats):
        self.out_dir = out_dir
        self.database = None
        if "sqlite" in formats:
            from .database import DATABASE_FILE, Database

            self.database = Database(out_dir / DATABASE_FILE)
        self.index = [] if "review" in formats else None

    def add(self, stem: str, result: FileResult) -> None:
        """One file's result under its per-file name `stem`."""
        if self.database is not None:
            if result.error is not None:
                self.database.add_error(stem, result.error)
            elif result.line is not None:
                # json.loads, not pydantic's parser: a name's undecodable bytes travel as lone
                # surrogate escapes (names.json_text), which only the former reads back
                doc = Document.model_validate(json.loads(result.line))
                self.database.add(stem, doc, result.path)
        if self.index is not None:
            self.index.append({"stem": stem, "path": result.path, "error": result.error,
                               "forms": result.forms, "indicators": result.indicators,
                               "warnings": dict(result.warnings)})

    def finish(self) -> list[Path]:
        written: list[Path] = []
        if self.database is not None:
            self.database.close()
            written.append(self.database.path)
            self.database = None
        if self.index is not None:
            from .review import write_index

            written.append(write_index(self.index, self.out_dir / "review"))
        return written

    def abort(self) -> None:
        """After an interruption: the database keeps every file whose transaction finished."""
        if self.database is not None:
            self.database.close()
            self.database = None
