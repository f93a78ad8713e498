"""JSON routes of streams: list, add, read one, change its own rates and persistence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from evergreen.db import utcnow
from evergreen.ledger import service
from evergreen.ledger.api.schemas import DateText, DecimalText, StreamOut, day, rate
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import StreamKind
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["StreamDep", "router"]

router = APIRouter(prefix="/ledger/streams", tags=["ledger"])


def _stream(stream_id: DbId, session: SessionDep, _caller: ApiStaff) -> Stream:
    """The stream in the path (the caller is checked first: 401/403 before 404)."""
    return service.get_stream(session, stream_id)


StreamDep = Annotated[Stream, Depends(_stream)]


class StreamIn(RequestBody):
    """A stream to add; rates left out follow the owner's defaults."""

    name: str = Field(min_length=1, max_length=100, examples=["Blog"])
    kind: StreamKind = StreamKind.OTHER
    currency: str = Field("USD", min_length=3, max_length=3)
    started_on: DateText | None = Field(None, description="YYYY-MM-DD; today when left out")
    recurring: bool = False
    hourly_rate: DecimalText | None = None
    required_return: DecimalText | None = Field(None, description="0.08 for 8 % a year")
    persistence: DecimalText | None = Field(None, description="ω between 0 and 1")


@router.get("", operation_id="list_streams")
def list_streams(session: SessionDep, user: ApiStaff) -> list[StreamOut]:
    """Every stream, oldest first."""
    return [StreamOut.of(row) for row in service.all_streams(session)]


@router.post("", status_code=201, operation_id="create_stream")
def create_stream(body: StreamIn, session: SessionDep, user: ApiOwner) -> StreamOut:
    """Owner only: add a stream; a name already taken is 409."""
    draft = service.StreamDraft(
        name=body.name, kind=body.kind, currency=body.currency,
        started_on=day(body.started_on, "started_on") if body.started_on else None,
        recurring=body.recurring, hourly_rate=rate(body.hourly_rate, "hourly_rate"),
        required_return=rate(body.required_return, "required_return"),
        persistence=rate(body.persistence, "persistence"),
    )  # fmt: skip
    return StreamOut.of(service.add_stream(session, draft, utcnow().date()))


@router.get("/{stream_id}", operation_id="get_stream")
def get_stream(stream: StreamDep) -> StreamOut:
    """One stream."""
    return StreamOut.of(stream)


class StreamRatesIn(RequestBody):
    """The stream's own rates: a field sent as null clears it, one left out is kept."""

    hourly_rate: DecimalText | None = None
    required_return: DecimalText | None = None
    persistence: DecimalText | None = None


@router.patch("/{stream_id}", operation_id="update_stream")
def update_stream(
    user: ApiOwner, stream: StreamDep, body: StreamRatesIn, session: SessionDep
) -> StreamOut:
    """Owner only: change the stream's own hourly rate, required return or persistence."""
    sent = body.model_dump(include=body.model_fields_set)
    changes = {name: rate(text, name) for name, text in sent.items()}
    return StreamOut.of(service.update_stream(session, stream, changes))
