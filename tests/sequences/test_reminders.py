"""A webinar reminder sequence end to end (SQLite and PostgreSQL, real SMTP): registering
enrols, then 24 h / 1 h / 15 min / "starting now" reminders go at their times relative to the
person's own session, once each; someone registering 30 minutes before gets only those ahead."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from evergreen.db import Database
from evergreen.sequences import service
from tests.mail.smtp_server import FaultyHandler
from tests.sequences.kit import (
    add_active,
    add_webinar,
    future_day,
    got,
    make_list,
    outbox,
    register,
)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def _reminder(offset: int, message: str) -> list[dict[str, Any]]:
    return [
        {"kind": "wait_relative", "event": "webinar:demo", "offset_seconds": offset},
        {"kind": "send", "message": message},
    ]


REMINDERS: dict[str, Any] = {
    "trigger": {"kind": "webinar", "status": "registered", "webinar": "demo"},
    "steps": [
        *_reminder(-86400, "r24"),
        *_reminder(-3600, "r1"),
        *_reminder(-900, "r15"),
        *_reminder(0, "now"),
    ],
    "messages": {
        "r24": {"subject": "Tomorrow: your webinar", "body": "24 hours to go."},
        "r1": {"subject": "In one hour", "body": "One hour to go."},
        "r15": {"subject": "In 15 minutes", "body": "Fifteen minutes."},
        "now": {"subject": "Starting now", "body": "Join the room."},
    },
}


def _subjects(handler: FaultyHandler, email: str) -> list[str]:
    return [subject for rcpt, subject in got(handler) if rcpt == email]


def test_reminders_go_at_24h_1h_15min_and_start_once_each(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=10)
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    add_active(db, REMINDERS, t0 - MINUTE)
    session = t0.replace(hour=18) + timedelta(days=1)  # tomorrow 18:00 UTC, 32 h ahead
    assert register(db, webinar_id, "ann@example.com", t0, session_start=session) == session

    first = service.run_due(db, t0, outbox=box)
    assert (first.enrolled, first.queued) == (1, 0)  # waiting for 24 h before the session
    assert service.run_due(db, session - 24 * HOUR - MINUTE, outbox=box).sent == 0
    expected = [
        (session - 24 * HOUR, "Tomorrow: your webinar"),
        (session - HOUR, "In one hour"),
        (session - 15 * MINUTE, "In 15 minutes"),
        (session, "Starting now"),
    ]
    had: list[str] = []
    for at, subject in expected:
        assert service.run_due(db, at - MINUTE, outbox=box).sent == 0
        tick = service.run_due(db, at, outbox=box)
        assert tick.sent == 1, subject
        had.append(subject)
        assert sorted(_subjects(handler, "ann@example.com")) == sorted(had)
        assert service.run_due(db, at, outbox=box).sent == 0  # the same instant again: nothing
    last = service.run_due(db, session + HOUR, outbox=box)
    assert last.sent == 0
    assert len(handler.received) == 4


def test_a_registrant_30_minutes_before_gets_only_the_reminders_ahead(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=17)
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    add_active(db, REMINDERS, t0 - HOUR)
    late = t0 + 30 * MINUTE  # 17:30, the session at 18:00
    session = register(db, webinar_id, "bob@example.com", late, session_start=t0 + HOUR)
    assert session == t0 + HOUR

    tick = service.run_due(db, late, outbox=box)
    assert (tick.enrolled, tick.sent, tick.skipped) == (1, 0, 2)  # 24 h and 1 h: stale
    assert service.run_due(db, session - 15 * MINUTE, outbox=box).sent == 1
    assert service.run_due(db, session, outbox=box).sent == 1
    assert _subjects(handler, "bob@example.com") == ["In 15 minutes", "Starting now"]


def test_after_downtime_a_late_tick_sends_what_is_still_fresh_and_skips_the_stale(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    """The scheduler was down from before the 1 h reminder until 5 minutes before the session."""
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=10)
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    add_active(db, REMINDERS, t0 - MINUTE)
    tomorrow = t0.replace(hour=18) + timedelta(days=1)
    session = register(db, webinar_id, "cy@example.com", t0, session_start=tomorrow)
    assert service.run_due(db, t0, outbox=box).enrolled == 1
    assert service.run_due(db, session - 24 * HOUR, outbox=box).sent == 1
    tick = service.run_due(db, session - 5 * MINUTE, outbox=box)
    assert (tick.sent, tick.skipped) == (1, 1)  # 1 h: 55 min late, stale; 15 min: 10 min late
    assert _subjects(handler, "cy@example.com") == ["In 15 minutes", "Tomorrow: your webinar"]


def test_registering_8_hours_before_skips_the_24_hour_reminder(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    """Its moment was 16 hours before registering, past its bound (a quarter of 24 h)."""
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=10)
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    add_active(db, REMINDERS, t0 - MINUTE)
    session = register(db, webinar_id, "di@example.com", t0, session_start=t0.replace(hour=18))
    tick = service.run_due(db, t0, outbox=box)
    assert (tick.enrolled, tick.sent, tick.skipped) == (1, 0, 1)
    assert service.run_due(db, session - HOUR, outbox=box).sent == 1
    assert _subjects(handler, "di@example.com") == ["In one hour"]


def test_a_registrant_who_changes_session_gets_the_reminders_of_the_new_one(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=10)
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    add_active(db, REMINDERS, t0 - MINUTE)
    first = t0.replace(hour=18) + timedelta(days=1)
    assert register(db, webinar_id, "di@example.com", t0, session_start=first) == first
    assert service.run_due(db, t0, outbox=box).enrolled == 1  # waiting for first - 24 h

    moved = first + timedelta(days=1)  # they pick the next day's session an hour later
    assert register(db, webinar_id, "di@example.com", t0 + HOUR, session_start=moved) == moved
    assert service.run_due(db, t0 + HOUR, outbox=box).sent == 0
    assert service.run_due(db, first - 24 * HOUR, outbox=box).sent == 0  # not the old time
    assert service.run_due(db, moved - 24 * HOUR - MINUTE, outbox=box).sent == 0
    assert service.run_due(db, moved - 24 * HOUR, outbox=box).sent == 1
    assert _subjects(handler, "di@example.com") == ["Tomorrow: your webinar"]


def test_a_reminder_carries_the_persons_session_and_own_room_link(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    import email
    from email.message import EmailMessage
    from email.policy import default

    from evergreen.webinars.rules import read_link_token
    from tests.sequences.kit import SECRET, SITE

    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=10)
    webinar_id = add_webinar(db, make_list(db))
    program = {
        "trigger": REMINDERS["trigger"],
        "steps": _reminder(-3600, "r1"),
        "messages": {"r1": {
            "subject": "{{ webinar.title }} starts in one hour",
            "body": "It starts {{ webinar.starts }}.\n\n[Join the room]({{ webinar.room_url }})\n\n"
                    "[Add it to your calendar]({{ webinar.calendar_url }}) · [Read more](https://blog.example/webinar)",
        }},
    }  # fmt: skip
    add_active(db, program, t0 - MINUTE)
    session = t0.replace(hour=18)
    for person in ("ann@example.com", "bob@example.com"):
        register(db, webinar_id, person, t0, session_start=session)
    service.run_due(db, t0, outbox=box)
    assert service.run_due(db, session - HOUR, outbox=box).sent == 2

    rooms = []
    for envelope in handler.received:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        assert message["Subject"] == "demo starts in one hour"
        part = message.get_body(("html",))
        assert part is not None
        html = part.get_content()
        assert (
            f"It starts {session:%A} {session.day} {session:%B %Y}, 19:00 (Europe/Berlin)" in html
        )
        room = html.split('href="')[1].split('"')[0]  # the first link: the room, as it is
        assert room.startswith(f"{SITE}/w/{webinar_id}/room/")  # the webinar has no slug
        assert f'href="{SITE}/w/{webinar_id}/ics/' in html
        assert "blog.example" not in html  # the ordinary link is tracked (a short link)
        rooms.append(read_link_token(SECRET, "room", room.rsplit("/", 1)[1]))
    assert len(set(rooms)) == 2  # each person's own registration


def test_a_reminder_shows_the_webinar_its_sequence_is_about_not_the_latest_registration(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    import email
    from email.policy import default

    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=10)
    news = make_list(db)
    demo = add_webinar(db, news)
    other = add_webinar(db, news, name="advanced")
    program = {
        "trigger": REMINDERS["trigger"],  # registered for "demo"
        "steps": [{"kind": "wait", "seconds": 3600}, {"kind": "send", "message": "r"}],
        "messages": {"r": {
            "subject": "About {{ webinar.name }}",
            "body": "[Join the room]({{ webinar.room_url }})",
        }},
    }  # fmt: skip
    add_active(db, program, t0 - MINUTE)
    register(db, demo, "ann@example.com", t0)
    service.run_due(db, t0, outbox=box)
    register(db, other, "ann@example.com", t0 + MINUTE)  # her latest registration now
    assert service.run_due(db, t0 + 2 * HOUR, outbox=box).sent == 1

    (envelope,) = handler.received
    message = email.message_from_bytes(envelope.content, policy=default)
    assert message["Subject"] == "About demo"
    assert f"/w/{demo}/room/" in str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
