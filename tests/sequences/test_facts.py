"""What the engine knows of a person when it decides (SQLite and PostgreSQL): clicks, purchases
(activity and API events), webinar registrations and their session starts, API event times,
only as of the tick's `now`; and a goal reached by a purchase event takes them out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evergreen.audience import service as audience
from evergreen.db import Database, utcnow
from evergreen.sequences import service
from evergreen.sequences.models import Enrolment
from evergreen.sequences.rules import Attendance
from evergreen.sequences.service.events import record_event
from evergreen.sequences.service.facts import load_facts
from tests.mail.smtp_server import FaultyHandler
from tests.sequences.kit import (
    add_active,
    add_webinar,
    future_day,
    got,
    make_list,
    outbox,
    register,
    subscribe,
)

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def test_facts_gather_clicks_purchases_webinars_and_events_as_of_now(db: Database) -> None:
    t0 = future_day()
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    start = register(db, webinar_id, "ann@example.com", t0, session_start=t0.replace(hour=18))
    with db.session() as session:
        from evergreen.audience import queries

        card = queries.find_by_email(session, "ann@example.com")
        assert card is not None
        ann = card.id
        audience.record_activity(session, ann, "clicked", "spring-sale", t0)
        audience.record_activity(session, ann, "purchased", "course", t0)
        audience.record_activity(session, ann, "clicked", "later", t0 + DAY)
        record_event(session, "ann@example.com", "trial_ended", "k1", at=t0 - DAY, now=t0)
        record_event(session, "ann@example.com", "trial_ended", "k2", at=t0, now=t0)
        record_event(session, "ann@example.com", "purchase:ebook", "k3", at=t0, now=t0)
        record_event(session, "ann@example.com", "future", "k4", at=t0 + DAY, now=t0)

        facts = load_facts(session, ann, {"plan": "pro", "gone": None}, {}, t0 + MINUTE)
    assert facts.clicked == frozenset({"spring-sale"})
    assert facts.purchased == frozenset({"course", "ebook"})
    assert facts.webinars == {"demo": Attendance.REGISTERED}
    assert facts.events["webinar:demo"] == start
    assert facts.events["webinar"] == start
    assert facts.events["trial_ended"] == t0  # the latest
    assert "future" not in facts.events
    assert dict(facts.fields) == {"plan": "pro"}
    with db.session() as session:
        before = load_facts(session, ann, {}, {}, t0 - MINUTE)
    assert before.webinars == {}
    assert before.clicked == frozenset()
    assert before.events == {"trial_ended": t0 - DAY}


def test_a_purchase_event_reaches_the_goal_and_stops_the_pitch(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day()
    list_id = make_list(db)
    document: dict[str, Any] = {
        "trigger": {"kind": "joined_list", "list": "News"},
        "steps": [
            {"kind": "goal", "condition": {"kind": "purchased", "product": "course"}},
            {"kind": "send", "message": "pitch1"},
            {"kind": "wait", "seconds": 86400},
            {"kind": "branch", "condition": {"kind": "clicked", "link": "sale"},
             "then": "s6", "else": "s5"},
            {"kind": "send", "message": "pitch2"},
            {"kind": "send", "message": "clicker"},
        ],
        "messages": {
            "pitch1": {"subject": "The course", "body": "Buy it."},
            "pitch2": {"subject": "Last call", "body": "Buy it now."},
            "clicker": {"subject": "You looked", "body": "Here is more."},
        },
    }  # fmt: skip
    add_active(db, document, utcnow() - MINUTE)  # joining a list is stamped by the real clock
    subscribe(db, list_id, "ann@example.com")
    bob = subscribe(db, list_id, "bob@example.com")
    assert service.run_due(db, t0, outbox=box).sent == 2
    with db.session() as session:
        record_event(session, "ann@example.com", "purchase:course", "order-1", at=t0 + MINUTE)
        audience.record_activity(session, bob, "clicked", "sale", t0 + MINUTE)
    tick = service.run_due(db, t0 + DAY, outbox=box)
    assert (tick.sent, tick.exited) == (1, 1)
    assert [s for r, s in got(handler) if r == "bob@example.com"] == ["The course", "You looked"]
    assert [s for r, s in got(handler) if r == "ann@example.com"] == ["The course"]
    with db.session() as session:
        rows = session.execute(select(Enrolment.subscriber_id, Enrolment.exit_reason))
        reasons = {subscriber_id: reason for subscriber_id, reason in rows}  # noqa: C416
        assert reasons[bob] != "goal reached"
        assert "goal reached" in reasons.values()


def test_a_purchase_mid_wait_ends_the_pitch_at_the_next_tick_not_at_the_wait_s_end(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day()
    list_id = make_list(db)
    document: dict[str, Any] = {
        "trigger": {"kind": "joined_list", "list": "News"},
        "steps": [
            {"kind": "goal", "condition": {"kind": "purchased"}},
            {"kind": "wait", "seconds": 7 * 86400},
            {"kind": "send", "message": "pitch"},
        ],
        "messages": {"pitch": {"subject": "Buy", "body": "Now."}},
    }
    add_active(db, document, utcnow() - MINUTE)
    subscribe(db, list_id, "ann@example.com")
    subscribe(db, list_id, "bob@example.com")
    assert service.run_due(db, t0, outbox=box).enrolled == 2
    with db.session() as session:
        record_event(session, "ann@example.com", "purchase", "order-9", now=t0 + MINUTE)
    tick = service.run_due(db, t0 + 2 * MINUTE, outbox=box)
    assert tick.exited == 1  # ann, six days and more before her wait ends
    with db.session() as session:
        due = dict.fromkeys(session.scalars(select(Enrolment.due_at)))
    assert t0 + 7 * DAY in due  # bob's wait is stored unchanged
    assert service.run_due(db, t0 + 7 * DAY, outbox=box).sent == 1
    assert got(handler) == [("bob@example.com", "Buy")]


def test_registering_after_enrolling_times_the_wait_for_the_session(
    db: Database, smtp: tuple[FaultyHandler, int], tmp_path: Path
) -> None:
    """Enrolled on joining the list, the session unknown; registering later times the wait."""
    handler, port = smtp
    box = outbox(tmp_path, port)
    t0 = future_day(hour=10)
    list_id = make_list(db)
    webinar_id = add_webinar(db, list_id)
    document: dict[str, Any] = {
        "trigger": {"kind": "joined_list", "list": "News"},
        "steps": [
            {"kind": "wait_relative", "event": "webinar", "offset_seconds": -3600},
            {"kind": "send", "message": "soon"},
        ],
        "messages": {"soon": {"subject": "In one hour", "body": "See you."}},
    }
    add_active(db, document, utcnow() - MINUTE)
    subscribe(db, list_id, "ann@example.com")
    assert service.run_due(db, t0, outbox=box).enrolled == 1
    with db.session() as session:
        assert session.scalars(select(Enrolment.due_at)).one() is None  # waiting for the event
    session_start = register(db, webinar_id, "ann@example.com", t0 + MINUTE, t0.replace(hour=18))
    assert service.run_due(db, t0 + 2 * MINUTE, outbox=box).sent == 0
    with db.session() as session:
        assert session.scalars(select(Enrolment.due_at)).one() == session_start - HOUR
    assert service.run_due(db, session_start - HOUR, outbox=box).sent == 1
    assert got(handler) == [("ann@example.com", "In one hour")]
