"""The command line: batch conversion, formats, errors, exit status, repeatable output."""

import json
from pathlib import Path

from perfdecl.cli import main

from samplecases import (SAMPLES, copy_samples, error_records, expected_forms, read_csv,
                         strip_provenance)


def _copy_samples(tmp_path, names=("seed", "seed_two_pages")):
    """The first sample in `in`, the others in `in/sub` (folders are walked)."""
    copy_samples(tmp_path / "in" / "sub", names[1:])
    return copy_samples(tmp_path / "in", names[:1])


def test_folder_is_walked_and_json_written(tmp_path):
    src = _copy_samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".perfdecl", "errors.csv", "seed.json",
                                                      "seed_two_pages.json"]
    doc = json.loads((out / "seed.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == "1"
    assert doc["source"]["file"] == "seed.pdf"
    assert strip_provenance(doc)["forms"] == expected_forms("seed")


def test_csv_tables_have_bom_and_contract_columns(tmp_path):
    src = _copy_samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--format", "json,csv"]) == 0
    raw = (out / "indicators.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = read_csv(out, "indicators")
    assert [r["file"] for r in rows] == ["seed.pdf"] * 20 + ["seed_two_pages.pdf"] * 20
    assert [r["name"] for r in rows[:20]] == [r["name"] for r in rows[20:]]  # the same form
    first = rows[0]
    assert (first["file"], first["form_index"], first["level1"], first["level2_code"]) == \
        ("seed.pdf", "0", "产出指标", "quantity")
    assert (first["annual_raw"], first["annual_op"], first["annual_value"], first["annual_unit"]) == \
        ("78个", "=", "78", "个")
    budget = read_csv(out, "budget")
    assert [(b["group"], b["item"], b["amount"]) for b in budget[:2]] == \
        [("部门预算支出", "基本支出", "4192.11"), ("部门预算支出", "项目支出", "265460.48")]
    forms = read_csv(out, "forms")
    assert [(f["file"], f["form_index"], f["department"]) for f in forms] == \
        [("seed.pdf", "0", "广州市协作办公室"), ("seed_two_pages.pdf", "0", "广州市协作办公室")]
    tasks = read_csv(out, "tasks")
    assert [t["name"] for t in tasks[:4]] == ["推动国内区域合作", "加强省外支援协作", "加强省外支援协作",
                                              "开展省内帮扶工作"]


def test_bad_files_are_reported_and_the_batch_goes_on(tmp_path, capsys):
    src = _copy_samples(tmp_path, names=("seed",))
    (src / "empty.pdf").write_bytes(b"")
    (src / "notes.pdf").write_text("not a pdf at all", encoding="utf-8")
    (src / "truncated.pdf").write_bytes((SAMPLES / "seed.pdf").read_bytes()[:300])
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out)]) == 1
    assert error_records(out) == {"empty.pdf": ("open", "unreadable_file"), "notes.pdf": ("open", "not_a_pdf"),
                       "truncated.pdf": ("extract", "corrupt_pdf")}
    assert (out / "seed.json").exists()
    assert not (out / "empty.json").exists()
    err = capsys.readouterr().err
    assert "notes.pdf" in err and "Traceback" not in err


def test_bad_usage_exits_2(tmp_path):
    assert main(["convert", str(tmp_path), "-o", str(tmp_path / "o"), "--format", "docx"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["convert", str(tmp_path), "-o", str(tmp_path / "o")]) == 2  # no PDF there


def test_rerun_writes_the_same_bytes(tmp_path):
    src = _copy_samples(tmp_path)
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["convert", str(src), "-o", str(first), "--format", "json,csv"]) == 0
    assert main(["convert", str(src), "-o", str(second), "--format", "json,csv"]) == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert Path(".perfdecl/converted.jsonl") in files and not [p for p in files if p.suffix == ".part"]
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_schema_prints_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Document"
    assert {"Form", "Indicator", "Target", "BudgetItem", "Task", "Warning", "Source"} <= set(schema["$defs"])


def test_all_formats_at_once(tmp_path):
    src = _copy_samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--format", "json,jsonl,csv,xlsx,parquet", "-q"]) == 0
    names = {p.name for p in out.iterdir()}
    tables = ("forms", "budget", "tasks", "indicators", "facts", "warnings")
    assert names == ({"seed.json", "seed_two_pages.json", "errors.csv", "documents.jsonl", "perfdecl.xlsx",
                      ".perfdecl"}
                     | {f"{t}.csv" for t in tables} | {f"{t}.parquet" for t in tables})
    lines = (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["source"]["file"] for line in lines] == ["seed.pdf", "seed_two_pages.pdf"]


def test_ocr_options(tmp_path, capsys):
    from perfdecl.cli import find_inputs

    src = _copy_samples(tmp_path, names=("seed",))
    (src / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert [p.name for p in find_inputs([str(src)])] == ["scan.png", "seed.pdf"]
    assert [p.name for p in find_inputs([str(src)], images=False)] == ["seed.pdf"]
    assert main(["convert", str(src), "-o", str(tmp_path / "o"), "--ocr-engine", "nonesuch"]) == 2
    assert "unknown OCR engine" in capsys.readouterr().err
    assert main(["convert", str(src), "-o", str(tmp_path / "o"), "--ocr", "sometimes"]) == 2
    # never: folders are not searched for images, PDFs convert from their text layer
    assert main(["convert", str(src), "-o", str(tmp_path / "o"), "--ocr", "never", "-q"]) == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [".perfdecl", "errors.csv", "seed.json"]
