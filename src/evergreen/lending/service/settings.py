"""The owner's lending settings: the capital set aside for lending (idle = it less deployed)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from evergreen.lending.models import LendingSettings
from evergreen.lending.rules import read_money

__all__ = ["capital_available", "set_capital_available"]


def capital_available(session: Session) -> Decimal | None:
    """The capital set aside for lending, or None when the owner has not said."""
    row = session.get(LendingSettings, 1)
    return None if row is None else row.capital_available


def set_capital_available(session: Session, text: str) -> Decimal | None:
    """Set (or, with an empty value, forget) the capital available for lending."""
    value = read_money("capital_available", text, positive=False) if text.strip() else None
    row = session.get(LendingSettings, 1)
    if row is None:
        session.add(LendingSettings(id=1, capital_available=value))
    else:
        row.capital_available = value
    session.flush()
    return value
