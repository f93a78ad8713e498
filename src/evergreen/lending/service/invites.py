"""Borrower portal invitations (service): a signed link for a borrower with an email, or a
password-reset link once they sign in; accepting creates the borrower's sign-in and links it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.lending.errors import LendingInputError
from evergreen.lending.models import Borrower
from evergreen.lending.rules.invites import (
    BorrowerInvite,
    invite_expiry,
    invite_token,
    invite_url,
    read_invite,
)
from evergreen.lending.service.parties import lock_borrower

__all__ = ["PortalLink", "accept_invitation", "issue_invite", "usable_invitation"]


@dataclass(frozen=True)
class PortalLink:
    """A link the owner hands a borrower: an invitation, or a reset once they have a sign-in."""

    kind: str  # invitation or password_reset
    url: str
    expires_at: datetime


def issue_invite(session: Session, secret: str, base_url: str, borrower_id: int) -> PortalLink:
    """A new invitation link (earlier ones stop working), or a reset link when the borrower's
    email already signs in as a borrower.

    Under the borrower's lock: an acceptance committed meanwhile gives a reset link, and one
    that waits for this finds its link replaced."""
    borrower = lock_borrower(session, borrower_id)
    if borrower is None:
        raise NotFound("borrower_id", f"there is no borrower {borrower_id}")
    email = borrower.email.strip().lower()
    if not email:
        raise LendingInputError("email", "the borrower has no email; add one, then invite them")
    user = accounts.user_by_email(session, email)
    if user is not None:
        if user.role != accounts.Role.BORROWER.value:
            raise LendingInputError("email", f"{email} already signs in as {user.role}; give the "
                                    "borrower another email")  # fmt: skip
        borrower.user_id = user.id
        reset = accounts.issue_reset(session, email, actor="owner", base_url=base_url)
        return PortalLink("password_reset", reset.url, reset.expires_at)
    borrower.invite_nonce = secrets.token_urlsafe(12)
    invite = BorrowerInvite(borrower.id, email, borrower.invite_nonce, invite_expiry(utcnow()))
    return PortalLink("invitation", invite_url(base_url, invite_token(secret, invite)),
                      invite.expires_at)  # fmt: skip


def usable_invitation(session: Session, secret: str, token: str) -> tuple[BorrowerInvite, Borrower]:
    """A usable invitation and its borrower, or why it cannot be used."""
    invite = read_invite(secret, token, utcnow())
    return invite, _invited(session, invite, session.get(Borrower, invite.borrower_id))


def _invited(session: Session, invite: BorrowerInvite, borrower: Borrower | None) -> Borrower:
    """The invitation's borrower, or why the invitation no longer fits them, in words."""
    if borrower is None or borrower.email.strip().lower() != invite.email:
        raise LendingInputError("token", "this invitation no longer matches a borrower; ask "
                                "your lender for a new one")  # fmt: skip
    if accounts.account_exists(session, invite.email):
        raise LendingInputError("token", f"an account already exists for {invite.email}; sign "
                                "in instead")  # fmt: skip
    if invite.nonce != (borrower.invite_nonce or ""):
        raise LendingInputError("token", "a newer invitation replaced this one; use the latest "
                                "link you were sent")  # fmt: skip
    return borrower


def accept_invitation(session: Session, invite: BorrowerInvite, password: str) -> None:
    """Create the invited borrower's sign-in with the password they chose, once, and link it.

    Checked again on the borrower as stored under their lock (the page read them before): an
    email change or a newer invitation committed meanwhile voids the link, and one that waits
    for this decides on the sign-in it made."""
    borrower = _invited(session, invite, lock_borrower(session, invite.borrower_id))
    try:
        with session.begin_nested():
            user = accounts.create_user(session, invite.email, password, accounts.Role.BORROWER)
    except IntegrityError:  # the address taken meanwhile outside this borrower's lock
        raise LendingInputError("token", f"an account already exists for {invite.email}; sign "
                                "in instead") from None  # fmt: skip
    borrower.user_id = user.id
    borrower.invite_nonce = None
