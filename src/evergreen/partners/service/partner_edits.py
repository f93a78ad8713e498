"""Changing a partner after creation: profile and payout details, unassigning links, removing
coupons. Past attribution stays: conversions, customers and commissions keep their partner."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.errors import InputError
from evergreen.links import service as links
from evergreen.partners.models import Coupon, Partner, PartnerLink
from evergreen.partners.rules import (
    PartnerConflict,
    PartnerNotFound,
    PartnerRuleError,
    ProfileEdit,
    check_profile,
)

__all__ = ["lock_partner", "remove_coupon", "unassign_link", "update_partner"]


def lock_partner(session: Session, partner_id: int) -> Partner | None:
    """The partner as stored now, locked until this unit of work ends, so an edit, a status
    change and an invitation's acceptance of one partner run one after the other and each
    decides on what the other committed (PostgreSQL: the row; SQLite: a writer already holds
    the write lock). Lock order: a unit of work that also takes the program's payout lock
    (`lock_payouts`) takes it before this one, never after (none takes both yet)."""
    # FOR NO KEY UPDATE: sales attributed meanwhile (rows naming the partner) need not wait.
    return session.get(
        Partner, partner_id, with_for_update={"key_share": True}, populate_existing=True
    )


def _address(field: str, email: str) -> str:
    try:
        return accounts.normalize_email(email)
    except InputError as exc:  # the accounts area refused the address
        raise PartnerRuleError(field, exc.message) from None


def _taken(session: Session, partner: Partner, address: str) -> bool:
    """Whether another partner of the program has this address."""
    taken = select(Partner.id).where(
        Partner.program_id == partner.program_id, Partner.email == address, Partner.id != partner.id
    )
    return session.scalar(taken) is not None


def _new_email(session: Session, partner: Partner, email: str) -> str:
    """The partner's new address, if no other partner has it and no portal sign-in hangs on it."""
    address = _address("email", email)
    if address == partner.email:
        return address
    if _taken(session, partner, address):
        raise PartnerRuleError("email", f"{address} is already a partner")
    if accounts.account_exists(session, partner.email):
        # The portal finds a partner by their sign-in's email: changing one side locks them out.
        raise PartnerConflict(
            "email",
            f"{partner.email} signs in to the portal with this address, so it cannot be changed "
            "here; keep it, or set a different payout email for payments",
        )
    return address


def update_partner(session: Session, partner: Partner, edit: ProfileEdit) -> Partner:
    """Change a partner's name, email, group or payout method and email (None: unchanged).

    Decided on the partner as stored under its lock: an invitation accepted meanwhile makes
    the old address a sign-in (kept), and one that waits for this sees the new address."""
    clean = check_profile(edit)
    if lock_partner(session, partner.id) is None:
        raise PartnerNotFound("partner_id", f"no partner with id {partner.id}")
    email = None if clean.email is None else _new_email(session, partner, clean.email)
    if clean.name is not None:
        partner.name = clean.name
    if clean.group is not None:
        partner.group = clean.group
    if clean.payout_method is not None:
        partner.payout_method = clean.payout_method
    if clean.payout_email is not None:
        details = dict(partner.payout_details or {})
        if clean.payout_email:
            details["email"] = _address("payout_email", clean.payout_email)
        else:
            details.pop("email", None)  # blank: pay to the partner's own email
        partner.payout_details = details
    try:
        with session.begin_nested():  # the same address given to two partners at once
            if email is not None:
                partner.email = email
            session.flush()
    except IntegrityError:
        if email is None or not _taken(session, partner, email):
            raise
        raise PartnerRuleError("email", f"{email} is already a partner") from None
    return partner


def unassign_link(session: Session, partner: Partner, slug: str) -> None:
    """Take a link away from the partner: later clicks on it credit nobody. The link, its
    clicks and every sale already attributed through it stay as they are."""
    try:
        link = links.get_link(session, slug)
    except links.LinkNotFound:
        raise PartnerNotFound("slug", f"{partner.name} has no link {slug.strip()!r}") from None
    row = session.scalar(
        select(PartnerLink).where(
            PartnerLink.link_id == link.id, PartnerLink.partner_id == partner.id
        )
    )
    if row is None:
        raise PartnerNotFound("slug", f"{partner.name} has no link {slug.strip()!r}")
    session.delete(row)
    session.flush()


def remove_coupon(session: Session, partner: Partner, code: str) -> None:
    """Remove a partner's coupon code: later sales with it credit nobody. Sales already made
    with it keep their partner and commissions."""
    value = code.strip().upper()
    row = session.scalar(
        select(Coupon).where(Coupon.code == value, Coupon.partner_id == partner.id)
    )
    if row is None:
        raise PartnerNotFound("code", f"{partner.name} has no coupon {value!r}")
    session.delete(row)
    session.flush()
