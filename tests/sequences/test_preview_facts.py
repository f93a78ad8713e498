"""The preview knows what the engine knows: a registrant's own session times their reminders, a
purchase reaches a goal, as `run_due` would decide them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from evergreen.audience import service as audience
from evergreen.db import Database
from evergreen.sequences import service
from evergreen.sequences.preview import preview
from tests.sequences.kit import add_active, add_webinar, future_day, make_list, register, subscribe
from tests.sequences.test_reminders import REMINDERS

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def _sends(items: list[dict[str, Any]]) -> list[tuple[datetime, str]]:
    return [
        (datetime.fromisoformat(i["at"]).astimezone(UTC), i["words"])
        for i in items
        if i["do"] == "send"
    ]


def test_a_registrants_reminders_are_previewed_at_their_own_session(db: Database) -> None:
    t0 = future_day(hour=10)
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    add_active(db, REMINDERS, t0 - MINUTE)
    session_at = t0.replace(hour=18) + timedelta(days=1)
    register(db, webinar_id, "ann@example.com", t0, session_start=session_at)
    service.run_due(db, t0)  # enrolled, waiting for 24 h before the session
    expected = [
        (session_at - 24 * HOUR, "Send 'Tomorrow: your webinar'"),
        (session_at - HOUR, "Send 'In one hour'"),
        (session_at - 15 * MINUTE, "Send 'In 15 minutes'"),
        (session_at, "Send 'Starting now'"),
    ]
    with db.session(writer=False) as session:
        enrolled = preview(session, "seq", "ann@example.com", now=t0 + MINUTE)
        simulated = preview(session, "seq", "ann@example.com", at=t0 + MINUTE)
    assert _sends(enrolled.items) == expected
    assert _sends(simulated.items) == expected
    assert enrolled.items[-1]["do"] == "complete"


def test_a_buyer_is_previewed_leaving_at_the_purchase_goal(db: Database) -> None:
    t0 = future_day(hour=10)
    list_id = make_list(db)
    document: dict[str, Any] = {
        "trigger": {"kind": "joined_list", "list": "News"},
        "steps": [
            {"kind": "goal", "condition": {"kind": "purchased"}},
            {"kind": "send", "message": "pitch"},
        ],
        "messages": {"pitch": {"subject": "Buy the course", "body": "Now."}},
    }
    add_active(db, document, t0 - HOUR)
    buyer = subscribe(db, list_id, "bea@example.com")
    with db.session() as session:
        audience.record_activity(session, buyer, "purchased", "the-course", at=t0 - MINUTE)
    with db.session(writer=False) as session:
        shown = preview(session, "seq", "bea@example.com", at=t0)
    assert [i["do"] for i in shown.items] == ["exit_goal"]
