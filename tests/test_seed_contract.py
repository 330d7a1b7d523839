"""The seed form, printed by every producer we have, against the contract's own expected output.

shared/spec/seed-form.expected.json is the contract's reference; fields added to the contract since
(such as Target.basis) are not in it, so the comparison is over the reference's keys.
"""


import pytest

import perfdecl

from samplecases import SAMPLES, seed_spec

PDF_DEPENDENT = {"pages", "page", "bbox", "confidence"}


def restrict(value, reference):
    """`value` reduced to the keys `reference` has (recursively), minus PDF-dependent fields."""
    if isinstance(reference, dict):
        return {k: restrict(value.get(k), reference[k]) for k in reference if k not in PDF_DEPENDENT}
    if isinstance(reference, list) and isinstance(value, list):
        return [restrict(v, r) for v, r in zip(value, reference)] + value[len(reference):]
    return value


@pytest.fixture(scope="module")
def spec():
    return seed_spec()


@pytest.mark.parametrize("sample", ["seed", "seed_two_pages", "seed_libreoffice", "two_forms"])
def test_seed_form_matches_contract_reference(spec, sample):
    doc = perfdecl.convert(SAMPLES / f"{sample}.pdf").model_dump(mode="json")
    form = doc["forms"][0]
    reference = spec["forms"][0]
    assert len(form["indicators"]) == len(reference["indicators"])
    assert restrict(form, reference) == restrict(reference, reference)
    codes = [w["code"] for w in doc["warnings"]]
    assert codes == [w["code"] for w in spec["warnings"]]
    assert doc["schema_version"] == spec["schema_version"]
    assert (doc["source"]["method"], doc["source"]["ocr_engine"]) == ("text", None)
