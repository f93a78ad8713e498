"""Bounces and edits landing at the same moment for one person: two soft bounces both count
(before, each read the count and wrote it plus one, so one was lost under READ COMMITTED), a
hard bounce racing a complaint never turns the complaint back into a bounce (before, the bounce
wrote its stale read of the address's suppression over the complaint just committed), and two
changes of different fields both stay (before, each merged into the fields it had read)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience import service
from evergreen.audience.models import Membership, Subscriber
from evergreen.audience.rules import Source
from evergreen.audience.service import subscribers
from evergreen.db import Database
from tests.races import Work, race

SECRET = "test-secret-for-audience-bounce-races-0123456789"


def _person(db: Database) -> int:
    """Someone subscribed to a list."""
    with db.session() as session:
        list_id = service.create_list(session, "News", double_opt_in=False).id
        found = service.subscribe(
            session, SECRET, "a@example.com", list_id, service.Consent(Source.API)
        )
        return found.subscriber.id


def _soft(subscriber_id: int) -> Work:
    def bounce(session: Session) -> int:
        return service.count_soft_bounce(session, subscriber_id)

    return bounce


def _hard(subscriber_id: int) -> Work:
    def bounce(session: Session) -> str | None:
        return service.suppress(session, SECRET, subscriber_id, "bounced", "550").suppressed

    return bounce


def _complaint(subscriber_id: int) -> Work:
    """What the mail area does with a complaint: off every list, then suppressed."""

    def complain(session: Session) -> str | None:
        service.unsubscribe(session, SECRET, subscriber_id, consent=service.Consent(form="fbl"))
        return service.suppress(session, SECRET, subscriber_id, "complained").suppressed

    return complain


def _stored(db: Database, subscriber_id: int) -> Subscriber:
    with db.session(writer=False) as session:
        return service.get_subscriber(session, subscriber_id)


def test_two_soft_bounces_at_once_both_count(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    subscriber_id = _person(db)
    (first, first_error), (second, second_error) = race(
        db, monkeypatch, _soft(subscriber_id), _soft(subscriber_id),
        pause_at=(subscribers, "get_subscriber"), pause_after=True,
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    assert sorted([first, second]) == [1, 2]  # type: ignore[type-var]
    assert _stored(db, subscriber_id).soft_bounces == 2


def test_a_hard_bounce_racing_a_complaint_leaves_the_complaint(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber_id = _person(db)
    (_bounced, bounce_error), (_complained, complaint_error) = race(
        db, monkeypatch, _hard(subscriber_id), _complaint(subscriber_id),
        pause_at=(subscribers, "get_subscriber"), pause_after=True,
    )  # fmt: skip
    assert (bounce_error, complaint_error) == (None, None)
    assert _stored(db, subscriber_id).suppressed == "complained"


def _fields(subscriber_id: int, fields: dict[str, str]) -> Work:
    def change(session: Session) -> object:
        return service.update_subscriber(session, subscriber_id, fields=fields).fields

    return change


def test_two_field_changes_at_once_keep_both(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    subscriber_id = _person(db)
    (_first, first_error), (_second, second_error) = race(
        db, monkeypatch, _fields(subscriber_id, {"city": "Lyon"}),
        _fields(subscriber_id, {"plan": "pro"}),
        pause_at=(subscribers, "get_subscriber"), pause_after=True,
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    assert _stored(db, subscriber_id).fields == {"city": "Lyon", "plan": "pro"}


def test_a_subscribe_racing_a_hard_bounce_leaves_no_one_subscribed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber_id = _person(db)
    with db.session() as session:
        other = service.create_list(session, "Offers", double_opt_in=False).id

    def join(session: Session) -> str:
        consent = service.Consent(Source.API)
        return service.subscribe(session, SECRET, "a@example.com", other, consent).status

    (_joined, join_error), (_bounced, bounce_error) = race(
        db, monkeypatch, join, _hard(subscriber_id),
        pause_at=(subscribers, "_person"), pause_after=True,
    )  # fmt: skip
    assert (join_error, bounce_error) == (None, None)
    with db.session(writer=False) as session:
        statuses = session.scalars(
            select(Membership.status).where(Membership.subscriber_id == subscriber_id)
        ).all()
    assert sorted(statuses) == ["bounced", "bounced"]
