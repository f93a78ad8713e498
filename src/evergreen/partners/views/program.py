"""Program-wide pages: commission terms and payouts (owner), conversions to review."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.digits import row_id
from evergreen.errors import InputError
from evergreen.money import read_amount, show_money
from evergreen.partners import service
from evergreen.partners.queries import conversions, current_terms, waiting_for_payout
from evergreen.partners.queries import payouts as payout_rows
from evergreen.partners.rules import Duration, PartnerRuleError
from evergreen.partners.service.payouts import FORMATS
from evergreen.partners.views.deps import ProgramDep
from evergreen.partners.views.partner import page_helpers
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.downloads import csv_download
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/partners", include_in_schema=False)
FormStr = Annotated[str, Form()]
CONVERSION_STATUSES = ("attributed", "unattributed", "applied")
_BLANK_TERMS = {
    "group": "", "kind": "percent", "rate": "", "duration": "one_time", "duration_count": "",
    "lead_amount": "0", "recruiter_rate": "0",
}  # fmt: skip
_PAYOUT_DONE = {
    "created": "Payout created: export it for PayPal or Wise, send it, then mark it paid.",
    "paid": "Payout marked paid: its commissions are now paid.",
}


def _decimal(field: str, text: str, *, blank: Decimal | None = None) -> Decimal:
    """A number typed in a box, read as money.read_amount reads it; a blank box is `blank`."""
    value = text.strip()
    if not value and blank is not None:
        return blank
    if not value:
        raise PartnerRuleError(field, "enter a number like 30 or 12.50")
    try:
        return read_amount(field, value)
    except InputError as exc:
        raise PartnerRuleError(field, exc.message) from None


def _terms_draft(form: dict[str, str]) -> service.TermsDraft:
    """The form's terms as typed; the service checks them with the rules commissions use."""
    recurring = form["duration"] in (Duration.MONTHS.value, Duration.PAYMENTS.value)
    count: int | None = None
    if recurring:
        try:
            count = int(form["duration_count"].strip())
        except ValueError:
            raise PartnerRuleError(
                "duration_count", f"enter how many {form['duration']} (1 or more)"
            ) from None
    return service.TermsDraft(
        kind=form["kind"],
        rate=_decimal("rate", form["rate"]),
        duration=form["duration"],
        duration_count=count,
        lead_amount=_decimal("lead_amount", form["lead_amount"], blank=Decimal(0)),
        recruiter_rate=_decimal("recruiter_rate", form["recruiter_rate"], blank=Decimal(0)),
        group=form["group"].strip(),
    )


def _terms_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    program = service.default_program(session)
    context: dict[str, Any] = {
        "title": "Commission terms",
        "program": program,
        "terms": current_terms(session, program),
        "now": utcnow(),
        "durations": [duration.value for duration in Duration],
        "form": form or _BLANK_TERMS,
        "error": error,
        "done": done,
        **page_helpers(),
    }
    status = 400 if error else 200
    return render(request, "partners/admin_terms.html", context, status_code=status)


@router.get("/terms")
def terms_page(request: Request, session: SessionDep, user: OwnerUser, done: str = "") -> Response:
    """The terms in force per group, and the form for the next version."""
    return _terms_page(request, session, done=done)


@router.post("/terms")
def add_terms(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    program: ProgramDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    group: FormStr = "",
    kind: FormStr = "percent",
    rate: FormStr = "",
    duration: FormStr = "one_time",
    duration_count: FormStr = "",
    lead_amount: FormStr = "0",
    recruiter_rate: FormStr = "0",
) -> Response:
    """Add the next version of a group's terms; customers already attributed keep theirs."""
    entered = {
        "group": group, "kind": kind, "rate": rate, "duration": duration,
        "duration_count": duration_count, "lead_amount": lead_amount,
        "recruiter_rate": recruiter_rate,
    }  # fmt: skip
    form.on_error(lambda error: _terms_page(request, session, form=entered, error=error))
    row = service.add_terms(session, program, _terms_draft(entered))
    return RedirectResponse(f"/partners/terms?done={row.version}", status_code=303)


def _payouts_page(request: Request, session: Session, *, done: str = "") -> Response:
    program = service.default_program(session)
    notice = _PAYOUT_DONE.get(done, "")
    if done == "none":
        notice = (
            f"Nothing is due yet: no partner's approved commissions reach the threshold of "
            f"{show_money(program.payout_threshold)} {program.currency}."
        )
    context: dict[str, Any] = {
        "title": "Payouts",
        "program": program,
        "payouts": payout_rows(session, program),
        "waiting": waiting_for_payout(session, program),
        "formats": FORMATS,
        "done": notice,
        **page_helpers(),
    }
    return render(request, "partners/admin_payouts.html", context)


