"""A scheduled broadcast falling due while the owner acts on it, or while another sender starts
it too: the sender starts only what is still scheduled when it holds the broadcast, so an
unscheduled, paused or cancelled broadcast never goes out and two senders never both start one
(before, a sender that read "scheduled" then sent a broadcast the owner had just taken back to
draft, and one that found it paused, cancelled or started by another failed its whole run)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.audience import service as audience
from evergreen.audience.rules import Source
from evergreen.db import Database, utcnow
from evergreen.mail import service
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import MailSend
from evergreen.mail.service import Draft, broadcasts
from tests.races import Work, race

SECRET = "test-secret-for-mail-broadcast-races-0123456789"


def _due_broadcast(db: Database) -> tuple[int, datetime]:
    """A broadcast to two people, scheduled and due at the returned time."""
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        for address in ("a@example.com", "b@example.com"):
            audience.subscribe(session, SECRET, address, list_id, audience.Consent(Source.API))
        row = service.create_broadcast(session, Draft("Hello", "Hi there", list_id))
        service.act(session, row.id, "schedule", scheduled_at=utcnow() + timedelta(minutes=5))
        return row.id, utcnow() + timedelta(minutes=6)


def _start_due(now: datetime) -> Work:
    def start(session: Session) -> list[int]:
        return service.start_due(session, now)

    return start


def _owner(broadcast_id: int, action: str) -> Work:
    def act(session: Session) -> str:
        return service.act(session, broadcast_id, action).status

    return act


def _state(db: Database, broadcast_id: int) -> tuple[str, int]:
    with db.session(writer=False) as session:
        status = service.get_broadcast(session, broadcast_id).status
        rows = session.scalar(select(func.count()).where(MailSend.message_id == broadcast_id))
        return status, rows or 0


@pytest.mark.parametrize(
    ("action", "kept"),
    [("unschedule", "draft"), ("pause", "paused"), ("cancel", "cancelled")],
)
def test_the_owner_acting_as_a_broadcast_falls_due_is_never_overridden(
    db: Database, monkeypatch: pytest.MonkeyPatch, action: str, kept: str
) -> None:
    broadcast_id, now = _due_broadcast(db)
    (started, sender_error), (shown, owner_error) = race(
        db, monkeypatch, _start_due(now), _owner(broadcast_id, action),
        pause_at=(broadcasts, "act"),
    )  # fmt: skip
    assert sender_error is None, sender_error  # the sender's run never fails for it
    status, rows = _state(db, broadcast_id)
    if started == []:  # the owner's action came first and stands: nobody was queued
        assert (owner_error, shown, status, rows) == (None, kept, kept, 0)
    elif action == "unschedule":  # the sender started it first: the owner is told why not
        assert started == [broadcast_id]
        assert isinstance(owner_error, MailInputError), owner_error
        assert "cannot unschedule a sending broadcast" in owner_error.message
        assert (status, rows) == ("sending", 2)
    else:  # started first, then paused or cancelled by the owner
        assert started == [broadcast_id]
        assert (owner_error, shown, status, rows) == (None, kept, kept, 2)


def test_two_senders_at_once_start_a_due_broadcast_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    broadcast_id, now = _due_broadcast(db)
    (first, first_error), (second, second_error) = race(
        db, monkeypatch, _start_due(now), _start_due(now), pause_at=(broadcasts, "act")
    )
    assert (first_error, second_error) == (None, None)
    assert sorted([*first, *second]) == [broadcast_id]  # type: ignore[misc]
    assert _state(db, broadcast_id) == ("sending", 2)
