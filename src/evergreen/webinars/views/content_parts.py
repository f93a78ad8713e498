"""What the webinar page shows of its content: the recording, the offers and the chat script,
and the registrant room links the owner may open at a simulated time."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from evergreen.webinars import content
from evergreen.webinars.queries import WebinarCard
from evergreen.webinars.rules.content import MAX_VIDEO_BYTES

__all__ = ["content_context"]


def content_context(session: Session, request: Request, card: WebinarCard) -> dict[str, Any]:
    """The content sections' values for the webinar page."""
    data_dir = request.app.state.settings.data_dir
    missing = bool(card.video_file) and not (data_dir / (card.video_file or "")).is_file()
    return {
        "offers": content.offers_of(session, card.id),
        "chat": content.chat_of(session, card.id),
        "video_missing": missing,
        "max_video_mb": MAX_VIDEO_BYTES // (1024 * 1024),
    }
