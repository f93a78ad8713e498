"""The journal's one writer: balanced transactions posted once, reversals, and the daily rollup.

Every area posts through `post`; a `source_key` makes a replay return the stored transaction
instead of a second one, and the rollup changes in the same transaction as the postings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import Conflict, NotFound
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import JournalEntry, Posting, Stream
from evergreen.ledger.queries.rollup import capital_before, capital_moved
from evergreen.ledger.rules import (
    MAX_AMOUNT,
    Leg,
    check_account,
    check_balanced,
    check_capital_left,
    check_entry_day,
    check_rollup_amount,
    daily_figures,
    daily_figures_many,
    reversal_of,
    to_units,
)
from evergreen.money import MAX_PLACES, check_currency, check_storable

__all__ = ["EntryDraft", "legs_of", "post", "post_many", "reverse", "stored_keys"]

_LIMIT = MAX_AMOUNT


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """A transaction to post: its date, words, legs and, for automatic postings, a key."""

    date: date
    legs: Sequence[Leg]
    narration: str = ""
    payee: str = ""
    flag: str = "*"
    source: str = "manual"
    source_key: str | None = None
    reverses_id: int | None = field(default=None)


def _checked(session: Session, draft: EntryDraft, currencies: dict[int, str]) -> None:
    if draft.flag not in ("*", "!"):
        raise LedgerInputError("flag", "must be * (cleared) or ! (pending)")
    if len(draft.narration) > 500 or len(draft.payee) > 200:
        raise LedgerInputError("narration", "is too long (500 characters, payee 200)")
    check_entry_day(draft.date)
    for leg in draft.legs:
        check_account(leg.account)
        check_currency("currency", leg.currency)
        check_storable("amount", abs(leg.amount))
        check_rollup_amount(leg.amount)
        if leg.stream_id is not None:
            if leg.stream_id not in currencies:
                stream = session.get(Stream, leg.stream_id)
                if stream is None:
                    raise NotFound("stream", f"there is no stream {leg.stream_id}")
                currencies[leg.stream_id] = stream.currency
            if currencies[leg.stream_id] != leg.currency:
                raise LedgerInputError(
                    "currency",
                    f"{leg.currency} cannot be posted to a {currencies[leg.stream_id]} stream; "
                    "convert it first",
                )
    check_balanced(draft.legs)


def post(session: Session, draft: EntryDraft) -> JournalEntry:
    """Store a balanced transaction and its rollup, or return the one already stored under
    the same `source_key` (so replays from networks, partners and imports post once)."""
    if draft.source_key is not None:
        stored = session.scalar(
            select(JournalEntry).where(JournalEntry.source_key == draft.source_key)
        )
        if stored is not None:
            return stored
    _checked(session, draft, {})
    if draft.flag == "*":
        _check_capital_left(session, daily_figures(draft.date, draft.legs))
    try:
        with session.begin_nested():
            entry = _store(session, draft)
    except IntegrityError:
        if draft.source_key is None:
            raise Conflict("transaction", "this transaction was reversed already") from None
        stored = session.scalar(
            select(JournalEntry).where(JournalEntry.source_key == draft.source_key)
        )
        if stored is None:
            raise
        return stored
    return entry


def post_many(session: Session, drafts: Sequence[EntryDraft]) -> int:
    """Post a batch (imports, the demo, benchmarks): checks made once per batch, ids taken in
    one step, transactions, postings and one rollup upsert per (stream, day, currency) through
    the driver's executemany; drafts whose key is stored already are skipped."""
    seen = stored_keys(session, [d.source_key for d in drafts if d.source_key is not None])
    fresh = []
    for draft in drafts:
        if draft.source_key is not None:
            if draft.source_key in seen:
                continue
            seen.add(draft.source_key)  # a key twice in one batch posts once too
        fresh.append(draft)
    if not fresh:
        return 0
    _checked_batch(session, fresh)
    # pending entries stay out of the figures until they clear
    totals = daily_figures_many((d.date, d.legs) for d in fresh if d.flag == "*")
    _check_capital_left(session, totals)
    ids = _new_ids(session, len(fresh))
    _insert_transactions(session, ids, fresh)
    _insert_postings(session, ids, fresh)
    _add_to_rollup(session, totals)
    return len(fresh)


