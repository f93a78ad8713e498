"""The whole journal read for an export: streamed in date order, never held in memory at once."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from itertools import groupby
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from evergreen.ledger.exports.beancount import BeanEntry, BeanHours, BeanLeg, Journal, header_lines
from evergreen.ledger.models import HoursEntry, JournalEntry, Posting, Preferences, Stream

__all__ = ["write_beancount"]

_BATCH = 5000


def _entries(session: Session) -> Iterator[BeanEntry]:
    """Transactions with their legs, by date then id, read in batches of rows."""
    reversal = aliased(JournalEntry)
    rows = session.execute(
        select(
            JournalEntry.id, JournalEntry.date, JournalEntry.flag, JournalEntry.payee,
            JournalEntry.narration, JournalEntry.source, JournalEntry.source_key,
            JournalEntry.reverses_id, reversal.id, Posting.account, Posting.amount,
            Posting.currency, Posting.stream_id,
        )
        .join(Posting, Posting.transaction_id == JournalEntry.id)
        .outerjoin(reversal, reversal.reverses_id == JournalEntry.id)
        .order_by(JournalEntry.date, JournalEntry.id, Posting.id)
        .execution_options(yield_per=_BATCH)
    )  # fmt: skip
    for _id, group in groupby(rows, key=lambda row: row[0]):
        legs = list(group)
        first = legs[0]
        yield BeanEntry(
            id=first[0], date=first[1], flag=first[2], payee=first[3], narration=first[4],
            source=first[5], source_key=first[6], reverses_id=first[7], reversed_by=first[8],
            legs=[BeanLeg(row[9], row[10], row[11], row[12]) for row in legs],
        )  # fmt: skip


def _hours(session: Session) -> Iterator[BeanHours]:
    rows = session.execute(
        select(HoursEntry.date, HoursEntry.stream_id, HoursEntry.hours, HoursEntry.memo)
        .order_by(HoursEntry.date, HoursEntry.id)
        .execution_options(yield_per=_BATCH)
    )
    for day, stream_id, hours, memo in rows:
        yield BeanHours(day, stream_id, hours, memo)


def write_beancount(session: Session, out: TextIO, title: str = "Evergreen") -> int:
    """Write the whole journal and the owner's hours as beancount to `out`; the entry count.

    Transactions go to a temporary file first, so the `open` and `commodity` directives written
    above them are exactly those the transactions use, read in one pass.
    """
    streams = [(s.id, s.name) for s in session.scalars(select(Stream).order_by(Stream.id))]
    preferences = session.scalar(select(Preferences).order_by(Preferences.id).limit(1))
    currency = preferences.currency if preferences is not None else "USD"
    journal = Journal(streams)
    count = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for entry in _entries(session):
            count += 1
            spool.writelines(f"{line}\n" for line in journal.transaction(entry))
        out.writelines(f"{line}\n" for line in header_lines(title, currency))
        out.writelines(f"{line}\n" for line in journal.openings())
        spool.seek(0)
        shutil.copyfileobj(spool, out)
    out.writelines(f"{journal.hours(item)}\n" for item in _hours(session))
    return count
