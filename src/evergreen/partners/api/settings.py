"""JSON routes for the program's settings: payout threshold, landing page, windows, model."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from evergreen.money import show_money
from evergreen.partners import service
from evergreen.partners.api.program import ProgramDep
from evergreen.partners.models import Program
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import MAX_ID, ApiOwner, ApiStaff, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/partners", tags=["partners"])


class SettingsOut(BaseModel):
    """The program's settings."""

    currency: str
    payout_threshold: str = Field(description="Money as a string with two decimals: 50.00.")
    landing_url: str
    holding_days: int
    window_days: int
    attribution_model: str
    stream_id: int | None

    @classmethod
    def of(cls, program: Program) -> SettingsOut:
        """Project the program."""
        return cls(
            currency=program.currency, payout_threshold=show_money(program.payout_threshold),
            landing_url=program.landing_url, holding_days=program.holding_days,
            window_days=program.window_days, attribution_model=program.attribution_model,
            stream_id=program.stream_id,
        )  # fmt: skip


class SettingsPatch(RequestBody):
    """The settings to change; those left out stay as they are."""

    payout_threshold: Decimal | None = Field(None, ge=0, max_digits=15, decimal_places=4)
    landing_url: str | None = Field(None, max_length=2048)
    holding_days: int | None = Field(None, ge=0, le=365)
    window_days: int | None = Field(None, ge=1, le=365)
    attribution_model: Literal["last", "first"] | None = None
    stream_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The income stream commissions are a cost of; null: made for it.",
    )


@router.get("/settings", operation_id="get_program_settings")
def get_program_settings(user: ApiStaff, program: ProgramDep) -> SettingsOut:
    """The payout threshold, landing page, refund and attribution windows, attribution model."""
    return SettingsOut.of(program)


@router.patch("/settings", operation_id="update_program_settings")
def update_program_settings(
    body: SettingsPatch, session: SessionDep, user: ApiOwner, program: ProgramDep
) -> SettingsOut:
    """Owner only: change settings; the next payout uses the new threshold."""
    current = service.settings_of(program)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "stream_id" in body.model_fields_set:  # null is a change too: back to automatic
        changes["stream_id"] = body.stream_id
    service.update_settings(session, program, replace(current, **changes))
    return SettingsOut.of(program)
