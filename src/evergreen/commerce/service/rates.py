"""The owner's exchange rates (a small table on the suppliers page): a supplier's cost and
shipping in another currency than the checkout's is converted, not refused; a product set up
without the rate it needs is refused then, with the rate to set, never at checkout."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import BundleItem, ExchangeRate, Price, Product
from evergreen.commerce.rules.products import check_currency_code
from evergreen.commerce.rules.shipping import check_rate, missing_rate
from evergreen.db import utcnow, write_unless_taken
from evergreen.errors import Conflict, NotFound

__all__ = [
    "check_rates",
    "list_rates",
    "prices_of",
    "rates",
    "remove_rate",
    "set_rate",
    "supplied",
]


def set_rate(session: Session, base: str, quote: str, rate: str | Decimal) -> ExchangeRate:
    """Set what 1 `base` costs in `quote` (a new pair, or a new rate for a known one)."""
    base = check_currency_code("base", base)
    quote = check_currency_code("quote", quote)
    if base == quote:
        raise CommerceInputError("quote", "a rate is between two different currencies")
    value = check_rate(rate)
    row = session.scalar(
        select(ExchangeRate).where(ExchangeRate.base == base, ExchangeRate.quote == quote)
    )
    if row is None:
        row = ExchangeRate(base=base, quote=quote)

    def write() -> None:
        row.rate, row.updated_at = value, utcnow()
        session.add(row)

    def taken() -> bool:  # the same pair added at the same moment
        clash = select(ExchangeRate.id).where(
            ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.id != (row.id or 0)
        )
        return session.scalar(clash) is not None

    if not write_unless_taken(session, write, taken):
        raise Conflict("base", f"a {base} to {quote} rate was just added; try again")
    return row


def remove_rate(session: Session, rate_id: int) -> None:
    """Remove a rate (products needing it stop shipping in that currency until it is set)."""
    row = session.get(ExchangeRate, rate_id)
    if row is None:
        raise NotFound("rate", "no such exchange rate")
    session.delete(row)
    session.flush()


def list_rates(session: Session) -> list[ExchangeRate]:
    """Every rate by currency pair."""
    query = select(ExchangeRate).order_by(ExchangeRate.base, ExchangeRate.quote)
    return list(session.scalars(query))


def rates(session: Session) -> dict[tuple[str, str], Decimal]:
    """(base, quote) → rate, as the shipping rules read them."""
    return {(r.base, r.quote): Decimal(r.rate) for r in list_rates(session)}


def supplied(session: Session, product: Product) -> list[tuple[str, str | None]]:
    """(name, supplier currency) of the physical products a product ships (itself, or a
    bundle's items)."""
    if product.kind == "physical":
        return [(product.name, product.supplier_currency)]
    if product.kind != "bundle":
        return []
    query = (
        select(Product.name, Product.supplier_currency)
        .join(BundleItem, BundleItem.product_id == Product.id)
        .where(BundleItem.bundle_id == product.id, Product.kind == "physical")
    )
    return [(name, currency) for name, currency in session.execute(query)]


def prices_of(session: Session, product_id: int) -> list[str]:
    """The currencies a product is priced in."""
    return list(session.scalars(select(Price.currency).where(Price.product_id == product_id)))


def check_rates(
    session: Session,
    field: str,
    items: Sequence[tuple[str, str | None]],
    currencies: Sequence[str],
) -> None:
    """Refuse a product setup where a supplier prices in a currency with no rate to one the
    product sells in (said now, at setup, so that no checkout meets it)."""
    known = rates(session)
    for name, base in items:
        for currency in currencies:
            if message := missing_rate(base, currency, known):
                said = f"{name}'s supplier prices in {base}, it sells in {currency}: {message}"
                raise CommerceInputError(field, said)
