"""What enrols a subscriber: triggers, matched against plain events, and yearly date fields.

A trigger is matched against an `Happened` (a kind and the thing it concerns, e.g. ("tagged",
"buyer")). A date-field trigger (birthday, renewal) fires each year on the field's month and day
at a local hour in the subscriber's zone; 29 February falls on 28 February in other years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules.conditions import Attendance, attendance_meets

__all__ = [
    "ApiEvent",
    "BoughtProduct",
    "ClickedLink",
    "DateField",
    "GotTag",
    "Happened",
    "JoinedList",
    "Trigger",
    "WebinarTrigger",
    "fires",
    "month_day",
    "next_anniversary",
]


@dataclass(frozen=True)
class JoinedList:
    """Joined (confirmed on) a list."""

    list_ref: str


@dataclass(frozen=True)
class GotTag:
    """Was given a tag."""

    name: str


@dataclass(frozen=True)
class WebinarTrigger:
    """Registered for, attended or missed a webinar (any webinar when `webinar_ref` is None)."""

    status: Attendance
    webinar_ref: str | None = None


@dataclass(frozen=True)
class ClickedLink:
    """Clicked a tracking link."""

    link_id: str


@dataclass(frozen=True)
class BoughtProduct:
    """Bought a product (any product when None)."""

    product_ref: str | None = None


@dataclass(frozen=True)
class DateField:
    """Yearly on the month-day stored in a custom field, at a local hour (birthday, renewal)."""

    field: str
    hour: int = 9
    minute: int = 0


@dataclass(frozen=True)
class ApiEvent:
    """A named event posted through the API."""

    name: str


Trigger = JoinedList | GotTag | WebinarTrigger | ClickedLink | BoughtProduct | DateField | ApiEvent


@dataclass(frozen=True)
class Happened:
    """What happened to a subscriber: `kind` (joined, tagged, webinar_attended, …) and `ref`."""

    kind: str
    ref: str


def fires(trigger: Trigger, happened: Happened) -> bool:
    """Whether this event enrols the subscriber (date fields fire by the clock, not by events)."""
    match trigger:
        case JoinedList(list_ref):
            return happened.kind == "joined" and happened.ref == list_ref
        case GotTag(name):
            return happened.kind == "tagged" and happened.ref.casefold() == name.casefold()
        case WebinarTrigger(status, webinar_ref):
            if not happened.kind.startswith("webinar_"):
                return False
            try:
                actual = Attendance(happened.kind.removeprefix("webinar_"))
            except ValueError:
                return False
            # Registering fires only "registered"; left early also fires "attended".
            meets = actual is status or (
                status is not Attendance.REGISTERED and attendance_meets(actual, status)
            )
            return meets and (webinar_ref is None or happened.ref == webinar_ref)
        case ClickedLink(link_id):
            return happened.kind == "clicked" and happened.ref == link_id
        case BoughtProduct(product_ref):
            return happened.kind == "bought" and (
                product_ref is None or happened.ref == product_ref
            )
        case ApiEvent(name):
            return happened.kind == "api" and happened.ref == name
        case DateField():
            return False


_MONTH_DAY = re.compile(r"^(?:\d{4}-|--)?(\d{2})-(\d{2})$")


def month_day(value: str, field: str = "field") -> tuple[int, int]:
    """The month and day of a stored date: 1990-05-17, --05-17 (ISO 8601 without year) or 05-17."""
    found = _MONTH_DAY.match(value.strip())
    if found is None:
        raise SequenceInputError(field, f"{value!r} is not a date; use YYYY-MM-DD or MM-DD")
    month, day = int(found.group(1)), int(found.group(2))
    try:
        date(2000, month, day)  # a leap year, so 02-29 is a real month-day
    except ValueError:
        raise SequenceInputError(field, f"{value!r} has no such month and day") from None
    return month, day


def _on(year: int, month: int, day: int) -> date:
    """That month-day in `year`; 29 February becomes 28 February outside leap years."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, day - 1)


def next_anniversary(value: str, now: datetime, zone: ZoneInfo, hour: int, minute: int) -> datetime:
    """The next instant at or after `now` on the field's month-day at hour:minute in `zone`."""
    month, day = month_day(value)
    year = now.astimezone(zone).year
    for candidate_year in (year - 1, year, year + 1, year + 2):
        local = datetime.combine(_on(candidate_year, month, day), time(hour, minute), tzinfo=zone)
        instant = local.astimezone(UTC)
        if instant >= now:
            return instant
    raise AssertionError("a month-day recurs within two years")  # pragma: no cover
