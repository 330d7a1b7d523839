"""Where the samples are and how they are compared."""

import json
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE_PDFS = sorted(p for p in SAMPLES.glob("*.pdf") if p.with_suffix(".expected.json").exists())
PROVENANCE = ("page", "bbox", "confidence")


def strip_provenance(doc: dict) -> dict:
    """The document without the row provenance fields, which depend on how a PDF was drawn."""
    out = json.loads(json.dumps(doc))
    for form in out["forms"]:
        for key in ("budget", "tasks", "indicators", "facts"):
            for row in form[key]:
                for field in PROVENANCE:
                    row.pop(field, None)
    return out
