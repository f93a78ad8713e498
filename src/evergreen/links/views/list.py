"""Dashboard pages for links: the list, the overview of all clicks, CSV import and export."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from evergreen.links import service
from evergreen.links.clicks.stats import link_stats
from evergreen.links.drafts import KINDS
from evergreen.links.queries import counts_by_link
from evergreen.links.views.link import ChartDays, short_url, stats_context
from evergreen.links.views.queries import channel_names
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, PageNumber, SessionDep
from evergreen.web.downloads import csv_download
from evergreen.web.gate import MIB, body_limit
from evergreen.web.templates import render

__all__ = ["MAX_IMPORT_BYTES", "PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _filters(q: str, tag: str, channel: str, kind: str) -> dict[str, str]:
    """The list's filters as given, blanks dropped (for links that keep them)."""
    given = {"q": q.strip(), "tag": tag.strip(), "channel": channel.strip(), "kind": kind}
    return {name: value for name, value in given.items() if value}


@router.get("/links")
def list_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    q: str = "",
    tag: str = "",
    channel: str = "",
    kind: str = "",
    page: PageNumber = 1,
    deleted: bool = False,
) -> Response:
    """Links, newest first: search, filters, paging, and each link's clicks."""
    request.app.state.links.ingest_spooled()  # the counts include every click already answered
    links, total = service.list_links(
        session,
        search=q,
        tag=tag.strip(),
        channel=channel.strip(),
        kind=kind if kind in KINDS else "",
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    filters = _filters(q, tag, channel, kind)
    pages = max(1, math.ceil(total / PAGE_SIZE))

    def page_url(number: int) -> str:
        return "/links?" + urlencode({**filters, "page": number})

    context: dict[str, Any] = {
        "title": "Links",
        "links": links,
        "total": total,
        "counts": counts_by_link(session, [link.id for link in links]),
        "short_urls": {link.id: short_url(request, link.slug) for link in links},
        "filters": filters,
        "kinds": KINDS,
        "channels": channel_names(session),
        "page": page,
        "pages": pages,
        "previous_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
        "export_url": "/links/export.csv" + ("?" + urlencode(filters) if filters else ""),
        "deleted": deleted,
    }
    return render(request, "links/list.html", context)


@router.get("/links/stats")
def overview_page(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    days: ChartDays = 30,
    marked: int | None = None,
) -> Response:
    """Clicks across all links: totals, by day, by channel and the top values of each field."""
    request.app.state.links.ingest_spooled()
    context: dict[str, Any] = {
        "title": "Link overview",
        "days": days,
        "marked": marked,
        **stats_context(link_stats(session, None), days),
    }
    return render(request, "links/overview.html", context)


@router.get("/links/export.csv")
def export_csv(
    session: SessionDep,
    user: DashboardUser,
    q: str = "",
    tag: str = "",
    channel: str = "",
    kind: str = "",
) -> Response:
    """The links matching the list's filters, in the CSV format the import reads."""
    links, _total = service.list_links(
        session, search=q, tag=tag, channel=channel, kind=kind, limit=10**9
    )
    from evergreen.links.formats import csvio

    return csv_download("links.csv", lambda out: csvio.export_links(links, out))


def _import_page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    full = {"title": "Import links", "max_mb": MAX_IMPORT_BYTES // (1024 * 1024), **context}
    return render(request, "links/import.html", full, status_code=status)


@router.get("/links/import")
def import_page(request: Request, user: DashboardUser) -> Response:
    """Upload or paste a CSV of links."""
    return _import_page(request, {})


def _uploaded_text(file: UploadFile | None, pasted: str) -> str:
    """The CSV text from the file, else the text box; ValueError says what is wrong."""
    if file is not None and file.filename:
        data = file.file.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise ValueError(
                f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; "
                "split it into smaller files and import them one by one."
            )
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(
                "The file is not UTF-8 text; in your spreadsheet choose "
                "“CSV UTF-8” when saving, then upload it again."
            ) from None
    if pasted.strip():
        return pasted
    raise ValueError("Choose a CSV file or paste CSV text, then press Import.")


@router.post("/links/import", dependencies=[body_limit(MAX_IMPORT_BYTES + MIB)])
def import_links(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    _csrf: CsrfProtected,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form()] = "",
) -> Response:
    """Create a link per good row; each refused row is listed with its line and field."""
    try:
        csv_text = _uploaded_text(file, text)
    except ValueError as exc:
        return _import_page(request, {"error": str(exc), "text": text}, status=400)
    from evergreen.links.formats import csvio

    parsed = csvio.read_links_csv(csv_text)
    result = service.bulk_create(session, parsed.rows)
    problems = csvio.error_lines([*parsed.errors, *result.errors])
    context = {
        "done": True,
        "created": result.created,
        "short_urls": {link.id: short_url(request, link.slug) for link in result.created},
        "problems": problems,
        "notes": parsed.notes,
    }
    failed = not result.created and bool(problems)
    return _import_page(request, context, status=400 if failed else 200)
