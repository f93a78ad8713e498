"""A loan's page and the owner's servicing forms: record a payment, request and step draws,
charge late fees, waive a fee, extend, pay off, charge off, recover; and the form that writes a
new loan.

Every form posts to its own route; a refused value shows the page again with the message by
the form; money that moves (or a loan closed) is asked about first, since none of it is undone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.lending import queries, service
from evergreen.lending.rules import DRAW_ACTIONS, check_extension, read_money
from evergreen.lending.rules.forms import read_date, read_whole
from evergreen.lending.views.common import PREFIX, TextFields, as_of, money, percent
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import MAX_ID, DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router", "show_loan"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
_DONE = {
    "created": "Loan written and funded on its start date.",
    "payment": "Payment recorded and split by the note's allocation order.",
    "payment-again": "This payment was recorded already (its form was sent twice): nothing more "
    "was recorded.",
    "payoff": "Paid off: the loan is closed.",
    "late": "Late fees charged for every payment past its grace period.",
    "late-none": "No late fee is due.",
    "extension": "Maturity extended.",
    "charge-off": "Charged off: the loan is closed and its loss is in the ledger.",
    "recovery": "Recovery recorded as income of the loan's stream.",
    "waiver": "Fee waived: that part is no longer owed and its fee income is reversed in the "
    "ledger.",
    "waiver-again": "This waiver was recorded already (its form was sent twice): nothing more "
    "was recorded.",
    "draw": "Draw requested.",
    "draw-again": "This draw was requested already (its form was sent twice): nothing more was "
    "requested.",
    **{f"draw-{a}": f"Draw {after}." for a, (_, after) in DRAW_ACTIONS.items()},
}
_LOAN_FIELDS = ("borrower", "property_id", "principal", "annual_rate", "months", "start",
                "points", "points_financed", "interest_only", "amortization_months",
                "day_count", "commitment", "dutch", "draw_fee", "closing_fee", "default_rate",
                "default_after_days", "grace_days", "late_fee", "late_fee_pct",
                "allocation", "min_interest_months", "prepay_pct", "prepay_months")  # fmt: skip


def show_loan(
    request: Request, session: Session, loan_id: int, day_text: str = "", *,
    status_code: int = 200, **extra: Any,
) -> Response:  # fmt: skip
    """The loan's page as of a day; `extra` carries a refused form's values and its error."""
    loan = service.get_loan(session, loan_id)
    day = max(as_of(day_text), loan.start)
    context: dict[str, Any] = {
        "title": f"Loan {loan.id}",
        "loan": loan,
        "view": queries.loan_detail(session, loan.id, day),
        "day": day,
        "borrower": service.get_borrower(session, loan.borrower_id),
        "place": service.get_property(session, loan.property_id) if loan.property_id else None,
        "calendar": queries.calendar(session, loan.id),
        "movements": queries.movements(session, loan.id),
        "draws": (draws := queries.draws(session, loan.id)),
        "photos": {d.id: service.draw_photos(session, d.id) for d in draws},
        "history": queries.history(session, loan.id),
        "draw_actions": DRAW_ACTIONS,
        "money": money,
        "percent": percent,
        "errors": {},
        "posted": {},
        "payment_key": secrets.token_urlsafe(18),  # the form's nonce: sent twice, recorded once
        "fees": service.fees_of(session, loan.id),
        "waiver_key": secrets.token_urlsafe(18),
        "draw_key": secrets.token_urlsafe(18),
        **extra,
    }
    return render(request, "lending/loan.html", context, status_code=status_code)


@router.get("/loans/new")
def new_loan_page(request: Request, user: OwnerUser, session: SessionDep) -> Response:
    """Owner only: the form that writes a loan."""
    return _new_loan(request, session, {})


def _new_loan(
    request: Request, session: Session, posted: dict[str, str], error: Any = None
) -> Response:
    context: dict[str, Any] = {
        "title": "New loan",
        "borrowers": service.borrowers(session),
        "properties": service.properties(session),
        "posted": posted,
        "errors": {"loan": error} if error else {},
    }
    return render(request, "lending/loan_new.html", context, status_code=400 if error else 200)


def _draft(form: dict[str, str]) -> service.LoanDraft:
    """The loan form read into the service's draft (checkboxes are sent only when ticked)."""
    text = {name: form.get(name, "").strip() for name in _LOAN_FIELDS}

    def optional(name: str, low: int, high: int) -> int | None:
        return read_whole(name, text[name], low, high) if text[name] else None

    return service.LoanDraft(
        borrower=text["borrower"], principal=text["principal"], annual_rate=text["annual_rate"],
        months=read_whole("months", text["months"], 1, 600),
        start=read_date("start", text["start"]), points=text["points"] or "0",
        points_financed=bool(text["points_financed"]),
        interest_only=bool(text["interest_only"]),
        day_count=text["day_count"] or "30/360", commitment=text["commitment"],
        dutch=bool(text["dutch"]), draw_fee=text["draw_fee"] or "0",
        closing_fee=text["closing_fee"] or "0", default_rate=text["default_rate"],
        grace_days=read_whole("grace_days", text["grace_days"] or "10", 0, 365),
        late_fee=text["late_fee"] or "0", late_fee_pct=text["late_fee_pct"] or "0",
        allocation=text["allocation"],
        property_id=read_whole("property_id", text["property_id"], 1, 2**62)
        if text["property_id"] else None,
        amortization_months=optional("amortization_months", 1, 600),
        default_after_days=optional("default_after_days", 0, 3650),
        min_interest_months=optional("min_interest_months", 0, 600) or 0,
        prepay_pct=text["prepay_pct"] or "0",
        prepay_months=optional("prepay_months", 0, 600) or 0,
    )  # fmt: skip


