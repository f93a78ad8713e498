"""What tests of automatic postings read back: the journal as plain tuples, the streams'
figures from the report, and a ledger emptied to stand for one that predates the feeds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from evergreen.ledger import queries
from evergreen.ledger.models import DailyFigures, FeedState, JournalEntry, Posting, Stream
from evergreen.ledger.rules import Rates
from evergreen.links.models import Link
from evergreen.networks.models import Network
from evergreen.partners.models import Program

Entry = tuple[str | None, date, str, tuple[tuple[str, Decimal, str, str | None], ...]]
FREE = Rates(Decimal(0), Decimal(0))  # no time or capital charge: figures are money only


def journal(session: Session) -> list[Entry]:
    """(key, date, flag, legs with the stream's name) of every transaction, in order."""
    names = {s.id: s.name for s in session.scalars(select(Stream))}
    out: list[Entry] = []
    for entry in session.scalars(select(JournalEntry).order_by(JournalEntry.id)):
        postings = session.scalars(
            select(Posting).where(Posting.transaction_id == entry.id).order_by(Posting.id)
        )
        legs = tuple(
            (p.account, Decimal(p.amount).normalize(), p.currency,
             names.get(p.stream_id) if p.stream_id else None)
            for p in postings
        )  # fmt: skip
        out.append((entry.source_key, entry.date, entry.flag, legs))
    return out


def keys(session: Session) -> list[str | None]:
    """The keys of every transaction, in order."""
    return [key for key, *_ in journal(session)]


def income(session: Session, start: date, end: date) -> dict[str, Decimal]:
    """Each stream's income in [start, end], from the report (the home page's figures)."""
    report = queries.report(session, start, end, FREE)
    return {row.name: row.figures.income for row in report.rows}


def costs(session: Session, start: date, end: date) -> dict[str, Decimal]:
    """Each stream's costs in [start, end], from the report."""
    report = queries.report(session, start, end, FREE)
    return {row.name: row.figures.costs for row in report.rows}


def forget_ledger(session: Session) -> None:
    """Empty the ledger and every stream reference, as in a database from before the feeds."""
    for table in (FeedState, DailyFigures, Posting):
        session.execute(delete(table))
    session.execute(update(JournalEntry).values(reverses_id=None))
    session.execute(delete(JournalEntry))
    for model in (Network, Program, Link):
        session.execute(update(model).values(stream_id=None))
    session.execute(delete(Stream))
    session.expire_all()
