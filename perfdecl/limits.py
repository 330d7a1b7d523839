"""What one input file may cost: pixels, decompressed bytes, memory.

A 2 KB PDF can ask for a page of 14,400 pt (1.6 gigapixels at 200 dpi), a 37 KB PNG for 13,000²
pixels, a 1 MB stream for a gigabyte of inflated bytes. These caps turn such a file into an error
record (`page_too_large`, `out_of_memory`) instead of a worker, or the machine, running out of
memory. Settings are a plain dict; `LIMITS` holds the defaults and a caller's dict overrides them
key by key (`Options.limits`, `perfdecl convert --max-memory`).
"""

from __future__ import annotations

import os
import zlib
from contextlib import contextmanager

from .errors import PageTooLargeError
from .settings import SettingsShape, check_settings

LIMITS: dict = {
    # pixels one page may be rendered at for OCR (width x height at the OCR dpi), and pixels one
    # image (an image file's frame, an image drawn on a PDF page that is OCR'd) may hold. A0 at
    # 200 dpi is 62 M; an A3 scan at 600 dpi 70 M. Pillow's own warning starts at 89 M.
    "max_page_pixels": 64_000_000,
    "max_image_pixels": 100_000_000,
    # bytes one PDF stream may inflate to (content streams of real forms are well under 10 MB)
    "max_stream_mb": 128,
    # resident memory of one worker process: past it the worker is killed and replaced, the file
    # it was converting gets `out_of_memory` (an OCR'd A4 scan at 300 dpi peaks near 850 MB)
    "memory_mb": 1536,
    # address space of one worker (RLIMIT_AS): a backstop for allocations faster than the
    # resident-memory check sees; virtual, so well above `memory_mb` (thread stacks, arenas)
    "address_space_mb": 6144,
}

# The longest per-file time limit (a week): setitimer overflows past what it can hold
MAX_TIMEOUT = 7 * 24 * 3600.0


def default_jobs() -> int:
    """Worker processes when `--jobs` is not given: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


_active: dict = dict(LIMITS)


def limits_with(overrides: dict | None) -> dict:
    """The defaults with a caller's keys on top (an unknown key is a `SettingsError`)."""
    check_settings(overrides, SettingsShape(LIMITS), name="limits")
    return {**LIMITS, **(overrides or {})}


def get(key: str):
    return _active[key]


@contextmanager
def applied(overrides: dict | None):
    """The limits in force while converting one file."""
    global _active
    before = _active
    _active = limits_with(overrides)
    try:
        yield _active
    finally:
        _active = before


def check_pixels(width: float, height: float, what: str, *, key: str = "max_page_pixels",
                 file: str | None = None) -> None:
    """Raise `PageTooLargeError` when width x height pixels pass the cap."""
    cap = _active[key]
    if width * height > cap:
        raise PageTooLargeError(f"{what} would take {width * height / 1e6:,.0f} million pixels "
                                f"({width:,.0f} x {height:,.0f}); the limit is "
                                f"{cap / 1e6:,.0f} million ({key})", file=file)


# -- inflated PDF streams ----------------------------------------------------------------------
# pdfminer inflates every stream whole (`zlib.decompress`), and a damaged one byte by byte into an
# unbounded string. Its module's `zlib` is replaced by this stand-in, which inflates the same way
# but stops at `max_stream_mb`.

def _stream_cap() -> int:
    return int(_active["max_stream_mb"] * (1 << 20))


def _too_large() -> PageTooLargeError:
    return PageTooLargeError(f"a stream of the PDF inflates to more than "
                             f"{_active['max_stream_mb']} MB (max_stream_mb)")


class _BoundedDecompressor:
    def __init__(self, *args):
        self._d = zlib.decompressobj(*args)
        self._out = 0

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        cap = _stream_cap()
        chunk = self._d.decompress(data, cap - self._out + 1)
        self._out += len(chunk)
        if self._out > cap:
            raise _too_large()
        return chunk

    def flush(self, *args) -> bytes:
        return self._d.flush(*args)

    def __getattr__(self, name):
        return getattr(self._d, name)


class _BoundedZlib:
    error = zlib.error

    @staticmethod
    def decompressobj(*args):
        return _BoundedDecompressor(*args)

    @staticmethod
    def decompress(data: bytes, *args) -> bytes:
        d = zlib.decompressobj(*args[:1])  # wbits; bufsize means nothing here
        cap = _stream_cap()
        out = d.decompress(data, cap + 1)
        if len(out) > cap or d.unconsumed_tail and not d.eof:
            raise _too_large()
        if not d.eof:  # what zlib.decompress says of a stream cut short
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return out

    def __getattr__(self, name):
        return getattr(zlib, name)


def install_stream_cap() -> None:
    """Give pdfminer the bounded inflater (idempotent)."""
    import pdfminer.pdftypes

    if not isinstance(pdfminer.pdftypes.zlib, _BoundedZlib):
        pdfminer.pdftypes.zlib = _BoundedZlib()
