"""JSON shapes of the ledger's API and the checks of what arrives as text: money and hours are
decimal strings (a JSON number is refused, so no float ever reaches the journal), dates are
YYYY-MM-DD, and each refusal names its field."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, Field

from evergreen.ledger import queries
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import HoursEntry, Stream
from evergreen.ledger.rules import (
    StreamKind,
    parse_amount,
    parse_period,
    parse_rate,
    parse_report_day,
)
from evergreen.money import show_amount, show_number
from evergreen.web.deps import MAX_ID

__all__ = [
    "ERROR_404",
    "DateText",
    "DecimalText",
    "HoursOut",
    "IdempotencyKey",
    "Memo",
    "PostingOut",
    "StreamId",
    "StreamOut",
    "TransactionOut",
    "day",
    "day_query",
    "money",
    "period",
    "rate",
]

_ZERO = Decimal(0)
# The most a rate may be, with an example for the error message.
_RATES: dict[str, tuple[Decimal, str]] = {
    "hourly_rate": (Decimal(100_000), "75"),
    "required_return": (Decimal(1), "0.08 for 8 % a year"),
    "persistence": (Decimal(1), "0.6: 60 % of a year's residual income lasts into the next"),
    "passive_hours": (Decimal(744), "5 (hours a month)"),
}
ERROR_404: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "No stream (or transaction) with the ID in the path or the body",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorMessage"}}},
    }
}


def _printable(text: str) -> str:
    """Text is stored in both databases: PostgreSQL refuses NUL, and no one means control
    characters in a memo (tabs and newlines excepted)."""
    if any(not (ch.isprintable() or ch in "\t\n") for ch in text):
        raise ValueError("must not contain control characters")
    return text


Memo = Annotated[str, Field(max_length=500), AfterValidator(_printable)]
DecimalText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="A decimal string such as 120.50 (JSON numbers are refused: no floats)",
        examples=["120.50"],
    ),
]
DateText = Annotated[
    str,
    Field(
        min_length=1, max_length=40, json_schema_extra={"format": "date"}, examples=["2026-03-31"]
    ),
]


def day_query(name: str, description: str) -> Any:
    """A YYYY-MM-DD query parameter (parsed by `day`, which names it when it is wrong)."""
    return Query(alias=name, max_length=40, description=description, examples=["2026-03-31"],
                 json_schema_extra={"format": "date"})  # fmt: skip


def day(text: str, field: str) -> date:
    """A YYYY-MM-DD date within 1900-2199 (reports count days and months around it)."""
    return parse_report_day(text, field)


def period(start_text: str, end_text: str) -> tuple[date, date]:
    """A report's period: both days included, forward, at most a hundred years."""
    return parse_period(start_text, end_text)


def money(text: str, field: str, *, signed: bool = False) -> Decimal:
    """An amount: more than 0 (or any non-zero amount when `signed`)."""
    return parse_amount(text, field, signed=signed)


def rate(text: str | None, field: str) -> Decimal | None:
    """An hourly rate, required return, persistence or passive threshold, or None if not sent."""
    if text is None:
        return None
    high, example = _RATES[field]
    value = parse_rate(text, field, low=_ZERO, high=high, example=example)
    if field == "passive_hours" and value != value.quantize(Decimal("0.01")):
        raise LedgerInputError(field, "has more than 2 decimal places")
    return value


def _shown(value: Decimal | None) -> str | None:
    return None if value is None else show_number(value)


class StreamOut(BaseModel):
    """A stream; rates left null follow the owner's defaults."""

    id: int
    name: str
    kind: StreamKind
    currency: str
    started_on: date
    recurring: bool
    hourly_rate: str | None
    required_return: str | None
    persistence: str | None

    @classmethod
    def of(cls, row: Stream) -> StreamOut:
        """Project the row."""
        return cls(
            id=row.id, name=row.name, kind=StreamKind(row.kind), currency=row.currency,
            started_on=row.started_on, recurring=row.recurring,
            hourly_rate=_shown(row.hourly_rate), required_return=_shown(row.required_return),
            persistence=_shown(row.persistence),
        )  # fmt: skip


class PostingOut(BaseModel):
    """One leg: account, signed amount (debits +, credits -), currency, stream."""

    account: str
    amount: str
    currency: str
    stream_id: int | None


class TransactionOut(BaseModel):
    """A journal transaction with its postings; `reversed_by_id` is the entry that undid it."""

    id: int
    date: str
    flag: str
    payee: str
    narration: str
    source: str
    source_key: str | None
    reverses_id: int | None
    reversed_by_id: int | None
    created_at: datetime
    postings: list[PostingOut]

    @classmethod
    def of(cls, found: queries.Transaction) -> TransactionOut:
        """Project a transaction read with its postings."""
        entry = found.entry
        legs = [
            PostingOut(account=p.account, amount=show_amount(p.amount), currency=p.currency,
                       stream_id=p.stream_id)
            for p in found.postings
        ]  # fmt: skip
        return cls(
            id=entry.id, date=entry.date.isoformat(), flag=entry.flag, payee=entry.payee,
            narration=entry.narration, source=entry.source, source_key=entry.source_key,
            reverses_id=entry.reverses_id, reversed_by_id=found.reversed_by,
            created_at=entry.created_at, postings=legs,
        )  # fmt: skip


class HoursOut(BaseModel):
    """Time spent on a stream on one day."""

    id: int
    stream_id: int
    date: str
    hours: str
    memo: str
    source: str

    @classmethod
    def of(cls, row: HoursEntry) -> HoursOut:
        """Project the row."""
        return cls(
            id=row.id, stream_id=row.stream_id, date=row.date.isoformat(),
            hours=show_number(row.hours), memo=row.memo, source=row.source,
        )  # fmt: skip


IdempotencyKey = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=196,
        description="Send the same key when retrying: the retry answers 200 with the entry "
        "stored the first time instead of posting it again",
    ),
]
StreamId = Annotated[int, Field(ge=1, le=MAX_ID, description="The stream's ID")]
