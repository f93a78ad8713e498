"""A stream's stored forecast: read it, replace it, clear it (one per stream)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.ledger.models import Forecast, ForecastAmount, Stream
from evergreen.ledger.rules.forecast import Continuing, ForecastPlan, check_forecast

__all__ = ["StoredForecast", "clear_forecast", "set_forecast", "stream_forecast"]


@dataclass(frozen=True)
class StoredForecast:
    """A stream's forecast as stored, and when it was last saved."""

    stream_id: int
    plan: ForecastPlan
    updated_at: datetime


def _row(session: Session, stream_id: int) -> Forecast | None:
    # Locked, so two saves of one stream's forecast replace its years one after the other.
    query = select(Forecast).where(Forecast.stream_id == stream_id).with_for_update()
    return session.scalar(query)


def _stored(session: Session, row: Forecast) -> StoredForecast:
    years = session.scalars(
        select(ForecastAmount.residual_income)
        .where(ForecastAmount.forecast_id == row.id)
        .order_by(ForecastAmount.year)
    )
    plan = ForecastPlan(tuple(years), Continuing(row.continuing), row.persistence)
    return StoredForecast(row.stream_id, plan, row.updated_at)


def stream_forecast(session: Session, stream: Stream) -> StoredForecast | None:
    """The stream's stored forecast, or None when the owner has not entered one."""
    row = session.scalar(select(Forecast).where(Forecast.stream_id == stream.id))
    return None if row is None else _stored(session, row)


def set_forecast(
    session: Session,
    stream: Stream,
    years: Sequence[str | Decimal],
    continuing: str,
    persistence: str | Decimal | None = None,
) -> StoredForecast:
    """Check the forecast and store it in place of the stream's former one (if any); a refused
    value names its field (`years[2]`, `continuing`, `persistence`) and nothing is stored."""
    plan = check_forecast(years, continuing, persistence)
    row = _row(session, stream.id)
    if row is None:
        try:
            with session.begin_nested():
                row = Forecast(stream_id=stream.id, continuing=plan.continuing.value)
                session.add(row)
                session.flush()
        except IntegrityError:  # another save of this stream's first forecast came first
            row = _row(session, stream.id)
            if row is None:
                raise
    row.continuing = plan.continuing.value
    row.persistence = plan.persistence
    row.updated_at = utcnow()
    session.execute(delete(ForecastAmount).where(ForecastAmount.forecast_id == row.id))
    session.add_all(
        ForecastAmount(forecast_id=row.id, year=number, residual_income=amount)
        for number, amount in enumerate(plan.years, start=1)
    )
    session.flush()
    return StoredForecast(stream.id, plan, row.updated_at)


def clear_forecast(session: Session, stream: Stream) -> bool:
    """Remove the stream's forecast (its value goes back to the last twelve months'); False
    when there was none."""
    row = _row(session, stream.id)
    if row is None:
        return False
    session.execute(delete(ForecastAmount).where(ForecastAmount.forecast_id == row.id))
    session.delete(row)
    session.flush()
    return True
