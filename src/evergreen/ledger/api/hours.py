"""JSON routes of the owner's time: hours by hand (retry-safe with a key), corrected or deleted,
and the timer."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from evergreen.db import utcnow
from evergreen.ledger import queries, service
from evergreen.ledger.api.schemas import (
    ERROR_404,
    DateText,
    DecimalText,
    HoursOut,
    IdempotencyKey,
    Memo,
    StreamId,
    day,
    day_query,
)
from evergreen.ledger.rules import parse_hours
from evergreen.money import show_number
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, DbIdQuery, Offset, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])


class HoursIn(RequestBody):
    """Time spent on a stream on one day."""

    stream_id: StreamId
    date: DateText
    hours: DecimalText = Field(description="More than 0 and at most 24, e.g. 1.5")
    memo: Memo = ""
    idempotency_key: IdempotencyKey = None


_REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": HoursOut,
        "description": "A retry with an idempotency_key sent before: the entry stored then",
    },
    **ERROR_404,
}


@router.post("/hours", status_code=201, operation_id="record_hours", responses=_REPLAYED)
def record_hours(
    user: ApiOwner, body: HoursIn, session: SessionDep, response: Response
) -> HoursOut:
    """Owner only: record time spent on a stream (a retry with the same key records nothing)."""
    on, hours = day(body.date, "date"), parse_hours(body.hours)
    stream = service.get_stream(session, body.stream_id)
    keyed = service.add_hours_once(session, stream, on, hours, body.memo, body.idempotency_key)
    if not keyed.created:
        response.status_code = 200
    return HoursOut.of(keyed.row)


class HoursChangeIn(RequestBody):
    """What to correct in a time entry: its hours, its memo, or both."""

    hours: DecimalText | None = Field(None, description="More than 0 and at most 24, e.g. 1.5")
    memo: Memo | None = None


@router.patch("/hours/{entry_id}", operation_id="change_hours", responses=ERROR_404)
def change_hours(
    entry_id: DbId, user: ApiOwner, body: HoursChangeIn, session: SessionDep
) -> HoursOut:
    """Owner only: correct a time entry's hours or memo (the day keeps at most 24 hours)."""
    hours = None if body.hours is None else parse_hours(body.hours)
    return HoursOut.of(service.change_hours(session, entry_id, hours, body.memo))


@router.delete(
    "/hours/{entry_id}", status_code=204, operation_id="delete_hours", responses=ERROR_404
)
def delete_hours(entry_id: DbId, user: ApiOwner, session: SessionDep) -> Response:
    """Owner only: delete a time entry made by mistake; the stream's hours lose it."""
    service.delete_hours(session, entry_id)
    return Response(status_code=204)


class HoursPage(BaseModel):
    """One page of time entries, newest first, and how many match in all."""

    items: list[HoursOut]
    total: int


@router.get("/hours", operation_id="list_hours")
def list_hours(
    session: SessionDep,
    user: ApiStaff,
    stream_id: DbIdQuery = None,
    start: Annotated[str | None, day_query("from", "First day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, day_query("to", "Last day, YYYY-MM-DD (included)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> HoursPage:
    """Time entries, newest first, filtered by stream and dates."""
    rows, total = queries.hours_entries(
        session, stream_id=stream_id, limit=limit, offset=offset,
        start=day(start, "from") if start else None, end=day(end, "to") if end else None,
    )  # fmt: skip
    return HoursPage(items=[HoursOut.of(row) for row in rows], total=total)


class TimerOut(BaseModel):
    """The timer: which stream it runs for, since when, and the hours so far."""

    running: bool
    stream_id: int | None = None
    started_at: datetime | None = None
    memo: str = ""
    hours_so_far: str | None = None


def _timer_out(session: SessionDep) -> TimerOut:
    timer = service.running_timer(session)
    if timer is None:
        return TimerOut(running=False)
    seconds = max(0.0, (utcnow() - timer.started_at).total_seconds())
    hours = (Decimal(int(seconds)) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return TimerOut(
        running=True, stream_id=timer.stream_id, started_at=timer.started_at, memo=timer.memo,
        hours_so_far=show_number(hours),
    )  # fmt: skip


@router.get("/timer", operation_id="get_timer")
def get_timer(session: SessionDep, user: ApiStaff) -> TimerOut:
    """Whether the timer runs, and for which stream."""
    return _timer_out(session)


class TimerStartIn(RequestBody):
    """The stream to time, and what you are doing."""

    stream_id: StreamId
    memo: Memo = ""


@router.post("/timer/start", operation_id="start_timer", responses=ERROR_404)
def start_timer(user: ApiOwner, body: TimerStartIn, session: SessionDep) -> TimerOut:
    """Owner only: start timing a stream; a timer already running is stopped and kept first."""
    service.start_timer(session, service.get_stream(session, body.stream_id), utcnow(), body.memo)
    return _timer_out(session)


class TimerStopOut(BaseModel):
    """The time the stopped timer recorded, one entry per day (UTC) it ran on."""

    recorded: list[HoursOut]


@router.post("/timer/stop", operation_id="stop_timer")
def stop_timer(user: ApiOwner, session: SessionDep) -> TimerStopOut:
    """Owner only: stop the timer and record its time; 409 when none is running."""
    return TimerStopOut(
        recorded=[HoursOut.of(row) for row in service.stop_timer(session, utcnow())]
    )
