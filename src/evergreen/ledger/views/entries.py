"""The forms on a stream's page that write: income, a cost, capital in or out, hours, the
stream's own rates, its forecast, and reversing a transaction (after a confirmation). Owner only.

Each form carries `back`, the page's view, so the owner returns to the period they were
looking at; a refused form shows the page again with the message and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.errors import Conflict, NotFound
from evergreen.ledger import queries, service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import check_account, parse_amount, parse_date, parse_hours, parse_rate
from evergreen.ledger.rules.value import MAX_FORECAST_YEARS
from evergreen.ledger.views.forms import memo, money, optional_rate
from evergreen.ledger.views.page_query import PageQuery
from evergreen.ledger.views.stream import BY_HAND, StreamDep, render_stream_page
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPage, FormPageDep, ask_first

__all__ = ["router"]

router = APIRouter(prefix="/ledger/streams", include_in_schema=False)
_ZERO, _ONE = Decimal(0), Decimal(1)


async def _text_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value[:1000] for name, value in form.items() if isinstance(value, str)}


TextFields = Annotated[dict[str, str], Depends(_text_fields)]


def _back(stream: Stream, query: PageQuery, done: str) -> RedirectResponse:
    view = query.encoded()
    tail = f"?{view}&done={done}" if view else f"?done={done}"
    return RedirectResponse(f"/ledger/streams/{stream.id}{tail}", status_code=303)


def _shown_again(
    request: Request,
    session: Session,
    stream: Stream,
    form: dict[str, str],
    name: str,
    page: FormPage,
) -> PageQuery:
    """Tell the form page how to show this form's refusal; the view the form came from."""
    query = PageQuery.parse(form.get("back", ""))
    page.on_error(
        lambda error: render_stream_page(
            request, session, stream, query, status_code=400,
            errors={name: error}, forms={name: form},
        )
    )  # fmt: skip
    return query


def _memo(form: dict[str, str]) -> str:
    return memo(form.get("memo", ""))


def _day(form: dict[str, str]) -> date:
    return parse_date(form.get("date", "").strip())


def _account(form: dict[str, str], default: str) -> str:
    typed = form.get("account", "").strip()
    return check_account(typed) if typed else default


_Post = Callable[[Session, Stream, dict[str, str]], object]


def _posted(
    request: Request,
    session: Session,
    stream: Stream,
    form: dict[str, str],
    page: FormPage,
    name: str,
    post: _Post,
) -> Response:
    query = _shown_again(request, session, stream, form, name, page)
    post(session, stream, form)
    return _back(stream, query, name)


def _income(session: Session, stream: Stream, form: dict[str, str]) -> object:
    on, amount = _day(form), parse_amount(form.get("amount", ""))
    account = _account(form, "Income:Other")
    return service.add_income(session, stream, on, amount, _memo(form), account=account)


def _cost(session: Session, stream: Stream, form: dict[str, str]) -> object:
    on, amount = _day(form), parse_amount(form.get("amount", ""))
    account = _account(form, "Expenses:Other")
    return service.add_cost(session, stream, on, amount, _memo(form), account=account)


def _capital(session: Session, stream: Stream, form: dict[str, str]) -> object:
    on, amount = _day(form), parse_amount(form.get("amount", ""))
    direction = form.get("direction", "in")
    if direction not in ("in", "out"):
        raise LedgerInputError("direction", "choose whether the capital goes in or comes out")
    signed = amount if direction == "in" else -amount
    return service.add_capital(session, stream, on, signed, _memo(form))


def _asset(session: Session, stream: Stream, form: dict[str, str]) -> object:
    on, amount = _day(form), parse_amount(form.get("amount", ""))
    direction = form.get("direction", "in")
    if direction not in ("in", "out"):
        raise LedgerInputError("direction", "choose whether the asset is added or goes")
    account = form.get("account", "").strip()
    if not account:
        raise LedgerInputError("account", "name the asset's account, e.g. Assets:Equipment:Camera")
    signed = amount if direction == "in" else -amount
    return service.add_asset(session, stream, on, signed, account, _memo(form),
                             paid_by=form.get("paid_by", "stream"))  # fmt: skip


def _time(session: Session, stream: Stream, form: dict[str, str]) -> object:
    on, hours = _day(form), parse_hours(form.get("hours", "").strip())
    return service.add_hours(session, stream, on, hours, _memo(form))


@router.post("/{stream_id:int}/income")
def add_income(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep,
    session: SessionDep, form: TextFields, page: FormPageDep,
) -> Response:  # fmt: skip
    """Owner only: money a stream earned (Income:Other unless an account is given)."""
    return _posted(request, session, stream, form, page, "income", _income)


@router.post("/{stream_id:int}/costs")
def add_cost(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep,
    session: SessionDep, form: TextFields, page: FormPageDep,
) -> Response:  # fmt: skip
    """Owner only: money a stream cost (Expenses:Other unless an account is given)."""
    return _posted(request, session, stream, form, page, "cost", _cost)


