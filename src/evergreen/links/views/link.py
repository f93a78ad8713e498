"""Pages for one link: create, detail with its clicks, edit, delete, QR code, clicks CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.ledger import service as ledger
from evergreen.links import rules, service
from evergreen.links.clicks.stats import LinkStats, link_stats, mark_agent_human
from evergreen.links.drafts import KINDS
from evergreen.links.models import Link
from evergreen.links.rules import UTM_PARAMS, Targets
from evergreen.links.views.forms import (
    LinkForm,
    blank_form,
    draft_of_form,
    form_of_link,
    link_warnings,
)
from evergreen.links.views.queries import suspect_agents
from evergreen.siteurl import site_url
from evergreen.web.charts import day_chart
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, SessionDep
from evergreen.web.downloads import csv_download
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render

__all__ = ["csv_download", "router", "short_url", "stats_context"]

router = APIRouter(prefix="/links", include_in_schema=False)
FormStr = Annotated[str, Form()]
LinkFormDep = Annotated[LinkForm, Form()]
ChartDays = Annotated[int, Query(ge=7, le=366)]

BREAKDOWN_LABELS = {
    "country": "Country", "referrer": "Referrer", "device": "Device", "browser": "Browser",
    "os": "Operating system", "sub1": "sub1", "sub2": "sub2", "sub3": "sub3", "sub4": "sub4",
    "sub5": "sub5", "utm_source": "UTM source", "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
}  # fmt: skip
CLASS_LABELS = {
    "bot": ("Bots", "known crawlers, or no user agent at all"),
    "preview": ("Link previews", "chat and social apps unfurling the link (Slack, X, WhatsApp…)"),
    "prefetch": ("Prefetches", "the browser loaded the link ahead of a possible click"),
    "head": ("HEAD requests", "link checkers; nothing was followed"),
    "internal": ("Your own traffic", "internal IPs, or a browser signed in to this dashboard"),
    "flood": ("Floods", "too many clicks from one visitor on this link within a minute"),
}
_STATUS_NOTES = {
    302: "302 (temporary, recommended)",
    307: "307 (temporary, keeps the method)",
    301: "301 (permanent) — browsers cache it: repeat visits skip Evergreen and are not counted",
}


def short_url(request: Request, slug: str) -> str:
    """The address people share (the same as the API's short_url)."""
    settings = request.app.state.settings
    return rules.short_url(site_url(request), settings.link_prefix, settings.link_domain, slug)


def stats_context(stats: LinkStats, days: int) -> dict[str, Any]:
    """What the shared stats blocks of the detail and overview pages draw."""
    return {
        "stats": stats,
        "chart": day_chart(stats.by_day, days=days, today=utcnow().date()),
        "breakdown_labels": BREAKDOWN_LABELS,
        "class_labels": CLASS_LABELS,
    }


def _form_page(
    request: Request,
    session: Session,
    form: LinkForm,
    *,
    link: Link | None = None,
    error: InputError | None = None,
) -> Response:
    context: dict[str, Any] = {
        "streams": [(stream.id, stream.name) for stream in ledger.all_streams(session)],
        "title": f"Edit {link.slug}" if link else "New link",
        "form": form,
        "link": link,
        "error": error,
        "kinds": KINDS,
        "statuses": _STATUS_NOTES,
        "device_keys": Targets.DEVICE_KEYS,
        "utm_params": UTM_PARAMS,
        "link_base": short_url(request, ""),
        "global_fallback": request.app.state.settings.link_fallback_url,
    }
    return render(request, "links/form.html", context, status_code=400 if error else 200)


def _qr_svg(url: str) -> Markup:
    """The QR code as inline SVG; segno draws only paths, nothing of the URL as markup."""
    from evergreen.links.formats import qr

    svg = qr.qr_svg(url).decode("utf-8")
    return Markup(svg[svg.find("<svg") :])  # noqa: S704 - generated, no user text; prolog dropped


def _detail_page(
    request: Request,
    session: Session,
    link: Link,
    *,
    days: int = 30,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    request.app.state.links.ingest_spooled()  # count every click already answered
    url = short_url(request, link.slug)
    context: dict[str, Any] = {
        "title": link.title or link.slug,
        "link": link,
        "short_url": url,
        "qr_svg": _qr_svg(url),
        "warnings": link_warnings(link),
        "agents": suspect_agents(session, link.id),
        "statuses": _STATUS_NOTES,
        "now": utcnow(),
        **stats_context(link_stats(session, link.id), days),
        **(extra or {}),
    }
    return render(request, "links/detail.html", context, status_code=status)


@router.get("/new")
def new_link_page(request: Request, session: SessionDep, user: DashboardUser) -> Response:
    """The form for a new link."""
    return _form_page(request, session, blank_form())


@router.post("/new")
def create_link(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    _csrf: CsrfProtected,
    form: LinkFormDep,
    page: FormPageDep,
) -> Response:
    """Create the link and show it, or show the form again with what to fix."""
    page.on_error(lambda error: _form_page(request, session, form, error=error))
    saved = service.create_link(session, draft_of_form(form))
    return RedirectResponse(f"/links/{saved.link.slug}?saved=created", status_code=303)


@router.post("/reclassify")
def reclassify(
    request: Request,
    session: SessionDep,
    user: DashboardUser,
    _csrf: CsrfProtected,
    user_agent: FormStr = "",
    slug: FormStr = "",
) -> Response:
    """Count a user agent as human from now on, and recount its past bot and preview clicks."""
    link = service.get_link(session, slug) if slug else None
    if not user_agent.strip():
        message = "Enter the user agent to count as human."
        if link is None:
            raise HTTPException(400, message)
        return _detail_page(request, session, link, extra={"agent_error": message}, status=400)
    request.app.state.links.ingest_spooled()
    changed = mark_agent_human(session, user_agent)
    target = f"/links/{link.slug}" if link else "/links/stats"
    return RedirectResponse(f"{target}?marked={changed}", status_code=303)


@router.get("/{slug}")
def link_detail(
    request: Request,
    slug: str,
    session: SessionDep,
    user: DashboardUser,
    days: ChartDays = 30,
    saved: str = "",
    marked: int | None = None,
) -> Response:
    """A link's settings, QR code and clicks."""
    link = service.get_link(session, slug)
    extra = {"saved": saved, "marked": marked, "days": days}
    return _detail_page(request, session, link, days=days, extra=extra)


@router.get("/{slug}/edit")
def edit_link_page(
    request: Request, slug: str, session: SessionDep, user: DashboardUser
) -> Response:
    """The form with the link's current settings."""
    link = service.get_link(session, slug)
    return _form_page(request, session, form_of_link(link), link=link)


@router.post("/{slug}/edit")
def edit_link(
    request: Request,
    slug: str,
    session: SessionDep,
    user: DashboardUser,
    _csrf: CsrfProtected,
    form: LinkFormDep,
    page: FormPageDep,
) -> Response:
    """Replace the link's settings; its clicks stay."""
    link = service.get_link(session, slug)
    page.on_error(lambda error: _form_page(request, session, form, link=link, error=error))
    saved = service.update_link(session, link.slug, draft_of_form(form))
    return RedirectResponse(f"/links/{saved.link.slug}?saved=updated", status_code=303)


@router.post("/{slug}/delete")
def delete_link(
    request: Request,
    slug: str,
    session: SessionDep,
    user: DashboardUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Delete the link with its clicks, once confirmed."""
    link = service.get_link(session, slug)
    step = Confirmation(
        title=f"Delete the link /{link.slug}?",
        consequence="The short link stops redirecting at once, and its clicks and statistics "
        "are deleted with it. This cannot be undone.",
        button="Delete link",
        cancel=f"/links/{link.slug}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.delete_link(session, slug)
    return RedirectResponse("/links?deleted=1", status_code=303)


@router.get("/{slug}/qr.png")
def qr_png(request: Request, slug: str, session: SessionDep, user: DashboardUser) -> Response:
    """The QR code as a PNG file to print."""
    link = service.get_link(session, slug)
    from evergreen.links.formats import qr

    headers = {"content-disposition": f'attachment; filename="{link.slug}-qr.png"'}
    png = qr.qr_png(short_url(request, link.slug))
    return Response(png, media_type="image/png", headers=headers)


@router.get("/{slug}/clicks.csv")
def clicks_csv(request: Request, slug: str, session: SessionDep, user: DashboardUser) -> Response:
    """Every stored click of the link, whatever its class."""
    link = service.get_link(session, slug)
    request.app.state.links.ingest_spooled()
    from evergreen.links.formats import csvio

    return csv_download(
        f"{link.slug}-clicks.csv", lambda out: csvio.export_clicks(session, link.id, out)
    )
