"""Currencies whose smallest unit is not a cent: what a price may be in them, how carts round
in them, and how many of Stripe's units an amount is.

Amounts are whole cents (hundredths) everywhere in commerce. Yen, won and the other
zero-decimal currencies have no hundredths: a price there is a whole number of units, carts
round discounts and tax to whole units, and Stripe counts them in units (¥1,000 is `1000`, not
`100000`: sent as cents, a buyer would be asked for 100 times the price). The three-decimal
dinars are counted by Stripe in thousandths. Icelandic króna is two-decimal in Stripe's API,
but card networks take whole krónur only (since April 2023).
See https://docs.stripe.com/currencies#zero-decimal and #special-cases.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from evergreen.commerce.errors import CommerceInputError

__all__ = [
    "THREE_DECIMAL",
    "ZERO_DECIMAL",
    "check_whole",
    "from_stripe",
    "round_to_unit",
    "to_stripe",
    "unit_cents",
]

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
     "XAF", "XOF", "XPF"}
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
_WHOLE_ONLY = ZERO_DECIMAL | {"ISK"}


def unit_cents(currency: str) -> int:
    """How many cents make the currency's smallest chargeable unit (100 for yen, 1 for euros)."""
    return 100 if currency.upper() in _WHOLE_ONLY else 1


def check_whole(field: str, cents: int, currency: str) -> int:
    """Refuse an amount with fractions of a currency's smallest unit (¥10.50)."""
    if cents % unit_cents(currency):
        whole = Decimal(cents) / 100
        raise CommerceInputError(
            field, f"{currency.upper()} has no fractions: use a whole amount, not {whole}"
        )
    return cents


def round_to_unit(value: Decimal, currency: str) -> int:
    """Cents rounded half up to the currency's smallest unit (whole cents, or whole yen)."""
    unit = unit_cents(currency)
    return int((value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * unit


def to_stripe(cents: int, currency: str) -> int:
    """An amount in Stripe's units for the currency; fractions of a unit are refused, never
    rounded (the charge must equal the order)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return check_whole("amount", cents, code) // 100
    if code == "ISK":
        return check_whole("amount", cents, code)
    if code in THREE_DECIMAL:
        return cents * 10
    return cents


def from_stripe(amount: int, currency: str) -> int:
    """Cents from an amount in Stripe's units for the currency (thousandths rounded half up,
    though Stripe keeps their last digit 0)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return amount * 100
    if code in THREE_DECIMAL:
        return int((Decimal(amount) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return amount
