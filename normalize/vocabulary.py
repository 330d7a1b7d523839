"""Load the label vocabulary (labels.toml, and a user's files merged over it) and match printed
labels against it with rapidfuzz. The format and the merge: docs/vocabulary.md."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from ..datafiles import VOCABULARY_SHAPE, closest, load_toml, merge
from ..errors import DataFileError
from ..extract.text import clean_text
from .amounts import strip_trailing_brackets

LABELS_PATH = Path(__file__).with_name("labels.toml")

# Matches a label set remembers (a few MB at most): past it, it starts afresh
_MATCHES_KEPT = 20_000


@dataclass(frozen=True)
class Match:
    key: str  # the vocabulary entry (block name, column name, canonical label)
    label: str  # the spelling that matched
    score: float


class LabelSet:
    """A set of vocabulary entries, each with its spellings; `match` finds the entry a text names."""

    def __init__(self, entries: dict[str, list[str]], min_score: float,
                 split_characters: dict[str, str] | None = None):
        self.min_score = min_score
        self.split_characters = split_characters or {}
        self._choices: list[str] = []
        self._keys: list[str] = []
        # text -> match: a form prints the same labels on every page, an archive on every form
        self._matched: dict[str, Match | None] = {}
        for key, spellings in entries.items():
            for spelling in spellings:
                self._choices.append(clean_text(spelling))
                self._keys.append(key)

    def match(self, text: str) -> Match | None:
        """The entry `text` names, or None. Exact spellings win; otherwise the best fuzzy score
        above the threshold, provided no other entry scores the same."""
        try:
            return self._matched[text]
        except KeyError:
            pass
        if len(self._matched) >= _MATCHES_KEPT:
            self._matched.clear()
        found = self._matched[text] = self._match(text)
        return found

    def _match(self, text: str) -> Match | None:
        cleaned = clean_text(text)
        if not cleaned:
            return None
        candidates = [cleaned]
        joined = cleaned
        for parts, whole in self.split_characters.items():
            joined = joined.replace(parts, whole)
        if joined != cleaned:
            candidates.append(joined)
        for cand in list(candidates):
            stripped = strip_trailing_brackets(cand)
            if stripped and stripped != cand:
                candidates.append(stripped)
        best: Match | None = None
        ambiguous = False
        for cand in candidates:
            if cand in self._choices:
                i = self._choices.index(cand)
                return Match(self._keys[i], self._choices[i], 100.0)
            for choice, score, i in process.extract(cand, self._choices, scorer=fuzz.ratio,
                                                    score_cutoff=self.min_score, limit=4):
                if best is None or score > best.score:
                    ambiguous = False
                    best = Match(self._keys[i], choice, score)
                elif score == best.score and self._keys[i] != best.key:
                    ambiguous = True
        return None if ambiguous else best


def _exact(m: Match | None) -> bool:
    return m is not None and m.score == 100


@dataclass(frozen=True)
class IndicatorLabel:
    label: str
    code: str


class Vocabulary:
    """The labels perfdecl looks for; `files` are the TOML files it was read from, built-in first."""

    def __init__(self, data: dict, files: Sequence[str] = ()):
        self.data = data
        self.files = tuple(files)
        score = data["matching"]["min_score"]
        splits = data["matching"].get("split_characters", {})

        def labels(entries: dict[str, list[str]]) -> LabelSet:
            return LabelSet(entries, score, splits)

        self.blocks = labels(data["blocks"])
        self.fields = labels(data["fields"])
        self.task_columns = labels(data["task_columns"])
        self.indicator_columns = labels(data["indicator_columns"])
        self.goal_labels = labels({k: v for k, v in data["goal_labels"].items() if isinstance(v, list)})
        self.goal_label_max = data["goal_labels"]["max_label_length"]
        self.list_columns = labels(data["list_columns"])
        self.titles = data["titles"]
        self.budget = data["budget"]
        units = "|".join(sorted(self.budget["units"], key=len, reverse=True))
        unit_labels = "|".join(sorted(self.budget["unit_labels"], key=len, reverse=True))
        self._stated_unit = re.compile(rf"(?:{unit_labels})[:：]?\s*[（(]?({units})(?![\w])")
        # synonyms may be left out of an entry a user adds
        self.level1 = labels({e["label"]: [e["label"], *e.get("synonyms", [])]
                              for e in data["level1"]})
        self.level2 = labels({e["label"]: [e["label"], *e.get("synonyms", [])]
                              for e in data["level2"]})
        self.level1_codes = {e["label"]: e["code"] for e in data["level1"]}
        self.level2_parents = {e["label"]: e["parent"] for e in data["level2"] if "parent" in e}
        self.indicator_values = data["indicator_values"]
        self.indicator_blocks = data["indicator_blocks"]
        self.level2_codes = {e["label"]: e["code"] for e in data["level2"]}

    def block_label(self, text: str) -> Match | None:
        """The block a cell's text names, unless it names an indicator label at least as well
        (效益指标 is one character from 绩效指标, and is not the block)."""
        m = self.blocks.match(text)
        if m is None or m.score == 100:
            return m
        for rival in (self.level1, self.level2):
            other = rival.match(text)
            if other is not None and other.score >= m.score:
                return None
        return m

    def is_amount_header(self, text: str) -> bool:
        """A column header over amounts: 预算金额（万元）, 年初预算数, 全年执行数."""
        t = clean_text(text)
        return any(w in t for w in self.budget["amount_header_words"])

    def is_standalone_budget_label(self, text: str) -> bool:
        """A label printed beside its amount outside a budget block (项目金额, 年度本级预算金额)."""
        t = strip_trailing_brackets(clean_text(text))
        return (0 < len(t) <= self.budget["standalone_max_length"]
                and any(w in t for w in self.budget["standalone_words"])
                and not _exact(self.blocks.match(t)) and not _exact(self.fields.match(t)))

    def stated_unit(self, text: str) -> str | None:
        """The amount unit a line states: `金额单位：元` → 元, `填报单位:(盖章)单位:万元` → 万元."""
        m = self._stated_unit.search(clean_text(text))
        return m.group(1) if m else None

    def is_title(self, text: str) -> bool:
        t = strip_trailing_brackets(clean_text(text))
        return (0 < len(t) <= self.titles["max_length"]
                and any(t.endswith(e) for e in self.titles["endings"])
                and any(k in t for k in self.titles["keywords"]))

    def form_type(self, title: str) -> str:
        t = clean_text(title)
        return "department" if any(w in t for w in self.titles["department_words"]) else "project"


def load_vocabulary(*user_files: str | os.PathLike) -> Vocabulary:
    """The built-in vocabulary with each user file merged over it, in order (lists extend, tables
    merge, scalars replace; a [[level1]]/[[level2]] entry with a known label adds to that entry).
    Raises `DataFileError` naming the file and key for a key or value its shape does not allow."""
    return _loaded(tuple(_file_key(f) for f in user_files))


def _file_key(path: str | os.PathLike) -> tuple[str, int, int]:
    """A user file as a cache key: an edited file is read again."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DataFileError(f"cannot read the file: {exc.strerror or exc}",
                            file=os.fspath(path)) from exc
    return os.fspath(path), st.st_mtime_ns, st.st_size


