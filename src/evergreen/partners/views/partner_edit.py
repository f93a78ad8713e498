"""Changing a partner from their page: profile and payout details, unassigning a link,
removing a coupon. Sales already attributed stay with the partner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from evergreen.partners import service
from evergreen.partners.rules import ProfileEdit
from evergreen.partners.views.deps import PartnerDep
from evergreen.partners.views.partner import _detail_page
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, SessionDep
from evergreen.web.forms import FormPageDep

__all__ = ["router"]

router = APIRouter(prefix="/partners", include_in_schema=False)
FormStr = Annotated[str, Form()]


def _back(partner_id: int, done: str) -> Response:
    return RedirectResponse(f"/partners/{partner_id}?done={done}", status_code=303)


@router.post("/{partner_id:int}/edit")
def edit_partner(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    partner: PartnerDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
    name: FormStr = "",
    email: FormStr = "",
    group: FormStr = "",
    payout_method: FormStr = "paypal",
    payout_email: FormStr = "",
) -> Response:
    """Save the partner's name, email, group and payout details, or show what to fix."""
    entered = {
        "name": name, "email": email, "group": group, "payout_method": payout_method,
        "payout_email": payout_email,
    }  # fmt: skip
    form.on_error(
        lambda error: _detail_page(
            request, session, partner, error=error, edit=entered, refused="Partner not saved:"
        )
    )
    service.update_partner(session, partner, ProfileEdit(**entered))
    return _back(partner.id, "edited")


@router.post("/{partner_id:int}/links/{slug}/remove")
def unassign_link(
    request: Request,
    slug: str,
    session: SessionDep,
    user: DashboardUser,
    partner: PartnerDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
) -> Response:
    """Take a link away from the partner; the link and its history stay."""
    form.on_error(
        lambda error: _detail_page(
            request, session, partner, error=error, refused="Link not unassigned:"
        )
    )
    service.unassign_link(session, partner, slug)
    return _back(partner.id, "unlinked")


@router.post("/{partner_id:int}/coupons/{code}/remove")
def remove_coupon(
    request: Request,
    code: str,
    session: SessionDep,
    user: DashboardUser,
    partner: PartnerDep,
    _csrf: CsrfProtected,
    form: FormPageDep,
) -> Response:
    """Remove one of the partner's coupon codes; sales already made with it stay theirs."""
    form.on_error(
        lambda error: _detail_page(
            request, session, partner, error=error, refused="Coupon not removed:"
        )
    )
    service.remove_coupon(session, partner, code)
    return _back(partner.id, "uncoupon")
