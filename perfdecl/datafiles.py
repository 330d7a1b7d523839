"""The shapes of the data files a user may edit or add (labels.toml, targets.toml, repairs.toml),
checked when a file is loaded, and the merge of a user's vocabulary over the built-in one.

A shape is written with the helpers below: `Table({...})` a table with these keys only,
`MapOf(t)` a table whose keys are data (words of the form) and whose values are `t`,
`ListOf(t)`, `TablesOf(Table(...), key=...)` an array of tables, `OneOf(values)` a string from a
closed set (the contract's codes), and the scalar types `str`, `int`, `NUMBER` (int or float),
`bool`, or a tuple of them. An unknown key or a value of the wrong type is a
`DataFileError` naming the file, the key path and, for a key, the likely intended one.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DataFileError

NUMBER = (int, float)


@dataclass(frozen=True)
class Table:
    """A table with these keys (all required in a whole file, any subset in a user's file)."""

    keys: dict[str, Any]
    optional: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MapOf:
    """A table whose keys are data, each value of this shape."""

    value: Any


@dataclass(frozen=True)
class OneOf:
    """A string from a closed set (the contract's codes). `source` names the set: a tuple, or the
    name of a `Literal` type in models.document, looked up when a file is checked (so that
    importing this module, as `perfdecl --help` does through the settings, loads no pydantic)."""

    source: tuple[str, ...] | str

    @property
    def values(self) -> tuple[str, ...]:
        if isinstance(self.source, str):
            return _level_codes(self.source)
        return self.source


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class TablesOf:
    """An array of tables; `key` names the entry (a user's entry with a known key merges into it)."""

    entry: Table
    key: str | None = None


def closest(name: str, choices) -> str | None:
    """The likely intended name among `choices`, or None when none is close."""
    found = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return found[0] if found else None


def _type_name(shape) -> str:
    if isinstance(shape, tuple):
        if shape == NUMBER:
            return "a number"
        return " or ".join(_type_name(s) for s in shape)
    if isinstance(shape, (Table, MapOf)):
        return "a table"
    if isinstance(shape, OneOf):
        return "one of " + ", ".join(shape.values)
    if isinstance(shape, (ListOf, TablesOf)):
        return "a list"
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}[shape]


