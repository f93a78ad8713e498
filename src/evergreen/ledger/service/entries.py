"""The owner's own entries: income, a cost, capital put in or taken out of a stream, an asset
bought or put in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import JournalEntry, Stream
from evergreen.ledger.rules import (
    ASSETS_PUT_IN,
    BANK,
    CAPITAL,
    CAPITAL_ASSETS,
    Leg,
    check_account,
    check_account_in,
    check_memo,
    is_capital_asset,
)
from evergreen.ledger.service.journal import EntryDraft, post

__all__ = ["PAID_BY", "add_asset", "add_capital", "add_cost", "add_income"]

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
    check_memo(memo)
    check_account_in(account, "Income")
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
    check_memo(memo)
    check_account_in(account, "Expenses")
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
    check_memo(memo)
    legs = [
        Leg(BANK, amount, stream.currency, stream.id),
        Leg(CAPITAL, -amount, stream.currency, stream.id),
    ]
    words = memo or ("Capital put in" if amount > 0 else "Capital taken out")
    return post(
        session, EntryDraft(on, legs, narration=words, source=source, source_key=source_key)
    )


PAID_BY = ("stream", "owner")


def add_asset(
    session: Session,
    stream: Stream,
    on: date,
    amount: Decimal,
    account: str,
    memo: str = "",
    *,
    paid_by: str = "stream",
    source: str = "manual",
    source_key: str | None = None,
) -> JournalEntry:
    """An asset the stream holds (+) or no longer holds (-): bought with the stream's money
    (against Assets:Bank) or put in by the owner (against Equity:Assets-Put-In, so it counts
    once, as an asset). Either way its balance is capital employed in the stream."""
    check_memo(memo)
    check_account(account)
    if not is_capital_asset(account):
        raise LedgerInputError(
            "account",
            f"{account[:60]!r} is not an asset account of the stream; use one under "
            f"{', '.join(CAPITAL_ASSETS)}, e.g. Assets:Equipment:Camera",
        )
    if paid_by not in PAID_BY:
        raise LedgerInputError("paid_by", f"must be {' or '.join(PAID_BY)}")
    other = BANK if paid_by == "stream" else ASSETS_PUT_IN
    legs = [
        Leg(account, amount, stream.currency, stream.id),
        Leg(other, -amount, stream.currency, stream.id),
    ]
    verbs = {("stream", True): "bought", ("stream", False): "sold",
             ("owner", True): "put in", ("owner", False): "taken out"}  # fmt: skip
    words = memo or f"{account} {verbs[(paid_by, amount > 0)]}"
    return post(
        session, EntryDraft(on, legs, narration=words, source=source, source_key=source_key)
    )
