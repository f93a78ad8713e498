"""/api/v1/funnels: funnels, their steps and variants, ad spend (rows or a CSV body) and the
report as JSON. Staff read; the owner writes. A spend CSV with bad rows is a 422 listing each
row's line and field, with nothing stored."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from evergreen.csvfile import decode_utf8
from evergreen.errors import NotFound
from evergreen.funnels import queries, service
from evergreen.funnels.errors import FunnelInputError
from evergreen.funnels.queries import variant_dict
from evergreen.funnels.rules import check_spend, read_spend_csv
from evergreen.funnels.views.report import period
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import MAX_ID, ApiOwner, ApiStaff, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/funnels", tags=["funnels"])
Colour = Annotated[str, Field(max_length=7, description="Like #1f6f43.")]


class FunnelIn(RequestBody):
    """A funnel; an empty slug is made from the name when it is created and kept on an edit."""

    name: str = Field(max_length=200)
    slug: str = Field("", max_length=60)
    status: Literal["draft", "live"] = "draft"
    primary_colour: Colour = "#1f6f43"
    background_colour: Colour = "#ffffff"
    text_colour: Colour = "#1b1b1b"


class StepIn(RequestBody):
    """A step: its kind and what the kind needs (a list, a webinar, products, yes/no targets)."""

    kind: Literal["optin", "webinar", "sales", "order", "upsell", "downsell", "thankyou"]
    title: str = Field(max_length=200)
    slug: str = Field("", max_length=60)
    template: Literal["classic", "centered", "bold"] = "classic"
    list_id: int | None = Field(None, ge=1, le=MAX_ID)
    form_slug: str | None = Field(None, max_length=60, description="Opt-in: the form /f/<slug>.")
    webinar_slug: str | None = Field(None, max_length=60)
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    bump_product_id: int | None = Field(None, ge=1, le=MAX_ID)
    yes_step_id: int | None = Field(None, ge=1, le=MAX_ID)
    no_step_id: int | None = Field(None, ge=1, le=MAX_ID)


class VariantIn(RequestBody):
    """A variant of a step's page, shown by weight (0: never)."""

    name: str = Field(max_length=20)
    weight: int = Field(1, ge=0, le=10_000)
    headline: str = Field("", max_length=200)
    content: str = Field("", max_length=50_000, description="Markdown.")
    button: str = Field("Continue", max_length=60)


class MoveIn(RequestBody):
    """Which way a step moves."""

    direction: Literal["up", "down"]


class SpendIn(RequestBody):
    """A day's spend on a campaign and source; the same day, campaign and source replaces it."""

    day: date
    campaign: str = Field("", max_length=200)
    source: str = Field("", max_length=100)
    amount: str = Field(max_length=40, description='Like "120.50".')
    currency: str = Field(max_length=3)


async def _csv_body(request: Request) -> bytes:
    return await request.body()


CsvBody = Annotated[bytes, Depends(_csv_body)]


def _card(session: SessionDep, funnel_id: int) -> dict[str, Any]:
    card = queries.funnel_card(session, funnel_id)
    if card is None:
        raise NotFound("funnel_id", f"no funnel {funnel_id}")
    return card.to_dict()


