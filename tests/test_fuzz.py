"""Fuzzing, bounded in time: random cell grids through the normalizer, damaged sample PDFs through
`convert` and through a whole batch. Only clean error records; nothing hangs past the limit.

(`parse_target` on any text is fuzzed in test_targets_property.py.)
"""

import random
import shutil
import signal
import time
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfdecl
from perfdecl.cli import main
from perfdecl.errors import ExitCode, PerfdeclError, batch_exit_code
from perfdecl.extract.grid import Cell, ExtractedDocument, Table, TextLine
from perfdecl.models import Document
from perfdecl.normalize.forms import normalize_document
from perfdecl.normalize.vocabulary import vocabulary

from samplecases import SAMPLES, error_records, read_csv

# --- the normalizer on random grids ---------------------------------------------------------


def _words() -> list[str]:
    data = vocabulary().data
    words: list[str] = ["部门整体预算绩效目标申报表", "项目支出绩效目标表", "2024年市级部门整体预算绩效目标表",
                        "项目资金", "年度资金总额", "其中：财政拨款", "基本支出", "项目支出", "收入来源",
                        "部门预算支出", "预算金额（万元）", "4,192.11", "0.00", "≥95%", "78个", "每年3月底前",
                        "提高", "-", "", " ", "\n", "（万元）", "合计", "年度", "中期", "正向", "≥", "%"]
    for section in ("blocks", "fields", "task_columns", "indicator_columns"):
        for spellings in data[section].values():
            words.extend(spellings)
    for entry in data["level1"] + data["level2"]:
        words.append(entry["label"])
        words.extend(entry["synonyms"])
    return words


WORDS = _words()
cell_text = st.one_of(st.sampled_from(WORDS), st.text(max_size=12),
                      st.lists(st.sampled_from(WORDS), max_size=3).map("\n".join))


@st.composite
def tables(draw, page=None):
    n_rows = draw(st.integers(1, 9))
    n_cols = draw(st.integers(1, 7))
    page = page or draw(st.integers(1, 3))
    covered: set[tuple[int, int]] = set()
    cells: list[Cell] = []
    for r in range(n_rows):
        for c in range(n_cols):
            if (r, c) in covered:
                continue
            rs = draw(st.integers(1, min(3, n_rows - r)))
            cs = draw(st.integers(1, min(3, n_cols - c)))
            # shrink the span until it covers only free positions
            while any((rr, cc) in covered for rr in range(r, r + rs) for cc in range(c, c + cs)):
                rs, cs = (rs - 1, cs) if rs > cs else (rs, cs - 1)
            rs, cs = max(rs, 1), max(cs, 1)
            if draw(st.integers(0, 9)) == 0:
                continue  # a hole in the grid, as a broken ruling leaves
            covered.update((rr, cc) for rr in range(r, r + rs) for cc in range(c, c + cs))
            x0, top = 40.0 + 60 * c, 50.0 + 20 * r
            cells.append(Cell(row=r, col=c, rowspan=rs, colspan=cs, text=draw(cell_text), page=page,
                              bbox=(x0, top, x0 + 60 * cs, top + 20 * rs),
                              confidence=draw(st.one_of(st.none(), st.floats(0, 1)))))
    if not cells:
        cells.append(Cell(row=0, col=0, rowspan=1, colspan=1, text="", page=page,
                          bbox=(40.0, 50.0, 100.0, 70.0)))
    return Table(cells=cells, n_rows=n_rows, n_cols=n_cols,
                 col_edges=[40.0 + 60 * c for c in range(n_cols + 1)])


lines = st.builds(lambda text, page: TextLine(text=text, page=page, bbox=(40.0, 20.0, 300.0, 35.0)),
                  cell_text, st.integers(1, 3))
documents = st.builds(
    lambda items: ExtractedDocument(page_count=3, items=items),
    st.lists(st.one_of(tables(), lines, st.sampled_from(WORDS[:3]).map(
        lambda t: TextLine(text=t, page=1, bbox=(40.0, 10.0, 400.0, 30.0)))), max_size=6))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from(["2024-x.pdf", "x.pdf", ""]))
def test_normalizer_never_raises(doc, name):
    forms, warnings = normalize_document(doc, name)
    # what it returns is valid contract data (the model checks every field, form_type included),
    # and each warning about a form names one of them
    assert all(w.form_index is None or 0 <= w.form_index < len(forms) for w in warnings)
    Document.model_validate({"source": {"file": "x.pdf", "sha256": "0", "page_count": 3,
                                        "method": "text"},
                             "forms": [f.model_dump() for f in forms],
                             "warnings": [w.model_dump() for w in warnings]})


# --- damaged PDFs through convert -----------------------------------------------------------

LIMIT = 30  # seconds per damaged file; none of them should come near it
OCR_OFF = {"ocr": "never"}  # the text path is fuzzed; OCR'ing rubble is slow


class _Hang(BaseException):
    pass


