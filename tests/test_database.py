"""--format sqlite: OUT/perfdecl.sqlite, keys, values as in the JSON, views, reruns and appends."""

import json
import shutil
import sqlite3

import pytest

from perfdecl.batch import Options, run_batch
from perfdecl.cli import main
from perfdecl.errors import ExitCode
from perfdecl.database import Database, table_columns
from perfdecl.models import Document

from samplecases import SAMPLES

EXPECTED = sorted(SAMPLES.glob("*.expected.json")) + sorted((SAMPLES / "scanned").glob("*.expected.json"))


def _stem(path):
    return path.name.removesuffix(".expected.json")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """Every sample's expected document stored under its stem (scanned ones prefixed)."""
    path = tmp_path_factory.mktemp("db") / "perfdecl.sqlite"
    db = Database(path)
    for p in EXPECTED:
        name = ("scanned/" if p.parent.name == "scanned" else "") + _stem(p)
        assert db.add(name, Document.model_validate_json(p.read_bytes()), str(p)) is True
    db.add_error("staff_list", {"file": "samples/staff_list.pdf", "stage": "normalize",
                                "code": "no_form_found", "message": "no declaration form found"})
    db.close()
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def _content(path):
    """Every table's rows, sorted: the database's content independent of storage order."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(conn.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def test_schema_keys_indexes_and_views(sample_db):
    tables = {r[0] for r in sample_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"files", "forms", "budget", "tasks", "indicators", "facts", "warnings", "errors"}
    views = {r[0] for r in sample_db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert views == {"unparsed_targets", "budget_mismatches_by_department", "department_targets"}
    for t in tables:
        cols = [r["name"] for r in sample_db.execute(f"PRAGMA table_info({t})")]
        assert cols == table_columns(t), t
    pk = {t: [r["name"] for r in sorted(sample_db.execute(f"PRAGMA table_info({t})"), key=lambda r: r["pk"])
              if r["pk"]] for t in tables}
    assert pk["forms"] == ["document", "form_index"]
    assert pk["indicators"] == ["document", "form_index", "row_index"]
    assert pk["warnings"] == ["document", "warning_index"]
    fks = {(r["table"], r["from"], r["to"]) for r in sample_db.execute("PRAGMA foreign_key_list(indicators)")}
    assert fks == {("forms", "document", "document"), ("forms", "form_index", "form_index")}
    indexed = {tuple(c["name"] for c in sample_db.execute(f"PRAGMA index_info({i['name']})"))
               for t in ("forms", "indicators", "warnings")
               for i in sample_db.execute(f"PRAGMA index_list({t})") if i["origin"] == "c"}
    assert {("department",), ("year",), ("department", "year"), ("level1_code", "level2_code"),
            ("code",)} <= indexed
    assert sample_db.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: f"{p.parent.name}/{_stem(p)}")
def test_rows_equal_the_json(sample_db, expected):
    doc = json.loads(expected.read_bytes())
    name = ("scanned/" if expected.parent.name == "scanned" else "") + _stem(expected)
    q = lambda sql: [tuple(r) for r in sample_db.execute(sql, (name,))]  # noqa: E731
    assert q("SELECT file, sha256, page_count, method FROM files WHERE document = ?") == [
        (doc["source"]["file"], doc["source"]["sha256"], doc["source"]["page_count"],
         doc["source"]["method"])]
    assert q("SELECT form_index, title, form_type, year, department, project_name, overall_goal "
             "FROM forms WHERE document = ? ORDER BY form_index") == [
        (i, f["title"], f["form_type"], f["year"], f["department"], f["project_name"], f["overall_goal"])
        for i, f in enumerate(doc["forms"])]
    assert q("SELECT form_index, row_index, department, year, \"group\", item, amount, unit "
             "FROM budget WHERE document = ? ORDER BY form_index, row_index") == [
        (i, k, f["department"], f["year"], b["group"], b["item"], b["amount"], b["unit"])
        for i, f in enumerate(doc["forms"]) for k, b in enumerate(f["budget"])]
    assert q("SELECT form_index, name, content, funds, funds_unit, expected_goal FROM tasks "
             "WHERE document = ? ORDER BY form_index, row_index") == [
        (i, t["name"], t["content"], t["funds"], t["funds_unit"], t["expected_goal"])
        for i, f in enumerate(doc["forms"]) for t in f["tasks"]]

    def target(t, field):
        return None if t is None else t[field]

    assert q("SELECT form_index, level1_code, level2_code, name, annual_raw, annual_kind, annual_op, "
             "annual_normalized_value, period_raw, period_unit FROM indicators WHERE document = ? "
             "ORDER BY form_index, row_index") == [
        (i, d["level1_code"], d["level2_code"], d["name"], target(d["annual_target"], "raw"),
         target(d["annual_target"], "kind"), target(d["annual_target"], "op"),
         target(d["annual_target"], "normalized_value"), target(d["period_target"], "raw"),
         target(d["period_target"], "unit"))
        for i, f in enumerate(doc["forms"]) for d in f["indicators"]]
    assert q("SELECT COUNT(*) FROM facts WHERE document = ?") == [
        (sum(len(f["facts"]) for f in doc["forms"]),)]
    assert q("SELECT form_index, code, message, page FROM warnings WHERE document = ? "
             "ORDER BY warning_index") == [
        (w["form_index"], w["code"], w["message"], w["page"]) for w in doc["warnings"]]


def test_numbers_are_numbers(sample_db):
    types = dict(sample_db.execute("SELECT DISTINCT typeof(amount), 1 FROM budget").fetchall())
    assert set(types) == {"real", "null"}
    assert {r[0] for r in sample_db.execute("SELECT DISTINCT typeof(year) FROM indicators")} == {"integer", "null"}
    assert sample_db.execute("SELECT annual_normalized_value FROM indicators WHERE document = 'seed' "
                             "AND name = '东西部协作资金下达时限'").fetchone()[0] is None
    assert tuple(sample_db.execute("SELECT annual_value, typeof(annual_value) FROM indicators "
                                   "WHERE document = 'seed' AND row_index = 0").fetchone()) == (78.0, "real")  # 78个


def test_view_unparsed_targets(sample_db):
    rows = [tuple(r) for r in sample_db.execute(
        "SELECT document, row_index, target, raw, warning_codes FROM unparsed_targets")]
    # scanned prints of these samples hold the same targets under scanned/…
    plain = [r for r in rows if not r[0].startswith("scanned/")]
    assert plain == [
        ("project_period_annual", 9, "annual", "长期", None),
        ("project_period_annual", 9, "period", "长期", None),
        ("project_sign_unit_columns", 5, "annual", "无影响", None),
        ("project_sign_unit_sans", 5, "annual", "无影响", None),
        ("department_word", 6, "annual", "每季度末前", None),
        ("wuhan_2020_libreoffice", 1, "annual", "1600人、200人", "target_not_numeric"),
        ("wuhan_2020_libreoffice", 2, "annual", "1000人、3000人", "target_not_numeric"),
        ("wuhan_2020_libreoffice", 3, "annual", "180人、650人", "target_not_numeric"),
        ("wuhan_2020_libreoffice", 4, "annual", "900人、1500人", "target_not_numeric"),
        ("wuhan_2020_libreoffice", 10, "annual", "在规定时间结案率为95%", None),
        ("zhanjiang_2023", 2, "annual", "根据下达任务目标要求确定", "target_not_numeric"),
        ("zhanjiang_2023", 3, "annual", "根据下达任务目标要求确定", "target_not_numeric"),
        ("zhanjiang_2023", 9, "annual", "根据下达任务目标要求确定", "target_not_numeric"),
        ("zhanjiang_2023", 10, "annual", "根据下达任务目标要求确定", "target_not_numeric"),
        ("zhanjiang_2024", 13, "annual", "湛江市基层", None),
    ]


def test_view_budget_mismatches_by_department(sample_db):
    assert [tuple(r) for r in sample_db.execute("SELECT * FROM budget_mismatches_by_department")] == [
        ("北湖市人力资源和社会保障局", 2023, "sum_mismatch", 1, 1),
        # seed, seed_libreoffice, seed_two_pages, two_forms and four scanned prints of them
        ("广州市协作办公室", None, "sum_mismatch", 10, 10),
        ("湛江市人力资源和社会保障局", 2024, "sum_mismatch", 3, 3),
    ]


def test_view_department_targets_across_years(sample_db):
    rows = [tuple(r) for r in sample_db.execute(
        "SELECT year, level2, name, annual_raw, annual_normalized_value FROM department_targets "
        "WHERE department = '湛江市人力资源和社会保障局' AND name LIKE '%失业人员再就业人数%' "
        "AND document NOT LIKE 'scanned/%'")]
    assert rows == [(2023, "经济效益指标", "失业人员再就业人数", "根据下达任务目标要求确定", None),
                    (2024, "经济效益指标", "失业人员再就业人数（人）", "27000", 27000.0)]


def test_errors_row(sample_db):
    assert [tuple(r) for r in sample_db.execute("SELECT * FROM errors")] == [
        ("staff_list", "samples/staff_list.pdf", "normalize", "no_form_found", "no declaration form found")]


def _inputs(tmp_path, names):
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    for n in names:
        shutil.copy(SAMPLES / f"{n}.pdf", src / f"{n}.pdf")
    return [src / f"{n}.pdf" for n in names]


def test_batch_rerun_resume_and_append_give_the_same_content(tmp_path):
    names = ["seed", "zhanjiang_2024", "staff_list"]
    inputs = _inputs(tmp_path, names)
    whole = tmp_path / "whole"
    assert main(["convert", *map(str, inputs), "-o", str(whole), "--format", "sqlite", "-q",
                 "-j", "1"]) == ExitCode.no_form_found  # staff_list.pdf
    db = whole / "perfdecl.sqlite"
    first = _content(db)
    assert [r[:2] for r in first["files"]] == [("seed", "seed.pdf"), ("zhanjiang_2024", "zhanjiang_2024.pdf")]
    assert [r[:4] for r in first["errors"]] == [("staff_list", str(inputs[2]), "normalize", "no_form_found")]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("SELECT COUNT(*), MIN(page), MAX(page) FROM indicators").fetchone() == (20 + 19, 1, 3)
    conn.close()
    # a rerun (every file reused) changes nothing
    main(["convert", *map(str, inputs), "-o", str(whole), "--format", "sqlite", "-q", "-j", "1"])
    assert _content(db) == first
    # resumed: a first run over one file, then the whole batch
    resumed = tmp_path / "resumed"
    run_batch(inputs[:1], Options(out=resumed, formats=["sqlite"]), jobs=1)
    run_batch(inputs, Options(out=resumed, formats=["sqlite"]), jobs=1)
    assert _content(resumed / "perfdecl.sqlite") == first
    # a batch of other files is added beside what is there
    more = _inputs(tmp_path, ["zhanjiang_2023"])
    run_batch(more, Options(out=whole, formats=["sqlite"]), jobs=1)
    after = _content(db)
    assert [r[0] for r in after["files"]] == ["seed", "zhanjiang_2023", "zhanjiang_2024"]
    assert {k: [r for r in v if r[0] != "zhanjiang_2023"] for k, v in after.items()} == first


def test_reconverted_file_replaces_its_rows(tmp_path):
    """A document stored again under the same name has exactly its new rows (no leftovers)."""
    db_path = tmp_path / "perfdecl.sqlite"
    db = Database(db_path)
    two = Document.model_validate_json((SAMPLES / "two_forms.expected.json").read_bytes())
    seed = Document.model_validate_json((SAMPLES / "seed.expected.json").read_bytes())
    db.add("x", two, "a/x.pdf")
    db.add_error("x", {"file": "a/x.pdf", "stage": "open", "code": "not_a_pdf", "message": "m"})
    forms = _content(db_path)["forms"]
    assert [(r[0], r[2]) for r in forms] == [("x", 0), ("x", 1)]  # a failure keeps the earlier rows
    assert db.add("x", seed, "a/x.pdf") is True
    assert db.add("x", seed, "a/x.pdf") is False  # unchanged: nothing written
    db.close()
    content = _content(db_path)
    assert [(r[0], r[2]) for r in content["forms"]] == [("x", 0)]
    ind, bud = table_columns("indicators").index("name"), table_columns("budget").index("item")
    assert sorted(r[ind] for r in content["indicators"]) == sorted(i.name for i in seed.forms[0].indicators)
    assert sorted(r[bud] for r in content["budget"]) == sorted(b.item for b in seed.forms[0].budget)
    assert content["errors"] == []
