"""Results in input order from executors that finish files in any order.

The batch's tables, errors.csv and journal are written in input order, so that a rerun gives the
same bytes whichever worker finished first. An executor hands out a file only while `admits`
says so: at most `window` results wait for an earlier, slower file (memory stays flat over an
archive of any size).
"""

from __future__ import annotations

from .filejob import FileResult


def window_for(workers: int) -> int:
    """Files handed out ahead of the first unfinished one: enough to keep `workers` busy while
    one file is slow, few enough that their results fit in memory."""
    return 8 * workers + 16


class InputOrder:
    def __init__(self, window: int):
        self.window = window
        self.next = 0  # index of the first result not yet released
        self.waiting: dict[int, FileResult] = {}

    def admits(self, index: int) -> bool:
        return index < self.next + self.window

    def put(self, result: FileResult) -> list[FileResult]:
        """The results now ready in input order (none while an earlier one is missing)."""
        self.waiting[result.index] = result
        ready = []
        while self.next in self.waiting:
            ready.append(self.waiting.pop(self.next))
            self.next += 1
        return ready
