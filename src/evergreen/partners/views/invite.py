"""Portal invitations: the owner issues a signed link, the partner follows it to set a password
(the web kit's invitation page, on /portal/invite)."""

from __future__ import annotations

from evergreen.partners import service
from evergreen.partners.rules import PartnerRuleError
from evergreen.web.invitation import Invitation, invitation_router

__all__ = ["router"]

router = invitation_router(Invitation(
    path="/portal/invite", who="partner", home="/portal", usable=service.usable_invitation,
    accept=service.accept_invitation, refuses=lambda error: isinstance(error, PartnerRuleError),
))  # fmt: skip