@contextmanager
def time_limit(seconds):
    def on_alarm(signum, frame):
        raise _Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    kind = rng.choice(["truncate", "flip", "scramble", "zero"])
    if kind == "truncate":
        return bytes(out[:rng.randrange(1, len(out))])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    elif kind == "scramble":
        for _ in range(rng.randint(8, 200)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    else:
        at, n = rng.randrange(len(out)), rng.randint(1, 4000)
        out[at:at + n] = bytes(len(out[at:at + n]))
    return bytes(out)


# What a damaged text PDF may give with OCR off: its forms, or one of these typed errors.
DAMAGED_OUTCOMES = {"ok", "not_a_pdf", "corrupt_pdf", "ocr_required", "no_form_found",
                    "page_too_large", "encrypted_pdf"}


def _convert_cleanly(path) -> str:
    """'ok' or the code of the typed error; any other exception fails the test."""
    try:
        with time_limit(LIMIT):
            perfdecl.convert(path, **OCR_OFF)
        return "ok"
    except PerfdeclError as exc:
        return exc.code


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.sampled_from(["seed", "seed_two_pages", "zhanjiang_2024"]), st.integers(0, 2**32 - 1))
def test_damaged_pdfs_give_clean_errors(tmp_path_factory, name, seed):
    data = mutate((SAMPLES / f"{name}.pdf").read_bytes(), random.Random(seed))
    path = tmp_path_factory.mktemp("fuzz") / f"{name}.pdf"
    path.write_bytes(data)
    start = time.monotonic()
    assert _convert_cleanly(path) in DAMAGED_OUTCOMES
    assert time.monotonic() - start < LIMIT


# The smallest damaged inputs found that let a pdfplumber exception escape `convert` (one byte
# each, in seed_two_pages.pdf): pdfplumber's PDF.close() iterates the pages again and raises, and
# a malformed MediaBox raises pdfplumber's own MalformedPDFException. Both are now typed errors.
ESCAPES = {
    # `/Type /Page` → `/Type \xc4Page`: PdfminerException(PSSyntaxError "Invalid dictionary construct")
    "page_type": (b"/Type /Page\n", b"/Type \xc4Page\n"),
    # the MediaBox `841.8898` → `84\x01.8898`: MalformedPDFException("Bounding box contains non-number")
    "mediabox": (b"841.8898 ]", b"84\x01.8898 ]"),
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_known_escapes_from_the_text_layer(tmp_path, case):
    old, new = ESCAPES[case]
    data = (SAMPLES / "seed_two_pages.pdf").read_bytes()
    assert old in data
    path = tmp_path / "damaged.pdf"
    path.write_bytes(data.replace(old, new, 1))
    with pytest.raises(PerfdeclError):
        perfdecl.convert(path, **OCR_OFF)


def test_known_escapes_are_clean_records_in_a_batch(tmp_path):
    """Whatever escapes `convert`, the batch turns it into one error record and goes on."""
    src = tmp_path / "in"
    src.mkdir()
    data = (SAMPLES / "seed_two_pages.pdf").read_bytes()
    for case, (old, new) in ESCAPES.items():
        (src / f"{case}.pdf").write_bytes(data.replace(old, new, 1))
    shutil.copy(SAMPLES / "seed.pdf", src / "seed.pdf")
    out = tmp_path / "out"
    args = ["convert", str(src), "-o", str(out), "-q", "--jobs", "2", "--ocr", "never"]
    code = main(args)
    assert (out / "seed.json").exists()
    assert error_records(out) == {"page_type.pdf": ("extract", "corrupt_pdf"),
                                  "mediabox.pdf": ("extract", "corrupt_pdf")}
    assert code == ExitCode.corrupt_pdf


def test_damaged_archive_through_the_cli(tmp_path, capsys):
    """A folder of damaged copies plus good files: every file accounted for, only error records,
    no traceback, the batch finishes within its time limits."""
    rng = random.Random(20241126)
    src = tmp_path / "in"
    src.mkdir()
    names = ["seed", "seed_two_pages", "two_forms", "zhanjiang_2023", "zhanjiang_2024"]
    for i in range(24):
        name = names[i % len(names)]
        (src / f"{i:02d}-{name}.pdf").write_bytes(mutate((SAMPLES / f"{name}.pdf").read_bytes(), rng))
    shutil.copy(SAMPLES / "seed.pdf", src / "good.pdf")
    out = tmp_path / "out"
    start = time.monotonic()
    code = main(["convert", str(src), "-o", str(out), "--jobs", "2", "--timeout", "20",
                 "--format", "json,csv", "--ocr", "never"])
    assert time.monotonic() - start < 25 * 20 / 2 + 10
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = read_csv(out, "errors")
    converted = {p.stem for p in out.glob("*.json")}
    failed = {e["file"].rsplit("/", 1)[-1][:-4] for e in errors}
    assert converted | failed == {p.stem for p in src.iterdir()} and not converted & failed
    assert "good" in converted and errors  # 24 damaged copies: some cannot be read
    assert code == batch_exit_code(e["code"] for e in errors)
    for e in errors:
        assert e["stage"] and e["message"] and "\n" not in e["message"]
        assert e["code"] in DAMAGED_OUTCOMES, e
