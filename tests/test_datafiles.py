"""Data files (labels.toml, targets.toml, repairs.toml, a user's vocabulary) checked when loaded,
settings dicts with unknown keys refused, and the exit status of each failure."""

import pytest

import perfdecl
from perfdecl.cli import main
from perfdecl.datafiles import (REPAIRS_SHAPE, TARGETS_SHAPE, VOCABULARY_SHAPE, check, load_toml,
                                merge)
from perfdecl.errors import (DataFileError, ExitCode, PerfdeclError, SettingsError,
                             batch_exit_code)
from perfdecl.extract.ocr.repair import REPAIRS_PATH
from perfdecl.normalize.targets import GRAMMAR_PATH
from perfdecl.normalize.vocabulary import LABELS_PATH, load_vocabulary
from perfdecl.review import settings_with as review_settings

from samplecases import SAMPLES

BUILT_IN = [(LABELS_PATH, VOCABULARY_SHAPE), (GRAMMAR_PATH, TARGETS_SHAPE),
            (REPAIRS_PATH, REPAIRS_SHAPE)]


@pytest.mark.parametrize("path, shape", BUILT_IN, ids=[p.name for p, _ in BUILT_IN])
def test_built_in_files_have_their_shape(path, shape):
    assert load_toml(path, shape)


# (file, text replaced, by, the error's key, its suggestion, message after "<file>: ")
TYPOS = [
    (LABELS_PATH, "[indicator_columns]", "[indicator_column]", "indicator_column",
     "indicator_columns", "unknown key 'indicator_column'; did you mean 'indicator_columns'?"),
    (LABELS_PATH, "min_score = 75", "min_score = \"75\"", "matching.min_score", None,
     "matching.min_score must be a number, not '75' (a string)"),
    (LABELS_PATH, 'code = "ecological"', 'code = "ecologic"', "level2[6].code", "ecological",
     "level2[6].code must be one of quantity, quality, timeliness, cost, economic, social, "
     "ecological, sustainability, satisfaction, economic_cost, social_cost, ecological_cost, "
     "other, not 'ecologic' (a string); did you mean 'ecological'?"),
    (GRAMMAR_PATH, "[qualitative.words]", "[qualitative.word]", "qualitative.word",
     "qualitative.words", "unknown key 'qualitative.word'; did you mean 'qualitative.words'?"),
    (GRAMMAR_PATH, "max_chars = 200", "max_chars = 2.5", "limits.max_chars", None,
     "limits.max_chars must be a whole number, not 2.5 (a number)"),
    (REPAIRS_PATH, "check_below =", "check_belw =", "targets.check_belw", "targets.check_below",
     "unknown key 'targets.check_belw'; did you mean 'targets.check_below'?"),
]


@pytest.mark.parametrize("path, old, new, key, suggestion, message", TYPOS,
                         ids=[f"{t[0].name}:{t[3]}" for t in TYPOS])
def test_a_typo_names_the_file_the_key_and_the_intended_key(tmp_path, path, old, new, key,
                                                          suggestion, message):
    text = path.read_text(encoding="utf-8")
    assert old in text
    edited = tmp_path / path.name
    edited.write_text(text.replace(old, new, 1), encoding="utf-8")
    shape = dict(BUILT_IN)[path]
    with pytest.raises(DataFileError) as err:
        load_toml(edited, shape)
    assert (err.value.file, err.value.key, err.value.suggestion) == (str(edited), key, suggestion)
    assert err.value.message == f"{edited}: {message}"
    assert (err.value.stage, err.value.code, err.value.exit_code) == ("load", "bad_data_file", 19)


def test_a_missing_key_of_a_built_in_file(tmp_path):
    edited = tmp_path / "targets.toml"
    edited.write_text(GRAMMAR_PATH.read_text(encoding="utf-8").replace("max_chars = 200", ""),
                      encoding="utf-8")
    with pytest.raises(DataFileError, match=r"missing key 'limits\.max_chars'$"):
        load_toml(edited, TARGETS_SHAPE)


