"""Portal invitations: the owner issues a signed link, the partner follows it to set a password."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.errors import AccountError
from evergreen.accounts.models import User
from evergreen.accounts.rules import Role
from evergreen.db import utcnow
from evergreen.partners import service
from evergreen.partners.invites import (
    Invite,
    InviteError,
    invite_expiry,
    invite_token,
    invite_url,
    read_invite,
)
from evergreen.partners.models import Partner
from evergreen.partners.rules import PartnerRuleError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import SessionDep
from evergreen.web.templates import render

__all__ = ["account_exists", "issue_invite", "router"]

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]
_TITLE = "Set your password"


def account_exists(session: Session, email: str) -> bool:
    """Whether someone already signs in with this email (then an invitation has no use)."""
    return session.scalar(select(User.id).where(User.email == email.lower())) is not None


def _already(email: str) -> PartnerRuleError:
    return PartnerRuleError("email", f"an account already exists for {email}; sign in instead")


def issue_invite(
    session: Session, secret: str, base_url: str, partner: Partner
) -> tuple[str, datetime]:
    """The invitation URL for a partner without a sign-in, and when it stops working."""
    if account_exists(session, partner.email):
        raise PartnerRuleError(
            "email", f"{partner.email} already has an account; they sign in at /login"
        )
    if partner.status == "suspended":
        raise PartnerRuleError("status", "the partner is suspended; reinstate them first")
    expires_at = invite_expiry(utcnow())
    token = invite_token(secret, partner.id, partner.email, expires_at)
    return invite_url(base_url, token), expires_at


def _invitation(session: Session, secret: str, token: str) -> tuple[Invite, Partner]:
    """A usable invitation and its partner, or the reason it cannot be used."""
    invite = read_invite(secret, token, utcnow())
    program = service.default_program(session)
    partner = session.get(Partner, invite.partner_id)
    if partner is None or partner.program_id != program.id or partner.email != invite.email:
        raise InviteError("this invitation no longer matches a partner; ask for a new one")
    if partner.status == "suspended":
        raise InviteError("this partnership is suspended; contact the program owner")
    if account_exists(session, invite.email):
        raise _already(invite.email)
    return invite, partner


def _refused(request: Request, exc: PartnerRuleError) -> Response:
    context = {"title": "Invitation not usable", "problem": exc.message}
    return render(request, "partners/invite.html", context, status_code=400)


@router.get("/portal/invite")
def invite_page(request: Request, session: SessionDep, token: str = "") -> Response:
    """The set-your-password form a partner reaches from the owner's invitation link."""
    try:
        invite, partner = _invitation(session, request.app.state.secret, token)
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
        invite, partner = _invitation(session, request.app.state.secret, token)
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
        return _refused(request, _already(invite.email))
    return RedirectResponse("/login?next=/portal", status_code=303)
