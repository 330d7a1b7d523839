#!/usr/bin/env python3
"""Draw docs/examples/<name>.pdf from <name>.form.json with the samples' layout engine
(samples/generate.py, reportlab producer, its default A4 print): `python docs/examples/draw.py`."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "samples"))

import generate  # noqa: E402

for form in sorted(HERE.glob("*.form.json")):
    grid = generate.parse_grid(json.loads(form.read_text(encoding="utf-8")))
    pdf = form.with_name(form.name.replace(".form.json", ".pdf"))
    generate.render_reportlab(dict(generate.DEFAULTS), [grid], pdf)
    print(pdf.name)
