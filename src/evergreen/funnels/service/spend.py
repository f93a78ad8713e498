"""Ad spend of a funnel: the only writer of that table. A day, campaign and source entered or
imported again replaces what was there; a file with any bad row stores nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.models import AdSpend
from evergreen.funnels.rules import SpendReading, SpendRow, spend_key
from evergreen.funnels.service.funnels import get_funnel

__all__ = ["SpendRefused", "import_spend", "put_spend"]

Key = tuple[date, str, str]


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


def _stored(session: Session, funnel_id: int, rows: Sequence[SpendRow]) -> dict[Key, AdSpend]:
    """The funnel's stored spend on the rows' days, by key; rows stored before keys ignored
    case that differ only in case are merged into the first (the others deleted), so a
    re-import replaces them all rather than adding to them."""
    if not rows:
        return {}
    days = [row.day for row in rows]
    query = (
        select(AdSpend)
        .where(AdSpend.funnel_id == funnel_id, AdSpend.day.between(min(days), max(days)))
        .order_by(AdSpend.id)
    )
    stored: dict[Key, AdSpend] = {}
    wanted = {row.key for row in rows}
    for found in session.scalars(query):
        key = spend_key(found.day, found.campaign, found.source)
        if key not in wanted:
            continue
        if key in stored:
            session.delete(found)
        else:
            stored[key] = found
    return stored


def put_spend(session: Session, funnel_id: int, rows: Sequence[SpendRow]) -> int:
    """Store rows of spend, each replacing the same day, campaign and source in any letter
    case (the first spelling stored is kept for display); how many. The funnel is held first:
    two imports at once otherwise each checked the currency and the stored rows before the
    other committed (a second currency kept, or a duplicate row refused by the unique key)."""
    get_funnel(session, funnel_id, lock=True)
    _currency(session, funnel_id, rows)
    latest: dict[Key, SpendRow] = {}
    for row in rows:  # the last of a repeated key counts, under the first spelling seen
        first = latest.get(row.key, row)
        latest[row.key] = replace(row, campaign=first.campaign, source=first.source)
    stored = _stored(session, funnel_id, rows)
    session.flush()  # merged duplicates go before a kept row could collide with them
    for key, row in latest.items():
        found = stored.get(key)
        if found is None:
            found = AdSpend(
                funnel_id=funnel_id, day=row.day, campaign=row.campaign, source=row.source
            )
            session.add(found)
        found.amount_cents, found.currency = row.amount_cents, row.currency
    session.flush()
    return len(latest)


def import_spend(session: Session, funnel_id: int, reading: SpendReading) -> int:
    """A whole spend file, or nothing when any row was refused."""
    if reading.errors:
        raise SpendRefused(reading)
    return put_spend(session, funnel_id, reading.rows)
