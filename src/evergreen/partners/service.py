"""Program set-up use cases: the program, partners, their links and coupons, versioned terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.accounts.errors import AccountError
from evergreen.accounts.service import normalize_email
from evergreen.db import utcnow
from evergreen.links import service as links
from evergreen.partners.models import Coupon, Partner, PartnerLink, Program, TermsVersion
from evergreen.partners.rules import Duration, PartnerRuleError, Terms, Tier

__all__ = [
    "TermsDraft",
    "add_coupon",
    "add_terms",
    "assign_link",
    "create_partner",
    "default_program",
    "get_partner",
    "partner_for_user",
    "set_status",
    "terms_of",
]

_STATUSES = ("pending", "active", "suspended")


def default_program(session: Session, currency: str = "USD") -> Program:
    """The installation's affiliate program, created on first use."""
    program = session.scalar(select(Program).order_by(Program.id))
    if program is None:
        program = Program(name="Affiliate program", currency=currency)
        session.add(program)
        session.flush()
    return program


def create_partner(
    session: Session,
    program: Program,
    *,
    name: str,
    email: str,
    group: str = "",
    status: str = "pending",
    recruited_by_id: int | None = None,
) -> Partner:
    """Add a partner (invited or signed up; pending until approved)."""
    if not name.strip() or len(name) > 200:
        raise PartnerRuleError("name", "must be 1 to 200 characters")
    if status not in _STATUSES:
        raise PartnerRuleError("status", f"must be one of {', '.join(_STATUSES)}")
    if len(group.strip()) > 50:
        raise PartnerRuleError("group", "must be at most 50 characters")
    try:
        address = normalize_email(email)
    except AccountError as exc:
        raise PartnerRuleError("email", exc.message) from None
    taken = select(Partner.id).where(Partner.program_id == program.id, Partner.email == address)
    if session.scalar(taken) is not None:
        raise PartnerRuleError("email", f"{address} is already a partner")
    partner = Partner(
        program_id=program.id,
        name=name.strip(),
        email=address,
        group=group.strip(),
        status=status,
        recruited_by_id=recruited_by_id,
    )
    session.add(partner)
    session.flush()
    return partner


def get_partner(session: Session, program: Program, partner_id: int) -> Partner:
    """A partner of this program (anything else is 'not found', never another program's)."""
    partner = session.get(Partner, partner_id)
    if partner is None or partner.program_id != program.id:
        raise PartnerRuleError("partner_id", f"no partner with id {partner_id}")
    return partner


def partner_for_user(session: Session, user_email: str) -> Partner | None:
    """The partner record a signed-in partner account stands for (matched by email), if active."""
    return session.scalar(
        select(Partner).where(Partner.email == user_email.lower(), Partner.status == "active")
    )


def set_status(session: Session, partner: Partner, status: str) -> Partner:
    """Approve, suspend or reinstate a partner."""
    if status not in _STATUSES:
        raise PartnerRuleError("status", f"must be one of {', '.join(_STATUSES)}")
    partner.status = status
    return partner


def assign_link(session: Session, partner: Partner, slug: str) -> PartnerLink:
    """Give a tracking link to a partner; its clicks then attribute sales to them."""
    try:
        link = links.get_link(session, slug)
    except links.LinkNotFound as exc:
        raise PartnerRuleError("slug", str(exc)) from None
    existing = session.scalar(select(PartnerLink).where(PartnerLink.link_id == link.id))
    if existing is not None:
        if existing.partner_id != partner.id:
            raise PartnerRuleError("slug", f"link {slug!r} already belongs to another partner")
        return existing
    row = PartnerLink(partner_id=partner.id, link_id=link.id)
    session.add(row)
    session.flush()
    return row


def add_coupon(session: Session, partner: Partner, code: str) -> Coupon:
    """A coupon code that credits the partner with the sales it is used on."""
    value = code.strip().upper()
    if not value or len(value) > 50 or not value.replace("-", "").replace("_", "").isalnum():
        raise PartnerRuleError("code", "use 1-50 letters, digits, '-' or '_'")
    if session.scalar(select(Coupon.id).where(Coupon.code == value)) is not None:
        raise PartnerRuleError("code", f"coupon {value} is already used")
    coupon = Coupon(partner_id=partner.id, code=value)
    session.add(coupon)
    session.flush()
    return coupon


@dataclass(frozen=True)
class TermsDraft:
    """New commission terms for a group, as entered."""

    kind: str
    rate: Decimal
    duration: str = "one_time"
    duration_count: int | None = None
    lead_amount: Decimal = Decimal(0)
    tiers: tuple[tuple[int, Decimal], ...] = ()
    recruiter_rate: Decimal = Decimal(0)
    group: str = ""
    effective_from: datetime | None = None


def add_terms(session: Session, program: Program, draft: TermsDraft) -> TermsVersion:
    """Add the next version of a group's terms; earlier customers keep the version they got."""
    if draft.kind not in ("flat", "percent"):
        raise PartnerRuleError("kind", "must be 'flat' or 'percent'")
    if draft.rate < 0 or (draft.kind == "percent" and draft.rate > 100):
        raise PartnerRuleError("rate", "must be 0-100 for percent terms, 0 or more for flat")
    try:
        duration = Duration(draft.duration)
    except ValueError:
        raise PartnerRuleError("duration", "one of one_time, months, payments, lifetime") from None
    needs_count = duration in (Duration.MONTHS, Duration.PAYMENTS)
    if needs_count and (draft.duration_count is None or draft.duration_count < 1):
        raise PartnerRuleError("duration_count", f"is required (1 or more) for {duration.value}")
    # The pure rules check every value (lead amount, tiers, recruiter rate) before it is stored.
    Terms(
        id=0,
        version=1,
        kind=draft.kind,  # type: ignore[arg-type]
        rate=draft.rate,
        currency=program.currency,
        lead_amount=draft.lead_amount,
        duration=duration,
        duration_count=draft.duration_count if needs_count else None,
        tiers=tuple(Tier(min_sales=n, rate=r) for n, r in draft.tiers),
        recruiter_rate=draft.recruiter_rate,
    )
    latest = session.scalar(
        select(func.max(TermsVersion.version)).where(
            TermsVersion.program_id == program.id, TermsVersion.group == draft.group
        )
    )
    row = TermsVersion(
        program_id=program.id,
        group=draft.group,
        version=(latest or 0) + 1,
        kind=draft.kind,
        rate=draft.rate,
        currency=program.currency,
        lead_amount=draft.lead_amount,
        duration=duration.value,
        duration_count=draft.duration_count if needs_count else None,
        tiers=[{"min_sales": str(n), "rate": str(r)} for n, r in draft.tiers],
        recruiter_rate=draft.recruiter_rate,
        effective_from=draft.effective_from or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def terms_of(row: TermsVersion) -> Terms:
    """The stored version as the pure rules' value."""
    tiers: Any = tuple(
        Tier(min_sales=int(t["min_sales"]), rate=Decimal(t["rate"])) for t in row.tiers or []
    )
    return Terms(
        id=row.id,
        version=row.version,
        kind=row.kind,  # type: ignore[arg-type]
        rate=row.rate,
        currency=row.currency,
        lead_amount=row.lead_amount,
        duration=Duration(row.duration),
        duration_count=row.duration_count,
        tiers=tiers,
        recruiter_rate=row.recruiter_rate,
    )
