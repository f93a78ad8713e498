"""Commission terms use cases: add the next version of a group's terms, read one back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import serialize_on, utcnow
from evergreen.partners.models import Program, TermsVersion
from evergreen.partners.rules import Duration, PartnerRuleError, Terms, Tier

__all__ = ["TermsDraft", "add_terms", "terms_of"]


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


def _next_version(session: Session, program: Program, group: str) -> int:
    """The group's next version number, read alone: two versions added at once took one number."""
    serialize_on(session, f"partners:terms:{program.id}:{group}")
    latest = session.scalar(
        select(func.max(TermsVersion.version)).where(
            TermsVersion.program_id == program.id, TermsVersion.group == group
        )
    )
    return (latest or 0) + 1


def add_terms(session: Session, program: Program, draft: TermsDraft) -> TermsVersion:
    """Add the next version of a group's terms; earlier customers keep the version they got."""
    if len(draft.group.strip()) > 50:
        raise PartnerRuleError("group", "must be at most 50 characters")
    needs_count = draft.duration in (Duration.MONTHS.value, Duration.PAYMENTS.value)
    # The pure rules check every value (rate, duration, lead amount, tiers, recruiter rate).
    terms = Terms(
        id=0,
        version=1,
        kind=draft.kind,  # type: ignore[arg-type]
        rate=draft.rate,
        currency=program.currency,
        lead_amount=draft.lead_amount,
        duration=draft.duration,  # type: ignore[arg-type]
        duration_count=draft.duration_count if needs_count else None,
        tiers=tuple(Tier(min_sales=n, rate=r) for n, r in draft.tiers),
        recruiter_rate=draft.recruiter_rate,
    )
    duration = terms.duration
    row = TermsVersion(
        program_id=program.id,
        group=draft.group,
        version=_next_version(session, program, draft.group),
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
