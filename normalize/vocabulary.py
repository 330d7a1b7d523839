"""Load the label vocabulary (labels.toml) and match printed labels against it with rapidfuzz."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from ..extract.text import clean_text

_TRAILING_BRACKETS = re.compile(r"[（(][^（）()]*[）)]$")


def strip_trailing_brackets(text: str) -> str:
    """`项目资金（万元）` → `项目资金`: the label without the note or unit in brackets ending it."""
    return _TRAILING_BRACKETS.sub("", text)


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
        for key, spellings in entries.items():
            for spelling in spellings:
                self._choices.append(clean_text(spelling))
                self._keys.append(key)

    def match(self, text: str) -> Match | None:
        """The entry `text` names, or None. Exact spellings win; otherwise the best fuzzy score
        above the threshold, provided no other entry scores the same."""
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
    def __init__(self, data: dict):
        self.data = data
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
        self.level1 = labels({e["label"]: [e["label"], *e["synonyms"]] for e in data["level1"]})
        self.level2 = labels({e["label"]: [e["label"], *e["synonyms"]] for e in data["level2"]})
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


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    with (Path(__file__).parent / "labels.toml").open("rb") as fh:
        return Vocabulary(tomllib.load(fh))
