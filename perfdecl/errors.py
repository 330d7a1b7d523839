"""Typed errors. Each names the stage that failed and has its own exit code (`ExitCode`), so that a
batch can report (file, stage, code, message) and scripts can tell failures apart."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit status of `perfdecl convert`; a failure's member is named as its error `code`.

    A batch whose files all converted exits `ok`. When files failed, it exits with their error's
    code if they all failed the same way, and with `error` if they failed in different ways (the
    run still converted every other file; errors.csv lists each failure)."""

    ok = 0
    error = 1  # files failed in different ways, or a failure without a code of its own
    bad_usage = 2  # bad arguments, no input found, an unknown OCR engine
    unreadable_file = 3
    not_a_pdf = 4
    encrypted_pdf = 5
    corrupt_pdf = 6
    ocr_required = 7
    no_form_found = 8
    timeout = 9
    worker_crashed = 10
    internal_error = 11
    ocr_engine_unavailable = 12
    bad_image = 13
    bad_password = 14
    page_too_large = 15
    out_of_memory = 16
    unreadable_folder = 17
    write_failed = 18
    bad_data_file = 19
    bad_settings = 20
    interrupted = 130  # Ctrl-C
    terminated = 143  # SIGTERM


def batch_exit_code(error_codes: Iterable[str]) -> ExitCode:
    """The exit status of a batch from the `code` of each failed file (none: `ok`)."""
    codes = set(error_codes)
    if not codes:
        return ExitCode.ok
    if len(codes) == 1:
        return ExitCode.__members__.get(codes.pop(), ExitCode.error)
    return ExitCode.error


class PerfdeclError(Exception):
    """Base class: a file could not be converted. `stage` is the pipeline stage that failed."""

    code = "error"
    stage = "convert"
    exit_code = ExitCode.error

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.exit_code = ExitCode[cls.code]  # every error code has its exit status

    def __init__(self, message: str, *, file: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file


class InputFileError(PerfdeclError):
    """The file is missing, empty or unreadable."""

    code = "unreadable_file"
    stage = "open"


class NotAPdfError(PerfdeclError):
    code = "not_a_pdf"
    stage = "open"


class EncryptedPdfError(PerfdeclError):
    code = "encrypted_pdf"
    stage = "open"


class CorruptPdfError(PerfdeclError):
    """The PDF's structure is broken (truncated, bad xref) beyond what the parser can repair."""

    code = "corrupt_pdf"
    stage = "extract"


class OcrRequiredError(PerfdeclError):
    """No page has a usable text layer and OCR is not available for this run."""

    code = "ocr_required"
    stage = "extract"


class NoFormFoundError(PerfdeclError):
    """The file was read but holds no declaration form."""

    code = "no_form_found"
    stage = "normalize"


class ConvertTimeoutError(PerfdeclError):
    """The file took longer than the per-file time limit (`--timeout`); its conversion was stopped."""

    code = "timeout"
    stage = "convert"


class WorkerCrashError(PerfdeclError):
    """The worker process converting the file died (killed, out of memory, a crash in C code)."""

    code = "worker_crashed"
    stage = "convert"


class InternalError(PerfdeclError):
    """An unforeseen exception: a bug or an input nobody anticipated. `--verbose` logs the traceback."""

    code = "internal_error"
    stage = "convert"


class OcrEngineError(PerfdeclError):
    """The OCR engine asked for is unknown, not installed, or lacks its language model."""

    code = "ocr_engine_unavailable"
    stage = "extract"


class ImageReadError(PerfdeclError):
    """An image input (PNG, JPEG, TIFF) cannot be decoded."""

    code = "bad_image"
    stage = "open"


class BadPasswordError(EncryptedPdfError):
    """A password was given (`--password`) but does not open the PDF."""

    code = "bad_password"
    stage = "open"


class PageTooLargeError(PerfdeclError):
    """A page, image or stream of the file passes a cap of `perfdecl.limits.LIMITS` (pixels to
    render, bytes to inflate): reading it would take gigabytes."""

    code = "page_too_large"
    stage = "extract"


class OutOfMemoryError(PerfdeclError):
    """Converting the file took more memory than a worker may (`LIMITS["memory_mb"]`); the worker
    was replaced."""

    code = "out_of_memory"
    stage = "convert"


class UnreadableFolderError(PerfdeclError):
    """A folder of the input cannot be listed (permissions, a name too long, an I/O error): the
    files in it are not converted."""

    code = "unreadable_folder"
    stage = "list"


class OutputWriteError(PerfdeclError):
    """The file's output cannot be written to OUT (disk full, permissions)."""

    code = "write_failed"
    stage = "write"


class DataFileError(PerfdeclError):
    """A data file (labels.toml, targets.toml, repairs.toml, a user's `--vocabulary`) cannot be
    read or has a key or value its shape does not allow. `key` is the key path (`level1[5].code`),
    `suggestion` the likely intended key where one is close."""

    code = "bad_data_file"
    stage = "load"

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 suggestion: str | None = None):
        super().__init__(f"{file}: {message}" if file else message, file=file)
        self.key = key
        self.suggestion = suggestion


class SettingsError(PerfdeclError, ValueError):
    """A settings dict (`ocr_settings`, `limits`, review settings) holds a key perfdecl does not
    know (`{"engine": {"thread": 2}}`); `suggestion` is the likely intended key."""

    code = "bad_settings"
    stage = "settings"

    def __init__(self, message: str, *, key: str | None = None, suggestion: str | None = None):
        super().__init__(message)
        self.key = key
        self.suggestion = suggestion
