"""When an evergreen webinar's sessions start: the schedule spec, its time zone, its blackout
dates, and the next sessions offered to someone registering at a given instant.

A spec is one of

- `jit:N`: just in time, sessions every N minutes on the clock (5 <= N <= 1440): at the wall
  times whose minutes since local midnight are a multiple of N (the grid starts again at each
  midnight, so with N=7 the last of a day is 23:55), the first offered at least N minutes after
  registering;
- `daily:HH:MM[,HH:MM…]`: every day at these wall times (at most 24);
- `weekly:mon,wed:HH:MM[,HH:MM…]`: on these weekdays (mon … sun) at these wall times.

The zone is `viewer` (the wall times are read in each viewer's own zone) or an IANA name
(one fixed zone for everybody). Blackout dates are local dates in that effective zone: no
session starts on them. Daily and weekly sessions are offered when they start strictly after
the registration instant (the registration page itself gives the lead); just-in-time ones at
least N minutes after it.

Daylight saving time: a wall time that does not exist on a day (the spring-forward gap, e.g.
02:30 in America/New_York on the second Sunday of March) is skipped that day, never shifted,
so every session starts at one of the listed wall times; a wall time that happens twice (fall
back) starts once, at its first occurrence (fold=0, the summer-time offset).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evergreen.webinars.errors import WebinarInputError

__all__ = [
    "MAX_BLACKOUTS",
    "MAX_COUNT",
    "MAX_EVERY",
    "MAX_SPEC",
    "MAX_TIMES_A_DAY",
    "MIN_EVERY",
    "SEARCH_DAYS",
    "VIEWER",
    "WEEKDAYS",
    "Schedule",
    "Spec",
    "check_blackouts",
    "check_count",
    "check_registered_at",
    "check_zone",
    "iso_utc",
    "next_sessions",
    "parse_schedule",
    "parse_spec",
    "zone_of",
]

VIEWER = "viewer"
MIN_EVERY, MAX_EVERY = 5, 1440
MAX_TIMES_A_DAY = 24
MAX_SPEC = 500
MAX_ZONE = 64
MAX_BLACKOUTS = 1000
MAX_COUNT = 100
# A schedule whose next session is not found within this many days is refused, not searched on.
SEARCH_DAYS = 400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_FORMS = "write jit:N, daily:HH:MM[,HH:MM…] or weekly:mon,wed:HH:MM[,HH:MM…]"
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")

Kind = Literal["jit", "daily", "weekly"]


@dataclass(frozen=True)
class Spec:
    """A parsed schedule spec: just-in-time every N minutes, or wall times on some weekdays."""

    kind: Kind
    every: int = 0  # jit: minutes between sessions
    times: tuple[time, ...] = ()  # daily and weekly: sorted, distinct
    weekdays: tuple[int, ...] = ()  # weekly: 0 = Monday, sorted, distinct

    @property
    def text(self) -> str:
        """The spec written the one canonical way (what is stored)."""
        if self.kind == "jit":
            return f"jit:{self.every}"
        times = ",".join(t.strftime("%H:%M") for t in self.times)
        if self.kind == "daily":
            return f"daily:{times}"
        return f"weekly:{','.join(WEEKDAYS[d] for d in self.weekdays)}:{times}"

    @property
    def lead(self) -> timedelta:
        """How long after registering the first session may start at the earliest."""
        return timedelta(minutes=self.every) if self.kind == "jit" else timedelta(0)


@dataclass(frozen=True)
class Schedule:
    """A spec in a zone (`viewer` or an IANA name) with the local dates it never starts on."""

    spec: Spec
    zone: str
    blackouts: frozenset[date] = frozenset()


def _times(text: str) -> tuple[time, ...]:
    found: set[time] = set()
    for part in text.split(","):
        word = part.strip()
        match = _TIME.fullmatch(word)
        if match is None:
            raise WebinarInputError(
                "schedule", f"{word[:20]!r} is not a time: write HH:MM, e.g. 09:30 ({_FORMS})"
            )
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise WebinarInputError(
                "schedule", f"{word!r} is not a time of day: use 00:00 to 23:59"
            )
        found.add(time(hour, minute))
    if len(found) > MAX_TIMES_A_DAY:
        raise WebinarInputError(
            "schedule", f"lists {len(found)} times a day; at most {MAX_TIMES_A_DAY} are allowed"
        )
    return tuple(sorted(found))


def _weekdays(text: str) -> tuple[int, ...]:
    found: set[int] = set()
    for part in text.split(","):
        word = part.strip().lower()
        if word in WEEKDAYS:
            found.add(WEEKDAYS.index(word))
        elif word in _FULL_DAYS:
            found.add(_FULL_DAYS.index(word))
        else:
            raise WebinarInputError(
                "schedule",
                f"{part.strip()[:20]!r} is not a weekday: use mon, tue, wed, thu, fri, sat, sun",
            )
    return tuple(sorted(found))


def parse_spec(text: str) -> Spec:
    """The spec `text` names, or WebinarInputError("schedule", what to fix)."""
    value = text.strip()
    if len(value) > MAX_SPEC:
        raise WebinarInputError("schedule", f"is longer than {MAX_SPEC} characters")
    kind, colon, rest = value.partition(":")
    kind = kind.strip().lower()
    if not colon or kind not in ("jit", "daily", "weekly"):
        raise WebinarInputError("schedule", f"{value[:40]!r} is not a schedule: {_FORMS}")
    if kind == "jit":
        every = rest.strip()
        if not every.isascii() or not every.isdigit() or len(every) > 5:
            raise WebinarInputError(
                "schedule", f"jit:N takes a whole number of minutes, got {every[:20]!r}"
            )
        minutes = int(every)
        if not MIN_EVERY <= minutes <= MAX_EVERY:
            raise WebinarInputError(
                "schedule",
                f"jit:N takes N from {MIN_EVERY} to {MAX_EVERY} minutes, got {minutes}",
            )
        return Spec("jit", every=minutes)
    if kind == "daily":
        return Spec("daily", times=_times(rest))
    days, colon, times = rest.partition(":")
    if not colon:
        raise WebinarInputError(
            "schedule", "weekly takes weekdays and times, e.g. weekly:mon,wed:10:00"
        )
    return Spec("weekly", times=_times(times), weekdays=_weekdays(days))


def zone_of(key: str) -> ZoneInfo:
    """The zone of an IANA name already checked by check_zone."""
    return ZoneInfo(key)


def check_zone(text: str, field: str = "timezone", *, allow_viewer: bool = True) -> str:
    """`viewer` (when allowed) or an IANA zone name this machine knows, e.g. Europe/London."""
    value = text.strip()
    if allow_viewer and value.lower() == VIEWER:
        return VIEWER
    hint = "an IANA name such as Europe/London" + (" or viewer" if allow_viewer else "")
    if not value:
        raise WebinarInputError(field, f"is required: {hint}")
    if len(value) > MAX_ZONE or not _ZONE.fullmatch(value):
        raise WebinarInputError(field, f"{value[:MAX_ZONE]!r} is not a time zone: use {hint}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise WebinarInputError(field, f"unknown time zone {value!r}: use {hint}") from None
    return value


def check_blackouts(values: Iterable[str]) -> tuple[date, ...]:
    """Blackout dates (YYYY-MM-DD), sorted and distinct."""
    found: set[date] = set()
    for raw in values:
        word = raw.strip()
        if not word:
            continue
        try:
            if not _DATE.fullmatch(word):
                raise ValueError
            found.add(date.fromisoformat(word))
        except ValueError:
            raise WebinarInputError(
                "blackout_dates", f"{word[:20]!r} is not a date: write YYYY-MM-DD"
            ) from None
        if len(found) > MAX_BLACKOUTS:
            raise WebinarInputError("blackout_dates", f"at most {MAX_BLACKOUTS} dates")
    return tuple(sorted(found))


def check_count(count: int) -> int:
    """How many sessions to offer: 1 to MAX_COUNT."""
    if not 1 <= count <= MAX_COUNT:
        raise WebinarInputError("count", f"must be from 1 to {MAX_COUNT}, got {count}")
    return count


def check_registered_at(value: datetime) -> datetime:
    """The registration instant in UTC; one without an offset is read as UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    try:
        instant = aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise WebinarInputError("registered_at", "is out of range") from None
    if not EARLIEST <= instant < LATEST:
        raise WebinarInputError("registered_at", "must be between 1970 and 9000")
    return instant


