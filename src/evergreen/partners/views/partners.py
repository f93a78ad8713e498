"""Dashboard pages of the affiliate program: the partners list, adding and approving partners."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.errors import InputError
from evergreen.partners import service
from evergreen.partners.queries import figures_by_partner
from evergreen.partners.views import partner as views_partner
from evergreen.partners.views import partner_edit as views_partner_edit
from evergreen.partners.views import payout as views_payout
from evergreen.partners.views import program as views_program
from evergreen.partners.views import settings as views_settings
from evergreen.partners.views.deps import PartnerDep, ProgramDep
from evergreen.partners.views.partner import page_helpers
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]
STATUSES = ("pending", "active", "suspended")
_DONE = {
    "created": "Partner added.",
    "active": "Partner approved: their links and coupons now earn commissions.",
    "suspended": "Partner suspended: new sales no longer earn them commissions.",
    "pending": "Partner set back to pending.",
}


def _list_page(
    request: Request,
    session: SessionDep,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    program = service.default_program(session)
    partners = service.list_partners(session, program, order="name")
    context: dict[str, Any] = {
        "title": "Partners",
        "partners": partners,
        "figures": figures_by_partner(session, [partner.id for partner in partners]),
        "statuses": STATUSES,
        "form": form or {"name": "", "email": "", "group": "", "status": "pending"},
        "error": error,
        "done": _DONE.get(done, ""),
        **page_helpers(),
    }
    return render(request, "partners/admin_list.html", context, status_code=400 if error else 200)


@router.get("/partners")
def list_page(
    request: Request, session: SessionDep, user: DashboardUser, done: str = ""
) -> Response:
    """Every partner with their clicks and money, and the form to add one."""
    return _list_page(request, session, done=done)


@router.post("/partners")
def create_partner(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    program: ProgramDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    email: FormStr = "",
    group: FormStr = "",
    status: FormStr = "pending",
) -> Response:
    """Add a partner, or show the form again with what to fix."""
    entered = {"name": name, "email": email, "group": group, "status": status}
    form.on_error(lambda error: _list_page(request, session, form=entered, error=error))
    service.create_partner(session, program, name=name, email=email, group=group, status=status)
    return RedirectResponse("/partners?done=created", status_code=303)


@router.post("/partners/{partner_id:int}/status")
def set_status(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    program: ProgramDep,
    partner: PartnerDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    status: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Approve, suspend (once confirmed) or reinstate a partner, then go back to the list."""
    if status == "suspended" and partner.status != "suspended":
        step = Confirmation(
            title=f"Suspend {partner.name}?",
            consequence=f"From now on, sales through {partner.name}'s links and coupons earn "
            "them no commission, and they cannot use new portal invitations. You can reinstate "
            "them later, but sales made while suspended never earn a commission.",
            button="Suspend partner",
            cancel="/partners",
            fields={"status": status},
        )
        if (asked := ask_first(request, confirm, step)) is not None:
            return asked
    form.on_error(lambda error: _list_page(request, session, error=error))
    service.set_status(session, partner, status)
    return RedirectResponse(f"/partners?done={partner.status}", status_code=303)


router.include_router(views_program.router)  # /partners/terms, payouts, conversions first:
router.include_router(views_payout.router)
router.include_router(views_settings.router)
router.include_router(views_partner.router)  # then /partners/{id}, which would shadow them
router.include_router(views_partner_edit.router)
