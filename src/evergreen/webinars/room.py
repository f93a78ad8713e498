"""The watch room of one registrant: the state the server computes for their session, the
recording's address when (and only when) it may play, and the offers and chat lines the page
shows at their seconds. Also the gate of the recording file and of each offer's button."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from evergreen.config import Settings
from evergreen.errors import NotFound
from evergreen.links import queries as links_queries
from evergreen.webinars import content
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarOffer, WebinarRegistration
from evergreen.webinars.rules import iso_utc
from evergreen.webinars.rules.content import DEFAULT_LABEL
from evergreen.webinars.rules.room import RoomState, Stage, offer_closes_at, offer_open, room_state

__all__ = ["Room", "RoomClosed", "offer_target", "room_for", "state_of", "video_file_for"]


class RoomClosed(NotFound):
    """The recording or an offer asked for when the room does not give it (before the start,
    after the replay closed, an offer not yet shown or past its deadline)."""


@dataclass(frozen=True)
class Room:
    """What the room page shows: the state, the honest label, the player's source and the
    timed items as the page's script reads them."""

    state: RoomState
    label: str
    local_start: datetime
    video_src: str | None
    video_type: str | None
    video_missing: bool
    data: dict[str, Any] = field(default_factory=dict)


def state_of(webinar: Webinar, row: WebinarRegistration, now: datetime) -> RoomState:
    """Where this registrant's session stands at `now`."""
    return room_state(row.session_start, webinar.duration_minutes * 60, webinar.replay_hours, now)


def _asked(day: Any) -> str:
    return f"asked on {day.day} {day:%B %Y} in an earlier session"


def room_for(
    session: Session,
    data_dir: Path,
    webinar: Webinar,
    row: WebinarRegistration,
    token: str,
    now: datetime,
    *,
    simulated: bool = False,
) -> Room:
    """The room for a registrant at `now` (the server's clock, or the simulated one, which the
    page then passes on to the recording and the offers' buttons)."""
    state = state_of(webinar, row, now)
    base = f"/w/{webinar.slug}"
    duration = webinar.duration_minutes * 60
    src: str | None = None
    kind: str | None = None
    missing = False
    offers: list[dict[str, Any]] = []
    chat: list[dict[str, Any]] = []
    if state.plays:
        if webinar.video_file:
            missing = content.video_path(data_dir, webinar) is None
            if not missing:
                src, kind = f"{base}/video/{token}", webinar.video_type
                if simulated:
                    src += f"?at={iso_utc(now)}"
        elif webinar.video_url:
            src = webinar.video_url
        for offer in content.offers_of(session, webinar.id):
            closes = offer_closes_at(row.session_start, offer.at_second, offer.deadline_minutes)
            if offer.at_second >= duration or (closes is not None and closes <= now):
                continue
            offers.append(
                {
                    "id": offer.id,
                    "at": offer.at_second,
                    "title": offer.title,
                    "button": offer.button,
                    "href": f"{base}/room/{token}/offer/{offer.id}",
                    "closes_in_ms": None
                    if closes is None
                    else int((closes - now).total_seconds() * 1000),
                }
            )
        chat = [
            {"at": line.at_second, "question": line.question, "asked": _asked(line.asked_on)}
            for line in content.chat_of(session, webinar.id)
            if line.at_second < duration
        ]
    data = {
        "stage": state.stage.value,
        "position": state.position,
        "wait_seconds": state.wait_seconds,
        "duration": duration,
        "beat_url": f"{base}/beat",
        "token": token,
        "beat_every_ms": 5000,
        "offers": offers,
        "chat": chat,
        "clock_at": iso_utc(now) if simulated else None,
    }
    return Room(
        state=state,
        label=webinar.room_label or DEFAULT_LABEL,
        local_start=row.session_start.astimezone(ZoneInfo(row.viewer_timezone)),
        video_src=src,
        video_type=kind,
        video_missing=missing,
        data=data,
    )


def video_file_for(
    data_dir: Path, webinar: Webinar, row: WebinarRegistration, now: datetime
) -> tuple[Path, str]:
    """The recording's file and type for this registrant, only while their room plays it."""
    if not state_of(webinar, row, now).plays:
        raise RoomClosed("token", "the recording is not open for this registration now")
    path = content.video_path(data_dir, webinar)
    if path is None or webinar.video_type is None:
        raise NotFound("video", "this webinar has no uploaded recording")
    return path, webinar.video_type


def offer_target(
    session: Session,
    settings: Settings,
    site: str,
    webinar: Webinar,
    row: WebinarRegistration,
    offer_id: int,
    now: datetime,
) -> str:
    """Where an offer's button leads: its tracking link with sub-IDs naming the webinar, the
    offer and the registration; refused before it appeared or after its deadline."""
    offer = session.get(WebinarOffer, offer_id)
    if offer is None or offer.webinar_id != webinar.id:
        raise NotFound("offer_id", f"no offer {offer_id} in this webinar")
    state = state_of(webinar, row, now)
    if not offer_open(state, row.session_start, offer.at_second, offer.deadline_minutes, now):
        if state.stage is Stage.EXPIRED or state.stage is Stage.WAITING:
            raise RoomClosed("offer_id", "the room is closed, and with it this offer")
        raise WebinarInputError(
            "offer_id", "this offer is not open: it has not appeared yet or its deadline has passed"
        )
    if not offer.link_slug:
        return offer.url
    tracked = links_queries.short_url(settings, site, offer.link_slug)
    return f"{tracked}?sub1=webinar-{webinar.id}&sub2=offer-{offer.id}&sub3=r{row.id}"
