"""Borrower invitations: the borrower follows the owner's signed link to set a password (the web
kit's invitation page, on /borrower/invite)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from evergreen.lending import service
from evergreen.web.invitation import Invitation, invitation_router

__all__ = ["router"]


def _usable(session: Session, secret: str, token: str) -> tuple[Any, Any]:
    """The invitation and its borrower; a token past any real one's length is read cut."""
    return service.usable_invitation(session, secret, token[:1000])


router = invitation_router(Invitation(
    path="/borrower/invite", who="borrower", home="/borrower", usable=_usable,
    accept=service.accept_invitation, refuses=lambda error: error.field == "token",
))  # fmt: skip
