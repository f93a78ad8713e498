"""The click spool: every accepted click is appended to a local file before its redirect is sent.

A write() that returned is in the operating system's page cache, so it survives the process
being killed (kill -9); the writer also fdatasync()s at most `sync_interval` after a write, which
bounds what a power loss can take. Each process appends to its own segment and holds an
exclusive flock on it while open; a segment whose lock can be taken belongs to no live writer.
The ingester reads complete lines from every segment, records how far it got in the same
database transaction as the clicks (so a replay never double-counts), and deletes finished ones.
Segment names begin with the folder's identity (`folder_identity`): servers sharing one database
keep their offsets apart, and each forgets only the offsets of its own folder's segments.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "ClickSpool", "Segment", "SpoolBusy", "SpoolReader", "folder_identity", "segment_prefix",
]  # fmt: skip

_SUFFIX = ".clicks"
_MAX_SEGMENT_BYTES = 8 * 1024 * 1024
_MAX_SEGMENT_AGE = 5.0
_RETIRE_GRACE = 1.0  # seconds a retired segment stays open for a write already under way
_HOST = "".join(ch for ch in socket.gethostname() if ch.isalnum())[:32] or "host"
_IDENTITY = ".ingester-id"


def folder_identity(folder: Path) -> str:
    """A random token kept in the spool folder, made once by whichever process asks first: the
    same for every process writing or reading the folder, and after it moves to another machine."""
    marker = folder / _IDENTITY
    try:
        token = marker.read_text().strip()
    except FileNotFoundError:
        token = ""
    if token:
        return token
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{_IDENTITY}.{os.getpid()}.{threading.get_ident()}"
    temporary.write_text(secrets.token_hex(6))
    try:
        os.link(temporary, marker)  # fails if another process made it first: theirs counts
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return marker.read_text().strip()


def segment_prefix(folder: Path) -> str:
    """What every segment name of this folder begins with, whichever host wrote it."""
    return folder_identity(folder) + "."


class ClickSpool:
    """Appends click records to this process's current segment; thread-safe, no buffering."""

    def __init__(self, folder: Path, sync_interval: float = 0.2) -> None:
        self.folder = folder
        self.sync_interval = sync_interval
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None
        self._opened = 0.0
        self._size = 0
        self._seq = 0
        self._dirty = False
        self._closed = False
        self._retired: list[tuple[int, float]] = []  # (fd, when) of segments being let go
        self._wake = threading.Event()  # set by close(): the syncer stops without its nap
        self._prefix = f"{segment_prefix(folder)}{_HOST}"
        self._syncer = threading.Thread(
            target=self._sync_loop, name="click-spool-sync", daemon=True
        )
        self._syncer.start()

    def _open_segment(self) -> int:
        if self._syncer is None:  # started with the first click, not at construction
            self._syncer = threading.Thread(target=self._sync_loop, name="click-sync", daemon=True)
            self._syncer.start()
        self._seq += 1
        name = f"{self._prefix}.{os.getpid()}-{time.time_ns()}-{self._seq}{_SUFFIX}"
        path = self.folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd, self._path, self._opened, self._size = fd, path, time.monotonic(), 0
        return fd

    def _retire(self) -> None:
        """Stop appending to the current segment. Appends take no lock, so one may still be
        writing to it: it is synced and closed (releasing its flock) a little later."""
        if self._fd is not None:
            self._retired.append((self._fd, time.monotonic()))
            self._fd = None

    def _close_retired(self, older_than: float) -> None:
        keep: list[tuple[int, float]] = []
        for fd, retired_at in self._retired:
            if retired_at <= older_than:
                os.fdatasync(fd)
                os.close(fd)  # releases the flock: the ingester may now finish the segment
            else:
                keep.append((fd, retired_at))
        self._retired = keep

    def append(self, record: dict[str, Any]) -> None:
        """Write one click; when this returns the click survives a crash of this process.

        The hot path takes no lock: a `write()` to an O_APPEND file is atomic, and the file it
        writes to is never closed under it (segments are retired, then closed a second later).
        """
        self._write(orjson.dumps(record) + b"\n")

    def append_many(self, records: Sequence[dict[str, Any]]) -> None:
        """Write several clicks in one write(), as `append` writes one: a busy web process
        answers dozens of redirects each turn of its event loop, and a write each cost a fifth
        of its time."""
        self._write(b"".join([orjson.dumps(record) + b"\n" for record in records]))

    def _write(self, lines: bytes) -> None:
        fd = self._fd
        if fd is None or self._size + len(lines) > _MAX_SEGMENT_BYTES:
            fd = self._segment_for(len(lines))
        written = os.write(fd, lines)
        if written != len(lines):  # a full disk: never leave half a record behind silently
            raise OSError(f"short write to click spool ({written} of {len(lines)} bytes)")
        self._size += written
        if self.sync_interval == 0:  # power-loss safe per click, at the cost of one sync each
            os.fdatasync(fd)
        else:
            self._dirty = True

    def _segment_for(self, size: int) -> int:
        """The segment to append `size` bytes to: a new one when the current one is full."""
        with self._lock:
            if self._closed:
                raise RuntimeError("click spool is closed")
            fd = self._fd
            if fd is not None and self._size + size <= _MAX_SEGMENT_BYTES:
                return fd  # another thread rotated first
            self._retire()
            return self._open_segment()

    def _sync_loop(self) -> None:
        while not self._closed:
            if self._wake.wait(max(self.sync_interval, 0.05)):
                return  # closed: close() itself synced and released every segment
            with self._lock:
                now = time.monotonic()
                if self._fd is not None and now - self._opened > _MAX_SEGMENT_AGE:
                    self._retire()
                self._close_retired(now - _RETIRE_GRACE)
                if not self._dirty or self._fd is None:
                    continue
                # Sync a duplicate outside the lock: rotations must not wait for the disk.
                fd = os.dup(self._fd)
                self._dirty = False
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)

    def close(self) -> None:
        """Sync and release every segment (at shutdown, once nothing appends any more)."""
        with self._lock:
            self._closed = True
            self._retire()
        time.sleep(0.01)  # an append that read the old segment a moment ago finishes its write
        with self._lock:
            self._close_retired(time.monotonic())
            self._dirty = False
        self._wake.set()
        if self._syncer is not None:
            self._syncer.join(timeout=5)