@router.post("/loans")
def add_loan(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields,
) -> Response:  # fmt: skip
    """Owner only: write a loan; it is funded on its start date and posts to the ledger."""
    page.on_error(lambda error: _new_loan(request, session, form, error))
    loan = service.add_loan(session, _draft(form))
    return RedirectResponse(f"{PREFIX}/loans/{loan.id}?done=created", status_code=303)


@router.get("/loans/{loan_id}")
def loan_page(
    request: Request, user: DashboardUser, session: SessionDep, loan_id: DbId,
    as_of: str = "", done: str = "",
) -> Response:  # fmt: skip
    """A loan as of a day: terms, position, calendar, movements, draws and history."""
    return show_loan(request, session, loan_id, as_of[:20], done=_DONE.get(done, ""))


def _act(
    request: Request, session: Session, page: Any, loan_id: int, name: str,
    form: dict[str, str], step: Callable[[], Confirmation | None], do: Callable[[], str],
) -> Response:  # fmt: skip
    """One servicing form: a missing loan is a 404; a refused value shows the page again with
    the message by this form; `step` (when it gives one) is asked first; `do` says what was done."""
    service.get_loan(session, loan_id)
    page.on_error(lambda error: show_loan(
        request, session, loan_id, form.get("as_of", ""), status_code=400,
        errors={name: error}, posted={name: form},
    ))  # fmt: skip
    confirmation = step()
    if confirmation is not None:
        asked = ask_first(request, form.get("confirm", ""), confirmation)
        if asked is not None:
            return asked
    done = do()
    return RedirectResponse(f"{PREFIX}/loans/{loan_id}?done={done}", status_code=303)


def _on(form: dict[str, str]) -> date:
    """The day a servicing form is dated."""
    return read_date("date", form.get("date", ""))


def _fields(form: dict[str, str], *names: str) -> dict[str, str]:
    return {n: form.get(n, "") for n in names}


@dataclass(frozen=True)
class _Servicing:
    """One servicing form of the loan page: what it asks first, then the one service call."""

    path: str  # posted to /lending/loans/{loan_id}/<path>
    name: str  # the form's name on the page: a refusal is shown by it
    doc: str  # the route's docstring
    fields: tuple[str, ...]  # what the confirmation posts again
    ask: Callable[[Session, int, dict[str, str]], tuple[str, str, str]]  # title, what, button
    do: Callable[[Session, int, dict[str, str]], str]  # done; the page's `done` key


def _ask_payment(session: Session, loan_id: int, form: dict[str, str]) -> tuple[str, str, str]:
    on, amount = _on(form), read_money("amount", form.get("amount", ""))
    return (f"Record a payment of {money(amount)} on loan {loan_id}?",
            f"Received on {on.isoformat()}: it is split into fees, interest and principal and "
            "posted to the ledger. A recorded payment cannot be taken back.",
            "Record payment")  # fmt: skip


def _pay(session: Session, loan_id: int, form: dict[str, str]) -> str:
    nonce = form.get("key", "")  # the page's, so a form sent twice records one payment
    paid = service.record_payment(session, loan_id, _on(form), form.get("amount", ""),
                                  f"form:{nonce}" if nonce else None)  # fmt: skip
    return "payment" if paid.created else "payment-again"


