"""JSON routes to read and change one partner: profile and payout details, unassigning a
link, removing a coupon. Sales already attributed stay with the partner."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field

from evergreen.partners import service
from evergreen.partners.api.program import PartnerDep
from evergreen.partners.api.schemas import PartnerDetailOut
from evergreen.partners.rules import ProfileEdit
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiStaff, DbId, SessionDep, SettingsDep

__all__ = ["router"]

router = APIRouter(prefix="/partners", tags=["partners"])


class PartnerPatch(RequestBody):
    """The fields to change; those left out stay as they are (payout_email '' = their email)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, min_length=3, max_length=254)
    group: str | None = Field(None, max_length=50)
    payout_method: str | None = Field(None, max_length=16)
    payout_email: str | None = Field(None, max_length=254)


@router.get("/{partner_id:int}", operation_id="get_partner")
def get_partner(
    request: Request,
    partner_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiStaff,
    partner: PartnerDep,
) -> PartnerDetailOut:
    """One partner with payout details, links and coupons."""
    return PartnerDetailOut.of(session, settings, site_url(request), partner)


@router.patch("/{partner_id:int}", operation_id="update_partner")
def update_partner(
    request: Request,
    partner_id: DbId,
    body: PartnerPatch,
    session: SessionDep,
    settings: SettingsDep,
    user: ApiStaff,
    partner: PartnerDep,
) -> PartnerDetailOut:
    """Change a partner's name, email, group or payout details (409: the email is a sign-in)."""
    service.update_partner(session, partner, ProfileEdit(**body.model_dump(exclude_unset=True)))
    return PartnerDetailOut.of(session, settings, site_url(request), partner)


@router.delete(
    "/{partner_id:int}/links/{slug}", status_code=204, operation_id="unassign_partner_link"
)
def unassign_partner_link(
    partner_id: DbId, slug: str, session: SessionDep, user: ApiStaff, partner: PartnerDep
) -> Response:
    """Take a link away from the partner; the link, its clicks and past sales stay."""
    service.unassign_link(session, partner, slug)
    return Response(status_code=204)


@router.delete(
    "/{partner_id:int}/coupons/{code}", status_code=204, operation_id="remove_partner_coupon"
)
def remove_partner_coupon(
    partner_id: DbId, code: str, session: SessionDep, user: ApiStaff, partner: PartnerDep
) -> Response:
    """Remove a partner's coupon code; sales already made with it stay theirs."""
    service.remove_coupon(session, partner, code)
    return Response(status_code=204)