def _value_name(value) -> str:
    """A wrong value as an error shows it: `'80' (a string)`, `a table`."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true or false)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    kind = _type_name(type(value)) if type(value) in (str, int, float) else type(value).__name__
    return f"{value!r} ({kind})"


def _scalar_ok(value, shape) -> bool:
    kinds = shape if isinstance(shape, tuple) else (shape,)
    if isinstance(value, bool):  # bool is an int to Python, never to a TOML reader
        return bool in kinds
    return isinstance(value, tuple(k for k in kinds if k is not bool))


def check(data: Any, shape, *, file: str, whole: bool, path: str = "") -> None:
    """Raise `DataFileError` at the first key or value of `data` that `shape` does not allow.
    `whole`: the file must hold every key (a built-in file); otherwise any subset (a user's)."""
    where = path or "(top level)"
    if isinstance(shape, Table):
        if not isinstance(data, dict):
            raise DataFileError(f"{where} must be a table, not {_value_name(data)}", file=file,
                                key=path)
        for key, value in data.items():
            if key not in shape.keys:
                guess = closest(key, shape.keys)
                hint = f"; did you mean {_join(path, guess)!r}?" if guess else \
                    f"; known keys here: {', '.join(shape.keys)}"
                raise DataFileError(f"unknown key {_join(path, key)!r}{hint}", file=file,
                                    key=_join(path, key), suggestion=_join(path, guess) if guess else None)
            check(value, shape.keys[key], file=file, whole=whole, path=_join(path, key))
        if whole:
            missing = [k for k in shape.keys if k not in data and k not in shape.optional]
            if missing:
                raise DataFileError(f"missing key {_join(path, missing[0])!r}", file=file,
                                    key=_join(path, missing[0]))
    elif isinstance(shape, MapOf):
        if not isinstance(data, dict):
            raise DataFileError(f"{where} must be a table, not {_value_name(data)}", file=file,
                                key=path)
        for key, value in data.items():
            check(value, shape.value, file=file, whole=whole, path=_join(path, key))
    elif isinstance(shape, (ListOf, TablesOf)):
        if not isinstance(data, list):
            raise DataFileError(f"{where} must be a list, not {_value_name(data)}", file=file,
                                key=path)
        for i, item in enumerate(data):
            if isinstance(shape, TablesOf):
                # a new entry is whole; one naming a known entry only adds to it (see merge)
                check(item, shape.entry, file=file, whole=whole or shape.key is None
                      or shape.key not in item, path=f"{path}[{i}]")
            else:
                check(item, shape.item, file=file, whole=whole, path=f"{path}[{i}]")
    elif isinstance(shape, OneOf):
        if data not in shape.values:
            guess = closest(data, shape.values)
            hint = f"; did you mean {guess!r}?" if guess else ""
            raise DataFileError(f"{where} must be one of {', '.join(shape.values)}, not "
                                f"{_value_name(data)}{hint}", file=file, key=path, suggestion=guess)
    elif not _scalar_ok(data, shape):
        raise DataFileError(f"{where} must be {_type_name(shape)}, not {_value_name(data)}",
                            file=file, key=path)


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def load_toml(path: str | Path, shape, *, whole: bool = True) -> dict:
    """A TOML file read and checked against its shape."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise DataFileError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"not valid TOML: {exc}", file=str(path)) from exc
    check(data, shape, file=str(path), whole=whole)
    return data


def merge(base: Any, extra: Any, shape, *, file: str, path: str = "") -> Any:
    """`extra` (a user's file, checked) over `base`: tables merge key by key, lists extend (an
    item already there is not repeated), scalars replace; in an array of tables with a `key`, an
    entry naming a known one merges into it and a new one, which must then be whole, is added."""
    if isinstance(shape, (Table, MapOf)):
        out = dict(base)
        for key, value in extra.items():
            sub = shape.keys[key] if isinstance(shape, Table) else shape.value
            out[key] = (merge(base[key], value, sub, file=file, path=_join(path, key))
                        if key in base else value)
        return out
    if isinstance(shape, TablesOf) and shape.key is not None:
        out = list(base)
        index = {entry[shape.key]: i for i, entry in enumerate(out)}
        for n, entry in enumerate(extra):
            i = index.get(entry[shape.key])
            if i is None:
                check(entry, shape.entry, file=file, whole=True, path=f"{path}[{n}]")
                index[entry[shape.key]] = len(out)
                out.append(entry)
            else:
                out[i] = merge(out[i], entry, shape.entry, file=file, path=f"{path}[{n}]")
        return out
    if isinstance(shape, (ListOf, TablesOf)):
        return list(base) + [v for v in extra if v not in base]
    return extra


# -- the shapes of the data files ----------------------------------------------------------------

def _level_codes(name: str) -> tuple[str, ...]:
    from typing import get_args

    from . import models

    return get_args(getattr(models.document, name))


WORDS = ListOf(str)


def _spellings(*keys: str) -> Table:
    return Table({k: WORDS for k in keys})


# normalize/labels.toml, and a user's vocabulary (`--vocabulary`, any subset of these keys)
VOCABULARY_SHAPE = Table({
    "matching": Table({"min_score": NUMBER, "strip_trailing_brackets": bool,
                       "split_characters": MapOf(str)}, optional=frozenset({"split_characters"})),
    "titles": Table({"keywords": WORDS, "endings": WORDS, "max_length": int, "hints": WORDS,
                     "department_words": WORDS}),
    "blocks": _spellings("basic_info", "budget", "overall_goal", "tasks", "other_tasks",
                         "indicators"),
    "goal_labels": Table({"annual": WORDS, "period": WORDS, "max_label_length": int}),
    "fields": _spellings("department", "competent_department", "implementing_unit",
                         "project_name"),
    "budget": Table({"amount_header_words": WORDS, "default_unit": str, "unit_labels": WORDS,
                     "units": WORDS, "standalone_words": WORDS, "standalone_max_length": int,
                     "max_item_length": int, "expense_group": WORDS, "revenue_group": WORDS}),
    "task_columns": _spellings("name", "content", "funds", "expected_goal"),
    "indicator_columns": _spellings("level1", "level2", "level", "name", "period_value",
                                    "annual_value", "sign", "unit", "extra"),
    "list_columns": _spellings("project_name", "department", "budget", "overall_goal"),
    "value_subheaders": _spellings("actual"),
    "indicator_blocks": _spellings("period_words", "annual_words"),
    "indicator_values": _spellings("signs", "no_sign", "no_unit"),
    "level1": TablesOf(Table({"label": str, "code": OneOf("Level1Code"),
                              "synonyms": WORDS}, optional=frozenset({"synonyms"})), key="label"),
    "level2": TablesOf(Table({"label": str, "parent": str,
                              "code": OneOf("Level2Code"), "synonyms": WORDS},
                             optional=frozenset({"synonyms"})), key="label"),
})

_DATE_PART = MapOf(ListOf((str, int)))

# normalize/targets.toml
TARGETS_SHAPE = Table({
    "chars": MapOf(str),
    "signs": MapOf(str),
    "comparison": Table({"before": MapOf(str), "after": MapOf(str)}),
    "approx": _spellings("before", "after"),
    "fillers": _spellings("before"),
    "scale": MapOf(int),
    "chinese_numerals": Table({"digits": MapOf(int), "places": MapOf(int),
                               "sections": MapOf(int), "decimal_point": str,
                               "fraction_words": MapOf(str), "tenths_word": str,
                               "tenths_unit": str}),
    "units": Table({"words": WORDS, "scale_lookalike": WORDS, "connectors": WORDS,
                    "unlisted_max_chars": int, "counters": WORDS, "counted_max_chars": int,
                    "hint_empty": WORDS}),
    "range": _spellings("separators", "before", "after"),
    "deadline": Table({"day_marks": WORDS, "month_marks": WORDS, "year_marks": WORDS,
                       "date_separators": WORDS, "year_words": MapOf(bool),
                       "month_words": MapOf(bool), "month_parts": MapOf((str, int)),
                       "year_parts": _DATE_PART, "halves": _DATE_PART, "before": MapOf(str),
                       "after": MapOf(str), "verbs": _spellings("words")}),
    "period": _spellings("words"),
    "qualitative": Table({"words": MapOf(str), "modifiers": WORDS, "max_modifiers": int}),
    "decor": Table({"trailing": WORDS, "placeholder_marks": WORDS, "open": str, "close": str}),
    "limits": Table({"max_chars": int}),
})

# extract/ocr/repairs.toml (keys the repairer reads with a default are optional)
REPAIRS_SHAPE = Table({
    "confusions": TablesOf(Table({"name": str, "note": str, "pattern": str, "replace": str},
                                 optional=frozenset({"note"}))),
    "targets": Table({"max_length": int, "misread": WORDS, "doubtful": WORDS,
                      "check_below": NUMBER, "strict_any": bool, "lone_misread": WORDS,
                      "lone_bars": WORDS, "dash_misread": WORDS, "dash": str,
                      "two_char": MapOf(str), "trailing": WORDS, "glyph": MapOf((str, int, float))},
                     optional=frozenset({"strict_any", "lone_misread", "lone_bars", "dash_misread",
                                         "dash", "two_char", "trailing"})),
    "amounts": Table({"decimal_places": int, "thousands": str, "decimal": str,
                      "sum_checks": TablesOf(Table({"left": WORDS, "right": WORDS}))},
                     optional=frozenset({"sum_checks"})),
    "labels": Table({"min_score": NUMBER, "max_length_difference": int, "extra": WORDS}),
}, optional=frozenset({"confusions"}))
