"""Checks of what people type: stream names and kinds, dates, amounts, hours and rates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from evergreen.isodates import iso_day
from evergreen.ledger.errors import LedgerInputError
from evergreen.money import MAX_INTEGER_DIGITS, MAX_PLACES

__all__ = [
    "MAX_HOURS_A_DAY",
    "MAX_MEMO",
    "StreamKind",
    "check_day_hours",
    "check_entry_day",
    "check_memo",
    "check_name",
    "check_worked_day",
    "is_control",
    "parse_amount",
    "parse_date",
    "parse_hours",
    "parse_number",
    "parse_period",
    "parse_rate",
    "parse_report_day",
]

MAX_HOURS_A_DAY = Decimal(24)
MAX_MEMO = 500  # what an entry, a time entry and the timer keep (String(500))
# Reports count days and months around their dates: they stay within these, a century at most.
REPORT_FIRST, REPORT_LAST = date(1900, 1, 1), date(2199, 12, 31)
LONGEST_PERIOD_DAYS = 100 * 366
# Time worked is in the past; a day of slack lets an owner ahead of UTC log today's hours.
WORKED_DAYS_AHEAD = 1
# Characters that reorder the text around them (embeddings, overrides, isolates, marks).
_DIRECTION_CLASSES = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
# A number as a person types it: a sign, the digits 0-9, at most one point (no exponent, no _).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# What Decimal() reads besides: exponents and digit groups (1e3, 1E-2, 1_000), NaN, Infinity.
_PYTHON_NUMBER = re.compile(r"[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:s?nan[0-9]*|inf(?:inity)?)", re.IGNORECASE)


class StreamKind(StrEnum):
    """What kind of income a stream is (the issue's list, in the owner's words)."""

    AFFILIATE = "affiliate"
    PARTNER_PROGRAM = "partner_program"
    DIGITAL_PRODUCT = "digital_product"
    WEBINAR_FUNNEL = "webinar_funnel"
    ROYALTIES = "royalties"
    ARTICLES = "articles"
    SUBSCRIPTION = "subscription"
    LENDING = "lending"
    RENTAL = "rental"
    SERVICE = "service"
    OTHER = "other"

    @classmethod
    def parse(cls, text: str) -> StreamKind:
        """A kind from its name, forgiving case and dashes ("Partner-Program")."""
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return cls(key)
        except ValueError:
            kinds = ", ".join(kind.value for kind in cls)
            raise LedgerInputError(
                "kind", f"{text!r} is not a stream kind; use one of {kinds}"
            ) from None


def check_name(text: str, field: str = "name") -> str:
    """A stream name: 1-100 printable characters, surrounding spaces trimmed."""
    name = " ".join(text.split())
    if not name:
        raise LedgerInputError(field, "is empty; give the stream a name, e.g. 'Blog'")
    if len(name) > 100:
        raise LedgerInputError(field, f"is {len(name)} characters long; the limit is 100")
    if any(not ch.isprintable() for ch in name):
        raise LedgerInputError(field, "contains control characters")
    return name


def is_control(ch: str) -> bool:
    """Whether a character is a C0/C1 control or a direction mark: what a memo refuses and a
    bank narration loses."""
    return unicodedata.category(ch) == "Cc" or _reorders(ch)


def _reorders(ch: str) -> bool:
    """Whether a character reorders the text around it (U+202E shows what follows reversed)."""
    return ch in _DIRECTION_MARKS or unicodedata.bidirectional(ch) in _DIRECTION_CLASSES


def check_memo(text: str, field: str = "memo") -> str:
    """A memo holds what was typed and shows as typed: at most 500 characters (never cut
    short), no control characters or direction marks (U+202E would show the entry reversed),
    as stream names; tabs and line breaks pass."""
    if len(text) > MAX_MEMO:
        raise LedgerInputError(field, f"is {len(text)} characters long; the limit is {MAX_MEMO}")
    for ch in text:
        if ch.isprintable() or ch in "\t\n":
            continue
        code = f"U+{ord(ch):04X}"
        if _reorders(ch):
            what = f"a direction mark ({code}) that shows the text out of order"
        elif ch == "\x00":
            what = "a NUL character, which cannot be stored"
        else:
            what = f"a control character ({code})"
        raise LedgerInputError(field, f"contains {what}; remove it and type plain text")
    return text


def parse_date(text: str, field: str = "date") -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return iso_day(text)
    except ValueError:
        raise LedgerInputError(
            field, f"{text[:40]!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"
        ) from None


def parse_report_day(text: str, field: str) -> date:
    """A report's YYYY-MM-DD day, within 1900-2199 (API and command line alike)."""
    value = parse_date(text, field)
    if not REPORT_FIRST <= value <= REPORT_LAST:
        raise LedgerInputError(field, f"{value} is outside {REPORT_FIRST} to {REPORT_LAST}")
    return value


