"""Typed errors. Each names the stage that failed and has its own exit code, so that a batch can
report (file, stage, code, message) and scripts can tell failures apart."""

from __future__ import annotations


class PerfdeclError(Exception):
    """Base class: a file could not be converted. `stage` is the pipeline stage that failed."""

    code = "error"
    stage = "convert"
    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file


class InputFileError(PerfdeclError):
    """The file is missing, empty or unreadable."""

    code = "unreadable_file"
    stage = "open"
    exit_code = 3


class NotAPdfError(PerfdeclError):
    code = "not_a_pdf"
    stage = "open"
    exit_code = 4


class EncryptedPdfError(PerfdeclError):
    code = "encrypted_pdf"
    stage = "open"
    exit_code = 5


class CorruptPdfError(PerfdeclError):
    """The PDF's structure is broken (truncated, bad xref) beyond what the parser can repair."""

    code = "corrupt_pdf"
    stage = "extract"
    exit_code = 6


class OcrRequiredError(PerfdeclError):
    """No page has a usable text layer and OCR is not available for this run."""

    code = "ocr_required"
    stage = "extract"
    exit_code = 7


class NoFormFoundError(PerfdeclError):
    """The file was read but holds no declaration form."""

    code = "no_form_found"
    stage = "normalize"
    exit_code = 8


class ConvertTimeoutError(PerfdeclError):
    """The file took longer than the per-file time limit (`--timeout`); its conversion was stopped."""

    code = "timeout"
    stage = "convert"
    exit_code = 9


class WorkerCrashError(PerfdeclError):
    """The worker process converting the file died (killed, out of memory, a crash in C code)."""

    code = "worker_crashed"
    stage = "convert"
    exit_code = 10


class InternalError(PerfdeclError):
    """An unforeseen exception: a bug or an input nobody anticipated. `--verbose` logs the traceback."""

    code = "internal_error"
    stage = "convert"
    exit_code = 11


class OcrEngineError(PerfdeclError):
    """The OCR engine asked for is unknown, not installed, or lacks its language model."""

    code = "ocr_engine_unavailable"
    stage = "extract"
    exit_code = 12


class ImageReadError(PerfdeclError):
    """An image input (PNG, JPEG, TIFF) cannot be decoded."""

    code = "bad_image"
    stage = "open"
    exit_code = 13


class BadPasswordError(EncryptedPdfError):
    """A password was given (`--password`) but does not open the PDF."""

    code = "bad_password"
    stage = "open"
    exit_code = 14


class PageTooLargeError(PerfdeclError):
    """A page, image or stream of the file passes a cap of `perfdecl.limits.LIMITS` (pixels to
    render, bytes to inflate): reading it would take gigabytes."""

    code = "page_too_large"
    stage = "extract"
    exit_code = 15


class OutOfMemoryError(PerfdeclError):
    """Converting the file took more memory than a worker may (`LIMITS["memory_mb"]`); the worker
    was replaced."""

    code = "out_of_memory"
    stage = "convert"
    exit_code = 16


class UnreadableFolderError(PerfdeclError):
    """A folder of the input cannot be listed (permissions, a name too long, an I/O error): the
    files in it are not converted."""

    code = "unreadable_folder"
    stage = "list"
    exit_code = 17


class OutputWriteError(PerfdeclError):
    """The file's output cannot be written to OUT (disk full, permissions)."""

    code = "write_failed"
    stage = "write"
    exit_code = 18