@lru_cache(maxsize=8)
def _loaded(user_files: tuple[tuple[str, int, int], ...]) -> Vocabulary:
    data = builtin = load_toml(LABELS_PATH, VOCABULARY_SHAPE)
    added = []
    for path, _mtime, _size in user_files:
        extra = load_toml(path, VOCABULARY_SHAPE, whole=False)
        data = merge(data, extra, VOCABULARY_SHAPE, file=path)
        added.append((path, extra))
    parents = [e["label"] for e in data["level1"]]
    for path, extra in [(str(LABELS_PATH), builtin), *added]:
        for i, entry in enumerate(extra.get("level2", [])):
            parent = entry.get("parent")
            if parent is not None and parent not in parents:
                guess = closest(parent, parents)
                hint = f"; did you mean {guess!r}?" if guess else ""
                raise DataFileError(f"level2[{i}].parent {parent!r} is no [[level1]] label{hint}",
                                    file=path, key=f"level2[{i}].parent", suggestion=guess)
    return Vocabulary(data, [str(LABELS_PATH), *(p for p, _, _ in user_files)])


_active: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    """The vocabulary in force: the built-in one, or a user's while `applied` holds it."""
    return _active if _active is not None else _loaded(())


@contextmanager
def applied(user_files: Sequence[str | os.PathLike] | None) -> Iterator[Vocabulary]:
    """The built-in vocabulary with `user_files` merged over it, in force while converting a file."""
    global _active
    before = _active
    _active = load_vocabulary(*user_files) if user_files else None
    try:
        yield vocabulary()
    finally:
        _active = before