@router.get("", operation_id="list_funnels")
def list_funnels(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every funnel with its steps and variants."""
    return [_card(session, row.id) for row, _count in queries.list_funnels(session)]


@router.post("", status_code=201, operation_id="add_funnel")
def add_funnel(body: FunnelIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a new funnel."""
    row = service.add_funnel(session, service.FunnelDraft(**body.model_dump()))
    return _card(session, row.id)


@router.get("/{funnel_id}", operation_id="get_funnel")
def get_funnel(funnel_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One funnel with its steps in order and their variants."""
    return _card(session, funnel_id)


@router.put("/{funnel_id}", operation_id="update_funnel")
def update_funnel(
    funnel_id: DbId, body: FunnelIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: rename, recolour, move or publish a funnel."""
    service.update_funnel(session, funnel_id, service.FunnelDraft(**body.model_dump()))
    return _card(session, funnel_id)


@router.delete("/{funnel_id}", status_code=204, operation_id="remove_funnel")
def remove_funnel(funnel_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: delete a funnel with its steps, traffic and spend."""
    service.remove_funnel(session, funnel_id)
    return Response(status_code=204)


@router.post("/{funnel_id}/steps", status_code=201, operation_id="add_funnel_step")
def add_step(funnel_id: DbId, body: StepIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a step at the end of the funnel, with its variant A."""
    service.add_step(session, funnel_id, service.StepDraft(**body.model_dump()))
    return _card(session, funnel_id)


@router.put("/{funnel_id}/steps/{step_id}", operation_id="update_funnel_step")
def update_step(
    funnel_id: DbId, step_id: DbId, body: StepIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a step."""
    service.update_step(session, funnel_id, step_id, service.StepDraft(**body.model_dump()))
    return _card(session, funnel_id)


@router.post("/{funnel_id}/steps/{step_id}/move", operation_id="move_funnel_step")
def move_step(
    funnel_id: DbId, step_id: DbId, body: MoveIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: swap a step with the one before or after it."""
    service.move_step(session, funnel_id, step_id, body.direction)
    return _card(session, funnel_id)


@router.delete("/{funnel_id}/steps/{step_id}", status_code=204, operation_id="remove_funnel_step")
def remove_step(funnel_id: DbId, step_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: delete a step with its variants and traffic."""
    service.remove_step(session, funnel_id, step_id)
    return Response(status_code=204)


@router.post(
    "/{funnel_id}/steps/{step_id}/variants", status_code=201, operation_id="add_funnel_variant"
)
def add_variant(
    funnel_id: DbId, step_id: DbId, body: VariantIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: another variant of a step."""
    row = service.add_variant(
        session, funnel_id, step_id, service.VariantDraft(**body.model_dump())
    )
    return variant_dict(row)


@router.put("/{funnel_id}/variants/{variant_id}", operation_id="update_funnel_variant")
def update_variant(
    funnel_id: DbId, variant_id: DbId, body: VariantIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a variant's weight, words or content."""
    draft = service.VariantDraft(**body.model_dump())
    return variant_dict(service.update_variant(session, funnel_id, variant_id, draft))


@router.delete(
    "/{funnel_id}/variants/{variant_id}", status_code=204, operation_id="remove_funnel_variant"
)
def remove_variant(
    funnel_id: DbId, variant_id: DbId, session: SessionDep, user: ApiOwner
) -> Response:
    """Owner only: delete a variant (a step keeps one)."""
    service.remove_variant(session, funnel_id, variant_id)
    return Response(status_code=204)


@router.post("/{funnel_id}/spend", operation_id="put_funnel_spend")
def put_spend(
    funnel_id: DbId, body: list[SpendIn], session: SessionDep, user: ApiOwner
) -> dict[str, int]:
    """Owner only: rows of ad spend, each replacing the same day, campaign and source."""
    rows = [
        check_spend(r.day.isoformat(), r.campaign, r.source, r.amount, r.currency) for r in body
    ]
    return {"stored": service.put_spend(session, funnel_id, rows)}


@router.post(
    "/{funnel_id}/spend/import",
    operation_id="import_funnel_spend",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses={422: {"description": "Bad rows, each with its line and field; nothing stored."}},
)
def import_spend(funnel_id: DbId, raw: CsvBody, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: a CSV body (day, campaign, source, amount, currency); all rows or none."""
    text = decode_utf8(raw, lambda problem: FunnelInputError("body", f"the CSV {problem}"))
    reading = read_spend_csv(text.splitlines(keepends=True))
    if reading.errors:
        detail = [
            {"line": e.line, "field": e.field, "message": e.message, "loc": ["body", e.field]}
            for e in reading.errors[:1000]
        ]
        return JSONResponse({"detail": detail}, status_code=422)
    stored = service.import_spend(session, funnel_id, reading)
    return JSONResponse({"stored": stored})


@router.get("/{funnel_id}/report", operation_id="get_funnel_report")
def get_report(
    funnel_id: DbId,
    session: SessionDep,
    user: ApiStaff,
    start: Annotated[str, Query(max_length=20, description="First day, like 2026-12-01.")] = "",
    end: Annotated[str, Query(max_length=20, description="Last day; today by default.")] = "",
) -> dict[str, Any]:
    """Per step and variant, and the self-liquidating measures per cohort day and in total."""
    first, last = period(start, end)
    found = queries.report(session, funnel_id, first, last)
    if found is None:
        raise NotFound("funnel_id", f"no funnel {funnel_id}")
    return queries.report_dict(found)
