"""Referral links: every new partner gets a tracking link to the program's landing page."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.errors import InputError
from evergreen.links import service as links
from evergreen.partners.models import Partner, PartnerLink, Program
from evergreen.partners.rules import PartnerRuleError, referral_slug, referral_title

__all__ = ["give_referral_link", "has_links"]

_SUFFIX = "abcdefghijkmnpqrstuvwxyz23456789"  # the links area's readable alphabet
_TRIES = 4


def has_links(session: Session, partner: Partner) -> bool:
    """Whether any tracking link is assigned to the partner."""
    query = select(PartnerLink.id).where(PartnerLink.partner_id == partner.id).limit(1)
    return session.scalar(query) is not None


def _candidates(name: str) -> list[str | None]:
    """The name as a slug, then with a short random suffix, then a generated slug (None)."""
    base = referral_slug(name)
    if not base:
        return [None]
    suffixed = [f"{base}-{''.join(secrets.choice(_SUFFIX) for _ in range(4))}" for _ in range(2)]
    return [base, *suffixed, None]


def _free(session: Session, slug: str) -> bool:
    try:
        links.get_link(session, slug)
    except links.LinkNotFound:
        return True
    return False


def give_referral_link(session: Session, program: Program, partner: Partner) -> PartnerLink | None:
    """Create the partner's referral link to the landing page and assign it to them.

    None when the program has no landing page yet (the settings page asks for one). The link
    appends the click ID (evg_id) to the landing page, so the shop can report it with the sale.
    """
    if not program.landing_url:
        return None
    for slug in _candidates(partner.name)[:_TRIES]:
        if slug is not None and not _free(session, slug):
            continue
        draft = links.LinkDraft(
            destination=program.landing_url,
            slug=slug,
            title=referral_title(partner.name),
            channel="partners",
            tags=["partner"],
            append_click_id=True,
        )
        try:
            saved = links.create_link(session, draft)
        except InputError as exc:
            if exc.field == "slug" and slug is not None:  # reserved, or taken meanwhile
                continue
            raise PartnerRuleError(
                "landing_url",
                f"the program's landing page cannot be a link's destination ({exc.message}); "
                "change it under Partners → Settings",
            ) from None
        row = PartnerLink(partner_id=partner.id, link_id=saved.link.id)
        session.add(row)
        session.flush()
        return row
    raise AssertionError("a generated slug is always free")  # pragma: no cover
