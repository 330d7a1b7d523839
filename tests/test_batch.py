"""Batch runs: worker pool, time limit, crashes, resume, bad inputs, progress and summary."""

import hashlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

import perfdecl
import perfdecl.filejob as filejob
import perfdecl.pool as pool
from perfdecl.accounting import Summary
from perfdecl.batch import Options, run_batch
from perfdecl.progress import Progress
from perfdecl.cli import main
from perfdecl.errors import ExitCode

from samplecases import (SAMPLES, copy_samples, error_records, expected_forms, read_csv,
                         strip_provenance)


# Tests that swap the converter rely on workers forked from the test process.
needs_fork = pytest.mark.skipif(pool._context().get_start_method() != "fork",
                                reason="workers are not forked on this platform")


def _samples(tmp_path, names=("seed", "zhanjiang_2024")):
    return copy_samples(tmp_path / "in", names)


class _Misbehaving(filejob.Conversion):
    """A conversion that hangs, crashes or blocks the alarm for files named so."""

    def forms(self):
        name = self.path.name
        if name.startswith("hang"):
            while True:
                time.sleep(0.05)
        if name.startswith("deaf"):  # ignores the alarm: only killing the worker stops it
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(60)
        if name.startswith("crash"):
            os._exit(3)
        if name.startswith("bug"):
            raise ZeroDivisionError("a bug")
        return super().forms()


@needs_fork
def test_hang_crash_and_bug_become_error_records(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(filejob, "Conversion", _Misbehaving)
    src = _samples(tmp_path, ("seed",))
    for name in ("hang.pdf", "deaf.pdf", "crash.pdf", "bug.pdf"):
        shutil.copy(SAMPLES / "seed.pdf", src / name)
    out = tmp_path / "out"
    start = time.monotonic()
    # 5 s: a fresh worker on a cold machine (imports, first .pyc compile) takes over 1 s for seed
    assert main(["convert", str(src), "-o", str(out), "--timeout", "5", "--jobs", "2",
                 "--format", "json,csv"]) == ExitCode.error  # failures of several kinds
    assert time.monotonic() - start < 60  # soft limit 5 s, hard kill at 10 s
    assert error_records(out) == {"hang.pdf": ("convert", "timeout"), "deaf.pdf": ("convert", "timeout"),
                            "crash.pdf": ("convert", "worker_crashed"),
                            "bug.pdf": ("convert", "internal_error")}
    assert (out / "seed.json").exists()
    assert [f["file"] for f in read_csv(out, "forms")] == ["seed.pdf"]
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ZeroDivisionError: a bug" in err
    assert "1 converted" in err and "4 failed" in err
    # no spool or half-written file left; the hidden folder holds the resume journal only
    assert [p.relative_to(out).as_posix() for p in sorted(out.rglob(".*"))] == [".perfdecl"]
    assert [p.name for p in (out / ".perfdecl").iterdir()] == ["converted.jsonl"]
    assert [e["file"] for e in _journal(out)] == ["seed.json"]  # the failed files: no entry


@needs_fork
def test_verbose_logs_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(filejob, "Conversion", _Misbehaving)
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SAMPLES / "seed.pdf", src / "bug.pdf")
    assert main(["convert", str(src), "-o", str(tmp_path / "out"), "--verbose", "--jobs", "1"]) == ExitCode.internal_error
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err