@dataclass(frozen=True)
class Segment:
    """Complete lines read from one segment, from `start` up to `end` bytes."""

    name: str
    start: int
    end: int
    records: list[dict[str, Any]]
    finished: bool
    ends: list[int] = field(default_factory=list)  # the byte offset after each record


class SpoolReader:
    """Reads what writers have appended; the caller stores offsets with the clicks it ingests."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock_path = folder / ".ingest.lock"
        self.prefix = segment_prefix(folder)  # this folder's segments, and no other's

    def exclusive(self, *, wait: bool = True) -> _IngestLock:
        """One ingester at a time per spool folder (across processes); without `wait`,
        SpoolBusy at once when another ingester has it."""
        return _IngestLock(self._lock_path, wait=wait)

    def segments(self, offsets: dict[str, int], max_records: int) -> Iterator[Segment]:
        """Unread complete lines of each segment, oldest first, up to `max_records` each.

        Only what is taken is read: a busy segment holds tens of thousands of lines and a pass
        takes a few thousand, so reading (and splitting) the whole rest each pass made catching
        up on a backlog cost in proportion to the backlog's square.
        """
        for path in sorted(self.folder.glob("*" + _SUFFIX), key=_segment_order):
            start = offsets.get(path.name, 0)
            finished = _writer_gone(path)
            try:
                lines, size = _read_lines(path, start, max_records)
            except FileNotFoundError:
                continue
            ends: list[int] = []
            position = start
            for line in lines:
                position += len(line) + 1
                ends.append(position)
            complete = finished and position == size
            records = [_decode(line) for line in lines]  # JSON: one value a line
            yield Segment(path.name, start, position, records, complete, ends)

    def remove(self, name: str) -> None:
        """Delete a segment whose every line is in the database."""
        (self.folder / name).unlink(missing_ok=True)

    def pending_bytes(self) -> int:
        """Bytes in segments on disk (an upper bound on what is not yet ingested); a change
        means new clicks or a finished segment."""
        total = 0
        for path in self.folder.glob("*" + _SUFFIX):
            try:
                total += path.stat().st_size
            except FileNotFoundError:  # ingested and removed while we looked
                continue
        return total


_READ_AHEAD = 512  # bytes a line, to begin with: most click lines are 250-450 bytes


def _read_lines(path: Path, start: int, most: int) -> tuple[list[bytes], int]:
    """Up to `most` complete lines (without their line ends) from `start`, and the file's size
    then; reads on only while it has fewer lines than that and the file goes on."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(start)
        data = b""
        want = most * _READ_AHEAD
        while True:
            chunk = handle.read(want)
            data += chunk
            lines = data.split(b"\n", most)
            if len(lines) > most or len(chunk) < want:  # enough lines, or the end of the file
                return lines[:-1][:most], size
            want *= 2


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"_corrupt": raw.rstrip(b"\r\n").decode("utf-8", "replace")[:200]}
    return value if isinstance(value, dict) else {"_corrupt": str(value)[:200]}


def _segment_order(path: Path) -> tuple[int, str]:
    parts = path.name.split("-")
    try:
        return int(parts[1]), path.name
    except (IndexError, ValueError):
        return 0, path.name


def _writer_gone(path: Path) -> bool:
    """True when no process holds the segment's lock, i.e. nothing more will be appended."""
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


class SpoolBusy(Exception):
    """Another ingester has the spool now (asked not to wait for it)."""


class _IngestLock:
    def __init__(self, path: Path, *, wait: bool = True) -> None:
        self.path = path
        self.wait = wait
        self.fd: int | None = None

    def __enter__(self) -> _IngestLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolBusy(str(self.path)) from None
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
