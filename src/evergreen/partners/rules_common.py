"""What every partner rule checks the same way: the error, UTC times, currencies and money."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CENT",
    "PartnerRuleError",
    "cents",
    "check_currency",
    "check_money",
    "check_utc",
    "show_money",
    "show_number",
]

CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class PartnerRuleError(ValueError):
    """A partner-program value that breaks a rule, named so the caller can point at it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_utc(field: str, value: datetime) -> datetime:
    """Times are compared across servers and databases, so a naive one is refused, not guessed."""
    if not isinstance(value, datetime):
        raise PartnerRuleError(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise PartnerRuleError(
            field, "is a naive datetime; give a timezone-aware one in UTC (tzinfo=UTC)"
        )
    return value.astimezone(UTC)


def check_currency(field: str, code: str) -> str:
    """Amounts in different currencies never mix, so the code must be a real ISO 4217 shape."""
    value = code.strip().upper() if isinstance(code, str) else ""
    if not _CURRENCY.match(value):
        raise PartnerRuleError(field, f"{code!r} is not a three-letter ISO 4217 code like USD")
    return value


def check_money(field: str, value: Decimal | int, *, allow_negative: bool = False) -> Decimal:
    """Money is a finite Decimal (never a float), non-negative unless the caller allows it."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise PartnerRuleError(field, f"must be a Decimal amount, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise PartnerRuleError(field, "must be a finite amount")
    if amount < 0 and not allow_negative:
        raise PartnerRuleError(field, f"must not be negative (got {amount})")
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