def test_not_toml_and_not_there(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[level1\nlabel = 1", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"bad\.toml: not valid TOML: "):
        load_vocabulary(bad)
    with pytest.raises(DataFileError, match=r"missing\.toml: cannot read the file: No such file"):
        load_vocabulary(tmp_path / "missing.toml")


@pytest.mark.parametrize("text, message", [
    ('[[level1]]\nlabel = "影响力指标"\n', "missing key 'level1[0].code'"),
    ('[[level2]]\nlabel = "长效管理"\nparent = "影响力指标"\ncode = "sustainability"\n',
     "level2[0].parent '影响力指标' is no [[level1]] label"),
    ('[[level2]]\nlabel = "长效管理"\nparent = "效益指 标"\ncode = "sustainability"\n',
     "level2[0].parent '效益指 标' is no [[level1]] label; did you mean '效益指标'?"),
    ('[fields]\nproject_name = "项目名"\n', "fields.project_name must be a list, not '项目名' (a string)"),
    ('[fields]\nproject_name = ["项目名", 3]\n',
     "fields.project_name[1] must be a string, not 3 (a whole number)"),
    ('[[level1]]\nlabel = "管理类指标"\nsynonym = ["管理"]\n',
     "unknown key 'level1[0].synonym'; did you mean 'level1[0].synonyms'?"),
])
def test_a_user_vocabulary_is_checked(tmp_path, text, message):
    mine = tmp_path / "mine.toml"
    mine.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_vocabulary(mine)
    assert err.value.message == f"{mine}: {message}"


def test_merge_rules():
    shape = VOCABULARY_SHAPE.keys["budget"]
    base = {"units": ["万元", "元"], "default_unit": "万元", "max_item_length": 40}
    extra = {"units": ["元", "千元"], "default_unit": "元"}
    check(extra, shape, file="x.toml", whole=False)
    assert merge(base, extra, shape, file="x.toml") == {
        "units": ["万元", "元", "千元"], "default_unit": "元", "max_item_length": 40}


def test_cli_bad_vocabulary_is_found_before_any_file(tmp_path, capsys):
    mine = tmp_path / "mine.toml"
    mine.write_text('[indicator_column]\nname = ["具体指标"]\n', encoding="utf-8")
    out = tmp_path / "out"
    code = main(["convert", str(SAMPLES / "seed.pdf"), "-o", str(out), "--vocabulary", str(mine)])
    assert code == ExitCode.bad_data_file == 19
    assert capsys.readouterr().err == (f"perfdecl: {mine}: unknown key 'indicator_column'; did you "
                                       f"mean 'indicator_columns'?\n")
    assert not out.exists()


# -- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message, suggestion", [
    ({"ocr_settings": {"engine": {"thread": 2}}},
     "unknown OCR setting 'engine.thread'; did you mean 'engine.threads'?", "engine.threads"),
    ({"ocr_settings": {"engine": {"thread": 2}}, "ocr_engine": "tesseract"},
     "unknown OCR setting 'engine.thread'; did you mean 'engine.threads'?", "engine.threads"),
    ({"ocr_settings": {"engine": {"lang": "chi_sim"}}},  # a tesseract setting, not rapidocr's
     "unknown OCR setting 'engine.lang'; known: model_type, ocr_version, text_score, max_side_len, "
     "det_max_side, threads, cell_lines, bands, rec_min_width, rec_batch_px, edge_marks", None),
    ({"ocr_settings": {"engine": {"bands": {"pad_y": 1}}}},
     "unknown OCR setting 'engine.bands.pad_y'; did you mean 'engine.bands.pad_x'?",
     "engine.bands.pad_x"),
    ({"ocr_settings": {"dpii": 300}}, "unknown OCR setting 'dpii'; did you mean 'dpi'?", "dpi"),
    ({"ocr_settings": {"lines": {"gap": 2}}},
     "unknown OCR setting 'lines.gap'; did you mean 'lines.gap_pt'?", "lines.gap_pt"),
    ({"limits": {"memory": 100}}, "unknown limits setting 'memory'; did you mean 'memory_mb'?",
     "memory_mb"),
])
def test_unknown_settings_are_an_error_naming_the_intended_key(kwargs, message, suggestion):
    with pytest.raises(SettingsError) as err:
        perfdecl.convert(SAMPLES / "seed.pdf", **kwargs)
    assert (str(err.value), err.value.suggestion) == (message, suggestion)
    assert isinstance(err.value, ValueError) and err.value.exit_code == ExitCode.bad_settings


def test_known_settings_pass():
    doc = perfdecl.convert(SAMPLES / "seed.pdf", ocr_settings={"dpi": 300, "engine": {"threads": 1}},
                           limits={"memory_mb": 2048})
    assert doc == perfdecl.convert(SAMPLES / "seed.pdf")


def test_review_settings_are_checked():
    with pytest.raises(SettingsError, match=r"^unknown review setting 'qualty'; did you mean "
                                            r"'quality'\?$"):
        review_settings({"qualty": 80})


# -- exit status ---------------------------------------------------------------------------------

def _errors():
    found, todo = [], [PerfdeclError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_has_its_own_exit_code():
    errors = _errors()
    assert len(errors) == 19
    assert all(cls.exit_code == ExitCode[cls.code] for cls in errors)
    assert len({cls.exit_code for cls in errors}) == len(errors)
    assert ExitCode.bad_usage not in {cls.exit_code for cls in errors}


def test_exit_status_of_a_batch():
    assert batch_exit_code([]) == ExitCode.ok
    assert batch_exit_code(["no_form_found", "no_form_found"]) == ExitCode.no_form_found == 8
    assert batch_exit_code(["no_form_found", "not_a_pdf"]) == ExitCode.error == 1


def test_exit_status_of_the_cli(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.pdf").write_bytes(b"not a pdf")
    (src / "b.pdf").write_bytes(b"")
    (src / "seed.pdf").write_bytes((SAMPLES / "seed.pdf").read_bytes())
    args = ["convert", str(src), "-o", str(tmp_path / "out"), "-q"]
    assert main(args) == ExitCode.error  # two kinds of failure
    (src / "b.pdf").unlink()
    assert main(args) == ExitCode.not_a_pdf == 4  # one kind: its own code
    (src / "a.pdf").unlink()
    assert main(args) == ExitCode.ok
    assert main(["convert", str(tmp_path / "missing.pdf"), "-o", str(tmp_path / "out")]) == \
        ExitCode.unreadable_file == 3
    (tmp_path / "empty").mkdir()
    assert main(["convert", str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == \
        ExitCode.bad_usage == 2  # no PDF found
