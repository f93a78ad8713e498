"""Reading and rounding the lending area's money and rates.

Money is Decimal rounded half up (ROUND_HALF_UP) to the cent once per amount that changes hands
or is stored (a period's interest, a fee, a payoff), so the book and the ledger agree to the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from evergreen.lending.errors import LendingInputError

__all__ = ["CENT", "ZERO", "money", "read_money", "read_percent", "read_rate", "to_cents"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value: Decimal) -> Decimal:
    """Half up to whole cents: the one rounding of the area."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(field: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise LendingInputError(field, f"{text!r} is not a number like 12.50") from None
    if not value.is_finite():
        raise LendingInputError(field, f"{text!r} is not a number like 12.50")
    return value


def read_money(field: str, text: str | Decimal, *, positive: bool = True) -> Decimal:
    """An amount of money: not negative (above 0 when `positive`), at most 2 decimals."""
    value = text if isinstance(text, Decimal) else _number(field, text)
    if value < 0 or (positive and value == 0):
        raise LendingInputError(field, f"must be {'above' if positive else 'at least'} 0 "
                                f"(got {value})")  # fmt: skip
    if value >= Decimal(10) ** 13:
        raise LendingInputError(field, f"is too large (got {value:.6g})")
    if value != to_cents(value):
        raise LendingInputError(field, f"must be in whole cents (got {value})")
    return to_cents(value)


def read_rate(field: str, text: str | Decimal) -> Decimal:
    """A yearly rate: "0.12", "12%" or "12" (a bare number above 1 is read as a percentage,
    since no private note charges more than 100 % a year)."""
    raw = text if isinstance(text, Decimal) else None
    if raw is None:
        assert isinstance(text, str)
        stripped = text.strip()
        raw = _number(field, stripped.rstrip("%")) / (100 if stripped.endswith("%") else 1)
    rate = raw / 100 if raw > 1 else raw
    if not 0 <= rate < 1:
        raise LendingInputError(field, f"must be between 0 and 100 % a year (got {text})")
    return rate.normalize() if rate else Decimal(0)


def read_percent(field: str, text: str | Decimal) -> Decimal:
    """A percentage of the principal ("2" or "2%" is 2 %), returned as a fraction (0.02)."""
    raw = text if isinstance(text, Decimal) else _number(field, str(text).strip().rstrip("%"))
    if not 0 <= raw < 100:
        raise LendingInputError(field, f"must be a percentage from 0 to below 100 (got {text})")
    return (raw / 100).normalize() if raw else Decimal(0)


def money(value: Decimal | int) -> Decimal:
    """An exact amount already in cents, as a two-place Decimal."""
    return to_cents(Decimal(value))
