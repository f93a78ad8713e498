"""JSON routes of dynamic segments: save, read, change, delete, and count a query live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.audience.models import Segment
from evergreen.audience.service import segments as service
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/audience/segments", tags=["audience"])
_QUERY = Field(
    max_length=20_000,
    description='A segment query, e.g. tag:buyer and not clicked:30d and field.country = "DE" '
    "(docs/SEGMENTS.md); at most 2,000 characters.",
)


class QueryIn(RequestBody):
    """A query to count."""

    query: str = _QUERY


class SegmentIn(RequestBody):
    """A segment to save: a unique name and its query."""

    name: str = Field(max_length=1_000, description="Unique, at most 100 characters.")
    query: str = _QUERY


def _segment(row: Segment, count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "query": row.query,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
    if count is not None:
        out["count"] = count
    return out


@router.post("/count", operation_id="count_audience_segment")
def count(body: QueryIn, session: SessionDep, user: ApiStaff) -> dict[str, int]:
    """How many subscribers a query selects now; a 422 names the position of a mistake."""
    return {"count": service.count(session, body.query)}


@router.get("", operation_id="list_audience_segments")
def list_segments(session: SessionDep, user: ApiStaff, counts: bool = False) -> list[Any]:
    """Every saved segment, by name; with `counts=true`, each counted live."""
    return [
        _segment(row, service.count_segment(session, row) if counts else None)
        for row in service.segments(session)
    ]


@router.post("", status_code=201, operation_id="create_audience_segment")
def create(body: SegmentIn, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """Save a segment; its query is kept in canonical form."""
    row = service.create_segment(session, body.name, body.query)
    return _segment(row, service.count_segment(session, row))


@router.get("/{segment_id:int}", operation_id="get_audience_segment")
def get(segment_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One segment, counted live."""
    row = service.get_segment(session, segment_id)
    return _segment(row, service.count_segment(session, row))


@router.put("/{segment_id:int}", operation_id="update_audience_segment")
def update(
    segment_id: DbId, body: SegmentIn, session: SessionDep, user: ApiStaff
) -> dict[str, Any]:
    """Rename a segment or change its query."""
    row = service.update_segment(session, segment_id, body.name, body.query)
    return _segment(row, service.count_segment(session, row))


@router.delete("/{segment_id:int}", status_code=204, operation_id="delete_audience_segment")
def delete(segment_id: DbId, session: SessionDep, user: ApiStaff) -> Response:
    """Forget a segment (its subscribers are untouched)."""
    service.delete_segment(session, segment_id)
    return Response(status_code=204)
