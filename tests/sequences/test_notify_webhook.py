"""Notify and Webhook steps (SQLite and PostgreSQL): a mail to the owner at a real SMTP server
and a signed POST to a real local receiver, each once per enrolment step across ticks and after
a killed performer; failures retried with backoff without holding the tick; someone who left
the list gets nothing more."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select, update

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.audience import queries as audience_queries
from evergreen.audience import service as audience
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.sequences import service
from evergreen.sequences.models import SequenceAction
from evergreen.sequences.rules.actions import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify
from evergreen.sequences.service.actions import Performer, perform_due
from tests.http_helpers import PASSWORD
from tests.mail.smtp_server import FaultyHandler
from tests.sequences.kit import (
    HOOK_SECRET,
    LOCAL,
    SECRET,
    Receiver,
    add_active,
    future_day,
    got,
    mail_settings,
    make_list,
    performer,
    subscribe,
)

MINUTE = timedelta(minutes=1)


def _document(url: str) -> dict[str, Any]:
    return {
        "trigger": {"kind": "joined_list", "list": "News"},
        "steps": [
            {"kind": "notify", "text": "A new lead joined: call them."},
            {"kind": "webhook", "url": url},
            {"kind": "wait", "seconds": 86400},
            {"kind": "webhook", "url": url},
        ],
        "messages": {},
    }


def _owner(db: Database) -> None:
    with db.session() as session:
        accounts.create_user(session, "owner@example.com", PASSWORD, Role.OWNER)


def _actions(db: Database) -> list[tuple[str, str, int]]:
    with db.session() as session:
        rows = session.scalars(select(SequenceAction).order_by(SequenceAction.id))
        return [(row.kind, row.status, row.attempts) for row in rows]


def test_notify_mails_the_owner_and_webhook_posts_signed_json_once_each(
    db: Database, smtp: tuple[FaultyHandler, int], receiver: Receiver, tmp_path: Path
) -> None:
    handler, port = smtp
    doer = performer(tmp_path, port)
    _owner(db)
    t0 = future_day()
    list_id = make_list(db)
    add_active(db, _document(receiver.url), utcnow() - MINUTE)
    subscribe(db, list_id, "ann@example.com")

    tick = service.run_due(db, t0, performer=doer)
    assert (tick.enrolled, tick.actions_queued, tick.actions_done) == (1, 2, 2)
    assert got(handler) == [("owner@example.com", "seq: ann@example.com")]
    body = handler.received[0].content
    assert isinstance(body, bytes)
    assert b"A new lead joined: call them." in body
    assert len(receiver.received) == 1
    headers, posted = receiver.received[0]
    assert verify(HOOK_SECRET, headers[SIGNATURE_HEADER], posted, utcnow())
    payload = orjson.loads(posted)
    assert payload["subscriber"]["email"] == "ann@example.com"
    assert (payload["sequence"], payload["step"]) == ("seq", "s2")
    assert headers[IDEMPOTENCY_HEADER] == payload["idempotency_key"]

    for later in (t0, t0 + MINUTE, t0 + 12 * 3600 * timedelta(seconds=1)):
        again = service.run_due(db, later, performer=doer)
        assert (again.actions_queued, again.actions_done) == (0, 0)
    assert len(handler.received) == 1
    assert len(receiver.received) == 1

    day = service.run_due(db, t0 + timedelta(days=1), performer=doer)
    assert (day.actions_queued, day.actions_done, day.finished) == (1, 1, 1)
    keys = {h[IDEMPOTENCY_HEADER] for h, _ in receiver.received}
    assert len(receiver.received) == 2
    assert len(keys) == 2
    assert _actions(db) == [("notify", "done", 1), ("webhook", "done", 1), ("webhook", "done", 1)]


def test_a_failing_receiver_is_retried_with_backoff_and_never_duplicated(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.failures_left = 2
    doer = performer(tmp_path)
    t0 = future_day()
    list_id = make_list(db)
    document = _document(receiver.url)
    document["steps"] = document["steps"][1:2]  # just the webhook
    add_active(db, document, utcnow() - MINUTE)
    subscribe(db, list_id, "ann@example.com")

    first = service.run_due(db, t0, performer=doer)
    assert (first.actions_queued, first.actions_retried, first.finished) == (1, 1, 1)
    assert service.run_due(db, t0 + 30 * timedelta(seconds=1), performer=doer).actions_done == 0
    assert len(receiver.received) == 1  # not before its backoff (1 minute)
    second = service.run_due(db, t0 + MINUTE, performer=doer)
    assert second.actions_retried == 1  # failed again: next in 5 minutes
    third = service.run_due(db, t0 + 6 * MINUTE, performer=doer)
    assert third.actions_done == 1
    assert len(receiver.received) == 3
    assert len({h[IDEMPOTENCY_HEADER] for h, _ in receiver.received}) == 1  # one key throughout
    assert service.run_due(db, t0 + timedelta(days=2), performer=doer).actions_done == 0
    assert len(receiver.received) == 3
    with db.session() as session:
        row = session.scalars(select(SequenceAction)).one()
        assert (row.status, row.attempts, row.last_error) == ("done", 3, "")


def test_a_refused_address_fails_without_holding_the_tick(db: Database, tmp_path: Path) -> None:
    """Loopback is not allowed unless the owner says so: the action is retried, others go on."""
    doer = Performer(mail_settings(tmp_path, 9), HOOK_SECRET, timeout=1.0)  # nothing allowed
    t0 = future_day()
    list_id = make_list(db)
    document = _document("http://127.0.0.1:9/hook")
    document["steps"] = document["steps"][1:2]
    add_active(db, document, utcnow() - MINUTE)
    subscribe(db, list_id, "ann@example.com")
    tick = service.run_due(db, t0, performer=doer)
    assert (tick.finished, tick.actions_retried) == (1, 1)
    with db.session() as session:
        row = session.scalars(select(SequenceAction)).one()
        assert "loopback" in row.last_error
        assert row.status == "pending"


def test_a_killed_performer_s_claim_is_taken_again_and_performed_once(
    db: Database, smtp: tuple[FaultyHandler, int], receiver: Receiver, tmp_path: Path
) -> None:
    """kill -9 after the claim committed: nothing went; once the lease ends it goes, once."""
    handler, port = smtp
    _owner(db)
    t0 = future_day()
    list_id = make_list(db)
    add_active(db, _document(receiver.url), utcnow() - MINUTE)
    subscribe(db, list_id, "ann@example.com")
    assert service.run_due(db, t0).actions_queued == 2  # no performer: recorded, not performed
    with db.session() as session:  # as a performer that claimed them and died
        session.execute(
            update(SequenceAction).values(status="claimed", claimed_until=utcnow() - MINUTE)
        )
    doer = performer(tmp_path, port)
    assert service.run_due(db, t0, performer=doer).actions_done == 2
    assert service.run_due(db, t0 + MINUTE, performer=doer).actions_done == 0
    assert len(handler.received) == 1
    assert len(receiver.received) == 1
    assert [kind for kind, status, _ in _actions(db) if status == "done"] == ["notify", "webhook"]


def test_someone_who_unsubscribed_gets_no_further_step_of_any_kind(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    doer = performer(tmp_path)
    t0 = future_day()
    list_id = make_list(db)
    document = _document(receiver.url)
    document["steps"] = [
        {"kind": "wait", "seconds": 3600},
        {"kind": "tag", "name": "warm"},
        {"kind": "webhook", "url": receiver.url},
    ]
    add_active(db, document, utcnow() - MINUTE)
    ann = subscribe(db, list_id, "ann@example.com")
    assert service.run_due(db, t0, performer=doer).enrolled == 1
    with db.session() as session:
        audience.unsubscribe(session, SECRET, ann, list_id)
    tick = service.run_due(db, t0 + timedelta(hours=2), performer=doer)
    assert (tick.exited, tick.actions_queued) == (1, 0)
    assert receiver.received == []
    with db.session() as session:
        assert "warm" not in audience_queries.tags_of(session, ann)


def test_without_mail_settings_a_notification_waits_and_is_retried(
    db: Database, tmp_path: Path
) -> None:
    _owner(db)
    t0 = future_day()
    list_id = make_list(db)
    document = _document("https://example.com/hook")
    document["steps"] = document["steps"][:1]
    add_active(db, document, utcnow() - MINUTE)
    subscribe(db, list_id, "ann@example.com")
    doer = Performer(Settings(env="test", data_dir=tmp_path), HOOK_SECRET, LOCAL)
    tick = service.run_due(db, t0, performer=doer)
    assert (tick.actions_queued, tick.actions_retried) == (1, 1)
    with db.session() as session:
        row = session.scalars(select(SequenceAction)).one()
        assert "EVERGREEN_MAIL_FROM" in row.last_error


def test_two_performers_at_once_post_each_webhook_once(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    """Two ticks' performers racing over the same due rows (SKIP LOCKED on PostgreSQL, one
    writer on SQLite) never post one twice."""
    t0 = future_day()
    list_id = make_list(db)
    document = _document(receiver.url)
    document["steps"] = document["steps"][1:2]
    add_active(db, document, utcnow() - MINUTE)
    for number in range(12):
        subscribe(db, list_id, f"p{number}@example.com")
    assert service.run_due(db, t0).actions_queued == 12  # recorded, not yet performed
    doer = performer(tmp_path)
    results: list[int] = []

    def run() -> None:
        results.append(perform_due(db, t0, doer).done)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 12
    assert len(receiver.received) == 12
    assert len({h[IDEMPOTENCY_HEADER] for h, _ in receiver.received}) == 12


def test_rows_past_the_tick_s_budget_go_back_untried(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    t0 = future_day()
    list_id = make_list(db)
    document = _document(receiver.url)
    document["steps"] = document["steps"][1:2]
    add_active(db, document, utcnow() - MINUTE)
    for number in range(3):
        subscribe(db, list_id, f"p{number}@example.com")
    assert service.run_due(db, t0).actions_queued == 3
    spent = Performer(mail_settings(tmp_path, 9), HOOK_SECRET, LOCAL, budget=-1.0)
    assert perform_due(db, t0, spent).done == 0
    assert receiver.received == []
    assert _actions(db) == [("webhook", "pending", 0)] * 3
    assert perform_due(db, t0, performer(tmp_path)).done == 3