@router.get("/payouts")
def payouts_page(
    request: Request, session: SessionDep, user: OwnerUser, done: str = ""
) -> Response:
    """The program's payouts, what waits for the next one, and the button to create it."""
    return _payouts_page(request, session, done=done)


@router.post("/payouts")
def create_payout(
    session: SessionDep, user: OwnerUser, program: ProgramDep, _csrf: CsrfProtected
) -> Response:
    """Batch every approved commission of partners above the threshold."""
    payout = service.create_payout(session, program, actor=user.email, now=utcnow())
    done = "created" if payout is not None else "none"
    return RedirectResponse(f"/partners/payouts?done={done}", status_code=303)


@router.post("/payouts/{payout_id:int}/paid")
def mark_paid(
    request: Request,
    payout_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: OwnerUser,
    program: ProgramDep,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Record, once confirmed, that the payout was sent: its commissions become paid, and each
    partner is emailed a notice after the answer (when email is set up)."""
    if service.get_payout(session, program, payout_id).status == "paid":
        return RedirectResponse("/partners/payouts?done=paid", status_code=303)
    step = Confirmation(
        title=f"Mark payout {payout_id} paid?",
        consequence="Do this only once the money has been sent. Every commission in the payout "
        "becomes paid, partners see it as paid in their portal (and are emailed a notice when "
        "email is set up), and commission.paid webhooks go out. This cannot be undone.",
        button="Mark paid",
        cancel="/partners/payouts",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.mark_paid(session, program, payout_id, actor=user.email, now=utcnow())
    db = request.app.state.db
    background.add_task(service.send_due_notices, db, settings, payout_id=payout_id)
    return RedirectResponse("/partners/payouts?done=paid", status_code=303)


@router.get("/payouts/{payout_id:int}/export.csv")
def export_payout(
    payout_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    program: ProgramDep,
    format: str = "paypal",
) -> Response:
    """The payout as a PayPal Payouts or Wise batch file."""
    if format not in FORMATS:
        raise HTTPException(400, f"Choose format={' or format='.join(FORMATS)}.")
    # The file is written before the response starts, so a wrong ID is still a 404.
    return csv_download(
        f"payout-{payout_id}-{format}.csv",
        lambda out: service.export_payout(session, program, payout_id, format, out),
    )


_EARNING = ("lead", "sale", "renewal")


def _conversions_page(
    request: Request,
    session: Session,
    owner: bool,
    status: str = "",
    *,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    program = service.default_program(session)
    chosen = status if status in CONVERSION_STATUSES else ""
    partners = [p for p in service.list_partners(session, program) if p.status == "active"]
    context: dict[str, Any] = {
        "title": "Conversions",
        "rows": conversions(session, program, chosen),
        "statuses": CONVERSION_STATUSES,
        "status": chosen,
        "can_attribute": owner and bool(partners),
        "partners": partners if owner else [],
        "earning": _EARNING,
        "error": error,
        "done": done,
        **page_helpers(),
    }
    return render(
        request, "partners/admin_conversions.html", context, status_code=400 if error else 200
    )


@router.get("/conversions")
def conversions_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    program: ProgramDep,
    status: str = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Recent conversions, so unmatched events can be reviewed (and attributed by the owner)."""
    notice = "Conversion attributed: its commission follows the partner's terms." if done else ""
    return _conversions_page(request, session, user.role == "owner", status, done=notice)


@router.post("/conversions/{conversion_id:int}/attribute")
def attribute_conversion(
    request: Request,
    conversion_id: int,
    session: SessionDep,
    user: OwnerUser,
    program: ProgramDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    partner_id: FormStr = "",
    note: FormStr = "",
) -> Response:
    """Attribute an unattributed conversion to the partner chosen; who and when are recorded."""
    form.on_error(lambda error: _conversions_page(request, session, True, error=error))
    chosen = row_id(partner_id)
    if chosen is None:
        raise PartnerRuleError("partner_id", "choose the partner who earns this conversion")
    service.attribute_by_hand(
        session, program, conversion_id, chosen, actor=user.email, note=note[:200]
    )
    return RedirectResponse(
        f"/partners/conversions?done=attributed#conversion-{conversion_id}", status_code=303
    )
