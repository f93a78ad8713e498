"""The journal as people look at it: transactions, the entries and hours behind a figure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.errors import NotFound
from evergreen.ledger.models import HoursEntry, JournalEntry, Posting, Stream
from evergreen.ledger.rules import (
    Figure,
    check_period,
    figure_of,
)

__all__ = [
    "EntryLine",
    "HoursLine",
    "Transaction",
    "entries_behind",
    "hours_behind",
    "hours_entries",
    "reversal_links",
    "transaction",
    "transactions",
]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class EntryLine:
    """A posting behind a figure, with its transaction's date and words."""

    transaction_id: int
    date: date
    narration: str
    payee: str
    account: str
    amount: Decimal
    currency: str
    source: str


def entries_behind(
    session: Session, stream: Stream, start: date, end: date, figure: Figure, limit: int = 500
) -> list[EntryLine]:
    """The postings that make up a stream's income, costs or capital in a period."""
    check_period(start, end)
    rows = session.execute(
        select(Posting, JournalEntry)
        .join(JournalEntry, JournalEntry.id == Posting.transaction_id)
        .where(
            Posting.stream_id == stream.id,
            Posting.currency == stream.currency,
            JournalEntry.date.between(start, end),
            JournalEntry.flag == "*",
        )
        .order_by(JournalEntry.date, JournalEntry.id, Posting.id)
    )
    out = []
    for posting, entry in rows:
        if figure_of(posting.account) is not figure:
            continue
        out.append(
            EntryLine(
                entry.id, entry.date, entry.narration, entry.payee, posting.account,
                posting.amount, posting.currency, entry.source,
            )
        )  # fmt: skip
        if len(out) == limit:
            break
    return out


@dataclass(frozen=True)
class Transaction:
    """A journal transaction with its postings and the reversal that undid it, if any."""

    entry: JournalEntry
    postings: list[Posting]
    reversed_by: int | None


def _with_postings(session: Session, entries: Sequence[JournalEntry]) -> list[Transaction]:
    ids = [entry.id for entry in entries]
    postings: dict[int, list[Posting]] = defaultdict(list)
    for posting in session.scalars(
        select(Posting).where(Posting.transaction_id.in_(ids)).order_by(Posting.id)
    ):
        postings[posting.transaction_id].append(posting)
    undone: dict[int, int] = {}
    for reversed_id, reversal_id in session.execute(
        select(JournalEntry.reverses_id, JournalEntry.id).where(JournalEntry.reverses_id.in_(ids))
    ):
        if reversed_id is not None:
            undone[reversed_id] = reversal_id
    return [Transaction(e, postings[e.id], undone.get(e.id)) for e in entries]


def transaction(session: Session, transaction_id: int) -> Transaction:
    """One transaction in full, or a 404 that says so."""
    entry = session.get(JournalEntry, transaction_id)
    if entry is None:
        raise NotFound("transaction", f"there is no transaction {transaction_id}")
    return _with_postings(session, [entry])[0]


def _period(column: Any, start: date | None, end: date | None) -> list[Any]:
    return [*([column >= start] if start else []), *([column <= end] if end else [])]


def transactions(
    session: Session,
    *,
    stream_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Transaction], int]:
    """A page of the journal, newest first (a stream's: any posting tagged with it), and how
    many transactions match in all."""
    where = _period(JournalEntry.date, start, end)
    if stream_id is not None:
        where.append(
            select(Posting.id)
            .where(Posting.transaction_id == JournalEntry.id, Posting.stream_id == stream_id)
            .exists()
        )
    count = session.scalar(select(func.count(JournalEntry.id)).where(*where)) or 0
    newest = (JournalEntry.date.desc(), JournalEntry.id.desc())
    page = session.scalars(
        select(JournalEntry).where(*where).order_by(*newest).limit(limit).offset(offset)
    )
    return _with_postings(session, list(page)), count


def hours_entries(
    session: Session,
    *,
    stream_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[HoursEntry], int]:
    """A page of the owner's time entries, newest first, and how many match in all."""
    where = _period(HoursEntry.date, start, end)
    if stream_id is not None:
        where.append(HoursEntry.stream_id == stream_id)
    count = session.scalar(select(func.count(HoursEntry.id)).where(*where)) or 0
    newest = (HoursEntry.date.desc(), HoursEntry.id.desc())
    page = session.scalars(
        select(HoursEntry).where(*where).order_by(*newest).limit(limit).offset(offset)
    )
    return list(page), count


@dataclass(frozen=True)
class HoursLine:
    """An hours entry behind a stream's hours figure."""

    id: int
    date: date
    hours: Decimal
    memo: str
    source: str


def hours_behind(
    session: Session, stream: Stream, start: date, end: date, limit: int = 1000
) -> list[HoursLine]:
    """The hours entries that make up a stream's hours in a period, oldest first."""
    check_period(start, end)
    rows = session.scalars(
        select(HoursEntry)
        .where(HoursEntry.stream_id == stream.id, HoursEntry.date.between(start, end))
        .order_by(HoursEntry.date, HoursEntry.id)
        .limit(limit)
    )
    return [HoursLine(h.id, h.date, h.hours, h.memo, h.source) for h in rows]


def reversal_links(
    session: Session, ids: Sequence[int]
) -> dict[int, tuple[int | None, int | None]]:
    """For each transaction: (the one it reverses, the one that reversed it), None where none."""
    if not ids:
        return {}
    wanted = list(set(ids))
    out: dict[int, tuple[int | None, int | None]] = dict.fromkeys(wanted, (None, None))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for entry_id, reverses in session.execute(
            select(JournalEntry.id, JournalEntry.reverses_id).where(JournalEntry.id.in_(chunk))
        ):
            out[entry_id] = (reverses, out[entry_id][1])
        for entry_id, reversed_id in session.execute(
            select(JournalEntry.id, JournalEntry.reverses_id).where(
                JournalEntry.reverses_id.in_(chunk)
            )
        ):
            assert reversed_id is not None
            out[reversed_id] = (out[reversed_id][0], entry_id)
    return out
