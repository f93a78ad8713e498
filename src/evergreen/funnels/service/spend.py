"""Ad spend of a funnel: the only writer of that table. A day, campaign and source entered or
imported again replaces what was there; a file with any bad row stores nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.models import AdSpend
from evergreen.funnels.rules import SpendReading, SpendRow
from evergreen.funnels.service.funnels import get_funnel

__all__ = ["SpendRefused", "import_spend", "put_spend"]


class SpendRefused(FunnelInputError):
    """A spend file with bad rows: every one of them, by line and column; nothing stored."""

    def __init__(self, reading: SpendReading) -> None:
        first = reading.errors[0]
        more = f" (and {len(reading.errors) - 1} more)" if len(reading.errors) > 1 else ""
        super().__init__(first.field, f"line {first.line}: {first.message}{more}")
        self.line = first.line
        self.reading = reading


def _currency(session: Session, funnel_id: int, rows: Sequence[SpendRow]) -> None:
    """One currency per funnel's spend, so the liquidation ratio never adds unlike money."""
    stored = session.scalar(select(AdSpend.currency).where(AdSpend.funnel_id == funnel_id).limit(1))
    codes = {row.currency for row in rows} | ({stored} if stored else set())
    if len(codes) > 1:
        raise FunnelInputError(
            "currency",
            f"a funnel's ad spend is in one currency ({stored or sorted(codes)[0]}); got "
            f"{', '.join(sorted(codes))}",
        )


def put_spend(session: Session, funnel_id: int, rows: Sequence[SpendRow]) -> int:
    """Store rows of spend, each replacing the same day, campaign and source; how many."""
    get_funnel(session, funnel_id)
    _currency(session, funnel_id, rows)
    latest = {(r.day, r.campaign, r.source): r for r in rows}  # the last of a repeated key
    for (day, campaign, source), row in latest.items():
        found = session.scalar(
            select(AdSpend).where(
                AdSpend.funnel_id == funnel_id,
                AdSpend.day == day,
                AdSpend.campaign == campaign,
                AdSpend.source == source,
            )
        )
        if found is None:
            found = AdSpend(funnel_id=funnel_id, day=day, campaign=campaign, source=source)
            session.add(found)
        found.amount_cents, found.currency = row.amount_cents, row.currency
    session.flush()
    return len(latest)


def import_spend(session: Session, funnel_id: int, reading: SpendReading) -> int:
    """A whole spend file, or nothing when any row was refused."""
    if reading.errors:
        raise SpendRefused(reading)
    return put_spend(session, funnel_id, reading.rows)