def stored_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of these source keys the journal holds: a query per 900 keys on SQLite (its
    bound-parameter limit), one per 20,000 on PostgreSQL, straight through the driver."""
    connection = session.connection()
    found: set[str] = set()
    if connection.dialect.name == "postgresql":
        sql = "SELECT source_key FROM ledger_transactions WHERE source_key = ANY(%s)"
        for start in range(0, len(keys), 20_000):
            wanted = list(keys[start : start + 20_000])
            found.update(row[0] for row in connection.exec_driver_sql(sql, (wanted,)))
        return found
    for start in range(0, len(keys), 900):
        chunk = tuple(keys[start : start + 900])
        sql = (
            "SELECT source_key FROM ledger_transactions WHERE source_key IN "  # noqa: S608
            f"({', '.join('?' * len(chunk))})"
        )
        found.update(row[0] for row in connection.exec_driver_sql(sql, chunk))
    return found


def _checked_batch(session: Session, drafts: Sequence[EntryDraft]) -> None:
    """What `_checked` asks of each draft, asked once per batch: each distinct flag, account,
    currency and stream once, each amount by a quick test (the full one only for the rare
    amount it cannot pass), each transaction's balance by a quick test for two legs."""
    if any(d.flag not in ("*", "!") for d in drafts):
        raise LedgerInputError("flag", "must be * (cleared) or ! (pending)")
    if max(len(d.narration) for d in drafts) > 500 or max(len(d.payee) for d in drafts) > 200:
        raise LedgerInputError("narration", "is too long (500 characters, payee 200)")
    for day in {d.date for d in drafts}:
        check_entry_day(day)
    legs = [leg for draft in drafts for leg in draft.legs]
    for account in {leg.account for leg in legs}:
        check_account(account)
    for currency in {leg.currency for leg in legs}:
        check_currency("currency", currency)
    for leg in legs:
        amount = leg.amount
        exponent = amount.as_tuple().exponent if type(amount) is Decimal else None
        # finite (an int exponent), at most 4 places and under the limit: storable as it is
        if type(exponent) is not int or exponent < -MAX_PLACES or not -_LIMIT < amount < _LIMIT:
            check_storable("amount", abs(amount))
            check_rollup_amount(amount)
    currencies: dict[int, str] = {}
    tagged = {(leg.stream_id, leg.currency) for leg in legs if leg.stream_id is not None}
    if tagged:
        wanted = {stream_id for stream_id, _ in tagged}
        currencies.update(
            (row.id, row.currency)
            for row in session.execute(
                select(Stream.id, Stream.currency).where(Stream.id.in_(wanted))
            )
        )
        for stream_id, currency in sorted(tagged):
            if stream_id not in currencies:
                raise NotFound("stream", f"there is no stream {stream_id}")
            if currencies[stream_id] != currency:
                raise LedgerInputError(
                    "currency",
                    f"{currency} cannot be posted to a {currencies[stream_id]} stream; "
                    "convert it first",
                )
    for draft in drafts:
        pair = draft.legs
        if len(pair) == 2:
            first, second = pair
            if (first.currency == second.currency and first.amount + second.amount == 0
                    and first.amount != 0):  # fmt: skip
                continue
        check_balanced(pair)


_TRANSACTIONS = cast(Table, JournalEntry.__table__)


def _new_ids(session: Session, count: int) -> list[int]:
    """Ids for a batch of transactions, so postings can name them without a round trip each:
    from the sequence on PostgreSQL; on SQLite the batch's transaction holds the only write
    lock, so the next ids after the largest are free."""
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('ledger_transactions', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
        )
    start = (session.scalar(select(func.max(JournalEntry.id))) or 0) + 1
    return list(range(start, start + count))


def _insert_transactions(session: Session, ids: list[int], drafts: Sequence[EntryDraft]) -> None:
    """Transactions through the driver's executemany, in its own types: each column converted
    as SQLAlchemy would (the batch's one creation time once, days as ISO text on SQLite)."""
    connection = session.connection()
    dialect = connection.dialect
    sqlite = dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (
        "INSERT INTO ledger_transactions (id, date, flag, payee, narration, source, "  # noqa: S608
        f"source_key, reverses_id, created_at) VALUES ({', '.join([mark] * 9)})"
    )
    convert = _TRANSACTIONS.c.created_at.type.bind_processor(dialect)
    now = utcnow()
    created = convert(now) if convert is not None else now
    days: dict[date, str | date] = {}
    if sqlite:  # the batch's few days written once each
        days = {d.date: d.date.isoformat() for d in drafts}
    else:
        days = {d.date: d.date for d in drafts}
    values = [
        (entry_id, days[d.date], d.flag, d.payee, d.narration, d.source, d.source_key,
         d.reverses_id, created)
        for entry_id, d in zip(ids, drafts, strict=True)
    ]  # fmt: skip
    for start in range(0, len(values), 20_000):
        connection.exec_driver_sql(sql, values[start : start + 20_000])


def _store(session: Session, draft: EntryDraft) -> JournalEntry:
    entry = JournalEntry(
        date=draft.date,
        flag=draft.flag,
        payee=draft.payee,
        narration=draft.narration,
        source=draft.source,
        source_key=draft.source_key,
        reverses_id=draft.reverses_id,
    )
    session.add(entry)
    session.flush()
    session.add_all(
        Posting(
            transaction_id=entry.id,
            account=leg.account,
            stream_id=leg.stream_id,
            amount=leg.amount,
            currency=leg.currency,
        )
        for leg in draft.legs
    )
    session.flush()
    if draft.flag == "*":  # pending entries stay out of the figures until they clear
        _add_to_rollup(session, daily_figures(draft.date, draft.legs))
    return entry


