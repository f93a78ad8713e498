"""What the webinar page shows of its content: the recording, the offers and the chat script,
and each registrant's room link, which the owner may open at a simulated time (?at=)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from evergreen.webinars import content, queries
from evergreen.webinars.queries import WebinarCard
from evergreen.webinars.rules import link_token
from evergreen.webinars.rules.content import MAX_VIDEO_BYTES

__all__ = ["content_context"]


def content_context(session: Session, request: Request, card: WebinarCard) -> dict[str, Any]:
    """The content sections' values for the webinar page."""
    data_dir = request.app.state.settings.data_dir
    secret = request.app.state.secret
    room_links = {
        row.id: f"/w/{card.slug}/room/{link_token(secret, 'room', row.id)}"
        for row in queries.registrations_of(session, card.id, 200)
        if card.slug
    }
    missing = bool(card.video_file) and not (data_dir / (card.video_file or "")).is_file()
    return {
        "offers": content.offers_of(session, card.id),
        "chat": content.chat_of(session, card.id),
        "video_missing": missing,
        "max_video_mb": MAX_VIDEO_BYTES // (1024 * 1024),
        "room_links": room_links,
    }
