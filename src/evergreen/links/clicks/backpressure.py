"""Back-pressure: when the click ingester falls behind under sustained overload, the redirects
of its server slow down just enough that it keeps up, instead of the spool growing for as long
as the overload lasts.

Every click stays captured either way (the spool is durable); what back-pressure bounds is how
far stats lag behind and how much disk the spool takes. A burst is still absorbed at full speed:
the brake engages only once the oldest click not yet stored has waited longer than
`EVERGREEN_CLICK_BACKLOG_S` *and* more than a due pass's worth of clicks is waiting (so the
follower's own deferral of a trickle never counts). Engaged, it holds the backlog where it
stood: each web process measures its spool every half second and, while the backlog is above
that mark, lengthens the pause it sleeps (in its event loop) per click it records, up to
`MAX_PAUSE_S`; below the mark, shortens it. The redirect rate so settles at what the ingester
stores. Sleeping hands the CPU to the ingester and the database; the price is redirect latency
and rate while the brake is on. A measure that fails or goes stale (the database away)
releases the brake: redirects never wait on it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import orjson

from evergreen.db import Database
from evergreen.links.clicks import offsets as spool_offsets
from evergreen.links.clicks.follower import MAX_BACKLOG_BYTES

__all__ = ["MAX_PAUSE_S", "Brake", "Lag", "engaged", "measure", "next_pause"]

log = logging.getLogger(__name__)

MAX_PAUSE_S = 0.002  # per recorded click: at most ~500 redirects/s a process while engaged
_FIRST_PAUSE_S = 0.00005  # where the pause starts when the backlog first passes its mark
_FASTER, _SLOWER = 1.4, 0.8  # per half-second look: pause lengthened above the mark, else shortened
_CHUNK_S = 0.002  # pauses are slept in chunks of at least this (one sleep per several clicks)
_FRESH_S = 2.0  # a pause older than this is dropped (its measure stalled)


def engaged(
    behind: float | None, backlog: int, bound: float, *, min_backlog: int = MAX_BACKLOG_BYTES
) -> bool:
    """Whether ingestion is far behind: the oldest unstored click has waited more than `bound`
    seconds with more than `min_backlog` bytes waiting. None (unknown) or a bound of 0 (off):
    never."""
    return bound > 0 and behind is not None and behind > bound and backlog > min_backlog


def next_pause(
    pause: float,
    behind: float | None,
    backlog: int,
    bound: float,
    mark: int,
    *,
    min_backlog: int = MAX_BACKLOG_BYTES,
) -> float:
    """The pause per recorded click after one look at the spool: 0 unless `engaged`; then
    longer (up to `MAX_PAUSE_S`) while the backlog is above `mark` bytes, shorter below it."""
    if not engaged(behind, backlog, bound, min_backlog=min_backlog):
        return 0.0
    if backlog > mark:
        return min(MAX_PAUSE_S, max(pause * _FASTER, _FIRST_PAUSE_S))
    shorter = pause * _SLOWER
    return shorter if shorter >= _FIRST_PAUSE_S / 4 else 0.0


class Lag:
    """How far a spool's ingestion is behind: the age of its oldest click not yet stored, in
    seconds, and the bytes not yet stored."""

    __slots__ = ("backlog", "behind")

    def __init__(self, behind: float, backlog: int) -> None:
        self.behind, self.backlog = behind, backlog


def measure(db: Database, folder: Path, now: float | None = None) -> Lag:
    """This spool's lag, from its segments and the offsets stored with the clicks."""
    now = time.time() if now is None else now
    segments = {path.name: path for path in folder.glob("*.clicks")}
    with db.session(writer=False) as session:  # never waits behind a writer
        stored = spool_offsets.read(session, segments)
    oldest, backlog = now, 0
    for name, path in segments.items():
        offset = stored.get(name, 0)
        try:
            size = path.stat().st_size
            if size <= offset:
                continue
            with path.open("rb") as handle:
                handle.seek(offset)
                line = handle.readline()
        except FileNotFoundError:  # ingested and removed while we looked
            continue
        backlog += size - offset
        try:
            at = float(orjson.loads(line)["t"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # a torn or unreadable line: the next look decides
        oldest = min(oldest, at)
    return Lag(max(0.0, now - oldest), backlog)


class Brake:
    """A web process's pause per recorded click, set by its background loop and slept by the
    redirect in chunks (one `time.sleep` per few clicks, not a syscall each)."""

    def __init__(self, bound: float) -> None:
        self.bound = bound
        self.pause = 0.0  # seconds per recorded click; read without a lock on the hot path
        self.mark: int | None = None  # the backlog (bytes) held while engaged
        self._set_at = 0.0
        self._owed = 0.0
        self._lock = threading.Lock()

    def update(self, db: Database, folder: Path) -> float:
        """Measure the spool and set the pause (0 when the measure fails); returns it."""
        if self.bound <= 0:
            return 0.0
        try:
            lag = measure(db, folder)
        except Exception:  # the database may be away: never hold redirects for it
            log.debug("spool lag unknown; no back-pressure", exc_info=True)
            self.pause, self.mark = 0.0, None
            return 0.0
        if not engaged(lag.behind, lag.backlog, self.bound):
            self.pause, self.mark = 0.0, None
        else:
            if self.mark is None:
                self.mark = lag.backlog
                log.warning(
                    "click ingestion is %.1f s behind (%d bytes spooled); slowing redirects so "
                    "that it keeps up (EVERGREEN_CLICK_BACKLOG_S=%s)",
                    lag.behind, lag.backlog, self.bound,
                )  # fmt: skip
            self.pause = next_pause(self.pause, lag.behind, lag.backlog, self.bound, self.mark)
        self._set_at = time.monotonic()
        return self.pause

    def apply(self) -> None:
        """Owe this click's pause; sleep once enough is owed (the event loop yields the CPU)."""
        if time.monotonic() - self._set_at > _FRESH_S:
            self.pause = 0.0  # the loop stalled (a database cut off mid-query): let go
            return
        with self._lock:
            self._owed += self.pause
            if self._owed < _CHUNK_S:
                return
            owed, self._owed = self._owed, 0.0
        time.sleep(owed)
