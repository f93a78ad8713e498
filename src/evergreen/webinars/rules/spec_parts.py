"""The pieces of a schedule spec read one at a time (wall times, weekdays, business hours,
specific dates), so each refusal names what to fix; rules/schedule.py puts them together."""

from __future__ import annotations

import re
from datetime import datetime, time

from evergreen.webinars.errors import WebinarInputError

__all__ = [
    "FORMS",
    "MAX_DATES",
    "MAX_TIMES_A_DAY",
    "WEEKDAYS",
    "days_text",
    "parse_dates",
    "parse_hours",
    "parse_times",
    "parse_weekdays",
]

MAX_TIMES_A_DAY = 24
MAX_DATES = 100
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FORMS = (
    "write jit:N[@HH:MM-HH:MM[,mon-fri]], daily:HH:MM[,HH:MM…], weekly:mon,wed:HH:MM[,HH:MM…] "
    "or dates:YYYY-MM-DDTHH:MM[,…]"
)
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{1,2}:\d{2})")


def _minutes(word: str, *, end: bool = False) -> int:
    """Minutes since midnight of HH:MM (24:00 allowed as an end)."""
    match = _TIME.fullmatch(word)
    if match is None:
        raise WebinarInputError(
            "schedule", f"{word[:20]!r} is not a time: write HH:MM, e.g. 09:30 ({FORMS})"
        )
    hour, minute = int(match[1]), int(match[2])
    if end and (hour, minute) == (24, 0):
        return 24 * 60
    if hour > 23 or minute > 59:
        raise WebinarInputError("schedule", f"{word!r} is not a time of day: use 00:00 to 23:59")
    return hour * 60 + minute


def parse_times(text: str) -> tuple[time, ...]:
    """Wall times HH:MM, comma-separated: sorted and distinct, at most MAX_TIMES_A_DAY."""
    found = {_minutes(part.strip()) for part in text.split(",")}
    if len(found) > MAX_TIMES_A_DAY:
        raise WebinarInputError(
            "schedule", f"lists {len(found)} times a day; at most {MAX_TIMES_A_DAY} are allowed"
        )
    return tuple(time(m // 60, m % 60) for m in sorted(found))


def _weekday(word: str) -> int:
    low = word.strip().lower()
    if low in WEEKDAYS:
        return WEEKDAYS.index(low)
    if low in _FULL_DAYS:
        return _FULL_DAYS.index(low)
    raise WebinarInputError(
        "schedule",
        f"{word.strip()[:20]!r} is not a weekday: use mon, tue, wed, thu, fri, sat, sun",
    )


def parse_weekdays(text: str) -> tuple[int, ...]:
    """Weekdays (0 = Monday), comma-separated, each a day or a range such as mon-fri or fri-mon."""
    found: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if not dash:
            found.add(_weekday(part))
            continue
        start, stop = _weekday(first), _weekday(last)
        found.update((start + n) % 7 for n in range((stop - start) % 7 + 1))
    return tuple(sorted(found))


def days_text(days: tuple[int, ...]) -> str:
    """Weekdays written the canonical way: runs of three or more as ranges (mon-fri)."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words = [
        f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}"
        if len(run) >= 3
        else ",".join(WEEKDAYS[d] for d in run)
        for run in runs
    ]
    return ",".join(words)


def parse_hours(text: str, every: int) -> tuple[tuple[int, int], tuple[int, ...]]:
    """Business hours `HH:MM-HH:MM[,days]` for jit:N: (open, close) in minutes since midnight
    (a session starts at or after open and before close) and the weekdays (() = every day)."""
    window, comma, days = text.partition(",")
    first, dash, last = window.partition("-")
    if not dash:
        raise WebinarInputError(
            "schedule", f"business hours are HH:MM-HH:MM[,mon-fri], got {text[:30]!r}"
        )
    start, stop = _minutes(first.strip()), _minutes(last.strip(), end=True)
    if start >= stop:
        raise WebinarInputError(
            "schedule", f"business hours {window.strip()!r} must end after they begin"
        )
    if not any(m % every == 0 for m in range(start, stop)):
        raise WebinarInputError(
            "schedule",
            f"no session every {every} minutes on the clock starts within {window.strip()}",
        )
    weekdays = parse_weekdays(days) if comma else ()
    return (start, stop), () if len(weekdays) == 7 else weekdays


def parse_dates(text: str) -> tuple[datetime, ...]:
    """Specific local wall times YYYY-MM-DDTHH:MM, comma-separated: sorted, distinct, naive
    (read later in the schedule's zone), at most MAX_DATES."""
    found: set[datetime] = set()
    for part in text.split(","):
        word = part.strip()
        match = _MOMENT.fullmatch(word)
        try:
            if match is None:
                raise ValueError
            day = datetime.fromisoformat(match[1])
        except ValueError:
            raise WebinarInputError(
                "schedule",
                f"{word[:30]!r} is not a date and time: write YYYY-MM-DDTHH:MM, "
                "e.g. 2026-12-10T18:00",
            ) from None
        minutes = _minutes(match[2])
        found.add(day.replace(hour=minutes // 60, minute=minutes % 60))
        if len(found) > MAX_DATES:
            raise WebinarInputError("schedule", f"lists more than {MAX_DATES} dates")
    if not found:
        raise WebinarInputError("schedule", "dates: lists no date")
    return tuple(sorted(found))