@router.post("/{stream_id:int}/capital")
def add_capital(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep,
    session: SessionDep, form: TextFields, page: FormPageDep,
) -> Response:  # fmt: skip
    """Owner only: capital put into the stream or taken out of it."""
    return _posted(request, session, stream, form, page, "capital", _capital)


@router.post("/{stream_id:int}/assets")
def add_asset(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep,
    session: SessionDep, form: TextFields, page: FormPageDep,
) -> Response:  # fmt: skip
    """Owner only: an asset the stream holds (bought, put in) or no longer holds (sold)."""
    return _posted(request, session, stream, form, page, "asset", _asset)


@router.post("/{stream_id:int}/hours")
def add_hours(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep,
    session: SessionDep, form: TextFields, page: FormPageDep,
) -> Response:  # fmt: skip
    """Owner only: time spent on the stream on one day."""
    return _posted(request, session, stream, form, page, "hours", _time)


@router.post("/{stream_id:int}/rates")
def set_rates(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep,
    session: SessionDep, form: TextFields, page: FormPageDep,
) -> Response:  # fmt: skip
    """Owner only: this stream's own hourly rate, required return and persistence (blank
    follows the owner's defaults, and the estimate for persistence)."""
    query = _shown_again(request, session, stream, form, "rates", page)
    hour = optional_rate(form.get("hourly_rate", ""), "hourly_rate")
    ret = optional_rate(form.get("required_return", ""), "required_return")
    typed = form.get("persistence", "").strip()
    omega = parse_rate(typed, "persistence", low=_ZERO, high=_ONE, example="0.6") if typed else None
    service.set_stream_rates(
        session, stream, hourly_rate=hour, required_return=ret, persistence=omega
    )
    return _back(stream, query, "rates")


def _typed_years(form: dict[str, str]) -> list[str]:
    """The forecast's boxes year by year; the blank ones after the last year are not years."""
    years = [form.get(f"years[{i}]", "") for i in range(MAX_FORECAST_YEARS)]
    while years and not years[-1].strip():
        years.pop()
    return years


@router.post("/{stream_id:int}/forecast")
def save_forecast(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep,
    session: SessionDep, form: TextFields, page: FormPageDep,
) -> Response:  # fmt: skip
    """Owner only: store the stream's forecast (each year's RI, then how it continues); ω is
    read only when RI continues with persistence, so a box left filled never refuses a save."""
    query = _shown_again(request, session, stream, form, "forecast", page)
    continuing = form.get("continuing", "")
    persistence = form.get("persistence", "") if continuing == "persistence" else None
    service.set_forecast(session, stream, _typed_years(form), continuing, persistence)
    return _back(stream, query, "forecast")


@router.post("/{stream_id:int}/forecast/remove")
def remove_forecast(
    user: OwnerUser, _csrf: CsrfProtected, stream: StreamDep, session: SessionDep,
    back: Annotated[str, Form(max_length=4000)] = "",
) -> Response:  # fmt: skip
    """Owner only: remove the stream's forecast; its value is the last 12 months' again."""
    service.clear_forecast(session, stream)
    return _back(stream, PageQuery.parse(back), "forecast_removed")


@router.post("/{stream_id:int}/transactions/{transaction_id:int}/reverse")
def reverse(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    stream: StreamDep,
    session: SessionDep,
    transaction_id: DbId,
    back: Annotated[str, Form(max_length=4000)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Owner only, once confirmed: undo a transaction with one that negates each posting,
    dated as the original, so the period it fell in reads as if it had not been entered."""
    try:
        found = queries.transaction(session, transaction_id)
    except NotFound:
        found = None
    if found is None or stream.id not in {p.stream_id for p in found.postings}:
        raise NotFound("transaction", f"{stream.name} has no transaction {transaction_id}")
    entry = found.entry
    if entry.source != BY_HAND:
        raise Conflict(
            "transaction",
            f"#{entry.id} was posted automatically ({entry.source}); correct it where it came "
            "from (the network's or program's status) and its entries follow",
        )
    query = PageQuery.parse(back)
    words = entry.narration or entry.payee or "no description"
    legs = "; ".join(f"{p.account} {money(p.amount)} {p.currency}" for p in found.postings)
    step = Confirmation(
        title=f"Reverse transaction #{entry.id}?",
        consequence=f"{entry.date} “{words}”: {legs}. A new transaction dated {entry.date} "
        "will negate each posting, so its figures read as if it had not been entered. The "
        "journal keeps both; a reversal cannot itself be reversed (enter the entry again).",
        button="Reverse transaction",
        cancel=f"/ledger/streams/{stream.id}" + (f"?{query.encoded()}" if query.encoded() else ""),
        fields={"back": query.encoded()},
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.reverse(session, entry.id, entry.date)
    return _back(stream, query, "reversed")
