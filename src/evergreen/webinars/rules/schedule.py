"""When an evergreen webinar's sessions start: the schedule spec, its time zone, its blackout
dates, and the next sessions offered to someone registering at a given instant.

A spec is one of

- `jit:N`: just in time, sessions every N minutes on the clock (5 <= N <= 1440): at the wall
  times whose minutes since local midnight are a multiple of N (the grid starts again at each
  midnight, so with N=7 the last of a day is 23:55), the first offered at least N minutes after
  registering;
- `jit:N@HH:MM-HH:MM[,mon-fri]`: just in time inside business hours: only the grid's wall times
  at or after the first and before the second (24:00 for midnight) start, on the weekdays
  listed when they are (days and ranges such as mon-fri); outside them the next offered is the
  next window's first grid time;
- `daily:HH:MM[,HH:MM…]`: every day at these wall times (at most 24);
- `weekly:mon,wed:HH:MM[,HH:MM…]`: on these weekdays (mon … sun) at these wall times;
- `dates:YYYY-MM-DDTHH:MM[,…]`: at these specific local wall times (at most 100, in any order,
  stored sorted); past ones are never offered, and once all have passed none is.

The zone is `viewer` (the wall times are read in each viewer's own zone) or an IANA name
(one fixed zone for everybody). Blackout dates are local dates in that effective zone: no
session starts on them. Daily and weekly sessions are offered when they start strictly after
the registration instant (the registration page itself gives the lead); just-in-time ones at
least N minutes after it.

Daylight saving time: a wall time that does not exist on a day (the spring-forward gap, e.g.
02:30 in America/New_York on the second Sunday of March) is skipped that day, never shifted,
so every session starts at one of the listed wall times (a specific date whose wall time does
not exist in a fixed zone is refused when the schedule is parsed); a wall time that happens
twice (fall back) starts once, at its first occurrence (fold=0, the summer-time offset).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from evergreen.digits import is_digits
from evergreen.timezones import MAX_ZONE_NAME, zone_named
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules.spec_parts import (
    FORMS,
    MAX_DATES,
    MAX_TIMES_A_DAY,
    WEEKDAYS,
    days_text,
    parse_dates,
    parse_hours,
    parse_times,
    parse_weekdays,
)

__all__ = [
    "ALL_DAY",
    "MAX_BLACKOUTS",
    "MAX_COUNT",
    "MAX_DATES",
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
# dates: takes up to MAX_DATES wall times of 17 characters each.
MAX_SPEC = 2000
MAX_ZONE = MAX_ZONE_NAME
MAX_BLACKOUTS = 1000
MAX_COUNT = 100
# A schedule whose next session is not found within this many days is refused, not searched on.
SEARCH_DAYS = 400
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")

Kind = Literal["jit", "daily", "weekly", "dates"]
ALL_DAY = (0, 24 * 60)


@dataclass(frozen=True)
class Spec:
    """A parsed schedule spec: just-in-time every N minutes (within business hours), wall times
    on some weekdays, or specific local date-times."""

    kind: Kind
    every: int = 0  # jit: minutes between sessions
    times: tuple[time, ...] = ()  # daily and weekly: sorted, distinct
    weekdays: tuple[int, ...] = ()  # weekly, and jit's business days (() = all): 0 = Monday
    hours: tuple[int, int] = ALL_DAY  # jit: starts at minutes since midnight in [open, close)
    moments: tuple[datetime, ...] = ()  # dates: naive local wall times, sorted, distinct

    @property
    def text(self) -> str:
        """The spec written the one canonical way (what is stored)."""
        if self.kind == "jit":
            if self.hours == ALL_DAY and not self.weekdays:
                return f"jit:{self.every}"
            window = "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in self.hours)
            days = f",{days_text(self.weekdays)}" if self.weekdays else ""
            return f"jit:{self.every}@{window}{days}"
        if self.kind == "dates":
            return "dates:" + ",".join(m.strftime("%Y-%m-%dT%H:%M") for m in self.moments)
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


def _jit(rest: str) -> Spec:
    every, at, hours = rest.partition("@")
    every = every.strip()
    if not is_digits(every) or len(every) > 5:
        raise WebinarInputError(
            "schedule", f"jit:N takes a whole number of minutes, got {every[:20]!r}"
        )
    minutes = int(every)
    if not MIN_EVERY <= minutes <= MAX_EVERY:
        raise WebinarInputError(
            "schedule", f"jit:N takes N from {MIN_EVERY} to {MAX_EVERY} minutes, got {minutes}"
        )
    if not at:
        return Spec("jit", every=minutes)
    window, days = parse_hours(hours, minutes)
    return Spec("jit", every=minutes, hours=window, weekdays=days)


def parse_spec(text: str) -> Spec:
    """The spec `text` names, or WebinarInputError("schedule", what to fix)."""
    value = text.strip()
    if len(value) > MAX_SPEC:
        raise WebinarInputError("schedule", f"is longer than {MAX_SPEC} characters")
    kind, colon, rest = value.partition(":")
    kind = kind.strip().lower()
    if not colon or kind not in ("jit", "daily", "weekly", "dates"):
        raise WebinarInputError("schedule", f"{value[:40]!r} is not a schedule: {FORMS}")
    if kind == "jit":
        return _jit(rest)
    if kind == "daily":
        return Spec("daily", times=parse_times(rest))
    if kind == "dates":
        return Spec("dates", moments=parse_dates(rest))
    days, colon, times = rest.partition(":")
    if not colon:
        raise WebinarInputError(
            "schedule", "weekly takes weekdays and times, e.g. weekly:mon,wed:10:00"
        )
    return Spec("weekly", times=parse_times(times), weekdays=parse_weekdays(days))


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
    if zone_named(value) is None:
        raise WebinarInputError(field, f"unknown time zone {value!r}: use {hint}")
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
    parsed, key = parse_spec(spec), check_zone(zone)
    if parsed.kind == "dates" and key != VIEWER:
        for moment in parsed.moments:
            if _instant(moment.date(), moment.time(), zone_of(key)) is None:
                raise WebinarInputError(
                    "schedule",
                    f"{moment.strftime('%Y-%m-%dT%H:%M')} does not exist in {key}: the clocks "
                    "skip it (daylight saving time); choose another time",
                )
    return Schedule(parsed, key, frozenset(check_blackouts(blackouts)))


def _wall_times(spec: Spec) -> Iterator[time]:
    if spec.kind == "jit":
        start, stop = spec.hours
        for minute in range(-(-start // spec.every) * spec.every, stop, spec.every):
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
    if spec.kind == "dates":
        return _dated(schedule, zone, registered, count)
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
        if day not in schedule.blackouts and (not spec.weekdays or day.weekday() in spec.weekdays):
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


def _dated(
    schedule: Schedule, zone: ZoneInfo, registered: datetime, count: int
) -> tuple[datetime, ...]:
    """The next `count` (or fewer, the last ones) specific dates after registering."""
    starts = set()
    skipped = False  # a date still ahead that is blacked out or in the zone's spring gap
    for moment in schedule.spec.moments:
        start = _instant(moment.date(), moment.time(), zone)
        if start is None or moment.date() in schedule.blackouts:
            skipped = skipped or _ahead(moment, zone, registered)
        elif start > registered:
            starts.add(start)
    if not starts:
        why = (
            f"the dates left are blackout dates or do not exist in {zone.key} (the clocks skip "
            "them for daylight saving time)"
            if skipped
            else "every listed date has passed"
        )
        raise WebinarInputError("schedule", f"no session after {iso_utc(registered)}: {why}")
    return tuple(sorted(starts)[:count])


def _ahead(moment: datetime, zone: ZoneInfo, registered: datetime) -> bool:
    """Whether a listed wall time is still to come, read in the zone (an hour later when the
    clocks skip it)."""
    return moment.replace(tzinfo=zone).astimezone(UTC) > registered


def iso_utc(instant: datetime) -> str:
    """An instant as ISO 8601 in UTC with a Z, to the second: 2026-12-07T15:00:00Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
