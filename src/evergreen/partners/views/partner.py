"""Pages for one partner: links, coupons, commissions with their buttons, statement CSV."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.money import show_money, show_number
from evergreen.partners import service
from evergreen.partners.models import Partner
from evergreen.partners.queries import (
    commissions_of,
    coupons_of,
    figures_by_partner,
    links_of,
    status_notes,
)
from evergreen.partners.rules import HAND_ACTIONS, PAYOUT_METHODS, Action, allowed_actions
from evergreen.partners.views.deps import PartnerDep, ProgramDep
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep, SettingsDep
from evergreen.web.downloads import csv_download
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["page_helpers", "router"]

router = APIRouter(prefix="/partners", include_in_schema=False)
FormStr = Annotated[str, Form()]
_DONE = {
    "link": "Link assigned: its clicks now attribute sales to this partner.",
    "coupon": "Coupon added.",
    "edited": "Partner saved.",
    "unlinked": "Link unassigned: its later clicks credit nobody; sales already made stay theirs.",
    "uncoupon": "Coupon removed: later sales with it credit nobody; earlier ones stay theirs.",
    "approve": "Commission approved.",
    "hold": "Commission put on hold.",
    "release": "Commission released: it waits for the holding period again.",
    "reject": "Commission rejected.",
}


def amounts(by_currency: Mapping[str, Decimal]) -> str:
    """Totals per currency as one line, thousands apart as on every page: '1,030.00 USD,
    5.00 EUR', or '—' when there is none (no currency to say a zero in)."""
    shown = [f"{show_money(t, grouped=True)} {code}" for code, t in sorted(by_currency.items())]
    return ", ".join(shown) or "—"


def _actions(status: str) -> list[Action]:
    """The buttons a commission in this status can take: moves made by hand, which the
    route accepts."""
    return allowed_actions(status, HAND_ACTIONS)


def page_helpers() -> dict[str, Callable[..., Any]]:
    """Formatting functions every page of the program uses."""
    return {"amounts": amounts, "money": show_money, "number": show_number, "actions_for": _actions}


def _detail_page(
    request: Request,
    session: Session,
    partner: Partner,
    *,
    error: InputError | None = None,
    form: dict[str, str] | None = None,
    done: str = "",
    invite: service.PortalLink | None = None,
    mailed: str = "",
    refused: str = "Not saved:",
    edit: dict[str, str] | None = None,
) -> Response:
    commissions = commissions_of(session, partner.id, limit=500)
    program = service.program_of(session, partner)
    context: dict[str, Any] = {
        "title": partner.name,
        "partner": partner,
        "figures": figures_by_partner(session, [partner.id])[partner.id],
        "links": links_of(session, partner.id),
        "coupons": coupons_of(session, partner.id),
        "commissions": commissions,
        "notes": status_notes(session, program, commissions, utcnow()),
        "program": program,
        "payout_methods": PAYOUT_METHODS,
        "edit": edit or _profile(partner),
        "editing": edit is not None,
        "error": error,
        "refused": refused,
        "form": form or {},
        "done": _DONE.get(done, ""),
        "has_account": service.account_exists(session, partner.email),
        "invite": invite,
        "mailed": mailed,
        **page_helpers(),
    }
    status = 400 if error else 200
    return render(request, "partners/admin_partner.html", context, status_code=status)


def _profile(partner: Partner) -> dict[str, str]:
    """The edit form's boxes as stored."""
    return {
        "name": partner.name,
        "email": partner.email,
        "group": partner.group,
        "payout_method": partner.payout_method,
        "payout_email": str((partner.payout_details or {}).get("email", "")),
    }


@router.post("/commissions/{commission_id:int}/{action}")
def commission_action(
    request: Request,
    commission_id: DbId,
    action: str,
    session: SessionDep,
    user: DashboardUser,
    program: ProgramDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    note: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Hold, release, reject (once confirmed) or approve one commission by hand; it is logged."""
    commission = service.get_commission(session, program, commission_id)
    partner = service.get_partner(session, program, commission.partner_id)
    if action == "reject":
        amount = f"{show_money(commission.amount)} {commission.currency}"
        step = Confirmation(
            title=f"Reject commission {commission.id}?",
            consequence=f"{partner.name} will not be paid this commission of {amount}. A rejected "
            "commission cannot be approved again; the change is logged under your name.",
            button="Reject commission",
            cancel=f"/partners/{partner.id}#commission-{commission.id}",
            fields={"note": note},
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    form.on_error(lambda error: _detail_page(request, session, partner, error=error))
    service.change_status(session, program, commission_id, action, actor=user.email, note=note)
    return RedirectResponse(
        f"/partners/{partner.id}?done={action}#commission-{commission_id}", status_code=303
    )


@router.get("/{partner_id:int}")
def partner_page(
    request: Request, session: SessionDep, user: DashboardUser, partner: PartnerDep, done: str = ""
) -> Response:
    """One partner: links, coupons, commissions and their statement."""
    return _detail_page(request, session, partner, done=done)


@router.post("/{partner_id:int}/links")
def assign_link(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    partner: PartnerDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    slug: FormStr = "",
) -> Response:
    """Give an existing tracking link to the partner."""
    form.on_error(
        lambda error: _detail_page(request, session, partner, error=error, form={"slug": slug})
    )
    service.assign_link(session, partner, slug.strip())
    return RedirectResponse(f"/partners/{partner.id}?done=link", status_code=303)


@router.post("/{partner_id:int}/coupons")
def add_coupon(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    partner: PartnerDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    code: FormStr = "",
) -> Response:
    """Add a coupon code that credits the partner."""
    form.on_error(
        lambda error: _detail_page(request, session, partner, error=error, form={"code": code})
    )
    service.add_coupon(session, partner, code)
    return RedirectResponse(f"/partners/{partner.id}?done=coupon", status_code=303)


@router.post("/{partner_id:int}/invite")
def invite_partner(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OwnerUser,
    partner: PartnerDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    confirm: FormStr = "",
) -> Response:
    """Owner-only: an invitation (voiding earlier ones), or a confirmed reset once they sign in."""
    if service.account_exists(session, partner.email):
        step = Confirmation(
            title=f"Make a password-reset link for {partner.name}?",
            consequence=f"{partner.email} already signs in to the portal. You get a link that "
            "works once, for 24 hours, to send them yourself; whoever opens it chooses a new "
            "password and signs out every browser of that account. Until then their current "
            "password keeps working.",
            button="Make reset link",
            cancel=f"/partners/{partner.id}",
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    form.on_error(
        lambda error: _detail_page(request, session, partner, error=error, refused="No link made:")
    )
    link = service.issue_invite(
        session, request.app.state.secret, site_url(request), partner, actor=user.email
    )
    program = service.program_of(session, partner).name
    mailed = service.mail_portal_link(session, settings, partner, link, program)
    return _detail_page(request, session, partner, invite=link, mailed=mailed)


@router.get("/{partner_id:int}/statement.csv")
def statement_csv(
    session: SessionDep,
    user: DashboardUser,
    program: ProgramDep,
    partner: PartnerDep,
) -> Response:
    """The partner's commissions as CSV, as the portal gives it to them."""
    return csv_download(
        f"statement-partner-{partner.id}.csv",
        lambda out: service.statement(session, program, partner.id, out),
    )
