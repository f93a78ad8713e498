"""/webinars and /webinars/{id}: the webinars with the form to add one, and one webinar with
its edit form, its deletion after a confirmation, and the sessions a visitor registering now
would be offered, shown in a chosen zone. Staff read; the owner writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.db import utcnow
from evergreen.errors import InputError
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.templates import render
from evergreen.webinars import content, queries, service
from evergreen.webinars.rules import VIEWER, check_zone
from evergreen.webinars.views import embed
from evergreen.webinars.views.content_parts import content_context
from evergreen.webinars.views.forms import BLANK, EnteredDep, FormStr, draft_of, entered_of

__all__ = ["router", "show_webinar"]

router = APIRouter(prefix="/webinars", include_in_schema=False)
Done = Annotated[str, Query(max_length=20)]
Zone = Annotated[str, Query(max_length=100)]
PREVIEW_COUNT = 5
_DONE = {
    "created": "Webinar added.",
    "saved": "Webinar saved.",
    "deleted": "Webinar deleted.",
    "video": "Recording saved.",
    "offer": "Offer added.",
    "offer-removed": "Offer removed.",
    "chat": "Question added to the chat script.",
    "chat-removed": "Question removed from the chat script.",
}


def _list_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    context: dict[str, Any] = {
        "title": "Webinars",
        "webinars": queries.list_webinars(session),
        "lists": audience_queries.list_choices(session),
        "form": form or dict(BLANK),
        "error": error,
        "done": _DONE.get(done, ""),
    }
    return render(request, "webinars/list.html", context, status_code=400 if error else 200)


@router.get("")
def webinars_page(
    request: Request, session: SessionDep, user: DashboardUser, done: Done = ""
) -> Response:
    """Every webinar with its schedule in words, and the form to add one."""
    return _list_page(request, session, done=done)


@router.post("")
def add_webinar(
    request: Request,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    entered: EnteredDep,
) -> Response:
    """Owner only: a new webinar, or the form again with what to fix."""
    form.on_error(lambda error: _list_page(request, session, form=entered, error=error))
    row = service.add_webinar(session, draft_of(entered))
    return RedirectResponse(f"/webinars/{row.id}?done=created", status_code=303)


def _preview(
    session: Session, webinar_id: int, zone: str, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The next sessions for a visitor registering now from `zone`: (UTC, local) pairs."""
    starts = queries.sessions_for(session, webinar_id, now, zone, PREVIEW_COUNT)
    local = ZoneInfo(zone)
    return [(start, start.astimezone(local)) for start in starts]


def show_webinar(
    request: Request,
    session: Session,
    webinar_id: int,
    *,
    zone: str = "",
    edit: dict[str, str] | None = None,
    error: InputError | None = None,
    done: str = "",
) -> Response:
    """One webinar's page; a refused form's error shown on it."""
    card = queries.webinar_card(session, webinar_id)
    if card is None:
        service.get_webinar(session, webinar_id)  # the 404 naming the id
    assert card is not None
    chosen = zone.strip() or (card.timezone if card.timezone != VIEWER else "UTC")
    preview: list[tuple[datetime, datetime]] = []
    zone_error: InputError | None = None
    bad_zone = False  # the visitor's zone asked for is wrong: a 400; a schedule with nothing
    try:  # left to offer (its listed dates passed) is said on the page, which still works
        chosen = check_zone(chosen, "zone", allow_viewer=False)
    except InputError as exc:
        zone_error, bad_zone = exc, True
    else:
        try:
            preview = _preview(session, webinar_id, chosen, utcnow())
        except InputError as exc:
            zone_error = exc
    context: dict[str, Any] = {
        "title": card.title or card.name,
        "card": card,
        "lists": audience_queries.list_choices(session),
        "zone": chosen,
        "now": utcnow(),
        "preview": preview,
        "zone_error": zone_error,
        "edit": edit
        or entered_of(
            name=card.name,
            title=card.title,
            presenter=card.presenter,
            duration_minutes=str(card.duration_minutes),
            schedule=card.schedule,
            timezone=card.timezone,
            blackout_dates="\n".join(card.blackout_dates),
            video_url=card.video_url or "",
            replay_hours=str(card.replay_hours),
            slug=card.slug or "",
            list_id=str(card.list_id or ""),
            consent_wording=card.consent_wording,
            room_label=card.room_label,
        ),
        "editing": edit is not None,
        "snippet": embed.snippet(request, card),
        "registrations": [
            (row, row.session_start.astimezone(ZoneInfo(row.viewer_timezone)))
            for row in queries.registrations_of(session, webinar_id, 200)
        ],
        "error": error,
        "done": _DONE.get(done, ""),
        **content_context(session, request, card),
    }
    status = 400 if error or bad_zone else 200
    return render(request, "webinars/webinar.html", context, status_code=status)


@router.get("/{webinar_id:int}")
def webinar_page(
    request: Request,
    webinar_id: DbId,
    session: SessionDep,
    user: DashboardUser,
    zone: Zone = "",
    done: Done = "",
) -> Response:
    """One webinar: its details, the next sessions offered now in a chosen zone, its settings."""
    return show_webinar(request, session, webinar_id, zone=zone, done=done)


@router.post("/{webinar_id:int}")
def save_webinar(
    request: Request,
    webinar_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    entered: EnteredDep,
) -> Response:
    """Owner only: change a webinar; the whole result is checked as a new one would be."""
    service.get_webinar(session, webinar_id)
    form.on_error(
        lambda error: show_webinar(request, session, webinar_id, edit=entered, error=error)
    )
    draft = draft_of(entered)
    changes = service.WebinarChanges(
        **vars(
            replace(
                draft,
                video_url=draft.video_url or "",
                slug=draft.slug or "",
                list_id=draft.list_id or 0,
            )
        )
    )
    service.update_webinar(session, webinar_id, changes)
    return RedirectResponse(f"/webinars/{webinar_id}?done=saved", status_code=303)


@router.post("/{webinar_id:int}/delete")
def delete_webinar(
    request: Request,
    webinar_id: DbId,
    session: SessionDep,
    user: OwnerUser,
    _csrf: CsrfProtected,
    confirm: FormStr = "",
) -> Response:
    """Owner only: delete a webinar once confirmed."""
    row = service.get_webinar(session, webinar_id)
    step = Confirmation(
        title=f"Delete the webinar {row.name}?",
        consequence="The webinar, its schedule, settings, offers and chat script are deleted, "
        "and an uploaded recording with them; this cannot be undone. A recording hosted "
        "elsewhere (a URL) is not touched.",
        button="Delete webinar",
        cancel=f"/webinars/{webinar_id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    service.delete_webinar(session, webinar_id)
    content.forget_recordings(session, request.app.state.settings.data_dir, webinar_id)
    return RedirectResponse("/webinars?done=deleted", status_code=303)
