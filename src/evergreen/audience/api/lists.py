"""/api/v1/audience/lists: create, read, change, delete and export lists."""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from evergreen.audience import queries, service
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/audience/lists", tags=["audience"])


class ListIn(RequestBody):
    """A list: its name, and whether joining needs a confirmation (double opt-in)."""

    name: str = Field(max_length=200)
    double_opt_in: bool = True
    description: str = Field("", max_length=1000)


class ListPatch(RequestBody):
    """What to change of a list; what is left out stays."""

    name: str | None = Field(None, max_length=200)
    double_opt_in: bool | None = None
    description: str | None = Field(None, max_length=1000)


def _out(row: queries.ListCounts) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "double_opt_in": row.double_opt_in,
        "counts": row.counts,
        "total": row.total,
    }


def _one(session: SessionDep, list_id: int) -> dict[str, Any]:
    service.get_list(session, list_id)
    return _out(next(row for row in queries.list_counts(session) if row.id == list_id))


@router.get("", operation_id="list_audience_lists")
def get_lists(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every list with its counts per status."""
    return [_out(row) for row in queries.list_counts(session)]


@router.post("", status_code=201, operation_id="create_audience_list")
def create(body: ListIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a new list."""
    row = service.create_list(
        session, body.name, double_opt_in=body.double_opt_in, description=body.description
    )
    return _one(session, row.id)


@router.get("/{list_id}", operation_id="get_audience_list")
def get_one(list_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One list with its counts."""
    return _one(session, list_id)


@router.patch("/{list_id}", operation_id="update_audience_list")
def update(list_id: DbId, body: ListPatch, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: rename a list or change its opt-in."""
    service.update_list(
        session,
        list_id,
        name=body.name,
        double_opt_in=body.double_opt_in,
        description=body.description,
    )
    return _one(session, list_id)


@router.delete("/{list_id}", status_code=204, operation_id="delete_audience_list")
def delete(list_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: delete a list (its people and their consent history stay)."""
    service.delete_list(session, list_id)
    return Response(status_code=204)


@router.get("/{list_id}/export.csv", operation_id="export_audience_list")
def export(list_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: the list as CSV in Evergreen's format (which the import reads back)."""
    out = io.StringIO()
    service.export_csv(session, out, list_id)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="list-{list_id}.csv"'},
    )
