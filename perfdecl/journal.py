"""The resume journal `OUT/.perfdecl/converted.jsonl`: which input and settings made each per-file
JSON in OUT, so that a rerun (local or on a cluster) reuses only what it can vouch for."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from .names import json_text, shown
from .writers import atomic_write

log = logging.getLogger("perfdecl")


class Journal:
    """What each per-file JSON in OUT was made from and with, keyed by its path in OUT: the input
    (`source`, its absolute path), the settings (null: claimed for that input, not made, or
    failed) and the sha256 of the JSON written. A JSON is reused only when the journal saw it
    written (same sha256) with this run's settings.

    One JSON line per file, appended and flushed as results arrive, so an interrupted run keeps
    the record of what it wrote; rewritten when a run ends, one line per file in sorted order, so
    that a rerun writes the same bytes. Entries of files that this run did not see stay: OUT may
    collect several archives, and several runs may write into it at once. Every read, append and
    rewrite holds an exclusive lock on OUT/.perfdecl (flock), and the journal is opened without
    following a symbolic link: a link planted there is replaced, never written through.
    """

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        self.mine: dict[str, dict] = {}  # what this run recorded
        self._lock_fd: int | None = None
        self._depth = 0
        with self.locked():
            self.reload()

    @contextmanager
    def locked(self):
        if self._depth == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                os.close(fd)
                raise
            self._lock_fd = fd
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                os.close(self._lock_fd)  # closing releases the lock
                self._lock_fd = None

    def _read_text(self) -> str:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                log.warning("%s is a symbolic link: not followed, replaced", shown(self.path))
            return ""
        with os.fdopen(fd, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    def reload(self) -> None:
        """The entries as the file holds them now (under the lock), this run's on top."""
        shared: dict[str, dict] = {}  # one object per distinct settings: memory flat over archives
        entries: dict[str, dict] = {}
        for line in self._read_text().splitlines():
            try:
                entry = json.loads(line)
                key = entry["file"]
                settings = entry["settings"]
                if isinstance(settings, dict):
                    settings = shared.setdefault(json.dumps(settings, sort_keys=True), settings)
                elif settings is not None:
                    continue
                entries[key] = {"settings": settings, "source": entry.get("source"),
                                "sha256": entry.get("sha256")}
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: that file is converted again
        entries.update(self.mine)
        self.entries = entries

    @staticmethod
    def _line(key: str, entry: dict) -> bytes:
        record = {"file": key, "settings": entry.get("settings")}
        for extra in ("source", "sha256"):
            if entry.get(extra) is not None:
                record[extra] = entry[extra]
        return (json_text(json.dumps(record, ensure_ascii=False, sort_keys=True)) + "\n").encode()

    def _open_append(self) -> int:
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW  # read: its last byte
        try:
            return os.open(self.path, flags, 0o666)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            os.unlink(self.path)  # a planted link: removed, not followed
            return os.open(self.path, flags, 0o666)

    def append(self, key: str, entry: dict) -> None:
        """One line at the end of the file (under the lock)."""
        self.entries[key] = self.mine[key] = entry
        with self.locked():
            fd = self._open_append()
            try:
                size = os.fstat(fd).st_size
                line = self._line(key, entry)
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # the last line was cut short by a crash
                os.write(fd, line)
            finally:
                os.close(fd)

    def record(self, key: str, entry: dict) -> None:
        self.append(key, entry)

    def close(self, *, compact: bool) -> None:
        if not compact:
            return
        with self.locked():
            self.reload()  # other runs may have appended since
            kept = {}
            for key, entry in sorted(self.entries.items()):
                if entry.get("settings") is None and (key in self.mine or not entry.get("source")):
                    continue  # this run's failures, and claims it did not make good
                kept[key] = entry
            if kept or os.path.lexists(self.path):
                atomic_write(self.path, b"".join(self._line(k, v) for k, v in kept.items()))




def source_key(path: Path) -> str:
    """Which input made an output: its absolute path (symlinks not resolved, as given)."""
    return os.path.abspath(path)


def mark_reusable(tasks: list, opts, journal: Journal, settings: dict) -> None:
    """Mark the files whose JSON in OUT this run's settings made; warn once about the others."""
    other: list[dict] = []
    for task in tasks:
        entry = journal.entries.get(opts.json_key(task.stem))
        if not entry or entry.get("source") != source_key(Path(task.path)):
            continue
        earlier = entry.get("settings")
        task.reuse = earlier == settings and entry.get("sha256") is not None
        task.json_sha256 = entry.get("sha256")
        if isinstance(earlier, dict) and earlier != settings:
            other.append(earlier)
    if other:
        log.warning("%d earlier output(s) in %s were made with other settings (%s); converting "
                    "them again", len(other), shown(opts.out), _changes(other[0], settings))


def _changes(before: dict, now: dict) -> str:
    return ", ".join(f"{key}: {json.dumps(before.get(key), ensure_ascii=False)} → "
                     f"{json.dumps(now.get(key), ensure_ascii=False)}"
                     for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key))
