"""hledger's time logs read as the owner's hours: timeclock (`i`/`o` lines) and timedot (a date,
then `Stream  1.5` or `Stream  .... ..`). The account name is the stream's name.

Each entry carries a key made of what it says, not where it is in the file, so importing the
same log again (or a longer one that starts with it) adds nothing twice. A file with a mistake
is refused whole, naming the line and what to fix.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules.inputs import MAX_HOURS_A_DAY

__all__ = ["FORMATS", "TimeEntry", "read_timeclock", "read_timedot", "read_timelog"]

FORMATS = ("timeclock", "timedot")
# [0-9], not \d (which matches any script's digits): numbers are typed with 0-9, as on pages
_DATE = r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"
_TIME = r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
_CLOCK = re.compile(rf"^([iIoO])\s+{_DATE}\s+{_TIME}(?:\s+(.*))?$")
_DAY = re.compile(rf"^\**\s*{_DATE}(?:\s+(.*))?$")
_SPLIT = re.compile(r"\s{2,}|\t")
_NUMBER = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(s|m|h|d)?$")
_UNIT_HOURS = {"s": Decimal(1) / 3600, "m": Decimal(1) / 60, "h": Decimal(1), "d": Decimal(24)}
_PLACES = Decimal("0.0001")
_QUARTER = Decimal("0.25")


@dataclass(frozen=True)
class TimeEntry:
    """Hours on one stream on one day, from line `line` of the log."""

    line: int
    date: date
    stream: str
    hours: Decimal
    memo: str
    key: str


def _refuse(line: int, field: str, message: str) -> LedgerInputError:
    return LedgerInputError(f"line {line}: {field}", message)


def _key(kind: str, *parts: str) -> str:
    return f"{kind}:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _day(line: int, year: str, month: str, day: str) -> date:
    """A day of the file, within the days the journal's API takes (a session on 9999-12-31
    has no midnight after it to split at)."""
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        raise _refuse(line, "date", f"{year}-{month}-{day} is not a day of the calendar") from None
    if not _FIRST_DAY <= value <= _LAST_DAY:
        raise _refuse(line, "date", f"{value} is outside {_FIRST_DAY} to {_LAST_DAY}")
    return value


_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _words(text: str) -> str:
    return " ".join(text.split())


def _content(raw: str) -> str:
    """A line without its comment (after `;`) and surrounding spaces."""
    return raw.split(";", 1)[0].rstrip()


def _skipped(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped[0] in "#;"


def read_timeclock(lines: Iterable[str]) -> list[TimeEntry]:
    """Sessions from `i DATE TIME STREAM  memo` to `o DATE TIME`, split at midnight into days.

    Several streams may be clocked in at once; then an `o` line names the stream it stops.
    """
    open_at: dict[str, tuple[int, datetime, str]] = {}
    entries: list[TimeEntry] = []
    number = 0
    for number, raw in enumerate(lines, 1):
        if _skipped(raw) or raw.lstrip().startswith("*"):
            continue
        match = _CLOCK.match(_content(raw).strip())
        if match is None:
            raise _refuse(number, "entry", "is not `i YYYY-MM-DD HH:MM[:SS] STREAM` or `o ...`")
        code, year, month, day, hour, minute, second, rest = match.groups()
        on = _day(number, year, month, day)
        try:
            moment = datetime.combine(on, datetime.min.time()).replace(
                hour=int(hour), minute=int(minute), second=int(second or 0)
            )
        except ValueError:
            raise _refuse(number, "time", f"{hour}:{minute} is not a time of day") from None
        parts = _SPLIT.split(rest.strip(), maxsplit=1) if rest else []
        stream = _words(parts[0]) if parts else ""
        memo = parts[1] if len(parts) > 1 else ""
        if code.lower() == "i":
            if not stream:
                raise _refuse(number, "stream", "is missing; write the stream after the time")
            if stream in open_at:
                raise _refuse(number, "stream", f"{stream!r} is clocked in already (line "
                              f"{open_at[stream][0]})")  # fmt: skip
            open_at[stream] = (number, moment, _words(memo))
            continue
        entries.extend(_clock_out(number, stream, moment, open_at))
    if open_at:
        first = min(value[0] for value in open_at.values())
        raise _refuse(first, "entry", "clocks in but never out; add an `o` line")
    return entries


def _clock_out(
    number: int, stream: str, moment: datetime, open_at: dict[str, tuple[int, datetime, str]]
) -> list[TimeEntry]:
    if not open_at:
        raise _refuse(number, "entry", "clocks out, but nothing is clocked in")
    if not stream or stream not in open_at:
        if len(open_at) > 1:
            raise _refuse(number, "stream", "several streams are clocked in; name the one to stop")
        stream = next(iter(open_at))
    started_line, start, memo = open_at.pop(stream)
    if moment <= start:
        raise _refuse(number, "time", f"is not after the clock-in on line {started_line}")
    entries = []
    cursor = start
    while cursor < moment:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time())
        stop = min(moment, midnight)
        hours = (Decimal(int((stop - cursor).total_seconds())) / 3600).quantize(
            _PLACES, rounding=ROUND_HALF_UP
        )
        if hours > 0:
            key = _key("timeclock", stream, start.isoformat(), moment.isoformat(),
                       cursor.date().isoformat())  # fmt: skip
            entries.append(TimeEntry(started_line, cursor.date(), stream, hours, memo, key))
        cursor = stop
    return entries


def _quantity(number: int, text: str) -> Decimal:
    """Dots (a quarter hour each, spaces ignored) or a number of hours, minutes (m), seconds (s)
    or days (d)."""
    plain = text.replace(" ", "")
    if plain and set(plain) == {"."}:
        return _QUARTER * len(plain)
    match = _NUMBER.match(plain)
    if match is None:
        raise _refuse(number, "quantity", f"{text[:40]!r} is not dots (....) or hours like 1.5, "
                      "90m or 2h")  # fmt: skip
    return Decimal(match[1]) * _UNIT_HOURS[match[2] or "h"]


def read_timedot(lines: Iterable[str]) -> list[TimeEntry]:
    """Day lines (a date, then words for the day) followed by `STREAM  QUANTITY` lines."""
    entries: list[TimeEntry] = []
    seen: Counter[tuple[str, date, Decimal]] = Counter()
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    current: tuple[date, str] | None = None
    for number, raw in enumerate(lines, 1):
        if _skipped(raw):
            continue
        text = _content(raw)
        if not raw[:1].isspace() and (match := _DAY.match(text.strip())):
            current = (_day(number, *match.groups()[:3]), _words(match[4] or ""))
            continue
        if text.lstrip().startswith("*"):
            continue  # an org-mode heading that is not a day
        if current is None:
            raise _refuse(number, "date", "comes before any day line; start with a date line "
                          "like 2026-01-05")  # fmt: skip
        parts = _SPLIT.split(text.strip(), maxsplit=1)
        if len(parts) < 2 or not parts[1].strip():
            raise _refuse(number, "quantity", "is missing; put two spaces between the stream "
                          "and its hours, e.g. `Blog  1.5`")  # fmt: skip
        stream, hours = _words(parts[0]), _quantity(number, parts[1].strip())
        hours = hours.quantize(_PLACES, rounding=ROUND_HALF_UP)
        if hours == 0:
            continue
        if hours > MAX_HOURS_A_DAY:
            raise _refuse(number, "quantity", f"is {hours} hours; a day has 24")
        day, memo = current
        per_day[day] += hours
        if per_day[day] > MAX_HOURS_A_DAY:
            raise _refuse(number, "quantity", f"brings {day} to {per_day[day]} hours; a day has 24")
        seen[(stream, day, hours)] += 1
        key = _key("timedot", stream, day.isoformat(), f"{hours.normalize():f}",
                   str(seen[(stream, day, hours)]))  # fmt: skip
        entries.append(TimeEntry(number, day, stream, hours, memo, key))
    return entries


def read_timelog(lines: Iterable[str], format: str) -> list[TimeEntry]:
    """Entries of a timeclock or timedot log."""
    if format == "timeclock":
        return read_timeclock(lines)
    if format == "timedot":
        return read_timedot(lines)
    raise LedgerInputError(
        "format", f"{format!r} is not a time log format; use timeclock or timedot"
    )
