"""Progress of a batch on stderr: files, pages, rate, ETA and failures, the same for the local pool
and a Dask cluster."""

from __future__ import annotations

import sys
import time

from .accounting import Summary


class Progress:
    """Files, pages, rate and ETA on stderr: one redrawn line on a terminal, else a plain line
    every `interval` seconds."""

    def __init__(self, stream=None, *, interval: float = 10.0):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.interval = 0.2 if self.tty else interval
        self.last = 0.0
        self.drawn = False

    def _text(self, s: Summary, elapsed: float) -> str:
        done = s.ok + s.skipped + s.failed
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (s.files - done) / rate if rate > 0 else None
        pct = 100.0 * done / s.files if s.files else 100.0
        eta_text = "--:--" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))
        return (f"[{done}/{s.files}] {pct:3.0f}%  {s.pages} pages  {rate:.1f} files/s  "
                f"{s.pages / elapsed if elapsed > 0 else 0:.1f} pages/s  {s.failed} failed  "
                f"ETA {eta_text}")

    def update(self, summary: Summary, elapsed: float) -> None:
        done = summary.ok + summary.skipped + summary.failed
        if done == summary.files and self.tty:
            self._draw(summary, elapsed)
        else:
            self.tick(summary, elapsed)

    def tick(self, summary: Summary, elapsed: float) -> None:
        if elapsed - self.last >= self.interval:
            self._draw(summary, elapsed)

    def _draw(self, summary: Summary, elapsed: float) -> None:
        self.last = elapsed
        text = self._text(summary, elapsed)
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self.drawn = True
        else:
            self.stream.write(f"perfdecl: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
