"""/api/v1/webinars/{id}/video, /offers and /chat: the recording (an upload as the raw body, or a
URL), the offers shown at a second and the chat script. Staff read; the owner writes."""

from __future__ import annotations

from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, DbId, SessionDep, SettingsDep
from evergreen.web.gate import MIB, body_limit
from evergreen.web.uploads import chunks, spooled_body
from evergreen.webinars import content, queries, service
from evergreen.webinars.models import WebinarChatLine, WebinarOffer
from evergreen.webinars.rules.content import MAX_VIDEO_BYTES

__all__ = ["router"]

router = APIRouter(prefix="/webinars", tags=["webinars"])
Second = Annotated[int, Field(ge=0, le=86_400, description="Seconds into the recording.")]


class VideoUrlIn(RequestBody):
    """The recording's address."""

    url: str = Field(max_length=4096, description="An http:// or https:// URL.")


class OfferIn(RequestBody):
    """An offer shown from a second, its button going to `url` through a tracking link."""

    at_second: Second
    title: str = Field(max_length=400)
    url: str = Field(max_length=4096)
    button: str = Field("", max_length=200, description='Default "Get the offer".')
    deadline_minutes: int | None = Field(
        None, ge=1, le=10_080, description="Real deadline after it appears; none: no deadline."
    )


class ChatIn(RequestBody):
    """A real question from an earlier session and the date it was asked."""

    at_second: Second
    question: str = Field(max_length=2000)
    asked_on: str = Field(max_length=20, description="YYYY-MM-DD, not in the future.")


def _offer(row: WebinarOffer) -> dict[str, Any]:
    return {
        "id": row.id,
        "webinar_id": row.webinar_id,
        "at_second": row.at_second,
        "title": row.title,
        "button": row.button,
        "url": row.url,
        "deadline_minutes": row.deadline_minutes,
        "link_slug": row.link_slug,
    }


def _chat(row: WebinarChatLine) -> dict[str, Any]:
    return {
        "id": row.id,
        "webinar_id": row.webinar_id,
        "at_second": row.at_second,
        "question": row.question,
        "asked_on": row.asked_on.isoformat(),
    }


Body = Annotated[IO[bytes], Depends(spooled_body(lambda: MAX_VIDEO_BYTES, "recording"))]


def _card(session: SessionDep, webinar_id: int) -> dict[str, Any]:
    card = queries.webinar_card(session, webinar_id)
    assert card is not None
    return card.to_dict()


@router.put(
    "/{webinar_id}/video",
    operation_id="upload_webinar_video",
    dependencies=[body_limit(MAX_VIDEO_BYTES + MIB)],  # the 413 below names the limit first
)
def upload_video(
    webinar_id: DbId, spool: Body, session: SessionDep, settings: SettingsDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: the recording as the raw body (mp4 or webm, at most 100 MB)."""
    content.store_video(session, settings.data_dir, webinar_id, chunks(spool))
    return _card(session, webinar_id)


@router.put("/{webinar_id}/video-url", operation_id="set_webinar_video_url")
def set_video_url(
    webinar_id: DbId, body: VideoUrlIn, session: SessionDep, settings: SettingsDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: the recording is at this URL (an uploaded file is removed)."""
    content.set_video_url(session, settings.data_dir, webinar_id, body.url)
    return _card(session, webinar_id)


@router.get("/{webinar_id}/offers", operation_id="list_webinar_offers")
def list_offers(webinar_id: DbId, session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """The webinar's offers in the order they appear."""
    service.get_webinar(session, webinar_id)
    return [_offer(row) for row in content.offers_of(session, webinar_id)]


@router.post("/{webinar_id}/offers", status_code=201, operation_id="add_webinar_offer")
def add_offer(
    webinar_id: DbId, body: OfferIn, session: SessionDep, user: ApiOwner
) -> dict[str, Any]:
    """Owner only: an offer at a second; its button becomes a tracking link (channel webinar)."""
    draft = content.OfferDraft(**body.model_dump())
    return _offer(content.add_offer(session, webinar_id, draft))


@router.delete(
    "/{webinar_id}/offers/{offer_id}", status_code=204, operation_id="delete_webinar_offer"
)
def delete_offer(webinar_id: DbId, offer_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: remove an offer (its tracking link stays)."""
    content.delete_offer(session, webinar_id, offer_id)
    return Response(status_code=204)


@router.get("/{webinar_id}/chat", operation_id="list_webinar_chat")
def list_chat(webinar_id: DbId, session: SessionDep, user: ApiStaff) -> list[dict[str, Any]]:
    """The webinar's chat script in the order it is replayed."""
    service.get_webinar(session, webinar_id)
    return [_chat(row) for row in content.chat_of(session, webinar_id)]


@router.post("/{webinar_id}/chat", status_code=201, operation_id="add_webinar_chat_line")
def add_chat(webinar_id: DbId, body: ChatIn, session: SessionDep, user: ApiOwner) -> dict[str, Any]:
    """Owner only: a question from an earlier session, with the date it was asked."""
    draft = content.ChatDraft(**body.model_dump())
    return _chat(content.add_chat_line(session, webinar_id, draft))


@router.delete(
    "/{webinar_id}/chat/{line_id}", status_code=204, operation_id="delete_webinar_chat_line"
)
def delete_chat(webinar_id: DbId, line_id: DbId, session: SessionDep, user: ApiOwner) -> Response:
    """Owner only: remove a line of the chat script."""
    content.delete_chat_line(session, webinar_id, line_id)
    return Response(status_code=204)
