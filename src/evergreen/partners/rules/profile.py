"""Pure checks of a partner's editable profile: name, group and how they are paid."""

from __future__ import annotations

from dataclasses import dataclass

from evergreen.partners.rules.errors import PartnerRuleError

__all__ = ["PAYOUT_METHODS", "ProfileEdit", "check_profile"]

PAYOUT_METHODS = ("paypal", "wise")


@dataclass(frozen=True)
class ProfileEdit:
    """A change to a partner: None leaves a field as it is."""

    name: str | None = None
    email: str | None = None
    group: str | None = None
    payout_method: str | None = None
    payout_email: str | None = None


def check_profile(edit: ProfileEdit) -> ProfileEdit:
    """The edit with name and group trimmed, or an error naming the field to fix
    (email addresses are checked by the accounts area, as at sign-up)."""
    name = edit.name.strip() if edit.name is not None else None
    if name is not None and not 1 <= len(name) <= 200:
        raise PartnerRuleError("name", "must be 1 to 200 characters")
    group = edit.group.strip() if edit.group is not None else None
    if group is not None and len(group) > 50:
        raise PartnerRuleError("group", "must be at most 50 characters")
    method = edit.payout_method
    if method is not None and method not in PAYOUT_METHODS:
        raise PartnerRuleError("payout_method", f"must be one of {', '.join(PAYOUT_METHODS)}")
    return ProfileEdit(
        name=name,
        email=edit.email.strip() if edit.email is not None else None,
        group=group,
        payout_method=method,
        payout_email=edit.payout_email.strip() if edit.payout_email is not None else None,
    )
