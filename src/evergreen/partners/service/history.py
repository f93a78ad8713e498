"""Every change of a commission, recorded with its time and actor so its history can be shown."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from evergreen.partners.models import (
    Commission,
    CommissionEvent,
)

__all__ = ["event_fields", "log_event"]


def event_fields(
    commission_id: int,
    to_status: str,
    action: str,
    actor: str,
    *,
    before: str = "",
    amount: Decimal | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One line of a commission's history, as column values."""
    return {
        "commission_id": commission_id,
        "actor": actor,
        "action": action,
        "from_status": before,
        "to_status": to_status,
        "amount": amount,
        "note": note[:300],
    }


def log_event(
    session: Session,
    commission: Commission,
    action: str,
    actor: str,
    *,
    before: str = "",
    amount: Decimal | None = None,
    note: str = "",
    at: datetime | None = None,
) -> None:
    """Record a change of a commission, so its history can always be shown; `at` is when the
    caller's clock says it happened (now, when not given)."""
    fields = event_fields(
        commission.id, commission.status, action, actor, before=before, amount=amount, note=note
    )
    session.add(CommissionEvent(**fields, **({"at": at} if at is not None else {})))
