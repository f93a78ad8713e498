"""JSON shapes shared by the program's API modules: a partner in full, with links and coupons."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.links import queries as link_queries
from evergreen.partners import queries
from evergreen.partners.models import Partner

__all__ = ["PartnerDetailOut", "PartnerLinkOut"]


class PartnerLinkOut(BaseModel):
    """One of a partner's tracking links."""

    slug: str
    short_url: str
    destination: str


class PartnerDetailOut(BaseModel):
    """A partner with payout details, links (a new partner's referral link first) and coupons."""

    id: int
    name: str
    email: str
    group: str
    status: str
    recruited_by_id: int | None
    payout_method: str
    payout_email: str
    links: list[PartnerLinkOut]
    coupons: list[str]

    @classmethod
    def of(cls, session: Session, settings: Settings, site: str, row: Partner) -> PartnerDetailOut:
        """Project the partner with what they own."""
        links = [
            PartnerLinkOut(
                slug=link.slug,
                short_url=link_queries.short_url(settings, site, link.slug),
                destination=link.destination,
            )
            for link in link_queries.links_by_ids(session, _link_ids(session, row))
        ]
        return cls(
            id=row.id, name=row.name, email=row.email, group=row.group, status=row.status,
            recruited_by_id=row.recruited_by_id, payout_method=row.payout_method,
            payout_email=str((row.payout_details or {}).get("email", "")),
            links=links, coupons=queries.coupons_of(session, row.id),
        )  # fmt: skip


def _link_ids(session: Session, row: Partner) -> list[int]:
    return [link.id for link in queries.links_of(session, row.id)]
