"""/api/v1/webinars: add, list, read, change and delete webinars, and the sessions a registrant
would be offered. Staff read; the owner writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from pydantic import Field

from evergreen.db import MAX_ID, utcnow
from evergreen.mail.transactional import deliver_async
from evergreen.siteurl import site_url
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep, SettingsDep
from evergreen.webinars import analytics, content, queries, registrations, service
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules import MAX_BLACKOUTS, MAX_COUNT, check_registered_at, iso_utc

__all__ = ["router", "routers"]

router = APIRouter(prefix="/webinars", tags=["webinars"])
_SPEC_HELP = (
    "jit:N[@HH:MM-HH:MM[,mon-fri]], daily:HH:MM[,HH:MM…], weekly:mon,wed:HH:MM[,HH:MM…] "
    "or dates:YYYY-MM-DDTHH:MM[,…]"
)
Minutes = Annotated[int, Field(ge=1, le=1440, description="The recording's length in minutes.")]
ReplayHours = Annotated[int, Field(ge=0, le=8760, description="Replay window per registrant.")]
Blackouts = Annotated[
    list[Annotated[str, Field(max_length=20)]],
    Field(max_length=MAX_BLACKOUTS, description="Local dates with no session, YYYY-MM-DD."),
]


class WebinarIn(RequestBody):
    """A webinar: its name, recording, schedule spec, zone and blackout dates."""

    name: str = Field(max_length=200)
    duration_minutes: Minutes
    schedule: str = Field(max_length=2100, description=_SPEC_HELP)
    timezone: str = Field(max_length=100, description="viewer, or an IANA zone name.")
    blackout_dates: Blackouts = []
    title: str = Field("", max_length=400)
    presenter: str = Field("", max_length=400)
    video_url: str | None = Field(None, max_length=4096)
    replay_hours: ReplayHours = 48
    slug: str | None = Field(None, max_length=100, description="The page's address: /w/<slug>.")
    list_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="The audience list consent joins."
    )
    consent_wording: str = Field("", max_length=4000)
    room_label: str = Field("", max_length=400, description="The room's honest label.")


class WebinarPatch(RequestBody):
    """What to change of a webinar; what is left out stays (video_url "" removes it)."""

    name: str | None = Field(None, max_length=200)
    duration_minutes: Minutes | None = None
    schedule: str | None = Field(None, max_length=2100, description=_SPEC_HELP)
    timezone: str | None = Field(None, max_length=100)
    blackout_dates: Blackouts | None = None
    title: str | None = Field(None, max_length=400)
    presenter: str | None = Field(None, max_length=400)
    video_url: str | None = Field(None, max_length=4096)
    replay_hours: ReplayHours | None = None
    slug: str | None = Field(None, max_length=100, description='"" removes the public page.')
    list_id: int | None = Field(None, ge=0, le=MAX_ID, description="0 removes the list.")
    consent_wording: str | None = Field(None, max_length=4000)
    room_label: str | None = Field(None, max_length=400)


class RegistrationIn(RequestBody):
    """Someone to register: their address, zone, consent and an optional chosen session."""

    email: str = Field(max_length=1000)
    viewer_timezone: str = Field(max_length=100, description="An IANA zone, e.g. Asia/Tokyo.")
    name: str = Field("", max_length=1000)
    consent: bool = Field(False, description="They ticked the webinar's consent wording.")
    session_start: datetime | None = Field(None, description="One of the sessions offered.")
    source: dict[str, str] = Field(default_factory=dict, max_length=50)
    send_mail: bool = Field(True, description="Send the confirmation when mail is set up.")


def _one(session: SessionDep, webinar_id: int) -> dict[str, Any]:
    card = queries.webinar_card(session, webinar_id)
    if card is None:
        service.get_webinar(session, webinar_id)  # the 404 naming the id
    assert card is not None
    return card.to_dict()


@router.get("", operation_id="list_webinars")
def get_webinars(session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """Every webinar, by name, with its schedule in words."""
    return [card.to_dict() for card in queries.list_webinars(session)]


@router.post("", status_code=201, operation_id="create_webinar")
def create(body: WebinarIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a new webinar (a schedule that can offer no session is refused)."""
    values = body.model_dump()
    values["blackout_dates"] = tuple(values["blackout_dates"])
    return _one(session, service.add_webinar(session, service.WebinarDraft(**values)).id)