def parse_schedule(spec: str, zone: str, blackouts: Iterable[str] = ()) -> Schedule:
    """A schedule from what a person typed: each part checked, each refusal named."""
    return Schedule(parse_spec(spec), check_zone(zone), frozenset(check_blackouts(blackouts)))


def _wall_times(spec: Spec) -> Iterator[time]:
    if spec.kind == "jit":
        for minute in range(0, 24 * 60, spec.every):
            yield time(minute // 60, minute % 60)
    else:
        yield from spec.times


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall time (its first occurrence), None when the day skips it."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first of two
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # in the spring-forward gap: that wall time does not exist that day
    return instant


def next_sessions(
    schedule: Schedule, registered_at: datetime, viewer_zone: str, count: int = 3
) -> tuple[datetime, ...]:
    """The next `count` session starts (UTC, strictly increasing) offered to someone registering
    at `registered_at` from `viewer_zone`; WebinarInputError("schedule") when one cannot be found
    within SEARCH_DAYS days of the last (every date it could start on is blacked out)."""
    check_count(count)
    viewer = check_zone(viewer_zone, "viewer_timezone", allow_viewer=False)
    registered = check_registered_at(registered_at)
    zone = zone_of(viewer if schedule.zone == VIEWER else schedule.zone)
    spec = schedule.spec
    earliest = registered + spec.lead
    found: list[datetime] = []
    anchor = day = earliest.astimezone(zone).date() - timedelta(days=1)
    while len(found) < count:
        if (day - anchor).days > SEARCH_DAYS:
            after = iso_utc(found[-1] if found else registered)
            raise WebinarInputError(
                "schedule",
                f"no session within {SEARCH_DAYS} days after {after}: "
                "every date it could start on is blacked out",
            )
        if day not in schedule.blackouts and (
            spec.kind != "weekly" or day.weekday() in spec.weekdays
        ):
            for wall in _wall_times(spec):
                start = _instant(day, wall, zone)
                if start is None or start < earliest or start <= registered:
                    continue
                if found and start <= found[-1]:
                    continue
                found.append(start)
                anchor = day
                if len(found) == count:
                    break
        day += timedelta(days=1)
    return tuple(found)


def iso_utc(instant: datetime) -> str:
    """An instant as ISO 8601 in UTC with a Z, to the second: 2026-12-07T15:00:00Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
