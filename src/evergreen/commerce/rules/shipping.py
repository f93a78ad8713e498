"""Shipping as pure rules: the ship-to address a buyer types, the zone of a country in a
product's zone table (the country itself, then EU for EU members, then "*"), and the shipping a
physical line costs there. Amounts are whole cents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.products import check_country, check_region, check_text

__all__ = ["EU", "Address", "check_address", "line_shipping", "zone_of"]

_EU_MEMBERS = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
EU = frozenset(_EU_MEMBERS.split())


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


def line_shipping(
    country: str, table: Mapping[str, int], quantity: int, table_currency: str | None, currency: str
) -> int:
    """Shipping of one physical line: the zone's amount per unit times the quantity."""
    if table_currency is not None and table_currency != currency and table:
        raise CommerceInputError(
            "currency", f"shipping is priced in {table_currency}: choose {table_currency}"
        )
    if not table:
        return 0
    return table[zone_of(country, table)] * quantity
