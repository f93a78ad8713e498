"""What the ledger's pages share: reading rates from a form, and showing money and hours."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl, urlencode

from fastapi.responses import RedirectResponse

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules import check_memo, parse_rate
from evergreen.money import cents

__all__ = [
    "OUTCOMES", "back_to", "hours", "memo", "money", "optional_rate", "percent", "required_rate",
]  # fmt: skip

_ZERO, _ONE = Decimal(0), Decimal(1)
# As the command line reads them: an hour is worth 0 to 100 000, a yearly return is 0 to 1.
_BOUNDS = {
    "hourly_rate": (_ZERO, Decimal(100_000), "75"),
    "required_return": (_ZERO, _ONE, "0.08 for 8 % a year"),
    "passive_hours": (_ZERO, Decimal(744), "5"),
}
_PLACES = {"passive_hours": 2}  # as stored (parse_rate allows 4 places, as money is stored)
_PAGES = ("/", "/ledger/streams", "/ledger/preferences")
# What a page's address says about the form just sent; not kept when the form comes back.
OUTCOMES = ("done", "problem", "demo")


def memo(text: str) -> str:
    """A memo typed in a box, its runs of spaces and line breaks made one space, checked by the
    rule every stored memo passes (one limit, one message)."""
    return check_memo(" ".join(text.split()))


def optional_rate(text: str, field: str) -> Decimal | None:
    """A rate typed in a box, or None when the box was left empty."""
    if not text.strip():
        return None
    low, high, example = _BOUNDS[field]
    value = parse_rate(text, field, low=low, high=high, example=example)
    _sign, _digits, exponent = value.as_tuple()
    places = _PLACES.get(field)
    if places is not None and isinstance(exponent, int) and -exponent > places:
        raise LedgerInputError(field, f"has more than {places} decimal places")
    return value


def required_rate(text: str, field: str) -> Decimal:
    """A rate that must be given."""
    value = optional_rate(text, field)
    if value is None:
        example = _BOUNDS[field][2]
        raise LedgerInputError(field, f"is empty; type a number, e.g. {example}")
    return value


def back_to(target: str, default: str, **words: str) -> RedirectResponse:
    """Back to the page a form was on (one of the ledger's own, never another site), its query
    kept, saying what happened by a fixed word (`done=…` or `problem=…`)."""
    path, _, query = target.partition("?")
    if path not in _PAGES:
        path, query = default, ""
    kept = [(k, v) for k, v in parse_qsl(query) if k not in OUTCOMES]
    address = f"{path}?{urlencode([*kept, *words.items()])}" if kept or words else path
    return RedirectResponse(address, status_code=303)


def money(value: Decimal) -> str:
    """An amount to the cent with thousands grouped: 12,345.60 (never -0.00)."""
    return f"{cents(value) + 0:,.2f}"


def hours(value: Decimal) -> str:
    """Hours to the hundredth: 12.25."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP) + 0:f}"


def percent(value: Decimal | None) -> str:
    """A fraction as a percentage: 0.08 reads 8 %."""
    if value is None:
        return "—"
    return f"{(value * 100).normalize():f} %"