def _ask_payoff(session: Session, loan_id: int, form: dict[str, str]) -> tuple[str, str, str]:
    on = _on(form)
    total = service.quote(session, loan_id, on).total
    return (f"Pay off loan {loan_id} on {on.isoformat()}?",
            f"Record {money(total)} received (principal, interest to the day and fees) and close "
            "the loan. This cannot be undone.", "Pay off and close")  # fmt: skip


def _pay_off(session: Session, loan_id: int, form: dict[str, str]) -> str:
    service.pay_off(session, loan_id, _on(form))
    return "payoff"


def _ask_late(session: Session, loan_id: int, form: dict[str, str]) -> tuple[str, str, str]:
    return (f"Charge late fees on loan {loan_id} as of {_on(form).isoformat()}?",
            "Each payment not made by the end of its grace period is charged its late fee, once; "
            "the fees are owed and posted as income when paid. A charge cannot be taken back.",
            "Charge late fees")  # fmt: skip


def _charge_late(session: Session, loan_id: int, form: dict[str, str]) -> str:
    return "late" if service.charge_late_fees(session, loan_id, _on(form)) else "late-none"


def _maturity(form: dict[str, str]) -> date:
    return read_date("maturity", form.get("maturity", ""))


def _ask_extension(session: Session, loan_id: int, form: dict[str, str]) -> tuple[str, str, str]:
    maturity = check_extension(service.get_loan(session, loan_id).maturity, _maturity(form))
    fee = read_money("fee", form.get("fee", "") or "0", positive=False)
    return (f"Extend loan {loan_id} to {maturity.isoformat()}?",
            f"The maturity moves to {maturity.isoformat()} and an extension fee of {money(fee)} "
            "is charged. An extension cannot be taken back.", "Extend")  # fmt: skip


def _extend(session: Session, loan_id: int, form: dict[str, str]) -> str:
    service.extend(session, loan_id, _maturity(form), form.get("fee", "") or "0", _on(form))
    return "extension"


def _ask_charge_off(session: Session, loan_id: int, form: dict[str, str]) -> tuple[str, str, str]:
    return (f"Charge off loan {loan_id} on {_on(form).isoformat()}?",
            "The principal and fees still owed are written off as a loss in the ledger and the "
            "loan is closed; later money comes in as recoveries. This cannot be undone.",
            "Charge off")  # fmt: skip


def _charge_off(session: Session, loan_id: int, form: dict[str, str]) -> str:
    service.charge_off(session, loan_id, _on(form), form.get("note", "")[:500])
    return "charge-off"


def _ask_recovery(session: Session, loan_id: int, form: dict[str, str]) -> tuple[str, str, str]:
    amount = read_money("amount", form.get("amount", ""))
    _on(form)
    return (f"Record a recovery of {money(amount)} on loan {loan_id}?",
            "It is income of the loan's stream in the ledger and cannot be taken back.",
            "Record recovery")  # fmt: skip


def _recover(session: Session, loan_id: int, form: dict[str, str]) -> str:
    service.record_recovery(session, loan_id, _on(form), form.get("amount", ""))
    return "recovery"


_SERVICING = (
    _Servicing("payments", "payment", "Owner only, once confirmed: a payment received, split "
               "by the note's allocation order.", ("date", "amount", "key"), _ask_payment, _pay),
    _Servicing("payoff", "payoff", "Owner only, once confirmed: the payoff total received; the "
               "loan closes.", ("date",), _ask_payoff, _pay_off),
    _Servicing("late-fees", "late", "Owner only, once confirmed: late fees on payments past "
               "grace by a day (the daily task's work, now); each missed payment is charged "
               "once.", ("date",), _ask_late, _charge_late),
    _Servicing("extension", "extension", "Owner only, once confirmed: a later maturity, for a "
               "fee charged on the day.", ("date", "maturity", "fee"), _ask_extension, _extend),
    _Servicing("charge-off", "charge-off", "Owner only, once confirmed: write the loan off; "
               "principal and fees owed become a loss.", ("date", "note"), _ask_charge_off,
               _charge_off),
    _Servicing("recoveries", "recovery", "Owner only, once confirmed: money recovered on a "
               "charged-off loan.", ("date", "amount"), _ask_recovery, _recover),
)  # fmt: skip


