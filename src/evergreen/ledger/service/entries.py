"""The owner's own entries: income, a cost, capital put in or taken out of a stream."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from evergreen.ledger.models import JournalEntry, Stream
from evergreen.ledger.rules import BANK, CAPITAL, Leg, check_account
from evergreen.ledger.service.journal import EntryDraft, post

__all__ = ["add_capital", "add_cost", "add_income"]

INCOME = "Income:Other"
COSTS = "Expenses:Other"


def add_income(
    session: Session,
    stream: Stream,
    on: date,
    amount: Decimal,
    memo: str = "",
    *,
    account: str = INCOME,
    source: str = "manual",
    source_key: str | None = None,
) -> JournalEntry:
    """Money earned by a stream: Assets:Bank up, an Income account credited."""
    check_account(account)
    legs = [
        Leg(BANK, amount, stream.currency, stream.id),
        Leg(account, -amount, stream.currency, stream.id),
    ]
    return post(
        session,
        EntryDraft(on, legs, narration=memo, source=source, source_key=source_key),
    )


def add_cost(
    session: Session,
    stream: Stream,
    on: date,
    amount: Decimal,
    memo: str = "",
    *,
    account: str = COSTS,
    source: str = "manual",
    source_key: str | None = None,
) -> JournalEntry:
    """Money a stream cost: an Expenses account debited, Assets:Bank down."""
    check_account(account)
    legs = [
        Leg(account, amount, stream.currency, stream.id),
        Leg(BANK, -amount, stream.currency, stream.id),
    ]
    return post(
        session,
        EntryDraft(on, legs, narration=memo, source=source, source_key=source_key),
    )


def add_capital(
    session: Session,
    stream: Stream,
    on: date,
    amount: Decimal,
    memo: str = "",
    *,
    source: str = "manual",
    source_key: str | None = None,
) -> JournalEntry:
    """Capital put into a stream (+) or taken out (-): the owner's equity in it moves."""
    legs = [
        Leg(BANK, amount, stream.currency, stream.id),
        Leg(CAPITAL, -amount, stream.currency, stream.id),
    ]
    words = memo or ("Capital put in" if amount > 0 else "Capital taken out")
    return post(
        session, EntryDraft(on, legs, narration=words, source=source, source_key=source_key)
    )