def check_entry_day(day: date, field: str = "date") -> date:
    """An entry's or time entry's day within 1900-2199, the days a report can show (one dated
    9999-12-31 was stored from a page or a command and then counted in no figure)."""
    if not REPORT_FIRST <= day <= REPORT_LAST:
        raise LedgerInputError(field, f"{day} is outside {REPORT_FIRST} to {REPORT_LAST}")
    return day


def check_worked_day(day: date, today: date, field: str = "date") -> date:
    """The day of time worked: not after tomorrow (a day of slack for time zones), since hours
    dated ahead would count in a future period's time charge as if already worked."""
    latest = today + timedelta(days=WORKED_DAYS_AHEAD)
    if day > latest:
        raise LedgerInputError(
            field, f"{day} is in the future; record hours once worked, dated {latest} at the latest"
        )
    return day


def parse_period(start_text: str, end_text: str) -> tuple[date, date]:
    """A report's period: both days included, forward, at most a hundred years."""
    start, end = parse_report_day(start_text, "from"), parse_report_day(end_text, "to")
    if end < start:
        raise LedgerInputError("to", f"{end} is before {start}; the period must run forward")
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise LedgerInputError("to", "the period is longer than a hundred years")
    return start, end


def _decimal(text: str | Decimal | int, field: str, example: str) -> Decimal:
    value = _typed(text.strip(), field, example) if isinstance(text, str) else Decimal(text)
    if not value.is_finite():
        raise LedgerInputError(field, f"must be a finite number, not {text}")
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if places > MAX_PLACES or whole > MAX_INTEGER_DIGITS:
        raise LedgerInputError(
            field,
            f"{str(text)[:40]} has too many digits (at most {MAX_INTEGER_DIGITS} before the "
            f"point and {MAX_PLACES} after)",
        )
    return value


def _typed(text: str, field: str, example: str) -> Decimal:
    """A number as a person types it: a sign, the digits 0-9 and at most one point. Decimal()
    reads more, none of which anyone means in a box for money or hours: any script's digits
    (full-width 50 was read as 50), exponents (1e3 was 1000) and underscores (1_000)."""
    if _PLAIN_NUMBER.fullmatch(text):
        return Decimal(text)
    shown = f"{text[:40]!r}"
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        raise LedgerInputError(
            field, f"{shown} has digits other than 0-9; type it with the digits 0-9"
        )
    if _PYTHON_NUMBER.fullmatch(text):
        how = "an exponent" if "e" in text.lower() else "an underscore"
        raise LedgerInputError(
            field,
            f"{shown} has {how}; write it as plain digits with at most one point, e.g. {example}",
        )
    if _NOT_FINITE.fullmatch(text):
        raise LedgerInputError(field, f"must be a finite number, not {text[:40]}")
    raise LedgerInputError(field, f"{shown} is not a number; write it like 1234.50")


def parse_amount(
    text: str | Decimal | int, field: str = "amount", *, signed: bool = False
) -> Decimal:
    """Money: a decimal string, more than 0 (or any non-zero amount when `signed`)."""
    value = _decimal(text, field, "1000.00")
    if value == 0:
        raise LedgerInputError(field, "must not be 0")
    if value < 0 and not signed:
        raise LedgerInputError(
            field, f"must be more than 0 (got {text}); say whether it is income or a cost instead"
        )
    return value


def parse_number(text: str | Decimal | int, field: str, example: str = "1000.00") -> Decimal:
    """Any finite number, 0 and below included, read and refused as every typed number is
    (plain digits 0-9, a sign and one point: no exponent or underscore), for callers whose
    own bounds differ from money's and hours'."""
    return _decimal(text, field, example)


def parse_hours(text: str | Decimal | int, field: str = "hours") -> Decimal:
    """Hours on one day: more than 0 and at most 24."""
    value = _decimal(text, field, "1.5")
    if value <= 0 or value > MAX_HOURS_A_DAY:
        raise LedgerInputError(field, f"must be more than 0 and at most 24 a day (got {text})")
    return value


def check_day_hours(day: date, already: Decimal, adding: Decimal, field: str = "hours") -> None:
    """Your time on a day, across every stream, is at most 24 hours: `already` recorded plus
    `adding` (a doubled entry or a timer left running would otherwise charge your time twice)."""
    total = already + adding
    if total > MAX_HOURS_A_DAY:
        raise LedgerInputError(
            field,
            f"brings {day.isoformat()} to {total.normalize():f} hours across your streams "
            f"({already.normalize():f} already recorded); a day has 24",
        )


def parse_rate(
    text: str | Decimal | int, field: str, *, low: Decimal, high: Decimal, example: str
) -> Decimal:
    """A rate between `low` and `high` inclusive (e.g. a required return 0.08 for 8 %)."""
    value = _decimal(text, field, example)
    if not low <= value <= high:
        raise LedgerInputError(
            field, f"must be between {low} and {high} (got {text}); e.g. {example}"
        )
    return value
