"""Portal invitations: the owner issues a signed link, the partner follows it to set a password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import AccountError
from evergreen.accounts.rules import Role
from evergreen.partners.rules import PartnerRuleError
from evergreen.partners.service.invitations import already_signed_up, usable_invitation
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import SessionDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]
_TITLE = "Set your password"


def _refused(request: Request, exc: PartnerRuleError) -> Response:
    context = {"title": "Invitation not usable", "problem": exc.message}
    return render(request, "partners/invite.html", context, status_code=400)


@router.get("/portal/invite")
def invite_page(request: Request, session: SessionDep, token: str = "") -> Response:
    """The set-your-password form a partner reaches from the owner's invitation link."""
    try:
        invite, partner = usable_invitation(session, request.app.state.secret, token)
    except PartnerRuleError as exc:
        return _refused(request, exc)
    context = {"title": _TITLE, "token": token, "name": partner.name, "invite": invite}
    return render(request, "partners/invite.html", context)


@router.post("/portal/invite")
def accept_invite(
    request: Request,
    session: SessionDep,
    _csrf: CsrfProtected,
    token: FormStr = "",
    password: FormStr = "",
    password_again: FormStr = "",
) -> Response:
    """Create the partner's sign-in with the password they chose, then send them to sign in."""
    try:
        invite, partner = usable_invitation(session, request.app.state.secret, token)
    except PartnerRuleError as exc:
        return _refused(request, exc)
    context: dict[str, Any] = {"title": _TITLE, "token": token, "name": partner.name}
    context["invite"] = invite
    if password != password_again:
        context["error"] = "The two passwords differ; type the same password twice."
        return render(request, "partners/invite.html", context, status_code=400)
    try:
        with session.begin_nested():
            accounts.create_user(session, invite.email, password, Role.PARTNER)
    except AccountError as exc:
        context["error"] = exc.message
        return render(request, "partners/invite.html", context, status_code=400)
    except IntegrityError:  # the same link accepted twice at the same moment
        return _refused(request, already_signed_up(invite.email))
    return RedirectResponse("/login?next=/portal", status_code=303)
