"""What a command imports (issue 14): `perfdecl --help` loads none of the pipeline's libraries, and
converting a text PDF loads no OCR library and no pandas. Each check runs in a fresh interpreter,
since this test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

HEAVY = ("pdfplumber", "pydantic", "rapidfuzz", "cv2", "numpy", "pandas", "pyarrow", "openpyxl",
         "rapidocr", "onnxruntime", "pytesseract", "pypdfium2", "PIL")
OCR_AND_TABLES = ("cv2", "numpy", "pandas", "pyarrow", "openpyxl", "rapidocr", "onnxruntime",
                  "pytesseract", "pypdfium2")


def loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\n"
             f"print(__import__('json').dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_imports_none_of_the_pipeline():
    code = "import perfdecl.cli\nperfdecl.cli.build_parser().format_help()"
    assert loaded_after(code) == []


def test_the_package_itself_loads_lazily():
    assert loaded_after("import perfdecl") == []
    assert loaded_after("import perfdecl\nperfdecl.parse_target('≥1.4万人')") == ["pydantic"]


def test_a_text_pdf_loads_no_ocr_library_and_no_pandas(tmp_path):
    argv = ["convert", str(SAMPLES / "seed.pdf"), "-o", str(tmp_path), "--format", "json,csv",
            "--jobs", "1", "-q"]
    code = f"from perfdecl.cli import main\nassert main({argv!r}) == 0"
    loaded = loaded_after(code)
    assert [m for m in loaded if m in OCR_AND_TABLES] == []
    assert {"pdfplumber", "pydantic"} <= set(loaded)
    assert (tmp_path / "seed.json").is_file()
