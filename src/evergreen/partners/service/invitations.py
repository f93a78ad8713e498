"""Portal invitations (service): a signed link for a partner, or a reset link once they sign in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.config import Settings
from evergreen.db import utcnow
from evergreen.mail.transactional import Transactional, deliver, mail_problem
from evergreen.partners.models import Partner
from evergreen.partners.rules import PartnerRuleError
from evergreen.partners.rules.invite_token import (
    Invite,
    InviteError,
    invite_expiry,
    invite_token,
    invite_url,
    read_invite,
)
from evergreen.partners.service.partner_edits import lock_partner
from evergreen.partners.service.partners import default_program

__all__ = [
    "PortalLink",
    "accept_invitation",
    "account_exists",
    "already_signed_up",
    "issue_invite",
    "mail_portal_link",
    "portal_link_mail",
    "usable_invitation",
]


@dataclass(frozen=True)
class PortalLink:
    """A link the owner hands a partner: an invitation, or a password reset if they sign in."""

    kind: Literal["invitation", "password_reset"]
    url: str
    expires_at: datetime


def account_exists(session: Session, email: str) -> bool:
    """Whether someone already signs in with this email (then an invitation has no use)."""
    return accounts.account_exists(session, email)


def already_signed_up(email: str) -> PartnerRuleError:
    """The refusal of an invitation whose partner already signs in."""
    return PartnerRuleError("email", f"an account already exists for {email}; sign in instead")


def issue_invite(
    session: Session, secret: str, base_url: str, partner: Partner, *, actor: str = "owner"
) -> PortalLink:
    """A new invitation link (earlier ones stop working), or a reset link when they sign in."""
    if partner.status == "suspended":
        raise PartnerRuleError("status", "the partner is suspended; reinstate them first")
    if account_exists(session, partner.email):
        reset = accounts.issue_reset(session, partner.email, actor=actor, base_url=base_url)
        return PortalLink("password_reset", reset.url, reset.expires_at)
    partner.invite_nonce = secrets.token_urlsafe(12)
    expires_at = invite_expiry(utcnow())
    token = invite_token(secret, partner.id, partner.email, expires_at, partner.invite_nonce)
    return PortalLink("invitation", invite_url(base_url, token), expires_at)


def usable_invitation(session: Session, secret: str, token: str) -> tuple[Invite, Partner]:
    """A usable invitation and its partner, or the reason it cannot be used."""
    invite = read_invite(secret, token, utcnow())
    return invite, _invited(session, invite, session.get(Partner, invite.partner_id))


def _invited(session: Session, invite: Invite, partner: Partner | None) -> Partner:
    """The invitation's partner, or why the invitation no longer fits them, in words."""
    program = default_program(session)
    if partner is None or partner.program_id != program.id or partner.email != invite.email:
        raise InviteError("this invitation no longer matches a partner; ask for a new one")
    if partner.status == "suspended":
        raise InviteError("this partnership is suspended; contact the program owner")
    if account_exists(session, invite.email):
        raise already_signed_up(invite.email)
    if invite.nonce != (partner.invite_nonce or ""):
        raise InviteError(
            "a newer invitation replaced this one; use the latest link you were sent, "
            "or ask the program owner for a new one"
        )
    return partner


def accept_invitation(session: Session, invite: Invite, password: str) -> None:
    """Create the invited partner's sign-in with the password they chose, once.

    Checked again on the partner as stored under its lock (the page read it before): an edit
    of their email committed meanwhile voids the link, and one that waits for this keeps the
    address the new sign-in uses."""
    _invited(session, invite, lock_partner(session, invite.partner_id))
    try:
        with session.begin_nested():
            accounts.create_user(session, invite.email, password, accounts.Role.PARTNER)
    except IntegrityError:  # the same link accepted twice at the same moment
        raise already_signed_up(invite.email) from None


_INVITE_BODY = """<p>Hello {{ subscriber.name }},</p>
<p>You are invited to the partner portal of {{ subscriber.fields.program }}: your referral links,
your commissions and your payouts in one place. Choose your password here:</p>
<p><a href="{{ subscriber.fields.url }}">Choose your password</a></p>
<p>The link works once, until {{ subscriber.fields.expires }} UTC.</p>
"""


_RESET_BODY = """<p>Hello {{ subscriber.name }},</p>
<p>Here is a link to choose a new password for the partner portal of
{{ subscriber.fields.program }}:</p>
<p><a href="{{ subscriber.fields.url }}">Choose a new password</a></p>
<p>The link works once, until {{ subscriber.fields.expires }} UTC. Using it signs out every
browser signed in to your account; until then your current password keeps working.</p>
"""


def portal_link_mail(partner: Partner, link: PortalLink, program: str) -> Transactional:
    """The message that carries a portal link to its partner: the invitation, or a reset link
    once they sign in."""
    reset = link.kind == "password_reset"
    return Transactional(
        to=partner.email,
        name=partner.name,
        subject=f"Choose a new password for the {program} partner portal"
        if reset
        else f"Your invitation to the {program} partner portal",
        body=_RESET_BODY if reset else _INVITE_BODY,
        values={
            "url": link.url,
            "expires": link.expires_at.strftime("%Y-%m-%d %H:%M"),
            "program": program,
        },
    )


def mail_portal_link(
    session: Session, settings: Settings, partner: Partner, link: PortalLink, program: str
) -> str:
    """Mail a portal link just made, after committing it (the link works when it arrives and
    no SMTP wait holds the write lock); what happened, in words, for the owner."""
    problem = mail_problem(settings)
    if problem is not None:
        return f"Not mailed: email is not set up ({problem}). Send the link yourself."
    session.commit()
    failed = deliver(settings, portal_link_mail(partner, link, program), "portal link mail")
    if failed is not None:
        return f"Not mailed ({failed}). Send the link yourself."
    return f"Mailed to {partner.email}."
