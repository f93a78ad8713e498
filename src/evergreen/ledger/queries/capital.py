"""Capital employed in a stream split into what the owner put in and what the stream owns
(the balances of its non-money Assets accounts), for its page and its value."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from evergreen.ledger.models import JournalEntry, Posting, Stream
from evergreen.ledger.queries.rollup import capital_before
from evergreen.ledger.rules import CAPITAL_ASSETS, is_capital_asset

__all__ = ["CapitalSplit", "asset_balances", "capital_split"]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class CapitalSplit:
    """A stream's capital at a day's end: contributed (money put in, less taken out) plus the
    balance of each asset account tagged to it."""

    as_of: date
    total: Decimal
    assets: tuple[tuple[str, Decimal], ...]  # (account, balance), accounts with a balance

    @property
    def in_assets(self) -> Decimal:
        """The part of capital held as assets."""
        return sum((balance for _account, balance in self.assets), _ZERO)

    @property
    def contributed(self) -> Decimal:
        """The part put in as money (Equity:Capital), net of what was taken out."""
        return self.total - self.in_assets


def asset_balances(session: Session, stream: Stream, as_of: date) -> dict[str, Decimal]:
    """Each CAPITAL_ASSETS account's balance for the stream at the end of `as_of` (cleared
    entries only): the postings of those accounts, few beside the bank's, summed exactly."""
    held = [
        or_(Posting.account == name, Posting.account.startswith(name + ":"))
        for name in CAPITAL_ASSETS
    ]
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for account, amount in session.execute(
        select(Posting.account, Posting.amount)
        .join(JournalEntry, JournalEntry.id == Posting.transaction_id)
        .where(
            Posting.stream_id == stream.id,
            Posting.currency == stream.currency,
            or_(*held),
            and_(JournalEntry.flag == "*", JournalEntry.date <= as_of),
        )
    ):
        if is_capital_asset(account):
            balances[account] += Decimal(amount).quantize(Decimal("0.0001"))
    return {account: balance for account, balance in sorted(balances.items()) if balance != 0}


def capital_split(session: Session, stream: Stream, as_of: date) -> CapitalSplit:
    """Capital at the end of `as_of` (from the rollup) and the asset balances inside it."""
    return CapitalSplit(
        as_of,
        capital_before(session, [stream.id], as_of + timedelta(days=1)).get(stream.id, _ZERO),
        tuple(asset_balances(session, stream, as_of).items()),
    )
