"""Writes another system may retry: the caller's idempotency key makes a retry answer the entry
stored the first time (and say so) instead of posting it twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.errors import Conflict
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import HoursEntry, JournalEntry, Stream
from evergreen.ledger.rules import Leg, daily_figures, parse_hours
from evergreen.ledger.service.entries import add_capital, add_cost, add_income
from evergreen.ledger.service.hours import add_hours
from evergreen.ledger.service.journal import EntryDraft, legs_of, post

__all__ = ["EntryKind", "Keyed", "add_entry_once", "add_hours_once", "post_once", "source_key"]

T = TypeVar("T")
# Callers' keys live beside the automatic postings' keys ("networks:earning:…"), never on them.
_PREFIX = "api:"
MAX_KEY = 200 - len(_PREFIX)


class EntryKind(StrEnum):
    """The owner's three kinds of entry (the CLI's --type, plus capital)."""

    INCOME = "income"
    COST = "cost"
    CAPITAL = "capital"


@dataclass(frozen=True)
class Keyed(Generic[T]):
    """What a write stored, and whether this call stored it (False: a retry of an earlier one)."""

    row: T
    created: bool


def source_key(key: str) -> str:
    """The stored key of a caller's idempotency key: 1-196 printable characters."""
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise LedgerInputError(
            "idempotency_key", f"must be 1 to {MAX_KEY} printable characters, e.g. a UUID"
        )
    return _PREFIX + key


def _different(what: str, stored_id: int) -> Conflict:
    return Conflict(
        "idempotency_key",
        f"was used for a different {what} ({stored_id}); send a new key for a new one",
    )


def _inserted(session: Session, write: Callable[[], T]) -> Keyed[T]:
    """Run a write and say whether it inserted the row it answers: when another request with
    the same key committed first, the services answer that request's row instead."""
    inserted: list[object] = []

    def note(_session: Session, instance: object) -> None:
        inserted.append(instance)

    event.listen(session, "pending_to_persistent", note)
    try:
        row = write()
    finally:
        event.remove(session, "pending_to_persistent", note)
    return Keyed(row, created=any(each is row for each in inserted))


def _figures(
    kind: EntryKind, stream: Stream, on: date, amount: Decimal
) -> dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal, int]]:
    """What an entry of this kind adds to the daily figures (how a retry is recognised)."""
    zero = Decimal(0)
    moved = {
        EntryKind.INCOME: (amount, zero, zero),
        EntryKind.COST: (zero, amount, zero),
        EntryKind.CAPITAL: (zero, zero, amount),
    }[kind]
    return {(stream.id, on, stream.currency): (*moved, 1)}


def add_entry_once(
    session: Session,
    kind: EntryKind,
    stream: Stream,
    on: date,
    amount: Decimal,
    memo: str = "",
    key: str | None = None,
) -> Keyed[JournalEntry]:
    """Income, a cost or capital, posted once per key; a key sent before for another entry is
    a conflict rather than a silent answer about something else."""
    add = {EntryKind.INCOME: add_income, EntryKind.COST: add_cost, EntryKind.CAPITAL: add_capital}
    if key is None:
        return Keyed(add[kind](session, stream, on, amount, memo, source="api"), created=True)
    stored_key = source_key(key)
    keyed = _inserted(
        session,
        lambda: add[kind](session, stream, on, amount, memo, source="api", source_key=stored_key),
    )
    if not keyed.created:
        stored = keyed.row
        if stored.date != on or daily_figures(stored.date, legs_of(session, stored)) != _figures(
            kind, stream, on, amount
        ):
            raise _different("entry", stored.id)
    return keyed


def _sorted(legs: list[Leg]) -> list[tuple[str, int, str, Decimal]]:
    return sorted((leg.account, leg.stream_id or 0, leg.currency, leg.amount) for leg in legs)


def post_once(session: Session, draft: EntryDraft) -> Keyed[JournalEntry]:
    """A balanced transaction posted once per key (draft.source_key is the caller's key)."""
    if draft.source_key is None:
        return Keyed(post(session, draft), created=True)
    stored_key = source_key(draft.source_key)
    keyed_draft = EntryDraft(
        draft.date, draft.legs, draft.narration, draft.payee, draft.flag, draft.source, stored_key
    )
    keyed = _inserted(session, lambda: post(session, keyed_draft))
    if not keyed.created:
        stored = keyed.row
        if stored.date != draft.date or _sorted(legs_of(session, stored)) != _sorted(
            list(draft.legs)
        ):
            raise _different("transaction", stored.id)
    return keyed


def add_hours_once(
    session: Session,
    stream: Stream,
    on: date,
    hours: Decimal,
    memo: str = "",
    key: str | None = None,
) -> Keyed[HoursEntry]:
    """Time on a stream recorded once per key, even when two retries arrive at once."""
    if key is None:
        return Keyed(add_hours(session, stream, on, hours, memo, source="api"), created=True)
    stored_key = source_key(key)

    def add() -> HoursEntry:
        return add_hours(session, stream, on, hours, memo, source="api", source_key=stored_key)

    try:
        with session.begin_nested():
            keyed = _inserted(session, add)
    except IntegrityError:  # a concurrent retry inserted it between the check and the insert
        stored = session.scalar(select(HoursEntry).where(HoursEntry.source_key == stored_key))
        if stored is None:
            raise
        keyed = Keyed(stored, created=False)
    row = keyed.row
    if not keyed.created and (
        row.stream_id != stream.id or row.date != on or row.hours != parse_hours(hours)
    ):
        raise _different("time entry", row.id)
    return keyed
