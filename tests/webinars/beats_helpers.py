"""A webinar with registrations whose sessions start where a test needs them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evergreen.db import Database
from evergreen.webinars import service
from evergreen.webinars.models import WebinarRegistration
from evergreen.webinars.rules import link_token
from tests.conftest import TEST_SECRET


def a_webinar(db: Database, slug: str = "masterclass", minutes: int = 60, replay: int = 48) -> int:
    """A webinar with a public page at /w/<slug>."""
    with db.session() as session:
        draft = service.WebinarDraft(
            name=slug, title=f"The {slug}", duration_minutes=minutes, schedule="jit:15",
            timezone="viewer", slug=slug, replay_hours=replay,
        )  # fmt: skip
        return service.add_webinar(session, draft).id


def registrants(
    db: Database, webinar_id: int, start: datetime, count: int = 1, **source: Any
) -> list[int]:
    """`count` registrations for the session at `start` (subscriber ids 1000 + n)."""
    ids: list[int] = []
    with db.session() as session:
        for n in range(count):
            row = WebinarRegistration(
                webinar_id=webinar_id, subscriber_id=1000 + n, email=f"p{n}@example.com",
                email_key=f"p{n}@example.com|{start.isoformat()}|{source}", name=f"P{n}",
                viewer_timezone="UTC", session_start=start, registered_at=start,
                source={k: str(v) for k, v in source.items()},
            )  # fmt: skip
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def room_token(registration_id: int) -> str:
    """The room link's token of a registration."""
    return link_token(TEST_SECRET, "room", registration_id)