def _servicing_route(action: _Servicing) -> None:
    """Add the route of one servicing form: asked about first, then done, as `_act` does."""

    def post(
        request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
        page: FormPageDep, form: TextFields, loan_id: DbId,
    ) -> Response:  # fmt: skip
        def step() -> Confirmation:
            title, consequence, button = action.ask(session, loan_id, form)
            return Confirmation(title, consequence, button, f"{PREFIX}/loans/{loan_id}",
                                _fields(form, *action.fields))  # fmt: skip

        def do() -> str:
            return action.do(session, loan_id, form)

        return _act(request, session, page, loan_id, action.name, form, step, do)

    post.__doc__ = action.doc
    post.__name__ = f"service_{action.name.replace('-', '_')}"
    router.post(f"/loans/{{loan_id}}/{action.path}")(post)


for _action in _SERVICING:
    _servicing_route(_action)


@router.post("/loans/{loan_id}/fee-waivers")
def waive_fee(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields, loan_id: DbId,
) -> Response:  # fmt: skip
    """Owner only, once confirmed: all or part of a fee still owed waived, with the reason; a
    form sent twice (its nonce) records one waiver."""
    nonce = form.get("key", "")
    key = f"form:{nonce}" if nonce else None

    def fee_id() -> int:
        return read_whole("fee_id", form.get("fee_id", ""), 1, MAX_ID)

    def step() -> Confirmation | None:
        amount, reason = form.get("amount", ""), form.get("reason", "")
        asked = service.preview_waiver(session, loan_id, fee_id(), _on(form), amount, reason, key)
        if asked is None:  # this form's waiver is recorded already: `do` says so
            return None
        fee = asked.fee
        return Confirmation(
            f"Waive {money(asked.amount)} of fee {fee.id} on loan {loan_id}?",
            f"{(fee.note or 'fee').capitalize()} ({fee.on.isoformat()}): {money(fee.charged)} "
            f"charged, "
            f"{money(fee.paid)} paid, {money(fee.waived)} waived, {money(fee.left)} owed. "
            f"From {asked.on.isoformat()} the waived part is no longer owed and its fee income "
            f"is reversed in the ledger. Reason: {asked.reason}. A waiver cannot be taken back.",
            "Waive fee", f"{PREFIX}/loans/{loan_id}",
            _fields(form, "date", "fee_id", "amount", "reason", "key"),
        )  # fmt: skip

    def do() -> str:
        waived = service.waive_fee(session, loan_id, fee_id(), _on(form), form.get("amount", ""),
                                   form.get("reason", ""), key)  # fmt: skip
        return "waiver" if waived.created else "waiver-again"

    return _act(request, session, page, loan_id, "waiver", form, step, do)


@router.post("/loans/{loan_id}/draws")
def request_draw(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields, loan_id: DbId,
) -> Response:  # fmt: skip
    """Owner only: a draw requested (for the borrower) against the commitment and rehab budget;
    a form sent twice (its nonce) requests one draw."""

    def do() -> str:
        nonce = form.get("key", "")  # the page's, so a form sent twice requests one draw
        asked = service.request_draw(session, loan_id, form.get("amount", ""), _on(form),
                                     form.get("note", ""),
                                     f"form:{nonce}" if nonce else None)  # fmt: skip
        return "draw" if asked.created else "draw-again"

    return _act(request, session, page, loan_id, "draw", form, lambda: None, do)


@router.post("/draws/{draw_id}/{action}")
def step_draw(
    request: Request, user: OwnerUser, _csrf: CsrfProtected, session: SessionDep,
    page: FormPageDep, form: TextFields, draw_id: DbId, action: str,
) -> Response:  # fmt: skip
    """Owner only: inspect or approve a draw; funding and rejecting it are asked about first."""
    draw = queries.draw(session, draw_id)
    name = f"draw-{draw_id}"

    def step() -> Confirmation | None:
        on = _on(form)
        if action not in ("fund", "reject"):
            return None
        fund = action == "fund"
        return Confirmation(
            f"{'Fund' if fund else 'Reject'} draw {draw_id} of {money(draw.amount)}?",
            f"The money is sent on {on.isoformat()}: the balance grows by it, interest counts on "
            f"it and the draw fee of {money(draw.fee)} is charged. This cannot be undone."
            if fund else "The borrower must request it again to be paid. This cannot be undone.",
            "Fund draw" if fund else "Reject draw", f"{PREFIX}/loans/{draw.loan_id}",
            _fields(form, "date"),
        )  # fmt: skip

    def do() -> str:
        service.draw_action(session, draw_id, action, _on(form))
        return f"draw-{action}"

    return _act(request, session, page, draw.loan_id, name, form, step, do)
