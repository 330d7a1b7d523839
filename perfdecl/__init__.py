"""perfdecl: budget performance declaration forms (绩效目标申报表) from PDF to typed records.

    import perfdecl
    doc = perfdecl.convert("2024-协作办.pdf")      # the contract Document (pydantic)
    perfdecl.parse_target("≥1.4万人")              # a Target
    perfdecl.to_frames(doc)["indicators"]         # the flat tables as pandas DataFrames

    run = perfdecl.Conversion("3000页汇编.pdf")    # a long file, form by form:
    for form in run.forms():                       # each Form as soon as the next title closes it
        ...
    run.document([])                               # then the source and the warnings
"""

__version__ = "0.1.0"

# The public names load on first use (PEP 562), so that `import perfdecl.cli` for `perfdecl --help`
# or a worker importing one submodule does not pay for pdfplumber, pydantic and the vocabulary.
_PUBLIC = {
    "convert": "pipeline",
    "Conversion": "pipeline",
    "parse_target": "normalize.targets",
    "to_frames": "frames",
    "Document": "models",
    "Target": "models",
    "PerfdeclError": "errors",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'perfdecl' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
