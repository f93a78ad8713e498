"""The beat spool: an accepted heartbeat is appended to a local file before it is answered.

The links area's click spool is the model (DESIGN.md, "Nothing is lost"): a write() that returned
survives a kill -9 of the process (it is in the page cache) and a sync thread bounds what a power
loss can take. Each process appends to its own segment under an exclusive flock; a segment whose
lock can be taken has no live writer. The ingester folds beats into attendance with OR-merges,
so reading a segment twice (after a crash of the ingester) never counts anything twice: no offset
needs to be stored with the rows, and a finished segment is deleted once folded.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

__all__ = ["Beat", "BeatReader", "BeatSpool", "Segment"]

_SUFFIX = ".beats"
_MAX_SEGMENT_BYTES = 4 * 1024 * 1024
_MAX_SEGMENT_AGE = 5.0
_HOST = "".join(ch for ch in socket.gethostname() if ch.isalnum())[:32] or "host"


class Beat(NamedTuple):
    """One accepted heartbeat: the registration, the video's second, when (epoch), live or not."""

    registration_id: int
    second: int
    at: float
    live: bool

    def line(self) -> bytes:
        """The spooled form: four fields separated by spaces."""
        return b"%d %d %.3f %d\n" % (self.registration_id, self.second, self.at, self.live)


class BeatSpool:
    """Appends beats to this process's current segment; thread-safe."""

    def __init__(self, folder: Path, sync_interval: float = 0.2) -> None:
        self.folder = folder
        self.sync_interval = sync_interval
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._opened = 0.0
        self._size = 0
        self._seq = 0
        self._dirty = False
        self._closed = False
        self._syncer: threading.Thread | None = None

    def _open(self) -> int:
        self._seq += 1
        name = f"{_HOST}.{os.getpid()}-{time.time_ns()}-{self._seq}{_SUFFIX}"
        fd = os.open(
            self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600
        )
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd, self._opened, self._size = fd, time.monotonic(), 0
        if self._syncer is None and self.sync_interval > 0:
            self._syncer = threading.Thread(target=self._sync_loop, name="beat-sync", daemon=True)
            self._syncer.start()
        return fd

    def _release(self) -> None:
        """Sync and close the current segment: its lock goes, the ingester may finish it."""
        if self._fd is not None:
            os.fdatasync(self._fd)
            os.close(self._fd)
            self._fd = None

    def append(self, beats: list[Beat]) -> None:
        """Write beats; when this returns they survive a crash of this process."""
        data = b"".join(beat.line() for beat in beats)
        with self._lock:
            if self._closed:
                raise RuntimeError("beat spool is closed")
            if (
                self._fd is None
                or self._size + len(data) > _MAX_SEGMENT_BYTES
                or time.monotonic() - self._opened > _MAX_SEGMENT_AGE
            ):
                self._release()
                self._open()
            assert self._fd is not None
            written = os.write(self._fd, data)
            if written != len(data):  # a full disk: never leave half a record behind silently
                raise OSError(f"short write to beat spool ({written} of {len(data)} bytes)")
            self._size += written
            if self.sync_interval == 0:
                os.fdatasync(self._fd)
            else:
                self._dirty = True

    def _sync_loop(self) -> None:
        while not self._closed:
            time.sleep(self.sync_interval)
            with self._lock:
                if self._fd is None:
                    continue
                if time.monotonic() - self._opened > _MAX_SEGMENT_AGE:
                    self._release()  # an idle segment is handed to the ingester
                elif self._dirty:
                    os.fdatasync(self._fd)
                self._dirty = False

    def close(self) -> None:
        """Sync and release the segment (at shutdown)."""
        with self._lock:
            self._closed = True
            self._release()
        if self._syncer is not None:
            self._syncer.join(timeout=5)


@dataclass(frozen=True)
class Segment:
    """Complete lines of one segment from `start` to `end` bytes; `finished`: no writer left
    and nothing after `end`."""

    name: str
    start: int
    end: int
    beats: list[Beat]
    finished: bool


class BeatReader:
    """Reads what writers appended; one ingester at a time per folder (across processes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock_path = folder / ".ingest.lock"

    def exclusive(self) -> _IngestLock:
        """Hold the folder's ingest lock."""
        return _IngestLock(self._lock_path)

    def segments(self, offsets: dict[str, int]) -> Iterator[Segment]:
        """The unread complete lines of each segment, oldest first."""
        for path in sorted(self.folder.glob("*" + _SUFFIX), key=_order):
            start = offsets.get(path.name, 0)
            finished = _writer_gone(path)  # before reading: a gone writer wrote everything
            try:
                with path.open("rb") as handle:
                    handle.seek(start)
                    data = handle.read()
            except FileNotFoundError:
                continue
            cut = data.rfind(b"\n") + 1
            beats = [beat for raw in data[:cut].splitlines() if (beat := _parse(raw))]
            yield Segment(path.name, start, start + cut, beats, finished and cut == len(data))

    def remove(self, name: str) -> None:
        """Delete a segment whose every beat is folded."""
        (self.folder / name).unlink(missing_ok=True)

    def pending_bytes(self) -> int:
        """Bytes in segments on disk (an upper bound on what is not folded yet)."""
        total = 0
        for path in self.folder.glob("*" + _SUFFIX):
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                continue
        return total


def _parse(raw: bytes) -> Beat | None:
    try:
        registration, second, at, live = raw.split(b" ")
        return Beat(int(registration), int(second), float(at), live == b"1")
    except ValueError:  # a torn or foreign line: skipped, never blocks the rest
        return None


def _order(path: Path) -> tuple[int, str]:
    parts = path.name.split("-")
    try:
        return int(parts[1]), path.name
    except (IndexError, ValueError):
        return 0, path.name


def _writer_gone(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


class _IngestLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> _IngestLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
