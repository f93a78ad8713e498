"""Money every area handles the same way: currency codes, whole cents, display, UTC times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from evergreen.errors import InputError

__all__ = [
    "CENT",
    "cents",
    "check_currency",
    "check_money",
    "check_utc",
    "show_money",
    "show_number",
]

CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


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


def cents(value: Decimal) -> Decimal:
    """Round once, at the end of a computation, half up to whole cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def show_money(value: Decimal) -> str:
    """An amount as people read it on a statement: always two decimals."""
    return f"{cents(value):f}"


def show_number(value: Decimal) -> str:
    """A rate without trailing zeros: 30 rather than 30.00 or 3E+1."""
    return f"{value.normalize():f}"
