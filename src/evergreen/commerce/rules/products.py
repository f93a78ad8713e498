"""What a product, price, tax rate and file may be: checked here, stored by the service.

Amounts arrive as text or Decimal and are kept as whole cents; a kind, status, interval,
country or percent outside what the catalog knows is refused by field, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.currencies import check_whole
from evergreen.commerce.rules.pricing import CostRange, PriceRule, make_rule
from evergreen.errors import InputError
from evergreen.money import CENT, check_currency, check_storable, read_amount

__all__ = [
    "INTERVALS",
    "KINDS",
    "MAX_FILE_BYTES",
    "STATUSES",
    "check_cents",
    "check_country",
    "check_currency_code",
    "check_file_name",
    "check_interval",
    "check_kind",
    "check_percent",
    "check_region",
    "check_shipping",
    "check_status",
    "check_text",
    "check_trial_days",
    "from_cents",
    "rule_of",
    "slug_of",
    "to_cents",
]

KINDS = ("digital", "subscription", "service", "physical", "bundle")
STATUSES = ("draft", "active", "paused", "archived")
INTERVALS = ("month", "year")
MAX_FILE_BYTES = 200 * 1024 * 1024  # a digital product's file, like an ebook or a course zip
MAX_TRIAL_DAYS = 365
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ZONE = re.compile(r"^(\*|[A-Z0-9][A-Z0-9_-]{0,31})$")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_FILE_NAME = re.compile(r"^[\w][\w .()+-]{0,199}$")


def check_text(field: str, value: str, limit: int, *, required: bool = False) -> str:
    """Stripped text of at most `limit` characters, with no control characters but new lines."""
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise CommerceInputError(field, "is required")
    if len(text) > limit:
        raise CommerceInputError(field, f"is longer than {limit} characters")
    for ch in text:
        if ch not in "\n\r\t" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise CommerceInputError(
                field, f"must not contain control characters (U+{ord(ch):04X})"
            )
    return text


def slug_of(name: str) -> str:
    """The product's address part: lower case letters and digits joined by hyphens."""
    slug = _SLUG_DROP.sub("-", unicodedata.normalize("NFKD", name).lower()).strip("-")[:80]
    return slug.strip("-") or "product"


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    chosen = value.strip().lower() if isinstance(value, str) else ""
    if chosen not in allowed:
        raise CommerceInputError(field, f"{value!r} is not one of {', '.join(allowed)}")
    return chosen


def check_kind(value: str) -> str:
    """digital, subscription, service, physical or bundle."""
    return _choice("kind", value, KINDS)


def check_status(value: str) -> str:
    """draft, active, paused or archived."""
    return _choice("status", value, STATUSES)


def check_interval(kind: str, value: str | None) -> str | None:
    """A subscription's price renews each month or year; other kinds' prices do not renew."""
    if kind == "subscription":
        if not value:
            raise CommerceInputError("interval", "a subscription's price needs month or year")
        return _choice("interval", value, INTERVALS)
    if value:
        raise CommerceInputError("interval", f"only a subscription renews; this is {kind}")
    return None


def check_trial_days(kind: str, value: int) -> int:
    """Free days before a subscription's first charge (0 to 365); none for other kinds."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TRIAL_DAYS:
        raise CommerceInputError("trial_days", f"must be a whole number from 0 to {MAX_TRIAL_DAYS}")
    if value and kind != "subscription":
        raise CommerceInputError("trial_days", f"only a subscription has a trial; this is {kind}")
    return value


def check_currency_code(field: str, code: str) -> str:
    """An ISO 4217 code, refused with the commerce error type."""
    try:
        return check_currency(field, code)
    except InputError as error:
        raise CommerceInputError(error.field, error.message) from None


def to_cents(field: str, value: Decimal | str) -> int:
    """An amount (text like 19.00 or a Decimal) as whole cents; fractions of a cent refused."""
    try:
        amount = read_amount(field, value) if isinstance(value, str) else value
        amount = check_storable(field, amount)
    except InputError as error:
        raise CommerceInputError(error.field, error.message) from None
    if amount != amount.quantize(CENT):
        raise CommerceInputError(field, f"{amount} has fractions of a cent; use two decimals")
    return int(amount * 100)


def from_cents(value: int) -> Decimal:
    """Whole cents as an amount with two decimals."""
    return (Decimal(value) / 100).quantize(CENT)


def check_cents(field: str, value: int, *, above: int | None = None) -> int:
    """Stored cents: a whole number of zero or more (above another when given)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CommerceInputError(field, "must be zero or more")
    if above is not None and value <= above:
        raise CommerceInputError(field, f"must be above the price ({from_cents(above)})")
    return value


