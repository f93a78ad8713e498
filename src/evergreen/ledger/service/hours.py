"""The owner's time on a stream: entries by hand or import, and the one running timer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import serialize_on, utcnow, write_unless_taken
from evergreen.errors import Conflict, NotFound
from evergreen.ledger.models import HoursEntry, RunningTimer, Stream
from evergreen.ledger.rules import (
    check_day_hours,
    check_entry_day,
    check_memo,
    check_worked_day,
    parse_hours,
)
from evergreen.ledger.rules.inputs import MAX_HOURS_A_DAY

__all__ = [
    "add_hours",
    "change_hours",
    "delete_hours",
    "hours_entry",
    "hours_on",
    "running_timer",
    "serialize_days",
    "start_timer",
    "stop_timer",
]

_TIMER = 1  # the one row of ledger_timers
_TIMER_TURN = "ledger-timer"  # starts and stops of the timer, one after the other
_QUARTER_MINUTE = Decimal("0.0001")


def add_hours(
    session: Session,
    stream: Stream,
    on: date,
    hours: Decimal,
    memo: str = "",
    *,
    source: str = "manual",
    source_key: str | None = None,
) -> HoursEntry:
    """Time spent on a stream on one day, at most 24 hours a day across every stream; an
    import's key makes a replay add nothing."""
    checked = parse_hours(hours)
    check_entry_day(on)
    check_worked_day(on, utcnow().date())
    check_memo(memo)
    if source_key is not None:
        stored = session.scalar(select(HoursEntry).where(HoursEntry.source_key == source_key))
        if stored is not None:
            return stored
    serialize_days(session, [on])  # two entries at once add up too
    check_day_hours(on, hours_on(session, [on]).get(on, Decimal(0)), checked)
    entry = HoursEntry(
        stream_id=stream.id, date=on, hours=checked, memo=memo, source=source,
        source_key=source_key,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    return entry


def hours_entry(session: Session, entry_id: int, stream: Stream | None = None) -> HoursEntry:
    """A time entry (of this stream, when one is given), or a 404 naming it."""
    entry = session.get(HoursEntry, entry_id)
    if entry is None or (stream is not None and entry.stream_id != stream.id):
        where = f"{stream.name} has" if stream is not None else "there is"
        raise NotFound("hours", f"{where} no time entry {entry_id}")
    return entry


def change_hours(
    session: Session, entry_id: int, hours: Decimal | None = None, memo: str | None = None
) -> HoursEntry:
    """Correct a time entry's hours or memo; the day still holds at most 24 hours."""
    entry = hours_entry(session, entry_id)
    if memo is not None:
        check_memo(memo)
    if hours is not None:
        checked = parse_hours(hours)
        serialize_days(session, [entry.date])
        # Read again, in turn: another change of this entry may have committed since.
        now_stored = session.get(HoursEntry, entry_id, populate_existing=True)
        if now_stored is None:
            raise NotFound("hours", f"there is no time entry {entry_id}")
        entry = now_stored
        others = hours_on(session, [entry.date]).get(entry.date, Decimal(0)) - entry.hours
        check_day_hours(entry.date, others, checked)
        entry.hours = checked
    if memo is not None:
        entry.memo = memo
    session.flush()
    return entry


def delete_hours(session: Session, entry_id: int, stream: Stream | None = None) -> HoursEntry:
    """Remove a time entry made by mistake: the stream's hours and time charge lose it. An
    imported entry is removed too (importing the same row again would bring it back)."""
    entry = hours_entry(session, entry_id, stream)
    session.delete(entry)
    session.flush()
    return entry


def serialize_days(session: Session, days: Iterable[date]) -> None:
    """Write these days' hours in turn with every other unit of work writing hours on them, so
    a day's total read next is still so when the entry is stored: one lock per month (a log of
    years takes a few dozen, not a lock per day)."""
    serialize_on(session, *{f"ledger-hours:{day.year:04d}-{day.month:02d}" for day in days})


def hours_on(session: Session, days: list[date]) -> dict[date, Decimal]:
    """Hours recorded on each of these days, across every stream."""
    out: dict[date, Decimal] = {}
    for start in range(0, len(days), 500):
        rows = session.execute(
            select(HoursEntry.date, func.sum(HoursEntry.hours))
            .where(HoursEntry.date.in_(days[start : start + 500]))
            .group_by(HoursEntry.date)
        )
        out.update((day, Decimal(total)) for day, total in rows)
    return out


def running_timer(session: Session, *, fresh: bool = False) -> RunningTimer | None:
    """The timer running now, if any; `fresh`: read again, not this unit of work's copy."""
    return session.get(RunningTimer, _TIMER, populate_existing=fresh)


def start_timer(session: Session, stream: Stream, now: datetime, memo: str = "") -> RunningTimer:
    """Start timing a stream; a timer already running is stopped and its time kept first."""
    check_memo(memo)
    serialize_on(session, _TIMER_TURN)  # a stop or start at the same moment comes before or after
    current = running_timer(session, fresh=True)
    if current is not None:
        stop_timer(session, now)
    timer = RunningTimer(id=_TIMER, stream_id=stream.id, started_at=now, memo=memo)
    if not write_unless_taken(
        session, lambda: session.add(timer), lambda: running_timer(session) is not None
    ):
        raise Conflict("timer", "another timer was started at the same moment")
    return timer


def stop_timer(session: Session, now: datetime) -> list[HoursEntry]:
    """Stop the running timer and record its time, split at midnight UTC into days."""
    serialize_on(session, _TIMER_TURN)  # a second stop at once finds it stopped: time kept once
    timer = running_timer(session, fresh=True)
    if timer is None:
        raise Conflict("timer", "no timer is running")
    stream = session.get(Stream, timer.stream_id)
    session.delete(timer)
    session.flush()
    if stream is None or now <= timer.started_at:
        return []
    entries = []
    spans = _hours_by_day(timer.started_at, now)
    serialize_days(session, [day for day, _ in spans])  # the room read is the room it fills
    for day, hours in spans:
        # A timer left running is stopped all the same: it records what the day has room for.
        room = MAX_HOURS_A_DAY - hours_on(session, [day]).get(day, Decimal(0))
        kept = min(hours, room)
        if kept > 0:
            entries.append(add_hours(session, stream, day, kept, timer.memo, source="timer"))
    return entries


def _hours_by_day(start: datetime, end: datetime) -> list[tuple[date, Decimal]]:
    """The hours of [start, end) on each calendar day (UTC), rounded so that the days add up to
    the whole span rounded once (a timer across midnight loses no fraction of a second)."""
    whole = Decimal((end - start).total_seconds()) / 3600
    total = whole.quantize(_QUARTER_MINUTE, rounding=ROUND_HALF_UP)
    days, out, given = _days_between(start, end), [], Decimal(0)
    for index, (day, seconds) in enumerate(days):
        if index == len(days) - 1:
            hours = total - given
        else:
            hours = (Decimal(seconds) / 3600).quantize(_QUARTER_MINUTE, rounding=ROUND_HALF_UP)
        given += hours
        out.append((day, hours))
    return out


def _days_between(start: datetime, end: datetime) -> list[tuple[date, float]]:
    """The seconds of [start, end) on each calendar day (UTC)."""
    out: list[tuple[date, float]] = []
    cursor = start
    while cursor < end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time(),
                                    tzinfo=cursor.tzinfo)  # fmt: skip
        stop = min(end, midnight)
        out.append((cursor.date(), (stop - cursor).total_seconds()))
        cursor = stop
    return out
