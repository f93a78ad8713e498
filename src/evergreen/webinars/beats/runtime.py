"""Per-process state of the beat endpoint: the spool, a short cache of rooms and registrations,
the per-client rate limit, and the ingester thread.

The ingester runs in every web process, `serve`'s included (whose other background work lives
elsewhere): the spool is on the machine that answered the beats, folding is cheap, and the
folder's ingest lock lets one process at a time fold while the others wait their turn."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.errors import NotFound
from evergreen.webinars.beats.ingest import Ingester, spool_folder
from evergreen.webinars.beats.spool import Beat, BeatReader, BeatSpool
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarRegistration
from evergreen.webinars.rules import read_link_token
from evergreen.webinars.rules.attendance import check_beat

__all__ = ["BEATS_PER_MINUTE", "BeatRuntime", "RateLimited"]

log = logging.getLogger(__name__)
BEATS_PER_MINUTE = 600  # per client address: about 50 viewers behind one address
_TTL = 10.0  # seconds a room or registration stays cached (a re-registration shows after it)


class RateLimited(Exception):
    """Too many beats from one client address; retry after `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"retry after {wait:.0f} s")
        self.wait = wait


@dataclass(frozen=True)
class _Room:
    webinar_id: int
    duration_s: int
    replay_hours: int


@dataclass(frozen=True)
class _Seat:
    webinar_id: int
    session_start: datetime


class _Limiter:
    """A fixed one-minute window per client; old windows are dropped as the minute turns."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._minute = 0
        self._counts: dict[str, int] = {}

    def wait(self, client: str, now: float) -> float:
        minute = int(now // 60)
        with self._lock:
            if minute != self._minute:
                self._minute, self._counts = minute, {}
            count = self._counts.get(client, 0) + 1
            self._counts[client] = count
        return 0.0 if count <= self.per_minute else (minute + 1) * 60 - now


class BeatRuntime:
    """Accepts beats (checked, spooled, answered) and folds the spool in the background."""

    def __init__(self, settings: Settings, db: Database, secret: str) -> None:
        self.db = db
        self.secret = secret
        folder = spool_folder(settings)
        self.spool = BeatSpool(folder)
        self.reader = BeatReader(folder)
        self.ingester = Ingester(db, self.reader)
        self.limiter = _Limiter(BEATS_PER_MINUTE)
        self._rooms: dict[str, tuple[float, _Room | None]] = {}
        self._seats: dict[int, tuple[float, _Seat | None]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _room(self, slug: str) -> _Room:
        cached = self._rooms.get(slug)
        if cached is None or cached[0] < time.monotonic():
            with self.db.session(writer=False) as session:
                row = session.execute(
                    select(Webinar.id, Webinar.duration_minutes, Webinar.replay_hours).where(
                        Webinar.slug == slug
                    )
                ).first()
            room = None if row is None else _Room(row[0], row[1] * 60, row[2])
            if len(self._rooms) > 10_000:
                self._rooms = {}
            cached = self._rooms[slug] = (time.monotonic() + _TTL, room)
        if cached[1] is None:
            raise NotFound("slug", "there is no webinar at this address")
        return cached[1]

    def _seat(self, registration_id: int) -> _Seat | None:
        cached = self._seats.get(registration_id)
        if cached is None or cached[0] < time.monotonic():
            with self.db.session(writer=False) as session:
                row = session.execute(
                    select(WebinarRegistration.webinar_id, WebinarRegistration.session_start).where(
                        WebinarRegistration.id == registration_id
                    )
                ).first()
            seat = None if row is None else _Seat(row[0], row[1])
            if len(self._seats) > 100_000:
                self._seats = {}
            cached = self._seats[registration_id] = (time.monotonic() + _TTL, seat)
        return cached[1]

    def accept(
        self, slug: str, token: str, second: int, client: str, now: datetime | None = None
    ) -> bool:
        """Check a beat and spool it; returns whether it was live. Refusals raise: 429
        RateLimited, 404 for a foreign link, 422 a bad second, 409 outside the window."""
        wait = self.limiter.wait(client, time.time())
        if wait:
            raise RateLimited(wait)
        now = now or utcnow()
        room = self._room(slug.strip().lower())
        try:
            registration_id = read_link_token(self.secret, "room", token)
        except WebinarInputError:
            raise NotFound("token", "this link is not valid") from None
        seat = self._seat(registration_id)
        if seat is None or seat.webinar_id != room.webinar_id:
            raise NotFound("token", "this link is not valid")
        live = check_beat(second, seat.session_start, room.duration_s, room.replay_hours, now)
        self.spool.append([Beat(registration_id, second, now.timestamp(), live)])
        return live

    def ingest_spooled(self) -> int:
        """Fold whatever is spooled now (pages call this to be exact)."""
        return self.ingester.run()

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.ingest_spooled()
            except Exception:  # the database may be away; beats wait in the spool
                log.warning("beat ingestion failed; will retry", exc_info=True)

    def start(self, interval: float = 1.0) -> None:
        """Start the ingester thread (at app start)."""
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="webinar-beats", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop, release the spool and fold what is left (at app shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.spool.close()
        try:
            self.ingest_spooled()
        except Exception:  # the next start folds them
            log.warning("final beat ingestion failed; the spool keeps them", exc_info=True)
