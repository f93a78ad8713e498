"""JSON routes of the owner's ledger defaults: hourly rate, required return, currency, and how
few hours a month make a stream passive."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from evergreen.ledger import service
from evergreen.ledger.api.schemas import DecimalText, rate
from evergreen.ledger.models import Preferences
from evergreen.money import show_number
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])


class PreferencesOut(BaseModel):
    """The defaults every stream follows unless it has its own; null until the owner sets it."""

    hourly_rate: str | None
    required_return: str | None
    currency: str
    passive_hours: str

    @classmethod
    def of(cls, row: Preferences) -> PreferencesOut:
        """Project the row (or the blank defaults before any are saved)."""
        return cls(
            hourly_rate=None if row.hourly_rate is None else show_number(row.hourly_rate),
            required_return=(
                None if row.required_return is None else show_number(row.required_return)
            ),
            currency=row.currency,
            passive_hours=show_number(row.passive_hours),
        )


class PreferencesIn(RequestBody):
    """The defaults to change; a field left out (or null) keeps its value."""

    hourly_rate: DecimalText | None = Field(None, description="What an hour of yours is worth")
    required_return: DecimalText | None = Field(None, description="0.08 for 8 % a year")
    currency: str | None = Field(None, min_length=3, max_length=3, description="Totals' currency")
    passive_hours: DecimalText | None = Field(
        None, description="A stream that took fewer hours a month is passive that month"
    )


@router.get("/preferences", operation_id="get_ledger_preferences")
def get_preferences(session: SessionDep, user: ApiStaff) -> PreferencesOut:
    """The owner's defaults."""
    return PreferencesOut.of(service.preferences(session))


@router.put("/preferences", operation_id="save_ledger_preferences")
def save_preferences(user: ApiOwner, body: PreferencesIn, session: SessionDep) -> PreferencesOut:
    """Owner only: change the defaults that are sent."""
    saved = service.set_preferences(
        session,
        hourly_rate=rate(body.hourly_rate, "hourly_rate"),
        required_return=rate(body.required_return, "required_return"),
        currency=body.currency,
        passive_hours=rate(body.passive_hours, "passive_hours"),
    )
    return PreferencesOut.of(saved)
