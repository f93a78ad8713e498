"""Shipping as pure rules: the ship-to address a buyer types, the zone of a country in a
product's zone table (the country itself, then EU for EU members, then "*"), and the shipping a
physical line costs there, converted at the owner's rate when the supplier prices shipping in
another currency than the checkout's. Amounts are whole cents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.currencies import round_to_unit
from evergreen.commerce.rules.products import check_country, check_region, check_text

__all__ = [
    "EU",
    "Address",
    "check_address",
    "check_rate",
    "convert_cents",
    "line_shipping",
    "missing_rate",
    "zone_of",
]

_EU_MEMBERS = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
EU = frozenset(_EU_MEMBERS.split())
_MAX_RATE = Decimal("1000000000")
_RATE_PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class Address:
    """Where physical goods go; country is ISO 3166-1 alpha-2."""

    name: str
    line1: str
    city: str
    country: str
    line2: str = ""
    postal_code: str = ""
    region: str = ""

    def as_dict(self) -> dict[str, str]:
        """The address as plain values (a supplier order keeps it as it was)."""
        return asdict(self)


def check_address(
    name: str,
    line1: str,
    city: str,
    country: str,
    line2: str = "",
    postal_code: str = "",
    region: str = "",
) -> Address:
    """A ship-to address: name, first line, city and country are required."""
    checked = {
        "name": check_text("ship_name", name, 200, required=True),
        "line1": check_text("line1", line1, 200, required=True),
        "line2": check_text("line2", line2, 200),
        "city": check_text("city", city, 100, required=True),
        "postal_code": check_text("postal_code", postal_code, 20),
        "region": check_region(region),
    }
    text = str(country or "").strip()
    if not text:
        raise CommerceInputError("ship_country", "is required to ship: two letters like DE")
    try:
        code = check_country(text)
    except CommerceInputError as exc:
        raise CommerceInputError("ship_country", exc.message) from None
    return Address(country=code, **checked)


def zone_of(country: str, table: Mapping[str, int]) -> str:
    """The zone of the table a country ships in; refused when the table has none for it."""
    if country in table:
        return country
    if country in EU and "EU" in table:
        return "EU"
    if "*" in table:
        return "*"
    raise CommerceInputError("country", f"we do not ship to {country}")


def check_rate(value: str | Decimal) -> Decimal:
    """An exchange rate: a positive number with at most 8 decimals (1 EUR = 1.0853 USD)."""
    try:
        rate = Decimal(value.strip().replace(",", ".")) if isinstance(value, str) else value
    except InvalidOperation:
        raise CommerceInputError("rate", f"{value!r} is not a number like 1.0853") from None
    if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 < rate < _MAX_RATE:
        raise CommerceInputError("rate", "must be a number above 0, like 1.0853")
    if rate != rate.quantize(_RATE_PLACES):
        raise CommerceInputError("rate", "has more than 8 decimals")
    return rate


def convert_cents(cents: int, rate: Decimal) -> int:
    """Cents of one currency in another: times the rate, rounded once to the whole cent, half
    up (0.5 cent goes up), so a line is never charged less than its converted cost."""
    return int((Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def missing_rate(base: str | None, quote: str, rates: Mapping[tuple[str, str], Decimal]) -> str:
    """What the owner must set before `base` amounts can be charged in `quote` ("" if none)."""
    if base is None or base == quote or (base, quote) in rates:
        return ""
    return f"no exchange rate from {base} to {quote}: set one on the suppliers page"


def line_shipping(
    country: str,
    table: Mapping[str, int],
    quantity: int,
    table_currency: str | None,
    currency: str,
    rate: Decimal | None = None,
) -> int:
    """Shipping of one physical line: the zone's amount per unit times the quantity, converted
    (the whole line at once, see convert_cents; to whole yen in yen) when the table is in
    another currency."""
    if not table:
        return 0
    cents = table[zone_of(country, table)] * quantity
    if table_currency is None or table_currency == currency:
        return cents
    if rate is None:
        message = missing_rate(table_currency, currency, {})
        raise CommerceInputError("currency", f"shipping cannot be priced: {message}")
    return round_to_unit(Decimal(cents) * rate, currency)