def _check_capital_left(
    session: Session, totals: dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal, int]]
) -> None:
    """Refuse capital taken out (money, an asset sold or written down, a capital entry
    reversed) beyond what the stream holds then or on any later day (rules.check_capital_left),
    before anything is written. Only streams whose capital goes down are read, each locked
    first so two withdrawals at once are checked one after the other; a stream's postings are
    all in its currency (`_checked`)."""
    moved: dict[tuple[int, str], dict[date, Decimal]] = {}
    for (stream_id, day, currency), (_income, _costs, capital, _count) in totals.items():
        if capital:
            moved.setdefault((stream_id, currency), {})[day] = capital
    for (stream_id, currency), changes in sorted(moved.items()):
        if all(amount > 0 for amount in changes.values()):
            continue
        session.execute(select(Stream.id).where(Stream.id == stream_id).with_for_update())
        start = min(day for day, amount in changes.items() if amount < 0)
        opening = capital_before(session, [stream_id], start).get(stream_id, Decimal(0))
        moves = capital_moved(session, [stream_id], start, date.max).get(stream_id, {})
        for day, amount in changes.items():
            moves[day] = moves.get(day, Decimal(0)) + amount
        check_capital_left(opening, moves, changes, currency)


def _add_to_rollup(
    session: Session, totals: dict[tuple[int, date, str], tuple[Decimal, Decimal, Decimal, int]]
) -> None:
    """Increment the daily rows, creating them as needed: one upsert statement run by the
    driver's executemany (the same SQL on SQLite and PostgreSQL)."""
    if not totals:
        return
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (
        "INSERT INTO ledger_daily (stream_id, day, currency, income_units, costs_units, "  # noqa: S608
        f"capital_units, postings) VALUES ({', '.join([mark] * 7)}) "
        "ON CONFLICT (stream_id, day, currency) DO UPDATE SET "
        "income_units = ledger_daily.income_units + excluded.income_units, "
        "costs_units = ledger_daily.costs_units + excluded.costs_units, "
        "capital_units = ledger_daily.capital_units + excluded.capital_units, "
        "postings = ledger_daily.postings + excluded.postings"
    )
    rows = [
        (stream_id, day.isoformat() if sqlite else day, currency, to_units(income),
         to_units(costs), to_units(capital), count)
        for (stream_id, day, currency), (income, costs, capital, count) in sorted(totals.items())
    ]  # fmt: skip
    for start in range(0, len(rows), 5000):
        connection.exec_driver_sql(sql, rows[start : start + 5000])


def _insert_postings(session: Session, ids: list[int], drafts: Sequence[EntryDraft]) -> None:
    """Postings through the driver's executemany, in its own types (a float on SQLite, as
    SQLAlchemy binds NUMERIC there; Decimal on PostgreSQL): the bulk path's hot loop."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (
        "INSERT INTO ledger_postings (transaction_id, account, stream_id, amount, currency) "  # noqa: S608
        f"VALUES ({', '.join([mark] * 5)})"
    )
    pairs = zip(ids, drafts, strict=True)
    values: list[tuple[int, str, int | None, float | Decimal, str]]
    if sqlite:
        values = [(entry_id, leg.account, leg.stream_id, float(leg.amount), leg.currency)
                  for entry_id, d in pairs for leg in d.legs]  # fmt: skip
    else:
        values = [(entry_id, leg.account, leg.stream_id, leg.amount, leg.currency)
                  for entry_id, d in pairs for leg in d.legs]  # fmt: skip
    for start in range(0, len(values), 20_000):
        connection.exec_driver_sql(sql, values[start : start + 20_000])


def legs_of(session: Session, entry: JournalEntry) -> list[Leg]:
    """A stored transaction's legs, in the order they were posted."""
    postings = session.scalars(
        select(Posting).where(Posting.transaction_id == entry.id).order_by(Posting.id)
    )
    return [Leg(p.account, p.amount, p.currency, p.stream_id) for p in postings]


def reverse(session: Session, transaction_id: int, on: date, reason: str = "") -> JournalEntry:
    """Undo a transaction with a new one that negates every posting (the journal is never
    edited); a transaction is reversed once, and a reversal is not reversed."""
    entry = session.get(JournalEntry, transaction_id)
    if entry is None:
        raise NotFound("transaction", f"there is no transaction {transaction_id}")
    if entry.reverses_id is not None:
        raise Conflict("transaction", f"{transaction_id} is a reversal; post the entry again")
    done = session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_id == entry.id))
    if done is not None:
        raise Conflict("transaction", f"{transaction_id} was reversed already by {done}")
    if on < entry.date:
        raise LedgerInputError("date", f"a reversal cannot be dated before {entry.date}")
    key = f"reversal:{entry.source_key}" if entry.source_key else None
    words = f"Reversal of #{entry.id}" + (f": {reason}" if reason else "")
    return post(
        session,
        EntryDraft(
            date=on,
            legs=reversal_of(legs_of(session, entry)),
            narration=words[:500],
            payee=entry.payee,
            flag=entry.flag,
            source=entry.source,
            source_key=key,
            reverses_id=entry.id,
        ),
    )