def test_bad_inputs_each_give_one_record(tmp_path):
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    src = _samples(tmp_path, ("seed",))
    (src / "empty.pdf").write_bytes(b"")
    (src / "text.pdf").write_text("a text file", encoding="utf-8")
    (src / "image.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))  # a PNG renamed .pdf
    (src / "truncated.pdf").write_bytes((SAMPLES / "seed.pdf").read_bytes()[:5000])
    writer = PdfWriter(clone_from=PdfReader(SAMPLES / "seed.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    with (src / "locked.pdf").open("wb") as fh:
        writer.write(fh)
    c = canvas.Canvas(str(src / "long.pdf"))  # hundreds of pages, no form
    for i in range(300):
        c.drawString(72, 720, f"page {i + 1}")
        c.showPage()
    c.save()
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--jobs", "2", "--format", "json,csv"]) == 1
    # an image renamed .pdf is opened as an image (this one is not a decodable picture)
    assert error_records(out) == {
        "empty.pdf": ("open", "unreadable_file"), "text.pdf": ("open", "not_a_pdf"),
        "image.pdf": ("open", "bad_image"), "truncated.pdf": ("extract", "corrupt_pdf"),
        "locked.pdf": ("open", "encrypted_pdf"), "long.pdf": ("normalize", "no_form_found"),
    }
    assert sorted(p.name for p in out.glob("*.json")) == ["seed.json"]
    messages = {r["file"].rsplit("/", 1)[-1]: r["message"] for r in read_csv(out, "errors")}
    assert messages["truncated.pdf"] == ("the PDF cannot be parsed: the file ends before the PDF "
                                         "does (truncated, or cut off in a download)")
    # with the password the encrypted one converts; the others still fail
    assert main(["convert", str(src), "-o", str(out), "--password", "secret", "-q"]) == 1
    assert "locked.pdf" not in error_records(out)
    locked = json.loads((out / "locked.json").read_text(encoding="utf-8"))
    assert strip_provenance(locked)["forms"] == expected_forms("seed")  # an encrypted copy of seed


def test_resume_skips_unchanged_files_and_tables_cover_them(tmp_path, capsys):
    src = _samples(tmp_path)
    out = tmp_path / "out"
    formats = "json,jsonl,csv,xlsx,parquet"
    assert main(["convert", str(src), "-o", str(out), "--format", formats]) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    json_mtime = (out / "seed.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["convert", str(src), "-o", str(out), "--format", formats]) == 0
    assert "0 converted, 2 skipped" in capsys.readouterr().err
    assert (out / "seed.json").stat().st_mtime_ns == json_mtime  # not rewritten
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == first  # tables cover skipped files
    # a changed input is converted again; --force redoes every file
    shutil.copy(SAMPLES / "zhanjiang_2023.pdf", src / "seed.pdf")
    assert main(["convert", str(src), "-o", str(out), "--format", formats]) == 0
    assert "1 converted, 1 skipped" in capsys.readouterr().err
    assert json.loads((out / "seed.json").read_bytes())["forms"][0]["year"] == 2023
    assert main(["convert", str(src), "-o", str(out), "--format", formats, "--force"]) == 0
    assert "2 converted, 0 skipped" in capsys.readouterr().err


def test_resume_without_json_format_uses_a_hidden_cache(tmp_path, capsys):
    src = _samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--format", "csv"]) == 0
    assert not list(out.glob("*.json"))
    assert sorted(p.name for p in (out / ".perfdecl" / "json").iterdir()) == ["seed.json",
                                                                              "zhanjiang_2024.json"]
    before = (out / "indicators.csv").read_bytes()
    capsys.readouterr()
    assert main(["convert", str(src), "-o", str(out), "--format", "csv"]) == 0
    assert "2 skipped" in capsys.readouterr().err
    assert (out / "indicators.csv").read_bytes() == before


def _journal(out):
    return [json.loads(line) for line in
            (out / ".perfdecl" / "converted.jsonl").read_text(encoding="utf-8").splitlines()]


def _settings(ocr):
    return {"ocr": ocr, "ocr_engine": "rapidocr", "ocr_settings": {}, "perfdecl": perfdecl.__version__}


def test_outputs_of_other_settings_are_not_reused(tmp_path, capsys):
    src = _samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--ocr", "never"]) == 0
    assert [(e["file"], e["settings"]) for e in _journal(out)] == [
        ("seed.json", _settings("never")), ("zhanjiang_2024.json", _settings("never"))]
    # and which input made each JSON, and the JSON's own sha256 (reuse needs both)
    assert [e["source"] for e in _journal(out)] == [str(src / "seed.pdf"), str(src / "zhanjiang_2024.pdf")]
    assert _journal(out)[0]["sha256"] == hashlib.sha256((out / "seed.json").read_bytes()).hexdigest()
    capsys.readouterr()
    # the same settings spelled out (the default engine by name): unchanged, skipped
    assert main(["convert", str(src), "-o", str(out), "--ocr", "never", "--ocr-engine", "rapidocr"]) == 0
    assert "0 converted, 2 skipped" in capsys.readouterr().err
    # another OCR mode: every file again, and the user is told why
    assert main(["convert", str(src), "-o", str(out), "--ocr", "auto"]) == 0
    err = capsys.readouterr().err
    assert ('2 earlier output(s) in ' + str(out) + ' were made with other settings (ocr: "never" → '
            '"auto"); converting them again') in err
    assert "2 converted, 0 skipped" in err
    assert [e["settings"]["ocr"] for e in _journal(out)] == ["auto", "auto"]


def test_one_output_folder_for_several_archives(tmp_path, capsys):
    """Each JSON keeps the settings that made it, whatever other archives did to OUT since."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    shutil.copy(SAMPLES / "seed.pdf", a / "seed.pdf")
    shutil.copy(SAMPLES / "zhanjiang_2024.pdf", b / "zhanjiang_2024.pdf")
    out = tmp_path / "out"
    assert main(["convert", str(a), "-o", str(out), "--ocr", "never"]) == 0
    assert main(["convert", str(b), "-o", str(out), "--ocr", "auto"]) == 0
    capsys.readouterr()
    assert main(["convert", str(a), "-o", str(out), "--ocr", "auto"]) == 0
    assert "1 converted, 0 skipped" in capsys.readouterr().err
    assert main(["convert", str(b), "-o", str(out), "--ocr", "auto"]) == 0
    assert "0 converted, 1 skipped" in capsys.readouterr().err
    # the kept JSON of the other formats (no `json`) is another file than OUT/<stem>.json
    assert main(["convert", str(a), "-o", str(out), "--ocr", "never", "--format", "csv"]) == 0
    assert main(["convert", str(a), "-o", str(out), "--ocr", "auto"]) == 0
    assert "0 converted, 1 skipped" in capsys.readouterr().err
    assert [(e["file"], e["settings"]["ocr"]) for e in _journal(out)] == [
        (".perfdecl/json/seed.json", "never"), ("seed.json", "auto"), ("zhanjiang_2024.json", "auto")]


def test_a_journal_line_cut_short_costs_only_its_file(tmp_path, capsys):
    src = _samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out)]) == 0
    journal = out / ".perfdecl" / "converted.jsonl"
    journal.write_bytes(journal.read_bytes()[:-20])  # a crash while writing the last line
    capsys.readouterr()
    assert main(["convert", str(src), "-o", str(out)]) == 0
    assert "1 converted, 1 skipped" in capsys.readouterr().err
    assert [e["file"] for e in _journal(out)] == ["seed.json", "zhanjiang_2024.json"]


def test_ocr_workers_share_the_cores(monkeypatch):
    """The OCR engine's threads default to every core; with several workers each gets its share,
    unless the caller set a thread count. Threads change speed, not output: not in the record."""
    monkeypatch.setattr(pool, "default_jobs", lambda: 4)
    assert pool.share_cores({"ocr": "auto"}, 2) == {
        "ocr": "auto", "ocr_settings": {"engine": {"threads": 2}}}
    assert pool.share_cores({"ocr_settings": {"dpi": 300}}, 8) == {
        "ocr_settings": {"dpi": 300, "engine": {"threads": 1}}}
    own = {"ocr_settings": {"engine": {"threads": 3}}}
    assert pool.share_cores(own, 2) is own
    record = Options(out=Path("o"), convert_kwargs=pool.share_cores({"ocr": "auto"}, 2)).settings()
    assert record == Options(out=Path("o"), convert_kwargs={"ocr": "auto"}).settings()
    assert record["ocr_settings"] == {}


def test_outputs_of_one_job_are_reused_by_two(tmp_path, capsys):
    src = _samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["convert", str(src), "-o", str(out), "--jobs", "2"]) == 0
    assert "0 converted, 2 skipped" in capsys.readouterr().err


class _Interrupt:
    """A progress display whose first update is a Ctrl-C."""

    def tick(self, summary, seconds):
        pass

    def update(self, summary, seconds):
        raise KeyboardInterrupt


def test_an_interrupted_run_keeps_the_record_of_what_it_converted(tmp_path, capsys):
    src = _samples(tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--ocr", "never"]) == 0
    opts = Options(out=out, convert_kwargs={"ocr": "auto"})
    with pytest.raises(KeyboardInterrupt):  # after the first file
        run_batch(sorted(src.iterdir()), opts, jobs=1, progress=_Interrupt())
    assert [(e["file"], e["settings"]["ocr"]) for e in _journal(out)] == [
        ("seed.json", "never"), ("zhanjiang_2024.json", "never"), ("seed.json", "auto")]
    capsys.readouterr()
    assert main(["convert", str(src), "-o", str(out), "--ocr", "never"]) == 0
    assert "1 converted, 1 skipped" in capsys.readouterr().err  # seed.json was made by `auto`
    assert [(e["file"], e["settings"]["ocr"]) for e in _journal(out)] == [
        ("seed.json", "never"), ("zhanjiang_2024.json", "never")]


def test_a_damaged_earlier_output_is_redone(tmp_path, capsys):
    src = _samples(tmp_path, ("seed",))
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out)]) == 0
    (out / "seed.json").write_text("{not json", encoding="utf-8")
    capsys.readouterr()
    assert main(["convert", str(src), "-o", str(out)]) == 0
    assert "1 converted, 0 skipped" in capsys.readouterr().err
    assert json.loads((out / "seed.json").read_bytes())["source"]["file"] == "seed.pdf"


def test_two_jobs_give_the_same_bytes_as_one(tmp_path):
    src = _samples(tmp_path, ("seed", "two_forms", "zhanjiang_2023", "zhanjiang_2024"))
    (src / "bad.pdf").write_bytes(b"%PDF-1.7 nothing")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        assert main(["convert", str(src), "-o", str(out), "-j", jobs, "-q",
                     "--format", "json,jsonl,csv,xlsx,parquet"]) == ExitCode.corrupt_pdf
        outs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outs[0] == outs[1]
    files = [f["file"] for f in read_csv(tmp_path / "out2", "forms")]
    assert files == ["seed.pdf", "two_forms.pdf", "two_forms.pdf", "zhanjiang_2023.pdf",
                     "zhanjiang_2024.pdf"]


def test_same_stem_in_two_folders(tmp_path):
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    shutil.copy(SAMPLES / "seed.pdf", src / "a" / "form.pdf")
    shutil.copy(SAMPLES / "zhanjiang_2024.pdf", src / "b" / "Form.pdf")
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--format", "json,csv", "-q"]) == 0
    assert sorted(p.name for p in out.glob("*.json")) == ["Form-2.json", "form.json"]
    paths = {r["path"].replace(os.sep, "/").rsplit("/", 2)[-2] for r in read_csv(out, "forms")}
    assert paths == {"a", "b"}


def test_summary_counts_warnings_by_code(tmp_path):
    src = _samples(tmp_path, ("seed", "zhanjiang_2023"))
    summary = run_batch(sorted(src.iterdir()), Options(out=tmp_path / "out"), jobs=2)
    assert (summary.files, summary.ok, summary.failed, summary.skipped) == (2, 2, 0, 0)
    assert summary.forms == 2 and summary.indicators > 30 and summary.pages >= 3
    assert summary.warnings["sum_mismatch"] == 1
    assert summary.peak_rss_kb > 0
    line = summary.line()
    assert "2 converted" in line and "sum_mismatch 1" in line


def test_progress_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, interval=0.0)
    s = Summary(files=4, ok=1, failed=1, pages=3)
    progress.update(s, 2.0)
    text = stream.getvalue()
    assert text.startswith("perfdecl: [2/4]") and "ETA 00:00:02" in text and "\r" not in text


def test_progress_redraws_one_line_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    progress = Progress(stream)
    s = Summary(files=2, ok=2, pages=5)
    progress.update(s, 1.0)
    progress.close()
    assert stream.getvalue().startswith("\r\x1b[K[2/2] 100%") and stream.getvalue().endswith("\n")


def test_quiet_prints_only_errors(tmp_path, capsys):
    src = _samples(tmp_path, ("seed",))
    (src / "x.pdf").write_bytes(b"nope")
    assert main(["convert", str(src), "-o", str(tmp_path / "out"), "-q"]) == ExitCode.not_a_pdf
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"error: {src / 'x.pdf'}: [open/not_a_pdf] not a PDF: "
                                        "the file does not start with %PDF"]


def test_usage_errors(tmp_path):
    src = _samples(tmp_path, ("seed",))
    assert main(["convert", str(src), "-o", str(tmp_path / "o"), "--jobs", "0"]) == 2
    assert main(["convert", str(src), "-o", str(tmp_path / "o"), "--timeout", "-1"]) == 2
    assert main(["convert", str(src), "-o", str(tmp_path / "o"), "--format", "json,docx"]) == 2


@pytest.mark.skipif(sys.platform != "linux", reason="uses fork and SIGINT")
def test_interrupt_leaves_no_partial_output(tmp_path):
    """Ctrl-C: workers stopped, no half-written table; converted JSON stays (a rerun resumes)."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SAMPLES / "seed.pdf", src / "a.pdf")  # first in order: converts, then the hangs
    for i in range(6):
        shutil.copy(SAMPLES / "seed.pdf", src / f"hang{i}.pdf")
    out = tmp_path / "out"
    ctx = multiprocessing.get_context("fork")

    def run():
        filejob.Conversion = _Misbehaving
        sys.exit(main(["convert", str(src), "-o", str(out), "--format", "json,csv,jsonl", "-q",
                       "--jobs", "2", "--timeout", "0"]))

    proc = ctx.Process(target=run)
    proc.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (out / "a.json").exists():
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGINT)
    proc.join(20)
    assert proc.exitcode == 130
    assert sorted(p.name for p in out.iterdir()) == [".perfdecl", "a.json"]
    # the journal says which settings made a.json, so that a rerun reuses it (the other files
    # are only claimed for their inputs: settings null)
    assert [e["file"] for e in _journal(out) if e["settings"]] == ["a.json"]
    assert [p.name for p in (out / ".perfdecl").iterdir()] == ["converted.jsonl"]


def test_bench_script_runs(tmp_path):
    """The benchmark (a script, `make bench`) on two files, so that it does not rot."""
    import subprocess

    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, str(SAMPLES.parent / "bench" / "bench_pipeline.py"), "--files", "2",
                    "--scanned", "0", "--json", str(out)], check=True, capture_output=True, timeout=300)
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["text"]["files"] == 2 and figures["text"]["jobs2"]["failed"] == 0
    assert set(figures["targets"]) == {"pipeline ≤ 2× floor", "2 jobs ≥ 1.8× 1 job",
                                       "peak RSS per worker < 300 MB"}


def test_outputs_made_with_another_vocabulary_are_not_reused(tmp_path, capsys):
    """The journal records the user's vocabulary files by content: the same files skip, other
    files or none convert again (docs/vocabulary.md)."""
    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(examples / "shanghai_2024.pdf", src / "shanghai_2024.pdf")
    labels = tmp_path / "labels.toml"
    shutil.copy(examples / "shanghai_labels.toml", labels)
    out = tmp_path / "out"
    digest = hashlib.sha256(labels.read_bytes()).hexdigest()

    def codes():
        doc = json.loads((out / "shanghai_2024.json").read_bytes())
        return {ind["level2_code"] for ind in doc["forms"][0]["indicators"]}

    assert main(["convert", str(src), "-o", str(out), "--vocabulary", str(labels)]) == 0
    assert _journal(out)[0]["settings"]["vocabulary"] == [digest]
    assert "sustainability" in codes()
    capsys.readouterr()
    moved = tmp_path / "moved.toml"
    labels.rename(moved)
    assert main(["convert", str(src), "-o", str(out), "--vocabulary", str(moved)]) == 0
    assert "0 converted, 1 skipped" in capsys.readouterr().err
    main(["convert", str(src), "-o", str(out)])  # the built-in vocabulary alone
    assert "1 converted, 0 skipped" in capsys.readouterr().err
    assert "vocabulary" not in _journal(out)[0]["settings"]
    assert "sustainability" not in codes()


def test_imports_are_frozen_once_before_the_first_workers_fork():
    """The collector walks no module object in the workers or at exit; a program running batch
    after batch freezes nothing more (its garbage stays collectable)."""
    import gc

    from perfdecl import pool

    pool._freeze_imports()
    frozen = gc.get_freeze_count()
    assert pool._frozen and frozen > 0
    garbage = [[] for _ in range(1000)]
    pool._freeze_imports()
    assert gc.get_freeze_count() == frozen
    del garbage


@pytest.mark.parametrize("enabled", [True, False])
def test_importing_the_batch_leaves_the_collector_as_it_was(enabled):
    import subprocess
    import sys

    code = ("import gc\n" + ("" if enabled else "gc.disable()\n")
            + "import perfdecl.batch\nprint(gc.isenabled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(enabled)
