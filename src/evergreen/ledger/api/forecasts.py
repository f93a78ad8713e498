"""JSON routes of a stream's stored forecast: explicit years of residual income, then how it
continues (none, perpetuity, persistence). Staff read it; the owner saves or removes it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from evergreen.errors import NotFound
from evergreen.ledger import service
from evergreen.ledger.api.schemas import ERROR_404, DecimalText
from evergreen.ledger.api.streams import StreamDep
from evergreen.ledger.rules.forecast import Continuing
from evergreen.ledger.rules.value import MAX_FORECAST_YEARS
from evergreen.money import show_amount, show_number
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, SessionDep

__all__ = ["ForecastOut", "router"]

router = APIRouter(prefix="/ledger/streams", tags=["ledger"])


class ForecastYearOut(BaseModel):
    """One explicit year: year 1 is the year after the day the stream is valued."""

    year: int
    residual_income: str


class ForecastOut(BaseModel):
    """A stream's forecast; its value is in `GET /streams/{id}/value` (`forecast`)."""

    stream_id: int
    years: list[ForecastYearOut]
    continuing: Continuing
    persistence: str | None
    updated_at: datetime

    @classmethod
    def of(cls, stored: service.StoredForecast) -> ForecastOut:
        """Project the stored forecast."""
        plan = stored.plan
        return cls(
            stream_id=stored.stream_id,
            years=[
                ForecastYearOut(year=number, residual_income=show_amount(amount))
                for number, amount in enumerate(plan.years, start=1)
            ],
            continuing=plan.continuing,
            persistence=None if plan.persistence is None else show_number(plan.persistence),
            updated_at=stored.updated_at,
        )


class ForecastIn(RequestBody):
    """The forecast to store in place of the stream's former one."""

    years: list[DecimalText] = Field(
        description=f"Each year's residual income, year 1 first (1 to {MAX_FORECAST_YEARS}, "
        "decimal strings; 0 or negative allowed); a refused one is named years[i], from 0",
        examples=[["1200", "1500", "1800"]],
    )
    continuing: str = Field(
        "none",
        description="After the last year: none (RI stops), perpetuity (the last year's RI "
        "lasts forever) or persistence (it fades by ω a year)",
        examples=["persistence"],
    )
    persistence: DecimalText | None = Field(
        None, description="ω between 0 and 1; with continuing=persistence only"
    )


@router.get("/{stream_id}/forecast", operation_id="get_stream_forecast", responses=ERROR_404)
def get_forecast(stream: StreamDep, session: SessionDep) -> ForecastOut:
    """The stream's stored forecast; 404 when it has none."""
    stored = service.stream_forecast(session, stream)
    if stored is None:
        raise NotFound("forecast", f"{stream.name} has no forecast; PUT one to store it")
    return ForecastOut.of(stored)


@router.put("/{stream_id}/forecast", operation_id="save_stream_forecast", responses=ERROR_404)
def save_forecast(
    user: ApiOwner, stream: StreamDep, body: ForecastIn, session: SessionDep
) -> ForecastOut:
    """Owner only: store the stream's forecast, replacing the one it had."""
    stored = service.set_forecast(session, stream, body.years, body.continuing, body.persistence)
    return ForecastOut.of(stored)


@router.delete(
    "/{stream_id}/forecast",
    status_code=204,
    operation_id="remove_stream_forecast",
    responses=ERROR_404,
)
def remove_forecast(user: ApiOwner, stream: StreamDep, session: SessionDep) -> Response:
    """Owner only: remove the stream's forecast (done already is fine); its value is the last
    twelve months' again."""
    service.clear_forecast(session, stream)
    return Response(status_code=204)
