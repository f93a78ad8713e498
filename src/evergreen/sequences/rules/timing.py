"""When a wait step is over: durations, weekday-and-hour in the subscriber's zone, windows, events.

All instants in and out are timezone-aware and returned in UTC; local time exists only here.
Daylight saving follows PEP 495 with `fold=0`:

- a local time that does not exist (the spring-forward gap) moves forward by the gap's length:
  02:30 on a New York spring-forward day is 03:30 EDT; 02:15 on Lord Howe's 30-minute gap is 02:45;
- a local time that happens twice (the autumn fall-back) is its first occurrence.

A wait is never due before `now`. A relative wait whose moment has already passed (someone who
registers 5 minutes before a session, for a reminder 15 minutes before it) is due now; whether
the send that follows still goes out is catch-up's decision (catchup.py). An unknown subscriber
zone (empty, or a name zoneinfo does not know) uses the default zone the caller passes in.

A time given from outside (a preview's `at`, a tick's `now`, an event's `at`) must lie in
years 1970 to 8999 (`in_range`): the dates computed from it (366-day waits and previews, a
week of weekdays, offsets around events, local zones) then stay far inside what a datetime can
hold, and a refusal names the field instead of a calculation failing halfway.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules.steps import Wait, WaitRelative, WaitStep, WaitUntil, Window
from evergreen.timezones import zone_named

__all__ = ["EARLIEST", "LATEST", "due_after_wait", "in_range", "local_instant", "zone_for"]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # excluded: 8999-12-31T23:59:59.999999Z is the last
_SEARCH_DAYS = 9  # any listed weekday recurs within 7 days; 2 more for a window already closed


def in_range(value: datetime, field: str) -> datetime:
    """The aware instant in UTC when it lies in years 1970 to 8999, else a refusal naming
    `field`: every date computed from it then fits in a datetime."""
    if value.tzinfo is None:
        raise SequenceInputError(field, "must carry a time zone")
    try:
        found = value.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        found = EARLIEST - timedelta(days=1) if value.year < 5000 else LATEST
    if not EARLIEST <= found < LATEST:
        raise SequenceInputError(
            field, "must be in the years 1970 to 8999 (UTC), e.g. 2026-12-07T14:00:00Z"
        )
    return found


def zone_for(name: str | None, default: str) -> ZoneInfo:
    """The subscriber's IANA zone, or `default` when theirs is empty or unknown."""
    fallback = zone_named(default.strip()) if default.strip() else None
    if fallback is None:
        raise SequenceInputError(
            "default_zone", f"{default!r} is not a time zone; use a name such as Europe/Berlin"
        )
    if name is None or not name.strip():
        return fallback
    return zone_named(name.strip()) or fallback


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time (gap: shifted forward by its length; overlap: first)."""
    return datetime.combine(day, at.replace(fold=0), tzinfo=zone).astimezone(UTC)


def _window_bounds(day: date, window: Window, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a window opens and closes on one local day (24 means next midnight)."""
    opens = local_instant(day, time(window.start), zone)
    if window.end == 24:
        closes = local_instant(day + timedelta(days=1), time(0), zone)
    else:
        closes = local_instant(day, time(window.end), zone)
    return opens, closes


def _until(now: datetime, step: WaitUntil, zone: ZoneInfo) -> datetime:
    """The next listed weekday at hour:minute, or the earliest moment inside the window."""
    today = now.astimezone(zone).date()
    for offset in range(_SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() not in step.weekdays:
            continue
        if step.hour is not None:
            instant = local_instant(day, time(step.hour, step.minute), zone)
            if instant >= now:
                return instant
        elif step.window is not None:
            opens, closes = _window_bounds(day, step.window, zone)
            if now < closes and opens < closes:
                return max(now, opens)
    raise SequenceInputError("weekdays", "no listed weekday falls in the next week")


def due_after_wait(
    now: datetime,
    step: WaitStep,
    subscriber_zone: str | None,
    events: Mapping[str, datetime],
    default_zone: str = "UTC",
) -> datetime | None:
    """When the step after this wait is due (UTC, never before `now`); None: the event is unknown.

    `now` is when the previous step finished. A relative wait whose event is not yet known (no
    session assigned) has no due time: the engine asks again when the subscriber's facts change.
    """
    if now.tzinfo is None:
        raise SequenceInputError("now", "must carry a time zone")
    now = now.astimezone(UTC)
    match step:
        case Wait(duration):
            return now + duration
        case WaitUntil():
            return _until(now, step, zone_for(subscriber_zone, default_zone))
        case WaitRelative(event, offset):
            moment = events.get(event)
            if moment is None:
                return None
            return max(now, moment.astimezone(UTC) + offset)
