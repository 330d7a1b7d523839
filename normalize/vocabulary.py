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


@dataclass(frozen=True)
class Match:
    key: str  # the vocabulary entry (block name, column name, canonical label)
    label: str  # the spelling that matched
    score: float


class LabelSet:
    """A set of vocabulary entries, each with its spellings; `match` finds the entry a text names."""

    def __init__(self, entries: dict[str, list[str]], min_score: float):
        self.min_score = min_score
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
        stripped = _TRAILING_BRACKETS.sub("", cleaned)
        if stripped and stripped != cleaned:
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


@dataclass(frozen=True)
class IndicatorLabel:
    label: str
    code: str


class Vocabulary:
    def __init__(self, data: dict):
        self.data = data
        score = data["matching"]["min_score"]
        self.blocks = LabelSet(data["blocks"], score)
        self.fields = LabelSet(data["fields"], score)
        self.task_columns = LabelSet(data["task_columns"], score)
        self.indicator_columns = LabelSet(data["indicator_columns"], score)
        self.amount_headers = LabelSet({"amount": data["budget"]["amount_headers"]}, score)
        self.titles = data["titles"]
        self.budget = data["budget"]
        self.level1 = self._levels(data["level1"], score)
        self.level2 = self._levels(data["level2"], score)
        self.level1_codes = {e["label"]: e["code"] for e in data["level1"]}
        self.level2_codes = {e["label"]: e["code"] for e in data["level2"]}

    @staticmethod
    def _levels(entries: list[dict], score: float) -> LabelSet:
        return LabelSet({e["label"]: [e["label"], *e["synonyms"]] for e in entries}, score)

    def is_title(self, text: str) -> bool:
        t = _TRAILING_BRACKETS.sub("", clean_text(text))
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
