"""The owner's tax rates per country or region: a table they keep, not a tax engine."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import TaxRate
from evergreen.commerce.rules.products import check_country, check_percent, check_region
from evergreen.db import write_unless_taken
from evergreen.errors import Conflict, NotFound

__all__ = ["TaxDraft", "add_tax_rate", "list_tax_rates", "remove_tax_rate", "update_tax_rate"]


@dataclass(frozen=True)
class TaxDraft:
    """A tax rate as entered: country, optional region, percent, inclusive or not."""

    country: str
    percent: Decimal | str
    region: str = ""
    inclusive: bool = False


def list_tax_rates(session: Session) -> list[TaxRate]:
    """Every rate, by country then region."""
    return list(session.scalars(select(TaxRate).order_by(TaxRate.country, TaxRate.region)))


def _apply(session: Session, row: TaxRate, draft: TaxDraft) -> TaxRate:
    country, region = check_country(draft.country), check_region(draft.region)
    percent, inclusive = check_percent(draft.percent), bool(draft.inclusive)

    def write() -> None:
        row.country, row.region, row.percent, row.inclusive = country, region, percent, inclusive
        session.add(row)

    def taken() -> bool:
        clash = select(TaxRate.id).where(
            TaxRate.country == country, TaxRate.region == region, TaxRate.id != (row.id or 0)
        )
        return session.scalar(clash) is not None

    if not write_unless_taken(session, write, taken):
        where = f"{country}{'-' + region if region else ''}"
        raise Conflict("country", f"{where} already has a tax rate; change that one")
    return row


def add_tax_rate(session: Session, draft: TaxDraft) -> TaxRate:
    """A new rate; one per country and region."""
    return _apply(session, TaxRate(), draft)


def _rate(session: Session, rate_id: int) -> TaxRate:
    row = session.get(TaxRate, rate_id)
    if row is None:
        raise NotFound("rate_id", f"no tax rate {rate_id}")
    return row


def update_tax_rate(session: Session, rate_id: int, draft: TaxDraft) -> TaxRate:
    """Change a rate as a new one would be checked."""
    return _apply(session, _rate(session, rate_id), draft)


def remove_tax_rate(session: Session, rate_id: int) -> None:
    """Remove a rate."""
    session.delete(_rate(session, rate_id))
    session.flush()
