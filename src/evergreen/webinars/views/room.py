"""The watch room /w/<slug>/room/<token> (the registrant's signed link, purpose "room"), the
recording file behind it (range requests, the same token and state checked) and the gate of
each offer's button. A simulated clock (?at=ISO8601) is honoured only when the app runs with
EVERGREEN_ENV=test or for the signed-in owner, never for the public."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.siteurl import site_url
from evergreen.web.deps import DbId, OptionalUser, SessionDep, SettingsDep
from evergreen.web.templates import render
from evergreen.webinars import registrations
from evergreen.webinars import room as rooms
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarRegistration

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(max_length=60)]
Token = Annotated[str, Path(max_length=100)]
At = Annotated[str, Query(max_length=64, description="A simulated clock (tests, the owner).")]


def _simulated(request: Request, user: object, at: str) -> bool:
    """Whether ?at= sets the clock: given, and the app runs for tests or the owner asks."""
    owner = getattr(user, "role", None) == "owner"
    return bool(at.strip()) and (request.app.state.settings.env == "test" or owner)


def _now(request: Request, user: object, at: str) -> datetime:
    """The room's clock: the server's, or ?at= where a simulated clock is allowed."""
    if not _simulated(request, user, at):
        return utcnow()
    try:
        when = datetime.fromisoformat(at.strip())
    except ValueError:
        raise WebinarInputError("at", f"{at[:40]!r} is not an ISO 8601 time") from None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _registrant(
    session: Session, secret: str, slug: str, token: str
) -> tuple[Webinar, WebinarRegistration]:
    webinar = registrations.public_webinar(session, slug)
    row = registrations.registration_by_link(session, secret, "room", token)
    if row.webinar_id != webinar.id:
        registrations.registration_by_link(session, secret, "room", "")  # the same 404
    return webinar, row


@router.get("/w/{slug}/room/{token}")
def room(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    slug: Slug,
    token: Token,
    at: At = "",
) -> Response:
    """The room: a countdown before the session, the recording as if live from where the
    session is, the replay until it closes, then a closed room (without the recording)."""
    webinar, row = _registrant(session, request.app.state.secret, slug, token)
    now = _now(request, user, at)
    simulated = _simulated(request, user, at)
    shown = rooms.room_for(
        session, settings.data_dir, webinar, row, token, now, simulated=simulated
    )
    context = {
        "title": webinar.title or webinar.name,
        "webinar": webinar,
        "row": row,
        "room": shown,
        "now": now,
    }
    return render(request, "webinars/room.html", context)


@router.get("/w/{slug}/video/{token}")
def video(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    slug: Slug,
    token: Token,
    at: At = "",
) -> Response:
    """The uploaded recording, with range requests (206), while this registrant's room plays."""
    webinar, row = _registrant(session, request.app.state.secret, slug, token)
    path, kind = rooms.video_file_for(settings.data_dir, webinar, row, _now(request, user, at))
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "private, no-store"})


@router.get("/w/{slug}/room/{token}/offer/{offer_id}")
def offer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    slug: Slug,
    token: Token,
    offer_id: DbId,
    at: At = "",
) -> Response:
    """An offer's button: on to its tracking link while the offer is open, else a page saying
    it has closed (410): the deadline holds on the server, not only on the page."""
    webinar, row = _registrant(session, request.app.state.secret, slug, token)
    now = _now(request, user, at)
    try:
        target = rooms.offer_target(
            session, settings, site_url(request), webinar, row, offer_id, now
        )
    except WebinarInputError as exc:
        context = {
            "title": webinar.title or webinar.name,
            "webinar": webinar,
            "message": exc.message,
        }
        return render(request, "webinars/offer_closed.html", context, status_code=410)
    return RedirectResponse(target, status_code=303)
