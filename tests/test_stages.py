"""The stages run one way: extract hands cells to normalize and knows nothing of it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

EXTRACT = Path(__file__).resolve().parent.parent / "extract"
EXTRACT_MODULES = sorted(EXTRACT.rglob("*.py"))


def _package(path: Path) -> list[str]:
    """perfdecl.extract[.ocr...] as a list of names: the package a module of extract/ sits in."""
    return ["perfdecl", "extract", *path.parent.relative_to(EXTRACT).parts]


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, at its top or inside a function, as an absolute name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _package(path)[:len(_package(path)) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_relative_imports_resolve_to_absolute_names():
    names = imported_modules(EXTRACT / "document.py")
    assert {"perfdecl.limits", "perfdecl.extract.grid", "perfdecl.extract.ocr.render",
            "perfdecl.extract.ocr.document.OcrReader"} <= names
    # imports inside functions count too (the OCR modules are imported when a page needs them)
    assert "perfdecl.extract.ocr.page" in imported_modules(EXTRACT / "ocr" / "document.py")


@pytest.mark.parametrize("path", EXTRACT_MODULES, ids=[str(p.relative_to(EXTRACT)) for p in
                                                        EXTRACT_MODULES])
def test_extract_imports_nothing_from_normalize(path):
    assert sorted(m for m in imported_modules(path) if m.startswith("perfdecl.normalize")) == []


def test_the_flat_table_schema_imports_no_writer():
    """frames.py holds the tables' schema and rows; the file formats (writers.py) build on it."""
    frames = Path(__file__).resolve().parent.parent / "perfdecl" / "frames.py"
    tree = ast.parse(frames.read_text(encoding="utf-8"))
    imported = {name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for name in (node.module, *(alias.name for alias in node.names)) if name}
    assert imported >= {"concerns", "models", "Document"}
    assert not {"writers", "perfdecl.writers"} & imported
