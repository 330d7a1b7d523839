"""Table-driven tests of normalize.targets.parse_target: every Target field of every case."""

from __future__ import annotations

import pytest

from perfdecl.models.document import Target
import perfdecl.normalize.targets as targets
from perfdecl.normalize.targets import GRAMMAR, parse_cleaned, parse_target
from samplecases import seed_spec
from target_cases import CASES



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


def test_seed_form_targets():
    """Every target of the seed form parses to exactly the expected JSON (plus basis: null)."""
    doc = seed_spec()
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


@pytest.mark.parametrize("bad, raw, kind", [
    (None, "", "text"), (12, "12", "numeric"), (3.5, "3.5", "numeric"), (b"95%", "b'95%'", "text"),
    (["95%"], "['95%']", "text"),
])
def test_wrong_types_are_read_as_their_text(bad, raw, kind):
    t = parse_target(bad)  # type: ignore[arg-type]
    assert (t.raw, t.kind) == (raw, kind)


# parse_target's safety net turns any exception into kind "text", so these go to the parser under
# it, which raises: an exception here is a bug, not a cell the grammar does not know.
@pytest.mark.parametrize("cell, kind", [
    ("(((", "text"), (")))", "text"), ("≥≥≥", "text"), ("1" * 199, "numeric"), ("十" * 150, "text"),
    ("百分之", "text"), ("成", "text"), ("年年年", "text"), ("月底前", "text"), ("()95%", "text"),
    ("95%()", "numeric"), ("（≥**株）", "text"), ("2024.13.40", "text"), ("9999年99月99日前", "text"),
])
def test_broken_grammar_input_is_parsed_without_an_exception(cell, kind):
    t = parse_cleaned(cell)
    assert (t.raw, t.kind) == (cell, kind)
    assert parse_target(cell) == t


def test_parse_target_keeps_the_raw_text_when_the_parser_fails(monkeypatch):
    def broken(raw, hint=None):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(targets, "parse_cleaned", broken)
    assert parse_target(" ≥95% ") == Target(raw="≥95%")
