"""JSON routes for links: CRUD, bulk create, statistics, exports, QR codes, reclassification."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from evergreen.isodates import QueryDay
from evergreen.links import service
from evergreen.links.clicks.stats import link_stats, mark_agent_human
from evergreen.links.drafts import LinkDraft
from evergreen.links.formats import csvio, qr
from evergreen.links.formats.schemas import LinkFields, LinkOut, link_out
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiStaff, Offset, SessionDep
from evergreen.web.downloads import file_answer
from evergreen.web.gate import MIB, body_limit

__all__ = ["router"]

router = APIRouter(prefix="/links", tags=["links"])


def _out(request: Request, link: Any, warnings: list[str] | None = None) -> LinkOut:
    return link_out(link, request.app.state.settings, site_url(request), warnings)


def _ingest_spooled(request: Request) -> None:
    """Stats include every click already answered: ingest what is still spooled first."""
    request.app.state.links.ingest_spooled()


class LinkIn(RequestBody, LinkFields):
    """A link to create or the full new settings of one to change."""

    def draft(self) -> LinkDraft:
        """The service's input; a PUT that leaves out stream_id keeps the stream."""
        return LinkDraft(**self.model_dump(), keep_stream="stream_id" not in self.model_fields_set)


class LinkPage(BaseModel):
    """One page of links and the total that match."""

    items: list[LinkOut]
    total: int


@router.get("", operation_id="list_links")
def list_links(
    request: Request,
    session: SessionDep,
    user: ApiStaff,
    search: str = "",
    tag: str = "",
    channel: str = "",
    kind: str = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> LinkPage:
    """Links, newest first, filtered by text, tag, channel or kind."""
    links, total = service.list_links(
        session, search=search, tag=tag, channel=channel, kind=kind, limit=limit, offset=offset
    )
    return LinkPage(items=[_out(request, link) for link in links], total=total)


@router.post("", status_code=201, operation_id="create_link")
def create_link(request: Request, body: LinkIn, session: SessionDep, user: ApiStaff) -> LinkOut:
    """Create a link; 422 names the field when a rule is broken (bad URL, slug taken…)."""
    saved = service.create_link(session, body.draft())
    return _out(request, saved.link, saved.warnings)


class BulkIn(RequestBody):
    """Up to 1,000 links at once."""

    links: list[LinkIn] = Field(min_length=1, max_length=1000)


class BulkOut(BaseModel):
    """What was created, and each refused item with its index, field and reason."""

    created: list[LinkOut]
    errors: list[dict[str, Any]]


@router.post(
    "/bulk",
    status_code=201,
    operation_id="create_links_bulk",
    dependencies=[body_limit(8 * MIB)],  # up to 1,000 links
)
def bulk_create(request: Request, body: BulkIn, session: SessionDep, user: ApiStaff) -> BulkOut:
    """Create many links; bad items are reported and the others still land."""
    result = service.bulk_create(session, ((i, item.draft()) for i, item in enumerate(body.links)))
    return BulkOut(
        created=[_out(request, link) for link in result.created],
        errors=[{"index": i, "field": f, "message": m} for i, f, m in result.errors],
    )


@router.get("/stats", operation_id="all_links_stats")
def overall_stats(
    request: Request,
    session: SessionDep,
    user: ApiStaff,
    start: QueryDay | None = None,
    end: QueryDay | None = None,
) -> dict[str, Any]:
    """Clicks across all links, with the split by channel."""
    _ingest_spooled(request)
    return link_stats(session, None, start=start, end=end).to_dict()


class Reclassify(RequestBody):
    """A user agent to count as human from now on (and for its past clicks)."""

    user_agent: str = Field(min_length=1, max_length=512)


@router.post("/reclassify", operation_id="mark_agent_human")
def reclassify(
    body: Reclassify, request: Request, session: SessionDep, user: ApiStaff
) -> dict[str, int]:
    """Mark a user agent as human and recount the links it clicked."""
    _ingest_spooled(request)
    return {"changed": mark_agent_human(session, body.user_agent)}


@router.get(
    "/export.csv", operation_id="export_links", **file_answer("Every link, as CSV", "text/csv")
)
def export_links(session: SessionDep, user: ApiStaff) -> Response:
    """Every link in the documented CSV format (the import format)."""
    out = io.StringIO()
    links, _total = service.list_links(session, limit=1_000_000)
    csvio.export_links(links, out)
    return _csv(out.getvalue(), "links.csv")


def _csv(text: str, name: str) -> Response:
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{slug}", operation_id="get_link")
def get_link(request: Request, slug: str, session: SessionDep, user: ApiStaff) -> LinkOut:
    """One link."""
    return _out(request, service.get_link(session, slug))


@router.put("/{slug}", operation_id="update_link")
def update_link(
    request: Request, slug: str, body: LinkIn, session: SessionDep, user: ApiStaff
) -> LinkOut:
    """Replace a link's settings; its clicks stay."""
    saved = service.update_link(session, slug, body.draft())
    return _out(request, saved.link, saved.warnings)


@router.delete("/{slug}", status_code=204, operation_id="delete_link")
def delete_link(slug: str, session: SessionDep, user: ApiStaff) -> Response:
    """Delete a link with its clicks."""
    service.delete_link(session, slug)
    return Response(status_code=204)


@router.get("/{slug}/stats", operation_id="link_stats")
def stats(
    request: Request,
    slug: str,
    session: SessionDep,
    user: ApiStaff,
    start: QueryDay | None = None,
    end: QueryDay | None = None,
) -> dict[str, Any]:
    """A link's clicks: totals, by day, by reason, by country, referrer, device, sub-ID…"""
    _ingest_spooled(request)
    link = service.get_link(session, slug)
    return {"slug": link.slug, **link_stats(session, link.id, start=start, end=end).to_dict()}


@router.get(
    "/{slug}/clicks.csv",
    operation_id="export_clicks",
    **file_answer("The link's clicks, as CSV", "text/csv"),
)
def export_clicks(request: Request, slug: str, session: SessionDep, user: ApiStaff) -> Response:
    """Every click of a link answered so far, whatever its class."""
    _ingest_spooled(request)
    link = service.get_link(session, slug)
    out = io.StringIO()
    csvio.export_clicks(session, link.id, out)
    return _csv(out.getvalue(), f"{link.slug}-clicks.csv")


@router.get(
    "/{slug}/qr",
    operation_id="link_qr_code",
    **file_answer("The QR code of the short URL", "image/svg+xml", "image/png"),
)
def qr_code(
    request: Request,
    slug: str,
    session: SessionDep,
    user: ApiStaff,
    format: Annotated[str, Query(pattern="^(svg|png)$")] = "svg",
) -> Response:
    """A QR code of the short URL, as SVG or PNG."""
    link = service.get_link(session, slug)
    url = _out(request, link).short_url
    if format == "png":
        return Response(qr.qr_png(url), media_type="image/png")
    return Response(qr.qr_svg(url), media_type="image/svg+xml")
