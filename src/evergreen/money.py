"""Money every area handles the same way: currency codes, whole cents, display, UTC times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from evergreen.errors import InputError

__all__ = [
    "CENT",
    "DECIMAL_MARKS",
    "MAX_INTEGER_DIGITS",
    "MAX_PLACES",
    "AmbiguousAmount",
    "cents",
    "check_currency",
    "check_money",
    "check_storable",
    "check_utc",
    "read_amount",
    "show_amount",
    "show_money",
    "show_number",
    "show_page_money",
]

CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Every stored amount is Numeric(19, 4): 15 digits before the point, 4 after.
MAX_INTEGER_DIGITS = 15
MAX_PLACES = 4
DECIMAL_MARKS = (".", ",")
# Spaces (plain, no-break, thin) and apostrophes only ever group thousands: 1 234,50 or 1'234.50.
_GROUPING = str.maketrans(dict.fromkeys(" \u00a0\u202f\u2009'\u2019", "_"))
_AMOUNT_SHAPE = re.compile(r"^[0-9_.,]+$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?:_[0-9]{3})*$")


def check_utc(field: str, value: datetime) -> datetime:
    """Times are compared across servers and databases, so a naive one is refused, not guessed."""
    if not isinstance(value, datetime):
        raise InputError(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            field, "is a naive datetime; give a timezone-aware one in UTC (tzinfo=UTC)"
        )
    return value.astimezone(UTC)


def check_currency(field: str, code: str) -> str:
    """Amounts in different currencies never mix, so the code must be a real ISO 4217 shape."""
    value = code.strip().upper() if isinstance(code, str) else ""
    if not _CURRENCY.match(value):
        raise InputError(field, f"{code!r} is not a three-letter ISO 4217 code like USD")
    return value


def check_money(field: str, value: Decimal | int, *, allow_negative: bool = False) -> Decimal:
    """Money is a finite Decimal (never a float), non-negative unless the caller allows it."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InputError(field, f"must be a Decimal amount, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise InputError(field, "must be a finite amount")
    if amount < 0 and not allow_negative:
        raise InputError(field, f"must not be negative (got {amount})")
    return amount


class AmbiguousAmount(InputError):
    """An amount like 1,234 that reads as 1.234 or as 1234 depending on where it was written."""


def _whole(field: str, text: str, digits: str) -> str:
    """The integer part without its thousands separators, once their grouping is checked."""
    if "_" in digits and not _GROUPED.match(digits):
        raise InputError(field, f"{text!r} groups its thousands oddly; send a number like 1234.50")
    return digits.replace("_", "")


def read_amount(field: str, text: str, *, decimal_mark: str | None = None) -> Decimal:
    """An amount written by a person or another system, read exactly or refused — never guessed.

    Thousands separators and a decimal comma are understood when the text says which is which:
    "1,234.50" and "1.234,50" are 1234.50, "12,50" is 12.50, "1 234" is 1234. A single comma
    followed by exactly three digits ("1,234") is ambiguous: 1.234 in Germany, 1234 in the US. It
    is read with `decimal_mark` when the sender's style is known, and refused with
    AmbiguousAmount otherwise. A single point is a decimal point unless the style says it is a
    comma. An amount that does not fit Numeric(19, 4) — more than 15 digits before the point or
    more than 4 significant ones after it — is refused rather than silently rounded.
    """
    if decimal_mark is not None and decimal_mark not in DECIMAL_MARKS:
        raise InputError("decimal_mark", "must be '.' or ','")
    plain = text.strip().translate(_GROUPING)
    if plain.startswith("-"):
        raise InputError(field, f"must not be negative (got {text})")
    if not plain or not _AMOUNT_SHAPE.match(plain) or not any(c.isdigit() for c in plain):
        raise InputError(field, f"{text!r} is not a number like 12.50")
    mark = decimal_mark or _guess_mark(field, text, plain)
    other = "," if mark == "." else "."
    whole, point, fraction = plain.replace(other, "_").partition(mark)
    if mark in fraction or "_" in fraction or (point and not fraction and not whole):
        raise InputError(field, f"{text!r} is not a number like 12.50")
    integer = _whole(field, text, whole) or "0"
    fraction = fraction.rstrip("0")
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise InputError(
            field, f"{text!r} has more than {MAX_INTEGER_DIGITS} digits before the point"
        )
    if len(fraction) > MAX_PLACES:
        raise InputError(field, f"{text!r} has more than {MAX_PLACES} decimal places")
    return Decimal(f"{integer}.{fraction or '0'}")


def _guess_mark(field: str, text: str, plain: str) -> str:
    """Which character is the decimal mark when the sender did not say: the text must tell."""
    if "." in plain and "," in plain:
        return "." if plain.rindex(".") > plain.rindex(",") else ","
    if plain.count(",") > 1 or plain.count(".") > 1:
        return "." if "," in plain else ","  # repeated: that one groups thousands
    if "," not in plain:
        return "."
    whole, _comma, fraction = plain.partition(",")
    if len(fraction) == 3 and whole.replace("_", "").lstrip("0"):
        raise AmbiguousAmount(
            field,
            f"{text!r} is ambiguous: it could be {whole}.{fraction} or {whole}{fraction}; "
            "write it without a thousands separator, like 1234.00",
        )
    return ","


def check_storable(field: str, value: Decimal | int) -> Decimal:
    """A non-negative amount that fits Numeric(19, 4) exactly, so the database never rounds it,
    overflows on it or (SQLite) stores it as infinity."""
    amount = check_money(field, value)
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if amount >= Decimal(10) ** MAX_INTEGER_DIGITS:
        raise InputError(field, f"must be less than 10^{MAX_INTEGER_DIGITS} (got {amount:.6g})")
    if -exponent > MAX_PLACES:
        raise InputError(field, f"must have at most {MAX_PLACES} decimal places (got {amount})")
    return amount


def cents(value: Decimal) -> Decimal:
    """Round once, at the end of a computation, half up to whole cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def show_money(value: Decimal, *, grouped: bool = False) -> str:
    """An amount as people read it on a statement: always two decimals, however many the
    database keeps (59.1000 reads 59.10); `grouped` for pages, thousands apart: 1,234.50."""
    if grouped:
        return f"{cents(value) + 0:,.2f}"  # + 0: never "-0.00"
    return f"{cents(value):f}"


def show_page_money(value: Decimal | None) -> str:
    """An amount as pages show it: thousands grouped, two decimals; a dash for none."""
    return "—" if value is None else show_money(value, grouped=True)


def show_amount(value: Decimal) -> str:
    """A stored amount as the API writes money: two decimals, or the stored ones (up to four)
    when it has fractions of a cent, so nothing reported is rounded away: 12.50, 1.2345."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value:.{places}f}"


def show_number(value: Decimal) -> str:
    """A rate without trailing zeros: 30 rather than 30.00 or 3E+1."""
    return f"{value.normalize():f}"