def check_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code like DE or US."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _COUNTRY.match(code):
        raise CommerceInputError("country", f"{value!r} is not a two-letter country code like DE")
    return code


def check_region(value: str) -> str:
    """A region inside the country (a state or province code), or empty for all of it."""
    return check_text("region", value, 60).upper()


def check_percent(value: Decimal | str) -> Decimal:
    """A tax percent from 0 to 100 with at most four decimals."""
    try:
        number = Decimal(value.strip().rstrip("%")) if isinstance(value, str) else value
    except InvalidOperation:
        raise CommerceInputError("percent", f"{value!r} is not a number like 19") from None
    if not isinstance(number, Decimal) or not number.is_finite() or not 0 <= number <= 100:
        raise CommerceInputError("percent", "must be a number from 0 to 100")
    if number != number.quantize(Decimal("0.0001")):
        raise CommerceInputError("percent", "has more than four decimals")
    return number


def check_shipping(currency: str, shipping: Mapping[str, Decimal | str]) -> dict[str, int]:
    """Shipping per zone ("*": any other zone) as whole cents, zones in upper case."""
    checked: dict[str, int] = {}
    if len(shipping) > 50:
        raise CommerceInputError("shipping", "lists more than 50 zones")
    for zone, amount in shipping.items():
        name = zone.strip().upper() if isinstance(zone, str) else ""
        if not _ZONE.match(name):
            raise CommerceInputError("shipping", f"{zone!r} is not a zone like US, EU or *")
        checked[name] = check_whole(
            f"shipping.{name}", to_cents(f"shipping.{name}", amount), currency
        )
    return checked


def check_file_name(value: str) -> str:
    """The name a buyer downloads: letters, digits, spaces, dots, hyphens; no folders."""
    name = value.strip().replace("\\", "/").rsplit("/", 1)[-1] if isinstance(value, str) else ""
    if not name or name in (".", "..") or not _FILE_NAME.match(name):
        raise CommerceInputError(
            "name", f"{value[:60]!r} is not a file name like guide.pdf (letters, digits, . - _)"
        )
    return name


def _number(field: str, text: str | None) -> Decimal | None:
    """An optional amount or factor typed as text."""
    if text is None or not text.strip():
        return None
    try:
        value = read_amount(field, text)
    except InputError as error:
        raise CommerceInputError(error.field, error.message) from None
    return value


def rule_of(
    currency: str,
    ranges: Sequence[tuple[str, str | None, str | None, str | None]],
    ending: str | None = None,
    compare_at_factor: str | None = None,
) -> PriceRule:
    """A price rule from typed (start, end, multiplier, margin) ranges, checked by make_rule."""
    items = []
    for index, (start, end, multiplier, margin) in enumerate(ranges):
        where = f"ranges[{index}]"
        items.append(
            CostRange(
                _number(f"{where}.start", start) or Decimal(0),
                _number(f"{where}.end", end),
                _number(f"{where}.multiplier", multiplier),
                _number(f"{where}.margin", margin),
            )
        )
    return make_rule(
        currency,
        items,
        ending=_number("ending", ending),
        compare_at_factor=_number("compare_at_factor", compare_at_factor),
    )