@router.get("/{webinar_id}", operation_id="get_webinar")
def get_one(webinar_id: DbId, session: SessionDep, user: ApiStaff) -> dict[str, Any]:
    """One webinar."""
    return _one(session, webinar_id)


@router.patch("/{webinar_id}", operation_id="update_webinar")
def update(
    webinar_id: DbId, body: WebinarPatch, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: change a webinar; the result is checked as a new one would be."""
    values = body.model_dump()
    if values["blackout_dates"] is not None:
        values["blackout_dates"] = tuple(values["blackout_dates"])
    service.update_webinar(session, webinar_id, service.WebinarChanges(**values))
    return _one(session, webinar_id)


@router.delete("/{webinar_id}", status_code=204, operation_id="delete_webinar")
def delete(
    webinar_id: DbId, session: SessionDep, settings: SettingsDep, user: ApiOwner
) -> Response:
    """Owner only: delete a webinar (and its uploaded recording)."""
    service.delete_webinar(session, webinar_id)
    content.forget_recordings(session, settings.data_dir, webinar_id)
    return Response(status_code=204)


def _instant(text: str) -> datetime:
    if not text.strip():
        return utcnow()
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise WebinarInputError(
            "registered_at", f"{text[:40]!r} is not an ISO 8601 time, e.g. 2026-12-07T14:00:00Z"
        ) from None


@router.get("/{webinar_id}/sessions", operation_id="webinar_sessions")
def sessions(
    webinar_id: DbId,
    session: SessionDep,
    user: ApiStaff,
    viewer_timezone: Annotated[
        str, Query(max_length=100, description="The visitor's zone, e.g. America/New_York.")
    ],
    registered_at: Annotated[
        str, Query(max_length=64, description="ISO 8601; now when left out; UTC without offset.")
    ] = "",
    count: Annotated[int, Query(ge=1, le=MAX_COUNT)] = 3,
) -> dict[str, Any]:
    """The next `count` session starts (UTC, 2026-12-07T15:00:00Z, in order) offered to someone
    registering at `registered_at` from `viewer_timezone`."""
    when = _instant(registered_at)
    starts = queries.sessions_for(session, webinar_id, when, viewer_timezone, count)
    return {
        "webinar_id": webinar_id,
        "registered_at": iso_utc(check_registered_at(when)),
        "viewer_timezone": viewer_timezone.strip(),
        "sessions": [iso_utc(start) for start in starts],
    }


@router.get("/{webinar_id}/registrations", operation_id="webinar_registrations")
def list_registrations(
    webinar_id: DbId, session: SessionDep, user: ApiStaff
) -> list[dict[str, Any]]:
    """The webinar's registrations, newest first (at most 1,000)."""
    service.get_webinar(session, webinar_id)
    return [card.to_dict() for card in queries.registrations_of(session, webinar_id)]


@router.post("/{webinar_id}/registrations", status_code=201, operation_id="register_for_webinar")
def create_registration(
    webinar_id: DbId,
    body: RegistrationIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    user: ApiOwner,
) -> dict[str, Any]:
    """Owner only: register someone (the same registration when they registered before);
    the confirmation mail goes after the response when mail is set up."""
    secret = request.app.state.secret
    data = registrations.RegistrationInput(
        email=body.email,
        viewer_timezone=body.viewer_timezone,
        name=body.name,
        consent=body.consent,
        session_start=body.session_start,
        source=body.source,
    )
    done = registrations.register(session, secret, webinar_id, data)
    base = site_url(request)
    links = registrations.links_for(secret, base, done.webinar, done.registration.id)
    if body.send_mail:
        message = registrations.confirmation_mail(done, links, base)
        background.add_task(deliver_async, settings, message, "webinar registration")
    return {
        "registration": queries.registration_card(done.registration).to_dict(),
        "created": done.created,
        "links": {"page": links.page, "ics": links.ics, "room": links.room},
    }


@router.get("/{webinar_id}/analytics", operation_id="webinar_analytics")
def webinar_analytics(
    webinar_id: DbId,
    session: SessionDep,
    user: ApiStaff,
    by: Annotated[
        str,
        Query(max_length=20, description="channel, utm_source, utm_medium, utm_campaign, sub1…"),
    ] = "channel",
) -> dict[str, Any]:
    """Registrations, show-up rate, watch time, drop-off and offers, by traffic source."""
    return analytics.webinar_analytics(session, webinar_id, by).to_dict()


def routers() -> list[APIRouter]:
    """The area's API routers."""
    from evergreen.webinars import api_content

    return [router, api_content.router]
