"""Table-driven tests of normalize.targets.parse_target: every Target field of every case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfdecl.models.document import Target
from perfdecl.normalize.targets import GRAMMAR, parse_target
from target_cases import CASES

SEED = Path(__file__).resolve().parents[2] / "shared" / "spec" / "seed-form.expected.json"


def _id(case: tuple) -> str:
    cell, hint, _ = case
    return f"{cell[:30]!r}" + (f"|{hint!r}" if hint is not None else "")


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_table(case):
    cell, hint, expected = case
    got = parse_target(cell, unit_hint=hint).model_dump()
    assert got == expected
    # int when written without decimals, float otherwise: the JSON shows the number as printed
    assert type(got["value"]) is type(expected["value"])


def test_table_is_large_and_covers_every_kind():
    assert len(CASES) >= 200
    assert {c[2]["kind"] for c in CASES} == {"numeric", "range", "deadline", "qualitative", "text"}


def test_every_field_is_asserted():
    fields = set(Target.model_fields)
    assert all(set(c[2]) == fields for c in CASES)


@pytest.mark.skipif(not SEED.exists(), reason="shared spec not beside the repo")
def test_seed_form_targets():
    """Every target of the seed form parses to exactly the expected JSON (plus basis: null)."""
    doc = json.loads(SEED.read_text(encoding="utf-8"))
    n = 0
    for form in doc["forms"]:
        for ind in form["indicators"]:
            for key in ("period_target", "annual_target"):
                want = ind[key]
                if want is None:
                    continue
                got = parse_target(want["raw"]).model_dump()
                assert got.pop("basis") is None
                assert got == want, ind["name"]
                n += 1
    assert n > 0


def test_contract_direction_words_all_in_table():
    words = GRAMMAR["qualitative"]["words"]
    contract = {
        "increase": ["提升", "提高", "增加", "改善"],
        "decrease": ["降低", "减少", "减轻"],
        "achieve": ["实现", "完成", "达到", "达标", "合规"],
        "maintain": ["保持", "维持", "稳定"],
    }
    for direction, ws in contract.items():
        for w in ws:
            assert words[w] == direction


def test_json_value_as_printed():
    assert parse_target("78个").model_dump_json().count('"value":78,') == 1
    assert '"value":4.5,' in parse_target("≥4.5亿元").model_dump_json()


@pytest.mark.parametrize("bad", [None, 12, 3.5, b"95%", ["95%"]])
def test_never_raises_on_wrong_types(bad):
    t = parse_target(bad)  # type: ignore[arg-type]
    assert isinstance(t, Target)
    assert t.kind in {"text", "numeric"}


def test_broken_grammar_input_does_not_raise():
    for cell in ["(((", ")))", "≥≥≥", "1" * 199, "十" * 150, "百分之", "成", "年年年", "月底前",
                 "()95%", "95%()", "（≥**株）", "2024.13.40", "9999年99月99日前"]:
        assert parse_target(cell).raw is not None
