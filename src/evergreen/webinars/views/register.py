"""The public registration page /w/<slug> (no sign-in, CSRF-checked like /f/<slug>) and the
registrant's signed links: their "you're registered" page and the .ics download (the room is
views/room.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from evergreen.audience import service as audience
from evergreen.config import Settings
from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import Public, SessionDep, SettingsDep, client_address
from evergreen.web.templates import render
from evergreen.webinars import registrations
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarRegistration
from evergreen.webinars.rules import check_zone, iso_utc

__all__ = ["HONEYPOT", "PostedForm", "Slug", "accept", "router", "scope_of"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=60)]
Token = Annotated[str, Path(max_length=100)]
HONEYPOT = "website"
_ZONES = sorted(
    z
    for z in available_timezones()
    if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
)


async def _posted(request: Request) -> FormData:
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted)]


def scope_of(webinar: Webinar) -> str:
    """The time trap's scope: a token rendered for one webinar is good for it only."""
    return f"webinar:{webinar.slug}"


def _zone_or_utc(text: str) -> str:
    try:
        return check_zone(text or "UTC", "viewer_timezone", allow_viewer=False)
    except InputError:
        return "UTC"


def _page(
    request: Request,
    webinar: Webinar,
    zone: str,
    *,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    now = utcnow()
    try:
        offered = registrations.offered_sessions(webinar, zone, now)
    except InputError:
        offered = ()
    local = ZoneInfo(zone)
    context = {
        "title": webinar.title or webinar.name,
        "webinar": webinar,
        "zone": zone,
        "zones": _ZONES if zone in _ZONES else [zone, *_ZONES],
        "sessions": [(iso_utc(start), start.astimezone(local)) for start in offered],
        "values": values or {},
        "token": audience.post_token(request.app.state.secret, scope_of(webinar), now),
        "honeypot": HONEYPOT,
        "action": f"/w/{webinar.slug}" + (f"?{request.url.query}" if request.url.query else ""),
        **extra,
    }
    return render(request, "webinars/register.html", context, status_code=status_code)


@router.get("/w/{slug}", dependencies=[Public])
def registration_page(
    request: Request,
    session: SessionDep,
    slug: Slug,
    tz: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The registration page; the browser sends its zone (?tz=) so sessions show in it."""
    webinar = registrations.public_webinar(session, slug)
    return _page(request, webinar, _zone_or_utc(tz), values={"email": "", "name": ""})


def _instant(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise WebinarInputError("session_start", "choose one of the sessions offered") from None


@router.post("/w/{slug}", dependencies=[Public])
def register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    _csrf: CsrfProtected,
    posted: PostedForm,
    slug: Slug,
) -> Response:
    """Register from the hosted page (CSRF-checked); the embedded form posts to views/embed.py."""
    return accept(request, session, settings, background, posted, slug)


def accept(
    request: Request,
    session: Session,
    settings: Settings,
    background: BackgroundTasks,
    posted: FormData,
    slug: str,
) -> Response:
    """Register: traps and the rate limit first, then the registration, the mail after the
    response, and the registrant's page; a post to send again gets the hosted page, filled in."""
    webinar = registrations.public_webinar(session, slug)
    text = {key: value[:1000] for key, value in posted.items() if isinstance(value, str)}
    values = {k: text.get(k, "") for k in ("email", "name", "viewer_timezone", "session_start")}
    zone = _zone_or_utc(values["viewer_timezone"])
    secret = request.app.state.secret
    guarded = audience.guard_post(
        session,
        secret,
        scope_of(webinar),
        client_address(request),
        text.get("token", "")[:200],
        text.get(HONEYPOT, ""),
    )
    if guarded.retry_after:
        wait = max(1, int(guarded.retry_after + 0.999))
        error = f"Too many registrations from your address. Please try again in {wait} seconds."
        response = _page(request, webinar, zone, values=values, status_code=429, error=error)
        response.headers["Retry-After"] = str(wait)
        return response
    if guarded.verdict is audience.Verdict.BOT:  # answered like a success, nothing stored
        return render(
            request,
            "webinars/registered.html",
            {"title": "Registered", "webinar": webinar, "bot": True},
        )
    if guarded.verdict is audience.Verdict.AGAIN:
        note = "Please check your details and press the button once more to register."
        return _page(request, webinar, zone, values=values, note=note)
    query = dict(request.query_params.items())
    try:
        data = registrations.RegistrationInput(
            email=values["email"],
            name=values["name"],
            viewer_timezone=values["viewer_timezone"],
            consent=text.get("consent", "") == "yes",
            session_start=_instant(values["session_start"]),
            source=query,
            client=client_address(request),
            shown_at=guarded.rendered,
        )
        with session.begin_nested():
            done = registrations.register(session, secret, webinar.id, data, public=True)
    except InputError as exc:
        error = f"{exc.field.replace('_', ' ')}: {exc.message}"
        return _page(request, webinar, zone, values=values, status_code=400, error=error)
    base = site_url(request)
    links = registrations.links_for(secret, base, webinar, done.registration.id)
    message = registrations.confirmation_mail(done, links, base)
    background.add_task(deliver_async, settings, message, "webinar registration")
    if not done.created:  # anyone can type an address: its signed links go to the address only
        context = {"title": "Registered", "webinar": webinar, "again": True}
        return render(request, "webinars/registered.html", context)
    return RedirectResponse(links.page.removeprefix(base), status_code=303)


def _registrant(
    session: Session, secret: str, slug: str, purpose: str, token: str
) -> tuple[Webinar, WebinarRegistration]:
    webinar = registrations.public_webinar(session, slug)
    row = registrations.registration_by_link(session, secret, purpose, token)
    if row.webinar_id != webinar.id:
        registrations.registration_by_link(session, secret, purpose, "")  # the same 404
    return webinar, row


def _local(row: WebinarRegistration) -> datetime:
    return row.session_start.astimezone(ZoneInfo(row.viewer_timezone))


@router.get("/w/{slug}/r/{token}", dependencies=[Public])
def registered_page(request: Request, session: SessionDep, slug: Slug, token: Token) -> Response:
    """The registrant's page: their session in their zone, the room's link and the .ics."""
    secret = request.app.state.secret
    webinar, row = _registrant(session, secret, slug, "page", token)
    links = registrations.links_for(secret, "", webinar, row.id)
    context = {
        "title": "You're registered",
        "webinar": webinar,
        "row": row,
        "local": _local(row),
        "links": links,
    }
    return render(request, "webinars/registered.html", context)


@router.get("/w/{slug}/ics/{token}", dependencies=[Public])
def ics(request: Request, session: SessionDep, slug: Slug, token: Token) -> Response:
    """The registrant's .ics invitation."""
    secret = request.app.state.secret
    webinar, row = _registrant(session, secret, slug, "ics", token)
    links = registrations.links_for(secret, site_url(request), webinar, row.id)
    body = registrations.ics_for(webinar, row, links, utcnow())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{webinar.slug}.ics"'},
    )
