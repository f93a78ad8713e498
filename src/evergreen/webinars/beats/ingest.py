"""Fold spooled beats into webinar_attendance (its only writer): per registration, the watched
buckets OR-merged into the stored ones, so duplicates and replays of the spool never count twice."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.webinars.beats.spool import Beat, BeatReader, Segment
from evergreen.webinars.models import Webinar, WebinarAttendance, WebinarRegistration
from evergreen.webinars.rules.attendance import bits_of, bytes_of, mark, watched_seconds

__all__ = ["Ingester", "fold", "ingest_pending", "spool_folder"]

log = logging.getLogger(__name__)
_CHUNK = 500


def spool_folder(settings: Settings) -> Path:
    """Where this machine's room endpoints spool their beats."""
    return Path(settings.data_dir) / "beats"


@dataclass
class _Fold:
    max_second: int = -1
    live_max_second: int = -1
    first: float = float("inf")
    last: float = 0.0
    seconds: set[int] = field(default_factory=set)
    live_seconds: set[int] = field(default_factory=set)


def _gather(beats: Iterable[Beat]) -> dict[int, _Fold]:
    folds: dict[int, _Fold] = {}
    for registration_id, second, at, live in beats:
        one = folds.get(registration_id)
        if one is None:
            one = folds[registration_id] = _Fold()
        one.seconds.add(second)
        if live:
            one.live_seconds.add(second)
        one.first = min(one.first, at)
        one.last = max(one.last, at)
    for one in folds.values():
        one.max_second = max(one.seconds)
        one.live_max_second = max(one.live_seconds, default=-1)
    return folds


def _bits(seconds: set[int], duration_s: int) -> int:
    """The buckets of these seconds; the video's very last second marks its last bucket."""
    return mark(0, (min(second, duration_s - 1) for second in seconds))


def _insert(session: Session) -> Any:
    return (sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert)(
        WebinarAttendance
    )


def fold(session: Session, beats: Sequence[Beat]) -> int:
    """Merge beats into attendance rows; returns the registrations touched (a beat of a
    registration deleted since is dropped)."""
    folds = _gather(beats)
    touched = 0
    ids = sorted(folds)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = session.execute(
            select(WebinarRegistration.id, WebinarRegistration.webinar_id, Webinar.duration_minutes)
            .join(Webinar, Webinar.id == WebinarRegistration.webinar_id)
            .where(WebinarRegistration.id.in_(chunk))
        ).all()
        known = {rid: minutes for rid, _webinar, minutes in found}
        webinars = {rid: webinar_id for rid, webinar_id, _minutes in found}
        if not known:
            continue
        now = utcnow()
        fresh = [
            {
                "registration_id": rid, "webinar_id": webinars[rid], "watched": b"", "live": b"",
                "watched_seconds": 0, "live_seconds": 0, "max_second": -1,
                "live_max_second": -1, "first_beat_at": _time(folds[rid].first),
                "last_beat_at": _time(folds[rid].last), "updated_at": now,
            }
            for rid in known
        ]  # fmt: skip
        session.execute(
            _insert(session).on_conflict_do_nothing(index_elements=["registration_id"]), fresh
        )
        rows = session.execute(
            select(
                WebinarAttendance.id, WebinarAttendance.registration_id,
                WebinarAttendance.watched, WebinarAttendance.live,
                WebinarAttendance.max_second, WebinarAttendance.live_max_second,
                WebinarAttendance.first_beat_at, WebinarAttendance.last_beat_at,
            )
            .where(WebinarAttendance.registration_id.in_(known))
            .order_by(WebinarAttendance.registration_id)
            .with_for_update()
        ).all()  # fmt: skip
        changes: list[dict[str, Any]] = []
        for row_id, rid, watched, live, max_second, live_max, first, last in rows:
            one = folds[rid]
            duration_s = known[rid] * 60
            all_bits = bits_of(watched) | _bits(one.seconds, duration_s)
            live_bits = bits_of(live) | _bits(one.live_seconds, duration_s)
            changes.append(
                {
                    "id": row_id, "watched": bytes_of(all_bits), "live": bytes_of(live_bits),
                    "watched_seconds": watched_seconds(all_bits, duration_s),
                    "live_seconds": watched_seconds(live_bits, duration_s),
                    "max_second": max(max_second, one.max_second),
                    "live_max_second": max(live_max, one.live_max_second),
                    "first_beat_at": min(first, _time(one.first)),
                    "last_beat_at": max(last, _time(one.last)), "updated_at": now,
                }
            )  # fmt: skip
        session.execute(update(WebinarAttendance), changes)
        touched += len(changes)
    return touched


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Ingester:
    """Remembers how far it read each live segment, so a long-running ingester does not fold
    the same lines again (a restarted one does, harmlessly)."""

    def __init__(self, db: Database, reader: BeatReader) -> None:
        self.db = db
        self.reader = reader
        self.offsets: dict[str, int] = {}

    def run(self, batch: int = 200_000) -> int:
        """Fold everything spooled so far; returns the beats read."""
        with self.reader.exclusive():
            total = 0
            group: list[Segment] = []
            for segment in self.reader.segments(self.offsets):
                if segment.end == segment.start and not segment.finished:
                    continue
                group.append(segment)
                if sum(len(s.beats) for s in group) >= batch:
                    total += self._commit(group)
                    group = []
            if group:
                total += self._commit(group)
            present = {path.name for path in self.reader.folder.glob("*.beats")}
            self.offsets = {k: v for k, v in self.offsets.items() if k in present}
            return total

    def _commit(self, group: list[Segment]) -> int:
        beats = [beat for segment in group for beat in segment.beats]
        with self.db.session() as session:
            fold(session, beats)
        for segment in group:  # only once the rows are committed
            self.offsets[segment.name] = segment.end
            if segment.finished:
                self.reader.remove(segment.name)
                self.offsets.pop(segment.name, None)
        return len(beats)


def ingest_pending(db: Database, reader: BeatReader) -> int:
    """Fold everything spooled now, from the start of each segment (a fresh ingester)."""
    return Ingester(db, reader).run()
