"""JSON routes of the journal: income, costs and capital by hand, any balanced transaction,
reversals, and reading transactions back with their postings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from evergreen.db import utcnow
from evergreen.ledger import queries, service
from evergreen.ledger.api.schemas import (
    ERROR_404,
    DateText,
    DecimalText,
    IdempotencyKey,
    Memo,
    StreamId,
    TransactionOut,
    day,
    day_query,
    money,
)
from evergreen.ledger.rules import Leg, check_account
from evergreen.ledger.service import EntryKind
from evergreen.money import check_currency
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, DbIdQuery, Offset, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])

_REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": TransactionOut,
        "description": "A retry with an idempotency_key sent before: the transaction stored then",
    },
    **ERROR_404,
}


class EntryIn(RequestBody):
    """Income, a cost or capital of one stream on one day."""

    stream_id: StreamId
    date: DateText
    amount: DecimalText
    memo: Memo = ""
    idempotency_key: IdempotencyKey = None


def _record(
    kind: EntryKind, body: EntryIn, session: SessionDep, response: Response
) -> TransactionOut:
    on = day(body.date, "date")
    amount = money(body.amount, "amount", signed=kind is EntryKind.CAPITAL)
    stream = service.get_stream(session, body.stream_id)
    keyed = service.add_entry_once(
        session, kind, stream, on, amount, body.memo, body.idempotency_key
    )
    if not keyed.created:
        response.status_code = 200
    return TransactionOut.of(queries.transaction(session, keyed.row.id))


@router.post("/income", status_code=201, operation_id="record_income", responses=_REPLAYED)
def record_income(
    user: ApiOwner, body: EntryIn, session: SessionDep, response: Response
) -> TransactionOut:
    """Owner only: money a stream earned (Assets:Bank up, Income:Other credited)."""
    return _record(EntryKind.INCOME, body, session, response)


@router.post("/costs", status_code=201, operation_id="record_cost", responses=_REPLAYED)
def record_cost(
    user: ApiOwner, body: EntryIn, session: SessionDep, response: Response
) -> TransactionOut:
    """Owner only: money a stream cost (Expenses:Other debited, Assets:Bank down)."""
    return _record(EntryKind.COST, body, session, response)


@router.post("/capital", status_code=201, operation_id="record_capital", responses=_REPLAYED)
def record_capital(
    user: ApiOwner, body: EntryIn, session: SessionDep, response: Response
) -> TransactionOut:
    """Owner only: capital put into a stream (amount > 0) or taken out of it (amount < 0)."""
    return _record(EntryKind.CAPITAL, body, session, response)


class LegIn(RequestBody):
    """One posting: account, signed amount (debits +, credits -), currency, stream tag."""

    account: str = Field(min_length=1, max_length=200, examples=["Income:Royalties"])
    amount: DecimalText
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])
    stream_id: StreamId | None = None


class TransactionIn(RequestBody):
    """A balanced transaction: each currency's postings sum to 0."""

    date: DateText
    narration: Memo = ""
    payee: Annotated[Memo, Field(max_length=200)] = ""
    flag: Literal["*", "!"] = Field("*", description="* cleared, ! pending (not yet counted)")
    legs: list[LegIn] = Field(min_length=2, max_length=100)
    idempotency_key: IdempotencyKey = None


@router.post("/transactions", status_code=201, operation_id="post_transaction", responses=_REPLAYED)
def post_transaction(
    user: ApiOwner, body: TransactionIn, session: SessionDep, response: Response
) -> TransactionOut:
    """Owner only: post any balanced transaction (refused, naming the field, if it is not)."""
    legs = [
        Leg(check_account(leg.account, f"legs.{i}.account"),
            money(leg.amount, f"legs.{i}.amount", signed=True),
            check_currency(f"legs.{i}.currency", leg.currency), leg.stream_id)
        for i, leg in enumerate(body.legs)
    ]  # fmt: skip
    draft = service.EntryDraft(
        day(body.date, "date"), legs, narration=body.narration, payee=body.payee,
        flag=body.flag, source="api", source_key=body.idempotency_key,
    )  # fmt: skip
    keyed = service.post_once(session, draft)
    if not keyed.created:
        response.status_code = 200
    return TransactionOut.of(queries.transaction(session, keyed.row.id))


class ReverseIn(RequestBody):
    """When and why a transaction is undone."""

    date: DateText | None = Field(None, description="YYYY-MM-DD; today when left out")
    reason: Memo = ""


@router.post(
    "/transactions/{transaction_id}/reverse",
    status_code=201,
    operation_id="reverse_transaction",
)
def reverse_transaction(
    user: ApiOwner, transaction_id: DbId, body: ReverseIn, session: SessionDep
) -> TransactionOut:
    """Owner only: undo a transaction with one that negates each posting (once; 409 after)."""
    on = day(body.date, "date") if body.date else utcnow().date()
    entry = service.reverse(session, transaction_id, on, body.reason)
    return TransactionOut.of(queries.transaction(session, entry.id))


@router.get("/transactions/{transaction_id}", operation_id="get_transaction")
def get_transaction(transaction_id: DbId, session: SessionDep, user: ApiStaff) -> TransactionOut:
    """One transaction with its postings."""
    return TransactionOut.of(queries.transaction(session, transaction_id))


class TransactionPage(BaseModel):
    """One page of transactions, newest first, and how many match in all."""

    items: list[TransactionOut]
    total: int


@router.get("/transactions", operation_id="list_transactions")
def list_transactions(
    session: SessionDep,
    user: ApiStaff,
    stream_id: DbIdQuery = None,
    start: Annotated[str | None, day_query("from", "First day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, day_query("to", "Last day, YYYY-MM-DD (included)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> TransactionPage:
    """The journal, newest first; filtered by stream (any posting tagged with it) and dates."""
    rows, total = queries.transactions(
        session, stream_id=stream_id, limit=limit, offset=offset,
        start=day(start, "from") if start else None, end=day(end, "to") if end else None,
    )  # fmt: skip
    return TransactionPage(items=[TransactionOut.of(row) for row in rows], total=total)
